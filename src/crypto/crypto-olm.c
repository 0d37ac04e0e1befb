/* Olm sessions: the pairwise ratchet with one device, through libolm. */

/*
 * The libolm call discipline of crypto-account.c (E2EE.md 0.2): every
 * output's length from its _length() function, a buffer one byte longer
 * NUL-terminated here, every result compared with olm_error(), and the
 * error code turned into an enum crypto_fail.  libolm overwrites the
 * messages it reads (decrypt, matches, inbound) and the pickles it
 * unpickles: it is always given a copy, so callers' buffers never
 * change.  Plaintexts and pickles are wiped before they are freed here;
 * the session is cleared (olm_clear_session) before it is freed.
 */
#include "haos/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <olm/olm.h>

#include "haos/error.h"
#include "haos/xmalloc.h"

#include "crypto-int.h"

struct crypto_olm {
	OlmSession	*olm;
	void		*mem;
	char		*id;		/* olm_session_id, base64 */
};

/* Record the session's last error in err and *why: "what: NAME". */
static void
crypto_olm_fail(struct crypto_olm *s, enum crypto_fail *why,
    struct haos_error *err, const char *what)
{
	const char	*name;

	name = olm_session_last_error(s->olm);
	haos_error_set(err, HAOS_ECRYPTO, "%s: %s", what, name);
	snprintf(err->errcode, sizeof err->errcode, "OLM_%s", name);
	err->mx = MX_NONE;
	if (why != NULL)
		*why = crypto_engine_fail(olm_session_last_error_code(s->olm));
}

static struct crypto_olm *
crypto_olm_alloc(void)
{
	struct crypto_olm	*s;

	s = xcalloc(1, sizeof *s);
	s->mem = xmalloc(olm_session_size());
	s->olm = olm_session(s->mem);
	return s;
}

/* Read the session id, once the session exists. */
static int
crypto_olm_load_id(struct crypto_olm *s, struct haos_error *err)
{
	size_t	 len;

	len = olm_session_id_length(s->olm);
	s->id = xmalloc(len + 1);
	if (olm_session_id(s->olm, s->id, len) == olm_error()) {
		crypto_olm_fail(s, NULL, err, "session id");
		return -1;
	}
	s->id[len] = '\0';
	return 0;
}

struct crypto_olm *
crypto_olm_outbound(struct crypto_account *a, const char *their_curve25519,
    const char *their_otk, struct haos_error *err)
{
	struct crypto_olm	*s;
	unsigned char		*rnd;
	size_t			 n, rc;

	s = crypto_olm_alloc();
	n = olm_create_outbound_session_random_length(s->olm);
	rnd = crypto_engine_random(n);
	rc = olm_create_outbound_session(s->olm, crypto_account_engine(a),
	    their_curve25519, strlen(their_curve25519), their_otk,
	    strlen(their_otk), rnd, n);
	crypto_engine_random_free(rnd, n);
	if (rc == olm_error()) {
		crypto_olm_fail(s, NULL, err, "outbound session");
		crypto_olm_free(s);
		return NULL;
	}
	if (crypto_olm_load_id(s, err) == -1) {
		crypto_olm_free(s);
		return NULL;
	}
	return s;
}

struct crypto_olm *
crypto_olm_inbound(struct crypto_account *a, const char *their_curve25519,
    const char *prekey_body, enum crypto_fail *why, struct haos_error *err)
{
	struct crypto_olm	*s;
	char			*copy;
	size_t			 len, rc;

	s = crypto_olm_alloc();
	len = strlen(prekey_body);
	copy = xstrdup(prekey_body);	/* overwritten by libolm */
	rc = olm_create_inbound_session_from(s->olm,
	    crypto_account_engine(a), their_curve25519,
	    strlen(their_curve25519), copy, len);
	free(copy);
	if (rc == olm_error()) {
		crypto_olm_fail(s, why, err, "inbound session");
		crypto_olm_free(s);
		return NULL;
	}
	if (crypto_olm_load_id(s, err) == -1) {
		if (why != NULL)
			*why = CRYPTO_FAIL_OTHER;
		crypto_olm_free(s);
		return NULL;
	}
	return s;
}

int
crypto_olm_matches(struct crypto_olm *s, const char *their_curve25519,
    const char *prekey_body)
{
	char	*copy;
	size_t	 len, rc;

	len = strlen(prekey_body);
	copy = xstrdup(prekey_body);	/* overwritten by libolm */
	rc = olm_matches_inbound_session_from(s->olm, their_curve25519,
	    strlen(their_curve25519), copy, len);
	free(copy);
	return rc == 1;
}

char *
crypto_olm_decrypt(struct crypto_olm *s, int type, const char *body,
    size_t *len, enum crypto_fail *why, struct haos_error *err)
{
	char	*copy, *out;
	size_t	 blen, max, n;

	if (type != OLM_MESSAGE_TYPE_PRE_KEY &&
	    type != OLM_MESSAGE_TYPE_MESSAGE) {
		haos_error_set(err, HAOS_ECRYPTO, "decrypt: message type %d",
		    type);
		if (why != NULL)
			*why = CRYPTO_FAIL_BAD_MESSAGE;
		return NULL;
	}
	blen = strlen(body);
	copy = xstrdup(body);		/* overwritten by libolm */
	max = olm_decrypt_max_plaintext_length(s->olm, type, copy, blen);
	free(copy);
	if (max == olm_error()) {
		crypto_olm_fail(s, why, err, "decrypt");
		return NULL;
	}
	out = xmalloc(max + 1);
	copy = xstrdup(body);
	n = olm_decrypt(s->olm, type, copy, blen, out, max);
	free(copy);
	if (n == olm_error()) {
		crypto_olm_fail(s, why, err, "decrypt");
		explicit_bzero(out, max + 1);
		free(out);
		return NULL;
	}
	out[n] = '\0';
	if (len != NULL)
		*len = n;
	return out;
}

int
crypto_olm_encrypt(struct crypto_olm *s, const char *plaintext, size_t len,
    char **body, struct haos_error *err)
{
	unsigned char	*rnd;
	char		*out;
	size_t		 type, n, mlen, rc;

	*body = NULL;
	type = olm_encrypt_message_type(s->olm);
	if (type == olm_error()) {
		crypto_olm_fail(s, NULL, err, "encrypt");
		return -1;
	}
	n = olm_encrypt_random_length(s->olm);
	mlen = olm_encrypt_message_length(s->olm, len);
	out = xmalloc(mlen + 1);
	rnd = crypto_engine_random(n);
	rc = olm_encrypt(s->olm, plaintext, len, rnd, n, out, mlen);
	crypto_engine_random_free(rnd, n);
	if (rc == olm_error()) {
		crypto_olm_fail(s, NULL, err, "encrypt");
		free(out);
		return -1;
	}
	out[rc] = '\0';
	*body = out;
	return (int)type;
}

const char *
crypto_olm_id(const struct crypto_olm *s)
{
	return s->id;
}

int
crypto_olm_has_received(struct crypto_olm *s)
{
	return olm_session_has_received_message(s->olm) != 0;
}

char *
crypto_olm_pickle(struct crypto_olm *s,
    const unsigned char key[CRYPTO_PICKLE_KEY_LEN], struct haos_error *err)
{
	char	*buf;
	size_t	 len;

	len = olm_pickle_session_length(s->olm);
	buf = xmalloc(len + 1);
	if (olm_pickle_session(s->olm, key, CRYPTO_PICKLE_KEY_LEN, buf,
	    len) == olm_error()) {
		crypto_olm_fail(s, NULL, err, "pickle session");
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

struct crypto_olm *
crypto_olm_unpickle(const char *pickle,
    const unsigned char key[CRYPTO_PICKLE_KEY_LEN], enum crypto_fail *why,
    struct haos_error *err)
{
	struct crypto_olm	*s;
	char			*copy;
	size_t			 len, rc;

	s = crypto_olm_alloc();
	len = strlen(pickle);
	copy = xstrdup(pickle);		/* overwritten by libolm */
	rc = olm_unpickle_session(s->olm, key, CRYPTO_PICKLE_KEY_LEN, copy,
	    len);
	explicit_bzero(copy, len);
	free(copy);
	if (rc == olm_error()) {
		crypto_olm_fail(s, NULL, err, "unpickle session");
		/* A pickle that does not open is a wrong key or tampered. */
		if (why != NULL)
			*why = CRYPTO_FAIL_BAD_KEY;
		crypto_olm_free(s);
		return NULL;
	}
	if (crypto_olm_load_id(s, err) == -1) {
		if (why != NULL)
			*why = CRYPTO_FAIL_BAD_KEY;
		crypto_olm_free(s);
		return NULL;
	}
	return s;
}

void
crypto_olm_free(struct crypto_olm *s)
{
	if (s == NULL)
		return;
	olm_clear_session(s->olm);
	free(s->mem);
	free(s->id);
	free(s);
}

char *
crypto_engine_digest(const char *msg, size_t len)
{
	OlmUtility	*u;
	void		*mem;
	char		*out;
	size_t		 n;

	mem = xmalloc(olm_utility_size());
	u = olm_utility(mem);
	n = olm_sha256_length(u);
	out = xmalloc(n + 1);
	if (olm_sha256(u, msg, len, out, n) == olm_error())
		n = 0;		/* only with a short output buffer */
	out[n] = '\0';
	if (n > 16)
		out[16] = '\0';
	olm_clear_utility(u);
	free(mem);
	return out;
}

int
crypto_account_remove_otks(struct crypto_account *a, struct crypto_olm *s,
    struct haos_error *err)
{
	OlmAccount	*acct;

	acct = crypto_account_engine(a);
	if (olm_remove_one_time_keys(acct, s->olm) == olm_error()) {
		haos_error_set(err, HAOS_ECRYPTO, "remove one-time keys: %s",
		    olm_account_last_error(acct));
		snprintf(err->errcode, sizeof err->errcode, "OLM_%s",
		    olm_account_last_error(acct));
		err->mx = MX_NONE;
		return -1;
	}
	return 0;
}
