/* Benchmark: receiving encrypted rooms (E2EE.md Steps 2-3) into the store. */

/*
 * Not a test: prints one line per figure.  A peer made with the crypto
 * interface plays the other side as a real one would: one Olm session to
 * one of our one-time keys carries an m.room_key per room (to-device
 * events of the same /sync, as after an invite), and each room's Megolm
 * session encrypts its timeline.  Each answer goes through
 * ingest_sync_text() into a new store with the identity attached, the
 * way the net thread ingests a /sync; the same answer with the events in
 * clear is ingested too, so the cost of decryption shows on its own.
 *
 *   1. an initial /sync of 100 encrypted rooms with 100 events each,
 *      room keys included;
 *   2. Megolm throughput: 10 rooms with 2,000 events each, the keys
 *      stored by an earlier /sync.
 */
#include <sys/resource.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/model.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define ME		"@me:haos.test"
#define MY_DEVICE	"MEDEVICE"
#define PEER		"@peer:haos.test"
#define PEER_DEVICE	"PEERDEVICE"
#define MEGOLM		"m.megolm.v1.aes-sha2"
#define OLM		"m.olm.v1.curve25519-aes-sha2"

struct bench_side {
	char			*dir;
	struct store		*s;
	struct crypto_keys	*me;
	struct crypto_account	*peer;
	struct crypto_olm	*olm;	/* peer -> me */
	char			*otk;
};

static double
bench_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
bench_cpu(void)
{
	struct rusage	 r;

	getrusage(RUSAGE_SELF, &r);
	return (double)r.ru_utime.tv_sec + (double)r.ru_utime.tv_usec / 1e6 +
	    (double)r.ru_stime.tv_sec + (double)r.ru_stime.tv_usec / 1e6;
}

static void
bench_die(const char *what, const struct haos_error *err)
{
	fprintf(stderr, "bench_e2ee: %s: %s\n", what, err != NULL ?
	    err->msg : "failed");
	exit(1);
}

/* A new store and identity under a new directory, and the peer's device. */
static void
bench_side_open(struct bench_side *b, const char *name)
{
	struct haos_error	 err;
	struct crypto_account	*a;
	json_t			*otks;
	char			*path, *kp;

	memset(b, 0, sizeof b[0]);
	b->dir = xasprintf("/tmp/haos-bench-e2ee-%s.XXXXXX", name);
	if (mkdtemp(b->dir) == NULL)
		bench_die("mkdtemp", NULL);
	path = xasprintf("%s/store.sqlite3", b->dir);
	kp = xasprintf("%s/pickle-key", b->dir);
	if ((b->s = store_open(path, STORE_RW, &err)) == NULL)
		bench_die("store", &err);
	if ((b->me = crypto_keys_open(b->s, kp, ME, MY_DEVICE, &err)) == NULL)
		bench_die("identity", &err);
	store_set_crypto(b->s, b->me);
	a = crypto_keys_account_rw(b->me);
	if (crypto_account_generate_otks(a, 1, &err) == -1 ||
	    (otks = crypto_account_otks(a, &err)) == NULL)
		bench_die("one-time key", &err);
	b->otk = xstrdup(json_string_value(json_object_iter_value(
	    json_object_iter(otks))));
	json_decref(otks);
	crypto_account_mark_published(a);
	if ((b->peer = crypto_account_new(&err)) == NULL)
		bench_die("peer", &err);
	if (store_begin(b->s, &err) == -1 ||
	    crypto_keys_save(b->me, b->s, &err) == -1 ||
	    store_device_put(b->s, PEER, PEER_DEVICE,
	    crypto_account_ed25519(b->peer), crypto_account_curve25519(b->peer),
	    "{}", NULL, &err) == -1 ||
	    store_commit(b->s, &err) == -1)
		bench_die("store the keys", &err);
	b->olm = crypto_olm_outbound(b->peer, crypto_account_curve25519(
	    crypto_keys_account(b->me)), b->otk, &err);
	if (b->olm == NULL)
		bench_die("Olm session", &err);
	free(kp);
	free(path);
}

static void
bench_side_close(struct bench_side *b)
{
	char	*cmd;

	crypto_olm_free(b->olm);
	crypto_account_free(b->peer);
	store_set_crypto(b->s, NULL);
	crypto_keys_free(b->me);
	store_close(b->s);
	cmd = xasprintf("rm -rf '%s'", b->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_e2ee: could not remove %s\n", b->dir);
	free(cmd);
	free(b->dir);
	free(b->otk);
}

/* The m.room_key of session mg for room, as the peer's Olm to-device. */
static json_t *
bench_room_key(struct bench_side *b, const char *room,
    struct crypto_megolm_out *mg)
{
	struct haos_error	 err;
	json_t			*pl, *ev;
	char			*key, *text, *body;
	int			 type;

	if ((key = crypto_megolm_out_key(mg, &err)) == NULL)
		bench_die("session key", &err);
	pl = json_pack("{s:s, s:{s:s, s:s, s:s, s:s}, s:s, s:s, s:{s:s}, "
	    "s:{s:s}}", "type", "m.room_key", "content", "algorithm", MEGOLM,
	    "room_id", room, "session_id", crypto_megolm_out_id(mg),
	    "session_key", key, "sender", PEER, "recipient", ME,
	    "recipient_keys", "ed25519", crypto_account_ed25519(
	    crypto_keys_account(b->me)), "keys", "ed25519",
	    crypto_account_ed25519(b->peer));
	text = json_dumps(pl, JSON_COMPACT);
	type = crypto_olm_encrypt(b->olm, text, strlen(text), &body, &err);
	if (type == -1)
		bench_die("Olm encrypt", &err);
	ev = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:{s:i, s:s}}}}", "type",
	    "m.room.encrypted", "sender", PEER, "content", "algorithm", OLM,
	    "sender_key", crypto_account_curve25519(b->peer), "ciphertext",
	    crypto_account_curve25519(crypto_keys_account(b->me)), "type",
	    type, "body", body);
	explicit_bzero(key, strlen(key));
	free(key);
	free(text);
	free(body);
	json_decref(pl);
	return ev;
}

/* Timeline event i of room: an m.room.message, encrypted by mg if set. */
static json_t *
bench_event(struct bench_side *b, const char *room, int r, int i,
    struct crypto_megolm_out *mg)
{
	struct haos_error	 err;
	json_t			*content, *plain, *ev;
	char			*id, *text, *ct;

	content = json_pack("{s:s, s:s}", "msgtype", "m.text", "body",
	    i % 3 == 0 ? "can you review my pull request before lunch?" :
	    i % 3 == 1 ? "the deploy failed again on staging 👍" :
	    "sounds good, I think we should move the meeting to Thursday");
	id = xasprintf("$r%di%d-bench:haos.test", r, i);
	if (mg == NULL) {
		ev = json_pack("{s:s, s:s, s:s, s:I, s:o}", "type",
		    "m.room.message", "event_id", id, "sender", PEER,
		    "origin_server_ts", (json_int_t)1790000000000 + i,
		    "content", content);
		free(id);
		return ev;
	}
	plain = json_pack("{s:s, s:o, s:s}", "type", "m.room.message",
	    "content", content, "room_id", room);
	text = json_dumps(plain, JSON_COMPACT);
	if ((ct = crypto_megolm_out_encrypt(mg, text, strlen(text),
	    &err)) == NULL)
		bench_die("Megolm encrypt", &err);
	ev = json_pack("{s:s, s:s, s:s, s:I, s:{s:s, s:s, s:s, s:s, s:s}}",
	    "type", "m.room.encrypted", "event_id", id, "sender", PEER,
	    "origin_server_ts", (json_int_t)1790000000000 + i, "content",
	    "algorithm", MEGOLM, "sender_key",
	    crypto_account_curve25519(b->peer), "ciphertext", ct,
	    "session_id", crypto_megolm_out_id(mg), "device_id", PEER_DEVICE);
	free(ct);
	free(text);
	json_decref(plain);
	free(id);
	return ev;
}

/* The state of an encrypted room the peer made and we joined. */
static json_t *
bench_state(void)
{
	return json_pack("{s:[{s:s, s:s, s:s, s:s, s:I, s:{s:s}}, "
	    "{s:s, s:s, s:s, s:s, s:I, s:{s:s}}, "
	    "{s:s, s:s, s:s, s:s, s:I, s:{s:s}}, "
	    "{s:s, s:s, s:s, s:s, s:I, s:{s:s}}]}",
	    "events",
	    "type", "m.room.create", "state_key", "", "event_id",
	    "$create-bench:haos.test", "sender", PEER, "origin_server_ts",
	    (json_int_t)1789999999000, "content", "creator", PEER,
	    "type", "m.room.encryption", "state_key", "", "event_id",
	    "$enc-bench:haos.test", "sender", PEER, "origin_server_ts",
	    (json_int_t)1789999999001, "content", "algorithm", MEGOLM,
	    "type", "m.room.member", "state_key", PEER, "event_id",
	    "$peer-bench:haos.test", "sender", PEER, "origin_server_ts",
	    (json_int_t)1789999999002, "content", "membership", "join",
	    "type", "m.room.member", "state_key", ME, "event_id",
	    "$me-bench:haos.test", "sender", ME, "origin_server_ts",
	    (json_int_t)1789999999003, "content", "membership", "join");
}

/*
 * A /sync of nrooms rooms with nevents events each; encrypted when
 * sessions is set (keys shares in to_device when with_keys).
 */
static char *
bench_answer(struct bench_side *b, int nrooms, int nevents,
    struct crypto_megolm_out **sessions, int with_keys, const char *batch)
{
	json_t	*sync, *join, *room, *tl, *td;
	char	 id[64], *text;
	int	 r, i;

	sync = json_pack("{s:s}", "next_batch", batch);
	join = json_object();
	td = json_array();
	for (r = 0; r < nrooms; r++) {
		snprintf(id, sizeof id, "!room%04d-bench:haos.test", r);
		if (sessions != NULL && with_keys)
			json_array_append_new(td, bench_room_key(b, id,
			    sessions[r]));
		tl = json_array();
		for (i = 0; i < nevents; i++)
			json_array_append_new(tl, bench_event(b, id, r, i,
			    sessions != NULL ? sessions[r] : NULL));
		room = json_pack("{s:o, s:{s:o, s:b}}", "state",
		    bench_state(), "timeline", "events", tl, "limited", 0);
		json_object_set_new(join, id, room);
	}
	/* Synapse's order: to-device events before the rooms. */
	json_object_set_new(sync, "to_device", json_pack("{s:o}", "events",
	    td));
	json_object_set_new(sync, "rooms", json_pack("{s:o}", "join", join));
	text = json_dumps(sync, JSON_COMPACT);
	json_decref(sync);
	return text;
}

/* Ingest text; wall and CPU seconds, events stored. */
static void
bench_ingest(struct store *s, const char *text, double *wall, double *cpu,
    size_t *events)
{
	struct haos_error	 err;
	struct ingest_result	 res;
	double			 t0, c0;

	c0 = bench_cpu();
	t0 = bench_now();
	if (ingest_sync_text(s, text, strlen(text), &res, &err) == -1)
		bench_die("ingest", &err);
	*wall = bench_now() - t0;
	*cpu = bench_cpu() - c0;
	*events = res.events;
	ingest_result_free(&res);
}

/* How many of the rooms' timeline events the store holds decrypted. */
static int64_t
bench_decrypted(struct store *s, int nrooms, int nevents)
{
	struct haos_error	 err;
	struct event_row	*rows;
	size_t			 n, i;
	char			 id[64];
	int64_t			 ok = 0;
	int			 r;

	for (r = 0; r < nrooms; r++) {
		snprintf(id, sizeof id, "!room%04d-bench:haos.test", r);
		if (store_query_timeline(s, id, STORE_LATEST, (size_t)nevents,
		    0, ME, &rows, &n, &err) == -1)
			bench_die("timeline", &err);
		for (i = 0; i < n; i++)
			ok += rows[i].e2e == E2E_DECRYPTED &&
			    strcmp(rows[i].type, "m.room.message") == 0;
		event_rows_free(rows, n);
	}
	return ok;
}

static void
bench_case(const char *title, int nrooms, int nevents, int keys_first)
{
	struct bench_side		 b, c;
	struct crypto_megolm_out	**mg;
	struct haos_error		 err;
	double				 wall, cpu, cwall, ccpu, rwall;
	size_t				 events, cevents;
	char				*text;
	int64_t				 n;
	int				 r;

	bench_side_open(&b, "enc");
	mg = xcalloc((size_t)nrooms, sizeof *mg);
	for (r = 0; r < nrooms; r++) {
		if ((mg[r] = crypto_megolm_out_new(&err)) == NULL)
			bench_die("Megolm session", &err);
	}
	if (keys_first) {
		/* An earlier /sync brought the rooms and their keys. */
		text = bench_answer(&b, nrooms, 0, mg, 1, "s1");
		bench_ingest(b.s, text, &wall, &cpu, &events);
		free(text);
	}
	text = bench_answer(&b, nrooms, nevents, mg, !keys_first, "s2");
	bench_ingest(b.s, text, &wall, &cpu, &events);
	free(text);
	rwall = bench_now();
	n = bench_decrypted(b.s, nrooms, nevents);
	rwall = bench_now() - rwall;
	if (n != (int64_t)nrooms * nevents) {
		fprintf(stderr, "bench_e2ee: %lld of %d events decrypted\n",
		    (long long)n, nrooms * nevents);
		exit(1);
	}
	for (r = 0; r < nrooms; r++)
		crypto_megolm_out_free(mg[r]);
	free(mg);
	bench_side_close(&b);

	bench_side_open(&c, "clear");
	text = bench_answer(&c, nrooms, nevents, NULL, 0, "s2");
	bench_ingest(c.s, text, &cwall, &ccpu, &cevents);
	free(text);
	bench_side_close(&c);

	printf("%s: %d rooms x %d events: %.3f s (%.3f s CPU), %.0f "
	    "decrypted events/s into the store; the same in clear %.3f s "
	    "(%.0f events/s): decryption adds %.0f us per event\n", title,
	    nrooms, nevents, wall, cpu, (double)events / wall, cwall,
	    (double)cevents / cwall, (wall - cwall) * 1e6 / (double)events);
	printf("%s: read back as timeline pages (with each message's lock): "
	    "%.3f s, %.1f us per event\n", title, rwall, rwall * 1e6 /
	    (double)(nrooms * nevents));
	fflush(stdout);
}

int
main(void)
{
	bench_case("initial sync of encrypted rooms, room keys included", 100,
	    100, 0);
	bench_case("Megolm decryption throughput, keys already stored", 10,
	    2000, 1);
	return 0;
}
