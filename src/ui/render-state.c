/* State events to sentences: "alice joined", "changed the topic"... */
#include "haos/render.h"

#include <stdlib.h>
#include <string.h>

#include "haos/json.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"
#include "render-int.h"


/* Sanitised display name of a user: name_of(), else the user id. */
char *
render_name(const struct render_opts *ro, const char *user_id,
    const char *fallback)
{
	const char	*name = NULL;

	if (user_id == NULL)
		user_id = "";
	if (ro->name_of != NULL)
		name = ro->name_of(ro->name_arg, user_id);
	if (name == NULL || *name == '\0')
		name = fallback;
	if (name == NULL || *name == '\0')
		name = user_id;
	return sanitize_text(name, (size_t)-1, 0);
}

/*
 * A member who stays joined changed their profile: "Al changed their
 * name to Alice", "Alice changed their picture", or nothing at all.
 */
static char *
render_member_change(const struct render_opts *ro, const struct event_row *ev,
    const json_t *c, const json_t *prev)
{
	const char	*was, *now, *pa, *na;
	char		*a, *b, *s;

	was = json_get_str(prev, "displayname", NULL);
	now = json_get_str(c, "displayname", NULL);
	if ((was == NULL) != (now == NULL) || (was != NULL &&
	    strcmp(was, now) != 0)) {
		/* The old name as it was, not as the member list says now. */
		a = sanitize_text(was != NULL ? was : ev->state_key,
		    (size_t)-1, 0);
		if (now != NULL) {
			b = sanitize_text(now, (size_t)-1, 0);
			s = xasprintf("%s changed their name to %s", a, b);
			free(b);
		} else
			s = xasprintf("%s removed their display name", a);
		free(a);
		return s;
	}
	pa = json_get_str(prev, "avatar_url", "");
	na = json_get_str(c, "avatar_url", "");
	if (strcmp(pa, na) != 0) {
		a = render_name(ro, ev->state_key, now);
		s = xasprintf("%s changed their picture", a);
		free(a);
		return s;
	}
	return NULL;
}

/* "alice joined" and friends for state events; NULL to show nothing. */
char *
render_state_text(const struct render_opts *ro, const struct event_row *ev,
    const json_t *c)
{
	const char	*type = ev->type, *m, *v, *reason, *pm;
	const json_t	*prev;
	char		*who, *whom, *s = NULL, *tv;

	who = render_name(ro, ev->sender, NULL);
	if (strcmp(type, "m.room.member") == 0) {
		whom = render_name(ro, ev->state_key,
		    json_get_str(c, "displayname", NULL));
		m = json_get_str(c, "membership", "");
		reason = json_get_str(c, "reason", NULL);
		prev = json_get_obj(c, "io.haos.prev");
		pm = json_get_str(prev, "membership", "");
		if (strcmp(m, "join") == 0 && strcmp(pm, "join") == 0)
			s = render_member_change(ro, ev, c, prev);
		else if (strcmp(m, "join") == 0)
			s = xasprintf("%s joined", whom);
		else if (strcmp(m, "leave") == 0 && strcmp(pm, "ban") == 0)
			s = xasprintf("%s unbanned %s", who, whom);
		else if (strcmp(m, "leave") == 0 && strcmp(pm, "invite") == 0 &&
		    ev->sender != NULL && ev->state_key != NULL &&
		    strcmp(ev->sender, ev->state_key) == 0)
			s = xasprintf("%s declined the invite", whom);
		else if (strcmp(m, "leave") == 0 && strcmp(pm, "invite") == 0)
			s = xasprintf("%s withdrew the invite of %s", who, whom);
		else if (strcmp(m, "invite") == 0)
			s = xasprintf("%s invited %s", who, whom);
		else if (strcmp(m, "leave") == 0 && ev->sender != NULL &&
		    ev->state_key != NULL &&
		    strcmp(ev->sender, ev->state_key) == 0)
			s = xasprintf("%s left", whom);
		else if (strcmp(m, "leave") == 0)
			s = xasprintf("%s removed %s", who, whom);
		else if (strcmp(m, "ban") == 0)
			s = xasprintf("%s banned %s", who, whom);
		else if (strcmp(m, "knock") == 0)
			s = xasprintf("%s asked to join", whom);
		if (s != NULL && reason != NULL && *reason != '\0' &&
		    strcmp(m, "join") != 0) {
			tv = sanitize_text(reason, (size_t)-1, 0);
			v = s;
			s = xasprintf("%s: %s", v, tv);
			free((char *)v);
			free(tv);
		}
		free(whom);
	} else if (strcmp(type, "m.room.topic") == 0) {
		tv = sanitize_text(json_get_str(c, "topic", ""), (size_t)-1, 0);
		s = *tv == '\0' ? xasprintf("%s cleared the topic", who) :
		    xasprintf("%s changed the topic to \"%s\"", who, tv);
		free(tv);
	} else if (strcmp(type, "m.room.name") == 0) {
		tv = sanitize_text(json_get_str(c, "name", ""), (size_t)-1, 0);
		s = *tv == '\0' ? xasprintf("%s removed the name", who) :
		    xasprintf("%s renamed this to \"%s\"", who, tv);
		free(tv);
	} else if (strcmp(type, "m.room.create") == 0)
		s = xasprintf("%s created this", who);
	else if (strcmp(type, "m.room.encryption") == 0)
		s = xasprintf("%s turned on end-to-end encryption", who);
	else if (strcmp(type, "m.room.avatar") == 0)
		s = xasprintf("%s changed the picture", who);
	else if (strcmp(type, "m.room.power_levels") == 0)
		s = xasprintf("%s changed roles and permissions", who);
	else if (strcmp(type, "m.room.join_rules") == 0) {
		v = json_get_str(c, "join_rule", "");
		tv = sanitize_text(v, (size_t)-1, 0);
		s = xasprintf("%s set who can join to %s", who, tv);
		free(tv);
	} else if (strcmp(type, "m.room.history_visibility") == 0) {
		v = json_get_str(c, "history_visibility", "");
		tv = sanitize_text(v, (size_t)-1, 0);
		s = xasprintf("%s set history visibility to %s", who, tv);
		free(tv);
	}
	free(who);
	return s;
}
