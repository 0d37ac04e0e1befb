/* /channel create|rename|topic|move|delete: rooms of the selected server. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

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

static enum cmd_retval	cmd_channel_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_channel_entry = {
	.name = "channel",
	.alias = NULL,
	.args = { 1, -1 },
	.usage = "create NAME [text|audio|video] | rename NAME | topic TEXT | "
	    "move up|down | delete [NAME]",
	.help = "Create, rename, reorder or delete channels of the server",
	.target = CMD_TARGET_NONE,	/* each subcommand checks its own */
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_channel_exec
};

/* The selected channel for what, or NULL (reported). */
static const char *
cmd_channel_need(struct cmd_ctx *ctx, const char *what)
{
	if (ctx->room_id != NULL && (ctx->server_id == NULL ||
	    strcmp(ctx->room_id, ctx->server_id) != 0))
		return ctx->room_id;
	if (ctx->ui == NULL)
		cmd_error(ctx, "%s needs a channel: give --channel NAME|ID",
		    what);
	else
		cmd_error(ctx, "%s: no channel selected", what);
	return NULL;
}

static const char *
cmd_channel_why(const struct client_result *res)
{
	return res->err != NULL ? res->err->msg : "request failed";
}

/* Words from argv[from] on, joined by spaces (NULL if none). */
static char *
cmd_channel_words(const struct cmd_args *a, int from)
{
	char	*s = NULL, *t;
	int	 i;

	for (i = from; i < a->argc; i++) {
		t = xasprintf("%s%s%s", s != NULL ? s : "", s != NULL ?
		    " " : "", a->argv[i]);
		free(s);
		s = t;
	}
	return s;
}

static void
cmd_channel_seq_done(struct cmd_ctx *ctx, struct cmd_seq *q, void *arg)
{
	char	*msg = arg;

	if (cmd_seq_failed(q) > 0)
		cmd_error(ctx, "%s: failed: %s", msg, cmd_seq_error(q));
	else
		cmd_info(ctx, "%s", msg);
	free(msg);
}

/* Add to q the rewrite of id's m.space.child with only order changed. */
static void
cmd_channel_put_order(struct cmd_ctx *ctx, struct cmd_seq *q,
    const char *space, const char *id, const char *order, const char *via)
{
	struct haos_error	 err;
	json_t			*c = NULL;
	char			*text = NULL, *body, *path;

	if (ctx->store != NULL && store_query_state(ctx->store, space,
	    "m.space.child", id, &text, &err) == 0 && text != NULL)
		c = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(c)) {
		json_decref(c);
		c = space_child_content(via, NULL);
	}
	json_object_set_new(c, "order", json_string(order));
	body = json_xdumps(c);
	path = cmd_state_path(space, "m.space.child", id);
	cmd_seq_add(q, matrix_req_new("PUT", path, body), 0);
	free(path);
	free(body);
	json_decref(c);
}

/*
 * Add to q the m.space.child rewrites that give the channels ids[0..n)
 * increasing orders, in that sequence: keep orders that already increase,
 * else renumber all ("0100", "0200", ...).  Each child keeps its content
 * (via, suggested) with only order changed.
 */
static void
cmd_channel_reorder(struct cmd_ctx *ctx, struct cmd_seq *q, const char *space,
    char **ids, char **orders, size_t n, const char *via)
{
	char			**seq;
	size_t			 i;
	int			 fine = 1;

	for (i = 0; i < n && fine; i++) {
		if (!space_order_valid(orders[i]) || (i > 0 &&
		    strcmp(orders[i - 1], orders[i]) >= 0))
			fine = 0;
	}
	if (fine)
		return;
	seq = space_order_sequence(n);
	for (i = 0; i < n; i++) {
		if (orders[i] != NULL && strcmp(orders[i], seq[i]) == 0)
			continue;
		cmd_channel_put_order(ctx, q, space, ids[i], seq[i], via);
		free(orders[i]);
		orders[i] = xstrdup(seq[i]);
	}
	for (i = 0; i < n; i++)
		free(seq[i]);
	free(seq);
}

/* Does the space link id with an m.space.child that has a via? */
static int
cmd_channel_linked(struct cmd_ctx *ctx, const char *space, const char *id)
{
	struct haos_error	 err;
	json_t			*c;
	char			*text = NULL;
	int			 linked;

	if (store_query_state(ctx->store, space, "m.space.child", id, &text,
	    &err) == -1 || text == NULL)
		return 0;
	c = json_loads(text, 0, NULL);
	free(text);
	linked = json_array_size(json_get_arr(c, "via")) > 0;
	json_decref(c);
	return linked;
}

/*
 * The channels the space links (a room that only names the space as its
 * parent is not one): ids and orders (copies), in display order.
 */
static size_t
cmd_channel_list(struct cmd_ctx *ctx, const char *space, char ***ids,
    char ***orders)
{
	struct haos_error	 err;
	struct room_row		*r = NULL;
	size_t			 n = 0, i, o = 0;

	*ids = *orders = NULL;
	if (ctx->store == NULL || space_channels(ctx->store, space, &r, &n,
	    &err) == -1)
		return 0;
	*ids = xcalloc(n + 1, sizeof **ids);
	*orders = xcalloc(n + 1, sizeof **orders);
	for (i = 0; i < n; i++) {
		if (!cmd_channel_linked(ctx, space, r[i].room_id))
			continue;
		(*ids)[o] = xstrdup(r[i].room_id);
		(*orders)[o++] = r[i].order != NULL ? xstrdup(r[i].order) :
		    NULL;
	}
	room_rows_free(r, n);
	return o;
}

static void
cmd_channel_list_free(char **ids, char **orders, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(ids[i]);
		free(orders[i]);
	}
	free(ids);
	free(orders);
}

/* /channel create: the room, then its m.space.child (last in order). */
struct cmd_channel_create {
	char	*space;
	char	*name;
	char	*via;
};

static void
cmd_channel_created(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	struct cmd_channel_create	*c = arg;
	struct cmd_seq			*q;
	json_t				*body, *child;
	const char			*id;
	char				**ids, **orders, *order, *path, *text;
	char				*label;
	size_t				 n;

	body = res->ok && res->body != NULL ? json_loads(res->body, 0, NULL) :
	    NULL;
	id = json_get_str(body, "room_id", NULL);
	if (!space_valid_room_id(id)) {
		cmd_error(ctx, "channel create: %s", cmd_channel_why(res));
		goto out;
	}
	label = sanitize_text(c->name, (size_t)-1, 0);
	q = cmd_seq_new(cmd_channel_seq_done, xasprintf("created channel "
	    "#%s (%s)", label, id));
	free(label);
	n = cmd_channel_list(ctx, c->space, &ids, &orders);
	cmd_channel_reorder(ctx, q, c->space, ids, orders, n, c->via);
	order = space_order_after(n > 0 ? orders[n - 1] : NULL);
	if (order == NULL) {
		/* The last order cannot be followed: append one renumbered. */
		order = xasprintf("%04zu", (n + 1) * 100);
	}
	child = space_child_content(c->via, order);
	text = json_xdumps(child);
	path = cmd_state_path(c->space, "m.space.child", id);
	cmd_seq_add(q, matrix_req_new("PUT", path, text), 0);
	free(path);
	free(text);
	json_decref(child);
	free(order);
	cmd_channel_list_free(ids, orders, n);
	cmd_seq_run(ctx, q);
out:
	json_decref(body);
	free(c->space);
	free(c->name);
	free(c->via);
	free(c);
}

static enum cmd_retval
cmd_channel_create(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct cmd_channel_create	*c;
	enum channel_type		 type = CHANNEL_TEXT;
	const char			*space;
	json_t				*users, *body;
	char				*text, *via;

	if ((space = cmd_need_server(ctx, "channel create")) == NULL ||
	    !cmd_need_power(ctx, "channel create", space, SPACE_MODERATOR))
		return CMD_RETURN_ERROR;
	if (a->argc < 2 || a->argc > 3 || (a->argc == 3 &&
	    space_channel_type_parse(a->argv[2], &type) == -1)) {
		cmd_error(ctx, "usage: /channel create NAME "
		    "[text|audio|video]");
		return CMD_RETURN_ERROR;
	}
	via = space_server_name(ctx->me);
	if (via == NULL) {
		cmd_error(ctx, "channel create: not logged in");
		return CMD_RETURN_ERROR;
	}
	/* The channel's roles are the server's (MAPPING-NOTES 2). */
	users = space_users(ctx->store, space);
	body = space_channel_create_body(a->argv[1], space, type, ctx->me, via,
	    users);
	text = json_xdumps(body);
	c = xcalloc(1, sizeof *c);
	c->space = xstrdup(space);
	c->name = xstrdup(a->argv[1]);
	c->via = via;
	cmd_request(ctx, "POST", "/_matrix/client/v3/createRoom", text,
	    cmd_channel_created, c);
	free(text);
	json_decref(body);
	json_decref(users);
	return CMD_RETURN_WAIT;
}

/* PUT one state event into the selected channel. */
static enum cmd_retval
cmd_channel_put(struct cmd_ctx *ctx, const char *what, const char *type,
    json_t *content, char *msg)
{
	struct cmd_seq	*q;
	const char	*room;
	char		*path, *body;

	if ((room = cmd_channel_need(ctx, what)) == NULL ||
	    !cmd_need_power(ctx, what, room, SPACE_MODERATOR)) {
		json_decref(content);
		free(msg);
		return CMD_RETURN_ERROR;
	}
	q = cmd_seq_new(cmd_channel_seq_done, msg);
	path = cmd_state_path(room, type, "");
	body = json_xdumps(content);
	cmd_seq_add(q, matrix_req_new("PUT", path, body), 0);
	free(body);
	free(path);
	json_decref(content);
	cmd_seq_run(ctx, q);
	return CMD_RETURN_WAIT;
}

static enum cmd_retval
cmd_channel_rename(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	char	*label, *msg;

	if (a->argc != 2) {
		cmd_error(ctx, "usage: /channel rename NAME");
		return CMD_RETURN_ERROR;
	}
	label = sanitize_text(a->argv[1], (size_t)-1, 0);
	msg = xasprintf("channel renamed to #%s", label);
	free(label);
	return cmd_channel_put(ctx, "channel rename", "m.room.name",
	    json_pack("{s:s}", "name", a->argv[1]), msg);
}

static enum cmd_retval
cmd_channel_topic(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	enum cmd_retval	 rv;
	char		*topic;

	topic = cmd_channel_words(a, 1);
	rv = cmd_channel_put(ctx, "channel topic", "m.room.topic",
	    json_pack("{s:s}", "topic", topic != NULL ? topic : ""),
	    xstrdup(topic != NULL ? "channel topic set" :
	    "channel topic cleared"));
	free(topic);
	return rv;
}

/* /channel move up|down: swap with the neighbour, rewriting order. */
static enum cmd_retval
cmd_channel_move(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct cmd_seq	*q;
	const char	*space, *room;
	char		**ids, **orders, *t, *via, *label;
	size_t		 n, i, at;
	int		 up;

	if (a->argc != 2 || (strcmp(a->argv[1], "up") != 0 &&
	    strcmp(a->argv[1], "down") != 0)) {
		cmd_error(ctx, "usage: /channel move up|down");
		return CMD_RETURN_ERROR;
	}
	if ((space = cmd_need_server(ctx, "channel move")) == NULL ||
	    (room = cmd_channel_need(ctx, "channel move")) == NULL ||
	    !cmd_need_power(ctx, "channel move", space, SPACE_MODERATOR))
		return CMD_RETURN_ERROR;
	up = strcmp(a->argv[1], "up") == 0;
	n = cmd_channel_list(ctx, space, &ids, &orders);
	for (at = 0; at < n && strcmp(ids[at], room) != 0; at++)
		;
	if (at == n) {
		cmd_error(ctx, "channel move: the channel is not in this "
		    "server");
		cmd_channel_list_free(ids, orders, n);
		return CMD_RETURN_ERROR;
	}
	if ((up && at == 0) || (!up && at + 1 == n)) {
		cmd_info(ctx, "channel move: already %s", up ? "first" :
		    "last");
		cmd_channel_list_free(ids, orders, n);
		return CMD_RETURN_NORMAL;
	}
	i = up ? at - 1 : at + 1;
	label = cmd_room_label(ctx, room);
	q = cmd_seq_new(cmd_channel_seq_done, xasprintf("moved #%s %s",
	    label, a->argv[1]));
	free(label);
	via = space_server_name(ctx->me);
	/* Renumber first if the orders do not already increase. */
	cmd_channel_reorder(ctx, q, space, ids, orders, n, via);
	/* Swap the two positions' ids; orders stay with their position. */
	t = ids[i];
	ids[i] = ids[at];
	ids[at] = t;
	cmd_channel_put_order(ctx, q, space, ids[i], orders[i], via);
	cmd_channel_put_order(ctx, q, space, ids[at], orders[at], via);
	free(via);
	cmd_channel_list_free(ids, orders, n);
	cmd_seq_run(ctx, q);
	return CMD_RETURN_WAIT;
}

/*
 * /channel delete: unlink it from the space (m.space.child emptied, its
 * m.space.parent too), kick its members where we can, and leave.  The
 * channel's name (or id) confirms.
 */
static enum cmd_retval
cmd_channel_delete(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct room_row		 r;
	struct member_row	*m = NULL;
	struct cmd_seq		*q;
	const char		*space, *room;
	json_t			*c;
	char			*name = NULL, *confirm, *label, *path, *body;
	size_t			 nm = 0, i;
	int			 ok;

	if ((space = cmd_need_server(ctx, "channel delete")) == NULL ||
	    (room = cmd_channel_need(ctx, "channel delete")) == NULL ||
	    !cmd_need_power(ctx, "channel delete", space, SPACE_MODERATOR))
		return CMD_RETURN_ERROR;
	if (ctx->store != NULL && store_query_room(ctx->store, room, &r,
	    &err) == 1) {
		name = r.name != NULL ? xstrdup(r.name) : NULL;
		room_row_free(&r);
	}
	confirm = cmd_channel_words(a, 1);
	if (confirm != NULL && confirm[0] == '#')
		memmove(confirm, confirm + 1, strlen(confirm));
	ok = confirm != NULL && (strcmp(confirm, room) == 0 ||
	    (name != NULL && strcmp(confirm, name) == 0));
	label = sanitize_text(name != NULL ? name : room, (size_t)-1, 0);
	free(confirm);
	free(name);
	if (!ok) {
		cmd_error(ctx, "channel delete: this removes #%s and its "
		    "members; to confirm: /channel delete %s", label, label);
		free(label);
		return CMD_RETURN_ERROR;
	}
	q = cmd_seq_new(cmd_channel_seq_done, xasprintf("deleted channel #%s",
	    label));
	free(label);
	path = cmd_state_path(space, "m.space.child", room);
	cmd_seq_add(q, matrix_req_new("PUT", path, "{}"), CMD_SEQ_STOP);
	free(path);
	path = cmd_state_path(room, "m.space.parent", space);
	cmd_seq_add(q, matrix_req_new("PUT", path, "{}"), CMD_SEQ_OPTIONAL);
	free(path);
	if (ctx->store != NULL && store_query_members(ctx->store, room, &m,
	    &nm, &err) == 0) {
		for (i = 0; i < nm; i++) {
			if (strcmp(m[i].user_id, ctx->me) == 0 ||
			    m[i].membership == NULL ||
			    (strcmp(m[i].membership, "join") != 0 &&
			    strcmp(m[i].membership, "invite") != 0))
				continue;
			c = json_pack("{s:s, s:s}", "user_id", m[i].user_id,
			    "reason", "channel deleted");
			body = json_xdumps(c);
			json_decref(c);
			path = cmd_room_path(room, "kick");
			cmd_seq_add(q, matrix_req_new("POST", path, body), CMD_SEQ_OPTIONAL);
			free(path);
			free(body);
		}
		member_rows_free(m, nm);
	}
	path = cmd_room_path(room, "leave");
	cmd_seq_add(q, matrix_req_new("POST", path, "{}"), 0);
	free(path);
	cmd_seq_run(ctx, q);
	return CMD_RETURN_WAIT;
}

static enum cmd_retval
cmd_channel_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char	*sub = a->argv[0];

	if (strcmp(sub, "create") == 0)
		return cmd_channel_create(ctx, a);
	if (strcmp(sub, "rename") == 0)
		return cmd_channel_rename(ctx, a);
	if (strcmp(sub, "topic") == 0)
		return cmd_channel_topic(ctx, a);
	if (strcmp(sub, "move") == 0)
		return cmd_channel_move(ctx, a);
	if (strcmp(sub, "delete") == 0)
		return cmd_channel_delete(ctx, a);
	cmd_error(ctx, "usage: /channel %s", cmd_channel_entry.usage);
	return CMD_RETURN_ERROR;
}
