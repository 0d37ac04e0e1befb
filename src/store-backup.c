/* The server-side key backup this device uses, and what it holds. */

/*
 * Table key_backup (schema v8) keeps one row: the backup version the
 * server gave, its algorithm and auth_data, and whether this device
 * trusts it (its public key derives from the backup key we hold; see
 * crypto-backup.c).  megolm_in.backed_up_version says which version
 * holds a session: NULL or another version means it is still to
 * upload.  Written by the net thread only.
 */
#include "haos/store.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/xmalloc.h"

#include "store-int.h"

int
store_backup_get(struct store *s, struct store_backup *b,
    struct haos_error *err)
{
	static const char	*sql = "SELECT version, algorithm, auth_data, "
	    "trusted FROM key_backup WHERE id = 1";
	sqlite3_stmt		*st;
	int			 rc;

	memset(b, 0, sizeof *b);
	st = store_row(s, err, "key backup", sql, &rc, "");
	if (st == NULL)
		return rc;
	b->version = store_col_str(st, 0);
	b->algorithm = store_col_str(st, 1);
	b->auth_data = store_col_str(st, 2);
	b->trusted = sqlite3_column_int(st, 3);
	sqlite3_reset(st);
	return 1;
}

int
store_backup_put(struct store *s, const char *version, const char *algorithm,
    const char *auth_data, int trusted, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO key_backup (id, version, "
	    "algorithm, auth_data, trusted, updated_ts) VALUES (1, ?1, ?2, "
	    "?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET version = "
	    "excluded.version, algorithm = excluded.algorithm, auth_data = "
	    "excluded.auth_data, trusted = excluded.trusted, updated_ts = "
	    "excluded.updated_ts";

	return store_run(s, err, "key backup", sql, "tttii", version,
	    algorithm, auth_data, (int64_t)trusted, store_now_ms());
}

int
store_backup_clear(struct store *s, struct haos_error *err)
{
	return store_run(s, err, "key backup", "DELETE FROM key_backup", "");
}

void
store_backup_free(struct store_backup *b)
{
	free(b->version);
	free(b->algorithm);
	free(b->auth_data);
	memset(b, 0, sizeof *b);
}

/* Up to max (room, session) pairs of the rows sql selects. */
static int
store_backup_pairs(struct store *s, const char *sql, const char *arg,
    size_t max, struct store_backup_pair **out, size_t *n,
    struct haos_error *err)
{
	struct store_backup_pair	*arr = NULL;
	sqlite3_stmt			*st;
	size_t				 cap = 0;
	int				 rc;

	store_check(s);
	*out = NULL;
	*n = 0;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	if (arg != NULL)
		store_bind(st, "ti", arg, (int64_t)max);
	else
		store_bind(st, "i", (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arr = store_query_grow(arr, n, &cap, sizeof *arr);
		arr[*n - 1].room_id = store_col_str(st, 0);
		arr[*n - 1].session_id = store_col_str(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_backup_pairs_free(arr, *n);
		*n = 0;
		return store_fail(s, err, "key backup");
	}
	*out = arr;
	return 0;
}

int
store_backup_pending(struct store *s, const char *version, size_t max,
    struct store_backup_pair **out, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT room_id, session_id FROM "
	    "megolm_in WHERE backed_up_version IS NULL OR backed_up_version "
	    "!= ?1 ORDER BY created_ts, room_id, session_id LIMIT ?2";

	return store_backup_pairs(s, sql, version, max, out, n, err);
}

int
store_backup_waiting(struct store *s, size_t max,
    struct store_backup_pair **out, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT room_id, session_id FROM "
	    "undecryptable WHERE session_id IS NOT NULL GROUP BY room_id, "
	    "session_id ORDER BY max(since_ts) DESC LIMIT ?1";

	return store_backup_pairs(s, sql, NULL, max, out, n, err);
}

void
store_backup_pairs_free(struct store_backup_pair *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(p[i].room_id);
		free(p[i].session_id);
	}
	free(p);
}

int
store_backup_mark(struct store *s, const char *room_id,
    const char *session_id, const char *version, struct haos_error *err)
{
	static const char	*sql = "UPDATE megolm_in SET "
	    "backed_up_version = ?3 WHERE room_id = ?1 AND session_id = ?2";

	return store_run(s, err, "key backup", sql, "ttt", room_id,
	    session_id, version);
}
