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
	int64_t			 id;
	int			 rc;

	if (store_writable(s, err) == -1)
		return -1;
	rc = store_get_int64(s, err, "room key", sel, &id, "t", room_id);
	if (rc == -1)
		return -1;
	if (created != NULL)
		*created = rc == 0;
	if (rc == 1)
		return id;
	if (store_run(s, err, "insert room", ins, "t", room_id) == -1)
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
	    "encrypted = CASE WHEN ?1 & 32 THEN max(encrypted, ?7) "
	    "ELSE encrypted END, "
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

	if (p->set == 0)
		return 0;
	return store_run(s, err, "update room", sql, "itttttititiiiiitii",
	    (int64_t)p->set, p->name, p->topic, p->avatar_url,
	    p->canonical_alias, p->room_type, (int64_t)p->encrypted,
	    p->parent_id, (int64_t)p->channel,
	    joins[p->join <= ROOM_LEAVE ? p->join : 0], (int64_t)p->is_direct,
	    p->unread, p->highlight, p->joined_count, p->invited_count,
	    p->heroes, p->last_ts, room);
}

/*
 * Forget every m.direct mark (before applying a new m.direct), but for
 * pending invites: their is_direct came with the invite, not m.direct.
 */
int
store_rooms_clear_direct(struct store *s, struct haos_error *err)
{
	static const char	*sql = "UPDATE rooms SET is_direct = 0, "
				    "direct_user = NULL WHERE is_direct != 0 "
				    "AND membership != 'invite'";

	return store_run(s, err, "clear direct", sql, "");
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

	return store_run(s, err, "set direct", sql, "tt", room_id, user_id);
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

	*type = *state_key = *content = NULL;
	st = store_row(s, err, "find state", sql, &rc, "it", room, event_id);
	if (st == NULL)
		return rc;
	*type = store_col_str(st, 0);
	*state_key = store_col_str(st, 1);
	*content = store_col_str(st, 2);
	sqlite3_reset(st);
	return 1;
}

/* Replace the content of room's current state event event_id. */
int
store_state_redact(struct store *s, int64_t room, const char *event_id,
    const char *content, struct haos_error *err)
{
	static const char	*sql = "UPDATE state SET content = ?3 "
				    "WHERE room = ?1 AND event_id = ?2";

	return store_run(s, err, "redact state", sql, "itt", room, event_id,
	    content);
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

	return store_run(s, err, "set state", sql, "ittttt", room, type,
	    state_key, event_id, sender, content);
}

/* Current state content of (type, state_key), or *content NULL. */
int
store_state_get(struct store *s, int64_t room, const char *type,
    const char *state_key, char **content, struct haos_error *err)
{
	static const char	*sql = "SELECT content FROM state WHERE "
				    "room = ?1 AND type = ?2 "
				    "AND state_key = ?3";

	if (store_get_text(s, err, "get state", sql, content, "itt", room,
	    type, state_key) == -1)
		return -1;
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

	if (!present)
		return store_run(s, err, "set space child", del, "it", space,
		    child_id);
	return store_run(s, err, "set space child", ins, "itti", space,
	    child_id, order, (int64_t)suggested);
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

	return store_run(s, err, "set member", sql, "itttti", room, user_id,
	    displayname, avatar_url, membership, power_level);
}

/* Set every member of room to users_default (new m.room.power_levels). */
int
store_members_power_default(struct store *s, int64_t room, int64_t level,
    struct haos_error *err)
{
	static const char	*sql = "UPDATE members SET power_level = ?2 "
				    "WHERE room = ?1 AND power_level != ?2";

	return store_run(s, err, "set power levels", sql, "ii", room, level);
}

/* Set one member's power level, if the member is known. */
int
store_member_power(struct store *s, int64_t room, const char *user_id,
    int64_t level, struct haos_error *err)
{
	static const char	*sql = "UPDATE members SET power_level = ?3 "
				    "WHERE room = ?1 AND user_id = ?2";

	return store_run(s, err, "set power level", sql, "iti", room, user_id,
	    level);
}

/* Store account data of type; room 0 is global. */
int
store_account_data_set(struct store *s, int64_t room, const char *type,
    const char *content, struct haos_error *err)
{
	static const char	*sql = "INSERT INTO account_data (room, type, "
	    "content) VALUES (?1, ?2, ?3) ON CONFLICT (room, type) "
	    "DO UPDATE SET content = excluded.content";

	return store_run(s, err, "set account data", sql, "itt", room, type,
	    content);
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

	return store_run(s, err, "set receipt", sql, "ittti", room, rtype,
	    user_id, event_id, ts);
}

/* Replace the typing users of room (JSON array text). */
int
store_typing_set(struct store *s, int64_t room, const char *user_ids,
    struct haos_error *err)
{
	static const char	*sql = "INSERT INTO typing (room, user_ids) "
	    "VALUES (?1, ?2) ON CONFLICT (room) DO UPDATE SET "
	    "user_ids = excluded.user_ids";

	return store_run(s, err, "set typing", sql, "it", room, user_ids);
}
