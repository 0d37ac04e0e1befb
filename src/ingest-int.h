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
	size_t			*touched;	/* res->rooms index + 1, hashed
						   by id (open addressing) */
	size_t			 touchedcap;	/* a power of two */
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
	json_t			*track;	/* members changed, for
					   tracked_users (ingest_state_track) */
	int			 track_all;	/* every member: encryption,
						   visibility, our membership */
};

/* One /sync answer being applied, for the walk that reads it. */
struct ingest_sync {
	struct ingest	 in;
	json_t		*top;		/* the parts not yet ingested */
	int		 early_done;	/* to_device and keys, before rooms */
};

/*
 * Read a /sync answer, giving its parts and rooms to the driver in the
 * order it meets them (ingest_sync_part(), ingest_sync_room()); -1 with
 * in.err set rolls the answer back.
 */
typedef int	(*ingest_walk_fn)(struct ingest_sync *, void *);

/*
 * Event i of a /messages page (i counts up from 0), as a new reference;
 * NULL with err set fails the page.
 */
typedef json_t	*(*ingest_event_fn)(void *, size_t i, struct haos_error *);

/* ingest.c */
int	ingest_sync_run(struct store *, ingest_walk_fn, void *,
	    struct ingest_result *, struct haos_error *);
int	ingest_sync_section(const char *, size_t);
void	ingest_sync_part(struct ingest_sync *, const char *key, size_t,
	    json_t *);
int	ingest_sync_room(struct ingest_sync *, enum room_join,
	    const char *room_id, const json_t *);
size_t	ingest_dump(struct ingest *, const json_t *);
void	ingest_clear(struct ingest *);
int	ingest_touch(struct ingest *, const char *room_id);
int	ingest_account_data(struct ingest *, int64_t room, const json_t *);

/* ingest-state.c */
int	ingest_state(struct ingest *, struct ingest_room *, const json_t *);
int	ingest_state_redact(struct ingest *, struct ingest_room *,
	    const char *target, const char *redaction_id);
int	ingest_state_track(struct ingest *, struct ingest_room *);

/* ingest-members.c */
int	ingest_members_stale(struct ingest *, const char *room_id);

/* ingest-room.c */
int	ingest_room_event(struct ingest *, struct ingest_room *,
	    const json_t *, int64_t ordinal, int backfill);
int	ingest_room(struct ingest *, const char *room_id, const json_t *,
	    enum room_join);

/* ingest-messages.c */
int	ingest_messages_run(struct store *, const char *room_id,
	    int64_t gap_id, size_t n, const char *end, ingest_event_fn,
	    void *, struct ingest_result *, struct haos_error *);

#endif
