/* /reply [$event] text: answer a message with m.in_reply_to. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/json.h"
#include "haos/model.h"
#include "haos/net.h"
#include "haos/relation.h"
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
	.flags = CMD_RAW,
	.exec = cmd_reply_exec
};

static enum cmd_retval
cmd_reply_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct event_row	 ev;
	const char		*line = a->argv[0], *text = line;
	char			*id = NULL, *body, *content;
	size_t			 len;

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
	content = relation_reply(ev.event_id, NULL, body);
	cmd_submit(ctx, net_job_send(ctx->room_id, "m.room.message",
	    content));
	free(content);
	event_row_free(&ev);
	free(body);
	free(id);
	return CMD_RETURN_NORMAL;
fail:
	free(body);
	free(id);
	return CMD_RETURN_ERROR;
}
