/* Ingest of room state: current state, power levels, members, redaction. */
#include "haos/ingest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/model.h"
#include "haos/notify.h"
#include "haos/space.h"
#include "haos/store.h"
#include "haos/xmalloc.h"
#include "ingest-int.h"

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

	if (!ir->pl_loaded) {
		ir->pl_loaded = 1;
		if (!ir->is_new && store_state_get(in->s, ir->key,
		    "m.room.power_levels", "", &text, in->err) == 0 &&
		    text != NULL) {
			ir->pl = json_load_stored(text);
			free(text);
		}
	}
	if (ir->pl == NULL)
		return 0;
	return space_power_of(ir->pl, user_id);
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
			if (ir->track == NULL)
				ir->track = json_array();
			json_array_append_new(ir->track,
			    json_string(state_key));
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
		if (strcmp(v, "encryption") == 0 ||
		    strcmp(v, "history_visibility") == 0)
			ir->track_all = 1;
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

/*
 * An invite to a DM (our m.room.member invite with is_direct) is a DM
 * with whoever sent it, before we accept and m.direct says so: the
 * conversation is named after the inviter from the start.
 */
static int
ingest_state_dm_invite(struct ingest *in, struct ingest_room *ir,
    const json_t *ev)
{
	const json_t	*content;
	const char	*sender;

	if (ir->join != ROOM_INVITE || strcmp(json_get_str(ev, "type", ""),
	    "m.room.member") != 0)
		return 0;
	content = json_get_obj(ev, "content");
	sender = json_get_str(ev, "sender", NULL);
	if (sender == NULL || strcmp(json_get_str(content, "membership", ""),
	    "invite") != 0 || !json_get_bool(content, "is_direct", 0) ||
	    strcmp(sender, json_get_str(ev, "state_key", "")) == 0)
		return 0;
	return store_room_set_direct(in->s, ir->room_id, sender, in->err);
}

/* Store a state event as current state and apply it. */
int
ingest_state(struct ingest *in, struct ingest_room *ir, const json_t *ev)
{
	const char	*type, *state_key;
	json_t		*content;

	type = json_get_str(ev, "type", NULL);
	state_key = json_get_str(ev, "state_key", NULL);
	content = json_get_obj(ev, "content");
	/* One bad state event is skipped, never the whole sync. */
	if (type == NULL || state_key == NULL || content == NULL) {
		log_warn("ingest", "%s: skipped a state event that could not "
		    "be read (no %s)", ir->room_id, type == NULL ? "type" :
		    state_key == NULL ? "state_key" : "content object");
		return 0;
	}
	ingest_dump(in, content);
	if (store_state_set(in->s, ir->key, type, state_key,
	    json_get_str(ev, "event_id", NULL),
	    json_get_str(ev, "sender", NULL), in->buf, in->err) == -1)
		return -1;
	if (ingest_state_fields(in, ir, type, state_key, content) == -1)
		return -1;
	return ingest_state_dm_invite(in, ir, ev);
}

/* Prune the JSON text of an event of type; returns a new object. */
static json_t *
ingest_prune_text(const char *type, const char *text)
{
	json_t	*content, *pruned;

	content = json_load_stored(text);
	pruned = ingest_prune(type, content);
	json_decref(content);
	return pruned;
}

/*
 * Redact target: prune its stored content (unless already redacted), and
 * if it is the room's current state, that state and what derives from it.
 */
int
ingest_state_redact(struct ingest *in, struct ingest_room *ir,
    const char *target, const char *redaction_id)
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
 * Once the room row is written (its encryption and our membership),
 * bring tracked_users in line with the members this ingest changed, or
 * with all of them after a change of encryption, history visibility or
 * of our own membership (E2EE.md Step 4).  A member newly tracked is
 * outdated, one no longer in any encrypted room untracked.
 */
int
ingest_state_track(struct ingest *in, struct ingest_room *ir)
{
	json_t	*v;
	size_t	 i;

	if (ir->track_all)
		return store_tracked_refresh(in->s, ir->key, NULL, in->err);
	json_array_foreach(ir->track, i, v) {
		if (store_tracked_refresh(in->s, ir->key,
		    json_string_value(v), in->err) == -1)
			return -1;
	}
	return 0;
}
