/* /quit: leave the client (unsent messages stay in the outbox). */
#include "haos/cmd.h"

static enum cmd_retval
cmd_quit_exec(struct cmd_ctx *ctx __unused, const struct cmd_args *a __unused)
{
	return CMD_RETURN_QUIT;
}

const struct cmd_entry cmd_quit_entry = {
	.name = "quit",
	.alias = "q",
	.args = { 0, 0 },
	.usage = "",
	.help = "Leave haos; unsent messages are sent next time",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_quit_exec
};
