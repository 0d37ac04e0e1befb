/* Sanitising network text: escapes, controls, bidi, bad UTF-8, widths. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/sanitize.h"

/* Sanitise s (NUL-terminated) and compare with want. */
static void
expect(const char *s, unsigned int flags, const char *want)
{
	char	*got;

	got = sanitize_text(s, (size_t)-1, flags);
	ck_assert_msg(strcmp(got, want) == 0, "sanitize(\"%s\") = \"%s\", "
	    "want \"%s\"", s, got, want);
	free(got);
}

START_TEST(test_plain)
{
	expect("hello, world", 0, "hello, world");
	expect("", 0, "");
	expect("日本語 👍🏽 é", 0, "日本語 👍🏽 é");
	expect("a\u200db", 0, "ab");	/* ZWJ between letters goes */
}
END_TEST

START_TEST(test_invisible)
{
	/* Spoofing fillers and invisibles go. */
	expect("a\u3164b", 0, "ab");		/* HANGUL FILLER */
	expect("\u3164", 0, "");
	expect("a\u2060\u2061\u2062\u2063\u2064b", 0, "ab");
	expect("ad\u00admin", 0, "admin");	/* soft hyphen */
	expect("a\u115f\u1160b", 0, "ab");
	expect("a\uffa0b", 0, "ab");
	expect("a\u180eb", 0, "ab");
	expect("a\u200b\u200c\u200d\u200e\u200fb", 0, "ab");
	expect("a\ufeffb", 0, "ab");
	expect("a\u034fb", 0, "ab");		/* grapheme joiner */
	expect("\u200d\U0001F468", 0, "\U0001F468");
	expect("\U0001F468\u200d", 0, "\U0001F468");
	/* Lone tags smuggle ASCII invisibly. */
	expect("hi\U000E0068\U000E0069\U000E007F", 0, "hi");
	/* What emoji and scripts need stays. */
	expect("👨‍👩‍👧", 0, "👨‍👩‍👧");
	expect("👩🏽‍💻", 0, "👩🏽‍💻");
	expect("❤️‍🔥", 0, "❤️‍🔥");
	expect("❤️", 0, "❤️");
	expect("🏴󠁧󠁢󠁳󠁣󠁴󠁿", 0, "🏴󠁧󠁢󠁳󠁣󠁴󠁿");
	expect("🇫🇷", 0, "🇫🇷");
	expect("1\ufe0f\u20e3", 0, "1\ufe0f\u20e3");	/* keycap */
	expect("\u0915\u094d\u200d\u0937", 0,		/* Devanagari */
	    "\u0915\u094d\u200d\u0937");
}
END_TEST

START_TEST(test_newlines_tabs)
{
	expect("a\nb", 0, "a b");
	expect("a\nb", SANITIZE_NEWLINES, "a\nb");
	expect("a\r\nb", SANITIZE_NEWLINES, "a\nb");
	expect("a\rb", SANITIZE_NEWLINES, "a\nb");
	expect("\tx", 0, "        x");
	expect("ab\tx", 0, "ab      x");
	expect("a\u2028b", SANITIZE_NEWLINES, "a\nb");
}
END_TEST

START_TEST(test_controls)
{
	expect("a\x01\x02\x07\x08z", 0, "az");
	expect("a\x7f" "b", 0, "ab");
	expect("a\x0b\x0c" "b", 0, "ab");
	/* C1 controls as UTF-8 code points. */
	expect("a\xc2\x85" "b", 0, "ab");
	expect("a\xc2\x9c" "b", 0, "ab");
}
END_TEST

START_TEST(test_escapes)
{
	expect("\x1b[2Jcleared", 0, "cleared");
	expect("\x1b[1;31mred\x1b[0m", 0, "red");
	expect("\x1b[?1049h", 0, "");
	expect("x\x1b]52;c;ZXZpbA==\x07y", 0, "xy");
	expect("x\x1b]52;c;ZXZpbA==\x1b\\y", 0, "xy");
	expect("x\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\y", 0, "xlinky");
	expect("x\x1b]0;title", 0, "x");		/* unterminated */
	expect("x\x1b]0;日本語\x07y", 0, "xy");	/* 本 holds 0x9c */
	expect("x\x1bPq#0;2;0;0;0\x1b\\y", 0, "xy");	/* DCS sixel */
	expect("x\x1b_apc\x1b\\y", 0, "xy");
	expect("x\x1b^pm\x1b\\y", 0, "xy");
	expect("x\x1bXsos\x1b\\y", 0, "xy");
	expect("x\x1b" "cy", 0, "xy");		/* RIS */
	expect("x\x1b(By", 0, "xy");		/* charset */
	expect("x\x1b", 0, "x");
	expect("x\x1b\x1b[2Jy", 0, "xy");
	/* 8-bit C1 as UTF-8 code points: CSI, OSC ... ST. */
	expect("x\xc2\x9b" "2Jy", 0, "xy");
	expect("x\xc2\x9d" "52;c;AAAA\xc2\x9cy", 0, "xy");
	expect("x\xc2\x90" "data\xc2\x9cy", 0, "xy");
}
END_TEST

START_TEST(test_raw_c1)
{
	/*
	 * Raw 0x80-0x9f bytes are stray continuation bytes in UTF-8, not
	 * C1 controls: each becomes U+FFFD, and what follows is plain text.
	 */
	expect("x\x9b" "2Jy", 0, "x\xef\xbf\xbd" "2Jy");
	expect("x\x9d" "52;c;A\x07y", 0, "x\xef\xbf\xbd" "52;c;Ay");
	expect("x\x9cy", 0, "x\xef\xbf\xbdy");
	expect("\xf4\x90\x80\x80" "b", 0, "\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd" "b");
}
END_TEST

START_TEST(test_bidi)
{
	expect("abc\u202edcba", 0, "abcdcba");
	expect("\u202a\u202b\u202c\u202d\u202ex", 0, "x");
	expect("\u2066\u2067\u2068\u2069x", 0, "x");
	expect("a\u200e\u200f\u061cb", 0, "ab");
	expect("\xef\xbb\xbfx", 0, "x");
	/* Arabic and Hebrew letters themselves stay. */
	expect("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", 0,
	    "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d");
}
END_TEST

START_TEST(test_bad_utf8)
{
	expect("a\xff" "b", 0, "a\xef\xbf\xbd" "b");
	expect("a\xc0\xaf" "b", 0, "a\xef\xbf\xbd\xef\xbf\xbd" "b");
	expect("a\xe0\x80\xaf" "b", 0,
	    "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b");
	expect("a\xed\xa0\x80" "b", 0,			/* surrogate */
	    "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b");
	expect("a\xf4\x90\x80\x80" "b", 0,		/* > U+10FFFF */
	    "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b");
	expect("a\xe6\x97", 0, "a\xef\xbf\xbd");	/* truncated */
	expect("a\xe6\x97" "b", 0, "a\xef\xbf\xbd" "b");
	expect("\xf0\x9f\x91", 0, "\xef\xbf\xbd");
	expect("\x80\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd");
}
END_TEST

START_TEST(test_len_and_nul)
{
	char	*got;

	got = sanitize_text("abc\0def", 7, 0);
	ck_assert_str_eq(got, "abcdef");
	free(got);
	got = sanitize_text("abcdef", 3, 0);
	ck_assert_str_eq(got, "abc");
	free(got);
	got = sanitize_text(NULL, 0, 0);
	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

START_TEST(test_lone_mark)
{
	/* A combining mark at the start cannot join the previous cell. */
	expect("\xcc\x81x", 0, "\xe2\x97\x8c\xcc\x81x");
	expect("a\n\xcc\x81", SANITIZE_NEWLINES, "a\n\xe2\x97\x8c\xcc\x81");
	expect("e\xcc\x81", 0, "e\xcc\x81");
}
END_TEST

START_TEST(test_width)
{
	ck_assert_int_eq(sanitize_width(""), 0);
	ck_assert_int_eq(sanitize_width("abc"), 3);
	ck_assert_int_eq(sanitize_width("日本語"), 6);
	ck_assert_int_eq(sanitize_width("e\xcc\x81"), 1);
	ck_assert_int_eq(sanitize_width("👍"), 2);
	ck_assert_int_eq(sanitize_width("👍🏽"), 2);
	ck_assert_int_eq(sanitize_width("👨‍👩‍👧"), 6);
	ck_assert_int_eq(sanitize_width("❤️"), 1);		/* VS16 */
	ck_assert_int_eq(sanitize_width("❤"), 1);
	ck_assert_int_eq(sanitize_width("🇫🇷"), 2);
	ck_assert_int_eq(sanitize_width("a👍b日"), 6);
	ck_assert_int_eq(sanitize_width(NULL), 0);
}
END_TEST

START_TEST(test_width_emoji)
{
	ck_assert_int_eq(sanitize_width("👨‍👩‍👧"), 6);	/* ZWJ family */
	ck_assert_int_eq(sanitize_width("👨‍👩‍👧‍👦"), 8);
	ck_assert_int_eq(sanitize_width("👍🏽"), 2);	/* modifier */
	ck_assert_int_eq(sanitize_width("🇫🇷"), 2);	/* flag */
	ck_assert_int_eq(sanitize_width("🇫🇷🇩🇪"), 4);
	ck_assert_int_eq(sanitize_width("🏴󠁧󠁢󠁳󠁣󠁴󠁿"), 2);	/* tag sequence */
	ck_assert_int_eq(sanitize_width("\u2764\ufe0f"), 1);	/* VS16 */
	ck_assert_int_eq(sanitize_width("\u2764\ufe0e"), 1);	/* VS15 */
	ck_assert_int_eq(sanitize_width("❤️‍🔥"), 3);
	ck_assert_int_eq(sanitize_width("1\ufe0f\u20e3"), 1);	/* keycap */
	ck_assert_int_eq(sanitize_width("中"), 2);		/* CJK */
	ck_assert_int_eq(sanitize_width("e\u0301\u0302"), 1);	/* marks */
	ck_assert_int_eq(sanitize_width("\u25cc\u0301"), 1);
	ck_assert_int_eq(sanitize_width("x👨‍👩‍👧y"), 8);
}
END_TEST

START_TEST(test_grapheme)
{
	int	 w;

	ck_assert_uint_eq(sanitize_grapheme("e\xcc\x81x", 4, &w), 3);
	ck_assert_int_eq(w, 1);
	/* What wcwidth-style terminals advance by: each code point. */
	ck_assert_uint_eq(sanitize_grapheme("👨‍👩‍👧!", 19, &w), 18);
	ck_assert_int_eq(w, 6);
	/* A skin tone is not drawn (sanitize_codepoint()): 2 cells. */
	ck_assert_uint_eq(sanitize_grapheme("👍🏽", 8, &w), 8);
	ck_assert_int_eq(w, 2);
	ck_assert_uint_eq(sanitize_grapheme("ab", 2, &w), 1);
	ck_assert_uint_eq(sanitize_grapheme("", 0, &w), 0);
	ck_assert_int_eq(w, 0);
}
END_TEST

/*
 * Sanitising twice changes nothing (make fuzz finding): a ZWJ after a
 * tab sees the tab's spaces, not the emoji before them.
 */
START_TEST(test_idempotent_tab_zwj)
{
	char	*a, *b;

	a = sanitize_text("\xf0\x9f\x91\xa9\t\xe2\x80\x8d\xf0\x9f\x91\xa7",
	    (size_t)-1, 0);
	ck_assert_ptr_null(strstr(a, "\xe2\x80\x8d"));
	b = sanitize_text(a, (size_t)-1, 0);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
}
END_TEST

/* What the screen leaves out: ZWJ, variation selectors, skin tones. */
START_TEST(test_codepoint_hidden)
{
	static const char	*shown[] = { "a", "\xc3\xa9", "\xf0\x9f\x91\x8d",
	    "\xe2\x80\x8c", "\xcc\x81", "\xf3\xa0\x81\xa7" };
	static const char	*hidden[] = { "\xe2\x80\x8d", "\xef\xb8\x8f",
	    "\xef\xb8\x8e", "\xf0\x9f\x8f\xbb", "\xf0\x9f\x8f\xbf" };
	size_t			 i;
	int			 h;

	for (i = 0; i < nitems(shown); i++) {
		ck_assert_uint_eq(sanitize_codepoint(shown[i],
		    strlen(shown[i]), &h), strlen(shown[i]));
		ck_assert_int_eq(h, 0);
	}
	for (i = 0; i < nitems(hidden); i++) {
		ck_assert_uint_eq(sanitize_codepoint(hidden[i],
		    strlen(hidden[i]), &h), strlen(hidden[i]));
		ck_assert_int_eq(h, 1);
	}
	ck_assert_uint_eq(sanitize_codepoint("", 0, &h), 0);
}
END_TEST

/* Controls in file text quoted in errors are shown, not obeyed. */
START_TEST(test_escape)
{
	char	*got;

	got = sanitize_escape("acc\x1b]0;pwned\x07ount]");
	ck_assert_str_eq(got, "acc\\x1b]0;pwned\\x07ount]");
	free(got);
	got = sanitize_escape("us\x1b[2Jer \xc2\x9b" "1m\x7f\u202e\u3164.");
	ck_assert_str_eq(got, "us\\x1b[2Jer \\u009b1m\\x7f.");
	free(got);
	got = sanitize_escape("caf\xc3\xa9 \xff");
	ck_assert_str_eq(got, "caf\xc3\xa9 \xef\xbf\xbd");
	free(got);
	got = sanitize_escape(NULL);
	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

Suite *
suite_sanitize(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("sanitize");
	tc = tcase_create("core");
	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_newlines_tabs);
	tcase_add_test(tc, test_controls);
	tcase_add_test(tc, test_escapes);
	tcase_add_test(tc, test_raw_c1);
	tcase_add_test(tc, test_bidi);
	tcase_add_test(tc, test_bad_utf8);
	tcase_add_test(tc, test_len_and_nul);
	tcase_add_test(tc, test_lone_mark);
	tcase_add_test(tc, test_width);
	tcase_add_test(tc, test_width_emoji);
	tcase_add_test(tc, test_codepoint_hidden);
	tcase_add_test(tc, test_idempotent_tab_zwj);
	tcase_add_test(tc, test_invisible);
	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_grapheme);
	suite_add_tcase(s, tc);
	return s;
}
