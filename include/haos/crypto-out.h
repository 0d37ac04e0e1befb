/* End-to-end encryption, the sending side (issue #15 Steps 5 and 6). */
#ifndef HAOS_CRYPTO_OUT_H
#define HAOS_CRYPTO_OUT_H

/*
 * Who gets a room's Megolm key and when the key must change
 * (crypto-out-plan.c, pure), and the payloads that carry keys and
 * messages (crypto-out.c, through the engine calls of crypto.h).  No
 * engine type here either.
 */
#include "haos/crypto.h"

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_OUT_ROTATION_MS		604800000LL	/* one week */
#define CRYPTO_OUT_ROTATION_MSGS	100
#define CRYPTO_OUT_UNWEDGE_MS		(60 * 60 * 1000)	/* per device */
#define CRYPTO_OUT_TODEVICE_MAX		100	/* devices per request */
#define CRYPTO_MEGOLM			"m.megolm.v1.aes-sha2"
#define CRYPTO_OLM			"m.olm.v1.curve25519-aes-sha2"

/* A member of the room, as the cache knows it. */
struct crypto_member {
	const char	*user_id;
	const char	*membership;	/* "join", "invite", "leave", ... */
};

/* A device of some member, from the device lists (Step 4). */
struct crypto_device {
	const char	*user_id;
	const char	*device_id;
	const char	*ed25519;
	const char	*curve25519;
	int		 deleted;
	int		 cross_signed;	/* signed by its owner's self-signing
					   key (devices.cross_signed) */
};

/*
 * A device the current session went to (megolm_out_shared), or was
 * withheld from: withheld_code NULL when it got the key.
 */
struct crypto_shared {
	const char	*user_id;
	const char	*device_id;
	const char	*withheld_code;
};

/*
 * Which devices get room keys ([crypto] share_keys_with): every device
 * (matrix-js-sdk's AllDevicesIsolationMode), or only those their owner
 * cross-signed (OnlySignedDevicesIsolationMode; the others, ours
 * included, and every device of a user without cross-signing get
 * m.room_key.withheld m.unverified instead).
 */
enum crypto_out_share {
	CRYPTO_OUT_SHARE_ALL = 0,
	CRYPTO_OUT_SHARE_CROSS_SIGNED
};
#define CRYPTO_OUT_UNVERIFIED		"m.unverified"

/* What the current session's next share does for one recipient. */
enum crypto_out_action {
	CRYPTO_OUT_SKIP,	/* has it, or was told it is withheld */
	CRYPTO_OUT_KEY,		/* send it the key */
	CRYPTO_OUT_WITHHOLD	/* send m.room_key.withheld m.unverified */
};

/*
 * A room's sending policy: its m.room.encryption content and history
 * visibility.  shared_history: visibility "shared" or "world_readable";
 * invited_ok: invited members get keys (visibility is not "joined").
 */
struct crypto_policy {
	int64_t		 rotation_ms;
	int64_t		 rotation_msgs;
	int		 shared_history;
	int		 invited_ok;
	enum crypto_out_share share;	/* the caller's; policy() sets ALL */
};

/* The room's current outbound session, as stored. */
struct crypto_out_state {
	int64_t		 created_ts;
	int64_t		 msg_count;
	int		 shared_history;
};

/*
 * The policy from the m.room.encryption content (text, may be NULL for
 * a room known encrypted without its state) and the history visibility
 * (NULL: "shared", the spec's default): -1 with err for an algorithm
 * other than m.megolm.v1.aes-sha2, never plaintext.
 */
int	 crypto_out_policy(const char *encryption, const char *visibility,
	     struct crypto_policy *, struct haos_error *);
/*
 * The recipients: indexes into devs (written to out, which has room for
 * ndevs) of every device not deleted of a joined member (and of an
 * invited one when the policy says so), this device excepted; the count.
 */
size_t	 crypto_out_recipients(const struct crypto_member *, size_t,
	     const struct crypto_device *devs, size_t ndevs,
	     const char *own_user, const char *own_device,
	     const struct crypto_policy *, size_t *out);
/*
 * For recipient d of the session whose rows (megolm_out_shared, the
 * withheld ones too) are s: the key if it lacks it and the policy lets
 * it have it (a device withheld m.unverified that now qualifies gets
 * it, at the current index); withheld m.unverified once per session if
 * the policy does not; else nothing (a device told m.no_olm waits for
 * the next session, as before).
 */
enum crypto_out_action crypto_out_share_action(const struct crypto_device *d,
	     const struct crypto_policy *, const struct crypto_shared *s,
	     size_t ns);
/*
 * Whether the session must be replaced before the next message: N
 * messages, T elapsed, a shared user no longer a recipient member, a
 * shared device deleted or gone or (only cross-signed) no longer
 * cross-signed, history visibility moved between shared and not.  1
 * with the reason in *why (a literal), 0 if not.  s: the devices that
 * got the key (withheld ones are not looked at).
 */
int	 crypto_out_rotation_due(const struct crypto_out_state *,
	     const struct crypto_policy *, const struct crypto_shared *,
	     size_t, const struct crypto_member *, size_t,
	     const struct crypto_device *, size_t, int64_t now,
	     const char **why);

/*
 * A claimed one-time key ({"signed_curve25519:ID": {"key", "signatures"}})
 * checked against the device's ed25519 key, then a new outbound Olm
 * session on it; NULL with err if the signature does not hold or there
 * is no key.
 */
struct crypto_olm *crypto_out_claimed(struct crypto_account *,
	     const struct crypto_device *, const json_t *claimed,
	     struct haos_error *);
/*
 * The m.room.encrypted content of an Olm message to one device: the
 * payload {type, content, sender, recipient, recipient_keys, keys,
 * sender_device_keys} encrypted with the session.  sender_device_keys
 * (our signed device keys, MSC4147) may be NULL.
 */
json_t	*crypto_out_olm(struct crypto_olm *, const struct crypto_account *,
	     const char *sender, const json_t *sender_device_keys,
	     const struct crypto_device *, const char *type,
	     const json_t *content, struct haos_error *);
/* The m.room_key content of a session at its current index. */
json_t	*crypto_out_room_key(struct crypto_megolm_out *, const char *room_id,
	     int shared_history, struct haos_error *);
/* An m.room_key.withheld content (code: "m.no_olm", "m.unverified"). */
json_t	*crypto_out_withheld(const char *room_id, const char *session_id,
	     const char *sender_key, const char *code);
/*
 * The m.room.encrypted content of a room event: {type, content,
 * room_id} encrypted (the index moves on), with m.relates_to copied to
 * the clear content.  Text, or NULL with err.
 */
char	*crypto_out_megolm(struct crypto_megolm_out *, const char *room_id,
	     const char *type, const char *content, const char *sender_key,
	     const char *device_id, struct haos_error *);

#endif
