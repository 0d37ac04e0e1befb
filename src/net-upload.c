/* Attachments sent through the outbox, streamed, on the net thread. */

/*
 * A JOB_UPLOAD (/upload PATH [caption]) names a local file, a room and
 * the outbox row's transaction id.  Its first step waits for the
 * server's limit (m.upload.size: GET client v1 media/config, media v3
 * on M_UNRECOGNIZED, asked once a run); a file over it is refused with
 * both sizes and nothing queued.  Then the file is probed (upload.c:
 * libmagic's MIME type, gdk-pixbuf's w and h), copied into the spool
 * beside the store (spool.c; sealed with a fresh AES-CTR key for an
 * encrypted room, whose `file` object goes in the row, never a clear
 * file), and queued as an outbox row whose upload is 'waiting': from
 * then on a restart or a deleted original still sends it.
 *
 * The outbox sender (net-outbox.c) hands such a row here before its
 * event: the POST of media v3 upload?filename= streams from the
 * spool file (http.c's upload mode), the row 'uploading'; its answer's
 * mxc:// URI goes into the content (url, or file.url) with the row
 * 'uploaded', and the event then goes as any other row (encrypted in an
 * encrypted room, net-e2ee.c).  A network failure, 5xx or 429 tries
 * again with the room's backoff; 413 or M_TOO_LARGE fails the row with
 * the reason.  JOB_UPLOAD_CANCEL (Esc) stops the POST and fails the row
 * with "cancelled": the user retries or discards it as any failed
 * message.  The spool file goes once the event is sent
 * (net_upload_sent()) or the row discarded; net_upload_sweep() removes
 * those no row needs (at start, after a discard).
 */
#include "haos/net.h"
#include "net-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/crypto-attachment.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/notify.h"
#include "haos/spool.h"
#include "haos/store.h"
#include "haos/store-crypto-out.h"
#include "haos/upload.h"
#include "haos/xmalloc.h"

#define NET_UPLOAD_MAX		((int64_t)2 << 30)	/* 2 GiB */
#define NET_UPLOAD_POST_MS	100	/* progress at most this often */

struct net_upload {
	struct net		*net;
	/* A job waiting for the limit (xfer NULL, fd -1)... */
	uint64_t		 tag;
	char			*path;
	char			*caption;
	/* ...or a POST out. */
	char			*room_id;
	char			*txn_id;
	char			*content;	/* the row's, without url */
	char			*file;		/* encrypted: file, no url */
	int			 fd;
	int64_t			 size;
	int64_t			 sent;
	int			 cancelled;
	struct http_xfer	*xfer;
	struct net_upload	*next;
};

static void	net_upload_queue(struct net *, struct net_upload *);

/* The upload under way for the UI (any thread). */
void
net_upload_progress(struct net *n, struct net_progress *p, char **txn_id)
{
	pthread_mutex_lock(&n->lock);
	*p = n->upload_progress;
	if (txn_id != NULL)
		*txn_id = n->upload_txn != NULL ? xstrdup(n->upload_txn) :
		    NULL;
	pthread_mutex_unlock(&n->lock);
}

/* Publish u's progress (NULL: none under way). */
static void
net_upload_publish(struct net *n, struct net_upload *u, int force)
{
	struct net_progress	 p;
	int64_t			 now = net_now_ms();
	char			*txn = NULL;

	memset(&p, 0, sizeof p);
	if (u != NULL) {
		p.active = 1;
		p.done = u->sent;
		p.total = u->size;
		txn = xstrdup(u->txn_id);
	}
	pthread_mutex_lock(&n->lock);
	n->upload_progress = p;
	free(n->upload_txn);
	n->upload_txn = txn;
	pthread_mutex_unlock(&n->lock);
	if (force || now - n->upload_posted >= NET_UPLOAD_POST_MS) {
		n->upload_posted = now;
		notify_post(n->cfg.notify, NOTIFY_STATUS);
	}
}

static void
net_upload_unlink(struct net *n, struct net_upload *u)
{
	struct net_upload	**pp;

	for (pp = &n->uploads; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == u) {
			*pp = u->next;
			return;
		}
	}
}

static void
net_upload_drop(struct net_upload *u)
{
	if (u->fd != -1)
		close(u->fd);
	free(u->path);
	free(u->caption);
	free(u->room_id);
	free(u->txn_id);
	free(u->content);
	free(u->file);
	free(u);
}

/* Refuse a job (nothing queued) and forget it. */
static void
net_upload_refuse(struct net *n, struct net_upload *u,
    const struct haos_error *err)
{
	/* Its text names the file (a message's body): not in the log. */
	log_info("upload", "upload %llu refused (%s)",
	    (unsigned long long)u->tag, haos_error_kind(err->code));
	net_post_result(n, u->tag, err, NULL);
	net_upload_drop(u);
}

/* "1000 bytes", "5.0 MiB (5242880 bytes)" for a message. */
static char *
net_upload_size(int64_t b)
{
	if (b < 1024)
		return xasprintf("%lld bytes", (long long)b);
	if (b < 1024 * 1024)
		return xasprintf("%.1f KiB (%lld bytes)", (double)b / 1024,
		    (long long)b);
	if (b < (int64_t)1024 * 1024 * 1024)
		return xasprintf("%.1f MiB (%lld bytes)", (double)b /
		    (1024 * 1024), (long long)b);
	return xasprintf("%.1f GiB (%lld bytes)", (double)b /
	    (1024 * 1024 * 1024), (long long)b);
}

/*
 * Probe, check against the limit, spool (sealed for an encrypted room)
 * and queue the job's file as an outbox row.  Answers the job.
 */
static void
net_upload_queue(struct net *n, struct net_upload *u)
{
	struct haos_error		 err, e2;
	struct upload_info		 info;
	struct outbox_upload		 ou;
	struct crypto_attachment	*seal = NULL;
	json_t				*content, *file = NULL;
	char				*dir, *spool = NULL, *text;
	char				*fjson = NULL;
	char				*a, *b, *enc = NULL, *vis = NULL;
	int64_t				 size, limit;
	int				 fd, encrypted = 0;

	memset(&info, 0, sizeof info);
	if ((fd = open(u->path, O_RDONLY | O_CLOEXEC)) == -1) {
		haos_error_set(&err, HAOS_EIO, "%s: %s", u->path,
		    strerror(errno));
		net_upload_refuse(n, u, &err);
		return;
	}
	if (upload_probe(u->path, fd, &info, &err) == -1) {
		close(fd);
		haos_error_set(&e2, HAOS_EIO, "%s: %s", u->path, err.msg);
		net_upload_refuse(n, u, &e2);
		return;
	}
	limit = n->upload_limit > 0 ? n->upload_limit : NET_UPLOAD_MAX;
	if (info.size > limit) {
		a = net_upload_size(info.size);
		b = net_upload_size(limit);
		haos_error_set(&err, HAOS_EUSAGE, "%s is too large to send: "
		    "%s; this server takes files up to %s", info.name, a, b);
		free(a);
		free(b);
		close(fd);
		upload_info_free(&info);
		net_upload_refuse(n, u, &err);
		return;
	}
	if (store_crypto_out_room(n->store, u->room_id, &encrypted, &enc,
	    &vis, &err) != 1)
		encrypted = 1;	/* unsure or unknown: never a clear file */
	free(enc);
	free(vis);
	if (encrypted)
		seal = crypto_attachment_seal();
	info.caption = u->caption != NULL ? xstrdup(u->caption) : NULL;
	dir = spool_dir(n->cfg.store_path);
	if (spool_copy(fd, dir, limit, seal, &spool, &size, &err) == -1) {
		close(fd);
		free(dir);
		crypto_attachment_free(seal);
		upload_info_free(&info);
		net_upload_refuse(n, u, &err);
		return;
	}
	close(fd);
	free(dir);
	info.size = size;
	if (seal != NULL) {
		file = crypto_attachment_file(seal, "");
		crypto_attachment_free(seal);
		if (file == NULL) {
			unlink(spool);
			free(spool);
			upload_info_free(&info);
			haos_error_set(&err, HAOS_ECRYPTO, "cannot encrypt "
			    "the file");
			net_upload_refuse(n, u, &err);
			return;
		}
		json_object_del(file, "url");
		fjson = json_xdumps_take(file);
	}
	content = upload_content(&info);
	text = json_xdumps_take(content);
	memset(&ou, 0, sizeof ou);
	ou.path = spool;
	ou.type = encrypted ? "application/octet-stream" : info.mimetype;
	ou.name = info.name;
	ou.size = size;
	ou.file = fjson;
	if (store_outbox_add_upload(n->store, u->room_id, u->txn_id, text,
	    &ou, &err) == -1) {
		unlink(spool);
		log_error("upload", "outbox add: %s", err.msg);
		net_post_result(n, u->tag, &err, NULL);
	} else {
		log_info("upload", "%s queued (%lld bytes%s)", u->txn_id,
		    (long long)size, encrypted ? ", encrypted" : "");
		net_post_result(n, u->tag, NULL, NULL);
		notify_post(n->cfg.notify, NOTIFY_OUTBOX | NOTIFY_TIMELINE);
	}
	if (fjson != NULL)
		explicit_bzero(fjson, strlen(fjson));
	free(fjson);
	free(text);
	free(spool);
	upload_info_free(&info);
	net_upload_drop(u);
}

/* Queue every job that waited for the limit. */
static void
net_upload_release(struct net *n)
{
	struct net_upload	*u, *next, **pp;

	for (pp = &n->uploads; (u = *pp) != NULL; u = next) {
		next = u->next;
		if (u->content != NULL) {
			pp = &u->next;
			continue;
		}
		*pp = next;
		net_upload_queue(n, u);
	}
}

static void	net_upload_config_start(struct net *);

static void
net_upload_config_done(struct http_xfer *x __unused,
    const struct http_resp *resp, const struct haos_error *err, void *arg)
{
	struct net	*n = arg;
	json_t		*j;
	const json_t	*v;

	if (err != NULL && err->code == HAOS_ECANCEL)
		return;
	n->upload_config = 2;
	if (err == NULL) {
		j = json_load_network(resp->body, resp->body_len, NULL, NULL);
		v = json_object_get(j, "m.upload.size");
		if (json_is_integer(v) && json_integer_value(v) > 0)
			n->upload_limit = (int64_t)json_integer_value(v);
		json_decref(j);
		log_info("upload", "the server's upload limit: %lld",
		    (long long)n->upload_limit);
	} else if (!n->upload_config_v3 && resp != NULL &&
	    err->mx == MX_UNRECOGNIZED && (resp->status == 404 ||
	    resp->status == 400 || resp->status == 405)) {
		n->upload_config_v3 = 1;
		net_upload_config_start(n);
		return;
	} else {
		/* Unknown: a 413 still tells when it is too large. */
		net_check_auth(n, err);
		log_info("upload", "no upload limit: %s", err->msg);
	}
	net_upload_release(n);
}

/* GET the limit (once a run). */
static void
net_upload_config_start(struct net *n)
{
	struct http_req		 hr;
	char			*path, *url;

	n->upload_config = 1;
	path = matrix_media_config_path(!n->upload_config_v3);
	url = xasprintf("%s%s", n->cfg.homeserver, path);
	free(path);
	memset(&hr, 0, sizeof hr);
	hr.method = "GET";
	hr.url = url;
	hr.token = n->cfg.access_token;
	if (http_client_start(n->http, &hr, n->cfg.request_timeout_ms,
	    net_upload_config_done, n) == NULL) {
		n->upload_config = 2;
		net_upload_release(n);
	}
	free(url);
}

/* Stop the upload of row txn_id: it fails with "cancelled". */
static void
net_upload_cancel(struct net *n, const char *txn_id)
{
	struct haos_error	 e2;
	struct net_upload	*u;

	for (u = n->uploads; u != NULL; u = u->next) {
		if (u->xfer != NULL && u->content != NULL &&
		    strcmp(u->txn_id, txn_id) == 0) {
			u->cancelled = 1;
			http_client_cancel(n->http, u->xfer);
			u->xfer = NULL;
			/* http_client_cancel() calls no callback. */
			net_upload_unlink(n, u);
			(void)store_outbox_upload_state(n->store, u->txn_id,
			    "waiting", &e2);
			(void)store_outbox_mark_failed(n->store, u->txn_id,
			    "cancelled", &e2);
			net_outbox_room(n, u->room_id)->in_flight = 0;
			net_upload_drop(u);
			net_upload_publish(n, NULL, 1);
			notify_post(n->cfg.notify, NOTIFY_OUTBOX |
			    NOTIFY_TIMELINE);
			log_info("upload", "%s cancelled", txn_id);
			return;
		}
	}
}

void
net_upload_job(struct net *n, const struct job *j)
{
	struct net_upload	*u;

	if (j->type != JOB_UPLOAD) {	/* cancelled, or discarded */
		if (j->txn_id != NULL)
			net_upload_cancel(n, j->txn_id);
		return;
	}
	u = xcalloc(1, sizeof *u);
	u->net = n;
	u->fd = -1;
	u->tag = j->tag;
	u->path = xstrdup(j->path != NULL ? j->path : "");
	u->caption = j->content != NULL ? xstrdup(j->content) : NULL;
	u->room_id = xstrdup(j->room_id != NULL ? j->room_id : "");
	u->txn_id = j->txn_id != NULL ? xstrdup(j->txn_id) : matrix_txn_id();
	if (n->upload_config == 2 || n->http == NULL) {
		net_upload_queue(n, u);
		return;
	}
	u->next = n->uploads;
	n->uploads = u;
	if (n->upload_config == 0)
		net_upload_config_start(n);
}

/* A chunk went: progress. */
static void
net_upload_sent_cb(void *arg, int64_t done, int64_t total __unused)
{
	struct net_upload	*u = arg;

	u->sent = done;
	net_upload_publish(u->net, u, 0);
}

/* The answer to a POST: the row uploaded, or tried again, or failed. */
static void
net_upload_done(struct http_xfer *x __unused, const struct http_resp *resp,
    const struct haos_error *err, void *arg)
{
	struct net_upload	*u = arg;
	struct net		*n = u->net;
	struct net_room		*nr;
	struct haos_error	 e2;
	json_t			*j, *c, *file = NULL;
	const char		*mxc;
	char			*text, *why, *srv = NULL, *mid = NULL;

	u->xfer = NULL;
	net_upload_unlink(n, u);
	if (err != NULL && err->code == HAOS_ECANCEL) {
		/* Shutting down: the row starts again next run. */
		net_upload_drop(u);
		return;
	}
	nr = net_outbox_room(n, u->room_id);
	nr->in_flight = 0;
	nr->busy = 1;
	net_upload_publish(n, NULL, 1);
	if (err == NULL) {
		j = json_load_network(resp->body, resp->body_len, NULL, NULL);
		mxc = json_get_str(j, "content_uri", NULL);
		c = json_load_stored(u->content);
		if (u->file != NULL)
			file = json_load_stored(u->file);
		if (matrix_mxc_parse(mxc, &srv, &mid) == -1 ||
		    upload_set_url(c, mxc, file) == -1) {
			haos_error_set(&e2, HAOS_EPROTO, "the server's answer "
			    "to the upload has no mxc:// URI");
			(void)store_outbox_upload_state(n->store, u->txn_id,
			    "waiting", NULL);
			(void)store_outbox_mark_failed(n->store, u->txn_id,
			    e2.msg, NULL);
		} else {
			text = json_xdumps(c);
			if (store_outbox_uploaded(n->store, u->txn_id, mxc,
			    text, &e2) == -1)
				log_error("upload", "outbox: %s", e2.msg);
			else
				log_info("upload", "%s uploaded (%lld bytes)",
				    u->txn_id, (long long)u->size);
			explicit_bzero(text, strlen(text));
			free(text);
		}
		free(srv);
		free(mid);
		json_decref(file);
		json_decref(c);
		json_decref(j);
		nr->attempt = 0;
		nr->next_at = 0;
		notify_post(n->cfg.notify, NOTIFY_OUTBOX | NOTIFY_TIMELINE);
		net_upload_drop(u);
		return;
	}
	(void)store_outbox_upload_state(n->store, u->txn_id, "waiting", &e2);
	if (net_check_auth(n, err)) {
		net_upload_drop(u);
		return;
	}
	if ((resp != NULL && resp->status == 413) ||
	    err->mx == MX_TOO_LARGE) {
		why = net_upload_size(u->size);
		haos_error_set(&e2, HAOS_EMATRIX, "the server refused the "
		    "file as too large (%s): %s", why, err->msg);
		free(why);
		log_warn("upload", "%s: %s", u->txn_id, e2.msg);
		(void)store_outbox_mark_failed(n->store, u->txn_id, e2.msg,
		    NULL);
	} else if (http_retryable(err)) {
		nr->attempt++;
		nr->next_at = net_now_ms() + http_retry_delay_ms(err,
		    nr->attempt, &n->seed);
		log_info("upload", "%s failed, will retry: %s", u->txn_id,
		    err->msg);
	} else {
		log_warn("upload", "%s failed: %s", u->txn_id, err->msg);
		(void)store_outbox_mark_failed(n->store, u->txn_id, err->msg,
		    NULL);
	}
	notify_post(n->cfg.notify, NOTIFY_OUTBOX | NOTIFY_TIMELINE);
	net_upload_drop(u);
}

/*
 * A row queued in clear whose room is encrypted now (its encryption
 * came in after the /upload): its spool file sealed into a new one,
 * the row told, the clear copy removed.  The new file's descriptor, or
 * -1 with the row failed (never a clear file into an encrypted room).
 */
static int
net_upload_reseal(struct net *n, const struct outbox_row *o,
    struct net_upload *u)
{
	struct haos_error		 err;
	struct outbox_upload		 ou;
	struct crypto_attachment	*seal;
	json_t				*file;
	char				*dir, *spool = NULL;
	int64_t				 size;
	int				 fd;

	if ((fd = open(o->upload_path, O_RDONLY | O_CLOEXEC)) == -1) {
		haos_error_set(&err, HAOS_EIO, "the copy of the file waiting "
		    "to be sent is gone");
		goto fail;
	}
	seal = crypto_attachment_seal();
	dir = spool_dir(n->cfg.store_path);
	if (spool_copy(fd, dir, 0, seal, &spool, &size, &err) == -1) {
		close(fd);
		free(dir);
		crypto_attachment_free(seal);
		goto fail;
	}
	close(fd);
	free(dir);
	file = crypto_attachment_file(seal, "");
	crypto_attachment_free(seal);
	if (file == NULL) {
		haos_error_set(&err, HAOS_ECRYPTO, "cannot encrypt the file");
		goto fail;
	}
	json_object_del(file, "url");
	u->file = json_xdumps_take(file);
	u->size = size;
	memset(&ou, 0, sizeof ou);
	ou.path = spool;
	ou.type = "application/octet-stream";
	ou.size = size;
	ou.file = u->file;
	if (store_outbox_upload_sealed(n->store, o->txn_id, &ou, &err) ==
	    -1)
		goto fail;
	unlink(o->upload_path);
	log_info("upload", "%s: sealed, the room is encrypted", o->txn_id);
	fd = open(spool, O_RDONLY | O_CLOEXEC);
	free(spool);
	return fd;
fail:
	if (spool != NULL)
		unlink(spool);
	free(spool);
	log_warn("upload", "%s: %s", o->txn_id, err.msg);
	(void)store_outbox_mark_failed(n->store, o->txn_id, err.msg, NULL);
	notify_post(n->cfg.notify, NOTIFY_OUTBOX | NOTIFY_TIMELINE);
	return -1;
}

/*
 * The outbox sender's hook: a row whose attachment is not uploaded yet
 * starts its POST here.  1 if the row is taken care of (a POST out, or
 * it failed for good), 0 if its event is to go now.
 */
int
net_upload_row(struct net *n, const struct outbox_row *o)
{
	struct haos_error	 e2;
	struct http_req		 hr;
	struct net_upload	*u;
	const char		*type;
	char			*path, *url, *enc = NULL, *vis = NULL;
	int			 encrypted = 0;

	if (o->upload == NULL || strcmp(o->upload, "uploaded") == 0)
		return 0;
	type = o->upload_type != NULL ? o->upload_type :
	    "application/octet-stream";
	u = xcalloc(1, sizeof *u);
	u->fd = -1;
	u->net = n;
	u->room_id = xstrdup(o->room_id);
	u->txn_id = xstrdup(o->txn_id);
	u->content = xstrdup(o->content);
	u->file = o->upload_file != NULL ? xstrdup(o->upload_file) : NULL;
	u->size = o->upload_size;
	/* Sealed now if the room is encrypted (or cannot be told). */
	if (o->upload_file == NULL && o->upload_path != NULL &&
	    (store_crypto_out_room(n->store, o->room_id, &encrypted, &enc,
	    &vis, &e2) != 1 || encrypted)) {
		free(enc);
		free(vis);
		if ((u->fd = net_upload_reseal(n, o, u)) == -1) {
			net_upload_drop(u);
			return 1;
		}
		type = "application/octet-stream";
	} else {
		free(enc);
		free(vis);
	}
	if (u->fd == -1 && (o->upload_path == NULL ||
	    (u->fd = open(o->upload_path, O_RDONLY | O_CLOEXEC)) == -1)) {
		log_warn("upload", "%s: its spool file is gone", o->txn_id);
		(void)store_outbox_mark_failed(n->store, o->txn_id, "the "
		    "copy of the file waiting to be sent is gone", &e2);
		notify_post(n->cfg.notify, NOTIFY_OUTBOX | NOTIFY_TIMELINE);
		net_upload_drop(u);
		return 1;
	}
	if (o->state != OUTBOX_SENDING &&
	    store_outbox_mark_sending(n->store, o->txn_id, &e2) == -1)
		log_warn("upload", "outbox: %s", e2.msg);
	if (store_outbox_upload_state(n->store, o->txn_id, "uploading",
	    &e2) == -1)
		log_warn("upload", "outbox: %s", e2.msg);
	path = matrix_media_upload_path(o->upload_name != NULL ?
	    o->upload_name : "file");
	url = xasprintf("%s%s", n->cfg.homeserver, path);
	free(path);
	memset(&hr, 0, sizeof hr);
	hr.method = "POST";
	hr.url = url;
	hr.token = n->cfg.access_token;
	hr.content_type = type;
	hr.upload = 1;
	hr.upload_fd = u->fd;
	hr.upload_len = u->size;
	hr.sent = net_upload_sent_cb;
	hr.chunk_arg = u;
	u->xfer = http_client_start(n->http, &hr, 0, net_upload_done, u);
	free(url);
	if (u->xfer == NULL) {
		(void)store_outbox_upload_state(n->store, o->txn_id,
		    "waiting", &e2);
		net_upload_drop(u);
		return 1;
	}
	u->next = n->uploads;
	n->uploads = u;
	net_outbox_room(n, o->room_id)->in_flight = 1;
	net_upload_publish(n, u, 1);
	return 1;
}

/* The event of an attachment is sent: its spool file goes. */
void
net_upload_sent(struct net *n __unused, const char *spool)
{
	if (spool != NULL && unlink(spool) == -1 && errno != ENOENT)
		log_warn("upload", "spool: %s", strerror(errno));
}

/* Remove the spool files no unsent row needs (start, discards). */
void
net_upload_sweep(struct net *n)
{
	struct haos_error	 err;
	char			**keep = NULL, *dir;
	size_t			 nkeep = 0, i;

	if (store_outbox_spooled(n->store, &keep, &nkeep, &err) == -1) {
		log_warn("upload", "spool: %s", err.msg);
		return;
	}
	dir = spool_dir(n->cfg.store_path);
	spool_sweep(dir, keep, nkeep);
	free(dir);
	for (i = 0; i < nkeep; i++)
		free(keep[i]);
	free(keep);
}

/*
 * At shutdown, after the transfers were cancelled: jobs still waiting
 * for the limit are queued without it (nothing typed is lost; a 413
 * tells later), the rest forgotten.
 */
void
net_upload_free(struct net *n)
{
	struct net_upload	*u;

	while ((u = n->uploads) != NULL) {
		n->uploads = u->next;
		if (u->content == NULL && n->store != NULL)
			net_upload_queue(n, u);
		else
			net_upload_drop(u);
	}
	free(n->upload_txn);
	n->upload_txn = NULL;
}
