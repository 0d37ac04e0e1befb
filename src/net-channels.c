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
 * kicked from has a row in the store and stays left.  Each child is
 * tried once, one join at a time; the ids tried are kept in the kv table
 * (NET_CHANNELS_KEY, a JSON array), so a refused join (an invite-only
 * channel) is not asked again on every /sync or after a restart.  A join
 * that failed for a passing reason (network, 5xx, 429) is not counted
 * as tried: it is asked again after the backoff, at a later /sync.
 */

#define NET_CHANNELS_KEY	"channels_tried"

static void
net_channels_load(struct net *n)
{
	struct haos_error	 e2;
	json_t			*a, *v;
	char			*text = NULL;
	size_t			 i;

	n->chan_loaded = 1;
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

/* Count room_id as tried, and save the list. */
static void
net_channels_add(struct net *n, const char *room_id)
{
	struct haos_error	 e2;
	json_t			*a;
	char			*text;
	size_t			 i;

	if (net_channels_tried(n, room_id))
		return;
	n->chan_tried = xrealloc(n->chan_tried, (n->nchan_tried + 1) *
	    sizeof *n->chan_tried);
	n->chan_tried[n->nchan_tried++] = xstrdup(room_id);
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
 * Start joining the first channel of a joined server that we have never
 * been in and not tried yet; called after each stored /sync and after
 * each join.
 */
void
net_channels_check(struct net *n)
{
	struct haos_error	 e2;
	struct state_row	*rows;
	struct matrix_req	*mr;
	struct net_req		*r;
	size_t			 nrows, i;
	char			*via;

	if (n->chan_in_flight || n->auth_failed ||
	    net_now_ms() < n->chan_next_at)
		return;
	if (!n->chan_loaded)
		net_channels_load(n);
	if (store_query_new_children(n->store, &rows, &nrows, &e2) == -1) {
		log_error("net", "new channels: %s", e2.msg);
		return;
	}
	for (i = 0; i < nrows; i++) {
		if (!space_valid_room_id(rows[i].state_key) ||
		    net_channels_tried(n, rows[i].state_key))
			continue;
		via = net_channels_via(rows[i].content);
		mr = matrix_req_join(rows[i].state_key, via);
		free(via);
		r = xcalloc(1, sizeof *r);
		r->kind = NET_REQ_CHANNEL;
		r->room_id = xstrdup(rows[i].state_key);
		if (net_request(n, r, mr->method, mr->path, mr->body,
		    n->cfg.request_timeout_ms) == 0) {
			n->chan_in_flight = 1;
			log_info("net", "joining channel %s, new in server %s",
			    rows[i].state_key, rows[i].room_id);
		} else
			net_req_free(r);
		matrix_req_free(mr);
		break;
	}
	state_rows_free(rows, nrows);
}

/* Whether err may pass if the same request is made again later. */
static int
net_channels_passing(const struct haos_error *err)
{
	return err->code != HAOS_EMATRIX || err->http_status == 429 ||
	    err->http_status >= 500 || err->mx == MX_LIMIT_EXCEEDED;
}

/* A join answered: count it as tried unless it may pass later. */
void
net_channels_done(struct net *n, struct net_req *r,
    const struct http_resp *resp __unused, const struct haos_error *err)
{
	n->chan_in_flight = 0;
	if (err != NULL && net_check_auth(n, err))
		return;
	if (err != NULL && net_channels_passing(err)) {
		n->chan_attempt++;
		n->chan_next_at = net_now_ms() + http_retry_delay_ms(err,
		    n->chan_attempt, &n->seed);
		log_warn("net", "cannot join channel %s yet: %s", r->room_id,
		    err->msg);
		return;
	}
	n->chan_attempt = 0;
	n->chan_next_at = 0;
	net_channels_add(n, r->room_id);
	if (err != NULL)
		log_warn("net", "cannot join channel %s: %s", r->room_id,
		    err->msg);
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
	n->chan_loaded = 0;
}
