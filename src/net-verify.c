/* Key verification on the net thread (E2EE.md Step 8, m.sas.v1). */

/*
 * The transactions of crypto-sas.c live here, in memory, for the
 * identity the thread has open (a new one starts a new list).  Events
 * come in through the identity's verification sink: crypto-in.c hands
 * over to-device ones (in clear, or the payload of an Olm message),
 * ingest-room.c the in-room ones of a /sync, both inside the /sync's
 * transaction, so the trust a finished verification gives (table
 * devices, local_trust) is committed with the event that finished it.
 * With our cross-signing keys at hand (n->xsign: made by /crosssign,
 * or the sealed ones net_xsign_load() took), what it confirmed is
 * signed and uploaded too: our own device with the self-signing key,
 * another user's master key with the user-signing key
 * (msk_pins.verified follows from that signature at the next
 * /keys/query, crypto-xsign.c).  The user's answers come as JOB_VERIFY.
 *
 * What the machine sends goes out by the usual paths: to-device
 * messages into to_device_out (net-e2ee.c sends them in order), Olm
 * encrypted when we have a session with that device (the session's new
 * state persisted with the row, before the request), in clear otherwise
 * or to all of a user's devices, as the spec allows; in-room ones into
 * the outbox, which encrypts them in an encrypted room.  The request's
 * event id, its transaction's id, comes back from the outbox
 * (net_verify_sent()).
 *
 * The UI sees a copy of the transactions (net_verify_rows(), under the
 * lock), NOTIFY_VERIFY when it changed.  Test hook: with
 * HAOS_TEST_SAS_FILE set, the seven emoji indices of a transaction are
 * written to that file when they are to be compared (they are shown on
 * screen then: not a secret), for the interop test to compare them
 * with the other side's.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "haos/crypto-out.h"
#include "haos/crypto-sas.h"
#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/notify.h"
#include "haos/store-crypto-out.h"
#include "haos/store-xsign.h"
#include "haos/store.h"
#include "haos/xmalloc.h"
#include "net-int.h"

#define NET_VERIFY_PURPOSE	"verify"	/* to_device_out.purpose */

struct net_verify {
	struct crypto_keys	*keys;		/* the list is for it, */
	int			 epoch;		/* at this keys_epoch */
	struct crypto_sas_list	*list;
	char			*user_id;
	char			*device_id;
	char			*ed25519;
	char			*msk;		/* ours, or NULL */
	char			**ended;	/* txns whose end was handled */
	size_t			 nended;
	char			**shown;	/* txns written to the hook */
	size_t			 nshown;
	json_t			*signs;		/* [[user, signatures/upload
						   body], ...] to send */
	int			 changed;	/* the UI's copy is stale */
};

static int64_t
net_verify_wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
net_verify_has(char **list, size_t n, const char *s)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static void
net_verify_add(char ***list, size_t *n, const char *s)
{
	*list = xrealloc(*list, (*n + 1) * sizeof **list);
	(*list)[(*n)++] = xstrdup(s);
}

static void
net_verify_strings_free(char **list, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* Lookups of the machine (crypto_sas_env), on the RW connection. */
static int
net_verify_device_key(void *arg, const char *user_id, const char *device_id,
    char **ed25519)
{
	struct net		*n = arg;
	struct device_row	 r;
	struct haos_error	 e;
	int			 rc;

	rc = store_device_get(n->store, user_id, device_id, &r, &e);
	if (rc == -1)
		log_warn("net", "verification: %s", e.msg);
	if (rc != 1)
		return rc;
	rc = r.deleted ? 0 : 1;
	if (rc == 1)
		*ed25519 = xstrdup(r.ed25519);
	device_row_free(&r);
	return rc;
}

static int
net_verify_master_key(void *arg, const char *user_id, char **msk)
{
	struct net		*n = arg;
	struct haos_error	 e;
	int			 rc;

	rc = store_xsign_key_get(n->store, user_id, "master", msk, NULL, &e);
	if (rc == -1)
		log_warn("net", "verification: %s", e.msg);
	return rc;
}

static int
net_verify_own_devices(void *arg, char ***ids)
{
	struct net		*n = arg;
	struct device_row	*rows;
	struct haos_error	 e;
	size_t			 nrows, i, k = 0;

	if (store_devices_of(n->store, n->verify->user_id, &rows, &nrows,
	    &e) == -1) {
		log_warn("net", "verification: %s", e.msg);
		return -1;
	}
	*ids = xcalloc(nrows + 1, sizeof **ids);
	for (i = 0; i < nrows; i++)
		if (!rows[i].deleted)
			(*ids)[k++] = xstrdup(rows[i].device_id);
	device_rows_free(rows, nrows);
	return 1;
}

/* A device the machine needs: its user's list asked for at once. */
static void
net_verify_want_keys(void *arg, const char *user_id)
{
	struct net		*n = arg;
	struct haos_error	 e;

	if (net_devices_want(n, user_id, &e) == -1)
		log_warn("net", "verification: %s", e.msg);
}

/* The seven indices to the test hook's file, once per transaction. */
static void
net_verify_test_hook(struct net_verify *v, const struct crypto_sas_view *w)
{
	const char	*path;
	char		 line[64];
	int		 fd, len;

	path = getenv("HAOS_TEST_SAS_FILE");
	if (path == NULL || *path == '\0' ||
	    net_verify_has(v->shown, v->nshown, w->txn))
		return;
	net_verify_add(&v->shown, &v->nshown, w->txn);
	len = snprintf(line, sizeof line, "%d %d %d %d %d %d %d\n",
	    w->emoji[0], w->emoji[1], w->emoji[2], w->emoji[3], w->emoji[4],
	    w->emoji[5], w->emoji[6]);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		log_warn("net", "HAOS_TEST_SAS_FILE: cannot write it");
		return;
	}
	if (write(fd, line, (size_t)len) != len)
		log_warn("net", "HAOS_TEST_SAS_FILE: short write");
	close(fd);
}

/*
 * A transaction that ended well: the device and master key it verified
 * trusted, in the caller's transaction when there is one (an event of a
 * /sync), else in one of its own.
 */
static int
net_verify_trust(struct net *n, const struct crypto_sas_view *w)
{
	struct haos_error	 e;
	int			 own, rc;

	own = !store_in_txn(n->store);
	if (own && store_begin(n->store, &e) == -1) {
		log_error("net", "verification: %s", e.msg);
		return -1;
	}
	rc = w->device_verified ? store_verify_trust(n->store, w->user_id,
	    w->device_id, &e) : 0;
	/* Another device of ours: ask it for the secrets we lack. */
	if (rc == 0 && w->device_verified && strcmp(w->user_id,
	    n->verify->user_id) == 0)
		net_gossip_ask_later(n, w->device_id);
	if (own) {
		if (rc == 0)
			rc = store_commit(n->store, &e);
		if (rc == -1)
			store_rollback(n->store);
	}
	if (rc == -1) {
		log_error("net", "verification: %s", e.msg);
		return -1;
	}
	log_info("net", "verified %s %s%s", w->user_id, w->device_verified ?
	    w->device_id : "", w->msk_verified ? " and its master key" : "");
	return 0;
}

/*
 * With our cross-signing keys at hand (n->xsign: made by /crosssign,
 * or the sealed ones net_xsign_load() took), what the verification
 * confirmed is signed (E2EE.md Step 8 item 7):
 * our own device with the self-signing key, another user's master key
 * with the user-signing key, each only if the object the store holds
 * carries the very key the MACs verified.  The upload goes at the next
 * pump.  Without the keys, local trust is all there is.
 */
static void
net_verify_cross_sign(struct net *n, const struct crypto_sas_view *w)
{
	struct net_verify	*v = n->verify;
	struct haos_error	 e;
	const char		*key_id;
	char			*json = NULL, *pub = NULL, *want;
	json_t			*obj = NULL;
	int			 own, rc = -1;

	if (n->xsign == NULL)
		return;
	own = strcmp(w->user_id, v->user_id) == 0;
	if (own && w->device_verified && w->ed25519 != NULL) {
		if (store_xsign_device_json(n->store, w->user_id, w->device_id,
		    &json, &e) != 1)
			goto out;
		obj = json_load_stored(json);
		want = xasprintf("ed25519:%s", w->device_id);
		rc = strcmp(json_get_str(json_get_obj(obj, "keys"), want, ""),
		    w->ed25519) == 0 ? 0 : -1;
		free(want);
		if (rc == 0)
			rc = crypto_xsign_sign_own_device(n->xsign, obj,
			    v->user_id, &e);
		key_id = w->device_id;
	} else if (!own && w->msk_verified && w->msk != NULL) {
		if (store_xsign_key_get(n->store, w->user_id, "master", &pub,
		    &json, &e) != 1 || strcmp(pub, w->msk) != 0)
			goto out;
		obj = json_load_stored(json);
		rc = crypto_xsign_sign_user(n->xsign, obj, v->user_id, &e);
		key_id = pub;
	} else
		return;
	if (rc == 0 && json_is_object(obj)) {
		if (v->signs == NULL)
			v->signs = json_array();
		json_array_append_new(v->signs, json_pack("[s,{s:{s:O}}]",
		    w->user_id, w->user_id, key_id, obj));
		log_info("net", "verification %s: signing %s %s with our "
		    "%s key", w->txn, w->user_id, key_id, own ?
		    "self-signing" : "user-signing");
	}
out:
	if (rc == -1)
		log_warn("net", "verification %s: %s %s not cross-signed",
		    w->txn, w->user_id, own ? w->device_id : "master key");
	json_decref(obj);
	free(json);
	free(pub);
}

/* The signatures of net_verify_cross_sign() to the server. */
static void
net_verify_send_signs(struct net *n)
{
	struct net_verify	*v = n->verify;
	struct matrix_req	*req;
	struct net_req		*r;
	json_t			*item;
	size_t			 i;

	json_array_foreach(v->signs, i, item) {
		r = xcalloc(1, sizeof *r);
		r->kind = NET_REQ_VERIFY_SIGN;
		r->txn_id = xstrdup(json_string_value(json_array_get(item,
		    0)));
		req = matrix_req_signatures_upload(json_array_get(item, 1));
		if (net_request(n, r, req->method, req->path, req->body,
		    n->cfg.request_timeout_ms) == -1) {
			log_warn("net", "verification: cannot upload the "
			    "signature of %s", r->txn_id);
			net_req_free(r);
		}
		matrix_req_free(req);
	}
	json_decref(v->signs);
	v->signs = NULL;
}

/* The signature's answer: /keys/query again shows it, or a warning. */
void
net_verify_signed(struct net *n, struct net_req *r,
    const struct http_resp *resp, const struct haos_error *err)
{
	struct haos_error	 e;
	json_t			*root;
	int			 failed;

	if (err != NULL) {
		net_check_auth(n, err);
		log_warn("net", "verification: signature of %s not uploaded: "
		    "%s", r->txn_id, err->msg);
		return;
	}
	root = json_load_network(resp->body, resp->body_len, NULL, NULL);
	failed = json_object_size(json_get_obj(root, "failures")) > 0;
	json_decref(root);
	if (failed) {
		log_warn("net", "verification: the server refused the "
		    "signature of %s", r->txn_id);
		return;
	}
	log_info("net", "verification: signature of %s uploaded", r->txn_id);
	if (store_begin(n->store, &e) == -1 || store_tracked_changed(n->store,
	    r->txn_id, &e) == -1 || store_commit(n->store, &e) == -1) {
		if (store_in_txn(n->store))
			store_rollback(n->store);
		log_error("net", "verification: %s", e.msg);
		return;
	}
	n->dev_due = 1;
}

/* After any change: the ends handled, the hook written, the UI told. */
static int
net_verify_results(struct net *n)
{
	struct net_verify	*v = n->verify;
	struct crypto_sas_view	 w;
	size_t			 i;
	int			 rc = 0;

	v->changed = 1;
	for (i = 0; i < crypto_sas_count(v->list); i++) {
		if (crypto_sas_view(v->list, i, &w) == -1)
			break;
		if (w.state == VERIFY_SHOW)
			net_verify_test_hook(v, &w);
		if (w.state != VERIFY_DONE ||
		    net_verify_has(v->ended, v->nended, w.txn))
			continue;
		net_verify_add(&v->ended, &v->nended, w.txn);
		if (net_verify_trust(n, &w) == -1)
			rc = -1;
		else
			net_verify_cross_sign(n, &w);
	}
	return rc;
}

/*
 * Our master key as the store has it now (/crosssign in this run, or a
 * /keys/query since), for the MACs of what comes next: only the one
 * pinned, never one that changed and waits for /trust.
 */
static void
net_verify_own_msk(struct net *n)
{
	struct net_verify	*v = n->verify;
	struct xsign_user	 u;
	struct haos_error	 e;
	char			*msk = NULL;
	int			 rc;

	rc = store_xsign_user(n->store, v->user_id, &u, &e);
	if (rc == -1) {
		log_warn("net", "verification: %s", e.msg);
		return;
	}
	if (rc == 1 && u.msk != NULL && !u.changed) {
		msk = u.msk;
		u.msk = NULL;
	}
	if (rc == 1)
		xsign_user_free(&u);
	if ((msk == NULL && v->msk == NULL) || (msk != NULL &&
	    v->msk != NULL && strcmp(msk, v->msk) == 0)) {
		free(msk);
		return;
	}
	crypto_sas_set_msk(v->list, msk);
	free(v->msk);
	v->msk = msk;
}

/* The verification sink: one event, inside its /sync's transaction. */
static int
net_verify_event(void *arg, const char *sender, const char *room_id,
    const json_t *ev, const char *type, const json_t *content)
{
	struct net	*n = arg;
	int64_t		 now, ts;
	int		 rc;

	if (n->verify == NULL || n->verify->list == NULL)
		return 0;
	now = net_verify_wall_ms();
	if (room_id != NULL) {
		/* A request of long ago in a timeline is not news. */
		ts = json_get_int(ev, "origin_server_ts", now);
		if (now - ts > CRYPTO_SAS_TIMEOUT_MS)
			return 0;
	}
	net_verify_own_msk(n);
	rc = crypto_sas_receive(n->verify->list, sender, room_id,
	    room_id != NULL ? json_get_str(ev, "event_id", NULL) : NULL, type,
	    content, now);
	(void)rc;		/* an answer may be queued either way */
	return net_verify_results(n);
}

static void
net_verify_unbind(struct net *n)
{
	struct net_verify	*v = n->verify;

	if (v == NULL)
		return;
	if (v->keys != NULL && v->keys == n->keys)
		crypto_keys_set_verify(v->keys, NULL);
	crypto_sas_list_free(v->list);
	free(v->user_id);
	free(v->device_id);
	free(v->ed25519);
	free(v->msk);
	net_verify_strings_free(v->ended, v->nended);
	net_verify_strings_free(v->shown, v->nshown);
	json_decref(v->signs);
	free(v);
	n->verify = NULL;
}

/* A list for the identity open now (none without one). */
static void
net_verify_bind(struct net *n)
{
	struct crypto_verify_sink	 sink;
	struct crypto_sas_self		 self;
	struct crypto_sas_env		 env;
	struct net_verify		*v;

	if (n->verify != NULL && n->verify->keys == n->keys &&
	    n->verify->epoch == n->keys_epoch)
		return;
	if (n->verify != NULL) {
		n->verify->keys = NULL;	/* freed with the old identity */
		net_verify_unbind(n);
	}
	if (n->keys == NULL)
		return;
	v = xcalloc(1, sizeof *v);
	n->verify = v;
	v->keys = n->keys;
	v->epoch = n->keys_epoch;
	v->user_id = xstrdup(crypto_keys_user_id(n->keys));
	v->device_id = xstrdup(crypto_keys_device_id(n->keys));
	v->ed25519 = xstrdup(crypto_account_ed25519(crypto_keys_account(
	    n->keys)));
	self.user_id = v->user_id;
	self.device_id = v->device_id;
	self.ed25519 = v->ed25519;
	self.msk = v->msk;
	env.device_key = net_verify_device_key;
	env.master_key = net_verify_master_key;
	env.own_devices = net_verify_own_devices;
	env.want_keys = net_verify_want_keys;
	env.arg = n;
	v->list = crypto_sas_list_new(&self, &env);
	sink.event = net_verify_event;
	sink.arg = n;
	crypto_keys_set_verify(n->keys, &sink);
	net_verify_own_msk(n);
	v->changed = 1;
}

/* A to-device message into to_device_out, with its session's state. */
static int
net_verify_to_device(struct net *n, const struct crypto_sas_msg *m,
    struct haos_error *e)
{
	const char	*type = m->type;
	json_t		*c = NULL, *body;
	char		*txn, *text;
	int		 rc = 0;

	if (store_begin(n->store, e) == -1)
		return -1;
	if (strcmp(m->device_id, "*") != 0)
		rc = net_olm_encrypt(n, m->user_id, m->device_id, m->type,
		    m->content, &c, e);
	if (rc == -1) {
		store_rollback(n->store);
		return -1;
	}
	if (rc == 1)
		type = "m.room.encrypted";
	else
		c = json_incref(m->content);
	body = json_pack("{s:{s:{s:o}}}", "messages", m->user_id,
	    m->device_id, c);
	text = json_xdumps_take(body);
	txn = matrix_txn_id();
	rc = store_crypto_out_todev_add(n->store, txn, type, text,
	    NET_VERIFY_PURPOSE, e);
	free(txn);
	free(text);
	if (rc == 0)
		rc = store_commit(n->store, e);
	if (rc == -1)
		store_rollback(n->store);
	return rc;
}

/* One message of the machine on its way. */
static void
net_verify_send(struct net *n, const struct crypto_sas_msg *m)
{
	struct haos_error	 e;
	char			*txn, *text;
	int64_t			 rc;

	if (m->room_id == NULL) {
		if (net_verify_to_device(n, m, &e) == -1)
			log_error("net", "verification %s: %s", m->type,
			    e.msg);
		return;
	}
	/* The request's outbox row is named after its local id. */
	txn = m->local_id != NULL ? xstrdup(m->local_id) : matrix_txn_id();
	text = json_xdumps(m->content);
	rc = store_outbox_add(n->store, m->room_id, txn, m->type, NULL, text,
	    NULL, &e);
	if (rc == -1)
		log_error("net", "verification %s: %s", m->type, e.msg);
	else
		notify_post(n->cfg.notify, NOTIFY_OUTBOX | NOTIFY_TIMELINE);
	free(text);
	free(txn);
}

/* The UI's copy, swapped in under the lock. */
static void
net_verify_publish(struct net *n)
{
	struct net_verify	*v = n->verify;
	struct crypto_sas_view	 w;
	struct verify_row	*rows, *old;
	size_t			 nrows = 0, nold, i;

	rows = xcalloc(v != NULL ? crypto_sas_count(v->list) + 1 : 1,
	    sizeof *rows);
	for (i = 0; v != NULL && i < crypto_sas_count(v->list); i++) {
		if (crypto_sas_view(v->list, i, &w) == -1)
			break;
		rows[nrows].txn = xstrdup(w.txn);
		rows[nrows].user_id = xstrdup(w.user_id);
		rows[nrows].device_id = w.device_id != NULL ?
		    xstrdup(w.device_id) : NULL;
		rows[nrows].room_id = w.room_id != NULL ?
		    xstrdup(w.room_id) : NULL;
		rows[nrows].state = w.state;
		rows[nrows].we_started = w.we_started;
		rows[nrows].has_emoji = w.has_emoji;
		memcpy(rows[nrows].emoji, w.emoji, sizeof w.emoji);
		memcpy(rows[nrows].decimal, w.decimal, sizeof w.decimal);
		rows[nrows].cancel_code = w.cancel_code != NULL ?
		    xstrdup(w.cancel_code) : NULL;
		rows[nrows].cancelled_by_us = w.cancelled_by_us;
		rows[nrows].device_verified = w.device_verified;
		rows[nrows].msk_verified = w.msk_verified;
		nrows++;
	}
	pthread_mutex_lock(&n->lock);
	old = n->verify_rows;
	nold = n->nverify_rows;
	n->verify_rows = rows;
	n->nverify_rows = nrows;
	pthread_mutex_unlock(&n->lock);
	verify_rows_free(old, nold);
	notify_post(n->cfg.notify, NOTIFY_VERIFY);
}

int
net_verify_rows(struct net *n, struct verify_row **out, size_t *nout)
{
	struct verify_row	*rows;
	size_t			 i;

	pthread_mutex_lock(&n->lock);
	rows = xcalloc(n->nverify_rows + 1, sizeof *rows);
	for (i = 0; i < n->nverify_rows; i++) {
		rows[i] = n->verify_rows[i];
		rows[i].txn = xstrdup(rows[i].txn);
		rows[i].user_id = xstrdup(rows[i].user_id);
		if (rows[i].device_id != NULL)
			rows[i].device_id = xstrdup(rows[i].device_id);
		if (rows[i].room_id != NULL)
			rows[i].room_id = xstrdup(rows[i].room_id);
		if (rows[i].cancel_code != NULL)
			rows[i].cancel_code = xstrdup(rows[i].cancel_code);
	}
	*nout = n->nverify_rows;
	pthread_mutex_unlock(&n->lock);
	*out = rows;
	return 0;
}

/* A JOB_VERIFY from the UI. */
void
net_verify_job(struct net *n, const struct job *j)
{
	struct crypto_sas_list	*l;
	const char		*why = NULL, *act;

	net_verify_bind(n);
	act = j->method != NULL ? j->method : "";
	if (n->verify == NULL) {
		net_set_notice(n, "verify: this device has no encryption "
		    "identity");
		return;
	}
	l = n->verify->list;
	net_verify_own_msk(n);
	if (strcmp(act, "request") == 0 && j->user_id != NULL) {
		if (crypto_sas_request(l, j->user_id, j->device_id,
		    j->room_id, net_verify_wall_ms(), &why) == NULL)
			net_set_notice(n, "verify: %s", why);
	} else if (j->txn_id == NULL)
		return;
	else if (strcmp(act, "accept") == 0)
		crypto_sas_accept(l, j->txn_id);
	else if (strcmp(act, "match") == 0)
		crypto_sas_confirm(l, j->txn_id, 1);
	else if (strcmp(act, "mismatch") == 0)
		crypto_sas_confirm(l, j->txn_id, 0);
	else if (strcmp(act, "cancel") == 0)
		crypto_sas_cancel(l, j->txn_id, "m.user");
	else if (strcmp(act, "dismiss") == 0) {
		crypto_sas_cancel(l, j->txn_id, "m.user");
		net_verify_pump(n, 0);	/* the cancel goes first */
		crypto_sas_forget(l, j->txn_id);
	}
	net_verify_results(n);
	net_verify_pump(n, 0);
}

/* The in-room request went out as event_id: its transaction's id. */
void
net_verify_sent(struct net *n, const char *txn_id, const char *event_id)
{
	if (n->verify == NULL || txn_id == NULL || event_id == NULL)
		return;
	if (crypto_sas_request_sent(n->verify->list, txn_id, event_id))
		n->verify->changed = 1;
}

/* Timeouts, the machine's messages sent, the UI's copy renewed. */
void
net_verify_pump(struct net *n, int64_t now __unused)
{
	struct crypto_sas_msg	*m;
	struct net_verify	*v;

	net_verify_bind(n);
	if ((v = n->verify) == NULL)
		return;
	if (crypto_sas_tick(v->list, net_verify_wall_ms()) > 0)
		v->changed = 1;
	while ((m = crypto_sas_next(v->list)) != NULL) {
		net_verify_send(n, m);
		crypto_sas_msg_free(m);
	}
	if (v->signs != NULL)
		net_verify_send_signs(n);
	if (v->changed) {
		v->changed = 0;
		net_verify_publish(n);
	}
}

void
net_verify_free(struct net *n)
{
	net_verify_unbind(n);
	verify_rows_free(n->verify_rows, n->nverify_rows);
	n->verify_rows = NULL;
	n->nverify_rows = 0;
}
