/* Store read queries for the UI: rooms, members, gaps, outbox, values. */
#include "haos/store.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/xmalloc.h"
#include "store-int.h"

/*
 * A room's m.space.parent claim, unless that space has since removed its
 * m.space.child for the room (a deleted or unlinked channel): the space's
 * word wins over the room's.  A space that lists the room is in
 * space_children; one whose state holds the child event but not that
 * row has removed it.
 */
#define ROOM_CLAIM							\
	"(CASE WHEN EXISTS (SELECT 1 FROM state x JOIN rooms p ON "	\
	"p.id = x.room WHERE p.room_id = r.parent_id AND "		\
	"x.type = 'm.space.child' AND x.state_key = r.room_id) "	\
	"THEN NULL ELSE r.parent_id END)"

/* Columns of a room_row, in store_query_row_room() order. */
#define ROOM_COLS							\
	"r.room_id, r.name, r.topic, r.avatar_url, r.canonical_alias, "	\
	"r.room_type, r.membership, r.is_direct, r.direct_user, "	\
	"r.encrypted, coalesce((SELECT p.room_id FROM space_children sc " \
	"JOIN rooms p ON p.id = sc.space WHERE sc.child_id = r.room_id " \
	"LIMIT 1), " ROOM_CLAIM "), (SELECT sc.sort_order FROM "	\
	"space_children sc WHERE sc.child_id = r.room_id LIMIT 1), "	\
	"r.channel_type, r.unread, r.highlight, "			\
	"coalesce(r.joined_count, -1), r.last_ts "

/* Grow an array of rows by one zeroed element; return it. */
void *
store_query_grow(void *arr, size_t *n, size_t *cap, size_t size)
{
	char	*p = arr;

	if (*n == *cap) {
		*cap = *cap == 0 ? 16 : *cap * 2;
		p = xrealloc(p, *cap * size);
	}
	memset(p + *n * size, 0, size);
	(*n)++;
	return p;
}

static void
store_query_row_room(sqlite3_stmt *st, struct room_row *r)
{
	const char	*m;

	r->room_id = store_col_str(st, 0);
	r->name = store_col_str(st, 1);
	r->topic = store_col_str(st, 2);
	r->avatar_url = store_col_str(st, 3);
	r->canonical_alias = store_col_str(st, 4);
	r->room_type = store_col_str(st, 5);
	r->is_space = r->room_type != NULL &&
	    strcmp(r->room_type, "m.space") == 0;
	m = (const char *)sqlite3_column_text(st, 6);
	if (m != NULL && strcmp(m, "invite") == 0)
		r->join = ROOM_INVITE;
	else if (m != NULL && strcmp(m, "leave") == 0)
		r->join = ROOM_LEAVE;
	else
		r->join = ROOM_JOIN;
	r->is_direct = sqlite3_column_int(st, 7);
	r->direct_user = store_col_str(st, 8);
	r->encrypted = sqlite3_column_int(st, 9);
	r->parent_id = store_col_str(st, 10);
	r->order = store_col_str(st, 11);
	r->channel = (enum channel_type)sqlite3_column_int(st, 12);
	r->unread = sqlite3_column_int64(st, 13);
	r->highlight = sqlite3_column_int64(st, 14);
	r->joined_count = sqlite3_column_int64(st, 15);
	r->last_ts = sqlite3_column_int64(st, 16);
}

/* Look up a room's key: 1 if known, 0 if not, -1 on error. */
int
store_query_room_key(struct store *s, const char *room_id, int64_t *key,
    struct haos_error *err)
{
	static const char	*sql = "SELECT id FROM rooms "
				    "WHERE room_id = ?1";

	return store_get_int64(s, err, "room key", sql, key, "t", room_id);
}

/*
 * The server (space) an invite to room r belongs to, or NULL: the
 * pre-join state of a channel invite has no m.space.parent (Synapse
 * sends join rules, name, avatar, alias, encryption and create), but a
 * HAOS channel is restricted to the members of its space, so its join
 * rules name the space.  Only a space I am invited to or in counts, and
 * never for a DM.  Hostile content is no error: a rule that is not an
 * object, or content that is not JSON, names no space.
 */
#define STORE_INVITE_SPACE \
	"SELECT sp.room_id FROM state js, json_each(CASE WHEN " \
	"json_valid(js.content) THEN js.content ELSE '{}' END, '$.allow') a " \
	"JOIN rooms sp ON sp.room_id = CASE WHEN a.type = 'object' THEN " \
	"json_extract(a.value, '$.room_id') END " \
	"WHERE r.membership = 'invite' AND r.is_direct = 0 AND " \
	"js.room = r.id AND js.type = 'm.room.join_rules' AND " \
	"js.state_key = '' AND sp.room_type = 'm.space' AND " \
	"sp.membership != 'leave' ORDER BY sp.membership = 'join', " \
	"sp.room_id LIMIT 1"

/* List rooms of one kind; CHANNELS needs the space's room id. */
int
store_query_rooms(struct store *s, enum store_rooms kind,
    const char *space_id, struct room_row **rows, size_t *n,
    struct haos_error *err)
{
	static const char	*all = "SELECT " ROOM_COLS "FROM rooms r "
	    "WHERE r.membership != 'leave' "
	    "ORDER BY lower(coalesce(r.name, r.room_id)), r.room_id";
	static const char	*spaces = "SELECT " ROOM_COLS "FROM rooms r "
	    "WHERE r.membership != 'leave' AND r.room_type = 'm.space' "
	    "ORDER BY lower(coalesce(r.name, r.room_id)), r.room_id";
	static const char	*channels = "SELECT " ROOM_COLS
	    "FROM rooms r LEFT JOIN space_children c ON "
	    "c.child_id = r.room_id AND c.space = "
	    "(SELECT id FROM rooms WHERE room_id = ?1) "
	    "WHERE r.membership != 'leave' AND "
	    "(c.child_id IS NOT NULL OR " ROOM_CLAIM " = ?1 OR "
	    "((" STORE_INVITE_SPACE ") = ?1)) "
	    "ORDER BY c.sort_order IS NULL, c.sort_order, "
	    "lower(coalesce(r.name, r.room_id)), r.room_id";
	static const char	*direct = "SELECT " ROOM_COLS "FROM rooms r "
	    "WHERE r.membership != 'leave' AND r.is_direct != 0 "
	    "ORDER BY r.last_ts DESC, r.room_id";
	static const char	*other = "SELECT " ROOM_COLS "FROM rooms r "
	    "WHERE r.membership != 'leave' AND r.is_direct = 0 AND "
	    "r.room_type IS NOT 'm.space' AND " ROOM_CLAIM " IS NULL AND "
	    "NOT EXISTS (SELECT 1 FROM space_children c "
	    "WHERE c.child_id = r.room_id) AND "
	    "(" STORE_INVITE_SPACE ") IS NULL "
	    "ORDER BY lower(coalesce(r.name, r.room_id)), r.room_id";
	const char		*sql;
	sqlite3_stmt		*st;
	struct room_row		*arr = NULL;
	size_t			 cap = 0;
	int			 rc;

	store_read(s);
	*rows = NULL;
	*n = 0;
	switch (kind) {
	case STORE_ROOMS_SPACES:
		sql = spaces;
		break;
	case STORE_ROOMS_CHANNELS:
		sql = channels;
		break;
	case STORE_ROOMS_DIRECT:
		sql = direct;
		break;
	case STORE_ROOMS_OTHER:
		sql = other;
		break;
	default:
		sql = all;
		break;
	}
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	if (kind == STORE_ROOMS_CHANNELS)
		store_bind(st, "t", space_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arr = store_query_grow(arr, n, &cap, sizeof *arr);
		store_query_row_room(st, &arr[*n - 1]);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		room_rows_free(arr, *n);
		*n = 0;
		return store_fail(s, err, "list rooms");
	}
	*rows = arr;
	return 0;
}

/*
 * The server (space) a pending channel invite belongs to (see
 * STORE_INVITE_SPACE): 1 and *space_id (the caller frees it), 0 if none,
 * -1 on error.
 */
int
store_query_invite_space(struct store *s, const char *room_id,
    char **space_id, struct haos_error *err)
{
	static const char	*sql = "SELECT (" STORE_INVITE_SPACE ") "
				    "FROM rooms r WHERE r.room_id = ?1";
	sqlite3_stmt		*st;
	const unsigned char	*v;
	int			 rc;

	store_read(s);
	*space_id = NULL;
	st = store_row(s, err, "invite space", sql, &rc, "t", room_id);
	if (st == NULL)
		return rc;
	v = sqlite3_column_text(st, 0);
	if (v != NULL)
		*space_id = xstrdup((const char *)v);
	sqlite3_reset(st);
	return v != NULL;
}

/* Read one room: 1 if found, 0 if unknown, -1 on error. */
int
store_query_room(struct store *s, const char *room_id, struct room_row *r,
    struct haos_error *err)
{
	static const char	*sql = "SELECT " ROOM_COLS "FROM rooms r "
				    "WHERE r.room_id = ?1";
	sqlite3_stmt		*st;
	int			 rc;

	store_read(s);
	memset(r, 0, sizeof *r);
	st = store_row(s, err, "get room", sql, &rc, "t", room_id);
	if (st == NULL)
		return rc;
	store_query_row_room(st, r);
	sqlite3_reset(st);
	return 1;
}

/*
 * Joined and invited members of a room, grouped by power level (highest
 * first), then by name.
 */
int
store_query_members(struct store *s, const char *room_id,
    struct member_row **rows, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT m.user_id, m.displayname, "
	    "m.avatar_url, m.membership, m.power_level, coalesce((SELECT "
	    "CASE WHEN p.changed THEN 2 WHEN p.verified THEN 1 "
	    "ELSE 0 END FROM msk_pins p WHERE p.user_id = m.user_id), "
	    "0) FROM members m "
	    "JOIN rooms r ON r.id = m.room WHERE r.room_id = ?1 AND "
	    "m.membership IN ('join', 'invite') ORDER BY m.power_level DESC, "
	    "m.membership = 'invite', "
	    "lower(coalesce(m.displayname, m.user_id)), m.user_id";
	sqlite3_stmt		*st;
	struct member_row	*arr = NULL, *m;
	size_t			 cap = 0;
	int			 rc;

	store_read(s);
	*rows = NULL;
	*n = 0;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind(st, "t", room_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arr = store_query_grow(arr, n, &cap, sizeof *arr);
		m = &arr[*n - 1];
		m->user_id = store_col_str(st, 0);
		m->displayname = store_col_str(st, 1);
		m->avatar_url = store_col_str(st, 2);
		m->membership = store_col_str(st, 3);
		m->power_level = sqlite3_column_int64(st, 4);
		m->trust = sqlite3_column_int(st, 5);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		member_rows_free(arr, *n);
		*n = 0;
		return store_fail(s, err, "members");
	}
	*rows = arr;
	return 0;
}

/* Users called name (display name or localpart), one row each. */
int
store_query_users_named(struct store *s, const char *name,
    struct member_row **rows, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT m.user_id, max(m.displayname) "
	    "FROM members m WHERE m.membership IN ('join', 'invite') AND "
	    "(lower(m.displayname) = lower(?1) OR "
	    "lower(substr(m.user_id, 2, length(?1))) = lower(?1) AND "
	    "substr(m.user_id, length(?1) + 2, 1) = ':') "
	    "GROUP BY m.user_id ORDER BY m.user_id";
	sqlite3_stmt		*st;
	struct member_row	*arr = NULL, *m;
	size_t			 cap = 0;
	int			 rc;

	store_read(s);
	*rows = NULL;
	*n = 0;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind(st, "t", name);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arr = store_query_grow(arr, n, &cap, sizeof *arr);
		m = &arr[*n - 1];
		m->user_id = store_col_str(st, 0);
		m->displayname = store_col_str(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		member_rows_free(arr, *n);
		*n = 0;
		return store_fail(s, err, "users named");
	}
	*rows = arr;
	return 0;
}

/* A room's gaps, newest first (the one to fill when scrolling up). */
int
store_query_gaps(struct store *s, const char *room_id, struct gap_row **rows,
    size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT g.id, g.ordinal, g.prev_batch "
	    "FROM gaps g JOIN rooms r ON r.id = g.room WHERE r.room_id = ?1 "
	    "ORDER BY g.ordinal DESC";
	sqlite3_stmt		*st;
	struct gap_row		*arr = NULL, *g;
	size_t			 cap = 0;
	int			 rc;

	store_read(s);
	*rows = NULL;
	*n = 0;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind(st, "t", room_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arr = store_query_grow(arr, n, &cap, sizeof *arr);
		g = &arr[*n - 1];
		g->id = sqlite3_column_int64(st, 0);
		g->ordinal = sqlite3_column_int64(st, 1);
		g->prev_batch = store_col_str(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		gap_rows_free(arr, *n);
		*n = 0;
		return store_fail(s, err, "gaps");
	}
	*rows = arr;
	return 0;
}

/* Outbox rows in one state (OUTBOX_NONE: all), oldest first. */
int
store_query_outbox(struct store *s, enum outbox_state state,
    struct outbox_row **rows, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT o.id, o.room_id, o.txn_id, "
	    "o.type, o.state_key, o.content, o.rel_target, o.state, o.error, "
	    "o.attempts, o.created_ts, o.event_id, " STORE_OUTBOX_ENCRYPTING
	    ", o.upload, o.upload_path, o.upload_type, o.upload_name, "
	    "coalesce(o.upload_size, 0), o.upload_file FROM outbox o "
	    "WHERE ?1 = '' OR o.state = ?1 ORDER BY o.id";
	sqlite3_stmt		*st;
	struct outbox_row	*arr = NULL, *o;
	size_t			 cap = 0;
	int			 rc;

	store_read(s);
	*rows = NULL;
	*n = 0;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind(st, "t", outbox_state_name(state));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arr = store_query_grow(arr, n, &cap, sizeof *arr);
		o = &arr[*n - 1];
		o->id = sqlite3_column_int64(st, 0);
		o->room_id = store_col_str(st, 1);
		o->txn_id = store_col_str(st, 2);
		o->type = store_col_str(st, 3);
		o->state_key = store_col_str(st, 4);
		o->content = store_col_str(st, 5);
		o->rel_target = store_col_str(st, 6);
		o->state = outbox_state_parse((const char *)
		    sqlite3_column_text(st, 7));
		o->error = store_col_str(st, 8);
		o->attempts = sqlite3_column_int64(st, 9);
		o->created_ts = sqlite3_column_int64(st, 10);
		o->event_id = store_col_str(st, 11);
		o->encrypting = sqlite3_column_int(st, 12);
		o->upload = store_col_str(st, 13);
		o->upload_path = store_col_str(st, 14);
		o->upload_type = store_col_str(st, 15);
		o->upload_name = store_col_str(st, 16);
		o->upload_size = sqlite3_column_int64(st, 17);
		o->upload_file = store_col_str(st, 18);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		outbox_rows_free(arr, *n);
		*n = 0;
		return store_fail(s, err, "outbox");
	}
	*rows = arr;
	return 0;
}

/* Account data of type: global when room_id is NULL. */
int
store_query_account_data(struct store *s, const char *room_id,
    const char *type, char **out, struct haos_error *err)
{
	static const char	*global = "SELECT content FROM account_data "
				    "WHERE room = 0 AND type = ?1";
	static const char	*room = "SELECT a.content FROM account_data a "
	    "JOIN rooms r ON r.id = a.room WHERE a.type = ?1 AND "
	    "r.room_id = ?2";
	int			 rc;

	store_read(s);
	if (room_id == NULL)
		rc = store_get_text(s, err, "query", global, out, "t", type);
	else
		rc = store_get_text(s, err, "query", room, out, "tt", type,
		    room_id);
	return rc == -1 ? -1 : 0;
}

/* Current state content of (type, state_key) in a room. */
int
store_query_state(struct store *s, const char *room_id, const char *type,
    const char *state_key, char **out, struct haos_error *err)
{
	static const char	*sql = "SELECT x.content FROM state x "
	    "JOIN rooms r ON r.id = x.room WHERE r.room_id = ?1 AND "
	    "x.type = ?2 AND x.state_key = ?3";

	store_read(s);
	return store_get_text(s, err, "query", sql, out, "ttt", room_id, type,
	    state_key) == -1 ? -1 : 0;
}

/* The sender of the current state event (type, state_key) of a room. */
int
store_query_state_sender(struct store *s, const char *room_id,
    const char *type, const char *state_key, char **out,
    struct haos_error *err)
{
	static const char	*sql = "SELECT x.sender FROM state x "
	    "JOIN rooms r ON r.id = x.room WHERE r.room_id = ?1 AND "
	    "x.type = ?2 AND x.state_key = ?3";

	store_read(s);
	return store_get_text(s, err, "query", sql, out, "ttt", room_id, type,
	    state_key) == -1 ? -1 : 0;
}

/* Columns of a state_row, in store_query_state_rows() order. */
#define STATE_COLS							\
	"r.room_id, x.type, x.state_key, x.sender, x.content, "	\
	"coalesce((SELECT e.ts FROM events e "				\
	"WHERE e.event_id = x.event_id), 0) "

/* Step st to the end into rows (what: for the error). */
static int
store_query_state_rows(struct store *s, sqlite3_stmt *st,
    struct state_row **rows, size_t *n, const char *what,
    struct haos_error *err)
{
	struct state_row	*arr = NULL, *x;
	size_t			 cap = 0;
	int			 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arr = store_query_grow(arr, n, &cap, sizeof *arr);
		x = &arr[*n - 1];
		x->room_id = store_col_str(st, 0);
		x->type = store_col_str(st, 1);
		x->state_key = store_col_str(st, 2);
		x->sender = store_col_str(st, 3);
		x->content = store_col_str(st, 4);
		x->ts = sqlite3_column_int64(st, 5);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		state_rows_free(arr, *n);
		*n = 0;
		return store_fail(s, err, what);
	}
	*rows = arr;
	return 0;
}

/* Every current state event of type in a room, by state key. */
int
store_query_state_all(struct store *s, const char *room_id, const char *type,
    struct state_row **rows, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT " STATE_COLS "FROM state x "
	    "JOIN rooms r ON r.id = x.room WHERE r.room_id = ?1 AND "
	    "x.type = ?2 ORDER BY x.state_key";
	sqlite3_stmt		*st;

	store_read(s);
	*rows = NULL;
	*n = 0;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind(st, "tt", room_id, type);
	return store_query_state_rows(s, st, rows, n, "state", err);
}

/*
 * The m.space.child events (room_id: the space) of the spaces we are in
 * that name a room we have never been in: not joined, invited or left.
 * A deleted server's children are not listed.
 */
int
store_query_new_children(struct store *s, struct state_row **rows,
    size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT " STATE_COLS
	    "FROM space_children c JOIN rooms r ON r.id = c.space "
	    "JOIN state x ON x.room = c.space AND "
	    "x.type = 'm.space.child' AND x.state_key = c.child_id "
	    "WHERE r.membership = 'join' AND r.room_type = 'm.space' AND "
	    "NOT EXISTS (SELECT 1 FROM rooms k "
	    "WHERE k.room_id = c.child_id) AND "
	    "NOT EXISTS (SELECT 1 FROM state d WHERE d.room = c.space AND "
	    "d.type = 'io.haos.server_deleted' AND d.state_key = '' AND "
	    "d.content != '{}') "
	    "ORDER BY r.room_id, c.sort_order IS NULL, c.sort_order, "
	    "c.child_id";
	sqlite3_stmt		*st;

	store_read(s);
	*rows = NULL;
	*n = 0;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	return store_query_state_rows(s, st, rows, n, "new children", err);
}

/*
 * The m.space.child events (room_id: the space) of the spaces we left
 * that name a room we are still in and that no space we are in lists.
 */
int
store_query_left_children(struct store *s, struct state_row **rows,
    size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT " STATE_COLS
	    "FROM space_children c JOIN rooms r ON r.id = c.space "
	    "JOIN state x ON x.room = c.space AND "
	    "x.type = 'm.space.child' AND x.state_key = c.child_id "
	    "WHERE r.membership = 'leave' AND "
	    "EXISTS (SELECT 1 FROM rooms k WHERE k.room_id = c.child_id AND "
	    "k.membership = 'join') AND "
	    "NOT EXISTS (SELECT 1 FROM space_children o JOIN rooms q ON "
	    "q.id = o.space WHERE o.child_id = c.child_id AND "
	    "q.membership != 'leave') "
	    "ORDER BY r.room_id, c.child_id";
	sqlite3_stmt		*st;

	store_read(s);
	*rows = NULL;
	*n = 0;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	return store_query_state_rows(s, st, rows, n, "left children", err);
}

/* The event id a user's receipt of rtype points at. */
int
store_query_receipt(struct store *s, const char *room_id, const char *rtype,
    const char *user_id, char **out, struct haos_error *err)
{
	static const char	*sql = "SELECT x.event_id FROM receipts x "
	    "JOIN rooms r ON r.id = x.room WHERE r.room_id = ?1 AND "
	    "x.rtype = ?2 AND x.user_id = ?3";

	store_read(s);
	return store_get_text(s, err, "query", sql, out, "ttt", room_id, rtype,
	    user_id) == -1 ? -1 : 0;
}

/*
 * The receipts of type rtype in a room: users[i] read up to events[i],
 * by user id.  The caller frees both arrays and their strings.
 */
int
store_query_receipts(struct store *s, const char *room_id, const char *rtype,
    char ***users, char ***events, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT x.user_id, x.event_id FROM "
	    "receipts x JOIN rooms r ON r.id = x.room WHERE r.room_id = ?1 "
	    "AND x.rtype = ?2 ORDER BY x.user_id";
	sqlite3_stmt		*st;
	size_t			 cap = 0, i;
	int			 rc;

	store_read(s);
	*users = *events = NULL;
	*n = 0;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind(st, "tt", room_id, rtype);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			*users = xrealloc(*users, cap * sizeof **users);
			*events = xrealloc(*events, cap * sizeof **events);
		}
		(*users)[*n] = store_col_str(st, 0);
		(*events)[(*n)++] = store_col_str(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		for (i = 0; i < *n; i++) {
			free((*users)[i]);
			free((*events)[i]);
		}
		xfree(*users);
		xfree(*events);
		*n = 0;
		return store_fail(s, err, "receipts");
	}
	return 0;
}

/* The users typing in a room, as a JSON array text. */
int
store_query_typing(struct store *s, const char *room_id, char **out,
    struct haos_error *err)
{
	static const char	*sql = "SELECT t.user_ids FROM typing t "
	    "JOIN rooms r ON r.id = t.room WHERE r.room_id = ?1";

	store_read(s);
	return store_get_text(s, err, "query", sql, out, "t",
	    room_id) == -1 ? -1 : 0;
}

int
store_query_kv(struct store *s, const char *key, char **out,
    struct haos_error *err)
{
	static const char	*sql = "SELECT value FROM kv WHERE key = ?1";

	store_read(s);
	return store_get_text(s, err, "query", sql, out, "t",
	    key) == -1 ? -1 : 0;
}

/* The next_batch of the last committed ingest, or NULL before the first. */
int
store_query_sync_token(struct store *s, char **out, struct haos_error *err)
{
	static const char	*sql = "SELECT next_batch FROM sync_token "
				    "WHERE id = 1";

	store_read(s);
	return store_get_text(s, err, "query", sql, out, "") == -1 ? -1 : 0;
}

/* Local path of a cached mxc:// URI. */
int
store_query_media(struct store *s, const char *mxc, char **out,
    struct haos_error *err)
{
	static const char	*sql = "SELECT path FROM media WHERE mxc = ?1";

	store_read(s);
	return store_get_text(s, err, "query", sql, out, "t",
	    mxc) == -1 ? -1 : 0;
}

static const char	*store_query_tables[] = { "account_data", "events",
    "gaps", "kv", "media", "members", "outbox", "receipts", "room_changes",
    "rooms", "space_children", "state", "sync_token", "to_device",
    "typing" };

/* Count the rows of a table (tests and diagnostics). */
int
store_query_count(struct store *s, const char *table, int64_t *count,
    struct haos_error *err)
{
	static const char *const *tables = store_query_tables;
	sqlite3_stmt		*st;
	char			*sql;
	unsigned int		 i;
	int			 rc;

	store_read(s);
	for (i = 0; i < nitems(store_query_tables); i++) {
		if (strcmp(table, tables[i]) == 0)
			break;
	}
	if (i == nitems(store_query_tables)) {
		haos_error_set(err, HAOS_ESTORE, "no table %s", table);
		return -1;
	}
	sql = xasprintf("SELECT count(*) FROM %s", tables[i]);
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return store_fail(s, err, "count");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return store_fail(s, err, "count");
	return 0;
}

static int
store_query_dump_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every row of every table as text, "table|col|col...", the rows of a
 * table sorted (tests: two stores with the same contents, the same text).
 */
int
store_query_dump(struct store *s, char **out, struct haos_error *err)
{
	sqlite3_stmt	 *st;
	char		**rows = NULL, *sql, *text = NULL, *row;
	const char	 *t;
	size_t		  nrows, cap = 0, len = 0, n, rl, i, j;
	int		  rc, c;

	store_read(s);
	for (i = 0; i < nitems(store_query_tables); i++) {
		/* When a to-device event was stored is no part of it. */
		sql = strcmp(store_query_tables[i], "to_device") == 0 ?
		    xstrdup("SELECT id, type, sender, event FROM to_device") :
		    xasprintf("SELECT * FROM %s", store_query_tables[i]);
		rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
		free(sql);
		if (rc != SQLITE_OK) {
			free(text);
			return store_fail(s, err, "dump");
		}
		nrows = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			row = xstrdup(store_query_tables[i]);
			rl = strlen(row);
			for (c = 0; c < sqlite3_column_count(st); c++) {
				t = (const char *)sqlite3_column_text(st, c);
				n = (size_t)sqlite3_column_bytes(st, c);
				if (t == NULL) {
					t = "~";
					n = 1;
				}
				row = xrealloc(row, rl + n + 2);
				row[rl++] = '|';
				memcpy(row + rl, t, n);
				rl += n;
				row[rl] = '\0';
			}
			if (nrows == cap) {
				cap = cap == 0 ? 64 : cap * 2;
				rows = xrealloc(rows, cap * sizeof *rows);
			}
			rows[nrows++] = row;
		}
		sqlite3_finalize(st);
		if (nrows > 1)
			qsort(rows, nrows, sizeof *rows, store_query_dump_cmp);
		for (j = 0; j < nrows; j++) {
			n = strlen(rows[j]);
			text = xrealloc(text, len + n + 2);
			memcpy(text + len, rows[j], n);
			len += n;
			text[len++] = '\n';
			free(rows[j]);
		}
		if (rc != SQLITE_DONE) {
			free(rows);
			free(text);
			return store_fail(s, err, "dump");
		}
	}
	free(rows);
	if (text == NULL)
		text = xstrdup("");
	else
		text[len] = '\0';
	*out = text;
	return 0;
}
