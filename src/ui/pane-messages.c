/* The message pane: timeline lines, scrollback, backfill, selection. */
#include "curses.h"
#include "ui-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/client.h"
#include "haos/config.h"
#include "haos/error.h"
#include "haos/graphics-seq.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define MESSAGES_PAGE	150	/* events paged in from the store at once */

/* The pane's own data, opaque outside this file. */
struct msgs_state {
	struct event_row	*ev;		/* the page, oldest first */
	size_t			 nev;
	size_t			 want;		/* events to page in */
	struct render_line	*lines;		/* ev rendered at r.w */
	size_t			 nlines;
	int			 scroll;	/* lines above the bottom */
	int			 loading;	/* backfill under way */
	int64_t			 loading_at;	/* when it was asked for */
	int			 beginning;	/* the room's first event */
	int			 sel;		/* message selection active */
	char			*sel_id;	/* event id (or txn id) */
	char			**rcpt_users;	/* m.read receipts: users[i] */
	char			**rcpt_events;	/* read up to events[i] */
	size_t			 nrcpt;
};

/* The pane's state, made on first use. */
static struct msgs_state *
pane_messages_state(struct ui *ui)
{
	if (ui->msgs_st == NULL) {
		ui->msgs_st = xcalloc(1, sizeof *ui->msgs_st);
		ui->msgs_st->want = MESSAGES_PAGE;
	}
	return ui->msgs_st;
}

/* Forget the receipts read with the page. */
static void
pane_messages_receipts_free(struct msgs_state *ms)
{
	size_t	 i;

	for (i = 0; i < ms->nrcpt; i++) {
		free(ms->rcpt_users[i]);
		free(ms->rcpt_events[i]);
	}
	xfree(ms->rcpt_users);
	xfree(ms->rcpt_events);
	ms->nrcpt = 0;
}

static void
pane_messages_clear(struct msgs_state *ms)
{
	pane_messages_receipts_free(ms);
	event_rows_free(ms->ev, ms->nev);
	ms->ev = NULL;
	ms->nev = 0;
	render_lines_free(ms->lines, ms->nlines);
	ms->lines = NULL;
	ms->nlines = 0;
}

/* Free the pane's state. */
void
pane_messages_free(struct ui *ui)
{
	if (ui->msgs_st == NULL)
		return;
	pane_messages_clear(ui->msgs_st);
	free(ui->msgs_st->sel_id);
	free(ui->msgs_st);
	ui->msgs_st = NULL;
}

/* Forget the page: a new room starts at the newest message. */
void
pane_messages_reset(struct ui *ui)
{
	struct msgs_state	*ms = pane_messages_state(ui);

	pane_messages_clear(ms);
	ms->want = MESSAGES_PAGE;
	ms->scroll = 0;
	ms->loading = 0;
	ms->beginning = 0;
	ms->sel = 0;
	xfree(ms->sel_id);
}

static int64_t
pane_messages_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Lines in the pane besides the timeline: a "loading"/"beginning" line. */
static int
pane_messages_extra(struct ui *ui)
{
	struct msgs_state	*ms = pane_messages_state(ui);

	return ms->loading || ms->beginning ? 1 : 0;
}

static int
pane_messages_max_scroll(struct ui *ui)
{
	struct msgs_state	*ms = pane_messages_state(ui);
	int			 total;

	total = (int)ms->nlines + pane_messages_extra(ui);
	return total > ui->messages.r.h ? total - ui->messages.r.h : 0;
}

/* Events outside the page (reply targets, redactions), from the store. */
static int
pane_messages_event_of(void *arg, const char *event_id, struct event_row *out)
{
	struct ui		*ui = arg;
	struct haos_error	 err;

	return store_query_event(ui->store, event_id, out, &err) == 1;
}

/* Re-render the page at the pane's width. */
static void
pane_messages_render(struct ui *ui)
{
	struct msgs_state	*ms = pane_messages_state(ui);
	struct render_opts	 o;

	render_lines_free(ms->lines, ms->nlines);
	ms->lines = NULL;
	ms->nlines = 0;
	if (ms->nev == 0 || ui->messages.r.w <= 0)
		return;
	memset(&o, 0, sizeof o);
	o.width = ui->messages.r.w;
	o.me = ui->me;
	o.my_name = ui->me_name;
	o.ascii = ui->theme.ascii;
	o.hyperlinks = ui->hyperlinks;
	o.seconds = strcmp(ui->cfg->ui_seconds, "yes") == 0;
	o.locks = ui->locks;
	o.now_ms = pane_messages_now();
	o.palette = ui->theme.nsenders;
	o.name_of = ui_name_of;
	o.name_arg = ui;
	o.thread = conv_thread(ui);
	o.event_of = pane_messages_event_of;
	o.event_arg = ui;
	o.unread_after = readstate_marker(ui);
	o.rcpt_users = (const char *const *)ms->rcpt_users;
	o.rcpt_events = (const char *const *)ms->rcpt_events;
	o.nrcpt = ms->nrcpt;
	o.preview_of = thumbs_of;
	o.preview_arg = ui;
	if (render_timeline(ms->ev, ms->nev, &o, &ms->lines,
	    &ms->nlines) == -1) {
		log_warn("ui", "render failed");
		ms->lines = NULL;
		ms->nlines = 0;
	}
}

static void	pane_messages_top(struct ui *);

/* Re-read the page from the store, keeping the view steady. */
static void
pane_messages_refresh(struct pane *p)
{
	struct ui		*ui = p->ui;
	struct msgs_state	*ms = pane_messages_state(ui);
	struct haos_error	 err;
	size_t			 old_lines = ms->nlines, i, real = 0;
	int			 was_loading = ms->loading;

	event_rows_free(ms->ev, ms->nev);
	ms->ev = NULL;
	ms->nev = 0;
	if (conv_thread(ui) != NULL) {
		/* A thread: its root and every reply, all in the store. */
		if (store_query_thread(ui->store, ui->room_id,
		    conv_thread(ui), ui->me, &ms->ev, &ms->nev, &err) == -1)
			log_warn("ui", "thread: %s", err.msg);
	} else if (ui->room_id != NULL && store_query_timeline(ui->store,
	    ui->room_id, STORE_LATEST, ms->want, 0, ui->me, &ms->ev, &ms->nev,
	    &err) == -1)
		log_warn("ui", "timeline: %s", err.msg);
	pane_messages_receipts_free(ms);
	if (ui->room_id != NULL && store_query_receipts(ui->store,
	    ui->room_id, "m.read", &ms->rcpt_users, &ms->rcpt_events,
	    &ms->nrcpt, &err) == -1)
		log_warn("ui", "receipts: %s", err.msg);
	for (i = 0; i < ms->nev; i++)
		real += ms->ev[i].event_id != NULL;
	ms->beginning = ms->nev > 0 && real < ms->want &&
	    ms->ev[0].type != NULL &&
	    strcmp(ms->ev[0].type, "m.room.create") == 0;
	if (conv_thread(ui) != NULL)
		ms->beginning = 1;
	pane_messages_render(ui);
	/* Scrolled up: new lines at the bottom must not move the view. */
	if (ms->scroll > 0 && !was_loading && ms->nlines > old_lines &&
	    old_lines > 0)
		ms->scroll += (int)(ms->nlines - old_lines);
	if (was_loading && ms->nlines != old_lines)
		ms->loading = 0;
	if (ms->beginning)
		ms->loading = 0;
	if (ms->scroll > pane_messages_max_scroll(ui))
		ms->scroll = pane_messages_max_scroll(ui);
	if (ms->scroll == 0 && ms->nev > 0 && ui->room_id != NULL)
		ui_mark_read(ui, ui->room_id, ms->ev[ms->nev - 1].ts);
	/*
	 * A page shorter than the pane (a room the first start listed with
	 * its newest event only): fetch what lies above, as scrolling would.
	 */
	if (ui->room_id != NULL && conv_thread(ui) == NULL &&
	    !ms->beginning && !ms->loading && ms->nlines + 1 <
	    (size_t)(p->r.h > 0 ? p->r.h : 0))
		pane_messages_top(ui);
}

/* A formatted_body's text attributes over the span's own (render.h). */
static attr_t
pane_messages_flags(struct ui *ui, const struct render_span *s, attr_t a)
{
	struct theme	*t = &ui->theme;

	if (s->flags & RF_CODE)
		a = (a & ~A_COLOR) | t->role[TH_CODE];
	if ((s->flags & RF_COLOR) && t->colors != 0 && s->attr != RA_LINK &&
	    s->attr != RA_MENTION && s->attr != RA_SENDER)
		a = (a & ~A_COLOR) | theme_rgb(t, s->color);
	if (s->flags & RF_BOLD)
		a |= A_BOLD;
	if (s->flags & RF_ITALIC)
		a |= t->italic;
	if (s->flags & RF_UNDERLINE)
		a |= A_UNDERLINE;
	if (s->flags & RF_STRIKE)	/* curses has no strikethrough */
		a |= A_DIM;
	return a;
}

static attr_t
pane_messages_attr(struct ui *ui, const struct render_span *s)
{
	const struct theme	*t = &ui->theme;

	if (s->flags != 0)
		return pane_messages_flags(ui, s,
		    pane_messages_attr(ui, &(struct render_span){ .attr =
		    s->attr, .color = s->color }));
	switch (s->attr) {
	case RA_DIM:
	case RA_PENDING:
	case RA_DAYSEP:
	case RA_NOTICE:
	case RA_QUOTE:
	case RA_REACTION:
		return t->role[TH_DIM];
	case RA_SENDER:
		return theme_sender(t, s->color);
	case RA_MENTION:
		return t->role[TH_MENTION];
	case RA_LINK:
		return t->role[TH_LINK];
	case RA_FAILED:
	case RA_UNREAD:
		return t->role[TH_ERROR];
	case RA_DELETED:
	case RA_E2E:
		return t->role[TH_DIM] | A_ITALIC;
	case RA_EMOTE:
		return A_ITALIC;
	case RA_REACTION_MINE:
	case RA_THREAD:
	case RA_LOCK:
		return t->role[TH_ACCENT];
	case RA_LOCK_WARN:
		return t->role[TH_ERROR] | A_BOLD;
	case RA_LOCK_GREY:
		return t->role[TH_DIM];
	case RA_LOCK_PLAIN:
		break;
	case RA_TEXT:
		break;
	}
	return t->role[TH_TEXT];
}

/*
 * Draw one render line: its spans in their attributes, gaps as text; its
 * links noted for osc8.c where the line will show (row shown).
 */
static void
pane_messages_line(struct ui *ui, WINDOW *w, int y, int shown,
    const struct render_line *l)
{
	size_t	 off = 0, i, len = strlen(l->text);
	int	 pair;

	wmove(w, y, 0);
	for (i = 0; i <= l->nspans; i++) {
		size_t	 start = i < l->nspans ? l->spans[i].off : len;

		if (start > len)
			start = len;
		if (start > off) {
			wattrset(w, (int)ui->theme.role[TH_TEXT]);
			ui_addtext(w, l->text + off, start - off);
			off = start;
		}
		if (i == l->nspans)
			break;
		if (l->spans[i].off < off)
			continue;	/* overlapping span: skip */
		if (l->spans[i].flags & RF_IMAGE) {
			/* A preview's cells: the pair may be past 255. */
			pair = theme_image(&ui->theme, l->spans[i].color,
			    l->spans[i].bg);
			wattr_set(w, A_NORMAL, (short)(pair < 256 ? pair : 0),
			    &pair);
		} else
			wattrset(w, (int)pane_messages_attr(ui,
			    &l->spans[i]));
		start = l->spans[i].off + l->spans[i].len;
		if (start > len)
			start = len;
		if (l->spans[i].url != NULL)
			osc8_add(ui, w, shown, getcurx(w), l->text + off,
			    start - off, l->spans[i].url, l->event_id !=
			    NULL ? l->event_id : l->txn_id, l->spans[i].link);
		ui_addtext(w, l->text + off, start - off);
		off = start;
	}
	wattrset(w, A_NORMAL);
}

static int
pane_messages_is_sel(struct ui *ui, const struct render_line *l)
{
	struct msgs_state	*ms = pane_messages_state(ui);

	return ms->sel && ms->sel_id != NULL && l->event_id != NULL &&
	    strcmp(l->event_id, ms->sel_id) == 0;
}

/* The invite card shown instead of a timeline. */
static int
pane_messages_invite(struct pane *p)
{
	struct ui		*ui = p->ui;
	const struct ui_chan	*c;
	char			*line;
	int			 y = p->r.h / 3;

	c = pane_channels_find(ui, ui->room_id);
	if (c == NULL || c->kind != UI_CHAN_INVITE)
		return 0;
	line = xasprintf("%s invited you to %s%s", c->inviter != NULL ?
	    c->inviter : "Someone", c->dm ? "a conversation with " : "",
	    c->name);
	ui_put_clean(p->win, y, 2, p->r.w - 4, line, A_BOLD);
	free(line);
	if (c->with != NULL) {
		line = xasprintf("and its channels %s", c->with);
		ui_put_clean(p->win, ++y, 2, p->r.w - 4, line, A_BOLD);
		free(line);
	}
	ui_put_clean(p->win, y + 2, 2, p->r.w - 4, c->with != NULL ?
	    "Alt+a or /accept to join them all, Alt+d or /decline to refuse" :
	    "Alt+a or /accept to join, Alt+d or /decline to refuse",
	    ui->theme.role[TH_DIM]);
	return 1;
}

/*
 * No room selected: pick one; or, before the first sync, wait; or, on an
 * account with nothing in it yet, how to begin.
 */
static void
pane_messages_empty(struct pane *p)
{
	static const char *const	 begin[] = {
		"Nothing here yet. To begin:",
		"",
		"  /server create NAME      make a server of your own",
		"  /join CODE | #room:hs    join a server or a room",
		"  /dm @user:hs             start a conversation",
		"  /explore [TERM]          find public servers",
		"",
		"Invitations appear in the rail, on the left, as they come."
	};
	struct ui			*ui = p->ui;
	struct client_status		 st;
	int				 y, i;

	y = p->r.h / 3;
	if (pane_rail_count(ui) > 1 || pane_channels_first(ui) != NULL) {
		ui_put_clean(p->win, y, 2, p->r.w - 4,
		    "Select a channel (Alt+Up/Down, Ctrl+K)",
		    ui->theme.role[TH_DIM]);
		return;
	}
	client_get_status(ui->ctx.client, &st);
	if (st.syncs == 0) {
		ui_put_clean(p->win, y, 2, p->r.w - 4,
		    "Nothing here yet: waiting for the first sync...",
		    ui->theme.role[TH_DIM]);
		return;
	}
	if (y + (int)nitems(begin) > p->r.h)
		y = 0;
	for (i = 0; i < (int)nitems(begin) && y + i < p->r.h; i++)
		ui_put_clean(p->win, y + i, 2, p->r.w - 4, begin[i],
		    i == 0 ? A_BOLD : ui->theme.role[TH_DIM]);
}

/*
 * If line idx, drawn at pane line y, is the top of a preview wholly in
 * the pane, graphics.c is told its rectangle (kitty and sixel).
 */
static void
pane_messages_image(struct ui *ui, int idx, int y, int h)
{
	struct msgs_state	*ms = pane_messages_state(ui);
	int			 x, rows;

	if (!render_image_top(ms->lines, ms->nlines, (size_t)idx, &x, &rows) ||
	    !graphics_seq_visible(y, rows, h))
		return;
	graphics_add(ui, thumbs_preview(ui, ms->lines[idx].event_id), y, x,
	    rows,
	    pane_messages_is_sel(ui, &ms->lines[idx]));
}

static void
pane_messages_draw(struct pane *p)
{
	struct ui		*ui = p->ui;
	struct msgs_state	*ms = pane_messages_state(ui);
	int			 h = p->r.h, total, first, y, idx, shift;
	const char		*hdr;

	werase(p->win);
	osc8_begin(ui);
	graphics_frame(ui);
	if (overlay_open(ui)) {
		overlay_draw(ui, p->win, h, p->r.w);
		return;
	}
	if (ui->room_id == NULL) {
		pane_messages_empty(p);
		return;
	}
	if (pane_messages_invite(p))
		return;
	if (ms->nlines == 0) {
		ui_put_clean(p->win, h - 1, 1, p->r.w - 1,
		    "No messages yet. Say hello!", ui->theme.role[TH_DIM]);
		return;
	}
	total = (int)ms->nlines + pane_messages_extra(ui);
	thumbs_frame(ui);
	first = total - h - ms->scroll;
	if (first < 0)
		first = 0;
	/* A short page is moved down to the bottom (below). */
	shift = total < h ? h - total : 0;
	for (y = 0; y < h && first + y < total; y++) {
		idx = first + y - pane_messages_extra(ui);
		if (idx < 0) {
			hdr = ms->loading ?
			    "--- loading older messages... ---" :
			    conv_thread(ui) != NULL ? "--- thread ---" :
			    "--- beginning of the conversation ---";
			ui_put_clean(p->win, y, 1, p->r.w - 1, hdr,
			    ui->theme.role[TH_DIM]);
			continue;
		}
		/* A short page moves down to the bottom (below). */
		pane_messages_line(ui, p->win, y, total < h ? y + h - total :
		    y, &ms->lines[idx]);
		thumbs_seen(ui, ms->lines[idx].event_id);
		pane_messages_image(ui, idx, y + shift, h);
		if (pane_messages_is_sel(ui, &ms->lines[idx]))
			mvwchgat(p->win, y, 0, -1, A_REVERSE, 0, NULL);
	}
	/* A short page sits at the bottom, as chat clients do. */
	if (total < h) {
		wmove(p->win, 0, 0);
		winsdelln(p->win, h - total);
	}
	thumbs_pump(ui);
	conv_draw(ui, p->win, h, p->r.w);
}

/* At the top of what the store has: page in more, or backfill. */
static void
pane_messages_top(struct ui *ui)
{
	struct msgs_state	*ms = pane_messages_state(ui);
	struct haos_error	 err;
	struct gap_row		*g = NULL;
	size_t			 ng = 0, i, real = 0;

	/* A backfill that failed (or never answered) may be retried. */
	if (ms->loading && client_now_ms() - ms->loading_at < 10000)
		return;
	if (ui->room_id == NULL || ms->beginning)
		return;
	for (i = 0; i < ms->nev; i++)
		real += ms->ev[i].event_id != NULL;
	if (real >= ms->want) {
		ms->want += MESSAGES_PAGE;
		ui->messages.stale = 1;
		return;
	}
	if (store_query_gaps(ui->store, ui->room_id, &g, &ng, &err) == -1) {
		log_warn("ui", "gaps: %s", err.msg);
		return;
	}
	gap_rows_free(g, ng);
	if (ng == 0) {
		ms->beginning = 1;
		return;
	}
	client_backfill(ui->ctx.client, ui->room_id);
	ms->loading = 1;
	ms->loading_at = client_now_ms();
	ms->want += MESSAGES_PAGE;
}

/* scroll up|down|top|bottom. */
int
pane_messages_scroll(struct ui *ui, enum ui_action how)
{
	struct msgs_state	*ms = pane_messages_state(ui);
	int			 page;

	page = ui->messages.r.h > 2 ? ui->messages.r.h - 2 : 1;
	if (overlay_open(ui)) {
		overlay_scroll(ui, how);
		return 0;
	}
	switch (how) {
	case UI_ACT_SCROLL_UP:
		ms->scroll += page;
		break;
	case UI_ACT_SCROLL_DOWN:
		ms->scroll -= page;
		break;
	case UI_ACT_SCROLL_TOP:
		ms->scroll = pane_messages_max_scroll(ui);
		break;
	case UI_ACT_SCROLL_BOTTOM:
		ms->scroll = 0;
		break;
	default:
		return -1;
	}
	if (ms->scroll >= pane_messages_max_scroll(ui)) {
		ms->scroll = pane_messages_max_scroll(ui);
		if (how == UI_ACT_SCROLL_UP || how == UI_ACT_SCROLL_TOP)
			pane_messages_top(ui);
	}
	if (ms->scroll < 0)
		ms->scroll = 0;
	if (ms->scroll == 0 && ms->nev > 0 && ui->room_id != NULL)
		ui_mark_read(ui, ui->room_id, ms->ev[ms->nev - 1].ts);
	ui->messages.dirty = 1;
	return 0;
}

/* The line index of the first line of the selected event, or -1. */
static int
pane_messages_sel_line(struct ui *ui)
{
	struct msgs_state	*ms = pane_messages_state(ui);
	size_t			 i;

	for (i = 0; i < ms->nlines; i++) {
		if (pane_messages_is_sel(ui, &ms->lines[i]))
			return (int)i;
	}
	return -1;
}

/* Keep the selected message on screen. */
static void
pane_messages_show_sel(struct ui *ui)
{
	struct msgs_state	*ms = pane_messages_state(ui);
	int			 line, h = ui->messages.r.h, first, total;

	line = pane_messages_sel_line(ui);
	total = (int)ms->nlines + pane_messages_extra(ui);

	if (line < 0)
		return;
	line += pane_messages_extra(ui);
	first = total - h - ms->scroll;
	if (line < first)
		ms->scroll += first - line;
	else if (line >= first + h)
		ms->scroll -= line - (first + h) + 1;
	if (ms->scroll < 0)
		ms->scroll = 0;
}

/* select-message [up|down|exit]: start on the newest, move, leave. */
int
pane_messages_select(struct ui *ui, enum ui_action how)
{
	struct msgs_state	*ms = pane_messages_state(ui);
	int			 i, dir;

	if (how != UI_ACT_SELECT_MESSAGE_EXIT) {
		if (!ms->sel || ms->sel_id == NULL) {
			for (i = (int)ms->nlines - 1; i >= 0; i--) {
				if (ms->lines[i].event_id != NULL)
					break;
			}
			if (i < 0) {
				ui_message(ui, 1, "no message to select");
				return -1;
			}
			ms->sel = 1;
			free(ms->sel_id);
			ms->sel_id = xstrdup(ms->lines[i].event_id);
			ms->scroll = 0;
		} else if (how != UI_ACT_SELECT_MESSAGE) {
			dir = how == UI_ACT_SELECT_MESSAGE_UP ? -1 : 1;
			i = pane_messages_sel_line(ui);
			for (i += dir; i >= 0 && i < (int)ms->nlines;
			    i += dir) {
				if (ms->lines[i].event_id != NULL &&
				    strcmp(ms->lines[i].event_id,
				    ms->sel_id) != 0)
					break;
			}
			if (i < 0) {
				pane_messages_scroll(ui, UI_ACT_SCROLL_UP);
				return 0;
			}
			if (i >= (int)ms->nlines) {
				ms->sel = 0;	/* past the newest: back out */
				xfree(ms->sel_id);
			} else {
				free(ms->sel_id);
				ms->sel_id = xstrdup(ms->lines[i].event_id);
			}
		}
		pane_messages_show_sel(ui);
	} else {
		ms->sel = 0;
		xfree(ms->sel_id);
	}
	ui->messages.dirty = 1;
	ui->status.dirty = 1;
	return 0;
}

/* The selected event of the page, or NULL. */
const struct event_row *
pane_messages_selected_event(struct ui *ui)
{
	struct msgs_state	*ms = pane_messages_state(ui);
	size_t			 i;

	if (!ms->sel || ms->sel_id == NULL)
		return NULL;
	for (i = 0; i < ms->nev; i++) {
		if ((ms->ev[i].event_id != NULL &&
		    strcmp(ms->ev[i].event_id, ms->sel_id) == 0) ||
		    (ms->ev[i].txn_id != NULL &&
		    strcmp(ms->ev[i].txn_id, ms->sel_id) == 0))
			return &ms->ev[i];
	}
	return NULL;
}

/* Copy text to the terminal's clipboard with OSC 52 (works over SSH). */
static void
pane_messages_osc52(const char *text)
{
	static const char	 b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char	*s = (const unsigned char *)text;
	size_t			 n = strlen(text), i;
	unsigned int		 v;

	fputs("\033]52;c;", stdout);
	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned int)s[i] << 16 | (unsigned int)s[i + 1] << 8 |
		    s[i + 2];
		putchar(b64[v >> 18 & 63]);
		putchar(b64[v >> 12 & 63]);
		putchar(b64[v >> 6 & 63]);
		putchar(b64[v & 63]);
	}
	if (n - i == 1) {
		v = (unsigned int)s[i] << 16;
		printf("%c%c==", b64[v >> 18 & 63], b64[v >> 12 & 63]);
	} else if (n - i == 2) {
		v = (unsigned int)s[i] << 16 | (unsigned int)s[i + 1] << 8;
		printf("%c%c%c=", b64[v >> 18 & 63], b64[v >> 12 & 63],
		    b64[v >> 6 & 63]);
	}
	fputs("\a", stdout);
	fflush(stdout);
}

/* The first http(s) URL in body, or NULL; the caller frees. */
static char *
pane_messages_url(const char *body)
{
	const char	*p, *h = strstr(body, "http://");

	p = strstr(body, "https://");
	if (p == NULL || (h != NULL && h < p))
		p = h;
	if (p == NULL)
		return NULL;
	return xstrndup(p, render_url_len(p, strlen(p)));
}

/* message copy|open|details|...: act on the selected message. */
int
pane_messages_action(struct ui *ui, enum ui_action action)
{
	const struct event_row	*e = pane_messages_selected_event(ui);
	json_t			*c;
	const char		*body;
	char			*lines[11], *url, *clean, date[64];
	char			**links = NULL;
	const char		**seen;
	struct render_opts	 ro;
	struct msgs_state	*ms = pane_messages_state(ui);
	size_t			 nseen;
	size_t			 n = 0, i, nlinks = 0;

	if (e == NULL) {
		ui_message(ui, 1, "select a message first (Alt+s)");
		return -1;
	}
	c = json_loads(e->content != NULL ? e->content : "{}", 0, NULL);
	body = json_get_str(c, "body", "");
	if (action == UI_ACT_MESSAGE_COPY) {
		/* What is drawn is what is copied: never raw sequences. */
		clean = sanitize_text(body, (size_t)-1, SANITIZE_NEWLINES);
		pane_messages_osc52(clean);
		ui_message(ui, 0, "copied %zu bytes to the clipboard",
		    strlen(clean));
		free(clean);
	} else if (action == UI_ACT_MESSAGE_OPEN &&
	    cmd_download_is_file(e->content)) {
		/* An attachment: downloaded, then opened or its path said. */
		cmd_download(&ui->ctx, e, 1);
	} else if (action == UI_ACT_MESSAGE_OPEN) {
		/* The first link: an <a href> of the HTML, else the body's. */
		nlinks = render_links(c, &links);
		if (nlinks > 0)
			url = xstrdup(links[0]);
		else {
			clean = sanitize_text(body, (size_t)-1, 0);
			url = pane_messages_url(clean);
			free(clean);
		}
		if (url == NULL)
			ui_message(ui, 1, "no link in this message");
		else {
			pane_messages_osc52(url);
			ui_message(ui, 0, "link copied: %s%s", url, nlinks > 1 ?
			    " (the first of its links)" : "");
		}
		free(url);
		for (i = 0; i < nlinks; i++)
			free(links[i]);
		free(links);
	} else if (action == UI_ACT_MESSAGE_DETAILS) {
		lines[n++] = xasprintf("sender:   %s", e->sender != NULL ?
		    e->sender : "");
		lines[n++] = xasprintf("event id: %s", e->event_id != NULL ?
		    e->event_id : "(not sent yet)");
		lines[n++] = xasprintf("type:     %s", e->type != NULL ?
		    e->type : "");
		render_date(e->ts, date, sizeof date);
		lines[n++] = xasprintf("time:     %s", date);
		lines[n++] = xasprintf("state:    %s", e->echo == OUTBOX_NONE ?
		    "on the server" : outbox_state_name(e->echo));
		if (e->edited_by != NULL)
			lines[n++] = xasprintf("edited:   %s", e->edited_by);
		if (e->e2e == E2E_DECRYPTED)
			lines[n++] = xasprintf("encryption: %s%s%s%s",
			    render_lock_text(e->trust), e->e2e_device != NULL ?
			    " (device " : "", e->e2e_device != NULL ?
			    e->e2e_device : "", e->e2e_device != NULL ? ")" :
			    "");
		/* Who has read up to it or past it (others' receipts). */
		memset(&ro, 0, sizeof ro);
		ro.me = ui->me;
		ro.name_of = ui_name_of;
		ro.name_arg = ui;
		ro.rcpt_users = (const char *const *)ms->rcpt_users;
		ro.rcpt_events = (const char *const *)ms->rcpt_events;
		ro.nrcpt = ms->nrcpt;
		seen = xcalloc(ms->nrcpt + 1, sizeof *seen);
		nseen = render_seen_by(ms->ev, ms->nev, (size_t)(e - ms->ev),
		    &ro, seen);
		if (nseen > 0) {
			clean = render_seen_text(&ro, seen, nseen);
			lines[n++] = xasprintf("seen by:  %s", clean + 8);
			free(clean);
		}
		free(seen);
		lines[n++] = xasprintf("body:     %s", body);
		overlay_show(ui, "Message details", lines, n);
		for (i = 0; i < n; i++)
			free(lines[i]);
	} else
		conv_action(ui, action, e);
	json_decref(c);
	return 0;
}

/* The page of events shown, oldest first; valid until the next refresh. */
const struct event_row *
pane_messages_events(struct ui *ui, size_t *n)
{
	struct msgs_state	*ms = pane_messages_state(ui);

	*n = ms->nev;
	return ms->ev;
}

/* The id (or txn id) of the selected message; NULL when none is. */
const char *
pane_messages_selected_id(struct ui *ui)
{
	struct msgs_state	*ms = pane_messages_state(ui);

	return ms->sel ? ms->sel_id : NULL;
}

/* Whether a backfill is under way (the loop ticks each second). */
int
pane_messages_loading(struct ui *ui)
{
	return pane_messages_state(ui)->loading;
}

/* Show the newest message (after a send). */
void
pane_messages_follow(struct ui *ui)
{
	pane_messages_state(ui)->scroll = 0;
	ui->messages.dirty = 1;
}

/*
 * Render the page again without reading the store: the width changed or
 * the clock moved ("Today", day separators).
 */
void
pane_messages_rewrap(struct ui *ui)
{
	if (ui->messages.stale)
		return;		/* refresh() renders anyway */
	pane_messages_render(ui);
	if (pane_messages_state(ui)->scroll > pane_messages_max_scroll(ui))
		pane_messages_state(ui)->scroll =
		    pane_messages_max_scroll(ui);
	ui->messages.dirty = 1;
}

const struct pane_ops pane_messages_ops = {
	.draw = pane_messages_draw,
	.key = NULL,
	.refresh = pane_messages_refresh
};
