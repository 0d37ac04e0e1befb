/* /leave [room]: leave the selected channel, DM or room. */
#include "haos/cmd.h"

#include <stdlib.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/matrix.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_leave_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_leave_entry = {
	.name = "leave",
	.alias = NULL,
	.args = { 0, 1 },
	.usage = "[#channel|room]",
	.help = "Leave the selected channel or room (or the one named)",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = CMD_RAW,
	.exec = cmd_leave_exec,
	.kinds = { CMD_ARG_CHANNEL }
};

static void
cmd_leave_done(struct cmd_ctx *ctx, const struct client_result *res, void *arg)
{
	char	*id = arg, *clean;

	clean = sanitize_text(id, (size_t)-1, 0);
	if (res->ok)
		cmd_info(ctx, "left %s", clean);
	else
		cmd_error(ctx, "leave: %s", res->err != NULL ? res->err->msg :
		    "failed");
	free(clean);
	free(id);
}

static enum cmd_retval
cmd_leave_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	char	*id;

	if (a->argc == 1)
		id = cmd_resolve_room(ctx, a->argv[0]);
	else if (ctx->room_id != NULL)
		id = xstrdup(ctx->room_id);
	else {
		cmd_error(ctx, ctx->ui == NULL ? "leave needs a channel: give "
		    "--channel NAME|ID" : "leave: no channel selected");
		return CMD_RETURN_ERROR;
	}
	if (id == NULL)
		return CMD_RETURN_ERROR;
	cmd_call(ctx, matrix_req_leave(id), cmd_leave_done, id);
	return CMD_RETURN_WAIT;
}
