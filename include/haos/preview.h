/* Image previews: a file decoded (gdk-pixbuf) to symbol art (libchafa). */
#ifndef HAOS_PREVIEW_H
#define HAOS_PREVIEW_H

#include "haos/haos.h"

#include <stddef.h>
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

/* How previews are drawn ([ui] image_preview, auto resolved). */
enum preview_mode {
	PREVIEW_OFF = 0,
	PREVIEW_SYMBOLS,
	PREVIEW_SIXEL,
	PREVIEW_KITTY
};

/*
 * A preview is cols x rows cells.  In symbols mode the cells are the
 * art; in a graphics mode they are blank (the timeline keeps the
 * rectangle) and data holds the image: kitty, pw x ph RGBA pixels (at
 * most the rectangle's pixels); sixel, the whole DCS sequence chafa
 * printed, to write at the rectangle's top-left corner.
 */
struct preview {
	int			 cols, rows;
	struct preview_cell	*cells;		/* rows * cols, row by row */
	enum preview_mode	 mode;
	unsigned char		*data;
	size_t			 len;
	int			 pw, ph;
	uint32_t		 gfx_id;	/* graphics.c's image id */
	int			 gfx_sent;	/* kitty: transmitted */
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
 * The image in path for a graphics mode (PREVIEW_SIXEL or PREVIEW_KITTY)
 * in at most cols x rows cells of cell_w x cell_h pixels (its aspect
 * kept), with preview_file()'s checks: blank cells and the image's data
 * (see struct preview), or NULL with *err.
 */
struct preview	*preview_pixels(const char *path, int cols, int rows,
		     enum preview_mode, int cell_w, int cell_h,
		     struct haos_error *);

/*
 * [ui] image_preview: "auto", "symbols", "sixel" and "kitty" give a
 * preview, "off" nothing; 1 for a preview, 0 for none.
 */
int		 preview_enabled(const char *mode);

#endif
