/* Unit test runner: every suite; CK_RUN_SUITE=name runs one. */
#include "check_haos.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/client.h"
#include "haos/cmd.h"
#include "haos/net.h"
#include "haos/xmalloc.h"

/* Return the path of a file under tests/fixtures (HAOS_FIXTURES). */
char *
test_fixture(const char *rel)
{
	const char	*dir;

	dir = getenv("HAOS_FIXTURES");
	if (dir == NULL)
		dir = "tests/fixtures";
	return xasprintf("%s/%s", dir, rel);
}

/* Make a fresh private temporary directory. */
char *
test_tmpdir(void)
{
	char	*d;

	d = xstrdup("/tmp/haos-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static int
test_rm_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
test_rmtree(const char *dir)
{
	nftw(dir, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
test_capture_print(void *arg, int is_error, const char *msg)
{
	struct test_capture	*c = arg;
	size_t			 n = strlen(c->out);

	snprintf(c->out + n, sizeof c->out - n, "%s%s", n > 0 ? "\n" : "",
	    msg);
	c->errors += is_error;
}

static void
test_capture_submit(void *arg, struct job *j)
{
	struct test_capture	*c = arg;

	ck_assert_int_lt(c->njobs, (int)nitems(c->jobs));
	c->jobs[c->njobs++] = j;
}

/*
 * Clients a test has not freed stay reachable from here until it exits:
 * cancelling them then would call back into contexts that lived on the
 * test's stack.  Tests that check completions free theirs.
 */
static struct client	*test_clients[64];

static void
test_client_keep(struct client *cl, int keep)
{
	size_t	 i;

	for (i = 0; i < nitems(test_clients); i++) {
		if (keep && test_clients[i] == NULL) {
			test_clients[i] = cl;
			return;
		}
		if (!keep && test_clients[i] == cl) {
			test_clients[i] = NULL;
			return;
		}
	}
}

/*
 * An empty context for me whose requests are captured.  c is cleared:
 * free it first (test_capture_free()) if it was used.
 */
void
test_capture_init(struct cmd_ctx *ctx, struct test_capture *c,
    const char *me)
{
	memset(ctx, 0, sizeof *ctx);
	memset(c, 0, sizeof *c);
	c->client = client_new(NULL, NULL, me);
	client_set_submit(c->client, test_capture_submit, c);
	test_client_keep(c->client, 1);
	c->ctx = ctx;
	ctx->me = me;
	ctx->print = test_capture_print;
	ctx->print_arg = c;
	ctx->client = c->client;
}

void
test_capture_store(struct test_capture *c, struct store *st)
{
	c->ctx->store = st;
	test_client_keep(c->client, 0);
	client_free(c->client);
	c->client = client_new(NULL, st, c->ctx->me);
	client_set_submit(c->client, test_capture_submit, c);
	test_client_keep(c->client, 1);
	c->ctx->client = c->client;
}

void
test_capture_free(struct test_capture *c)
{
	int	 i;

	/* Cancelled first: a callback may still look at its jobs. */
	test_client_keep(c->client, 0);
	client_free(c->client);
	c->client = NULL;
	if (c->ctx != NULL)
		c->ctx->client = NULL;
	for (i = 0; i < c->njobs; i++)
		net_job_free(c->jobs[i]);
	c->njobs = 0;
}

/* Read a whole file into a NUL-terminated string (NULL if unreadable). */
char *
test_read_file(const char *path)
{
	FILE	*f;
	char	*buf;
	long	 n;

	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	n = (long)fread(buf, 1, (size_t)n, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(suite_cli());
	srunner_add_suite(sr, suite_activity());
	srunner_add_suite(sr, suite_attachment());
	srunner_add_suite(sr, suite_backup());
	srunner_add_suite(sr, suite_lock());
	srunner_add_suite(sr, suite_call());
	srunner_add_suite(sr, suite_client());
	srunner_add_suite(sr, suite_cmd());
	srunner_add_suite(sr, suite_config());
	srunner_add_suite(sr, suite_crypto());
	srunner_add_suite(sr, suite_crypto_out());
	srunner_add_suite(sr, suite_devices());
	srunner_add_suite(sr, suite_download());
	srunner_add_suite(sr, suite_conversation());
	srunner_add_suite(sr, suite_editor());
	srunner_add_suite(sr, suite_error());
	srunner_add_suite(sr, suite_gossip());
	srunner_add_suite(sr, suite_graphics());
	srunner_add_suite(sr, suite_html());
	srunner_add_suite(sr, suite_hyperlink());
	srunner_add_suite(sr, suite_files());
	srunner_add_suite(sr, suite_upload());
	srunner_add_suite(sr, suite_http());
	srunner_add_suite(sr, suite_ingest());
	srunner_add_suite(sr, suite_ingest_stream());
	srunner_add_suite(sr, suite_json());
	srunner_add_suite(sr, suite_keyreq());
	srunner_add_suite(sr, suite_layout());
	srunner_add_suite(sr, suite_log());
	srunner_add_suite(sr, suite_matrix());
	srunner_add_suite(sr, suite_markdown());
	srunner_add_suite(sr, suite_mention());
	srunner_add_suite(sr, suite_moderation());
	srunner_add_suite(sr, suite_notify());
	srunner_add_suite(sr, suite_olm());
	srunner_add_suite(sr, suite_outbox_match());
	srunner_add_suite(sr, suite_paths());
	srunner_add_suite(sr, suite_presence());
	srunner_add_suite(sr, suite_preview());
	srunner_add_suite(sr, suite_recv());
	srunner_add_suite(sr, suite_refresh());
	srunner_add_suite(sr, suite_render());
	srunner_add_suite(sr, suite_sanitize());
	srunner_add_suite(sr, suite_sas());
	srunner_add_suite(sr, suite_session());
	srunner_add_suite(sr, suite_secrets());
	srunner_add_suite(sr, suite_space());
	srunner_add_suite(sr, suite_store());
	srunner_add_suite(sr, suite_ui_action());
	srunner_add_suite(sr, suite_xsign());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
