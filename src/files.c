/* Download names and directories: safe names, no overwriting, XDG. */
#include "haos/files.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/paths.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"

#define FILES_EXT_MAX	16	/* an extension longer is not kept whole */
#define FILES_TRIES	1000	/* "name (999).ext" at most */
#define FILES_LINE_MAX	4096

/* Bytes of s not cutting a UTF-8 character, at most max. */
static size_t
files_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

char *
files_safe_name(const char *name)
{
	char		*clean, *base, *out, *dot;
	const char	*p;
	size_t		 len, ext, stem;

	clean = sanitize_text(name != NULL ? name : "", (size_t)-1, 0);
	base = clean;
	for (p = clean; *p != '\0'; p++) {
		if (*p == '/' || *p == '\\')
			base = (char *)p + 1;
	}
	while (*base == '.' || *base == '-' || *base == ' ')
		base++;
	len = strlen(base);
	while (len > 0 && (base[len - 1] == '.' || base[len - 1] == ' '))
		len--;
	base[len] = '\0';
	if (len == 0) {
		free(clean);
		return xstrdup("download");
	}
	if (len <= FILES_NAME_MAX) {
		out = xstrdup(base);
		free(clean);
		return out;
	}
	/* Too long: cut the stem, keep a short extension. */
	dot = strrchr(base, '.');
	ext = dot != NULL ? strlen(dot) : 0;
	if (ext > FILES_EXT_MAX)
		ext = 0;
	stem = files_cut(base, len - ext, FILES_NAME_MAX - ext);
	out = xasprintf("%.*s%s", (int)stem, base, ext > 0 ? dot : "");
	free(clean);
	return out;
}

/* "~/x" as $HOME/x; anything else as it is. */
static char *
files_expand(const char *path)
{
	const char	*home = getenv("HOME");

	if (strncmp(path, "~/", 2) == 0 && home != NULL && *home == '/')
		return xasprintf("%s/%s", home, path + 2);
	return xstrdup(path);
}

/*
 * The XDG_DOWNLOAD_DIR="$HOME/..." line of user-dirs.dirs: the part
 * after $HOME/, if it is plain (no quote, backslash, '$', '`' or ".."
 * component).  NULL when there is no such line.
 */
static char *
files_user_dirs(void)
{
	static const char	 key[] = "XDG_DOWNLOAD_DIR=\"$HOME";
	FILE			*f;
	char			*cfg, *path, line[FILES_LINE_MAX], *v, *end;
	char			*found = NULL;
	const char		*c;

	cfg = paths_xdg_dir("XDG_CONFIG_HOME", ".config");
	path = xasprintf("%s/user-dirs.dirs", cfg);
	free(cfg);
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return NULL;
	while (fgets(line, sizeof line, f) != NULL) {
		v = line + strspn(line, " \t");
		if (strncmp(v, key, sizeof key - 1) != 0)
			continue;
		v += sizeof key - 1;
		if (*v != '/' && *v != '"')
			continue;
		if ((end = strchr(v, '"')) == NULL)
			continue;
		*end = '\0';
		if (strcspn(v, "\\$`") != strlen(v))
			continue;
		for (c = v; (c = strstr(c, "..")) != NULL; c += 2) {
			if (c[-1] == '/' && (c[2] == '/' || c[2] == '\0'))
				break;
		}
		if (c != NULL)
			continue;
		free(found);
		found = xstrdup(v);	/* the last line wins, as in sh */
	}
	fclose(f);
	return found;
}

char *
files_download_dir(const char *configured)
{
	const char	*v, *home;
	char		*rel, *dir;

	if (configured != NULL && *configured != '\0')
		return files_expand(configured);
	v = getenv("XDG_DOWNLOAD_DIR");
	if (v != NULL && *v == '/')
		return xstrdup(v);
	home = getenv("HOME");
	if (home == NULL || *home != '/')
		home = "/tmp";
	if ((rel = files_user_dirs()) != NULL) {
		dir = xasprintf("%s%s", home, rel);
		free(rel);
		/* "$HOME/" alone means the home directory itself. */
		if (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
			dir[strlen(dir) - 1] = '\0';
		return dir;
	}
	return xasprintf("%s/Downloads", home);
}

int
files_create(const char *dir, const char *name, char **path,
    struct haos_error *err)
{
	const char	*dot;
	size_t		 stem;
	char		*p;
	int		 fd, i;

	*path = NULL;
	dot = strrchr(name, '.');
	stem = dot != NULL && dot != name ? (size_t)(dot - name) :
	    strlen(name);
	for (i = 0; i < FILES_TRIES; i++) {
		if (i == 0)
			p = xasprintf("%s/%s", dir, name);
		else
			p = xasprintf("%s/%.*s (%d)%s", dir, (int)stem, name, i,
			    name + stem);
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0666);
		if (fd != -1) {
			*path = p;
			return fd;
		}
		free(p);
		if (errno != EEXIST) {
			haos_error_set(err, HAOS_EIO, "cannot create a file "
			    "in %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	haos_error_set(err, HAOS_EIO, "too many files named %s in %s", name,
	    dir);
	return -1;
}

char *
files_human_size(int64_t bytes)
{
	static const char	*units[] = { "KB", "MB", "GB", "TB" };
	double			 v;
	size_t			 u;

	if (bytes < 1024)
		return xasprintf("%" PRId64 " B", bytes < 0 ? 0 : bytes);
	v = (double)bytes / 1024;
	for (u = 0; v >= 1024 && u + 1 < nitems(units); u++)
		v /= 1024;
	if (v < 10)
		return xasprintf("%.1f %s", v, units[u]);
	return xasprintf("%.0f %s", v, units[u]);
}

int
files_have_display(void)
{
	const char	*d = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");

	return (d != NULL && *d != '\0') || (w != NULL && *w != '\0');
}
