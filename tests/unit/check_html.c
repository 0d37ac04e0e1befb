/* formatted_body drawn by render-html.c: elements, corpus, hostile HTML. */
#include "check_haos.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/json.h"
#include "haos/model.h"
#include "haos/render.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"

#define T0	((int64_t)1795428000 * 1000)
#define ME	"@me:haos.test"
#define HTML	"org.matrix.custom.html"

static void
setup(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

static const char *
names(void *arg, const char *user_id)
{
	(void)arg;
	if (strcmp(user_id, "@bob:haos.test") == 0)
		return "Bob";
	if (strcmp(user_id, "@me:haos.test") == 0)
		return "Me Myself";
	if (strcmp(user_id, "@evil:haos.test") == 0)
		return "Ev\x1b[2Jil";
	return NULL;
}

/* Lines of one event from alice; *skip: the day rule and header. */
static void
render_content(json_t *c, int width, int ascii, struct render_line **l,
    size_t *n)
{
	struct event_row	 ev;
	struct render_opts	 ro;

	memset(&ev, 0, sizeof ev);
	ev.room_id = xstrdup("!r:haos.test");
	ev.event_id = xstrdup("$1");
	ev.sender = xstrdup("@alice:haos.test");
	ev.type = xstrdup("m.room.message");
	ev.ts = T0;
	ev.content = json_dumps(c, JSON_COMPACT);
	memset(&ro, 0, sizeof ro);
	ro.width = width;
	ro.me = ME;
	ro.my_name = "Me Myself";
	ro.now_ms = T0;
	ro.palette = 8;
	ro.ascii = ascii;
	ro.name_of = names;
	ck_assert_int_eq(render_timeline(&ev, 1, &ro, l, n), 0);
	ck_assert_uint_ge(*n, 3);
	event_row_free(&ev);
}

/*
 * The body lines (after the day rule and the header) of an m.text with
 * this formatted_body and body "plain", joined with '\n', each checked:
 * no control byte, width as measured and within the limit, spans tiling.
 */
static char *
body_of(const char *html, int width, int ascii, struct render_line **l,
    size_t *n)
{
	json_t			*c;
	char			*all, *t;
	const unsigned char	*p;
	size_t			 i, j, off;

	c = json_pack("{s:s, s:s, s:s, s:s}", "msgtype", "m.text", "body",
	    "plain", "format", HTML, "formatted_body", html);
	render_content(c, width, ascii, l, n);
	json_decref(c);
	all = xstrdup("");
	for (i = 2; i < *n; i++) {
		for (p = (const unsigned char *)(*l)[i].text; *p != '\0'; p++)
			ck_assert_msg(*p >= 0x20 && *p != 0x7f,
			    "control byte %#x in \"%s\"", *p, (*l)[i].text);
		ck_assert_int_eq(sanitize_width((*l)[i].text), (*l)[i].width);
		ck_assert_msg((*l)[i].width <= width, "\"%s\" is %d wide",
		    (*l)[i].text, (*l)[i].width);
		off = 0;
		for (j = 0; j < (*l)[i].nspans; j++) {
			ck_assert_uint_eq((*l)[i].spans[j].off, off);
			off += (*l)[i].spans[j].len;
		}
		ck_assert_uint_eq(off, strlen((*l)[i].text));
		t = xasprintf("%s%s%s", all, i > 2 ? "\n" : "", (*l)[i].text);
		free(all);
		all = t;
	}
	return all;
}

/* The span over needle (the first line holding it), or NULL. */
static const struct render_span *
span_of(const struct render_line *l, size_t n, const char *needle)
{
	const char	*at;
	size_t		 i, j, off;

	for (i = 2; i < n; i++) {
		at = strstr(l[i].text, needle);
		if (at == NULL)
			continue;
		off = (size_t)(at - l[i].text);
		for (j = 0; j < l[i].nspans; j++) {
			if (l[i].spans[j].off <= off && l[i].spans[j].off +
			    l[i].spans[j].len >= off + strlen(needle))
				return &l[i].spans[j];
		}
		return NULL;
	}
	return NULL;
}

/* Whether needle is drawn in one span with all of flags and attr. */
static int
styled(const struct render_line *l, size_t n, const char *needle,
    enum render_attr attr, unsigned int flags)
{
	const struct render_span *s = span_of(l, n, needle);

	return s != NULL && s->attr == attr && (s->flags & flags) == flags;
}

START_TEST(test_inline)
{
	struct render_line	*l;
	size_t			 n;
	char			*all;

	all = body_of("<b>bo</b> <strong>st</strong> <i>it</i> <em>em</em> "
	    "<u>un</u> <s>s1</s> <del>de</del> <strike>sk</strike> "
	    "<code>co</code> x", 60, 0, &l, &n);
	ck_assert_str_eq(all, "  bo st it em un s1 de sk co x");
	ck_assert(styled(l, n, "bo", RA_TEXT, RF_BOLD));
	ck_assert(styled(l, n, "st", RA_TEXT, RF_BOLD));
	ck_assert(styled(l, n, "it", RA_TEXT, RF_ITALIC));
	ck_assert(styled(l, n, "em", RA_TEXT, RF_ITALIC));
	ck_assert(styled(l, n, "un", RA_TEXT, RF_UNDERLINE));
	ck_assert(styled(l, n, "s1", RA_TEXT, RF_STRIKE));
	ck_assert(styled(l, n, "de", RA_TEXT, RF_STRIKE));
	ck_assert(styled(l, n, "sk", RA_TEXT, RF_STRIKE));
	ck_assert(styled(l, n, "co", RA_TEXT, RF_CODE));
	ck_assert_uint_eq(span_of(l, n, " x")->flags, 0);
	free(all);
	render_lines_free(l, n);
}
END_TEST

START_TEST(test_nested_tags)
{
	struct render_line	*l;
	size_t			 n;
	char			*all;

	all = body_of("<b>a <i>b <u>c</u></i> d</b> e", 60, 0, &l, &n);
	ck_assert_str_eq(all, "  a b c d e");
	ck_assert(styled(l, n, "a", RA_TEXT, RF_BOLD));
	ck_assert(styled(l, n, "b", RA_TEXT, RF_BOLD | RF_ITALIC));
	ck_assert(styled(l, n, "c", RA_TEXT, RF_BOLD | RF_ITALIC |
	    RF_UNDERLINE));
	ck_assert_uint_eq(span_of(l, n, "d")->flags, RF_BOLD);
	ck_assert_uint_eq(span_of(l, n, "e")->flags, 0);
	free(all);
	render_lines_free(l, n);
	/* Misnested: the parser closes them in its own way, text kept. */
	all = body_of("<b><i>x</b></i> y</b>", 60, 0, &l, &n);
	ck_assert_str_eq(all, "  x y");
	ck_assert(styled(l, n, "x", RA_TEXT, RF_BOLD | RF_ITALIC));
	ck_assert_uint_eq(span_of(l, n, "y")->flags, 0);
	free(all);
	render_lines_free(l, n);
}
END_TEST

START_TEST(test_blocks)
{
	struct render_line	*l;
	size_t			 n;
	char			*all;

	all = body_of("<p>one</p>\n<p>two<br>three</p><div>four</div>five"
	    "<h1>Big</h1><h3>Small</h3><hr>end", 20, 0, &l, &n);
	ck_assert_str_eq(all, "  one\n  \n  two\n  three\n  \n  four\n"
	    "  five\n  \n  Big\n  \n  Small\n  \n"
	    "  \xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80"
	    "\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80"
	    "\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80"
	    "\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\n  end");
	ck_assert(styled(l, n, "Big", RA_TEXT, RF_BOLD | RF_UNDERLINE));
	ck_assert(styled(l, n, "Small", RA_TEXT, RF_BOLD));
	ck_assert_uint_eq(span_of(l, n, "Small")->flags & RF_UNDERLINE, 0);
	free(all);
	render_lines_free(l, n);
}
END_TEST

START_TEST(test_quote)
{
	struct render_line	*l;
	size_t			 n;
	char			*all;

	/* The bar goes on over every wrapped line, and none after. */
	all = body_of("<blockquote>a quote long enough to wrap<br>b"
	    "</blockquote>after", 20, 0, &l, &n);
	ck_assert_str_eq(all, "  \xe2\x94\x82 a quote long\n"
	    "  \xe2\x94\x82 enough to wrap\n  \xe2\x94\x82 b\n  after");
	ck_assert(styled(l, n, "\xe2\x94\x82", RA_QUOTE, 0));
	free(all);
	render_lines_free(l, n);
	all = body_of("<blockquote>q</blockquote>", 20, 1, &l, &n);
	ck_assert_str_eq(all, "  | q");
	free(all);
	render_lines_free(l, n);
}
END_TEST

START_TEST(test_lists)
{
	struct render_line	*l;
	size_t			 n;
	char			*all;

	all = body_of("<ul><li>one</li><li>two, which wraps here<ul><li>in"
	    "</li></ul></li></ul><ol start=\"9\"><li>nine</li><li>ten</li>"
	    "</ol>", 20, 0, &l, &n);
	ck_assert_str_eq(all, "  \xe2\x80\xa2 one\n"
	    "  \xe2\x80\xa2 two, which wraps\n    here\n"
	    "    \xe2\x97\xa6 in\n  9. nine\n  10. ten");
	free(all);
	render_lines_free(l, n);
	all = body_of("<ul><li>a</li></ul><li>stray</li>", 20, 1, &l, &n);
	ck_assert_str_eq(all, "  * a\n  * stray");
	free(all);
	render_lines_free(l, n);
}
END_TEST

START_TEST(test_pre)
{
	struct render_line	*l;
	size_t			 n;
	char			*all;

	all = body_of("<pre><code class=\"language-sh\">ls -l\n"
	    "echo a very long line that is cut\n</code></pre>", 24, 0, &l,
	    &n);
	ck_assert_str_eq(all,
	    "  \xe2\x94\x8c\xe2\x94\x80 sh \xe2\x94\x80\xe2\x94\x80"
	    "\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80"
	    "\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80"
	    "\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x90\n"
	    "  \xe2\x94\x82 ls -l              \xe2\x94\x82\n"
	    "  \xe2\x94\x82 echo a very long \xe2\x80\xa6 \xe2\x94\x82\n"
	    "  \xe2\x94\x94\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80"
	    "\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80"
	    "\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80"
	    "\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80"
	    "\xe2\x94\x80\xe2\x94\x98");
	ck_assert(styled(l, n, "ls -l", RA_TEXT, RF_CODE));
	free(all);
	render_lines_free(l, n);
	all = body_of("<pre>a\tb</pre>", 24, 1, &l, &n);
	ck_assert_ptr_nonnull(strstr(all, "  +-----"));
	ck_assert_ptr_nonnull(strstr(all, "  | a"));
	free(all);
	render_lines_free(l, n);
}
END_TEST

START_TEST(test_links)
{
	struct render_line	*l;
	size_t			 n;
	char			*all;

	all = body_of("<a href=\"https://example.org/docs\">the docs</a> "
	    "<a href=\"https://example.org\">https://example.org</a> "
	    "<a href=\"mailto:a@b.org\">a@b.org</a>", 80, 0, &l, &n);
	ck_assert_str_eq(all, "  the docs [https://example.org/docs] "
	    "https://example.org a@b.org");
	ck_assert(styled(l, n, "the docs", RA_LINK, 0));
	ck_assert(styled(l, n, "https://example.org/docs", RA_LINK, 0));
	free(all);
	render_lines_free(l, n);
	/* A URL with escapes: no ESC, capped at 256 bytes. */
	all = body_of("<a href=\"https://x.org/\x1b]8;;evil\x07\">x</a>",
	    80, 0, &l, &n);
	ck_assert_ptr_null(strchr(all, 0x1b));
	ck_assert_ptr_nonnull(strstr(all, "x [https://x.org/"));
	free(all);
	render_lines_free(l, n);
}
END_TEST

static void
links_are(const char *html, size_t want, const char *const *urls)
{
	char	**l;
	size_t	 n, i;

	n = render_html_links(html, &l);
	ck_assert_uint_eq(n, want);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(l[i], urls[i]);
		free(l[i]);
	}
	free(l);
}

/*
 * What o opens in HTML: the hrefs of the links shown, in order (a link
 * whose URL is only in its href), http, https and mailto only, no
 * pills, nothing in a reply's fallback, sanitised.
 */
START_TEST(test_link_targets)
{
	static const char *const a[] = { "https://example.org/docs",
	    "mailto:a@b.org", "HTTP://x.org/y" };
	static const char *const b[] = { "https://x.org/" };
	static const char *const t[] = { "https://a.org/x", "https://b.org",
	    "http://c.org" };
	json_t	*c;
	char	**l;

	links_are("<mx-reply><a href=\"https://r.org\">r</a></mx-reply>"
	    "see <a href=\"https://example.org/docs\">here</a>, "
	    "<a href=\"https://matrix.to/#/@bob:haos.test\">Bob</a> "
	    "<a href=\"javascript:alert(1)\">x</a> <a>none</a> "
	    "<b><a href=\"mailto:a@b.org\">mail</a></b> "
	    "<a href=\"ftp://f.org\">f</a><a href=\"HTTP://x.org/y\">y</a>",
	    3, a);
	links_are("<a href=\"https://x.org/\x1b[2J\">x</a>", 1, b);
	/* A URL written out in the text counts where it stands. */
	links_are("see https://a.org/x. and <a href=\"https://b.org\">"
	    "https://b.org</a> (http://c.org)", 3, t);
	links_are("no links", 0, NULL);
	links_are("", 0, NULL);
	/* A message: only when its formatted_body is drawn. */
	c = json_pack("{s:s,s:s,s:s,s:s}", "msgtype", "m.text", "body",
	    "see here", "format", "org.matrix.custom.html", "formatted_body",
	    "see <a href=\"https://example.org/docs\">here</a>");
	ck_assert_uint_eq(render_links(c, &l), 1);
	ck_assert_str_eq(l[0], "https://example.org/docs");
	free(l[0]);
	free(l);
	json_object_del(c, "format");
	ck_assert_uint_eq(render_links(c, &l), 0);
	json_decref(c);
}
END_TEST

START_TEST(test_pills)
{
	struct render_line	*l;
	size_t			 n;
	char			*all;

	all = body_of("hi <a href=\"https://matrix.to/#/@bob:haos.test\">"
	    "bobby</a> <a href=\"https://matrix.to/#/%40me%3Ahaos.test\">"
	    "me</a> <a href=\"https://matrix.to/#/@carol:haos.test\">"
	    "Carol</a> <a href=\"https://matrix.to/#/#lobby:haos.test\">"
	    "#lobby:haos.test</a> <a href=\"https://matrix.to/#/@evil:"
	    "haos.test\">e</a>", 80, 0, &l, &n);
	ck_assert_str_eq(all, "  hi Bob Me Myself Carol #lobby:haos.test "
	    "Evil");
	ck_assert(styled(l, n, "Bob", RA_SENDER, 0));
	ck_assert_int_eq(span_of(l, n, "Bob")->color,
	    render_sender_color("@bob:haos.test", 8));
	ck_assert(styled(l, n, "Me Myself", RA_MENTION, 0));
	ck_assert(styled(l, n, "#lobby:haos.test", RA_LINK, 0));
	free(all);
	render_lines_free(l, n);
}
END_TEST

START_TEST(test_colour_img_drop)
{
	struct render_line	*l;
	size_t			 n;
	char			*all;
	const struct render_span *s;

	all = body_of("<font color=\"#ff0000\">red</font> <span "
	    "data-mx-color=\"#00F\">blue</span> <span data-mx-color=\"red\">"
	    "nope</span> <img alt=\"cat.png\" src=\"mxc://a/b\"> <img> "
	    "<mx-reply>gone</mx-reply><script>alert(1)</script>"
	    "<style>b{}</style><head><title>t</title></head>ok", 80, 0, &l,
	    &n);
	ck_assert_str_eq(all, "  red blue nope [image: cat.png] [image] ok");
	s = span_of(l, n, "red");
	ck_assert_uint_eq(s->flags, RF_COLOR);
	ck_assert_int_eq(s->color, 31 << 10);
	s = span_of(l, n, "blue");
	ck_assert_int_eq(s->color, 31);
	ck_assert_uint_eq(span_of(l, n, "nope")->flags, 0);
	free(all);
	render_lines_free(l, n);
}
END_TEST

START_TEST(test_mentions_and_urls_in_text)
{
	struct render_line	*l;
	size_t			 n;
	char			*all;

	all = body_of("<b>hey Me Myself see https://a.org/x.</b> and "
	    "@bob:haos.test", 80, 0, &l, &n);
	ck_assert_str_eq(all, "  hey Me Myself see https://a.org/x. and @Bob");
	ck_assert(styled(l, n, "Me Myself", RA_MENTION, RF_BOLD));
	ck_assert(styled(l, n, "https://a.org/x", RA_LINK, RF_BOLD));
	free(all);
	render_lines_free(l, n);
}
END_TEST

START_TEST(test_hostile)
{
	struct render_line	*l;
	size_t			 n, i;
	char			*all, *html, *big;

	/* Entities decoding to ESC, BEL; raw controls; NUL; bidi. */
	all = body_of("a&#27;[31mred&#x1b;]0;t&#7; \x01\x7f b &#0; "
	    "&#x202e;c &eacute;&hellip;&nbsp;d", 80, 0, &l, &n);
	ck_assert_ptr_null(strchr(all, 0x1b));
	ck_assert_ptr_null(strstr(all, "\xe2\x80\xae"));
	ck_assert_ptr_nonnull(strstr(all, "red"));
	ck_assert_ptr_nonnull(strstr(all, "\xc3\xa9\xe2\x80\xa6"));
	free(all);
	render_lines_free(l, n);

	/* A huge attribute and an unclosed everything. */
	big = xmalloc(40000);
	memset(big, 'a', 39999);
	big[39999] = '\0';
	html = xasprintf("<a href=\"https://x.org/%s\">x</a><b><i><p>open "
	    "<div><ul><li>item", big);
	all = body_of(html, 80, 0, &l, &n);
	ck_assert_ptr_nonnull(strstr(all, "  x\n  [https://x.org/aaaa"));
	ck_assert_ptr_nonnull(strstr(all, "a\xe2\x80\xa6]"));
	ck_assert_uint_lt(strlen(all), 400);
	ck_assert_ptr_nonnull(strstr(all, "\xe2\x80\xa2 item"));
	free(all);
	free(html);
	render_lines_free(l, n);

	/* 10,000 nested divs: no crash; the text or the plain body. */
	html = xmalloc(10000 * 11 + 8);
	html[0] = '\0';
	for (i = 0; i < 10000; i++)
		strcat(html, "<div>");
	strcat(html, "deep");
	all = body_of(html, 80, 0, &l, &n);
	ck_assert(strcmp(all, "  deep") == 0 || strcmp(all, "  plain") == 0);
	free(all);
	free(html);
	render_lines_free(l, n);
	/* 100: deeper than the walk recurses, the text still there. */
	html = xmalloc(100 * 20 + 8);
	html[0] = '\0';
	for (i = 0; i < 100; i++)
		strcat(html, i % 2 ? "<span>" : "<b>");
	strcat(html, "deep<script>x</script>");
	all = body_of(html, 80, 0, &l, &n);
	ck_assert_str_eq(all, "  deep");
	free(all);
	free(html);
	render_lines_free(l, n);
	free(big);
}
END_TEST

START_TEST(test_fallback)
{
	struct render_line	*l;
	size_t			 n;
	json_t			*c;
	char			*all;

	/* Not HTML's format: the body. */
	c = json_pack("{s:s, s:s, s:s, s:s}", "msgtype", "m.text", "body",
	    "the body", "format", "org.example", "formatted_body", "<b>x</b>");
	render_content(c, 40, 0, &l, &n);
	ck_assert_str_eq(l[2].text, "  the body");
	json_decref(c);
	render_lines_free(l, n);
	/* Nothing to show in the HTML: the body. */
	all = body_of("<mx-reply>only a reply</mx-reply> ", 40, 0, &l, &n);
	ck_assert_str_eq(all, "  plain");
	free(all);
	render_lines_free(l, n);
	/* Media keep their line; an emote its prefix. */
	c = json_pack("{s:s, s:s, s:s, s:s}", "msgtype", "m.image", "body",
	    "cat.png", "format", HTML, "formatted_body", "<b>x</b>");
	render_content(c, 40, 0, &l, &n);
	ck_assert_str_eq(l[2].text, "  [image: cat.png]");
	json_decref(c);
	render_lines_free(l, n);
	c = json_pack("{s:s, s:s, s:s, s:s}", "msgtype", "m.emote", "body",
	    "waves", "format", HTML, "formatted_body", "<i>waves</i>");
	render_content(c, 40, 0, &l, &n);
	ck_assert_str_eq(l[2].text, "  * @alice:haos.test waves");
	ck_assert(styled(l, n, "waves", RA_EMOTE, RF_ITALIC));
	json_decref(c);
	render_lines_free(l, n);
	/* No body at all: the HTML's text (render_body). */
	all = render_body("{\"body\":\"\",\"format\":\"" HTML "\","
	    "\"formatted_body\":\"<mx-reply>q</mx-reply><b>a</b>&amp;"
	    "&lt;b&gt;<br>c\"}");
	ck_assert_str_eq(all, "a&<b>\nc");
	free(all);
}
END_TEST

/* tests/fixtures/html/NAME.json: Element's HTML and the lines drawn. */
static void
corpus_one(const char *name)
{
	struct render_line	*l;
	json_t			*fx, *want;
	json_error_t		 jerr;
	char			*path, *got;
	size_t			 n, i;

	path = xasprintf("html/%s.json", name);
	got = test_fixture(path);
	fx = json_load_file(got, 0, &jerr);
	ck_assert_msg(fx != NULL, "%s: %s", got, jerr.text);
	free(got);
	free(path);
	render_content(json_object_get(fx, "content"),
	    (int)json_integer_value(json_object_get(fx, "width")), 0, &l, &n);
	want = json_object_get(fx, "lines");
	for (i = 2; i < n; i++) {
		ck_assert_msg(i - 2 < json_array_size(want),
		    "%s: extra line \"%s\"", name, l[i].text);
		ck_assert_msg(strcmp(l[i].text, json_string_value(
		    json_array_get(want, i - 2))) == 0,
		    "%s line %zu: \"%s\", expected \"%s\"", name, i - 2,
		    l[i].text, json_string_value(json_array_get(want, i - 2)));
		ck_assert_int_le(l[i].width, 40);
		ck_assert_ptr_null(strchr(l[i].text, 0x1b));
		/* No markup left: "<script>" may be text (&lt;script&gt;). */
		ck_assert_ptr_null(strstr(l[i].text, "</"));
		ck_assert_ptr_null(strstr(l[i].text, "href"));
	}
	ck_assert_uint_eq(n - 2, json_array_size(want));
	render_lines_free(l, n);
	json_decref(fx);
}

START_TEST(test_corpus)
{
	static const char *const names[] = {
		"bold", "code-block", "lists", "links", "reply", "colours",
		"nested", "pills", "malformed", "headings", "hostile"
	};
	size_t	 i;

	for (i = 0; i < nitems(names); i++)
		corpus_one(names[i]);
}
END_TEST

/* 1000 HTML messages rendered, as a page build does on each redraw. */
START_TEST(test_speed)
{
	struct event_row	*ev;
	struct render_opts	 ro;
	struct render_line	*l;
	struct timespec		 a, b;
	size_t			 n, i;
	double			 ms;

	ev = xcalloc(1000, sizeof *ev);
	for (i = 0; i < 1000; i++) {
		ev[i].room_id = xstrdup("!r:haos.test");
		ev[i].event_id = xasprintf("$%zu", i);
		ev[i].sender = xstrdup(i % 2 ? "@alice:haos.test" :
		    "@bob:haos.test");
		ev[i].type = xstrdup("m.room.message");
		ev[i].ts = T0 + (int64_t)i;
		ev[i].content = xstrdup("{\"msgtype\":\"m.text\",\"body\":"
		    "\"x\",\"format\":\"" HTML "\",\"formatted_body\":\"<p>"
		    "Some <strong>bold</strong> and <em>italic</em> text with "
		    "<a href=\\\"https://example.org\\\">a link</a></p><ul>"
		    "<li>one</li><li>two</li></ul><blockquote>a quote"
		    "</blockquote><pre><code>code\\nblock</code></pre>\"}");
	}
	memset(&ro, 0, sizeof ro);
	ro.width = 80;
	ro.me = ME;
	ro.now_ms = T0;
	ro.palette = 8;
	ro.name_of = names;
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(render_timeline(ev, 1000, &ro, &l, &n), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	fprintf(stderr, "html: 1000 messages rendered in %.1f ms\n", ms);
	ck_assert_uint_gt(n, 1000 * 8);
	ck_assert_msg(ms < 2000, "1000 HTML messages took %.0f ms", ms);
	render_lines_free(l, n);
	for (i = 0; i < 1000; i++)
		event_row_free(&ev[i]);
	free(ev);
}
END_TEST

Suite *
suite_html(void)
{
	Suite	*s = suite_create("html");
	TCase	*tc = tcase_create("html");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_inline);
	tcase_add_test(tc, test_nested_tags);
	tcase_add_test(tc, test_blocks);
	tcase_add_test(tc, test_quote);
	tcase_add_test(tc, test_lists);
	tcase_add_test(tc, test_pre);
	tcase_add_test(tc, test_links);
	tcase_add_test(tc, test_link_targets);
	tcase_add_test(tc, test_pills);
	tcase_add_test(tc, test_colour_img_drop);
	tcase_add_test(tc, test_mentions_and_urls_in_text);
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_fallback);
	tcase_add_test(tc, test_corpus);
	tcase_add_test(tc, test_speed);
	suite_add_tcase(s, tc);
	return s;
}
