/* Config parsing: good files, every kind of bad file, the dump. */
#include "check_haos.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/config.h"
#include "haos/error.h"
#include "haos/xmalloc.h"

/* Load a fixture; return config_load's result and leave err filled. */
static int
load(const char *name, struct config *cfg, struct haos_error *err)
{
	char	*path;
	int	 rc;

	path = test_fixture(name);
	config_init(cfg);
	haos_error_clear(err);
	rc = config_load(cfg, path, 1, err);
	free(path);
	return rc;
}

/* Assert that fixture name fails with a message ending in "LINE: want". */
static void
assert_bad(const char *name, int line, const char *want)
{
	struct config		 cfg;
	struct haos_error	 err;
	char			 expect[600];

	ck_assert_int_eq(load(name, &cfg, &err), -1);
	ck_assert_int_eq(err.code, HAOS_ECONFIG);
	ck_assert_int_eq(haos_error_exit_code(&err), 2);
	snprintf(expect, sizeof expect, "%s:%d: %s", name, line, want);
	ck_assert_msg(strstr(err.msg, expect) != NULL,
	    "error \"%s\" does not contain \"%s\"", err.msg, expect);
	config_free(&cfg);
}

START_TEST(test_good)
{
	struct config		 cfg;
	struct haos_error	 err;
	struct account		*a;
	char			*want;

	setenv("HOME", "/home/tester", 1);
	ck_assert_int_eq(load("config/good.ini", &cfg, &err), 0);
	ck_assert_int_eq(cfg.naccounts, 2);
	a = config_account(&cfg, NULL, &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->profile, "default");
	ck_assert_str_eq(a->user, "@alice:example.org");
	ck_assert_str_eq(a->homeserver, "https://matrix.example.org/");
	ck_assert_str_eq(a->password_command, "echo secret");
	ck_assert_ptr_null(a->password);
	a = config_account(&cfg, "work", &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->user, "@alice:work.example");
	ck_assert_str_eq(a->device_name, "laptop");
	ck_assert_ptr_null(a->homeserver);
	ck_assert_ptr_null(config_account(&cfg, "nope", &err));
	want = xasprintf("%s/certs/ca.pem", "/home/tester");
	ck_assert_str_eq(cfg.ca_file, want);
	free(want);
	ck_assert_int_eq(cfg.connect_timeout, 5);
	ck_assert_int_eq(cfg.sync_timeout, 25);
	ck_assert_int_eq(cfg.request_timeout, 60);	/* default */
	ck_assert_str_eq(cfg.log_level, "debug");
	config_free(&cfg);
}
END_TEST

START_TEST(test_defaults)
{
	struct config		 cfg;
	struct haos_error	 err;

	config_init(&cfg);
	ck_assert_int_eq(config_load(&cfg, "/nonexistent/haos.ini", 0, &err),
	    0);
	ck_assert_int_eq(cfg.naccounts, 0);
	ck_assert_int_eq(cfg.connect_timeout, 10);
	ck_assert_int_eq(cfg.sync_timeout, 30);
	ck_assert_str_eq(cfg.log_level, "info");
	ck_assert_ptr_null(cfg.ca_file);
	/* A file named with --config must exist. */
	ck_assert_int_eq(config_load(&cfg, "/nonexistent/haos.ini", 1, &err),
	    -1);
	ck_assert_int_eq(err.code, HAOS_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "No such file"));
	config_free(&cfg);
}
END_TEST

START_TEST(test_bad_files)
{
	assert_bad("config/unknown-key.ini", 3,
	    "unknown key \"colour\" in [account]");
	assert_bad("config/out-of-range.ini", 5,
	    "connect_timeout: 0 is out of range (1 to 300)");
	assert_bad("config/not-a-number.ini", 5,
	    "sync_timeout: not a whole number");
	assert_bad("config/bad-user.ini", 2,
	    "user: not a Matrix user id");
	assert_bad("config/bad-choice.ini", 2,
	    "level: must be one of error|warn|info|debug");
	assert_bad("config/bad-url.ini", 3,
	    "homeserver: not an http:// or https:// URL");
	assert_bad("config/missing-user.ini", 2,
	    "[account] is missing the required key \"user\"");
	assert_bad("config/missing-user-profile.ini", 4,
	    "[ok] is missing the required key \"user\"");
	assert_bad("config/unknown-section.ini", 1,
	    "unknown section [accounts]");
	assert_bad("config/syntax.ini", 3, "syntax error");
	assert_bad("config/duplicate-key.ini", 3,
	    "duplicate key \"user\" in [account]");
	assert_bad("config/duplicate-section.ini", 3,
	    "duplicate section [account x]");
	assert_bad("config/bad-profile.ini", 1, "bad profile name");
	assert_bad("config/no-section.ini", 1,
	    "key \"user\" outside any section");
	assert_bad("config/empty-value.ini", 2, "user: empty value");
}
END_TEST

START_TEST(test_long_line)
{
	struct config		 cfg;
	struct haos_error	 err;
	char			*dir, *path;
	FILE			*f;
	int			 i;

	dir = test_tmpdir();
	path = xasprintf("%s/long.ini", dir);
	f = fopen(path, "w");
	fputs("[account]\nuser = @a:b.c\npassword_command = echo ", f);
	for (i = 0; i < 2000; i++)
		fputc('x', f);
	fputs("\n", f);
	fclose(f);
	config_init(&cfg);
	ck_assert_int_eq(config_load(&cfg, path, 1, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, ":3: line longer than"));
	config_free(&cfg);
	test_rmtree(dir);
	free(path);
	free(dir);
}
END_TEST

/* NUL bytes cut a line short; the rest of it is skipped, not read before. */
START_TEST(test_nul_bytes)
{
	static const char	 text[] = "[acco~\0t]\n\0\0\0\0 = @a:b.c\n"
	    "\0\0mestp://b.c\n";
	struct config		 cfg;
	struct haos_error	 err;
	FILE			*f;

	f = fmemopen((void *)text, sizeof text - 1, "r");
	ck_assert_ptr_nonnull(f);
	config_init(&cfg);
	ck_assert_int_eq(config_load_stream(&cfg, f, "nul.ini", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "nul.ini:1: "));
	config_free(&cfg);
	fclose(f);
}
END_TEST

/* A plaintext password is refused unless only the owner can read it. */
START_TEST(test_password_permissions)
{
	struct config		 cfg;
	struct haos_error	 err;
	char			*dir, *path, *src;
	FILE			*f;

	dir = test_tmpdir();
	path = xasprintf("%s/config.ini", dir);
	src = test_fixture("config/password.ini");
	f = fopen(path, "w");
	fputs("[account]\nuser = @a:b.c\npassword = hunter2\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0644), 0);
	config_init(&cfg);
	ck_assert_int_eq(config_load(&cfg, path, 1, &err), -1);
	ck_assert_int_eq(err.code, HAOS_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "plaintext password"));
	ck_assert_ptr_nonnull(strstr(err.msg, "chmod 600"));
	config_free(&cfg);

	ck_assert_int_eq(chmod(path, 0600), 0);
	config_init(&cfg);
	ck_assert_int_eq(config_load(&cfg, path, 1, &err), 0);
	ck_assert_str_eq(cfg.accounts[0].password, "hunter2");
	config_free(&cfg);

	/* Without a password, a world-readable file is fine. */
	f = fopen(path, "w");
	fputs("[account]\nuser = @a:b.c\npassword_command = pass x\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0644), 0);
	config_init(&cfg);
	ck_assert_int_eq(config_load(&cfg, path, 1, &err), 0);
	config_free(&cfg);
	test_rmtree(dir);
	free(src);
	free(path);
	free(dir);
}
END_TEST

/* The dump documents every key of the table, and parses back. */
START_TEST(test_dump_roundtrip)
{
	struct config		 cfg;
	struct haos_error	 err;
	char			*buf = NULL;
	size_t			 len = 0;
	unsigned int		 i;
	char			 key[128];
	FILE			*f;

	f = open_memstream(&buf, &len);
	config_dump(f);
	fclose(f);
	for (i = 0; i < config_table_size; i++) {
		snprintf(key, sizeof key, "\n%s%s = ",
		    config_table[i].example != NULL ? "" : "#",
		    config_table[i].name);
		ck_assert_msg(strstr(buf, key) != NULL, "dump lacks %s",
		    config_table[i].name);
	}
	f = fmemopen(buf, len, "r");
	config_init(&cfg);
	ck_assert_int_eq(config_load_stream(&cfg, f, "dump", &err), 0);
	fclose(f);
	ck_assert_int_eq(cfg.naccounts, 1);
	ck_assert_str_eq(cfg.accounts[0].user, "@alice:example.org");
	config_free(&cfg);
	free(buf);
}
END_TEST

START_TEST(test_profile_names)
{
	ck_assert(config_valid_profile("default"));
	ck_assert(config_valid_profile("work-2_b.x"));
	ck_assert(!config_valid_profile(""));
	ck_assert(!config_valid_profile("a/b"));
	ck_assert(!config_valid_profile(".."));
	ck_assert(!config_valid_profile("a b"));
}
END_TEST

Suite *
suite_config(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("config");
	tc = tcase_create("parse");
	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_nul_bytes);
	tcase_add_test(tc, test_password_permissions);
	tcase_add_test(tc, test_dump_roundtrip);
	tcase_add_test(tc, test_profile_names);
	suite_add_tcase(s, tc);
	return s;
}
