/* Secret sharing between our own devices (E2EE.md Steps 8 and 9). */
#ifndef HAOS_CRYPTO_GOSSIP_H
#define HAOS_CRYPTO_GOSSIP_H

/*
 * The spec's "Sharing" of secrets (m.secret.request, m.secret.send):
 * the cross-signing self-signing and user-signing keys and the backup
 * key go between devices of one user that verified each other.  No key
 * or secret is logged: names, device ids and request ids only.
 *
 * Receiving (crypto-gossip.c), on the net thread inside the /sync
 * transaction, called by crypto-in.c for both types, with sender_key
 * the Olm sender key when the event came as the payload of an Olm
 * message, NULL when it came in clear:
 *
 * - m.secret.send is taken only over Olm, from our own user, as the
 *   answer to a request of ours (table secret_requests, not expired)
 *   from the very device that request named (the owner of sender_key),
 *   that device verified (cross-signed by our self-signing key or by
 *   our own SAS), and only if the secret checks: a cross-signing seed
 *   derives the public key published for us, a backup key the public
 *   key of the backup version we know.  It is sealed into table secrets
 *   as /recovery would, the request row deleted, and sink->taken told.
 * - m.secret.request (in clear, as the spec sends it, or over Olm from
 *   the device it names) is passed to sink->request only if it comes
 *   from another device of our own user that is verified and asks for a
 *   secret of CRYPTO_GOSSIP_NAMES that we hold; a request_cancellation
 *   goes to sink->cancel.
 *
 * Everything else is ignored with a log line.  Only a store error
 * returns -1 (the /sync rolls back); a refused event is consumed.
 */
#include <stddef.h>
#include <stdint.h>

#include "haos/json.h"

struct crypto_keys;
struct haos_error;
struct store;

#define CRYPTO_GOSSIP_TIMEOUT_MS	(10 * 60 * 1000)
#define CRYPTO_GOSSIP_NAMES	{ "m.cross_signing.self_signing", \
	"m.cross_signing.user_signing", "m.megolm_backup.v1" }
#define CRYPTO_GOSSIP_NNAMES	3

/* What the net thread does with what crypto_gossip_in() let through. */
struct crypto_gossip_sink {
	/* name was taken, the answer to request_id from device_id */
	int	(*taken)(void *arg, const char *name, const char *device_id,
		    const char *request_id, struct haos_error *);
	/* device_id asks for name (checked: we may answer) */
	int	(*request)(void *arg, const char *device_id,
		    const char *request_id, const char *name);
	/* device_id no longer wants request_id */
	int	(*cancel)(void *arg, const char *device_id,
		    const char *request_id);
	void	*arg;
};

/* The identity's sink (crypto-keys.c); NULL to unset. */
void	 crypto_keys_set_gossip(struct crypto_keys *,
	     const struct crypto_gossip_sink *);
const struct crypto_gossip_sink *crypto_keys_gossip(
	     const struct crypto_keys *);

/* 1 if type is m.secret.request or m.secret.send. */
int	 crypto_gossip_type(const char *type);
int	 crypto_gossip_in(struct crypto_keys *, struct store *,
	     const char *sender, const char *sender_key, const char *type,
	     const json_t *content, int64_t now_ms, struct haos_error *);
/* 1 if name is one of CRYPTO_GOSSIP_NAMES. */
int	 crypto_gossip_shared(const char *name);
/*
 * The content of the m.secret.send answering request_id with the secret
 * name we hold: 1 with *content (the secret as unpadded base64 of its
 * bytes; wipe it with crypto_gossip_content_free()), 0 if we do not
 * hold it, -1.
 */
int	 crypto_gossip_answer(struct crypto_keys *, struct store *,
	     const char *name, const char *request_id, json_t **content,
	     struct haos_error *);
void	 crypto_gossip_content_free(json_t *);

#endif
