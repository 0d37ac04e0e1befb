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
	    "relates_to, rel_key, redacts, redacted, redacted_by, txn_id, "
	    "e2e, e2e_session) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	    "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) ON CONFLICT (event_id) "
	    "DO NOTHING";

	if (store_run(s, err, "insert event", sql, "iittttibttttittit", room,
	    ev->ordinal, ev->event_id, ev->sender, ev->type, ev->state_key,
	    ev->ts, ev->content, ev->content_len, ev->rel_type,
	    ev->relates_to, ev->rel_key, ev->redacts, (int64_t)ev->redacted,
	    ev->redacted_by, ev->txn_id, (int64_t)ev->e2e,
	    ev->e2e_session) == -1)
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

	st = store_row(s, err, "look up event", sql, &rc, "t", event_id);
	if (st == NULL)
		return rc;
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

	return store_run(s, err, "redact event", sql, "ttt", event_id,
	    redacted_by, content);
}

/* Find a stored m.room.redaction of event_id (backfill order). */
int
store_event_redaction_of(struct store *s, const char *event_id,
    char **redaction_id, struct haos_error *err)
{
	static const char	*sql = "SELECT event_id FROM events "
	    "WHERE redacts = ?1 AND redacted = 0 LIMIT 1";

	if (store_get_text(s, err, "find redaction", sql, redaction_id, "t",
	    event_id) == -1)
		return -1;
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
	int			 rc;

	/* max() gives one row: NULL when room has neither events nor gaps. */
	rc = store_get_int64(s, err, "timeline max", sql, max, "i", room);
	if (rc == -1)
		return -1;
	*found = rc;
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
	int			 rc;

	rc = store_get_int64(s, err, "timeline floor", sql, floor, "ii", room,
	    below);
	if (rc == -1)
		return -1;
	*found = rc;
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

	if (store_run(s, err, "shift events", ev, "iii", room, above, by) == -1)
		return -1;
	return store_run(s, err, "shift gaps", gp, "iii", room, above, by);
}

/* Record a gap at ordinal, to be filled from prev_batch; returns its id. */
int64_t
store_gap_add(struct store *s, int64_t room, int64_t ordinal,
    const char *prev_batch, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO gaps (room, ordinal, "
				    "prev_batch) VALUES (?1, ?2, ?3)";

	if (store_run(s, err, "insert gap", sql, "iit", room, ordinal,
	    prev_batch) == -1)
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

	st = store_row(s, err, "get gap", sql, &rc, "i", id);
	if (st == NULL)
		return rc;
	*room = sqlite3_column_int64(st, 0);
	*ordinal = sqlite3_column_int64(st, 1);
	*prev_batch = store_col_str(st, 2);
	sqlite3_reset(st);
	return 1;
}

int
store_gap_delete(struct store *s, int64_t id, struct haos_error *err)
{
	static const char	*sql = "DELETE FROM gaps WHERE id = ?1";

	return store_run(s, err, "delete gap", sql, "i", id);
}

/* Drop gaps below ordinal: history before m.room.create cannot exist. */
int
store_gaps_delete_below(struct store *s, int64_t room, int64_t ordinal,
    struct haos_error *err)
{
	static const char	*sql = "DELETE FROM gaps "
				    "WHERE room = ?1 AND ordinal < ?2";

	return store_run(s, err, "delete gaps", sql, "ii", room, ordinal);
}

/* Is there a gap in room waiting for prev_batch: 1 yes, 0 no, -1. */
int
store_gap_exists(struct store *s, int64_t room, const char *prev_batch,
    struct haos_error *err)
{
	static const char	*sql = "SELECT 1 FROM gaps "
				    "WHERE room = ?1 AND prev_batch = ?2";
	int64_t			 one;

	return store_get_int64(s, err, "find gap", sql, &one, "it", room,
	    prev_batch);
}
