/* /download and o on an attachment: which event, what job; its label. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/cmd.h"
#include "haos/config.h"
#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/net.h"
#include "haos/store.h"
#include "haos/xmalloc.h"
#include "../../src/ui/render-int.h"

#define ROOM	"!dl:haos.test"
#define ALICE	"@alice:haos.test"

static char		*dir;
static struct store	*st;

static void
dl_setup(void)
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
dl_teardown(void)
{
	store_close(st);
	test_rmtree(dir);
	free(dir);
}

#define EV(id, ts, content)						\
	"{\"event_id\":\"" id "\",\"sender\":\"" ALICE "\","		\
	"\"type\":\"m.room.message\",\"origin_server_ts\":" #ts ","	\
	"\"content\":" content "}"

static void
dl_sync(const char *events)
{
	struct haos_error	 err;
	struct ingest_result	 res;
	json_t			*j;
	char			*text;

	text = xasprintf("{\"next_batch\":\"s1\",\"rooms\":{\"join\":{\""
	    ROOM "\":{\"timeline\":{\"limited\":false,\"prev_batch\":\"p\","
	    "\"events\":%s}}}}}", events);
	j = json_loads(text, 0, NULL);
	ck_assert_msg(j != NULL, "bad fixture %s", text);
	memset(&res, 0, sizeof res);
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	ingest_result_free(&res);
	json_decref(j);
	free(text);
}

static void
dl_ctx(struct cmd_ctx *ctx, struct test_capture *c, struct config *cfg)
{
	test_capture_free(c);
	test_capture_init(ctx, c, ALICE);
	test_capture_store(c, st);
	ctx->room_id = ROOM;
	ctx->cfg = cfg;
}

/* The job a /download line made: its content's url, and its directory. */
static void
dl_expect(const struct test_capture *c, const char *url, const char *where)
{
	json_t	*j;

	ck_assert_int_eq(c->njobs, 1);
	ck_assert_int_eq(c->jobs[0]->type, JOB_DOWNLOAD);
	ck_assert_str_eq(c->jobs[0]->path, where);
	j = json_loads(c->jobs[0]->content, 0, NULL);
	ck_assert_ptr_nonnull(j);
	if (json_get_str(j, "url", NULL) != NULL)
		ck_assert_str_eq(json_get_str(j, "url", ""), url);
	else
		ck_assert_str_eq(json_path_str(j, "file.url", ""), url);
	json_decref(j);
}

START_TEST(test_download_command)
{
	static char		 srv[] = "/srv/dl";
	struct test_capture	 c;
	struct cmd_ctx		 ctx;
	struct config		 cfg;

	memset(&c, 0, sizeof c);
	memset(&cfg, 0, sizeof cfg);
	cfg.files_download_dir = srv;
	dl_sync("["
	    EV("$f1", 1, "{\"msgtype\":\"m.file\",\"body\":\"a.pdf\","
	    "\"url\":\"mxc://haos.test/aaa\",\"info\":{\"size\":10}}") ","
	    EV("$i1", 2, "{\"msgtype\":\"m.image\",\"body\":\"b.png\","
	    "\"file\":{\"url\":\"mxc://haos.test/bbb\",\"v\":\"v2\"}}") ","
	    EV("$t1", 3, "{\"msgtype\":\"m.text\",\"body\":\"hi\"}") "]");

	/* No argument, nothing selected: the newest attachment. */
	dl_ctx(&ctx, &c, &cfg);
	ck_assert_int_eq(cmd_run_line(&ctx, "/download"), CMD_RETURN_NORMAL);
	dl_expect(&c, "mxc://haos.test/bbb", "/srv/dl");
	dl_ctx(&ctx, &c, &cfg);
	ck_assert_int_eq(cmd_run_line(&ctx, "/download last"),
	    CMD_RETURN_NORMAL);
	dl_expect(&c, "mxc://haos.test/bbb", "/srv/dl");
	/* An event id; the selected message. */
	dl_ctx(&ctx, &c, &cfg);
	ck_assert_int_eq(cmd_run_line(&ctx, "/download $f1"),
	    CMD_RETURN_NORMAL);
	dl_expect(&c, "mxc://haos.test/aaa", "/srv/dl");
	dl_ctx(&ctx, &c, &cfg);
	ctx.event_id = "$f1";
	ck_assert_int_eq(cmd_run_line(&ctx, "/download --open"),
	    CMD_RETURN_NORMAL);
	dl_expect(&c, "mxc://haos.test/aaa", "/srv/dl");
	/* A text message has nothing to download. */
	dl_ctx(&ctx, &c, &cfg);
	ck_assert_int_eq(cmd_run_line(&ctx, "/download $t1"),
	    CMD_RETURN_ERROR);
	ck_assert_msg(strstr(c.out, "that message has no attachment") !=
	    NULL, "%s", c.out);
	ck_assert_int_eq(c.njobs, 0);
	dl_ctx(&ctx, &c, &cfg);
	ck_assert_int_eq(cmd_run_line(&ctx, "/download $nope"),
	    CMD_RETURN_ERROR);
	ck_assert_int_eq(c.njobs, 0);
	/* Without download_dir: the XDG directory. */
	setenv("XDG_DOWNLOAD_DIR", "/xdg/dl", 1);
	cfg.files_download_dir = NULL;
	dl_ctx(&ctx, &c, &cfg);
	ck_assert_int_eq(cmd_run_line(&ctx, "/download $f1"),
	    CMD_RETURN_NORMAL);
	dl_expect(&c, "mxc://haos.test/aaa", "/xdg/dl");
	unsetenv("XDG_DOWNLOAD_DIR");
	test_capture_free(&c);
}
END_TEST

START_TEST(test_download_none)
{
	struct test_capture	 c;
	struct cmd_ctx		 ctx;

	memset(&c, 0, sizeof c);
	dl_sync("[" EV("$t1", 3, "{\"msgtype\":\"m.text\",\"body\":"
	    "\"mxc://haos.test/x\"}") "]");
	dl_ctx(&ctx, &c, NULL);
	ck_assert_int_eq(cmd_run_line(&ctx, "/download"), CMD_RETURN_ERROR);
	ck_assert_msg(strstr(c.out, "no attachment among the newest") !=
	    NULL, "%s", c.out);
	ck_assert_int_eq(c.njobs, 0);
	test_capture_free(&c);
}
END_TEST

static void
dl_label(const char *content, const char *want)
{
	json_t	*j = json_loads(content, 0, NULL);
	char	*got;

	ck_assert_ptr_nonnull(j);
	got = render_body_text(j, 0);
	ck_assert_str_eq(got, want);
	free(got);
	json_decref(j);
}

/* The timeline shows an attachment's name, kind and size. */
START_TEST(test_download_label)
{
	dl_label("{\"msgtype\":\"m.image\",\"body\":\"shot.png\","
	    "\"info\":{\"size\":122880,\"mimetype\":\"image/png\"}}",
	    "[image: shot.png, 120 KB]");
	dl_label("{\"msgtype\":\"m.file\",\"body\":\"see this\","
	    "\"filename\":\"a.pdf\",\"info\":{\"size\":1572864}}",
	    "[file: a.pdf, 1.5 MB] see this");
	dl_label("{\"msgtype\":\"m.audio\",\"body\":\"v.ogg\"}",
	    "[audio: v.ogg]");
	dl_label("{\"msgtype\":\"m.video\",\"body\":\"c.mp4\","
	    "\"info\":{\"size\":\"big\"}}", "[video: c.mp4]");
	dl_label("{\"msgtype\":\"m.file\",\"body\":\"n\","
	    "\"info\":{\"size\":-5}}", "[file: n]");
}
END_TEST

/* mxc:// URIs from events: only well-formed ones, paths escaped. */
START_TEST(test_download_mxc)
{
	static const char *const bad[] = {
		"", "mxc://", "mxc://hs", "mxc://hs/", "mxc:///id",
		"https://hs/id", "mxc://hs/a/b", "mxc://hs/../x",
		"mxc://h s/id",
		"mxc://hs/id?x=1", "mxc://hs/id#f", "mxc://hs/%2e%2e",
		"MXC://hs/id",
	};
	char	*server, *id, *p;
	size_t	 i;

	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(matrix_mxc_parse(bad[i], &server, &id) == -1,
		    "accepted %s", bad[i]);
	ck_assert_int_eq(matrix_mxc_parse(NULL, &server, &id), -1);
	ck_assert_int_eq(matrix_mxc_parse("mxc://[::1]:8448/AbC_d-9",
	    &server, &id), 0);
	ck_assert_str_eq(server, "[::1]:8448");
	ck_assert_str_eq(id, "AbC_d-9");
	p = matrix_media_download_path(server, id, 1);
	ck_assert_str_eq(p, "/_matrix/client/v1/media/download/"
	    "%5B%3A%3A1%5D%3A8448/AbC_d-9");
	free(p);
	p = matrix_media_download_path(server, id, 0);
	ck_assert_str_eq(p, "/_matrix/media/v3/download/"
	    "%5B%3A%3A1%5D%3A8448/AbC_d-9");
	free(p);
	free(server);
	free(id);
}
END_TEST

Suite *
suite_download(void)
{
	Suite	*s = suite_create("download");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, dl_setup, dl_teardown);
	tcase_add_test(tc, test_download_command);
	tcase_add_test(tc, test_download_none);
	tcase_add_test(tc, test_download_label);
	tcase_add_test(tc, test_download_mxc);
	suite_add_tcase(s, tc);
	return s;
}
