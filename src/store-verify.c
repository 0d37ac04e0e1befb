/* What verification (E2EE.md Step 8) writes in the store. */
#include "haos/store.h"

#include "haos/error.h"
#include "store-int.h"

/*
 * A verification succeeded, in the caller's transaction: the device we
 * verified is trusted by us (devices.local_trust).  A master key it
 * verified is not marked here: msk_pins.verified says that our
 * user-signing key signed it (crypto-xsign.c, at each /keys/query), and
 * net-verify.c makes that signature when it holds the key.
 */
int
store_verify_trust(struct store *s, const char *user_id,
    const char *device_id, struct haos_error *err)
{
	static const char	*sql = "UPDATE devices SET local_trust = 1 "
	    "WHERE user_id = ?1 AND device_id = ?2";

	return store_run(s, err, "devices", sql, "tt", user_id, device_id);
}
