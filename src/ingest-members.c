/* Ingest of a room's /members answer, and the mark that it is complete. */

/*
 * The sync filter lazy-loads members: the cache knows only the people
 * who sent something in the timelines it has.  A room's whole member
 * list comes from /members when the user opens it, and is kept up to
 * date by /sync from then on, as long as the timeline is not cut: a
 * limited timeline (a gap, or a sync without since) can hide a
 * membership change, so it takes the mark away and the next opening
 * fetches again.  The mark is a kv row, "members:" and the room id.
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
#include "ingest-int.h"

#define INGEST_MEMBERS_KEY	"members:"	/* kv: the list is complete */

/* Whether room_id's member list is complete in s (1), or not (0), or -1. */
int
ingest_members_complete(struct store *s, const char *room_id,
    struct haos_error *err)
{
	char	*key, *v = NULL;
	int	 rc;

	key = xasprintf("%s%s", INGEST_MEMBERS_KEY, room_id);
	rc = store_query_kv(s, key, &v, err);
	free(key);
	if (rc == -1)
		return -1;
	rc = v != NULL;
	free(v);
	return rc;
}

/* Forget that room_id's member list is complete (inside the ingest). */
int
ingest_members_stale(struct ingest *in, const char *room_id)
{
	char	*key;
	int	 rc;

	key = xasprintf("%s%s", INGEST_MEMBERS_KEY, room_id);
	rc = store_kv_set(in->s, key, NULL, in->err);
	free(key);
	return rc;
}

/*
 * Whether ev, an element of the /members chunk, is a member event of
 * room_id that ingest_state() can take; a bad one is logged and skipped.
 */
static int
ingest_members_valid(const char *room_id, const json_t *ev)
{
	const char	*why = NULL, *rid;

	if (!json_is_object(ev))
		why = "not an object";
	else if (strcmp(json_get_str(ev, "type", ""), "m.room.member") != 0)
		why = "not m.room.member";
	else if (json_get_str(ev, "state_key", NULL) == NULL)
		why = "no state_key";
	else if (json_get_obj(ev, "content") == NULL)
		why = "no content object";
	else if ((rid = json_get_str(ev, "room_id", NULL)) != NULL &&
	    strcmp(rid, room_id) != 0)
		why = "another room's";
	if (why == NULL)
		return 1;
	log_warn("ingest", "%s: skipped a /members event (%s)", room_id, why);
	return 0;
}

/* Whether the cache already has a member event of user_id in ir. */
static int
ingest_members_known(struct ingest *in, struct ingest_room *ir,
    const char *user_id)
{
	char	*text = NULL;

	if (store_state_get(in->s, ir->key, "m.room.member", user_id, &text,
	    in->err) == -1)
		return -1;
	free(text);
	return text != NULL;
}

/*
 * Store the /members answer resp of room_id in one transaction, through
 * the same state path as /sync (display names, power levels).  With
 * current 0, a /sync was stored while the request was out and may hold
 * newer member events than the answer: only people the cache does not
 * know yet are added, and the list is not marked complete.
 */
int
ingest_members(struct store *s, const char *room_id, const json_t *resp,
    int current, struct ingest_result *res, struct haos_error *err)
{
	struct ingest		 in;
	struct ingest_room	 ir;
	json_t			*chunk, *ev;
	char			*key = NULL;
	size_t			 i, added = 0, skipped = 0;
	int			 rc, ret = -1;

	memset(res, 0, sizeof *res);
	memset(&in, 0, sizeof in);
	memset(&ir, 0, sizeof ir);
	in.s = s;
	in.res = res;
	in.err = err;
	chunk = json_get_arr(resp, "chunk");
	if (chunk == NULL) {
		haos_error_set(err, HAOS_EPROTO, "/members without chunk");
		return -1;
	}
	if (store_begin(s, err) == -1)
		return -1;
	ir.room_id = room_id;
	ir.join = ROOM_JOIN;
	ir.key = store_room_key(s, room_id, &ir.is_new, err);
	if (ir.key == -1)
		goto fail;
	json_array_foreach(chunk, i, ev) {
		if (!ingest_members_valid(room_id, ev)) {
			skipped++;
			continue;
		}
		if (!current) {
			rc = ingest_members_known(&in, &ir,
			    json_get_str(ev, "state_key", ""));
			if (rc == -1)
				goto fail;
			if (rc == 1)
				continue;
		}
		if (ingest_state(&in, &ir, ev) == -1)
			goto fail;
		added++;
	}
	/* The whole list: every member's tracking is looked at again. */
	ir.track_all = 1;
	if (ingest_state_track(&in, &ir) == -1)
		goto fail;
	if (current) {
		key = xasprintf("%s%s", INGEST_MEMBERS_KEY, room_id);
		if (store_kv_set(s, key, "1", err) == -1)
			goto fail;
	}
	res->notify |= NOTIFY_MEMBERS | NOTIFY_TIMELINE;
	if (ingest_touch(&in, room_id) == -1)
		goto fail;
	if (store_commit(s, err) == -1)
		goto fail;
	log_info("ingest", "%s: %zu members stored from /members, %zu "
	    "skipped%s", room_id, added, skipped, current ? "" :
	    " (a sync came in between: not marked complete)");
	ret = 0;
	goto out;
fail:
	store_rollback(s);
	ingest_result_free(res);
out:
	free(key);
	ingest_clear(&in);
	json_decref(ir.pl);
	json_decref(ir.track);
	return ret;
}
