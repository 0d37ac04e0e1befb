/* End-to-end encryption: the one interface to the crypto engine. */
#ifndef HAOS_CRYPTO_H
#define HAOS_CRYPTO_H

/*
 * Everything the rest of haos knows of encryption.  The engine (libolm
 * today) is used only inside src/crypto/ and no type of it appears here,
 * so that another one (vodozemac) can replace it behind these calls.
 * Nothing here logs a key, a pickle or a plaintext: key ids only.
 */
#include "haos/haos.h"
#include "haos/json.h"
#include "haos/model.h"

#include <stddef.h>
#include <stdint.h>

struct haos_error;
struct matrix_req;
struct store;
struct crypto_keys;

#define CRYPTO_PICKLE_KEY_LEN	32	/* bytes in the pickle key file */

/*
 * Fill buf with n bytes from getrandom(2): short reads and EINTR are
 * retried, any other failure aborts.  Never a weaker source.
 */
void	 crypto_random(void *buf, size_t n);

/*
 * Base64 (base64.c).  Encoders write unpadded text (standard or URL-safe
 * alphabet); decoders accept padded and unpadded input of their alphabet
 * and refuse anything else (stray characters, bad length, non-zero
 * trailing bits).  The decoded buffer is NUL-terminated for convenience.
 */
char	*base64_encode(const void *, size_t);
char	*base64_url_encode(const void *, size_t);
int	 base64_decode(const char *, size_t, unsigned char **out,
	     size_t *outlen);
int	 base64_url_decode(const char *, size_t, unsigned char **out,
	     size_t *outlen);

/*
 * What libolm lacks (crypto-primitives.c, OpenSSL's libcrypto): AES-256
 * in CTR mode (iv: the 16-byte counter block), HMAC-SHA256, SHA-256,
 * HKDF-SHA256 (no salt: 32 zero bytes), PBKDF2-SHA512, AES-256-GCM with
 * a 12-byte nonce and the 16-byte tag after the len bytes of text (a
 * changed byte, tag, aad or key fails the open), and a comparison in
 * constant time.  0, or -1 with err.
 */
int	 crypto_aes_ctr(const unsigned char key[32],
	     const unsigned char iv[16], const unsigned char *in, size_t len,
	     unsigned char *out, struct haos_error *);
int	 crypto_hmac_sha256(const unsigned char *key, size_t keylen,
	     const unsigned char *msg, size_t len, unsigned char out[32],
	     struct haos_error *);
void	 crypto_sha256(const void *, size_t, unsigned char out[32]);
int	 crypto_hkdf_sha256(const unsigned char *ikm, size_t ikmlen,
	     const unsigned char *salt, size_t saltlen, const void *info,
	     size_t infolen, unsigned char *out, size_t outlen,
	     struct haos_error *);
int	 crypto_pbkdf2_sha512(const char *pass, size_t passlen,
	     const unsigned char *salt, size_t saltlen,
	     unsigned int iterations, unsigned char *out, size_t outlen,
	     struct haos_error *);
int	 crypto_aes_gcm_seal(const unsigned char key[32],
	     const unsigned char nonce[12], const void *aad, size_t aadlen,
	     const unsigned char *in, size_t len, unsigned char *out,
	     struct haos_error *);
int	 crypto_aes_gcm_open(const unsigned char key[32],
	     const unsigned char nonce[12], const void *aad, size_t aadlen,
	     const unsigned char *in, size_t len, unsigned char *out,
	     struct haos_error *);
int	 crypto_equal(const void *, const void *, size_t);

/*
 * Sealed secrets (crypto-secrets.c), E2EE.md 0.5: what libolm does not
 * pickle (cross-signing seeds, the backup key) kept in table secrets,
 * sealed with AES-256-GCM under a key derived from the pickle key, the
 * name authenticated with it.  crypto_secret_get() is 1 with the data
 * (NUL-terminated; wipe and free it) and whether it was checked against
 * the published public key, 0 if there is none, -1 if it does not open.
 */
char	*crypto_secret_seal(const struct crypto_keys *, const char *name,
	     const void *, size_t, struct haos_error *);
int	 crypto_secret_open(const struct crypto_keys *, const char *name,
	     const char *sealed, unsigned char **, size_t *,
	     struct haos_error *);
int	 crypto_secret_put(const struct crypto_keys *, struct store *,
	     const char *name, const void *, size_t, int verified,
	     struct haos_error *);
int	 crypto_secret_get(const struct crypto_keys *, struct store *,
	     const char *name, unsigned char **, size_t *, int *verified,
	     struct haos_error *);

/*
 * Canonical JSON (canonical.c), the Matrix spec's appendix: keys sorted
 * bytewise, no insignificant white space, raw UTF-8, only '"', '\\' and
 * controls escaped (\b \t \n \f \r, others as lower-case \u00xx),
 * integers within +-(2^53 - 1), a real only if integral and in range
 * (written as an integer).  NULL with err set for anything else.
 * canonical_json_signable() leaves out the top-level "signatures" and
 * "unsigned" (and only those), as signing and checking require.
 */
char	*canonical_json(const json_t *, struct haos_error *);
char	*canonical_json_signable(const json_t *, struct haos_error *);

/*
 * The pickle key (pickle-key.c): CRYPTO_PICKLE_KEY_LEN random bytes in
 * a file of their own (mode 0600, ours, a regular file, never followed
 * through a symlink), never in the database.  With create set a missing
 * file is made (O_EXCL); a file of the wrong size or mode is refused.
 */
int	 pickle_key_load(const char *path, int create,
	     unsigned char key[CRYPTO_PICKLE_KEY_LEN], struct haos_error *);

/*
 * The device's account (crypto-account.c): identity keys, one-time and
 * fallback keys.  Errors carry the engine's error name in err->msg.
 */
struct crypto_account;

struct crypto_account *crypto_account_new(struct haos_error *);
struct crypto_account *crypto_account_unpickle(const char *pickle,
	     const unsigned char key[CRYPTO_PICKLE_KEY_LEN],
	     struct haos_error *);
char	*crypto_account_pickle(struct crypto_account *,
	     const unsigned char key[CRYPTO_PICKLE_KEY_LEN],
	     struct haos_error *);
void	 crypto_account_free(struct crypto_account *);
/* The public identity keys, unpadded base64 (owned by the account). */
const char *crypto_account_curve25519(const struct crypto_account *);
const char *crypto_account_ed25519(const struct crypto_account *);
/* The ed25519 signature of len bytes, unpadded base64. */
char	*crypto_account_sign(struct crypto_account *, const void *,
	     size_t, struct haos_error *);
size_t	 crypto_account_max_otks(struct crypto_account *);
int	 crypto_account_generate_otks(struct crypto_account *, size_t,
	     struct haos_error *);
int	 crypto_account_generate_fallback(struct crypto_account *,
	     struct haos_error *);
/* Unpublished one-time keys / fallback key: {"key id": "base64", ...}. */
json_t	*crypto_account_otks(struct crypto_account *, struct haos_error *);
json_t	*crypto_account_fallback(struct crypto_account *,
	     struct haos_error *);
/* The fallback key before the current one is dropped. */
void	 crypto_account_forget_old_fallback(struct crypto_account *);
/* Everything unpublished (one-time and fallback keys) is published. */
void	 crypto_account_mark_published(struct crypto_account *);

/*
 * Why the engine refused a message or pickle (crypto-olm.c,
 * crypto-megolm.c), given beside err (HAOS_ECRYPTO): the engine-neutral
 * reason, so that callers tell a replay from a wedged session from a
 * missing key.
 */
enum crypto_fail {
	CRYPTO_FAIL_OTHER = 0,
	CRYPTO_FAIL_BAD_MAC,		/* wrong session, or replayed */
	CRYPTO_FAIL_BAD_KEY_ID,		/* the one-time key is gone */
	CRYPTO_FAIL_UNKNOWN_INDEX,	/* Megolm key starts after it */
	CRYPTO_FAIL_BAD_KEY,		/* wrong pickle key or tampered */
	CRYPTO_FAIL_BAD_MESSAGE		/* not a message of this kind */
};

/*
 * Olm sessions (crypto-olm.c): one pairwise ratchet with one device,
 * named by the peer's curve25519 identity key.  crypto_olm_inbound()
 * makes a session from a pre-key message (type 0) without touching the
 * account's one-time keys: remove them with crypto_account_remove_otks()
 * only once the message has decrypted.  Decrypt and encrypt never alter
 * their input.  A refusal sets *why when why is not NULL.
 */
struct crypto_olm;

struct crypto_olm *crypto_olm_outbound(struct crypto_account *,
	     const char *their_curve25519, const char *their_otk,
	     struct haos_error *);
struct crypto_olm *crypto_olm_inbound(struct crypto_account *,
	     const char *their_curve25519, const char *prekey_body,
	     enum crypto_fail *why, struct haos_error *);
/* 1 if the pre-key message was made for this session, 0 if not. */
int	 crypto_olm_matches(struct crypto_olm *, const char *their_curve25519,
	     const char *prekey_body);
/* The plaintext (NUL-terminated, *len without it), or NULL. */
char	*crypto_olm_decrypt(struct crypto_olm *, int type, const char *body,
	     size_t *len, enum crypto_fail *why, struct haos_error *);
/* The message type (0 pre-key, 1 normal) and base64 body, or -1. */
int	 crypto_olm_encrypt(struct crypto_olm *, const char *plaintext,
	     size_t len, char **body, struct haos_error *);
const char *crypto_olm_id(const struct crypto_olm *);
int	 crypto_olm_has_received(struct crypto_olm *);
char	*crypto_olm_pickle(struct crypto_olm *,
	     const unsigned char key[CRYPTO_PICKLE_KEY_LEN],
	     struct haos_error *);
struct crypto_olm *crypto_olm_unpickle(const char *pickle,
	     const unsigned char key[CRYPTO_PICKLE_KEY_LEN],
	     enum crypto_fail *why, struct haos_error *);
void	 crypto_olm_free(struct crypto_olm *);
int	 crypto_account_remove_otks(struct crypto_account *,
	     struct crypto_olm *, struct haos_error *);

/*
 * Megolm group sessions (crypto-megolm.c).  An inbound session comes
 * from an m.room_key's session_key (the signed sharing format) or from
 * an export (the format of backups, forwards and key files); an outbound
 * one is ours, for one room.  crypto_megolm_out_key() is the sharing key
 * at the session's current index (it moves on with every message).
 */
struct crypto_megolm_in;
struct crypto_megolm_out;

struct crypto_megolm_in *crypto_megolm_in_new(const char *session_key,
	     struct haos_error *);
struct crypto_megolm_in *crypto_megolm_in_import(const char *exported,
	     struct haos_error *);
const char *crypto_megolm_in_id(const struct crypto_megolm_in *);
uint32_t crypto_megolm_in_first_index(struct crypto_megolm_in *);
/* The plaintext (NUL-terminated) and its message index, or NULL. */
char	*crypto_megolm_in_decrypt(struct crypto_megolm_in *, const char *body,
	     size_t *len, uint32_t *index, enum crypto_fail *why,
	     struct haos_error *);
/* The export of the session from index on, or NULL. */
char	*crypto_megolm_in_export(struct crypto_megolm_in *, uint32_t index,
	     struct haos_error *);
char	*crypto_megolm_in_pickle(struct crypto_megolm_in *,
	     const unsigned char key[CRYPTO_PICKLE_KEY_LEN],
	     struct haos_error *);
struct crypto_megolm_in *crypto_megolm_in_unpickle(const char *pickle,
	     const unsigned char key[CRYPTO_PICKLE_KEY_LEN],
	     enum crypto_fail *why, struct haos_error *);
void	 crypto_megolm_in_free(struct crypto_megolm_in *);

struct crypto_megolm_out *crypto_megolm_out_new(struct haos_error *);
const char *crypto_megolm_out_id(const struct crypto_megolm_out *);
uint32_t crypto_megolm_out_index(struct crypto_megolm_out *);
char	*crypto_megolm_out_key(struct crypto_megolm_out *,
	     struct haos_error *);
/* The base64 ciphertext of len bytes; the index moves on by one. */
char	*crypto_megolm_out_encrypt(struct crypto_megolm_out *,
	     const char *plaintext, size_t len, struct haos_error *);
char	*crypto_megolm_out_pickle(struct crypto_megolm_out *,
	     const unsigned char key[CRYPTO_PICKLE_KEY_LEN],
	     struct haos_error *);
struct crypto_megolm_out *crypto_megolm_out_unpickle(const char *pickle,
	     const unsigned char key[CRYPTO_PICKLE_KEY_LEN],
	     enum crypto_fail *why, struct haos_error *);
void	 crypto_megolm_out_free(struct crypto_megolm_out *);

/*
 * Signed JSON (crypto-sign.c), the spec's "Signing JSON": the signature
 * of canonical_json_signable(obj) goes into
 * obj.signatures[user_id]["ed25519:" device_id], other signatures kept.
 * crypto_sign_verify() checks obj.signatures[user_id][key_id] against
 * the unpadded base64 ed25519 key: 0 if it holds, -1 with err if not.
 */
int	 crypto_sign_json(struct crypto_account *, json_t *obj,
	     const char *user_id, const char *device_id,
	     struct haos_error *);
int	 crypto_sign_verify(const json_t *obj, const char *user_id,
	     const char *key_id, const char *ed25519, struct haos_error *);

/*
 * Device lists (crypto-devices.c), E2EE.md Step 4.  crypto_device_check()
 * checks one device of a /keys/query answer listed under
 * device_keys[user_id][device_id]: 1 if usable (its keys borrowed from
 * dev), 0 if it has no keys (not a cryptographic device: ignore it
 * silently), -1 with *why if it must be refused (its user_id or
 * device_id not those it is listed under, a key missing or malformed,
 * a self-signature that does not verify).  crypto_devices_store() takes
 * device_keys[user_id] (an object) into the store in the caller's
 * transaction: usable devices stored, unless a known device id comes
 * with other keys or a new one with another device's key (refused, the
 * stored device kept, a device_warnings row), devices no longer listed
 * marked deleted.  It returns how many were refused, or -1.
 */
int	 crypto_device_check(const char *user_id, const char *device_id,
	     const json_t *dev, const char **ed25519,
	     const char **curve25519, const char **why);
int	 crypto_devices_store(struct store *, const char *user_id,
	     const json_t *devices, struct haos_error *);

/*
 * Cross-signing of /keys/query answers (crypto-xsign.c), E2EE.md Step 7.
 * crypto_xsign_key_check() checks one key object of user_id and usage
 * ("master", "self_signing", "user_signing"): its user_id, its usage,
 * exactly one "ed25519:<public key>" in "keys"; 0 with the public key
 * in *pub (borrowed), -1 with *why.  crypto_xsign_signed_by() is 1 if
 * user_id's cross-signing key pub signed obj.
 *
 * For each user of an answer, in the transaction that stores it:
 * crypto_xsign_devices_store() stores the devices (crypto_devices_store())
 * but refuses one whose id is a cross-signing public key (a warning
 * row), returning how many were refused; then crypto_xsign_store() takes
 * the cross-signing keys: checked (the self-signing and user-signing
 * keys signed by the master key), stored, the master key pinned on first
 * sight (TOFU) or, when it changed, msk_pins.changed set and a warning row
 * "master_key_changed" (sending to the user is held: net-e2ee.c), the
 * devices their self-signing key signed marked cross_signed, the master
 * key marked verified (ours: this device is cross-signed; another
 * user's: our user-signing key signed it).  Take our own user first.
 * crypto_xsign_trust() acknowledges a changed master key: pinned, the
 * flag and warning cleared; 1 if there was one, 0 if not, -1.
 */
int	 crypto_xsign_key_check(const char *user_id, const char *usage,
	     const json_t *key, const char **pub, const char **why);
int	 crypto_xsign_signed_by(const json_t *obj, const char *user_id,
	     const char *pub);
int	 crypto_xsign_devices_store(struct store *, const char *user_id,
	     const json_t *answer, struct haos_error *);
int	 crypto_xsign_store(struct store *, const char *own_user,
	     const char *own_device, const char *user_id,
	     const json_t *answer, struct haos_error *);
int	 crypto_xsign_trust(struct store *, const char *user_id,
	     struct haos_error *);

/*
 * Our own cross-signing private keys (crypto-xsign-own.c): the master
 * (CRYPTO_XSIGN_MSK), self-signing (SSK) and user-signing (USK) keys,
 * each an ed25519 seed.  crypto_xsign_own_new() makes three from
 * crypto_random(); crypto_xsign_own_from_seeds() takes them back (from
 * secret storage or the secrets table), crypto_xsign_own_load() those we
 * hold (NULL for a seed we lack: signing with it fails, its public key
 * and seed are NULL); _free() wipes them.
 * crypto_xsign_own_upload() is the body of /keys/device_signing/upload
 * (the master key also signed by this device when a is not NULL).
 *
 * For verification (SAS, wip-sas), after the other side was confirmed:
 * crypto_xsign_sign_own_device() adds our SSK's signature to one of our
 * devices' keys (the object as /keys/query gave it), and
 * crypto_xsign_sign_user() adds our USK's signature to another user's
 * master key object; either then goes up through
 * matrix_req_signatures_upload() as {user_id: {key_id: object}} (a
 * device under its device id, a master key under its public key).
 * crypto_xsign_own_seed() is for sealing a seed into the secrets table
 * (wip-secrets): never log it.
 */
#define CRYPTO_XSIGN_MSK	0
#define CRYPTO_XSIGN_SSK	1
#define CRYPTO_XSIGN_USK	2
#define CRYPTO_XSIGN_NKEYS	3
#define CRYPTO_XSIGN_SEED_LEN	32

struct crypto_xsign_own;

struct crypto_xsign_own *crypto_xsign_own_new(struct haos_error *);
struct crypto_xsign_own *crypto_xsign_own_from_seeds(
	     const unsigned char seeds[CRYPTO_XSIGN_NKEYS]
	     [CRYPTO_XSIGN_SEED_LEN], struct haos_error *);
struct crypto_xsign_own *crypto_xsign_own_load(
	     const unsigned char *const seeds[CRYPTO_XSIGN_NKEYS],
	     struct haos_error *);
void	 crypto_xsign_own_free(struct crypto_xsign_own *);
const char *crypto_xsign_own_public(const struct crypto_xsign_own *,
	     int which);
const unsigned char *crypto_xsign_own_seed(const struct crypto_xsign_own *,
	     int which);
int	 crypto_xsign_own_sign(struct crypto_xsign_own *, int which,
	     json_t *obj, const char *user_id, struct haos_error *);
json_t	*crypto_xsign_own_upload(struct crypto_xsign_own *,
	     const char *user_id, struct crypto_account *,
	     const char *device_id, struct haos_error *);
int	 crypto_xsign_sign_own_device(struct crypto_xsign_own *,
	     json_t *device_keys, const char *user_id, struct haos_error *);
int	 crypto_xsign_sign_user(struct crypto_xsign_own *,
	     json_t *their_master, const char *user_id, struct haos_error *);

/*
 * The device identity (crypto-keys.c), run by the net thread on its
 * read-write store.  crypto_keys_open() unpickles the account of
 * device_id with the pickle key at key_path, or makes a new account and
 * persists it (a store holding an account but no key file, or a key
 * that does not open it, is refused with err: nothing is overwritten).
 *
 * crypto_keys_upload() gives the next /keys/upload request, or NULL
 * (err->code HAOS_OK) when there is nothing to upload: the device keys if
 * this device has not uploaded them, the one-time keys not yet published,
 * and, when counts_fresh (the counts stored were not answered while an
 * upload was on its way), new one-time keys up to half of what the
 * account can keep (device_one_time_keys_count) and a fallback key when
 * the server lists no unused one.  New keys are persisted before the
 * request is returned, so a retry uploads the very same keys.
 * crypto_keys_uploaded() takes a 2xx answer: the keys are marked
 * published and the server's counts kept, in one transaction.
 */
struct crypto_keys;

struct crypto_keys *crypto_keys_open(struct store *, const char *key_path,
	     const char *user_id, const char *device_id,
	     struct haos_error *);
struct matrix_req *crypto_keys_upload(struct crypto_keys *, struct store *,
	     int counts_fresh, struct haos_error *);
int	 crypto_keys_uploaded(struct crypto_keys *, struct store *,
	     const char *answer, struct haos_error *);
const struct crypto_account *crypto_keys_account(const struct crypto_keys *);
/*
 * Where the verification events received go (E2EE.md Step 8; the net
 * thread's net-verify.c): to-device ones (room_id NULL), in clear or out
 * of an Olm payload, and in-room ones of a /sync timeline (ev the
 * event, decrypted).  crypto_keys_verify_event() is 0 without a sink.
 */
struct crypto_verify_sink {
	int	(*event)(void *arg, const char *sender, const char *room_id,
		    const json_t *ev, const char *type, const json_t *content);
	void	*arg;
};
void	 crypto_keys_set_verify(struct crypto_keys *,
	     const struct crypto_verify_sink *);
int	 crypto_keys_verify_event(struct crypto_keys *, const char *sender,
	     const char *room_id, const json_t *ev, const char *type,
	     const json_t *content);
/* 1 if type is an m.key.verification.* event type. */
int	 crypto_sas_event_type(const char *type);
/*
 * For the session code (Steps 2-6): the account to change, the pickle
 * key every pickle is made with, whose device this is, and
 * crypto_keys_save(), which pickles the account into the store in the
 * caller's transaction after it changed.
 */
struct crypto_account *crypto_keys_account_rw(struct crypto_keys *);
const unsigned char *crypto_keys_pickle_key(const struct crypto_keys *);
const char *crypto_keys_user_id(const struct crypto_keys *);
const char *crypto_keys_device_id(const struct crypto_keys *);
int	 crypto_keys_save(struct crypto_keys *, struct store *,
	     struct haos_error *);
void	 crypto_keys_free(struct crypto_keys *);

/*
 * Receiving (E2EE.md Steps 2 and 3), on the net thread, inside the
 * transaction of the /sync (or /keys/query answer) that brought what is
 * received: every crypto state change is committed with it.  Nothing
 * decrypted or secret is logged.  Only a store error returns -1 (the
 * caller rolls back); a bad event is logged and skipped.
 *
 * A room key that arrives decrypts the events that waited for it in
 * place (type, content, relation columns and events.e2e); each room so
 * changed goes to sink->room_changed, or, with no sink, is recorded with
 * store_room_changed().  The functions return how many rooms changed.
 */
struct crypto_in_sink {
	int	(*room_changed)(void *arg, const char *room_id,
		    struct haos_error *);
	void	*arg;
};

/*
 * The to-device events kept in table to_device from id first_id on
 * (crypto-in.c): Olm-encrypted ones decrypted and checked (sender,
 * recipient, recipient_keys, keys.ed25519 against table devices or a
 * signed sender_device_keys), their m.room_key applied, withheld notices
 * noted; each is deleted once consumed.  One whose sending device is
 * not known yet stays in to_device, its crypto state untouched, and its
 * sender is marked outdated in tracked_users for /keys/query.
 */
int	 crypto_in_to_device(struct crypto_keys *, struct store *,
	     int64_t first_id, const struct crypto_in_sink *,
	     struct haos_error *);
/*
 * crypto_in_to_device() of every kept event: for the Step 4 code, in the
 * transaction that stores a /keys/query answer (new devices may now
 * vouch for kept events, whose keys then decrypt waiting room events).
 */
int	 crypto_in_retry(struct crypto_keys *, struct store *,
	     const struct crypto_in_sink *, struct haos_error *);
/*
 * An m.room.encrypted timeline event ev of room_id (crypto-room.c):
 * with *state E2E_DECRYPTED, *plain is {"type", "content"} of the
 * plaintext, the wire content's m.relates_to in place of any inside;
 * otherwise *plain is NULL and *state says why.  An event that may
 * still decrypt (no key yet, or a key starting after it) is recorded in
 * table undecryptable for when its key comes.  keys may be NULL (no
 * identity): the event waits.
 */
int	 crypto_room_decrypt(struct crypto_keys *, struct store *,
	     const char *room_id, const json_t *ev, json_t **plain,
	     enum e2e_state *state, struct haos_error *);

/*
 * The recovery key (crypto-recovery.c), the spec's "Cryptographic key
 * representation": base58 of 0x8B 0x01, the 32-byte key and a parity
 * byte, a space every 4 characters.  Decoding ignores white space and
 * says what is wrong (character, length, prefix, parity).  A passphrase
 * gives the key through the key description's m.pbkdf2 passphrase
 * field.  Nothing here logs or keeps a key.
 */
#define CRYPTO_RECOVERY_KEY_LEN	32
#define CRYPTO_RECOVERY_PREFIX0	0x8b
#define CRYPTO_RECOVERY_PREFIX1	0x01

char	*crypto_recovery_encode(const unsigned char
	     key[CRYPTO_RECOVERY_KEY_LEN]);
int	 crypto_recovery_decode(const char *,
	     unsigned char key[CRYPTO_RECOVERY_KEY_LEN], struct haos_error *);
int	 crypto_recovery_passphrase(const char *pass, const json_t *desc,
	     unsigned char key[CRYPTO_RECOVERY_KEY_LEN], struct haos_error *);

/*
 * Secret storage (crypto-ssss.c), m.secret_storage.v1.aes-hmac-sha2:
 * HKDF-SHA256 (32 zero bytes of salt, the secret's name as info) gives
 * an AES-256-CTR key and an HMAC-SHA256 key.  crypto_ssss_check() tells
 * whether key is the key of a description (its iv and mac: the MAC of
 * 32 zero bytes encrypted under the name ""; a description without them
 * takes any key): 1 yes, 0 no, -1 malformed.  crypto_ssss_decrypt()
 * opens encrypted[key_id] ({iv, ciphertext, mac}, padded or unpadded
 * base64, the MAC checked in constant time first); crypto_ssss_encrypt()
 * makes one (bit 63 of a random iv cleared); crypto_ssss_describe() makes
 * a key description {algorithm, iv, mac}.
 */
int	 crypto_ssss_check(const json_t *desc,
	     const unsigned char key[CRYPTO_RECOVERY_KEY_LEN],
	     struct haos_error *);
int	 crypto_ssss_decrypt(const json_t *enc, const char *name,
	     const unsigned char key[CRYPTO_RECOVERY_KEY_LEN],
	     unsigned char **out, size_t *outlen, struct haos_error *);
json_t	*crypto_ssss_encrypt(const char *name,
	     const unsigned char key[CRYPTO_RECOVERY_KEY_LEN],
	     const void *data, size_t len, struct haos_error *);
json_t	*crypto_ssss_describe(const unsigned char key[CRYPTO_RECOVERY_KEY_LEN],
	     struct haos_error *);
/*
 * The public ed25519 key (unpadded base64) of a 32-byte cross-signing
 * seed, or NULL with err.
 */
char	*crypto_ssss_signing_public(const unsigned char *seed, size_t len,
	     struct haos_error *);
/*
 * /recovery on the net thread's RW store: the key (a recovery key, or
 * with is_passphrase a passphrase) of the default secret storage key in
 * the stored global account data is checked, then each secret of
 * CRYPTO_SSSS_NAMES found there is decrypted and sealed into table
 * secrets (crypto_secret_put(): the 32 bytes, not their base64) in one
 * transaction.  A cross-signing seed is verified = 1 when its public key
 * is the one table cross_signing_keys has for us, refused when that
 * table has another, verified = 0 when it has none; the backup key is
 * stored verified = 0 (the key backup code checks it).  *report is one
 * line for the user: what was unlocked, refused or absent.
 */
#define CRYPTO_SSSS_NAMES	{ "m.cross_signing.master", \
	"m.cross_signing.self_signing", "m.cross_signing.user_signing", \
	"m.megolm_backup.v1" }
int	 crypto_ssss_unlock(struct crypto_keys *, struct store *,
	     const char *input, int is_passphrase, char **report,
	     struct haos_error *);
/*
 * /recovery new: for an account whose stored account data has no
 * m.secret_storage.default_key, a new key: *recovery_key (shown once),
 * and *puts, the account data to upload in order ([{type, content}]:
 * the key description, each secret of CRYPTO_SSSS_NAMES held sealed,
 * then the default key).  Nothing is stored locally.
 */
int	 crypto_ssss_create(struct crypto_keys *, struct store *,
	     char **recovery_key, json_t **puts, struct haos_error *);

/*
 * Key export files (crypto-keyfile.c), the spec's "Key exports": the
 * JSON text of an array of ExportedSessionData encrypted under a
 * passphrase (PBKDF2-SHA512 with a 16-byte salt and rounds, AES-256-CTR
 * with bit 63 of the iv cleared, HMAC-SHA256 over the rest), version
 * 0x01, base64 in lines of 96 between the MEGOLM SESSION DATA armour.
 * crypto_keyfile_open() checks the MAC in constant time before
 * anything else: a wrong passphrase is an error of its own.
 */
#define CRYPTO_KEYFILE_ROUNDS	500000
char	*crypto_keyfile_seal(const char *json, size_t len, const char *pass,
	     unsigned int rounds, struct haos_error *);
int	 crypto_keyfile_open(const char *armoured, size_t len,
	     const char *pass, char **json, size_t *jsonlen,
	     struct haos_error *);
/*
 * Every inbound Megolm session of the store as ExportedSessionData (from
 * its first known index), or NULL with err.
 */
json_t	*crypto_keyfile_export(struct crypto_keys *, struct store *,
	     size_t *n, struct haos_error *);
/*
 * Import ExportedSessionData records in the caller's transaction: each
 * as unauthenticated (source 'export'), never over an authenticated
 * session nor one with a lower or equal first index, its sender the
 * owner of sender_key in table devices (a key of no known device is
 * skipped); waiting events decrypted in place through sink.  Counts of
 * what was imported, kept and skipped; 0, or -1 on a store error.
 */
struct crypto_keyfile_counts {
	size_t	 total;
	size_t	 imported;
	size_t	 kept;		/* what the store has is as good or better */
	size_t	 skipped;	/* malformed, or no known device */
	size_t	 rooms;		/* rooms whose waiting events decrypted */
};
int	 crypto_keyfile_import(struct crypto_keys *, struct store *,
	     const json_t *sessions, const struct crypto_in_sink *,
	     struct crypto_keyfile_counts *, struct haos_error *);

/*
 * Curve25519 public-key encryption (crypto-pk.c), the backup algorithm
 * m.megolm_backup.v1.curve25519-aes-sha2: unpadded base64 ciphertext,
 * MAC (libolm's, over the empty string: MSC4048) and ephemeral key.
 * crypto_pk_public() is the public key of a 32-byte private key.
 */
struct crypto_pk_msg {
	char	*ciphertext;
	char	*mac;
	char	*ephemeral;
};
char	*crypto_pk_public(const unsigned char *priv, size_t privlen,
	     struct haos_error *);
int	 crypto_pk_encrypt(const char *pub, const char *plain, size_t len,
	     struct crypto_pk_msg *, struct haos_error *);
/* The plaintext (NUL-terminated; wipe and free it), or NULL. */
char	*crypto_pk_decrypt(const unsigned char *priv, size_t privlen,
	     const struct crypto_pk_msg *, size_t *len, struct haos_error *);
void	 crypto_pk_msg_free(struct crypto_pk_msg *);

/*
 * Server-side key backup (crypto-backup.c), E2EE.md Step 10.  The backup
 * key is the sealed secret CRYPTO_BACKUP_SECRET (32 bytes; the base64
 * text of them is accepted too).  A backup version is trusted
 * (crypto_backup_trusted(): 1, 0, -1 on a store error) if its algorithm
 * is ours and auth_data.public_key derives from that key
 * (crypto_backup_holds(): only then can we restore from it), or if
 * auth_data carries a valid signature of our user by our trusted master
 * key or by one of our own devices we trust (this one, one we verified,
 * one cross-signed under our trusted master key), not deleted.
 *
 * crypto_backup_key_set() seals the 32 bytes of a backup key (a
 * recovery key as Element shows it: crypto_recovery_decode()).
 *
 * crypto_backup_upload() is the body of PUT /room_keys/keys for up to
 * max sessions the backup version does not hold (NULL and *n 0 when
 * there are none); crypto_backup_uploaded() marks those of a body sent
 * with a 2xx.  crypto_backup_restore() takes a rooms object of
 * GET /room_keys/keys ({room: {sessions: {id: KeyBackupData}}}) in the
 * caller's transaction: each session decrypted with the backup key and
 * imported as unauthenticated (source backup), never over a session
 * that starts earlier or an authenticated one (E2EE.md §E.8), and the
 * events waiting for it decrypted in place.  A bad session is skipped
 * and counted.  It returns 1, or 0 when we hold no backup key; only a
 * store error returns -1.
 */
#define CRYPTO_BACKUP_ALGORITHM	"m.megolm_backup.v1.curve25519-aes-sha2"
#define CRYPTO_BACKUP_SECRET	"m.megolm_backup.v1"

struct crypto_backup_counts {
	int	imported;	/* new or better sessions stored */
	int	kept;		/* ours was as good or authenticated */
	int	bad;		/* did not decrypt or did not check */
	int	rooms_changed;	/* rooms whose waiting events decrypted */
};

int	 crypto_backup_key_set(struct crypto_keys *, struct store *,
	     const unsigned char key[32], struct haos_error *);
int	 crypto_backup_trusted(struct crypto_keys *, struct store *,
	     const char *algorithm, const json_t *auth_data,
	     struct haos_error *);
int	 crypto_backup_holds(struct crypto_keys *, struct store *,
	     const char *algorithm, const json_t *auth_data,
	     struct haos_error *);
json_t	*crypto_backup_upload(struct crypto_keys *, struct store *,
	     const char *version, const char *public_key, size_t max,
	     size_t *n, struct haos_error *);
int	 crypto_backup_uploaded(struct store *, const char *version,
	     const json_t *body, struct haos_error *);
int	 crypto_backup_restore(struct crypto_keys *, struct store *,
	     const char *version, const json_t *rooms,
	     const struct crypto_in_sink *, struct crypto_backup_counts *,
	     struct haos_error *);

#endif
