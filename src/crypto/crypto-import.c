/* Megolm sessions that come in the export format, from any source. */

/*
 * A key file (/keys import), the server-side backup and a forward from
 * one of our devices (m.forwarded_room_key) all hand over an inbound
 * session exported at some index; they differ only in where it came
 * from and how far they are trusted.  The session is imported
 * unauthenticated (nothing in the export proves who made it), stored
 * under its sender, the owner of its sender key, and the events waiting
 * for it are decrypted in place, all in the caller's transaction.  What
 * we hold already is never made worse (E2EE.md §E.8): a session with
 * another sender key, or one starting as early, is kept; an
 * authenticated one is kept unless the source may replace it (a forward
 * from a verified device of ours, with a lower first index).
 */
#include <stdlib.h>
#include <string.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/store.h"
#include "crypto-int.h"

int
crypto_import_megolm(struct crypto_keys *k, struct store *s,
    const struct crypto_import *imp, const struct crypto_in_sink *sink,
    int *changed, const char **why, struct haos_error *err)
{
	struct store_megolm_in	 old, m;
	struct crypto_megolm_in	*in;
	struct haos_error	 e;
	char			*owner = NULL, *pickle = NULL;
	int			 rc, ret = -1;

	memset(&old, 0, sizeof old);
	*why = NULL;
	in = crypto_megolm_in_import(imp->session_key, &e);
	if (in == NULL || strcmp(crypto_megolm_in_id(in),
	    imp->session_id) != 0) {
		*why = in == NULL ? "the key does not import" :
		    "the key is another session's";
		crypto_megolm_in_free(in);
		return CRYPTO_IMPORT_BAD;
	}
	rc = store_secrets_device_owner(s, imp->sender_key, &owner, err);
	if (rc == -1)
		goto out;
	if (rc == 0) {
		*why = "no known device has its sender key";
		ret = CRYPTO_IMPORT_BAD;
		goto out;
	}
	rc = store_crypto_in_megolm_get(s, imp->room_id, imp->session_id,
	    &old, err);
	if (rc == -1)
		goto out;
	if (rc == 1 && ((old.authenticated && !imp->over_authenticated) ||
	    old.first_known_index <=
	    (int64_t)crypto_megolm_in_first_index(in) ||
	    strcmp(old.sender_curve25519, imp->sender_key) != 0)) {
		*why = "ours is as good";
		ret = CRYPTO_IMPORT_KEPT;
		goto out;
	}
	pickle = crypto_megolm_in_pickle(in, crypto_keys_pickle_key(k), err);
	if (pickle == NULL)
		goto out;
	memset(&m, 0, sizeof m);
	m.sender_user = owner;
	m.sender_curve25519 = (char *)imp->sender_key;
	m.claimed_ed25519 = (char *)(imp->claimed_ed25519 != NULL ?
	    imp->claimed_ed25519 : "");
	m.pickle = pickle;
	m.first_known_index = crypto_megolm_in_first_index(in);
	m.authenticated = 0;
	m.shared_history = rc == 1 ? old.shared_history : 0;
	if (store_crypto_in_megolm_put(s, imp->room_id, imp->session_id, &m,
	    imp->source, err) == -1)
		goto out;
	rc = crypto_room_retry(k, s, imp->room_id, imp->session_id, sink,
	    err);
	if (rc == -1)
		goto out;
	*changed += rc;
	ret = CRYPTO_IMPORT_DONE;
out:
	if (pickle != NULL)
		explicit_bzero(pickle, strlen(pickle));
	free(pickle);
	free(owner);
	store_crypto_in_megolm_free(&old);
	crypto_megolm_in_free(in);
	return ret;
}
