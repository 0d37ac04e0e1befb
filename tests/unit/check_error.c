/* Error values and the Matrix errcode table. */
#include "check_haos.h"

#include <string.h>

#include "haos/error.h"
#include "haos/http.h"

START_TEST(test_errcodes)
{
	ck_assert_int_eq(mx_errcode_parse("M_FORBIDDEN"), MX_FORBIDDEN);
	ck_assert_int_eq(mx_errcode_parse("M_LIMIT_EXCEEDED"),
	    MX_LIMIT_EXCEEDED);
	ck_assert_int_eq(mx_errcode_parse("M_WHATEVER"), MX_OTHER);
	ck_assert_int_eq(mx_errcode_parse(""), MX_NONE);
	ck_assert_int_eq(mx_errcode_parse(NULL), MX_NONE);
	ck_assert_str_eq(mx_errcode_name(MX_UNKNOWN_TOKEN), "M_UNKNOWN_TOKEN");
}
END_TEST

/* Real Synapse error bodies become one error value each. */
START_TEST(test_from_response)
{
	struct http_resp	 r;
	struct haos_error	 err;
	char			 b1[] = "{\"errcode\":\"M_FORBIDDEN\",\"error\":"
				     "\"You don't have permission to kick\"}";
	char			 b2[] = "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"error\":"
				     "\"Too Many Requests\",\"retry_after_ms\":"
				     "2478}";
	char			 b3[] = "{\"errcode\":\"M_UNKNOWN_TOKEN\",\"error\":"
				     "\"Invalid access token passed.\","
				     "\"soft_logout\":true}";
	char			 b4[] = "<html>bad gateway</html>";
	char			 b5[] = "{\"errcode\":\"M_X\",\"error\":\"a\\u001b[2Jb\"}";

	memset(&r, 0, sizeof r);
	r.status = 200;
	ck_assert_int_eq(http_error_from_response(&r, &err), 0);

	r.status = 403;
	r.body = b1;
	r.body_len = strlen(b1);
	ck_assert_int_eq(http_error_from_response(&r, &err), -1);
	ck_assert_int_eq(err.code, HAOS_EMATRIX);
	ck_assert_int_eq(err.mx, MX_FORBIDDEN);
	ck_assert_int_eq(err.http_status, 403);
	ck_assert_str_eq(err.msg,
	    "M_FORBIDDEN: You don't have permission to kick");

	r.status = 429;
	r.body = b2;
	r.body_len = strlen(b2);
	ck_assert_int_eq(http_error_from_response(&r, &err), -1);
	ck_assert_int_eq(err.mx, MX_LIMIT_EXCEEDED);
	ck_assert_int_eq(err.retry_after_ms, 2478);

	r.status = 401;
	r.body = b3;
	r.body_len = strlen(b3);
	ck_assert_int_eq(http_error_from_response(&r, &err), -1);
	ck_assert_int_eq(err.mx, MX_UNKNOWN_TOKEN);
	ck_assert_int_eq(err.soft_logout, 1);

	r.status = 502;
	r.body = b4;
	r.body_len = strlen(b4);
	ck_assert_int_eq(http_error_from_response(&r, &err), -1);
	ck_assert_int_eq(err.code, HAOS_EHTTP);
	ck_assert_int_eq(err.http_status, 502);
	ck_assert_str_eq(err.msg, "the server answered HTTP 502");

	/* A hostile error text cannot carry escape sequences to the tty. */
	r.status = 400;
	r.body = b5;
	r.body_len = strlen(b5);
	ck_assert_int_eq(http_error_from_response(&r, &err), -1);
	ck_assert_ptr_null(strchr(err.msg, '\033'));
	ck_assert_str_eq(err.errcode, "M_X");
	ck_assert_int_eq(err.mx, MX_OTHER);
}
END_TEST

START_TEST(test_exit_codes)
{
	struct haos_error	 err;

	haos_error_set(&err, HAOS_EUSAGE, "x");
	ck_assert_int_eq(haos_error_exit_code(&err), 2);
	haos_error_set(&err, HAOS_ECONFIG, "x");
	ck_assert_int_eq(haos_error_exit_code(&err), 2);
	haos_error_set(&err, HAOS_ENET, "x %d", 3);
	ck_assert_str_eq(err.msg, "x 3");
	ck_assert_int_eq(haos_error_exit_code(&err), 1);
	haos_error_matrix(&err, 403, "M_FORBIDDEN", NULL);
	ck_assert_str_eq(err.msg, "M_FORBIDDEN (HTTP 403)");
	ck_assert_int_eq(haos_error_exit_code(&err), 1);
}
END_TEST

Suite *
suite_error(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("error");
	tc = tcase_create("error");
	tcase_add_test(tc, test_errcodes);
	tcase_add_test(tc, test_from_response);
	tcase_add_test(tc, test_exit_codes);
	suite_add_tcase(s, tc);
	return s;
}
