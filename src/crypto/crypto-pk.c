/* Curve25519 public-key encryption, the key backup's (libolm's pk). */

/*
 * m.megolm_backup.v1.curve25519-aes-sha2 (E2EE.md Step 10) with the
 * libolm call discipline of crypto-account.c (E2EE.md 0.2): each length
 * asked first, each result compared with olm_error(), outputs
 * NUL-terminated here.  olm_pk_decrypt overwrites the ciphertext it
 * reads: it gets a copy.  The MAC is libolm's, over the empty string
 * (MSC4048): what every client writes and reads today.  Private keys
 * and plaintexts are wiped before they are freed, objects cleared.
 */
#include "haos/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <olm/pk.h>
#include <olm/olm.h>

#include "haos/error.h"
#include "haos/xmalloc.h"

#include "crypto-int.h"

/* A backup's session data is small; a bigger ciphertext is refused. */
#define CRYPTO_PK_MAX_CIPHERTEXT	(64 * 1024)

static void
crypto_pk_fail(struct haos_error *err, const char *what, const char *name)
{
	haos_error_set(err, HAOS_ECRYPTO, "%s: %s", what, name);
	snprintf(err->errcode, sizeof err->errcode, "OLM_%s", name);
	err->mx = MX_NONE;
}

static void
crypto_pk_wipe(void *p, size_t len)
{
	if (p != NULL) {
		explicit_bzero(p, len);
		free(p);
	}
}

static OlmPkDecryption *
crypto_pk_dec_new(void)
{
	return olm_pk_decryption(xmalloc(olm_pk_decryption_size()));
}

static void
crypto_pk_dec_free(OlmPkDecryption *d)
{
	olm_clear_pk_decryption(d);
	free(d);
}

/* The decryption object of a private key, and its public key. */
static OlmPkDecryption *
crypto_pk_dec_from(const unsigned char *priv, size_t privlen, char **pub,
    struct haos_error *err)
{
	OlmPkDecryption	*d;
	size_t		 len;

	*pub = NULL;
	if (privlen != olm_pk_private_key_length()) {
		haos_error_set(err, HAOS_ECRYPTO, "backup key: %zu bytes, "
		    "not %zu", privlen, olm_pk_private_key_length());
		return NULL;
	}
	d = crypto_pk_dec_new();
	len = olm_pk_key_length();
	*pub = xmalloc(len + 1);
	if (olm_pk_key_from_private(d, *pub, len, priv, privlen) ==
	    olm_error()) {
		crypto_pk_fail(err, "backup key",
		    olm_pk_decryption_last_error(d));
		free(*pub);
		*pub = NULL;
		crypto_pk_dec_free(d);
		return NULL;
	}
	(*pub)[len] = '\0';
	return d;
}

char *
crypto_pk_public(const unsigned char *priv, size_t privlen,
    struct haos_error *err)
{
	OlmPkDecryption	*d;
	char		*pub;

	d = crypto_pk_dec_from(priv, privlen, &pub, err);
	if (d != NULL)
		crypto_pk_dec_free(d);
	return pub;
}

int
crypto_pk_encrypt(const char *pub, const char *plain, size_t len,
    struct crypto_pk_msg *out, struct haos_error *err)
{
	OlmPkEncryption	*e;
	unsigned char	*rnd;
	size_t		 rlen, clen, mlen, klen;
	int		 ret = -1;

	memset(out, 0, sizeof *out);
	e = olm_pk_encryption(xmalloc(olm_pk_encryption_size()));
	if (olm_pk_encryption_set_recipient_key(e, pub, strlen(pub)) ==
	    olm_error()) {
		crypto_pk_fail(err, "backup public key",
		    olm_pk_encryption_last_error(e));
		goto out;
	}
	clen = olm_pk_ciphertext_length(e, len);
	mlen = olm_pk_mac_length(e);
	klen = olm_pk_key_length();
	out->ciphertext = xmalloc(clen + 1);
	out->mac = xmalloc(mlen + 1);
	out->ephemeral = xmalloc(klen + 1);
	rlen = olm_pk_encrypt_random_length(e);
	rnd = crypto_engine_random(rlen);
	if (olm_pk_encrypt(e, plain, len, out->ciphertext, clen, out->mac,
	    mlen, out->ephemeral, klen, rnd, rlen) == olm_error()) {
		crypto_pk_fail(err, "backup encrypt",
		    olm_pk_encryption_last_error(e));
		crypto_engine_random_free(rnd, rlen);
		crypto_pk_msg_free(out);
		goto out;
	}
	crypto_engine_random_free(rnd, rlen);
	out->ciphertext[clen] = '\0';
	out->mac[mlen] = '\0';
	out->ephemeral[klen] = '\0';
	ret = 0;
out:
	olm_clear_pk_encryption(e);
	free(e);
	return ret;
}

char *
crypto_pk_decrypt(const unsigned char *priv, size_t privlen,
    const struct crypto_pk_msg *m, size_t *outlen, struct haos_error *err)
{
	OlmPkDecryption	*d;
	char		*pub, *copy, *plain = NULL;
	size_t		 clen, max, len;

	*outlen = 0;
	clen = strlen(m->ciphertext);
	if (clen == 0 || clen > CRYPTO_PK_MAX_CIPHERTEXT) {
		haos_error_set(err, HAOS_ECRYPTO, "backup decrypt: a "
		    "ciphertext of %zu bytes refused", clen);
		return NULL;
	}
	d = crypto_pk_dec_from(priv, privlen, &pub, err);
	if (d == NULL)
		return NULL;
	free(pub);
	max = olm_pk_max_plaintext_length(d, clen);
	if (max == olm_error()) {
		crypto_pk_fail(err, "backup decrypt",
		    olm_pk_decryption_last_error(d));
		goto out;
	}
	plain = xmalloc(max + 1);
	copy = xstrdup(m->ciphertext);	/* olm_pk_decrypt overwrites it */
	len = olm_pk_decrypt(d, m->ephemeral, strlen(m->ephemeral), m->mac,
	    strlen(m->mac), copy, clen, plain, max);
	free(copy);
	if (len == olm_error()) {
		crypto_pk_fail(err, "backup decrypt",
		    olm_pk_decryption_last_error(d));
		crypto_pk_wipe(plain, max + 1);
		plain = NULL;
		goto out;
	}
	plain[len] = '\0';
	*outlen = len;
out:
	crypto_pk_dec_free(d);
	return plain;
}

void
crypto_pk_msg_free(struct crypto_pk_msg *m)
{
	free(m->ciphertext);
	free(m->mac);
	free(m->ephemeral);
	memset(m, 0, sizeof *m);
}
