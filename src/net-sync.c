/* Net thread: the sync filter and the /sync long-poll. */

/*
 * A sync without a since token (a new store, or a token the server
 * refused) asks for the room list only: NET_FIRST_LIMIT timeline events
 * per room, with the filter inline, so that every server, channel and DM is
 * listed with its counts as soon as the answer is stored, without waiting
 * for the filter upload.  The timelines are filled afterwards (net-fill.c),
 * and the incremental syncs use the uploaded filter and its limit.
 *
 * The first sync of a run does not long-poll: until one answer is stored,
 * the cache may be behind and the user waits for it.
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

void
net_sync_filter_start(struct net *n)
{
	struct net_req	*r;
	json_t		*f;
	char		*body, *path;

	f = matrix_sync_filter(n->cfg.timeline_limit);
	body = json_xdumps(f);
	json_decref(f);
	path = matrix_filter_path(n->cfg.user_id);
	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_FILTER;
	if (net_request(n, r, "POST", path, body,
	    n->cfg.request_timeout_ms) == 0)
		n->filter_in_flight = 1;
	else
		net_req_free(r);
	free(body);
	free(path);
}

/* The filter as inline JSON, for a server that does not store filters. */
static void
net_sync_filter_inline(struct net *n)
{
	json_t	*f;

	f = matrix_sync_filter(n->cfg.timeline_limit);
	free(n->filter_id);
	n->filter_id = json_xdumps(f);
	json_decref(f);
	log_warn("net", "the server gave no filter id %d times: sending the "
	    "filter with each /sync", n->filter_tries);
}

/*
 * A filter upload answered: keep the id.  A failure, or a 2xx without a
 * usable filter_id, backs off like /sync; after NET_FILTER_TRIES such
 * answers /sync carries the filter inline instead.
 */
void
net_sync_filter_done(struct net *n, const struct http_resp *resp,
    const struct haos_error *err)
{
	struct haos_error	 e2;
	json_t			*root;
	const char		*id;

	n->filter_in_flight = 0;
	if (err == NULL) {
		root = json_load_network(resp->body, resp->body_len, NULL,
		    NULL);
		id = json_get_str(root, "filter_id", NULL);
		/* An id starting with '{' would be read as inline JSON. */
		if (id != NULL && *id != '\0' && *id != '{' &&
		    strlen(id) < 256) {
			n->filter_id = xstrdup(id);
			n->filter_tries = 0;
			if (store_begin(n->store, &e2) == -1 ||
			    store_kv_set(n->store, "filter_id", id,
			    &e2) == -1 || store_commit(n->store, &e2) == -1) {
				log_warn("net", "cannot store filter id: %s",
				    e2.msg);
				if (store_in_txn(n->store))
					store_rollback(n->store);
			}
			json_decref(root);
			return;
		}
		json_decref(root);
		haos_error_set(&e2, HAOS_EPROTO, "the server accepted the "
		    "sync filter but gave no filter_id");
		err = &e2;
		if (++n->filter_tries >= NET_FILTER_TRIES) {
			net_sync_filter_inline(n);
			return;
		}
	} else if (net_check_auth(n, err))
		return;
	n->sync_attempt++;
	n->sync_next_at = net_now_ms() + http_retry_delay_ms(err,
	    n->sync_attempt, &n->seed);
	log_warn("net", "filter upload failed (attempt %d): %s",
	    n->sync_attempt, err->msg);
	net_set_failed(n, err, n->sync_next_at);
}

/* The set_presence of a /sync: none (online) unless the user is away. */
static const char *
net_sync_presence(struct net *n)
{
	switch (atomic_load(&n->presence)) {
	case NET_PRESENCE_UNAVAILABLE:
		return "unavailable";
	case NET_PRESENCE_OFFLINE:
		return "offline";
	default:
		return NULL;
	}
}

void
net_sync_start(struct net *n)
{
	struct haos_error	 e2;
	struct net_req		*r;
	json_t			*f;
	char			*path, *first = NULL;
	long			 hold;

	hold = n->since != NULL && n->caught_up ? n->cfg.sync_timeout_ms : 0;
	if (n->since == NULL) {
		/* Plan the filling once this answer is stored (store-fill.c). */
		if (store_fill_mark(n->store, &e2) == -1)
			log_warn("net", "%s", e2.msg);
		/* No device_lists in its answer: every user asked again. */
		net_devices_from_scratch(n);
		f = matrix_sync_filter(NET_FIRST_LIMIT);
		first = json_xdumps(f);
		json_decref(f);
	}
	path = matrix_sync_path(first != NULL ? first : n->filter_id,
	    n->since, hold, 0, net_sync_presence(n));
	free(first);
	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_SYNC;
	r->spool = 1;
	n->sync_keys_gen = n->keys_gen;
	if (net_request(n, r, "GET", path, NULL,
	    hold + n->cfg.request_timeout_ms) == 0) {
		n->sync_in_flight = 1;
		if (n->since == NULL)
			net_set_state(n, NET_SYNCING, 0);
	} else
		net_req_free(r);
	free(path);
}

/*
 * Whether err refuses the request itself rather than failing to answer:
 * Synapse says 400 or 404 with an errcode for a since or filter id it
 * cannot read (M_INVALID_PARAM, M_UNKNOWN, M_NOT_FOUND...).
 */
static int
net_sync_rejected(const struct haos_error *err)
{
	if (err->code != HAOS_EMATRIX || err->mx == MX_LIMIT_EXCEEDED)
		return 0;
	return err->http_status == 400 || err->http_status == 404;
}

/*
 * The server refused our since token: sync again from scratch, keeping
 * the cache.  Each room's fresh timeline is limited, so ingest puts a gap
 * (with its prev_batch) between the cached events and the new ones, and
 * backfill closes it.  A server refusing every since is not hammered
 * with initial syncs: from the second reset in a row they back off.
 */
static void
net_sync_reset(struct net *n, const struct haos_error *err)
{
	long	 delay = 0;

	n->since_resets++;
	if (n->since_resets > 1)
		delay = http_backoff_ms(n->since_resets - 1, &n->seed);
	log_warn("net", "the server refused sync token %s (%s): syncing "
	    "again from scratch%s", n->since, err->msg, delay > 0 ?
	    " after a pause" : "");
	xfree(n->since);
	n->sync_attempt = 0;
	n->sync_next_at = net_now_ms() + delay;
	if (delay > 0)
		net_set_failed(n, err, n->sync_next_at);
	else
		net_set_state(n, NET_SYNCING, 0);
}

/*
 * Now and then, forget outbox rows sent long ago: the timeline has their
 * events, and the table would otherwise grow with every message.
 */
static void
net_sync_prune(struct net *n)
{
	struct haos_error	 e2;
	int64_t			 now = net_now_ms(), gone = 0;

	if (n->pruned_at != 0 && now - n->pruned_at < NET_PRUNE_EVERY_MS)
		return;
	n->pruned_at = now;
	if (store_outbox_prune(n->store, NET_PRUNE_AGE_MS, &gone, &e2) == -1)
		log_warn("net", "outbox: %s", e2.msg);
	else if (gone > 0)
		log_debug("net", "outbox: forgot %lld sent rows",
		    (long long)gone);
}

/* One /sync response: one ingest transaction, then wake the UI. */
void
net_sync_done(struct net *n, const struct http_resp *resp,
    const struct haos_error *err)
{
	struct ingest_result	 res;
	struct haos_error	 e2;
	int			 first = n->since == NULL;

	n->sync_in_flight = 0;
	if (err == NULL) {
		/* Read room by room: no tree of the whole answer. */
		if ((http_resp_spooled(resp) ? ingest_sync_file(n->store,
		    resp->fd, resp->body_len, &res, &e2) :
		    ingest_sync_text(n->store, resp->body, resp->body_len,
		    &res, &e2)) == -1) {
			log_error("net", "ingest failed: %s", e2.msg);
			net_keys_reload(n);	/* its changes rolled back */
			err = &e2;
		} else {
			if (n->since != NULL)
				n->since_resets = 0;
			free(n->since);
			n->since = xstrdup(res.next_batch);
			n->sync_attempt = 0;
			n->sync_next_at = 0;
			n->caught_up = 1;
			if (first)
				net_fill_plan(n);
			atomic_fetch_add(&n->syncs, 1);
			net_set_state(n, NET_CONNECTED, 0);
			if (res.notify != 0)
				notify_post(n->cfg.notify, res.notify);
			net_channels_check(n);	/* issue #14: new channels */
			net_keys_synced(n);	/* one-time key counts */
			net_devices_synced(n);	/* outdated device lists */
			net_members_synced(n, &res, first);
			net_backup_synced(n);	/* keys to restore, upload */
		}
		ingest_result_free(&res);
		/* The UI knows: now copy the WAL back while the poll waits. */
		if (err == NULL && store_checkpoint(n->store,
		    NET_CHECKPOINT_FRAMES, &e2) == -1)
			log_warn("net", "%s", e2.msg);
		if (err == NULL)
			net_sync_prune(n);
		if (err == NULL)
			return;
	}
	if (net_check_auth(n, err))
		return;
	if (net_sync_rejected(err) && n->since != NULL) {
		net_sync_reset(n, err);
		return;
	}
	if (net_sync_rejected(err) && n->filter_id != NULL &&
	    *n->filter_id != '{') {
		/* The server may have forgotten our filter: upload it again. */
		log_warn("net", "sync with filter %s refused (%s): uploading "
		    "the filter again", n->filter_id, err->msg);
		xfree(n->filter_id);
	}
	n->sync_attempt++;
	n->sync_next_at = net_now_ms() + http_retry_delay_ms(err,
	    n->sync_attempt, &n->seed);
	log_warn("net", "sync failed (attempt %d, retry in %lld ms): %s",
	    n->sync_attempt, (long long)(n->sync_next_at - net_now_ms()),
	    err->msg);
	net_set_failed(n, err, n->sync_next_at);
}
