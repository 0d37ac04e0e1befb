/* Plain data rows shared by the store and the UI: no SQLite, no curses. */
#ifndef HAOS_MODEL_H
#define HAOS_MODEL_H

#include "haos/haos.h"

#include <stddef.h>
#include <stdint.h>

/* Our membership of a room, as the /sync section it came from. */
enum room_join {
	ROOM_JOIN = 0,
	ROOM_INVITE,
	ROOM_LEAVE
};

/* io.haos.channel content "type"; CHANNEL_NONE for plain rooms. */
enum channel_type {
	CHANNEL_NONE = 0,
	CHANNEL_TEXT,
	CHANNEL_AUDIO,
	CHANNEL_VIDEO
};

/* Outbox row state; also the local echo state of an event_row. */
enum outbox_state {
	OUTBOX_NONE = 0,	/* not an echo: a real event from the server */
	OUTBOX_PENDING,
	OUTBOX_SENDING,
	OUTBOX_SENT,
	OUTBOX_FAILED
};

/* What decryption made of a timeline event (the store's events.e2e). */
enum e2e_state {
	E2E_NONE = 0,		/* never encrypted */
	E2E_DECRYPTED,		/* type and content are the plaintext's */
	E2E_WAITING,		/* no key for its session yet */
	E2E_UNKNOWN_INDEX,	/* the key we hold starts after it */
	E2E_REPLAY,		/* its message index came with another event */
	E2E_BAD_SENDER,		/* key and event disagree on sender or room */
	E2E_BAD,		/* corrupt, wrong MAC, unknown algorithm */
	E2E_WITHHELD		/* the sender withheld the key */
};

/*
 * How far a decrypted event's sender can be trusted (the per-message
 * lock, Element's shields), from its Megolm session (megolm_in), the
 * sender's device owning the session's curve25519 key (devices) and
 * their identity (msk_pins, cross_signing_keys).  E2E_TRUST_NONE when
 * the event was not decrypted or its session is not known.
 */
enum e2e_trust {
	E2E_TRUST_NONE = 0,
	E2E_TRUST_VERIFIED,	/* device signed by a verified identity,
				   or verified by us */
	E2E_TRUST_UNVERIFIED,	/* identity not verified, or none */
	E2E_TRUST_UNSIGNED,	/* not signed by its owner's identity */
	E2E_TRUST_UNKNOWN,	/* sender key not (or no longer) a device */
	E2E_TRUST_UNAUTHENTICATED, /* key from backup, file, forward */
	E2E_TRUST_CHANGED	/* the sender's identity changed */
};

/* Where a key verification (m.sas.v1, crypto-sas.h) stands. */
enum verify_state {
	VERIFY_REQUESTED = 0,	/* we asked, no answer yet */
	VERIFY_INCOMING,	/* they asked: accept or decline */
	VERIFY_READY,		/* request answered, no start yet */
	VERIFY_STARTED,		/* start sent, waiting for accept */
	VERIFY_ACCEPTED,	/* their start accepted, no key */
	VERIFY_KEY_SENT,	/* our key sent, waiting for theirs */
	VERIFY_SHOW,		/* compare the emoji: y or n */
	VERIFY_CONFIRMED,	/* our MAC sent, waiting for theirs */
	VERIFY_DONE,		/* verified */
	VERIFY_CANCELLED
};

/*
 * One verification as the UI sees it (net-verify.c's copy): the other
 * side, where it stands, the emoji indices (crypto-sas.h's table) and
 * decimal numbers once shown, the cancel code once ended.
 */
struct verify_row {
	char		*txn;
	char		*user_id;
	char		*device_id;	/* NULL until known */
	char		*room_id;	/* in-room, or NULL */
	enum verify_state state;
	int		 we_started;
	int		 has_emoji;
	int		 emoji[7];
	int		 decimal[3];
	char		*cancel_code;
	int		 cancelled_by_us;
	int		 device_verified;
	int		 msk_verified;
};
void	verify_rows_free(struct verify_row *, size_t);

/* Every string is owned by the row and may be NULL unless noted. */
struct room_row {
	char		*room_id;	/* never NULL */
	char		*name;
	char		*topic;
	char		*avatar_url;
	char		*canonical_alias;
	char		*room_type;	/* m.room.create type, "m.space" */
	int		 is_space;
	enum room_join	 join;
	int		 is_direct;	/* listed in our m.direct */
	char		*direct_user;	/* the m.direct peer */
	int		 encrypted;
	char		*parent_id;	/* space: m.space.child, else parent */
	char		*order;		/* m.space.child "order" */
	enum channel_type channel;
	int64_t		 unread;	/* notification_count */
	int64_t		 highlight;	/* highlight_count */
	int64_t		 joined_count;	/* m.joined_member_count, or -1 */
	int64_t		 last_ts;	/* newest timeline event, ms */
};

struct member_row {
	char		*user_id;	/* never NULL */
	char		*displayname;
	char		*avatar_url;
	char		*membership;	/* "join", "invite", ... */
	int64_t		 power_level;
	int		 trust;		/* MEMBER_TRUST_* (cross-signing) */
};

#define MEMBER_TRUST_NONE	0
#define MEMBER_TRUST_VERIFIED	1	/* we verified their master key */
#define MEMBER_TRUST_CHANGED	2	/* it changed: held until /trust */

/* One aggregated m.annotation key on an event. */
struct reaction_row {
	char		*key;
	int64_t		 count;		/* distinct senders */
	int		 mine;		/* the given user reacted with key */
};

struct event_row {
	char		*room_id;
	char		*event_id;	/* NULL for a local echo */
	int64_t		 ordinal;	/* position in the room's timeline */
	char		*sender;
	char		*type;
	char		*state_key;	/* NULL unless a state event */
	int64_t		 ts;		/* origin_server_ts, ms */
	char		*content;	/* JSON text, edits applied */
	char		*rel_type;	/* m.relates_to rel_type */
	char		*relates_to;	/* m.relates_to event_id */
	int		 redacted;
	char		*redacted_by;	/* the m.room.redaction event id */
	char		*txn_id;	/* ours: unsigned.transaction_id */
	enum outbox_state echo;		/* OUTBOX_NONE unless a local echo */
	int		 encrypting;	/* echo waiting for its ciphertext */
	char		*held;		/* why an echo waits ("waiting: ..."),
					   or NULL */
	enum e2e_state	 e2e;		/* E2E_NONE unless it came encrypted */
	enum e2e_trust	 trust;		/* of a decrypted event's sender */
	char		*e2e_device;	/* the sending device's id, or NULL */
	char		*edited_by;	/* newest valid m.replace, or NULL */
	int64_t		 thread_count;	/* m.thread replies to this event */
	char		*thread_last;	/* sender of the newest of them */
	struct reaction_row *reactions;
	size_t		 nreactions;
};

struct gap_row {
	int64_t		 id;
	int64_t		 ordinal;	/* older events are below it */
	char		*prev_batch;
};

/* A current state event, with its time when the timeline had it. */
struct state_row {
	char		*room_id;
	char		*type;
	char		*state_key;
	char		*sender;
	char		*content;	/* JSON text */
	int64_t		 ts;		/* origin_server_ts; 0: unknown */
};

struct outbox_row {
	int64_t		 id;
	char		*room_id;
	char		*txn_id;
	char		*type;
	char		*state_key;	/* non-NULL for a state event */
	char		*content;	/* JSON text */
	char		*rel_target;	/* event edited, redacted, reacted to */
	enum outbox_state state;
	/*
	 * Pending or sending in an encrypted room with no wire_content yet:
	 * the sender waits for device lists or the key share.
	 */
	int		 encrypting;
	char		*error;		/* last failure, for the status bar */
	int64_t		 attempts;
	int64_t		 created_ts;	/* ms */
	char		*event_id;	/* once sent */
	/*
	 * An attachment (/upload, schema v11): upload is NULL for any other
	 * row, else "waiting", "uploading" or "uploaded" (then content
	 * carries the mxc:// URI).  The spool file upload_path is sent with
	 * Content-Type upload_type and filename upload_name; upload_file is
	 * an encrypted room's `file` object without its url.
	 */
	char		*upload;
	char		*upload_path;
	char		*upload_type;
	char		*upload_name;
	int64_t		 upload_size;
	char		*upload_file;
};

void	room_row_free(struct room_row *);
void	member_row_free(struct member_row *);
void	event_row_free(struct event_row *);
void	gap_row_free(struct gap_row *);
void	outbox_row_free(struct outbox_row *);
void	state_row_free(struct state_row *);

/* Free n rows and the array itself. */
void	room_rows_free(struct room_row *, size_t);
void	member_rows_free(struct member_row *, size_t);
void	event_rows_free(struct event_row *, size_t);
void	gap_rows_free(struct gap_row *, size_t);
void	outbox_rows_free(struct outbox_row *, size_t);
void	state_rows_free(struct state_row *, size_t);

const char		*outbox_state_name(enum outbox_state);
enum outbox_state	 outbox_state_parse(const char *);

#endif
