/* /invite @user:server: to the server (space) and its closed channels. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/model.h"
#include "haos/matrix.h"
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/* Is user already joined to room (by the cache)? */
static int
cmd_invite_joined(struct cmd_ctx *ctx, const char *room, const char *user)
{
	struct haos_error	 err;
	struct member_row	*m = NULL;
	size_t			 n = 0, i;
	int			 joined = 0;

	if (ctx->store == NULL || store_query_members(ctx->store, room, &m,
	    &n, &err) == -1)
		return 0;
	for (i = 0; i < n; i++) {
		if (strcmp(m[i].user_id, user) == 0 && m[i].membership !=
		    NULL && strcmp(m[i].membership, "join") == 0)
			joined = 1;
	}
	member_rows_free(m, n);
	return joined;
}

/*
 * Does room let the members of space in without an invite?  A HAOS
 * channel is restricted to its space (space.c); a public one is open.
 * Unknown join rules need the invite.
 */
static int
cmd_invite_open(struct cmd_ctx *ctx, const char *room, const char *space)
{
	struct haos_error	 err;
	json_t			*c, *allow, *a;
	const char		*rule;
	char			*text = NULL;
	size_t			 i;
	int			 open = 0;

	if (ctx->store == NULL || store_query_state(ctx->store, room,
	    "m.room.join_rules", "", &text, &err) != 0 || text == NULL) {
		free(text);
		return 0;
	}
	c = json_load_stored(text);
	free(text);
	rule = json_get_str(c, "join_rule", "");
	if (strcmp(rule, "public") == 0)
		open = 1;
	else if (strcmp(rule, "restricted") == 0 ||
	    strcmp(rule, "knock_restricted") == 0) {
		allow = json_get_arr(c, "allow");
		json_array_foreach(allow, i, a) {
			if (strcmp(json_get_str(a, "type", ""),
			    "m.room_membership") == 0 && strcmp(json_get_str(a,
			    "room_id", ""), space) == 0)
				open = 1;
		}
	}
	json_decref(c);
	return open;
}

static enum cmd_retval
cmd_invite_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct cmd_batch	*b = NULL;
	char			**ids, **labels, *who, *what;
	size_t			 n, i, open = 0;

	if (!matrix_valid_user_id(a->argv[0])) {
		cmd_error(ctx, "invite: not a user id (@name:server): %s",
		    a->argv[0]);
		return CMD_RETURN_ERROR;
	}
	who = sanitize_text(a->argv[0], (size_t)-1, 0);
	n = cmd_server_rooms(ctx, ctx->server_id, &ids, &labels);
	for (i = 0; i < n; i++) {
		/* Already there: an invite would only be refused. */
		if (cmd_invite_joined(ctx, ids[i], a->argv[0]))
			continue;
		/*
		 * A channel open to the server's members needs none: the
		 * invitee gets one invite, the server's, and /accept joins
		 * its channels (as the web app's invite does).
		 */
		if (i > 0 && cmd_invite_open(ctx, ids[i], ctx->server_id)) {
			open++;
			continue;
		}
		if (b == NULL) {
			what = xasprintf("invite %s", who);
			b = cmd_batch_new(ctx, what, "invited",
			    "/invite again to retry", 1);
			free(what);
		}
		cmd_batch_add(b, labels[i], matrix_req_member(ids[i],
		    "invite", a->argv[0], NULL), 0);
	}
	cmd_strings_free(ids, n);
	cmd_strings_free(labels, n);
	if (b == NULL) {
		cmd_info(ctx, open > 0 ? "invite: %s is already in the "
		    "server, whose channels are open to its members" :
		    "invite: %s is already in the server and all its "
		    "channels", who);
		free(who);
		return CMD_RETURN_NORMAL;
	}
	free(who);
	cmd_batch_start(b);
	return CMD_RETURN_WAIT;
}

const struct cmd_entry cmd_invite_entry = {
	.name = "invite",
	.alias = NULL,
	.args = { 1, 1 },
	.usage = "@user:server",
	.help = "Invite a user to the server (and its invite-only channels)",
	.target = CMD_TARGET_SERVER,
	.power = POWER_GUEST,		/* invite is 0 in the 4.2 template */
	.flags = 0,
	.exec = cmd_invite_exec,
	.kinds = { CMD_ARG_USER }
};
