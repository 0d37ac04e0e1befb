/* One /sync response into one store transaction: the batch driver. */

/*
 * A /sync response is applied atomically: ingest_sync() opens one
 * BEGIN IMMEDIATE transaction, handles to_device first (so that room keys
 * arriving in this response are known before its room events are
 * decrypted), then device lists and one-time key counts, then every room,
 * then global account data, and writes next_batch LAST, inside the same
 * transaction.  If anything fails, nothing of the response is kept and
 * the old next_batch stays, so the same response is fetched and applied
 * again; applying a response twice is harmless because events are
 * deduplicated by event id.  Saving next_batch in a transaction of its
 * own would lose events on a crash between the two commits.
 *
 * to_device events are the sharpest case: the server sends each one
 * once, and forgets it when it sees the next since token.  So every
 * to_device event is kept in the store's to_device table in this same
 * transaction (before ingest_to_device_hook sees it), and the crypto
 * layer deletes it only once consumed; one that is not an event at all
 * (not an object, no type) is logged and skipped, never failing the sync.
 *
 * Every room the response changes, and "" for a global change, is
 * recorded with store_room_changed() in the same transaction too, so the
 * UI can re-read only those rooms (store_changed_rooms()).
 */
#include "haos/ingest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"
#include "ingest-int.h"

int	(*ingest_to_device_hook)(struct store *, const json_t *,
	    struct haos_error *);

void
ingest_result_free(struct ingest_result *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nrooms; i++)
		free(r->rooms[i]);
	free(r->rooms);
	free(r->next_batch);
	memset(r, 0, sizeof *r);
}

/* Serialise v compactly into the reused buffer; returns its length. */
size_t
ingest_dump(struct ingest *in, const json_t *v)
{
	size_t	 n;

	n = json_dumpb(v, in->buf, in->bufsz, JSON_COMPACT);
	if (n >= in->bufsz) {
		while (in->bufsz <= n)
			in->bufsz = in->bufsz == 0 ? 4096 : in->bufsz * 2;
		in->buf = xrealloc(in->buf, in->bufsz);
		n = json_dumpb(v, in->buf, in->bufsz, JSON_COMPACT);
	}
	in->buf[n] = '\0';
	return n;
}

/*
 * Note that a room changed, once per room per ingest: in the result for
 * the net thread, and in the store for the UI.
 */
int
ingest_touch(struct ingest *in, const char *room_id)
{
	struct ingest_result	*r = in->res;
	size_t			 i;

	for (i = r->nrooms; i > 0; i--) {
		if (strcmp(r->rooms[i - 1], room_id) == 0)
			return 0;
	}
	if (store_room_changed(in->s, room_id, in->err) == -1)
		return -1;
	if (r->nrooms == in->roomscap) {
		in->roomscap = in->roomscap == 0 ? 16 : in->roomscap * 2;
		r->rooms = xrealloc(r->rooms, in->roomscap * sizeof *r->rooms);
	}
	r->rooms[r->nrooms++] = xstrdup(room_id);
	return 0;
}

/* Room or global (room 0) account data; returns how many, or -1. */
int
ingest_account_data(struct ingest *in, int64_t room, const json_t *events)
{
	json_t		*ev, *content;
	const char	*type;
	size_t		 i;
	int		 n = 0;

	json_array_foreach(events, i, ev) {
		type = json_get_str(ev, "type", NULL);
		content = json_get_obj(ev, "content");
		if (type == NULL || content == NULL)
			continue;
		ingest_dump(in, content);
		if (store_account_data_set(in->s, room, type, in->buf,
		    in->err) == -1)
			return -1;
		n++;
	}
	return n;
}

/* m.direct: {user: [room, ...]} marks exactly those rooms direct. */
static int
ingest_direct(struct ingest *in, const json_t *content)
{
	const char	*user;
	json_t		*rooms, *v;
	size_t		 i;

	if (store_rooms_clear_direct(in->s, in->err) == -1)
		return -1;
	json_object_foreach((json_t *)content, user, rooms) {
		json_array_foreach(rooms, i, v) {
			if (!json_is_string(v))
				continue;
			if (store_room_set_direct(in->s, json_string_value(v),
			    user, in->err) == -1)
				return -1;
		}
	}
	in->res->notify |= NOTIFY_SERVERS;
	return store_room_changed(in->s, "", in->err);
}

/*
 * Merge a device_lists array into the kv set at key, removing the users
 * of the other list: a user is either changed or left, whichever is newer.
 */
static int
ingest_device_list(struct ingest *in, const char *key, const json_t *add,
    const json_t *remove)
{
	char	*text = NULL;
	json_t	*set, *v, *w, *out;
	size_t	 i, j;
	int	 rc, dup;

	if (json_array_size(add) == 0 && json_array_size(remove) == 0)
		return 0;
	if (store_query_kv(in->s, key, &text, in->err) == -1)
		return -1;
	set = text != NULL ? json_load_stored(text) : NULL;
	free(text);
	if (!json_is_array(set)) {
		json_decref(set);
		set = json_array();
	}
	out = json_array();
	json_array_foreach(set, i, v) {
		dup = 0;
		json_array_foreach(remove, j, w) {
			if (json_equal(v, w))
				dup = 1;
		}
		if (!dup)
			json_array_append(out, v);
	}
	json_array_foreach(add, i, v) {
		dup = 0;
		json_array_foreach(out, j, w) {
			if (json_equal(v, w))
				dup = 1;
		}
		if (!dup && json_is_string(v))
			json_array_append(out, v);
	}
	ingest_dump(in, out);
	rc = store_kv_set(in->s, key, in->buf, in->err);
	json_decref(out);
	json_decref(set);
	return rc;
}

/* device_lists and one-time key counts, for the crypto layer. */
static int
ingest_keys(struct ingest *in, const json_t *sync)
{
	json_t	*dl, *changed, *left, *v;

	dl = json_get_obj(sync, "device_lists");
	changed = json_get_arr(dl, "changed");
	left = json_get_arr(dl, "left");
	if (ingest_device_list(in, "device_lists.changed", changed,
	    left) == -1 ||
	    ingest_device_list(in, "device_lists.left", left, changed) == -1)
		return -1;
	v = json_get_obj(sync, "device_one_time_keys_count");
	if (v != NULL) {
		ingest_dump(in, v);
		if (store_kv_set(in->s, "device_one_time_keys_count", in->buf,
		    in->err) == -1)
			return -1;
	}
	v = json_get_arr(sync, "device_unused_fallback_key_types");
	if (v != NULL) {
		ingest_dump(in, v);
		if (store_kv_set(in->s, "device_unused_fallback_key_types",
		    in->buf, in->err) == -1)
			return -1;
	}
	return 0;
}

/*
 * m.presence: the state of each user (online, unavailable, offline) as
 * kv "presence USER_ID"; kept in kv so that no schema change is needed.
 */
static int
ingest_presence(struct ingest *in, const json_t *events)
{
	json_t		*ev;
	const char	*who, *state;
	char		*key;
	size_t		 i;
	int		 rc, changed = 0;

	json_array_foreach(events, i, ev) {
		who = json_get_str(ev, "sender", NULL);
		state = json_get_str(json_get_obj(ev, "content"), "presence",
		    NULL);
		if (who == NULL || state == NULL || (strcmp(state, "online") !=
		    0 && strcmp(state, "unavailable") != 0 &&
		    strcmp(state, "offline") != 0))
			continue;
		key = xasprintf("presence %s", who);
		rc = store_kv_set(in->s, key, state, in->err);
		free(key);
		if (rc == -1)
			return -1;
		in->res->notify |= NOTIFY_MEMBERS;
		changed = 1;
	}
	return changed ? store_room_changed(in->s, "", in->err) : 0;
}

/*
 * Keep each to_device event, then hand it to ingest_to_device_hook (see
 * the top of this file); skip and log an entry that is not an event.
 */
static int
ingest_to_device(struct ingest *in, const json_t *events)
{
	json_t		*ev;
	const char	*type;
	size_t		 i;

	json_array_foreach(events, i, ev) {
		type = json_get_str(ev, "type", NULL);
		if (!json_is_object(ev) || type == NULL) {
			log_warn("ingest", "to_device event %zu skipped: %s", i,
			    json_is_object(ev) ? "no type" : "not an object");
			continue;
		}
		ingest_dump(in, ev);
		if (store_to_device_add(in->s, type, json_get_str(ev, "sender",
		    NULL), in->buf, in->err) == -1)
			return -1;
		if (ingest_to_device_hook != NULL &&
		    ingest_to_device_hook(in->s, ev, in->err) == -1)
			return -1;
	}
	return 0;
}

/* The body of ingest_sync_run(), inside its transaction. */
static int
ingest_sync_txn(struct ingest *in, const json_t *sync, const char *next,
    ingest_rooms_fn rooms, void *arg)
{
	json_t		*events, *ev, *content;
	const char	*type;
	size_t		 i;
	int		 n;

	if (ingest_to_device(in, json_get_arr(json_get_obj(sync,
	    "to_device"), "events")) == -1)
		return -1;
	if (ingest_keys(in, sync) == -1)
		return -1;
	if (rooms(in, arg) == -1)
		return -1;
	events = json_get_arr(json_get_obj(sync, "account_data"), "events");
	n = ingest_account_data(in, 0, events);
	if (n == -1 || (n > 0 && store_room_changed(in->s, "", in->err) ==
	    -1))
		return -1;
	json_array_foreach(events, i, ev) {
		type = json_get_str(ev, "type", "");
		content = json_get_obj(ev, "content");
		if (strcmp(type, "m.direct") == 0 && content != NULL &&
		    ingest_direct(in, content) == -1)
			return -1;
	}
	if (ingest_presence(in, json_get_arr(json_get_obj(sync, "presence"),
	    "events")) == -1)
		return -1;
	return store_sync_token_set(in->s, next, in->err);
}

/* The rooms of a whole tree, for ingest_sync(). */
static int
ingest_sync_tree_rooms(struct ingest *in, void *arg)
{
	return ingest_rooms(in, json_get_obj(arg, "rooms"));
}

/*
 * Apply one /sync response in one transaction (see the top of this file):
 * everything but the rooms from sync, the rooms by the callback, in their
 * place between the keys and the global account data.  On success *res
 * says what changed; on failure nothing was written.
 */
int
ingest_sync_run(struct store *s, const json_t *sync, ingest_rooms_fn rooms,
    void *arg, struct ingest_result *res, struct haos_error *err)
{
	struct ingest	 in;
	const char	*next;
	int		 ret = -1;

	memset(res, 0, sizeof *res);
	memset(&in, 0, sizeof in);
	in.s = s;
	in.res = res;
	in.err = err;
	next = json_get_str(sync, "next_batch", NULL);
	if (!json_is_object(sync) || next == NULL) {
		haos_error_set(err, HAOS_EPROTO, "/sync response without "
		    "next_batch");
		return -1;
	}
	if (store_begin(s, err) == -1)
		return -1;
	if (ingest_sync_txn(&in, sync, next, rooms, arg) == -1) {
		store_rollback(s);
		goto out;
	}
	if (store_commit(s, err) == -1)
		goto out;
	res->next_batch = xstrdup(next);
	ret = 0;
out:
	free(in.buf);
	if (ret == -1)
		ingest_result_free(res);
	return ret;
}

int
ingest_sync(struct store *s, const json_t *sync, struct ingest_result *res,
    struct haos_error *err)
{
	return ingest_sync_run(s, sync, ingest_sync_tree_rooms, (void *)sync,
	    res, err);
}
