/* Selection of the server and room: last room per server, read marks. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "curses.h"
#include "ui-int.h"

#include "haos/client.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/store.h"
#include "haos/xmalloc.h"


/* The read mark of a room (0: never read here). */
int64_t
ui_read_ts(struct ui *ui, const char *room_id)
{
	size_t	 i;

	for (i = 0; i < ui->nreads; i++) {
		if (strcmp(ui->reads[i].room_id, room_id) == 0)
			return ui->reads[i].ts;
	}
	return 0;
}

/* Remember that room is read up to ts (local until receipts land). */
void
ui_mark_read(struct ui *ui, const char *room_id, int64_t ts)
{
	size_t	 i;

	readstate_read(ui, room_id);	/* m.read and m.fully_read */
	for (i = 0; i < ui->nreads; i++) {
		if (strcmp(ui->reads[i].room_id, room_id) == 0)
			break;
	}
	if (i == ui->nreads) {
		ui->reads = xrealloc(ui->reads, (ui->nreads + 1) *
		    sizeof *ui->reads);
		ui->reads[ui->nreads].room_id = xstrdup(room_id);
		ui->reads[ui->nreads++].ts = 0;
	}
	if (ui->reads[i].ts >= ts)
		return;
	ui->reads[i].ts = ts;
	ui->rail.stale = 1;
	ui->channels.stale = 1;
}

/*
 * Esc: the room is read up to its newest event (the one readstate_read()
 * sends the read marker for), so what arrives later is unread again.
 */
void
ui_mark_read_newest(struct ui *ui, const char *room_id)
{
	struct haos_error	 err;
	struct room_row		 r;

	if (store_query_room(ui->store, room_id, &r, &err) != 1) {
		readstate_read(ui, room_id);
		return;
	}
	ui_mark_read(ui, room_id, r.last_ts);
	room_row_free(&r);
}

static const char *
ui_last_room(struct ui *ui, const char *server_id)
{
	size_t	 i;
	const char *key = server_id != NULL ? server_id : "";

	for (i = 0; i + 1 < ui->nlast; i += 2) {
		if (strcmp(ui->last_room[i], key) == 0)
			return ui->last_room[i + 1];
	}
	return NULL;
}

static void
ui_set_last_room(struct ui *ui, const char *server_id, const char *room)
{
	size_t		 i;
	const char	*key = server_id != NULL ? server_id : "";

	for (i = 0; i + 1 < ui->nlast; i += 2) {
		if (strcmp(ui->last_room[i], key) == 0) {
			free(ui->last_room[i + 1]);
			ui->last_room[i + 1] = xstrdup(room);
			return;
		}
	}
	ui->last_room = xrealloc(ui->last_room, (ui->nlast + 2) *
	    sizeof *ui->last_room);
	ui->last_room[ui->nlast++] = xstrdup(key);
	ui->last_room[ui->nlast++] = xstrdup(room);
}

/*
 * Keep the selected room's id for the next start (written aside and
 * renamed, so a crash leaves the old one or the new one).
 */
static void
ui_save_last_room(struct ui *ui)
{
	char	*tmp;
	FILE	*f;
	int	 fd, ok;

	if (ui->last_room_file == NULL || ui->room_id == NULL)
		return;
	tmp = xasprintf("%s.tmp", ui->last_room_file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	f = fd != -1 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		if (fd != -1)
			close(fd);
		log_warn("ui", "%s: %s", tmp, strerror(errno));
		free(tmp);
		return;
	}
	ok = fprintf(f, "%s\n", ui->room_id) > 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, ui->last_room_file) == -1) {
		log_warn("ui", "%s: %s", ui->last_room_file, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
}

/* The room kept by ui_save_last_room(), if it is still one I am in. */
static char *
ui_load_last_room(struct ui *ui)
{
	struct haos_error	 err;
	struct room_row		 r;
	FILE			*f;
	char			*line = NULL;
	size_t			 size = 0;
	ssize_t			 len;
	int			 ok = 0;

	if (ui->last_room_file == NULL)
		return NULL;
	f = fopen(ui->last_room_file, "r");
	if (f == NULL)
		return NULL;
	len = getline(&line, &size, f);
	fclose(f);
	if (len <= 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\n")] = '\0';
	if (store_query_room(ui->store, line, &r, &err) == 1) {
		ok = r.join == ROOM_JOIN && !r.is_space;
		room_row_free(&r);
	}
	if (!ok)
		xfree(line);
	return line;
}

/* Everything that shows the selected room must be read again. */
static void
ui_room_changed(struct ui *ui)
{
	ui_save_last_room(ui);
	if (ui->room_id != NULL)
		client_members(ui->ctx.client, ui->room_id);
	pane_messages_reset(ui);
	overlay_close(ui);
	ui->messages.stale = 1;
	ui->members.stale = 1;
	ui->typing.stale = 1;
	ui->channels.stale = 1;
	ui->rail.stale = 1;
	ui->topic.dirty = 1;
	ui->input.dirty = 1;
	ui->status.dirty = 1;
}

/* Select a server (NULL: Direct Messages) and its last or first room. */
void
ui_select_server(struct ui *ui, const char *server_id)
{
	const char	*last;

	free(ui->server_id);
	ui->server_id = server_id != NULL ? xstrdup(server_id) : NULL;
	pane_channels_load(ui);
	xfree(ui->room_id);
	last = ui_last_room(ui, server_id);
	if (last != NULL && pane_channels_find(ui, last) != NULL)
		ui->room_id = xstrdup(last);
	if (ui->room_id == NULL && pane_channels_first(ui) != NULL)
		ui->room_id = xstrdup(pane_channels_first(ui));
	ui_room_changed(ui);
}

/* Select a room, switching to its server; a space selects the server. */
void
ui_select_room(struct ui *ui, const char *room_id)
{
	struct haos_error	 err;
	struct room_row		 r, sp;
	char			*server = NULL;
	int			 rc, invited;

	rc = store_query_room(ui->store, room_id, &r, &err);
	if (rc != 1) {
		ui_message(ui, 1, "unknown room %s", room_id);
		return;
	}
	if (r.is_space) {
		ui_select_server(ui, r.room_id);
		room_row_free(&r);
		return;
	}
	if (!r.is_direct && r.parent_id != NULL)
		server = xstrdup(r.parent_id);
	else if (r.join == ROOM_INVITE && store_query_invite_space(ui->store,
	    r.room_id, &server, &err) == 1 && store_query_room(ui->store,
	    server, &sp, &err) == 1) {
		/* A channel invite of a server invite: that one entry. */
		invited = sp.join == ROOM_INVITE;
		room_row_free(&sp);
		if (invited) {
			room_row_free(&r);
			ui_select_server(ui, server);
			free(server);
			return;
		}
	}
	room_row_free(&r);
	if ((server == NULL) != (ui->server_id == NULL) ||
	    (server != NULL && strcmp(server, ui->server_id) != 0)) {
		free(ui->server_id);
		ui->server_id = server;
		server = NULL;
		pane_channels_load(ui);
	}
	free(server);
	free(ui->room_id);
	ui->room_id = xstrdup(room_id);
	ui_set_last_room(ui, ui->server_id, room_id);
	ui_room_changed(ui);
}

/*
 * Pick a first room once the store has some: the first server's; or the
 * first channel of a selected server that had none yet (just joined).
 */
void
ui_initial_selection(struct ui *ui)
{
	char	*last;
	int	 i;

	if (ui->room_id == NULL && ui->server_id != NULL &&
	    pane_channels_first(ui) != NULL) {
		ui->room_id = xstrdup(pane_channels_first(ui));
		ui_room_changed(ui);
		return;
	}
	if (ui->room_id != NULL || ui->server_id != NULL)
		return;
	/* Where I was when haos last ran. */
	last = ui_load_last_room(ui);
	if (last != NULL) {
		ui_select_room(ui, last);
		free(last);
		return;
	}
	i = pane_rail_first_server(ui);
	if (i < 0 && pane_channels_first(ui) != NULL) {
		/*
		 * The rail may not have been read since the store got its
		 * rooms (only the list was stale): read it now, so that a
		 * first start lands on the first server, not on the
		 * conversations because they were read first.
		 */
		ui->rail.stale = 0;
		(ui->rail.ops->refresh)(&ui->rail);
		ui->rail.dirty = 1;
		i = pane_rail_first_server(ui);
	}
	if (i >= 0) {
		ui_select_server(ui, pane_rail_id(ui, (size_t)i));
		return;
	}
	if (pane_channels_first(ui) != NULL)
		ui_select_server(ui, NULL);
}

/*
 * Select room_id (a room or a space) as soon as the store has it joined
 * (or, a DM found, invited): what /join, /dm and the create commands made
 * arrives with a later /sync.
 */
void
ui_select_follow(struct ui *ui, const char *room_id)
{
	free(ui->follow);
	ui->follow = xstrdup(room_id);
	ui_select_check(ui);
}

/* Whether the store says we are out of room_id; fills *r when known. */
static int
ui_select_gone(struct ui *ui, const char *room_id, struct room_row *r)
{
	struct haos_error	 err;
	int			 rc;

	memset(r, 0, sizeof *r);
	rc = store_query_room(ui->store, room_id, r, &err);
	if (rc == -1) {
		log_warn("ui", "selection: %s", err.msg);
		return 0;
	}
	return rc == 0 || r->join == ROOM_LEAVE;
}

/*
 * Say so when someone else took me out of room r (kicked or banned),
 * with what was discarded (see ui_select_discard()).
 */
static void
ui_select_removed(struct ui *ui, const struct room_row *r,
    const char *discarded)
{
	struct haos_error	 err;
	char			*text = NULL, *sender = NULL, *who = NULL;
	json_t			*c = NULL, *w = NULL;
	const char		*ms, *reason;
	int			 ban;

	if (store_query_state(ui->store, r->room_id, "m.room.member", ui->me,
	    &text, &err) == -1 || text == NULL ||
	    store_query_state_sender(ui->store, r->room_id, "m.room.member",
	    ui->me, &sender, &err) == -1 || sender == NULL ||
	    strcmp(sender, ui->me) == 0)
		goto out;
	c = json_loads(text, 0, NULL);
	ms = json_get_str(c, "membership", "");
	ban = strcmp(ms, "ban") == 0;
	if (!ban && strcmp(ms, "leave") != 0)
		goto out;
	reason = json_get_str(c, "reason", NULL);
	if (reason != NULL && *reason == '\0')
		reason = NULL;
	if (store_query_state(ui->store, r->room_id, "m.room.member", sender,
	    &who, &err) == 0 && who != NULL)
		w = json_loads(who, 0, NULL);
	ui_message(ui, 1, "you were %s from %s by %s%s%s%s%s", ban ?
	    "banned" : "kicked", r->name != NULL ? r->name : r->room_id,
	    json_get_str(w, "displayname", sender), reason != NULL ? ": " :
	    "", reason != NULL ? reason : "", discarded != NULL ? "; " : "",
	    discarded != NULL ? discarded : "");
out:
	json_decref(c);
	json_decref(w);
	free(text);
	free(sender);
	free(who);
}

/*
 * Discard what waits to be sent (or failed) to rooms we are no longer
 * in: it can never be sent, and a failure there could not be cleared.
 * Returns what to tell, or NULL.
 */
static char *
ui_select_discard(struct ui *ui)
{
	static const enum outbox_state	 states[] = { OUTBOX_PENDING,
					    OUTBOX_SENDING, OUTBOX_FAILED };
	struct haos_error		 err;
	struct outbox_row		*o;
	struct room_row			 r;
	char				*where = NULL, *msg;
	size_t				 no, i, k, n = 0;

	for (k = 0; k < nitems(states); k++) {
		if (store_query_outbox(ui->store, states[k], &o, &no,
		    &err) == -1) {
			log_warn("ui", "outbox: %s", err.msg);
			continue;
		}
		for (i = 0; i < no; i++) {
			if (o[i].room_id == NULL || o[i].txn_id == NULL ||
			    !ui_select_gone(ui, o[i].room_id, &r)) {
				room_row_free(&r);
				continue;
			}
			if (where == NULL)
				where = xstrdup(r.name != NULL ? r.name :
				    o[i].room_id);
			room_row_free(&r);
			client_discard(ui->ctx.client, o[i].room_id,
			    o[i].txn_id);
			n++;
		}
		outbox_rows_free(o, no);
	}
	msg = n == 0 ? NULL : xasprintf("discarded %zu unsent message%s: "
	    "you are no longer in %s", n, n == 1 ? "" : "s", where);
	free(where);
	return msg;
}

/* What we are out of: say what was discarded, and why if we were put out. */
static void
ui_select_out(struct ui *ui, const struct room_row *r, const char *discarded)
{
	if (discarded != NULL)
		ui_message(ui, 1, "%s", discarded);
	ui_select_removed(ui, r, discarded);
}

/* The place of id in ids (n of them), or n. */
static size_t
ui_select_place(const char **ids, size_t n, const char *id)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (ids[i] != NULL && id != NULL && strcmp(ids[i], id) == 0)
			break;
	}
	return i;
}

/* The selected server is gone: its neighbour on the rail instead. */
static void
ui_select_server_gone(struct ui *ui, struct room_row *sr,
    const char *discarded)
{
	const char	*id;
	size_t		 n = pane_rail_count(ui), i = ui->server_at;
	char		*gone = xstrdup(ui->server_id);

	ui_select_out(ui, sr, discarded);
	/* The rail may still list it: step past it. */
	if (i < n && pane_rail_id(ui, i) != NULL &&
	    strcmp(pane_rail_id(ui, i), gone) == 0)
		i++;
	if (i >= n)
		i = n > 0 ? n - 1 : 0;
	id = n > 0 ? pane_rail_id(ui, i) : NULL;
	if (id != NULL && strcmp(id, gone) == 0)
		id = NULL;	/* Direct Messages */
	free(gone);
	ui_select_server(ui, id);
}

/* The selected room is gone: the next one in the list (or previous). */
static void
ui_select_room_gone(struct ui *ui, struct room_row *r, const char *discarded)
{
	const char	**ids, *next = NULL;
	size_t		 n, i, k;
	struct room_row	 x;

	ui_select_out(ui, r, discarded);
	ids = pane_channels_rooms(ui, &n);
	k = ui_select_place(ids, n, ui->room_id);
	i = k < n ? k : ui->room_at;
	for (; i < n && next == NULL; i++) {
		if (i == k)
			continue;
		if (!ui_select_gone(ui, ids[i], &x))
			next = ids[i];
		room_row_free(&x);
	}
	for (i = ui->room_at < n ? ui->room_at : n; i > 0 && next == NULL;
	    i--) {
		if (i - 1 == k)
			continue;
		if (!ui_select_gone(ui, ids[i - 1], &x))
			next = ids[i - 1];
		room_row_free(&x);
	}
	if (next != NULL)
		ui_select_room(ui, next);
	else {
		xfree(ui->room_id);
		ui_room_changed(ui);
	}
	free(ids);
}

/*
 * After the lists were read again: select what we follow once it is
 * there; discard what waits for rooms we are no longer in; move off a
 * server or room we are no longer in (left, deleted, kicked, banned) to
 * its neighbour, so that the input never targets a room that is gone.
 */
void
ui_select_check(struct ui *ui)
{
	const char	**ids;
	struct room_row	 r;
	size_t		 n;
	char		*discarded;

	if (ui->follow != NULL) {
		/* A DM found may still be an invite: it shows as one. */
		if (!ui_select_gone(ui, ui->follow, &r) && (r.join ==
		    ROOM_JOIN || r.join == ROOM_INVITE)) {
			room_row_free(&r);
			ui_select_room(ui, ui->follow);
			xfree(ui->follow);
		} else
			room_row_free(&r);
	}
	discarded = ui_select_discard(ui);
	if (ui->server_id != NULL) {
		if (ui_select_gone(ui, ui->server_id, &r)) {
			ui_select_server_gone(ui, &r, discarded);
			goto out;
		}
		room_row_free(&r);
	}
	if (ui->room_id != NULL) {
		if (ui_select_gone(ui, ui->room_id, &r)) {
			ui_select_room_gone(ui, &r, discarded);
			goto out;
		}
		room_row_free(&r);
	}
	if (discarded != NULL)
		ui_message(ui, 1, "%s", discarded);
	if (pane_rail_index(ui) >= 0)
		ui->server_at = (size_t)pane_rail_index(ui);
	ids = pane_channels_rooms(ui, &n);
	if (ui_select_place(ids, n, ui->room_id) < n)
		ui->room_at = ui_select_place(ids, n, ui->room_id);
	free(ids);
	free(discarded);
	return;
out:
	room_row_free(&r);
	free(discarded);
}
