/* XDG base directory resolution and private directory creation. */
#include "haos/paths.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/haos.h"
#include "haos/config.h"
#include "haos/error.h"
#include "haos/xmalloc.h"

static const char *
paths_home(void)
{
	const char	*home;
	struct passwd	*pw;

	home = getenv("HOME");
	if (home != NULL && *home == '/')
		return home;
	pw = getpwuid(getuid());
	if (pw != NULL && pw->pw_dir != NULL)
		return pw->pw_dir;
	return "/";
}

/*
 * Return $var, or $HOME/fallback when it is unset, empty or relative:
 * the XDG spec says relative paths in these variables are invalid.
 */
char *
paths_xdg_dir(const char *var, const char *fallback)
{
	const char	*v;

	v = getenv(var);
	if (v != NULL && *v == '/')
		return xstrdup(v);
	return xasprintf("%s/%s", paths_home(), fallback);
}

/*
 * Make sure dir, which will hold secrets, is private: a directory owned
 * by us that no one else can write.  One we own with wider permissions
 * is repaired to 0700; one owned by someone else is refused.
 */
static int
paths_check_private(const char *dir, struct haos_error *err)
{
	struct stat	 st;

	if (stat(dir, &st) == -1) {
		haos_error_set(err, HAOS_EIO, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		haos_error_set(err, HAOS_EIO, "%s is not a directory", dir);
		errno = ENOTDIR;
		return -1;
	}
	if (st.st_uid != geteuid()) {
		haos_error_set(err, HAOS_EIO, "%s is owned by another user "
		    "(uid %ld); refusing to keep secrets there", dir,
		    (long)st.st_uid);
		errno = EPERM;
		return -1;
	}
	if ((st.st_mode & 077) != 0 && chmod(dir, 0700) == -1) {
		haos_error_set(err, HAOS_EIO, "%s is open to other users "
		    "(mode %04o) and cannot be made private: %s", dir,
		    (unsigned int)(st.st_mode & 07777), strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Create dir and its parents; the last component gets mode 0700, and
 * an existing one must be ours (it is then made 0700 if it was not).
 */
int
paths_make_dir(const char *dir, struct haos_error *err)
{
	char		*tmp, *p;

	tmp = xstrdup(dir);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) == -1 && errno != EEXIST) {
			haos_error_set(err, HAOS_EIO, "cannot create %s: %s",
			    tmp, strerror(errno));
			free(tmp);
			return -1;
		}
		*p = '/';
	}
	free(tmp);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		haos_error_set(err, HAOS_EIO, "cannot create %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	return paths_check_private(dir, err);
}

/* Fill p for profile; nothing is created on disk here. */
int
paths_resolve(struct paths *p, const char *profile, const char *config_override,
    struct haos_error *err)
{
	char	*cfg, *data, *state, *cache;

	memset(p, 0, sizeof *p);
	if (profile == NULL)
		profile = CONFIG_DEFAULT_PROFILE;
	if (!config_valid_profile(profile)) {
		haos_error_set(err, HAOS_EUSAGE, "bad profile name \"%s\" "
		    "(letters, digits, '-', '_' and '.' only)", profile);
		return -1;
	}
	cfg = paths_xdg_dir("XDG_CONFIG_HOME", ".config");
	data = paths_xdg_dir("XDG_DATA_HOME", ".local/share");
	state = paths_xdg_dir("XDG_STATE_HOME", ".local/state");
	cache = paths_xdg_dir("XDG_CACHE_HOME", ".cache");

	if (config_override != NULL)
		p->config_file = xstrdup(config_override);
	else
		p->config_file = xasprintf("%s/haos/config.ini", cfg);
	p->data_dir = xasprintf("%s/haos/%s", data, profile);
	p->state_dir = xasprintf("%s/haos", state);
	p->session_file = xasprintf("%s/session.json", p->data_dir);
	p->store_file = xasprintf("%s/store.sqlite3", p->data_dir);
	p->pickle_key_file = xasprintf("%s/pickle-key", p->data_dir);
	p->log_file = xasprintf("%s/%s.log", p->state_dir, profile);
	p->last_room_file = xasprintf("%s/last-room", p->data_dir);
	p->preview_dir = xasprintf("%s/haos/%s/previews", cache, profile);
	free(cache);
	free(cfg);
	free(data);
	free(state);
	return 0;
}

void
paths_free(struct paths *p)
{
	free(p->config_file);
	free(p->data_dir);
	free(p->state_dir);
	free(p->preview_dir);
	free(p->session_file);
	free(p->store_file);
	free(p->pickle_key_file);
	free(p->log_file);
	free(p->last_room_file);
	memset(p, 0, sizeof *p);
}
