/* Download names and directories. */
#include "check_haos.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/files.h"
#include "haos/xmalloc.h"

static void
files_expect(const char *in, const char *want)
{
	char	*got = files_safe_name(in);

	ck_assert_msg(strcmp(got, want) == 0, "%s -> \"%s\", not \"%s\"",
	    in != NULL ? in : "(null)", got, want);
	free(got);
}

/* Hostile names from events become safe base names. */
START_TEST(test_safe_name)
{
	char	 big[600], *got;
	size_t	 i;

	files_expect("screenshot.png", "screenshot.png");
	files_expect("../../.bashrc", "bashrc");
	files_expect("/etc/passwd", "passwd");
	files_expect("a\\b\\evil.exe", "evil.exe");
	files_expect("..", "download");
	files_expect("...", "download");
	files_expect("", "download");
	files_expect(NULL, "download");
	files_expect("dir/", "download");
	files_expect("-rf", "rf");
	files_expect(".hidden", "hidden");
	files_expect("name. . ", "name");
	files_expect("a\x1b[31mred\x07.txt", "ared.txt");
	files_expect("new\nline\r.txt", "new line .txt");
	files_expect("r\xe2\x80\xaegnp.exe", "rgnp.exe");	/* RLO */
	files_expect("caf\xc3\xa9.txt", "caf\xc3\xa9.txt");
	files_expect("bad\xff.txt", "bad\xef\xbf\xbd.txt");
	/* Long: cut at FILES_NAME_MAX bytes, the extension kept. */
	for (i = 0; i < 300; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);
	strcpy(big + 600 - 5, ".png");
	got = files_safe_name(big);
	ck_assert_uint_le(strlen(got), FILES_NAME_MAX);
	ck_assert_uint_ge(strlen(got), FILES_NAME_MAX - 1);
	ck_assert_str_eq(got + strlen(got) - 4, ".png");
	ck_assert_int_eq((unsigned char)got[strlen(got) - 5] & 0xc0, 0x80);
	free(got);
}
END_TEST

/* name.ext, name (1).ext, name (2).ext: never over a file. */
START_TEST(test_create_unique)
{
	struct haos_error	 err;
	char			*dir, *p1, *p2, *p3, *p4, *want, *text;
	int			 fd;

	dir = test_tmpdir();
	fd = files_create(dir, "shot.png", &p1, &err);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "first", 5), 5);
	close(fd);
	fd = files_create(dir, "shot.png", &p2, &err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = files_create(dir, "shot.png", &p3, &err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = files_create(dir, "README", &p4, &err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	want = xasprintf("%s/shot.png", dir);
	ck_assert_str_eq(p1, want);
	free(want);
	want = xasprintf("%s/shot (1).png", dir);
	ck_assert_str_eq(p2, want);
	free(want);
	want = xasprintf("%s/shot (2).png", dir);
	ck_assert_str_eq(p3, want);
	free(want);
	want = xasprintf("%s/README", dir);
	ck_assert_str_eq(p4, want);
	free(want);
	text = test_read_file(p1);
	ck_assert_str_eq(text, "first");	/* untouched */
	free(text);
	free(p4);
	/* A dangling symlink is a name taken, not followed. */
	want = xasprintf("%s/link.txt", dir);
	ck_assert_int_eq(symlink("/nonexistent/target", want), 0);
	fd = files_create(dir, "link.txt", &p4, &err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_str_ne(p4, want);
	free(want);
	/* No directory: an error, not a crash. */
	free(p2);
	p2 = NULL;
	want = xasprintf("%s/missing", dir);
	ck_assert_int_eq(files_create(want, "x", &p2, &err), -1);
	free(p2);
	free(want);
	free(p1);
	free(p3);
	free(p4);
	test_rmtree(dir);
	free(dir);
}
END_TEST

static void
files_write(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* configured, $XDG_DOWNLOAD_DIR, user-dirs.dirs, ~/Downloads. */
START_TEST(test_download_dir)
{
	char	*dir, *cfg, *file, *got;

	dir = test_tmpdir();
	cfg = xasprintf("%s/cfg", dir);
	ck_assert_int_eq(mkdir(cfg, 0700), 0);
	file = xasprintf("%s/cfg/user-dirs.dirs", dir);
	setenv("HOME", "/home/u", 1);
	setenv("XDG_CONFIG_HOME", cfg, 1);
	unsetenv("XDG_DOWNLOAD_DIR");

	got = files_download_dir(NULL);
	ck_assert_str_eq(got, "/home/u/Downloads");
	free(got);
	files_write(file, "# comment\nXDG_DESKTOP_DIR=\"$HOME/Desktop\"\n"
	    "XDG_DOWNLOAD_DIR=\"$HOME/Téléchargements\"\n");
	got = files_download_dir("");
	ck_assert_str_eq(got, "/home/u/Téléchargements");
	free(got);
	/* Only plain $HOME/... lines count. */
	files_write(file, "XDG_DOWNLOAD_DIR=\"/etc\"\n"
	    "XDG_DOWNLOAD_DIR=\"$HOME/../../etc\"\n"
	    "XDG_DOWNLOAD_DIR=\"$HOME/$(rm -rf)\"\n"
	    "XDG_DOWNLOAD_DIR=\"$HOMEX/y\"\n"
	    "XDG_DOWNLOAD_DIR=\"$HOME/x\\\"y\"\n");
	got = files_download_dir(NULL);
	ck_assert_str_eq(got, "/home/u/Downloads");
	free(got);
	files_write(file, "XDG_DOWNLOAD_DIR=\"$HOME/\"\n");
	got = files_download_dir(NULL);
	ck_assert_str_eq(got, "/home/u");
	free(got);
	setenv("XDG_DOWNLOAD_DIR", "relative/dir", 1);
	got = files_download_dir(NULL);
	ck_assert_str_eq(got, "/home/u");
	free(got);
	setenv("XDG_DOWNLOAD_DIR", "/data/dl", 1);
	got = files_download_dir(NULL);
	ck_assert_str_eq(got, "/data/dl");
	free(got);
	got = files_download_dir("~/inbox");
	ck_assert_str_eq(got, "/home/u/inbox");
	free(got);
	got = files_download_dir("/srv/files");
	ck_assert_str_eq(got, "/srv/files");
	free(got);
	unsetenv("XDG_DOWNLOAD_DIR");
	unsetenv("XDG_CONFIG_HOME");
	free(file);
	free(cfg);
	test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_human_size)
{
	static const struct {
		long long	 n;
		const char	*s;
	} t[] = {
		{ 0, "0 B" }, { 1023, "1023 B" }, { 1024, "1.0 KB" },
		{ 122880, "120 KB" }, { 1572864, "1.5 MB" },
		{ 5LL << 30, "5.0 GB" },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < nitems(t); i++) {
		s = files_human_size(t[i].n);
		ck_assert_str_eq(s, t[i].s);
		free(s);
	}
}
END_TEST

START_TEST(test_display)
{
	unsetenv("DISPLAY");
	unsetenv("WAYLAND_DISPLAY");
	ck_assert_int_eq(files_have_display(), 0);
	setenv("DISPLAY", "", 1);
	ck_assert_int_eq(files_have_display(), 0);
	setenv("WAYLAND_DISPLAY", "wayland-0", 1);
	ck_assert_int_eq(files_have_display(), 1);
	unsetenv("WAYLAND_DISPLAY");
	setenv("DISPLAY", ":0", 1);
	ck_assert_int_eq(files_have_display(), 1);
	unsetenv("DISPLAY");
}
END_TEST

Suite *
suite_files(void)
{
	Suite	*s = suite_create("files");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_safe_name);
	tcase_add_test(tc, test_create_unique);
	tcase_add_test(tc, test_download_dir);
	tcase_add_test(tc, test_human_size);
	tcase_add_test(tc, test_display);
	suite_add_tcase(s, tc);
	return s;
}
