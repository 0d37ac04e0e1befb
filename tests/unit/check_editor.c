/* Line editor: grapheme moves, words, kill ring, history, completion. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/editor.h"

START_TEST(test_insert_cursor)
{
	struct editor	*e;

	e = editor_new();
	ck_assert_str_eq(editor_text(e), "");
	ck_assert_uint_eq(editor_cursor(e), 0);
	editor_insert(e, "hello");
	ck_assert_str_eq(editor_text(e), "hello");
	ck_assert_uint_eq(editor_cursor(e), 5);
	editor_home(e);
	editor_insert(e, ">");
	ck_assert_str_eq(editor_text(e), ">hello");
	ck_assert_uint_eq(editor_cursor(e), 1);
	editor_end(e);
	ck_assert_uint_eq(editor_cursor(e), 6);
	editor_set(e, "abc");
	ck_assert_str_eq(editor_text(e), "abc");
	ck_assert_uint_eq(editor_cursor(e), 3);
	editor_clear(e);
	ck_assert_str_eq(editor_text(e), "");
	ck_assert_uint_eq(editor_cursor(e), 0);
	editor_free(e);
}
END_TEST

START_TEST(test_insert_sanitised)
{
	struct editor	*e;

	e = editor_new();
	editor_insert(e, "a\x1b[2Jb\x07\xff");
	ck_assert_str_eq(editor_text(e), "ab\xef\xbf\xbd");
	editor_insert(e, "\n");
	ck_assert_str_eq(editor_text(e), "ab\xef\xbf\xbd\n");
	editor_free(e);
}
END_TEST

START_TEST(test_graphemes)
{
	struct editor	*e;

	e = editor_new();
	/* e + combining acute, family ZWJ emoji, CJK. */
	editor_insert(e, "e\xcc\x81👨‍👩‍👧日x");
	/* The family is 6 cells, as the terminal draws it. */
	ck_assert_int_eq(editor_cursor_col(e), 1 + 6 + 2 + 1);
	editor_left(e);
	ck_assert_str_eq(editor_text(e) + editor_cursor(e), "x");
	ck_assert_int_eq(editor_cursor_col(e), 9);
	editor_left(e);
	ck_assert_str_eq(editor_text(e) + editor_cursor(e), "日x");
	editor_left(e);
	ck_assert_str_eq(editor_text(e) + editor_cursor(e), "👨‍👩‍👧日x");
	ck_assert_int_eq(editor_cursor_col(e), 1);
	editor_left(e);
	ck_assert_uint_eq(editor_cursor(e), 0);
	editor_left(e);
	ck_assert_uint_eq(editor_cursor(e), 0);
	editor_right(e);
	ck_assert_uint_eq(editor_cursor(e), 3);
	editor_delete(e);			/* the whole family */
	ck_assert_str_eq(editor_text(e), "e\xcc\x81日x");
	editor_backspace(e);			/* e and its accent */
	ck_assert_str_eq(editor_text(e), "日x");
	ck_assert_uint_eq(editor_cursor(e), 0);
	editor_backspace(e);
	ck_assert_str_eq(editor_text(e), "日x");
	editor_end(e);
	editor_right(e);
	ck_assert_uint_eq(editor_cursor(e), strlen("日x"));
	editor_free(e);
}
END_TEST

START_TEST(test_multiline)
{
	struct editor	*e;

	e = editor_new();
	editor_insert(e, "first line");
	editor_insert(e, "\n");
	editor_insert(e, "日本");
	ck_assert_str_eq(editor_text(e), "first line\n日本");
	ck_assert_int_eq(editor_cursor_col(e), 4);
	editor_home(e);
	ck_assert_uint_eq(editor_cursor(e), 11);
	ck_assert_int_eq(editor_cursor_col(e), 0);
	editor_left(e);				/* onto the newline */
	ck_assert_uint_eq(editor_cursor(e), 10);
	ck_assert_int_eq(editor_cursor_col(e), 10);
	editor_home(e);
	ck_assert_uint_eq(editor_cursor(e), 0);
	editor_end(e);
	ck_assert_uint_eq(editor_cursor(e), 10);
	editor_free(e);
}
END_TEST

START_TEST(test_words)
{
	struct editor	*e;

	e = editor_new();
	editor_insert(e, "hello, wide world!");
	editor_word_left(e);
	ck_assert_str_eq(editor_text(e) + editor_cursor(e), "world!");
	editor_word_left(e);
	ck_assert_str_eq(editor_text(e) + editor_cursor(e), "wide world!");
	editor_word_left(e);
	ck_assert_uint_eq(editor_cursor(e), 0);
	editor_word_right(e);
	ck_assert_str_eq(editor_text(e) + editor_cursor(e),
	    ", wide world!");
	editor_word_right(e);
	ck_assert_str_eq(editor_text(e) + editor_cursor(e), " world!");
	editor_word_right(e);
	editor_word_right(e);
	ck_assert_uint_eq(editor_cursor(e), strlen(editor_text(e)));
	editor_free(e);
}
END_TEST

START_TEST(test_kill_yank)
{
	struct editor	*e;

	e = editor_new();
	editor_insert(e, "one two https://x.test/a?b");
	editor_kill_word_back(e);		/* C-w: back to a space */
	ck_assert_str_eq(editor_text(e), "one two ");
	editor_yank(e);
	ck_assert_str_eq(editor_text(e), "one two https://x.test/a?b");

	/* Consecutive kills join into one entry. */
	editor_kill_word_back(e);
	editor_kill_word_back(e);
	ck_assert_str_eq(editor_text(e), "one ");
	editor_yank(e);
	ck_assert_str_eq(editor_text(e), "one two https://x.test/a?b");

	editor_home(e);
	editor_word_right(e);
	editor_kill_to_end(e);			/* C-k */
	ck_assert_str_eq(editor_text(e), "one");
	editor_kill_to_start(e);		/* C-u, a new entry */
	ck_assert_str_eq(editor_text(e), "");
	editor_yank(e);
	ck_assert_str_eq(editor_text(e), "one two https://x.test/a?b");
	editor_clear(e);
	editor_yank(e);
	ck_assert_str_eq(editor_text(e), "one two https://x.test/a?b");

	/* Kills never touch the other lines of a draft. */
	editor_set(e, "a b\nc d");
	editor_kill_to_start(e);
	ck_assert_str_eq(editor_text(e), "a b\n");
	editor_free(e);
}
END_TEST

START_TEST(test_history)
{
	struct editor	*e;

	e = editor_new();
	ck_assert_int_eq(editor_history_prev(e, "!a"), 0);
	editor_history_add(e, "!a", "first");
	editor_history_add(e, "!a", "second");
	editor_history_add(e, "!b", "other room");
	editor_insert(e, "draft");
	ck_assert_int_eq(editor_history_prev(e, "!a"), 1);
	ck_assert_str_eq(editor_text(e), "second");
	ck_assert_uint_eq(editor_cursor(e), 6);
	ck_assert_int_eq(editor_history_prev(e, "!a"), 1);
	ck_assert_str_eq(editor_text(e), "first");
	ck_assert_int_eq(editor_history_prev(e, "!a"), 0);
	ck_assert_str_eq(editor_text(e), "first");
	ck_assert_int_eq(editor_history_next(e, "!a"), 1);
	ck_assert_str_eq(editor_text(e), "second");
	ck_assert_int_eq(editor_history_next(e, "!a"), 1);
	ck_assert_str_eq(editor_text(e), "draft");
	ck_assert_int_eq(editor_history_next(e, "!a"), 0);
	ck_assert_str_eq(editor_text(e), "draft");

	editor_clear(e);
	ck_assert_int_eq(editor_history_prev(e, "!b"), 1);
	ck_assert_str_eq(editor_text(e), "other room");
	ck_assert_int_eq(editor_history_prev(e, "!b"), 0);
	ck_assert_int_eq(editor_history_prev(e, "!c"), 0);

	/* Repeats and empty lines are not recorded. */
	editor_history_add(e, "!c", "x");
	editor_history_add(e, "!c", "x");
	editor_history_add(e, "!c", "");
	ck_assert_int_eq(editor_history_prev(e, "!c"), 1);
	ck_assert_int_eq(editor_history_prev(e, "!c"), 0);
	editor_free(e);
}
END_TEST

START_TEST(test_complete)
{
	static const char *const cand[] = {
		"@alice:haos.test", "@alan:haos.test", "@bob:haos.test",
		"/kick", "#general"
	};
	struct editor	*e;

	e = editor_new();
	editor_insert(e, "hi @B");
	ck_assert_int_eq(editor_complete(e, cand, nitems(cand)), 1);
	ck_assert_str_eq(editor_text(e), "hi @bob:haos.test ");

	editor_set(e, "hi @al");
	ck_assert_int_eq(editor_complete(e, cand, nitems(cand)), 1);
	ck_assert_str_eq(editor_text(e), "hi @alice:haos.test");
	ck_assert_int_eq(editor_complete(e, cand, nitems(cand)), 1);
	ck_assert_str_eq(editor_text(e), "hi @alan:haos.test");
	ck_assert_int_eq(editor_complete(e, cand, nitems(cand)), 1);
	ck_assert_str_eq(editor_text(e), "hi @alice:haos.test");
	editor_insert(e, "!");			/* ends the cycle */
	ck_assert_int_eq(editor_complete(e, cand, nitems(cand)), 0);

	editor_set(e, "/ki");
	editor_insert(e, " rest");
	editor_home(e);
	editor_word_right(e);			/* cursor after "/ki" */
	ck_assert_int_eq(editor_complete(e, cand, nitems(cand)), 1);
	ck_assert_str_eq(editor_text(e), "/kick  rest");

	editor_set(e, "#nothing");
	ck_assert_int_eq(editor_complete(e, cand, nitems(cand)), 0);
	ck_assert_str_eq(editor_text(e), "#nothing");
	editor_set(e, "a ");
	ck_assert_int_eq(editor_complete(e, cand, nitems(cand)), 0);
	editor_free(e);
}
END_TEST

Suite *
suite_editor(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("editor");
	tc = tcase_create("core");
	tcase_add_test(tc, test_insert_cursor);
	tcase_add_test(tc, test_insert_sanitised);
	tcase_add_test(tc, test_graphemes);
	tcase_add_test(tc, test_multiline);
	tcase_add_test(tc, test_words);
	tcase_add_test(tc, test_kill_yank);
	tcase_add_test(tc, test_history);
	tcase_add_test(tc, test_complete);
	suite_add_tcase(s, tc);
	return s;
}
