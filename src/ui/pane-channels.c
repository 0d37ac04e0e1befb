/* The channel list of the selected server, or DMs and plain rooms. */
#include "curses.h"
#include "ui-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/log.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/* A list of rows; the pane's own data (struct chanlist_state) is one. */
struct pane_channels_list {
	struct ui_chan	*c;
	size_t		 n;
};

/* The pane's own data, opaque outside this file. */
struct chanlist_state {
	struct pane_channels_list	 l;	/* headings, rooms, invites */
};

/* The pane's state, made on first use. */
static struct pane_channels_list *
pane_channels_state(struct ui *ui)
{
	if (ui->chanlist_st == NULL)
		ui->chanlist_st = xcalloc(1, sizeof *ui->chanlist_st);
	return &ui->chanlist_st->l;
}

static struct ui_chan *
pane_channels_add(struct pane_channels_list *l, enum ui_chan_kind kind,
    const char *id, const char *clean_name)
{
	struct ui_chan	*c;

	l->c = xrealloc(l->c, (l->n + 1) * sizeof *l->c);
	c = &l->c[l->n++];
	memset(c, 0, sizeof *c);
	c->kind = kind;
	c->id = id != NULL ? xstrdup(id) : NULL;
	c->name = xstrdup(clean_name);
	return c;
}

static void
pane_channels_free_list(struct ui_chan *c, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(c[i].id);
		free(c[i].name);
		free(c[i].inviter);
		free(c[i].with);
	}
	free(c);
}

/* Free the pane's state. */
void
pane_channels_free(struct ui *ui)
{
	if (ui->chanlist_st == NULL)
		return;
	pane_channels_free_list(ui->chanlist_st->l.c, ui->chanlist_st->l.n);
	free(ui->chanlist_st);
	ui->chanlist_st = NULL;
}

/* A member's name in room: display name, else the user id. */
static char *
pane_channels_member(struct ui *ui, const char *room_id, const char *user,
    int inviter)
{
	struct haos_error	 err;
	struct member_row	*m = NULL;
	size_t			 n = 0, i;
	char			*name = NULL;

	if (store_query_members(ui->store, room_id, &m, &n, &err) == -1)
		return NULL;
	for (i = 0; i < n && name == NULL; i++) {
		if (inviter) {
			if (strcmp(m[i].user_id, ui->me) == 0 ||
			    m[i].membership == NULL ||
			    strcmp(m[i].membership, "join") != 0)
				continue;
		} else if (user == NULL || strcmp(m[i].user_id, user) != 0)
			continue;
		name = ui_clean(m[i].displayname != NULL ? m[i].displayname :
		    m[i].user_id);
	}
	member_rows_free(m, n);
	return name;
}

/* The label of a room row: its name, or the DM peer's name. */
static char *
pane_channels_label(struct ui *ui, const struct room_row *r)
{
	char	*n;

	if (r->name != NULL)
		return ui_clean(r->name);
	if (r->direct_user != NULL) {
		n = pane_channels_member(ui, r->room_id, r->direct_user, 0);
		return n != NULL ? n : ui_clean(r->direct_user);
	}
	if (r->canonical_alias != NULL)
		return ui_clean(r->canonical_alias);
	return ui_clean(r->room_id);
}

static void
pane_channels_room(struct ui *ui, struct pane_channels_list *l,
    const struct room_row *r)
{
	struct ui_chan	*c;
	char		*label;

	label = pane_channels_label(ui, r);
	c = pane_channels_add(l, r->join == ROOM_INVITE ? UI_CHAN_INVITE :
	    UI_CHAN_ROOM, r->room_id, label);
	free(label);
	c->type = r->channel;
	c->dm = r->is_direct;
	if (c->kind == UI_CHAN_INVITE)
		c->inviter = pane_channels_member(ui, r->room_id, NULL, 1);
	else
		c->unread = readstate_counts(ui, r, &c->mentions);
}

/* Add a heading and the rooms of rows that pass keep(). */
static void
pane_channels_group(struct ui *ui, struct pane_channels_list *l,
    const char *heading, const struct room_row *rows, size_t n,
    int (*keep)(const struct room_row *))
{
	size_t	 i;
	int	 any = 0;

	for (i = 0; i < n; i++) {
		if (!keep(&rows[i]))
			continue;
		if (!any++)
			pane_channels_add(l, UI_CHAN_HEADING, NULL, heading);
		pane_channels_room(ui, l, &rows[i]);
	}
}

static int
pane_channels_is_invite(const struct room_row *r)
{
	return r->join == ROOM_INVITE;
}

static int
pane_channels_is_joined(const struct room_row *r)
{
	return r->join == ROOM_JOIN && !r->is_space;
}

static int
pane_channels_is_text(const struct room_row *r)
{
	return pane_channels_is_joined(r) && r->channel != CHANNEL_AUDIO &&
	    r->channel != CHANNEL_VIDEO;
}

static int
pane_channels_is_voice(const struct room_row *r)
{
	return pane_channels_is_joined(r) && (r->channel == CHANNEL_AUDIO ||
	    r->channel == CHANNEL_VIDEO);
}

/*
 * A server invite is one entry: the space, and under it the channel
 * invites of that server (store_query_rooms() folds them in), which
 * /accept and /decline take along.
 */
static void
pane_channels_server_invite(struct ui *ui, struct pane_channels_list *l,
    const struct room_row *space)
{
	struct haos_error	 err;
	struct room_row		*ch = NULL;
	struct ui_chan		*c;
	size_t			 nch = 0, i, inv;
	char			*label, *row, *with;

	pane_channels_add(l, UI_CHAN_HEADING, NULL, "INVITE");
	pane_channels_room(ui, l, space);
	inv = l->n - 1;
	if (store_query_rooms(ui->store, STORE_ROOMS_CHANNELS, space->room_id,
	    &ch, &nch, &err) == -1) {
		log_warn("ui", "channels: %s", err.msg);
		return;
	}
	for (i = 0; i < nch; i++) {
		if (ch[i].join != ROOM_INVITE || ch[i].is_space)
			continue;
		if (l->c[inv].with == NULL)
			pane_channels_add(l, UI_CHAN_HEADING, NULL,
			    "WITH CHANNELS");
		label = pane_channels_label(ui, &ch[i]);
		row = xasprintf("  # %s", label);
		pane_channels_add(l, UI_CHAN_HEADING, NULL, row);
		free(row);
		c = &l->c[inv];
		with = c->with == NULL ? xasprintf("#%s", label) :
		    xasprintf("%s, #%s", c->with, label);
		free(c->with);
		c->with = with;
		free(label);
	}
	room_rows_free(ch, nch);
}

/* Re-read the list for the selected server (NULL: DMs and rooms). */
void
pane_channels_load(struct ui *ui)
{
	struct haos_error		 err;
	struct pane_channels_list	 l = { NULL, 0 }, *cl;
	struct room_row			*a = NULL, *b = NULL, r;
	size_t				 na = 0, nb = 0, i;
	struct ui_chan			*c;

	if (ui->server_id == NULL) {
		if (store_query_rooms(ui->store, STORE_ROOMS_DIRECT, NULL, &a,
		    &na, &err) == -1 || store_query_rooms(ui->store,
		    STORE_ROOMS_OTHER, NULL, &b, &nb, &err) == -1) {
			log_warn("ui", "channels: %s", err.msg);
			goto out;
		}
		pane_channels_group(ui, &l, "INVITES", a, na,
		    pane_channels_is_invite);
		pane_channels_group(ui, &l, "INVITES", b, nb,
		    pane_channels_is_invite);
		pane_channels_group(ui, &l, "DIRECT MESSAGES", a, na,
		    pane_channels_is_joined);
		pane_channels_group(ui, &l, "ROOMS", b, nb,
		    pane_channels_is_joined);
	} else if (store_query_room(ui->store, ui->server_id, &r,
	    &err) == 1 && r.join == ROOM_INVITE) {
		pane_channels_server_invite(ui, &l, &r);
		room_row_free(&r);
	} else {
		if (r.room_id != NULL)
			room_row_free(&r);
		if (store_query_rooms(ui->store, STORE_ROOMS_CHANNELS,
		    ui->server_id, &a, &na, &err) == -1) {
			log_warn("ui", "channels: %s", err.msg);
			goto out;
		}
		pane_channels_group(ui, &l, "INVITES", a, na,
		    pane_channels_is_invite);
		pane_channels_group(ui, &l, "TEXT CHANNELS", a, na,
		    pane_channels_is_text);
		pane_channels_group(ui, &l, "VOICE CHANNELS", a, na,
		    pane_channels_is_voice);
	}
	/* Two INVITES groups (DMs, rooms) merge into one heading. */
	for (i = 1; i < l.n; i++) {
		c = &l.c[i];
		if (c->kind == UI_CHAN_HEADING && l.c[i - 1].kind ==
		    UI_CHAN_INVITE && strcmp(c->name, "INVITES") == 0) {
			free(c->name);
			memmove(c, c + 1, (l.n - i - 1) * sizeof *c);
			l.n--;
		}
	}
	cl = pane_channels_state(ui);
	pane_channels_free_list(cl->c, cl->n);
	*cl = l;
out:
	room_rows_free(a, na);
	room_rows_free(b, nb);
}

/* The row of room id in the list, or NULL. */
const struct ui_chan *
pane_channels_find(struct ui *ui, const char *id)
{
	struct pane_channels_list	*cl = pane_channels_state(ui);
	size_t				 i;

	for (i = 0; id != NULL && i < cl->n; i++) {
		if (cl->c[i].id != NULL && strcmp(cl->c[i].id, id) == 0)
			return &cl->c[i];
	}
	return NULL;
}

static int
pane_channels_index(struct ui *ui)
{
	struct pane_channels_list	*cl = pane_channels_state(ui);
	size_t				 i;

	for (i = 0; ui->room_id != NULL && i < cl->n; i++) {
		if (cl->c[i].id != NULL &&
		    strcmp(cl->c[i].id, ui->room_id) == 0)
			return (int)i;
	}
	return -1;
}

/* Select the next (delta 1) or previous (-1) room row; 0 if none. */
int
pane_channels_move(struct ui *ui, int delta)
{
	struct pane_channels_list	*cl = pane_channels_state(ui);
	int				 i, n = (int)cl->n, k;

	if (n == 0)
		return 0;
	i = pane_channels_index(ui);
	if (i == -1)
		i = delta > 0 ? -1 : n;
	for (k = 0; k < n; k++) {
		i = ((i + delta) % n + n) % n;
		if (cl->c[i].kind != UI_CHAN_HEADING) {
			ui_select_room(ui, cl->c[i].id);
			return 1;
		}
	}
	return 0;
}

static const char *
pane_channels_marker(const struct theme *t, const struct ui_chan *c)
{
	if (c->kind == UI_CHAN_INVITE)
		return "+";
	if (c->dm)
		return "@";
	switch (c->type) {
	case CHANNEL_AUDIO:
		return t->ascii ? "~" : "\xf0\x9f\x94\x8a";
	case CHANNEL_VIDEO:
		return t->ascii ? "%" : "\xf0\x9f\x8e\xa5";
	default:
		return "#";
	}
}

/* First row to draw so that the selected row is visible. */
static int
pane_channels_top(struct pane *p)
{
	int	 sel = pane_channels_index(p->ui);

	if (sel < p->r.h)
		return 0;
	return sel - p->r.h + 1;
}

static void
pane_channels_draw(struct pane *p)
{
	struct ui			*ui = p->ui;
	struct pane_channels_list	*cl = pane_channels_state(ui);
	const struct theme		*t = &ui->theme;
	const struct ui_chan		*c;
	int				 y, i, w = p->r.w - 1, x, sel;
	attr_t				 a;
	char				 num[32];

	werase(p->win);
	sel = pane_channels_index(ui);
	i = pane_channels_top(p);
	for (y = 0; y < p->r.h && i < (int)cl->n; y++, i++) {
		c = &cl->c[i];
		if (c->kind == UI_CHAN_HEADING) {
			ui_put_clean(p->win, y, 0, w, c->name,
			    t->role[TH_HEADING]);
			continue;
		}
		a = i == sel ? t->role[TH_SELECTED] : c->unread ?
		    t->role[TH_UNREAD] : c->kind == UI_CHAN_INVITE ?
		    t->role[TH_MENTION] : t->role[TH_TEXT];
		if (i == sel)
			mvwchgat(p->win, y, 0, w, t->role[TH_SELECTED], 0,
			    NULL);
		x = 1;
		x += ui_put_clean(p->win, y, x, 2, pane_channels_marker(t, c),
		    i == sel ? a : t->role[TH_DIM]);
		x++;
		num[0] = '\0';
		if (c->mentions > 0)
			snprintf(num, sizeof num, " %lld",
			    (long long)c->mentions);
		x += ui_put_clean(p->win, y, x, w - x - (int)strlen(num) - 1,
		    c->name, a);
		if (c->kind == UI_CHAN_INVITE && c->inviter != NULL &&
		    w - x > 6) {
			x += ui_put_clean(p->win, y, x, 6, " from ",
			    t->role[TH_DIM]);
			ui_put_clean(p->win, y, x, w - x, c->inviter,
			    t->role[TH_DIM]);
		}
		if (num[0] != '\0')
			ui_put_clean(p->win, y, w - (int)strlen(num), (int)
			    strlen(num), num, t->role[TH_MENTION]);
	}
	ui_border_right(p);
}

/* Select the room drawn at row y; 1 if one was hit. */
int
pane_channels_click(struct ui *ui, int y)
{
	struct pane_channels_list	*cl = pane_channels_state(ui);
	int				 i;

	i = pane_channels_top(&ui->channels) + y;
	if (y < 0 || i >= (int)cl->n ||
	    cl->c[i].kind == UI_CHAN_HEADING)
		return 0;
	ui_select_room(ui, cl->c[i].id);
	return 1;
}

/* The id of the first room (or invite) of the list, or NULL. */
const char *
pane_channels_first(struct ui *ui)
{
	struct pane_channels_list	*cl = pane_channels_state(ui);
	size_t				 i;

	for (i = 0; i < cl->n; i++) {
		if (cl->c[i].kind != UI_CHAN_HEADING)
			return cl->c[i].id;
	}
	return NULL;
}

/*
 * The ids of the rooms the list shows, in an array the caller frees (the
 * ids are the list's, valid until it is read again).
 */
const char **
pane_channels_rooms(struct ui *ui, size_t *n)
{
	struct pane_channels_list	*cl = pane_channels_state(ui);
	const char			**ids;
	size_t				 i;

	ids = xcalloc(cl->n + 1, sizeof *ids);
	*n = 0;
	for (i = 0; i < cl->n; i++) {
		if (cl->c[i].kind != UI_CHAN_HEADING)
			ids[(*n)++] = cl->c[i].id;
	}
	return ids;
}

static void
pane_channels_refresh(struct pane *p)
{
	pane_channels_load(p->ui);
}

const struct pane_ops pane_channels_ops = {
	.draw = pane_channels_draw,
	.key = NULL,
	.refresh = pane_channels_refresh
};
