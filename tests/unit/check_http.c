/* Retry policy: backoff growth, jitter bounds, the cap, what is retried. */
#include "check_haos.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/http.h"
#include "haos/xmalloc.h"

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

/*
 * A one-shot HTTP server in a child process: it answers the first
 * request with status and a body of len bytes (body repeated); returns
 * the URL to ask and the child's pid.
 */
static char *
serve_once(int status, const char *body, size_t len, pid_t *pid)
{
	struct sockaddr_in	 sa;
	socklen_t		 sl = sizeof sa;
	char			 req[4096], *head;
	size_t			 i, n, bl = strlen(body);
	ssize_t			 r;
	int			 s, c;

	s = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(s, 1), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	*pid = fork();
	ck_assert_int_ge(*pid, 0);
	if (*pid == 0) {
		c = accept(s, NULL, NULL);
		n = 0;
		while (n < sizeof req - 1 && (r = read(c, req + n, sizeof req -
		    1 - n)) > 0) {
			n += (size_t)r;
			req[n] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		head = xasprintf("HTTP/1.1 %d X\r\nContent-Type: "
		    "application/json\r\nContent-Length: %zu\r\nConnection: "
		    "close\r\n\r\n", status, len);
		if (write(c, head, strlen(head)) < 0)
			_exit(1);
		for (i = 0; i < len; i += n) {
			n = len - i < bl - i % bl ? len - i : bl - i % bl;
			if (write(c, body + i % bl, n) < 0)
				_exit(1);
		}
		close(c);
		_exit(0);
	}
	close(s);
	return xasprintf("http://127.0.0.1:%d/x", ntohs(sa.sin_port));
}

/* The names in dir but "." and "..". */
static int
dir_entries(const char *dir)
{
	struct dirent	*d;
	DIR		*dp;
	int		 n = 0;

	dp = opendir(dir);
	ck_assert_ptr_nonnull(dp);
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			n++;
	}
	closedir(dp);
	return n;
}

/* Ask url with the answer spooled beside dir/store; returns 0 or -1. */
static int
ask(const char *url, const char *beside, struct http_resp *resp,
    struct haos_error *err)
{
	struct http_req	 req;

	memset(&req, 0, sizeof req);
	req.method = "GET";
	req.url = url;
	req.spool_beside = beside;
	return http_perform(&req, resp, err);
}

/*
 * An answer past HTTP_SPOOL_AT, with spool_beside set: its body is in an
 * anonymous file in that directory (nothing named left there), read back
 * whole; without spool_beside, the same answer stays in memory.
 */
START_TEST(test_spool_body)
{
	struct http_resp	 resp;
	struct haos_error	 err;
	char			*dir, *beside, *url, *buf;
	size_t			 len = 3 * HTTP_SPOOL_AT + 17, i;
	pid_t			 pid;
	int			 st;

	ck_assert_int_eq(http_global_init(&err), 0);
	dir = test_tmpdir();
	beside = xasprintf("%s/store.sqlite3", dir);
	url = serve_once(200, "0123456789abcdef", len, &pid);
	ck_assert_msg(ask(url, beside, &resp, &err) == 0, "%s", err.msg);
	waitpid(pid, &st, 0);
	ck_assert(http_resp_spooled(&resp));
	ck_assert_ptr_null(resp.body);
	ck_assert_uint_eq(resp.body_len, len);
	ck_assert_int_eq(dir_entries(dir), 0);
	buf = xmalloc(len);
	ck_assert_int_eq(pread(resp.fd, buf, len, 0), (ssize_t)len);
	for (i = 0; i < len; i++)
		ck_assert_int_eq(buf[i], "0123456789abcdef"[i % 16]);
	free(buf);
	http_resp_free(&resp);
	ck_assert_int_eq(resp.fd, -1);
	free(url);

	url = serve_once(200, "0123456789abcdef", len, &pid);
	ck_assert_msg(ask(url, NULL, &resp, &err) == 0, "%s", err.msg);
	waitpid(pid, &st, 0);
	ck_assert(!http_resp_spooled(&resp));
	ck_assert_ptr_nonnull(resp.body);
	ck_assert_uint_eq(resp.body_len, len);
	http_resp_free(&resp);
	free(url);

	/* A small answer stays in memory either way. */
	url = serve_once(200, "{}", 2, &pid);
	ck_assert_msg(ask(url, beside, &resp, &err) == 0, "%s", err.msg);
	waitpid(pid, &st, 0);
	ck_assert(!http_resp_spooled(&resp));
	ck_assert_str_eq(resp.body, "{}");
	http_resp_free(&resp);
	free(url);

	test_rmtree(dir);
	free(dir);
	free(beside);
	http_global_cleanup();
}
END_TEST

/* A spooled error answer still gives its Matrix error. */
START_TEST(test_spool_error)
{
	static const char	 e[] = "{\"errcode\":\"M_LIMIT_EXCEEDED\","
	    "\"error\":\"slow\",\"retry_after_ms\":1234}";
	struct http_resp	 resp;
	struct haos_error	 err;
	char			*dir, *beside, *url, *body;
	size_t			 len = HTTP_SPOOL_AT + 4096;
	pid_t			 pid;
	int			 st;

	ck_assert_int_eq(http_global_init(&err), 0);
	dir = test_tmpdir();
	beside = xasprintf("%s/store.sqlite3", dir);
	body = xmalloc(len + 1);
	memset(body, ' ', len);
	memcpy(body, e, sizeof e - 1);
	body[len] = '\0';
	url = serve_once(429, body, len, &pid);
	ck_assert_int_eq(ask(url, beside, &resp, &err), -1);
	waitpid(pid, &st, 0);
	ck_assert(http_resp_spooled(&resp));
	ck_assert_int_eq(err.mx, MX_LIMIT_EXCEEDED);
	ck_assert_int_eq(err.retry_after_ms, 1234);
	http_resp_free(&resp);
	free(url);
	free(body);
	test_rmtree(dir);
	free(dir);
	free(beside);
	http_global_cleanup();
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
	tc = tcase_create("spool");
	tcase_add_test(tc, test_spool_body);
	tcase_add_test(tc, test_spool_error);
	suite_add_tcase(s, tc);
	return s;
}
