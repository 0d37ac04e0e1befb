/* Links as OSC 8 hyperlinks, written over what curses drew after doupdate. */
#include "curses.h"
#include "ui-int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "haos/config.h"
#include "haos/hyperlink.h"
#include "haos/log.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"

#define OSC8_MAX_LINKS	256	/* links of one frame rewritten */
#define OSC8_DECSC	"\0337"
#define OSC8_DECRC	"\0338"

/*
 * A link on the screen: where its text starts and what curses drew
 * there.  Curses knows nothing of it: the same cells are written again
 * inside an OSC 8, with the same characters and rendition, so its idea
 * of the screen stays true.
 */
struct osc8_link {
	int	 y, x;		/* screen cell of its first character */
	char	*text;		/* the characters, as drawn */
	char	*url;		/* hyperlink_clean()ed */
	char	 id[48];	/* the same for each line of one link */
};

/*
 * The links of the frame being drawn (cur) and of the one last written
 * (old): a link gone is written again without its OSC 8, so no cell
 * keeps a hyperlink the screen no longer shows.  UI thread only.
 */
struct osc8 {
	struct osc8_link	*cur, *old;
	size_t			 ncur, nold;
	int			 drawn;		/* cur changed since written */
};

/* Bytes to write, growing. */
struct osc8_buf {
	char	*s;
	size_t	 len, cap;
};

static void
osc8_put(struct osc8_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap == 0 ? 1024 : b->cap * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
osc8_str(struct osc8_buf *b, const char *s)
{
	if (s != NULL)
		osc8_put(b, s, strlen(s));
}

/* A terminfo string capability, or NULL when the terminal lacks it. */
static const char *
osc8_cap(const char *name)
{
	char	*s = tigetstr(name);

	return s == NULL || s == (char *)-1 ? NULL : s;
}

/* The client's termfeatures when inside tmux (tmux 3.4 lists hyperlinks). */
static char *
osc8_tmux_features(void)
{
	FILE	*f;
	char	 buf[512], *nl;

	f = popen("tmux display-message -p '#{client_termfeatures}' "
	    "2>/dev/null", "r");
	if (f == NULL)
		return NULL;
	if (fgets(buf, sizeof buf, f) == NULL)
		buf[0] = '\0';
	pclose(f);
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	return xstrdup(buf);
}

/* Decide whether links are hyperlinks, by [ui] hyperlinks. */
void
osc8_init(struct ui *ui)
{
	struct hyperlink_env	 e;
	char			*features = NULL;
	const char		*set = ui->cfg->ui_hyperlinks;

	memset(&e, 0, sizeof e);
	e.term = getenv("TERM");
	e.term_program = getenv("TERM_PROGRAM");
	e.term_program_version = getenv("TERM_PROGRAM_VERSION");
	e.vte_version = getenv("VTE_VERSION");
	e.kitty_window_id = getenv("KITTY_WINDOW_ID");
	e.wt_session = getenv("WT_SESSION");
	e.konsole_version = getenv("KONSOLE_VERSION");
	e.tmux = getenv("TMUX");
	e.sty = getenv("STY");
	if (set != NULL && strcmp(set, "auto") == 0 && e.tmux != NULL &&
	    *e.tmux != '\0')
		e.tmux_features = features = osc8_tmux_features();
	ui->hyperlinks = hyperlink_detect(set, &e);
	ui->osc8 = xcalloc(1, sizeof *ui->osc8);
	log_info("ui", "hyperlinks %s (hyperlinks = %s)", ui->hyperlinks ?
	    "on" : "off", set != NULL ? set : "auto");
	free(features);
}

static void
osc8_links_free(struct osc8_link *l, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(l[i].text);
		free(l[i].url);
	}
	free(l);
}

void
osc8_free(struct ui *ui)
{
	if (ui->osc8 == NULL)
		return;
	osc8_links_free(ui->osc8->cur, ui->osc8->ncur);
	osc8_links_free(ui->osc8->old, ui->osc8->nold);
	free(ui->osc8);
	ui->osc8 = NULL;
}

/* The message pane draws anew: forget the links it drew before. */
void
osc8_begin(struct ui *ui)
{
	struct osc8	*o = ui->osc8;

	if (o == NULL)
		return;
	osc8_links_free(o->cur, o->ncur);
	o->cur = NULL;
	o->ncur = 0;
	o->drawn = 1;
}

/*
 * Note a link drawn in w at y, x: len bytes of clean text as ui_addtext()
 * draws them, opening url; link is its number in event_id.
 */
void
osc8_add(struct ui *ui, WINDOW *w, int y, int x, const char *clean,
    size_t len, const char *url, const char *event_id, int link)
{
	struct osc8		*o = ui->osc8;
	struct osc8_link	*l;
	size_t			 off = 0, n;
	int			 hidden;
	char			*text;

	if (o == NULL || !ui->hyperlinks || url == NULL || len == 0 ||
	    o->ncur == OSC8_MAX_LINKS)
		return;
	/* What ui_addtext() leaves out is not on the screen. */
	text = xmalloc(len + 1);
	n = 0;
	while (off < len && clean[off] != '\0') {
		size_t	 k = sanitize_codepoint(clean + off, len - off,
		    &hidden);

		if (k == 0)
			break;
		if (!hidden) {
			memcpy(text + n, clean + off, k);
			n += k;
		}
		off += k;
	}
	text[n] = '\0';
	if (n == 0) {
		free(text);
		return;
	}
	o->cur = xrealloc(o->cur, (o->ncur + 1) * sizeof *o->cur);
	l = &o->cur[o->ncur++];
	l->y = getbegy(w) + y;
	l->x = getbegx(w) + x;
	l->text = text;
	l->url = xstrdup(url);
	hyperlink_id(event_id, link, l->id, sizeof l->id);
}

/* The SGR of a cell's rendition, from the normal one, by terminfo. */
static void
osc8_sgr(struct osc8_buf *b, attr_t a, int pair)
{
	static const struct {
		attr_t		 attr;
		const char	*cap;
	} caps[] = {
		{ A_BOLD, "bold" }, { A_DIM, "dim" }, { A_UNDERLINE, "smul" },
		{ A_REVERSE, "rev" }, { A_BLINK, "blink" },
		{ A_STANDOUT, "smso" }, { A_ITALIC, "sitm" },
		{ A_INVIS, "invis" }
	};
	const char	*s;
	size_t		 i;
	int		 fg, bg;

	s = osc8_cap("sgr0");
	osc8_str(b, s != NULL ? s : "\033[m");
	for (i = 0; i < nitems(caps); i++) {
		if ((a & caps[i].attr) && (s = osc8_cap(caps[i].cap)) != NULL)
			osc8_str(b, s);
	}
	if (pair <= 0 || extended_pair_content(pair, &fg, &bg) == ERR)
		return;
	if (fg >= 0 && (s = osc8_cap("setaf")) != NULL)
		osc8_str(b, tiparm(s, fg));
	if (bg >= 0 && (s = osc8_cap("setab")) != NULL)
		osc8_str(b, tiparm(s, bg));
}

/* Move the cursor to y, x (cup, or CSI H). */
static void
osc8_move(struct osc8_buf *b, int y, int x)
{
	const char	*cup = osc8_cap("cup");
	char		 csi[32];

	if (cup != NULL)
		osc8_str(b, tiparm(cup, y, x));
	else {
		snprintf(csi, sizeof csi, "\033[%d;%dH", y + 1, x + 1);
		osc8_str(b, csi);
	}
}

/*
 * Write the cells curses shows where l is, in their rendition, inside
 * an OSC 8 when linked: 0, or -1 (nothing written) when they are not
 * l's text any more (something drawn over it) or not plain characters.
 */
static int
osc8_cells(struct osc8_buf *b, const struct osc8_link *l, int linked)
{
	struct osc8_buf	 cells;
	cchar_t		 cc;
	wchar_t		 wch[CCHARW_MAX + 1];
	attr_t		 a, last = 0;
	short		 spair;
	int		 pair, lastpair = -1, x = l->x, oy, ox, rc = -1, k, cw;
	char		 mb[MB_LEN_MAX * (CCHARW_MAX + 1)], *seq = NULL;
	size_t		 want = strlen(l->text), got = 0, n, m;
	mbstate_t	 ps;

	memset(&cells, 0, sizeof cells);
	getyx(curscr, oy, ox);
	while (got < want && x < COLS && l->y < LINES) {
		pair = 0;
		if (mvwin_wch(curscr, l->y, x, &cc) == ERR ||
		    getcchar(&cc, wch, &a, &spair, &pair) == ERR)
			goto out;
		a &= ~A_COLOR;
		if ((a & A_ALTCHARSET) || wch[0] == L'\0')
			goto out;
		memset(&ps, 0, sizeof ps);
		for (n = 0, k = 0; wch[k] != L'\0' && k < CCHARW_MAX; k++) {
			m = wcrtomb(mb + n, wch[k], &ps);
			if (m == (size_t)-1)
				goto out;
			n += m;
		}
		if (got + n > want || memcmp(l->text + got, mb, n) != 0)
			goto out;
		if (a != last || pair != lastpair)
			osc8_sgr(&cells, a, pair);
		last = a;
		lastpair = pair;
		osc8_put(&cells, mb, n);
		got += n;
		cw = wcwidth(wch[0]);
		x += cw > 0 ? cw : 1;
	}
	if (got != want)
		goto out;
	osc8_move(b, l->y, l->x);
	if (linked) {
		if ((seq = hyperlink_open(l->url, l->id)) == NULL)
			goto out;
		osc8_str(b, seq);
	}
	osc8_put(b, cells.s, cells.len);
	if (linked)
		osc8_str(b, HYPERLINK_CLOSE);
	rc = 0;
out:
	wmove(curscr, oy, ox);
	free(seq);
	free(cells.s);
	return rc;
}

static int
osc8_same(const struct osc8_link *a, const struct osc8_link *b)
{
	return a->y == b->y && a->x == b->x && strcmp(a->text, b->text) == 0 &&
	    strcmp(a->url, b->url) == 0 && strcmp(a->id, b->id) == 0;
}

/*
 * After doupdate(): when the message pane was drawn, write its links
 * as hyperlinks (and the cells of links gone without one), between
 * DECSC and DECRC in the normal rendition, so the cursor and what the
 * terminal holds are as curses left them.
 */
void
osc8_flush(struct ui *ui)
{
	struct osc8	*o = ui->osc8;
	struct osc8_buf	 b;
	size_t		 i, j, off = 0;
	ssize_t		 w;
	const char	*s;

	if (o == NULL || !o->drawn)
		return;
	o->drawn = 0;
	memset(&b, 0, sizeof b);
	if (o->ncur > 0 || o->nold > 0) {
		osc8_str(&b, OSC8_DECSC);
		for (i = 0; i < o->nold; i++) {
			for (j = 0; j < o->ncur; j++) {
				if (osc8_same(&o->old[i], &o->cur[j]))
					break;
			}
			if (j == o->ncur)
				(void)osc8_cells(&b, &o->old[i], 0);
		}
		for (i = 0; i < o->ncur; i++)
			(void)osc8_cells(&b, &o->cur[i], 1);
		s = osc8_cap("sgr0");
		osc8_str(&b, s != NULL ? s : "\033[m");
		osc8_str(&b, OSC8_DECRC);
	}
	/* What is written now is what a later frame must undo. */
	osc8_links_free(o->old, o->nold);
	o->old = NULL;
	o->nold = o->ncur;
	if (o->ncur > 0) {
		o->old = xcalloc(o->ncur, sizeof *o->old);
		for (i = 0; i < o->ncur; i++) {
			o->old[i] = o->cur[i];
			o->old[i].text = xstrdup(o->cur[i].text);
			o->old[i].url = xstrdup(o->cur[i].url);
		}
	}
	/* Curses has flushed its own output: these come after it. */
	while (off < b.len) {
		w = write(STDOUT_FILENO, b.s + off, b.len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(b.s);
}
