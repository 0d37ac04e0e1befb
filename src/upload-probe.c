/* What a local file is: libmagic's MIME type, an image's size (image.c). */
#include "haos/upload.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <magic.h>

#include "haos/error.h"
#include "haos/files.h"
#include "haos/image.h"
#include "haos/xmalloc.h"

/* The MIME type of the open file fd, by its content (libmagic). */
static char *
upload_probe_type(int fd)
{
	magic_t		 m;
	const char	*t;
	char		*out = NULL;
	int		 dup_fd;

	m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS |
	    MAGIC_ERROR);
	if (m == NULL)
		return xstrdup("application/octet-stream");
	/* magic_descriptor() may close what it reads: a copy of fd. */
	if (magic_load(m, NULL) == 0 && (dup_fd = dup(fd)) != -1) {
		t = magic_descriptor(m, dup_fd);
		close(dup_fd);
		if (t != NULL && upload_mimetype_ok(t))
			out = xstrdup(t);
	}
	magic_close(m);
	if (lseek(fd, 0, SEEK_SET) == -1 || out == NULL) {
		free(out);
		out = xstrdup("application/octet-stream");
	}
	return out;
}

/*
 * Fill u from the regular file path, open as fd (read from its start):
 * its clean base name, MIME type, size and, for an image gdk-pixbuf
 * can read the header of, its width and height.  -1 with err if it is
 * not a regular file.
 */
int
upload_probe(const char *path, int fd, struct upload_info *u,
    struct haos_error *err)
{
	struct stat	 sb;
	const char	*base;
	char		*fmt;
	int		 w = 0, h = 0;

	memset(u, 0, sizeof *u);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		haos_error_set(err, HAOS_EIO, "not a regular file");
		return -1;
	}
	base = strrchr(path, '/');
	u->name = files_safe_name(base != NULL ? base + 1 : path);
	u->size = (int64_t)sb.st_size;
	u->mimetype = upload_probe_type(fd);
	if (strncmp(u->mimetype, "image/", 6) == 0 &&
	    (fmt = image_probe(path, &w, &h)) != NULL) {
		free(fmt);
		if (w > 0 && h > 0) {
			u->w = w;
			u->h = h;
		}
	}
	return 0;
}
