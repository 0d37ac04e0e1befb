/* Server-side key backup: trust, upload bodies, restore (E2EE Step 10). */

/*
 * m.megolm_backup.v1.curve25519-aes-sha2.  A backup version is trusted
 * (the spec's auth_data rules) when its auth_data.public_key derives
 * from the backup key this device holds (sealed secret
 * CRYPTO_BACKUP_SECRET, put there by secret storage or /backup key), or
 * when auth_data (canonical, without signatures and unsigned) carries a
 * valid signature of our own user by our trusted master key
 * ("ed25519:<msk>": this device cross-signed, msk_pins.verified and not
 * changed, or we hold its seed) or by one of our own devices that we
 * trust ("ed25519:<device id>", not deleted: this device, one we
 * verified, or one our trusted master key's SSK signed).  A server that
 * swaps the auth_data or its public key gets no upload.  Only the key
 * we hold restores (crypto_backup_holds()); a version trusted by a
 * signature alone takes uploads.
 *
 * What the backup gives back is unauthenticated (its MAC is libolm's
 * broken one, and the server can write to it): a restored session is
 * stored with source 'backup' and authenticated 0, never over an
 * authenticated session nor over one that starts at a lower index
 * (E2EE.md §E.8), and it must name a sender whose device we know (the
 * room code checks every event's sender against it).  Nothing secret
 * is logged: room and session ids only.
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

#include "crypto-int.h"

#define CRYPTO_BACKUP_MEGOLM	"m.megolm.v1.aes-sha2"
#define CRYPTO_BACKUP_KEY_LEN	32

int
crypto_backup_key_set(struct crypto_keys *k, struct store *s,
    const unsigned char key[32], struct haos_error *err)
{
	return crypto_secret_put(k, s, CRYPTO_BACKUP_SECRET, key,
	    CRYPTO_BACKUP_KEY_LEN, 0, err);
}

/* The backup key: 1 with its 32 bytes, 0 if none (or unusable), -1. */
static int
crypto_backup_key(struct crypto_keys *k, struct store *s,
    unsigned char key[32], struct haos_error *err)
{
	unsigned char	*data, *raw = NULL;
	size_t		 len, rawlen = 0;
	int		 verified, rc;

	rc = crypto_secret_get(k, s, CRYPTO_BACKUP_SECRET, &data, &len,
	    &verified, err);
	if (rc == -1 && err->code == HAOS_ECRYPTO) {
		log_warn("crypto", "backup key: %s", err->msg);
		return 0;
	}
	if (rc != 1)
		return rc;
	rc = 0;
	if (len == CRYPTO_BACKUP_KEY_LEN) {
		memcpy(key, data, len);
		rc = 1;
	} else if (base64_decode((char *)data, len, &raw, &rawlen) == 0 &&
	    rawlen == CRYPTO_BACKUP_KEY_LEN) {
		memcpy(key, raw, rawlen);
		rc = 1;
	} else
		log_warn("crypto", "backup key: not a 32-byte key");
	if (raw != NULL) {
		explicit_bzero(raw, rawlen);
		free(raw);
	}
	explicit_bzero(data, len);
	free(data);
	return rc;
}

/* The public key of the backup key we hold: 1, 0 if none, -1. */
static int
crypto_backup_public(struct crypto_keys *k, struct store *s, char **pub,
    struct haos_error *err)
{
	unsigned char	 key[CRYPTO_BACKUP_KEY_LEN];
	struct haos_error e;
	int		 rc;

	*pub = NULL;
	rc = crypto_backup_key(k, s, key, err);
	if (rc != 1)
		return rc;
	*pub = crypto_pk_public(key, sizeof key, &e);
	explicit_bzero(key, sizeof key);
	if (*pub == NULL) {
		log_warn("crypto", "backup key: %s", e.msg);
		return 0;
	}
	return 1;
}

/* 1 if we hold the backup key auth_data.public_key derives from. */
int
crypto_backup_holds(struct crypto_keys *k, struct store *s,
    const char *algorithm, const json_t *auth_data, struct haos_error *err)
{
	const char	*theirs;
	char		*ours;
	int		 rc;

	theirs = json_get_str(auth_data, "public_key", NULL);
	if (algorithm == NULL || strcmp(algorithm,
	    CRYPTO_BACKUP_ALGORITHM) != 0 || theirs == NULL)
		return 0;
	rc = crypto_backup_public(k, s, &ours, err);
	if (rc != 1)
		return rc;
	rc = strlen(ours) == strlen(theirs) &&
	    crypto_equal(ours, theirs, strlen(ours));
	free(ours);
	return rc;
}

/* 1 if the sealed master seed we hold is the one of public key msk. */
static int
crypto_backup_msk_seed(struct crypto_keys *k, struct store *s,
    const char *msk, struct haos_error *err)
{
	const unsigned char	*seeds[CRYPTO_XSIGN_NKEYS] = { NULL };
	struct crypto_xsign_own	*own;
	struct haos_error	 e;
	const char		*pub;
	unsigned char		*data;
	size_t			 len;
	int			 verified, rc;

	rc = crypto_secret_get(k, s, "m.cross_signing.master", &data, &len,
	    &verified, err);
	if (rc == -1 && err->code == HAOS_ECRYPTO)
		return 0;
	if (rc != 1)
		return rc;
	rc = 0;
	if (len == CRYPTO_XSIGN_SEED_LEN) {
		seeds[CRYPTO_XSIGN_MSK] = data;
		if ((own = crypto_xsign_own_load(seeds, &e)) != NULL) {
			pub = crypto_xsign_own_public(own, CRYPTO_XSIGN_MSK);
			rc = pub != NULL && strcmp(pub, msk) == 0;
			crypto_xsign_own_free(own);
		}
	}
	explicit_bzero(data, len);
	free(data);
	return rc;
}

/*
 * Our published master key if we trust it (*msk NULL otherwise): 0, -1.
 * Trusted: msk_pins says it is verified (this device is cross-signed)
 * and it did not change, or we hold its seed.
 */
static int
crypto_backup_own_msk(struct crypto_keys *k, struct store *s, char **msk,
    struct haos_error *err)
{
	struct xsign_user	 u;
	const char		*me = crypto_keys_user_id(k);
	int			 rc, ok = 0;

	*msk = NULL;
	rc = store_xsign_key_get(s, me, XSIGN_MASTER, msk, NULL, err);
	if (rc != 1)
		return rc;
	rc = store_xsign_user(s, me, &u, err);
	if (rc == -1)
		goto fail;
	ok = rc == 1 && u.verified && !u.changed && u.pinned != NULL &&
	    strcmp(u.pinned, *msk) == 0;
	xsign_user_free(&u);
	if (!ok && (ok = crypto_backup_msk_seed(k, s, *msk, err)) == -1)
		goto fail;
	if (!ok)
		xfree(*msk);
	return 0;
fail:
	xfree(*msk);
	return -1;
}

/* The ed25519 key of our own device_id if we trust it, or NULL. */
static char *
crypto_backup_own_device(struct crypto_keys *k, const char *device_id,
    const struct xsign_device *d, size_t nd, int msk_trusted)
{
	const struct crypto_account	*a = crypto_keys_account(k);
	size_t				 i;

	if (strcmp(device_id, crypto_keys_device_id(k)) == 0)
		return xstrdup(crypto_account_ed25519(a));
	for (i = 0; i < nd; i++) {
		if (strcmp(d[i].device_id, device_id) != 0)
			continue;
		if (!d[i].deleted && (d[i].local_trust ||
		    (d[i].cross_signed && msk_trusted)))
			return xstrdup(d[i].ed25519);
		break;
	}
	return NULL;
}

/*
 * 1 if auth_data carries a valid signature of our user by our trusted
 * master key or a trusted device of ours, 0 if not, -1.  Each failure is
 * logged with the key id (never a key).
 */
static int
crypto_backup_signed(struct crypto_keys *k, struct store *s,
    const json_t *auth_data, struct haos_error *err)
{
	struct xsign_device	*d = NULL;
	struct haos_error	 e;
	const json_t		*sigs;
	const char		*me = crypto_keys_user_id(k), *key_id;
	json_t			*v;
	char			*msk, *ed;
	size_t			 nd = 0;
	int			 ok = 0;

	sigs = json_get_obj(json_get_obj(auth_data, "signatures"), me);
	if (sigs == NULL)
		return 0;
	if (crypto_backup_own_msk(k, s, &msk, err) == -1)
		return -1;
	if (store_xsign_devices(s, me, &d, &nd, err) == -1) {
		free(msk);
		return -1;
	}
	json_object_foreach((json_t *)sigs, key_id, v) {
		if (ok || strncmp(key_id, "ed25519:", 8) != 0)
			continue;
		if (msk != NULL && strcmp(key_id + 8, msk) == 0)
			ed = xstrdup(msk);
		else
			ed = crypto_backup_own_device(k, key_id + 8, d, nd,
			    msk != NULL);
		if (ed == NULL) {
			log_info("crypto", "backup auth_data: signature "
			    "%s is not by a key we trust", key_id);
			continue;
		}
		if (crypto_sign_verify(auth_data, me, key_id, ed, &e) == 0)
			ok = 1;
		else
			log_warn("crypto", "backup auth_data: %s", e.msg);
		free(ed);
	}
	xsign_devices_free(d, nd);
	free(msk);
	return ok;
}

int
crypto_backup_trusted(struct crypto_keys *k, struct store *s,
    const char *algorithm, const json_t *auth_data, struct haos_error *err)
{
	int	 rc;

	if (algorithm == NULL || strcmp(algorithm,
	    CRYPTO_BACKUP_ALGORITHM) != 0 || json_get_str(auth_data,
	    "public_key", NULL) == NULL)
		return 0;
	rc = crypto_backup_holds(k, s, algorithm, auth_data, err);
	if (rc != 0)
		return rc;
	return crypto_backup_signed(k, s, auth_data, err);
}

/* KeyBackupData of one stored session, or NULL (logged). */
static json_t *
crypto_backup_session(struct crypto_keys *k, struct store *s,
    const char *room_id, const char *session_id, const char *pub,
    struct haos_error *err, int *fatal)
{
	struct store_megolm_in	 m;
	struct crypto_megolm_in	*in = NULL;
	struct crypto_pk_msg	 msg;
	struct haos_error	 e;
	json_t			*sd, *out = NULL;
	char			*exp = NULL, *text;
	int			 rc;

	*fatal = 0;
	rc = store_crypto_in_megolm_get(s, room_id, session_id, &m, err);
	if (rc != 1) {
		*fatal = rc == -1;
		return NULL;
	}
	in = crypto_megolm_in_unpickle(m.pickle, crypto_keys_pickle_key(k),
	    NULL, &e);
	if (in != NULL)
		exp = crypto_megolm_in_export(in,
		    crypto_megolm_in_first_index(in), &e);
	if (exp == NULL) {
		log_warn("crypto", "%s: session %s: not backed up: %s",
		    room_id, session_id, e.msg);
		goto out;
	}
	sd = json_pack("{s:s,s:[],s:s,s:{s:s},s:s}", "algorithm",
	    CRYPTO_BACKUP_MEGOLM, "forwarding_curve25519_key_chain",
	    "sender_key", m.sender_curve25519, "sender_claimed_keys",
	    "ed25519", m.claimed_ed25519, "session_key", exp);
	text = json_xdumps(sd);
	json_decref(sd);	/* holds the export: */
	rc = crypto_pk_encrypt(pub, text, strlen(text), &msg, &e);
	explicit_bzero(text, strlen(text));
	free(text);
	if (rc == -1) {
		log_warn("crypto", "%s: session %s: not backed up: %s",
		    room_id, session_id, e.msg);
		goto out;
	}
	out = json_pack("{s:I,s:i,s:b,s:{s:s,s:s,s:s}}",
	    "first_message_index", (json_int_t)m.first_known_index,
	    "forwarded_count", 0, "is_verified", m.authenticated,
	    "session_data", "ciphertext", msg.ciphertext, "mac", msg.mac,
	    "ephemeral", msg.ephemeral);
	crypto_pk_msg_free(&msg);
out:
	if (exp != NULL) {
		explicit_bzero(exp, strlen(exp));
		free(exp);
	}
	crypto_megolm_in_free(in);
	store_crypto_in_megolm_free(&m);
	return out;
}

json_t *
crypto_backup_upload(struct crypto_keys *k, struct store *s,
    const char *version, const char *pub, size_t max, size_t *n,
    struct haos_error *err)
{
	struct store_backup_pair	*p;
	json_t				*body, *rooms, *room, *data;
	size_t				 np, i;
	int				 fatal = 0;

	*n = 0;
	if (store_backup_pending(s, version, max, &p, &np, err) == -1)
		return NULL;
	body = json_pack("{s:{}}", "rooms");
	rooms = json_object_get(body, "rooms");
	for (i = 0; i < np && !fatal; i++) {
		data = crypto_backup_session(k, s, p[i].room_id,
		    p[i].session_id, pub, err, &fatal);
		if (data == NULL)
			continue;
		room = json_object_get(rooms, p[i].room_id);
		if (room == NULL) {
			room = json_pack("{s:{}}", "sessions");
			json_object_set_new(rooms, p[i].room_id, room);
		}
		json_object_set_new(json_object_get(room, "sessions"),
		    p[i].session_id, data);
		(*n)++;
	}
	store_backup_pairs_free(p, np);
	if (fatal || *n == 0) {
		json_decref(body);
		*n = 0;
		if (!fatal)
			haos_error_clear(err);
		return NULL;
	}
	return body;
}

int
crypto_backup_uploaded(struct store *s, const char *version,
    const json_t *body, struct haos_error *err)
{
	const char	*room_id, *session_id;
	json_t		*room, *data;

	json_object_foreach(json_get_obj(body, "rooms"), room_id, room) {
		json_object_foreach(json_get_obj(room, "sessions"), session_id,
		    data) {
			if (store_backup_mark(s, room_id, session_id, version,
			    err) == -1)
				return -1;
		}
	}
	return 0;
}

/* The decrypted BackedUpSessionData of a KeyBackupData, or NULL. */
static json_t *
crypto_backup_open(const unsigned char key[32], const json_t *data)
{
	struct crypto_pk_msg	 msg;
	struct haos_error	 e;
	const json_t		*sd;
	json_t			*pt;
	char			*text;
	size_t			 len;

	sd = json_get_obj(data, "session_data");
	msg.ciphertext = (char *)json_get_str(sd, "ciphertext", NULL);
	msg.mac = (char *)json_get_str(sd, "mac", NULL);
	msg.ephemeral = (char *)json_get_str(sd, "ephemeral", NULL);
	if (msg.ciphertext == NULL || msg.mac == NULL ||
	    msg.ephemeral == NULL)
		return NULL;
	text = crypto_pk_decrypt(key, CRYPTO_BACKUP_KEY_LEN, &msg, &len, &e);
	if (text == NULL) {
		log_info("crypto", "backup: %s", e.msg);
		return NULL;
	}
	pt = json_load_network(text, len, NULL, NULL);
	explicit_bzero(text, len);
	free(text);
	if (!json_is_object(pt)) {
		json_decref(pt);
		return NULL;
	}
	return pt;
}

/* One backed-up session: 1 imported, 0 kept or bad (counted), -1. */
static int
crypto_backup_one(struct crypto_keys *k, struct store *s, const char *version,
    const unsigned char key[32], const char *room_id, const char *session_id,
    const json_t *data, const struct crypto_in_sink *sink,
    struct crypto_backup_counts *c, struct haos_error *err)
{
	struct crypto_import	 imp;
	json_t			*pt;
	const char		*why;
	int			 rc, changed = 0, ret = 0;

	pt = crypto_backup_open(key, data);
	memset(&imp, 0, sizeof imp);
	imp.room_id = room_id;
	imp.session_id = session_id;
	imp.session_key = json_get_str(pt, "session_key", NULL);
	imp.sender_key = json_get_str(pt, "sender_key", NULL);
	imp.claimed_ed25519 = json_get_str(json_get_obj(pt,
	    "sender_claimed_keys"), "ed25519", "");
	imp.source = "backup";
	if (pt == NULL || imp.session_key == NULL || imp.sender_key == NULL ||
	    strcmp(json_get_str(pt, "algorithm", ""),
	    CRYPTO_BACKUP_MEGOLM) != 0) {
		log_warn("crypto", "%s: backed-up session %s does not open",
		    room_id, session_id);
		c->bad++;
		goto out;
	}
	rc = crypto_import_megolm(k, s, &imp, sink, &changed, &why, err);
	switch (rc) {
	case CRYPTO_IMPORT_BAD:
		log_warn("crypto", "%s: backed-up session %s: %s", room_id,
		    session_id, why);
		c->bad++;
		break;
	case CRYPTO_IMPORT_KEPT:
		c->kept++;
		break;
	case CRYPTO_IMPORT_DONE:
		ret = -1;
		if (store_backup_mark(s, room_id, session_id, version,
		    err) == -1)
			break;
		c->imported++;
		c->rooms_changed += changed;
		ret = 1;
		break;
	default:
		ret = -1;
		break;
	}
out:
	json_decref(pt);	/* json_load_network() text is wiped above */
	return ret;
}

int
crypto_backup_restore(struct crypto_keys *k, struct store *s,
    const char *version, const json_t *rooms, const struct crypto_in_sink *sink,
    struct crypto_backup_counts *c, struct haos_error *err)
{
	unsigned char	 key[CRYPTO_BACKUP_KEY_LEN];
	const char	*room_id, *session_id;
	json_t		*room, *data;
	int		 rc;

	memset(c, 0, sizeof *c);
	rc = crypto_backup_key(k, s, key, err);
	if (rc != 1)
		return rc;
	json_object_foreach((json_t *)rooms, room_id, room) {
		json_object_foreach(json_get_obj(room, "sessions"), session_id,
		    data) {
			if (!json_is_object(data))
				continue;
			if (crypto_backup_one(k, s, version, key, room_id,
			    session_id, data, sink, c, err) == -1) {
				explicit_bzero(key, sizeof key);
				return -1;
			}
		}
	}
	explicit_bzero(key, sizeof key);
	log_info("crypto", "backup %s: %d sessions restored, %d kept, %d "
	    "refused", version, c->imported, c->kept, c->bad);
	return 1;
}
