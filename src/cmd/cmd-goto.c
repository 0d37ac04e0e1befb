/* /goto: select a server, channel or conversation by name (no HTTP). */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/xmalloc.h"

static enum cmd_retval
cmd_goto_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	char	*id;
	int	 rc;

	id = cmd_resolve_room(ctx, a->argv[0]);
	if (id == NULL)
		return CMD_RETURN_ERROR;
	rc = ctx->ui->action(ctx->ui_arg, UI_ACT_GOTO, id);
	free(id);
	return rc == 0 ? CMD_RETURN_NORMAL : CMD_RETURN_ERROR;
}

/*
 * In the client, switch to room_id (a room or a server) once it has
 * arrived joined: what a command just made or joined.
 */
void
cmd_goto_follow(struct cmd_ctx *ctx, const char *room_id)
{
	if (ctx->ui != NULL && room_id != NULL)
		ctx->ui->action(ctx->ui_arg, UI_ACT_FOLLOW, room_id);
}

const struct cmd_entry cmd_goto_entry = {
	.name = "goto",
	.alias = "switch",
	.args = { 1, 1 },
	.usage = "#channel|server|@user|!room_id",
	.help = "Switch to a channel, server or direct conversation",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = CMD_UI | CMD_RAW,
	.exec = cmd_goto_exec,
	.kinds = { CMD_ARG_CHANNEL }
};
