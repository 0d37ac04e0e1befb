/* Store the crypto state: the Olm account's pickle (schema v6). */
#include "haos/store.h"

#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "store-int.h"

/* The account's pickle, or NULL in *out when there is none yet. */
int
store_olm_account_get(struct store *s, char **out, struct haos_error *err)
{
	static const char	*sql = "SELECT pickle FROM olm_account "
				    "WHERE id = 1";

	return store_get_text(s, err, "olm account", sql, out, "") == -1 ?
	    -1 : 0;
}

/* Replace the account's pickle; in the caller's transaction. */
int
store_olm_account_put(struct store *s, const char *pickle,
    struct haos_error *err)
{
	static const char	*sql = "INSERT INTO olm_account (id, pickle, "
	    "updated_ts) VALUES (1, ?1, ?2) ON CONFLICT (id) DO UPDATE SET "
	    "pickle = excluded.pickle, updated_ts = excluded.updated_ts";

	return store_run(s, err, "olm account", sql, "ti", pickle,
	    store_now_ms());
}
