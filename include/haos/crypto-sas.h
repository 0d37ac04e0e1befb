/* Emoji verification (m.sas.v1), E2EE.md Step 8: the pure state machine. */
#ifndef HAOS_CRYPTO_SAS_H
#define HAOS_CRYPTO_SAS_H

/*
 * Events in, events out, no I/O: the net thread feeds the verification
 * events it receives (to-device, in clear or out of an Olm payload, and
 * in-room ones of a DM, decrypted) and what the user decides, and takes
 * the messages to send with crypto_sas_next().  The transactions live
 * in memory only (the spec times them out after ten minutes); only
 * their outcome, a verified device or master key, is for the store.
 * Nothing secret is kept once a transaction ends, and nothing is logged
 * here but transaction ids, user and device ids and cancel codes.
 */
#include <stddef.h>
#include <stdint.h>

#include "haos/json.h"
#include "haos/model.h"

#define CRYPTO_SAS_TIMEOUT_MS	(10 * 60 * 1000)
#define CRYPTO_SAS_KEYS_WAIT_MS	(30 * 1000)	/* for a device's keys */
#define CRYPTO_SAS_EMOJI	7	/* emoji shown */
#define CRYPTO_SAS_DECIMAL	3	/* numbers of the decimal method */
#define CRYPTO_SAS_EMOJI_TABLE	64

/* The spec's 64 emoji (sas-emoji.json): the character and its name. */
struct crypto_sas_emoji {
	const char	*emoji;		/* UTF-8 */
	const char	*name;		/* English description */
};
const struct crypto_sas_emoji *crypto_sas_emoji(unsigned int index);
/* The seven indices of 6 SAS bytes; the three numbers of 5 bytes. */
void	 crypto_sas_emoji_indices(const unsigned char bytes[6],
	     int idx[CRYPTO_SAS_EMOJI]);
void	 crypto_sas_emoji_decimal(const unsigned char bytes[5],
	     int num[CRYPTO_SAS_DECIMAL]);

/* Who we are; strings borrowed for the life of the list. */
struct crypto_sas_self {
	const char	*user_id;
	const char	*device_id;
	const char	*ed25519;	/* this device's key */
	const char	*msk;		/* our master key, or NULL */
};

/*
 * Lookups the machine needs (the store's tables on the net thread, a
 * table in the tests).  Each returns 1 with *out (malloc'd) if found, 0
 * if not, -1 on an error.  device_key: the ed25519 key of a device;
 * master_key: the master key of a user (cross_signing_keys); own_devices:
 * the device ids of our other devices (NULL-terminated array).
 * want_keys (may be NULL): a device of user_id is needed that the store
 * lacks: its device list is to be asked for now (/keys/query).
 */
struct crypto_sas_env {
	int	(*device_key)(void *arg, const char *user_id,
		    const char *device_id, char **ed25519);
	int	(*master_key)(void *arg, const char *user_id, char **msk);
	int	(*own_devices)(void *arg, char ***device_ids);
	void	(*want_keys)(void *arg, const char *user_id);
	void	*arg;
};

/*
 * A message to send.  room_id set: an in-room event (m.room.message for
 * the request, m.key.verification.* otherwise, content with its
 * m.relates_to) for the normal send path, which encrypts it in an
 * encrypted room.  Otherwise a to-device message to user_id's device_id
 * ("*": all their devices), content with its transaction_id.  local_id
 * is the transaction's id while an in-room request is not sent yet.
 */
struct crypto_sas_msg {
	char		*type;
	char		*user_id;
	char		*device_id;
	char		*room_id;
	char		*local_id;
	json_t		*content;
};
void	 crypto_sas_msg_free(struct crypto_sas_msg *);


/* What the UI shows of one transaction (strings owned by the list). */
struct crypto_sas_view {
	const char		*txn;
	const char		*user_id;	/* the other side */
	const char		*device_id;	/* NULL until known */
	const char		*room_id;	/* in-room, or NULL */
	enum verify_state	 state;
	int			 we_started;	/* we sent the request */
	int			 has_emoji;	/* else decimal only */
	int			 emoji[CRYPTO_SAS_EMOJI];
	int			 decimal[CRYPTO_SAS_DECIMAL];
	const char		*cancel_code;	/* when cancelled */
	int			 cancelled_by_us;
	int			 device_verified; /* when done */
	int			 msk_verified;
	const char		*msk;		/* the master key verified */
	const char		*ed25519;	/* the device key verified */
};

struct crypto_sas_list;

struct crypto_sas_list *crypto_sas_list_new(const struct crypto_sas_self *,
	     const struct crypto_sas_env *);
void	 crypto_sas_list_free(struct crypto_sas_list *);
/* Our master key now (NULL: none), borrowed: MACed from now on. */
void	 crypto_sas_set_msk(struct crypto_sas_list *, const char *msk);

/*
 * A request of ours: to-device to device_id of user_id (NULL: all our
 * other devices, user_id being us), or, with room_id, in that DM.  The
 * transaction's id (owned by the list), or NULL with *why set.  An
 * in-room request has a local id until crypto_sas_request_sent() gives
 * it its event id.
 */
const char *crypto_sas_request(struct crypto_sas_list *, const char *user_id,
	     const char *device_id, const char *room_id, int64_t now_ms,
	     const char **why);
int	 crypto_sas_request_sent(struct crypto_sas_list *, const char *local_id,
	     const char *event_id);

/*
 * A received event: type m.key.verification.* (or m.room.message of
 * msgtype m.key.verification.request in a room) and its content, from
 * sender; room_id and event_id for an in-room event, NULL for a
 * to-device one.  Returns 1 if a transaction changed (redraw), 0 if
 * the event was not for us, -1 on an engine error (the transaction is
 * cancelled).
 */
int	 crypto_sas_receive(struct crypto_sas_list *, const char *sender,
	     const char *room_id, const char *event_id, const char *type,
	     const json_t *content, int64_t now_ms);

/* The user's answers: accept an incoming request, the emoji match. */
int	 crypto_sas_accept(struct crypto_sas_list *, const char *txn);
int	 crypto_sas_confirm(struct crypto_sas_list *, const char *txn,
	     int match);
int	 crypto_sas_cancel(struct crypto_sas_list *, const char *txn,
	     const char *code);
/*
 * The keys verified are fixed when the other device is known; when the
 * store lacks that device's key (a device list not queried yet) the
 * machine asks for it (want_keys) and holds the other side's key event,
 * so no emoji are shown before the keys are fixed.  Each tick looks the
 * device up again: once known, the held key goes on; if it is not known
 * CRYPTO_SAS_KEYS_WAIT_MS after the key came, m.timeout.
 *
 * Transactions older than CRYPTO_SAS_TIMEOUT_MS cancelled (m.timeout),
 * those older than twice that forgotten; how many changed.
 */
int	 crypto_sas_tick(struct crypto_sas_list *, int64_t now_ms);

/* The next message to send (the caller frees it), or NULL. */
struct crypto_sas_msg *crypto_sas_next(struct crypto_sas_list *);

/* The transactions, newest last; ended ones until crypto_sas_forget(). */
size_t	 crypto_sas_count(const struct crypto_sas_list *);
int	 crypto_sas_view(const struct crypto_sas_list *, size_t i,
	     struct crypto_sas_view *);
void	 crypto_sas_forget(struct crypto_sas_list *, const char *txn);

#endif
