/* /topic [TEXT]: show or set the selected channel's topic. */
#include "haos/cmd.h"

#include <stdlib.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_topic_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_topic_entry = {
	.name = "topic",
	.alias = NULL,
	.args = { 0, 1 },
	.usage = "[text]",
	.help = "Show the channel topic, or set it (moderator+)",
	.target = CMD_TARGET_ROOM,
	.power = POWER_GUEST,
	.flags = CMD_RAW,
	.exec = cmd_topic_exec
};

static void
cmd_topic_done(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg __unused)
{
	if (res->ok)
		cmd_info(ctx, "topic set");
	else
		cmd_error(ctx, "topic: %s", res->err != NULL ? res->err->msg :
		    "failed");
}

/* The level m.room.topic needs in the room (events, else state_default). */
static int64_t
cmd_topic_level(struct cmd_ctx *ctx)
{
	struct haos_error	 err;
	json_t			*pl, *v;
	char			*text = NULL;
	int64_t			 level = POWER_MODERATOR;

	if (store_query_state(ctx->store, ctx->room_id, "m.room.power_levels",
	    "", &text, &err) == -1 || text == NULL)
		return level;
	pl = json_load_stored(text);
	free(text);
	v = json_object_get(json_object_get(pl, "events"), "m.room.topic");
	level = json_is_integer(v) ? json_integer_value(v) :
	    json_get_int(pl, "state_default", 50);
	json_decref(pl);
	return level;
}

static enum cmd_retval
cmd_topic_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct room_row		 r;
	json_t			*c;
	int64_t			 need, mine;
	char			*body, *clean;

	if (a->argc == 0) {
		if (ctx->store != NULL && store_query_room(ctx->store,
		    ctx->room_id, &r, &err) == 1) {
			clean = sanitize_text(r.topic != NULL ? r.topic : "",
			    (size_t)-1, 0);
			cmd_info(ctx, "topic: %s", *clean != '\0' ? clean :
			    "(none)");
			free(clean);
			room_row_free(&r);
		} else
			cmd_info(ctx, "topic: (none)");
		return CMD_RETURN_NORMAL;
	}
	need = cmd_topic_level(ctx);
	mine = cmd_power_of(ctx, ctx->room_id, ctx->me);
	if (mine < 0)
		mine = 0;
	if (mine < need) {
		cmd_error(ctx, "topic needs %s (%lld); you are %s (%lld)",
		    cmd_role_name(need), (long long)need, cmd_role_name(mine),
		    (long long)mine);
		return CMD_RETURN_ERROR;
	}
	c = json_pack("{s:s}", "topic", a->argv[0]);
	body = json_xdumps(c);
	json_decref(c);
	cmd_call(ctx, matrix_req_state_put(ctx->room_id, "m.room.topic", "",
	    body), cmd_topic_done, NULL);
	free(body);
	return CMD_RETURN_WAIT;
}
