/* /recovery and /keys on the net thread: secret storage and key files. */

/*
 * A JOB_SECRETS carries what the user typed (a recovery key or a
 * passphrase, wiped with the job) and, for a key file, its path.  It
 * runs here because only this thread holds the identity (the pickle key)
 * and the read-write store; the answer is one line for the user (or,
 * for a new recovery key, the key and the account data the command
 * uploads).  Unlocked secrets and imported room keys are committed in
 * one transaction each; events waiting for an imported key are
 * decrypted in it.  Nothing typed, no key and no plaintext is logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/net.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"
#include "net-int.h"

#define NET_SECRETS_FILE_MAX	(64 * 1024 * 1024)	/* a key file */

/* Write text to a new file path (0600, never over one that exists). */
static int
net_secrets_write(const char *path, const char *text, struct haos_error *err)
{
	size_t	 len = strlen(text), off = 0;
	ssize_t	 w;
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		haos_error_set(err, HAOS_EIO, "%s: %s", path, errno == EEXIST ?
		    "already exists: give a new file" : strerror(errno));
		return -1;
	}
	while (off < len) {
		w = write(fd, text + off, len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off < len || fsync(fd) == -1) {
		haos_error_set(err, HAOS_EIO, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) == -1) {
		haos_error_set(err, HAOS_EIO, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/* The whole of a regular file of at most NET_SECRETS_FILE_MAX bytes. */
static char *
net_secrets_read(const char *path, size_t *len, struct haos_error *err)
{
	struct stat	 sb;
	char		*buf;
	ssize_t		 r;
	size_t		 off = 0;
	int		 fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &sb) == -1) {
		haos_error_set(err, HAOS_EIO, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > NET_SECRETS_FILE_MAX) {
		haos_error_set(err, HAOS_EIO, "%s: %s", path,
		    S_ISREG(sb.st_mode) ? "too large for a key file" :
		    "not a file");
		close(fd);
		return NULL;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (off < (size_t)sb.st_size) {
		r = read(fd, buf + off, (size_t)sb.st_size - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	buf[off] = '\0';
	*len = off;
	return buf;
}

/* /keys export: every room key we hold, sealed under the passphrase. */
static char *
net_secrets_export(struct net *n, const struct job *j, struct haos_error *err)
{
	json_t	*arr;
	char	*text, *file, *out = NULL;
	size_t	 count;

	arr = crypto_keyfile_export(n->keys, n->store, &count, err);
	if (arr == NULL)
		return NULL;
	text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	file = crypto_keyfile_seal(text, strlen(text), j->content,
	    CRYPTO_KEYFILE_ROUNDS, err);
	explicit_bzero(text, strlen(text));
	free(text);
	if (file == NULL)
		return NULL;
	if (net_secrets_write(j->path, file, err) == 0) {
		out = xasprintf("exported %zu room key%s to %s", count,
		    count == 1 ? "" : "s", j->path);
		log_info("net", "key export: %zu sessions written", count);
	}
	explicit_bzero(file, strlen(file));
	free(file);
	return out;
}

/* /keys import: the file's room keys, waiting events decrypted. */
static char *
net_secrets_import(struct net *n, const struct job *j, struct haos_error *err)
{
	struct crypto_keyfile_counts c;
	json_t		*arr = NULL;
	char		*file, *json = NULL, *out = NULL;
	size_t		 len, jlen = 0;

	file = net_secrets_read(j->path, &len, err);
	if (file == NULL)
		return NULL;
	if (crypto_keyfile_open(file, len, j->content, &json, &jlen,
	    err) == -1)
		goto out;
	arr = json_load_network(json, jlen, NULL, NULL);
	if (arr == NULL) {
		haos_error_set(err, HAOS_EUSAGE, "%s: not a list of room keys "
		    "inside", j->path);
		goto out;
	}
	if (store_begin(n->store, err) == -1)
		goto out;
	if (crypto_keyfile_import(n->keys, n->store, arr, NULL, &c,
	    err) == -1 || store_commit(n->store, err) == -1) {
		store_rollback(n->store);
		net_keys_reload(n);
		goto out;
	}
	if (c.rooms > 0)
		notify_post(n->cfg.notify, NOTIFY_TIMELINE | NOTIFY_SERVERS |
		    NOTIFY_CHANNELS);
	out = xasprintf("imported %zu of %zu room key%s (%zu already known "
	    "as well or better, %zu skipped); messages decrypted in %zu "
	    "room%s", c.imported, c.total, c.total == 1 ? "" : "s", c.kept,
	    c.skipped, c.rooms, c.rooms == 1 ? "" : "s");
out:
	if (json != NULL)
		explicit_bzero(json, jlen);
	free(json);
	json_decref(arr);
	free(file);
	return out;
}

/* /recovery new: the key and the account data to upload, as JSON. */
static char *
net_secrets_new(struct net *n, struct haos_error *err)
{
	json_t	*puts, *o;
	char	*rk, *out;

	if (crypto_ssss_create(n->keys, n->store, &rk, &puts, err) == -1)
		return NULL;
	o = json_pack("{ss so}", "recovery_key", rk, "account_data", puts);
	out = json_dumps(o, JSON_COMPACT);
	explicit_bzero(rk, strlen(rk));
	free(rk);
	json_decref(o);
	return out;
}

/* Run a JOB_SECRETS and post its answer (tag) for the UI. */
void
net_secrets_run(struct net *n, const struct job *j)
{
	struct haos_error	 err;
	const char		*op = j->method != NULL ? j->method : "";
	char			*out = NULL;

	memset(&err, 0, sizeof err);
	if (n->keys == NULL)
		haos_error_set(&err, HAOS_ECRYPTO, "no device identity: "
		    "encryption is off");
	else if (strcmp(op, "recovery") == 0 ||
	    strcmp(op, "recovery-passphrase") == 0) {
		if (crypto_ssss_unlock(n->keys, n->store, j->content != NULL ?
		    j->content : "", strcmp(op, "recovery") != 0, &out,
		    &err) == -1)
			out = NULL;
		else
			net_xsign_load(n);	/* to sign what we verify */
	} else if (strcmp(op, "recovery-new") == 0)
		out = net_secrets_new(n, &err);
	else if (strcmp(op, "keys-export") == 0 && j->path != NULL &&
	    j->content != NULL)
		out = net_secrets_export(n, j, &err);
	else if (strcmp(op, "keys-import") == 0 && j->path != NULL &&
	    j->content != NULL)
		out = net_secrets_import(n, j, &err);
	else
		haos_error_set(&err, HAOS_EUSAGE, "secrets: bad job");
	if (out == NULL && err.code == HAOS_OK)
		haos_error_set(&err, HAOS_ECRYPTO, "secrets: failed");
	if (out == NULL)
		log_info("net", "%s: %s", op, err.msg);
	net_post_result(n, j->tag, out != NULL ? NULL : &err, out);
}
