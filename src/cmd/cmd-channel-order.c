/* /channel create and /channel move: channels and their order. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/sanitize.h"
#include "haos/space.h"
#include "haos/store.h"
#include "haos/xmalloc.h"


/* Why a request failed, for messages. */
static const char *
cmd_channel_why(const struct client_result *res)
{
	return res->err != NULL ? res->err->msg : "request failed";
}

/* Add to q the rewrite of id's m.space.child with only order changed. */
static void
cmd_channel_put_order(struct cmd_ctx *ctx, struct cmd_seq *q,
    const char *space, const char *id, const char *order, const char *via)
{
	struct haos_error	 err;
	json_t			*c = NULL;
	char			*text = NULL, *body;

	if (ctx->store != NULL && store_query_state(ctx->store, space,
	    "m.space.child", id, &text, &err) == 0 && text != NULL)
		c = json_load_stored(text);
	free(text);
	if (!json_is_object(c)) {
		json_decref(c);
		c = space_child_content(via, NULL);
	}
	json_object_set_new(c, "order", json_string(order));
	body = json_xdumps(c);
	cmd_seq_add(q, matrix_req_state_put(space, "m.space.child", id, body),
	    0);
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
	c = json_load_stored(text);
	free(text);
	linked = json_array_size(json_get_arr(c, "via")) > 0;
	json_decref(c);
	return linked;
}

/*
 * The group a channel is listed in: 1 text, 2 voice, 0 none (a channel
 * I am not in is not listed).
 */
static int
cmd_channel_group(const struct room_row *r)
{
	if (r->join != ROOM_JOIN || r->is_space)
		return 0;
	return r->channel == CHANNEL_AUDIO || r->channel == CHANNEL_VIDEO ?
	    2 : 1;
}

/*
 * The channels the space links (a room that only names the space as its
 * parent is not one): ids and orders (copies), in display order, and
 * with groups (optional) the group of each.
 */
static size_t
cmd_channel_list(struct cmd_ctx *ctx, const char *space, char ***ids,
    char ***orders, int **groups)
{
	struct haos_error	 err;
	struct room_row		*r = NULL;
	size_t			 n = 0, i, o = 0;

	*ids = *orders = NULL;
	if (groups != NULL)
		*groups = NULL;
	if (ctx->store == NULL || space_channels(ctx->store, space, &r, &n,
	    &err) == -1)
		return 0;
	*ids = xcalloc(n + 1, sizeof **ids);
	*orders = xcalloc(n + 1, sizeof **orders);
	if (groups != NULL)
		*groups = xcalloc(n + 1, sizeof **groups);
	for (i = 0; i < n; i++) {
		if (!cmd_channel_linked(ctx, space, r[i].room_id))
			continue;
		if (groups != NULL)
			(*groups)[o] = cmd_channel_group(&r[i]);
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
	char				**ids, **orders, *order, *text;
	char				*label;
	size_t				 n;

	body = res->ok && res->body != NULL ? json_load_answer(res->body) :
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
	cmd_goto_follow(ctx, id);
	n = cmd_channel_list(ctx, c->space, &ids, &orders, NULL);
	cmd_channel_reorder(ctx, q, c->space, ids, orders, n, c->via);
	order = space_order_after(n > 0 ? orders[n - 1] : NULL);
	if (order == NULL) {
		/* The last order cannot be followed: append one renumbered. */
		order = xasprintf("%04zu", (n + 1) * 100);
	}
	child = space_child_content(c->via, order);
	text = json_xdumps(child);
	cmd_seq_add(q, matrix_req_state_put(c->space, "m.space.child", id,
	    text), 0);
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
cmd_channel_create_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct cmd_channel_create	*c;
	enum channel_type		 type = CHANNEL_TEXT;
	const char			*space;
	json_t				*users, *body;
	char				*text, *via;

	space = ctx->server_id;
	if (a->argc == 2 && space_channel_type_parse(a->argv[1],
	    &type) == -1) {
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
	body = space_channel_create_body(a->argv[0], space, type, ctx->me, via,
	    users);
	text = json_xdumps(body);
	c = xcalloc(1, sizeof *c);
	c->space = xstrdup(space);
	c->name = xstrdup(a->argv[0]);
	c->via = via;
	cmd_call(ctx, matrix_req_create_room(text), cmd_channel_created, c);
	free(text);
	json_decref(body);
	json_decref(users);
	return CMD_RETURN_WAIT;
}

/*
 * /channel move up|down: swap with the neighbour in the group the list
 * shows it in (text or voice channels), rewriting order; the channels
 * of other groups in between keep their places.
 */
static enum cmd_retval
cmd_channel_move_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct cmd_seq	*q;
	const char	*space, *room;
	char		**ids, **orders, *t, *via, *label;
	int		*groups;
	size_t		 n, i, at;
	int		 up;

	space = ctx->server_id;
	room = ctx->room_id;
	up = strcmp(a->argv[0], "up") == 0;
	n = cmd_channel_list(ctx, space, &ids, &orders, &groups);
	for (at = 0; at < n && strcmp(ids[at], room) != 0; at++)
		;
	if (at == n) {
		cmd_error(ctx, "channel move: the channel is not in this "
		    "server");
		cmd_channel_list_free(ids, orders, n);
		free(groups);
		return CMD_RETURN_ERROR;
	}
	for (i = at; up ? i > 0 : i + 1 < n;) {
		i = up ? i - 1 : i + 1;
		if (groups[i] == groups[at])
			break;
	}
	if (i == at || groups[i] != groups[at]) {
		cmd_info(ctx, "channel move: already %s", up ? "first" :
		    "last");
		cmd_channel_list_free(ids, orders, n);
		free(groups);
		return CMD_RETURN_NORMAL;
	}
	free(groups);
	label = cmd_room_label(ctx, room);
	q = cmd_seq_new(cmd_channel_seq_done, xasprintf("moved #%s %s",
	    label, a->argv[0]));
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

const struct cmd_entry cmd_channel_create_entry = {
	.name = "create",
	.alias = NULL,
	.args = { 1, 2 },
	.usage = "NAME [text|audio|video]",
	.help = "Create a channel of the server, last in order",
	.target = CMD_TARGET_SERVER,
	.power = POWER_MODERATOR,
	.flags = 0,
	.exec = cmd_channel_create_exec,
	.kinds = { CMD_ARG_TEXT, CMD_ARG_CHOICE },
	.choices = "text|audio|video"
};

const struct cmd_entry cmd_channel_move_entry = {
	.name = "move",
	.alias = NULL,
	.args = { 1, 1 },
	.usage = "up|down",
	.help = "Move the selected channel up or down among the text or "
	    "voice channels",
	.target = CMD_TARGET_CHANNEL,
	.power = POWER_MODERATOR,
	.flags = CMD_POWER_SERVER,
	.exec = cmd_channel_move_exec,
	.kinds = { CMD_ARG_CHOICE },
	.choices = "up|down"
};
