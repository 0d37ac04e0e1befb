/* Megolm group sessions, inbound (others' and ours) and outbound. */

/*
 * The libolm call discipline of crypto-account.c (E2EE.md 0.2).  libolm
 * overwrites the message olm_group_decrypt (and its _max_plaintext_length)
 * reads, the key olm_import_inbound_group_session reads and every pickle
 * it unpickles: it always gets a copy.  Session keys, exports, pickles
 * and plaintexts are wiped before they are freed here; sessions are
 * cleared (olm_clear_*) before they are freed.
 */
#include "haos/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <olm/olm.h>

#include "haos/error.h"
#include "haos/xmalloc.h"

#include "crypto-int.h"

struct crypto_megolm_in {
	OlmInboundGroupSession	*olm;
	void			*mem;
	char			*id;
};

struct crypto_megolm_out {
	OlmOutboundGroupSession	*olm;
	void			*mem;
	char			*id;
};

/* Record an engine error in err and *why: "what: NAME". */
static void
crypto_megolm_fail(const char *name, int code, enum crypto_fail *why,
    struct haos_error *err, const char *what)
{
	haos_error_set(err, HAOS_ECRYPTO, "%s: %s", what, name);
	snprintf(err->errcode, sizeof err->errcode, "OLM_%s", name);
	err->mx = MX_NONE;
	if (why != NULL)
		*why = crypto_engine_fail(code);
}

static void
crypto_megolm_in_fail(struct crypto_megolm_in *s, enum crypto_fail *why,
    struct haos_error *err, const char *what)
{
	crypto_megolm_fail(olm_inbound_group_session_last_error(s->olm),
	    olm_inbound_group_session_last_error_code(s->olm), why, err, what);
}

static void
crypto_megolm_out_fail(struct crypto_megolm_out *s, struct haos_error *err,
    const char *what)
{
	crypto_megolm_fail(olm_outbound_group_session_last_error(s->olm),
	    olm_outbound_group_session_last_error_code(s->olm), NULL, err,
	    what);
}

/* Wipe and free a secret string (a key, a pickle, a plaintext). */
static void
crypto_megolm_wipe(char *s, size_t len)
{
	if (s != NULL) {
		explicit_bzero(s, len);
		free(s);
	}
}

static struct crypto_megolm_in *
crypto_megolm_in_alloc(void)
{
	struct crypto_megolm_in	*s;

	s = xcalloc(1, sizeof *s);
	s->mem = xmalloc(olm_inbound_group_session_size());
	s->olm = olm_inbound_group_session(s->mem);
	return s;
}

static int
crypto_megolm_in_load_id(struct crypto_megolm_in *s, struct haos_error *err)
{
	size_t	 len;

	len = olm_inbound_group_session_id_length(s->olm);
	s->id = xmalloc(len + 1);
	if (olm_inbound_group_session_id(s->olm, (uint8_t *)s->id, len) ==
	    olm_error()) {
		crypto_megolm_in_fail(s, NULL, err, "group session id");
		return -1;
	}
	s->id[len] = '\0';
	return 0;
}

/* Make an inbound session from a sharing key (init) or export (import). */
static struct crypto_megolm_in *
crypto_megolm_in_make(const char *key, int import, struct haos_error *err)
{
	struct crypto_megolm_in	*s;
	char			*copy;
	size_t			 len, rc;

	s = crypto_megolm_in_alloc();
	len = strlen(key);
	copy = xstrdup(key);		/* import overwrites it */
	if (import)
		rc = olm_import_inbound_group_session(s->olm,
		    (uint8_t *)copy, len);
	else
		rc = olm_init_inbound_group_session(s->olm, (uint8_t *)copy,
		    len);
	crypto_megolm_wipe(copy, len);
	if (rc == olm_error()) {
		crypto_megolm_in_fail(s, NULL, err, import ?
		    "import group session" : "inbound group session");
		crypto_megolm_in_free(s);
		return NULL;
	}
	if (crypto_megolm_in_load_id(s, err) == -1) {
		crypto_megolm_in_free(s);
		return NULL;
	}
	return s;
}

struct crypto_megolm_in *
crypto_megolm_in_new(const char *session_key, struct haos_error *err)
{
	return crypto_megolm_in_make(session_key, 0, err);
}

struct crypto_megolm_in *
crypto_megolm_in_import(const char *exported, struct haos_error *err)
{
	return crypto_megolm_in_make(exported, 1, err);
}

const char *
crypto_megolm_in_id(const struct crypto_megolm_in *s)
{
	return s->id;
}

uint32_t
crypto_megolm_in_first_index(struct crypto_megolm_in *s)
{
	return olm_inbound_group_session_first_known_index(s->olm);
}

char *
crypto_megolm_in_decrypt(struct crypto_megolm_in *s, const char *body,
    size_t *len, uint32_t *index, enum crypto_fail *why,
    struct haos_error *err)
{
	char		*copy, *out;
	size_t		 blen, max, n;
	uint32_t	 idx;

	blen = strlen(body);
	copy = xstrdup(body);		/* overwritten by libolm */
	max = olm_group_decrypt_max_plaintext_length(s->olm,
	    (uint8_t *)copy, blen);
	free(copy);
	if (max == olm_error()) {
		crypto_megolm_in_fail(s, why, err, "group decrypt");
		return NULL;
	}
	out = xmalloc(max + 1);
	copy = xstrdup(body);
	n = olm_group_decrypt(s->olm, (uint8_t *)copy, blen, (uint8_t *)out,
	    max, &idx);
	free(copy);
	if (n == olm_error()) {
		crypto_megolm_in_fail(s, why, err, "group decrypt");
		crypto_megolm_wipe(out, max + 1);
		return NULL;
	}
	out[n] = '\0';
	if (len != NULL)
		*len = n;
	if (index != NULL)
		*index = idx;
	return out;
}

char *
crypto_megolm_in_export(struct crypto_megolm_in *s, uint32_t index,
    struct haos_error *err)
{
	char	*buf;
	size_t	 len;

	len = olm_export_inbound_group_session_length(s->olm);
	buf = xmalloc(len + 1);
	if (olm_export_inbound_group_session(s->olm, (uint8_t *)buf, len,
	    index) == olm_error()) {
		crypto_megolm_in_fail(s, NULL, err, "export group session");
		crypto_megolm_wipe(buf, len + 1);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

char *
crypto_megolm_in_pickle(struct crypto_megolm_in *s,
    const unsigned char key[CRYPTO_PICKLE_KEY_LEN], struct haos_error *err)
{
	char	*buf;
	size_t	 len;

	len = olm_pickle_inbound_group_session_length(s->olm);
	buf = xmalloc(len + 1);
	if (olm_pickle_inbound_group_session(s->olm, key,
	    CRYPTO_PICKLE_KEY_LEN, buf, len) == olm_error()) {
		crypto_megolm_in_fail(s, NULL, err, "pickle group session");
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

struct crypto_megolm_in *
crypto_megolm_in_unpickle(const char *pickle,
    const unsigned char key[CRYPTO_PICKLE_KEY_LEN], enum crypto_fail *why,
    struct haos_error *err)
{
	struct crypto_megolm_in	*s;
	char			*copy;
	size_t			 len, rc;

	s = crypto_megolm_in_alloc();
	len = strlen(pickle);
	copy = xstrdup(pickle);		/* overwritten by libolm */
	rc = olm_unpickle_inbound_group_session(s->olm, key,
	    CRYPTO_PICKLE_KEY_LEN, copy, len);
	crypto_megolm_wipe(copy, len);
	if (rc == olm_error() || crypto_megolm_in_load_id(s, err) == -1) {
		if (rc == olm_error())
			crypto_megolm_in_fail(s, NULL, err,
			    "unpickle group session");
		/* A pickle that does not open is a wrong key or tampered. */
		if (why != NULL)
			*why = CRYPTO_FAIL_BAD_KEY;
		crypto_megolm_in_free(s);
		return NULL;
	}
	return s;
}

void
crypto_megolm_in_free(struct crypto_megolm_in *s)
{
	if (s == NULL)
		return;
	olm_clear_inbound_group_session(s->olm);
	free(s->mem);
	free(s->id);
	free(s);
}

static struct crypto_megolm_out *
crypto_megolm_out_alloc(void)
{
	struct crypto_megolm_out	*s;

	s = xcalloc(1, sizeof *s);
	s->mem = xmalloc(olm_outbound_group_session_size());
	s->olm = olm_outbound_group_session(s->mem);
	return s;
}

static int
crypto_megolm_out_load_id(struct crypto_megolm_out *s,
    struct haos_error *err)
{
	size_t	 len;

	len = olm_outbound_group_session_id_length(s->olm);
	s->id = xmalloc(len + 1);
	if (olm_outbound_group_session_id(s->olm, (uint8_t *)s->id, len) ==
	    olm_error()) {
		crypto_megolm_out_fail(s, err, "group session id");
		return -1;
	}
	s->id[len] = '\0';
	return 0;
}

struct crypto_megolm_out *
crypto_megolm_out_new(struct haos_error *err)
{
	struct crypto_megolm_out	*s;
	unsigned char			*rnd;
	size_t				 n, rc;

	s = crypto_megolm_out_alloc();
	n = olm_init_outbound_group_session_random_length(s->olm);
	rnd = crypto_engine_random(n);
	rc = olm_init_outbound_group_session(s->olm, rnd, n);
	crypto_engine_random_free(rnd, n);
	if (rc == olm_error()) {
		crypto_megolm_out_fail(s, err, "outbound group session");
		crypto_megolm_out_free(s);
		return NULL;
	}
	if (crypto_megolm_out_load_id(s, err) == -1) {
		crypto_megolm_out_free(s);
		return NULL;
	}
	return s;
}

const char *
crypto_megolm_out_id(const struct crypto_megolm_out *s)
{
	return s->id;
}

uint32_t
crypto_megolm_out_index(struct crypto_megolm_out *s)
{
	return olm_outbound_group_session_message_index(s->olm);
}

char *
crypto_megolm_out_key(struct crypto_megolm_out *s, struct haos_error *err)
{
	char	*buf;
	size_t	 len;

	len = olm_outbound_group_session_key_length(s->olm);
	buf = xmalloc(len + 1);
	if (olm_outbound_group_session_key(s->olm, (uint8_t *)buf, len) ==
	    olm_error()) {
		crypto_megolm_out_fail(s, err, "group session key");
		crypto_megolm_wipe(buf, len + 1);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

char *
crypto_megolm_out_encrypt(struct crypto_megolm_out *s, const char *plaintext,
    size_t len, struct haos_error *err)
{
	char	*buf;
	size_t	 mlen, n;

	mlen = olm_group_encrypt_message_length(s->olm, len);
	buf = xmalloc(mlen + 1);
	n = olm_group_encrypt(s->olm, (const uint8_t *)plaintext, len,
	    (uint8_t *)buf, mlen);
	if (n == olm_error()) {
		crypto_megolm_out_fail(s, err, "group encrypt");
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

char *
crypto_megolm_out_pickle(struct crypto_megolm_out *s,
    const unsigned char key[CRYPTO_PICKLE_KEY_LEN], struct haos_error *err)
{
	char	*buf;
	size_t	 len;

	len = olm_pickle_outbound_group_session_length(s->olm);
	buf = xmalloc(len + 1);
	if (olm_pickle_outbound_group_session(s->olm, key,
	    CRYPTO_PICKLE_KEY_LEN, buf, len) == olm_error()) {
		crypto_megolm_out_fail(s, err, "pickle group session");
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

struct crypto_megolm_out *
crypto_megolm_out_unpickle(const char *pickle,
    const unsigned char key[CRYPTO_PICKLE_KEY_LEN], enum crypto_fail *why,
    struct haos_error *err)
{
	struct crypto_megolm_out	*s;
	char				*copy;
	size_t				 len, rc;

	s = crypto_megolm_out_alloc();
	len = strlen(pickle);
	copy = xstrdup(pickle);		/* overwritten by libolm */
	rc = olm_unpickle_outbound_group_session(s->olm, key,
	    CRYPTO_PICKLE_KEY_LEN, copy, len);
	crypto_megolm_wipe(copy, len);
	if (rc == olm_error() || crypto_megolm_out_load_id(s, err) == -1) {
		if (rc == olm_error())
			crypto_megolm_out_fail(s, err,
			    "unpickle group session");
		/* A pickle that does not open is a wrong key or tampered. */
		if (why != NULL)
			*why = CRYPTO_FAIL_BAD_KEY;
		crypto_megolm_out_free(s);
		return NULL;
	}
	return s;
}

void
crypto_megolm_out_free(struct crypto_megolm_out *s)
{
	if (s == NULL)
		return;
	olm_clear_outbound_group_session(s->olm);
	free(s->mem);
	free(s->id);
	free(s);
}
