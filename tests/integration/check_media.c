/* Attachments downloaded by the net thread from the test homeserver. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/crypto-attachment.h"
#include "haos/error.h"
#include "haos/http.h"
#include "haos/json.h"
#include "haos/net.h"
#include "haos/notify.h"
#include "haos/xmalloc.h"

#include "net_fixture.h"

#define MEDIA_BIG	(5 * 1024 * 1024)

struct media_world {
	struct hs_user	 u;
	char		*store;
	char		*dir;		/* downloads */
	struct notify	*nt;
	struct net	*n;
	uint64_t	 tag;
};

static void
media_setup(struct media_world *w)
{
	char	*lp;

	memset(w, 0, sizeof *w);
	lp = hs_unique("media");
	ck_assert_int_eq(hs_register(&hs, lp, &w->u), 0);
	free(lp);
	w->store = tmp_store();
	w->dir = hs_tmpdir("haos-dl");
	ck_assert_ptr_nonnull(w->dir);
	w->nt = notify_new();
	w->n = start_net(&w->u, w->store, w->nt, 10);
	w->tag = 100;
}

static void
media_teardown(struct media_world *w)
{
	net_stop(w->n);
	notify_free(w->nt);
	hs_user_free(&w->u);
	free(w->store);
	free(w->dir);
}

/* POST the bytes to the media repository: their mxc:// URI. */
static char *
media_upload(struct media_world *w, const void *data, size_t len,
    const char *ctype)
{
	struct http_req		 req;
	struct http_resp	 resp;
	struct haos_error	 err;
	json_t			*r;
	char			*url, *mxc;

	memset(&req, 0, sizeof req);
	url = xasprintf("%s/_matrix/media/v3/upload?filename=f", hs.url);
	req.method = "POST";
	req.url = url;
	req.token = w->u.token;
	req.content_type = ctype;
	req.body = data;
	req.body_len = len;
	ck_assert_msg(http_perform(&req, &resp, &err) == 0, "upload: %s",
	    err.msg);
	r = json_loads(resp.body, 0, NULL);
	mxc = xstrdup(json_get_str(r, "content_uri", ""));
	json_decref(r);
	http_resp_free(&resp);
	free(url);
	return mxc;
}

/*
 * Download content into w->dir and wait for the answer: its path (the
 * caller frees), or NULL with the error's text in why.
 */
static char *
media_get(struct media_world *w, const char *content, char *why,
    size_t whylen, int cancel_after_ms)
{
	struct job		*j;
	struct net_result	*res, *next;
	double			 end = now_s() + 60;
	char			*path = NULL;
	int			 done = 0;
	uint64_t		 tag = ++w->tag;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_DOWNLOAD;
	j->tag = tag;
	j->content = xstrdup(content);
	j->path = xstrdup(w->dir);
	net_submit(w->n, j);
	if (cancel_after_ms > 0) {
		usleep(cancel_after_ms * 1000);
		j = xcalloc(1, sizeof *j);
		j->type = JOB_DOWNLOAD_CANCEL;
		j->tag = tag;
		net_submit(w->n, j);
	}
	why[0] = '\0';
	while (!done && now_s() < end) {
		wait_bits(w->nt, NOTIFY_RESULT, 1);
		for (res = net_results_take(w->n); res != NULL; res = next) {
			next = res->next;
			if (res->tag == tag) {
				done = 1;
				if (res->ok)
					path = xstrdup(res->body);
				else
					snprintf(why, whylen, "%.200s",
					    res->err->msg);
			}
			net_result_free(res);
		}
	}
	ck_assert_msg(done, "no answer to the download");
	return path;
}

/* Whether path holds exactly len bytes of data. */
static int
media_same(const char *path, const void *data, size_t len)
{
	FILE		*f;
	unsigned char	*buf;
	size_t		 n;
	int		 same;

	if ((f = fopen(path, "rb")) == NULL)
		return 0;
	buf = xmalloc(len + 1);
	n = fread(buf, 1, len + 1, f);
	fclose(f);
	same = n == len && memcmp(buf, data, len) == 0;
	free(buf);
	return same;
}

/* The files in dir (temporary ones too). */
static int
media_count(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static char *
media_content(const char *msgtype, const char *name, const char *mxc,
    long long size)
{
	return xasprintf("{\"msgtype\": \"%s\", \"body\": \"%s\", "
	    "\"url\": \"%s\", \"info\": {\"size\": %lld}}", msgtype, name, mxc,
	    size);
}

/* How many requests went to paths containing what, since the start. */
static int
media_requests(const char *what)
{
	json_t	*r, *e;
	size_t	 i;
	int	 st, n = 0;

	r = hs_call(&hs, NULL, "GET", "/_test/requests?since=0", NULL, &st);
	json_array_foreach(json_get_arr(r, "requests"), i, e) {
		if (strstr(json_get_str(e, "path", ""), what) != NULL ||
		    strstr(json_get_str(e, "query", ""), what) != NULL)
			n++;
	}
	json_decref(r);
	return n;
}

/* Text, a PNG and 5 MB of binary: the same bytes; names never reused. */
START_TEST(test_download_types)
{
	static const unsigned char png[] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
		'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
		0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0, 'I', 'E', 'N', 'D',
		0xae, 0x42, 0x60, 0x82,
	};
	static const char	 text[] = "hello, file\n";
	struct media_world	 w;
	unsigned char		*big;
	char			*mxc, *c, *p, *want, why[256];
	size_t			 i;

	media_setup(&w);
	mxc = media_upload(&w, text, strlen(text), "text/plain");
	c = media_content("m.file", "notes.txt", mxc, (long long)strlen(text));
	p = media_get(&w, c, why, sizeof why, 0);
	ck_assert_msg(p != NULL, "text: %s", why);
	want = xasprintf("%s/notes.txt", w.dir);
	ck_assert_str_eq(p, want);
	ck_assert(media_same(p, text, strlen(text)));
	free(p);
	free(want);
	/* Again: "notes (1).txt", the first one untouched. */
	p = media_get(&w, c, why, sizeof why, 0);
	ck_assert_msg(p != NULL, "text again: %s", why);
	want = xasprintf("%s/notes (1).txt", w.dir);
	ck_assert_str_eq(p, want);
	ck_assert(media_same(p, text, strlen(text)));
	free(p);
	free(want);
	free(c);
	free(mxc);

	mxc = media_upload(&w, png, sizeof png, "image/png");
	c = media_content("m.image", "../../shot.png", mxc,
	    (long long)sizeof png);
	p = media_get(&w, c, why, sizeof why, 0);
	ck_assert_msg(p != NULL, "png: %s", why);
	want = xasprintf("%s/shot.png", w.dir);
	ck_assert_str_eq(p, want);
	ck_assert(media_same(p, png, sizeof png));
	free(p);
	free(want);
	free(c);
	free(mxc);

	big = xmalloc(MEDIA_BIG);
	for (i = 0; i < MEDIA_BIG; i++)
		big[i] = (unsigned char)((i * 2654435761u) >> 13);
	mxc = media_upload(&w, big, MEDIA_BIG, "application/octet-stream");
	c = media_content("m.file", "blob.bin", mxc, MEDIA_BIG);
	p = media_get(&w, c, why, sizeof why, 0);
	ck_assert_msg(p != NULL, "big: %s", why);
	ck_assert(media_same(p, big, MEDIA_BIG));
	free(p);
	free(c);
	/* The event says 1000 bytes: the 5 MB are refused. */
	c = media_content("m.file", "liar.bin", mxc, 1000);
	p = media_get(&w, c, why, sizeof why, 0);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(why, "larger than its event says") != NULL,
	    "%s", why);
	free(c);
	free(mxc);
	free(big);
	/* Authenticated media asked for; nothing left but the 4 files. */
	ck_assert_int_ge(media_requests("/_matrix/client/v1/media/download/"),
	    5);
	ck_assert_int_eq(media_count(w.dir), 4);
	media_teardown(&w);
}
END_TEST

/* A server without client v1 media: media v3. */
START_TEST(test_download_fallback)
{
	static const char	 text[] = "old server\n";
	struct media_world	 w;
	char			*mxc, *c, *p, why[256];
	int			 before;

	media_setup(&w);
	mxc = media_upload(&w, text, strlen(text), "text/plain");
	ck_assert_int_eq(hs_faults(&hs, "{\"authenticated_media\": false}"),
	    0);
	before = media_requests("/_matrix/media/v3/download/");
	c = media_content("m.file", "old.txt", mxc, (long long)strlen(text));
	p = media_get(&w, c, why, sizeof why, 0);
	ck_assert_msg(p != NULL, "%s", why);
	ck_assert(media_same(p, text, strlen(text)));
	ck_assert_int_eq(media_requests("/_matrix/media/v3/download/"),
	    before + 1);
	free(p);
	free(c);
	free(mxc);
	json_decref(hs_call(&hs, NULL, "DELETE", "/_test/faults", NULL,
	    NULL));
	media_teardown(&w);
}
END_TEST

/* An encrypted attachment: decrypted; a wrong hash: refused, no file. */
START_TEST(test_download_encrypted)
{
	struct crypto_attachment	*a;
	struct haos_error		 err;
	struct media_world		 w;
	unsigned char			 plain[70000], ct[70000];
	char				*mxc, *c, *fs, *p, why[256];
	json_t				*file, *content;
	size_t				 i;

	media_setup(&w);
	for (i = 0; i < sizeof plain; i++)
		plain[i] = (unsigned char)(i % 251);
	a = crypto_attachment_seal();
	ck_assert_int_eq(crypto_attachment_update(a, plain, sizeof plain, ct,
	    &err), 0);
	mxc = media_upload(&w, ct, sizeof ct, "application/octet-stream");
	file = crypto_attachment_file(a, mxc);
	crypto_attachment_free(a);
	content = json_pack("{s:s, s:s, s:O, s:{s:I}}", "msgtype", "m.file",
	    "body", "secret.bin", "file", file, "info", "size",
	    (json_int_t)sizeof plain);
	c = json_dumps(content, 0);
	p = media_get(&w, c, why, sizeof why, 0);
	ck_assert_msg(p != NULL, "%s", why);
	ck_assert(media_same(p, plain, sizeof plain));
	free(p);
	free(c);
	free(mxc);

	/* The same file object over other bytes: refused. */
	ct[1000] ^= 0x40;
	mxc = media_upload(&w, ct, sizeof ct, "application/octet-stream");
	json_object_set_new(file, "url", json_string(mxc));
	json_object_set(content, "file", file);
	fs = json_dumps(content, 0);
	p = media_get(&w, fs, why, sizeof why, 0);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(why, "the file's hash does not match: refused");
	ck_assert_int_eq(media_count(w.dir), 1);
	free(fs);
	free(mxc);
	json_decref(file);
	json_decref(content);
	media_teardown(&w);
}
END_TEST

/* A connection cut once: tried again; cut every time: reported. */
START_TEST(test_download_interrupted)
{
	struct media_world	 w;
	unsigned char		*data;
	char			*mxc, *c, *p, why[256];
	size_t			 i, len = 300000;

	media_setup(&w);
	data = xmalloc(len);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 31);
	mxc = media_upload(&w, data, len, "application/octet-stream");
	c = media_content("m.video", "clip.mp4", mxc, (long long)len);
	ck_assert_int_eq(hs_faults(&hs, "{\"faults\": [{\"action\": \"drop\", "
	    "\"path\": \"/media/download/\", \"count\": 1}]}"), 0);
	p = media_get(&w, c, why, sizeof why, 0);
	ck_assert_msg(p != NULL, "%s", why);
	ck_assert(media_same(p, data, len));
	free(p);
	ck_assert_int_eq(hs_faults(&hs, "{\"faults\": [{\"action\": \"drop\", "
	    "\"path\": \"/media/download/\", \"count\": 10}]}"), 0);
	p = media_get(&w, c, why, sizeof why, 0);
	ck_assert_ptr_null(p);
	ck_assert_msg(why[0] != '\0', "no reason");
	ck_assert_int_eq(media_count(w.dir), 1);
	json_decref(hs_call(&hs, NULL, "DELETE", "/_test/faults", NULL,
	    NULL));
	/* Cancelled while the server holds it: nothing stays. */
	ck_assert_int_eq(hs_faults(&hs, "{\"faults\": [{\"action\": \"delay\", "
	    "\"path\": \"/media/download/\", \"ms\": 3000}]}"), 0);
	p = media_get(&w, c, why, sizeof why, 300);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(why, "download cancelled");
	ck_assert_int_eq(media_count(w.dir), 1);
	json_decref(hs_call(&hs, NULL, "DELETE", "/_test/faults", NULL,
	    NULL));
	free(c);
	free(mxc);
	free(data);
	media_teardown(&w);
}
END_TEST

/*
 * An image preview's file (JOB_THUMB) for content at w x h: its path
 * (the caller frees), or NULL with why.
 */
static char *
media_thumb(struct media_world *w, const char *content, int tw, int th,
    char *why, size_t whylen)
{
	struct job		*j;
	struct net_result	*res, *next;
	double			 end = now_s() + 60;
	char			*path = NULL;
	int			 done = 0;
	uint64_t		 tag = ++w->tag;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_THUMB;
	j->tag = tag;
	j->content = xstrdup(content);
	j->path = xasprintf("%s/cache/previews", w->dir);
	j->width = tw;
	j->height = th;
	net_submit(w->n, j);
	why[0] = '\0';
	while (!done && now_s() < end) {
		wait_bits(w->nt, NOTIFY_RESULT, 1);
		for (res = net_results_take(w->n); res != NULL; res = next) {
			next = res->next;
			if (res->tag == tag) {
				done = 1;
				if (res->ok)
					path = xstrdup(res->body);
				else
					snprintf(why, whylen, "%.200s",
					    res->err->msg);
			}
			net_result_free(res);
		}
	}
	ck_assert_msg(done, "no answer to the thumbnail");
	return path;
}

/* A 2x2 PNG, as the server re-encodes it (its thumbnail). */
static const unsigned char media_png[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00,
	0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89,
	0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63,
	0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x02, 0x01, 0xd1,
	0xff, 0x0b, 0x84, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
	0xae, 0x42, 0x60, 0x82
};

/*
 * The server's thumbnail, authenticated, at the size asked, into the
 * cache; asked again: the cached file, no request; media v3 when the
 * server has no client v1 media.
 */
START_TEST(test_thumb_fetch)
{
	struct media_world	 w;
	char			*mxc, *c, *p, *p2, why[256];
	FILE			*f;
	unsigned char		 head[8];
	int			 n1, n3;

	media_setup(&w);
	mxc = media_upload(&w, media_png, sizeof media_png, "image/png");
	c = media_content("m.image", "dot.png", mxc,
	    (long long)sizeof media_png);
	p = media_thumb(&w, c, 320, 240, why, sizeof why);
	ck_assert_msg(p != NULL, "%s", why);
	ck_assert_ptr_nonnull(strstr(p, "/cache/previews/thumb-"));
	f = fopen(p, "rb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(head, 1, 8, f), 8);
	fclose(f);
	ck_assert_int_eq(memcmp(head, "\x89PNG\r\n\x1a\n", 8), 0);
	n1 = media_requests("/_matrix/client/v1/media/thumbnail/");
	ck_assert_int_eq(n1, 1);
	ck_assert_int_eq(media_requests("width=320&height=240&method=scale"),
	    1);
	ck_assert_int_eq(media_requests("/download/"), 0);
	/* Again: from the cache. */
	p2 = media_thumb(&w, c, 320, 240, why, sizeof why);
	ck_assert_msg(p2 != NULL, "%s", why);
	ck_assert_str_eq(p2, p);
	ck_assert_int_eq(media_requests("/media/thumbnail/"), 1);
	free(p2);
	/* Gone from the disk: fetched again. */
	unlink(p);
	free(p);
	ck_assert_int_eq(hs_faults(&hs, "{\"authenticated_media\": false}"),
	    0);
	n3 = media_requests("/_matrix/media/v3/thumbnail/");
	p = media_thumb(&w, c, 320, 240, why, sizeof why);
	ck_assert_msg(p != NULL, "%s", why);
	ck_assert_int_eq(media_requests("/_matrix/media/v3/thumbnail/"),
	    n3 + 1);
	json_decref(hs_call(&hs, NULL, "DELETE", "/_test/faults", NULL,
	    NULL));
	free(p);
	free(c);
	/* No thumbnail to be had: why, not a file. */
	c = xstrdup("{\"msgtype\": \"m.video\", \"body\": \"v.mp4\", "
	    "\"url\": \"mxc://haos.test/x\"}");
	p = media_thumb(&w, c, 320, 240, why, sizeof why);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(why, "no thumbnail");
	free(c);
	free(mxc);
	media_teardown(&w);
}
END_TEST

/*
 * Encrypted: no thumbnail request (the server has only ciphertext), the
 * thumbnail_file or a small image downloaded as a download would be and
 * decrypted; a large one without a thumbnail is not fetched at all.
 */
START_TEST(test_thumb_encrypted)
{
	struct crypto_attachment	*a;
	struct haos_error		 err;
	struct media_world		 w;
	unsigned char			 ct[sizeof media_png];
	char				*mxc, *c, *p, why[256];
	json_t				*file, *content;
	int				 before;

	media_setup(&w);
	a = crypto_attachment_seal();
	ck_assert_int_eq(crypto_attachment_update(a, media_png,
	    sizeof media_png, ct, &err), 0);
	mxc = media_upload(&w, ct, sizeof ct, "application/octet-stream");
	file = crypto_attachment_file(a, mxc);
	crypto_attachment_free(a);
	content = json_pack("{s:s, s:s, s:O, s:{s:I}}", "msgtype", "m.image",
	    "body", "secret.png", "file", file, "info", "size",
	    (json_int_t)sizeof media_png);
	c = json_dumps(content, 0);
	before = media_requests("/media/download/");
	p = media_thumb(&w, c, 320, 240, why, sizeof why);
	ck_assert_msg(p != NULL, "%s", why);
	ck_assert(media_same(p, media_png, sizeof media_png));
	ck_assert_int_eq(media_requests("/media/download/"), before + 1);
	ck_assert_int_eq(media_requests("/thumbnail/"), 0);
	free(p);
	free(c);
	/* A big image, no thumbnail_file: nothing asked. */
	json_object_set_new(json_object_get(content, "info"), "size",
	    json_integer(50 << 20));
	c = json_dumps(content, 0);
	p = media_thumb(&w, c, 320, 240, why, sizeof why);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(why, "encrypted, too large");
	ck_assert_int_eq(media_requests("/media/download/"), before + 1);
	free(c);
	/* Its thumbnail_file: that one (here the same object). */
	json_object_set(json_object_get(content, "info"), "thumbnail_file",
	    file);
	c = json_dumps(content, 0);
	p = media_thumb(&w, c, 320, 240, why, sizeof why);
	ck_assert_msg(p != NULL, "%s", why);
	ck_assert(media_same(p, media_png, sizeof media_png));
	free(p);
	free(c);
	free(mxc);
	json_decref(file);
	json_decref(content);
	media_teardown(&w);
}
END_TEST

Suite *
suite_media(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("media");
	tc = tcase_create("download");
	tcase_add_checked_fixture(tc, net_fixture_setup,
	    net_fixture_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_download_types);
	tcase_add_test(tc, test_download_fallback);
	tcase_add_test(tc, test_download_encrypted);
	tcase_add_test(tc, test_download_interrupted);
	tcase_add_test(tc, test_thumb_fetch);
	tcase_add_test(tc, test_thumb_encrypted);
	suite_add_tcase(s, tc);
	return s;
}
