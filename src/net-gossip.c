/* Secret sharing with our own devices on the net thread (E2EE Step 9). */

/*
 * The spec's "Sharing" of secrets, m.secret.request / m.secret.send,
 * between devices of our user that verified each other:
 *
 * - Asking (E2EE.md Step 8 item 7): when an emoji verification with
 *   another device of ours ends well, net-verify.c names the device
 *   (net_gossip_ask_later()); the next pump, once the verification's
 *   own done message is queued (the other side serves a device only
 *   once it counts it verified, and matrix-sdk-crypto refuses a
 *   cross-signing secret before), has net_gossip_ask() send it an
 *   m.secret.request (in clear, as the spec sends them) for each
 *   secret of CRYPTO_GOSSIP_NAMES we do not hold, recorded in
 *   secret_requests, in one transaction.  crypto-gossip.c takes the
 *   answer (Olm only, from that device, verified, the secret checked)
 *   in the /sync transaction that brings it and tells us through the
 *   identity's gossip sink; we queue a request_cancellation to that
 *   device in the same transaction (the request is done).  After the
 *   commit the pump does what /recovery's unlocking leads to: the
 *   cross-signing keys loaded (net_xsign_load()) and this device signed
 *   with the self-signing key and uploaded if it is not cross-signed
 *   yet; the backup version read again, now trusted (net-backup.c).
 *   Requests not answered within CRYPTO_GOSSIP_TIMEOUT_MS are cancelled
 *   and forgotten.
 * - Answering: a request crypto-gossip.c let through (another device of
 *   ours, verified, for a secret we hold) waits here, in memory, until
 *   it can go Olm-encrypted to that device (net_olm_queue(): without a
 *   session the device is marked for one, and we try again), for
 *   CRYPTO_GOSSIP_TIMEOUT_MS at most; its cancellation drops it.  The
 *   device must still be verified when the answer is made.
 *
 * Everything outbound is a to_device_out row (net-e2ee.c sends them in
 * order), persisted before its request.  No secret is logged.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/crypto-gossip.h"
#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/store-crypto-out.h"
#include "haos/store-gossip.h"
#include "haos/store-xsign.h"
#include "haos/store.h"
#include "haos/xmalloc.h"
#include "net-int.h"

#define NET_GOSSIP_PURPOSE	"gossip"	/* to_device_out.purpose */
#define NET_GOSSIP_RETRY_MS	2000		/* an answer without session */
#define NET_GOSSIP_EXPIRE_MS	(30 * 1000)	/* look for expired requests */
#define NET_GOSSIP_ANSWERS_MAX	32		/* requests waiting, at most */

/* A request of another device of ours we are to answer. */
struct net_gossip_answer {
	char		*device_id;
	char		*request_id;
	char		*name;
	int64_t		 until;		/* wall clock ms */
	int64_t		 next_at;	/* net_now_ms() of the next try */
};

struct net_gossip {
	struct crypto_keys		*keys;	/* the sink is on it, */
	int				 epoch;	/* at this keys_epoch */
	struct net_gossip_answer	*answers;
	size_t				 nanswers;
	char				**asks;	/* to ask */
	size_t				 nasks;
	int				 got_xsign;	/* since the pump */
	int				 got_backup;
	int64_t				 expire_at;	/* net_now_ms() */
};

static int64_t
net_gossip_wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A message in clear to our device_id, into to_device_out (in a txn). */
static int
net_gossip_clear(struct net *n, const char *device_id, const json_t *content,
    struct haos_error *err)
{
	json_t	*body;
	char	*txn, *text;
	int	 rc;

	body = json_pack("{s:{s:{s:O}}}", "messages",
	    crypto_keys_user_id(n->keys), device_id, content);
	text = json_xdumps_take(body);
	txn = matrix_txn_id();
	rc = store_crypto_out_todev_add(n->store, txn, "m.secret.request",
	    text, NET_GOSSIP_PURPOSE, err);
	free(txn);
	free(text);
	return rc == -1 ? -1 : 0;
}

/* Cancel our request_id sent to device_id (in a txn). */
static int
net_gossip_cancel_ours(struct net *n, const char *device_id,
    const char *request_id, struct haos_error *err)
{
	json_t	*c;
	int	 rc;

	c = json_pack("{s:s,s:s,s:s}", "action", "request_cancellation",
	    "requesting_device_id", crypto_keys_device_id(n->keys),
	    "request_id", request_id);
	rc = net_gossip_clear(n, device_id, c, err);
	json_decref(c);
	return rc;
}

int
net_gossip_ask(struct net *n, const char *device_id, struct haos_error *err)
{
	static const char *const names[] = CRYPTO_GOSSIP_NAMES;
	unsigned char	 raw[18];
	char		*sealed, *id;
	json_t		*c;
	int64_t		 now = net_gossip_wall_ms();
	size_t		 i;
	int		 rc, verified;

	if (n->keys == NULL || strcmp(device_id,
	    crypto_keys_device_id(n->keys)) == 0)
		return 0;
	for (i = 0; i < CRYPTO_GOSSIP_NNAMES; i++) {
		rc = store_secret_get(n->store, names[i], &sealed, &verified,
		    err);
		free(sealed);
		if (rc == -1)
			return -1;
		/* A seed held but not checked is asked for again. */
		if (rc == 1 && (verified || strncmp(names[i],
		    "m.cross_signing.", 16) != 0))
			continue;
		rc = store_gossip_asked(n->store, names[i], device_id,
		    now - CRYPTO_GOSSIP_TIMEOUT_MS, err);
		if (rc == -1)
			return -1;
		if (rc == 1)
			continue;
		crypto_random(raw, sizeof raw);
		id = base64_url_encode(raw, sizeof raw);
		c = json_pack("{s:s,s:s,s:s,s:s}", "action", "request", "name",
		    names[i], "requesting_device_id",
		    crypto_keys_device_id(n->keys), "request_id", id);
		rc = store_gossip_add(n->store, id, names[i], device_id, now,
		    err);
		if (rc != -1)
			rc = net_gossip_clear(n, device_id, c, err);
		json_decref(c);
		if (rc != -1)
			log_info("net", "secret sharing: asking device %s for "
			    "%s (request %s)", device_id, names[i], id);
		free(id);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* The sink: a secret we asked for came and was sealed (in the txn). */
static int
net_gossip_taken(void *arg, const char *name, const char *device_id,
    const char *request_id, struct haos_error *err)
{
	struct net	*n = arg;

	if (strncmp(name, "m.cross_signing.", 16) == 0)
		n->gossip->got_xsign = 1;
	else
		n->gossip->got_backup = 1;
	return net_gossip_cancel_ours(n, device_id, request_id, err);
}

static void
net_gossip_answer_free(struct net_gossip_answer *a)
{
	free(a->device_id);
	free(a->request_id);
	free(a->name);
}

/* Drop answer i. */
static void
net_gossip_drop(struct net_gossip *g, size_t i)
{
	net_gossip_answer_free(&g->answers[i]);
	g->answers[i] = g->answers[--g->nanswers];
}

static int
net_gossip_find(struct net_gossip *g, const char *device_id,
    const char *request_id, size_t *at)
{
	size_t	 i;

	for (i = 0; i < g->nanswers; i++) {
		if (strcmp(g->answers[i].device_id, device_id) == 0 &&
		    strcmp(g->answers[i].request_id, request_id) == 0) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

/* The sink: another device of ours asks, and may be answered. */
static int
net_gossip_request(void *arg, const char *device_id, const char *request_id,
    const char *name)
{
	struct net		*n = arg;
	struct net_gossip	*g = n->gossip;
	struct net_gossip_answer *a;
	size_t			 i;

	if (net_gossip_find(g, device_id, request_id, &i))
		return 0;		/* the same /sync again */
	if (g->nanswers >= NET_GOSSIP_ANSWERS_MAX) {
		log_warn("net", "secret sharing: request %s of device %s: too "
		    "many waiting, ignored", request_id, device_id);
		return 0;
	}
	g->answers = xrealloc(g->answers, (g->nanswers + 1) *
	    sizeof *g->answers);
	a = &g->answers[g->nanswers++];
	a->device_id = xstrdup(device_id);
	a->request_id = xstrdup(request_id);
	a->name = xstrdup(name);
	a->until = net_gossip_wall_ms() + CRYPTO_GOSSIP_TIMEOUT_MS;
	a->next_at = 0;
	return 0;
}

/* The sink: a request of another device of ours is cancelled. */
static int
net_gossip_cancel(void *arg, const char *device_id, const char *request_id)
{
	struct net		*n = arg;
	size_t			 i;

	if (net_gossip_find(n->gossip, device_id, request_id, &i))
		net_gossip_drop(n->gossip, i);
	return 0;
}

static void
net_gossip_unbind(struct net *n)
{
	struct net_gossip	*g = n->gossip;

	if (g == NULL)
		return;
	if (g->keys != NULL && g->keys == n->keys)
		crypto_keys_set_gossip(g->keys, NULL);
	while (g->nanswers > 0)
		net_gossip_drop(g, 0);
	free(g->answers);
	while (g->nasks > 0)
		free(g->asks[--g->nasks]);
	free(g->asks);
	free(g);
	n->gossip = NULL;
}

/* The sink on the identity open now (none without one). */
static void
net_gossip_bind(struct net *n)
{
	struct crypto_gossip_sink	 sink;

	if (n->gossip != NULL && n->gossip->keys == n->keys &&
	    n->gossip->epoch == n->keys_epoch)
		return;
	if (n->gossip != NULL) {
		n->gossip->keys = NULL;	/* freed with the old identity */
		net_gossip_unbind(n);
	}
	if (n->keys == NULL)
		return;
	n->gossip = xcalloc(1, sizeof *n->gossip);
	n->gossip->keys = n->keys;
	n->gossip->epoch = n->keys_epoch;
	sink.taken = net_gossip_taken;
	sink.request = net_gossip_request;
	sink.cancel = net_gossip_cancel;
	sink.arg = n;
	crypto_keys_set_gossip(n->keys, &sink);
}

void
net_gossip_ask_later(struct net *n, const char *device_id)
{
	struct net_gossip	*g;

	net_gossip_bind(n);
	if ((g = n->gossip) == NULL)
		return;
	g->asks = xrealloc(g->asks, (g->nasks + 1) * sizeof *g->asks);
	g->asks[g->nasks++] = xstrdup(device_id);
}

/* The devices verified since the last pump asked, each in its own txn. */
static void
net_gossip_asks(struct net *n)
{
	struct net_gossip	*g = n->gossip;
	struct haos_error	 e;
	size_t			 i;

	for (i = 0; i < g->nasks; i++) {
		if (store_begin(n->store, &e) == -1 || net_gossip_ask(n,
		    g->asks[i], &e) == -1 || store_commit(n->store, &e) == -1) {
			if (store_in_txn(n->store))
				store_rollback(n->store);
			log_error("net", "secret sharing: %s", e.msg);
		}
		free(g->asks[i]);
	}
	g->nasks = 0;
}

/*
 * The self-signing key came: this device signed with it and uploaded,
 * unless it is cross-signed already (the answer is net-verify.c's:
 * ourselves marked outdated, so /keys/query shows the signature).
 */
static void
net_gossip_sign_self(struct net *n)
{
	struct haos_error	 e;
	struct xsign_device	*devs;
	struct matrix_req	*req;
	struct net_req		*r;
	const struct crypto_account *a = crypto_keys_account(n->keys);
	const char		*me = crypto_keys_user_id(n->keys);
	const char		*dev = crypto_keys_device_id(n->keys);
	json_t			*dk, *body;
	size_t			 nd, i;
	int			 signed_ = 0;

	if (n->xsign == NULL ||
	    crypto_xsign_own_public(n->xsign, CRYPTO_XSIGN_SSK) == NULL)
		return;
	if (store_xsign_devices(n->store, me, &devs, &nd, &e) == -1) {
		log_warn("net", "secret sharing: %s", e.msg);
		return;
	}
	for (i = 0; i < nd; i++)
		if (strcmp(devs[i].device_id, dev) == 0)
			signed_ = devs[i].cross_signed;
	xsign_devices_free(devs, nd);
	if (signed_) {
		log_info("net", "secret sharing: device %s is cross-signed "
		    "already", dev);
		return;
	}
	dk = matrix_device_keys(me, dev, crypto_account_curve25519(a),
	    crypto_account_ed25519(a));
	if (crypto_sign_json(crypto_keys_account_rw(n->keys), dk, me, dev,
	    &e) == -1 || crypto_xsign_sign_own_device(n->xsign, dk, me,
	    &e) == -1) {
		log_warn("net", "secret sharing: this device not signed: %s",
		    e.msg);
		json_decref(dk);
		return;
	}
	body = json_pack("{s:{s:o}}", me, dev, dk);
	req = matrix_req_signatures_upload(body);
	json_decref(body);
	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_VERIFY_SIGN;
	r->txn_id = xstrdup(me);
	log_info("net", "secret sharing: signing device %s with the "
	    "self-signing key received", dev);
	if (net_request(n, r, req->method, req->path, req->body,
	    n->cfg.request_timeout_ms) == -1) {
		log_warn("net", "secret sharing: cannot upload the signature "
		    "of device %s", dev);
		net_req_free(r);
	}
	matrix_req_free(req);
}

/* One answer tried: 1 done (sent or given up), 0 try again later. */
static int
net_gossip_try(struct net *n, struct net_gossip_answer *a)
{
	struct haos_error	 e;
	json_t			*c = NULL;
	const char		*me = crypto_keys_user_id(n->keys);
	int			 rc, answerable;

	if (store_begin(n->store, &e) == -1)
		goto fail;
	rc = store_gossip_device_verified(n->store, me, a->device_id, &e);
	if (rc == 1)
		rc = crypto_gossip_answer(n->keys, n->store, a->name,
		    a->request_id, &c, &e);
	if (rc == 1)
		rc = net_olm_queue(n, me, a->device_id, "m.secret.send", c,
		    NET_GOSSIP_PURPOSE, &e);
	answerable = c != NULL;
	crypto_gossip_content_free(c);
	if (rc == -1 || store_commit(n->store, &e) == -1) {
		store_rollback(n->store);
		goto fail;
	}
	if (rc == 1)
		log_info("net", "secret sharing: %s sent to device %s "
		    "(request %s)", a->name, a->device_id, a->request_id);
	else if (!answerable)
		log_info("net", "secret sharing: request %s of device %s: "
		    "no longer answered", a->request_id, a->device_id);
	return rc == 1 || !answerable;
fail:
	log_error("net", "secret sharing: %s", e.msg);
	return 0;
}

/* Our requests nobody answered in time: cancelled and forgotten. */
static void
net_gossip_expire(struct net *n)
{
	struct haos_error	 e;
	struct gossip_request	*rows = NULL;
	size_t			 nrows = 0, i;
	int			 rc = 0;

	if (store_begin(n->store, &e) == -1 || store_gossip_expired(n->store,
	    net_gossip_wall_ms() - CRYPTO_GOSSIP_TIMEOUT_MS, &rows, &nrows,
	    &e) == -1)
		rc = -1;
	for (i = 0; rc == 0 && i < nrows; i++) {
		log_info("net", "secret sharing: request %s for %s to device "
		    "%s expired", rows[i].request_id, rows[i].name,
		    rows[i].device_id);
		if (net_gossip_cancel_ours(n, rows[i].device_id,
		    rows[i].request_id, &e) == -1 || store_gossip_delete(
		    n->store, rows[i].request_id, &e) == -1)
			rc = -1;
	}
	gossip_requests_free(rows, nrows);
	if (rc == 0 && store_commit(n->store, &e) == 0)
		return;
	if (store_in_txn(n->store))
		store_rollback(n->store);
	log_error("net", "secret sharing: %s", e.msg);
}

void
net_gossip_pump(struct net *n, int64_t now)
{
	struct net_gossip	*g;
	int64_t			 wall;
	size_t			 i;

	net_gossip_bind(n);
	if ((g = n->gossip) == NULL || n->auth_failed)
		return;
	net_gossip_asks(n);
	if (g->got_xsign) {
		g->got_xsign = 0;
		net_xsign_load(n);
		net_gossip_sign_self(n);
	}
	if (g->got_backup) {
		g->got_backup = 0;
		net_backup_start(n);	/* the version trusted now */
	}
	wall = net_gossip_wall_ms();
	for (i = 0; i < g->nanswers; ) {
		if (wall > g->answers[i].until) {
			log_info("net", "secret sharing: request %s of device "
			    "%s expired unanswered", g->answers[i].request_id,
			    g->answers[i].device_id);
			net_gossip_drop(g, i);
			continue;
		}
		if (now >= g->answers[i].next_at &&
		    net_gossip_try(n, &g->answers[i])) {
			net_gossip_drop(g, i);
			continue;
		}
		if (now >= g->answers[i].next_at)
			g->answers[i].next_at = now + NET_GOSSIP_RETRY_MS;
		i++;
	}
	if (now >= g->expire_at) {
		g->expire_at = now + NET_GOSSIP_EXPIRE_MS;
		net_gossip_expire(n);
	}
}

void
net_gossip_free(struct net *n)
{
	net_gossip_unbind(n);
}
