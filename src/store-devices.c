/* Store the device lists: tracked users, their devices, key warnings. */

/*
 * tracked_users holds the users whose devices we must know: every member
 * of a joined encrypted room (an invited one too when the room's history
 * visibility lets invited people read: shared, world_readable, invited;
 * shared when the room has none) and ourselves (kv device_lists.self,
 * never untracked).  outdated says the devices stored for a user may be
 * behind the server; changed_seq moves each time a user is marked
 * outdated, so that a /keys/query answer that left before the mark is
 * not taken for a current one (E2EE.md Step 4, the race).
 *
 * changed_seq values only grow: a new value is one more than the highest
 * of the table and of kv device_lists.seq, the floor kept whenever rows
 * are removed, so a user untracked and tracked again while a query is
 * out never gets the value the query was sent with.
 *
 * devices rows are never removed: a device gone from the server is
 * deleted = 1 and stays, so that old messages can still be attributed,
 * and its keys stay pinned (crypto-devices.c).
 */
#include "haos/store.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/xmalloc.h"
#include "store-int.h"

/* The next changed_seq (see the top of this file). */
#define DEV_NEXT_SEQ \
	"(SELECT max(coalesce((SELECT max(changed_seq) FROM tracked_users)," \
	" 0), coalesce((SELECT CAST(value AS INTEGER) FROM kv WHERE key =" \
	" 'device_lists.seq'), 0)) + 1)"

/* Member m of room r (rooms r JOIN members m) is one to track. */
#define DEV_QUALIFIES \
	"r.encrypted = 1 AND r.membership = 'join' AND" \
	" (m.membership = 'join' OR (m.membership = 'invite' AND" \
	" coalesce((SELECT json_extract(hv.content," \
	" '$.history_visibility') FROM state hv WHERE hv.room = r.id AND" \
	" hv.type = 'm.room.history_visibility' AND hv.state_key = '')," \
	" 'shared') IN ('shared', 'world_readable', 'invited')))"

/* User ?1 is a member to track of some room. */
#define DEV_TRACKABLE \
	"EXISTS (SELECT 1 FROM members m JOIN rooms r ON r.id = m.room" \
	" WHERE m.user_id = ?1 AND " DEV_QUALIFIES ")"

#define DEV_SELF \
	"coalesce((SELECT value FROM kv WHERE key = 'device_lists.self'), '')"

/* Keep the changed_seq floor before rows go (see the top of the file). */
static int
store_tracked_floor(struct store *s, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO kv (key, value) SELECT "
	    "'device_lists.seq', " DEV_NEXT_SEQ " - 1 WHERE 1 "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";

	return store_run(s, err, "tracked users", sql, "");
}

/* Track user_id (ourselves) for good: outdated until first queried. */
int
store_tracked_self(struct store *s, const char *user_id,
    struct haos_error *err)
{
	static const char	*ins = "INSERT INTO tracked_users (user_id, "
	    "outdated, changed_seq) VALUES (?1, 1, " DEV_NEXT_SEQ ") "
	    "ON CONFLICT (user_id) DO NOTHING";

	if (store_kv_set(s, "device_lists.self", user_id, err) == -1)
		return -1;
	return store_run(s, err, "tracked users", ins, "t", user_id);
}

/*
 * Bring tracked_users in line with the members of room (its key): user_id
 * alone, or every member when user_id is NULL.  A member to track who is
 * not yet tracked is added, outdated; a tracked one who is a member to
 * track of no room any more is untracked (never ourselves).  In the
 * caller's transaction (ingest).
 */
int
store_tracked_refresh(struct store *s, int64_t room, const char *user_id,
    struct haos_error *err)
{
	static const char	*add_all = "INSERT INTO tracked_users (user_id, "
	    "outdated, changed_seq) SELECT m.user_id, 1, " DEV_NEXT_SEQ " "
	    "FROM members m JOIN rooms r ON r.id = m.room WHERE m.room = ?1 "
	    "AND " DEV_QUALIFIES " ON CONFLICT (user_id) DO NOTHING";
	static const char	*add_one = "INSERT INTO tracked_users (user_id, "
	    "outdated, changed_seq) SELECT m.user_id, 1, " DEV_NEXT_SEQ " "
	    "FROM members m JOIN rooms r ON r.id = m.room WHERE m.room = ?2 "
	    "AND m.user_id = ?1 AND " DEV_QUALIFIES
	    " ON CONFLICT (user_id) DO NOTHING";
	static const char	*gone_all = "SELECT count(*) FROM tracked_users t "
	    "WHERE t.user_id IN (SELECT user_id FROM members WHERE room = ?1) "
	    "AND t.user_id != " DEV_SELF " AND NOT EXISTS (SELECT 1 FROM "
	    "members m JOIN rooms r ON r.id = m.room WHERE m.user_id = "
	    "t.user_id AND " DEV_QUALIFIES ")";
	static const char	*del_all = "DELETE FROM tracked_users WHERE "
	    "user_id IN (SELECT user_id FROM members WHERE room = ?1) AND "
	    "user_id != " DEV_SELF " AND NOT EXISTS (SELECT 1 FROM members m "
	    "JOIN rooms r ON r.id = m.room WHERE m.user_id = "
	    "tracked_users.user_id AND " DEV_QUALIFIES ")";
	int64_t			 gone = 0;

	if (user_id != NULL) {
		if (store_run(s, err, "tracked users", add_one, "ti", user_id,
		    room) == -1)
			return -1;
		return store_tracked_left(s, user_id, err);
	}
	if (store_run(s, err, "tracked users", add_all, "i", room) == -1)
		return -1;
	if (store_get_int64(s, err, "tracked users", gone_all, &gone, "i",
	    room) == -1)
		return -1;
	if (gone == 0)
		return 0;
	if (store_tracked_floor(s, err) == -1)
		return -1;
	return store_run(s, err, "tracked users", del_all, "i", room);
}

/*
 * The device lists changed for user_id (/sync device_lists.changed,
 * /keys/changes): outdated, with a new changed_seq, if tracked.
 */
int
store_tracked_changed(struct store *s, const char *user_id,
    struct haos_error *err)
{
	static const char	*sql = "UPDATE tracked_users SET outdated = 1, "
	    "changed_seq = " DEV_NEXT_SEQ " WHERE user_id = ?1";

	return store_run(s, err, "tracked users", sql, "t", user_id);
}

/*
 * A device of user_id is needed that the store does not have (an Olm
 * message from an unknown device): tracked if not yet, and outdated
 * with a new changed_seq either way, so a query already out does not
 * count.  A user who shares no encrypted room with us is untracked again
 * by the next membership change that involves them.
 */
int
store_tracked_want(struct store *s, const char *user_id,
    struct haos_error *err)
{
	static const char	*sql = "INSERT INTO tracked_users (user_id, "
	    "outdated, changed_seq) VALUES (?1, 1, " DEV_NEXT_SEQ ") "
	    "ON CONFLICT (user_id) DO UPDATE SET outdated = 1, "
	    "changed_seq = excluded.changed_seq";

	return store_run(s, err, "tracked users", sql, "t", user_id);
}

/*
 * We no longer share an encrypted room with user_id (device_lists.left,
 * a membership change): untracked, unless the store still has them as a
 * member to track, or they are ourselves.  Their devices stay.
 */
int
store_tracked_left(struct store *s, const char *user_id,
    struct haos_error *err)
{
	static const char	*gone = "SELECT count(*) FROM tracked_users "
	    "WHERE user_id = ?1 AND user_id != " DEV_SELF " AND NOT "
	    DEV_TRACKABLE;
	static const char	*del = "DELETE FROM tracked_users WHERE "
	    "user_id = ?1";
	int64_t			 n = 0;

	if (store_get_int64(s, err, "tracked users", gone, &n, "t",
	    user_id) == -1)
		return -1;
	if (n == 0)
		return 0;
	if (store_tracked_floor(s, err) == -1)
		return -1;
	return store_run(s, err, "tracked users", del, "t", user_id);
}

/* Every tracked user is outdated (a /sync without since). */
int
store_tracked_all_outdated(struct store *s, struct haos_error *err)
{
	static const char	*sql = "UPDATE tracked_users SET outdated = 1, "
	    "changed_seq = " DEV_NEXT_SEQ;

	return store_run(s, err, "tracked users", sql, "");
}

/*
 * Up to max outdated users (max 0: all), with their changed_seq, in user
 * id order; the caller frees both arrays (store_tracked_free()).
 */
int
store_tracked_outdated(struct store *s, size_t max, char ***users,
    int64_t **seqs, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT user_id, changed_seq FROM "
	    "tracked_users WHERE outdated = 1 ORDER BY user_id LIMIT ?1";
	sqlite3_stmt		*st;
	char			**u = NULL;
	int64_t			*q = NULL;
	size_t			 cap = 0;
	int			 rc;

	store_check(s);
	*users = NULL;
	*seqs = NULL;
	*n = 0;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind(st, "i", max == 0 || max > (size_t)INT64_MAX ?
	    (int64_t)-1 : (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			u = xrealloc(u, cap * sizeof *u);
			q = xrealloc(q, cap * sizeof *q);
		}
		u[*n] = store_col_str(st, 0);
		q[*n] = sqlite3_column_int64(st, 1);
		(*n)++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_tracked_free(u, q, *n);
		*n = 0;
		return store_fail(s, err, "tracked users");
	}
	*users = u;
	*seqs = q;
	return 0;
}

void
store_tracked_free(char **users, int64_t *seqs, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(users[i]);
	free(users);
	free(seqs);
}

/*
 * A /keys/query answer for user_id, asked with changed_seq seq, is
 * stored: current, unless the user was marked outdated again (or
 * untracked) since.  1 if it was still seq (now current), 0 if not.
 */
int
store_tracked_check(struct store *s, const char *user_id, int64_t seq,
    struct haos_error *err)
{
	static const char	*sql = "SELECT changed_seq FROM tracked_users "
	    "WHERE user_id = ?1";
	int64_t			 now;
	int			 rc;

	rc = store_get_int64(s, err, "tracked users", sql, &now, "t",
	    user_id);
	if (rc != 1)
		return rc;
	return now == seq;
}

/* Mark user_id current (after store_tracked_check() said so). */
int
store_tracked_current(struct store *s, const char *user_id,
    struct haos_error *err)
{
	static const char	*sql = "UPDATE tracked_users SET outdated = 0 "
	    "WHERE user_id = ?1";

	return store_run(s, err, "tracked users", sql, "t", user_id);
}

/* Whether user_id is tracked: 1 or 0; outdated in *outdated if not NULL. */
int
store_tracked_get(struct store *s, const char *user_id, int *outdated,
    struct haos_error *err)
{
	static const char	*sql = "SELECT outdated FROM tracked_users "
	    "WHERE user_id = ?1";
	int64_t			 v;
	int			 rc;

	rc = store_get_int64(s, err, "tracked users", sql, &v, "t", user_id);
	if (outdated != NULL)
		*outdated = rc == 1 ? (int)v : 0;
	return rc;
}

int
store_tracked_count(struct store *s, int64_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT count(*) FROM tracked_users";

	return store_get_int64(s, err, "tracked users", sql, n, "") == -1 ?
	    -1 : 0;
}

static void
store_device_row(sqlite3_stmt *st, struct device_row *r)
{
	r->user_id = store_col_str(st, 0);
	r->device_id = store_col_str(st, 1);
	r->ed25519 = store_col_str(st, 2);
	r->curve25519 = store_col_str(st, 3);
	r->display_name = store_col_str(st, 4);
	r->deleted = sqlite3_column_int(st, 5);
}

#define DEV_COLS \
	"d.user_id, d.device_id, d.ed25519, d.curve25519, d.display_name," \
	" d.deleted"

/* Rows of sql (columns DEV_COLS) with its parameters bound by types. */
static int
store_device_rows(struct store *s, const char *sql, struct device_row **rows,
    size_t *n, struct haos_error *err, const char *types, ...)
{
	struct device_row	*arr = NULL;
	sqlite3_stmt		*st;
	size_t			 cap = 0;
	va_list			 ap;
	int			 rc;

	store_check(s);
	*rows = NULL;
	*n = 0;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	va_start(ap, types);
	store_bindv(st, types, ap);
	va_end(ap);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arr = store_query_grow(arr, n, &cap, sizeof *arr);
		store_device_row(st, &arr[*n - 1]);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		device_rows_free(arr, *n);
		*n = 0;
		return store_fail(s, err, "devices");
	}
	*rows = arr;
	return 0;
}

/* One device, deleted or not: 1 and *row, 0 if unknown, -1. */
int
store_device_get(struct store *s, const char *user_id, const char *device_id,
    struct device_row *row, struct haos_error *err)
{
	static const char	*sql = "SELECT " DEV_COLS " FROM devices d "
	    "WHERE d.user_id = ?1 AND d.device_id = ?2";
	struct device_row	*rows;
	size_t			 n;

	memset(row, 0, sizeof *row);
	if (store_device_rows(s, sql, &rows, &n, err, "tt", user_id,
	    device_id) == -1)
		return -1;
	if (n == 0) {
		free(rows);
		return 0;
	}
	*row = rows[0];
	free(rows);
	return 1;
}

/* Every device of user_id, deleted ones too, by device id. */
int
store_devices_of(struct store *s, const char *user_id,
    struct device_row **rows, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT " DEV_COLS " FROM devices d "
	    "WHERE d.user_id = ?1 ORDER BY d.device_id";

	return store_device_rows(s, sql, rows, n, err, "t", user_id);
}

/*
 * Another device (not user_id's device_id) holding ed25519 or curve25519:
 * 1 and *row, 0 if none.  A key seen under a new device id is refused.
 */
int
store_device_key_owner(struct store *s, const char *user_id,
    const char *device_id, const char *ed25519, const char *curve25519,
    struct device_row *row, struct haos_error *err)
{
	static const char	*sql = "SELECT " DEV_COLS " FROM devices d "
	    "WHERE (d.curve25519 = ?4 OR d.ed25519 = ?3) AND NOT "
	    "(d.user_id = ?1 AND d.device_id = ?2) LIMIT 1";
	struct device_row	*rows;
	size_t			 n;

	memset(row, 0, sizeof *row);
	if (store_device_rows(s, sql, &rows, &n, err, "tttt", user_id,
	    device_id, ed25519, curve25519) == -1)
		return -1;
	if (n == 0) {
		free(rows);
		return 0;
	}
	*row = rows[0];
	free(rows);
	return 1;
}

/*
 * Store a checked device (not deleted); its keys never change once
 * stored (crypto-devices.c refuses that before it gets here).
 */
int
store_device_put(struct store *s, const char *user_id, const char *device_id,
    const char *ed25519, const char *curve25519, const char *keys_json,
    const char *display_name, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO devices (user_id, "
	    "device_id, ed25519, curve25519, keys_json, display_name, "
	    "deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0) ON CONFLICT "
	    "(user_id, device_id) DO UPDATE SET keys_json = "
	    "excluded.keys_json, display_name = excluded.display_name, "
	    "deleted = 0";

	return store_run(s, err, "devices", sql, "tttttt", user_id, device_id,
	    ed25519, curve25519, keys_json, display_name);
}

/* The device is gone from the server: deleted = 1, the row kept. */
int
store_device_delete(struct store *s, const char *user_id,
    const char *device_id, struct haos_error *err)
{
	static const char	*sql = "UPDATE devices SET deleted = 1 WHERE "
	    "user_id = ?1 AND device_id = ?2";

	return store_run(s, err, "devices", sql, "tt", user_id, device_id);
}

/* Record why a device the server gave was refused (the newest time). */
int
store_device_warn(struct store *s, const char *user_id, const char *device_id,
    const char *reason, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO device_warnings (user_id, "
	    "device_id, reason, ts) VALUES (?1, ?2, ?3, ?4) ON CONFLICT "
	    "(user_id, device_id, reason) DO UPDATE SET ts = excluded.ts";

	return store_run(s, err, "device warnings", sql, "ttti", user_id,
	    device_id, reason, store_now_ms());
}

/* user_id's warnings for reason go (a change the user acknowledged). */
int
store_device_warn_clear(struct store *s, const char *user_id,
    const char *reason, struct haos_error *err)
{
	static const char	*sql = "DELETE FROM device_warnings WHERE "
	    "user_id = ?1 AND reason = ?2";

	return store_run(s, err, "device warnings", sql, "tt", user_id,
	    reason);
}

/* The warnings of user_id (NULL: everyone's), newest first. */
int
store_device_warnings(struct store *s, const char *user_id,
    struct device_warning **rows, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT user_id, device_id, reason, ts "
	    "FROM device_warnings WHERE ?1 IS NULL OR user_id = ?1 "
	    "ORDER BY ts DESC, user_id, device_id, reason";
	struct device_warning	*arr = NULL;
	sqlite3_stmt		*st;
	size_t			 cap = 0;
	int			 rc;

	store_check(s);
	*rows = NULL;
	*n = 0;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind(st, "t", user_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arr = store_query_grow(arr, n, &cap, sizeof *arr);
		arr[*n - 1].user_id = store_col_str(st, 0);
		arr[*n - 1].device_id = store_col_str(st, 1);
		arr[*n - 1].reason = store_col_str(st, 2);
		arr[*n - 1].ts = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		device_warnings_free(arr, *n);
		*n = 0;
		return store_fail(s, err, "device warnings");
	}
	*rows = arr;
	return 0;
}

/*
 * For the sender: *current is 1 when every member to track of room_id
 * (joined, or invited as its history visibility allows) is tracked and
 * not outdated, 0 otherwise (a /keys/query is due or out).  Members the
 * store does not know (lazy loading) are not seen: the caller makes sure
 * the member list is complete (ingest_members_complete()).
 */
int
store_devices_current(struct store *s, const char *room_id, int *current,
    struct haos_error *err)
{
	static const char	*sql = "SELECT count(*) FROM members m JOIN "
	    "rooms r ON r.id = m.room WHERE r.room_id = ?1 AND "
	    DEV_QUALIFIES " AND NOT EXISTS (SELECT 1 FROM tracked_users t "
	    "WHERE t.user_id = m.user_id AND t.outdated = 0)";
	int64_t			 n = 0;

	*current = 0;
	if (store_get_int64(s, err, "devices", sql, &n, "t", room_id) == -1)
		return -1;
	*current = n == 0;
	return 0;
}

/*
 * For the sender: the devices (not deleted) of the members to track of
 * room_id, by user and device id; ours are among them.
 */
int
store_devices_room(struct store *s, const char *room_id,
    struct device_row **rows, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT " DEV_COLS " FROM devices d "
	    "WHERE d.deleted = 0 AND d.user_id IN (SELECT m.user_id FROM "
	    "members m JOIN rooms r ON r.id = m.room WHERE r.room_id = ?1 "
	    "AND " DEV_QUALIFIES ") ORDER BY d.user_id, d.device_id";

	return store_device_rows(s, sql, rows, n, err, "t", room_id);
}

/*
 * Joined encrypted rooms whose member list the store does not know to be
 * complete (no kv "members:ROOM" mark, ingest-members.c): the sync
 * lazy-loads members, and the device lists need every one of them.
 */
int
store_devices_partial_rooms(struct store *s, char ***rooms, size_t *n,
    struct haos_error *err)
{
	static const char	*sql = "SELECT r.room_id FROM rooms r WHERE "
	    "r.encrypted = 1 AND r.membership = 'join' AND NOT EXISTS "
	    "(SELECT 1 FROM kv WHERE kv.key = 'members:' || r.room_id) "
	    "ORDER BY r.last_ts DESC, r.room_id";
	sqlite3_stmt		*st;
	char			**arr = NULL;
	size_t			 cap = 0;
	int			 rc;

	store_check(s);
	*rooms = NULL;
	*n = 0;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			arr = xrealloc(arr, cap * sizeof *arr);
		}
		arr[(*n)++] = store_col_str(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_tracked_free(arr, NULL, *n);
		*n = 0;
		return store_fail(s, err, "devices");
	}
	*rooms = arr;
	return 0;
}

void
device_row_free(struct device_row *r)
{
	if (r == NULL)
		return;
	free(r->user_id);
	free(r->device_id);
	free(r->ed25519);
	free(r->curve25519);
	free(r->display_name);
	memset(r, 0, sizeof *r);
}

void
device_rows_free(struct device_row *rows, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		device_row_free(&rows[i]);
	free(rows);
}

void
device_warnings_free(struct device_warning *rows, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(rows[i].user_id);
		free(rows[i].device_id);
		free(rows[i].reason);
	}
	free(rows);
}
