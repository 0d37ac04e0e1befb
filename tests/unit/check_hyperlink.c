/* OSC 8 hyperlinks: URL cleaning, sequence bytes, ids, detection, spans. */
#include "check_haos.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/hyperlink.h"
#include "haos/json.h"
#include "haos/model.h"
#include "haos/render.h"
#include "haos/xmalloc.h"

#define T0	((int64_t)1795428000 * 1000)

/* hyperlink_clean(url) is want (NULL: refused). */
static void
clean_is(const char *url, const char *want)
{
	char	*got = hyperlink_clean(url);

	if (want == NULL)
		ck_assert_msg(got == NULL, "\"%s\" was not refused", url);
	else {
		ck_assert_msg(got != NULL, "\"%s\" was refused", url);
		ck_assert_str_eq(got, want);
	}
	free(got);
}

START_TEST(test_clean)
{
	char	*u;

	clean_is("https://example.org/docs", "https://example.org/docs");
	clean_is("http://example.org", "http://example.org");
	clean_is("HTTPS://Example.org/", "HTTPS://Example.org/");
	clean_is("mailto:a@example.org", "mailto:a@example.org");
	clean_is("https://example.org/a;b?c=d&e#f", "https://example.org/"
	    "a;b?c=d&e#f");
	clean_is("ftp://example.org", NULL);
	clean_is("javascript:alert(1)", NULL);
	clean_is("file:///etc/passwd", NULL);
	clean_is("https://example.org/a b", NULL);
	clean_is("https://example.org/\x1b]2;pwned\x07", NULL);
	clean_is("https://example.org/\x1b\\", NULL);
	clean_is("https://example.org/\x07", NULL);
	clean_is("https://example.org/\x7f", NULL);
	clean_is("https://example.org/\t", NULL);
	clean_is("https://example.org/\n", NULL);
	clean_is("https://example.org/\x9b" "31m", NULL);	/* bare C1 */
	clean_is("https://example.org/\xc2\x9b" "31m", NULL);	/* U+009B */
	clean_is("https://example.org/\xc2\x85", NULL);	/* U+0085 */
	clean_is("https://example.org/\xe0\x80\x80", NULL);	/* overlong */
	clean_is("https://example.org/\xed\xa0\x80", NULL);	/* surrogate */
	clean_is("https://example.org/\xc3", NULL);		/* cut */
	/* Other non-ASCII: percent-encoded, never a raw byte over 0x7e. */
	clean_is("https://example.org/caf\xc3\xa9", "https://example.org/"
	    "caf%C3%A9");
	clean_is("https://example.org/\xe2\x80\xae", "https://example.org/"
	    "%E2%80%AE");
	/* At most 2048 bytes as sent. */
	u = xmalloc(HYPERLINK_MAX_URL + 2);
	memset(u, 'a', HYPERLINK_MAX_URL + 1);
	memcpy(u, "https://", 8);
	u[HYPERLINK_MAX_URL] = '\0';
	clean_is(u, u);
	u[HYPERLINK_MAX_URL] = 'a';
	u[HYPERLINK_MAX_URL + 1] = '\0';
	clean_is(u, NULL);
	/* Short enough raw, too long once encoded. */
	memcpy(u + HYPERLINK_MAX_URL - 10, "\xc3\xa9\xc3\xa9\xc3\xa9", 6);
	u[HYPERLINK_MAX_URL - 4] = '\0';
	clean_is(u, NULL);
	free(u);
}
END_TEST

START_TEST(test_sequence)
{
	char	*s;

	ck_assert_str_eq(HYPERLINK_CLOSE, "\x1b]8;;\x1b\\");
	s = hyperlink_open("https://example.org/a;b", "haos-1f-2");
	ck_assert_str_eq(s, "\x1b]8;id=haos-1f-2;https://example.org/a;b"
	    "\x1b\\");
	free(s);
	s = hyperlink_open("mailto:a@example.org", "");
	ck_assert_str_eq(s, "\x1b]8;;mailto:a@example.org\x1b\\");
	free(s);
	s = hyperlink_open("https://example.org/caf\xc3\xa9", NULL);
	ck_assert_str_eq(s, "\x1b]8;;https://example.org/caf%C3%A9\x1b\\");
	free(s);
	/* An id that would end the parameters, or a hostile URL: none. */
	ck_assert_ptr_null(hyperlink_open("https://example.org", "a;b"));
	ck_assert_ptr_null(hyperlink_open("https://example.org", "a:b"));
	ck_assert_ptr_null(hyperlink_open("https://example.org", "a=b"));
	ck_assert_ptr_null(hyperlink_open("https://example.org", "a\x1b"));
	ck_assert_ptr_null(hyperlink_open("https://e.org/\x1b\\x", "id"));
	ck_assert_ptr_null(hyperlink_open("https://e.org/\x07", "id"));
	ck_assert_ptr_null(hyperlink_open("data:text/html,x", "id"));
}
END_TEST

START_TEST(test_id)
{
	char		 a[48], b[48], c[48], d[48], e[48];
	const char	*p;

	hyperlink_id("$ev1:haos.test", 1, a, sizeof a);
	hyperlink_id("$ev1:haos.test", 1, b, sizeof b);
	hyperlink_id("$ev1:haos.test", 2, c, sizeof c);
	hyperlink_id("$ev2:haos.test", 1, d, sizeof d);
	hyperlink_id("$\x1b]8;;x\x1b\\;:=", 3, e, sizeof e);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
	ck_assert_str_ne(a, d);
	ck_assert_int_eq(strncmp(a, "haos-", 5), 0);
	for (p = e; *p != '\0'; p++)
		ck_assert_msg((*p >= 'a' && *p <= 'z') || (*p >= '0' &&
		    *p <= '9') || *p == '-', "id byte %#x", *p);
	hyperlink_id(NULL, 1, e, sizeof e);
	ck_assert_int_eq(strncmp(e, "haos-", 5), 0);
}
END_TEST

START_TEST(test_detect)
{
	struct hyperlink_env	 e;

	memset(&e, 0, sizeof e);
	ck_assert_int_eq(hyperlink_detect("yes", &e), 1);
	ck_assert_int_eq(hyperlink_detect("no", &e), 0);
	ck_assert_int_eq(hyperlink_detect("auto", &e), 0);
	e.term = "xterm-256color";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 0);
	e.kitty_window_id = "1";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 1);
	ck_assert_int_eq(hyperlink_detect("no", &e), 0);
	e.kitty_window_id = "";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 0);
	e.term = "xterm-kitty";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 1);
	e.term = "xterm-256color";
	e.term_program = "WezTerm";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 1);
	e.term_program = "ghostty";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 1);
	e.term_program = "Apple_Terminal";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 0);
	e.term_program = "iTerm.app";
	e.term_program_version = "3.0.15";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 0);
	e.term_program_version = "3.4.19";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 1);
	e.term_program = "vscode";
	e.term_program_version = "1.71.2";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 0);
	e.term_program_version = "1.85.1";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 1);
	e.term_program = NULL;
	e.term_program_version = NULL;
	e.vte_version = "4601";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 0);
	e.vte_version = "7600";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 1);
	e.vte_version = NULL;
	e.wt_session = "6a0f0c6e-0000";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 1);
	e.wt_session = NULL;
	e.konsole_version = "201100";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 0);
	e.konsole_version = "230805";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 1);
	e.konsole_version = NULL;
	e.term = "foot";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 1);
	e.term = "foot-extra";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 1);
	e.term = "footloose";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 0);
	e.term = "alacritty";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 1);
	/* tmux: its client's features, whatever the variables say. */
	e.term = "tmux-256color";
	e.term_program = "WezTerm";
	e.tmux = "/tmp/tmux-0/default,123,0";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 0);
	e.tmux_features = "256,RGB,bpaste,clipboard,title";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 0);
	e.tmux_features = "256,RGB,hyperlinksx,title";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 0);
	e.tmux_features = "256,RGB,bpaste,clipboard,hyperlinks,title";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 1);
	e.tmux_features = "hyperlinks";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 1);
	ck_assert_int_eq(hyperlink_detect("no", &e), 0);
	/* GNU screen passes nothing on. */
	e.tmux = NULL;
	e.sty = "1234.pts-0.host";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 0);
	e.sty = NULL;
	e.term = "screen-256color";
	ck_assert_int_eq(hyperlink_detect("auto", &e), 0);
	ck_assert_int_eq(hyperlink_detect("yes", &e), 1);
}
END_TEST

/* The body lines (after the day rule and header) of one HTML message. */
static void
render_html_msg(const char *body, const char *html, int width, int links,
    int ascii, struct render_line **l, size_t *n)
{
	struct event_row	 ev;
	struct render_opts	 ro;
	json_t			*c;

	if (html != NULL)
		c = json_pack("{s:s, s:s, s:s, s:s}", "msgtype", "m.text",
		    "body", body, "format", "org.matrix.custom.html",
		    "formatted_body", html);
	else
		c = json_pack("{s:s, s:s}", "msgtype", "m.text", "body", body);
	memset(&ev, 0, sizeof ev);
	ev.room_id = xstrdup("!r:haos.test");
	ev.event_id = xstrdup("$1");
	ev.sender = xstrdup("@alice:haos.test");
	ev.type = xstrdup("m.room.message");
	ev.ts = T0;
	ev.content = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	memset(&ro, 0, sizeof ro);
	ro.width = width;
	ro.now_ms = T0;
	ro.palette = 8;
	ro.ascii = ascii;
	ro.hyperlinks = links;
	ck_assert_int_eq(render_timeline(&ev, 1, &ro, l, n), 0);
	ck_assert_uint_ge(*n, 3);
	event_row_free(&ev);
}

/* The span holding needle on line i, or NULL. */
static const struct render_span *
span_at(const struct render_line *l, const char *needle)
{
	const char	*at = strstr(l->text, needle);
	size_t		 off, j;

	if (at == NULL)
		return NULL;
	off = (size_t)(at - l->text);
	for (j = 0; j < l->nspans; j++) {
		if (l->spans[j].off <= off && l->spans[j].off +
		    l->spans[j].len >= off + strlen(needle))
			return &l->spans[j];
	}
	return NULL;
}

/* The first body line holding needle, or NULL. */
static const struct render_line *
line_with(const struct render_line *l, size_t n, const char *needle)
{
	size_t	 i;

	for (i = 2; i < n; i++) {
		if (strstr(l[i].text, needle) != NULL)
			return &l[i];
	}
	return NULL;
}

START_TEST(test_spans)
{
	static const char	*html = "see <a href=\"https://example.org/"
	    "docs\">the docs</a> and <a href=\"https://example.org/x\x1b]2;t"
	    "\x07\">evil</a> or <a href=\"https://matrix.to/#/@bob:haos.test"
	    "\">Bob</a> at https://example.org/plain.";
	struct render_line		*l;
	const struct render_line	*ln;
	const struct render_span	*s;
	size_t				 n;

	/* Hyperlinks: the text carries the URL, no brackets. */
	render_html_msg("x", html, 80, 1, 0, &l, &n);
	ln = line_with(l, n, "the docs");
	ck_assert_ptr_nonnull(ln);
	ck_assert_ptr_null(strstr(ln->text, "[https://example.org/docs]"));
	s = span_at(ln, "the docs");
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->attr, RA_LINK);
	ck_assert_str_eq(s->url, "https://example.org/docs");
	ck_assert_int_eq(s->link, 1);
	ck_assert_int_eq(s->color, 0);
	/* A hostile href: no URL, and its (sanitised) brackets drawn. */
	s = span_at(ln, "evil");
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(s->url);
	ck_assert_ptr_nonnull(strstr(ln->text, "evil [https://example.org/"));
	/* A pill is a name, not a hyperlink. */
	s = span_at(ln, "Bob");
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(s->url);
	/* A URL in the text: its own link, without the full stop. */
	ln = line_with(l, n, "https://example.org/plain");
	s = span_at(ln, "https://example.org/plain");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->url, "https://example.org/plain");
	ck_assert_int_eq(s->link, 2);
	render_lines_free(l, n);

	/* Hyperlinks off, or in ASCII: the URL in brackets, as before. */
	render_html_msg("x", html, 80, 0, 0, &l, &n);
	ck_assert_ptr_nonnull(line_with(l, n, "the docs "
	    "[https://example.org/docs]"));
	render_lines_free(l, n);
	render_html_msg("x", html, 80, 1, 1, &l, &n);
	ck_assert_ptr_nonnull(line_with(l, n, "the docs "
	    "[https://example.org/docs]"));
	render_lines_free(l, n);
}
END_TEST

START_TEST(test_wrapped_link)
{
	struct render_line	*l;
	const struct render_span *a, *b;
	size_t			 n;

	/* A link's text over two lines: one link, the same on both. */
	render_html_msg("x", "<b>x <a href=\"https://example.org/w\">wrapped "
	    "link text</a></b> <a href=\"https://example.org/2\">two</a>",
	    12, 1, 0, &l, &n);
	ck_assert_ptr_nonnull(line_with(l, n, "wrapped"));
	ck_assert_ptr_nonnull(line_with(l, n, "link text"));
	ck_assert_ptr_ne(line_with(l, n, "wrapped"), line_with(l, n,
	    "link text"));
	a = span_at(line_with(l, n, "wrapped"), "wrapped");
	b = span_at(line_with(l, n, "link text"), "link text");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(a->url, "https://example.org/w");
	ck_assert_str_eq(b->url, "https://example.org/w");
	ck_assert_int_eq(a->link, b->link);
	ck_assert_uint_eq(a->flags & RF_BOLD, RF_BOLD);
	a = span_at(line_with(l, n, "two"), "two");
	ck_assert_str_eq(a->url, "https://example.org/2");
	ck_assert_int_ne(a->link, b->link);
	render_lines_free(l, n);

	/* A plain body: a URL broken over lines keeps its URL whole. */
	render_html_msg("see https://example.org/a-very-long-path ok", NULL,
	    16, 1, 0, &l, &n);
	a = span_at(line_with(l, n, "https://"), "https://");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->url, "https://example.org/a-very-long-path");
	b = span_at(line_with(l, n, "path"), "path");
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b->url, "https://example.org/a-very-long-path");
	ck_assert_int_eq(a->link, b->link);
	render_lines_free(l, n);
}
END_TEST

Suite *
suite_hyperlink(void)
{
	Suite	*s = suite_create("hyperlink");
	TCase	*tc = tcase_create("hyperlink");

	tcase_add_test(tc, test_clean);
	tcase_add_test(tc, test_sequence);
	tcase_add_test(tc, test_id);
	tcase_add_test(tc, test_detect);
	tcase_add_test(tc, test_spans);
	tcase_add_test(tc, test_wrapped_link);
	suite_add_tcase(s, tc);
	return s;
}
