/* Store reads for secret storage and key files: sessions, owners, keys. */

/*
 * What /recovery and /keys need of the store beyond the receiving side
 * (store-crypto-in.c): every inbound Megolm session for an export, the
 * owner of a device's curve25519 key for an import, and our published
 * cross-signing public keys to check recovered seeds against.  Pickles
 * stay encrypted with the pickle key; nothing here is secret in clear.
 */
#include "haos/store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "store-int.h"

static void
store_secrets_megolm_fill(sqlite3_stmt *st, void *row)
{
	struct store_megolm_row	*r = row;

	r->room_id = store_col_str(st, 0);
	r->session_id = store_col_str(st, 1);
	r->sender_curve25519 = store_col_str(st, 2);
	r->claimed_ed25519 = store_col_str(st, 3);
	r->pickle = store_col_str(st, 4);
	r->first_known_index = sqlite3_column_int64(st, 5);
}

static void
store_secrets_megolm_drop(void *arr, size_t n)
{
	store_secrets_megolm_free(arr, n);
}

/* Every row of megolm_in, ordered by room and session. */
int
store_secrets_megolm_all(struct store *s, struct store_megolm_row **out,
    size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT room_id, session_id, "
	    "sender_curve25519, claimed_ed25519, pickle, first_known_index "
	    "FROM megolm_in ORDER BY room_id, session_id";

	return store_rows(s, err, "megolm sessions", sql, sizeof **out,
	    store_secrets_megolm_fill, store_secrets_megolm_drop, (void **)out,
	    n, "");
}

void
store_secrets_megolm_free(struct store_megolm_row *arr, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(arr[i].room_id);
		free(arr[i].session_id);
		free(arr[i].sender_curve25519);
		free(arr[i].claimed_ed25519);
		if (arr[i].pickle != NULL)
			explicit_bzero(arr[i].pickle, strlen(arr[i].pickle));
		free(arr[i].pickle);
	}
	free(arr);
}

/* The user whose device has curve25519 (deleted or not): 1, 0, -1. */
int
store_secrets_device_owner(struct store *s, const char *curve25519,
    char **user_id, struct haos_error *err)
{
	static const char	*sql = "SELECT user_id FROM devices WHERE "
	    "curve25519 = ?1 ORDER BY deleted, user_id LIMIT 1";

	*user_id = NULL;
	return store_get_text(s, err, "device owner", sql, user_id, "t",
	    curve25519);
}

/* user_id's published cross-signing public key of usage: 1, 0, -1. */
int
store_secrets_xsign_key(struct store *s, const char *user_id,
    const char *usage, char **public_key, struct haos_error *err)
{
	static const char	*sql = "SELECT public_key FROM "
	    "cross_signing_keys WHERE user_id = ?1 AND usage = ?2";

	*public_key = NULL;
	return store_get_text(s, err, "cross-signing key", sql, public_key,
	    "tt", user_id, usage);
}
