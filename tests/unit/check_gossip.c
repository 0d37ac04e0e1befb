/*
 * Secret sharing between our own devices (issue #16, E2EE.md Step 8 item
 * 7 and Step 9 "Sharing"): m.secret.send and m.secret.request through
 * ingest of /sync answers built here, against a real store, from peer
 * devices made in the test that send real Olm to-device messages.
 */
#include "check_haos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "haos/crypto-gossip.h"
#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/store-crypto-out.h"
#include "haos/store-gossip.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "../../src/net-int.h"
#include "../../src/store-int.h"

#define ME	"@me:haos.test"
#define BOB	"@bob:haos.test"
#define OLM	"m.olm.v1.curve25519-aes-sha2"
#define SSK	"m.cross_signing.self_signing"
#define USK	"m.cross_signing.user_signing"
#define BACKUP	"m.megolm_backup.v1"
#define NOTKS	10

static char			*dir, *keypath, *logpath;
static struct store		*st;
static struct crypto_keys	*me;
static char			*otks[NOTKS];
static int			 next_otk, batch;
static unsigned char		 ssk_seed[32], backup_key[32];

/* Another device, as the test drives it. */
struct peer {
	struct crypto_account	*acct;
	const char		*user;
	const char		*device;
	struct crypto_olm	*olm;	/* to us */
};

/* What the gossip sink was told. */
static struct {
	int	 taken, requests, cancels;
	char	 name[64], device[64], request_id[64];
} got;

static void
sql(const char *q)
{
	struct haos_error	 err;

	ck_assert_msg(store_exec(st, q, &err) == 0, "%s: %s", q, err.msg);
}

static int64_t
num(const char *q)
{
	struct haos_error	 err;
	int64_t			 v = -1;

	ck_assert(store_get_int64(st, &err, "test", q, &v, "") != -1);
	return v;
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
note(const char *name, const char *device, const char *id)
{
	snprintf(got.name, sizeof got.name, "%s", name != NULL ? name : "");
	snprintf(got.device, sizeof got.device, "%s", device);
	snprintf(got.request_id, sizeof got.request_id, "%s", id);
}

static int
sink_taken(void *arg, const char *name, const char *device,
    const char *id, struct haos_error *err)
{
	(void)arg;
	(void)err;
	got.taken++;
	note(name, device, id);
	return 0;
}

static int
sink_request(void *arg, const char *device, const char *id, const char *name)
{
	(void)arg;
	got.requests++;
	note(name, device, id);
	return 0;
}

static int
sink_cancel(void *arg, const char *device, const char *id)
{
	(void)arg;
	got.cancels++;
	note(NULL, device, id);
	return 0;
}

/* A device of user; verified: 0 no, 1 cross-signed, 2 by our SAS. */
static void
device_add(struct peer *p, int verified)
{
	char	*q;

	q = xasprintf("INSERT INTO devices (user_id, device_id, ed25519, "
	    "curve25519, keys_json, cross_signed, local_trust) VALUES ('%s', "
	    "'%s', '%s', '%s', '{}', %d, %d)", p->user, p->device,
	    crypto_account_ed25519(p->acct), crypto_account_curve25519(p->acct),
	    verified == 1, verified == 2);
	sql(q);
	free(q);
}

static void
setup(void)
{
	static const struct crypto_gossip_sink sink = { sink_taken,
	    sink_request, sink_cancel, NULL };
	struct haos_error	 err;
	struct crypto_account	*a;
	json_t			*keys, *v;
	const char		*k;
	char			*path, *pub, *q, *auth;
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
	crypto_keys_set_gossip(me, &sink);
	a = crypto_keys_account_rw(me);
	ck_assert_int_eq(crypto_account_generate_otks(a, NOTKS, &err), 0);
	keys = crypto_account_otks(a, &err);
	json_object_foreach(keys, k, v)
		otks[i++] = xstrdup(json_string_value(v));
	json_decref(keys);
	crypto_account_mark_published(a);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_keys_save(me, st, &err), 0);
	/* Our published self-signing key and backup version. */
	memset(ssk_seed, 0x5a, sizeof ssk_seed);
	memset(backup_key, 0x3c, sizeof backup_key);
	pub = crypto_ssss_signing_public(ssk_seed, sizeof ssk_seed, &err);
	ck_assert_ptr_nonnull(pub);
	q = xasprintf("INSERT INTO cross_signing_keys (user_id, usage, "
	    "public_key, json) VALUES ('%s', 'self_signing', '%s', '{}')", ME,
	    pub);
	sql(q);
	free(q);
	free(pub);
	pub = crypto_pk_public(backup_key, sizeof backup_key, &err);
	auth = xasprintf("{\"public_key\":\"%s\"}", pub);
	ck_assert_int_eq(store_backup_put(st, "1", CRYPTO_BACKUP_ALGORITHM,
	    auth, 0, &err), 0);
	free(auth);
	free(pub);
	ck_assert_int_eq(store_commit(st, &err), 0);
	next_otk = 0;
	batch = 0;
	memset(&got, 0, sizeof got);
}

static void
teardown(void)
{
	char	*log;
	int	 i;

	store_set_crypto(st, NULL);
	crypto_keys_free(me);
	store_close(st);
	/* No secret in the log: the seeds' base64 would start so. */
	log = test_read_file(logpath);
	log_close();
	ck_assert_ptr_nonnull(log);
	ck_assert_ptr_null(strstr(log, "WlpaWlpa"));
	ck_assert_ptr_null(strstr(log, "PDw8PDw8"));
	free(log);
	free(logpath);
	for (i = 0; i < NOTKS; i++) {
		free(otks[i]);
		otks[i] = NULL;
	}
	test_rmtree(dir);
	free(dir);
	free(keypath);
}

static void
peer_new(struct peer *p, const char *user, const char *device, int verified)
{
	struct haos_error	 err;

	memset(p, 0, sizeof *p);
	p->acct = crypto_account_new(&err);
	ck_assert_ptr_nonnull(p->acct);
	p->user = user;
	p->device = device;
	device_add(p, verified);
}

static void
peer_free(struct peer *p)
{
	crypto_olm_free(p->olm);
	crypto_account_free(p->acct);
}

/* content (taken) of type sent by p over Olm, as a to-device event. */
static json_t *
olm_event(struct peer *p, const char *type, json_t *content)
{
	struct haos_error	 err;
	const struct crypto_account *a = crypto_keys_account(me);
	json_t			*pl, *ev;
	char			*text, *body;
	int			 t;

	pl = json_pack("{s:s,s:o,s:s,s:s,s:{s:s},s:{s:s}}", "type", type,
	    "content", content, "sender", p->user, "recipient", ME,
	    "recipient_keys", "ed25519", crypto_account_ed25519(a), "keys",
	    "ed25519", crypto_account_ed25519(p->acct));
	if (p->olm == NULL)
		p->olm = crypto_olm_outbound(p->acct,
		    crypto_account_curve25519(a), otks[next_otk++], &err);
	ck_assert_ptr_nonnull(p->olm);
	text = json_dumps(pl, JSON_COMPACT);
	json_decref(pl);
	t = crypto_olm_encrypt(p->olm, text, strlen(text), &body, &err);
	ck_assert_int_ge(t, 0);
	free(text);
	ev = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:{s:i,s:s}}}}", "type",
	    "m.room.encrypted", "sender", p->user, "content", "algorithm",
	    OLM, "sender_key", crypto_account_curve25519(p->acct),
	    "ciphertext", crypto_account_curve25519(a), "type", t, "body",
	    body);
	free(body);
	return ev;
}

/* One /sync of the to-device event ev (taken); it must be stored. */
static void
sync_in(json_t *ev)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*j;
	char			*nb;

	nb = xasprintf("s%d", ++batch);
	j = json_pack("{s:s,s:{s:[o]}}", "next_batch", nb, "to_device",
	    "events", ev);
	free(nb);
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	json_decref(j);
	ingest_result_free(&res);
}

static void
ask(const char *id, const char *name, const char *device, int64_t ts)
{
	struct haos_error	 err;

	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_gossip_add(st, id, name, device, ts, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
}

static json_t *
secret_send(const char *id, const unsigned char *secret, size_t len)
{
	char	*b64 = base64_encode(secret, len);
	json_t	*c;

	c = json_pack("{s:s,s:s}", "request_id", id, "secret", b64);
	free(b64);
	return c;
}

/* 1 if we hold name, with its bytes equal to want (and *verified). */
static int
holds(const char *name, const unsigned char *want, int *verified)
{
	struct haos_error	 err;
	unsigned char		*data;
	size_t			 len;
	int			 rc, v = 0;

	rc = crypto_secret_get(me, st, name, &data, &len, &v, &err);
	ck_assert_int_ne(rc, -1);
	if (rc == 1) {
		ck_assert_uint_eq(len, 32);
		ck_assert(memcmp(data, want, 32) == 0);
		free(data);
	}
	if (verified != NULL)
		*verified = v;
	return rc;
}

static int64_t
requests_left(void)
{
	return num("SELECT count(*) FROM secret_requests");
}

START_TEST(test_send_accepted)
{
	struct peer	 p;
	int		 verified = 0;

	peer_new(&p, ME, "OTHER", 1);
	ask("req1", SSK, "OTHER", now_ms());
	sync_in(olm_event(&p, "m.secret.send", secret_send("req1", ssk_seed,
	    32)));
	ck_assert_int_eq(holds(SSK, ssk_seed, &verified), 1);
	ck_assert_int_eq(verified, 1);
	ck_assert_int_eq(requests_left(), 0);
	ck_assert_int_eq(got.taken, 1);
	ck_assert_str_eq(got.name, SSK);
	ck_assert_str_eq(got.device, "OTHER");
	ck_assert_str_eq(got.request_id, "req1");
	peer_free(&p);
}
END_TEST

START_TEST(test_send_local_trust_and_backup)
{
	struct peer	 p;

	/* Verified by our own SAS only; the backup key of our version. */
	peer_new(&p, ME, "OTHER", 2);
	ask("req2", BACKUP, "OTHER", now_ms());
	sync_in(olm_event(&p, "m.secret.send", secret_send("req2", backup_key,
	    32)));
	ck_assert_int_eq(holds(BACKUP, backup_key, NULL), 1);
	ck_assert_int_eq(requests_left(), 0);
	ck_assert_int_eq(got.taken, 1);
	peer_free(&p);
}
END_TEST

START_TEST(test_send_unsolicited)
{
	struct peer	 p;

	peer_new(&p, ME, "OTHER", 1);
	ask("req1", SSK, "OTHER", now_ms());
	sync_in(olm_event(&p, "m.secret.send", secret_send("other", ssk_seed,
	    32)));
	ck_assert_int_eq(holds(SSK, ssk_seed, NULL), 0);
	ck_assert_int_eq(requests_left(), 1);
	ck_assert_int_eq(got.taken, 0);
	peer_free(&p);
}
END_TEST

START_TEST(test_send_other_user)
{
	struct peer	 p;

	/* Bob's device, verified, answering a request id we made. */
	peer_new(&p, BOB, "OTHER", 1);
	ask("req1", SSK, "OTHER", now_ms());
	sync_in(olm_event(&p, "m.secret.send", secret_send("req1", ssk_seed,
	    32)));
	ck_assert_int_eq(holds(SSK, ssk_seed, NULL), 0);
	ck_assert_int_eq(requests_left(), 1);
	ck_assert_int_eq(got.taken, 0);
	peer_free(&p);
}
END_TEST

START_TEST(test_send_unverified)
{
	struct peer	 p;

	peer_new(&p, ME, "OTHER", 0);
	ask("req1", SSK, "OTHER", now_ms());
	sync_in(olm_event(&p, "m.secret.send", secret_send("req1", ssk_seed,
	    32)));
	ck_assert_int_eq(holds(SSK, ssk_seed, NULL), 0);
	ck_assert_int_eq(requests_left(), 1);
	ck_assert_int_eq(got.taken, 0);
	peer_free(&p);
}
END_TEST

START_TEST(test_send_other_device)
{
	struct peer	 p, q;

	/* Asked of OTHER; THIRD, verified too, answers. */
	peer_new(&p, ME, "OTHER", 1);
	peer_new(&q, ME, "THIRD", 1);
	ask("req1", SSK, "OTHER", now_ms());
	sync_in(olm_event(&q, "m.secret.send", secret_send("req1", ssk_seed,
	    32)));
	ck_assert_int_eq(holds(SSK, ssk_seed, NULL), 0);
	ck_assert_int_eq(requests_left(), 1);
	ck_assert_int_eq(got.taken, 0);
	peer_free(&p);
	peer_free(&q);
}
END_TEST

START_TEST(test_send_wrong_secret)
{
	struct peer	 p;
	unsigned char	 bad[32];

	peer_new(&p, ME, "OTHER", 1);
	memset(bad, 0x11, sizeof bad);
	ask("req1", SSK, "OTHER", now_ms());
	ask("req2", BACKUP, "OTHER", now_ms());
	sync_in(olm_event(&p, "m.secret.send", secret_send("req1", bad, 32)));
	sync_in(olm_event(&p, "m.secret.send", secret_send("req2", bad, 32)));
	/* The right key, but 31 bytes of it. */
	sync_in(olm_event(&p, "m.secret.send", secret_send("req1", ssk_seed,
	    31)));
	ck_assert_int_eq(num("SELECT count(*) FROM secrets"), 0);
	ck_assert_int_eq(requests_left(), 2);
	ck_assert_int_eq(got.taken, 0);
	peer_free(&p);
}
END_TEST

START_TEST(test_send_in_clear)
{
	struct peer	 p;

	peer_new(&p, ME, "OTHER", 1);
	ask("req1", SSK, "OTHER", now_ms());
	sync_in(json_pack("{s:s,s:s,s:o}", "type", "m.secret.send", "sender",
	    ME, "content", secret_send("req1", ssk_seed, 32)));
	ck_assert_int_eq(holds(SSK, ssk_seed, NULL), 0);
	ck_assert_int_eq(requests_left(), 1);
	ck_assert_int_eq(got.taken, 0);
	peer_free(&p);
}
END_TEST

START_TEST(test_send_expired)
{
	struct peer	 p;

	peer_new(&p, ME, "OTHER", 1);
	ask("req1", SSK, "OTHER", now_ms() - CRYPTO_GOSSIP_TIMEOUT_MS - 1000);
	sync_in(olm_event(&p, "m.secret.send", secret_send("req1", ssk_seed,
	    32)));
	ck_assert_int_eq(holds(SSK, ssk_seed, NULL), 0);
	ck_assert_int_eq(got.taken, 0);
	peer_free(&p);
}
END_TEST

static json_t *
request(const char *action, const char *name, const char *device,
    const char *id)
{
	json_t	*c;

	c = json_pack("{s:s,s:s,s:s}", "action", action,
	    "requesting_device_id", device, "request_id", id);
	if (name != NULL)
		json_object_set_new(c, "name", json_string(name));
	return c;
}

static json_t *
clear_event(const char *sender, json_t *content)
{
	return json_pack("{s:s,s:s,s:o}", "type", "m.secret.request",
	    "sender", sender, "content", content);
}

static void
hold(const char *name)
{
	struct haos_error	 err;

	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_secret_put(me, st, name, ssk_seed, 32, 1,
	    &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
}

static void
hold_ssk(void)
{
	hold(SSK);
}

START_TEST(test_request_answered)
{
	struct haos_error	 err;
	struct peer		 p;
	json_t			*c;
	unsigned char		*raw;
	size_t			 len;

	peer_new(&p, ME, "OTHER", 1);
	hold_ssk();
	sync_in(clear_event(ME, request("request", SSK, "OTHER", "r1")));
	ck_assert_int_eq(got.requests, 1);
	ck_assert_str_eq(got.device, "OTHER");
	ck_assert_str_eq(got.request_id, "r1");
	ck_assert_str_eq(got.name, SSK);
	/* Over Olm from the device it names, too. */
	sync_in(olm_event(&p, "m.secret.request", request("request", SSK,
	    "OTHER", "r2")));
	ck_assert_int_eq(got.requests, 2);
	ck_assert_str_eq(got.request_id, "r2");
	/* The answer: the seed, unpadded base64. */
	ck_assert_int_eq(crypto_gossip_answer(me, st, SSK, "r1", &c, &err), 1);
	ck_assert_str_eq(json_get_str(c, "request_id", ""), "r1");
	ck_assert_ptr_null(strchr(json_get_str(c, "secret", "="), '='));
	ck_assert_int_eq(base64_decode(json_get_str(c, "secret", ""),
	    strlen(json_get_str(c, "secret", "")), &raw, &len), 0);
	ck_assert_uint_eq(len, 32);
	ck_assert(memcmp(raw, ssk_seed, 32) == 0);
	free(raw);
	crypto_gossip_content_free(c);
	/* Not held: nothing to answer with. */
	ck_assert_int_eq(crypto_gossip_answer(me, st, USK, "r3", &c, &err), 0);
	ck_assert_ptr_null(c);
	peer_free(&p);
}
END_TEST

START_TEST(test_request_refused)
{
	struct peer	 p, q, b;

	peer_new(&p, ME, "OTHER", 1);
	peer_new(&q, ME, "UNVERIFIED", 0);
	peer_new(&b, BOB, "BOBDEV", 1);
	hold_ssk();
	hold("m.cross_signing.master");		/* held, never shared */
	/* An unverified device of ours. */
	sync_in(clear_event(ME, request("request", SSK, "UNVERIFIED", "a")));
	/* Another user (as it names a verified device of ours). */
	sync_in(clear_event(BOB, request("request", SSK, "OTHER", "b")));
	sync_in(olm_event(&b, "m.secret.request", request("request", SSK,
	    "BOBDEV", "c")));
	/* A name we do not share, and one we do not hold. */
	sync_in(clear_event(ME, request("request", "m.cross_signing.master",
	    "OTHER", "d")));
	sync_in(clear_event(ME, request("request", USK, "OTHER", "e")));
	sync_in(clear_event(ME, request("request", NULL, "OTHER", "f")));
	/* Over Olm from one device, naming another. */
	sync_in(olm_event(&q, "m.secret.request", request("request", SSK,
	    "OTHER", "g")));
	/* A device not known at all, and ourselves. */
	sync_in(clear_event(ME, request("request", SSK, "NOBODY", "h")));
	sync_in(clear_event(ME, request("request", SSK, "MYDEV", "i")));
	ck_assert_int_eq(got.requests, 0);
	peer_free(&p);
	peer_free(&q);
	peer_free(&b);
}
END_TEST

START_TEST(test_request_cancelled)
{
	struct peer	 p;

	peer_new(&p, ME, "OTHER", 1);
	sync_in(clear_event(ME, request("request_cancellation", NULL, "OTHER",
	    "r1")));
	ck_assert_int_eq(got.cancels, 1);
	ck_assert_str_eq(got.device, "OTHER");
	ck_assert_str_eq(got.request_id, "r1");
	/* Another user cannot cancel for us. */
	sync_in(clear_event(BOB, request("request_cancellation", NULL,
	    "OTHER", "r2")));
	ck_assert_int_eq(got.cancels, 1);
	peer_free(&p);
}
END_TEST

/* net_gossip_ask(): what we lack, asked once, in clear. */
START_TEST(test_ask)
{
	struct haos_error	 err;
	struct net		 n;

	memset(&n, 0, sizeof n);
	n.store = st;
	n.keys = me;
	hold_ssk();
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(net_gossip_ask(&n, "OTHER", &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_int_eq(requests_left(), 2);
	ck_assert_int_eq(num("SELECT count(*) FROM secret_requests WHERE "
	    "device_id = 'OTHER' AND name IN ('" USK "', '" BACKUP "')"), 2);
	ck_assert_int_eq(num("SELECT count(*) FROM to_device_out WHERE "
	    "type = 'm.secret.request' AND purpose = 'gossip' AND "
	    "json_extract(body, '$.messages.\"" ME "\".OTHER.action') = "
	    "'request' AND json_extract(body, '$.messages.\"" ME "\".OTHER"
	    ".requesting_device_id') = 'MYDEV' AND json_extract(body, "
	    "'$.messages.\"" ME "\".OTHER.request_id') IN (SELECT request_id "
	    "FROM secret_requests)"), 2);
	/* Asked already: not again. */
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(net_gossip_ask(&n, "OTHER", &err), 0);
	ck_assert_int_eq(net_gossip_ask(&n, "MYDEV", &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_int_eq(requests_left(), 2);
	ck_assert_int_eq(num("SELECT count(*) FROM to_device_out"), 2);
}
END_TEST

/* An Olm session of ours with p's device (as a key claim would open). */
static void
session_with(struct peer *p)
{
	struct haos_error	 err;
	struct crypto_olm	*o;
	json_t			*keys, *v;
	const char		*k, *otk = NULL;
	char			*pickle;

	ck_assert_int_eq(crypto_account_generate_otks(p->acct, 1, &err), 0);
	keys = crypto_account_otks(p->acct, &err);
	json_object_foreach(keys, k, v)
		otk = json_string_value(v);
	o = crypto_olm_outbound(crypto_keys_account_rw(me),
	    crypto_account_curve25519(p->acct), otk, &err);
	ck_assert_ptr_nonnull(o);
	json_decref(keys);
	pickle = crypto_olm_pickle(o, crypto_keys_pickle_key(me), &err);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_crypto_out_olm_put(st, crypto_olm_id(o),
	    crypto_account_curve25519(p->acct), pickle, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	free(pickle);
	crypto_olm_free(o);
}

/* The to_device_out rows of type, their bodies in order (a JSON array). */
static json_t *
sent(const char *type)
{
	struct haos_error	 err;
	json_t			*a = json_array();
	sqlite3_stmt		*q;
	int			 rc;
	static const char	*sql = "SELECT body FROM to_device_out WHERE "
	    "type = ?1 ORDER BY id";

	q = store_stmt(st, sql, &err);
	ck_assert_ptr_nonnull(q);
	store_bind(q, "t", type);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		json_array_append_new(a, json_loads((const char *)
		    sqlite3_column_text(q, 0), 0, NULL));
	sqlite3_reset(q);
	return a;
}

/* p opens what we sent it (a to_device_out body): the Olm payload. */
static json_t *
opened(struct peer *p, const json_t *body)
{
	struct haos_error	 err;
	struct crypto_olm	*in;
	const json_t		*m;
	char			*text;
	size_t			 len;
	json_t			*pl;

	m = json_get_obj(json_get_obj(json_get_obj(json_get_obj(json_get_obj(
	    body, "messages"), ME), p->device), "ciphertext"),
	    crypto_account_curve25519(p->acct));
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(json_get_int(m, "type", -1), 0);
	in = crypto_olm_inbound(p->acct, crypto_account_curve25519(
	    crypto_keys_account(me)), json_get_str(m, "body", ""), NULL, &err);
	ck_assert_ptr_nonnull(in);
	text = crypto_olm_decrypt(in, 0, json_get_str(m, "body", ""), &len,
	    NULL, &err);
	ck_assert_ptr_nonnull(text);
	pl = json_loads(text, 0, NULL);
	free(text);
	crypto_olm_free(in);
	return pl;
}

/*
 * The net thread's side: a request of a verified device of ours waits
 * for an Olm session (the device marked for one), then goes as an
 * m.secret.send over Olm with the seed; a cancelled request and one of
 * a device no longer verified are not answered.
 */
START_TEST(test_pump_answer)
{
	struct net	 n;
	struct peer	 p;
	json_t		*a, *pl;
	unsigned char	*raw;
	size_t		 len;

	memset(&n, 0, sizeof n);
	n.store = st;
	n.keys = me;
	peer_new(&p, ME, "OTHER", 1);
	hold_ssk();
	net_gossip_pump(&n, 0);		/* binds the net thread's sink */
	sync_in(clear_event(ME, request("request", SSK, "OTHER", "r1")));
	net_gossip_pump(&n, 1);
	a = sent("m.room.encrypted");
	ck_assert_uint_eq(json_array_size(a), 0);
	json_decref(a);
	ck_assert_int_eq(num("SELECT count(*) FROM olm_wedged WHERE "
	    "device_id = 'OTHER'"), 1);
	session_with(&p);
	net_gossip_pump(&n, 2);		/* not before its retry is due */
	a = sent("m.room.encrypted");
	ck_assert_uint_eq(json_array_size(a), 0);
	json_decref(a);
	net_gossip_pump(&n, 5000);
	a = sent("m.room.encrypted");
	ck_assert_uint_eq(json_array_size(a), 1);
	pl = opened(&p, json_array_get(a, 0));
	ck_assert_str_eq(json_get_str(pl, "type", ""), "m.secret.send");
	ck_assert_str_eq(json_get_str(json_get_obj(pl, "content"),
	    "request_id", ""), "r1");
	ck_assert_int_eq(base64_decode(json_get_str(json_get_obj(pl,
	    "content"), "secret", ""), 43, &raw, &len), 0);
	ck_assert_uint_eq(len, 32);
	ck_assert(memcmp(raw, ssk_seed, 32) == 0);
	free(raw);
	json_decref(pl);
	json_decref(a);
	/* Answered once; a cancelled one and an unverified one never. */
	sync_in(clear_event(ME, request("request", SSK, "OTHER", "r2")));
	sync_in(clear_event(ME, request("request_cancellation", NULL,
	    "OTHER", "r2")));
	net_gossip_pump(&n, 10000);
	a = sent("m.room.encrypted");
	ck_assert_uint_eq(json_array_size(a), 1);
	json_decref(a);
	sync_in(clear_event(ME, request("request", SSK, "OTHER", "r3")));
	sql("UPDATE devices SET cross_signed = 0 WHERE device_id = 'OTHER'");
	net_gossip_pump(&n, 20000);
	a = sent("m.room.encrypted");
	ck_assert_uint_eq(json_array_size(a), 1);
	json_decref(a);
	net_gossip_free(&n);
	peer_free(&p);
}
END_TEST

/* Our requests unanswered for ten minutes: cancelled and forgotten. */
START_TEST(test_pump_expire)
{
	struct net	 n;
	json_t		*a, *c;

	memset(&n, 0, sizeof n);
	n.store = st;
	n.keys = me;
	ask("old", SSK, "OTHER", now_ms() - CRYPTO_GOSSIP_TIMEOUT_MS - 1000);
	ask("new", USK, "OTHER", now_ms());
	net_gossip_pump(&n, 0);
	ck_assert_int_eq(requests_left(), 1);
	ck_assert_int_eq(num("SELECT count(*) FROM secret_requests WHERE "
	    "request_id = 'new'"), 1);
	a = sent("m.secret.request");
	ck_assert_uint_eq(json_array_size(a), 1);
	c = json_get_obj(json_get_obj(json_get_obj(json_array_get(a, 0),
	    "messages"), ME), "OTHER");
	ck_assert_str_eq(json_get_str(c, "action", ""),
	    "request_cancellation");
	ck_assert_str_eq(json_get_str(c, "request_id", ""), "old");
	ck_assert_str_eq(json_get_str(c, "requesting_device_id", ""),
	    "MYDEV");
	json_decref(a);
	net_gossip_free(&n);
}
END_TEST

/* A secret taken: our request is cancelled in the same transaction. */
START_TEST(test_taken_cancels)
{
	struct net	 n;
	struct peer	 p;
	json_t		*a, *c;

	memset(&n, 0, sizeof n);
	n.store = st;
	n.keys = me;
	peer_new(&p, ME, "OTHER", 1);
	net_gossip_pump(&n, 0);
	ask("req1", SSK, "OTHER", now_ms());
	sync_in(olm_event(&p, "m.secret.send", secret_send("req1", ssk_seed,
	    32)));
	ck_assert_int_eq(holds(SSK, ssk_seed, NULL), 1);
	a = sent("m.secret.request");
	ck_assert_uint_eq(json_array_size(a), 1);
	c = json_get_obj(json_get_obj(json_get_obj(json_array_get(a, 0),
	    "messages"), ME), "OTHER");
	ck_assert_str_eq(json_get_str(c, "action", ""),
	    "request_cancellation");
	ck_assert_str_eq(json_get_str(c, "request_id", ""), "req1");
	json_decref(a);
	net_gossip_free(&n);
	peer_free(&p);
}
END_TEST

Suite *
suite_gossip(void)
{
	Suite	*s = suite_create("gossip");
	TCase	*tc = tcase_create("gossip");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_send_accepted);
	tcase_add_test(tc, test_send_local_trust_and_backup);
	tcase_add_test(tc, test_send_unsolicited);
	tcase_add_test(tc, test_send_other_user);
	tcase_add_test(tc, test_send_unverified);
	tcase_add_test(tc, test_send_other_device);
	tcase_add_test(tc, test_send_wrong_secret);
	tcase_add_test(tc, test_send_in_clear);
	tcase_add_test(tc, test_send_expired);
	tcase_add_test(tc, test_request_answered);
	tcase_add_test(tc, test_request_refused);
	tcase_add_test(tc, test_request_cancelled);
	tcase_add_test(tc, test_ask);
	tcase_add_test(tc, test_pump_answer);
	tcase_add_test(tc, test_pump_expire);
	tcase_add_test(tc, test_taken_cancels);
	suite_add_tcase(s, tc);
	return s;
}
