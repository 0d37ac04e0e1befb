/* The SQLite cache: open, transactions, ingest writes and UI queries. */
#ifndef HAOS_STORE_H
#define HAOS_STORE_H

#include "haos/haos.h"
#include "haos/model.h"

#include <stddef.h>
#include <stdint.h>

#define STORE_RO		0	/* UI thread: SQLITE_OPEN_READONLY */
#define STORE_RW		1	/* net thread: the only writer */

#define STORE_SCHEMA_VERSION	11	/* PRAGMA user_version */
#define STORE_LATEST		INT64_MAX /* timeline anchor: the live end */

struct store;

/*
 * A to-device event kept from /sync (store-to-device.c): its JSON text
 * as the server sent it, with type and sender for filtering.
 */
struct to_device_row {
	int64_t		 id;		/* increasing in /sync order */
	char		*type;
	char		*sender;	/* NULL if the event had none */
	char		*event;		/* the whole event, compact JSON */
	int64_t		 received_ts;	/* ms, when /sync brought it */
};

/*
 * Opening and transactions (store.c).  Every function asserts that it runs
 * on the thread that opened the store.  Writes happen only between
 * store_begin() (BEGIN IMMEDIATE) and store_commit(); any SQLite error
 * is returned in err with HAOS_ESTORE and the caller rolls back.
 */
struct store	*store_open(const char *path, int mode, struct haos_error *);
void		 store_close(struct store *);
int		 store_mode(const struct store *);
int		 store_begin(struct store *, struct haos_error *);
int		 store_commit(struct store *, struct haos_error *);
/*
 * The RW connection does not checkpoint inside store_commit(): the
 * writer calls this when it is idle (the net thread, after the UI has
 * been told about the commit), and it copies the WAL into the database
 * when it holds at least min_frames pages (PASSIVE: readers never wait).
 */
int		 store_checkpoint(struct store *, int min_frames,
		     struct haos_error *);
void		 store_rollback(struct store *);
int		 store_in_txn(const struct store *);
/*
 * Calls of the read API on this store (store_query_*, store_changed_rooms,
 * store_change_seq): one per call, however many statements it runs.
 */
unsigned long	 store_query_calls(const struct store *);

/* Schema (store-schema.c). */
int		 store_schema_version(struct store *, int *,
		     struct haos_error *);
int		 store_schema_compare(struct store *, const char *other,
		     char **diff, struct haos_error *);
int		 store_load_sql(const char *path, const char *sql,
		     struct haos_error *);

/* Which columns of a rooms row store_room_patch() writes. */
enum store_room_field {
	STORE_ROOM_NAME		= 1u << 0,
	STORE_ROOM_TOPIC	= 1u << 1,
	STORE_ROOM_AVATAR	= 1u << 2,
	STORE_ROOM_ALIAS	= 1u << 3,
	STORE_ROOM_TYPE		= 1u << 4,
	STORE_ROOM_ENCRYPTED	= 1u << 5,
	STORE_ROOM_PARENT	= 1u << 6,
	STORE_ROOM_CHANNEL	= 1u << 7,
	STORE_ROOM_JOIN		= 1u << 8,
	STORE_ROOM_DIRECT	= 1u << 9,
	STORE_ROOM_COUNTS	= 1u << 10,	/* unread, highlight */
	STORE_ROOM_SUMMARY	= 1u << 11,	/* member counts, heroes */
	STORE_ROOM_LAST_TS	= 1u << 12	/* raised, never lowered */
};

/* A change to one rooms row; strings are borrowed for the call. */
struct store_room_patch {
	unsigned int		 set;		/* STORE_ROOM_* */
	const char		*name;
	const char		*topic;
	const char		*avatar_url;
	const char		*canonical_alias;
	const char		*room_type;
	const char		*parent_id;
	const char		*heroes;	/* JSON array text */
	int			 encrypted;
	int			 is_direct;
	enum channel_type	 channel;
	enum room_join		 join;
	int64_t			 unread;
	int64_t			 highlight;
	int64_t			 joined_count;
	int64_t			 invited_count;
	int64_t			 last_ts;
};

/* A timeline event to insert; strings are borrowed for the call. */
struct store_event {
	const char	*event_id;
	const char	*sender;
	const char	*type;
	const char	*state_key;
	const char	*content;	/* compact JSON text */
	size_t		 content_len;
	const char	*rel_type;
	const char	*relates_to;
	const char	*rel_key;	/* m.annotation key */
	const char	*redacts;	/* m.room.redaction target */
	const char	*redacted_by;
	const char	*txn_id;
	int64_t		 ordinal;
	int64_t		 ts;
	int		 redacted;
	int		 e2e;		/* enum e2e_state */
	const char	*e2e_session;	/* Megolm session id if it came so */
};

/*
 * Ingest writes (store-room.c, store-timeline.c, store-kv.c), RW and
 * inside a transaction.  Rooms are addressed by the integer key
 * store_room_key() returns.
 */
int64_t	store_room_key(struct store *, const char *room_id, int *,
	    struct haos_error *);
int	store_room_patch(struct store *, int64_t,
	    const struct store_room_patch *, struct haos_error *);
int	store_rooms_clear_direct(struct store *, struct haos_error *);
int	store_room_set_direct(struct store *, const char *room_id,
	    const char *user_id, struct haos_error *);
int	store_event_insert(struct store *, int64_t,
	    const struct store_event *, struct haos_error *);
int	store_event_lookup(struct store *, const char *event_id,
	    int64_t *room, char **type, char **content, int *redacted,
	    struct haos_error *);
int	store_event_redact(struct store *, const char *event_id,
	    const char *redacted_by, const char *content,
	    struct haos_error *);
int	store_event_redaction_of(struct store *, const char *event_id,
	    char **redaction_id, struct haos_error *);
int	store_timeline_max(struct store *, int64_t, int64_t *, int *,
	    struct haos_error *);
int	store_timeline_floor(struct store *, int64_t, int64_t, int64_t *,
	    int *, struct haos_error *);
int	store_timeline_shift(struct store *, int64_t, int64_t, int64_t,
	    struct haos_error *);
int64_t	store_gap_add(struct store *, int64_t, int64_t, const char *,
	    struct haos_error *);
int	store_gap_get(struct store *, int64_t, int64_t *, int64_t *,
	    char **, struct haos_error *);
int	store_gap_delete(struct store *, int64_t, struct haos_error *);
int	store_gaps_delete_below(struct store *, int64_t, int64_t,
	    struct haos_error *);
int	store_gap_exists(struct store *, int64_t, const char *,
	    struct haos_error *);

/* The timelines a first start fills in the background (store-fill.c). */
int	store_fill_mark(struct store *, struct haos_error *);
int	store_fill_plan(struct store *, int64_t *planned,
	    struct haos_error *);
int	store_fill_done(struct store *, const char *room_id,
	    struct haos_error *);
int	store_fill_left(struct store *, int64_t *, struct haos_error *);
int	store_fill_pending(struct store *, const char *room_id, int *,
	    struct haos_error *);
int	store_fill_next(struct store *, size_t max, char *const *skip,
	    size_t nskip, char ***ids, size_t *n, int64_t *left,
	    struct haos_error *);
int	store_state_find(struct store *, int64_t, const char *event_id,
	    char **type, char **state_key, char **content,
	    struct haos_error *);
int	store_state_redact(struct store *, int64_t, const char *event_id,
	    const char *content, struct haos_error *);
int	store_state_set(struct store *, int64_t, const char *type,
	    const char *state_key, const char *event_id, const char *sender,
	    const char *content, struct haos_error *);
int	store_state_get(struct store *, int64_t, const char *type,
	    const char *state_key, char **content, struct haos_error *);
int	store_space_child_set(struct store *, int64_t, const char *child_id,
	    const char *order, int suggested, int present,
	    struct haos_error *);
int	store_member_set(struct store *, int64_t, const char *user_id,
	    const char *displayname, const char *avatar_url,
	    const char *membership, int64_t power_level, struct haos_error *);
int	store_members_power_default(struct store *, int64_t, int64_t,
	    struct haos_error *);
int	store_member_power(struct store *, int64_t, const char *user_id,
	    int64_t, struct haos_error *);
int	store_account_data_set(struct store *, int64_t, const char *type,
	    const char *content, struct haos_error *);
int	store_receipt_set(struct store *, int64_t, const char *rtype,
	    const char *user_id, const char *event_id, int64_t ts,
	    struct haos_error *);
int	store_typing_set(struct store *, int64_t, const char *user_ids,
	    struct haos_error *);
int	store_kv_set(struct store *, const char *key, const char *value,
	    struct haos_error *);
int	store_sync_token_set(struct store *, const char *,
	    struct haos_error *);

/*
 * The Olm account (store-olm.c): its pickle, encrypted with the pickle
 * key (crypto.h), which is never in the database.  RW connection; put
 * runs in the caller's transaction.
 */
int	store_olm_account_get(struct store *, char **, struct haos_error *);
int	store_olm_account_put(struct store *, const char *pickle,
	    struct haos_error *);
/* A new device's account: the old one's sessions go (store-olm.c). */
int	store_olm_device_reset(struct store *, struct haos_error *);
/*
 * Sealed secrets (crypto-secrets.c seals them; table secrets):
 * store_secret_get() is 1 with the sealed text, 0 if there is none.
 */
int	store_secret_put(struct store *, const char *name,
	    const char *sealed, int verified, struct haos_error *);
int	store_secret_get(struct store *, const char *name, char **sealed,
	    int *verified, struct haos_error *);
int	store_secret_delete(struct store *, const char *name,
	    struct haos_error *);

/*
 * The server-side key backup in use (store-backup.c; table key_backup,
 * megolm_in.backed_up_version).  store_backup_get() is 1 with the row,
 * 0 if there is none.  store_backup_pending() lists up to max inbound
 * sessions not held by backup version; store_backup_waiting() up to max
 * sessions that events wait for (table undecryptable), most recent
 * first.
 */
struct store_backup {
	char		*version;
	char		*algorithm;
	char		*auth_data;	/* JSON text */
	int		 trusted;
};
struct store_backup_pair {
	char		*room_id;
	char		*session_id;
};
int	store_backup_get(struct store *, struct store_backup *,
	    struct haos_error *);
int	store_backup_put(struct store *, const char *version,
	    const char *algorithm, const char *auth_data, int trusted,
	    struct haos_error *);
int	store_backup_clear(struct store *, struct haos_error *);
void	store_backup_free(struct store_backup *);
int	store_backup_pending(struct store *, const char *version, size_t max,
	    struct store_backup_pair **, size_t *, struct haos_error *);
int	store_backup_waiting(struct store *, size_t max,
	    struct store_backup_pair **, size_t *, struct haos_error *);
void	store_backup_pairs_free(struct store_backup_pair *, size_t);
int	store_backup_mark(struct store *, const char *room_id,
	    const char *session_id, const char *version, struct haos_error *);

/*
 * Device lists (store-devices.c), E2EE.md Step 4.  tracked_users: whose
 * devices we keep current (members of joined encrypted rooms, invited
 * ones as the history visibility allows, and ourselves), each outdated
 * until a /keys/query answer is stored, with a changed_seq that moves at
 * every mark (an answer counts only if it did not move while it was
 * out).  devices: checked and pinned keys, never removed (deleted = 1
 * once gone from the server).  device_warnings: devices the server gave
 * that were refused (a changed key, a key of another device).  Writes
 * are RW, in the caller's transaction.
 */
struct device_row {
	char		*user_id;
	char		*device_id;
	char		*ed25519;	/* unpadded base64 */
	char		*curve25519;
	char		*display_name;	/* raw from the server, or NULL:
					   sanitise before showing */
	int		 deleted;	/* gone from the server */
};

struct device_warning {
	char		*user_id;
	char		*device_id;
	char		*reason;	/* "keys_changed", "key_reused",
					   "device_id_is_cross_signing_key",
					   "master_key_changed" (device_id:
					   the new master key) */
	int64_t		 ts;		/* ms, last time seen */
};

int	store_tracked_self(struct store *, const char *user_id,
	    struct haos_error *);
int	store_tracked_refresh(struct store *, int64_t room,
	    const char *user_id, struct haos_error *);
int	store_tracked_changed(struct store *, const char *user_id,
	    struct haos_error *);
int	store_tracked_left(struct store *, const char *user_id,
	    struct haos_error *);
int	store_tracked_want(struct store *, const char *user_id,
	    struct haos_error *);
int	store_tracked_all_outdated(struct store *, struct haos_error *);
int	store_tracked_outdated(struct store *, size_t max, char ***users,
	    int64_t **seqs, size_t *, struct haos_error *);
void	store_tracked_free(char **, int64_t *, size_t);
int	store_tracked_check(struct store *, const char *user_id,
	    int64_t seq, struct haos_error *);
int	store_tracked_current(struct store *, const char *user_id,
	    struct haos_error *);
int	store_tracked_get(struct store *, const char *user_id, int *outdated,
	    struct haos_error *);
int	store_tracked_count(struct store *, int64_t *, struct haos_error *);
int	store_device_get(struct store *, const char *user_id,
	    const char *device_id, struct device_row *, struct haos_error *);
int	store_devices_of(struct store *, const char *user_id,
	    struct device_row **, size_t *, struct haos_error *);
int	store_device_key_owner(struct store *, const char *user_id,
	    const char *device_id, const char *ed25519,
	    const char *curve25519, struct device_row *,
	    struct haos_error *);
int	store_device_put(struct store *, const char *user_id,
	    const char *device_id, const char *ed25519,
	    const char *curve25519, const char *keys_json,
	    const char *display_name, struct haos_error *);
int	store_device_delete(struct store *, const char *user_id,
	    const char *device_id, struct haos_error *);
int	store_device_warn(struct store *, const char *user_id,
	    const char *device_id, const char *reason, struct haos_error *);
int	store_device_warn_clear(struct store *, const char *user_id,
	    const char *reason, struct haos_error *);
int	store_device_warnings(struct store *, const char *user_id,
	    struct device_warning **, size_t *, struct haos_error *);
/*
 * For the sender (either connection): store_devices_current() sets
 * *current to 1 when every member of room_id to track is tracked and
 * not outdated (members the store does not know are not seen: with lazy
 * loading, check ingest_members_complete() too); store_devices_room()
 * lists the devices, not deleted, of those members, by user and device
 * id, this device among them.
 */
int	store_devices_current(struct store *, const char *room_id,
	    int *current, struct haos_error *);
int	store_devices_room(struct store *, const char *room_id,
	    struct device_row **, size_t *, struct haos_error *);
int	store_devices_partial_rooms(struct store *, char ***room_ids,
	    size_t *, struct haos_error *);
/*
 * Verification (store-verify.c), E2EE.md Step 8: a verified device's
 * devices.local_trust set, in the caller's transaction.
 */
int	store_verify_trust(struct store *, const char *user_id,
	    const char *device_id, struct haos_error *);
void	device_row_free(struct device_row *);
void	device_rows_free(struct device_row *, size_t);
void	device_warnings_free(struct device_warning *, size_t);

/*
 * The crypto identity the net thread opened on its RW store (net-keys.c
 * sets it when the identity opens and clears it before freeing it), so
 * that ingest can decrypt; NULL when there is none (no device id, many
 * tests): encrypted events then wait for their key.  Not owned.
 */
struct crypto_keys;
void	 store_set_crypto(struct store *, struct crypto_keys *);
struct crypto_keys *store_crypto(struct store *);

/*
 * What receiving encrypted events keeps (store-crypto-in.c), RW, in the
 * caller's (the /sync) transaction.  Pickles are encrypted with the
 * pickle key; nothing here is plaintext.
 */
struct store_olm_session {
	char		*session_id;
	char		*pickle;
	char		*recent_rx;	/* digests of recent messages, or NULL */
};

struct store_megolm_in {
	char		*sender_user;
	char		*sender_curve25519;
	char		*claimed_ed25519;
	char		*pickle;
	int64_t		 first_known_index;
	int		 authenticated;
	int		 shared_history;
};

/* A peer's Olm sessions, most recently used first. */
int	store_crypto_in_olm_list(struct store *, const char *peer_curve25519,
	    struct store_olm_session **, size_t *, struct haos_error *);
void	store_crypto_in_olm_free(struct store_olm_session *, size_t);
int	store_crypto_in_olm_exists(struct store *, const char *session_id,
	    struct haos_error *);
/* Insert or update a session that just received a message. */
int	store_crypto_in_olm_put(struct store *, const char *session_id,
	    const char *peer_curve25519, const char *pickle,
	    const char *recent_rx, struct haos_error *);
/* Keep the peer's keep most recently used sessions, drop the others. */
int	store_crypto_in_olm_prune(struct store *, const char *peer_curve25519,
	    int keep, struct haos_error *);
/* The Olm channel with a peer is broken: a new session is due. */
int	store_crypto_in_wedged(struct store *, const char *peer_curve25519,
	    const char *user_id, const char *device_id, struct haos_error *);
/* The device of user_id owning curve25519: 1, 0 if unknown, -1. */
int	store_crypto_in_device(struct store *, const char *user_id,
	    const char *curve25519, char **device_id, char **ed25519,
	    struct haos_error *);
/* user_id's device list must be queried (again). */
int	store_crypto_in_outdated(struct store *, const char *user_id,
	    struct haos_error *);
int	store_crypto_in_megolm_get(struct store *, const char *room_id,
	    const char *session_id, struct store_megolm_in *,
	    struct haos_error *);
int	store_crypto_in_megolm_put(struct store *, const char *room_id,
	    const char *session_id, const struct store_megolm_in *,
	    const char *source, struct haos_error *);
void	store_crypto_in_megolm_free(struct store_megolm_in *);

/*
 * Secret storage and key files (store-secrets.c), on the net thread:
 * every inbound Megolm session (an export), the owner of a curve25519
 * device key (an import: 1, 0 if no device has it, -1), our published
 * cross-signing public key of a usage (1, 0 if none, -1).
 */
struct store_megolm_row {
	char		*room_id;
	char		*session_id;
	char		*sender_curve25519;
	char		*claimed_ed25519;
	char		*pickle;
	int64_t		 first_known_index;
};

int	store_secrets_megolm_all(struct store *, struct store_megolm_row **,
	    size_t *, struct haos_error *);
void	store_secrets_megolm_free(struct store_megolm_row *, size_t);
int	store_secrets_device_owner(struct store *, const char *curve25519,
	    char **user_id, struct haos_error *);
int	store_secrets_xsign_key(struct store *, const char *user_id,
	    const char *usage, char **public_key, struct haos_error *);
/* The event that came with a Megolm message index: 1, 0 if none, -1. */
int	store_crypto_in_seen(struct store *, const char *room_id,
	    const char *session_id, int64_t index, char **event_id,
	    struct haos_error *);
int	store_crypto_in_seen_add(struct store *, const char *room_id,
	    const char *session_id, int64_t index, const char *event_id,
	    int64_t origin_ts, struct haos_error *);
/*
 * Events waiting for a key (table undecryptable, reason an enum
 * e2e_state): set, drop, those of one session; withheld marks the
 * waiting events of a session that sender sent as E2E_WITHHELD (they
 * keep waiting: a key may still come) and returns how many.
 */
int	store_crypto_in_waiting_set(struct store *, const char *event_id,
	    const char *room_id, const char *session_id, int reason,
	    struct haos_error *);
int	store_crypto_in_waiting_drop(struct store *, const char *event_id,
	    struct haos_error *);
int	store_crypto_in_waiting_list(struct store *, const char *room_id,
	    const char *session_id, char ***event_ids, size_t *,
	    struct haos_error *);
int	store_crypto_in_withheld(struct store *, const char *room_id,
	    const char *session_id, const char *sender, struct haos_error *);
/* A stored event's wire parts, to decrypt it in place: 1, 0, -1. */
int	store_crypto_in_event_get(struct store *, const char *event_id,
	    char **sender, int64_t *ts, char **content, struct haos_error *);
/*
 * Rewrite a stored event once decrypted (or its e2e state alone, with
 * type NULL): type, content and the relation columns, which come from
 * the new content.
 */
int	store_crypto_in_event_set(struct store *, const char *event_id,
	    const struct store_event *, int e2e, struct haos_error *);

/*
 * To-device events (store-to-device.c).  Ingest keeps every to_device
 * event of a /sync response inside the transaction that writes its
 * next_batch; the crypto layer lists them (either connection) and
 * deletes what it has consumed (RW; in the caller's transaction or its
 * own).
 */
int64_t	store_to_device_add(struct store *, const char *type,
	    const char *sender, const char *event, struct haos_error *);
int	store_to_device_list(struct store *, int64_t after_id, size_t max,
	    struct to_device_row **, size_t *, struct haos_error *);
int	store_to_device_requery(struct store *, int64_t min_age_ms,
	    int64_t max_age_ms, int64_t *marked, struct haos_error *);
int	store_to_device_delete(struct store *, int64_t upto_id,
	    struct haos_error *);
/* Forget the one kept to-device event id (consumed out of order). */
int	store_to_device_remove(struct store *, int64_t id,
	    struct haos_error *);
void	store_to_device_rows_free(struct to_device_row *, size_t);

/*
 * Changed rooms (store-change.c).  Writers record each room whose
 * timeline, state, members, receipts, counts, typing, account data or
 * outbox rows they change, inside their transaction; "" stands for a
 * change that is not one room's (m.direct, presence, global account
 * data): refresh everything.  The outbox calls record their room
 * themselves.  Readers ask which rooms changed after the seq they last
 * saw, and get the seq to ask with next.
 */
int	store_room_changed(struct store *, const char *room_id,
	    struct haos_error *);
int	store_changed_rooms(struct store *, int64_t after_seq,
	    char ***room_ids, size_t *, int64_t *new_seq,
	    struct haos_error *);
void	store_changed_rooms_free(char **, size_t);
int64_t	store_change_seq(struct store *, struct haos_error *);

/*
 * The outbox (store-outbox.c), RW.  A row is the local echo of a send
 * until the server's copy arrives on /sync with the same transaction id,
 * when store_outbox_reconcile() marks it sent inside the ingest
 * transaction.  Outside a transaction each call is its own.  Every call
 * records the row's room as changed (store_room_changed()).
 */
int64_t	store_outbox_add(struct store *, const char *room_id,
	    const char *txn_id, const char *type, const char *state_key,
	    const char *content, const char *rel_target, struct haos_error *);
int	store_outbox_mark_sending(struct store *, const char *txn_id,
	    struct haos_error *);
int	store_outbox_mark_sent(struct store *, const char *txn_id,
	    const char *event_id, struct haos_error *);
int	store_outbox_mark_failed(struct store *, const char *txn_id,
	    const char *error, struct haos_error *);
int	store_outbox_delete(struct store *, const char *txn_id,
	    struct haos_error *);
/* Forget rows sent more than age_ms ago (their events are in the timeline). */
int	store_outbox_prune(struct store *, int64_t age_ms, int64_t *n,
	    struct haos_error *);
int	store_outbox_reconcile(struct store *, const char *txn_id,
	    const char *event_id, char **room_id, struct haos_error *);

/*
 * An attachment's row (store-outbox-upload.c, schema v11): queued with
 * its upload 'waiting' and its spool file; moved to 'uploading' while a
 * POST is out (back to 'waiting' when it fails); 'uploaded' with the
 * mxc:// URI and the content that carries it, in one statement.
 * store_outbox_spooled() lists the spool files of unsent rows.
 */
struct outbox_upload {
	const char	*path;		/* the spool file */
	const char	*type;		/* Content-Type of the POST */
	const char	*name;		/* its filename */
	int64_t		 size;
	const char	*file;		/* encrypted: `file` without url */
};

int64_t	store_outbox_add_upload(struct store *, const char *room_id,
	    const char *txn_id, const char *content,
	    const struct outbox_upload *, struct haos_error *);
int	store_outbox_upload_state(struct store *, const char *txn_id,
	    const char *upload, struct haos_error *);
int	store_outbox_upload_sealed(struct store *, const char *txn_id,
	    const struct outbox_upload *, struct haos_error *);
int	store_outbox_uploaded(struct store *, const char *txn_id,
	    const char *mxc, const char *content, struct haos_error *);
int	store_outbox_spooled(struct store *, char ***paths, size_t *,
	    struct haos_error *);

/* Media cache index (store-kv.c), RW. */
int	store_media_put(struct store *, const char *mxc, const char *path,
	    const char *content_type, int64_t size, struct haos_error *);
/*
 * Image previews' rows ("...#thumb-..." keys) past cap bytes in all,
 * least recently used first, deleted: *paths their files to remove.
 */
int	store_media_evict(struct store *, int64_t cap, char ***paths,
	    size_t *n, struct haos_error *);

/* Which rooms store_query_rooms() lists. */
enum store_rooms {
	STORE_ROOMS_ALL = 0,	/* every room, by name */
	STORE_ROOMS_SPACES,	/* spaces (HAOS servers) */
	STORE_ROOMS_CHANNELS,	/* rooms of one space, by order then name */
	STORE_ROOMS_DIRECT,	/* rooms in m.direct */
	STORE_ROOMS_OTHER	/* neither space, channel nor direct */
};

/*
 * Read queries (store-query.c, store-query-timeline.c), on either
 * connection; each call counts once in store_query_calls().  Lists are
 * arrays the caller frees with the matching *_rows_free(); a getter of
 * one value returns 0 and sets *out to NULL when there is none, -1 on
 * error.
 */
int	store_query_rooms(struct store *, enum store_rooms,
	    const char *space_id, struct room_row **, size_t *,
	    struct haos_error *);
int	store_query_room(struct store *, const char *room_id,
	    struct room_row *, struct haos_error *);
int	store_query_timeline(struct store *, const char *room_id,
	    int64_t anchor, size_t before, size_t after, const char *me,
	    struct event_row **, size_t *, struct haos_error *);
int	store_query_event(struct store *, const char *event_id,
	    struct event_row *, struct haos_error *);
int	store_query_thread(struct store *, const char *room_id,
	    const char *root_id, const char *me, struct event_row **,
	    size_t *, struct haos_error *);
int	store_query_my_reaction(struct store *, const char *room_id,
	    const char *target_id, const char *key, const char *me,
	    char **event_id, struct haos_error *);
int	store_query_members(struct store *, const char *room_id,
	    struct member_row **, size_t *, struct haos_error *);
/*
 * People of every room (joined or invited) whose display name is name,
 * or whose user id's localpart is, case aside; one row per user id.
 */
int	store_query_users_named(struct store *, const char *name,
	    struct member_row **, size_t *, struct haos_error *);
int	store_query_gaps(struct store *, const char *room_id,
	    struct gap_row **, size_t *, struct haos_error *);
int	store_query_outbox(struct store *, enum outbox_state,
	    struct outbox_row **, size_t *, struct haos_error *);
int	store_query_account_data(struct store *, const char *room_id,
	    const char *type, char **, struct haos_error *);
int	store_query_invite_space(struct store *, const char *room_id,
	    char **, struct haos_error *);
int	store_query_state(struct store *, const char *room_id,
	    const char *type, const char *state_key, char **,
	    struct haos_error *);
int	store_query_state_sender(struct store *, const char *room_id,
	    const char *type, const char *state_key, char **,
	    struct haos_error *);
int	store_query_state_all(struct store *, const char *room_id,
	    const char *type, struct state_row **, size_t *,
	    struct haos_error *);
int	store_query_new_children(struct store *, struct state_row **,
	    size_t *, struct haos_error *);
int	store_query_left_children(struct store *, struct state_row **,
	    size_t *, struct haos_error *);
int	store_query_receipt(struct store *, const char *room_id,
	    const char *rtype, const char *user_id, char **,
	    struct haos_error *);
int	store_query_receipts(struct store *, const char *room_id,
	    const char *rtype, char ***users, char ***events, size_t *,
	    struct haos_error *);
int	store_query_typing(struct store *, const char *room_id, char **,
	    struct haos_error *);
int	store_query_kv(struct store *, const char *key, char **,
	    struct haos_error *);
int	store_query_sync_token(struct store *, char **, struct haos_error *);
int	store_query_media(struct store *, const char *mxc, char **,
	    struct haos_error *);
/* Every row of every table as sorted text (tests); caller frees *out. */
int	store_query_dump(struct store *, char **out, struct haos_error *);
int	store_query_count(struct store *, const char *table, int64_t *,
	    struct haos_error *);

#endif
