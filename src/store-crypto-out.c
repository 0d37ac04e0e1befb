/* Store the sending side of encryption: sessions out, shares, to-device. */
#include "haos/store-crypto-out.h"

#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/store.h"
#include "haos/xmalloc.h"
#include "store-int.h"

int
store_crypto_out_room(struct store *s, const char *room_id, int *encrypted,
    char **encryption, char **visibility, struct haos_error *err)
{
	static const char	*sql_enc = "SELECT encrypted FROM rooms "
	    "WHERE room_id = ?1";
	static const char	*sql_state = "SELECT s.content FROM state s "
	    "JOIN rooms r ON r.id = s.room WHERE r.room_id = ?1 AND "
	    "s.type = ?2 AND s.state_key = ''";
	int64_t			 v;
	int			 known;

	*encryption = *visibility = NULL;
	*encrypted = 0;
	if ((known = store_get_int64(s, err, "room", sql_enc, &v, "t",
	    room_id)) == -1 || store_get_text(s, err, "room state", sql_state, encryption, "tt",
	    room_id, "m.room.encryption") == -1 ||
	    store_get_text(s, err, "room state", sql_state, visibility, "tt",
	    room_id, "m.room.history_visibility") == -1) {
		xfree(*encryption);
		*encryption = NULL;
		return -1;
	}
	*encrypted = v != 0 || *encryption != NULL;
	return known;
}

static void
store_crypto_out_member_fill(sqlite3_stmt *st, void *row)
{
	struct crypto_member	*m = row;

	m->user_id = store_col_str(st, 0);
	m->membership = store_col_str(st, 1);
}

static void
store_crypto_out_member_drop(void *arr, size_t n)
{
	store_crypto_out_members_free(arr, n);
}

int
store_crypto_out_members(struct store *s, const char *room_id,
    struct crypto_member **out, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT m.user_id, m.membership FROM "
	    "members m JOIN rooms r ON r.id = m.room WHERE r.room_id = ?1";

	return store_rows(s, err, "members", sql, sizeof **out,
	    store_crypto_out_member_fill, store_crypto_out_member_drop,
	    (void **)out, n, "t", room_id);
}

void
store_crypto_out_members_free(struct crypto_member *m, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free((char *)m[i].user_id);
		free((char *)m[i].membership);
	}
	free(m);
}

static void
store_crypto_out_device_fill(sqlite3_stmt *st, void *row)
{
	struct crypto_device	*d = row;

	d->user_id = store_col_str(st, 0);
	d->device_id = store_col_str(st, 1);
	d->ed25519 = store_col_str(st, 2);
	d->curve25519 = store_col_str(st, 3);
	d->deleted = sqlite3_column_int(st, 4);
	d->cross_signed = sqlite3_column_int(st, 5);
}

static void
store_crypto_out_device_drop(void *arr, size_t n)
{
	store_crypto_out_devices_free(arr, n);
}

int
store_crypto_out_devices(struct store *s, const char *room_id,
    struct crypto_device **out, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT d.user_id, d.device_id, "
	    "d.ed25519, d.curve25519, d.deleted, d.cross_signed FROM devices d "
	    "JOIN members m "
	    "ON m.user_id = d.user_id JOIN rooms r ON r.id = m.room WHERE "
	    "r.room_id = ?1 ORDER BY d.user_id, d.device_id";

	return store_rows(s, err, "devices", sql, sizeof **out,
	    store_crypto_out_device_fill, store_crypto_out_device_drop,
	    (void **)out, n, "t", room_id);
}

int
store_crypto_out_device(struct store *s, const char *user_id,
    const char *device_id, struct crypto_device **out,
    struct haos_error *err)
{
	static const char	*sql = "SELECT user_id, device_id, ed25519, "
	    "curve25519, deleted, cross_signed FROM devices WHERE user_id = ?1 "
	    "AND "
	    "device_id = ?2";
	size_t			 n;

	if (store_rows(s, err, "devices", sql, sizeof **out,
	    store_crypto_out_device_fill, store_crypto_out_device_drop,
	    (void **)out, &n, "tt", user_id, device_id) == -1)
		return -1;
	return n > 0;
}

void
store_crypto_out_devices_free(struct crypto_device *d, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free((char *)d[i].user_id);
		free((char *)d[i].device_id);
		free((char *)d[i].ed25519);
		free((char *)d[i].curve25519);
	}
	free(d);
}

int
store_crypto_out_session(struct store *s, const char *room_id,
    char **session_id, char **pickle, struct crypto_out_state *o,
    struct haos_error *err)
{
	static const char	*sql = "SELECT session_id, pickle, created_ts, "
	    "msg_count, shared_history FROM megolm_out WHERE room_id = ?1";
	sqlite3_stmt		*st;
	int			 rc;

	*session_id = *pickle = NULL;
	st = store_row(s, err, "megolm out", sql, &rc, "t", room_id);
	if (st == NULL)
		return rc;
	*session_id = store_col_str(st, 0);
	*pickle = store_col_str(st, 1);
	o->created_ts = sqlite3_column_int64(st, 2);
	o->msg_count = sqlite3_column_int64(st, 3);
	o->shared_history = sqlite3_column_int(st, 4);
	sqlite3_reset(st);
	return 1;
}

int
store_crypto_out_session_put(struct store *s, const char *room_id,
    const char *session_id, const char *pickle,
    const struct crypto_out_state *o, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO megolm_out (room_id, "
	    "session_id, pickle, created_ts, msg_count, shared_history) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (room_id) DO UPDATE SET "
	    "session_id = excluded.session_id, pickle = excluded.pickle, "
	    "created_ts = excluded.created_ts, msg_count = excluded.msg_count, "
	    "shared_history = excluded.shared_history";

	return store_run(s, err, "megolm out", sql, "tttiii", room_id,
	    session_id, pickle, o->created_ts, o->msg_count,
	    (int64_t)o->shared_history);
}

int
store_crypto_out_own_copy(struct store *s, const char *room_id,
    const char *session_id, const char *user_id, const char *curve,
    const char *ed25519, const char *pickle, uint32_t first_index,
    int shared_history, struct haos_error *err)
{
	static const char	*sql = "INSERT OR IGNORE INTO megolm_in "
	    "(room_id, session_id, sender_user, sender_curve25519, "
	    "claimed_ed25519, pickle, first_known_index, source, "
	    "authenticated, shared_history, created_ts) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7, 'own', 1, ?8, ?9)";

	return store_run(s, err, "megolm in", sql, "ttttttiii", room_id,
	    session_id, user_id, curve, ed25519, pickle, (int64_t)first_index,
	    (int64_t)shared_history, store_now_ms());
}

static void
store_crypto_out_shared_fill(sqlite3_stmt *st, void *row)
{
	struct crypto_shared	*a = row;

	a->user_id = store_col_str(st, 0);
	a->device_id = store_col_str(st, 1);
	a->withheld_code = store_col_str(st, 2);
}

static void
store_crypto_out_shared_drop(void *arr, size_t n)
{
	store_crypto_out_shared_free(arr, n);
}

int
store_crypto_out_shared(struct store *s, const char *session_id,
    int withheld_too, struct crypto_shared **out, size_t *n,
    struct haos_error *err)
{
	static const char	*sql = "SELECT user_id, device_id, "
	    "withheld_code FROM megolm_out_shared WHERE session_id = ?1 AND "
	    "(?2 OR withheld_code IS NULL)";

	return store_rows(s, err, "megolm shared", sql, sizeof **out,
	    store_crypto_out_shared_fill, store_crypto_out_shared_drop,
	    (void **)out, n, "ti", session_id, (int64_t)withheld_too);
}

void
store_crypto_out_shared_free(struct crypto_shared *a, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free((char *)a[i].user_id);
		free((char *)a[i].device_id);
		free((char *)a[i].withheld_code);
	}
	free(a);
}

int
store_crypto_out_share_add(struct store *s, const char *session_id,
    const char *user_id, const char *device_id, int64_t first_index,
    const char *withheld_code, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO megolm_out_shared "
	    "(session_id, user_id, device_id, first_index, withheld_code) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (session_id, user_id, "
	    "device_id) DO UPDATE SET first_index = excluded.first_index, "
	    "withheld_code = excluded.withheld_code WHERE "
	    "megolm_out_shared.withheld_code = 'm.unverified'";

	return store_run(s, err, "megolm shared", sql, "tttit", session_id,
	    user_id, device_id, first_index, withheld_code);
}

int
store_crypto_out_no_olm_sent(struct store *s, const char *user_id,
    const char *device_id, struct haos_error *err)
{
	static const char	*sql = "SELECT count(*) FROM megolm_out_shared "
	    "WHERE user_id = ?1 AND device_id = ?2 AND withheld_code = "
	    "'m.no_olm'";
	int64_t			 v;

	if (store_get_int64(s, err, "megolm shared", sql, &v, "tt", user_id,
	    device_id) == -1)
		return -1;
	return v > 0;
}

int
store_crypto_out_olm(struct store *s, const char *peer, char **pickle,
    struct haos_error *err)
{
	static const char	*sql = "SELECT pickle FROM olm_sessions WHERE "
	    "peer_curve25519 = ?1 ORDER BY last_rx_ts DESC, created_ts DESC, "
	    "session_id LIMIT 1";

	return store_get_text(s, err, "olm session", sql, pickle, "t", peer);
}

int
store_crypto_out_olm_put(struct store *s, const char *session_id,
    const char *peer, const char *pickle, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO olm_sessions (session_id, "
	    "peer_curve25519, pickle, created_ts, last_tx_ts) VALUES (?1, ?2, "
	    "?3, ?4, ?4) ON CONFLICT (session_id) DO UPDATE SET pickle = "
	    "excluded.pickle, last_tx_ts = excluded.last_tx_ts";
	int64_t			 now;

	now = store_now_ms();
	return store_run(s, err, "olm session", sql, "ttti", session_id, peer,
	    pickle, now);
}

int
store_crypto_out_todev_add(struct store *s, const char *txn_id,
    const char *type, const char *body, const char *purpose,
    struct haos_error *err)
{
	static const char	*sql = "INSERT INTO to_device_out (txn_id, "
	    "type, body, purpose, created_ts) VALUES (?1, ?2, ?3, ?4, ?5)";

	return store_run(s, err, "to-device out", sql, "tttti", txn_id, type,
	    body, purpose, store_now_ms());
}

int
store_crypto_out_todev_next(struct store *s, char **txn_id, char **type,
    char **body, struct haos_error *err)
{
	static const char	*sql = "SELECT txn_id, type, body FROM "
	    "to_device_out ORDER BY id LIMIT 1";
	sqlite3_stmt		*st;
	int			 rc;

	*txn_id = *type = *body = NULL;
	st = store_row(s, err, "to-device out", sql, &rc, "");
	if (st == NULL)
		return rc;
	*txn_id = store_col_str(st, 0);
	*type = store_col_str(st, 1);
	*body = store_col_str(st, 2);
	sqlite3_reset(st);
	return 1;
}

int
store_crypto_out_todev_pending(struct store *s, const char *purpose,
    int64_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT count(*) FROM to_device_out "
	    "WHERE purpose = ?1";

	return store_get_int64(s, err, "to-device out", sql, n, "t",
	    purpose) == -1 ? -1 : 0;
}

int
store_crypto_out_todev_delete(struct store *s, const char *txn_id,
    struct haos_error *err)
{
	static const char	*sql = "DELETE FROM to_device_out WHERE "
	    "txn_id = ?1";

	return store_run_auto(s, err, "to-device out", NULL, NULL, sql, "t",
	    txn_id) == -1 ? -1 : 0;
}

int
store_crypto_out_wire(struct store *s, const char *txn_id, char **type,
    char **content, struct haos_error *err)
{
	static const char	*sql = "SELECT wire_type, wire_content FROM "
	    "outbox WHERE txn_id = ?1 AND wire_content IS NOT NULL";
	sqlite3_stmt		*st;
	int			 rc;

	*type = *content = NULL;
	st = store_row(s, err, "outbox wire", sql, &rc, "t", txn_id);
	if (st == NULL)
		return rc;
	*type = store_col_str(st, 0);
	*content = store_col_str(st, 1);
	sqlite3_reset(st);
	return 1;
}

int
store_crypto_out_wire_put(struct store *s, const char *txn_id,
    const char *type, const char *content, struct haos_error *err)
{
	static const char	*sql = "UPDATE outbox SET wire_type = ?2, "
	    "wire_content = ?3 WHERE txn_id = ?1";

	if (store_change_outbox(s, txn_id, err) == -1)
		return -1;
	return store_run(s, err, "outbox wire", sql, "ttt", txn_id, type,
	    content);
}

static void
store_crypto_out_wedged_fill(sqlite3_stmt *st, void *row)
{
	struct crypto_wedged	*w = row;

	w->peer_curve25519 = store_col_str(st, 0);
	w->user_id = store_col_str(st, 1);
	w->device_id = store_col_str(st, 2);
	w->last_new_session_ts = sqlite3_column_int64(st, 3);
}

static void
store_crypto_out_wedged_drop(void *arr, size_t n)
{
	store_crypto_out_wedged_free(arr, n);
}

int
store_crypto_out_wedged(struct store *s, struct crypto_wedged **out,
    size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT peer_curve25519, user_id, "
	    "device_id, last_new_session_ts FROM olm_wedged WHERE pending != 0 "
	    "ORDER BY peer_curve25519";

	return store_rows(s, err, "olm wedged", sql, sizeof **out,
	    store_crypto_out_wedged_fill, store_crypto_out_wedged_drop,
	    (void **)out, n, "");
}

void
store_crypto_out_wedged_free(struct crypto_wedged *w, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(w[i].peer_curve25519);
		free(w[i].user_id);
		free(w[i].device_id);
	}
	free(w);
}

int
store_crypto_out_wedged_done(struct store *s, const char *peer, int64_t ts,
    struct haos_error *err)
{
	static const char	*sql = "UPDATE olm_wedged SET pending = 0, "
	    "last_new_session_ts = CASE WHEN ?2 != 0 THEN ?2 ELSE "
	    "last_new_session_ts END WHERE peer_curve25519 = ?1";

	return store_run(s, err, "olm wedged", sql, "ti", peer, ts);
}
