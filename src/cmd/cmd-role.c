/* /role @user admin|moderator|guest: power levels across the server. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_role_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_role_entry = {
	.name = "role",
	.alias = NULL,
	.args = { 2, 2 },
	.usage = "@user admin|moderator|guest",
	.help = "Set a member's role in the server and all its channels",
	.target = CMD_TARGET_SERVER,
	.power = POWER_ADMIN,
	.flags = 0,
	.exec = cmd_role_exec,
	.kinds = { CMD_ARG_USER }
};

/* The level of a role name, or -1. */
static int
cmd_role_level(const char *name)
{
	if (strcasecmp(name, "admin") == 0)
		return POWER_ADMIN;
	if (strcasecmp(name, "moderator") == 0 || strcasecmp(name, "mod") == 0)
		return POWER_MODERATOR;
	if (strcasecmp(name, "guest") == 0)
		return POWER_GUEST;
	return -1;
}

/*
 * Set users[user] = level in every room of the server: the power levels
 * are the authority.  io.haos.member_role is written only for ourselves
 * (auth rules refuse another user's state key), and its refusal is never
 * a failure of the role change.  Failed rooms are retried once, then
 * listed with a pointer to /server doctor.
 */
static enum cmd_retval
cmd_role_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct cmd_batch	*b;
	json_t			*pl, *users;
	char			**ids, **labels, *user, *text, *body;
	char			*what, *done;
	const char		*role;
	size_t			 n, i;
	int64_t			 mine, theirs;
	int			 level;

	level = cmd_role_level(a->argv[1]);
	if (level < 0) {
		cmd_error(ctx, "usage: /role %s", cmd_role_entry.usage);
		return CMD_RETURN_ERROR;
	}
	user = cmd_user_id(ctx, a->argv[0]);
	if (user == NULL)
		return CMD_RETURN_ERROR;
	/* Matrix lets nobody change the level of a peer or a superior. */
	mine = cmd_power_of(ctx, ctx->server_id, ctx->me);
	theirs = cmd_power_of(ctx, ctx->server_id, user);
	if (ctx->me != NULL && strcmp(user, ctx->me) != 0 && theirs >= 0 &&
	    theirs >= mine) {
		cmd_error(ctx, "role: %s is %s (%lld), not below you: the "
		    "server would refuse", user, cmd_role_name(theirs),
		    (long long)theirs);
		free(user);
		return CMD_RETURN_ERROR;
	}
	role = cmd_role_name(level);
	what = xasprintf("role %s", user);
	done = xasprintf("is now %s (%d)", role, level);
	b = cmd_batch_new(ctx, what, done, "run /server doctor to repair",
	    1);
	free(what);
	free(done);
	n = cmd_server_rooms(ctx, ctx->server_id, &ids, &labels);
	for (i = 0; i < n; i++) {
		text = NULL;
		if (store_query_state(ctx->store, ids[i],
		    "m.room.power_levels", "", &text, &err) == -1 ||
		    text == NULL) {
			cmd_batch_fail(b, labels[i], "no power levels cached");
			free(text);
			continue;
		}
		pl = json_load_stored(text);
		free(text);
		if (!json_is_object(pl)) {
			json_decref(pl);
			cmd_batch_fail(b, labels[i], "bad power levels");
			continue;
		}
		users = json_object_get(pl, "users");
		if (!json_is_object(users)) {
			users = json_object();
			json_object_set_new(pl, "users", users);
		}
		json_object_set_new(users, user, json_integer(level));
		body = json_xdumps(pl);
		json_decref(pl);
		cmd_batch_add(b, labels[i], matrix_req_state_put(ids[i],
		    "m.room.power_levels", "", body), 0);
		free(body);
		if (ctx->me != NULL && strcmp(user, ctx->me) == 0) {
			body = xasprintf("{\"role\":\"%s\"}", role);
			cmd_batch_add(b, labels[i], matrix_req_state_put(
			    ids[i], "io.haos.member_role", user, body),
			    CMD_BATCH_OPTIONAL);
			free(body);
		}
	}
	cmd_strings_free(ids, n);
	cmd_strings_free(labels, n);
	free(user);
	cmd_batch_start(b);
	return CMD_RETURN_WAIT;
}
