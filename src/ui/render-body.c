/* Message content to text: body, reply fallback, HTML, media, mentions. */
#include "haos/render.h"

#include <stdlib.h>
#include <string.h>

#include "haos/files.h"
#include "haos/json.h"
#include "haos/mention.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"
#include "render-int.h"


size_t
render_url_len(const char *s, size_t len)
{
	size_t	 n, i;
	int	 open = 0;

	for (n = 0; n < len && s[n] != ' ' && s[n] != '\n' &&
	    s[n] != '\t' && s[n] != '<' && s[n] != '>' && s[n] != '"'; n++)
		;
	for (;;) {
		if (n > 0 && strchr(".,;:!?'", s[n - 1]) != NULL) {
			n--;
			continue;
		}
		if (n == 0 || s[n - 1] != ')')
			break;
		/* Keep a ")" the URL opened: wiki/Foo_(bar). */
		for (open = 0, i = 0; i + 1 < n; i++)
			open += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
		if (open > 0)
			break;
		n--;
	}
	return n;
}

/*
 * Append a sanitised body with base style: mentions of me (user id or
 * display name) become RA_MENTION, http(s) URLs RA_LINK, each its own
 * link (render_rich_link()).
 */
void
render_rich_body(struct render_rich *r, const struct render_opts *ro,
    const char *body, int base)
{
	size_t	 start, i, len, m, n;
	int	 link, mention;

	/* Bold or italic text keeps them (formatted_body). */
	mention = STY_F(RA_MENTION, STY_FLAGS(base) & ~RF_COLOR, 0);
	start = r->len;
	len = strlen(body);
	render_rich_add(r, body, len, base);
	for (i = 0; i < len; i++) {
		if ((strncmp(body + i, "https://", 8) == 0 ||
		    strncmp(body + i, "http://", 7) == 0) &&
		    (i == 0 || body[i - 1] == ' ' || body[i - 1] == '\n' ||
		    body[i - 1] == '(' || body[i - 1] == '<')) {
			n = render_url_len(body + i, len - i);
			/* Its own link, unless inside an <a> that has one. */
			link = base;
			if (STY_ATTR(base) != RA_LINK || STY_COLOR(base) == 0)
				link = STY_F(RA_LINK, STY_FLAGS(base) &
				    ~RF_COLOR, render_rich_link(r, body + i,
				    n));
			for (m = i; m < i + n; m++)
				r->sty[start + m] = link;
			i = m - 1;
			continue;
		}
		m = 0;
		if (ro->me != NULL)
			m = mention_match_word(body, len, i, ro->me);
		if (m == 0 && ro->my_name != NULL)
			m = mention_match_word(body, len, i, ro->my_name);
		if (m > 0) {
			/* "@Alice Anders" (a user id shown as its name). */
			if (i > 0 && body[i - 1] == '@')
				r->sty[start + i - 1] = mention;
			for (; m > 0; m--, i++)
				r->sty[start + i] = mention;
			i--;
		}
	}
}

/*
 * Whether content is a reply (m.relates_to.m.in_reply_to.event_id).  The
 * m.in_reply_to of a thread reply with is_falling_back is only a fallback
 * for clients without threads, not a reply (spec, "Threading").
 */
const char *
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

/*
 * Parse event content.  Invalid UTF-8 makes jansson refuse the text, so
 * retry with it sanitised (bad bytes become U+FFFD); NUL escapes are
 * allowed and dropped later with the other controls.
 */
json_t *
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
 * The formatted_body to draw (NULs removed), or NULL: only HTML of a
 * text, notice or emote (media keep their "[image: name]" line).
 */
char *
render_formatted(const json_t *c)
{
	const char	*msgtype;

	msgtype = json_get_str(c, "msgtype", "m.text");
	if (strcmp(json_get_str(c, "format", ""), "org.matrix.custom.html") !=
	    0 || (strcmp(msgtype, "m.text") != 0 &&
	    strcmp(msgtype, "m.notice") != 0 &&
	    strcmp(msgtype, "m.emote") != 0))
		return NULL;
	return render_get_text(c, "formatted_body");
}

/*
 * The text a message shows, unsanitised: the body without its reply
 * fallback, "[image: name, 120 KB]" for media (the size when info has
 * it).  Returns an allocated string.
 */
char *
render_body_text(const json_t *c, int reply)
{
	const char	*msgtype, *body, *file, *kind = NULL;
	const json_t	*size;
	char		*text, *fb, *all, *sz;

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
	/* An attachment's size: "[image: shot.png, 120 KB]". */
	size = json_path(c, "info.size");
	sz = kind != NULL && strcmp(msgtype, "m.location") != 0 &&
	    json_is_integer(size) &&
	    json_integer_value(size) >= 0 ?
	    files_human_size((int64_t)json_integer_value(size)) : NULL;
	if (kind == NULL)
		text = xstrdup(body);
	else if (file != NULL && *body != '\0' && strcmp(file, body) != 0)
		text = xasprintf("[%s: %s%s%s] %s", kind, file,
		    sz != NULL ? ", " : "", sz != NULL ? sz : "", body);
	else
		text = xasprintf("[%s: %s%s%s]", kind, file != NULL ? file :
		    body, sz != NULL ? ", " : "", sz != NULL ? sz : "");
	free(sz);
	free(all);
	return text;
}

const char *
render_e2e_text(enum e2e_state e2e)
{
	switch (e2e) {
	case E2E_NONE:
	case E2E_DECRYPTED:	/* its type would not be m.room.encrypted */
	case E2E_WAITING:
		break;
	case E2E_UNKNOWN_INDEX:
		return "the key to this message starts after it: waiting for "
		    "an older key";
	case E2E_REPLAY:
		return "refused: possible replay (this key index came with "
		    "another message)";
	case E2E_BAD_SENDER:
		return "refused: the key does not belong to this sender or "
		    "room";
	case E2E_BAD:
		return "unable to decrypt this message";
	case E2E_WITHHELD:
		return "the sender withheld the key to this message";
	}
	return "waiting for the key to this message";
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
