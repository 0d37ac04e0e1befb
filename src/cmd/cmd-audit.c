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

/* One line of the history; the same action in several rooms is merged. */
struct cmd_audit_entry {
	int64_t	 ts;
	char	*key;		/* actor + action: what merges */
	char	*text;		/* sanitised, without time and rooms */
	char	*room;		/* the first room's label */
	size_t	 rooms;
};

struct cmd_audit {
	struct cmd_audit_entry	*e;
	size_t			 n;
};

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
			e->rooms++;
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
	e->rooms = 1;
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

/* The level of user under pl (users, else users_default). */
static json_int_t
cmd_audit_level(const json_t *pl, const char *user)
{
	json_t	*v;

	v = json_object_get(json_object_get(pl, "users"), user);
	if (json_is_integer(v))
		return json_integer_value(v);
	return json_get_int(pl, "users_default", 0);
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
		a = cmd_audit_level(old, user);
		b = cmd_audit_level(new, user);
		if (a != b)
			cmd_audit_add(au, ev->ts, room, "%s changed the role of "
			    "%s: %s (%lld) -> %s (%lld)", ev->sender, user,
			    cmd_role_name(a), (long long)a, cmd_role_name(b),
			    (long long)b);
	}
	json_object_foreach(json_object_get(old, "users"), user, v) {
		if (json_object_get(json_object_get(new, "users"), user) !=
		    NULL)
			continue;
		a = cmd_audit_level(old, user);
		b = cmd_audit_level(new, user);
		if (a != b)
			cmd_audit_add(au, ev->ts, room, "%s changed the role of "
			    "%s: %s (%lld) -> %s (%lld)", ev->sender, user,
			    cmd_role_name(a), (long long)a, cmd_role_name(b),
			    (long long)b);
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
	const char		*m, *target;
	char			*why;
	size_t			 n = 0, i;

	if (store_query_timeline(ctx->store, id, STORE_LATEST,
	    CMD_AUDIT_EVENTS, 0, ctx->me, &ev, &n, &err) == -1)
		return;
	seen = json_object();	/* user -> last membership seen here */
	for (i = 0; i < n; i++) {
		c = json_load_stored(ev[i].content);
		target = ev[i].state_key;
		if (strcmp(ev[i].type, "m.room.member") == 0 &&
		    target != NULL && c != NULL) {
			m = json_get_str(c, "membership", "");
			why = cmd_audit_reason(c);
			if (strcmp(m, "join") == 0 && strcmp(json_get_str(seen,
			    target, ""), "join") != 0)
				cmd_audit_add(au, ev[i].ts, room, "%s joined",
				    target);
			else if (strcmp(m, "leave") == 0 &&
			    strcmp(ev[i].sender, target) == 0)
				cmd_audit_add(au, ev[i].ts, room, "%s left",
				    target);
			else if (strcmp(m, "leave") == 0 && strcmp(json_get_str(
			    seen, target, ""), "ban") == 0)
				cmd_audit_add(au, ev[i].ts, room, "%s unbanned "
				    "%s%s", ev[i].sender, target, why);
			else if (strcmp(m, "leave") == 0)
				cmd_audit_add(au, ev[i].ts, room, "%s kicked "
				    "%s%s", ev[i].sender, target, why);
			else if (strcmp(m, "ban") == 0)
				cmd_audit_add(au, ev[i].ts, room, "%s banned "
				    "%s%s", ev[i].sender, target, why);
			free(why);
			json_object_set_new(seen, target, json_string(m));
		} else if (strcmp(ev[i].type, "m.room.power_levels") == 0 &&
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
				    "message of %s", red.sender, ev[i].sender);
			event_row_free(&red);
		}
		json_decref(c);
	}
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
static enum cmd_retval
cmd_audit_exec(struct cmd_ctx *ctx, const struct cmd_args *a __unused)
{
	struct cmd_audit	 au;
	struct tm		 tm;
	time_t			 t;
	char			**ids, **labels, **lines, when[32], *title;
	size_t			 n, i;

	memset(&au, 0, sizeof au);
	n = cmd_server_rooms(ctx, ctx->server_id, &ids, &labels);
	for (i = 0; i < n; i++)
		cmd_audit_room(ctx, &au, ids[i], labels[i]);
	qsort(au.e, au.n, sizeof *au.e, cmd_audit_cmp);
	lines = xcalloc(au.n + 1, sizeof *lines);
	for (i = 0; i < au.n; i++) {
		t = (time_t)(au.e[i].ts / 1000);
		localtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
		if (au.e[i].rooms > 1)
			lines[i] = xasprintf("%s  %s  [%zu rooms]", when,
			    au.e[i].text, au.e[i].rooms);
		else
			lines[i] = xasprintf("%s  %s  [%s]", when,
			    au.e[i].text, au.e[i].room);
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
	}
	free(au.e);
	cmd_strings_free(lines, au.n);
	cmd_strings_free(ids, n);
	cmd_strings_free(labels, n);
	return CMD_RETURN_NORMAL;
}
