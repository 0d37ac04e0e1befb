/* Image previews: hostile files refused with a reason, symbols drawn. */
#include "check_haos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/matrix.h"
#include "haos/preview.h"
#include "haos/render.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/* The preview of fixture image/name, or NULL with err. */
static struct preview *
pv_of(const char *name, int cols, int rows, int colors, int ascii,
    struct haos_error *err)
{
	struct preview	*p;
	char		*rel, *path;

	rel = xasprintf("image/%s", name);
	path = test_fixture(rel);
	p = preview_file(path, cols, rows, colors, ascii, err);
	free(path);
	free(rel);
	return p;
}

/* Refused, and err says why with want in it. */
static void
pv_refused(const char *name, const char *want)
{
	struct haos_error	 err;
	struct preview		*p;

	memset(&err, 0, sizeof err);
	p = pv_of(name, 40, 8, 256, 0, &err);
	ck_assert_msg(p == NULL, "%s decoded", name);
	ck_assert_msg(strstr(err.msg, want) != NULL, "%s: \"%s\", not %s",
	    name, err.msg, want);
}

START_TEST(test_preview_malformed)
{
	pv_refused("truncated.png", "cannot decode");
	pv_refused("wrong-magic.png", "not an image");
	pv_refused("empty.png", "empty");
	pv_refused("zero.png", "");
	pv_refused("truncated.gif", "");
	pv_refused("missing.png", "no file");
	/* Images, but not of the four formats: SVG goes to librsvg. */
	pv_refused("vector.svg", "not a PNG, JPEG, GIF or WebP image");
	pv_refused("tiny.bmp", "not a PNG, JPEG, GIF or WebP image");
}
END_TEST

/* 30000x30000 in its header: refused by it, before any decoding. */
START_TEST(test_preview_bomb)
{
	pv_refused("bomb.png", "too large: 30000x30000");
}
END_TEST

/* Cells that are not all blank, of several colours. */
static void
pv_check_art(const struct preview *p, int colors)
{
	int	 i, n = p->cols * p->rows, ink = 0, multi = 0;

	for (i = 0; i < n; i++) {
		if (p->cells[i].cp != ' ' && p->cells[i].cp != 0x2588)
			ink++;
		if (p->cells[i].bg != p->cells[0].bg ||
		    p->cells[i].fg != p->cells[0].fg)
			multi = 1;
		ck_assert_int_le(p->cells[i].fg, colors > 256 ? 0xffffff :
		    colors - 1);
		ck_assert_int_le(p->cells[i].bg, colors > 256 ? 0xffffff :
		    colors - 1);
	}
	ck_assert_msg(ink > 0, "only blank cells");
	ck_assert_msg(multi, "one colour");
}

/* A 64x32 PNG in 40x8 cells: 32x8 (cells twice as high as wide). */
START_TEST(test_preview_png)
{
	struct haos_error	 err;
	struct preview		*p;
	static const int	 colors[] = { 256, 16, 8, 1 << 24 };
	size_t			 i;

	for (i = 0; i < nitems(colors); i++) {
		p = pv_of("good.png", 40, 8, colors[i], 0, &err);
		ck_assert_msg(p != NULL, "%s", err.msg);
		ck_assert_int_eq(p->cols, 32);
		ck_assert_int_eq(p->rows, 8);
		pv_check_art(p, colors[i]);
		preview_free(p);
	}
	/* Narrower than the image: the width bounds it. */
	p = pv_of("good.png", 16, 8, 256, 0, &err);
	ck_assert_msg(p != NULL, "%s", err.msg);
	ck_assert_int_eq(p->cols, 16);
	ck_assert_int_eq(p->rows, 4);
	preview_free(p);
}
END_TEST

/* ASCII symbols only; no colours: shapes, default colours. */
START_TEST(test_preview_ascii_mono)
{
	struct haos_error	 err;
	struct preview		*p;
	int			 i, ink = 0;

	p = pv_of("good.png", 40, 8, 0, 1, &err);
	ck_assert_msg(p != NULL, "%s", err.msg);
	for (i = 0; i < p->cols * p->rows; i++) {
		ck_assert_uint_lt(p->cells[i].cp, 0x80);
		ck_assert_int_eq(p->cells[i].fg, -1);
		ck_assert_int_eq(p->cells[i].bg, -1);
		if (p->cells[i].cp != ' ')
			ink++;
	}
	ck_assert_int_gt(ink, 0);
	preview_free(p);
}
END_TEST

START_TEST(test_preview_gif)
{
	struct haos_error	 err;
	struct preview		*p;

	p = pv_of("good.gif", 40, 8, 256, 0, &err);
	ck_assert_msg(p != NULL, "%s", err.msg);
	ck_assert_int_ge(p->cols, 1);
	ck_assert_int_le(p->cols, 40);
	ck_assert_int_le(p->rows, 8);
	preview_free(p);
}
END_TEST

START_TEST(test_preview_mode)
{
	ck_assert_int_eq(preview_enabled("auto"), 1);
	ck_assert_int_eq(preview_enabled("symbols"), 1);
	ck_assert_int_eq(preview_enabled("sixel"), 1);
	ck_assert_int_eq(preview_enabled("kitty"), 1);
	ck_assert_int_eq(preview_enabled("off"), 0);
	ck_assert_int_eq(preview_enabled(NULL), 0);
}
END_TEST


/* render_opts.preview_of for the render tests: a 3x2 preview, or why. */
static struct preview_cell	 pv_cells[6] = {
	{ 0x2580, 1, 2 }, { 0x2580, 1, 2 }, { 0x2584, 3, -1 },
	{ ' ', -1, 4 }, { 0x2588, 5, 5 }, { 0x2590, 5, 6 }
};
static struct preview		 pv_fake = { .cols = 3, .rows = 2,
	.cells = pv_cells };

static int
pv_of_fake(void *arg, const struct event_row *ev __unused, int cols,
    const struct preview **pv, const char **why)
{
	int	*mode = arg;

	ck_assert_int_gt(cols, 3);
	if (*mode == 1)
		*pv = &pv_fake;
	else
		*why = "cannot decode it";
	return *mode;
}

static void
pv_render(const char *content, const char *type, int mode,
    struct render_line **lines, size_t *n)
{
	struct render_opts	 ro;
	struct event_row	 ev;

	memset(&ev, 0, sizeof ev);
	ev.event_id = (char *)"$img";
	ev.sender = (char *)"@bob:haos.test";
	ev.type = (char *)type;
	ev.ts = 1700000000000;
	ev.content = (char *)content;
	memset(&ro, 0, sizeof ro);
	ro.width = 80;
	ro.me = "@alice:haos.test";
	ro.preview_of = pv_of_fake;
	ro.preview_arg = &mode;
	ck_assert_int_eq(render_timeline(&ev, 1, &ro, lines, n), 0);
}

/* The label's line, then the preview's rows as lines of the event. */
START_TEST(test_preview_render_lines)
{
	struct render_line	*l;
	size_t			 n, i, at = 0;

	pv_render("{\"msgtype\":\"m.image\",\"body\":\"cat.png\","
	    "\"url\":\"mxc://haos.test/a\"}", "m.room.message", 1, &l, &n);
	for (i = 0; i < n; i++)
		if (strstr(l[i].text, "[image: cat.png]") != NULL)
			at = i + 1;
	ck_assert_msg(at > 0 && at + 2 == n, "label then 2 rows (%zu)", n);
	ck_assert_ptr_nonnull(strstr(l[at].text, "\xe2\x96\x80\xe2\x96\x80"
	    "\xe2\x96\x84"));
	ck_assert_ptr_nonnull(strstr(l[at + 1].text, " \xe2\x96\x88"
	    "\xe2\x96\x90"));
	ck_assert_str_eq(l[at].event_id, "$img");
	ck_assert_int_eq(l[at].first, 0);
	/* The indent, then runs of equal colours: 2 spans for 3 cells. */
	ck_assert_uint_eq(l[at].nspans, 3);
	ck_assert_uint_eq(l[at].spans[1].flags, RF_IMAGE);
	ck_assert_int_eq(l[at].spans[1].color, 1);
	ck_assert_int_eq(l[at].spans[1].bg, 2);
	ck_assert_uint_eq(l[at].spans[1].len, 6);
	ck_assert_int_eq(l[at].spans[2].bg, -1);
	ck_assert_int_eq(l[at].width, (int)l[at].spans[0].len + 3);
	render_lines_free(l, n);

	/* Not an image: not asked. */
	pv_render("{\"msgtype\":\"m.file\",\"body\":\"a.txt\","
	    "\"url\":\"mxc://haos.test/a\"}", "m.room.message", 1, &l, &n);
	for (i = 0; i < n; i++)
		ck_assert_ptr_null(strstr(l[i].text, "\xe2\x96\x80"));
	render_lines_free(l, n);
}
END_TEST

/* The rectangle: the first row under the label, its indent, 2 rows. */
START_TEST(test_preview_render_top)
{
	struct render_line	*l;
	size_t			 n, i;
	int			 x = -1, rows = -1, tops = 0;

	pv_render("{\"msgtype\":\"m.image\",\"body\":\"cat.png\","
	    "\"url\":\"mxc://haos.test/a\"}", "m.room.message", 1, &l, &n);
	for (i = 0; i < n; i++) {
		if (!render_image_top(l, n, i, &x, &rows))
			continue;
		tops++;
		ck_assert_uint_eq(i, n - 2);
		ck_assert_int_eq(rows, 2);
		ck_assert_int_eq(x, (int)l[i].spans[0].len);
		ck_assert_int_gt(x, 0);
	}
	ck_assert_int_eq(tops, 1);
	/* The second row alone is no top; past the end neither. */
	ck_assert_int_eq(render_image_top(l, n, n - 1, &x, &rows), 0);
	ck_assert_int_eq(render_image_top(l, n, n, &x, &rows), 0);
	/* Cut above its first row (a page starting there): a top. */
	ck_assert_int_eq(render_image_top(l + n - 1, 1, 0, &x, &rows), 1);
	ck_assert_int_eq(rows, 1);
	render_lines_free(l, n);
}
END_TEST

/* The previews of fixture image/name in a graphics mode. */
static struct preview *
pv_pixels(const char *name, enum preview_mode mode, int cols, int rows,
    struct haos_error *err)
{
	struct preview	*p;
	char		*rel, *path;

	rel = xasprintf("image/%s", name);
	path = test_fixture(rel);
	p = preview_pixels(path, cols, rows, mode, 10, 20, err);
	free(path);
	free(rel);
	return p;
}

/*
 * Kitty: blank cells, RGBA pixels no larger than the rectangle; sixel:
 * one DCS sequence no higher than the rectangle; hostile files refused
 * as in symbols mode.
 */
START_TEST(test_preview_pixels)
{
	struct haos_error	 err;
	struct preview		*p;
	const char		*q;
	int			 i, w, h;

	p = pv_pixels("good.png", PREVIEW_KITTY, 40, 8, &err);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->mode, PREVIEW_KITTY);
	ck_assert_int_ge(p->cols, 1);
	ck_assert_int_le(p->cols, 40);
	ck_assert_int_ge(p->rows, 1);
	ck_assert_int_le(p->rows, 8);
	/* 64x32 at 10x20 pixels a cell: twice as wide in cells as high. */
	ck_assert_int_eq(p->cols, 4 * p->rows);
	for (i = 0; i < p->cols * p->rows; i++) {
		ck_assert_uint_eq(p->cells[i].cp, ' ');
		ck_assert_int_eq(p->cells[i].fg, -1);
		ck_assert_int_eq(p->cells[i].bg, -1);
	}
	ck_assert_int_le(p->pw, p->cols * 10);
	ck_assert_int_le(p->ph, p->rows * 20);
	ck_assert_uint_eq(p->len, (size_t)p->pw * (size_t)p->ph * 4);
	preview_free(p);

	/* Scaled down to the rectangle's pixels. */
	p = pv_pixels("good.png", PREVIEW_KITTY, 2, 1, &err);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_le(p->pw, p->cols * 10);
	ck_assert_int_le(p->ph, p->rows * 20);
	ck_assert_uint_eq(p->len, (size_t)p->pw * (size_t)p->ph * 4);
	preview_free(p);

	p = pv_pixels("good.png", PREVIEW_SIXEL, 40, 8, &err);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_le(p->rows, 8);
	ck_assert_uint_gt(p->len, 4);
	ck_assert_int_eq(memcmp(p->data, "\033P", 2), 0);
	ck_assert_int_eq(memcmp(p->data + p->len - 2, "\033\\", 2), 0);
	/* Its raster: "Pan;Pad;Ph;Pv, no larger than the cells. */
	q = memchr(p->data, '"', p->len);
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(sscanf(q, "\"1;1;%d;%d", &w, &h), 2);
	ck_assert_int_le(w, p->cols * 10);
	ck_assert_int_le(h, p->rows * 20);
	/* Nothing but printable ASCII inside its ESC P ... ESC \\. */
	for (i = 2; i < (int)p->len - 2; i++)
		ck_assert_msg(p->data[i] >= 0x20 && p->data[i] <= 0x7e,
		    "byte %02x at %d", p->data[i], i);
	preview_free(p);

	ck_assert_ptr_null(pv_pixels("truncated.png", PREVIEW_KITTY, 40, 8,
	    &err));
	ck_assert_ptr_null(pv_pixels("bomb.png", PREVIEW_SIXEL, 40, 8, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "too large"));
	ck_assert_ptr_null(pv_pixels("vector.svg", PREVIEW_KITTY, 40, 8,
	    &err));
	ck_assert_ptr_null(pv_pixels("good.png", PREVIEW_SYMBOLS, 40, 8,
	    &err));
}
END_TEST

/* Why, in one dim line under the label; the name sanitised. */
START_TEST(test_preview_render_placeholder)
{
	struct render_line	*l;
	size_t			 n, i;
	int			 found = 0;

	pv_render("{\"body\":\"s\\u001b[31m.webp\","
	    "\"url\":\"mxc://haos.test/a\"}", "m.sticker", 2, &l, &n);
	for (i = 0; i < n; i++) {
		ck_assert_ptr_null(strchr(l[i].text, '\x1b'));
		if (strstr(l[i].text, "[sticker: s.webp \xe2\x80\x94") !=
		    NULL &&
		    strstr(l[i].text, ".webp \xe2\x80\x94 preview unavailable:"
		    " cannot decode it]") != NULL) {
			found = 1;
			ck_assert_int_eq(l[i].spans[l[i].nspans - 1].attr,
			    RA_DIM);
		}
	}
	ck_assert_msg(found, "no placeholder line");
	render_lines_free(l, n);
}
END_TEST

/* Past the cap, the least recently used previews go; downloads stay. */
START_TEST(test_preview_cache_evict)
{
	struct haos_error	 err;
	struct store		*st;
	char			*dir, *path, **old, *got;
	size_t			 n;

	dir = test_tmpdir();
	path = xasprintf("%s/cache.db", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	ck_assert_int_eq(store_media_put(st, "mxc://s/a#thumb-320x240",
	    "/c/a", NULL, 400, &err), 0);
	usleep(2000);
	ck_assert_int_eq(store_media_put(st, "mxc://s/b#thumb-320x240",
	    "/c/b", NULL, 400, &err), 0);
	usleep(2000);
	ck_assert_int_eq(store_media_put(st, "mxc://s/big", "/dl/big", NULL,
	    5000, &err), 0);
	usleep(2000);
	ck_assert_int_eq(store_media_put(st, "mxc://s/c#thumb-file", "/c/c",
	    NULL, 400, &err), 0);
	usleep(2000);
	/* a used again: b is now the oldest. */
	ck_assert_int_eq(store_media_put(st, "mxc://s/a#thumb-320x240",
	    "/c/a", NULL, 400, &err), 0);
	ck_assert_msg(store_media_evict(st, 1000, &old, &n, &err) == 0, "%s",
	    err.msg);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(old[0], "/c/b");
	free(old[0]);
	free(old);
	got = NULL;
	ck_assert_int_eq(store_query_media(st, "mxc://s/b#thumb-320x240",
	    &got, &err), 0);
	ck_assert_msg(got == NULL || *got == '\0', "b still indexed");
	free(got);
	ck_assert_int_eq(store_query_media(st, "mxc://s/a#thumb-320x240",
	    &got, &err), 0);
	ck_assert_str_eq(got, "/c/a");
	free(got);
	ck_assert_int_eq(store_query_media(st, "mxc://s/big", &got, &err), 0);
	ck_assert_str_eq(got, "/dl/big");
	free(got);
	/* Under the cap: nothing. */
	ck_assert_int_eq(store_media_evict(st, 1000, &old, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	store_close(st);
	free(path);
	free(dir);
}
END_TEST

START_TEST(test_preview_thumbnail_path)
{
	char	*p;

	p = matrix_media_thumbnail_path("haos.test", "abc", 320, 240, 1);
	ck_assert_str_eq(p, "/_matrix/client/v1/media/thumbnail/haos.test/"
	    "abc?width=320&height=240&method=scale");
	free(p);
	p = matrix_media_thumbnail_path("[::1]:8448", "abc", 640, 480, 0);
	ck_assert_str_eq(p, "/_matrix/media/v3/thumbnail/%5B%3A%3A1%5D%3A8448/"
	    "abc?width=640&height=480&method=scale");
	free(p);
}
END_TEST

Suite *
suite_preview(void)
{
	Suite	*s = suite_create("preview");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_preview_malformed);
	tcase_add_test(tc, test_preview_bomb);
	tcase_add_test(tc, test_preview_png);
	tcase_add_test(tc, test_preview_ascii_mono);
	tcase_add_test(tc, test_preview_gif);
	tcase_add_test(tc, test_preview_mode);
	tcase_add_test(tc, test_preview_render_lines);
	tcase_add_test(tc, test_preview_render_placeholder);
	tcase_add_test(tc, test_preview_render_top);
	tcase_add_test(tc, test_preview_pixels);
	tcase_add_test(tc, test_preview_cache_evict);
	tcase_add_test(tc, test_preview_thumbnail_path);
	suite_add_tcase(s, tc);
	return s;
}
