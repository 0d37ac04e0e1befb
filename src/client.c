/* The client: requests to the net thread and completions of their answers. */
#include "haos/client.h"
#include "client-int.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/net.h"
#include "haos/xmalloc.h"

/* A request in flight and the completion its answer goes to. */
struct client_pending {
	uint64_t		 tag;
	struct client_done	 done;
	struct client_pending	*next;
};

/*
 * Owned by the thread that made it (asserted).  pending is ordered
 * newest first; closing is set once client_cancel_all() starts, and
 * from then on every new request completes at once as cancelled.
 */
struct client {
	struct net		*net;		/* NULL: tests */
	struct store		*store;		/* STORE_RO, borrowed */
	char			*me;
	struct client_pending	*pending;
	size_t			 npending;
	uint64_t		 next_tag;
	int			 closing;
	void			(*submit)(void *, struct job *);
	void			*submit_arg;
	char			**sent;		/* txn ids since take_sent */
	size_t			 nsent;
	int			 track_sent;
	pthread_t		 owner;
};

struct client *
client_new(struct net *net, struct store *ro, const char *me)
{
	struct client	*c;

	c = xcalloc(1, sizeof *c);
	c->net = net;
	c->store = ro;
	c->me = me != NULL ? xstrdup(me) : NULL;
	c->owner = pthread_self();
	return c;
}

void
client_set_submit(struct client *c, void (*fn)(void *, struct job *),
    void *arg)
{
	c->submit = fn;
	c->submit_arg = arg;
}

struct net *
client_net(struct client *c)
{
	return c != NULL ? c->net : NULL;
}

struct store *
client_store(struct client *c)
{
	return c != NULL ? c->store : NULL;
}

const char *
client_me(struct client *c)
{
	return c != NULL ? c->me : NULL;
}

void
client_get_status(struct client *c, struct client_status *st)
{
	struct net_status	 ns;

	memset(st, 0, sizeof *st);
	if (c == NULL || c->net == NULL)
		return;
	net_get_status(c->net, &ns);
	switch (ns.state) {
	case NET_STARTING:
		st->state = CLIENT_STARTING;
		break;
	case NET_SYNCING:
		st->state = CLIENT_SYNCING;
		break;
	case NET_CONNECTED:
		st->state = CLIENT_CONNECTED;
		break;
	case NET_OFFLINE:
		st->state = CLIENT_OFFLINE;
		break;
	case NET_AUTH_FAILED:
		st->state = CLIENT_AUTH_FAILED;
		break;
	}
	st->retry_at_ms = ns.retry_at_ms;
	st->syncs = ns.syncs;
	st->soft_logout = ns.soft_logout;
	st->online = 1;
	st->rate_limited = ns.rate_limited;
	st->keys_settled = ns.keys_settled;
	snprintf(st->reason, sizeof st->reason, "%s", ns.error);
	snprintf(st->notice, sizeof st->notice, "%s", ns.notice);
	st->notice_seq = ns.notice_seq;
}

/* CLOCK_MONOTONIC in milliseconds, the clock of retry_at_ms. */
int64_t
client_now_ms(void)
{
	return net_now_ms();
}

size_t
client_pending(const struct client *c)
{
	return c != NULL ? c->npending : 0;
}

/* Run a completion once and let it free what it owns. */
static void
client_complete(struct client_done *d, const struct client_result *res)
{
	if (d->fn != NULL)
		d->fn(d->arg, res);
	if (d->free_arg != NULL)
		d->free_arg(d->arg);
	d->fn = NULL;
	d->free_arg = NULL;
	d->arg = NULL;
}

/* The result every completion gets when it will never get an answer. */
static void
client_complete_cancelled(struct client_done *d, const char *why)
{
	struct haos_error	 err;
	struct client_result	 res;

	haos_error_set(&err, HAOS_ECANCEL, "%s", why);
	memset(&res, 0, sizeof res);
	res.cancelled = 1;
	res.err = &err;
	client_complete(d, &res);
}

/* Hand a job to the net thread (or the test hook); the job is theirs. */
void
client_queue_job(struct client *c, struct job *j)
{
	if (c == NULL || c->closing) {
		net_job_free(j);
		return;
	}
	if (j->type == JOB_SEND) {
		/* The id is known before the net thread sees the job. */
		if (j->txn_id == NULL)
			j->txn_id = matrix_txn_id();
		if (c->track_sent) {
			c->sent = xrealloc(c->sent, (c->nsent + 1) *
			    sizeof *c->sent);
			c->sent[c->nsent++] = xstrdup(j->txn_id);
		}
	}
	if (c->submit != NULL)
		c->submit(c->submit_arg, j);
	else if (c->net != NULL)
		net_submit(c->net, j);
	else
		net_job_free(j);
}

/* Turn a built request into a JOB_REQUEST; req is consumed. */
static struct job *
client_job(struct matrix_req *req, uint64_t tag)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_REQUEST;
	j->method = req->method;
	j->path = req->path;
	j->content = req->body;
	j->content_len = req->body_len;
	j->content_type = req->content_type;
	j->no_token = req->no_token;
	j->tag = tag;
	free(req);
	return j;
}

/*
 * Queue job j with a new tag; done runs with the answer of that tag.
 * After shutdown began (or with no net thread) the job is dropped and
 * the completion runs at once with a cancelled result.
 */
static uint64_t
client_pend(struct client *c, struct job *j, struct client_done done)
{
	struct client_pending	*p;

	if (c == NULL || c->closing || (c->net == NULL &&
	    c->submit == NULL)) {
		net_job_free(j);
		client_complete_cancelled(&done, c != NULL && c->closing ?
		    "cancelled: haos is quitting" : "not connected");
		return 0;
	}
	p = xcalloc(1, sizeof *p);
	p->tag = ++c->next_tag;
	p->done = done;
	p->next = c->pending;
	c->pending = p;
	c->npending++;
	j->tag = p->tag;
	client_queue_job(c, j);
	return p->tag;
}

/* Make a request; done gets its answer (see client_pend()). */
uint64_t
client_request(struct client *c, struct matrix_req *req,
    struct client_done done)
{
	return client_pend(c, client_job(req, 0), done);
}

/*
 * Fill room_id's newest gap from the server's history (one page, ahead of
 * the background filling); done runs once the page is stored (or the
 * room has no gap), or with the failure.
 */
uint64_t
client_fill(struct client *c, const char *room_id, struct client_done done)
{
	return client_pend(c, net_job_room(JOB_BACKFILL, room_id, NULL), done);
}

uint64_t
client_secrets(struct client *c, const char *op, const char *secret,
    const char *path, struct client_done done)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_SECRETS;
	j->method = xstrdup(op);
	j->content = secret != NULL ? xstrdup(secret) : NULL;
	j->path = path != NULL ? xstrdup(path) : NULL;
	return client_pend(c, j, done);
}

/* Route one answer to its completion; 0 if it was one of ours. */
int
client_deliver(struct client *c, const struct net_result *r)
{
	struct client_pending	**pp, *p;
	struct client_result	  res;
	struct haos_error	  err;

	for (pp = &c->pending; (p = *pp) != NULL; pp = &p->next) {
		if (p->tag == r->tag)
			break;
	}
	if (p == NULL)
		return -1;
	*pp = p->next;
	c->npending--;
	memset(&res, 0, sizeof res);
	res.ok = r->ok;
	res.body = r->body;
	res.err = r->err;
	if (!r->ok && r->err == NULL) {
		haos_error_set(&err, HAOS_EPROTO, "request failed");
		res.err = &err;
	}
	client_complete(&p->done, &res);
	free(p);
	return 0;
}

/* Take every answer the net thread has queued and complete them. */
size_t
client_dispatch(struct client *c)
{
	struct net_result	*r, *next;
	size_t			 n = 0;

	assert(pthread_equal(c->owner, pthread_self()));
	if (c->net == NULL)
		return 0;
	for (r = net_results_take(c->net); r != NULL; r = next) {
		next = r->next;
		if (client_deliver(c, r) == 0)
			n++;
		else
			log_debug("client", "answer %llu has no request",
			    (unsigned long long)r->tag);
		net_result_free(r);
	}
	return n;
}

/*
 * Complete every pending request as cancelled, exactly once each.  A
 * completion may make new requests; they complete at once, cancelled.
 */
void
client_cancel_all(struct client *c)
{
	struct client_pending	*p;

	if (c == NULL)
		return;
	c->closing = 1;
	while ((p = c->pending) != NULL) {
		c->pending = p->next;
		c->npending--;
		client_complete_cancelled(&p->done,
		    "cancelled: haos is quitting");
		free(p);
	}
}

void
client_track_sent(struct client *c, int on)
{
	c->track_sent = on;
}

size_t
client_take_sent(struct client *c, char ***txn_ids)
{
	size_t	 n = c->nsent;

	*txn_ids = c->sent;
	c->sent = NULL;
	c->nsent = 0;
	return n;
}

void
client_free(struct client *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	client_cancel_all(c);
	for (i = 0; i < c->nsent; i++)
		free(c->sent[i]);
	free(c->sent);
	free(c->me);
	free(c);
}

void
client_retry(struct client *c, const char *room_id, const char *txn_id)
{
	client_queue_job(c, net_job_room(JOB_RETRY, room_id, txn_id));
}

void
client_discard(struct client *c, const char *room_id, const char *txn_id)
{
	client_queue_job(c, net_job_room(JOB_DISCARD, room_id, txn_id));
}

void
client_backfill(struct client *c, const char *room_id)
{
	client_queue_job(c, net_job_room(JOB_BACKFILL, room_id, NULL));
}

void
client_members(struct client *c, const char *room_id)
{
	client_queue_job(c, net_job_room(JOB_MEMBERS, room_id, NULL));
}

uint64_t
client_trust(struct client *c, const char *user_id, struct client_done done)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_TRUST;
	j->state_key = xstrdup(user_id);
	return client_pend(c, j, done);
}

uint64_t
client_crosssign(struct client *c, const char *password,
    struct client_done done)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_XSIGN;
	j->content = xstrdup(password);	/* wiped by net_job_free() */
	return client_pend(c, j, done);
}

void
client_set_token(struct client *c, const char *token, const char *device_id)
{
	client_queue_job(c, net_job_token(token, device_id));
}

/* Fire-and-forget requests: a failure is logged, nobody waits for it. */
static void
client_logged(void *arg, const struct client_result *res)
{
	(void)arg;
	if (!res->ok && !res->cancelled)
		log_info("client", "%s", res->err->msg);
}

void
client_typing(struct client *c, const char *room_id, int typing,
    int timeout_ms)
{
	client_request(c, matrix_req_typing(room_id, client_me(c) != NULL ?
	    client_me(c) : "", typing, timeout_ms),
	    (struct client_done){ client_logged, NULL, NULL });
}

/* Tell the server my presence: online, unavailable or offline. */
void
client_presence(struct client *c, const char *state)
{
	client_request(c, matrix_req_presence(client_me(c) != NULL ?
	    client_me(c) : "", state),
	    (struct client_done){ client_logged, NULL, NULL });
	/* The syncs say the same, or each would make us online again. */
	if (c->net != NULL)
		net_set_presence(c->net, strcmp(state, "unavailable") == 0 ?
		    NET_PRESENCE_UNAVAILABLE : strcmp(state, "offline") == 0 ?
		    NET_PRESENCE_OFFLINE : NET_PRESENCE_ONLINE);
}

void
client_read_markers(struct client *c, const char *room_id,
    const char *fully_read, const char *read)
{
	client_request(c, matrix_req_read_markers(room_id, fully_read, read),
	    (struct client_done){ client_logged, NULL, NULL });
}

uint64_t
client_login(struct client *c, const char *user_id, const char *password,
    const char *device_id, const char *device_name, struct client_done d)
{
	return client_request(c, matrix_req_login(user_id, password,
	    device_id, device_name), d);
}

uint64_t
client_join(struct client *c, const char *id_or_alias, const char *via,
    struct client_done d)
{
	return client_request(c, matrix_req_join(id_or_alias, via), d);
}

uint64_t
client_leave(struct client *c, const char *room_id, struct client_done d)
{
	return client_request(c, matrix_req_leave(room_id), d);
}

uint64_t
client_backup(struct client *c, const char *what, const char *key_b64,
    struct client_done d)
{
	return client_pend(c, net_job_backup(what, key_b64), d);
}

/* An attachment to a file in dir (net-media.c). */
uint64_t
client_download(struct client *c, const char *content, const char *dir,
    struct client_done done)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_DOWNLOAD;
	j->content = xstrdup(content);
	j->path = xstrdup(dir);
	return client_pend(c, j, done);
}

/* An image preview's file in the cache dir (net-thumb.c). */
uint64_t
client_thumbnail(struct client *c, const char *content, const char *dir,
    int w, int h, struct client_done done)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_THUMB;
	j->content = xstrdup(content);
	j->path = xstrdup(dir);
	j->width = w;
	j->height = h;
	return client_pend(c, j, done);
}

void
client_download_cancel(struct client *c, uint64_t tag)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_DOWNLOAD_CANCEL;
	j->tag = tag;
	client_queue_job(c, j);
}

int
client_download_progress(struct client *c, struct client_progress *p)
{
	struct net_progress	 np;

	memset(p, 0, sizeof *p);
	if (c == NULL || c->net == NULL)
		return 0;
	net_media_progress(c->net, &np);
	if (!np.active)
		return 0;
	p->tag = np.tag;
	p->done = np.done;
	p->total = np.total;
	return 1;
}

/* An /upload's answer: once queued, its row counts as a send to see. */
struct client_upload_wait {
	struct client		*c;
	char			*txn_id;
	struct client_done	 done;
};

static void
client_upload_answer(void *arg, const struct client_result *res)
{
	struct client_upload_wait	*w = arg;
	struct client			*c = w->c;

	if (res->ok && c->track_sent) {
		c->sent = xrealloc(c->sent, (c->nsent + 1) * sizeof *c->sent);
		c->sent[c->nsent++] = xstrdup(w->txn_id);
	}
	if (w->done.fn != NULL)
		w->done.fn(w->done.arg, res);
}

static void
client_upload_free(void *arg)
{
	struct client_upload_wait	*w = arg;

	if (w->done.free_arg != NULL)
		w->done.free_arg(w->done.arg);
	free(w->txn_id);
	free(w);
}

/* A local file as an attachment in room_id, through the outbox. */
uint64_t
client_upload(struct client *c, const char *room_id, const char *path,
    const char *caption, struct client_done done)
{
	struct client_upload_wait	*w;
	struct job			*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_UPLOAD;
	j->room_id = xstrdup(room_id);
	j->path = xstrdup(path);
	j->content = caption != NULL && *caption != '\0' ?
	    xstrdup(caption) : NULL;
	j->txn_id = matrix_txn_id();
	w = xcalloc(1, sizeof *w);
	w->c = c;
	w->txn_id = xstrdup(j->txn_id);
	w->done = done;
	return client_pend(c, j, (struct client_done){ client_upload_answer,
	    w, client_upload_free });
}

void
client_upload_cancel(struct client *c, const char *txn_id)
{
	client_queue_job(c, net_job_room(JOB_UPLOAD_CANCEL, "", txn_id));
}

int
client_upload_progress(struct client *c, struct client_progress *p,
    char **txn_id)
{
	struct net_progress	 np;

	memset(p, 0, sizeof *p);
	*txn_id = NULL;
	if (c == NULL || c->net == NULL)
		return 0;
	net_upload_progress(c->net, &np, txn_id);
	if (!np.active) {
		free(*txn_id);
		*txn_id = NULL;
		return 0;
	}
	p->done = np.done;
	p->total = np.total;
	return 1;
}
