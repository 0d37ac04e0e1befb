/* Device keys from /keys/query: checked, pinned, stored (E2EE.md Step 4). */

/*
 * A device the server lists is used only if it is what it says: the
 * object's user_id and device_id are the map keys it came under, it has
 * both "ed25519:<device>" and "curve25519:<device>" (32 bytes each, in
 * base64), and its self-signature verifies with that ed25519 key.  A
 * device without keys is not a cryptographic one: ignored, no warning.
 *
 * Keys are pinned: a device id we know coming back with another ed25519
 * or curve25519 key, or a new device id with a key another device
 * already has, is refused; the device stored stays, a device_warnings
 * row says so and the log has the ids (never a key).  A device no longer
 * listed is deleted = 1, its row kept.  The server is hostile here like
 * everywhere: the display name is stored raw and sanitised when shown.
 */
#include "haos/crypto.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define DEVICE_KEY_LEN	32	/* bytes of an ed25519 or curve25519 key */

/* Whether s is the unpadded base64 of a 32-byte key. */
static int
crypto_devices_key_ok(const char *s)
{
	unsigned char	*raw;
	size_t		 len;
	int		 ok;

	if (s == NULL || strlen(s) != 43 || base64_decode(s, strlen(s), &raw,
	    &len) == -1)
		return 0;
	ok = len == DEVICE_KEY_LEN;
	free(raw);
	return ok;
}

/*
 * Check one device of a /keys/query answer, listed as
 * device_keys[user_id][device_id].  Returns 1 with its keys in *ed25519
 * and *curve25519 (borrowed from dev), 0 for a device without keys
 * (ignore it, say nothing), or -1 with the reason in *why.
 */
int
crypto_device_check(const char *user_id, const char *device_id,
    const json_t *dev, const char **ed25519, const char **curve25519,
    const char **why)
{
	struct haos_error	 err;
	json_t			*keys;
	char			*id;

	*ed25519 = *curve25519 = NULL;
	*why = NULL;
	if (!json_is_object(dev)) {
		*why = "not an object";
		return -1;
	}
	keys = json_get_obj(dev, "keys");
	if (keys == NULL || json_object_size(keys) == 0)
		return 0;
	if (strcmp(json_get_str(dev, "user_id", ""), user_id) != 0 ||
	    strcmp(json_get_str(dev, "device_id", ""), device_id) != 0) {
		*why = "user_id or device_id is not the one it is listed under";
		return -1;
	}
	id = xasprintf("ed25519:%s", device_id);
	*ed25519 = json_get_str(keys, id, NULL);
	free(id);
	id = xasprintf("curve25519:%s", device_id);
	*curve25519 = json_get_str(keys, id, NULL);
	free(id);
	if (*ed25519 == NULL || *curve25519 == NULL) {
		*why = "no ed25519 or no curve25519 key";
		return -1;
	}
	if (!crypto_devices_key_ok(*ed25519) ||
	    !crypto_devices_key_ok(*curve25519)) {
		*why = "a key is not 32 bytes of base64";
		return -1;
	}
	id = xasprintf("ed25519:%s", device_id);
	if (crypto_sign_verify(dev, user_id, id, *ed25519, &err) == -1) {
		free(id);
		*why = "its self-signature does not verify";
		return -1;
	}
	free(id);
	return 1;
}

/* Refuse a device that would change a pinned key: a warning and a log. */
static int
crypto_devices_refuse(struct store *s, const char *user_id,
    const char *device_id, const char *reason, const char *what,
    struct haos_error *err)
{
	log_warn("crypto", "device %s of %s refused: %s", device_id, user_id,
	    what);
	return store_device_warn(s, user_id, device_id, reason, err);
}

/*
 * One device that passed crypto_device_check(): stored, unless it goes
 * against a pinned key.  1 stored, 0 refused, -1 on a store error.
 */
static int
crypto_devices_pin(struct store *s, const char *user_id,
    const char *device_id, const json_t *dev, const char *ed25519,
    const char *curve25519, struct haos_error *err)
{
	struct device_row	 old;
	char			*text;
	int			 rc;

	rc = store_device_get(s, user_id, device_id, &old, err);
	if (rc == -1)
		return -1;
	if (rc == 1) {
		rc = strcmp(old.ed25519, ed25519) != 0 ||
		    strcmp(old.curve25519, curve25519) != 0;
		device_row_free(&old);
		if (rc)
			return crypto_devices_refuse(s, user_id, device_id,
			    "keys_changed", "a known device id with other "
			    "keys", err) == -1 ? -1 : 0;
	} else {
		rc = store_device_key_owner(s, user_id, device_id, ed25519,
		    curve25519, &old, err);
		if (rc == -1)
			return -1;
		if (rc == 1) {
			log_warn("crypto", "device %s of %s has a key of "
			    "device %s of %s", device_id, user_id,
			    old.device_id, old.user_id);
			device_row_free(&old);
			return crypto_devices_refuse(s, user_id, device_id,
			    "key_reused", "a new device id with the key of "
			    "another device", err) == -1 ? -1 : 0;
		}
	}
	text = json_xdumps(dev);
	rc = store_device_put(s, user_id, device_id, ed25519, curve25519, text,
	    json_get_str(json_get_obj(dev, "unsigned"),
	    "device_display_name", NULL), err);
	free(text);
	return rc == -1 ? -1 : 1;
}

/*
 * Store user_id's devices from a /keys/query answer (devices is
 * device_keys[user_id], an object: the caller takes anything else for
 * a failed answer):
 * each checked and pinned as above, and each stored device no longer
 * listed marked deleted.  In the caller's transaction.  Returns how many
 * listed devices were refused, or -1 on a store error.
 */
int
crypto_devices_store(struct store *s, const char *user_id,
    const json_t *devices, struct haos_error *err)
{
	struct device_row	*rows;
	const char		*device_id, *ed, *curve, *why;
	json_t			*dev;
	size_t			 i, n;
	int			 rc, refused = 0;

	json_object_foreach((json_t *)devices, device_id, dev) {
		rc = crypto_device_check(user_id, device_id, dev, &ed, &curve,
		    &why);
		if (rc == 0)
			continue;
		if (rc == -1) {
			log_warn("crypto", "device %s of %s ignored: %s",
			    device_id, user_id, why);
			refused++;
			continue;
		}
		rc = crypto_devices_pin(s, user_id, device_id, dev, ed, curve,
		    err);
		if (rc == -1)
			return -1;
		if (rc == 0)
			refused++;
	}
	if (store_devices_of(s, user_id, &rows, &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (rows[i].deleted || json_object_get(devices,
		    rows[i].device_id) != NULL)
			continue;
		log_info("crypto", "device %s of %s is gone", rows[i].device_id,
		    user_id);
		if (store_device_delete(s, user_id, rows[i].device_id,
		    err) == -1) {
			device_rows_free(rows, n);
			return -1;
		}
	}
	device_rows_free(rows, n);
	return refused;
}
