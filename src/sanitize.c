/* Make network text safe for a terminal and measure it by grapheme. */
#include "haos/sanitize.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "haos/xmalloc.h"

#define SANITIZE_TABSTOP	8

/* Control characters of the C1 set that open a sequence. */
#define C1_DCS		0x90
#define C1_SOS		0x98
#define C1_CSI		0x9b
#define C1_ST		0x9c
#define C1_OSC		0x9d
#define C1_PM		0x9e
#define C1_APC		0x9f

static void
sanitize_put_cp(struct xbuf *b, int32_t cp)
{
	utf8proc_uint8_t	 enc[4];
	utf8proc_ssize_t	 n;

	n = utf8proc_encode_char(cp, enc);
	xbuf_add(b, enc, (size_t)n);
}

/*
 * Length of the maximal ill-formed subpart at s (Unicode 3.9, U+FFFD
 * substitution): a lead byte and the continuation bytes that could still
 * have completed it.  Always at least 1.
 */
static size_t
sanitize_bad_len(const unsigned char *s, size_t len)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 need, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 1;
	for (i = 1; i <= need && i < len; i++) {
		if (s[i] < lo || s[i] > hi)
			break;
		lo = 0x80;
		hi = 0xbf;
	}
	return i;
}

/*
 * Decode one code point at s; return the bytes used (>= 1) and set *cp,
 * or -1 in *cp for ill-formed input (overlong, surrogate, > U+10FFFF,
 * truncated, stray continuation byte).
 */
static size_t
sanitize_decode(const unsigned char *s, size_t len, int32_t *cp)
{
	utf8proc_ssize_t	 n;
	utf8proc_int32_t	 c = -1;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	n = utf8proc_iterate(s, len > 4 ? 4 : (utf8proc_ssize_t)len, &c);
	if (n <= 0 || c < 0) {
		*cp = -1;
		return sanitize_bad_len(s, len);
	}
	*cp = c;
	return (size_t)n;
}

/* Skip a CSI body: parameters, intermediates, then one final byte. */
static size_t
sanitize_skip_csi(const unsigned char *s, size_t len, size_t i)
{
	while (i < len && s[i] >= 0x20 && s[i] <= 0x3f)
		i++;
	if (i < len && s[i] >= 0x40 && s[i] <= 0x7e)
		i++;
	return i;
}

/*
 * Skip a control string (OSC, DCS, SOS, PM, APC) up to and including
 * its terminator: BEL, ESC \ or ST as U+009C; CAN and SUB abort it.  A
 * raw 0x9c byte is not ST: it is part of a UTF-8 character ("本").  An
 * unterminated string runs to the end of the text.
 */
static size_t
sanitize_skip_string(const unsigned char *s, size_t len, size_t i)
{
	for (; i < len; i++) {
		if (s[i] == 0x07 || s[i] == 0x18 || s[i] == 0x1a)
			return i + 1;
		if (s[i] == 0x1b) {
			if (i + 1 < len && s[i + 1] == '\\')
				return i + 2;
			return i;	/* a new sequence starts here */
		}
		if (s[i] == 0xc2 && i + 1 < len && s[i + 1] == C1_ST)
			return i + 2;
	}
	return len;
}

/* Skip what follows a C1 control (7- or 8-bit form) at index i. */
static size_t
sanitize_skip_c1(const unsigned char *s, size_t len, size_t i, int32_t c1)
{
	switch (c1) {
	case C1_CSI:
		return sanitize_skip_csi(s, len, i);
	case C1_OSC:
	case C1_DCS:
	case C1_SOS:
	case C1_PM:
	case C1_APC:
		return sanitize_skip_string(s, len, i);
	default:
		return i;
	}
}

/* Skip an escape sequence starting with the ESC at index i. */
static size_t
sanitize_skip_esc(const unsigned char *s, size_t len, size_t i)
{
	unsigned char	 c;

	if (++i >= len)
		return i;
	c = s[i];
	switch (c) {
	case '[':
		return sanitize_skip_csi(s, len, i + 1);
	case ']':
	case 'P':
	case 'X':
	case '^':
	case '_':
		return sanitize_skip_string(s, len, i + 1);
	default:
		break;
	}
	if (c >= 0x20 && c <= 0x2f) {	/* nF: ESC ( B and friends */
		while (i < len && s[i] >= 0x20 && s[i] <= 0x2f)
			i++;
		if (i < len && s[i] >= 0x30 && s[i] <= 0x7e)
			i++;
		return i;
	}
	if (c >= 0x30 && c <= 0x7e)		/* ESC c, ESC 7, ESC = ... */
		return i + 1;
	return i;				/* drop the lone ESC */
}

/*
 * Invisible format characters that reorder text or hide it: bidi
 * embeddings, overrides and isolates, the directional marks (a terminal
 * without bidi shows nothing for them, so they only serve to spoof
 * names), deprecated shaping controls, BOM and interlinear annotations.
 */
static int
sanitize_is_hostile(int32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x206f) ||
	    cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
}

#define SANITIZE_ZWJ		0x200d
#define SANITIZE_VS16		0xfe0f
#define SANITIZE_BLACK_FLAG	0x1f3f4

static int
sanitize_is_vs(int32_t cp)
{
	return (cp >= 0xfe00 && cp <= 0xfe0f) ||
	    (cp >= 0xe0100 && cp <= 0xe01ef);
}

static int
sanitize_is_tag(int32_t cp)
{
	return cp >= 0xe0020 && cp <= 0xe007f;
}

static int
sanitize_is_pictographic(int32_t cp)
{
	return utf8proc_get_property(cp)->boundclass ==
	    UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC;
}

static int
sanitize_is_virama(int32_t cp)
{
	return cp > 0 && utf8proc_get_property(cp)->combining_class == 9;
}

/*
 * Whether to drop cp, a Default_Ignorable code point (soft hyphen,
 * Hangul fillers, zero-width space and joiners, word joiner, invisible
 * operators, Mongolian vowel separator, tags...), given the code point
 * kept before it (0 at a line start) and the one after it (0 at the
 * end).  Only what shapes visible text stays: variation selectors, ZWJ
 * between emoji or after a virama, and tags after a black flag.
 */
static int
sanitize_is_invisible(int32_t cp, int32_t prev, int32_t next)
{
	if (!utf8proc_get_property(cp)->ignorable)
		return 0;
	if (sanitize_is_vs(cp))
		return 0;
	if (cp == SANITIZE_ZWJ) {
		if (sanitize_is_virama(prev))
			return 0;
		return !((sanitize_is_pictographic(prev) ||
		    (prev >= 0x1f3fb && prev <= 0x1f3ff) ||
		    prev == SANITIZE_VS16) && sanitize_is_pictographic(next));
	}
	if (sanitize_is_tag(cp))
		return !(prev == SANITIZE_BLACK_FLAG ||
		    (sanitize_is_tag(prev) && prev != 0xe007f));
	return 1;
}

static int
sanitize_is_mark(int32_t cp)
{
	utf8proc_category_t	 c;

	c = utf8proc_category(cp);
	return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC ||
	    c == UTF8PROC_CATEGORY_ME;
}

char *
sanitize_text(const char *text, size_t len, unsigned int flags)
{
	const unsigned char	*s = (const unsigned char *)text;
	struct xbuf	 b = { NULL, 0, 0 };
	size_t			 i = 0, n;
	int32_t			 cp, next, prev = 0;
	int			 col = 0, nl, w;

	if (text == NULL)
		return xstrdup("");
	if (len == (size_t)-1)
		len = strlen(text);
	xbuf_add(&b, "", 0);
	nl = (flags & SANITIZE_NEWLINES) != 0;
	while (i < len) {
		if (s[i] == 0x1b) {
			i = sanitize_skip_esc(s, len, i);
			continue;
		}
		if (s[i] == '\n' || s[i] == '\r') {
			if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
				i++;
			i++;
			prev = 0;
			if (nl) {
				xbuf_add(&b, "\n", 1);
				col = 0;
			} else {
				xbuf_add(&b, " ", 1);
				col++;
			}
			continue;
		}
		if (s[i] == '\t') {
			do {
				xbuf_add(&b, " ", 1);
				col++;
			} while (col % SANITIZE_TABSTOP != 0);
			/* What follows sees the spaces, as a second pass would. */
			prev = ' ';
			i++;
			continue;
		}
		if (s[i] < 0x20 || s[i] == 0x7f) {
			i++;
			continue;
		}
		if (s[i] < 0x80) {
			xbuf_add(&b, &s[i], 1);
			prev = s[i];
			col++;
			i++;
			continue;
		}
		n = sanitize_decode(s + i, len - i, &cp);
		if (cp < 0) {
			/*
			 * A raw 0x80-0x9f byte is a stray continuation byte in
			 * UTF-8, not a C1 control: U+FFFD defuses it.
			 */
			sanitize_put_cp(&b, 0xfffd);
			prev = 0xfffd;
			col++;
			i += n;
			continue;
		}
		if (cp >= 0x80 && cp <= 0x9f) {
			i = sanitize_skip_c1(s, len, i + n, cp);
			continue;
		}
		i += n;
		if (sanitize_is_hostile(cp))
			continue;
		next = 0;
		if (i < len)
			(void)sanitize_decode(s + i, len - i, &next);
		if (sanitize_is_invisible(cp, prev, next))
			continue;
		if (cp == 0x2028 || cp == 0x2029) {
			prev = 0;
			xbuf_add(&b, nl ? "\n" : " ", 1);
			col = nl ? 0 : col + 1;
			continue;
		}
		/* A mark with nothing to combine with gets a dotted circle. */
		if (sanitize_is_mark(cp) &&
		    (b.len == 0 || b.p[b.len - 1] == '\n')) {
			sanitize_put_cp(&b, 0x25cc);
			col++;
		}
		xbuf_add(&b, s + i - n, n);
		prev = cp;
		w = utf8proc_charwidth(cp);
		col += w > 0 ? w : 0;
	}
	return b.p;
}

/* The code points the screen leaves out (sanitize_codepoint()). */
static int
sanitize_is_hidden(int32_t cp)
{
	return cp == 0x200d || cp == 0xfe0e || cp == 0xfe0f ||
	    (cp >= 0x1f3fb && cp <= 0x1f3ff);
}

size_t
sanitize_codepoint(const char *s, size_t len, int *hidden)
{
	int32_t	 cp;
	size_t	 n;

	*hidden = 0;
	if (len == 0 || s[0] == '\0')
		return 0;
	n = sanitize_decode((const unsigned char *)s, len, &cp);
	*hidden = cp >= 0 && sanitize_is_hidden(cp);
	return n;
}

/*
 * Return the length in bytes of the grapheme cluster at s (0 at the end)
 * and its width in cells in *width: the widths of the code points the
 * screen shows, added up.  A byte that is not UTF-8 counts as one cell.
 */
size_t
sanitize_grapheme(const char *text, size_t len, int *width)
{
	const unsigned char	*s = (const unsigned char *)text;
	utf8proc_int32_t	 state = 0;
	int32_t			 prev, cp;
	size_t			 i, n;
	int			 w;

	*width = 0;
	if (len == 0 || s[0] == '\0')
		return 0;
	n = sanitize_decode(s, len, &prev);
	if (prev < 0) {
		*width = 1;
		return n;
	}
	/*
	 * What curses and every terminal advance by for what the screen
	 * draws (see sanitize_codepoint()): each shown code point takes its
	 * own width, so a ZWJ family is three emoji wide.
	 */
	w = sanitize_is_hidden(prev) ? 0 : utf8proc_charwidth(prev);
	for (i = n; i < len && s[i] != '\0'; i += n) {
		n = sanitize_decode(s + i, len - i, &cp);
		if (cp < 0 || utf8proc_grapheme_break_stateful(prev, cp,
		    &state))
			break;
		if (!sanitize_is_hidden(cp))
			w += utf8proc_charwidth(cp);
		prev = cp;
	}
	*width = w;
	return i;
}

int
sanitize_width(const char *s)
{
	size_t	 len, n;
	int	 w, total = 0;

	if (s == NULL)
		return 0;
	len = strlen(s);
	while (len > 0) {
		n = sanitize_grapheme(s, len, &w);
		if (n == 0)
			break;
		total += w;
		s += n;
		len -= n;
	}
	return total;
}

/*
 * Show controls instead of obeying or dropping them: C0 bytes and DEL
 * as \xHH, C1 controls (U+0080-009F in UTF-8) as \u00HH, then the rest
 * sanitised.  For file text quoted in an error: an escape sequence in it
 * cannot swallow the rest of the message and the user sees what is there.
 */
char *
sanitize_escape(const char *text)
{
	const unsigned char	*s = (const unsigned char *)text;
	struct xbuf		 b = { NULL, 0, 0 };
	char			 hex[8];
	char			*out;

	if (text == NULL)
		return xstrdup("");
	xbuf_add(&b, "", 0);
	for (; *s != '\0'; s++) {
		if (*s < 0x20 || *s == 0x7f) {
			snprintf(hex, sizeof hex, "\\x%02x", *s);
			xbuf_add(&b, hex, strlen(hex));
		} else if (*s == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
			snprintf(hex, sizeof hex, "\\u%04x", s[1]);
			xbuf_add(&b, hex, strlen(hex));
			s++;
		} else
			xbuf_add(&b, s, 1);
	}
	out = sanitize_text(b.p, b.len, 0);
	free(b.p);
	return out;
}

int
sanitize_fprintf(FILE *f, const char *fmt, ...)
{
	va_list	 ap;
	char	*raw, *clean;
	int	 n;

	va_start(ap, fmt);
	raw = xvasprintf(fmt, ap);
	va_end(ap);
	clean = sanitize_text(raw, (size_t)-1, SANITIZE_NEWLINES);
	n = fputs(clean, f);
	free(clean);
	free(raw);
	return n;
}
