/* Store what receiving encrypted events keeps: sessions, seen, waiting. */

/*
 * Everything here runs on the net thread's RW store inside the /sync
 * (or /keys/query) transaction whose events caused it, so that a crash
 * keeps either the whole batch with its crypto state or neither
 * (E2EE.md 0.6).  Pickles are encrypted by the crypto layer with the
 * pickle key; no plaintext or key material is stored here in clear.
 */
#include "haos/store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/model.h"
#include "store-int.h"

static void
store_crypto_in_olm_fill(sqlite3_stmt *st, void *row)
{
	struct store_olm_session	*o = row;

	o->session_id = store_col_str(st, 0);
	o->pickle = store_col_str(st, 1);
	o->recent_rx = store_col_str(st, 2);
}

static void
store_crypto_in_olm_drop(void *arr, size_t n)
{
	store_crypto_in_olm_free(arr, n);
}

int
store_crypto_in_olm_list(struct store *s, const char *peer,
    struct store_olm_session **out, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT session_id, pickle, recent_rx "
	    "FROM olm_sessions WHERE peer_curve25519 = ?1 ORDER BY "
	    "max(last_rx_ts, last_tx_ts) DESC, created_ts DESC, session_id";

	return store_rows(s, err, "olm sessions", sql, sizeof **out,
	    store_crypto_in_olm_fill, store_crypto_in_olm_drop, (void **)out,
	    n, "t", peer);
}

void
store_crypto_in_olm_free(struct store_olm_session *arr, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(arr[i].session_id);
		free(arr[i].pickle);
		free(arr[i].recent_rx);
	}
	free(arr);
}

int
store_crypto_in_olm_exists(struct store *s, const char *session_id,
    struct haos_error *err)
{
	static const char	*sql = "SELECT 1 FROM olm_sessions "
	    "WHERE session_id = ?1 UNION ALL SELECT 1 FROM olm_sessions_gone "
	    "WHERE session_id = ?1 LIMIT 1";
	int64_t			 v;

	return store_get_int64(s, err, "olm session", sql, &v, "t",
	    session_id);
}

int
store_crypto_in_olm_put(struct store *s, const char *session_id,
    const char *peer, const char *pickle, const char *recent_rx,
    struct haos_error *err)
{
	static const char	*sql = "INSERT INTO olm_sessions (session_id, "
	    "peer_curve25519, pickle, created_ts, last_rx_ts, recent_rx) "
	    "VALUES (?1, ?2, ?3, ?4, ?4, ?5) ON CONFLICT (session_id) DO "
	    "UPDATE SET pickle = excluded.pickle, last_rx_ts = "
	    "excluded.last_rx_ts, recent_rx = excluded.recent_rx";

	return store_run(s, err, "olm session", sql, "tttit", session_id,
	    peer, pickle, store_now_ms(), recent_rx);
}

/*
 * Keep the keep most recently used sessions with peer.  The ids of those
 * dropped are remembered (olm_sessions_gone): a replayed pre-key message
 * built on a fallback key would make the very same session again.
 */
int
store_crypto_in_olm_prune(struct store *s, const char *peer, int keep,
    struct haos_error *err)
{
#define OLM_PRUNED	"FROM olm_sessions WHERE peer_curve25519 = ?1 AND " \
	    "session_id NOT IN (SELECT session_id FROM olm_sessions WHERE " \
	    "peer_curve25519 = ?1 ORDER BY max(last_rx_ts, last_tx_ts) " \
	    "DESC, created_ts DESC, session_id LIMIT ?2)"
	static const char	*gone = "INSERT OR IGNORE INTO olm_sessions_gone "
	    "(session_id, gone_ts) SELECT session_id, ?3 " OLM_PRUNED;
	static const char	*sql = "DELETE " OLM_PRUNED;
#undef OLM_PRUNED

	if (store_run(s, err, "olm sessions", gone, "tii", peer,
	    (int64_t)keep, store_now_ms()) == -1)
		return -1;
	return store_run(s, err, "olm sessions", sql, "ti", peer,
	    (int64_t)keep);
}

int
store_crypto_in_wedged(struct store *s, const char *peer, const char *user_id,
    const char *device_id, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO olm_wedged "
	    "(peer_curve25519, user_id, device_id, pending) VALUES "
	    "(?1, ?2, ?3, 1) ON CONFLICT (peer_curve25519) DO UPDATE SET "
	    "user_id = excluded.user_id, device_id = "
	    "coalesce(excluded.device_id, device_id), pending = 1";

	return store_run(s, err, "olm wedged", sql, "ttt", peer, user_id,
	    device_id);
}

int
store_crypto_in_device(struct store *s, const char *user_id,
    const char *curve25519, char **device_id, char **ed25519,
    struct haos_error *err)
{
	static const char	*sql = "SELECT device_id, ed25519 FROM devices "
	    "WHERE curve25519 = ?1 AND user_id = ?2 AND deleted = 0";
	sqlite3_stmt		*st;
	int			 rc;

	*device_id = *ed25519 = NULL;
	st = store_row(s, err, "device", sql, &rc, "tt", curve25519, user_id);
	if (st == NULL)
		return rc;
	*device_id = store_col_str(st, 0);
	*ed25519 = store_col_str(st, 1);
	sqlite3_reset(st);
	return 1;
}

int
store_crypto_in_outdated(struct store *s, const char *user_id,
    struct haos_error *err)
{
	/* Through the device lists' own rule: changed_seq moves too, so a
	 * /keys/query already out cannot mark the user current. */
	return store_tracked_want(s, user_id, err);
}

int
store_crypto_in_megolm_get(struct store *s, const char *room_id,
    const char *session_id, struct store_megolm_in *m,
    struct haos_error *err)
{
	static const char	*sql = "SELECT sender_user, sender_curve25519, "
	    "claimed_ed25519, pickle, first_known_index, authenticated, "
	    "shared_history FROM megolm_in WHERE room_id = ?1 AND "
	    "session_id = ?2";
	sqlite3_stmt		*st;
	int			 rc;

	memset(m, 0, sizeof *m);
	st = store_row(s, err, "megolm session", sql, &rc, "tt", room_id,
	    session_id);
	if (st == NULL)
		return rc;
	m->sender_user = store_col_str(st, 0);
	m->sender_curve25519 = store_col_str(st, 1);
	m->claimed_ed25519 = store_col_str(st, 2);
	m->pickle = store_col_str(st, 3);
	m->first_known_index = sqlite3_column_int64(st, 4);
	m->authenticated = sqlite3_column_int(st, 5);
	m->shared_history = sqlite3_column_int(st, 6);
	sqlite3_reset(st);
	return 1;
}

int
store_crypto_in_megolm_put(struct store *s, const char *room_id,
    const char *session_id, const struct store_megolm_in *m,
    const char *source, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO megolm_in (room_id, "
	    "session_id, sender_user, sender_curve25519, claimed_ed25519, "
	    "pickle, first_known_index, source, authenticated, "
	    "shared_history, created_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	    "?8, ?9, ?10, ?11) ON CONFLICT (room_id, session_id) DO UPDATE "
	    "SET sender_user = excluded.sender_user, sender_curve25519 = "
	    "excluded.sender_curve25519, claimed_ed25519 = "
	    "excluded.claimed_ed25519, pickle = excluded.pickle, "
	    "first_known_index = excluded.first_known_index, source = "
	    "excluded.source, authenticated = excluded.authenticated, "
	    "shared_history = excluded.shared_history, backed_up_version = "
	    "NULL";

	return store_run(s, err, "megolm session", sql, "ttttttitiii",
	    room_id, session_id, m->sender_user, m->sender_curve25519,
	    m->claimed_ed25519, m->pickle, m->first_known_index, source,
	    (int64_t)m->authenticated, (int64_t)m->shared_history,
	    store_now_ms());
}

void
store_crypto_in_megolm_free(struct store_megolm_in *m)
{
	free(m->sender_user);
	free(m->sender_curve25519);
	free(m->claimed_ed25519);
	free(m->pickle);
	memset(m, 0, sizeof *m);
}

int
store_crypto_in_seen(struct store *s, const char *room_id,
    const char *session_id, int64_t index, char **event_id,
    struct haos_error *err)
{
	static const char	*sql = "SELECT event_id FROM megolm_seen "
	    "WHERE room_id = ?1 AND session_id = ?2 AND message_index = ?3";

	return store_get_text(s, err, "megolm seen", sql, event_id, "tti",
	    room_id, session_id, index);
}

int
store_crypto_in_seen_add(struct store *s, const char *room_id,
    const char *session_id, int64_t index, const char *event_id,
    int64_t origin_ts, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO megolm_seen (room_id, "
	    "session_id, message_index, event_id, origin_ts) VALUES (?1, ?2, "
	    "?3, ?4, ?5) ON CONFLICT DO NOTHING";

	return store_run(s, err, "megolm seen", sql, "ttiti", room_id,
	    session_id, index, event_id, origin_ts);
}

int
store_crypto_in_waiting_set(struct store *s, const char *event_id,
    const char *room_id, const char *session_id, int reason,
    struct haos_error *err)
{
	/* Waiting says least: it never overwrites a reason (withheld). */
	static const char	*sql = "INSERT INTO undecryptable (event_id, "
	    "room_id, session_id, reason, since_ts) VALUES (?1, ?2, ?3, ?4, "
	    "?5) ON CONFLICT (event_id) DO UPDATE SET reason = "
	    "excluded.reason WHERE excluded.reason != ?6";

	return store_run(s, err, "undecryptable", sql, "tttiii", event_id,
	    room_id, session_id, (int64_t)reason, store_now_ms(),
	    (int64_t)E2E_WAITING);
}

int
store_crypto_in_waiting_drop(struct store *s, const char *event_id,
    struct haos_error *err)
{
	static const char	*sql = "DELETE FROM undecryptable "
				    "WHERE event_id = ?1";

	return store_run(s, err, "undecryptable", sql, "t", event_id);
}

int
store_crypto_in_waiting_list(struct store *s, const char *room_id,
    const char *session_id, char ***out, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT event_id FROM undecryptable "
	    "WHERE room_id = ?1 AND session_id = ?2 ORDER BY since_ts, "
	    "event_id";

	return store_rows(s, err, "undecryptable", sql, sizeof **out,
	    store_fill_text, store_drop_texts, (void **)out, n, "tt", room_id,
	    session_id);
}

int
store_crypto_in_withheld(struct store *s, const char *room_id,
    const char *session_id, const char *sender, struct haos_error *err)
{
	static const char	*sql_ev = "UPDATE events SET e2e = ?4 WHERE "
	    "sender = ?3 AND event_id IN (SELECT event_id FROM undecryptable "
	    "WHERE room_id = ?1 AND session_id = ?2)";
	static const char	*sql_u = "UPDATE undecryptable SET reason = ?4 "
	    "WHERE room_id = ?1 AND session_id = ?2 AND event_id IN (SELECT "
	    "event_id FROM events WHERE sender = ?3)";
	int			 n;

	if (store_run(s, err, "withheld", sql_ev, "ttti", room_id,
	    session_id, sender, (int64_t)E2E_WITHHELD) == -1)
		return -1;
	n = sqlite3_changes(s->db);
	if (store_run(s, err, "withheld", sql_u, "ttti", room_id, session_id,
	    sender, (int64_t)E2E_WITHHELD) == -1)
		return -1;
	return n;
}

int
store_crypto_in_event_get(struct store *s, const char *event_id,
    char **sender, int64_t *ts, char **content, struct haos_error *err)
{
	static const char	*sql = "SELECT sender, ts, content FROM events "
				    "WHERE event_id = ?1";
	sqlite3_stmt		*st;
	int			 rc;

	*sender = *content = NULL;
	st = store_row(s, err, "event", sql, &rc, "t", event_id);
	if (st == NULL)
		return rc;
	*sender = store_col_str(st, 0);
	*ts = sqlite3_column_int64(st, 1);
	*content = store_col_str(st, 2);
	sqlite3_reset(st);
	return 1;
}

int
store_crypto_in_event_set(struct store *s, const char *event_id,
    const struct store_event *ev, int e2e, struct haos_error *err)
{
	static const char	*sql = "UPDATE events SET type = ?2, "
	    "content = ?3, rel_type = ?4, relates_to = ?5, rel_key = ?6, "
	    "e2e = ?7 WHERE event_id = ?1";
	static const char	*sql_state = "UPDATE events SET e2e = ?2 "
	    "WHERE event_id = ?1";

	if (ev == NULL)
		return store_run(s, err, "event e2e", sql_state, "ti",
		    event_id, (int64_t)e2e);
	return store_run(s, err, "decrypted event", sql, "ttbttti", event_id,
	    ev->type, ev->content, ev->content_len, ev->rel_type,
	    ev->relates_to, ev->rel_key, (int64_t)e2e);
}
