/* SQLite room/timeline cache: open, statements, transactions, writes. */
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
static int
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

static void
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
}

/* Fail unless this is the RW store inside a transaction. */
static int
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
static sqlite3_stmt *
store_write_stmt(struct store *s, const char *sql, struct haos_error *err)
{
	if (store_writable(s, err) == -1)
		return NULL;
	return store_stmt(s, sql, err);
}

/* Return the key of room_id's row, creating it (and *created) if needed. */
int64_t
store_room_key(struct store *s, const char *room_id, int *created,
    struct haos_error *err)
{
	static const char	*ins = "INSERT INTO rooms (room_id) "
				    "VALUES (?1) "
				    "ON CONFLICT (room_id) DO NOTHING";
	static const char	*sel = "SELECT id FROM rooms "
				    "WHERE room_id = ?1";
	sqlite3_stmt		*st;
	int64_t			 id;

	st = store_write_stmt(s, sel, err);
	if (st == NULL)
		return -1;
	if (created != NULL)
		*created = 0;
	store_bind_text(st, 1, room_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return id;
	}
	sqlite3_reset(st);
	if (created != NULL)
		*created = 1;
	st = store_stmt(s, ins, err);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, room_id);
	if (store_step_done(s, st, err, "insert room") == -1)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

/* Write the fields of patch whose STORE_ROOM_* bit is set. */
int
store_room_patch(struct store *s, int64_t room,
    const struct store_room_patch *p, struct haos_error *err)
{
	static const char	*sql = "UPDATE rooms SET "
	    "name = CASE WHEN ?1 & 1 THEN ?2 ELSE name END, "
	    "topic = CASE WHEN ?1 & 2 THEN ?3 ELSE topic END, "
	    "avatar_url = CASE WHEN ?1 & 4 THEN ?4 ELSE avatar_url END, "
	    "canonical_alias = CASE WHEN ?1 & 8 THEN ?5 "
	    "ELSE canonical_alias END, "
	    "room_type = CASE WHEN ?1 & 16 THEN ?6 ELSE room_type END, "
	    "encrypted = CASE WHEN ?1 & 32 THEN ?7 ELSE encrypted END, "
	    "parent_id = CASE WHEN ?1 & 64 THEN ?8 ELSE parent_id END, "
	    "channel_type = CASE WHEN ?1 & 128 THEN ?9 "
	    "ELSE channel_type END, "
	    "membership = CASE WHEN ?1 & 256 THEN ?10 ELSE membership END, "
	    "is_direct = CASE WHEN ?1 & 512 THEN ?11 ELSE is_direct END, "
	    "unread = CASE WHEN ?1 & 1024 THEN ?12 ELSE unread END, "
	    "highlight = CASE WHEN ?1 & 1024 THEN ?13 ELSE highlight END, "
	    "joined_count = CASE WHEN ?1 & 2048 AND ?14 >= 0 THEN ?14 "
	    "ELSE joined_count END, "
	    "invited_count = CASE WHEN ?1 & 2048 AND ?15 >= 0 THEN ?15 "
	    "ELSE invited_count END, "
	    "heroes = CASE WHEN ?1 & 2048 AND ?16 IS NOT NULL THEN ?16 "
	    "ELSE heroes END, "
	    "last_ts = CASE WHEN ?1 & 4096 AND ?17 > last_ts THEN ?17 "
	    "ELSE last_ts END "
	    "WHERE id = ?18";
	static const char	*joins[] = { "join", "invite", "leave" };
	sqlite3_stmt		*st;

	if (p->set == 0)
		return 0;
	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, (int)p->set);
	store_bind_text(st, 2, p->name);
	store_bind_text(st, 3, p->topic);
	store_bind_text(st, 4, p->avatar_url);
	store_bind_text(st, 5, p->canonical_alias);
	store_bind_text(st, 6, p->room_type);
	sqlite3_bind_int(st, 7, p->encrypted);
	store_bind_text(st, 8, p->parent_id);
	sqlite3_bind_int(st, 9, (int)p->channel);
	store_bind_text(st, 10, joins[p->join <= ROOM_LEAVE ? p->join : 0]);
	sqlite3_bind_int(st, 11, p->is_direct);
	sqlite3_bind_int64(st, 12, p->unread);
	sqlite3_bind_int64(st, 13, p->highlight);
	sqlite3_bind_int64(st, 14, p->joined_count);
	sqlite3_bind_int64(st, 15, p->invited_count);
	store_bind_text(st, 16, p->heroes);
	sqlite3_bind_int64(st, 17, p->last_ts);
	sqlite3_bind_int64(st, 18, room);
	return store_step_done(s, st, err, "update room");
}

/* Forget every m.direct mark (before applying a new m.direct). */
int
store_rooms_clear_direct(struct store *s, struct haos_error *err)
{
	static const char	*sql = "UPDATE rooms SET is_direct = 0, "
				    "direct_user = NULL WHERE is_direct != 0";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	return store_step_done(s, st, err, "clear direct");
}

/* Mark room_id a DM with user_id, creating its row if it is not known. */
int
store_room_set_direct(struct store *s, const char *room_id,
    const char *user_id, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO rooms (room_id, is_direct, "
	    "direct_user, membership) VALUES (?1, 1, ?2, 'leave') "
	    "ON CONFLICT (room_id) DO UPDATE SET is_direct = 1, "
	    "direct_user = excluded.direct_user";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, room_id);
	store_bind_text(st, 2, user_id);
	return store_step_done(s, st, err, "set direct");
}

/* Insert ev into room's timeline: 1 if new, 0 if already stored, -1. */
int
store_event_insert(struct store *s, int64_t room,
    const struct store_event *ev, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO events (room, ordinal, "
	    "event_id, sender, type, state_key, ts, content, rel_type, "
	    "relates_to, rel_key, redacts, redacted, redacted_by, txn_id) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15) ON CONFLICT (event_id) DO NOTHING";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	sqlite3_bind_int64(st, 2, ev->ordinal);
	store_bind_text(st, 3, ev->event_id);
	store_bind_text(st, 4, ev->sender);
	store_bind_text(st, 5, ev->type);
	store_bind_text(st, 6, ev->state_key);
	sqlite3_bind_int64(st, 7, ev->ts);
	sqlite3_bind_text(st, 8, ev->content, ev->content_len > 0 ?
	    (int)ev->content_len : -1, SQLITE_STATIC);
	store_bind_text(st, 9, ev->rel_type);
	store_bind_text(st, 10, ev->relates_to);
	store_bind_text(st, 11, ev->rel_key);
	store_bind_text(st, 12, ev->redacts);
	sqlite3_bind_int(st, 13, ev->redacted);
	store_bind_text(st, 14, ev->redacted_by);
	store_bind_text(st, 15, ev->txn_id);
	if (store_step_done(s, st, err, "insert event") == -1)
		return -1;
	return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

/*
 * Find event_id: 1 and the requested fields (caller frees), 0 if it is
 * not stored, -1 on error.
 */
int
store_event_lookup(struct store *s, const char *event_id, int64_t *room,
    char **type, char **content, int *redacted, struct haos_error *err)
{
	static const char	*sql = "SELECT room, type, content, redacted "
				    "FROM events WHERE event_id = ?1";
	sqlite3_stmt		*st;
	int			 rc;

	store_check(s);
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, event_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return store_fail(s, err, "look up event");
	}
	if (room != NULL)
		*room = sqlite3_column_int64(st, 0);
	if (type != NULL)
		*type = store_col_str(st, 1);
	if (content != NULL)
		*content = store_col_str(st, 2);
	if (redacted != NULL)
		*redacted = sqlite3_column_int(st, 3);
	sqlite3_reset(st);
	return 1;
}

/* Mark event_id redacted by redacted_by and replace its content. */
int
store_event_redact(struct store *s, const char *event_id,
    const char *redacted_by, const char *content, struct haos_error *err)
{
	static const char	*sql = "UPDATE events SET redacted = 1, "
	    "redacted_by = ?2, content = ?3 WHERE event_id = ?1";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, event_id);
	store_bind_text(st, 2, redacted_by);
	store_bind_text(st, 3, content);
	return store_step_done(s, st, err, "redact event");
}

/* Find a stored m.room.redaction of event_id (backfill order). */
int
store_event_redaction_of(struct store *s, const char *event_id,
    char **redaction_id, struct haos_error *err)
{
	static const char	*sql = "SELECT event_id FROM events "
	    "WHERE redacts = ?1 AND redacted = 0 LIMIT 1";
	sqlite3_stmt		*st;
	int			 rc;

	store_check(s);
	*redaction_id = NULL;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, event_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*redaction_id = store_col_str(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, err, "find redaction");
	return 0;
}

/* Highest ordinal of room's events and gaps; *found is 0 if none. */
int
store_timeline_max(struct store *s, int64_t room, int64_t *max, int *found,
    struct haos_error *err)
{
	static const char	*sql = "SELECT max(m) FROM ("
	    "SELECT max(ordinal) AS m FROM events WHERE room = ?1 "
	    "UNION ALL SELECT max(ordinal) FROM gaps WHERE room = ?1)";
	sqlite3_stmt		*st;
	int			 rc;

	store_check(s);
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return store_fail(s, err, "timeline max");
	}
	*found = sqlite3_column_type(st, 0) != SQLITE_NULL;
	*max = *found ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return 0;
}

/* Highest ordinal of an event or gap below `below`; *found 0 if none. */
int
store_timeline_floor(struct store *s, int64_t room, int64_t below,
    int64_t *floor, int *found, struct haos_error *err)
{
	static const char	*sql = "SELECT max(m) FROM ("
	    "SELECT max(ordinal) AS m FROM events "
	    "WHERE room = ?1 AND ordinal < ?2 "
	    "UNION ALL SELECT max(ordinal) FROM gaps "
	    "WHERE room = ?1 AND ordinal < ?2)";
	sqlite3_stmt		*st;
	int			 rc;

	store_check(s);
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	sqlite3_bind_int64(st, 2, below);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return store_fail(s, err, "timeline floor");
	}
	*found = sqlite3_column_type(st, 0) != SQLITE_NULL;
	*floor = *found ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return 0;
}

/*
 * Move every event and gap of room above `above` up by `by` to make room
 * for backfill.  by must exceed the span being moved, so that no row
 * lands on one that has not moved yet (the ordinal index is unique).
 */
int
store_timeline_shift(struct store *s, int64_t room, int64_t above,
    int64_t by, struct haos_error *err)
{
	static const char	*ev = "UPDATE events "
				    "SET ordinal = ordinal + ?3 "
				    "WHERE room = ?1 AND ordinal > ?2";
	static const char	*gp = "UPDATE gaps SET ordinal = ordinal + ?3 "
				    "WHERE room = ?1 AND ordinal > ?2";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, ev, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	sqlite3_bind_int64(st, 2, above);
	sqlite3_bind_int64(st, 3, by);
	if (store_step_done(s, st, err, "shift events") == -1)
		return -1;
	st = store_stmt(s, gp, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	sqlite3_bind_int64(st, 2, above);
	sqlite3_bind_int64(st, 3, by);
	return store_step_done(s, st, err, "shift gaps");
}

/* Record a gap at ordinal, to be filled from prev_batch; returns its id. */
int64_t
store_gap_add(struct store *s, int64_t room, int64_t ordinal,
    const char *prev_batch, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO gaps (room, ordinal, "
				    "prev_batch) VALUES (?1, ?2, ?3)";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	sqlite3_bind_int64(st, 2, ordinal);
	store_bind_text(st, 3, prev_batch);
	if (store_step_done(s, st, err, "insert gap") == -1)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

/* Fetch gap id: 1 if found (caller frees *prev_batch), 0 if not, -1. */
int
store_gap_get(struct store *s, int64_t id, int64_t *room, int64_t *ordinal,
    char **prev_batch, struct haos_error *err)
{
	static const char	*sql = "SELECT room, ordinal, prev_batch "
				    "FROM gaps WHERE id = ?1";
	sqlite3_stmt		*st;
	int			 rc;

	store_check(s);
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*room = sqlite3_column_int64(st, 0);
		*ordinal = sqlite3_column_int64(st, 1);
		*prev_batch = store_col_str(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, err, "get gap");
	return rc == SQLITE_ROW;
}

int
store_gap_delete(struct store *s, int64_t id, struct haos_error *err)
{
	static const char	*sql = "DELETE FROM gaps WHERE id = ?1";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return store_step_done(s, st, err, "delete gap");
}

/* Drop gaps below ordinal: history before m.room.create cannot exist. */
int
store_gaps_delete_below(struct store *s, int64_t room, int64_t ordinal,
    struct haos_error *err)
{
	static const char	*sql = "DELETE FROM gaps "
				    "WHERE room = ?1 AND ordinal < ?2";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	sqlite3_bind_int64(st, 2, ordinal);
	return store_step_done(s, st, err, "delete gaps");
}

/* Is there a gap in room waiting for prev_batch: 1 yes, 0 no, -1. */
int
store_gap_exists(struct store *s, int64_t room, const char *prev_batch,
    struct haos_error *err)
{
	static const char	*sql = "SELECT 1 FROM gaps "
				    "WHERE room = ?1 AND prev_batch = ?2";
	sqlite3_stmt		*st;
	int			 rc;

	store_check(s);
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, prev_batch);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, err, "find gap");
	return rc == SQLITE_ROW;
}

/*
 * Find event_id among room's current state: 1 with its type, state key
 * and content (caller frees), 0 if it is not current state.
 */
int
store_state_find(struct store *s, int64_t room, const char *event_id,
    char **type, char **state_key, char **content, struct haos_error *err)
{
	static const char	*sql = "SELECT type, state_key, content FROM "
				    "state WHERE room = ?1 AND event_id = ?2";
	sqlite3_stmt		*st;
	int			 rc;

	store_check(s);
	*type = *state_key = *content = NULL;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, event_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*type = store_col_str(st, 0);
		*state_key = store_col_str(st, 1);
		*content = store_col_str(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, err, "find state");
	return rc == SQLITE_ROW;
}

/* Replace the content of room's current state event event_id. */
int
store_state_redact(struct store *s, int64_t room, const char *event_id,
    const char *content, struct haos_error *err)
{
	static const char	*sql = "UPDATE state SET content = ?3 "
				    "WHERE room = ?1 AND event_id = ?2";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, event_id);
	store_bind_text(st, 3, content);
	return store_step_done(s, st, err, "redact state");
}

/* Set the current state of (type, state_key) in room. */
int
store_state_set(struct store *s, int64_t room, const char *type,
    const char *state_key, const char *event_id, const char *sender,
    const char *content, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO state (room, type, "
	    "state_key, event_id, sender, content) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6) ON CONFLICT (room, type, state_key) DO UPDATE SET "
	    "event_id = excluded.event_id, sender = excluded.sender, "
	    "content = excluded.content";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, type);
	store_bind_text(st, 3, state_key);
	store_bind_text(st, 4, event_id);
	store_bind_text(st, 5, sender);
	store_bind_text(st, 6, content);
	return store_step_done(s, st, err, "set state");
}

/* Current state content of (type, state_key), or *content NULL. */
int
store_state_get(struct store *s, int64_t room, const char *type,
    const char *state_key, char **content, struct haos_error *err)
{
	static const char	*sql = "SELECT content FROM state WHERE "
				    "room = ?1 AND type = ?2 "
				    "AND state_key = ?3";
	sqlite3_stmt		*st;
	int			 rc;

	store_check(s);
	*content = NULL;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, type);
	store_bind_text(st, 3, state_key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*content = store_col_str(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, err, "get state");
	return 0;
}

/* Record (present) or remove an m.space.child of space. */
int
store_space_child_set(struct store *s, int64_t space, const char *child_id,
    const char *order, int suggested, int present, struct haos_error *err)
{
	static const char	*ins = "INSERT INTO space_children (space, "
	    "child_id, sort_order, suggested) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT (space, child_id) DO UPDATE SET "
	    "sort_order = excluded.sort_order, suggested = excluded.suggested";
	static const char	*del = "DELETE FROM space_children "
				    "WHERE space = ?1 AND child_id = ?2";
	sqlite3_stmt		*st;

	if (store_writable(s, err) == -1)
		return -1;
	st = store_stmt(s, present ? ins : del, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, space);
	store_bind_text(st, 2, child_id);
	if (present) {
		store_bind_text(st, 3, order);
		sqlite3_bind_int(st, 4, suggested);
	}
	return store_step_done(s, st, err, "set space child");
}

/* Insert or replace a member of room. */
int
store_member_set(struct store *s, int64_t room, const char *user_id,
    const char *displayname, const char *avatar_url, const char *membership,
    int64_t power_level, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO members (room, user_id, "
	    "displayname, avatar_url, membership, power_level) VALUES (?1, "
	    "?2, ?3, ?4, ?5, ?6) ON CONFLICT (room, user_id) DO UPDATE SET "
	    "displayname = excluded.displayname, "
	    "avatar_url = excluded.avatar_url, "
	    "membership = excluded.membership, "
	    "power_level = excluded.power_level";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, user_id);
	store_bind_text(st, 3, displayname);
	store_bind_text(st, 4, avatar_url);
	store_bind_text(st, 5, membership);
	sqlite3_bind_int64(st, 6, power_level);
	return store_step_done(s, st, err, "set member");
}

/* Set every member of room to users_default (new m.room.power_levels). */
int
store_members_power_default(struct store *s, int64_t room, int64_t level,
    struct haos_error *err)
{
	static const char	*sql = "UPDATE members SET power_level = ?2 "
				    "WHERE room = ?1 AND power_level != ?2";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	sqlite3_bind_int64(st, 2, level);
	return store_step_done(s, st, err, "set power levels");
}

/* Set one member's power level, if the member is known. */
int
store_member_power(struct store *s, int64_t room, const char *user_id,
    int64_t level, struct haos_error *err)
{
	static const char	*sql = "UPDATE members SET power_level = ?3 "
				    "WHERE room = ?1 AND user_id = ?2";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, user_id);
	sqlite3_bind_int64(st, 3, level);
	return store_step_done(s, st, err, "set power level");
}

/* Store account data of type; room 0 is global. */
int
store_account_data_set(struct store *s, int64_t room, const char *type,
    const char *content, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO account_data (room, type, "
	    "content) VALUES (?1, ?2, ?3) ON CONFLICT (room, type) "
	    "DO UPDATE SET content = excluded.content";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, type);
	store_bind_text(st, 3, content);
	return store_step_done(s, st, err, "set account data");
}

int
store_receipt_set(struct store *s, int64_t room, const char *rtype,
    const char *user_id, const char *event_id, int64_t ts,
    struct haos_error *err)
{
	static const char	*sql = "INSERT INTO receipts (room, rtype, "
	    "user_id, event_id, ts) VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT (room, rtype, user_id) DO UPDATE SET "
	    "event_id = excluded.event_id, ts = excluded.ts";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, rtype);
	store_bind_text(st, 3, user_id);
	store_bind_text(st, 4, event_id);
	sqlite3_bind_int64(st, 5, ts);
	return store_step_done(s, st, err, "set receipt");
}

/* Replace the typing users of room (JSON array text). */
int
store_typing_set(struct store *s, int64_t room, const char *user_ids,
    struct haos_error *err)
{
	static const char	*sql = "INSERT INTO typing (room, user_ids) "
	    "VALUES (?1, ?2) ON CONFLICT (room) DO UPDATE SET "
	    "user_ids = excluded.user_ids";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, user_ids);
	return store_step_done(s, st, err, "set typing");
}

/* Set a kv value; NULL deletes the key. */
int
store_kv_set(struct store *s, const char *key, const char *value,
    struct haos_error *err)
{
	static const char	*ins = "INSERT INTO kv (key, value) VALUES "
	    "(?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
	static const char	*del = "DELETE FROM kv WHERE key = ?1";
	sqlite3_stmt		*st;

	if (store_writable(s, err) == -1)
		return -1;
	st = store_stmt(s, value != NULL ? ins : del, err);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, key);
	if (value != NULL)
		store_bind_text(st, 2, value);
	return store_step_done(s, st, err, "set kv");
}

/* Write next_batch; ingest does this last, inside its transaction. */
int
store_sync_token_set(struct store *s, const char *token,
    struct haos_error *err)
{
	static const char	*sql = "INSERT INTO sync_token "
	    "(id, next_batch) "
	    "VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET "
	    "next_batch = excluded.next_batch";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, token);
	return store_step_done(s, st, err, "set sync token");
}

static int64_t
store_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Run one outbox statement in the caller's transaction or in its own.
 * Returns the number of changed rows, or -1.
 */
static int
store_outbox_run(struct store *s, sqlite3_stmt *st, struct haos_error *err)
{
	int	 own, n;

	own = !s->in_txn;
	if (own && store_begin(s, err) == -1) {
		sqlite3_reset(st);
		return -1;
	}
	if (store_step_done(s, st, err, "outbox") == -1) {
		if (own)
			store_rollback(s);
		return -1;
	}
	n = sqlite3_changes(s->db);
	if (own && store_commit(s, err) == -1)
		return -1;
	return n;
}

static int
store_outbox_ready(struct store *s, struct haos_error *err)
{
	store_check(s);
	if (s->mode != STORE_RW) {
		haos_error_set(err, HAOS_ESTORE, "write to a read-only store");
		return -1;
	}
	return 0;
}

/* Queue a send (pending); returns the row id. */
int64_t
store_outbox_add(struct store *s, const char *room_id, const char *txn_id,
    const char *type, const char *state_key, const char *content,
    const char *rel_target, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO outbox (room_id, txn_id, "
	    "type, state_key, content, rel_target, state, created_ts) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7)";
	sqlite3_stmt		*st;

	if (store_outbox_ready(s, err) == -1)
		return -1;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, room_id);
	store_bind_text(st, 2, txn_id);
	store_bind_text(st, 3, type);
	store_bind_text(st, 4, state_key);
	store_bind_text(st, 5, content);
	store_bind_text(st, 6, rel_target);
	sqlite3_bind_int64(st, 7, store_now_ms());
	if (store_outbox_run(s, st, err) == -1)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

/* Run one UPDATE of a row by txn id (?1), with an optional text ?2. */
static int
store_outbox_update(struct store *s, const char *sql, const char *txn_id,
    const char *text2, struct haos_error *err)
{
	sqlite3_stmt	*st;

	if (store_outbox_ready(s, err) == -1)
		return -1;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, txn_id);
	if (text2 != NULL)
		store_bind_text(st, 2, text2);
	return store_outbox_run(s, st, err) == -1 ? -1 : 0;
}

/* Mark a row as being sent and count the attempt. */
int
store_outbox_mark_sending(struct store *s, const char *txn_id,
    struct haos_error *err)
{
	return store_outbox_update(s, "UPDATE outbox SET state = 'sending', "
	    "attempts = attempts + 1, error = NULL WHERE txn_id = ?1 AND "
	    "state IN ('pending', 'failed', 'sending')", txn_id, NULL, err);
}

/* Record the event id the server answered with. */
int
store_outbox_mark_sent(struct store *s, const char *txn_id,
    const char *event_id, struct haos_error *err)
{
	return store_outbox_update(s, "UPDATE outbox SET state = 'sent', "
	    "event_id = ?2, error = NULL WHERE txn_id = ?1", txn_id, event_id,
	    err);
}

/* Record a failed attempt with its error text (never for a sent row). */
int
store_outbox_mark_failed(struct store *s, const char *txn_id,
    const char *error, struct haos_error *err)
{
	return store_outbox_update(s, "UPDATE outbox SET state = 'failed', "
	    "error = ?2 WHERE txn_id = ?1 AND state != 'sent'", txn_id, error,
	    err);
}

int
store_outbox_delete(struct store *s, const char *txn_id,
    struct haos_error *err)
{
	static const char	*sql = "DELETE FROM outbox WHERE txn_id = ?1";
	sqlite3_stmt		*st;

	if (store_outbox_ready(s, err) == -1)
		return -1;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, txn_id);
	return store_outbox_run(s, st, err) == -1 ? -1 : 0;
}

/*
 * The server's copy of txn_id arrived as event_id: mark the row sent, so
 * it stops being a local echo.  Returns 1 (and its room in *room_id when
 * asked) if a row matched, 0 if none.
 */
int
store_outbox_reconcile(struct store *s, const char *txn_id,
    const char *event_id, char **room_id, struct haos_error *err)
{
	static const char	*sql = "UPDATE outbox SET state = 'sent', "
	    "event_id = ?2, error = NULL WHERE txn_id = ?1 "
	    "RETURNING room_id";
	sqlite3_stmt		*st;
	int			 rc, matched;

	if (room_id != NULL)
		*room_id = NULL;
	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, txn_id);
	store_bind_text(st, 2, event_id);
	matched = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		matched = 1;
		if (room_id != NULL)
			*room_id = store_col_str(st, 0);
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		if (room_id != NULL)
			xfree(*room_id);
		return store_fail(s, err, "reconcile outbox");
	}
	return matched;
}

/* Index a downloaded media file; touches last_access. */
int
store_media_put(struct store *s, const char *mxc, const char *path,
    const char *content_type, int64_t size, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO media (mxc, path, "
	    "content_type, size, last_access) VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT (mxc) DO UPDATE SET path = excluded.path, "
	    "content_type = excluded.content_type, size = excluded.size, "
	    "last_access = excluded.last_access";
	sqlite3_stmt		*st;

	if (store_outbox_ready(s, err) == -1)
		return -1;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, mxc);
	store_bind_text(st, 2, path);
	store_bind_text(st, 3, content_type);
	sqlite3_bind_int64(st, 4, size);
	sqlite3_bind_int64(st, 5, store_now_ms());
	return store_outbox_run(s, st, err) == -1 ? -1 : 0;
}
