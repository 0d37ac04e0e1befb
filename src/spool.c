/* The spool of attachments waiting in the outbox. */
#define _GNU_SOURCE		/* mkostemp */
#include "haos/spool.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/crypto-attachment.h"
#include "haos/error.h"
#include "haos/log.h"
#include "haos/xmalloc.h"

#define SPOOL_CHUNK	(64 * 1024)
#define SPOOL_PREFIX	"upload-"

/* The spool directory beside the store: DATA_DIR/spool. */
char *
spool_dir(const char *store_path)
{
	const char	*slash;

	slash = strrchr(store_path, '/');
	if (slash == NULL)
		return xstrdup("spool");
	return xasprintf("%.*s/spool", (int)(slash - store_path), store_path);
}

static int
spool_write(int fd, const unsigned char *p, size_t len)
{
	ssize_t	 w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
spool_copy(int in_fd, const char *dir, int64_t limit,
    struct crypto_attachment *seal, char **path, int64_t *size,
    struct haos_error *err)
{
	unsigned char	*in, *out;
	char		*tmpl;
	int64_t		 total = 0;
	ssize_t		 r;
	int		 fd, rc = -1;

	*path = NULL;
	*size = 0;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		haos_error_set(err, HAOS_EIO, "cannot make %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	tmpl = xasprintf("%s/" SPOOL_PREFIX "XXXXXX", dir);
	if ((fd = mkostemp(tmpl, O_CLOEXEC)) == -1) {
		haos_error_set(err, HAOS_EIO, "cannot write in %s: %s", dir,
		    strerror(errno));
		free(tmpl);
		return -1;
	}
	in = xmalloc(SPOOL_CHUNK);
	out = seal != NULL ? xmalloc(SPOOL_CHUNK) : in;
	if (lseek(in_fd, 0, SEEK_SET) == -1) {
		haos_error_set(err, HAOS_EIO, "cannot read the file: %s",
		    strerror(errno));
		goto out;
	}
	for (;;) {
		r = read(in_fd, in, SPOOL_CHUNK);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			haos_error_set(err, HAOS_EIO, "cannot read the file: "
			    "%s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		total += r;
		if (limit > 0 && total > limit) {
			haos_error_set(err, HAOS_EIO, "the file grew past "
			    "%lld bytes while it was copied", (long long)limit);
			goto out;
		}
		if (seal != NULL && crypto_attachment_update(seal, in,
		    (size_t)r, out, err) == -1)
			goto out;
		if (spool_write(fd, out, (size_t)r) == -1) {
			haos_error_set(err, HAOS_EIO, "cannot write in %s: %s",
			    dir, strerror(errno));
			goto out;
		}
	}
	if (fsync(fd) == -1) {
		haos_error_set(err, HAOS_EIO, "cannot write in %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (out != in) {
		explicit_bzero(out, SPOOL_CHUNK);
		free(out);
	}
	explicit_bzero(in, SPOOL_CHUNK);
	free(in);
	close(fd);
	if (rc == -1) {
		unlink(tmpl);
		free(tmpl);
		return -1;
	}
	*path = tmpl;
	*size = total;
	return 0;
}

/* Remove the spool files of dir that no row needs any more. */
void
spool_sweep(const char *dir, char *const *keep, size_t nkeep)
{
	DIR		*d;
	struct dirent	*de;
	char		*p;
	size_t		 i;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, SPOOL_PREFIX,
		    strlen(SPOOL_PREFIX)) != 0)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		for (i = 0; i < nkeep; i++) {
			if (keep[i] != NULL && strcmp(keep[i], p) == 0)
				break;
		}
		if (i == nkeep) {
			log_info("upload", "spool: %s removed", de->d_name);
			unlink(p);
		}
		free(p);
	}
	closedir(d);
}
