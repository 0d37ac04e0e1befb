/* The pickle key: the secret that encrypts every pickle in the store. */

/*
 * Kept apart from the database (a copy of the store alone opens
 * nothing): CRYPTO_PICKLE_KEY_LEN bytes from getrandom in a file of
 * their own in the profile's data directory, made with O_EXCL (two
 * installs, or two profiles, never share one) and O_NOFOLLOW, mode 0600.
 * A file that is not ours, not regular, open to others or of another
 * size is refused, never repaired: the key it should hold is gone.
 */
#include "haos/crypto.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/log.h"

static int
pickle_key_create(const char *path, unsigned char *key,
    struct haos_error *err)
{
	size_t	 off = 0;
	ssize_t	 w;
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		haos_error_set(err, HAOS_EIO, "cannot create the pickle key "
		    "%s: %s", path, strerror(errno));
		return -1;
	}
	crypto_random(key, CRYPTO_PICKLE_KEY_LEN);
	while (off < CRYPTO_PICKLE_KEY_LEN) {
		w = write(fd, key + off, CRYPTO_PICKLE_KEY_LEN - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off != CRYPTO_PICKLE_KEY_LEN || fsync(fd) == -1) {
		haos_error_set(err, HAOS_EIO, "cannot write the pickle key "
		    "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		explicit_bzero(key, CRYPTO_PICKLE_KEY_LEN);
		return -1;
	}
	close(fd);
	log_info("crypto", "made a new pickle key %s", path);
	return 0;
}

int
pickle_key_load(const char *path, int create,
    unsigned char key[CRYPTO_PICKLE_KEY_LEN], struct haos_error *err)
{
	struct stat	 sb;
	size_t		 off = 0;
	ssize_t		 r;
	int		 fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && create)
		return pickle_key_create(path, key, err);
	if (fd == -1) {
		haos_error_set(err, HAOS_EIO, "pickle key %s: %s", path, errno == ELOOP ? "it is a symbolic link" :
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		haos_error_set(err, HAOS_EIO, "pickle key %s: not a regular "
		    "file", path);
		goto fail;
	}
	if (sb.st_uid != geteuid()) {
		haos_error_set(err, HAOS_EIO, "pickle key %s: another user's "
		    "file: refused", path);
		goto fail;
	}
	if ((sb.st_mode & 077) != 0) {
		haos_error_set(err, HAOS_EIO, "pickle key %s: mode %04o, not "
		    "0600: refused", path, (unsigned int)(sb.st_mode & 07777));
		goto fail;
	}
	if (sb.st_size != CRYPTO_PICKLE_KEY_LEN) {
		haos_error_set(err, HAOS_EIO, "pickle key %s: %lld bytes, "
		    "not %d, refused", path, (long long)sb.st_size,
		    CRYPTO_PICKLE_KEY_LEN);
		goto fail;
	}
	while (off < CRYPTO_PICKLE_KEY_LEN) {
		r = read(fd, key + off, CRYPTO_PICKLE_KEY_LEN - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	if (off != CRYPTO_PICKLE_KEY_LEN) {
		haos_error_set(err, HAOS_EIO, "cannot read the pickle key %s",
		    path);
		explicit_bzero(key, CRYPTO_PICKLE_KEY_LEN);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}
