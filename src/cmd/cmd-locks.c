/* /locks [on|off]: the lock before each encrypted message, shown or not. */
#include "haos/cmd.h"

#include <stddef.h>
#include <string.h>

/*
 * The client draws it (ui.message_locks at start): a lock per state of
 * the sender's device and identity (render_lock_glyph()), Message
 * details telling what it means.  Without an argument it flips.
 */
static enum cmd_retval
cmd_locks_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char	*word = a->argc > 0 ? a->argv[0] : NULL;

	if (word != NULL && strcmp(word, "on") != 0 &&
	    strcmp(word, "off") != 0) {
		cmd_error(ctx, "usage: locks %s", ctx->current->usage);
		return CMD_RETURN_ERROR;
	}
	if (ctx->ui->action(ctx->ui_arg, UI_ACT_LOCKS, word) == -1)
		return CMD_RETURN_ERROR;
	return CMD_RETURN_NORMAL;
}

const struct cmd_entry cmd_locks_entry = {
	.name = "locks",
	.args = { 0, 1 },
	.usage = "[on|off]",
	.help = "Show or hide the lock before encrypted messages",
	.flags = CMD_UI,
	.exec = cmd_locks_exec
};
