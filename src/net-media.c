/* Attachments downloaded to files, streamed, on the net thread. */
#define _GNU_SOURCE		/* mkostemp */

/*
 * A JOB_DOWNLOAD carries an event's content (m.file, m.image, m.video,
 * m.audio: `url`, or in an encrypted room `file`) and the directory to
 * save into.  The body streams from libcurl (http.c's chunk mode) into
 * a temporary file beside the destination, decrypted on the way for a
 * `file` (crypto-attachment.c), never whole in memory and never past
 * the size the event promised (plus a margin) or NET_MEDIA_MAX.  The
 * authenticated path (client v1 media, spec v1.11) goes first; an
 * M_UNRECOGNIZED (a server without it: 404 as Synapse answers now, 400
 * as older ones did) falls back to media v3.  A network failure or 5xx
 * starts again from the first byte, NET_MEDIA_TRIES times.  Only once
 * the last byte is in (and the ciphertext's hash matched) is the file
 * renamed to a name no file has (files_create()); otherwise the
 * temporary file goes.  Progress goes
 * to the UI under the lock (net_media_progress(), NOTIFY_STATUS); the
 * answer (the file's path, or why not) is a net_result by tag.
 */
#include "haos/net.h"
#include "net-int.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/crypto-attachment.h"
#include "haos/error.h"
#include "haos/files.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/notify.h"
#include "haos/xmalloc.h"

#define NET_MEDIA_MAX		((int64_t)2 << 30)	/* 2 GiB */
#define NET_MEDIA_MARGIN	((int64_t)64 * 1024)	/* over info.size */
#define NET_MEDIA_TRIES		3
#define NET_MEDIA_POST_MS	100	/* progress at most this often */

struct net_media {
	struct net		*net;
	uint64_t		 tag;
	char			*dir;
	char			*name;		/* safe base name */
	char			*server;
	char			*media_id;
	char			*tmp;		/* the temporary file */
	int			 fd;
	int64_t			 cap;		/* bytes at most */
	int64_t			 size;		/* info.size, or -1 */
	int64_t			 got;
	int64_t			 total;		/* expected, or -1 */
	int			 authenticated;	/* client v1, else media v3 */
	int			 attempt;
	int64_t			 next_at;	/* start (again) then; 0: out */
	int			 refused;	/* chunk stopped it: why */
	struct haos_error	 why;
	struct crypto_attachment *att;		/* encrypted: decrypts */
	unsigned char		*buf;		/* decrypted chunk */
	size_t			 bufsz;
	struct http_xfer	*xfer;
	struct net_media	*next;
};

static void	net_media_done(struct http_xfer *, const struct http_resp *,
		    const struct haos_error *, void *);

/* The newest download's progress for the UI (any thread). */
void
net_media_progress(struct net *n, struct net_progress *p)
{
	pthread_mutex_lock(&n->lock);
	*p = n->media_progress;
	pthread_mutex_unlock(&n->lock);
}

/* Publish m's progress (m NULL: the newest left, or none). */
static void
net_media_publish(struct net *n, struct net_media *m, int force)
{
	struct net_progress	 p;
	int64_t			 now = net_now_ms();

	memset(&p, 0, sizeof p);
	if (m == NULL)
		m = n->media;
	if (m != NULL) {
		p.active = 1;
		p.tag = m->tag;
		p.done = m->got;
		p.total = m->total;
	}
	pthread_mutex_lock(&n->lock);
	n->media_progress = p;
	pthread_mutex_unlock(&n->lock);
	if (force || now - n->media_posted >= NET_MEDIA_POST_MS) {
		n->media_posted = now;
		notify_post(n->cfg.notify, NOTIFY_STATUS);
	}
}

static void
net_media_unlink(struct net *n, struct net_media *m)
{
	struct net_media	**pp;

	for (pp = &n->media; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			return;
		}
	}
}

/* Forget m: its temporary file (if still there) goes. */
static void
net_media_drop(struct net_media *m)
{
	if (m->fd != -1)
		close(m->fd);
	if (m->tmp != NULL)
		unlink(m->tmp);
	crypto_attachment_free(m->att);
	if (m->buf != NULL)
		explicit_bzero(m->buf, m->bufsz);
	free(m->buf);
	free(m->tmp);
	free(m->dir);
	free(m->name);
	free(m->server);
	free(m->media_id);
	free(m);
}

/* End m with err (NULL: done, path the file) and tell the UI. */
static void
net_media_end(struct net *n, struct net_media *m,
    const struct haos_error *err, char *path)
{
	struct haos_error	 e;
	uint64_t		 tag = m->tag;

	if (err != NULL) {
		e = *err;	/* it may be m's own */
		err = &e;
	}
	net_media_unlink(n, m);
	if (err != NULL)
		log_info("media", "download %llu failed: %s",
		    (unsigned long long)tag, err->msg);
	/* The partial file is gone before anyone hears of the end. */
	net_media_drop(m);
	net_post_result(n, tag, err, path);
	net_media_publish(n, NULL, 1);
}

/*
 * A chunk of a download into fd: decrypted first with att (NULL: in
 * clear) through *buf (grown as needed), then written whole.  0, or -1
 * with why (the caller stops the transfer).  Downloads and previews.
 */
int
net_media_sink(int fd, struct crypto_attachment *att, unsigned char **buf,
    size_t *bufsz, const void *data, size_t len, struct haos_error *why)
{
	const unsigned char	*out = data;
	size_t			 off;
	ssize_t			 w;

	if (att != NULL) {
		if (*bufsz < len) {
			free(*buf);
			*bufsz = len;
			*buf = xmalloc(*bufsz);
		}
		if (crypto_attachment_update(att, data, len, *buf, why) == -1)
			return -1;
		out = *buf;
	}
	for (off = 0; off < len; off += (size_t)w) {
		w = write(fd, out + off, len - off);
		if (w == -1 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0) {
			haos_error_set(why, HAOS_EIO, "cannot write the file: "
			    "%s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* A chunk of the answer: checked against the cap, decrypted, written. */
static int
net_media_chunk(void *arg, const void *data, size_t len, int64_t total)
{
	struct net_media	*m = arg;

	if (m->got == 0 && total >= 0) {
		if (total > m->cap) {
			haos_error_set(&m->why, HAOS_EPROTO, "the file is "
			    "larger than its event says (%lld bytes): refused",
			    (long long)total);
			m->refused = 1;
			return -1;
		}
		m->total = total;
	}
	if ((int64_t)len > m->cap - m->got) {
		haos_error_set(&m->why, HAOS_EPROTO, "the file is larger "
		    "than its event says: refused");
		m->refused = 1;
		return -1;
	}
	if (net_media_sink(m->fd, m->att, &m->buf, &m->bufsz, data, len,
	    &m->why) == -1) {
		m->refused = 1;
		return -1;
	}
	m->got += (int64_t)len;
	net_media_publish(m->net, m, 0);
	return 0;
}

/* Begin (again) from the first byte. */
static void
net_media_start(struct net *n, struct net_media *m)
{
	struct http_req		 hr;
	struct haos_error	 err;
	char			*path, *url;

	m->next_at = 0;
	m->got = 0;
	m->total = m->size;
	m->refused = 0;
	if (ftruncate(m->fd, 0) == -1 || lseek(m->fd, 0, SEEK_SET) == -1) {
		haos_error_set(&err, HAOS_EIO, "cannot write the file: %s",
		    strerror(errno));
		net_media_end(n, m, &err, NULL);
		return;
	}
	if (m->att != NULL)
		crypto_attachment_restart(m->att);
	path = matrix_media_download_path(m->server, m->media_id,
	    m->authenticated);
	url = xasprintf("%s%s", n->cfg.homeserver, path);
	free(path);
	memset(&hr, 0, sizeof hr);
	hr.method = "GET";
	hr.url = url;
	hr.token = n->cfg.access_token;
	hr.chunk = net_media_chunk;
	hr.chunk_arg = m;
	m->xfer = http_client_start(n->http, &hr, 0, net_media_done, m);
	free(url);
	if (m->xfer == NULL) {
		haos_error_set(&err, HAOS_ENET, "cannot start the download");
		net_media_end(n, m, &err, NULL);
		return;
	}
	net_media_publish(n, m, 1);
}

/* All of it is in: verify, then give it a name no file has. */
static void
net_media_keep(struct net *n, struct net_media *m)
{
	struct haos_error	 err;
	char			*path;
	int			 fd;

	if (m->att != NULL && crypto_attachment_verify(m->att, &err) == -1) {
		net_media_end(n, m, &err, NULL);
		return;
	}
	if (fsync(m->fd) == -1 || close(m->fd) == -1) {
		m->fd = -1;
		haos_error_set(&err, HAOS_EIO, "cannot write the file: %s",
		    strerror(errno));
		net_media_end(n, m, &err, NULL);
		return;
	}
	m->fd = -1;
	if ((fd = files_create(m->dir, m->name, &path, &err)) == -1) {
		net_media_end(n, m, &err, NULL);
		return;
	}
	close(fd);
	/* Over the empty file we just made, and only that. */
	if (rename(m->tmp, path) == -1) {
		haos_error_set(&err, HAOS_EIO, "cannot name the file: %s",
		    strerror(errno));
		unlink(path);
		free(path);
		net_media_end(n, m, &err, NULL);
		return;
	}
	free(m->tmp);
	m->tmp = NULL;
	log_info("media", "download %llu saved (%lld bytes)",
	    (unsigned long long)m->tag, (long long)m->got);
	net_media_end(n, m, NULL, path);
}

static void
net_media_done(struct http_xfer *x __unused, const struct http_resp *resp,
    const struct haos_error *err, void *arg)
{
	struct net_media	*m = arg;
	struct net		*n = m->net;

	m->xfer = NULL;
	if (err != NULL && err->code == HAOS_ECANCEL) {
		/* Shutting down: nobody waits for it any more. */
		net_media_unlink(n, m);
		net_media_drop(m);
		return;
	}
	if (m->refused) {
		net_media_end(n, m, &m->why, NULL);
		return;
	}
	if (err == NULL) {
		if (m->size >= 0 && m->got != m->size && m->att == NULL)
			log_info("media", "download %llu: %lld bytes, the "
			    "event said %lld", (unsigned long long)m->tag,
			    (long long)m->got, (long long)m->size);
		net_media_keep(n, m);
		return;
	}
	net_check_auth(n, err);
	/* 404 (Synapse now, the spec), 400 (Synapse before 1.86), 405. */
	if (m->authenticated && resp != NULL && err->mx == MX_UNRECOGNIZED &&
	    (resp->status == 404 || resp->status == 400 ||
	    resp->status == 405)) {
		log_info("media", "no authenticated media: media v3");
		m->authenticated = 0;
		net_media_start(n, m);
		return;
	}
	if (http_retryable(err) && ++m->attempt < NET_MEDIA_TRIES) {
		log_info("media", "download %llu: %s; again",
		    (unsigned long long)m->tag, err->msg);
		m->next_at = net_now_ms() + http_retry_delay_ms(err,
		    m->attempt, &n->seed);
		return;
	}
	net_media_end(n, m, err, NULL);
}

/* A new download from the event's content; answered at once if bad. */
static void
net_media_begin(struct net *n, const struct job *j)
{
	struct net_media	*m;
	struct haos_error	 err;
	json_t			*c;
	const json_t		*file;
	const char		*url, *name;
	char			*tmpl;

	m = xcalloc(1, sizeof *m);
	m->net = n;
	m->tag = j->tag;
	m->fd = -1;
	m->authenticated = 1;
	m->dir = xstrdup(j->path != NULL ? j->path : ".");
	c = j->content != NULL ? json_load_stored(j->content) : NULL;
	file = json_get_obj(c, "file");
	if (file != NULL) {
		if ((m->att = crypto_attachment_open(file, &err)) == NULL)
			goto fail;
		url = json_get_str(file, "url", NULL);
	} else
		url = json_get_str(c, "url", NULL);
	if (matrix_mxc_parse(url, &m->server, &m->media_id) == -1) {
		haos_error_set(&err, HAOS_EPROTO, "the message has no "
		    "mxc:// link to download");
		goto fail;
	}
	name = json_get_str(c, "filename", NULL);
	if (name == NULL || *name == '\0')
		name = json_get_str(c, "body", NULL);
	m->name = files_safe_name(name);
	m->size = json_is_integer(json_path(c, "info.size")) ?
	    (int64_t)json_integer_value(json_path(c, "info.size")) : -1;
	if (m->size < 0 || m->size > NET_MEDIA_MAX)
		m->size = -1;
	m->cap = m->size >= 0 ? m->size + m->size / 16 + NET_MEDIA_MARGIN :
	    NET_MEDIA_MAX;
	if (m->cap > NET_MEDIA_MAX)
		m->cap = NET_MEDIA_MAX;
	json_decref(c);
	c = NULL;
	if (mkdir(m->dir, 0700) == -1 && errno != EEXIST) {
		haos_error_set(&err, HAOS_EIO, "cannot make %s: %s", m->dir,
		    strerror(errno));
		goto fail;
	}
	tmpl = xasprintf("%s/.haos-download-XXXXXX", m->dir);
	if ((m->fd = mkostemp(tmpl, O_CLOEXEC)) == -1) {
		haos_error_set(&err, HAOS_EIO, "cannot write in %s: %s",
		    m->dir, strerror(errno));
		free(tmpl);
		goto fail;
	}
	m->tmp = tmpl;
	m->next = n->media;
	n->media = m;
	net_media_start(n, m);
	return;
fail:
	json_decref(c);
	net_post_result(n, m->tag, &err, NULL);
	net_media_drop(m);
}

/* Stop download tag (0: all): its temporary file goes. */
static void
net_media_cancel(struct net *n, uint64_t tag)
{
	struct net_media	*m, *next;
	struct haos_error	 err;

	haos_error_set(&err, HAOS_ECANCEL, "download cancelled");
	for (m = n->media; m != NULL; m = next) {
		next = m->next;
		if (tag != 0 && m->tag != tag)
			continue;
		if (m->xfer != NULL)
			http_client_cancel(n->http, m->xfer);
		m->xfer = NULL;
		net_media_end(n, m, &err, NULL);
	}
}

void
net_media_job(struct net *n, const struct job *j)
{
	if (j->type == JOB_DOWNLOAD)
		net_media_begin(n, j);
	else
		net_media_cancel(n, j->tag);
}

/* Start again those whose wait is over. */
void
net_media_pump(struct net *n, int64_t now)
{
	struct net_media	*m, *next;

	for (m = n->media; m != NULL; m = next) {
		next = m->next;
		if (m->xfer == NULL && m->next_at != 0 && now >= m->next_at)
			net_media_start(n, m);
	}
}

/* At shutdown, after the transfers were cancelled: what waits goes. */
void
net_media_free(struct net *n)
{
	struct net_media	*m;

	while ((m = n->media) != NULL) {
		n->media = m->next;
		net_media_drop(m);
	}
}
