/* Wakeups: bits accumulate, the fd becomes readable, take clears. */
#include "check_haos.h"

#include <poll.h>
#include <pthread.h>

#include "haos/notify.h"

static int
readable(struct notify *n, int ms)
{
	struct pollfd	 p = { notify_fd(n), POLLIN, 0 };

	return poll(&p, 1, ms) == 1;
}

START_TEST(test_bits)
{
	struct notify	*n;

	n = notify_new();
	ck_assert_ptr_nonnull(n);
	ck_assert(!readable(n, 0));
	notify_post(n, NOTIFY_TIMELINE);
	notify_post(n, NOTIFY_MEMBERS);
	ck_assert(readable(n, 0));
	ck_assert_uint_eq(notify_take(n), NOTIFY_TIMELINE | NOTIFY_MEMBERS);
	ck_assert(!readable(n, 0));
	ck_assert_uint_eq(notify_take(n), 0);
	notify_free(n);
}
END_TEST

static void *
poster(void *arg)
{
	int	 i;

	for (i = 0; i < 10000; i++)
		notify_post(arg, 1u << (i % 10));
	return NULL;
}

/* Posting from another thread never loses a bit. */
START_TEST(test_threads)
{
	struct notify	*n;
	pthread_t	 t;
	unsigned int	 seen = 0;

	n = notify_new();
	pthread_create(&t, NULL, poster, n);
	while (seen != 0x3ffu) {
		if (readable(n, 1000))
			seen |= notify_take(n);
		else
			break;
	}
	pthread_join(t, NULL);
	seen |= notify_take(n);
	ck_assert_uint_eq(seen, 0x3ffu);
	notify_free(n);
}
END_TEST

Suite *
suite_notify(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("notify");
	tc = tcase_create("notify");
	tcase_add_test(tc, test_bits);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}
