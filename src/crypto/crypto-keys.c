/* The device identity: account, device keys, one-time and fallback keys. */

/*
 * E2EE.md Step 1.  The net thread owns one struct crypto_keys.  Every
 * change to the account is persisted (pickled with the pickle key into
 * olm_account) before anything leaves for the server: new one-time or
 * fallback keys are stored, then uploaded, then marked published and
 * stored again once a 2xx says the server has them.  A lost answer or a
 * crash in between uploads the same keys again, byte for byte (ed25519
 * signatures are deterministic), which the server accepts; new keys
 * made instead would be refused ("One time key ... already exists").
 *
 * kv keeps what the store must remember besides the pickle:
 * olm_account_device, the device the account belongs to (a login as a
 * new device gets a new account), and olm_device_keys, the device whose
 * device keys the server has.  Only key ids and counts are logged.
 */
#include "haos/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/crypto-gossip.h"
#include "haos/error.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/store.h"
#include "haos/xmalloc.h"
#include "crypto-int.h"

#define CRYPTO_KEYS_ALGORITHM	"signed_curve25519"
#define CRYPTO_KEYS_FORGET_MS	(60 * 60 * 1000)	/* old fallback key */

struct crypto_keys {
	struct crypto_account	*acct;
	unsigned char		 key[CRYPTO_PICKLE_KEY_LEN];
	char			*user_id;
	char			*device_id;
	int			 device_keys_done; /* the server has them */
	int			 sent_device_keys; /* in the upload out */
	int			 sent_fallback;
	struct crypto_room_cache *room_cache;	/* open Megolm sessions */
	struct crypto_verify_sink verify;	/* m.key.verification.* */
	struct crypto_gossip_sink gossip;	/* m.secret.* */
};

/* Pickle the account into the store, in the caller's transaction. */
static int
crypto_keys_persist(struct crypto_keys *k, struct store *s,
    struct haos_error *err)
{
	char	*pickle;
	int	 rc;

	pickle = crypto_account_pickle(k->acct, k->key, err);
	if (pickle == NULL)
		return -1;
	rc = store_olm_account_put(s, pickle, err);
	explicit_bzero(pickle, strlen(pickle));
	free(pickle);
	return rc;
}

/* A new account for this device, stored with its owner in one go. */
static int
crypto_keys_create(struct crypto_keys *k, struct store *s,
    struct haos_error *err)
{
	k->acct = crypto_account_new(err);
	if (k->acct == NULL)
		return -1;
	if (store_begin(s, err) == -1)
		return -1;
	if (crypto_keys_persist(k, s, err) == -1 ||
	    store_olm_device_reset(s, err) == -1 ||
	    store_kv_set(s, "olm_fallback_forget_at", NULL, err) == -1 ||
	    store_kv_set(s, "olm_account_device", k->device_id, err) == -1 ||
	    store_kv_set(s, "olm_device_keys", NULL, err) == -1 ||
	    store_commit(s, err) == -1) {
		if (store_in_txn(s))
			store_rollback(s);
		return -1;
	}
	log_info("crypto", "new device identity for %s (key id ed25519:%s)",
	    k->user_id, k->device_id);
	return 0;
}

struct crypto_keys *
crypto_keys_open(struct store *s, const char *key_path, const char *user_id,
    const char *device_id, struct haos_error *err)
{
	struct crypto_keys	*k;
	char			*pickle = NULL, *owner = NULL, *done = NULL;
	char			 why[sizeof err->msg];

	haos_error_clear(err);
	k = xcalloc(1, sizeof *k);
	k->user_id = xstrdup(user_id);
	k->device_id = xstrdup(device_id);
	if (store_olm_account_get(s, &pickle, err) == -1 ||
	    store_query_kv(s, "olm_account_device", &owner, err) == -1 ||
	    store_query_kv(s, "olm_device_keys", &done, err) == -1)
		goto fail;
	if (pickle != NULL && owner != NULL && strcmp(owner, device_id) != 0) {
		log_info("crypto", "the stored identity is device %s's, this "
		    "is device %s: making a new one", owner, device_id);
		explicit_bzero(pickle, strlen(pickle));
		xfree(pickle);
	}
	if (pickle == NULL) {
		if (pickle_key_load(key_path, 1, k->key, err) == -1 ||
		    crypto_keys_create(k, s, err) == -1)
			goto fail;
		xfree(done);
	} else {
		/* Never a new key for an existing account: it is refused. */
		if (pickle_key_load(key_path, 0, k->key, err) == -1) {
			snprintf(why, sizeof why, "%s", err->msg);
			haos_error_set(err, HAOS_ECRYPTO, "%s; nothing "
			    "changed", why);
			goto fail;
		}
		k->acct = crypto_account_unpickle(pickle, k->key, err);
		if (k->acct == NULL) {
			snprintf(why, sizeof why, "%s", err->errcode);
			haos_error_set(err, HAOS_ECRYPTO, "pickle key %s does "
			    "not open the stored identity (%s): nothing "
			    "changed", key_path, why);
			goto fail;
		}
		log_info("crypto", "device identity of %s loaded (key id "
		    "ed25519:%s)", user_id, device_id);
	}
	k->device_keys_done = done != NULL && strcmp(done, device_id) == 0;
	if (pickle != NULL)
		explicit_bzero(pickle, strlen(pickle));
	free(pickle);
	free(owner);
	free(done);
	return k;
fail:
	if (pickle != NULL)
		explicit_bzero(pickle, strlen(pickle));
	free(pickle);
	free(owner);
	free(done);
	crypto_keys_free(k);
	return NULL;
}

void
crypto_keys_free(struct crypto_keys *k)
{
	if (k == NULL)
		return;
	crypto_account_free(k->acct);
	crypto_room_cache_free(k->room_cache);
	explicit_bzero(k->key, sizeof k->key);
	free(k->user_id);
	free(k->device_id);
	free(k);
}

void
crypto_keys_set_verify(struct crypto_keys *k,
    const struct crypto_verify_sink *sink)
{
	if (sink != NULL)
		k->verify = *sink;
	else
		memset(&k->verify, 0, sizeof k->verify);
}

int
crypto_keys_verify_event(struct crypto_keys *k, const char *sender,
    const char *room_id, const json_t *ev, const char *type,
    const json_t *content)
{
	if (k == NULL || k->verify.event == NULL)
		return 0;
	return k->verify.event(k->verify.arg, sender, room_id, ev, type,
	    content);
}

void
crypto_keys_set_gossip(struct crypto_keys *k,
    const struct crypto_gossip_sink *sink)
{
	if (sink != NULL)
		k->gossip = *sink;
	else
		memset(&k->gossip, 0, sizeof k->gossip);
}

const struct crypto_gossip_sink *
crypto_keys_gossip(const struct crypto_keys *k)
{
	return k != NULL && (k->gossip.taken != NULL ||
	    k->gossip.request != NULL || k->gossip.cancel != NULL) ?
	    &k->gossip : NULL;
}

const struct crypto_account *
crypto_keys_account(const struct crypto_keys *k)
{
	return k->acct;
}

/*
 * The server's signed_curve25519 count from the stored counts (a missing
 * algorithm is 0), or -1 when no count was stored yet.
 */
static long long
crypto_keys_server_count(struct store *s)
{
	struct haos_error	 e;
	json_t			*counts;
	char			*v = NULL;
	long long		 n;

	if (store_query_kv(s, "device_one_time_keys_count", &v, &e) == -1 ||
	    v == NULL)
		return -1;
	counts = json_loads(v, 0, NULL);
	free(v);
	if (!json_is_object(counts)) {
		json_decref(counts);
		return -1;
	}
	n = json_get_int(counts, CRYPTO_KEYS_ALGORITHM, 0);
	json_decref(counts);
	return n < 0 ? 0 : n;
}

/* Whether the stored unused fallback key types lack ours; -1: unknown. */
static int
crypto_keys_fallback_missing(struct store *s)
{
	struct haos_error	 e;
	json_t			*types, *t;
	char			*v = NULL;
	size_t			 i;
	int			 missing = 1;

	if (store_query_kv(s, "device_unused_fallback_key_types", &v,
	    &e) == -1 || v == NULL)
		return -1;
	types = json_loads(v, 0, NULL);
	free(v);
	if (!json_is_array(types)) {
		json_decref(types);
		return -1;
	}
	json_array_foreach(types, i, t) {
		if (json_is_string(t) && strcmp(json_string_value(t),
		    CRYPTO_KEYS_ALGORITHM) == 0)
			missing = 0;
	}
	json_decref(types);
	return missing;
}

/* {"signed_curve25519:ID": {"key", ["fallback",] "signatures"}} */
static json_t *
crypto_keys_signed(struct crypto_keys *k, const json_t *keys, int fallback,
    struct haos_error *err)
{
	json_t		*out, *o;
	const char	*id;
	json_t		*v;
	char		*kid;

	out = json_object();
	json_object_foreach((json_t *)keys, id, v) {
		if (!json_is_string(v))
			continue;
		o = matrix_key_object(json_string_value(v), fallback);
		if (crypto_sign_json(k->acct, o, k->user_id, k->device_id,
		    err) == -1) {
			json_decref(o);
			json_decref(out);
			return NULL;
		}
		kid = xasprintf(CRYPTO_KEYS_ALGORITHM ":%s", id);
		json_object_set_new(out, kid, o);
		free(kid);
	}
	return out;
}

static int64_t
crypto_keys_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * 1 when the fallback key before the current one may go: an hour after
 * a new one was made (E2EE.md Step 1: pre-key messages built on the old
 * key may still be on their way).  kv olm_fallback_forget_at holds the
 * time; it is cleared with the pickle that forgot the key.
 */
static int
crypto_keys_forget_due(struct store *s)
{
	struct haos_error	 e;
	char			*v = NULL;
	long long		 at;
	int			 due;

	/* An unreadable mark waits for the next call. */
	if (store_query_kv(s, "olm_fallback_forget_at", &v, &e) == -1 ||
	    v == NULL)
		return 0;
	at = strtoll(v, NULL, 10);
	due = crypto_keys_now_ms() >= at;
	free(v);
	return due;
}

/* Make the keys the server lacks, and store them before any upload. */
static int
crypto_keys_top_up(struct crypto_keys *k, struct store *s, size_t unpublished,
    struct haos_error *err)
{
	long long	 have, target;
	int		 fallback, changed = 0, forget = 0;
	json_t		*fb;
	char		*at;

	have = crypto_keys_server_count(s);
	target = (long long)crypto_account_max_otks(k->acct) / 2;
	if (have >= 0 && have + (long long)unpublished < target) {
		if (crypto_account_generate_otks(k->acct, (size_t)(target -
		    have - (long long)unpublished), err) == -1)
			return -1;
		log_info("crypto", "server holds %lld one-time keys: made %lld",
		    have, target - have - (long long)unpublished);
		changed = 1;
	}
	fallback = crypto_keys_fallback_missing(s);
	if (fallback == 1) {
		if ((fb = crypto_account_fallback(k->acct, err)) == NULL)
			return -1;
		if (json_object_size(fb) == 0) {
			if (crypto_account_generate_fallback(k->acct,
			    err) == -1) {
				json_decref(fb);
				return -1;
			}
			log_info("crypto", "no unused fallback key on the "
			    "server: made one");
			changed = 1;
			forget = 1;
		}
		json_decref(fb);
	}
	if (crypto_keys_forget_due(s)) {
		crypto_account_forget_old_fallback(k->acct);
		log_info("crypto", "old fallback key forgotten");
		changed = 1;
	}
	if (!changed)
		return 0;
	at = forget ? xasprintf("%lld", (long long)(crypto_keys_now_ms() +
	    CRYPTO_KEYS_FORGET_MS)) : NULL;
	if (store_begin(s, err) == -1) {
		free(at);
		return -1;
	}
	if (crypto_keys_persist(k, s, err) == -1 ||
	    store_kv_set(s, "olm_fallback_forget_at", at, err) == -1 ||
	    store_commit(s, err) == -1) {
		if (store_in_txn(s))
			store_rollback(s);
		free(at);
		return -1;
	}
	free(at);
	return 0;
}

struct matrix_req *
crypto_keys_upload(struct crypto_keys *k, struct store *s, int counts_fresh,
    struct haos_error *err)
{
	json_t	*otks = NULL, *fb = NULL, *dk = NULL, *sotks, *sfb;

	haos_error_clear(err);
	if ((otks = crypto_account_otks(k->acct, err)) == NULL)
		return NULL;
	if (counts_fresh) {
		if (crypto_keys_top_up(k, s, json_object_size(otks),
		    err) == -1)
			goto fail;
		json_decref(otks);
		if ((otks = crypto_account_otks(k->acct, err)) == NULL)
			return NULL;
	}
	if ((fb = crypto_account_fallback(k->acct, err)) == NULL)
		goto fail;
	if (k->device_keys_done && json_object_size(otks) == 0 &&
	    json_object_size(fb) == 0) {
		json_decref(otks);
		json_decref(fb);
		return NULL;
	}
	if (!k->device_keys_done) {
		dk = matrix_device_keys(k->user_id, k->device_id,
		    crypto_account_curve25519(k->acct),
		    crypto_account_ed25519(k->acct));
		if (crypto_sign_json(k->acct, dk, k->user_id, k->device_id,
		    err) == -1)
			goto fail;
	}
	if ((sotks = crypto_keys_signed(k, otks, 0, err)) == NULL)
		goto fail;
	if ((sfb = crypto_keys_signed(k, fb, 1, err)) == NULL) {
		json_decref(sotks);
		goto fail;
	}
	k->sent_device_keys = dk != NULL;
	k->sent_fallback = json_object_size(sfb) > 0;
	log_info("crypto", "uploading %s%zu one-time keys%s",
	    dk != NULL ? "the device keys, " : "", json_object_size(sotks),
	    k->sent_fallback ? " and a fallback key" : "");
	json_decref(otks);
	json_decref(fb);
	return matrix_req_keys_upload(dk, sotks, sfb);
fail:
	json_decref(dk);
	json_decref(otks);
	json_decref(fb);
	return NULL;
}

/* The fallback key just uploaded is unused: no new one until a sync says. */
static int
crypto_keys_fallback_uploaded(struct store *s, struct haos_error *err)
{
	json_t	*types;
	char	*v = NULL, *text;
	int	 rc;

	if (store_query_kv(s, "device_unused_fallback_key_types", &v,
	    err) == -1)
		return -1;
	types = v != NULL ? json_loads(v, 0, NULL) : NULL;
	free(v);
	if (!json_is_array(types)) {
		json_decref(types);
		types = json_array();
	}
	if (crypto_keys_fallback_missing(s) != 0)
		json_array_append_new(types, json_string(
		    CRYPTO_KEYS_ALGORITHM));
	text = json_xdumps_take(types);
	rc = store_kv_set(s, "device_unused_fallback_key_types", text, err);
	free(text);
	return rc;
}

int
crypto_keys_uploaded(struct crypto_keys *k, struct store *s,
    const char *answer, struct haos_error *err)
{
	json_t	*root, *counts;
	char	*text = NULL;

	root = json_loads(answer != NULL ? answer : "", 0, NULL);
	counts = json_get_obj(root, "one_time_key_counts");
	if (counts != NULL)
		text = json_xdumps(counts);
	json_decref(root);
	crypto_account_mark_published(k->acct);
	if (store_begin(s, err) == -1)
		goto fail;
	if (crypto_keys_persist(k, s, err) == -1 ||
	    (k->sent_device_keys && store_kv_set(s, "olm_device_keys",
	    k->device_id, err) == -1) ||
	    (text != NULL && store_kv_set(s, "device_one_time_keys_count",
	    text, err) == -1) ||
	    (k->sent_fallback && crypto_keys_fallback_uploaded(s,
	    err) == -1) ||
	    store_commit(s, err) == -1)
		goto fail;
	if (k->sent_device_keys)
		k->device_keys_done = 1;
	log_info("crypto", "keys uploaded; the server holds %lld one-time "
	    "keys", crypto_keys_server_count(s));
	free(text);
	return 0;
fail:
	if (store_in_txn(s))
		store_rollback(s);
	free(text);
	return -1;
}

/* The Megolm sessions crypto-room.c keeps open, made when first asked. */
struct crypto_room_cache *
crypto_keys_room_cache(struct crypto_keys *k)
{
	if (k->room_cache == NULL)
		k->room_cache = crypto_room_cache_new();
	return k->room_cache;
}

/* What the session code of Steps 2-6 needs of the identity. */
struct crypto_account *
crypto_keys_account_rw(struct crypto_keys *k)
{
	return k->acct;
}

const unsigned char *
crypto_keys_pickle_key(const struct crypto_keys *k)
{
	return k->key;
}

const char *
crypto_keys_user_id(const struct crypto_keys *k)
{
	return k->user_id;
}

const char *
crypto_keys_device_id(const struct crypto_keys *k)
{
	return k->device_id;
}

/* Persist the account after a change (a one-time key used up). */
int
crypto_keys_save(struct crypto_keys *k, struct store *s,
    struct haos_error *err)
{
	return crypto_keys_persist(k, s, err);
}
