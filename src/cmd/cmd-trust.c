/* /trust @user: acknowledge a user's new identity (master key). */

/*
 * When a user's master key changes (crypto-xsign.c), messages to the
 * rooms they are in wait ("waiting: @bob's identity changed - /trust
 * @bob to continue").  /trust pins the new key, after the user checked
 * it out of band; the waiting messages then go.
 */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/sanitize.h"
#include "haos/store-xsign.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_trust_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_trust_entry = {
	.name = "trust",
	.alias = NULL,
	.args = { 1, 1 },
	.usage = "@user",
	.help = "Accept a user's new identity (changed master key) and "
	    "send to them again",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_trust_exec,
	.kinds = { CMD_ARG_USER }
};

struct cmd_trust {
	struct cmd_ctx	*ctx;
	char		*user;		/* sanitised */
};

static void
cmd_trust_free(void *arg)
{
	struct cmd_trust	*t = arg;

	free(t->user);
	free(t);
}

static void
cmd_trust_done(void *arg, const struct client_result *res)
{
	struct cmd_trust	*t = arg;

	if (res->cancelled)
		return;
	if (!res->ok)
		cmd_error(t->ctx, "trust: %s", res->err->msg);
	else if (res->body != NULL && strcmp(res->body, "1") == 0)
		cmd_info(t->ctx, "%s's new identity is trusted: sending to "
		    "them again", t->user);
	else
		cmd_info(t->ctx, "%s's identity has not changed: nothing to "
		    "accept", t->user);
}

static enum cmd_retval
cmd_trust_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct xsign_user	 u;
	struct cmd_trust	*t;
	char			*user, *clean;
	int			 rc;

	user = cmd_user_id(ctx, a->argv[0]);
	if (user == NULL)
		return CMD_RETURN_ERROR;
	clean = sanitize_text(user, (size_t)-1, 0);
	rc = ctx->store != NULL ? store_xsign_user(ctx->store, user, &u,
	    &err) : 0;
	if (rc == -1) {
		cmd_error(ctx, "trust: %s", err.msg);
		free(user);
		free(clean);
		return CMD_RETURN_ERROR;
	}
	if (rc == 0 || !u.changed) {
		cmd_info(ctx, "%s's identity has not changed: nothing to "
		    "accept", clean);
		if (rc == 1)
			xsign_user_free(&u);
		free(user);
		free(clean);
		return CMD_RETURN_NORMAL;
	}
	xsign_user_free(&u);
	t = xcalloc(1, sizeof *t);
	t->ctx = ctx;
	t->user = clean;
	client_trust(ctx->client, user, (struct client_done){ cmd_trust_done,
	    t, cmd_trust_free });
	free(user);
	return CMD_RETURN_WAIT;
}
