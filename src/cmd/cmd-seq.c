/* Requests that must run one after another, then one callback. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/xmalloc.h"

struct cmd_seq_step {
	struct matrix_req	*req;	/* NULL once sent */
	unsigned int		 flags;	/* CMD_SEQ_* */
	char			*what;	/* "PUT /path", for the log */
};

/*
 * A sequence owns its steps; it is freed after its done callback, which
 * owns (and frees) arg.  Only one request of a sequence is in flight.
 */
struct cmd_seq {
	struct cmd_seq_step	*steps;
	size_t			 n;
	size_t			 next;
	size_t			 failed;
	char			*first_error;	/* "msg", of the first failure */
	cmd_seq_cb		 done;
	void			*arg;
};

/* Start an empty sequence; done runs when it ends (even if empty). */
struct cmd_seq *
cmd_seq_new(cmd_seq_cb done, void *arg)
{
	struct cmd_seq	*q;

	q = xcalloc(1, sizeof *q);
	q->done = done;
	q->arg = arg;
	return q;
}

/* Append one request; the sequence takes req. */
void
cmd_seq_add(struct cmd_seq *q, struct matrix_req *req, unsigned int flags)
{
	struct cmd_seq_step	*s;

	q->steps = xrealloc(q->steps, (q->n + 1) * sizeof *q->steps);
	s = &q->steps[q->n++];
	s->req = req;
	s->flags = flags;
	s->what = xasprintf("%s %s", req->method, req->path);
}

size_t
cmd_seq_failed(const struct cmd_seq *q)
{
	return q->failed;
}

const char *
cmd_seq_error(const struct cmd_seq *q)
{
	return q->first_error;
}

static void
cmd_seq_free(struct cmd_seq *q)
{
	size_t	 i;

	for (i = 0; i < q->n; i++) {
		matrix_req_free(q->steps[i].req);
		free(q->steps[i].what);
	}
	free(q->steps);
	free(q->first_error);
	free(q);
}

static void	cmd_seq_step(struct cmd_ctx *, struct cmd_seq *);

static void
cmd_seq_answer(struct cmd_ctx *ctx, const struct client_result *res, void *arg)
{
	struct cmd_seq		*q = arg;
	struct cmd_seq_step	*s = &q->steps[q->next - 1];

	if (!res->ok) {
		log_info("cmd", "%s: %s", s->what, res->err != NULL ?
		    res->err->msg : "failed");
		if (!(s->flags & CMD_SEQ_OPTIONAL)) {
			if (q->failed++ == 0)
				q->first_error = xstrdup(res->err != NULL ?
				    res->err->msg : "request failed");
			if (s->flags & CMD_SEQ_STOP)
				q->next = q->n;
		}
		/* Shutting down: the rest is not sent. */
		if (res->cancelled)
			q->next = q->n;
	}
	cmd_seq_step(ctx, q);
}

/* Send the next step, or finish. */
static void
cmd_seq_step(struct cmd_ctx *ctx, struct cmd_seq *q)
{
	struct cmd_seq_step	*s;
	struct matrix_req	*req;

	if (q->next >= q->n) {
		if (q->done != NULL)
			q->done(ctx, q, q->arg);
		cmd_seq_free(q);
		return;
	}
	s = &q->steps[q->next++];
	req = s->req;
	s->req = NULL;
	cmd_call(ctx, req, cmd_seq_answer, q);
}

/* Run the steps in order; the sequence is the runner's from now on. */
void
cmd_seq_run(struct cmd_ctx *ctx, struct cmd_seq *q)
{
	cmd_seq_step(ctx, q);
}
