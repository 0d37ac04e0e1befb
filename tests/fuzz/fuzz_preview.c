/*
 * Fuzz an image preview's decoding (preview.c): the bytes a server sends
 * as a thumbnail, written to a file as the cache keeps it, then checked
 * and decoded by gdk-pixbuf and drawn by libchafa, at a few sizes and
 * colour depths.  Invariants: either a preview no larger than asked
 * whose cells are printable narrow symbols with colours the terminal
 * has, or NULL with a reason; never a crash or a leak.  The first byte
 * picks the size and depth; the rest is the file.  The same file in the
 * graphics modes (preview_pixels()): kitty's pixels no more than the
 * rectangle's, sixel's one DCS sequence of printable ASCII between its
 * ESC P and ESC \, so nothing of the file reaches the terminal raw.
 */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/preview.h"

/* The graphics modes' invariants, at 10x20 pixels a cell. */
static void
pixels(const char *path, int cols, int rows, enum preview_mode mode)
{
	struct haos_error	 err;
	struct preview		*p;
	size_t			 i;

	memset(&err, 0, sizeof err);
	p = preview_pixels(path, cols, rows, mode, 10, 20, &err);
	if (p == NULL) {
		if (err.msg[0] == '\0')
			fuzz_fail("refused without a reason");
		return;
	}
	if (p->cols < 1 || p->cols > cols || p->rows < 1 || p->rows > rows)
		fuzz_fail("%dx%d pixels for %dx%d", p->cols, p->rows, cols,
		    rows);
	if (mode == PREVIEW_KITTY && (p->pw < 1 || p->pw > p->cols * 10 ||
	    p->ph < 1 || p->ph > p->rows * 20 ||
	    p->len != (size_t)p->pw * (size_t)p->ph * 4))
		fuzz_fail("kitty %dx%d pixels, %zu bytes", p->pw, p->ph,
		    p->len);
	if (mode == PREVIEW_SIXEL) {
		if (p->len < 4 || memcmp(p->data, "\033P", 2) != 0 ||
		    memcmp(p->data + p->len - 2, "\033\\", 2) != 0)
			fuzz_fail("sixel not one DCS sequence");
		for (i = 2; i < p->len - 2; i++) {
			if (p->data[i] < 0x20 || p->data[i] > 0x7e)
				fuzz_fail("sixel byte %02x", p->data[i]);
		}
	}
	preview_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int	 colors[] = { 0, 8, 16, 256, 1 << 24 };
	struct haos_error	 err;
	struct preview		*p;
	char			*path;
	int			 cols, rows, c, i, max;

	if (size < 1)
		return 0;
	cols = 1 + (data[0] & 0x3f);
	rows = 1 + ((data[0] >> 6) & 3) * 4;
	c = colors[data[0] % 5];
	path = fuzz_write("preview.img", data + 1, size - 1);
	memset(&err, 0, sizeof err);
	p = preview_file(path, cols, rows, c, data[0] & 1, &err);
	if (p == NULL) {
		if (err.msg[0] == '\0')
			fuzz_fail("refused without a reason");
	} else {
		if (p->cols < 1 || p->cols > cols || p->rows < 1 ||
		    p->rows > rows)
			fuzz_fail("%dx%d preview for %dx%d", p->cols, p->rows,
			    cols, rows);
		max = c > 256 ? 0xffffff : c - 1;
		for (i = 0; i < p->cols * p->rows; i++) {
			if (p->cells[i].cp < 0x20 || (p->cells[i].cp >= 0x7f &&
			    p->cells[i].cp < 0xa0) || p->cells[i].cp > 0x10ffff)
				fuzz_fail("control symbol %x", p->cells[i].cp);
			if ((c < 8 && (p->cells[i].fg != -1 ||
			    p->cells[i].bg != -1)) || p->cells[i].fg > max ||
			    p->cells[i].bg > max || p->cells[i].fg < -1 ||
			    p->cells[i].bg < -1)
				fuzz_fail("colour %d/%d of %d", p->cells[i].fg,
				    p->cells[i].bg, c);
		}
		preview_free(p);
	}
	pixels(path, cols, rows, PREVIEW_KITTY);
	pixels(path, cols, rows, PREVIEW_SIXEL);
	free(path);
	return 0;
}
