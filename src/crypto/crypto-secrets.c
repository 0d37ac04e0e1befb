/* Sealed secrets: what libolm does not pickle, encrypted in the store. */

/*
 * E2EE.md 0.5: the cross-signing seeds and the backup key are kept in
 * table secrets, each sealed with AES-256-GCM under a key derived from
 * the pickle key (HKDF-SHA256, info CRYPTO_SECRETS_INFO), with the
 * secret's name as associated data so that a sealed value cannot be
 * moved under another name.  A stored value is "1:" and the unpadded
 * base64 of nonce (12 bytes), ciphertext and tag (16 bytes).  A value
 * that does not open (changed, or sealed with another key) is an error,
 * never an empty secret.
 */
#include "haos/crypto.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define CRYPTO_SECRETS_INFO	"haos sealed secrets v1"
#define CRYPTO_SECRETS_PREFIX	"1:"

static int
crypto_secret_key(const struct crypto_keys *k, unsigned char out[32],
    struct haos_error *err)
{
	return crypto_hkdf_sha256(crypto_keys_pickle_key(k),
	    CRYPTO_PICKLE_KEY_LEN, NULL, 0, CRYPTO_SECRETS_INFO,
	    strlen(CRYPTO_SECRETS_INFO), out, 32, err);
}

/* Seal len bytes of data under name: the text to store, or NULL. */
char *
crypto_secret_seal(const struct crypto_keys *k, const char *name,
    const void *data, size_t len, struct haos_error *err)
{
	unsigned char	 key[32], *buf;
	char		*b64, *out = NULL;

	buf = xmalloc(12 + len + 16);
	crypto_random(buf, 12);
	if (crypto_secret_key(k, key, err) == 0 &&
	    crypto_aes_gcm_seal(key, buf, name, strlen(name), data, len,
	    buf + 12, err) == 0) {
		b64 = base64_encode(buf, 12 + len + 16);
		out = xasprintf("%s%s", CRYPTO_SECRETS_PREFIX, b64);
		free(b64);
	}
	explicit_bzero(key, sizeof key);
	explicit_bzero(buf, 12 + len + 16);
	free(buf);
	return out;
}

/* Open what crypto_secret_seal() made of name: 0 and *data, or -1. */
int
crypto_secret_open(const struct crypto_keys *k, const char *name,
    const char *sealed, unsigned char **data, size_t *len,
    struct haos_error *err)
{
	unsigned char	 key[32], *raw = NULL, *out;
	size_t		 rawlen = 0, plen = strlen(CRYPTO_SECRETS_PREFIX);
	int		 rc = -1;

	*data = NULL;
	*len = 0;
	if (strncmp(sealed, CRYPTO_SECRETS_PREFIX, plen) != 0 ||
	    base64_decode(sealed + plen, strlen(sealed + plen), &raw,
	    &rawlen) == -1 || rawlen < 12 + 16) {
		free(raw);
		haos_error_set(err, HAOS_ECRYPTO, "secret %s: not a sealed "
		    "value", name);
		return -1;
	}
	out = xmalloc(rawlen - 12 - 16 + 1);
	if (crypto_secret_key(k, key, err) == 0 &&
	    crypto_aes_gcm_open(key, raw, name, strlen(name), raw + 12,
	    rawlen - 12 - 16, out, err) == 0) {
		out[rawlen - 12 - 16] = '\0';
		*data = out;
		*len = rawlen - 12 - 16;
		rc = 0;
	} else {
		free(out);
		haos_error_set(err, HAOS_ECRYPTO, "secret %s does not open: "
		    "it was changed, or sealed with another pickle key", name);
	}
	explicit_bzero(key, sizeof key);
	explicit_bzero(raw, rawlen);
	free(raw);
	return rc;
}

/* Keep a secret (sealed) in the store, in the caller's transaction. */
int
crypto_secret_put(const struct crypto_keys *k, struct store *s,
    const char *name, const void *data, size_t len, int verified,
    struct haos_error *err)
{
	char	*sealed;
	int	 rc;

	if ((sealed = crypto_secret_seal(k, name, data, len, err)) == NULL)
		return -1;
	rc = store_secret_put(s, name, sealed, verified, err);
	free(sealed);
	return rc;
}

/*
 * The secret of that name: 1 with *data (NUL-terminated, wipe and free
 * it) and *verified, 0 if there is none, -1 if it cannot be read or
 * does not open.
 */
int
crypto_secret_get(const struct crypto_keys *k, struct store *s,
    const char *name, unsigned char **data, size_t *len, int *verified,
    struct haos_error *err)
{
	char	*sealed = NULL;
	int	 rc;

	*data = NULL;
	*len = 0;
	rc = store_secret_get(s, name, &sealed, verified, err);
	if (rc != 1)
		return rc;
	rc = crypto_secret_open(k, name, sealed, data, len, err);
	free(sealed);
	return rc == 0 ? 1 : -1;
}
