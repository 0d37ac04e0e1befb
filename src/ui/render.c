/* Events to display lines: day rules, headers, messages, aftermath. */
#include "haos/render.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/json.h"
#include "haos/mention.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"
#include "render-int.h"


#define RENDER_GROUP_MS	(5 * 60 * 1000)	/* one header per 5 min */
#define RENDER_BODY_INDENT	2		/* body under the header */
#define RENDER_KEY_MAX		16	/* cells of a reaction key */

/* Decorations, Unicode or ASCII. */
struct render_deco {
	const char	*rule;		/* day separator fill */
	const char	*quote;		/* reply preview prefix */
	const char	*ellipsis;
	const char	*sending;
	const char	*encrypting;	/* an echo waiting for its key share */
	const char	*failed;
	const char	*thread;
	const char	*dot;		/* "3 replies · last by bob" */
};

static const struct render_deco render_deco_utf8 = {
	"\xe2\x94\x80", "\xe2\x95\xad\xe2\x94\x80 ", "\xe2\x80\xa6",
	" (sending\xe2\x80\xa6)", " (encrypting\xe2\x80\xa6)",
	" \xe2\x9c\x97 failed to send",
	"\xe2\x86\xb3 ", " \xc2\xb7 "
};
static const struct render_deco render_deco_ascii = {
	"-", "> ", "...", " (sending...)", " (encrypting...)",
	" ! failed to send", "> ",
	" - "
};

int
render_sender_color(const char *user_id, int n)
{
	uint32_t		 h = 2166136261u;	/* FNV-1a */
	const unsigned char	*p;

	if (n <= 0 || user_id == NULL)
		return 0;
	for (p = (const unsigned char *)user_id; *p != '\0'; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return (int)(h % (uint32_t)n);
}

/* The last millisecond of year 9999: later times are clamped to it. */
#define RENDER_TS_MAX	INT64_C(253402300799999)

/*
 * Clamp a server's origin_server_ts to [0, RENDER_TS_MAX]: it may be
 * anything, and arithmetic or localtime on it must not overflow.
 */
static int64_t
render_ts(int64_t ms)
{
	if (ms < 0)
		return 0;
	if (ms > RENDER_TS_MAX)
		return RENDER_TS_MAX;
	return ms;
}

/* Local calendar day of a time in ms as yyyymmdd, and its struct tm. */
static int
render_day(int64_t ms, struct tm *tm)
{
	time_t	 t;

	t = (time_t)(render_ts(ms) / 1000);
	if (localtime_r(&t, tm) == NULL) {
		/* Out of the C library's range: show the epoch. */
		memset(tm, 0, sizeof *tm);
		tm->tm_year = 70;
		tm->tm_mday = 1;
		tm->tm_wday = 4;
	}
	return (tm->tm_year + 1900) * 10000 + (tm->tm_mon + 1) * 100 +
	    tm->tm_mday;
}

/*
 * A server's time in ms as a local date and time for people:
 * "Sat 5 Dec 2026 03:01:26" (hostile times clamped as in the timeline).
 */
void
render_date(int64_t ms, char *buf, size_t size)
{
	struct tm	 tm;
	char		 wday[24], mon[24];

	render_day(ms, &tm);
	strftime(wday, sizeof wday, "%a", &tm);
	strftime(mon, sizeof mon, "%b", &tm);
	snprintf(buf, size, "%s %d %s %d %02d:%02d:%02d", wday, tm.tm_mday,
	    mon, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

size_t
render_seen_by(const struct event_row *evs, size_t n, size_t at,
    const struct render_opts *ro, const char **out)
{
	size_t	 i, j, k = 0;

	if (at >= n)
		return 0;
	for (i = 0; i < ro->nrcpt; i++) {
		if (ro->rcpt_users[i] == NULL || ro->rcpt_events[i] == NULL ||
		    (ro->me != NULL && strcmp(ro->rcpt_users[i], ro->me) ==
		    0) || (evs[at].sender != NULL &&
		    strcmp(ro->rcpt_users[i], evs[at].sender) == 0))
			continue;
		for (j = at; j < n; j++) {
			if (evs[j].event_id != NULL && strcmp(evs[j].event_id,
			    ro->rcpt_events[i]) == 0)
				break;
		}
		if (j < n)
			out[k++] = ro->rcpt_users[i];
	}
	return k;
}

#define RENDER_SEEN_NAMES	3	/* named before "and N others" */

char *
render_seen_text(const struct render_opts *ro, const char *const *users,
    size_t n)
{
	char	*out, *name, *t;
	size_t	 i, shown = n > RENDER_SEEN_NAMES ? RENDER_SEEN_NAMES - 1 : n;

	out = xstrdup("seen by ");
	for (i = 0; i < shown; i++) {
		name = render_name(ro, users[i], NULL);
		t = xasprintf("%s%s%s", out, i == 0 ? "" : i + 1 == n ?
		    " and " : ", ", name);
		free(name);
		free(out);
		out = t;
	}
	if (shown < n) {
		t = xasprintf("%s and %zu others", out, n - shown);
		free(out);
		out = t;
	}
	return out;
}

/* Day separator text: "Today", "Yesterday" or "Mon 23 Nov 2026". */
static void
render_day_label(const struct render_opts *ro, int64_t ts, char *buf,
    size_t size)
{
	struct tm	 tm, now, yest;
	int64_t		 now_ms;
	char		 wday[24], mon[24];
	int		 day;

	now_ms = ro->now_ms != 0 ? ro->now_ms : (int64_t)time(NULL) * 1000;
	day = render_day(ts, &tm);
	if (day == render_day(now_ms, &now)) {
		snprintf(buf, size, "Today");
		return;
	}
	yest = now;
	yest.tm_mday--;
	yest.tm_hour = 12;
	yest.tm_isdst = -1;
	mktime(&yest);
	if (day == (yest.tm_year + 1900) * 10000 + (yest.tm_mon + 1) * 100 +
	    yest.tm_mday) {
		snprintf(buf, size, "Yesterday");
		return;
	}
	strftime(wday, sizeof wday, "%a", &tm);
	strftime(mon, sizeof mon, "%b", &tm);
	snprintf(buf, size, "%s %d %s %d", wday, tm.tm_mday, mon,
	    tm.tm_year + 1900);
}

/* A full-width rule with a label in the middle: "──── Today ────". */
static void
render_rule(struct render_out *o, const struct render_deco *d,
    const char *label, enum render_attr attr)
{
	struct render_rich	 r;
	char			*cut, *clean;
	int			 lw, left, right, i;

	/* Locale day names need not be UTF-8. */
	memset(&r, 0, sizeof r);
	clean = sanitize_text(label, (size_t)-1, 0);
	cut = render_truncate(clean, o->width, d->ellipsis);
	free(clean);
	lw = sanitize_width(cut);
	left = right = 0;
	if (o->width - lw >= 2) {
		left = (o->width - lw - 2) / 2;
		right = o->width - lw - 2 - left;
	}
	for (i = 0; i < left; i++)
		render_rich_str(&r, d->rule, STY(attr, 0));
	if (left > 0 || right > 0)
		render_rich_str(&r, " ", STY(attr, 0));
	render_rich_str(&r, cut, STY(attr, 0));
	if (left > 0 || right > 0)
		render_rich_str(&r, " ", STY(attr, 0));
	for (i = 0; i < right; i++)
		render_rich_str(&r, d->rule, STY(attr, 0));
	render_emit(o, r.text, r.sty, r.len, 0, sanitize_width(r.text));
	render_rich_free(&r);
	free(cut);
}

static void
render_time(const struct render_opts *ro, int64_t ts, char *buf,
    size_t size)
{
	struct tm	 tm;

	render_day(ts, &tm);
	strftime(buf, size, ro->seconds ? "%H:%M:%S" : "%H:%M", &tm);
}

/* Find event_id in the page, else ask the caller; 1 if *out is filled. */
static int
render_find(const struct event_row *evs, size_t n,
    const struct render_opts *ro, const char *event_id,
    const struct event_row **found, struct event_row *out)
{
	size_t	 i;

	*found = NULL;
	for (i = 0; i < n; i++) {
		if (evs[i].event_id != NULL &&
		    strcmp(evs[i].event_id, event_id) == 0) {
			*found = &evs[i];
			return 0;
		}
	}
	if (ro->event_of == NULL)
		return 0;
	memset(out, 0, sizeof *out);
	if (ro->event_of(ro->event_arg, event_id, out) == 1) {
		*found = out;
		return 1;
	}
	return 0;
}

/* The one-line preview of a replied-to event: "╭─ alice: text". */
static void
render_reply_preview(struct render_out *o, const struct render_opts *ro,
    const struct render_deco *d, const struct event_row *evs, size_t n,
    const char *reply_id, const char *raw_body, int indent)
{
	const struct event_row	*t;
	struct event_row	 tmp;
	struct render_rich	 r;
	json_t			*tc = NULL;
	char			*name = NULL, *text = NULL;
	char			*clean, *cut, *line;
	const char		*nl;
	int			 owned, ind;

	owned = render_find(evs, n, ro, reply_id, &t, &tmp);
	if (t != NULL) {
		name = render_name(ro, t->sender, NULL);
		if (t->redacted)
			text = xstrdup("message deleted");
		else if (t->type != NULL &&
		    strcmp(t->type, "m.room.encrypted") == 0)
			text = xstrdup(render_e2e_text(t->e2e));
		else {
			tc = render_load(t->content);
			text = render_body_text(tc, render_reply_to(t, tc) !=
			    NULL);
		}
	} else if (strncmp(raw_body, "> ", 2) == 0) {
		/* Not loaded: fall back to the quoted first line. */
		nl = strchr(raw_body, '\n');
		text = nl != NULL ? xstrndup(raw_body + 2,
		    (size_t)(nl - raw_body - 2)) : xstrdup(raw_body + 2);
	} else
		goto out;

	clean = sanitize_text(text, (size_t)-1, 0);
	line = name != NULL ? xasprintf("%s%s: %s", d->quote, name, clean) :
	    xasprintf("%s%s", d->quote, clean);
	ind = render_indent(indent, o->width);
	cut = render_truncate(line, o->width - ind, d->ellipsis);
	memset(&r, 0, sizeof r);
	render_rich_str(&r, cut, STY(RA_QUOTE, 0));
	render_emit(o, r.text, r.sty, r.len, ind, sanitize_width(cut));
	render_rich_free(&r);
	free(cut);
	free(line);
	free(clean);
out:
	free(text);
	free(name);
	json_decref(tc);
	if (owned)
		event_row_free(&tmp);
}

/* Whether an event takes no line of its own (folded or invisible). */
/* The line for an event ingest could not read (io.haos.unreadable). */
static char *
render_unreadable(const json_t *c)
{
	char	*why, *text;

	why = sanitize_text(json_get_str(c, "reason", "malformed"),
	    (size_t)-1, 0);
	text = xasprintf("an event here could not be read (%s)", why);
	free(why);
	return text;
}

static int
render_skip(const struct event_row *ev, const json_t *c)
{
	json_t		*rel;
	const char	*rt;

	if (ev->type == NULL)
		return 1;
	if (strcmp(ev->type, "m.reaction") == 0 ||
	    strcmp(ev->type, "m.room.redaction") == 0)
		return 1;
	/* A pending edit is folded into the message it edits. */
	rel = json_get_obj(c, "m.relates_to");
	rt = json_get_str(rel, "rel_type", ev->rel_type);
	if (rt != NULL && (strcmp(rt, "m.replace") == 0 ||
	    strcmp(rt, "m.annotation") == 0))
		return 1;
	return 0;
}

/*
 * The newest unsent edit of ev among the local echoes of the page: its
 * m.new_content (a new reference) and its state in *state, or NULL.
 */
static json_t *
render_pending_edit(const struct event_row *evs, size_t n,
    const struct event_row *ev, enum outbox_state *state, int *encrypting)
{
	json_t		*c, *nc, *found = NULL;
	const char	*rt;
	size_t		 i;

	*state = OUTBOX_NONE;
	*encrypting = 0;
	if (ev->event_id == NULL || ev->redacted)
		return NULL;
	for (i = 0; i < n; i++) {
		if (evs[i].echo == OUTBOX_NONE || evs[i].echo == OUTBOX_SENT ||
		    evs[i].relates_to == NULL || evs[i].type == NULL ||
		    strcmp(evs[i].relates_to, ev->event_id) != 0 ||
		    strcmp(evs[i].type, ev->type) != 0)
			continue;
		c = render_load(evs[i].content);
		rt = json_get_str(json_get_obj(c, "m.relates_to"), "rel_type",
		    "");
		nc = json_get_obj(c, "m.new_content");
		if (nc != NULL && strcmp(rt, "m.replace") == 0) {
			json_decref(found);
			found = json_incref(nc);
			*state = evs[i].echo;
			*encrypting = evs[i].encrypting;
		}
		json_decref(c);
	}
	return found;
}

/* Whether the page holds an unsent m.room.redaction of ev. */
static int
render_pending_redaction(const struct event_row *evs, size_t n,
    const struct event_row *ev)
{
	size_t	 i;

	if (ev->event_id == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		if (evs[i].echo != OUTBOX_NONE && evs[i].echo != OUTBOX_SENT &&
		    evs[i].type != NULL && evs[i].relates_to != NULL &&
		    strcmp(evs[i].type, "m.room.redaction") == 0 &&
		    strcmp(evs[i].relates_to, ev->event_id) == 0)
			return 1;
	}
	return 0;
}

/* State for grouping consecutive messages under one header. */
struct render_group {
	const char	*sender;
	int64_t		 ts;
	int		 day;
	int		 msg;	/* the last event was a message */
};

/* Append the "👍 2  😂 1" reactions and the thread summary. */
static void
render_aftermath(struct render_out *o, const struct render_opts *ro,
    const struct render_deco *d, const struct event_row *evs, size_t n,
    const struct event_row *ev, int indent)
{
	struct render_rich	 r;
	struct reaction_row	*all;
	char			*key, *cut, *part, *last;
	const char		*pk;
	json_t			*c;
	size_t			 i, j, na = ev->nreactions;
	int			 sty;

	/* The server's aggregation plus my reactions not sent yet. */
	all = xcalloc(ev->nreactions + n + 1, sizeof *all);
	for (i = 0; i < ev->nreactions; i++)
		all[i] = ev->reactions[i];
	for (i = 0; i < n && ev->event_id != NULL; i++) {
		if (evs[i].echo == OUTBOX_NONE || evs[i].echo == OUTBOX_SENT ||
		    evs[i].type == NULL || evs[i].relates_to == NULL ||
		    strcmp(evs[i].type, "m.reaction") != 0 ||
		    strcmp(evs[i].relates_to, ev->event_id) != 0)
			continue;
		c = render_load(evs[i].content);
		pk = json_get_str(json_get_obj(c, "m.relates_to"), "key",
		    NULL);
		for (j = 0; pk != NULL && j < na; j++) {
			if (all[j].key != NULL && strcmp(all[j].key, pk) == 0)
				break;
		}
		if (pk != NULL && j == na) {
			all[na].key = xstrdup(pk);	/* freed below */
			all[na].count = 1;
			all[na++].mine = 2;		/* pending */
		} else if (pk != NULL && !all[j].mine) {
			all[j].count++;
			all[j].mine = 2;
		}
		json_decref(c);
	}
	memset(&r, 0, sizeof r);
	for (i = 0; i < na; i++) {
		key = sanitize_text(all[i].key != NULL ? all[i].key : "",
		    (size_t)-1, 0);
		cut = render_truncate(key, RENDER_KEY_MAX, d->ellipsis);
		/* A no-break space keeps a key with its count. */
		part = xasprintf("%s\xc2\xa0%lld", cut,
		    (long long)all[i].count);
		sty = all[i].mine == 2 ? STY(RA_PENDING, 0) : all[i].mine ?
		    STY(RA_REACTION_MINE, 0) : STY(RA_REACTION, 0);
		if (i > 0)
			render_rich_str(&r, "  ", STY(RA_TEXT, 0));
		render_rich_str(&r, part, sty);
		free(part);
		free(cut);
		free(key);
	}
	for (i = ev->nreactions; i < na; i++)
		free(all[i].key);
	free(all);
	if (r.len > 0)
		render_wrap_rich(o, &r, indent, indent);
	render_rich_free(&r);
	if (ev->thread_count > 0) {
		memset(&r, 0, sizeof r);
		last = ev->thread_last != NULL ?
		    render_name(ro, ev->thread_last, NULL) : NULL;
		if (last != NULL)
			part = xasprintf("%s%lld %s%slast by %s", d->thread,
			    (long long)ev->thread_count,
			    ev->thread_count == 1 ? "reply" : "replies",
			    d->dot, last);
		else
			part = xasprintf("%s%lld %s", d->thread,
			    (long long)ev->thread_count,
			    ev->thread_count == 1 ? "reply" : "replies");
		free(last);
		render_rich_str(&r, part, STY(RA_THREAD, 0));
		render_wrap_rich(o, &r, indent, indent);
		render_rich_free(&r);
		free(part);
	}
}

/*
 * Render one message-like event (m.room.message, sticker, encrypted);
 * edit and edit_enc are the state of a pending edit of it, if any.  An
 * m.room.encrypted event says what decryption made of it, never what
 * its content holds.
 */
static void
render_message(struct render_out *o, const struct render_opts *ro,
    const struct render_deco *d, const struct event_row *evs, size_t n,
    const struct event_row *ev, const json_t *c, int header,
    enum outbox_state edit, int edit_enc)
{
	struct render_rich	 r;
	struct event_row	 tmp;
	const struct event_row	*red;
	const char		*msgtype, *reply, *raw, *held, *lock;
	enum render_attr	 lattr;
	char			*name, *text, *clean, *cut, tbuf[16], *by;
	char			*note, *html;
	int			 base, ind, tw, owned, sealed, enc;

	memset(&r, 0, sizeof r);
	name = render_name(ro, ev->sender, NULL);
	ind = o->width >= 20 ? RENDER_BODY_INDENT : 0;
	if (header) {
		render_time(ro, ev->ts, tbuf, sizeof tbuf);
		tw = (int)strlen(tbuf);
		if (o->width < tw + 2)
			tw = -1;	/* no room for the time */
		cut = render_truncate(name, tw < 0 ? o->width :
		    o->width - tw - 1, d->ellipsis);
		render_rich_str(&r, cut, STY(RA_SENDER,
		    render_sender_color(ev->sender, ro->palette)));
		if (tw >= 0) {
			render_rich_str(&r, " ", STY(RA_TEXT, 0));
			render_rich_str(&r, tbuf, STY(RA_DIM, 0));
		}
		render_emit(o, r.text, r.sty, r.len, 0, sanitize_width(r.text));
		render_rich_free(&r);
		free(cut);
	}

	/* My deletion of it not sent yet: show it as going away. */
	if (!ev->redacted && render_pending_redaction(evs, n, ev)) {
		render_rich_str(&r, "message deleted", STY(RA_DELETED, 0));
		render_rich_str(&r, d->sending, STY(RA_PENDING, 0));
		render_wrap_rich(o, &r, ind, ind);
		render_rich_free(&r);
		free(name);
		return;
	}

	if (ev->redacted) {
		by = NULL;
		owned = 0;
		if (ev->redacted_by != NULL) {
			owned = render_find(evs, n, ro, ev->redacted_by, &red,
			    &tmp);
			if (red != NULL && red->sender != NULL &&
			    ev->sender != NULL &&
			    strcmp(red->sender, ev->sender) != 0)
				by = render_name(ro, red->sender, NULL);
			if (owned)
				event_row_free(&tmp);
		}
		text = by != NULL ? xasprintf("message deleted by %s", by) :
		    xstrdup("message deleted");
		render_rich_str(&r, text, STY(RA_DELETED, 0));
		render_wrap_rich(o, &r, ind, ind);
		render_rich_free(&r);
		free(text);
		free(by);
		free(name);
		return;
	}

	sealed = strcmp(ev->type, "m.room.encrypted") == 0;
	msgtype = sealed ? "m.text" : json_get_str(c, "msgtype", "m.text");
	reply = sealed ? NULL : render_reply_to(ev, c);
	raw = sealed ? "" : json_get_str(c, "body", "");
	if (reply != NULL)
		render_reply_preview(o, ro, d, evs, n, reply, raw, ind);

	base = STY(RA_TEXT, 0);
	if (strcmp(msgtype, "m.notice") == 0)
		base = STY(RA_NOTICE, 0);
	else if (strcmp(msgtype, "m.emote") == 0)
		base = STY(RA_EMOTE, 0);
	if (ev->echo == OUTBOX_PENDING || ev->echo == OUTBOX_SENDING)
		base = STY(RA_PENDING, 0);

	if (sealed) {
		text = xstrdup(render_e2e_text(ev->e2e));
		base = STY(RA_E2E, 0);
	} else if (c == NULL) {
		text = xstrdup("unreadable message");
		base = STY(RA_DIM, 0);
	} else if (strcmp(ev->type, "m.sticker") == 0)
		text = xasprintf("[sticker: %s]", raw);
	else
		text = NULL;
	if (ro->locks && (lock = render_lock_glyph(ev, ro->ascii,
	    &lattr)) != NULL) {
		render_rich_str(&r, lock, STY(lattr, 0));
		render_rich_str(&r, " ", base);
	}
	if (strcmp(msgtype, "m.emote") == 0) {
		render_rich_str(&r, "* ", base);
		render_rich_str(&r, name, base);
		render_rich_str(&r, " ", base);
	}
	/* formatted_body drawn with attributes, else the plain body. */
	html = NULL;
	if (text == NULL)
		html = render_formatted(c);
	if (html != NULL && render_html(&r, ro, html, base,
	    o->width - render_indent(ind, o->width)) == 0)
		clean = text = NULL;
	else {
		if (text == NULL)
			text = render_body_text(c, reply != NULL);
		/* "@bob:haos.test" reads as "@Bob" (mention.c). */
		clean = mention_names(text, ro->name_of, ro->name_arg);
		free(text);
		text = clean;
		clean = sanitize_text(text, (size_t)-1, SANITIZE_NEWLINES);
		/* Trailing blank lines would only make empty rows. */
		for (tw = (int)strlen(clean); tw > 0 && (clean[tw - 1] ==
		    '\n' || clean[tw - 1] == ' '); tw--)
			clean[tw - 1] = '\0';
		render_rich_body(&r, ro, clean, base);
	}
	free(html);
	if (ev->edited_by != NULL || edit != OUTBOX_NONE)
		render_rich_str(&r, " (edited)", STY(RA_DIM, 0));
	enc = edit_enc;
	held = NULL;
	if (edit == OUTBOX_NONE) {
		edit = ev->echo;
		enc = ev->encrypting;
		held = ev->held;
	}
	if (edit == OUTBOX_PENDING && enc && held != NULL) {
		/* "waiting: @bob's identity changed - /trust @bob ..." */
		note = sanitize_text(held, (size_t)-1, 0);
		render_rich_str(&r, " (", STY(RA_PENDING, 0));
		render_rich_str(&r, note, STY(RA_PENDING, 0));
		render_rich_str(&r, ")", STY(RA_PENDING, 0));
		free(note);
	} else if ((edit == OUTBOX_PENDING || edit == OUTBOX_SENDING) && enc)
		render_rich_str(&r, d->encrypting, STY(RA_PENDING, 0));
	else if (edit == OUTBOX_PENDING || edit == OUTBOX_SENDING)
		render_rich_str(&r, d->sending, STY(RA_PENDING, 0));
	else if (edit == OUTBOX_FAILED)
		render_rich_str(&r, d->failed, STY(RA_FAILED, 0));
	render_wrap_rich(o, &r, ind, ind);
	render_rich_free(&r);
	if (!sealed)
		render_image(o, ro, ev, c, ind);
	free(clean);
	free(text);
	free(name);
	render_aftermath(o, ro, d, evs, n, ev, ind);
}

int
render_timeline(const struct event_row *evs, size_t n,
    const struct render_opts *ro, struct render_line **lines, size_t *nlines)
{
	const struct render_deco *d;
	struct render_out	 o;
	struct render_group	 g;
	struct render_rich	 r;
	struct tm		 tm;
	const struct event_row	*ev;
	json_t			*c, *nc;
	enum outbox_state	 edit;
	char			 label[128], tbuf[16], *text;
	const char		**seen;
	size_t			 i, nseen, last = n;
	int			 day, header, unread = 0, msg, tw, enc;

	memset(&o, 0, sizeof o);
	memset(&g, 0, sizeof g);
	o.width = ro->width < 1 ? 1 : ro->width;
	d = ro->ascii ? &render_deco_ascii : &render_deco_utf8;
	for (i = 0; i < n; i++) {
		ev = &evs[i];
		c = render_load(ev->content);
		if (render_skip(ev, c) || (ro->thread == NULL &&
		    strcmp(json_get_str(json_get_obj(c, "m.relates_to"),
		    "rel_type", ""), "m.thread") == 0))
			goto next;
		text = NULL;
		msg = strcmp(ev->type, "m.room.message") == 0 ||
		    strcmp(ev->type, "m.sticker") == 0 ||
		    strcmp(ev->type, "m.room.encrypted") == 0;
		if (!msg && strcmp(ev->type, "io.haos.unreadable") == 0) {
			/* Ingest kept this place for an event it could not
			 * read: say so, in the event's own words cleaned. */
			text = render_unreadable(c);
		} else if (!msg) {
			if (ev->state_key == NULL)
				goto next;	/* unknown message event */
			text = render_state_text(ro, ev, c);
			if (text == NULL)
				goto next;
		}

		o.event_id = ev->event_id;
		o.txn_id = ev->txn_id;
		if (unread) {
			o.event_id = o.txn_id = NULL;
			render_rule(&o, d, "new messages", RA_UNREAD);
			o.event_id = ev->event_id;
			o.txn_id = ev->txn_id;
			unread = 0;
			g.msg = 0;
		}
		day = render_day(ev->ts, &tm);
		if (day != g.day) {
			render_day_label(ro, ev->ts, label, sizeof label);
			o.event_id = o.txn_id = NULL;
			render_rule(&o, d, label, RA_DAYSEP);
			o.event_id = ev->event_id;
			o.txn_id = ev->txn_id;
			g.msg = 0;
		}
		o.first = 1;
		if (msg) {
			header = !g.msg || g.sender == NULL ||
			    ev->sender == NULL ||
			    strcmp(g.sender, ev->sender) != 0 ||
			    render_ts(ev->ts) - render_ts(g.ts) >=
			    RENDER_GROUP_MS ||
			    render_ts(ev->ts) < render_ts(g.ts);
			nc = render_pending_edit(evs, n, ev, &edit, &enc);
			render_message(&o, ro, d, evs, n, ev,
			    nc != NULL ? nc : c, header, edit, enc);
			json_decref(nc);
			if (header)
				g.ts = ev->ts;
		} else {
			memset(&r, 0, sizeof r);
			render_time(ro, ev->ts, tbuf, sizeof tbuf);
			tw = (int)strlen(tbuf) + 1;
			render_rich_str(&r, tbuf, STY(RA_DIM, 0));
			render_rich_str(&r, " ", STY(RA_DIM, 0));
			render_rich_str(&r, text, STY(RA_NOTICE, 0));
			render_wrap_rich(&o, &r, 0, tw);
			render_rich_free(&r);
		}
		g.sender = ev->sender;
		g.day = day;
		g.msg = msg;
		free(text);
		last = i;
next:
		if (ro->unread_after != NULL && ev->event_id != NULL &&
		    strcmp(ev->event_id, ro->unread_after) == 0)
			unread = 1;
		json_decref(c);
	}
	/* Under the newest event, who has seen it (as Element does). */
	if (last < n && ro->nrcpt > 0) {
		seen = xcalloc(ro->nrcpt, sizeof *seen);
		nseen = render_seen_by(evs, n, last, ro, seen);
		if (nseen > 0) {
			o.event_id = evs[last].event_id;
			o.txn_id = evs[last].txn_id;
			o.first = 0;
			text = render_seen_text(ro, seen, nseen);
			memset(&r, 0, sizeof r);
			render_rich_str(&r, text, STY(RA_DIM, 0));
			render_wrap_rich(&o, &r, 2, 2);
			render_rich_free(&r);
			free(text);
		}
		free(seen);
	}
	*lines = o.lines;
	*nlines = o.n;
	return 0;
}
