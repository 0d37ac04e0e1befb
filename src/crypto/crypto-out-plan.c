/* Sending policy: who gets a room's Megolm key, and when it must change. */

/*
 * Pure decisions over rows the caller read (crypto-out.h): no store, no
 * engine.  A session that went to someone who is no longer a recipient
 * (left, kicked, banned, an invite withdrawn or no longer entitled, a
 * device deleted) is replaced, so that nothing sent from now on is
 * readable with a key they hold; newcomers get the current session at
 * its current index instead (spec, m.megolm.v1.aes-sha2).
 *
 * Only cross-signed ([crypto] share_keys_with = cross_signed, as
 * matrix-js-sdk's OnlySignedDevicesIsolationMode): a device its owner
 * did not sign with their self-signing key, our own other devices and
 * the devices of a user without cross-signing alike, is told
 * m.room_key.withheld m.unverified once per session instead of getting
 * the key; once signed it gets the current session at its current
 * index, no rotation for everyone.  A device that had the key and is
 * no longer signed (its owner reset their identity) rotates it.
 */
#include "haos/crypto-out.h"

#include <string.h>

#include "haos/error.h"
#include "haos/json.h"

/* Shared history: "shared" and "world_readable" (and the default). */
static int
crypto_out_plan_shared(const char *v)
{
	return v == NULL || strcmp(v, "shared") == 0 ||
	    strcmp(v, "world_readable") == 0;
}

int
crypto_out_policy(const char *encryption, const char *visibility,
    struct crypto_policy *p, struct haos_error *err)
{
	json_t		*c = NULL;
	const char	*alg;
	json_int_t	 v;

	p->rotation_ms = CRYPTO_OUT_ROTATION_MS;
	p->rotation_msgs = CRYPTO_OUT_ROTATION_MSGS;
	p->shared_history = crypto_out_plan_shared(visibility);
	p->invited_ok = visibility == NULL || strcmp(visibility, "joined") != 0;
	p->share = CRYPTO_OUT_SHARE_ALL;
	if (encryption == NULL)
		return 0;
	c = json_load_stored(encryption);
	alg = json_get_str(c, "algorithm", NULL);
	if (alg == NULL || strcmp(alg, CRYPTO_MEGOLM) != 0) {
		haos_error_set(err, HAOS_ECRYPTO, "this room's encryption "
		    "algorithm is not supported: not sent");
		json_decref(c);
		return -1;
	}
	if ((v = json_get_int(c, "rotation_period_ms", 0)) > 0)
		p->rotation_ms = v;
	if ((v = json_get_int(c, "rotation_period_msgs", 0)) > 0)
		p->rotation_msgs = v;
	json_decref(c);
	return 0;
}

/* The membership of user_id, or NULL if not a member at all. */
static const char *
crypto_out_plan_membership(const struct crypto_member *m, size_t nm,
    const char *user_id)
{
	size_t	 i;

	for (i = 0; i < nm; i++) {
		if (strcmp(m[i].user_id, user_id) == 0)
			return m[i].membership;
	}
	return NULL;
}

static int
crypto_out_plan_entitled(const struct crypto_member *m, size_t nm,
    const char *user_id, const struct crypto_policy *p)
{
	const char	*ms;

	ms = crypto_out_plan_membership(m, nm, user_id);
	if (ms == NULL)
		return 0;
	return strcmp(ms, "join") == 0 ||
	    (p->invited_ok && strcmp(ms, "invite") == 0);
}

size_t
crypto_out_recipients(const struct crypto_member *m, size_t nm,
    const struct crypto_device *d, size_t nd, const char *own_user,
    const char *own_device, const struct crypto_policy *p, size_t *out)
{
	size_t	 i, n = 0;

	for (i = 0; i < nd; i++) {
		if (d[i].deleted)
			continue;
		if (strcmp(d[i].user_id, own_user) == 0 &&
		    strcmp(d[i].device_id, own_device) == 0)
			continue;
		if (!crypto_out_plan_entitled(m, nm, d[i].user_id, p))
			continue;
		out[n++] = i;
	}
	return n;
}

/* May d have the room key under the policy? */
static int
crypto_out_plan_may(const struct crypto_device *d,
    const struct crypto_policy *p)
{
	return p->share == CRYPTO_OUT_SHARE_ALL || d->cross_signed;
}

enum crypto_out_action
crypto_out_share_action(const struct crypto_device *d,
    const struct crypto_policy *p, const struct crypto_shared *s, size_t ns)
{
	const struct crypto_shared *row = NULL;
	size_t			 i;

	for (i = 0; row == NULL && i < ns; i++) {
		if (strcmp(s[i].user_id, d->user_id) == 0 &&
		    strcmp(s[i].device_id, d->device_id) == 0)
			row = &s[i];
	}
	if (row != NULL && row->withheld_code == NULL)
		return CRYPTO_OUT_SKIP;		/* has it */
	if (!crypto_out_plan_may(d, p))
		return row != NULL ? CRYPTO_OUT_SKIP : CRYPTO_OUT_WITHHOLD;
	if (row != NULL && strcmp(row->withheld_code,
	    CRYPTO_OUT_UNVERIFIED) != 0)
		return CRYPTO_OUT_SKIP;		/* m.no_olm: next session */
	return CRYPTO_OUT_KEY;
}

/*
 * Is the shared device still there, not deleted, and allowed the key?
 * NULL if so, else why not.
 */
static const char *
crypto_out_plan_device_gone(const struct crypto_device *d, size_t nd,
    const struct crypto_shared *s, const struct crypto_policy *p)
{
	size_t	 i;

	for (i = 0; i < nd; i++) {
		if (strcmp(d[i].user_id, s->user_id) != 0 ||
		    strcmp(d[i].device_id, s->device_id) != 0)
			continue;
		if (d[i].deleted)
			break;
		return crypto_out_plan_may(&d[i], p) ? NULL :
		    "a device is not cross-signed";
	}
	return "a device was removed";
}

int
crypto_out_rotation_due(const struct crypto_out_state *o,
    const struct crypto_policy *p, const struct crypto_shared *s, size_t ns,
    const struct crypto_member *m, size_t nm, const struct crypto_device *d,
    size_t nd, int64_t now, const char **why)
{
	size_t	 i;

	*why = NULL;
	if (o->msg_count >= p->rotation_msgs)
		*why = "message count";
	else if (now - o->created_ts >= p->rotation_ms)
		*why = "age";
	else if (!o->shared_history != !p->shared_history)
		*why = "history visibility";
	for (i = 0; *why == NULL && i < ns; i++) {
		if (s[i].withheld_code != NULL)
			continue;	/* never had it */
		if (!crypto_out_plan_entitled(m, nm, s[i].user_id, p))
			*why = "a member left";
		else
			*why = crypto_out_plan_device_gone(d, nd, &s[i], p);
	}
	return *why != NULL;
}
