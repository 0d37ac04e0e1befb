/* The content of an attachment's event, as Element and HAOS shape it. */
#include "haos/upload.h"

#include <stdlib.h>
#include <string.h>

#include "haos/json.h"
#include "haos/xmalloc.h"

/* m.image, m.video or m.audio by the MIME type's top level, else m.file. */
const char *
upload_msgtype(const char *mimetype)
{
	if (mimetype == NULL)
		return "m.file";
	if (strncmp(mimetype, "image/", 6) == 0)
		return "m.image";
	if (strncmp(mimetype, "video/", 6) == 0)
		return "m.video";
	if (strncmp(mimetype, "audio/", 6) == 0)
		return "m.audio";
	return "m.file";
}

/* A MIME type fit to send: type/subtype of RFC 6838's characters. */
int
upload_mimetype_ok(const char *t)
{
	const char	*p;
	int		 slash = 0;

	if (t == NULL || *t == '\0' || strlen(t) > 127)
		return 0;
	for (p = t; *p != '\0'; p++) {
		if (*p == '/') {
			if (slash++ || p == t || p[1] == '\0')
				return 0;
			continue;
		}
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9'))
			continue;
		if (strchr("!#$&-^_.+", *p) == NULL)
			return 0;
	}
	return slash == 1;
}

/*
 * {msgtype, body, info: {mimetype, size, w, h}}: body the file's name,
 * as the HAOS web app and Element send it; with a caption (spec v1.10),
 * body is the caption and filename the name.  The url (or, encrypted,
 * the file object) comes once uploaded: upload_set_url().
 */
json_t *
upload_content(const struct upload_info *u)
{
	json_t	*c, *info;
	int	 caption;

	caption = u->caption != NULL && *u->caption != '\0';
	info = json_object();
	json_object_set_new(info, "mimetype", json_string(u->mimetype));
	json_object_set_new(info, "size", json_integer(u->size));
	if (u->w > 0 && u->h > 0) {
		json_object_set_new(info, "w", json_integer(u->w));
		json_object_set_new(info, "h", json_integer(u->h));
	}
	c = json_object();
	json_object_set_new(c, "msgtype",
	    json_string(upload_msgtype(u->mimetype)));
	json_object_set_new(c, "body", json_string(caption ? u->caption :
	    u->name));
	if (caption)
		json_object_set_new(c, "filename", json_string(u->name));
	json_object_set_new(c, "info", info);
	return c;
}

/*
 * The uploaded file into content: url, or for an encrypted room (file
 * not NULL: its object without url) file with its url.  -1 if bad.
 */
int
upload_set_url(json_t *content, const char *mxc, const json_t *file)
{
	json_t	*f;

	if (!json_is_object(content) || mxc == NULL ||
	    strncmp(mxc, "mxc://", 6) != 0)
		return -1;
	if (file == NULL) {
		json_object_set_new(content, "url", json_string(mxc));
		return 0;
	}
	if (!json_is_object(file))
		return -1;
	f = json_deep_copy(file);
	json_object_set_new(f, "url", json_string(mxc));
	json_object_set_new(content, "file", f);
	return 0;
}

void
upload_info_free(struct upload_info *u)
{
	if (u == NULL)
		return;
	free(u->name);
	free(u->caption);
	free(u->mimetype);
	memset(u, 0, sizeof *u);
}
