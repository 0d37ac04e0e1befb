/* Conversation features: relation JSON, fallbacks, threads, edits. */
#include "check_haos.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/model.h"
#include "haos/cmd.h"
#include "haos/net.h"
#include "haos/relation.h"
#include "haos/render.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define T0	((int64_t)1795428000 * 1000)
#define ROOM	"!conv:haos.test"
#define ALICE	"@alice:haos.test"
#define BOB	"@bob:haos.test"
#define CAROL	"@carol:haos.test"

/* Compare built JSON text with the expected shape, key order aside. */
static void
same_json(const char *got, const char *want)
{
	json_t	*g, *w;

	g = json_loads(got, 0, NULL);
	w = json_loads(want, 0, NULL);
	ck_assert_msg(g != NULL, "not JSON: %s", got);
	ck_assert_ptr_nonnull(w);
	ck_assert_msg(json_equal(g, w), "got %s\nwant %s", got, want);
	json_decref(g);
	json_decref(w);
}

/* What the send path makes of a message, with no store (no mentions). */
static char *
shape(enum client_rel rel, const char *target, const char *latest,
    const char *reply_to, const char *msgtype, const char *body)
{
	struct client		*cl;
	struct client_msg	 m;
	char			*s;

	cl = client_new(NULL, NULL, NULL);
	memset(&m, 0, sizeof m);
	m.msgtype = msgtype;
	m.body = body;
	m.rel = rel;
	m.target = target;
	m.latest = latest;
	m.reply_to = reply_to;
	s = client_msg_content(cl, ROOM, &m);
	client_free(cl);
	return s;
}

/* The mapping's shapes, section 1 (edit), 4.3 and 4.4, as sent. */
START_TEST(test_relation_shapes)
{
	char	*s;

	s = shape(CLIENT_REL_EDIT, "$orig", NULL, NULL, NULL, "new content");
	same_json(s, "{\"msgtype\":\"m.text\",\"body\":\"* new content\","
	    "\"m.new_content\":{\"msgtype\":\"m.text\","
	    "\"body\":\"new content\"},\"m.relates_to\":{\"rel_type\":"
	    "\"m.replace\",\"event_id\":\"$orig\"}}");
	free(s);
	s = shape(CLIENT_REL_EDIT, "$orig", NULL, NULL, "m.emote", "waves");
	same_json(s, "{\"msgtype\":\"m.emote\",\"body\":\"* waves\","
	    "\"m.new_content\":{\"msgtype\":\"m.emote\",\"body\":\"waves\"},"
	    "\"m.relates_to\":{\"rel_type\":\"m.replace\","
	    "\"event_id\":\"$orig\"}}");
	free(s);
	s = relation_reaction("$msg", "\xf0\x9f\x91\x8d");
	same_json(s, "{\"m.relates_to\":{\"rel_type\":\"m.annotation\","
	    "\"event_id\":\"$msg\",\"key\":\"\xf0\x9f\x91\x8d\"}}");
	free(s);
	s = shape(CLIENT_REL_THREAD, "$root", NULL, NULL, NULL,
	    "Thread reply");
	same_json(s, "{\"msgtype\":\"m.text\",\"body\":\"Thread reply\","
	    "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":"
	    "\"$root\",\"is_falling_back\":true,\"m.in_reply_to\":"
	    "{\"event_id\":\"$root\"}}}");
	free(s);
	/* The fallback points at the thread's newest event (spec). */
	s = shape(CLIENT_REL_THREAD, "$root", "$latest", NULL, NULL, "more");
	same_json(s, "{\"msgtype\":\"m.text\",\"body\":\"more\","
	    "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":"
	    "\"$root\",\"is_falling_back\":true,\"m.in_reply_to\":"
	    "{\"event_id\":\"$latest\"}}}");
	free(s);
	/* A real reply inside the thread is not a fallback. */
	s = shape(CLIENT_REL_THREAD, "$root", "$latest", "$t1", NULL,
	    "to you");
	same_json(s, "{\"msgtype\":\"m.text\",\"body\":\"to you\","
	    "\"m.relates_to\":{\"rel_type\":\"m.thread\",\"event_id\":"
	    "\"$root\",\"is_falling_back\":false,\"m.in_reply_to\":"
	    "{\"event_id\":\"$t1\"}}}");
	free(s);
	s = shape(CLIENT_REL_REPLY, "$q", NULL, NULL, NULL, "answer");
	same_json(s, "{\"msgtype\":\"m.text\",\"body\":\"answer\","
	    "\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$q\"}}}");
	free(s);
	s = relation_redaction(NULL);
	same_json(s, "{}");
	free(s);
	s = relation_redaction("Message deleted");
	same_json(s, "{\"reason\":\"Message deleted\"}");
	free(s);
}
END_TEST

/* Reply fallbacks: "> " lines in body, <mx-reply> in formatted_body. */
START_TEST(test_fallback_strip)
{
	char	*s;

	s = render_body("{\"body\":\"> <@bob:haos.test> first\\n> second\\n"
	    "\\nthe answer\",\"m.relates_to\":{\"m.in_reply_to\":"
	    "{\"event_id\":\"$1\"}}}");
	ck_assert_str_eq(s, "the answer");
	free(s);
	/* Not a reply: a quote is the message itself. */
	s = render_body("{\"body\":\"> quoted\\n\\nmine\"}");
	ck_assert_str_eq(s, "> quoted\n\nmine");
	free(s);
	s = render_body("{\"body\":\"\",\"format\":\"org.matrix.custom.html\","
	    "\"formatted_body\":\"<mx-reply><blockquote>old &lt;b&gt;"
	    "</blockquote></mx-reply>new <b>text</b>\","
	    "\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$1\"}}}");
	ck_assert_str_eq(s, "new text");
	free(s);
	s = render_body("{\"body\":\"plain\"}");
	ck_assert_str_eq(s, "plain");
	free(s);
	ck_assert_ptr_null(render_body("not json"));
}
END_TEST

static const char *
names(void *arg, const char *user_id)
{
	(void)arg;
	if (strcmp(user_id, ALICE) == 0)
		return "Alice";
	if (strcmp(user_id, BOB) == 0)
		return "Bob";
	if (strcmp(user_id, CAROL) == 0)
		return "Car\x1b[31mol";
	return NULL;
}

static void
row(struct event_row *e, const char *id, const char *sender, int64_t ts,
    const char *content)
{
	memset(e, 0, sizeof *e);
	e->room_id = xstrdup(ROOM);
	e->event_id = id != NULL ? xstrdup(id) : NULL;
	e->sender = xstrdup(sender);
	e->type = xstrdup("m.room.message");
	e->ts = ts;
	e->content = xstrdup(content);
}

/* Render and join the lines' text with newlines. */
static char *
rendered(struct event_row *ev, size_t n, const char *thread)
{
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 nl, i;
	char			*all, *t;

	memset(&ro, 0, sizeof ro);
	ro.width = 70;
	ro.me = ALICE;
	ro.now_ms = T0;
	ro.palette = 8;
	ro.name_of = names;
	ro.thread = thread;
	ck_assert_int_eq(render_timeline(ev, n, &ro, &l, &nl), 0);
	all = xstrdup("");
	for (i = 0; i < nl; i++) {
		ck_assert_ptr_null(strchr(l[i].text, '\x1b'));
		t = xasprintf("%s%s\n", all, l[i].text);
		free(all);
		all = t;
	}
	render_lines_free(l, nl);
	return all;
}

START_TEST(test_render_thread)
{
	struct event_row	 ev[3];
	char			*all;
	size_t			 i;

	setenv("TZ", "UTC", 1);
	tzset();
	row(&ev[0], "$root", BOB, T0, "{\"msgtype\":\"m.text\","
	    "\"body\":\"root words\"}");
	ev[0].thread_count = 2;
	ev[0].thread_last = xstrdup(CAROL);
	row(&ev[1], "$t1", CAROL, T0 + 1000, "{\"msgtype\":\"m.text\","
	    "\"body\":\"in the thread\",\"m.relates_to\":{\"rel_type\":"
	    "\"m.thread\",\"event_id\":\"$root\",\"is_falling_back\":true,"
	    "\"m.in_reply_to\":{\"event_id\":\"$root\"}}}");
	ev[1].rel_type = xstrdup("m.thread");
	ev[1].relates_to = xstrdup("$root");
	/* A local echo of my thread reply. */
	row(&ev[2], NULL, ALICE, T0 + 2000, "{\"msgtype\":\"m.text\","
	    "\"body\":\"my echo\",\"m.relates_to\":{\"rel_type\":"
	    "\"m.thread\",\"event_id\":\"$root\",\"is_falling_back\":true,"
	    "\"m.in_reply_to\":{\"event_id\":\"$t1\"}}}");
	ev[2].echo = OUTBOX_PENDING;
	ev[2].txn_id = xstrdup("txn1");
	ev[2].relates_to = xstrdup("$root");

	/* The channel: summary with the newest replier, no echo. */
	all = rendered(ev, 3, NULL);
	ck_assert_msg(strstr(all, "2 replies \xc2\xb7 last by Car") != NULL,
	    "%s", all);
	ck_assert_ptr_null(strstr(all, "my echo"));
	free(all);

	/* The thread: replies, no quote of the root for the fallback. */
	all = rendered(&ev[1], 2, "$root");
	ck_assert_msg(strstr(all, "in the thread") != NULL, "%s", all);
	ck_assert_ptr_nonnull(strstr(all, "my echo"));
	ck_assert_ptr_null(strstr(all, "root words"));
	free(all);

	/* One reply. */
	ev[0].thread_count = 1;
	all = rendered(ev, 1, NULL);
	ck_assert_msg(strstr(all, "1 reply \xc2\xb7 last by") != NULL, "%s",
	    all);
	free(all);
	for (i = 0; i < 3; i++)
		event_row_free(&ev[i]);
}
END_TEST

/* A real (non-fallback) reply shows its preview line. */
START_TEST(test_render_reply_preview)
{
	struct event_row	 ev[2];
	char			*all;

	setenv("TZ", "UTC", 1);
	tzset();
	row(&ev[0], "$q", BOB, T0, "{\"body\":\"the question\"}");
	row(&ev[1], "$a", ALICE, T0 + 1000, "{\"body\":\"> <@bob:haos.test> "
	    "the question\\n\\nthe answer\",\"m.relates_to\":"
	    "{\"m.in_reply_to\":{\"event_id\":\"$q\"}}}");
	all = rendered(ev, 2, NULL);
	ck_assert_msg(strstr(all, "Bob: the question\n") != NULL, "%s", all);
	ck_assert_ptr_null(strstr(all, "> <@bob"));
	ck_assert_ptr_nonnull(strstr(all, "the answer"));
	free(all);
	event_row_free(&ev[0]);
	event_row_free(&ev[1]);
}
END_TEST

/* My reactions not sent yet count at once (local echo). */
START_TEST(test_render_pending_reaction)
{
	struct event_row	 ev[3];
	char			*all;
	size_t			 i;

	setenv("TZ", "UTC", 1);
	tzset();
	row(&ev[0], "$m", BOB, T0, "{\"body\":\"react here\"}");
	ev[0].nreactions = 1;
	ev[0].reactions = xcalloc(1, sizeof *ev[0].reactions);
	ev[0].reactions[0].key = xstrdup("\xf0\x9f\x91\x8d");
	ev[0].reactions[0].count = 1;
	for (i = 1; i < 3; i++) {
		row(&ev[i], NULL, ALICE, T0 + 1000, i == 1 ?
		    "{\"m.relates_to\":{\"rel_type\":\"m.annotation\","
		    "\"event_id\":\"$m\",\"key\":\"\xf0\x9f\x91\x8d\"}}" :
		    "{\"m.relates_to\":{\"rel_type\":\"m.annotation\","
		    "\"event_id\":\"$m\",\"key\":\"\xf0\x9f\x8e\x89\"}}");
		free(ev[i].type);
		ev[i].type = xstrdup("m.reaction");
		ev[i].relates_to = xstrdup("$m");
		ev[i].echo = OUTBOX_PENDING;
	}
	all = rendered(ev, 3, NULL);
	ck_assert_msg(strstr(all, "\xf0\x9f\x91\x8d\xc2\xa0" "2  "
	    "\xf0\x9f\x8e\x89\xc2\xa0" "1") != NULL, "%s", all);
	free(all);
	/* Sent: the server's aggregation alone counts. */
	ev[1].echo = ev[2].echo = OUTBOX_SENT;
	all = rendered(ev, 3, NULL);
	ck_assert_msg(strstr(all, "\xf0\x9f\x91\x8d\xc2\xa0" "1\n") != NULL,
	    "%s", all);
	ck_assert_ptr_null(strstr(all, "\xf0\x9f\x8e\x89"));
	free(all);
	/* My deletion on its way: the message already shows as deleted. */
	free(ev[2].type);
	ev[2].type = xstrdup("m.room.redaction");
	ev[2].echo = OUTBOX_PENDING;
	free(ev[2].content);
	ev[2].content = xstrdup("{}");
	all = rendered(ev, 3, NULL);
	ck_assert_msg(strstr(all, "message deleted (sending") != NULL, "%s",
	    all);
	ck_assert_ptr_null(strstr(all, "react here"));
	free(all);
	for (i = 0; i < 3; i++)
		event_row_free(&ev[i]);
}
END_TEST

/* Store side, through ingest: a temporary RW store. */
static char		*dir;
static struct store	*st;

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
}

static void
store_teardown(void)
{
	store_close(st);
	test_rmtree(dir);
	free(dir);
}

/* Ingest one /sync with timeline events (a JSON array text) in ROOM. */
static void
sync_events(const char *batch, const char *events)
{
	struct haos_error	 err;
	struct ingest_result	 res;
	json_t			*j;
	char			*text;

	text = xasprintf("{\"next_batch\":\"%s\",\"rooms\":{\"join\":{\""
	    ROOM "\":{\"timeline\":{\"limited\":false,\"prev_batch\":\"p%s\","
	    "\"events\":%s}}}}}", batch, batch, events);
	j = json_loads(text, 0, NULL);
	ck_assert_msg(j != NULL, "bad fixture %s", text);
	memset(&res, 0, sizeof res);
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	ingest_result_free(&res);
	json_decref(j);
	free(text);
}

#define EV(id, sender, ts, content)					\
	"{\"event_id\":\"" id "\",\"sender\":\"" sender "\","		\
	"\"type\":\"m.room.message\",\"origin_server_ts\":" #ts ","	\
	"\"content\":" content "}"

static const struct event_row *
find(const struct event_row *rows, size_t n, const char *id)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (rows[i].event_id != NULL &&
		    strcmp(rows[i].event_id, id) == 0)
			return &rows[i];
	}
	return NULL;
}

START_TEST(test_store_edits_threads_reactions)
{
	struct haos_error	 err;
	struct event_row	*rows;
	const struct event_row	*e;
	size_t			 n;
	char			*mine;

	sync_events("s1", "["
	    EV("$m1", ALICE, 1000, "{\"msgtype\":\"m.text\",\"body\":\"v1\"}")
	    "," EV("$e1", ALICE, 2000, "{\"msgtype\":\"m.text\","
	    "\"body\":\"* v2\",\"m.new_content\":{\"msgtype\":\"m.text\","
	    "\"body\":\"v2\"},\"m.relates_to\":{\"rel_type\":\"m.replace\","
	    "\"event_id\":\"$m1\"}}")
	    /* An edit by someone else must be ignored. */
	    "," EV("$e2", BOB, 3000, "{\"msgtype\":\"m.text\","
	    "\"body\":\"* hijack\",\"m.new_content\":{\"msgtype\":\"m.text\","
	    "\"body\":\"hijack\"},\"m.relates_to\":{\"rel_type\":"
	    "\"m.replace\",\"event_id\":\"$m1\"}}")
	    "," EV("$t1", BOB, 4000, "{\"msgtype\":\"m.text\","
	    "\"body\":\"thread 1\",\"m.relates_to\":{\"rel_type\":"
	    "\"m.thread\",\"event_id\":\"$m1\",\"is_falling_back\":true,"
	    "\"m.in_reply_to\":{\"event_id\":\"$m1\"}}}")
	    "," EV("$t2", CAROL, 5000, "{\"msgtype\":\"m.text\","
	    "\"body\":\"thread 2\",\"m.relates_to\":{\"rel_type\":"
	    "\"m.thread\",\"event_id\":\"$m1\",\"is_falling_back\":true,"
	    "\"m.in_reply_to\":{\"event_id\":\"$t1\"}}}")
	    ",{\"event_id\":\"$r1\",\"sender\":\"" ALICE "\",\"type\":"
	    "\"m.reaction\",\"origin_server_ts\":6000,\"content\":"
	    "{\"m.relates_to\":{\"rel_type\":\"m.annotation\",\"event_id\":"
	    "\"$m1\",\"key\":\"x\"}}}"
	    ",{\"event_id\":\"$r2\",\"sender\":\"" BOB "\",\"type\":"
	    "\"m.reaction\",\"origin_server_ts\":6001,\"content\":"
	    "{\"m.relates_to\":{\"rel_type\":\"m.annotation\",\"event_id\":"
	    "\"$m1\",\"key\":\"x\"}}}"
	    "]");

	ck_assert_int_eq(store_query_timeline(st, ROOM, STORE_LATEST, 50, 0,
	    ALICE, &rows, &n, &err), 0);
	e = find(rows, n, "$m1");
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e->content, "\"v2\""));
	ck_assert_str_eq(e->edited_by, "$e1");
	ck_assert_int_eq(e->thread_count, 2);
	ck_assert_str_eq(e->thread_last, CAROL);
	ck_assert_uint_eq(e->nreactions, 1);
	ck_assert_int_eq(e->reactions[0].count, 2);
	ck_assert_int_eq(e->reactions[0].mine, 1);
	/* Thread replies are not in the channel's page. */
	ck_assert_ptr_null(find(rows, n, "$t1"));
	ck_assert_ptr_null(find(rows, n, "$t2"));
	event_rows_free(rows, n);

	ck_assert_int_eq(store_query_thread(st, ROOM, "$m1", ALICE, &rows, &n,
	    &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(rows[0].event_id, "$m1");
	ck_assert_str_eq(rows[1].event_id, "$t1");
	ck_assert_str_eq(rows[2].event_id, "$t2");
	event_rows_free(rows, n);

	ck_assert_int_eq(store_query_my_reaction(st, ROOM, "$m1", "x", ALICE,
	    &mine, &err), 1);
	ck_assert_str_eq(mine, "$r1");
	free(mine);
	ck_assert_int_eq(store_query_my_reaction(st, ROOM, "$m1", "y", ALICE,
	    &mine, &err), 0);
	ck_assert_ptr_null(mine);

	/* Taking it back shows at once, while the redaction is unsent... */
	ck_assert_int_gt(store_outbox_add(st, ROOM, "undo1",
	    "m.room.redaction", NULL, "{}", "$r1", &err), 0);
	ck_assert_int_eq(store_query_timeline(st, ROOM, STORE_LATEST, 50, 0,
	    ALICE, &rows, &n, &err), 0);
	e = find(rows, n, "$m1");
	ck_assert_uint_eq(e->nreactions, 1);
	ck_assert_int_eq(e->reactions[0].count, 1);
	ck_assert_int_eq(e->reactions[0].mine, 0);
	event_rows_free(rows, n);
	ck_assert_int_eq(store_query_my_reaction(st, ROOM, "$m1", "x", ALICE,
	    &mine, &err), 0);
	/* ...and comes back if the redaction fails for good. */
	ck_assert_int_eq(store_outbox_mark_failed(st, "undo1", "M_FORBIDDEN",
	    &err), 0);
	ck_assert_int_eq(store_query_timeline(st, ROOM, STORE_LATEST, 50, 0,
	    ALICE, &rows, &n, &err), 0);
	e = find(rows, n, "$m1");
	ck_assert_int_eq(e->reactions[0].count, 2);
	ck_assert_int_eq(e->reactions[0].mine, 1);
	event_rows_free(rows, n);
	ck_assert_int_eq(store_outbox_delete(st, "undo1", &err), 0);

	/* My reaction redacted: not mine any more; the count drops. */
	sync_events("s2", "[{\"event_id\":\"$x1\",\"sender\":\"" ALICE "\","
	    "\"type\":\"m.room.redaction\",\"redacts\":\"$r1\","
	    "\"origin_server_ts\":7000,\"content\":{}}]");
	ck_assert_int_eq(store_query_my_reaction(st, ROOM, "$m1", "x", ALICE,
	    &mine, &err), 0);
	ck_assert_int_eq(store_query_timeline(st, ROOM, STORE_LATEST, 50, 0,
	    ALICE, &rows, &n, &err), 0);
	e = find(rows, n, "$m1");
	ck_assert_uint_eq(e->nreactions, 1);
	ck_assert_int_eq(e->reactions[0].count, 1);
	ck_assert_int_eq(e->reactions[0].mine, 0);
	event_rows_free(rows, n);

	/* The message redacted by a moderator: edits and reactions go. */
	sync_events("s3", "[{\"event_id\":\"$x2\",\"sender\":\"" BOB "\","
	    "\"type\":\"m.room.redaction\",\"redacts\":\"$m1\","
	    "\"origin_server_ts\":8000,\"content\":{}}]");
	ck_assert_int_eq(store_query_timeline(st, ROOM, STORE_LATEST, 50, 0,
	    ALICE, &rows, &n, &err), 0);
	e = find(rows, n, "$m1");
	ck_assert_int_eq(e->redacted, 1);
	ck_assert_str_eq(e->redacted_by, "$x2");
	ck_assert_ptr_null(e->edited_by);
	ck_assert_uint_eq(e->nreactions, 0);
	ck_assert_ptr_null(strstr(e->content, "v2"));
	event_rows_free(rows, n);
}
END_TEST

/* Commands against the store: a capture of output and submitted jobs. */
static void
ctx_init(struct cmd_ctx *ctx, struct test_capture *c, const char *me)
{
	test_capture_free(c);
	test_capture_init(ctx, c, me);
	test_capture_store(c, st);
	ctx->room_id = ROOM;
}

#define STATE(type, key, sender, content)				\
	"{\"event_id\":\"$s" type key "\",\"sender\":\"" sender "\","	\
	"\"type\":\"" type "\",\"state_key\":\"" key "\","		\
	"\"origin_server_ts\":1,\"content\":" content "}"

START_TEST(test_commands)
{
	struct test_capture	 c = { 0 };
	struct cmd_ctx	 ctx;

	memset(&c, 0, sizeof c);
	sync_events("c1", "["
	    STATE("m.room.create", "", BOB, "{\"creator\":\"" BOB "\"}") ","
	    STATE("m.room.member", BOB, BOB, "{\"membership\":\"join\"}") ","
	    STATE("m.room.power_levels", "", BOB, "{\"users\":{\"" BOB
	    "\":50},\"users_default\":0,\"redact\":50}") ","
	    STATE("m.room.member", CAROL, CAROL, "{\"membership\":\"join\"}")
	    "," EV("$b1", BOB, 10, "{\"msgtype\":\"m.text\",\"body\":\"bob\"}")
	    "," EV("$c1", CAROL, 11, "{\"msgtype\":\"m.text\","
	    "\"body\":\"carol\"}") "]");

	/* A guest may not delete someone else's message. */
	ctx_init(&ctx, &c, CAROL);
	ck_assert_int_eq(cmd_run_line(&ctx, "/delete $b1"), CMD_RETURN_ERROR);
	ck_assert_msg(strstr(c.out, "only moderators may delete others' "
	    "messages (needs power level 50, you have 0)") != NULL, "%s",
	    c.out);
	ck_assert_int_eq(c.njobs, 0);

	/* Her own: a redaction through the outbox. */
	ctx_init(&ctx, &c, CAROL);
	ck_assert_int_ne(cmd_run_line(&ctx, "/delete $c1"), CMD_RETURN_ERROR);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_int_eq(c.jobs[0]->type, JOB_SEND);
	ck_assert_str_eq(c.jobs[0]->event_type, "m.room.redaction");
	ck_assert_str_eq(c.jobs[0]->rel_target, "$c1");
	same_json(c.jobs[0]->content, "{}");

	/* A moderator may delete anyone's, by id or selection... */
	ctx_init(&ctx, &c, BOB);
	ck_assert_int_ne(cmd_run_line(&ctx, "/delete $c1"), CMD_RETURN_ERROR);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_str_eq(c.jobs[0]->rel_target, "$c1");
	/* ...but with no target it is his own newest, never carol's newer. */
	ctx_init(&ctx, &c, BOB);
	ck_assert_int_ne(cmd_run_line(&ctx, "/delete"), CMD_RETURN_ERROR);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_str_eq(c.jobs[0]->rel_target, "$b1");

	/* The selected message is the default target. */
	ctx_init(&ctx, &c, CAROL);
	ctx.event_id = "$b1";
	ck_assert_int_ne(cmd_run_line(&ctx, "/react :thumbsup:"),
	    CMD_RETURN_ERROR);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_str_eq(c.jobs[0]->event_type, "m.reaction");
	ck_assert_str_eq(c.jobs[0]->rel_target, "$b1");
	same_json(c.jobs[0]->content, "{\"m.relates_to\":{\"rel_type\":"
	    "\"m.annotation\",\"event_id\":\"$b1\",\"key\":"
	    "\"\xf0\x9f\x91\x8d\"}}");

	ctx_init(&ctx, &c, CAROL);
	ck_assert_int_eq(cmd_run_line(&ctx, "/react :nosuch:"),
	    CMD_RETURN_ERROR);
	ck_assert_ptr_nonnull(strstr(c.out, "unknown emoji"));
	ck_assert_int_eq(c.njobs, 0);

	/* Once the reaction is on the server, the same key takes it back. */
	sync_events("c2", "[{\"event_id\":\"$re\",\"sender\":\"" CAROL "\","
	    "\"type\":\"m.reaction\",\"origin_server_ts\":12,\"content\":"
	    "{\"m.relates_to\":{\"rel_type\":\"m.annotation\",\"event_id\":"
	    "\"$b1\",\"key\":\"\xf0\x9f\x91\x8d\"}}}]");
	ctx_init(&ctx, &c, CAROL);
	ck_assert_int_ne(cmd_run_line(&ctx, "/react \xf0\x9f\x91\x8d $b1"),
	    CMD_RETURN_ERROR);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_str_eq(c.jobs[0]->event_type, "m.room.redaction");
	ck_assert_str_eq(c.jobs[0]->rel_target, "$re");

	ctx_init(&ctx, &c, CAROL);
	ck_assert_int_ne(cmd_run_line(&ctx, "/reply $b1 sure :smile:"),
	    CMD_RETURN_ERROR);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_str_eq(c.jobs[0]->event_type, "m.room.message");
	/* A reply mentions whom it answers (m.mentions, spec 11.2.2). */
	same_json(c.jobs[0]->content, "{\"msgtype\":\"m.text\",\"body\":"
	    "\"sure \xf0\x9f\x98\x84\",\"m.mentions\":{\"user_ids\":"
	    "[\"" BOB "\"]},\"m.relates_to\":{\"m.in_reply_to\":"
	    "{\"event_id\":\"$b1\"}}}");

	ctx_init(&ctx, &c, CAROL);
	ck_assert_int_eq(cmd_run_line(&ctx, "/reply $nosuch hello"),
	    CMD_RETURN_ERROR);
	ck_assert_int_eq(c.njobs, 0);
	ctx_init(&ctx, &c, CAROL);
	cmd_ctx_clear(&ctx);
	test_capture_free(&c);
}
END_TEST

/* The m.mentions user ids of a content, as one "a b" string. */
static char *
mention_ids(const json_t *c)
{
	json_t	*ids, *v;
	size_t	 i;
	char	*out = xstrdup(""), *tmp;

	ids = json_get_arr(json_get_obj(c, "m.mentions"), "user_ids");
	json_array_foreach(ids, i, v) {
		tmp = xasprintf("%s%s%s", out, *out != '\0' ? " " : "",
		    json_string_value(v));
		free(out);
		out = tmp;
	}
	return out;
}

/* What client_msg_content() makes of msg, parsed. */
static json_t *
built(struct client *cl, const struct client_msg *msg)
{
	char	*text;
	json_t	*j;

	text = client_msg_content(cl, ROOM, msg);
	j = json_loads(text, 0, NULL);
	ck_assert_msg(j != NULL, "not JSON: %s", text);
	free(text);
	return j;
}

#define CK_IDS(content, want) do {					\
	char	*ids_ = mention_ids(content);				\
	ck_assert_str_eq(ids_, want);					\
	free(ids_);							\
} while (0)

/*
 * Edits, replies and thread replies carry m.mentions like plain sends: the
 * members typed, plus whom a reply answers; an edit repeats them all in
 * m.new_content and at the top only those the original did not mention.
 */
START_TEST(test_send_path_mentions)
{
	struct test_capture	 c = { 0 };
	struct cmd_ctx		 ctx;
	struct haos_error	 err;
	struct client_msg	 m;
	json_t			*j, *nc;

	sync_events("m1", "["
	    STATE("m.room.create", "", BOB, "{\"creator\":\"" BOB "\"}") ","
	    STATE("m.room.member", BOB, BOB, "{\"membership\":\"join\"}") ","
	    STATE("m.room.member", CAROL, CAROL, "{\"membership\":\"join\"}")
	    "," STATE("m.room.member", ALICE, ALICE, "{\"membership\":"
	    "\"join\"}")
	    "," EV("$b1", BOB, 10, "{\"msgtype\":\"m.text\",\"body\":\"bob\"}")
	    "," EV("$a1", ALICE, 11, "{\"msgtype\":\"m.text\",\"body\":"
	    "\"hey @carol:haos.test\",\"m.mentions\":{\"user_ids\":[\""
	    CAROL "\"]}}") "]");
	ctx_init(&ctx, &c, ALICE);

	/* Plain: the typed member. */
	memset(&m, 0, sizeof m);
	m.body = "hi @bob:haos.test";
	j = built(c.client, &m);
	CK_IDS(j, BOB);
	ck_assert_ptr_nonnull(json_get_str(j, "formatted_body", NULL));
	json_decref(j);

	/* Reply: whom it answers, and the typed member, once each. */
	m.rel = CLIENT_REL_REPLY;
	m.target = "$b1";
	m.body = "sure";
	j = built(c.client, &m);
	CK_IDS(j, BOB);
	ck_assert_str_eq(json_get_str(json_get_obj(json_get_obj(j,
	    "m.relates_to"), "m.in_reply_to"), "event_id", ""), "$b1");
	json_decref(j);
	m.body = "cc @carol:haos.test and @bob:haos.test";
	j = built(c.client, &m);
	CK_IDS(j, CAROL " " BOB);
	json_decref(j);
	/* Answering myself mentions nobody extra. */
	m.target = "$a1";
	m.body = "me again";
	j = built(c.client, &m);
	ck_assert_ptr_null(json_get_obj(j, "m.mentions"));
	json_decref(j);

	/* Edit: all in m.new_content, only the new ones at the top. */
	memset(&m, 0, sizeof m);
	m.rel = CLIENT_REL_EDIT;
	m.target = "$a1";
	m.body = "hey @carol:haos.test and @bob:haos.test";
	j = built(c.client, &m);
	nc = json_get_obj(j, "m.new_content");
	CK_IDS(nc, CAROL " " BOB);
	CK_IDS(j, BOB);
	ck_assert_str_eq(json_get_str(nc, "body", ""), json_get_str(j,
	    "body", "x") + 2);
	ck_assert_int_eq(strncmp(json_get_str(j, "formatted_body", ""),
	    "* ", 2), 0);
	ck_assert_str_eq(json_get_str(json_get_obj(j, "m.relates_to"),
	    "rel_type", ""), "m.replace");
	json_decref(j);
	/* An edit that mentions nobody new notifies nobody. */
	m.body = "hey @carol:haos.test!";
	j = built(c.client, &m);
	CK_IDS(json_get_obj(j, "m.new_content"), CAROL);
	CK_IDS(j, "");
	ck_assert_ptr_nonnull(json_get_obj(j, "m.mentions"));
	json_decref(j);

	/* Thread: typed mentions; an explicit reply adds its sender. */
	memset(&m, 0, sizeof m);
	m.rel = CLIENT_REL_THREAD;
	m.target = "$b1";
	m.latest = "$a1";
	m.body = "@carol:haos.test look";
	j = built(c.client, &m);
	CK_IDS(j, CAROL);
	ck_assert(json_is_true(json_object_get(json_get_obj(j,
	    "m.relates_to"), "is_falling_back")));
	json_decref(j);
	m.reply_to = "$b1";
	j = built(c.client, &m);
	CK_IDS(j, CAROL " " BOB);
	ck_assert(json_is_false(json_object_get(json_get_obj(j,
	    "m.relates_to"), "is_falling_back")));
	json_decref(j);

	/* client_send() queues that content, with the edited event. */
	memset(&m, 0, sizeof m);
	m.rel = CLIENT_REL_EDIT;
	m.target = "$a1";
	m.body = "ping @bob:haos.test";
	ck_assert_int_eq(client_send(c.client, ROOM, &m, &err), 0);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_int_eq(c.jobs[0]->type, JOB_SEND);
	ck_assert_str_eq(c.jobs[0]->event_type, "m.room.message");
	ck_assert_str_eq(c.jobs[0]->rel_target, "$a1");
	ck_assert_ptr_nonnull(c.jobs[0]->txn_id);
	j = json_loads(c.jobs[0]->content, 0, NULL);
	CK_IDS(j, BOB);
	json_decref(j);
	/* A relation without its event is refused, nothing queued. */
	m.target = NULL;
	ck_assert_int_eq(client_send(c.client, ROOM, &m, &err), -1);
	ck_assert_int_eq(c.njobs, 1);
	test_capture_free(&c);
}
END_TEST

/*
 * Markdown on the send path: edits carry the HTML in m.new_content and
 * "* " before it at the top (as Element), replies, threads and emotes
 * format too; plain text has no formatted_body.
 */
START_TEST(test_markdown_shapes)
{
	char	*s;

	s = shape(CLIENT_REL_EDIT, "$orig", NULL, NULL, NULL, "**new**");
	same_json(s, "{\"msgtype\":\"m.text\",\"body\":\"* **new**\","
	    "\"format\":\"org.matrix.custom.html\","
	    "\"formatted_body\":\"* <strong>new</strong>\","
	    "\"m.new_content\":{\"msgtype\":\"m.text\",\"body\":\"**new**\","
	    "\"format\":\"org.matrix.custom.html\","
	    "\"formatted_body\":\"<strong>new</strong>\"},"
	    "\"m.relates_to\":{\"rel_type\":\"m.replace\","
	    "\"event_id\":\"$orig\"}}");
	free(s);
	s = shape(CLIENT_REL_REPLY, "$q", NULL, NULL, NULL, "`x` ok");
	same_json(s, "{\"msgtype\":\"m.text\",\"body\":\"`x` ok\","
	    "\"format\":\"org.matrix.custom.html\","
	    "\"formatted_body\":\"<code>x</code> ok\","
	    "\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$q\"}}}");
	free(s);
	s = shape(CLIENT_REL_THREAD, "$root", NULL, NULL, NULL, "- a\n- b");
	same_json(s, "{\"msgtype\":\"m.text\",\"body\":\"- a\\n- b\","
	    "\"format\":\"org.matrix.custom.html\","
	    "\"formatted_body\":\"<ul>\\n<li>a</li>\\n<li>b</li>\\n</ul>\\n\","
	    "\"m.relates_to\":{\"rel_type\":\"m.thread\","
	    "\"event_id\":\"$root\",\"is_falling_back\":true,"
	    "\"m.in_reply_to\":{\"event_id\":\"$root\"}}}");
	free(s);
	s = shape(CLIENT_REL_NONE, NULL, NULL, NULL, "m.emote", "*waves*");
	same_json(s, "{\"msgtype\":\"m.emote\",\"body\":\"*waves*\","
	    "\"format\":\"org.matrix.custom.html\","
	    "\"formatted_body\":\"<em>waves</em>\"}");
	free(s);
	s = shape(CLIENT_REL_EDIT, "$orig", NULL, NULL, NULL, "plain <b>");
	same_json(s, "{\"msgtype\":\"m.text\",\"body\":\"* plain <b>\","
	    "\"m.new_content\":{\"msgtype\":\"m.text\","
	    "\"body\":\"plain <b>\"},\"m.relates_to\":{\"rel_type\":"
	    "\"m.replace\",\"event_id\":\"$orig\"}}");
	free(s);
}
END_TEST

/* A typed line formats; /plain sends the same text as typed. */
START_TEST(test_plain_command)
{
	struct test_capture	 c = { 0 };
	struct cmd_ctx		 ctx;

	sync_events("p1", "["
	    STATE("m.room.create", "", BOB, "{\"creator\":\"" BOB "\"}") ","
	    STATE("m.room.member", BOB, BOB, "{\"membership\":\"join\"}") ","
	    STATE("m.room.member", ALICE, ALICE, "{\"membership\":"
	    "\"join\"}") "]");
	ctx_init(&ctx, &c, ALICE);
	ck_assert_int_ne(cmd_run_line(&ctx, "**x** :smile: @bob:haos.test"),
	    CMD_RETURN_ERROR);
	ck_assert_int_eq(c.njobs, 1);
	same_json(c.jobs[0]->content, "{\"msgtype\":\"m.text\","
	    "\"body\":\"**x** \xf0\x9f\x98\x84 " BOB "\","
	    "\"format\":\"org.matrix.custom.html\","
	    "\"formatted_body\":\"<strong>x</strong> \xf0\x9f\x98\x84 "
	    "<a href=\\\"https://matrix.to/#/" BOB "\\\">" BOB "</a>\","
	    "\"m.mentions\":{\"user_ids\":[\"" BOB "\"]}}");
	ctx_init(&ctx, &c, ALICE);
	ck_assert_int_ne(cmd_run_line(&ctx,
	    "/plain **x** :smile: @bob:haos.test\n"), CMD_RETURN_ERROR);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_str_eq(c.jobs[0]->event_type, "m.room.message");
	same_json(c.jobs[0]->content, "{\"msgtype\":\"m.text\","
	    "\"body\":\"**x** :smile: @bob:haos.test\","
	    "\"m.mentions\":{\"user_ids\":[\"" BOB "\"]}}");
	ctx_init(&ctx, &c, ALICE);
	ck_assert_int_ne(cmd_run_line(&ctx, "/plain \\*x\\*"),
	    CMD_RETURN_ERROR);
	same_json(c.jobs[0]->content, "{\"msgtype\":\"m.text\","
	    "\"body\":\"\\\\*x\\\\*\"}");
	test_capture_free(&c);
}
END_TEST

Suite *
suite_conversation(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("conversation");
	tc = tcase_create("core");
	tcase_add_test(tc, test_relation_shapes);
	tcase_add_test(tc, test_fallback_strip);
	tcase_add_test(tc, test_render_thread);
	tcase_add_test(tc, test_render_reply_preview);
	tcase_add_test(tc, test_render_pending_reaction);
	tcase_add_test(tc, test_markdown_shapes);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, store_setup, store_teardown);
	tcase_add_test(tc, test_store_edits_threads_reactions);
	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_send_path_mentions);
	tcase_add_test(tc, test_plain_command);
	suite_add_tcase(s, tc);
	return s;
}
