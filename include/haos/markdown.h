/* Outgoing Markdown: what the user typed → the HTML Element would send. */
#ifndef HAOS_MARKDOWN_H
#define HAOS_MARKDOWN_H

#include "haos/haos.h"

#include <stddef.h>

/* Longest text turned into HTML; longer text goes as typed (plain). */
#define MARKDOWN_MAX	(64 * 1024)

/*
 * A pill finder: whether text[i] (text is len bytes, one run of plain
 * text outside code and links) starts a mention.  Returns the bytes it
 * covers and sets *user_id and *show (borrowed), or returns 0.
 */
typedef size_t (*markdown_pill_fn)(void *arg, const char *text, size_t len,
    size_t i, const char **user_id, const char **show);

/*
 * The formatted_body for text, as Element makes it with commonmark:
 * CommonMark (libcmark, no GFM extensions) rendered to HTML, with
 * "~~text~~" as <del>text</del>, raw HTML typed kept as escaped text,
 * soft line breaks as <br />, a message of one paragraph without its
 * <p>; mentions pill() finds in plain text become matrix.to links.
 * NULL when the text is plain: nothing but paragraphs of text and line
 * breaks, no pill and no backslash escape (the body says it all).  The
 * caller frees.
 */
char	*markdown_html(const char *text, markdown_pill_fn pill, void *arg);

/* Bytes [start, end) of a text. */
struct markdown_range {
	size_t	 start, end;
};

/*
 * Where text has code, as CommonMark (libcmark) reads it: each code
 * span with its backticks, and each code block (fenced or indented) as
 * whole lines, in text order, in *ranges (the caller frees).  Returns
 * how many; 0 for text without code, too long or unparsable.
 */
size_t	 markdown_code(const char *text, struct markdown_range **ranges);

#endif
