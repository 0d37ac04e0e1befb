/* Room key requests (E2EE.md Step 11): tables key_requests(_in). */
#ifndef HAOS_STORE_KEYREQ_H
#define HAOS_STORE_KEYREQ_H

#include <stddef.h>
#include <stdint.h>

struct haos_error;
struct store;

/*
 * Ours (key_requests, store-keyreq.c), on the net thread.
 * store_keyreq_wanted(): up to max sessions that events sent since
 * since_ts wait for (table undecryptable), Megolm, never asked before,
 * while no trusted key backup exists (key_backup.trusted; the backup
 * restores them otherwise), with the sender_key their events name.
 * store_keyreq_own_devices(): our own other devices that are verified
 * (cross-signed, or trusted by us) and not deleted.
 * store_keyreq_get(): the request for (room, session): 1, 0, -1.
 * store_keyreq_arrived(): up to max requests still 'sent' whose session
 * no event waits for any more; store_keyreq_done() marks one.
 */
struct store_keyreq {
	char	*request_id;
	char	*room_id;
	char	*session_id;
	char	*sender_key;
	char	*devices;	/* JSON array of device ids asked */
	char	*state;		/* sent, done */
};

int	store_keyreq_wanted(struct store *, int64_t since_ts, size_t max,
	    struct store_keyreq **, size_t *, struct haos_error *);
int	store_keyreq_own_devices(struct store *, const char *user_id,
	    const char *device_id, char ***, size_t *, struct haos_error *);
int	store_keyreq_add(struct store *, const struct store_keyreq *,
	    struct haos_error *);
int	store_keyreq_get(struct store *, const char *room_id,
	    const char *session_id, struct store_keyreq *,
	    struct haos_error *);
int	store_keyreq_arrived(struct store *, size_t max,
	    struct store_keyreq **, size_t *, struct haos_error *);
int	store_keyreq_done(struct store *, const char *request_id,
	    struct haos_error *);
void	store_keyreq_free(struct store_keyreq *, size_t);

/*
 * The devices' trust, for the policy (crypto-keyreq.c):
 * store_keyreq_device() is the device of user_id owning curve25519 (1,
 * its id and whether it is verified), 0 if none; store_keyreq_verified()
 * says whether user_id's device_id is verified (1) or not (0);
 * store_keyreq_shared() is the index we gave device_id of user_id of
 * our outbound session session_id (1), 0 if we never gave it one.
 */
int	store_keyreq_device(struct store *, const char *user_id,
	    const char *curve25519, char **device_id, int *verified,
	    struct haos_error *);
int	store_keyreq_verified(struct store *, const char *user_id,
	    const char *device_id, struct haos_error *);
/*
 * The sender key of room_id's Megolm session session_id, for a withheld
 * reply: ours if we hold it, else that of an event waiting for it (1,
 * *sender_key), 0 if we know none.
 */
int	store_keyreq_sender_key(struct store *, const char *room_id,
	    const char *session_id, char **sender_key, struct haos_error *);
int	store_keyreq_shared(struct store *, const char *session_id,
	    const char *user_id, const char *device_id, int64_t *first_index,
	    struct haos_error *);

/*
 * Theirs (key_requests_in): kept in the /sync transaction, at most
 * STORE_KEYREQ_IN_MAX a user (more are dropped: 0), answered after its
 * commit.  A cancellation removes the row.
 */
#define STORE_KEYREQ_IN_MAX	100

struct store_keyreq_in {
	char	*user_id;
	char	*device_id;
	char	*request_id;
	char	*room_id;
	char	*session_id;
	int64_t	 received_ts;
};

int	store_keyreq_in_add(struct store *, const struct store_keyreq_in *,
	    struct haos_error *);
int	store_keyreq_in_drop(struct store *, const char *user_id,
	    const char *device_id, const char *request_id,
	    struct haos_error *);
int	store_keyreq_in_list(struct store *, size_t max,
	    struct store_keyreq_in **, size_t *, struct haos_error *);
void	store_keyreq_in_free(struct store_keyreq_in *, size_t);

#endif
