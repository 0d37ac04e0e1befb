/* Which panes read the store again after a notify: only what changed. */
#include "haos/ui.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/model.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/* Bits that mean the store's rooms changed (not typing or status). */
#define REFRESH_DATA_BITS	(NOTIFY_SERVERS | NOTIFY_CHANNELS |	\
				    NOTIFY_TIMELINE | NOTIFY_MEMBERS |	\
				    NOTIFY_OUTBOX)

static int
refresh_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int
refresh_in(const char *id, const char *const *ids, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (refresh_eq(id, ids[i]))
			return 1;
	}
	return 0;
}

/* Re-read the rail entry of server id (NULL: Direct Messages). */
static void
refresh_rail_entry(struct refresh_plan *p, const char *id)
{
	if (id == NULL) {
		p->dm = 1;
		return;
	}
	if (refresh_in(id, (const char *const *)p->servers, p->nservers))
		return;
	p->servers = xrealloc(p->servers, (p->nservers + 1) *
	    sizeof *p->servers);
	p->servers[p->nservers++] = xstrdup(id);
}

/* Whether room r is a row of the channel list of the view's selection. */
static int
refresh_listed(const struct refresh_view *v, const struct refresh_room *r)
{
	if (r->is_space)
		return 0;
	if (v->server_id != NULL)
		return !r->is_direct && refresh_eq(r->parent_id, v->server_id);
	/* DMs and plain rooms; a channel of no server on the rail too. */
	return r->is_direct || r->parent_id == NULL ||
	    !refresh_in(r->parent_id, v->servers, v->nservers);
}

/*
 * Decide which panes depend on the changed rooms: the timeline, members
 * and topic only on the open room; the channel list on its own rooms, the
 * selected server and rooms that now belong in it; the rail on the entry
 * of each changed room's server (or all of it for a space, an unknown
 * room or a global change "").
 */
void
refresh_plan(const struct refresh_view *v, const struct refresh_room *rooms,
    size_t n, struct refresh_plan *p)
{
	const struct refresh_room	*r;
	size_t				 i;

	memset(p, 0, sizeof *p);
	for (i = 0; i < n; i++) {
		r = &rooms[i];
		if (*r->room_id == '\0') {
			p->panes |= REFRESH_ALL;
			continue;
		}
		if (refresh_eq(r->room_id, v->room_id))
			p->panes |= REFRESH_TIMELINE | REFRESH_MEMBERS |
			    REFRESH_TOPIC;
		if (refresh_eq(r->room_id, v->server_id))
			p->panes |= REFRESH_CHANNELS | REFRESH_TOPIC;
		if (refresh_in(r->room_id, v->channels, v->nchannels) ||
		    (r->known && refresh_listed(v, r)))
			p->panes |= REFRESH_CHANNELS;
		if (!r->known || r->is_space)
			p->panes |= REFRESH_RAIL;
		else if (r->is_direct || r->parent_id == NULL)
			refresh_rail_entry(p, NULL);
		else if (refresh_in(r->parent_id, v->servers, v->nservers))
			refresh_rail_entry(p, r->parent_id);
		else
			p->panes |= REFRESH_RAIL;
	}
	if (p->panes & REFRESH_CHANNELS)
		p->panes |= REFRESH_TOPIC;	/* the channel's name */
	if (p->panes & REFRESH_RAIL) {
		for (i = 0; i < p->nservers; i++)
			free(p->servers[i]);
		free(p->servers);
		p->servers = NULL;
		p->nservers = 0;
		p->dm = 0;
	}
}

void
refresh_plan_free(struct refresh_plan *p)
{
	size_t	 i;

	for (i = 0; i < p->nservers; i++)
		free(p->servers[i]);
	free(p->servers);
	memset(p, 0, sizeof *p);
}

static void
refresh_rooms_free(struct refresh_room *r, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(r[i].room_id);
		free(r[i].parent_id);
	}
	free(r);
}

/* Begin at the store's current change seq: the first frame reads all. */
int
refresh_start(struct refresh *rf, struct store *s, struct haos_error *err)
{
	int64_t	 seq;

	memset(rf, 0, sizeof *rf);
	seq = store_change_seq(s, err);
	if (seq == -1)
		return -1;
	rf->seq = seq;
	return 0;
}

void
refresh_free(struct refresh *rf)
{
	refresh_rooms_free(rf->pending, rf->npending);
	rf->pending = NULL;
	rf->npending = 0;
}

/* Add id to the pending rooms, once. */
static void
refresh_pend(struct refresh *rf, const char *id)
{
	size_t	 i;

	for (i = 0; i < rf->npending; i++) {
		if (strcmp(rf->pending[i].room_id, id) == 0)
			return;
	}
	rf->pending = xrealloc(rf->pending, (rf->npending + 1) *
	    sizeof *rf->pending);
	memset(&rf->pending[rf->npending], 0, sizeof *rf->pending);
	rf->pending[rf->npending++].room_id = xstrdup(id);
}

/* Fill in what the store says of room r now (one query; "" none). */
static int
refresh_describe(struct store *s, struct refresh_room *r,
    struct haos_error *err)
{
	struct room_row	 row;
	int		 rc;

	if (*r->room_id == '\0')
		return 0;
	rc = store_query_room(s, r->room_id, &row, err);
	if (rc == -1)
		return -1;
	if (rc == 0)
		return 0;
	r->known = 1;
	r->is_space = row.is_space;
	r->is_direct = row.is_direct;
	r->parent_id = row.parent_id != NULL ? xstrdup(row.parent_id) : NULL;
	room_row_free(&row);
	return 0;
}

/*
 * After notify bits: read the rooms changed since rf->seq and plan.  The
 * net thread posts its bits after COMMIT, so a change may be read before
 * its bits arrive: changes read without a data bit wait in rf->pending
 * (typing alone refreshes no pane here), and the next data bit acts on
 * them.  On error the plan is REFRESH_ALL.
 */
int
refresh_collect(struct refresh *rf, struct store *s, unsigned int bits,
    const struct refresh_view *v, struct refresh_plan *p,
    struct haos_error *err)
{
	char	**ids = NULL;
	size_t	 n = 0, i;
	int64_t	 seq;
	int	 ret = -1;

	memset(p, 0, sizeof *p);
	if (store_changed_rooms(s, rf->seq, &ids, &n, &seq, err) == -1)
		goto fail;
	rf->seq = seq;
	for (i = 0; i < n; i++)
		refresh_pend(rf, ids[i]);
	store_changed_rooms_free(ids, n);
	if (!(bits & REFRESH_DATA_BITS) || rf->npending == 0)
		return 0;
	for (i = 0; i < rf->npending; i++) {
		if (refresh_describe(s, &rf->pending[i], err) == -1)
			goto fail;
	}
	refresh_plan(v, rf->pending, rf->npending, p);
	ret = 0;
fail:
	if (ret == -1)
		p->panes = REFRESH_ALL;
	refresh_free(rf);
	return ret;
}
