/* Kitty and sixel previews, written after the screen update. */

/*
 * Curses draws no graphics: the timeline keeps each preview's cells
 * blank (render-image.c), the message pane names the previews wholly on
 * screen while it draws (graphics_add()), and after doupdate()
 * graphics_flush() writes, for each rectangle new since the last frame
 * (or all after a repaint), the image there: cursor saved, moved, the
 * sequence, restored, flushed.  Kitty: each image is transmitted once
 * (its pixels, a=t with an id of ours) and placed (a=p, placement 1,
 * C=1); a preview that scrolled away or whose page changed loses its
 * placement (a=d,d=i); quitting deletes them all (d=A).  Sixel: chafa's
 * sequence is written again only when its rectangle is new; the lines
 * of a rectangle that moved or went are thrown away (wredrawln()) and
 * repainted before any image is written, so no pixels stay behind.
 * The mode ("auto" resolved by graphics-seq.c from the environment and,
 * inside tmux, its client_termfeatures) and the cell's pixel size
 * (TIOCGWINSZ, else 10x20) are read once.  Overlays and the switcher
 * cover the timeline: no images while they are open.
 */
#include "curses.h"
#include "ui-int.h"

#include <sys/ioctl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/config.h"
#include "haos/graphics-seq.h"
#include "haos/xmalloc.h"

#define GRAPHICS_PID		1	/* the one placement of an image */
#define GRAPHICS_ID_BASE	0x48410000u	/* "HA": ours */

extern char	**environ;

struct graphics {
	enum preview_mode	 mode;
	int			 cw, ch;
	uint32_t		 next_id;
	struct graphics_rect	*want, *shown;
	struct preview		**pv;		/* want's previews */
	size_t			 nwant, nshown, cap;
	int			 any;		/* written to */
};

/* tmux's features of its client, or NULL. */
static char *
graphics_tmux_features(void)
{
	char	 buf[512];
	FILE	*f;
	char	*s = NULL;

	f = popen("tmux display -p '#{client_termfeatures}' 2>/dev/null",
	    "r");
	if (f == NULL)
		return NULL;
	if (fgets(buf, sizeof buf, f) != NULL)
		s = xstrdup(buf);
	pclose(f);
	return s;
}

static struct graphics *
graphics_get(struct ui *ui)
{
	struct graphics	*g;
	struct winsize	 ws;
	char		*feat = NULL;

	if (ui->gfx != NULL)
		return ui->gfx;
	g = ui->gfx = xcalloc(1, sizeof *g);
	if (ui->cfg->ui_image_preview != NULL &&
	    strcmp(ui->cfg->ui_image_preview, "auto") == 0 &&
	    graphics_seq_in_tmux((const char *const *)environ))
		feat = graphics_tmux_features();
	g->mode = graphics_seq_detect(ui->cfg->ui_image_preview,
	    (const char *const *)environ,
	    feat);
	free(feat);
	g->cw = 10;
	g->ch = 20;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 &&
	    ws.ws_row > 0 && ws.ws_xpixel >= ws.ws_col * 4 &&
	    ws.ws_ypixel >= ws.ws_row * 8) {
		g->cw = ws.ws_xpixel / ws.ws_col;
		g->ch = ws.ws_ypixel / ws.ws_row;
		if (g->cw > 64)
			g->cw = 64;
		if (g->ch > 128)
			g->ch = 128;
	}
	g->next_id = GRAPHICS_ID_BASE;
	return g;
}

enum preview_mode
graphics_mode(struct ui *ui)
{
	return graphics_get(ui)->mode;
}

void
graphics_cell(struct ui *ui, int *w, int *h)
{
	struct graphics	*g = graphics_get(ui);

	*w = g->cw;
	*h = g->ch;
}

void
graphics_frame(struct ui *ui)
{
	if (ui->gfx != NULL)
		ui->gfx->nwant = 0;
}

void
graphics_add(struct ui *ui, struct preview *pv, int y, int x, int rows,
    int sel)
{
	struct graphics		*g = ui->gfx;
	struct graphics_rect	*r;

	if (g == NULL || pv == NULL || pv->mode != g->mode ||
	    (g->mode != PREVIEW_SIXEL && g->mode != PREVIEW_KITTY) ||
	    pv->data == NULL || rows != pv->rows)
		return;
	if (pv->gfx_id == 0)
		pv->gfx_id = g->next_id++;
	if (g->nwant == g->cap) {
		g->cap = g->cap == 0 ? 8 : g->cap * 2;
		g->want = xrealloc(g->want, g->cap * sizeof *g->want);
		g->pv = xrealloc(g->pv, g->cap * sizeof *g->pv);
	}
	r = &g->want[g->nwant];
	r->id = pv->gfx_id;
	r->y = ui->messages.r.y + y;
	r->x = ui->messages.r.x + x;
	r->cols = pv->cols;
	r->rows = pv->rows;
	r->sel = sel;
	g->pv[g->nwant++] = pv;
}

static void
graphics_write(const char *s, size_t len)
{
	fwrite(s, 1, len, stdout);
}

/* seq (len bytes) at the screen cell (y, x). */
static void
graphics_write_at(int y, int x, const char *seq, size_t len)
{
	char	*s;
	size_t	 n;

	s = graphics_seq_at(y, x, seq, len, &n);
	graphics_write(s, n);
	free(s);
}

/* Take the shown rectangle r away. */
static int
graphics_remove(struct ui *ui, const struct graphics_rect *r)
{
	char	*s;
	int	 top;

	if (ui->gfx->mode == PREVIEW_KITTY) {
		s = graphics_seq_kitty_delete(r->id, GRAPHICS_PID);
		graphics_write(s, strlen(s));
		free(s);
		return 0;
	}
	/* Sixel: the lines repainted by curses over the pixels. */
	if (ui->messages.win == NULL)
		return 0;
	top = r->y - ui->messages.r.y;
	if (top < 0)
		top = 0;
	if (top >= ui->messages.r.h)
		return 0;
	wredrawln(ui->messages.win, top, r->rows < ui->messages.r.h - top ?
	    r->rows : ui->messages.r.h - top);
	wnoutrefresh(ui->messages.win);
	return 1;
}

/* Show the wanted rectangle i. */
static void
graphics_show(struct ui *ui, size_t i)
{
	struct graphics		*g = ui->gfx;
	struct preview		*pv = g->pv[i];
	const struct graphics_rect *r = &g->want[i];
	char			*s;
	size_t			 n;

	if (g->mode == PREVIEW_SIXEL) {
		graphics_write_at(r->y, r->x, (const char *)pv->data,
		    pv->len);
		return;
	}
	if (!pv->gfx_sent) {
		s = graphics_seq_kitty_send(pv->gfx_id, pv->data, pv->pw,
		    pv->ph, &n);
		graphics_write(s, n);
		free(s);
		pv->gfx_sent = 1;
	}
	s = graphics_seq_kitty_place(pv->gfx_id, GRAPHICS_PID, r->cols,
	    r->rows);
	graphics_write_at(r->y, r->x, s, strlen(s));
	free(s);
}

void
graphics_flush(struct ui *ui, int repaint)
{
	struct graphics	*g = ui->gfx;
	size_t		 i;
	int		 redraw = 0, wrote = 0;

	if (g == NULL || (g->mode != PREVIEW_SIXEL && g->mode != PREVIEW_KITTY))
		return;
	if (ui->sw != NULL || overlay_open(ui))
		g->nwant = 0;	/* covered */
	for (i = 0; i < g->nshown; i++) {
		if (!repaint && graphics_seq_has(g->want, g->nwant,
		    &g->shown[i]))
			continue;
		if (graphics_remove(ui, &g->shown[i]))
			redraw = 1;
		wrote = 1;
	}
	if (redraw)
		doupdate();
	for (i = 0; i < g->nwant; i++) {
		if (!repaint && graphics_seq_has(g->shown, g->nshown,
		    &g->want[i]))
			continue;
		graphics_show(ui, i);
		wrote = 1;
	}
	if (wrote) {
		fflush(stdout);
		g->any = 1;
	}
	free(g->shown);
	g->shown = NULL;
	g->nshown = g->nwant;
	if (g->nwant > 0) {
		g->shown = xmalloc(g->nwant * sizeof *g->shown);
		memcpy(g->shown, g->want, g->nwant * sizeof *g->shown);
	}
}

/* Quitting: kitty's images deleted; the state freed. */
void
graphics_end(struct ui *ui)
{
	struct graphics	*g = ui->gfx;
	char		*s;

	if (g == NULL)
		return;
	if (g->mode == PREVIEW_KITTY && g->any) {
		s = graphics_seq_kitty_delete(0, 0);
		graphics_write(s, strlen(s));
		fflush(stdout);
		free(s);
	}
	free(g->want);
	free(g->shown);
	free(g->pv);
	free(g);
	ui->gfx = NULL;
}
