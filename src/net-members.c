/* Net thread: a room's whole member list from /members when it is opened. */

/*
 * The sync filter lazy-loads members, so a room that was just joined
 * knows only the people who spoke in its loaded timeline (not even its
 * creator, often).  Opening a room (JOB_MEMBERS) fetches the rest, once:
 * ingest-members.c marks the list complete in the store, /sync keeps it
 * so, and a cut timeline takes the mark away.  One request per room at
 * a time; a failure is logged and the next opening tries again.
 *
 * The request asks for the members at this thread's sync position
 * (at=since).  If a /sync that changed the room is stored before the
 * answer arrives, the answer may be older than what that sync wrote:
 * ingest_members() then adds only people the cache does not know, and
 * leaves the list unmarked.  A /sync that did not touch the room changes
 * nothing of its members (key counts and device lists come and go while
 * a request is out since encryption arrived).
 */
#include "net-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/* The slot of room_id's request in flight, or -1. */
static int
net_members_busy(struct net *n, const char *room_id)
{
	size_t	 i;

	for (i = 0; i < n->nmembers; i++) {
		if (strcmp(n->members[i], room_id) == 0)
			return (int)i;
	}
	return -1;
}

/* Whether room_id is a joined room of the cache. */
static int
net_members_joined(struct net *n, const char *room_id)
{
	struct haos_error	 err;
	struct room_row		 row;
	int			 rc, joined;

	rc = store_query_room(n->store, room_id, &row, &err);
	if (rc == -1)
		log_error("net", "members of %s: %s", room_id, err.msg);
	if (rc != 1)
		return 0;
	joined = row.join == ROOM_JOIN;
	room_row_free(&row);
	return joined;
}

/* Ask for room_id's members at this thread's sync position. */
static void
net_members_start(struct net *n, const char *room_id)
{
	struct net_req	*r;
	char		*path;

	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_MEMBERS;
	r->room_id = xstrdup(room_id);
	if (n->since != NULL)
		r->at = xstrdup(n->since);
	path = matrix_members_path(room_id, r->at);
	if (net_request(n, r, "GET", path, NULL,
	    n->cfg.request_timeout_ms) == -1) {
		net_req_free(r);
		free(path);
		return;
	}
	free(path);
	n->members = xrealloc(n->members, (n->nmembers + 1) *
	    sizeof *n->members);
	n->members_moved = xrealloc(n->members_moved, n->nmembers + 1);
	n->members_moved[n->nmembers] = 0;
	n->members[n->nmembers++] = xstrdup(room_id);
	log_debug("net", "members of %s asked for", room_id);
}

/*
 * Fetch room_id's members for the device lists (net-devices.c: an
 * encrypted room must know all its members): 1 if a request is out for
 * it now (this one or an earlier one), 0 if none could start.
 */
int
net_members_fetch(struct net *n, const char *room_id)
{
	if (net_members_busy(n, room_id) == -1) {
		if (n->auth_failed)
			return 0;
		net_members_start(n, room_id);
	}
	return net_members_busy(n, room_id) != -1;
}

/* Whether a /members request for room_id is out. */
int
net_members_fetching(struct net *n, const char *room_id)
{
	return net_members_busy(n, room_id) != -1;
}

/* The user opened room_id: fetch its members unless the cache has them. */
void
net_members_want(struct net *n, const char *room_id)
{
	free(n->members_open);
	n->members_open = xstrdup(room_id);
	n->members_tried = 0;
	n->members_marked = 0;
	net_members_pump(n);
}

/*
 * Each turn of the loop: the open room's list, if it is partial and was
 * not asked for since the room was opened or since a cut timeline took
 * its mark away (a sync stored after the opening, or while it is open).
 * A failure, or an answer a sync overtook, waits for the next of these.
 */
void
net_members_pump(struct net *n)
{
	struct haos_error	 err;
	const char		*room = n->members_open;
	int			 rc;

	if (room == NULL || n->auth_failed || net_members_busy(n, room) != -1)
		return;
	rc = ingest_members_complete(n->store, room, &err);
	if (rc == -1) {
		log_error("net", "members of %s: %s", room, err.msg);
		return;
	}
	if (rc == 1) {
		n->members_marked = 1;
		return;
	}
	if (n->members_marked) {
		n->members_marked = 0;
		n->members_tried = 0;
	}
	if (n->members_tried || !net_members_joined(n, room))
		return;
	n->members_tried = 1;
	net_members_start(n, room);
}

/*
 * Encryption needs everyone (net-e2ee.c): 1 if room_id's list is
 * complete, else 0, with a request started when none is out (at most
 * one every NET_MEMBERS_E2EE_MS, so a failing one is not hammered).
 */
int
net_members_complete(struct net *n, const char *room_id)
{
	struct haos_error	 err;
	int64_t			 now;
	int			 rc;

	rc = ingest_members_complete(n->store, room_id, &err);
	if (rc == -1)
		log_error("net", "members of %s: %s", room_id, err.msg);
	if (rc != 0)
		return rc == 1;
	now = net_now_ms();
	if (n->auth_failed || net_members_busy(n, room_id) != -1 ||
	    now < n->members_e2ee_at)
		return 0;
	n->members_e2ee_at = now + NET_MEMBERS_E2EE_MS;
	net_members_start(n, room_id);
	return 0;
}

/* Store a /members answer (one transaction) and tell the UI. */
void
net_members_done(struct net *n, struct net_req *r,
    const struct http_resp *resp, const struct haos_error *err)
{
	struct ingest_result	 res;
	struct haos_error	 e2;
	json_t			*root;
	int			 b, moved;

	moved = 1;
	if ((b = net_members_busy(n, r->room_id)) != -1) {
		moved = n->members_moved[b];
		free(n->members[b]);
		n->nmembers--;
		n->members[b] = n->members[n->nmembers];
		n->members_moved[b] = n->members_moved[n->nmembers];
	}
	if (err != NULL) {
		net_check_auth(n, err);
		log_warn("net", "members of %s: %s", r->room_id, err->msg);
		return;
	}
	root = json_load_network(resp->body, resp->body_len, NULL, NULL);
	memset(&res, 0, sizeof res);
	if (root == NULL || ingest_members(n->store, r->room_id, root,
	    !moved, &res, &e2) == -1)
		log_error("net", "members of %s not stored: %s", r->room_id,
		    root == NULL ? "not JSON" : e2.msg);
	else
		notify_post(n->cfg.notify, res.notify);
	ingest_result_free(&res);
	json_decref(root);
}

/*
 * A /sync was stored: the rooms it changed (all of them for one without
 * since) are marked on the /members requests out for them.
 */
void
net_members_synced(struct net *n, const struct ingest_result *res,
    int from_scratch)
{
	size_t	 i, j;

	for (i = 0; i < n->nmembers; i++) {
		if (from_scratch)
			n->members_moved[i] = 1;
		for (j = 0; j < res->nrooms && !n->members_moved[i]; j++) {
			if (strcmp(res->rooms[j], n->members[i]) == 0)
				n->members_moved[i] = 1;
		}
	}
}

void
net_members_free(struct net *n)
{
	size_t	 i;

	for (i = 0; i < n->nmembers; i++)
		free(n->members[i]);
	free(n->members);
	free(n->members_moved);
	free(n->members_open);
	n->members = NULL;
	n->members_moved = NULL;
	n->members_open = NULL;
	n->nmembers = 0;
}
