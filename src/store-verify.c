/* What verification (E2EE.md Step 8) reads and writes in the store. */
#include "haos/store.h"

#include <stdlib.h>

#include "haos/error.h"
#include "store-int.h"

/* The master key cross_signing_keys holds for user_id: 1, 0, -1. */
int
store_verify_master_key(struct store *s, const char *user_id, char **key,
    struct haos_error *err)
{
	static const char	*sql = "SELECT public_key FROM "
	    "cross_signing_keys WHERE user_id = ?1 AND usage = 'master'";

	*key = NULL;
	return store_get_text(s, err, "cross-signing keys", sql, key, "t",
	    user_id);
}

/*
 * A verification succeeded, in the caller's transaction: the device we
 * verified trusted by us (devices.local_trust), and, when its master key
 * was verified too, that key marked verified unless another is pinned.
 */
int
store_verify_trust(struct store *s, const char *user_id,
    const char *device_id, const char *msk, struct haos_error *err)
{
	static const char	*dev = "UPDATE devices SET local_trust = 1 "
	    "WHERE user_id = ?1 AND device_id = ?2";
	static const char	*mk = "UPDATE tracked_users SET "
	    "msk_verified = 1 WHERE user_id = ?1 AND (msk_pinned IS NULL OR "
	    "msk_pinned = ?2)";

	if (device_id != NULL && store_run(s, err, "devices", dev, "tt",
	    user_id, device_id) == -1)
		return -1;
	if (msk != NULL && store_run(s, err, "tracked users", mk, "tt",
	    user_id, msk) == -1)
		return -1;
	return 0;
}

/* Whether we verified that device ourselves: 1, 0, -1. */
int
store_verify_trusted(struct store *s, const char *user_id,
    const char *device_id, struct haos_error *err)
{
	static const char	*sql = "SELECT local_trust FROM devices "
	    "WHERE user_id = ?1 AND device_id = ?2";
	int64_t			 v = 0;
	int			 rc;

	rc = store_get_int64(s, err, "devices", sql, &v, "tt", user_id,
	    device_id);
	return rc == -1 ? -1 : rc == 1 && v != 0;
}
