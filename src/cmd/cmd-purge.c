/* /purge @user N: redact that user's last N messages in the channel. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define CMD_PURGE_MAX		500	/* messages per /purge */
#define CMD_PURGE_PAGES		20	/* /messages pages of 100 at most */

static enum cmd_retval	cmd_purge_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_purge_entry = {
	.name = "purge",
	.alias = NULL,
	.args = { 2, 2 },
	.usage = "@user N",
	.help = "Delete a user's last N messages in the channel (moderator+)",
	.target = CMD_TARGET_ROOM,
	.power = POWER_MODERATOR,
	.flags = 0,
	.exec = cmd_purge_exec,
	.kinds = { CMD_ARG_USER }
};

/* A purge under way: the events found so far, newest first. */
struct cmd_purge {
	char	*room_id;
	char	*user;
	char	**ids;
	size_t	 n;
	size_t	 want;
	int	 pages;
};

static void
cmd_purge_free(struct cmd_purge *p)
{
	cmd_strings_free(p->ids, p->n);
	free(p->room_id);
	free(p->user);
	free(p);
}

static void
cmd_purge_add(struct cmd_purge *p, const char *event_id)
{
	size_t	 i;

	if (p->n >= p->want)
		return;
	for (i = 0; i < p->n; i++) {
		if (strcmp(p->ids[i], event_id) == 0)
			return;
	}
	p->ids = xrealloc(p->ids, (p->n + 1) * sizeof *p->ids);
	p->ids[p->n++] = xstrdup(event_id);
}

/* Redact what was found, one request per event, and report. */
static void
cmd_purge_redact(struct cmd_ctx *ctx, struct cmd_purge *p)
{
	struct cmd_batch	*b;
	char			*what, *txn, *done;
	size_t			 i;

	if (p->n == 0) {
		cmd_error(ctx, "purge: no messages of %s in this channel",
		    p->user);
		cmd_purge_free(p);
		return;
	}
	what = xasprintf("purge %s", p->user);
	done = xasprintf("deleted%s", p->n < p->want ? " (all there were)" :
	    "");
	b = cmd_batch_new(ctx, what, done, NULL, 1);
	cmd_batch_unit(b, "message", "messages");
	for (i = 0; i < p->n; i++) {
		txn = matrix_txn_id();
		cmd_batch_add(b, p->ids[i], matrix_req_redact(p->room_id,
		    p->ids[i], txn, "purged by a moderator"), 0);
		free(txn);
	}
	free(what);
	free(done);
	cmd_purge_free(p);
	cmd_batch_start(b);
}

static void	cmd_purge_page(struct cmd_ctx *, struct cmd_purge *,
		    const char *from);

/* One page of /messages (backwards): take the user's live messages. */
static void
cmd_purge_got(struct cmd_ctx *ctx, const struct client_result *res, void *arg)
{
	struct cmd_purge	*p = arg;
	json_t			*root, *chunk, *ev, *content;
	const char		*end, *id;
	size_t			 i;
	char			*next = NULL;

	if (!res->ok) {
		cmd_error(ctx, "purge: cannot read the history: %s",
		    res->err != NULL ? res->err->msg : "failed");
		cmd_purge_free(p);
		return;
	}
	root = res->body != NULL ? json_load_answer(res->body) : NULL;
	chunk = json_object_get(root, "chunk");
	json_array_foreach(chunk, i, ev) {
		id = json_get_str(ev, "event_id", NULL);
		content = json_object_get(ev, "content");
		if (id == NULL || json_object_get(ev, "state_key") != NULL ||
		    strcmp(json_get_str(ev, "sender", ""), p->user) != 0 ||
		    strcmp(json_get_str(ev, "type", ""),
		    "m.room.redaction") == 0 || !json_is_object(content) ||
		    json_object_size(content) == 0)
			continue;
		cmd_purge_add(p, id);
	}
	end = json_get_str(root, "end", NULL);
	if (end != NULL && json_array_size(chunk) > 0)
		next = xstrdup(end);
	json_decref(root);
	if (p->n < p->want && next != NULL && p->pages < CMD_PURGE_PAGES)
		cmd_purge_page(ctx, p, next);
	else
		cmd_purge_redact(ctx, p);
	free(next);
}

static void
cmd_purge_page(struct cmd_ctx *ctx, struct cmd_purge *p, const char *from)
{
	p->pages++;
	cmd_call(ctx, matrix_req_messages(p->room_id, from, 'b', 100),
	    cmd_purge_got, p);
}

/*
 * Find the user's newest N messages that are not deleted yet: the
 * cached timeline first, then /messages from the live end if the cache
 * has fewer (it holds the last page of each room).
 */
static enum cmd_retval
cmd_purge_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct cmd_purge	*p;
	struct event_row	*ev = NULL;
	json_t			*pl;
	char			*user, *text = NULL, *endp;
	size_t			 nev = 0, i;
	long			 want;
	int64_t			 need, mine;

	want = strtol(a->argv[1], &endp, 10);
	if (*a->argv[1] == '\0' || *endp != '\0' || want < 1 ||
	    want > CMD_PURGE_MAX) {
		cmd_error(ctx, "purge: N is a number from 1 to %d",
		    CMD_PURGE_MAX);
		return CMD_RETURN_ERROR;
	}
	/* Redacting others' events needs the room's "redact" level. */
	need = POWER_MODERATOR;
	if (store_query_state(ctx->store, ctx->room_id, "m.room.power_levels",
	    "", &text, &err) == 0 && text != NULL) {
		pl = json_load_stored(text);
		need = json_get_int(pl, "redact", 50);
		json_decref(pl);
	}
	free(text);
	mine = cmd_power_of(ctx, ctx->room_id, ctx->me);
	if (mine < 0)
		mine = 0;
	if (mine < need) {
		cmd_error(ctx, "purge needs the redact level %s (%lld); you "
		    "are %s (%lld)", cmd_role_name(need), (long long)need,
		    cmd_role_name(mine), (long long)mine);
		return CMD_RETURN_ERROR;
	}
	user = cmd_user_id(ctx, a->argv[0]);
	if (user == NULL)
		return CMD_RETURN_ERROR;
	p = xcalloc(1, sizeof *p);
	p->room_id = xstrdup(ctx->room_id);
	p->user = user;
	p->want = (size_t)want;
	if (store_query_timeline(ctx->store, ctx->room_id, STORE_LATEST,
	    1000, 0, ctx->me, &ev, &nev, &err) == -1)
		nev = 0;
	for (i = nev; i > 0 && p->n < p->want; i--) {
		if (ev[i - 1].event_id == NULL || ev[i - 1].redacted ||
		    ev[i - 1].state_key != NULL ||
		    strcmp(ev[i - 1].sender, user) != 0)
			continue;
		cmd_purge_add(p, ev[i - 1].event_id);
	}
	event_rows_free(ev, nev);
	if (p->n < p->want)
		cmd_purge_page(ctx, p, NULL);
	else
		cmd_purge_redact(ctx, p);
	return CMD_RETURN_WAIT;
}
