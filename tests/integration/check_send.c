/*
 * Encrypted sending on the test homeserver (issue #15 Step 5): haos's
 * net thread as alice, another haos net thread as dan (who decrypts
 * with the receiving side); bob's device is played by this test with an
 * account of its own (device keys and one-time keys uploaded, to-device
 * messages decrypted), so that what the server carries is checked
 * byte for byte: only m.room.encrypted, keys over Olm, a retry with the
 * same ciphertext, a new session at the 101st message and after a leave.
 */
#include <check.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/net.h"
#include "haos/notify.h"
#include "haos/xmalloc.h"

#include "net_fixture.h"

/* Bob's device, driven by the test. */
struct peer {
	struct hs_user		*u;
	struct crypto_account	*acct;
	struct crypto_olm	*olm[8];	/* inbound, any sender */
	int			 nolm;
	char			*since;
};

/* Upload the device's keys, with notks one-time keys. */
static void
peer_init(struct peer *p, struct hs_user *u, size_t notks)
{
	struct haos_error	 err;
	json_t			*dk, *otks, *signed_otks, *v, *o, *body, *r;
	const char		*k;
	char			*id;
	int			 st;

	memset(p, 0, sizeof *p);
	p->u = u;
	p->acct = crypto_account_new(&err);
	ck_assert_ptr_nonnull(p->acct);
	dk = matrix_device_keys(u->user_id, u->device_id,
	    crypto_account_curve25519(p->acct),
	    crypto_account_ed25519(p->acct));
	ck_assert_int_eq(crypto_sign_json(p->acct, dk, u->user_id,
	    u->device_id, &err), 0);
	if (notks > 0)
		ck_assert_int_eq(crypto_account_generate_otks(p->acct, notks,
		    &err), 0);
	otks = crypto_account_otks(p->acct, &err);
	signed_otks = json_object();
	json_object_foreach(otks, k, v) {
		o = matrix_key_object(json_string_value(v), 0);
		ck_assert_int_eq(crypto_sign_json(p->acct, o, u->user_id,
		    u->device_id, &err), 0);
		id = xasprintf("signed_curve25519:%s", k);
		json_object_set_new(signed_otks, id, o);
		free(id);
	}
	json_decref(otks);
	crypto_account_mark_published(p->acct);
	body = json_pack("{s:o,s:o}", "device_keys", dk, "one_time_keys",
	    signed_otks);
	r = hs_call(&hs, u->token, "POST", "/_matrix/client/v3/keys/upload",
	    body, &st);
	ck_assert_int_eq(st, 200);
	json_decref(r);
	json_decref(body);
}

static void
peer_free(struct peer *p)
{
	int	 i;

	for (i = 0; i < p->nolm; i++)
		crypto_olm_free(p->olm[i]);
	crypto_account_free(p->acct);
	free(p->since);
}

/* Decrypt one Olm message to us: the payload, or NULL. */
static json_t *
peer_olm(struct peer *p, const char *sender_key, int type, const char *body)
{
	struct haos_error	 err;
	struct crypto_olm	*o;
	json_t			*pl;
	char			*pt = NULL;
	size_t			 len;
	int			 i;

	for (i = 0; i < p->nolm && pt == NULL; i++) {
		if (type == 0 && !crypto_olm_matches(p->olm[i], sender_key,
		    body))
			continue;
		pt = crypto_olm_decrypt(p->olm[i], type, body, &len, NULL,
		    &err);
	}
	if (pt == NULL && type == 0) {
		o = crypto_olm_inbound(p->acct, sender_key, body, NULL, &err);
		ck_assert_msg(o != NULL, "inbound: %s", err.msg);
		pt = crypto_olm_decrypt(o, 0, body, &len, NULL, &err);
		ck_assert_ptr_nonnull(pt);
		ck_assert_int_lt(p->nolm, 8);
		p->olm[p->nolm++] = o;
	}
	ck_assert_msg(pt != NULL, "an Olm message bob cannot decrypt");
	pl = json_loads(pt, 0, NULL);
	free(pt);
	return pl;
}

/* The Olm payloads ({type, content}) bob's device got since last. */
static json_t *
peer_room_keys(struct peer *p)
{
	json_t		*r, *evs, *ev, *c, *m, *pl, *out;
	char		*path;
	size_t		 i;
	int		 st;

	out = json_array();
	path = p->since == NULL ? xstrdup("/_matrix/client/v3/sync?timeout=0") :
	    xasprintf("/_matrix/client/v3/sync?timeout=0&since=%s", p->since);
	r = hs_call(&hs, p->u->token, "GET", path, NULL, &st);
	free(path);
	ck_assert_int_eq(st, 200);
	free(p->since);
	p->since = xstrdup(json_get_str(r, "next_batch", ""));
	evs = json_get_arr(json_get_obj(r, "to_device"), "events");
	for (i = 0; i < json_array_size(evs); i++) {
		ev = json_array_get(evs, i);
		if (strcmp(json_get_str(ev, "type", ""), "m.room.encrypted"))
			continue;
		c = json_get_obj(ev, "content");
		m = json_get_obj(json_get_obj(c, "ciphertext"),
		    crypto_account_curve25519(p->acct));
		ck_assert_ptr_nonnull(m);
		pl = peer_olm(p, json_get_str(c, "sender_key", ""),
		    (int)json_get_int(m, "type", -1), json_get_str(m, "body",
		    ""));
		/* Bound to both devices (spec: Olm payload). */
		ck_assert_str_eq(json_get_str(pl, "sender", ""),
		    json_get_str(ev, "sender", "?"));
		ck_assert_str_eq(json_get_str(pl, "recipient", ""),
		    p->u->user_id);
		ck_assert_str_eq(json_get_str(json_get_obj(pl,
		    "recipient_keys"), "ed25519", ""),
		    crypto_account_ed25519(p->acct));
		ck_assert_ptr_nonnull(json_get_str(json_get_obj(pl, "keys"),
		    "ed25519", NULL));
		ck_assert_ptr_nonnull(json_get_obj(pl, "sender_device_keys"));
		json_array_append_new(out, json_pack("{s:s,s:O}", "type",
		    json_get_str(pl, "type", ""), "content", json_get_obj(pl,
		    "content")));
		json_decref(pl);
	}
	json_decref(r);
	return out;
}

/* How many payloads of type. */
static size_t
count_type(json_t *pls, const char *type)
{
	size_t	 i, n = 0;

	for (i = 0; i < json_array_size(pls); i++)
		n += strcmp(json_get_str(json_array_get(pls, i), "type", ""),
		    type) == 0;
	return n;
}

/* The room key of session sid among the payloads, or NULL. */
static const char *
find_key(json_t *pls, const char *sid)
{
	json_t	*c;
	size_t	 i;

	for (i = 0; i < json_array_size(pls); i++) {
		if (strcmp(json_get_str(json_array_get(pls, i), "type", ""),
		    "m.room_key") != 0)
			continue;
		c = json_get_obj(json_array_get(pls, i), "content");
		if (strcmp(json_get_str(c, "session_id", ""), sid) == 0)
			return json_get_str(c, "session_key", NULL);
	}
	return NULL;
}

/* The to-device events of type that u got (all of its syncs so far). */
static size_t
count_to_device(const struct hs_user *u, char **since, const char *type,
    json_t **last)
{
	json_t	*r, *evs;
	char	*path;
	size_t	 i, n = 0;
	int	 st;

	path = *since == NULL ? xstrdup("/_matrix/client/v3/sync?timeout=0") :
	    xasprintf("/_matrix/client/v3/sync?timeout=0&since=%s", *since);
	r = hs_call(&hs, u->token, "GET", path, NULL, &st);
	free(path);
	ck_assert_int_eq(st, 200);
	free(*since);
	*since = xstrdup(json_get_str(r, "next_batch", ""));
	evs = json_get_arr(json_get_obj(r, "to_device"), "events");
	for (i = 0; i < json_array_size(evs); i++) {
		if (strcmp(json_get_str(json_array_get(evs, i), "type", ""),
		    type) != 0)
			continue;
		n++;
		if (last != NULL) {
			json_decref(*last);
			*last = json_incref(json_get_obj(json_array_get(evs, i),
			    "content"));
		}
	}
	json_decref(r);
	return n;
}

/* One text value of sql (with one text parameter), or NULL. */
static char *
db_text(sqlite3 *db, const char *sql, const char *arg)
{
	sqlite3_stmt	*st;
	char		*out = NULL;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static sqlite3 *
db_open(const char *path)
{
	sqlite3	*db;
	char	*v;
	double	 end = now_s() + 20;

	/* The net thread makes the store and its schema first. */
	while (access(path, F_OK) != 0 && now_s() < end)
		usleep(50 * 1000);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	while ((v = db_text(db, "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'to_device_out'", NULL)) != NULL && strcmp(v, "1") != 0 &&
	    now_s() < end) {
		free(v);
		usleep(50 * 1000);
	}
	free(v);
	return db;
}

static void
db_exec(sqlite3 *db, const char *sql)
{
	char	*msg = NULL;

	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK,
	    "%s: %s", sql, msg != NULL ? msg : "");
}

/* Wait until sql (one parameter) gives want. */
static void
db_wait(sqlite3 *db, const char *sql, const char *arg, const char *want,
    double seconds)
{
	double	 end = now_s() + seconds;
	char	*v = NULL;

	for (;;) {
		free(v);
		v = db_text(db, sql, arg);
		if (v != NULL && strcmp(v, want) == 0)
			break;
		ck_assert_msg(now_s() < end, "%s (%s): %s, not %s", sql, arg,
		    v != NULL ? v : "NULL", want);
		usleep(50 * 1000);
	}
	free(v);
}

/* Queue a text message as haos would; wait until the server has it. */
static char *
send_wait(struct net *n, sqlite3 *db, const char *room, const char *text)
{
	struct job	*j;
	json_t		*c;
	char		*body, *txn;

	c = json_pack("{s:s,s:s}", "msgtype", "m.text", "body", text);
	body = json_xdumps_take(c);
	j = net_job_send(room, "m.room.message", body);
	free(body);
	j->txn_id = matrix_txn_id();
	txn = xstrdup(j->txn_id);
	net_submit(n, j);
	db_wait(db, "SELECT state FROM outbox WHERE txn_id = ?1", txn, "sent",
	    20);
	return txn;
}

/* The session id in the wire copy of txn. */
static char *
wire_session(sqlite3 *db, const char *txn)
{
	json_t	*w;
	char	*text, *sid;

	text = db_text(db, "SELECT wire_content FROM outbox WHERE txn_id = ?1",
	    txn);
	ck_assert_ptr_nonnull(text);
	w = json_loads(text, 0, NULL);
	ck_assert_str_eq(json_get_str(w, "algorithm", ""),
	    "m.megolm.v1.aes-sha2");
	sid = xstrdup(json_get_str(w, "session_id", ""));
	json_decref(w);
	free(text);
	return sid;
}

/* The plaintext of the room's newest m.room.encrypted event, as bob. */
static json_t *
newest_decrypted(struct peer *bob, const char *room, const char *key)
{
	struct haos_error	 err;
	struct crypto_megolm_in	*in;
	json_t			*r, *ev, *c, *pl = NULL;
	char			*path, *pt;
	size_t			 i, len;
	uint32_t		 idx;
	int			 st;

	path = xasprintf("/_matrix/client/v3/rooms/%s/messages?dir=b&limit=20",
	    room);
	r = hs_call(&hs, bob->u->token, "GET", path, NULL, &st);
	free(path);
	ck_assert_int_eq(st, 200);
	for (i = 0; i < json_array_size(json_get_arr(r, "chunk")); i++) {
		ev = json_array_get(json_get_arr(r, "chunk"), i);
		/* Never a message in the clear. */
		ck_assert_str_ne(json_get_str(ev, "type", ""),
		    "m.room.message");
		if (pl != NULL || strcmp(json_get_str(ev, "type", ""),
		    "m.room.encrypted") != 0)
			continue;
		c = json_get_obj(ev, "content");
		in = crypto_megolm_in_new(key, &err);
		ck_assert_ptr_nonnull(in);
		pt = crypto_megolm_in_decrypt(in, json_get_str(c, "ciphertext",
		    ""), &len, &idx, NULL, &err);
		ck_assert_msg(pt != NULL, "bob cannot decrypt: %s", err.msg);
		pl = json_loads(pt, 0, NULL);
		free(pt);
		crypto_megolm_in_free(in);
	}
	json_decref(r);
	ck_assert_ptr_nonnull(pl);
	return pl;
}

START_TEST(test_send_encrypted)
{
	struct hs_user		 a, b, c, d;
	struct peer		 bob, carol;
	json_t			*wh = NULL;
	struct notify		*nt;
	struct net		*n, *dn;
	struct notify		*dnt;
	sqlite3			*db, *ddb;
	json_t			*body, *r, *keys, *reqs, *q, *pl, *put[2];
	struct job		*j;
	const char		*key, *path;
	char			*store, *dir, *kp, *la, *lb, *lc, *room, *txn;
	char			*csince = NULL, *ts1, *ts2, *ld, *dstore, *dkp;
	char			*s1, *s2, *s3, *sid, *text, *wire, *msg;
	size_t			 i, nput;
	double			 end;
	int			 st, k;

	la = hs_unique("alice");
	lb = hs_unique("bob");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	ck_assert_int_eq(hs_register(&hs, lb, &b), 0);
	lc = hs_unique("carol");
	ck_assert_int_eq(hs_register(&hs, lc, &c), 0);
	ld = hs_unique("dan");
	ck_assert_int_eq(hs_register(&hs, ld, &d), 0);
	peer_init(&bob, &b, 10);
	peer_init(&carol, &c, 0);	/* no key to claim */
	body = json_pack("{s:s,s:[s,s,s],s:[{s:s,s:s,s:{s:s}}]}", "preset",
	    "private_chat", "invite", b.user_id, c.user_id, d.user_id,
	    "initial_state",
	    "type",
	    "m.room.encryption", "state_key", "", "content", "algorithm",
	    "m.megolm.v1.aes-sha2");
	r = hs_call(&hs, a.token, "POST", "/_matrix/client/v3/createRoom",
	    body, &st);
	ck_assert_int_eq(st, 200);
	room = xstrdup(json_get_str(r, "room_id", ""));
	json_decref(r);
	json_decref(body);
	path = NULL;
	text = xasprintf("/_matrix/client/v3/join/%s", room);
	body = json_object();
	r = hs_call(&hs, b.token, "POST", text, body, &st);
	ck_assert_int_eq(st, 200);
	json_decref(r);
	r = hs_call(&hs, c.token, "POST", text, body, &st);
	ck_assert_int_eq(st, 200);
	json_decref(r);
	r = hs_call(&hs, d.token, "POST", text, body, &st);
	ck_assert_int_eq(st, 200);
	json_decref(r);
	json_decref(body);
	free(text);
	ck_assert_uint_eq(count_to_device(&c, &csince, "m.room_key.withheld",
	    NULL), 0);

	store = tmp_store();
	dir = xstrdup(store);
	*strrchr(dir, '/') = '\0';
	kp = xasprintf("%s/pickle-key", dir);
	nt = notify_new();
	/* Dan runs haos too: his device keys and one-time keys go up. */
	dstore = tmp_store();
	dkp = xstrdup(dstore);
	*strrchr(dkp, '/') = '\0';
	text = dkp;
	dkp = xasprintf("%s/pickle-key", text);
	free(text);
	dnt = notify_new();
	dn = start_net_keys(&d, dstore, dkp, dnt, 10);
	ddb = db_open(dstore);
	db_wait(ddb, "SELECT count(*) >= 1 FROM kv WHERE key = ?1",
	    "olm_device_keys", "1", 20);
	/* Alice's /keys/query answers are slow (see below). */
	ck_assert_int_eq(hs_faults(&hs, "{\"faults\": [{\"action\": "
	    "\"delay\", \"path\": \"/keys/query\", \"ms\": 6000, "
	    "\"count\": 50}]}"), 0);
	n = start_net_keys(&a, store, kp, nt, 10);
	db = db_open(store);
	db_wait(db, "SELECT count(*) FROM rooms WHERE room_id = ?1", room, "1",
	    20);
	keys = peer_room_keys(&bob);	/* nothing yet; a since for later */
	ck_assert_uint_eq(json_array_size(keys), 0);
	json_decref(keys);

	/*
	 * Until the member list is whole and every device list current
	 * (Step 4's /keys/query, slowed down above), the message waits,
	 * unsent and not encrypted.
	 */
	r = hs_call(&hs, NULL, "DELETE", "/_test/requests", NULL, &st);
	json_decref(r);
	body = json_pack("{s:s,s:s}", "msgtype", "m.text", "body", "wait");
	text = json_xdumps_take(body);
	net_submit(n, net_job_send(room, "m.room.message", text));
	free(text);
	sleep(2);
	txn = db_text(db, "SELECT state || ':' || coalesce(wire_content, "
	    "'none') FROM outbox WHERE content LIKE '%wait%'", NULL);
	ck_assert_str_eq(txn, "pending:none");
	free(txn);
	r = hs_call(&hs, NULL, "DELETE", "/_test/faults", NULL, &st);
	json_decref(r);
	/* The whole member list was fetched (the sync lazy-loads it). */
	db_wait(db, "SELECT group_concat(m.membership) FROM members m JOIN "
	    "rooms r ON r.id = m.room WHERE r.room_id = ?1", room,
	    "join,join,join,join", 20);

	/* Then shared with bob, sent encrypted, and bob decrypts it. */
	db_wait(db, "SELECT state FROM outbox WHERE content LIKE '%wait%'",
	    NULL, "sent", 30);
	txn = send_wait(n, db, room, "top secret 1");
	s1 = wire_session(db, txn);
	free(txn);
	keys = peer_room_keys(&bob);
	ck_assert_uint_eq(json_array_size(keys), 1);
	ck_assert_uint_eq(count_type(keys, "m.room_key"), 1);
	key = find_key(keys, s1);
	ck_assert_ptr_nonnull(key);
	ck_assert_str_eq(json_get_str(json_get_obj(json_array_get(keys, 0),
	    "content"), "room_id", ""), room);
	pl = newest_decrypted(&bob, room, key);
	ck_assert_str_eq(json_get_str(pl, "type", ""), "m.room.message");
	ck_assert_str_eq(json_get_str(pl, "room_id", ""), room);
	ck_assert_str_eq(json_get_str(json_get_obj(pl, "content"), "body", ""),
	    "top secret 1");
	json_decref(pl);
	json_decref(keys);
	/* Dan's haos decrypts it into his timeline; alice's reads her echo. */
	db_wait(ddb, "SELECT count(*) FROM events WHERE type = "
	    "'m.room.message' AND e2e = 1 AND json_extract(content, "
	    "'$.body') = ?1", "top secret 1", "1", 20);
	db_wait(db, "SELECT count(*) FROM events WHERE type = "
	    "'m.room.message' AND e2e = 1 AND json_extract(content, "
	    "'$.body') = ?1", "top secret 1", "1", 20);
	/* Carol's device has no key to claim: m.no_olm, in the clear. */
	ck_assert_uint_eq(count_to_device(&c, &csince, "m.room_key.withheld",
	    &wh), 1);
	ck_assert_str_eq(json_get_str(wh, "code", ""), "m.no_olm");
	ck_assert_str_eq(json_get_str(wh, "session_id", ""), s1);
	ck_assert_str_eq(json_get_str(wh, "room_id", ""), room);
	json_decref(wh);

	/* The server saw no plaintext at all, and no room event in clear. */
	reqs = hs_call(&hs, NULL, "GET", "/_test/requests", NULL, &st);
	ck_assert_int_eq(st, 200);
	for (i = 0; i < json_array_size(json_get_arr(reqs, "requests")); i++) {
		q = json_array_get(json_get_arr(reqs, "requests"), i);
		path = json_get_str(q, "path", "");
		text = json_dumps(json_object_get(q, "body"), 0);
		ck_assert_msg(text == NULL || (strstr(text, "top secret") ==
		    NULL && strstr(text, "\"wait\"") == NULL),
		    "plaintext in %s", path);
		free(text);
		if (strstr(path, "/send/") != NULL)
			ck_assert_msg(strstr(path, "/send/m.room.encrypted/") !=
			    NULL, "%s", path);
	}
	json_decref(reqs);

	/* A retry sends the stored ciphertext again: same txn, same bytes. */
	r = hs_call(&hs, NULL, "DELETE", "/_test/requests", NULL, &st);
	json_decref(r);
	ck_assert_int_eq(hs_faults(&hs, "{\"faults\": [{\"action\": "
	    "\"status\", \"method\": \"PUT\", \"path\": "
	    "\"/send/m.room.encrypted/\", \"status\": 500, \"count\": 1}]}"),
	    0);
	txn = send_wait(n, db, room, "retry me");
	wire = db_text(db, "SELECT wire_content FROM outbox WHERE txn_id = ?1",
	    txn);
	reqs = hs_call(&hs, NULL, "GET", "/_test/requests", NULL, &st);
	nput = 0;
	for (i = 0; i < json_array_size(json_get_arr(reqs, "requests")); i++) {
		q = json_array_get(json_get_arr(reqs, "requests"), i);
		path = json_get_str(q, "path", "");
		if (strstr(path, "/send/") == NULL)
			continue;
		ck_assert_msg(strstr(path, txn) != NULL, "%s", path);
		ck_assert_uint_lt(nput, 2);
		put[nput++] = json_object_get(q, "body");
	}
	ck_assert_uint_eq(nput, 2);
	ck_assert(json_equal(put[0], put[1]));
	body = json_loads(wire, 0, NULL);
	ck_assert(json_equal(put[0], body));
	json_decref(body);
	json_decref(reqs);
	free(wire);
	sid = wire_session(db, txn);
	ck_assert_str_eq(sid, s1);
	free(sid);
	free(txn);
	/* Three messages, three indexes: the retry did not encrypt again. */
	text = db_text(db, "SELECT msg_count FROM megolm_out WHERE room_id = "
	    "?1", room);
	ck_assert_str_eq(text, "3");
	free(text);

	/*
	 * Stopped after the encryption, its PUT still out: the next start
	 * sends the stored ciphertext under the same txn id, and the
	 * session does not move on (E2EE.md 0.6, riot-android#764).
	 */
	r = hs_call(&hs, NULL, "DELETE", "/_test/requests", NULL, &st);
	json_decref(r);
	ck_assert_int_eq(hs_faults(&hs, "{\"faults\": [{\"action\": "
	    "\"delay\", \"method\": \"PUT\", \"path\": "
	    "\"/send/m.room.encrypted/\", \"ms\": 3000, \"count\": 1}]}"),
	    0);
	body = json_pack("{s:s,s:s}", "msgtype", "m.text", "body",
	    "across a restart");
	text = json_xdumps_take(body);
	j = net_job_send(room, "m.room.message", text);
	free(text);
	j->txn_id = matrix_txn_id();
	txn = xstrdup(j->txn_id);
	net_submit(n, j);
	db_wait(db, "SELECT state || (wire_content IS NOT NULL) FROM outbox "
	    "WHERE txn_id = ?1", txn, "sending1", 20);
	usleep(300 * 1000);	/* the PUT is out, held by the server */
	net_stop(n);
	n = start_net_keys(&a, store, kp, nt, 10);
	db_wait(db, "SELECT state FROM outbox WHERE txn_id = ?1", txn, "sent",
	    30);
	wire = db_text(db, "SELECT wire_content FROM outbox WHERE txn_id = ?1",
	    txn);
	sleep(3);	/* the held request is logged once it has run */
	reqs = hs_call(&hs, NULL, "GET", "/_test/requests", NULL, &st);
	nput = 0;
	for (i = 0; i < json_array_size(json_get_arr(reqs, "requests")); i++) {
		q = json_array_get(json_get_arr(reqs, "requests"), i);
		path = json_get_str(q, "path", "");
		if (strstr(path, "/send/") == NULL)
			continue;
		ck_assert_msg(strstr(path, txn) != NULL, "%s", path);
		ck_assert_uint_lt(nput, 2);
		put[nput++] = json_object_get(q, "body");
	}
	ck_assert_uint_eq(nput, 2);
	body = json_loads(wire, 0, NULL);
	ck_assert(json_equal(put[0], body));
	ck_assert(json_equal(put[1], body));
	json_decref(body);
	json_decref(reqs);
	free(wire);
	free(txn);
	text = db_text(db, "SELECT msg_count FROM megolm_out WHERE room_id = "
	    "?1", room);
	ck_assert_str_eq(text, "4");
	free(text);

	/* The 101st message of a session goes with a new one. */
	for (k = 5; k <= 100; k++) {
		msg = xasprintf("message %d", k);
		txn = send_wait(n, db, room, msg);
		sid = wire_session(db, txn);
		ck_assert_msg(strcmp(sid, s1) == 0, "%s: new session", msg);
		free(sid);
		free(txn);
		free(msg);
	}
	txn = send_wait(n, db, room, "message 101");
	s2 = wire_session(db, txn);
	free(txn);
	ck_assert_str_ne(s2, s1);
	keys = peer_room_keys(&bob);
	key = find_key(keys, s2);
	ck_assert_ptr_nonnull(key);
	pl = newest_decrypted(&bob, room, key);
	ck_assert_str_eq(json_get_str(json_get_obj(pl, "content"), "body", ""),
	    "message 101");
	json_decref(pl);
	json_decref(keys);
	db_wait(ddb, "SELECT count(*) FROM events WHERE type = "
	    "'m.room.message' AND e2e = 1 AND json_extract(content, "
	    "'$.body') = ?1", "message 101", "1", 20);

	/* Bob leaves: the next message has a session bob never receives. */
	text = xasprintf("/_matrix/client/v3/rooms/%s/leave", room);
	body = json_object();
	r = hs_call(&hs, b.token, "POST", text, body, &st);
	ck_assert_int_eq(st, 200);
	json_decref(r);
	json_decref(body);
	free(text);
	db_wait(db, "SELECT m.membership FROM members m JOIN rooms r ON "
	    "r.id = m.room WHERE m.user_id = ?1", b.user_id, "leave", 20);
	txn = send_wait(n, db, room, "after bob left");
	s3 = wire_session(db, txn);
	free(txn);
	ck_assert_str_ne(s3, s2);
	ck_assert_str_ne(s3, s1);
	/* Dan, still in the room, has the new session. */
	db_wait(ddb, "SELECT count(*) FROM events WHERE type = "
	    "'m.room.message' AND e2e = 1 AND json_extract(content, "
	    "'$.body') = ?1", "after bob left", "1", 20);
	keys = peer_room_keys(&bob);
	ck_assert_ptr_null(find_key(keys, s3));
	ck_assert_uint_eq(json_array_size(keys), 0);
	json_decref(keys);
	text = sqlite3_mprintf("SELECT group_concat(user_id) FROM "
	    "megolm_out_shared WHERE session_id = ?1 AND withheld_code IS "
	    "NULL AND user_id != %Q", d.user_id);
	ts1 = db_text(db, text, s3);
	ck_assert_ptr_null(ts1);	/* dan only: bob got nothing */
	sqlite3_free(text);
	/* m.no_olm went to carol once, not once per session. */
	ck_assert_uint_eq(count_to_device(&c, &csince, "m.room_key.withheld",
	    NULL), 0);

	/*
	 * Step 6: bob's device marked wedged (as the receiving side does):
	 * a new Olm session from a claimed key and an m.dummy over it, the
	 * mark cleared; marked again within the hour: cleared, nothing sent.
	 */
	k = bob.nolm;
	text = sqlite3_mprintf("INSERT INTO olm_wedged (peer_curve25519, "
	    "user_id, device_id) VALUES (%Q, %Q, %Q)",
	    crypto_account_curve25519(bob.acct), b.user_id, b.device_id);
	db_exec(db, text);
	sqlite3_free(text);
	db_wait(db, "SELECT pending FROM olm_wedged WHERE user_id = ?1",
	    b.user_id, "0", 20);
	ts1 = db_text(db, "SELECT last_new_session_ts FROM olm_wedged WHERE "
	    "user_id = ?1", b.user_id);
	ck_assert_msg(ts1 != NULL && atoll(ts1) > 0, "no new session time");
	end = now_s() + 10;
	keys = peer_room_keys(&bob);
	while (count_type(keys, "m.dummy") == 0 && now_s() < end) {
		json_decref(keys);
		usleep(100 * 1000);
		keys = peer_room_keys(&bob);
	}
	ck_assert_uint_eq(count_type(keys, "m.dummy"), 1);
	ck_assert_uint_eq(json_array_size(keys), 1);
	ck_assert_int_eq(bob.nolm, k + 1);	/* over a new session */
	json_decref(keys);
	db_exec(db, "UPDATE olm_wedged SET pending = 1");
	db_wait(db, "SELECT pending FROM olm_wedged WHERE user_id = ?1",
	    b.user_id, "0", 20);
	ts2 = db_text(db, "SELECT last_new_session_ts FROM olm_wedged WHERE "
	    "user_id = ?1", b.user_id);
	ck_assert_str_eq(ts2, ts1);
	usleep(500 * 1000);
	keys = peer_room_keys(&bob);
	ck_assert_uint_eq(json_array_size(keys), 0);
	json_decref(keys);
	free(ts1);
	free(ts2);

	net_stop(n);
	net_stop(dn);
	sqlite3_close(db);
	sqlite3_close(ddb);
	notify_free(dnt);
	hs_user_free(&d);
	free(ld);
	free(dstore);
	free(dkp);
	notify_free(nt);
	peer_free(&bob);
	peer_free(&carol);
	hs_user_free(&a);
	hs_user_free(&b);
	hs_user_free(&c);
	free(lc);
	free(csince);
	free(s1);
	free(s2);
	free(s3);
	free(room);
	free(kp);
	free(dir);
	free(store);
	free(la);
	free(lb);
}
END_TEST

/*
 * A message for a room the store does not have (its encryption is not
 * known) waits: nothing goes to the server, in the clear or otherwise,
 * and it goes once the room is there.
 */
START_TEST(test_send_unknown_room)
{
	struct hs_user		 a, b;
	struct notify		*nt;
	struct net		*n;
	sqlite3			*db;
	json_t			*r, *reqs, *q, *body;
	char			*store, *la, *lb, *room, *text;
	const char		*path;
	size_t			 i, sends;
	int			 st;

	la = hs_unique("alice");
	lb = hs_unique("bob");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	ck_assert_int_eq(hs_register(&hs, lb, &b), 0);
	/* Bob's room: alice is not in it, her store cannot know it. */
	r = hs_call(&hs, b.token, "POST", "/_matrix/client/v3/createRoom",
	    NULL, &st);
	ck_assert_int_eq(st, 200);
	room = xstrdup(json_get_str(r, "room_id", ""));
	json_decref(r);
	store = tmp_store();
	nt = notify_new();
	n = start_net(&a, store, nt, 10);
	db = db_open(store);
	db_wait(db, "SELECT count(*) >= 1 FROM sync_token WHERE ?1 = ?1", "x",
	    "1", 20);
	r = hs_call(&hs, NULL, "DELETE", "/_test/requests", NULL, &st);
	json_decref(r);
	text = xstrdup("{\"msgtype\":\"m.text\",\"body\":\"early\"}");
	net_submit(n, net_job_send(room, "m.room.message", text));
	free(text);
	sleep(2);
	reqs = hs_call(&hs, NULL, "GET", "/_test/requests", NULL, &st);
	for (sends = 0, i = 0; i < json_array_size(json_get_arr(reqs,
	    "requests")); i++) {
		q = json_array_get(json_get_arr(reqs, "requests"), i);
		path = json_get_str(q, "path", "");
		sends += strstr(path, "/send/") != NULL;
	}
	json_decref(reqs);
	ck_assert_msg(sends == 0, "sent into a room the store did not have");
	/* Invited and joined: the room is stored, and the message goes. */
	body = json_pack("{s:s}", "user_id", a.user_id);
	text = xasprintf("/_matrix/client/v3/rooms/%s/invite", room);
	r = hs_call(&hs, b.token, "POST", text, body, &st);
	ck_assert_int_eq(st, 200);
	json_decref(r);
	json_decref(body);
	free(text);
	text = xasprintf("/_matrix/client/v3/join/%s", room);
	body = json_object();
	r = hs_call(&hs, a.token, "POST", text, body, &st);
	ck_assert_int_eq(st, 200);
	json_decref(r);
	json_decref(body);
	free(text);
	db_wait(db, "SELECT count(*) FROM outbox WHERE room_id = ?1 AND "
	    "state = 'sent'", room, "1", 30);
	net_stop(n);
	sqlite3_close(db);
	notify_free(nt);
	hs_user_free(&a);
	hs_user_free(&b);
	free(room);
	free(store);
	free(la);
	free(lb);
}
END_TEST

Suite *
suite_send(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("send");
	tc = tcase_create("encrypted");
	tcase_add_checked_fixture(tc, net_fixture_setup,
	    net_fixture_teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_send_encrypted);
	tcase_add_test(tc, test_send_unknown_room);
	suite_add_tcase(s, tc);
	return s;
}
