/* Image previews' files: thumbnails fetched into the cache (net thread). */
#define _GNU_SOURCE		/* mkostemp */

/*
 * A JOB_THUMB carries an m.image, m.sticker or m.video event's content,
 * the cache directory and the size wanted.  What is fetched:
 *
 * - in the clear, the server's thumbnail of `url` (of an m.video's
 *   info.thumbnail_url), scaled to fit (method=scale): client v1 media
 *   first, media v3 on M_UNRECOGNIZED, as net-media.c downloads;
 * - encrypted (`file`), the server can make no thumbnail: info's
 *   thumbnail_file, else the image itself when info.size says it is at
 *   most NET_THUMB_FILE_MAX, each downloaded as a download would be (the
 *   same request: nothing more is told to the server) and decrypted on
 *   the way (crypto-attachment.c), its hash checked at the end.
 *
 * The body streams into a file made in the cache directory, never past
 * NET_THUMB_MAX bytes; once whole, it is indexed in the `media` table
 * under "MXC#thumb-WxH" (or "MXC#thumb-file"), which a later job finds
 * first, and the previews' files past NET_THUMB_CACHE bytes in all go,
 * least recently used first.  The answer (the file's path, or why not)
 * is a net_result by tag; nothing is retried: the preview says why.
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
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/paths.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define NET_THUMB_MAX		((int64_t)8 << 20)	/* bytes a file */
#define NET_THUMB_FILE_MAX	((int64_t)4 << 20)	/* an encrypted image
							   fetched whole */
#define NET_THUMB_CACHE		((int64_t)64 << 20)	/* all previews */

struct net_thumb {
	struct net		*net;
	uint64_t		 tag;
	char			*key;		/* its media row */
	char			*server;
	char			*media_id;
	int			 w, h;		/* 0: the file itself */
	char			*path;		/* the file being written */
	int			 fd;
	int64_t			 got;
	int			 authenticated;
	int			 refused;
	struct haos_error	 why;
	struct crypto_attachment *att;
	unsigned char		*buf;
	size_t			 bufsz;
	struct http_xfer	*xfer;
	struct net_thumb	*next;
};

static void	net_thumb_done(struct http_xfer *, const struct http_resp *,
		    const struct haos_error *, void *);

static void
net_thumb_drop(struct net_thumb *t)
{
	if (t->fd != -1)
		close(t->fd);
	if (t->path != NULL)
		unlink(t->path);
	crypto_attachment_free(t->att);
	if (t->buf != NULL)
		explicit_bzero(t->buf, t->bufsz);
	free(t->buf);
	free(t->path);
	free(t->key);
	free(t->server);
	free(t->media_id);
	free(t);
}

static void
net_thumb_unlink(struct net *n, struct net_thumb *t)
{
	struct net_thumb	**pp;

	for (pp = &n->thumbs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			return;
		}
	}
}

/* End t: err, or the file at path. */
static void
net_thumb_end(struct net *n, struct net_thumb *t,
    const struct haos_error *err, char *path)
{
	struct haos_error	 e;
	uint64_t		 tag = t->tag;

	if (err != NULL) {
		e = *err;	/* it may be t's own */
		err = &e;
		log_info("media", "preview %llu: %s",
		    (unsigned long long)t->tag, err->code == HAOS_EMATRIX ||
		    err->code == HAOS_EHTTP ? "refused by the server" :
		    "failed");
	}
	net_thumb_unlink(n, t);
	net_thumb_drop(t);
	net_post_result(n, tag, err, path);
}

static int
net_thumb_chunk(void *arg, const void *data, size_t len, int64_t total)
{
	struct net_thumb	*t = arg;

	if ((t->got == 0 && total > NET_THUMB_MAX) ||
	    (int64_t)len > NET_THUMB_MAX - t->got) {
		haos_error_set(&t->why, HAOS_EPROTO, "too large");
		t->refused = 1;
		return -1;
	}
	if (net_media_sink(t->fd, t->att, &t->buf, &t->bufsz, data, len,
	    &t->why) == -1) {
		t->refused = 1;
		return -1;
	}
	t->got += (int64_t)len;
	return 0;
}

static void
net_thumb_start(struct net *n, struct net_thumb *t)
{
	struct http_req		 hr;
	struct haos_error	 err;
	char			*path, *url;

	t->got = 0;
	if (ftruncate(t->fd, 0) == -1 || lseek(t->fd, 0, SEEK_SET) == -1) {
		haos_error_set(&err, HAOS_EIO, "cannot write");
		net_thumb_end(n, t, &err, NULL);
		return;
	}
	if (t->att != NULL)
		crypto_attachment_restart(t->att);
	if (t->w > 0)
		path = matrix_media_thumbnail_path(t->server, t->media_id,
		    t->w, t->h, t->authenticated);
	else
		path = matrix_media_download_path(t->server, t->media_id,
		    t->authenticated);
	url = xasprintf("%s%s", n->cfg.homeserver, path);
	free(path);
	memset(&hr, 0, sizeof hr);
	hr.method = "GET";
	hr.url = url;
	hr.token = n->cfg.access_token;
	hr.chunk = net_thumb_chunk;
	hr.chunk_arg = t;
	t->xfer = http_client_start(n->http, &hr, 0, net_thumb_done, t);
	free(url);
	if (t->xfer == NULL) {
		haos_error_set(&err, HAOS_ENET, "cannot start");
		net_thumb_end(n, t, &err, NULL);
	}
}

/* The file is whole: indexed, the cache kept under its cap. */
static void
net_thumb_keep(struct net *n, struct net_thumb *t)
{
	struct haos_error	 err;
	char			**old, *path, *was = NULL;
	size_t			 nold, i;

	if (t->att != NULL && crypto_attachment_verify(t->att, &err) == -1) {
		net_thumb_end(n, t, &err, NULL);
		return;
	}
	if (t->got == 0) {
		haos_error_set(&err, HAOS_EPROTO, "empty file");
		net_thumb_end(n, t, &err, NULL);
		return;
	}
	if (close(t->fd) == -1) {
		t->fd = -1;
		haos_error_set(&err, HAOS_EIO, "cannot write");
		net_thumb_end(n, t, &err, NULL);
		return;
	}
	t->fd = -1;
	/* Two jobs for one image: the file indexed before goes. */
	if (store_query_media(n->store, t->key, &was, &err) == 0 &&
	    was != NULL && *was != '\0' && strcmp(was, t->path) != 0)
		unlink(was);
	free(was);
	if (store_media_put(n->store, t->key, t->path, NULL, t->got,
	    &err) == -1) {
		net_thumb_end(n, t, &err, NULL);
		return;
	}
	path = t->path;
	t->path = NULL;		/* kept */
	if (store_media_evict(n->store, NET_THUMB_CACHE, &old, &nold,
	    &err) == -1)
		log_warn("media", "preview cache: %s", err.msg);
	for (i = 0; i < nold; i++) {
		if (strcmp(old[i], path) != 0)
			unlink(old[i]);
		free(old[i]);
	}
	free(old);
	net_thumb_end(n, t, NULL, path);
}

static void
net_thumb_done(struct http_xfer *x __unused, const struct http_resp *resp,
    const struct haos_error *err, void *arg)
{
	struct net_thumb	*t = arg;
	struct net		*n = t->net;

	t->xfer = NULL;
	if (err != NULL && err->code == HAOS_ECANCEL) {
		net_thumb_unlink(n, t);
		net_thumb_drop(t);
		return;
	}
	if (t->refused) {
		net_thumb_end(n, t, &t->why, NULL);
		return;
	}
	if (err == NULL) {
		net_thumb_keep(n, t);
		return;
	}
	net_check_auth(n, err);
	if (t->authenticated && resp != NULL && err->mx == MX_UNRECOGNIZED &&
	    (resp->status == 404 || resp->status == 400 ||
	    resp->status == 405)) {
		t->authenticated = 0;
		net_thumb_start(n, t);
		return;
	}
	net_thumb_end(n, t, err, NULL);
}

/*
 * What to fetch for content c: sets t's server, id, size (0: the file)
 * and att; its media key in t->key.  -1 with err if there is nothing.
 */
static int
net_thumb_source(struct net_thumb *t, const json_t *c, int w, int h,
    struct haos_error *err)
{
	const json_t	*file, *info, *src;
	const char	*url, *mt;
	json_int_t	 size;

	info = json_get_obj(c, "info");
	mt = json_get_str(c, "msgtype", "");
	file = json_get_obj(c, "file");
	src = NULL;
	url = NULL;
	if (json_get_obj(info, "thumbnail_file") != NULL)
		src = json_get_obj(info, "thumbnail_file");
	else if (file != NULL && strcmp(mt, "m.video") != 0) {
		size = json_is_integer(json_object_get(info, "size")) ?
		    json_integer_value(json_object_get(info, "size")) : -1;
		if (size < 0 || size > NET_THUMB_FILE_MAX) {
			haos_error_set(err, HAOS_EPROTO, size < 0 ?
			    "encrypted, no thumbnail" :
			    "encrypted, too large");
			return -1;
		}
		src = file;
	} else if (file == NULL && strcmp(mt, "m.video") != 0)
		url = json_get_str(c, "url", NULL);
	else if (file == NULL)
		url = json_get_str(info, "thumbnail_url", NULL);
	if (src != NULL) {
		if ((t->att = crypto_attachment_open(src, err)) == NULL)
			return -1;
		url = json_get_str(src, "url", NULL);
		w = h = 0;
	}
	if (url == NULL) {
		haos_error_set(err, HAOS_EPROTO, "no thumbnail");
		return -1;
	}
	if (matrix_mxc_parse(url, &t->server, &t->media_id) == -1) {
		haos_error_set(err, HAOS_EPROTO, "no mxc:// link");
		return -1;
	}
	t->w = w;
	t->h = h;
	if (w > 0)
		t->key = xasprintf("mxc://%s/%s#thumb-%dx%d", t->server,
		    t->media_id, w, h);
	else
		t->key = xasprintf("mxc://%s/%s#thumb-file", t->server,
		    t->media_id);
	return 0;
}

static void
net_thumb_begin(struct net *n, const struct job *j)
{
	struct net_thumb	*t;
	struct haos_error	 err;
	struct stat		 st;
	json_t			*c;
	char			*tmpl, *have = NULL;
	int			 w, h;

	t = xcalloc(1, sizeof *t);
	t->net = n;
	t->tag = j->tag;
	t->fd = -1;
	t->authenticated = 1;
	w = j->width > 0 && j->width <= 2048 ? j->width : 320;
	h = j->height > 0 && j->height <= 2048 ? j->height : 240;
	c = j->content != NULL ? json_load_stored(j->content) : NULL;
	if (net_thumb_source(t, c, w, h, &err) == -1) {
		json_decref(c);
		goto fail;
	}
	json_decref(c);
	/* Fetched before, and still there: touched, and that file. */
	if (store_query_media(n->store, t->key, &have, &err) == 0 &&
	    have != NULL && *have != '\0' && stat(have, &st) == 0 &&
	    S_ISREG(st.st_mode) && store_media_put(n->store, t->key, have,
	    NULL, (int64_t)st.st_size, &err) != -1) {
		net_post_result(n, t->tag, NULL, have);
		net_thumb_drop(t);
		return;
	}
	free(have);
	if (j->path == NULL || paths_make_dir(j->path, &err) == -1) {
		haos_error_set(&err, HAOS_EIO, "no cache directory");
		goto fail;
	}
	tmpl = xasprintf("%s/thumb-XXXXXX", j->path);
	if ((t->fd = mkostemp(tmpl, O_CLOEXEC)) == -1) {
		haos_error_set(&err, HAOS_EIO, "cannot write the cache");
		free(tmpl);
		goto fail;
	}
	t->path = tmpl;
	t->next = n->thumbs;
	n->thumbs = t;
	net_thumb_start(n, t);
	return;
fail:
	net_post_result(n, t->tag, &err, NULL);
	net_thumb_drop(t);
}

void
net_thumb_job(struct net *n, const struct job *j)
{
	net_thumb_begin(n, j);
}

/* At shutdown, after the transfers were cancelled: what waits goes. */
void
net_thumb_free(struct net *n)
{
	struct net_thumb	*t;

	while ((t = n->thumbs) != NULL) {
		n->thumbs = t->next;
		net_thumb_drop(t);
	}
}
