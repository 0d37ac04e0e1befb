/* Events to display lines: wrapping by grapheme, markers, spans; no curses. */
#include "haos/render.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

#include "haos/json.h"
#include "haos/mention.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"

#define RENDER_GROUP_MS	(5 * 60 * 1000)	/* one header per 5 min */
#define RENDER_BODY_INDENT	2		/* body under the header */
#define RENDER_KEY_MAX		16	/* cells of a reaction key */

/* A style is an attribute and a palette colour packed in one int. */
#define STY(a, c)		((int)(a) | ((c) << 8))
#define STY_ATTR(s)		((enum render_attr)((s) & 0xff))
#define STY_COLOR(s)		((s) >> 8)

/* Rich text being built: bytes and one style per byte. */
struct render_rich {
	char	*text;
	int	*sty;
	size_t	 len, cap;
};

/* The lines produced so far and the event they belong to. */
struct render_out {
	struct render_line	*lines;
	size_t			 n, cap;
	int			 width;
	const char		*event_id;
	const char		*txn_id;
	int			 first;	/* next line starts its event */
};

/* Decorations, Unicode or ASCII. */
struct render_deco {
	const char	*rule;		/* day separator fill */
	const char	*quote;		/* reply preview prefix */
	const char	*ellipsis;
	const char	*sending;
	const char	*failed;
	const char	*thread;
	const char	*dot;		/* "3 replies · last by bob" */
};

static const struct render_deco render_deco_utf8 = {
	"\xe2\x94\x80", "\xe2\x95\xad\xe2\x94\x80 ", "\xe2\x80\xa6",
	" (sending\xe2\x80\xa6)", " \xe2\x9c\x97 failed to send",
	"\xe2\x86\xb3 ", " \xc2\xb7 "
};
static const struct render_deco render_deco_ascii = {
	"-", "> ", "...", " (sending...)", " ! failed to send", "> ",
	" - "
};

static void
render_rich_add(struct render_rich *r, const char *s, size_t n, int sty)
{
	size_t	 i;

	if (r->len + n + 1 > r->cap) {
		while (r->len + n + 1 > r->cap)
			r->cap = r->cap == 0 ? 128 : r->cap * 2;
		r->text = xrealloc(r->text, r->cap);
		r->sty = xrealloc(r->sty, r->cap * sizeof *r->sty);
	}
	memcpy(r->text + r->len, s, n);
	for (i = 0; i < n; i++)
		r->sty[r->len + i] = sty;
	r->len += n;
	r->text[r->len] = '\0';
}

static void
render_rich_str(struct render_rich *r, const char *s, int sty)
{
	render_rich_add(r, s, strlen(s), sty);
}

static void
render_rich_free(struct render_rich *r)
{
	free(r->text);
	free(r->sty);
	memset(r, 0, sizeof *r);
}

/* Append one line: indent spaces, then bytes [s, s+n) with their styles. */
static void
render_emit(struct render_out *o, const char *s, const int *sty, size_t n,
    int indent, int width)
{
	struct render_line	*l;
	size_t			 i, cap = 4;

	if (o->n == o->cap) {
		o->cap = o->cap == 0 ? 32 : o->cap * 2;
		o->lines = xrealloc(o->lines, o->cap * sizeof *o->lines);
	}
	l = &o->lines[o->n++];
	memset(l, 0, sizeof *l);
	l->text = xmalloc((size_t)indent + n + 1);
	memset(l->text, ' ', (size_t)indent);
	memcpy(l->text + indent, s, n);
	l->text[indent + n] = '\0';
	l->width = indent + width;
	l->event_id = o->event_id != NULL ? xstrdup(o->event_id) : NULL;
	l->txn_id = o->txn_id != NULL ? xstrdup(o->txn_id) : NULL;
	l->first = o->first;
	o->first = 0;

	/* Spans cover the whole text in order: merge equal styles. */
	l->spans = xcalloc(cap, sizeof *l->spans);
	if (indent > 0) {
		l->spans[0].off = 0;
		l->spans[0].len = (size_t)indent;
		l->spans[0].attr = RA_TEXT;
		l->nspans = 1;
	}
	for (i = 0; i < n; i++) {
		if (l->nspans > 0 && i > 0 && sty[i] == sty[i - 1]) {
			l->spans[l->nspans - 1].len++;
			continue;
		}
		if (l->nspans == cap) {
			cap *= 2;
			l->spans = xrealloc(l->spans, cap * sizeof *l->spans);
		}
		l->spans[l->nspans].off = (size_t)indent + i;
		l->spans[l->nspans].len = 1;
		l->spans[l->nspans].attr = STY_ATTR(sty[i]);
		l->spans[l->nspans].color = STY_COLOR(sty[i]);
		l->nspans++;
	}
}

/* Clamp an indent so that at least one cell of text fits after it. */
static int
render_indent(int indent, int width)
{
	if (indent >= width)
		indent = width - 1;
	return indent < 0 ? 0 : indent;
}

/*
 * Wrap one paragraph (no '\n') greedily: break at spaces, start a word
 * that does not fit on the next line, and cut a word longer than a line
 * at the width by grapheme cluster.  Spaces at a break are dropped;
 * leading indentation narrower than half a line is kept.
 */
static void
render_wrap_para(struct render_out *o, const char *t, const int *sty,
    size_t len, int ind1, int ind2)
{
	static const int	 qsty = STY(RA_TEXT, 0);
	size_t			 p = 0, q, ls = 0, le = 0, n;
	int			 width = o->width, ind, avail, cur = 0;
	int			 sp = 0, ww, cw, empty = 1, emitted = 0;
	int			 lead = 0;	/* only indentation */

	ind = render_indent(ind1, width);
	avail = width - ind;
	while (p < len) {
		if (t[p] == ' ') {
			for (q = p, sp = 0; q < len && t[q] == ' '; q++)
				sp++;
			if (p == 0 && sp < avail / 2) {
				ls = 0;
				le = q;
				cur = sp;
				empty = 0;
				lead = 1;
				sp = 0;
			}
			p = q;
			continue;
		}
		for (q = p, ww = 0; q < len && t[q] != ' '; q += n) {
			n = sanitize_grapheme(t + q, len - q, &cw);
			ww += cw;
		}
		if (!empty && cur + sp + ww <= avail) {
			le = q;
			cur += sp + ww;
			sp = lead = 0;
			p = q;
			continue;
		}
		if (lead)		/* indentation alone: drop it */
			empty = 1;
		lead = 0;
		if (!empty) {
			render_emit(o, t + ls, sty + ls, le - ls, ind, cur);
			emitted = 1;
			ind = render_indent(ind2, width);
			avail = width - ind;
			empty = 1;
		}
		sp = 0;
		if (ww <= avail) {
			ls = p;
			le = q;
			cur = ww;
			empty = 0;
			p = q;
			continue;
		}
		/* Longer than a line: cut by cluster. */
		ls = le = p;
		cur = 0;
		while (p < q) {
			n = sanitize_grapheme(t + p, q - p, &cw);
			if (cur + cw > avail && cur > 0) {
				render_emit(o, t + ls, sty + ls, le - ls, ind,
				    cur);
				emitted = 1;
				ind = render_indent(ind2, width);
				avail = width - ind;
				ls = le = p;
				cur = 0;
				continue;
			}
			if (cw > avail) {
				/* Wider than the whole line (2 cells in 1). */
				render_emit(o, "?", &qsty, 1, ind, 1);
				emitted = 1;
				p += n;
				ls = le = p;
				continue;
			}
			cur += cw;
			p += n;
			le = p;
		}
		empty = le == ls;
	}
	if (!empty || !emitted)
		render_emit(o, t + ls, sty + ls, empty ? 0 : le - ls, ind,
		    empty ? 0 : cur);
}

/* Wrap rich text, paragraph by paragraph; later lines use ind2. */
static void
render_wrap_rich(struct render_out *o, const struct render_rich *r,
    int ind1, int ind2)
{
	size_t	 p = 0, e;

	for (;;) {
		for (e = p; e < r->len && r->text[e] != '\n'; e++)
			;
		render_wrap_para(o, r->text + p, r->sty + p, e - p,
		    p == 0 ? ind1 : ind2, ind2);
		if (e >= r->len)
			break;
		p = e + 1;
	}
}

size_t
render_wrap(const char *text, int width, char ***lines)
{
	struct render_out	 o;
	struct render_rich	 r;
	size_t			 i;

	memset(&o, 0, sizeof o);
	memset(&r, 0, sizeof r);
	o.width = width < 1 ? 1 : width;
	render_rich_str(&r, text != NULL ? text : "", STY(RA_TEXT, 0));
	render_wrap_rich(&o, &r, 0, 0);
	render_rich_free(&r);
	*lines = xcalloc(o.n + 1, sizeof **lines);
	for (i = 0; i < o.n; i++) {
		(*lines)[i] = o.lines[i].text;
		o.lines[i].text = NULL;
	}
	render_lines_free(o.lines, o.n);
	return o.n;
}

void
render_lines_free(struct render_line *lines, size_t n)
{
	size_t	 i;

	if (lines == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(lines[i].text);
		free(lines[i].spans);
		free(lines[i].event_id);
		free(lines[i].txn_id);
	}
	free(lines);
}

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

/* Copy s cut to at most max cells, ending in the ellipsis when cut. */
static char *
render_truncate(const char *s, int max, const char *ellipsis)
{
	size_t	 len, p = 0, n, keep = 0;
	int	 w = 0, cw, ew;

	if (sanitize_width(s) <= max)
		return xstrdup(s);
	ew = sanitize_width(ellipsis);
	if (max <= ew)
		return xstrdup("");
	len = strlen(s);
	while (p < len) {
		n = sanitize_grapheme(s + p, len - p, &cw);
		if (w + cw > max - ew)
			break;
		w += cw;
		p += n;
		keep = p;
	}
	return xasprintf("%.*s%s", (int)keep, s, ellipsis);
}

/* Sanitised display name of a user: name_of(), else the user id. */
static char *
render_name(const struct render_opts *ro, const char *user_id,
    const char *fallback)
{
	const char	*name = NULL;

	if (user_id == NULL)
		user_id = "";
	if (ro->name_of != NULL)
		name = ro->name_of(ro->name_arg, user_id);
	if (name == NULL || *name == '\0')
		name = fallback;
	if (name == NULL || *name == '\0')
		name = user_id;
	return sanitize_text(name, (size_t)-1, 0);
}

/* Local calendar day of a time in ms as yyyymmdd, and its struct tm. */
static int
render_day(int64_t ms, struct tm *tm)
{
	time_t	 t;

	t = (time_t)(ms / 1000);
	localtime_r(&t, tm);
	return (tm->tm_year + 1900) * 10000 + (tm->tm_mon + 1) * 100 +
	    tm->tm_mday;
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

/*
 * Append a sanitised body with base style: mentions of me (user id or
 * display name) become RA_MENTION, http(s) URLs RA_LINK.
 */
static void
render_rich_body(struct render_rich *r, const struct render_opts *ro,
    const char *body, int base)
{
	size_t	 start, i, len, m;

	start = r->len;
	len = strlen(body);
	render_rich_add(r, body, len, base);
	for (i = 0; i < len; i++) {
		if ((strncmp(body + i, "https://", 8) == 0 ||
		    strncmp(body + i, "http://", 7) == 0) &&
		    (i == 0 || body[i - 1] == ' ' || body[i - 1] == '\n' ||
		    body[i - 1] == '(' || body[i - 1] == '<')) {
			for (m = i; m < len && body[m] != ' ' &&
			    body[m] != '\n'; m++)
				r->sty[start + m] = STY(RA_LINK, 0);
			i = m;
			continue;
		}
		m = 0;
		if (ro->me != NULL)
			m = mention_match_word(body, len, i, ro->me);
		if (m == 0 && ro->my_name != NULL)
			m = mention_match_word(body, len, i, ro->my_name);
		if (m > 0) {
			for (; m > 0; m--, i++)
				r->sty[start + i] = STY(RA_MENTION, 0);
			i--;
		}
	}
}

/*
 * Whether content is a reply (m.relates_to.m.in_reply_to.event_id).  The
 * m.in_reply_to of a thread reply with is_falling_back is only a fallback
 * for clients without threads, not a reply (spec, "Threading").
 */
static const char *
render_reply_to(const struct event_row *ev, const json_t *c)
{
	json_t		*rel, *irt;
	const char	*id;

	rel = json_get_obj(c, "m.relates_to");
	if (strcmp(json_get_str(rel, "rel_type", ""), "m.thread") == 0 &&
	    json_get_bool(rel, "is_falling_back", 0))
		return NULL;
	irt = json_get_obj(rel, "m.in_reply_to");
	id = json_get_str(irt, "event_id", NULL);
	if (id != NULL)
		return id;
	/* An edit drops m.relates_to from the content; the row keeps it. */
	if (ev->rel_type == NULL && ev->relates_to != NULL &&
	    ev->echo == OUTBOX_NONE)
		return ev->relates_to;
	return NULL;
}

/* Skip the "> " quote lines of a reply fallback and the blank after. */
static const char *
render_strip_fallback(const char *body)
{
	const char	*p = body, *nl;

	if (strncmp(p, "> ", 2) != 0 && strncmp(p, ">\n", 2) != 0)
		return body;
	while (*p == '>') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			return p + strlen(p);
		p = nl + 1;
	}
	if (*p == '\n')
		p++;
	return p;
}

/* Plain text of HTML: tags and mx-reply dropped, basic entities decoded. */
static char *
render_html_text(const char *html)
{
	static const struct {
		const char	*ent;
		char		 c;
	} ents[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
		{ "&quot;", '"' }, { "&#39;", '\'' }, { "&nbsp;", ' ' }
	};
	char		*out, *o;
	const char	*p, *e;
	size_t		 k;

	out = o = xmalloc(strlen(html) + 1);
	for (p = html; *p != '\0';) {
		if (strncmp(p, "<mx-reply>", 10) == 0) {
			e = strstr(p, "</mx-reply>");
			p = e != NULL ? e + 11 : p + strlen(p);
			continue;
		}
		if (strncmp(p, "<br", 3) == 0 || strncmp(p, "</p>", 4) == 0)
			*o++ = '\n';
		if (*p == '<') {
			e = strchr(p, '>');
			p = e != NULL ? e + 1 : p + strlen(p);
			continue;
		}
		if (*p == '&') {
			for (k = 0; k < nitems(ents); k++) {
				if (strncmp(p, ents[k].ent,
				    strlen(ents[k].ent)) == 0)
					break;
			}
			if (k < nitems(ents)) {
				*o++ = ents[k].c;
				p += strlen(ents[k].ent);
				continue;
			}
		}
		*o++ = *p++;
	}
	*o = '\0';
	return out;
}

/*
 * Parse event content.  Invalid UTF-8 makes jansson refuse the text, so
 * retry with it sanitised (bad bytes become U+FFFD); NUL escapes are
 * allowed and dropped later with the other controls.
 */
static json_t *
render_load(const char *content)
{
	json_t	*c;
	char	*clean;

	if (content == NULL)
		return NULL;
	c = json_loads(content, JSON_ALLOW_NUL, NULL);
	if (c != NULL)
		return c;
	clean = sanitize_text(content, (size_t)-1, SANITIZE_NEWLINES);
	c = json_loads(clean, JSON_ALLOW_NUL, NULL);
	free(clean);
	return c;
}

/* A string member with any NUL bytes removed, or NULL. */
static char *
render_get_text(const json_t *c, const char *key)
{
	json_t		*v;
	const char	*s;
	char		*out;
	size_t		 len, i, o = 0;

	v = json_object_get(c, key);
	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	len = json_string_length(v);
	out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] != '\0')
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/*
 * The text a message shows, unsanitised: the body without its reply
 * fallback, "[image: name]" for media.  Returns an allocated string.
 */
static char *
render_body_text(const json_t *c, int reply)
{
	const char	*msgtype, *body, *file, *kind = NULL;
	char		*text, *fb, *all;

	msgtype = json_get_str(c, "msgtype", "m.text");
	all = render_get_text(c, "body");
	if (all == NULL || *all == '\0') {
		fb = render_get_text(c, "formatted_body");
		if (fb != NULL) {
			text = render_html_text(fb);
			free(fb);
			free(all);
			return text;
		}
	}
	body = all != NULL ? all : "";
	if (reply)
		body = render_strip_fallback(body);
	if (strcmp(msgtype, "m.image") == 0)
		kind = "image";
	else if (strcmp(msgtype, "m.file") == 0)
		kind = "file";
	else if (strcmp(msgtype, "m.audio") == 0)
		kind = "audio";
	else if (strcmp(msgtype, "m.video") == 0)
		kind = "video";
	else if (strcmp(msgtype, "m.location") == 0)
		kind = "location";
	file = json_get_str(c, "filename", NULL);
	if (kind == NULL)
		text = xstrdup(body);
	else if (file != NULL && *body != '\0' && strcmp(file, body) != 0)
		text = xasprintf("[%s: %s] %s", kind, file, body);
	else
		text = xasprintf("[%s: %s]", kind, file != NULL ? file : body);
	free(all);
	return text;
}

char *
render_body(const char *content)
{
	json_t	*c, *irt;
	char	*text;

	c = render_load(content);
	if (c == NULL)
		return NULL;
	irt = json_get_obj(json_get_obj(c, "m.relates_to"), "m.in_reply_to");
	text = render_body_text(c, irt != NULL);
	json_decref(c);
	return text;
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

/*
 * A member who stays joined changed their profile: "Al changed their
 * name to Alice", "Alice changed their picture", or nothing at all.
 */
static char *
render_member_change(const struct render_opts *ro, const struct event_row *ev,
    const json_t *c, const json_t *prev)
{
	const char	*was, *now, *pa, *na;
	char		*a, *b, *s;

	was = json_get_str(prev, "displayname", NULL);
	now = json_get_str(c, "displayname", NULL);
	if ((was == NULL) != (now == NULL) || (was != NULL &&
	    strcmp(was, now) != 0)) {
		/* The old name as it was, not as the member list says now. */
		a = sanitize_text(was != NULL ? was : ev->state_key,
		    (size_t)-1, 0);
		if (now != NULL) {
			b = sanitize_text(now, (size_t)-1, 0);
			s = xasprintf("%s changed their name to %s", a, b);
			free(b);
		} else
			s = xasprintf("%s removed their display name", a);
		free(a);
		return s;
	}
	pa = json_get_str(prev, "avatar_url", "");
	na = json_get_str(c, "avatar_url", "");
	if (strcmp(pa, na) != 0) {
		a = render_name(ro, ev->state_key, now);
		s = xasprintf("%s changed their picture", a);
		free(a);
		return s;
	}
	return NULL;
}

/* "alice joined" and friends for state events; NULL to show nothing. */
static char *
render_state_text(const struct render_opts *ro, const struct event_row *ev,
    const json_t *c)
{
	const char	*type = ev->type, *m, *v, *reason, *pm;
	const json_t	*prev;
	char		*who, *whom, *s = NULL, *tv;

	who = render_name(ro, ev->sender, NULL);
	if (strcmp(type, "m.room.member") == 0) {
		whom = render_name(ro, ev->state_key,
		    json_get_str(c, "displayname", NULL));
		m = json_get_str(c, "membership", "");
		reason = json_get_str(c, "reason", NULL);
		prev = json_get_obj(c, "io.haos.prev");
		pm = json_get_str(prev, "membership", "");
		if (strcmp(m, "join") == 0 && strcmp(pm, "join") == 0)
			s = render_member_change(ro, ev, c, prev);
		else if (strcmp(m, "join") == 0)
			s = xasprintf("%s joined", whom);
		else if (strcmp(m, "leave") == 0 && strcmp(pm, "ban") == 0)
			s = xasprintf("%s unbanned %s", who, whom);
		else if (strcmp(m, "leave") == 0 && strcmp(pm, "invite") == 0 &&
		    ev->sender != NULL && ev->state_key != NULL &&
		    strcmp(ev->sender, ev->state_key) == 0)
			s = xasprintf("%s declined the invite", whom);
		else if (strcmp(m, "leave") == 0 && strcmp(pm, "invite") == 0)
			s = xasprintf("%s withdrew the invite of %s", who, whom);
		else if (strcmp(m, "invite") == 0)
			s = xasprintf("%s invited %s", who, whom);
		else if (strcmp(m, "leave") == 0 && ev->sender != NULL &&
		    ev->state_key != NULL &&
		    strcmp(ev->sender, ev->state_key) == 0)
			s = xasprintf("%s left", whom);
		else if (strcmp(m, "leave") == 0)
			s = xasprintf("%s removed %s", who, whom);
		else if (strcmp(m, "ban") == 0)
			s = xasprintf("%s banned %s", who, whom);
		else if (strcmp(m, "knock") == 0)
			s = xasprintf("%s asked to join", whom);
		if (s != NULL && reason != NULL && *reason != '\0' &&
		    strcmp(m, "join") != 0) {
			tv = sanitize_text(reason, (size_t)-1, 0);
			v = s;
			s = xasprintf("%s: %s", v, tv);
			free((char *)v);
			free(tv);
		}
		free(whom);
	} else if (strcmp(type, "m.room.topic") == 0) {
		tv = sanitize_text(json_get_str(c, "topic", ""), (size_t)-1, 0);
		s = *tv == '\0' ? xasprintf("%s cleared the topic", who) :
		    xasprintf("%s changed the topic to \"%s\"", who, tv);
		free(tv);
	} else if (strcmp(type, "m.room.name") == 0) {
		tv = sanitize_text(json_get_str(c, "name", ""), (size_t)-1, 0);
		s = *tv == '\0' ? xasprintf("%s removed the name", who) :
		    xasprintf("%s renamed this to \"%s\"", who, tv);
		free(tv);
	} else if (strcmp(type, "m.room.create") == 0)
		s = xasprintf("%s created this", who);
	else if (strcmp(type, "m.room.encryption") == 0)
		s = xasprintf("%s turned on end-to-end encryption", who);
	else if (strcmp(type, "m.room.avatar") == 0)
		s = xasprintf("%s changed the picture", who);
	else if (strcmp(type, "m.room.power_levels") == 0)
		s = xasprintf("%s changed roles and permissions", who);
	else if (strcmp(type, "m.room.join_rules") == 0) {
		v = json_get_str(c, "join_rule", "");
		tv = sanitize_text(v, (size_t)-1, 0);
		s = xasprintf("%s set who can join to %s", who, tv);
		free(tv);
	} else if (strcmp(type, "m.room.history_visibility") == 0) {
		v = json_get_str(c, "history_visibility", "");
		tv = sanitize_text(v, (size_t)-1, 0);
		s = xasprintf("%s set history visibility to %s", who, tv);
		free(tv);
	}
	free(who);
	return s;
}

/* Whether an event takes no line of its own (folded or invisible). */
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
    const struct event_row *ev, enum outbox_state *state)
{
	json_t		*c, *nc, *found = NULL;
	const char	*rt;
	size_t		 i;

	*state = OUTBOX_NONE;
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

/* Render one message-like event (m.room.message, sticker, encrypted). */
static void
render_message(struct render_out *o, const struct render_opts *ro,
    const struct render_deco *d, const struct event_row *evs, size_t n,
    const struct event_row *ev, const json_t *c, int header,
    enum outbox_state edit)
{
	struct render_rich	 r;
	struct event_row	 tmp;
	const struct event_row	*red;
	const char		*msgtype, *reply, *raw;
	char			*name, *text, *clean, *cut, tbuf[16], *by;
	int			 base, ind, tw, owned;

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

	msgtype = json_get_str(c, "msgtype", "m.text");
	reply = render_reply_to(ev, c);
	raw = json_get_str(c, "body", "");
	if (reply != NULL)
		render_reply_preview(o, ro, d, evs, n, reply, raw, ind);

	base = STY(RA_TEXT, 0);
	if (strcmp(msgtype, "m.notice") == 0)
		base = STY(RA_NOTICE, 0);
	else if (strcmp(msgtype, "m.emote") == 0)
		base = STY(RA_EMOTE, 0);
	if (ev->echo == OUTBOX_PENDING || ev->echo == OUTBOX_SENDING)
		base = STY(RA_PENDING, 0);

	if (strcmp(ev->type, "m.room.encrypted") == 0) {
		text = xstrdup("unable to decrypt this message");
		base = STY(RA_DIM, 0);
	} else if (c == NULL) {
		text = xstrdup("unreadable message");
		base = STY(RA_DIM, 0);
	} else if (strcmp(ev->type, "m.sticker") == 0)
		text = xasprintf("[sticker: %s]", raw);
	else
		text = render_body_text(c, reply != NULL);
	/* "@bob:haos.test" reads as "@Bob" (mention.c). */
	clean = mention_names(text, ro->name_of, ro->name_arg);
	free(text);
	text = clean;
	clean = sanitize_text(text, (size_t)-1, SANITIZE_NEWLINES);
	/* Trailing blank lines would only make empty rows. */
	for (tw = (int)strlen(clean); tw > 0 && (clean[tw - 1] == '\n' ||
	    clean[tw - 1] == ' '); tw--)
		clean[tw - 1] = '\0';
	if (strcmp(msgtype, "m.emote") == 0) {
		render_rich_str(&r, "* ", base);
		render_rich_str(&r, name, base);
		render_rich_str(&r, " ", base);
	}
	render_rich_body(&r, ro, clean, base);
	if (ev->edited_by != NULL || edit != OUTBOX_NONE)
		render_rich_str(&r, " (edited)", STY(RA_DIM, 0));
	if (edit == OUTBOX_NONE)
		edit = ev->echo;
	if (edit == OUTBOX_PENDING || edit == OUTBOX_SENDING)
		render_rich_str(&r, d->sending, STY(RA_PENDING, 0));
	else if (edit == OUTBOX_FAILED)
		render_rich_str(&r, d->failed, STY(RA_FAILED, 0));
	render_wrap_rich(o, &r, ind, ind);
	render_rich_free(&r);
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
	size_t			 i;
	int			 day, header, unread = 0, msg, tw;

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
		if (!msg) {
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
			    ev->ts - g.ts >= RENDER_GROUP_MS ||
			    ev->ts < g.ts;
			nc = render_pending_edit(evs, n, ev, &edit);
			render_message(&o, ro, d, evs, n, ev,
			    nc != NULL ? nc : c, header, edit);
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
next:
		if (ro->unread_after != NULL && ev->event_id != NULL &&
		    strcmp(ev->event_id, ro->unread_after) == 0)
			unread = 1;
		json_decref(c);
	}
	*lines = o.lines;
	*nlines = o.n;
	return 0;
}
