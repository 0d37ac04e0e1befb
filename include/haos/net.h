/* The net thread: /sync long-poll, outbox sender and jobs from the UI. */
#ifndef HAOS_NET_H
#define HAOS_NET_H

#include "haos/haos.h"
#include "haos/http.h"

#include <stddef.h>
#include <stdint.h>

struct notify;
struct net;
struct verify_row;

struct net_config {
	const char	*homeserver;	/* base URL */
	const char	*access_token;
	const char	*user_id;
	const char	*device_id;
	const char	*store_path;	/* the net thread opens it STORE_RW */
	const char	*pickle_key_path; /* the device identity's key file
					   (crypto.h); NULL: no identity */
	long		 sync_timeout_ms;	/* long-poll hold, e.g. 30000 */
	long		 request_timeout_ms;	/* every other request */
	int		 timeline_limit;	/* in the sync filter */
	int		 share_keys;	/* enum crypto_out_share: who gets
					   room keys ([crypto]) */
	int		 background;	/* the client's own work: fill a first
					   start's timelines, join new channels
					   (not for haos run) */
	struct http_opts http;
	struct notify	*notify;	/* where changes are posted */
};

enum job_type {
	JOB_SEND = 1,	/* an event into the outbox, then to the server */
	JOB_RETRY,	/* a failed outbox row back to pending */
	JOB_DISCARD,	/* drop an unsent outbox row */
	JOB_BACKFILL,	/* fill a room's newest gap from /messages */
	JOB_REQUEST,	/* any C-S request; the answer is a net_result */
	JOB_TOKEN,	/* a new login: content token, state_key device */
	JOB_MEMBERS,	/* the room is open: its whole member list */
	JOB_VERIFY,	/* a key verification: method says what */
	JOB_TRUST,	/* acknowledge state_key's new master key */
	JOB_XSIGN,	/* set up cross-signing: content the password */
	JOB_SECRETS,	/* /recovery, /keys: method the operation
			   ("recovery", "recovery-passphrase",
			   "recovery-new", "keys-export", "keys-import"),
			   content what was typed (wiped with the job),
			   path a key file; the answer is a net_result */
	JOB_BACKUP,	/* /backup: event_type key (content: the key in
			   base64), status or restore; answered by tag */
	JOB_DOWNLOAD,	/* an attachment to a file (net-media.c): content
			   the event's content (JSON), path the directory;
			   the answer's body is the file's path */
	JOB_DOWNLOAD_CANCEL, /* tag: that download (0: every one) */
	JOB_UPLOAD,	/* /upload (net-upload.c): path the local file,
			   content the caption or NULL, room_id, txn_id
			   the outbox row's; answered by tag once queued
			   (or refused: too large, unreadable) */
	JOB_UPLOAD_CANCEL, /* txn_id: that row's upload stops, the row
			   fails with "cancelled" */
	JOB_THUMB	/* an image preview's file (net-thumb.c): content
			   the event's content (JSON), path the cache
			   directory, width x height the thumbnail's size;
			   the answer's body is the file's path */
};

/*
 * A job changes owner on net_submit(): the net thread frees it.  Strings
 * are owned by the job (net_job_free() frees them).
 */
struct job {
	enum job_type	 type;
	char		*room_id;
	char		*event_type;	/* JOB_SEND */
	char		*state_key;	/* JOB_SEND of a state event */
	char		*content;	/* JOB_SEND: JSON text */
	char		*rel_target;	/* JOB_SEND: edited/redacted event */
	char		*txn_id;	/* JOB_SEND (NULL: generated), RETRY */
	char		*method;	/* JOB_REQUEST: "POST", ... */
	char		*path;		/* JOB_REQUEST: escaped, from /_matrix;
					   a full http(s) URL goes elsewhere,
					   without the access token */
	uint64_t	 tag;		/* JOB_REQUEST: echoed in the result */
	size_t		 content_len;	/* JOB_REQUEST: 0: strlen(content) */
	char		*content_type;	/* JOB_REQUEST: NULL: JSON */
	int		 no_token;	/* JOB_REQUEST: no Authorization */
	char		*user_id;	/* JOB_VERIFY "request": whom */
	char		*device_id;	/* JOB_VERIFY "request": NULL: in
					   room_id, or all our devices */
	int		 width, height;	/* JOB_THUMB */
	struct job	*next;
};

/*
 * The answer to a JOB_REQUEST, queued for the UI thread with
 * NOTIFY_RESULT; like a job it changes owner when taken.
 */
struct net_result {
	uint64_t		 tag;
	int			 ok;		/* 2xx */
	struct haos_error	*err;		/* when !ok */
	char			*body;		/* response body or NULL */
	struct net_result	*next;
};

/*
 * The presence each /sync sets (its set_presence): a sync without it
 * would make an idle user online again.
 */
enum net_presence {
	NET_PRESENCE_ONLINE = 0,
	NET_PRESENCE_UNAVAILABLE,
	NET_PRESENCE_OFFLINE
};

/* Connection state for the status line. */
enum net_state {
	NET_STARTING = 0,
	NET_SYNCING,		/* initial sync under way */
	NET_CONNECTED,		/* long-polling */
	NET_OFFLINE,		/* retrying after an error */
	NET_AUTH_FAILED		/* M_UNKNOWN_TOKEN: log in again */
};

#define NET_STATUS_ERROR_MAX	160	/* bytes, NUL included */

/*
 * NET_CONNECTED is set only by a /sync answer stored since the last
 * failure.  error is the last failure of /sync or the filter upload, one
 * sanitised line, kept while NET_OFFLINE ("" otherwise).  notice is a
 * one-line report for the user (what happened to unsent messages after
 * a new login), shown once per notice_seq.
 */
struct net_status {
	enum net_state	 state;
	int64_t		 retry_at_ms;	/* CLOCK_MONOTONIC ms, when offline */
	unsigned long	 syncs;		/* completed /sync responses */
	int		 soft_logout;	/* with NET_AUTH_FAILED */
	int		 rate_limited;	/* NET_OFFLINE after a 429 */
	int		 keys_settled;	/* our keys are on the server, one-
					   time keys topped up (or no E2EE) */
	char		 error[NET_STATUS_ERROR_MAX];	/* why offline, or "" */
	char		 notice[NET_STATUS_ERROR_MAX];	/* the last notice */
	unsigned long	 notice_seq;	/* changes with each notice; 0: none */
};

/*
 * The newest download under way (net-media.c), for a progress bar:
 * bytes so far and expected (-1: unknown).  NOTIFY_STATUS when it
 * moves; active 0 once none is left.
 */
struct net_progress {
	int		 active;
	uint64_t	 tag;
	int64_t		 done;
	int64_t		 total;
};

struct net	*net_start(const struct net_config *, struct haos_error *);
void		 net_stop(struct net *);
void		 net_submit(struct net *, struct job *);
void		 net_get_status(struct net *, struct net_status *);
/*
 * Any thread: a copy of the key verifications under way or ended and
 * not dismissed (net-verify.c); NOTIFY_VERIFY says they changed.
 * JOB_VERIFY's method: "request" (user_id, device_id, room_id), or, for
 * txn_id, "accept", "match", "mismatch", "cancel" or "dismiss".
 */
int		 net_verify_rows(struct net *, struct verify_row **,
		     size_t *);
void		 net_media_progress(struct net *, struct net_progress *);
/* The upload under way (tag 0; txn its row's), for the status line. */
void		 net_upload_progress(struct net *, struct net_progress *,
		    char **txn_id);
void		 net_set_presence(struct net *, enum net_presence);
struct job	*net_job_send(const char *room_id, const char *type,
		    const char *content);
struct job	*net_job_room(enum job_type, const char *room_id,
		    const char *txn_id);
struct job	*net_job_token(const char *token, const char *device_id);
/* [crypto] share_keys_with's value (NULL: "all") as net_config.share_keys. */
int		 net_share_keys(const char *);
struct job	*net_job_backup(const char *what, const char *key_b64);
struct net_result *net_results_take(struct net *);
void		 net_result_free(struct net_result *);
void		 net_job_free(struct job *);
int64_t		 net_now_ms(void);

#endif
