/* Secret sharing between our own devices: what comes in, what goes out. */

/*
 * E2EE.md Step 8 item 7 and Step 9 "Sharing" (the spec's §Secrets,
 * m.secret.request and m.secret.send): see crypto-gossip.h for the
 * rules.  An m.secret.send is the dangerous one: a secret a device
 * could push on us unasked would be a key the attacker knows (a backup
 * key the server can read, a self-signing key that signs its devices),
 * so one is taken only as the answer to a request we recorded, over
 * Olm, from the verified device we asked, and only if it derives the
 * public key we already trust (CVE-2022-39251's class, and matrix-sdk-
 * crypto's CVE-2022-39252 of not checking who answered).  Nothing here
 * logs a secret: names, request ids and device ids only.
 */
#include "haos/crypto-gossip.h"

#include <stdlib.h>
#include <string.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/store-gossip.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "crypto-int.h"

#define CRYPTO_GOSSIP_LEN	32	/* bytes of each secret we share */
#define CRYPTO_GOSSIP_XSIGN	"m.cross_signing."

static const char *const crypto_gossip_names[] = CRYPTO_GOSSIP_NAMES;

int
crypto_gossip_type(const char *type)
{
	return strcmp(type, "m.secret.request") == 0 ||
	    strcmp(type, "m.secret.send") == 0;
}

int
crypto_gossip_shared(const char *name)
{
	size_t	 i;

	for (i = 0; i < CRYPTO_GOSSIP_NNAMES; i++) {
		if (strcmp(name, crypto_gossip_names[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * The backup key we were sent checked against the backup version we
 * know (table key_backup): 1 its public key, 0 not (or no backup), -1.
 */
static int
crypto_gossip_backup_match(struct store *s, const unsigned char *key,
    size_t len, struct haos_error *err)
{
	struct store_backup	 b;
	struct haos_error	 e;
	json_t			*auth;
	const char		*theirs;
	char			*ours;
	int			 rc;

	rc = store_backup_get(s, &b, err);
	if (rc != 1)
		return rc;
	auth = json_load_stored(b.auth_data);
	theirs = json_get_str(auth, "public_key", NULL);
	ours = crypto_pk_public(key, len, &e);
	rc = ours != NULL && theirs != NULL && b.algorithm != NULL &&
	    strcmp(b.algorithm, CRYPTO_BACKUP_ALGORITHM) == 0 &&
	    strcmp(ours, theirs) == 0;
	if (!rc)
		log_warn("crypto", "secret sharing: the backup key is not that "
		    "of backup version %s", b.version != NULL ? b.version :
		    "(none)");
	free(ours);
	json_decref(auth);
	store_backup_free(&b);
	return rc;
}

/* The secret checked against its public key: 1 good, 0 not, -1. */
static int
crypto_gossip_check(struct crypto_keys *k, struct store *s, const char *name,
    const unsigned char *secret, size_t len, struct haos_error *err)
{
	struct haos_error	 e;
	char			*pub = NULL;
	int			 rc;

	if (len != CRYPTO_GOSSIP_LEN) {
		log_warn("crypto", "secret sharing: %s of %zu bytes refused",
		    name, len);
		return 0;
	}
	if (strncmp(name, CRYPTO_GOSSIP_XSIGN,
	    strlen(CRYPTO_GOSSIP_XSIGN)) != 0)
		return crypto_gossip_backup_match(s, secret, len, err);
	/* /recovery's check: 1 the published key, 0 none, -1 another. */
	rc = crypto_ssss_xsign_match(k, s, name, secret, len, &pub, &e);
	if (rc == -2) {
		*err = e;
		free(pub);
		return -1;
	}
	if (rc != 1)
		log_warn("crypto", "secret sharing: %s refused: %s", name,
		    rc == 0 ? "no published key to check it against" :
		    "not the published key");
	free(pub);
	return rc == 1;
}

/* An m.secret.send: taken only as described in crypto-gossip.h. */
static int
crypto_gossip_send(struct crypto_keys *k, struct store *s, const char *sender,
    const char *sender_key, const json_t *c, int64_t now,
    struct haos_error *err)
{
	const struct crypto_gossip_sink *sink = crypto_keys_gossip(k);
	struct gossip_request	 r;
	const char		*id, *b64, *why = NULL;
	unsigned char		*secret = NULL;
	char			*dev = NULL, *ed = NULL;
	size_t			 len = 0;
	int			 rc, verified;

	id = json_get_str(c, "request_id", NULL);
	b64 = json_get_str(c, "secret", NULL);
	if (sender_key == NULL) {
		log_warn("crypto", "m.secret.send from %s in clear: ignored",
		    sender);
		return 0;
	}
	if (id == NULL || b64 == NULL) {
		log_warn("crypto", "m.secret.send from %s: no request_id or "
		    "secret: ignored", sender);
		return 0;
	}
	rc = store_gossip_get(s, id, &r, err);
	if (rc == -1)
		return -1;
	if (rc == 0) {
		log_warn("crypto", "m.secret.send from %s: request %s is not "
		    "ours (unsolicited): ignored", sender, id);
		return 0;
	}
	rc = store_crypto_in_device(s, sender, sender_key, &dev, &ed, err);
	if (rc == -1)
		goto fail;
	if (now - r.created_ts > CRYPTO_GOSSIP_TIMEOUT_MS)
		why = "the request expired";
	else if (rc != 1 || strcmp(dev, r.device_id) != 0)
		why = "not from the device asked";
	if (why == NULL) {
		verified = store_gossip_device_verified(s, sender, dev, err);
		if (verified == -1)
			goto fail;
		if (!verified)
			why = "that device is not verified";
	}
	if (why == NULL && (base64_decode(b64, strlen(b64), &secret,
	    &len) == -1))
		why = "the secret is not base64";
	if (why == NULL) {
		rc = crypto_gossip_check(k, s, r.name, secret, len, err);
		if (rc == -1)
			goto fail;
		if (rc == 0)
			why = "it does not check";
	}
	if (why != NULL) {
		log_warn("crypto", "m.secret.send from %s (device %s) for "
		    "request %s (%s, asked of %s): %s: ignored", sender,
		    dev != NULL ? dev : "unknown", id, r.name, r.device_id,
		    why);
		rc = 0;
		goto out;
	}
	/* As /recovery keeps them: a seed checked is verified. */
	if (crypto_secret_put(k, s, r.name, secret, len, strncmp(r.name,
	    CRYPTO_GOSSIP_XSIGN, strlen(CRYPTO_GOSSIP_XSIGN)) == 0, err) ==
	    -1 || store_gossip_delete(s, id, err) == -1)
		goto fail;
	log_info("crypto", "secret sharing: %s received from device %s "
	    "(request %s)", r.name, dev, id);
	rc = 0;
	if (sink != NULL && sink->taken != NULL)
		rc = sink->taken(sink->arg, r.name, dev, id, err);
	goto out;
fail:
	rc = -1;
out:
	if (secret != NULL) {
		explicit_bzero(secret, len);
		free(secret);
	}
	free(dev);
	free(ed);
	gossip_request_free(&r);
	return rc;
}

/* An m.secret.request (or its cancellation) from one of our devices. */
static int
crypto_gossip_request(struct crypto_keys *k, struct store *s,
    const char *sender, const char *sender_key, const json_t *c,
    struct haos_error *err)
{
	const struct crypto_gossip_sink *sink = crypto_keys_gossip(k);
	const char		*action, *name, *dev, *id, *why = NULL;
	unsigned char		*data = NULL;
	char			*owner = NULL, *ed = NULL;
	size_t			 len = 0;
	int			 rc, verified;

	action = json_get_str(c, "action", "");
	name = json_get_str(c, "name", NULL);
	dev = json_get_str(c, "requesting_device_id", NULL);
	id = json_get_str(c, "request_id", NULL);
	if (dev == NULL || id == NULL) {
		log_warn("crypto", "m.secret.request from %s: no device or "
		    "request_id: ignored", sender);
		return 0;
	}
	if (strcmp(dev, crypto_keys_device_id(k)) == 0)
		return 0;		/* our own, sent to all our devices */
	if (sender_key != NULL) {
		rc = store_crypto_in_device(s, sender, sender_key, &owner, &ed,
		    err);
		if (rc == -1)
			return -1;
		if (rc != 1 || strcmp(owner, dev) != 0)
			why = "not sent by the device it names";
		free(owner);
		free(ed);
	}
	if (why == NULL && strcmp(action, "request_cancellation") == 0) {
		log_info("crypto", "secret sharing: device %s cancelled "
		    "request %s", dev, id);
		return sink != NULL && sink->cancel != NULL ?
		    sink->cancel(sink->arg, dev, id) : 0;
	}
	if (why == NULL && strcmp(action, "request") != 0)
		why = "an unknown action";
	else if (why == NULL && (name == NULL || !crypto_gossip_shared(name)))
		why = "not a secret we share";
	if (why == NULL) {
		verified = store_gossip_device_verified(s, sender, dev, err);
		if (verified == -1)
			return -1;
		if (!verified)
			why = "that device is not verified";
	}
	if (why == NULL) {
		rc = crypto_secret_get(k, s, name, &data, &len, &verified,
		    err);
		if (data != NULL) {
			explicit_bzero(data, len);
			free(data);
		}
		if (rc == -1)
			return -1;
		if (rc == 0)
			why = "we do not hold it";
	}
	if (why != NULL) {
		log_info("crypto", "m.secret.request %s from %s %s for %s: "
		    "%s: ignored", id, sender, dev, name != NULL ? name :
		    "nothing", why);
		return 0;
	}
	log_info("crypto", "secret sharing: device %s asks for %s (request "
	    "%s)", dev, name, id);
	return sink != NULL && sink->request != NULL ?
	    sink->request(sink->arg, dev, id, name) : 0;
}

int
crypto_gossip_in(struct crypto_keys *k, struct store *s, const char *sender,
    const char *sender_key, const char *type, const json_t *c, int64_t now,
    struct haos_error *err)
{
	if (k == NULL || !json_is_object(c))
		return 0;
	if (strcmp(sender, crypto_keys_user_id(k)) != 0) {
		log_warn("crypto", "%s from another user (%s): ignored", type,
		    sender);
		return 0;
	}
	if (strcmp(type, "m.secret.send") == 0)
		return crypto_gossip_send(k, s, sender, sender_key, c, now,
		    err);
	return crypto_gossip_request(k, s, sender, sender_key, c, err);
}

int
crypto_gossip_answer(struct crypto_keys *k, struct store *s, const char *name,
    const char *request_id, json_t **content, struct haos_error *err)
{
	unsigned char	*data = NULL, *raw = NULL;
	const unsigned char *bytes;
	size_t		 len = 0, rawlen = 0, n;
	char		*b64;
	int		 rc, verified;

	*content = NULL;
	rc = crypto_secret_get(k, s, name, &data, &len, &verified, err);
	if (rc != 1)
		return rc;
	/* A backup key may be held as the base64 text of its bytes. */
	bytes = data;
	n = len;
	if (len != CRYPTO_GOSSIP_LEN && base64_decode((char *)data, len, &raw,
	    &rawlen) == 0) {
		bytes = raw;
		n = rawlen;
	}
	rc = 0;
	if (n == CRYPTO_GOSSIP_LEN) {
		b64 = base64_encode(bytes, n);
		*content = json_pack("{s:s,s:s}", "request_id", request_id,
		    "secret", b64);
		explicit_bzero(b64, strlen(b64));
		free(b64);
		rc = 1;
	} else
		log_warn("crypto", "secret sharing: %s held is not %d bytes",
		    name, CRYPTO_GOSSIP_LEN);
	if (raw != NULL) {
		explicit_bzero(raw, rawlen);
		free(raw);
	}
	explicit_bzero(data, len);
	free(data);
	return rc;
}

void
crypto_gossip_content_free(json_t *c)
{
	const char	*t;

	if (c == NULL)
		return;
	t = json_get_str(c, "secret", NULL);
	if (t != NULL && c->refcount == 1)
		explicit_bzero((char *)t, strlen(t));
	json_decref(c);
}
