/* Activity in the client: typing, read markers, counts, alerts, presence. */
#include "curses.h"
#include "ui-int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/client.h"
#include "haos/activity.h"
#include "haos/config.h"
#include "haos/editor.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/mention.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define READSTATE_SCAN		30	/* newest events looked at per room */

/* A room id with a value: the read marker sent, or the newest ts seen. */
struct readstate_room {
	char		*room_id;
	char		*event_id;	/* read marker last sent */
	int64_t		 read_ts;	/* its origin_server_ts */
	int64_t		 seen_ts;	/* newest event already alerted on */
	int		 seen;		/* seen_ts is set */
	int64_t		 mentions;	/* of me, found in events since */
};

/* Everything here belongs to the UI thread, like struct ui. */
struct readstate {
	struct activity_typing	 typing;	/* what the server was told */
	struct activity_presence presence;	/* my own, told likewise */

	struct readstate_room	*rooms;
	size_t			 nrooms;

	char			*marker_room;	/* where marker_event is for */
	char			*marker_event;	/* "new messages" after it */

	char			**pres_ids;	/* presence of the member list */
	char			**pres_state;
	char			**pres_status;	/* status_msg, or NULL */
	size_t			 npres;
};

static struct readstate *
readstate_get(struct ui *ui)
{
	if (ui->rs == NULL)
		ui->rs = xcalloc(1, sizeof *ui->rs);
	return ui->rs;
}

static struct readstate_room *
readstate_room(struct ui *ui, const char *room_id)
{
	struct readstate	*rs = readstate_get(ui);
	size_t			 i;

	for (i = 0; i < rs->nrooms; i++) {
		if (strcmp(rs->rooms[i].room_id, room_id) == 0)
			return &rs->rooms[i];
	}
	rs->rooms = xrealloc(rs->rooms, (rs->nrooms + 1) * sizeof *rs->rooms);
	memset(&rs->rooms[rs->nrooms], 0, sizeof *rs->rooms);
	rs->rooms[rs->nrooms].room_id = xstrdup(room_id);
	return &rs->rooms[rs->nrooms++];
}

static void
readstate_presence_free(struct readstate *rs)
{
	size_t	 i;

	for (i = 0; i < rs->npres; i++) {
		free(rs->pres_ids[i]);
		free(rs->pres_state[i]);
		free(rs->pres_status[i]);
	}
	free(rs->pres_ids);
	free(rs->pres_state);
	free(rs->pres_status);
	rs->pres_ids = rs->pres_state = rs->pres_status = NULL;
	rs->npres = 0;
}

void
readstate_free(struct ui *ui)
{
	struct readstate	*rs = ui->rs;
	size_t			 i;

	if (rs == NULL)
		return;
	activity_typing_clear(&rs->typing);
	for (i = 0; i < rs->nrooms; i++) {
		free(rs->rooms[i].room_id);
		free(rs->rooms[i].event_id);
	}
	free(rs->rooms);
	free(rs->marker_room);
	free(rs->marker_event);
	readstate_presence_free(rs);
	free(rs);
	ui->rs = NULL;
}

/* Typing notices report failures to the log, not the status line. */
static void
readstate_typing_send(struct ui *ui, const char *room_id, int typing)
{
	client_typing(ui->ctx.client, room_id, typing, ACTIVITY_TYPING_HOLD);
}

/*
 * My display name, from the member list of the selected room, followed
 * as it changes (a /nick): a name kept from before would highlight only
 * part of the new one ("Alice" of "Alice Anders").
 */
static const char *
readstate_my_name(struct ui *ui)
{
	const struct member_row	*mem;
	size_t			 i, nmem;

	mem = pane_members_list(ui, &nmem);
	for (i = 0; i < nmem; i++) {
		if (strcmp(mem[i].user_id, ui->me) != 0 ||
		    mem[i].displayname == NULL ||
		    *mem[i].displayname == '\0')
			continue;
		if (ui->me_name == NULL ||
		    strcmp(ui->me_name, mem[i].displayname) != 0) {
			free(ui->me_name);
			ui->me_name = xstrdup(mem[i].displayname);
			ui->messages.stale = 1;	/* highlight by name */
		}
		break;
	}
	return ui->me_name;
}

/*
 * Once per loop: tell the server whether I am typing (the rules are in
 * activity_typing_step()).
 */
void
readstate_tick(struct ui *ui)
{
	struct readstate	*rs = readstate_get(ui);
	unsigned int		 act;
	char			*stop;

	const char		*pres;

	readstate_my_name(ui);
	if (ui->ctx.client == NULL)
		return;
	pres = activity_presence_step(&rs->presence, client_now_ms(),
	    ui->input_at, (int64_t)ui->cfg->ui_idle * 60000);
	if (pres != NULL)
		client_presence(ui->ctx.client, pres);
	act = activity_typing_step(&rs->typing, ui->room_id,
	    editor_text(ui->ed), client_now_ms(), &stop);
	if (act & ACTIVITY_TYPING_STOP)
		readstate_typing_send(ui, stop, 0);
	if (act & ACTIVITY_TYPING_START)
		readstate_typing_send(ui, ui->room_id, 1);
	free(stop);
}

/*
 * Quitting: stop the typing notice where one is up and go offline (the
 * caller waits a moment for the answers).
 */
void
readstate_quit(struct ui *ui)
{
	struct readstate	*rs = readstate_get(ui);

	if (ui->ctx.client == NULL)
		return;
	if (rs->typing.room != NULL)
		readstate_typing_send(ui, rs->typing.room, 0);
	activity_typing_clear(&rs->typing);
	client_presence(ui->ctx.client, "offline");
	rs->presence.told = "offline";
}

/* The event id in a room's m.fully_read, or else my m.read receipt. */
static char *
readstate_read_marker(struct ui *ui, const char *room_id)
{
	struct haos_error	 err;
	char			*text = NULL, *id = NULL;
	json_t			*j;

	if (store_query_account_data(ui->store, room_id, "m.fully_read",
	    &text, &err) == 1 || text != NULL) {
		j = json_loads(text, 0, NULL);
		if (json_get_str(j, "event_id", NULL) != NULL)
			id = xstrdup(json_get_str(j, "event_id", NULL));
		json_decref(j);
	}
	free(text);
	if (id == NULL && store_query_receipt(ui->store, room_id, "m.read",
	    ui->me, &id, &err) == -1)
		id = NULL;
	return id;
}

/*
 * Without a marker, the server's unread count places the line: before
 * the last n messages from others on the page, or after my own newest
 * message if that comes first.
 */
static char *
readstate_guess_marker(struct ui *ui)
{
	struct haos_error	 err;
	struct room_row		 r;
	const struct event_row	*page, *ev;
	int64_t			 unread = 0, n = 0;
	size_t			 i, j, nev;

	if (store_query_room(ui->store, ui->room_id, &r, &err) != 1)
		return NULL;
	unread = r.unread;
	room_row_free(&r);
	if (unread <= 0)
		return NULL;
	page = pane_messages_events(ui, &nev);
	for (i = nev; i > 0; i--) {
		ev = &page[i - 1];
		if (ev->type == NULL || strcmp(ev->type, "m.room.message") !=
		    0 || ev->redacted || ev->sender == NULL)
			continue;
		/* I had read what came before my own message. */
		if (strcmp(ev->sender, ui->me) == 0)
			return n > 0 && ev->event_id != NULL ?
			    xstrdup(ev->event_id) : NULL;
		if (++n < unread)
			continue;
		for (j = i - 1; j > 0; j--) {
			if (page[j - 1].event_id != NULL)
				return xstrdup(page[j - 1].event_id);
		}
		break;
	}
	return NULL;
}

/*
 * The event after which the "new messages" line goes in the selected
 * room: where I had read up to when I entered it (then kept, so that
 * reading now does not move the line away).
 */
const char *
readstate_marker(struct ui *ui)
{
	struct readstate	*rs = readstate_get(ui);
	size_t			 nev;

	pane_messages_events(ui, &nev);
	if (ui->room_id == NULL || nev == 0)
		return NULL;	/* decided once the room's events are in */
	if (rs->marker_room != NULL && strcmp(rs->marker_room,
	    ui->room_id) == 0)
		return rs->marker_event;
	free(rs->marker_room);
	free(rs->marker_event);
	rs->marker_room = xstrdup(ui->room_id);
	rs->marker_event = readstate_read_marker(ui, ui->room_id);
	if (rs->marker_event == NULL)
		rs->marker_event = readstate_guess_marker(ui);
	return rs->marker_event;
}

/*
 * The newest message of the selected room is on screen: send m.read
 * and m.fully_read for it, once per event, unless the server already
 * has that receipt.
 */
void
readstate_read(struct ui *ui, const char *room_id)
{
	struct readstate_room	*rr;
	struct haos_error	 err;
	const struct event_row	*ev;
	const char		*eid = NULL;
	char			*have = NULL;
	size_t			 i, nev;
	int64_t			 ts = 0;

	if (room_id == NULL || ui->room_id == NULL ||
	    strcmp(room_id, ui->room_id) != 0)
		return;
	/* The newest event the server has (a sent echo has its id). */
	ev = pane_messages_events(ui, &nev);
	for (i = nev; i > 0 && eid == NULL; i--) {
		if (ev[i - 1].event_id != NULL &&
		    ev[i - 1].event_id[0] == '$') {
			eid = ev[i - 1].event_id;
			ts = ev[i - 1].ts;
		}
	}
	if (eid == NULL)
		return;
	rr = readstate_room(ui, room_id);
	/* Once per event, and never back to an older one. */
	if (rr->event_id != NULL && (strcmp(rr->event_id, eid) == 0 ||
	    ts < rr->read_ts))
		return;
	free(rr->event_id);
	rr->event_id = xstrdup(eid);
	rr->read_ts = ts;
	if (store_query_receipt(ui->store, room_id, "m.read", ui->me, &have,
	    &err) == 1 || have != NULL) {
		if (strcmp(have, eid) == 0) {
			free(have);
			return;
		}
	}
	free(have);
	if (ui->ctx.client == NULL)
		return;
	client_read_markers(ui->ctx.client, room_id, eid, eid);
	log_debug("ui", "read marker %s in %s", eid, room_id);
}

/* Whether event ev (a message by someone else) mentions me. */
static int
readstate_mentions_me(struct ui *ui, const struct event_row *ev)
{
	json_t	*c;
	int	 yes;

	if (ev->type == NULL || strcmp(ev->type, "m.room.message") != 0 ||
	    ev->redacted || ev->sender == NULL ||
	    strcmp(ev->sender, ui->me) == 0 || ev->content == NULL)
		return 0;
	c = json_loads(ev->content, JSON_ALLOW_NUL, NULL);
	yes = mention_of_me(c, ui->me, readstate_my_name(ui));
	json_decref(c);
	return yes;
}

/* The display name of user in room, raw, or the user id. */
static char *
readstate_member_name(struct ui *ui, const char *room_id, const char *user)
{
	struct haos_error	 err;
	struct member_row	*m = NULL;
	size_t			 n = 0, i;
	char			*name = NULL;

	if (store_query_members(ui->store, room_id, &m, &n, &err) == 0) {
		for (i = 0; i < n && name == NULL; i++) {
			if (strcmp(m[i].user_id, user) == 0 &&
			    m[i].displayname != NULL)
				name = xstrdup(m[i].displayname);
		}
		member_rows_free(m, n);
	}
	return name != NULL ? name : xstrdup(user);
}

/* Ring and ask for a desktop notification, as [notify] says. */
static void
readstate_alert(struct ui *ui, const struct room_row *r,
    const struct event_row *ev)
{
	const struct config	*cfg = ui->cfg;
	unsigned int		 flags = 0;
	char			*who, *title, *body, *bytes, *room;
	const char		*text = NULL;
	json_t			*c;
	size_t			 len, off = 0;
	ssize_t			 w;

	if (strcmp(cfg->notify_bell, "yes") == 0)
		flags |= ACTIVITY_BELL;
	if (strcmp(cfg->notify_osc777, "yes") == 0)
		flags |= ACTIVITY_OSC777;
	if (strcmp(cfg->notify_osc9, "yes") == 0)
		flags |= ACTIVITY_OSC9;
	if (flags == 0)
		return;
	/* Inside tmux the OSCs must go through its passthrough. */
	if (getenv("TMUX") != NULL && *getenv("TMUX") != '\0')
		flags |= ACTIVITY_TMUX;
	who = readstate_member_name(ui, r->room_id, ev->sender);
	room = xstrdup(r->name != NULL ? r->name : r->room_id);
	title = r->is_direct ? xstrdup(who) : xasprintf("%s in #%s", who,
	    room);
	c = json_loads(ev->content, JSON_ALLOW_NUL, NULL);
	text = json_get_str(c, "body", "");
	body = mention_names(text, NULL, NULL);
	bytes = activity_notify_bytes(flags, title, body);
	len = strlen(bytes);
	/* Between frames: curses has flushed, and these move no cursor. */
	while (off < len) {
		w = write(STDOUT_FILENO, bytes + off, len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	log_info("ui", "notified: message %s in %s", ev->event_id != NULL ?
	    ev->event_id : "?", r->room_id);
	json_decref(c);
	free(bytes);
	free(body);
	free(title);
	free(room);
	free(who);
}

/*
 * Alert on new messages in a room not on screen: a mention of me, or
 * any message in a direct conversation.  The first look at a room only
 * records where it is, so history never rings.
 */
static struct readstate_room *
readstate_watch(struct ui *ui, const struct room_row *r)
{
	struct readstate_room	*rr;
	struct haos_error	 err;
	struct event_row	*ev = NULL;
	size_t			 n = 0, i;
	int64_t			 since;
	int			 dm, mentions, alerted = 0, me;

	if (r->join != ROOM_JOIN)
		return NULL;
	rr = readstate_room(ui, r->room_id);
	if (!rr->seen || ui->cfg == NULL) {
		rr->seen = 1;
		rr->seen_ts = r->last_ts;
		return rr;
	}
	if (r->last_ts <= rr->seen_ts)
		return rr;
	since = rr->seen_ts;
	rr->seen_ts = r->last_ts;
	if (ui->room_id != NULL && strcmp(ui->room_id, r->room_id) == 0)
		return rr;
	dm = r->is_direct && strcmp(ui->cfg->notify_dm, "yes") == 0;
	mentions = strcmp(ui->cfg->notify_mentions, "yes") == 0;
	/* Only new events are read: nothing is scanned at start. */
	if (store_query_timeline(ui->store, r->room_id, STORE_LATEST,
	    READSTATE_SCAN, 0, ui->me, &ev, &n, &err) == -1)
		return rr;
	for (i = 0; i < n; i++) {
		if (ev[i].ts <= since || ev[i].event_id == NULL ||
		    ev[i].type == NULL ||
		    strcmp(ev[i].type, "m.room.message") != 0 ||
		    ev[i].redacted || ev[i].sender == NULL ||
		    strcmp(ev[i].sender, ui->me) == 0)
			continue;
		me = readstate_mentions_me(ui, &ev[i]);
		rr->mentions += me;
		if (!alerted && (dm || (mentions && me))) {
			readstate_alert(ui, r, &ev[i]);
			alerted = 1;
		}
	}
	event_rows_free(ev, n);
	return rr;
}

/*
 * Unread state of a room for the rail and the channel list: returns
 * whether it is unread and sets *mentions (the server's highlight count
 * or the mentions of me readstate_watch() found in events that arrived
 * since, whichever is more).  Read locally, or selected, is read.
 */
int
readstate_counts(struct ui *ui, const struct room_row *r, int64_t *mentions)
{
	struct readstate_room	*rr;

	*mentions = 0;
	rr = readstate_watch(ui, r);
	if ((ui->room_id != NULL && strcmp(ui->room_id, r->room_id) == 0) ||
	    r->last_ts <= ui_read_ts(ui, r->room_id)) {
		if (rr != NULL)
			rr->mentions = 0;	/* read */
		return 0;
	}
	if (r->unread <= 0 && r->highlight <= 0) {
		if (rr != NULL)
			rr->mentions = 0;	/* read elsewhere */
		return 0;
	}
	*mentions = r->highlight;
	if (rr != NULL && rr->mentions > *mentions)
		*mentions = rr->mentions;
	return 1;
}

/* Re-read the presence of the members of the member list. */
void
readstate_presence_load(struct ui *ui)
{
	struct readstate	*rs = readstate_get(ui);
	struct haos_error	 err;
	char			*key, *v;
	const struct member_row	*mem;
	size_t			 i, nmem;

	readstate_presence_free(rs);
	mem = pane_members_list(ui, &nmem);
	if (nmem == 0)
		return;
	rs->pres_ids = xcalloc(nmem, sizeof *rs->pres_ids);
	rs->pres_state = xcalloc(nmem, sizeof *rs->pres_state);
	rs->pres_status = xcalloc(nmem, sizeof *rs->pres_status);
	for (i = 0; i < nmem; i++) {
		key = xasprintf("presence %s", mem[i].user_id);
		v = NULL;
		if (store_query_kv(ui->store, key, &v, &err) == -1)
			v = NULL;
		free(key);
		if (v == NULL)
			continue;
		rs->pres_ids[rs->npres] = xstrdup(mem[i].user_id);
		key = xasprintf("status_msg %s", mem[i].user_id);
		if (store_query_kv(ui->store, key, &rs->pres_status[rs->npres],
		    &err) == -1)
			rs->pres_status[rs->npres] = NULL;
		free(key);
		rs->pres_state[rs->npres++] = v;
	}
}

/* The member's status message (raw), or NULL. */
const char *
readstate_status(struct ui *ui, const char *user_id)
{
	struct readstate	*rs = readstate_get(ui);
	size_t			 i;

	for (i = 0; i < rs->npres; i++) {
		if (strcmp(rs->pres_ids[i], user_id) == 0)
			return rs->pres_status[i];
	}
	return NULL;
}

/* Whether the server told the presence of any member listed. */
int
readstate_presence_known(struct ui *ui)
{
	return readstate_get(ui)->npres > 0;
}

/* "online", "unavailable", "offline", or NULL when the server says not. */
const char *
readstate_presence(struct ui *ui, const char *user_id)
{
	struct readstate	*rs = readstate_get(ui);
	size_t			 i;

	for (i = 0; i < rs->npres; i++) {
		if (strcmp(rs->pres_ids[i], user_id) == 0)
			return rs->pres_state[i];
	}
	return NULL;
}
