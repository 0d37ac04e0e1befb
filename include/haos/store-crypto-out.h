/* The store of the sending side of encryption (store-crypto-out.c). */
#ifndef HAOS_STORE_CRYPTO_OUT_H
#define HAOS_STORE_CRYPTO_OUT_H

/*
 * Net thread, RW store.  Calls marked "in a txn" run in the caller's
 * transaction (store_begin()), so that a session and what it encrypted
 * are committed together; the others are reads, or stand alone.  Rows
 * of crypto-out.h come back with their strings allocated: free them
 * with the matching _free().
 */
#include <stddef.h>
#include <stdint.h>

#include "haos/crypto-out.h"

struct store;

/*
 * rooms.encrypted or an m.room.encryption in state; both contents.  1,
 * or 0 when the store does not have the room (yet): its encryption is
 * not known, so nothing may go to it in the clear; -1 on error.
 */
int	store_crypto_out_room(struct store *, const char *room_id,
	    int *encrypted, char **encryption, char **visibility,
	    struct haos_error *);
int	store_crypto_out_members(struct store *, const char *room_id,
	    struct crypto_member **, size_t *, struct haos_error *);
void	store_crypto_out_members_free(struct crypto_member *, size_t);
/* The devices of the room's members (deleted ones too). */
int	store_crypto_out_devices(struct store *, const char *room_id,
	    struct crypto_device **, size_t *, struct haos_error *);
/* One device (1), or none (0). */
int	store_crypto_out_device(struct store *, const char *user_id,
	    const char *device_id, struct crypto_device **,
	    struct haos_error *);
void	store_crypto_out_devices_free(struct crypto_device *, size_t);

/* megolm_out: 1 and the room's session, or 0. */
int	store_crypto_out_session(struct store *, const char *room_id,
	    char **session_id, char **pickle, struct crypto_out_state *,
	    struct haos_error *);
/* In a txn. */
int	store_crypto_out_session_put(struct store *, const char *room_id,
	    const char *session_id, const char *pickle,
	    const struct crypto_out_state *, struct haos_error *);
/* Our own inbound copy (megolm_in, source 'own'), in a txn. */
int	store_crypto_out_own_copy(struct store *, const char *room_id,
	    const char *session_id, const char *user_id, const char *curve,
	    const char *ed25519, const char *pickle, uint32_t first_index,
	    int shared_history, struct haos_error *);
/* megolm_out_shared: the devices that got the key (withheld: too). */
int	store_crypto_out_shared(struct store *, const char *session_id,
	    int withheld_too, struct crypto_shared **, size_t *,
	    struct haos_error *);
void	store_crypto_out_shared_free(struct crypto_shared *, size_t);
/*
 * In a txn.  A device already recorded keeps its row, but one withheld
 * m.unverified takes the new one (the key now, or m.no_olm).
 */
int	store_crypto_out_share_add(struct store *, const char *session_id,
	    const char *user_id, const char *device_id, int64_t first_index,
	    const char *withheld_code, struct haos_error *);
/* Was m.no_olm ever sent to this device (1) or not (0)? */
int	store_crypto_out_no_olm_sent(struct store *, const char *user_id,
	    const char *device_id, struct haos_error *);

/*
 * The Olm session to send with to a device: the one that most recently
 * received a message, else the newest (1), or none (0).
 */
int	store_crypto_out_olm(struct store *, const char *peer_curve25519,
	    char **pickle, struct haos_error *);
/* A new or changed session after a send, in a txn. */
int	store_crypto_out_olm_put(struct store *, const char *session_id,
	    const char *peer_curve25519, const char *pickle,
	    struct haos_error *);

/* to_device_out: rows kept until a 2xx, purpose a room id or "dummy". */
int	store_crypto_out_todev_add(struct store *, const char *txn_id,
	    const char *type, const char *body, const char *purpose,
	    struct haos_error *);
int	store_crypto_out_todev_next(struct store *, char **txn_id,
	    char **type, char **body, struct haos_error *);
int	store_crypto_out_todev_pending(struct store *, const char *purpose,
	    int64_t *n, struct haos_error *);
int	store_crypto_out_todev_delete(struct store *, const char *txn_id,
	    struct haos_error *);

/* The outbox row's wire copy (1), or none yet (0). */
int	store_crypto_out_wire(struct store *, const char *txn_id,
	    char **type, char **content, struct haos_error *);
/* In a txn. */
int	store_crypto_out_wire_put(struct store *, const char *txn_id,
	    const char *type, const char *content, struct haos_error *);

/* olm_wedged rows still pending. */
struct crypto_wedged {
	char	*peer_curve25519;
	char	*user_id;
	char	*device_id;
	int64_t	 last_new_session_ts;
};
int	store_crypto_out_wedged(struct store *, struct crypto_wedged **,
	    size_t *, struct haos_error *);
void	store_crypto_out_wedged_free(struct crypto_wedged *, size_t);
/* Clear pending; a new session's time when ts is not 0.  In a txn. */
int	store_crypto_out_wedged_done(struct store *, const char *peer,
	    int64_t ts, struct haos_error *);

#endif
