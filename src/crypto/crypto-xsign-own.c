/* Our own cross-signing keys: made, used to sign, never logged (Step 7). */

/*
 * The three private keys of our identity are ed25519 seeds of 32 bytes
 * (olm_pk_signing): the master key (MSK) signs the other two, the
 * self-signing key (SSK) signs our devices, the user-signing key (USK)
 * signs other users' master keys.  They live in a struct
 * crypto_xsign_own, wiped when freed; each signature makes a signing
 * object from the seed, signs and clears it.  The seeds are never
 * logged and never leave src/crypto/ but through crypto_xsign_own_seed()
 * (for sealing them into the secrets table).
 */
#include "haos/crypto.h"

#include <stdlib.h>
#include <string.h>

#include <olm/olm.h>
#include <olm/pk.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/xmalloc.h"

struct crypto_xsign_own {
	unsigned char	 seed[CRYPTO_XSIGN_NKEYS][CRYPTO_XSIGN_SEED_LEN];
	char		*pub[CRYPTO_XSIGN_NKEYS];	/* unpadded base64 */
};

static const char *const crypto_xsign_own_usage[CRYPTO_XSIGN_NKEYS] = {
	"master", "self_signing", "user_signing"
};

/*
 * The signing object of seed, in mem (olm_pk_signing_size() bytes), its
 * public key in *pub if pub is not NULL; NULL with err on failure.
 */
static OlmPkSigning *
crypto_xsign_own_engine(void *mem, const unsigned char *seed, char **pub,
    struct haos_error *err)
{
	OlmPkSigning	*k;
	unsigned char	 copy[CRYPTO_XSIGN_SEED_LEN];
	size_t		 plen, rc;
	char		*p;

	if (olm_pk_signing_seed_length() != CRYPTO_XSIGN_SEED_LEN) {
		haos_error_set(err, HAOS_ECRYPTO, "unexpected seed length");
		return NULL;
	}
	k = olm_pk_signing(mem);
	plen = olm_pk_signing_public_key_length();
	p = xmalloc(plen + 1);
	memcpy(copy, seed, sizeof copy);
	rc = olm_pk_signing_key_from_seed(k, p, plen, copy, sizeof copy);
	explicit_bzero(copy, sizeof copy);
	if (rc == olm_error()) {
		haos_error_set(err, HAOS_ECRYPTO, "signing key: %s",
		    olm_pk_signing_last_error(k));
		olm_clear_pk_signing(k);
		free(p);
		return NULL;
	}
	p[plen] = '\0';
	if (pub != NULL)
		*pub = p;
	else
		free(p);
	return k;
}

/* Our keys from three seeds (MSK, SSK, USK), or NULL with err. */
struct crypto_xsign_own *
crypto_xsign_own_from_seeds(
    const unsigned char seeds[CRYPTO_XSIGN_NKEYS][CRYPTO_XSIGN_SEED_LEN],
    struct haos_error *err)
{
	struct crypto_xsign_own	*o;
	OlmPkSigning		*k;
	void			*mem;
	int			 i;

	o = xcalloc(1, sizeof *o);
	mem = xmalloc(olm_pk_signing_size());
	for (i = 0; i < CRYPTO_XSIGN_NKEYS; i++) {
		memcpy(o->seed[i], seeds[i], CRYPTO_XSIGN_SEED_LEN);
		k = crypto_xsign_own_engine(mem, o->seed[i], &o->pub[i], err);
		if (k == NULL) {
			free(mem);
			crypto_xsign_own_free(o);
			return NULL;
		}
		olm_clear_pk_signing(k);
	}
	free(mem);
	return o;
}

/* A new identity: three seeds from crypto_random(). */
struct crypto_xsign_own *
crypto_xsign_own_new(struct haos_error *err)
{
	unsigned char		 seeds[CRYPTO_XSIGN_NKEYS][CRYPTO_XSIGN_SEED_LEN];
	struct crypto_xsign_own	*o;

	crypto_random(seeds, sizeof seeds);
	o = crypto_xsign_own_from_seeds((const unsigned char (*)
	    [CRYPTO_XSIGN_SEED_LEN])seeds, err);
	explicit_bzero(seeds, sizeof seeds);
	return o;
}

void
crypto_xsign_own_free(struct crypto_xsign_own *o)
{
	int	 i;

	if (o == NULL)
		return;
	for (i = 0; i < CRYPTO_XSIGN_NKEYS; i++)
		free(o->pub[i]);
	explicit_bzero(o, sizeof *o);
	free(o);
}

const char *
crypto_xsign_own_public(const struct crypto_xsign_own *o, int which)
{
	return o->pub[which];
}

const unsigned char *
crypto_xsign_own_seed(const struct crypto_xsign_own *o, int which)
{
	return o->seed[which];
}

/*
 * Sign obj (canonical JSON, top-level signatures and unsigned left out)
 * with our key which, under user_id's "ed25519:<public key>"; other
 * signatures are kept.
 */
int
crypto_xsign_own_sign(struct crypto_xsign_own *o, int which, json_t *obj,
    const char *user_id, struct haos_error *err)
{
	OlmPkSigning	*k;
	json_t		*sigs, *mine;
	void		*mem;
	char		*text, *sig, *id;
	size_t		 slen, rc;

	if ((text = canonical_json_signable(obj, err)) == NULL)
		return -1;
	mem = xmalloc(olm_pk_signing_size());
	k = crypto_xsign_own_engine(mem, o->seed[which], NULL, err);
	if (k == NULL) {
		free(mem);
		free(text);
		return -1;
	}
	slen = olm_pk_signature_length();
	sig = xmalloc(slen + 1);
	rc = olm_pk_sign(k, (const uint8_t *)text, strlen(text),
	    (uint8_t *)sig, slen);
	if (rc == olm_error())
		haos_error_set(err, HAOS_ECRYPTO, "cross-signing: %s",
		    olm_pk_signing_last_error(k));
	olm_clear_pk_signing(k);
	free(mem);
	free(text);
	if (rc == olm_error()) {
		free(sig);
		return -1;
	}
	sig[slen] = '\0';
	sigs = json_get_obj(obj, "signatures");
	if (sigs == NULL) {
		sigs = json_object();
		json_object_set_new(obj, "signatures", sigs);
	}
	mine = json_get_obj(sigs, user_id);
	if (mine == NULL) {
		mine = json_object();
		json_object_set_new(sigs, user_id, mine);
	}
	id = xasprintf("ed25519:%s", o->pub[which]);
	json_object_set_new(mine, id, json_string(sig));
	free(id);
	free(sig);
	return 0;
}

/* The public key object of our key which, unsigned. */
static json_t *
crypto_xsign_own_key(const struct crypto_xsign_own *o, int which,
    const char *user_id)
{
	json_t	*k;
	char	*id;

	id = xasprintf("ed25519:%s", o->pub[which]);
	k = json_pack("{s:s, s:[s], s:{s:s}}", "user_id", user_id, "usage",
	    crypto_xsign_own_usage[which], "keys", id, o->pub[which]);
	free(id);
	return k;
}

/*
 * The body of /keys/device_signing/upload: master_key (signed by this
 * device too, as other clients do), self_signing_key and
 * user_signing_key signed by the master key.  NULL with err.
 */
json_t *
crypto_xsign_own_upload(struct crypto_xsign_own *o, const char *user_id,
    struct crypto_account *a, const char *device_id, struct haos_error *err)
{
	json_t	*msk, *ssk, *usk;

	msk = crypto_xsign_own_key(o, CRYPTO_XSIGN_MSK, user_id);
	ssk = crypto_xsign_own_key(o, CRYPTO_XSIGN_SSK, user_id);
	usk = crypto_xsign_own_key(o, CRYPTO_XSIGN_USK, user_id);
	if ((a != NULL && crypto_sign_json(a, msk, user_id, device_id,
	    err) == -1) || crypto_xsign_own_sign(o, CRYPTO_XSIGN_MSK, ssk,
	    user_id, err) == -1 || crypto_xsign_own_sign(o, CRYPTO_XSIGN_MSK,
	    usk, user_id, err) == -1) {
		json_decref(msk);
		json_decref(ssk);
		json_decref(usk);
		return NULL;
	}
	return json_pack("{s:o, s:o, s:o}", "master_key", msk,
	    "self_signing_key", ssk, "user_signing_key", usk);
}

/* Sign one of our devices' keys with our self-signing key. */
int
crypto_xsign_sign_own_device(struct crypto_xsign_own *o, json_t *device_keys,
    const char *user_id, struct haos_error *err)
{
	return crypto_xsign_own_sign(o, CRYPTO_XSIGN_SSK, device_keys, user_id,
	    err);
}

/* Sign another user's master key with our user-signing key. */
int
crypto_xsign_sign_user(struct crypto_xsign_own *o, json_t *their_master,
    const char *user_id, struct haos_error *err)
{
	return crypto_xsign_own_sign(o, CRYPTO_XSIGN_USK, their_master,
	    user_id, err);
}
