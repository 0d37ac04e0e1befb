/* /react EMOJI [event]: add a reaction, or take back one already given. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/model.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_react_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_react_entry = {
	.name = "react",
	.alias = NULL,
	.args = { 1, 2 },
	.usage = "emoji|:shortcode: [$event]",
	.help = "React to the selected or newest message; again to remove",
	.target = CMD_TARGET_ROOM,
	.power = POWER_GUEST,
	.exec = cmd_react_exec,
	.kinds = { CMD_ARG_EMOJI }
};

static enum cmd_retval
cmd_react_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct event_row	 ev;
	char			*key, *mine = NULL;
	size_t			 len;
	int			 rc;
	enum cmd_retval		 ret = CMD_RETURN_ERROR;

	key = cmd_emoji_expand(a->argv[0]);
	len = strlen(key);
	if (len == 0 || (len > 1 && key[0] == ':' && key[len - 1] == ':')) {
		cmd_error(ctx, "react: unknown emoji %s (Tab completes "
		    ":shortcodes:)", a->argv[0]);
		free(key);
		return CMD_RETURN_ERROR;
	}
	if (cmd_relate_target(ctx, a->argc > 1 ? a->argv[1] : NULL,
	    &ev) == -1) {
		free(key);
		return CMD_RETURN_ERROR;
	}
	if (ev.event_id == NULL || ev.redacted) {
		cmd_error(ctx, "react: %s", ev.redacted ?
		    "that message is deleted" : "that message is not sent yet");
		goto out;
	}
	rc = store_query_my_reaction(ctx->store, ctx->room_id, ev.event_id,
	    key, ctx->me != NULL ? ctx->me : "", &mine, &err);
	if (rc == -1) {
		cmd_error(ctx, "react: %s", err.msg);
		goto out;
	}
	if (rc == 1) {
		/* Choosing a reaction again takes it back. */
		client_redact(ctx->client, ctx->room_id, mine, NULL);
	} else
		client_react(ctx->client, ctx->room_id, ev.event_id, key);
	ret = CMD_RETURN_NORMAL;
out:
	free(mine);
	free(key);
	event_row_free(&ev);
	return ret;
}
