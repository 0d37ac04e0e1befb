/* Event content for relations: edits, replies, threads, reactions. */
#include "haos/relation.h"

#include <stdlib.h>

#include "haos/json.h"
#include "haos/xmalloc.h"

char *
relation_edit(const char *original_id, const char *msgtype,
    const char *text)
{
	json_t	*c;
	char	*star;

	if (msgtype == NULL)
		msgtype = "m.text";
	/* The fallback body that clients without edits show. */
	star = xasprintf("* %s", text);
	c = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}}",
	    "msgtype", msgtype, "body", star,
	    "m.new_content", "msgtype", msgtype, "body", text,
	    "m.relates_to", "rel_type", "m.replace", "event_id", original_id);
	free(star);
	return json_xdumps_take(c);
}

char *
relation_reply(const char *target_id, const char *msgtype, const char *text)
{
	return json_xdumps_take(json_pack("{s:s, s:s, s:{s:{s:s}}}",
	    "msgtype", msgtype != NULL ? msgtype : "m.text", "body", text,
	    "m.relates_to", "m.in_reply_to", "event_id", target_id));
}

char *
relation_thread(const char *root_id, const char *latest_id,
    const char *reply_id, const char *msgtype, const char *text)
{
	const char	*to;

	to = reply_id != NULL ? reply_id : latest_id != NULL ? latest_id :
	    root_id;
	return json_xdumps_take(json_pack(
	    "{s:s, s:s, s:{s:s, s:s, s:b, s:{s:s}}}",
	    "msgtype", msgtype != NULL ? msgtype : "m.text", "body", text,
	    "m.relates_to", "rel_type", "m.thread", "event_id", root_id,
	    "is_falling_back", reply_id == NULL, "m.in_reply_to", "event_id",
	    to));
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
