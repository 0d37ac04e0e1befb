/* The default command: a typed line becomes m.room.message (and /me). */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"

static enum cmd_retval	cmd_send_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_send_entry = {
	.name = "send",
	.alias = NULL,
	.args = { 1, 1 },
	.usage = "text",
	.help = "Send a message to the channel (what a line without / does)",
	.target = CMD_TARGET_ROOM,
	.power = POWER_GUEST,
	.flags = CMD_RAW | CMD_TEXT,
	.exec = cmd_send_exec
};

const struct cmd_entry cmd_me_entry = {
	.name = "me",
	.alias = NULL,
	.args = { 1, 1 },
	.usage = "action",
	.help = "Send an emote (\"* alice waves\")",
	.target = CMD_TARGET_ROOM,
	.power = POWER_GUEST,
	.flags = CMD_RAW | CMD_TEXT,
	.exec = cmd_send_exec
};

/* Queue body as m.text (or m.emote) into the selected room's outbox. */
static enum cmd_retval
cmd_send_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct client_msg	 msg;
	char			*body;
	size_t			 len;
	int			 rc;

	body = cmd_emoji_expand(a->argv[0]);
	/* Trailing newlines (a paste ending in Enter) are not content. */
	len = strlen(body);
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		body[--len] = '\0';
	if (len == 0) {
		free(body);
		return CMD_RETURN_NORMAL;
	}
	memset(&msg, 0, sizeof msg);
	msg.msgtype = ctx->current == &cmd_me_entry ? "m.emote" : "m.text";
	msg.body = body;
	rc = client_send(ctx->client, ctx->room_id, &msg, &err);
	free(body);
	if (rc == -1) {
		cmd_error(ctx, "%s", err.msg);
		return CMD_RETURN_ERROR;
	}
	return CMD_RETURN_NORMAL;
}
