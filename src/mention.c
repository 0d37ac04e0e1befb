/* Mentions: detection in bodies, m.mentions, matrix.to pills; no curses. */
#include "haos/mention.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "haos/error.h"
#include "haos/log.h"
#include "haos/markdown.h"
#include "haos/model.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define MENTION_LINK	"https://matrix.to/#/"

static void
mention_adds(struct xbuf *b, const char *s)
{
	xbuf_add(b, s, strlen(s));
}

/* Append s[0..n) HTML-escaped, newlines as <br>. */
static void
mention_add_html(struct xbuf *b, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			mention_adds(b, "&amp;");
			break;
		case '<':
			mention_adds(b, "&lt;");
			break;
		case '>':
			mention_adds(b, "&gt;");
			break;
		case '"':
			mention_adds(b, "&quot;");
			break;
		case '\'':
			mention_adds(b, "&#39;");
			break;
		case '\n':
			mention_adds(b, "<br>");
			break;
		default:
			xbuf_add(b, s + i, 1);
			break;
		}
	}
}

char *
mention_html_escape(const char *text, size_t len)
{
	struct xbuf	 b;

	memset(&b, 0, sizeof b);
	xbuf_add(&b, "", 0);
	mention_add_html(&b, text, len);
	return b.p;
}

/* A letter, digit or '_': what a word is made of. */
static int
mention_word_cp(int32_t cp)
{
	utf8proc_category_t	 c;

	if (cp < 0)
		return 0;
	if (cp == '_')
		return 1;
	c = utf8proc_category(cp);
	return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_ND) ||
	    c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

/* The code point ending at s[i] (i > 0), or -1. */
static int32_t
mention_prev_cp(const char *s, size_t i)
{
	size_t	 j = i;
	int32_t	 cp;

	do
		j--;
	while (j > 0 && ((unsigned char)s[j] & 0xc0) == 0x80);
	if (utf8proc_iterate((const utf8proc_uint8_t *)s + j,
	    (utf8proc_ssize_t)(i - j), &cp) <= 0)
		return -1;
	return cp;
}

/* The code point at s[i], or -1 at the end or on bad UTF-8. */
static int32_t
mention_next_cp(const char *s, size_t len, size_t i)
{
	int32_t	 cp;

	if (i >= len || utf8proc_iterate((const utf8proc_uint8_t *)s + i,
	    (utf8proc_ssize_t)(len - i), &cp) <= 0)
		return -1;
	return cp;
}

/* Bytes of s matching needle ignoring case, or 0. */
static size_t
mention_match_ci(const char *s, size_t len, const char *needle)
{
	const utf8proc_uint8_t	*a = (const utf8proc_uint8_t *)s;
	const utf8proc_uint8_t	*b = (const utf8proc_uint8_t *)needle;
	size_t			 p = 0, q = 0, nlen = strlen(needle);
	utf8proc_ssize_t	 na, nb;
	int32_t			 ca, cb;

	if (nlen == 0)
		return 0;
	while (q < nlen) {
		if (p >= len)
			return 0;
		na = utf8proc_iterate(a + p, (utf8proc_ssize_t)(len - p), &ca);
		nb = utf8proc_iterate(b + q, (utf8proc_ssize_t)(nlen - q), &cb);
		if (na <= 0 || nb <= 0 ||
		    utf8proc_tolower(ca) != utf8proc_tolower(cb))
			return 0;
		p += (size_t)na;
		q += (size_t)nb;
	}
	return p;
}

/* Whether s[i..i+n) stands alone: no word character either side. */
static int
mention_bounded(const char *s, size_t len, size_t i, size_t n)
{
	if (i > 0 && mention_word_cp(mention_prev_cp(s, i)))
		return 0;
	return !mention_word_cp(mention_next_cp(s, len, i + n));
}

size_t
mention_match_word(const char *s, size_t len, size_t i, const char *needle)
{
	size_t	 n;

	if (i > len)
		return 0;
	n = mention_match_ci(s + i, len - i, needle);
	if (n == 0 || !mention_bounded(s, len, i, n))
		return 0;
	return n;
}

int
mention_find_word(const char *text, const char *needle)
{
	size_t	 len, i, n;

	if (text == NULL || needle == NULL || *needle == '\0')
		return 0;
	len = strlen(text);
	for (i = 0; i < len; i++) {
		if (((unsigned char)text[i] & 0xc0) == 0x80)
			continue;
		n = mention_match_ci(text + i, len - i, needle);
		if (n > 0 && mention_bounded(text, len, i, n))
			return 1;
	}
	return 0;
}

int
mention_of_me(const json_t *content, const char *me, const char *my_name)
{
	json_t		*ids, *v;
	const char	*body;
	size_t		 i;

	if (content == NULL || me == NULL)
		return 0;
	ids = json_get_arr(json_get_obj(content, "m.mentions"), "user_ids");
	json_array_foreach(ids, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), me) == 0)
			return 1;
	}
	body = json_get_str(content, "body", NULL);
	if (body == NULL)
		return 0;
	if (mention_find_word(body, me))
		return 1;
	return my_name != NULL && *my_name != '\0' &&
	    mention_find_word(body, my_name);
}

/* The member mentioned at text[i] ('@'), longest match; its length. */
static const struct mention_member *
mention_at(const char *text, size_t len, size_t i,
    const struct mention_member *m, size_t n, size_t *mlen)
{
	const struct mention_member	*best = NULL;
	size_t				 k, l;

	*mlen = 0;
	if (i > 0 && mention_word_cp(mention_prev_cp(text, i)))
		return NULL;
	for (k = 0; k < n; k++) {
		if (m[k].user_id == NULL || m[k].user_id[0] != '@')
			continue;
		l = strlen(m[k].user_id);
		if (l <= len - i && strncmp(text + i, m[k].user_id, l) == 0 &&
		    mention_bounded(text, len, i, l) && l > *mlen) {
			*mlen = l;
			best = &m[k];
		}
		if (m[k].name == NULL || *m[k].name == '\0')
			continue;
		l = mention_match_ci(text + i + 1, len - i - 1, m[k].name);
		if (l > 0 && !mention_word_cp(mention_next_cp(text, len,
		    i + 1 + l)) && l + 1 > *mlen) {
			*mlen = l + 1;
			best = &m[k];
		}
	}
	return best;
}

/* The members to look mentions up in, for markdown_html()'s pills. */
struct mention_list {
	const struct mention_member	*m;
	size_t				 n;
};

static size_t
mention_pill(void *arg, const char *text, size_t len, size_t i,
    const char **user_id, const char **show)
{
	const struct mention_list	*l = arg;
	const struct mention_member	*who;
	size_t				 mlen;

	who = mention_at(text, len, i, l->m, l->n, &mlen);
	if (who == NULL)
		return 0;
	*user_id = who->user_id;
	*show = who->name != NULL && *who->name != '\0' ? who->name :
	    who->user_id;
	return mlen;
}

size_t
mention_build(json_t *content, const char *text,
    const struct mention_member *m, size_t n, int flags)
{
	const struct mention_member	*who;
	struct mention_list		 l = { m, n };
	struct markdown_range		*code = NULL;
	struct xbuf			 body;
	json_t				*ids, *v;
	const char			*show;
	char				*html = NULL;
	size_t				 len, i, mlen, k, count = 0;
	size_t				 ncode = 0, c = 0;
	int				 seen;

	if (text == NULL)
		return 0;
	memset(&body, 0, sizeof body);
	xbuf_add(&body, "", 0);
	ids = json_array();
	len = strlen(text);
	/* Code stays as typed and mentions no one (Element). */
	if (!(flags & MENTION_PLAIN) && n > 0 && strchr(text, '@') != NULL)
		ncode = markdown_code(text, &code);
	for (i = 0; i < len;) {
		while (c < ncode && code[c].end <= i)
			c++;
		if (c < ncode && code[c].start <= i) {
			xbuf_add(&body, text + i, code[c].end - i);
			i = code[c].end;
			continue;
		}
		who = text[i] == '@' && n > 0 ?
		    mention_at(text, len, i, m, n, &mlen) : NULL;
		if (who == NULL) {
			xbuf_add(&body, text + i, 1);
			i++;
			continue;
		}
		show = who->name != NULL && *who->name != '\0' ? who->name :
		    who->user_id;
		mention_adds(&body, show);
		seen = 0;
		json_array_foreach(ids, k, v) {
			if (strcmp(json_string_value(v), who->user_id) == 0)
				seen = 1;
		}
		if (!seen) {
			json_array_append_new(ids, json_string(who->user_id));
			count++;
		}
		i += mlen;
	}
	if (count > 0) {
		if (!(flags & MENTION_PLAIN))
			json_object_set_new(content, "body",
			    json_string(body.p));
		json_object_set_new(content, "m.mentions",
		    json_pack("{s:O}", "user_ids", ids));
	}
	if (!(flags & MENTION_PLAIN))
		html = markdown_html(text, mention_pill, &l);
	if (html != NULL) {
		json_object_set_new(content, "format",
		    json_string("org.matrix.custom.html"));
		json_object_set_new(content, "formatted_body",
		    json_string(html));
		free(html);
	}
	json_decref(ids);
	free(body.p);
	free(code);
	return count;
}

size_t
mention_room(struct store *s, const char *room_id, json_t *content,
    const char *text, int flags)
{
	struct haos_error	 err;
	struct member_row	*rows = NULL;
	struct mention_member	*m;
	size_t			 nrows = 0, i, n = 0, count;

	if (text == NULL)
		return 0;
	if (s == NULL || room_id == NULL || strchr(text, '@') == NULL)
		return mention_build(content, text, NULL, 0, flags);
	if (store_query_members(s, room_id, &rows, &nrows, &err) == -1) {
		log_warn("mention", "members: %s", err.msg);
		return mention_build(content, text, NULL, 0, flags);
	}
	m = xcalloc(nrows + 1, sizeof *m);
	for (i = 0; i < nrows; i++) {
		if (rows[i].membership == NULL ||
		    strcmp(rows[i].membership, "join") != 0)
			continue;
		m[n].user_id = rows[i].user_id;
		m[n++].name = rows[i].displayname;
	}
	count = mention_build(content, text, m, n, flags);
	free(m);
	member_rows_free(rows, nrows);
	return count;
}

/* A character of a user id's localpart or server name. */
static int
mention_id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("._=-/+:[]", c) != NULL;
}

char *
mention_names(const char *text,
    const char *(*name_of)(void *, const char *), void *arg)
{
	struct xbuf	 out;
	const char		*name;
	char			*id;
	size_t			 len, i, e;

	memset(&out, 0, sizeof out);
	xbuf_add(&out, "", 0);
	if (text == NULL)
		return out.p;
	len = strlen(text);
	for (i = 0; i < len;) {
		if (text[i] != '@' || name_of == NULL || (i > 0 &&
		    mention_id_char(text[i - 1]))) {
			xbuf_add(&out, text + i, 1);
			i++;
			continue;
		}
		for (e = i + 1; e < len && mention_id_char(text[e]); e++)
			;
		/* "@bob:haos.test." ends a sentence, not the server. */
		while (e > i + 1 && (text[e - 1] == '.' || text[e - 1] == ':'))
			e--;
		id = xasprintf("%.*s", (int)(e - i), text + i);
		name = strchr(id + 1, ':') != NULL ? name_of(arg, id) : NULL;
		if (name != NULL && *name != '\0' && strcmp(name, id) != 0) {
			mention_adds(&out, "@");
			mention_adds(&out, name);
		} else
			xbuf_add(&out, text + i, e - i);
		free(id);
		i = e;
	}
	return out.p;
}
