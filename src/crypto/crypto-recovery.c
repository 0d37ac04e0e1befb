/* The recovery key: its base58 text form, and keys from passphrases. */

/*
 * The spec's appendix "Cryptographic key representation": the 32-byte
 * key behind the prefix 0x8B 0x01 and a parity byte (the XOR of every
 * byte before it), base58 with the bitcoin alphabet, a space after every
 * 4 characters.  Decoding ignores any white space and says which check
 * failed.  A passphrase gives the key through m.pbkdf2 (PBKDF2-SHA512,
 * the description's salt and iterations, 256 bits).  Nothing here logs
 * or keeps a key: every buffer that held one is wiped.
 */
#include "haos/crypto.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/xmalloc.h"

#define RECOVERY_RAW_LEN	(2 + CRYPTO_RECOVERY_KEY_LEN + 1)
/* Base58 of n bytes takes at most n * log(256) / log(58) + 1 digits. */
#define RECOVERY_B58_MAX	(RECOVERY_RAW_LEN * 138 / 100 + 2)
/* The prefix fixes the number of digits of every recovery key. */
#define RECOVERY_DIGITS		48

static const char recovery_alphabet[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* The recovery key of key: "EsTc LW2K ...", to show once; free it. */
char *
crypto_recovery_encode(const unsigned char key[CRYPTO_RECOVERY_KEY_LEN])
{
	unsigned char	 raw[RECOVERY_RAW_LEN], digits[RECOVERY_B58_MAX];
	size_t		 i, j, n = 0, zeros = 0, len, o = 0;
	unsigned int	 carry;
	char		*out;

	raw[0] = CRYPTO_RECOVERY_PREFIX0;
	raw[1] = CRYPTO_RECOVERY_PREFIX1;
	memcpy(raw + 2, key, CRYPTO_RECOVERY_KEY_LEN);
	raw[RECOVERY_RAW_LEN - 1] = 0;
	for (i = 0; i < RECOVERY_RAW_LEN - 1; i++)
		raw[RECOVERY_RAW_LEN - 1] ^= raw[i];
	while (zeros < RECOVERY_RAW_LEN && raw[zeros] == 0)
		zeros++;
	/* digits[] holds the number in base 58, least significant first. */
	for (i = zeros; i < RECOVERY_RAW_LEN; i++) {
		carry = raw[i];
		for (j = 0; j < n; j++) {
			carry += (unsigned int)digits[j] << 8;
			digits[j] = carry % 58;
			carry /= 58;
		}
		while (carry > 0) {
			digits[n++] = carry % 58;
			carry /= 58;
		}
	}
	len = zeros + n;
	out = xmalloc(len + len / 4 + 1);
	for (i = 0; i < len; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = i < zeros ? '1' : recovery_alphabet[digits[n - 1 -
		    (i - zeros)]];
	}
	out[o] = '\0';
	explicit_bzero(raw, sizeof raw);
	explicit_bzero(digits, sizeof digits);
	return out;
}

/*
 * The key of a recovery key typed or pasted with any white space: 0, or
 * -1 with err saying what is wrong (a character, the length, the
 * prefix, the parity).
 */
int
crypto_recovery_decode(const char *text,
    unsigned char key[CRYPTO_RECOVERY_KEY_LEN], struct haos_error *err)
{
	unsigned char	 raw[RECOVERY_RAW_LEN + 8], parity = 0;
	const char	*p, *c;
	size_t		 n = 0, zeros = 0, ndig = 0, i;
	unsigned int	 carry;
	int		 rc = -1, leading = 1;

	memset(raw, 0, sizeof raw);
	/* raw[] holds the number in base 256, least significant first. */
	for (p = text; *p != '\0'; p++) {
		if (strchr(" \t\r\n\v\f", *p) != NULL)
			continue;
		c = strchr(recovery_alphabet, *p);
		if (c == NULL) {
			/* Not even the bad character: it is not logged. */
			haos_error_set(err, HAOS_EUSAGE, "recovery key: a "
			    "character that is not base58 (0, O, I and l are "
			    "never used)");
			goto out;
		}
		ndig++;
		if (leading && *p == '1') {
			zeros++;
			continue;
		}
		leading = 0;
		carry = (unsigned int)(c - recovery_alphabet);
		for (i = 0; i < n; i++) {
			carry += (unsigned int)raw[i] * 58;
			raw[i] = carry & 0xff;
			carry >>= 8;
		}
		while (carry > 0) {
			if (n == sizeof raw) {
				n++;
				break;
			}
			raw[n++] = carry & 0xff;
			carry >>= 8;
		}
		if (n > sizeof raw)
			break;
	}
	if (ndig == 0) {
		haos_error_set(err, HAOS_EUSAGE, "recovery key: empty");
		goto out;
	}
	if (ndig != RECOVERY_DIGITS) {
		haos_error_set(err, HAOS_EUSAGE, "recovery key: wrong length "
		    "(%zu characters where %d are expected, spaces aside)",
		    ndig, RECOVERY_DIGITS);
		goto out;
	}
	if (zeros + n != RECOVERY_RAW_LEN) {
		haos_error_set(err, HAOS_EUSAGE, "recovery key: wrong length "
		    "(%zu bytes where %d are expected): a character missing "
		    "or too many?", zeros + n, RECOVERY_RAW_LEN);
		goto out;
	}
	/* Most significant first, behind the leading zero bytes. */
	for (i = 0; i < n / 2; i++) {
		unsigned char t = raw[i];

		raw[i] = raw[n - 1 - i];
		raw[n - 1 - i] = t;
	}
	memmove(raw + zeros, raw, n);
	memset(raw, 0, zeros);
	if (raw[0] != CRYPTO_RECOVERY_PREFIX0 ||
	    raw[1] != CRYPTO_RECOVERY_PREFIX1) {
		haos_error_set(err, HAOS_EUSAGE, "recovery key: wrong prefix "
		    "(not a Matrix recovery key)");
		goto out;
	}
	for (i = 0; i < RECOVERY_RAW_LEN; i++)
		parity ^= raw[i];
	if (parity != 0) {
		haos_error_set(err, HAOS_EUSAGE, "recovery key: wrong parity "
		    "(a character mistyped?)");
		goto out;
	}
	memcpy(key, raw + 2, CRYPTO_RECOVERY_KEY_LEN);
	rc = 0;
out:
	explicit_bzero(raw, sizeof raw);
	return rc;
}

/*
 * The key of a passphrase under a key description's passphrase field
 * ({"algorithm": "m.pbkdf2", "salt", "iterations", "bits"}): 0, or -1
 * with err (no passphrase for this key, another algorithm, bad fields).
 */
int
crypto_recovery_passphrase(const char *pass, const json_t *desc,
    unsigned char key[CRYPTO_RECOVERY_KEY_LEN], struct haos_error *err)
{
	const json_t	*pp;
	const char	*salt;
	json_int_t	 iter, bits;

	pp = json_get_obj(desc, "passphrase");
	if (pp == NULL) {
		haos_error_set(err, HAOS_EUSAGE, "this secret storage key has "
		    "no passphrase: give the recovery key");
		return -1;
	}
	if (strcmp(json_get_str(pp, "algorithm", ""), "m.pbkdf2") != 0) {
		haos_error_set(err, HAOS_ECRYPTO, "passphrase algorithm %s "
		    "not supported", json_get_str(pp, "algorithm", "(none)"));
		return -1;
	}
	salt = json_get_str(pp, "salt", NULL);
	iter = json_get_int(pp, "iterations", 0);
	bits = json_get_int(pp, "bits", 256);
	if (salt == NULL || iter < 1 || iter > 100000000 || bits != 256) {
		haos_error_set(err, HAOS_EPROTO, "passphrase: bad salt, "
		    "iterations or bits in the key description");
		return -1;
	}
	return crypto_pbkdf2_sha512(pass, strlen(pass),
	    (const unsigned char *)salt, strlen(salt), (unsigned int)iter, key,
	    CRYPTO_RECOVERY_KEY_LEN, err);
}
