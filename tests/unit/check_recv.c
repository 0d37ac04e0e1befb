/*
 * Receiving encrypted events (E2EE.md Steps 2 and 3) through ingest of
 * /sync answers built here, against a real store: a peer identity made
 * in the test sends real Olm to-device events and Megolm room events.
 */
#include "check_haos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/model.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/* Raw rows the store's API does not give (devices are Step 4's). */
#include "../../src/store-int.h"

#define ME	"@me:haos.test"
#define ROOM	"!dm:haos.test"
#define MEGOLM	"m.megolm.v1.aes-sha2"
#define OLM	"m.olm.v1.curve25519-aes-sha2"
#define BODY	"héllo ✓ 日本語 🧪"
#define NOTKS	10
#define CRYPTO_TEST_KEEP 5	/* Olm sessions kept a peer (crypto-in.c) */

static char			*dir, *keypath, *logpath;
static struct store		*st;
static struct crypto_keys	*me;
static char			*otks[NOTKS];
static int			 next_otk, batch;

/* Another user's device, as the test drives it. */
struct peer {
	struct crypto_account		*acct;
	const char			*user;
	const char			*device;
	struct crypto_olm		*olm;	/* to us */
	struct crypto_megolm_out	*mg;
};

static void
sql(const char *q)
{
	struct haos_error	 err;

	ck_assert_msg(store_exec(st, q, &err) == 0, "%s: %s", q, err.msg);
}

/* A device of user in table devices, as /keys/query would store it. */
static void
device_add(const char *user, const char *device, struct crypto_account *a)
{
	char	*q;

	q = xasprintf("INSERT INTO devices (user_id, device_id, ed25519, "
	    "curve25519, keys_json) VALUES ('%s', '%s', '%s', '%s', '{}')",
	    user, device, crypto_account_ed25519(a),
	    crypto_account_curve25519(a));
	sql(q);
	free(q);
}

static int64_t
num(const char *q, const char *arg)
{
	struct haos_error	 err;
	int64_t			 v = -1;

	ck_assert(store_get_int64(st, &err, "test", q, &v, "t", arg) != -1);
	return v;
}

static int64_t
rows(const char *table)
{
	static const char *const q[][2] = {
		{ "to_device", "SELECT count(*) FROM to_device" },
		{ "olm_sessions", "SELECT count(*) FROM olm_sessions" },
		{ "olm_wedged", "SELECT count(*) FROM olm_wedged" },
		{ "olm_sessions_gone",
		    "SELECT count(*) FROM olm_sessions_gone" },
		{ "megolm_in", "SELECT count(*) FROM megolm_in" },
		{ "undecryptable", "SELECT count(*) FROM undecryptable" }
	};
	struct haos_error	 err;
	int64_t			 v = -1;
	size_t			 i;

	for (i = 0; i < nitems(q); i++) {
		if (strcmp(q[i][0], table) == 0)
			break;
	}
	ck_assert_uint_lt(i, nitems(q));
	ck_assert(store_get_int64(st, &err, "test", q[i][1], &v, "") != -1);
	return v;
}

static void
open_me(void)
{
	struct haos_error	 err;
	char			*path;

	path = xasprintf("%s/cache.db", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	free(path);
	me = crypto_keys_open(st, keypath, ME, "MYDEV", &err);
	ck_assert_msg(me != NULL, "%s", err.msg);
	store_set_crypto(st, me);
}

static void
close_me(void)
{
	store_set_crypto(st, NULL);
	crypto_keys_free(me);
	store_close(st);
	me = NULL;
	st = NULL;
}

static void
setup(void)
{
	struct haos_error	 err;
	struct crypto_account	*a;
	json_t			*keys, *v;
	const char		*k;
	int			 i = 0;

	dir = test_tmpdir();
	keypath = xasprintf("%s/pickle-key", dir);
	logpath = xasprintf("%s/log", dir);
	ck_assert_int_eq(log_open(logpath, LOG_DEBUG), 0);
	open_me();
	a = crypto_keys_account_rw(me);
	ck_assert_int_eq(crypto_account_generate_otks(a, NOTKS, &err), 0);
	keys = crypto_account_otks(a, &err);
	json_object_foreach(keys, k, v)
		otks[i++] = xstrdup(json_string_value(v));
	json_decref(keys);
	ck_assert_int_eq(i, NOTKS);
	crypto_account_mark_published(a);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_keys_save(me, st, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	next_otk = 0;
	batch = 0;
}

static void
teardown(void)
{
	int	 i;

	close_me();
	log_close();
	free(logpath);
	for (i = 0; i < NOTKS; i++) {
		free(otks[i]);
		otks[i] = NULL;
	}
	test_rmtree(dir);
	free(dir);
	free(keypath);
}

static const char *
my_curve(void)
{
	return crypto_account_curve25519(crypto_keys_account(me));
}

static const char *
my_ed(void)
{
	return crypto_account_ed25519(crypto_keys_account(me));
}

static void
peer_new(struct peer *p, const char *user, const char *device, int known)
{
	struct haos_error	 err;

	memset(p, 0, sizeof *p);
	p->acct = crypto_account_new(&err);
	ck_assert_ptr_nonnull(p->acct);
	p->user = user;
	p->device = device;
	p->mg = crypto_megolm_out_new(&err);
	if (known)
		device_add(user, device, p->acct);
}

static void
peer_free(struct peer *p)
{
	crypto_olm_free(p->olm);
	crypto_megolm_out_free(p->mg);
	crypto_account_free(p->acct);
}

/* The Olm payload p sends us: type and content, bound to both. */
static json_t *
payload(struct peer *p, const char *type, json_t *content)
{
	return json_pack("{s:s,s:o,s:s,s:s,s:{s:s},s:{s:s}}", "type", type,
	    "content", content, "sender", p->user, "recipient", ME,
	    "recipient_keys", "ed25519", my_ed(), "keys", "ed25519",
	    crypto_account_ed25519(p->acct));
}

/* pl (taken) encrypted by p's Olm session to us, as a to-device event. */
static json_t *
olm_wrap(struct peer *p, json_t *pl)
{
	struct haos_error	 err;
	json_t			*ev;
	char			*text, *body;
	int			 type;

	if (p->olm == NULL)
		p->olm = crypto_olm_outbound(p->acct, my_curve(),
		    otks[next_otk++], &err);
	ck_assert_ptr_nonnull(p->olm);
	text = json_dumps(pl, JSON_COMPACT);
	json_decref(pl);
	type = crypto_olm_encrypt(p->olm, text, strlen(text), &body, &err);
	ck_assert_int_ge(type, 0);
	free(text);
	ev = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:{s:i,s:s}}}}", "type",
	    "m.room.encrypted", "sender", p->user, "content", "algorithm",
	    OLM, "sender_key", crypto_account_curve25519(p->acct),
	    "ciphertext", my_curve(), "type", type, "body", body);
	free(body);
	return ev;
}

/* The m.room_key content of p's Megolm session in room. */
static json_t *
room_key(struct peer *p, const char *room)
{
	struct haos_error	 err;
	char			*key;
	json_t			*c;

	key = crypto_megolm_out_key(p->mg, &err);
	c = json_pack("{s:s,s:s,s:s,s:s}", "algorithm", MEGOLM, "room_id",
	    room, "session_id", crypto_megolm_out_id(p->mg), "session_key",
	    key);
	free(key);
	return c;
}

/* A Megolm room event of p: plaintext {type, content, room_id}. */
static json_t *
megolm_event(struct peer *p, const char *room, const char *event_id,
    const char *sender, json_t *pt)
{
	struct haos_error	 err;
	char			*text, *ct;
	json_t			*ev;

	(void)room;		/* the plaintext names it, or another */
	text = json_dumps(pt, JSON_COMPACT);
	json_decref(pt);
	ct = crypto_megolm_out_encrypt(p->mg, text, strlen(text), &err);
	ck_assert_ptr_nonnull(ct);
	free(text);
	ev = json_pack("{s:s,s:s,s:s,s:i,s:{s:s,s:s,s:s,s:s,s:s}}", "type",
	    "m.room.encrypted", "event_id", event_id, "sender", sender,
	    "origin_server_ts", (json_int_t)1700000000000 + batch, "content",
	    "algorithm", MEGOLM, "sender_key",
	    crypto_account_curve25519(p->acct), "ciphertext", ct,
	    "session_id", crypto_megolm_out_id(p->mg), "device_id", p->device);
	free(ct);
	return ev;
}

static json_t *
message(const char *room, const char *body)
{
	return json_pack("{s:s,s:{s:s,s:s},s:s}", "type", "m.room.message",
	    "content", "msgtype", "m.text", "body", body, "room_id", room);
}

/*
 * Ingest one /sync of the to-device events td and the timeline tl of
 * room (both taken, either NULL); it must succeed.  The result's notify
 * bits; *changed (may be NULL) whether room is in its rooms.
 */
static unsigned int
sync_in(json_t *td, const char *room, json_t *tl, int *changed)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*j;
	unsigned int		 bits;
	char			*nb;
	size_t			 i;

	nb = xasprintf("s%d", ++batch);
	j = json_pack("{s:s}", "next_batch", nb);
	free(nb);
	if (td != NULL)
		json_object_set_new(j, "to_device", json_pack("{s:o}",
		    "events", td));
	if (tl != NULL)
		json_object_set_new(j, "rooms", json_pack("{s:{s:{s:{s:o}}}}",
		    "join", room, "timeline", "events", tl));
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	json_decref(j);
	bits = res.notify;
	if (changed != NULL) {
		*changed = 0;
		for (i = 0; i < res.nrooms; i++)
			*changed |= strcmp(res.rooms[i], room) == 0;
	}
	ingest_result_free(&res);
	return bits;
}

/* Whether the n bytes of needle occur in the len bytes of hay. */
static int
has_bytes(const char *hay, size_t len, const void *needle, size_t n)
{
	size_t	 i;

	for (i = 0; i + n <= len; i++) {
		if (memcmp(hay + i, needle, n) == 0)
			return 1;
	}
	return 0;
}

/* The whole of a (binary) file, and its length. */
static char *
test_read_file_n(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, f);
	fclose(f);
	return buf;
}

/* The stored type, body and e2e state of event_id. */
static int
event_state(const char *event_id, char **type, char **body)
{
	struct haos_error	 err;
	json_t			*c;
	char			*content;

	ck_assert_int_eq(store_event_lookup(st, event_id, NULL, type,
	    &content, NULL, &err), 1);
	c = json_loads(content, 0, NULL);
	*body = xstrdup(json_get_str(c, "body", ""));
	json_decref(c);
	free(content);
	return (int)num("SELECT e2e FROM events WHERE event_id = ?1",
	    event_id);
}

static void
assert_event(const char *event_id, const char *type, const char *body,
    int e2e)
{
	char	*t, *b;
	int	 e;

	e = event_state(event_id, &t, &b);
	ck_assert_msg(e == e2e, "%s: e2e %d, want %d", event_id, e, e2e);
	ck_assert_str_eq(t, type);
	if (body != NULL)
		ck_assert_str_eq(b, body);
	free(t);
	free(b);
}

static int64_t
megolm_sessions(const char *room)
{
	return num("SELECT count(*) FROM megolm_in WHERE room_id = ?1", room);
}

/* A DM message and its key in one /sync: the exact body, decrypted. */
START_TEST(test_dm_decrypted)
{
	struct haos_error	 err;
	struct crypto_olm	*again;
	struct peer		 bob;
	json_t			*td, *prekey, *rk;
	const char		*body;
	char			*text, *key, *shared, *dbfile;
	unsigned char		*raw;
	size_t			 rawlen, dblen;
	int			 i, seen;
	enum crypto_fail	 why = CRYPTO_FAIL_OTHER;

	peer_new(&bob, "@bob:haos.test", "BOBDEV", 1);
	rk = room_key(&bob, ROOM);
	shared = xstrdup(json_get_str(rk, "session_key", ""));
	td = json_pack("[o]", olm_wrap(&bob, payload(&bob, "m.room_key", rk)));
	prekey = json_incref(json_array_get(td, 0));
	sync_in(td, ROOM, json_pack("[o]", megolm_event(&bob, ROOM, "$m1",
	    bob.user, message(ROOM, BODY))), NULL);
	assert_event("$m1", "m.room.message", BODY, E2E_DECRYPTED);

	/*
	 * The store holds the session only pickled (encrypted with the
	 * pickle key): neither the shared key's text nor its ratchet bytes
	 * are in the database or its WAL (E2EE.md §E.12).
	 */
	ck_assert_int_eq(base64_decode(shared, strlen(shared), &raw, &rawlen),
	    0);
	ck_assert_uint_gt(rawlen, 5 + 128);
	seen = 0;
	for (i = 0; i < 2; i++) {
		dbfile = xasprintf("%s/cache.db%s", dir, i == 0 ? "" : "-wal");
		text = test_read_file_n(dbfile, &dblen);
		ck_assert_msg(text != NULL, "%s", dbfile);
		ck_assert(!has_bytes(text, dblen, shared, strlen(shared)));
		/* Version byte, index, then the 128-byte ratchet. */
		ck_assert(!has_bytes(text, dblen, raw + 5, 32));
		ck_assert(!has_bytes(text, dblen, raw + 5 + 96, 32));
		/* The scan sees the store: the message is cached decrypted. */
		seen += has_bytes(text, dblen, BODY, strlen(BODY));
		free(text);
		free(dbfile);
	}
	ck_assert_int_gt(seen, 0);
	explicit_bzero(raw, rawlen);
	free(raw);
	free(shared);
	ck_assert_int_eq(rows("to_device"), 0);
	ck_assert_int_eq(rows("olm_sessions"), 1);
	ck_assert_int_eq(rows("olm_wedged"), 0);
	ck_assert_int_eq(rows("undecryptable"), 0);
	ck_assert_int_eq(megolm_sessions(ROOM), 1);
	ck_assert_int_eq(num("SELECT authenticated FROM megolm_in WHERE "
	    "sender_user = ?1", bob.user), 1);

	/* The one-time key is gone from the account that was saved. */
	close_me();
	open_me();
	body = json_get_str(json_object_get(json_get_obj(json_get_obj(prekey,
	    "content"), "ciphertext"), my_curve()), "body", "");
	again = crypto_olm_inbound(crypto_keys_account_rw(me),
	    crypto_account_curve25519(bob.acct), body, &why, &err);
	ck_assert_ptr_null(again);
	ck_assert_int_eq(why, CRYPTO_FAIL_BAD_KEY_ID);

	/* Nothing decrypted or secret went to the log (debug level). */
	log_close();
	text = test_read_file(logpath);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "room key"));
	ck_assert_ptr_null(strstr(text, BODY));
	ck_assert_ptr_null(strstr(text, "héllo"));
	key = crypto_megolm_out_key(bob.mg, &err);
	ck_assert_ptr_null(strstr(text, key));
	free(key);
	free(text);
	ck_assert_int_eq(log_open(logpath, LOG_DEBUG), 0);
	json_decref(prekey);
	peer_free(&bob);
}
END_TEST

/* A pre-key message that does not decrypt keeps its one-time key. */
START_TEST(test_otk_kept_on_failure)
{
	struct peer	 bob;
	json_t		*ev, *bad, *msg;
	char		*body;
	size_t		 n;

	peer_new(&bob, "@bob:haos.test", "BOBDEV", 1);
	ev = olm_wrap(&bob, payload(&bob, "m.room_key", room_key(&bob,
	    ROOM)));
	bad = json_deep_copy(ev);
	msg = json_object_get(json_get_obj(json_get_obj(bad, "content"),
	    "ciphertext"), my_curve());
	body = xstrdup(json_get_str(msg, "body", ""));
	n = strlen(body);
	body[n - 3] = body[n - 3] == 'A' ? 'B' : 'A';	/* in the MAC */
	json_object_set_new(msg, "body", json_string(body));
	free(body);
	sync_in(json_pack("[o]", bad), NULL, NULL, NULL);
	ck_assert_int_eq(rows("olm_sessions"), 0);
	ck_assert_int_eq(megolm_sessions(ROOM), 0);
	ck_assert_int_eq(rows("to_device"), 0);

	/* Even after a restart, the real message still makes its session. */
	close_me();
	open_me();
	sync_in(json_pack("[o]", ev), NULL, NULL, NULL);
	ck_assert_int_eq(rows("olm_sessions"), 1);
	ck_assert_int_eq(megolm_sessions(ROOM), 1);
	peer_free(&bob);
}
END_TEST

/*
 * A message before its key waits; the key decrypts it in place, fixes
 * its relation columns from the cleartext m.relates_to, and reports the
 * room changed.
 */
START_TEST(test_key_after_message)
{
	struct haos_error	 err;
	struct peer		 bob;
	json_t			*pt, *ev, *rk;
	char			**ids, *rel;
	size_t			 n;
	int64_t			 seq = 0;
	unsigned int		 bits;

	peer_new(&bob, "@bob:haos.test", "BOBDEV", 1);
	rk = room_key(&bob, ROOM);	/* from index 0, given later */
	pt = message(ROOM, "* fixed");
	json_object_set_new(json_object_get(pt, "content"), "m.relates_to",
	    json_pack("{s:s,s:s}", "rel_type", "m.thread", "event_id",
	    "$inside"));
	ev = megolm_event(&bob, ROOM, "$m1", bob.user, pt);
	json_object_set_new(json_object_get(ev, "content"), "m.relates_to",
	    json_pack("{s:s,s:s}", "rel_type", "m.replace", "event_id",
	    "$orig"));
	sync_in(NULL, ROOM, json_pack("[o]", ev), NULL);
	assert_event("$m1", "m.room.encrypted", NULL, E2E_WAITING);
	ck_assert_int_eq(rows("undecryptable"), 1);
	ck_assert_int_eq(store_changed_rooms(st, 0, &ids, &n, &seq, &err), 0);
	store_changed_rooms_free(ids, n);

	bits = sync_in(json_pack("[o]", olm_wrap(&bob, payload(&bob,
	    "m.room_key", rk))), "!other:haos.test", NULL, NULL);
	ck_assert(bits & NOTIFY_TIMELINE);
	assert_event("$m1", "m.room.message", "* fixed", E2E_DECRYPTED);
	ck_assert_int_eq(rows("undecryptable"), 0);
	ck_assert_int_eq(store_get_text(st, &err, "test", "SELECT rel_type "
	    "|| ' ' || relates_to FROM events WHERE event_id = ?1", &rel, "t",
	    "$m1"), 1);
	ck_assert_str_eq(rel, "m.replace $orig");
	free(rel);
	/* The UI hears of the room: the change log has it. */
	ck_assert_int_eq(store_changed_rooms(st, seq, &ids, &n, &seq, &err),
	    0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ids[0], ROOM);
	store_changed_rooms_free(ids, n);

	peer_free(&bob);
}
END_TEST

/*
 * A key that starts after a message: E2E_UNKNOWN_INDEX, kept waiting;
 * a better key (from index 0) decrypts it in place.
 */
START_TEST(test_unknown_index)
{
	struct peer	 bob;
	json_t		*early;

	peer_new(&bob, "@bob:haos.test", "BOBDEV", 1);
	early = room_key(&bob, ROOM);
	sync_in(NULL, ROOM, json_pack("[o]", megolm_event(&bob, ROOM, "$u1",
	    bob.user, message(ROOM, "first"))), NULL);
	sync_in(json_pack("[o]", olm_wrap(&bob, payload(&bob, "m.room_key",
	    room_key(&bob, ROOM)))), NULL, NULL, NULL);
	assert_event("$u1", "m.room.encrypted", NULL, E2E_UNKNOWN_INDEX);
	ck_assert_int_eq(rows("undecryptable"), 1);
	ck_assert_int_eq(num("SELECT first_known_index FROM megolm_in WHERE "
	    "room_id = ?1", ROOM), 1);
	sync_in(json_pack("[o]", olm_wrap(&bob, payload(&bob, "m.room_key",
	    early))), NULL, NULL, NULL);
	assert_event("$u1", "m.room.message", "first", E2E_DECRYPTED);
	ck_assert_int_eq(num("SELECT first_known_index FROM megolm_in WHERE "
	    "room_id = ?1", ROOM), 0);
	ck_assert_int_eq(rows("undecryptable"), 0);
	peer_free(&bob);
}
END_TEST

/* /messages backfill decrypts too, with the same replay guard. */
START_TEST(test_backfill)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	struct gap_row		*g;
	struct peer		 bob;
	json_t			*td, *old, *copy, *now, *j;
	size_t			 n;

	peer_new(&bob, "@bob:haos.test", "BOBDEV", 1);
	td = json_pack("[o]", olm_wrap(&bob, payload(&bob, "m.room_key",
	    room_key(&bob, ROOM))));
	old = megolm_event(&bob, ROOM, "$old", bob.user, message(ROOM,
	    "older"));
	now = megolm_event(&bob, ROOM, "$now", bob.user, message(ROOM,
	    "newer"));
	j = json_pack("{s:s,s:{s:o},s:{s:{s:{s:{s:b,s:s,s:[o]}}}}}",
	    "next_batch", "s1", "to_device", "events", td, "rooms", "join",
	    ROOM, "timeline", "limited", 1, "prev_batch", "p1", "events",
	    now);
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	ingest_result_free(&res);
	json_decref(j);
	assert_event("$now", "m.room.message", "newer", E2E_DECRYPTED);

	copy = json_deep_copy(old);
	json_object_set_new(copy, "event_id", json_string("$old-again"));
	ck_assert_int_eq(store_query_gaps(st, ROOM, &g, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	j = json_pack("{s:s,s:s,s:[o,o]}", "start", "p1", "end", "p0",
	    "chunk", old, copy);
	ck_assert_msg(ingest_messages(st, ROOM, j, g[0].id, &res, &err) == 0,
	    "%s", err.msg);
	ingest_result_free(&res);
	json_decref(j);
	gap_rows_free(g, n);
	assert_event("$old", "m.room.message", "older", E2E_DECRYPTED);
	assert_event("$old-again", "m.room.encrypted", NULL, E2E_REPLAY);
	peer_free(&bob);
}
END_TEST

/* m.room_key.withheld marks the waiting events of its sender. */
START_TEST(test_withheld)
{
	struct peer	 bob;
	json_t		*w1;
	int		 changed;

	peer_new(&bob, "@bob:haos.test", "BOBDEV", 1);
	w1 = megolm_event(&bob, ROOM, "$w1", bob.user, message(ROOM, "a"));
	sync_in(NULL, ROOM, json_pack("[O,o]", w1, megolm_event(&bob, ROOM,
	    "$w2", "@eve:haos.test", message(ROOM, "b"))), NULL);
	sync_in(json_pack("[{s:s,s:s,s:{s:s,s:s,s:s,s:s}}]", "type",
	    "m.room_key.withheld", "sender", bob.user, "content", "room_id",
	    ROOM, "session_id", crypto_megolm_out_id(bob.mg), "code",
	    "m.unverified", "algorithm", MEGOLM), ROOM, NULL, &changed);
	ck_assert_int_eq(changed, 1);
	assert_event("$w1", "m.room.encrypted", NULL, E2E_WITHHELD);
	assert_event("$w2", "m.room.encrypted", NULL, E2E_WAITING);
	ck_assert_int_eq(rows("undecryptable"), 2);
	ck_assert_int_eq(num("SELECT reason FROM undecryptable WHERE "
	    "event_id = ?1", "$w1"), E2E_WITHHELD);
	/* Fetched again (a backfill overlap): still withheld. */
	sync_in(NULL, ROOM, json_pack("[O]", w1), NULL);
	ck_assert_int_eq(num("SELECT reason FROM undecryptable WHERE "
	    "event_id = ?1", "$w1"), E2E_WITHHELD);
	json_decref(w1);
	ck_assert_int_eq(rows("to_device"), 0);
	peer_free(&bob);
}
END_TEST

/*
 * The same ciphertext under another event id is a replay; the same
 * event again, even after a restart, is not (megolm_seen persists).
 */
START_TEST(test_megolm_replay)
{
	struct haos_error	 err;
	struct peer		 bob;
	json_t			*td, *ev, *copy, *plain = NULL;
	enum e2e_state		 state;

	peer_new(&bob, "@bob:haos.test", "BOBDEV", 1);
	td = json_pack("[o]", olm_wrap(&bob, payload(&bob, "m.room_key",
	    room_key(&bob, ROOM))));
	ev = megolm_event(&bob, ROOM, "$m1", bob.user, message(ROOM, BODY));
	sync_in(td, ROOM, json_pack("[O]", ev), NULL);
	assert_event("$m1", "m.room.message", BODY, E2E_DECRYPTED);
	copy = json_deep_copy(ev);
	json_object_set_new(copy, "event_id", json_string("$evil"));
	sync_in(NULL, ROOM, json_pack("[O]", copy), NULL);
	assert_event("$evil", "m.room.encrypted", NULL, E2E_REPLAY);
	ck_assert_int_eq(rows("undecryptable"), 0);

	close_me();
	open_me();
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_room_decrypt(me, st, ROOM, ev, &plain, &state,
	    &err), 0);
	ck_assert_int_eq(state, E2E_DECRYPTED);
	ck_assert_str_eq(json_get_str(json_get_obj(plain, "content"), "body",
	    ""), BODY);
	json_decref(plain);
	json_object_set_new(copy, "event_id", json_string("$evil2"));
	ck_assert_int_eq(crypto_room_decrypt(me, st, ROOM, copy, &plain,
	    &state, &err), 0);
	ck_assert_int_eq(state, E2E_REPLAY);
	ck_assert_ptr_null(plain);
	ck_assert_int_eq(store_commit(st, &err), 0);
	/* And through ingest, after the restart, the same event is fine. */
	sync_in(NULL, ROOM, json_pack("[O]", ev), NULL);
	assert_event("$m1", "m.room.message", BODY, E2E_DECRYPTED);
	json_decref(copy);
	json_decref(ev);
	peer_free(&bob);
}
END_TEST

/*
 * A normal (type 1) Olm message replayed is dropped without marking the
 * peer wedged; one from a session we never had marks it.
 */
START_TEST(test_olm_replay)
{
	struct haos_error	 err;
	struct peer		 bob, carol;
	struct crypto_olm	*mine, *theirs, *mine2;
	json_t			*ev, *keys;
	char			*body, *pickle, *pt;
	int			 type;

	peer_new(&bob, "@bob:haos.test", "BOBDEV", 1);
	/* Our session to bob, stored, that bob has received on. */
	ck_assert_int_eq(crypto_account_generate_otks(bob.acct, 1, &err), 0);
	keys = crypto_account_otks(bob.acct, &err);
	mine = crypto_olm_outbound(crypto_keys_account_rw(me),
	    crypto_account_curve25519(bob.acct), json_string_value(
	    json_object_iter_value(json_object_iter(keys))), &err);
	json_decref(keys);
	ck_assert_ptr_nonnull(mine);
	type = crypto_olm_encrypt(mine, "{}", 2, &body, &err);
	ck_assert_int_eq(type, 0);
	theirs = crypto_olm_inbound(bob.acct, my_curve(), body, NULL, &err);
	ck_assert_ptr_nonnull(theirs);
	pt = crypto_olm_decrypt(theirs, 0, body, NULL, NULL, &err);
	ck_assert_ptr_nonnull(pt);
	free(pt);
	free(body);
	pickle = crypto_olm_pickle(mine, crypto_keys_pickle_key(me), &err);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_crypto_in_olm_put(st, crypto_olm_id(mine),
	    crypto_account_curve25519(bob.acct), pickle, NULL, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	free(pickle);
	bob.olm = theirs;
	ev = olm_wrap(&bob, payload(&bob, "m.room_key", room_key(&bob,
	    ROOM)));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    json_get_obj(json_get_obj(ev, "content"), "ciphertext"),
	    my_curve()), "type")), 1);
	sync_in(json_pack("[O]", ev), NULL, NULL, NULL);
	ck_assert_int_eq(megolm_sessions(ROOM), 1);

	/* Replayed: dropped, the key not applied again, nobody wedged. */
	sql("DELETE FROM megolm_in");
	sync_in(json_pack("[O]", ev), NULL, NULL, NULL);
	ck_assert_int_eq(megolm_sessions(ROOM), 0);
	ck_assert_int_eq(rows("olm_wedged"), 0);
	ck_assert_int_eq(rows("to_device"), 0);
	json_decref(ev);

	/* carol's session reached type 1 with a copy of us we lost. */
	peer_new(&carol, "@carol:haos.test", "CAROLDEV", 1);
	ev = olm_wrap(&carol, payload(&carol, "m.dummy", json_object()));
	body = xstrdup(json_get_str(json_object_get(json_get_obj(json_get_obj(
	    ev, "content"), "ciphertext"), my_curve()), "body", ""));
	mine2 = crypto_olm_inbound(crypto_keys_account_rw(me),
	    crypto_account_curve25519(carol.acct), body, NULL, &err);
	pt = crypto_olm_decrypt(mine2, 0, body, NULL, NULL, &err);
	free(pt);
	free(body);
	type = crypto_olm_encrypt(mine2, "{}", 2, &body, &err);
	pt = crypto_olm_decrypt(carol.olm, type, body, NULL, NULL, &err);
	ck_assert_ptr_nonnull(pt);
	free(pt);
	free(body);
	json_decref(ev);
	ev = olm_wrap(&carol, payload(&carol, "m.dummy", json_object()));
	sync_in(json_pack("[o]", ev), NULL, NULL, NULL);
	ck_assert_int_eq(rows("olm_wedged"), 1);
	ck_assert_int_eq(num("SELECT pending FROM olm_wedged WHERE "
	    "user_id = ?1", carol.user), 1);
	ck_assert_int_eq(num("SELECT count(*) FROM olm_wedged WHERE "
	    "device_id = ?1", "CAROLDEV"), 1);
	crypto_olm_free(mine);
	crypto_olm_free(mine2);
	peer_free(&bob);
	peer_free(&carol);
}
END_TEST

/*
 * A pre-key message built on our fallback key, replayed: no second
 * session, and its room key is not applied a second time.
 */
START_TEST(test_fallback_replay)
{
	struct haos_error	 err;
	struct crypto_account	*a;
	struct peer		 bob;
	json_t			*fb, *ev;
	int			 i;

	a = crypto_keys_account_rw(me);
	ck_assert_int_eq(crypto_account_generate_fallback(a, &err), 0);
	fb = crypto_account_fallback(a, &err);
	crypto_account_mark_published(a);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_keys_save(me, st, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	peer_new(&bob, "@bob:haos.test", "BOBDEV", 1);
	bob.olm = crypto_olm_outbound(bob.acct, my_curve(), json_string_value(
	    json_object_iter_value(json_object_iter(fb))), &err);
	json_decref(fb);
	ev = olm_wrap(&bob, payload(&bob, "m.room_key", room_key(&bob, ROOM)));
	sync_in(json_pack("[O]", ev), NULL, NULL, NULL);
	ck_assert_int_eq(rows("olm_sessions"), 1);
	ck_assert_int_eq(megolm_sessions(ROOM), 1);

	sql("DELETE FROM megolm_in");
	close_me();
	open_me();
	sync_in(json_pack("[O]", ev), NULL, NULL, NULL);
	ck_assert_int_eq(rows("olm_sessions"), 1);
	ck_assert_int_eq(megolm_sessions(ROOM), 0);
	ck_assert_int_eq(rows("olm_wedged"), 0);

	/*
	 * Once newer sessions with bob have pushed it out of the store, the
	 * fallback session's id is still remembered: the replay stays
	 * refused.
	 */
	for (i = 0; i < CRYPTO_TEST_KEEP; i++) {
		crypto_olm_free(bob.olm);
		bob.olm = NULL;
		usleep(3000);	/* each session more recent than the last */
		sync_in(json_pack("[o]", olm_wrap(&bob, payload(&bob,
		    "m.dummy", json_object()))), NULL, NULL, NULL);
	}
	ck_assert_int_eq(rows("olm_sessions"), CRYPTO_TEST_KEEP);
	ck_assert_int_eq(rows("olm_sessions_gone"), 1);
	sync_in(json_pack("[O]", ev), NULL, NULL, NULL);
	ck_assert_int_eq(megolm_sessions(ROOM), 0);
	ck_assert_int_eq(rows("olm_sessions"), CRYPTO_TEST_KEEP);
	json_decref(ev);
	peer_free(&bob);
}
END_TEST

/* The payload's bindings: each violation discards the room key. */
START_TEST(test_olm_bindings)
{
	struct haos_error	 err;
	struct peer		 bob, carol;
	json_t			*pl, *sdk;
	char			 room[64];
	int			 i;

	peer_new(&bob, "@bob:haos.test", "BOBDEV", 1);
	for (i = 0; i < 4; i++) {
		snprintf(room, sizeof room, "!bind%d:haos.test", i);
		pl = payload(&bob, "m.room_key", room_key(&bob, room));
		if (i == 0)
			json_object_set_new(pl, "sender",
			    json_string("@eve:haos.test"));
		else if (i == 1)
			json_object_set_new(pl, "recipient",
			    json_string("@eve:haos.test"));
		else if (i == 2)
			json_object_set_new(json_object_get(pl,
			    "recipient_keys"), "ed25519",
			    json_string(crypto_account_ed25519(bob.acct)));
		else
			json_object_set_new(json_object_get(pl, "keys"),
			    "ed25519", json_string(my_ed()));
		sync_in(json_pack("[o]", olm_wrap(&bob, pl)), NULL, NULL,
		    NULL);
		ck_assert_msg(megolm_sessions(room) == 0, "case %d", i);
	}
	/* The same, right: accepted. */
	sync_in(json_pack("[o]", olm_wrap(&bob, payload(&bob, "m.room_key",
	    room_key(&bob, ROOM)))), NULL, NULL, NULL);
	ck_assert_int_eq(megolm_sessions(ROOM), 1);

	/* carol is not in devices: her signed sender_device_keys vouch. */
	peer_new(&carol, "@carol:haos.test", "CAROLDEV", 0);
	for (i = 0; i < 3; i++) {
		snprintf(room, sizeof room, "!sdk%d:haos.test", i);
		sdk = json_pack("{s:s,s:s,s:[s,s],s:{s:s,s:s}}", "user_id",
		    carol.user, "device_id", carol.device, "algorithms", OLM,
		    MEGOLM, "keys", "curve25519:CAROLDEV",
		    crypto_account_curve25519(carol.acct), "ed25519:CAROLDEV",
		    crypto_account_ed25519(carol.acct));
		ck_assert_int_eq(crypto_sign_json(carol.acct, sdk, carol.user,
		    carol.device, &err), 0);
		if (i == 1)	/* changed after signing */
			json_object_set_new(sdk, "algorithms", json_array());
		else if (i == 2)	/* another user's */
			json_object_set_new(sdk, "user_id",
			    json_string("@eve:haos.test"));
		pl = payload(&carol, "m.room_key", room_key(&carol, room));
		json_object_set_new(pl, "sender_device_keys", sdk);
		sync_in(json_pack("[o]", olm_wrap(&carol, pl)), NULL, NULL,
		    NULL);
		ck_assert_msg(megolm_sessions(room) == (i == 0), "sdk %d", i);
	}
	ck_assert_int_eq(rows("to_device"), 0);
	ck_assert_int_eq(rows("olm_wedged"), 0);
	peer_free(&bob);
	peer_free(&carol);
}
END_TEST

/* Megolm: the plaintext's room and the event's sender bind to the key. */
START_TEST(test_megolm_bindings)
{
	struct peer	 bob;
	json_t		*td;

	peer_new(&bob, "@bob:haos.test", "BOBDEV", 1);
	td = json_pack("[o]", olm_wrap(&bob, payload(&bob, "m.room_key",
	    room_key(&bob, ROOM))));
	sync_in(td, ROOM, json_pack("[o,o,o]",
	    megolm_event(&bob, ROOM, "$ok", bob.user, message(ROOM, "ok")),
	    megolm_event(&bob, ROOM, "$room", bob.user,
	    message("!elsewhere:haos.test", "moved")),
	    megolm_event(&bob, ROOM, "$who", "@mallory:haos.test",
	    message(ROOM, "forged"))), NULL);
	assert_event("$ok", "m.room.message", "ok", E2E_DECRYPTED);
	assert_event("$room", "m.room.encrypted", NULL, E2E_BAD_SENDER);
	assert_event("$who", "m.room.encrypted", NULL, E2E_BAD_SENDER);
	peer_free(&bob);
}
END_TEST

/* Room keys in clear or inside Megolm are ignored (CVE-2022-39251). */
START_TEST(test_protocol_confusion)
{
	struct peer	 bob, eve;
	json_t		*pt;

	peer_new(&bob, "@bob:haos.test", "BOBDEV", 1);
	peer_new(&eve, "@eve:haos.test", "EVEDEV", 1);
	sync_in(json_pack("[{s:s,s:s,s:o}]", "type", "m.room_key", "sender",
	    eve.user, "content", room_key(&eve, ROOM)), NULL, NULL, NULL);
	ck_assert_int_eq(megolm_sessions(ROOM), 0);
	ck_assert_int_eq(rows("to_device"), 0);

	sync_in(json_pack("[o]", olm_wrap(&bob, payload(&bob, "m.room_key",
	    room_key(&bob, ROOM)))), NULL, NULL, NULL);
	pt = json_pack("{s:s,s:o,s:s}", "type", "m.room_key", "content",
	    room_key(&eve, "!other:haos.test"), "room_id", ROOM);
	sync_in(NULL, ROOM, json_pack("[o]", megolm_event(&bob, ROOM, "$k",
	    bob.user, pt)), NULL);
	assert_event("$k", "m.room.encrypted", NULL, E2E_BAD);
	ck_assert_int_eq(megolm_sessions("!other:haos.test"), 0);

	/* Nor may an encrypted redaction take down another's message. */
	sync_in(NULL, ROOM, json_pack("[{s:s,s:s,s:s,s:{s:s}},o]", "type",
	    "m.room.message", "event_id", "$victim", "sender",
	    "@carol:haos.test", "content", "body", "stays", megolm_event(&bob,
	    ROOM, "$r", bob.user, json_pack("{s:s,s:{s:s},s:s}", "type",
	    "m.room.redaction", "content", "redacts", "$victim", "room_id",
	    ROOM))), NULL);
	assert_event("$r", "m.room.encrypted", NULL, E2E_BAD);
	assert_event("$victim", "m.room.message", "stays", E2E_NONE);
	ck_assert_int_eq(rows("megolm_in"), 1);
	peer_free(&bob);
	peer_free(&eve);
}
END_TEST

/*
 * A sender whose device is not known yet: the event is kept untouched,
 * the sender marked outdated; once the device is stored,
 * crypto_in_retry() takes the key and the waiting event decrypts.
 */
START_TEST(test_unknown_device)
{
	struct haos_error	 err;
	struct peer		 dan, eve;
	json_t			*td;
	int			 n;

	peer_new(&dan, "@dan:haos.test", "DANDEV", 0);
	td = json_pack("[o]", olm_wrap(&dan, payload(&dan, "m.room_key",
	    room_key(&dan, ROOM))));
	sync_in(td, ROOM, json_pack("[o]", megolm_event(&dan, ROOM, "$d1",
	    dan.user, message(ROOM, BODY))), NULL);
	assert_event("$d1", "m.room.encrypted", NULL, E2E_WAITING);
	ck_assert_int_eq(rows("to_device"), 1);
	ck_assert_int_eq(rows("olm_sessions"), 0);
	ck_assert_int_eq(megolm_sessions(ROOM), 0);
	ck_assert_int_eq(num("SELECT outdated FROM tracked_users WHERE "
	    "user_id = ?1", dan.user), 1);

	/* Nothing new: still kept. */
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_in_retry(me, st, NULL, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_int_eq(rows("to_device"), 1);

	/* /keys/query stored the device (Step 4), then retried. */
	device_add(dan.user, dan.device, dan.acct);
	ck_assert_int_eq(store_begin(st, &err), 0);
	n = crypto_in_retry(me, st, NULL, &err);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(rows("to_device"), 0);
	ck_assert_int_eq(rows("olm_sessions"), 1);
	assert_event("$d1", "m.room.message", BODY, E2E_DECRYPTED);

	/*
	 * A device the server does not list: once dan's list is current
	 * (the query answered), the event is kept without asking again,
	 * and dropped once it is a day old.
	 */
	peer_new(&eve, "@dan:haos.test", "EVEDEV", 0);
	sync_in(json_pack("[o]", olm_wrap(&eve, payload(&eve, "m.room_key",
	    room_key(&eve, "!other:haos.test")))), NULL, NULL, NULL);
	ck_assert_int_eq(rows("to_device"), 1);
	ck_assert_int_eq(num("SELECT outdated FROM tracked_users WHERE "
	    "user_id = ?1", dan.user), 1);
	sql("UPDATE tracked_users SET outdated = 0");	/* answered */
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_in_retry(me, st, NULL, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_int_eq(rows("to_device"), 1);
	ck_assert_int_eq(num("SELECT outdated FROM tracked_users WHERE "
	    "user_id = ?1", dan.user), 0);
	sql("UPDATE to_device SET received_ts = 1");	/* a day later */
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_in_retry(me, st, NULL, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_int_eq(rows("to_device"), 0);
	ck_assert_int_eq(num("SELECT outdated FROM tracked_users WHERE "
	    "user_id = ?1", dan.user), 0);
	ck_assert_int_eq(megolm_sessions("!other:haos.test"), 0);
	peer_free(&eve);
	peer_free(&dan);
}
END_TEST

/*
 * No decryption oracle: one sender key gets 3 new inbound sessions a
 * batch, the rest is dropped; the next batch may make more.
 */
START_TEST(test_new_session_cap)
{
	struct peer	 bob;
	json_t		*td;
	char		 room[64];
	int		 i;

	peer_new(&bob, "@bob:haos.test", "BOBDEV", 1);
	td = json_array();
	for (i = 0; i < 5; i++) {
		snprintf(room, sizeof room, "!cap%d:haos.test", i);
		crypto_olm_free(bob.olm);
		bob.olm = NULL;		/* a new session, a new one-time key */
		json_array_append_new(td, olm_wrap(&bob, payload(&bob,
		    "m.room_key", room_key(&bob, room))));
	}
	sync_in(json_incref(td), NULL, NULL, NULL);
	ck_assert_int_eq(rows("olm_sessions"), 3);
	ck_assert_int_eq(rows("megolm_in"), 3);
	ck_assert_int_eq(megolm_sessions("!cap3:haos.test"), 0);
	ck_assert_int_eq(rows("to_device"), 0);
	/* Their one-time keys were kept: the next batch takes them. */
	json_array_remove(td, 0);
	json_array_remove(td, 0);
	json_array_remove(td, 0);
	sync_in(td, NULL, NULL, NULL);
	ck_assert_int_eq(rows("olm_sessions"), 5);
	ck_assert_int_eq(megolm_sessions("!cap4:haos.test"), 1);
	peer_free(&bob);
}
END_TEST

/* Bad encrypted events never fail the sync: each is marked and skipped. */
START_TEST(test_bad_events)
{
	struct peer	 bob;
	json_t		*td, *tl, *ev, *key;

	peer_new(&bob, "@bob:haos.test", "BOBDEV", 1);
	td = json_pack("[{s:s,s:s,s:{s:s,s:s,s:{s:{s:i,s:s}}}},"
	    "{s:s,s:s,s:{s:s,s:s,s:{s:{s:s,s:s}}}},"
	    "{s:s,s:s,s:{s:s}},{s:s,s:{}},"
	    "{s:s,s:s,s:{s:s,s:s,s:{s:{s:i,s:s}}}}]",
	    "type", "m.room.encrypted", "sender", bob.user, "content",
	    "algorithm", OLM, "sender_key", crypto_account_curve25519(bob.acct),
	    "ciphertext", my_curve(), "type", 1, "body", "garbage!",
	    "type", "m.room.encrypted", "sender", bob.user, "content",
	    "algorithm", OLM, "sender_key", "x", "ciphertext", my_curve(),
	    "type", "zero", "body", "AAAA",
	    "type", "m.room.encrypted", "sender", bob.user, "content",
	    "algorithm", "m.unknown",
	    "type", "m.room.encrypted", "content",
	    "type", "m.room.encrypted", "sender", bob.user, "content",
	    "algorithm", OLM, "sender_key", crypto_account_curve25519(bob.acct),
	    "ciphertext", "someone else", "type", 0, "body", "AAAA");
	key = olm_wrap(&bob, payload(&bob, "m.room_key", room_key(&bob,
	    ROOM)));
	ev = megolm_event(&bob, ROOM, "$garbled", bob.user, message(ROOM,
	    "x"));
	json_object_set_new(json_object_get(ev, "content"), "ciphertext",
	    json_string("bm90IGEgbWVzc2FnZQ"));
	tl = json_pack("[o,{s:s,s:s,s:s,s:{s:s,s:s}},{s:s,s:s,s:s,s:{}},"
	    "{s:s,s:s,s:s,s:{s:s,s:s,s:s}}]", ev,
	    "type", "m.room.encrypted", "event_id", "$alg", "sender", bob.user,
	    "content", "algorithm", "m.unknown", "ciphertext", "x",
	    "type", "m.room.encrypted", "event_id", "$redacted", "sender",
	    bob.user, "content",
	    "type", "m.room.encrypted", "event_id", "$nosession", "sender",
	    bob.user, "content", "algorithm", MEGOLM, "ciphertext", "x",
	    "device_id", "D");
	/* The key comes first, so $garbled meets a real session. */
	json_array_insert_new(td, 0, key);
	sync_in(td, ROOM, tl, NULL);
	ck_assert_int_eq(megolm_sessions(ROOM), 1);
	assert_event("$garbled", "m.room.encrypted", NULL, E2E_BAD);
	assert_event("$alg", "m.room.encrypted", NULL, E2E_BAD);
	assert_event("$redacted", "m.room.encrypted", NULL, E2E_NONE);
	assert_event("$nosession", "m.room.encrypted", NULL, E2E_BAD);
	ck_assert_int_eq(rows("to_device"), 0);
	ck_assert_int_eq(rows("undecryptable"), 0);
	peer_free(&bob);
}
END_TEST

Suite *
suite_recv(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("recv");
	tc = tcase_create("receive");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dm_decrypted);
	tcase_add_test(tc, test_otk_kept_on_failure);
	tcase_add_test(tc, test_key_after_message);
	tcase_add_test(tc, test_unknown_index);
	tcase_add_test(tc, test_backfill);
	tcase_add_test(tc, test_withheld);
	tcase_add_test(tc, test_megolm_replay);
	tcase_add_test(tc, test_olm_replay);
	tcase_add_test(tc, test_fallback_replay);
	tcase_add_test(tc, test_olm_bindings);
	tcase_add_test(tc, test_megolm_bindings);
	tcase_add_test(tc, test_protocol_confusion);
	tcase_add_test(tc, test_unknown_device);
	tcase_add_test(tc, test_new_session_cap);
	tcase_add_test(tc, test_bad_events);
	suite_add_tcase(s, tc);
	return s;
}
