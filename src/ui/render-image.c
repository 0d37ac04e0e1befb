/* Image previews as timeline lines, under the message's label. */

/*
 * The preview's cells (preview.c, through render_opts.preview_of) become
 * lines of the event like its text, so scrolling and selection treat
 * them alike; each run of equal colours is one RF_IMAGE span, its
 * colours the terminal's (pane-messages.c draws them with theme.c's
 * pairs).  A file that could not be shown gives one dim line instead:
 * "[image: NAME — preview unavailable: WHY]".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/preview.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"
#include "render-int.h"

/* Whether the event (content c) may have a preview. */
static int
render_image_kind(const struct event_row *ev, const json_t *c,
    const char **kind)
{
	const char	*mt = json_get_str(c, "msgtype", "");

	if (strcmp(ev->type, "m.sticker") == 0)
		*kind = "sticker";
	else if (strcmp(ev->type, "m.room.message") != 0)
		return 0;
	else if (strcmp(mt, "m.image") == 0)
		*kind = "image";
	else if (strcmp(mt, "m.video") == 0)
		*kind = "video";
	else
		return 0;
	return 1;
}

/* Append a span [off, off+len) of fg on bg to l, merged with the last. */
static void
render_image_span(struct render_line *l, size_t *cap, size_t off,
    size_t len, int fg, int bg)
{
	struct render_span	*s;

	if (l->nspans > 0) {
		s = &l->spans[l->nspans - 1];
		if ((s->flags & RF_IMAGE) && s->color == fg && s->bg == bg) {
			s->len += len;
			return;
		}
	}
	if (l->nspans == *cap) {
		*cap = *cap == 0 ? 8 : *cap * 2;
		l->spans = xrealloc(l->spans, *cap * sizeof *l->spans);
	}
	s = &l->spans[l->nspans++];
	memset(s, 0, sizeof *s);
	s->off = off;
	s->len = len;
	s->attr = RA_TEXT;
	s->flags = RF_IMAGE;
	s->color = fg;
	s->bg = bg;
}

/* cp (a symbol chafa chose: printable, narrow) as UTF-8 at out. */
static size_t
render_image_utf8(uint32_t cp, char *out)
{
	if (cp < 0x20 || cp == 0x7f || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		cp = ' ';
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One row of p as a line, after indent spaces. */
static void
render_image_row(struct render_out *o, const struct preview *p, int y,
    int indent)
{
	struct render_line		*l;
	const struct preview_cell	*c;
	char				*text;
	size_t				 len, cap = 0, at;
	int				 x;

	text = xmalloc((size_t)indent + (size_t)p->cols * 4 + 1);
	memset(text, ' ', (size_t)indent);
	len = (size_t)indent;
	/* Placed through render_emit() for the line's bookkeeping. */
	render_emit(o, "", NULL, 0, indent, 0);
	l = &o->lines[o->n - 1];
	free(l->spans);
	l->spans = NULL;
	l->nspans = 0;
	if (indent > 0) {
		cap = 8;
		l->spans = xcalloc(cap, sizeof *l->spans);
		l->spans[0].len = (size_t)indent;
		l->spans[0].attr = RA_TEXT;
		l->nspans = 1;
	}
	for (x = 0; x < p->cols; x++) {
		c = &p->cells[y * p->cols + x];
		at = len;
		len += render_image_utf8(c->cp, text + len);
		render_image_span(l, &cap, at, len - at, c->fg, c->bg);
	}
	text[len] = '\0';
	free(l->text);
	l->text = text;
	l->width = indent + p->cols;
}

/* The preview of ev (content c) under its label, if there is one. */
void
render_image(struct render_out *o, const struct render_opts *ro,
    const struct event_row *ev, const json_t *c, int ind)
{
	struct render_rich	 r;
	const struct preview	*pv = NULL;
	const char		*kind, *why = NULL;
	char			*name, *line;
	int			 indent, y;

	if (ro->preview_of == NULL || c == NULL ||
	    !render_image_kind(ev, c, &kind))
		return;
	indent = render_indent(ind, o->width);
	switch (ro->preview_of(ro->preview_arg, ev, o->width - indent, &pv,
	    &why)) {
	case 1:
		for (y = 0; pv != NULL && y < pv->rows; y++)
			render_image_row(o, pv, y, indent);
		break;
	case 2:
		name = sanitize_text(json_get_str(c, "body", ""),
		    (size_t)-1, 0);
		line = xasprintf("[%s: %s %s preview unavailable: %s]", kind,
		    name, ro->ascii ? "-" : "\xe2\x80\x94",
		    why != NULL ? why : "?");
		free(name);
		name = sanitize_text(line, (size_t)-1, 0);
		memset(&r, 0, sizeof r);
		render_rich_str(&r, name, STY(RA_DIM, 0));
		render_wrap_rich(o, &r, ind, ind);
		render_rich_free(&r);
		free(name);
		free(line);
		break;
	default:
		break;
	}
}

/* Whether l is a row of a preview (has an RF_IMAGE span). */
static int
render_image_is_row(const struct render_line *l, int *x)
{
	size_t	 i;

	for (i = 0; i < l->nspans; i++) {
		if (l->spans[i].flags & RF_IMAGE) {
			if (x != NULL)
				*x = (int)l->spans[i].off; /* indent: spaces */
			return 1;
		}
	}
	return 0;
}

static int
render_image_same_event(const struct render_line *a,
    const struct render_line *b)
{
	return a->event_id != NULL && b->event_id != NULL &&
	    strcmp(a->event_id, b->event_id) == 0;
}

int
render_image_top(const struct render_line *lines, size_t n, size_t i, int *x,
    int *rows)
{
	size_t	 k;

	if (i >= n || !render_image_is_row(&lines[i], x))
		return 0;
	if (i > 0 && render_image_is_row(&lines[i - 1], NULL) &&
	    render_image_same_event(&lines[i - 1], &lines[i]))
		return 0;
	for (k = i + 1; k < n && render_image_is_row(&lines[k], NULL) &&
	    render_image_same_event(&lines[k], &lines[i]); k++)
		;
	*rows = (int)(k - i);
	return 1;
}
