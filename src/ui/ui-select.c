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
	struct room_row		 r;
	char			*server = NULL;
	int			 rc;

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
 * Select room_id, a room a command just made or joined: now if the cache
 * has it, else when a sync brings it (ui_stale() asks again).
 */
void
ui_select_new(struct ui *ui, const char *room_id)
{
	struct haos_error	 err;
	struct room_row		 r;
	char			*id;
	int			 known = 0;

	if (room_id == NULL) {
		xfree(ui->goto_new);
		return;
	}
	if (store_query_room(ui->store, room_id, &r, &err) == 1) {
		known = r.join != ROOM_LEAVE;
		room_row_free(&r);
	}
	id = xstrdup(room_id);	/* room_id may be ui->goto_new */
	xfree(ui->goto_new);
	if (known)
		ui_select_room(ui, id);
	else
		ui->goto_new = xstrdup(id);
	free(id);
}

/* Pick a first room once the store has some: the first server's. */
void
ui_initial_selection(struct ui *ui)
{
	char	*last;
	int	 i;

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
	if (i >= 0) {
		ui_select_server(ui, pane_rail_id(ui, (size_t)i));
		return;
	}
	if (pane_channels_first(ui) != NULL)
		ui_select_server(ui, NULL);
}
