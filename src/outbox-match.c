/* Whether an event in a room's history is an outbox row: pure. */
#include "haos/outbox-match.h"

#include <string.h>

/* The parts of a Megolm wire copy that the server cannot change. */
static const char *const outbox_match_wire_keys[] = {
	"algorithm", "session_id", "ciphertext"
};

/* ev's content is the wire copy w (each part present in both, equal). */
static int
outbox_match_wire(const json_t *w, const json_t *content)
{
	const json_t	*a, *b;
	size_t		 i;

	for (i = 0; i < sizeof outbox_match_wire_keys /
	    sizeof outbox_match_wire_keys[0]; i++) {
		a = json_object_get(w, outbox_match_wire_keys[i]);
		b = json_object_get(content, outbox_match_wire_keys[i]);
		if (a == NULL || b == NULL || !json_equal(a, b))
			return 0;
	}
	return 1;
}

/* ev's content is the plaintext row (a redaction: and its target). */
static int
outbox_match_plain(const struct outbox_want *w, const json_t *ev,
    const json_t *content)
{
	json_t		*copy;
	const char	*redacts;
	int		 same;

	if (w->content == NULL)
		return 0;
	if (strcmp(w->type, "m.room.redaction") != 0)
		return json_equal(content, w->content);
	/* The target is outside content (or inside, v11). */
	redacts = json_get_str(ev, "redacts", NULL);
	if (redacts == NULL)
		redacts = json_get_str(content, "redacts", NULL);
	if (redacts == NULL || w->rel_target == NULL ||
	    strcmp(redacts, w->rel_target) != 0)
		return 0;
	copy = json_deep_copy(content);
	json_object_del(copy, "redacts");
	same = json_equal(copy, w->content);
	json_decref(copy);
	return same;
}

int
outbox_match(const struct outbox_want *w, const json_t *ev)
{
	const json_t	*content;
	const char	*type;

	if (!json_is_object(ev) ||
	    strcmp(json_get_str(ev, "sender", ""), w->user_id) != 0 ||
	    json_object_get(ev, "state_key") != NULL ||
	    json_get_int(ev, "origin_server_ts", 0) < w->since_ts)
		return 0;
	content = json_get_obj(ev, "content");
	if (content == NULL)
		return 0;
	type = json_get_str(ev, "type", "");
	if (w->wire_type != NULL && w->wire != NULL &&
	    strcmp(type, w->wire_type) == 0 &&
	    outbox_match_wire(w->wire, content))
		return 1;
	return strcmp(type, w->type) == 0 && outbox_match_plain(w, ev,
	    content);
}
