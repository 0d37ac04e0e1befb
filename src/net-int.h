/* Internals of the net thread shared by net.c and its net-*.c parts. */
#ifndef HAOS_NET_INT_H
#define HAOS_NET_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "haos/http.h"
#include "haos/json.h"
#include "haos/net.h"

struct ingest_result;
struct outbox_row;
struct net_verify;
struct verify_row;
struct crypto_xsign_own;
struct net_gossip;
struct net_media;
struct net_upload;
struct net_thumb;

#define NET_PRUNE_EVERY_MS	(10 * 60 * 1000)	/* outbox sent rows */
#define NET_PRUNE_AGE_MS	(60 * 60 * 1000)
#define NET_BACKFILL_LIMIT	50
#define NET_FIRST_LIMIT		1	/* timeline of a sync without since */
#define NET_FILL_PARALLEL	2	/* background pages in flight */
#define NET_FILL_PAUSE_MS	5000	/* after a local failure */
#define NET_FILTER_TRIES	3	/* bad filter answers, then inline */
#define NET_CHECKPOINT_FRAMES	1000	/* WAL pages worth copying back */
#define NET_RECHECK_LIMIT	50	/* events per /messages page */
#define NET_RECHECK_PAGES	4	/* pages at most, per row */
#define NET_MEMBERS_E2EE_MS	2000	/* /members for a key share */
#define NET_RECHECK_SKEW_MS	(2 * 60 * 1000)	/* our clock vs the server's */

/*
 * Per-room sender state: one request in flight per room keeps order.  A
 * slot lives while its room has a request in flight or unsent rows; the
 * table grows as needed and idle slots are released by the pump.
 */
struct net_room {
	char		*room_id;
	int		 in_flight;
	int		 attempt;
	int64_t		 next_at;	/* monotonic ms; 0: now */
	int		 busy;		/* has unsent rows (last pump) */
};

/* A /messages request filling a room's gap (net-fill.c). */
struct net_fill {
	char		*room_id;
	int		 user;		/* asked for by the user */
	uint64_t	*tags;		/* answers owed (client_fill()) */
	size_t		 ntags;
};

/* A server we are in, and since when (net_now_ms(); 0: before start). */
struct net_space {
	char		*room_id;
	int64_t		 since;
};

/*
 * Everything below "thread-owned" belongs to the net thread alone.  The
 * UI thread touches only the job queue (under lock) and the atomics.
 */
struct net {
	struct net_config	 cfg;		/* strings copied */
	pthread_t		 thread;
	atomic_int		 quit;
	atomic_int		 state;		/* enum net_state */
	atomic_llong		 retry_at;
	atomic_ulong		 syncs;
	atomic_int		 soft_logout;
	atomic_int		 started;	/* http client exists */
	atomic_int		 rate_limited;	/* the last failure was a 429 */
	atomic_int		 presence;	/* enum net_presence, for /sync */
	atomic_int		 keys_settled;	/* one-time keys topped up from
						   fresh counts, nothing due */

	pthread_mutex_t		 lock;		/* guards jobs, results, error,
						   notice */
	char			 error[NET_STATUS_ERROR_MAX]; /* last failure */
	char			 notice[NET_STATUS_ERROR_MAX]; /* for the user */
	unsigned long		 notice_seq;	/* one more per notice */
	struct job		*jobs;		/* FIFO: head */
	struct job		**jobs_tail;
	struct net_result	*results;	/* FIFO for the UI */
	struct net_result	**results_tail;
	struct http_client	*http;		/* freed by the thread, under lock */

	/* thread-owned */
	struct store		*store;
	char			*since;
	char			*filter_id;	/* id, or inline JSON */
	int			 filter_in_flight;
	int			 filter_tries;	/* answers without filter_id */
	int			 since_resets;	/* rejected since, in a row */
	int			 sync_in_flight;
	int			 sync_attempt;
	int64_t			 sync_next_at;
	int64_t			 pruned_at;	/* net_now_ms(); 0: never */
	int			 auth_failed;
	int			 caught_up;	/* a sync stored in this run */
	struct net_fill		*fills;		/* /messages in flight */
	size_t			 nfills;
	struct net_fill		*wanted;	/* fills the user asked for */
	size_t			 nwanted;
	int64_t			 fill_left;	/* planned rooms; -1: unknown */
	int			 fill_attempt;	/* failures in a row */
	int64_t			 fill_next_at;	/* background pause */
	struct net_room		*rooms;
	int			 nrooms;
	int			 rooms_cap;
	unsigned int		 seed;
	char			**members;	/* /members in flight */
	unsigned char		*members_moved;	/* a /sync changed its room
						   since it left */
	size_t			 nmembers;
	char			*members_open;	/* the room the user has open */
	int			 members_tried;	/* asked for it since opened,
						   or since its mark went */
	int			 members_marked; /* its list was complete */
	int64_t			 members_e2ee_at; /* next ask for encryption */
	char			**recheck;	/* txn ids: see net-recheck.c */
	size_t			 nrecheck;
	int			 recheck_found;	/* decided since the last */
	int			 recheck_resent; /* notice */
	char			**chan_tried;	/* see net-channels.c */
	size_t			 nchan_tried;
	struct net_space	*chan_spaces;	/* servers joined */
	size_t			 nchan_spaces;
	int			 chan_initial;	/* no /sync stored yet */
	int			 chan_in_flight;
	int			 chan_attempt;
	int64_t			 chan_next_at;	/* backoff over */
	int64_t			 chan_wake_at;	/* check then; 0: no need */
	struct crypto_keys	*keys;		/* see net-keys.c; NULL: none */
	int			 keys_due;	/* look for keys to upload */
	int			 keys_in_flight;
	int			 keys_attempt;
	int64_t			 keys_next_at;
	int			 keys_fresh;	/* stored counts are current */
	unsigned int		 keys_gen;	/* uploads answered */
	unsigned int		 sync_keys_gen;	/* keys_gen when /sync left */
	int			 keys_epoch;	/* one more per new device */
	int			 e2ee_claim_in_flight; /* see net-e2ee.c */
	int			 e2ee_claim_attempt;
	int64_t			 e2ee_claim_next_at;
	int			 e2ee_todev_in_flight;
	int			 e2ee_todev_attempt;
	int64_t			 e2ee_todev_next_at;
	int			 dev_due;	/* see net-devices.c */
	int64_t			 dev_requery_at; /* kept events' senders */
	int64_t			 dev_requery_slow_at;
	int			 dev_in_flight;
	int			 dev_attempt;
	int64_t			 dev_next_at;
	char			**dev_users;	/* the /keys/query out */
	int64_t			*dev_seqs;	/* their changed_seq then */
	size_t			 dev_nusers;
	char			*dev_changes_from; /* /keys/changes due */
	char			*dev_members;	/* its /members asked for */
	int			 dev_members_due; /* look for such rooms */
	struct net_space	*dev_tried;	/* rooms whose members were
						   asked for, and when */
	size_t			 dev_ntried;
	struct net_verify	*verify;	/* see net-verify.c */
	struct verify_row	*verify_rows;	/* under lock: the UI's copy */
	size_t			 nverify_rows;
	struct net_gossip	*gossip;	/* see net-gossip.c */
	/* net-xsign.c: cross-signing set up by /crosssign */
	struct crypto_xsign_own	*xsign;		/* our private keys, as made
						   or loaded by /crosssign */
	struct crypto_xsign_own	*xsign_new;	/* being uploaded */
	char			*xsign_pw;	/* its password, wiped */
	uint64_t		 xsign_tag;	/* the client's request; 0:
						   none under way */
	int			 xsign_session;	/* UIA retried with a session */
	int			 xsign_held;	/* xsign_new came from secrets */
	int			 backup_due;	/* see net-backup.c: read the
						   version */
	int			 backup_wake;	/* restore or upload due? */
	int			 backup_all;	/* a full restore asked for */
	int			 backup_in_flight;
	int			 backup_attempt;
	int64_t			 backup_next_at;
	char			*backup_version_out; /* of the request out */
	char			*backup_room;	/* the session asked for */
	char			*backup_session;
	json_t			*backup_put;	/* the PUT out: marked after */
	struct net_backup_tag {
		uint64_t	 tag;
		int		 restore;
	}			*backup_tags;	/* /backup answers owed */
	size_t			 backup_ntags;
	char			**backup_tried;	/* "room\nsession" asked */
	size_t			 backup_ntried;
	int64_t			 keyreq_next_at; /* see net-keyreq.c */
	struct net_upload	*uploads;	/* net-upload.c: /upload jobs
						   waiting for the limit, and
						   the POSTs out */
	int64_t			 upload_limit;	/* m.upload.size; 0: unknown */
	int			 upload_config;	/* 0 not asked, 1 out, 2 in */
	int			 upload_config_v3; /* no client v1 media */
	struct net_progress	 upload_progress; /* under lock */
	char			*upload_txn;	/* under lock: its row */
	int64_t			 upload_posted;	/* its last NOTIFY_STATUS */
	struct net_media	*media;		/* downloads: net-media.c */
	struct net_progress	 media_progress; /* under lock */
	int64_t			 media_posted;	/* its last NOTIFY_STATUS */
	struct net_thumb	*thumbs;	/* previews: net-thumb.c */
};

/* A request of the net thread and what to do with its answer. */
struct net_req {
	struct net	*net;
	int		 kind;
	char		*txn_id;	/* NET_REQ_SEND, NET_REQ_RECHECK;
					   NET_REQ_BACKUP: its version;
					   NET_REQ_VERIFY_SIGN: the user */
	char		*room_id;	/* NET_REQ_SEND, NET_REQ_BACKFILL,
					   NET_REQ_RECHECK, NET_REQ_CHANNEL */
	int64_t		 gap_id;	/* NET_REQ_BACKFILL */
	uint64_t	 tag;		/* NET_REQ_GENERIC */
	int		 no_token;	/* NET_REQ_GENERIC: no Authorization */
	int		 page;		/* NET_REQ_RECHECK: 1, 2, ...;
					   NET_REQ_CHANNEL: 0 membership,
					   1 join, 2 leave; NET_REQ_KEYS:
					   the keys_epoch it is for;
					   NET_REQ_DEVICES: query, changes;
					   NET_REQ_BACKUP: what it is */
	char		*via;		/* NET_REQ_CHANNEL: join through */
	int		 spool;		/* a big answer goes to a file beside
					   the store (http_req.spool_beside) */
	char		*at;		/* NET_REQ_MEMBERS: since, or NULL */
	char		*claim;		/* NET_REQ_CLAIM: the devices asked
					   for (JSON); room_id NULL: to
					   unwedge them */
	char		*upload_path;	/* NET_REQ_SEND of an attachment:
					   its spool file, gone once sent */
};

enum {
	NET_REQ_FILTER = 1,
	NET_REQ_SYNC,
	NET_REQ_SEND,
	NET_REQ_BACKFILL,
	NET_REQ_GENERIC,
	NET_REQ_RECHECK,
	NET_REQ_CHANNEL,
	NET_REQ_MEMBERS,
	NET_REQ_KEYS,
	NET_REQ_CLAIM,
	NET_REQ_TODEVICE,
	NET_REQ_DEVICES,
	NET_REQ_XSIGN,
	NET_REQ_BACKUP,
	NET_REQ_VERIFY_SIGN
};

/* net.c */
void	net_set_state(struct net *, enum net_state, int64_t retry_at);
void	net_set_failed(struct net *, const struct haos_error *,
	    int64_t retry_at);
int	net_request(struct net *, struct net_req *, const char *method,
	    const char *path, const char *body, long timeout_ms);
void	net_req_free(struct net_req *);
int	net_check_auth(struct net *, const struct haos_error *);
void	net_post_result(struct net *, uint64_t tag,
	    const struct haos_error *, char *body);
void	net_set_notice(struct net *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* net-xsign.c: cross-signing asked for by the user */
void	net_xsign_trust(struct net *, const char *user_id, uint64_t tag);
void	net_xsign_setup(struct net *, const char *password, uint64_t tag);
void	net_xsign_done(struct net *, struct net_req *,
	    const struct http_resp *, const struct haos_error *);
void	net_xsign_load(struct net *);
void	net_xsign_free(struct net *);

/* net-sync.c: the filter and the /sync long-poll */
void	net_sync_filter_start(struct net *);
void	net_sync_filter_done(struct net *, const struct http_resp *,
	    const struct haos_error *);
void	net_sync_start(struct net *);
void	net_sync_done(struct net *, const struct http_resp *,
	    const struct haos_error *);
/* net-fill.c: /messages for the user and the background filling */
void	net_fill_want(struct net *, const char *room_id, uint64_t tag);
void	net_fill_pump(struct net *, int64_t now);
void	net_fill_plan(struct net *);
void	net_fill_done(struct net *, struct net_req *,
	    const struct http_resp *, const struct haos_error *);
void	net_fill_free(struct net *);

/* net-outbox.c: the sender, one request in flight per room */
struct net_room *net_outbox_room(struct net *, const char *room_id);
void	net_outbox_pump(struct net *);
void	net_outbox_done(struct net *, struct net_req *,
	    const struct http_resp *, const struct haos_error *);

/* net-recheck.c: sends of unknown outcome, looked for after a new device */
void	net_recheck_load(struct net *);
void	net_recheck_begin(struct net *);
void	net_recheck_prune(struct net *, const struct outbox_row *sending,
	    size_t nsending);
int	net_recheck_wanted(struct net *, const struct outbox_row *);
void	net_recheck_start(struct net *, struct net_room *,
	    const struct outbox_row *);
void	net_recheck_done(struct net *, struct net_req *,
	    const struct http_resp *, const struct haos_error *);
void	net_recheck_free(struct net *);

/* net-channels.c: channels new in a server we are in are joined */
void	net_channels_start(struct net *);
void	net_channels_check(struct net *);
void	net_channels_pump(struct net *);
void	net_channels_done(struct net *, struct net_req *,
	    const struct http_resp *, const struct haos_error *);
void	net_channels_free(struct net *);
/* net-verify.c: key verification (m.sas.v1) */
void	net_verify_job(struct net *, const struct job *);
void	net_verify_sent(struct net *, const char *txn_id,
	    const char *event_id);
void	net_verify_pump(struct net *, int64_t now);
void	net_verify_signed(struct net *, struct net_req *,
	    const struct http_resp *, const struct haos_error *);
void	net_verify_free(struct net *);

/*
 * net-gossip.c: secret sharing with our own devices.  net_gossip_ask():
 * in the caller's transaction, m.secret.request to our device_id for
 * each secret we lack (0, or -1 with err); net_gossip_ask_later(): that,
 * at the next pump (after a verification's done message).
 */
int	net_gossip_ask(struct net *, const char *device_id,
	    struct haos_error *);
void	net_gossip_ask_later(struct net *, const char *device_id);
void	net_gossip_pump(struct net *, int64_t now);
void	net_gossip_free(struct net *);

/*
 * net-olm.c: an Olm-encrypted to-device message to one device, in the
 * caller's transaction.  net_olm_encrypt(): *out the m.room.encrypted
 * content: 1, 0 without a session with that device (or it is unknown),
 * -1.  net_olm_queue(): into to_device_out: 1, 0 without a session (the
 * device is marked for a new one: try again later), -1.
 */
int	net_olm_encrypt(struct net *, const char *user_id,
	    const char *device_id, const char *type, const json_t *content,
	    json_t **out, struct haos_error *);
int	net_olm_queue(struct net *, const char *user_id, const char *device_id,
	    const char *type, const json_t *content, const char *purpose,
	    struct haos_error *);

/* net-keys.c: the device identity and its keys on the server */
int	net_keys_start(struct net *, struct haos_error *);
/* net-secrets.c */
void	net_secrets_run(struct net *, const struct job *);
void	net_keys_new_device(struct net *);
void	net_keys_reload(struct net *);
void	net_keys_synced(struct net *);
void	net_keys_pump(struct net *, int64_t now);
void	net_keys_done(struct net *, struct net_req *,
	    const struct http_resp *, const struct haos_error *);
void	net_keys_free(struct net *);
/* net-e2ee.c: encrypted sends and unwedging (issue #15 Steps 5, 6) */
int	net_e2ee_wire(struct net *, const struct outbox_row *, char **type,
	    char **content);
void	net_e2ee_pump(struct net *, int64_t now);
void	net_e2ee_claim_done(struct net *, struct net_req *,
	    const struct http_resp *, const struct haos_error *);
void	net_e2ee_todev_done(struct net *, struct net_req *,
	    const struct http_resp *, const struct haos_error *);
/* net-devices.c: the device lists of tracked users */
void	net_devices_start(struct net *);
void	net_devices_from_scratch(struct net *);
void	net_devices_synced(struct net *);
int	net_devices_want(struct net *, const char *user_id,
	    struct haos_error *);
void	net_members_synced(struct net *, const struct ingest_result *,
	    int from_scratch);
void	net_devices_pump(struct net *, int64_t now);
void	net_devices_done(struct net *, struct net_req *,
	    const struct http_resp *, const struct haos_error *);
void	net_devices_free(struct net *);
/* net-backup.c: the server-side key backup (E2EE Step 10) */
void	net_backup_start(struct net *);
void	net_backup_synced(struct net *);
void	net_backup_pump(struct net *, int64_t now);
void	net_backup_done(struct net *, struct net_req *,
	    const struct http_resp *, const struct haos_error *);
void	net_backup_job(struct net *, struct job *);
void	net_backup_free(struct net *);
/* net-keyreq.c: room key requests, ours and others' (E2EE Step 11) */
void	net_keyreq_pump(struct net *, int64_t now);
/* net-media.c: attachments downloaded to files */
struct crypto_attachment;
int	net_media_sink(int fd, struct crypto_attachment *, unsigned char **buf,
	    size_t *bufsz, const void *data, size_t len, struct haos_error *);
void	net_media_job(struct net *, const struct job *);
void	net_media_pump(struct net *, int64_t now);
void	net_media_free(struct net *);
void	net_upload_job(struct net *, const struct job *);
int	net_upload_row(struct net *, const struct outbox_row *);
void	net_upload_sent(struct net *, const char *spool);
void	net_upload_sweep(struct net *);
void	net_upload_free(struct net *);
/* net-thumb.c: image previews' files in the cache */
void	net_thumb_job(struct net *, const struct job *);
void	net_thumb_free(struct net *);
/* net-members.c: a room's whole member list when it is opened */
void	net_members_want(struct net *, const char *room_id);
void	net_members_pump(struct net *);
int	net_members_complete(struct net *, const char *room_id);
void	net_members_done(struct net *, struct net_req *,
	    const struct http_resp *, const struct haos_error *);
void	net_members_free(struct net *);
int	net_members_fetch(struct net *, const char *room_id);
int	net_members_fetching(struct net *, const char *room_id);

#endif
