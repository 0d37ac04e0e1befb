/* Commands: table order, lookup, parsing, sending, invites, results. */
#include "check_haos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "haos/client.h"
#include "haos/cmd.h"
#include "haos/matrix.h"
#include "haos/config.h"
#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/net.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

static void
ctx_init(struct cmd_ctx *ctx, struct test_capture *c)
{
	test_capture_free(c);
	test_capture_init(ctx, c, "@alice:haos.test");
}

/* Check one (sub)command table: sorted, complete, flags described. */
static void
check_table(const struct cmd_entry *const *tab, size_t n)
{
	const struct cmd_entry	*ce;
	const struct cmd_flag	*f;
	const char		*t;
	char			*u, *t2;
	size_t			 i, j;

	for (i = 1; i < n; i++)
		ck_assert_msg(strcmp(tab[i - 1]->name, tab[i]->name) < 0,
		    "%s before %s", tab[i - 1]->name, tab[i]->name);
	for (i = 0; i < n; i++) {
		ce = tab[i];
		ck_assert_ptr_nonnull(ce->usage);
		ck_assert_ptr_nonnull(ce->help);
		/* A command runs, or has subcommands that do. */
		ck_assert_msg((ce->exec != NULL) != (ce->nsub > 0), "%s",
		    ce->name);
		ck_assert_int_le(ce->args.min, ce->args.max == -1 ? 99 :
		    ce->args.max);
		/* An alias never shadows another command's name. */
		for (j = 0; j < n; j++) {
			if (ce->alias != NULL)
				ck_assert_str_ne(ce->alias, tab[j]->name);
		}
		/* Every template letter is described, and only those. */
		for (t = ce->template; t != NULL && *t != '\0'; t++) {
			if (*t == ':')
				continue;
			f = cmd_flag_find(ce, *t);
			ck_assert_msg(f != NULL, "%s: -%c", ce->name, *t);
			ck_assert_int_eq(f->value != NULL, t[1] == ':');
		}
		for (f = ce->flagv; f != NULL && f->letter != 0; f++)
			ck_assert_ptr_nonnull(strchr(ce->template, f->letter));
		if (ce->nsub > 0) {
			/* The usage names the subcommands: "a|b|c ...". */
			u = NULL;
			for (j = 0; j < ce->nsub; j++) {
				t2 = xasprintf("%s%s%s", u != NULL ? u : "",
				    u != NULL ? "|" : "", ce->sub[j]->name);
				free(u);
				u = t2;
			}
			t2 = xasprintf("%s ...", u);
			ck_assert_str_eq(ce->usage, t2);
			free(t2);
			free(u);
			check_table(ce->sub, ce->nsub);
		}
	}
}

START_TEST(test_table_sorted)
{
	size_t	 i;

	check_table(cmd_table, cmd_table_size);
	for (i = 1; i < cmd_emoji_table_size; i++)
		ck_assert_msg(strcmp(cmd_emoji_table[i - 1].name,
		    cmd_emoji_table[i].name) < 0, "emoji %s before %s",
		    cmd_emoji_table[i - 1].name, cmd_emoji_table[i].name);
}
END_TEST

START_TEST(test_find)
{
	const struct cmd_entry	*ce;
	char			*cause;

	ce = cmd_find("quit", &cause);
	ck_assert_ptr_nonnull(ce);
	ck_assert_str_eq(ce->name, "quit");
	ck_assert_str_eq(cmd_find("q", &cause)->name, "quit");
	ck_assert_str_eq(cmd_find("switch", &cause)->name, "goto");
	ck_assert_str_eq(cmd_find("?", &cause)->name, "help");
	ck_assert_str_eq(cmd_find("acc", &cause)->name, "accept");
	ck_assert_str_eq(cmd_find("dec", &cause)->name, "decline");
	/* An exact name wins over being a prefix of another. */
	ck_assert_str_eq(cmd_find("me", &cause)->name, "me");
	ck_assert_str_eq(cmd_find("mes", &cause)->name, "message");

	ck_assert_ptr_null(cmd_find("se", &cause));
	ck_assert_str_eq(cause, "ambiguous command: se, could be: "
	    "select-channel, select-message, select-server, send, server");
	free(cause);
	ck_assert_ptr_null(cmd_find("m", &cause));
	ck_assert_str_eq(cause, "ambiguous command: m, could be: "
	    "mark-read, me, members, message");
	free(cause);
	ck_assert_ptr_null(cmd_find("frobnicate", &cause));
	ck_assert_str_eq(cause, "unknown command: frobnicate");
	free(cause);
	ck_assert_ptr_null(cmd_find("", &cause));
	free(cause);
}
END_TEST

START_TEST(test_split)
{
	struct cmd_args	 a;
	char		*cause;

	ck_assert_int_eq(cmd_split("  one \"two three\" 'f\"our' a\\ b ",
	    &a, &cause), 0);
	ck_assert_int_eq(a.argc, 4);
	ck_assert_str_eq(a.argv[0], "one");
	ck_assert_str_eq(a.argv[1], "two three");
	ck_assert_str_eq(a.argv[2], "f\"our");
	ck_assert_str_eq(a.argv[3], "a b");
	cmd_args_free(&a);
	ck_assert_int_eq(cmd_split("bad \"quote", &a, &cause), -1);
	ck_assert_str_eq(cause, "unterminated quote");
	free(cause);
	ck_assert_int_eq(cmd_split("", &a, &cause), 0);
	ck_assert_int_eq(a.argc, 0);
}
END_TEST

/* The JSON content of the idx-th submitted JOB_SEND. */
static json_t *
sent_content(struct test_capture *c, int idx)
{
	ck_assert_int_gt(c->njobs, idx);
	ck_assert_int_eq(c->jobs[idx]->type, JOB_SEND);
	ck_assert_str_eq(c->jobs[idx]->event_type, "m.room.message");
	return json_loads(c->jobs[idx]->content, 0, NULL);
}

START_TEST(test_send_lines)
{
	struct cmd_ctx	 ctx;
	struct test_capture	 c = { 0 };
	json_t		*j;

	ctx_init(&ctx, &c);
	ctx.room_id = "!room:haos.test";
	ck_assert_int_eq(cmd_run_line(&ctx, "hello  world"),
	    CMD_RETURN_NORMAL);
	ck_assert_int_eq(cmd_run_line(&ctx, "//not a command"),
	    CMD_RETURN_NORMAL);
	ck_assert_int_eq(cmd_run_line(&ctx, "/me waves"), CMD_RETURN_NORMAL);
	ck_assert_int_eq(cmd_run_line(&ctx, "line one\nline two\n"),
	    CMD_RETURN_NORMAL);
	ck_assert_int_eq(cmd_run_line(&ctx, "ship it :thumbsup: :nope:"),
	    CMD_RETURN_NORMAL);
	ck_assert_int_eq(cmd_run_line(&ctx, "   "), CMD_RETURN_NORMAL);
	ck_assert_int_eq(c.njobs, 5);
	ck_assert_int_eq(c.errors, 0);
	ck_assert_str_eq(c.jobs[0]->room_id, "!room:haos.test");

	j = sent_content(&c, 0);
	ck_assert_str_eq(json_get_str(j, "msgtype", ""), "m.text");
	ck_assert_str_eq(json_get_str(j, "body", ""), "hello  world");
	json_decref(j);
	j = sent_content(&c, 1);
	ck_assert_str_eq(json_get_str(j, "body", ""), "/not a command");
	json_decref(j);
	j = sent_content(&c, 2);
	ck_assert_str_eq(json_get_str(j, "msgtype", ""), "m.emote");
	ck_assert_str_eq(json_get_str(j, "body", ""), "waves");
	json_decref(j);
	/* A pasted block is one message; a trailing newline is dropped. */
	j = sent_content(&c, 3);
	ck_assert_str_eq(json_get_str(j, "body", ""), "line one\nline two");
	json_decref(j);
	j = sent_content(&c, 4);
	ck_assert_str_eq(json_get_str(j, "body", ""),
	    "ship it \xf0\x9f\x91\x8d :nope:");
	json_decref(j);
	test_capture_free(&c);
}
END_TEST

START_TEST(test_errors)
{
	struct cmd_ctx	 ctx;
	struct test_capture	 c = { 0 };

	ctx_init(&ctx, &c);
	/* No room selected: nothing is sent. */
	ck_assert_int_eq(cmd_run_line(&ctx, "hello"), CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "send needs a channel: give --channel "
	    "NAME|ID");
	ck_assert_int_eq(c.njobs, 0);

	/* Below the command's role: refused before anything is sent. */
	ctx_init(&ctx, &c);
	ctx.server_id = "!space:haos.test";
	ck_assert_int_eq(cmd_run_line(&ctx, "/kick @bob:haos.test spam"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "kick needs MODERATOR (50); you are GUEST (0)");
	ctx_init(&ctx, &c);
	ctx.server_id = "!space:haos.test";
	ck_assert_int_eq(cmd_run_line(&ctx, "/role @bob:haos.test admin"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "role needs ADMIN (100); you are GUEST (0)");
	ck_assert_int_eq(c.njobs, 0);
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/ban @bob:haos.test"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "ban needs a server: give --server NAME|ID");

	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/frob x"), CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "unknown command: frob");

	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/se x"), CMD_RETURN_ERROR);
	ck_assert_ptr_nonnull(strstr(c.out, "ambiguous command: se"));

	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/quit now"), CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "usage: /quit ");

	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/toggle"), CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "usage: /toggle rail|members");

	/* Client-only commands refuse outside the client (haos run). */
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/goto general"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "goto: only in the interactive client");

	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/q"), CMD_RETURN_QUIT);
	ck_assert_int_eq(cmd_run_string(&ctx, "quit"), CMD_RETURN_QUIT);
	ck_assert_int_eq(c.errors, 0);
}
END_TEST

START_TEST(test_help)
{
	struct cmd_ctx	 ctx;
	struct test_capture	 c = { 0 };
	char		**l;
	size_t		 n, i;

	n = cmd_help_lines(NULL, &l);
	ck_assert_uint_eq(n, cmd_table_size);
	ck_assert_ptr_nonnull(strstr(l[0], "/accept"));
	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/help q"), CMD_RETURN_NORMAL);
	ck_assert_str_eq(c.out, "/quit (/q)  Leave haos; unsent messages "
	    "are sent next time");
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/help"), CMD_RETURN_NORMAL);
	ck_assert_ptr_nonnull(strstr(c.out, "/goto #channel|server"));
	ck_assert_ptr_nonnull(strstr(c.out, "/send text"));
}
END_TEST

START_TEST(test_escape)
{
	char	*e;

	e = matrix_escape("!abc:haos.test");
	ck_assert_str_eq(e, "%21abc%3Ahaos.test");
	free(e);
	e = matrix_escape("a b/c");
	ck_assert_str_eq(e, "a%20b%2Fc");
	free(e);
}
END_TEST

/* A temporary store with one invite and one joined room. */
static struct store *
invite_store(char **dir)
{
	struct haos_error	 err;
	struct store_room_patch	 p;
	struct store		*s;
	char			*path;
	int64_t			 k;
	int			 isnew;

	*dir = test_tmpdir();
	path = xasprintf("%s/store.sqlite3", *dir);
	s = store_open(path, STORE_RW, &err);
	free(path);
	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_int_eq(store_begin(s, &err), 0);
	memset(&p, 0, sizeof p);
	p.set = STORE_ROOM_JOIN | STORE_ROOM_NAME;
	p.join = ROOM_INVITE;
	p.name = "Planning";
	k = store_room_key(s, "!inv:haos.test", &isnew, &err);
	ck_assert_int_ne(k, -1);
	ck_assert_int_eq(store_room_patch(s, k, &p, &err), 0);
	p.join = ROOM_JOIN;
	p.name = "general";
	k = store_room_key(s, "!gen:haos.test", &isnew, &err);
	ck_assert_int_eq(store_room_patch(s, k, &p, &err), 0);
	ck_assert_int_eq(store_commit(s, &err), 0);
	return s;
}

/* /verify: refused by haos run, a JOB_VERIFY in the client. */
START_TEST(test_verify)
{
	static const struct cmd_ui_ops	 ops;
	struct cmd_ctx			 ctx;
	struct test_capture		 c = { 0 };

	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/verify @bob:haos.test BOBDEV"),
	    CMD_RETURN_ERROR);
	ck_assert_ptr_nonnull(strstr(c.out, "haos run cannot verify"));
	ck_assert_int_eq(c.njobs, 0);

	ctx_init(&ctx, &c);
	ctx.ui = &ops;
	ck_assert_int_eq(cmd_run_line(&ctx, "/verify @bob:haos.test BOBDEV"),
	    CMD_RETURN_NORMAL);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_int_eq(c.jobs[0]->type, JOB_VERIFY);
	ck_assert_str_eq(c.jobs[0]->method, "request");
	ck_assert_str_eq(c.jobs[0]->user_id, "@bob:haos.test");
	ck_assert_str_eq(c.jobs[0]->device_id, "BOBDEV");
	ck_assert_ptr_null(c.jobs[0]->room_id);

	/* Another user without a device: only in a DM with them. */
	ctx_init(&ctx, &c);
	ctx.ui = &ops;
	ck_assert_int_eq(cmd_run_line(&ctx, "/verify @bob:haos.test"),
	    CMD_RETURN_ERROR);
	ck_assert_ptr_nonnull(strstr(c.out, "no direct conversation"));
	ck_assert_int_eq(c.njobs, 0);
	ck_assert_int_eq(cmd_run_line(&ctx, "/verify bob"), CMD_RETURN_ERROR);
	ck_assert_int_eq(c.njobs, 0);

	/* Ourselves: all our other devices. */
	ctx_init(&ctx, &c);
	ctx.ui = &ops;
	ck_assert_int_eq(cmd_run_line(&ctx, "/verify @alice:haos.test"),
	    CMD_RETURN_NORMAL);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_ptr_null(c.jobs[0]->device_id);
	ck_assert_ptr_null(c.jobs[0]->room_id);
	test_capture_free(&c);
	cmd_ctx_clear(&ctx);
}
END_TEST

START_TEST(test_accept_decline)
{
	struct cmd_ctx		 ctx;
	struct test_capture		 c = { 0 };
	struct net_result	 r;
	struct haos_error	 e;
	struct store		*s;
	char			*dir;

	s = invite_store(&dir);
	ctx_init(&ctx, &c);
	test_capture_store(&c, s);

	/* Not an invite: refused locally, nothing submitted. */
	ck_assert_int_eq(cmd_run_line(&ctx, "/accept general"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "accept: no pending invite to general");
	ck_assert_int_eq(c.njobs, 0);
	ck_assert_int_eq(cmd_run_line(&ctx, "/accept nowhere"),
	    CMD_RETURN_ERROR);

	/* Names may be quoted, padded, and contain spaces. */
	ctx_init(&ctx, &c);
	test_capture_store(&c, s);
	ck_assert_int_eq(cmd_run_line(&ctx, "/decline  \"Planning\" "),
	    CMD_RETURN_WAIT);
	ck_assert_int_eq(c.njobs, 1);
	test_capture_free(&c);
	cmd_ctx_clear(&ctx);

	ctx_init(&ctx, &c);
	test_capture_store(&c, s);
	ck_assert_int_eq(cmd_run_line(&ctx, "/accept planning"),
	    CMD_RETURN_WAIT);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_int_eq(c.jobs[0]->type, JOB_REQUEST);
	ck_assert_str_eq(c.jobs[0]->method, "POST");
	ck_assert_str_eq(c.jobs[0]->path,
	    "/_matrix/client/v3/join/%21inv%3Ahaos.test");
	memset(&r, 0, sizeof r);
	r.tag = c.jobs[0]->tag;
	r.ok = 1;
	ck_assert_int_eq(cmd_result(&ctx, &r), 0);
	ck_assert_str_eq(c.out, "joining Planning...\njoined Planning");
	/* The answer is routed once. */
	ck_assert_int_eq(cmd_result(&ctx, &r), -1);
	test_capture_free(&c);

	/* The selected room is the default; a failure is reported. */
	ctx_init(&ctx, &c);
	test_capture_store(&c, s);
	ctx.room_id = "!inv:haos.test";
	ck_assert_int_eq(cmd_run_line(&ctx, "/decline"), CMD_RETURN_WAIT);
	ck_assert_str_eq(c.jobs[0]->path,
	    "/_matrix/client/v3/rooms/%21inv%3Ahaos.test/leave");
	memset(&r, 0, sizeof r);
	haos_error_set(&e, HAOS_EMATRIX, "M_FORBIDDEN: no");
	r.tag = c.jobs[0]->tag;
	r.err = &e;
	ck_assert_int_eq(cmd_result(&ctx, &r), 0);
	ck_assert_str_eq(c.out, "cannot decline Planning: M_FORBIDDEN: no");
	ck_assert_int_eq(c.errors, 1);
	test_capture_free(&c);

	/* Sending into an invite is refused. */
	ctx_init(&ctx, &c);
	test_capture_store(&c, s);
	ctx.room_id = "!inv:haos.test";
	ck_assert_int_eq(cmd_run_line(&ctx, "hi"), CMD_RETURN_ERROR);
	ck_assert_int_eq(c.njobs, 0);
	cmd_ctx_clear(&ctx);
	store_close(s);
	test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_subcommands)
{
	struct cmd_ctx		 ctx;
	struct test_capture	 c = { 0 };

	/* Alone: the usage of every subcommand, as before. */
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/server"), CMD_RETURN_ERROR);
	ck_assert_ptr_nonnull(strstr(c.out, "usage: /server create NAME "
	    "[--icon PATH] | delete [NAME] | doctor | icon PATH | "));
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/server d"), CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "ambiguous command: server d, could be: "
	    "delete, doctor");
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/channel frob"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "unknown command: channel frob");

	/* Arguments and flags are checked from the sub-entry. */
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/server cr"), CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "usage: /server create NAME [--icon PATH]");
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/server create A --bogus"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "server create: unknown flag --bogus; usage: "
	    "/server create NAME [--icon PATH]");
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/server create A --icon"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "server create: --icon needs a value; usage: "
	    "/server create NAME [--icon PATH]");
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/server invite now"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "usage: /server invite [--regenerate]");
	ctx_init(&ctx, &c);
	ctx.server_id = "!space:haos.test";
	ck_assert_int_eq(cmd_run_line(&ctx, "/server publish maybe"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "usage: /server publish on|off");
	ctx_init(&ctx, &c);
	ctx.server_id = "!space:haos.test";
	ck_assert_int_eq(cmd_run_line(&ctx, "/channel create x smell"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "usage: /channel create NAME "
	    "[text|audio|video]");

	/* The flag's value reaches the command, long or short. */
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/server create A --icon "
	    "/nonexistent/icon.png"), CMD_RETURN_ERROR);
	ck_assert_ptr_nonnull(strstr(c.out, "/nonexistent/icon.png"));
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/server create A -i "
	    "/nonexistent/x.png"), CMD_RETURN_ERROR);
	ck_assert_ptr_nonnull(strstr(c.out, "/nonexistent/x.png"));
	ck_assert_int_eq(c.njobs, 0);
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/server create Acme Corp"),
	    CMD_RETURN_WAIT);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_str_eq(c.jobs[0]->path, "/_matrix/client/v3/createRoom");
	ck_assert_ptr_nonnull(strstr(c.jobs[0]->content, "\"Acme Corp\""));
	test_capture_free(&c);
	cmd_ctx_clear(&ctx);

	/* Target and role from the sub-entry, named "server rename". */
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/server rename X"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "server rename needs a server: give --server "
	    "NAME|ID");
	ctx_init(&ctx, &c);
	ctx.server_id = "!space:haos.test";
	ck_assert_int_eq(cmd_run_line(&ctx, "/server rename X"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "server rename needs MODERATOR (50); you are "
	    "GUEST (0)");
	ctx_init(&ctx, &c);
	ctx.server_id = "!space:haos.test";
	ctx.room_id = "!space:haos.test";
	ck_assert_int_eq(cmd_run_line(&ctx, "/channel rename x"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "channel rename needs a channel: give "
	    "--channel NAME|ID");
	ctx_init(&ctx, &c);
	ctx.room_id = "!general:haos.test";
	ck_assert_int_eq(cmd_run_line(&ctx, "/channel move up"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "channel move needs a server: give --server "
	    "NAME|ID");
	ctx_init(&ctx, &c);
	ctx.server_id = "!space:haos.test";
	ctx.room_id = "!general:haos.test";
	ck_assert_int_eq(cmd_run_line(&ctx, "/channel delete general"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "channel delete needs MODERATOR (50); you are "
	    "GUEST (0)");
	ctx_init(&ctx, &c);
	ctx.server_id = "!space:haos.test";
	ck_assert_int_eq(cmd_run_line(&ctx, "/server doctor"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "server doctor needs ADMIN (100); you are "
	    "GUEST (0)");
	ck_assert_int_eq(c.njobs, 0);
}
END_TEST

START_TEST(test_help_sub)
{
	struct cmd_ctx		 ctx;
	struct test_capture	 c = { 0 };

	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/help server"),
	    CMD_RETURN_NORMAL);
	ck_assert_ptr_nonnull(strstr(c.out, "/server create NAME [--icon "
	    "PATH]  Create a server"));
	ck_assert_ptr_nonnull(strstr(c.out, "/server doctor  Find and repair "
	    "channels whose power levels differ from the server's (ADMIN)"));
	ck_assert_ptr_nonnull(strstr(c.out, "/server rename NAME  Rename the "
	    "server (MODERATOR)"));
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/help server create"),
	    CMD_RETURN_NORMAL);
	ck_assert_str_eq(c.out, "/server create NAME [--icon PATH]  Create a "
	    "server (a space) with a #general channel\n"
	    "  -i PATH, --icon PATH  upload PATH as the server's icon");
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/help server frob"),
	    CMD_RETURN_ERROR);
	ck_assert_str_eq(c.out, "help: unknown command: server frob");
	ctx_init(&ctx, &c);
	ck_assert_int_eq(cmd_run_line(&ctx, "/help"), CMD_RETURN_NORMAL);
	ck_assert_ptr_nonnull(strstr(c.out, "/server create|delete|doctor|"));
	ck_assert_ptr_nonnull(strstr(c.out, "(MODERATOR)"));
}
END_TEST

/* Complete line at its end; the candidates joined by spaces. */
static char *
complete(struct cmd_ctx *ctx, const char *line, size_t *start)
{
	char	**v, *out, *t;
	size_t	 n, i, ws;

	n = cmd_complete(ctx, line, strlen(line), &v, &ws);
	out = xstrdup("");
	for (i = 0; i < n; i++) {
		t = xasprintf("%s%s%s", out, i > 0 ? " " : "", v[i]);
		free(out);
		out = t;
		free(v[i]);
	}
	free(v);
	if (start != NULL)
		*start = ws;
	return out;
}

#define CK_COMPLETE(ctx, line, want) do {				\
	char	*got_ = complete((ctx), (line), NULL);			\
	ck_assert_str_eq(got_, (want));					\
	free(got_);							\
} while (0)

START_TEST(test_complete)
{
	struct cmd_ctx		 ctx;
	struct test_capture	 c = { 0 };
	struct ingest_result	 res;
	struct haos_error	 err;
	struct store		*s;
	json_t			*sync;
	char			*dir, *path, *line, *got;
	size_t			 ws;
	FILE			*f;

	ctx_init(&ctx, &c);
	/* Commands, subcommands, flags, choices. */
	CK_COMPLETE(&ctx, "/serv", "/server");
	CK_COMPLETE(&ctx, "/se", "/select-channel /select-message "
	    "/select-server /send /server");
	CK_COMPLETE(&ctx, "/server d", "delete doctor");
	CK_COMPLETE(&ctx, "/server ", "create delete doctor icon invite "
	    "leave publish rename");
	CK_COMPLETE(&ctx, "/channel c", "create");
	CK_COMPLETE(&ctx, "/server create Acme --", "--icon");
	CK_COMPLETE(&ctx, "/server invite -", "--regenerate");
	CK_COMPLETE(&ctx, "/server publish o", "on off");
	CK_COMPLETE(&ctx, "/channel create x ", "text audio video");
	CK_COMPLETE(&ctx, "/help ser", "server");
	CK_COMPLETE(&ctx, "/help server c", "create");
	CK_COMPLETE(&ctx, "/frob x", "");
	got = complete(&ctx, "/server create Acme --ic", &ws);
	ck_assert_str_eq(got, "--icon");
	ck_assert_uint_eq(ws, 20);
	free(got);

	/* A file path in a directory, for --icon and for icon. */
	dir = test_tmpdir();
	path = xasprintf("%s/icon.png", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	free(path);
	path = xasprintf("%s/icons", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	free(path);
	line = xasprintf("/server create Acme --icon %s/ic", dir);
	got = complete(&ctx, line, &ws);
	free(line);
	line = xasprintf("%s/icon.png %s/icons/", dir, dir);
	ck_assert_str_eq(got, line);
	ck_assert_uint_eq(ws, 27);
	free(got);
	free(line);
	line = xasprintf("/server icon %s/icon.", dir);
	got = complete(&ctx, line, NULL);
	free(line);
	line = xasprintf("%s/icon.png", dir);
	ck_assert_str_eq(got, line);
	free(got);
	free(line);
	test_rmtree(dir);
	free(dir);

	/* User ids of the room's members, from the store. */
	dir = test_tmpdir();
	path = xasprintf("%s/cache.db", dir);
	s = store_open(path, STORE_RW, &err);
	free(path);
	ck_assert_ptr_nonnull(s);
	sync = json_loads("{\"next_batch\": \"s1\", \"rooms\": {\"join\": "
	    "{\"!r:hs\": {\"state\": {\"events\": ["
	    "{\"type\": \"m.room.create\", \"state_key\": \"\", \"sender\": "
	    "\"@alice:hs\", \"content\": {}, \"event_id\": \"$1\", "
	    "\"origin_server_ts\": 1},"
	    "{\"type\": \"m.room.member\", \"state_key\": \"@alice:hs\", "
	    "\"sender\": \"@alice:hs\", \"content\": {\"membership\": "
	    "\"join\"}, \"event_id\": \"$2\", \"origin_server_ts\": 2},"
	    "{\"type\": \"m.room.member\", \"state_key\": \"@bob:hs\", "
	    "\"sender\": \"@bob:hs\", \"content\": {\"membership\": "
	    "\"join\", \"displayname\": \"Bobby\"}, \"event_id\": \"$3\", "
	    "\"origin_server_ts\": 3}]}}}}}", 0, NULL);
	ck_assert_ptr_nonnull(sync);
	memset(&res, 0, sizeof res);
	ck_assert_msg(ingest_sync(s, sync, &res, &err) == 0, "%s", err.msg);
	ingest_result_free(&res);
	json_decref(sync);
	ctx.store = s;
	ctx.room_id = "!r:hs";
	/* /kick takes a user id: display names are not offered. */
	CK_COMPLETE(&ctx, "/kick @b", "@bob:hs");
	CK_COMPLETE(&ctx, "/dm @b", "@bob:hs");
	CK_COMPLETE(&ctx, "/avatar /nonexistent-dir/", "");
	CK_COMPLETE(&ctx, "hello @al", "@alice:hs");
	CK_COMPLETE(&ctx, "ship it :thumbsu", ":thumbsup:");
	store_close(s);
	test_rmtree(dir);
	free(dir);
}
END_TEST

/*
 * The man page's COMMANDS section has one .It Ic item per command and
 * subcommand of the table, with each long flag as Fl on its line, and
 * nothing else.
 */
START_TEST(test_man)
{
	char	**doc, **man = NULL, *page, *sec, *end, *line, *nl, *tok;
	char	*name, *t, *save, *prev;
	size_t	 ndoc, nman = 0, i, j;
	int	 found, macro;

	page = getenv("HAOS_MAN") != NULL ? xstrdup(getenv("HAOS_MAN")) :
	    test_fixture("../../man/haos.1");
	line = test_read_file(page);
	ck_assert_msg(line != NULL, "cannot read %s", page);
	free(page);
	page = line;
	sec = strstr(page, "\n.Sh COMMANDS\n");
	ck_assert_ptr_nonnull(sec);
	end = strstr(sec + 1, "\n.Sh ");
	if (end != NULL)
		*end = '\0';
	for (line = sec + 1; line != NULL; line = nl) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		if (strncmp(line, ".It Ic /", 8) != 0)
			continue;
		/* The words before the first macro name the command. */
		name = NULL;
		prev = NULL;
		macro = 0;
		save = NULL;
		for (tok = strtok_r(line + 7, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save)) {
			if (strlen(tok) == 2 && tok[0] >= 'A' &&
			    tok[0] <= 'Z' && tok[1] >= 'a' && tok[1] <= 'z')
				macro = 1;
			if (!macro) {
				t = xasprintf("%s%s%s", name != NULL ? name :
				    "", name != NULL ? " " : "", tok);
				free(name);
				name = t;
			} else if (prev != NULL && strcmp(prev, "Fl") == 0 &&
			    tok[0] == '-' && tok[1] != '\0') {
				man = xrealloc(man, (nman + 1) * sizeof *man);
				man[nman++] = xasprintf("%s -%s", name, tok);
			}
			prev = tok;
		}
		for (found = 0, j = 0; j < nman && !found; j++)
			found = strcmp(man[j], name) == 0;
		if (!found) {
			man = xrealloc(man, (nman + 1) * sizeof *man);
			man[nman++] = name;
		} else
			free(name);
	}
	free(page);
	ndoc = cmd_doc_lines(&doc);
	for (i = 0; i < ndoc; i++) {
		for (found = 0, j = 0; j < nman && !found; j++)
			found = strcmp(doc[i], man[j]) == 0;
		ck_assert_msg(found, "%s is not in the man page", doc[i]);
	}
	for (j = 0; j < nman; j++) {
		for (found = 0, i = 0; i < ndoc && !found; i++)
			found = strcmp(doc[i], man[j]) == 0;
		ck_assert_msg(found, "the man page has %s, the table not",
		    man[j]);
	}
	cmd_strings_free(doc, ndoc);
	cmd_strings_free(man, nman);
}
END_TEST

/* [ui], [theme] and free-form [keys] sections parse into the config. */
START_TEST(test_config_ui_keys)
{
	static const char	*ini = "[ui]\nmouse = yes\nseconds = yes\n"
	    "[theme]\naccent = #ff8800\nsenders = red, 33\n"
	    "[keys]\nC-g = switcher\nselect/c = message copy\nF5 =\n";
	static const char	*bad = "[theme]\naccent = plaid\n";
	static const char	*dup = "[keys]\nC-g = quit\nC-g = help\n";
	struct config		 cfg;
	struct haos_error	 err;
	FILE			*f;

	config_init(&cfg);
	ck_assert_str_eq(cfg.ui_mouse, "no");
	ck_assert_str_eq(cfg.theme_accent, "cyan");
	f = fmemopen((void *)ini, strlen(ini), "r");
	ck_assert_int_eq(config_load_stream(&cfg, f, "t.ini", &err), 0);
	fclose(f);
	ck_assert_str_eq(cfg.ui_mouse, "yes");
	ck_assert_str_eq(cfg.ui_seconds, "yes");
	ck_assert_str_eq(cfg.theme_accent, "#ff8800");
	ck_assert_int_eq(cfg.nbindings, 3);
	ck_assert_str_eq(cfg.bindings[0].key, "C-g");
	ck_assert_str_eq(cfg.bindings[0].command, "switcher");
	ck_assert_str_eq(cfg.bindings[1].key, "select/c");
	ck_assert_str_eq(cfg.bindings[1].command, "message copy");
	ck_assert_str_eq(cfg.bindings[2].command, "");
	ck_assert_int_eq(cfg.bindings[2].line, 10);
	config_free(&cfg);

	config_init(&cfg);
	f = fmemopen((void *)bad, strlen(bad), "r");
	ck_assert_int_eq(config_load_stream(&cfg, f, "t.ini", &err), -1);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(err.msg, "t.ini:2: accent: not a "
	    "colour"));
	config_free(&cfg);

	config_init(&cfg);
	f = fmemopen((void *)dup, strlen(dup), "r");
	ck_assert_int_eq(config_load_stream(&cfg, f, "t.ini", &err), -1);
	fclose(f);
	ck_assert_str_eq(err.msg, "t.ini:3: duplicate key \"C-g\" in [keys]");
	config_free(&cfg);

	ck_assert(config_valid_color("bright-blue"));
	ck_assert(config_valid_color("255"));
	ck_assert(!config_valid_color("256"));
	ck_assert(!config_valid_color("#12345"));
	ck_assert(config_valid_color("default"));
}
END_TEST

Suite *
suite_cmd(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("cmd");
	tc = tcase_create("core");
	tcase_add_test(tc, test_table_sorted);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_split);
	tcase_add_test(tc, test_send_lines);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_help);
	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_accept_decline);
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_config_ui_keys);
	tcase_add_test(tc, test_subcommands);
	tcase_add_test(tc, test_help_sub);
	tcase_add_test(tc, test_complete);
	suite_add_tcase(s, tc);
	/* check-docs.sh runs this case alone (CK_RUN_CASE=man). */
	tc = tcase_create("man");
	tcase_add_test(tc, test_man);
	suite_add_tcase(s, tc);
	return s;
}
