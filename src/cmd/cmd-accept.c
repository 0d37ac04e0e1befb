/* /accept [room]: join a room, channel, server or DM we are invited to. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/*
 * The invite an /accept or /decline means: the named room, else the
 * selected one if it is an invite.  Returns the room id and its label.
 */
char *
cmd_accept_target(struct cmd_ctx *ctx, const struct cmd_args *a,
    char **label)
{
	struct haos_error	 err;
	struct room_row		 r;
	char			*id;
	int			 rc;

	*label = NULL;
	if (a->argc == 1)
		id = cmd_resolve_room(ctx, a->argv[0]);
	else if (ctx->room_id != NULL)
		id = xstrdup(ctx->room_id);
	else {
		cmd_error(ctx, "%s: which invite?", ctx->current->name);
		return NULL;
	}
	if (id == NULL)
		return NULL;
	if (ctx->store == NULL) {
		free(id);
		cmd_error(ctx, "%s: no store", ctx->current->name);
		return NULL;
	}
	rc = store_query_room(ctx->store, id, &r, &err);
	if (rc != 1 || r.join != ROOM_INVITE) {
		cmd_error(ctx, "%s: no pending invite to %s",
		    ctx->current->name, a->argc == 1 ? a->argv[0] :
		    "the selected room");
		if (rc == 1)
			room_row_free(&r);
		free(id);
		return NULL;
	}
	*label = xstrdup(r.name != NULL ? r.name : r.direct_user != NULL ?
	    r.direct_user : id);
	room_row_free(&r);
	return id;
}

static void
cmd_accept_done(struct cmd_ctx *ctx, const struct client_result *res, void *arg)
{
	char	*label = arg;

	if (res->ok)
		cmd_info(ctx, "joined %s", label);
	else
		cmd_error(ctx, "cannot join %s: %s", label,
		    res->err != NULL ? res->err->msg : "failed");
	free(label);
}

static enum cmd_retval
cmd_accept_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	char	*id, *label;

	id = cmd_accept_target(ctx, a, &label);
	if (id == NULL)
		return CMD_RETURN_ERROR;
	cmd_info(ctx, "joining %s...", label);
	cmd_call(ctx, matrix_req_join(id, NULL), cmd_accept_done, label);
	free(id);
	return CMD_RETURN_WAIT;
}

const struct cmd_entry cmd_accept_entry = {
	.name = "accept",
	.alias = NULL,
	.args = { 0, 1 },
	.usage = "[#channel|server|@user]",
	.help = "Accept a pending invite (default: the selected one)",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = CMD_RAW,
	.exec = cmd_accept_exec,
	.kinds = { CMD_ARG_CHANNEL }
};
