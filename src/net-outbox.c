/* Net thread: the outbox sender, one request in flight per room. */
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

/*
 * The sender slot of room_id, made if needed.  The pointer is good until
 * the next call (the table may move).
 */
struct net_room *
net_outbox_room(struct net *n, const char *room_id)
{
	int	 i;

	for (i = 0; i < n->nrooms; i++) {
		if (strcmp(n->rooms[i].room_id, room_id) == 0)
			return &n->rooms[i];
	}
	if (n->nrooms == n->rooms_cap) {
		n->rooms_cap = n->rooms_cap == 0 ? 16 : n->rooms_cap * 2;
		n->rooms = xrealloc(n->rooms, (size_t)n->rooms_cap *
		    sizeof *n->rooms);
	}
	memset(&n->rooms[n->nrooms], 0, sizeof n->rooms[0]);
	n->rooms[n->nrooms].room_id = xstrdup(room_id);
	return &n->rooms[n->nrooms++];
}

/* Release the slots of rooms with nothing in flight and nothing unsent. */
static void
net_outbox_release(struct net *n)
{
	int	 i, j;

	for (i = j = 0; i < n->nrooms; i++) {
		if (!n->rooms[i].in_flight && !n->rooms[i].busy) {
			free(n->rooms[i].room_id);
			continue;
		}
		if (i != j)
			n->rooms[j] = n->rooms[i];
		j++;
	}
	n->nrooms = j;
}

/* Send one outbox row: the same txn_id on every attempt. */
static void
net_outbox_send_row(struct net *n, struct net_room *nr, const struct outbox_row *o)
{
	struct haos_error	 e2;
	struct net_req		*r;
	char			*path, *wtype, *wire;

	/* An attachment's file goes first (net-upload.c). */
	if (net_upload_row(n, o))
		return;
	/* An encrypted room's row waits for its key share (net-e2ee.c). */
	if (net_e2ee_wire(n, o, &wtype, &wire) != 1)
		return;
	if (strcmp(o->type, "m.room.redaction") == 0 && o->rel_target != NULL)
		path = matrix_redact_path(o->room_id, o->rel_target, o->txn_id);
	else if (o->state_key != NULL)
		path = matrix_state_path(o->room_id, o->type, o->state_key);
	else
		path = matrix_send_path(o->room_id, wire != NULL ? wtype :
		    o->type, o->txn_id);
	if (o->state != OUTBOX_SENDING &&
	    store_outbox_mark_sending(n->store, o->txn_id, &e2) == -1)
		log_warn("net", "outbox: %s", e2.msg);
	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_SEND;
	r->txn_id = xstrdup(o->txn_id);
	r->room_id = xstrdup(o->room_id);
	if (o->upload_path != NULL)
		r->upload_path = xstrdup(o->upload_path);
	if (net_request(n, r, "PUT", path, wire != NULL ? wire : o->content,
	    n->cfg.request_timeout_ms) == 0)
		nr->in_flight = 1;
	else
		net_req_free(r);
	free(path);
	free(wtype);
	free(wire);
}

/* Start the oldest unsent row of every room that has none in flight. */
void
net_outbox_pump(struct net *n)
{
	struct haos_error	 e2;
	struct outbox_row	*rows = NULL, *all;
	size_t			 nrows = 0, nsending = 0, i;
	struct net_room		*nr;
	int64_t			 now;
	int			 j;

	if (n->auth_failed)
		return;
	/* Rows left "sending" by a crash or restart are resent first. */
	if (store_query_outbox(n->store, OUTBOX_SENDING, &all, &nsending,
	    &e2) == -1 || store_query_outbox(n->store, OUTBOX_PENDING, &rows,
	    &nrows, &e2) == -1) {
		log_error("net", "outbox query: %s", e2.msg);
		return;
	}
	if (n->nrecheck > 0)
		net_recheck_prune(n, all, nsending);
	all = xrealloc(all, (nsending + nrows + 1) * sizeof *all);
	if (nrows > 0)
		memcpy(all + nsending, rows, nrows * sizeof *rows);
	free(rows);
	nrows += nsending;
	now = net_now_ms();
	for (j = 0; j < n->nrooms; j++)
		n->rooms[j].busy = 0;
	for (i = 0; i < nrows; i++) {
		nr = net_outbox_room(n, all[i].room_id);
		nr->busy = 1;
		if (nr->in_flight || nr->next_at > now)
			continue;
		/* Oldest first: the first row seen for a room is sent. */
		if (i > 0 && strcmp(all[i].room_id, all[i - 1].room_id) == 0 &&
		    all[i - 1].id < all[i].id)
			continue;
		if (net_recheck_wanted(n, &all[i]))
			net_recheck_start(n, nr, &all[i]);
		else
			net_outbox_send_row(n, nr, &all[i]);
	}
	outbox_rows_free(all, nrows);
	net_outbox_release(n);
}

void
net_outbox_done(struct net *n, struct net_req *r, const struct http_resp *resp,
    const struct haos_error *err)
{
	struct haos_error	 e2;
	struct net_room		*nr;
	json_t			*root;
	const char		*eid;

	nr = net_outbox_room(n, r->room_id);
	nr->in_flight = 0;
	nr->busy = 1;	/* until the next pump looks */
	if (err == NULL) {
		root = json_load_network(resp->body, resp->body_len, NULL, NULL);
		eid = json_get_str(root, "event_id", NULL);
		if (store_outbox_mark_sent(n->store, r->txn_id, eid, &e2) == -1)
			log_error("net", "outbox: %s", e2.msg);
		net_verify_sent(n, r->txn_id, eid);
		net_upload_sent(n, r->upload_path);
		json_decref(root);
		nr->attempt = 0;
		nr->next_at = 0;
		notify_post(n->cfg.notify, NOTIFY_OUTBOX);
		return;
	}
	if (net_check_auth(n, err))
		return;
	if (http_retryable(err)) {
		nr->attempt++;
		nr->next_at = net_now_ms() + http_retry_delay_ms(err,
		    nr->attempt, &n->seed);
		log_info("net", "send %s failed, will retry: %s", r->txn_id,
		    err->msg);
		return;
	}
	/* Permanent: the user decides (retry or discard). */
	log_warn("net", "send %s failed: %s", r->txn_id, err->msg);
	if (store_outbox_mark_failed(n->store, r->txn_id, err->msg, &e2) == -1)
		log_error("net", "outbox: %s", e2.msg);
	notify_post(n->cfg.notify, NOTIFY_OUTBOX | NOTIFY_TIMELINE);
}
