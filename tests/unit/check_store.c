/* The store: open modes, migrations from every version, outbox, threads. */
#include "check_haos.h"

#include <sys/stat.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/model.h"
#include "haos/store-xsign.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "../../src/store-int.h"

static char	*dir;

static void
setup(void)
{
	dir = test_tmpdir();
}

static void
teardown(void)
{
	test_rmtree(dir);
	free(dir);
}

static char *
tmp(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

START_TEST(test_open_modes)
{
	struct haos_error	 err;
	struct store		*rw, *ro;
	struct stat		 st;
	char			*path, *wal, *tok;
	int			 v;

	path = tmp("cache.db");
	wal = tmp("cache.db-wal");
	umask(022);
	rw = store_open(path, STORE_RW, &err);
	ck_assert_msg(rw != NULL, "%s", err.msg);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(store_schema_version(rw, &v, &err), 0);
	ck_assert_int_eq(v, STORE_SCHEMA_VERSION);
	ck_assert_int_eq(store_mode(rw), STORE_RW);

	/* Writes outside a transaction are refused. */
	ck_assert_int_eq(store_sync_token_set(rw, "s1", &err), -1);
	ck_assert_int_eq(err.code, HAOS_ESTORE);
	ck_assert_int_eq(store_begin(rw, &err), 0);
	ck_assert_int_eq(store_begin(rw, &err), -1);
	ck_assert_int_eq(store_sync_token_set(rw, "s1", &err), 0);
	ck_assert_int_eq(store_commit(rw, &err), 0);
	ck_assert_int_eq(access(wal, F_OK), 0);		/* WAL mode */
	ck_assert_int_eq(stat(wal, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);

	/* A reader sees committed data and cannot write. */
	ro = store_open(path, STORE_RO, &err);
	ck_assert_msg(ro != NULL, "%s", err.msg);
	ck_assert_int_eq(store_query_sync_token(ro, &tok, &err), 0);
	ck_assert_str_eq(tok, "s1");
	free(tok);
	ck_assert_int_eq(store_begin(ro, &err), -1);
	ck_assert_int_eq(err.code, HAOS_ESTORE);
	ck_assert_int_eq(store_outbox_add(ro, "!r:x", "t1", "m.room.message",
	    NULL, "{}", NULL, &err), -1);

	/* An uncommitted write is invisible to the reader, then rolled back. */
	ck_assert_int_eq(store_begin(rw, &err), 0);
	ck_assert_int_eq(store_sync_token_set(rw, "s2", &err), 0);
	ck_assert_int_eq(store_query_sync_token(ro, &tok, &err), 0);
	ck_assert_str_eq(tok, "s1");
	free(tok);
	store_rollback(rw);
	ck_assert_int_eq(store_query_sync_token(rw, &tok, &err), 0);
	ck_assert_str_eq(tok, "s1");
	free(tok);

	store_close(ro);
	store_close(rw);
	free(wal);
	free(path);
}
END_TEST

START_TEST(test_ro_missing_and_newer)
{
	struct haos_error	 err;
	struct store		*s;
	char			*path;

	path = tmp("none.db");
	ck_assert_ptr_null(store_open(path, STORE_RO, &err));
	ck_assert_int_eq(err.code, HAOS_ESTORE);
	free(path);

	path = tmp("future.db");
	ck_assert_int_eq(store_load_sql(path, "CREATE TABLE x (y);"
	    "PRAGMA user_version = 99;", &err), 0);
	ck_assert_ptr_null(store_open(path, STORE_RW, &err));
	ck_assert_int_eq(err.code, HAOS_ESTORE);
	ck_assert_ptr_nonnull(strstr(err.msg, "newer"));
	ck_assert_ptr_null(store_open(path, STORE_RO, &err));
	free(path);

	/* A reader does not migrate an old file. */
	path = tmp("old.db");
	ck_assert_int_eq(store_load_sql(path, "CREATE TABLE x (y);"
	    "PRAGMA user_version = 1;", &err), 0);
	s = store_open(path, STORE_RO, &err);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err.msg, "schema version 1"));
	free(path);
}
END_TEST

/*
 * Every earlier schema, from its frozen fixture, migrates to a schema
 * identical to a fresh one, and keeps its rows.
 */
START_TEST(test_migrate_every_version)
{
	struct haos_error	 err;
	struct store		*fresh, *old;
	struct room_row		*rooms;
	struct event_row	*ev;
	struct outbox_row	*ob;
	char			*fpath, *opath, *fix, *sql, *diff, *tok, *name;
	size_t			 n;
	int64_t			 cnt;
	int			 v, ver;

	fpath = tmp("fresh.db");
	fresh = store_open(fpath, STORE_RW, &err);
	ck_assert_msg(fresh != NULL, "%s", err.msg);
	store_close(fresh);

	for (ver = 1; ver < STORE_SCHEMA_VERSION; ver++) {
		name = xasprintf("store/v%d.sql", ver);
		fix = test_fixture(name);
		sql = test_read_file(fix);
		ck_assert_msg(sql != NULL, "missing fixture %s", fix);
		opath = xasprintf("%s/v%d.db", dir, ver);
		ck_assert_int_eq(store_load_sql(opath, sql, &err), 0);
		old = store_open(opath, STORE_RW, &err);
		ck_assert_msg(old != NULL, "v%d: %s", ver, err.msg);
		ck_assert_int_eq(store_schema_version(old, &v, &err), 0);
		ck_assert_int_eq(v, STORE_SCHEMA_VERSION);
		ck_assert_int_eq(store_schema_compare(old, fpath, &diff, &err),
		    0);
		ck_assert_msg(diff == NULL, "v%d differs:\n%s", ver, diff);

		/* The fixture's rows survive. */
		ck_assert_int_eq(store_query_rooms(old, STORE_ROOMS_CHANNELS,
		    "!space:haos.test", &rooms, &n, &err), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_str_eq(rooms[0].name, "general");
		ck_assert_int_eq(rooms[0].channel, CHANNEL_TEXT);
		room_rows_free(rooms, n);
		ck_assert_int_eq(store_query_timeline(old, "!general:haos.test",
		    STORE_LATEST, 10, 0, "@alice:haos.test", &ev, &n, &err), 0);
		ck_assert_uint_eq(n, 2);	/* one event, one echo */
		ck_assert_ptr_nonnull(strstr(ev[0].content, "hello"));
		ck_assert_int_eq(ev[1].echo, OUTBOX_PENDING);
		event_rows_free(ev, n);
		ck_assert_int_eq(store_query_outbox(old, OUTBOX_PENDING, &ob,
		    &n, &err), 0);
		ck_assert_uint_eq(n, 1);
		/* v11: an earlier row is no attachment's. */
		ck_assert_ptr_null(ob[0].upload);
		ck_assert_ptr_null(ob[0].upload_path);
		outbox_rows_free(ob, n);
		ck_assert_int_eq(store_query_sync_token(old, &tok, &err), 0);
		ck_assert_str_eq(tok, "s1_1_1");
		free(tok);
		if (ver >= 2) {
			ck_assert_int_eq(store_query_media(old,
			    "mxc://haos.test/icon", &tok, &err), 0);
			ck_assert_str_eq(tok, "/tmp/icon.png");
			free(tok);
		}
		/*
		 * v9 moved the master-key pin out of tracked_users; the v9
		 * and v10 fixtures have it in msk_pins.
		 */
		if (ver >= 8) {
			struct xsign_user	 u;

			ck_assert_int_eq(store_xsign_user(old,
			    "@alice:haos.test", &u, &err), 1);
			ck_assert_str_eq(u.pinned, "QUxJQ0VNQVNURVJLRVk");
			ck_assert_int_eq(u.changed, 1);
			ck_assert_int_eq(u.verified, 0);
			xsign_user_free(&u);
		}
		/* The tables of later versions start empty. */
		ck_assert_int_eq(store_query_count(old, "to_device", &cnt,
		    &err), 0);
		ck_assert_int_eq(cnt, 0);
		ck_assert_int_eq(store_get_int64(old, &err, "test",
		    "SELECT count(*) FROM key_requests", &cnt, ""), 1);
		ck_assert_int_eq(cnt, 0);
		ck_assert_int_eq(store_change_seq(old, &err), 0);
		store_close(old);
		free(opath);
		free(sql);
		free(fix);
		free(name);
	}
	free(fpath);
}
END_TEST

/* The comparison itself notices a missing column or index. */
START_TEST(test_compare_detects)
{
	struct haos_error	 err;
	struct store		*a;
	char			*apath, *bpath, *diff;

	apath = tmp("a.db");
	bpath = tmp("b.db");
	a = store_open(apath, STORE_RW, &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(store_load_sql(bpath, "CREATE TABLE kv (key TEXT "
	    "PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;", &err), 0);
	ck_assert_int_eq(store_schema_compare(a, bpath, &diff, &err), 1);
	ck_assert_ptr_nonnull(diff);
	ck_assert_ptr_nonnull(strstr(diff, "events"));
	ck_assert_ptr_null(strstr(diff, "|kv"));
	free(diff);
	ck_assert_int_eq(store_schema_compare(a, apath, &diff, &err), 0);
	ck_assert_ptr_null(diff);
	store_close(a);
	free(apath);
	free(bpath);
}
END_TEST

START_TEST(test_outbox)
{
	struct haos_error	 err;
	struct store		*s;
	struct outbox_row	*rows;
	char			*path;
	size_t			 n;
	int64_t			 id;

	path = tmp("outbox.db");
	s = store_open(path, STORE_RW, &err);
	ck_assert_ptr_nonnull(s);
	id = store_outbox_add(s, "!r:haos.test", "haos.1", "m.room.message",
	    NULL, "{\"msgtype\":\"m.text\",\"body\":\"hi\"}", NULL, &err);
	ck_assert_int_gt(id, 0);
	ck_assert_int_gt(store_outbox_add(s, "!r:haos.test", "haos.2",
	    "m.reaction", NULL, "{}", "$target", &err), id);

	/* A second row with the same txn id is refused and leaves nothing. */
	ck_assert_int_eq(store_outbox_add(s, "!r:haos.test", "haos.1",
	    "m.room.message", NULL, "{}", NULL, &err), -1);
	ck_assert_int_eq(err.code, HAOS_ESTORE);
	ck_assert_int_eq(store_in_txn(s), 0);

	ck_assert_int_eq(store_outbox_mark_sending(s, "haos.1", &err), 0);
	ck_assert_int_eq(store_outbox_mark_failed(s, "haos.1", "M_FORBIDDEN",
	    &err), 0);
	ck_assert_int_eq(store_outbox_mark_sending(s, "haos.1", &err), 0);
	ck_assert_int_eq(store_query_outbox(s, OUTBOX_SENDING, &rows, &n,
	    &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rows[0].txn_id, "haos.1");
	ck_assert_int_eq(rows[0].attempts, 2);
	ck_assert_ptr_null(rows[0].error);
	outbox_rows_free(rows, n);

	ck_assert_int_eq(store_outbox_mark_sent(s, "haos.1", "$ev1", &err), 0);
	ck_assert_int_eq(store_outbox_mark_failed(s, "haos.1", "late", &err),
	    0);
	ck_assert_int_eq(store_query_outbox(s, OUTBOX_NONE, &rows, &n, &err),
	    0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(rows[0].state, OUTBOX_SENT);	/* sent stays sent */
	ck_assert_str_eq(rows[0].event_id, "$ev1");
	ck_assert_int_eq(rows[1].state, OUTBOX_PENDING);
	ck_assert_str_eq(rows[1].rel_target, "$target");
	outbox_rows_free(rows, n);
	ck_assert_int_eq(store_outbox_delete(s, "haos.2", &err), 0);
	ck_assert_int_eq(store_query_outbox(s, OUTBOX_PENDING, &rows, &n,
	    &err), 0);
	ck_assert_uint_eq(n, 0);
	outbox_rows_free(rows, n);
	/* Sent rows are forgotten after a while; unsent ones never. */
	ck_assert_int_eq(store_outbox_add(s, "!r:haos.test", "haos.9",
	    "m.room.message", NULL, "{}", NULL, &err) > 0, 1);
	ck_assert_int_eq(store_outbox_mark_sent(s, "haos.9", "$e9", &err), 0);
	{
		int64_t	 gone = -1, left, unsent;

		ck_assert_int_eq(store_query_count(s, "outbox", &left, &err),
		    0);
		ck_assert_int_eq(store_outbox_prune(s, 60 * 60 * 1000, &gone,
		    &err), 0);
		ck_assert_int_eq(gone, 0);	/* too recent */
		ck_assert_int_eq(store_outbox_prune(s, -1000, &gone, &err),
		    0);
		ck_assert_int_ge(gone, 1);
		ck_assert_int_eq(store_query_count(s, "outbox", &unsent,
		    &err), 0);
		ck_assert_int_eq(unsent, left - gone);
		ck_assert_int_eq(store_query_outbox(s, OUTBOX_SENT, &rows, &n,
		    &err), 0);
		ck_assert_uint_eq(n, 0);
		outbox_rows_free(rows, n);
	}
	store_close(s);
	free(path);
}
END_TEST

/*
 * events.e2e reaches event_row.e2e; an unsent row of an encrypted room
 * with no ciphertext yet is "encrypting", in the outbox and as an echo.
 */
START_TEST(test_e2e_rows)
{
	static const char	*sql =
	    "INSERT INTO rooms (id, room_id, encrypted) VALUES "
	    "(1, '!e:haos.test', 1), (2, '!c:haos.test', 0);"
	    "INSERT INTO events (room, ordinal, event_id, sender, type, "
	    "ts, content, e2e) VALUES "
	    "(1, 1, '$w', '@bob:haos.test', 'm.room.encrypted', 1, '{}', 2),"
	    "(1, 2, '$d', '@bob:haos.test', 'm.room.message', 2, "
	    "'{\"body\":\"hi\"}', 1),"
	    "(1, 3, '$r', '@bob:haos.test', 'm.room.encrypted', 3, '{}', 4);"
	    "INSERT INTO outbox (room_id, txn_id, type, content, state, "
	    "created_ts, wire_type, wire_content) VALUES "
	    "('!e:haos.test', 't1', 'm.room.message', '{}', 'pending', 1, "
	    "NULL, NULL),"
	    "('!e:haos.test', 't2', 'm.room.message', '{}', 'sending', 2, "
	    "'m.room.encrypted', '{}'),"
	    "('!e:haos.test', 't3', 'm.room.message', '{}', 'failed', 3, "
	    "NULL, NULL),"
	    "('!c:haos.test', 't4', 'm.room.message', '{}', 'pending', 4, "
	    "NULL, NULL),"
	    "('!e:haos.test', 't5', 'm.room.message', '{}', 'sending', 5, "
	    "NULL, NULL);";
	struct haos_error	 err;
	struct store		*s;
	struct event_row	*ev, one;
	struct outbox_row	*ob;
	char			*path;
	size_t			 n;

	path = tmp("e2e.db");
	s = store_open(path, STORE_RW, &err);
	ck_assert_ptr_nonnull(s);
	store_close(s);
	ck_assert_int_eq(store_load_sql(path, sql, &err), 0);
	s = store_open(path, STORE_RW, &err);
	ck_assert_ptr_nonnull(s);

	ck_assert_int_eq(store_query_timeline(s, "!e:haos.test", STORE_LATEST,
	    10, 0, "@me:haos.test", &ev, &n, &err), 0);
	ck_assert_uint_eq(n, 7);	/* three events, four echoes */
	ck_assert_int_eq(ev[0].e2e, E2E_WAITING);
	ck_assert_int_eq(ev[1].e2e, E2E_DECRYPTED);
	ck_assert_int_eq(ev[2].e2e, E2E_REPLAY);
	ck_assert_int_eq(ev[0].encrypting, 0);
	ck_assert_str_eq(ev[3].txn_id, "t1");
	ck_assert_int_eq(ev[3].encrypting, 1);	/* no ciphertext yet */
	ck_assert_str_eq(ev[4].txn_id, "t2");
	ck_assert_int_eq(ev[4].encrypting, 0);	/* encrypted, on its way */
	ck_assert_str_eq(ev[5].txn_id, "t3");
	ck_assert_int_eq(ev[5].encrypting, 0);	/* failed says failed */
	ck_assert_str_eq(ev[6].txn_id, "t5");
	ck_assert_int_eq(ev[6].encrypting, 1);
	event_rows_free(ev, n);

	ck_assert_int_eq(store_query_event(s, "$r", &one, &err), 1);
	ck_assert_int_eq(one.e2e, E2E_REPLAY);
	ck_assert_str_eq(one.room_id, "!e:haos.test");
	event_row_free(&one);

	/* A clear room's echo is never encrypting. */
	ck_assert_int_eq(store_query_timeline(s, "!c:haos.test", STORE_LATEST,
	    10, 0, "@me:haos.test", &ev, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ev[0].encrypting, 0);
	event_rows_free(ev, n);

	ck_assert_int_eq(store_query_outbox(s, OUTBOX_NONE, &ob, &n, &err),
	    0);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(ob[0].encrypting, 1);
	ck_assert_int_eq(ob[1].encrypting, 0);
	ck_assert_int_eq(ob[2].encrypting, 0);
	ck_assert_int_eq(ob[3].encrypting, 0);
	ck_assert_int_eq(ob[4].encrypting, 1);
	outbox_rows_free(ob, n);
	store_close(s);
	free(path);
}
END_TEST

START_TEST(test_media)
{
	struct haos_error	 err;
	struct store		*s;
	char			*path, *got;

	path = tmp("media.db");
	s = store_open(path, STORE_RW, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(store_media_put(s, "mxc://haos.test/abc",
	    "/tmp/abc.png", "image/png", 3, &err), 0);
	ck_assert_int_eq(store_query_media(s, "mxc://haos.test/abc", &got,
	    &err), 0);
	ck_assert_str_eq(got, "/tmp/abc.png");
	free(got);
	ck_assert_int_eq(store_query_media(s, "mxc://haos.test/none", &got,
	    &err), 0);
	ck_assert_ptr_null(got);
	store_close(s);
	free(path);
}
END_TEST

static void *
other_thread(void *arg)
{
	store_mode(arg);	/* aborts: not the owner */
	return NULL;
}

/* A store used off the thread that opened it aborts the process. */
START_TEST(test_thread_owner)
{
	struct haos_error	 err;
	struct store		*s;
	pthread_t		 t;
	char			*path;

	path = tmp("thread.db");
	s = store_open(path, STORE_RW, &err);
	ck_assert_ptr_nonnull(s);
	pthread_create(&t, NULL, other_thread, s);
	pthread_join(t, NULL);
	free(path);
}
END_TEST

Suite *
suite_store(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("store");
	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_open_modes);
	tcase_add_test(tc, test_ro_missing_and_newer);
	tcase_add_test(tc, test_migrate_every_version);
	tcase_add_test(tc, test_compare_detects);
	tcase_add_test(tc, test_outbox);
	tcase_add_test(tc, test_e2e_rows);
	tcase_add_test(tc, test_media);
	tcase_add_test_raise_signal(tc, test_thread_owner, SIGABRT);
	suite_add_tcase(s, tc);
	return s;
}
