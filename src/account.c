/* haos login and haos logout: from credentials to the session file. */
#include "haos/account.h"

#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/haos.h"
#include "haos/config.h"
#include "haos/error.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/paths.h"
#include "haos/prompt.h"
#include "haos/sanitize.h"
#include "haos/session.h"
#include "haos/spool.h"
#include "haos/xmalloc.h"

/* Run cmd with /bin/sh and take the first line it prints as the password. */
int
account_password_command(const char *cmd, char **password,
    struct haos_error *err)
{
	FILE	*p;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;
	int	 status;

	*password = NULL;
	fflush(NULL);
	p = popen(cmd, "r");
	if (p == NULL) {
		haos_error_set(err, HAOS_EIO, "password_command: %s",
		    strerror(errno));
		return -1;
	}
	n = getline(&line, &cap, p);
	while (getc(p) != EOF)
		;
	status = pclose(p);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		haos_error_set(err, HAOS_EAUTH, "password_command failed "
		    "(exit status %d)", status == -1 || !WIFEXITED(status) ?
		    -1 : WEXITSTATUS(status));
		goto fail;
	}
	if (n <= 0) {
		haos_error_set(err, HAOS_EAUTH, "password_command printed "
		    "nothing");
		goto fail;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0) {
		haos_error_set(err, HAOS_EAUTH, "password_command printed an "
		    "empty line");
		goto fail;
	}
	*password = line;
	return 0;
fail:
	if (line != NULL)
		memset(line, 0, cap);
	free(line);
	return -1;
}

/* Return the device display name: configured, or "haos on HOSTNAME". */
char *
account_device_name(const struct account *a)
{
	char	 host[256];

	if (a != NULL && a->device_name != NULL)
		return xstrdup(a->device_name);
	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "unknown");
	host[sizeof host - 1] = '\0';
	return xasprintf("haos on %s", host);
}

static void
account_wipe(char **s)
{
	if (*s != NULL) {
		memset(*s, 0, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

/*
 * Log in and write the session file.  Asks on the terminal for whatever
 * the account section does not give: the user id (or a homeserver URL and
 * then the user name) and the password.
 */
int
account_login(const struct config *cfg __unused, const struct account *a,
    const struct paths *paths, struct haos_error *err)
{
	struct session	 s, old;
	struct haos_error e2;
	char		*user = NULL, *base = NULL, *server = NULL;
	char		*password = NULL, *answer = NULL, *devname = NULL;
	int		 ret = -1;

	memset(&s, 0, sizeof s);
	if (session_load(&old, paths->session_file, &e2) == 0) {
		haos_error_set(err, HAOS_EAUTH, "already logged in as %s "
		    "(device %s); run \"haos logout\" first", old.user_id,
		    old.device_id);
		session_free(&old);
		return -1;
	}

	if (a != NULL && a->user != NULL)
		user = xstrdup(a->user);
	else {
		answer = prompt_line("Matrix user id (@alice:example.org) or "
		    "homeserver URL: ", err);
		if (answer == NULL)
			goto out;
		if (strncmp(answer, "https://", 8) == 0 ||
		    strncmp(answer, "http://", 7) == 0) {
			base = matrix_normalise_base_url(answer);
			if (base == NULL) {
				haos_error_set(err, HAOS_EUSAGE, "not a "
				    "homeserver URL: %s", answer);
				goto out;
			}
			free(answer);
			answer = prompt_line("User name: ", err);
			if (answer == NULL)
				goto out;
		}
		if (answer[0] == '@' && !matrix_valid_user_id(answer)) {
			haos_error_set(err, HAOS_EUSAGE, "not a Matrix user "
			    "id: %s (expected @name:server)", answer);
			goto out;
		}
		if (answer[0] != '@' && base == NULL) {
			haos_error_set(err, HAOS_EUSAGE, "give a full user id "
			    "such as @alice:example.org, or a homeserver URL");
			goto out;
		}
		user = answer;
		answer = NULL;
	}

	if (base == NULL && a != NULL && a->homeserver != NULL)
		base = matrix_normalise_base_url(a->homeserver);
	if (base == NULL) {
		if (matrix_split_user_id(user, NULL, &server) == -1) {
			haos_error_set(err, HAOS_EUSAGE, "not a Matrix user "
			    "id: %s", user);
			goto out;
		}
		if (matrix_discover(server, &base, err) == -1)
			goto out;
	} else if (matrix_check_versions(base, err) == -1)
		goto out;

	if (a != NULL && a->password_command != NULL) {
		if (account_password_command(a->password_command, &password,
		    err) == -1)
			goto out;
	} else if (a != NULL && a->password != NULL)
		password = xstrdup(a->password);
	else {
		password = prompt_secret("Password: ", err);
		if (password == NULL)
			goto out;
	}

	devname = account_device_name(a);
	if (matrix_login(base, user, password, devname, &s, err) == -1)
		goto out;
	if (paths_make_dir(paths->data_dir, err) == -1 ||
	    session_save(&s, paths->session_file, err) == -1)
		goto out;
	sanitize_fprintf(stdout, "Logged in as %s on %s (device %s).\n",
	    s.user_id, s.homeserver, s.device_id);
	ret = 0;
out:
	if (ret == -1)
		log_warn("account", "login failed: %s", err->msg);
	account_wipe(&password);
	free(user);
	free(base);
	free(server);
	free(answer);
	free(devname);
	session_free(&s);
	return ret;
}

/* Log out on the server, then forget the session locally. */
/*
 * Delete the message cache (the store and its WAL files) of the profile,
 * the pickle key of the device identity kept in it and the spool of
 * unsent attachments: what was read stays no longer on disk after a
 * logout.
 */
static int
account_delete_cache(const struct paths *paths, struct haos_error *err)
{
	static const char	*const ends[] = { "", "-wal", "-shm",
				    "-journal" };
	char			*path;
	size_t			 i;
	int			 gone = 0;

	for (i = 0; i < nitems(ends); i++) {
		path = xasprintf("%s%s", paths->store_file, ends[i]);
		if (unlink(path) == 0)
			gone = 1;
		else if (errno != ENOENT) {
			haos_error_set(err, HAOS_EIO, "cannot delete the "
			    "message cache %s: %s", path, strerror(errno));
			free(path);
			return -1;
		}
		free(path);
	}
	/* The key of the identity in the cache goes with it. */
	if (unlink(paths->pickle_key_file) == -1 && errno != ENOENT) {
		haos_error_set(err, HAOS_EIO, "cannot delete the pickle key "
		    "%s: %s", paths->pickle_key_file, strerror(errno));
		return -1;
	}
	/* The unsent attachments' copies, whose rows just went. */
	path = spool_dir(paths->store_file);
	spool_sweep(path, NULL, 0);
	rmdir(path);
	free(path);
	if (gone)
		sanitize_fprintf(stdout, "Deleted the message cache %s.\n",
		    paths->store_file);
	return 0;
}

int
account_logout(const struct paths *paths, int keep_cache,
    struct haos_error *err)
{
	struct session	 s;
	int		 ret = -1;

	if (session_load(&s, paths->session_file, err) == -1)
		return -1;
	if (matrix_logout(&s, err) == -1) {
		if (err->mx != MX_UNKNOWN_TOKEN)
			goto out;
		sanitize_fprintf(stderr, "haos: the server no longer knew this "
		    "session; removing it here\n");
	}
	if (session_delete(paths->session_file, err) == -1)
		goto out;
	sanitize_fprintf(stdout, "Logged out %s (device %s).\n", s.user_id,
	    s.device_id);
	if (!keep_cache && account_delete_cache(paths, err) == -1)
		goto out;
	ret = 0;
out:
	session_free(&s);
	return ret;
}
