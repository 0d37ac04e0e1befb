/* The one send path: contents, relations and mentions, to the outbox. */
#include "haos/client.h"
#include "client-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/mention.h"
#include "haos/model.h"
#include "haos/net.h"
#include "haos/relation.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/* Queue a JOB_SEND; rel_target is the edited, redacted or thread event. */
static void
client_queue(struct client *c, const char *room_id, const char *type,
    const char *state_key, const char *content, const char *rel_target)
{
	struct job	*j;

	j = net_job_send(room_id, type, content);
	if (state_key != NULL)
		j->state_key = xstrdup(state_key);
	if (rel_target != NULL)
		j->rel_target = xstrdup(rel_target);
	client_queue_job(c, j);
}

/* The sender of event_id as the cache knows it (caller frees), or NULL. */
static char *
client_sender_of(struct client *c, const char *event_id)
{
	struct haos_error	 err;
	struct event_row	 e;
	char			*sender = NULL;

	if (client_store(c) == NULL || event_id == NULL)
		return NULL;
	memset(&e, 0, sizeof e);
	if (store_query_event(client_store(c), event_id, &e, &err) != 1)
		return NULL;
	if (e.sender != NULL)
		sender = xstrdup(e.sender);
	event_row_free(&e);
	return sender;
}

/* The user ids of content's m.mentions (borrowed), or NULL. */
static json_t *
client_mention_ids(const json_t *content)
{
	return json_get_arr(json_get_obj(content, "m.mentions"), "user_ids");
}

/* Whether ids (a JSON array of strings) holds user. */
static int
client_ids_have(const json_t *ids, const char *user)
{
	const json_t	*v;
	size_t		 i;

	if (user == NULL)
		return 0;
	json_array_foreach(ids, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v),
		    user) == 0)
			return 1;
	}
	return 0;
}

/* Add user to content's m.mentions.user_ids (once; never me). */
static void
client_mention_add(struct client *c, json_t *content, const char *user)
{
	json_t	*m, *ids;

	if (user == NULL || (client_me(c) != NULL &&
	    strcmp(user, client_me(c)) == 0))
		return;
	m = json_get_obj(content, "m.mentions");
	if (m == NULL) {
		m = json_object();
		json_object_set_new(content, "m.mentions", m);
	}
	ids = json_get_arr(m, "user_ids");
	if (ids == NULL) {
		ids = json_array();
		json_object_set_new(m, "user_ids", ids);
	}
	if (!client_ids_have(ids, user))
		json_array_append_new(ids, json_string(user));
}

/* Mention the sender of event_id (a reply notifies whom it answers). */
static void
client_mention_sender(struct client *c, json_t *content,
    const char *event_id)
{
	char	*sender;

	sender = client_sender_of(c, event_id);
	client_mention_add(c, content, sender);
	free(sender);
}

/*
 * An edit: "* text" for clients without edits, the new content (with all
 * its mentions) in m.new_content, and at the top only the users the
 * original did not mention yet, so that an edit notifies nobody twice.
 */
static json_t *
client_edit_json(struct client *c, json_t *newc, const char *target)
{
	struct haos_error	 err;
	struct event_row	 e;
	json_t			*top, *orig = NULL, *ids, *oids, *m, *id;
	size_t			 i;

	top = relation_edit_of(newc, target);
	ids = client_mention_ids(newc);
	if (ids != NULL) {
		memset(&e, 0, sizeof e);
		if (client_store(c) != NULL && store_query_event(
		    client_store(c), target, &e, &err) == 1) {
			orig = json_load_stored(e.content);
			event_row_free(&e);
		}
		oids = client_mention_ids(orig);
		m = json_object();
		json_object_set_new(m, "user_ids", json_array());
		json_array_foreach(ids, i, id) {
			if (!client_ids_have(oids, json_string_value(id)))
				json_array_append(json_object_get(m,
				    "user_ids"), id);
		}
		json_object_set_new(top, "m.mentions", m);
		json_decref(orig);
	}
	return top;
}

/* The content of msg for room_id (a new reference). */
static json_t *
client_msg_json(struct client *c, const char *room_id,
    const struct client_msg *msg)
{
	json_t		*content, *edit;

	content = json_pack("{s:s, s:s}", "msgtype", msg->msgtype != NULL ?
	    msg->msgtype : "m.text", "body", msg->body);
	/*
	 * "@Bob" and "@bob:server" of members become real mentions, and
	 * Markdown the formatted_body (with the mentions as pills), unless
	 * the message goes as typed.
	 */
	mention_room(client_store(c), room_id, content, msg->body,
	    msg->plain ? MENTION_PLAIN : 0);
	switch (msg->rel) {
	case CLIENT_REL_NONE:
		break;
	case CLIENT_REL_REPLY:
		client_mention_sender(c, content, msg->target);
		json_object_set_new(content, "m.relates_to",
		    relation_reply_rel(msg->target));
		break;
	case CLIENT_REL_THREAD:
		if (msg->reply_to != NULL)
			client_mention_sender(c, content, msg->reply_to);
		json_object_set_new(content, "m.relates_to",
		    relation_thread_rel(msg->target, msg->latest,
		    msg->reply_to));
		break;
	case CLIENT_REL_EDIT:
		edit = client_edit_json(c, content, msg->target);
		json_decref(content);
		content = edit;
		break;
	}
	return content;
}

char *
client_msg_content(struct client *c, const char *room_id,
    const struct client_msg *msg)
{
	json_t	*content;
	char	*text;

	content = client_msg_json(c, room_id, msg);
	text = json_xdumps(content);
	json_decref(content);
	return text;
}

/* Refuse to send into a room we have not joined, or into a server. */
static int
client_check_room(struct client *c, const char *room_id,
    struct haos_error *err)
{
	struct haos_error	 e2;
	struct room_row		 r;
	int			 rc, ok = 0;

	if (room_id == NULL) {
		haos_error_set(err, HAOS_EUSAGE, "no channel selected");
		return -1;
	}
	if (client_store(c) == NULL)
		return 0;
	rc = store_query_room(client_store(c), room_id, &r, &e2);
	if (rc == 1 && r.join == ROOM_INVITE) {
		haos_error_set(err, HAOS_EUSAGE, "you are invited here: "
		    "/accept or /decline first");
		ok = -1;
	} else if (rc == 1 && r.is_space) {
		haos_error_set(err, HAOS_EUSAGE, "select a channel of the "
		    "server first");
		ok = -1;
	}
	if (rc == 1)
		room_row_free(&r);
	return ok;
}

int
client_send(struct client *c, const char *room_id,
    const struct client_msg *msg, struct haos_error *err)
{
	const char	*rel_target = NULL;
	char		*text;

	if (client_check_room(c, room_id, err) == -1)
		return -1;
	if (msg->rel != CLIENT_REL_NONE && msg->target == NULL) {
		haos_error_set(err, HAOS_EUSAGE, "no message to answer");
		return -1;
	}
	if (msg->rel == CLIENT_REL_EDIT || msg->rel == CLIENT_REL_THREAD)
		rel_target = msg->target;
	text = client_msg_content(c, room_id, msg);
	client_queue(c, room_id, "m.room.message", NULL, text, rel_target);
	free(text);
	return 0;
}

void
client_react(struct client *c, const char *room_id, const char *event_id,
    const char *key)
{
	char	*content;

	content = relation_reaction(event_id, key);
	client_queue(c, room_id, "m.reaction", NULL, content, event_id);
	free(content);
}

void
client_redact(struct client *c, const char *room_id, const char *event_id,
    const char *reason)
{
	char	*content;

	content = relation_redaction(reason);
	client_queue(c, room_id, "m.room.redaction", NULL, content, event_id);
	free(content);
}
