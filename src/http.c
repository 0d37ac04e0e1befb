/* HTTP over libcurl: the only file that includes <curl/curl.h>. */
#define _GNU_SOURCE		/* O_TMPFILE */
#include "haos/http.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "haos/haos.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/xmalloc.h"

/*
 * One easy handle reused across requests so connections are kept alive.
 * It belongs to the thread that makes blocking requests (the CLI, before
 * any other thread exists); the net thread owns its own multi handle.
 */
static CURL		*http_easy;
static struct http_opts	 http_options = { NULL, 10000, 60000 };

/* Where an answer's body goes: memory, or a file past HTTP_SPOOL_AT. */
struct http_sink {
	struct http_resp	*resp;
	char			*spool_dir;	/* NULL: memory only */
	size_t			 cap;		/* of resp->body */
	int			 spooled;	/* resp->fd holds the body */
	CURL			*easy;		/* streaming: its status */
	int			(*chunk)(void *, const void *, size_t,
				    int64_t);
	void			*chunk_arg;
	int			 upload;	/* the body from up_fd */
	int			 up_fd;
	int64_t			 up_off;
	int64_t			 up_len;
	void			(*sent)(void *, int64_t, int64_t);
};

int
http_global_init(struct haos_error *err)
{
	CURLcode	 rc;

	rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		haos_error_set(err, HAOS_ENET, "curl_global_init: %s",
		    curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

void
http_global_cleanup(void)
{
	if (http_easy != NULL)
		curl_easy_cleanup(http_easy);
	http_easy = NULL;
	curl_global_cleanup();
}

void
http_set_opts(const struct http_opts *o)
{
	http_options = *o;
}

/*
 * An anonymous file for a body in dir, mode 0600: O_TMPFILE where the
 * file system has it, else a named one unlinked at once.  -1 on failure.
 */
static int
http_spool_open(const char *dir)
{
	char	*path;
	int	 fd = -1;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd != -1)
		return fd;
#endif
	path = xasprintf("%s/.haos-body-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd != -1) {
		unlink(path);
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	free(path);
	return fd;
}

/* Write all of buf to fd; -1 on failure. */
static int
http_spool_write(int fd, const char *buf, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		w = write(fd, buf, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Move the body so far into a spool file; -1 (in memory still) if not. */
static int
http_spool(struct http_sink *k)
{
	struct http_resp	*r = k->resp;
	int			 fd;

	if ((fd = http_spool_open(k->spool_dir)) == -1) {
		log_warn("http", "cannot spool an answer in %s: %s",
		    k->spool_dir, strerror(errno));
		free(k->spool_dir);
		k->spool_dir = NULL;
		return -1;
	}
	if (http_spool_write(fd, r->body, r->body_len) == -1) {
		log_warn("http", "cannot spool an answer: %s",
		    strerror(errno));
		close(fd);
		free(k->spool_dir);
		k->spool_dir = NULL;
		return -1;
	}
	if (r->body != NULL)
		explicit_bzero(r->body, r->body_len);
	free(r->body);
	r->body = NULL;
	k->cap = 0;
	r->fd = fd;
	k->spooled = 1;
	return 0;
}

static size_t
http_write_cb(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct http_sink	*k = user;
	struct http_resp	*r = k->resp;
	size_t			 n = size * nmemb;
	curl_off_t		 total = -1;
	long			 status = 0;

	if (k->chunk != NULL) {
		curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300) {
			curl_easy_getinfo(k->easy,
			    CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total);
			return k->chunk(k->chunk_arg, ptr, n,
			    (int64_t)total) == -1 ? 0 : n;
		}
		/* An error answer: its first bytes, for the errcode. */
		if (r->body_len + n > HTTP_ERROR_PEEK)
			n = r->body_len < HTTP_ERROR_PEEK ?
			    HTTP_ERROR_PEEK - r->body_len : 0;
		if (n == 0)
			return size * nmemb;
	}
	if (!k->spooled && k->spool_dir != NULL &&
	    r->body_len + n > HTTP_SPOOL_AT)
		http_spool(k);
	if (k->spooled) {
		if (r->body_len + n > HTTP_MAX_SPOOLED ||
		    http_spool_write(r->fd, ptr, n) == -1)
			return 0;
		r->body_len += n;
		return n;
	}
	if (r->body_len + n > HTTP_MAX_BODY)
		return 0;
	if (r->body_len + n + 1 > k->cap) {
		k->cap = k->cap == 0 ? 4096 : k->cap;
		while (k->cap < r->body_len + n + 1)
			k->cap *= 2;
		r->body = xrealloc(r->body, k->cap);
	}
	memcpy(r->body + r->body_len, ptr, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return size * nmemb;
}

/* Whether r's body is in its file (see struct http_resp). */
int
http_resp_spooled(const struct http_resp *r)
{
	return r->body == NULL && r->body_len > 0 && r->fd >= 0;
}

/* The first bytes of a spooled body, for an error answer's errcode. */
static char *
http_spool_peek(const struct http_resp *r, size_t *len)
{
	char	*buf;
	ssize_t	 n;

	*len = r->body_len < HTTP_ERROR_PEEK ? r->body_len : HTTP_ERROR_PEEK;
	buf = xmalloc(*len + 1);
	n = pread(r->fd, buf, *len, 0);
	*len = n > 0 ? (size_t)n : 0;
	buf[*len] = '\0';
	return buf;
}

/*
 * Turn an HTTP error response into err: a Matrix error when the body has
 * an errcode, else a plain HTTP error.  Return 0 for 2xx, -1 otherwise.
 */
int
http_error_from_response(const struct http_resp *r, struct haos_error *err)
{
	json_t		*root;
	json_error_t	 jerr;
	const char	*errcode;
	char		*peek;
	size_t		 len;

	if (r->status >= 200 && r->status < 300)
		return 0;
	if (http_resp_spooled(r)) {
		peek = http_spool_peek(r, &len);
		root = json_load_network(peek, len, NULL, &jerr);
		free(peek);
	} else
		root = r->body != NULL ? json_load_network(r->body,
		    r->body_len, NULL, &jerr) : NULL;
	errcode = json_get_str(root, "errcode", NULL);
	if (errcode != NULL) {
		haos_error_matrix(err, (int)r->status, errcode,
		    json_get_str(root, "error", NULL));
		err->retry_after_ms = (long)json_get_int(root,
		    "retry_after_ms", 0);
		err->soft_logout = json_get_bool(root, "soft_logout", 0);
	} else {
		haos_error_set(err, HAOS_EHTTP, "the server answered HTTP %ld",
		    r->status);
		err->http_status = (int)r->status;
	}
	json_decref(root);
	return -1;
}

/* Where the answer to req goes (see struct http_req's spool_beside). */
static void
http_sink_init(struct http_sink *k, const struct http_req *req,
    struct http_resp *resp)
{
	const char	*slash;

	memset(k, 0, sizeof *k);
	k->resp = resp;
	k->chunk = req->chunk;
	k->chunk_arg = req->chunk_arg;
	k->upload = req->upload;
	k->up_fd = req->upload_fd;
	k->up_len = req->upload_len;
	k->sent = req->sent;
	if (req->spool_beside == NULL || req->chunk != NULL)
		return;
	slash = strrchr(req->spool_beside, '/');
	if (slash == NULL)
		k->spool_dir = xstrdup(".");
	else if (slash == req->spool_beside)
		k->spool_dir = xstrdup("/");
	else
		k->spool_dir = xstrndup(req->spool_beside,
		    (size_t)(slash - req->spool_beside));
}

/* A streaming upload's next bytes, from its file (pread: no offset moved). */
static size_t
http_read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct http_sink	*k = arg;
	size_t			 want = size * nitems;
	ssize_t			 r;

	if ((int64_t)want > k->up_len - k->up_off)
		want = (size_t)(k->up_len - k->up_off);
	if (want == 0)
		return 0;
	do
		r = pread(k->up_fd, buf, want, (off_t)k->up_off);
	while (r == -1 && errno == EINTR);
	if (r <= 0)
		return CURL_READFUNC_ABORT;
	k->up_off += r;
	if (k->sent != NULL)
		k->sent(k->chunk_arg, k->up_off, k->up_len);
	return (size_t)r;
}

/* libcurl sends the body again (a redirect, a retried connection). */
static int
http_seek_cb(void *arg, curl_off_t offset, int origin)
{
	struct http_sink	*k = arg;

	if (origin != SEEK_SET || offset < 0 || offset > k->up_len)
		return CURL_SEEKFUNC_FAIL;
	k->up_off = (int64_t)offset;
	return CURL_SEEKFUNC_OK;
}

/*
 * Set every option of one request on e: TLS always verified, HTTP/2 where
 * offered, the token as a header (never in the URL).  url, method and body
 * must outlive the transfer.  Returns the header list to free afterwards.
 */
static struct curl_slist *
http_prepare(CURL *e, const struct http_opts *o, const char *url,
    const char *method, const struct http_req *req, const void *body,
    long timeout_ms, char *ebuf, struct http_sink *sink)
{
	struct curl_slist	*hdrs = NULL;
	char			*h;

	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "haos/" HAOS_VERSION);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	sink->easy = e;
	if (sink->chunk != NULL || sink->upload) {
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 0L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, HTTP_STALL_S);
	} else
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (o->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, sink);
	if (req->token != NULL) {
		h = xasprintf("Authorization: Bearer %s", req->token);
		hdrs = curl_slist_append(hdrs, h);
		memset(h, 0, strlen(h));
		free(h);
	}
	if (body != NULL) {
		h = xasprintf("Content-Type: %s", req->content_type != NULL ?
		    req->content_type : "application/json");
		hdrs = curl_slist_append(hdrs, h);
		free(h);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	} else if (sink->upload) {
		h = xasprintf("Content-Type: %s", req->content_type != NULL ?
		    req->content_type : "application/octet-stream");
		hdrs = curl_slist_append(hdrs, h);
		free(h);
		sink->up_off = 0;
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, http_read_cb);
		curl_easy_setopt(e, CURLOPT_READDATA, sink);
		curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, http_seek_cb);
		curl_easy_setopt(e, CURLOPT_SEEKDATA, sink);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)sink->up_len);
	}
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	return hdrs;
}

/* Make one blocking request; resp is filled even for HTTP errors. */
int
http_perform(const struct http_req *req, struct http_resp *resp,
    struct haos_error *err)
{
	struct curl_slist	*hdrs;
	struct http_sink	 sink;
	char			*safe_url;
	char			 ebuf[CURL_ERROR_SIZE];
	const char		*ct;
	struct timespec		 t0, t1;
	CURLcode		 rc;
	int			 ret = -1;

	memset(resp, 0, sizeof *resp);
	resp->fd = -1;
	http_sink_init(&sink, req, resp);
	if (http_easy == NULL)
		http_easy = curl_easy_init();
	else
		curl_easy_reset(http_easy);
	if (http_easy == NULL) {
		free(sink.spool_dir);
		haos_error_set(err, HAOS_ENET, "curl_easy_init failed");
		return -1;
	}
	ebuf[0] = '\0';
	hdrs = http_prepare(http_easy, &http_options, req->url, req->method,
	    req, req->body, http_options.timeout_ms, ebuf, &sink);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = curl_easy_perform(http_easy);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	safe_url = log_redact_url(req->url);
	if (rc != CURLE_OK) {
		haos_error_set(err, HAOS_ENET, "%s: %s", safe_url,
		    ebuf[0] != '\0' ? ebuf : curl_easy_strerror(rc));
		log_warn("http", "%s %s failed: %s", req->method, safe_url,
		    err->msg);
		goto out;
	}
	curl_easy_getinfo(http_easy, CURLINFO_RESPONSE_CODE, &resp->status);
	ct = NULL;
	curl_easy_getinfo(http_easy, CURLINFO_CONTENT_TYPE, &ct);
	if (ct != NULL)
		resp->content_type = xstrdup(ct);
	log_debug("http", "%s %s -> %ld (%ld ms, %zu bytes)", req->method,
	    safe_url, resp->status,
	    (long)((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000), resp->body_len);
	ret = http_error_from_response(resp, err);
out:
	free(safe_url);
	free(sink.spool_dir);
	curl_slist_free_all(hdrs);
	return ret;
}

void
http_resp_free(struct http_resp *r)
{
	/* An answer may hold a token (a login): wiped before it is freed. */
	if (r->body != NULL)
		explicit_bzero(r->body, r->body_len);
	free(r->body);
	if (http_resp_spooled(r))
		close(r->fd);
	free(r->content_type);
	memset(r, 0, sizeof *r);
	r->fd = -1;
}

/*
 * Exponential backoff with full jitter: a uniformly random delay in
 * [base/2, base] where base doubles per attempt from 500 ms, capped at
 * HTTP_BACKOFF_MAX_MS.  attempt counts from 1.
 */
long
http_backoff_ms(int attempt, unsigned int *seed)
{
	long	 base = 500;
	int	 i;

	for (i = 1; i < attempt && base < HTTP_BACKOFF_MAX_MS; i++)
		base *= 2;
	if (base > HTTP_BACKOFF_MAX_MS)
		base = HTTP_BACKOFF_MAX_MS;
	return base / 2 + (long)(rand_r(seed) % (unsigned int)(base / 2 + 1));
}

/* Network errors, 5xx and 429 are worth retrying; other errors are final. */
int
http_retryable(const struct haos_error *err)
{
	if (err->code == HAOS_ENET)
		return 1;
	if (err->http_status == 429 || err->mx == MX_LIMIT_EXCEEDED)
		return 1;
	return err->http_status >= 500 && err->http_status <= 599;
}

/*
 * How long to wait before the next attempt: retry_after_ms for a 429, but
 * at most HTTP_RETRY_AFTER_MAX_MS, so one answer cannot stop us for hours.
 */
long
http_retry_delay_ms(const struct haos_error *err, int attempt,
    unsigned int *seed)
{
	if (err->retry_after_ms > 0)
		return err->retry_after_ms > HTTP_RETRY_AFTER_MAX_MS ?
		    HTTP_RETRY_AFTER_MAX_MS : err->retry_after_ms;
	return http_backoff_ms(attempt, seed);
}

/* One in-flight transfer; owns copies of everything it sends. */
struct http_xfer {
	CURL			*easy;
	struct curl_slist	*hdrs;
	char			*url;
	char			*method;
	char			*body;
	size_t			 body_len;
	char			 ebuf[CURL_ERROR_SIZE];
	struct http_resp	 resp;
	struct http_sink	 sink;
	http_done_cb		 cb;
	void			*arg;
	struct timespec		 t0;
	struct http_xfer	*next;
};

struct http_client {
	CURLM			*multi;
	struct http_opts	 opts;
	struct http_xfer	*xfers;		/* in flight */
	CURL			*idle[8];	/* finished easy handles to reuse */
	int			 nidle;
};

struct http_client *
http_client_new(const struct http_opts *o)
{
	struct http_client	*c;

	c = xcalloc(1, sizeof *c);
	c->multi = curl_multi_init();
	if (c->multi == NULL) {
		free(c);
		return NULL;
	}
	c->opts = *o;
	curl_multi_setopt(c->multi, CURLMOPT_PIPELINING,
	    (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 6L);
	return c;
}

static void
http_xfer_free(struct http_client *c, struct http_xfer *x)
{
	if (x->easy != NULL) {
		curl_multi_remove_handle(c->multi, x->easy);
		if (c->nidle < (int)nitems(c->idle))
			c->idle[c->nidle++] = x->easy;
		else
			curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->hdrs);
	free(x->url);
	free(x->method);
	if (x->body != NULL) {
		memset(x->body, 0, x->body_len);
		free(x->body);
	}
	http_resp_free(&x->resp);
	free(x->sink.spool_dir);
	free(x);
}

/*
 * Abort every transfer, calling each callback once with HAOS_ECANCEL so
 * its owner can free what it passed as arg, and free c.
 */
void
http_client_free(struct http_client *c)
{
	struct http_xfer	*x;
	struct haos_error	 err;
	int			 i;

	if (c == NULL)
		return;
	haos_error_set(&err, HAOS_ECANCEL, "cancelled");
	while ((x = c->xfers) != NULL) {
		c->xfers = x->next;
		x->cb(x, &x->resp, &err, x->arg);
		http_xfer_free(c, x);
	}
	for (i = 0; i < c->nidle; i++)
		curl_easy_cleanup(c->idle[i]);
	curl_multi_cleanup(c->multi);
	free(c);
}

/*
 * Start req (copied) with a total timeout; cb runs from http_client_poll()
 * when it finishes, with err set for network, HTTP and Matrix errors.
 */
struct http_xfer *
http_client_start(struct http_client *c, const struct http_req *req,
    long timeout_ms, http_done_cb cb, void *arg)
{
	struct http_xfer	*x;
	CURL			*e;

	x = xcalloc(1, sizeof *x);
	e = c->nidle > 0 ? c->idle[--c->nidle] : curl_easy_init();
	if (e == NULL) {
		free(x);
		return NULL;
	}
	curl_easy_reset(e);
	x->easy = e;
	x->url = xstrdup(req->url);
	x->method = xstrdup(req->method);
	x->cb = cb;
	x->arg = arg;
	x->resp.fd = -1;
	http_sink_init(&x->sink, req, &x->resp);
	if (req->body != NULL) {
		x->body = xmalloc(req->body_len + 1);
		memcpy(x->body, req->body, req->body_len);
		x->body[req->body_len] = '\0';
		x->body_len = req->body_len;
	}
	x->hdrs = http_prepare(e, &c->opts, x->url, x->method, req, x->body,
	    timeout_ms, x->ebuf, &x->sink);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	clock_gettime(CLOCK_MONOTONIC, &x->t0);
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
		http_xfer_free(c, x);
		return NULL;
	}
	x->next = c->xfers;
	c->xfers = x;
	return x;
}

static void
http_client_unlink(struct http_client *c, struct http_xfer *x)
{
	struct http_xfer	**pp;

	for (pp = &c->xfers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			return;
		}
	}
}

/* Abort x without calling its callback. */
void
http_client_cancel(struct http_client *c, struct http_xfer *x)
{
	http_client_unlink(c, x);
	http_xfer_free(c, x);
}

int
http_client_active(const struct http_client *c)
{
	return c->xfers != NULL;
}

/* Finish x: classify the result and call its callback, then free it. */
static void
http_client_finish(struct http_client *c, struct http_xfer *x, CURLcode rc)
{
	struct haos_error	 err;
	struct timespec		 t1;
	char			*safe_url;
	const char		*ct = NULL;

	http_client_unlink(c, x);
	haos_error_clear(&err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	safe_url = log_redact_url(x->url);
	if (rc != CURLE_OK) {
		haos_error_set(&err, HAOS_ENET, "%s",
		    x->ebuf[0] != '\0' ? x->ebuf : curl_easy_strerror(rc));
		log_debug("http", "%s %s failed: %s", x->method, safe_url,
		    err.msg);
	} else {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE,
		    &x->resp.status);
		curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
		if (ct != NULL)
			x->resp.content_type = xstrdup(ct);
		log_debug("http", "%s %s -> %ld (%ld ms, %zu bytes)",
		    x->method, safe_url, x->resp.status,
		    (long)((t1.tv_sec - x->t0.tv_sec) * 1000 +
		    (t1.tv_nsec - x->t0.tv_nsec) / 1000000), x->resp.body_len);
		http_error_from_response(&x->resp, &err);
	}
	free(safe_url);
	x->cb(x, &x->resp, err.code == HAOS_OK ? NULL : &err, x->arg);
	http_xfer_free(c, x);
}

/*
 * Run transfers for up to timeout_ms (returning early when one finishes or
 * http_client_wakeup() is called) and call the callbacks of those done.
 */
int
http_client_poll(struct http_client *c, int timeout_ms)
{
	struct http_xfer	*x;
	CURLMsg			*m;
	int			 running, left;

	if (curl_multi_poll(c->multi, NULL, 0, timeout_ms, NULL) != CURLM_OK)
		return -1;
	if (curl_multi_perform(c->multi, &running) != CURLM_OK)
		return -1;
	while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		x = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x != NULL)
			http_client_finish(c, x, m->data.result);
	}
	return 0;
}

/* Interrupt http_client_poll(); safe from any thread. */
void
http_client_wakeup(struct http_client *c)
{
	curl_multi_wakeup(c->multi);
}
