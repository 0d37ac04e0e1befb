/* Net thread: the /sync long-poll, the outbox sender and UI jobs. */
#include "haos/net.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define NET_BACKFILL_LIMIT	50
#define NET_MAX_ROOMS_SENDING	64
#define NET_CHECKPOINT_FRAMES	1000	/* WAL pages worth copying back */

/* Per-room sender state: one request in flight per room keeps order. */
struct net_room {
	char		*room_id;
	int		 in_flight;
	int		 attempt;
	int64_t		 next_at;	/* monotonic ms; 0: now */
};

/*
 * Everything below "thread-owned" belongs to the net thread alone.  The
 * UI thread touches only the job queue (under lock) and the atomics.
 */
struct net {
	struct net_config	 cfg;		/* strings copied */
	pthread_t		 thread;
	atomic_int		 quit;
	atomic_int		 state;		/* enum net_state */
	atomic_llong		 retry_at;
	atomic_ulong		 syncs;
	atomic_int		 soft_logout;
	atomic_int		 started;	/* http client exists */

	pthread_mutex_t		 lock;		/* guards jobs, results */
	struct job		*jobs;		/* FIFO: head */
	struct job		**jobs_tail;
	struct net_result	*results;	/* FIFO for the UI */
	struct net_result	**results_tail;
	struct http_client	*http;		/* created before the thread */

	/* thread-owned */
	struct store		*store;
	char			*since;
	char			*filter_id;
	int			 filter_in_flight;
	int			 sync_in_flight;
	int			 sync_attempt;
	int64_t			 sync_next_at;
	int			 auth_failed;
	int			 backfill_in_flight;
	struct net_room		 rooms[NET_MAX_ROOMS_SENDING];
	int			 nrooms;
	unsigned int		 seed;
};

/* A request of the net thread and what to do with its answer. */
struct net_req {
	struct net	*net;
	int		 kind;
	char		*txn_id;	/* NET_REQ_SEND */
	char		*room_id;	/* NET_REQ_SEND, NET_REQ_BACKFILL */
	int64_t		 gap_id;	/* NET_REQ_BACKFILL */
	uint64_t	 tag;		/* NET_REQ_GENERIC */
};

enum {
	NET_REQ_FILTER = 1,
	NET_REQ_SYNC,
	NET_REQ_SEND,
	NET_REQ_BACKFILL,
	NET_REQ_GENERIC
};

int64_t
net_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
net_job_free(struct job *j)
{
	if (j == NULL)
		return;
	/* A token, or a password in a login body: wiped, whatever it is. */
	if (j->content != NULL)
		explicit_bzero(j->content, j->content_len > 0 ?
		    j->content_len : strlen(j->content));
	free(j->room_id);
	free(j->event_type);
	free(j->state_key);
	free(j->content);
	free(j->rel_target);
	free(j->txn_id);
	free(j->method);
	free(j->path);
	free(j->content_type);
	free(j);
}

/* Make a JOB_REQUEST: method path with an optional JSON body. */
struct job *
net_job_request(const char *method, const char *path, const char *body,
    uint64_t tag)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_REQUEST;
	j->method = xstrdup(method);
	j->path = xstrdup(path);
	j->content = body != NULL ? xstrdup(body) : NULL;
	j->tag = tag;
	return j;
}

/* Make a JOB_REQUEST that POSTs len bytes of data (a media upload). */
struct job *
net_job_upload(const char *path, const void *data, size_t len,
    const char *content_type, uint64_t tag)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_REQUEST;
	j->method = xstrdup("POST");
	j->path = xstrdup(path);
	j->content = xmalloc(len + 1);
	memcpy(j->content, data, len);
	j->content[len] = '\0';
	j->content_len = len;
	j->content_type = xstrdup(content_type);
	j->tag = tag;
	return j;
}

void
net_result_free(struct net_result *r)
{
	if (r == NULL)
		return;
	free(r->err);
	free(r->body);
	free(r);
}

/* Take every queued result, oldest first (UI thread). */
struct net_result *
net_results_take(struct net *n)
{
	struct net_result	*r;

	pthread_mutex_lock(&n->lock);
	r = n->results;
	n->results = NULL;
	n->results_tail = &n->results;
	pthread_mutex_unlock(&n->lock);
	return r;
}

/* Make a JOB_RETRY, JOB_DISCARD (txn_id) or JOB_BACKFILL (txn_id NULL). */
struct job *
net_job_room(enum job_type type, const char *room_id, const char *txn_id)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = type;
	j->room_id = xstrdup(room_id);
	if (txn_id != NULL)
		j->txn_id = xstrdup(txn_id);
	return j;
}

/* Make a JOB_TOKEN: the access token of a new login (wiped when freed). */
struct job *
net_job_token(const char *token, const char *device_id)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_TOKEN;
	j->content = xstrdup(token);
	j->state_key = xstrdup(device_id);
	return j;
}

/* Make a JOB_SEND of a message-like event. */
struct job *
net_job_send(const char *room_id, const char *type, const char *content)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_SEND;
	j->room_id = xstrdup(room_id);
	j->event_type = xstrdup(type);
	j->content = xstrdup(content);
	return j;
}

/* Hand a job to the net thread (any thread); the job is the net's now. */
void
net_submit(struct net *n, struct job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&n->lock);
	*n->jobs_tail = j;
	n->jobs_tail = &j->next;
	pthread_mutex_unlock(&n->lock);
	http_client_wakeup(n->http);
}

void
net_get_status(struct net *n, struct net_status *s)
{
	s->state = (enum net_state)atomic_load(&n->state);
	s->retry_at_ms = atomic_load(&n->retry_at);
	s->syncs = atomic_load(&n->syncs);
	s->soft_logout = atomic_load(&n->soft_logout);
}

static void
net_set_state(struct net *n, enum net_state st, int64_t retry_at)
{
	int	 old;

	atomic_store(&n->retry_at, retry_at);
	old = atomic_exchange(&n->state, (int)st);
	if (old != (int)st || st == NET_OFFLINE)
		notify_post(n->cfg.notify, NOTIFY_STATUS);
}

static void net_done(struct http_xfer *, const struct http_resp *,
    const struct haos_error *, void *);

/*
 * Start method path for req with body (NULL: none) of len bytes (0:
 * strlen) and content type ctype (NULL: JSON).
 */
static int
net_request_raw(struct net *n, struct net_req *req, const char *method,
    const char *path, const char *body, size_t len, const char *ctype,
    long timeout_ms)
{
	struct http_req	 hr;
	char		*url;

	memset(&hr, 0, sizeof hr);
	hr.method = method;
	/* A full URL is another service (invite lookup): no token. */
	if (strncmp(path, "http://", 7) == 0 ||
	    strncmp(path, "https://", 8) == 0)
		url = xstrdup(path);
	else {
		url = xasprintf("%s%s", n->cfg.homeserver, path);
		hr.token = n->cfg.access_token;
	}
	hr.url = url;
	hr.content_type = ctype;
	if (body != NULL) {
		hr.body = body;
		hr.body_len = len != 0 ? len : strlen(body);
	}
	req->net = n;
	if (http_client_start(n->http, &hr, timeout_ms, net_done,
	    req) == NULL) {
		log_error("net", "cannot start %s %s", method, path);
		free(url);
		return -1;
	}
	free(url);
	return 0;
}

/* Start method path (body may be NULL) for req; req is freed on failure. */
static int
net_request(struct net *n, struct net_req *req, const char *method,
    const char *path, const char *body, long timeout_ms)
{
	return net_request_raw(n, req, method, path, body, 0, NULL,
	    timeout_ms);
}

static void
net_req_free(struct net_req *r)
{
	free(r->txn_id);
	free(r->room_id);
	free(r);
}

/* Any request: M_UNKNOWN_TOKEN stops everything until a new login. */
static int
net_check_auth(struct net *n, const struct haos_error *err)
{
	if (err == NULL || err->mx != MX_UNKNOWN_TOKEN)
		return 0;
	if (!n->auth_failed) {
		log_warn("net", "access token rejected (soft_logout %d)",
		    err->soft_logout);
		n->auth_failed = 1;
		atomic_store(&n->soft_logout, err->soft_logout);
		net_set_state(n, NET_AUTH_FAILED, 0);
		notify_post(n->cfg.notify, NOTIFY_AUTH | NOTIFY_STATUS);
	}
	return 1;
}

static void
net_start_filter(struct net *n)
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

static void
net_filter_done(struct net *n, const struct http_resp *resp,
    const struct haos_error *err)
{
	struct haos_error	 e2;
	json_t			*root;
	const char		*id;

	n->filter_in_flight = 0;
	if (err != NULL) {
		if (net_check_auth(n, err))
			return;
		n->sync_attempt++;
		n->sync_next_at = net_now_ms() + http_retry_delay_ms(err,
		    n->sync_attempt, &n->seed);
		net_set_state(n, NET_OFFLINE, n->sync_next_at);
		log_warn("net", "filter upload failed: %s", err->msg);
		return;
	}
	root = json_loadb(resp->body, resp->body_len, 0, NULL);
	id = json_get_str(root, "filter_id", NULL);
	if (id != NULL) {
		n->filter_id = xstrdup(id);
		if (store_begin(n->store, &e2) == -1 ||
		    store_kv_set(n->store, "filter_id", id, &e2) == -1 ||
		    store_commit(n->store, &e2) == -1) {
			log_warn("net", "cannot store filter id: %s", e2.msg);
			if (store_in_txn(n->store))
				store_rollback(n->store);
		}
	}
	json_decref(root);
}

static void
net_start_sync(struct net *n)
{
	struct net_req	*r;
	char		*path;
	long		 hold;

	hold = n->since != NULL ? n->cfg.sync_timeout_ms : 0;
	path = matrix_sync_path(n->filter_id, n->since, hold, 0);
	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_SYNC;
	if (net_request(n, r, "GET", path, NULL,
	    hold + n->cfg.request_timeout_ms) == 0) {
		n->sync_in_flight = 1;
		if (n->since == NULL)
			net_set_state(n, NET_SYNCING, 0);
	} else
		net_req_free(r);
	free(path);
}

/* One /sync response: one ingest transaction, then wake the UI. */
static void
net_sync_done(struct net *n, const struct http_resp *resp,
    const struct haos_error *err)
{
	struct ingest_result	 res;
	struct haos_error	 e2;
	json_error_t		 jerr;
	json_t			*root;
	const char		*next;

	n->sync_in_flight = 0;
	if (err == NULL) {
		root = json_loadb(resp->body, resp->body_len, 0, &jerr);
		next = json_get_str(root, "next_batch", NULL);
		memset(&res, 0, sizeof res);
		if (next == NULL) {
			haos_error_set(&e2, HAOS_EPROTO, "/sync answer without "
			    "next_batch (%s)", root == NULL ? jerr.text : "");
			err = &e2;
		} else if (ingest_sync(n->store, root, &res, &e2) == -1) {
			log_error("net", "ingest failed: %s", e2.msg);
			err = &e2;
		} else {
			free(n->since);
			n->since = xstrdup(next);
			n->sync_attempt = 0;
			n->sync_next_at = 0;
			atomic_fetch_add(&n->syncs, 1);
			net_set_state(n, NET_CONNECTED, 0);
			if (res.notify != 0)
				notify_post(n->cfg.notify, res.notify);
		}
		ingest_result_free(&res);
		json_decref(root);
		/* The UI knows: now copy the WAL back while the poll waits. */
		if (err == NULL && store_checkpoint(n->store,
		    NET_CHECKPOINT_FRAMES, &e2) == -1)
			log_warn("net", "%s", e2.msg);
		if (err == NULL)
			return;
	}
	if (net_check_auth(n, err))
		return;
	n->sync_attempt++;
	n->sync_next_at = net_now_ms() + http_retry_delay_ms(err,
	    n->sync_attempt, &n->seed);
	log_warn("net", "sync failed (attempt %d, retry in %lld ms): %s",
	    n->sync_attempt, (long long)(n->sync_next_at - net_now_ms()),
	    err->msg);
	net_set_state(n, NET_OFFLINE, n->sync_next_at);
}

static struct net_room *
net_room(struct net *n, const char *room_id)
{
	int	 i;

	for (i = 0; i < n->nrooms; i++) {
		if (strcmp(n->rooms[i].room_id, room_id) == 0)
			return &n->rooms[i];
	}
	if (n->nrooms == NET_MAX_ROOMS_SENDING)
		return NULL;
	memset(&n->rooms[n->nrooms], 0, sizeof n->rooms[0]);
	n->rooms[n->nrooms].room_id = xstrdup(room_id);
	return &n->rooms[n->nrooms++];
}

/* Send one outbox row: the same txn_id on every attempt. */
static void
net_send_row(struct net *n, struct net_room *nr, const struct outbox_row *o)
{
	struct haos_error	 e2;
	struct net_req		*r;
	char			*path;

	if (strcmp(o->type, "m.room.redaction") == 0 && o->rel_target != NULL)
		path = matrix_redact_path(o->room_id, o->rel_target, o->txn_id);
	else if (o->state_key != NULL)
		path = matrix_state_path(o->room_id, o->type, o->state_key);
	else
		path = matrix_send_path(o->room_id, o->type, o->txn_id);
	if (o->state != OUTBOX_SENDING &&
	    store_outbox_mark_sending(n->store, o->txn_id, &e2) == -1)
		log_warn("net", "outbox: %s", e2.msg);
	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_SEND;
	r->txn_id = xstrdup(o->txn_id);
	r->room_id = xstrdup(o->room_id);
	if (net_request(n, r, "PUT", path, o->content,
	    n->cfg.request_timeout_ms) == 0)
		nr->in_flight = 1;
	else
		net_req_free(r);
	free(path);
}

/* Start the oldest unsent row of every room that has none in flight. */
static void
net_pump_outbox(struct net *n)
{
	struct haos_error	 e2;
	struct outbox_row	*rows = NULL, *all;
	size_t			 nrows = 0, nsending = 0, i;
	struct net_room		*nr;
	int64_t			 now;

	if (n->auth_failed)
		return;
	/* Rows left "sending" by a crash or restart are resent first. */
	if (store_query_outbox(n->store, OUTBOX_SENDING, &all, &nsending,
	    &e2) == -1 || store_query_outbox(n->store, OUTBOX_PENDING, &rows,
	    &nrows, &e2) == -1) {
		log_error("net", "outbox query: %s", e2.msg);
		return;
	}
	all = xrealloc(all, (nsending + nrows + 1) * sizeof *all);
	if (nrows > 0)
		memcpy(all + nsending, rows, nrows * sizeof *rows);
	free(rows);
	nrows += nsending;
	now = net_now_ms();
	for (i = 0; i < nrows; i++) {
		nr = net_room(n, all[i].room_id);
		if (nr == NULL || nr->in_flight || nr->next_at > now)
			continue;
		/* Oldest first: the first row seen for a room is sent. */
		if (i > 0 && strcmp(all[i].room_id, all[i - 1].room_id) == 0 &&
		    all[i - 1].id < all[i].id)
			continue;
		net_send_row(n, nr, &all[i]);
	}
	outbox_rows_free(all, nrows);
}

static void
net_send_done(struct net *n, struct net_req *r, const struct http_resp *resp,
    const struct haos_error *err)
{
	struct haos_error	 e2;
	struct net_room		*nr;
	json_t			*root;
	const char		*eid;

	nr = net_room(n, r->room_id);
	if (nr != NULL)
		nr->in_flight = 0;
	if (err == NULL) {
		root = json_loadb(resp->body, resp->body_len, 0, NULL);
		eid = json_get_str(root, "event_id", NULL);
		if (store_outbox_mark_sent(n->store, r->txn_id, eid, &e2) == -1)
			log_error("net", "outbox: %s", e2.msg);
		json_decref(root);
		if (nr != NULL) {
			nr->attempt = 0;
			nr->next_at = 0;
		}
		notify_post(n->cfg.notify, NOTIFY_OUTBOX);
		return;
	}
	if (net_check_auth(n, err))
		return;
	if (http_retryable(err)) {
		if (nr != NULL) {
			nr->attempt++;
			nr->next_at = net_now_ms() + http_retry_delay_ms(err,
			    nr->attempt, &n->seed);
		}
		log_info("net", "send %s failed, will retry: %s", r->txn_id,
		    err->msg);
		return;
	}
	/* Permanent: the user decides (retry or discard). */
	log_warn("net", "send %s failed: %s", r->txn_id, err->msg);
	if (store_outbox_mark_failed(n->store, r->txn_id, err->msg, &e2) == -1)
		log_error("net", "outbox: %s", e2.msg);
	notify_post(n->cfg.notify, NOTIFY_OUTBOX | NOTIFY_TIMELINE);
}

static void
net_start_backfill(struct net *n, const char *room_id)
{
	struct haos_error	 e2;
	struct gap_row		*gaps = NULL;
	struct net_req		*r;
	size_t			 ngaps = 0, i, best;
	char			*path;

	if (store_query_gaps(n->store, room_id, &gaps, &ngaps, &e2) == -1) {
		log_error("net", "gaps: %s", e2.msg);
		return;
	}
	if (ngaps == 0) {
		gap_rows_free(gaps, ngaps);
		return;
	}
	/* The newest gap (highest ordinal) is the one the user reached. */
	for (best = 0, i = 1; i < ngaps; i++) {
		if (gaps[i].ordinal > gaps[best].ordinal)
			best = i;
	}
	path = matrix_messages_path(room_id, gaps[best].prev_batch, 'b',
	    NET_BACKFILL_LIMIT);
	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_BACKFILL;
	r->room_id = xstrdup(room_id);
	r->gap_id = gaps[best].id;
	if (net_request(n, r, "GET", path, NULL,
	    n->cfg.request_timeout_ms) == 0)
		n->backfill_in_flight++;
	else
		net_req_free(r);
	free(path);
	gap_rows_free(gaps, ngaps);
}

static void
net_backfill_done(struct net *n, struct net_req *r,
    const struct http_resp *resp, const struct haos_error *err)
{
	struct ingest_result	 res;
	struct haos_error	 e2;
	json_t			*root;

	n->backfill_in_flight--;
	if (err != NULL) {
		net_check_auth(n, err);
		log_warn("net", "backfill of %s failed: %s", r->room_id,
		    err->msg);
		notify_post(n->cfg.notify, NOTIFY_TIMELINE);
		return;
	}
	root = json_loadb(resp->body, resp->body_len, 0, NULL);
	memset(&res, 0, sizeof res);
	if (root == NULL || ingest_messages(n->store, r->room_id, root,
	    r->gap_id, &res, &e2) == -1)
		log_error("net", "backfill ingest of %s failed: %s",
		    r->room_id, root == NULL ? "not JSON" : e2.msg);
	notify_post(n->cfg.notify, res.notify | NOTIFY_TIMELINE);
	ingest_result_free(&res);
	json_decref(root);
}

/* Queue the answer of a JOB_REQUEST for the UI. */
static void
net_generic_done(struct net *n, struct net_req *r,
    const struct http_resp *resp, const struct haos_error *err)
{
	struct net_result	*res;

	if (err != NULL)
		net_check_auth(n, err);
	res = xcalloc(1, sizeof *res);
	res->tag = r->tag;
	res->ok = err == NULL;
	if (err != NULL) {
		res->err = xmalloc(sizeof *res->err);
		*res->err = *err;
	}
	if (resp != NULL && resp->body != NULL)
		res->body = xstrndup(resp->body, resp->body_len);
	pthread_mutex_lock(&n->lock);
	*n->results_tail = res;
	n->results_tail = &res->next;
	pthread_mutex_unlock(&n->lock);
	notify_post(n->cfg.notify, NOTIFY_RESULT);
}

static void
net_done(struct http_xfer *x __unused, const struct http_resp *resp,
    const struct haos_error *err, void *arg)
{
	struct net_req	*r = arg;
	struct net	*n = r->net;

	if (err != NULL && err->code == HAOS_ECANCEL) {
		net_req_free(r);	/* shutting down */
		return;
	}
	switch (r->kind) {
	case NET_REQ_FILTER:
		net_filter_done(n, resp, err);
		break;
	case NET_REQ_SYNC:
		net_sync_done(n, resp, err);
		break;
	case NET_REQ_SEND:
		net_send_done(n, r, resp, err);
		break;
	case NET_REQ_BACKFILL:
		net_backfill_done(n, r, resp, err);
		break;
	case NET_REQ_GENERIC:
		net_generic_done(n, r, resp, err);
		break;
	}
	net_req_free(r);
}

/*
 * A new login after M_UNKNOWN_TOKEN: requests use the new token and
 * /sync, the filter and the outbox resume where they stopped.
 */
static void
net_new_token(struct net *n, const char *token, const char *device_id)
{
	if (token == NULL)
		return;
	explicit_bzero((char *)n->cfg.access_token,
	    strlen(n->cfg.access_token));
	free((char *)n->cfg.access_token);
	n->cfg.access_token = xstrdup(token);
	if (device_id != NULL) {
		free((char *)n->cfg.device_id);
		n->cfg.device_id = xstrdup(device_id);
	}
	n->auth_failed = 0;
	atomic_store(&n->soft_logout, 0);
	n->sync_attempt = 0;
	n->sync_next_at = 0;
	net_set_state(n, n->since != NULL ? NET_CONNECTED : NET_SYNCING, 0);
	notify_post(n->cfg.notify, NOTIFY_STATUS);
	log_info("net", "new access token (device %s)",
	    device_id != NULL ? device_id : "unchanged");
}

/* Run one job from the UI. */
static void
net_run_job(struct net *n, struct job *j)
{
	struct haos_error	 e2;
	struct net_req		*r;
	char			*txn;

	switch (j->type) {
	case JOB_SEND:
		txn = j->txn_id != NULL ? xstrdup(j->txn_id) :
		    matrix_txn_id();
		if (store_outbox_add(n->store, j->room_id, txn, j->event_type,
		    j->state_key, j->content, j->rel_target, &e2) == -1)
			log_error("net", "outbox add: %s", e2.msg);
		else
			notify_post(n->cfg.notify, NOTIFY_OUTBOX |
			    NOTIFY_TIMELINE);
		free(txn);
		break;
	case JOB_RETRY:
		if (store_outbox_mark_sending(n->store, j->txn_id, &e2) == -1)
			log_error("net", "outbox retry: %s", e2.msg);
		notify_post(n->cfg.notify, NOTIFY_OUTBOX | NOTIFY_TIMELINE);
		break;
	case JOB_DISCARD:
		if (store_outbox_delete(n->store, j->txn_id, &e2) == -1)
			log_error("net", "outbox discard: %s", e2.msg);
		notify_post(n->cfg.notify, NOTIFY_OUTBOX | NOTIFY_TIMELINE);
		break;
	case JOB_BACKFILL:
		if (n->backfill_in_flight == 0)
			net_start_backfill(n, j->room_id);
		break;
	case JOB_TOKEN:
		net_new_token(n, j->content, j->state_key);
		break;
	case JOB_REQUEST:
		r = xcalloc(1, sizeof *r);
		r->kind = NET_REQ_GENERIC;
		r->tag = j->tag;
		if (net_request_raw(n, r, j->method, j->path, j->content,
		    j->content_len, j->content_type,
		    n->cfg.request_timeout_ms) == -1) {
			haos_error_set(&e2, HAOS_ENET, "cannot start %s",
			    j->path);
			net_generic_done(n, r, NULL, &e2);
			net_req_free(r);
		}
		break;
	}
}

static void *
net_main(void *arg)
{
	struct net		*n = arg;
	struct haos_error	 err;
	struct job		*jobs, *j;
	int64_t			 now, wait;
	char			*v;
	int			 i;

	n->store = store_open(n->cfg.store_path, STORE_RW, &err);
	if (n->store == NULL) {
		log_error("net", "%s", err.msg);
		notify_post(n->cfg.notify, NOTIFY_FATAL);
		return NULL;
	}
	if (store_query_sync_token(n->store, &n->since, &err) == -1)
		log_warn("net", "sync token: %s", err.msg);
	v = NULL;
	if (store_query_kv(n->store, "filter_id", &v, &err) == 0 && v != NULL)
		n->filter_id = v;
	log_info("net", "started (%s)", n->since != NULL ? "incremental" :
	    "initial sync");

	while (!atomic_load(&n->quit)) {
		pthread_mutex_lock(&n->lock);
		jobs = n->jobs;
		n->jobs = NULL;
		n->jobs_tail = &n->jobs;
		pthread_mutex_unlock(&n->lock);
		while ((j = jobs) != NULL) {
			jobs = j->next;
			net_run_job(n, j);
			net_job_free(j);
		}

		now = net_now_ms();
		if (!n->auth_failed && n->filter_id == NULL &&
		    !n->filter_in_flight && now >= n->sync_next_at)
			net_start_filter(n);
		if (!n->auth_failed && n->filter_id != NULL &&
		    !n->sync_in_flight && now >= n->sync_next_at)
			net_start_sync(n);
		net_pump_outbox(n);

		/* Sleep until the next retry is due, at most a second. */
		wait = 1000;
		if (n->sync_next_at > now && n->sync_next_at - now < wait)
			wait = n->sync_next_at - now;
		for (i = 0; i < n->nrooms; i++) {
			if (!n->rooms[i].in_flight && n->rooms[i].next_at > now &&
			    n->rooms[i].next_at - now < wait)
				wait = n->rooms[i].next_at - now;
		}
		http_client_poll(n->http, (int)(wait > 0 ? wait : 0));
	}

	/*
	 * Nothing typed is lost: sends queued before the quit still go into
	 * the outbox (and are sent on the next start).
	 */
	pthread_mutex_lock(&n->lock);
	jobs = n->jobs;
	n->jobs = NULL;
	n->jobs_tail = &n->jobs;
	pthread_mutex_unlock(&n->lock);
	while ((j = jobs) != NULL) {
		jobs = j->next;
		if (j->type == JOB_SEND)
			net_run_job(n, j);
		net_job_free(j);
	}
	log_info("net", "stopping");
	http_client_free(n->http);
	n->http = NULL;
	store_close(n->store);
	n->store = NULL;
	return NULL;
}

/* Start the net thread; it opens the store and begins syncing. */
struct net *
net_start(const struct net_config *cfg, struct haos_error *err)
{
	struct net	*n;

	n = xcalloc(1, sizeof *n);
	n->cfg = *cfg;
	n->cfg.homeserver = xstrdup(cfg->homeserver);
	n->cfg.access_token = xstrdup(cfg->access_token);
	n->cfg.user_id = xstrdup(cfg->user_id);
	n->cfg.device_id = xstrdup(cfg->device_id);
	n->cfg.store_path = xstrdup(cfg->store_path);
	if (n->cfg.timeline_limit <= 0)
		n->cfg.timeline_limit = 50;
	n->jobs_tail = &n->jobs;
	n->results_tail = &n->results;
	n->seed = (unsigned int)net_now_ms() ^ (unsigned int)(uintptr_t)n;
	pthread_mutex_init(&n->lock, NULL);
	n->http = http_client_new(&n->cfg.http);
	if (n->http == NULL) {
		haos_error_set(err, HAOS_ENET, "cannot create HTTP client");
		goto fail;
	}
	if (pthread_create(&n->thread, NULL, net_main, n) != 0) {
		haos_error_set(err, HAOS_EIO, "cannot start the net thread");
		http_client_free(n->http);
		goto fail;
	}
	return n;
fail:
	pthread_mutex_destroy(&n->lock);
	free((char *)n->cfg.homeserver);
	free((char *)n->cfg.access_token);
	free((char *)n->cfg.user_id);
	free((char *)n->cfg.device_id);
	free((char *)n->cfg.store_path);
	free(n);
	return NULL;
}

/* Stop the thread (aborting the long-poll) and free everything. */
void
net_stop(struct net *n)
{
	struct job		*j;
	struct net_result	*r;
	int			 i;

	if (n == NULL)
		return;
	atomic_store(&n->quit, 1);
	http_client_wakeup(n->http);
	pthread_join(n->thread, NULL);
	while ((j = n->jobs) != NULL) {
		n->jobs = j->next;
		net_job_free(j);
	}
	while ((r = n->results) != NULL) {
		n->results = r->next;
		net_result_free(r);
	}
	for (i = 0; i < n->nrooms; i++)
		free(n->rooms[i].room_id);
	pthread_mutex_destroy(&n->lock);
	if (n->cfg.access_token != NULL)
		memset((char *)n->cfg.access_token, 0,
		    strlen(n->cfg.access_token));
	free((char *)n->cfg.homeserver);
	free((char *)n->cfg.access_token);
	free((char *)n->cfg.user_id);
	free((char *)n->cfg.device_id);
	free((char *)n->cfg.store_path);
	free(n->since);
	free(n->filter_id);
	free(n);
}
