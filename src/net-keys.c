/* Net thread: the device identity's keys on the server (/keys/upload). */

/*
 * The identity (crypto-keys.c) is opened when the thread starts, before
 * the first /sync, and decides what an upload carries; this file only
 * sends it, one request at a time, retried with the usual backoff.
 *
 * The one-time key count /sync reports is stale if the /sync left before
 * an upload was answered (matrix.org implementation guide): counts are
 * trusted ("fresh") only from an upload's answer, or from a /sync that
 * left after the last upload was answered and while none was out.
 * Otherwise new keys would be made for a count that no longer holds,
 * and too many keys push published ones out of the account.
 */
#include "net-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

static int
net_keys_open(struct net *n, struct haos_error *err)
{
	n->keys = crypto_keys_open(n->store, n->cfg.pickle_key_path,
	    n->cfg.user_id, n->cfg.device_id, err);
	if (n->keys == NULL)
		return -1;
	/* Ingest decrypts with it (crypto_in_to_device, crypto_room_*). */
	store_set_crypto(n->store, n->keys);
	n->keys_due = 1;
	n->keys_fresh = 0;
	n->keys_attempt = 0;
	n->keys_next_at = 0;
	return 0;
}

/* Open (or make) the identity: no pickle key path, no identity. */
int
net_keys_start(struct net *n, struct haos_error *err)
{
	if (n->cfg.pickle_key_path == NULL || n->cfg.device_id == NULL)
		return 0;
	return net_keys_open(n, err);
}

/* A login as another device: that device gets an identity of its own. */
void
net_keys_new_device(struct net *n)
{
	struct haos_error	 e;

	if (n->keys == NULL)
		return;
	store_set_crypto(n->store, NULL);
	crypto_keys_free(n->keys);
	n->keys = NULL;
	/* An upload for the old device may be out: its answer is ignored. */
	n->keys_in_flight = 0;
	atomic_store(&n->keys_settled, 0);
	n->keys_epoch++;
	if (net_keys_open(n, &e) == -1)
		log_error("net", "device identity: %s", e.msg);
}

/*
 * An ingest was rolled back: what it did to the account in memory (a
 * one-time key spent by a new Olm session) was not committed, so the
 * identity is read again from the store, as the next try will need it.
 */
void
net_keys_reload(struct net *n)
{
	if (n->keys == NULL)
		return;
	log_info("net", "device identity read again after a rollback");
	net_keys_new_device(n);
}

/* A /sync was stored: its counts, if current, may call for new keys. */
void
net_keys_synced(struct net *n)
{
	if (n->keys == NULL)
		return;
	n->keys_fresh = !n->keys_in_flight && n->sync_keys_gen == n->keys_gen;
	n->keys_due = 1;
}

void
net_keys_pump(struct net *n, int64_t now)
{
	struct haos_error	 e;
	struct matrix_req	*req;
	struct net_req		*r;

	if (n->keys == NULL) {
		atomic_store(&n->keys_settled, 1);	/* nothing to upload */
		return;
	}
	if (!n->keys_due || n->keys_in_flight || n->auth_failed ||
	    now < n->keys_next_at)
		return;
	n->keys_due = 0;
	req = crypto_keys_upload(n->keys, n->store, n->keys_fresh, &e);
	if (req == NULL) {
		/* Nothing to send, and the counts it went by were current. */
		if (e.code == HAOS_OK && n->keys_fresh)
			atomic_store(&n->keys_settled, 1);
		if (e.code == HAOS_OK)
			return;
		n->keys_attempt++;
		n->keys_next_at = now + http_backoff_ms(n->keys_attempt,
		    &n->seed);
		n->keys_due = 1;
		log_error("net", "device keys: %s", e.msg);
		return;
	}
	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_KEYS;
	r->page = n->keys_epoch;
	atomic_store(&n->keys_settled, 0);
	if (net_request(n, r, req->method, req->path, req->body,
	    n->cfg.request_timeout_ms) == 0) {
		n->keys_in_flight = 1;
		n->keys_fresh = 0;
	} else {
		net_req_free(r);
		n->keys_due = 1;
		n->keys_next_at = now + 1000;
	}
	matrix_req_free(req);
}

void
net_keys_done(struct net *n, struct net_req *r, const struct http_resp *resp,
    const struct haos_error *err)
{
	struct haos_error	 e;

	if (r->page != n->keys_epoch || !n->keys_in_flight || n->keys == NULL)
		return;		/* for a device we no longer are */
	n->keys_in_flight = 0;
	n->keys_due = 1;
	if (err == NULL) {
		if (crypto_keys_uploaded(n->keys, n->store, resp->body,
		    &e) == -1)
			log_error("net", "device keys: %s", e.msg);
		n->keys_gen++;
		n->keys_fresh = 1;
		n->keys_attempt = 0;
		n->keys_next_at = 0;
		return;
	}
	if (net_check_auth(n, err))
		return;
	n->keys_attempt++;
	n->keys_next_at = net_now_ms() + http_retry_delay_ms(err,
	    n->keys_attempt, &n->seed);
	log_warn("net", "key upload failed (attempt %d): %s", n->keys_attempt,
	    err->msg);
}

void
net_keys_free(struct net *n)
{
	if (n->keys != NULL && n->store != NULL)
		store_set_crypto(n->store, NULL);
	crypto_keys_free(n->keys);
	n->keys = NULL;
}
