/* Log levels, redaction of tokens in URLs, inert control characters. */
#include "check_haos.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/log.h"
#include "haos/xmalloc.h"

START_TEST(test_redact_url)
{
	char	*r;

	r = log_redact_url("https://h/_matrix/client/v3/sync?access_token="
	    "syt_abc_def&since=s1");
	ck_assert_str_eq(r, "https://h/_matrix/client/v3/sync?access_token="
	    "<redacted>&since=s1");
	free(r);
	r = log_redact_url("https://h/x?a=1&access_token=t&access_token=uu");
	ck_assert_str_eq(r, "https://h/x?a=1&access_token=<redacted>"
	    "&access_token=<redacted>");
	free(r);
	r = log_redact_url("https://h/x");
	ck_assert_str_eq(r, "https://h/x");
	free(r);
}
END_TEST

START_TEST(test_levels_and_file)
{
	enum log_level	 l;
	struct stat	 st;
	char		*dir, *path, *text;

	ck_assert_int_eq(log_level_parse("DEBUG", &l), 0);
	ck_assert_int_eq(l, LOG_DEBUG);
	ck_assert_int_eq(log_level_parse("loud", &l), -1);

	dir = test_tmpdir();
	path = xasprintf("%s/t.log", dir);
	ck_assert_int_eq(log_open(path, LOG_INFO), 0);
	log_debug("test", "hidden %d", 1);
	log_info("test", "shown %d", 2);
	log_warn("test", "evil \033[31mred\007");
	/* C1 (CSI as U+009B, OSC as U+009D) and a raw 8-bit CSI byte. */
	log_warn("test", "c1 \xc2\x9b" "31mx\xc2\x9d" "2;t\x07 \x9b" "1m end");
	log_close();
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	text = test_read_file(path);
	ck_assert_ptr_null(strstr(text, "hidden"));
	ck_assert_ptr_nonnull(strstr(text, "info  test: shown 2"));
	/* The escape sequence is gone whole, not half-escaped. */
	ck_assert_ptr_nonnull(strstr(text, "warn  test: evil red\n"));
	ck_assert_ptr_null(strchr(text, '\033'));
	ck_assert_ptr_null(strstr(text, "\xc2\x9b"));
	ck_assert_ptr_null(strstr(text, "\xc2\x9d"));
	ck_assert_ptr_null(strchr(text, '\x07'));
	ck_assert_ptr_nonnull(strstr(text, "warn  test: c1 "));
	ck_assert_ptr_nonnull(strstr(text, " end\n"));
	free(text);
	test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

/* The log is never opened through a planted symlink. */
START_TEST(test_symlink_refused)
{
	struct stat	 st;
	char		*dir, *path, *target, *text;
	FILE		*f;

	dir = test_tmpdir();
	path = xasprintf("%s/t.log", dir);
	target = xasprintf("%s/victim", dir);
	f = fopen(target, "w");
	ck_assert_ptr_nonnull(f);
	fputs("precious\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(target, 0644), 0);
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_eq(log_open(path, LOG_DEBUG), -1);
	log_warn("test", "must go nowhere");
	log_close();
	text = test_read_file(target);
	ck_assert_str_eq(text, "precious\n");
	free(text);
	ck_assert_int_eq(stat(target, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);

	/* A log of ours left open to others is narrowed to 0600. */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rename(target, path), 0);
	ck_assert_int_eq(log_open(path, LOG_INFO), 0);
	log_close();
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	test_rmtree(dir);
	free(target);
	free(path);
	free(dir);
}
END_TEST

Suite *
suite_log(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("log");
	tc = tcase_create("log");
	tcase_add_test(tc, test_redact_url);
	tcase_add_test(tc, test_levels_and_file);
	tcase_add_test(tc, test_symlink_refused);
	suite_add_tcase(s, tc);
	return s;
}
