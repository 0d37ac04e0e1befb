/* Synapse /sync and /messages fixtures into a temporary store: rows. */
#include "check_haos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/model.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define SYNC_ROOM	"!KdkmFLiRjAwdgoqsma:haos.test"
#define SYNC_ALICE	"@alice-mwuxo8yy-2:haos.test"
#define REL_ROOM	"!GAPeyBQaLYaHKTVAXY:haos.test"
#define REL_ALICE	"@alice-mwuxqm6l-1:haos.test"
#define REL_BOB		"@bob-mwuxqm6l-1:haos.test"
#define REL_FIRST	"$hARZuFIyeukyM6AjwuY4feGvYuR-RzUdMH8DdJv9CqM"
#define REL_EDIT	"$CuOC8BqOiQpjFjYGfxygee103tMhB0RI1XpjeogqU78"
#define REL_REACTION	"$lEGC5ZAkJ9qkMGoMDZcQh0C2Mkd8GpInX7VOAa0dUmg"
#define REL_DELETED	"$rOLjQo2tCGOgZG5h4X_diyBDlhOlStpXh-qJGazJbH4"
#define REL_REDACTION	"$-7VByimNApAYr2ZVNm8yGOiLdTmMJn5uQ8FUdWOWZ9k"
#define SPACE		"!jypTQytEdpMnOXGPgP:haos.test"
#define DM_ROOM		"!ygvBoyKTuPbixuwXdJ:haos.test"
#define EPH_ROOM	"!fmgwoZlmezyfjQPrpt:haos.test"

static char		*dir;
static struct store	*st;

static void
setup(void)
{
	struct haos_error	 err;
	char			*path;

	dir = test_tmpdir();
	path = xasprintf("%s/cache.db", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	free(path);
}

static void
teardown(void)
{
	store_close(st);
	test_rmtree(dir);
	free(dir);
}

static json_t *
load(const char *name)
{
	json_error_t	 jerr;
	json_t		*j;
	char		*rel, *path;

	rel = xasprintf("sync/%s", name);
	path = test_fixture(rel);
	j = json_load_file(path, 0, &jerr);
	ck_assert_msg(j != NULL, "%s: %s", path, jerr.text);
	free(path);
	free(rel);
	return j;
}

/* Ingest a fixture, which must succeed; return the notify bits. */
static unsigned int
sync_file(const char *name)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*j;
	unsigned int		 bits;

	j = load(name);
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s: %s", name,
	    err.msg);
	bits = res.notify;
	ingest_result_free(&res);
	json_decref(j);
	return bits;
}

static int64_t
count(const char *table)
{
	struct haos_error	 err;
	int64_t			 n = -1;

	ck_assert_int_eq(store_query_count(st, table, &n, &err), 0);
	return n;
}

static char *
token(void)
{
	struct haos_error	 err;
	char			*t;

	ck_assert_int_eq(store_query_sync_token(st, &t, &err), 0);
	return t;
}

/* The timeline event of a page with this event id. */
static struct event_row *
find(struct event_row *rows, size_t n, const char *event_id)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (rows[i].event_id != NULL &&
		    strcmp(rows[i].event_id, event_id) == 0)
			return &rows[i];
	}
	return NULL;
}

START_TEST(test_initial)
{
	struct haos_error	 err;
	struct room_row		 r;
	struct member_row	*m;
	struct event_row	*ev;
	struct gap_row		*g;
	unsigned int		 bits;
	size_t			 n, i;
	char			*t;

	bits = sync_file("initial.json");
	ck_assert(bits & NOTIFY_SERVERS);
	ck_assert(bits & NOTIFY_TIMELINE);
	ck_assert(bits & NOTIFY_MEMBERS);
	t = token();
	ck_assert_str_eq(t, "s137049_131_4_5_16_1_19_238_0");
	free(t);

	ck_assert_int_eq(store_query_room(st, SYNC_ROOM, &r, &err), 1);
	ck_assert_str_eq(r.name, "Sync reference");
	ck_assert_int_eq(r.join, ROOM_JOIN);
	ck_assert_int_eq(r.unread, 1);
	ck_assert_int_eq(r.is_space, 0);
	ck_assert_int_gt(r.last_ts, 0);
	room_row_free(&r);

	/* Members, grouped by power level: the creator (100) first. */
	ck_assert_int_eq(store_query_members(st, SYNC_ROOM, &m, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(m[0].user_id, SYNC_ALICE);
	ck_assert_int_eq(m[0].power_level, 100);
	ck_assert_str_eq(m[1].displayname, "bob-mwuxo8yy-2");
	ck_assert_int_eq(m[1].power_level, 0);
	member_rows_free(m, n);

	/* A limited timeline: a gap with prev_batch before its events. */
	ck_assert_int_eq(store_query_gaps(st, SYNC_ROOM, &g, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(g[0].prev_batch, "t2-137039_131_4_5_16_1_19_238_0");
	ck_assert_int_eq(store_query_timeline(st, SYNC_ROOM, STORE_LATEST, 50,
	    0, SYNC_ALICE, &ev, &n, &err), 0);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_gt(ev[0].ordinal, g[0].ordinal);
	for (i = 1; i < n; i++)
		ck_assert_int_lt(ev[i - 1].ordinal, ev[i].ordinal);
	ck_assert_ptr_nonnull(strstr(ev[n - 1].content,
	    "third message (alice)"));
	ck_assert_str_eq(ev[n - 1].txn_id, "refmwuxo8yy.3");
	ck_assert_int_eq(ev[n - 1].echo, OUTBOX_NONE);
	event_rows_free(ev, n);
	gap_rows_free(g, 1);

	/* Paging from an ordinal: two before, two from it on. */
	ck_assert_int_eq(store_query_timeline(st, SYNC_ROOM, STORE_LATEST, 5,
	    0, NULL, &ev, &n, &err), 0);
	{
		struct event_row	*p;
		size_t			 pn;
		int64_t			 mid = ev[2].ordinal;

		ck_assert_int_eq(store_query_timeline(st, SYNC_ROOM, mid, 2, 2,
		    NULL, &p, &pn, &err), 0);
		ck_assert_uint_eq(pn, 4);
		ck_assert_int_eq(p[0].ordinal, ev[0].ordinal);
		ck_assert_int_eq(p[2].ordinal, mid);
		event_rows_free(p, pn);
	}
	event_rows_free(ev, n);

	ck_assert_int_eq(store_query_account_data(st, NULL, "m.push_rules",
	    &t, &err), 0);
	ck_assert_ptr_nonnull(t);
	free(t);
}
END_TEST

/* The incremental sync appends; applying any response twice is harmless. */
START_TEST(test_incremental_and_reingest)
{
	struct haos_error	 err;
	struct event_row	*ev;
	size_t			 n;
	int64_t			 events, state, members, gaps;
	char			*t;

	sync_file("initial.json");
	events = count("events");
	state = count("state");
	members = count("members");
	gaps = count("gaps");
	sync_file("initial.json");
	ck_assert_int_eq(count("events"), events);
	ck_assert_int_eq(count("state"), state);
	ck_assert_int_eq(count("members"), members);
	ck_assert_int_eq(count("gaps"), gaps);

	sync_file("empty.json");
	sync_file("incremental.json");
	sync_file("incremental.json");
	ck_assert_int_eq(count("events"), events + 1);
	ck_assert_int_eq(count("gaps"), gaps);
	t = token();
	ck_assert_str_eq(t, "s137050_132_4_5_16_1_19_238_0");
	free(t);
	ck_assert_int_eq(store_query_timeline(st, SYNC_ROOM, STORE_LATEST, 1,
	    0, NULL, &ev, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(ev[0].content, "long-polls (carol)"));
	event_rows_free(ev, n);

	/* full_state repeats state without timeline: nothing new. */
	sync_file("full-state.json");
	ck_assert_int_eq(count("events"), events + 1);
	ck_assert_int_eq(count("members"), members);
}
END_TEST

/* A malformed event half-way leaves neither events nor next_batch. */
/* Append ev (a new reference) to the timeline of SYNC_ROOM in j. */
static void
push(json_t *tl, json_t *ev)
{
	json_array_append_new(tl, ev);
}

/*
 * One bad event never stops a sync: events without a sender, content,
 * type or id, or that are not objects at all, and state events without a
 * state_key or content, are skipped, logged and marked in the timeline;
 * the good events around them and next_batch are stored.
 */
START_TEST(test_malformed_skipped)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	struct event_row	*ev;
	json_t			*j, *tl, *state, *good;
	int64_t			 events, markers = 0;
	size_t			 n, i;
	char			*t;

	sync_file("initial.json");
	events = count("events");

	j = load("incremental.json");
	tl = json_object_get(json_path(j, "rooms.join"), SYNC_ROOM);
	state = json_get_obj(tl, "state");
	if (state == NULL) {
		state = json_object();
		json_object_set_new(tl, "state", state);
	}
	json_object_set_new(state, "events", json_pack("[{s:s, s:s, s:s}, "
	    "{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:[]}]",
	    "type", "m.room.topic", "sender", SYNC_ALICE, "event_id", "$nokey",
	    "type", "m.room.topic", "state_key", "", "sender", SYNC_ALICE,
	    "event_id", "$nocontent",
	    "type", "m.room.topic", "state_key", "", "event_id", "$arr",
	    "content"));
	tl = json_get_arr(json_get_obj(tl, "timeline"), "events");
	ck_assert_ptr_nonnull(tl);
	good = json_deep_copy(json_array_get(tl, 0));
	json_object_del(json_array_get(tl, 0), "sender");
	push(tl, json_pack("{s:s, s:s, s:s, s:s}", "event_id", "$str",
	    "sender", SYNC_ALICE, "type", "m.room.message", "content", "hi"));
	push(tl, json_pack("{s:s, s:s, s:{}}", "event_id", "$notype",
	    "sender", SYNC_ALICE, "content"));
	push(tl, json_pack("{s:i, s:s, s:s, s:{}}", "event_id", 7, "sender",
	    SYNC_ALICE, "type", "m.room.message", "content"));
	push(tl, json_integer(42));
	push(tl, json_string("not an event"));
	/* Wrong types where haos reads optional fields: defaults, kept. */
	json_object_set_new(good, "event_id", json_string("$oddtypes"));
	json_object_set_new(good, "origin_server_ts", json_string("soon"));
	json_object_set_new(good, "unsigned", json_string("x"));
	json_object_set_new(json_object_get(good, "content"), "m.relates_to",
	    json_integer(3));
	push(tl, good);

	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	ingest_result_free(&res);
	json_decref(j);
	t = token();
	ck_assert_str_ne(t, "s137049_131_4_5_16_1_19_238_0");
	free(t);
	/* Six unreadable markers and the one good event. */
	ck_assert_int_eq(count("events"), events + 7);
	ck_assert_int_eq(store_query_timeline(st, SYNC_ROOM, STORE_LATEST, 7,
	    0, NULL, &ev, &n, &err), 0);
	ck_assert_uint_eq(n, 7);
	for (i = 0; i < n; i++) {
		if (strcmp(ev[i].type, "io.haos.unreadable") != 0)
			continue;
		markers++;
		ck_assert_ptr_nonnull(strstr(ev[i].content, "\"reason\""));
		ck_assert_int_ne(ev[i].event_id[0], '$');
	}
	ck_assert_int_eq(markers, 6);
	ck_assert_str_eq(ev[n - 1].event_id, "$oddtypes");
	ck_assert_ptr_nonnull(strstr(ev[0].content, "no sender"));
	event_rows_free(ev, n);

	/* No next_batch: refused before anything is written. */
	j = json_pack("{s:{}}", "rooms");
	ck_assert_int_eq(ingest_sync(st, j, &res, &err), -1);
	ck_assert_int_eq(err.code, HAOS_EPROTO);
	json_decref(j);
}
END_TEST

/*
 * ingest_sync_text() of j with a room part that breaks off after one
 * good room: the text is not JSON, so the whole answer must roll back,
 * after its early parts (to_device) and a room were ingested.
 */
static int
sync_broken(const json_t *j, struct haos_error *err)
{
	struct ingest_result	 res;
	json_t			*copy;
	char			*text, *cut;
	int			 rc;

	copy = json_deep_copy(j);
	json_object_del(copy, "rooms");
	text = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);
	text[strlen(text) - 1] = '\0';		/* the closing brace */
	cut = xasprintf("%s,\"rooms\":{\"join\":{\"!ok:haos.test\":{},"
	    "\"!cut:haos.test\":{\"timeline\":{\"events\":[{\"type", text);
	rc = ingest_sync_text(st, cut, strlen(cut), &res, err);
	if (rc == 0)
		ingest_result_free(&res);
	free(text);
	free(cut);
	return rc;
}

/*
 * to_device is kept before the rooms, inside the transaction; with no
 * identity on the store nothing consumes it.
 */
START_TEST(test_to_device)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*j, *rooms;
	char			*t;

	ck_assert_ptr_null(store_crypto(st));
	j = load("to-device.json");
	rooms = load("initial.json");
	json_object_set(j, "rooms", json_object_get(rooms, "rooms"));
	ck_assert_int_eq(ingest_sync(st, j, &res, &err), 0);
	ingest_result_free(&res);
	ck_assert_int_eq(count("to_device"), 2);
	ck_assert_int_gt(count("events"), 0);
	/* device_lists: tracked_users (check_devices.c), no kv any more. */
	ck_assert_int_eq(store_query_kv(st, "device_lists.changed", &t, &err),
	    0);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(store_query_kv(st, "device_one_time_keys_count", &t,
	    &err), 0);
	ck_assert_str_eq(t, "{\"signed_curve25519\":0}");
	free(t);
	json_decref(rooms);
	json_decref(j);
}
END_TEST

/*
 * The unused fallback key types: the stable name, else MSC2732's (a
 * server of before Matrix 1.2 sends that one alone); the stable wins.
 */
START_TEST(test_fallback_key_types)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*j;
	char			*t;

	j = json_loads("{\"next_batch\": \"s1\", "
	    "\"org.matrix.msc2732.device_unused_fallback_key_types\": "
	    "[\"signed_curve25519\"]}", 0, NULL);
	ck_assert_int_eq(ingest_sync(st, j, &res, &err), 0);
	ingest_result_free(&res);
	json_decref(j);
	ck_assert_int_eq(store_query_kv(st, "device_unused_fallback_key_types",
	    &t, &err), 0);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t, "[\"signed_curve25519\"]");
	free(t);
	j = json_loads("{\"next_batch\": \"s2\", "
	    "\"device_unused_fallback_key_types\": [], "
	    "\"org.matrix.msc2732.device_unused_fallback_key_types\": "
	    "[\"signed_curve25519\"]}", 0, NULL);
	ck_assert_int_eq(ingest_sync(st, j, &res, &err), 0);
	ingest_result_free(&res);
	json_decref(j);
	ck_assert_int_eq(store_query_kv(st, "device_unused_fallback_key_types",
	    &t, &err), 0);
	ck_assert_str_eq(t, "[]");
	free(t);
}
END_TEST

/* A batch that fails after its to_device was kept rolls it all back. */
START_TEST(test_to_device_fail)
{
	struct haos_error	 err;
	json_t			*j;
	char			*t;

	j = load("to-device.json");
	ck_assert_int_eq(sync_broken(j, &err), -1);
	ck_assert_int_eq(count("events"), 0);
	ck_assert_int_eq(count("rooms"), 0);
	ck_assert_int_eq(count("kv"), 0);
	ck_assert_int_eq(count("to_device"), 0);
	ck_assert_int_eq(count("room_changes"), 0);
	t = token();
	ck_assert_ptr_null(t);
	json_decref(j);
}
END_TEST

/*
 * Edits, reactions, a thread reply and a redaction as Synapse sends
 * them; the outbox rows of bob's sends are reconciled by transaction id.
 */
START_TEST(test_relations)
{
	struct haos_error	 err;
	struct event_row	*ev, *e, *th;
	struct outbox_row	*ob;
	size_t			 n, i, nth;
	unsigned int		 bits;

	sync_file("relations-setup.json");
	ck_assert_int_gt(store_outbox_add(st, REL_ROOM, "refmwuxqm6l.3",
	    "m.reaction", NULL, "{}", REL_FIRST, &err), 0);
	ck_assert_int_gt(store_outbox_add(st, REL_ROOM, "refmwuxqm6l.14",
	    "m.room.message", NULL, "{\"body\":\"filler message 6\"}", NULL,
	    &err), 0);
	ck_assert_int_gt(store_outbox_add(st, REL_ROOM, "haos.unsent",
	    "m.room.message", NULL, "{\"body\":\"still pending\"}", NULL,
	    &err), 0);
	bits = sync_file("relations.json");
	ck_assert(bits & NOTIFY_OUTBOX);

	ck_assert_int_eq(store_query_outbox(st, OUTBOX_SENT, &ob, &n, &err),
	    0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ob[0].event_id, REL_REACTION);
	ck_assert_str_eq(ob[1].event_id,
	    "$rVzlTNXmZWAkW2pHxxR3yMRNRKXbw6eH2rfLpfQlU-w");
	outbox_rows_free(ob, n);

	ck_assert_int_eq(store_query_timeline(st, REL_ROOM, STORE_LATEST, 50,
	    0, REL_BOB, &ev, &n, &err), 0);
	/*
	 * 13 events less the edit, the reaction, the redaction and the
	 * thread reply (shown in its thread): 9.
	 */
	ck_assert_uint_eq(n, 9 + 1);
	ck_assert_ptr_null(find(ev, n, REL_EDIT));
	ck_assert_ptr_null(find(ev, n, REL_REACTION));
	ck_assert_ptr_null(find(ev, n, REL_REDACTION));
	e = find(ev, n, REL_FIRST);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->content, "{\"msgtype\":\"m.text\","
	    "\"body\":\"Hello, world!\"}");
	ck_assert_str_eq(e->edited_by, REL_EDIT);
	ck_assert_uint_eq(e->nreactions, 1);
	ck_assert_str_eq(e->reactions[0].key, "\xf0\x9f\x91\x8d");
	ck_assert_int_eq(e->reactions[0].count, 1);
	ck_assert_int_eq(e->reactions[0].mine, 1);
	ck_assert_int_eq(e->thread_count, 1);
	e = find(ev, n, REL_DELETED);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->redacted, 1);
	ck_assert_str_eq(e->redacted_by, REL_REDACTION);
	ck_assert_str_eq(e->content, "{}");
	/* The thread reply is in its thread, with its relation. */
	ck_assert_ptr_null(find(ev, n,
	    "$jvur4OZPc3vP96tUIRlp5qUG7eB2_JlKqqyuTOLXiPs"));
	ck_assert_int_eq(store_query_thread(st, REL_ROOM, REL_FIRST, REL_BOB,
	    &th, &nth, &err), 0);
	e = find(th, nth, "$jvur4OZPc3vP96tUIRlp5qUG7eB2_JlKqqyuTOLXiPs");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->rel_type, "m.thread");
	ck_assert_str_eq(e->relates_to, REL_FIRST);
	ck_assert_str_eq(th[0].event_id, REL_FIRST);
	event_rows_free(th, nth);
	/* Ordered, with the unsent echo last. */
	for (i = 1; i + 1 < n; i++)
		ck_assert_int_lt(ev[i - 1].ordinal, ev[i].ordinal);
	ck_assert_ptr_null(ev[n - 1].event_id);
	ck_assert_str_eq(ev[n - 1].txn_id, "haos.unsent");
	ck_assert_int_eq(ev[n - 1].echo, OUTBOX_PENDING);
	ck_assert_str_eq(ev[n - 1].sender, REL_BOB);
	event_rows_free(ev, n);

	/* alice did not react; her page has no echo of bob's send. */
	ck_assert_int_eq(store_query_timeline(st, REL_ROOM, STORE_LATEST, 50,
	    0, REL_ALICE, &ev, &n, &err), 0);
	e = find(ev, n, REL_FIRST);
	ck_assert_int_eq(e->reactions[0].mine, 0);
	event_rows_free(ev, n);
}
END_TEST

/* Append one event (a copy) to the room's timeline of a sync response. */
static void
append(json_t *sync, const char *room_id, json_t *ev)
{
	json_t	*tl;

	tl = json_get_obj(json_object_get(json_get_obj(json_get_obj(sync,
	    "rooms"), "join"), room_id), "timeline");
	ck_assert_ptr_nonnull(tl);
	json_array_append_new(json_get_arr(tl, "events"), ev);
}

/* A copy of a timeline event of a fixture, found by event id. */
static json_t *
copy_event(const char *file, const char *room_id, const char *event_id)
{
	json_t	*j, *tl, *ev, *out = NULL;
	size_t	 i;

	j = load(file);
	tl = json_get_arr(json_get_obj(json_object_get(json_get_obj(
	    json_get_obj(j, "rooms"), "join"), room_id), "timeline"),
	    "events");
	json_array_foreach(tl, i, ev) {
		if (strcmp(json_get_str(ev, "event_id", ""), event_id) == 0)
			out = json_deep_copy(ev);
	}
	json_decref(j);
	ck_assert_ptr_nonnull(out);
	return out;
}

/* Only the original sender's newest edit applies. */
START_TEST(test_edit_by_other_ignored)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	struct event_row	 e;
	json_t			*j, *ev;

	j = load("relations.json");
	/* bob "edits" alice's message later than alice did. */
	ev = copy_event("relations.json", REL_ROOM, REL_EDIT);
	json_object_set_new(ev, "sender", json_string(REL_BOB));
	json_object_set_new(ev, "event_id", json_string("$bob-edit"));
	json_object_set_new(ev, "origin_server_ts",
	    json_integer(1795539309999));
	json_object_set_new(json_get_obj(json_get_obj(ev, "content"),
	    "m.new_content"), "body", json_string("hijacked"));
	append(j, REL_ROOM, ev);
	/* alice's own edit of a different type does not apply either. */
	ev = copy_event("relations.json", REL_ROOM, REL_EDIT);
	json_object_set_new(ev, "type", json_string("m.sticker"));
	json_object_set_new(ev, "event_id", json_string("$alice-sticker"));
	json_object_set_new(ev, "origin_server_ts",
	    json_integer(1795539309999));
	append(j, REL_ROOM, ev);
	sync_file("relations-setup.json");
	ck_assert_int_eq(ingest_sync(st, j, &res, &err), 0);
	ingest_result_free(&res);
	json_decref(j);

	ck_assert_int_eq(store_query_event(st, REL_FIRST, &e, &err), 1);
	ck_assert_str_eq(e.content, "{\"msgtype\":\"m.text\","
	    "\"body\":\"Hello, world!\"}");
	ck_assert_str_eq(e.edited_by, REL_EDIT);
	event_row_free(&e);
}
END_TEST

/* A rename keeps what it changed from, for "changed their name to". */
START_TEST(test_member_prev_content)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	struct event_row	 e;
	json_t			*j, *ev;

	j = load("relations.json");
	ev = json_pack("{s:s, s:s, s:s, s:s, s:I, s:{s:s, s:s}, "
	    "s:{s:{s:s, s:s, s:s}}}", "event_id", "$rename", "type",
	    "m.room.member", "sender", REL_BOB, "state_key", REL_BOB,
	    "origin_server_ts", (json_int_t)1795539309999, "content",
	    "membership", "join", "displayname", "Robert", "unsigned",
	    "prev_content", "membership", "join", "displayname", "Bob",
	    "reason", "not kept");
	append(j, REL_ROOM, ev);
	sync_file("relations-setup.json");
	ck_assert_int_eq(ingest_sync(st, j, &res, &err), 0);
	ingest_result_free(&res);
	json_decref(j);

	ck_assert_int_eq(store_query_event(st, "$rename", &e, &err), 1);
	ck_assert_str_eq(e.content, "{\"membership\":\"join\","
	    "\"displayname\":\"Robert\",\"io.haos.prev\":"
	    "{\"membership\":\"join\",\"displayname\":\"Bob\"}}");
	event_row_free(&e);
}
END_TEST

/* A redaction arriving on /sync prunes its target by the v10 rules. */
START_TEST(test_redaction_applied)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	struct event_row	 e;
	struct member_row	*m;
	struct room_row		 r;
	json_t			*j, *red;
	size_t			 n;
	char			*t;

	sync_file("relations-setup.json");
	sync_file("relations.json");

	/* Redact the edit, the reaction, bob's member event and the name. */
	j = load("empty.json");
	json_object_set_new(j, "rooms", json_pack("{s:{s:{s:{s:[]}}}}",
	    "join", REL_ROOM, "timeline", "events"));
	red = copy_event("relations.json", REL_ROOM, REL_REDACTION);
	json_object_set_new(red, "event_id", json_string("$r1"));
	json_object_set_new(red, "redacts", json_string(REL_EDIT));
	append(j, REL_ROOM, red);
	red = json_deep_copy(red);
	json_object_set_new(red, "event_id", json_string("$r2"));
	json_object_set_new(red, "redacts", json_string(REL_REACTION));
	append(j, REL_ROOM, red);
	red = json_deep_copy(red);
	json_object_set_new(red, "event_id", json_string("$r3"));
	/* bob's join and the room name, from the setup sync's state. */
	json_object_set_new(red, "redacts",
	    json_string("$VF6CdXiPduuv35lnMhnpseRZ8J4WWwL8XihalD7t1ic"));
	append(j, REL_ROOM, red);
	red = json_deep_copy(red);
	json_object_set_new(red, "event_id", json_string("$r4"));
	json_object_set_new(red, "redacts",
	    json_string("$BAoFd7bJGBdHwJOM7P8cdaYmEgjh9z5qKBgspiw44R8"));
	append(j, REL_ROOM, red);
	ck_assert_int_eq(ingest_sync(st, j, &res, &err), 0);
	ingest_result_free(&res);
	json_decref(j);

	/* The relations pointing at the message are gone. */
	ck_assert_int_eq(store_query_event(st, REL_FIRST, &e, &err), 1);
	ck_assert_ptr_nonnull(strstr(e.content, "Hello **world**"));
	ck_assert_ptr_null(e.edited_by);
	ck_assert_uint_eq(e.nreactions, 0);
	event_row_free(&e);
	ck_assert_int_eq(store_query_event(st, REL_EDIT, &e, &err), 1);
	ck_assert_int_eq(e.redacted, 1);
	ck_assert_str_eq(e.redacted_by, "$r1");
	ck_assert_str_eq(e.content, "{}");
	event_row_free(&e);
	/* A redacted event is not redacted again by a later redaction. */
	ck_assert_int_eq(store_query_event(st, REL_DELETED, &e, &err), 1);
	ck_assert_str_eq(e.redacted_by, REL_REDACTION);
	event_row_free(&e);

	/* State: membership is kept, the display name is not. */
	ck_assert_int_eq(store_query_state(st, REL_ROOM, "m.room.member",
	    REL_BOB, &t, &err), 0);
	ck_assert_str_eq(t, "{\"membership\":\"join\"}");
	free(t);
	ck_assert_int_eq(store_query_members(st, REL_ROOM, &m, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(m[1].user_id, REL_BOB);
	ck_assert_ptr_null(m[1].displayname);
	member_rows_free(m, n);
	ck_assert_int_eq(store_query_room(st, REL_ROOM, &r, &err), 1);
	ck_assert_ptr_null(r.name);
	room_row_free(&r);
}
END_TEST

/* Fill the newest gap of REL_ROOM from a /messages page. */
static void
backfill(const char *file)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	struct gap_row		*g;
	size_t			 n;
	json_t			*j;

	ck_assert_int_eq(store_query_gaps(st, REL_ROOM, &g, &n, &err), 0);
	ck_assert_uint_ge(n, 1);
	j = load(file);
	ck_assert_msg(ingest_messages(st, REL_ROOM, j, g[0].id, &res,
	    &err) == 0, "%s: %s", file, err.msg);
	ck_assert(res.notify & NOTIFY_TIMELINE);
	ingest_result_free(&res);
	json_decref(j);
	gap_rows_free(g, n);
}

/*
 * A limited timeline leaves a gap; /messages pages fill it newest first,
 * the gap moving down with `end` until m.room.create closes it.
 */
START_TEST(test_gap_backfill)
{
	struct haos_error	 err;
	struct event_row	*ev;
	struct gap_row		*g;
	size_t			 n, i;
	char			*t;

	sync_file("relations-setup.json");
	sync_file("relations-limited.json");
	ck_assert_int_eq(store_query_gaps(st, REL_ROOM, &g, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(g[0].prev_batch, "s137274_168_6_7_20_1_21_300_0");
	ck_assert_str_eq(g[1].prev_batch, "s137266_167_6_7_20_1_21_300_0");
	gap_rows_free(g, n);
	ck_assert_int_eq(count("events"), 5);

	backfill("messages-b1.json");
	ck_assert_int_eq(count("events"), 9);
	ck_assert_int_eq(store_query_gaps(st, REL_ROOM, &g, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(g[0].prev_batch, "t13-137270_168_6_7_20_1_21_300_0");
	gap_rows_free(g, n);
	backfill("messages-b2.json");
	backfill("messages-b3.json");
	backfill("messages-b4.json");
	backfill("messages-b5.json");
	ck_assert_int_eq(count("events"), 22);
	/* m.room.create reached: no gap is left, not even the older one. */
	ck_assert_int_eq(count("gaps"), 0);

	/* Everything is in server order: origin_server_ts never decreases. */
	ck_assert_int_eq(store_query_timeline(st, REL_ROOM, STORE_LATEST, 100,
	    0, REL_BOB, &ev, &n, &err), 0);
	ck_assert_str_eq(ev[0].type, "m.room.create");
	for (i = 1; i < n; i++) {
		ck_assert_int_lt(ev[i - 1].ordinal, ev[i].ordinal);
		ck_assert_int_le(ev[i - 1].ts, ev[i].ts);
	}
	ck_assert_ptr_nonnull(strstr(ev[n - 1].content, "filler message 6"));
	/* Relations that arrived by backfill are folded too. */
	ck_assert_str_eq(find(ev, n, REL_FIRST)->edited_by, REL_EDIT);
	ck_assert_int_eq(find(ev, n, REL_DELETED)->redacted, 1);
	event_rows_free(ev, n);

	/* Backfill does not touch current state or the sync token. */
	t = token();
	ck_assert_str_eq(t, "s137279_168_6_7_20_1_21_300_0");
	free(t);
}
END_TEST

/* Backfill that meets stored events closes the gap without duplicates. */
START_TEST(test_backfill_dedup)
{
	struct haos_error	 err;
	struct gap_row		*g;
	size_t			 n;
	int64_t			 events;

	sync_file("relations-setup.json");
	sync_file("relations.json");	/* complete: no new gap */
	ck_assert_int_eq(store_query_gaps(st, REL_ROOM, &g, &n, &err), 0);
	ck_assert_uint_eq(n, 1);	/* the empty limited setup timeline */
	gap_rows_free(g, n);
	events = count("events");
	backfill("messages-b2.json");	/* all four are stored already */
	ck_assert_int_eq(count("events"), events);
	ck_assert_int_eq(count("gaps"), 0);
}
END_TEST

/* A space with channels: io.haos.channel types, m.space.child order. */
START_TEST(test_spaces)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	struct room_row		*r;
	json_t			*j;
	size_t			 n;

	sync_file("haos-setup.json");
	sync_file("haos-space.json");
	ck_assert_int_eq(store_query_rooms(st, STORE_ROOMS_SPACES, NULL, &r,
	    &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(r[0].room_id, SPACE);
	ck_assert_str_eq(r[0].name, "Reference Server");
	ck_assert_str_eq(r[0].avatar_url, "mxc://haos.test/haosReferenceIcon");
	ck_assert_int_eq(r[0].is_space, 1);
	room_rows_free(r, n);

	ck_assert_int_eq(store_query_rooms(st, STORE_ROOMS_CHANNELS, SPACE,
	    &r, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(r[0].name, "general");
	ck_assert_int_eq(r[0].channel, CHANNEL_TEXT);
	ck_assert_str_eq(r[0].parent_id, SPACE);
	ck_assert_str_eq(r[1].name, "voice");
	ck_assert_int_eq(r[1].channel, CHANNEL_AUDIO);
	room_rows_free(r, n);
	ck_assert_int_eq(store_query_rooms(st, STORE_ROOMS_OTHER, NULL, &r,
	    &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	room_rows_free(r, n);

	/* An m.space.child "order" sorts before names. */
	j = load("empty.json");
	json_object_set_new(j, "rooms", json_pack("{s:{s:{s:{s:[]}}}}",
	    "join", SPACE, "timeline", "events"));
	append(j, SPACE, json_pack("{s:s, s:s, s:s, s:s, s:{s:[s], s:s}, "
	    "s:I}", "type", "m.space.child", "state_key",
	    "!rkYaMffgGHxTPMqqXB:haos.test", "sender",
	    "@alice-mwuxo8yy-3:haos.test", "event_id", "$order", "content",
	    "via", "haos.test", "order", "a", "origin_server_ts",
	    (json_int_t)1795539300000));
	ck_assert_int_eq(ingest_sync(st, j, &res, &err), 0);
	ck_assert(res.notify & NOTIFY_CHANNELS);
	ingest_result_free(&res);
	json_decref(j);
	ck_assert_int_eq(store_query_rooms(st, STORE_ROOMS_CHANNELS, SPACE,
	    &r, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(r[0].name, "voice");
	ck_assert_str_eq(r[0].order, "a");
	ck_assert_str_eq(r[1].name, "general");
	room_rows_free(r, n);
	ck_assert_int_eq(store_query_rooms(st, STORE_ROOMS_ALL, NULL, &r, &n,
	    &err), 0);
	ck_assert_uint_eq(n, 3);
	room_rows_free(r, n);
}
END_TEST

/* Invites carry stripped state; joining turns them into joined rooms. */
START_TEST(test_invite_then_join)
{
	struct haos_error	 err;
	struct room_row		 r;
	struct room_row		*rows;
	size_t			 n;

	sync_file("haos-invite.json");
	ck_assert_int_eq(store_query_room(st, SPACE, &r, &err), 1);
	ck_assert_int_eq(r.join, ROOM_INVITE);
	ck_assert_str_eq(r.name, "Reference Server");
	ck_assert_int_eq(r.is_space, 1);
	room_row_free(&r);
	ck_assert_int_eq(count("events"), 0);

	sync_file("haos-joined.json");
	ck_assert_int_eq(store_query_room(st, SPACE, &r, &err), 1);
	ck_assert_int_eq(r.join, ROOM_JOIN);
	room_row_free(&r);
	ck_assert_int_eq(store_query_rooms(st, STORE_ROOMS_CHANNELS, SPACE,
	    &rows, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rows[0].name, "general");
	room_rows_free(rows, n);
}
END_TEST

/* m.direct marks DMs; encryption state; power levels of two admins. */
START_TEST(test_direct)
{
	struct haos_error	 err;
	struct room_row		*r;
	struct member_row	*m;
	size_t			 n;

	sync_file("direct.json");
	ck_assert_int_eq(store_query_rooms(st, STORE_ROOMS_DIRECT, NULL, &r,
	    &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(r[0].room_id, DM_ROOM);
	ck_assert_str_eq(r[0].direct_user, "@bob-mwuxo8yy-9:haos.test");
	ck_assert_int_eq(r[0].encrypted, 1);
	room_rows_free(r, n);
	ck_assert_int_eq(store_query_members(st, DM_ROOM, &m, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(m[0].power_level, 100);
	ck_assert_int_eq(m[1].power_level, 100);
	ck_assert_str_eq(m[1].membership, "invite");	/* invitees last */
	member_rows_free(m, n);

	/* An m.direct without the room unmarks it. */
	sync_file("direct-joined.json");
	ck_assert_int_eq(store_query_rooms(st, STORE_ROOMS_DIRECT, NULL, &r,
	    &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	room_rows_free(r, n);
}
END_TEST

/* Typing, receipts and room account data. */
START_TEST(test_ephemeral)
{
	struct haos_error	 err;
	unsigned int		 bits;
	char			*t;

	sync_file("receipt.json");
	ck_assert_int_eq(store_query_receipt(st, EPH_ROOM, "m.read",
	    "@alice-mwuxo8yy-8:haos.test", &t, &err), 0);
	ck_assert_str_eq(t, "$Yj_S0MzGt1pOpFQdXRDMYqOor9Ea4r6bNJ82uB0kxXI");
	free(t);
	ck_assert_int_eq(store_query_typing(st, EPH_ROOM, &t, &err), 0);
	ck_assert_str_eq(t, "[]");
	free(t);
	bits = sync_file("typing.json");
	ck_assert(bits & NOTIFY_TYPING);
	ck_assert_int_eq(store_query_typing(st, EPH_ROOM, &t, &err), 0);
	ck_assert_str_eq(t, "[\"@bob-mwuxo8yy-8:haos.test\"]");
	free(t);
	sync_file("read-markers.json");
	ck_assert_int_eq(store_query_account_data(st, EPH_ROOM, "m.fully_read",
	    &t, &err), 0);
	ck_assert_str_eq(t, "{\"event_id\":"
	    "\"$Yj_S0MzGt1pOpFQdXRDMYqOor9Ea4r6bNJ82uB0kxXI\"}");
	free(t);
	ck_assert_int_eq(store_query_receipt(st, EPH_ROOM, "m.read.private",
	    "@alice-mwuxo8yy-8:haos.test", &t, &err), 0);
	ck_assert_ptr_nonnull(t);
	free(t);
}
END_TEST

/* The to-device events kept in st, oldest first; exactly want of them. */
static struct to_device_row *
kept(struct store *s, int64_t after, size_t max, size_t want)
{
	struct haos_error	 err;
	struct to_device_row	*rows;
	size_t			 n;

	ck_assert_msg(store_to_device_list(s, after, max, &rows, &n, &err) ==
	    0, "%s", err.msg);
	ck_assert_uint_eq(n, want);
	return rows;
}

/* to-device.json with entries that are not events among its two. */
static json_t *
to_device_malformed(void)
{
	json_t	*j, *evs;

	j = load("to-device.json");
	evs = json_path(j, "to_device.events");
	ck_assert_ptr_nonnull(evs);
	json_array_insert_new(evs, 1, json_integer(42));
	json_array_insert_new(evs, 1, json_pack("{s:s,s:{}}", "sender",
	    "@bob-mwuxo8yy-12:haos.test", "content"));
	json_array_append_new(evs, json_pack("{s:i,s:{}}", "type", 7,
	    "content"));
	return j;
}

/*
 * Every to_device event is kept with the batch's next_batch, in order,
 * across a reopen; entries that are not events are skipped, not fatal.
 */
START_TEST(test_to_device_kept)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	struct to_device_row	*rows;
	struct store		*ro;
	json_t			*j;
	char			*path, *t;
	int64_t			 first, second;

	j = to_device_malformed();
	ck_assert_int_eq(ingest_sync(st, j, &res, &err), 0);
	ingest_result_free(&res);
	json_decref(j);
	ck_assert_int_eq(count("to_device"), 2);	/* events only */

	/* Closed and opened again: both still there, in /sync order. */
	store_close(st);
	path = xasprintf("%s/cache.db", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	rows = kept(st, 0, 0, 2);
	ck_assert_int_lt(rows[0].id, rows[1].id);
	ck_assert_str_eq(rows[0].type, "io.haos.test.ping");
	ck_assert_str_eq(rows[0].sender, "@bob-mwuxo8yy-12:haos.test");
	ck_assert_ptr_nonnull(strstr(rows[0].event, "\"to one device\""));
	ck_assert_ptr_nonnull(strstr(rows[1].event, "\"to every device\""));
	first = rows[0].id;
	second = rows[1].id;
	j = json_loads(rows[1].event, 0, NULL);
	ck_assert_int_eq(json_get_int(json_get_obj(j, "content"), "n", 0), 2);
	json_decref(j);
	store_to_device_rows_free(rows, 2);
	t = token();
	ck_assert_str_eq(t, "s137255_155_6_7_20_1_21_294_0");
	free(t);

	/* The read-only connection sees them too; paging by id and max. */
	ro = store_open(path, STORE_RO, &err);
	ck_assert_msg(ro != NULL, "%s", err.msg);
	rows = kept(ro, first, 0, 1);
	ck_assert_int_eq(rows[0].id, second);
	store_to_device_rows_free(rows, 1);
	rows = kept(ro, 0, 1, 1);
	ck_assert_int_eq(rows[0].id, first);
	store_to_device_rows_free(rows, 1);
	ck_assert_int_eq(store_to_device_delete(ro, first, &err), -1);

	/* A second batch appends; consumed ones are deleted by id. */
	sync_file("to-device.json");
	ck_assert_int_eq(store_to_device_delete(st, second, &err), 0);
	rows = kept(ro, 0, 0, 2);
	ck_assert_int_gt(rows[0].id, second);
	ck_assert_ptr_nonnull(strstr(rows[0].event, "\"to one device\""));
	store_to_device_rows_free(rows, 2);
	store_close(ro);
	free(path);
}
END_TEST

/* A batch that fails keeps neither its to-device events nor next_batch. */
START_TEST(test_to_device_atomic)
{
	struct haos_error	 err;
	json_t			*j, *rooms;
	int64_t			 events;
	char			*t;

	sync_file("to-device.json");
	ck_assert_int_eq(count("to_device"), 2);
	events = count("events");
	j = to_device_malformed();
	json_object_set_new(j, "next_batch", json_string("s-never"));
	rooms = load("incremental.json");
	json_object_set(j, "rooms", json_object_get(rooms, "rooms"));
	/* The batch fails after its to-device events: it is undone. */
	ck_assert_int_eq(sync_broken(j, &err), -1);
	ck_assert_int_eq(count("to_device"), 2);
	ck_assert_int_eq(count("events"), events);
	t = token();
	ck_assert_str_eq(t, "s137255_155_6_7_20_1_21_294_0");
	free(t);
	json_decref(rooms);
	json_decref(j);
}
END_TEST

/* The rooms changed after seq, as one comma-separated string. */
static char *
changed(struct store *s, int64_t *seq)
{
	struct haos_error	 err;
	char			**ids, *acc, *t;
	size_t			 n, i;

	ck_assert_msg(store_changed_rooms(s, *seq, &ids, &n, seq, &err) == 0,
	    "%s", err.msg);
	acc = xstrdup("");
	for (i = 0; i < n; i++) {
		t = xasprintf("%s%s%s", acc, i > 0 ? "," : "", ids[i]);
		free(acc);
		acc = t;
	}
	store_changed_rooms_free(ids, n);
	return acc;
}

/* A batch with one new message in each of rooms (NULL-terminated). */
static void
sync_messages(const char *next, const char *const *rooms)
{
	static int		 seq;
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*j, *join;
	char			*id;

	join = json_object();
	for (; *rooms != NULL; rooms++) {
		id = xasprintf("$m%d:haos.test", ++seq);
		json_object_set_new(join, *rooms, json_pack("{s:{s:[{s:s,s:s,"
		    "s:s,s:I,s:{s:s,s:s}}]}}", "timeline", "events",
		    "event_id", id, "sender", SYNC_ALICE, "type",
		    "m.room.message", "origin_server_ts", (json_int_t)seq,
		    "content", "msgtype", "m.text", "body", "hi"));
		free(id);
	}
	j = json_pack("{s:s,s:{s:o}}", "next_batch", next, "rooms", "join",
	    join);
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	ingest_result_free(&res);
	json_decref(j);
}

/*
 * Each write transaction records the rooms it changed; a reader asks
 * which changed since the seq it last saw.
 */
START_TEST(test_changed_rooms)
{
	static const char *const xy[] = { "!x:haos.test", "!y:haos.test",
	    NULL };
	static const char *const y[] = { "!y:haos.test", NULL };
	struct ingest_result	 res;
	struct haos_error	 err;
	struct store		*ro;
	json_t			*j;
	char			*path, *c;
	int64_t			 seq = 0, was, ro_seq;

	path = xasprintf("%s/cache.db", dir);
	ro = store_open(path, STORE_RO, &err);
	ck_assert_msg(ro != NULL, "%s", err.msg);
	ck_assert_int_eq(store_change_seq(ro, &err), 0);
	c = changed(ro, &seq);
	ck_assert_str_eq(c, "");
	ck_assert_int_eq(seq, 0);
	free(c);

	/* Rooms X and Y, exactly, from the UI's read-only connection. */
	sync_messages("s1", xy);
	c = changed(ro, &seq);
	ck_assert_str_eq(c, "!x:haos.test,!y:haos.test");
	free(c);
	ck_assert_int_gt(seq, 0);
	ck_assert_int_eq(store_change_seq(ro, &err), seq);
	ro_seq = seq;

	/* A batch that touches nothing changes nothing. */
	was = seq;
	sync_file("empty.json");
	c = changed(ro, &seq);
	ck_assert_str_eq(c, "");
	free(c);
	ck_assert_int_eq(seq, was);

	/* Only Y; and a reader further behind still sees both. */
	sync_messages("s2", y);
	c = changed(ro, &seq);
	ck_assert_str_eq(c, "!y:haos.test");
	free(c);
	ck_assert_int_gt(seq, was);
	was = 0;
	c = changed(ro, &was);
	ck_assert_str_eq(c, "!x:haos.test,!y:haos.test");
	free(c);
	ck_assert_int_eq(was, seq);
	ck_assert_int_gt(seq, ro_seq);

	/* A failed batch records nothing. */
	j = json_pack("{s:s,s:{s:{s:{s:{s:[{s:s,s:s,s:s,s:{}}]}}}},"
	    "s:{s:[{s:s,s:s,s:{}}]}}", "next_batch", "s3",
	    "rooms", "join", "!x:haos.test", "timeline", "events", "type",
	    "m.room.message", "event_id", "$f1", "sender", "@a:haos.test",
	    "content", "to_device", "events", "type", "m.room_key",
	    "sender", "@a:haos.test", "content");
	ck_assert_int_eq(sync_broken(j, &err), -1);
	json_decref(j);
	c = changed(ro, &seq);
	ck_assert_str_eq(c, "");
	free(c);

	/* m.direct is not one room's change: "" means everything. */
	j = json_pack("{s:s,s:{s:[{s:s,s:{}}]}}", "next_batch", "s4",
	    "account_data", "events", "type", "m.direct", "content");
	ck_assert_int_eq(ingest_sync(st, j, &res, &err), 0);
	ingest_result_free(&res);
	json_decref(j);
	c = changed(ro, &seq);
	ck_assert_str_eq(c, "");
	free(c);
	ck_assert_int_eq(store_change_seq(ro, &err), seq);
	c = changed(ro, &ro_seq);
	ck_assert_str_eq(c, "!y:haos.test,");		/* y, then "" */
	free(c);

	/* Outbox calls of the net thread record their room themselves. */
	ck_assert_int_gt(store_outbox_add(st, "!z:haos.test", "haos.t1",
	    "m.room.message", NULL, "{}", NULL, &err), 0);
	c = changed(ro, &seq);
	ck_assert_str_eq(c, "!z:haos.test");
	free(c);
	ck_assert_int_eq(store_outbox_mark_failed(st, "haos.t1", "M_UNKNOWN",
	    &err), 0);
	c = changed(ro, &seq);
	ck_assert_str_eq(c, "!z:haos.test");
	free(c);
	ck_assert_int_eq(store_outbox_mark_sent(st, "haos.none", "$e", &err),
	    0);
	c = changed(ro, &seq);
	ck_assert_str_eq(c, "");
	free(c);
	store_close(ro);
	free(path);
}
END_TEST

/* A backfill page records its room. */
START_TEST(test_changed_backfill)
{
	static const char *const x[] = { "!x:haos.test", NULL };
	struct haos_error	 err;
	char			*c;
	int64_t			 seq;

	sync_file("relations-setup.json");
	sync_file("relations-limited.json");
	sync_messages("s9", x);
	seq = store_change_seq(st, &err);
	ck_assert_int_gt(seq, 0);
	backfill("messages-b1.json");
	c = changed(st, &seq);
	ck_assert_str_eq(c, REL_ROOM);
	free(c);
}
END_TEST

/* Each read API call counts once, however many statements it runs. */
START_TEST(test_query_calls)
{
	struct haos_error	 err;
	struct store		*ro;
	struct room_row		*r;
	struct event_row	*ev;
	struct member_row	*m;
	char			*path, *t;
	size_t			 n;
	int64_t			 k;

	sync_file("initial.json");
	path = xasprintf("%s/cache.db", dir);
	ro = store_open(path, STORE_RO, &err);
	ck_assert_msg(ro != NULL, "%s", err.msg);
	ck_assert_uint_eq(store_query_calls(ro), 0);
	ck_assert_int_eq(store_query_rooms(ro, STORE_ROOMS_ALL, NULL, &r, &n,
	    &err), 0);
	room_rows_free(r, n);
	ck_assert_uint_eq(store_query_calls(ro), 1);
	/* A page runs many statements (relations of each event): one call. */
	ck_assert_int_eq(store_query_timeline(ro, SYNC_ROOM, STORE_LATEST, 50,
	    0, SYNC_ALICE, &ev, &n, &err), 0);
	ck_assert_uint_gt(n, 1);
	event_rows_free(ev, n);
	ck_assert_uint_eq(store_query_calls(ro), 2);
	ck_assert_int_eq(store_query_members(ro, SYNC_ROOM, &m, &n, &err), 0);
	member_rows_free(m, n);
	ck_assert_int_eq(store_query_sync_token(ro, &t, &err), 0);
	free(t);
	ck_assert_int_eq(store_query_state(ro, SYNC_ROOM, "m.room.name", "",
	    &t, &err), 0);
	free(t);
	ck_assert_int_eq(store_query_count(ro, "events", &k, &err), 0);
	ck_assert_uint_eq(store_query_calls(ro), 6);
	ck_assert_int_eq(store_change_seq(ro, &err), 1);
	ck_assert_uint_eq(store_query_calls(ro), 7);
	/* Writes on the other connection are not reads of this one. */
	sync_file("empty.json");
	ck_assert_uint_eq(store_query_calls(ro), 7);
	store_close(ro);
	free(path);
}
END_TEST

#define MB_ROOM		"!members:haos.test"

/* A /sync of MB_ROOM: its power levels, Carol's join, a timeline. */
static void
mb_sync(const char *next_batch, int limited, const char *carol_name)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*j;

	j = json_pack("{s:s, s:{s:{s:{s:{s:[{s:s, s:s, s:s, s:s, s:I, "
	    "s:{s:{s:i}}}]}, s:{s:b, s:s, s:[{s:s, s:s, s:s, s:s, s:I, "
	    "s:{s:s, s:s}}]}}}}}",
	    "next_batch", next_batch, "rooms", "join", MB_ROOM,
	    "state", "events", "type", "m.room.power_levels", "state_key", "",
	    "sender", "@owner:haos.test", "event_id", "$pl",
	    "origin_server_ts", (json_int_t)1, "content", "users",
	    "@owner:haos.test", 100,
	    "timeline", "limited", limited, "prev_batch", "t1", "events",
	    "type", "m.room.member", "state_key", "@carol:haos.test",
	    "sender", "@carol:haos.test", "event_id", next_batch,
	    "origin_server_ts", (json_int_t)2, "content", "membership", "join",
	    "displayname", carol_name);
	ck_assert_ptr_nonnull(j);
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	ingest_result_free(&res);
	json_decref(j);
}

static json_t *
mb_member_ev(const char *user, const char *name, const char *membership)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:{s:s, s:s}}",
	    "type", "m.room.member", "state_key", user, "sender", user,
	    "room_id", MB_ROOM, "event_id", user, "origin_server_ts",
	    (json_int_t)3, "content", "membership", membership,
	    "displayname", name);
}

/* user's name and power in MB_ROOM's member list; NULL if not listed. */
static char *
mb_member(const char *user, int64_t *power)
{
	struct haos_error	 err;
	struct member_row	*rows = NULL;
	size_t			 n = 0, i;
	char			*name = NULL;

	ck_assert_int_eq(store_query_members(st, MB_ROOM, &rows, &n, &err),
	    0);
	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].user_id, user) == 0) {
			name = xstrdup(rows[i].displayname != NULL ?
			    rows[i].displayname : "");
			if (power != NULL)
				*power = rows[i].power_level;
		}
	}
	member_rows_free(rows, n);
	return name;
}

/*
 * A /members answer goes through the state path (power levels, names);
 * a bad event in it is skipped, never the answer; the list is marked
 * complete until a cut timeline; an answer overtaken by a /sync adds
 * only unknown people and is not marked complete.
 */
START_TEST(test_members_answer)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*a;
	char			*name;
	int64_t			 power = -1;

	mb_sync("$s1", 1, "Carol");
	ck_assert_int_eq(ingest_members_complete(st, MB_ROOM, &err), 0);
	ck_assert_ptr_null(mb_member("@owner:haos.test", NULL));

	/* No chunk: an error, nothing changed. */
	a = json_pack("{s:[]}", "events");
	ck_assert_int_eq(ingest_members(st, MB_ROOM, a, 1, &res, &err), -1);
	json_decref(a);
	ck_assert_int_eq(ingest_members_complete(st, MB_ROOM, &err), 0);

	a = json_pack("{s:[i, {s:s}, {s:s, s:s, s:{}}, {s:s, s:s, s:s}, "
	    "{s:s, s:s, s:s, s:{s:s}}, {s:s, s:s, s:{s:s}}]}", "chunk",
	    42, "type", "m.room.member",
	    "type", "m.room.message", "state_key", "@x:haos.test", "content",
	    "type", "m.room.member", "state_key", "@x:haos.test", "content",
	    "join",
	    "type", "m.room.member", "room_id", "!other:haos.test",
	    "state_key", "@x:haos.test", "content", "membership", "join",
	    "type", "m.room.member", "state_key", "@x:haos.test", "content",
	    "membership", "join");
	ck_assert_ptr_nonnull(a);
	json_array_append_new(json_object_get(a, "chunk"),
	    mb_member_ev("@owner:haos.test", "Alice \x1b[31mOwner", "join"));
	json_array_append_new(json_object_get(a, "chunk"),
	    mb_member_ev("@gone:haos.test", "Gone", "leave"));
	ck_assert_int_eq(ingest_members(st, MB_ROOM, a, 1, &res, &err), 0);
	ck_assert(res.notify & NOTIFY_MEMBERS);
	ck_assert_uint_eq(res.nrooms, 1);
	ingest_result_free(&res);
	json_decref(a);
	name = mb_member("@owner:haos.test", &power);
	ck_assert_ptr_nonnull(name);
	ck_assert_str_eq(name, "Alice \x1b[31mOwner");	/* raw in the cache */
	ck_assert_int_eq(power, 100);
	free(name);
	name = mb_member("@x:haos.test", NULL);		/* the valid @x */
	ck_assert_ptr_nonnull(name);
	free(name);
	ck_assert_ptr_null(mb_member("@gone:haos.test", NULL));
	name = mb_member("@carol:haos.test", NULL);
	ck_assert_str_eq(name, "Carol");
	free(name);
	ck_assert_int_eq(ingest_members_complete(st, MB_ROOM, &err), 1);

	/* /sync goes on: still complete; then a cut timeline: not. */
	mb_sync("$s2", 0, "Carol");
	ck_assert_int_eq(ingest_members_complete(st, MB_ROOM, &err), 1);
	mb_sync("$s3", 1, "Caroline");
	ck_assert_int_eq(ingest_members_complete(st, MB_ROOM, &err), 0);

	/* Overtaken by that sync: Carol's newer name stays. */
	a = json_pack("{s:[]}", "chunk");
	json_array_append_new(json_object_get(a, "chunk"),
	    mb_member_ev("@carol:haos.test", "Carol", "join"));
	json_array_append_new(json_object_get(a, "chunk"),
	    mb_member_ev("@new:haos.test", "Newcomer", "join"));
	ck_assert_int_eq(ingest_members(st, MB_ROOM, a, 0, &res, &err), 0);
	ingest_result_free(&res);
	json_decref(a);
	name = mb_member("@carol:haos.test", NULL);
	ck_assert_str_eq(name, "Caroline");
	free(name);
	name = mb_member("@new:haos.test", NULL);
	ck_assert_str_eq(name, "Newcomer");
	free(name);
	ck_assert_int_eq(ingest_members_complete(st, MB_ROOM, &err), 0);
}
END_TEST

Suite *
suite_ingest(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("ingest");
	tc = tcase_create("sync");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_initial);
	tcase_add_test(tc, test_incremental_and_reingest);
	tcase_add_test(tc, test_malformed_skipped);
	tcase_add_test(tc, test_to_device);
	tcase_add_test(tc, test_to_device_fail);
	tcase_add_test(tc, test_fallback_key_types);
	tcase_add_test(tc, test_relations);
	tcase_add_test(tc, test_edit_by_other_ignored);
	tcase_add_test(tc, test_member_prev_content);
	tcase_add_test(tc, test_members_answer);
	tcase_add_test(tc, test_redaction_applied);
	tcase_add_test(tc, test_gap_backfill);
	tcase_add_test(tc, test_backfill_dedup);
	tcase_add_test(tc, test_spaces);
	tcase_add_test(tc, test_invite_then_join);
	tcase_add_test(tc, test_direct);
	tcase_add_test(tc, test_ephemeral);
	tcase_add_test(tc, test_to_device_kept);
	tcase_add_test(tc, test_to_device_atomic);
	tcase_add_test(tc, test_changed_rooms);
	tcase_add_test(tc, test_changed_backfill);
	tcase_add_test(tc, test_query_calls);
	suite_add_tcase(s, tc);
	return s;
}
