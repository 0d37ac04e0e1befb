/* SQLite cache core: open, statement cache, transactions, checkpoints. */
#include "haos/store.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
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

/* Bind the arguments ap to st by types (see store-int.h). */
void
store_bindv(sqlite3_stmt *st, const char *types, va_list ap)
{
	const char	*t;
	size_t		 len;
	int		 i;

	for (i = 1; types[i - 1] != '\0'; i++) {
		switch (types[i - 1]) {
		case 'i':
			sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 't':
			store_bind_text(st, i, va_arg(ap, const char *));
			break;
		case 'b':
			t = va_arg(ap, const char *);
			len = va_arg(ap, size_t);
			sqlite3_bind_text(st, i, t, len > 0 ? (int)len : -1,
			    SQLITE_STATIC);
			break;
		default:
			log_error("store", "bad bind type '%c'", types[i - 1]);
			fprintf(stderr, "haos: bad store bind type\n");
			abort();
		}
	}
}

/* Bind the arguments to st by types (see store-int.h). */
void
store_bind(sqlite3_stmt *st, const char *types, ...)
{
	va_list	 ap;

	va_start(ap, types);
	store_bindv(st, types, ap);
	va_end(ap);
}

/*
 * Run the write statement sql, which returns no row, with the arguments
 * bound by types; the store must be writable (RW, in a transaction).
 */
int
store_run(struct store *s, struct haos_error *err, const char *what,
    const char *sql, const char *types, ...)
{
	sqlite3_stmt	*st;
	va_list		 ap;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	va_start(ap, types);
	store_bindv(st, types, ap);
	va_end(ap);
	return store_step_done(s, st, err, what);
}

/*
 * Run the write statement sql, with the arguments bound by types, in the
 * caller's transaction or in its own (outbox and media calls from the
 * net thread); first call change(s, arg, err), if given, to record the
 * room the statement changes.  Returns the number of changed rows, or -1.
 */
int
store_run_auto(struct store *s, struct haos_error *err, const char *what,
    int (*change)(struct store *, const char *, struct haos_error *),
    const char *arg, const char *sql, const char *types, ...)
{
	sqlite3_stmt	*st;
	va_list		 ap;
	int		 own, n;

	if (store_writer(s, err) == -1)
		return -1;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	va_start(ap, types);
	store_bindv(st, types, ap);
	va_end(ap);
	own = !s->in_txn;
	if (own && store_begin(s, err) == -1) {
		sqlite3_reset(st);
		return -1;
	}
	if ((change != NULL && change(s, arg, err) == -1) ||
	    store_step_done(s, st, err, what) == -1) {
		sqlite3_reset(st);
		if (own)
			store_rollback(s);
		return -1;
	}
	n = sqlite3_changes(s->db);
	if (own && store_commit(s, err) == -1)
		return -1;
	return n;
}

/*
 * Every result row of sql (parameters bound by types) made an element
 * of a new array: elements of size bytes, zeroed, then filled by
 * fill().  0 with *arr and *n (no rows: NULL and 0), or -1 with err, the
 * rows read until then given to drop() (which frees them and the array).
 */
int
store_rows(struct store *s, struct haos_error *err, const char *what,
    const char *sql, size_t size, void (*fill)(sqlite3_stmt *, void *),
    void (*drop)(void *, size_t), void **arr, size_t *n,
    const char *types, ...)
{
	sqlite3_stmt	*st;
	va_list		 ap;
	char		*a = NULL;
	size_t		 cap = 0;
	int		 rc;

	store_check(s);
	*arr = NULL;
	*n = 0;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	va_start(ap, types);
	store_bindv(st, types, ap);
	va_end(ap);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		a = store_query_grow(a, n, &cap, size);
		fill(st, a + (*n - 1) * size);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		drop(a, *n);
		*n = 0;
		return store_fail(s, err, what);
	}
	*arr = a;
	return 0;
}

/* store_rows() of one text column: an array of strings. */
void
store_fill_text(sqlite3_stmt *st, void *row)
{
	*(char **)row = store_col_str(st, 0);
}

void
store_drop_texts(void *arr, size_t n)
{
	char	**a = arr;

	while (n > 0)
		free(a[--n]);
	free(a);
}

/* Step sql once with ap bound by types: see store_row(). */
static sqlite3_stmt *
store_rowv(struct store *s, struct haos_error *err, const char *what,
    const char *sql, int *rc, const char *types, va_list ap)
{
	sqlite3_stmt	*st;
	int		 r;

	store_check(s);
	*rc = -1;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return NULL;
	store_bindv(st, types, ap);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*rc = 1;
		return st;
	}
	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		store_fail(s, err, what);
		return NULL;
	}
	*rc = 0;
	return NULL;
}

/*
 * Step sql once with the arguments bound by types: the statement on its
 * first row with *rc 1 (the caller reads the columns, then resets it),
 * or NULL with *rc 0 when there is no row or -1 on error.  Like the other
 * helpers here, this does not count as a read API call (store_read()).
 */
sqlite3_stmt *
store_row(struct store *s, struct haos_error *err, const char *what,
    const char *sql, int *rc, const char *types, ...)
{
	sqlite3_stmt	*st;
	va_list		 ap;

	va_start(ap, types);
	st = store_rowv(s, err, what, sql, rc, types, ap);
	va_end(ap);
	return st;
}

/*
 * One integer value of sql: 1 and *out, 0 (*out 0) if there is no row
 * or the value is NULL, -1 on error.
 */
int
store_get_int64(struct store *s, struct haos_error *err, const char *what,
    const char *sql, int64_t *out, const char *types, ...)
{
	sqlite3_stmt	*st;
	va_list		 ap;
	int		 rc;

	*out = 0;
	va_start(ap, types);
	st = store_rowv(s, err, what, sql, &rc, types, ap);
	va_end(ap);
	if (st == NULL)
		return rc;
	if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		rc = 0;
	else
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc;
}

/*
 * One text value of sql: 1 and *out (caller frees), 0 (*out NULL) if
 * there is no row or the value is NULL, -1 on error.
 */
int
store_get_text(struct store *s, struct haos_error *err, const char *what,
    const char *sql, char **out, const char *types, ...)
{
	sqlite3_stmt	*st;
	va_list		 ap;
	int		 rc;

	*out = NULL;
	va_start(ap, types);
	st = store_rowv(s, err, what, sql, &rc, types, ap);
	va_end(ap);
	if (st == NULL)
		return rc;
	*out = store_col_str(st, 0);
	if (*out == NULL)
		rc = 0;
	sqlite3_reset(st);
	return rc;
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
	/*
	 * The page cache is bounded for the writer, and may spill: the first
	 * /sync of a big account is one transaction of many MB, and its
	 * dirty pages would otherwise all stay in memory until the commit
	 * (with cache_spill off, the cache grows past cache_size for them).
	 * Spilled pages go to the WAL, which readers ignore until the
	 * commit.  The reader keeps a larger cache for the UI's queries.
	 */
	if (store_exec(s, mode == STORE_RW ? "PRAGMA foreign_keys = ON;"
	    "PRAGMA cache_size = -4096;" : "PRAGMA foreign_keys = ON;"
	    "PRAGMA cache_size = -16384;", err) == -1)
		goto fail;
	if (mode == STORE_RW) {
		if (store_exec(s, "PRAGMA page_size = 8192;"
		    "PRAGMA journal_mode = WAL;"
		    "PRAGMA synchronous = NORMAL;"
		    "PRAGMA cache_spill = ON;", err) == -1)
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

/* The identity ingest decrypts with (store.h); RW stores only. */
void
store_set_crypto(struct store *s, struct crypto_keys *k)
{
	store_check(s);
	s->crypto = s->mode == STORE_RW ? k : NULL;
}

struct crypto_keys *
store_crypto(struct store *s)
{
	store_check(s);
	return s->crypto;
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
