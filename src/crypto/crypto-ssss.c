/* Secret storage (SSSS): the recovery key, its check and the secrets. */

/*
 * E2EE.md Step 9, the spec's "Secret storage": secrets sit in global
 * account data, each encrypted under the keys of m.secret_storage.key.ID
 * (m.secret_storage.v1.aes-hmac-sha2).  From the 32-byte key and the
 * secret's name, HKDF-SHA256 with 32 zero bytes of salt gives 64 bytes:
 * the AES-256-CTR key, then the HMAC-SHA256 key; the MAC covers the raw
 * ciphertext and is compared in constant time before anything is
 * decrypted.  The plaintext of a secret is the base64 of its bytes.
 * Nothing here logs a key, a seed or a plaintext; every buffer that held
 * one is wiped.
 */
#include "haos/crypto.h"

#include <stdlib.h>
#include <string.h>

#include <olm/olm.h>
#include <olm/pk.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "crypto-int.h"

#define SSSS_ALGORITHM		"m.secret_storage.v1.aes-hmac-sha2"
#define SSSS_DEFAULT		"m.secret_storage.default_key"
#define SSSS_KEY_PREFIX		"m.secret_storage.key."
#define SSSS_XSIGN_PREFIX	"m.cross_signing."

/* The AES key (first 32 bytes) and MAC key (next 32) for name. */
static int
crypto_ssss_derive(const unsigned char key[CRYPTO_RECOVERY_KEY_LEN],
    const char *name, unsigned char out[64], struct haos_error *err)
{
	return crypto_hkdf_sha256(key, CRYPTO_RECOVERY_KEY_LEN, NULL, 0, name,
	    strlen(name), out, 64, err);
}

/* Base64 field f of o, of exactly want bytes (0: any); NULL if not. */
static unsigned char *
crypto_ssss_field(const json_t *o, const char *f, size_t want, size_t *len)
{
	const char	*t = json_get_str(o, f, NULL);
	unsigned char	*b = NULL;

	*len = 0;
	if (t == NULL || base64_decode(t, strlen(t), &b, len) == -1)
		return NULL;
	if (want != 0 && *len != want) {
		free(b);
		return NULL;
	}
	return b;
}

/* Encrypt len bytes under name and iv: the ciphertext and its MAC. */
static int
crypto_ssss_seal(const unsigned char key[CRYPTO_RECOVERY_KEY_LEN],
    const char *name, const unsigned char iv[16], const void *data,
    size_t len, unsigned char *out, unsigned char mac[32],
    struct haos_error *err)
{
	unsigned char	 k[64];
	int		 rc = -1;

	if (crypto_ssss_derive(key, name, k, err) == 0 &&
	    crypto_aes_ctr(k, iv, data, len, out, err) == 0 &&
	    crypto_hmac_sha256(k + 32, 32, out, len, mac, err) == 0)
		rc = 0;
	explicit_bzero(k, sizeof k);
	return rc;
}

int
crypto_ssss_check(const json_t *desc,
    const unsigned char key[CRYPTO_RECOVERY_KEY_LEN], struct haos_error *err)
{
	static const unsigned char zeros[32];
	unsigned char	*iv, *mac, ct[32], mine[32];
	size_t		 ivlen, maclen;
	int		 rc = -1;

	if (strcmp(json_get_str(desc, "algorithm", ""), SSSS_ALGORITHM) != 0) {
		haos_error_set(err, HAOS_ECRYPTO, "secret storage algorithm "
		    "%s not supported", json_get_str(desc, "algorithm",
		    "(none)"));
		return -1;
	}
	/* The spec: without iv and mac, assume the key is right. */
	if (json_get_str(desc, "iv", NULL) == NULL &&
	    json_get_str(desc, "mac", NULL) == NULL)
		return 1;
	iv = crypto_ssss_field(desc, "iv", 16, &ivlen);
	mac = crypto_ssss_field(desc, "mac", 32, &maclen);
	if (iv == NULL || mac == NULL) {
		haos_error_set(err, HAOS_EPROTO, "secret storage key: bad iv "
		    "or mac");
		goto out;
	}
	if (crypto_ssss_seal(key, "", iv, zeros, sizeof zeros, ct, mine,
	    err) == -1)
		goto out;
	rc = crypto_equal(mine, mac, 32) ? 1 : 0;
out:
	explicit_bzero(mine, sizeof mine);
	free(iv);
	free(mac);
	return rc;
}

int
crypto_ssss_decrypt(const json_t *enc, const char *name,
    const unsigned char key[CRYPTO_RECOVERY_KEY_LEN], unsigned char **out,
    size_t *outlen, struct haos_error *err)
{
	unsigned char	*iv, *mac, *ct, *pt = NULL, k[64], mine[32];
	size_t		 ivlen, maclen, ctlen;
	int		 rc = -1;

	*out = NULL;
	*outlen = 0;
	iv = crypto_ssss_field(enc, "iv", 16, &ivlen);
	mac = crypto_ssss_field(enc, "mac", 32, &maclen);
	ct = crypto_ssss_field(enc, "ciphertext", 0, &ctlen);
	if (iv == NULL || mac == NULL || ct == NULL) {
		haos_error_set(err, HAOS_EPROTO, "%s: bad iv, ciphertext or "
		    "mac", name);
		goto out;
	}
	if (crypto_ssss_derive(key, name, k, err) == -1 ||
	    crypto_hmac_sha256(k + 32, 32, ct, ctlen, mine, err) == -1)
		goto out;
	if (!crypto_equal(mine, mac, 32)) {
		haos_error_set(err, HAOS_ECRYPTO, "%s: the MAC does not match "
		    "(another key, or changed)", name);
		goto out;
	}
	pt = xmalloc(ctlen + 1);
	if (crypto_aes_ctr(k, iv, ct, ctlen, pt, err) == -1)
		goto out;
	pt[ctlen] = '\0';
	if (base64_decode((char *)pt, ctlen, out, outlen) == -1) {
		haos_error_set(err, HAOS_EPROTO, "%s: the secret is not "
		    "base64", name);
		goto out;
	}
	rc = 0;
out:
	if (pt != NULL) {
		explicit_bzero(pt, ctlen);
		free(pt);
	}
	explicit_bzero(k, sizeof k);
	free(iv);
	free(mac);
	free(ct);
	return rc;
}

json_t *
crypto_ssss_encrypt(const char *name,
    const unsigned char key[CRYPTO_RECOVERY_KEY_LEN], const void *data,
    size_t len, struct haos_error *err)
{
	unsigned char	 iv[16], mac[32], *ct;
	char		*b64, *t;
	size_t		 blen;
	json_t		*o = NULL;

	crypto_random(iv, sizeof iv);
	iv[8] &= 0x7f;
	b64 = base64_encode(data, len);
	blen = strlen(b64);
	ct = xmalloc(blen + 1);
	if (crypto_ssss_seal(key, name, iv, b64, blen, ct, mac, err) == 0) {
		o = json_object();
		t = base64_encode(iv, sizeof iv);
		json_object_set_new(o, "iv", json_string(t));
		free(t);
		t = base64_encode(ct, blen);
		json_object_set_new(o, "ciphertext", json_string(t));
		free(t);
		t = base64_encode(mac, sizeof mac);
		json_object_set_new(o, "mac", json_string(t));
		free(t);
	}
	explicit_bzero(b64, blen);
	free(b64);
	free(ct);
	return o;
}

json_t *
crypto_ssss_describe(const unsigned char key[CRYPTO_RECOVERY_KEY_LEN],
    struct haos_error *err)
{
	static const unsigned char zeros[32];
	unsigned char	 iv[16], ct[32], mac[32];
	char		*t;
	json_t		*o;

	crypto_random(iv, sizeof iv);
	iv[8] &= 0x7f;
	if (crypto_ssss_seal(key, "", iv, zeros, sizeof zeros, ct, mac,
	    err) == -1)
		return NULL;
	o = json_object();
	json_object_set_new(o, "algorithm", json_string(SSSS_ALGORITHM));
	t = base64_encode(iv, sizeof iv);
	json_object_set_new(o, "iv", json_string(t));
	free(t);
	t = base64_encode(mac, sizeof mac);
	json_object_set_new(o, "mac", json_string(t));
	free(t);
	return o;
}

char *
crypto_ssss_signing_public(const unsigned char *seed, size_t len,
    struct haos_error *err)
{
	OlmPkSigning	*sig;
	unsigned char	*copy;
	char		*pub = NULL;
	size_t		 plen;

	if (len != olm_pk_signing_seed_length()) {
		haos_error_set(err, HAOS_ECRYPTO, "a cross-signing seed of %zu "
		    "bytes", len);
		return NULL;
	}
	sig = olm_pk_signing(xmalloc(olm_pk_signing_size()));
	plen = olm_pk_signing_public_key_length();
	pub = xmalloc(plen + 1);
	copy = xmalloc(len);
	memcpy(copy, seed, len);
	if (olm_pk_signing_key_from_seed(sig, pub, plen, copy, len) ==
	    olm_error()) {
		haos_error_set(err, HAOS_ECRYPTO, "cross-signing seed: %s",
		    olm_pk_signing_last_error(sig));
		free(pub);
		pub = NULL;
	} else
		pub[plen] = '\0';
	explicit_bzero(copy, len);
	free(copy);
	olm_clear_pk_signing(sig);
	free(sig);
	return pub;
}

/* Global account data type as JSON, or NULL (none, or not an object). */
static json_t *
crypto_ssss_account_data(struct store *s, const char *type, int *failed,
    struct haos_error *err)
{
	char	*text = NULL;
	json_t	*o;

	if (store_query_account_data(s, NULL, type, &text, err) == -1) {
		*failed = 1;
		return NULL;
	}
	if (text == NULL)
		return NULL;
	o = json_load_stored(text);
	free(text);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Find the default key, derive and check it: 0 with key and *id, -1. */
static int
crypto_ssss_open_key(struct store *s, const char *input, int is_passphrase,
    unsigned char key[CRYPTO_RECOVERY_KEY_LEN], char **id,
    struct haos_error *err)
{
	json_t		*def, *desc = NULL;
	const char	*kid;
	char		*type;
	int		 failed = 0, rc = -1;

	*id = NULL;
	def = crypto_ssss_account_data(s, SSSS_DEFAULT, &failed, err);
	if (failed)
		return -1;
	kid = json_get_str(def, "key", NULL);
	if (kid == NULL) {
		haos_error_set(err, HAOS_EUSAGE, "this account has no secret "
		    "storage (/recovery new makes one)");
		goto out;
	}
	type = xasprintf("%s%s", SSSS_KEY_PREFIX, kid);
	desc = crypto_ssss_account_data(s, type, &failed, err);
	free(type);
	if (failed)
		goto out;
	if (desc == NULL) {
		haos_error_set(err, HAOS_EPROTO, "the default secret storage "
		    "key %s has no description", kid);
		goto out;
	}
	if (is_passphrase ? crypto_recovery_passphrase(input, desc, key,
	    err) == -1 : crypto_recovery_decode(input, key, err) == -1)
		goto out;
	switch (crypto_ssss_check(desc, key, err)) {
	case 1:
		*id = xstrdup(kid);
		rc = 0;
		break;
	case 0:
		haos_error_set(err, HAOS_EUSAGE, "that %s does not open this "
		    "account's secret storage", is_passphrase ? "passphrase" :
		    "recovery key");
		break;
	default:
		break;
	}
out:
	if (rc == -1)
		explicit_bzero(key, CRYPTO_RECOVERY_KEY_LEN);
	json_decref(def);
	json_decref(desc);
	return rc;
}

/* See crypto-int.h. */
int
crypto_ssss_xsign_match(struct crypto_keys *k, struct store *s,
    const char *name, const unsigned char *seed, size_t len, char **pub,
    struct haos_error *err)
{
	char	*published = NULL;
	int	 rc;

	*pub = crypto_ssss_signing_public(seed, len, err);
	if (*pub == NULL)
		return -1;
	rc = store_secrets_xsign_key(s, crypto_keys_user_id(k),
	    name + strlen(SSSS_XSIGN_PREFIX), &published, err);
	if (rc == 1)
		rc = strcmp(*pub, published) == 0 ? 1 : -1;
	else if (rc == -1)
		rc = -2;
	free(published);
	return rc;
}

/* Decrypt and seal one secret: appends what happened to the report. */
static int
crypto_ssss_take(struct crypto_keys *k, struct store *s, const char *name,
    const char *kid, const unsigned char key[CRYPTO_RECOVERY_KEY_LEN],
    json_t *unlocked, json_t *other, int *unchecked, struct haos_error *err)
{
	struct haos_error e;
	json_t		*data;
	unsigned char	*secret = NULL;
	char		*pub = NULL;
	size_t		 len = 0;
	int		 verified = 0, rc = 0, xsign;
	const char	*shortname = name;

	if (strncmp(name, SSSS_XSIGN_PREFIX, strlen(SSSS_XSIGN_PREFIX)) == 0)
		shortname = name + strlen(SSSS_XSIGN_PREFIX);
	else
		shortname = "backup key";
	data = crypto_ssss_account_data(s, name, &rc, err);
	if (rc)
		return -1;
	if (json_path(data, "encrypted") == NULL ||
	    json_get_obj(json_get_obj(data, "encrypted"), kid) == NULL) {
		json_decref(data);
		return 0;
	}
	if (crypto_ssss_decrypt(json_get_obj(json_get_obj(data, "encrypted"),
	    kid), name, key, &secret, &len, &e) == -1) {
		log_warn("crypto", "secret storage: %s", e.msg);
		json_array_append_new(other, json_sprintf("%s unreadable",
		    shortname));
		goto out;
	}
	if (shortname != name && strcmp(shortname, "backup key") != 0) {
		xsign = crypto_ssss_xsign_match(k, s, name, secret, len, &pub,
		    &e);
		if (xsign == -2) {
			*err = e;
			rc = -1;
			goto out;
		}
		if (xsign == -1) {
			log_warn("crypto", "secret storage: %s: %s%s%s", name,
			    pub == NULL ? e.msg : "public key ", pub == NULL ?
			    "" : pub, pub == NULL ? "" : " is not the "
			    "published one");
			json_array_append_new(other, json_sprintf("%s refused "
			    "(not the published key)", shortname));
			goto out;
		}
		verified = xsign;
	}
	if (crypto_secret_put(k, s, name, secret, len, verified, err) == -1) {
		rc = -1;
		goto out;
	}
	/* A public key is no secret: the tests compare it. */
	log_info("crypto", "secret storage: %s unlocked (%s)%s%s", name,
	    verified ? "verified" : "not verified", pub != NULL ?
	    ", public key " : "", pub != NULL ? pub : "");
	json_array_append_new(unlocked, json_string(shortname));
	if (pub != NULL && !verified)
		(*unchecked)++;
out:
	if (secret != NULL)
		explicit_bzero(secret, len);
	free(secret);
	free(pub);
	json_decref(data);
	return rc;
}

/* "a, b and c" of an array of strings. */
static char *
crypto_ssss_list(const json_t *a)
{
	char	*s = xstrdup(""), *t;
	size_t	 i, n = json_array_size(a);

	for (i = 0; i < n; i++) {
		t = xasprintf("%s%s%s", s, i == 0 ? "" : i + 1 == n ?
		    " and " : ", ", json_string_value(json_array_get(a, i)));
		free(s);
		s = t;
	}
	return s;
}

int
crypto_ssss_unlock(struct crypto_keys *k, struct store *s, const char *input,
    int is_passphrase, char **report, struct haos_error *err)
{
	static const char *const names[] = CRYPTO_SSSS_NAMES;
	unsigned char	 key[CRYPTO_RECOVERY_KEY_LEN];
	json_t		*unlocked, *other;
	char		*kid = NULL, *u, *o;
	size_t		 i;
	int		 rc = -1, unchecked = 0;

	*report = NULL;
	if (crypto_ssss_open_key(s, input, is_passphrase, key, &kid,
	    err) == -1)
		return -1;
	unlocked = json_array();
	other = json_array();
	if (store_begin(s, err) == -1)
		goto out;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (crypto_ssss_take(k, s, names[i], kid, key, unlocked,
		    other, &unchecked, err) == -1) {
			store_rollback(s);
			goto out;
		}
	}
	if (store_commit(s, err) == -1)
		goto out;
	u = crypto_ssss_list(unlocked);
	o = crypto_ssss_list(other);
	if (json_array_size(unlocked) == 0)
		*report = xasprintf("secret storage opened, but it holds "
		    "nothing haos uses%s%s", *o != '\0' ? ": " : "", o);
	else
		*report = xasprintf("unlocked %s%s%s%s", u, unchecked > 0 ?
		    " (no published cross-signing keys to check them against "
		    "yet)" : "", *o != '\0' ? "; " : "", o);
	free(u);
	free(o);
	rc = 0;
out:
	explicit_bzero(key, sizeof key);
	free(kid);
	json_decref(unlocked);
	json_decref(other);
	return rc;
}

/* {"type": type, "content": content (taken)} appended to puts. */
static void
crypto_ssss_put(json_t *puts, const char *type, json_t *content)
{
	json_t	*o = json_object();

	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "content", content);
	json_array_append_new(puts, o);
}

int
crypto_ssss_create(struct crypto_keys *k, struct store *s,
    char **recovery_key, json_t **puts, struct haos_error *err)
{
	static const char *const names[] = CRYPTO_SSSS_NAMES;
	unsigned char	 key[CRYPTO_RECOVERY_KEY_LEN], idraw[18], *secret;
	json_t		*def, *desc, *enc, *o;
	char		*kid, *type;
	size_t		 i, len;
	int		 failed = 0, rc = -1, verified;

	*recovery_key = NULL;
	*puts = NULL;
	def = crypto_ssss_account_data(s, SSSS_DEFAULT, &failed, err);
	if (failed)
		return -1;
	if (json_get_str(def, "key", NULL) != NULL) {
		json_decref(def);
		haos_error_set(err, HAOS_EUSAGE, "this account already has "
		    "secret storage: /recovery opens it with its key");
		return -1;
	}
	crypto_random(key, sizeof key);
	crypto_random(idraw, sizeof idraw);
	kid = base64_url_encode(idraw, sizeof idraw);
	desc = crypto_ssss_describe(key, err);
	if (desc == NULL)
		goto out;
	json_object_set_new(desc, "name", json_string("haos recovery key"));
	*puts = json_array();
	type = xasprintf("%s%s", SSSS_KEY_PREFIX, kid);
	crypto_ssss_put(*puts, type, desc);
	free(type);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		failed = crypto_secret_get(k, s, names[i], &secret, &len,
		    &verified, err);
		if (failed == -1)
			goto out;
		if (failed == 0)
			continue;
		enc = crypto_ssss_encrypt(names[i], key, secret, len, err);
		explicit_bzero(secret, len);
		free(secret);
		if (enc == NULL)
			goto out;
		o = json_object();
		json_object_set_new(o, kid, enc);
		crypto_ssss_put(*puts, names[i], json_pack("{so}",
		    "encrypted", o));
	}
	crypto_ssss_put(*puts, SSSS_DEFAULT, json_pack("{ss}", "key", kid));
	*recovery_key = crypto_recovery_encode(key);
	log_info("crypto", "secret storage: new key %s made", kid);
	rc = 0;
out:
	if (rc == -1) {
		json_decref(*puts);
		*puts = NULL;
	}
	explicit_bzero(key, sizeof key);
	json_decref(def);
	free(kid);
	return rc;
}
