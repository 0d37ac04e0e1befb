/* The message a relation command (/react, /reply, /delete) acts on. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/model.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define RELATE_PAGE	50	/* events searched for the newest */

/* Copy the row at *src into *dst and empty *src. */
static void
cmd_relate_take(struct event_row *dst, struct event_row *src)
{
	*dst = *src;
	memset(src, 0, sizeof *src);
}

/*
 * Look through the live end of the room: the local echo with txn_id, or
 * (txn_id NULL) the newest message that is on the server and not deleted.
 */
static int
cmd_relate_scan(struct cmd_ctx *ctx, const char *txn_id,
    struct event_row *ev)
{
	struct haos_error	 err;
	struct event_row	*rows = NULL;
	size_t			 n = 0, i;
	int			 found = 0;

	if (store_query_timeline(ctx->store, ctx->room_id, STORE_LATEST,
	    RELATE_PAGE, 0, ctx->me, &rows, &n, &err) == -1) {
		cmd_error(ctx, "%s: %s", ctx->current->name, err.msg);
		return -1;
	}
	for (i = n; i > 0 && !found; i--) {
		if (txn_id != NULL) {
			if (rows[i - 1].txn_id != NULL &&
			    strcmp(rows[i - 1].txn_id, txn_id) == 0)
				found = 1;
		} else if (rows[i - 1].event_id != NULL &&
		    !rows[i - 1].redacted && rows[i - 1].type != NULL &&
		    strcmp(rows[i - 1].type, "m.room.message") == 0)
			found = 1;
		if (found)
			cmd_relate_take(ev, &rows[i - 1]);
	}
	event_rows_free(rows, n);
	if (!found) {
		cmd_error(ctx, "%s: no message to act on", ctx->current->name);
		return -1;
	}
	return 0;
}

int
cmd_relate_target(struct cmd_ctx *ctx, const char *arg, struct event_row *ev)
{
	struct haos_error	 err;
	const char		*id;
	int			 rc;

	memset(ev, 0, sizeof *ev);
	if (ctx->store == NULL || ctx->room_id == NULL) {
		cmd_error(ctx, "%s: select a channel first",
		    ctx->current->name);
		return -1;
	}
	/* Event ids start with '$'; anything else is a local echo's txn. */
	id = arg != NULL ? arg : ctx->event_id;
	if (id == NULL)
		return cmd_relate_scan(ctx, NULL, ev);
	if (*id != '$')
		return cmd_relate_scan(ctx, id, ev);	/* a local echo */
	rc = store_query_event(ctx->store, id, ev, &err);
	if (rc == -1) {
		cmd_error(ctx, "%s: %s", ctx->current->name, err.msg);
		return -1;
	}
	if (rc == 0 || ev->room_id == NULL ||
	    strcmp(ev->room_id, ctx->room_id) != 0) {
		if (rc == 1)
			event_row_free(ev);
		cmd_error(ctx, "%s: no message %s in this channel",
		    ctx->current->name, id);
		return -1;
	}
	return 0;
}
