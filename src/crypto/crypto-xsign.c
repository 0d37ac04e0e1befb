/* Cross-signing keys from /keys/query: checked, pinned, stored (Step 7). */

/*
 * A user's identity is the chain master key (MSK) -> self-signing key
 * (SSK) -> their devices, and, for ourselves, MSK -> user-signing key
 * (USK) -> other users' master keys.  A key of the chain is taken only
 * if it is what it says: an object whose user_id is the user it is
 * listed under, whose usage names its place, whose "keys" has exactly
 * one entry "ed25519:<public key>" (32 bytes in base64), and, below the
 * master key, signed by that user's master key.  A key that fails is
 * not stored and everything below it counts as unsigned.
 *
 * Device key ids and cross-signing key ids share one namespace
 * ("ed25519:<id>"): a device whose id is a cross-signing public key
 * (its user's in the same answer, or anyone's we hold) is refused, a
 * device_warnings row saying so (the CVE-2022-39250 class of bug).
 *
 * Master keys are trusted on first use: the first one seen is pinned
 * (tracked_users.msk_pinned).  Another one later sets msk_changed and
 * leaves a device_warnings row (reason "master_key_changed", the new
 * key in the device id column): the sender (net-e2ee.c) holds that
 * user's rooms until crypto_xsign_trust() pins the new key.
 *
 * A device is cross_signed when the SSK (valid as above) signed its
 * stored keys; it is verified when, besides, its user's master key is
 * one we verified: ours when this very device is cross-signed, another
 * user's when our USK signed it.  All of it in the caller's transaction.
 */
#include "haos/crypto.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/store.h"
#include "haos/store-xsign.h"
#include "haos/xmalloc.h"

#define XSIGN_KEY_LEN	32	/* bytes of an ed25519 public key */

/* Whether s is the unpadded base64 of an ed25519 public key. */
static int
crypto_xsign_key_ok(const char *s)
{
	unsigned char	*raw;
	size_t		 len;
	int		 ok;

	if (s == NULL || strlen(s) != 43 || base64_decode(s, strlen(s), &raw,
	    &len) == -1)
		return 0;
	ok = len == XSIGN_KEY_LEN;
	free(raw);
	return ok;
}

/*
 * Check one cross-signing key object of user_id with this usage
 * ("master", "self_signing", "user_signing"): 0 with its public key in
 * *pub (borrowed from key), or -1 with the reason in *why.  Signatures
 * are the caller's: see crypto_xsign_signed_by().
 */
int
crypto_xsign_key_check(const char *user_id, const char *usage,
    const json_t *key, const char **pub, const char **why)
{
	const char	*id;
	json_t		*keys, *u, *v;
	size_t		 i;
	int		 found = 0;

	*pub = NULL;
	*why = NULL;
	if (!json_is_object(key)) {
		*why = "not an object";
		return -1;
	}
	if (strcmp(json_get_str(key, "user_id", ""), user_id) != 0) {
		*why = "its user_id is not the user it is listed under";
		return -1;
	}
	json_array_foreach(json_get_arr(key, "usage"), i, u) {
		if (json_is_string(u) && strcmp(json_string_value(u),
		    usage) == 0)
			found = 1;
	}
	if (!found) {
		*why = "its usage is not the one it is listed as";
		return -1;
	}
	keys = json_get_obj(key, "keys");
	if (keys == NULL || json_object_size(keys) != 1) {
		*why = "\"keys\" has not exactly one key";
		return -1;
	}
	json_object_foreach(keys, id, v) {
		if (strncmp(id, "ed25519:", 8) != 0 || !json_is_string(v) ||
		    strcmp(id + 8, json_string_value(v)) != 0 ||
		    !crypto_xsign_key_ok(id + 8)) {
			*why = "its key is not \"ed25519:<public key>\"";
			return -1;
		}
		*pub = json_string_value(v);
	}
	return 0;
}

/* Whether user_id's key pub signed obj: 1 if it did, 0 if not. */
int
crypto_xsign_signed_by(const json_t *obj, const char *user_id,
    const char *pub)
{
	struct haos_error	 err;
	char			*id;
	int			 rc;

	id = xasprintf("ed25519:%s", pub);
	rc = crypto_sign_verify(obj, user_id, id, pub, &err);
	free(id);
	return rc == 0;
}

/* The public key of answer[field][user_id], unchecked, or NULL. */
static const char *
crypto_xsign_any_key(const json_t *answer, const char *field,
    const char *user_id)
{
	const char	*id;
	json_t		*keys, *v;

	keys = json_get_obj(json_get_obj(json_get_obj(answer, field),
	    user_id), "keys");
	json_object_foreach(keys, id, v) {
		if (strncmp(id, "ed25519:", 8) == 0)
			return id + 8;
	}
	return NULL;
}

/*
 * Store user_id's devices of a /keys/query answer (crypto_devices_store())
 * but for those whose id is a cross-signing public key: this user's in
 * the answer, or any we hold.  Returns how many were refused, or -1.
 */
int
crypto_xsign_devices_store(struct store *s, const char *user_id,
    const json_t *answer, struct haos_error *err)
{
	static const char *const fields[] = { "master_keys",
	    "self_signing_keys", "user_signing_keys" };
	const json_t		*devices;
	const char		*device_id, *pub;
	json_t			*kept, *dev;
	size_t			 i;
	int			 rc, bad, refused = 0;

	devices = json_get_obj(json_get_obj(answer, "device_keys"), user_id);
	if (devices == NULL)
		return 0;
	kept = json_object();
	json_object_foreach((json_t *)devices, device_id, dev) {
		bad = 0;
		for (i = 0; i < nitems(fields); i++) {
			pub = crypto_xsign_any_key(answer, fields[i], user_id);
			if (pub != NULL && strcmp(pub, device_id) == 0)
				bad = 1;
		}
		if (!bad && (bad = store_xsign_key_known(s, device_id,
		    err)) == -1)
			goto fail;
		if (bad) {
			log_warn("crypto", "device %s of %s refused: its id is "
			    "a cross-signing key", device_id, user_id);
			if (store_device_warn(s, user_id, device_id,
			    "device_id_is_cross_signing_key", err) == -1)
				goto fail;
			refused++;
			continue;
		}
		json_object_set(kept, device_id, dev);
	}
	rc = crypto_devices_store(s, user_id, kept, err);
	json_decref(kept);
	return rc == -1 ? -1 : rc + refused;

fail:
	json_decref(kept);
	return -1;
}

/*
 * The checked key answer[field][user_id] of this usage, signed by
 * signer (NULL: none needed): its public key (borrowed), or NULL.
 */
static const char *
crypto_xsign_take(const json_t *answer, const char *field,
    const char *user_id, const char *usage, const char *signer)
{
	const json_t	*key;
	const char	*pub, *why;

	key = json_get_obj(json_get_obj(answer, field), user_id);
	if (key == NULL)
		return NULL;
	if (crypto_xsign_key_check(user_id, usage, key, &pub, &why) == -1) {
		log_warn("crypto", "%s key of %s ignored: %s", usage, user_id,
		    why);
		return NULL;
	}
	if (signer != NULL && !crypto_xsign_signed_by(key, user_id, signer)) {
		log_warn("crypto", "%s key of %s ignored: not signed by its "
		    "master key", usage, user_id);
		return NULL;
	}
	return pub;
}

/* Keep (or drop, pub NULL) user_id's key of usage. */
static int
crypto_xsign_keep(struct store *s, const json_t *answer, const char *field,
    const char *user_id, const char *usage, const char *pub,
    struct haos_error *err)
{
	char	*text;
	int	 rc;

	if (pub == NULL)
		return store_xsign_key_drop(s, user_id, usage, err);
	text = json_xdumps(json_get_obj(json_get_obj(answer, field),
	    user_id));
	rc = store_xsign_key_put(s, user_id, usage, pub, text, err);
	free(text);
	return rc;
}

/* TOFU: pin the first master key, flag any other one. */
static int
crypto_xsign_pin(struct store *s, const char *user_id, const char *msk,
    struct haos_error *err)
{
	struct xsign_user	 u;
	int			 rc;

	if ((rc = store_xsign_user(s, user_id, &u, err)) != 1)
		return rc;	/* not tracked: nothing to pin it in */
	if (u.pinned == NULL)
		rc = store_xsign_pin(s, user_id, msk, 0, err);
	else if (strcmp(u.pinned, msk) != 0 && !u.changed) {
		log_warn("crypto", "the master key of %s changed to %s",
		    user_id, msk);
		rc = store_xsign_pin(s, user_id, u.pinned, 1, err);
		if (rc != -1)
			rc = store_device_warn(s, user_id, msk,
			    "master_key_changed", err);
	} else if (strcmp(u.pinned, msk) == 0 && u.changed)
		rc = store_xsign_pin(s, user_id, msk, 0, err);	/* back */
	else
		rc = 0;
	xsign_user_free(&u);
	return rc == -1 ? -1 : 0;
}

/* Mark each stored device of user_id signed by ssk (NULL: none) or not. */
static int
crypto_xsign_devices_mark(struct store *s, const char *user_id,
    const char *ssk, int *own_signed, const char *own_device,
    struct haos_error *err)
{
	struct device_row	*rows;
	json_t			*dev;
	char			*text;
	size_t			 i, n;
	int			 sig, rc = 0;

	if (store_devices_of(s, user_id, &rows, &n, err) == -1)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		sig = 0;
		if (ssk != NULL && store_xsign_device_json(s, user_id,
		    rows[i].device_id, &text, err) == 1) {
			dev = json_loads(text, JSON_ALLOW_NUL, NULL);
			sig = crypto_xsign_signed_by(dev, user_id, ssk);
			json_decref(dev);
			free(text);
		}
		if (own_device != NULL && strcmp(rows[i].device_id,
		    own_device) == 0)
			*own_signed = sig;
		rc = store_xsign_device_signed(s, user_id, rows[i].device_id,
		    sig, err);
	}
	device_rows_free(rows, n);
	return rc;
}

/* Whether our user-signing key (as stored) signed user_id's master key. */
static int
crypto_xsign_usk_signed(struct store *s, const char *own_user,
    const char *user_id, const json_t *answer, struct haos_error *err)
{
	struct xsign_user	 me;
	char			*usk;
	int			 rc;

	if (store_xsign_user(s, own_user, &me, err) == -1)
		return -1;
	rc = me.verified && !me.changed;
	xsign_user_free(&me);
	if (!rc)
		return 0;	/* our own identity is not one we trust */
	if ((rc = store_xsign_key_get(s, own_user, XSIGN_USER_SIGNING, &usk,
	    NULL, err)) != 1)
		return rc;
	rc = crypto_xsign_signed_by(json_get_obj(json_get_obj(answer,
	    "master_keys"), user_id), own_user, usk);
	free(usk);
	return rc;
}

/*
 * Take user_id's cross-signing keys from a /keys/query answer, after its
 * devices (crypto_xsign_devices_store()), in the caller's transaction:
 * keys checked and stored, the master key pinned or its change flagged,
 * devices marked cross-signed, the master key marked verified or not.
 * own_user and own_device are this device's: answer for our own user
 * before the others, whose verification rests on our user-signing key.
 * Returns 0, or -1 on a store error; a bad key is logged and skipped.
 */
int
crypto_xsign_store(struct store *s, const char *own_user,
    const char *own_device, const char *user_id, const json_t *answer,
    struct haos_error *err)
{
	const char	*msk, *ssk = NULL, *usk = NULL;
	int		 own, own_signed = 0, verified = 0;

	own = strcmp(user_id, own_user) == 0;
	msk = crypto_xsign_take(answer, "master_keys", user_id,
	    XSIGN_MASTER, NULL);
	if (msk != NULL) {
		ssk = crypto_xsign_take(answer, "self_signing_keys", user_id,
		    XSIGN_SELF_SIGNING, msk);
		if (own)
			usk = crypto_xsign_take(answer, "user_signing_keys",
			    user_id, XSIGN_USER_SIGNING, msk);
	}
	if (crypto_xsign_keep(s, answer, "master_keys", user_id, XSIGN_MASTER,
	    msk, err) == -1 || crypto_xsign_keep(s, answer,
	    "self_signing_keys", user_id, XSIGN_SELF_SIGNING, ssk,
	    err) == -1 || crypto_xsign_keep(s, answer, "user_signing_keys",
	    user_id, XSIGN_USER_SIGNING, usk, err) == -1)
		return -1;
	if (msk != NULL && crypto_xsign_pin(s, user_id, msk, err) == -1)
		return -1;
	if (crypto_xsign_devices_mark(s, user_id, ssk, &own_signed,
	    own ? own_device : NULL, err) == -1)
		return -1;
	if (msk != NULL && own)
		verified = own_signed;
	else if (msk != NULL && (verified = crypto_xsign_usk_signed(s,
	    own_user, user_id, answer, err)) == -1)
		return -1;
	return store_xsign_verified(s, user_id, verified, err);
}

/*
 * The user acknowledged user_id's new master key (/trust): it is pinned
 * and sending to them goes on; their warning row goes.  0 if there was
 * nothing to acknowledge, 1 if acknowledged, -1 on a store error.
 */
int
crypto_xsign_trust(struct store *s, const char *user_id,
    struct haos_error *err)
{
	struct xsign_user	 u;
	int			 rc;

	if ((rc = store_xsign_user(s, user_id, &u, err)) != 1)
		return rc;
	rc = 0;
	if (u.changed) {
		log_info("crypto", "the master key %s of %s is acknowledged",
		    u.msk, user_id);
		rc = store_xsign_pin(s, user_id, u.msk, 0, err);
		if (rc != -1)
			rc = store_device_warn_clear(s, user_id,
			    "master_key_changed", err);
		if (rc != -1)
			rc = 1;
	}
	xsign_user_free(&u);
	return rc;
}
