/* Requests over every room of a server: collected, retried, reported. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/sanitize.h"
#include "haos/space.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

enum cmd_batch_state {
	BATCH_PENDING = 0,
	BATCH_OK,
	BATCH_SKIPPED,		/* not a member there: nothing to do */
	BATCH_FAILED
};

struct cmd_batch_item {
	char			*label;		/* sanitised */
	struct matrix_req	*req;		/* NULL: failed before sending */
	unsigned int		 flags;		/* CMD_BATCH_* */
	enum cmd_batch_state	 state;
	char			*why;		/* the last error */
};

/*
 * A batch lives until its last answer: each request holds a reference
 * (struct cmd_batch_ref) and the report is made when outstanding drops
 * to zero with no retry left.
 */
struct cmd_batch {
	struct cmd_ctx		*ctx;
	char			*what;		/* "role @bob:hs" */
	char			*done;		/* "is now MODERATOR (50)" */
	char			*hint;		/* after a failure, or NULL */
	int			 retries;	/* rounds left after the first */
	int			 round;
	struct cmd_batch_item	*items;
	size_t			 n;
	size_t			 outstanding;
	const char		*one;		/* "room": what an item is */
	const char		*many;		/* "rooms" */
};

struct cmd_batch_ref {
	struct cmd_batch	*b;
	size_t			 i;
};

void
cmd_strings_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
cmd_batch_push(char ***ids, char ***labels, size_t *n, const char *id,
    const char *prefix, const char *name)
{
	char	*clean;

	*ids = xrealloc(*ids, (*n + 1) * sizeof **ids);
	*labels = xrealloc(*labels, (*n + 1) * sizeof **labels);
	clean = sanitize_text(name != NULL ? name : id, (size_t)-1, 0);
	(*ids)[*n] = xstrdup(id);
	(*labels)[*n] = xasprintf("%s%s", prefix, clean);
	free(clean);
	(*n)++;
}

/*
 * The rooms a server-wide action touches: the space first, then every
 * channel of it that we joined, in display order (space.c).
 */
size_t
cmd_server_rooms(struct cmd_ctx *ctx, const char *space, char ***ids,
    char ***labels)
{
	struct haos_error	 err;
	struct room_row		*r = NULL, sr;
	size_t			 nr = 0, i, n = 0;

	*ids = NULL;
	*labels = NULL;
	if (ctx->store != NULL && store_query_room(ctx->store, space, &sr,
	    &err) == 1) {
		cmd_batch_push(ids, labels, &n, space, "server ", sr.name);
		room_row_free(&sr);
	} else
		cmd_batch_push(ids, labels, &n, space, "server ", NULL);
	if (ctx->store == NULL || space_channels(ctx->store, space, &r, &nr,
	    &err) == -1)
		return n;
	for (i = 0; i < nr; i++) {
		if (r[i].join != ROOM_JOIN || r[i].is_space)
			continue;
		cmd_batch_push(ids, labels, &n, r[i].room_id, "#", r[i].name);
	}
	room_rows_free(r, nr);
	return n;
}

/* Start a batch; what prefixes the report, done is said on success. */
struct cmd_batch *
cmd_batch_new(struct cmd_ctx *ctx, const char *what, const char *done,
    const char *hint, int retries)
{
	struct cmd_batch	*b;

	b = xcalloc(1, sizeof *b);
	b->ctx = ctx;
	b->what = xstrdup(what);
	b->done = xstrdup(done);
	b->hint = hint != NULL ? xstrdup(hint) : NULL;
	b->retries = retries;
	b->one = "room";
	b->many = "rooms";
	return b;
}

/* Name what the items are in the report (static strings). */
void
cmd_batch_unit(struct cmd_batch *b, const char *one, const char *many)
{
	b->one = one;
	b->many = many;
}

static struct cmd_batch_item *
cmd_batch_item(struct cmd_batch *b, const char *label)
{
	struct cmd_batch_item	*it;

	b->items = xrealloc(b->items, (b->n + 1) * sizeof *b->items);
	it = &b->items[b->n++];
	memset(it, 0, sizeof *it);
	it->label = xstrdup(label);
	return it;
}

/* Add one request for the room called label; the batch takes req. */
void
cmd_batch_add(struct cmd_batch *b, const char *label, struct matrix_req *req,
    unsigned int flags)
{
	struct cmd_batch_item	*it;

	it = cmd_batch_item(b, label);
	it->req = req;
	it->flags = flags;
}

/* Record a room that failed before any request (no cached state). */
void
cmd_batch_fail(struct cmd_batch *b, const char *label, const char *why)
{
	struct cmd_batch_item	*it;

	it = cmd_batch_item(b, label);
	it->state = BATCH_FAILED;
	it->why = xstrdup(why);
}

static void
cmd_batch_free(struct cmd_batch *b)
{
	size_t	 i;

	for (i = 0; i < b->n; i++) {
		free(b->items[i].label);
		matrix_req_free(b->items[i].req);
		free(b->items[i].why);
	}
	free(b->items);
	free(b->what);
	free(b->done);
	free(b->hint);
	free(b);
}

/* True if two failed items failed for the same reason. */
static int
cmd_batch_same(const struct cmd_batch_item *x, const struct cmd_batch_item *y)
{
	if (x->why == NULL || y->why == NULL)
		return x->why == y->why;
	return strcmp(x->why, y->why) == 0;
}

/* True if an earlier failed item has item i's reason (already listed). */
static int
cmd_batch_seen(const struct cmd_batch *b, size_t i)
{
	size_t	 j;

	for (j = 0; j < i; j++) {
		if (!(b->items[j].flags & CMD_BATCH_OPTIONAL) &&
		    b->items[j].state == BATCH_FAILED &&
		    cmd_batch_same(&b->items[j], &b->items[i]))
			return 1;
	}
	return 0;
}

/* Say how it went, in one line, and free the batch. */
static void
cmd_batch_report(struct cmd_batch *b)
{
	struct cmd_ctx	*ctx = b->ctx;
	size_t		 i, j, ok = 0, skipped = 0, failed = 0, len, rooms = 0;
	char		*list = NULL, *tmp, *group;

	for (i = 0; i < b->n; i++) {
		if (b->items[i].flags & CMD_BATCH_OPTIONAL)
			continue;
		rooms++;
		switch (b->items[i].state) {
		case BATCH_OK:
			ok++;
			break;
		case BATCH_SKIPPED:
			skipped++;
			break;
		default:
			failed++;
			break;
		}
	}
	/* Failures grouped by reason: "#a, #b (M_FORBIDDEN: ...)". */
	for (i = 0; i < b->n; i++) {
		if ((b->items[i].flags & CMD_BATCH_OPTIONAL) ||
		    b->items[i].state != BATCH_FAILED ||
		    cmd_batch_seen(b, i))
			continue;
		group = NULL;
		for (j = i; j < b->n; j++) {
			if ((b->items[j].flags & CMD_BATCH_OPTIONAL) ||
			    b->items[j].state != BATCH_FAILED ||
			    !cmd_batch_same(&b->items[i], &b->items[j]))
				continue;
			tmp = xasprintf("%s%s%s", group != NULL ? group : "",
			    group != NULL ? ", " : "", b->items[j].label);
			free(group);
			group = tmp;
		}
		tmp = xasprintf("%s%s%s (%s)", list != NULL ? list : "",
		    list != NULL ? "; " : "", group, b->items[i].why != NULL ?
		    b->items[i].why : "no answer");
		free(group);
		free(list);
		list = tmp;
	}
	if (failed == 0 && ok == 0 && skipped > 0) {
		cmd_error(ctx, "%s: nothing to do in any %s of the server",
		    b->what, b->one);
	} else if (failed == 0) {
		cmd_info(ctx, "%s: %s in %zu %s%s", b->what, b->done, ok,
		    ok == 1 ? b->one : b->many, skipped > 0 ? " (the others "
		    "had nothing to change)" : "");
	} else {
		len = strlen(list);
		if (len > 700)
			list[700] = '\0';
		cmd_error(ctx, "%s: failed in %zu of %zu %s%s: %s%s%s",
		    b->what, failed, rooms, b->many, b->round > 0 ?
		    " (after a retry)" :
		    "", list, b->hint != NULL ? "; " : "",
		    b->hint != NULL ? b->hint : "");
	}
	free(list);
	cmd_batch_free(b);
}

static void	cmd_batch_round(struct cmd_batch *);

/* True if err says the user is not there (kick) or not banned (unban). */
static int
cmd_batch_not_member(const struct haos_error *err)
{
	if (err == NULL || err->mx != MX_FORBIDDEN)
		return 0;
	return strstr(err->msg, "not in the room") != NULL ||
	    strstr(err->msg, "is not banned") != NULL ||
	    strstr(err->msg, "not a member") != NULL;
}

/* An answer (or all of them) is in: retry what failed, or report. */
static void
cmd_batch_settle(struct cmd_batch *b)
{
	size_t	 i;
	int	 again = 0;

	if (--b->outstanding > 0)
		return;
	for (i = 0; i < b->n; i++) {
		if (b->items[i].state == BATCH_FAILED &&
		    b->items[i].req != NULL &&
		    !(b->items[i].flags & CMD_BATCH_OPTIONAL))
			again = 1;
	}
	if (again && b->round < b->retries) {
		b->round++;
		log_info("cmd", "%s: retrying failed rooms (round %d)",
		    b->what, b->round);
		cmd_batch_round(b);
		return;
	}
	cmd_batch_report(b);
}

static void
cmd_batch_done(struct cmd_ctx *ctx __unused, const struct client_result *res,
    void *arg)
{
	struct cmd_batch_ref	*ref = arg;
	struct cmd_batch	*b = ref->b;
	struct cmd_batch_item	*it = &b->items[ref->i];

	free(ref);
	/* Shutting down: nothing more is sent, the report is the last. */
	if (res->cancelled)
		b->round = b->retries;
	free(it->why);
	it->why = NULL;
	if (res->ok)
		it->state = BATCH_OK;
	else if ((it->flags & CMD_BATCH_NOT_MEMBER) &&
	    cmd_batch_not_member(res->err))
		it->state = BATCH_SKIPPED;
	else {
		it->state = BATCH_FAILED;
		it->why = xstrdup(res->err != NULL ? res->err->msg :
		    "request failed");
		if (it->flags & CMD_BATCH_OPTIONAL)
			log_info("cmd", "%s: %s %s: %s (not counted)", b->what,
			    it->req->method, it->label, it->why);
	}
	cmd_batch_settle(b);
}

/* Send every item still to do; the first round sends them all. */
static void
cmd_batch_round(struct cmd_batch *b)
{
	struct cmd_batch_ref	*ref;
	struct cmd_batch_item	*it;
	size_t			 i, todo = 0;

	for (i = 0; i < b->n; i++) {
		it = &b->items[i];
		if (it->req == NULL)
			continue;
		if (b->round == 0 ? it->state != BATCH_PENDING :
		    it->state != BATCH_FAILED ||
		    (it->flags & CMD_BATCH_OPTIONAL))
			continue;
		it->state = BATCH_PENDING;
		todo++;
	}
	if (todo == 0) {
		cmd_batch_report(b);
		return;
	}
	/*
	 * One count more than requests while sending: an answer that comes
	 * at once (cancelled at shutdown) cannot end the batch mid-loop.
	 */
	b->outstanding = todo + 1;
	for (i = 0; i < b->n; i++) {
		it = &b->items[i];
		if (it->req == NULL || it->state != BATCH_PENDING)
			continue;
		ref = xmalloc(sizeof *ref);
		ref->b = b;
		ref->i = i;
		cmd_call(b->ctx, matrix_req_dup(it->req), cmd_batch_done, ref);
	}
	cmd_batch_settle(b);
}

/* Send the requests; the report follows the last answer (none if empty). */
void
cmd_batch_start(struct cmd_batch *b)
{
	b->round = 0;
	if (b->n == 0) {
		cmd_batch_free(b);	/* nothing to do, nothing to say */
		return;
	}
	cmd_batch_round(b);
}
