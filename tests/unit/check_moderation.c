/* Roles, moderation and audit commands against a store filled by ingest. */
#include "check_haos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/cmd.h"
#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/net.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define SPACE	"!space:hs"
#define ALPHA	"!alpha:hs"
#define BETA	"!beta:hs"
#define ALICE	"@alice:hs"
#define BOB	"@bob:hs"

static char		*dir;
static struct store	*st;

/* One state event as /sync sends it. */
static json_t *
ev(const char *type, const char *key, const char *sender, json_t *content,
    int n)
{
	char	 id[32];

	snprintf(id, sizeof id, "$e%d:hs", n);
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:I}", "type", type,
	    "state_key", key, "sender", sender, "content", content,
	    "event_id", id, "origin_server_ts", (json_int_t)1700000000000 +
	    n * 1000);
}

static json_t *
pl(int bob)
{
	json_t	*p;

	p = json_pack("{s:i, s:{s:i, s:i, s:i}, s:i, s:i, s:i, s:i, "
	    "s:{s:i}}", "users_default", 0, "events", "m.room.power_levels",
	    100, "m.space.child", 50, "io.haos.channel", 50, "kick", 50,
	    "ban", 50, "redact", 50, "invite", 0, "users", ALICE, 100);
	if (bob >= 0)
		json_object_set_new(json_object_get(p, "users"), BOB,
		    json_integer(bob));
	return p;
}

/* The state of a room: create, name, members, levels, links. */
static json_t *
room_state(const char *id, const char *name, int bob, int *n)
{
	json_t	*a;

	a = json_array();
	json_array_append_new(a, ev("m.room.create", "", ALICE, json_pack(
	    "{s:s}", "creator", ALICE), (*n)++));
	if (strcmp(id, SPACE) == 0) {
		json_object_set_new(json_object_get(json_array_get(a, 0),
		    "content"), "type", json_string("m.space"));
		json_array_append_new(a, ev("m.space.child", ALPHA, ALICE,
		    json_pack("{s:[s], s:s}", "via", "hs", "order", "1"),
		    (*n)++));
		json_array_append_new(a, ev("m.space.child", BETA, ALICE,
		    json_pack("{s:[s], s:s}", "via", "hs", "order", "2"),
		    (*n)++));
	} else
		json_array_append_new(a, ev("m.space.parent", SPACE, ALICE,
		    json_pack("{s:[s], s:b}", "via", "hs", "canonical", 1),
		    (*n)++));
	json_array_append_new(a, ev("m.room.name", "", ALICE, json_pack(
	    "{s:s}", "name", name), (*n)++));
	json_array_append_new(a, ev("m.room.member", ALICE, ALICE, json_pack(
	    "{s:s}", "membership", "join"), (*n)++));
	json_array_append_new(a, ev("m.room.member", BOB, BOB, json_pack(
	    "{s:s}", "membership", "join"), (*n)++));
	json_array_append_new(a, ev("m.room.power_levels", "", ALICE, pl(bob),
	    (*n)++));
	return a;
}

/*
 * A store holding the server "Guild" (space) with channels alpha and beta;
 * bob's level in beta is beta_bob (-1: none), 0 elsewhere.  timeline is
 * added to beta's timeline (or NULL).
 */
static void
world(int beta_bob, json_t *timeline)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*sync, *join;
	char			*path;
	int			 n = 1;

	dir = test_tmpdir();
	path = xasprintf("%s/cache.db", dir);
	st = store_open(path, STORE_RW, &err);
	free(path);
	ck_assert_ptr_nonnull(st);
	join = json_object();
	json_object_set_new(join, SPACE, json_pack("{s:{s:o}}", "state",
	    "events", room_state(SPACE, "Guild", 0, &n)));
	json_object_set_new(join, ALPHA, json_pack("{s:{s:o}}", "state",
	    "events", room_state(ALPHA, "alpha", 0, &n)));
	json_object_set_new(join, BETA, json_pack("{s:{s:o}, s:{s:o}}",
	    "state", "events", room_state(BETA, "beta", beta_bob, &n),
	    "timeline", "events", timeline != NULL ? timeline :
	    json_array()));
	sync = json_pack("{s:s, s:{s:o}}", "next_batch", "s1", "rooms",
	    "join", join);
	memset(&res, 0, sizeof res);
	ck_assert_msg(ingest_sync(st, sync, &res, &err) == 0, "%s",
	    err.msg);
	ingest_result_free(&res);
	json_decref(sync);
}

static void
world_free(void)
{
	store_close(st);
	test_rmtree(dir);
	free(dir);
}

static void
ctx_init(struct cmd_ctx *ctx, struct test_capture *c)
{
	test_capture_free(c);
	test_capture_init(ctx, c, ALICE);
	test_capture_store(c, st);
	ctx->server_id = SPACE;
}

/* Answer job i: ok, or an error with errcode and text. */
static void
answer(struct cmd_ctx *ctx, struct test_capture *c, int i, const char *errcode,
    const char *text)
{
	struct net_result	 r;
	struct haos_error	 e;

	memset(&r, 0, sizeof r);
	r.tag = c->jobs[i]->tag;
	r.ok = errcode == NULL;
	if (errcode != NULL) {
		haos_error_matrix(&e, 403, errcode, text);
		r.err = &e;
	}
	ck_assert_int_eq(cmd_result(ctx, &r), 0);
}

/* The level of user in a JOB_REQUEST power-levels body. */
static json_int_t
job_level(const struct job *j, const char *user)
{
	json_t		*b;
	json_int_t	 v;

	b = json_loads(j->content, 0, NULL);
	ck_assert_ptr_nonnull(b);
	v = json_integer_value(json_object_get(json_object_get(b, "users"),
	    user));
	/* The template survives the change. */
	ck_assert_int_eq(json_get_int(json_object_get(b, "events"),
	    "m.room.power_levels", -1), 100);
	ck_assert_int_eq(json_get_int(b, "kick", -1), 50);
	json_decref(b);
	return v;
}

START_TEST(test_role_cascade_retry)
{
	struct cmd_ctx	 ctx;
	struct test_capture	 c = { 0 };
	int		 i;

	world(-1, NULL);
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/role @bob:hs moderator"),
	    CMD_RETURN_WAIT);
	/* Space, alpha, beta: one PUT each, nothing for io.haos.member_role. */
	ck_assert_int_eq(c.njobs, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_str_eq(c.jobs[i]->method, "PUT");
		ck_assert_ptr_nonnull(strstr(c.jobs[i]->path,
		    "/state/m.room.power_levels"));
		ck_assert_int_eq(job_level(c.jobs[i], BOB), 50);
		ck_assert_int_eq(job_level(c.jobs[i], ALICE), 100);
	}
	ck_assert_ptr_nonnull(strstr(c.jobs[2]->path, "%21beta%3Ahs"));
	answer(&ctx, &c, 0, NULL, NULL);
	answer(&ctx, &c, 1, NULL, NULL);
	answer(&ctx, &c, 2, "M_UNKNOWN", "boom");
	/* Beta alone is retried once. */
	ck_assert_int_eq(c.njobs, 4);
	ck_assert_str_eq(c.jobs[3]->path, c.jobs[2]->path);
	ck_assert_str_eq(c.out, "");
	answer(&ctx, &c, 3, "M_UNKNOWN", "boom");
	ck_assert_int_eq(c.errors, 1);
	ck_assert_str_eq(c.out, "role @bob:hs: failed in 1 of 3 rooms (after "
	    "a retry): #beta (M_UNKNOWN: boom); run /server doctor to repair");
	ck_assert_uint_eq(client_pending(ctx.client), 0);
	test_capture_free(&c);

	/* A retry that works: success over all three rooms. */
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/role bob guest"),
	    CMD_RETURN_WAIT);
	answer(&ctx, &c, 0, "M_UNKNOWN", "flaky");
	answer(&ctx, &c, 1, NULL, NULL);
	answer(&ctx, &c, 2, NULL, NULL);
	ck_assert_int_eq(c.njobs, 4);
	answer(&ctx, &c, 3, NULL, NULL);
	ck_assert_str_eq(c.out, "role @bob:hs: is now GUEST (0) in 3 rooms");
	ck_assert_int_eq(c.errors, 0);
	test_capture_free(&c);
	world_free();
}
END_TEST

START_TEST(test_role_self_member_role)
{
	struct cmd_ctx	 ctx;
	struct test_capture	 c = { 0 };
	int		 i, nmr = 0;

	world(-1, NULL);
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/role @alice:hs admin"),
	    CMD_RETURN_WAIT);
	ck_assert_int_eq(c.njobs, 6);
	for (i = 0; i < c.njobs; i++) {
		if (strstr(c.jobs[i]->path, "io.haos.member_role") == NULL)
			continue;
		nmr++;
		ck_assert_ptr_nonnull(strstr(c.jobs[i]->path,
		    "/state/io.haos.member_role/%40alice%3Ahs"));
		ck_assert_str_eq(c.jobs[i]->content, "{\"role\":\"ADMIN\"}");
	}
	ck_assert_int_eq(nmr, 3);
	/* The mapping's write refused: never a failure of the role change. */
	for (i = 0; i < 6; i++) {
		if (strstr(c.jobs[i]->path, "io.haos.member_role") != NULL)
			answer(&ctx, &c, i, "M_FORBIDDEN",
			    "You are not allowed to set others state");
		else
			answer(&ctx, &c, i, NULL, NULL);
	}
	ck_assert_int_eq(c.njobs, 6);
	ck_assert_int_eq(c.errors, 0);
	ck_assert_str_eq(c.out, "role @alice:hs: is now ADMIN (100) in 3 "
	    "rooms");
	test_capture_free(&c);
	world_free();
}
END_TEST

START_TEST(test_doctor)
{
	struct cmd_ctx	 ctx;
	struct test_capture	 c = { 0 };
	struct cmd_args	 a;

	memset(&a, 0, sizeof a);
	world(50, NULL);
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_doctor_exec(&ctx, &a), CMD_RETURN_WAIT);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_ptr_nonnull(strstr(c.jobs[0]->path, "%21beta%3Ahs/state/"
	    "m.room.power_levels"));
	ck_assert_int_eq(job_level(c.jobs[0], BOB), 0);
	ck_assert_str_eq(c.out, "server doctor: #beta: @bob:hs 50 -> 0");
	answer(&ctx, &c, 0, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(c.out, "server doctor: repaired the "
	    "power levels in 1 room"));
	test_capture_free(&c);

	/* A moderator may not. */
	ctx_init(&ctx, &c);
	ctx.me = BOB;
	ck_assert_int_eq(cmd_doctor_exec(&ctx, &a), CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "server doctor needs ADMIN (100); you are "
	    "GUEST (0)");
	ck_assert_int_eq(c.njobs, 0);
	world_free();

	/* No drift: nothing sent. */
	world(0, NULL);
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_doctor_exec(&ctx, &a), CMD_RETURN_NORMAL);
	ck_assert_int_eq(c.njobs, 0);
	ck_assert_str_eq(c.out, "server doctor: no drift: 2 channels agree "
	    "with the server's power levels");
	world_free();
}
END_TEST

START_TEST(test_kick)
{
	struct cmd_ctx	 ctx;
	struct test_capture	 c = { 0 };
	json_t		*b;
	int		 i;

	world(-1, NULL);
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/kick @bob:hs being rude"),
	    CMD_RETURN_WAIT);
	ck_assert_int_eq(c.njobs, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_str_eq(c.jobs[i]->method, "POST");
		ck_assert_ptr_nonnull(strstr(c.jobs[i]->path, "/kick"));
		b = json_loads(c.jobs[i]->content, 0, NULL);
		ck_assert_str_eq(json_get_str(b, "user_id", ""), BOB);
		ck_assert_str_eq(json_get_str(b, "reason", ""), "being rude");
		json_decref(b);
	}
	answer(&ctx, &c, 0, NULL, NULL);
	answer(&ctx, &c, 1, "M_FORBIDDEN", "The target user is not in the "
	    "room");
	answer(&ctx, &c, 2, NULL, NULL);
	ck_assert_int_eq(c.njobs, 3);	/* kicks are not retried */
	ck_assert_str_eq(c.out, "kick @bob:hs: removed in 2 rooms (the others "
	    "had nothing to change)");
	test_capture_free(&c);

	/* Refusals by the server are listed with their errcode. */
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/ban @bob:hs"), CMD_RETURN_WAIT);
	for (i = 0; i < 3; i++)
		answer(&ctx, &c, i, "M_FORBIDDEN", "You cannot ban user "
		    "@bob:hs.");
	ck_assert_str_eq(c.out, "ban @bob:hs: failed in 3 of 3 rooms: server "
	    "Guild, #alpha, #beta (M_FORBIDDEN: You cannot ban user "
	    "@bob:hs.)");
	test_capture_free(&c);
	world_free();
}
END_TEST

START_TEST(test_audit)
{
	struct cmd_ctx	 ctx;
	struct test_capture	 c = { 0 };
	json_t		*tl;
	int		 n = 100;

	tl = json_array();
	/* Role changes are differences between cached power levels. */
	json_array_append_new(tl, ev("m.room.power_levels", "", ALICE, pl(-1),
	    n++));
	json_array_append_new(tl, ev("m.room.member", BOB, ALICE, json_pack(
	    "{s:s, s:s}", "membership", "leave", "reason", "spam"), n++));
	json_array_append_new(tl, ev("m.room.member", BOB, ALICE, json_pack(
	    "{s:s}", "membership", "ban"), n++));
	json_array_append_new(tl, ev("m.room.power_levels", "", ALICE, pl(50),
	    n++));
	world(0, tl);
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/audit"), CMD_RETURN_NORMAL);
	/* Newest first; the join seen in the state is not in the timeline. */
	ck_assert_ptr_nonnull(strstr(c.out, "@alice:hs changed the role of "
	    "@bob:hs: GUEST (0) -> MODERATOR (50)  [#beta]"));
	ck_assert_ptr_nonnull(strstr(c.out, "@alice:hs banned @bob:hs  "
	    "[#beta]"));
	ck_assert_ptr_nonnull(strstr(c.out, "@alice:hs kicked @bob:hs "
	    "(reason: spam)  [#beta]"));
	ck_assert(strstr(c.out, "changed the role") < strstr(c.out,
	    "banned"));
	ck_assert(strstr(c.out, "banned") < strstr(c.out, "kicked"));
	ck_assert_int_eq(c.errors, 0);
	world_free();
}
END_TEST

/*
 * Many deletions in one room are one line counted in times, not rooms;
 * people show by display name; renames and channel creation are listed.
 */
START_TEST(test_audit_names)
{
	struct cmd_ctx		 ctx;
	struct test_capture	 c = { 0 };
	json_t			*tl, *e;
	char			 id[32];
	int			 n = 100, i;

	tl = json_array();
	json_array_append_new(tl, ev("m.room.member", ALICE, ALICE, json_pack(
	    "{s:s, s:s}", "membership", "join", "displayname", "Alice A"),
	    n++));
	json_array_append_new(tl, ev("m.room.name", "", ALICE, json_pack(
	    "{s:s}", "name", "gamma"), n++));
	for (i = 0; i < 3; i++) {
		e = ev("m.room.message", "", BOB, json_pack("{s:s, s:s}",
		    "msgtype", "m.text", "body", "spam"), n++);
		json_object_del(e, "state_key");
		json_array_append_new(tl, e);
	}
	for (i = 0; i < 3; i++) {
		snprintf(id, sizeof id, "$e%d:hs", n - 3);
		e = ev("m.room.redaction", "", ALICE, json_object(), n++);
		json_object_del(e, "state_key");
		json_object_set_new(e, "redacts", json_string(id));
		json_array_append_new(tl, e);
	}
	world(0, tl);
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/audit"), CMD_RETURN_NORMAL);
	ck_assert_msg(strstr(c.out, "Alice A deleted a message of @bob:hs "
	    "(3 times)  [#gamma]") != NULL, "%s", c.out);
	ck_assert_msg(strstr(c.out, "rooms]") == NULL, "%s", c.out);
	ck_assert_msg(strstr(c.out, "Alice A renamed the channel to #gamma") !=
	    NULL, "%s", c.out);
	ck_assert_int_eq(c.errors, 0);
	world_free();
}
END_TEST

/* What the client was asked (cmd_ui_ops.ask). */
struct asked {
	char	*question;
	char	*yes;
};

static void
record_ask(void *arg, const char *question, const char *yes)
{
	struct asked	*a = arg;

	free(a->question);
	free(a->yes);
	a->question = xstrdup(question);
	a->yes = xstrdup(yes);
}

/* Ingest one more /sync: events into room's timeline. */
static void
more(const char *room, json_t *timeline)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*sync;

	sync = json_pack("{s:s, s:{s:{s:{s:{s:o}}}}}", "next_batch", "s2",
	    "rooms", "join", room, "timeline", "events", timeline);
	memset(&res, 0, sizeof res);
	ck_assert_msg(ingest_sync(st, sync, &res, &err) == 0, "%s",
	    err.msg);
	ingest_result_free(&res);
	json_decref(sync);
}

/*
 * /encrypt asks first (y/n in the client, a typed name elsewhere), then
 * PUTs m.room.encryption with Megolm; the role it needs is the room's
 * level for m.room.encryption; an encrypted room is left alone.
 */
START_TEST(test_encrypt)
{
	static const struct cmd_ui_ops	 ops = { .ask = record_ask };
	struct cmd_ctx		 ctx;
	struct test_capture	 c = { 0 };
	struct asked		 a = { NULL, NULL };
	json_t			*b, *p;
	int			 n = 100;

	world(-1, NULL);

	/* Outside the client: how to confirm, and nothing sent. */
	ctx_init(&ctx, &c);
	ctx.room_id = ALPHA;
	ck_assert_int_eq(cmd_run_line(&ctx, "/encrypt"), CMD_RETURN_ERROR);
	ck_assert_int_eq(c.njobs, 0);
	ck_assert_str_eq(c.out, "encrypt: to confirm, type /encrypt "
	    "!alpha:hs (this turns on end-to-end encryption in #alpha; it "
	    "cannot be turned off again)");

	/* In the client: the question, and what y runs. */
	ctx_init(&ctx, &c);
	ctx.room_id = ALPHA;
	ctx.ui = &ops;
	ctx.ui_arg = &a;
	ck_assert_int_eq(cmd_run_line(&ctx, "/encrypt"), CMD_RETURN_NORMAL);
	ck_assert_int_eq(c.njobs, 0);
	ck_assert_str_eq(a.question, "Encryption cannot be turned off again. "
	    "Encrypt #alpha? (y/n)");
	ck_assert_str_eq(a.yes, "encrypt !alpha:hs");

	/* Another room's name does not confirm this one. */
	ctx_init(&ctx, &c);
	ctx.room_id = ALPHA;
	ck_assert_int_eq(cmd_run_line(&ctx, "/encrypt beta"),
	    CMD_RETURN_ERROR);
	ck_assert_int_eq(c.njobs, 0);
	ck_assert_ptr_nonnull(strstr(c.out, "to confirm, type /encrypt "
	    "!alpha:hs"));

	/* What y runs (or the name) sends the state event. */
	ctx_init(&ctx, &c);
	ctx.room_id = ALPHA;
	ck_assert_int_eq(cmd_run_string(&ctx, a.yes), CMD_RETURN_WAIT);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_str_eq(c.jobs[0]->method, "PUT");
	ck_assert_str_eq(c.jobs[0]->path, "/_matrix/client/v3/rooms/"
	    "%21alpha%3Ahs/state/m.room.encryption/");
	b = json_loads(c.jobs[0]->content, 0, NULL);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(json_object_size(b), 1);
	ck_assert_str_eq(json_get_str(b, "algorithm", ""),
	    "m.megolm.v1.aes-sha2");
	json_decref(b);
	answer(&ctx, &c, 0, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(c.out, "encryption turned on in "
	    "#alpha"));
	ctx_init(&ctx, &c);
	ctx.room_id = ALPHA;
	ck_assert_int_eq(cmd_run_line(&ctx, "/encrypt #alpha"),
	    CMD_RETURN_WAIT);
	ck_assert_int_eq(c.njobs, 1);

	/* A guest may not. */
	test_capture_free(&c);
	test_capture_init(&ctx, &c, BOB);
	test_capture_store(&c, st);
	ctx.room_id = ALPHA;
	ck_assert_int_eq(cmd_run_line(&ctx, "/encrypt alpha"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "encrypt needs MODERATOR (50); you are GUEST "
	    "(0)");
	ck_assert_int_eq(c.njobs, 0);

	/* The room's level for m.room.encryption decides (Synapse: 100). */
	p = pl(50);
	json_object_set_new(json_object_get(p, "events"),
	    "m.room.encryption", json_integer(100));
	more(BETA, json_pack("[o]", ev("m.room.power_levels", "", ALICE, p,
	    n++)));
	test_capture_free(&c);
	test_capture_init(&ctx, &c, BOB);
	test_capture_store(&c, st);
	ctx.room_id = BETA;
	ck_assert_int_eq(cmd_run_line(&ctx, "/encrypt beta"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "encrypt needs ADMIN (100); you are MODERATOR "
	    "(50)");
	ck_assert_int_eq(c.njobs, 0);

	/* Already encrypted: said, nothing asked or sent. */
	more(ALPHA, json_pack("[o]", ev("m.room.encryption", "", ALICE,
	    json_pack("{s:s}", "algorithm", "m.megolm.v1.aes-sha2"), n++)));
	ctx_init(&ctx, &c);
	ctx.room_id = ALPHA;
	ctx.ui = &ops;
	ctx.ui_arg = &a;
	free(a.question);
	a.question = NULL;
	ck_assert_int_eq(cmd_run_line(&ctx, "/encrypt alpha"),
	    CMD_RETURN_NORMAL);
	ck_assert_str_eq(c.out, "#alpha is already encrypted");
	ck_assert_ptr_null(a.question);
	ck_assert_int_eq(c.njobs, 0);
	test_capture_free(&c);
	free(a.question);
	free(a.yes);
	world_free();
}
END_TEST

/* /dm makes an encrypted room: m.room.encryption in initial_state. */
START_TEST(test_dm_encrypted)
{
	struct cmd_ctx		 ctx;
	struct test_capture	 c = { 0 };
	struct net_result	 r;
	struct haos_error	 e;
	json_t			*b, *is;

	world(-1, NULL);
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/dm @carol:hs"),
	    CMD_RETURN_WAIT);
	ck_assert_int_eq(c.njobs, 1);	/* m.direct from the server */
	memset(&r, 0, sizeof r);
	r.tag = c.jobs[0]->tag;
	haos_error_matrix(&e, 404, "M_NOT_FOUND", "no m.direct");
	r.err = &e;
	ck_assert_int_eq(cmd_result(&ctx, &r), 0);
	ck_assert_int_eq(c.njobs, 2);
	ck_assert_str_eq(c.jobs[1]->path, "/_matrix/client/v3/createRoom");
	b = json_loads(c.jobs[1]->content, 0, NULL);
	ck_assert_ptr_nonnull(b);
	ck_assert(json_is_true(json_object_get(b, "is_direct")));
	ck_assert_str_eq(json_get_str(b, "preset", ""),
	    "trusted_private_chat");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(b,
	    "invite"), 0)), "@carol:hs");
	is = json_object_get(b, "initial_state");
	ck_assert_uint_eq(json_array_size(is), 1);
	ck_assert_str_eq(json_get_str(json_array_get(is, 0), "type", ""),
	    "m.room.encryption");
	ck_assert_str_eq(json_get_str(json_array_get(is, 0), "state_key",
	    "-"), "");
	ck_assert_str_eq(json_get_str(json_get_obj(json_array_get(is, 0),
	    "content"), "algorithm", ""), "m.megolm.v1.aes-sha2");
	ck_assert_uint_eq(json_object_size(b), 4);
	json_decref(b);
	test_capture_free(&c);
	world_free();
}
END_TEST

Suite *
suite_moderation(void)
{
	Suite	*s = suite_create("moderation");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_role_cascade_retry);
	tcase_add_test(tc, test_role_self_member_role);
	tcase_add_test(tc, test_doctor);
	tcase_add_test(tc, test_kick);
	tcase_add_test(tc, test_audit);
	tcase_add_test(tc, test_audit_names);
	tcase_add_test(tc, test_encrypt);
	tcase_add_test(tc, test_dm_encrypted);
	suite_add_tcase(s, tc);
	return s;
}
