/* Encrypted attachments, both ways: AES-256-CTR over chunks, SHA-256. */

/*
 * E2EE.md Step 12 and the spec's "Sending encrypted attachments": the
 * file is encrypted with AES-256 in CTR mode under a random key and a
 * random IV whose low 8 bytes (the block counter) are zero, and the
 * SHA-256 of the ciphertext goes with the key in the event.  Both
 * directions run over chunks through one EVP context, so a file of
 * any size passes through a small buffer.  A download's hash is that
 * of the ciphertext as it arrived, checked before the plaintext is
 * kept; a `file` object that is not exactly what v2 allows is refused.
 */
#include "haos/crypto-attachment.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/xmalloc.h"

#define ATT_KEY_LEN	32
#define ATT_IV_LEN	16
#define ATT_HASH_LEN	32

struct crypto_attachment {
	EVP_CIPHER_CTX	*cipher;
	EVP_MD_CTX	*md;
	int		 sealing;		/* encrypt: hash the output */
	unsigned char	 key[ATT_KEY_LEN];
	unsigned char	 iv[ATT_IV_LEN];
	unsigned char	 want[ATT_HASH_LEN];	/* open: the promised hash */
	unsigned char	 got[ATT_HASH_LEN];	/* seal: after _file() */
	int		 failed;		/* the library failed once */
};

/* Decode a base64 (url) string of exactly want bytes into out. */
static int
crypto_attachment_b64(const char *s, int url, unsigned char *out,
    size_t want)
{
	unsigned char	*buf = NULL;
	size_t		 len = 0;
	int		 rc;

	if (s == NULL)
		return -1;
	rc = url ? base64_url_decode(s, strlen(s), &buf, &len) :
	    base64_decode(s, strlen(s), &buf, &len);
	if (rc == -1 || len != want) {
		if (buf != NULL)
			explicit_bzero(buf, len);
		free(buf);
		return -1;
	}
	memcpy(out, buf, want);
	explicit_bzero(buf, len);
	free(buf);
	return 0;
}

/* (Re)start the cipher and the hash from the key and IV. */
static int
crypto_attachment_begin(struct crypto_attachment *a)
{
	int	 ok;

	ok = EVP_CipherInit_ex(a->cipher, EVP_aes_256_ctr(), NULL, a->key,
	    a->iv, a->sealing) == 1 &&
	    EVP_DigestInit_ex(a->md, EVP_sha256(), NULL) == 1;
	a->failed = !ok;
	return ok ? 0 : -1;
}

static struct crypto_attachment *
crypto_attachment_new(int sealing)
{
	struct crypto_attachment	*a;

	a = xcalloc(1, sizeof *a);
	a->sealing = sealing;
	a->cipher = EVP_CIPHER_CTX_new();
	a->md = EVP_MD_CTX_new();
	if (a->cipher == NULL || a->md == NULL) {
		crypto_attachment_free(a);
		return NULL;
	}
	return a;
}

/* Whether the JWK's key_ops, when present, allow op. */
static int
crypto_attachment_key_op(const json_t *key, const char *op)
{
	json_t	*ops, *v;
	size_t	 i;

	ops = json_object_get(key, "key_ops");
	if (ops == NULL)
		return 1;
	if (!json_is_array(ops))
		return 0;
	json_array_foreach(ops, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), op) == 0)
			return 1;
	}
	return 0;
}

/* A download's `file` object, checked; NULL with err if it is not v2. */
struct crypto_attachment *
crypto_attachment_open(const json_t *file, struct haos_error *err)
{
	struct crypto_attachment	*a;
	const json_t			*key;
	const char			*v;

	if (!json_is_object(file)) {
		haos_error_set(err, HAOS_EPROTO, "no file object");
		return NULL;
	}
	key = json_get_obj(file, "key");
	v = json_get_str(file, "v", NULL);
	if (v == NULL || strcmp(v, "v2") != 0) {
		haos_error_set(err, HAOS_EPROTO,
		    "unsupported encrypted attachment version");
		return NULL;
	}
	if (json_get_str(file, "url", NULL) == NULL) {
		haos_error_set(err, HAOS_EPROTO, "the file has no url");
		return NULL;
	}
	if (!json_is_object(key) ||
	    strcmp(json_get_str(key, "kty", ""), "oct") != 0 ||
	    strcmp(json_get_str(key, "alg", ""), "A256CTR") != 0 ||
	    !json_is_true(json_object_get(key, "ext")) ||
	    !crypto_attachment_key_op(key, "decrypt")) {
		haos_error_set(err, HAOS_EPROTO,
		    "the file's key is not an A256CTR key");
		return NULL;
	}
	if ((a = crypto_attachment_new(0)) == NULL) {
		haos_error_set(err, HAOS_ECRYPTO, "out of cipher contexts");
		return NULL;
	}
	if (crypto_attachment_b64(json_get_str(key, "k", NULL), 1, a->key,
	    ATT_KEY_LEN) == -1) {
		haos_error_set(err, HAOS_EPROTO, "the file's key is not "
		    "32 bytes of base64url");
		goto fail;
	}
	if (crypto_attachment_b64(json_get_str(file, "iv", NULL), 0, a->iv,
	    ATT_IV_LEN) == -1) {
		haos_error_set(err, HAOS_EPROTO, "the file's iv is not "
		    "16 bytes of base64");
		goto fail;
	}
	if (crypto_attachment_b64(json_path_str(file, "hashes.sha256",
	    NULL), 0, a->want, ATT_HASH_LEN) == -1) {
		haos_error_set(err, HAOS_EPROTO, "the file has no sha256 hash");
		goto fail;
	}
	if (crypto_attachment_begin(a) == -1) {
		haos_error_set(err, HAOS_ECRYPTO, "AES-256-CTR init failed");
		goto fail;
	}
	return a;
fail:
	crypto_attachment_free(a);
	return NULL;
}

/* An upload's cipher under the given key and IV. */
struct crypto_attachment *
crypto_attachment_seal_from(const unsigned char key[32],
    const unsigned char iv[16])
{
	struct crypto_attachment	*a;

	if ((a = crypto_attachment_new(1)) == NULL)
		return NULL;
	memcpy(a->key, key, ATT_KEY_LEN);
	memcpy(a->iv, iv, ATT_IV_LEN);
	if (crypto_attachment_begin(a) == -1) {
		crypto_attachment_free(a);
		return NULL;
	}
	return a;
}

/* An upload's cipher: a fresh key, a fresh IV with a zero counter. */
struct crypto_attachment *
crypto_attachment_seal(void)
{
	struct crypto_attachment	*a;
	unsigned char			 key[ATT_KEY_LEN], iv[ATT_IV_LEN];

	crypto_random(key, sizeof key);
	crypto_random(iv, 8);
	memset(iv + 8, 0, 8);
	a = crypto_attachment_seal_from(key, iv);
	explicit_bzero(key, sizeof key);
	return a;
}

/* One chunk: len bytes of in to out (which may be in), hashed. */
int
crypto_attachment_update(struct crypto_attachment *a, const void *in,
    size_t len, void *out, struct haos_error *err)
{
	const unsigned char	*p = in;
	unsigned char		*o = out;
	size_t			 n;
	int			 outl;

	while (len > 0 && !a->failed) {
		n = len > INT_MAX / 2 ? INT_MAX / 2 : len;
		if (!a->sealing && EVP_DigestUpdate(a->md, p, n) != 1)
			a->failed = 1;
		else if (EVP_CipherUpdate(a->cipher, o, &outl, p,
		    (int)n) != 1 || (size_t)outl != n)
			a->failed = 1;
		else if (a->sealing && EVP_DigestUpdate(a->md, o, n) != 1)
			a->failed = 1;
		p += n;
		o += n;
		len -= n;
	}
	if (a->failed) {
		haos_error_set(err, HAOS_ECRYPTO, "AES-256-CTR failed");
		return -1;
	}
	return 0;
}

/* A download: 0 if the ciphertext's hash is the one promised. */
int
crypto_attachment_verify(struct crypto_attachment *a, struct haos_error *err)
{
	unsigned char	 got[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0;

	if (a->sealing || a->failed ||
	    EVP_DigestFinal_ex(a->md, got, &len) != 1 || len != ATT_HASH_LEN) {
		haos_error_set(err, HAOS_ECRYPTO, "SHA-256 failed");
		return -1;
	}
	a->failed = 1;		/* the digest is spent: restart first */
	if (!crypto_equal(got, a->want, ATT_HASH_LEN)) {
		haos_error_set(err, HAOS_ECRYPTO,
		    "the file's hash does not match: refused");
		return -1;
	}
	return 0;
}

/* Start over from the first byte. */
void
crypto_attachment_restart(struct crypto_attachment *a)
{
	(void)crypto_attachment_begin(a);
}

/* An upload, all of it through update(): the `file` object for url. */
json_t *
crypto_attachment_file(struct crypto_attachment *a, const char *url)
{
	unsigned int	 len = 0;
	char		*k, *iv, *hash;
	json_t		*file;

	if (!a->sealing || a->failed ||
	    EVP_DigestFinal_ex(a->md, a->got, &len) != 1 ||
	    len != ATT_HASH_LEN)
		return NULL;
	a->failed = 1;
	k = base64_url_encode(a->key, ATT_KEY_LEN);
	iv = base64_encode(a->iv, ATT_IV_LEN);
	hash = base64_encode(a->got, ATT_HASH_LEN);
	file = json_pack("{s:s, s:{s:s, s:[s,s], s:s, s:s, s:b}, s:s, "
	    "s:{s:s}, s:s}",
	    "url", url,
	    "key", "kty", "oct", "key_ops", "encrypt", "decrypt",
	    "alg", "A256CTR", "k", k, "ext", 1,
	    "iv", iv,
	    "hashes", "sha256", hash,
	    "v", "v2");
	explicit_bzero(k, strlen(k));
	free(k);
	free(iv);
	free(hash);
	return file;
}

void
crypto_attachment_free(struct crypto_attachment *a)
{
	if (a == NULL)
		return;
	EVP_CIPHER_CTX_free(a->cipher);
	EVP_MD_CTX_free(a->md);
	explicit_bzero(a, sizeof *a);
	free(a);
}
