/* Store writes of rooms, their state, members, receipts and typing. */
#include "haos/store.h"

#include <stdint.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/xmalloc.h"
#include "store-int.h"

/* Return the key of room_id's row, creating it (and *created) if needed. */
int64_t
store_room_key(struct store *s, const char *room_id, int *created,
    struct haos_error *err)
{
	static const char	*ins = "INSERT INTO rooms (room_id) "
				    "VALUES (?1) "
				    "ON CONFLICT (room_id) DO NOTHING";
	static const char	*sel = "SELECT id FROM rooms "
				    "WHERE room_id = ?1";
	sqlite3_stmt		*st;
	int64_t			 id;

	st = store_write_stmt(s, sel, err);
	if (st == NULL)
		return -1;
	if (created != NULL)
		*created = 0;
	store_bind_text(st, 1, room_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return id;
	}
	sqlite3_reset(st);
	if (created != NULL)
		*created = 1;
	st = store_stmt(s, ins, err);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, room_id);
	if (store_step_done(s, st, err, "insert room") == -1)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

/* Write the fields of patch whose STORE_ROOM_* bit is set. */
int
store_room_patch(struct store *s, int64_t room,
    const struct store_room_patch *p, struct haos_error *err)
{
	static const char	*sql = "UPDATE rooms SET "
	    "name = CASE WHEN ?1 & 1 THEN ?2 ELSE name END, "
	    "topic = CASE WHEN ?1 & 2 THEN ?3 ELSE topic END, "
	    "avatar_url = CASE WHEN ?1 & 4 THEN ?4 ELSE avatar_url END, "
	    "canonical_alias = CASE WHEN ?1 & 8 THEN ?5 "
	    "ELSE canonical_alias END, "
	    "room_type = CASE WHEN ?1 & 16 THEN ?6 ELSE room_type END, "
	    "encrypted = CASE WHEN ?1 & 32 THEN ?7 ELSE encrypted END, "
	    "parent_id = CASE WHEN ?1 & 64 THEN ?8 ELSE parent_id END, "
	    "channel_type = CASE WHEN ?1 & 128 THEN ?9 "
	    "ELSE channel_type END, "
	    "membership = CASE WHEN ?1 & 256 THEN ?10 ELSE membership END, "
	    "is_direct = CASE WHEN ?1 & 512 THEN ?11 ELSE is_direct END, "
	    "unread = CASE WHEN ?1 & 1024 THEN ?12 ELSE unread END, "
	    "highlight = CASE WHEN ?1 & 1024 THEN ?13 ELSE highlight END, "
	    "joined_count = CASE WHEN ?1 & 2048 AND ?14 >= 0 THEN ?14 "
	    "ELSE joined_count END, "
	    "invited_count = CASE WHEN ?1 & 2048 AND ?15 >= 0 THEN ?15 "
	    "ELSE invited_count END, "
	    "heroes = CASE WHEN ?1 & 2048 AND ?16 IS NOT NULL THEN ?16 "
	    "ELSE heroes END, "
	    "last_ts = CASE WHEN ?1 & 4096 AND ?17 > last_ts THEN ?17 "
	    "ELSE last_ts END "
	    "WHERE id = ?18";
	static const char	*joins[] = { "join", "invite", "leave" };
	sqlite3_stmt		*st;

	if (p->set == 0)
		return 0;
	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, (int)p->set);
	store_bind_text(st, 2, p->name);
	store_bind_text(st, 3, p->topic);
	store_bind_text(st, 4, p->avatar_url);
	store_bind_text(st, 5, p->canonical_alias);
	store_bind_text(st, 6, p->room_type);
	sqlite3_bind_int(st, 7, p->encrypted);
	store_bind_text(st, 8, p->parent_id);
	sqlite3_bind_int(st, 9, (int)p->channel);
	store_bind_text(st, 10, joins[p->join <= ROOM_LEAVE ? p->join : 0]);
	sqlite3_bind_int(st, 11, p->is_direct);
	sqlite3_bind_int64(st, 12, p->unread);
	sqlite3_bind_int64(st, 13, p->highlight);
	sqlite3_bind_int64(st, 14, p->joined_count);
	sqlite3_bind_int64(st, 15, p->invited_count);
	store_bind_text(st, 16, p->heroes);
	sqlite3_bind_int64(st, 17, p->last_ts);
	sqlite3_bind_int64(st, 18, room);
	return store_step_done(s, st, err, "update room");
}

/* Forget every m.direct mark (before applying a new m.direct). */
int
store_rooms_clear_direct(struct store *s, struct haos_error *err)
{
	static const char	*sql = "UPDATE rooms SET is_direct = 0, "
				    "direct_user = NULL WHERE is_direct != 0";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	return store_step_done(s, st, err, "clear direct");
}

/* Mark room_id a DM with user_id, creating its row if it is not known. */
int
store_room_set_direct(struct store *s, const char *room_id,
    const char *user_id, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO rooms (room_id, is_direct, "
	    "direct_user, membership) VALUES (?1, 1, ?2, 'leave') "
	    "ON CONFLICT (room_id) DO UPDATE SET is_direct = 1, "
	    "direct_user = excluded.direct_user";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, room_id);
	store_bind_text(st, 2, user_id);
	return store_step_done(s, st, err, "set direct");
}

/*
 * Find event_id among room's current state: 1 with its type, state key
 * and content (caller frees), 0 if it is not current state.
 */
int
store_state_find(struct store *s, int64_t room, const char *event_id,
    char **type, char **state_key, char **content, struct haos_error *err)
{
	static const char	*sql = "SELECT type, state_key, content FROM "
				    "state WHERE room = ?1 AND event_id = ?2";
	sqlite3_stmt		*st;
	int			 rc;

	store_check(s);
	*type = *state_key = *content = NULL;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, event_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*type = store_col_str(st, 0);
		*state_key = store_col_str(st, 1);
		*content = store_col_str(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, err, "find state");
	return rc == SQLITE_ROW;
}

/* Replace the content of room's current state event event_id. */
int
store_state_redact(struct store *s, int64_t room, const char *event_id,
    const char *content, struct haos_error *err)
{
	static const char	*sql = "UPDATE state SET content = ?3 "
				    "WHERE room = ?1 AND event_id = ?2";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, event_id);
	store_bind_text(st, 3, content);
	return store_step_done(s, st, err, "redact state");
}

/* Set the current state of (type, state_key) in room. */
int
store_state_set(struct store *s, int64_t room, const char *type,
    const char *state_key, const char *event_id, const char *sender,
    const char *content, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO state (room, type, "
	    "state_key, event_id, sender, content) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6) ON CONFLICT (room, type, state_key) DO UPDATE SET "
	    "event_id = excluded.event_id, sender = excluded.sender, "
	    "content = excluded.content";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, type);
	store_bind_text(st, 3, state_key);
	store_bind_text(st, 4, event_id);
	store_bind_text(st, 5, sender);
	store_bind_text(st, 6, content);
	return store_step_done(s, st, err, "set state");
}

/* Current state content of (type, state_key), or *content NULL. */
int
store_state_get(struct store *s, int64_t room, const char *type,
    const char *state_key, char **content, struct haos_error *err)
{
	static const char	*sql = "SELECT content FROM state WHERE "
				    "room = ?1 AND type = ?2 "
				    "AND state_key = ?3";
	sqlite3_stmt		*st;
	int			 rc;

	store_check(s);
	*content = NULL;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, type);
	store_bind_text(st, 3, state_key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*content = store_col_str(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, err, "get state");
	return 0;
}

/* Record (present) or remove an m.space.child of space. */
int
store_space_child_set(struct store *s, int64_t space, const char *child_id,
    const char *order, int suggested, int present, struct haos_error *err)
{
	static const char	*ins = "INSERT INTO space_children (space, "
	    "child_id, sort_order, suggested) VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT (space, child_id) DO UPDATE SET "
	    "sort_order = excluded.sort_order, suggested = excluded.suggested";
	static const char	*del = "DELETE FROM space_children "
				    "WHERE space = ?1 AND child_id = ?2";
	sqlite3_stmt		*st;

	if (store_writable(s, err) == -1)
		return -1;
	st = store_stmt(s, present ? ins : del, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, space);
	store_bind_text(st, 2, child_id);
	if (present) {
		store_bind_text(st, 3, order);
		sqlite3_bind_int(st, 4, suggested);
	}
	return store_step_done(s, st, err, "set space child");
}

/* Insert or replace a member of room. */
int
store_member_set(struct store *s, int64_t room, const char *user_id,
    const char *displayname, const char *avatar_url, const char *membership,
    int64_t power_level, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO members (room, user_id, "
	    "displayname, avatar_url, membership, power_level) VALUES (?1, "
	    "?2, ?3, ?4, ?5, ?6) ON CONFLICT (room, user_id) DO UPDATE SET "
	    "displayname = excluded.displayname, "
	    "avatar_url = excluded.avatar_url, "
	    "membership = excluded.membership, "
	    "power_level = excluded.power_level";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, user_id);
	store_bind_text(st, 3, displayname);
	store_bind_text(st, 4, avatar_url);
	store_bind_text(st, 5, membership);
	sqlite3_bind_int64(st, 6, power_level);
	return store_step_done(s, st, err, "set member");
}

/* Set every member of room to users_default (new m.room.power_levels). */
int
store_members_power_default(struct store *s, int64_t room, int64_t level,
    struct haos_error *err)
{
	static const char	*sql = "UPDATE members SET power_level = ?2 "
				    "WHERE room = ?1 AND power_level != ?2";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	sqlite3_bind_int64(st, 2, level);
	return store_step_done(s, st, err, "set power levels");
}

/* Set one member's power level, if the member is known. */
int
store_member_power(struct store *s, int64_t room, const char *user_id,
    int64_t level, struct haos_error *err)
{
	static const char	*sql = "UPDATE members SET power_level = ?3 "
				    "WHERE room = ?1 AND user_id = ?2";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, user_id);
	sqlite3_bind_int64(st, 3, level);
	return store_step_done(s, st, err, "set power level");
}

/* Store account data of type; room 0 is global. */
int
store_account_data_set(struct store *s, int64_t room, const char *type,
    const char *content, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO account_data (room, type, "
	    "content) VALUES (?1, ?2, ?3) ON CONFLICT (room, type) "
	    "DO UPDATE SET content = excluded.content";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, type);
	store_bind_text(st, 3, content);
	return store_step_done(s, st, err, "set account data");
}

int
store_receipt_set(struct store *s, int64_t room, const char *rtype,
    const char *user_id, const char *event_id, int64_t ts,
    struct haos_error *err)
{
	static const char	*sql = "INSERT INTO receipts (room, rtype, "
	    "user_id, event_id, ts) VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT (room, rtype, user_id) DO UPDATE SET "
	    "event_id = excluded.event_id, ts = excluded.ts";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, rtype);
	store_bind_text(st, 3, user_id);
	store_bind_text(st, 4, event_id);
	sqlite3_bind_int64(st, 5, ts);
	return store_step_done(s, st, err, "set receipt");
}

/* Replace the typing users of room (JSON array text). */
int
store_typing_set(struct store *s, int64_t room, const char *user_ids,
    struct haos_error *err)
{
	static const char	*sql = "INSERT INTO typing (room, user_ids) "
	    "VALUES (?1, ?2) ON CONFLICT (room) DO UPDATE SET "
	    "user_ids = excluded.user_ids";
	sqlite3_stmt		*st;

	st = store_write_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_bind_text(st, 2, user_ids);
	return store_step_done(s, st, err, "set typing");
}
