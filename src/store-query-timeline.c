/* Store read queries of timelines: pages, threads, events, relations. */
#include "haos/store.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/xmalloc.h"
#include "store-int.h"

/*
 * Columns of an event_row, in store_query_row_event() order, then what
 * the lock of a decrypted event is made of (store_query_trust()).
 */
#define EVENT_COLS							\
	"e.ordinal, e.event_id, e.sender, e.type, e.state_key, e.ts, "	\
	"e.content, e.rel_type, e.relates_to, e.redacted, "		\
	"e.redacted_by, e.txn_id, e.e2e, "				\
	"tm.authenticated, tm.sender_user IS NOT NULL, td.device_id, "	\
	"td.ed25519 = tm.claimed_ed25519, td.deleted, td.cross_signed, " \
	"td.local_trust, tp.changed, tp.verified, "			\
	"tk.public_key IS NOT NULL "

/*
 * The events, each decrypted one with its session, the device owning the
 * session's sender key (one row: the listed one first) and its owner's
 * identity; all primary-key lookups, none for an event in clear.
 */
#define EVENT_FROM							\
	"FROM events e "						\
	"LEFT JOIN rooms tr ON e.e2e_session IS NOT NULL AND "		\
	" tr.id = e.room "						\
	"LEFT JOIN megolm_in tm ON tm.room_id = tr.room_id AND "	\
	" tm.session_id = e.e2e_session "				\
	"LEFT JOIN devices td ON td.user_id = tm.sender_user AND "	\
	" td.device_id = (SELECT d.device_id FROM devices d WHERE "	\
	" d.curve25519 = tm.sender_curve25519 AND d.user_id = "		\
	" tm.sender_user ORDER BY d.deleted LIMIT 1) "			\
	"LEFT JOIN msk_pins tp ON tp.user_id = tm.sender_user "		\
	"LEFT JOIN cross_signing_keys tk ON tk.user_id = tm.sender_user " \
	" AND tk.usage = 'master' "

/*
 * Events folded into others in a page: edits, reactions, redactions, and
 * thread replies (shown under their root's summary, and in the thread).
 */
#define EVENT_VISIBLE							\
	"(e.rel_type IS NULL OR e.rel_type NOT IN "			\
	"('m.replace', 'm.annotation', 'm.thread')) AND "		\
	"e.type != 'm.room.redaction' "

/*
 * The lock of a decrypted event from the columns at col on (EVENT_COLS),
 * as Element's shields: a key that did not come from its sender
 * (backup, key file, forward) cannot vouch for anything; then the
 * device must still be listed with the key the session claims; a device
 * we verified ourselves is verified; an identity that changed warns;
 * with cross-signing, a device its owner did not sign warns, one signed
 * is verified when we verified the owner's master key (for ourselves:
 * this device is cross-signed), unverified otherwise; without
 * cross-signing, unverified.
 */
static enum e2e_trust
store_query_trust(enum e2e_state e2e, sqlite3_stmt *st, int col)
{
	if (e2e != E2E_DECRYPTED || sqlite3_column_int(st, col + 1) == 0)
		return E2E_TRUST_NONE;
	if (sqlite3_column_int(st, col) == 0)
		return E2E_TRUST_UNAUTHENTICATED;
	if (sqlite3_column_type(st, col + 2) == SQLITE_NULL ||
	    sqlite3_column_int(st, col + 3) == 0 ||
	    sqlite3_column_int(st, col + 4) != 0)
		return E2E_TRUST_UNKNOWN;
	if (sqlite3_column_int(st, col + 6) != 0)
		return E2E_TRUST_VERIFIED;
	if (sqlite3_column_int(st, col + 7) != 0)
		return E2E_TRUST_CHANGED;
	if (sqlite3_column_int(st, col + 9) == 0)
		return E2E_TRUST_UNVERIFIED;
	if (sqlite3_column_int(st, col + 5) == 0)
		return E2E_TRUST_UNSIGNED;
	return sqlite3_column_int(st, col + 8) != 0 ? E2E_TRUST_VERIFIED :
	    E2E_TRUST_UNVERIFIED;
}

static void
store_query_row_event(sqlite3_stmt *st, const char *room_id,
    struct event_row *e)
{
	e->room_id = xstrdup(room_id);
	e->ordinal = sqlite3_column_int64(st, 0);
	e->event_id = store_col_str(st, 1);
	e->sender = store_col_str(st, 2);
	e->type = store_col_str(st, 3);
	e->state_key = store_col_str(st, 4);
	e->ts = sqlite3_column_int64(st, 5);
	e->content = store_col_str(st, 6);
	e->rel_type = store_col_str(st, 7);
	e->relates_to = store_col_str(st, 8);
	e->redacted = sqlite3_column_int(st, 9);
	e->redacted_by = store_col_str(st, 10);
	e->txn_id = store_col_str(st, 11);
	e->e2e = (enum e2e_state)sqlite3_column_int(st, 12);
	e->trust = store_query_trust(e->e2e, st, 13);
	if (e->trust != E2E_TRUST_NONE)
		e->e2e_device = store_col_str(st, 15);
}

/*
 * Apply the newest valid m.replace to e: sent by the original sender,
 * of the same type, not redacted; its m.new_content becomes the content.
 */
static int
store_query_edit(struct store *s, int64_t room, struct event_row *e,
    struct haos_error *err)
{
	static const char	*sql = "SELECT event_id, content FROM events "
	    "WHERE room = ?1 AND relates_to = ?2 AND rel_type = 'm.replace' "
	    "AND sender = ?3 AND type = ?4 AND redacted = 0 "
	    "ORDER BY ts DESC, event_id DESC LIMIT 1";
	sqlite3_stmt		*st;
	json_t			*c, *nc;
	int			 rc;

	st = store_row(s, err, "edits", sql, &rc, "ittt", room, e->event_id,
	    e->sender, e->type);
	if (st == NULL)
		return rc;
	c = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
	nc = json_get_obj(c, "m.new_content");
	if (nc != NULL) {
		free(e->content);
		e->content = json_xdumps(nc);
		e->edited_by = store_col_str(st, 0);
	}
	json_decref(c);
	sqlite3_reset(st);
	return 0;
}

/*
 * Events a redaction of mine is on its way to (not failed): shown as
 * gone at once, like any local echo.
 */
#define STORE_PENDING_REDACTIONS	"SELECT rel_target FROM outbox "	\
	"WHERE type = 'm.room.redaction' AND state != 'failed' AND "	\
	"rel_target IS NOT NULL"

/* Aggregate e's m.annotation relations by key, in first-reaction order. */
static int
store_query_reactions(struct store *s, int64_t room, struct event_row *e,
    const char *me, struct haos_error *err)
{
	static const char	*sql = "SELECT rel_key, "
	    "count(DISTINCT sender), "
	    "max(sender = ?3) FROM events WHERE room = ?1 AND relates_to = ?2 "
	    "AND rel_type = 'm.annotation' AND redacted = 0 AND "
	    "rel_key IS NOT NULL AND event_id NOT IN ("
	    STORE_PENDING_REDACTIONS ") "
	    "GROUP BY rel_key ORDER BY min(ordinal)";
	sqlite3_stmt		*st;
	size_t			 cap = 0;
	struct reaction_row	*r;
	int			 rc;

	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind(st, "itt", room, e->event_id, me != NULL ? me : "");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		e->reactions = store_query_grow(e->reactions, &e->nreactions,
		    &cap, sizeof *e->reactions);
		r = &e->reactions[e->nreactions - 1];
		r->key = store_col_str(st, 0);
		r->count = sqlite3_column_int64(st, 1);
		r->mine = sqlite3_column_int(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, err, "reactions");
	return 0;
}

/* Count e's thread replies and note who sent the newest. */
static int
store_query_threads(struct store *s, int64_t room, struct event_row *e,
    struct haos_error *err)
{
	/*
	 * "+ordinal": the newest reply is found among the thread's rows
	 * (events_relates); ordered by the index of ordinals, SQLite walked
	 * the whole room for every event of a page.
	 */
	static const char	*sql = "SELECT count(*), (SELECT sender FROM "
	    "events WHERE room = ?1 AND relates_to = ?2 AND "
	    "rel_type = 'm.thread' AND redacted = 0 ORDER BY +ordinal DESC "
	    "LIMIT 1) FROM events "
	    "WHERE room = ?1 AND relates_to = ?2 AND rel_type = 'm.thread' "
	    "AND redacted = 0";
	sqlite3_stmt		*st;
	int			 rc;

	/* count(*) gives one row, so there is no "not found" here. */
	st = store_row(s, err, "thread count", sql, &rc, "it", room,
	    e->event_id);
	if (st == NULL)
		return rc;
	e->thread_count = sqlite3_column_int64(st, 0);
	e->thread_last = store_col_str(st, 1);
	sqlite3_reset(st);
	return 0;
}

/* Fill in edits, reactions and thread counts; a redacted event has none. */
static int
store_query_relations(struct store *s, int64_t room, struct event_row *e,
    const char *me, struct haos_error *err)
{
	if (e->redacted || e->event_id == NULL)
		return 0;
	if (store_query_edit(s, room, e, err) == -1 ||
	    store_query_reactions(s, room, e, me, err) == -1 ||
	    store_query_threads(s, room, e, err) == -1)
		return -1;
	return 0;
}

/* Append room's unsent outbox rows as local echoes sent by me. */
static int
store_query_echoes(struct store *s, const char *room_id, const char *me,
    struct event_row **arr, size_t *n, size_t *cap, struct haos_error *err)
{
	static const char	*sql = "SELECT o.type, o.state_key, "
	    "o.content, o.rel_target, o.txn_id, o.state, o.created_ts, "
	    STORE_OUTBOX_ENCRYPTING ", CASE WHEN o.state = 'pending' AND "
	    "o.error LIKE 'waiting:%' THEN o.error END FROM outbox o "
	    "WHERE o.room_id = ?1 AND o.state != 'sent' ORDER BY o.id";
	sqlite3_stmt		*st;
	struct event_row	*e;
	int			 rc;

	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind(st, "t", room_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*arr = store_query_grow(*arr, n, cap, sizeof **arr);
		e = &(*arr)[*n - 1];
		e->room_id = xstrdup(room_id);
		e->ordinal = STORE_LATEST;
		e->sender = xstrdup(me != NULL ? me : "");
		e->type = store_col_str(st, 0);
		e->state_key = store_col_str(st, 1);
		e->content = store_col_str(st, 2);
		e->relates_to = store_col_str(st, 3);
		e->txn_id = store_col_str(st, 4);
		e->echo = outbox_state_parse((const char *)
		    sqlite3_column_text(st, 5));
		e->ts = sqlite3_column_int64(st, 6);
		e->encrypting = sqlite3_column_int(st, 7);
		e->held = store_col_str(st, 8);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, err, "echoes");
	return 0;
}

/*
 * Page room's timeline around anchor, oldest first: up to `before` events
 * with a lower ordinal and up to `after` from anchor on (STORE_LATEST
 * pages back from the live end).  Edits, reactions and redactions are
 * folded into the events they relate to; me is the user whose reactions
 * count as "mine".  When the page reaches the live end, unsent outbox
 * rows follow as local echoes (event_id NULL, ordinal STORE_LATEST).
 */
int
store_query_timeline(struct store *s, const char *room_id, int64_t anchor,
    size_t before, size_t after, const char *me, struct event_row **rows,
    size_t *n, struct haos_error *err)
{
	static const char	*older = "SELECT " EVENT_COLS EVENT_FROM
	    "WHERE e.room = ?1 AND e.ordinal < ?2 AND " EVENT_VISIBLE
	    "ORDER BY e.ordinal DESC LIMIT ?3";
	static const char	*newer = "SELECT " EVENT_COLS EVENT_FROM
	    "WHERE e.room = ?1 AND e.ordinal >= ?2 AND " EVENT_VISIBLE
	    "ORDER BY e.ordinal LIMIT ?3";
	sqlite3_stmt		*st;
	struct event_row	*arr = NULL, tmp;
	size_t			 cap = 0, i, nold, nnew = 0;
	int64_t			 room = 0;
	int			 rc;

	store_read(s);
	*rows = NULL;
	*n = 0;
	rc = store_query_room_key(s, room_id, &room, err);
	if (rc != 1)
		return rc;

	st = store_stmt(s, older, err);
	if (st == NULL)
		return -1;
	store_bind(st, "iii", room, anchor, (int64_t)before);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arr = store_query_grow(arr, n, &cap, sizeof *arr);
		store_query_row_event(st, room_id, &arr[*n - 1]);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	nold = *n;
	for (i = 0; i < nold / 2; i++) {
		tmp = arr[i];
		arr[i] = arr[nold - 1 - i];
		arr[nold - 1 - i] = tmp;
	}

	if (anchor != STORE_LATEST && after > 0) {
		st = store_stmt(s, newer, err);
		if (st == NULL)
			goto fail_err;
		store_bind(st, "iii", room, anchor, (int64_t)after);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			arr = store_query_grow(arr, n, &cap, sizeof *arr);
			store_query_row_event(st, room_id, &arr[*n - 1]);
			nnew++;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	for (i = 0; i < *n; i++) {
		if (store_query_relations(s, room, &arr[i], me, err) == -1)
			goto fail_err;
	}
	if ((anchor == STORE_LATEST || nnew < after) &&
	    store_query_echoes(s, room_id, me, &arr, n, &cap, err) == -1)
		goto fail_err;
	*rows = arr;
	return 0;

fail:
	store_fail(s, err, "timeline");
fail_err:
	event_rows_free(arr, *n);
	*n = 0;
	return -1;
}

/* Read one stored event with its relations: 1 if found, 0 if not. */
int
store_query_event(struct store *s, const char *event_id,
    struct event_row *e, struct haos_error *err)
{
	static const char	*sql = "SELECT " EVENT_COLS ", r.room_id, r.id "
	    EVENT_FROM "JOIN rooms r ON r.id = e.room "
	    "WHERE e.event_id = ?1";
	sqlite3_stmt		*st;
	int64_t			 room = 0;
	char			*room_id = NULL;
	int			 rc;

	store_read(s);
	memset(e, 0, sizeof *e);
	st = store_row(s, err, "get event", sql, &rc, "t", event_id);
	if (st == NULL)
		return rc;
	room_id = store_col_str(st, 23);
	room = sqlite3_column_int64(st, 24);
	store_query_row_event(st, room_id, e);
	sqlite3_reset(st);
	free(room_id);
	if (store_query_relations(s, room, e, NULL, err) == -1) {
		event_row_free(e);
		return -1;
	}
	return 1;
}

/* Whether an echo belongs to a thread page: it relates to one of rows. */
static int
store_query_in_page(const struct event_row *rows, size_t n,
    const char *relates_to)
{
	size_t	 i;

	if (relates_to == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		if (rows[i].event_id != NULL &&
		    strcmp(rows[i].event_id, relates_to) == 0)
			return 1;
	}
	return 0;
}

/*
 * The thread of root_id in room_id, oldest first: the root, then its
 * m.thread replies with their relations, then unsent echoes that relate
 * to any of them (replies in the thread, edits, reactions).  An unknown
 * root gives an empty page.
 */
int
store_query_thread(struct store *s, const char *room_id,
    const char *root_id, const char *me, struct event_row **rows,
    size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT " EVENT_COLS EVENT_FROM
	    "WHERE e.room = ?1 AND (e.event_id = ?2 OR (e.relates_to = ?2 "
	    "AND e.rel_type = 'm.thread')) ORDER BY e.ordinal";
	sqlite3_stmt		*st;
	struct event_row	*arr = NULL, *ech = NULL;
	size_t			 cap = 0, i, nech = 0, ecap = 0;
	int64_t			 room = 0;
	int			 rc;

	store_read(s);
	*rows = NULL;
	*n = 0;
	rc = store_query_room_key(s, room_id, &room, err);
	if (rc != 1)
		return rc;
	st = store_stmt(s, sql, err);
	if (st == NULL)
		return -1;
	store_bind(st, "it", room, root_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arr = store_query_grow(arr, n, &cap, sizeof *arr);
		store_query_row_event(st, room_id, &arr[*n - 1]);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_fail(s, err, "thread");
		goto fail;
	}
	for (i = 0; i < *n; i++) {
		if (store_query_relations(s, room, &arr[i], me, err) == -1)
			goto fail;
	}
	if (store_query_echoes(s, room_id, me, &ech, &nech, &ecap, err) == -1)
		goto fail;
	for (i = 0; i < nech; i++) {
		if (!store_query_in_page(arr, *n, ech[i].relates_to)) {
			event_row_free(&ech[i]);
			continue;
		}
		arr = store_query_grow(arr, n, &cap, sizeof *arr);
		arr[*n - 1] = ech[i];
	}
	free(ech);
	*rows = arr;
	return 0;

fail:
	event_rows_free(ech, nech);
	event_rows_free(arr, *n);
	*n = 0;
	return -1;
}

/*
 * My live m.annotation of target_id with key in room_id: 1 and its event
 * id in *event_id, or 0 when I have not reacted so.
 */
int
store_query_my_reaction(struct store *s, const char *room_id,
    const char *target_id, const char *key, const char *me, char **event_id,
    struct haos_error *err)
{
	static const char	*sql = "SELECT e.event_id FROM events e "
	    "JOIN rooms r ON r.id = e.room WHERE r.room_id = ?1 AND "
	    "e.relates_to = ?2 AND e.rel_type = 'm.annotation' AND "
	    "e.rel_key = ?3 AND e.sender = ?4 AND e.redacted = 0 "
	    "AND e.event_id NOT IN (" STORE_PENDING_REDACTIONS ") "
	    "ORDER BY e.ordinal DESC LIMIT 1";

	store_read(s);
	return store_get_text(s, err, "my reaction", sql, event_id, "tttt",
	    room_id, target_id, key, me);
}
