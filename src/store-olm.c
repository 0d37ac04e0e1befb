/* Store the crypto state: the Olm account's pickle and what it owns. */
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

/*
 * A new account (a login as another device): what belonged to the old
 * one goes, in the caller's transaction.  Its Olm sessions were made
 * with the old identity key and would send under the new one; its
 * outbound Megolm sessions were shared as the old device's and are
 * replaced (a new one is shared at the next message); to-device
 * messages not sent yet were built on both.  Room keys received
 * (megolm_in), the seen indexes and the device lists stay: they are
 * the user's, not the device's.
 */
int
store_olm_device_reset(struct store *s, struct haos_error *err)
{
	static const char	*sql =
	    "DELETE FROM olm_sessions; DELETE FROM olm_sessions_gone; "
	    "DELETE FROM olm_wedged; DELETE FROM megolm_out; "
	    "DELETE FROM megolm_out_shared; DELETE FROM to_device_out;";

	return store_exec(s, sql, err);
}

/* A sealed secret (crypto-secrets.c); in the caller's transaction. */
int
store_secret_put(struct store *s, const char *name, const char *sealed,
    int verified, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO secrets (name, sealed, "
	    "verified, updated_ts) VALUES (?1, ?2, ?3, ?4) ON CONFLICT "
	    "(name) DO UPDATE SET sealed = excluded.sealed, verified = "
	    "excluded.verified, updated_ts = excluded.updated_ts";

	return store_run(s, err, "secret", sql, "ttii", name, sealed,
	    (int64_t)verified, store_now_ms());
}

/* 1 with the sealed text and its flag, 0 if there is none, -1. */
int
store_secret_get(struct store *s, const char *name, char **sealed,
    int *verified, struct haos_error *err)
{
	static const char	*sql = "SELECT sealed, verified FROM secrets "
				    "WHERE name = ?1";
	sqlite3_stmt		*st;
	int			 rc;

	*sealed = NULL;
	st = store_row(s, err, "secret", sql, &rc, "t", name);
	if (st == NULL)
		return rc;
	*sealed = store_col_str(st, 0);
	if (verified != NULL)
		*verified = sqlite3_column_int(st, 1);
	sqlite3_reset(st);
	return 1;
}

int
store_secret_delete(struct store *s, const char *name, struct haos_error *err)
{
	static const char	*sql = "DELETE FROM secrets WHERE name = ?1";

	return store_run(s, err, "secret", sql, "t", name);
}
