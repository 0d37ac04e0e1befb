/* The store of cross-signing and trust (store-xsign.c, issue #16). */
#ifndef HAOS_STORE_XSIGN_H
#define HAOS_STORE_XSIGN_H

/*
 * Schema v8: cross_signing_keys (each user's checked master,
 * self-signing and user-signing keys); v9: msk_pins (TOFU of the master
 * key, a change held until acknowledged, our user-signing key's
 * signature on it; kept when the user is untracked) and v8
 * devices.cross_signed / local_trust.  Writes run on the net thread's
 * RW store in the caller's transaction; reads on either connection.
 * Strings come back allocated; free them (or the rows, with _free()).
 */
#include <stddef.h>
#include <stdint.h>

struct haos_error;
struct store;

#define XSIGN_MASTER		"master"
#define XSIGN_SELF_SIGNING	"self_signing"
#define XSIGN_USER_SIGNING	"user_signing"

/* What we know of a tracked user's identity (msk_pins). */
struct xsign_user {
	char		*msk;		/* published master key, or NULL */
	char		*pinned;	/* the first one seen (TOFU), or NULL */
	int		 changed;	/* msk is not the pinned one: held */
	int		 verified;	/* our user-signing key signed msk */
};

/* A device as /devices shows it. */
struct xsign_device {
	char		*device_id;
	char		*display_name;	/* raw from the server: sanitise */
	char		*ed25519;
	int		 deleted;
	int		 cross_signed;	/* signed by its owner's SSK */
	int		 local_trust;	/* verified by us */
};

int	store_xsign_key_put(struct store *, const char *user_id,
	    const char *usage, const char *public_key, const char *json,
	    struct haos_error *);
int	store_xsign_key_drop(struct store *, const char *user_id,
	    const char *usage, struct haos_error *);
/* 1 with the public key (and JSON text if json is not NULL), 0, -1. */
int	store_xsign_key_get(struct store *, const char *user_id,
	    const char *usage, char **public_key, char **json,
	    struct haos_error *);
/* 1 if some user's cross-signing key is public_key, 0 if none. */
int	store_xsign_key_known(struct store *, const char *public_key,
	    struct haos_error *);
/* 1 with *u if user_id is tracked, 0 (u zeroed) if not, -1. */
int	store_xsign_user(struct store *, const char *user_id,
	    struct xsign_user *, struct haos_error *);
void	xsign_user_free(struct xsign_user *);
int	store_xsign_pin(struct store *, const char *user_id,
	    const char *pinned, int changed, struct haos_error *);
int	store_xsign_verified(struct store *, const char *user_id,
	    int verified, struct haos_error *);
/* A stored device's signed JSON (keys_json): 1, 0 if unknown, -1. */
int	store_xsign_device_json(struct store *, const char *user_id,
	    const char *device_id, char **json, struct haos_error *);
int	store_xsign_device_signed(struct store *, const char *user_id,
	    const char *device_id, int cross_signed, struct haos_error *);
/* user_id's devices, deleted ones too, by device id. */
int	store_xsign_devices(struct store *, const char *user_id,
	    struct xsign_device **, size_t *, struct haos_error *);
void	xsign_devices_free(struct xsign_device *, size_t);
/*
 * The members to track of room_id whose master key changed and is not
 * acknowledged (the sender holds the room's messages), by user id.
 */
int	store_xsign_changed_in_room(struct store *, const char *room_id,
	    char ***users, size_t *, struct haos_error *);
void	store_xsign_users_free(char **, size_t);
/* user_id's trust changed: their rooms are recorded changed (in a txn). */
int	store_xsign_rooms_changed(struct store *, const char *user_id,
	    struct haos_error *);
/*
 * Why an unsent row of an encrypted room waits (outbox.error of a row
 * still pending: "waiting: ..."), or NULL once it goes on; the row's
 * room is recorded changed only when the note changes.  Own txn.
 */
int	store_xsign_outbox_hold(struct store *, const char *txn_id,
	    const char *note, struct haos_error *);

#endif
