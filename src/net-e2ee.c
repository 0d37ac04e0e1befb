/* Net thread: encrypted sends (issue #15 Step 5) and unwedging (Step 6). */

/*
 * A message for an encrypted room waits in the outbox (pending, no wire
 * copy: the UI says "encrypting...") until
 *   1. the room's member list is complete (the /sync filter lazy-loads
 *      members: /members is asked for) and every member's device list
 *      is current (Step 4 fills them),
 *   2. the room's Megolm session is usable (made, or replaced when
 *      crypto_out_rotation_due() says so, our own inbound copy kept),
 *   3. every recipient device has it: Olm sessions made from one-time
 *      keys claimed in one batch (signatures checked), the m.room_key
 *      payloads persisted in to_device_out with the Olm pickles and the
 *      megolm_out_shared rows in one transaction, then sent, each row
 *      deleted after its 2xx (a retry sends the same body and txn id);
 *      a device without a key gets m.room_key.withheld (m.no_olm) once;
 *      with [crypto] share_keys_with = cross_signed, a device its owner
 *      did not cross-sign gets m.room_key.withheld (m.unverified) once
 *      per session instead of the key, and the key once it is signed;
 *   4. then it is encrypted once: the wire copy and the session's new
 *      pickle and count in one transaction, before the PUT.  A retry
 *      sends the stored wire copy: never a second encryption.
 * State events and redactions go in the clear, as the spec says.
 *
 * A member whose master key changed (crypto-xsign.c) holds the room's
 * rows before anything is shared, each row saying why (outbox.error of
 * a pending row), until the user acknowledges the new key (/trust).
 *
 * Unwedging: a device in olm_wedged (pending) gets a new Olm session
 * from a claimed key and an m.dummy over it, at most once an hour; the
 * mark is cleared either way.
 */
#include "net-int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/crypto-out.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/store-crypto-out.h"
#include "haos/store-xsign.h"
#include "haos/xmalloc.h"

#define NET_E2EE_ROOM_KEY	"m.room_key"
#define NET_E2EE_WITHHELD	"m.room_key.withheld"
#define NET_E2EE_ENCRYPTED	"m.room.encrypted"

int
net_share_keys(const char *choice)
{
	if (choice != NULL && strcmp(choice, "cross_signed") == 0)
		return CRYPTO_OUT_SHARE_CROSS_SIGNED;
	return CRYPTO_OUT_SHARE_ALL;
}

/* Wall-clock ms: session ages and the unwedge hour are kept in the store. */
static int64_t
net_e2ee_wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Our signed device keys, for sender_device_keys (MSC4147). */
static json_t *
net_e2ee_device_keys(struct net *n)
{
	struct crypto_account	*a = crypto_keys_account_rw(n->keys);
	struct haos_error	 e;
	json_t			*dk;

	dk = matrix_device_keys(crypto_keys_user_id(n->keys),
	    crypto_keys_device_id(n->keys), crypto_account_curve25519(a),
	    crypto_account_ed25519(a));
	if (crypto_sign_json(a, dk, crypto_keys_user_id(n->keys),
	    crypto_keys_device_id(n->keys), &e) == -1) {
		log_warn("net", "device keys: %s", e.msg);
		json_decref(dk);
		return NULL;
	}
	return dk;
}

/*
 * Queue to-device bodies: msgs is {user: {device: content}}, cut into
 * requests of CRYPTO_OUT_TODEVICE_MAX devices.  In the caller's txn.
 */
static int
net_e2ee_queue(struct net *n, const char *type, json_t *msgs,
    const char *purpose, struct haos_error *err)
{
	json_t		*body = NULL, *part = NULL, *devs, *c;
	const char	*user, *dev;
	char		*txn, *text;
	size_t		 count = 0;
	int		 rc = 0;

	(void)n;
	json_object_foreach(msgs, user, devs) {
		json_object_foreach(devs, dev, c) {
			if (body == NULL) {
				part = json_object();
				body = json_pack("{s:o}", "messages", part);
				count = 0;
			}
			if (json_get_obj(part, user) == NULL)
				json_object_set_new(part, user, json_object());
			json_object_set(json_get_obj(part, user), dev, c);
			if (++count < CRYPTO_OUT_TODEVICE_MAX)
				continue;
			txn = matrix_txn_id();
			text = json_xdumps_take(body);
			body = NULL;
			rc = store_crypto_out_todev_add(n->store, txn, type,
			    text, purpose, err);
			free(txn);
			free(text);
			if (rc == -1)
				return -1;
		}
	}
	if (body != NULL) {
		txn = matrix_txn_id();
		text = json_xdumps_take(body);
		rc = store_crypto_out_todev_add(n->store, txn, type, text,
		    purpose, err);
		free(txn);
		free(text);
	}
	return rc;
}

/* Put content for d into {user: {device: content}} (taken). */
static void
net_e2ee_msgs_add(json_t *msgs, const struct crypto_device *d, json_t *c)
{
	if (json_get_obj(msgs, d->user_id) == NULL)
		json_object_set_new(msgs, d->user_id, json_object());
	json_object_set_new(json_get_obj(msgs, d->user_id), d->device_id, c);
}

/* Make the room's new session and our inbound copy, in one txn. */
static struct crypto_megolm_out *
net_e2ee_session_new(struct net *n, const char *room_id,
    const struct crypto_policy *p, struct haos_error *err)
{
	const unsigned char	*pk = crypto_keys_pickle_key(n->keys);
	const struct crypto_account *a = crypto_keys_account(n->keys);
	struct crypto_megolm_out *m;
	struct crypto_megolm_in	*in = NULL;
	struct crypto_out_state	 st;
	char			*key = NULL, *pin = NULL, *pout = NULL;

	if ((m = crypto_megolm_out_new(err)) == NULL)
		return NULL;
	if ((key = crypto_megolm_out_key(m, err)) == NULL ||
	    (in = crypto_megolm_in_new(key, err)) == NULL ||
	    (pin = crypto_megolm_in_pickle(in, pk, err)) == NULL ||
	    (pout = crypto_megolm_out_pickle(m, pk, err)) == NULL)
		goto fail;
	st.created_ts = net_e2ee_wall_ms();
	st.msg_count = 0;
	st.shared_history = p->shared_history;
	if (store_begin(n->store, err) == -1)
		goto fail;
	if (store_crypto_out_session_put(n->store, room_id,
	    crypto_megolm_out_id(m), pout, &st, err) == -1 ||
	    store_crypto_out_own_copy(n->store, room_id,
	    crypto_megolm_out_id(m), crypto_keys_user_id(n->keys),
	    crypto_account_curve25519(a), crypto_account_ed25519(a), pin,
	    crypto_megolm_in_first_index(in), p->shared_history, err) == -1 ||
	    store_commit(n->store, err) == -1) {
		store_rollback(n->store);
		goto fail;
	}
	log_info("net", "new megolm session %s", crypto_megolm_out_id(m));
	explicit_bzero(key, strlen(key));
	free(key);
	free(pin);
	free(pout);
	crypto_megolm_in_free(in);
	return m;

fail:
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	free(key);
	free(pin);
	free(pout);
	crypto_megolm_in_free(in);
	crypto_megolm_out_free(m);
	return NULL;
}

/* One batched /keys/claim for the devices in want ({user: {dev: alg}}). */
static void
net_e2ee_claim(struct net *n, const char *room_id, json_t *want)
{
	struct matrix_req	*req;
	struct net_req		*r;

	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_CLAIM;
	r->room_id = room_id != NULL ? xstrdup(room_id) : NULL;
	r->claim = json_xdumps(want);
	req = matrix_req_keys_claim(want);
	if (net_request(n, r, req->method, req->path, req->body,
	    n->cfg.request_timeout_ms) == 0)
		n->e2ee_claim_in_flight = 1;
	else
		net_req_free(r);
	matrix_req_free(req);
}

/*
 * The m.room_key of session m for the recipients that have an Olm
 * session and lack the key; the others are claimed.  A recipient the
 * policy keeps it from (only cross-signed) is told m.room_key.withheld
 * m.unverified once, queued with the keys (in the clear: no Olm
 * needed), before the message.  1 when everyone has it, 0 while some
 * wait, -1 on error.
 */
static int
net_e2ee_share(struct net *n, const char *room_id,
    struct crypto_megolm_out *m, const struct crypto_policy *p,
    const struct crypto_device *devs, const size_t *rcpt, size_t nr,
    struct haos_error *err)
{
	const unsigned char	*pk = crypto_keys_pickle_key(n->keys);
	struct crypto_account	*a = crypto_keys_account_rw(n->keys);
	struct crypto_shared	*sh;
	struct crypto_olm	*o;
	const struct crypto_device *d;
	enum crypto_out_action	 act;
	json_t			*msgs, *want, *rk, *c, *dk, *wh;
	char			*pickle, *newp;
	size_t			 ns, i, nsent = 0, nwh = 0;
	int64_t			 pending;
	uint32_t		 idx;
	int			 rc = -1, nwant = 0, have;

	if (store_crypto_out_shared(n->store, crypto_megolm_out_id(m), 1, &sh,
	    &ns, err) == -1)
		return -1;
	msgs = json_object();
	want = json_object();
	wh = json_object();
	rk = crypto_out_room_key(m, room_id, p->shared_history, err);
	dk = net_e2ee_device_keys(n);
	idx = crypto_megolm_out_index(m);
	if (rk == NULL || store_begin(n->store, err) == -1)
		goto out;
	for (i = 0; i < nr; i++) {
		d = &devs[rcpt[i]];
		act = crypto_out_share_action(d, p, sh, ns);
		if (act == CRYPTO_OUT_SKIP)
			continue;
		if (act == CRYPTO_OUT_WITHHOLD) {
			if (store_crypto_out_share_add(n->store,
			    crypto_megolm_out_id(m), d->user_id, d->device_id,
			    idx, CRYPTO_OUT_UNVERIFIED, err) == -1)
				goto rollback;
			net_e2ee_msgs_add(wh, d, crypto_out_withheld(room_id,
			    crypto_megolm_out_id(m),
			    crypto_account_curve25519(a),
			    CRYPTO_OUT_UNVERIFIED));
			nwh++;
			continue;
		}
		have = store_crypto_out_olm(n->store, d->curve25519, &pickle,
		    err);
		if (have == -1)
			goto rollback;
		if (have == 0) {
			if (json_get_obj(want, d->user_id) == NULL)
				json_object_set_new(want, d->user_id,
				    json_object());
			json_object_set_new(json_get_obj(want, d->user_id),
			    d->device_id, json_string("signed_curve25519"));
			nwant++;
			continue;
		}
		o = crypto_olm_unpickle(pickle, pk, NULL, err);
		free(pickle);
		if (o == NULL)
			goto rollback;
		c = crypto_out_olm(o, a, crypto_keys_user_id(n->keys), dk, d,
		    NET_E2EE_ROOM_KEY, rk, err);
		newp = c != NULL ? crypto_olm_pickle(o, pk, err) : NULL;
		if (newp == NULL || store_crypto_out_olm_put(n->store,
		    crypto_olm_id(o), d->curve25519, newp, err) == -1 ||
		    store_crypto_out_share_add(n->store,
		    crypto_megolm_out_id(m), d->user_id, d->device_id, idx,
		    NULL, err) == -1) {
			free(newp);
			json_decref(c);
			crypto_olm_free(o);
			goto rollback;
		}
		free(newp);
		crypto_olm_free(o);
		net_e2ee_msgs_add(msgs, d, c);
		nsent++;
	}
	if (nsent > 0 && net_e2ee_queue(n, NET_E2EE_ENCRYPTED, msgs, room_id,
	    err) == -1)
		goto rollback;
	if (nwh > 0 && net_e2ee_queue(n, NET_E2EE_WITHHELD, wh, room_id,
	    err) == -1)
		goto rollback;
	if (store_commit(n->store, err) == -1)
		goto rollback;
	if (nsent > 0)
		log_info("net", "megolm session %s: key for %zu devices",
		    crypto_megolm_out_id(m), nsent);
	if (nwh > 0)
		log_info("net", "megolm session %s: withheld from %zu devices "
		    "not cross-signed", crypto_megolm_out_id(m), nwh);
	if (nwant > 0 && !n->e2ee_claim_in_flight &&
	    net_now_ms() >= n->e2ee_claim_next_at) {
		net_e2ee_claim(n, room_id, want);
		want = NULL;
	}
	if (store_crypto_out_todev_pending(n->store, room_id, &pending,
	    err) == -1)
		goto out;
	rc = nwant == 0 && pending == 0;
	goto out;

rollback:
	store_rollback(n->store);
out:
	if (rk != NULL) {
		json_object_del(rk, "session_key");
		json_decref(rk);
	}
	json_decref(dk);
	json_decref(msgs);
	json_decref(want);
	json_decref(wh);
	store_crypto_out_shared_free(sh, ns);
	return rc;
}

/*
 * Encrypt the row with the session: wire copy, pickle and count in one
 * transaction, before any request carries it.
 */
static int
net_e2ee_encrypt(struct net *n, const struct outbox_row *o,
    struct crypto_megolm_out *m, struct crypto_out_state *st,
    struct haos_error *err)
{
	const unsigned char	*pk = crypto_keys_pickle_key(n->keys);
	const struct crypto_account *a = crypto_keys_account(n->keys);
	char			*wire, *pickle;

	wire = crypto_out_megolm(m, o->room_id, o->type, o->content,
	    crypto_account_curve25519(a), crypto_keys_device_id(n->keys), err);
	if (wire == NULL)
		return -1;
	if ((pickle = crypto_megolm_out_pickle(m, pk, err)) == NULL) {
		free(wire);
		return -1;
	}
	st->msg_count++;
	if (store_begin(n->store, err) == -1 ||
	    store_crypto_out_wire_put(n->store, o->txn_id, NET_E2EE_ENCRYPTED,
	    wire, err) == -1 ||
	    store_crypto_out_session_put(n->store, o->room_id,
	    crypto_megolm_out_id(m), pickle, st, err) == -1 ||
	    store_commit(n->store, err) == -1) {
		store_rollback(n->store);
		free(wire);
		free(pickle);
		return -1;
	}
	free(wire);
	free(pickle);
	log_info("net", "send %s: megolm session %s", o->txn_id,
	    crypto_megolm_out_id(m));
	return 0;
}

/* The session to use now: the stored one, or a new one if due. */
static struct crypto_megolm_out *
net_e2ee_session(struct net *n, const char *room_id,
    const struct crypto_policy *p, const struct crypto_member *mem,
    size_t nm, const struct crypto_device *devs, size_t nd,
    struct crypto_out_state *st, struct haos_error *err)
{
	struct crypto_megolm_out *m = NULL;
	struct crypto_shared	*sh = NULL;
	char			*sid, *pickle;
	const char		*why = NULL;
	size_t			 ns = 0;
	int			 have;

	have = store_crypto_out_session(n->store, room_id, &sid, &pickle, st,
	    err);
	if (have == -1)
		return NULL;
	if (have == 1) {
		if (store_crypto_out_shared(n->store, sid, 0, &sh, &ns,
		    err) == -1) {
			free(sid);
			free(pickle);
			return NULL;
		}
		if (!crypto_out_rotation_due(st, p, sh, ns, mem, nm, devs, nd,
		    net_e2ee_wall_ms(), &why))
			m = crypto_megolm_out_unpickle(pickle,
			    crypto_keys_pickle_key(n->keys), NULL, err);
		else
			log_info("net", "megolm session %s replaced: %s", sid,
			    why);
		store_crypto_out_shared_free(sh, ns);
		free(sid);
		free(pickle);
		if (m != NULL || why == NULL)
			return m;
	}
	m = net_e2ee_session_new(n, room_id, p, err);
	if (m != NULL) {
		st->created_ts = net_e2ee_wall_ms();
		st->msg_count = 0;
		st->shared_history = p->shared_history;
	}
	return m;
}

/* Fail the row for good: never plaintext into an encrypted room. */
static int
net_e2ee_fail(struct net *n, const struct outbox_row *o, const char *msg)
{
	struct haos_error	 e;

	log_warn("net", "send %s: %s", o->txn_id, msg);
	if (store_outbox_mark_failed(n->store, o->txn_id, msg, &e) == -1)
		log_error("net", "outbox: %s", e.msg);
	notify_post(n->cfg.notify, NOTIFY_OUTBOX | NOTIFY_TIMELINE);
	return -1;
}

/*
 * A member of the room whose master key changed and is not acknowledged
 * holds the row (Step 7): nothing is shared with their devices until the
 * user says /trust.  1 held (the row says why), 0 not, -1 on error.
 */
static int
net_e2ee_held(struct net *n, const struct outbox_row *o,
    struct haos_error *err)
{
	char	**users, *note;
	size_t	 nu;
	int	 rc;

	if (store_xsign_changed_in_room(n->store, o->room_id, &users, &nu,
	    err) == -1)
		return -1;
	note = nu == 0 ? NULL : xasprintf("waiting: %s's identity changed "
	    "- /trust %s to continue", users[0], users[0]);
	if (nu > 0)
		log_info("net", "send %s: held, the master key of %s changed",
		    o->txn_id, users[0]);
	rc = store_xsign_outbox_hold(n->store, o->txn_id, note, err);
	free(note);
	store_xsign_users_free(users, nu);
	if (rc == -1)
		return -1;
	if (nu > 0)
		notify_post(n->cfg.notify, NOTIFY_OUTBOX | NOTIFY_TIMELINE);
	return nu > 0;
}

/* Share (as far as possible now) and encrypt; 1 done, 0 wait, -1 error. */
static int
net_e2ee_prepare(struct net *n, const struct outbox_row *o,
    const struct crypto_policy *p, struct haos_error *err)
{
	struct crypto_member	*mem = NULL;
	struct crypto_device	*devs = NULL;
	struct crypto_megolm_out *m = NULL;
	struct crypto_out_state	 st;
	size_t			 nm = 0, nd = 0, nr, *rcpt = NULL;
	int			 current, rc = -1;

	if (!net_members_complete(n, o->room_id))
		return 0;	/* lazy-loaded: /members first */
	if (store_devices_current(n->store, o->room_id, &current, err) == -1)
		return -1;
	if (!current)
		return 0;	/* Step 4 is querying them */
	rc = net_e2ee_held(n, o, err);
	if (rc != 0)
		return rc == 1 ? 0 : -1;
	rc = -1;
	if (store_crypto_out_members(n->store, o->room_id, &mem, &nm,
	    err) == -1 || store_crypto_out_devices(n->store, o->room_id, &devs,
	    &nd, err) == -1)
		goto out;
	rcpt = xcalloc(nd + 1, sizeof *rcpt);
	nr = crypto_out_recipients(mem, nm, devs, nd,
	    crypto_keys_user_id(n->keys), crypto_keys_device_id(n->keys), p,
	    rcpt);
	m = net_e2ee_session(n, o->room_id, p, mem, nm, devs, nd, &st, err);
	if (m == NULL)
		goto out;
	rc = net_e2ee_share(n, o->room_id, m, p, devs, rcpt, nr, err);
	if (rc == 1 && net_e2ee_encrypt(n, o, m, &st, err) == -1)
		rc = -1;
out:
	crypto_megolm_out_free(m);
	free(rcpt);
	store_crypto_out_members_free(mem, nm);
	store_crypto_out_devices_free(devs, nd);
	return rc;
}

int
net_e2ee_wire(struct net *n, const struct outbox_row *o, char **type,
    char **content)
{
	struct haos_error	 e;
	struct crypto_policy	 p;
	char			*enc, *vis;
	int			 encrypted, rc;

	*type = *content = NULL;
	if (o->state_key != NULL || strcmp(o->type, "m.room.redaction") == 0)
		return 1;	/* in the clear, as the spec says */
	rc = store_crypto_out_wire(n->store, o->txn_id, type, content, &e);
	if (rc == 1)
		return 1;	/* stored: the same bytes again */
	if (rc == -1) {
		log_error("net", "send %s: %s", o->txn_id, e.msg);
		return 0;	/* never in the clear by mistake */
	}
	rc = store_crypto_out_room(n->store, o->room_id, &encrypted, &enc,
	    &vis, &e);
	if (rc == -1) {
		log_error("net", "send %s: %s", o->txn_id, e.msg);
		return 0;
	}
	if (rc == 0) {
		/* Not stored yet (just joined): its encryption is unknown. */
		log_info("net", "send %s: %s is not in the cache yet: waiting",
		    o->txn_id, o->room_id);
		return 0;
	}
	rc = encrypted ? crypto_out_policy(enc, vis, &p, &e) : 0;
	free(enc);
	free(vis);
	if (!encrypted)
		return 1;
	if (rc == -1)
		return net_e2ee_fail(n, o, e.msg);
	p.share = (enum crypto_out_share)n->cfg.share_keys;
	if (n->keys == NULL)
		return net_e2ee_fail(n, o, "this room is encrypted and this "
		    "device has no encryption keys: not sent");
	rc = net_e2ee_prepare(n, o, &p, &e);
	if (rc == -1) {
		log_error("net", "send %s: encryption: %s", o->txn_id, e.msg);
		return 0;
	}
	if (rc == 0)
		return 0;
	if (store_crypto_out_wire(n->store, o->txn_id, type, content,
	    &e) != 1) {
		log_error("net", "send %s: wire copy lost", o->txn_id);
		return 0;
	}
	return 1;
}

/* Withheld (m.no_olm) for d in room_id's session, sent once per device. */
static int
net_e2ee_no_olm(struct net *n, const char *room_id, const char *sid,
    const struct crypto_device *d, json_t *withheld, struct haos_error *err)
{
	const struct crypto_account *a = crypto_keys_account(n->keys);
	int			 sent;

	if ((sent = store_crypto_out_no_olm_sent(n->store, d->user_id,
	    d->device_id, err)) == -1)
		return -1;
	if (!sent)
		net_e2ee_msgs_add(withheld, d, crypto_out_withheld(room_id,
		    sid, crypto_account_curve25519(a), "m.no_olm"));
	return store_crypto_out_share_add(n->store, sid, d->user_id,
	    d->device_id, 0, "m.no_olm", err);
}

/* An m.dummy over the new session o to d (unwedging), in a txn. */
static int
net_e2ee_dummy(struct net *n, struct crypto_olm *o,
    const struct crypto_device *d, struct haos_error *err)
{
	json_t	*msgs, *c, *empty, *dk;
	int	 rc;

	empty = json_object();
	dk = net_e2ee_device_keys(n);
	c = crypto_out_olm(o, crypto_keys_account(n->keys),
	    crypto_keys_user_id(n->keys), dk, d, "m.dummy", empty, err);
	json_decref(dk);
	json_decref(empty);
	if (c == NULL)
		return -1;
	msgs = json_object();
	net_e2ee_msgs_add(msgs, d, c);
	rc = net_e2ee_queue(n, NET_E2EE_ENCRYPTED, msgs, "dummy", err);
	json_decref(msgs);
	return rc;
}

/*
 * One claimed device: a session if its key holds (pickled in the txn),
 * or, for a room, m.no_olm.  For unwedging: the m.dummy, and the mark.
 */
static int
net_e2ee_claimed(struct net *n, const char *room_id, const char *sid,
    const struct crypto_device *d, const json_t *keys, json_t *withheld,
    struct haos_error *err)
{
	const unsigned char	*pk = crypto_keys_pickle_key(n->keys);
	struct haos_error	 e;
	struct crypto_olm	*o = NULL;
	char			*pickle;
	int			 rc = 0;

	if (keys != NULL)
		o = crypto_out_claimed(crypto_keys_account_rw(n->keys), d, keys,
		    &e);
	if (o == NULL) {
		log_warn("net", "no olm session with %s %s: %s", d->user_id,
		    d->device_id, keys != NULL ? e.msg : "no key to claim");
		if (room_id != NULL && sid != NULL)
			return net_e2ee_no_olm(n, room_id, sid, d, withheld,
			    err);
		return room_id == NULL ? store_crypto_out_wedged_done(n->store,
		    d->curve25519, 0, err) : 0;
	}
	if (room_id == NULL && net_e2ee_dummy(n, o, d, err) == -1)
		rc = -1;
	if (rc == 0 && (pickle = crypto_olm_pickle(o, pk, err)) != NULL) {
		rc = store_crypto_out_olm_put(n->store, crypto_olm_id(o),
		    d->curve25519, pickle, err);
		free(pickle);
	} else
		rc = -1;
	if (rc == 0 && room_id == NULL)
		rc = store_crypto_out_wedged_done(n->store, d->curve25519,
		    net_e2ee_wall_ms(), err);
	if (rc == 0)
		log_info("net", "new olm session %s with %s %s%s",
		    crypto_olm_id(o), d->user_id, d->device_id,
		    room_id == NULL ? " (unwedged)" : "");
	crypto_olm_free(o);
	return rc;
}

/* Every device asked for in the claim: one transaction. */
static int
net_e2ee_claim_apply(struct net *n, const char *room_id, const json_t *asked,
    const json_t *answer, struct haos_error *err)
{
	struct crypto_out_state	 st;
	struct crypto_device	*d;
	json_t			*otks, *devs, *v, *withheld;
	const char		*user, *dev;
	char			*sid = NULL, *pickle = NULL;
	int			 rc = 0, have;

	otks = json_get_obj(answer, "one_time_keys");
	if (room_id != NULL && store_crypto_out_session(n->store, room_id,
	    &sid, &pickle, &st, err) == -1)
		return -1;
	free(pickle);
	withheld = json_object();
	if (store_begin(n->store, err) == -1) {
		free(sid);
		json_decref(withheld);
		return -1;
	}
	json_object_foreach((json_t *)asked, user, devs) {
		json_object_foreach(devs, dev, v) {
			have = store_crypto_out_device(n->store, user, dev, &d,
			    err);
			if (have == -1) {
				rc = -1;
				break;
			}
			if (have == 0)
				continue;
			rc = net_e2ee_claimed(n, room_id, sid, d,
			    json_get_obj(json_get_obj(otks, user), dev),
			    withheld, err);
			store_crypto_out_devices_free(d, 1);
			if (rc == -1)
				break;
		}
		if (rc == -1)
			break;
	}
	if (rc == 0 && json_object_size(withheld) > 0)
		rc = net_e2ee_queue(n, NET_E2EE_WITHHELD, withheld, "withheld",
		    err);
	if (rc == 0)
		rc = store_commit(n->store, err);
	if (rc == -1)
		store_rollback(n->store);
	free(sid);
	json_decref(withheld);
	return rc;
}

void
net_e2ee_claim_done(struct net *n, struct net_req *r,
    const struct http_resp *resp, const struct haos_error *err)
{
	struct haos_error	 e;
	json_t			*asked, *answer;

	n->e2ee_claim_in_flight = 0;
	if (n->keys == NULL)
		return;
	if (err != NULL) {
		if (net_check_auth(n, err))
			return;
		n->e2ee_claim_attempt++;
		n->e2ee_claim_next_at = net_now_ms() + http_retry_delay_ms(err,
		    n->e2ee_claim_attempt, &n->seed);
		log_warn("net", "keys/claim failed: %s", err->msg);
		return;
	}
	n->e2ee_claim_attempt = 0;
	asked = json_load_stored(r->claim);
	answer = json_load_answer(resp->body);
	if (net_e2ee_claim_apply(n, r->room_id, asked, answer, &e) == -1)
		log_error("net", "keys/claim: %s", e.msg);
	json_decref(asked);
	json_decref(answer);
}

/* Step 6: claim for the wedged devices, or clear their marks. */
static void
net_e2ee_unwedge(struct net *n)
{
	struct haos_error	 e;
	struct crypto_wedged	*w;
	struct crypto_device	*d;
	json_t			*want;
	size_t			 nw, i;
	int64_t			 now;
	int			 have, nwant = 0;

	if (store_crypto_out_wedged(n->store, &w, &nw, &e) == -1) {
		log_error("net", "olm wedged: %s", e.msg);
		return;
	}
	if (nw == 0)
		return;
	now = net_e2ee_wall_ms();
	want = json_object();
	if (store_begin(n->store, &e) == -1)
		goto out;
	for (i = 0; i < nw; i++) {
		have = 0;
		if (w[i].device_id != NULL && now - w[i].last_new_session_ts >=
		    CRYPTO_OUT_UNWEDGE_MS) {
			have = store_crypto_out_device(n->store, w[i].user_id,
			    w[i].device_id, &d, &e);
			if (have == 1)
				store_crypto_out_devices_free(d, 1);
		}
		if (have == 1) {
			if (json_get_obj(want, w[i].user_id) == NULL)
				json_object_set_new(want, w[i].user_id,
				    json_object());
			json_object_set_new(json_get_obj(want, w[i].user_id),
			    w[i].device_id, json_string("signed_curve25519"));
			nwant++;
			continue;
		}
		log_info("net", "olm session with %s %s not renewed (%s)",
		    w[i].user_id, w[i].device_id != NULL ? w[i].device_id :
		    "?", have == 0 && w[i].device_id != NULL &&
		    now - w[i].last_new_session_ts < CRYPTO_OUT_UNWEDGE_MS ?
		    "one already this hour" : "device unknown");
		if (store_crypto_out_wedged_done(n->store, w[i].peer_curve25519,
		    0, &e) == -1) {
			store_rollback(n->store);
			log_error("net", "olm wedged: %s", e.msg);
			goto out;
		}
	}
	if (store_commit(n->store, &e) == -1) {
		store_rollback(n->store);
		log_error("net", "olm wedged: %s", e.msg);
		goto out;
	}
	if (nwant > 0) {
		net_e2ee_claim(n, NULL, want);
		want = NULL;
	}
out:
	json_decref(want);
	store_crypto_out_wedged_free(w, nw);
}

void
net_e2ee_todev_done(struct net *n, struct net_req *r,
    const struct http_resp *resp __unused, const struct haos_error *err)
{
	struct haos_error	 e;

	n->e2ee_todev_in_flight = 0;
	if (err != NULL && net_check_auth(n, err))
		return;
	if (err != NULL && http_retryable(err)) {
		n->e2ee_todev_attempt++;
		n->e2ee_todev_next_at = net_now_ms() + http_retry_delay_ms(err,
		    n->e2ee_todev_attempt, &n->seed);
		log_warn("net", "sendToDevice %s failed, will retry: %s",
		    r->txn_id, err->msg);
		return;
	}
	/* Sent, or refused for good: a body refused now always will be. */
	if (err != NULL)
		log_error("net", "sendToDevice %s refused: %s", r->txn_id,
		    err->msg);
	n->e2ee_todev_attempt = 0;
	if (store_crypto_out_todev_delete(n->store, r->txn_id, &e) == -1)
		log_error("net", "to-device out: %s", e.msg);
}

void
net_e2ee_pump(struct net *n, int64_t now)
{
	struct haos_error	 e;
	struct matrix_req	*req;
	struct net_req		*r;
	char			*txn, *type, *body;

	if (n->keys == NULL || n->auth_failed)
		return;
	if (!n->e2ee_claim_in_flight && now >= n->e2ee_claim_next_at)
		net_e2ee_unwedge(n);
	if (n->e2ee_todev_in_flight || now < n->e2ee_todev_next_at)
		return;
	if (store_crypto_out_todev_next(n->store, &txn, &type, &body,
	    &e) != 1)
		return;
	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_TODEVICE;
	r->txn_id = txn;
	req = matrix_req_send_to_device(type, txn, body);
	if (net_request(n, r, req->method, req->path, req->body,
	    n->cfg.request_timeout_ms) == 0)
		n->e2ee_todev_in_flight = 1;
	else
		net_req_free(r);
	matrix_req_free(req);
	free(type);
	free(body);
}
