/*
 * The net thread against the test homeserver: login, initial and
 * incremental sync into the store, gap + backfill, restart, a revoked
 * token, and the outbox delivering exactly once through faults, also
 * across a new login.
 */
#include <check.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/http.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/net.h"
#include "haos/notify.h"
#include "haos/session.h"
#include "haos/store.h"
#include "haos/store-crypto-out.h"
#include "haos/xmalloc.h"

#include "hs_fixture.h"
#include "net_fixture.h"


static char *
create_room(const struct hs_user *u, const char *name, const char *invite)
{
	json_t	*body, *r;
	char	*id;
	int	 st;

	body = json_pack("{s:s, s:s}", "name", name, "preset",
	    "public_chat");
	if (invite != NULL)
		json_object_set_new(body, "invite", json_pack("[s]", invite));
	r = hs_call(&hs, u->token, "POST", "/_matrix/client/v3/createRoom",
	    body, &st);
	ck_assert_int_eq(st, 200);
	id = xstrdup(json_get_str(r, "room_id", ""));
	json_decref(body);
	json_decref(r);
	return id;
}

static void
send_text(const struct hs_user *u, const char *room, const char *text)
{
	json_t	*body, *r;
	char	*txn, *path;
	int	 st;

	txn = matrix_txn_id();
	path = matrix_send_path(room, "m.room.message", txn);
	body = json_pack("{s:s, s:s}", "msgtype", "m.text", "body", text);
	r = hs_call(&hs, u->token, "PUT", path, body, &st);
	ck_assert_int_eq(st, 200);
	json_decref(r);
	json_decref(body);
	free(path);
	free(txn);
}

static void
join_room(const struct hs_user *u, const char *room)
{
	json_t	*body, *r;
	char	*esc, *path;
	int	 st;

	esc = matrix_escape(room);
	path = xasprintf("/_matrix/client/v3/rooms/%s/join", esc);
	body = json_object();
	r = hs_call(&hs, u->token, "POST", path, body, &st);
	ck_assert_int_eq(st, 200);
	json_decref(r);
	json_decref(body);
	free(path);
	free(esc);
}

/* The text bodies of room's cached timeline, oldest first, as "a,b,c". */
static char *
timeline_bodies(const char *store_path, const char *room, const char *me)
{
	struct haos_error	 err;
	struct store		*ro;
	struct event_row	*rows = NULL;
	size_t			 n = 0, i, len = 0;
	char			*out;
	json_t			*c;
	const char		*b;

	ro = store_open(store_path, STORE_RO, &err);
	ck_assert_msg(ro != NULL, "%s", err.msg);
	ck_assert_int_eq(store_query_timeline(ro, room, STORE_LATEST, 1000,
	    0, me, &rows, &n, &err), 0);
	out = xcalloc(1, 1);
	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].type, "m.room.message") != 0 ||
		    rows[i].echo != OUTBOX_NONE)
			continue;
		c = json_loads(rows[i].content, 0, NULL);
		b = json_get_str(c, "body", "?");
		out = xrealloc(out, len + strlen(b) + 2);
		len += (size_t)sprintf(out + len, "%s%s", len ? "," : "", b);
		json_decref(c);
	}
	event_rows_free(rows, n);
	store_close(ro);
	return out;
}

START_TEST(test_initial_and_incremental_sync)
{
	struct hs_user	 a, b;
	struct notify	*nt;
	struct net	*n;
	struct net_status st;
	char		*store, *room, *bodies, *la, *lb, *tok;
	double		 t0;

	la = hs_unique("alice");
	lb = hs_unique("bob");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	ck_assert_int_eq(hs_register(&hs, lb, &b), 0);
	room = create_room(&a, "General", NULL);
	send_text(&a, room, "one");
	send_text(&a, room, "two");

	nt = notify_new();
	store = tmp_store();
	n = start_net(&a, store, nt, 50);
	ck_assert(wait_bits(nt, NOTIFY_TIMELINE, 10) & NOTIFY_TIMELINE);
	/* The first sync lists the room with its newest event... */
	bodies = timeline_bodies(store, room, a.user_id);
	ck_assert_msg(strcmp(bodies, "two") == 0 || strcmp(bodies,
	    "one,two") == 0, "%s", bodies);
	free(bodies);
	/* ...and the background fills the rest. */
	wait_filled(store, 10);
	bodies = timeline_bodies(store, room, a.user_id);
	ck_assert_str_eq(bodies, "one,two");
	free(bodies);
	net_get_status(n, &st);
	ck_assert_int_eq(st.state, NET_CONNECTED);

	/* Incremental: the long-poll returns as soon as bob speaks. */
	join_room(&b, room);
	wait_bits(nt, NOTIFY_MEMBERS, 10);
	t0 = now_s();
	send_text(&b, room, "three");
	ck_assert(wait_bits(nt, NOTIFY_TIMELINE, 10) & NOTIFY_TIMELINE);
	ck_assert_msg(now_s() - t0 < 2.0, "incremental sync took %.2f s",
	    now_s() - t0);
	bodies = timeline_bodies(store, room, a.user_id);
	ck_assert_str_eq(bodies, "one,two,three");
	free(bodies);

	/* Quitting aborts the long-poll in flight: well under a second. */
	wait_bits(nt, NOTIFY_STATUS, 0.3);
	t0 = now_s();
	net_stop(n);
	ck_assert_msg(now_s() - t0 < 1.0, "net_stop took %.2f s",
	    now_s() - t0);

	/* The sync token is stored with the events. */
	{
		struct haos_error err;
		struct store *ro = store_open(store, STORE_RO, &err);
		tok = NULL;
		ck_assert_int_eq(store_query_sync_token(ro, &tok, &err), 0);
		ck_assert_ptr_nonnull(tok);
		free(tok);
		store_close(ro);
	}
	notify_free(nt);
	hs_user_free(&a);
	hs_user_free(&b);
	free(store);
	free(room);
	free(la);
	free(lb);
}
END_TEST

/* A limited timeline leaves a gap; backfill fills it in server order. */
START_TEST(test_gap_backfill)
{
	struct hs_user	 a;
	struct notify	*nt;
	struct net	*n;
	char		*store, *room, *bodies, *want, *la, msg[16];
	size_t		 len = 0;
	int		 i;

	la = hs_unique("alice");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	room = create_room(&a, "Backlog", NULL);
	want = xcalloc(1, 1);
	for (i = 0; i < 120; i++) {
		snprintf(msg, sizeof msg, "m%03d", i);
		send_text(&a, room, msg);
		want = xrealloc(want, len + 6);
		len += (size_t)sprintf(want + len, "%s%s", i ? "," : "", msg);
	}
	nt = notify_new();
	store = tmp_store();
	n = start_net(&a, store, nt, 20);
	ck_assert(wait_bits(nt, NOTIFY_TIMELINE, 10) & NOTIFY_TIMELINE);
	wait_filled(store, 10);
	bodies = timeline_bodies(store, room, a.user_id);
	ck_assert_str_eq(bodies, want + len - 20 * 5 + 1);	/* last 20 */
	free(bodies);

	backfill_whole(n, nt, store, room, 10);
	bodies = timeline_bodies(store, room, a.user_id);
	ck_assert_str_eq(bodies, want);
	free(bodies);
	net_stop(n);
	notify_free(nt);
	hs_user_free(&a);
	free(want);
	free(store);
	free(room);
	free(la);
}
END_TEST

/*
 * Answers past HTTP_SPOOL_AT (a /sync with 50 long messages, /messages
 * pages of 50): received into a file beside the store and ingested from
 * it; the timeline ends whole, in order, and no file is left beside the
 * store.
 */
START_TEST(test_big_answers_spooled)
{
	struct hs_user	 a;
	struct notify	*nt;
	struct net	*n;
	size_t		 len = 0, plen = 6000;
	char		*store, *room, *bodies, *want, *la, *msg, *pad;
	char		*dir, *cmd;
	int		 i;

	la = hs_unique("alice");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	room = create_room(&a, "Long", NULL);
	pad = xmalloc(plen + 1);
	memset(pad, 'p', plen);
	pad[plen] = '\0';
	want = xcalloc(1, 1);
	for (i = 0; i < 120; i++) {
		msg = xasprintf("m%03d%s", i, pad);
		send_text(&a, room, msg);
		want = xrealloc(want, len + strlen(msg) + 2);
		len += (size_t)snprintf(want + len, strlen(msg) + 2, "%s%s",
		    i ? "," : "", msg);
		free(msg);
	}
	nt = notify_new();
	store = tmp_store();
	n = start_net(&a, store, nt, 50);
	ck_assert(wait_bits(nt, NOTIFY_TIMELINE, 20) & NOTIFY_TIMELINE);
	backfill_whole(n, nt, store, room, 20);
	bodies = timeline_bodies(store, room, a.user_id);
	ck_assert_msg(strcmp(bodies, want) == 0, "timeline differs");
	free(bodies);
	net_stop(n);
	/* Only the store's own files beside it. */
	dir = xstrndup(store, (size_t)(strrchr(store, '/') - store));
	cmd = xasprintf("test -z \"$(ls -A %s | grep -v '^store\\.sqlite3')\"",
	    dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(dir);
	notify_free(nt);
	hs_user_free(&a);
	free(pad);
	free(want);
	free(store);
	free(room);
	free(la);
}
END_TEST

/* A restart resumes from the stored token: no initial sync again. */
START_TEST(test_restart_resumes)
{
	struct hs_user	 a;
	struct notify	*nt;
	struct net	*n;
	char		*store, *room, *bodies, *la;
	json_t		*reqs, *r;
	size_t		 i;
	int		 st, saw_sync = 0;

	if (hs.external) {
		fprintf(stderr, "test_restart_resumes: needs /_test/requests, "
		    "skipped against HAOS_TEST_HS_URL\n");
		return;
	}
	la = hs_unique("alice");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	room = create_room(&a, "Persist", NULL);
	send_text(&a, room, "before");
	nt = notify_new();
	store = tmp_store();
	n = start_net(&a, store, nt, 50);
	ck_assert(wait_bits(nt, NOTIFY_TIMELINE, 10) & NOTIFY_TIMELINE);
	net_stop(n);

	send_text(&a, room, "while away");
	r = hs_call(&hs, NULL, "DELETE", "/_test/requests", NULL, &st);
	json_decref(r);
	n = start_net(&a, store, nt, 50);
	ck_assert(wait_bits(nt, NOTIFY_TIMELINE, 10) & NOTIFY_TIMELINE);
	bodies = timeline_bodies(store, room, a.user_id);
	ck_assert_str_eq(bodies, "before,while away");
	free(bodies);
	net_stop(n);

	reqs = hs_call(&hs, NULL, "GET", "/_test/requests", NULL, &st);
	ck_assert_int_eq(st, 200);
	for (i = 0; i < json_array_size(json_object_get(reqs, "requests"));
	    i++) {
		json_t *q = json_array_get(json_object_get(reqs, "requests"), i);
		const char *path = json_get_str(q, "path", "");
		char *query = xstrdup(json_get_str(q, "query", ""));
		ck_assert_msg(strstr(path, "/filter") == NULL, "refiltered");
		if (strstr(path, "/sync") != NULL) {
			saw_sync = 1;
			ck_assert_msg(strstr(path, "since=") != NULL ||
			    strstr(query, "since") != NULL,
			    "restart made an initial sync: %s %s", path, query);
		}
		free(query);
	}
	ck_assert(saw_sync);
	json_decref(reqs);
	notify_free(nt);
	hs_user_free(&a);
	free(store);
	free(room);
	free(la);
}
END_TEST

/* A revoked token stops the thread's requests and tells the UI. */
START_TEST(test_unknown_token)
{
	struct hs_user	 a;
	struct notify	*nt;
	struct net	*n;
	struct net_status st;
	char		*store, *la;
	json_t		*r, *body;
	int		 s;

	la = hs_unique("alice");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	nt = notify_new();
	store = tmp_store();
	n = start_net(&a, store, nt, 50);
	wait_bits(nt, NOTIFY_STATUS, 10);
	body = json_object();
	r = hs_call(&hs, a.token, "POST", "/_matrix/client/v3/logout",
	    body, &s);
	ck_assert_int_eq(s, 200);
	json_decref(r);
	json_decref(body);
	ck_assert(wait_bits(nt, NOTIFY_AUTH, 15) & NOTIFY_AUTH);
	net_get_status(n, &st);
	ck_assert_int_eq(st.state, NET_AUTH_FAILED);
	ck_assert_int_eq(st.soft_logout, 0);
	net_stop(n);
	notify_free(nt);
	hs_user_free(&a);
	free(store);
	free(la);
}
END_TEST

/* The room's m.room.message bodies on the server, oldest first. */
static json_t *
server_bodies(const struct hs_user *u, const char *room)
{
	json_t		*out, *r, *chunk, *ev;
	char		*esc, *path, *from = NULL, *f;
	size_t		 i;
	int		 st;

	out = json_array();
	esc = matrix_escape(room);
	for (;;) {
		f = from != NULL ? matrix_escape(from) : NULL;
		path = xasprintf("/_matrix/client/v3/rooms/%s/messages?dir=f"
		    "&limit=100%s%s", esc, f ? "&from=" : "", f ? f : "");
		free(f);
		r = hs_call(&hs, u->token, "GET", path, NULL, &st);
		free(path);
		ck_assert_int_eq(st, 200);
		chunk = json_object_get(r, "chunk");
		for (i = 0; i < json_array_size(chunk); i++) {
			ev = json_array_get(chunk, i);
			if (strcmp(json_get_str(ev, "type", ""),
			    "m.room.message") == 0)
				json_array_append_new(out, json_string(
				    json_path_str(ev, "content.body", "?")));
		}
		free(from);
		from = json_get_str(r, "end", NULL) != NULL &&
		    json_array_size(chunk) > 0 ?
		    xstrdup(json_get_str(r, "end", "")) : NULL;
		json_decref(r);
		if (from == NULL)
			break;
	}
	free(esc);
	return out;
}

/*
 * About one /send in three fails (1/10 + 1/8 + 1/7): 500s, 429s with retry_after_ms, and
 * connections dropped after the server stored the event (so a retry with
 * the same transaction id must not duplicate it); /sync fails too.
 */
static const char *faults = "{\"faults\": ["
    "{\"action\": \"status\", \"status\": 500, \"errcode\": "
    "\"M_UNKNOWN\", \"path\": \"/send/\", \"every\": 10},"
    "{\"action\": \"ratelimit\", \"retry_after_ms\": 40, "
    "\"path\": \"/send/\", \"every\": 8},"
    "{\"action\": \"drop\", \"path\": \"/send/\", \"every\": 7},"
    "{\"action\": \"status\", \"status\": 502, \"path\": \"/sync\", "
    "\"every\": 3}]}";

/* Count the recorded PUT /send requests, and those answered with status. */
static void
count_sends(int *total, int *s500, int *s429)
{
	json_t		*reqs, *q;
	size_t		 i;
	int		 st;

	*total = *s500 = *s429 = 0;
	reqs = hs_call(&hs, NULL, "GET", "/_test/requests", NULL, &st);
	ck_assert_int_eq(st, 200);
	json_array_foreach(json_object_get(reqs, "requests"), i, q) {
		if (strstr(json_get_str(q, "path", ""), "/send/") == NULL)
			continue;
		(*total)++;
		if (json_get_int(q, "status", 0) == 500)
			(*s500)++;
		if (json_get_int(q, "status", 0) == 429)
			(*s429)++;
	}
	json_decref(reqs);
}

/*
 * 200 messages through the outbox while one request in three fails (500,
 * 429, dropped connections after the server acted) and the server and
 * the client both restart in the middle: each arrives once, in order.
 */
START_TEST(test_outbox_exactly_once)
{
	struct hs_user	 a;
	struct notify	*nt;
	struct net	*n;
	struct haos_error err;
	struct store	*ro;
	struct outbox_row *rows;
	size_t		 nrows, i;
	char		*store, *room, *la, text[64], buf[32];
	json_t		*bodies;
	double		 deadline;
	int		 sent_phase1;

	if (hs.external) {
		fprintf(stderr, "test_outbox_exactly_once: fault injection, "
		    "skipped against HAOS_TEST_HS_URL\n");
		return;
	}
	la = hs_unique("alice");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	room = create_room(&a, "Outbox", NULL);
	nt = notify_new();
	store = tmp_store();
	n = start_net(&a, store, nt, 50);
	wait_bits(nt, NOTIFY_STATUS, 10);
	ck_assert_int_eq(hs_faults(&hs, faults), 0);

	for (i = 0; i < 200; i++) {
		snprintf(text, sizeof text, "{\"msgtype\":\"m.text\","
		    "\"body\":\"msg %03zu\"}", i);
		net_submit(n, net_job_send(room, "m.room.message", text));
		if (i == 99) {
			/* Half way: the server goes down and comes back. */
			deadline = now_s() + 2;
			while (now_s() < deadline)
				wait_bits(nt, NOTIFY_OUTBOX, 0.2);
			ck_assert_int_eq(hs_restart(&hs), 0);
			ck_assert_int_eq(hs_faults(&hs, faults), 0);
		}
	}
	/* The client restarts too, with unsent rows in its outbox. */
	wait_bits(nt, NOTIFY_OUTBOX, 1);
	net_stop(n);
	ro = store_open(store, STORE_RO, &err);
	ck_assert_int_eq(store_query_outbox(ro, OUTBOX_NONE, &rows, &nrows,
	    &err), 0);
	ck_assert_int_eq(nrows, 200);	/* every typed message persisted */
	outbox_rows_free(rows, nrows);
	store_close(ro);
	n = start_net(&a, store, nt, 50);

	deadline = now_s() + 150;
	sent_phase1 = 0;
	while (now_s() < deadline) {
		wait_bits(nt, NOTIFY_OUTBOX, 1);
		ro = store_open(store, STORE_RO, &err);
		ck_assert_int_eq(store_query_outbox(ro, OUTBOX_NONE, &rows,
		    &nrows, &err), 0);
		sent_phase1 = 0;
		for (i = 0; i < nrows; i++)
			if (rows[i].state == OUTBOX_SENT)
				sent_phase1++;
		ck_assert_int_eq(nrows, 200);
		for (i = 0; i < nrows; i++)
			ck_assert_int_ne(rows[i].state, OUTBOX_FAILED);
		outbox_rows_free(rows, nrows);
		store_close(ro);
		if (sent_phase1 == 200)
			break;
	}
	ck_assert_int_eq(sent_phase1, 200);
	net_stop(n);
	/* The faults really happened (this log covers the second half). */
	{
		int total, s500, s429;

		count_sends(&total, &s500, &s429);
		ck_assert_int_gt(s500, 0);
		ck_assert_int_gt(s429, 0);
		ck_assert_msg(total >= 100 + s500 + s429, "only %d sends for "
		    "100 messages with %d + %d refusals", total, s500, s429);
	}
	hs_faults(&hs, "{}");
	{
		json_t *r = hs_call(&hs, NULL, "DELETE", "/_test/faults", NULL,
		    NULL);
		json_decref(r);
	}

	/* Checked on the server: 200 events, each once, in order. */
	bodies = server_bodies(&a, room);
	ck_assert_int_eq(json_array_size(bodies), 200);
	for (i = 0; i < 200; i++) {
		snprintf(buf, sizeof buf, "msg %03zu", i);
		ck_assert_str_eq(json_string_value(json_array_get(bodies, i)),
		    buf);
	}
	json_decref(bodies);
	notify_free(nt);
	hs_user_free(&a);
	free(store);
	free(room);
	free(la);
}
END_TEST

/* Count recorded requests whose path has path_sub and query has query_sub. */
static int
count_requests(const char *method, const char *path_sub,
    const char *query_sub, int status)
{
	json_t		*reqs, *q;
	size_t		 i;
	int		 st, n = 0;

	reqs = hs_call(&hs, NULL, "GET", "/_test/requests", NULL, &st);
	ck_assert_int_eq(st, 200);
	json_array_foreach(json_object_get(reqs, "requests"), i, q) {
		if (method != NULL &&
		    strcmp(json_get_str(q, "method", ""), method) != 0)
			continue;
		if (strstr(json_get_str(q, "path", ""), path_sub) == NULL)
			continue;
		if (query_sub != NULL && strstr(json_get_str(q, "query", ""),
		    query_sub) == NULL)
			continue;
		if (status != 0 && json_get_int(q, "status", 0) != status)
			continue;
		n++;
	}
	json_decref(reqs);
	return n;
}

static void
clear_requests(void)
{
	json_t	*r;
	int	 st;

	r = hs_call(&hs, NULL, "DELETE", "/_test/requests", NULL, &st);
	json_decref(r);
	r = hs_call(&hs, NULL, "DELETE", "/_test/faults", NULL, &st);
	json_decref(r);
}

/* Wait until the net's state is want (or seconds pass); the last status. */
static void
wait_state(struct net *n, struct notify *nt, enum net_state want,
    double seconds, struct net_status *st)
{
	double	 end = now_s() + seconds;

	for (;;) {
		net_get_status(n, st);
		if (st->state == want || now_s() > end)
			return;
		wait_bits(nt, NOTIFY_STATUS, 0.1);
	}
}

/* Count the gaps of room in the store. */
static size_t
count_gaps(const char *store, const char *room)
{
	struct haos_error err;
	struct store	*ro;
	struct gap_row	*gaps;
	size_t		 ngaps;

	ro = store_open(store, STORE_RO, &err);
	ck_assert_msg(ro != NULL, "%s", err.msg);
	ck_assert_int_eq(store_query_gaps(ro, room, &gaps, &ngaps, &err), 0);
	gap_rows_free(gaps, ngaps);
	store_close(ro);
	return ngaps;
}

/*
 * The server refuses the stored since token (as after losing its state):
 * haos syncs again from scratch, keeps its cache, and the fresh limited
 * timeline leaves a gap that backfill closes: no events are lost and old
 * and new ones are not joined.
 */
START_TEST(test_since_rejected)
{
	struct hs_user	 a;
	struct notify	*nt;
	struct net	*n;
	struct net_status st;
	struct haos_error err;
	struct store	*rw;
	char		*store, *room, *bodies, *want, *la, msg[16];
	size_t		 len = 0;
	int		 i, bad, fresh;
	double		 end;

	if (hs.external) {
		fprintf(stderr, "test_since_rejected: needs /_test/requests, "
		    "skipped against HAOS_TEST_HS_URL\n");
		return;
	}
	la = hs_unique("alice");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	room = create_room(&a, "Reset", NULL);
	want = xcalloc(1, 1);
	for (i = 0; i < 30; i++) {
		snprintf(msg, sizeof msg, "m%03d", i);
		want = xrealloc(want, len + 6);
		len += (size_t)sprintf(want + len, "%s%s", i ? "," : "", msg);
		if (i < 10)
			send_text(&a, room, msg);
	}
	nt = notify_new();
	store = tmp_store();
	n = start_net(&a, store, nt, 5);
	ck_assert(wait_bits(nt, NOTIFY_TIMELINE, 10) & NOTIFY_TIMELINE);
	wait_filled(store, 10);
	net_stop(n);

	/* While away: 20 more messages, and the server forgets our token. */
	for (i = 10; i < 30; i++) {
		snprintf(msg, sizeof msg, "m%03d", i);
		send_text(&a, room, msg);
	}
	rw = store_open(store, STORE_RW, &err);
	ck_assert_msg(rw != NULL, "%s", err.msg);
	ck_assert_int_eq(store_begin(rw, &err), 0);
	ck_assert_int_eq(store_sync_token_set(rw, "bogus", &err), 0);
	ck_assert_int_eq(store_commit(rw, &err), 0);
	store_close(rw);
	clear_requests();

	n = start_net(&a, store, nt, 5);
	end = now_s() + 15;
	for (;;) {
		bodies = timeline_bodies(store, room, a.user_id);
		if (strstr(bodies, "m029") != NULL || now_s() > end)
			break;
		free(bodies);
		wait_bits(nt, NOTIFY_TIMELINE, 0.5);
	}
	ck_assert_msg(strstr(bodies, "m029") != NULL, "no fresh sync: %s",
	    bodies);
	ck_assert_msg(strstr(bodies, "m005") != NULL, "cache lost: %s",
	    bodies);
	free(bodies);
	wait_state(n, nt, NET_CONNECTED, 10, &st);
	ck_assert_int_eq(st.state, NET_CONNECTED);
	bad = count_requests("GET", "/sync", "since=bogus", 400);
	fresh = count_requests("GET", "/sync", NULL, 200) -
	    count_requests("GET", "/sync", "since=", 200);
	ck_assert_int_eq(bad, 1);
	ck_assert_int_ge(fresh, 1);

	/* The hole between m009 and the fresh timeline is a gap. */
	ck_assert_uint_ge(count_gaps(store, room), 1);
	backfill_whole(n, nt, store, room, 10);
	bodies = timeline_bodies(store, room, a.user_id);
	ck_assert_str_eq(bodies, want);
	free(bodies);
	net_stop(n);
	notify_free(nt);
	hs_user_free(&a);
	free(want);
	free(store);
	free(room);
	free(la);
}
END_TEST

/*
 * One 429 asking for an hour: haos waits at most HTTP_RETRY_AFTER_MAX_MS
 * and says "rate limited" with the server's words in its status.
 */
START_TEST(test_ratelimit_capped)
{
	struct hs_user	 a;
	struct notify	*nt;
	struct net	*n;
	struct net_status st;
	char		*store, *la;
	int64_t		 wait;

	if (hs.external) {
		fprintf(stderr, "test_ratelimit_capped: fault injection, "
		    "skipped against HAOS_TEST_HS_URL\n");
		return;
	}
	la = hs_unique("alice");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	ck_assert_int_eq(hs_faults(&hs, "{\"faults\": [{\"action\": "
	    "\"ratelimit\", \"retry_after_ms\": 3600000, \"path\": "
	    "\"/sync\"}]}"), 0);
	nt = notify_new();
	store = tmp_store();
	n = start_net(&a, store, nt, 50);
	wait_state(n, nt, NET_OFFLINE, 10, &st);
	ck_assert_int_eq(st.state, NET_OFFLINE);
	wait = st.retry_at_ms - net_now_ms();
	ck_assert_msg(wait <= HTTP_RETRY_AFTER_MAX_MS && wait > 0,
	    "waits %lld ms", (long long)wait);
	ck_assert_int_eq(st.rate_limited, 1);
	ck_assert_msg(strstr(st.error, "Too Many Requests") != NULL,
	    "status reason: \"%s\"", st.error);
	net_stop(n);
	clear_requests();
	notify_free(nt);
	hs_user_free(&a);
	free(store);
	free(la);
}
END_TEST

/*
 * While /sync fails the status keeps the reason, a new token does not
 * claim "connected", and only a stored /sync answer clears both.
 */
START_TEST(test_offline_reason)
{
	struct hs_user	 a;
	struct notify	*nt;
	struct net	*n;
	struct net_status st;
	char		*store, *la, *room;
	double		 end;

	if (hs.external) {
		fprintf(stderr, "test_offline_reason: fault injection, "
		    "skipped against HAOS_TEST_HS_URL\n");
		return;
	}
	la = hs_unique("alice");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	nt = notify_new();
	store = tmp_store();
	n = start_net(&a, store, nt, 50);
	wait_state(n, nt, NET_CONNECTED, 10, &st);
	ck_assert_int_eq(st.state, NET_CONNECTED);
	ck_assert_str_eq(st.error, "");

	/* The next long-polls fail; an escape in the text is cleaned. */
	ck_assert_int_eq(hs_faults(&hs, "{\"faults\": [{\"action\": "
	    "\"status\", \"status\": 503, \"errcode\": \"M_UNKNOWN\", "
	    "\"error\": \"down for \\u001b[31mmaintenance\\nsecond line\", "
	    "\"path\": \"/sync\", \"count\": 4}]}"), 0);
	room = create_room(&a, "Wake", NULL);
	send_text(&a, room, "wake up");
	free(room);
	wait_state(n, nt, NET_OFFLINE, 10, &st);
	ck_assert_int_eq(st.state, NET_OFFLINE);
	ck_assert_int_eq(st.rate_limited, 0);
	ck_assert_msg(strstr(st.error, "maintenance") != NULL,
	    "status reason: \"%s\"", st.error);
	ck_assert_msg(strchr(st.error, '\033') == NULL &&
	    strchr(st.error, '\n') == NULL, "unclean reason: \"%s\"",
	    st.error);

	/* A new token while failing: not "connected" before a sync. */
	net_submit(n, net_job_token(a.token, a.device_id));
	end = now_s() + 0.5;
	while (now_s() < end) {
		net_get_status(n, &st);
		ck_assert_int_ne(st.state, NET_CONNECTED);
		wait_bits(nt, NOTIFY_STATUS, 0.05);
	}
	wait_state(n, nt, NET_CONNECTED, 30, &st);
	ck_assert_int_eq(st.state, NET_CONNECTED);
	ck_assert_str_eq(st.error, "");
	net_stop(n);
	clear_requests();
	notify_free(nt);
	hs_user_free(&a);
	free(store);
	free(la);
}
END_TEST

/* Messages to more rooms than the sender ever had slots for all go out. */
START_TEST(test_many_rooms_send)
{
	struct hs_user	 a;
	struct notify	*nt;
	struct net	*n;
	struct haos_error err;
	struct store	*ro;
	struct outbox_row *rows;
	char		*store, *la, *rooms[80], name[16];
	size_t		 nrows, i, sent = 0;
	double		 end;

	la = hs_unique("alice");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	for (i = 0; i < nitems(rooms); i++) {
		snprintf(name, sizeof name, "r%02zu", i);
		rooms[i] = create_room(&a, name, NULL);
	}
	nt = notify_new();
	store = tmp_store();
	n = start_net(&a, store, nt, 5);
	ck_assert(wait_bits(nt, NOTIFY_TIMELINE, 20) & NOTIFY_TIMELINE);
	for (i = 0; i < nitems(rooms); i++)
		net_submit(n, net_job_send(rooms[i], "m.room.message",
		    "{\"msgtype\":\"m.text\",\"body\":\"hello\"}"));
	end = now_s() + 60;
	while (now_s() < end) {
		wait_bits(nt, NOTIFY_OUTBOX, 0.5);
		ro = store_open(store, STORE_RO, &err);
		ck_assert_int_eq(store_query_outbox(ro, OUTBOX_SENT, &rows,
		    &nrows, &err), 0);
		outbox_rows_free(rows, nrows);
		store_close(ro);
		sent = nrows;
		if (sent == nitems(rooms))
			break;
	}
	ck_assert_uint_eq(sent, nitems(rooms));
	net_stop(n);
	for (i = 0; i < nitems(rooms); i++)
		free(rooms[i]);
	notify_free(nt);
	hs_user_free(&a);
	free(store);
	free(la);
}
END_TEST

/*
 * A filter upload answered 200 without filter_id is retried with backoff,
 * a few times, then /sync carries the filter inline: no tight loop, and
 * the client syncs.
 */
START_TEST(test_filter_without_id)
{
	struct hs_user	 a;
	struct notify	*nt;
	struct net	*n;
	struct net_status st;
	char		*store, *la;
	int		 posts;

	if (hs.external) {
		fprintf(stderr, "test_filter_without_id: fault injection, "
		    "skipped against HAOS_TEST_HS_URL\n");
		return;
	}
	la = hs_unique("alice");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	clear_requests();
	ck_assert_int_eq(hs_faults(&hs, "{\"faults\": [{\"action\": "
	    "\"body\", \"status\": 200, \"body\": {}, \"path\": \"/filter\", "
	    "\"method\": \"POST\", \"count\": 100000}]}"), 0);
	nt = notify_new();
	store = tmp_store();
	n = start_net(&a, store, nt, 50);
	wait_state(n, nt, NET_CONNECTED, 15, &st);
	ck_assert_int_eq(st.state, NET_CONNECTED);
	wait_bits(nt, NOTIFY_STATUS, 1);
	posts = count_requests("POST", "/filter", NULL, 200);
	ck_assert_msg(posts >= 1 && posts <= 4, "%d filter uploads", posts);
	ck_assert_int_ge(count_requests("GET", "/sync", "filter=%7B", 200),
	    1);
	net_stop(n);
	clear_requests();
	notify_free(nt);
	hs_user_free(&a);
	free(store);
	free(la);
}
END_TEST

/* Recorded PUT /send requests of room (escaped) by device (NULL: any). */
static int
count_room_sends(const char *room_esc, const char *device, int status)
{
	json_t		*reqs, *q;
	char		*sub;
	size_t		 i;
	int		 st, n = 0;

	sub = xasprintf("/rooms/%s/send/", room_esc);
	reqs = hs_call(&hs, NULL, "GET", "/_test/requests", NULL, &st);
	ck_assert_int_eq(st, 200);
	json_array_foreach(json_object_get(reqs, "requests"), i, q) {
		if (strcmp(json_get_str(q, "method", ""), "PUT") != 0 ||
		    strstr(json_get_str(q, "path", ""), sub) == NULL)
			continue;
		if (device != NULL &&
		    strcmp(json_get_str(q, "device", ""), device) != 0)
			continue;
		if (status != 0 && json_get_int(q, "status", 0) != status)
			continue;
		n++;
	}
	json_decref(reqs);
	free(sub);
	return n;
}

/* How many of room's messages on the server have body. */
static size_t
count_body(const struct hs_user *u, const char *room, const char *body)
{
	json_t	*bodies, *b;
	size_t	 i, n = 0;

	bodies = server_bodies(u, room);
	json_array_foreach(bodies, i, b) {
		if (strcmp(json_string_value(b), body) == 0)
			n++;
	}
	json_decref(bodies);
	return n;
}

/* Log in again as u with a password, on device (NULL: a new one). */
static void
login_again(const char *localpart, const char *device, struct hs_user *u)
{
	json_t	*body, *r;
	int	 st;

	body = json_pack("{s:s, s:{s:s, s:s}, s:s}", "type",
	    "m.login.password", "identifier", "type", "m.id.user", "user",
	    localpart, "password", "pw-integration");
	if (device != NULL)
		json_object_set_new(body, "device_id", json_string(device));
	r = hs_call(&hs, NULL, "POST", "/_matrix/client/v3/login", body, &st);
	ck_assert_int_eq(st, 200);
	memset(u, 0, sizeof *u);
	u->user_id = xstrdup(json_get_str(r, "user_id", ""));
	u->token = xstrdup(json_get_str(r, "access_token", ""));
	u->device_id = xstrdup(json_get_str(r, "device_id", ""));
	json_decref(r);
	json_decref(body);
}

/* Wait until every outbox row of store is sent; how many are. */
static size_t
wait_all_sent(const char *store, struct notify *nt, size_t want,
    double seconds)
{
	struct haos_error err;
	struct store	*ro;
	struct outbox_row *rows;
	size_t		 nrows = 0;
	double		 end = now_s() + seconds;

	while (now_s() < end) {
		wait_bits(nt, NOTIFY_OUTBOX, 0.3);
		ro = store_open(store, STORE_RO, &err);
		ck_assert_msg(ro != NULL, "%s", err.msg);
		ck_assert_int_eq(store_query_outbox(ro, OUTBOX_SENT, &rows,
		    &nrows, &err), 0);
		outbox_rows_free(rows, nrows);
		store_close(ro);
		if (nrows == want)
			break;
	}
	return nrows;
}

/*
 * Two sends of unknown outcome when the session ends: one reached the
 * server (its answer was lost), one never did; each room then refuses
 * every retry until the token dies.  soft: the token expires and the same
 * device logs in again (transaction ids still deduplicate); otherwise
 * the user logs out and back in as a new device, whose transaction ids
 * start afresh, so haos must look in the rooms' history first.  Either
 * way each message is in its room exactly once.
 */
static void
relogin_case(int soft)
{
	struct hs_user	 a, a2;
	struct notify	*nt;
	struct net	*n;
	struct net_status st;
	char		*store, *la, *r1, *r2, *e1, *e2, *faults_json;
	json_t		*r, *body;
	double		 end;
	int		 s;

	la = hs_unique("alice");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	r1 = create_room(&a, "Reached", NULL);
	r2 = create_room(&a, "Lost", NULL);
	e1 = matrix_escape(r1);
	e2 = matrix_escape(r2);
	nt = notify_new();
	store = tmp_store();
	n = start_net(&a, store, nt, 50);
	ck_assert(wait_bits(nt, NOTIFY_TIMELINE, 20) & NOTIFY_TIMELINE);

	/*
	 * No /sync brings the echo back (that would settle r1's send);
	 * r1's first send is stored but its answer dropped; then every
	 * send fails until the session ends.
	 */
	faults_json = xasprintf("{\"faults\": ["
	    "{\"action\": \"status\", \"status\": 500, \"path\": "
	    "\"/sync\", \"count\": 100000},"
	    "{\"action\": \"drop\", \"process\": true, \"method\": \"PUT\", "
	    "\"path\": \"%s/send/\", \"count\": 1},"
	    "{\"action\": \"status\", \"status\": 500, \"method\": \"PUT\", "
	    "\"path\": \"/send/\", \"count\": 100000}]}", e1);
	ck_assert_int_eq(hs_faults(&hs, faults_json), 0);
	free(faults_json);
	end = now_s() + 20;
	while (now_s() < end && count_requests("GET", "/sync", NULL, 500) < 1)
		wait_bits(nt, NOTIFY_STATUS, 0.2);
	ck_assert_int_ge(count_requests("GET", "/sync", NULL, 500), 1);
	net_submit(n, net_job_send(r1, "m.room.message",
	    "{\"msgtype\":\"m.text\",\"body\":\"reached\"}"));
	net_submit(n, net_job_send(r2, "m.room.message",
	    "{\"msgtype\":\"m.text\",\"body\":\"never reached\"}"));
	end = now_s() + 20;
	while (now_s() < end && (count_room_sends(e1, NULL, 0) < 2 ||
	    count_room_sends(e2, NULL, 0) < 1))
		wait_bits(nt, NOTIFY_OUTBOX, 0.2);
	ck_assert_int_eq(count_body(&a, r1, "reached"), 1);
	ck_assert_int_eq(count_body(&a, r2, "never reached"), 0);

	/* The session ends. */
	if (soft) {
		body = json_pack("{s:s}", "access_token", a.token);
		r = hs_call(&hs, NULL, "POST", "/_test/expire_token", body,
		    &s);
	} else {
		body = json_object();
		r = hs_call(&hs, a.token, "POST", "/_matrix/client/v3/logout",
		    body, &s);
	}
	ck_assert_int_eq(s, 200);
	json_decref(r);
	json_decref(body);
	clear_requests();	/* and the faults: now the token is refused */
	wait_state(n, nt, NET_AUTH_FAILED, 30, &st);
	ck_assert_int_eq(st.state, NET_AUTH_FAILED);
	ck_assert_int_eq(st.soft_logout, soft);
	clear_requests();

	login_again(la, soft ? a.device_id : NULL, &a2);
	if (soft)
		ck_assert_str_eq(a2.device_id, a.device_id);
	else
		ck_assert_str_ne(a2.device_id, a.device_id);
	net_submit(n, net_job_token(a2.token, a2.device_id));
	ck_assert_uint_eq(wait_all_sent(store, nt, 2, 30), 2);

	/* On the server: each message once; r1's was not sent again. */
	ck_assert_int_eq(count_body(&a2, r1, "reached"), 1);
	ck_assert_int_eq(count_body(&a2, r2, "never reached"), 1);
	ck_assert_int_eq(count_room_sends(e2, a2.device_id, 200), 1);
	if (soft) {
		/*
		 * Same device: the old transaction ids do the work (the
		 * /sync echo or a deduplicated resend), no history check.
		 */
		ck_assert_int_le(count_room_sends(e1, a2.device_id, 200), 1);
		ck_assert_int_eq(count_requests("GET", "/messages", "dir=b",
		    0), 0);
	} else {
		ck_assert_int_eq(count_room_sends(e1, NULL, 0), 0);
		ck_assert_int_ge(count_requests("GET", "/messages", "dir=b",
		    200), 2);
		/* The user is told. */
		wait_bits(nt, NOTIFY_STATUS, 0.5);
		net_get_status(n, &st);
		ck_assert_uint_gt(st.notice_seq, 0);
		ck_assert_str_eq(st.notice, "after logging in again: "
		    "1 message was already sent, 1 resent");
	}
	net_stop(n);

	/* Decided rows are not checked again after a restart. */
	{
		struct haos_error err;
		struct store	*ro;
		char		*v = NULL;

		ro = store_open(store, STORE_RO, &err);
		ck_assert_int_eq(store_query_kv(ro, "outbox_recheck", &v,
		    &err), 0);
		ck_assert_ptr_null(v);
		store_close(ro);
	}
	notify_free(nt);
	hs_user_free(&a);
	hs_user_free(&a2);
	free(store);
	free(r1);
	free(r2);
	free(e1);
	free(e2);
	free(la);
}

/* A new device looks for its unknown sends in history: none twice. */
START_TEST(test_relogin_new_device)
{
	if (hs.external) {
		fprintf(stderr, "test_relogin_new_device: fault injection, "
		    "skipped against HAOS_TEST_HS_URL\n");
		return;
	}
	relogin_case(0);
}
END_TEST

/* The same device (soft logout) just resends: txn ids deduplicate. */
START_TEST(test_relogin_same_device)
{
	if (hs.external) {
		fprintf(stderr, "test_relogin_same_device: fault injection, "
		    "skipped against HAOS_TEST_HS_URL\n");
		return;
	}
	relogin_case(1);
}
END_TEST

/* An encrypted room of u's, alone. */
static char *
create_encrypted_room(const struct hs_user *u, const char *name)
{
	json_t	*body, *r;
	char	*id;
	int	 st;

	body = json_pack("{s:s, s:s, s:[{s:s, s:s, s:{s:s}}]}", "name", name,
	    "preset", "private_chat", "initial_state", "type",
	    "m.room.encryption", "state_key", "", "content", "algorithm",
	    "m.megolm.v1.aes-sha2");
	r = hs_call(&hs, u->token, "POST", "/_matrix/client/v3/createRoom",
	    body, &st);
	ck_assert_int_eq(st, 200);
	id = xstrdup(json_get_str(r, "room_id", ""));
	json_decref(body);
	json_decref(r);
	return id;
}

/*
 * The room's message events on the server, as u, newest first; none in
 * the clear (an encrypted room).
 */
static json_t *
server_encrypted(const struct hs_user *u, const char *room)
{
	json_t		*out, *r, *ev;
	char		*esc, *path;
	size_t		 i;
	int		 st;

	out = json_array();
	esc = matrix_escape(room);
	path = xasprintf("/_matrix/client/v3/rooms/%s/messages?dir=b"
	    "&limit=100", esc);
	r = hs_call(&hs, u->token, "GET", path, NULL, &st);
	ck_assert_int_eq(st, 200);
	json_array_foreach(json_object_get(r, "chunk"), i, ev) {
		ck_assert_str_ne(json_get_str(ev, "type", ""),
		    "m.room.message");
		if (strcmp(json_get_str(ev, "type", ""),
		    "m.room.encrypted") == 0)
			json_array_append(out, ev);
	}
	json_decref(r);
	free(path);
	free(esc);
	return out;
}

/* The wire copy of outbox row txn (asserted), parsed. */
static json_t *
stored_wire(const char *store, const char *txn)
{
	struct haos_error err;
	struct store	*ro;
	json_t		*w;
	char		*type = NULL, *text = NULL;

	ro = store_open(store, STORE_RO, &err);
	ck_assert_msg(ro != NULL, "%s", err.msg);
	ck_assert_int_eq(store_crypto_out_wire(ro, txn, &type, &text, &err),
	    1);
	ck_assert_str_eq(type, "m.room.encrypted");
	w = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(w);
	ck_assert_str_eq(json_get_str(w, "algorithm", ""),
	    "m.megolm.v1.aes-sha2");
	free(type);
	free(text);
	store_close(ro);
	return w;
}

/* The event id outbox row txn was marked sent with (asserted). */
static char *
sent_event_id(const char *store, const char *txn)
{
	struct haos_error err;
	struct store	*ro;
	struct outbox_row *rows;
	size_t		 nrows, i;
	char		*eid = NULL;

	ro = store_open(store, STORE_RO, &err);
	ck_assert_msg(ro != NULL, "%s", err.msg);
	ck_assert_int_eq(store_query_outbox(ro, OUTBOX_SENT, &rows, &nrows,
	    &err), 0);
	for (i = 0; i < nrows; i++) {
		if (strcmp(rows[i].txn_id, txn) == 0 &&
		    rows[i].event_id != NULL)
			eid = xstrdup(rows[i].event_id);
	}
	outbox_rows_free(rows, nrows);
	store_close(ro);
	ck_assert_ptr_nonnull(eid);
	return eid;
}

/* Queue a text message under a txn id of our own, which is returned. */
static char *
submit_text(struct net *n, const char *room, const char *text)
{
	struct job	*j;
	json_t		*c;
	char		*body, *txn;

	c = json_pack("{s:s, s:s}", "msgtype", "m.text", "body", text);
	body = json_xdumps_take(c);
	j = net_job_send(room, "m.room.message", body);
	free(body);
	j->txn_id = matrix_txn_id();
	txn = xstrdup(j->txn_id);
	net_submit(n, j);
	return txn;
}

/*
 * relogin_case() in encrypted rooms: what went on the wire was each
 * row's stored ciphertext, so that is what the new device looks for in
 * history.  The row whose PUT reached the server is marked sent with
 * the server's event and not sent again; the other is sent as the same
 * stored ciphertext (not encrypted again), under the new device.
 */
START_TEST(test_relogin_new_device_encrypted)
{
	struct hs_user	 a, a2;
	struct notify	*nt;
	struct net	*n;
	struct net_status st;
	json_t		*r, *body, *w1, *w2, *evs, *ev, *reqs, *q;
	char		*store, *dir, *kp, *la, *r1, *r2, *e1, *e2, *faults_json;
	char		*t1, *t2, *eid;
	double		 end;
	size_t		 i, nput;
	int		 s;

	if (hs.external) {
		fprintf(stderr, "test_relogin_new_device_encrypted: fault "
		    "injection, skipped against HAOS_TEST_HS_URL\n");
		return;
	}
	la = hs_unique("alice");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	r1 = create_encrypted_room(&a, "Reached");
	r2 = create_encrypted_room(&a, "Lost");
	e1 = matrix_escape(r1);
	e2 = matrix_escape(r2);
	nt = notify_new();
	store = tmp_store();
	dir = xstrdup(store);
	*strrchr(dir, '/') = '\0';
	kp = xasprintf("%s/pickle-key", dir);
	n = start_net_keys(&a, store, kp, nt, 50);
	ck_assert(wait_bits(nt, NOTIFY_TIMELINE, 20) & NOTIFY_TIMELINE);

	/* As relogin_case(): r1's PUT stored, its answer lost; r2's never. */
	faults_json = xasprintf("{\"faults\": ["
	    "{\"action\": \"status\", \"status\": 500, \"path\": "
	    "\"/sync\", \"count\": 100000},"
	    "{\"action\": \"drop\", \"process\": true, \"method\": \"PUT\", "
	    "\"path\": \"%s/send/\", \"count\": 1},"
	    "{\"action\": \"status\", \"status\": 500, \"method\": \"PUT\", "
	    "\"path\": \"/send/\", \"count\": 100000}]}", e1);
	ck_assert_int_eq(hs_faults(&hs, faults_json), 0);
	free(faults_json);
	end = now_s() + 20;
	while (now_s() < end && count_requests("GET", "/sync", NULL, 500) < 1)
		wait_bits(nt, NOTIFY_STATUS, 0.2);
	ck_assert_int_ge(count_requests("GET", "/sync", NULL, 500), 1);
	t1 = submit_text(n, r1, "reached");
	t2 = submit_text(n, r2, "never reached");
	end = now_s() + 30;
	while (now_s() < end && (count_room_sends(e1, NULL, 0) < 2 ||
	    count_room_sends(e2, NULL, 0) < 1))
		wait_bits(nt, NOTIFY_OUTBOX, 0.2);
	ck_assert_int_ge(count_room_sends(e1, NULL, 0), 2);
	ck_assert_int_ge(count_room_sends(e2, NULL, 0), 1);
	/* Each went as its wire copy; only r1's reached the server. */
	w1 = stored_wire(store, t1);
	w2 = stored_wire(store, t2);
	evs = server_encrypted(&a, r1);
	ck_assert_uint_eq(json_array_size(evs), 1);
	ck_assert(json_equal(json_object_get(json_array_get(evs, 0),
	    "content"), w1));
	json_decref(evs);
	evs = server_encrypted(&a, r2);
	ck_assert_uint_eq(json_array_size(evs), 0);
	json_decref(evs);

	/* The session ends; the user logs in again as a new device. */
	body = json_object();
	r = hs_call(&hs, a.token, "POST", "/_matrix/client/v3/logout", body,
	    &s);
	ck_assert_int_eq(s, 200);
	json_decref(r);
	json_decref(body);
	clear_requests();
	wait_state(n, nt, NET_AUTH_FAILED, 30, &st);
	ck_assert_int_eq(st.state, NET_AUTH_FAILED);
	clear_requests();
	login_again(la, NULL, &a2);
	ck_assert_str_ne(a2.device_id, a.device_id);
	net_submit(n, net_job_token(a2.token, a2.device_id));
	ck_assert_uint_eq(wait_all_sent(store, nt, 2, 30), 2);

	/* r1: found by its ciphertext, marked sent with it, not resent. */
	ck_assert_int_eq(count_room_sends(e1, NULL, 0), 0);
	ck_assert_int_ge(count_requests("GET", "/messages", "dir=b", 200), 2);
	evs = server_encrypted(&a2, r1);
	ck_assert_uint_eq(json_array_size(evs), 1);
	eid = sent_event_id(store, t1);
	ck_assert_str_eq(json_get_str(json_array_get(evs, 0), "event_id", ""),
	    eid);
	free(eid);
	json_decref(evs);

	/* r2: sent once, by the new device, as the stored ciphertext. */
	ck_assert_int_eq(count_room_sends(e2, NULL, 0), 1);
	ck_assert_int_eq(count_room_sends(e2, a2.device_id, 200), 1);
	reqs = hs_call(&hs, NULL, "GET", "/_test/requests", NULL, &s);
	ck_assert_int_eq(s, 200);
	nput = 0;
	json_array_foreach(json_object_get(reqs, "requests"), i, q) {
		if (strcmp(json_get_str(q, "method", ""), "PUT") != 0 ||
		    strstr(json_get_str(q, "path", ""), "/send/") == NULL)
			continue;
		ck_assert_ptr_nonnull(strstr(json_get_str(q, "path", ""),
		    "/send/m.room.encrypted/"));
		ck_assert(json_equal(json_object_get(q, "body"), w2));
		nput++;
	}
	ck_assert_uint_eq(nput, 1);
	json_decref(reqs);
	evs = server_encrypted(&a2, r2);
	ck_assert_uint_eq(json_array_size(evs), 1);
	ev = json_array_get(evs, 0);
	ck_assert(json_equal(json_object_get(ev, "content"), w2));
	eid = sent_event_id(store, t2);
	ck_assert_str_eq(json_get_str(ev, "event_id", ""), eid);
	free(eid);
	json_decref(evs);
	/* The wire copies are as they were: nothing encrypted twice. */
	json_decref(w1);
	json_decref(w2);
	w1 = stored_wire(store, t1);
	w2 = stored_wire(store, t2);
	evs = server_encrypted(&a2, r2);
	ck_assert(json_equal(json_object_get(json_array_get(evs, 0),
	    "content"), w2));
	json_decref(evs);

	wait_bits(nt, NOTIFY_STATUS, 0.5);
	net_get_status(n, &st);
	ck_assert_str_eq(st.notice, "after logging in again: "
	    "1 message was already sent, 1 resent");
	net_stop(n);
	notify_free(nt);
	json_decref(w1);
	json_decref(w2);
	hs_user_free(&a);
	hs_user_free(&a2);
	free(t1);
	free(t2);
	free(store);
	free(dir);
	free(kp);
	free(r1);
	free(r2);
	free(e1);
	free(e2);
	free(la);
}
END_TEST

static Suite *
suite_net(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("net");
	tc = tcase_create("sync");
	tcase_add_checked_fixture(tc, net_fixture_setup,
	    net_fixture_teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_initial_and_incremental_sync);
	tcase_add_test(tc, test_gap_backfill);
	tcase_add_test(tc, test_big_answers_spooled);
	tcase_add_test(tc, test_restart_resumes);
	tcase_add_test(tc, test_unknown_token);
	tcase_add_test(tc, test_outbox_exactly_once);
	suite_add_tcase(s, tc);
	/* What the network must not be able to do: wedge, crash, steer. */
	tc = tcase_create("robust");
	tcase_add_checked_fixture(tc, net_fixture_setup,
	    net_fixture_teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_since_rejected);
	tcase_add_test(tc, test_ratelimit_capped);
	tcase_add_test(tc, test_offline_reason);
	tcase_add_test(tc, test_many_rooms_send);
	tcase_add_test(tc, test_filter_without_id);
	tcase_add_test(tc, test_relogin_new_device);
	tcase_add_test(tc, test_relogin_same_device);
	suite_add_tcase(s, tc);
	tc = tcase_create("relogin_e2ee");
	tcase_add_checked_fixture(tc, net_fixture_setup,
	    net_fixture_teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_relogin_new_device_encrypted);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	char	*run_dir;
	int	 failed;

	run_dir = hs_tmp_run();
	sr = srunner_create(suite_net());
	srunner_add_suite(sr, suite_first_start());
	srunner_add_suite(sr, suite_members());
	srunner_add_suite(sr, suite_keys());
	srunner_add_suite(sr, suite_send());
	srunner_add_suite(sr, suite_device_lists());
	srunner_add_suite(sr, suite_backup());
	srunner_add_suite(sr, suite_keyreq());
	srunner_add_suite(sr, suite_media());
	srunner_add_suite(sr, suite_upload());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	hs_tmp_run_end(run_dir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
