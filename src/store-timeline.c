/* Store writes of timelines: events, redactions, ordinals and gaps. */
#include "haos/store.h"

#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/xmalloc.h"
#include "store-int.h"

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
