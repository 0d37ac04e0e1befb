/* /kick, /ban, /unban @user [reason]: on the space and all its channels. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_kick_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_ban_entry = {
	.name = "ban",
	.alias = NULL,
	.args = { 1, -1 },
	.usage = "@user [reason]",
	.help = "Ban a member from the server and all its channels",
	.target = CMD_TARGET_SERVER,
	.power = POWER_MODERATOR,
	.flags = 0,
	.exec = cmd_kick_exec,
	.kinds = { CMD_ARG_USER }
};

const struct cmd_entry cmd_kick_entry = {
	.name = "kick",
	.alias = NULL,
	.args = { 1, -1 },
	.usage = "@user [reason]",
	.help = "Remove a member from the server and all its channels",
	.target = CMD_TARGET_SERVER,
	.power = POWER_MODERATOR,
	.flags = 0,
	.exec = cmd_kick_exec,
	.kinds = { CMD_ARG_USER }
};

const struct cmd_entry cmd_unban_entry = {
	.name = "unban",
	.alias = NULL,
	.args = { 1, -1 },
	.usage = "@user [reason]",
	.help = "Lift a ban in the server and all its channels",
	.target = CMD_TARGET_SERVER,
	.power = POWER_MODERATOR,
	.flags = 0,
	.exec = cmd_kick_exec,
	.kinds = { CMD_ARG_USER }
};

/* Join the words after the user into the reason, or NULL. */
static char *
cmd_kick_reason(const struct cmd_args *a)
{
	char	*r = NULL, *tmp;
	int	 i;

	for (i = 1; i < a->argc; i++) {
		tmp = xasprintf("%s%s%s", r != NULL ? r : "",
		    r != NULL ? " " : "", a->argv[i]);
		free(r);
		r = tmp;
	}
	return r;
}

/*
 * POST rooms/{id}/kick|ban|unban in every room of the server.  A room
 * the user is not in (kick) or not banned from (unban) is skipped, not
 * failed; every other failure is listed.
 */
static enum cmd_retval
cmd_kick_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char		*verb = ctx->current->name;
	struct cmd_batch	*b;
	char			**ids, **labels, *user, *reason;
	char			*what, *done;
	size_t			 n, i;
	unsigned int		 flags = 0;

	user = cmd_user_id(ctx, a->argv[0]);
	if (user == NULL)
		return CMD_RETURN_ERROR;
	what = xasprintf("%s %s", verb, user);
	if (ctx->me != NULL && strcmp(user, ctx->me) == 0 &&
	    strcmp(verb, "unban") != 0) {
		cmd_error(ctx, "%s: that is you (use /leave or /server leave)",
		    verb);
		free(what);
		free(user);
		return CMD_RETURN_ERROR;
	}
	reason = cmd_kick_reason(a);
	if (strcmp(verb, "ban") != 0)
		flags |= CMD_BATCH_NOT_MEMBER;
	done = xstrdup(strcmp(verb, "kick") == 0 ? "removed" :
	    strcmp(verb, "ban") == 0 ? "banned" : "unbanned");
	b = cmd_batch_new(ctx, what, done, NULL, 0);
	n = cmd_server_rooms(ctx, ctx->server_id, &ids, &labels);
	for (i = 0; i < n; i++) {
		cmd_batch_add(b, labels[i], matrix_req_member(ids[i], verb,
		    user, reason), flags);
	}
	cmd_strings_free(ids, n);
	cmd_strings_free(labels, n);
	free(what);
	free(done);
	free(reason);
	free(user);
	cmd_batch_start(b);
	return CMD_RETURN_WAIT;
}
