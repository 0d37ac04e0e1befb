/* Event content for relations: edits, replies, threads, reactions. */
#ifndef HAOS_RELATION_H
#define HAOS_RELATION_H

#include "haos/haos.h"

#include "haos/json.h"

/*
 * The shapes of haos-backend-mapping.md (sections 1, 4.3 and 4.4).  The
 * message relations are JSON pieces the send path (client-send.c) puts
 * together with the mentions; reactions and redactions are whole
 * contents, as compact JSON text the caller frees.
 */

/*
 * An edit of original_id to newc (a new reference; newc is kept):
 * body "* text", m.new_content and m.relates_to {rel_type: m.replace}.
 */
json_t	*relation_edit_of(json_t *newc, const char *original_id);
/* A reply's m.relates_to: {m.in_reply_to: {event_id}}, no fallback. */
json_t	*relation_reply_rel(const char *target_id);
/*
 * The m.relates_to of a reply in the thread of root_id: rel_type
 * m.thread, is_falling_back true and m.in_reply_to the thread's newest
 * event latest_id (root if NULL); with reply_id, the message answers
 * that event: is_falling_back false and m.in_reply_to reply_id (spec,
 * Threading).
 */
json_t	*relation_thread_rel(const char *root_id, const char *latest_id,
	    const char *reply_id);
/* m.reaction: m.relates_to {rel_type: m.annotation, event_id, key}. */
char	*relation_reaction(const char *target_id, const char *key);

/* m.room.redaction content: {reason} or {} when reason is NULL. */
char	*relation_redaction(const char *reason);

#endif
