/* The SAS engine: libolm's olm_sas behind crypto-int.h (E2EE.md Step 8). */

/*
 * The libolm call discipline (E2EE.md 0.2): lengths from the _length()
 * functions, buffers one byte longer and NUL-terminated here, results
 * compared with olm_error().  olm_sas_set_their_key() overwrites its
 * input: it gets a copy.  The 32 random bytes of the ephemeral key come
 * from crypto_random() (crypto_engine_random(), which asserts they are
 * not all zero: the mtxclient pitfall of E2EE.md 0.1) and are wiped;
 * the object is cleared (olm_clear_sas) before it is freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <olm/olm.h>
#include <olm/sas.h>

#include "haos/error.h"
#include "haos/xmalloc.h"

#include "crypto-int.h"

struct crypto_sas_engine {
	OlmSAS		*olm;
	void		*mem;
	char		*pubkey;
};

static void
crypto_sas_engine_fail(struct crypto_sas_engine *e, struct haos_error *err,
    const char *what)
{
	const char	*name;

	name = olm_sas_last_error(e->olm);
	haos_error_set(err, HAOS_ECRYPTO, "%s: %s", what, name);
	snprintf(err->errcode, sizeof err->errcode, "OLM_%s", name);
	err->mx = MX_NONE;
}

void
crypto_sas_engine_free(struct crypto_sas_engine *e)
{
	if (e == NULL)
		return;
	olm_clear_sas(e->olm);
	free(e->mem);
	free(e->pubkey);
	free(e);
}

struct crypto_sas_engine *
crypto_sas_engine_from(const unsigned char *rnd, size_t n,
    struct haos_error *err)
{
	struct crypto_sas_engine	*e;
	unsigned char			*copy;
	size_t				 len;

	e = xcalloc(1, sizeof *e);
	e->mem = xmalloc(olm_sas_size());
	e->olm = olm_sas(e->mem);
	copy = xmalloc(n > 0 ? n : 1);
	memcpy(copy, rnd, n);
	len = olm_create_sas(e->olm, copy, n);
	explicit_bzero(copy, n);
	free(copy);
	if (len == olm_error()) {
		crypto_sas_engine_fail(e, err, "create SAS");
		crypto_sas_engine_free(e);
		return NULL;
	}
	len = olm_sas_pubkey_length(e->olm);
	e->pubkey = xmalloc(len + 1);
	if (olm_sas_get_pubkey(e->olm, e->pubkey, len) == olm_error()) {
		crypto_sas_engine_fail(e, err, "SAS public key");
		crypto_sas_engine_free(e);
		return NULL;
	}
	e->pubkey[len] = '\0';
	return e;
}

struct crypto_sas_engine *
crypto_sas_engine_new(struct haos_error *err)
{
	struct crypto_sas_engine	*e;
	unsigned char			*rnd;
	size_t				 n;
	void				*mem;

	/* The length function wants an object; any will do. */
	mem = xmalloc(olm_sas_size());
	n = olm_create_sas_random_length(olm_sas(mem));
	free(mem);
	rnd = crypto_engine_random(n);
	e = crypto_sas_engine_from(rnd, n, err);
	crypto_engine_random_free(rnd, n);
	return e;
}

const char *
crypto_sas_engine_pubkey(const struct crypto_sas_engine *e)
{
	return e->pubkey;
}

int
crypto_sas_engine_set_their_key(struct crypto_sas_engine *e,
    const char *key, struct haos_error *err)
{
	char	*copy;
	size_t	 rc;

	copy = xstrdup(key);
	rc = olm_sas_set_their_key(e->olm, copy, strlen(copy));
	free(copy);
	if (rc == olm_error()) {
		crypto_sas_engine_fail(e, err, "SAS their key");
		return -1;
	}
	return 0;
}

int
crypto_sas_engine_bytes(struct crypto_sas_engine *e, const char *info,
    unsigned char *out, size_t n, struct haos_error *err)
{
	if (olm_sas_generate_bytes(e->olm, info, strlen(info), out, n) ==
	    olm_error()) {
		crypto_sas_engine_fail(e, err, "SAS bytes");
		return -1;
	}
	return 0;
}

char *
crypto_sas_engine_mac(struct crypto_sas_engine *e, const char *input,
    const char *info, int v2, struct haos_error *err)
{
	char	*mac;
	size_t	 len, rc;

	len = olm_sas_mac_length(e->olm);
	mac = xmalloc(len + 1);
	if (v2)
		rc = olm_sas_calculate_mac_fixed_base64(e->olm, input,
		    strlen(input), info, strlen(info), mac, len);
	else
		rc = olm_sas_calculate_mac(e->olm, input, strlen(input), info,
		    strlen(info), mac, len);
	if (rc == olm_error()) {
		crypto_sas_engine_fail(e, err, "SAS MAC");
		free(mac);
		return NULL;
	}
	mac[len] = '\0';
	return mac;
}

char *
crypto_sas_engine_sha256(const char *msg, size_t len)
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
	olm_clear_utility(u);
	free(mem);
	return out;
}
