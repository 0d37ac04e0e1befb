/* Mentions: detection, the m.mentions/formatted_body builder, id names. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/json.h"
#include "haos/mention.h"
#include "haos/model.h"
#include "haos/render.h"
#include "haos/xmalloc.h"

#define ME	"@alice:haos.test"

static const struct mention_member members[] = {
	{ "@alice:haos.test", "Alice" },
	{ "@bob:haos.test", "Bob" },
	{ "@bobby:haos.test", "Bobby Tables" },
	{ "@carol:haos.test", NULL },
	{ "@eve:haos.test", "<Eve & \"co\">" }
};

static int
of_me(const char *json, const char *name)
{
	json_t	*c = json_loads(json, 0, NULL);
	int	 r;

	ck_assert_ptr_nonnull(c);
	r = mention_of_me(c, ME, name);
	json_decref(c);
	return r;
}

START_TEST(detect)
{
	ck_assert_int_eq(of_me("{\"body\":\"hi @alice:haos.test!\"}", NULL),
	    1);
	ck_assert_int_eq(of_me("{\"body\":\"alice, look\"}", "Alice"), 1);
	ck_assert_int_eq(of_me("{\"body\":\"ALICE: look\"}", "Alice"), 1);
	/* Whole words only. */
	ck_assert_int_eq(of_me("{\"body\":\"Alicey and malice\"}", "Alice"),
	    0);
	ck_assert_int_eq(of_me("{\"body\":\"hello\"}", "Alice"), 0);
	ck_assert_int_eq(of_me("{\"body\":\"hello\", \"m.mentions\":"
	    "{\"user_ids\":[\"@alice:haos.test\"]}}", NULL), 1);
	ck_assert_int_eq(of_me("{\"body\":\"hello\", \"m.mentions\":"
	    "{\"user_ids\":[\"@bob:haos.test\"]}}", "Alice"), 0);
	ck_assert_int_eq(of_me("{\"body\":\"Zoë said hi\"}", "zoË"), 1);
	ck_assert_int_eq(of_me("{}", "Alice"), 0);
	ck_assert_int_eq(mention_of_me(NULL, ME, "Alice"), 0);
}
END_TEST

START_TEST(find_word)
{
	ck_assert_int_eq(mention_find_word("ping bob.", "Bob"), 1);
	ck_assert_int_eq(mention_find_word("bobby", "Bob"), 0);
	ck_assert_int_eq(mention_find_word("x_bob", "bob"), 0);
	ck_assert_int_eq(mention_find_word("(bob)", "bob"), 1);
	ck_assert_int_eq(mention_find_word("", "bob"), 0);
	ck_assert_int_eq(mention_find_word("bob", ""), 0);
}
END_TEST

static json_t *
build(const char *text, size_t *count)
{
	json_t	*c = json_pack("{s:s, s:s}", "msgtype", "m.text", "body", text);

	*count = mention_build(c, text, members, nitems(members), 0);
	return c;
}

START_TEST(build_by_name)
{
	json_t	*c;
	size_t	 n;

	c = build("@Bob lunch?", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(json_get_str(c, "body", ""), "Bob lunch?");
	ck_assert_str_eq(json_get_str(c, "format", ""),
	    "org.matrix.custom.html");
	ck_assert_str_eq(json_get_str(c, "formatted_body", ""),
	    "<a href=\"https://matrix.to/#/@bob:haos.test\">Bob</a> lunch?");
	ck_assert_uint_eq(json_array_size(json_get_arr(json_get_obj(c,
	    "m.mentions"), "user_ids")), 1);
	ck_assert_str_eq(json_string_value(json_array_get(json_get_arr(
	    json_get_obj(c, "m.mentions"), "user_ids"), 0)),
	    "@bob:haos.test");
	json_decref(c);
}
END_TEST

START_TEST(build_longest_and_ids)
{
	json_t	*c, *ids;
	size_t	 n;

	/* "@Bobby Tables" is Bobby, not Bob; a user id; a repeat. */
	c = build("@bobby tables & @carol:haos.test, @Bob\n@bob", &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(json_get_str(c, "body", ""),
	    "Bobby Tables & @carol:haos.test, Bob\nBob");
	ck_assert_str_eq(json_get_str(c, "formatted_body", ""),
	    "<a href=\"https://matrix.to/#/@bobby:haos.test\">Bobby Tables</a>"
	    " &amp; <a href=\"https://matrix.to/#/@carol:haos.test\">"
	    "@carol:haos.test</a>, <a href=\"https://matrix.to/#/"
	    "@bob:haos.test\">Bob</a><br /><a href=\"https://matrix.to/#/"
	    "@bob:haos.test\">Bob</a>");
	ids = json_get_arr(json_get_obj(c, "m.mentions"), "user_ids");
	ck_assert_uint_eq(json_array_size(ids), 3);
	json_decref(c);
}
END_TEST

START_TEST(build_none)
{
	json_t	*c;
	size_t	 n;

	/* No member, an e-mail address, a prefix of a longer word. */
	c = build("mail me@bob.example or @Bobcat or @nobody", &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(json_get_str(c, "body", ""),
	    "mail me@bob.example or @Bobcat or @nobody");
	ck_assert_ptr_null(json_object_get(c, "formatted_body"));
	ck_assert_ptr_null(json_object_get(c, "m.mentions"));
	ck_assert_ptr_null(json_object_get(c, "format"));
	json_decref(c);
}
END_TEST

START_TEST(build_escapes_html)
{
	json_t	*c;
	size_t	 n;

	c = build("<b>hi</b> @<Eve & \"co\"> 'x'", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(json_get_str(c, "formatted_body", ""),
	    "&lt;b&gt;hi&lt;/b&gt; <a href=\"https://matrix.to/#/"
	    "@eve:haos.test\">&lt;Eve &amp; &quot;co&quot;&gt;</a> "
	    "'x'");
	ck_assert_str_eq(json_get_str(c, "body", ""),
	    "<b>hi</b> <Eve & \"co\"> 'x'");
	json_decref(c);
}
END_TEST

/*
 * Markdown and mentions make one formatted_body: the pills inside the
 * formatting, none inside code; the body keeps the Markdown as typed
 * (with display names).  Markdown without a mention still formats.
 */
START_TEST(build_markdown)
{
	json_t	*c;
	size_t	 n;

	c = build("**@Bob** see `@carol:haos.test` and @carol:haos.test", &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(json_get_str(c, "formatted_body", ""),
	    "<strong><a href=\"https://matrix.to/#/@bob:haos.test\">Bob</a>"
	    "</strong> see <code>@carol:haos.test</code> and "
	    "<a href=\"https://matrix.to/#/@carol:haos.test\">"
	    "@carol:haos.test</a>");
	ck_assert_str_eq(json_get_str(c, "body", ""),
	    "**Bob** see `@carol:haos.test` and @carol:haos.test");
	json_decref(c);
	c = build("*hi* all", &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(json_get_str(c, "format", ""),
	    "org.matrix.custom.html");
	ck_assert_str_eq(json_get_str(c, "formatted_body", ""),
	    "<em>hi</em> all");
	ck_assert_str_eq(json_get_str(c, "body", ""), "*hi* all");
	ck_assert_ptr_null(json_object_get(c, "m.mentions"));
	json_decref(c);
}
END_TEST

/*
 * Code stays as typed in body as in formatted_body, and a user named
 * only inside code (a span, a fenced or an indented block) is not
 * mentioned (Element: no pill, no m.mentions).
 */
START_TEST(build_code)
{
	json_t	*c, *ids;
	size_t	 n;

	c = build("try `@Bob` or ``a `@Bobby Tables` b``", &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(json_get_str(c, "body", ""),
	    "try `@Bob` or ``a `@Bobby Tables` b``");
	ck_assert_ptr_null(json_object_get(c, "m.mentions"));
	ck_assert_str_eq(json_get_str(c, "formatted_body", ""),
	    "try <code>@Bob</code> or <code>a `@Bobby Tables` b</code>");
	json_decref(c);
	c = build("@carol:haos.test see\n```\n@Bob x\n```\n\n"
	    "    @eve:haos.test\n\n> `@Bob` and @bob", &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(json_get_str(c, "body", ""),
	    "@carol:haos.test see\n```\n@Bob x\n```\n\n"
	    "    @eve:haos.test\n\n> `@Bob` and Bob");
	ids = json_get_arr(json_get_obj(c, "m.mentions"), "user_ids");
	ck_assert_uint_eq(json_array_size(ids), 2);
	ck_assert_str_eq(json_string_value(json_array_get(ids, 0)),
	    "@carol:haos.test");
	ck_assert_str_eq(json_string_value(json_array_get(ids, 1)),
	    "@bob:haos.test");
	ck_assert_ptr_nonnull(strstr(json_get_str(c, "formatted_body", ""),
	    "<code>@Bob x\n</code>"));
	ck_assert_ptr_nonnull(strstr(json_get_str(c, "formatted_body", ""),
	    "<code>@eve:haos.test\n</code>"));
	json_decref(c);
	/* An unclosed backtick is no code. */
	c = build("a ` @Bob", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(json_get_str(c, "body", ""), "a ` Bob");
	json_decref(c);
}
END_TEST

/* MENTION_PLAIN: body as typed, m.mentions, no HTML. */
START_TEST(build_plain)
{
	json_t	*c;
	size_t	 n;

	c = json_pack("{s:s, s:s}", "msgtype", "m.text", "body",
	    "**@Bob**");
	n = mention_build(c, "**@Bob**", members, nitems(members),
	    MENTION_PLAIN);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(json_get_str(c, "body", ""), "**@Bob**");
	ck_assert_ptr_null(json_object_get(c, "formatted_body"));
	ck_assert_ptr_null(json_object_get(c, "format"));
	ck_assert_str_eq(json_string_value(json_array_get(json_get_arr(
	    json_get_obj(c, "m.mentions"), "user_ids"), 0)),
	    "@bob:haos.test");
	json_decref(c);
}
END_TEST

static const char *
name_of(void *arg __unused, const char *id)
{
	if (strcmp(id, "@bob:haos.test") == 0)
		return "Bob";
	if (strcmp(id, "@evil:haos.test") == 0)
		return "\x1b[2Jevil";
	return id;
}

START_TEST(names)
{
	char	*s;

	s = mention_names("ask @bob:haos.test. or @carol:haos.test, "
	    "me@bob:haos.test", name_of, NULL);
	ck_assert_str_eq(s, "ask @Bob. or @carol:haos.test, "
	    "me@bob:haos.test");
	free(s);
	s = mention_names("@bob:haos.test:", name_of, NULL);
	ck_assert_str_eq(s, "@Bob:");
	free(s);
	/* Unsanitised: the caller sanitises the whole body after. */
	s = mention_names("@evil:haos.test", name_of, NULL);
	ck_assert_str_eq(s, "@\x1b[2Jevil");
	free(s);
	s = mention_names("plain @ text", name_of, NULL);
	ck_assert_str_eq(s, "plain @ text");
	free(s);
	s = mention_names("@bob:haos.test", NULL, NULL);
	ck_assert_str_eq(s, "@bob:haos.test");
	free(s);
}
END_TEST

/*
 * The timeline shows "@bob:haos.test" as "@Bob", sanitised, and a
 * mention of me in the mention colour.
 */
START_TEST(render_names)
{
	struct event_row	 e;
	struct render_opts	 o;
	struct render_line	*l = NULL;
	size_t			 n = 0, i, k;
	int			 evil = 0, mention = 0, named = 0;

	memset(&e, 0, sizeof e);
	e.room_id = xstrdup("!r:haos.test");
	e.event_id = xstrdup("$1");
	e.sender = xstrdup("@carol:haos.test");
	e.type = xstrdup("m.room.message");
	e.ts = 1795428000000;
	e.content = xstrdup("{\"msgtype\":\"m.text\",\"body\":"
	    "\"ask @bob:haos.test and @evil:haos.test, ping Alice\"}");
	memset(&o, 0, sizeof o);
	o.width = 80;
	o.me = ME;
	o.my_name = "Alice";
	o.now_ms = e.ts;
	o.name_of = name_of;
	ck_assert_int_eq(render_timeline(&e, 1, &o, &l, &n), 0);
	for (i = 0; i < n; i++) {
		ck_assert_ptr_null(strchr(l[i].text, '\x1b'));
		ck_assert_ptr_null(strstr(l[i].text, "@bob:haos.test"));
		named |= strstr(l[i].text, "ask @Bob and @") != NULL;
		evil |= strstr(l[i].text, "evil") != NULL;
		for (k = 0; k < l[i].nspans; k++)
			mention |= l[i].spans[k].attr == RA_MENTION &&
			    strncmp(l[i].text + l[i].spans[k].off, "Alice",
			    5) == 0;
	}
	ck_assert(named);
	ck_assert(evil);
	ck_assert(mention);
	render_lines_free(l, n);
	event_row_free(&e);
}
END_TEST

START_TEST(html_escape)
{
	char	*s;

	s = mention_html_escape("a<b>&\"'\nz", 9);
	ck_assert_str_eq(s, "a&lt;b&gt;&amp;&quot;&#39;<br>z");
	free(s);
}
END_TEST

Suite *
suite_mention(void)
{
	Suite	*s = suite_create("mention");
	TCase	*tc = tcase_create("mention");

	tcase_add_test(tc, detect);
	tcase_add_test(tc, find_word);
	tcase_add_test(tc, build_by_name);
	tcase_add_test(tc, build_longest_and_ids);
	tcase_add_test(tc, build_none);
	tcase_add_test(tc, build_escapes_html);
	tcase_add_test(tc, build_markdown);
	tcase_add_test(tc, build_plain);
	tcase_add_test(tc, build_code);
	tcase_add_test(tc, names);
	tcase_add_test(tc, render_names);
	tcase_add_test(tc, html_escape);
	suite_add_tcase(s, tc);
	return s;
}
