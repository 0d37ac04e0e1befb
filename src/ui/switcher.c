/* Ctrl+K quick switcher: fuzzy search over servers, channels and DMs. */
#include "curses.h"
#include "ui-int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/editor.h"
#include "haos/log.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define SWITCHER_MAX_SHOWN	10

struct switcher_item {
	char	*id;
	char	*label;		/* sanitised: "#general  Acme" */
	char	*key;		/* what the pattern matches */
	char	*alt;		/* or this: "Acme general", or NULL */
	int	 score;
};

struct switcher {
	WINDOW			*win;
	struct editor		*ed;
	struct switcher_item	*items;
	size_t			 nitems;
	size_t			*shown;		/* indexes, best first */
	size_t			 nshown;
	size_t			 sel;
};

/*
 * Score text against pattern as a case-insensitive subsequence: -1 if it
 * is not one; more for matches at word starts and in runs, most for a
 * prefix, less for a longer text.
 */
int
switcher_score(const char *pat, const char *text)
{
	const char	*t = text, *p = pat;
	int		 score = 0, run = 0, first = -1;

	if (*pat == '\0')
		return 1;
	for (; *t != '\0' && *p != '\0'; t++) {
		if (tolower((unsigned char)*t) != tolower((unsigned char)*p)) {
			run = 0;
			continue;
		}
		if (first == -1)
			first = (int)(t - text);
		score += 1 + run * 3;
		if (t == text || !isalnum((unsigned char)t[-1]))
			score += 5;
		run++;
		p++;
	}
	if (*p != '\0')
		return -1;
	if (first == 0)
		score += 10;
	return score * 100 - (int)strlen(text) - first;
}

static void
switcher_free_items(struct switcher *sw)
{
	size_t	 i;

	for (i = 0; i < sw->nitems; i++) {
		free(sw->items[i].id);
		free(sw->items[i].label);
		free(sw->items[i].key);
		free(sw->items[i].alt);
	}
	free(sw->items);
	free(sw->shown);
}

/* A room's name as the lists show it (cmd_room_name()), sanitised. */
static char *
switcher_name(struct ui *ui, const struct room_row *r)
{
	char	*raw, *name;

	raw = cmd_room_name(ui->store, r);
	name = ui_clean(raw[0] == '@' && r->name == NULL ? raw + 1 : raw);
	free(raw);
	return name;
}

/* Every room we know, labelled for the list. */
static void
switcher_load(struct ui *ui, struct switcher *sw)
{
	struct haos_error	 err;
	struct room_row		*r = NULL, *sp = NULL;
	size_t			 n = 0, nsp = 0, i, j;
	struct switcher_item	*it;
	const char		*parent;
	char			*name;

	if (store_query_rooms(ui->store, STORE_ROOMS_ALL, NULL, &r, &n,
	    &err) == -1 || store_query_rooms(ui->store, STORE_ROOMS_SPACES,
	    NULL, &sp, &nsp, &err) == -1) {
		log_warn("ui", "switcher: %s", err.msg);
		goto out;
	}
	sw->items = xcalloc(n + 1, sizeof *sw->items);
	for (i = 0; i < n; i++) {
		it = &sw->items[sw->nitems++];
		it->id = xstrdup(r[i].room_id);
		name = switcher_name(ui, &r[i]);
		parent = NULL;
		for (j = 0; j < nsp && r[i].parent_id != NULL; j++) {
			if (strcmp(sp[j].room_id, r[i].parent_id) == 0)
				parent = sp[j].name;
		}
		if (r[i].is_space)
			it->label = xasprintf("%s  (server)", name);
		else if (r[i].is_direct)
			it->label = xasprintf("@%s  (direct message)", name);
		else if (parent != NULL) {
			char *pc = ui_clean(parent);

			it->label = xasprintf("#%s  %s", name, pc);
			it->alt = xasprintf("%s %s", pc, name);
			free(pc);
		} else
			it->label = xasprintf("#%s", name);
		if (r[i].join == ROOM_INVITE) {
			char *tmp = xasprintf("%s  (invite)", it->label);

			free(it->label);
			it->label = tmp;
		}
		it->key = name;
	}
out:
	room_rows_free(r, n);
	room_rows_free(sp, nsp);
}

static int
switcher_cmp(const void *a, const void *b, void *arg)
{
	const struct switcher	*sw = arg;
	const size_t		*x = a, *y = b;

	return sw->items[*y].score - sw->items[*x].score;
}

/* Re-rank for the current pattern. */
static void
switcher_filter(struct switcher *sw)
{
	const char	*pat = editor_text(sw->ed);
	size_t		 i, j, t;
	int		 alt;

	free(sw->shown);
	sw->shown = xcalloc(sw->nitems + 1, sizeof *sw->shown);
	sw->nshown = 0;
	if (pat[0] == '#' || pat[0] == '@')
		pat++;
	for (i = 0; i < sw->nitems; i++) {
		sw->items[i].score = switcher_score(pat, sw->items[i].key);
		/* "zeta gen": the server's name, then the channel's. */
		if (sw->items[i].alt != NULL && (alt = switcher_score(pat,
		    sw->items[i].alt)) > sw->items[i].score)
			sw->items[i].score = alt;
		if (sw->items[i].score >= 0)
			sw->shown[sw->nshown++] = i;
	}
	/* Insertion sort: few items, and stable. */
	for (i = 1; i < sw->nshown; i++) {
		for (j = i; j > 0 && switcher_cmp(&sw->shown[j - 1],
		    &sw->shown[j], sw) > 0; j--) {
			t = sw->shown[j];
			sw->shown[j] = sw->shown[j - 1];
			sw->shown[j - 1] = t;
		}
	}
	sw->sel = 0;
}

void
switcher_open(struct ui *ui)
{
	struct switcher	*sw;

	if (ui->sw != NULL)
		return;
	sw = xcalloc(1, sizeof *sw);
	sw->ed = editor_new();
	switcher_load(ui, sw);
	switcher_filter(sw);
	ui->sw = sw;
}

void
switcher_close(struct ui *ui)
{
	struct switcher	*sw = ui->sw;

	if (sw == NULL)
		return;
	if (sw->win != NULL)
		delwin(sw->win);
	editor_free(sw->ed);
	switcher_free_items(sw);
	free(sw);
	ui->sw = NULL;
	ui->full_redraw |= 4;	/* repaint what the box covered */
}

/* A key while the switcher is open: edit, move, choose, or close. */
int
switcher_key(struct ui *ui, int key, const char *paste)
{
	struct switcher	*sw = ui->sw;
	char		 mb[8], *id;
	int		 n;

	if (paste != NULL) {
		char *clean = ui_clean(paste);

		editor_insert(sw->ed, clean);
		free(clean);
	} else if (key == 27 || key == 7 /* C-g */) {
		switcher_close(ui);
		return 0;
	} else if (key == 13) {
		if (sw->nshown == 0) {
			beep();
			return 0;
		}
		id = xstrdup(sw->items[sw->shown[sw->sel]].id);
		switcher_close(ui);
		ui_select_room(ui, id);
		free(id);
		return 0;
	} else if (key == (KEYC_FKEY | KEY_UP) || key == 16 /* C-p */) {
		if (sw->sel > 0)
			sw->sel--;
		return 0;
	} else if (key == (KEYC_FKEY | KEY_DOWN) || key == 14 /* C-n */ ||
	    key == 9) {
		if (sw->sel + 1 < sw->nshown)
			sw->sel++;
		return 0;
	} else if (key == (KEYC_FKEY | KEY_BACKSPACE))
		editor_backspace(sw->ed);
	else if (key == 21 /* C-u */)
		editor_kill_to_start(sw->ed);
	else if (key == 23 /* C-w */)
		editor_kill_word_back(sw->ed);
	else if (key >= 32 && key < 0x110000 && key != 127) {
		n = wctomb(mb, (wchar_t)key);
		if (n <= 0)
			return 0;
		mb[n] = '\0';
		editor_insert(sw->ed, mb);
	} else
		return 0;
	switcher_filter(sw);
	return 0;
}

/* Draw the box over the panes (after them, before doupdate). */
void
switcher_draw(struct ui *ui)
{
	struct switcher	*sw = ui->sw;
	int		 w, h, y, x;
	size_t		 i, top = 0;

	w = COLS - 4 < 64 ? COLS - 4 : 64;
	h = (int)(SWITCHER_MAX_SHOWN + 4);
	if (h > LINES - 2)
		h = LINES - 2;
	if (w < 10 || h < 4)
		return;
	if (sw->win == NULL || getmaxx(sw->win) != w ||
	    getmaxy(sw->win) != h) {
		if (sw->win != NULL)
			delwin(sw->win);
		sw->win = newwin(h, w, (LINES - h) / 3, (COLS - w) / 2);
		if (sw->win == NULL)
			return;
	}
	werase(sw->win);
	if (ui->theme.ascii)
		wborder(sw->win, '|', '|', '-', '-', '+', '+', '+', '+');
	else
		box(sw->win, 0, 0);
	ui_put_clean(sw->win, 0, 2, w - 4, " Switch to (Esc closes) ",
	    ui->theme.role[TH_ACCENT]);
	x = 2 + ui_put_clean(sw->win, 1, 2, 2, "> ",
	    ui->theme.role[TH_ACCENT]);
	ui_put_clean(sw->win, 1, x, w - x - 2, editor_text(sw->ed), A_BOLD);
	if (sw->sel >= (size_t)(h - 3))
		top = sw->sel - (size_t)(h - 4);
	for (y = 2, i = top; y < h - 1 && i < sw->nshown; y++, i++) {
		if (i == sw->sel)
			mvwchgat(sw->win, y, 1, w - 2, A_REVERSE, 0, NULL);
		ui_put_clean(sw->win, y, 2, w - 4,
		    sw->items[sw->shown[i]].label, i == sw->sel ?
		    A_REVERSE | A_BOLD : A_NORMAL);
	}
	if (sw->nshown == 0)
		ui_put_clean(sw->win, 2, 2, w - 4, "no match",
		    ui->theme.role[TH_DIM]);
	wmove(sw->win, 1, x + editor_cursor_col(sw->ed));
	leaveok(sw->win, FALSE);
	wnoutrefresh(sw->win);
}
