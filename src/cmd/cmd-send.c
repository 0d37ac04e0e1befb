/* The default command: a typed line becomes m.room.message (and /me). */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/mention.h"
#include "haos/model.h"
#include "haos/net.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

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
	.flags = CMD_RAW,
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
	.flags = CMD_RAW,
	.exec = cmd_send_exec
};

/* Refuse to send into a room we have not joined. */
static int
cmd_send_check_room(struct cmd_ctx *ctx)
{
	struct haos_error	 err;
	struct room_row		 r;
	int			 rc, ok = 1;

	if (ctx->store == NULL)
		return 1;
	rc = store_query_room(ctx->store, ctx->room_id, &r, &err);
	if (rc == 1 && r.join == ROOM_INVITE) {
		cmd_error(ctx, "you are invited here: /accept or /decline "
		    "first");
		ok = 0;
	} else if (rc == 1 && r.is_space) {
		cmd_error(ctx, "select a channel of the server first");
		ok = 0;
	}
	if (rc == 1)
		room_row_free(&r);
	return ok;
}

/* Queue body as m.text (or m.emote) into the selected room's outbox. */
static enum cmd_retval
cmd_send_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char	*msgtype;
	json_t		*c;
	char		*body, *text;
	size_t		 len;

	if (!cmd_send_check_room(ctx))
		return CMD_RETURN_ERROR;
	body = cmd_emoji_expand(a->argv[0]);
	/* Trailing newlines (a paste ending in Enter) are not content. */
	len = strlen(body);
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		body[--len] = '\0';
	if (len == 0) {
		free(body);
		return CMD_RETURN_NORMAL;
	}
	msgtype = ctx->current == &cmd_me_entry ? "m.emote" : "m.text";
	c = json_pack("{s:s, s:s}", "msgtype", msgtype, "body", body);
	/* "@Bob" and "@bob:server" of members become real mentions. */
	mention_room(ctx->store, ctx->room_id, c, body);
	text = json_xdumps(c);
	json_decref(c);
	cmd_submit(ctx, net_job_send(ctx->room_id, "m.room.message", text));
	free(text);
	free(body);
	return CMD_RETURN_NORMAL;
}
