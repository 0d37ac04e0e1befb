/* Key export files: the spec's encrypted format, export and import. */

/*
 * E2EE.md Step 13, the spec's "Key exports", the files Element reads and
 * writes: version 0x01, a 16-byte salt, a 16-byte iv (bit 63 cleared),
 * the PBKDF2 rounds (4 bytes big-endian), the AES-256-CTR ciphertext of
 * the JSON array of sessions, then HMAC-SHA256 over everything before
 * it; PBKDF2-SHA512 of the passphrase gives 64 bytes, the AES key then
 * the HMAC key.  Padded base64 in lines of 96 between the armour lines.
 * The MAC is checked in constant time before anything is decrypted.
 *
 * Imported sessions carry only what the file claims (its sender key and
 * ed25519 key): they are unauthenticated (E2EE.md E.8) and never replace
 * an authenticated session, nor one that starts as early or earlier.
 * Nothing here logs a key, a passphrase or a session key.
 */
#include "haos/crypto.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "crypto-int.h"

#define KEYFILE_BEGIN	"-----BEGIN MEGOLM SESSION DATA-----"
#define KEYFILE_END	"-----END MEGOLM SESSION DATA-----"
#define KEYFILE_VERSION	0x01
#define KEYFILE_HEAD	(1 + 16 + 16 + 4)
#define KEYFILE_MAC	32
#define KEYFILE_LINE	96
#define KEYFILE_MEGOLM	"m.megolm.v1.aes-sha2"

/* The AES key (32 bytes) and the HMAC key (32) of a passphrase. */
static int
crypto_keyfile_keys(const char *pass, const unsigned char *salt,
    unsigned int rounds, unsigned char out[64], struct haos_error *err)
{
	return crypto_pbkdf2_sha512(pass, strlen(pass), salt, 16, rounds, out,
	    64, err);
}

char *
crypto_keyfile_seal(const char *json, size_t len, const char *pass,
    unsigned int rounds, struct haos_error *err)
{
	unsigned char	*raw, k[64];
	size_t		 rawlen = KEYFILE_HEAD + len + KEYFILE_MAC, blen, i, o;
	char		*b64 = NULL, *out = NULL;

	raw = xmalloc(rawlen);
	raw[0] = KEYFILE_VERSION;
	crypto_random(raw + 1, 32);
	raw[1 + 16 + 8] &= 0x7f;
	raw[33] = (rounds >> 24) & 0xff;
	raw[34] = (rounds >> 16) & 0xff;
	raw[35] = (rounds >> 8) & 0xff;
	raw[36] = rounds & 0xff;
	if (crypto_keyfile_keys(pass, raw + 1, rounds, k, err) == -1 ||
	    crypto_aes_ctr(k, raw + 17, (const unsigned char *)json, len,
	    raw + KEYFILE_HEAD, err) == -1 ||
	    crypto_hmac_sha256(k + 32, 32, raw, KEYFILE_HEAD + len,
	    raw + KEYFILE_HEAD + len, err) == -1)
		goto out;
	/* Padded, as Element writes it. */
	b64 = base64_encode(raw, rawlen);
	blen = strlen(b64);
	b64 = xrealloc(b64, blen + 3);
	while (blen % 4 != 0)
		b64[blen++] = '=';
	b64[blen] = '\0';
	out = xmalloc(sizeof KEYFILE_BEGIN + sizeof KEYFILE_END + blen + 4 +
	    blen / KEYFILE_LINE + 2);
	o = 0;
	memcpy(out, KEYFILE_BEGIN "\n", sizeof KEYFILE_BEGIN);
	o += sizeof KEYFILE_BEGIN;
	for (i = 0; i < blen; i++) {
		out[o++] = b64[i];
		if ((i + 1) % KEYFILE_LINE == 0 && i + 1 < blen)
			out[o++] = '\n';
	}
	out[o++] = '\n';
	memcpy(out + o, KEYFILE_END "\n", sizeof KEYFILE_END + 1);
out:
	explicit_bzero(k, sizeof k);
	explicit_bzero(raw, rawlen);
	free(raw);
	free(b64);
	return out;
}

/* The base64 between the armour lines, white space dropped; or NULL. */
static char *
crypto_keyfile_body(const char *text, size_t len)
{
	const char	*b, *e, *p;
	char		*out;
	size_t		 o = 0;

	/* The text is NUL-terminated; a NUL inside it ends the search. */
	if (strlen(text) != len)
		return NULL;
	b = strstr(text, KEYFILE_BEGIN);
	if (b == NULL)
		return NULL;
	b += strlen(KEYFILE_BEGIN);
	e = strstr(b, KEYFILE_END);
	if (e == NULL)
		return NULL;
	out = xmalloc((size_t)(e - b) + 1);
	for (p = b; p < e; p++) {
		if (strchr(" \t\r\n", *p) == NULL)
			out[o++] = *p;
	}
	out[o] = '\0';
	return out;
}

int
crypto_keyfile_open(const char *text, size_t len, const char *pass,
    char **json, size_t *jsonlen, struct haos_error *err)
{
	unsigned char	*raw = NULL, k[64], mac[32];
	size_t		 rawlen = 0, ctlen;
	unsigned int	 rounds;
	char		*body;
	int		 rc = -1;

	*json = NULL;
	*jsonlen = 0;
	body = crypto_keyfile_body(text, len);
	if (body == NULL || base64_decode(body, strlen(body), &raw,
	    &rawlen) == -1) {
		haos_error_set(err, HAOS_EUSAGE, "not a key export file (no "
		    "MEGOLM SESSION DATA armour, or bad base64)");
		goto out;
	}
	if (rawlen < KEYFILE_HEAD + KEYFILE_MAC || raw[0] != KEYFILE_VERSION) {
		haos_error_set(err, HAOS_EUSAGE, "key export file: %s",
		    rawlen < KEYFILE_HEAD + KEYFILE_MAC ? "too short" :
		    "unknown version");
		goto out;
	}
	rounds = (unsigned int)raw[33] << 24 | (unsigned int)raw[34] << 16 |
	    (unsigned int)raw[35] << 8 | raw[36];
	if (rounds < 1 || rounds > 100000000) {
		haos_error_set(err, HAOS_EUSAGE, "key export file: %u PBKDF2 "
		    "rounds", rounds);
		goto out;
	}
	ctlen = rawlen - KEYFILE_HEAD - KEYFILE_MAC;
	if (crypto_keyfile_keys(pass, raw + 1, rounds, k, err) == -1 ||
	    crypto_hmac_sha256(k + 32, 32, raw, KEYFILE_HEAD + ctlen, mac,
	    err) == -1)
		goto out;
	if (!crypto_equal(mac, raw + KEYFILE_HEAD + ctlen, KEYFILE_MAC)) {
		haos_error_set(err, HAOS_EUSAGE, "key export file: wrong "
		    "passphrase, or the file was changed");
		goto out;
	}
	*json = xmalloc(ctlen + 1);
	if (crypto_aes_ctr(k, raw + 17, raw + KEYFILE_HEAD, ctlen,
	    (unsigned char *)*json, err) == -1) {
		free(*json);
		*json = NULL;
		goto out;
	}
	(*json)[ctlen] = '\0';
	*jsonlen = ctlen;
	rc = 0;
out:
	explicit_bzero(k, sizeof k);
	if (raw != NULL)
		explicit_bzero(raw, rawlen);
	free(raw);
	free(body);
	return rc;
}

json_t *
crypto_keyfile_export(struct crypto_keys *k, struct store *s, size_t *n,
    struct haos_error *err)
{
	struct store_megolm_row	*rows;
	struct crypto_megolm_in	*in;
	struct haos_error	 e;
	size_t			 nrows, i;
	json_t			*arr, *o;
	char			*key;

	*n = 0;
	if (store_secrets_megolm_all(s, &rows, &nrows, err) == -1)
		return NULL;
	arr = json_array();
	for (i = 0; i < nrows; i++) {
		in = crypto_megolm_in_unpickle(rows[i].pickle,
		    crypto_keys_pickle_key(k), NULL, &e);
		if (in == NULL) {
			log_warn("crypto", "export: %s session %s: %s",
			    rows[i].room_id, rows[i].session_id, e.msg);
			continue;
		}
		key = crypto_megolm_in_export(in,
		    crypto_megolm_in_first_index(in), &e);
		crypto_megolm_in_free(in);
		if (key == NULL) {
			log_warn("crypto", "export: %s session %s: %s",
			    rows[i].room_id, rows[i].session_id, e.msg);
			continue;
		}
		o = json_pack("{ss ss ss ss ss s{ss} s[]}",
		    "algorithm", KEYFILE_MEGOLM,
		    "room_id", rows[i].room_id,
		    "sender_key", rows[i].sender_curve25519,
		    "session_id", rows[i].session_id,
		    "session_key", key,
		    "sender_claimed_keys", "ed25519",
		    rows[i].claimed_ed25519,
		    "forwarding_curve25519_key_chain");
		explicit_bzero(key, strlen(key));
		free(key);
		if (o != NULL) {
			json_array_append_new(arr, o);
			(*n)++;
		}
	}
	store_secrets_megolm_free(rows, nrows);
	return arr;
}

/* Import one record: 1 imported, 0 kept or skipped (counted), -1. */
static int
crypto_keyfile_one(struct crypto_keys *k, struct store *s, const json_t *r,
    const struct crypto_in_sink *sink, struct crypto_keyfile_counts *c,
    struct haos_error *err)
{
	struct crypto_import	 imp;
	const char		*why;
	int			 rc, changed = 0;

	memset(&imp, 0, sizeof imp);
	imp.room_id = json_get_str(r, "room_id", NULL);
	imp.session_id = json_get_str(r, "session_id", NULL);
	imp.sender_key = json_get_str(r, "sender_key", NULL);
	imp.session_key = json_get_str(r, "session_key", NULL);
	imp.claimed_ed25519 = json_path_str(r, "sender_claimed_keys.ed25519",
	    "");
	imp.source = "export";
	if (imp.room_id == NULL || imp.session_id == NULL ||
	    imp.sender_key == NULL || imp.session_key == NULL ||
	    strcmp(json_get_str(r, "algorithm", ""), KEYFILE_MEGOLM) != 0) {
		c->skipped++;
		return 0;
	}
	rc = crypto_import_megolm(k, s, &imp, sink, &changed, &why, err);
	switch (rc) {
	case CRYPTO_IMPORT_BAD:
		log_info("crypto", "import: %s session %s: %s", imp.room_id,
		    imp.session_id, why);
		c->skipped++;
		return 0;
	case CRYPTO_IMPORT_KEPT:
		c->kept++;
		return 0;
	case CRYPTO_IMPORT_DONE:
		c->imported++;
		c->rooms += (size_t)changed;
		return 1;
	}
	return -1;
}

int
crypto_keyfile_import(struct crypto_keys *k, struct store *s,
    const json_t *sessions, const struct crypto_in_sink *sink,
    struct crypto_keyfile_counts *c, struct haos_error *err)
{
	size_t	 i;

	memset(c, 0, sizeof *c);
	if (!json_is_array(sessions)) {
		haos_error_set(err, HAOS_EUSAGE, "key export file: no array "
		    "of sessions inside");
		return -1;
	}
	c->total = json_array_size(sessions);
	for (i = 0; i < c->total; i++) {
		if (crypto_keyfile_one(k, s, json_array_get(sessions, i), sink,
		    c, err) == -1)
			return -1;
	}
	log_info("crypto", "import: %zu sessions, %zu imported, %zu kept, "
	    "%zu skipped", c->total, c->imported, c->kept, c->skipped);
	return 0;
}
