/* Image previews: a file decoded (image.c) to symbol art (libchafa). */

/*
 * The only home of <chafa.h>; the decoding is image.c's.  The file
 * is a server's thumbnail (or a small decrypted image) and hostile: its
 * size and the dimensions its header gives are checked before anything
 * is decoded, so the decoding is bounded (PREVIEW_PIXELS_MAX) and, for
 * the thumbnails servers send (at most 800x600), a few milliseconds:
 * it runs on the UI thread when the file arrives, once, and the symbols
 * are kept.  In a graphics mode (preview_pixels()) the cells are blank
 * and the image is kept instead: for kitty its pixels, scaled down to
 * the rectangle's (nearest neighbour) and sent once by graphics.c; for
 * sixel chafa's CHAFA_PIXEL_MODE_SIXELS print of it.  The file is
 * decoded whole (image_load(): the incremental
 * loader behind gdk-pixbuf's _at_scale() variants takes a truncated PNG
 * as a complete one) and chafa scales it to the cells.  Only PNG,
 * JPEG, GIF and WebP are decoded (no SVG through librsvg, no old
 * formats' loaders).  Symbols are narrow only (block, border and space
 * elements; ASCII when asked), so a cell is a column.  No curses here:
 * the timeline's lines carry the cells (render-image.c) and
 * pane-messages.c draws them.
 */
#include "haos/preview.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include <chafa.h>

#include "haos/error.h"
#include "haos/image.h"
#include "haos/xmalloc.h"


int
preview_enabled(const char *mode)
{
	return mode != NULL && (strcmp(mode, "auto") == 0 ||
	    strcmp(mode, "symbols") == 0 || strcmp(mode, "sixel") == 0 ||
	    strcmp(mode, "kitty") == 0);
}

void
preview_free(struct preview *p)
{
	if (p == NULL)
		return;
	free(p->cells);
	free(p->data);
	free(p);
}

/* The loaders (image_probe()'s names) a preview may use. */
static const char *const preview_formats[] = { "png", "jpeg", "gif", "webp" };

/* The canvas mode for a terminal of colors colours. */
static ChafaCanvasMode
preview_canvas_mode(int colors)
{
	if (colors > 256)
		return CHAFA_CANVAS_MODE_TRUECOLOR;
	if (colors >= 256)
		return CHAFA_CANVAS_MODE_INDEXED_256;
	if (colors >= 16)
		return CHAFA_CANVAS_MODE_INDEXED_16;
	if (colors >= 8)
		return CHAFA_CANVAS_MODE_INDEXED_8;
	return CHAFA_CANVAS_MODE_FGBG;
}

/* The header's word on the file: -1 with err if it is not to be decoded. */
static int
preview_check(const char *path, struct haos_error *err)
{
	struct stat	 st;
	char		*name;
	int		 w = 0, h = 0;
	size_t		 i;

	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
		haos_error_set(err, HAOS_EIO, "no file");
		return -1;
	}
	if (st.st_size == 0) {
		haos_error_set(err, HAOS_EPROTO, "empty file");
		return -1;
	}
	if ((int64_t)st.st_size > PREVIEW_FILE_MAX) {
		haos_error_set(err, HAOS_EPROTO, "file too large");
		return -1;
	}
	name = image_probe(path, &w, &h);
	if (name == NULL) {
		haos_error_set(err, HAOS_EPROTO, "not an image");
		return -1;
	}
	/* Raster formats only: no SVG (librsvg) nor the odd old loaders. */
	for (i = 0; i < nitems(preview_formats); i++) {
		if (strcmp(name, preview_formats[i]) == 0)
			break;
	}
	free(name);
	if (i == nitems(preview_formats)) {
		haos_error_set(err, HAOS_EPROTO, "not a PNG, JPEG, GIF or "
		    "WebP image");
		return -1;
	}
	if (w <= 0 || h <= 0) {
		haos_error_set(err, HAOS_EPROTO, "no size");
		return -1;
	}
	if (w > PREVIEW_SIDE_MAX || h > PREVIEW_SIDE_MAX ||
	    (int64_t)w * h > PREVIEW_PIXELS_MAX) {
		haos_error_set(err, HAOS_EPROTO, "too large: %dx%d", w, h);
		return -1;
	}
	return 0;
}

/*
 * The canvas's cells read back into p: raw colours are the palette's
 * indexes in the indexed modes, 0xRRGGBB in truecolor.
 */
static void
preview_read(struct preview *p, ChafaCanvas *cv, int colors)
{
	struct preview_cell	*c;
	gint			 fg, bg;
	int			 x, y;

	for (y = 0; y < p->rows; y++) {
		for (x = 0; x < p->cols; x++) {
			c = &p->cells[y * p->cols + x];
			c->cp = chafa_canvas_get_char_at(cv, x, y);
			if (c->cp == 0 || !g_unichar_isprint(c->cp) ||
			    g_unichar_iswide(c->cp))
				c->cp = ' ';
			fg = bg = -1;
			if (colors >= 8)
				chafa_canvas_get_raw_colors_at(cv, x, y, &fg,
				    &bg);
			c->fg = fg < 0 ? -1 : fg;
			c->bg = bg < 0 ? -1 : bg;
		}
	}
}

struct preview *
preview_file(const char *path, int cols, int rows, int colors, int ascii,
    struct haos_error *err)
{
	struct image		 im;
	ChafaSymbolMap		*map;
	ChafaCanvasConfig	*cfg;
	ChafaCanvas		*cv;
	struct preview		*p;

	if (cols < 1 || rows < 1) {
		haos_error_set(err, HAOS_EUSAGE, "no room");
		return NULL;
	}
	if (preview_check(path, err) == -1)
		return NULL;
	if (image_load(path, &im, err) == -1)
		return NULL;
	p = xcalloc(1, sizeof *p);
	p->mode = PREVIEW_SYMBOLS;
	p->cols = cols;
	p->rows = rows;
	chafa_calc_canvas_geometry(im.w, im.h, &p->cols, &p->rows, 0.5f, FALSE,
	    FALSE);
	if (p->cols < 1)
		p->cols = 1;
	if (p->rows < 1)
		p->rows = 1;
	p->cells = xcalloc((size_t)p->cols * (size_t)p->rows,
	    sizeof *p->cells);

	map = chafa_symbol_map_new();
	if (ascii)
		chafa_symbol_map_add_by_tags(map, CHAFA_SYMBOL_TAG_ASCII);
	else
		chafa_symbol_map_add_by_tags(map, CHAFA_SYMBOL_TAG_BLOCK |
		    CHAFA_SYMBOL_TAG_BORDER | CHAFA_SYMBOL_TAG_SPACE);
	chafa_symbol_map_remove_by_tags(map, CHAFA_SYMBOL_TAG_WIDE);
	cfg = chafa_canvas_config_new();
	chafa_canvas_config_set_geometry(cfg, p->cols, p->rows);
	chafa_canvas_config_set_canvas_mode(cfg, preview_canvas_mode(colors));
	chafa_canvas_config_set_symbol_map(cfg, map);
	cv = chafa_canvas_new(cfg);
	chafa_canvas_draw_all_pixels(cv, im.alpha ?
	    CHAFA_PIXEL_RGBA8_UNASSOCIATED : CHAFA_PIXEL_RGB8, im.pixels, im.w,
	    im.h, im.rowstride);
	preview_read(p, cv, colors);
	chafa_canvas_unref(cv);
	chafa_canvas_config_unref(cfg);
	chafa_symbol_map_unref(map);
	image_free(&im);
	return p;
}

/* The kitty payload: im's pixels as RGBA, at most pw x ph. */
static void
preview_rgba(struct preview *p, const struct image *im, int pw, int ph)
{
	const unsigned char	*src;
	unsigned char		*dst;
	int			 x, y, sx, sy, n = im->alpha ? 4 : 3;

	if (im->w <= pw && im->h <= ph) {
		pw = im->w;
		ph = im->h;
	}
	p->pw = pw;
	p->ph = ph;
	p->len = (size_t)pw * (size_t)ph * 4;
	p->data = xmalloc(p->len);
	dst = p->data;
	for (y = 0; y < ph; y++) {
		sy = (int)((int64_t)y * im->h / ph);
		for (x = 0; x < pw; x++) {
			sx = (int)((int64_t)x * im->w / pw);
			src = im->pixels + (size_t)sy * (size_t)im->rowstride +
			    (size_t)sx * (size_t)n;
			dst[0] = src[0];
			dst[1] = src[1];
			dst[2] = src[2];
			dst[3] = n == 4 ? src[3] : 0xff;
			dst += 4;
		}
	}
}

/* The sixel payload: chafa's print of im in p's cells. */
static void
preview_sixel(struct preview *p, const struct image *im, int cw, int ch)
{
	ChafaCanvasConfig	*cfg;
	ChafaCanvas		*cv;
	ChafaTermDb		*db;
	ChafaTermInfo		*ti;
	GString			*gs;

	cfg = chafa_canvas_config_new();
	chafa_canvas_config_set_geometry(cfg, p->cols, p->rows);
	chafa_canvas_config_set_cell_geometry(cfg, cw, ch);
	chafa_canvas_config_set_canvas_mode(cfg, CHAFA_CANVAS_MODE_TRUECOLOR);
	chafa_canvas_config_set_pixel_mode(cfg, CHAFA_PIXEL_MODE_SIXELS);
	cv = chafa_canvas_new(cfg);
	chafa_canvas_draw_all_pixels(cv, im->alpha ?
	    CHAFA_PIXEL_RGBA8_UNASSOCIATED : CHAFA_PIXEL_RGB8, im->pixels,
	    im->w, im->h, im->rowstride);
	db = chafa_term_db_new();
	ti = chafa_term_db_get_fallback_info(db);
	gs = chafa_canvas_print(cv, ti);
	p->len = gs->len;
	p->data = xmalloc(gs->len + 1);
	memcpy(p->data, gs->str, gs->len);
	p->data[gs->len] = '\0';
	p->pw = p->cols * cw;
	p->ph = p->rows * ch;
	g_string_free(gs, TRUE);
	chafa_term_info_unref(ti);
	chafa_term_db_unref(db);
	chafa_canvas_unref(cv);
	chafa_canvas_config_unref(cfg);
}

struct preview *
preview_pixels(const char *path, int cols, int rows, enum preview_mode mode,
    int cell_w, int cell_h, struct haos_error *err)
{
	struct image	 im;
	struct preview	*p;
	int		 i;

	if (cols < 1 || rows < 1 || cell_w < 1 || cell_h < 1 ||
	    (mode != PREVIEW_SIXEL && mode != PREVIEW_KITTY)) {
		haos_error_set(err, HAOS_EUSAGE, "no room");
		return NULL;
	}
	if (preview_check(path, err) == -1)
		return NULL;
	if (image_load(path, &im, err) == -1)
		return NULL;
	p = xcalloc(1, sizeof *p);
	p->mode = mode;
	p->cols = cols;
	p->rows = rows;
	chafa_calc_canvas_geometry(im.w, im.h, &p->cols, &p->rows,
	    (gfloat)cell_w / (gfloat)cell_h, FALSE, FALSE);
	if (p->cols < 1)
		p->cols = 1;
	if (p->rows < 1)
		p->rows = 1;
	p->cells = xcalloc((size_t)p->cols * (size_t)p->rows,
	    sizeof *p->cells);
	for (i = 0; i < p->cols * p->rows; i++) {
		p->cells[i].cp = ' ';
		p->cells[i].fg = p->cells[i].bg = -1;
	}
	if (mode == PREVIEW_KITTY)
		preview_rgba(p, &im, p->cols * cell_w, p->rows * cell_h);
	else
		preview_sixel(p, &im, cell_w, cell_h);
	image_free(&im);
	return p;
}
