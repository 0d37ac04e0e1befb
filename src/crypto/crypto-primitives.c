/* What libolm lacks, from OpenSSL's libcrypto: AES, HMAC, HKDF, PBKDF2. */

/*
 * E2EE.md §0 item 4: secret storage, key backups' keys, key export files,
 * encrypted attachments and the sealed secrets table need AES-256-CTR,
 * AES-256-GCM, HMAC-SHA256, HKDF-SHA256 and PBKDF2-SHA512, which libolm
 * does not offer.  Every call goes through the EVP interface; a failure
 * of the library is an error, never a weaker result.  Nothing here
 * keeps or logs a key.
 */
#include "haos/crypto.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/sha.h>

#include "haos/error.h"
#include "haos/xmalloc.h"

static int
crypto_primitive_fail(struct haos_error *err, const char *what)
{
	haos_error_set(err, HAOS_ECRYPTO, "%s failed", what);
	return -1;
}

int
crypto_aes_ctr(const unsigned char key[32], const unsigned char iv[16],
    const unsigned char *in, size_t len, unsigned char *out,
    struct haos_error *err)
{
	EVP_CIPHER_CTX	*ctx;
	int		 n = 0, fin = 0, ok;

	if (len > INT_MAX)
		return crypto_primitive_fail(err, "AES-CTR (too long)");
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return crypto_primitive_fail(err, "AES-CTR");
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, key, iv) == 1 &&
	    (len == 0 || EVP_EncryptUpdate(ctx, out, &n, in, (int)len) == 1) &&
	    EVP_EncryptFinal_ex(ctx, out + n, &fin) == 1 &&
	    (size_t)(n + fin) == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : crypto_primitive_fail(err, "AES-CTR");
}

int
crypto_hmac_sha256(const unsigned char *key, size_t keylen,
    const unsigned char *msg, size_t len, unsigned char out[32],
    struct haos_error *err)
{
	unsigned int	 n = 0;

	if (keylen > INT_MAX ||
	    HMAC(EVP_sha256(), key, (int)keylen, msg, len, out, &n) == NULL ||
	    n != 32)
		return crypto_primitive_fail(err, "HMAC-SHA256");
	return 0;
}

void
crypto_sha256(const void *msg, size_t len, unsigned char out[32])
{
	SHA256(msg, len, out);
}

int
crypto_hkdf_sha256(const unsigned char *ikm, size_t ikmlen,
    const unsigned char *salt, size_t saltlen, const void *info,
    size_t infolen, unsigned char *out, size_t outlen,
    struct haos_error *err)
{
	static const unsigned char	 zero[32];
	EVP_PKEY_CTX			*ctx;
	size_t				 n = outlen;
	int				 ok;

	if ((ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL)) == NULL)
		return crypto_primitive_fail(err, "HKDF");
	/* No salt is a salt of HashLen zeros (RFC 5869). */
	if (salt == NULL || saltlen == 0) {
		salt = zero;
		saltlen = sizeof zero;
	}
	ok = EVP_PKEY_derive_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) == 1 &&
	    EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, (int)saltlen) == 1 &&
	    EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, (int)ikmlen) == 1 &&
	    EVP_PKEY_CTX_add1_hkdf_info(ctx, info, (int)infolen) == 1 &&
	    EVP_PKEY_derive(ctx, out, &n) == 1 && n == outlen;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : crypto_primitive_fail(err, "HKDF");
}

int
crypto_pbkdf2_sha512(const char *pass, size_t passlen,
    const unsigned char *salt, size_t saltlen, unsigned int iterations,
    unsigned char *out, size_t outlen, struct haos_error *err)
{
	if (passlen > INT_MAX || saltlen > INT_MAX || outlen > INT_MAX ||
	    iterations == 0 || iterations > INT_MAX ||
	    PKCS5_PBKDF2_HMAC(pass, (int)passlen, salt, (int)saltlen,
	    (int)iterations, EVP_sha512(), (int)outlen, out) != 1)
		return crypto_primitive_fail(err, "PBKDF2");
	return 0;
}

/*
 * AES-256-GCM with a 12-byte nonce and a 16-byte tag after the text;
 * aad (may be empty) is authenticated with it.
 */
int
crypto_aes_gcm_seal(const unsigned char key[32], const unsigned char nonce[12],
    const void *aad, size_t aadlen, const unsigned char *in, size_t len,
    unsigned char *out, struct haos_error *err)
{
	EVP_CIPHER_CTX	*ctx;
	int		 n = 0, fin = 0, a = 0, ok;

	if (len > INT_MAX || aadlen > INT_MAX)
		return crypto_primitive_fail(err, "AES-GCM (too long)");
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return crypto_primitive_fail(err, "AES-GCM");
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) ==
	    1 &&
	    (aadlen == 0 || EVP_EncryptUpdate(ctx, NULL, &a, aad,
	    (int)aadlen) == 1) &&
	    (len == 0 || EVP_EncryptUpdate(ctx, out, &n, in, (int)len) == 1) &&
	    EVP_EncryptFinal_ex(ctx, out + n, &fin) == 1 &&
	    (size_t)(n + fin) == len &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + len) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : crypto_primitive_fail(err, "AES-GCM");
}

/* The len bytes of in (its tag after them) opened, or -1 if it fails. */
int
crypto_aes_gcm_open(const unsigned char key[32], const unsigned char nonce[12],
    const void *aad, size_t aadlen, const unsigned char *in, size_t len,
    unsigned char *out, struct haos_error *err)
{
	EVP_CIPHER_CTX	*ctx;
	unsigned char	 tag[16];
	int		 n = 0, fin = 0, a = 0, ok;

	if (len > INT_MAX || aadlen > INT_MAX)
		return crypto_primitive_fail(err, "AES-GCM (too long)");
	memcpy(tag, in + len, sizeof tag);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return crypto_primitive_fail(err, "AES-GCM");
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) ==
	    1 &&
	    (aadlen == 0 || EVP_DecryptUpdate(ctx, NULL, &a, aad,
	    (int)aadlen) == 1) &&
	    (len == 0 || EVP_DecryptUpdate(ctx, out, &n, in, (int)len) == 1) &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1 &&
	    EVP_DecryptFinal_ex(ctx, out + n, &fin) == 1 &&
	    (size_t)(n + fin) == len;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		OPENSSL_cleanse(out, len);
		haos_error_set(err, HAOS_ECRYPTO, "authentication failed: "
		    "the sealed data was changed or the key is wrong");
		return -1;
	}
	return 0;
}

/* Whether a and b are equal, in time independent of where they differ. */
int
crypto_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}
