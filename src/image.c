/* Image files: header probes and whole decodes through gdk-pixbuf. */

/*
 * The only home of <gdk-pixbuf/gdk-pixbuf.h>: /upload reads an image's
 * width and height from its header (upload-probe.c), a preview decodes
 * its thumbnail (ui/preview.c, which checks the header first, so the
 * decoding is bounded).  Files are hostile: nothing here trusts them
 * beyond what gdk-pixbuf's loaders check, and a decode that is not
 * 8-bit RGB(A) is refused.
 */
#include "haos/image.h"

#include <stdlib.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "haos/error.h"
#include "haos/xmalloc.h"

char *
image_probe(const char *path, int *w, int *h)
{
	GdkPixbufFormat	*fmt;
	gchar		*name;
	gint		 gw = 0, gh = 0;
	char		*out;

	*w = *h = 0;
	fmt = gdk_pixbuf_get_file_info(path, &gw, &gh);
	if (fmt == NULL)
		return NULL;
	name = gdk_pixbuf_format_get_name(fmt);
	out = xstrdup(name != NULL ? name : "");
	g_free(name);
	*w = gw;
	*h = gh;
	return out;
}

int
image_load(const char *path, struct image *im, struct haos_error *err)
{
	GdkPixbuf	*pb;
	GError		*gerr = NULL;

	memset(im, 0, sizeof *im);
	/* Whole: the incremental loader takes a truncated PNG. */
	pb = gdk_pixbuf_new_from_file(path, &gerr);
	if (pb == NULL || gerr != NULL) {
		/* Its message names the file: ours does not. */
		if (pb != NULL)
			g_object_unref(pb);
		g_clear_error(&gerr);
		haos_error_set(err, HAOS_EPROTO, "cannot decode it");
		return -1;
	}
	im->w = gdk_pixbuf_get_width(pb);
	im->h = gdk_pixbuf_get_height(pb);
	im->alpha = gdk_pixbuf_get_has_alpha(pb);
	if (gdk_pixbuf_get_bits_per_sample(pb) != 8 ||
	    gdk_pixbuf_get_colorspace(pb) != GDK_COLORSPACE_RGB ||
	    gdk_pixbuf_get_n_channels(pb) != (im->alpha ? 4 : 3) ||
	    im->w <= 0 || im->h <= 0) {
		g_object_unref(pb);
		memset(im, 0, sizeof *im);
		haos_error_set(err, HAOS_EPROTO, "cannot decode it");
		return -1;
	}
	im->rowstride = gdk_pixbuf_get_rowstride(pb);
	im->pixels = gdk_pixbuf_read_pixels(pb);
	im->handle = pb;
	return 0;
}

void
image_free(struct image *im)
{
	if (im->handle != NULL)
		g_object_unref(im->handle);
	memset(im, 0, sizeof *im);
}
