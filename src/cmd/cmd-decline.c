/* /decline [room]: refuse a pending invite (leave the room). */
#include "haos/cmd.h"

#include <stdlib.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/matrix.h"
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

static enum cmd_retval
cmd_decline_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	char	*id, *label;

	id = cmd_accept_target(ctx, a, &label);
	if (id == NULL)
		return CMD_RETURN_ERROR;
	cmd_call(ctx, matrix_req_leave(id), cmd_decline_done, label);
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
