/* Typing line text, notification escapes and their sanitising. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/activity.h"

#define ELL	"\xe2\x80\xa6"

START_TEST(typing_none)
{
	ck_assert_ptr_null(activity_typing_text(NULL, 0, 0));
}
END_TEST

START_TEST(typing_one_two_many)
{
	const char	*one[] = { "alice" };
	const char	*two[] = { "alice", "bob" };
	const char	*three[] = { "alice", "bob", "carol" };
	char		*t;

	t = activity_typing_text(one, 1, 0);
	ck_assert_str_eq(t, "alice is typing" ELL);
	free(t);
	t = activity_typing_text(two, 2, 0);
	ck_assert_str_eq(t, "alice and bob are typing" ELL);
	free(t);
	t = activity_typing_text(three, 3, 0);
	ck_assert_str_eq(t, "several people are typing" ELL);
	free(t);
	t = activity_typing_text(two, 2, 1);
	ck_assert_str_eq(t, "alice and bob are typing...");
	free(t);
}
END_TEST

START_TEST(typing_stable_order)
{
	const char	*bc[] = { "Bob", "Carol" };
	const char	*cb[] = { "Carol", "Bob" };
	const char	*mixed[] = { "carol", "Bob" };
	char		*t;

	/* The server's order (a set in Synapse) does not show. */
	t = activity_typing_text(cb, 2, 0);
	ck_assert_str_eq(t, "Bob and Carol are typing" ELL);
	free(t);
	t = activity_typing_text(bc, 2, 0);
	ck_assert_str_eq(t, "Bob and Carol are typing" ELL);
	free(t);
	t = activity_typing_text(mixed, 2, 0);
	ck_assert_str_eq(t, "Bob and carol are typing" ELL);
	free(t);
}
END_TEST

START_TEST(typing_hostile_names)
{
	const char	*evil[] = { "mal\x1b[2Jlory\n", "\xe2\x80\xae" "evil" };
	char		*t;

	t = activity_typing_text(evil, 2, 0);
	ck_assert_ptr_null(strchr(t, '\x1b'));
	ck_assert_ptr_null(strchr(t, '\n'));
	ck_assert_ptr_null(strstr(t, "\xe2\x80\xae"));
	ck_assert_ptr_nonnull(strstr(t, "mallory"));
	ck_assert_ptr_nonnull(strstr(t, "evil and mal"));
	free(t);
}
END_TEST

START_TEST(typing_long_name_cut)
{
	const char	*n[] = {
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq"
	};
	char		*t;

	t = activity_typing_text(n, 1, 0);
	/* 31 letters and the ellipsis: ACTIVITY_NAME_MAX cells. */
	ck_assert_str_eq(t, "abcdefghijklmnopqrstuvwxyzabcde" ELL
	    " is typing" ELL);
	free(t);
}
END_TEST

START_TEST(typing_steps)
{
	struct activity_typing	 t;
	char			*stop;
	unsigned int		 a;

	memset(&t, 0, sizeof t);
	/* Nothing typed: nothing sent. */
	ck_assert_uint_eq(activity_typing_step(&t, "!a", "", 0, &stop), 0);
	/* The first character starts typing. */
	a = activity_typing_step(&t, "!a", "h", 100, &stop);
	ck_assert_uint_eq(a, ACTIVITY_TYPING_START);
	ck_assert_ptr_null(stop);
	/* More within 4 s: throttled. */
	ck_assert_uint_eq(activity_typing_step(&t, "!a", "he", 2000, &stop),
	    0);
	ck_assert_uint_eq(activity_typing_step(&t, "!a", "hel", 4099, &stop),
	    0);
	/* 4 s later and still changing: renewed. */
	ck_assert_uint_eq(activity_typing_step(&t, "!a", "hell", 4100,
	    &stop), ACTIVITY_TYPING_START);
	/* Unchanged draft: no renewal however long. */
	ck_assert_uint_eq(activity_typing_step(&t, "!a", "hell", 20000,
	    &stop), 0);
	/* Cleared (or sent): stopped once. */
	a = activity_typing_step(&t, "!a", "", 20100, &stop);
	ck_assert_uint_eq(a, ACTIVITY_TYPING_STOP);
	ck_assert_str_eq(stop, "!a");
	free(stop);
	ck_assert_uint_eq(activity_typing_step(&t, "!a", "", 20200, &stop),
	    0);
	/* A /command is not typing; // is. */
	ck_assert_uint_eq(activity_typing_step(&t, "!a", "/he", 30000,
	    &stop), 0);
	ck_assert_uint_eq(activity_typing_step(&t, "!a", "//x", 30100,
	    &stop), ACTIVITY_TYPING_START);
	a = activity_typing_step(&t, "!a", "/help", 30200, &stop);
	ck_assert_uint_eq(a, ACTIVITY_TYPING_STOP);
	ck_assert_str_eq(stop, "!a");
	free(stop);
	/* Another room: stop in the old one, start in the new one. */
	ck_assert_uint_eq(activity_typing_step(&t, "!a", "x", 40000, &stop),
	    ACTIVITY_TYPING_START);
	a = activity_typing_step(&t, "!b", "xy", 40100, &stop);
	ck_assert_uint_eq(a, ACTIVITY_TYPING_STOP | ACTIVITY_TYPING_START);
	ck_assert_str_eq(stop, "!a");
	free(stop);
	/* No room at all stops it. */
	a = activity_typing_step(&t, NULL, "xy", 40200, &stop);
	ck_assert_uint_eq(a, ACTIVITY_TYPING_STOP);
	ck_assert_str_eq(stop, "!b");
	free(stop);
	activity_typing_clear(&t);
	ck_assert_ptr_null(t.room);
}
END_TEST

START_TEST(notify_bytes)
{
	char	*b;

	b = activity_notify_bytes(ACTIVITY_BELL, "Bob", "hi");
	ck_assert_str_eq(b, "\a");
	free(b);
	b = activity_notify_bytes(ACTIVITY_OSC777, "Bob in #random", "hi");
	ck_assert_str_eq(b, "\033]777;notify;Bob in #random;hi\a");
	free(b);
	b = activity_notify_bytes(ACTIVITY_OSC9, "Bob", "hi");
	ck_assert_str_eq(b, "\033]9;Bob: hi\a");
	free(b);
	b = activity_notify_bytes(ACTIVITY_BELL | ACTIVITY_OSC777 |
	    ACTIVITY_OSC9, "Bob", "hi");
	ck_assert_str_eq(b, "\a\033]777;notify;Bob;hi\a\033]9;Bob: hi\a");
	free(b);
	b = activity_notify_bytes(0, "Bob", "hi");
	ck_assert_str_eq(b, "");
	free(b);
}
END_TEST

START_TEST(notify_tmux)
{
	char	*b;

	b = activity_notify_bytes(ACTIVITY_BELL | ACTIVITY_OSC777 |
	    ACTIVITY_OSC9 | ACTIVITY_TMUX, "Bob", "hi");
	ck_assert_str_eq(b, "\a"
	    "\033Ptmux;\033\033]777;notify;Bob;hi\a\033\\"
	    "\033Ptmux;\033\033]9;Bob: hi\a\033\\");
	free(b);
	/* A hostile ESC cannot end the passthrough early. */
	b = activity_notify_bytes(ACTIVITY_OSC9 | ACTIVITY_TMUX, "",
	    "a\033\\b");
	ck_assert_str_eq(b, "\033Ptmux;\033\033]9;ab\a\033\\");
	free(b);
}
END_TEST

START_TEST(notify_hostile)
{
	char	*b;

	/* An OSC 52 (clipboard) inside, a ';' field, BEL, newlines, C1. */
	b = activity_notify_bytes(ACTIVITY_OSC777, "a;b\a",
	    "x\033]52;c;aGk=\a\ny\xc2\x85z\x7f");
	ck_assert_str_eq(b, "\033]777;notify;a,b;x yz\a");
	free(b);
}
END_TEST

START_TEST(notify_clean_cap)
{
	char	 big[400], *c;
	size_t	 i;

	for (i = 0; i + 2 < sizeof big; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);		/* é */
	big[i] = '\0';
	c = activity_notify_clean(big, 11);
	/* 4 whole é (8 bytes), then the 3-byte ellipsis. */
	ck_assert_str_eq(c, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" ELL);
	free(c);
	c = activity_notify_clean(big, ACTIVITY_NOTIFY_MAX);
	ck_assert_uint_le(strlen(c), ACTIVITY_NOTIFY_MAX);
	free(c);
	c = activity_notify_clean("short", 2);
	ck_assert_str_eq(c, "");
	free(c);
	c = activity_notify_clean(NULL, 10);
	ck_assert_str_eq(c, "");
	free(c);
}
END_TEST

/* Online first, away after idle_ms without a key, online with the next. */
START_TEST(test_presence_step)
{
	struct activity_presence	 p = { NULL };

	ck_assert_str_eq(activity_presence_step(&p, 1000, 1000, 60000),
	    "online");
	ck_assert_ptr_null(activity_presence_step(&p, 30000, 1000, 60000));
	ck_assert_str_eq(activity_presence_step(&p, 61000, 1000, 60000),
	    "unavailable");
	ck_assert_ptr_null(activity_presence_step(&p, 90000, 1000, 60000));
	ck_assert_str_eq(activity_presence_step(&p, 91000, 91000, 60000),
	    "online");
	/* idle 0: never away. */
	ck_assert_ptr_null(activity_presence_step(&p, 9999999, 0, 0));
}
END_TEST

Suite *
suite_activity(void)
{
	Suite	*s = suite_create("activity");
	TCase	*tc = tcase_create("activity");

	tcase_add_test(tc, typing_none);
	tcase_add_test(tc, test_presence_step);
	tcase_add_test(tc, typing_one_two_many);
	tcase_add_test(tc, typing_stable_order);
	tcase_add_test(tc, typing_hostile_names);
	tcase_add_test(tc, typing_long_name_cut);
	tcase_add_test(tc, typing_steps);
	tcase_add_test(tc, notify_bytes);
	tcase_add_test(tc, notify_tmux);
	tcase_add_test(tc, notify_hostile);
	tcase_add_test(tc, notify_clean_cap);
	suite_add_tcase(s, tc);
	return s;
}
