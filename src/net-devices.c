/* Net thread: the device lists of tracked users (/keys/query, /keys/changes). */

/*
 * Ingest keeps tracked_users current (store-devices.c): who is in an
 * encrypted room, and who the server says has new devices.  This file
 * asks /keys/query for the outdated ones, NET_DEVICES_BATCH at a time,
 * one request at a time, retried with the usual backoff, and stores the
 * answer through crypto-devices.c (checked, pinned) and crypto-xsign.c
 * (cross-signing keys checked, the master key pinned or its change
 * flagged, devices marked cross-signed) in one transaction,
 * in which the to-device events that waited for a sender's device are
 * tried again (crypto_in_retry(), crypto-in.c).
 *
 * The race (spec, "Tracking the device list for a user"): a user marked
 * outdated again while the query was out (their changed_seq moved) is
 * not taken as current from that answer, and is asked for again.
 *
 * A sync without since gives no device_lists: every tracked user is
 * marked outdated before it leaves.  A run that starts with a sync token
 * and tracked users asks, once its first /sync is stored, GET
 * /keys/changes from the token the device lists were followed to (kv
 * device_lists.token) to that sync's next_batch, for what a long gap
 * may have hidden.
 *
 * The sync lazy-loads members, so an encrypted room may not know all of
 * its members: its whole list is asked for (net-members.c, one room at a
 * time, each room at most once a minute) until ingest-members.c marks it
 * complete, and the members it brings are tracked like any other.
 *
 * Nothing is asked before the first /sync of a run is stored (the
 * tracked users may be behind), nor without a device identity.
 */
#include "net-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define NET_DEVICES_BATCH	100	/* users per /keys/query */
#define NET_DEVICES_MEMBERS_MS	60000	/* a room's /members, at most */
#define NET_DEVICES_QUERY	0	/* net_req.page: a /keys/query */
#define NET_DEVICES_CHANGES	1	/* a /keys/changes */
/*
 * Senders of to-device events kept for want of their device are asked
 * about again (a device list can lag behind a device's first message):
 * every NET_DEVICES_REQUERY_MS while such an event is fresh, then every
 * NET_DEVICES_REQUERY_SLOW_MS until crypto-in.c drops it (a day).
 */
#define NET_DEVICES_REQUERY_MS		10000
#define NET_DEVICES_REQUERY_FRESH_MS	120000
#define NET_DEVICES_REQUERY_SLOW_MS	300000

/* Run fn in a transaction of its own; log and roll back on failure. */
static int
net_devices_txn(struct net *n, const char *what,
    int (*fn)(struct net *, void *, struct haos_error *), void *arg)
{
	struct haos_error	 err;

	if (store_begin(n->store, &err) == -1 || fn(n, arg, &err) == -1 ||
	    store_commit(n->store, &err) == -1) {
		log_error("net", "device lists (%s): %s", what, err.msg);
		if (store_in_txn(n->store))
			store_rollback(n->store);
		return -1;
	}
	return 0;
}

static int
net_devices_self(struct net *n, void *arg __unused, struct haos_error *err)
{
	return store_tracked_self(n->store, n->cfg.user_id, err);
}

/*
 * At the start of the thread, after the identity: we track ourselves,
 * and a store that followed device lists in a previous run asks
 * /keys/changes after its first /sync.
 */
void
net_devices_start(struct net *n)
{
	struct haos_error	 err;
	int64_t			 tracked = 0;
	char			*token = NULL;

	if (n->keys == NULL)
		return;
	if (n->since != NULL) {
		if (store_tracked_count(n->store, &tracked, &err) == -1 ||
		    store_query_kv(n->store, "device_lists.token", &token,
		    &err) == -1)
			log_warn("net", "device lists: %s", err.msg);
		if (tracked > 0 && token != NULL)
			n->dev_changes_from = token;
		else
			free(token);
	}
	net_devices_txn(n, "self", net_devices_self, NULL);
	n->dev_due = 1;
}

static int
net_devices_all(struct net *n, void *arg __unused, struct haos_error *err)
{
	return store_tracked_all_outdated(n->store, err);
}

/* A /sync without since is leaving: it has no device_lists. */
void
net_devices_from_scratch(struct net *n)
{
	if (n->keys == NULL)
		return;
	net_devices_txn(n, "from scratch", net_devices_all, NULL);
	n->dev_due = 1;
}

/*
 * A device of user_id is needed now (a verification with a device the
 * store lacks): the user tracked and outdated, asked for at the next
 * pump.  In the caller's transaction, if any.  0, or -1.
 */
int
net_devices_want(struct net *n, const char *user_id, struct haos_error *err)
{
	if (store_tracked_want(n->store, user_id, err) == -1)
		return -1;
	n->dev_due = 1;
	return 0;
}

/* A /sync was stored: it may have marked users outdated. */
void
net_devices_synced(struct net *n)
{
	n->dev_due = 1;
	n->dev_members_due = 1;
}

static int
net_devices_requery_fn(struct net *n, void *arg, struct haos_error *err)
{
	int64_t	*older = arg;	/* in: 1 to take the old ones too */

	return store_to_device_requery(n->store, NET_DEVICES_REQUERY_MS,
	    *older ? INT64_MAX : NET_DEVICES_REQUERY_FRESH_MS, older, err);
}

/*
 * Senders of events kept for want of their device: outdated again, the
 * fresh ones (NET_DEVICES_REQUERY_FRESH_MS) every NET_DEVICES_REQUERY_MS,
 * the older ones every NET_DEVICES_REQUERY_SLOW_MS.
 */
static void
net_devices_requery(struct net *n, int64_t now)
{
	int64_t	 arg;

	if (now < n->dev_requery_at)
		return;
	n->dev_requery_at = now + NET_DEVICES_REQUERY_MS;
	arg = now >= n->dev_requery_slow_at;
	if (arg)
		n->dev_requery_slow_at = now + NET_DEVICES_REQUERY_SLOW_MS;
	if (net_devices_txn(n, "requery", net_devices_requery_fn, &arg) == 0 &&
	    arg > 0)
		n->dev_due = 1;
}

/* Whether room_id's members were asked for in the last minute. */
static int
net_devices_tried(struct net *n, const char *room_id, int64_t now)
{
	size_t	 i;

	for (i = 0; i < n->dev_ntried; i++) {
		if (strcmp(n->dev_tried[i].room_id, room_id) == 0)
			return now - n->dev_tried[i].since <
			    NET_DEVICES_MEMBERS_MS;
	}
	return 0;
}

static void
net_devices_set_tried(struct net *n, const char *room_id, int64_t now)
{
	size_t	 i;

	for (i = 0; i < n->dev_ntried; i++) {
		if (strcmp(n->dev_tried[i].room_id, room_id) == 0)
			break;
	}
	if (i == n->dev_ntried) {
		n->dev_tried = xrealloc(n->dev_tried, (n->dev_ntried + 1) *
		    sizeof *n->dev_tried);
		n->dev_tried[n->dev_ntried++].room_id = xstrdup(room_id);
	}
	n->dev_tried[i].since = now;
}

/*
 * The whole member list of an encrypted room that lacks it: one room at
 * a time, the most recently active first.
 */
static void
net_devices_members(struct net *n, int64_t now)
{
	struct haos_error	 err;
	char			**rooms;
	size_t			 i, nrooms;

	if (n->dev_members != NULL) {
		if (net_members_fetching(n, n->dev_members))
			return;
		xfree(n->dev_members);
		n->dev_members_due = 1;
	}
	if (!n->dev_members_due)
		return;
	n->dev_members_due = 0;
	if (store_devices_partial_rooms(n->store, &rooms, &nrooms,
	    &err) == -1) {
		log_error("net", "device lists: %s", err.msg);
		return;
	}
	for (i = 0; i < nrooms; i++) {
		if (net_devices_tried(n, rooms[i], now))
			continue;
		net_devices_set_tried(n, rooms[i], now);
		if (net_members_fetch(n, rooms[i])) {
			n->dev_members = xstrdup(rooms[i]);
			break;
		}
	}
	store_tracked_free(rooms, NULL, nrooms);
}

/* Forget the users of the query out. */
static void
net_devices_clear(struct net *n)
{
	store_tracked_free(n->dev_users, n->dev_seqs, n->dev_nusers);
	n->dev_users = NULL;
	n->dev_seqs = NULL;
	n->dev_nusers = 0;
}

static void
net_devices_send(struct net *n, struct matrix_req *req, int what, int64_t now)
{
	struct net_req	*r;

	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_DEVICES;
	r->page = what;
	if (net_request(n, r, req->method, req->path, req->body,
	    n->cfg.request_timeout_ms) == 0)
		n->dev_in_flight = 1;
	else {
		net_req_free(r);
		if (what == NET_DEVICES_QUERY)
			net_devices_clear(n);
		n->dev_due = 1;
		n->dev_next_at = now + 1000;
	}
	matrix_req_free(req);
}

void
net_devices_pump(struct net *n, int64_t now)
{
	struct haos_error	 err;

	if (n->keys == NULL || !n->caught_up || n->since == NULL ||
	    n->auth_failed)
		return;
	net_devices_members(n, now);
	if (n->dev_in_flight || now < n->dev_next_at)
		return;
	net_devices_requery(n, now);
	if (n->dev_changes_from != NULL) {
		log_debug("net", "device lists: changes since the last run");
		net_devices_send(n, matrix_req_keys_changes(
		    n->dev_changes_from, n->since), NET_DEVICES_CHANGES, now);
		return;
	}
	if (!n->dev_due)
		return;
	n->dev_due = 0;
	if (store_tracked_outdated(n->store, NET_DEVICES_BATCH, &n->dev_users,
	    &n->dev_seqs, &n->dev_nusers, &err) == -1) {
		log_error("net", "device lists: %s", err.msg);
		n->dev_due = 1;
		n->dev_next_at = now + 1000;
		return;
	}
	if (n->dev_nusers == 0) {
		net_devices_clear(n);
		return;
	}
	log_debug("net", "device lists: asking for %zu users", n->dev_nusers);
	net_devices_send(n, matrix_req_keys_query((const char *const *)
	    n->dev_users, n->dev_nusers), NET_DEVICES_QUERY, now);
}

/* What one /keys/query answer did, for the log and the backoff. */
struct net_devices_stats {
	const json_t	*answer;
	size_t		 stored;
	size_t		 moved;		/* changed while the query was out */
	size_t		 failed;	/* not in the answer */
	int		 refused;
	int		 rooms;		/* decrypted into by crypto_in_retry() */
};

/*
 * Store the answer for each user of the query whose changed_seq held;
 * then the to-device events kept for want of a sender's device are tried
 * again (crypto_in_retry()), in the same transaction.
 */
static int
net_devices_apply(struct net *n, void *arg, struct haos_error *err)
{
	struct net_devices_stats	*st = arg;
	const json_t			*dk, *devs;
	const char			*me = crypto_keys_user_id(n->keys);
	size_t				 i;
	int				 rc, pass;

	dk = json_get_obj(st->answer, "device_keys");
	/* Ourselves first: others' verification rests on our keys. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n->dev_nusers; i++) {
			if ((strcmp(n->dev_users[i], me) == 0) != (pass == 0))
				continue;
			devs = json_get_obj(dk, n->dev_users[i]);
			if (devs == NULL) {
				st->failed++;
				continue;
			}
			rc = store_tracked_check(n->store, n->dev_users[i],
			    n->dev_seqs[i], err);
			if (rc == -1)
				return -1;
			if (rc == 0) {
				st->moved++;
				continue;
			}
			rc = crypto_xsign_devices_store(n->store,
			    n->dev_users[i], st->answer, err);
			if (rc == -1 || crypto_xsign_store(n->store, me,
			    crypto_keys_device_id(n->keys), n->dev_users[i],
			    st->answer, err) == -1)
				return -1;
			st->refused += rc;
			if (store_tracked_current(n->store, n->dev_users[i],
			    err) == -1)
				return -1;
			st->stored++;
		}
	}
	if (st->stored == 0)
		return 0;
	st->rooms = crypto_in_retry(n->keys, n->store, NULL, err);
	return st->rooms == -1 ? -1 : 0;
}

static void
net_devices_query_done(struct net *n, const struct http_resp *resp)
{
	struct net_devices_stats	 st;
	json_t				*root;

	memset(&st, 0, sizeof st);
	root = json_load_network(resp->body, resp->body_len, NULL, NULL);
	st.answer = root;
	if (net_devices_txn(n, "query", net_devices_apply, &st) == -1) {
		st.failed = n->dev_nusers;
		st.rooms = 0;
		net_keys_reload(n);	/* what the retry did is rolled back */
	}
	json_decref(root);
	log_info("net", "device lists: %zu users stored, %zu changed while "
	    "asked, %zu not answered, %d devices refused", st.stored,
	    st.moved, st.failed, st.refused);
	if (st.stored > 0)
		notify_post(n->cfg.notify, NOTIFY_MEMBERS | (st.rooms > 0 ?
		    NOTIFY_TIMELINE : 0));
	n->dev_due = 1;
	if (st.failed > 0) {
		n->dev_attempt++;
		n->dev_next_at = net_now_ms() + http_backoff_ms(n->dev_attempt,
		    &n->seed);
	} else {
		n->dev_attempt = 0;
		n->dev_next_at = 0;
	}
}

/* Mark the changed users of a /keys/changes answer, untrack the left. */
static int
net_devices_changes_apply(struct net *n __unused, void *arg,
    struct haos_error *err)
{
	const json_t	*root = arg, *v;
	size_t		 i;

	json_array_foreach(json_get_arr(root, "changed"), i, v) {
		if (json_is_string(v) && store_tracked_changed(n->store,
		    json_string_value(v), err) == -1)
			return -1;
	}
	json_array_foreach(json_get_arr(root, "left"), i, v) {
		if (json_is_string(v) && store_tracked_left(n->store,
		    json_string_value(v), err) == -1)
			return -1;
	}
	return 0;
}

static void
net_devices_changes_done(struct net *n, const struct http_resp *resp)
{
	json_t	*root;
	int	 rc;

	root = json_load_network(resp->body, resp->body_len, NULL, NULL);
	rc = !json_is_object(root) ? -1 : net_devices_txn(n, "changes",
	    net_devices_changes_apply, root);
	json_decref(root);
	if (rc == -1) {
		log_warn("net", "device lists: /keys/changes not stored");
		n->dev_attempt++;
		n->dev_next_at = net_now_ms() + http_backoff_ms(n->dev_attempt,
		    &n->seed);
		return;
	}
	xfree(n->dev_changes_from);
	n->dev_attempt = 0;
	n->dev_next_at = 0;
	n->dev_due = 1;
}

void
net_devices_done(struct net *n, struct net_req *r, const struct http_resp *resp,
    const struct haos_error *err)
{
	n->dev_in_flight = 0;
	if (err == NULL) {
		if (r->page == NET_DEVICES_CHANGES)
			net_devices_changes_done(n, resp);
		else
			net_devices_query_done(n, resp);
		net_devices_clear(n);
		return;
	}
	net_devices_clear(n);
	n->dev_due = 1;
	if (net_check_auth(n, err))
		return;
	/* A token the server cannot read: everyone is asked for instead. */
	if (r->page == NET_DEVICES_CHANGES && err->code == HAOS_EMATRIX &&
	    (err->http_status == 400 || err->http_status == 404)) {
		log_warn("net", "device lists: /keys/changes refused (%s): "
		    "asking for every tracked user", err->msg);
		xfree(n->dev_changes_from);
		net_devices_txn(n, "changes refused", net_devices_all, NULL);
		return;
	}
	n->dev_attempt++;
	n->dev_next_at = net_now_ms() + http_retry_delay_ms(err,
	    n->dev_attempt, &n->seed);
	log_warn("net", "device lists: %s failed (attempt %d): %s",
	    r->page == NET_DEVICES_CHANGES ? "/keys/changes" : "/keys/query",
	    n->dev_attempt, err->msg);
}

void
net_devices_free(struct net *n)
{
	size_t	 i;

	net_devices_clear(n);
	xfree(n->dev_changes_from);
	xfree(n->dev_members);
	for (i = 0; i < n->dev_ntried; i++)
		free(n->dev_tried[i].room_id);
	xfree(n->dev_tried);
	n->dev_ntried = 0;
}
