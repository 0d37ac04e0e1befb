/* /invite @user:server: to the server (space) and every channel of it. */
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

static enum cmd_retval
cmd_invite_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct cmd_batch	*b = NULL;
	char			**ids, **labels, *who, *what;
	size_t			 n, i;

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
		cmd_info(ctx, "invite: %s is already in the server and all "
		    "its channels", who);
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
	.help = "Invite a user to the server and all its channels",
	.target = CMD_TARGET_SERVER,
	.power = POWER_GUEST,		/* invite is 0 in the 4.2 template */
	.flags = 0,
	.exec = cmd_invite_exec,
	.kinds = { CMD_ARG_USER }
};
