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

#endif
