/* Ingest of one /sync room: timeline events, gaps, ephemeral events. */
#include "haos/ingest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/model.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"
#include "ingest-int.h"

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
 * A timeline event haos cannot read (not an object, or no event id,
 * sender, type or content object): logged, and kept at its place as an
 * io.haos.unreadable marker, so that the timeline shows something is
 * missing there instead of one bad event failing the whole sync.
 */
static int
ingest_room_unreadable(struct ingest *in, struct ingest_room *ir,
    const json_t *ev, int64_t ordinal, const char *why)
{
	struct store_event	 se;
	json_t			*c;
	char			*id;
	int			 rc;

	memset(&se, 0, sizeof se);
	/* Not a '$' id: nothing ever sends it back to the server. */
	id = xasprintf("~unreadable:%s:%lld", ir->room_id,
	    (long long)ordinal);
	se.event_id = id;
	se.sender = json_get_str(ev, "sender", "");
	se.type = "io.haos.unreadable";
	se.ts = json_get_int(ev, "origin_server_ts", 0);
	se.ordinal = ordinal;
	c = json_pack("{s:s}", "reason", why);
	if (json_get_str(ev, "event_id", NULL) != NULL)
		json_object_set(c, "event_id", json_object_get(ev,
		    "event_id"));
	se.content_len = ingest_dump(in, c);
	se.content = in->buf;
	log_warn("ingest", "%s: an event could not be read (%s); marked in "
	    "the timeline", ir->room_id, why);
	rc = store_event_insert(in->s, ir->key, &se, in->err);
	if (rc == 1) {
		in->res->events++;
		ir->notify |= NOTIFY_TIMELINE;
	}
	json_decref(c);
	free(id);
	return rc;
}

/*
 * ingest_room_event() of a clear (or decrypted) event; e2e its state and
 * session the Megolm session id it came under (NULL if none).
 */
static int
ingest_room_event_clear(struct ingest *in, struct ingest_room *ir,
    const json_t *ev, int64_t ordinal, int backfill, enum e2e_state e2e,
    const char *session)
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
	if (!json_is_object(ev))
		return ingest_room_unreadable(in, ir, ev, ordinal,
		    "not an object");
	if (se.event_id == NULL || se.sender == NULL || se.type == NULL ||
	    content == NULL)
		return ingest_room_unreadable(in, ir, ev, ordinal,
		    se.event_id == NULL ? "no event_id" : se.sender == NULL ?
		    "no sender" : se.type == NULL ? "no type" :
		    "no content object");
	se.state_key = json_get_str(ev, "state_key", NULL);
	se.ts = json_get_int(ev, "origin_server_ts", 0);
	se.ordinal = ordinal;
	se.e2e = e2e;
	se.e2e_session = session;
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
	    ingest_state_redact(in, ir, se.redacts, se.event_id) == -1)
		return -1;
	if (backfill && !se.redacted) {
		/* Walking backwards, the redaction may already be stored. */
		if (store_event_redaction_of(in->s, se.event_id, &redaction,
		    in->err) == -1)
			return -1;
		if (redaction != NULL) {
			rc = ingest_state_redact(in, ir, se.event_id,
			    redaction);
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
	/* Verification in the room (E2EE.md Step 8): to net-verify.c. */
	if (!backfill && se.state_key == NULL &&
	    (crypto_sas_event_type(se.type) || (strcmp(se.type,
	    "m.room.message") == 0 && strcmp(json_get_str(content, "msgtype",
	    ""), "m.key.verification.request") == 0)) &&
	    crypto_keys_verify_event(store_crypto(in->s), se.sender,
	    ir->room_id, ev, se.type, content) == -1)
		return -1;
	return 1;
}

/*
 * Insert one timeline event at ordinal.  Returns 1 if inserted, 0 if it
 * was already stored (and nothing else is done), -1 on error.  With
 * backfill set, state is historical and is not applied.
 *
 * An m.room.encrypted event is decrypted first (crypto-room.c, with the
 * identity net-keys.c set on the store) and then goes on as its
 * plaintext's type and content, exactly as a clear event would
 * (relations, outbox reconcile by unsigned.transaction_id, last_ts);
 * one that does not decrypt is stored as it came, with why in
 * events.e2e, and decrypted in place if its key comes later.
 */
int
ingest_room_event(struct ingest *in, struct ingest_room *ir, const json_t *ev,
    int64_t ordinal, int backfill)
{
	enum e2e_state	 e2e = E2E_NONE;
	json_t		*plain = NULL, *dec;
	const char	*session;
	int		 rc;

	if (!json_is_object(ev) || strcmp(json_get_str(ev, "type", ""),
	    "m.room.encrypted") != 0 || json_object_get(ev, "state_key") !=
	    NULL || json_get_str(ev, "event_id", NULL) == NULL ||
	    json_get_obj(ev, "content") == NULL)
		return ingest_room_event_clear(in, ir, ev, ordinal, backfill,
		    E2E_NONE, NULL);
	if (crypto_room_decrypt(store_crypto(in->s), in->s, ir->room_id, ev,
	    &plain, &e2e, in->err) == -1)
		return -1;
	session = json_get_str(json_get_obj(ev, "content"), "session_id",
	    NULL);
	if (plain == NULL)
		return ingest_room_event_clear(in, ir, ev, ordinal, backfill,
		    e2e, session);
	dec = json_copy((json_t *)ev);
	json_object_set(dec, "type", json_object_get(plain, "type"));
	json_object_set(dec, "content", json_object_get(plain, "content"));
	rc = ingest_room_event_clear(in, ir, dec, ordinal, backfill, e2e,
	    session);
	json_decref(dec);
	json_decref(plain);
	return rc;
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
	/* What the server left out may change who is in the room. */
	if (json_get_bool(timeline, "limited", 0) && !ir->is_new &&
	    ingest_members_stale(in, ir->room_id) == -1)
		return -1;
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
		rc = ingest_room_event(in, ir, json_array_get(events, i), next,
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

/* One room of rooms.join, rooms.invite or rooms.leave. */
int
ingest_room(struct ingest *in, const char *room_id, const json_t *r,
    enum room_join join)
{
	struct ingest_room	 ir;
	json_t			*events, *ev, *obj, *heroes;
	size_t			 i;
	int			 n, quiet = 0, ret = -1;
	char			*heroes_text = NULL;
	int64_t			 count;

	memset(&ir, 0, sizeof ir);
	ir.room_id = room_id;
	ir.patch.joined_count = ir.patch.invited_count = -1;
	ir.key = store_room_key(in->s, room_id, &ir.is_new, in->err);
	if (ir.key == -1)
		return -1;
	ir.join = join;
	/* Who is tracked may change with our own membership. */
	ir.track_all = ir.is_new || join != ROOM_JOIN;
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
		if (join == ROOM_LEAVE && !ir.is_new &&
		    ingest_members_stale(in, room_id) == -1)
			goto out;
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
		n = ingest_account_data(in, ir.key, json_get_arr(
		    json_get_obj(r, "account_data"), "events"));
		if (n == -1)
			goto out;
		quiet |= n > 0;
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
		quiet = 1;
	}
	if (store_room_patch(in->s, ir.key, &ir.patch, in->err) == -1)
		goto out;
	if (ingest_state_track(in, &ir) == -1)
		goto out;
	if (ir.is_new)
		ir.notify |= NOTIFY_SERVERS | NOTIFY_CHANNELS;
	/* Account data and the summary change the room without a NOTIFY_*. */
	if (ir.notify != 0) {
		in->res->notify |= ir.notify;
		if (ingest_touch(in, room_id) == -1)
			goto out;
	} else if (quiet && store_room_changed(in->s, room_id, in->err) == -1)
		goto out;
	ret = 0;
out:
	free(heroes_text);
	json_decref(ir.pl);
	json_decref(ir.track);
	return ret;
}
