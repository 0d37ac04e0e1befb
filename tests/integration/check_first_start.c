/*
 * The first start of a big account (issue 13): a new login with 1,000
 * rooms lists them all, with the server's unread and highlight counts,
 * before any timeline is fetched; opening a room fills its timeline ahead
 * of the background; the background fills every room without duplicates
 * or holes (the store against the server's /messages), and a restart in
 * the middle of the filling resumes it.
 */
#include <check.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/net.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "net_fixture.h"

#define FS_ROOMS	1000
#define FS_LIMIT	50	/* the filter's timeline limit */

/* What first_start_world.py made: per room, Bob's messages. */
struct fs_room {
	char	*id;
	int64_t	 unread;
	int64_t	 highlight;
	int	 messages;
};

static struct fs_room *
fs_world(const struct hs_user *a, const struct hs_user *b, size_t *n)
{
	struct fs_room	*rooms;
	json_error_t	 jerr;
	json_t		*root, *r;
	FILE		*p;
	char		*cmd;
	const char	*top;
	size_t		 i;

	top = getenv("HAOS_ROOT") != NULL ? getenv("HAOS_ROOT") : ".";
	cmd = xasprintf("python3 '%s/tests/integration/first_start_world.py' "
	    "'%s' '%s' '%s' %d", top, hs.url, a->token, b->token, FS_ROOMS);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	root = json_loadf(p, 0, &jerr);
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_msg(root != NULL, "world: %s", jerr.text);
	free(cmd);
	*n = json_array_size(json_object_get(root, "rooms"));
	ck_assert_uint_eq(*n, FS_ROOMS);
	rooms = xcalloc(*n, sizeof *rooms);
	json_array_foreach(json_object_get(root, "rooms"), i, r) {
		rooms[i].id = xstrdup(json_get_str(r, "id", ""));
		rooms[i].unread = json_get_int(r, "unread", -1);
		rooms[i].highlight = json_get_int(r, "highlight", -1);
		rooms[i].messages = (int)json_get_int(r, "messages", -1);
	}
	json_decref(root);
	return rooms;
}

/* Event ids of room's cached timeline, oldest first. */
static char **
fs_ids(struct store *ro, const char *room, const char *me, size_t *n)
{
	struct haos_error	 err;
	struct event_row	*rows = NULL;
	size_t			 nrows = 0, i;
	char			**ids;

	ck_assert_int_eq(store_query_timeline(ro, room, STORE_LATEST, 100000,
	    0, me, &rows, &nrows, &err), 0);
	ids = xcalloc(nrows + 1, sizeof *ids);
	*n = 0;
	for (i = 0; i < nrows; i++) {
		if (rows[i].event_id != NULL)
			ids[(*n)++] = xstrdup(rows[i].event_id);
	}
	event_rows_free(rows, nrows);
	return ids;
}

static void
fs_ids_free(char **ids, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* How many of Bob's messages room has in the cache. */
static int
fs_messages(struct store *ro, const char *room, const char *me)
{
	struct haos_error	 err;
	struct event_row	*rows = NULL;
	size_t			 nrows = 0, i;
	int			 m = 0;

	ck_assert_int_eq(store_query_timeline(ro, room, STORE_LATEST, 100000,
	    0, me, &rows, &nrows, &err), 0);
	for (i = 0; i < nrows; i++)
		m += strcmp(rows[i].type, "m.room.message") == 0;
	event_rows_free(rows, nrows);
	return m;
}

/*
 * The cache against the server: room's cached events are the newest of
 * its history, in the server's order, each once; all of it if the cache
 * has no gap left, else at least the page the background fetched.
 */
static void
fs_compare(struct store *ro, const struct hs_user *a, const char *room)
{
	struct haos_error	 err;
	struct gap_row		*gaps = NULL;
	json_t			*resp, *chunk;
	char			*esc, *path, **ids;
	size_t			 n, ngaps = 0, k, total, i, j;
	int			 st;

	ids = fs_ids(ro, room, a->user_id, &n);
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++)
			ck_assert_msg(strcmp(ids[i], ids[j]) != 0,
			    "%s: %s twice", room, ids[i]);
	}
	esc = matrix_escape(room);
	path = xasprintf("/_matrix/client/v3/rooms/%s/messages?dir=b&"
	    "limit=1000", esc);
	resp = hs_call(&hs, a->token, "GET", path, NULL, &st);
	ck_assert_int_eq(st, 200);
	chunk = json_object_get(resp, "chunk");
	total = json_array_size(chunk);
	ck_assert_int_eq(store_query_gaps(ro, room, &gaps, &ngaps, &err), 0);
	gap_rows_free(gaps, ngaps);
	if (ngaps == 0)
		ck_assert_msg(n == total, "%s: %zu cached, the server has %zu",
		    room, n, total);
	else
		ck_assert_msg(n >= FS_LIMIT && n <= total, "%s: %zu "
		    "cached with a gap (the server has %zu)", room, n, total);
	/* chunk is newest first; ids oldest first. */
	for (k = 0; k < n; k++)
		ck_assert_str_eq(ids[n - 1 - k], json_get_str(json_array_get(
		    chunk, k), "event_id", ""));
	json_decref(resp);
	free(path);
	free(esc);
	fs_ids_free(ids, n);
}

START_TEST(test_first_start_1000_rooms)
{
	struct hs_user		 a, b;
	struct haos_error	 err;
	struct notify		*nt;
	struct net		*n;
	struct store		*ro;
	struct room_row		*rows = NULL;
	struct fs_room		*world, *w;
	char			*store, *la, *lb;
	size_t			 nworld, nrows = 0, i, j, highlit = 0;
	int64_t			 left, planned;
	double			 end;

	if (hs.external) {
		fprintf(stderr, "test_first_start_1000_rooms: needs "
		    "/_test/faults, skipped against HAOS_TEST_HS_URL\n");
		return;
	}
	la = hs_unique("alice");
	lb = hs_unique("bob");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	ck_assert_int_eq(hs_register(&hs, lb, &b), 0);
	world = fs_world(&a, &b, &nworld);

	/* Hold the first pages, so that the list is seen before them. */
	ck_assert_int_eq(hs_faults(&hs, "{\"faults\": [{\"action\": "
	    "\"delay\", \"path\": \"/messages\", \"ms\": 5000, \"count\": "
	    "3}]}"), 0);
	nt = notify_new();
	store = tmp_store();
	n = start_net(&a, store, nt, FS_LIMIT);
	ck_assert(wait_bits(nt, NOTIFY_TIMELINE, 60) & NOTIFY_TIMELINE);

	/* Every room listed, with the server's counts, no timeline yet. */
	ro = store_open(store, STORE_RO, &err);
	ck_assert_msg(ro != NULL, "%s", err.msg);
	ck_assert_int_eq(store_query_rooms(ro, STORE_ROOMS_ALL, NULL, &rows,
	    &nrows, &err), 0);
	ck_assert_uint_eq(nrows, FS_ROOMS);
	for (i = 0; i < nworld; i++) {
		w = &world[i];
		for (j = 0; j < nrows; j++) {
			if (strcmp(rows[j].room_id, w->id) == 0)
				break;
		}
		ck_assert_msg(j < nrows, "%s not listed", w->id);
		ck_assert_int_eq(rows[j].unread, w->unread);
		ck_assert_int_eq(rows[j].highlight, w->highlight);
		highlit += w->highlight > 0;
		ck_assert_int_le(fs_messages(ro, w->id, a.user_id), 1);
	}
	ck_assert_uint_gt(highlit, 0);
	room_rows_free(rows, nrows);
	store_close(ro);
	planned = fill_left(store);
	ck_assert_int_eq(planned, FS_ROOMS);

	/*
	 * Opening the least recently active room (the background's last):
	 * its page comes ahead of the background's.
	 */
	w = &world[0];
	ck_assert_int_gt(w->messages, FS_LIMIT);
	net_submit(n, net_job_room(JOB_BACKFILL, w->id, NULL));
	end = now_s() + 30;
	for (;;) {
		ro = store_open(store, STORE_RO, &err);
		ck_assert_msg(ro != NULL, "%s", err.msg);
		j = (size_t)fs_messages(ro, w->id, a.user_id);
		store_close(ro);
		if (j > 1 || now_s() > end)
			break;
		wait_bits(nt, NOTIFY_TIMELINE, 0.2);
	}
	ck_assert_uint_gt(j, 1);
	left = fill_left(store);
	ck_assert_msg(left > planned / 2, "the opened room waited for the "
	    "background: %lld of %lld left", (long long)left,
	    (long long)planned);

	/* A restart in the middle of the filling resumes it. */
	end = now_s() + 60;
	while ((left = fill_left(store)) > planned - 100 && now_s() < end)
		wait_bits(nt, NOTIFY_TIMELINE, 0.2);
	net_stop(n);
	left = fill_left(store);
	ck_assert_msg(left > 0 && left <= planned - 100, "%lld left",
	    (long long)left);
	n = start_net(&a, store, nt, FS_LIMIT);
	wait_filled(store, 240);
	net_stop(n);

	/* No duplicates, no holes: the cache against /messages. */
	ro = store_open(store, STORE_RO, &err);
	ck_assert_msg(ro != NULL, "%s", err.msg);
	for (i = 0; i < nworld; i++)
		fs_compare(ro, &a, world[i].id);
	store_close(ro);

	notify_free(nt);
	for (i = 0; i < nworld; i++)
		free(world[i].id);
	free(world);
	hs_user_free(&a);
	hs_user_free(&b);
	free(store);
	free(la);
	free(lb);
}
END_TEST

Suite *
suite_first_start(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("first start");
	tc = tcase_create("1000 rooms");
	tcase_add_checked_fixture(tc, net_fixture_setup,
	    net_fixture_teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_first_start_1000_rooms);
	suite_add_tcase(s, tc);
	return s;
}
