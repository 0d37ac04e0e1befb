/*
 * Attachments to send: msgtype and info, the probe (libmagic,
 * gdk-pixbuf), /upload's argument, the spool, and the outbox row's
 * upload states.
 */
#include "check_haos.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/cmd.h"
#include "haos/crypto-attachment.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/model.h"
#include "haos/paste.h"
#include "haos/spool.h"
#include "haos/store.h"
#include "haos/upload.h"
#include "haos/xmalloc.h"

static char	*dir;

static void
upload_setup(void)
{
	dir = test_tmpdir();
}

static void
upload_teardown(void)
{
	test_rmtree(dir);
	free(dir);
}

static char *
upload_file(const char *name, const void *data, size_t len)
{
	char	*path;
	FILE	*f;

	path = xasprintf("%s/%s", dir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

START_TEST(test_msgtype)
{
	ck_assert_str_eq(upload_msgtype("image/png"), "m.image");
	ck_assert_str_eq(upload_msgtype("image/svg+xml"), "m.image");
	ck_assert_str_eq(upload_msgtype("video/mp4"), "m.video");
	ck_assert_str_eq(upload_msgtype("audio/ogg"), "m.audio");
	ck_assert_str_eq(upload_msgtype("text/plain"), "m.file");
	ck_assert_str_eq(upload_msgtype("application/pdf"), "m.file");
	ck_assert_str_eq(upload_msgtype("imagex/png"), "m.file");
	ck_assert_str_eq(upload_msgtype(NULL), "m.file");
	ck_assert(upload_mimetype_ok("image/png"));
	ck_assert(upload_mimetype_ok("application/vnd.oasis.opendocument."
	    "text"));
	ck_assert(!upload_mimetype_ok("text/plain; charset=us-ascii"));
	ck_assert(!upload_mimetype_ok("image/"));
	ck_assert(!upload_mimetype_ok("/png"));
	ck_assert(!upload_mimetype_ok("a/b/c"));
	ck_assert(!upload_mimetype_ok("text\n/plain"));
	ck_assert(!upload_mimetype_ok(""));
}
END_TEST

/* The HAOS web app's / Element's shape; a caption as spec v1.10 says. */
START_TEST(test_content)
{
	struct upload_info	 u;
	json_t			*c, *file;

	memset(&u, 0, sizeof u);
	u.name = xstrdup("shot.png");
	u.mimetype = xstrdup("image/png");
	u.size = 1234;
	u.w = 640;
	u.h = 480;
	c = upload_content(&u);
	ck_assert_str_eq(json_get_str(c, "msgtype", ""), "m.image");
	ck_assert_str_eq(json_get_str(c, "body", ""), "shot.png");
	ck_assert_ptr_null(json_object_get(c, "filename"));
	ck_assert_ptr_null(json_object_get(c, "url"));
	ck_assert_str_eq(json_get_str(json_get_obj(c, "info"), "mimetype", ""),
	    "image/png");
	ck_assert_int_eq(json_integer_value(json_path(c, "info.size")), 1234);
	ck_assert_int_eq(json_integer_value(json_path(c, "info.w")), 640);
	ck_assert_int_eq(json_integer_value(json_path(c, "info.h")), 480);
	ck_assert_int_eq(upload_set_url(c, "mxc://hs/abc", NULL), 0);
	ck_assert_str_eq(json_get_str(c, "url", ""), "mxc://hs/abc");
	ck_assert_int_eq(upload_set_url(c, "https://evil/", NULL), -1);
	json_decref(c);

	/* A caption: body, the name in filename; no w/h for a file. */
	u.caption = xstrdup("the report");
	free(u.mimetype);
	u.mimetype = xstrdup("application/pdf");
	u.w = u.h = 0;
	c = upload_content(&u);
	ck_assert_str_eq(json_get_str(c, "msgtype", ""), "m.file");
	ck_assert_str_eq(json_get_str(c, "body", ""), "the report");
	ck_assert_str_eq(json_get_str(c, "filename", ""), "shot.png");
	ck_assert_ptr_null(json_path(c, "info.w"));
	/* Encrypted: file with its url, never url. */
	file = json_pack("{s:s,s:s}", "v", "v2", "iv", "AAAA");
	ck_assert_int_eq(upload_set_url(c, "mxc://hs/enc", file), 0);
	ck_assert_ptr_null(json_object_get(c, "url"));
	ck_assert_str_eq(json_get_str(json_get_obj(c, "file"), "url", ""),
	    "mxc://hs/enc");
	ck_assert_str_eq(json_get_str(json_get_obj(c, "file"), "v", ""), "v2");
	ck_assert_ptr_null(json_object_get(file, "url"));	/* copied */
	json_decref(file);
	json_decref(c);
	upload_info_free(&u);
}
END_TEST

/* libmagic by content (not the name), gdk-pixbuf's size of an image. */
START_TEST(test_probe)
{
	static const char	 text[] = "plain words\nin two lines\n";
	struct haos_error	 err;
	struct upload_info	 u;
	char			*fix, *png, *path;
	int			 fd;

	fix = test_fixture("upload/red-3x2.png");
	png = test_read_file(fix);
	ck_assert_ptr_nonnull(png);
	/* A PNG named .txt is still a PNG. */
	path = upload_file("picture.txt", png, 73);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(upload_probe(path, fd, &u, &err), 0);
	ck_assert_str_eq(u.mimetype, "image/png");
	ck_assert_str_eq(u.name, "picture.txt");
	ck_assert_int_eq(u.size, 73);
	ck_assert_int_eq(u.w, 3);
	ck_assert_int_eq(u.h, 2);
	close(fd);
	upload_info_free(&u);
	free(path);

	path = upload_file("notes", text, strlen(text));
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(upload_probe(path, fd, &u, &err), 0);
	ck_assert_str_eq(u.mimetype, "text/plain");
	ck_assert_int_eq(u.w, 0);
	ck_assert_int_eq(u.size, (int64_t)strlen(text));
	close(fd);
	upload_info_free(&u);
	free(path);

	/* A broken image: the type, no size, no crash. */
	path = upload_file("broken.png", png, 30);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(upload_probe(path, fd, &u, &err), 0);
	ck_assert_int_eq(u.w, 0);
	close(fd);
	upload_info_free(&u);
	free(path);

	/* A directory is refused. */
	fd = open(dir, O_RDONLY);
	ck_assert_int_eq(upload_probe(dir, fd, &u, &err), -1);
	close(fd);
	free(png);
	free(fix);
}
END_TEST

static void
split_expect(const char *line, const char *path, const char *caption)
{
	char	*p, *c;

	ck_assert_int_eq(cmd_upload_split(line, &p, &c), 0);
	ck_assert_str_eq(p, path);
	if (caption == NULL)
		ck_assert_ptr_null(c);
	else
		ck_assert_str_eq(c, caption);
	free(p);
	free(c);
}

START_TEST(test_split)
{
	char	*p, *c, *want;

	split_expect("a.png", "a.png", NULL);
	split_expect("  a.png   look at this  ", "a.png", "look at this  ");
	split_expect("\"my file.png\" it's here", "my file.png", "it's here");
	split_expect("'it''s.png'", "it", "'s.png'");
	split_expect("my\\ file.png", "my file.png", NULL);
	split_expect("/tmp/x.bin don't \"quote\"", "/tmp/x.bin",
	    "don't \"quote\"");
	setenv("HOME", "/home/me", 1);
	want = xstrdup("/home/me/pics/a.png");
	split_expect("~/pics/a.png", want, NULL);
	free(want);
	ck_assert_int_eq(cmd_upload_split("   ", &p, &c), -1);
	ck_assert_int_eq(cmd_upload_split("\"\" caption", &p, &c), -1);
}
END_TEST

static void
paste_expect(const char *text, const char *want)
{
	char	*got = paste_file_path(text);

	if (want == NULL)
		ck_assert_msg(got == NULL, "%s -> %s", text, got);
	else {
		ck_assert_msg(got != NULL, "%s -> NULL", text);
		ck_assert_str_eq(got, want);
	}
	free(got);
}

/* A pasted line naming a file, as file managers paste it; else text. */
START_TEST(test_paste)
{
	char	*a, *b, *t, *p, *c, *arg, *line;

	a = upload_file("my file's.png", "x", 1);
	b = upload_file("plain.txt", "y", 1);
	paste_expect(b, b);
	t = xasprintf("%s\n", b);
	paste_expect(t, b);		/* a final newline */
	free(t);
	t = xasprintf("  '%s'  ", b);
	paste_expect(t, b);
	free(t);
	t = xasprintf("\"%s\"", a);
	paste_expect(t, a);
	free(t);
	t = xasprintf("file://%s", a);
	paste_expect(t, a);
	free(t);
	/* file:// with %XX (a space, the quote), and localhost. */
	t = xasprintf("file://localhost%s/my%%20file%%27s.png", dir);
	paste_expect(t, a);
	free(t);
	t = xasprintf("file://otherhost%s", b);
	paste_expect(t, NULL);
	free(t);
	t = xasprintf("%s/my\\ file\\'s.png", dir);
	paste_expect(t, a);
	free(t);
	/* Two lines, a directory, no such file, a bare word: text. */
	t = xasprintf("%s\n%s", b, b);
	paste_expect(t, NULL);
	free(t);
	paste_expect(dir, NULL);
	t = xasprintf("%s/nope.txt", dir);
	paste_expect(t, NULL);
	free(t);
	paste_expect("plain.txt", NULL);
	paste_expect("hello world", NULL);
	paste_expect("", NULL);
	t = xasprintf("file://%s%%00x", b);
	paste_expect(t, NULL);
	free(t);
	/* The question's command gives /upload the same path. */
	arg = paste_cmd_arg(a);
	line = xasprintf("%s a caption", arg);
	ck_assert_int_eq(cmd_upload_split(line, &p, &c), 0);
	ck_assert_str_eq(p, a);
	ck_assert_str_eq(c, "a caption");
	free(p);
	free(c);
	free(line);
	free(arg);
	free(a);
	free(b);
}
END_TEST

/* Spooled: the same bytes, or sealed ones that open to them. */
START_TEST(test_spool)
{
	struct crypto_attachment	*seal, *open_;
	struct haos_error		 err;
	unsigned char			*data, *plain;
	char				*src, *sdir, *out, *back, *keep[1];
	json_t				*file;
	int64_t				 size;
	size_t				 i, len = 200000;
	int				 fd;

	data = xmalloc(len);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	src = upload_file("src.bin", data, len);
	sdir = xasprintf("%s/spool", dir);
	fd = open(src, O_RDONLY);
	ck_assert_int_eq(spool_copy(fd, sdir, 0, NULL, &out, &size, &err), 0);
	ck_assert_int_eq(size, (int64_t)len);
	back = test_read_file(out);
	ck_assert(memcmp(back, data, len) == 0);
	free(back);

	/* Bounded: a file past the limit leaves nothing behind. */
	ck_assert_int_eq(spool_copy(fd, sdir, 1000, NULL, &back, &size, &err),
	    -1);
	ck_assert_ptr_null(back);

	/* Sealed: ciphertext, which the file object opens. */
	seal = crypto_attachment_seal();
	ck_assert_int_eq(spool_copy(fd, sdir, 0, seal, &back, &size, &err),
	    0);
	close(fd);
	file = crypto_attachment_file(seal, "mxc://hs/x");
	crypto_attachment_free(seal);
	ck_assert_ptr_nonnull(file);
	free(src);
	src = test_read_file(back);
	ck_assert(memcmp(src, data, len) != 0);
	open_ = crypto_attachment_open(file, &err);
	ck_assert_msg(open_ != NULL, "%s", err.msg);
	plain = xmalloc(len);
	ck_assert_int_eq(crypto_attachment_update(open_, src, len, plain,
	    &err), 0);
	ck_assert_int_eq(crypto_attachment_verify(open_, &err), 0);
	ck_assert(memcmp(plain, data, len) == 0);
	crypto_attachment_free(open_);
	json_decref(file);

	/* The sweep keeps what rows need, removes the rest. */
	keep[0] = back;
	spool_sweep(sdir, keep, 1);
	ck_assert_int_eq(access(back, F_OK), 0);
	ck_assert_int_eq(access(out, F_OK), -1);
	spool_sweep(sdir, NULL, 0);
	ck_assert_int_eq(access(back, F_OK), -1);
	free(plain);
	free(src);
	free(back);
	free(out);
	free(sdir);
	free(data);
}
END_TEST

/* waiting -> uploading -> (waiting) -> uploaded, the content with it. */
START_TEST(test_outbox_states)
{
	struct haos_error	 err;
	struct outbox_upload	 ou;
	struct outbox_row	*rows;
	struct store		*s;
	char			*path, **spooled;
	size_t			 n, ns;

	path = xasprintf("%s/store.db", dir);
	s = store_open(path, STORE_RW, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	memset(&ou, 0, sizeof ou);
	ou.path = "/spool/upload-1";
	ou.type = "image/png";
	ou.name = "a.png";
	ou.size = 73;
	ck_assert_int_ne(store_outbox_add_upload(s, "!r:hs", "t1",
	    "{\"msgtype\":\"m.image\",\"body\":\"a.png\"}", &ou, &err), -1);
	ck_assert_int_eq(store_query_outbox(s, OUTBOX_PENDING, &rows, &n,
	    &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rows[0].upload, "waiting");
	ck_assert_str_eq(rows[0].upload_path, "/spool/upload-1");
	ck_assert_str_eq(rows[0].upload_type, "image/png");
	ck_assert_str_eq(rows[0].upload_name, "a.png");
	ck_assert_int_eq(rows[0].upload_size, 73);
	ck_assert_ptr_null(rows[0].upload_file);
	ck_assert_str_eq(rows[0].type, "m.room.message");
	outbox_rows_free(rows, n);

	ck_assert_int_eq(store_outbox_upload_state(s, "t1", "uploading",
	    &err), 1);
	ck_assert_int_eq(store_outbox_upload_state(s, "t1", "waiting", &err),
	    1);
	ck_assert_int_eq(store_outbox_uploaded(s, "t1", "mxc://hs/m",
	    "{\"msgtype\":\"m.image\",\"url\":\"mxc://hs/m\"}", &err), 1);
	/* Uploaded is final: never back to waiting, never uploaded twice. */
	ck_assert_int_eq(store_outbox_upload_state(s, "t1", "waiting", &err),
	    0);
	ck_assert_int_eq(store_outbox_uploaded(s, "t1", "mxc://hs/other",
	    "{}", &err), 0);
	ck_assert_int_eq(store_query_outbox(s, OUTBOX_PENDING, &rows, &n,
	    &err), 0);
	ck_assert_str_eq(rows[0].upload, "uploaded");
	ck_assert_ptr_nonnull(strstr(rows[0].content, "mxc://hs/m"));
	outbox_rows_free(rows, n);

	/* Spool files of unsent rows only. */
	ck_assert_int_eq(store_outbox_spooled(s, &spooled, &ns, &err), 0);
	ck_assert_uint_eq(ns, 1);
	ck_assert_str_eq(spooled[0], "/spool/upload-1");
	free(spooled[0]);
	free(spooled);
	ck_assert_int_eq(store_outbox_mark_sent(s, "t1", "$e", &err), 0);
	ck_assert_int_eq(store_outbox_spooled(s, &spooled, &ns, &err), 0);
	ck_assert_uint_eq(ns, 0);
	free(spooled);

	/* Sealed after it was queued. */
	ou.path = "/spool/upload-2";
	ck_assert_int_ne(store_outbox_add_upload(s, "!r:hs", "t2", "{}", &ou,
	    &err), -1);
	ou.path = "/spool/upload-3";
	ou.type = "application/octet-stream";
	ou.file = "{\"v\":\"v2\"}";
	ou.size = 80;
	ck_assert_int_eq(store_outbox_upload_sealed(s, "t2", &ou, &err), 1);
	ck_assert_int_eq(store_query_outbox(s, OUTBOX_PENDING, &rows, &n,
	    &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rows[0].upload_path, "/spool/upload-3");
	ck_assert_str_eq(rows[0].upload_type, "application/octet-stream");
	ck_assert_str_eq(rows[0].upload_file, "{\"v\":\"v2\"}");
	ck_assert_int_eq(rows[0].upload_size, 80);
	outbox_rows_free(rows, n);
	/* A row of another kind has no upload. */
	ck_assert_int_ne(store_outbox_add(s, "!r:hs", "t3", "m.room.message",
	    NULL, "{}", NULL, &err), -1);
	ck_assert_int_eq(store_query_outbox(s, OUTBOX_PENDING, &rows, &n,
	    &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_ptr_null(rows[1].upload);
	outbox_rows_free(rows, n);
	store_close(s);
	free(path);
}
END_TEST

Suite *
suite_upload(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("upload");
	tc = tcase_create("upload");
	tcase_add_checked_fixture(tc, upload_setup, upload_teardown);
	tcase_add_test(tc, test_msgtype);
	tcase_add_test(tc, test_content);
	tcase_add_test(tc, test_probe);
	tcase_add_test(tc, test_split);
	tcase_add_test(tc, test_paste);
	tcase_add_test(tc, test_spool);
	tcase_add_test(tc, test_outbox_states);
	suite_add_tcase(s, tc);
	return s;
}
