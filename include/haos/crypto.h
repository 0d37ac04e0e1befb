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

#include <stddef.h>
#include <stdint.h>

struct haos_error;
struct matrix_req;
struct store;

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
/* Everything unpublished (one-time and fallback keys) is published. */
void	 crypto_account_mark_published(struct crypto_account *);

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
void	 crypto_keys_free(struct crypto_keys *);

#endif
