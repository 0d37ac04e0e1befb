/* Kitty and sixel previews: sequences, auto detection, rectangles. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/graphics-seq.h"
#include "haos/xmalloc.h"

/* Standard base64 of s back to bytes at out; -1 if not base64. */
static long
gx_unb64(const char *s, size_t n, unsigned char *out)
{
	static const char	 b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char		*p;
	unsigned int		 v = 0;
	size_t			 i;
	long			 o = 0;
	int			 bits = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '=')
			break;
		if ((p = strchr(b64, s[i])) == NULL || s[i] == '\0')
			return -1;
		v = v << 6 | (unsigned int)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	return o;
}

/*
 * The chunks of a kitty transmit of w x h pixels: each APC is
 * ESC _G keys ; payload ESC \, the first with the image's keys, at most
 * GRAPHICS_SEQ_CHUNK of payload each, m=1 on all but the last, and the
 * payloads decode to the pixels.  Returns the number of chunks.
 */
static int
gx_check_send(uint32_t id, int w, int h)
{
	unsigned char	*px, *back;
	char		*s, *p, *end, *semi, keys[128];
	size_t		 len, n = (size_t)w * (size_t)h * 4, got = 0, i;
	long		 k;
	int		 chunks = 0, last = 0;

	px = xmalloc(n);
	for (i = 0; i < n; i++)
		px[i] = (unsigned char)(i * 7 + 3);
	back = xmalloc(n + 3);
	s = graphics_seq_kitty_send(id, px, w, h, &len);
	ck_assert_uint_eq(strlen(s), len);
	for (p = s; p < s + len; p = end + 2) {
		ck_assert_msg(!last, "a chunk after m=0");
		ck_assert_int_eq(strncmp(p, "\033_G", 3), 0);
		end = strstr(p, "\033\\");
		ck_assert_ptr_nonnull(end);
		semi = memchr(p, ';', (size_t)(end - p));
		ck_assert_ptr_nonnull(semi);
		ck_assert_int_lt(semi - p - 3, (long)sizeof keys);
		memcpy(keys, p + 3, (size_t)(semi - p - 3));
		keys[semi - p - 3] = '\0';
		ck_assert_int_le(end - semi - 1, GRAPHICS_SEQ_CHUNK);
		ck_assert_int_eq((end - semi - 1) % 4, 0);
		if (chunks == 0) {
			char	*want = xasprintf("a=t,f=32,s=%d,v=%d,i=%u,"
			    "q=2,m=", w, h, (unsigned int)id);

			ck_assert_int_eq(strncmp(keys, want, strlen(want)),
			    0);
			free(want);
		} else
			ck_assert_int_eq(strncmp(keys, "m=", 2), 0);
		last = keys[strlen(keys) - 1] == '0';
		if (!last)
			ck_assert_int_eq(end - semi - 1, GRAPHICS_SEQ_CHUNK);
		k = gx_unb64(semi + 1, (size_t)(end - semi - 1), back + got);
		ck_assert_int_ge(k, 0);
		got += (size_t)k;
		chunks++;
	}
	ck_assert_msg(last, "no m=0 chunk");
	ck_assert_uint_eq(got, n);
	ck_assert_int_eq(memcmp(back, px, n), 0);
	free(s);
	free(back);
	free(px);
	return chunks;
}

START_TEST(test_graphics_kitty_send)
{
	/* 4800 bytes: 6400 of base64, two chunks. */
	ck_assert_int_eq(gx_check_send(7, 40, 30), 2);
	/* 3072 bytes: exactly one chunk of 4096. */
	ck_assert_int_eq(gx_check_send(8, 768, 1), 1);
	/* 4 bytes: 8 of base64, padded. */
	ck_assert_int_eq(gx_check_send(9, 1, 1), 1);
	ck_assert_int_eq(gx_check_send(0x48410001u, 100, 100), 14);
}
END_TEST

START_TEST(test_graphics_kitty_commands)
{
	char	*s;
	size_t	 n;

	s = graphics_seq_kitty_place(42, 1, 32, 8);
	ck_assert_str_eq(s, "\033_Ga=p,i=42,p=1,c=32,r=8,C=1,q=2\033\\");
	free(s);
	s = graphics_seq_kitty_delete(42, 1);
	ck_assert_str_eq(s, "\033_Ga=d,d=i,i=42,p=1,q=2\033\\");
	free(s);
	s = graphics_seq_kitty_delete(0, 0);
	ck_assert_str_eq(s, "\033_Ga=d,d=A,q=2\033\\");
	free(s);
	s = graphics_seq_at(4, 22, "XY", 2, &n);
	ck_assert_uint_eq(n, strlen("\0337\033[5;23HXY\0338"));
	ck_assert_int_eq(memcmp(s, "\0337\033[5;23HXY\0338", n), 0);
	free(s);
}
END_TEST

START_TEST(test_graphics_detect)
{
	const char	*none[] = { NULL };
	const char	*kitty[] = { "TERM=xterm-kitty", NULL };
	const char	*kid[] = { "TERM=xterm-256color", "KITTY_WINDOW_ID=1", NULL };
	const char	*wez[] = { "TERM_PROGRAM=WezTerm", "TERM=xterm", NULL };
	const char	*ghost[] = { "TERM_PROGRAM=ghostty", NULL };
	const char	*foot[] = { "TERM=foot-extra", NULL };
	const char	*mlterm[] = { "TERM=xterm", "MLTERM=3.9", NULL };
	const char	*xterm[] = { "TERM=xterm-256color", NULL };
	const char	*tmux[] = { "TERM=tmux-256color", "TMUX=/tmp/t,1,0",
	    "KITTY_WINDOW_ID=1", NULL };
	const char	*screen[] = { "TERM=screen", "STY=1.pts", "TERM=xterm-kitty",
	    NULL };
	const char	*tmuxish[] = { "TERM=screen-256color",
	    "TERM_PROGRAM=WezTerm", NULL };
	const char	*empty[] = { "KITTY_WINDOW_ID=", "TERM=xterm", NULL };

	ck_assert_int_eq(graphics_seq_detect("auto", none, NULL),
	    PREVIEW_SYMBOLS);
	ck_assert_int_eq(graphics_seq_detect("auto", kitty, NULL),
	    PREVIEW_KITTY);
	ck_assert_int_eq(graphics_seq_detect("auto", kid, NULL),
	    PREVIEW_KITTY);
	ck_assert_int_eq(graphics_seq_detect("auto", wez, NULL),
	    PREVIEW_KITTY);
	ck_assert_int_eq(graphics_seq_detect("auto", ghost, NULL),
	    PREVIEW_KITTY);
	ck_assert_int_eq(graphics_seq_detect("auto", foot, NULL),
	    PREVIEW_SIXEL);
	ck_assert_int_eq(graphics_seq_detect("auto", mlterm, NULL),
	    PREVIEW_SIXEL);
	ck_assert_int_eq(graphics_seq_detect("auto", xterm, NULL),
	    PREVIEW_SYMBOLS);
	ck_assert_int_eq(graphics_seq_detect("auto", empty, NULL),
	    PREVIEW_SYMBOLS);
	/* tmux passes no kitty graphics; sixel only if it says so. */
	ck_assert_int_eq(graphics_seq_in_tmux(tmux), 1);
	ck_assert_int_eq(graphics_seq_in_tmux(kitty), 0);
	ck_assert_int_eq(graphics_seq_detect("auto", tmux, NULL),
	    PREVIEW_SYMBOLS);
	ck_assert_int_eq(graphics_seq_detect("auto", tmux,
	    "256,RGB,title,mouse\n"), PREVIEW_SYMBOLS);
	ck_assert_int_eq(graphics_seq_detect("auto", tmux,
	    "256,RGB,sixels\n"), PREVIEW_SYMBOLS);
	ck_assert_int_eq(graphics_seq_detect("auto", tmux,
	    "256,RGB,sixel,title\n"), PREVIEW_SIXEL);
	ck_assert_int_eq(graphics_seq_detect("auto", screen, NULL),
	    PREVIEW_SYMBOLS);
	ck_assert_int_eq(graphics_seq_detect("auto", tmuxish, NULL),
	    PREVIEW_SYMBOLS);
	/* Forced: anywhere. */
	ck_assert_int_eq(graphics_seq_detect("kitty", tmux, NULL),
	    PREVIEW_KITTY);
	ck_assert_int_eq(graphics_seq_detect("sixel", xterm, NULL),
	    PREVIEW_SIXEL);
	ck_assert_int_eq(graphics_seq_detect("symbols", kitty, NULL),
	    PREVIEW_SYMBOLS);
	ck_assert_int_eq(graphics_seq_detect("off", kitty, NULL),
	    PREVIEW_OFF);
}
END_TEST

START_TEST(test_graphics_rects)
{
	struct graphics_rect	 a = { 5, 10, 20, 32, 8, 0 }, set[2];

	set[0] = a;
	set[1] = a;
	set[1].id = 6;
	ck_assert_int_eq(graphics_seq_has(set, 2, &a), 1);
	a.y = 11;		/* scrolled by a line */
	ck_assert_int_eq(graphics_seq_has(set, 2, &a), 0);
	a.y = 10;
	a.sel = 1;		/* selected: drawn again */
	ck_assert_int_eq(graphics_seq_has(set, 2, &a), 0);
	a.sel = 0;
	a.cols = 31;
	ck_assert_int_eq(graphics_seq_has(set, 2, &a), 0);
	ck_assert_int_eq(graphics_seq_has(set, 0, &set[0]), 0);
	/* Wholly in a pane of 20 lines only. */
	ck_assert_int_eq(graphics_seq_visible(0, 8, 20), 1);
	ck_assert_int_eq(graphics_seq_visible(12, 8, 20), 1);
	ck_assert_int_eq(graphics_seq_visible(13, 8, 20), 0);
	ck_assert_int_eq(graphics_seq_visible(-1, 8, 20), 0);
	ck_assert_int_eq(graphics_seq_visible(0, 0, 20), 0);
}
END_TEST

Suite *
suite_graphics(void)
{
	Suite	*s = suite_create("graphics");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_graphics_kitty_send);
	tcase_add_test(tc, test_graphics_kitty_commands);
	tcase_add_test(tc, test_graphics_detect);
	tcase_add_test(tc, test_graphics_rects);
	suite_add_tcase(s, tc);
	return s;
}
