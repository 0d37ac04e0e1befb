/* One /sync response into one store transaction: the batch driver. */

/*
 * A /sync response is applied atomically: ingest_sync_run() opens one
 * BEGIN IMMEDIATE transaction, handles to_device first (so that room keys
 * arriving in this response are known before its room events are
 * decrypted), then device lists and one-time key counts, then every room,
 * then global account data, and writes next_batch LAST, inside the same
 * transaction.  The answer is walked either as a tree (ingest_sync()) or
 * as text, one room at a time (ingest-stream.c); both hand their parts
 * to the same driver in the order they read them.  Synapse sends "rooms"
 * last, so to_device and the keys come first; a part given after the
 * rooms (another server's order) is ingested after them.  If anything fails, nothing of the response is kept and
 * the old next_batch stays, so the same response is fetched and applied
 * again; applying a response twice is harmless because events are
 * deduplicated by event id.  Saving next_batch in a transaction of its
 * own would lose events on a crash between the two commits.
 *
 * to_device events are the sharpest case: the server sends each one
 * once, and forgets it when it sees the next since token.  So every
 * to_device event is kept in the store's to_device table in this same
 * transaction, then the crypto layer (crypto_in_to_device(), with the
 * identity net-keys.c set on the store) decrypts what it can and deletes
 * each event once consumed; without an identity they all stay.  One that
 * is not an event at all (not an object, no type) is logged and skipped,
 * never failing the sync.
 *
 * Every room the response changes, and "" for a global change, is
 * recorded with store_room_changed() in the same transaction too, so the
 * UI can re-read only those rooms (store_changed_rooms()).
 */
#include "haos/ingest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"
#include "ingest-int.h"

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

static size_t
ingest_hash(const char *s)
{
	uint64_t	 h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (size_t)h;
}

/* The slot of room_id in in->touched: where it is, or where it goes. */
static size_t
ingest_touched_slot(struct ingest *in, const char *room_id)
{
	size_t	 i, mask = in->touchedcap - 1;

	for (i = ingest_hash(room_id) & mask; in->touched[i] != 0;
	    i = (i + 1) & mask) {
		if (strcmp(in->res->rooms[in->touched[i] - 1], room_id) == 0)
			break;
	}
	return i;
}

/* What an ingest holds besides its result: freed once it is over. */
void
ingest_clear(struct ingest *in)
{
	free(in->buf);
	free(in->touched);
	in->buf = NULL;
	in->touched = NULL;
	in->bufsz = in->touchedcap = 0;
}

/* Make room in in->touched for one more id. */
static void
ingest_touched_grow(struct ingest *in)
{
	size_t	 i;

	if (2 * (in->res->nrooms + 1) <= in->touchedcap)
		return;
	in->touchedcap = in->touchedcap == 0 ? 64 : in->touchedcap * 2;
	free(in->touched);
	in->touched = xcalloc(in->touchedcap, sizeof *in->touched);
	for (i = 0; i < in->res->nrooms; i++)
		in->touched[ingest_touched_slot(in, in->res->rooms[i])] = i + 1;
}

/*
 * Note that a room changed, once per room per ingest: in the result for
 * the net thread, and in the store for the UI.
 */
int
ingest_touch(struct ingest *in, const char *room_id)
{
	struct ingest_result	*r = in->res;
	size_t			 slot;

	ingest_touched_grow(in);
	slot = ingest_touched_slot(in, room_id);
	if (in->touched[slot] != 0)
		return 0;
	if (store_room_changed(in->s, room_id, in->err) == -1)
		return -1;
	if (r->nrooms == in->roomscap) {
		in->roomscap = in->roomscap == 0 ? 16 : in->roomscap * 2;
		r->rooms = xrealloc(r->rooms, in->roomscap * sizeof *r->rooms);
	}
	r->rooms[r->nrooms++] = xstrdup(room_id);
	in->touched[slot] = r->nrooms;
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
 * device_lists (E2EE.md Step 4), written to tracked_users in this
 * transaction: a changed user that is tracked becomes outdated (with a
 * new changed_seq, so a /keys/query already out does not count), a left
 * one is untracked unless the store still has them in an encrypted room
 * (the rooms of this answer come after and may track them again); their
 * devices stay.  With next_batch at hand, kv device_lists.token says up
 * to where the lists are followed (the /keys/changes of the next run).
 * Then one-time key counts and unused fallback key types (the stable
 * name, else MSC2732's), for the crypto layer (crypto-keys.c).
 */
static int
ingest_keys(struct ingest *in, const json_t *sync)
{
	json_t		*dl, *v;
	const char	*next;
	size_t		 i;

	dl = json_get_obj(sync, "device_lists");
	json_array_foreach(json_get_arr(dl, "changed"), i, v) {
		if (json_is_string(v) && store_tracked_changed(in->s,
		    json_string_value(v), in->err) == -1)
			return -1;
	}
	json_array_foreach(json_get_arr(dl, "left"), i, v) {
		if (json_is_string(v) && store_tracked_left(in->s,
		    json_string_value(v), in->err) == -1)
			return -1;
	}
	next = json_get_str(sync, "next_batch", NULL);
	if (next != NULL && store_kv_set(in->s, "device_lists.token", next,
	    in->err) == -1)
		return -1;
	v = json_get_obj(sync, "device_one_time_keys_count");
	if (v != NULL) {
		ingest_dump(in, v);
		if (store_kv_set(in->s, "device_one_time_keys_count", in->buf,
		    in->err) == -1)
			return -1;
	}
	v = json_get_arr(sync, "device_unused_fallback_key_types");
	if (v == NULL)		/* a server of before Matrix 1.2 */
		v = json_get_arr(sync,
		    "org.matrix.msc2732.device_unused_fallback_key_types");
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
	const char	*who, *state, *status;
	char		*key;
	size_t		 i;
	int		 rc, changed = 0;

	json_array_foreach(events, i, ev) {
		who = json_get_str(ev, "sender", NULL);
		state = json_get_str(json_get_obj(ev, "content"), "presence",
		    NULL);
		status = json_get_str(json_get_obj(ev, "content"),
		    "status_msg", NULL);
		if (who == NULL || state == NULL || (strcmp(state, "online") !=
		    0 && strcmp(state, "unavailable") != 0 &&
		    strcmp(state, "offline") != 0))
			continue;
		key = xasprintf("presence %s", who);
		rc = store_kv_set(in->s, key, state, in->err);
		free(key);
		if (rc == -1)
			return -1;
		/* A status message goes with the event that has none. */
		key = xasprintf("status_msg %s", who);
		rc = store_kv_set(in->s, key, status != NULL && *status !=
		    '\0' ? status : NULL, in->err);
		free(key);
		if (rc == -1)
			return -1;
		in->res->notify |= NOTIFY_MEMBERS;
		changed = 1;
	}
	return changed ? store_room_changed(in->s, "", in->err) : 0;
}

/* A room whose waiting events a key decrypted in place (crypto.h). */
static int
ingest_key_room(void *arg, const char *room_id, struct haos_error *err)
{
	struct ingest	*in = arg;

	(void)err;		/* in->err is the same */
	in->res->notify |= NOTIFY_TIMELINE;
	return ingest_touch(in, room_id);
}

/*
 * Keep each to_device event, then hand this batch's to the crypto layer
 * (see the top of this file); skip and log an entry that is not an event.
 */
static int
ingest_to_device(struct ingest *in, const json_t *events)
{
	struct crypto_in_sink	 sink = { ingest_key_room, in };
	json_t			*ev;
	const char		*type;
	int64_t			 id, first = 0;
	size_t			 i;

	json_array_foreach(events, i, ev) {
		type = json_get_str(ev, "type", NULL);
		if (!json_is_object(ev) || type == NULL) {
			log_warn("ingest", "to_device event %zu skipped: %s", i,
			    json_is_object(ev) ? "no type" : "not an object");
			continue;
		}
		ingest_dump(in, ev);
		id = store_to_device_add(in->s, type, json_get_str(ev, "sender",
		    NULL), in->buf, in->err);
		if (id == -1)
			return -1;
		if (first == 0)
			first = id;
	}
	/* Decrypted and applied before any room, in this transaction. */
	if (first != 0 && store_crypto(in->s) != NULL &&
	    crypto_in_to_device(store_crypto(in->s), in->s, first, &sink,
	    in->err) == -1)
		return -1;
	return 0;
}

/* The parts that rooms depend on: ingested before the first room. */
static const char *const ingest_sync_early_parts[] = {
	"to_device", "device_lists", "device_one_time_keys_count",
	"device_unused_fallback_key_types",
	"org.matrix.msc2732.device_unused_fallback_key_types"
};

/*
 * to_device, then the device keys, of the parts given so far; they are
 * dropped once ingested, so that one given again later is ingested too.
 */
static int
ingest_sync_early(struct ingest_sync *b)
{
	unsigned int	 i;

	if (ingest_to_device(&b->in, json_get_arr(json_get_obj(b->top,
	    "to_device"), "events")) == -1)
		return -1;
	if (ingest_keys(&b->in, b->top) == -1)
		return -1;
	for (i = 0; i < nitems(ingest_sync_early_parts); i++)
		json_object_del(b->top, ingest_sync_early_parts[i]);
	return 0;
}

/* The /sync section name (join, invite, leave) as a room_join, or -1. */
int
ingest_sync_section(const char *name, size_t len)
{
	static const struct {
		const char	*name;
		enum room_join	 join;
	} sections[] = {
		{ "join", ROOM_JOIN },
		{ "invite", ROOM_INVITE },
		{ "leave", ROOM_LEAVE }
	};
	unsigned int	 i;

	for (i = 0; i < nitems(sections); i++) {
		if (strlen(sections[i].name) == len &&
		    memcmp(sections[i].name, name, len) == 0)
			return (int)sections[i].join;
	}
	return -1;
}

/*
 * A top-level part of the answer but "rooms" (v is taken): kept until
 * its turn, the last of a key given twice winning, as in jansson's tree.
 */
void
ingest_sync_part(struct ingest_sync *b, const char *key, size_t len,
    json_t *v)
{
	json_object_setn_new(b->top, key, len, v);
}

/* One room of a section, in its turn; the early parts go first. */
int
ingest_sync_room(struct ingest_sync *b, enum room_join join,
    const char *room_id, const json_t *room)
{
	if (!b->early_done) {
		if (ingest_sync_early(b) == -1)
			return -1;
		b->early_done = 1;
	}
	return ingest_room(&b->in, room_id, room, join);
}

/*
 * After the rooms: the early parts given after them, the global account
 * data (m.direct marks the direct rooms), presence, and next_batch last.
 */
static int
ingest_sync_late(struct ingest_sync *b, const char *next)
{
	struct ingest	*in = &b->in;
	json_t		*events, *ev, *content;
	const char	*type;
	size_t		 i;
	int		 n;

	if (ingest_sync_early(b) == -1)
		return -1;
	events = json_get_arr(json_get_obj(b->top, "account_data"),
	    "events");
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
	if (ingest_presence(in, json_get_arr(json_get_obj(b->top,
	    "presence"), "events")) == -1)
		return -1;
	return store_sync_token_set(in->s, next, in->err);
}

/*
 * The walk of a whole tree: every part but the rooms first (all are at
 * hand), then the rooms, each section and each room in its key order.
 */
static int
ingest_sync_tree(struct ingest_sync *b, void *arg)
{
	const json_t	*sync = arg;
	const char	*key, *room_id;
	json_t		*v, *r;
	int		 join;

	json_object_foreach((json_t *)sync, key, v) {
		if (strcmp(key, "rooms") != 0)
			ingest_sync_part(b, key, strlen(key), json_incref(v));
	}
	json_object_foreach(json_get_obj(sync, "rooms"), key, v) {
		join = ingest_sync_section(key, strlen(key));
		if (join == -1)
			continue;
		json_object_foreach(v, room_id, r) {
			if (ingest_sync_room(b, (enum room_join)join, room_id,
			    r) == -1)
				return -1;
		}
	}
	return 0;
}

/*
 * Apply one /sync answer in one transaction (see the top of this file).
 * walk gives its parts (ingest_sync_part()) and its rooms
 * (ingest_sync_room()) in the order it reads them, inside the
 * transaction; an answer without next_batch, or a walk that fails (err
 * set), is rolled back whole.  On success *res says what changed.
 */
int
ingest_sync_run(struct store *s, ingest_walk_fn walk, void *arg,
    struct ingest_result *res, struct haos_error *err)
{
	struct ingest_sync	 b;
	const char		*next;
	int			 ret = -1;

	memset(res, 0, sizeof *res);
	memset(&b, 0, sizeof b);
	b.in.s = s;
	b.in.res = res;
	b.in.err = err;
	b.top = json_object();
	if (store_begin(s, err) == -1)
		goto out;
	if (walk(&b, arg) == -1)
		goto fail;
	next = json_get_str(b.top, "next_batch", NULL);
	if (next == NULL) {
		haos_error_set(err, HAOS_EPROTO, "/sync response without "
		    "next_batch");
		goto fail;
	}
	if (ingest_sync_late(&b, next) == -1)
		goto fail;
	if (store_commit(s, err) == -1)
		goto out;
	res->next_batch = xstrdup(next);
	ret = 0;
	goto out;
fail:
	store_rollback(s);
out:
	ingest_clear(&b.in);
	json_decref(b.top);
	if (ret == -1)
		ingest_result_free(res);
	return ret;
}

int
ingest_sync(struct store *s, const json_t *sync, struct ingest_result *res,
    struct haos_error *err)
{
	return ingest_sync_run(s, ingest_sync_tree, (void *)sync, res, err);
}
