/*
 * Attachments sent by the net thread through the outbox to the test
 * homeserver (/upload): the bytes the server stored compared with the
 * file's, the event's shape, the server's limit, an interrupted upload,
 * a restart with an upload pending, an encrypted room's sealed file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "haos/crypto-attachment.h"
#include "haos/error.h"
#include "haos/http.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/net.h"
#include "haos/notify.h"
#include "haos/xmalloc.h"

#include "net_fixture.h"

#define UP_BIG	(5 * 1024 * 1024)

struct up_world {
	struct hs_user	 u;
	char		*store;
	char		*dir;		/* the files to send */
	char		*room;
	char		*key;		/* the device identity's */
	struct notify	*nt;
	struct net	*n;
	sqlite3		*db;
	uint64_t	 tag;
};

/* One text value of sql (one text parameter), or NULL. */
static char *
up_db_text(sqlite3 *db, const char *sql, const char *arg)
{
	sqlite3_stmt	*st;
	char		*out = NULL;

	/* Before the net thread made the schema: nothing yet. */
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static void
up_db_wait(sqlite3 *db, const char *sql, const char *arg, const char *want,
    double seconds)
{
	double	 end = now_s() + seconds;
	char	*v = NULL;

	for (;;) {
		free(v);
		v = up_db_text(db, sql, arg);
		if (v != NULL && strcmp(v, want) == 0)
			break;
		ck_assert_msg(now_s() < end, "%s (%s): %s, not %s", sql, arg,
		    v != NULL ? v : "NULL", want);
		usleep(50 * 1000);
	}
	free(v);
}

static void
up_open_db(struct up_world *w)
{
	double	 end = now_s() + 20;

	while (access(w->store, F_OK) != 0 && now_s() < end)
		usleep(50 * 1000);
	ck_assert_int_eq(sqlite3_open_v2(w->store, &w->db,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(w->db, 10000);
	up_db_wait(w->db, "SELECT count(*) FROM rooms WHERE room_id = ?1",
	    w->room, "1", 20);
}

/* A user, a room (encrypted if asked), haos's net thread for it. */
static void
up_setup(struct up_world *w, int encrypted)
{
	json_t	*body, *r;
	char	*lp;
	int	 st;

	memset(w, 0, sizeof *w);
	lp = hs_unique("upload");
	ck_assert_int_eq(hs_register(&hs, lp, &w->u), 0);
	free(lp);
	if (encrypted)
		body = json_pack("{s:s,s:[{s:s,s:s,s:{s:s}}]}", "preset",
		    "private_chat", "initial_state", "type",
		    "m.room.encryption", "state_key", "", "content",
		    "algorithm", "m.megolm.v1.aes-sha2");
	else
		body = json_pack("{s:s}", "preset", "private_chat");
	r = hs_call(&hs, w->u.token, "POST", "/_matrix/client/v3/createRoom",
	    body, &st);
	ck_assert_int_eq(st, 200);
	w->room = xstrdup(json_get_str(r, "room_id", ""));
	json_decref(r);
	json_decref(body);
	w->store = tmp_store();
	w->dir = hs_tmpdir("haos-up");
	ck_assert_ptr_nonnull(w->dir);
	w->key = xstrdup(w->store);
	*strrchr(w->key, '/') = '\0';
	lp = w->key;
	w->key = xasprintf("%s/pickle-key", lp);
	free(lp);
	w->nt = notify_new();
	w->n = start_net_keys(&w->u, w->store, w->key, w->nt, 10);
	up_open_db(w);
	w->tag = 100;
}

static void
up_teardown(struct up_world *w)
{
	if (w->n != NULL)
		net_stop(w->n);
	sqlite3_close(w->db);
	notify_free(w->nt);
	hs_user_free(&w->u);
	free(w->store);
	free(w->key);
	free(w->dir);
	free(w->room);
}

static char *
up_write(struct up_world *w, const char *name, const void *data, size_t len)
{
	char	*path;
	FILE	*f;

	path = xasprintf("%s/%s", w->dir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

/*
 * Submit /upload of path; wait for its answer: NULL once queued (its
 * transaction id in *txn), else the error's text (caller frees).
 */
static char *
up_submit(struct up_world *w, const char *path, const char *caption,
    char **txn)
{
	struct job		*j;
	struct net_result	*res, *next;
	double			 end = now_s() + 30;
	char			*why = NULL;
	int			 done = 0;
	uint64_t		 tag = ++w->tag;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_UPLOAD;
	j->tag = tag;
	j->room_id = xstrdup(w->room);
	j->path = xstrdup(path);
	j->content = caption != NULL ? xstrdup(caption) : NULL;
	j->txn_id = matrix_txn_id();
	*txn = xstrdup(j->txn_id);
	net_submit(w->n, j);
	while (!done && now_s() < end) {
		wait_bits(w->nt, NOTIFY_RESULT, 1);
		for (res = net_results_take(w->n); res != NULL; res = next) {
			next = res->next;
			if (res->tag == tag) {
				done = 1;
				if (!res->ok)
					why = xstrdup(res->err->msg);
			}
			net_result_free(res);
		}
	}
	ck_assert_msg(done, "no answer to the upload");
	return why;
}

/* The room's m.room.message events (or m.room.encrypted), newest first. */
static json_t *
up_events(struct up_world *w, const char *type)
{
	json_t	*r, *ev, *out;
	char	*path;
	size_t	 i;
	int	 st;

	path = xasprintf("/_matrix/client/v3/rooms/%s/messages?dir=b&limit=50",
	    w->room);
	r = hs_call(&hs, w->u.token, "GET", path, NULL, &st);
	free(path);
	ck_assert_int_eq(st, 200);
	out = json_array();
	json_array_foreach(json_get_arr(r, "chunk"), i, ev) {
		if (strcmp(json_get_str(ev, "type", ""), type) == 0)
			json_array_append(out, ev);
	}
	json_decref(r);
	return out;
}

/* The bytes the server keeps for mxc. */
static char *
up_fetch(struct up_world *w, const char *mxc, size_t *len)
{
	struct http_req		 req;
	struct http_resp	 resp;
	struct haos_error	 err;
	char			*server, *id, *path, *url, *out;

	ck_assert_int_eq(matrix_mxc_parse(mxc, &server, &id), 0);
	path = matrix_media_download_path(server, id, 1);
	url = xasprintf("%s%s", hs.url, path);
	memset(&req, 0, sizeof req);
	req.method = "GET";
	req.url = url;
	req.token = w->u.token;
	ck_assert_msg(http_perform(&req, &resp, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(resp.status, 200);
	*len = resp.body_len;
	out = xmalloc(resp.body_len + 1);
	memcpy(out, resp.body, resp.body_len);
	http_resp_free(&resp);
	free(url);
	free(path);
	free(server);
	free(id);
	return out;
}

/* How many requests (and with status, if not 0) went to paths with what. */
static int
up_requests(const char *what, int status)
{
	json_t	*r, *e;
	size_t	 i;
	int	 st, n = 0;

	r = hs_call(&hs, NULL, "GET", "/_test/requests?since=0", NULL, &st);
	json_array_foreach(json_get_arr(r, "requests"), i, e) {
		if (strstr(json_get_str(e, "path", ""), what) != NULL &&
		    (status == 0 || json_integer_value(json_object_get(e,
		    "status")) == status))
			n++;
	}
	json_decref(r);
	return n;
}

/* The spool files left beside the store. */
static int
up_spooled(struct up_world *w)
{
	char	*dir, *cmd, buf[64];
	FILE	*p;
	int	 n = -1;

	dir = xstrdup(w->store);
	*strrchr(dir, '/') = '\0';
	cmd = xasprintf("ls '%s/spool' 2>/dev/null | wc -l", dir);
	p = popen(cmd, "r");
	if (p != NULL && fgets(buf, sizeof buf, p) != NULL)
		n = atoi(buf);
	if (p != NULL)
		pclose(p);
	free(cmd);
	free(dir);
	return n;
}

/* Send path; wait until its event is sent; the event (server's copy). */
static json_t *
up_send_wait(struct up_world *w, const char *path, const char *caption)
{
	json_t	*evs, *ev = NULL, *e;
	char	*txn, *why, *eid;
	size_t	 i;

	why = up_submit(w, path, caption, &txn);
	ck_assert_msg(why == NULL, "%s", why);
	up_db_wait(w->db, "SELECT state FROM outbox WHERE txn_id = ?1", txn,
	    "sent", 60);
	eid = up_db_text(w->db, "SELECT event_id FROM outbox WHERE txn_id = "
	    "?1", txn);
	ck_assert_ptr_nonnull(eid);
	evs = up_events(w, "m.room.message");
	json_array_foreach(evs, i, e) {
		if (strcmp(json_get_str(e, "event_id", ""), eid) == 0)
			ev = json_incref(e);
	}
	json_decref(evs);
	ck_assert_msg(ev != NULL, "event %s not on the server", eid);
	free(eid);
	free(txn);
	return ev;
}

/* Text, a PNG (w, h) and 5 MB of binary: the server keeps their bytes. */
START_TEST(test_upload_types)
{
	static const unsigned char png[] = {
		0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00,
		0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x03,
		0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0x12,
		0x16, 0xf1, 0x4d, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41,
		0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x41, 0x0c,
		0x70, 0x16, 0x00, 0x41, 0xd2, 0x05, 0xfb, 0x87, 0xf0, 0xb9,
		0x48, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
		0x42, 0x60, 0x82
	};
	static const char	 text[] = "hello, file\nline two\n";
	struct up_world		 w;
	unsigned char		*big;
	json_t			*ev, *c;
	char			*p, *got;
	size_t			 i, len;

	up_setup(&w, 0);
	p = up_write(&w, "notes.txt", text, strlen(text));
	ev = up_send_wait(&w, p, NULL);
	c = json_get_obj(ev, "content");
	ck_assert_str_eq(json_get_str(c, "msgtype", ""), "m.file");
	ck_assert_str_eq(json_get_str(c, "body", ""), "notes.txt");
	ck_assert_ptr_null(json_object_get(c, "filename"));
	ck_assert_str_eq(json_get_str(json_get_obj(c, "info"), "mimetype", ""),
	    "text/plain");
	ck_assert_int_eq(json_integer_value(json_path(c, "info.size")),
	    (json_int_t)strlen(text));
	got = up_fetch(&w, json_get_str(c, "url", ""), &len);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert(memcmp(got, text, len) == 0);
	free(got);
	json_decref(ev);
	free(p);

	p = up_write(&w, "red.png", png, sizeof png);
	ev = up_send_wait(&w, p, "a red picture");
	c = json_get_obj(ev, "content");
	ck_assert_str_eq(json_get_str(c, "msgtype", ""), "m.image");
	ck_assert_str_eq(json_get_str(c, "body", ""), "a red picture");
	ck_assert_str_eq(json_get_str(c, "filename", ""), "red.png");
	ck_assert_str_eq(json_get_str(json_get_obj(c, "info"), "mimetype", ""),
	    "image/png");
	ck_assert_int_eq(json_integer_value(json_path(c, "info.w")), 3);
	ck_assert_int_eq(json_integer_value(json_path(c, "info.h")), 2);
	got = up_fetch(&w, json_get_str(c, "url", ""), &len);
	ck_assert_uint_eq(len, sizeof png);
	ck_assert(memcmp(got, png, len) == 0);
	free(got);
	json_decref(ev);
	free(p);

	big = xmalloc(UP_BIG);
	for (i = 0; i < UP_BIG; i++)
		big[i] = (unsigned char)((i * 2654435761u) >> 13);
	p = up_write(&w, "blob.bin", big, UP_BIG);
	ev = up_send_wait(&w, p, NULL);
	c = json_get_obj(ev, "content");
	ck_assert_str_eq(json_get_str(c, "msgtype", ""), "m.file");
	ck_assert_str_eq(json_get_str(json_get_obj(c, "info"), "mimetype", ""),
	    "application/octet-stream");
	got = up_fetch(&w, json_get_str(c, "url", ""), &len);
	ck_assert_uint_eq(len, UP_BIG);
	ck_assert(memcmp(got, big, len) == 0);
	free(got);
	json_decref(ev);
	free(p);
	free(big);
	/* The limit asked once; every spool file gone once sent. */
	ck_assert_int_eq(up_requests("/media/config", 0), 1);
	ck_assert_int_eq(up_spooled(&w), 0);
	up_teardown(&w);
}
END_TEST

/* One byte over the server's limit: the sizes said, nothing sent. */
START_TEST(test_upload_too_large)
{
	struct up_world	 w;
	char		*p, *txn, *why, *data, *n;
	int		 before;

	ck_assert_int_eq(hs_faults(&hs, "{\"max_upload_size\": 1000}"), 0);
	up_setup(&w, 0);
	data = xcalloc(1, 1001);
	p = up_write(&w, "over.bin", data, 1001);
	before = up_requests("/media/v3/upload", 0);
	why = up_submit(&w, p, NULL, &txn);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, "over.bin") != NULL &&
	    strstr(why, "1001 bytes") != NULL &&
	    strstr(why, "1000 bytes") != NULL, "%s", why);
	n = up_db_text(w.db, "SELECT count(*) FROM outbox", NULL);
	ck_assert_str_eq(n, "0");
	free(n);
	ck_assert_int_eq(up_requests("/media/v3/upload", 0), before);
	ck_assert_int_eq(up_spooled(&w), 0);
	free(why);
	free(txn);
	free(p);
	/* At the limit: sent. */
	p = up_write(&w, "fits.bin", data, 1000);
	json_decref(up_send_wait(&w, p, NULL));
	free(p);
	free(data);
	json_decref(hs_call(&hs, NULL, "DELETE", "/_test/faults", NULL, NULL));
	up_teardown(&w);
}
END_TEST

/* A cut upload and a 500: tried again, the file arrives once. */
START_TEST(test_upload_interrupted)
{
	struct up_world	 w;
	unsigned char	*data;
	json_t		*ev, *evs;
	char		*p, *got;
	size_t		 i, len = 400000, glen;
	int		 ok_before;

	up_setup(&w, 0);
	data = xmalloc(len);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 31 + 7);
	p = up_write(&w, "clip.bin", data, len);
	ok_before = up_requests("/media/v3/upload", 0);
	ck_assert_int_eq(hs_faults(&hs, "{\"faults\": [{\"action\": \"drop\", "
	    "\"path\": \"/media/v3/upload\", \"process\": false, \"count\": "
	    "1}, {\"action\": \"status\", \"status\": 502, \"path\": "
	    "\"/media/v3/upload\", \"count\": 1}]}"), 0);
	ev = up_send_wait(&w, p, NULL);
	got = up_fetch(&w, json_get_str(json_get_obj(ev, "content"), "url", ""),
	    &glen);
	ck_assert_uint_eq(glen, len);
	ck_assert(memcmp(got, data, len) == 0);
	/* Cut, 502, then in: three POSTs, no more. */
	ck_assert_int_eq(up_requests("/media/v3/upload", 0), ok_before + 3);
	evs = up_events(&w, "m.room.message");
	ck_assert_uint_eq(json_array_size(evs), 1);
	json_decref(evs);
	json_decref(ev);
	free(got);
	free(p);
	free(data);
	json_decref(hs_call(&hs, NULL, "DELETE", "/_test/faults", NULL, NULL));
	up_teardown(&w);
}
END_TEST

/* A 413 at upload time fails the row with the reason. */
START_TEST(test_upload_refused)
{
	struct up_world	 w;
	char		*p, *txn, *why, *err;

	up_setup(&w, 0);
	p = up_write(&w, "x.txt", "refuse me", 9);
	ck_assert_int_eq(hs_faults(&hs, "{\"faults\": [{\"action\": "
	    "\"status\", \"status\": 413, \"errcode\": \"M_TOO_LARGE\", "
	    "\"error\": \"Upload request body is too large\", \"path\": "
	    "\"/media/v3/upload\", \"count\": 1}]}"), 0);
	why = up_submit(&w, p, NULL, &txn);
	ck_assert_msg(why == NULL, "%s", why);
	up_db_wait(w.db, "SELECT state FROM outbox WHERE txn_id = ?1", txn,
	    "failed", 30);
	err = up_db_text(w.db, "SELECT error FROM outbox WHERE txn_id = ?1",
	    txn);
	ck_assert_msg(err != NULL && strstr(err, "too large") != NULL, "%s",
	    err);
	/* Kept for the user to retry or discard: the spool file stays. */
	ck_assert_int_eq(up_spooled(&w), 1);
	free(err);
	free(txn);
	free(p);
	json_decref(hs_call(&hs, NULL, "DELETE", "/_test/faults", NULL, NULL));
	up_teardown(&w);
}
END_TEST

/* Queued, haos stopped mid-upload, the original deleted: still sent. */
START_TEST(test_upload_restart)
{
	static const char	 text[] = "sent after a restart\n";
	struct up_world		 w;
	json_t			*ev;
	char			*p, *txn, *why, *got;
	size_t			 len;

	up_setup(&w, 0);
	p = up_write(&w, "later.txt", text, strlen(text));
	ck_assert_int_eq(hs_faults(&hs, "{\"faults\": [{\"action\": \"delay\", "
	    "\"path\": \"/media/v3/upload\", \"ms\": 4000, \"count\": 1}]}"),
	    0);
	why = up_submit(&w, p, NULL, &txn);
	ck_assert_msg(why == NULL, "%s", why);
	up_db_wait(w.db, "SELECT upload FROM outbox WHERE txn_id = ?1", txn,
	    "uploading", 20);
	net_stop(w.n);
	ck_assert_int_eq(unlink(p), 0);
	w.n = start_net_keys(&w.u, w.store, w.key, w.nt, 10);
	up_db_wait(w.db, "SELECT state FROM outbox WHERE txn_id = ?1", txn,
	    "sent", 60);
	ev = up_events(&w, "m.room.message");
	ck_assert_uint_ge(json_array_size(ev), 1);
	got = up_fetch(&w, json_get_str(json_get_obj(json_array_get(ev, 0),
	    "content"), "url", ""), &len);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert(memcmp(got, text, len) == 0);
	ck_assert_int_eq(up_spooled(&w), 0);
	free(got);
	json_decref(ev);
	free(txn);
	free(p);
	json_decref(hs_call(&hs, NULL, "DELETE", "/_test/faults", NULL, NULL));
	up_teardown(&w);
}
END_TEST

/*
 * An encrypted room: the server gets ciphertext as octet-stream, the
 * event goes encrypted, and the row's file object opens it to the
 * file's bytes.
 */
START_TEST(test_upload_encrypted)
{
	static const char		 text[] = "secret attachment bytes\n";
	struct crypto_attachment	*a;
	struct haos_error		 err;
	struct up_world			 w;
	json_t				*c, *file, *evs;
	char				*p, *txn, *why, *content, *got, *mime;
	unsigned char			 plain[64];
	size_t				 len;

	up_setup(&w, 1);
	p = up_write(&w, "secret.txt", text, strlen(text));
	why = up_submit(&w, p, NULL, &txn);
	ck_assert_msg(why == NULL, "%s", why);
	up_db_wait(w.db, "SELECT state FROM outbox WHERE txn_id = ?1", txn,
	    "sent", 60);
	content = up_db_text(w.db, "SELECT content FROM outbox WHERE txn_id = "
	    "?1", txn);
	c = json_loads(content, 0, NULL);
	ck_assert_ptr_null(json_object_get(c, "url"));
	file = json_get_obj(c, "file");
	ck_assert_ptr_nonnull(file);
	ck_assert_str_eq(json_get_str(json_get_obj(c, "info"), "mimetype", ""),
	    "text/plain");
	got = up_fetch(&w, json_get_str(file, "url", ""), &len);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert(memcmp(got, text, len) != 0);
	a = crypto_attachment_open(file, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	ck_assert_int_eq(crypto_attachment_update(a, got, len, plain, &err),
	    0);
	ck_assert_int_eq(crypto_attachment_verify(a, &err), 0);
	ck_assert(memcmp(plain, text, len) == 0);
	crypto_attachment_free(a);
	mime = up_db_text(w.db, "SELECT upload_type FROM outbox WHERE txn_id "
	    "= ?1", txn);
	ck_assert_str_eq(mime, "application/octet-stream");
	/* Never the message in the clear. */
	evs = up_events(&w, "m.room.message");
	ck_assert_uint_eq(json_array_size(evs), 0);
	json_decref(evs);
	evs = up_events(&w, "m.room.encrypted");
	ck_assert_uint_eq(json_array_size(evs), 1);
	json_decref(evs);
	free(mime);
	free(got);
	json_decref(c);
	free(content);
	free(txn);
	free(p);
	up_teardown(&w);
}
END_TEST

/*
 * Queued in clear, the room turned encrypted before its turn came (a
 * message ahead of it held by the server): sealed before the POST,
 * never a clear file into an encrypted room.
 */
START_TEST(test_upload_sealed_late)
{
	static const char	 text[] = "queued before the room turned";
	struct up_world		 w;
	struct job		*j;
	json_t			*body, *r, *evs;
	char			*p, *txn, *why, *path, *file, *got, *mime;
	int			 st;
	size_t			 len;

	up_setup(&w, 0);
	ck_assert_int_eq(hs_faults(&hs, "{\"faults\": [{\"action\": \"delay\", "
	    "\"path\": \"/send/m.room.message/\", \"ms\": 3000, \"count\": "
	    "1}]}"), 0);
	j = net_job_send(w.room, "m.room.message",
	    "{\"msgtype\": \"m.text\", \"body\": \"ahead\"}");
	net_submit(w.n, j);
	p = up_write(&w, "late.txt", text, strlen(text));
	why = up_submit(&w, p, NULL, &txn);
	ck_assert_msg(why == NULL, "%s", why);
	file = up_db_text(w.db, "SELECT upload_file FROM outbox WHERE txn_id "
	    "= ?1", txn);
	ck_assert_ptr_null(file);	/* queued in clear */
	path = xasprintf("/_matrix/client/v3/rooms/%s/state/"
	    "m.room.encryption/", w.room);
	body = json_pack("{s:s}", "algorithm", "m.megolm.v1.aes-sha2");
	r = hs_call(&hs, w.u.token, "PUT", path, body, &st);
	ck_assert_int_eq(st, 200);
	json_decref(r);
	json_decref(body);
	free(path);
	up_db_wait(w.db, "SELECT state FROM outbox WHERE txn_id = ?1", txn,
	    "sent", 60);
	mime = up_db_text(w.db, "SELECT upload_type FROM outbox WHERE txn_id "
	    "= ?1", txn);
	ck_assert_str_eq(mime, "application/octet-stream");
	file = up_db_text(w.db, "SELECT json_extract(content, '$.file.url') "
	    "FROM outbox WHERE txn_id = ?1", txn);
	ck_assert_ptr_nonnull(file);
	got = up_fetch(&w, file, &len);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert(memcmp(got, text, len) != 0);
	evs = up_events(&w, "m.room.encrypted");
	ck_assert_uint_ge(json_array_size(evs), 1);
	json_decref(evs);
	ck_assert_int_eq(up_spooled(&w), 0);
	free(got);
	free(file);
	free(mime);
	free(txn);
	free(p);
	json_decref(hs_call(&hs, NULL, "DELETE", "/_test/faults", NULL, NULL));
	up_teardown(&w);
}
END_TEST

Suite *
suite_upload(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("upload");
	tc = tcase_create("upload");
	tcase_add_checked_fixture(tc, net_fixture_setup,
	    net_fixture_teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_upload_types);
	tcase_add_test(tc, test_upload_too_large);
	tcase_add_test(tc, test_upload_interrupted);
	tcase_add_test(tc, test_upload_refused);
	tcase_add_test(tc, test_upload_restart);
	tcase_add_test(tc, test_upload_encrypted);
	tcase_add_test(tc, test_upload_sealed_late);
	suite_add_tcase(s, tc);
	return s;
}
