/* Store outbox: the upload of an attachment's row (schema v11). */
#include "haos/store.h"

#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/xmalloc.h"
#include "store-int.h"

/* Queue an m.room.message whose attachment waits in u->path. */
int64_t
store_outbox_add_upload(struct store *s, const char *room_id,
    const char *txn_id, const char *content, const struct outbox_upload *u,
    struct haos_error *err)
{
	static const char	*sql = "INSERT INTO outbox (room_id, txn_id, "
	    "type, content, state, created_ts, upload, upload_path, "
	    "upload_type, upload_name, upload_size, upload_file) VALUES "
	    "(?1, ?2, 'm.room.message', ?3, 'pending', ?4, 'waiting', ?5, "
	    "?6, ?7, ?8, ?9)";

	if (store_run_auto(s, err, "outbox upload", store_room_changed,
	    room_id, sql, "tttitttit", room_id, txn_id, content,
	    store_now_ms(), u->path, u->type, u->name, u->size,
	    u->file) == -1)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

/*
 * 'waiting' or 'uploading' (never back from 'uploaded': the mxc:// URI
 * it holds is the file).  Returns the rows changed (0 or 1), -1 on error.
 */
int
store_outbox_upload_state(struct store *s, const char *txn_id,
    const char *upload, struct haos_error *err)
{
	static const char	*sql = "UPDATE outbox SET upload = ?2 "
	    "WHERE txn_id = ?1 AND upload IN ('waiting', 'uploading')";

	return store_run_auto(s, err, "outbox upload", store_change_outbox,
	    txn_id, sql, "tt", txn_id, upload);
}

/*
 * The row's file sealed after it was queued (its room turned out to be
 * encrypted): the new spool file, its type and `file` object (no url).
 */
int
store_outbox_upload_sealed(struct store *s, const char *txn_id,
    const struct outbox_upload *u, struct haos_error *err)
{
	static const char	*sql = "UPDATE outbox SET upload_path = ?2, "
	    "upload_type = ?3, upload_size = ?4, upload_file = ?5 "
	    "WHERE txn_id = ?1 AND upload IN ('waiting', 'uploading')";

	return store_run_auto(s, err, "outbox upload", store_change_outbox,
	    txn_id, sql, "tttit", txn_id, u->path, u->type, u->size, u->file);
}

/* The upload is in as mxc; content (carrying it) replaces the row's. */
int
store_outbox_uploaded(struct store *s, const char *txn_id, const char *mxc,
    const char *content, struct haos_error *err)
{
	static const char	*sql = "UPDATE outbox SET upload = 'uploaded', "
	    "upload_mxc = ?2, content = ?3 WHERE txn_id = ?1 AND "
	    "upload IN ('waiting', 'uploading')";

	return store_run_auto(s, err, "outbox upload", store_change_outbox,
	    txn_id, sql, "ttt", txn_id, mxc, content);
}

/* The spool files rows not yet sent need (free each and the array). */
int
store_outbox_spooled(struct store *s, char ***paths, size_t *n,
    struct haos_error *err)
{
	static const char	*sql = "SELECT upload_path FROM outbox WHERE "
	    "upload_path IS NOT NULL AND state != 'sent'";

	*paths = NULL;
	*n = 0;
	return store_rows(s, err, "outbox spooled", sql, sizeof **paths,
	    store_fill_text, store_drop_texts, (void **)paths, n, "");
}
