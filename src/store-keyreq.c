/* Room key requests (E2EE.md Step 11): ours and those made of us. */

/*
 * Tables key_requests and key_requests_in (schema v10), written by the
 * net thread only: ours when net-keyreq.c asks our own devices for a
 * session (and marks it done once nothing waits for it), theirs in the
 * /sync transaction that brought them (crypto-keyreq.c), removed once
 * answered, refused or cancelled.
 */
#include "haos/store-keyreq.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "store-int.h"

#define STORE_KEYREQ_MEGOLM	"m.megolm.v1.aes-sha2"

static void
store_keyreq_fill(sqlite3_stmt *st, void *row)
{
	struct store_keyreq	*r = row;

	r->request_id = store_col_str(st, 0);
	r->room_id = store_col_str(st, 1);
	r->session_id = store_col_str(st, 2);
	r->sender_key = store_col_str(st, 3);
	r->devices = store_col_str(st, 4);
	r->state = store_col_str(st, 5);
}

static void
store_keyreq_drop(void *arr, size_t n)
{
	store_keyreq_free(arr, n);
}

void
store_keyreq_free(struct store_keyreq *r, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(r[i].request_id);
		free(r[i].room_id);
		free(r[i].session_id);
		free(r[i].sender_key);
		free(r[i].devices);
		free(r[i].state);
	}
	free(r);
}

int
store_keyreq_wanted(struct store *s, int64_t since_ts, size_t max,
    struct store_keyreq **out, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT NULL, u.room_id, u.session_id, "
	    "max(CASE WHEN json_valid(e.content) AND "
	    "json_type(e.content, '$.sender_key') = 'text' THEN "
	    "json_extract(e.content, '$.sender_key') END) AS sk, NULL, NULL "
	    "FROM undecryptable u JOIN events e ON e.event_id = u.event_id "
	    "WHERE u.session_id IS NOT NULL AND e.ts >= ?1 AND "
	    "json_valid(e.content) AND "
	    "json_extract(e.content, '$.algorithm') IS ?3 AND "
	    "NOT EXISTS (SELECT 1 FROM key_requests k WHERE k.room_id = "
	    "u.room_id AND k.session_id = u.session_id) AND "
	    "NOT EXISTS (SELECT 1 FROM key_backup WHERE trusted = 1) "
	    "GROUP BY u.room_id, u.session_id HAVING sk IS NOT NULL "
	    "ORDER BY max(e.ts) DESC LIMIT ?2";

	return store_rows(s, err, "key requests", sql,
	    sizeof(struct store_keyreq), store_keyreq_fill, store_keyreq_drop,
	    (void **)out, n, "iit", since_ts, (int64_t)max,
	    STORE_KEYREQ_MEGOLM);
}

int
store_keyreq_own_devices(struct store *s, const char *user_id,
    const char *device_id, char ***out, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT device_id FROM devices WHERE "
	    "user_id = ?1 AND device_id != ?2 AND deleted = 0 AND "
	    "(cross_signed != 0 OR local_trust != 0) ORDER BY device_id "
	    "LIMIT 50";

	return store_rows(s, err, "key requests", sql, sizeof(char *),
	    store_fill_text, store_drop_texts, (void **)out, n, "tt",
	    user_id, device_id);
}

int
store_keyreq_add(struct store *s, const struct store_keyreq *r,
    struct haos_error *err)
{
	static const char	*sql = "INSERT INTO key_requests (request_id, "
	    "room_id, session_id, sender_key, devices, state, created_ts) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, 'sent', ?6)";

	return store_run(s, err, "key requests", sql, "ttttti",
	    r->request_id, r->room_id, r->session_id, r->sender_key,
	    r->devices, store_now_ms());
}

int
store_keyreq_get(struct store *s, const char *room_id,
    const char *session_id, struct store_keyreq *r, struct haos_error *err)
{
	static const char	*sql = "SELECT request_id, room_id, "
	    "session_id, sender_key, devices, state FROM key_requests WHERE "
	    "room_id = ?1 AND session_id = ?2";
	sqlite3_stmt		*st;
	int			 rc;

	memset(r, 0, sizeof *r);
	st = store_row(s, err, "key requests", sql, &rc, "tt", room_id,
	    session_id);
	if (st == NULL)
		return rc;
	store_keyreq_fill(st, r);
	sqlite3_reset(st);
	return 1;
}

int
store_keyreq_arrived(struct store *s, size_t max, struct store_keyreq **out,
    size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT request_id, room_id, "
	    "session_id, sender_key, devices, state FROM key_requests k "
	    "WHERE state = "
	    "'sent' AND NOT EXISTS (SELECT 1 FROM undecryptable u WHERE "
	    "u.room_id = k.room_id AND u.session_id = k.session_id) "
	    "LIMIT ?1";

	return store_rows(s, err, "key requests", sql,
	    sizeof(struct store_keyreq), store_keyreq_fill, store_keyreq_drop,
	    (void **)out, n, "i", (int64_t)max);
}

int
store_keyreq_done(struct store *s, const char *request_id,
    struct haos_error *err)
{
	static const char	*sql = "UPDATE key_requests SET state = 'done' "
	    "WHERE request_id = ?1";

	return store_run(s, err, "key requests", sql, "t", request_id);
}

int
store_keyreq_device(struct store *s, const char *user_id,
    const char *curve25519, char **device_id, int *verified,
    struct haos_error *err)
{
	static const char	*sql = "SELECT device_id, (cross_signed != 0 "
	    "OR local_trust != 0) AND deleted = 0 FROM devices WHERE "
	    "user_id = ?1 AND curve25519 = ?2 ORDER BY deleted LIMIT 1";
	sqlite3_stmt		*st;
	int			 rc;

	*device_id = NULL;
	*verified = 0;
	st = store_row(s, err, "key requests", sql, &rc, "tt", user_id,
	    curve25519);
	if (st == NULL)
		return rc;
	*device_id = store_col_str(st, 0);
	*verified = sqlite3_column_int(st, 1);
	sqlite3_reset(st);
	return 1;
}

int
store_keyreq_verified(struct store *s, const char *user_id,
    const char *device_id, struct haos_error *err)
{
	static const char	*sql = "SELECT count(*) FROM devices WHERE "
	    "user_id = ?1 AND device_id = ?2 AND deleted = 0 AND "
	    "(cross_signed != 0 OR local_trust != 0)";
	int64_t			 v = 0;

	if (store_get_int64(s, err, "key requests", sql, &v, "tt", user_id,
	    device_id) == -1)
		return -1;
	return v > 0;
}

int
store_keyreq_sender_key(struct store *s, const char *room_id,
    const char *session_id, char **out, struct haos_error *err)
{
	static const char	*sql = "SELECT sender_curve25519 FROM "
	    "megolm_in WHERE room_id = ?1 AND session_id = ?2 UNION ALL "
	    "SELECT json_extract(e.content, '$.sender_key') FROM "
	    "undecryptable u JOIN events e ON e.event_id = u.event_id "
	    "WHERE u.room_id = ?1 AND u.session_id = ?2 AND "
	    "json_valid(e.content) AND "
	    "json_type(e.content, '$.sender_key') = 'text' LIMIT 1";

	return store_get_text(s, err, "key requests", sql, out, "tt",
	    room_id, session_id);
}

int
store_keyreq_shared(struct store *s, const char *session_id,
    const char *user_id, const char *device_id, int64_t *first_index,
    struct haos_error *err)
{
	static const char	*sql = "SELECT first_index FROM "
	    "megolm_out_shared WHERE session_id = ?1 AND user_id = ?2 AND device_id = ?3 AND "
	    "withheld_code IS NULL";
	sqlite3_stmt		*st;
	int			 rc;

	*first_index = 0;
	st = store_row(s, err, "key requests", sql, &rc, "ttt", session_id,
	    user_id, device_id);
	if (st == NULL)
		return rc;
	*first_index = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 1;
}

int
store_keyreq_in_add(struct store *s, const struct store_keyreq_in *r,
    struct haos_error *err)
{
	static const char	*sql = "INSERT INTO key_requests_in (user_id, "
	    "device_id, request_id, room_id, session_id, received_ts) "
	    "SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE (SELECT count(*) FROM "
	    "key_requests_in WHERE user_id = ?1) < ?7 "
	    "ON CONFLICT DO NOTHING";

	if (store_run(s, err, "key requests", sql, "tttttii", r->user_id,
	    r->device_id, r->request_id, r->room_id, r->session_id,
	    store_now_ms(), (int64_t)STORE_KEYREQ_IN_MAX) == -1)
		return -1;
	return sqlite3_changes(s->db);
}

int
store_keyreq_in_drop(struct store *s, const char *user_id,
    const char *device_id, const char *request_id, struct haos_error *err)
{
	static const char	*sql = "DELETE FROM key_requests_in WHERE "
	    "user_id = ?1 AND device_id = ?2 AND request_id = ?3";

	return store_run(s, err, "key requests", sql, "ttt", user_id,
	    device_id, request_id);
}

static void
store_keyreq_in_fill(sqlite3_stmt *st, void *row)
{
	struct store_keyreq_in	*r = row;

	r->user_id = store_col_str(st, 0);
	r->device_id = store_col_str(st, 1);
	r->request_id = store_col_str(st, 2);
	r->room_id = store_col_str(st, 3);
	r->session_id = store_col_str(st, 4);
	r->received_ts = sqlite3_column_int64(st, 5);
}

static void
store_keyreq_in_drop_rows(void *arr, size_t n)
{
	store_keyreq_in_free(arr, n);
}

int
store_keyreq_in_list(struct store *s, size_t max,
    struct store_keyreq_in **out, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT user_id, device_id, request_id, "
	    "room_id, session_id, received_ts FROM key_requests_in ORDER BY "
	    "received_ts LIMIT ?1";

	return store_rows(s, err, "key requests", sql,
	    sizeof(struct store_keyreq_in), store_keyreq_in_fill,
	    store_keyreq_in_drop_rows, (void **)out, n, "i", (int64_t)max);
}

void
store_keyreq_in_free(struct store_keyreq_in *r, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(r[i].user_id);
		free(r[i].device_id);
		free(r[i].request_id);
		free(r[i].room_id);
		free(r[i].session_id);
	}
	free(r);
}
