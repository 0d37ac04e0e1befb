/* Store to-device events: kept from /sync until the crypto layer is done. */
#include "haos/store.h"

#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/xmalloc.h"
#include "store-int.h"

/* Keep one to-device event (its JSON text); RW, inside a transaction. */
int64_t
store_to_device_add(struct store *s, const char *type, const char *sender,
    const char *event, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO to_device (type, sender, "
	    "event, received_ts) VALUES (?1, ?2, ?3, ?4)";

	if (store_run(s, err, "insert to-device", sql, "ttti", type, sender,
	    event, store_now_ms()) == -1)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

static void
store_to_device_fill(sqlite3_stmt *st, void *row)
{
	struct to_device_row	*r = row;

	r->id = sqlite3_column_int64(st, 0);
	r->type = store_col_str(st, 1);
	r->sender = store_col_str(st, 2);
	r->event = store_col_str(st, 3);
	r->received_ts = sqlite3_column_int64(st, 4);
}

static void
store_to_device_drop(void *rows, size_t n)
{
	store_to_device_rows_free(rows, n);
}

/*
 * Up to max (0: all) kept to-device events with an id above after_id,
 * in the order /sync delivered them.  Free with store_to_device_rows_free().
 */
int
store_to_device_list(struct store *s, int64_t after_id, size_t max,
    struct to_device_row **rows, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT id, type, sender, event, "
	    "received_ts FROM to_device WHERE id > ?1 ORDER BY id LIMIT ?2";

	/* LIMIT -1: no limit. */
	return store_rows(s, err, "list to-device", sql, sizeof **rows,
	    store_to_device_fill, store_to_device_drop, (void **)rows, n,
	    "ii", after_id, max == 0 || max > (size_t)INT64_MAX ? (int64_t)-1 :
	    (int64_t)max);
}

/*
 * Forget the kept to-device events up to and including upto_id, once
 * consumed; RW, in the caller's transaction or in its own.
 */
int
store_to_device_delete(struct store *s, int64_t upto_id,
    struct haos_error *err)
{
	static const char	*sql = "DELETE FROM to_device WHERE id <= ?1";

	if (store_run_auto(s, err, "write", NULL, NULL, sql, "i",
	    upto_id) == -1)
		return -1;
	return 0;
}

/* Forget the one kept to-device event id; RW, as above. */
int
store_to_device_remove(struct store *s, int64_t id, struct haos_error *err)
{
	static const char	*sql = "DELETE FROM to_device WHERE id = ?1";

	if (store_run_auto(s, err, "write", NULL, NULL, sql, "i", id) == -1)
		return -1;
	return 0;
}

void
store_to_device_rows_free(struct to_device_row *rows, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(rows[i].type);
		free(rows[i].sender);
		free(rows[i].event);
	}
	free(rows);
}

/*
 * The senders of kept Olm events that came between max_age_ms and
 * min_age_ms ago, whose device lists are current, are marked outdated
 * again (the device may have appeared since); *marked gets how many.
 * RW, in the caller's transaction.
 */
int
store_to_device_requery(struct store *s, int64_t min_age_ms,
    int64_t max_age_ms, int64_t *marked, struct haos_error *err)
{
	static const char	*senders = "SELECT DISTINCT t.sender FROM "
	    "to_device t JOIN tracked_users u ON u.user_id = t.sender WHERE "
	    "t.type = 'm.room.encrypted' AND u.outdated = 0 AND "
	    "t.received_ts < ?1 AND t.received_ts >= ?2";
	char			**users;
	size_t			 n, i;
	int64_t			 now = store_now_ms();
	int			 rc = 0;

	*marked = 0;
	if (store_rows(s, err, "to-device", senders, sizeof *users,
	    store_fill_text, store_drop_texts, (void **)&users, &n, "ii",
	    now - min_age_ms, max_age_ms == INT64_MAX ? INT64_MIN :
	    now - max_age_ms) == -1)
		return -1;
	for (i = 0; i < n && rc != -1; i++)
		rc = store_tracked_want(s, users[i], err);
	store_drop_texts(users, n);
	if (rc == -1)
		return -1;
	*marked = (int64_t)n;
	return 0;
}
