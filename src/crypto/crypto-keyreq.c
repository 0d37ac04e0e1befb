/* Room key requests and forwarded room keys (E2EE.md Step 11). */

/*
 * Legacy, kept minimal (E2EE.md §0 item 2): the spec's §"Key requests".
 *
 * - Accepting an m.forwarded_room_key (over Olm only: crypto-in.c
 *   ignores one in clear or inside Megolm) needs our own request for
 *   that (room, session), still open, to the very device that answers,
 *   which must be our own and verified (CVE-2022-39252; matrix-nio's
 *   "Key Exchange without Entity Authentication").  The key is taken
 *   only if it is better than ours (E2EE.md §E.8), unauthenticated.
 * - Answering an m.room_key_request (it comes in clear): our own
 *   verified device gets the session from the first index we know; a
 *   device we shared that very session with gets it from the index we
 *   gave it (megolm_out_shared); anybody else nothing (CVE-2021-40823).
 *   A request of our own other device we refuse gets, so that it stops
 *   waiting, an m.room_key.withheld in clear: m.unverified (the device
 *   is not verified) or m.unavailable (we do not hold the session);
 *   another user's gets nothing at all.
 *
 * Nothing secret is logged: room, session, request and device ids.
 */
#include "haos/crypto-keyreq.h"

#include <stdlib.h>
#include <string.h>

#include "haos/crypto-out.h"
#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/store-keyreq.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "crypto-int.h"

#define CRYPTO_KEYREQ_MEGOLM	"m.megolm.v1.aes-sha2"
#define CRYPTO_KEYREQ_ID_LEN	12	/* random bytes in a request id */

char *
crypto_keyreq_id(void)
{
	unsigned char	 raw[CRYPTO_KEYREQ_ID_LEN];

	crypto_random(raw, sizeof raw);
	return base64_url_encode(raw, sizeof raw);
}

json_t *
crypto_keyreq_request(struct crypto_keys *k, const char *request_id,
    const char *room_id, const char *session_id, const char *sender_key)
{
	return json_pack("{s:s,s:{s:s,s:s,s:s,s:s},s:s,s:s}", "action",
	    "request", "body", "algorithm", CRYPTO_KEYREQ_MEGOLM, "room_id",
	    room_id, "session_id", session_id, "sender_key", sender_key,
	    "requesting_device_id", crypto_keys_device_id(k), "request_id",
	    request_id);
}

json_t *
crypto_keyreq_cancel(struct crypto_keys *k, const char *request_id)
{
	return json_pack("{s:s,s:s,s:s}", "action", "request_cancellation",
	    "requesting_device_id", crypto_keys_device_id(k), "request_id",
	    request_id);
}

int
crypto_keyreq_received(struct crypto_keys *k, struct store *s,
    const char *sender, const json_t *c, struct haos_error *err)
{
	struct store_keyreq_in	 r;
	const json_t		*body;
	const char		*action;
	int			 rc;

	memset(&r, 0, sizeof r);
	action = json_get_str(c, "action", "");
	r.user_id = (char *)sender;
	r.device_id = (char *)json_get_str(c, "requesting_device_id", NULL);
	r.request_id = (char *)json_get_str(c, "request_id", NULL);
	if (r.device_id == NULL || r.request_id == NULL) {
		log_info("crypto", "key request from %s: malformed: ignored",
		    sender);
		return 0;
	}
	if (strcmp(sender, crypto_keys_user_id(k)) == 0 &&
	    strcmp(r.device_id, crypto_keys_device_id(k)) == 0)
		return 0;	/* our own, sent to all our devices */
	if (strcmp(action, "request_cancellation") == 0)
		return store_keyreq_in_drop(s, sender, r.device_id,
		    r.request_id, err) == -1 ? -1 : 0;
	body = json_get_obj(c, "body");
	r.room_id = (char *)json_get_str(body, "room_id", NULL);
	r.session_id = (char *)json_get_str(body, "session_id", NULL);
	if (strcmp(action, "request") != 0 || r.room_id == NULL ||
	    r.session_id == NULL || strcmp(json_get_str(body, "algorithm",
	    ""), CRYPTO_KEYREQ_MEGOLM) != 0) {
		log_info("crypto", "key request from %s: not a Megolm "
		    "request: ignored", sender);
		return 0;
	}
	rc = store_keyreq_in_add(s, &r, err);
	if (rc == -1)
		return -1;
	if (rc == 0)
		log_warn("crypto", "key request %s from %s: too many kept: "
		    "dropped", r.request_id, sender);
	else
		log_info("crypto", "%s: key request %s from %s's device %s "
		    "for session %s kept", r.room_id, r.request_id, sender,
		    r.device_id, r.session_id);
	return 0;
}

/* Whether the JSON array text devices holds device_id. */
static int
crypto_keyreq_asked(const char *devices, const char *device_id)
{
	json_t	*a;
	size_t	 i;
	int	 found = 0;

	a = json_loads(devices != NULL ? devices : "[]", 0, NULL);
	for (i = 0; json_is_array(a) && i < json_array_size(a); i++) {
		if (json_is_string(json_array_get(a, i)) && strcmp(
		    json_string_value(json_array_get(a, i)), device_id) == 0)
			found = 1;
	}
	json_decref(a);
	return found;
}

/*
 * Whether a forward of room/session from sender's sender_key may be
 * taken at all: 1 yes (*device the device), 0 no (logged), -1.
 */
static int
crypto_keyreq_forward_ok(struct crypto_keys *k, struct store *s,
    const char *sender, const char *sender_key, const char *room_id,
    const char *session_id, const char *orig_key, char **device,
    struct haos_error *err)
{
	struct store_keyreq	 req;
	const char		*why = NULL;
	int			 rc, verified;

	*device = NULL;
	memset(&req, 0, sizeof req);
	if (strcmp(sender, crypto_keys_user_id(k)) != 0) {
		log_warn("crypto", "%s: forwarded key %s from %s, another "
		    "user: ignored", room_id, session_id, sender);
		return 0;
	}
	rc = store_keyreq_device(s, sender, sender_key, device, &verified,
	    err);
	if (rc == -1)
		return -1;
	if (rc == 0)
		why = "no known device of ours";
	else if (!verified)
		why = "an unverified device";
	if (why == NULL) {
		rc = store_keyreq_get(s, room_id, session_id, &req, err);
		if (rc == -1)
			return -1;
		if (rc == 0)
			why = "we asked nobody for it";
		else if (strcmp(req.state, "sent") != 0)
			why = "our request is closed";
		else if (!crypto_keyreq_asked(req.devices, *device))
			why = "a device we did not ask";
		else if (req.sender_key[0] != '\0' &&
		    strcmp(req.sender_key, orig_key) != 0)
			why = "another sender key than we asked about";
	}
	free(req.request_id);
	free(req.room_id);
	free(req.session_id);
	free(req.sender_key);
	free(req.devices);
	free(req.state);
	if (why != NULL) {
		log_warn("crypto", "%s: forwarded key %s from %s's device %s: "
		    "%s: ignored", room_id, session_id, sender,
		    *device != NULL ? *device : sender_key, why);
		free(*device);
		*device = NULL;
		return 0;
	}
	return 1;
}

int
crypto_keyreq_forwarded(struct crypto_keys *k, struct store *s,
    const char *sender, const char *sender_key, const json_t *c,
    const struct crypto_in_sink *sink, struct haos_error *err)
{
	struct crypto_import	 imp;
	const char		*why;
	char			*device = NULL;
	int			 rc, changed = 0;

	memset(&imp, 0, sizeof imp);
	imp.room_id = json_get_str(c, "room_id", NULL);
	imp.session_id = json_get_str(c, "session_id", NULL);
	imp.sender_key = json_get_str(c, "sender_key", NULL);
	imp.session_key = json_get_str(c, "session_key", NULL);
	imp.claimed_ed25519 = json_get_str(c, "sender_claimed_ed25519_key",
	    "");
	imp.source = "forwarded";
	/* Never a downgrade: only a lower first index replaces ours. */
	imp.over_authenticated = 1;
	if (imp.room_id == NULL || imp.session_id == NULL ||
	    imp.sender_key == NULL || imp.session_key == NULL ||
	    strcmp(json_get_str(c, "algorithm", ""),
	    CRYPTO_KEYREQ_MEGOLM) != 0) {
		log_info("crypto", "forwarded key from %s: not a Megolm key: "
		    "ignored", sender);
		return 0;
	}
	rc = crypto_keyreq_forward_ok(k, s, sender, sender_key, imp.room_id,
	    imp.session_id, imp.sender_key, &device, err);
	if (rc != 1)
		return rc;
	rc = crypto_import_megolm(k, s, &imp, sink, &changed, &why, err);
	if (rc == CRYPTO_IMPORT_DONE)
		log_info("crypto", "%s: forwarded key %s from our device %s "
		    "stored", imp.room_id, imp.session_id, device);
	else if (rc != -1)
		log_info("crypto", "%s: forwarded key %s from device %s: %s: "
		    "ignored", imp.room_id, imp.session_id, device, why);
	free(device);
	return rc == -1 ? -1 : changed;
}

/* The index a request may have, or -1 if the policy refuses it. */
static int
crypto_keyreq_policy(struct crypto_keys *k, struct store *s,
    const struct store_keyreq_in *r, int64_t *index, const char **why,
    struct haos_error *err)
{
	int	 rc;

	*why = NULL;
	if (strcmp(r->user_id, crypto_keys_user_id(k)) == 0) {
		if (strcmp(r->device_id, crypto_keys_device_id(k)) == 0) {
			*why = "this device";
			return 0;
		}
		rc = store_keyreq_verified(s, r->user_id, r->device_id, err);
		if (rc == -1)
			return -1;
		if (rc == 1) {
			*index = 0;	/* from the first we know */
			return 1;
		}
	}
	rc = store_keyreq_shared(s, r->session_id, r->user_id, r->device_id,
	    index, err);
	if (rc == 0)
		*why = strcmp(r->user_id, crypto_keys_user_id(k)) == 0 ?
		    "an unverified device of ours" :
		    "not a device we shared it with";
	return rc;
}

/*
 * The withheld reply (code) to a refused request of our own other
 * device: 2 with *out, 0 when none is due or the session's sender key is
 * unknown (logged), -1 on a store error.
 */
static int
crypto_keyreq_withheld(struct crypto_keys *k, struct store *s,
    const struct store_keyreq_in *r, const char *code, json_t **out,
    struct haos_error *err)
{
	char	*skey = NULL;
	int	 rc;

	if (strcmp(r->user_id, crypto_keys_user_id(k)) != 0 ||
	    strcmp(r->device_id, crypto_keys_device_id(k)) == 0)
		return 0;
	rc = store_keyreq_sender_key(s, r->room_id, r->session_id, &skey,
	    err);
	if (rc == -1)
		return -1;
	if (rc == 0) {
		log_info("crypto", "%s: key request %s of our device %s: "
		    "sender key of session %s unknown: no %s reply",
		    r->room_id, r->request_id, r->device_id, r->session_id,
		    code);
		return 0;
	}
	*out = crypto_out_withheld(r->room_id, r->session_id, skey, code);
	free(skey);
	log_info("crypto", "%s: key request %s of our device %s: %s",
	    r->room_id, r->request_id, r->device_id, code);
	return *out != NULL ? 2 : 0;
}

int
crypto_keyreq_answer(struct crypto_keys *k, struct store *s,
    const struct store_keyreq_in *r, json_t **out, struct haos_error *err)
{
	struct store_megolm_in	 m;
	struct crypto_megolm_in	*in = NULL;
	struct haos_error	 e;
	const char		*why;
	char			*key = NULL;
	int64_t			 index = 0;
	uint32_t		 first;
	int			 rc, ret = -1;

	*out = NULL;
	memset(&m, 0, sizeof m);
	rc = crypto_keyreq_policy(k, s, r, &index, &why, err);
	if (rc == -1)
		return -1;
	if (rc == 0) {
		log_info("crypto", "%s: key request %s of %s's device %s: %s: "
		    "refused", r->room_id, r->request_id, r->user_id,
		    r->device_id, why);
		return crypto_keyreq_withheld(k, s, r, CRYPTO_OUT_UNVERIFIED,
		    out, err);
	}
	rc = store_crypto_in_megolm_get(s, r->room_id, r->session_id, &m,
	    err);
	if (rc == -1)
		return -1;
	ret = 0;
	if (rc == 0) {
		log_info("crypto", "%s: key request %s of %s's device %s: no "
		    "session %s here", r->room_id, r->request_id, r->user_id,
		    r->device_id, r->session_id);
		ret = crypto_keyreq_withheld(k, s, r, "m.unavailable", out,
		    err);
		goto out;
	}
	in = crypto_megolm_in_unpickle(m.pickle, crypto_keys_pickle_key(k),
	    NULL, &e);
	if (in == NULL) {
		log_warn("crypto", "%s: session %s: %s", r->room_id,
		    r->session_id, e.msg);
		goto out;
	}
	first = crypto_megolm_in_first_index(in);
	if (index < first)
		index = first;
	key = crypto_megolm_in_export(in, (uint32_t)index, &e);
	if (key == NULL) {
		log_warn("crypto", "%s: session %s: %s", r->room_id,
		    r->session_id, e.msg);
		goto out;
	}
	*out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[]}", "algorithm",
	    CRYPTO_KEYREQ_MEGOLM, "room_id", r->room_id, "sender_key",
	    m.sender_curve25519, "session_id", r->session_id, "session_key",
	    key, "sender_claimed_ed25519_key", m.claimed_ed25519,
	    "forwarding_curve25519_key_chain");
	if (*out != NULL) {
		log_info("crypto", "%s: key request %s of %s's device %s: "
		    "session %s forwarded from index %lld", r->room_id,
		    r->request_id, r->user_id, r->device_id, r->session_id,
		    (long long)index);
		ret = 1;
	}
out:
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	free(key);
	crypto_megolm_in_free(in);
	store_crypto_in_megolm_free(&m);
	return ret;
}

void
crypto_keyreq_content_free(json_t *c)
{
	const char	*key;

	key = json_get_str(c, "session_key", NULL);
	if (key != NULL)
		explicit_bzero((char *)key, strlen(key));
	json_decref(c);
}
