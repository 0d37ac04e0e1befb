/* /leave [room]: leave the selected channel, DM or room. */
#include "haos/cmd.h"

#include <stdlib.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_leave_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_leave_entry = {
	.name = "leave",
	.alias = NULL,
	.args = { 0, 1 },
	.usage = "[#channel|room]",
	.help = "Leave the selected channel or room (or the one named)",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = CMD_RAW,
	.exec = cmd_leave_exec,
	.kinds = { CMD_ARG_CHANNEL }
};

/* Report by the room's name (sanitised in arg), never its id. */
static void
cmd_leave_done(struct cmd_ctx *ctx, const struct client_result *res, void *arg)
{
	char	*label = arg;

	if (res->ok)
		cmd_info(ctx, "left %s", label);
	else
		cmd_error(ctx, "leave %s: %s", label, res->err != NULL ?
		    res->err->msg : "failed");
	free(label);
}

/* A channel as #name, a DM or room by its name; the id if unnamed. */
static char *
cmd_leave_label(struct cmd_ctx *ctx, const char *id)
{
	struct haos_error	 err;
	struct room_row		 r;
	char			*name, *out;

	if (ctx->store == NULL || store_query_room(ctx->store, id, &r,
	    &err) != 1)
		return sanitize_text(id, (size_t)-1, 0);
	name = sanitize_text(r.name != NULL ? r.name : id, (size_t)-1, 0);
	if (r.name != NULL && r.channel != CHANNEL_NONE) {
		out = xasprintf("#%s", name);
		free(name);
	} else
		out = name;
	room_row_free(&r);
	return out;
}

static enum cmd_retval
cmd_leave_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	char	*id;

	if (a->argc == 1)
		id = cmd_resolve_room(ctx, a->argv[0]);
	else if (ctx->room_id != NULL)
		id = xstrdup(ctx->room_id);
	else {
		cmd_error(ctx, ctx->ui == NULL ? "leave needs a channel: give "
		    "--channel NAME|ID" : "leave: no channel selected");
		return CMD_RETURN_ERROR;
	}
	if (id == NULL)
		return CMD_RETURN_ERROR;
	cmd_call(ctx, matrix_req_leave(id), cmd_leave_done,
	    cmd_leave_label(ctx, id));
	free(id);
	return CMD_RETURN_WAIT;
}
