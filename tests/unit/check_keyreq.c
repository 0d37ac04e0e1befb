/*
 * Room key requests and forwarded keys (E2EE.md Step 11, §E.8) against
 * a real store: our own devices and another user made in the test send
 * real Olm to-device events through ingest.  A forward is taken only
 * when we asked that very verified device of ours for that session,
 * and only if it is better than what we hold; a request is answered
 * only for our own verified devices (from the first index we know) or
 * a device we shared the session with (from the index it was given).
 */
#include "check_haos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/crypto-keyreq.h"
#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/model.h"
#include "haos/store-keyreq.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "../../src/store-int.h"

#define ME	"@me:haos.test"
#define BOB	"@bob:haos.test"
#define ROOM	"!room:haos.test"
#define MEGOLM	"m.megolm.v1.aes-sha2"
#define OLM	"m.olm.v1.curve25519-aes-sha2"
#define NOTKS	10

static char			*dir, *keypath, *logpath;
static struct store		*st;
static struct crypto_keys	*me;
static char			*otks[NOTKS];
static int			 next_otk, batch;

/* A device the test drives: ours, or another user's. */
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

static int64_t
num(const char *q, const char *arg)
{
	struct haos_error	 err;
	int64_t			 v = -1;

	ck_assert(store_get_int64(st, &err, "test", q, &v, "t", arg) != -1);
	return v;
}

static char *
text(const char *q, const char *arg)
{
	struct haos_error	 err;
	char			*v = NULL;

	ck_assert(store_get_text(st, &err, "test", q, &v, "t", arg) != -1);
	return v;
}

static void
setup(void)
{
	struct haos_error	 err;
	struct crypto_account	*a;
	json_t			*keys, *v;
	const char		*k;
	char			*path;
	int			 i = 0;

	dir = test_tmpdir();
	keypath = xasprintf("%s/pickle-key", dir);
	logpath = xasprintf("%s/log", dir);
	ck_assert_int_eq(log_open(logpath, LOG_DEBUG), 0);
	path = xasprintf("%s/cache.db", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	free(path);
	me = crypto_keys_open(st, keypath, ME, "MYDEV", &err);
	ck_assert_msg(me != NULL, "%s", err.msg);
	store_set_crypto(st, me);
	a = crypto_keys_account_rw(me);
	ck_assert_int_eq(crypto_account_generate_otks(a, NOTKS, &err), 0);
	keys = crypto_account_otks(a, &err);
	json_object_foreach(keys, k, v)
		otks[i++] = xstrdup(json_string_value(v));
	json_decref(keys);
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

	store_set_crypto(st, NULL);
	crypto_keys_free(me);
	store_close(st);
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

/* A device in table devices as /keys/query stores it; verified or not. */
static void
peer_new(struct peer *p, const char *user, const char *device,
    int verified)
{
	struct haos_error	 err;
	char			*q;

	memset(p, 0, sizeof *p);
	p->acct = crypto_account_new(&err);
	ck_assert_ptr_nonnull(p->acct);
	p->user = user;
	p->device = device;
	p->mg = crypto_megolm_out_new(&err);
	q = xasprintf("INSERT INTO devices (user_id, device_id, ed25519, "
	    "curve25519, keys_json, local_trust) VALUES ('%s', '%s', '%s', "
	    "'%s', '{}', %d)", user, device, crypto_account_ed25519(p->acct),
	    crypto_account_curve25519(p->acct), verified);
	sql(q);
	free(q);
}

static void
peer_free(struct peer *p)
{
	crypto_olm_free(p->olm);
	crypto_megolm_out_free(p->mg);
	crypto_account_free(p->acct);
}

/* content (taken) as p's Olm payload of type, as a to-device event. */
static json_t *
olm_event(struct peer *p, const char *type, json_t *content)
{
	struct haos_error	 err;
	json_t			*pl, *ev;
	char			*s, *body;
	int			 t;

	pl = json_pack("{s:s,s:o,s:s,s:s,s:{s:s},s:{s:s}}", "type", type,
	    "content", content, "sender", p->user, "recipient", ME,
	    "recipient_keys", "ed25519",
	    crypto_account_ed25519(crypto_keys_account(me)), "keys",
	    "ed25519", crypto_account_ed25519(p->acct));
	if (p->olm == NULL)
		p->olm = crypto_olm_outbound(p->acct,
		    crypto_account_curve25519(crypto_keys_account(me)),
		    otks[next_otk++], &err);
	ck_assert_ptr_nonnull(p->olm);
	s = json_dumps(pl, JSON_COMPACT);
	json_decref(pl);
	t = crypto_olm_encrypt(p->olm, s, strlen(s), &body, &err);
	ck_assert_int_ge(t, 0);
	free(s);
	ev = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:{s:i,s:s}}}}", "type",
	    "m.room.encrypted", "sender", p->user, "content", "algorithm",
	    OLM, "sender_key", crypto_account_curve25519(p->acct),
	    "ciphertext", crypto_account_curve25519(crypto_keys_account(me)),
	    "type", t, "body", body);
	free(body);
	return ev;
}

/* p's Megolm message body in ROOM as event event_id. */
static json_t *
megolm_event(struct peer *p, const char *event_id, const char *body)
{
	struct haos_error	 err;
	json_t			*pt, *ev;
	char			*s, *ct;

	pt = json_pack("{s:s,s:{s:s,s:s},s:s}", "type", "m.room.message",
	    "content", "msgtype", "m.text", "body", body, "room_id", ROOM);
	s = json_dumps(pt, JSON_COMPACT);
	json_decref(pt);
	ct = crypto_megolm_out_encrypt(p->mg, s, strlen(s), &err);
	ck_assert_ptr_nonnull(ct);
	free(s);
	ev = json_pack("{s:s,s:s,s:s,s:I,s:{s:s,s:s,s:s,s:s,s:s}}", "type",
	    "m.room.encrypted", "event_id", event_id, "sender", p->user,
	    "origin_server_ts", (json_int_t)1700000000000LL + batch,
	    "content", "algorithm", MEGOLM, "sender_key",
	    crypto_account_curve25519(p->acct), "ciphertext", ct,
	    "session_id", crypto_megolm_out_id(p->mg), "device_id", p->device);
	free(ct);
	return ev;
}

/* The export of p's session from its current index. */
static char *
export_now(struct peer *p)
{
	struct haos_error	 err;
	struct crypto_megolm_in	*in;
	char			*key, *exp;

	key = crypto_megolm_out_key(p->mg, &err);
	in = crypto_megolm_in_new(key, &err);
	ck_assert_ptr_nonnull(in);
	exp = crypto_megolm_in_export(in, crypto_megolm_in_first_index(in),
	    &err);
	ck_assert_ptr_nonnull(exp);
	crypto_megolm_in_free(in);
	free(key);
	return exp;
}

/* The m.forwarded_room_key of origin's session, exported as exp. */
static json_t *
forward(struct peer *origin, const char *exp)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[]}", "algorithm",
	    MEGOLM, "room_id", ROOM, "sender_key",
	    crypto_account_curve25519(origin->acct), "session_id",
	    crypto_megolm_out_id(origin->mg), "session_key", exp,
	    "sender_claimed_ed25519_key", crypto_account_ed25519(origin->acct),
	    "forwarding_curve25519_key_chain");
}

/* The m.room_key of p's session from its current index. */
static json_t *
room_key(struct peer *p)
{
	struct haos_error	 err;
	char			*key;
	json_t			*c;

	key = crypto_megolm_out_key(p->mg, &err);
	c = json_pack("{s:s,s:s,s:s,s:s}", "algorithm", MEGOLM, "room_id",
	    ROOM, "session_id", crypto_megolm_out_id(p->mg), "session_key",
	    key);
	free(key);
	return c;
}

/* One /sync of to-device events td and timeline tl (each taken or NULL). */
static void
sync_in(json_t *td, json_t *tl)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*j;
	char			*nb;

	nb = xasprintf("s%d", ++batch);
	j = json_pack("{s:s}", "next_batch", nb);
	free(nb);
	if (td != NULL)
		json_object_set_new(j, "to_device", json_pack("{s:o}",
		    "events", td));
	if (tl != NULL)
		json_object_set_new(j, "rooms", json_pack("{s:{s:{s:{s:o}}}}",
		    "join", ROOM, "timeline", "events", tl));
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	json_decref(j);
	ingest_result_free(&res);
}

/* Our request for bob's session to the devices of the JSON array. */
static void
asked(struct peer *bob, const char *devices)
{
	struct haos_error	 err;
	struct store_keyreq	 r;

	memset(&r, 0, sizeof r);
	r.request_id = (char *)"REQ1";
	r.room_id = (char *)ROOM;
	r.session_id = (char *)crypto_megolm_out_id(bob->mg);
	r.sender_key = (char *)crypto_account_curve25519(bob->acct);
	r.devices = (char *)devices;
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_keyreq_add(st, &r, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
}

static int64_t
e2e(const char *event_id)
{
	return num("SELECT e2e FROM events WHERE event_id = ?1", event_id);
}

static char *
body_of(const char *event_id)
{
	return text("SELECT json_extract(content, '$.body') FROM events "
	    "WHERE event_id = ?1", event_id);
}

/*
 * The world of most tests: bob's message $m1 waits for its key; our
 * own device OWNDEV (verified) is there; exp is bob's key from index 0.
 */
static char *
world(struct peer *bob, struct peer *own)
{
	char	*exp;

	peer_new(bob, BOB, "BOBDEV", 0);
	peer_new(own, ME, "OWNDEV", 1);
	exp = export_now(bob);
	sync_in(NULL, json_pack("[o]", megolm_event(bob, "$m1", "hidden")));
	ck_assert_int_eq(e2e("$m1"), E2E_WAITING);
	return exp;
}

/* What we asked for comes from the device we asked: it decrypts. */
START_TEST(test_forward_accepted)
{
	struct peer	 bob, own;
	char		*exp, *b, *src;

	exp = world(&bob, &own);
	asked(&bob, "[\"OWNDEV\"]");
	sync_in(json_pack("[o]", olm_event(&own, "m.forwarded_room_key",
	    forward(&bob, exp))), NULL);
	ck_assert_int_eq(e2e("$m1"), E2E_DECRYPTED);
	b = body_of("$m1");
	ck_assert_str_eq(b, "hidden");
	free(b);
	src = text("SELECT source || ' ' || authenticated || ' ' || "
	    "sender_user FROM megolm_in WHERE room_id = ?1", ROOM);
	ck_assert_str_eq(src, "forwarded 0 " BOB);
	free(src);
	ck_assert_int_eq(num("SELECT count(*) FROM undecryptable WHERE "
	    "room_id = ?1", ROOM), 0);
	free(exp);
	peer_free(&bob);
	peer_free(&own);
}
END_TEST

/* Nothing of a forward is kept: $m1 still waits. */
static void
refused(void)
{
	ck_assert_int_eq(e2e("$m1"), E2E_WAITING);
	ck_assert_int_eq(num("SELECT count(*) FROM megolm_in WHERE room_id = "
	    "?1", ROOM), 0);
}

START_TEST(test_forward_unsolicited)
{
	struct peer	 bob, own;
	char		*exp;

	exp = world(&bob, &own);
	sync_in(json_pack("[o]", olm_event(&own, "m.forwarded_room_key",
	    forward(&bob, exp))), NULL);
	refused();
	free(exp);
	peer_free(&bob);
	peer_free(&own);
}
END_TEST

START_TEST(test_forward_other_user)
{
	struct peer	 bob, own, eve;
	char		*exp;

	exp = world(&bob, &own);
	peer_new(&eve, "@eve:haos.test", "OWNDEV", 1);
	asked(&bob, "[\"OWNDEV\"]");
	sync_in(json_pack("[o]", olm_event(&eve, "m.forwarded_room_key",
	    forward(&bob, exp))), NULL);
	refused();
	free(exp);
	peer_free(&bob);
	peer_free(&own);
	peer_free(&eve);
}
END_TEST

START_TEST(test_forward_unverified)
{
	struct peer	 bob, own, other;
	char		*exp;

	exp = world(&bob, &own);
	peer_new(&other, ME, "OTHERDEV", 0);
	asked(&bob, "[\"OWNDEV\", \"OTHERDEV\"]");
	sync_in(json_pack("[o]", olm_event(&other, "m.forwarded_room_key",
	    forward(&bob, exp))), NULL);
	refused();
	free(exp);
	peer_free(&bob);
	peer_free(&own);
	peer_free(&other);
}
END_TEST

START_TEST(test_forward_not_asked)
{
	struct peer	 bob, own, other;
	char		*exp;

	exp = world(&bob, &own);
	peer_new(&other, ME, "OTHERDEV", 1);
	asked(&bob, "[\"OWNDEV\"]");
	sync_in(json_pack("[o]", olm_event(&other, "m.forwarded_room_key",
	    forward(&bob, exp))), NULL);
	refused();
	/* The request stays open: the device asked may still answer. */
	sync_in(json_pack("[o]", olm_event(&own, "m.forwarded_room_key",
	    forward(&bob, exp))), NULL);
	ck_assert_int_eq(e2e("$m1"), E2E_DECRYPTED);
	free(exp);
	peer_free(&bob);
	peer_free(&own);
	peer_free(&other);
}
END_TEST

START_TEST(test_forward_in_clear)
{
	struct peer	 bob, own;
	char		*exp;

	exp = world(&bob, &own);
	asked(&bob, "[\"OWNDEV\"]");
	sync_in(json_pack("[{s:s,s:s,s:o}]", "type", "m.forwarded_room_key",
	    "sender", ME, "content", forward(&bob, exp)), NULL);
	refused();
	free(exp);
	peer_free(&bob);
	peer_free(&own);
}
END_TEST

/*
 * An authenticated session from index 1 (bob's m.room_key after $m1) is
 * never replaced by a forward from index 1 or 2; one from index 0 (a
 * lower index) is taken, and $m1 decrypts.
 */
START_TEST(test_forward_never_worse)
{
	struct peer	 bob, own;
	json_t		*rk;
	char		*exp0, *exp1, *exp2, *src;

	exp0 = world(&bob, &own);
	asked(&bob, "[\"OWNDEV\"]");
	exp1 = export_now(&bob);
	rk = olm_event(&bob, "m.room_key", room_key(&bob));
	sync_in(json_pack("[o]", rk), json_pack("[o]", megolm_event(&bob,
	    "$m2", "second")));
	exp2 = export_now(&bob);
	ck_assert_int_eq(e2e("$m2"), E2E_DECRYPTED);
	ck_assert_int_eq(e2e("$m1"), E2E_UNKNOWN_INDEX);
	sync_in(json_pack("[oo]", olm_event(&own, "m.forwarded_room_key",
	    forward(&bob, exp1)), olm_event(&own, "m.forwarded_room_key",
	    forward(&bob, exp2))), NULL);
	src = text("SELECT source || ' ' || authenticated || ' ' || "
	    "first_known_index FROM megolm_in WHERE room_id = ?1", ROOM);
	ck_assert_str_eq(src, "room_key 1 1");
	free(src);
	ck_assert_int_eq(e2e("$m1"), E2E_UNKNOWN_INDEX);
	sync_in(json_pack("[o]", olm_event(&own, "m.forwarded_room_key",
	    forward(&bob, exp0))), NULL);
	src = text("SELECT source || ' ' || authenticated || ' ' || "
	    "first_known_index FROM megolm_in WHERE room_id = ?1", ROOM);
	ck_assert_str_eq(src, "forwarded 0 0");
	free(src);
	ck_assert_int_eq(e2e("$m1"), E2E_DECRYPTED);
	ck_assert_int_eq(e2e("$m2"), E2E_DECRYPTED);
	free(exp0);
	free(exp1);
	free(exp2);
	peer_free(&bob);
	peer_free(&own);
}
END_TEST

/* A request in clear of user's device for bob's session. */
static json_t *
request(const char *user, const char *device, const char *rid,
    struct peer *bob, const char *action)
{
	return json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s}}}",
	    "type", "m.room_key_request", "sender", user, "content", "action", action,
	    "requesting_device_id", device, "request_id", rid, "body",
	    "algorithm", MEGOLM, "room_id", ROOM, "session_id",
	    crypto_megolm_out_id(bob->mg), "sender_key",
	    crypto_account_curve25519(bob->acct));
}

/* The code of the last answer that was a withheld reply, or "". */
static char	withheld_code[32];

/*
 * The answer to the kept request rid: its first index, -1 if none, -2
 * if a withheld reply (its code in withheld_code).
 */
static int64_t
answer(const char *rid)
{
	struct haos_error	 err;
	struct store_keyreq_in	*rows;
	struct crypto_megolm_in	*in;
	json_t			*c = NULL;
	size_t			 n, i;
	int64_t			 idx = -1;
	int			 rc;

	ck_assert_int_eq(store_keyreq_in_list(st, 100, &rows, &n, &err), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].request_id, rid) == 0)
			break;
	}
	ck_assert_msg(i < n, "request %s not kept", rid);
	rc = crypto_keyreq_answer(me, st, &rows[i], &c, &err);
	ck_assert_int_ne(rc, -1);
	if (rc == 1) {
		ck_assert_str_eq(json_get_str(c, "room_id", ""), ROOM);
		ck_assert_str_eq(json_get_str(c, "session_id", ""),
		    rows[i].session_id);
		ck_assert_str_eq(json_get_str(c, "algorithm", ""), MEGOLM);
		ck_assert(json_is_array(json_object_get(c,
		    "forwarding_curve25519_key_chain")));
		in = crypto_megolm_in_import(json_get_str(c, "session_key",
		    ""), &err);
		ck_assert_ptr_nonnull(in);
		idx = crypto_megolm_in_first_index(in);
		crypto_megolm_in_free(in);
	} else if (rc == 2) {
		/* In clear, as js-sdk parses it: no key inside. */
		ck_assert_str_eq(json_get_str(c, "room_id", ""), ROOM);
		ck_assert_str_eq(json_get_str(c, "session_id", ""),
		    rows[i].session_id);
		ck_assert_str_eq(json_get_str(c, "algorithm", ""), MEGOLM);
		ck_assert_str_ne(json_get_str(c, "sender_key", ""), "");
		ck_assert_str_ne(json_get_str(c, "reason", ""), "");
		ck_assert_ptr_null(json_object_get(c, "session_key"));
		snprintf(withheld_code, sizeof withheld_code, "%s",
		    json_get_str(c, "code", ""));
		idx = -2;
	} else
		ck_assert_ptr_null(c);
	crypto_keyreq_content_free(c);
	store_keyreq_in_free(rows, n);
	return idx;
}

/*
 * Our own verified device gets bob's session from the first index we
 * know (1); a device we gave it at index 3 gets it from 3; an unverified
 * own device, another user's device and a device we never gave it get
 * nothing; our own device's request is not even kept.  A cancellation
 * removes the request.
 */
START_TEST(test_answer_policy)
{
	struct peer		 bob, own, other, carol;
	char			*q, *exp;

	exp = world(&bob, &own);
	free(exp);
	peer_new(&other, ME, "OTHERDEV", 0);
	peer_new(&carol, "@carol:haos.test", "CAROLDEV", 1);
	sync_in(json_pack("[o]", olm_event(&bob, "m.room_key",
	    room_key(&bob))), NULL);
	q = xasprintf("INSERT INTO megolm_out_shared (session_id, user_id, "
	    "device_id, first_index) VALUES ('%s', '@carol:haos.test', "
	    "'CAROLDEV', 3)", crypto_megolm_out_id(bob.mg));
	sql(q);
	free(q);
	sync_in(json_pack("[ooooo]", request(ME, "OWNDEV", "r-own", &bob,
	    "request"), request(ME, "OTHERDEV", "r-other", &bob, "request"),
	    request("@carol:haos.test", "CAROLDEV", "r-carol", &bob,
	    "request"), request("@dave:haos.test", "DAVEDEV", "r-dave", &bob,
	    "request"), request(ME, "MYDEV", "r-me", &bob, "request")), NULL);
	ck_assert_int_eq(num("SELECT count(*) FROM key_requests_in WHERE "
	    "request_id != ?1", ""), 4);
	ck_assert_int_eq(answer("r-own"), 1);
	ck_assert_int_eq(answer("r-carol"), 3);
	/* Our unverified device is told m.unverified, a stranger nothing. */
	ck_assert_int_eq(answer("r-other"), -2);
	ck_assert_str_eq(withheld_code, "m.unverified");
	ck_assert_int_eq(answer("r-dave"), -1);
	/* Carol's device without the shared row: nothing. */
	sql("DELETE FROM megolm_out_shared");
	ck_assert_int_eq(answer("r-carol"), -1);
	/*
	 * Our own verified device, for a session we do not hold but an
	 * event waits for: m.unavailable; another user's: nothing.
	 */
	sql("DELETE FROM megolm_in");
	q = xasprintf("INSERT OR IGNORE INTO undecryptable (event_id, "
	    "room_id, session_id, reason, since_ts) VALUES ('$m1', '%s', "
	    "'%s', 0, 0)",
	    ROOM, crypto_megolm_out_id(bob.mg));
	sql(q);
	free(q);
	ck_assert_int_eq(answer("r-own"), -2);
	ck_assert_str_eq(withheld_code, "m.unavailable");
	ck_assert_int_eq(answer("r-carol"), -1);
	/* Not even our device is told when no sender key is known. */
	sql("DELETE FROM undecryptable");
	ck_assert_int_eq(answer("r-own"), -1);
	sync_in(json_pack("[o]", request(ME, "OWNDEV", "r-own", &bob,
	    "request_cancellation")), NULL);
	ck_assert_int_eq(num("SELECT count(*) FROM key_requests_in WHERE "
	    "request_id = ?1", "r-own"), 0);
	peer_free(&bob);
	peer_free(&own);
	peer_free(&other);
	peer_free(&carol);
}
END_TEST

/*
 * What is asked for: a waiting session of the window, not asked before,
 * never while a trusted backup exists; done once nothing waits for it.
 */
START_TEST(test_wanted)
{
	struct haos_error	 err;
	struct store_keyreq	*rows;
	struct peer		 bob, own;
	char			**ids;
	size_t			 n;
	json_t			*c;
	char			*exp;

	exp = world(&bob, &own);
	ck_assert_int_eq(store_keyreq_wanted(st, 0, 10, &rows, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rows[0].session_id, crypto_megolm_out_id(bob.mg));
	ck_assert_str_eq(rows[0].sender_key,
	    crypto_account_curve25519(bob.acct));
	store_keyreq_free(rows, n);
	/* Too old for the window. */
	ck_assert_int_eq(store_keyreq_wanted(st, 1800000000000LL, 10, &rows,
	    &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	store_keyreq_free(rows, n);
	/* A trusted backup restores it instead. */
	sql("INSERT INTO key_backup (id, version, algorithm, auth_data, "
	    "trusted, updated_ts) VALUES (1, '1', 'x', '{}', 1, 0)");
	ck_assert_int_eq(store_keyreq_wanted(st, 0, 10, &rows, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	store_keyreq_free(rows, n);
	sql("UPDATE key_backup SET trusted = 0");
	/* Our verified other devices only. */
	peer_free(&own);
	peer_new(&own, ME, "UNVERIFIED", 0);
	ck_assert_int_eq(store_keyreq_own_devices(st, ME, "MYDEV", &ids, &n,
	    &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ids[0], "OWNDEV");
	free(ids[0]);
	free(ids);
	/* Asked once. */
	asked(&bob, "[\"OWNDEV\"]");
	ck_assert_int_eq(store_keyreq_wanted(st, 0, 10, &rows, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	store_keyreq_free(rows, n);
	ck_assert_int_eq(store_keyreq_arrived(st, 10, &rows, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	store_keyreq_free(rows, n);
	/* The key comes from bob himself: the request is to cancel. */
	free(exp);
	exp = export_now(&bob);
	peer_free(&bob);
	ck_assert_int_eq(num("SELECT count(*) FROM key_requests WHERE state "
	    "= ?1", "sent"), 1);
	sql("DELETE FROM undecryptable");
	ck_assert_int_eq(store_keyreq_arrived(st, 10, &rows, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rows[0].request_id, "REQ1");
	store_keyreq_free(rows, n);
	/* The messages: in clear, ours, with the request id. */
	c = crypto_keyreq_request(me, "REQ1", ROOM, "SID", "SK");
	ck_assert_str_eq(json_get_str(c, "action", ""), "request");
	ck_assert_str_eq(json_get_str(c, "requesting_device_id", ""),
	    "MYDEV");
	ck_assert_str_eq(json_path_str(c, "body.session_id", ""), "SID");
	ck_assert_str_eq(json_path_str(c, "body.sender_key", ""), "SK");
	json_decref(c);
	c = crypto_keyreq_cancel(me, "REQ1");
	ck_assert_str_eq(json_get_str(c, "action", ""),
	    "request_cancellation");
	ck_assert_str_eq(json_get_str(c, "request_id", ""), "REQ1");
	json_decref(c);
	free(exp);
	peer_free(&own);
}
END_TEST

Suite *
suite_keyreq(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("keyreq");
	tc = tcase_create("keyreq");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_forward_accepted);
	tcase_add_test(tc, test_forward_unsolicited);
	tcase_add_test(tc, test_forward_other_user);
	tcase_add_test(tc, test_forward_unverified);
	tcase_add_test(tc, test_forward_not_asked);
	tcase_add_test(tc, test_forward_in_clear);
	tcase_add_test(tc, test_forward_never_worse);
	tcase_add_test(tc, test_answer_policy);
	tcase_add_test(tc, test_wanted);
	suite_add_tcase(s, tc);
	return s;
}
