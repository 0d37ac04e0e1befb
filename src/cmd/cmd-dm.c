/* /dm @user: the direct room in m.direct, or a new one recorded there. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_dm_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_dm_entry = {
	.name = "dm",
	.alias = NULL,
	.args = { 1, 1 },
	.usage = "@user",
	.help = "Open the direct conversation with a user (made if none)",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_dm_exec,
	.kinds = { CMD_ARG_USER }
};

/* One /dm under way: the peer and m.direct as the server has it. */
struct cmd_dm {
	char	*user;
	char	*room_id;	/* cmd_dm_record(): the room to add */
	json_t	*direct;	/* m.direct content, an object */
};

static void
cmd_dm_free(struct cmd_dm *d)
{
	free(d->user);
	free(d->room_id);
	json_decref(d->direct);
	free(d);
}

/* Show the room: select it in the client (once cached), or say its id. */
static void
cmd_dm_open(struct cmd_ctx *ctx, const char *user, const char *room_id,
    int made)
{
	char	*clean;

	clean = sanitize_text(room_id, (size_t)-1, 0);
	cmd_info(ctx, "dm: %s conversation with %s: %s", made ? "new" :
	    "existing", user, clean);
	free(clean);
	cmd_goto_follow(ctx, room_id);
}

static void
cmd_dm_recorded(struct cmd_ctx *ctx, const struct client_result *res, void *arg)
{
	char	*room_id = arg;

	char	*clean;

	clean = sanitize_text(room_id, (size_t)-1, 0);
	if (!res->ok)
		cmd_error(ctx, "dm: the room %s was made but m.direct was not "
		    "updated: %s", clean, res->err != NULL ?
		    res->err->msg : "failed");
	free(clean);
	free(room_id);
}

static void
cmd_dm_created(struct cmd_ctx *ctx, const struct client_result *res, void *arg)
{
	struct cmd_dm	*d = arg;
	json_t		*root, *list;
	const char	*room_id;
	char		*body;

	if (!res->ok) {
		cmd_error(ctx, "dm: cannot create the room: %s",
		    res->err != NULL ? res->err->msg : "failed");
		cmd_dm_free(d);
		return;
	}
	root = res->body != NULL ? json_load_answer(res->body) : NULL;
	room_id = json_get_str(root, "room_id", NULL);
	if (room_id == NULL) {
		cmd_error(ctx, "dm: createRoom answered without a room id");
		json_decref(root);
		cmd_dm_free(d);
		return;
	}
	/* m.direct: {user: [room, ...]}, the new room appended. */
	list = json_object_get(d->direct, d->user);
	if (!json_is_array(list)) {
		list = json_array();
		json_object_set_new(d->direct, d->user, list);
	}
	json_array_append_new(list, json_string(room_id));
	body = json_xdumps(d->direct);
	cmd_call(ctx, matrix_req_account_data_put(ctx->me != NULL ? ctx->me :
	    "", "m.direct", body), cmd_dm_recorded, xstrdup(room_id));
	cmd_dm_open(ctx, d->user, room_id, 1);
	free(body);
	json_decref(root);
	cmd_dm_free(d);
}

/* True if we are in (or invited to) room_id as the cache knows it. */
static int
cmd_dm_usable(struct cmd_ctx *ctx, const char *room_id)
{
	struct haos_error	 err;
	struct room_row		 r;
	int			 ok;

	if (ctx->store == NULL ||
	    store_query_room(ctx->store, room_id, &r, &err) != 1)
		return 0;
	ok = r.join != ROOM_LEAVE;
	room_row_free(&r);
	return ok;
}

/* Is user in room_id (joined or invited), as the cache knows it? */
static int
cmd_dm_has_member(struct cmd_ctx *ctx, const char *room_id, const char *user)
{
	struct haos_error	 err;
	struct member_row	*m = NULL;
	size_t			 n = 0, i;
	int			 found = 0;

	if (store_query_members(ctx->store, room_id, &m, &n, &err) == -1)
		return 0;
	for (i = 0; i < n && !found; i++)
		found = strcmp(m[i].user_id, user) == 0;
	member_rows_free(m, n);
	return found;
}

/*
 * The DM with user we are in (or invited to): first the user's rooms in
 * m.direct; then a cached DM with user as its peer (an invite we
 * accepted, m.direct not yet back); then any room of m.direct, under
 * whichever user, that user is a member of (DMs others created).
 */
static char *
cmd_dm_find(struct cmd_ctx *ctx, const json_t *direct, const char *user)
{
	struct haos_error	 err;
	struct room_row		*r = NULL;
	size_t			 n = 0, i;
	const char		*key;
	json_t			*list, *v;
	char			*found = NULL;

	json_array_foreach(json_object_get(direct, user), i, v) {
		if (json_is_string(v) && cmd_dm_usable(ctx,
		    json_string_value(v)))
			return xstrdup(json_string_value(v));
	}
	if (ctx->store == NULL)
		return NULL;
	if (store_query_rooms(ctx->store, STORE_ROOMS_DIRECT, NULL, &r, &n,
	    &err) == 0) {
		for (i = 0; i < n && found == NULL; i++) {
			if (r[i].direct_user != NULL &&
			    strcmp(r[i].direct_user, user) == 0)
				found = xstrdup(r[i].room_id);
		}
		room_rows_free(r, n);
	}
	json_object_foreach((json_t *)direct, key, list) {
		json_array_foreach(list, i, v) {
			if (found != NULL)
				break;
			if (json_is_string(v) && cmd_dm_usable(ctx,
			    json_string_value(v)) && cmd_dm_has_member(ctx,
			    json_string_value(v), user))
				found = xstrdup(json_string_value(v));
		}
	}
	return found;
}

static void
cmd_dm_got(struct cmd_ctx *ctx, const struct client_result *res, void *arg)
{
	struct cmd_dm	*d = arg;
	json_t		*root;
	char		*found;

	root = res->ok && res->body != NULL ? json_load_answer(res->body) :
	    NULL;
	if (!res->ok && (res->err == NULL || res->err->mx != MX_NOT_FOUND)) {
		cmd_error(ctx, "dm: cannot read m.direct: %s", res->err !=
		    NULL ? res->err->msg : "failed");
		cmd_dm_free(d);
		return;
	}
	if (json_is_object(root)) {
		json_decref(d->direct);
		d->direct = json_incref(root);
	}
	json_decref(root);
	found = cmd_dm_find(ctx, d->direct, d->user);
	if (found != NULL) {
		cmd_dm_open(ctx, d->user, found, 0);
		free(found);
		cmd_dm_free(d);
		return;
	}
	cmd_call(ctx, matrix_req_create_dm(d->user), cmd_dm_created, d);
}

/*
 * Read m.direct from the server (the cache may lag), reuse the first of
 * the peer's rooms we are still in, or create one (is_direct, preset
 * trusted_private_chat, invite, encrypted from the start) and append it
 * to m.direct.
 */
static enum cmd_retval
cmd_dm_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct cmd_dm		*d;
	char			*user, *cached = NULL;

	user = cmd_user_id(ctx, a->argv[0]);
	if (user == NULL)
		return CMD_RETURN_ERROR;
	if (ctx->me != NULL && strcmp(user, ctx->me) == 0) {
		cmd_error(ctx, "dm: that is you");
		free(user);
		return CMD_RETURN_ERROR;
	}
	d = xcalloc(1, sizeof *d);
	d->user = user;
	if (ctx->store != NULL && store_query_account_data(ctx->store, NULL,
	    "m.direct", &cached, &err) == 0 && cached != NULL)
		d->direct = json_load_stored(cached);
	free(cached);
	if (!json_is_object(d->direct)) {
		json_decref(d->direct);
		d->direct = json_object();
	}
	cmd_call(ctx, matrix_req_account_data_get(ctx->me != NULL ? ctx->me :
	    "", "m.direct"), cmd_dm_got, d);
	return CMD_RETURN_WAIT;
}

/* m.direct arrived for cmd_dm_record(): add the room, write it back. */
static void
cmd_dm_record_got(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	struct cmd_dm	*d = arg;
	json_t		*root, *list, *v;
	size_t		 i;
	char		*body;

	if (!res->ok && (res->err == NULL || res->err->mx != MX_NOT_FOUND)) {
		cmd_error(ctx, "dm: cannot read m.direct: %s", res->err !=
		    NULL ? res->err->msg : "failed");
		cmd_dm_free(d);
		return;
	}
	root = res->ok && res->body != NULL ? json_load_answer(res->body) :
	    NULL;
	if (json_is_object(root)) {
		json_decref(d->direct);
		d->direct = json_incref(root);
	}
	json_decref(root);
	list = json_object_get(d->direct, d->user);
	if (!json_is_array(list)) {
		list = json_array();
		json_object_set_new(d->direct, d->user, list);
	}
	json_array_foreach(list, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v),
		    d->room_id) == 0) {
			cmd_dm_free(d);		/* already there */
			return;
		}
	}
	json_array_append_new(list, json_string(d->room_id));
	body = json_xdumps(d->direct);
	cmd_call(ctx, matrix_req_account_data_put(ctx->me != NULL ? ctx->me :
	    "", "m.direct", body), cmd_dm_recorded, xstrdup(d->room_id));
	free(body);
	cmd_dm_free(d);
}

/*
 * Record room_id as a DM with user in m.direct (an invite with is_direct
 * we accepted), as read fresh from the server; nothing if it is there.
 */
void
cmd_dm_record(struct cmd_ctx *ctx, const char *user, const char *room_id)
{
	struct cmd_dm	*d;

	d = xcalloc(1, sizeof *d);
	d->user = xstrdup(user);
	d->room_id = xstrdup(room_id);
	d->direct = json_object();
	cmd_call(ctx, matrix_req_account_data_get(ctx->me != NULL ? ctx->me :
	    "", "m.direct"), cmd_dm_record_got, d);
}
