/* Rich text to display lines: greedy wrapping by grapheme, spans. */
#include "haos/render.h"

#include <stdlib.h>
#include <string.h>

#include "haos/hyperlink.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"
#include "render-int.h"


void
render_rich_add(struct render_rich *r, const char *s, size_t n, int sty)
{
	size_t	 i;

	if (r->len + n + 1 > r->cap) {
		while (r->len + n + 1 > r->cap)
			r->cap = r->cap == 0 ? 128 : r->cap * 2;
		r->text = xrealloc(r->text, r->cap);
		r->sty = xrealloc(r->sty, r->cap * sizeof *r->sty);
	}
	memcpy(r->text + r->len, s, n);
	for (i = 0; i < n; i++)
		r->sty[r->len + i] = sty;
	r->len += n;
	r->text[r->len] = '\0';
}

void
render_rich_str(struct render_rich *r, const char *s, int sty)
{
	render_rich_add(r, s, strlen(s), sty);
}

/* Drop the text from len on, and the paragraphs starting there. */
void
render_rich_cut(struct render_rich *r, size_t len)
{
	if (len >= r->len)
		return;
	r->len = len;
	r->text[len] = '\0';
	while (r->npara > 0 && r->para[r->npara - 1].off >= len) {
		r->npara--;
		free(r->para[r->npara].cont);
		free(r->para[r->npara].cont_sty);
	}
}

/*
 * Mark the paragraph starting at off as having a prefix of hang bytes;
 * its wrapped lines start with cont (n bytes, styles sty) instead.
 */
void
render_rich_para(struct render_rich *r, size_t off, size_t hang,
    const char *cont, const int *sty, size_t n)
{
	struct render_para	*p;

	if (r->npara == r->cpara) {
		r->cpara = r->cpara == 0 ? 8 : r->cpara * 2;
		r->para = xrealloc(r->para, r->cpara * sizeof *r->para);
	}
	p = &r->para[r->npara++];
	p->off = off;
	p->hang = hang;
	p->cont = xmalloc(n + 1);
	memcpy(p->cont, cont, n);
	p->cont[n] = '\0';
	p->cont_sty = xcalloc(n + 1, sizeof *p->cont_sty);
	memcpy(p->cont_sty, sty, n * sizeof *sty);
	p->cont_len = n;
}

/*
 * Keep the URL of a link (len bytes of url) for its spans: the link to
 * put in an RA_LINK style's colour bits, or 0 when it cannot be a
 * hyperlink (not http, https or mailto, a control in it, too long, too
 * many links).
 */
int
render_rich_link(struct render_rich *r, const char *url, size_t len)
{
	char	*u, *clean;

	if (r->nurls == RENDER_MAX_LINKS)
		return 0;
	u = xstrndup(url, len);
	clean = hyperlink_clean(u);
	free(u);
	if (clean == NULL)
		return 0;
	r->urls = xrealloc(r->urls, (r->nurls + 1) * sizeof *r->urls);
	r->urls[r->nurls++] = clean;
	return (int)r->nurls;
}

void
render_rich_free(struct render_rich *r)
{
	size_t	 i;

	for (i = 0; i < r->nurls; i++)
		free(r->urls[i]);
	free(r->urls);
	for (i = 0; i < r->npara; i++) {
		free(r->para[i].cont);
		free(r->para[i].cont_sty);
	}
	free(r->para);
	free(r->text);
	free(r->sty);
	memset(r, 0, sizeof *r);
}

/* Append one line: indent spaces, then bytes [s, s+n) with their styles. */
void
render_emit(struct render_out *o, const char *s, const int *sty, size_t n,
    int indent, int width)
{
	struct render_line	*l;
	struct render_span	*sp;
	size_t			 i, cap = 4;
	int			 link;

	if (o->n == o->cap) {
		o->cap = o->cap == 0 ? 32 : o->cap * 2;
		o->lines = xrealloc(o->lines, o->cap * sizeof *o->lines);
	}
	l = &o->lines[o->n++];
	memset(l, 0, sizeof *l);
	l->text = xmalloc((size_t)indent + n + 1);
	memset(l->text, ' ', (size_t)indent);
	memcpy(l->text + indent, s, n);
	l->text[indent + n] = '\0';
	l->width = indent + width;
	l->event_id = o->event_id != NULL ? xstrdup(o->event_id) : NULL;
	l->txn_id = o->txn_id != NULL ? xstrdup(o->txn_id) : NULL;
	l->first = o->first;
	o->first = 0;

	/* Spans cover the whole text in order: merge equal styles. */
	l->spans = xcalloc(cap, sizeof *l->spans);
	if (indent > 0) {
		l->spans[0].off = 0;
		l->spans[0].len = (size_t)indent;
		l->spans[0].attr = RA_TEXT;
		l->nspans = 1;
	}
	for (i = 0; i < n; i++) {
		if (l->nspans > 0 && i > 0 && sty[i] == sty[i - 1]) {
			l->spans[l->nspans - 1].len++;
			continue;
		}
		if (l->nspans == cap) {
			cap *= 2;
			l->spans = xrealloc(l->spans, cap * sizeof *l->spans);
		}
		sp = &l->spans[l->nspans++];
		memset(sp, 0, sizeof *sp);
		sp->off = (size_t)indent + i;
		sp->len = 1;
		sp->attr = STY_ATTR(sty[i]);
		sp->color = STY_COLOR(sty[i]);
		sp->flags = STY_FLAGS(sty[i]);
		if (sp->attr != RA_LINK)
			continue;
		/* A link's colour bits are its URL. */
		link = sp->color;
		sp->color = 0;
		if (link > 0 && (size_t)link <= o->nurls) {
			sp->url = xstrdup(o->urls[link - 1]);
			sp->link = link;
		}
	}
}

/* Clamp an indent so that at least one cell of text fits after it. */
int
render_indent(int indent, int width)
{
	if (indent >= width)
		indent = width - 1;
	return indent < 0 ? 0 : indent;
}

/*
 * Wrap one paragraph (no '\n') greedily: break at spaces, start a word
 * that does not fit on the next line, and cut a word longer than a line
 * at the width by grapheme cluster.  Spaces at a break are dropped;
 * leading indentation narrower than half a line is kept.
 */
static void
render_wrap_para(struct render_out *o, const char *t, const int *sty,
    size_t len, int ind1, int ind2)
{
	static const int	 qsty = STY(RA_TEXT, 0);
	size_t			 p = 0, q, ls = 0, le = 0, n;
	int			 width = o->width, ind, avail, cur = 0;
	int			 sp = 0, ww, cw, empty = 1, emitted = 0;
	int			 lead = 0;	/* only indentation */

	ind = render_indent(ind1, width);
	avail = width - ind;
	while (p < len) {
		if (t[p] == ' ') {
			for (q = p, sp = 0; q < len && t[q] == ' '; q++)
				sp++;
			if (p == 0 && sp < avail / 2) {
				ls = 0;
				le = q;
				cur = sp;
				empty = 0;
				lead = 1;
				sp = 0;
			}
			p = q;
			continue;
		}
		for (q = p, ww = 0; q < len && t[q] != ' '; q += n) {
			n = sanitize_grapheme(t + q, len - q, &cw);
			ww += cw;
		}
		if (!empty && cur + sp + ww <= avail) {
			le = q;
			cur += sp + ww;
			sp = lead = 0;
			p = q;
			continue;
		}
		if (lead)		/* indentation alone: drop it */
			empty = 1;
		lead = 0;
		if (!empty) {
			render_emit(o, t + ls, sty + ls, le - ls, ind, cur);
			emitted = 1;
			ind = render_indent(ind2, width);
			avail = width - ind;
			empty = 1;
		}
		sp = 0;
		if (ww <= avail) {
			ls = p;
			le = q;
			cur = ww;
			empty = 0;
			p = q;
			continue;
		}
		/* Longer than a line: cut by cluster. */
		ls = le = p;
		cur = 0;
		while (p < q) {
			n = sanitize_grapheme(t + p, q - p, &cw);
			if (cur + cw > avail && cur > 0) {
				render_emit(o, t + ls, sty + ls, le - ls, ind,
				    cur);
				emitted = 1;
				ind = render_indent(ind2, width);
				avail = width - ind;
				ls = le = p;
				cur = 0;
				continue;
			}
			if (cw > avail) {
				/* Wider than the whole line (2 cells in 1). */
				render_emit(o, "?", &qsty, 1, ind, 1);
				emitted = 1;
				p += n;
				ls = le = p;
				continue;
			}
			cur += cw;
			p += n;
			le = p;
		}
		empty = le == ls;
	}
	if (!empty || !emitted)
		render_emit(o, t + ls, sty + ls, empty ? 0 : le - ls, ind,
		    empty ? 0 : cur);
}

/*
 * Wrap a paragraph with a hanging prefix (render_para): the rest is
 * wrapped to what the prefix leaves, the first line behind the prefix,
 * the others behind its continuation.
 */
static void
render_wrap_hang(struct render_out *o, const char *t, const int *sty,
    size_t len, const struct render_para *pa, int ind)
{
	struct render_out	 tmp;
	struct render_rich	 line;
	const struct render_line *l;
	char			*pfx;
	size_t			 i, j;
	int			 pw;

	pfx = xstrndup(t, pa->hang);
	pw = sanitize_width(pfx);
	free(pfx);
	ind = render_indent(ind, o->width);
	memset(&tmp, 0, sizeof tmp);
	tmp.width = o->width - ind - pw;
	tmp.urls = o->urls;
	tmp.nurls = o->nurls;
	if (tmp.width < 1 || sanitize_width(pa->cont) != pw) {
		render_wrap_para(o, t, sty, len, ind, ind);
		return;
	}
	render_wrap_para(&tmp, t + pa->hang, sty + pa->hang,
	    len - pa->hang, 0, 0);
	for (i = 0; i < tmp.n; i++) {
		l = &tmp.lines[i];
		memset(&line, 0, sizeof line);
		if (i == 0) {
			render_rich_add(&line, t, pa->hang, 0);
			memcpy(line.sty, sty, pa->hang * sizeof *sty);
		} else {
			render_rich_add(&line, pa->cont, pa->cont_len, 0);
			memcpy(line.sty, pa->cont_sty,
			    pa->cont_len * sizeof *sty);
		}
		for (j = 0; j < l->nspans; j++)
			render_rich_add(&line, l->text + l->spans[j].off,
			    l->spans[j].len, STY_F(l->spans[j].attr,
			    l->spans[j].flags, l->spans[j].url != NULL ?
			    l->spans[j].link : l->spans[j].color));
		render_emit(o, line.text != NULL ? line.text : "", line.sty,
		    line.len, ind, pw + l->width);
		render_rich_free(&line);
	}
	render_lines_free(tmp.lines, tmp.n);
}

/*
 * Wrap rich text, paragraph by paragraph; later lines use ind2, and a
 * paragraph with a hanging prefix keeps it on each of its lines.
 */
void
render_wrap_rich(struct render_out *o, const struct render_rich *r,
    int ind1, int ind2)
{
	size_t	 p = 0, e, k = 0;

	o->urls = r->urls;
	o->nurls = r->nurls;
	for (;;) {
		for (e = p; e < r->len && r->text[e] != '\n'; e++)
			;
		while (k < r->npara && r->para[k].off < p)
			k++;
		if (k < r->npara && r->para[k].off == p &&
		    r->para[k].hang > 0 && r->para[k].hang <= e - p)
			render_wrap_hang(o, r->text + p, r->sty + p, e - p,
			    &r->para[k], p == 0 ? ind1 : ind2);
		else
			render_wrap_para(o, r->text + p, r->sty + p, e - p,
			    p == 0 ? ind1 : ind2, ind2);
		if (e >= r->len)
			break;
		p = e + 1;
	}
	o->urls = NULL;
	o->nurls = 0;
}

size_t
render_wrap(const char *text, int width, char ***lines)
{
	struct render_out	 o;
	struct render_rich	 r;
	size_t			 i;

	memset(&o, 0, sizeof o);
	memset(&r, 0, sizeof r);
	o.width = width < 1 ? 1 : width;
	render_rich_str(&r, text != NULL ? text : "", STY(RA_TEXT, 0));
	render_wrap_rich(&o, &r, 0, 0);
	render_rich_free(&r);
	*lines = xcalloc(o.n + 1, sizeof **lines);
	for (i = 0; i < o.n; i++) {
		(*lines)[i] = o.lines[i].text;
		o.lines[i].text = NULL;
	}
	render_lines_free(o.lines, o.n);
	return o.n;
}

void
render_lines_free(struct render_line *lines, size_t n)
{
	size_t	 i, j;

	if (lines == NULL)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < lines[i].nspans; j++)
			free(lines[i].spans[j].url);
		free(lines[i].text);
		free(lines[i].spans);
		free(lines[i].event_id);
		free(lines[i].txn_id);
	}
	free(lines);
}

/* Copy s cut to at most max cells, ending in the ellipsis when cut. */
char *
render_truncate(const char *s, int max, const char *ellipsis)
{
	size_t	 len, p = 0, n, keep = 0;
	int	 w = 0, cw, ew;

	if (sanitize_width(s) <= max)
		return xstrdup(s);
	ew = sanitize_width(ellipsis);
	if (max <= ew)
		return xstrdup("");
	len = strlen(s);
	while (p < len) {
		n = sanitize_grapheme(s + p, len - p, &cw);
		if (w + cw > max - ew)
			break;
		w += cw;
		p += n;
		keep = p;
	}
	return xasprintf("%.*s%s", (int)keep, s, ellipsis);
}
