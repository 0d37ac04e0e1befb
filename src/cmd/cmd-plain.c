/* /plain: a message sent exactly as typed, no Markdown. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_plain_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_plain_entry = {
	.name = "plain",
	.alias = NULL,
	.args = { 1, 1 },
	.usage = "text",
	.help = "Send text as typed: no Markdown, no formatted body",
	.target = CMD_TARGET_ROOM,
	.power = POWER_GUEST,
	.flags = CMD_RAW | CMD_TEXT,
	.exec = cmd_plain_exec
};

/*
 * The text goes as m.text with the body exactly as typed (no :emoji:
 * either); members mentioned are still in m.mentions, so they are told.
 */
static enum cmd_retval
cmd_plain_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct client_msg	 msg;
	char			*body;
	size_t			 len;
	int			 rc;

	body = xstrdup(a->argv[0]);
	/* Trailing newlines (a paste ending in Enter) are not content. */
	len = strlen(body);
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		body[--len] = '\0';
	if (len == 0) {
		free(body);
		return CMD_RETURN_NORMAL;
	}
	memset(&msg, 0, sizeof msg);
	msg.msgtype = "m.text";
	msg.body = body;
	msg.plain = 1;
	rc = client_send(ctx->client, ctx->room_id, &msg, &err);
	free(body);
	if (rc == -1) {
		cmd_error(ctx, "%s", err.msg);
		return CMD_RETURN_ERROR;
	}
	return CMD_RETURN_NORMAL;
}
