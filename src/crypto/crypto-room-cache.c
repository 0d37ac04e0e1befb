/* The inbound Megolm sessions last used, kept open between events. */

/*
 * Opening a session from its pickle costs a key derivation and a
 * decryption, and an opened session only remembers how far its ratchet
 * has come while it stays open: a session opened afresh for each event
 * winds its ratchet forward from its first known index every time, so
 * the cost of an event grew with its index (hundreds of microseconds
 * past index 1,000; make bench).  An entry is used only while the store
 * still holds the very pickle it was opened from: a better key stored
 * meanwhile, or a transaction rolled back, simply opens it again.
 */
#include <stdlib.h>
#include <string.h>

#include "haos/xmalloc.h"
#include "crypto-int.h"

#define CRYPTO_ROOM_CACHE	32	/* sessions kept open */

struct crypto_room_entry {
	char			*room_id;
	char			*session_id;
	char			*pickle;	/* what it was opened from */
	struct crypto_megolm_in	*in;
	unsigned long		 used;
};

struct crypto_room_cache {
	struct crypto_room_entry e[CRYPTO_ROOM_CACHE];
	unsigned long		 clock;
};

static void
crypto_room_entry_clear(struct crypto_room_entry *e)
{
	free(e->room_id);
	free(e->session_id);
	if (e->pickle != NULL)
		explicit_bzero(e->pickle, strlen(e->pickle));
	free(e->pickle);
	crypto_megolm_in_free(e->in);
	memset(e, 0, sizeof *e);
}

void
crypto_room_cache_free(struct crypto_room_cache *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < CRYPTO_ROOM_CACHE; i++)
		crypto_room_entry_clear(&c->e[i]);
	free(c);
}

/*
 * The open session of (room_id, session_id) made from pickle, or NULL;
 * the cache keeps ownership.
 */
struct crypto_megolm_in *
crypto_room_cache_get(struct crypto_room_cache *c, const char *room_id,
    const char *session_id, const char *pickle)
{
	struct crypto_room_entry	*e;
	size_t				 i;

	for (i = 0; c != NULL && i < CRYPTO_ROOM_CACHE; i++) {
		e = &c->e[i];
		if (e->in != NULL && strcmp(e->session_id, session_id) == 0 &&
		    strcmp(e->room_id, room_id) == 0) {
			if (strcmp(e->pickle, pickle) != 0) {
				crypto_room_entry_clear(e);
				return NULL;
			}
			e->used = ++c->clock;
			return e->in;
		}
	}
	return NULL;
}

/* Keep in (taken), opened from pickle, in place of the least recent. */
void
crypto_room_cache_put(struct crypto_room_cache *c, const char *room_id,
    const char *session_id, const char *pickle, struct crypto_megolm_in *in)
{
	struct crypto_room_entry	*e = &c->e[0];
	size_t				 i;

	for (i = 1; i < CRYPTO_ROOM_CACHE; i++) {
		if (c->e[i].used < e->used)
			e = &c->e[i];
	}
	crypto_room_entry_clear(e);
	e->room_id = xstrdup(room_id);
	e->session_id = xstrdup(session_id);
	e->pickle = xstrdup(pickle);
	e->in = in;
	e->used = ++c->clock;
}

struct crypto_room_cache *
crypto_room_cache_new(void)
{
	return xcalloc(1, sizeof(struct crypto_room_cache));
}
