/* HTTP over libcurl: the only file that includes <curl/curl.h>. */
#include "haos/http.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

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

#define HTTP_MAX_BODY	(64u * 1024 * 1024)

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

static size_t
http_write_cb(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct http_resp	*r = user;
	size_t			 n = size * nmemb;

	if (r->body_len + n > HTTP_MAX_BODY)
		return 0;
	r->body = xrealloc(r->body, r->body_len + n + 1);
	memcpy(r->body + r->body_len, ptr, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return n;
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

	if (r->status >= 200 && r->status < 300)
		return 0;
	root = r->body != NULL ? json_loadb(r->body, r->body_len, 0, &jerr) :
	    NULL;
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

/* Make one blocking request; resp is filled even for HTTP errors. */
int
http_perform(const struct http_req *req, struct http_resp *resp,
    struct haos_error *err)
{
	struct curl_slist	*hdrs = NULL;
	char			*auth = NULL, *ctype = NULL, *safe_url;
	char			 ebuf[CURL_ERROR_SIZE];
	const char		*ct;
	struct timespec		 t0, t1;
	CURLcode		 rc;
	int			 ret = -1;

	memset(resp, 0, sizeof *resp);
	if (http_easy == NULL)
		http_easy = curl_easy_init();
	else
		curl_easy_reset(http_easy);
	if (http_easy == NULL) {
		haos_error_set(err, HAOS_ENET, "curl_easy_init failed");
		return -1;
	}
	ebuf[0] = '\0';
	curl_easy_setopt(http_easy, CURLOPT_URL, req->url);
	curl_easy_setopt(http_easy, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(http_easy, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(http_easy, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(http_easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(http_easy, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(http_easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(http_easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(http_easy, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(http_easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(http_easy, CURLOPT_USERAGENT, "haos/" HAOS_VERSION);
	curl_easy_setopt(http_easy, CURLOPT_CONNECTTIMEOUT_MS,
	    http_options.connect_timeout_ms);
	curl_easy_setopt(http_easy, CURLOPT_TIMEOUT_MS,
	    http_options.timeout_ms);
	if (http_options.ca_file != NULL)
		curl_easy_setopt(http_easy, CURLOPT_CAINFO,
		    http_options.ca_file);
	curl_easy_setopt(http_easy, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(http_easy, CURLOPT_WRITEDATA, resp);
	if (req->token != NULL) {
		auth = xasprintf("Authorization: Bearer %s", req->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	if (req->body != NULL) {
		ct = req->content_type != NULL ? req->content_type :
		    "application/json";
		ctype = xasprintf("Content-Type: %s", ct);
		hdrs = curl_slist_append(hdrs, ctype);
		curl_easy_setopt(http_easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
		curl_easy_setopt(http_easy, CURLOPT_POSTFIELDS, req->body);
	}
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(http_easy, CURLOPT_HTTPHEADER, hdrs);

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
	curl_slist_free_all(hdrs);
	if (auth != NULL) {
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	free(ctype);
	return ret;
}

void
http_resp_free(struct http_resp *r)
{
	free(r->body);
	free(r->content_type);
	memset(r, 0, sizeof *r);
}

/* Percent-encode a path segment; the caller frees the result. */
char *
http_escape(const char *s)
{
	char	*e, *out;

	e = curl_easy_escape(NULL, s, 0);
	if (e == NULL)
		return xstrdup("");
	out = xstrdup(e);
	curl_free(e);
	return out;
}
