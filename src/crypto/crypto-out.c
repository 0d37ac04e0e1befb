/* Sending: the Olm payloads that carry keys, and Megolm room messages. */

/*
 * Everything here goes through the engine calls of crypto.h; nothing is
 * logged.  The payload binds the message to both devices (spec,
 * m.olm.v1.curve25519-aes-sha2): sender and recipient user ids and both
 * ed25519 keys, and our signed device keys (MSC4147) so that a peer who
 * has not queried us yet can check us.
 */
#include "haos/crypto-out.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/xmalloc.h"

struct crypto_olm *
crypto_out_claimed(struct crypto_account *a, const struct crypto_device *d,
    const json_t *claimed, struct haos_error *err)
{
	const char	*key_id, *otk;
	json_t		*obj;
	char		*signer;
	int		 rc;

	json_object_foreach((json_t *)claimed, key_id, obj) {
		if (strncmp(key_id, "signed_curve25519:", 18) != 0 ||
		    !json_is_object(obj))
			continue;
		otk = json_get_str(obj, "key", NULL);
		if (otk == NULL)
			break;
		signer = xasprintf("ed25519:%s", d->device_id);
		rc = crypto_sign_verify(obj, d->user_id, signer, d->ed25519,
		    err);
		free(signer);
		if (rc == -1)
			return NULL;
		return crypto_olm_outbound(a, d->curve25519, otk, err);
	}
	haos_error_set(err, HAOS_ECRYPTO, "no one-time key claimed");
	return NULL;
}

json_t *
crypto_out_olm(struct crypto_olm *o, const struct crypto_account *a,
    const char *sender, const json_t *sender_device_keys,
    const struct crypto_device *d, const char *type, const json_t *content,
    struct haos_error *err)
{
	json_t	*payload, *ct, *msg;
	char	*text, *body;
	int	 mtype;

	payload = json_pack("{s:s,s:O,s:s,s:s,s:{s:s},s:{s:s}}",
	    "type", type, "content", content, "sender", sender,
	    "recipient", d->user_id,
	    "recipient_keys", "ed25519", d->ed25519,
	    "keys", "ed25519", crypto_account_ed25519(a));
	if (sender_device_keys != NULL)
		json_object_set(payload, "sender_device_keys",
		    (json_t *)sender_device_keys);
	text = json_xdumps_take(payload);
	mtype = crypto_olm_encrypt(o, text, strlen(text), &body, err);
	explicit_bzero(text, strlen(text));
	free(text);
	if (mtype == -1)
		return NULL;
	ct = json_object();
	msg = json_pack("{s:i,s:s}", "type", mtype, "body", body);
	free(body);
	json_object_set_new(ct, d->curve25519, msg);
	return json_pack("{s:s,s:s,s:o}", "algorithm", CRYPTO_OLM,
	    "sender_key", crypto_account_curve25519(a), "ciphertext", ct);
}

json_t *
crypto_out_room_key(struct crypto_megolm_out *m, const char *room_id,
    int shared_history, struct haos_error *err)
{
	json_t	*c;
	char	*key;

	if ((key = crypto_megolm_out_key(m, err)) == NULL)
		return NULL;
	c = json_pack("{s:s,s:s,s:s,s:s,s:b}", "algorithm", CRYPTO_MEGOLM,
	    "room_id", room_id, "session_id", crypto_megolm_out_id(m),
	    "session_key", key, "shared_history", shared_history);
	explicit_bzero(key, strlen(key));
	free(key);
	return c;
}

json_t *
crypto_out_withheld(const char *room_id, const char *session_id,
    const char *sender_key, const char *code)
{
	const char	*reason;

	if (strcmp(code, "m.no_olm") == 0)
		reason = "Unable to establish a secure channel.";
	else if (strcmp(code, CRYPTO_OUT_UNVERIFIED) == 0)
		reason = "The sender has disabled encrypting to unverified "
		    "devices.";
	else if (strcmp(code, "m.unavailable") == 0)
		reason = "The requested key was not found.";
	else
		reason = "The sender withheld the key.";
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "algorithm",
	    CRYPTO_MEGOLM, "room_id", room_id, "session_id", session_id,
	    "sender_key", sender_key, "code", code, "reason", reason);
}

char *
crypto_out_megolm(struct crypto_megolm_out *m, const char *room_id,
    const char *type, const char *content, const char *sender_key,
    const char *device_id, struct haos_error *err)
{
	json_t	*c, *plain, *out, *rel;
	char	*text, *ct;

	if ((c = json_load_stored(content)) == NULL || !json_is_object(c)) {
		json_decref(c);
		haos_error_set(err, HAOS_ECRYPTO, "message content is not "
		    "an object");
		return NULL;
	}
	plain = json_pack("{s:s,s:O,s:s}", "type", type, "content", c,
	    "room_id", room_id);
	text = json_xdumps_take(plain);
	ct = crypto_megolm_out_encrypt(m, text, strlen(text), err);
	explicit_bzero(text, strlen(text));
	free(text);
	if (ct == NULL) {
		json_decref(c);
		return NULL;
	}
	out = json_pack("{s:s,s:s,s:s,s:s,s:s}", "algorithm", CRYPTO_MEGOLM,
	    "sender_key", sender_key, "ciphertext", ct, "session_id",
	    crypto_megolm_out_id(m), "device_id", device_id);
	free(ct);
	/* Relations stay in the clear, so the server can aggregate them. */
	if ((rel = json_get_obj(c, "m.relates_to")) != NULL)
		json_object_set(out, "m.relates_to", rel);
	json_decref(c);
	return json_xdumps_take(out);
}
