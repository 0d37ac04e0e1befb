/* SQLite cache core: open, statement cache, transactions, checkpoints. */
#include "haos/store.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/log.h"
#include "haos/xmalloc.h"
#include "store-int.h"

#define STORE_BUSY_MS	5000	/* busy_timeout: covers WAL checkpoints */

/* Abort if the store is used off the thread that opened it. */
void
store_check(const struct store *s)
{
	if (!pthread_equal(s->owner, pthread_self())) {
		log_error("store", "%s used off its owning thread", s->path);
		fprintf(stderr, "haos: store used off its owning thread\n");
		abort();
	}
}

/* Record SQLite's message in err (HAOS_ESTORE); return -1. */
int
store_fail(struct store *s, struct haos_error *err, const char *what)
{
	haos_error_set(err, HAOS_ESTORE, "%s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

static int	store_wal_hook(void *, sqlite3 *, const char *, int);

/*
 * Return the cached statement for sql, reset and unbound, preparing it on
 * first use.  sql must be a string with static storage: its address is
 * the cache key.
 */
sqlite3_stmt *
store_stmt(struct store *s, const char *sql, struct haos_error *err)
{
	struct store_stmt	*e;
	uintptr_t		 h;
	unsigned int		 i, n;

	h = (uintptr_t)sql;
	h ^= h >> 17;
	h *= 0x9e3779b1u;
	i = (unsigned int)(h >> 7) & (STORE_NSTMT - 1);
	for (n = 0; n < STORE_NSTMT; n++) {
		e = &s->stmts[(i + n) & (STORE_NSTMT - 1)];
		if (e->sql == sql) {
			sqlite3_reset(e->stmt);
			sqlite3_clear_bindings(e->stmt);
			return e->stmt;
		}
		if (e->sql == NULL)
			break;
	}
	if (n == STORE_NSTMT) {
		haos_error_set(err, HAOS_ESTORE, "statement cache full");
		return NULL;
	}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &e->stmt, NULL) != SQLITE_OK) {
		store_fail(s, err, "prepare");
		e->stmt = NULL;
		return NULL;
	}
	e->sql = sql;
	return e->stmt;
}

/* Run one or more statements without results. */
int
store_exec(struct store *s, const char *sql, struct haos_error *err)
{
	char	*msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		haos_error_set(err, HAOS_ESTORE, "%s", msg != NULL ? msg :
		    sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Copy a text column, or NULL. */
char *
store_col_str(sqlite3_stmt *st, int col)
{
	const unsigned char	*t;

	t = sqlite3_column_text(st, col);
	if (t == NULL)
		return NULL;
	return xstrndup((const char *)t, (size_t)sqlite3_column_bytes(st,
	    col));
}

/* Step a statement that returns no row, then reset it. */
int
store_step_done(struct store *s, sqlite3_stmt *st, struct haos_error *err,
    const char *what)
{
	int	 rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, err, what);
	return 0;
}

/* Bind text that outlives the statement's next reset (SQLITE_STATIC). */
void
store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* Create path with mode 0600 unless it exists; tighten an existing one. */
static int
store_create_file(const char *path, struct haos_error *err)
{
	int	 fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		haos_error_set(err, HAOS_EIO, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) == -1) {
		haos_error_set(err, HAOS_EIO, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Open the cache at path.  STORE_RW creates the file (0600), switches it
 * to WAL and migrates the schema; STORE_RO requires the current schema.
 */
struct store *
store_open(const char *path, int mode, struct haos_error *err)
{
	struct store	*s;
	int		 flags;

	if (mode == STORE_RW) {
		if (store_create_file(path, err) == -1)
			return NULL;
		flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	} else
		flags = SQLITE_OPEN_READONLY;
	flags |= SQLITE_OPEN_NOMUTEX;

	s = xcalloc(1, sizeof *s);
	s->owner = pthread_self();
	s->mode = mode;
	s->path = xstrdup(path);
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		if (s->db == NULL)
			haos_error_set(err, HAOS_ESTORE, "%s: out of memory",
			    path);
		else
			haos_error_set(err, HAOS_ESTORE, "%s: %s", path,
			    sqlite3_errmsg(s->db));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	if (store_exec(s, "PRAGMA foreign_keys = ON;"
	    "PRAGMA cache_size = -16384;", err) == -1)
		goto fail;
	if (mode == STORE_RW) {
		if (store_exec(s, "PRAGMA page_size = 8192;"
		    "PRAGMA journal_mode = WAL;"
		    "PRAGMA synchronous = NORMAL;"
		    "PRAGMA cache_spill = OFF;", err) == -1)
			goto fail;
		if (store_schema_migrate(s, err) == -1)
			goto fail;
		sqlite3_wal_hook(s->db, store_wal_hook, s);
	} else {
		if (store_exec(s, "PRAGMA query_only = ON;", err) == -1)
			goto fail;
		if (store_schema_check(s, err) == -1)
			goto fail;
	}
	return s;

fail:
	store_close(s);
	return NULL;
}

/* Finalise the cached statements and close; an open txn rolls back. */
void
store_close(struct store *s)
{
	unsigned int	 i;

	if (s == NULL)
		return;
	store_check(s);
	if (s->in_txn)
		store_rollback(s);
	for (i = 0; i < STORE_NSTMT; i++) {
		if (s->stmts[i].stmt != NULL)
			sqlite3_finalize(s->stmts[i].stmt);
	}
	if (s->db != NULL)
		sqlite3_close(s->db);
	free(s->path);
	free(s);
}

int
store_mode(const struct store *s)
{
	store_check(s);
	return s->mode;
}

/* Count one call of the read API; every store_query_* starts here. */
void
store_read(struct store *s)
{
	store_check(s);
	s->queries++;
}

/* How many read API calls this store has served (tests, diagnostics). */
unsigned long
store_query_calls(const struct store *s)
{
	store_check(s);
	return s->queries;
}

int
store_in_txn(const struct store *s)
{
	store_check(s);
	return s->in_txn;
}

/* Start the write transaction (BEGIN IMMEDIATE takes the write lock now). */
int
store_begin(struct store *s, struct haos_error *err)
{
	static const char	*sql = "BEGIN IMMEDIATE";
	sqlite3_stmt		*st;

	store_check(s);
	if (s->mode != STORE_RW) {
		haos_error_set(err, HAOS_ESTORE, "write to a read-only store");
		return -1;
	}
	if (s->in_txn) {
		haos_error_set(err, HAOS_ESTORE, "nested transaction");
		return -1;
	}
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	if (store_step_done(s, st, err, "begin") == -1)
		return -1;
	s->in_txn = 1;
	s->change_seq = 0;
	return 0;
}

/* Commit; on failure the transaction is rolled back. */
int
store_commit(struct store *s, struct haos_error *err)
{
	static const char	*sql = "COMMIT";
	sqlite3_stmt		*st;

	store_check(s);
	if (!s->in_txn) {
		haos_error_set(err, HAOS_ESTORE, "commit without begin");
		return -1;
	}
	st = store_stmt(s, sql, err);
	if (st == NULL || store_step_done(s, st, err, "commit") == -1) {
		store_rollback(s);
		return -1;
	}
	s->in_txn = 0;
	s->change_seq = 0;
	return 0;
}

/* After each commit: how big the WAL is (this replaces autocheckpoint). */
static int
store_wal_hook(void *arg, sqlite3 *db __unused, const char *name __unused,
    int frames)
{
	struct store	*s = arg;

	s->wal_frames = frames;
	return SQLITE_OK;
}

int
store_checkpoint(struct store *s, int min_frames, struct haos_error *err)
{
	int	 log = 0, done = 0;

	store_check(s);
	if (s->mode != STORE_RW || s->in_txn || s->wal_frames < min_frames)
		return 0;
	if (sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    &log, &done) != SQLITE_OK)
		return store_fail(s, err, "checkpoint");
	/* A reader in the way: what is left is tried again next time. */
	s->wal_frames = done >= log ? 0 : log - done;
	return 0;
}

/* Roll back the open transaction, if any. */
void
store_rollback(struct store *s)
{
	unsigned int	 i;

	store_check(s);
	/* Statements left mid-step would keep the rollback from finishing. */
	for (i = 0; i < STORE_NSTMT; i++) {
		if (s->stmts[i].stmt != NULL)
			sqlite3_reset(s->stmts[i].stmt);
	}
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = 0;
	s->change_seq = 0;
}

/* Fail unless this is the RW store inside a transaction. */
int
store_writable(struct store *s, struct haos_error *err)
{
	store_check(s);
	if (s->mode != STORE_RW) {
		haos_error_set(err, HAOS_ESTORE, "write to a read-only store");
		return -1;
	}
	if (!s->in_txn) {
		haos_error_set(err, HAOS_ESTORE, "write outside a transaction");
		return -1;
	}
	return 0;
}

/* The cached statement for sql, if this store may write now. */
sqlite3_stmt *
store_write_stmt(struct store *s, const char *sql, struct haos_error *err)
{
	if (store_writable(s, err) == -1)
		return NULL;
	return store_stmt(s, sql, err);
}

/* Wall-clock milliseconds, as Matrix timestamps. */
int64_t
store_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Run one write statement in the caller's transaction or in its own
 * (outbox and media calls from the net thread).  Returns the number of
 * changed rows, or -1.
 */
int
store_autocommit(struct store *s, sqlite3_stmt *st, struct haos_error *err)
{
	int	 own, n;

	own = !s->in_txn;
	if (own && store_begin(s, err) == -1) {
		sqlite3_reset(st);
		return -1;
	}
	if (store_step_done(s, st, err, "write") == -1) {
		if (own)
			store_rollback(s);
		return -1;
	}
	n = sqlite3_changes(s->db);
	if (own && store_commit(s, err) == -1)
		return -1;
	return n;
}

/* Fail unless this is the RW store (a transaction may or may not be open). */
int
store_writer(struct store *s, struct haos_error *err)
{
	store_check(s);
	if (s->mode != STORE_RW) {
		haos_error_set(err, HAOS_ESTORE, "write to a read-only store");
		return -1;
	}
	return 0;
}
