/* /server create|rename|icon|invite|publish|leave|delete|doctor. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/net.h"
#include "haos/sanitize.h"
#include "haos/space.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_server_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_server_entry = {
	.name = "server",
	.alias = NULL,
	.args = { 1, -1 },
	.usage = "create NAME [--icon PATH] | rename NAME | icon PATH | "
	    "invite [--regenerate] | publish on|off | leave | delete [NAME] | "
	    "doctor",
	.help = "Create, rename, share, publish, leave or delete a server",
	.target = CMD_TARGET_NONE,	/* create needs none; others check */
	.power = POWER_GUEST,		/* each subcommand checks its own */
	.flags = 0,
	.exec = cmd_server_exec
};

/*
 * The selected server for "what", or NULL with the missing context
 * reported the way cmd.c reports it.
 */
const char *
cmd_need_server(struct cmd_ctx *ctx, const char *what)
{
	if (ctx->server_id != NULL)
		return ctx->server_id;
	if (ctx->ui == NULL)
		cmd_error(ctx, "%s needs a server: give --server NAME|ID",
		    what);
	else
		cmd_error(ctx, "%s: no server selected", what);
	return NULL;
}

/* Check my power in room for what: 1 if allowed, else 0 (reported). */
int
cmd_need_power(struct cmd_ctx *ctx, const char *what, const char *room,
    int power)
{
	int64_t	 pl;

	pl = cmd_power_of(ctx, room, ctx->me);
	if (pl < 0)
		pl = 0;
	if (pl >= power)
		return 1;
	cmd_error(ctx, "%s needs %s (%d); you are %s (%lld)", what,
	    cmd_role_name(power), power, cmd_role_name(pl), (long long)pl);
	return 0;
}

/* /_matrix/client/v3/rooms/ROOM/state/TYPE/KEY, escaped. */
char *
cmd_state_path(const char *room, const char *type, const char *key)
{
	char	*r, *t, *k, *p;

	r = matrix_escape(room);
	t = matrix_escape(type);
	k = matrix_escape(key != NULL ? key : "");
	p = xasprintf("/_matrix/client/v3/rooms/%s/state/%s/%s", r, t, k);
	free(r);
	free(t);
	free(k);
	return p;
}

/* /_matrix/client/v3/rooms/ROOM/WHAT (join, leave, invite, kick). */
char *
cmd_room_path(const char *room, const char *what)
{
	char	*r, *p;

	r = matrix_escape(room);
	p = xasprintf("/_matrix/client/v3/rooms/%s/%s", r, what);
	free(r);
	return p;
}

/* /_matrix/client/v3/directory/room/ALIAS */
char *
cmd_alias_path(const char *alias)
{
	char	*a, *p;

	a = matrix_escape(alias);
	p = xasprintf("/_matrix/client/v3/directory/room/%s", a);
	free(a);
	return p;
}

/* A room's display name, sanitised, for messages (caller frees). */
char *
cmd_room_label(struct cmd_ctx *ctx, const char *room_id)
{
	struct haos_error	 err;
	struct room_row		 r;
	char			*out;

	if (ctx->store == NULL || store_query_room(ctx->store, room_id, &r,
	    &err) != 1)
		return sanitize_text(room_id, (size_t)-1, 0);
	out = sanitize_text(r.name != NULL ? r.name : room_id, (size_t)-1, 0);
	room_row_free(&r);
	return out;
}

/* The room id of a createRoom answer (caller frees), or NULL. */
static char *
cmd_server_room_id(const struct client_result *res)
{
	json_t		*j;
	const char	*id;
	char		*out = NULL;

	if (!res->ok || res->body == NULL)
		return NULL;
	j = json_loads(res->body, 0, NULL);
	id = json_get_str(j, "room_id", NULL);
	if (space_valid_room_id(id))
		out = xstrdup(id);
	json_decref(j);
	return out;
}

static const char *
cmd_server_why(const struct client_result *res)
{
	return res->err != NULL ? res->err->msg : "request failed";
}

/* Words from argv[from] up to an option, joined by spaces. */
static char *
cmd_server_words(const struct cmd_args *a, int from, int *next)
{
	char	*s = NULL, *t;
	int	 i;

	for (i = from; i < a->argc && strncmp(a->argv[i], "--", 2) != 0;
	    i++) {
		t = xasprintf("%s%s%s", s != NULL ? s : "", s != NULL ?
		    " " : "", a->argv[i]);
		free(s);
		s = t;
	}
	if (next != NULL)
		*next = i;
	return s;
}

/*
 * /server create: (upload the icon,) create the space, publish the invite
 * alias, create #general restricted to the space and link it both ways.
 */
struct cmd_server_create {
	char	*name;
	char	*code;
	char	*mxc;
	char	*via;		/* our server name */
	char	*space_id;
	char	*general_id;
};

static void
cmd_server_create_free(struct cmd_server_create *c)
{
	free(c->name);
	free(c->code);
	free(c->mxc);
	free(c->via);
	free(c->space_id);
	free(c->general_id);
	free(c);
}

static void
cmd_server_create_done(struct cmd_ctx *ctx, struct cmd_seq *q, void *arg)
{
	struct cmd_server_create	*c = arg;
	char				*name;

	name = sanitize_text(c->name, (size_t)-1, 0);
	if (cmd_seq_failed(q) > 0)
		cmd_error(ctx, "server create: %s created (%s), but: %s", name,
		    c->space_id, cmd_seq_error(q));
	else
		cmd_info(ctx, "created server %s (%s) with #general; invite "
		    "code %s", name, c->space_id, c->code);
	free(name);
	cmd_server_create_free(c);
}

static void
cmd_server_create_general(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	struct cmd_server_create	*c = arg;
	struct cmd_seq			*q;
	json_t				*child;
	char				*alias, *path, *body;

	c->general_id = cmd_server_room_id(res);
	if (c->general_id == NULL) {
		cmd_error(ctx, "server create: the server was made (%s) but "
		    "not #general: %s", c->space_id, cmd_server_why(res));
		cmd_server_create_free(c);
		return;
	}
	q = cmd_seq_new(cmd_server_create_done, c);
	child = space_child_content(c->via, "0100");
	body = json_xdumps(child);
	path = cmd_state_path(c->space_id, "m.space.child", c->general_id);
	cmd_seq_add(q, matrix_req_new("PUT", path, body), 0);
	free(path);
	free(body);
	json_decref(child);
	alias = space_invite_alias(c->code, c->via);
	path = cmd_alias_path(alias);
	child = json_pack("{s:s}", "room_id", c->space_id);
	body = json_xdumps(child);
	cmd_seq_add(q, matrix_req_new("PUT", path, body), 0);
	json_decref(child);
	free(body);
	free(path);
	free(alias);
	cmd_seq_run(ctx, q);
}

static void
cmd_server_create_space(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	struct cmd_server_create	*c = arg;
	json_t				*users, *body;
	char				*text;

	c->space_id = cmd_server_room_id(res);
	if (c->space_id == NULL) {
		cmd_error(ctx, "server create: %s", cmd_server_why(res));
		cmd_server_create_free(c);
		return;
	}
	users = json_pack("{s:i}", ctx->me, SPACE_ADMIN);
	body = space_channel_create_body("general", c->space_id,
	    CHANNEL_TEXT, ctx->me, c->via, users);
	text = json_xdumps(body);
	cmd_request(ctx, "POST", "/_matrix/client/v3/createRoom", text,
	    cmd_server_create_general, c);
	free(text);
	json_decref(body);
	json_decref(users);
}

static void
cmd_server_create_start(struct cmd_ctx *ctx, struct cmd_server_create *c)
{
	json_t	*body;
	char	*text;

	body = space_create_body(c->name, ctx->me, c->code, c->mxc);
	text = json_xdumps(body);
	cmd_request(ctx, "POST", "/_matrix/client/v3/createRoom", text,
	    cmd_server_create_space, c);
	free(text);
	json_decref(body);
}

static void
cmd_server_create_icon(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	struct cmd_server_create	*c = arg;

	c->mxc = cmd_upload_uri(res);
	if (c->mxc == NULL) {
		cmd_error(ctx, "server create: icon upload failed: %s",
		    cmd_server_why(res));
		cmd_server_create_free(c);
		return;
	}
	cmd_server_create_start(ctx, c);
}

static enum cmd_retval
cmd_server_create(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct cmd_server_create	*c;
	const char			*icon = NULL;
	int				 i;

	c = xcalloc(1, sizeof *c);
	c->name = cmd_server_words(a, 1, &i);
	for (; i < a->argc; i++) {
		if (strcmp(a->argv[i], "--icon") == 0 && i + 1 < a->argc)
			icon = a->argv[++i];
		else {
			cmd_error(ctx, "usage: /server create NAME "
			    "[--icon PATH]");
			cmd_server_create_free(c);
			return CMD_RETURN_ERROR;
		}
	}
	if (c->name == NULL) {
		cmd_error(ctx, "usage: /server create NAME [--icon PATH]");
		cmd_server_create_free(c);
		return CMD_RETURN_ERROR;
	}
	c->via = space_server_name(ctx->me);
	if (c->via == NULL) {
		cmd_error(ctx, "server create: not logged in");
		cmd_server_create_free(c);
		return CMD_RETURN_ERROR;
	}
	c->code = space_invite_code();
	if (icon != NULL) {
		if (cmd_upload_file(ctx, icon, cmd_server_create_icon,
		    c) == -1) {
			cmd_server_create_free(c);
			return CMD_RETURN_ERROR;
		}
		return CMD_RETURN_WAIT;
	}
	cmd_server_create_start(ctx, c);
	return CMD_RETURN_WAIT;
}

/* Report a one-request change: arg is the message said on success. */
static void
cmd_server_simple_done(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	char	*msg = arg;

	if (res->ok)
		cmd_info(ctx, "%s", msg);
	else
		cmd_error(ctx, "%s: failed: %s", msg, cmd_server_why(res));
	free(msg);
}

/* PUT one state event into room; say msg when it is done. */
static void
cmd_server_put_state(struct cmd_ctx *ctx, const char *room, const char *type,
    const char *key, json_t *content, char *msg)
{
	char	*path, *body;

	path = cmd_state_path(room, type, key);
	body = json_xdumps(content);
	cmd_request(ctx, "PUT", path, body, cmd_server_simple_done, msg);
	free(body);
	free(path);
	json_decref(content);
}

static enum cmd_retval
cmd_server_rename(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char	*space;
	char		*name, *clean;

	if ((space = cmd_need_server(ctx, "server rename")) == NULL ||
	    !cmd_need_power(ctx, "server rename", space, SPACE_MODERATOR))
		return CMD_RETURN_ERROR;
	name = cmd_server_words(a, 1, NULL);
	if (name == NULL) {
		cmd_error(ctx, "usage: /server rename NAME");
		return CMD_RETURN_ERROR;
	}
	clean = sanitize_text(name, (size_t)-1, 0);
	cmd_server_put_state(ctx, space, "m.room.name", "",
	    json_pack("{s:s}", "name", name),
	    xasprintf("server renamed to %s", clean));
	free(clean);
	free(name);
	return CMD_RETURN_WAIT;
}

static void
cmd_server_icon_done(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	char	*space = arg, *mxc;

	mxc = cmd_upload_uri(res);
	if (mxc == NULL)
		cmd_error(ctx, "server icon: upload failed: %s",
		    cmd_server_why(res));
	else
		cmd_server_put_state(ctx, space, "m.room.avatar", "",
		    json_pack("{s:s}", "url", mxc),
		    xasprintf("server icon set (%s)", mxc));
	free(mxc);
	free(space);
}

static enum cmd_retval
cmd_server_icon(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char	*space;
	char		*arg;

	if ((space = cmd_need_server(ctx, "server icon")) == NULL ||
	    !cmd_need_power(ctx, "server icon", space, SPACE_MODERATOR))
		return CMD_RETURN_ERROR;
	if (a->argc != 2) {
		cmd_error(ctx, "usage: /server icon PATH");
		return CMD_RETURN_ERROR;
	}
	arg = xstrdup(space);
	if (cmd_upload_file(ctx, a->argv[1], cmd_server_icon_done,
	    arg) == -1) {
		free(arg);
		return CMD_RETURN_ERROR;
	}
	return CMD_RETURN_WAIT;
}

/* /server invite --regenerate: a new code, its alias, the old one gone. */
struct cmd_server_regen {
	char	*code;
};

static void
cmd_server_regen_done(struct cmd_ctx *ctx, struct cmd_seq *q, void *arg)
{
	struct cmd_server_regen	*r = arg;

	if (cmd_seq_failed(q) > 0)
		cmd_error(ctx, "server invite: %s", cmd_seq_error(q));
	else
		cmd_info(ctx, "new invite code: %s (the old one no longer "
		    "works; join with /join %s)", r->code, r->code);
	free(r->code);
	free(r);
}

static enum cmd_retval
cmd_server_invite(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct cmd_server_regen	*r;
	struct cmd_seq		*q;
	const char		*space;
	json_t			*c;
	char			*code = NULL, *owner = NULL, *via, *alias;
	char			*path, *body, *label;
	int			 rc;

	if ((space = cmd_need_server(ctx, "server invite")) == NULL)
		return CMD_RETURN_ERROR;
	if (a->argc > 2 || (a->argc == 2 &&
	    strcmp(a->argv[1], "--regenerate") != 0)) {
		cmd_error(ctx, "usage: /server invite [--regenerate]");
		return CMD_RETURN_ERROR;
	}
	rc = ctx->store != NULL ? space_server_info(ctx->store, space, &code,
	    &owner, &err) : 0;
	if (rc != 1) {
		cmd_error(ctx, "server invite: not a HAOS server (no "
		    "io.haos.server state)");
		return CMD_RETURN_ERROR;
	}
	if (a->argc == 1) {
		if (code == NULL)
			cmd_error(ctx, "server invite: the server has no "
			    "invite code; /server invite --regenerate");
		else {
			label = sanitize_text(code, (size_t)-1, 0);
			cmd_info(ctx, "invite code: %s (join with /join %s)",
			    label, label);
			free(label);
		}
		free(code);
		free(owner);
		return code == NULL ? CMD_RETURN_ERROR : CMD_RETURN_NORMAL;
	}
	if (!cmd_need_power(ctx, "server invite --regenerate", space,
	    SPACE_MODERATOR)) {
		free(code);
		free(owner);
		return CMD_RETURN_ERROR;
	}
	via = space_server_name(ctx->me);
	r = xcalloc(1, sizeof *r);
	r->code = space_invite_code();
	q = cmd_seq_new(cmd_server_regen_done, r);
	/* The new code first: once it is written the old one is expired. */
	c = space_server_content(r->code, owner != NULL ? owner : ctx->me);
	body = json_xdumps(c);
	path = cmd_state_path(space, "io.haos.server", "");
	cmd_seq_add(q, matrix_req_new("PUT", path, body), CMD_SEQ_STOP);
	free(path);
	free(body);
	json_decref(c);
	alias = space_invite_alias(r->code, via);
	path = cmd_alias_path(alias);
	c = json_pack("{s:s}", "room_id", space);
	body = json_xdumps(c);
	cmd_seq_add(q, matrix_req_new("PUT", path, body), 0);
	json_decref(c);
	free(body);
	free(path);
	free(alias);
	if (code != NULL && space_valid_code(code)) {
		alias = space_invite_alias(code, via);
		path = cmd_alias_path(alias);
		cmd_seq_add(q, matrix_req_new("DELETE", path, NULL), CMD_SEQ_OPTIONAL);
		free(path);
		free(alias);
	}
	cmd_seq_run(ctx, q);
	free(via);
	free(code);
	free(owner);
	return CMD_RETURN_WAIT;
}

static enum cmd_retval
cmd_server_publish(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char	*space;
	char		*path, *esc, *body;
	int		 on;

	if ((space = cmd_need_server(ctx, "server publish")) == NULL)
		return CMD_RETURN_ERROR;
	if (a->argc != 2 || (strcmp(a->argv[1], "on") != 0 &&
	    strcmp(a->argv[1], "off") != 0)) {
		cmd_error(ctx, "usage: /server publish on|off");
		return CMD_RETURN_ERROR;
	}
	if (!cmd_need_power(ctx, "server publish", space, SPACE_MODERATOR))
		return CMD_RETURN_ERROR;
	on = strcmp(a->argv[1], "on") == 0;
	esc = matrix_escape(space);
	path = xasprintf("/_matrix/client/v3/directory/list/room/%s", esc);
	body = xasprintf("{\"visibility\":\"%s\"}", on ? "public" :
	    "private");
	cmd_request(ctx, "PUT", path, body, cmd_server_simple_done,
	    xstrdup(on ? "server listed in the public directory "
	    "(/explore)" : "server removed from the public directory"));
	free(body);
	free(path);
	free(esc);
	return CMD_RETURN_WAIT;
}

/* Add leaving every channel of space, then the space, to q. */
static void
cmd_server_add_leaves(struct cmd_ctx *ctx, struct cmd_seq *q,
    const char *space, int kick)
{
	struct haos_error	 err;
	struct room_row		*r = NULL;
	struct member_row	*m = NULL;
	size_t			 n = 0, nm, i, j;
	json_t			*c;
	const char		**rooms;
	char			*path, *body;
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
				path = cmd_room_path(rooms[i], "kick");
				c = json_pack("{s:s, s:s}", "user_id",
				    m[j].user_id, "reason", "server deleted");
				body = json_xdumps(c);
				json_decref(c);
				cmd_seq_add(q, matrix_req_new("POST", path, body), CMD_SEQ_OPTIONAL);
				free(body);
				free(path);
			}
			member_rows_free(m, nm);
		}
		path = cmd_room_path(rooms[i], "leave");
		cmd_seq_add(q, matrix_req_new("POST", path, "{}"), 0);
		free(path);
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

static enum cmd_retval
cmd_server_leave(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct cmd_seq	*q;
	const char	*space;
	char		*label;

	if ((space = cmd_need_server(ctx, "server leave")) == NULL)
		return CMD_RETURN_ERROR;
	if (a->argc != 1) {
		cmd_error(ctx, "usage: /server leave");
		return CMD_RETURN_ERROR;
	}
	label = cmd_room_label(ctx, space);
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
cmd_server_delete(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct room_row		 sr;
	struct timespec		 ts;
	struct cmd_seq		*q;
	const char		*space;
	json_t			*c;
	char			*code = NULL, *owner = NULL, *name, *confirm;
	char			*label, *path, *body, *via, *alias, *esc;
	int			 ok;

	if ((space = cmd_need_server(ctx, "server delete")) == NULL)
		return CMD_RETURN_ERROR;
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
	confirm = cmd_server_words(a, 1, NULL);
	ok = confirm != NULL && (strcmp(confirm, space) == 0 ||
	    (name != NULL && strcmp(confirm, name) == 0));
	label = sanitize_text(name != NULL ? name : space, (size_t)-1, 0);
	if (!ok) {
		cmd_error(ctx, "server delete: this removes %s for everyone "
		    "(members are kicked, the invite stops working); to "
		    "confirm: /server delete %s", label, label);
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
	path = cmd_state_path(space, "io.haos.server_deleted", "");
	cmd_seq_add(q, matrix_req_new("PUT", path, body), CMD_SEQ_STOP);
	free(path);
	free(body);
	json_decref(c);
	via = space_server_name(ctx->me);
	if (code != NULL && via != NULL && space_valid_code(code)) {
		alias = space_invite_alias(code, via);
		path = cmd_alias_path(alias);
		cmd_seq_add(q, matrix_req_new("DELETE", path, NULL), CMD_SEQ_OPTIONAL);
		free(path);
		free(alias);
	}
	esc = matrix_escape(space);
	path = xasprintf("/_matrix/client/v3/directory/list/room/%s", esc);
	cmd_seq_add(q, matrix_req_new("PUT", path, "{\"visibility\":\"private\"}"), CMD_SEQ_OPTIONAL);
	free(path);
	free(esc);
	cmd_server_add_leaves(ctx, q, space, 1);
	cmd_seq_run(ctx, q);
	free(via);
	free(label);
	free(name);
	free(confirm);
	free(code);
	return CMD_RETURN_WAIT;
}

static enum cmd_retval
cmd_server_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char	*sub = a->argv[0];

	if (strcmp(sub, "create") == 0)
		return cmd_server_create(ctx, a);
	if (strcmp(sub, "rename") == 0)
		return cmd_server_rename(ctx, a);
	if (strcmp(sub, "icon") == 0)
		return cmd_server_icon(ctx, a);
	if (strcmp(sub, "invite") == 0)
		return cmd_server_invite(ctx, a);
	if (strcmp(sub, "publish") == 0)
		return cmd_server_publish(ctx, a);
	if (strcmp(sub, "leave") == 0)
		return cmd_server_leave(ctx, a);
	if (strcmp(sub, "delete") == 0)
		return cmd_server_delete(ctx, a);
	if (strcmp(sub, "doctor") == 0)
		return cmd_doctor_exec(ctx, a);
	cmd_error(ctx, "usage: /server %s", cmd_server_entry.usage);
	return CMD_RETURN_ERROR;
}
