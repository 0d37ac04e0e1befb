/* /channel: its subcommand table, rename, topic and delete. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/sanitize.h"
#include "haos/space.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

extern const struct cmd_entry	cmd_channel_create_entry;
extern const struct cmd_entry	cmd_channel_delete_entry;
extern const struct cmd_entry	cmd_channel_move_entry;
extern const struct cmd_entry	cmd_channel_rename_entry;
extern const struct cmd_entry	cmd_channel_topic_entry;

/* this array MUST be alphasorted by name (check_cmd.c checks it) */
static const struct cmd_entry *const cmd_channel_sub[] = {
	&cmd_channel_create_entry,
	&cmd_channel_delete_entry,
	&cmd_channel_move_entry,
	&cmd_channel_rename_entry,
	&cmd_channel_topic_entry,
};

/* Each subcommand's entry says its arguments, target and role. */
const struct cmd_entry cmd_channel_entry = {
	.name = "channel",
	.alias = NULL,
	.args = { 1, -1 },
	.usage = "create|delete|move|rename|topic ...",
	.help = "Create, rename, reorder or delete channels of the server",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = NULL,
	.sub = cmd_channel_sub,
	.nsub = nitems(cmd_channel_sub)
};

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

/* Say msg, or why the sequence failed; frees msg. */
void
cmd_channel_seq_done(struct cmd_ctx *ctx, struct cmd_seq *q, void *arg)
{
	char	*msg = arg;

	if (cmd_seq_failed(q) > 0)
		cmd_error(ctx, "%s: failed: %s", msg, cmd_seq_error(q));
	else
		cmd_info(ctx, "%s", msg);
	free(msg);
}

/* PUT one state event into the selected channel. */
static enum cmd_retval
cmd_channel_put(struct cmd_ctx *ctx, const char *type, json_t *content,
    char *msg)
{
	struct cmd_seq	*q;
	const char	*room;
	char		*body;

	room = ctx->room_id;
	q = cmd_seq_new(cmd_channel_seq_done, msg);
	body = json_xdumps(content);
	cmd_seq_add(q, matrix_req_state_put(room, type, "", body), 0);
	free(body);
	json_decref(content);
	cmd_seq_run(ctx, q);
	return CMD_RETURN_WAIT;
}

static enum cmd_retval
cmd_channel_rename_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	char	*label, *msg;

	label = sanitize_text(a->argv[0], (size_t)-1, 0);
	msg = xasprintf("channel renamed to #%s", label);
	free(label);
	return cmd_channel_put(ctx, "m.room.name",
	    json_pack("{s:s}", "name", a->argv[0]), msg);
}

static enum cmd_retval
cmd_channel_topic_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	enum cmd_retval	 rv;
	char		*topic;

	topic = cmd_channel_words(a, 0);
	rv = cmd_channel_put(ctx, "m.room.topic",
	    json_pack("{s:s}", "topic", topic != NULL ? topic : ""),
	    xstrdup(topic != NULL ? "channel topic set" :
	    "channel topic cleared"));
	free(topic);
	return rv;
}

/*
 * /channel delete: unlink it from the space (m.space.child emptied, its
 * m.space.parent too), kick its members where we can, and leave.  The
 * channel's name (or id) confirms.
 */
static enum cmd_retval
cmd_channel_delete_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct room_row		 r;
	struct member_row	*m = NULL;
	struct cmd_seq		*q;
	const char		*space, *room;
	char			*name = NULL, *confirm, *label, *how, *effect;
	size_t			 nm = 0, i;
	int			 ok;

	space = ctx->server_id;
	room = ctx->room_id;
	if (ctx->store != NULL && store_query_room(ctx->store, room, &r,
	    &err) == 1) {
		name = r.name != NULL ? xstrdup(r.name) : NULL;
		room_row_free(&r);
	}
	confirm = cmd_channel_words(a, 0);
	if (confirm != NULL && confirm[0] == '#')
		memmove(confirm, confirm + 1, strlen(confirm));
	ok = confirm != NULL && (strcmp(confirm, room) == 0 ||
	    (name != NULL && strcmp(confirm, name) == 0));
	label = sanitize_text(name != NULL ? name : room, (size_t)-1, 0);
	free(confirm);
	free(name);
	if (!ok) {
		how = xasprintf("/channel delete %s", label);
		effect = xasprintf("removes #%s from the server, kicks its "
		    "members and leaves it", label);
		cmd_confirm(ctx, "channel delete", how, effect);
		free(how);
		free(effect);
		free(label);
		return CMD_RETURN_ERROR;
	}
	q = cmd_seq_new(cmd_channel_seq_done, xasprintf("deleted channel #%s",
	    label));
	free(label);
	cmd_seq_add(q, matrix_req_state_put(space, "m.space.child", room,
	    "{}"), CMD_SEQ_STOP);
	cmd_seq_add(q, matrix_req_state_put(room, "m.space.parent", space,
	    "{}"), CMD_SEQ_OPTIONAL);
	if (ctx->store != NULL && store_query_members(ctx->store, room, &m,
	    &nm, &err) == 0) {
		for (i = 0; i < nm; i++) {
			if (strcmp(m[i].user_id, ctx->me) == 0 ||
			    m[i].membership == NULL ||
			    (strcmp(m[i].membership, "join") != 0 &&
			    strcmp(m[i].membership, "invite") != 0))
				continue;
			cmd_seq_add(q, matrix_req_member(room, "kick",
			    m[i].user_id, "channel deleted"), CMD_SEQ_OPTIONAL);
		}
		member_rows_free(m, nm);
	}
	cmd_seq_add(q, matrix_req_leave(room), 0);
	cmd_seq_run(ctx, q);
	return CMD_RETURN_WAIT;
}

const struct cmd_entry cmd_channel_rename_entry = {
	.name = "rename",
	.alias = NULL,
	.args = { 1, 1 },
	.usage = "NAME",
	.help = "Rename the selected channel",
	.target = CMD_TARGET_CHANNEL,
	.power = POWER_MODERATOR,
	.flags = 0,
	.exec = cmd_channel_rename_exec
};

const struct cmd_entry cmd_channel_topic_entry = {
	.name = "topic",
	.alias = NULL,
	.args = { 0, -1 },
	.usage = "[TEXT]",
	.help = "Set the selected channel's topic (none: clear it)",
	.target = CMD_TARGET_CHANNEL,
	.power = POWER_MODERATOR,
	.flags = 0,
	.exec = cmd_channel_topic_exec
};

const struct cmd_entry cmd_channel_delete_entry = {
	.name = "delete",
	.alias = NULL,
	.args = { 0, -1 },
	.usage = "[NAME]",
	.help = "Unlink the selected channel, kick its members and leave it "
	    "(NAME confirms)",
	.target = CMD_TARGET_CHANNEL,
	.power = POWER_MODERATOR,
	.flags = CMD_POWER_SERVER,
	.exec = cmd_channel_delete_exec,
	.kinds = { CMD_ARG_CHANNEL }
};
