/* /sync and /messages responses into the store, one transaction each. */
#ifndef HAOS_INGEST_H
#define HAOS_INGEST_H

#include "haos/haos.h"
#include "haos/json.h"

#include <stddef.h>
#include <stdint.h>

struct store;

/* What one ingest changed, for the net thread to post to the UI. */
struct ingest_result {
	unsigned int	  notify;	/* NOTIFY_* bits (notify.h) */
	char		**rooms;	/* ids of the rooms that changed */
	size_t		  nrooms;
	size_t		  events;	/* timeline events inserted */
	char		 *next_batch;	/* of a /sync, once committed */
	int		  duplicates;	/* text gave a room, a section or a
					   part twice: all ingested, in order */
};

int	ingest_sync(struct store *, const json_t *, struct ingest_result *,
	    struct haos_error *);
/*
 * ingest_sync() of the JSON text of a /sync answer, as it came from the
 * network (json_load_network()'s repairs), read in one pass, one room at
 * a time and in text order: the largest JSON tree alive is one room's,
 * never the whole answer's.  A room (or section, or part) given twice is
 * ingested twice, in order, and res->duplicates says so; jansson's tree
 * would keep the last value alone.
 */
int	ingest_sync_text(struct store *, const char *buf, size_t len,
	    struct ingest_result *, struct haos_error *);
/*
 * ingest_sync_text() of the len bytes of file fd (a spooled body),
 * mapped read-only; the pages read are given back room by room.
 */
int	ingest_sync_file(struct store *, int fd, size_t len,
	    struct ingest_result *, struct haos_error *);
int	ingest_messages(struct store *, const char *room_id, const json_t *,
	    int64_t gap_id, struct ingest_result *, struct haos_error *);
/* ingest_messages() of a page's text (or file), one event tree alive. */
int	ingest_messages_text(struct store *, const char *room_id,
	    const char *buf, size_t len, int64_t gap_id,
	    struct ingest_result *, struct haos_error *);
int	ingest_messages_file(struct store *, const char *room_id, int fd,
	    size_t len, int64_t gap_id, struct ingest_result *,
	    struct haos_error *);
/*
 * A room's /members answer (ingest-members.c); current: no /sync was
 * stored while it was out, so it is the whole list and marked complete.
 */
int	ingest_members(struct store *, const char *room_id, const json_t *,
	    int current, struct ingest_result *, struct haos_error *);
int	ingest_members_complete(struct store *, const char *room_id,
	    struct haos_error *);
void	ingest_result_free(struct ingest_result *);

#endif
