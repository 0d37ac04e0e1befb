/* Session file: JSON with the access token, written atomically, mode 0600. */
#include "haos/session.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/haos.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"

/* Load path; a missing file is HAOS_EAUTH ("not logged in"). */
int
session_load(struct session *s, const char *path, struct haos_error *err)
{
	json_t		*root;
	json_error_t	 jerr;
	const char	*user, *hs, *tok, *dev;
	char		*shown;
	struct stat	 st;

	memset(s, 0, sizeof *s);
	if (stat(path, &st) == -1) {
		if (errno == ENOENT) {
			haos_error_set(err, HAOS_EAUTH, "not logged in "
			    "(no %s); run \"haos login\"", path);
		} else
			haos_error_set(err, HAOS_EIO, "%s: %s", path,
			    strerror(errno));
		return -1;
	}
	root = json_load_file(path, 0, &jerr);
	if (root == NULL) {
		/* jansson quotes the file's text: show its controls. */
		shown = sanitize_escape(jerr.text);
		haos_error_set(err, HAOS_EIO, "%s:%d: %s", path, jerr.line,
		    shown);
		free(shown);
		return -1;
	}
	user = json_get_str(root, "user_id", NULL);
	hs = json_get_str(root, "homeserver", NULL);
	tok = json_get_str(root, "access_token", NULL);
	dev = json_get_str(root, "device_id", NULL);
	if (user == NULL || hs == NULL || tok == NULL || dev == NULL ||
	    !matrix_valid_user_id(user)) {
		haos_error_set(err, HAOS_EIO, "%s: incomplete session "
		    "(needs user_id, homeserver, access_token, device_id); "
		    "run \"haos login\" again", path);
		json_decref(root);
		return -1;
	}
	s->user_id = xstrdup(user);
	s->homeserver = xstrdup(hs);
	s->access_token = xstrdup(tok);
	s->device_id = xstrdup(dev);
	/* jansson frees without wiping: wipe its copy of the token. */
	explicit_bzero((char *)tok, strlen(tok));
	json_decref(root);
	return 0;
}

/*
 * Create tmp for writing, mode 0600, never through a symlink or into a
 * file someone else made: O_EXCL|O_NOFOLLOW.  A stale file of ours (a
 * regular file we own, from a crash) is removed first; anything else
 * there is refused.
 */
static int
session_create(const char *tmp, struct haos_error *err)
{
	struct stat	 st;
	int		 fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1)
			break;
		if (errno != EEXIST || tries > 0)
			goto fail;
		if (lstat(tmp, &st) == -1)
			goto fail;
		if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
		    st.st_nlink != 1) {
			haos_error_set(err, HAOS_EIO, "%s is in the way and "
			    "is not a file of ours; refusing to write the "
			    "session through it", tmp);
			return -1;
		}
		if (unlink(tmp) == -1)
			goto fail;
	}
	if (fchmod(fd, 0600) == -1) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	return fd;
fail:
	haos_error_set(err, HAOS_EIO, "cannot write %s: %s", tmp,
	    strerror(errno));
	return -1;
}

/* Write path atomically: a 0600 temporary file, fsync, rename. */
int
session_save(const struct session *s, const char *path,
    struct haos_error *err)
{
	json_t	*root;
	char	*tmp, *text = NULL;
	size_t	 len, off;
	ssize_t	 n;
	int	 fd = -1, ret = -1;

	root = json_pack("{s:s, s:s, s:s, s:s}", "user_id", s->user_id,
	    "homeserver", s->homeserver, "access_token", s->access_token,
	    "device_id", s->device_id);
	if (root == NULL) {
		haos_error_set(err, HAOS_EIO, "session has missing fields");
		return -1;
	}
	text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	if (text == NULL) {
		haos_error_set(err, HAOS_EIO, "cannot encode the session");
		return -1;
	}
	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	fd = session_create(tmp, err);
	if (fd == -1)
		goto out;
	len = strlen(text);
	for (off = 0; off < len; off += (size_t)n) {
		n = write(fd, text + off, len - off);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n == -1)
			goto fail;
	}
	if (write(fd, "\n", 1) != 1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	ret = 0;
	goto out;
fail:
	haos_error_set(err, HAOS_EIO, "cannot write %s: %s", path,
	    strerror(errno));
	unlink(tmp);
out:
	if (fd != -1)
		close(fd);
	free(tmp);
	if (text != NULL)
		explicit_bzero(text, strlen(text));
	free(text);
	return ret;
}

/* Remove the session file; a missing file is not an error. */
int
session_delete(const char *path, struct haos_error *err)
{
	if (unlink(path) == -1 && errno != ENOENT) {
		haos_error_set(err, HAOS_EIO, "cannot remove %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
session_free(struct session *s)
{
	if (s->access_token != NULL)
		explicit_bzero(s->access_token, strlen(s->access_token));
	free(s->user_id);
	free(s->homeserver);
	free(s->access_token);
	free(s->device_id);
	memset(s, 0, sizeof *s);
}
