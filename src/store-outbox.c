/* Store outbox: local echoes of sends until /sync brings them back. */
#include "haos/store.h"

#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/xmalloc.h"
#include "store-int.h"

/* Queue a send (pending); returns the row id. */
int64_t
store_outbox_add(struct store *s, const char *room_id, const char *txn_id,
    const char *type, const char *state_key, const char *content,
    const char *rel_target, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO outbox (room_id, txn_id, "
	    "type, state_key, content, rel_target, state, created_ts) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7)";

	if (store_run_auto(s, err, "outbox", store_room_changed, room_id, sql,
	    "tttttti", room_id, txn_id, type, state_key, content, rel_target,
	    store_now_ms()) == -1)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

/*
 * Run one statement on the row txn_id (?1), with an optional text ?2, in
 * the caller's transaction or in its own, marking the row's room changed.
 */
static int
store_outbox_update(struct store *s, const char *sql, const char *txn_id,
    const char *text2, struct haos_error *err)
{
	if (store_run_auto(s, err, "outbox", store_change_outbox, txn_id, sql,
	    text2 != NULL ? "tt" : "t", txn_id, text2) == -1)
		return -1;
	return 0;
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

	return store_outbox_update(s, sql, txn_id, NULL, err);
}

/*
 * Delete the rows sent more than age_ms ago: once sent, a row only serves
 * haos run, which waits for its own for a request's time at most.  *n
 * (may be NULL) is how many went.
 */
int
store_outbox_prune(struct store *s, int64_t age_ms, int64_t *n,
    struct haos_error *err)
{
	static const char	*sql = "DELETE FROM outbox WHERE state = 'sent' "
	    "AND created_ts < ?1";

	if (store_run_auto(s, err, "outbox", NULL, NULL, sql, "i",
	    store_now_ms() - age_ms) == -1)
		return -1;
	if (n != NULL)
		*n = sqlite3_changes(s->db);
	return 0;
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
	store_bind(st, "tt", txn_id, event_id);
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
	if (matched && store_change_outbox(s, txn_id, err) == -1) {
		if (room_id != NULL)
			xfree(*room_id);
		return -1;
	}
	return matched;
}
