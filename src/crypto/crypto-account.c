/* The device's Olm account: identity keys, one-time and fallback keys. */

/*
 * The libolm call discipline (E2EE.md 0.2), for every call: the output
 * length from its _length() function, a buffer one byte longer, the
 * result compared with olm_error(), the error code recorded in
 * haos_error (errcode holds its name), and the output NUL-terminated
 * here (libolm never does).  Inputs libolm overwrites (a pickle being
 * read) are copies.  Random buffers come from crypto_random() and are
 * wiped after use; the account is wiped (olm_clear_account) before it is
 * freed.
 */
#include "haos/crypto.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <olm/olm.h>

#include "haos/error.h"
#include "haos/xmalloc.h"

#include "crypto-int.h"

struct crypto_account {
	OlmAccount	*olm;
	void		*mem;
	char		*curve25519;
	char		*ed25519;
};

/* Record the account's last libolm error in err: "what: NAME". */
static void
crypto_account_fail(struct crypto_account *a, struct haos_error *err,
    const char *what)
{
	const char	*name;

	name = olm_account_last_error(a->olm);
	haos_error_set(err, HAOS_ECRYPTO, "%s: %s", what, name);
	snprintf(err->errcode, sizeof err->errcode, "OLM_%s", name);
	err->mx = MX_NONE;
}

/*
 * n random bytes for libolm (NULL for none); an all-zero buffer of a
 * useful size cannot come from getrandom and would make every key the
 * same (the mtxclient SAS pitfall): asserted.
 */
unsigned char *
crypto_engine_random(size_t n)
{
	unsigned char	*r;
	size_t		 i;

	if (n == 0)
		return NULL;
	r = xmalloc(n);
	crypto_random(r, n);
	for (i = 0; i < n && r[i] == 0; i++)
		;
	assert(n < 16 || i < n);
	return r;
}

void
crypto_engine_random_free(unsigned char *r, size_t n)
{
	if (r != NULL) {
		explicit_bzero(r, n);
		free(r);
	}
}

/* The engine-neutral reason for a libolm error code. */
enum crypto_fail
crypto_engine_fail(int code)
{
	switch (code) {
	case OLM_BAD_MESSAGE_MAC:
	case OLM_BAD_SIGNATURE:		/* a Megolm message of another key */
		return CRYPTO_FAIL_BAD_MAC;
	case OLM_BAD_MESSAGE_KEY_ID:
		return CRYPTO_FAIL_BAD_KEY_ID;
	case OLM_UNKNOWN_MESSAGE_INDEX:
		return CRYPTO_FAIL_UNKNOWN_INDEX;
	case OLM_BAD_ACCOUNT_KEY:
	case OLM_CORRUPTED_PICKLE:
	case OLM_UNKNOWN_PICKLE_VERSION:
	case OLM_PICKLE_EXTRA_DATA:
		return CRYPTO_FAIL_BAD_KEY;
	case OLM_BAD_MESSAGE_VERSION:
	case OLM_BAD_MESSAGE_FORMAT:
	case OLM_INVALID_BASE64:
	case OLM_INPUT_BUFFER_TOO_SMALL:
		return CRYPTO_FAIL_BAD_MESSAGE;
	default:
		return CRYPTO_FAIL_OTHER;
	}
}

void *
crypto_account_engine(struct crypto_account *a)
{
	return a->olm;
}

static struct crypto_account *
crypto_account_alloc(void)
{
	struct crypto_account	*a;

	a = xcalloc(1, sizeof *a);
	a->mem = xmalloc(olm_account_size());
	a->olm = olm_account(a->mem);
	return a;
}

/* Read the identity keys into the account, once it exists. */
static int
crypto_account_load_identity(struct crypto_account *a, struct haos_error *err)
{
	json_t	*keys;
	char	*buf;
	size_t	 len;

	len = olm_account_identity_keys_length(a->olm);
	buf = xmalloc(len + 1);
	if (olm_account_identity_keys(a->olm, buf, len) == olm_error()) {
		crypto_account_fail(a, err, "identity keys");
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	keys = json_loads(buf, 0, NULL);
	free(buf);
	if (json_get_str(keys, "curve25519", NULL) == NULL ||
	    json_get_str(keys, "ed25519", NULL) == NULL) {
		json_decref(keys);
		haos_error_set(err, HAOS_ECRYPTO, "identity keys: unreadable");
		return -1;
	}
	a->curve25519 = xstrdup(json_get_str(keys, "curve25519", NULL));
	a->ed25519 = xstrdup(json_get_str(keys, "ed25519", NULL));
	json_decref(keys);
	return 0;
}

struct crypto_account *
crypto_account_new(struct haos_error *err)
{
	struct crypto_account	*a;
	unsigned char		*rnd;
	size_t			 n, rc;

	a = crypto_account_alloc();
	n = olm_create_account_random_length(a->olm);
	rnd = crypto_engine_random(n);
	rc = olm_create_account(a->olm, rnd, n);
	crypto_engine_random_free(rnd, n);
	if (rc == olm_error()) {
		crypto_account_fail(a, err, "create account");
		crypto_account_free(a);
		return NULL;
	}
	if (crypto_account_load_identity(a, err) == -1) {
		crypto_account_free(a);
		return NULL;
	}
	return a;
}

struct crypto_account *
crypto_account_unpickle(const char *pickle,
    const unsigned char key[CRYPTO_PICKLE_KEY_LEN], struct haos_error *err)
{
	struct crypto_account	*a;
	char			*copy;
	size_t			 rc, len;

	a = crypto_account_alloc();
	len = strlen(pickle);
	copy = xstrdup(pickle);		/* olm_unpickle_account overwrites */
	rc = olm_unpickle_account(a->olm, key, CRYPTO_PICKLE_KEY_LEN, copy,
	    len);
	explicit_bzero(copy, len);
	free(copy);
	if (rc == olm_error()) {
		crypto_account_fail(a, err, "unpickle account");
		crypto_account_free(a);
		return NULL;
	}
	if (crypto_account_load_identity(a, err) == -1) {
		crypto_account_free(a);
		return NULL;
	}
	return a;
}

char *
crypto_account_pickle(struct crypto_account *a,
    const unsigned char key[CRYPTO_PICKLE_KEY_LEN], struct haos_error *err)
{
	char	*buf;
	size_t	 len;

	len = olm_pickle_account_length(a->olm);
	buf = xmalloc(len + 1);
	if (olm_pickle_account(a->olm, key, CRYPTO_PICKLE_KEY_LEN, buf,
	    len) == olm_error()) {
		crypto_account_fail(a, err, "pickle account");
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

void
crypto_account_free(struct crypto_account *a)
{
	if (a == NULL)
		return;
	olm_clear_account(a->olm);
	free(a->mem);
	free(a->curve25519);
	free(a->ed25519);
	free(a);
}

const char *
crypto_account_curve25519(const struct crypto_account *a)
{
	return a->curve25519;
}

const char *
crypto_account_ed25519(const struct crypto_account *a)
{
	return a->ed25519;
}

char *
crypto_account_sign(struct crypto_account *a, const void *msg, size_t len,
    struct haos_error *err)
{
	char	*sig;
	size_t	 n;

	n = olm_account_signature_length(a->olm);
	sig = xmalloc(n + 1);
	if (olm_account_sign(a->olm, msg, len, sig, n) == olm_error()) {
		crypto_account_fail(a, err, "sign");
		free(sig);
		return NULL;
	}
	sig[n] = '\0';
	return sig;
}

size_t
crypto_account_max_otks(struct crypto_account *a)
{
	return olm_account_max_number_of_one_time_keys(a->olm);
}

int
crypto_account_generate_otks(struct crypto_account *a, size_t count,
    struct haos_error *err)
{
	unsigned char	*rnd;
	size_t		 n, rc;

	n = olm_account_generate_one_time_keys_random_length(a->olm, count);
	rnd = crypto_engine_random(n);
	rc = olm_account_generate_one_time_keys(a->olm, count, rnd, n);
	crypto_engine_random_free(rnd, n);
	if (rc == olm_error()) {
		crypto_account_fail(a, err, "generate one-time keys");
		return -1;
	}
	return 0;
}

int
crypto_account_generate_fallback(struct crypto_account *a,
    struct haos_error *err)
{
	unsigned char	*rnd;
	size_t		 n, rc;

	n = olm_account_generate_fallback_key_random_length(a->olm);
	rnd = crypto_engine_random(n);
	rc = olm_account_generate_fallback_key(a->olm, rnd, n);
	crypto_engine_random_free(rnd, n);
	if (rc == olm_error()) {
		crypto_account_fail(a, err, "generate fallback key");
		return -1;
	}
	return 0;
}

/* {"curve25519": {id: key}} from libolm, as {id: key}. */
static json_t *
crypto_account_keys(char *buf, size_t len, struct haos_error *err)
{
	json_t	*all, *keys;

	buf[len] = '\0';
	all = json_loads(buf, 0, NULL);
	keys = json_get_obj(all, "curve25519");
	if (keys == NULL) {
		json_decref(all);
		haos_error_set(err, HAOS_ECRYPTO, "one-time keys: unreadable");
		return NULL;
	}
	json_incref(keys);
	json_decref(all);
	return keys;
}

json_t *
crypto_account_otks(struct crypto_account *a, struct haos_error *err)
{
	json_t	*keys;
	char	*buf;
	size_t	 len;

	len = olm_account_one_time_keys_length(a->olm);
	buf = xmalloc(len + 1);
	if (olm_account_one_time_keys(a->olm, buf, len) == olm_error()) {
		crypto_account_fail(a, err, "one-time keys");
		free(buf);
		return NULL;
	}
	keys = crypto_account_keys(buf, len, err);
	free(buf);
	return keys;
}

json_t *
crypto_account_fallback(struct crypto_account *a, struct haos_error *err)
{
	json_t	*keys;
	char	*buf;
	size_t	 len;

	len = olm_account_unpublished_fallback_key_length(a->olm);
	buf = xmalloc(len + 1);
	if (olm_account_unpublished_fallback_key(a->olm, buf, len) ==
	    olm_error()) {
		crypto_account_fail(a, err, "fallback key");
		free(buf);
		return NULL;
	}
	keys = crypto_account_keys(buf, len, err);
	free(buf);
	return keys;
}

void
crypto_account_mark_published(struct crypto_account *a)
{
	olm_account_mark_keys_as_published(a->olm);
}
