/* Room key requests and forwarded room keys (E2EE.md Step 11). */
#ifndef HAOS_CRYPTO_KEYREQ_H
#define HAOS_CRYPTO_KEYREQ_H

#include "haos/json.h"

struct crypto_in_sink;
struct crypto_keys;
struct haos_error;
struct store;
struct store_keyreq_in;

/*
 * crypto-keyreq.c, on the net thread.  Legacy and kept minimal: we ask
 * only our own verified devices, and only when no trusted key backup
 * exists (net-keyreq.c); we answer only our own verified devices (from
 * the first index we know) and devices we shared that very session with
 * (from the index we gave them).
 *
 * crypto_keyreq_id() is a new request id (random, URL-safe base64).
 * crypto_keyreq_request() and crypto_keyreq_cancel() are the contents of
 * the m.room_key_request (action request, or request_cancellation) this
 * device sends in clear.
 */
char	*crypto_keyreq_id(void);
json_t	*crypto_keyreq_request(struct crypto_keys *, const char *request_id,
	     const char *room_id, const char *session_id,
	     const char *sender_key);
json_t	*crypto_keyreq_cancel(struct crypto_keys *, const char *request_id);

/*
 * An m.room_key_request received in clear from sender (crypto-in.c, in
 * the /sync transaction): a request is kept in key_requests_in for
 * net-keyreq.c to answer after the commit, a cancellation removes it;
 * our own device's, a malformed one or one over the cap is ignored.
 * 0, or -1 on a store error.
 */
int	 crypto_keyreq_received(struct crypto_keys *, struct store *,
	     const char *sender, const json_t *content, struct haos_error *);

/*
 * An m.forwarded_room_key that came over Olm from sender's sender_key
 * (crypto-in.c, in the /sync transaction).  Taken only if the sender is
 * our own user, the device owning sender_key is verified and is one our
 * request for that (room, session) asked (key_requests, still 'sent'),
 * the sender_key it names is the one we asked about, and the key is
 * better than what we hold (none, or a lower first index; never the
 * session of another sender key).  It is imported (the export format)
 * unauthenticated with source 'forwarded', its sender the owner of the
 * original sender key in table devices, and the events waiting for it
 * are decrypted in place through sink.  Anything else is logged and
 * ignored.  How many rooms changed, or -1 on a store error.
 */
int	 crypto_keyreq_forwarded(struct crypto_keys *, struct store *,
	     const char *sender, const char *sender_key, const json_t *content,
	     const struct crypto_in_sink *, struct haos_error *);

/*
 * The answer to a kept request: 1 with *content the m.forwarded_room_key
 * to send (over Olm) to the requesting device (its session_key is a
 * secret: crypto_keyreq_content_free() wipes it); 2 with *content the
 * m.room_key.withheld to send in clear to our own other device when we
 * refuse it (m.unverified) or hold no such session (m.unavailable); 0
 * otherwise (logged: anybody else is told nothing, nor is our device
 * when the session's sender key is unknown); -1 on a store error.
 */
int	 crypto_keyreq_answer(struct crypto_keys *, struct store *,
	     const struct store_keyreq_in *, json_t **content,
	     struct haos_error *);
void	 crypto_keyreq_content_free(json_t *);

#endif
