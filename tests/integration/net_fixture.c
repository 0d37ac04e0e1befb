/* The net thread on the test homeserver: what the C integration suites share. */
#include <check.h>

#include <poll.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/http.h"
#include "haos/log.h"
#include "haos/net.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "net_fixture.h"

struct hs	 hs;

void
net_fixture_setup(void)
{
	struct haos_error	 err;

	http_global_init(&err);
	if (getenv("HAOS_TEST_LOG") != NULL)
		log_open(getenv("HAOS_TEST_LOG"), LOG_DEBUG);
	ck_assert_msg(hs_start(&hs) == 0, "cannot start the homeserver");
}

void
net_fixture_teardown(void)
{
	hs_stop(&hs);
	http_global_cleanup();
}

/* A fresh store path in a private temporary directory. */
char *
tmp_store(void)
{
	char	*d, *p;

	d = hs_tmpdir("haos-net");
	ck_assert_ptr_nonnull(d);
	p = xasprintf("%s/store.sqlite3", d);
	free(d);
	return p;
}

/* A fresh store path and, in *kp, a pickle key's path beside it. */
char *
tmp_store_key(char **kp)
{
	char	*store, *dir;

	store = tmp_store();
	dir = xstrdup(store);
	*strrchr(dir, '/') = '\0';
	*kp = xasprintf("%s/pickle-key", dir);
	free(dir);
	return store;
}

/*
 * One text value of sql (with one text parameter, or none), or NULL: no
 * row, a NULL value, or the schema not there yet.
 */
char *
it_text(sqlite3 *db, const char *sql, const char *arg)
{
	sqlite3_stmt	*st;
	char		*out = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;	/* the schema is not there yet */
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

/* A store the net thread makes, opened read-write once it exists. */
sqlite3 *
it_open(const char *path)
{
	sqlite3	*db;
	double	 end = now_s() + 20;

	while (access(path, F_OK) != 0 && now_s() < end)
		usleep(50 * 1000);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	return db;
}

/* Wait until it_text(db, sql, arg) gives want; fail after seconds. */
void
it_wait(sqlite3 *db, const char *sql, const char *arg, const char *want,
    double seconds)
{
	double	 end = now_s() + seconds;
	char	*v = NULL;

	for (;;) {
		free(v);
		v = it_text(db, sql, arg);
		if (v != NULL && strcmp(v, want) == 0)
			break;
		ck_assert_msg(now_s() < end, "%s (%s): %s, not %s", sql, arg,
		    v != NULL ? v : "NULL", want);
		usleep(100 * 1000);
	}
	free(v);
}

struct net *
start_net(const struct hs_user *u, const char *store, struct notify *nt,
    int limit)
{
	return start_net_keys(u, store, NULL, nt, limit);
}

/* start_net() with a device identity whose pickle key is key_path. */
struct net *
start_net_keys(const struct hs_user *u, const char *store,
    const char *key_path, struct notify *nt, int limit)
{
	struct net_config	 c;
	struct haos_error	 err;
	struct net		*n;

	memset(&c, 0, sizeof c);
	c.homeserver = hs.url;
	c.access_token = u->token;
	c.user_id = u->user_id;
	c.device_id = u->device_id;
	c.store_path = store;
	c.pickle_key_path = key_path;
	c.sync_timeout_ms = 5000;
	c.request_timeout_ms = 10000;
	c.timeline_limit = limit;
	c.background = 1;
	c.http.connect_timeout_ms = 2000;
	c.notify = nt;
	n = net_start(&c, &err);
	ck_assert_msg(n != NULL, "net_start: %s", err.msg);
	return n;
}

double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait on the notify fd until want bits arrive; returns the bits seen. */
unsigned int
wait_bits(struct notify *nt, unsigned int want, double seconds)
{
	struct pollfd	 p;
	unsigned int	 seen = 0;
	double		 end = now_s() + seconds;

	while (now_s() < end && (seen & want) == 0) {
		p.fd = notify_fd(nt);
		p.events = POLLIN;
		if (poll(&p, 1, 100) == 1)
			seen |= notify_take(nt);
	}
	return seen;
}

/* How many timelines the first start's plan still has to fill. */
int64_t
fill_left(const char *store_path)
{
	struct haos_error	 err;
	struct store		*ro;
	int64_t			 left = -1;

	ro = store_open(store_path, STORE_RO, &err);
	ck_assert_msg(ro != NULL, "%s", err.msg);
	ck_assert_int_eq(store_fill_left(ro, &left, &err), 0);
	store_close(ro);
	return left;
}

/*
 * Wait until the background has filled the timelines a first start
 * planned (the plan is made before the first sync's notification).
 */
void
wait_filled(const char *store_path, double seconds)
{
	int64_t	 left = -1;
	double	 end = now_s() + seconds;

	while (now_s() < end) {
		if ((left = fill_left(store_path)) == 0)
			return;
		usleep(50 * 1000);
	}
	ck_abort_msg("%lld timelines still to fill", (long long)left);
}

/*
 * Ask for older pages of room (JOB_BACKFILL, as scrolling up does) until
 * its timeline has no gap left; each page must arrive within seconds.
 */
void
backfill_whole(struct net *n, struct notify *nt, const char *store_path,
    const char *room, double seconds)
{
	struct haos_error	 err;
	struct store		*ro;
	struct gap_row		*gaps;
	size_t			 ngaps;
	int			 rounds;

	for (rounds = 0; rounds < 20; rounds++) {
		ro = store_open(store_path, STORE_RO, &err);
		ck_assert_msg(ro != NULL, "%s", err.msg);
		ck_assert_int_eq(store_query_gaps(ro, room, &gaps, &ngaps,
		    &err), 0);
		gap_rows_free(gaps, ngaps);
		store_close(ro);
		if (ngaps == 0)
			return;
		net_submit(n, net_job_room(JOB_BACKFILL, room, NULL));
		ck_assert(wait_bits(nt, NOTIFY_TIMELINE, seconds) &
		    NOTIFY_TIMELINE);
	}
	ck_abort_msg("%s: still a gap after 20 pages", room);
}
