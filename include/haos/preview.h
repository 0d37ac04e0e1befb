/* Image previews: a file decoded (gdk-pixbuf) to symbol art (libchafa). */
#ifndef HAOS_PREVIEW_H
#define HAOS_PREVIEW_H

#include "haos/haos.h"

#include <stdint.h>

#define PREVIEW_FILE_MAX	((int64_t)8 << 20)	/* bytes decoded */
#define PREVIEW_SIDE_MAX	8000	/* pixels, either side */
#define PREVIEW_PIXELS_MAX	((int64_t)4 << 20)	/* pixels in all */

/*
 * One cell of a preview: a narrow symbol and its colours as the terminal
 * numbers them (theme.c's convention: 0xRRGGBB with more than 256
 * colours, else a palette index; -1 the default colour).
 */
struct preview_cell {
	uint32_t	 cp;
	int		 fg, bg;
};

struct preview {
	int			 cols, rows;
	struct preview_cell	*cells;		/* rows * cols, row by row */
};

/*
 * The image in file path as symbol art at most cols x rows cells (its
 * aspect kept, cells twice as high as wide), for a terminal of colors
 * colours (0: none, FG/BG symbols only), ASCII symbols only if ascii.
 * The file (hostile) is refused past PREVIEW_FILE_MAX bytes, when empty,
 * not PNG, JPEG, GIF or WebP, or whose header gives a side over
 * PREVIEW_SIDE_MAX or more than PREVIEW_PIXELS_MAX pixels, before any
 * decoding; then *err says why in a few words ("not an image", "too
 * large: 20000x20000").  A preview to preview_free(), or NULL.
 */
struct preview	*preview_file(const char *path, int cols, int rows,
		     int colors, int ascii, struct haos_error *);
void		 preview_free(struct preview *);

/*
 * [ui] image_preview: "auto" and "symbols" give symbols, "off" nothing;
 * 1 for symbols, 0 for none.
 */
int		 preview_enabled(const char *mode);

#endif
