/* Store cross-signing keys, the pinned master keys and device trust. */

/*
 * cross_signing_keys holds what crypto-xsign.c accepted of a user's
 * /keys/query answer: one row per usage, the public key and the signed
 * JSON as the server gave it.  The pin of the master key lives in
 * tracked_users beside the device list it goes with; devices carry
 * whether the user's self-signing key signed them.  Nothing here
 * checks a signature: that is crypto-xsign.c's job, before any write.
 */
#include "haos/store-xsign.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/store.h"
#include "haos/xmalloc.h"
#include "store-int.h"

/* Keep user_id's key of this usage (replacing the one before). */
int
store_xsign_key_put(struct store *s, const char *user_id, const char *usage,
    const char *public_key, const char *json, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO cross_signing_keys "
	    "(user_id, usage, public_key, json) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT (user_id, usage) DO UPDATE SET public_key = "
	    "excluded.public_key, json = excluded.json";

	return store_run(s, err, "cross-signing keys", sql, "tttt", user_id,
	    usage, public_key, json);
}

/* user_id no longer has a (valid) key of this usage. */
int
store_xsign_key_drop(struct store *s, const char *user_id, const char *usage,
    struct haos_error *err)
{
	static const char	*sql = "DELETE FROM cross_signing_keys WHERE "
	    "user_id = ?1 AND usage = ?2";

	return store_run(s, err, "cross-signing keys", sql, "tt", user_id,
	    usage);
}

int
store_xsign_key_get(struct store *s, const char *user_id, const char *usage,
    char **public_key, char **json, struct haos_error *err)
{
	static const char	*sql = "SELECT public_key, json FROM "
	    "cross_signing_keys WHERE user_id = ?1 AND usage = ?2";
	sqlite3_stmt		*st;
	int			 rc;

	*public_key = NULL;
	if (json != NULL)
		*json = NULL;
	st = store_row(s, err, "cross-signing keys", sql, &rc, "tt", user_id,
	    usage);
	if (st == NULL)
		return rc;
	*public_key = store_col_str(st, 0);
	if (json != NULL)
		*json = store_col_str(st, 1);
	sqlite3_reset(st);
	return 1;
}

int
store_xsign_key_known(struct store *s, const char *public_key,
    struct haos_error *err)
{
	static const char	*sql = "SELECT count(*) FROM "
	    "cross_signing_keys WHERE public_key = ?1";
	int64_t			 n;

	if (store_get_int64(s, err, "cross-signing keys", sql, &n, "t",
	    public_key) == -1)
		return -1;
	return n > 0;
}

int
store_xsign_user(struct store *s, const char *user_id, struct xsign_user *u,
    struct haos_error *err)
{
	static const char	*sql = "SELECT (SELECT public_key FROM "
	    "cross_signing_keys k WHERE k.user_id = t.user_id AND k.usage = "
	    "'master'), p.msk, coalesce(p.changed, 0), coalesce(p.verified, "
	    "0) FROM tracked_users t LEFT JOIN msk_pins p ON p.user_id = "
	    "t.user_id WHERE t.user_id = ?1";
	sqlite3_stmt		*st;
	int			 rc;

	memset(u, 0, sizeof *u);
	st = store_row(s, err, "tracked users", sql, &rc, "t", user_id);
	if (st == NULL)
		return rc;
	u->msk = store_col_str(st, 0);
	u->pinned = store_col_str(st, 1);
	u->changed = sqlite3_column_int(st, 2);
	u->verified = sqlite3_column_int(st, 3);
	sqlite3_reset(st);
	return 1;
}

void
xsign_user_free(struct xsign_user *u)
{
	free(u->msk);
	free(u->pinned);
	memset(u, 0, sizeof *u);
}

/*
 * Pin user_id's master key (TOFU) and set or clear the change flag.  The
 * pin (table msk_pins) outlives the user's tracking.
 */
int
store_xsign_pin(struct store *s, const char *user_id, const char *pinned,
    int changed, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO msk_pins (user_id, msk, "
	    "changed) VALUES (?1, ?2, ?3) ON CONFLICT (user_id) DO UPDATE "
	    "SET msk = ?2, changed = ?3";

	return store_run(s, err, "master key pins", sql, "tti", user_id,
	    pinned, (int64_t)changed);
}

int
store_xsign_verified(struct store *s, const char *user_id, int verified,
    struct haos_error *err)
{
	static const char	*sql = "UPDATE msk_pins SET verified = ?2 "
	    "WHERE user_id = ?1";

	return store_run(s, err, "master key pins", sql, "ti", user_id,
	    (int64_t)verified);
}

int
store_xsign_device_json(struct store *s, const char *user_id,
    const char *device_id, char **json, struct haos_error *err)
{
	static const char	*sql = "SELECT keys_json FROM devices WHERE "
	    "user_id = ?1 AND device_id = ?2";

	return store_get_text(s, err, "devices", sql, json, "tt", user_id,
	    device_id);
}

int
store_xsign_device_signed(struct store *s, const char *user_id,
    const char *device_id, int cross_signed, struct haos_error *err)
{
	static const char	*sql = "UPDATE devices SET cross_signed = ?3 "
	    "WHERE user_id = ?1 AND device_id = ?2";

	return store_run(s, err, "devices", sql, "tti", user_id, device_id,
	    (int64_t)cross_signed);
}

static void
store_xsign_device_fill(sqlite3_stmt *st, void *row)
{
	struct xsign_device	*d = row;

	d->device_id = store_col_str(st, 0);
	d->display_name = store_col_str(st, 1);
	d->ed25519 = store_col_str(st, 2);
	d->deleted = sqlite3_column_int(st, 3);
	d->cross_signed = sqlite3_column_int(st, 4);
	d->local_trust = sqlite3_column_int(st, 5);
}

static void
store_xsign_device_drop(void *rows, size_t n)
{
	xsign_devices_free(rows, n);
}

int
store_xsign_devices(struct store *s, const char *user_id,
    struct xsign_device **rows, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT device_id, display_name, "
	    "ed25519, deleted, cross_signed, local_trust FROM devices WHERE "
	    "user_id = ?1 ORDER BY deleted, device_id";

	return store_rows(s, err, "devices", sql, sizeof **rows,
	    store_xsign_device_fill, store_xsign_device_drop, (void **)rows, n,
	    "t", user_id);
}

void
xsign_devices_free(struct xsign_device *rows, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(rows[i].device_id);
		free(rows[i].display_name);
		free(rows[i].ed25519);
	}
	free(rows);
}

/* Joined members and, as the sender would, invited ones are looked at. */
int
store_xsign_changed_in_room(struct store *s, const char *room_id,
    char ***users, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT DISTINCT t.user_id FROM "
	    "tracked_users t JOIN msk_pins p ON p.user_id = t.user_id JOIN "
	    "members m ON m.user_id = t.user_id JOIN rooms r ON r.id = "
	    "m.room WHERE r.room_id = ?1 AND m.membership IN ('join', "
	    "'invite') AND p.changed = 1 ORDER BY t.user_id";

	return store_rows(s, err, "tracked users", sql, sizeof **users,
	    store_fill_text, store_drop_texts, (void **)users, n, "t",
	    room_id);
}

int
store_xsign_outbox_hold(struct store *s, const char *txn_id, const char *note,
    struct haos_error *err)
{
	static const char	*get = "SELECT count(*) FROM outbox WHERE "
	    "txn_id = ?1 AND state = 'pending' AND error IS NOT ?2";
	static const char	*set = "UPDATE outbox SET error = ?2 WHERE "
	    "txn_id = ?1 AND state = 'pending'";
	int64_t			 n;

	if (store_get_int64(s, err, "outbox", get, &n, "tt", txn_id,
	    note) == -1)
		return -1;
	if (n == 0)
		return 0;
	return store_run_auto(s, err, "outbox", store_change_outbox, txn_id,
	    set, "tt", txn_id, note) == -1 ? -1 : 0;
}

int
store_xsign_rooms_changed(struct store *s, const char *user_id,
    struct haos_error *err)
{
	static const char	*rooms = "SELECT DISTINCT r.room_id FROM "
	    "members m JOIN rooms r ON r.id = m.room WHERE m.user_id = ?1 "
	    "AND m.membership IN ('join', 'invite') ORDER BY r.room_id";
	char			**ids;
	size_t			 n, i;
	int			 rc;

	if (store_rows(s, err, "members", rooms, sizeof *ids, store_fill_text,
	    store_drop_texts, (void **)&ids, &n, "t", user_id) == -1)
		return -1;
	/* store_room_changed() gives the rows it wrote: only -1 stops. */
	for (i = 0, rc = 0; i < n && rc != -1; i++)
		rc = store_room_changed(s, ids[i], err);
	store_xsign_users_free(ids, n);
	return rc == -1 ? -1 : 0;
}

void
store_xsign_users_free(char **users, size_t n)
{
	store_drop_texts(users, n);
}
