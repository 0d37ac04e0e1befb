/* Refreshing only what changed: the plan, and the store reads it costs. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/model.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/ui.h"
#include "haos/xmalloc.h"

#define SA	"!sa:t"		/* server A, selected */
#define A1	"!a1:t"		/* its channel, open */
#define A2	"!a2:t"
#define SB	"!sb:t"		/* server B */
#define B1	"!b1:t"
#define DM	"!dm:t"
#define ME	"@me:t"

static const char *const view_channels[] = { A1, A2 };
static const char *const view_servers[] = { SA, SB };

static void
view_init(struct refresh_view *v, const char *server, const char *room)
{
	memset(v, 0, sizeof *v);
	v->server_id = server;
	v->room_id = room;
	if (server != NULL) {
		v->channels = view_channels;
		v->nchannels = nitems(view_channels);
	}
	v->servers = view_servers;
	v->nservers = nitems(view_servers);
}

static struct refresh_room
room(const char *id, const char *parent, int known, int space, int direct)
{
	struct refresh_room	 r;

	r.room_id = (char *)id;
	r.parent_id = (char *)parent;
	r.known = known;
	r.is_space = space;
	r.is_direct = direct;
	return r;
}

/* A change in the open room: its page, members, topic, list and entry. */
START_TEST(test_plan_open_room)
{
	struct refresh_view	 v;
	struct refresh_plan	 p;
	struct refresh_room	 r = room(A1, SA, 1, 0, 0);

	view_init(&v, SA, A1);
	refresh_plan(&v, &r, 1, &p);
	ck_assert_uint_eq(p.panes, REFRESH_TIMELINE | REFRESH_MEMBERS |
	    REFRESH_TOPIC | REFRESH_CHANNELS);
	ck_assert_uint_eq(p.nservers, 1);
	ck_assert_str_eq(p.servers[0], SA);
	ck_assert_int_eq(p.dm, 0);
	refresh_plan_free(&p);
}
END_TEST

/* Another server's channel: only that server's rail entry. */
START_TEST(test_plan_other_server)
{
	struct refresh_view	 v;
	struct refresh_plan	 p;
	struct refresh_room	 r = room(B1, SB, 1, 0, 0);

	view_init(&v, SA, A1);
	refresh_plan(&v, &r, 1, &p);
	ck_assert_uint_eq(p.panes, 0);
	ck_assert_uint_eq(p.nservers, 1);
	ck_assert_str_eq(p.servers[0], SB);
	ck_assert_int_eq(p.dm, 0);
	refresh_plan_free(&p);
}
END_TEST

/* A channel of the list that is not open: the list and the entry. */
START_TEST(test_plan_listed)
{
	struct refresh_view	 v;
	struct refresh_plan	 p;
	struct refresh_room	 r[2] = { room(A2, SA, 1, 0, 0),
				    room("!new:t", SA, 1, 0, 0) };

	view_init(&v, SA, A1);
	refresh_plan(&v, &r[0], 1, &p);
	ck_assert_uint_eq(p.panes, REFRESH_CHANNELS | REFRESH_TOPIC);
	ck_assert_uint_eq(p.nservers, 1);
	refresh_plan_free(&p);
	/* A new channel of the selected server joins the list. */
	refresh_plan(&v, &r[1], 1, &p);
	ck_assert_uint_eq(p.panes, REFRESH_CHANNELS | REFRESH_TOPIC);
	refresh_plan_free(&p);
}
END_TEST

/* A DM: the rail's DM entry; the list too while DMs are selected. */
START_TEST(test_plan_direct)
{
	struct refresh_view	 v;
	struct refresh_plan	 p;
	struct refresh_room	 r = room(DM, NULL, 1, 0, 1);

	view_init(&v, SA, A1);
	refresh_plan(&v, &r, 1, &p);
	ck_assert_uint_eq(p.panes, 0);
	ck_assert_uint_eq(p.nservers, 0);
	ck_assert_int_eq(p.dm, 1);
	refresh_plan_free(&p);
	view_init(&v, NULL, NULL);
	refresh_plan(&v, &r, 1, &p);
	ck_assert_uint_eq(p.panes, REFRESH_CHANNELS | REFRESH_TOPIC);
	ck_assert_int_eq(p.dm, 1);
	refresh_plan_free(&p);
}
END_TEST

/* Spaces, unknown rooms and global changes read more. */
START_TEST(test_plan_wide)
{
	struct refresh_view	 v;
	struct refresh_plan	 p;
	struct refresh_room	 r[4] = { room(SB, NULL, 1, 1, 0),
				    room("!gone:t", NULL, 0, 0, 0),
				    room("", NULL, 0, 0, 0),
				    room(SA, NULL, 1, 1, 0) };

	view_init(&v, SA, A1);
	refresh_plan(&v, &r[0], 1, &p);
	ck_assert_uint_eq(p.panes, REFRESH_RAIL);
	refresh_plan_free(&p);
	refresh_plan(&v, &r[1], 1, &p);
	ck_assert_uint_eq(p.panes, REFRESH_RAIL);
	refresh_plan_free(&p);
	refresh_plan(&v, &r[2], 1, &p);
	ck_assert_uint_eq(p.panes, REFRESH_ALL);
	refresh_plan_free(&p);
	refresh_plan(&v, &r[3], 1, &p);
	ck_assert_uint_eq(p.panes, REFRESH_RAIL | REFRESH_CHANNELS |
	    REFRESH_TOPIC);
	ck_assert_uint_eq(p.nservers, 0);
	refresh_plan_free(&p);
	view_init(&v, SA, NULL);
	refresh_plan(&v, NULL, 0, &p);
	ck_assert_uint_eq(p.panes, 0);
	refresh_plan_free(&p);
}
END_TEST

/* Store side: two servers, their channels and a DM, through ingest. */
static char		*dir;
static struct store	*st;

static void
sync_text(const char *text)
{
	struct haos_error	 err;
	struct ingest_result	 res;
	json_t			*j;

	j = json_loads(text, 0, NULL);
	ck_assert_msg(j != NULL, "bad fixture %s", text);
	memset(&res, 0, sizeof res);
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	ingest_result_free(&res);
	json_decref(j);
}

#define STATE(type, key, content)					\
	"{\"type\":\"" type "\",\"state_key\":\"" key "\","		\
	"\"sender\":\"" ME "\",\"event_id\":\"$" type key "\","		\
	"\"origin_server_ts\":1,\"content\":" content "}"
#define SPACE(id, child)						\
	"\"" id "\":{\"state\":{\"events\":["				\
	STATE("m.room.create", "", "{\"type\":\"m.space\"}") ","	\
	STATE("m.room.name", "", "{\"name\":\"" id "\"}") ","		\
	STATE("m.space.child", child, "{\"via\":[\"t\"]}") "]}}"
#define CHANNEL(id, parent)						\
	"\"" id "\":{\"state\":{\"events\":["				\
	STATE("m.room.create", "", "{}") ","				\
	STATE("m.room.name", "", "{\"name\":\"" id "\"}") ","		\
	STATE("m.space.parent", parent, "{\"via\":[\"t\"]}") ","	\
	STATE("m.room.member", ME, "{\"membership\":\"join\"}") "]}}"
#define MESSAGE(room, id, ts)						\
	"{\"next_batch\":\"n" id "\",\"rooms\":{\"join\":{\"" room	\
	"\":{\"timeline\":{\"limited\":false,\"events\":[{\"type\":"	\
	"\"m.room.message\",\"sender\":\"@bob:t\",\"event_id\":\"$" id	\
	"\",\"origin_server_ts\":" #ts ",\"content\":{\"msgtype\":"	\
	"\"m.text\",\"body\":\"hi\"}}]}}}}}"

static void
store_setup(void)
{
	struct haos_error	 err;
	char			*path;

	dir = test_tmpdir();
	path = xasprintf("%s/cache.db", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	free(path);
	sync_text("{\"next_batch\":\"n0\",\"rooms\":{\"join\":{"
	    SPACE(SA, A1) "," SPACE(SB, B1) "," CHANNEL(A1, SA) ","
	    CHANNEL(A2, SA) "," CHANNEL(B1, SB) "}}}");
}

static void
store_teardown(void)
{
	store_close(st);
	test_rmtree(dir);
	free(dir);
}

/*
 * The reads each pane's refresh() makes for a plan, as the panes make
 * them (pane-rail.c, pane-channels.c, pane-messages.c, pane-members.c);
 * the per-room unread scans are left out, so this is a lower bound.
 */
static unsigned long
plan_reads(const struct refresh_plan *p, const char *server,
    const char *open)
{
	struct haos_error	 err;
	struct room_row		*r;
	struct event_row	*ev;
	struct member_row	*m;
	size_t			 n, i;
	unsigned long		 before = store_query_calls(st);

	if (p->panes & REFRESH_RAIL) {
		ck_assert_int_eq(store_query_rooms(st, STORE_ROOMS_SPACES,
		    NULL, &r, &n, &err), 0);
		room_rows_free(r, n);
		for (i = 0; i < nitems(view_servers); i++) {
			store_query_rooms(st, STORE_ROOMS_CHANNELS,
			    view_servers[i], &r, &n, &err);
			room_rows_free(r, n);
		}
	}
	for (i = 0; !(p->panes & REFRESH_RAIL) && i < p->nservers; i++) {
		store_query_rooms(st, STORE_ROOMS_CHANNELS, p->servers[i],
		    &r, &n, &err);
		room_rows_free(r, n);
	}
	if ((p->panes & REFRESH_RAIL) || p->dm) {
		store_query_rooms(st, STORE_ROOMS_DIRECT, NULL, &r, &n, &err);
		room_rows_free(r, n);
		store_query_rooms(st, STORE_ROOMS_OTHER, NULL, &r, &n, &err);
		room_rows_free(r, n);
	}
	if (p->panes & REFRESH_CHANNELS) {
		store_query_rooms(st, STORE_ROOMS_CHANNELS, server, &r, &n,
		    &err);
		room_rows_free(r, n);
	}
	if (p->panes & REFRESH_TIMELINE) {
		store_query_timeline(st, open, STORE_LATEST, 150, 0, ME, &ev,
		    &n, &err);
		event_rows_free(ev, n);
	}
	if (p->panes & REFRESH_MEMBERS) {
		store_query_members(st, open, &m, &n, &err);
		member_rows_free(m, n);
	}
	return store_query_calls(st) - before;
}

/*
 * A batch that touches only B1 (not open, not in the selected server)
 * costs two reads to plan (which rooms changed, and what B1 is) and one
 * to act on (B's channels for its rail entry); reading everything again
 * costs at least eight.  The timeline and the members read nothing.
 */
START_TEST(test_collect_other_server)
{
	struct haos_error	 err;
	struct refresh		 rf;
	struct refresh_view	 v;
	struct refresh_plan	 p, all;
	unsigned long		 calls;

	view_init(&v, SA, A1);
	calls = store_query_calls(st);
	ck_assert_int_eq(refresh_start(&rf, st, &err), 0);
	ck_assert_uint_eq(store_query_calls(st) - calls, 1);
	sync_text(MESSAGE(B1, "m1", 10));
	calls = store_query_calls(st);
	ck_assert_int_eq(refresh_collect(&rf, st, NOTIFY_TIMELINE, &v, &p,
	    &err), 0);
	ck_assert_uint_eq(store_query_calls(st) - calls, 2);
	ck_assert_uint_eq(p.panes & (REFRESH_TIMELINE | REFRESH_MEMBERS |
	    REFRESH_CHANNELS | REFRESH_RAIL), 0);
	ck_assert_uint_eq(p.nservers, 1);
	ck_assert_str_eq(p.servers[0], SB);
	ck_assert_uint_eq(plan_reads(&p, SA, A1), 1);
	memset(&all, 0, sizeof all);
	all.panes = REFRESH_ALL;
	ck_assert_uint_eq(plan_reads(&all, SA, A1), 8);
	refresh_plan_free(&p);

	/* Nothing new: one read, nothing to do. */
	calls = store_query_calls(st);
	ck_assert_int_eq(refresh_collect(&rf, st, NOTIFY_TIMELINE, &v, &p,
	    &err), 0);
	ck_assert_uint_eq(store_query_calls(st) - calls, 1);
	ck_assert_uint_eq(p.panes, 0);
	ck_assert_uint_eq(p.nservers, 0);
	refresh_plan_free(&p);
	refresh_free(&rf);
}
END_TEST

/* The open room changed: its page and members are read again. */
START_TEST(test_collect_open_room)
{
	struct haos_error	 err;
	struct refresh		 rf;
	struct refresh_view	 v;
	struct refresh_plan	 p;

	view_init(&v, SA, A1);
	ck_assert_int_eq(refresh_start(&rf, st, &err), 0);
	sync_text(MESSAGE(A1, "m2", 20));
	ck_assert_int_eq(refresh_collect(&rf, st, NOTIFY_TIMELINE, &v, &p,
	    &err), 0);
	ck_assert_uint_eq(p.panes, REFRESH_TIMELINE | REFRESH_MEMBERS |
	    REFRESH_TOPIC | REFRESH_CHANNELS);
	ck_assert_uint_eq(p.nservers, 1);
	ck_assert_str_eq(p.servers[0], SA);
	refresh_plan_free(&p);
	refresh_free(&rf);
}
END_TEST

/*
 * A change read before its data bit arrives waits: typing alone plans
 * nothing, and the bit that follows acts on the room.
 */
START_TEST(test_collect_pending)
{
	struct haos_error	 err;
	struct refresh		 rf;
	struct refresh_view	 v;
	struct refresh_plan	 p;

	view_init(&v, SA, A1);
	ck_assert_int_eq(refresh_start(&rf, st, &err), 0);
	sync_text(MESSAGE(A1, "m3", 30));
	ck_assert_int_eq(refresh_collect(&rf, st, NOTIFY_TYPING, &v, &p,
	    &err), 0);
	ck_assert_uint_eq(p.panes, 0);
	ck_assert_uint_eq(rf.npending, 1);
	refresh_plan_free(&p);
	ck_assert_int_eq(refresh_collect(&rf, st, NOTIFY_TIMELINE, &v, &p,
	    &err), 0);
	ck_assert(p.panes & REFRESH_TIMELINE);
	ck_assert_uint_eq(rf.npending, 0);
	refresh_plan_free(&p);
	refresh_free(&rf);
}
END_TEST

Suite *
suite_refresh(void)
{
	Suite	*s = suite_create("refresh");
	TCase	*tc;

	tc = tcase_create("plan");
	tcase_add_test(tc, test_plan_open_room);
	tcase_add_test(tc, test_plan_other_server);
	tcase_add_test(tc, test_plan_listed);
	tcase_add_test(tc, test_plan_direct);
	tcase_add_test(tc, test_plan_wide);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, store_setup, store_teardown);
	tcase_add_test(tc, test_collect_other_server);
	tcase_add_test(tc, test_collect_open_room);
	tcase_add_test(tc, test_collect_pending);
	suite_add_tcase(s, tc);
	return s;
}
