/* The client API: the one way front ends reach the homeserver. */
#ifndef HAOS_CLIENT_H
#define HAOS_CLIENT_H

#include "haos/haos.h"

#include <stddef.h>
#include <stdint.h>

/*
 * A client belongs to the thread that runs commands (the UI thread, or
 * haos run's main thread).  It hands jobs to the net thread and routes
 * the answers back to completions; its store is that thread's STORE_RO
 * connection.  The command layer, the curses UI and haos run reach the
 * network only through it; nothing below it (net, ingest, store) knows
 * about it.
 */
struct client;
struct store;
struct net;
struct net_result;
struct job;
struct matrix_req;
struct verify_row;

/* What a request came to.  Exactly one result reaches each completion. */
struct client_result {
	int			 ok;		/* 2xx */
	int			 cancelled;	/* shut down before an answer */
	const struct haos_error	*err;		/* !ok: never NULL */
	const char		*body;		/* the answer's body, or NULL */
};

/*
 * A completion: fn(arg, result) runs exactly once, when the answer
 * arrives or with a cancelled result when the client shuts down (also
 * when a request is made after that).  Then free_arg(arg) runs if it is
 * set: the completion owns arg and its destructor; nobody else frees it.
 */
struct client_done {
	void	(*fn)(void *arg, const struct client_result *);
	void	*arg;
	void	(*free_arg)(void *);
};

struct client	*client_new(struct net *, struct store *ro, const char *me);
/* Cancel every pending completion (exactly once each), then free. */
void		 client_free(struct client *);
void		 client_cancel_all(struct client *);
/* Tests: jobs go to submit(arg, job) (which takes them), not to a net. */
void		 client_set_submit(struct client *,
		     void (*)(void *, struct job *), void *);
struct store	*client_store(struct client *);
const char	*client_me(struct client *);

/* The connection, for the status line. */
enum client_conn {
	CLIENT_STARTING = 0,
	CLIENT_SYNCING,		/* initial sync under way */
	CLIENT_CONNECTED,	/* long-polling */
	CLIENT_OFFLINE,		/* retrying after an error */
	CLIENT_AUTH_FAILED	/* the token was refused: log in again */
};

struct client_status {
	enum client_conn	 state;
	int64_t			 retry_at_ms;	/* client_now_ms() clock */
	unsigned long		 syncs;		/* /sync answers stored */
	int			 soft_logout;	/* with CLIENT_AUTH_FAILED */
	int			 online;	/* has a net thread at all */
	int			 rate_limited;	/* CLIENT_OFFLINE after a 429 */
	int			 keys_settled;	/* device and one-time keys up */
	char			 reason[160];	/* CLIENT_OFFLINE: why, one
						   sanitised line, or "" */
	char			 notice[160];	/* for the status line, once
						   per notice_seq */
	unsigned long		 notice_seq;	/* 0: no notice yet */
};

void		 client_get_status(struct client *, struct client_status *);
int64_t		 client_now_ms(void);

/* Answers: route one (the caller keeps res), or all the net has. */
int		 client_deliver(struct client *, const struct net_result *);
size_t		 client_dispatch(struct client *);
size_t		 client_pending(const struct client *);

/* Any request built by matrix.h's matrix_req_*(); the client takes req. */
uint64_t	 client_request(struct client *, struct matrix_req *,
		     struct client_done);

/* Messages: every outgoing event goes through the outbox from here. */
enum client_rel {
	CLIENT_REL_NONE = 0,
	CLIENT_REL_REPLY,	/* target: the event answered */
	CLIENT_REL_EDIT,	/* target: the original (mine) */
	CLIENT_REL_THREAD	/* target: the root */
};

struct client_msg {
	const char	*msgtype;	/* NULL: m.text */
	const char	*body;		/* what was typed */
	enum client_rel	 rel;
	const char	*target;
	const char	*latest;	/* THREAD: its newest event, or NULL */
	const char	*reply_to;	/* THREAD: event answered, or NULL */
	int		 plain;		/* as typed: no Markdown, no pills */
};

/*
 * Send a message into room_id: Markdown becomes formatted_body (unless
 * plain), mentions of members become m.mentions (and pills), replies
 * mention the sender answered, edits carry the new mentions and the
 * formatted_body in m.new_content.  -1 with err when the room cannot
 * take it.
 */
int		 client_send(struct client *, const char *room_id,
		     const struct client_msg *, struct haos_error *);
/* The content client_send() would queue, as JSON text (tests). */
char		*client_msg_content(struct client *, const char *room_id,
		     const struct client_msg *);
void		 client_react(struct client *, const char *room_id,
		     const char *event_id, const char *key);
void		 client_redact(struct client *, const char *room_id,
		     const char *event_id, const char *reason);
/*
 * With tracking on, the transaction ids of the messages queued since the
 * last call (the caller frees the array and its strings): haos run waits
 * for them.  Off by default, so a long session keeps no such list.
 */
void		 client_track_sent(struct client *, int on);
size_t		 client_take_sent(struct client *, char ***txn_ids);
void		 client_retry(struct client *, const char *room_id,
		     const char *txn_id);
void		 client_discard(struct client *, const char *room_id,
		     const char *txn_id);
void		 client_backfill(struct client *, const char *room_id);
uint64_t	 client_fill(struct client *, const char *room_id,
		     struct client_done);
/*
 * Secret storage and key files, run by the net thread (it holds the
 * identity): op is "recovery" or "recovery-passphrase" (secret: what
 * the user typed), "recovery-new", "keys-export" or "keys-import"
 * (secret: the passphrase, path: the file).  secret is copied and wiped
 * with the job.  done's body is one line for the user, or for
 * "recovery-new" {"recovery_key", "account_data": [{type, content}]}.
 */
uint64_t	 client_secrets(struct client *, const char *op,
		     const char *secret, const char *path,
		     struct client_done);
/*
 * The user opened room_id: its whole member list, if the cache has only
 * the lazy-loaded part (once per room until a gap cuts its timeline).
 */
void		 client_members(struct client *, const char *room_id);

/*
 * Key verification, m.sas.v1 (client-verify.c; the work is net-verify.c's):
 * ask user_id's device_id (NULL: in the DM room_id, or, for ourselves,
 * all our other devices) to verify; answer one by its transaction id
 * ("accept", "match", "mismatch", "cancel", "dismiss": cancelled if under
 * way, then forgotten); the transactions as they stand (NOTIFY_VERIFY
 * when they change), to free with verify_rows_free(); the spec's emoji
 * of an index and its English name.
 */
void		 client_verify_request(struct client *, const char *user_id,
		     const char *device_id, const char *room_id);
void		 client_verify_answer(struct client *, const char *txn,
		     const char *action);
int		 client_verify_rows(struct client *, struct verify_row **,
		     size_t *);
const char	*client_verify_emoji(int index, const char **name);

/* Presence in a room: typing and read markers (fire and forget). */
void		 client_typing(struct client *, const char *room_id,
		     int typing, int timeout_ms);
void		 client_read_markers(struct client *, const char *room_id,
		     const char *fully_read, const char *read);
/* My presence (fire and forget): "online", "unavailable", "offline". */
void		 client_presence(struct client *, const char *state);

/*
 * Log in again with a password (device_id: keep that device), then hand
 * the new token to the net thread with client_set_token().
 */
uint64_t	 client_login(struct client *, const char *user_id,
		     const char *password, const char *device_id,
		     const char *device_name, struct client_done);
void		 client_set_token(struct client *, const char *token,
		     const char *device_id);

/*
 * Cross-signing (issue #16).  client_trust() acknowledges user_id's new
 * master key (the sender held their rooms until then): the answer's body
 * is "1", or "0" if there was no change to acknowledge.
 */
uint64_t	 client_trust(struct client *, const char *user_id,
		     struct client_done);
/*
 * client_crosssign() sets up cross-signing for an account that has none
 * (the account password is its user-interactive auth; the copy handed
 * over is wiped once sent): the answer's body is the new master key.
 * An account that already has cross-signing is refused, never reset.
 */
uint64_t	 client_crosssign(struct client *, const char *password,
		     struct client_done);
/*
 * The server-side key backup (net-backup.c): what is "status" (the
 * version read again, whether we trust it), "restore" (then every key
 * of a trusted one restored) or "key" with the 32-byte backup key in
 * base64 (stored sealed, then as status).  The answer's body is JSON:
 * {"version": V or null, "trusted": bool} and, for a restore,
 * "imported", "kept", "refused", "rooms".
 */
uint64_t	 client_backup(struct client *, const char *what,
		     const char *key_b64, struct client_done);

/*
 * Attachments (net-media.c).  client_download() saves the attachment
 * of content (an m.file/m.image/m.video/m.audio event's content as
 * JSON text: `url`, or `file` in an encrypted room) in dir under a name
 * no file has; the answer's body is the file's path.  It streams on the
 * net thread; client_download_progress() gives the newest one under way
 * (0 if none; NOTIFY_STATUS when it moves), client_download_cancel()
 * stops one (its completion gets HAOS_ECANCEL, the partial file goes).
 */
struct client_progress {
	uint64_t	 tag;
	int64_t		 done;		/* bytes so far */
	int64_t		 total;		/* expected, -1: unknown */
};

uint64_t	 client_download(struct client *, const char *content,
		     const char *dir, struct client_done);
void		 client_download_cancel(struct client *, uint64_t tag);
int		 client_download_progress(struct client *,
		     struct client_progress *);

/*
 * client_upload() sends the local file path into room_id as an
 * attachment (net-upload.c): the right msgtype and info, caption as
 * the body with the name in filename (spec v1.10), encrypted in an
 * encrypted room.  done hears once the file is copied into the spool
 * and its outbox row queued (then it is never lost: uploaded and sent
 * with retries like any message), or why not (too large for the server,
 * unreadable).  client_upload_progress() gives the upload under way and
 * its row's transaction id (caller frees; NOTIFY_STATUS when it moves);
 * client_upload_cancel() stops it: the row fails with "cancelled".
 */
uint64_t	 client_upload(struct client *, const char *room_id,
		     const char *path, const char *caption,
		     struct client_done);
void		 client_upload_cancel(struct client *, const char *txn_id);
int		 client_upload_progress(struct client *,
		     struct client_progress *, char **txn_id);

/*
 * An image preview's file (net-thumb.c): for an m.image, m.sticker or
 * m.video content (JSON text), the server's thumbnail to fit w x h
 * pixels (encrypted: info.thumbnail_file, or the image itself if small),
 * fetched into dir (the cache) unless there already; the answer's body
 * is the file's path.
 */
uint64_t	 client_thumbnail(struct client *, const char *content,
		     const char *dir, int w, int h, struct client_done);

/* Rooms. */
uint64_t	 client_join(struct client *, const char *id_or_alias,
		     const char *via, struct client_done);
uint64_t	 client_leave(struct client *, const char *room_id,
		     struct client_done);

#endif
