/* Private to src/ingest*.c: the state of one ingest call. */
#ifndef HAOS_INGEST_INT_H
#define HAOS_INGEST_INT_H

#include <stddef.h>
#include <stdint.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/model.h"
#include "haos/store.h"

/*
 * Free ordinals left below the first event of a limited timeline for
 * backfill; a gap that needs more is widened by store_timeline_shift().
 */
#define INGEST_GAP_SPAN	((int64_t)1 << 20)

struct ingest_result;

/* One ingest call: the store, the result being built and a dump buffer. */
struct ingest {
	struct store		*s;
	struct ingest_result	*res;
	struct haos_error	*err;
	char			*buf;	/* compact JSON of the last content */
	size_t			 bufsz;
	size_t			 roomscap;
};

/* A room being ingested. */
struct ingest_room {
	const char		*room_id;
	int64_t			 key;
	int			 is_new;	/* no row before this ingest */
	enum room_join		 join;		/* the /sync section */
	struct store_room_patch	 patch;
	int			 parent_canonical;
	json_t			*pl;	/* m.room.power_levels content */
	int			 pl_loaded;
	unsigned int		 notify;
};

/* The rooms of a /sync answer, ingested by whoever holds them. */
typedef int	(*ingest_rooms_fn)(struct ingest *, void *);

/* ingest.c */
int	ingest_sync_run(struct store *, const json_t *sync, ingest_rooms_fn,
	    void *, struct ingest_result *, struct haos_error *);
size_t	ingest_dump(struct ingest *, const json_t *);
int	ingest_touch(struct ingest *, const char *room_id);
int	ingest_account_data(struct ingest *, int64_t room, const json_t *);

/* ingest-state.c */
int	ingest_state(struct ingest *, struct ingest_room *, const json_t *);
int	ingest_state_redact(struct ingest *, struct ingest_room *,
	    const char *target, const char *redaction_id);

/* ingest-members.c */
int	ingest_members_stale(struct ingest *, const char *room_id);

/* ingest-room.c */
int	ingest_room_event(struct ingest *, struct ingest_room *,
	    const json_t *, int64_t ordinal, int backfill);
int	ingest_room(struct ingest *, const char *room_id, const json_t *,
	    enum room_join);
int	ingest_rooms(struct ingest *, const json_t *rooms);

#endif
