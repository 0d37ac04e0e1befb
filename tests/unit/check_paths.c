/* XDG path resolution and private directory creation. */
#include "check_haos.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/paths.h"
#include "haos/xmalloc.h"

START_TEST(test_xdg_set)
{
	struct paths		 p;
	struct haos_error	 err;

	setenv("HOME", "/home/u", 1);
	setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
	setenv("XDG_DATA_HOME", "/x/data", 1);
	setenv("XDG_STATE_HOME", "/x/state", 1);
	ck_assert_int_eq(paths_resolve(&p, "work", NULL, &err), 0);
	ck_assert_str_eq(p.config_file, "/x/cfg/haos/config.ini");
	ck_assert_str_eq(p.data_dir, "/x/data/haos/work");
	ck_assert_str_eq(p.session_file, "/x/data/haos/work/session.json");
	ck_assert_str_eq(p.store_file, "/x/data/haos/work/store.sqlite3");
	ck_assert_str_eq(p.state_dir, "/x/state/haos");
	ck_assert_str_eq(p.log_file, "/x/state/haos/work.log");
	paths_free(&p);
}
END_TEST

/* Unset, empty or relative variables fall back to the spec's defaults. */
START_TEST(test_xdg_defaults)
{
	struct paths		 p;
	struct haos_error	 err;

	setenv("HOME", "/home/u", 1);
	unsetenv("XDG_CONFIG_HOME");
	setenv("XDG_DATA_HOME", "", 1);
	setenv("XDG_STATE_HOME", "relative/dir", 1);
	ck_assert_int_eq(paths_resolve(&p, NULL, NULL, &err), 0);
	ck_assert_str_eq(p.config_file, "/home/u/.config/haos/config.ini");
	ck_assert_str_eq(p.data_dir, "/home/u/.local/share/haos/default");
	ck_assert_str_eq(p.state_dir, "/home/u/.local/state/haos");
	ck_assert_str_eq(p.log_file, "/home/u/.local/state/haos/default.log");
	paths_free(&p);
}
END_TEST

START_TEST(test_override_and_bad_profile)
{
	struct paths		 p;
	struct haos_error	 err;

	setenv("HOME", "/home/u", 1);
	ck_assert_int_eq(paths_resolve(&p, NULL, "/etc/my.ini", &err), 0);
	ck_assert_str_eq(p.config_file, "/etc/my.ini");
	paths_free(&p);
	ck_assert_int_eq(paths_resolve(&p, "../evil", NULL, &err), -1);
	ck_assert_int_eq(err.code, HAOS_EUSAGE);
	ck_assert_int_eq(haos_error_exit_code(&err), 2);
}
END_TEST

START_TEST(test_make_dir)
{
	struct haos_error	 err;
	struct stat		 st;
	char			*tmp, *dir, *file;

	tmp = test_tmpdir();
	dir = xasprintf("%s/a/b/c", tmp);
	ck_assert_int_eq(paths_make_dir(dir, &err), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(paths_make_dir(dir, &err), 0);	/* exists: fine */
	file = xasprintf("%s/file", tmp);
	fclose(fopen(file, "w"));
	ck_assert_int_eq(paths_make_dir(file, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a directory"));
	test_rmtree(tmp);
	free(file);
	free(dir);
	free(tmp);
}
END_TEST

/* An existing directory open to others is made private again. */
START_TEST(test_make_dir_repair)
{
	struct haos_error	 err;
	struct stat		 st;
	char			*tmp, *dir;

	tmp = test_tmpdir();
	dir = xasprintf("%s/data", tmp);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_eq(paths_make_dir(dir, &err), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(chmod(dir, 0750), 0);
	ck_assert_int_eq(paths_make_dir(dir, &err), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	test_rmtree(tmp);
	free(dir);
	free(tmp);
}
END_TEST

/* A directory that belongs to someone else is refused, untouched. */
START_TEST(test_make_dir_foreign)
{
	struct haos_error	 err;
	struct stat		 st;
	char			*tmp, *dir;

	tmp = test_tmpdir();
	dir = xasprintf("%s/data", tmp);
	if (geteuid() == 0) {
		ck_assert_int_eq(mkdir(dir, 0777), 0);
		ck_assert_int_eq(chmod(dir, 0777), 0);
		ck_assert_int_eq(chown(dir, 65534, 65534), 0);
	} else {
		free(dir);
		dir = xstrdup("/");	/* root's */
	}
	ck_assert_int_eq(paths_make_dir(dir, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "owned by another user"));
	if (geteuid() == 0) {
		ck_assert_int_eq(stat(dir, &st), 0);
		ck_assert_int_eq(st.st_mode & 0777, 0777);
	}
	test_rmtree(tmp);
	free(dir);
	free(tmp);
}
END_TEST

Suite *
suite_paths(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("paths");
	tc = tcase_create("xdg");
	tcase_add_test(tc, test_xdg_set);
	tcase_add_test(tc, test_xdg_defaults);
	tcase_add_test(tc, test_override_and_bad_profile);
	tcase_add_test(tc, test_make_dir);
	tcase_add_test(tc, test_make_dir_repair);
	tcase_add_test(tc, test_make_dir_foreign);
	suite_add_tcase(s, tc);
	return s;
}
