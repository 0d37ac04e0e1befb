/* Megolm room events: decrypted during ingest, or in place once keyed. */

/*
 * A session is looked up by (room, session id) alone, never by the
 * deprecated sender_key or device_id.  What decrypts must agree with
 * the key it decrypted with: the plaintext's room_id is the event's
 * room, and the event's sender is the user who shared the key
 * (megolm_in.sender_user) — otherwise E2E_BAD_SENDER.  libolm keeps no
 * record of the message indexes it decrypted, so megolm_seen does, in
 * the store: an index seen with another event id is a replay
 * (E2E_REPLAY); the same event again (a re-fetch, a restart) is fine.
 * Types that only ever travel over Olm (room keys, secrets) are refused
 * inside Megolm (CVE-2022-39251), and so is a redaction (the server
 * checked no power level for one it could not read).  The cleartext m.relates_to is the
 * one that counts; any copy inside the ciphertext is dropped.
 *
 * Events that may still decrypt (no key yet, or a key that starts after
 * their index) are kept in table undecryptable and tried again when a
 * key for their session is stored (crypto_room_retry()).
 */
#include "haos/crypto.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "crypto-int.h"

#define CRYPTO_ROOM_MEGOLM	"m.megolm.v1.aes-sha2"

/*
 * Event types that are accepted only as the payload of an Olm message.
 * Not m.room_key_request nor m.secret.request: they are sent in clear
 * (E2EE.md Step 11, spec "Sharing" of secrets).
 */
static const char *const crypto_room_olm_types[] = {
	"m.room_key", "m.forwarded_room_key", "m.room_key.withheld",
	"m.room_key_bundle", "m.secret.send", "m.dummy"
};

int
crypto_room_olm_only(const char *type)
{
	size_t	 i;

	for (i = 0; i < nitems(crypto_room_olm_types); i++) {
		if (strcmp(type, crypto_room_olm_types[i]) == 0)
			return 1;
	}
	return 0;
}

/* {"type", "content"} of the plaintext, with the wire's m.relates_to. */
static json_t *
crypto_room_plain(const json_t *pt, const json_t *wire)
{
	json_t	*content, *rel;

	content = json_deep_copy(json_get_obj(pt, "content"));
	json_object_del(content, "m.relates_to");
	rel = json_object_get(wire, "m.relates_to");
	if (rel != NULL)
		json_object_set(content, "m.relates_to", rel);
	return json_pack("{s:s,s:o}", "type", json_get_str(pt, "type", ""),
	    "content", content);
}

/*
 * Decrypt the wire content of event_id (from sender) in room_id: *plain
 * and E2E_DECRYPTED, or NULL and why.  -1 only on a store error.
 */
static int
crypto_room_open(struct crypto_keys *k, struct store *s, const char *room_id,
    const char *event_id, const char *sender, int64_t ts,
    const json_t *wire, json_t **plain, enum e2e_state *state,
    struct haos_error *err)
{
	struct store_megolm_in	 m;
	struct crypto_megolm_in	*in = NULL;	/* the cache's */
	struct crypto_room_cache *cache;
	struct haos_error	 e;
	enum crypto_fail	 why = CRYPTO_FAIL_OTHER;
	json_t			*pt = NULL;
	const char		*alg, *session_id, *body, *type;
	char			*text, *seen = NULL;
	size_t			 len;
	uint32_t		 index;
	int			 rc, ret = -1;

	*plain = NULL;
	*state = E2E_BAD;
	alg = json_get_str(wire, "algorithm", "");
	session_id = json_get_str(wire, "session_id", NULL);
	body = json_get_str(wire, "ciphertext", NULL);
	if (strcmp(alg, CRYPTO_ROOM_MEGOLM) != 0 || session_id == NULL ||
	    body == NULL) {
		log_info("crypto", "%s: event %s: not a Megolm event", room_id,
		    event_id);
		return 0;
	}
	*state = E2E_WAITING;
	if (k == NULL)
		return 0;
	rc = store_crypto_in_megolm_get(s, room_id, session_id, &m, err);
	if (rc != 1)
		return rc;
	cache = crypto_keys_room_cache(k);
	in = crypto_room_cache_get(cache, room_id, session_id, m.pickle);
	if (in == NULL) {
		in = crypto_megolm_in_unpickle(m.pickle,
		    crypto_keys_pickle_key(k), NULL, &e);
		if (in == NULL) {
			log_warn("crypto", "%s: session %s: %s", room_id,
			    session_id, e.msg);
			*state = E2E_BAD;
			ret = 0;
			goto out;
		}
		crypto_room_cache_put(cache, room_id, session_id, m.pickle, in);
	}
	text = crypto_megolm_in_decrypt(in, body, &len, &index, &why, &e);
	if (text == NULL) {
		*state = why == CRYPTO_FAIL_UNKNOWN_INDEX ?
		    E2E_UNKNOWN_INDEX : E2E_BAD;
		log_info("crypto", "%s: event %s: %s", room_id, event_id,
		    e.msg);
		ret = 0;
		goto out;
	}
	pt = json_load_network(text, len, NULL, NULL);
	explicit_bzero(text, len);
	free(text);
	type = json_get_str(pt, "type", NULL);
	*state = E2E_BAD;
	ret = 0;
	if (type == NULL || json_get_obj(pt, "content") == NULL) {
		log_info("crypto", "%s: event %s: plaintext is no event",
		    room_id, event_id);
		goto out;
	}
	if (strcmp(json_get_str(pt, "room_id", ""), room_id) != 0 ||
	    strcmp(sender, m.sender_user) != 0) {
		log_warn("crypto", "%s: event %s: %s does not match session %s",
		    room_id, event_id, strcmp(json_get_str(pt, "room_id", ""),
		    room_id) != 0 ? "room" : "sender", session_id);
		*state = E2E_BAD_SENDER;
		goto out;
	}
	if (crypto_room_olm_only(type)) {
		log_warn("crypto", "%s: event %s: %s inside Megolm ignored",
		    room_id, event_id, type);
		goto out;
	}
	/* The server authorised no redaction it could not read. */
	if (strcmp(type, "m.room.redaction") == 0) {
		log_warn("crypto", "%s: event %s: an encrypted redaction "
		    "ignored", room_id, event_id);
		goto out;
	}
	rc = store_crypto_in_seen(s, room_id, session_id, index, &seen, err);
	if (rc == -1) {
		ret = -1;
		goto out;
	}
	if (rc == 1 && strcmp(seen, event_id) != 0) {
		log_warn("crypto", "%s: event %s: index %u of session %s came "
		    "with %s: replay refused", room_id, event_id, index,
		    session_id, seen);
		*state = E2E_REPLAY;
		goto out;
	}
	if (rc == 0 && store_crypto_in_seen_add(s, room_id, session_id, index,
	    event_id, ts, err) == -1) {
		ret = -1;
		goto out;
	}
	*plain = crypto_room_plain(pt, wire);
	*state = E2E_DECRYPTED;
out:
	free(seen);
	json_decref(pt);
	store_crypto_in_megolm_free(&m);
	return ret;
}

int
crypto_room_decrypt(struct crypto_keys *k, struct store *s,
    const char *room_id, const json_t *ev, json_t **plain,
    enum e2e_state *state, struct haos_error *err)
{
	const json_t	*wire;
	const char	*event_id, *session_id;

	*plain = NULL;
	wire = json_get_obj(ev, "content");
	event_id = json_get_str(ev, "event_id", "");
	/* A redacted event has nothing left to decrypt. */
	if (json_object_size(wire) == 0) {
		*state = E2E_NONE;
		return 0;
	}
	if (crypto_room_open(k, s, room_id, event_id, json_get_str(ev,
	    "sender", ""), json_get_int(ev, "origin_server_ts", 0), wire,
	    plain, state, err) == -1)
		return -1;
	session_id = json_get_str(wire, "session_id", NULL);
	if ((*state == E2E_WAITING || *state == E2E_UNKNOWN_INDEX) &&
	    session_id != NULL)
		return store_crypto_in_waiting_set(s, event_id, room_id,
		    session_id, (int)*state, err);
	return 0;
}

/* The stored row of a decrypted event: type, content and relations. */
static int
crypto_room_store(struct store *s, const char *event_id, const json_t *plain,
    struct haos_error *err)
{
	struct store_event	 se;
	json_t			*content, *rel;
	char			*text;
	int			 rc;

	memset(&se, 0, sizeof se);
	content = json_get_obj(plain, "content");
	se.type = json_get_str(plain, "type", "");
	rel = json_get_obj(content, "m.relates_to");
	if (rel != NULL) {
		se.rel_type = json_get_str(rel, "rel_type", NULL);
		se.relates_to = json_get_str(rel, "event_id", NULL);
		se.rel_key = json_get_str(rel, "key", NULL);
		if (se.relates_to == NULL)
			se.relates_to = json_get_str(json_get_obj(rel,
			    "m.in_reply_to"), "event_id", NULL);
	}
	text = json_xdumps(content);
	se.content = text;
	se.content_len = strlen(text);
	rc = store_crypto_in_event_set(s, event_id, &se, E2E_DECRYPTED, err);
	explicit_bzero(text, se.content_len);
	free(text);
	return rc;
}

/* Try one waiting event again: 1 if its row changed, 0, -1. */
static int
crypto_room_retry_one(struct crypto_keys *k, struct store *s,
    const char *room_id, const char *event_id, struct haos_error *err)
{
	enum e2e_state	 state;
	json_t		*wire = NULL, *plain = NULL;
	char		*sender, *content;
	int64_t		 ts;
	int		 rc;

	rc = store_crypto_in_event_get(s, event_id, &sender, &ts, &content,
	    err);
	if (rc == 0)
		return store_crypto_in_waiting_drop(s, event_id, err);
	if (rc == -1)
		return -1;
	wire = json_load_stored(content);
	rc = crypto_room_open(k, s, room_id, event_id, sender, ts, wire,
	    &plain, &state, err);
	if (rc == -1)
		goto out;
	switch (state) {
	case E2E_WAITING:
		rc = 0;
		break;
	case E2E_DECRYPTED:
		rc = crypto_room_store(s, event_id, plain, err);
		if (rc == 0)
			rc = store_crypto_in_waiting_drop(s, event_id, err);
		rc = rc == -1 ? -1 : 1;
		break;
	case E2E_UNKNOWN_INDEX:
		rc = store_crypto_in_event_set(s, event_id, NULL, state, err);
		if (rc == 0)
			rc = store_crypto_in_waiting_set(s, event_id, room_id,
			    json_get_str(wire, "session_id", ""), state, err);
		rc = rc == -1 ? -1 : 1;
		break;
	default:
		/* For good: a replay, a forged sender, a corrupt message. */
		rc = store_crypto_in_event_set(s, event_id, NULL, state, err);
		if (rc == 0)
			rc = store_crypto_in_waiting_drop(s, event_id, err);
		rc = rc == -1 ? -1 : 1;
		break;
	}
out:
	json_decref(plain);
	json_decref(wire);
	free(sender);
	free(content);
	return rc;
}

int
crypto_room_retry(struct crypto_keys *k, struct store *s, const char *room_id,
    const char *session_id, const struct crypto_in_sink *sink,
    struct haos_error *err)
{
	char	**ids;
	size_t	 n, i;
	int	 rc = 0, changed = 0;

	if (store_crypto_in_waiting_list(s, room_id, session_id, &ids, &n,
	    err) == -1)
		return -1;
	for (i = 0; i < n && rc != -1; i++) {
		rc = crypto_room_retry_one(k, s, room_id, ids[i], err);
		if (rc == 1)
			changed = 1;
	}
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	if (rc == -1)
		return -1;
	if (!changed)
		return 0;
	log_info("crypto", "%s: events of session %s decrypted in place",
	    room_id, session_id);
	if (sink != NULL && sink->room_changed != NULL)
		rc = sink->room_changed(sink->arg, room_id, err);
	else
		rc = store_room_changed(s, room_id, err);
	return rc == -1 ? -1 : 1;
}
