/* /retry: send failed messages again, with their transaction ids. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/model.h"
#include "haos/store.h"

/*
 * The selected (or named) failed message, else every failed message of
 * the channel.  The same transaction id goes out again, so a send that
 * reached the server before failing is not duplicated.
 */
static enum cmd_retval
cmd_retry_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct outbox_row	*rows;
	struct event_row	 ev;
	size_t			 n, i, done = 0;
	const char		*why = NULL;

	if (a->argc > 0 || ctx->event_id != NULL) {
		if (cmd_relate_target(ctx, a->argc > 0 ? a->argv[0] : NULL,
		    &ev) == -1)
			return CMD_RETURN_ERROR;
		if (ev.echo != OUTBOX_FAILED || ev.txn_id == NULL) {
			cmd_error(ctx, "retry: that message has not failed");
			event_row_free(&ev);
			return CMD_RETURN_ERROR;
		}
		client_retry(ctx->client, ctx->room_id, ev.txn_id);
		event_row_free(&ev);
		cmd_info(ctx, "sending again");
		return CMD_RETURN_NORMAL;
	}
	if (store_query_outbox(ctx->store, OUTBOX_FAILED, &rows, &n,
	    &err) == -1) {
		cmd_error(ctx, "retry: %s", err.msg);
		return CMD_RETURN_ERROR;
	}
	for (i = 0; i < n; i++) {
		if (rows[i].room_id == NULL || rows[i].txn_id == NULL ||
		    strcmp(rows[i].room_id, ctx->room_id) != 0)
			continue;
		if (why == NULL && rows[i].error != NULL)
			why = rows[i].error;
		client_retry(ctx->client, ctx->room_id, rows[i].txn_id);
		done++;
	}
	if (done == 0)
		cmd_error(ctx, "retry: nothing failed in this channel");
	else
		cmd_info(ctx, "sending %zu message%s again (last error: %s)",
		    done, done == 1 ? "" : "s", why != NULL ? why : "none");
	outbox_rows_free(rows, n);
	return done == 0 ? CMD_RETURN_ERROR : CMD_RETURN_NORMAL;
}

const struct cmd_entry cmd_retry_entry = {
	.name = "retry",
	.alias = NULL,
	.args = { 0, 1 },
	.usage = "[txn-id|$event]",
	.help = "Send failed messages again: the selected one, else all "
	    "of this channel (discard one with /delete)",
	.target = CMD_TARGET_ROOM,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_retry_exec
};
