/* UTF-8 line editor: grapheme moves, kill ring, history, completion. */
#include "haos/editor.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "haos/sanitize.h"
#include "haos/xmalloc.h"

#define EDITOR_KILLS		16	/* kill ring entries kept */
#define EDITOR_HISTORY		200	/* lines kept per room */

/* One room's sent lines, oldest first, and the walk through them. */
struct editor_history {
	char		*room_id;
	char		**items;
	size_t		 n;
	size_t		 pos;	/* == n: at the draft */
	char		*draft;	/* what was typed before walking */
	struct editor_history *next;
};

/*
 * The text is always valid UTF-8 without controls other than '\n'
 * (editor_insert sanitises), and the cursor is on a grapheme boundary.
 */
struct editor {
	char		*buf;
	size_t		 len, cap;
	size_t		 cur;		/* byte offset */

	char		*kills[EDITOR_KILLS];	/* [0] is the newest */
	int		 killing;	/* the last command was a kill */

	struct editor_history *history;

	/* Completion in progress; valid while completing is set. */
	int		 completing;
	size_t		 comp_start;	/* start of the completed word */
	char		**comp;		/* matching candidates */
	size_t		 ncomp, comp_i;
};

/* Forget the kill chain and completion: any command but those does. */
static void
editor_touch(struct editor *e)
{
	size_t	 i;

	e->killing = 0;
	if (e->completing) {
		for (i = 0; i < e->ncomp; i++)
			free(e->comp[i]);
		free(e->comp);
		e->comp = NULL;
		e->ncomp = e->comp_i = 0;
		e->completing = 0;
	}
}

struct editor *
editor_new(void)
{
	struct editor	*e;

	e = xcalloc(1, sizeof *e);
	e->cap = 64;
	e->buf = xcalloc(1, e->cap);
	return e;
}

void
editor_free(struct editor *e)
{
	struct editor_history	*h, *hn;
	size_t			 i;

	if (e == NULL)
		return;
	editor_touch(e);
	for (i = 0; i < EDITOR_KILLS; i++)
		free(e->kills[i]);
	for (h = e->history; h != NULL; h = hn) {
		hn = h->next;
		for (i = 0; i < h->n; i++)
			free(h->items[i]);
		free(h->items);
		free(h->draft);
		free(h->room_id);
		free(h);
	}
	free(e->buf);
	free(e);
}

const char *
editor_text(const struct editor *e)
{
	return e->buf;
}

size_t
editor_cursor(const struct editor *e)
{
	return e->cur;
}

/* Replace bytes [from, to) with s, leaving the cursor after s. */
static void
editor_splice(struct editor *e, size_t from, size_t to, const char *s)
{
	size_t	 n = strlen(s);

	if (e->len - (to - from) + n + 1 > e->cap) {
		while (e->len - (to - from) + n + 1 > e->cap)
			e->cap *= 2;
		e->buf = xrealloc(e->buf, e->cap);
	}
	memmove(e->buf + from + n, e->buf + to, e->len - to + 1);
	memcpy(e->buf + from, s, n);
	e->len = e->len - (to - from) + n;
	e->cur = from + n;
}

/* Start of the grapheme cluster that ends at pos. */
static size_t
editor_prev(const struct editor *e, size_t pos)
{
	size_t	 p, n, last = 0;
	int	 w;

	/* Clusters never span a newline, so start from the line. */
	for (p = pos; p > 0 && e->buf[p - 1] != '\n'; p--)
		;
	if (p == pos)
		return pos > 0 ? pos - 1 : 0;
	last = p;
	while (p < pos) {
		n = sanitize_grapheme(e->buf + p, pos - p, &w);
		if (n == 0)
			break;
		last = p;
		p += n;
	}
	return last;
}

/* End of the grapheme cluster that starts at pos. */
static size_t
editor_next(const struct editor *e, size_t pos)
{
	int	 w;

	return pos + sanitize_grapheme(e->buf + pos, e->len - pos, &w);
}

int
editor_cursor_col(const struct editor *e)
{
	size_t	 p;
	int	 col = 0, w;

	for (p = e->cur; p > 0 && e->buf[p - 1] != '\n'; p--)
		;
	while (p < e->cur) {
		p += sanitize_grapheme(e->buf + p, e->cur - p, &w);
		col += w;
	}
	return col;
}

void
editor_set(struct editor *e, const char *text)
{
	char	*clean;

	editor_touch(e);
	clean = sanitize_text(text != NULL ? text : "", (size_t)-1,
	    SANITIZE_NEWLINES);
	editor_splice(e, 0, e->len, clean);
	free(clean);
}

void
editor_clear(struct editor *e)
{
	editor_set(e, "");
}

void
editor_insert(struct editor *e, const char *utf8)
{
	char	*clean;

	editor_touch(e);
	clean = sanitize_text(utf8 != NULL ? utf8 : "", (size_t)-1,
	    SANITIZE_NEWLINES);
	editor_splice(e, e->cur, e->cur, clean);
	free(clean);
}

void
editor_left(struct editor *e)
{
	editor_touch(e);
	e->cur = editor_prev(e, e->cur);
}

void
editor_right(struct editor *e)
{
	editor_touch(e);
	e->cur = editor_next(e, e->cur);
}

/* Whether the cluster at pos is part of a word (letters, digits, _). */
static int
editor_is_word(const struct editor *e, size_t pos)
{
	utf8proc_int32_t	 cp;
	utf8proc_category_t	 c;

	if (utf8proc_iterate((const utf8proc_uint8_t *)e->buf + pos,
	    (utf8proc_ssize_t)(e->len - pos), &cp) <= 0)
		return 0;
	if (cp == '_')
		return 1;
	c = utf8proc_category(cp);
	return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_ME) ||
	    (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

static int
editor_is_space(const struct editor *e, size_t pos)
{
	return e->buf[pos] == ' ' || e->buf[pos] == '\n';
}

/* Start of the word before pos; by spaces only when spaces is set. */
static size_t
editor_word_start(const struct editor *e, size_t pos, int spaces)
{
	size_t	 p;

	while (pos > 0) {
		p = editor_prev(e, pos);
		if (spaces ? !editor_is_space(e, p) : editor_is_word(e, p))
			break;
		pos = p;
	}
	while (pos > 0) {
		p = editor_prev(e, pos);
		if (spaces ? editor_is_space(e, p) : !editor_is_word(e, p))
			break;
		pos = p;
	}
	return pos;
}

void
editor_word_left(struct editor *e)
{
	editor_touch(e);
	e->cur = editor_word_start(e, e->cur, 0);
}

void
editor_word_right(struct editor *e)
{
	editor_touch(e);
	while (e->cur < e->len && !editor_is_word(e, e->cur))
		e->cur = editor_next(e, e->cur);
	while (e->cur < e->len && editor_is_word(e, e->cur))
		e->cur = editor_next(e, e->cur);
}

void
editor_home(struct editor *e)
{
	editor_touch(e);
	while (e->cur > 0 && e->buf[e->cur - 1] != '\n')
		e->cur--;
}

void
editor_end(struct editor *e)
{
	editor_touch(e);
	while (e->cur < e->len && e->buf[e->cur] != '\n')
		e->cur++;
}

void
editor_backspace(struct editor *e)
{
	editor_touch(e);
	if (e->cur > 0)
		editor_splice(e, editor_prev(e, e->cur), e->cur, "");
}

void
editor_delete(struct editor *e)
{
	size_t	 at = e->cur;

	editor_touch(e);
	if (at < e->len) {
		editor_splice(e, at, editor_next(e, at), "");
		e->cur = at;
	}
}

/*
 * Cut [from, to) into the kill ring.  Consecutive kills grow one entry,
 * as in Emacs: backward kills prepend, forward kills append.
 */
static void
editor_kill(struct editor *e, size_t from, size_t to, int backward)
{
	char	*s, *old;
	int	 chain = e->killing;

	editor_touch(e);
	if (from >= to) {
		e->killing = chain;
		return;
	}
	s = xstrndup(e->buf + from, to - from);
	if (chain && e->kills[0] != NULL) {
		old = e->kills[0];
		e->kills[0] = backward ? xasprintf("%s%s", s, old) :
		    xasprintf("%s%s", old, s);
		free(old);
		free(s);
	} else {
		free(e->kills[EDITOR_KILLS - 1]);
		memmove(&e->kills[1], &e->kills[0],
		    (EDITOR_KILLS - 1) * sizeof e->kills[0]);
		e->kills[0] = s;
	}
	editor_splice(e, from, to, "");
	e->cur = from;
	e->killing = 1;
}

void
editor_kill_word_back(struct editor *e)
{
	editor_kill(e, editor_word_start(e, e->cur, 1), e->cur, 1);
}

void
editor_kill_to_start(struct editor *e)
{
	size_t	 p;

	for (p = e->cur; p > 0 && e->buf[p - 1] != '\n'; p--)
		;
	editor_kill(e, p, e->cur, 1);
}

void
editor_kill_to_end(struct editor *e)
{
	size_t	 p;

	for (p = e->cur; p < e->len && e->buf[p] != '\n'; p++)
		;
	/* At the end of a line, C-k joins the next one. */
	if (p == e->cur && p < e->len)
		p++;
	editor_kill(e, e->cur, p, 0);
}

void
editor_yank(struct editor *e)
{
	editor_touch(e);
	if (e->kills[0] != NULL)
		editor_splice(e, e->cur, e->cur, e->kills[0]);
}

/* The history of room_id, created when create is set. */
static struct editor_history *
editor_history_get(struct editor *e, const char *room_id, int create)
{
	struct editor_history	*h;

	if (room_id == NULL)
		room_id = "";
	for (h = e->history; h != NULL; h = h->next) {
		if (strcmp(h->room_id, room_id) == 0)
			return h;
	}
	if (!create)
		return NULL;
	h = xcalloc(1, sizeof *h);
	h->room_id = xstrdup(room_id);
	h->next = e->history;
	e->history = h;
	return h;
}

void
editor_history_add(struct editor *e, const char *room_id, const char *text)
{
	struct editor_history	*h;

	h = editor_history_get(e, room_id, 1);
	free(h->draft);
	h->draft = NULL;
	if (text == NULL || *text == '\0' ||
	    (h->n > 0 && strcmp(h->items[h->n - 1], text) == 0)) {
		h->pos = h->n;
		return;
	}
	if (h->n == EDITOR_HISTORY) {
		free(h->items[0]);
		memmove(&h->items[0], &h->items[1],
		    (h->n - 1) * sizeof h->items[0]);
		h->n--;
	}
	h->items = xrealloc(h->items, (h->n + 1) * sizeof h->items[0]);
	h->items[h->n++] = xstrdup(text);
	h->pos = h->n;
}

/* Step to an older line; the first step keeps the text as the draft. */
int
editor_history_prev(struct editor *e, const char *room_id)
{
	struct editor_history	*h;

	h = editor_history_get(e, room_id, 0);
	if (h == NULL || h->pos == 0)
		return 0;
	if (h->pos == h->n) {
		free(h->draft);
		h->draft = xstrdup(e->buf);
	}
	h->pos--;
	editor_set(e, h->items[h->pos]);
	return 1;
}

/* Step to a newer line, and back to the draft after the newest. */
int
editor_history_next(struct editor *e, const char *room_id)
{
	struct editor_history	*h;

	h = editor_history_get(e, room_id, 0);
	if (h == NULL || h->pos >= h->n)
		return 0;
	h->pos++;
	if (h->pos == h->n) {
		editor_set(e, h->draft != NULL ? h->draft : "");
		free(h->draft);
		h->draft = NULL;
	} else
		editor_set(e, h->items[h->pos]);
	return 1;
}

/* Whether s starts with prefix (n bytes), ignoring case. */
static int
editor_prefix_ci(const char *s, const char *prefix, size_t n)
{
	const utf8proc_uint8_t	*a = (const utf8proc_uint8_t *)s;
	const utf8proc_uint8_t	*b = (const utf8proc_uint8_t *)prefix;
	utf8proc_ssize_t	 na, nb;
	utf8proc_int32_t	 ca, cb;
	size_t			 p = 0, q = 0, slen = strlen(s);

	while (q < n) {
		if (p >= slen)
			return 0;
		na = utf8proc_iterate(a + p, (utf8proc_ssize_t)(slen - p), &ca);
		nb = utf8proc_iterate(b + q, (utf8proc_ssize_t)(n - q), &cb);
		if (na <= 0 || nb <= 0 ||
		    utf8proc_tolower(ca) != utf8proc_tolower(cb))
			return 0;
		p += (size_t)na;
		q += (size_t)nb;
	}
	return 1;
}

/*
 * Complete the word before the cursor (back to a space).  One match is
 * inserted with a trailing space; with several, each call puts in the
 * next one, in the order of the candidates, wrapping around.
 */
int
editor_complete(struct editor *e, const char *const *cand, size_t ncand)
{
	size_t	 start, i;
	char	*with;

	if (e->completing) {
		e->comp_i = (e->comp_i + 1) % e->ncomp;
		editor_splice(e, e->comp_start, e->cur, e->comp[e->comp_i]);
		return 1;
	}
	editor_touch(e);
	start = e->cur;
	while (start > 0 && e->buf[start - 1] != ' ' &&
	    e->buf[start - 1] != '\n')
		start--;
	if (start == e->cur)
		return 0;
	for (i = 0; i < ncand; i++) {
		if (cand[i] == NULL ||
		    !editor_prefix_ci(cand[i], e->buf + start, e->cur - start))
			continue;
		e->comp = xrealloc(e->comp, (e->ncomp + 1) * sizeof *e->comp);
		e->comp[e->ncomp++] = sanitize_text(cand[i], (size_t)-1, 0);
	}
	if (e->ncomp == 0) {
		free(e->comp);
		e->comp = NULL;
		return 0;
	}
	if (e->ncomp == 1) {
		with = xasprintf("%s ", e->comp[0]);
		editor_splice(e, start, e->cur, with);
		free(with);
		e->completing = 1;	/* so that touch frees comp */
		editor_touch(e);
		return 1;
	}
	e->completing = 1;
	e->comp_start = start;
	e->comp_i = 0;
	editor_splice(e, start, e->cur, e->comp[0]);
	return 1;
}
