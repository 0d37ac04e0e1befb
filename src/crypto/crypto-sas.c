/* Emoji verification (m.sas.v1): the transactions, events in, events out. */

/*
 * The spec's key verification framework and SAS method, E2EE.md Step 8:
 *
 *	request -> ready -> start -> accept -> key -> key -> mac -> mac
 *	-> done
 *
 * to-device (transaction_id in every content) or in a DM (the request an
 * m.room.message whose event id names the transaction, the others
 * related to it with m.reference).  The requester sends the start; two
 * starts are settled for the smaller user id (then device id).  The
 * keys verified are fixed when the other device is known (the request,
 * or its ready; a device the store lacks is asked for and its key event
 * held until it comes, CRYPTO_SAS_KEYS_WAIT_MS at most) and named by
 * key: a device id equal to a master key is
 * refused, and a master key's MAC is matched before a device's
 * (CVE-2022-39250).  Pure: the lookups come from crypto_sas_env, the
 * messages go to a queue, the clock is an argument.
 */
#include "haos/crypto-sas.h"

#include <stdlib.h>
#include <string.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/log.h"
#include "haos/xmalloc.h"

#include "crypto-int.h"

#define SAS_PREFIX	"m.key.verification."
#define SAS_METHOD	"m.sas.v1"
#define SAS_KA		"curve25519-hkdf-sha256"
#define SAS_HASH	"sha256"
#define SAS_MAC_V2	"hkdf-hmac-sha256.v2"
#define SAS_MAC_OLD	"hkdf-hmac-sha256"
#define SAS_FUTURE_MS	(5 * 60 * 1000)	/* a request from the future */
#define SAS_CODE_MAX	64
#define SAS_ID_MAX	255		/* transaction, device ids */
#define SAS_TXNS_MAX	16		/* kept at once: a flood of
					   requests is dropped */

struct crypto_sas_txn {
	char			*txn;		/* NULL: in-room, not sent */
	char			*local_id;
	char			*room_id;
	char			*their_user;
	char			*their_device;
	char			*their_ed25519;	/* fixed with the device */
	char			*their_msk;
	int			 keys_fixed;
	int			 keys_wait;	/* their device unknown */
	json_t			*held_key;	/* their key, until fixed */
	int64_t			 held_since;
	int			 to_all;	/* request to all our devices */
	enum verify_state	 state;
	int			 we_started;	/* we sent the request */
	int			 we_start;	/* we sent the start */
	int64_t			 created;
	json_t			*start;		/* the start's content */
	char			*commitment;
	int			 mac_v2;
	int			 has_emoji;
	struct crypto_sas_engine *sas;
	json_t			*their_mac;	/* before our confirmation */
	int			 emoji[CRYPTO_SAS_EMOJI];
	int			 decimal[CRYPTO_SAS_DECIMAL];
	char			*cancel_code;
	int			 cancelled_by_us;
	int			 device_verified;
	int			 msk_verified;
};

struct crypto_sas_list {
	struct crypto_sas_self	 self;
	struct crypto_sas_env	 env;
	struct crypto_sas_txn	**txns;
	size_t			 ntxns;
	struct crypto_sas_msg	**out;
	size_t			 nout;
};

static const char *const sas_macs[] = { SAS_MAC_V2, SAS_MAC_OLD };
static const char *const sas_strings[] = { "emoji", "decimal" };

void
crypto_sas_msg_free(struct crypto_sas_msg *m)
{
	if (m == NULL)
		return;
	free(m->type);
	free(m->user_id);
	free(m->device_id);
	free(m->room_id);
	free(m->local_id);
	json_decref(m->content);
	free(m);
}

static void
crypto_sas_wipe(struct crypto_sas_txn *t)
{
	crypto_sas_engine_free(t->sas);
	t->sas = NULL;
	json_decref(t->their_mac);
	t->their_mac = NULL;
	json_decref(t->held_key);
	t->held_key = NULL;
}

static void
crypto_sas_txn_free(struct crypto_sas_txn *t)
{
	crypto_sas_wipe(t);
	free(t->txn);
	free(t->local_id);
	free(t->room_id);
	free(t->their_user);
	free(t->their_device);
	free(t->their_ed25519);
	free(t->their_msk);
	json_decref(t->start);
	free(t->commitment);
	free(t->cancel_code);
	free(t);
}

struct crypto_sas_list *
crypto_sas_list_new(const struct crypto_sas_self *self,
    const struct crypto_sas_env *env)
{
	struct crypto_sas_list	*l;

	l = xcalloc(1, sizeof *l);
	l->self = *self;
	l->env = *env;
	return l;
}

void
crypto_sas_set_msk(struct crypto_sas_list *l, const char *msk)
{
	l->self.msk = msk;
}

void
crypto_sas_list_free(struct crypto_sas_list *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->ntxns; i++)
		crypto_sas_txn_free(l->txns[i]);
	for (i = 0; i < l->nout; i++)
		crypto_sas_msg_free(l->out[i]);
	free(l->txns);
	free(l->out);
	free(l);
}

/* A new transaction id: 16 random bytes, URL-safe base64. */
static char *
crypto_sas_new_id(void)
{
	unsigned char	 r[16];

	crypto_random(r, sizeof r);
	return base64_url_encode(r, sizeof r);
}

static struct crypto_sas_txn *
crypto_sas_find(struct crypto_sas_list *l, const char *txn,
    const char *room_id)
{
	struct crypto_sas_txn	*t;
	size_t			 i;

	for (i = 0; i < l->ntxns; i++) {
		t = l->txns[i];
		if (t->txn == NULL || strcmp(t->txn, txn) != 0)
			continue;
		if ((room_id == NULL) != (t->room_id == NULL))
			continue;
		if (room_id == NULL || strcmp(room_id, t->room_id) == 0)
			return t;
	}
	return NULL;
}

static struct crypto_sas_txn *
crypto_sas_add(struct crypto_sas_list *l, const char *their_user,
    const char *room_id, int64_t now)
{
	struct crypto_sas_txn	*t;

	t = xcalloc(1, sizeof *t);
	t->their_user = xstrdup(their_user);
	t->room_id = room_id != NULL ? xstrdup(room_id) : NULL;
	t->created = now;
	l->txns = xrealloc(l->txns, (l->ntxns + 1) * sizeof *l->txns);
	l->txns[l->ntxns++] = t;
	return t;
}

/* Queue a message to device (NULL: the transaction's peer device). */
static void
crypto_sas_queue(struct crypto_sas_list *l, struct crypto_sas_txn *t,
    const char *type, json_t *content, const char *device)
{
	struct crypto_sas_msg	*m;
	json_t			*rel;

	m = xcalloc(1, sizeof *m);
	m->user_id = xstrdup(t->their_user);
	if (t->room_id != NULL) {
		m->room_id = xstrdup(t->room_id);
		if (strcmp(type, SAS_PREFIX "request") == 0) {
			m->type = xstrdup("m.room.message");
			m->local_id = xstrdup(t->local_id);
		} else {
			m->type = xstrdup(type);
			rel = json_pack("{s:s, s:s}", "rel_type",
			    "m.reference", "event_id", t->txn);
			json_object_set_new(content, "m.relates_to", rel);
		}
	} else {
		m->type = xstrdup(type);
		if (device == NULL)
			device = t->their_device != NULL ? t->their_device :
			    "*";
		m->device_id = xstrdup(device);
		json_object_set_new(content, "transaction_id",
		    json_string(t->txn));
	}
	m->content = content;
	l->out = xrealloc(l->out, (l->nout + 1) * sizeof *l->out);
	l->out[l->nout++] = m;
}

struct crypto_sas_msg *
crypto_sas_next(struct crypto_sas_list *l)
{
	struct crypto_sas_msg	*m;

	if (l->nout == 0)
		return NULL;
	m = l->out[0];
	memmove(l->out, l->out + 1, (l->nout - 1) * sizeof *l->out);
	l->nout--;
	return m;
}

/* Our cancel: sent, the transaction ended and its secrets dropped. */
static int
crypto_sas_cancel_txn(struct crypto_sas_list *l, struct crypto_sas_txn *t,
    const char *code, const char *reason)
{
	if (t->state == VERIFY_DONE || t->state == VERIFY_CANCELLED)
		return 0;
	log_info("crypto", "verification %s with %s: cancelled, %s",
	    t->txn != NULL ? t->txn : "(not sent)", t->their_user, code);
	if (t->txn != NULL)
		crypto_sas_queue(l, t, SAS_PREFIX "cancel", json_pack(
		    "{s:s, s:s}", "code", code, "reason", reason), NULL);
	t->state = VERIFY_CANCELLED;
	t->cancel_code = xstrdup(code);
	t->cancelled_by_us = 1;
	crypto_sas_wipe(t);
	return 1;
}

/* 1 if the array arr holds the string s. */
static int
crypto_sas_has(const json_t *arr, const char *s)
{
	size_t	 i;
	json_t	*v;

	json_array_foreach(arr, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	}
	return 0;
}

static json_t *
crypto_sas_methods(void)
{
	return json_pack("[s]", SAS_METHOD);
}

/*
 * Fix the keys to verify once the other device is known: its ed25519
 * key and its user's master key as the store has them now.  A device
 * id that is a master key (ours or theirs) is the key-ID swap of
 * CVE-2022-39250: refused.  A device the store lacks (its list not
 * queried yet: a new device) leaves them unfixed, the list asked for
 * once (want_keys); crypto_sas_tick() tries again.
 */
static int
crypto_sas_fix_keys(struct crypto_sas_list *l, struct crypto_sas_txn *t)
{
	const struct crypto_sas_env	*env = &l->env;

	if (t->keys_fixed || t->their_device == NULL)
		return 0;
	free(t->their_msk);
	t->their_msk = NULL;
	free(t->their_ed25519);
	t->their_ed25519 = NULL;
	if (env->master_key != NULL && env->master_key(env->arg,
	    t->their_user, &t->their_msk) != 1)
		t->their_msk = NULL;
	if ((t->their_msk != NULL &&
	    strcmp(t->their_device, t->their_msk) == 0) ||
	    (l->self.msk != NULL &&
	    strcmp(t->their_device, l->self.msk) == 0)) {
		log_warn("crypto", "verification with %s: device id %s is a "
		    "master key", t->their_user, t->their_device);
		crypto_sas_cancel_txn(l, t, "m.key_mismatch",
		    "device id is a master key");
		return -1;
	}
	if (env->device_key != NULL && env->device_key(env->arg,
	    t->their_user, t->their_device, &t->their_ed25519) != 1) {
		t->their_ed25519 = NULL;
		if (!t->keys_wait) {
			t->keys_wait = 1;
			log_info("crypto", "verification with %s: device %s "
			    "not known yet: its keys asked for",
			    t->their_user, t->their_device);
			if (env->want_keys != NULL)
				env->want_keys(env->arg, t->their_user);
		}
		return 0;
	}
	t->keys_fixed = 1;
	t->keys_wait = 0;
	return 0;
}

const char *
crypto_sas_request(struct crypto_sas_list *l, const char *user_id,
    const char *device_id, const char *room_id, int64_t now,
    const char **why)
{
	struct crypto_sas_txn	*t;
	json_t			*c;

	*why = NULL;
	if (room_id == NULL && device_id == NULL &&
	    strcmp(user_id, l->self.user_id) != 0) {
		*why = "another user is verified in a DM or by device";
		return NULL;
	}
	if (room_id != NULL && strcmp(user_id, l->self.user_id) == 0) {
		*why = "our own devices are verified to-device";
		return NULL;
	}
	if (device_id != NULL && strcmp(user_id, l->self.user_id) == 0 &&
	    strcmp(device_id, l->self.device_id) == 0) {
		*why = "this is the device itself";
		return NULL;
	}
	t = crypto_sas_add(l, user_id, room_id, now);
	t->we_started = 1;
	t->state = VERIFY_REQUESTED;
	c = json_pack("{s:s, s:o}", "from_device", l->self.device_id,
	    "methods", crypto_sas_methods());
	if (room_id != NULL) {
		t->local_id = crypto_sas_new_id();
		json_object_set_new(c, "msgtype",
		    json_string(SAS_PREFIX "request"));
		json_object_set_new(c, "to", json_string(user_id));
		json_object_set_new(c, "body", json_string("asks to verify "
		    "your keys; your client cannot show in-room "
		    "verification"));
		crypto_sas_queue(l, t, SAS_PREFIX "request", c, NULL);
		return t->local_id;
	}
	if (device_id != NULL) {
		t->their_device = xstrdup(device_id);
		if (crypto_sas_fix_keys(l, t) == -1) {
			json_decref(c);
			crypto_sas_forget(l, NULL);
			*why = "that device id is a master key";
			return NULL;
		}
	} else
		t->to_all = 1;
	t->txn = crypto_sas_new_id();
	json_object_set_new(c, "timestamp", json_integer(now));
	crypto_sas_queue(l, t, SAS_PREFIX "request", c, device_id);
	return t->txn;
}

int
crypto_sas_request_sent(struct crypto_sas_list *l, const char *local_id,
    const char *event_id)
{
	size_t	 i;

	for (i = 0; i < l->ntxns; i++) {
		if (l->txns[i]->local_id != NULL && l->txns[i]->txn == NULL &&
		    strcmp(l->txns[i]->local_id, local_id) == 0) {
			l->txns[i]->txn = xstrdup(event_id);
			return 1;
		}
	}
	return 0;
}

/* Their request: a transaction for the user to accept or decline. */
static int
crypto_sas_on_request(struct crypto_sas_list *l, const char *sender,
    const char *room_id, const char *txn, const json_t *c, int64_t now)
{
	struct crypto_sas_txn	*t;
	const char		*from;
	json_int_t		 ts;

	from = json_get_str(c, "from_device", NULL);
	if (from == NULL || !json_is_array(json_get_arr(c, "methods")))
		return 0;
	if (strcmp(sender, l->self.user_id) == 0 &&
	    strcmp(from, l->self.device_id) == 0)
		return 0;		/* our own, to all our devices */
	if (room_id != NULL) {
		if (strcmp(json_get_str(c, "to", ""), l->self.user_id) != 0 ||
		    strcmp(sender, l->self.user_id) == 0)
			return 0;
	} else {
		ts = json_get_int(c, "timestamp", 0);
		if (ts < now - CRYPTO_SAS_TIMEOUT_MS ||
		    ts > now + SAS_FUTURE_MS) {
			log_info("crypto", "verification request %s from %s: "
			    "too old or from the future, ignored", txn,
			    sender);
			return 0;
		}
	}
	if (crypto_sas_find(l, txn, room_id) != NULL)
		return 0;
	if (l->ntxns >= SAS_TXNS_MAX) {
		log_warn("crypto", "verification request %s from %s: too many "
		    "under way, ignored", txn, sender);
		return 0;
	}
	t = crypto_sas_add(l, sender, room_id, now);
	t->txn = xstrdup(txn);
	t->their_device = xstrdup(from);
	t->state = VERIFY_INCOMING;
	log_info("crypto", "verification %s: request from %s (%s)", txn,
	    sender, from);
	if (!crypto_sas_has(json_get_arr(c, "methods"), SAS_METHOD))
		return crypto_sas_cancel_txn(l, t, "m.unknown_method",
		    "only m.sas.v1 is known");
	crypto_sas_fix_keys(l, t);
	return 1;
}

/* Our start, as requester: its content kept for the commitment. */
static void
crypto_sas_send_start(struct crypto_sas_list *l, struct crypto_sas_txn *t)
{
	json_t	*c;

	c = json_pack("{s:s, s:s, s:[s], s:[s], s:[s,s], s:[s,s]}",
	    "from_device", l->self.device_id, "method", SAS_METHOD,
	    "key_agreement_protocols", SAS_KA, "hashes", SAS_HASH,
	    "message_authentication_codes", SAS_MAC_V2, SAS_MAC_OLD,
	    "short_authentication_string", "emoji", "decimal");
	crypto_sas_queue(l, t, SAS_PREFIX "start", c, NULL);
	json_decref(t->start);
	t->start = json_deep_copy(c);
	t->we_start = 1;
	t->state = VERIFY_STARTED;
}

/* The other devices our request went to learn it is taken elsewhere. */
static void
crypto_sas_accepted_elsewhere(struct crypto_sas_list *l,
    struct crypto_sas_txn *t)
{
	char	**ids = NULL;
	size_t	  i;

	if (l->env.own_devices == NULL ||
	    l->env.own_devices(l->env.arg, &ids) != 1)
		return;
	for (i = 0; ids[i] != NULL; i++) {
		if (strcmp(ids[i], t->their_device) != 0 &&
		    strcmp(ids[i], l->self.device_id) != 0)
			crypto_sas_queue(l, t, SAS_PREFIX "cancel", json_pack(
			    "{s:s, s:s}", "code", "m.accepted", "reason",
			    "accepted by another device"), ids[i]);
		free(ids[i]);
	}
	free(ids);
}

static int
crypto_sas_on_ready(struct crypto_sas_list *l, struct crypto_sas_txn *t,
    const json_t *c)
{
	const char	*from;

	if (!t->we_started || t->state != VERIFY_REQUESTED)
		return crypto_sas_cancel_txn(l, t, "m.unexpected_message",
		    "ready out of turn");
	from = json_get_str(c, "from_device", NULL);
	if (from == NULL || !json_is_array(json_get_arr(c, "methods")))
		return crypto_sas_cancel_txn(l, t, "m.invalid_message",
		    "ready without from_device or methods");
	if (!crypto_sas_has(json_get_arr(c, "methods"), SAS_METHOD))
		return crypto_sas_cancel_txn(l, t, "m.unknown_method",
		    "only m.sas.v1 is known");
	if (t->their_device != NULL && strcmp(t->their_device, from) != 0)
		return crypto_sas_cancel_txn(l, t, "m.user_mismatch",
		    "ready from another device");
	if (t->their_device == NULL) {
		t->their_device = xstrdup(from);
		if (t->to_all)
			crypto_sas_accepted_elsewhere(l, t);
	}
	if (crypto_sas_fix_keys(l, t) == -1)
		return 1;
	crypto_sas_send_start(l, t);
	return 1;
}

/* Whose start wins when both sent one: the smaller user, then device. */
static int
crypto_sas_ours_wins(struct crypto_sas_list *l, struct crypto_sas_txn *t)
{
	int	 c;

	c = strcmp(l->self.user_id, t->their_user);
	if (c == 0)
		c = strcmp(l->self.device_id, t->their_device);
	return c < 0;
}

/* The first of ours (in our order of preference) that they offer. */
static const char *
crypto_sas_pick(const json_t *theirs, const char *const *ours, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (crypto_sas_has(theirs, ours[i]))
			return ours[i];
	return NULL;
}

static char *
crypto_sas_commitment(const char *pubkey, const json_t *start)
{
	struct haos_error	 err = { 0 };
	char			*cj, *in, *out;

	cj = canonical_json(start, &err);
	if (cj == NULL)
		return NULL;
	in = xasprintf("%s%s", pubkey, cj);
	out = crypto_sas_engine_sha256(in, strlen(in));
	free(in);
	free(cj);
	return out;
}

static int
crypto_sas_on_start(struct crypto_sas_list *l, struct crypto_sas_txn *t,
    const json_t *c)
{
	struct haos_error	 err = { 0 };
	const char		*mac;
	json_t			*sas, *acc;

	if (t->state == VERIFY_STARTED && t->we_start) {
		if (strcmp(json_get_str(c, "method", ""), SAS_METHOD) != 0)
			return crypto_sas_cancel_txn(l, t,
			    "m.unexpected_message", "two starts, two methods");
		if (crypto_sas_ours_wins(l, t)) {
			log_info("crypto", "verification %s: two starts, ours "
			    "stands", t->txn);
			return 0;
		}
		log_info("crypto", "verification %s: two starts, theirs "
		    "stands", t->txn);
		t->we_start = 0;
		json_decref(t->start);
		t->start = NULL;
		t->state = VERIFY_READY;
	}
	if (t->state != VERIFY_READY)
		return crypto_sas_cancel_txn(l, t, "m.unexpected_message",
		    "start out of turn");
	if (strcmp(json_get_str(c, "from_device", ""), t->their_device) != 0)
		return crypto_sas_cancel_txn(l, t, "m.user_mismatch",
		    "start from another device");
	if (strcmp(json_get_str(c, "method", ""), SAS_METHOD) != 0)
		return crypto_sas_cancel_txn(l, t, "m.unknown_method",
		    "only m.sas.v1 is known");
	sas = json_array();
	if (crypto_sas_has(json_get_arr(c, "short_authentication_string"),
	    "emoji"))
		json_array_append_new(sas, json_string("emoji"));
	if (crypto_sas_has(json_get_arr(c, "short_authentication_string"),
	    "decimal"))
		json_array_append_new(sas, json_string("decimal"));
	mac = crypto_sas_pick(json_get_arr(c,
	    "message_authentication_codes"), sas_macs, nitems(sas_macs));
	if (!crypto_sas_has(json_get_arr(c, "key_agreement_protocols"),
	    SAS_KA) || !crypto_sas_has(json_get_arr(c, "hashes"), SAS_HASH) ||
	    mac == NULL || json_array_size(sas) == 0) {
		json_decref(sas);
		return crypto_sas_cancel_txn(l, t, "m.unknown_method",
		    "no method in common");
	}
	t->sas = crypto_sas_engine_new(&err);
	if (t->sas == NULL) {
		json_decref(sas);
		log_warn("crypto", "verification %s: %s", t->txn, err.msg);
		return crypto_sas_cancel_txn(l, t, "m.unexpected_message",
		    "internal error");
	}
	json_decref(t->start);
	t->start = json_deep_copy(c);
	free(t->commitment);
	t->commitment = crypto_sas_commitment(crypto_sas_engine_pubkey(t->sas),
	    c);
	if (t->commitment == NULL) {
		json_decref(sas);
		return crypto_sas_cancel_txn(l, t, "m.invalid_message",
		    "start is not canonical JSON");
	}
	t->mac_v2 = strcmp(mac, SAS_MAC_V2) == 0;
	t->has_emoji = crypto_sas_has(sas, "emoji");
	acc = json_pack("{s:s, s:s, s:s, s:o, s:s}", "key_agreement_protocol",
	    SAS_KA, "hash", SAS_HASH, "message_authentication_code", mac,
	    "short_authentication_string", sas, "commitment", t->commitment);
	crypto_sas_queue(l, t, SAS_PREFIX "accept", acc, NULL);
	t->state = VERIFY_ACCEPTED;
	return 1;
}

static int
crypto_sas_on_accept(struct crypto_sas_list *l, struct crypto_sas_txn *t,
    const json_t *c)
{
	struct haos_error	 err = { 0 };
	const char		*mac, *commitment;
	const json_t		*sas, *v;
	size_t			 i;

	if (t->state != VERIFY_STARTED || !t->we_start)
		return crypto_sas_cancel_txn(l, t, "m.unexpected_message",
		    "accept out of turn");
	mac = json_get_str(c, "message_authentication_code", "");
	sas = json_get_arr(c, "short_authentication_string");
	commitment = json_get_str(c, "commitment", NULL);
	if (commitment == NULL || !json_is_array(sas))
		return crypto_sas_cancel_txn(l, t, "m.invalid_message",
		    "accept without commitment or SAS methods");
	if (strcmp(json_get_str(c, "key_agreement_protocol", ""), SAS_KA) ||
	    strcmp(json_get_str(c, "hash", ""), SAS_HASH) != 0 ||
	    (strcmp(mac, SAS_MAC_V2) != 0 && strcmp(mac, SAS_MAC_OLD) != 0) ||
	    json_array_size(sas) == 0)
		return crypto_sas_cancel_txn(l, t, "m.unknown_method",
		    "accept of a method not offered");
	json_array_foreach(sas, i, v) {
		if (!json_is_string(v) || (strcmp(json_string_value(v),
		    sas_strings[0]) != 0 && strcmp(json_string_value(v),
		    sas_strings[1]) != 0))
			return crypto_sas_cancel_txn(l, t, "m.unknown_method",
			    "accept of a SAS not offered");
	}
	t->mac_v2 = strcmp(mac, SAS_MAC_V2) == 0;
	t->has_emoji = crypto_sas_has(sas, "emoji");
	t->commitment = xstrdup(commitment);
	t->sas = crypto_sas_engine_new(&err);
	if (t->sas == NULL) {
		log_warn("crypto", "verification %s: %s", t->txn, err.msg);
		return crypto_sas_cancel_txn(l, t, "m.unexpected_message",
		    "internal error");
	}
	crypto_sas_queue(l, t, SAS_PREFIX "key", json_pack("{s:s}", "key",
	    crypto_sas_engine_pubkey(t->sas)), NULL);
	t->state = VERIFY_KEY_SENT;
	return 1;
}

/* Their key set: the emoji and decimal SAS of both keys. */
static int
crypto_sas_derive(struct crypto_sas_list *l, struct crypto_sas_txn *t,
    const char *their_key)
{
	struct haos_error	 err = { 0 };
	unsigned char		 b[6];
	const char		*ours;
	char			*info;
	int			 rc;

	if (crypto_sas_engine_set_their_key(t->sas, their_key, &err) == -1)
		return crypto_sas_cancel_txn(l, t, "m.invalid_message",
		    "bad key");
	ours = crypto_sas_engine_pubkey(t->sas);
	if (t->we_start)
		info = xasprintf("MATRIX_KEY_VERIFICATION_SAS|%s|%s|%s|%s|%s|"
		    "%s|%s", l->self.user_id, l->self.device_id, ours,
		    t->their_user, t->their_device, their_key, t->txn);
	else
		info = xasprintf("MATRIX_KEY_VERIFICATION_SAS|%s|%s|%s|%s|%s|"
		    "%s|%s", t->their_user, t->their_device, their_key,
		    l->self.user_id, l->self.device_id, ours, t->txn);
	rc = crypto_sas_engine_bytes(t->sas, info, b, sizeof b, &err);
	free(info);
	if (rc == -1)
		return crypto_sas_cancel_txn(l, t, "m.invalid_message",
		    "no SAS");
	crypto_sas_emoji_indices(b, t->emoji);
	crypto_sas_emoji_decimal(b, t->decimal);
	explicit_bzero(b, sizeof b);
	t->state = VERIFY_SHOW;
	return 1;
}

static int
crypto_sas_on_key(struct crypto_sas_list *l, struct crypto_sas_txn *t,
    const json_t *c, int64_t now)
{
	const char	*key;
	char		*mine;
	int		 ok;

	key = json_get_str(c, "key", NULL);
	if (t->state != VERIFY_KEY_SENT && t->state != VERIFY_ACCEPTED)
		return crypto_sas_cancel_txn(l, t, "m.unexpected_message",
		    "key out of turn");
	if (key == NULL)
		return crypto_sas_cancel_txn(l, t, "m.invalid_message",
		    "key without a key");
	/* No SAS before the keys it verifies are fixed: held. */
	if (crypto_sas_fix_keys(l, t) == -1)
		return 1;
	if (!t->keys_fixed && t->keys_wait) {
		if (t->held_key != NULL)
			return crypto_sas_cancel_txn(l, t,
			    "m.unexpected_message", "key out of turn");
		t->held_key = json_deep_copy(c);
		t->held_since = now;
		log_info("crypto", "verification %s: key held until device "
		    "%s of %s is known", t->txn, t->their_device,
		    t->their_user);
		return 0;
	}
	if (t->state == VERIFY_KEY_SENT) {
		mine = crypto_sas_commitment(key, t->start);
		ok = mine != NULL && strcmp(mine, t->commitment) == 0;
		free(mine);
		if (!ok)
			return crypto_sas_cancel_txn(l, t,
			    "m.mismatched_commitment", "commitment differs");
	} else
		crypto_sas_queue(l, t, SAS_PREFIX "key", json_pack("{s:s}",
		    "key", crypto_sas_engine_pubkey(t->sas)), NULL);
	return crypto_sas_derive(l, t, key);
}

/* The MAC of one input under base info + what. */
static char *
crypto_sas_mac(struct crypto_sas_txn *t, const char *base, const char *what,
    const char *input)
{
	struct haos_error	 err = { 0 };
	char			*info, *mac;

	info = xasprintf("%s%s", base, what);
	mac = crypto_sas_engine_mac(t->sas, input, info, t->mac_v2, &err);
	free(info);
	return mac;
}

/* The same as a JSON string (empty if the engine failed). */
static json_t *
crypto_sas_mac_json(struct crypto_sas_txn *t, const char *base,
    const char *what, const char *input)
{
	char	*mac;
	json_t	*j;

	mac = crypto_sas_mac(t, base, what, input);
	j = json_string(mac != NULL ? mac : "");
	free(mac);
	return j;
}

static int
crypto_sas_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted, comma-joined key ids of a mac object. */
static char *
crypto_sas_key_ids(const json_t *mac)
{
	const char	**ids, *k;
	struct xbuf	  b = { 0 };
	json_t		 *v;
	size_t		  n = 0, i;

	ids = xcalloc(json_object_size(mac) + 1, sizeof *ids);
	json_object_foreach((json_t *)mac, k, v)
		ids[n++] = k;
	qsort(ids, n, sizeof *ids, crypto_sas_strcmp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			xbuf_add(&b, ",", 1);
		xbuf_add(&b, ids[i], strlen(ids[i]));
	}
	free(ids);
	return b.p != NULL ? b.p : xstrdup("");
}

static void
crypto_sas_send_mac(struct crypto_sas_list *l, struct crypto_sas_txn *t)
{
	json_t	*mac;
	char	*base, *id, *ids;

	base = xasprintf("MATRIX_KEY_VERIFICATION_MAC%s%s%s%s%s",
	    l->self.user_id, l->self.device_id, t->their_user,
	    t->their_device, t->txn);
	mac = json_object();
	id = xasprintf("ed25519:%s", l->self.device_id);
	json_object_set_new(mac, id, crypto_sas_mac_json(t, base, id,
	    l->self.ed25519));
	free(id);
	if (l->self.msk != NULL) {
		id = xasprintf("ed25519:%s", l->self.msk);
		json_object_set_new(mac, id, crypto_sas_mac_json(t, base,
		    id, l->self.msk));
		free(id);
	}
	ids = crypto_sas_key_ids(mac);
	crypto_sas_queue(l, t, SAS_PREFIX "mac", json_pack("{s:o, s:o}",
	    "mac", mac, "keys", crypto_sas_mac_json(t, base, "KEY_IDS", ids)),
	    NULL);
	free(ids);
	free(base);
}

/* 1 if the MAC under key id names input; the comparison of two strings. */
static int
crypto_sas_mac_ok(struct crypto_sas_txn *t, const char *base,
    const char *key_id, const char *input, const char *mac)
{
	char	*want;
	int	 ok;

	want = crypto_sas_mac(t, base, key_id, input);
	ok = want != NULL && mac != NULL && strcmp(want, mac) == 0;
	free(want);
	return ok;
}

/*
 * Their MAC, once the user said the emoji match: the KEY_IDS MAC, then
 * the master key (a key id naming it), then the device.  Key ids that
 * name neither are not ours to verify and are skipped; one that fails
 * is m.key_mismatch.
 */
static int
crypto_sas_check_mac(struct crypto_sas_list *l, struct crypto_sas_txn *t,
    const json_t *c)
{
	const json_t	*mac;
	const char	*keys, *k;
	char		*base, *ids, *dev_id, *msk_id = NULL;
	json_t		*v;
	int		 ok, msk = 0, dev = 0;

	mac = json_get_obj(c, "mac");
	keys = json_get_str(c, "keys", NULL);
	if (!json_is_object(mac) || keys == NULL)
		return crypto_sas_cancel_txn(l, t, "m.invalid_message",
		    "mac without mac or keys");
	json_object_foreach((json_t *)mac, k, v) {
		if (!json_is_string(v))
			return crypto_sas_cancel_txn(l, t, "m.invalid_message",
			    "a MAC that is not a string");
	}
	base = xasprintf("MATRIX_KEY_VERIFICATION_MAC%s%s%s%s%s",
	    t->their_user, t->their_device, l->self.user_id,
	    l->self.device_id, t->txn);
	ids = crypto_sas_key_ids(mac);
	ok = crypto_sas_mac_ok(t, base, "KEY_IDS", ids, keys);
	free(ids);
	dev_id = xasprintf("ed25519:%s", t->their_device);
	if (t->their_msk != NULL)
		msk_id = xasprintf("ed25519:%s", t->their_msk);
	if (ok && msk_id != NULL && json_get_str(mac, msk_id, NULL) != NULL) {
		ok = crypto_sas_mac_ok(t, base, msk_id, t->their_msk,
		    json_get_str(mac, msk_id, NULL));
		msk = ok;
	}
	if (ok && json_get_str(mac, dev_id, NULL) != NULL) {
		ok = t->their_ed25519 != NULL && crypto_sas_mac_ok(t, base,
		    dev_id, t->their_ed25519, json_get_str(mac, dev_id, NULL));
		dev = ok;
	}
	free(base);
	free(dev_id);
	free(msk_id);
	if (!ok || (!msk && !dev))
		return crypto_sas_cancel_txn(l, t, "m.key_mismatch",
		    "a MAC does not match");
	t->device_verified = dev;
	t->msk_verified = msk;
	crypto_sas_queue(l, t, SAS_PREFIX "done", json_object(), NULL);
	t->state = VERIFY_DONE;
	crypto_sas_wipe(t);
	log_info("crypto", "verification %s: %s %s verified%s", t->txn,
	    t->their_user, dev ? t->their_device : "(no device)",
	    msk ? ", and the master key" : "");
	return 1;
}

static int
crypto_sas_on_mac(struct crypto_sas_list *l, struct crypto_sas_txn *t,
    const json_t *c)
{
	/* Before our confirmation (or while their key is held): kept. */
	if ((t->state == VERIFY_SHOW || t->held_key != NULL) &&
	    t->their_mac == NULL) {
		t->their_mac = json_deep_copy(c);
		return 0;
	}
	if (t->state != VERIFY_CONFIRMED)
		return crypto_sas_cancel_txn(l, t, "m.unexpected_message",
		    "mac out of turn");
	return crypto_sas_check_mac(l, t, c);
}

static int
crypto_sas_on_cancel(struct crypto_sas_txn *t, const json_t *c)
{
	const char	*code;

	if (t->state == VERIFY_DONE || t->state == VERIFY_CANCELLED)
		return 0;
	code = json_get_str(c, "code", "m.user");
	t->cancel_code = xstrndup(code, strnlen(code, SAS_CODE_MAX));
	t->state = VERIFY_CANCELLED;
	t->cancelled_by_us = 0;
	crypto_sas_wipe(t);
	log_info("crypto", "verification %s: cancelled by %s, %s", t->txn,
	    t->their_user, t->cancel_code);
	return 1;
}

/* The transaction id an event names, or NULL. */
static const char *
crypto_sas_txn_of(const char *room_id, const char *event_id,
    const char **type, const json_t *c)
{
	const json_t	*rel;

	if (room_id == NULL)
		return json_get_str(c, "transaction_id", NULL);
	if (strcmp(*type, "m.room.message") == 0) {
		if (strcmp(json_get_str(c, "msgtype", ""),
		    SAS_PREFIX "request") != 0)
			return NULL;
		*type = SAS_PREFIX "request";
		return event_id;
	}
	rel = json_get_obj(c, "m.relates_to");
	if (strcmp(json_get_str(rel, "rel_type", ""), "m.reference") != 0)
		return NULL;
	return json_get_str(rel, "event_id", NULL);
}

int
crypto_sas_receive(struct crypto_sas_list *l, const char *sender,
    const char *room_id, const char *event_id, const char *type,
    const json_t *c, int64_t now)
{
	struct crypto_sas_txn	*t;
	const char		*txn, *what;
	json_t			*cancel;

	if (!json_is_object(c) || sender == NULL)
		return 0;
	txn = crypto_sas_txn_of(room_id, event_id, &type, c);
	if (txn == NULL || strncmp(type, SAS_PREFIX,
	    strlen(SAS_PREFIX)) != 0)
		return 0;
	if (strlen(txn) > SAS_ID_MAX || strlen(json_get_str(c, "from_device",
	    "")) > SAS_ID_MAX) {
		log_info("crypto", "verification event from %s: an id too "
		    "long, ignored", sender);
		return 0;
	}
	what = type + strlen(SAS_PREFIX);
	if (strcmp(what, "request") == 0)
		return crypto_sas_on_request(l, sender, room_id, txn, c, now);
	t = crypto_sas_find(l, txn, room_id);
	if (room_id != NULL && strcmp(sender, l->self.user_id) == 0) {
		/* Our echo, or another of our devices answering. */
		if (t != NULL && t->state == VERIFY_INCOMING &&
		    strcmp(what, "ready") == 0 && strcmp(json_get_str(c,
		    "from_device", ""), l->self.device_id) != 0) {
			t->state = VERIFY_CANCELLED;
			t->cancel_code = xstrdup("m.accepted");
			return 1;
		}
		return 0;
	}
	if (t == NULL) {
		if (strcmp(what, "start") == 0 || strcmp(what, "cancel") == 0)
			return 0;	/* no request: not ours to answer */
		log_info("crypto", "verification %s from %s: unknown "
		    "transaction", txn, sender);
		/* Answered, but not kept: nothing for the user to see. */
		cancel = json_pack("{s:s, s:s}", "code",
		    "m.unknown_transaction", "reason", "unknown transaction");
		t = xcalloc(1, sizeof *t);
		t->their_user = xstrdup(sender);
		t->room_id = room_id != NULL ? xstrdup(room_id) : NULL;
		t->txn = xstrdup(txn);
		t->their_device = xstrdup(json_get_str(c, "from_device", "*"));
		crypto_sas_queue(l, t, SAS_PREFIX "cancel", cancel, NULL);
		crypto_sas_txn_free(t);
		return 0;
	}
	if (t->state == VERIFY_DONE || t->state == VERIFY_CANCELLED)
		return 0;
	if (strcmp(sender, t->their_user) != 0)
		return crypto_sas_cancel_txn(l, t, "m.user_mismatch",
		    "an event from another user");
	if (strcmp(what, "ready") == 0)
		return crypto_sas_on_ready(l, t, c);
	if (strcmp(what, "start") == 0)
		return crypto_sas_on_start(l, t, c);
	if (strcmp(what, "accept") == 0)
		return crypto_sas_on_accept(l, t, c);
	if (strcmp(what, "key") == 0)
		return crypto_sas_on_key(l, t, c, now);
	if (strcmp(what, "mac") == 0)
		return crypto_sas_on_mac(l, t, c);
	if (strcmp(what, "cancel") == 0)
		return crypto_sas_on_cancel(t, c);
	return 0;			/* done, or something newer */
}

static struct crypto_sas_txn *
crypto_sas_lookup(struct crypto_sas_list *l, const char *id)
{
	size_t	 i;

	for (i = 0; i < l->ntxns; i++) {
		if ((l->txns[i]->txn != NULL &&
		    strcmp(l->txns[i]->txn, id) == 0) ||
		    (l->txns[i]->local_id != NULL &&
		    strcmp(l->txns[i]->local_id, id) == 0))
			return l->txns[i];
	}
	return NULL;
}

int
crypto_sas_accept(struct crypto_sas_list *l, const char *txn)
{
	struct crypto_sas_txn	*t;

	t = crypto_sas_lookup(l, txn);
	if (t == NULL || t->state != VERIFY_INCOMING)
		return 0;
	crypto_sas_queue(l, t, SAS_PREFIX "ready", json_pack("{s:s, s:o}",
	    "from_device", l->self.device_id, "methods",
	    crypto_sas_methods()), NULL);
	t->state = VERIFY_READY;
	return 1;
}

int
crypto_sas_confirm(struct crypto_sas_list *l, const char *txn, int match)
{
	struct crypto_sas_txn	*t;
	json_t			*mac;

	t = crypto_sas_lookup(l, txn);
	if (t == NULL || t->state != VERIFY_SHOW)
		return 0;
	if (!match)
		return crypto_sas_cancel_txn(l, t, "m.mismatched_sas",
		    "the emoji differ");
	crypto_sas_send_mac(l, t);
	t->state = VERIFY_CONFIRMED;
	if (t->their_mac == NULL)
		return 1;
	mac = t->their_mac;
	t->their_mac = NULL;
	crypto_sas_check_mac(l, t, mac);
	json_decref(mac);
	return 1;
}

int
crypto_sas_cancel(struct crypto_sas_list *l, const char *txn,
    const char *code)
{
	struct crypto_sas_txn	*t;

	t = crypto_sas_lookup(l, txn);
	if (t == NULL)
		return 0;
	return crypto_sas_cancel_txn(l, t, code, "cancelled by the user");
}

/*
 * A transaction waiting for the other device's keys: looked up again;
 * known, its held key goes on; still unknown CRYPTO_SAS_KEYS_WAIT_MS
 * after the key came, cancelled.  1 if it changed.
 */
static int
crypto_sas_keys_came(struct crypto_sas_list *l, struct crypto_sas_txn *t,
    int64_t now)
{
	json_t	*c;

	if (!t->keys_wait || t->keys_fixed || t->state == VERIFY_DONE ||
	    t->state == VERIFY_CANCELLED)
		return 0;
	if (crypto_sas_fix_keys(l, t) == -1)
		return 1;
	if (t->keys_fixed) {
		log_info("crypto", "verification %s: device %s of %s known",
		    t->txn != NULL ? t->txn : "(not sent)", t->their_device,
		    t->their_user);
		if ((c = t->held_key) == NULL)
			return 0;
		t->held_key = NULL;
		crypto_sas_on_key(l, t, c, now);
		json_decref(c);
		return 1;
	}
	if (t->held_key != NULL &&
	    now - t->held_since > CRYPTO_SAS_KEYS_WAIT_MS)
		return crypto_sas_cancel_txn(l, t, "m.timeout",
		    "the other device's keys did not arrive");
	return 0;
}

int
crypto_sas_tick(struct crypto_sas_list *l, int64_t now)
{
	struct crypto_sas_txn	*t;
	size_t			 i;
	int			 n = 0;

	for (i = 0; i < l->ntxns; i++) {
		if (now - l->txns[i]->created > CRYPTO_SAS_TIMEOUT_MS)
			n += crypto_sas_cancel_txn(l, l->txns[i], "m.timeout",
			    "timed out");
		else
			n += crypto_sas_keys_came(l, l->txns[i], now);
	}
	/* An ended one nobody dismissed goes after twice as long. */
	for (i = 0; i < l->ntxns; ) {
		t = l->txns[i];
		if (now - t->created <= 2 * CRYPTO_SAS_TIMEOUT_MS) {
			i++;
			continue;
		}
		crypto_sas_txn_free(t);
		memmove(l->txns + i, l->txns + i + 1,
		    (l->ntxns - i - 1) * sizeof *l->txns);
		l->ntxns--;
		n++;
	}
	return n;
}

size_t
crypto_sas_count(const struct crypto_sas_list *l)
{
	return l->ntxns;
}

int
crypto_sas_view(const struct crypto_sas_list *l, size_t i,
    struct crypto_sas_view *v)
{
	const struct crypto_sas_txn	*t;

	if (i >= l->ntxns)
		return -1;
	t = l->txns[i];
	memset(v, 0, sizeof *v);
	v->txn = t->txn != NULL ? t->txn : t->local_id;
	v->user_id = t->their_user;
	v->device_id = t->their_device;
	v->room_id = t->room_id;
	v->state = t->state;
	v->we_started = t->we_started;
	v->has_emoji = t->has_emoji;
	memcpy(v->emoji, t->emoji, sizeof v->emoji);
	memcpy(v->decimal, t->decimal, sizeof v->decimal);
	v->cancel_code = t->cancel_code;
	v->cancelled_by_us = t->cancelled_by_us;
	v->device_verified = t->device_verified;
	v->msk_verified = t->msk_verified;
	v->msk = t->msk_verified ? t->their_msk : NULL;
	v->ed25519 = t->device_verified ? t->their_ed25519 : NULL;
	return 0;
}

void
crypto_sas_forget(struct crypto_sas_list *l, const char *txn)
{
	size_t	 i;

	if (txn == NULL && l->ntxns > 0) {	/* the newest, not queued */
		crypto_sas_txn_free(l->txns[--l->ntxns]);
		return;
	}
	for (i = 0; i < l->ntxns; i++) {
		if ((l->txns[i]->txn != NULL &&
		    strcmp(l->txns[i]->txn, txn) == 0) ||
		    (l->txns[i]->local_id != NULL &&
		    strcmp(l->txns[i]->local_id, txn) == 0)) {
			crypto_sas_txn_free(l->txns[i]);
			memmove(l->txns + i, l->txns + i + 1,
			    (l->ntxns - i - 1) * sizeof *l->txns);
			l->ntxns--;
			return;
		}
	}
}

int
crypto_sas_event_type(const char *type)
{
	return type != NULL && strncmp(type, SAS_PREFIX,
	    strlen(SAS_PREFIX)) == 0;
}
