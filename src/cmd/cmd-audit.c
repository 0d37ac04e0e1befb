/* /audit: the server's moderation history from the cached timelines. */
#include "haos/cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/model.h"
#include "haos/sanitize.h"
#include "haos/space.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define CMD_AUDIT_EVENTS	2000	/* cached events read per room */
#define CMD_AUDIT_GROUP_MS	60000	/* one action over many rooms */

static enum cmd_retval	cmd_audit_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_audit_entry = {
	.name = "audit",
	.alias = NULL,
	.args = { 0, 0 },
	.usage = "",
	.help = "Show the server's moderation history, newest first",
	.target = CMD_TARGET_SERVER,
	.power = POWER_MODERATOR,
	.flags = 0,
	.exec = cmd_audit_exec
};

/*
 * One line of the history; the same action close in time is merged, and
 * counted per room (distinct room ids) and per time it happened.
 */
struct cmd_audit_entry {
	int64_t	 ts;
	char	*key;		/* actor + action: what merges */
	char	*text;		/* sanitised, without time and rooms */
	char	*room;		/* the first room's label */
	json_t	*ids;		/* the rooms it happened in: id -> true */
	size_t	 times;
};

struct cmd_audit {
	struct cmd_ctx		*ctx;
	const char		*room_id;	/* the room being read */
	json_t			*names;		/* user id -> display name */
	struct cmd_audit_entry	*e;
	size_t			 n;
};

/* A user as people know them: the display name, else the id. */
static const char *
cmd_audit_who(struct cmd_audit *au, const char *user)
{
	struct haos_error	 err;
	const char		*rooms[2], *name;
	char			*text;
	json_t			*c;
	size_t			 i;

	name = json_get_str(au->names, user, NULL);
	if (name != NULL)
		return name;
	rooms[0] = au->room_id;
	rooms[1] = au->ctx->server_id;
	for (i = 0; i < nitems(rooms) && name == NULL; i++) {
		text = NULL;
		if (rooms[i] == NULL || store_query_state(au->ctx->store,
		    rooms[i], "m.room.member", user, &text, &err) == -1 ||
		    text == NULL)
			continue;
		c = json_load_stored(text);
		name = json_get_str(c, "displayname", NULL);
		if (name != NULL && *name != '\0')
			json_object_set_new(au->names, user,
			    json_string(name));
		name = json_get_str(au->names, user, NULL);
		json_decref(c);
		free(text);
	}
	if (name == NULL)
		json_object_set_new(au->names, user, json_string(user));
	return json_get_str(au->names, user, user);
}

static void
cmd_audit_add(struct cmd_audit *au, int64_t ts, const char *room,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
cmd_audit_add(struct cmd_audit *au, int64_t ts, const char *room,
    const char *fmt, ...)
{
	struct cmd_audit_entry	*e;
	va_list			 ap;
	char			*raw, buf[1024];
	size_t			 i;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	raw = xstrdup(buf);
	for (i = 0; i < au->n; i++) {
		e = &au->e[i];
		if (strcmp(e->key, raw) == 0 && (e->ts - ts < CMD_AUDIT_GROUP_MS &&
		    ts - e->ts < CMD_AUDIT_GROUP_MS)) {
			json_object_set_new(e->ids, au->room_id, json_true());
			e->times++;
			if (ts > e->ts)
				e->ts = ts;
			free(raw);
			return;
		}
	}
	au->e = xrealloc(au->e, (au->n + 1) * sizeof *au->e);
	e = &au->e[au->n++];
	e->ts = ts;
	e->key = raw;
	e->text = sanitize_text(raw, (size_t)-1, 0);
	e->room = xstrdup(room);
	e->ids = json_object();
	json_object_set_new(e->ids, au->room_id, json_true());
	e->times = 1;
}

/* ", reason: spam" from a content's reason, or "". */
static char *
cmd_audit_reason(const json_t *content)
{
	const char	*r;

	r = json_get_str(content, "reason", NULL);
	if (r == NULL || *r == '\0')
		return xstrdup("");
	return xasprintf(" (reason: %s)", r);
}

/* Role changes: every user whose level differs between old and new. */
static void
cmd_audit_levels(struct cmd_audit *au, const struct event_row *ev,
    const char *room, const json_t *old, const json_t *new)
{
	const char	*user;
	json_t		*v;
	json_int_t	 a, b;

	json_object_foreach(json_object_get(new, "users"), user, v) {
		a = space_power_of(old, user);
		b = space_power_of(new, user);
		if (a != b)
			cmd_audit_add(au, ev->ts, room, "%s changed the role of "
			    "%s: %s (%lld) -> %s (%lld)", cmd_audit_who(au,
			    ev->sender), cmd_audit_who(au, user),
			    cmd_role_name(a), (long long)a, cmd_role_name(b),
			    (long long)b);
	}
	json_object_foreach(json_object_get(old, "users"), user, v) {
		if (json_object_get(json_object_get(new, "users"), user) !=
		    NULL)
			continue;
		a = space_power_of(old, user);
		b = space_power_of(new, user);
		if (a != b)
			cmd_audit_add(au, ev->ts, room, "%s changed the role of "
			    "%s: %s (%lld) -> %s (%lld)", cmd_audit_who(au,
			    ev->sender), cmd_audit_who(au, user),
			    cmd_role_name(a), (long long)a, cmd_role_name(b),
			    (long long)b);
	}
}

/* A channel's name for the history: #name, else its id. */
static char *
cmd_audit_channel(struct cmd_ctx *ctx, const char *id)
{
	struct haos_error	 err;
	struct room_row		 r;
	char			*out;

	if (store_query_room(ctx->store, id, &r, &err) != 1)
		return xstrdup(id);
	out = r.name != NULL ? xasprintf("#%s", r.name) : xstrdup(id);
	room_row_free(&r);
	return out;
}

/* Memberships: joins, leaves, kicks, bans and unbans. */
static void
cmd_audit_member(struct cmd_audit *au, const struct event_row *ev,
    const char *room, const json_t *c, json_t *seen)
{
	const char	*m, *target = ev->state_key, *was;
	char		*why;

	m = json_get_str(c, "membership", "");
	was = json_get_str(seen, target, "");
	/* The name they had here, also once they left (no name then). */
	if (*json_get_str(c, "displayname", "") != '\0')
		json_object_set_new(au->names, target, json_string(
		    json_get_str(c, "displayname", "")));
	why = cmd_audit_reason(c);
	if (strcmp(m, "join") == 0 && strcmp(was, "join") != 0)
		cmd_audit_add(au, ev->ts, room, "%s joined",
		    cmd_audit_who(au, target));
	else if (strcmp(m, "leave") == 0 && strcmp(ev->sender, target) == 0)
		cmd_audit_add(au, ev->ts, room, "%s left",
		    cmd_audit_who(au, target));
	else if (strcmp(m, "leave") == 0 && strcmp(was, "ban") == 0)
		cmd_audit_add(au, ev->ts, room, "%s unbanned %s%s",
		    cmd_audit_who(au, ev->sender), cmd_audit_who(au, target),
		    why);
	else if (strcmp(m, "leave") == 0)
		cmd_audit_add(au, ev->ts, room, "%s kicked %s%s",
		    cmd_audit_who(au, ev->sender), cmd_audit_who(au, target),
		    why);
	else if (strcmp(m, "ban") == 0)
		cmd_audit_add(au, ev->ts, room, "%s banned %s%s",
		    cmd_audit_who(au, ev->sender), cmd_audit_who(au, target),
		    why);
	free(why);
	json_object_set_new(seen, target, json_string(m));
}

/*
 * The server's shape: created, renamed and deleted, and its channels
 * created (m.room.create of a channel), renamed and deleted (an emptied
 * m.space.child in the space).  *name is the room's name seen so far:
 * "" after its creation, NULL when the timeline does not reach back.
 */
static void
cmd_audit_shape(struct cmd_audit *au, const struct event_row *ev,
    const char *room, const json_t *c, char **name)
{
	int		 space = au->ctx->server_id != NULL &&
			    strcmp(au->room_id, au->ctx->server_id) == 0;
	const char	*who = cmd_audit_who(au, ev->sender), *n;
	char		*ch;

	if (strcmp(ev->type, "m.room.create") == 0) {
		if (space)
			cmd_audit_add(au, ev->ts, room, "%s created the "
			    "server", who);
		else
			cmd_audit_add(au, ev->ts, room, "%s created channel "
			    "%s", who, room);
		free(*name);
		*name = xstrdup("");
	} else if (strcmp(ev->type, "m.room.name") == 0) {
		n = json_get_str(c, "name", "");
		if (*name == NULL)
			cmd_audit_add(au, ev->ts, room, "%s renamed the %s to "
			    "%s%s", who, space ? "server" : "channel",
			    space ? "" : "#", n);
		else if (**name != '\0' && strcmp(*name, n) != 0)
			cmd_audit_add(au, ev->ts, room, "%s renamed %s%s to "
			    "%s%s", who, space ? "the server " : "#", *name,
			    space ? "" : "#", n);
		free(*name);
		*name = xstrdup(n);
	} else if (space && strcmp(ev->type, "io.haos.server_deleted") ==
	    0 && json_object_size(c) > 0)
		cmd_audit_add(au, ev->ts, room, "%s deleted the server", who);
	else if (space && strcmp(ev->type, "m.space.child") == 0 &&
	    ev->state_key != NULL && json_object_size(c) == 0) {
		ch = cmd_audit_channel(au->ctx, ev->state_key);
		cmd_audit_add(au, ev->ts, room, "%s deleted channel %s", who,
		    ch);
		free(ch);
	}
}

/* Read one room's cached timeline, oldest first, into au. */
static void
cmd_audit_room(struct cmd_ctx *ctx, struct cmd_audit *au, const char *id,
    const char *room)
{
	struct haos_error	 err;
	struct event_row	*ev = NULL, red;
	json_t			*c, *pl = NULL, *seen;
	char			*name = NULL;
	size_t			 n = 0, i;

	if (store_query_timeline(ctx->store, id, STORE_LATEST,
	    CMD_AUDIT_EVENTS, 0, ctx->me, &ev, &n, &err) == -1)
		return;
	au->room_id = id;
	seen = json_object();	/* user -> last membership seen here */
	for (i = 0; i < n; i++) {
		c = json_load_stored(ev[i].content);
		if (strcmp(ev[i].type, "m.room.member") == 0 &&
		    ev[i].state_key != NULL && c != NULL)
			cmd_audit_member(au, &ev[i], room, c, seen);
		else if (strcmp(ev[i].type, "m.room.power_levels") == 0 &&
		    c != NULL) {
			if (pl != NULL)
				cmd_audit_levels(au, &ev[i], room, pl, c);
			json_decref(pl);
			pl = json_incref(c);
		} else if (ev[i].redacted && ev[i].redacted_by != NULL &&
		    store_query_event(ctx->store, ev[i].redacted_by, &red,
		    &err) == 1) {
			if (red.sender != NULL &&
			    strcmp(red.sender, ev[i].sender) != 0)
				cmd_audit_add(au, red.ts, room, "%s deleted a "
				    "message of %s", cmd_audit_who(au,
				    red.sender), cmd_audit_who(au,
				    ev[i].sender));
			event_row_free(&red);
		} else if (ev[i].state_key != NULL && c != NULL)
			cmd_audit_shape(au, &ev[i], room, c, &name);
		json_decref(c);
	}
	free(name);
	json_decref(pl);
	json_decref(seen);
	event_rows_free(ev, n);
}

static int
cmd_audit_cmp(const void *a, const void *b)
{
	const struct cmd_audit_entry	*x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? 1 : -1;
	return strcmp(x->text, y->text);
}

/*
 * Joins, leaves, kicks, bans, role changes (power-level diffs) and
 * deletions by moderators across the space and its channels, newest
 * first; an action done in many rooms at once is one line.
 */
/* The report, from the cached timelines. */
static void
cmd_audit_report(struct cmd_ctx *ctx, size_t failed, void *arg __unused)
{
	struct cmd_audit	 au;
	struct tm		 tm;
	time_t			 t;
	char			**ids, **labels, **lines, when[32], *title;
	char			 times[32];
	size_t			 n, i, rooms;

	if (failed > 0)
		cmd_error(ctx, "audit: the history of %zu room%s could not "
		    "be read: what follows may miss some", failed,
		    failed == 1 ? "" : "s");
	memset(&au, 0, sizeof au);
	au.ctx = ctx;
	au.names = json_object();
	n = cmd_server_rooms(ctx, ctx->server_id, &ids, &labels);
	for (i = 0; i < n; i++)
		cmd_audit_room(ctx, &au, ids[i], labels[i]);
	qsort(au.e, au.n, sizeof *au.e, cmd_audit_cmp);
	lines = xcalloc(au.n + 1, sizeof *lines);
	for (i = 0; i < au.n; i++) {
		t = (time_t)(au.e[i].ts / 1000);
		localtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
		rooms = json_object_size(au.e[i].ids);
		if (au.e[i].times > rooms)
			snprintf(times, sizeof times, " (%zu times)",
			    au.e[i].times);
		else
			*times = '\0';
		if (rooms > 1)
			lines[i] = xasprintf("%s  %s%s  [%zu rooms]", when,
			    au.e[i].text, times, rooms);
		else
			lines[i] = xasprintf("%s  %s%s  [%s]", when,
			    au.e[i].text, times, au.e[i].room);
	}
	if (au.n == 0)
		cmd_info(ctx, "audit: no moderation history in the cache");
	else if (ctx->ui != NULL && ctx->ui->show != NULL) {
		title = xasprintf("Audit log of %s (newest first)",
		    labels[0]);
		ctx->ui->show(ctx->ui_arg, title, lines, au.n);
		free(title);
	} else {
		for (i = 0; i < au.n; i++)
			cmd_info(ctx, "%s", lines[i]);
	}
	for (i = 0; i < au.n; i++) {
		free(au.e[i].key);
		free(au.e[i].text);
		free(au.e[i].room);
		json_decref(au.e[i].ids);
	}
	free(au.e);
	json_decref(au.names);
	cmd_strings_free(lines, au.n);
	cmd_strings_free(ids, n);
	cmd_strings_free(labels, n);
}

/*
 * Rooms a first start has not filled yet (one event each) are filled
 * first: an audit of an empty cache would find nothing.
 */
static enum cmd_retval
cmd_audit_exec(struct cmd_ctx *ctx, const struct cmd_args *a __unused)
{
	char	**ids, **labels;
	size_t	 n;
	int	 waiting;

	n = cmd_server_rooms(ctx, ctx->server_id, &ids, &labels);
	waiting = cmd_fill(ctx, ids, n, cmd_audit_report, NULL);
	cmd_strings_free(ids, n);
	cmd_strings_free(labels, n);
	if (waiting) {
		cmd_info(ctx, "audit: reading the server's history first...");
		return CMD_RETURN_WAIT;
	}
	cmd_audit_report(ctx, 0, NULL);
	return CMD_RETURN_NORMAL;
}
