/* The server rail: invites, Direct Messages, then each server's badge. */
#include "curses.h"
#include "ui-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/log.h"
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/* A rail entry: Direct Messages (id NULL) or a server. */
struct ui_server {
	char		*id;
	char		*name;		/* sanitised */
	char		 badge[16];	/* 2-3 letters, sanitised */
	int		 unread;
	int64_t		 mentions;
	int		 invite;	/* a pending invite to the server */
	char		*inviter;	/* sanitised display name */
};

/* The rail's own data, opaque outside this file. */
struct rail_state {
	struct ui_server	*servers;
	size_t			 n;
};

/* The pane's state, made on first use. */
static struct rail_state *
pane_rail_state(struct ui *ui)
{
	if (ui->rail_st == NULL)
		ui->rail_st = xcalloc(1, sizeof *ui->rail_st);
	return ui->rail_st;
}

/* The display name of whoever invited me to room (invite_state). */
static char *
pane_rail_inviter(struct ui *ui, const char *room_id)
{
	struct haos_error	 err;
	struct member_row	*m = NULL;
	size_t			 n = 0, i;
	char			*who = NULL;

	if (store_query_members(ui->store, room_id, &m, &n, &err) == -1)
		return NULL;
	for (i = 0; i < n && who == NULL; i++) {
		if (strcmp(m[i].user_id, ui->me) == 0 ||
		    m[i].membership == NULL ||
		    strcmp(m[i].membership, "join") != 0)
			continue;
		who = ui_clean(m[i].displayname != NULL ? m[i].displayname :
		    m[i].user_id);
	}
	member_rows_free(m, n);
	return who;
}

static void
pane_rail_clear(struct rail_state *rs)
{
	size_t	 i;

	for (i = 0; i < rs->n; i++) {
		free(rs->servers[i].id);
		free(rs->servers[i].name);
		free(rs->servers[i].inviter);
	}
	free(rs->servers);
	rs->servers = NULL;
	rs->n = 0;
}

/* Free the pane's state. */
void
pane_rail_free(struct ui *ui)
{
	if (ui->rail_st == NULL)
		return;
	pane_rail_clear(ui->rail_st);
	free(ui->rail_st);
	ui->rail_st = NULL;
}

/* The number of rail entries. */
size_t
pane_rail_count(struct ui *ui)
{
	return pane_rail_state(ui)->n;
}

/* The space id of entry i; NULL for Direct Messages or out of range. */
const char *
pane_rail_id(struct ui *ui, size_t i)
{
	struct rail_state	*rs = pane_rail_state(ui);

	return i < rs->n ? rs->servers[i].id : NULL;
}

/* The sanitised name of entry i, or NULL. */
const char *
pane_rail_name(struct ui *ui, size_t i)
{
	struct rail_state	*rs = pane_rail_state(ui);

	return i < rs->n ? rs->servers[i].name : NULL;
}

/* The entry of the selected server (ui->server_id), or -1. */
int
pane_rail_index(struct ui *ui)
{
	struct rail_state	*rs = pane_rail_state(ui);
	size_t			 i;

	for (i = 0; i < rs->n; i++) {
		if ((rs->servers[i].id == NULL && ui->server_id == NULL) ||
		    (rs->servers[i].id != NULL && ui->server_id != NULL &&
		    strcmp(rs->servers[i].id, ui->server_id) == 0))
			return (int)i;
	}
	return -1;
}

/*
 * The entry numbered n, or -1: Direct Messages is 1, the servers follow,
 * and the pending server invites (drawn at the top) are numbered after
 * them, so that an invite arriving renumbers nothing.
 */
int
pane_rail_nth(struct ui *ui, int n)
{
	struct rail_state	*rs = pane_rail_state(ui);
	int			 first = 0, rest;

	while (first < (int)rs->n && rs->servers[first].invite)
		first++;
	rest = (int)rs->n - first;
	if (n < 1 || n > (int)rs->n)
		return -1;
	return n <= rest ? first + n - 1 : n - rest - 1;
}

/* The first server that is not an invite (Direct Messages aside), or -1. */
int
pane_rail_first_server(struct ui *ui)
{
	struct rail_state	*rs = pane_rail_state(ui);
	size_t			 i;

	for (i = 0; i < rs->n; i++) {
		if (rs->servers[i].id != NULL && !rs->servers[i].invite)
			return (int)i;
	}
	return -1;
}

static int
pane_rail_unread(struct ui *ui, const struct room_row *r, int64_t *mentions)
{
	int64_t	 m;
	int	 unread;

	unread = readstate_counts(ui, r, &m);	/* readstate.c */
	*mentions += m;
	return unread;
}

/* Count the unread of the Direct Messages entry: DMs and plain rooms. */
static int
pane_rail_dm_counts(struct ui *ui, struct ui_server *s)
{
	struct haos_error	 err;
	struct room_row		*dm = NULL, *ot = NULL;
	size_t			 ndm = 0, not = 0, j;
	int			 ret = -1;

	if (store_query_rooms(ui->store, STORE_ROOMS_DIRECT, NULL, &dm, &ndm,
	    &err) == -1 || store_query_rooms(ui->store, STORE_ROOMS_OTHER,
	    NULL, &ot, &not, &err) == -1) {
		log_warn("ui", "rail: %s", err.msg);
		goto out;
	}
	s->unread = 0;
	s->mentions = 0;
	for (j = 0; j < ndm; j++) {
		if (dm[j].join == ROOM_INVITE)
			s->unread = 1;
		else
			s->unread |= pane_rail_unread(ui, &dm[j], &s->mentions);
	}
	for (j = 0; j < not; j++)
		s->unread |= ot[j].join == ROOM_INVITE ||
		    pane_rail_unread(ui, &ot[j], &s->mentions);
	ret = 0;
out:
	room_rows_free(dm, ndm);
	room_rows_free(ot, not);
	return ret;
}

/* Count the unread of a joined server's entry from its channels. */
static int
pane_rail_server_counts(struct ui *ui, struct ui_server *s)
{
	struct haos_error	 err;
	struct room_row		*ch;
	size_t			 nch, j;

	if (store_query_rooms(ui->store, STORE_ROOMS_CHANNELS, s->id, &ch,
	    &nch, &err) == -1)
		return -1;
	s->unread = 0;
	s->mentions = 0;
	for (j = 0; j < nch; j++) {
		if (ch[j].join == ROOM_INVITE)
			s->unread = 1;
		else
			s->unread |= pane_rail_unread(ui, &ch[j], &s->mentions);
	}
	room_rows_free(ch, nch);
	return 0;
}

/* Re-read the rail: invited servers, DMs (with plain rooms), servers. */
void
pane_rail_load(struct ui *ui)
{
	struct haos_error	 err;
	struct room_row		*sp = NULL;
	size_t			 nsp = 0, i, n = 0;
	struct ui_server	*s, *arr;
	int			 pass;

	if (store_query_rooms(ui->store, STORE_ROOMS_SPACES, NULL, &sp, &nsp,
	    &err) == -1) {
		log_warn("ui", "rail: %s", err.msg);
		goto out;
	}
	arr = xcalloc(nsp + 1, sizeof *arr);
	/* Pending server invites first, then Direct Messages, then servers. */
	for (pass = 0; pass < 3; pass++) {
		if (pass == 1) {
			s = &arr[n++];
			s->name = xstrdup("Direct Messages");
			snprintf(s->badge, sizeof s->badge, "DM");
			pane_rail_dm_counts(ui, s);
			continue;
		}
		for (i = 0; i < nsp; i++) {
			if ((pass == 0) != (sp[i].join == ROOM_INVITE))
				continue;
			s = &arr[n++];
			s->id = xstrdup(sp[i].room_id);
			s->name = ui_clean(sp[i].name != NULL ? sp[i].name :
			    sp[i].room_id);
			render_badge(s->name, s->badge, sizeof s->badge);
			s->invite = sp[i].join == ROOM_INVITE;
			if (s->invite)
				s->inviter = pane_rail_inviter(ui,
				    sp[i].room_id);
			else
				pane_rail_server_counts(ui, s);
		}
	}
	pane_rail_clear(pane_rail_state(ui));
	pane_rail_state(ui)->servers = arr;
	pane_rail_state(ui)->n = n;
out:
	room_rows_free(sp, nsp);
}

/*
 * Re-read the counts of one entry (server id, NULL: Direct Messages),
 * whose channels changed; an entry not on the rail reads it all.
 */
void
pane_rail_update(struct ui *ui, const char *id)
{
	struct rail_state	*rs = pane_rail_state(ui);
	size_t			 i;

	for (i = 0; i < rs->n; i++) {
		if ((id == NULL) != (rs->servers[i].id == NULL) ||
		    (id != NULL && strcmp(id, rs->servers[i].id) != 0))
			continue;
		if (rs->servers[i].invite)
			break;
		if ((id == NULL ? pane_rail_dm_counts(ui, &rs->servers[i]) :
		    pane_rail_server_counts(ui, &rs->servers[i])) == -1)
			break;
		ui->rail.dirty = 1;
		return;
	}
	ui->rail.stale = 1;
}

/*
 * The server ids on the rail, in an array the caller frees (the ids are
 * the rail's, valid until it is read again).
 */
const char **
pane_rail_servers(struct ui *ui, size_t *n)
{
	struct rail_state	*rs = pane_rail_state(ui);
	const char		**ids;
	size_t			 i;

	ids = xcalloc(rs->n + 1, sizeof *ids);
	*n = 0;
	for (i = 0; i < rs->n; i++) {
		if (rs->servers[i].id != NULL)
			ids[(*n)++] = rs->servers[i].id;
	}
	return ids;
}

static int
pane_rail_selected(struct ui *ui, const struct ui_server *s)
{
	if (s->id == NULL)
		return ui->server_id == NULL;
	return ui->server_id != NULL && strcmp(ui->server_id, s->id) == 0;
}

/* Two rows per server: badge row and a spacer. */
static void
pane_rail_draw(struct pane *p)
{
	struct ui		*ui = p->ui;
	struct rail_state	*rs = pane_rail_state(ui);
	const struct theme	*t = &ui->theme;
	struct ui_server	*s;
	size_t			 i;
	int			 y = 0, bw = p->r.w - 1;
	attr_t			 a;
	char			 num[8];

	werase(p->win);
	for (i = 0; i < rs->n && y < p->r.h; i++, y += 2) {
		s = &rs->servers[i];
		a = pane_rail_selected(ui, s) ? t->role[TH_SELECTED] |
		    A_BOLD : s->unread ? t->role[TH_UNREAD] : t->role[TH_DIM];
		if (s->invite)
			ui_put_clean(p->win, y, 0, 1, "+",
			    t->role[TH_MENTION]);
		else if (s->unread)
			ui_put_clean(p->win, y, 0, 1, t->ascii ? "*" :
			    "\xe2\x97\x8f", t->role[TH_TEXT]);
		ui_put_clean(p->win, y, 1, bw - 2, s->badge, a);
		if (s->mentions > 0) {
			snprintf(num, sizeof num, "%s", s->mentions > 9 ?
			    "+" : "");
			if (s->mentions <= 9)
				snprintf(num, sizeof num, "%d",
				    (int)s->mentions);
			ui_put_clean(p->win, y, bw - 1, 1, num,
			    t->role[TH_MENTION] | A_REVERSE);
		}
	}
	ui_border_right(p);
}

/* Select the server drawn at row y; 1 if one was hit. */
int
pane_rail_click(struct ui *ui, int y)
{
	struct rail_state	*rs = pane_rail_state(ui);
	size_t			 i = (size_t)(y / 2);

	if (y < 0 || i >= rs->n)
		return 0;
	ui_select_server(ui, rs->servers[i].id);
	return 1;
}

static void
pane_rail_refresh(struct pane *p)
{
	pane_rail_load(p->ui);
}

const struct pane_ops pane_rail_ops = {
	.draw = pane_rail_draw,
	.key = NULL,
	.refresh = pane_rail_refresh
};
