/* Retry policy: backoff growth, jitter bounds, the cap, what is retried. */
#include "check_haos.h"

#include "haos/error.h"
#include "haos/http.h"

START_TEST(test_backoff_bounds)
{
	unsigned int	 seed = 12345;
	long		 base, d;
	int		 attempt, i;

	for (attempt = 1; attempt <= 20; attempt++) {
		base = 500L << (attempt - 1 < 10 ? attempt - 1 : 10);
		if (base > HTTP_BACKOFF_MAX_MS)
			base = HTTP_BACKOFF_MAX_MS;
		for (i = 0; i < 200; i++) {
			d = http_backoff_ms(attempt, &seed);
			ck_assert_int_ge(d, base / 2);
			ck_assert_int_le(d, base);
		}
	}
	/* Capped at 30 s however many attempts. */
	ck_assert_int_le(http_backoff_ms(1000, &seed), 30000);
}
END_TEST

/* Jitter: repeated draws for one attempt are not all equal. */
START_TEST(test_backoff_jitter)
{
	unsigned int	 seed = 7;
	long		 first, d;
	int		 i, differ = 0;

	first = http_backoff_ms(6, &seed);
	for (i = 0; i < 50; i++) {
		d = http_backoff_ms(6, &seed);
		if (d != first)
			differ = 1;
	}
	ck_assert(differ);
}
END_TEST

START_TEST(test_retryable)
{
	struct haos_error	 e;
	unsigned int		 seed = 1;

	haos_error_set(&e, HAOS_ENET, "Connection refused");
	ck_assert(http_retryable(&e));
	haos_error_matrix(&e, 500, "M_UNKNOWN", "Internal error");
	ck_assert(http_retryable(&e));
	haos_error_set(&e, HAOS_EHTTP, "bad gateway");
	e.http_status = 502;
	ck_assert(http_retryable(&e));
	haos_error_matrix(&e, 429, "M_LIMIT_EXCEEDED", "Too Many Requests");
	e.retry_after_ms = 1234;
	ck_assert(http_retryable(&e));
	ck_assert_int_eq(http_retry_delay_ms(&e, 5, &seed), 1234);
	/* One answer asking for an hour waits a minute at most. */
	e.retry_after_ms = 3600000;
	ck_assert_int_eq(http_retry_delay_ms(&e, 1, &seed),
	    HTTP_RETRY_AFTER_MAX_MS);
	ck_assert_int_le(HTTP_RETRY_AFTER_MAX_MS, 120000);
	haos_error_matrix(&e, 403, "M_FORBIDDEN", "no");
	ck_assert(!http_retryable(&e));
	haos_error_matrix(&e, 413, "M_TOO_LARGE", "too big");
	ck_assert(!http_retryable(&e));
	haos_error_matrix(&e, 401, "M_UNKNOWN_TOKEN", "gone");
	ck_assert(!http_retryable(&e));
}
END_TEST

Suite *
suite_http(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("http");
	tc = tcase_create("retry");
	tcase_add_test(tc, test_backoff_bounds);
	tcase_add_test(tc, test_backoff_jitter);
	tcase_add_test(tc, test_retryable);
	suite_add_tcase(s, tc);
	return s;
}
