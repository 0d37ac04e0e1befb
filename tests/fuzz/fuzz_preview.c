/*
 * Fuzz an image preview's decoding (preview.c): the bytes a server sends
 * as a thumbnail, written to a file as the cache keeps it, then checked
 * and decoded by gdk-pixbuf and drawn by libchafa, at a few sizes and
 * colour depths.  Invariants: either a preview no larger than asked
 * whose cells are printable narrow symbols with colours the terminal
 * has, or NULL with a reason; never a crash or a leak.  The first byte
 * picks the size and depth; the rest is the file.
 */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/preview.h"

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
	free(path);
	return 0;
}
