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
/*
 * An inbound Megolm session in the export format (a key file, the
 * backup, a forward: crypto-import.c), imported unauthenticated under
 * the owner of its sender key, the waiting events decrypted in place
 * (*changed counts the rooms that changed).  CRYPTO_IMPORT_DONE,
 * _KEPT (we hold one as good), _BAD (unusable: *why says why), or -1 on
 * a store error.  over_authenticated: an authenticated session may give
 * way to one with a lower first index (a forward from a verified device
 * of ours); otherwise it never does.
 */
struct crypto_import {
	const char	*room_id;
	const char	*session_id;
	const char	*sender_key;
	const char	*claimed_ed25519;	/* NULL: unknown */
	const char	*session_key;		/* export format */
	const char	*source;		/* megolm_in.source */
	int		 over_authenticated;
};
#define CRYPTO_IMPORT_BAD	0
#define CRYPTO_IMPORT_KEPT	1
#define CRYPTO_IMPORT_DONE	2
int	 crypto_import_megolm(struct crypto_keys *, struct store *,
	     const struct crypto_import *, const struct crypto_in_sink *,
	     int *changed, const char **why, struct haos_error *);
/*
 * Inbound Megolm sessions kept open between events, one cache per
 * identity (crypto-room-cache.c; crypto_keys_room_cache()).
 */
struct crypto_room_cache;
struct crypto_room_cache *crypto_room_cache_new(void);
void	 crypto_room_cache_free(struct crypto_room_cache *);
struct crypto_megolm_in *crypto_room_cache_get(struct crypto_room_cache *,
	     const char *room_id, const char *session_id, const char *pickle);
void	 crypto_room_cache_put(struct crypto_room_cache *,
	     const char *room_id, const char *session_id, const char *pickle,
	     struct crypto_megolm_in *);
struct crypto_room_cache *crypto_keys_room_cache(struct crypto_keys *);
/*
 * Whether a cross-signing seed named name ("m.cross_signing.<usage>") is
 * ours (crypto-ssss.c; /recovery and secret sharing): 1 its public key
 * is the one cross_signing_keys has for us, 0 there is none, -1 another
 * (-2: a store error, in err); *pub its public key (free it; NULL when
 * the seed is not one).
 */
int	 crypto_ssss_xsign_match(struct crypto_keys *, struct store *,
	     const char *name, const unsigned char *seed, size_t len,
	     char **pub, struct haos_error *);
/* 1 if events of this type are accepted only over Olm (crypto-room.c). */
int	 crypto_room_olm_only(const char *type);

/*
 * The SAS engine (crypto-sas-engine.c), for crypto-sas.c: an ephemeral
 * curve25519 key (32 random bytes; _from() takes them, for the tests'
 * fixed vectors), its public key (unpadded base64), the other side's
 * key, the HKDF bytes of an info string and the MAC of an input (v2:
 * hkdf-hmac-sha256.v2, else the legacy hkdf-hmac-sha256).  sha256 is
 * the unpadded base64 SHA-256 of a message (the commitment).
 */
struct crypto_sas_engine;
struct crypto_sas_engine *crypto_sas_engine_new(struct haos_error *);
struct crypto_sas_engine *crypto_sas_engine_from(const unsigned char *,
	     size_t, struct haos_error *);
const char *crypto_sas_engine_pubkey(const struct crypto_sas_engine *);
int	 crypto_sas_engine_set_their_key(struct crypto_sas_engine *,
	     const char *, struct haos_error *);
int	 crypto_sas_engine_bytes(struct crypto_sas_engine *, const char *info,
	     unsigned char *out, size_t n, struct haos_error *);
char	*crypto_sas_engine_mac(struct crypto_sas_engine *, const char *input,
	     const char *info, int v2, struct haos_error *);
char	*crypto_sas_engine_sha256(const char *, size_t);
void	 crypto_sas_engine_free(struct crypto_sas_engine *);

#endif
