/* Store change sequence: which rooms each write transaction changed. */
#include "haos/store.h"

#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/xmalloc.h"
#include "store-int.h"

/*
 * Upserting a room's row moves it to this transaction's seq; the seq is
 * taken once per transaction (store_begin and the end reset it), so every
 * room a transaction changes shares one seq and a reader that has seen
 * seq N has seen all of transaction N.
 */
#define STORE_CHANGE_UPSERT						\
	"ON CONFLICT (room_id) DO UPDATE SET seq = excluded.seq"

/* Take this transaction's seq, max(seq) + 1, on its first change. */
static int
store_change_take(struct store *s, struct haos_error *err)
{
	static const char	*sql = "SELECT coalesce(max(seq), 0) + 1 "
				    "FROM room_changes";

	if (s->change_seq != 0)
		return 0;
	if (store_get_int64(s, err, "change seq", sql, &s->change_seq,
	    "") == -1)
		return -1;
	return 0;
}

/* Record that room_id ("" for a global change) changed in this txn. */
int
store_room_changed(struct store *s, const char *room_id,
    struct haos_error *err)
{
	static const char	*sql = "INSERT INTO room_changes "
				    "(room_id, seq) VALUES (?1, ?2) "
				    STORE_CHANGE_UPSERT;

	if (store_writable(s, err) == -1 || store_change_take(s, err) == -1)
		return -1;
	return store_run(s, err, "room changed", sql, "ti", room_id,
	    s->change_seq);
}

/* Record that the room of outbox row txn_id, if any, changed. */
int
store_change_outbox(struct store *s, const char *txn_id,
    struct haos_error *err)
{
	static const char	*sql = "INSERT INTO room_changes "
	    "(room_id, seq) SELECT room_id, ?2 FROM outbox WHERE txn_id = ?1 "
	    STORE_CHANGE_UPSERT;

	if (store_writable(s, err) == -1 || store_change_take(s, err) == -1)
		return -1;
	return store_run(s, err, "outbox changed", sql, "ti", txn_id,
	    s->change_seq);
}

/*
 * The rooms changed after after_seq, in one snapshot: their ids in
 * *room_ids ("" when a global change happened; free with
 * store_changed_rooms_free()) and in *new_seq the seq to pass next time
 * (after_seq when nothing changed).
 */
int
store_changed_rooms(struct store *s, int64_t after_seq, char ***room_ids,
    size_t *n, int64_t *new_seq, struct haos_error *err)
{
	static const char	*sql = "SELECT room_id, seq FROM room_changes "
				    "WHERE seq > ?1 ORDER BY seq, room_id";
	sqlite3_stmt		*st;
	char			**arr = NULL;
	size_t			 cap = 0;
	int64_t			 seq;
	int			 rc;

	store_read(s);
	*room_ids = NULL;
	*n = 0;
	*new_seq = after_seq;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind(st, "i", after_seq);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arr = store_query_grow(arr, n, &cap, sizeof *arr);
		arr[*n - 1] = store_col_str(st, 0);
		seq = sqlite3_column_int64(st, 1);
		if (seq > *new_seq)
			*new_seq = seq;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_changed_rooms_free(arr, *n);
		*n = 0;
		*new_seq = after_seq;
		return store_fail(s, err, "changed rooms");
	}
	*room_ids = arr;
	return 0;
}

void
store_changed_rooms_free(char **room_ids, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(room_ids[i]);
	free(room_ids);
}

/* The current change seq (0 before any change), or -1 on error. */
int64_t
store_change_seq(struct store *s, struct haos_error *err)
{
	static const char	*sql = "SELECT coalesce(max(seq), 0) "
				    "FROM room_changes";
	int64_t			 seq;

	store_read(s);
	if (store_get_int64(s, err, "change seq", sql, &seq, "") == -1)
		return -1;
	return seq;
}
