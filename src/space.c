/* HAOS servers and channels: state event builders and store lookups. */
#include "haos/space.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/*
 * The shapes below are the contract with the HAOS web app
 * (haos-backend-mapping.md): every key and value type must match it, and
 * tests/fixtures/space/shapes.json checks them.
 */

/* io.haos.server {inviteCode, ownerId}. */
json_t *
space_server_content(const char *invite_code, const char *owner_id)
{
	return json_pack("{s:s, s:s}", "inviteCode", invite_code,
	    "ownerId", owner_id);
}

/* io.haos.channel {type, creatorId}. */
json_t *
space_channel_content(enum channel_type type, const char *creator_id)
{
	return json_pack("{s:s, s:s}", "type", space_channel_type_name(type),
	    "creatorId", creator_id);
}

/* m.space.child {via, order}; order may be NULL. */
json_t *
space_child_content(const char *via, const char *order)
{
	json_t	*c;

	c = json_pack("{s:[s]}", "via", via);
	if (order != NULL)
		json_object_set_new(c, "order", json_string(order));
	return c;
}

/* m.space.parent {via, canonical}. */
json_t *
space_parent_content(const char *via, int canonical)
{
	return json_pack("{s:[s], s:b}", "via", via, "canonical",
	    canonical != 0);
}

/* io.haos.server_deleted, the mark of a deleted server. */
json_t *
space_deleted_content(const char *by, long long ts_ms)
{
	return json_pack("{s:b, s:s, s:I}", "deleted", 1, "deletedBy", by,
	    "deletedAt", (json_int_t)ts_ms);
}

/* m.room.join_rules: restricted to members of the space. */
json_t *
space_restricted_rule(const char *space_id)
{
	return json_pack("{s:s, s:[{s:s, s:s}]}", "join_rule", "restricted",
	    "allow", "type", "m.room_membership", "room_id", space_id);
}

/* The level of user_id under power levels pl: users, else users_default. */
int64_t
space_power_of(const json_t *pl, const char *user_id)
{
	json_t	*v;

	v = json_object_get(json_object_get(pl, "users"), user_id);
	if (json_is_integer(v))
		return json_integer_value(v);
	return json_get_int(pl, "users_default", 0);
}

/* The power-level template of section 4.2 with the given users map. */
json_t *
space_power_levels(const json_t *users)
{
	json_t	*pl;

	pl = json_pack("{s:i, s:{s:i, s:i, s:i, s:i, s:i, s:i}, "
	    "s:i, s:i, s:i, s:i}",
	    "users_default", SPACE_GUEST,
	    "events",
	    "m.room.message", SPACE_GUEST,
	    "m.room.name", SPACE_MODERATOR,
	    "m.room.avatar", SPACE_MODERATOR,
	    "m.room.power_levels", SPACE_ADMIN,
	    "m.space.child", SPACE_MODERATOR,
	    "io.haos.channel", SPACE_MODERATOR,
	    "kick", SPACE_MODERATOR,
	    "ban", SPACE_MODERATOR,
	    "redact", SPACE_MODERATOR,
	    "invite", SPACE_GUEST);
	json_object_set_new(pl, "users", users != NULL ?
	    json_deep_copy(users) : json_object());
	return pl;
}

/* The createRoom body of a server (space). */
json_t *
space_create_body(const char *name, const char *me, const char *invite_code,
    const char *avatar_mxc)
{
	json_t	*body, *state, *users;

	state = json_array();
	if (avatar_mxc != NULL)
		json_array_append_new(state, json_pack("{s:s, s:s, s:{s:s}}",
		    "type", "m.room.avatar", "state_key", "", "content",
		    "url", avatar_mxc));
	json_array_append_new(state, json_pack("{s:s, s:s, s:o}",
	    "type", "io.haos.server", "state_key", "", "content",
	    space_server_content(invite_code, me)));
	users = json_pack("{s:i}", me, SPACE_ADMIN);
	/* public_chat: join rule public; visibility private: unlisted. */
	body = json_pack("{s:s, s:s, s:s, s:{s:s}, s:o, s:o}",
	    "name", name,
	    "preset", "public_chat",
	    "visibility", "private",
	    "creation_content", "type", "m.space",
	    "initial_state", state,
	    "power_level_content_override", space_power_levels(users));
	json_decref(users);
	return body;
}

/* The createRoom body of a channel of space_id. */
json_t *
space_channel_create_body(const char *name, const char *space_id,
    enum channel_type type, const char *me, const char *via,
    const json_t *users)
{
	json_t	*state, *u, *body;

	state = json_pack("[{s:s, s:s, s:o}, {s:s, s:s, s:o}, "
	    "{s:s, s:s, s:o}]",
	    "type", "m.space.parent", "state_key", space_id, "content",
	    space_parent_content(via, 1),
	    "type", "io.haos.channel", "state_key", "", "content",
	    space_channel_content(type, me),
	    "type", "m.room.join_rules", "state_key", "", "content",
	    space_restricted_rule(space_id));
	if (users != NULL && json_object_size(users) > 0)
		u = json_deep_copy(users);
	else
		u = json_pack("{s:i}", me, SPACE_ADMIN);
	body = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}",
	    "name", name,
	    "preset", "public_chat",
	    "visibility", "private",
	    "room_version", SPACE_CHANNEL_VERSION,
	    "initial_state", state,
	    "power_level_content_override", space_power_levels(u));
	json_decref(u);
	return body;
}

const char *
space_channel_type_name(enum channel_type t)
{
	switch (t) {
	case CHANNEL_AUDIO:
		return "AUDIO";
	case CHANNEL_VIDEO:
		return "VIDEO";
	default:
		return "TEXT";
	}
}

/* "text", "AUDIO", "video": 0; anything else -1. */
int
space_channel_type_parse(const char *s, enum channel_type *t)
{
	if (strcasecmp(s, "text") == 0)
		*t = CHANNEL_TEXT;
	else if (strcasecmp(s, "audio") == 0)
		*t = CHANNEL_AUDIO;
	else if (strcasecmp(s, "video") == 0)
		*t = CHANNEL_VIDEO;
	else
		return -1;
	return 0;
}

/*
 * A new invite code: 10 characters of [a-z0-9] (about 51 bits) from
 * /dev/urandom, valid in an alias localpart and easy to type.
 */
char *
space_invite_code(void)
{
	static const char	 set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char		 raw[10];
	struct timespec		 ts;
	unsigned int		 seed;
	char			*code;
	size_t			 i, got = 0;
	ssize_t			 r;
	int			 fd;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	while (fd != -1 && got < sizeof raw) {
		r = read(fd, raw + got, sizeof raw - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (fd != -1)
		close(fd);
	if (got < sizeof raw) {
		/* No /dev/urandom: the clock and pid (weak, but unique). */
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (unsigned int)ts.tv_nsec ^ (unsigned int)ts.tv_sec ^
		    ((unsigned int)getpid() << 16);
		for (i = got; i < sizeof raw; i++)
			raw[i] = (unsigned char)rand_r(&seed);
	}
	code = xmalloc(sizeof raw + 1);
	for (i = 0; i < sizeof raw; i++)
		code[i] = set[raw[i] % (sizeof set - 1)];
	code[sizeof raw] = '\0';
	return code;
}

/* #haos-CODE:SERVER_NAME */
char *
space_invite_alias(const char *code, const char *server_name)
{
	return xasprintf("#" SPACE_ALIAS_PREFIX "%s:%s", code, server_name);
}

/* A code we can put in an alias: 1-64 of [A-Za-z0-9_-]. */
int
space_valid_code(const char *s)
{
	size_t	 n;

	for (n = 0; s[n] != '\0'; n++) {
		if (!isalnum((unsigned char)s[n]) && s[n] != '-' &&
		    s[n] != '_')
			return 0;
	}
	return n > 0 && n <= 64;
}

int
space_valid_room_id(const char *s)
{
	size_t	 n;

	if (s == NULL || s[0] != '!' || strchr(s, ':') == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++) {
		if ((unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f)
			return 0;
	}
	return n <= 255;
}

char *
space_server_name(const char *user_id)
{
	const char	*colon;

	if (user_id == NULL || user_id[0] != '@')
		return NULL;
	colon = strchr(user_id, ':');
	if (colon == NULL || colon[1] == '\0')
		return NULL;
	return xstrdup(colon + 1);
}

/* Printable ASCII, 1 to 50 characters (the spec's rule for order). */
int
space_order_valid(const char *s)
{
	size_t	 n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++) {
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e)
			return 0;
	}
	return n > 0 && n <= SPACE_ORDER_MAX;
}

/*
 * An order after max: the last character raised by one, or '!' appended
 * after a '~'.  Either is bytewise greater than max and than anything
 * below it.
 */
char *
space_order_after(const char *max)
{
	char	*s;
	size_t	 n;

	if (max == NULL || *max == '\0')
		return xstrdup("0100");
	if (!space_order_valid(max))
		return NULL;
	n = strlen(max);
	if (max[n - 1] != '~') {
		s = xstrdup(max);
		s[n - 1]++;
		return s;
	}
	if (n >= SPACE_ORDER_MAX)
		return NULL;
	return xasprintf("%s!", max);
}

/* n increasing orders "0100", "0200", ... (room left to insert). */
char **
space_order_sequence(size_t n)
{
	char	**v;
	size_t	  i;

	v = xcalloc(n + 1, sizeof *v);
	for (i = 0; i < n; i++)
		v[i] = xasprintf("%04zu", (i + 1) * 100);
	return v;
}

static char *
space_pct_decode(const char *s, size_t len)
{
	char	*out, hex[3];
	size_t	 i, o = 0;

	out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			hex[0] = s[i + 1];
			hex[1] = s[i + 2];
			hex[2] = '\0';
			out[o++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/*
 * Parse a /join argument: "CODE", "#alias:hs", "!id:hs", or the same
 * inside "https://matrix.to/#/..." (with "?via=server").
 */
int
space_parse_join(const char *arg, struct space_join_target *t,
    struct haos_error *err)
{
	static const char	 link[] = "https://matrix.to/#/";
	const char		*p, *q, *v;
	char			*id = NULL;
	size_t			 len;

	memset(t, 0, sizeof t[0]);
	if (strncasecmp(arg, link, sizeof link - 1) == 0) {
		p = arg + sizeof link - 1;
		q = strchr(p, '?');
		len = q != NULL ? (size_t)(q - p) : strlen(p);
		id = space_pct_decode(p, len);
		if (q != NULL && (v = strstr(q, "via=")) != NULL) {
			v += 4;
			t->via = space_pct_decode(v, strcspn(v, "&"));
		}
		/* A link to an event: keep the room part. */
		if ((p = strchr(id, '/')) != NULL)
			id[p - id] = '\0';
	} else if (strncasecmp(arg, "http://", 7) == 0 ||
	    strncasecmp(arg, "https://", 8) == 0) {
		haos_error_set(err, HAOS_EUSAGE, "not a matrix.to link: %s",
		    arg);
		return -1;
	} else
		id = xstrdup(arg);
	if (id[0] == '#' && strchr(id, ':') != NULL && id[1] != ':')
		t->kind = SPACE_JOIN_ALIAS;
	else if (id[0] == '!' && strchr(id, ':') != NULL && id[1] != ':')
		t->kind = SPACE_JOIN_ROOM;
	else if (space_valid_code(id))
		t->kind = SPACE_JOIN_CODE;
	else {
		haos_error_set(err, HAOS_EUSAGE, "not an invite code, "
		    "#alias:server, !room:server or matrix.to link: %s", arg);
		free(id);
		free(t->via);
		t->via = NULL;
		return -1;
	}
	t->id = id;
	return 0;
}

void
space_join_target_free(struct space_join_target *t)
{
	free(t->id);
	free(t->via);
	t->id = t->via = NULL;
}

/* The channels of a space we are in or invited to, in display order. */
int
space_channels(struct store *s, const char *space_id, struct room_row **rows,
    size_t *n, struct haos_error *err)
{
	struct room_row	*r = NULL;
	size_t		 nr = 0, i, o = 0;

	*rows = NULL;
	*n = 0;
	if (store_query_rooms(s, STORE_ROOMS_CHANNELS, space_id, &r, &nr,
	    err) == -1)
		return -1;
	for (i = 0; i < nr; i++) {
		if (r[i].is_space || strcmp(r[i].room_id, space_id) == 0) {
			room_row_free(&r[i]);
			continue;
		}
		r[o++] = r[i];
	}
	if (o == 0) {
		free(r);
		r = NULL;
	}
	*rows = r;
	*n = o;
	return 0;
}

/* The users map of room_id's power levels (a new object). */
json_t *
space_users(struct store *s, const char *room_id)
{
	struct haos_error	 err;
	json_t			*pl, *users, *out;
	char			*text = NULL;

	if (s == NULL || store_query_state(s, room_id, "m.room.power_levels",
	    "", &text, &err) == -1 || text == NULL)
		return json_object();
	pl = json_load_stored(text);
	free(text);
	users = json_get_obj(pl, "users");
	out = users != NULL ? json_deep_copy(users) : json_object();
	json_decref(pl);
	return out;
}

/* io.haos.server of a space: 1 found, 0 none, -1 error. */
int
space_server_info(struct store *s, const char *space_id, char **invite_code,
    char **owner_id, struct haos_error *err)
{
	json_t		*c;
	const char	*v;
	char		*text = NULL;

	if (invite_code != NULL)
		*invite_code = NULL;
	if (owner_id != NULL)
		*owner_id = NULL;
	if (store_query_state(s, space_id, "io.haos.server", "", &text,
	    err) == -1)
		return -1;
	if (text == NULL)
		return 0;
	c = json_load_stored(text);
	free(text);
	if (c == NULL)
		return 0;
	v = json_get_str(c, "inviteCode", NULL);
	if (invite_code != NULL && v != NULL)
		*invite_code = xstrdup(v);
	v = json_get_str(c, "ownerId", NULL);
	if (owner_id != NULL && v != NULL)
		*owner_id = xstrdup(v);
	json_decref(c);
	return 1;
}
