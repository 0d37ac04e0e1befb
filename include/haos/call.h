/* MatrixRTC call memberships: who is in a voice or video channel's call. */
#ifndef HAOS_CALL_H
#define HAOS_CALL_H

#include "haos/haos.h"
#include "haos/model.h"

#include <stddef.h>
#include <stdint.h>

struct haos_error;
struct store;

/* The state event types of a call membership, stable and unstable. */
#define CALL_MEMBER_TYPE	"m.call.member"
#define CALL_MEMBER_TYPE_MSC	"org.matrix.msc3401.call.member"

/* A membership without "expires" lasts this long (MSC4143). */
#define CALL_DEFAULT_EXPIRE_MS	(4LL * 60 * 60 * 1000)

/*
 * The users in the call at now_ms according to the state rows of either
 * type, each once, in the rows' order (user ids, unsanitised).
 */
char	**call_members(const struct state_row *, size_t, int64_t now_ms,
	    size_t *n);
/* The same for a room of the store. */
int	 call_room_members(struct store *, const char *room_id,
	    int64_t now_ms, char ***ids, size_t *n, struct haos_error *);
void	 call_members_free(char **, size_t);

#endif
