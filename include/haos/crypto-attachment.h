/* Encrypted attachments (E2EE.md Step 12): AES-256-CTR and SHA-256. */
#ifndef HAOS_CRYPTO_ATTACHMENT_H
#define HAOS_CRYPTO_ATTACHMENT_H

#include "haos/haos.h"
#include "haos/json.h"

#include <stddef.h>

/*
 * An attachment in an encrypted room has a `file` object instead of
 * `url`: {url, key (a JWK: kty "oct", alg "A256CTR", ext true, k the
 * 32-byte key in unpadded base64url), iv (16 bytes, the low 8 zero when
 * we make it), hashes.sha256 (of the ciphertext), v "v2"}.  Both ways
 * stream: update() takes any number of chunks, so a big file never
 * sits in memory.
 *
 * Download: crypto_attachment_open() checks the object strictly (NULL
 * with err otherwise); each update() decrypts a chunk into out (len
 * bytes) and hashes the ciphertext; crypto_attachment_verify() says
 * whether the hash of all of it is the one promised: keep nothing
 * before it said 0.  crypto_attachment_restart() starts over (a
 * download tried again from its first byte).
 *
 * Upload: crypto_attachment_seal() makes a fresh key and IV
 * (crypto_random()); update() encrypts and hashes the ciphertext;
 * crypto_attachment_file() gives the `file` object for url (the
 * caller's).  _seal_from() takes a fixed key and IV (tests).
 */
struct crypto_attachment;

struct crypto_attachment *crypto_attachment_open(const json_t *file,
		    struct haos_error *);
struct crypto_attachment *crypto_attachment_seal(void);
struct crypto_attachment *crypto_attachment_seal_from(
		    const unsigned char key[32], const unsigned char iv[16]);
int		 crypto_attachment_update(struct crypto_attachment *,
		    const void *in, size_t len, void *out,
		    struct haos_error *);
int		 crypto_attachment_verify(struct crypto_attachment *,
		    struct haos_error *);
void		 crypto_attachment_restart(struct crypto_attachment *);
json_t		*crypto_attachment_file(struct crypto_attachment *,
		    const char *url);
void		 crypto_attachment_free(struct crypto_attachment *);

#endif
