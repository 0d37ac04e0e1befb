/* /server leave and /server delete: every channel, then the space. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/sanitize.h"
#include "haos/space.h"
#include "haos/store.h"
#include "haos/xmalloc.h"


/* Add leaving every channel of space, then the space, to q. */
static void
cmd_server_add_leaves(struct cmd_ctx *ctx, struct cmd_seq *q,
    const char *space, int kick)
{
	struct haos_error	 err;
	struct room_row		*r = NULL;
	struct member_row	*m = NULL;
	size_t			 n = 0, nm, i, j;
	const char		**rooms;
	size_t			 nrooms = 0;

	if (ctx->store != NULL)
		space_channels(ctx->store, space, &r, &n, &err);
	rooms = xcalloc(n + 1, sizeof *rooms);
	for (i = 0; i < n; i++)
		rooms[nrooms++] = r[i].room_id;
	rooms[nrooms++] = space;
	for (i = 0; i < nrooms; i++) {
		if (kick && ctx->store != NULL && store_query_members(
		    ctx->store, rooms[i], &m, &nm, &err) == 0) {
			for (j = 0; j < nm; j++) {
				if (strcmp(m[j].user_id, ctx->me) == 0 ||
				    m[j].membership == NULL ||
				    (strcmp(m[j].membership, "join") != 0 &&
				    strcmp(m[j].membership, "invite") != 0))
					continue;
				cmd_seq_add(q, matrix_req_member(rooms[i],
				    "kick", m[j].user_id, "server deleted"),
				    CMD_SEQ_OPTIONAL);
			}
			member_rows_free(m, nm);
		}
		cmd_seq_add(q, matrix_req_leave(rooms[i]), 0);
	}
	free(rooms);
	room_rows_free(r, n);
}

static void
cmd_server_leave_done(struct cmd_ctx *ctx, struct cmd_seq *q, void *arg)
{
	char	*msg = arg;

	if (cmd_seq_failed(q) > 0)
		cmd_error(ctx, "%s: %zu failed: %s", msg, cmd_seq_failed(q),
		    cmd_seq_error(q));
	else
		cmd_info(ctx, "%s", msg);
	free(msg);
}

/*
 * /server leave: the server it acts on is named in a question first, and
 * its name (or id) confirms, so that it never leaves one by surprise.
 */
static enum cmd_retval
cmd_server_leave_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct room_row		 sr, *r = NULL;
	struct cmd_seq		*q;
	const char		*space;
	char			*label, *confirm, *name = NULL;
	size_t			 n = 0;
	int			 ok;

	space = ctx->server_id;
	if (ctx->store != NULL && store_query_room(ctx->store, space, &sr,
	    &err) == 1) {
		name = sr.name != NULL ? xstrdup(sr.name) : NULL;
		room_row_free(&sr);
	}
	confirm = cmd_server_words(a, 0);
	ok = confirm != NULL && (strcmp(confirm, space) == 0 ||
	    (name != NULL && strcmp(confirm, name) == 0));
	free(confirm);
	free(name);
	label = cmd_room_label(ctx, space);
	if (!ok) {
		if (ctx->store != NULL)
			space_channels(ctx->store, space, &r, &n, &err);
		room_rows_free(r, n);
		cmd_error(ctx, "server leave: this leaves %s and its %zu "
		    "channel%s; to confirm: /server leave %s", label, n,
		    n == 1 ? "" : "s", label);
		free(label);
		return CMD_RETURN_ERROR;
	}
	q = cmd_seq_new(cmd_server_leave_done,
	    xasprintf("left server %s and its channels", label));
	free(label);
	cmd_server_add_leaves(ctx, q, space, 0);
	cmd_seq_run(ctx, q);
	return CMD_RETURN_WAIT;
}

/*
 * /server delete: the owner marks the server deleted
 * (io.haos.server_deleted), removes its invite alias and directory entry,
 * kicks everyone it can and leaves every room.  Without the server's name
 * as confirmation it only says what it would do.
 */
static enum cmd_retval
cmd_server_delete_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct room_row		 sr;
	struct timespec		 ts;
	struct cmd_seq		*q;
	const char		*space;
	json_t			*c;
	char			*code = NULL, *owner = NULL, *name, *confirm;
	char			*label, *body, *via, *alias, *how, *effect;
	int			 ok;

	space = ctx->server_id;
	if (ctx->store == NULL || space_server_info(ctx->store, space, &code,
	    &owner, &err) != 1) {
		cmd_error(ctx, "server delete: not a HAOS server (no "
		    "io.haos.server state)");
		return CMD_RETURN_ERROR;
	}
	if (owner == NULL || strcmp(owner, ctx->me) != 0) {
		label = sanitize_text(owner != NULL ? owner : "nobody",
		    (size_t)-1, 0);
		cmd_error(ctx, "server delete: only the owner (%s) can "
		    "delete the server", label);
		free(label);
		free(code);
		free(owner);
		return CMD_RETURN_ERROR;
	}
	free(owner);
	name = NULL;
	if (store_query_room(ctx->store, space, &sr, &err) == 1) {
		name = sr.name != NULL ? xstrdup(sr.name) : NULL;
		room_row_free(&sr);
	}
	confirm = cmd_server_words(a, 0);
	ok = confirm != NULL && (strcmp(confirm, space) == 0 ||
	    (name != NULL && strcmp(confirm, name) == 0));
	label = sanitize_text(name != NULL ? name : space, (size_t)-1, 0);
	if (!ok) {
		how = xasprintf("/server delete %s", label);
		effect = xasprintf("removes %s for everyone: its members are "
		    "kicked from every channel and its invite stops working",
		    label);
		cmd_confirm(ctx, "server delete", how, effect);
		free(how);
		free(effect);
		free(label);
		free(name);
		free(confirm);
		free(code);
		return CMD_RETURN_ERROR;
	}
	q = cmd_seq_new(cmd_server_leave_done,
	    xasprintf("deleted server %s", label));
	clock_gettime(CLOCK_REALTIME, &ts);
	c = space_deleted_content(ctx->me, (long long)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000);
	body = json_xdumps(c);
	cmd_seq_add(q, matrix_req_state_put(space, "io.haos.server_deleted",
	    "", body), CMD_SEQ_STOP);
	free(body);
	json_decref(c);
	via = space_server_name(ctx->me);
	if (code != NULL && via != NULL && space_valid_code(code)) {
		alias = space_invite_alias(code, via);
		cmd_seq_add(q, matrix_req_alias_delete(alias),
		    CMD_SEQ_OPTIONAL);
		free(alias);
	}
	cmd_seq_add(q, matrix_req_visibility(space, 0), CMD_SEQ_OPTIONAL);
	cmd_server_add_leaves(ctx, q, space, 1);
	cmd_seq_run(ctx, q);
	free(via);
	free(label);
	free(name);
	free(confirm);
	free(code);
	return CMD_RETURN_WAIT;
}

const struct cmd_entry cmd_server_leave_entry = {
	.name = "leave",
	.alias = NULL,
	.args = { 0, -1 },
	.usage = "[NAME]",
	.help = "Leave the server and every channel of it (NAME confirms)",
	.target = CMD_TARGET_SERVER,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_server_leave_exec,
	.kinds = { CMD_ARG_SERVER }
};

const struct cmd_entry cmd_server_delete_entry = {
	.name = "delete",
	.alias = NULL,
	.args = { 0, -1 },
	.usage = "[NAME]",
	.help = "Delete the server for everyone (its owner; NAME confirms)",
	.target = CMD_TARGET_SERVER,
	.power = POWER_GUEST,		/* the owner only: checked in exec */
	.flags = 0,
	.exec = cmd_server_delete_exec,
	.kinds = { CMD_ARG_SERVER }
};
