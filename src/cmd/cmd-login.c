/* /login: the password prompt again, after the server dropped the session. */
#include "haos/cmd.h"

static enum cmd_retval
cmd_login_exec(struct cmd_ctx *ctx, const struct cmd_args *a __unused)
{
	if (ctx->ui->action(ctx->ui_arg, UI_ACT_RELOGIN, NULL) == -1)
		return CMD_RETURN_ERROR;
	return CMD_RETURN_NORMAL;
}

const struct cmd_entry cmd_login_entry = {
	.name = "login",
	.alias = NULL,
	.args = { 0, 0 },
	.usage = "",
	.help = "Log in again when the server has ended the session",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = CMD_UI,
	.exec = cmd_login_exec
};
