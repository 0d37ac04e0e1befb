/* One haos per profile: a lock on a file in the profile's data dir. */
#include "haos/lock.h"

#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/paths.h"
#include "haos/xmalloc.h"

/*
 * Take the profile's lock (DATA_DIR/lock, flock: the kernel drops it when
 * the process ends, so a crash leaves nothing stale) and write our pid in
 * it.  Returns the fd to keep open, or -1 with err; a lock held by another
 * haos names its pid.
 */
int
lock_profile(const char *data_dir, struct haos_error *err)
{
	char	*path, buf[32];
	ssize_t	 n;
	long	 pid;
	int	 fd;

	if (paths_make_dir(data_dir, err) == -1)
		return -1;
	path = xasprintf("%s/lock", data_dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		haos_error_set(err, HAOS_EIO, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			haos_error_set(err, HAOS_EIO, "%s: %s", path,
			    strerror(errno));
			goto fail;
		}
		n = read(fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		pid = strtol(buf, NULL, 10);
		if (pid > 0)
			haos_error_set(err, HAOS_EIO, "this profile is "
			    "already in use by another haos (pid %ld); quit "
			    "that one first, or use --profile", pid);
		else
			haos_error_set(err, HAOS_EIO, "this profile is "
			    "already in use by another haos; quit that one "
			    "first, or use --profile");
		goto fail;
	}
	free(path);
	snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	/* The pid is only for the message: the lock holds without it. */
	if (ftruncate(fd, 0) == 0)
		(void)write(fd, buf, strlen(buf));
	return fd;
fail:
	close(fd);
	free(path);
	return -1;
}

/* Give the lock back (also done by the kernel at exit). */
void
lock_release(int fd)
{
	if (fd != -1)
		close(fd);
}
