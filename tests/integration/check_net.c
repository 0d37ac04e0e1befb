/*
 * The net thread against the test homeserver: login, initial and
 * incremental sync into the store, gap + backfill, restart, a revoked
 * token, and the outbox delivering exactly once through faults.
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
#include "haos/xmalloc.h"

#include "hs_fixture.h"

static struct hs	 hs;

static void
setup(void)
{
	struct haos_error	 err;

	http_global_init(&err);
	if (getenv("HAOS_TEST_LOG") != NULL)
		log_open(getenv("HAOS_TEST_LOG"), LOG_DEBUG);
	ck_assert_msg(hs_start(&hs) == 0, "cannot start the homeserver");
}

static void
teardown(void)
{
	hs_stop(&hs);
	http_global_cleanup();
}

/* A fresh store path in a private temporary directory. */
static char *
tmp_store(void)
{
	char	 d[] = "/tmp/haos-net-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(d));
	return xasprintf("%s/store.sqlite3", d);
}

static struct net *
start_net(const struct hs_user *u, const char *store, struct notify *nt,
    int limit)
{
	struct net_config	 c;
	struct haos_error	 err;
	struct net		*n;

	memset(&c, 0, sizeof c);
	c.homeserver = hs.url;
	c.access_token = u->token;
	c.user_id = u->user_id;
	c.device_id = u->device_id;
	c.store_path = store;
	c.sync_timeout_ms = 5000;
	c.request_timeout_ms = 10000;
	c.timeline_limit = limit;
	c.http.connect_timeout_ms = 2000;
	c.notify = nt;
	n = net_start(&c, &err);
	ck_assert_msg(n != NULL, "net_start: %s", err.msg);
	return n;
}

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

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait on the notify fd until want bits arrive; returns the bits seen. */
static unsigned int
wait_bits(struct notify *nt, unsigned int want, double seconds)
{
	struct pollfd	 p;
	unsigned int	 seen = 0;
	double		 end = now_s() + seconds;

	while (now_s() < end && (seen & want) == 0) {
		p.fd = notify_fd(nt);
		p.events = POLLIN;
		if (poll(&p, 1, 100) == 1)
			seen |= notify_take(nt);
	}
	return seen;
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
	struct haos_error err;
	struct store	*ro;
	struct gap_row	*gaps;
	size_t		 ngaps;
	char		*store, *room, *bodies, *want, *la, msg[16];
	size_t		 len = 0;
	int		 i, rounds;

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
	bodies = timeline_bodies(store, room, a.user_id);
	ck_assert_str_eq(bodies, want + len - 20 * 5 + 1);	/* last 20 */
	free(bodies);

	for (rounds = 0; rounds < 20; rounds++) {
		ro = store_open(store, STORE_RO, &err);
		ck_assert_int_eq(store_query_gaps(ro, room, &gaps, &ngaps,
		    &err), 0);
		gap_rows_free(gaps, ngaps);
		store_close(ro);
		if (ngaps == 0)
			break;
		{
			struct job *j = xcalloc(1, sizeof *j);
			j->type = JOB_BACKFILL;
			j->room_id = xstrdup(room);
			net_submit(n, j);
		}
		ck_assert(wait_bits(nt, NOTIFY_TIMELINE, 10) &
		    NOTIFY_TIMELINE);
	}
	ck_assert_int_lt(rounds, 20);
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

static Suite *
suite_net(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("net");
	tc = tcase_create("sync");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_initial_and_incremental_sync);
	tcase_add_test(tc, test_gap_backfill);
	tcase_add_test(tc, test_restart_resumes);
	tcase_add_test(tc, test_unknown_token);
	tcase_add_test(tc, test_outbox_exactly_once);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(suite_net());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
