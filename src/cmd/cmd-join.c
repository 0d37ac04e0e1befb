/* /join CODE|#alias|!room|matrix.to link: a server and all its channels. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/config.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/sanitize.h"
#include "haos/space.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_join_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_join_entry = {
	.name = "join",
	.alias = "j",
	.args = { 1, 1 },
	.usage = "CODE | #alias:server | !room:server | https://matrix.to/#/...",
	.help = "Join a server (by invite code) and all its channels, or a room",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_join_exec
};

/*
 * One /join in flight: what was asked, then the room it resolved to and
 * what its state says.
 */
struct cmd_join {
	struct space_join_target t;
	char		*room_id;	/* after the join */
	char		*name;		/* sanitised, for messages */
	char		*via;		/* server to join through */
	size_t		 nchannels;
	int		 space;
	char		**also;		/* channel invites to join as well */
	size_t		 nalso;
	int		 follow;	/* select what was joined (not for an
					   accepted invite: the next one is) */
};

static void
cmd_join_free(struct cmd_join *j)
{
	space_join_target_free(&j->t);
	free(j->room_id);
	free(j->name);
	free(j->via);
	cmd_strings_free(j->also, j->nalso);
	free(j);
}

static const char *
cmd_join_why(const struct client_result *res)
{
	return res->err != NULL ? res->err->msg : "request failed";
}

static void
cmd_join_channels_done(struct cmd_ctx *ctx, struct cmd_seq *q, void *arg)
{
	struct cmd_join	*j = arg;
	size_t		 failed = cmd_seq_failed(q);

	if (failed > 0)
		cmd_error(ctx, "joined server %s, but %zu of %zu channels "
		    "failed: %s", j->name, failed, j->nchannels,
		    cmd_seq_error(q));
	else
		cmd_info(ctx, "joined server %s and its %zu channel%s",
		    j->name, j->nchannels, j->nchannels == 1 ? "" : "s");
	if (j->follow)
		cmd_goto_follow(ctx, j->room_id);
	cmd_join_free(j);
}

static void
cmd_join_left(struct cmd_ctx *ctx __unused, const struct client_result *res
    __unused, void *arg)
{
	cmd_join_free(arg);
}

/* Leave again (the invite was stale): report why first. */
static void
cmd_join_undo(struct cmd_ctx *ctx, struct cmd_join *j, const char *why)
{
	cmd_error(ctx, "%s", why);
	cmd_call(ctx, matrix_req_leave(j->room_id), cmd_join_left, j);
}

/* Is room_id one of kids ([id, via] pairs)? */
static int
cmd_join_listed(json_t *kids, const char *room_id)
{
	json_t	*ev;
	size_t	 i;

	json_array_foreach(kids, i, ev) {
		if (strcmp(json_string_value(json_array_get(ev, 0)),
		    room_id) == 0)
			return 1;
	}
	return 0;
}

/*
 * The room's state arrived: check the invite code, then join every
 * channel the space lists (m.space.child with a via) and the channel
 * invites that came with it.
 */
static void
cmd_join_state(struct cmd_ctx *ctx, const struct client_result *res, void *arg)
{
	struct cmd_join	*j = arg;
	struct cmd_seq	*q;
	json_t		*state, *ev, *content, *via, *kids;
	const char	*type, *key, *code = NULL, *name = NULL;
	size_t		 i;
	int		 deleted = 0;

	state = res->ok && res->body != NULL ? json_load_answer(res->body) :
	    NULL;
	if (!json_is_array(state)) {
		cmd_error(ctx, "joined %s, but cannot read its state: %s",
		    j->room_id, res->ok ? "not a list" : cmd_join_why(res));
		json_decref(state);
		cmd_join_free(j);
		return;
	}
	kids = json_array();
	json_array_foreach(state, i, ev) {
		type = json_get_str(ev, "type", "");
		key = json_get_str(ev, "state_key", "");
		content = json_get_obj(ev, "content");
		if (strcmp(type, "m.room.create") == 0)
			j->space = strcmp(json_get_str(content, "type", ""),
			    "m.space") == 0;
		else if (strcmp(type, "m.room.name") == 0 && *key == '\0')
			name = json_get_str(content, "name", NULL);
		else if (strcmp(type, "io.haos.server") == 0 && *key == '\0')
			code = json_get_str(content, "inviteCode", NULL);
		else if (strcmp(type, "io.haos.server_deleted") == 0 &&
		    *key == '\0' && json_object_size(content) > 0)
			deleted = 1;
		else if (strcmp(type, "m.space.child") == 0 && *key == '!') {
			via = json_get_arr(content, "via");
			if (via == NULL || json_array_size(via) == 0 ||
			    !json_is_string(json_array_get(via, 0)))
				continue;
			json_array_append_new(kids, json_pack("[s, O]", key,
			    json_array_get(via, 0)));
		}
	}
	j->name = sanitize_text(name != NULL ? name : j->room_id, (size_t)-1,
	    0);
	if (deleted)
		cmd_join_undo(ctx, j, "this server has been deleted");
	else if (j->t.kind == SPACE_JOIN_CODE &&
	    (code == NULL || strcmp(code, j->t.id) != 0))
		cmd_join_undo(ctx, j, "this invite has expired (the server "
		    "has a new invite code)");
	else if (!j->space) {
		cmd_info(ctx, "joined %s", j->name);
		if (j->follow)
			cmd_goto_follow(ctx, j->room_id);
		cmd_join_free(j);
	} else {
		q = cmd_seq_new(cmd_join_channels_done, j);
		json_array_foreach(kids, i, ev) {
			cmd_seq_add(q, matrix_req_join(json_string_value(
			    json_array_get(ev, 0)), json_string_value(
			    json_array_get(ev, 1))), 0);
			j->nchannels++;
		}
		/* Invited channels the space does not list (yet). */
		for (i = 0; i < j->nalso; i++) {
			if (cmd_join_listed(kids, j->also[i]))
				continue;
			cmd_seq_add(q, matrix_req_join(j->also[i], NULL), 0);
			j->nchannels++;
		}
		cmd_seq_run(ctx, q);
	}
	json_decref(kids);
	json_decref(state);
}

static void
cmd_join_joined(struct cmd_ctx *ctx, const struct client_result *res, void *arg)
{
	struct cmd_join	*j = arg;
	json_t		*body;
	const char	*id;

	if (!res->ok) {
		if (j->t.kind == SPACE_JOIN_CODE && res->err != NULL &&
		    res->err->mx == MX_NOT_FOUND)
			cmd_error(ctx, "this invite has expired or is not "
			    "valid: %s", j->t.id);
		else if (res->err != NULL && res->err->mx == MX_FORBIDDEN &&
		    strstr(res->err->msg, "banned") != NULL)
			cmd_error(ctx, "cannot join %s: you are banned from it "
			    "(a moderator can /unban you)", j->t.id);
		else if (res->err != NULL && res->err->mx == MX_FORBIDDEN)
			cmd_error(ctx, "cannot join %s: %s (the server is "
			    "invite-only: ask a member for /invite)", j->t.id,
			    cmd_join_why(res));
		else
			cmd_error(ctx, "cannot join %s: %s", j->t.id,
			    cmd_join_why(res));
		cmd_join_free(j);
		return;
	}
	body = res->body != NULL ? json_load_answer(res->body) : NULL;
	id = json_get_str(body, "room_id", NULL);
	if (!space_valid_room_id(id)) {
		cmd_error(ctx, "cannot join %s: no room id in the answer",
		    j->t.id);
		json_decref(body);
		cmd_join_free(j);
		return;
	}
	j->room_id = xstrdup(id);
	json_decref(body);
	cmd_call(ctx, matrix_req_state_get(j->room_id, NULL, NULL),
	    cmd_join_state, j);
}

/* Join id (a room id or alias) through via. */
static void
cmd_join_room(struct cmd_ctx *ctx, struct cmd_join *j, const char *id)
{
	cmd_call(ctx, matrix_req_join(id, j->via), cmd_join_joined, j);
}

/* Join the alias #haos-CODE:SERVER_NAME. */
static void
cmd_join_by_alias(struct cmd_ctx *ctx, struct cmd_join *j)
{
	char	*server, *alias;

	server = space_server_name(ctx->me);
	alias = space_invite_alias(j->t.id, server != NULL ? server :
	    "localhost");
	cmd_join_room(ctx, j, alias);
	free(alias);
	free(server);
}

/* The invite service answered: its roomId, or fall back to the alias. */
static void
cmd_join_service(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	struct cmd_join	*j = arg;
	json_t		*body;
	const char	*id, *colon;

	body = res->ok && res->body != NULL ? json_load_answer(res->body) :
	    NULL;
	id = json_get_str(body, "roomId", NULL);
	if (!space_valid_room_id(id)) {
		cmd_info(ctx, "invite service: %s; trying the alias",
		    res->ok ? "no roomId" : cmd_join_why(res));
		json_decref(body);
		cmd_join_by_alias(ctx, j);
		return;
	}
	colon = strchr(id, ':');
	if (j->via == NULL && colon != NULL)
		j->via = xstrdup(colon + 1);
	cmd_join_room(ctx, j, id);
	json_decref(body);
}

/* Start joining what arg names; shared with /explore. */
enum cmd_retval
cmd_join_start(struct cmd_ctx *ctx, const char *arg)
{
	return cmd_join_start_with(ctx, arg, NULL, 0, 1);
}

/*
 * The same, and if it is a server, also the rooms (channel invites) in
 * also, which the call takes over; follow: select what was joined.
 */
enum cmd_retval
cmd_join_start_with(struct cmd_ctx *ctx, const char *arg, char **also,
    size_t nalso, int follow)
{
	struct haos_error	 err;
	struct cmd_join		*j;
	const char		*svc, *colon;

	j = xcalloc(1, sizeof *j);
	j->also = also;
	j->nalso = nalso;
	j->follow = follow;
	if (space_parse_join(arg, &j->t, &err) == -1) {
		cmd_error(ctx, "join: %s", err.msg);
		cmd_strings_free(j->also, j->nalso);
		free(j);
		return CMD_RETURN_ERROR;
	}
	j->via = j->t.via != NULL ? xstrdup(j->t.via) : NULL;
	if (j->t.kind != SPACE_JOIN_CODE) {
		colon = strchr(j->t.id, ':');
		if (j->via == NULL && j->t.kind == SPACE_JOIN_ROOM &&
		    colon != NULL)
			j->via = xstrdup(colon + 1);
		cmd_join_room(ctx, j, j->t.id);
		return CMD_RETURN_WAIT;
	}
	svc = ctx->cfg != NULL ? ctx->cfg->invite_service : NULL;
	if (svc != NULL && *svc != '\0') {
		cmd_call(ctx, matrix_req_invite_service(svc, j->t.id),
		    cmd_join_service, j);
		return CMD_RETURN_WAIT;
	}
	cmd_join_by_alias(ctx, j);
	return CMD_RETURN_WAIT;
}

static enum cmd_retval
cmd_join_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	return cmd_join_start(ctx, a->argv[0]);
}
