/* /delete [event]: redact a message through the outbox. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/model.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define DELETE_REDACT_DEFAULT	50	/* "redact" when unset */
#define DELETE_SCAN		50	/* events searched for my newest */

static enum cmd_retval	cmd_delete_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_delete_entry = {
	.name = "delete",
	.alias = NULL,
	.args = { 0, 1 },
	.usage = "[$event]",
	.help = "Delete a message (the selected or your newest one); "
	    "moderators may delete anyone's",
	.target = CMD_TARGET_ROOM,
	.power = POWER_GUEST,
	.exec = cmd_delete_exec
};

/* The room's "redact" power level (m.room.power_levels, default 50). */
static int64_t
cmd_delete_level(struct cmd_ctx *ctx)
{
	struct haos_error	 err;
	json_t			*pl;
	char			*content = NULL;
	int64_t			 level = DELETE_REDACT_DEFAULT;

	if (store_query_state(ctx->store, ctx->room_id,
	    "m.room.power_levels", "", &content, &err) == -1 ||
	    content == NULL)
		return level;
	pl = json_load_stored(content);
	level = json_get_int(pl, "redact", DELETE_REDACT_DEFAULT);
	json_decref(pl);
	free(content);
	return level;
}

/*
 * Whether I may delete ev in the selected room: my own messages always,
 * other people's with the room's redact level.  Says why not.
 */
int
cmd_delete_allowed(struct cmd_ctx *ctx, const struct event_row *ev)
{
	int64_t	 mine, need;

	if (ev->sender != NULL && ctx->me != NULL &&
	    strcmp(ev->sender, ctx->me) == 0)
		return 1;
	mine = cmd_power_of(ctx, ctx->room_id, ctx->me);
	need = cmd_delete_level(ctx);
	if (mine >= need)
		return 1;
	cmd_error(ctx, "delete: only moderators may delete others' messages "
	    "(needs power level %lld, you have %lld)",
	    (long long)need, (long long)(mine < 0 ? 0 : mine));
	return 0;
}

/*
 * My newest message in the live end of the room, unsent ones included
 * (a failed send is what one most often wants to drop).
 */
static int
cmd_delete_newest_mine(struct cmd_ctx *ctx, struct event_row *ev)
{
	struct haos_error	 err;
	struct event_row	*rows = NULL, *r;
	size_t			 n = 0, i;

	memset(ev, 0, sizeof *ev);
	if (ctx->room_id == NULL) {
		cmd_error(ctx, "delete: select a channel first");
		return -1;
	}
	if (store_query_timeline(ctx->store, ctx->room_id, STORE_LATEST,
	    DELETE_SCAN, 0, ctx->me, &rows, &n, &err) == -1) {
		cmd_error(ctx, "delete: %s", err.msg);
		return -1;
	}
	for (i = n; i > 0; i--) {
		r = &rows[i - 1];
		if (r->redacted || r->type == NULL ||
		    strcmp(r->type, "m.room.message") != 0 ||
		    r->sender == NULL || ctx->me == NULL ||
		    strcmp(r->sender, ctx->me) != 0)
			continue;
		*ev = *r;
		memset(r, 0, sizeof *r);
		break;
	}
	event_rows_free(rows, n);
	if (ev->sender == NULL) {
		cmd_error(ctx, "delete: you have no message here to delete "
		    "(select one with Alt+S, then d)");
		return -1;
	}
	return 0;
}

static enum cmd_retval
cmd_delete_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct event_row	 ev;

	if (a->argc == 0 && ctx->event_id == NULL) {
		/* Nothing named or selected: my newest, never someone else's. */
		if (cmd_delete_newest_mine(ctx, &ev) == -1)
			return CMD_RETURN_ERROR;
	} else if (cmd_relate_target(ctx, a->argc > 0 ? a->argv[0] : NULL,
	    &ev) == -1)
		return CMD_RETURN_ERROR;
	if (ev.event_id == NULL) {
		/* Not sent yet: drop it from the outbox instead. */
		client_discard(ctx->client, ctx->room_id, ev.txn_id);
		cmd_info(ctx, "unsent message discarded");
		event_row_free(&ev);
		return CMD_RETURN_NORMAL;
	}
	if (ev.redacted) {
		cmd_error(ctx, "delete: that message is already deleted");
		event_row_free(&ev);
		return CMD_RETURN_ERROR;
	}
	if (!cmd_delete_allowed(ctx, &ev)) {
		event_row_free(&ev);
		return CMD_RETURN_ERROR;
	}
	client_redact(ctx->client, ctx->room_id, ev.event_id, NULL);
	event_row_free(&ev);
	return CMD_RETURN_NORMAL;
}
