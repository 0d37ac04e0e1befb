/* Net thread: timelines filled from /messages, asked for or in the background. */

/*
 * A /messages page fills a room's newest gap, for two reasons.  The user
 * asks (scrolling up, or opening a room whose page is short: JOB_BACKFILL),
 * and the first start of a new store fills, behind the user's back, the
 * timelines its room-list-only sync left out (store-fill.c), the most
 * recently active rooms first.
 *
 * What the user asks for never waits: it starts at the next turn of the
 * loop, whatever the background has in flight.  The background keeps at
 * most NET_FILL_PARALLEL requests in flight, starts none while a request
 * of the user waits, and only once this run has stored a sync (the cache
 * is current, and the user's first screen has been served).  One request
 * per room at a time.  A background page that fails for the network or
 * the server's load is tried again after a backoff; one the server refuses
 * (we left the room, it is gone) is dropped from the plan.
 */
#include "net-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/* The slot of room_id's request in flight, or -1. */
static int
net_fill_busy(struct net *n, const char *room_id)
{
	size_t	 i;

	for (i = 0; i < n->nfills; i++) {
		if (strcmp(n->fills[i].room_id, room_id) == 0)
			return (int)i;
	}
	return -1;
}

/* Owe f's asker an answer for tag (0: nobody waits). */
static void
net_fill_owe(struct net_fill *f, uint64_t tag)
{
	if (tag == 0)
		return;
	f->tags = xrealloc(f->tags, (f->ntags + 1) * sizeof *f->tags);
	f->tags[f->ntags++] = tag;
}

/* Answer whoever waits for f (err NULL: filled), and forget it. */
static void
net_fill_answer(struct net *n, struct net_fill *f,
    const struct haos_error *err)
{
	size_t	 i;

	for (i = 0; i < f->ntags; i++)
		net_post_result(n, f->tags[i], err, NULL);
	free(f->tags);
	free(f->room_id);
	memset(f, 0, sizeof *f);
}

/* The user wants room_id's newest gap filled; tag, if any, waits. */
void
net_fill_want(struct net *n, const char *room_id, uint64_t tag)
{
	size_t	 i;
	int	 b;

	if ((b = net_fill_busy(n, room_id)) != -1) {
		n->fills[b].user = 1;
		net_fill_owe(&n->fills[b], tag);
		return;
	}
	for (i = 0; i < n->nwanted; i++) {
		if (strcmp(n->wanted[i].room_id, room_id) == 0) {
			net_fill_owe(&n->wanted[i], tag);
			return;
		}
	}
	n->wanted = xrealloc(n->wanted, (n->nwanted + 1) *
	    sizeof *n->wanted);
	memset(&n->wanted[n->nwanted], 0, sizeof *n->wanted);
	n->wanted[n->nwanted].room_id = xstrdup(room_id);
	n->wanted[n->nwanted].user = 1;
	net_fill_owe(&n->wanted[n->nwanted++], tag);
}

/*
 * Ask for the page below room_id's newest gap, for want (its tags then
 * wait for the page).  Returns 1 if a request is under way, 0 if the
 * room has no gap (nothing to fill), -1 on an error; want is left as it
 * is unless 1.
 */
static int
net_fill_start(struct net *n, const char *room_id, struct net_fill *want)
{
	struct haos_error	 e2;
	struct gap_row		*gaps = NULL;
	struct net_req		*r;
	size_t			 ngaps = 0, i, best;
	char			*path;
	int			 limit;

	if (store_query_gaps(n->store, room_id, &gaps, &ngaps, &e2) == -1) {
		log_error("net", "gaps: %s", e2.msg);
		return -1;
	}
	if (ngaps == 0) {
		gap_rows_free(gaps, ngaps);
		return 0;
	}
	/* The newest gap (highest ordinal) is the one the user reached. */
	for (best = 0, i = 1; i < ngaps; i++) {
		if (gaps[i].ordinal > gaps[best].ordinal)
			best = i;
	}
	/*
	 * The background fills what an ordinary sync would have brought,
	 * with the first sync's event.
	 */
	limit = want != NULL || n->cfg.timeline_limit <= NET_FIRST_LIMIT ?
	    NET_BACKFILL_LIMIT : n->cfg.timeline_limit - NET_FIRST_LIMIT;
	path = matrix_messages_path(room_id, gaps[best].prev_batch, 'b',
	    limit);
	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_BACKFILL;
	r->room_id = xstrdup(room_id);
	r->gap_id = gaps[best].id;
	r->spool = 1;
	gap_rows_free(gaps, ngaps);
	if (net_request(n, r, "GET", path, NULL,
	    n->cfg.request_timeout_ms) == -1) {
		net_req_free(r);
		free(path);
		return -1;
	}
	free(path);
	n->fills = xrealloc(n->fills, (n->nfills + 1) * sizeof *n->fills);
	if (want != NULL) {
		n->fills[n->nfills] = *want;	/* its tags come along */
		memset(want, 0, sizeof *want);
	} else {
		memset(&n->fills[n->nfills], 0, sizeof *n->fills);
		n->fills[n->nfills].room_id = xstrdup(room_id);
	}
	n->nfills++;
	return 1;
}

/* Whether the background may start a page now. */
static int
net_background_ready(struct net *n, int64_t now)
{
	return n->cfg.background && n->caught_up && !n->auth_failed &&
	    n->fill_left != 0 && n->nwanted == 0 && now >= n->fill_next_at;
}

/* The rooms of the plan, the most recently active first, as slots free. */
static void
net_background(struct net *n, int64_t now)
{
	struct haos_error	 e2;
	char			**ids = NULL, **skip;
	size_t			 nids = 0, busy = 0, i;
	int64_t			 left = 0;
	int			 rc;

	if (!net_background_ready(n, now))
		return;
	for (i = 0; i < n->nfills; i++)
		busy += !n->fills[i].user;
	if (busy >= NET_FILL_PARALLEL)
		return;
	skip = xcalloc(n->nfills + 1, sizeof *skip);
	for (i = 0; i < n->nfills; i++)
		skip[i] = n->fills[i].room_id;
	rc = store_fill_next(n->store, NET_FILL_PARALLEL - busy, skip,
	    n->nfills, &ids, &nids, &left, &e2);
	free(skip);
	if (rc == -1) {
		log_error("net", "fill: %s", e2.msg);
		n->fill_next_at = now + NET_FILL_PAUSE_MS;
		return;
	}
	if (left == 0 && n->fill_left != 0) {
		log_info("net", "background filling of timelines done");
		notify_post(n->cfg.notify, NOTIFY_STATUS);
	}
	n->fill_left = left;
	for (i = 0; i < nids; i++) {
		rc = net_fill_start(n, ids[i], NULL);
		if (rc == 0 && store_fill_done(n->store, ids[i], &e2) == -1)
			log_error("net", "fill: %s", e2.msg);
		if (rc == -1)
			n->fill_next_at = now + NET_FILL_PAUSE_MS;
		free(ids[i]);
	}
	free(ids);
}

/* Start what the user asked for, then what the background may. */
void
net_fill_pump(struct net *n, int64_t now)
{
	struct haos_error	 e2;
	struct net_fill		*w;
	size_t			 i;
	int			 b, rc;

	for (i = 0; i < n->nwanted; i++) {
		w = &n->wanted[i];
		/* The background took the room since: wait for its page. */
		if ((b = net_fill_busy(n, w->room_id)) != -1) {
			n->fills[b].user = 1;
			while (w->ntags > 0)
				net_fill_owe(&n->fills[b],
				    w->tags[--w->ntags]);
			net_fill_answer(n, w, NULL);
			continue;
		}
		if ((rc = net_fill_start(n, w->room_id, w)) == 1)
			continue;
		/* No gap: the pane learns it has the beginning. */
		if (rc == -1)
			haos_error_set(&e2, HAOS_ESTORE, "cannot ask for the "
			    "history of %s", w->room_id);
		notify_post(n->cfg.notify, NOTIFY_TIMELINE);
		net_fill_answer(n, w, rc == -1 ? &e2 : NULL);
	}
	n->nwanted = 0;
	net_background(n, now);
}

/* A first start's room list is stored: plan the background filling. */
void
net_fill_plan(struct net *n)
{
	struct haos_error	 e2;
	int64_t			 planned = 0;

	if (store_fill_plan(n->store, &planned, &e2) == -1) {
		log_error("net", "fill plan: %s", e2.msg);
		return;
	}
	if (planned > 0)
		log_info("net", "%lld timelines to fill in the background",
		    (long long)planned);
	n->fill_left = -1;	/* unknown: the table says */
}

/* Whether the server refused the page for good rather than failing. */
static int
net_fill_refused(const struct haos_error *err)
{
	return err->http_status >= 400 && err->http_status < 500 &&
	    err->http_status != 408 && err->http_status != 429;
}

void
net_fill_done(struct net *n, struct net_req *r, const struct http_resp *resp,
    const struct haos_error *err)
{
	struct ingest_result	 res;
	struct haos_error	 e2;
	struct net_fill		 f;
	int			 b, user = 1, ok;

	memset(&f, 0, sizeof f);
	if ((b = net_fill_busy(n, r->room_id)) != -1) {
		f = n->fills[b];
		user = f.user;
		n->fills[b] = n->fills[--n->nfills];
	}
	if (err != NULL) {
		net_fill_answer(n, &f, err);
		net_check_auth(n, err);
		log_warn("net", "%s of %s failed: %s", user ? "backfill" :
		    "background fill", r->room_id, err->msg);
		if (!user && net_fill_refused(err)) {
			if (store_fill_done(n->store, r->room_id, &e2) == -1)
				log_error("net", "fill: %s", e2.msg);
		} else if (!user) {
			n->fill_attempt++;
			n->fill_next_at = net_now_ms() + http_retry_delay_ms(
			    err, n->fill_attempt, &n->seed);
		}
		notify_post(n->cfg.notify, NOTIFY_TIMELINE);
		return;
	}
	/* Read event by event: no tree of the whole page. */
	ok = (http_resp_spooled(resp) ? ingest_messages_file(n->store,
	    r->room_id, resp->fd, resp->body_len, r->gap_id, &res, &e2) :
	    ingest_messages_text(n->store, r->room_id, resp->body,
	    resp->body_len, r->gap_id, &res, &e2)) == 0;
	if (!ok)
		log_error("net", "backfill ingest of %s failed: %s",
		    r->room_id, e2.msg);
	else
		n->fill_attempt = 0;
	net_fill_answer(n, &f, ok ? NULL : &e2);
	/*
	 * Filled, whoever asked, and the background need not; a page that
	 * cannot be read is not asked for again behind the user's back (the
	 * gap stays, for scrolling up).
	 */
	if (store_fill_done(n->store, r->room_id, &e2) == -1)
		log_error("net", "fill: %s", e2.msg);
	notify_post(n->cfg.notify, res.notify | NOTIFY_TIMELINE);
	ingest_result_free(&res);
}

void
net_fill_free(struct net *n)
{
	size_t	 i;

	for (i = 0; i < n->nfills; i++) {
		free(n->fills[i].room_id);
		free(n->fills[i].tags);
	}
	free(n->fills);
	for (i = 0; i < n->nwanted; i++) {
		free(n->wanted[i].room_id);
		free(n->wanted[i].tags);
	}
	free(n->wanted);
	n->fills = NULL;
	n->wanted = NULL;
	n->nfills = n->nwanted = 0;
}
