/* One /sync response into one store transaction; /messages backfill. */

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
 */
#include "haos/ingest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/model.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/*
 * Free ordinals left below the first event of a limited timeline for
 * backfill; a gap that needs more is widened by store_timeline_shift().
 */
#define INGEST_GAP_SPAN	((int64_t)1 << 20)

int	(*ingest_to_device_hook)(struct store *, const json_t *,
	    struct haos_error *);

/* One ingest call: the store, the result being built and a dump buffer. */
struct ingest {
	struct store		*s;
	struct ingest_result	*res;
	struct haos_error	*err;
	char			*buf;	/* compact JSON of the last content */
	size_t			 bufsz;
	size_t			 roomscap;
};

/* A room being ingested. */
struct ingest_room {
	const char		*room_id;
	int64_t			 key;
	int			 is_new;	/* no row before this ingest */
	enum room_join		 join;		/* the /sync section */
	struct store_room_patch	 patch;
	int			 parent_canonical;
	json_t			*pl;	/* m.room.power_levels content */
	int			 pl_loaded;
	unsigned int		 notify;
};

/* Keys kept by the redaction algorithm (room versions 1-10, v10 rules). */
static const char *const keep_member[] = {
	"membership", "join_authorised_via_users_server", NULL
};
static const char *const keep_create[] = { "creator", NULL };
static const char *const keep_join_rules[] = { "join_rule", "allow", NULL };
static const char *const keep_power_levels[] = {
	"ban", "events", "events_default", "kick", "redact", "state_default",
	"users", "users_default", NULL
};
static const char *const keep_history[] = { "history_visibility", NULL };

static const struct {
	const char		*type;
	const char *const	*keep;
} ingest_keep[] = {
	{ "m.room.member", keep_member },
	{ "m.room.create", keep_create },
	{ "m.room.join_rules", keep_join_rules },
	{ "m.room.power_levels", keep_power_levels },
	{ "m.room.history_visibility", keep_history }
};

static int	ingest_fail(struct ingest *, enum haos_err, const char *,
		    const char *);

void
ingest_result_free(struct ingest_result *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nrooms; i++)
		free(r->rooms[i]);
	free(r->rooms);
	memset(r, 0, sizeof *r);
}

static int
ingest_fail(struct ingest *in, enum haos_err code, const char *what,
    const char *id)
{
	haos_error_set(in->err, code, "%s%s%s", what, id != NULL ? ": " : "",
	    id != NULL ? id : "");
	return -1;
}

/* Serialise v compactly into the reused buffer; returns its length. */
static size_t
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

/* Note that a room changed, once per room per ingest. */
static void
ingest_touch(struct ingest *in, const char *room_id)
{
	struct ingest_result	*r = in->res;
	size_t			 i;

	for (i = r->nrooms; i > 0; i--) {
		if (strcmp(r->rooms[i - 1], room_id) == 0)
			return;
	}
	if (r->nrooms == in->roomscap) {
		in->roomscap = in->roomscap == 0 ? 16 : in->roomscap * 2;
		r->rooms = xrealloc(r->rooms, in->roomscap * sizeof *r->rooms);
	}
	r->rooms[r->nrooms++] = xstrdup(room_id);
}

/* Apply the v10 redaction algorithm to content of an event of type. */
static json_t *
ingest_prune(const char *type, const json_t *content)
{
	const char *const	*keep = NULL;
	json_t			*out, *v;
	unsigned int		 i;

	out = json_object();
	for (i = 0; i < nitems(ingest_keep); i++) {
		if (strcmp(type, ingest_keep[i].type) == 0) {
			keep = ingest_keep[i].keep;
			break;
		}
	}
	for (; keep != NULL && *keep != NULL; keep++) {
		v = json_object_get(content, *keep);
		if (v != NULL)
			json_object_set(out, *keep, v);
	}
	return out;
}

/* The power level of user_id under the room's current m.room.power_levels. */
static int64_t
ingest_power(struct ingest *in, struct ingest_room *ir, const char *user_id)
{
	char		*text;
	json_t		*users, *v;

	if (!ir->pl_loaded) {
		ir->pl_loaded = 1;
		if (!ir->is_new && store_state_get(in->s, ir->key,
		    "m.room.power_levels", "", &text, in->err) == 0 &&
		    text != NULL) {
			ir->pl = json_loads(text, 0, NULL);
			free(text);
		}
	}
	if (ir->pl == NULL)
		return 0;
	users = json_get_obj(ir->pl, "users");
	v = json_object_get(users, user_id);
	if (json_is_integer(v))
		return json_integer_value(v);
	return json_get_int(ir->pl, "users_default", 0);
}

/* New power levels: reset every member to users_default, then users. */
static int
ingest_power_levels(struct ingest *in, struct ingest_room *ir,
    const json_t *content)
{
	const char	*user;
	json_t		*users, *v;

	json_decref(ir->pl);
	ir->pl = json_deep_copy(content);
	ir->pl_loaded = 1;
	if (store_members_power_default(in->s, ir->key,
	    json_get_int(content, "users_default", 0), in->err) == -1)
		return -1;
	users = json_get_obj(content, "users");
	json_object_foreach(users, user, v) {
		if (json_is_integer(v) && store_member_power(in->s, ir->key,
		    user, json_integer_value(v), in->err) == -1)
			return -1;
	}
	ir->notify |= NOTIFY_MEMBERS;
	return 0;
}

/* Does an m.space.child/parent content hold a non-empty "via"? */
static int
ingest_has_via(const json_t *content)
{
	json_t	*via;

	via = json_get_arr(content, "via");
	return via != NULL && json_array_size(via) > 0;
}

/*
 * Apply the state event (type, state_key, content) to the room row, the
 * members and the space hierarchy.  Strings stay owned by the JSON.
 */
static int
ingest_state_fields(struct ingest *in, struct ingest_room *ir,
    const char *type, const char *state_key, const json_t *content)
{
	struct store_room_patch	*p = &ir->patch;
	const char		*v, *membership;

	if (strncmp(type, "m.room.", 7) == 0) {
		v = type + 7;
		if (strcmp(v, "member") == 0) {
			membership = json_get_str(content, "membership",
			    "leave");
			if (store_member_set(in->s, ir->key, state_key,
			    json_get_str(content, "displayname", NULL),
			    json_get_str(content, "avatar_url", NULL),
			    membership, ingest_power(in, ir, state_key),
			    in->err) == -1)
				return -1;
			/* Our invite to a DM; m.direct decides later. */
			if (ir->join == ROOM_INVITE &&
			    strcmp(membership, "invite") == 0 &&
			    json_get_bool(content, "is_direct", 0)) {
				p->set |= STORE_ROOM_DIRECT;
				p->is_direct = 1;
			}
			ir->notify |= NOTIFY_MEMBERS;
			return 0;
		}
		if (strcmp(v, "power_levels") == 0)
			return ingest_power_levels(in, ir, content);
		ir->notify |= NOTIFY_SERVERS | NOTIFY_CHANNELS;
		if (strcmp(v, "name") == 0) {
			p->set |= STORE_ROOM_NAME;
			p->name = json_get_str(content, "name", NULL);
		} else if (strcmp(v, "topic") == 0) {
			p->set |= STORE_ROOM_TOPIC;
			p->topic = json_get_str(content, "topic", NULL);
		} else if (strcmp(v, "avatar") == 0) {
			p->set |= STORE_ROOM_AVATAR;
			p->avatar_url = json_get_str(content, "url", NULL);
		} else if (strcmp(v, "canonical_alias") == 0) {
			p->set |= STORE_ROOM_ALIAS;
			p->canonical_alias = json_get_str(content, "alias",
			    NULL);
		} else if (strcmp(v, "create") == 0) {
			p->set |= STORE_ROOM_TYPE;
			p->room_type = json_get_str(content, "type", NULL);
		} else if (strcmp(v, "encryption") == 0) {
			p->set |= STORE_ROOM_ENCRYPTED;
			p->encrypted = json_get_str(content, "algorithm",
			    NULL) != NULL;
		}
		return 0;
	}
	if (strcmp(type, "m.space.child") == 0) {
		ir->notify |= NOTIFY_CHANNELS;
		return store_space_child_set(in->s, ir->key, state_key,
		    json_get_str(content, "order", NULL),
		    json_get_bool(content, "suggested", 0),
		    ingest_has_via(content), in->err);
	}
	if (strcmp(type, "m.space.parent") == 0) {
		ir->notify |= NOTIFY_SERVERS | NOTIFY_CHANNELS;
		if (ingest_has_via(content)) {
			/* A canonical parent wins over any other. */
			if (ir->parent_canonical && !json_get_bool(content,
			    "canonical", 0))
				return 0;
			p->set |= STORE_ROOM_PARENT;
			p->parent_id = state_key;
			ir->parent_canonical = json_get_bool(content,
			    "canonical", 0);
		} else if ((p->set & STORE_ROOM_PARENT) &&
		    p->parent_id != NULL &&
		    strcmp(p->parent_id, state_key) == 0) {
			p->parent_id = NULL;
			ir->parent_canonical = 0;
		}
		return 0;
	}
	if (strcmp(type, "io.haos.channel") == 0) {
		p->set |= STORE_ROOM_CHANNEL;
		v = json_get_str(content, "type", "");
		if (strcmp(v, "TEXT") == 0)
			p->channel = CHANNEL_TEXT;
		else if (strcmp(v, "AUDIO") == 0)
			p->channel = CHANNEL_AUDIO;
		else if (strcmp(v, "VIDEO") == 0)
			p->channel = CHANNEL_VIDEO;
		else
			p->channel = CHANNEL_NONE;
		ir->notify |= NOTIFY_CHANNELS;
	}
	return 0;
}

/* Store a state event as current state and apply it. */
static int
ingest_state(struct ingest *in, struct ingest_room *ir, const json_t *ev)
{
	const char	*type, *state_key;
	json_t		*content;

	type = json_get_str(ev, "type", NULL);
	state_key = json_get_str(ev, "state_key", NULL);
	content = json_get_obj(ev, "content");
	if (type == NULL || state_key == NULL || content == NULL)
		return ingest_fail(in, HAOS_EPROTO, "malformed state event in",
		    ir->room_id);
	ingest_dump(in, content);
	if (store_state_set(in->s, ir->key, type, state_key,
	    json_get_str(ev, "event_id", NULL),
	    json_get_str(ev, "sender", NULL), in->buf, in->err) == -1)
		return -1;
	return ingest_state_fields(in, ir, type, state_key, content);
}

/* Prune the JSON text of an event of type; returns a new object. */
static json_t *
ingest_prune_text(const char *type, const char *text)
{
	json_t	*content, *pruned;

	content = json_loads(text, 0, NULL);
	pruned = ingest_prune(type, content);
	json_decref(content);
	return pruned;
}

/*
 * Redact target: prune its stored content (unless already redacted), and
 * if it is the room's current state, that state and what derives from it.
 */
static int
ingest_redact(struct ingest *in, struct ingest_room *ir, const char *target,
    const char *redaction_id)
{
	char		*type = NULL, *text = NULL, *skey = NULL;
	json_t		*pruned = NULL;
	int		 redacted, rc, ret = -1;
	int64_t		 room;

	rc = store_event_lookup(in->s, target, &room, &type, &text,
	    &redacted, in->err);
	if (rc == -1)
		return -1;
	if (rc == 1 && room != ir->key) {
		ret = 0;		/* not this room's to redact */
		goto out;
	}
	if (rc == 1 && !redacted) {
		pruned = ingest_prune_text(type, text);
		ingest_dump(in, pruned);
		if (store_event_redact(in->s, target, redaction_id, in->buf,
		    in->err) == -1)
			goto out;
		json_decref(pruned);
		pruned = NULL;
		ir->notify |= NOTIFY_TIMELINE;
	}
	xfree(type);
	xfree(text);
	rc = store_state_find(in->s, ir->key, target, &type, &skey, &text,
	    in->err);
	if (rc == -1)
		goto out;
	if (rc == 1) {
		pruned = ingest_prune_text(type, text);
		ingest_dump(in, pruned);
		if (store_state_redact(in->s, ir->key, target, in->buf,
		    in->err) == -1)
			goto out;
		/* Pruned content has no strings the room patch would keep. */
		if (ingest_state_fields(in, ir, type, skey, pruned) == -1)
			goto out;
	}
	ret = 0;
out:
	json_decref(pruned);
	free(type);
	free(text);
	free(skey);
	return ret;
}

/*
 * Serialise content; a membership change keeps what it changed from
 * (unsigned.prev_content: membership, displayname, avatar_url) under
 * "io.haos.prev", so the timeline can say "renamed" instead of "joined".
 */
static size_t
ingest_member_dump(struct ingest *in, const char *type, json_t *content,
    const json_t *unsig)
{
	static const char *const keys[] = { "membership", "displayname",
	    "avatar_url" };
	json_t	*prev, *copy, *keep, *v;
	size_t	 i, n;

	prev = json_get_obj(unsig, "prev_content");
	if (strcmp(type, "m.room.member") != 0 || prev == NULL)
		return ingest_dump(in, content);
	keep = json_object();
	for (i = 0; i < nitems(keys); i++) {
		v = json_object_get(prev, keys[i]);
		if (json_is_string(v))
			json_object_set(keep, keys[i], v);
	}
	copy = json_copy(content);
	json_object_set_new(copy, "io.haos.prev", keep);
	n = ingest_dump(in, copy);
	json_decref(copy);
	return n;
}

/*
 * Insert one timeline event at ordinal.  Returns 1 if inserted, 0 if it
 * was already stored (and nothing else is done), -1 on error.  With
 * backfill set, state is historical and is not applied.
 */
static int
ingest_event(struct ingest *in, struct ingest_room *ir, const json_t *ev,
    int64_t ordinal, int backfill)
{
	struct store_event	 se;
	json_t			*content, *rel, *unsig, *reply, *because;
	char			*redaction = NULL;
	const char		*txn;
	int			 rc;

	memset(&se, 0, sizeof se);
	se.event_id = json_get_str(ev, "event_id", NULL);
	se.sender = json_get_str(ev, "sender", NULL);
	se.type = json_get_str(ev, "type", NULL);
	content = json_get_obj(ev, "content");
	if (se.event_id == NULL || se.sender == NULL || se.type == NULL ||
	    content == NULL)
		return ingest_fail(in, HAOS_EPROTO, "malformed timeline event "
		    "in", ir->room_id);
	se.state_key = json_get_str(ev, "state_key", NULL);
	se.ts = json_get_int(ev, "origin_server_ts", 0);
	se.ordinal = ordinal;
	rel = json_get_obj(content, "m.relates_to");
	if (rel != NULL) {
		se.rel_type = json_get_str(rel, "rel_type", NULL);
		se.relates_to = json_get_str(rel, "event_id", NULL);
		se.rel_key = json_get_str(rel, "key", NULL);
		if (se.relates_to == NULL) {
			reply = json_get_obj(rel, "m.in_reply_to");
			se.relates_to = json_get_str(reply, "event_id", NULL);
		}
	}
	if (strcmp(se.type, "m.room.redaction") == 0) {
		/* Room v11 moves "redacts" into content. */
		se.redacts = json_get_str(ev, "redacts",
		    json_get_str(content, "redacts", NULL));
	}
	unsig = json_get_obj(ev, "unsigned");
	if (unsig != NULL) {
		se.txn_id = json_get_str(unsig, "transaction_id", NULL);
		because = json_get_obj(unsig, "redacted_because");
		se.redacted_by = json_get_str(unsig, "redacted_by",
		    json_get_str(because, "event_id", NULL));
		se.redacted = because != NULL || se.redacted_by != NULL;
	}
	se.content_len = ingest_member_dump(in, se.type, content, unsig);
	se.content = in->buf;
	rc = store_event_insert(in->s, ir->key, &se, in->err);
	if (rc != 1)
		return rc;

	in->res->events++;
	ir->notify |= NOTIFY_TIMELINE;
	if (!backfill && se.ts > ir->patch.last_ts) {
		ir->patch.set |= STORE_ROOM_LAST_TS;
		ir->patch.last_ts = se.ts;
	}
	if (se.redacts != NULL &&
	    ingest_redact(in, ir, se.redacts, se.event_id) == -1)
		return -1;
	if (backfill && !se.redacted) {
		/* Walking backwards, the redaction may already be stored. */
		if (store_event_redaction_of(in->s, se.event_id, &redaction,
		    in->err) == -1)
			return -1;
		if (redaction != NULL) {
			rc = ingest_redact(in, ir, se.event_id, redaction);
			free(redaction);
			if (rc == -1)
				return -1;
		}
	}
	if (se.state_key != NULL && !backfill &&
	    ingest_state(in, ir, ev) == -1)
		return -1;
	txn = se.txn_id;
	if (txn != NULL && !backfill) {
		rc = store_outbox_reconcile(in->s, txn, se.event_id, NULL,
		    in->err);
		if (rc == -1)
			return -1;
		if (rc == 1)
			ir->notify |= NOTIFY_OUTBOX;
	}
	return 1;
}

/*
 * Append a /sync timeline.  A limited timeline whose first event is new
 * gets a gap (holding prev_batch) INGEST_GAP_SPAN ordinals above the
 * room's last row, and its events follow the gap.
 */
static int
ingest_timeline(struct ingest *in, struct ingest_room *ir,
    const json_t *timeline)
{
	json_t		*events, *ev;
	const char	*prev_batch, *first_id, *first_type;
	int64_t		 next;
	size_t		 i, n;
	int		 found, rc;

	events = json_get_arr(timeline, "events");
	n = json_array_size(events);
	prev_batch = json_get_str(timeline, "prev_batch", NULL);
	if (n == 0 && !json_get_bool(timeline, "limited", 0))
		return 0;
	if (ir->is_new) {
		found = 0;
		next = 0;
	} else {
		if (store_timeline_max(in->s, ir->key, &next, &found,
		    in->err) == -1)
			return -1;
		next = found ? next + 1 : 0;
	}
	if (json_get_bool(timeline, "limited", 0) && prev_batch != NULL) {
		ev = json_array_get(events, 0);
		first_id = json_get_str(ev, "event_id", NULL);
		first_type = json_get_str(ev, "type", "");
		rc = 0;
		if (n > 0 && first_id != NULL && !ir->is_new)
			rc = store_event_lookup(in->s, first_id, NULL, NULL,
			    NULL, NULL, in->err);
		else if (n == 0 && !ir->is_new)
			rc = store_gap_exists(in->s, ir->key, prev_batch,
			    in->err);
		if (rc == -1)
			return -1;
		if (rc == 0 && strcmp(first_type, "m.room.create") != 0) {
			next += INGEST_GAP_SPAN;
			if (store_gap_add(in->s, ir->key, next, prev_batch,
			    in->err) == -1)
				return -1;
			next++;
			ir->notify |= NOTIFY_TIMELINE;
		}
	}
	for (i = 0; i < n; i++) {
		rc = ingest_event(in, ir, json_array_get(events, i), next,
		    0);
		if (rc == -1)
			return -1;
		if (rc == 1)
			next++;
	}
	return 0;
}

/* m.typing and m.receipt. */
static int
ingest_ephemeral(struct ingest *in, struct ingest_room *ir,
    const json_t *events)
{
	json_t		*ev, *content, *types, *users, *info;
	const char	*type, *event_id, *rtype, *user;
	size_t		 i;

	json_array_foreach(events, i, ev) {
		type = json_get_str(ev, "type", "");
		content = json_get_obj(ev, "content");
		if (strcmp(type, "m.typing") == 0) {
			users = json_get_arr(content, "user_ids");
			if (users != NULL)
				ingest_dump(in, users);
			if (store_typing_set(in->s, ir->key, users != NULL ?
			    in->buf : "[]", in->err) == -1)
				return -1;
			ir->notify |= NOTIFY_TYPING;
		} else if (strcmp(type, "m.receipt") == 0) {
			json_object_foreach(content, event_id, types) {
				json_object_foreach(types, rtype, users) {
					json_object_foreach(users, user, info) {
						if (store_receipt_set(in->s,
						    ir->key, rtype, user,
						    event_id, json_get_int(info,
						    "ts", 0), in->err) == -1)
							return -1;
					}
				}
			}
			ir->notify |= NOTIFY_TIMELINE;
		}
	}
	return 0;
}

/* Room or global (room 0) account data. */
static int
ingest_account_data(struct ingest *in, int64_t room, const json_t *events)
{
	json_t		*ev, *content;
	const char	*type;
	size_t		 i;

	json_array_foreach(events, i, ev) {
		type = json_get_str(ev, "type", NULL);
		content = json_get_obj(ev, "content");
		if (type == NULL || content == NULL)
			continue;
		ingest_dump(in, content);
		if (store_account_data_set(in->s, room, type, in->buf,
		    in->err) == -1)
			return -1;
	}
	return 0;
}

/* One room of rooms.join, rooms.invite or rooms.leave. */
static int
ingest_room(struct ingest *in, const char *room_id, const json_t *r,
    enum room_join join)
{
	struct ingest_room	 ir;
	json_t			*events, *ev, *obj, *heroes;
	size_t			 i;
	int			 ret = -1;
	char			*heroes_text = NULL;
	int64_t			 count;

	memset(&ir, 0, sizeof ir);
	ir.room_id = room_id;
	ir.patch.joined_count = ir.patch.invited_count = -1;
	ir.key = store_room_key(in->s, room_id, &ir.is_new, in->err);
	if (ir.key == -1)
		return -1;
	ir.join = join;
	ir.patch.set |= STORE_ROOM_JOIN;
	ir.patch.join = join;

	if (join == ROOM_INVITE) {
		events = json_get_arr(json_get_obj(r, "invite_state"),
		    "events");
		json_array_foreach(events, i, ev) {
			if (ingest_state(in, &ir, ev) == -1)
				goto out;
		}
		ir.notify |= NOTIFY_SERVERS | NOTIFY_CHANNELS;
	} else {
		events = json_get_arr(json_get_obj(r, "state"), "events");
		json_array_foreach(events, i, ev) {
			if (ingest_state(in, &ir, ev) == -1)
				goto out;
		}
		if (ingest_timeline(in, &ir, json_get_obj(r, "timeline")) ==
		    -1)
			goto out;
		if (ingest_ephemeral(in, &ir, json_get_arr(json_get_obj(r,
		    "ephemeral"), "events")) == -1)
			goto out;
		if (ingest_account_data(in, ir.key, json_get_arr(
		    json_get_obj(r, "account_data"), "events")) == -1)
			goto out;
	}
	obj = json_get_obj(r, "unread_notifications");
	if (obj != NULL) {
		ir.patch.set |= STORE_ROOM_COUNTS;
		ir.patch.unread = json_get_int(obj, "notification_count", 0);
		ir.patch.highlight = json_get_int(obj, "highlight_count", 0);
		ir.notify |= NOTIFY_SERVERS | NOTIFY_CHANNELS;
	}
	obj = json_get_obj(r, "summary");
	if (obj != NULL && json_object_size(obj) > 0) {
		ir.patch.set |= STORE_ROOM_SUMMARY;
		count = json_get_int(obj, "m.joined_member_count", -1);
		ir.patch.joined_count = count;
		count = json_get_int(obj, "m.invited_member_count", -1);
		ir.patch.invited_count = count;
		heroes = json_get_arr(obj, "m.heroes");
		if (heroes != NULL)
			heroes_text = json_xdumps(heroes);
		ir.patch.heroes = heroes_text;
	}
	if (store_room_patch(in->s, ir.key, &ir.patch, in->err) == -1)
		goto out;
	if (ir.is_new)
		ir.notify |= NOTIFY_SERVERS | NOTIFY_CHANNELS;
	if (ir.notify != 0) {
		in->res->notify |= ir.notify;
		ingest_touch(in, room_id);
	}
	ret = 0;
out:
	free(heroes_text);
	json_decref(ir.pl);
	return ret;
}

static int
ingest_rooms(struct ingest *in, const json_t *rooms)
{
	static const struct {
		const char	*section;
		enum room_join	 join;
	} sections[] = {
		{ "join", ROOM_JOIN },
		{ "invite", ROOM_INVITE },
		{ "leave", ROOM_LEAVE }
	};
	const char	*room_id;
	json_t		*r;
	unsigned int	 i;

	for (i = 0; i < nitems(sections); i++) {
		json_object_foreach(json_get_obj(rooms, sections[i].section),
		    room_id, r) {
			if (ingest_room(in, room_id, r, sections[i].join) == -1)
				return -1;
		}
	}
	return 0;
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
	return 0;
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
	set = text != NULL ? json_loads(text, 0, NULL) : NULL;
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
	int		 rc;

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
	}
	return 0;
}

/* The body of ingest_sync(), inside its transaction. */
static int
ingest_sync_txn(struct ingest *in, const json_t *sync, const char *next)
{
	json_t		*events, *ev, *content;
	const char	*type;
	size_t		 i;

	events = json_get_arr(json_get_obj(sync, "to_device"), "events");
	json_array_foreach(events, i, ev) {
		if (ingest_to_device_hook == NULL)
			break;
		if (ingest_to_device_hook(in->s, ev, in->err) == -1)
			return -1;
	}
	if (ingest_keys(in, sync) == -1)
		return -1;
	if (ingest_rooms(in, json_get_obj(sync, "rooms")) == -1)
		return -1;
	events = json_get_arr(json_get_obj(sync, "account_data"), "events");
	if (ingest_account_data(in, 0, events) == -1)
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

/*
 * Apply one /sync response in one transaction (see the top of this file).
 * On success *res says what changed; on failure nothing was written.
 */
int
ingest_sync(struct store *s, const json_t *sync, struct ingest_result *res,
    struct haos_error *err)
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
	if (ingest_sync_txn(&in, sync, next) == -1) {
		store_rollback(s);
		goto out;
	}
	if (store_commit(s, err) == -1)
		goto out;
	ret = 0;
out:
	free(in.buf);
	if (ret == -1)
		ingest_result_free(res);
	return ret;
}

/*
 * Fill gap_id of room_id from a /messages?dir=b response (newest event
 * first) in one transaction.  The chunk goes below the gap, newest
 * nearest to it; the gap moves below the chunk with the response's `end`,
 * or is removed when there is no `end`, the chunk reaches m.room.create,
 * or an event of the chunk is already stored (the hole is closed).
 */
int
ingest_messages(struct store *s, const char *room_id, const json_t *resp,
    int64_t gap_id, struct ingest_result *res, struct haos_error *err)
{
	struct ingest		 in;
	struct ingest_room	 ir;
	json_t			*chunk, *ev;
	const char		*end, *type;
	char			*prev_batch = NULL;
	int64_t			 room, ord, floor, max;
	size_t			 i, n;
	int			 rc, found, closed = 0, at_create = 0;
	int			 ret = -1;

	memset(res, 0, sizeof *res);
	memset(&in, 0, sizeof in);
	memset(&ir, 0, sizeof ir);
	in.s = s;
	in.res = res;
	in.err = err;
	chunk = json_get_arr(resp, "chunk");
	end = json_get_str(resp, "end", NULL);
	if (chunk == NULL) {
		haos_error_set(err, HAOS_EPROTO, "/messages without chunk");
		return -1;
	}
	if (store_begin(s, err) == -1)
		return -1;
	rc = store_gap_get(s, gap_id, &room, &ord, &prev_batch, err);
	if (rc == 0)
		haos_error_set(err, HAOS_ESTORE, "no gap %lld",
		    (long long)gap_id);
	if (rc != 1)
		goto fail;
	ir.room_id = room_id;
	ir.key = store_room_key(s, room_id, NULL, err);
	if (ir.key == -1)
		goto fail;
	if (ir.key != room) {
		haos_error_set(err, HAOS_ESTORE, "gap %lld is not in %s",
		    (long long)gap_id, room_id);
		goto fail;
	}
	n = json_array_size(chunk);

	/* Make room for n events and the next gap above the older rows. */
	if (store_timeline_floor(s, room, ord, &floor, &found, err) == -1)
		goto fail;
	if (found && ord - floor <= (int64_t)n + 1) {
		if (store_timeline_max(s, room, &max, &found, err) == -1)
			goto fail;
		if (store_timeline_shift(s, room, floor, max - floor +
		    (int64_t)n + INGEST_GAP_SPAN, err) == -1)
			goto fail;
		ord += max - floor + (int64_t)n + INGEST_GAP_SPAN;
	}
	if (store_gap_delete(s, gap_id, err) == -1)
		goto fail;

	for (i = 0; i < n && !closed; i++) {
		ev = json_array_get(chunk, i);
		rc = ingest_event(&in, &ir, ev, ord, 1);
		if (rc == -1)
			goto fail;
		if (rc == 0) {
			closed = 1;
			break;
		}
		ord--;
		type = json_get_str(ev, "type", "");
		if (strcmp(type, "m.room.create") == 0)
			at_create = 1;
	}
	if (at_create) {
		if (store_gaps_delete_below(s, room, ord + 1, err) == -1)
			goto fail;
	} else if (!closed && end != NULL && (n > 0 || strcmp(end,
	    prev_batch) != 0)) {
		if (store_gap_add(s, room, ord, end, err) == -1)
			goto fail;
	}
	if (store_room_patch(s, room, &ir.patch, err) == -1)
		goto fail;
	if (store_commit(s, err) == -1)
		goto out;
	res->notify |= NOTIFY_TIMELINE | ir.notify;
	ingest_touch(&in, room_id);
	ret = 0;
	goto out;

fail:
	store_rollback(s);
out:
	free(prev_batch);
	free(in.buf);
	json_decref(ir.pl);
	if (ret == -1)
		ingest_result_free(res);
	return ret;
}
