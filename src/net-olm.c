/* Olm-encrypted to-device messages to one device, on the net thread. */

/*
 * The modules that talk to one device at a time (verification, secret
 * sharing, key requests) encrypt through here: with the newest Olm
 * session we have with that device, whose new state is stored in the
 * caller's transaction, so it is persisted before the request that
 * carries the ciphertext (to_device_out, sent in order by net-e2ee.c).
 * Without a session, net_olm_queue() marks the device in olm_wedged:
 * net-e2ee.c's unwedging claims a one-time key and opens a session (an
 * m.dummy over it), after which the caller's next try goes through.
 */
#include <stdlib.h>
#include <string.h>

#include "haos/crypto-out.h"
#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/store-crypto-out.h"
#include "haos/store.h"
#include "net-int.h"

int
net_olm_encrypt(struct net *n, const char *user_id, const char *device_id,
    const char *type, const json_t *content, json_t **out,
    struct haos_error *err)
{
	struct crypto_device	*d = NULL;
	struct crypto_olm	*o = NULL;
	char			*pickle = NULL, *np = NULL;
	json_t			*c = NULL;
	int			 rc;

	*out = NULL;
	rc = store_crypto_out_device(n->store, user_id, device_id, &d, err);
	if (rc != 1)
		return rc;
	rc = store_crypto_out_olm(n->store, d->curve25519, &pickle, err);
	if (rc != 1)
		goto out;
	rc = -1;
	o = crypto_olm_unpickle(pickle, crypto_keys_pickle_key(n->keys), NULL,
	    err);
	if (o == NULL)
		goto out;
	c = crypto_out_olm(o, crypto_keys_account(n->keys),
	    crypto_keys_user_id(n->keys), NULL, d, type, (json_t *)content,
	    err);
	if (c == NULL)
		goto out;
	np = crypto_olm_pickle(o, crypto_keys_pickle_key(n->keys), err);
	if (np == NULL || store_crypto_out_olm_put(n->store, crypto_olm_id(o),
	    d->curve25519, np, err) == -1)
		goto out;
	*out = c;
	c = NULL;
	rc = 1;
out:
	json_decref(c);
	if (np != NULL)
		explicit_bzero(np, strlen(np));
	free(np);
	if (pickle != NULL)
		explicit_bzero(pickle, strlen(pickle));
	free(pickle);
	crypto_olm_free(o);
	store_crypto_out_devices_free(d, 1);
	return rc;
}

int
net_olm_queue(struct net *n, const char *user_id, const char *device_id,
    const char *type, const json_t *content, const char *purpose,
    struct haos_error *err)
{
	struct crypto_device	*d = NULL;
	json_t			*c, *body;
	char			*txn, *text;
	int			 rc;

	rc = net_olm_encrypt(n, user_id, device_id, type, content, &c, err);
	if (rc == 0) {
		/* No session (or device unknown): ask for a new one. */
		rc = store_crypto_out_device(n->store, user_id, device_id, &d,
		    err);
		if (rc == 1)
			rc = store_crypto_in_wedged(n->store, d->curve25519,
			    user_id, device_id, err) == -1 ? -1 : 0;
		if (d != NULL)
			store_crypto_out_devices_free(d, 1);
		return rc;
	}
	if (rc == -1)
		return -1;
	body = json_pack("{s:{s:{s:o}}}", "messages", user_id, device_id, c);
	text = json_xdumps_take(body);
	txn = matrix_txn_id();
	rc = store_crypto_out_todev_add(n->store, txn, "m.room.encrypted",
	    text, purpose, err);
	free(txn);
	explicit_bzero(text, strlen(text));
	free(text);
	return rc == -1 ? -1 : 1;
}
