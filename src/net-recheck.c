/* Net thread: sends of unknown outcome checked in history on a new device. */
#include "net-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/notify.h"
#include "haos/outbox-match.h"
#include "haos/store.h"
#include "haos/store-crypto-out.h"
#include "haos/xmalloc.h"

/*
 * Transaction ids are scoped to a device.  A row left "sending" when the
 * server ended the session may or may not have reached the server, and
 * after a login as a new device its old transaction id deduplicates
 * nothing.  So before such a row goes again, the room's recent history
 * (GET /messages, newest first) is searched for an event of ours with
 * the same type and content sent no earlier than the row was made
 * (less NET_RECHECK_SKEW_MS for the clocks): found, the row is marked
 * sent with that event id; not found, it is sent under the new device.
 *
 * In an encrypted room the PUT carried the row's wire copy (outbox
 * wire_type, wire_content, stored by net-e2ee.c before it), so the
 * server's event is that ciphertext: it is matched by algorithm,
 * session_id and ciphertext (outbox-match.c), and a row not found is
 * sent as that same stored copy, never encrypted again (a new device
 * sends the old device's ciphertext under its own transaction id).  A
 * row without a wire copy went, if at all, as its plaintext (a
 * redaction, never encrypted; a row put before the room was encrypted;
 * one retried after it failed to encrypt was never put): it is looked
 * for as the plaintext, and the sender encrypts it if it goes again.
 *
 * The rows to check are a list of transaction ids kept in the kv table
 * (NET_RECHECK_KEY, a JSON array), so a restart half way through checks
 * the rest rather than resending them blind.  A row leaves the list
 * once decided; rows that left the "sending" state meanwhile (sent,
 * failed, discarded) are dropped by net_recheck_prune().
 *
 * A failed check never drops a row: M_UNKNOWN_TOKEN waits for the next
 * login, a retryable failure (network, 5xx, 429) checks again with the
 * room's backoff, and any other refusal sends the row (the send will
 * meet the same refusal and leave the row failed for the user).  When
 * NET_RECHECK_PAGES pages do not reach back to the row's time, it is
 * sent too, and the log says so.
 */

#define NET_RECHECK_KEY		"outbox_recheck"

/* Save the list (none: delete the key). */
static void
net_recheck_save(struct net *n)
{
	struct haos_error	 e2;
	json_t			*a;
	char			*text = NULL;
	size_t			 i;

	if (n->nrecheck > 0) {
		a = json_array();
		for (i = 0; i < n->nrecheck; i++)
			json_array_append_new(a, json_string(n->recheck[i]));
		text = json_xdumps(a);
		json_decref(a);
	}
	if (store_begin(n->store, &e2) == -1 ||
	    store_kv_set(n->store, NET_RECHECK_KEY, text, &e2) == -1 ||
	    store_commit(n->store, &e2) == -1) {
		log_error("net", "outbox recheck list: %s", e2.msg);
		if (store_in_txn(n->store))
			store_rollback(n->store);
	}
	free(text);
}

/* Whether txn_id is in the list. */
static int
net_recheck_find(struct net *n, const char *txn_id, size_t *at)
{
	size_t	 i;

	for (i = 0; i < n->nrecheck; i++) {
		if (strcmp(n->recheck[i], txn_id) == 0) {
			if (at != NULL)
				*at = i;
			return 1;
		}
	}
	return 0;
}

static void
net_recheck_add(struct net *n, const char *txn_id)
{
	if (net_recheck_find(n, txn_id, NULL))
		return;
	n->recheck = xrealloc(n->recheck, (n->nrecheck + 1) *
	    sizeof *n->recheck);
	n->recheck[n->nrecheck++] = xstrdup(txn_id);
}

static void
net_recheck_remove_at(struct net *n, size_t i)
{
	free(n->recheck[i]);
	memmove(&n->recheck[i], &n->recheck[i + 1],
	    (n->nrecheck - i - 1) * sizeof *n->recheck);
	n->nrecheck--;
}

/* Tell the user how it went once every row is decided. */
static void
net_recheck_report(struct net *n)
{
	char	 found[64], resent[64];

	if (n->nrecheck > 0 || n->recheck_found + n->recheck_resent == 0)
		return;
	found[0] = resent[0] = '\0';
	if (n->recheck_found > 0)
		snprintf(found, sizeof found, "%d message%s already sent",
		    n->recheck_found, n->recheck_found == 1 ? " was" :
		    "s were");
	if (n->recheck_resent > 0)
		snprintf(resent, sizeof resent, "%d%s resent",
		    n->recheck_resent, n->recheck_found > 0 ? "" :
		    n->recheck_resent == 1 ? " message" : " messages");
	net_set_notice(n, "after logging in again: %s%s%s", found,
	    found[0] != '\0' && resent[0] != '\0' ? ", " : "", resent);
	log_info("net", "outbox recheck done: %d already sent, %d resent",
	    n->recheck_found, n->recheck_resent);
	n->recheck_found = n->recheck_resent = 0;
}

/* Take txn_id off the list: found (1) in history, or to be sent (0). */
static void
net_recheck_decided(struct net *n, const char *txn_id, int found)
{
	size_t	 i;

	if (!net_recheck_find(n, txn_id, &i))
		return;
	net_recheck_remove_at(n, i);
	net_recheck_save(n);
	if (found)
		n->recheck_found++;
	else
		n->recheck_resent++;
	net_recheck_report(n);
}

/* Read the list left by an earlier run. */
void
net_recheck_load(struct net *n)
{
	struct haos_error	 e2;
	json_t			*a, *v;
	char			*text = NULL;
	size_t			 i;

	if (store_query_kv(n->store, NET_RECHECK_KEY, &text, &e2) == -1) {
		log_error("net", "outbox recheck list: %s", e2.msg);
		return;
	}
	if (text == NULL)
		return;
	a = json_load_stored(text);
	json_array_foreach(a, i, v) {
		if (json_is_string(v))
			net_recheck_add(n, json_string_value(v));
	}
	json_decref(a);
	free(text);
	if (n->nrecheck > 0)
		log_info("net", "%zu sends of unknown outcome still to check",
		    n->nrecheck);
}

/*
 * The device changed: every row whose outcome is unknown ("sending") is
 * checked before it goes again.  State events are not: PUT /state has
 * no transaction id and setting the same state twice changes nothing.
 */
void
net_recheck_begin(struct net *n)
{
	struct haos_error	 e2;
	struct outbox_row	*rows;
	size_t			 nrows, i, before = n->nrecheck;

	if (store_query_outbox(n->store, OUTBOX_SENDING, &rows, &nrows,
	    &e2) == -1) {
		/* Unknown rows unchecked could be sent twice: keep them. */
		log_error("net", "outbox recheck: %s", e2.msg);
		return;
	}
	for (i = 0; i < nrows; i++) {
		if (rows[i].state_key == NULL)
			net_recheck_add(n, rows[i].txn_id);
	}
	outbox_rows_free(rows, nrows);
	if (n->nrecheck != before) {
		net_recheck_save(n);
		log_info("net", "new device: %zu sends of unknown outcome to "
		    "check in the rooms' history", n->nrecheck - before);
	}
}

/* Drop the entries whose rows are no longer among the sending rows. */
void
net_recheck_prune(struct net *n, const struct outbox_row *sending,
    size_t nsending)
{
	size_t	 i, j;
	int	 changed = 0;

	for (i = 0; i < n->nrecheck; ) {
		for (j = 0; j < nsending; j++) {
			if (strcmp(sending[j].txn_id, n->recheck[i]) == 0)
				break;
		}
		if (j < nsending) {
			i++;
			continue;
		}
		log_info("net", "recheck of %s: no longer unsent",
		    n->recheck[i]);
		net_recheck_remove_at(n, i);
		changed = 1;
	}
	if (changed) {
		net_recheck_save(n);
		net_recheck_report(n);
	}
}

/* Whether row o must be looked for in history before it is sent. */
int
net_recheck_wanted(struct net *n, const struct outbox_row *o)
{
	return o->state == OUTBOX_SENDING &&
	    net_recheck_find(n, o->txn_id, NULL);
}

/* Ask for one page of room_id's history, newest first, from from. */
static int
net_recheck_request(struct net *n, const char *room_id, const char *txn_id,
    const char *from, int page)
{
	struct net_req	*r;
	char		*path;
	int		 rc;

	path = matrix_messages_path(room_id, from, 'b', NET_RECHECK_LIMIT);
	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_RECHECK;
	r->txn_id = xstrdup(txn_id);
	r->room_id = xstrdup(room_id);
	r->page = page;
	rc = net_request(n, r, "GET", path, NULL, n->cfg.request_timeout_ms);
	if (rc == -1)
		net_req_free(r);
	free(path);
	return rc;
}

/* Start checking row o (the room has nothing in flight). */
void
net_recheck_start(struct net *n, struct net_room *nr,
    const struct outbox_row *o)
{
	if (net_recheck_request(n, o->room_id, o->txn_id, NULL, 1) == 0)
		nr->in_flight = 1;
	else
		nr->next_at = net_now_ms() + 1000;
}

/*
 * *hit: the event id of a match for row o in the page chunk, or NULL.
 * Events already standing for another row (sent rows' event ids) do not
 * count, so two identical messages are never both satisfied by one
 * event.  *older says whether the page reached back beyond the row's
 * time.  -1 if the row's wire copy cannot be read: nothing is decided.
 */
static int
net_recheck_scan(struct net *n, const struct outbox_row *o,
    const json_t *chunk, int *older, const char **hit)
{
	struct haos_error	 e2;
	struct outbox_row	*sent = NULL;
	struct outbox_want	 w;
	size_t			 nsent = 0, i, k;
	json_t			*want, *wire = NULL, *ev;
	const char		*eid;
	char			*wtype = NULL, *wtext = NULL;

	*older = 0;
	*hit = NULL;
	/* What went on the wire in an encrypted room: its ciphertext. */
	if (store_crypto_out_wire(n->store, o->txn_id, &wtype, &wtext,
	    &e2) == -1) {
		log_error("net", "outbox recheck: %s", e2.msg);
		return -1;
	}
	if (store_query_outbox(n->store, OUTBOX_SENT, &sent, &nsent,
	    &e2) == -1)
		log_warn("net", "outbox recheck: %s", e2.msg);
	if (wtext != NULL)
		wire = json_load_stored(wtext);
	want = json_load_stored(o->content);
	memset(&w, 0, sizeof w);
	w.user_id = n->cfg.user_id;
	w.since_ts = o->created_ts - NET_RECHECK_SKEW_MS;
	w.type = o->type;
	w.content = want;
	w.rel_target = o->rel_target;
	w.wire_type = wtype;
	w.wire = wire;
	json_array_foreach(chunk, i, ev) {
		if (json_get_int(ev, "origin_server_ts", 0) < w.since_ts)
			*older = 1;
		if (*hit != NULL || !outbox_match(&w, ev))
			continue;
		eid = json_get_str(ev, "event_id", NULL);
		if (eid == NULL)
			continue;
		for (k = 0; k < nsent; k++) {
			if (sent[k].event_id != NULL &&
			    strcmp(sent[k].event_id, eid) == 0)
				break;
		}
		if (k == nsent)
			*hit = eid;
	}
	json_decref(want);
	json_decref(wire);
	free(wtype);
	free(wtext);
	outbox_rows_free(sent, nsent);
	return 0;
}

/* The row txn_id if it is still "sending" (the caller frees it), or NULL. */
static struct outbox_row *
net_recheck_row(struct net *n, const char *txn_id)
{
	struct haos_error	 e2;
	struct outbox_row	*rows, *o = NULL;
	size_t			 nrows, i;

	if (store_query_outbox(n->store, OUTBOX_SENDING, &rows, &nrows,
	    &e2) == -1) {
		log_error("net", "outbox recheck: %s", e2.msg);
		return NULL;
	}
	for (i = 0; i < nrows; i++) {
		if (strcmp(rows[i].txn_id, txn_id) == 0) {
			o = xmalloc(sizeof *o);
			*o = rows[i];
			memset(&rows[i], 0, sizeof rows[i]);
			break;
		}
	}
	outbox_rows_free(rows, nrows);
	return o;
}

void
net_recheck_done(struct net *n, struct net_req *r, const struct http_resp *resp,
    const struct haos_error *err)
{
	struct haos_error	 e2;
	struct net_room		*nr;
	struct outbox_row	*o;
	json_t			*root;
	const char		*eid, *end;
	int			 older, more;

	nr = net_outbox_room(n, r->room_id);
	nr->in_flight = 0;
	nr->busy = 1;	/* until the next pump looks */
	if (err != NULL) {
		if (net_check_auth(n, err))
			return;		/* checked after the next login */
		if (http_retryable(err)) {
			nr->attempt++;
			nr->next_at = net_now_ms() + http_retry_delay_ms(err,
			    nr->attempt, &n->seed);
			log_info("net", "recheck of %s failed, will retry: %s",
			    r->txn_id, err->msg);
			return;
		}
		log_warn("net", "recheck of %s refused (%s): sending it",
		    r->txn_id, err->msg);
		net_recheck_decided(n, r->txn_id, 0);
		return;
	}
	nr->attempt = 0;
	nr->next_at = 0;
	o = net_recheck_row(n, r->txn_id);
	if (o == NULL)
		return;		/* sent, failed or discarded meanwhile */
	root = json_load_network(resp->body, resp->body_len, NULL, NULL);
	if (!json_is_object(root)) {
		log_warn("net", "recheck of %s: answer not JSON, sending it",
		    o->txn_id);
		net_recheck_decided(n, o->txn_id, 0);
		goto out;
	}
	if (net_recheck_scan(n, o, json_get_arr(root, "chunk"), &older,
	    &eid) == -1) {
		nr->attempt++;
		nr->next_at = net_now_ms() + http_backoff_ms(nr->attempt,
		    &n->seed);
		goto out;
	}
	if (eid != NULL) {
		log_info("net", "recheck of %s: already in %s as %s, not "
		    "sending it again", o->txn_id, o->room_id, eid);
		if (store_outbox_mark_sent(n->store, o->txn_id, eid,
		    &e2) == -1)
			log_error("net", "outbox: %s", e2.msg);
		else {
			net_recheck_decided(n, o->txn_id, 1);
			notify_post(n->cfg.notify, NOTIFY_OUTBOX |
			    NOTIFY_TIMELINE);
		}
		goto out;
	}
	end = json_get_str(root, "end", NULL);
	more = !older && end != NULL &&
	    json_array_size(json_get_arr(root, "chunk")) > 0;
	if (more && r->page < NET_RECHECK_PAGES) {
		if (net_recheck_request(n, o->room_id, o->txn_id, end,
		    r->page + 1) == 0)
			nr->in_flight = 1;
		else
			nr->next_at = net_now_ms() + 1000;
		goto out;
	}
	if (more)
		log_warn("net", "recheck of %s: %d pages do not reach back to "
		    "it, sending it", o->txn_id, r->page);
	else
		log_info("net", "recheck of %s: not in %s, sending it",
		    o->txn_id, o->room_id);
	net_recheck_decided(n, o->txn_id, 0);
out:
	json_decref(root);
	outbox_row_free(o);
	free(o);
}

void
net_recheck_free(struct net *n)
{
	size_t	 i;

	for (i = 0; i < n->nrecheck; i++)
		free(n->recheck[i]);
	free(n->recheck);
	n->recheck = NULL;
	n->nrecheck = 0;
}
