/* The session file: 0600, atomic, round trip, bad contents. */
#include "check_haos.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/session.h"
#include "haos/xmalloc.h"

START_TEST(test_roundtrip)
{
	struct session		 s, r;
	struct haos_error	 err;
	struct stat		 st;
	char			*dir, *path;

	dir = test_tmpdir();
	path = xasprintf("%s/session.json", dir);
	s.user_id = xstrdup("@alice:haos.test");
	s.homeserver = xstrdup("http://127.0.0.1:8008");
	s.access_token = xstrdup("syt_YWxpY2U_secret_token");
	s.device_id = xstrdup("ABCDEFGHIJ");
	umask(022);
	ck_assert_int_eq(session_save(&s, path, &err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(session_load(&r, path, &err), 0);
	ck_assert_str_eq(r.user_id, s.user_id);
	ck_assert_str_eq(r.homeserver, s.homeserver);
	ck_assert_str_eq(r.access_token, s.access_token);
	ck_assert_str_eq(r.device_id, s.device_id);
	session_free(&r);

	/* Overwriting keeps 0600 and leaves no temporary file behind. */
	free(s.device_id);
	s.device_id = xstrdup("KLMNOPQRST");
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(session_save(&s, path, &err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(session_load(&r, path, &err), 0);
	ck_assert_str_eq(r.device_id, "KLMNOPQRST");
	session_free(&r);

	ck_assert_int_eq(session_delete(path, &err), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(session_delete(path, &err), 0);
	ck_assert_int_eq(rmdir(dir), 0);	/* empty: no stray files */
	session_free(&s);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_missing_and_bad)
{
	struct session		 r;
	struct haos_error	 err;
	char			*dir, *path;
	FILE			*f;

	dir = test_tmpdir();
	path = xasprintf("%s/session.json", dir);
	ck_assert_int_eq(session_load(&r, path, &err), -1);
	ck_assert_int_eq(err.code, HAOS_EAUTH);
	ck_assert_ptr_nonnull(strstr(err.msg, "haos login"));

	f = fopen(path, "w");
	fputs("{\"user_id\": \"@a:b\", \"homeserver\": \"https://b\"}", f);
	fclose(f);
	ck_assert_int_eq(session_load(&r, path, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "incomplete session"));

	f = fopen(path, "w");
	fputs("{not json", f);
	fclose(f);
	ck_assert_int_eq(session_load(&r, path, &err), -1);
	ck_assert_int_eq(err.code, HAOS_EIO);
	test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_unwritable)
{
	struct session		 s;
	struct haos_error	 err;

	s.user_id = xstrdup("@alice:haos.test");
	s.homeserver = xstrdup("http://x");
	s.access_token = xstrdup("t");
	s.device_id = xstrdup("D");
	ck_assert_int_eq(session_save(&s, "/nonexistent/dir/session.json",
	    &err), -1);
	ck_assert_int_eq(err.code, HAOS_EIO);
	session_free(&s);
}
END_TEST

/* Fill s with a test session. */
static void
fill(struct session *s)
{
	s->user_id = xstrdup("@alice:haos.test");
	s->homeserver = xstrdup("http://x");
	s->access_token = xstrdup("syt_secret_token");
	s->device_id = xstrdup("D");
}

/* A symlink planted at the temporary name is refused, its target kept. */
START_TEST(test_tmp_symlink)
{
	struct session		 s;
	struct haos_error	 err;
	struct stat		 st;
	char			*dir, *path, *tmp, *target, *text;
	FILE			*f;

	dir = test_tmpdir();
	path = xasprintf("%s/session.json", dir);
	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	target = xasprintf("%s/victim", dir);
	f = fopen(target, "w");
	ck_assert_ptr_nonnull(f);
	fputs("precious\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(target, 0644), 0);
	ck_assert_int_eq(symlink(target, tmp), 0);
	fill(&s);
	ck_assert_int_eq(session_save(&s, path, &err), -1);
	ck_assert_int_eq(err.code, HAOS_EIO);
	text = test_read_file(target);
	ck_assert_str_eq(text, "precious\n");
	free(text);
	ck_assert_int_eq(stat(target, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	ck_assert_int_eq(access(path, F_OK), -1);

	/* A dangling one, pointing where a file would be created: same. */
	ck_assert_int_eq(unlink(tmp), 0);
	ck_assert_int_eq(unlink(target), 0);
	ck_assert_int_eq(symlink(target, tmp), 0);
	ck_assert_int_eq(session_save(&s, path, &err), -1);
	ck_assert_int_eq(lstat(target, &st), -1);

	/* A stale temporary file of ours is replaced. */
	ck_assert_int_eq(unlink(tmp), 0);
	f = fopen(tmp, "w");
	ck_assert_ptr_nonnull(f);
	fputs("stale", f);
	fclose(f);
	ck_assert_int_eq(session_save(&s, path, &err), 0);
	ck_assert_int_eq(access(tmp, F_OK), -1);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	session_free(&s);
	test_rmtree(dir);
	free(target);
	free(tmp);
	free(path);
	free(dir);
}
END_TEST

/* A login answer's tokens are zeroed in place before it is freed. */
START_TEST(test_wipe_login)
{
	json_t		*resp;
	const char	*tok, *ref, *uid;
	size_t		 i;

	resp = json_loads("{\"user_id\":\"@a:x\",\"access_token\":"
	    "\"syt_secret\",\"refresh_token\":\"syr_secret\","
	    "\"device_id\":\"D\"}", 0, NULL);
	ck_assert_ptr_nonnull(resp);
	tok = json_string_value(json_object_get(resp, "access_token"));
	ref = json_string_value(json_object_get(resp, "refresh_token"));
	uid = json_string_value(json_object_get(resp, "user_id"));
	matrix_wipe_login(resp);
	for (i = 0; i < strlen("syt_secret"); i++) {
		ck_assert_int_eq(tok[i], 0);
		ck_assert_int_eq(ref[i], 0);
	}
	ck_assert_str_eq(uid, "@a:x");
	json_decref(resp);
	matrix_wipe_login(NULL);	/* harmless */
}
END_TEST

Suite *
suite_session(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("session");
	tc = tcase_create("file");
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_missing_and_bad);
	tcase_add_test(tc, test_unwritable);
	tcase_add_test(tc, test_tmp_symlink);
	tcase_add_test(tc, test_wipe_login);
	suite_add_tcase(s, tc);
	return s;
}
