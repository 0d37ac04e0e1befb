/* Outgoing Markdown: typed text → the formatted_body Element sends. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/haos.h"
#include "haos/markdown.h"

/*
 * What Element (matrix-react-sdk's Markdown.ts on commonmark.js) sends as
 * formatted_body for the same input; NULL: no formatted_body at all.
 */
static const struct {
	const char	*in;
	const char	*html;
} cases[] = {
	{ "**bold**", "<strong>bold</strong>" },
	{ "__bold__", "<strong>bold</strong>" },
	{ "*it*", "<em>it</em>" },
	{ "_it_", "<em>it</em>" },
	{ "`x`", "<code>x</code>" },
	{ "**bold** and `code`",
	  "<strong>bold</strong> and <code>code</code>" },
	{ "a `<b>` code", "a <code>&lt;b&gt;</code> code" },
	{ "```c\nint x = 1 < 2;\n```",
	  "<pre><code class=\"language-c\">int x = 1 &lt; 2;\n"
	  "</code></pre>\n" },
	{ "```\nplain\n```", "<pre><code>plain\n</code></pre>\n" },
	{ "    indented", "<pre><code>indented\n</code></pre>\n" },
	{ "- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n" },
	{ "1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n" },
	{ "3. three", "<ol start=\"3\">\n<li>three</li>\n</ol>\n" },
	{ "> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>\n" },
	{ "> quoted\n\nafter",
	  "<blockquote>\n<p>quoted</p>\n</blockquote>\n<p>after</p>\n" },
	{ "[site](https://example.org/a?b=1&c=2)",
	  "<a href=\"https://example.org/a?b=1&amp;c=2\">site</a>" },
	{ "<https://example.org>",
	  "<a href=\"https://example.org\">https://example.org</a>" },
	{ "[x](javascript:alert(1))", "<a href=\"\">x</a>" },
	{ "# Title", "<h1>Title</h1>\n" },
	{ "### Three", "<h3>Three</h3>\n" },
	{ "# T\n\ntext", "<h1>T</h1>\n<p>text</p>\n" },
	{ "para\n\n**two**", "<p>para</p>\n<p><strong>two</strong></p>\n" },
	{ "**a**\nb", "<strong>a</strong><br />b" },
	{ "---", "<hr />\n" },
	{ "**ünï** 😀", "<strong>ünï</strong> 😀" },
	/* Strikethrough as Element adds it to CommonMark: <del>. */
	{ "~~gone~~", "<del>gone</del>" },
	{ "a ~~b~~ c ~~d e~~!", "a <del>b</del> c <del>d e</del>!" },
	{ "~~a **b** c~~ d", "<del>a <strong>b</strong> c</del> d" },
	{ "~~**b**~~", "<del><strong>b</strong></del>" },
	{ "*~~x~~*", "<em><del>x</del></em>" },
	{ "`~~x~~` ~~y~~", "<code>~~x~~</code> <del>y</del>" },
	/* Backslash escapes: Element sends the text without them. */
	{ "\\*not em\\*", "*not em*" },
	{ "1\\. not a list", "1. not a list" },
	/* Raw HTML typed stays text: escaped, never passed through. */
	{ "<b>**x**</b>", "&lt;b&gt;<strong>x</strong>&lt;/b&gt;" },
	{ "*a*\n\n<div onclick=\"x\">\nhi\n</div>",
	  "<p><em>a</em></p>\n<p>&lt;div onclick=&quot;x&quot;&gt;\nhi\n"
	  "&lt;/div&gt;</p>\n" },
	{ "*<img src=x onerror=alert(1)>*",
	  "<em>&lt;img src=x onerror=alert(1)&gt;</em>" },
	/* Plain: no formatted_body, as Element. */
	{ "plain text", NULL },
	{ "two\nlines", NULL },
	{ "para\n\npara", NULL },
	{ "<b>hi</b>", NULL },
	{ "<div>\nblock\n</div>", NULL },
	{ "a_b_c and snake_case_name", NULL },
	{ "2*3*4", "2<em>3</em>4" },	/* as commonmark.js */
	{ "C:\\dir\\file", NULL },
	{ "~~ not~~ struck", NULL },
	{ "a ~~b", NULL },
	{ "x ~~~y~~~ z", NULL },
	{ "mail me@example.org", NULL },
	{ "", NULL },
};

START_TEST(table)
{
	char	*got;
	size_t	 i;

	for (i = 0; i < nitems(cases); i++) {
		got = markdown_html(cases[i].in, NULL, NULL);
		if (cases[i].html == NULL)
			ck_assert_msg(got == NULL, "\"%s\" → \"%s\", want none",
			    cases[i].in, got);
		else
			ck_assert_msg(got != NULL && strcmp(got,
			    cases[i].html) == 0, "\"%s\" → \"%s\", want \"%s\"",
			    cases[i].in, got != NULL ? got : "(none)",
			    cases[i].html);
		free(got);
	}
	ck_assert_ptr_null(markdown_html(NULL, NULL, NULL));
}
END_TEST

/* "@x" and "@xy" are pills of @x:hs and @xy:hs, shown "X" and "XY". */
static size_t
pill(void *arg, const char *text, size_t len, size_t i,
    const char **user_id, const char **show)
{
	int	*calls = arg;

	(*calls)++;
	if (len - i >= 3 && strncmp(text + i, "@xy", 3) == 0) {
		*user_id = "@xy:hs";
		*show = "X<Y>";
		return 3;
	}
	if (len - i >= 2 && strncmp(text + i, "@x", 2) == 0) {
		*user_id = "@x:hs";
		*show = "X";
		return 2;
	}
	return 0;
}

/* Pills in text, never in code or inside a link; a pill is formatting. */
START_TEST(pills)
{
	char	*got;
	int	 calls = 0;

	got = markdown_html("hi @x", pill, &calls);
	ck_assert_str_eq(got, "hi <a href=\"https://matrix.to/#/@x:hs\">X</a>");
	free(got);
	got = markdown_html("**@xy** `@x` [@x](https://e.org) @x!", pill,
	    &calls);
	ck_assert_str_eq(got, "<strong><a href=\"https://matrix.to/#/@xy:hs\">"
	    "X&lt;Y&gt;</a></strong> <code>@x</code> <a href=\"https://e.org\">"
	    "@x</a> <a href=\"https://matrix.to/#/@x:hs\">X</a>!");
	free(got);
	/* Unknown: plain still. */
	got = markdown_html("mail @nobody", pill, &calls);
	ck_assert_ptr_null(got);
	ck_assert_int_gt(calls, 0);
}
END_TEST

/* Bad UTF-8 is repaired, not passed on; oversized text goes as typed. */
START_TEST(limits)
{
	char	*got, *big;

	got = markdown_html("**a\xff" "b**", NULL, NULL);
	ck_assert_str_eq(got, "<strong>a\xef\xbf\xbd" "b</strong>");
	free(got);
	big = malloc(MARKDOWN_MAX + 2);
	memset(big, '*', MARKDOWN_MAX + 1);
	big[0] = '`';
	big[MARKDOWN_MAX] = '`';
	big[MARKDOWN_MAX + 1] = '\0';
	ck_assert_ptr_null(markdown_html(big, NULL, NULL));
	big[MARKDOWN_MAX] = '\0';
	big[MARKDOWN_MAX - 1] = '`';
	got = markdown_html(big, NULL, NULL);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(strncmp(got, "<code>", 6), 0);
	free(got);
	free(big);
}
END_TEST

static void
code_is(const char *text, size_t want, const char *const *spans)
{
	struct markdown_range	*r;
	size_t			 n, i;

	n = markdown_code(text, &r);
	ck_assert_uint_eq(n, want);
	for (i = 0; i < n; i++) {
		ck_assert_uint_lt(r[i].start, r[i].end);
		ck_assert_int_eq((int)strlen(spans[i]),
		    (int)(r[i].end - r[i].start));
		ck_assert_int_eq(strncmp(text + r[i].start, spans[i],
		    r[i].end - r[i].start), 0);
	}
	free(r);
}

/* Code spans with their backticks, code blocks as whole lines. */
START_TEST(code_ranges)
{
	static const char *const a[] = { "`@a`", "``x `y` z``" };
	static const char *const b[] = { "```\n@b\n```", "    @c\n" };
	static const char *const c[] = { "`q`" };

	code_is("hi `@a` and ``x `y` z`` end", 2, a);
	code_is("t\n\n```\n@b\n```\n\n    @c\n\nu", 2, b);
	code_is("> quote `q`\r\nnext", 1, c);
	/* A continuation line indented with a tab: cmark's column is off. */
	code_is("para\n\tthird `q` x", 1, c);
	code_is("no ` code here", 0, NULL);
	code_is("", 0, NULL);
}
END_TEST

Suite *
suite_markdown(void)
{
	Suite	*s = suite_create("markdown");
	TCase	*tc = tcase_create("markdown");

	tcase_add_test(tc, table);
	tcase_add_test(tc, pills);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, code_ranges);
	suite_add_tcase(s, tc);
	return s;
}
