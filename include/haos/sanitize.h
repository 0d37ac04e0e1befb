/* Make text from the network safe to draw on a terminal. */
#ifndef HAOS_SANITIZE_H
#define HAOS_SANITIZE_H

#include "haos/haos.h"

#include <stddef.h>
#include <stdio.h>

enum sanitize_flags {
	SANITIZE_NEWLINES = 1u << 0	/* keep '\n' (bodies); else a space */
};

/*
 * Return a new valid UTF-8 string in which nothing can move the cursor,
 * change colours or reach the clipboard: C0 and C1 controls (except '\n'
 * with SANITIZE_NEWLINES; '\t' becomes spaces), whole ESC/CSI/OSC/DCS
 * sequences, DEL, bidi overrides and isolates (U+202A-202E, U+2066-2069)
 * and other invisible format characters that reorder text are removed,
 * and so are the invisibles that spoof names (Default_Ignorable code
 * points: soft hyphen, Hangul fillers, zero-width space, word joiner,
 * invisible operators...) except variation selectors, ZWJ inside emoji
 * sequences or after a virama, and tags after a black flag;
 * invalid UTF-8 becomes U+FFFD.  len may be (size_t)-1 for strlen(s).
 */
char	*sanitize_text(const char *s, size_t len, unsigned int flags);

/*
 * A new string with C0, DEL and C1 controls shown as \xHH and \u00HH
 * escapes, the rest as sanitize_text(): file text quoted in an error.
 */
char	*sanitize_escape(const char *s);

/*
 * printf to f, the whole text sanitised (newlines kept): for every line
 * that may hold a server's or a file's words on stdout or stderr.
 */
int	 sanitize_fprintf(FILE *, const char *, ...)
	     __attribute__((format(printf, 2, 3)));

/*
 * Display width in terminal cells of valid UTF-8, as wcwidth-style
 * terminals (xterm, tmux, the Linux console) and curses draw it.
 */
int	 sanitize_width(const char *s);

/*
 * Length in bytes of the grapheme cluster at s (at most len bytes; 0 at
 * the end or a NUL) and its width in cells in *width: the sum of its code
 * points' widths (a ZWJ family of three is 6, a flag 2, a thumbs-up with
 * a skin tone 4), which is what the terminal advances by.
 */
size_t	 sanitize_grapheme(const char *s, size_t len, int *width);

/*
 * Length in bytes of the code point at s (0 at the end), and in *hidden
 * whether the screen leaves it out: terminals disagree on how wide the
 * emoji sequences they form are (tmux joins a ZWJ family into 2 cells,
 * xterm draws 6; kitty joins skin tones and VS16, tmux does not), so a
 * ZWJ, the variation selectors and the skin-tone modifiers are not drawn
 * and not counted, and every terminal advances as haos expects.
 */
size_t	 sanitize_codepoint(const char *s, size_t len, int *hidden);

#endif
