/* Panes: windows placed by the layout, dirty flags, safe text output. */
#include "curses.h"
#include "ui-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/sanitize.h"
#include "haos/xmalloc.h"

void
pane_init(struct pane *p, struct ui *ui, const char *name,
    const struct pane_ops *ops)
{
	memset(p, 0, sizeof *p);
	p->ui = ui;
	p->name = name;
	p->ops = ops;
	p->stale = 1;
	p->dirty = 1;
}

/* Give the pane its rectangle: a new window, or none while hidden. */
void
pane_place(struct pane *p, const struct rect *r)
{
	if (p->win != NULL && memcmp(&p->r, r, sizeof *r) == 0)
		return;
	if (p->win != NULL) {
		delwin(p->win);
		p->win = NULL;
	}
	p->r = *r;
	if (r->h > 0 && r->w > 0) {
		p->win = newwin(r->h, r->w, r->y, r->x);
		if (p->win != NULL)
			leaveok(p->win, TRUE);
	}
	p->dirty = 1;
}

void
pane_free(struct pane *p)
{
	if (p->win != NULL)
		delwin(p->win);
	p->win = NULL;
}

/* Sanitise network text for the screen (never NULL). */
char *
ui_clean(const char *raw)
{
	if (raw == NULL)
		return xstrdup("");
	return sanitize_text(raw, (size_t)-1, 0);
}

int
ui_width(const char *clean)
{
	return sanitize_width(clean);
}

/*
 * Hand len bytes of sanitised text to curses at the cursor, leaving out
 * what terminals disagree on (sanitize_codepoint()): a ZWJ, variation
 * selectors and skin tones.  Curses and every terminal then advance by
 * the same cells, the ones sanitize_grapheme() counts.
 */
void
ui_addtext(WINDOW *w, const char *s, size_t len)
{
	size_t	 off = 0, run = 0, n;
	int	 hidden;

	while (off < len && s[off] != '\0') {
		n = sanitize_codepoint(s + off, len - off, &hidden);
		if (n == 0)
			break;
		if (hidden) {
			/* Draw what came before; leave this one out. */
			if (off > run)
				waddnstr(w, s + run, (int)(off - run));
			run = off + n;
		}
		off += n;
	}
	if (off > run)
		waddnstr(w, s + run, (int)(off - run));
}

/*
 * Draw sanitised text at y, x in at most maxw cells, cut at a grapheme
 * boundary with "…" when it does not fit; returns the cells used.
 */
int
ui_put_clean(WINDOW *w, int y, int x, int maxw, const char *s, attr_t a)
{
	size_t	 len, off = 0, g, cut = 0;
	int	 used = 0, gw, cutw = 0, total;

	if (w == NULL || maxw <= 0)
		return 0;
	len = strlen(s);
	total = sanitize_width(s);
	while (off < len) {
		g = sanitize_grapheme(s + off, len - off, &gw);
		if (g == 0)
			break;
		if (used + gw > maxw - (total > maxw ? 1 : 0))
			break;
		used += gw;
		off += g;
	}
	cut = off;
	cutw = used;
	wattrset(w, (int)a);
	wmove(w, y, x);
	ui_addtext(w, s, cut);
	if (cut < len && cutw < maxw) {
		waddstr(w, "\xe2\x80\xa6");
		cutw++;
	}
	wattrset(w, A_NORMAL);
	return cutw;
}

/* Sanitise, then draw as ui_put_clean(). */
int
ui_put(WINDOW *w, int y, int x, int maxw, const char *raw, attr_t a)
{
	char	*c;
	int	 n;

	c = ui_clean(raw);
	n = ui_put_clean(w, y, x, maxw, c, a);
	free(c);
	return n;
}

/* A vertical separator in the last column of the pane. */
void
ui_border_right(struct pane *p)
{
	int	 y;

	for (y = 0; y < p->r.h; y++)
		ui_put_clean(p->win, y, p->r.w - 1, 1, p->ui->theme.ascii ?
		    "|" : "\xe2\x94\x82", p->ui->theme.role[TH_BORDER]);
}

/* A vertical separator in the first column of the pane. */
void
ui_border_left(struct pane *p)
{
	int	 y;

	for (y = 0; y < p->r.h; y++)
		ui_put_clean(p->win, y, 0, 1, p->ui->theme.ascii ?
		    "|" : "\xe2\x94\x82", p->ui->theme.role[TH_BORDER]);
}
