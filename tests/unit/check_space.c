/* HAOS state event builders, order strings, /join targets, store lookups. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/space.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/* Assert that have equals the JSON text want, then drop have. */
static void
json_is(json_t *have, const char *want)
{
	json_t	*w;
	char	*h;

	w = json_loads(want, 0, NULL);
	ck_assert_ptr_nonnull(w);
	h = json_dumps(have, JSON_SORT_KEYS | JSON_COMPACT);
	ck_assert_msg(json_equal(have, w), "have %s, want %s", h, want);
	free(h);
	json_decref(w);
	json_decref(have);
}

START_TEST(test_contents)
{
	json_is(space_server_content("abc123", "@a:hs"),
	    "{\"inviteCode\":\"abc123\",\"ownerId\":\"@a:hs\"}");
	json_is(space_channel_content(CHANNEL_TEXT, "@a:hs"),
	    "{\"type\":\"TEXT\",\"creatorId\":\"@a:hs\"}");
	json_is(space_channel_content(CHANNEL_AUDIO, "@a:hs"),
	    "{\"type\":\"AUDIO\",\"creatorId\":\"@a:hs\"}");
	json_is(space_channel_content(CHANNEL_VIDEO, "@a:hs"),
	    "{\"type\":\"VIDEO\",\"creatorId\":\"@a:hs\"}");
	json_is(space_child_content("hs", "0100"),
	    "{\"via\":[\"hs\"],\"order\":\"0100\"}");
	json_is(space_child_content("hs", NULL), "{\"via\":[\"hs\"]}");
	json_is(space_parent_content("hs", 1),
	    "{\"via\":[\"hs\"],\"canonical\":true}");
	json_is(space_restricted_rule("!s:hs"),
	    "{\"join_rule\":\"restricted\",\"allow\":[{\"type\":"
	    "\"m.room_membership\",\"room_id\":\"!s:hs\"}]}");
	json_is(space_deleted_content("@a:hs", 42),
	    "{\"deleted\":true,\"deletedBy\":\"@a:hs\",\"deletedAt\":42}");
}
END_TEST

START_TEST(test_power_levels)
{
	json_t	*u;

	u = json_pack("{s:i}", "@a:hs", 100);
	json_is(space_power_levels(u), "{\"users\":{\"@a:hs\":100},"
	    "\"users_default\":0,\"events\":{\"m.room.message\":0,"
	    "\"m.room.name\":50,\"m.room.avatar\":50,"
	    "\"m.room.power_levels\":100,\"m.space.child\":50,"
	    "\"io.haos.channel\":50},\"kick\":50,\"ban\":50,\"redact\":50,"
	    "\"invite\":0}");
	json_decref(u);
	u = space_power_levels(NULL);
	json_is(json_incref(json_object_get(u, "users")), "{}");
	json_decref(u);
}
END_TEST

/* The initial_state entry of type in body, or NULL. */
static json_t *
initial(json_t *body, const char *type)
{
	json_t	*e;
	size_t	 i;

	json_array_foreach(json_object_get(body, "initial_state"), i, e) {
		if (strcmp(json_get_str(e, "type", ""), type) == 0)
			return e;
	}
	return NULL;
}

START_TEST(test_create_bodies)
{
	json_t	*b, *e, *u;

	b = space_create_body("Acme", "@a:hs", "code1", "mxc://hs/x");
	ck_assert_str_eq(json_path_str(b, "creation_content.type", ""),
	    "m.space");
	ck_assert_str_eq(json_get_str(b, "name", ""), "Acme");
	ck_assert_str_eq(json_get_str(b, "preset", ""), "public_chat");
	ck_assert_str_eq(json_get_str(b, "visibility", ""), "private");
	e = initial(b, "io.haos.server");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(json_get_str(e, "state_key", "x"), "");
	ck_assert_str_eq(json_path_str(e, "content.inviteCode", ""), "code1");
	ck_assert_str_eq(json_path_str(initial(b, "m.room.avatar"),
	    "content.url", ""), "mxc://hs/x");
	ck_assert_int_eq(json_integer_value(json_path(b,
	    "power_level_content_override.users.@a:hs")), 100);
	json_decref(b);
	b = space_create_body("Acme", "@a:hs", "code1", NULL);
	ck_assert_ptr_null(initial(b, "m.room.avatar"));
	json_decref(b);

	u = json_pack("{s:i, s:i}", "@a:hs", 100, "@m:hs", 50);
	b = space_channel_create_body("lounge", "!s:hs", CHANNEL_AUDIO,
	    "@m:hs", "hs", u);
	ck_assert_str_eq(json_get_str(b, "room_version", ""), "10");
	e = initial(b, "m.space.parent");
	ck_assert_str_eq(json_get_str(e, "state_key", ""), "!s:hs");
	ck_assert(json_get_bool(json_object_get(e, "content"), "canonical",
	    0));
	ck_assert_str_eq(json_path_str(initial(b, "io.haos.channel"),
	    "content.type", ""), "AUDIO");
	ck_assert_str_eq(json_path_str(initial(b, "io.haos.channel"),
	    "content.creatorId", ""), "@m:hs");
	ck_assert_str_eq(json_path_str(initial(b, "m.room.join_rules"),
	    "content.join_rule", ""), "restricted");
	ck_assert(json_equal(json_path(b, "power_level_content_override."
	    "users"), u));
	json_decref(b);
	json_decref(u);
}
END_TEST

START_TEST(test_names)
{
	enum channel_type	 t;
	char			*s;

	ck_assert_int_eq(space_channel_type_parse("Audio", &t), 0);
	ck_assert_int_eq(t, CHANNEL_AUDIO);
	ck_assert_int_eq(space_channel_type_parse("video", &t), 0);
	ck_assert_int_eq(t, CHANNEL_VIDEO);
	ck_assert_int_eq(space_channel_type_parse("TEXT", &t), 0);
	ck_assert_int_eq(t, CHANNEL_TEXT);
	ck_assert_int_eq(space_channel_type_parse("voice", &t), -1);
	ck_assert_str_eq(space_channel_type_name(CHANNEL_NONE), "TEXT");
	s = space_server_name("@alice:haos.test");
	ck_assert_str_eq(s, "haos.test");
	free(s);
	ck_assert_ptr_null(space_server_name("alice"));
	ck_assert(space_valid_room_id("!abc:hs.org"));
	ck_assert(!space_valid_room_id("!abc"));
	ck_assert(!space_valid_room_id("#a:hs"));
	ck_assert(!space_valid_room_id("!a b:hs"));
	ck_assert(!space_valid_room_id("!a\x1b[2J:hs"));
	ck_assert(!space_valid_room_id(NULL));
	ck_assert_ptr_null(space_server_name("@alice:"));
}
END_TEST

START_TEST(test_invite_codes)
{
	char	*a, *b, *alias;
	size_t	 i;

	a = space_invite_code();
	b = space_invite_code();
	ck_assert_uint_eq(strlen(a), 10);
	for (i = 0; a[i] != '\0'; i++)
		ck_assert(strchr("abcdefghijklmnopqrstuvwxyz0123456789",
		    a[i]) != NULL);
	ck_assert_str_ne(a, b);
	ck_assert(space_valid_code(a));
	ck_assert(!space_valid_code(""));
	ck_assert(!space_valid_code("a b"));
	ck_assert(!space_valid_code("#x:hs"));
	alias = space_invite_alias(a, "hs.org");
	ck_assert_str_eq(alias + strlen(alias) - 7, ":hs.org");
	ck_assert(strncmp(alias, "#haos-", 6) == 0);
	free(alias);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_orders)
{
	char	*o, *n, **seq, big[51];
	size_t	 i;

	o = space_order_after(NULL);
	ck_assert_str_eq(o, "0100");
	for (i = 0; i < 500; i++) {
		n = space_order_after(o);
		ck_assert_ptr_nonnull(n);
		ck_assert_msg(strcmp(n, o) > 0, "%s !> %s", n, o);
		ck_assert(space_order_valid(n));
		free(o);
		o = n;
	}
	free(o);
	o = space_order_after("a~");
	ck_assert_str_eq(o, "a~!");
	free(o);
	memset(big, '~', 50);
	big[50] = '\0';
	ck_assert_ptr_null(space_order_after(big));
	ck_assert_ptr_null(space_order_after("bad\x01"));
	ck_assert(!space_order_valid(""));
	ck_assert(!space_order_valid(NULL));
	seq = space_order_sequence(12);
	for (i = 1; i < 12; i++)
		ck_assert(strcmp(seq[i - 1], seq[i]) < 0);
	for (i = 0; i < 12; i++)
		free(seq[i]);
	free(seq);
}
END_TEST

START_TEST(test_parse_join)
{
	struct space_join_target t;
	struct haos_error	 err;

	ck_assert_int_eq(space_parse_join("abc123xyz0", &t, &err), 0);
	ck_assert_int_eq(t.kind, SPACE_JOIN_CODE);
	ck_assert_str_eq(t.id, "abc123xyz0");
	space_join_target_free(&t);
	ck_assert_int_eq(space_parse_join("#room:hs.org", &t, &err), 0);
	ck_assert_int_eq(t.kind, SPACE_JOIN_ALIAS);
	space_join_target_free(&t);
	ck_assert_int_eq(space_parse_join("!id:hs.org", &t, &err), 0);
	ck_assert_int_eq(t.kind, SPACE_JOIN_ROOM);
	ck_assert_ptr_null(t.via);
	space_join_target_free(&t);
	ck_assert_int_eq(space_parse_join(
	    "https://matrix.to/#/%23acme%3Ahs.org?via=hs.org", &t, &err), 0);
	ck_assert_int_eq(t.kind, SPACE_JOIN_ALIAS);
	ck_assert_str_eq(t.id, "#acme:hs.org");
	ck_assert_str_eq(t.via, "hs.org");
	space_join_target_free(&t);
	ck_assert_int_eq(space_parse_join(
	    "https://matrix.to/#/!r:hs/$ev?via=a.org&via=b.org", &t, &err), 0);
	ck_assert_int_eq(t.kind, SPACE_JOIN_ROOM);
	ck_assert_str_eq(t.id, "!r:hs");
	ck_assert_str_eq(t.via, "a.org");
	space_join_target_free(&t);
	ck_assert_int_eq(space_parse_join("https://evil.example/x", &t, &err),
	    -1);
	ck_assert_int_eq(space_parse_join("two words", &t, &err), -1);
	ck_assert_int_eq(space_parse_join("#nocolon", &t, &err), -1);
}
END_TEST

/* A sync with a space, two ordered channels and an unrelated room. */
static const char sync_json[] =
"{\"next_batch\":\"s1\",\"rooms\":{\"join\":{"
" \"!s:hs\":{\"state\":{\"events\":["
"  {\"type\":\"m.room.create\",\"state_key\":\"\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$1\",\"origin_server_ts\":1,"
"   \"content\":{\"type\":\"m.space\"}},"
"  {\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$2\",\"origin_server_ts\":1,\"content\":{\"name\":\"Acme\"}},"
"  {\"type\":\"io.haos.server\",\"state_key\":\"\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$3\",\"origin_server_ts\":1,"
"   \"content\":{\"inviteCode\":\"c0de\",\"ownerId\":\"@a:hs\"}},"
"  {\"type\":\"m.room.power_levels\",\"state_key\":\"\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$4\",\"origin_server_ts\":1,"
"   \"content\":{\"users\":{\"@a:hs\":100,\"@m:hs\":50}}},"
"  {\"type\":\"m.space.child\",\"state_key\":\"!b:hs\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$5\",\"origin_server_ts\":1,"
"   \"content\":{\"via\":[\"hs\"],\"order\":\"0200\"}},"
"  {\"type\":\"m.space.child\",\"state_key\":\"!a:hs\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$6\",\"origin_server_ts\":1,"
"   \"content\":{\"via\":[\"hs\"],\"order\":\"0100\"}}]}},"
" \"!a:hs\":{\"state\":{\"events\":["
"  {\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$7\",\"origin_server_ts\":1,\"content\":{\"name\":\"zzz\"}}]}},"
" \"!b:hs\":{\"state\":{\"events\":["
"  {\"type\":\"m.room.name\",\"state_key\":\"\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$8\",\"origin_server_ts\":1,\"content\":{\"name\":\"aaa\"}}]}},"
" \"!x:hs\":{\"state\":{\"events\":[]}}"
"}}}";

START_TEST(test_store_lookups)
{
	struct haos_error	 err;
	struct ingest_result	 res;
	struct room_row		*r;
	struct store		*st;
	json_t			*j, *u;
	char			*dir, *path, *code, *owner;
	size_t			 n;

	dir = test_tmpdir();
	path = xasprintf("%s/store.sqlite3", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	j = json_loads(sync_json, 0, NULL);
	ck_assert_ptr_nonnull(j);
	memset(&res, 0, sizeof res);
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	ingest_result_free(&res);
	json_decref(j);

	/* By order, not by name; the space itself is not a channel. */
	ck_assert_int_eq(space_channels(st, "!s:hs", &r, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(r[0].room_id, "!a:hs");
	ck_assert_str_eq(r[0].order, "0100");
	ck_assert_str_eq(r[1].room_id, "!b:hs");
	room_rows_free(r, n);

	u = space_users(st, "!s:hs");
	ck_assert_int_eq(json_integer_value(json_object_get(u, "@m:hs")), 50);
	ck_assert_uint_eq(json_object_size(u), 2);
	json_decref(u);
	u = space_users(st, "!x:hs");
	ck_assert_uint_eq(json_object_size(u), 0);
	json_decref(u);

	ck_assert_int_eq(space_server_info(st, "!s:hs", &code, &owner, &err),
	    1);
	ck_assert_str_eq(code, "c0de");
	ck_assert_str_eq(owner, "@a:hs");
	free(code);
	free(owner);
	ck_assert_int_eq(space_server_info(st, "!x:hs", &code, &owner, &err),
	    0);
	ck_assert_ptr_null(code);
	store_close(st);
	test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

/*
 * Children to join and children unlinked: !s lists !a (joined), !n (never
 * seen), !l (left) and !p (removed: empty content), and !p still names
 * !s as its parent; the deleted server !z lists !m.
 */
static const char sync_children[] =
"{\"next_batch\":\"s1\",\"rooms\":{\"join\":{"
" \"!s:hs\":{\"state\":{\"events\":["
"  {\"type\":\"m.room.create\",\"state_key\":\"\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$1\",\"content\":{\"type\":\"m.space\"}},"
"  {\"type\":\"m.space.child\",\"state_key\":\"!a:hs\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$2\",\"content\":{\"via\":[\"hs\"]}},"
"  {\"type\":\"m.space.child\",\"state_key\":\"!n:hs\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$3\",\"content\":{\"via\":[\"other.hs\"]}},"
"  {\"type\":\"m.space.child\",\"state_key\":\"!l:hs\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$4\",\"content\":{\"via\":[\"hs\"]}},"
"  {\"type\":\"m.space.child\",\"state_key\":\"!p:hs\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$5\",\"content\":{}}]}},"
" \"!z:hs\":{\"state\":{\"events\":["
"  {\"type\":\"m.room.create\",\"state_key\":\"\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$6\",\"content\":{\"type\":\"m.space\"}},"
"  {\"type\":\"io.haos.server_deleted\",\"state_key\":\"\","
"   \"sender\":\"@a:hs\",\"event_id\":\"$7\",\"content\":{\"deleted\":true}},"
"  {\"type\":\"m.space.child\",\"state_key\":\"!m:hs\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$8\",\"content\":{\"via\":[\"hs\"]}}]}},"
" \"!a:hs\":{\"state\":{\"events\":["
"  {\"type\":\"m.space.parent\",\"state_key\":\"!s:hs\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$9\",\"content\":{\"via\":[\"hs\"],\"canonical\":true}}]}},"
" \"!p:hs\":{\"state\":{\"events\":["
"  {\"type\":\"m.space.parent\",\"state_key\":\"!s:hs\",\"sender\":\"@a:hs\","
"   \"event_id\":\"$10\",\"content\":{\"via\":[\"hs\"],\"canonical\":true}}]}}"
"},\"leave\":{"
" \"!l:hs\":{\"state\":{\"events\":[]},\"timeline\":{\"events\":[]}}"
"}}}";

START_TEST(test_new_children)
{
	struct haos_error	 err;
	struct ingest_result	 res;
	struct state_row	*x;
	struct room_row		*r;
	struct store		*st;
	json_t			*j;
	char			*dir, *path;
	size_t			 n, i;
	int			 found;

	dir = test_tmpdir();
	path = xasprintf("%s/store.sqlite3", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	j = json_loads(sync_children, 0, NULL);
	ck_assert_ptr_nonnull(j);
	memset(&res, 0, sizeof res);
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	ingest_result_free(&res);
	json_decref(j);

	/* Only the child never seen, of a server not deleted, with its via. */
	ck_assert_int_eq(store_query_new_children(st, &x, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(x[0].room_id, "!s:hs");
	ck_assert_str_eq(x[0].state_key, "!n:hs");
	ck_assert_ptr_nonnull(strstr(x[0].content, "other.hs"));
	state_rows_free(x, n);

	/* !p names !s as parent, but !s removed it: not a channel of !s. */
	ck_assert_int_eq(space_channels(st, "!s:hs", &r, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(r[0].room_id, "!a:hs");
	ck_assert_str_eq(r[0].parent_id, "!s:hs");
	room_rows_free(r, n);
	ck_assert_int_eq(store_query_rooms(st, STORE_ROOMS_OTHER, NULL, &r,
	    &n, &err), 0);
	for (i = 0, found = 0; i < n; i++) {
		if (strcmp(r[i].room_id, "!p:hs") == 0) {
			found = 1;
			ck_assert_ptr_null(r[i].parent_id);
		}
	}
	ck_assert_msg(found, "an unlinked channel is among the other rooms");
	room_rows_free(r, n);

	/* Leaving !s: nothing new to join, and !a is left behind in it. */
	ck_assert_int_eq(store_query_left_children(st, &x, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	state_rows_free(x, n);
	j = json_loads("{\"next_batch\":\"s2\",\"rooms\":{\"leave\":{"
	    "\"!s:hs\":{\"state\":{\"events\":[]},"
	    "\"timeline\":{\"events\":[]}}}}}", 0, NULL);
	ck_assert_ptr_nonnull(j);
	memset(&res, 0, sizeof res);
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	ingest_result_free(&res);
	json_decref(j);
	ck_assert_int_eq(store_query_new_children(st, &x, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	state_rows_free(x, n);
	ck_assert_int_eq(store_query_left_children(st, &x, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(x[0].room_id, "!s:hs");
	ck_assert_str_eq(x[0].state_key, "!a:hs");
	state_rows_free(x, n);
	store_close(st);
	test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

Suite *
suite_space(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("space");
	tc = tcase_create("space");
	tcase_add_test(tc, test_contents);
	tcase_add_test(tc, test_power_levels);
	tcase_add_test(tc, test_create_bodies);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_invite_codes);
	tcase_add_test(tc, test_orders);
	tcase_add_test(tc, test_parse_join);
	tcase_add_test(tc, test_store_lookups);
	tcase_add_test(tc, test_new_children);
	suite_add_tcase(s, tc);
	return s;
}
