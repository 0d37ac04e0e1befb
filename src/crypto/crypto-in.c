/* Olm to-device events: decrypted, checked, their room keys applied. */

/*
 * E2EE.md Step 2, for each to-device event kept in table to_device:
 *
 * - An m.room.encrypted of m.olm.v1.curve25519-aes-sha2 is tried on the
 *   sender key's sessions, most recently used first (a pre-key message
 *   only on one it matches).  A pre-key message that matched but does
 *   not decrypt is a duplicate (its key is spent), not a wedged session.
 *   Only when nothing matched is a new inbound session made, and only
 *   once it decrypted are its one-time key removed, the account saved
 *   and the session stored; a new session whose id is already stored is
 *   a replayed pre-key message built on the fallback key (libolm does
 *   not spend those): refused.  A normal message replayed on its own
 *   session fails its MAC: the digests of a session's recent messages
 *   (olm_sessions.recent_rx) tell that from a wedged channel.  A normal
 *   message nothing decrypts, or a pre-key one whose one-time key is
 *   gone, marks the peer wedged (olm_wedged) for Step 6.
 * - The payload must name the event's sender, us (user and ed25519)
 *   and, in keys.ed25519, the ed25519 key of the device owning the
 *   sender key: from table devices or from a self-signed
 *   sender_device_keys (MSC4147).  Otherwise it is discarded.  When the
 *   device is not known at all, nothing is changed: the event stays in
 *   to_device (the session and one-time key as they were, so it
 *   decrypts again), the sender is marked outdated in tracked_users,
 *   and crypto_in_retry() takes it up after /keys/query.
 * - m.room_key counts only over Olm (in clear or inside Megolm it is
 *   ignored: CVE-2022-39251); m.room_key.withheld comes in clear.
 *   m.forwarded_room_key too counts only over Olm, m.room_key_request
 *   only in clear (crypto-keyreq.c, Step 11).
 *
 * Unsolicited to-device traffic must not be a decryption oracle (E2EE.md
 * §A): per sender key and batch, at most CRYPTO_IN_NEW_PER_PEER new
 * inbound sessions are tried and CRYPTO_IN_MSGS_PER_PEER messages
 * decrypted, and CRYPTO_IN_NEW_PER_BATCH new sessions in all (a sender
 * may make up keys); the rest is dropped and logged.  A batch is one
 * /sync (or one crypto_in_retry()).
 *
 * Nothing decrypted is logged: types, ids and user ids only.
 */
#include "haos/crypto.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/crypto-gossip.h"
#include "haos/crypto-keyreq.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "crypto-int.h"

#define CRYPTO_IN_OLM		"m.olm.v1.curve25519-aes-sha2"
#define CRYPTO_IN_MEGOLM	"m.megolm.v1.aes-sha2"
#define CRYPTO_IN_KEEP		5	/* Olm sessions kept a peer (>= 4) */
/* How long an event from a device no device list has is kept. */
#define CRYPTO_IN_UNKNOWN_MS	(24 * 60 * 60 * 1000LL)
#define CRYPTO_IN_RECENT	16	/* message digests kept a session */
#define CRYPTO_IN_NEW_PER_PEER	3	/* new inbound sessions a batch */
#define CRYPTO_IN_MSGS_PER_PEER	100	/* Olm messages a batch */
#define CRYPTO_IN_NEW_PER_BATCH	20	/* new inbound sessions, all peers */

/* What a batch has spent on one sender key. */
struct crypto_in_peer {
	char		*curve25519;
	int		 sessions;
	int		 messages;
};

/* One run over kept to-device events. */
struct crypto_in_batch {
	struct crypto_keys		*k;
	struct store			*s;
	const struct crypto_in_sink	*sink;
	struct haos_error		*err;
	struct crypto_in_peer		*peers;
	size_t				 npeers;
	int				 sessions;	/* new, all peers */
	int				 changed;	/* rooms */
	int				 retry;		/* after /keys/query */
	int64_t				 received_ts;	/* of the event */
};

static int64_t
crypto_in_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How an Olm message came out. */
enum crypto_in_olm_result {
	CRYPTO_IN_DECRYPTED,
	CRYPTO_IN_DUPLICATE,	/* seen before: dropped quietly */
	CRYPTO_IN_WEDGED,	/* no session of ours can read it */
	CRYPTO_IN_DROPPED	/* garbage, over the cap, or refused */
};

/* A decrypted Olm message and the session that read it. */
struct crypto_in_olm {
	struct crypto_olm	*session;
	int			 is_new;
	char			*recent;	/* the session's recent_rx */
	char			*digest;	/* of this message */
	char			*text;		/* the plaintext */
	size_t			 len;
};

static struct crypto_in_peer *
crypto_in_peer(struct crypto_in_batch *b, const char *curve25519)
{
	size_t	 i;

	for (i = 0; i < b->npeers; i++) {
		if (strcmp(b->peers[i].curve25519, curve25519) == 0)
			return &b->peers[i];
	}
	b->peers = xrealloc(b->peers, (b->npeers + 1) * sizeof *b->peers);
	memset(&b->peers[b->npeers], 0, sizeof *b->peers);
	b->peers[b->npeers].curve25519 = xstrdup(curve25519);
	return &b->peers[b->npeers++];
}

/* 1 if digest is one of the space-separated digests of recent. */
static int
crypto_in_recent_has(const char *recent, const char *digest)
{
	const char	*p;
	size_t		 n = strlen(digest);

	for (p = recent; p != NULL && *p != '\0'; p += strcspn(p, " ")) {
		p += strspn(p, " ");
		if (strncmp(p, digest, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

/* recent with digest in front, CRYPTO_IN_RECENT digests at most. */
static char *
crypto_in_recent_add(const char *recent, const char *digest)
{
	char	*out;
	size_t	 i, n = 0;

	out = xasprintf("%s%s%s", digest, recent != NULL ? " " : "",
	    recent != NULL ? recent : "");
	for (i = 0; out[i] != '\0'; i++) {
		if (out[i] == ' ' && ++n == CRYPTO_IN_RECENT) {
			out[i] = '\0';
			break;
		}
	}
	return out;
}

static void
crypto_in_olm_clear(struct crypto_in_olm *o)
{
	crypto_olm_free(o->session);
	free(o->recent);
	free(o->digest);
	if (o->text != NULL)
		explicit_bzero(o->text, o->len);
	free(o->text);
	memset(o, 0, sizeof *o);
}

/* Make a new inbound session from a pre-key message nothing matched. */
static int
crypto_in_olm_new(struct crypto_in_batch *b, struct crypto_in_peer *peer,
    const char *sender_key, const char *body, struct crypto_in_olm *o,
    enum crypto_in_olm_result *res)
{
	struct haos_error	 e;
	enum crypto_fail	 why = CRYPTO_FAIL_OTHER;
	struct crypto_olm	*ses;
	int			 rc;

	*res = CRYPTO_IN_DROPPED;
	if (peer->sessions++ >= CRYPTO_IN_NEW_PER_PEER ||
	    b->sessions++ >= CRYPTO_IN_NEW_PER_BATCH) {
		log_warn("crypto", "Olm: new sessions from %s over the cap of "
		    "this batch: message dropped", sender_key);
		return 0;
	}
	ses = crypto_olm_inbound(crypto_keys_account_rw(b->k), sender_key,
	    body, &why, &e);
	if (ses == NULL) {
		log_info("crypto", "Olm: no session from a pre-key message of "
		    "%s: %s", sender_key, e.msg);
		if (why == CRYPTO_FAIL_BAD_KEY_ID)
			*res = CRYPTO_IN_WEDGED;
		return 0;
	}
	rc = store_crypto_in_olm_exists(b->s, crypto_olm_id(ses), b->err);
	if (rc != 0) {
		if (rc == 1)
			log_warn("crypto", "Olm: session %s from %s made again "
			    "(a replayed pre-key message): refused",
			    crypto_olm_id(ses), sender_key);
		*res = CRYPTO_IN_DUPLICATE;
		crypto_olm_free(ses);
		return rc == -1 ? -1 : 0;
	}
	o->text = crypto_olm_decrypt(ses, 0, body, &o->len, &why, &e);
	if (o->text == NULL) {
		log_info("crypto", "Olm: pre-key message of %s: %s",
		    sender_key, e.msg);
		crypto_olm_free(ses);
		return 0;
	}
	o->session = ses;
	o->is_new = 1;
	*res = CRYPTO_IN_DECRYPTED;
	return 0;
}

/* Decrypt one Olm message: the stored sessions first, then a new one. */
static int
crypto_in_olm_decrypt(struct crypto_in_batch *b, struct crypto_in_peer *peer,
    const char *sender_key, int type, const char *body,
    struct crypto_in_olm *o, enum crypto_in_olm_result *res)
{
	struct store_olm_session	*rows;
	struct haos_error		 e;
	struct crypto_olm		*ses;
	size_t				 n, i;
	int				 seen = 0, rc = 0;

	*res = CRYPTO_IN_DROPPED;
	if (store_crypto_in_olm_list(b->s, sender_key, &rows, &n,
	    b->err) == -1)
		return -1;
	o->digest = crypto_engine_digest(body, strlen(body));
	for (i = 0; i < n; i++) {
		ses = crypto_olm_unpickle(rows[i].pickle,
		    crypto_keys_pickle_key(b->k), NULL, &e);
		if (ses == NULL) {
			log_warn("crypto", "Olm session %s: %s",
			    rows[i].session_id, e.msg);
			continue;
		}
		if (type == 0 && !crypto_olm_matches(ses, sender_key, body)) {
			crypto_olm_free(ses);
			continue;
		}
		o->text = crypto_olm_decrypt(ses, type, body, &o->len, NULL,
		    &e);
		if (o->text != NULL) {
			o->session = ses;
			o->recent = rows[i].recent_rx;
			rows[i].recent_rx = NULL;
			*res = CRYPTO_IN_DECRYPTED;
			goto out;
		}
		crypto_olm_free(ses);
		/* Its session matched, but its key is spent: a duplicate. */
		if (type == 0 ||
		    crypto_in_recent_has(rows[i].recent_rx, o->digest))
			seen = 1;
	}
	if (seen) {
		log_info("crypto", "Olm: a message from %s came again: "
		    "dropped", sender_key);
		*res = CRYPTO_IN_DUPLICATE;
	} else if (type == 1)
		*res = CRYPTO_IN_WEDGED;
	else
		rc = crypto_in_olm_new(b, peer, sender_key, body, o, res);
out:
	store_crypto_in_olm_free(rows, n);
	return rc;
}

/* Keep the session that read a message (and spend its one-time key). */
static int
crypto_in_olm_keep(struct crypto_in_batch *b, const char *sender_key,
    struct crypto_in_olm *o)
{
	char	*pickle, *recent;
	int	 rc;

	if (o->is_new) {
		if (crypto_account_remove_otks(crypto_keys_account_rw(b->k),
		    o->session, b->err) == -1) {
			/* Not fatal for the batch: the key may be a fallback. */
			log_warn("crypto", "Olm: %s", b->err->msg);
		}
		if (crypto_keys_save(b->k, b->s, b->err) == -1)
			return -1;
	}
	pickle = crypto_olm_pickle(o->session, crypto_keys_pickle_key(b->k),
	    b->err);
	if (pickle == NULL)
		return -1;
	recent = crypto_in_recent_add(o->recent, o->digest);
	rc = store_crypto_in_olm_put(b->s, crypto_olm_id(o->session),
	    sender_key, pickle, recent, b->err);
	explicit_bzero(pickle, strlen(pickle));
	free(pickle);
	free(recent);
	if (rc == -1)
		return -1;
	return store_crypto_in_olm_prune(b->s, sender_key, CRYPTO_IN_KEEP,
	    b->err);
}

/*
 * Check MSC4147's sender_device_keys: the sender's, naming sender_key
 * and ed25519, self-signed.  0 if they hold.
 */
static int
crypto_in_device_keys(const json_t *sdk, const char *sender,
    const char *sender_key, const char *ed25519)
{
	struct haos_error	 e;
	const char		*dev;
	char			*kid;
	int			 ok;

	dev = json_get_str(sdk, "device_id", NULL);
	if (dev == NULL || strcmp(json_get_str(sdk, "user_id", ""), sender) !=
	    0)
		return -1;
	kid = xasprintf("curve25519:%s", dev);
	ok = strcmp(json_get_str(json_get_obj(sdk, "keys"), kid, ""),
	    sender_key) == 0;
	free(kid);
	kid = xasprintf("ed25519:%s", dev);
	ok = ok && strcmp(json_get_str(json_get_obj(sdk, "keys"), kid, ""),
	    ed25519) == 0;
	ok = ok && crypto_sign_verify(sdk, sender, kid, ed25519, &e) == 0;
	free(kid);
	return ok ? 0 : -1;
}

/* What the payload check decided. */
enum crypto_in_check {
	CRYPTO_IN_ACCEPT,
	CRYPTO_IN_DISCARD,
	CRYPTO_IN_UNKNOWN	/* the sending device is not known yet */
};

/* Check a decrypted payload against the event and the device list. */
static int
crypto_in_check(struct crypto_in_batch *b, const char *sender,
    const char *sender_key, const json_t *pt, enum crypto_in_check *out)
{
	const struct crypto_account	*acct = crypto_keys_account(b->k);
	const json_t			*sdk;
	const char			*why = NULL, *claimed;
	char				*dev = NULL, *ed = NULL;
	int				 rc;

	*out = CRYPTO_IN_DISCARD;
	claimed = json_get_str(json_get_obj(pt, "keys"), "ed25519", NULL);
	sdk = json_get_obj(pt, "sender_device_keys");
	if (json_get_str(pt, "type", NULL) == NULL ||
	    json_get_obj(pt, "content") == NULL)
		why = "not an event";
	else if (strcmp(json_get_str(pt, "sender", ""), sender) != 0)
		why = "sender";
	else if (strcmp(json_get_str(pt, "recipient", ""),
	    crypto_keys_user_id(b->k)) != 0)
		why = "recipient";
	else if (strcmp(json_get_str(json_get_obj(pt, "recipient_keys"),
	    "ed25519", ""), crypto_account_ed25519(acct)) != 0)
		why = "recipient_keys";
	else if (claimed == NULL)
		why = "no keys.ed25519";
	else if (sdk != NULL && crypto_in_device_keys(sdk, sender, sender_key,
	    claimed) == -1)
		why = "sender_device_keys";
	if (why != NULL) {
		log_warn("crypto", "Olm payload from %s discarded: %s does not "
		    "match", sender, why);
		return 0;
	}
	rc = store_crypto_in_device(b->s, sender, sender_key, &dev, &ed,
	    b->err);
	if (rc == -1)
		return -1;
	if (rc == 1 && strcmp(ed, claimed) != 0) {
		log_warn("crypto", "Olm payload from %s discarded: keys.ed25519 "
		    "is not device %s's", sender, dev);
	} else if (rc == 1 || sdk != NULL)
		*out = CRYPTO_IN_ACCEPT;
	else
		*out = CRYPTO_IN_UNKNOWN;
	free(dev);
	free(ed);
	return 0;
}

/* Note the room of a key as changed: in the sink or in the store. */
static int
crypto_in_room_changed(struct crypto_in_batch *b, const char *room_id)
{
	b->changed++;
	if (b->sink != NULL && b->sink->room_changed != NULL)
		return b->sink->room_changed(b->sink->arg, room_id, b->err);
	return store_room_changed(b->s, room_id, b->err);
}

/* An m.room_key that came over Olm from sender's sender_key. */
static int
crypto_in_room_key(struct crypto_in_batch *b, const char *sender,
    const char *sender_key, const char *claimed, const json_t *c)
{
	struct haos_error	 e;
	struct store_megolm_in	 old, m;
	struct crypto_megolm_in	*in;
	const char		*room_id, *session_id, *key;
	char			*pickle = NULL;
	int			 rc, ret = -1;

	room_id = json_get_str(c, "room_id", NULL);
	session_id = json_get_str(c, "session_id", NULL);
	key = json_get_str(c, "session_key", NULL);
	if (strcmp(json_get_str(c, "algorithm", ""), CRYPTO_IN_MEGOLM) != 0 ||
	    room_id == NULL || session_id == NULL || key == NULL) {
		log_info("crypto", "room key from %s: not a Megolm key",
		    sender);
		return 0;
	}
	in = crypto_megolm_in_new(key, &e);
	if (in == NULL) {
		log_warn("crypto", "%s: room key %s from %s: %s", room_id,
		    session_id, sender, e.msg);
		return 0;
	}
	if (strcmp(crypto_megolm_in_id(in), session_id) != 0) {
		log_warn("crypto", "%s: room key from %s: its session is not %s",
		    room_id, sender, session_id);
		crypto_megolm_in_free(in);
		return 0;
	}
	rc = store_crypto_in_megolm_get(b->s, room_id, session_id, &old,
	    b->err);
	if (rc == -1)
		goto out;
	ret = 0;
	if (rc == 1 && (strcmp(old.sender_user, sender) != 0 ||
	    strcmp(old.sender_curve25519, sender_key) != 0)) {
		log_warn("crypto", "%s: room key %s from %s: the session is "
		    "%s's: ignored", room_id, session_id, sender,
		    old.sender_user);
		goto out;
	}
	/* Keep the lower first index; authenticated beats the others. */
	if (rc == 1 && old.authenticated && old.first_known_index <=
	    (int64_t)crypto_megolm_in_first_index(in))
		goto out;
	pickle = crypto_megolm_in_pickle(in, crypto_keys_pickle_key(b->k),
	    b->err);
	ret = -1;
	if (pickle == NULL)
		goto out;
	memset(&m, 0, sizeof m);
	m.sender_user = (char *)sender;
	m.sender_curve25519 = (char *)sender_key;
	m.claimed_ed25519 = (char *)claimed;
	m.pickle = pickle;
	m.first_known_index = crypto_megolm_in_first_index(in);
	m.authenticated = 1;
	m.shared_history = json_get_bool(c, "shared_history",
	    json_get_bool(c, "org.matrix.msc3061.shared_history", 0));
	if (store_crypto_in_megolm_put(b->s, room_id, session_id, &m,
	    "room_key", b->err) == -1)
		goto out;
	log_info("crypto", "%s: room key %s from %s stored", room_id,
	    session_id, sender);
	rc = crypto_room_retry(b->k, b->s, room_id, session_id, b->sink,
	    b->err);
	if (rc == -1)
		goto out;
	b->changed += rc;
	ret = 0;
out:
	if (pickle != NULL)
		explicit_bzero(pickle, strlen(pickle));
	free(pickle);
	store_crypto_in_megolm_free(&old);
	crypto_megolm_in_free(in);
	return ret;
}

/* m.room_key.withheld: the events of that session wait, marked so. */
static int
crypto_in_withheld(struct crypto_in_batch *b, const char *sender,
    const json_t *c)
{
	const char	*room_id, *session_id;
	int		 n;

	room_id = json_get_str(c, "room_id", NULL);
	session_id = json_get_str(c, "session_id", NULL);
	if (room_id == NULL || session_id == NULL)
		return 0;
	n = store_crypto_in_withheld(b->s, room_id, session_id, sender,
	    b->err);
	if (n == -1)
		return -1;
	log_info("crypto", "%s: %s withheld session %s (%s)", room_id, sender,
	    session_id, json_get_str(c, "code", "no code"));
	return n > 0 ? crypto_in_room_changed(b, room_id) : 0;
}

/* An m.forwarded_room_key over Olm (Step 11: crypto-keyreq.c). */
static int
crypto_in_forwarded(struct crypto_in_batch *b, const char *sender,
    const char *sender_key, const json_t *c)
{
	int	 rc;

	rc = crypto_keyreq_forwarded(b->k, b->s, sender, sender_key, c,
	    b->sink, b->err);
	if (rc == -1)
		return -1;
	b->changed += rc;
	return 0;
}

/* A checked payload: what it says is done. */
static int
crypto_in_apply(struct crypto_in_batch *b, const char *sender,
    const char *sender_key, const json_t *pt)
{
	const char	*type;
	const json_t	*c;

	type = json_get_str(pt, "type", "");
	c = json_get_obj(pt, "content");
	if (strcmp(type, "m.room_key") == 0)
		return crypto_in_room_key(b, sender, sender_key,
		    json_get_str(json_get_obj(pt, "keys"), "ed25519", ""), c);
	if (strcmp(type, "m.room_key.withheld") == 0)
		return crypto_in_withheld(b, sender, c);
	if (strcmp(type, "m.forwarded_room_key") == 0)
		return crypto_in_forwarded(b, sender, sender_key, c);
	if (crypto_sas_event_type(type))
		return crypto_keys_verify_event(b->k, sender, NULL, NULL, type,
		    c) == -1 ? -1 : 0;
	if (crypto_gossip_type(type))
		return crypto_gossip_in(b->k, b->s, sender, sender_key, type, c,
		    crypto_in_now_ms(), b->err);
	if (strcmp(type, "m.dummy") != 0)
		log_info("crypto", "an Olm payload from %s: not handled",
		    sender);
	return 0;
}

/* An m.room.encrypted to-device event: 0 consumed, 1 kept, -1. */
static int
crypto_in_olm(struct crypto_in_batch *b, const json_t *ev)
{
	struct crypto_in_olm		 o;
	struct crypto_in_peer		*peer;
	enum crypto_in_olm_result	 res;
	enum crypto_in_check		 verdict;
	const json_t			*c, *msg, *t;
	const char			*sender, *sender_key, *body;
	char				*dev = NULL, *ed = NULL;
	json_t				*pt = NULL;
	int				 type, outdated, rc = -1;

	memset(&o, 0, sizeof o);
	sender = json_get_str(ev, "sender", NULL);
	c = json_get_obj(ev, "content");
	sender_key = json_get_str(c, "sender_key", NULL);
	msg = json_get_obj(json_get_obj(c, "ciphertext"),
	    crypto_account_curve25519(crypto_keys_account(b->k)));
	t = json_object_get(msg, "type");
	body = json_get_str(msg, "body", NULL);
	if (strcmp(json_get_str(c, "algorithm", ""), CRYPTO_IN_OLM) != 0 ||
	    sender == NULL || sender_key == NULL || msg == NULL ||
	    !json_is_integer(t) || body == NULL ||
	    (json_integer_value(t) != 0 && json_integer_value(t) != 1)) {
		log_info("crypto", "to-device m.room.encrypted from %s: not an "
		    "Olm message for this device", sender != NULL ? sender :
		    "nobody");
		return 0;
	}
	type = (int)json_integer_value(t);
	peer = crypto_in_peer(b, sender_key);
	if (peer->messages++ >= CRYPTO_IN_MSGS_PER_PEER) {
		log_warn("crypto", "Olm: messages from %s over the cap of this "
		    "batch: dropped", sender_key);
		return 0;
	}
	if (crypto_in_olm_decrypt(b, peer, sender_key, type, body, &o,
	    &res) == -1)
		goto out;
	rc = 0;
	if (res == CRYPTO_IN_WEDGED) {
		log_warn("crypto", "Olm: no session reads a message from %s "
		    "(%s): wedged", sender, sender_key);
		if (store_crypto_in_device(b->s, sender, sender_key, &dev, &ed,
		    b->err) == -1 || store_crypto_in_wedged(b->s, sender_key,
		    sender, dev, b->err) == -1)
			rc = -1;
		goto out;
	}
	if (res != CRYPTO_IN_DECRYPTED)
		goto out;
	pt = json_load_network(o.text, o.len, NULL, NULL);
	if (crypto_in_check(b, sender, sender_key, pt, &verdict) == -1) {
		rc = -1;
		goto out;
	}
	if (verdict == CRYPTO_IN_UNKNOWN) {
		/*
		 * After a /keys/query the event stays kept (its sender is not
		 * marked again: that would ask the server in a loop); once
		 * the sender's current device list has gone without the
		 * device for CRYPTO_IN_UNKNOWN_MS since it came, it goes.
		 * (A device list can lag behind a device's first message
		 * over federation, so it is not dropped at once.)
		 */
		if (b->retry) {
			rc = store_tracked_get(b->s, sender, &outdated,
			    b->err);
			if (rc == -1)
				goto out;
			if (rc == 1 && !outdated && crypto_in_now_ms() -
			    b->received_ts > CRYPTO_IN_UNKNOWN_MS) {
				log_warn("crypto", "Olm: %s lists no device "
				    "with key %s: event dropped", sender,
				    sender_key);
				rc = 0;
				goto out;
			}
			rc = 1;
			goto out;
		}
		log_info("crypto", "Olm: device of %s (%s) not known yet: "
		    "kept for /keys/query", sender, sender_key);
		rc = store_crypto_in_outdated(b->s, sender, b->err) == -1 ?
		    -1 : 1;
		goto out;
	}
	if (crypto_in_olm_keep(b, sender_key, &o) == -1) {
		rc = -1;
		goto out;
	}
	if (verdict == CRYPTO_IN_ACCEPT &&
	    crypto_in_apply(b, sender, sender_key, pt) == -1)
		rc = -1;
out:
	json_decref(pt);
	free(dev);
	free(ed);
	crypto_in_olm_clear(&o);
	return rc;
}

/* One kept to-device event: 0 consumed, 1 kept, -1 on a store error. */
static int
crypto_in_event(struct crypto_in_batch *b, const json_t *ev)
{
	const char	*type, *sender;

	type = json_get_str(ev, "type", "");
	sender = json_get_str(ev, "sender", "nobody");
	if (strcmp(type, "m.room.encrypted") == 0)
		return crypto_in_olm(b, ev);
	if (strcmp(type, "m.room_key.withheld") == 0)
		return crypto_in_withheld(b, sender, json_get_obj(ev,
		    "content"));
	if (strcmp(type, "m.room_key_request") == 0)
		return crypto_keyreq_received(b->k, b->s, sender,
		    json_get_obj(ev, "content"), b->err);
	if (crypto_sas_event_type(type))
		return crypto_keys_verify_event(b->k, sender, NULL, ev, type,
		    json_get_obj(ev, "content")) == -1 ? -1 : 0;
	if (crypto_gossip_type(type))
		return crypto_gossip_in(b->k, b->s, sender, NULL, type,
		    json_get_obj(ev, "content"), crypto_in_now_ms(), b->err);
	if (crypto_room_olm_only(type))
		log_warn("crypto", "to-device %s from %s in clear: ignored",
		    type, sender);
	return 0;
}

/* The kept events after after_id: processed, the consumed deleted. */
static int
crypto_in_run(struct crypto_keys *k, struct store *s, int64_t after_id,
    int retry, const struct crypto_in_sink *sink, struct haos_error *err)
{
	struct crypto_in_batch	 b;
	struct to_device_row	*rows;
	json_t			*ev;
	size_t			 n, i;
	int			 rc = 0;

	if (k == NULL)
		return 0;
	if (store_to_device_list(s, after_id, 0, &rows, &n, err) == -1)
		return -1;
	memset(&b, 0, sizeof b);
	b.k = k;
	b.s = s;
	b.sink = sink;
	b.err = err;
	b.retry = retry;
	for (i = 0; i < n && rc != -1; i++) {
		b.received_ts = rows[i].received_ts;
		ev = json_load_stored(rows[i].event);
		rc = json_is_object(ev) ? crypto_in_event(&b, ev) : 0;
		json_decref(ev);
		if (rc == 0)
			rc = store_to_device_remove(s, rows[i].id, err);
	}
	store_to_device_rows_free(rows, n);
	for (i = 0; i < b.npeers; i++)
		free(b.peers[i].curve25519);
	free(b.peers);
	return rc == -1 ? -1 : b.changed;
}

int
crypto_in_to_device(struct crypto_keys *k, struct store *s, int64_t first_id,
    const struct crypto_in_sink *sink, struct haos_error *err)
{
	return crypto_in_run(k, s, first_id - 1, 0, sink, err);
}

int
crypto_in_retry(struct crypto_keys *k, struct store *s,
    const struct crypto_in_sink *sink, struct haos_error *err)
{
	return crypto_in_run(k, s, 0, 1, sink, err);
}
