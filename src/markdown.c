/* Outgoing Markdown with libcmark: typed text → Element's HTML. */
#include "haos/markdown.h"

#include <stdlib.h>
#include <string.h>

#include <cmark.h>

#include "haos/xmalloc.h"

#define MARKDOWN_LINK	"https://matrix.to/#/"

/* Nodes collected from a walk, to change once the walk is over. */
struct markdown_nodes {
	cmark_node	**v;
	size_t		  n, cap;
};

static void
markdown_push(struct markdown_nodes *l, cmark_node *node)
{
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 16 : l->cap * 2;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = node;
}

/* The nodes of doc of type t (entering), in document order. */
static void
markdown_collect(cmark_node *doc, cmark_node_type t,
    struct markdown_nodes *l)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*node;

	it = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		node = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(node) == t)
			markdown_push(l, node);
	}
	cmark_iter_free(it);
}

static cmark_node *
markdown_text(const char *s, size_t len)
{
	cmark_node	*t;
	char		*lit;

	lit = xstrndup(s, len);
	t = cmark_node_new(CMARK_NODE_TEXT);
	cmark_node_set_literal(t, lit);
	free(lit);
	return t;
}

/*
 * Raw HTML typed is text, as Element escapes the tags it does not allow
 * (we allow none): an inline tag becomes a text node, a block of HTML a
 * paragraph of its text.
 */
static void
markdown_unhtml(cmark_node *doc)
{
	struct markdown_nodes	 l = { 0 };
	cmark_node		*old, *repl, *t;
	const char		*lit;
	size_t			 i, len;

	markdown_collect(doc, CMARK_NODE_HTML_INLINE, &l);
	markdown_collect(doc, CMARK_NODE_HTML_BLOCK, &l);
	for (i = 0; i < l.n; i++) {
		old = l.v[i];
		lit = cmark_node_get_literal(old);
		if (lit == NULL)
			lit = "";
		len = strlen(lit);
		if (cmark_node_get_type(old) == CMARK_NODE_HTML_INLINE)
			repl = markdown_text(lit, len);
		else {
			while (len > 0 && lit[len - 1] == '\n')
				len--;
			t = markdown_text(lit, len);
			repl = cmark_node_new(CMARK_NODE_PARAGRAPH);
			cmark_node_append_child(repl, t);
		}
		cmark_node_replace(old, repl);
		cmark_node_free(old);
	}
	free(l.v);
}

/*
 * A "~~" of s at or after from that can open a strikethrough (a
 * character other than a space after it, or the end of a node before
 * another inline: edge) or close one (such a character before it, or
 * the start of a node after another inline: edge), not part of a longer
 * run of '~'; NULL if none.
 */
static const char *
markdown_tildes(const char *s, const char *from, int open, int edge)
{
	const char	*p;
	size_t		 run;

	for (p = strstr(from, "~~"); p != NULL; p = strstr(p + run, "~~")) {
		run = strspn(p, "~");
		if (run != 2 || (p > s && p[-1] == '~'))
			continue;
		if (open && ((p[2] != '\0' && p[2] != ' ' && p[2] != '\n') ||
		    (p[2] == '\0' && edge)))
			return p;
		if (!open && ((p > s && p[-1] != ' ' && p[-1] != '\n') ||
		    (p == s && edge)))
			return p;
	}
	return NULL;
}

/*
 * Element's strikethrough, which CommonMark lacks: "~~text~~" in the
 * inlines of parent becomes <del>text</del> (a custom inline of cmark),
 * also around other inlines ("~~a **b**~~"), never in code.
 */
static void
markdown_strike_in(cmark_node *parent)
{
	cmark_node	*n, *m, *del, *x;
	const char	*o, *c = NULL;
	char		*s, *t;

	for (n = cmark_node_first_child(parent); n != NULL;) {
		if (cmark_node_get_type(n) != CMARK_NODE_TEXT ||
		    cmark_node_get_literal(n) == NULL) {
			n = cmark_node_next(n);
			continue;
		}
		s = xstrdup(cmark_node_get_literal(n));
		o = markdown_tildes(s, s, 1, cmark_node_next(n) != NULL);
		if (o != NULL)
			c = markdown_tildes(s, o + 2, 0, 0);
		if (o == NULL || c == NULL) {
			/* The close may be in a later text node. */
			for (m = cmark_node_next(n); o != NULL && m != NULL;
			    m = cmark_node_next(m)) {
				if (cmark_node_get_type(m) == CMARK_NODE_TEXT &&
				    cmark_node_get_literal(m) != NULL &&
				    markdown_tildes(cmark_node_get_literal(m),
				    cmark_node_get_literal(m), 0, 1) != NULL)
					break;
			}
			if (o == NULL || m == NULL) {
				free(s);
				n = cmark_node_next(n);
				continue;
			}
			del = cmark_node_new(CMARK_NODE_CUSTOM_INLINE);
			cmark_node_set_on_enter(del, "<del>");
			cmark_node_set_on_exit(del, "</del>");
			cmark_node_insert_after(n, del);
			if (o[2] != '\0')
				cmark_node_append_child(del,
				    markdown_text(o + 2, strlen(o + 2)));
			while ((x = cmark_node_next(del)) != m) {
				cmark_node_unlink(x);
				cmark_node_append_child(del, x);
			}
			t = xstrdup(cmark_node_get_literal(m));
			c = markdown_tildes(t, t, 0, 1);
			if (c > t)
				cmark_node_append_child(del,
				    markdown_text(t, (size_t)(c - t)));
			cmark_node_set_literal(m, c + 2);
			free(t);
			s[o - s] = '\0';
			cmark_node_set_literal(n, s);
			free(s);
			n = m;
			continue;
		}
		/* Open and close in this node: split it, go on after. */
		if (o > s)
			cmark_node_insert_before(n, markdown_text(s,
			    (size_t)(o - s)));
		del = cmark_node_new(CMARK_NODE_CUSTOM_INLINE);
		cmark_node_set_on_enter(del, "<del>");
		cmark_node_set_on_exit(del, "</del>");
		cmark_node_append_child(del, markdown_text(o + 2,
		    (size_t)(c - o - 2)));
		cmark_node_insert_before(n, del);
		cmark_node_set_literal(n, c + 2);
		free(s);
	}
}

static void
markdown_strike(cmark_node *doc)
{
	struct markdown_nodes	 l = { 0 };
	size_t			 i;

	markdown_collect(doc, CMARK_NODE_PARAGRAPH, &l);
	markdown_collect(doc, CMARK_NODE_HEADING, &l);
	markdown_collect(doc, CMARK_NODE_EMPH, &l);
	markdown_collect(doc, CMARK_NODE_STRONG, &l);
	markdown_collect(doc, CMARK_NODE_LINK, &l);
	for (i = 0; i < l.n; i++)
		markdown_strike_in(l.v[i]);
	free(l.v);
}

/* Whether node sits inside a link or an image (no pill there). */
static int
markdown_in_link(cmark_node *node)
{
	cmark_node_type	 t;

	for (node = cmark_node_parent(node); node != NULL;
	    node = cmark_node_parent(node)) {
		t = cmark_node_get_type(node);
		if (t == CMARK_NODE_LINK || t == CMARK_NODE_IMAGE)
			return 1;
	}
	return 0;
}

/* Split the text node at each mention into text and matrix.to links. */
static int
markdown_pill_node(cmark_node *node, markdown_pill_fn pill, void *arg)
{
	cmark_node	*link;
	const char	*s, *user_id, *show;
	char		*url;
	size_t		 len, i, start = 0, n;
	int		 found = 0;

	s = cmark_node_get_literal(node);
	if (s == NULL || strchr(s, '@') == NULL)
		return 0;
	len = strlen(s);
	for (i = 0; i < len;) {
		n = s[i] == '@' ? pill(arg, s, len, i, &user_id, &show) : 0;
		if (n == 0 || n > len - i) {
			i++;
			continue;
		}
		if (i > start)
			cmark_node_insert_before(node, markdown_text(s + start,
			    i - start));
		link = cmark_node_new(CMARK_NODE_LINK);
		url = xasprintf(MARKDOWN_LINK "%s", user_id);
		cmark_node_set_url(link, url);
		free(url);
		cmark_node_append_child(link, markdown_text(show,
		    strlen(show)));
		cmark_node_insert_before(node, link);
		found = 1;
		i += n;
		start = i;
	}
	if (!found)
		return 0;
	if (start < len)
		cmark_node_insert_before(node, markdown_text(s + start,
		    len - start));
	cmark_node_unlink(node);
	cmark_node_free(node);
	return 1;
}

/* Mentions in the plain text (not in code or links) become pills. */
static int
markdown_pills(cmark_node *doc, markdown_pill_fn pill, void *arg)
{
	struct markdown_nodes	 l = { 0 };
	size_t			 i;
	int			 found = 0;

	if (pill == NULL)
		return 0;
	markdown_collect(doc, CMARK_NODE_TEXT, &l);
	for (i = 0; i < l.n; i++) {
		if (!markdown_in_link(l.v[i]) &&
		    markdown_pill_node(l.v[i], pill, arg))
			found = 1;
	}
	free(l.v);
	return found;
}

/* Element's isPlainText(): only paragraphs, text and line breaks. */
static int
markdown_plain(cmark_node *doc)
{
	cmark_iter	*it;
	cmark_node	*node;
	int		 plain = 1;

	it = cmark_iter_new(doc);
	while (plain && cmark_iter_next(it) != CMARK_EVENT_DONE) {
		node = cmark_iter_get_node(it);
		switch (cmark_node_get_type(node)) {
		case CMARK_NODE_DOCUMENT:
		case CMARK_NODE_PARAGRAPH:
		case CMARK_NODE_TEXT:
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			break;
		default:
			plain = 0;
			break;
		}
	}
	cmark_iter_free(it);
	return plain;
}

/* Whether text has a CommonMark backslash escape (\ and ASCII punct). */
static int
markdown_escapes(const char *text)
{
	const char	*p;

	for (p = strchr(text, '\\'); p != NULL; p = strchr(p + 1, '\\')) {
		if (p[1] != '\0' && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
		    p[1]) != NULL)
			return 1;
	}
	return 0;
}

/*
 * cmark's HTML as Element sends it: a document of one paragraph without
 * its <p>...</p> (Element draws a single line inline), and "<br />" not
 * followed by a newline (code blocks never hold a raw <br />).
 */
static char *
markdown_finish(cmark_node *doc, const char *html)
{
	struct xbuf	 b = { 0 };
	cmark_node	*first;
	const char	*p, *br = "<br />\n";
	char		*s, *at;
	size_t		 len = strlen(html);

	first = cmark_node_first_child(doc);
	if (first != NULL && first == cmark_node_last_child(doc) &&
	    cmark_node_get_type(first) == CMARK_NODE_PARAGRAPH &&
	    len >= 8 && strncmp(html, "<p>", 3) == 0 &&
	    strcmp(html + len - 5, "</p>\n") == 0)
		s = xstrndup(html + 3, len - 8);
	else
		s = xstrdup(html);
	xbuf_add(&b, "", 0);
	for (p = s; (at = strstr(p, br)) != NULL; p = at + strlen(br))
		xbuf_add(&b, p, (size_t)(at - p) + strlen(br) - 1);
	xbuf_add(&b, p, strlen(p));
	free(s);
	return b.p;
}

char *
markdown_html(const char *text, markdown_pill_fn pill, void *arg)
{
	cmark_node	*doc;
	char		*html, *out = NULL;
	size_t		 len;
	int		 pills;

	if (text == NULL || (len = strlen(text)) == 0 || len > MARKDOWN_MAX)
		return NULL;
	doc = cmark_parse_document(text, len, CMARK_OPT_VALIDATE_UTF8);
	if (doc == NULL)
		return NULL;
	markdown_unhtml(doc);
	cmark_consolidate_text_nodes(doc);
	markdown_strike(doc);
	pills = markdown_pills(doc, pill, arg);
	if (pills || !markdown_plain(doc) || markdown_escapes(text)) {
		html = cmark_render_html(doc, CMARK_OPT_SAFE |
		    CMARK_OPT_HARDBREAKS);
		if (html != NULL)
			out = markdown_finish(doc, html);
		free(html);
	}
	cmark_node_free(doc);
	return out;
}

/* The byte offset of each line's start in text (cmark's line ends). */
static size_t *
markdown_lines(const char *text, size_t len, size_t *nlines)
{
	size_t	*at, n = 1, cap = 16, i;

	at = xcalloc(cap, sizeof *at);
	for (i = 0; i < len; i++) {
		if (text[i] != '\n' && text[i] != '\r')
			continue;
		if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
			i++;
		if (n == cap) {
			cap *= 2;
			at = xrealloc(at, cap * sizeof *at);
		}
		at[n++] = i + 1;
	}
	*nlines = n;
	return at;
}

/* The offset of 1-based line and column (0: the line's start), clamped. */
static size_t
markdown_offset(const size_t *at, size_t nlines, size_t len, int line,
    int col)
{
	size_t	 off;

	if (line < 1)
		return 0;
	if ((size_t)line > nlines)
		return len;
	off = at[line - 1] + (col > 0 ? (size_t)col - 1 : 0);
	return off > len ? len : off;
}

/*
 * A code span whose content starts at p: its range with the backticks
 * (cmark gives only the content's start), or 0 if text disagrees.
 */
static int
markdown_span(const char *text, size_t len, size_t p,
    struct markdown_range *r)
{
	size_t	 open, run, i, k;

	if (p > 0 && text[p - 1] == ' ' && p > 1 && text[p - 2] == '`')
		p--;
	for (open = p; open > 0 && text[open - 1] == '`'; open--)
		;
	run = p - open;
	if (run == 0)
		return 0;
	for (i = p; i < len; i = k) {
		if (text[i] != '`') {
			k = i + 1;
			continue;
		}
		for (k = i; k < len && text[k] == '`'; k++)
			;
		if (k - i == run) {
			r->start = open;
			r->end = k;
			return 1;
		}
	}
	return 0;
}

/*
 * cmark's column can be off on a continuation line (tabs, containers):
 * the first span from that line's start whose content is lit.
 */
static int
markdown_span_near(const char *text, size_t len, size_t from,
    const char *lit, struct markdown_range *r)
{
	const char	*p;
	size_t		 at;

	if (lit == NULL || *lit == '\0' || from >= len)
		return 0;
	for (p = strstr(text + from, lit); p != NULL;
	    p = strstr(p + 1, lit)) {
		at = (size_t)(p - text);
		if (at > 0 && (text[at - 1] == '`' || (text[at - 1] == ' ' &&
		    at > 1 && text[at - 2] == '`')) &&
		    markdown_span(text, len, at, r) && r->end >= at +
		    strlen(lit))
			return 1;
	}
	return 0;
}

size_t
markdown_code(const char *text, struct markdown_range **ranges)
{
	struct markdown_range	 r;
	cmark_node		*doc, *node;
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node_type		 t;
	size_t			*at, nlines, len, n = 0, cap = 0;

	*ranges = NULL;
	if (text == NULL || (len = strlen(text)) == 0 || len > MARKDOWN_MAX)
		return 0;
	if ((doc = cmark_parse_document(text, len, CMARK_OPT_DEFAULT)) == NULL)
		return 0;
	at = markdown_lines(text, len, &nlines);
	it = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		node = cmark_iter_get_node(it);
		t = cmark_node_get_type(node);
		if (ev != CMARK_EVENT_ENTER ||
		    (t != CMARK_NODE_CODE && t != CMARK_NODE_CODE_BLOCK))
			continue;
		if (t == CMARK_NODE_CODE_BLOCK) {
			r.start = markdown_offset(at, nlines, len,
			    cmark_node_get_start_line(node), 0);
			r.end = markdown_offset(at, nlines, len,
			    cmark_node_get_end_line(node),
			    cmark_node_get_end_column(node)) + 1;
			if (cmark_node_get_end_column(node) == 0)
				r.end--;
			if (r.end > len)
				r.end = len;
		} else if (!markdown_span(text, len, markdown_offset(at, nlines,
		    len, cmark_node_get_start_line(node),
		    cmark_node_get_start_column(node)), &r) &&
		    !markdown_span_near(text, len, markdown_offset(at, nlines,
		    len, cmark_node_get_start_line(node), 0),
		    cmark_node_get_literal(node), &r))
			continue;
		if (r.end <= r.start)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			*ranges = xrealloc(*ranges, cap * sizeof **ranges);
		}
		(*ranges)[n++] = r;
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	free(at);
	return n;
}
