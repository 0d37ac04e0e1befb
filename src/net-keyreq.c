/* Net thread: room key requests, ours and others' (E2EE.md Step 11). */

/*
 * Every NET_KEYREQ_EVERY_MS, after the /sync transactions that brought
 * what is to do (each step a transaction of its own; what goes out goes
 * through to_device_out, sent in order by net-e2ee.c, so a retry is the
 * same message):
 *
 * - Answer the requests crypto-keyreq.c kept (key_requests_in), at most
 *   NET_KEYREQ_ANSWERS at a time: the policy says yes (our own verified
 *   device, or a device we shared that session with) and the
 *   m.forwarded_room_key goes over Olm (net_olm_queue()); without an
 *   Olm session with the device it waits for one (net-e2ee.c's
 *   unwedging opens it), for NET_KEYREQ_ANSWER_MS at most.  A request of
 *   our own other device that is refused is answered once with an
 *   m.room_key.withheld in clear (m.unverified or m.unavailable), so it
 *   stops waiting; anybody else is told nothing.  Refused or answered,
 *   the row goes.
 * - Cancel ours whose session no event waits for any more (the key came:
 *   forwarded, from the backup, a key file or the sender): a
 *   request_cancellation to the devices asked, the row done.
 * - Ask, as a last resort: once this run has read the backup version
 *   (net-backup.c) and no trusted backup exists, for up to NET_KEYREQ_ASK
 *   sessions that events of the last NET_KEYREQ_WINDOW_MS wait for and
 *   that were never asked for, one m.room_key_request in clear to our
 *   own other verified devices, its request_id kept with them in
 *   key_requests (a forward is matched against it, also after a
 *   restart).  Without a verified device of ours nothing is asked.
 *
 * Nothing secret is logged: room, session, request and device ids.
 */
#include "net-int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/crypto-keyreq.h"
#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/store-crypto-out.h"
#include "haos/store-keyreq.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define NET_KEYREQ_EVERY_MS	5000
#define NET_KEYREQ_ANSWERS	10	/* requests answered a pump */
#define NET_KEYREQ_ASK		10	/* sessions asked for a pump */
#define NET_KEYREQ_ANSWER_MS	(10 * 60 * 1000LL)
#define NET_KEYREQ_WINDOW_MS	(7 * 24 * 60 * 60 * 1000LL)
#define NET_KEYREQ_PURPOSE	"keyreq"

static int64_t
net_keyreq_wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The withheld reply c (taken) to r's device, in clear: 0 or -1. */
static int
net_keyreq_withheld(struct net *n, const struct store_keyreq_in *r,
    json_t *c, struct haos_error *err)
{
	json_t	*body;
	char	*text, *txn;
	int	 rc;

	body = json_pack("{s:{s:{s:o}}}", "messages", r->user_id,
	    r->device_id, c);
	text = json_xdumps_take(body);
	txn = matrix_txn_id();
	rc = store_crypto_out_todev_add(n->store, txn, "m.room_key.withheld",
	    text, NET_KEYREQ_PURPOSE, err);
	free(txn);
	free(text);
	return rc == -1 ? -1 : 0;
}

/* One answer, in its own transaction: 0, or -1 (logged). */
static int
net_keyreq_answer_one(struct net *n, const struct store_keyreq_in *r,
    int64_t now)
{
	struct haos_error	 e;
	json_t			*c = NULL;
	int			 rc, drop = 1;

	if (store_begin(n->store, &e) == -1)
		goto fail;
	rc = crypto_keyreq_answer(n->keys, n->store, r, &c, &e);
	if (rc == -1)
		goto fail;
	if (rc == 2) {
		rc = net_keyreq_withheld(n, r, c, &e);
		c = NULL;
		if (rc == -1)
			goto fail;
	} else if (rc == 1) {
		rc = net_olm_queue(n, r->user_id, r->device_id,
		    "m.forwarded_room_key", c, NET_KEYREQ_PURPOSE, &e);
		if (rc == -1)
			goto fail;
		if (rc == 0 && now - r->received_ts < NET_KEYREQ_ANSWER_MS)
			drop = 0;	/* a session is being opened */
		else if (rc == 0)
			log_warn("net", "key request %s of %s's device %s: no "
			    "Olm session in time: dropped", r->request_id,
			    r->user_id, r->device_id);
	}
	if (drop && store_keyreq_in_drop(n->store, r->user_id, r->device_id,
	    r->request_id, &e) == -1)
		goto fail;
	if (store_commit(n->store, &e) == -1)
		goto fail;
	crypto_keyreq_content_free(c);
	return 0;
fail:
	store_rollback(n->store);
	crypto_keyreq_content_free(c);
	log_error("net", "key request %s: %s", r->request_id, e.msg);
	return -1;
}

static void
net_keyreq_answer(struct net *n)
{
	struct store_keyreq_in	*rows;
	struct haos_error	 e;
	int64_t			 now = net_keyreq_wall_ms();
	size_t			 nrows, i;

	if (store_keyreq_in_list(n->store, NET_KEYREQ_ANSWERS, &rows, &nrows,
	    &e) == -1) {
		log_error("net", "key requests: %s", e.msg);
		return;
	}
	for (i = 0; i < nrows; i++) {
		if (net_keyreq_answer_one(n, &rows[i], now) == -1)
			break;
	}
	store_keyreq_in_free(rows, nrows);
}

/*
 * One to_device_out row: content (taken) to each of our devices of the
 * JSON array text devices (or of the array ids).
 */
static int
net_keyreq_queue(struct net *n, json_t *content, json_t *devices,
    struct haos_error *err)
{
	json_t	*mine, *body;
	char	*text, *txn;
	size_t	 i;
	int	 rc;

	mine = json_object();
	for (i = 0; i < json_array_size(devices); i++) {
		if (json_is_string(json_array_get(devices, i)))
			json_object_set(mine, json_string_value(
			    json_array_get(devices, i)), content);
	}
	json_decref(content);
	body = json_pack("{s:{s:o}}", "messages",
	    crypto_keys_user_id(n->keys), mine);
	text = json_xdumps_take(body);
	txn = matrix_txn_id();
	rc = store_crypto_out_todev_add(n->store, txn, "m.room_key_request",
	    text, NET_KEYREQ_PURPOSE, err);
	free(txn);
	free(text);
	return rc == -1 ? -1 : 0;
}

/* Cancel the requests whose key came. */
static void
net_keyreq_cancel(struct net *n)
{
	struct store_keyreq	*rows = NULL;
	struct haos_error	 e;
	json_t			*devs;
	size_t			 nrows = 0, i;

	if (store_begin(n->store, &e) == -1)
		goto fail;
	if (store_keyreq_arrived(n->store, NET_KEYREQ_ASK, &rows, &nrows,
	    &e) == -1)
		goto fail;
	for (i = 0; i < nrows; i++) {
		devs = json_loads(rows[i].devices, 0, NULL);
		if (net_keyreq_queue(n, crypto_keyreq_cancel(n->keys,
		    rows[i].request_id), devs, &e) == -1 ||
		    store_keyreq_done(n->store, rows[i].request_id,
		    &e) == -1) {
			json_decref(devs);
			goto fail;
		}
		json_decref(devs);
		log_info("net", "%s: key request %s for session %s: the key "
		    "came: cancelled", rows[i].room_id, rows[i].request_id,
		    rows[i].session_id);
	}
	if (store_commit(n->store, &e) == -1)
		goto fail;
	store_keyreq_free(rows, nrows);
	return;
fail:
	store_rollback(n->store);
	store_keyreq_free(rows, nrows);
	log_error("net", "key requests: %s", e.msg);
}

/* Ask our verified devices for the sessions events wait for. */
static void
net_keyreq_ask(struct net *n)
{
	struct store_keyreq	*rows = NULL;
	struct haos_error	 e;
	json_t			*devs = NULL;
	char			**ids = NULL, *rid, *text;
	size_t			 nrows = 0, nids = 0, i;

	if (store_begin(n->store, &e) == -1)
		goto fail;
	if (store_keyreq_wanted(n->store, net_keyreq_wall_ms() -
	    NET_KEYREQ_WINDOW_MS, NET_KEYREQ_ASK, &rows, &nrows, &e) == -1)
		goto fail;
	if (nrows > 0 && store_keyreq_own_devices(n->store,
	    crypto_keys_user_id(n->keys), crypto_keys_device_id(n->keys),
	    &ids, &nids, &e) == -1)
		goto fail;
	devs = json_array();
	for (i = 0; i < nids; i++)
		json_array_append_new(devs, json_string(ids[i]));
	text = json_xdumps(devs);
	for (i = 0; nids > 0 && i < nrows; i++) {
		rid = crypto_keyreq_id();
		rows[i].request_id = rid;
		rows[i].devices = xstrdup(text);
		if (net_keyreq_queue(n, crypto_keyreq_request(n->keys, rid,
		    rows[i].room_id, rows[i].session_id, rows[i].sender_key),
		    devs, &e) == -1 || store_keyreq_add(n->store, &rows[i],
		    &e) == -1) {
			free(text);
			goto fail;
		}
		log_info("net", "%s: session %s asked of our %zu verified "
		    "devices (request %s)", rows[i].room_id,
		    rows[i].session_id, nids, rid);
	}
	free(text);
	if (store_commit(n->store, &e) == -1)
		goto fail;
	goto out;
fail:
	store_rollback(n->store);
	log_error("net", "key requests: %s", e.msg);
out:
	json_decref(devs);
	for (i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	store_keyreq_free(rows, nrows);
}

void
net_keyreq_pump(struct net *n, int64_t now)
{
	if (n->keys == NULL || n->auth_failed || now < n->keyreq_next_at)
		return;
	n->keyreq_next_at = now + NET_KEYREQ_EVERY_MS;
	net_keyreq_answer(n);
	net_keyreq_cancel(n);
	if (!n->backup_due)
		net_keyreq_ask(n);
}
