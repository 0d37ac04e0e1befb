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
	*label = cmd_room_name(ctx->store, &r);
	room_row_free(&r);
	return id;
}

/* One /accept in flight: the label, and the peer if it is a DM. */
struct cmd_accept {
	char	*label;
	char	*room_id;
	char	*peer;		/* invited with is_direct by this user */
};

static void
cmd_accept_done(struct cmd_ctx *ctx, const struct client_result *res, void *arg)
{
	struct cmd_accept	*acc = arg;

	if (res->ok) {
		cmd_info(ctx, "joined %s", acc->label);
		/* A DM invite is a DM once accepted: m.direct says so. */
		if (acc->peer != NULL)
			cmd_dm_record(ctx, acc->peer, acc->room_id);
	} else
		cmd_error(ctx, "cannot join %s: %s", acc->label,
		    res->err != NULL ? res->err->msg : "failed");
	free(acc->label);
	free(acc->room_id);
	free(acc->peer);
	free(acc);
}

/*
 * Accept an invite: a server's joins the space and every channel it
 * lists (as /join does); a DM's is recorded in m.direct.
 */
static enum cmd_retval
cmd_accept_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct room_row		 r;
	struct cmd_accept	*acc;
	char			*id, *label;
	int			 space = 0;

	id = cmd_accept_target(ctx, a, &label);
	if (id == NULL)
		return CMD_RETURN_ERROR;
	acc = xcalloc(1, sizeof *acc);
	acc->label = label;
	acc->room_id = id;
	if (store_query_room(ctx->store, id, &r, &err) == 1) {
		space = r.is_space;
		if (r.is_direct && r.direct_user != NULL)
			acc->peer = xstrdup(r.direct_user);
		room_row_free(&r);
	}
	cmd_info(ctx, "joining %s...", label);
	if (space) {
		free(acc->label);
		free(acc);
		cmd_join_start(ctx, id);
		free(id);
		return CMD_RETURN_WAIT;
	}
	cmd_call(ctx, matrix_req_join(id, NULL), cmd_accept_done, acc);
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
