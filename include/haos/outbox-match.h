/* Whether an event in a room's history is an outbox row (outbox-match.c). */
#ifndef HAOS_OUTBOX_MATCH_H
#define HAOS_OUTBOX_MATCH_H

#include <stdint.h>

#include "haos/json.h"

/*
 * What a sent row looks like on the server.  An encrypted room's row
 * that has a wire copy went out as that copy (wire_type, wire): the
 * event is the ciphertext, matched by algorithm, session_id and
 * ciphertext.  The plaintext (type, content) matches too: a row put in
 * the clear before its room was encrypted, or a redaction (rel_target,
 * in the event or, v11, its content), which is never encrypted.
 */
struct outbox_want {
	const char	*user_id;	/* the sender */
	int64_t		 since_ts;	/* no event older than this */
	const char	*type;
	const json_t	*content;
	const char	*rel_target;	/* a redaction's target, or NULL */
	const char	*wire_type;	/* the wire copy, or NULL */
	const json_t	*wire;
};

/* 1 if ev (a client-format event) is the row as the server stored it. */
int	outbox_match(const struct outbox_want *, const json_t *ev);

#endif
