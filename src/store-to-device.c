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
				    "event) VALUES (?1, ?2, ?3)";

	if (store_run(s, err, "insert to-device", sql, "ttt", type, sender,
	    event) == -1)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

/*
 * Up to max (0: all) kept to-device events with an id above after_id,
 * in the order /sync delivered them.  Free with store_to_device_rows_free().
 */
int
store_to_device_list(struct store *s, int64_t after_id, size_t max,
    struct to_device_row **rows, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT id, type, sender, event "
	    "FROM to_device WHERE id > ?1 ORDER BY id LIMIT ?2";
	sqlite3_stmt		*st;
	struct to_device_row	*arr = NULL, *r;
	size_t			 cap = 0;
	int			 rc;

	store_check(s);
	*rows = NULL;
	*n = 0;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	/* LIMIT -1: no limit. */
	store_bind(st, "ii", after_id, max == 0 || max > (size_t)INT64_MAX ?
	    (int64_t)-1 : (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arr = store_query_grow(arr, n, &cap, sizeof *arr);
		r = &arr[*n - 1];
		r->id = sqlite3_column_int64(st, 0);
		r->type = store_col_str(st, 1);
		r->sender = store_col_str(st, 2);
		r->event = store_col_str(st, 3);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_to_device_rows_free(arr, *n);
		*n = 0;
		return store_fail(s, err, "list to-device");
	}
	*rows = arr;
	return 0;
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
