/* What the files of src/crypto/ share and nothing outside them sees. */
#ifndef HAOS_CRYPTO_INT_H
#define HAOS_CRYPTO_INT_H

#include <stddef.h>

#include "haos/crypto.h"

/*
 * The engine's account object behind a struct crypto_account, for the
 * session code (crypto-olm.c).  A void pointer: no engine type appears
 * in any header, this one included.
 */
void	*crypto_account_engine(struct crypto_account *);

/* n random bytes for the engine (NULL for none), then wiped and freed. */
unsigned char *crypto_engine_random(size_t n);
void	 crypto_engine_random_free(unsigned char *, size_t n);

/* The engine-neutral reason for an engine error code. */
enum crypto_fail crypto_engine_fail(int code);

/*
 * A short digest (unpadded base64 of SHA-256, first 16 characters) of a
 * message, to recognise one seen before (crypto-olm.c).
 */
char	*crypto_engine_digest(const char *, size_t);

/*
 * Decrypt in place the events of room_id waiting for session_id, now
 * that a key for it is stored (crypto-room.c): 1 if the room changed.
 */
struct crypto_in_sink;
struct store;
int	 crypto_room_retry(struct crypto_keys *, struct store *,
	     const char *room_id, const char *session_id,
	     const struct crypto_in_sink *, struct haos_error *);
/* 1 if events of this type are accepted only over Olm (crypto-room.c). */
int	 crypto_room_olm_only(const char *type);

#endif
