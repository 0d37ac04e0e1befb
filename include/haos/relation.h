/* Event content for relations: edits, replies, threads, reactions. */
#ifndef HAOS_RELATION_H
#define HAOS_RELATION_H

#include "haos/haos.h"

/*
 * Each builder returns compact JSON text the caller frees, in the shapes
 * of haos-backend-mapping.md (sections 1, 4.3 and 4.4).  msgtype NULL
 * means "m.text".
 */

/*
 * m.replace of original_id: body "* text", m.new_content and
 * m.relates_to {rel_type: m.replace, event_id}.
 */
char	*relation_edit(const char *original_id, const char *msgtype,
	    const char *text);

/* A reply: m.relates_to {m.in_reply_to: {event_id}}, no fallback. */
char	*relation_reply(const char *target_id, const char *msgtype,
	    const char *text);

/*
 * A reply in the thread of root_id: m.relates_to {rel_type: m.thread,
 * event_id: root, is_falling_back: true, m.in_reply_to: {event_id:
 * latest}}, latest being the newest event of the thread (root if NULL).
 * With reply_id, the message answers that event of the thread:
 * is_falling_back false and m.in_reply_to reply_id (spec, Threading).
 */
char	*relation_thread(const char *root_id, const char *latest_id,
	    const char *reply_id, const char *msgtype, const char *text);

/* m.reaction: m.relates_to {rel_type: m.annotation, event_id, key}. */
char	*relation_reaction(const char *target_id, const char *key);

/* m.room.redaction content: {reason} or {} when reason is NULL. */
char	*relation_redaction(const char *reason);

#endif
