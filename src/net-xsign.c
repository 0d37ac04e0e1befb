/* Net thread: what the user asks of cross-signing (/trust, /crosssign). */

/*
 * /crosssign sets up cross-signing for an account that has none
 * (E2EE.md Step 7, case a), in three requests, one at a time:
 *   1. POST /keys/query for ourselves: an account that already has a
 *      master key is never reset; the user is told to verify this device
 *      from another one (/verify) or to unlock the keys (/recovery);
 *   2. POST /keys/device_signing/upload with three new keys (seeds from
 *      crypto_random(), crypto-xsign-own.c) and the password as
 *      user-interactive auth (m.login.password; once more with the
 *      session if the server first answers with its flows);
 *   3. POST /keys/signatures/upload: our device keys signed by the new
 *      self-signing key.
 * Then the new seeds are sealed into the secrets table (crypto-secrets.c,
 * as /recovery keeps those it unlocks), we are marked outdated so that
 * /keys/query shows this device cross-signed (crypto-xsign.c), and the
 * private keys stay in memory for this run (n->xsign), for verification
 * to sign with.  An account that has an identity already is never reset:
 * if we hold its self-signing key (unlocked by /recovery, checked against
 * the published one), step 3 alone signs this device.  The password is
 * wiped as soon as it is sent; nothing secret is logged.
 *
 * /trust @user acknowledges a master key that changed (crypto-xsign.c
 * flagged it and the sender holds that user's rooms): the new key is
 * pinned in a transaction of its own, and the held rows go on at the
 * next outbox pump.  The answer to the client says whether there was a
 * change to acknowledge: body "1" or "0".
 */
#include "net-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/http.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/store-xsign.h"
#include "haos/xmalloc.h"

void
net_xsign_trust(struct net *n, const char *user_id, uint64_t tag)
{
	struct haos_error	 err;
	int			 rc = -1;

	if (store_begin(n->store, &err) == 0) {
		rc = crypto_xsign_trust(n->store, user_id, &err);
		if (rc == -1 || store_commit(n->store, &err) == -1) {
			if (store_in_txn(n->store))
				store_rollback(n->store);
			rc = -1;
		}
	}
	if (rc == -1) {
		log_error("net", "trust %s: %s", user_id, err.msg);
		net_post_result(n, tag, &err, NULL);
		return;
	}
	notify_post(n->cfg.notify, NOTIFY_OUTBOX | NOTIFY_TIMELINE |
	    NOTIFY_MEMBERS);
	net_post_result(n, tag, NULL, xstrdup(rc == 1 ? "1" : "0"));
}

#define NET_XSIGN_QUERY		0	/* net_req.page: is there an MSK */
#define NET_XSIGN_UPLOAD	1	/* our three keys */
#define NET_XSIGN_SIGN		2	/* our device's signature */

/* End the setup under way: the client's answer, the new keys dropped. */
static void
net_xsign_finish(struct net *n, const struct haos_error *err,
    const char *body)
{
	if (n->xsign_pw != NULL) {
		explicit_bzero(n->xsign_pw, strlen(n->xsign_pw));
		xfree(n->xsign_pw);
	}
	crypto_xsign_own_free(n->xsign_new);
	n->xsign_new = NULL;
	n->xsign_session = 0;
	n->xsign_held = 0;
	if (err != NULL)
		log_warn("net", "cross-signing setup: %s", err->msg);
	net_post_result(n, n->xsign_tag, err, body != NULL ? xstrdup(body) :
	    NULL);
	n->xsign_tag = 0;
}

static void
net_xsign_fail(struct net *n, const char *msg)
{
	struct haos_error	 err;

	haos_error_set(&err, HAOS_ECRYPTO, "%s", msg);
	net_xsign_finish(n, &err, NULL);
}

/* Send req as step page of the setup; a failure to start ends it. */
static void
net_xsign_send(struct net *n, struct matrix_req *req, int page)
{
	struct net_req	*r;

	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_XSIGN;
	r->page = page;
	if (net_request(n, r, req->method, req->path, req->body,
	    n->cfg.request_timeout_ms) == -1) {
		net_req_free(r);
		net_xsign_fail(n, "cannot start the request");
	}
	matrix_req_free(req);
}

void
net_xsign_setup(struct net *n, const char *password, uint64_t tag)
{
	struct haos_error	 err;
	const char		*me;

	if (n->xsign_tag != 0) {
		haos_error_set(&err, HAOS_ECRYPTO, "cross-signing setup is "
		    "already under way");
		net_post_result(n, tag, &err, NULL);
		return;
	}
	n->xsign_tag = tag;
	if (n->keys == NULL) {
		net_xsign_fail(n, "this device has no encryption keys");
		return;
	}
	if (password == NULL || *password == '\0') {
		net_xsign_fail(n, "no password given");
		return;
	}
	n->xsign_pw = xstrdup(password);
	me = crypto_keys_user_id(n->keys);
	log_info("net", "cross-signing setup: asking for our keys");
	net_xsign_send(n, matrix_req_keys_query(&me, 1), NET_XSIGN_QUERY);
}

/* Step 2: three new keys up, the password as user-interactive auth. */
static void
net_xsign_upload(struct net *n, const char *session)
{
	struct haos_error	 err;
	json_t			*keys;
	const char		*me = crypto_keys_user_id(n->keys);

	if (n->xsign_new == NULL) {
		n->xsign_new = crypto_xsign_own_new(&err);
		if (n->xsign_new == NULL) {
			net_xsign_finish(n, &err, NULL);
			return;
		}
	}
	keys = crypto_xsign_own_upload(n->xsign_new, me,
	    crypto_keys_account_rw(n->keys), crypto_keys_device_id(n->keys),
	    &err);
	if (keys == NULL) {
		net_xsign_finish(n, &err, NULL);
		return;
	}
	log_info("net", "cross-signing setup: uploading master key %s",
	    crypto_xsign_own_public(n->xsign_new, CRYPTO_XSIGN_MSK));
	net_xsign_send(n, matrix_req_device_signing_upload(keys, me,
	    n->xsign_pw, session), NET_XSIGN_UPLOAD);
	json_decref(keys);
	if (session != NULL && n->xsign_pw != NULL) {	/* no third try */
		explicit_bzero(n->xsign_pw, strlen(n->xsign_pw));
		xfree(n->xsign_pw);
	}
}

/* Step 3: our device keys, signed by the new self-signing key. */
static void
net_xsign_sign(struct net *n)
{
	struct haos_error	 err;
	const struct crypto_account *a = crypto_keys_account(n->keys);
	const char		*me = crypto_keys_user_id(n->keys);
	const char		*dev = crypto_keys_device_id(n->keys);
	json_t			*dk, *body;

	dk = matrix_device_keys(me, dev, crypto_account_curve25519(a),
	    crypto_account_ed25519(a));
	if (crypto_sign_json(crypto_keys_account_rw(n->keys), dk, me, dev,
	    &err) == -1 || crypto_xsign_sign_own_device(n->xsign_new, dk, me,
	    &err) == -1) {
		json_decref(dk);
		net_xsign_finish(n, &err, NULL);
		return;
	}
	body = json_pack("{s:{s:o}}", me, dev, dk);
	log_info("net", "cross-signing setup: signing device %s", dev);
	net_xsign_send(n, matrix_req_signatures_upload(body), NET_XSIGN_SIGN);
	json_decref(body);
}

static const char *const net_xsign_secret[CRYPTO_XSIGN_NKEYS] = {
	"m.cross_signing.master", "m.cross_signing.self_signing",
	"m.cross_signing.user_signing"
};

/*
 * The seeds of the sealed secrets we hold (/recovery unlocked them, or
 * an earlier /crosssign made them), those checked against the published
 * keys only; NULL if there is none.
 */
static struct crypto_xsign_own *
net_xsign_held(struct net *n, struct haos_error *err)
{
	struct crypto_xsign_own	*o = NULL;
	const unsigned char	*seeds[CRYPTO_XSIGN_NKEYS];
	unsigned char		*data[CRYPTO_XSIGN_NKEYS];
	size_t			 len;
	int			 i, verified, any = 0;

	for (i = 0; i < CRYPTO_XSIGN_NKEYS; i++) {
		seeds[i] = data[i] = NULL;
		if (crypto_secret_get(n->keys, n->store, net_xsign_secret[i],
		    &data[i], &len, &verified, err) != 1)
			continue;
		if (len == CRYPTO_XSIGN_SEED_LEN && verified) {
			seeds[i] = data[i];
			any = 1;
		}
	}
	if (any)
		o = crypto_xsign_own_load(seeds, err);
	for (i = 0; i < CRYPTO_XSIGN_NKEYS; i++) {
		if (data[i] != NULL) {
			explicit_bzero(data[i], CRYPTO_XSIGN_SEED_LEN);
			free(data[i]);
		}
	}
	return o;
}

/*
 * Our cross-signing keys, held sealed and checked against the published
 * ones (an earlier /crosssign, or /recovery), made ready for signing:
 * at the start of the thread and after /recovery, so that a device
 * verified by emoji is signed in any run, not only the one that made the
 * keys.  A run's /crosssign replaces them.
 */
void
net_xsign_load(struct net *n)
{
	struct haos_error	 err;
	struct crypto_xsign_own	*o;

	if (n->keys == NULL)
		return;
	memset(&err, 0, sizeof err);
	o = net_xsign_held(n, &err);
	if (o == NULL) {
		if (err.code != HAOS_OK)
			log_warn("net", "cross-signing keys: %s", err.msg);
		return;
	}
	crypto_xsign_own_free(n->xsign);
	n->xsign = o;
	log_info("net", "cross-signing keys ready to sign");
}

/*
 * Step 1's answer: never replace a master key the account has.  With
 * one, this device is signed if we hold the published self-signing key
 * (E2EE.md Step 7 case b); otherwise the user is told where to get it.
 */
static void
net_xsign_queried(struct net *n, const json_t *root)
{
	struct haos_error	 err;
	struct crypto_xsign_own	*o;
	const char		*me = crypto_keys_user_id(n->keys);
	const char		*ssk, *why, *have;

	if (json_get_obj(json_get_obj(root, "master_keys"), me) == NULL) {
		net_xsign_upload(n, NULL);
		return;
	}
	o = net_xsign_held(n, &err);
	have = o != NULL ? crypto_xsign_own_public(o, CRYPTO_XSIGN_SSK) : NULL;
	if (crypto_xsign_key_check(me, "self_signing", json_get_obj(
	    json_get_obj(root, "self_signing_keys"), me), &ssk, &why) == -1)
		ssk = NULL;
	if (have == NULL || ssk == NULL || strcmp(have, ssk) != 0) {
		crypto_xsign_own_free(o);
		net_xsign_fail(n, "this account already has "
		    "cross-signing keys and this device does not hold them: "
		    "verify this device from one of your other devices "
		    "(/verify) or unlock the keys with your recovery key "
		    "(/recovery)");
		return;
	}
	log_info("net", "cross-signing: signing this device with the "
	    "self-signing key %s we hold", ssk);
	n->xsign_new = o;
	n->xsign_held = 1;
	net_xsign_sign(n);
}

static int
net_xsign_outdated(struct net *n, struct haos_error *err)
{
	if (store_begin(n->store, err) == -1)
		return -1;
	if (store_tracked_changed(n->store, crypto_keys_user_id(n->keys),
	    err) == -1) {
		store_rollback(n->store);
		return -1;
	}
	return store_commit(n->store, err);
}

/* Keep the seeds we made, sealed (crypto-secrets.c), in one txn. */
static int
net_xsign_seal(struct net *n, struct haos_error *err)
{
	const unsigned char	*seed;
	int			 i;

	if (store_begin(n->store, err) == -1)
		return -1;
	for (i = 0; i < CRYPTO_XSIGN_NKEYS; i++) {
		seed = crypto_xsign_own_seed(n->xsign_new, i);
		if (seed != NULL && crypto_secret_put(n->keys, n->store,
		    net_xsign_secret[i], seed, CRYPTO_XSIGN_SEED_LEN, 1,
		    err) == -1) {
			store_rollback(n->store);
			return -1;
		}
	}
	return store_commit(n->store, err);
}

/* Step 3's answer: done; /keys/query will show this device signed. */
static void
net_xsign_signed(struct net *n, const json_t *root)
{
	struct haos_error	 err;
	char			*msk;

	if (json_object_size(json_get_obj(root, "failures")) > 0) {
		net_xsign_fail(n, "the server refused the signature of "
		    "this device");
		return;
	}
	if (net_xsign_outdated(n, &err) == -1)
		log_error("net", "cross-signing setup: %s", err.msg);
	if (!n->xsign_held && net_xsign_seal(n, &err) == -1)
		log_error("net", "cross-signing setup: the keys are not kept: "
		    "%s", err.msg);
	n->dev_due = 1;
	crypto_xsign_own_free(n->xsign);
	n->xsign = n->xsign_new;
	n->xsign_new = NULL;
	if (crypto_xsign_own_public(n->xsign, CRYPTO_XSIGN_MSK) != NULL)
		msk = xstrdup(crypto_xsign_own_public(n->xsign,
		    CRYPTO_XSIGN_MSK));
	else if (store_xsign_key_get(n->store, crypto_keys_user_id(n->keys),
	    XSIGN_MASTER, &msk, NULL, &err) != 1)
		msk = xstrdup("?");
	log_info("net", "cross-signing: this device signed, master key %s",
	    msk);
	net_xsign_finish(n, NULL, msk);
	free(msk);
}

void
net_xsign_done(struct net *n, struct net_req *r, const struct http_resp *resp,
    const struct haos_error *err)
{
	json_t		*root = NULL;
	const char	*session;

	if (n->xsign_tag == 0)
		return;
	if (resp != NULL && resp->body != NULL)
		root = json_load_network(resp->body, resp->body_len, NULL,
		    NULL);
	if (err != NULL) {
		net_check_auth(n, err);
		/* A server that wants its session first: once more with it. */
		session = json_get_str(root, "session", NULL);
		if (r->page == NET_XSIGN_UPLOAD && err->http_status == 401 &&
		    session != NULL && json_get_str(root, "errcode",
		    NULL) == NULL && !n->xsign_session &&
		    n->xsign_pw != NULL) {
			n->xsign_session = 1;
			net_xsign_upload(n, session);
		} else if (r->page == NET_XSIGN_UPLOAD &&
		    err->http_status == 401)
			net_xsign_fail(n, "the server refused the "
			    "password");
		else
			net_xsign_finish(n, err, NULL);
		json_decref(root);
		return;
	}
	if (r->page == NET_XSIGN_QUERY)
		net_xsign_queried(n, root);
	else if (r->page == NET_XSIGN_UPLOAD)
		net_xsign_sign(n);
	else
		net_xsign_signed(n, root);
	json_decref(root);
}

void
net_xsign_free(struct net *n)
{
	if (n->xsign_pw != NULL) {
		explicit_bzero(n->xsign_pw, strlen(n->xsign_pw));
		xfree(n->xsign_pw);
	}
	crypto_xsign_own_free(n->xsign_new);
	crypto_xsign_own_free(n->xsign);
	n->xsign_new = n->xsign = NULL;
}
