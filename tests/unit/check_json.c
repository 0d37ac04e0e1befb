/* Network JSON: NUL, invalid UTF-8 and lone surrogates never lose a body. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/json.h"

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

Suite *
suite_json(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("json");
	tc = tcase_create("network");
	tcase_add_test(tc, test_nul_kept);
	tcase_add_test(tc, test_invalid_utf8);
	tcase_add_test(tc, test_surrogates);
	tcase_add_test(tc, test_raw_controls);
	tcase_add_test(tc, test_not_json);
	suite_add_tcase(s, tc);
	return s;
}
