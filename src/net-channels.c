/* Net thread: channels added to a server we are in are joined. */
#include "net-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/space.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/*
 * A server's channels are restricted to its members (MAPPING-NOTES.md 3),
 * so, as in Discord, being in a server means being in every channel it
 * lists: /join joins them all, and a channel linked later (a new
 * m.space.child with a via) is joined here, after the /sync that brought
 * it is stored.  The next /sync brings the room, and the channel list,
 * /goto and the switcher find it like any other.
 *
 * Only rooms we have never been in are joined: a channel we left or were
 * kicked from has a row in the store and stays left, and one the store
 * does not know (a new device, a cleared cache) is asked about first:
 * the server shows a former member its membership, "leave" or "ban", and
 * a stranger nothing.  Each child is tried once, one at a time; the ids
 * tried are kept in the kv table (NET_CHANNELS_KEY, a JSON array), so a
 * refused join (an invite-only channel) is not asked again on every
 * /sync or after a restart.  A request that failed for a passing reason
 * (network, 5xx, 429) counts nothing and is made again after a backoff.
 *
 * Leaving a server leaves the channels this file joined in it: once the
 * store has the server left and no server we are in lists the channel,
 * it is left too.  That also undoes a join that crossed /server leave
 * (the command leaves the channels the store knew of, then the server).
 * A channel joined by hand stays.
 *
 * A server joined a moment ago is left alone for NET_CHANNELS_SETTLE_MS:
 * /join is joining its channels itself, and may yet leave it again (an
 * invite code that has expired), and channels joined behind its back
 * would then stay joined, in no server.  Servers already joined when
 * the net thread starts, or found by the first /sync of an empty store,
 * have settled.
 */

#define NET_CHANNELS_KEY	"channels_tried"
#define NET_CHANNELS_SETTLE_MS	10000

/*
 * Bring the list of joined servers up to date: a server new to it is
 * stamped now (0 at start: settled), one no longer joined is dropped.
 */
static int
net_channels_spaces(struct net *n, int64_t now)
{
	struct haos_error	 e2;
	struct room_row		*rows;
	struct net_space	*sp = NULL;
	size_t			 nrows, i, j, nsp = 0;

	if (n->chan_initial)
		now = 0;	/* the initial /sync: joined before */
	n->chan_initial = 0;

	if (store_query_rooms(n->store, STORE_ROOMS_SPACES, NULL, &rows,
	    &nrows, &e2) == -1) {
		log_error("net", "joined servers: %s", e2.msg);
		return -1;
	}
	for (i = 0; i < nrows; i++) {
		if (rows[i].join != ROOM_JOIN)
			continue;
		sp = xrealloc(sp, (nsp + 1) * sizeof *sp);
		sp[nsp].room_id = xstrdup(rows[i].room_id);
		sp[nsp].since = now;
		for (j = 0; j < n->nchan_spaces; j++) {
			if (strcmp(n->chan_spaces[j].room_id,
			    rows[i].room_id) == 0)
				sp[nsp].since = n->chan_spaces[j].since;
		}
		nsp++;
	}
	room_rows_free(rows, nrows);
	for (j = 0; j < n->nchan_spaces; j++)
		free(n->chan_spaces[j].room_id);
	free(n->chan_spaces);
	n->chan_spaces = sp;
	n->nchan_spaces = nsp;
	return 0;
}

/* When the joined server space_id has settled (-1: not joined). */
static int64_t
net_channels_settled_at(struct net *n, const char *space_id)
{
	size_t	 i;

	for (i = 0; i < n->nchan_spaces; i++) {
		if (strcmp(n->chan_spaces[i].room_id, space_id) == 0)
			return n->chan_spaces[i].since == 0 ? 0 :
			    n->chan_spaces[i].since + NET_CHANNELS_SETTLE_MS;
	}
	return -1;
}

/* Read the ids tried by earlier runs; the servers joined are settled. */
void
net_channels_start(struct net *n)
{
	struct haos_error	 e2;
	json_t			*a, *v;
	char			*text = NULL;
	size_t			 i;

	net_channels_spaces(n, 0);
	n->chan_initial = n->since == NULL;
	if (store_query_kv(n->store, NET_CHANNELS_KEY, &text, &e2) == -1) {
		log_error("net", "channels tried: %s", e2.msg);
		return;
	}
	a = json_load_stored(text);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			continue;
		n->chan_tried = xrealloc(n->chan_tried, (n->nchan_tried + 1) *
		    sizeof *n->chan_tried);
		n->chan_tried[n->nchan_tried++] = xstrdup(
		    json_string_value(v));
	}
	json_decref(a);
	free(text);
}

static int
net_channels_tried(struct net *n, const char *room_id)
{
	size_t	 i;

	for (i = 0; i < n->nchan_tried; i++) {
		if (strcmp(n->chan_tried[i], room_id) == 0)
			return 1;
	}
	return 0;
}

/* Save the list of ids tried. */
static void
net_channels_save(struct net *n)
{
	struct haos_error	 e2;
	json_t			*a;
	char			*text;
	size_t			 i;

	a = json_array();
	for (i = 0; i < n->nchan_tried; i++)
		json_array_append_new(a, json_string(n->chan_tried[i]));
	text = json_xdumps(a);
	json_decref(a);
	if (store_begin(n->store, &e2) == -1 ||
	    store_kv_set(n->store, NET_CHANNELS_KEY, text, &e2) == -1 ||
	    store_commit(n->store, &e2) == -1) {
		log_error("net", "channels tried: %s", e2.msg);
		if (store_in_txn(n->store))
			store_rollback(n->store);
	}
	free(text);
}

/* Count room_id as tried, and save the list. */
static void
net_channels_add(struct net *n, const char *room_id)
{
	if (net_channels_tried(n, room_id))
		return;
	n->chan_tried = xrealloc(n->chan_tried, (n->nchan_tried + 1) *
	    sizeof *n->chan_tried);
	n->chan_tried[n->nchan_tried++] = xstrdup(room_id);
	net_channels_save(n);
}

/* Forget room_id (left with its server), and save the list. */
static void
net_channels_forget(struct net *n, const char *room_id)
{
	size_t	 i;

	for (i = 0; i < n->nchan_tried; i++) {
		if (strcmp(n->chan_tried[i], room_id) == 0)
			break;
	}
	if (i == n->nchan_tried)
		return;
	free(n->chan_tried[i]);
	memmove(&n->chan_tried[i], &n->chan_tried[i + 1],
	    (n->nchan_tried - i - 1) * sizeof *n->chan_tried);
	n->nchan_tried--;
	net_channels_save(n);
}

/* The first via of an m.space.child content, or NULL. */
static char *
net_channels_via(const char *content)
{
	json_t	*c, *via;
	char	*s = NULL;

	c = json_load_stored(content);
	via = json_array_get(json_get_arr(c, "via"), 0);
	if (json_is_string(via) && *json_string_value(via) != '\0')
		s = xstrdup(json_string_value(via));
	json_decref(c);
	return s;
}

/*
 * Ask about room_id (via: a server to join through, or NULL): first our
 * membership (stage 0), then the join (stage 1); or leave it (stage 2).
 * Returns 0 if the request is under way.
 */
static int
net_channels_request(struct net *n, const char *room_id, const char *via,
    int stage)
{
	struct matrix_req	*mr;
	struct net_req		*r;
	int			 rc;

	if (stage == 0)
		mr = matrix_req_state_get(room_id, "m.room.member",
		    n->cfg.user_id);
	else if (stage == 1)
		mr = matrix_req_join(room_id, via);
	else
		mr = matrix_req_leave(room_id);
	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_CHANNEL;
	r->room_id = xstrdup(room_id);
	r->via = via != NULL ? xstrdup(via) : NULL;
	r->page = stage;
	rc = net_request(n, r, mr->method, mr->path, mr->body,
	    n->cfg.request_timeout_ms);
	if (rc == 0)
		n->chan_in_flight = 1;
	else
		net_req_free(r);
	matrix_req_free(mr);
	return rc;
}

/*
 * Start on the first channel of a settled server that we have never been
 * in and not tried yet (the client only: haos run does not); called
 * after each stored /sync, after each answer and when a wait is over
 * (net_channels_pump).
 */
void
net_channels_check(struct net *n)
{
	struct haos_error	 e2;
	struct state_row	*rows;
	size_t			 nrows, i;
	int64_t			 now = net_now_ms(), at;
	char			*via;

	n->chan_wake_at = 0;
	if (!n->cfg.background || n->chan_in_flight || n->auth_failed)
		return;
	if (now < n->chan_next_at) {
		n->chan_wake_at = n->chan_next_at;
		return;
	}
	if (net_channels_spaces(n, now) == -1)
		return;
	if (store_query_left_children(n->store, &rows, &nrows, &e2) == -1) {
		log_error("net", "channels of servers left: %s", e2.msg);
		return;
	}
	for (i = 0; i < nrows; i++) {
		if (net_channels_tried(n, rows[i].state_key) &&
		    net_channels_request(n, rows[i].state_key, NULL, 2) == 0) {
			log_info("net", "leaving channel %s with server %s",
			    rows[i].state_key, rows[i].room_id);
			break;
		}
	}
	state_rows_free(rows, nrows);
	if (n->chan_in_flight)
		return;
	if (store_query_new_children(n->store, &rows, &nrows, &e2) == -1) {
		log_error("net", "new channels: %s", e2.msg);
		return;
	}
	for (i = 0; i < nrows; i++) {
		if (!space_valid_room_id(rows[i].state_key) ||
		    net_channels_tried(n, rows[i].state_key))
			continue;
		at = net_channels_settled_at(n, rows[i].room_id);
		if (at > now) {
			if (n->chan_wake_at == 0 || at < n->chan_wake_at)
				n->chan_wake_at = at;
			continue;
		}
		via = net_channels_via(rows[i].content);
		if (net_channels_request(n, rows[i].state_key, via, 0) == 0)
			log_info("net", "channel %s is new in server %s",
			    rows[i].state_key, rows[i].room_id);
		free(via);
		break;
	}
	state_rows_free(rows, nrows);
}

/* Check again once a server has settled or a backoff is over. */
void
net_channels_pump(struct net *n)
{
	if (n->chan_wake_at != 0 && net_now_ms() >= n->chan_wake_at)
		net_channels_check(n);
}

/* Whether err may pass if the same request is made again later. */
static int
net_channels_passing(const struct haos_error *err)
{
	return err->code != HAOS_EMATRIX || err->http_status == 429 ||
	    err->http_status >= 500 || err->mx == MX_LIMIT_EXCEEDED;
}

/*
 * Whether the answer to our membership says we were in the room before:
 * a room we left or were banned from lets us read its state up to then.
 * A room we were never in answers 403 or 404.
 */
static int
net_channels_was_in(const struct http_resp *resp)
{
	json_t		*c;
	const char	*m;
	int		 was;

	c = json_load_network(resp->body, resp->body_len, NULL, NULL);
	m = json_get_str(c, "membership", "");
	was = strcmp(m, "leave") == 0 || strcmp(m, "ban") == 0;
	json_decref(c);
	return was;
}

/*
 * An answer: after the membership, join unless we left the room before;
 * after the join, count the room as tried; after a leave, forget it.  A
 * failure that may pass later waits for the backoff and counts nothing.
 */
void
net_channels_done(struct net *n, struct net_req *r,
    const struct http_resp *resp, const struct haos_error *err)
{
	n->chan_in_flight = 0;
	if (err != NULL && net_check_auth(n, err))
		return;
	if (err != NULL && net_channels_passing(err)) {
		n->chan_attempt++;
		n->chan_next_at = net_now_ms() + http_retry_delay_ms(err,
		    n->chan_attempt, &n->seed);
		n->chan_wake_at = n->chan_next_at;
		log_warn("net", "channel %s: %s", r->room_id, err->msg);
		return;
	}
	n->chan_attempt = 0;
	n->chan_next_at = 0;
	if (r->page == 2) {
		/* Left, or refused for good: not ours to leave again. */
		if (err != NULL)
			log_warn("net", "cannot leave channel %s: %s",
			    r->room_id, err->msg);
		net_channels_forget(n, r->room_id);
		net_channels_check(n);
		return;
	}
	if (r->page == 0 && (err != NULL || !net_channels_was_in(resp))) {
		/* Never in it (or the server would not say): join. */
		if (net_channels_request(n, r->room_id, r->via, 1) == 0)
			return;
	} else if (r->page == 0)
		log_info("net", "channel %s: left before, not joined again",
		    r->room_id);
	else if (err != NULL)
		log_warn("net", "cannot join channel %s: %s", r->room_id,
		    err->msg);
	else
		log_info("net", "joined channel %s", r->room_id);
	net_channels_add(n, r->room_id);
	net_channels_check(n);
}

void
net_channels_free(struct net *n)
{
	size_t	 i;

	for (i = 0; i < n->nchan_tried; i++)
		free(n->chan_tried[i]);
	free(n->chan_tried);
	n->chan_tried = NULL;
	n->nchan_tried = 0;
	for (i = 0; i < n->nchan_spaces; i++)
		free(n->chan_spaces[i].room_id);
	free(n->chan_spaces);
	n->chan_spaces = NULL;
	n->nchan_spaces = 0;
}
