/* Text shown over the message pane (help, details, pick lists) until Esc. */
#include "curses.h"
#include "ui-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/sanitize.h"
#include "haos/xmalloc.h"

/* The overlay's own data, opaque outside this file. */
struct overlay {
	char		**lines;	/* n lines, sanitised on draw */
	size_t		 n;
	int		 top;		/* first line shown */
	char		*title;
	char		**cmds;		/* a pick list: per line, or NULL */
	int		 sel;		/* the chosen line of a pick list */
	const void	*owner;		/* overlay_set_owner() */
	char		*hint;		/* the owner's keys, or NULL */
};

/* Whether text is shown over the message pane. */
int
overlay_open(struct ui *ui)
{
	return ui->overlay != NULL;
}

/* Close the overlay, if open, and free it. */
void
overlay_close(struct ui *ui)
{
	struct overlay	*o = ui->overlay;
	size_t		 i;

	if (o == NULL)
		return;
	for (i = 0; i < o->n; i++)
		free(o->lines[i]);
	free(o->lines);
	free(o->title);
	for (i = 0; o->cmds != NULL && o->cmds[i] != NULL; i++)
		free(o->cmds[i]);
	free(o->cmds);
	free(o->hint);
	free(o);
	ui->overlay = NULL;
	ui->messages.dirty = 1;
}

/*
 * Show lines under title in the message pane until Esc.  Lines may hold
 * a server's text (message details, profiles): each is sanitised here,
 * one screen line each.
 */
void
overlay_show(struct ui *ui, const char *title, char **lines, size_t n)
{
	struct overlay	*o;
	size_t		 i;

	overlay_close(ui);	/* plain text now: no pick list left over */
	o = xcalloc(1, sizeof *o);
	o->lines = xcalloc(n + 1, sizeof *o->lines);
	for (i = 0; i < n; i++)
		o->lines[i] = sanitize_text(lines[i], (size_t)-1, 0);
	o->n = n;
	o->title = sanitize_text(title, (size_t)-1, 0);
	ui->overlay = o;
	ui->messages.dirty = 1;
}

/* The overlay shown belongs to owner, whose keys hint tells. */
void
overlay_set_owner(struct ui *ui, const void *owner, const char *hint)
{
	if (ui->overlay == NULL)
		return;
	ui->overlay->owner = owner;
	free(ui->overlay->hint);
	ui->overlay->hint = hint != NULL ? xstrdup(hint) : NULL;
}

const void *
overlay_owner(struct ui *ui)
{
	return ui->overlay != NULL ? ui->overlay->owner : NULL;
}

/* Show lines to choose from; Enter on line i runs cmds[i]. */
void
overlay_pick(struct ui *ui, const char *title, char **lines, char **cmds,
    size_t n)
{
	size_t	 i;

	overlay_show(ui, title, lines, n);
	ui->overlay->cmds = xcalloc(n + 1, sizeof *ui->overlay->cmds);
	for (i = 0; i < n; i++)
		ui->overlay->cmds[i] = xstrdup(cmds[i]);
}

/* Scroll the text by a page (UI_ACT_SCROLL_UP or _DOWN). */
void
overlay_scroll(struct ui *ui, enum ui_action how)
{
	struct overlay	*o = ui->overlay;
	int		 page = ui->messages.r.h > 2 ? ui->messages.r.h - 2 : 1;

	if (o == NULL)
		return;
	if (how == UI_ACT_SCROLL_UP)
		o->top -= page;
	else if (how == UI_ACT_SCROLL_DOWN)
		o->top += page;
	if (o->top > (int)o->n - (ui->messages.r.h - 2))
		o->top = (int)o->n - (ui->messages.r.h - 2);
	if (o->top < 0)
		o->top = 0;
	ui->messages.dirty = 1;
}

/* A key while a pick list is shown: move, choose or leave. */
static int
overlay_pick_key(struct ui *ui, int key)
{
	struct overlay	*o = ui->overlay;
	char		*cmd;
	int		 rows = ui->messages.r.h > 2 ? ui->messages.r.h - 2 : 1;

	if (key == (KEYC_FKEY | KEY_UP) && o->sel > 0)
		o->sel--;
	else if (key == (KEYC_FKEY | KEY_DOWN) && o->sel + 1 < (int)o->n)
		o->sel++;
	else if (key == '\r' || key == '\n' ||
	    key == (KEYC_FKEY | KEY_ENTER)) {
		cmd = xstrdup(o->cmds[o->sel]);
		overlay_close(ui);
		ui->ctx.server_id = ui->server_id;
		ui->ctx.room_id = ui->room_id;
		cmd_run_string(&ui->ctx, cmd);
		free(cmd);
		return 1;
	} else
		return 0;
	if (o->sel < o->top)
		o->top = o->sel;
	if (o->sel >= o->top + rows)
		o->top = o->sel - rows + 1;
	ui->messages.dirty = 1;
	return 1;
}

/* A key while the overlay is open: it takes every key. */
void
overlay_key(struct ui *ui, int key)
{
	if (ui->overlay == NULL)
		return;
	if (ui->overlay->cmds != NULL && overlay_pick_key(ui, key))
		return;
	if (key == 27 || key == 'q' || key == (KEYC_FKEY | KEY_F(1)))
		overlay_close(ui);
	else if (key == (KEYC_FKEY | KEY_PPAGE) ||
	    key == (KEYC_FKEY | KEY_UP))
		overlay_scroll(ui, UI_ACT_SCROLL_UP);
	else if (key == (KEYC_FKEY | KEY_NPAGE) ||
	    key == (KEYC_FKEY | KEY_DOWN))
		overlay_scroll(ui, UI_ACT_SCROLL_DOWN);
}

/* Draw the overlay into the message pane's window. */
void
overlay_draw(struct ui *ui, WINDOW *w, int h, int width)
{
	struct overlay	*o = ui->overlay;
	int		 y, i;

	ui_put_clean(w, 0, 0, width, o->title, ui->theme.role[TH_HEADING]);
	for (y = 1, i = o->top; y < h - 1 && i < (int)o->n; y++, i++)
		ui_put_clean(w, y, 1, width - 1, o->lines[i],
		    o->cmds != NULL && i == o->sel ?
		    ui->theme.role[TH_TEXT] | A_REVERSE :
		    ui->theme.role[TH_TEXT]);
	ui_put_clean(w, h - 1, 0, width, o->hint != NULL ? o->hint :
	    o->cmds != NULL ?
	    "Up/Down choose, Enter selects, Esc or q closes" :
	    "Up/Down/PgUp/PgDn scroll, Esc or q closes",
	    ui->theme.role[TH_DIM]);
}
