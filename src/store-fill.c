/* Store: the timelines a first start still fills in the background. */

/*
 * A sync without a since token asks for the room list only: one event per
 * room (net-fill.c).  Before it is sent, store_fill_mark() records that a
 * plan is due; once its answer is stored, store_fill_plan() lists in the
 * table fill every joined room with a gap (a timeline the server cut) and
 * clears the mark, in one transaction.  A restart between the two finds
 * the mark and plans then; a restart during the filling finds the rows
 * left.  A room leaves the table once one /messages page has been stored
 * below its newest gap, or when it has no gap or is no longer joined.
 */
#include "haos/store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/xmalloc.h"
#include "store-int.h"

#define FILL_MARK	"fill_plan"	/* kv key: a plan is due */

int
store_fill_mark(struct store *s, struct haos_error *err)
{
	static const char	*sql = "INSERT OR REPLACE INTO kv (key, value) "
	    "VALUES (?1, '1')";

	return store_run_auto(s, err, "fill mark", NULL, NULL, sql, "t",
	    FILL_MARK) == -1 ? -1 : 0;
}

/*
 * If a plan is due, list the rooms to fill; *planned is how many (0 when
 * no plan was due).
 */
int
store_fill_plan(struct store *s, int64_t *planned, struct haos_error *err)
{
	static const char	*mark = "SELECT count(*) FROM kv WHERE key = ?1";
	static const char	*plan = "INSERT OR IGNORE INTO fill (room) "
	    "SELECT r.id FROM rooms r WHERE r.membership = 'join' AND "
	    "EXISTS (SELECT 1 FROM gaps g WHERE g.room = r.id)";
	static const char	*count = "SELECT count(*) FROM fill";
	int64_t			 due = 0;

	*planned = 0;
	if (store_get_int64(s, err, "fill plan", mark, &due, "t",
	    FILL_MARK) == -1)
		return -1;
	if (due == 0)
		return 0;
	if (store_begin(s, err) == -1)
		return -1;
	if (store_run(s, err, "fill plan", plan, "") == -1 ||
	    store_kv_set(s, FILL_MARK, NULL, err) == -1 ||
	    store_get_int64(s, err, "fill plan", count, planned, "") == -1) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

/* The room is filled (or cannot be): it leaves the table. */
int
store_fill_done(struct store *s, const char *room_id, struct haos_error *err)
{
	static const char	*sql = "DELETE FROM fill WHERE room = "
	    "(SELECT id FROM rooms WHERE room_id = ?1)";

	return store_run_auto(s, err, "fill done", NULL, NULL, sql, "t",
	    room_id) == -1 ? -1 : 0;
}

/* Whether room_id is still to fill (read-only: the UI asks). */
int
store_fill_pending(struct store *s, const char *room_id, int *pending,
    struct haos_error *err)
{
	static const char	*sql = "SELECT count(*) FROM fill f "
	    "JOIN rooms r ON r.id = f.room WHERE r.room_id = ?1";
	int64_t			 n = 0;

	*pending = 0;
	if (store_get_int64(s, err, "fill", sql, &n, "t", room_id) == -1)
		return -1;
	*pending = n > 0;
	return 0;
}

/* How many joined rooms are still to fill (a room left is not). */
int
store_fill_left(struct store *s, int64_t *left, struct haos_error *err)
{
	static const char	*sql = "SELECT count(*) FROM fill f "
	    "JOIN rooms r ON r.id = f.room WHERE r.membership = 'join'";

	*left = 0;
	return store_get_int64(s, err, "fill", sql, left, "") == -1 ? -1 : 0;
}

/*
 * Up to max rooms still to fill, the most recently active first, leaving
 * out the nskip ids in skip (those under way).  *n is set to how many;
 * *left to how many joined rooms the table still has.
 */
int
store_fill_next(struct store *s, size_t max, char *const *skip,
    size_t nskip, char ***ids, size_t *n, int64_t *left,
    struct haos_error *err)
{
	static const char	*sql = "SELECT r.room_id FROM fill f "
	    "JOIN rooms r ON r.id = f.room WHERE r.membership = 'join' "
	    "ORDER BY r.last_ts DESC, r.id LIMIT ?1";
	sqlite3_stmt		*st;
	const char		*id;
	size_t			 i;
	int			 rc, taken;

	*ids = NULL;
	*n = 0;
	if (store_fill_left(s, left, err) == -1)
		return -1;
	if (*left == 0 || max == 0)
		return 0;
	if ((st = store_stmt(s, sql, err)) == NULL)
		return -1;
	store_bind(st, "i", (int64_t)(max + nskip));
	*ids = xcalloc(max, sizeof **ids);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(st, 0);
		for (taken = 0, i = 0; i < nskip && !taken; i++)
			taken = strcmp(skip[i], id) == 0;
		if (!taken)
			(*ids)[(*n)++] = xstrdup(id);
	}
	if (*n < max && rc != SQLITE_DONE) {
		sqlite3_reset(st);
		for (i = 0; i < *n; i++)
			free((*ids)[i]);
		free(*ids);
		*ids = NULL;
		*n = 0;
		return store_fail(s, err, "fill");
	}
	sqlite3_reset(st);
	return 0;
}
