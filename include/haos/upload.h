/* An attachment to send: what it is and the content its event carries. */
#ifndef HAOS_UPLOAD_H
#define HAOS_UPLOAD_H

#include "haos/haos.h"
#include "haos/json.h"

#include <stdint.h>

/*
 * What upload_probe() learns of a local file (upload-probe.c: libmagic
 * for the MIME type, gdk-pixbuf for an image's size in pixels) and
 * what upload_content() (upload.c, pure) makes the event's content of.
 */
struct upload_info {
	char		*name;		/* a clean base name */
	char		*caption;	/* NULL: none */
	char		*mimetype;	/* never NULL once probed */
	int64_t		 size;		/* bytes */
	int		 w, h;		/* images: pixels, else 0 */
};

int		 upload_probe(const char *path, int fd, struct upload_info *,
		     struct haos_error *);
void		 upload_info_free(struct upload_info *);
const char	*upload_msgtype(const char *mimetype);
int		 upload_mimetype_ok(const char *);
json_t		*upload_content(const struct upload_info *);
int		 upload_set_url(json_t *content, const char *mxc,
		     const json_t *file);

#endif
