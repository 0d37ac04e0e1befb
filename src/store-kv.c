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

	if (value == NULL)
		return store_run(s, err, "set kv", del, "t", key);
	return store_run(s, err, "set kv", ins, "tt", key, value);
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

	return store_run(s, err, "set sync token", sql, "t", token);
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

	if (store_run_auto(s, err, "write", NULL, NULL, sql, "tttii", mxc, path,
	    content_type, size, store_now_ms()) == -1)
		return -1;
	return 0;
}

/*
 * Image previews' rows (keys "mxc://...#thumb-..."): past cap bytes in
 * all, the least recently used go; *paths (*n of them) are their files,
 * for the caller to remove.  0, or -1 with err.
 */
int
store_media_evict(struct store *s, int64_t cap, char ***paths, size_t *n,
    struct haos_error *err)
{
	static const char	*sel = "SELECT path FROM (SELECT path, "
	    "SUM(size) OVER (ORDER BY last_access DESC, mxc) AS total "
	    "FROM media WHERE mxc GLOB '*#thumb-*') WHERE total > ?1";
	static const char	*del = "DELETE FROM media WHERE mxc IN "
	    "(SELECT mxc FROM (SELECT mxc, "
	    "SUM(size) OVER (ORDER BY last_access DESC, mxc) AS total "
	    "FROM media WHERE mxc GLOB '*#thumb-*') WHERE total > ?1)";

	*paths = NULL;
	*n = 0;
	if (store_rows(s, err, "media", sel, sizeof **paths, store_fill_text,
	    store_drop_texts, (void **)paths, n, "i", cap) == -1)
		return -1;
	if (*n == 0)
		return 0;
	if (store_run_auto(s, err, "media", NULL, NULL, del, "i",
	    cap) == -1) {
		store_drop_texts(*paths, *n);
		*paths = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}
