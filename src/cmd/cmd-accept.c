/* /accept [room]: join a room, channel, server or DM we are invited to. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/*
 * The invite an /accept or /decline means: the named room, else the
 * selected one if it is an invite.  Returns the room id and its label.
 */
char *
cmd_accept_target(struct cmd_ctx *ctx, const struct cmd_args *a,
    char **label)
{
	struct haos_error	 err;
	struct room_row		 r;
	char			*id;
	int			 rc;

	*label = NULL;
	if (a->argc == 1)
		id = cmd_resolve_room(ctx, a->argv[0]);
	else if (ctx->room_id != NULL)
		id = xstrdup(ctx->room_id);
	else {
		cmd_error(ctx, "%s: which invite?", ctx->current->name);
		return NULL;
	}
	if (id == NULL)
		return NULL;
	if (ctx->store == NULL) {
		free(id);
		cmd_error(ctx, "%s: no store", ctx->current->name);
		return NULL;
	}
	rc = store_query_room(ctx->store, id, &r, &err);
	if (rc != 1 || r.join != ROOM_INVITE) {
		cmd_error(ctx, "%s: no pending invite to %s",
		    ctx->current->name, a->argc == 1 ? a->argv[0] :
		    "the selected room");
		if (rc == 1)
			room_row_free(&r);
		free(id);
		return NULL;
	}
	*label = cmd_room_name(ctx->store, &r);
	room_row_free(&r);
	return id;
}

/*
 * The channel invites that belong to a server invite (the channels whose
 * join rules name the space: store_query_rooms() folds them in), with
 * their labels; the caller frees both.
 */
size_t
cmd_invite_channels(struct cmd_ctx *ctx, const char *space, char ***ids,
    char ***labels)
{
	struct haos_error	 err;
	struct room_row		*r = NULL;
	size_t			 nr = 0, i, n = 0;
	char			*name, *clean;

	*ids = *labels = NULL;
	if (ctx->store == NULL || store_query_rooms(ctx->store,
	    STORE_ROOMS_CHANNELS, space, &r, &nr, &err) == -1)
		return 0;
	*ids = xcalloc(nr + 1, sizeof **ids);
	*labels = xcalloc(nr + 1, sizeof **labels);
	for (i = 0; i < nr; i++) {
		if (r[i].join != ROOM_INVITE || r[i].is_space ||
		    strcmp(r[i].room_id, space) == 0)
			continue;
		name = cmd_room_name(ctx->store, &r[i]);
		clean = sanitize_text(name, (size_t)-1, 0);
		(*ids)[n] = xstrdup(r[i].room_id);
		(*labels)[n++] = xasprintf("#%s", clean);
		free(clean);
		free(name);
	}
	room_rows_free(r, nr);
	return n;
}

/* Add the pending invites of rows (in order) to ids. */
static void
cmd_invite_collect(const struct room_row *r, size_t nr, char ***ids,
    size_t *n)
{
	size_t	 i;

	for (i = 0; i < nr; i++) {
		if (r[i].join != ROOM_INVITE)
			continue;
		*ids = xrealloc(*ids, (*n + 1) * sizeof **ids);
		(*ids)[(*n)++] = xstrdup(r[i].room_id);
	}
}

/*
 * Move on from the invite done (just accepted or declined) to the next
 * pending one, in the order the rail and the Direct Messages list show
 * them: server invites, then DMs, then rooms.  With none left, stay.
 */
void
cmd_invite_next(struct cmd_ctx *ctx, const char *done)
{
	static const enum store_rooms	 kinds[] = { STORE_ROOMS_SPACES,
	    STORE_ROOMS_DIRECT, STORE_ROOMS_OTHER };
	struct haos_error		 err;
	struct room_row			*r;
	char				**ids = NULL, *next = NULL;
	size_t				 nr, n = 0, i, at = 0, k;

	if (ctx->ui == NULL || ctx->ui->action == NULL || ctx->store == NULL)
		return;
	for (k = 0; k < nitems(kinds); k++) {
		if (store_query_rooms(ctx->store, kinds[k], NULL, &r, &nr,
		    &err) == -1)
			continue;
		cmd_invite_collect(r, nr, &ids, &n);
		room_rows_free(r, nr);
	}
	for (i = 0; i < n; i++) {
		if (strcmp(ids[i], done) == 0)
			at = i;
	}
	/* The one after done, wrapping; not done itself. */
	for (i = 1; i <= n && next == NULL; i++) {
		if (strcmp(ids[(at + i) % n], done) != 0)
			next = ids[(at + i) % n];
	}
	if (next != NULL)
		ctx->ui->action(ctx->ui_arg, UI_ACT_GOTO, next);
	cmd_strings_free(ids, n);
}

/* One /accept in flight: the label, and the peer if it is a DM. */
struct cmd_accept {
	char	*label;
	char	*room_id;
	char	*peer;		/* invited with is_direct by this user */
};

static void
cmd_accept_done(struct cmd_ctx *ctx, const struct client_result *res, void *arg)
{
	struct cmd_accept	*acc = arg;

	if (res->ok) {
		cmd_info(ctx, "joined %s", acc->label);
		/* A DM invite is a DM once accepted: m.direct says so. */
		if (acc->peer != NULL)
			cmd_dm_record(ctx, acc->peer, acc->room_id);
	} else
		cmd_error(ctx, "cannot join %s: %s", acc->label,
		    res->err != NULL ? res->err->msg : "failed");
	free(acc->label);
	free(acc->room_id);
	free(acc->peer);
	free(acc);
}

/*
 * Accept an invite: a server's joins the space, every channel it lists
 * (as /join does) and the channel invites that came with it; a DM's is
 * recorded in m.direct.  The selected invite accepted, the next one is
 * selected.
 */
static enum cmd_retval
cmd_accept_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct room_row		 r;
	struct cmd_accept	*acc;
	char			*id, *label, **also, **labels;
	size_t			 nalso;
	int			 space = 0;

	id = cmd_accept_target(ctx, a, &label);
	if (id == NULL)
		return CMD_RETURN_ERROR;
	acc = xcalloc(1, sizeof *acc);
	acc->label = label;
	acc->room_id = id;
	if (store_query_room(ctx->store, id, &r, &err) == 1) {
		space = r.is_space;
		if (r.is_direct && r.direct_user != NULL)
			acc->peer = xstrdup(r.direct_user);
		room_row_free(&r);
	}
	cmd_info(ctx, "joining %s...", label);
	if (space) {
		free(acc->label);
		free(acc);
		nalso = cmd_invite_channels(ctx, id, &also, &labels);
		cmd_strings_free(labels, nalso);
		cmd_join_start_with(ctx, id, also, nalso, 0);
	} else {
		id = xstrdup(id);	/* acc owns the first copy */
		cmd_call(ctx, matrix_req_join(id, NULL), cmd_accept_done, acc);
	}
	if (a->argc == 0)
		cmd_invite_next(ctx, id);
	free(id);
	return CMD_RETURN_WAIT;
}

const struct cmd_entry cmd_accept_entry = {
	.name = "accept",
	.alias = NULL,
	.args = { 0, 1 },
	.usage = "[#channel|server|@user]",
	.help = "Accept a pending invite (default: the selected one)",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = CMD_RAW,
	.exec = cmd_accept_exec,
	.kinds = { CMD_ARG_CHANNEL }
};
