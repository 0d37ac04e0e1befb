/* The client API: completions run exactly once, also when cancelled. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/cmd.h"
#include "haos/error.h"
#include "haos/matrix.h"
#include "haos/net.h"
#include "haos/xmalloc.h"

#define ME	"@alice:haos.test"

/* What the completions saw. */
static int	calls, cancels, frees, answers;

static void
counts_reset(void)
{
	calls = cancels = frees = answers = 0;
}

static void
count_done(void *arg, const struct client_result *res)
{
	(void)arg;
	calls++;
	if (res->cancelled) {
		cancels++;
		ck_assert(!res->ok);
		ck_assert_ptr_nonnull(res->err);
	} else
		answers++;
}

static void
count_free(void *arg)
{
	frees++;
	free(arg);
}

/* A command's callback that owns (and frees) its argument. */
static void
cmd_done_free(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	(void)ctx;
	calls++;
	if (res->cancelled)
		cancels++;
	free(arg);
}

static void
seq_done(struct cmd_ctx *ctx, struct cmd_seq *q, void *arg)
{
	(void)ctx;
	calls++;
	ck_assert_uint_ge(cmd_seq_failed(q), 1);
	free(arg);
}

/* Answer a captured request. */
static void
answer_ok(struct test_capture *c, int i)
{
	struct net_result	 r;

	memset(&r, 0, sizeof r);
	r.tag = c->jobs[i]->tag;
	r.ok = 1;
	ck_assert_int_eq(client_deliver(c->client, &r), 0);
}

/* An answer goes to its completion once; then arg is freed once. */
START_TEST(test_answer_once)
{
	struct test_capture	 c = { 0 };
	struct cmd_ctx		 ctx;
	struct net_result	 r;

	counts_reset();
	test_capture_init(&ctx, &c, ME);
	client_request(c.client, matrix_req_leave("!r:hs"),
	    (struct client_done){ count_done, xstrdup("x"), count_free });
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_str_eq(c.jobs[0]->path,
	    "/_matrix/client/v3/rooms/%21r%3Ahs/leave");
	ck_assert_uint_eq(client_pending(c.client), 1);
	answer_ok(&c, 0);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(answers, 1);
	ck_assert_int_eq(frees, 1);
	ck_assert_uint_eq(client_pending(c.client), 0);
	/* A second answer to the same request has nobody to go to. */
	memset(&r, 0, sizeof r);
	r.tag = c.jobs[0]->tag;
	ck_assert_int_eq(client_deliver(c.client, &r), -1);
	test_capture_free(&c);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(frees, 1);
}
END_TEST

/*
 * Shutting down with each kind of request pending: a plain completion
 * owning its argument, one borrowing it (the re-login prompt's), a
 * command's callback, a sequence, a moderation batch and /join's chain.
 * Each runs once with a cancelled result; owned arguments are freed once
 * (ASan and LSan check the rest under make asan).
 */
START_TEST(test_cancel_each_kind)
{
	struct test_capture	 c = { 0 };
	struct cmd_ctx		 ctx;
	struct cmd_seq		*q;
	struct cmd_batch	*b;
	int			 borrowed = 7, jobs;

	counts_reset();
	test_capture_init(&ctx, &c, ME);
	client_request(c.client, matrix_req_leave("!r:hs"),
	    (struct client_done){ count_done, xstrdup("owned"), count_free });
	client_request(c.client, matrix_req_login(ME, "pw", "DEV", NULL),
	    (struct client_done){ count_done, &borrowed, NULL });
	cmd_call(&ctx, matrix_req_profile(ME), cmd_done_free, xstrdup("cmd"));
	q = cmd_seq_new(seq_done, xstrdup("seq"));
	cmd_seq_add(q, matrix_req_leave("!a:hs"), 0);
	cmd_seq_add(q, matrix_req_leave("!b:hs"), 0);
	cmd_seq_add(q, matrix_req_leave("!c:hs"), 0);
	cmd_seq_run(&ctx, q);
	b = cmd_batch_new(&ctx, "kick @bob:hs", "removed", NULL, 2);
	cmd_batch_add(b, "#a", matrix_req_member("!a:hs", "kick", "@bob:hs",
	    NULL), 0);
	cmd_batch_add(b, "#b", matrix_req_member("!b:hs", "kick", "@bob:hs",
	    "spam"), 0);
	cmd_batch_start(b);
	ck_assert_int_eq(cmd_join_start(&ctx, "!room:hs"), CMD_RETURN_WAIT);
	/* One each, the sequence's first step only, two for the batch. */
	ck_assert_int_eq(c.njobs, 7);
	/* Logging in again never sends the (revoked) access token. */
	ck_assert_int_eq(c.jobs[1]->no_token, 1);
	ck_assert_str_eq(c.jobs[1]->path, "/_matrix/client/v3/login");
	ck_assert_int_eq(c.jobs[0]->no_token, 0);
	ck_assert_uint_eq(client_pending(c.client), 7);
	jobs = c.njobs;

	cmd_ctx_clear(&ctx);
	ck_assert_uint_eq(client_pending(c.client), 0);
	/* Nothing more was sent: no retry, no next step, no fallback. */
	ck_assert_int_eq(c.njobs, jobs);
	/* 2 completions, the command, the sequence's done. */
	ck_assert_int_eq(calls, 4);
	ck_assert_int_eq(cancels, 3);
	ck_assert_int_eq(frees, 1);
	ck_assert_int_eq(borrowed, 7);
	/* The batch and /join reported once each. */
	ck_assert_ptr_nonnull(strstr(c.out, "kick @bob:hs: failed in 2 of 2"));
	ck_assert_ptr_nonnull(strstr(c.out, "cannot join !room:hs"));
	ck_assert_int_eq(c.errors, 2);

	/* After shutdown a request completes at once, cancelled, unsent. */
	client_request(c.client, matrix_req_leave("!r:hs"),
	    (struct client_done){ count_done, xstrdup("late"), count_free });
	ck_assert_int_eq(calls, 5);
	ck_assert_int_eq(cancels, 4);
	ck_assert_int_eq(frees, 2);
	ck_assert_int_eq(c.njobs, jobs);
	/* Freeing the client cancels nothing twice. */
	test_capture_free(&c);
	ck_assert_int_eq(calls, 5);
	ck_assert_int_eq(frees, 2);
}
END_TEST

/* Messages get a transaction id before the net thread sees them. */
START_TEST(test_sent_txn_ids)
{
	struct test_capture	 c = { 0 };
	struct cmd_ctx		 ctx;
	char			**ids;
	size_t			 n;

	test_capture_init(&ctx, &c, ME);
	/* Not tracked unless asked: the UI keeps no list. */
	client_react(c.client, "!r:hs", "$e", "\xf0\x9f\x91\x8d");
	ck_assert_ptr_nonnull(c.jobs[0]->txn_id);
	ck_assert_uint_eq(client_take_sent(c.client, &ids), 0);
	free(ids);
	net_job_free(c.jobs[0]);
	c.njobs = 0;
	client_track_sent(c.client, 1);
	client_react(c.client, "!r:hs", "$e", "\xf0\x9f\x91\x8d");
	client_redact(c.client, "!r:hs", "$f", NULL);
	ck_assert_int_eq(c.njobs, 2);
	n = client_take_sent(c.client, &ids);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ids[0], c.jobs[0]->txn_id);
	ck_assert_str_eq(ids[1], c.jobs[1]->txn_id);
	ck_assert_str_ne(ids[0], ids[1]);
	ck_assert_str_eq(c.jobs[0]->rel_target, "$e");
	ck_assert_str_eq(c.jobs[1]->rel_target, "$f");
	ck_assert_str_eq(c.jobs[1]->event_type, "m.room.redaction");
	free(ids[0]);
	free(ids[1]);
	free(ids);
	ck_assert_uint_eq(client_take_sent(c.client, &ids), 0);
	test_capture_free(&c);
}
END_TEST

Suite *
suite_client(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("client");
	tc = tcase_create("core");
	tcase_add_test(tc, test_answer_once);
	tcase_add_test(tc, test_cancel_each_kind);
	tcase_add_test(tc, test_sent_txn_ids);
	suite_add_tcase(s, tc);
	return s;
}
