/* Commands' requests: through the client, answers back to the command. */
#include "haos/cmd.h"

#include <stdlib.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/matrix.h"
#include "haos/store.h"
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

/* One cmd_fill(): the rooms still filling, then the command goes on. */
struct cmd_fill {
	struct cmd_ctx	*ctx;
	size_t		 left;
	size_t		 failed;
	cmd_fill_cb	 cb;
	void		*arg;
};

static void
cmd_fill_done(void *p, const struct client_result *res)
{
	struct cmd_fill	*f = p;

	if (!res->ok && !res->cancelled)
		f->failed++;
	if (--f->left > 0)
		return;
	f->cb(f->ctx, f->failed, f->arg);
	free(f);
}

/*
 * A command that reads history (/audit) on a cache whose first start has
 * not filled these rooms yet: fill each (one page, ahead of the
 * background), then cb(ctx, how many failed, arg) runs once.  Rooms the
 * store has filled already are not asked for.  Returns 0 if nothing was
 * needed (cb not called), 1 if cb will run.
 */
int
cmd_fill(struct cmd_ctx *ctx, char *const *room_ids, size_t n,
    cmd_fill_cb cb, void *arg)
{
	struct haos_error	 err;
	struct cmd_fill		*f;
	size_t			 i, want = 0;
	int			 pending;
	char			**need;

	if (ctx->store == NULL || ctx->client == NULL)
		return 0;
	need = xcalloc(n + 1, sizeof *need);
	for (i = 0; i < n; i++) {
		if (store_fill_pending(ctx->store, room_ids[i], &pending,
		    &err) == 0 && pending)
			need[want++] = room_ids[i];
	}
	if (want == 0) {
		free(need);
		return 0;
	}
	f = xcalloc(1, sizeof *f);
	f->ctx = ctx;
	f->left = want;
	f->cb = cb;
	f->arg = arg;
	for (i = 0; i < want; i++)
		client_fill(ctx->client, need[i],
		    (struct client_done){ cmd_fill_done, f, NULL });
	free(need);
	return 1;
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
