/* Commands' requests: through the client, answers back to the command. */
#include "haos/cmd.h"

#include <stdlib.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/matrix.h"
#include "haos/xmalloc.h"

/* A command's completion: its callback, its context and what it owns. */
struct cmd_call {
	struct cmd_ctx	*ctx;
	cmd_done_cb	 cb;
	void		*arg;
};

/* Run the command's callback; without one, report a failure. */
static void
cmd_call_done(void *p, const struct client_result *res)
{
	struct cmd_call	*c = p;

	if (c->cb != NULL)
		c->cb(c->ctx, res, c->arg);
	else if (!res->ok && !res->cancelled)
		cmd_error(c->ctx, "%s", res->err->msg);
}

/*
 * Make req; cb(ctx, result, arg) runs exactly once with the answer, or
 * cancelled at shutdown.  The callback owns arg (frees it if it must).
 */
uint64_t
cmd_call(struct cmd_ctx *ctx, struct matrix_req *req, cmd_done_cb cb,
    void *arg)
{
	struct cmd_call		*c;

	/* Without a client, client_request() completes it as cancelled. */
	c = xcalloc(1, sizeof *c);
	c->ctx = ctx;
	c->cb = cb;
	c->arg = arg;
	return client_request(ctx->client, req,
	    (struct client_done){ cmd_call_done, c, free });
}

/* Route one answer to the command that asked; 0 if it was ours. */
int
cmd_result(struct cmd_ctx *ctx, const struct net_result *res)
{
	if (ctx->client == NULL)
		return -1;
	return client_deliver(ctx->client, res);
}

/* Cancel what the commands still wait for: each callback runs once. */
void
cmd_ctx_clear(struct cmd_ctx *ctx)
{
	if (ctx->client != NULL)
		client_cancel_all(ctx->client);
}
