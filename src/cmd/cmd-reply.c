/* /reply [$event] text: answer a message with m.in_reply_to. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/model.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_reply_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_reply_entry = {
	.name = "reply",
	.alias = NULL,
	.args = { 1, 1 },
	.usage = "[$event] text",
	.help = "Reply to a message (the selected or newest one)",
	.target = CMD_TARGET_ROOM,
	.power = POWER_GUEST,
	.flags = CMD_RAW | CMD_TEXT,
	.exec = cmd_reply_exec
};

static enum cmd_retval
cmd_reply_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct client_msg	 msg;
	struct event_row	 ev;
	const char		*line = a->argv[0], *text = line;
	char			*id = NULL, *body;
	size_t			 len;
	int			 rc;

	if (*line == '$') {
		len = strcspn(line, " \n");
		id = xstrndup(line, len);
		text = line + len;
		text += strspn(text, " \n");
	}
	body = cmd_emoji_expand(text);
	len = strlen(body);
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		body[--len] = '\0';
	if (len == 0) {
		cmd_error(ctx, "usage: /reply %s", ctx->current->usage);
		goto fail;
	}
	if (cmd_relate_target(ctx, id, &ev) == -1)
		goto fail;
	if (ev.event_id == NULL) {
		cmd_error(ctx, "reply: that message is not sent yet");
		event_row_free(&ev);
		goto fail;
	}
	memset(&msg, 0, sizeof msg);
	msg.body = body;
	msg.rel = CLIENT_REL_REPLY;
	msg.target = ev.event_id;
	rc = client_send(ctx->client, ctx->room_id, &msg, &err);
	event_row_free(&ev);
	if (rc == -1) {
		cmd_error(ctx, "reply: %s", err.msg);
		goto fail;
	}
	free(body);
	free(id);
	return CMD_RETURN_NORMAL;
fail:
	free(body);
	free(id);
	return CMD_RETURN_ERROR;
}
