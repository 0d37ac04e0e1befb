/* A formatted_body (org.matrix.custom.html) to rich text, by libxml2. */
#include "haos/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "haos/mention.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"
#include "render-int.h"

#define HTML_MAX_INPUT	(64 * 1024)	/* bytes; an event is 64 KiB */
#define HTML_MAX_DEPTH	64	/* deeper: their text, unstyled */
#define HTML_MAX_LEVELS	8	/* quote bars and list bullets drawn */
#define HTML_MAX_URL	256	/* bytes of a link's URL shown */
#define HTML_MAX_ALT	128	/* bytes of an image's alt text shown */
#define HTML_PILL	"https://matrix.to/#/"
#define HTML_MAX_HREF	2048	/* bytes of a link o may open */
#define HTML_MAX_LINKS	64	/* links o may choose from */

/* One level of the prefix a line starts with: a quote bar, a bullet. */
struct html_level {
	char	 first[24];	/* the bullet, once; else cont */
	char	 cont[24];
	int	 bar;		/* a quote bar (RA_QUOTE), else text */
	int	 used;		/* the bullet was drawn */
};

/*
 * The walk: the rich text it appends to, and where it stands in it.
 * Breaks are owed (pend) and drawn only before more text, so trailing
 * breaks and blocks with nothing in them take no line.
 */
struct html_ctx {
	struct render_rich		*r;
	const struct render_opts	*ro;
	int				 base;	/* plain text */
	int				 width;	/* cells */
	size_t				 start;	/* r->len */
	int				 any;	/* text drawn */
	int				 bol;	/* line start */
	int				 pend;	/* newlines owed */
	int				 sp;	/* space owed */
	int				 lists;	/* ul/ol depth */
	struct html_level		 lv[HTML_MAX_LEVELS];
	int				 nlv;
	int				 blv;	/* a blank line's
						   levels: those open
						   since the last text */
};

static const struct render_opts	 html_no_opts;

/* Swallow libxml2's messages: nothing of the network reaches stderr. */
static void
render_html_quiet(void *arg, const char *fmt, ...)
{
	(void)arg;
	(void)fmt;
}

/* An attribute's value, or NULL; the caller frees with xmlFree(). */
static char *
render_html_attr(xmlNode *n, const char *name)
{
	return (char *)xmlGetProp(n, (const xmlChar *)name);
}

static int
render_html_is(xmlNode *n, const char *name)
{
	return n->name != NULL && strcmp((const char *)n->name, name) == 0;
}

/* Whether n is one of the NULL-terminated names. */
static int
render_html_in(xmlNode *n, const char *const *names)
{
	for (; *names != NULL; names++) {
		if (render_html_is(n, *names))
			return 1;
	}
	return 0;
}

/* Elements whose content is never shown. */
static int
render_html_dropped(xmlNode *n)
{
	static const char *const names[] = {
		"mx-reply", "script", "style", "head", "title", "template",
		"iframe", "object", "noscript", "svg", "math", NULL
	};

	return n->type == XML_ELEMENT_NODE && render_html_in(n, names);
}

static int
render_html_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Append the prefix of a line: bars and bullets, or (blank) conts. */
static void
render_html_prefix(struct html_ctx *x, int blank)
{
	struct render_rich	 cont;
	size_t			 off = x->r->len, end;
	int			 i, sty;
	const char		*s;

	memset(&cont, 0, sizeof cont);
	for (i = 0; i < (blank ? x->blv : x->nlv); i++) {
		sty = x->lv[i].bar ? STY(RA_QUOTE, 0) : x->base;
		s = x->lv[i].cont;
		if (!blank && !x->lv[i].used && x->lv[i].first[0] != '\0') {
			s = x->lv[i].first;
			x->lv[i].used = 1;
		}
		render_rich_str(x->r, s, sty);
		render_rich_str(&cont, x->lv[i].cont, sty);
	}
	if (blank) {
		/* "│ " alone on a blank line: no trailing spaces. */
		for (end = x->r->len; end > off && x->r->text[end - 1] == ' ';
		    end--)
			;
		render_rich_cut(x->r, end);
	}
	if (x->r->len > off)
		render_rich_para(x->r, off, x->r->len - off,
		    cont.text != NULL ? cont.text : "", cont.sty, cont.len);
	render_rich_free(&cont);
}

/* Draw the breaks owed and the new line's prefix, before text. */
static void
render_html_flush(struct html_ctx *x)
{
	int	 k;

	if (x->any) {
		for (k = 0; k < x->pend; k++) {
			if (k > 0)
				render_html_prefix(x, 1);
			render_rich_str(x->r, "\n", x->base);
			x->bol = 1;
		}
	}
	x->pend = 0;
	if (x->bol) {
		render_html_prefix(x, 0);
		x->bol = 0;
	}
	x->blv = x->nlv;
	x->any = 1;
}

/* Owe at least n line breaks (1: a new line, 2: a blank line). */
static void
render_html_block(struct html_ctx *x, int n)
{
	if (x->any && x->pend < n)
		x->pend = n;
	x->sp = 0;
}

/*
 * Start inline content: the breaks owed, or the space owed (lead: the
 * content starts with white space) when on the same line.
 */
static void
render_html_start(struct html_ctx *x, int lead)
{
	int	 want;

	want = (lead || x->sp) && x->pend == 0 && !x->bol && x->any;
	render_html_flush(x);
	if (want)
		render_rich_str(x->r, " ", x->base);
	x->sp = 0;
}

/* Append sanitised text in one style, as it is (pills, URLs, rules). */
static void
render_html_put(struct html_ctx *x, const char *s, int sty)
{
	char	*clean;

	clean = sanitize_text(s, (size_t)-1, 0);
	render_rich_str(x->r, clean, sty);
	free(clean);
}

/*
 * Append a text node: white space collapsed, names for user ids, then
 * sanitised; mentions of me and http(s) URLs marked (render_rich_body).
 */
static void
render_html_chars(struct html_ctx *x, const char *s, int sty)
{
	char	*buf, *named, *clean;
	size_t	 i, o = 0, len = strlen(s);
	int	 lead, trail = 0;

	buf = xmalloc(len + 1);
	lead = len > 0 && render_html_space(s[0]);
	for (i = 0; i < len; i++) {
		if (render_html_space(s[i])) {
			trail = 1;
			continue;
		}
		if (trail && o > 0)
			buf[o++] = ' ';
		trail = 0;
		buf[o++] = s[i];
	}
	buf[o] = '\0';
	if (o == 0) {
		if (lead && x->any && !x->bol)
			x->sp = 1;
		free(buf);
		return;
	}
	render_html_start(x, lead);
	named = mention_names(buf, x->ro->name_of, x->ro->name_arg);
	clean = sanitize_text(named, (size_t)-1, 0);
	render_rich_body(x->r, x->ro, clean, sty);
	free(clean);
	free(named);
	free(buf);
	x->sp = trail;
}

/* The text under n, white space collapsed; the caller frees. */
static char *
render_html_content(xmlNode *n)
{
	xmlChar	*t;
	char	*out;
	size_t	 i, o = 0;
	int	 sp = 0;

	t = xmlNodeGetContent(n);
	if (t == NULL)
		return xstrdup("");
	out = xmalloc(strlen((char *)t) + 1);
	for (i = 0; t[i] != '\0'; i++) {
		if (render_html_space((char)t[i])) {
			sp = o > 0;
			continue;
		}
		if (sp)
			out[o++] = ' ';
		sp = 0;
		out[o++] = (char)t[i];
	}
	out[o] = '\0';
	xmlFree(t);
	return out;
}

/* s cut to at most max bytes at a character boundary, "…" if cut. */
static char *
render_html_cap(const char *s, size_t max, int ascii)
{
	size_t	 n;

	if (strlen(s) <= max)
		return xstrdup(s);
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return xasprintf("%.*s%s", (int)n, s, ascii ? "..." : "\xe2\x80\xa6");
}

/* The width of the current prefix, in cells. */
static int
render_html_prefix_width(const struct html_ctx *x)
{
	int	 i, w = 0;

	for (i = 0; i < x->nlv; i++)
		w += sanitize_width(x->lv[i].cont);
	return w;
}

/* Open a prefix level, if it leaves half the width for text. */
static int
render_html_push(struct html_ctx *x, const char *first, const char *cont,
    int bar)
{
	struct html_level	*l;

	if (x->nlv == HTML_MAX_LEVELS ||
	    render_html_prefix_width(x) + sanitize_width(cont) > x->width / 2)
		return 0;
	l = &x->lv[x->nlv++];
	snprintf(l->first, sizeof l->first, "%s", first);
	snprintf(l->cont, sizeof l->cont, "%s", cont);
	l->bar = bar;
	l->used = 0;
	return 1;
}

/* Close the innermost prefix level. */
static void
render_html_pop(struct html_ctx *x)
{
	x->nlv--;
	if (x->blv > x->nlv)
		x->blv = x->nlv;
}

static void	render_html_walk(struct html_ctx *, xmlNode *, int, int);

/* Walk the children of n. */
static void
render_html_children(struct html_ctx *x, xmlNode *n, int sty, int depth)
{
	xmlNode	*c;

	for (c = n->children; c != NULL; c = c->next)
		render_html_walk(x, c, sty, depth + 1);
}

/*
 * Too deep to walk by recursion: the text of the subtree, in one style,
 * by a loop over the tree (dropped elements still dropped).
 */
static void
render_html_flat(struct html_ctx *x, xmlNode *top, int sty)
{
	xmlNode	*n = top;

	while (n != NULL) {
		if (n->type == XML_TEXT_NODE ||
		    n->type == XML_CDATA_SECTION_NODE)
			render_html_chars(x, (const char *)n->content, sty);
		if (n->children != NULL && n->type == XML_ELEMENT_NODE &&
		    !render_html_dropped(n)) {
			n = n->children;
			continue;
		}
		while (n != top && n->next == NULL)
			n = n->parent;
		if (n == top)
			break;
		n = n->next;
	}
}

/* The RGB555 of "#rrggbb" or "#rgb", or -1. */
static int
render_html_color(const char *v)
{
	unsigned int	 r, g, b;
	size_t		 i, len;

	if (v == NULL || v[0] != '#')
		return -1;
	len = strlen(v + 1);
	if (len != 6 && len != 3)
		return -1;
	for (i = 1; i <= len; i++) {
		if (strchr("0123456789abcdefABCDEF", v[i]) == NULL)
			return -1;
	}
	if (len == 6 && sscanf(v + 1, "%2x%2x%2x", &r, &g, &b) != 3)
		return -1;
	if (len == 3) {
		if (sscanf(v + 1, "%1x%1x%1x", &r, &g, &b) != 3)
			return -1;
		r *= 17;
		g *= 17;
		b *= 17;
	}
	return (int)(((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3));
}

/* A matrix.to pill: the id it names, percent-decoded; or NULL. */
static char *
render_html_pill_id(const char *href)
{
	char		*id;
	size_t		 i, o = 0;
	unsigned int	 v;

	if (strncmp(href, HTML_PILL, strlen(HTML_PILL)) != 0)
		return NULL;
	href += strlen(HTML_PILL);
	id = xmalloc(strlen(href) + 1);
	for (i = 0; href[i] != '\0' && href[i] != '?' && href[i] != '/';
	    i++) {
		if (href[i] == '%' && sscanf(href + i + 1, "%2x", &v) == 1 &&
		    v >= 0x20 && v != 0x7f) {
			id[o++] = (char)v;
			i += 2;
		} else
			id[o++] = href[i];
	}
	id[o] = '\0';
	if (o < 2 || strchr("@#!", id[0]) == NULL) {
		free(id);
		return NULL;
	}
	return id;
}

/*
 * <a>: a user or room pill, or the link text (carrying its URL) and the
 * URL in brackets, unless the text is the URL or links are hyperlinks.
 */
static void
render_html_link(struct html_ctx *x, xmlNode *n, int sty, int depth)
{
	char		*href, *id, *text, *url, *clean;
	const char	*name, *u;
	int		 psty, flags, trail, link;

	flags = STY_FLAGS(sty) & ~RF_COLOR;
	href = render_html_attr(n, "href");
	id = href != NULL ? render_html_pill_id(href) : NULL;
	text = render_html_content(n);
	if (id != NULL) {
		name = NULL;
		if (id[0] == '@') {
			if (x->ro->name_of != NULL)
				name = x->ro->name_of(x->ro->name_arg, id);
			if (name == NULL || *name == '\0')
				name = *text != '\0' ? text : id;
			psty = x->ro->me != NULL && strcmp(id, x->ro->me) == 0 ?
			    STY_F(RA_MENTION, flags, 0) : STY_F(RA_SENDER,
			    flags, render_sender_color(id, x->ro->palette));
		} else {
			name = text[0] == '#' || id[0] == '!' ? text : id;
			if (*name == '\0')
				name = id;
			psty = STY_F(RA_LINK, flags, 0);
		}
		render_html_start(x, 0);
		render_html_put(x, name, psty);
		goto out;
	}
	if (href == NULL || *href == '\0') {
		render_html_children(x, n, STY_F(RA_LINK, flags, 0), depth);
		goto out;
	}
	link = render_rich_link(x->r, href, strlen(href));
	render_html_children(x, n, STY_F(RA_LINK, flags, link), depth);
	/* A hyperlink opens its URL: not drawn again (but in ASCII). */
	if (link > 0 && x->ro->hyperlinks && !x->ro->ascii)
		goto out;
	u = href;
	if (strncmp(u, "mailto:", 7) == 0)
		u += 7;
	if (strcmp(u, text) == 0 || (strlen(u) == strlen(text) + 1 &&
	    strncmp(u, text, strlen(text)) == 0 && u[strlen(text)] == '/'))
		goto out;
	clean = sanitize_text(href, (size_t)-1, 0);
	url = render_html_cap(clean, HTML_MAX_URL, x->ro->ascii);
	if (*url != '\0') {
		trail = x->sp;	/* "text [url] next": its space after */
		render_html_start(x, 1);
		render_rich_str(x->r, "[", x->base);
		render_rich_str(x->r, url, STY_F(RA_LINK, flags, 0));
		render_rich_str(x->r, "]", x->base);
		x->sp = trail;
	}
	free(url);
	free(clean);
out:
	free(text);
	free(id);
	xmlFree(href);
}

/* A rule of n cells. */
static void
render_html_rule(struct html_ctx *x, int n, const char *glyph)
{
	for (; n > 0; n--)
		render_rich_str(x->r, glyph, STY(RA_DIM, 0));
}

/*
 * <pre>: its text in a box, line by line, each cut to the box with a
 * marker rather than wrapped; the language of <code class="language-x">
 * in the top border.
 */
static void
render_html_pre(struct html_ctx *x, xmlNode *n)
{
	static const char *const	 utf8[] = {
		"\xe2\x94\x8c", "\xe2\x94\x90", "\xe2\x94\x94",
		"\xe2\x94\x98", "\xe2\x94\x80", "\xe2\x94\x82",
		"\xe2\x80\xa6"
	};
	static const char *const	 ascii[] = {
		"+", "+", "+", "+", "-", "|", "~"
	};
	const char *const	*g = x->ro->ascii ? ascii : utf8;
	xmlNode			*c;
	xmlChar			*t;
	char			*all, *line, *cut, *cls, *lang = NULL;
	char			*p, *nl;
	int			 inner, w, max = 0, code, lw;
	size_t			 len;

	for (c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_ELEMENT_NODE && render_html_is(c, "code")) {
			cls = render_html_attr(c, "class");
			if (cls != NULL && strncmp(cls, "language-", 9) == 0)
				lang = sanitize_text(cls + 9, (size_t)-1, 0);
			xmlFree(cls);
			break;
		}
	}
	t = xmlNodeGetContent(n);
	all = sanitize_text(t != NULL ? (char *)t : "", (size_t)-1,
	    SANITIZE_NEWLINES);
	xmlFree(t);
	len = strlen(all);
	if (len > 0 && all[len - 1] == '\n')
		all[len - 1] = '\0';
	for (p = all; p != NULL; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		line = nl != NULL ? xstrndup(p, (size_t)(nl - p)) :
		    xstrdup(p);
		w = sanitize_width(line);
		max = w > max ? w : max;
		free(line);
	}
	code = STY_F(STY_ATTR(x->base), RF_CODE, 0);
	inner = x->width - render_html_prefix_width(x) - 4;
	if (inner > max)
		inner = max;
	if (inner < 1)
		inner = 1;
	render_html_block(x, 1);
	render_html_flush(x);
	render_rich_str(x->r, g[0], STY(RA_DIM, 0));
	lw = 0;
	if (lang != NULL && *lang != '\0' && sanitize_width(lang) + 3 <=
	    inner + 2) {
		render_rich_str(x->r, g[4], STY(RA_DIM, 0));
		render_rich_str(x->r, " ", STY(RA_DIM, 0));
		render_rich_str(x->r, lang, STY(RA_DIM, 0));
		render_rich_str(x->r, " ", STY(RA_DIM, 0));
		lw = sanitize_width(lang) + 3;
	}
	render_html_rule(x, inner + 2 - lw, g[4]);
	render_rich_str(x->r, g[1], STY(RA_DIM, 0));
	for (p = all; p != NULL; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		line = nl != NULL ? xstrndup(p, (size_t)(nl - p)) :
		    xstrdup(p);
		cut = render_truncate(line, inner, g[6]);
		render_html_block(x, 1);
		render_html_flush(x);
		render_rich_str(x->r, g[5], STY(RA_DIM, 0));
		render_rich_str(x->r, " ", code);
		render_rich_str(x->r, cut, code);
		for (w = sanitize_width(cut); w < inner; w++)
			render_rich_str(x->r, " ", code);
		render_rich_str(x->r, " ", code);
		render_rich_str(x->r, g[5], STY(RA_DIM, 0));
		free(cut);
		free(line);
	}
	render_html_block(x, 1);
	render_html_flush(x);
	render_rich_str(x->r, g[2], STY(RA_DIM, 0));
	render_html_rule(x, inner + 2, g[4]);
	render_rich_str(x->r, g[3], STY(RA_DIM, 0));
	render_html_block(x, 1);
	free(lang);
	free(all);
}

/* <ul>/<ol>: each <li> a level with its bullet or number. */
static void
render_html_list(struct html_ctx *x, xmlNode *n, int sty, int depth,
    int ordered)
{
	static const char *const	 bullets[] = {
		"\xe2\x80\xa2 ", "\xe2\x97\xa6 ", "\xe2\x96\xaa "
	};
	static const char *const	 abullets[] = { "* ", "- ", "+ " };
	xmlNode				*c;
	char				*s, first[24], cont[24];
	long				 num = 1;
	int				 pushed, w;

	if (ordered) {
		s = render_html_attr(n, "start");
		if (s != NULL)
			num = strtol(s, NULL, 10);
		xmlFree(s);
		if (num < -999999 || num > 999999)
			num = 1;
	}
	render_html_block(x, 1);
	x->lists++;
	for (c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || !render_html_is(c, "li")) {
			render_html_walk(x, c, sty, depth + 1);
			continue;
		}
		if (ordered)
			snprintf(first, sizeof first, "%ld. ", num++);
		else
			snprintf(first, sizeof first, "%s", (x->ro->ascii ?
			    abullets : bullets)[(x->lists - 1) % 3]);
		w = sanitize_width(first);
		memset(cont, ' ', (size_t)w);
		cont[w] = '\0';
		render_html_block(x, 1);
		pushed = render_html_push(x, first, cont, 0);
		render_html_children(x, c, sty, depth + 1);
		render_html_block(x, 1);
		if (pushed)
			render_html_pop(x);
	}
	x->lists--;
	render_html_block(x, 1);
}

/* One node and what is under it, in style sty. */
static void
render_html_walk(struct html_ctx *x, xmlNode *n, int sty, int depth)
{
	static const char *const	 blocks[] = {
		"div", "section", "article", "header", "footer", "nav",
		"aside", "main", "table", "thead", "tbody", "tfoot", "tr",
		"dl", "dt", "dd", "figure", "figcaption", "details",
		"summary", "center", "address", "caption", "body", "html",
		NULL
	};
	const char	*bar;
	char		*v, *cut;
	int		 f = 0, c, pushed, h;
	unsigned int	 flags;

	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		render_html_chars(x, (const char *)n->content, sty);
		return;
	}
	if (n->type != XML_ELEMENT_NODE || render_html_dropped(n))
		return;
	if (depth > HTML_MAX_DEPTH) {
		render_html_flat(x, n, sty);
		return;
	}
	flags = STY_FLAGS(sty);
	if (render_html_is(n, "b") || render_html_is(n, "strong"))
		f = RF_BOLD;
	else if (render_html_is(n, "i") || render_html_is(n, "em") ||
	    render_html_is(n, "cite"))
		f = RF_ITALIC;
	else if (render_html_is(n, "u") || render_html_is(n, "ins"))
		f = RF_UNDERLINE;
	else if (render_html_is(n, "s") || render_html_is(n, "del") ||
	    render_html_is(n, "strike"))
		f = RF_STRIKE;
	else if (render_html_is(n, "code") || render_html_is(n, "kbd") ||
	    render_html_is(n, "samp") || render_html_is(n, "tt"))
		f = RF_CODE;
	if (f != 0) {
		render_html_children(x, n, STY_F(STY_ATTR(sty), flags | f,
		    STY_COLOR(sty)), depth);
		return;
	}
	if (render_html_is(n, "span") || render_html_is(n, "font")) {
		v = render_html_attr(n, "data-mx-color");
		if (v == NULL)
			v = render_html_attr(n, "color");
		c = render_html_color(v);
		xmlFree(v);
		if (c >= 0 && STY_ATTR(sty) != RA_LINK)
			sty = STY_F(STY_ATTR(sty), flags | RF_COLOR, c);
		render_html_children(x, n, sty, depth);
		return;
	}
	if (render_html_is(n, "a")) {
		render_html_link(x, n, sty, depth);
		return;
	}
	if (render_html_is(n, "br")) {
		if (x->any)
			x->pend++;
		x->sp = 0;
		return;
	}
	if (render_html_is(n, "img")) {
		v = render_html_attr(n, "alt");
		render_html_start(x, 0);
		render_rich_str(x->r, "[image", sty);
		if (v != NULL && *v != '\0') {
			cut = render_html_cap(v, HTML_MAX_ALT, x->ro->ascii);
			render_rich_str(x->r, ": ", sty);
			render_html_put(x, cut, sty);
			free(cut);
		}
		render_rich_str(x->r, "]", sty);
		xmlFree(v);
		return;
	}
	if (render_html_is(n, "p")) {
		render_html_block(x, 2);
		render_html_children(x, n, sty, depth);
		render_html_block(x, 2);
		return;
	}
	if (n->name != NULL && n->name[0] == 'h' && n->name[1] >= '1' &&
	    n->name[1] <= '6' && n->name[2] == '\0') {
		h = n->name[1] - '0';
		render_html_block(x, 2);
		f = RF_BOLD | (h <= 2 ? RF_UNDERLINE : 0);
		render_html_children(x, n, STY_F(STY_ATTR(sty), flags | f,
		    STY_COLOR(sty)), depth);
		render_html_block(x, 2);
		return;
	}
	if (render_html_is(n, "blockquote")) {
		render_html_block(x, 1);
		bar = x->ro->ascii ? "| " : "\xe2\x94\x82 ";
		pushed = render_html_push(x, bar, bar, 1);
		render_html_children(x, n, sty, depth);
		render_html_block(x, 1);
		if (pushed)
			render_html_pop(x);
		return;
	}
	if (render_html_is(n, "ul") || render_html_is(n, "ol")) {
		render_html_list(x, n, sty, depth, render_html_is(n, "ol"));
		return;
	}
	if (render_html_is(n, "li")) {
		/* An item outside a list: as in a <ul>. */
		render_html_block(x, 1);
		bar = x->ro->ascii ? "* " : "\xe2\x80\xa2 ";
		pushed = render_html_push(x, bar, "  ", 0);
		render_html_children(x, n, sty, depth);
		render_html_block(x, 1);
		if (pushed)
			render_html_pop(x);
		return;
	}
	if (render_html_is(n, "pre")) {
		render_html_pre(x, n);
		return;
	}
	if (render_html_is(n, "hr")) {
		render_html_block(x, 1);
		render_html_flush(x);
		render_html_rule(x, x->width - render_html_prefix_width(x),
		    x->ro->ascii ? "-" : "\xe2\x94\x80");
		render_html_block(x, 1);
		return;
	}
	if (render_html_is(n, "td") || render_html_is(n, "th")) {
		if (x->any && !x->bol)
			x->sp = 1;
		render_html_children(x, n, sty, depth);
		x->sp = 1;
		return;
	}
	if (render_html_in(n, blocks)) {
		render_html_block(x, 1);
		render_html_children(x, n, sty, depth);
		render_html_block(x, 1);
		return;
	}
	render_html_children(x, n, sty, depth);	/* unknown: its text */
}

/*
 * Append html drawn as rich text in base style for width cells to r:
 * 0, or -1 (r unchanged) when it is too long, does not parse or shows
 * nothing, and the plain body should be drawn instead.
 */
int
render_html(struct render_rich *r, const struct render_opts *ro,
    const char *html, int base, int width)
{
	struct html_ctx	 x;
	htmlDocPtr	 doc;
	xmlNode		*root;
	size_t		 len, end;

	len = strlen(html);
	if (len == 0 || len > HTML_MAX_INPUT)
		return -1;
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, render_html_quiet);
	xmlSetStructuredErrorFunc(NULL, NULL);
	doc = htmlReadMemory(html, (int)len, NULL, "UTF-8", HTML_PARSE_NONET |
	    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER);
	if (doc == NULL)
		return -1;
	memset(&x, 0, sizeof x);
	x.r = r;
	x.ro = ro != NULL ? ro : &html_no_opts;
	x.base = base;
	x.width = width < 1 ? 1 : width;
	x.start = r->len;
	x.bol = 1;
	root = xmlDocGetRootElement(doc);
	if (root != NULL)
		render_html_walk(&x, root, base, 0);
	xmlFreeDoc(doc);
	/* Trailing blank lines and spaces would only make empty rows. */
	for (end = r->len; end > x.start && (r->text[end - 1] == '\n' ||
	    r->text[end - 1] == ' '); end--)
		;
	if (end == x.start) {
		render_rich_cut(r, x.start);
		return -1;
	}
	render_rich_cut(r, end);
	return 0;
}

/* Whether href is a link o may open: http, https or mailto, no pill. */
static int
render_html_openable(const char *href)
{
	char	*id;

	if (strncasecmp(href, "http://", 7) != 0 &&
	    strncasecmp(href, "https://", 8) != 0 &&
	    strncasecmp(href, "mailto:", 7) != 0)
		return 0;
	if ((id = render_html_pill_id(href)) != NULL) {
		free(id);
		return 0;
	}
	return strlen(href) <= HTML_MAX_HREF;
}

/* Keep url (taken) in *out if o may open it. */
static void
render_html_keep(char *url, char ***out, size_t *nout)
{
	if (*nout < HTML_MAX_LINKS && render_html_openable(url)) {
		*out = xrealloc(*out, (*nout + 1) * sizeof **out);
		(*out)[(*nout)++] = url;
	} else
		free(url);
}

/* The http(s) URLs written out in a text node (as in a plain body). */
static void
render_html_text_urls(const char *text, char ***out, size_t *nout)
{
	const char	*p, *h, *s;
	char		*url;
	size_t		 n;

	for (p = text; *nout < HTML_MAX_LINKS; p += n) {
		s = strstr(p, "https://");
		h = strstr(p, "http://");
		if (s == NULL || (h != NULL && h < s))
			s = h;
		if (s == NULL)
			return;
		n = render_url_len(s, strlen(s));
		if (n == 0)
			n = 1;
		url = xstrndup(s, n);
		render_html_keep(sanitize_text(url, (size_t)-1, 0), out, nout);
		free(url);
		p = s;
	}
}

/*
 * Append what o may open under n (shown content only), in document
 * order, to *out: each <a>'s href, and outside links the URLs written
 * out in the text.
 */
static void
render_html_hrefs(xmlNode *n, char ***out, size_t *nout, int in_a,
    int depth)
{
	char	*href;

	for (; n != NULL && *nout < HTML_MAX_LINKS; n = n->next) {
		if (n->type == XML_TEXT_NODE && !in_a && n->content != NULL) {
			render_html_text_urls((const char *)n->content, out,
			    nout);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE || render_html_dropped(n))
			continue;
		if (render_html_is(n, "a") &&
		    (href = render_html_attr(n, "href")) != NULL) {
			render_html_keep(sanitize_text(href, (size_t)-1, 0),
			    out, nout);
			xmlFree(href);
		}
		if (depth < HTML_MAX_DEPTH)
			render_html_hrefs(n->children, out, nout, in_a ||
			    render_html_is(n, "a"), depth + 1);
	}
}

size_t
render_html_links(const char *html, char ***out)
{
	htmlDocPtr	 doc;
	size_t		 len, n = 0;

	*out = NULL;
	if (html == NULL || (len = strlen(html)) == 0 ||
	    len > HTML_MAX_INPUT)
		return 0;
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, render_html_quiet);
	xmlSetStructuredErrorFunc(NULL, NULL);
	doc = htmlReadMemory(html, (int)len, NULL, "UTF-8", HTML_PARSE_NONET |
	    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER);
	if (doc == NULL)
		return 0;
	render_html_hrefs(xmlDocGetRootElement(doc), out, &n, 0, 0);
	xmlFreeDoc(doc);
	return n;
}

size_t
render_links(const json_t *c, char ***out)
{
	char	*html;
	size_t	 n;

	html = render_formatted(c);
	n = render_html_links(html, out);
	free(html);
	return n;
}

/* The text of html as render_html() lays it out, or "". */
char *
render_html_text(const char *html)
{
	struct render_rich	 r;
	char			*text;

	memset(&r, 0, sizeof r);
	if (render_html(&r, NULL, html, STY(RA_TEXT, 0), 80) == -1) {
		render_rich_free(&r);
		return xstrdup("");
	}
	text = xstrdup(r.text);
	render_rich_free(&r);
	return text;
}
