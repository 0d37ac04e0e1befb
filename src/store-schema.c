/* Store schema: CREATE statements and migrations by PRAGMA user_version. */
#include "haos/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/xmalloc.h"
#include "store-int.h"

/*
 * Version 1: the initial schema.  Rooms are referenced by their integer
 * key so that the large tables and their indexes stay small.
 *
 * A room's timeline is ordered by events.ordinal, unique per room.  /sync
 * appends above the highest ordinal; a limited timeline leaves
 * STORE_GAP_SPAN free ordinals below its first event and records a gap
 * there, and backfill from /messages fills the gap downwards.  Paging from
 * any point is one range scan of events_room_ordinal.
 */
static const char schema_v1[] =
	"CREATE TABLE rooms ("
	" id INTEGER PRIMARY KEY,"
	" room_id TEXT NOT NULL UNIQUE,"
	" membership TEXT NOT NULL DEFAULT 'join'"
	"  CHECK (membership IN ('join', 'invite', 'leave')),"
	" name TEXT,"
	" topic TEXT,"
	" avatar_url TEXT,"
	" canonical_alias TEXT,"
	" room_type TEXT,"
	" is_direct INTEGER NOT NULL DEFAULT 0,"
	" encrypted INTEGER NOT NULL DEFAULT 0,"
	" parent_id TEXT,"
	" channel_type INTEGER NOT NULL DEFAULT 0,"
	" unread INTEGER NOT NULL DEFAULT 0,"
	" highlight INTEGER NOT NULL DEFAULT 0,"
	" joined_count INTEGER,"
	" invited_count INTEGER,"
	" heroes TEXT,"
	" last_ts INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE space_children ("
	" space INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,"
	" child_id TEXT NOT NULL,"
	" sort_order TEXT,"
	" suggested INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (space, child_id)) WITHOUT ROWID;"
	"CREATE INDEX space_children_child ON space_children (child_id);"
	"CREATE TABLE state ("
	" room INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,"
	" type TEXT NOT NULL,"
	" state_key TEXT NOT NULL,"
	" event_id TEXT,"
	" sender TEXT,"
	" content TEXT NOT NULL,"
	" PRIMARY KEY (room, type, state_key));"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" room INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,"
	" ordinal INTEGER NOT NULL,"
	" event_id TEXT NOT NULL UNIQUE,"
	" sender TEXT NOT NULL,"
	" type TEXT NOT NULL,"
	" state_key TEXT,"
	" ts INTEGER NOT NULL DEFAULT 0,"
	" content TEXT NOT NULL,"
	" rel_type TEXT,"
	" relates_to TEXT,"
	" rel_key TEXT,"
	" redacts TEXT,"
	" redacted INTEGER NOT NULL DEFAULT 0,"
	" redacted_by TEXT,"
	" txn_id TEXT);"
	"CREATE UNIQUE INDEX events_room_ordinal ON events (room, ordinal);"
	"CREATE INDEX events_relates ON events (room, relates_to)"
	" WHERE relates_to IS NOT NULL;"
	"CREATE INDEX events_redacts ON events (redacts)"
	" WHERE redacts IS NOT NULL;"
	"CREATE TABLE gaps ("
	" id INTEGER PRIMARY KEY,"
	" room INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,"
	" ordinal INTEGER NOT NULL,"
	" prev_batch TEXT NOT NULL,"
	" UNIQUE (room, ordinal));"
	"CREATE TABLE members ("
	" room INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,"
	" user_id TEXT NOT NULL,"
	" displayname TEXT,"
	" avatar_url TEXT,"
	" membership TEXT NOT NULL,"
	" power_level INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (room, user_id)) WITHOUT ROWID;"
	"CREATE TABLE account_data ("
	" room INTEGER NOT NULL,"	/* 0: global account data */
	" type TEXT NOT NULL,"
	" content TEXT NOT NULL,"
	" PRIMARY KEY (room, type)) WITHOUT ROWID;"
	"CREATE TABLE receipts ("
	" room INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,"
	" rtype TEXT NOT NULL,"
	" user_id TEXT NOT NULL,"
	" event_id TEXT NOT NULL,"
	" ts INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (room, rtype, user_id)) WITHOUT ROWID;"
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" room_id TEXT NOT NULL,"
	" txn_id TEXT NOT NULL UNIQUE,"
	" type TEXT NOT NULL,"
	" state_key TEXT,"
	" content TEXT NOT NULL,"
	" rel_target TEXT,"
	" state TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (state IN ('pending', 'sending', 'sent', 'failed')),"
	" error TEXT,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" created_ts INTEGER NOT NULL,"
	" event_id TEXT);"
	"CREATE INDEX outbox_state ON outbox (state, id);"
	"CREATE TABLE typing ("
	" room INTEGER PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,"
	" user_ids TEXT NOT NULL);"
	"CREATE TABLE sync_token ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" next_batch TEXT NOT NULL);"
	"CREATE TABLE kv ("
	" key TEXT PRIMARY KEY,"
	" value TEXT NOT NULL) WITHOUT ROWID;";

/* Version 2: the media cache index, and the room a DM's peer is in. */
static const char schema_v2[] =
	"CREATE TABLE media ("
	" mxc TEXT PRIMARY KEY,"
	" path TEXT NOT NULL,"
	" content_type TEXT,"
	" size INTEGER NOT NULL DEFAULT 0,"
	" last_access INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE INDEX media_last_access ON media (last_access);"
	"ALTER TABLE rooms ADD COLUMN direct_user TEXT;";

/*
 * Version 3: to-device events kept until the crypto layer consumes them,
 * and the change sequence the UI polls to refresh only changed rooms.
 *
 * to_device holds each event of /sync's to_device section as its JSON
 * text, written in the transaction that writes next_batch, so an event
 * is never lost between the two.  AUTOINCREMENT keeps ids increasing
 * after deletes: a consumer's "after id" cursor stays valid.
 *
 * room_changes has one row per room (room_id '' for a change that is not
 * one room's: m.direct, presence, global account data) holding the seq
 * of the last write transaction that changed it.  Every write
 * transaction that changes rooms takes max(seq) + 1 once; rows are never
 * deleted, so max(seq) only grows.
 */
static const char schema_v3[] =
	"CREATE TABLE to_device ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" type TEXT NOT NULL,"
	" sender TEXT,"
	" event TEXT NOT NULL);"
	"CREATE TABLE room_changes ("
	" room_id TEXT PRIMARY KEY,"
	" seq INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX room_changes_seq ON room_changes (seq);";

/*
 * v4: the local-echo query (a room's rows not yet sent) has an index of
 * its own, so that it stays cheap however many sent rows are kept.
 */
static const char schema_v4[] =
	"CREATE INDEX outbox_unsent ON outbox (room_id, id) "
	"WHERE state != 'sent';";

/*
 * v5: the rooms whose timelines the first start still has to fill in the
 * background (store-fill.c).
 */
static const char schema_v5[] =
	"CREATE TABLE fill ("
	" room INTEGER PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE);";

/*
 * v6: the device's Olm account (issue #15, E2EE Step 1), one row: its
 * libolm pickle, encrypted with the pickle key kept outside the database
 * (src/crypto/pickle-key.c).  Later steps add their own tables.
 */
static const char schema_v6[] =
	"CREATE TABLE olm_account ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" pickle TEXT NOT NULL,"
	" updated_ts INTEGER NOT NULL);";

/*
 * v7: the E2EE state of issue #15 (Steps 2-6), as ../shared/E2EE.md
 * 0.5 proposes.  Every pickle is encrypted with the pickle key; nothing
 * here is a raw key.  Written by the net thread only, in the transaction
 * of the /sync batch (or the request answer) that caused the change.
 *
 * members_user: whether a user is still in an encrypted room, asked at
 * each membership change (store-devices.c), without a scan of members.
 *
 * events.e2e says what decryption made of a timeline event: 0 never
 * encrypted, 1 decrypted (type and content are the plaintext's, with
 * the cleartext m.relates_to), >= 2 still m.room.encrypted with the
 * reason (enum e2e_state, model.h).  undecryptable lists the events
 * waiting for a key, by session, so a key that arrives decrypts them
 * in place.  An outbox row of an encrypted room keeps its plaintext in
 * content and, once encrypted, what goes on the wire (wire_type,
 * wire_content), stored before the request: a retry sends the same
 * ciphertext under the same transaction id.
 */
static const char schema_v7[] =
	"ALTER TABLE events ADD COLUMN e2e INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE outbox ADD COLUMN wire_type TEXT;"
	"ALTER TABLE outbox ADD COLUMN wire_content TEXT;"
	"CREATE TABLE olm_sessions ("
	" session_id TEXT PRIMARY KEY,"
	" peer_curve25519 TEXT NOT NULL,"
	" pickle TEXT NOT NULL,"
	" created_ts INTEGER NOT NULL,"
	" last_rx_ts INTEGER NOT NULL DEFAULT 0,"
	" last_tx_ts INTEGER NOT NULL DEFAULT 0,"
	" recent_rx TEXT) WITHOUT ROWID;"
	"CREATE INDEX olm_sessions_peer ON olm_sessions (peer_curve25519);"
	"CREATE TABLE olm_sessions_gone ("
	" session_id TEXT PRIMARY KEY,"
	" gone_ts INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE olm_wedged ("
	" peer_curve25519 TEXT PRIMARY KEY,"
	" user_id TEXT NOT NULL,"
	" device_id TEXT,"
	" last_new_session_ts INTEGER NOT NULL DEFAULT 0,"
	" pending INTEGER NOT NULL DEFAULT 1) WITHOUT ROWID;"
	"CREATE TABLE megolm_in ("
	" room_id TEXT NOT NULL,"
	" session_id TEXT NOT NULL,"
	" sender_user TEXT NOT NULL,"
	" sender_curve25519 TEXT NOT NULL,"
	" claimed_ed25519 TEXT NOT NULL,"
	" pickle TEXT NOT NULL,"
	" first_known_index INTEGER NOT NULL,"
	" source TEXT NOT NULL,"
	" authenticated INTEGER NOT NULL,"
	" shared_history INTEGER NOT NULL DEFAULT 0,"
	" created_ts INTEGER NOT NULL,"
	" PRIMARY KEY (room_id, session_id)) WITHOUT ROWID;"
	"CREATE TABLE megolm_seen ("
	" room_id TEXT NOT NULL,"
	" session_id TEXT NOT NULL,"
	" message_index INTEGER NOT NULL,"
	" event_id TEXT NOT NULL,"
	" origin_ts INTEGER NOT NULL,"
	" PRIMARY KEY (room_id, session_id, message_index)) WITHOUT ROWID;"
	"CREATE TABLE undecryptable ("
	" event_id TEXT PRIMARY KEY,"
	" room_id TEXT NOT NULL,"
	" session_id TEXT,"
	" reason INTEGER NOT NULL,"
	" since_ts INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX undecryptable_session ON undecryptable"
	" (room_id, session_id);"
	"CREATE TABLE megolm_out ("
	" room_id TEXT PRIMARY KEY,"
	" session_id TEXT NOT NULL,"
	" pickle TEXT NOT NULL,"
	" created_ts INTEGER NOT NULL,"
	" msg_count INTEGER NOT NULL DEFAULT 0,"
	" shared_history INTEGER NOT NULL DEFAULT 0,"
	" members_hash TEXT) WITHOUT ROWID;"
	"CREATE TABLE megolm_out_shared ("
	" session_id TEXT NOT NULL,"
	" user_id TEXT NOT NULL,"
	" device_id TEXT NOT NULL,"
	" first_index INTEGER NOT NULL,"
	" withheld_code TEXT,"
	" PRIMARY KEY (session_id, user_id, device_id)) WITHOUT ROWID;"
	"CREATE TABLE tracked_users ("
	" user_id TEXT PRIMARY KEY,"
	" outdated INTEGER NOT NULL DEFAULT 1,"
	" changed_seq INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE TABLE devices ("
	" user_id TEXT NOT NULL,"
	" device_id TEXT NOT NULL,"
	" ed25519 TEXT NOT NULL,"
	" curve25519 TEXT NOT NULL,"
	" keys_json TEXT NOT NULL,"
	" display_name TEXT,"
	" deleted INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (user_id, device_id)) WITHOUT ROWID;"
	"CREATE INDEX devices_curve ON devices (curve25519);"
	"CREATE INDEX members_user ON members (user_id);"
	"CREATE TABLE device_warnings ("
	" user_id TEXT NOT NULL,"
	" device_id TEXT NOT NULL,"
	" reason TEXT NOT NULL,"
	" ts INTEGER NOT NULL,"
	" PRIMARY KEY (user_id, device_id, reason)) WITHOUT ROWID;"
	"CREATE TABLE to_device_out ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" txn_id TEXT NOT NULL UNIQUE,"
	" type TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" purpose TEXT,"
	" created_ts INTEGER NOT NULL);";

/*
 * v8: the trust of issue #16 (E2EE.md Steps 7-13).  cross_signing_keys
 * holds each tracked user's published master, self-signing and
 * user-signing keys (the public key and the signed JSON as /keys/query
 * gave it); tracked_users pins the first master key seen (TOFU) and
 * flags a change until the user acknowledges it; devices learn whether
 * their owner's self-signing key signed them and whether we verified
 * them ourselves.  secrets keeps what secret storage, verification or
 * the user gave us (cross-signing seeds, the backup key), each
 * encrypted with AES-256-GCM under a key derived from the pickle key,
 * never in clear.  key_backup is the server-side backup this device
 * uses, and megolm_in remembers which backup version holds a session.
 * A kept to-device event notes when it came (to_device.received_ts), so
 * that one from a device no device list ever shows is dropped in time.
 */
static const char schema_v8[] =
	"CREATE TABLE cross_signing_keys ("
	" user_id TEXT NOT NULL,"
	" usage TEXT NOT NULL CHECK (usage IN ('master', 'self_signing',"
	"  'user_signing')),"
	" public_key TEXT NOT NULL,"
	" json TEXT NOT NULL,"
	" PRIMARY KEY (user_id, usage)) WITHOUT ROWID;"
	"ALTER TABLE tracked_users ADD COLUMN msk_pinned TEXT;"
	"ALTER TABLE tracked_users ADD COLUMN msk_changed INTEGER NOT NULL"
	" DEFAULT 0;"
	"ALTER TABLE tracked_users ADD COLUMN msk_verified INTEGER NOT NULL"
	" DEFAULT 0;"
	"ALTER TABLE devices ADD COLUMN cross_signed INTEGER NOT NULL"
	" DEFAULT 0;"
	"ALTER TABLE devices ADD COLUMN local_trust INTEGER NOT NULL"
	" DEFAULT 0;"
	"CREATE TABLE secrets ("
	" name TEXT PRIMARY KEY,"
	" sealed TEXT NOT NULL,"
	" verified INTEGER NOT NULL DEFAULT 0,"
	" updated_ts INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE key_backup ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" version TEXT NOT NULL,"
	" algorithm TEXT NOT NULL,"
	" auth_data TEXT NOT NULL,"
	" trusted INTEGER NOT NULL DEFAULT 0,"
	" updated_ts INTEGER NOT NULL);"
	"ALTER TABLE megolm_in ADD COLUMN backed_up_version TEXT;"
	"ALTER TABLE to_device ADD COLUMN received_ts INTEGER NOT NULL"
	" DEFAULT 0;"
	"CREATE TABLE secret_requests ("
	" request_id TEXT PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" device_id TEXT NOT NULL,"
	" created_ts INTEGER NOT NULL) WITHOUT ROWID;";

/*
 * v9: a user's pinned master key (TOFU), its change flag and whether our
 * user-signing key vouches for it move from tracked_users to msk_pins,
 * so a pin outlives the user leaving our encrypted rooms (untracked)
 * and a master key swapped while they were away is still caught.  A
 * timeline event that came encrypted keeps its Megolm session id
 * (events.e2e_session), so the lock beside it can tell whose device
 * that session came from and how far it is trusted.
 */
static const char schema_v9[] =
	"CREATE TABLE msk_pins ("
	" user_id TEXT PRIMARY KEY,"
	" msk TEXT NOT NULL,"
	" changed INTEGER NOT NULL DEFAULT 0,"
	" verified INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"INSERT INTO msk_pins (user_id, msk, changed, verified)"
	" SELECT user_id, msk_pinned, msk_changed, msk_verified"
	" FROM tracked_users WHERE msk_pinned IS NOT NULL;"
	"ALTER TABLE tracked_users DROP COLUMN msk_pinned;"
	"ALTER TABLE tracked_users DROP COLUMN msk_changed;"
	"ALTER TABLE tracked_users DROP COLUMN msk_verified;"
	"ALTER TABLE events ADD COLUMN e2e_session TEXT;";

/*
 * v10: room key requests (E2EE.md Step 11).  key_requests holds ours:
 * one per (room, session) ever asked, the request_id every retry and
 * the cancellation reuse, the devices asked (a JSON array of our own
 * device ids: a forward is accepted only from one of them, also after
 * a restart), and its state: 'sent' while we wait, 'done' once the key
 * came (from anywhere) and the cancellation is queued.  key_requests_in
 * holds those other devices made of us, kept by crypto-in.c in the
 * /sync transaction and answered (or refused) after its commit by
 * net-keyreq.c; a request_cancellation removes one.
 */
static const char schema_v10[] =
	"CREATE TABLE key_requests ("
	" request_id TEXT PRIMARY KEY,"
	" room_id TEXT NOT NULL,"
	" session_id TEXT NOT NULL,"
	" sender_key TEXT NOT NULL,"
	" devices TEXT NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'sent' CHECK (state IN ('sent',"
	"  'done')),"
	" created_ts INTEGER NOT NULL,"
	" UNIQUE (room_id, session_id)) WITHOUT ROWID;"
	"CREATE TABLE key_requests_in ("
	" user_id TEXT NOT NULL,"
	" device_id TEXT NOT NULL,"
	" request_id TEXT NOT NULL,"
	" room_id TEXT NOT NULL,"
	" session_id TEXT NOT NULL,"
	" received_ts INTEGER NOT NULL,"
	" PRIMARY KEY (user_id, device_id, request_id)) WITHOUT ROWID;";

/*
 * v11: an attachment sent through the outbox (/upload, issue #17).  Its
 * row carries the upload before the event: upload is NULL for any other
 * row, else 'waiting' (the file copied, or sealed for an encrypted
 * room, into the spool file upload_path), 'uploading' (a POST of it is
 * out) or 'uploaded' (upload_mxc holds the answer and content already
 * carries it as url, or file.url).  upload_type is the Content-Type the
 * POST sends (application/octet-stream for a sealed file), upload_name
 * the filename it gives, upload_size the spool file's size and
 * upload_file the `file` object of an encrypted room's attachment
 * without its url (key, iv, hash).  The row's state moves as any send
 * once uploaded; the spool file goes once the event is sent or the row
 * discarded.
 */
static const char schema_v11[] =
	"ALTER TABLE outbox ADD COLUMN upload TEXT CHECK (upload IN"
	" ('waiting', 'uploading', 'uploaded'));"
	"ALTER TABLE outbox ADD COLUMN upload_path TEXT;"
	"ALTER TABLE outbox ADD COLUMN upload_type TEXT;"
	"ALTER TABLE outbox ADD COLUMN upload_name TEXT;"
	"ALTER TABLE outbox ADD COLUMN upload_size INTEGER;"
	"ALTER TABLE outbox ADD COLUMN upload_file TEXT;"
	"ALTER TABLE outbox ADD COLUMN upload_mxc TEXT;";

/* migrations[n] takes a database from version n to n + 1. */
static const char *migrations[] = {
	schema_v1,
	schema_v2,
	schema_v3,
	schema_v4,
	schema_v5,
	schema_v6,
	schema_v7,
	schema_v8,
	schema_v9,
	schema_v10,
	schema_v11
};

_Static_assert(nitems(migrations) == STORE_SCHEMA_VERSION,
    "one migration per schema version");

int
store_schema_version(struct store *s, int *version, struct haos_error *err)
{
	static const char	*sql = "PRAGMA user_version";
	sqlite3_stmt		*st;
	int			 rc;

	store_check(s);
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return store_fail(s, err, "user_version");
	return 0;
}

/*
 * Bring the schema to STORE_SCHEMA_VERSION in one transaction, falling
 * through the migrations from the file's version (0 for a new file).
 */
int
store_schema_migrate(struct store *s, struct haos_error *err)
{
	char	*sql;
	int	 v, rc;

	if (store_schema_version(s, &v, err) == -1)
		return -1;
	if (v == STORE_SCHEMA_VERSION)
		return 0;
	if (v > STORE_SCHEMA_VERSION) {
		haos_error_set(err, HAOS_ESTORE, "%s: schema version %d is "
		    "newer than this haos (%d)", s->path, v,
		    STORE_SCHEMA_VERSION);
		return -1;
	}
	if (store_begin(s, err) == -1)
		return -1;
	for (; v < STORE_SCHEMA_VERSION; v++) {
		if (store_exec(s, migrations[v], err) == -1)
			goto fail;
	}
	sql = xasprintf("PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
	rc = store_exec(s, sql, err);
	free(sql);
	if (rc == -1)
		goto fail;
	return store_commit(s, err);

fail:
	store_rollback(s);
	return -1;
}

/* A read-only store cannot migrate: require the current version. */
int
store_schema_check(struct store *s, struct haos_error *err)
{
	int	 v;

	if (store_schema_version(s, &v, err) == -1)
		return -1;
	if (v != STORE_SCHEMA_VERSION) {
		haos_error_set(err, HAOS_ESTORE, "%s: schema version %d, "
		    "expected %d", s->path, v, STORE_SCHEMA_VERSION);
		return -1;
	}
	return 0;
}

/*
 * Compare this store's schema with the database at other, as libcmatrix
 * does with ATTACH: tables by their columns (ALTER TABLE rewrites the SQL
 * text), everything else by its SQL.  Returns 0 if they match, 1 with a
 * description in *diff if not, -1 on error.
 */
int
store_schema_compare(struct store *s, const char *other, char **diff,
    struct haos_error *err)
{
	static const char	*cols =
	    "SELECT m.name, p.cid, p.name, p.type, p.\"notnull\","
	    " p.dflt_value, p.pk FROM main.sqlite_master m,"
	    " pragma_table_info(m.name, 'main') p WHERE m.type = 'table' "
	    "EXCEPT SELECT m.name, p.cid, p.name, p.type, p.\"notnull\","
	    " p.dflt_value, p.pk FROM other.sqlite_master m,"
	    " pragma_table_info(m.name, 'other') p WHERE m.type = 'table'";
	static const char	*cols_r =
	    "SELECT m.name, p.cid, p.name, p.type, p.\"notnull\","
	    " p.dflt_value, p.pk FROM other.sqlite_master m,"
	    " pragma_table_info(m.name, 'other') p WHERE m.type = 'table' "
	    "EXCEPT SELECT m.name, p.cid, p.name, p.type, p.\"notnull\","
	    " p.dflt_value, p.pk FROM main.sqlite_master m,"
	    " pragma_table_info(m.name, 'main') p WHERE m.type = 'table'";
	static const char	*objs =
	    "SELECT type, name, tbl_name, coalesce(sql, '') FROM "
	    "main.sqlite_master WHERE type != 'table' EXCEPT "
	    "SELECT type, name, tbl_name, coalesce(sql, '') FROM "
	    "other.sqlite_master WHERE type != 'table'";
	static const char	*objs_r =
	    "SELECT type, name, tbl_name, coalesce(sql, '') FROM "
	    "other.sqlite_master WHERE type != 'table' EXCEPT "
	    "SELECT type, name, tbl_name, coalesce(sql, '') FROM "
	    "main.sqlite_master WHERE type != 'table'";
	static const char	*tabs =
	    "SELECT name FROM main.sqlite_master WHERE type = 'table' "
	    "EXCEPT SELECT name FROM other.sqlite_master WHERE type = 'table'";
	static const char	*tabs_r =
	    "SELECT name FROM other.sqlite_master WHERE type = 'table' "
	    "EXCEPT SELECT name FROM main.sqlite_master WHERE type = 'table'";
	const char		*queries[] = { tabs, tabs_r, cols, cols_r, objs,
				    objs_r };
	const char		*side[] = { "only here", "only there",
				    "column here", "column there",
				    "object here", "object there" };
	sqlite3_stmt		*st;
	char			*att, *line, *acc = NULL, *t;
	unsigned int		 q;
	int			 i, n, rc, ret = -1;

	store_check(s);
	*diff = NULL;
	att = sqlite3_mprintf("ATTACH DATABASE %Q AS other", other);
	rc = store_exec(s, att, err);
	sqlite3_free(att);
	if (rc == -1)
		return -1;
	for (q = 0; q < nitems(queries); q++) {
		if (sqlite3_prepare_v2(s->db, queries[q], -1, &st, NULL) !=
		    SQLITE_OK) {
			store_fail(s, err, "compare schema");
			goto out;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			n = sqlite3_column_count(st);
			line = xstrdup(side[q]);
			for (i = 0; i < n; i++) {
				t = xasprintf("%s|%s", line,
				    sqlite3_column_text(st, i) != NULL ?
				    (const char *)sqlite3_column_text(st, i) :
				    "NULL");
				free(line);
				line = t;
			}
			t = xasprintf("%s%s\n", acc != NULL ? acc : "", line);
			free(acc);
			free(line);
			acc = t;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			store_fail(s, err, "compare schema");
			goto out;
		}
	}
	*diff = acc;
	acc = NULL;
	ret = *diff != NULL;
out:
	free(acc);
	if (store_exec(s, "DETACH DATABASE other", ret == -1 ? NULL : err) ==
	    -1 && ret != -1) {
		xfree(*diff);
		ret = -1;
	}
	return ret;
}

/*
 * Create the database at path from an SQL script, without migrating it
 * (test fixtures of earlier schema versions).
 */
int
store_load_sql(const char *path, const char *sql, struct haos_error *err)
{
	sqlite3	*db = NULL;
	char	*msg = NULL;
	int	 ret = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		haos_error_set(err, HAOS_ESTORE, "%s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		haos_error_set(err, HAOS_ESTORE, "%s: %s", path,
		    msg != NULL ? msg : sqlite3_errmsg(db));
		goto out;
	}
	ret = 0;
out:
	sqlite3_free(msg);
	sqlite3_close(db);
	return ret;
}
