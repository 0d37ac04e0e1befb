/* Store writes of small tables: kv, the sync token, the media index. */
#include "haos/store.h"

#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/xmalloc.h"
#include "store-int.h"

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

	if (store_writer(s, err) == -1)
		return -1;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, mxc);
	store_bind_text(st, 2, path);
	store_bind_text(st, 3, content_type);
	sqlite3_bind_int64(st, 4, size);
	sqlite3_bind_int64(st, 5, store_now_ms());
	return store_autocommit(s, st, err) == -1 ? -1 : 0;
}
