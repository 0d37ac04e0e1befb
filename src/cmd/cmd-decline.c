/* /decline [room]: refuse a pending invite (leave the room). */
#include "haos/cmd.h"

#include <stdlib.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/matrix.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"

static void
cmd_decline_done(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	char	*label = arg;

	if (res->ok)
		cmd_info(ctx, "declined the invite to %s", label);
	else
		cmd_error(ctx, "cannot decline %s: %s", label,
		    res->err != NULL ? res->err->msg : "failed");
	free(label);
}

/*
 * Decline an invite; a server's declines the channel invites that came
 * with it too.  The selected invite declined, the next one is selected.
 */
static enum cmd_retval
cmd_decline_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct cmd_batch	*b;
	char			*id, *label, *what, *clean, **ids, **labels;
	size_t			 n, i;

	id = cmd_accept_target(ctx, a, &label);
	if (id == NULL)
		return CMD_RETURN_ERROR;
	n = cmd_invite_channels(ctx, id, &ids, &labels);
	if (n == 0)
		cmd_call(ctx, matrix_req_leave(id), cmd_decline_done, label);
	else {
		clean = sanitize_text(label, (size_t)-1, 0);
		what = xasprintf("invite to %s", clean);
		b = cmd_batch_new(ctx, what, "declined",
		    "/decline again to retry", 1);
		cmd_batch_unit(b, "invite", "invites");
		free(what);
		what = xasprintf("server %s", clean);
		cmd_batch_add(b, what, matrix_req_leave(id), 0);
		free(what);
		free(clean);
		for (i = 0; i < n; i++)
			cmd_batch_add(b, labels[i], matrix_req_leave(ids[i]),
			    0);
		free(label);
		cmd_batch_start(b);
	}
	cmd_strings_free(ids, n);
	cmd_strings_free(labels, n);
	if (a->argc == 0)
		cmd_invite_next(ctx, id);
	free(id);
	return CMD_RETURN_WAIT;
}

const struct cmd_entry cmd_decline_entry = {
	.name = "decline",
	.alias = NULL,
	.args = { 0, 1 },
	.usage = "[#channel|server|@user]",
	.help = "Decline a pending invite (default: the selected one)",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = CMD_RAW,
	.exec = cmd_decline_exec,
	.kinds = { CMD_ARG_CHANNEL }
};
