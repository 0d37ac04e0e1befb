/* Ingest of /messages backfill pages into a timeline gap. */
#include "haos/ingest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "ingest-int.h"

/*
 * Fill gap_id of room_id from a /messages?dir=b response (newest event
 * first) in one transaction: its n chunk events, given one at a time by
 * event (from a tree, ingest_messages(), or from text, ingest-stream.c),
 * and its `end` (NULL: none).  The chunk goes below the gap, newest
 * nearest to it; the gap moves below the chunk with `end`, or is removed
 * when there is no `end`, the chunk reaches m.room.create, or an event of
 * the chunk is already stored (the hole is closed).
 */
int
ingest_messages_run(struct store *s, const char *room_id, int64_t gap_id,
    size_t n, const char *end, ingest_event_fn event, void *arg,
    struct ingest_result *res, struct haos_error *err)
{
	struct ingest		 in;
	struct ingest_room	 ir;
	json_t			*ev;
	const char		*type;
	char			*prev_batch = NULL;
	int64_t			 room, ord, floor, max;
	size_t			 i;
	int			 rc, found, closed = 0, at_create = 0;
	int			 ret = -1;

	memset(res, 0, sizeof *res);
	memset(&in, 0, sizeof in);
	memset(&ir, 0, sizeof ir);
	in.s = s;
	in.res = res;
	in.err = err;
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
		if ((ev = event(arg, i, err)) == NULL)
			goto fail;
		rc = ingest_room_event(&in, &ir, ev, ord, 1);
		type = json_get_str(ev, "type", "");
		if (rc == 1 && strcmp(type, "m.room.create") == 0)
			at_create = 1;
		json_decref(ev);
		if (rc == -1)
			goto fail;
		if (rc == 0) {
			closed = 1;
			break;
		}
		ord--;
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
	/* A redaction of a member's state may have been applied. */
	if (ingest_state_track(&in, &ir) == -1)
		goto fail;
	if (ingest_touch(&in, room_id) == -1)
		goto fail;
	if (store_commit(s, err) == -1)
		goto out;
	res->notify |= NOTIFY_TIMELINE | ir.notify;
	ret = 0;
	goto out;

fail:
	store_rollback(s);
out:
	free(prev_batch);
	ingest_clear(&in);
	json_decref(ir.pl);
	json_decref(ir.track);
	if (ret == -1)
		ingest_result_free(res);
	return ret;
}

/* Event i of a tree's chunk. */
static json_t *
ingest_messages_tree(void *arg, size_t i, struct haos_error *err __unused)
{
	return json_incref(json_array_get(arg, i));
}

/* ingest_messages_run() of a /messages answer parsed whole. */
int
ingest_messages(struct store *s, const char *room_id, const json_t *resp,
    int64_t gap_id, struct ingest_result *res, struct haos_error *err)
{
	json_t	*chunk;

	memset(res, 0, sizeof *res);
	chunk = json_get_arr(resp, "chunk");
	if (chunk == NULL) {
		haos_error_set(err, HAOS_EPROTO, "/messages without chunk");
		return -1;
	}
	return ingest_messages_run(s, room_id, gap_id, json_array_size(chunk),
	    json_get_str(resp, "end", NULL), ingest_messages_tree, chunk, res,
	    err);
}
