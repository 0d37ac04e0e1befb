/* Network JSON: NUL, invalid UTF-8 and lone surrogates never lose a body. */
#include "check_haos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/json.h"
#include "haos/xmalloc.h"

/* The string at key of what json_load_network() made of text. */
static json_t *
load(const char *text, size_t len, int want_repaired)
{
	json_error_t	 jerr;
	json_t		*j;
	int		 repaired = -1;

	j = json_load_network(text, len, &repaired, &jerr);
	ck_assert_msg(j != NULL, "refused: %s", jerr.text);
	ck_assert_int_eq(repaired, want_repaired);
	return j;
}

/*
 * What jansson frees is wiped first (a password, a plaintext): the whole
 * process runs with json.c's free function, set before main().
 */
START_TEST(test_frees_wiped)
{
	json_malloc_t	 m;
	json_free_t	 f;
	char		*p;

	json_get_alloc_funcs(&m, &f);
	ck_assert_ptr_eq((void *)m, (void *)malloc);
	ck_assert_ptr_ne((void *)f, (void *)free);
	ck_assert_ptr_nonnull((void *)f);
	p = m(64);
	memset(p, 'x', 64);
	f(p);		/* wiped and freed: asan and valgrind see no leak */
	f(NULL);
}
END_TEST

START_TEST(test_nul_kept)
{
	static const char	 t[] = "{\"body\":\"a\\u0000b\",\"n\":1}";
	json_t			*j;

	j = load(t, sizeof t - 1, 0);
	ck_assert_uint_eq(json_string_length(json_object_get(j, "body")), 3);
	ck_assert_int_eq(json_get_int(j, "n", 0), 1);
	json_decref(j);
}
END_TEST

START_TEST(test_invalid_utf8)
{
	static const char	 t[] = "{\"a\":\"ok \xc3\xa9\",\"b\":\"x\xff\xfey\","
	    "\"c\":\"\xe2\x82\"}";
	json_t			*j;

	j = load(t, sizeof t - 1, 1);
	/* The good string is untouched; each bad byte is one U+FFFD. */
	ck_assert_str_eq(json_get_str(j, "a", ""), "ok \xc3\xa9");
	ck_assert_str_eq(json_get_str(j, "b", ""),
	    "x\xef\xbf\xbd\xef\xbf\xbdy");
	ck_assert_str_eq(json_get_str(j, "c", ""),
	    "\xef\xbf\xbd\xef\xbf\xbd");
	json_decref(j);
}
END_TEST

START_TEST(test_surrogates)
{
	static const char	 t[] = "{\"hi\":\"<\\uD83D>\",\"lo\":\"\\uDE00\","
	    "\"pair\":\"\\uD83D\\uDE00\",\"lit\":\"\\\\uD800\","
	    "\"end\":\"\\uD83D\"}";
	json_t			*j;

	j = load(t, sizeof t - 1, 1);
	ck_assert_str_eq(json_get_str(j, "hi", ""), "<\xef\xbf\xbd>");
	ck_assert_str_eq(json_get_str(j, "lo", ""), "\xef\xbf\xbd");
	ck_assert_str_eq(json_get_str(j, "pair", ""), "\xf0\x9f\x98\x80");
	/* An escaped backslash: the text "\uD800", not an escape. */
	ck_assert_str_eq(json_get_str(j, "lit", ""), "\\uD800");
	ck_assert_str_eq(json_get_str(j, "end", ""), "\xef\xbf\xbd");
	json_decref(j);
}
END_TEST

START_TEST(test_raw_controls)
{
	static const char	 t[] = "{\n\t\"a\": \"line\none\ttab\x01\"\n}";
	json_t			*j;

	j = load(t, sizeof t - 1, 1);
	ck_assert_str_eq(json_get_str(j, "a", ""), "line\none\ttab\x01");
	json_decref(j);
}
END_TEST

START_TEST(test_not_json)
{
	json_error_t	 jerr;
	int		 repaired;

	ck_assert_ptr_null(json_load_network("<html>", 6, &repaired, &jerr));
	ck_assert_ptr_null(json_load_network("{\"a\":", 5, &repaired, &jerr));
	ck_assert_int_eq(repaired, 0);
}
END_TEST

/* json_load_next() of text: the value, and how many bytes it used. */
static json_t *
next(const char *text, size_t len, size_t want_used, int want_repaired)
{
	json_error_t	 jerr;
	json_t		*j;
	size_t		 used = 0;
	int		 repaired = -1;

	j = json_load_next(text, len, &used, &repaired, &jerr);
	ck_assert_msg(j != NULL, "refused: %s", jerr.text);
	ck_assert_uint_eq(used, want_used);
	ck_assert_int_eq(repaired, want_repaired);
	return j;
}

/* Values one after another: each stops where it ends, white space first. */
START_TEST(test_next_values)
{
	static const char	 t[] = "  \"k\" : {\"a\":[1,2]} ,12 ]";
	json_t			*j;

	j = next(t, sizeof t - 1, 5, 0);
	ck_assert_str_eq(json_string_value(j), "k");
	json_decref(j);
	j = next(t + 7, sizeof t - 8, 12, 0);
	ck_assert_int_eq(json_array_size(json_object_get(j, "a")), 2);
	json_decref(j);
	j = next(t + 21, sizeof t - 22, 2, 0);
	ck_assert_int_eq(json_integer_value(j), 12);
	json_decref(j);
	/* NUL inside a string is kept. */
	j = next("\"a\\u0000b\"x", 11, 10, 0);
	ck_assert_uint_eq(json_string_length(j), 3);
	json_decref(j);
}
END_TEST

/*
 * A value to repair far past the first window (4 KiB), with more to
 * repair after it: the value is repaired, the bytes it used are the
 * raw ones, and the text after it is not its business.
 */
START_TEST(test_next_repair_window)
{
	static const char *const bad[] = { "\xff", "\t", "\\ud800", "\xc3" };
	char		*t, *s;
	const char	*v;
	json_t		*j, *w;
	size_t		 n, len, pad, k, vlen;

	for (k = 0; k < nitems(bad); k++) {
		for (pad = 10; pad < 40000; pad = pad * 3 + 1) {
			t = xmalloc(pad + 64);
			s = xmalloc(pad + 1);
			memset(s, 'a', pad);
			s[pad] = '\0';
			n = (size_t)snprintf(t, pad + 64, " {\"x\":[\"%s%sz\"]}",
			    s, bad[k]);
			len = n + (size_t)snprintf(t + n, pad + 64 - n,
			    ",\"\xfe\x01\"");
			j = next(t, len, n, 1);
			v = json_string_value(json_array_get(json_object_get(j,
			    "x"), 0));
			vlen = strlen(v);
			ck_assert_uint_eq(strspn(v, "a"), pad);
			ck_assert_int_eq(v[vlen - 1], 'z');
			if (k == 1)
				ck_assert_int_eq(v[pad], '\t');
			else
				ck_assert_mem_eq(v + pad, "\xef\xbf\xbd", 3);
			/* The same text whole: the same value. */
			w = json_load_network(t, n, NULL, NULL);
			ck_assert_msg(json_equal(j, w), "pad %zu", pad);
			json_decref(w);
			json_decref(j);
			free(s);
			free(t);
		}
	}
}
END_TEST

/* Not JSON stays refused, repaired or not, cut or not. */
START_TEST(test_next_refused)
{
	static const char *const bad[] = {
		"", " ", "}", "{\"a\":[1,]\xff}", "{\"a\":\"\xff",
		"{\"a\":\"\xff\"", "[\"\\ud800\" 1]", "tru\xff",
	};
	json_error_t	 jerr;
	size_t		 i, used;
	int		 repaired;

	for (i = 0; i < nitems(bad); i++) {
		ck_assert_msg(json_load_next(bad[i], strlen(bad[i]), &used,
		    &repaired, &jerr) == NULL, "bad[%zu]", i);
		ck_assert_uint_eq(used, 0);
	}
}
END_TEST

Suite *
suite_json(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("json");
	tc = tcase_create("network");
	tcase_add_test(tc, test_frees_wiped);
	tcase_add_test(tc, test_nul_kept);
	tcase_add_test(tc, test_invalid_utf8);
	tcase_add_test(tc, test_surrogates);
	tcase_add_test(tc, test_raw_controls);
	tcase_add_test(tc, test_not_json);
	tcase_add_test(tc, test_next_values);
	tcase_add_test(tc, test_next_repair_window);
	tcase_add_test(tc, test_next_refused);
	suite_add_tcase(s, tc);
	return s;
}
