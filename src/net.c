/* Net thread: the /sync long-poll, the outbox sender and UI jobs. */
#include "haos/net.h"
#include "net-int.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
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
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

int64_t
net_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

/* Hand a job to the net thread (any thread); the job is the net's now. */
void
net_submit(struct net *n, struct job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&n->lock);
	*n->jobs_tail = j;
	n->jobs_tail = &j->next;
	/* Under the lock: the net thread frees the client under it too. */
	if (n->http != NULL)
		http_client_wakeup(n->http);
	pthread_mutex_unlock(&n->lock);
}

void
net_get_status(struct net *n, struct net_status *s)
{
	s->state = (enum net_state)atomic_load(&n->state);
	s->retry_at_ms = atomic_load(&n->retry_at);
	s->syncs = atomic_load(&n->syncs);
	s->soft_logout = atomic_load(&n->soft_logout);
	s->rate_limited = atomic_load(&n->rate_limited);
	s->keys_settled = atomic_load(&n->keys_settled);
	pthread_mutex_lock(&n->lock);
	snprintf(s->error, sizeof s->error, "%s", n->error);
	snprintf(s->notice, sizeof s->notice, "%s", n->notice);
	s->notice_seq = n->notice_seq;
	pthread_mutex_unlock(&n->lock);
}

/* Leave a one-line notice for the user's status line. */
void
net_set_notice(struct net *n, const char *fmt, ...)
{
	va_list	 ap;

	pthread_mutex_lock(&n->lock);
	va_start(ap, fmt);
	vsnprintf(n->notice, sizeof n->notice, fmt, ap);
	va_end(ap);
	n->notice_seq++;
	pthread_mutex_unlock(&n->lock);
	notify_post(n->cfg.notify, NOTIFY_STATUS);
}

/* Set the connection state; any state but NET_OFFLINE drops the error. */
void
net_set_state(struct net *n, enum net_state st, int64_t retry_at)
{
	int	 old;

	if (st != NET_OFFLINE) {
		atomic_store(&n->rate_limited, 0);
		pthread_mutex_lock(&n->lock);
		n->error[0] = '\0';
		pthread_mutex_unlock(&n->lock);
	}
	atomic_store(&n->retry_at, retry_at);
	old = atomic_exchange(&n->state, (int)st);
	if (old != (int)st || st == NET_OFFLINE)
		notify_post(n->cfg.notify, NOTIFY_STATUS);
}

/*
 * Go offline after err until retry_at, keeping err's text (first line,
 * sanitised, short) and whether it was a rate limit for the status line.
 */
void
net_set_failed(struct net *n, const struct haos_error *err, int64_t retry_at)
{
	char	*clean;
	size_t	 len;

	len = strcspn(err->msg, "\r\n");
	clean = sanitize_text(err->msg, len, 0);
	len = strlen(clean);
	if (len >= sizeof n->error) {
		/* Cut on a character boundary. */
		len = sizeof n->error - 1;
		while (len > 0 && ((unsigned char)clean[len] & 0xc0) == 0x80)
			len--;
	}
	pthread_mutex_lock(&n->lock);
	memcpy(n->error, clean, len);
	n->error[len] = '\0';
	pthread_mutex_unlock(&n->lock);
	free(clean);
	atomic_store(&n->rate_limited, err->http_status == 429 ||
	    err->mx == MX_LIMIT_EXCEEDED);
	net_set_state(n, NET_OFFLINE, retry_at);
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
		hr.token = req->no_token ? NULL : n->cfg.access_token;
	}
	hr.url = url;
	hr.content_type = ctype;
	hr.spool_beside = req->spool ? n->cfg.store_path : NULL;
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
int
net_request(struct net *n, struct net_req *req, const char *method,
    const char *path, const char *body, long timeout_ms)
{
	return net_request_raw(n, req, method, path, body, 0, NULL,
	    timeout_ms);
}

void
net_req_free(struct net_req *r)
{
	free(r->txn_id);
	free(r->room_id);
	free(r->via);
	free(r->at);
	free(r->claim);
	free(r->upload_path);
	free(r);
}

/* Any request: M_UNKNOWN_TOKEN stops everything until a new login. */
int
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

/* Queue the answer of a JOB_REQUEST for the UI. */
static void
net_generic_done(struct net *n, struct net_req *r,
    const struct http_resp *resp, const struct haos_error *err)
{
	if (err != NULL)
		net_check_auth(n, err);
	net_post_result(n, r->tag, err, resp != NULL && resp->body != NULL ?
	    xstrndup(resp->body, resp->body_len) : NULL);
}

/* Queue the answer of tag for the UI; body (owned) may be NULL. */
void
net_post_result(struct net *n, uint64_t tag, const struct haos_error *err,
    char *body)
{
	struct net_result	*res;

	res = xcalloc(1, sizeof *res);
	res->tag = tag;
	res->ok = err == NULL;
	if (err != NULL) {
		res->err = xmalloc(sizeof *res->err);
		*res->err = *err;
	}
	res->body = body;
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
		net_sync_filter_done(n, resp, err);
		break;
	case NET_REQ_SYNC:
		net_sync_done(n, resp, err);
		break;
	case NET_REQ_SEND:
		net_outbox_done(n, r, resp, err);
		break;
	case NET_REQ_BACKFILL:
		net_fill_done(n, r, resp, err);
		break;
	case NET_REQ_GENERIC:
		net_generic_done(n, r, resp, err);
		break;
	case NET_REQ_RECHECK:
		net_recheck_done(n, r, resp, err);
		break;
	case NET_REQ_CHANNEL:
		net_channels_done(n, r, resp, err);
		break;
	case NET_REQ_MEMBERS:
		net_members_done(n, r, resp, err);
		break;
	case NET_REQ_KEYS:
		net_keys_done(n, r, resp, err);
		break;
	case NET_REQ_CLAIM:
		net_e2ee_claim_done(n, r, resp, err);
		break;
	case NET_REQ_TODEVICE:
		net_e2ee_todev_done(n, r, resp, err);
		break;
	case NET_REQ_DEVICES:
		net_devices_done(n, r, resp, err);
		break;
	case NET_REQ_XSIGN:
		net_xsign_done(n, r, resp, err);
		break;
	case NET_REQ_BACKUP:
		net_backup_done(n, r, resp, err);
		break;
	case NET_REQ_VERIFY_SIGN:
		net_verify_signed(n, r, resp, err);
		break;
	}
	net_req_free(r);
}

/*
 * A new login after M_UNKNOWN_TOKEN: requests use the new token and
 * /sync, the filter and the outbox resume where they stopped.  A new
 * device cannot deduplicate the old one's transaction ids, so the sends
 * of unknown outcome are first looked for in history (net-recheck.c);
 * the same device (soft logout) simply resends them.
 */
static void
net_new_token(struct net *n, const char *token, const char *device_id)
{
	int	 new_device;

	if (token == NULL)
		return;
	new_device = device_id != NULL && (n->cfg.device_id == NULL ||
	    strcmp(device_id, n->cfg.device_id) != 0);
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
	/* Connected only once a /sync with the new token is stored. */
	net_set_state(n, n->since != NULL ? NET_STARTING : NET_SYNCING, 0);
	notify_post(n->cfg.notify, NOTIFY_STATUS);
	log_info("net", "new access token (device %s)",
	    device_id != NULL ? device_id : "unchanged");
	if (new_device) {
		net_recheck_begin(n);
		net_keys_new_device(n);
	}
}

/* Any thread: the presence the next /sync sets. */
void
net_set_presence(struct net *n, enum net_presence p)
{
	atomic_store(&n->presence, (int)p);
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
		net_upload_job(n, j);	/* its upload stops first */
		if (store_outbox_delete(n->store, j->txn_id, &e2) == -1)
			log_error("net", "outbox discard: %s", e2.msg);
		else
			net_upload_sweep(n);
		notify_post(n->cfg.notify, NOTIFY_OUTBOX | NOTIFY_TIMELINE);
		break;
	case JOB_BACKFILL:
		net_fill_want(n, j->room_id, j->tag);
		break;
	case JOB_TOKEN:
		net_new_token(n, j->content, j->state_key);
		break;
	case JOB_MEMBERS:
		net_members_want(n, j->room_id);
		break;
	case JOB_VERIFY:
		net_verify_job(n, j);
		break;
	case JOB_TRUST:
		net_xsign_trust(n, j->state_key, j->tag);
		break;
	case JOB_XSIGN:
		net_xsign_setup(n, j->content, j->tag);
		break;
	case JOB_SECRETS:
		net_secrets_run(n, j);
		break;
	case JOB_BACKUP:
		net_backup_job(n, j);
		break;
	case JOB_DOWNLOAD:
	case JOB_DOWNLOAD_CANCEL:
		net_media_job(n, j);
		break;
	case JOB_UPLOAD:
	case JOB_UPLOAD_CANCEL:
		net_upload_job(n, j);
		break;
	case JOB_THUMB:
		net_thumb_job(n, j);
		break;
	case JOB_REQUEST:
		r = xcalloc(1, sizeof *r);
		r->kind = NET_REQ_GENERIC;
		r->tag = j->tag;
		r->no_token = j->no_token;
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
	/* The device identity before anything is synced (crypto.h). */
	if (net_keys_start(n, &err) == -1) {
		log_error("net", "%s", err.msg);
		net_set_failed(n, &err, 0);
		store_close(n->store);
		n->store = NULL;
		notify_post(n->cfg.notify, NOTIFY_FATAL);
		return NULL;
	}
	net_devices_start(n);
	net_xsign_load(n);
	net_backup_start(n);
	net_recheck_load(n);
	/* A first start that stopped before its filling was planned. */
	if (n->since != NULL)
		net_fill_plan(n);
	else
		n->fill_left = -1;
	net_channels_start(n);
	net_upload_sweep(n);
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
			net_sync_filter_start(n);
		/* A first sync carries its own filter: no need to wait. */
		if (!n->auth_failed && (n->filter_id != NULL ||
		    n->since == NULL) && !n->sync_in_flight &&
		    now >= n->sync_next_at)
			net_sync_start(n);
		net_outbox_pump(n);
		net_fill_pump(n, now);
		net_channels_pump(n);
		net_members_pump(n);
		net_keys_pump(n, now);
		net_verify_pump(n, now);
		net_gossip_pump(n, now);
		net_e2ee_pump(n, now);
		net_devices_pump(n, now);
		net_backup_pump(n, now);
		net_keyreq_pump(n, now);
		net_media_pump(n, now);

		/* Sleep until the next retry is due, at most a second. */
		wait = 1000;
		if (n->sync_next_at > now && n->sync_next_at - now < wait)
			wait = n->sync_next_at - now;
		if (n->chan_wake_at > now && n->chan_wake_at - now < wait)
			wait = n->chan_wake_at - now;
		if (n->keys_due && n->keys_next_at > now &&
		    n->keys_next_at - now < wait)
			wait = n->keys_next_at - now;
		if (n->e2ee_todev_next_at > now &&
		    n->e2ee_todev_next_at - now < wait)
			wait = n->e2ee_todev_next_at - now;
		if (n->dev_next_at > now && n->dev_next_at - now < wait)
			wait = n->dev_next_at - now;
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
		if (j->type == JOB_SEND || j->type == JOB_UPLOAD)
			net_run_job(n, j);
		net_job_free(j);
	}
	log_info("net", "stopping");
	/* net_submit() and net_stop() may be waking it this very moment. */
	pthread_mutex_lock(&n->lock);
	http_client_free(n->http);
	n->http = NULL;
	pthread_mutex_unlock(&n->lock);
	net_media_free(n);
	net_upload_free(n);
	net_thumb_free(n);
	store_close(n->store);
	n->store = NULL;
	net_recheck_free(n);
	net_fill_free(n);
	net_channels_free(n);
	net_members_free(n);
	net_verify_free(n);
	net_gossip_free(n);
	net_keys_free(n);
	net_devices_free(n);
	net_xsign_free(n);
	net_backup_free(n);
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
	n->cfg.pickle_key_path = cfg->pickle_key_path != NULL ?
	    xstrdup(cfg->pickle_key_path) : NULL;
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
	free((char *)n->cfg.pickle_key_path);
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
	pthread_mutex_lock(&n->lock);
	if (n->http != NULL)
		http_client_wakeup(n->http);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	/*
	 * A thread that stopped at its start (no store, a refused pickle
	 * key) left its http client.
	 */
	http_client_free(n->http);
	n->http = NULL;
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
	free(n->rooms);
	pthread_mutex_destroy(&n->lock);
	if (n->cfg.access_token != NULL)
		memset((char *)n->cfg.access_token, 0,
		    strlen(n->cfg.access_token));
	free((char *)n->cfg.homeserver);
	free((char *)n->cfg.access_token);
	free((char *)n->cfg.user_id);
	free((char *)n->cfg.device_id);
	free((char *)n->cfg.store_path);
	free((char *)n->cfg.pickle_key_path);
	free(n->since);
	free(n->filter_id);
	free(n);
}
