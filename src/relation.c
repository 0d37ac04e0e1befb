/* Event content for relations: edits, replies, threads, reactions. */
#include "haos/relation.h"

#include <stdlib.h>

#include "haos/json.h"
#include "haos/xmalloc.h"

/*
 * An edit of original_id whose new content is newc (a reference is
 * taken): "* body" (and "* formatted_body") for clients without edits,
 * m.new_content and m.relates_to {rel_type: m.replace, event_id}.
 */
json_t *
relation_edit_of(json_t *newc, const char *original_id)
{
	json_t		*top;
	const char	*fb;
	char		*star;

	top = json_object();
	json_object_set(top, "msgtype", json_object_get(newc, "msgtype"));
	star = xasprintf("* %s", json_get_str(newc, "body", ""));
	json_object_set_new(top, "body", json_string(star));
	free(star);
	fb = json_get_str(newc, "formatted_body", NULL);
	if (fb != NULL) {
		json_object_set(top, "format", json_object_get(newc,
		    "format"));
		star = xasprintf("* %s", fb);
		json_object_set_new(top, "formatted_body", json_string(star));
		free(star);
	}
	json_object_set(top, "m.new_content", newc);
	json_object_set_new(top, "m.relates_to", json_pack("{s:s, s:s}",
	    "rel_type", "m.replace", "event_id", original_id));
	return top;
}

json_t *
relation_reply_rel(const char *target_id)
{
	return json_pack("{s:{s:s}}", "m.in_reply_to", "event_id", target_id);
}

json_t *
relation_thread_rel(const char *root_id, const char *latest_id,
    const char *reply_id)
{
	const char	*to;

	to = reply_id != NULL ? reply_id : latest_id != NULL ? latest_id :
	    root_id;
	return json_pack("{s:s, s:s, s:b, s:{s:s}}", "rel_type", "m.thread",
	    "event_id", root_id, "is_falling_back", reply_id == NULL,
	    "m.in_reply_to", "event_id", to);
}

char *
relation_reaction(const char *target_id, const char *key)
{
	return json_xdumps_take(json_pack("{s:{s:s, s:s, s:s}}",
	    "m.relates_to", "rel_type", "m.annotation", "event_id", target_id,
	    "key", key));
}

char *
relation_redaction(const char *reason)
{
	if (reason == NULL)
		return json_xdumps_take(json_object());
	return json_xdumps_take(json_pack("{s:s}", "reason", reason));
}
