/*
 * The member list of a big room for someone who just joined (issue 14):
 * the lazy-loaded sync leaves out the owner; opening the room fetches
 * /members once and the names resolve; opening it again does not fetch;
 * a membership change the cache could not see (behind a gap) makes it
 * fetch again, even with the room open before that gap is stored, while
 * one /sync delivered keeps the list.
 */
#include <check.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/net.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "net_fixture.h"

#define MB_CROWD	12	/* people talking in the room */
#define MB_LIMIT	10	/* the filter's timeline limit */

static void
mb_call(const struct hs_user *u, const char *method, const char *path,
    json_t *body)
{
	json_t	*r;
	int	 st;

	r = hs_call(&hs, u->token, method, path, body, &st);
	ck_assert_msg(st == 200, "%s %s: %d", method, path, st);
	json_decref(r);
	json_decref(body);
}

static void
mb_displayname(const struct hs_user *u, const char *name)
{
	char	*esc, *path;

	esc = matrix_escape(u->user_id);
	path = xasprintf("/_matrix/client/v3/profile/%s/displayname", esc);
	mb_call(u, "PUT", path, json_pack("{s:s}", "displayname", name));
	free(path);
	free(esc);
}

static void
mb_join(const struct hs_user *u, const char *room)
{
	char	*esc, *path;

	esc = matrix_escape(room);
	path = xasprintf("/_matrix/client/v3/rooms/%s/join", esc);
	mb_call(u, "POST", path, json_object());
	free(path);
	free(esc);
}

static void
mb_say(const struct hs_user *u, const char *room, const char *text)
{
	char	*txn, *path;

	txn = matrix_txn_id();
	path = matrix_send_path(room, "m.room.message", txn);
	mb_call(u, "PUT", path, json_pack("{s:s, s:s}", "msgtype", "m.text",
	    "body", text));
	free(path);
	free(txn);
}

/* How many GET /members of room the server answered since the start. */
static int
mb_fetches(const char *room)
{
	json_t		*reqs, *q;
	char		*esc;
	size_t		 i;
	int		 st, n = 0;

	esc = matrix_escape(room);
	reqs = hs_call(&hs, NULL, "GET", "/_test/requests", NULL, &st);
	ck_assert_int_eq(st, 200);
	json_array_foreach(json_object_get(reqs, "requests"), i, q) {
		if (strcmp(json_get_str(q, "method", ""), "GET") == 0 &&
		    strstr(json_get_str(q, "path", ""), esc) != NULL &&
		    strstr(json_get_str(q, "path", ""), "/members") != NULL)
			n++;
	}
	json_decref(reqs);
	free(esc);
	return n;
}

/* user's name in room's cached member list (joined, invited), or NULL. */
static char *
mb_member(const char *store_path, const char *room, const char *user,
    int64_t *power)
{
	struct haos_error	 err;
	struct store		*ro;
	struct member_row	*rows = NULL;
	size_t			 n = 0, i;
	char			*name = NULL;

	ro = store_open(store_path, STORE_RO, &err);
	ck_assert_msg(ro != NULL, "%s", err.msg);
	ck_assert_int_eq(store_query_members(ro, room, &rows, &n, &err), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].user_id, user) != 0)
			continue;
		name = xstrdup(rows[i].displayname != NULL ?
		    rows[i].displayname : rows[i].user_id);
		if (power != NULL)
			*power = rows[i].power_level;
	}
	member_rows_free(rows, n);
	store_close(ro);
	return name;
}

/* Wait until user is in room's cached member list (or seconds pass). */
static char *
mb_wait_member(struct notify *nt, const char *store, const char *room,
    const char *user, double seconds)
{
	char	*name;
	double	 end = now_s() + seconds;

	while ((name = mb_member(store, room, user, NULL)) == NULL &&
	    now_s() < end)
		wait_bits(nt, NOTIFY_MEMBERS, 0.2);
	return name;
}

/* Let the net thread run jobs and requests for a while. */
static void
mb_idle(struct notify *nt, double seconds)
{
	double	 end = now_s() + seconds;

	while (now_s() < end)
		wait_bits(nt, 0, end - now_s());
}

START_TEST(test_members_lazy_loaded)
{
	struct hs_user	 owner, carol, dave, eve, crowd[MB_CROWD];
	struct notify	*nt;
	struct net	*n;
	json_t		*r, *body;
	char		*room, *store, *name, *lp;
	int64_t		 power = -1;
	int		 st, i, k;

	if (hs.external) {
		fprintf(stderr, "test_members_lazy_loaded: needs "
		    "/_test/requests, skipped against HAOS_TEST_HS_URL\n");
		return;
	}
	lp = hs_unique("owner");
	ck_assert_int_eq(hs_register(&hs, lp, &owner), 0);
	free(lp);
	mb_displayname(&owner, "Alice Owner");
	body = json_pack("{s:s, s:s}", "name", "Big", "preset", "public_chat");
	r = hs_call(&hs, owner.token, "POST", "/_matrix/client/v3/createRoom",
	    body, &st);
	json_decref(body);
	ck_assert_int_eq(st, 200);
	room = xstrdup(json_get_str(r, "room_id", ""));
	json_decref(r);

	/* A crowd talks, long after the owner's last word. */
	for (i = 0; i < MB_CROWD; i++) {
		lp = hs_unique("crowd");
		ck_assert_int_eq(hs_register(&hs, lp, &crowd[i]), 0);
		free(lp);
		mb_join(&crowd[i], room);
	}
	for (k = 0; k < 3; k++) {
		for (i = 0; i < MB_CROWD; i++)
			mb_say(&crowd[i], room, "chatter");
	}

	/* Carol joins: her lazy-loaded first sync knows not the owner. */
	lp = hs_unique("carol");
	ck_assert_int_eq(hs_register(&hs, lp, &carol), 0);
	free(lp);
	mb_join(&carol, room);
	nt = notify_new();
	store = tmp_store();
	n = start_net(&carol, store, nt, MB_LIMIT);
	ck_assert(wait_bits(nt, NOTIFY_TIMELINE, 30) & NOTIFY_TIMELINE);
	mb_idle(nt, 1);
	name = mb_member(store, room, owner.user_id, NULL);
	ck_assert_msg(name == NULL, "the lazy-loaded sync had the owner");
	ck_assert_int_eq(mb_fetches(room), 0);

	/* Opening the room: one /members, the owner named, as admin. */
	net_submit(n, net_job_room(JOB_MEMBERS, room, NULL));
	name = mb_wait_member(nt, store, room, owner.user_id, 10);
	ck_assert_msg(name != NULL, "the owner is not in the member list");
	ck_assert_str_eq(name, "Alice Owner");
	free(name);
	name = mb_member(store, room, owner.user_id, &power);
	ck_assert_int_eq(power, 100);
	free(name);
	for (i = 0; i < MB_CROWD; i++) {
		name = mb_member(store, room, crowd[i].user_id, NULL);
		ck_assert_ptr_nonnull(name);
		free(name);
	}
	ck_assert_int_eq(mb_fetches(room), 1);

	/* Opened again (and again): the cache has them, no request. */
	net_submit(n, net_job_room(JOB_MEMBERS, room, NULL));
	net_submit(n, net_job_room(JOB_MEMBERS, room, NULL));
	mb_idle(nt, 1.5);
	ck_assert_int_eq(mb_fetches(room), 1);

	/* A join /sync delivers keeps the list complete: no request. */
	lp = hs_unique("eve");
	ck_assert_int_eq(hs_register(&hs, lp, &eve), 0);
	free(lp);
	mb_join(&eve, room);
	name = mb_wait_member(nt, store, room, eve.user_id, 10);
	ck_assert_ptr_nonnull(name);
	free(name);
	net_submit(n, net_job_room(JOB_MEMBERS, room, NULL));
	mb_idle(nt, 1.5);
	ck_assert_int_eq(mb_fetches(room), 1);

	/*
	 * Away: Dave joins silently, the owner leaves, and the crowd talks
	 * past the timeline limit.  The sync after the restart is cut (a
	 * gap) and its lazy-loaded state names neither change.
	 */
	net_stop(n);
	lp = hs_unique("dave");
	ck_assert_int_eq(hs_register(&hs, lp, &dave), 0);
	free(lp);
	mb_join(&dave, room);
	lp = matrix_escape(room);
	name = xasprintf("/_matrix/client/v3/rooms/%s/leave", lp);
	mb_call(&owner, "POST", name, json_object());
	free(name);
	free(lp);
	for (i = 0; i < MB_CROWD; i++)
		mb_say(&crowd[i], room, "more chatter");
	/*
	 * The room is open again at once, from the cache, before that sync
	 * is stored: the list is still marked complete then, and the cut
	 * sync takes the mark away while the room is open.
	 */
	n = start_net(&carol, store, nt, MB_LIMIT);
	net_submit(n, net_job_room(JOB_MEMBERS, room, NULL));
	name = mb_wait_member(nt, store, room, dave.user_id, 10);
	ck_assert_msg(name != NULL, "Dave is not in the member list");
	free(name);
	ck_assert_int_eq(mb_fetches(room), 2);
	name = mb_member(store, room, owner.user_id, NULL);
	ck_assert_msg(name == NULL, "the owner left, still listed");
	net_submit(n, net_job_room(JOB_MEMBERS, room, NULL));
	mb_idle(nt, 1.5);
	ck_assert_int_eq(mb_fetches(room), 2);
	net_stop(n);

	notify_free(nt);
	for (i = 0; i < MB_CROWD; i++)
		hs_user_free(&crowd[i]);
	hs_user_free(&owner);
	hs_user_free(&carol);
	hs_user_free(&dave);
	hs_user_free(&eve);
	free(store);
	free(room);
}
END_TEST

Suite *
suite_members(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("members");
	tc = tcase_create("lazy-loaded");
	tcase_add_checked_fixture(tc, net_fixture_setup,
	    net_fixture_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_members_lazy_loaded);
	suite_add_tcase(s, tc);
	return s;
}
