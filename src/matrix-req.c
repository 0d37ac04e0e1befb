/* Client-server API requests: every path, method and body haos sends. */
#include "haos/matrix.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "haos/xmalloc.h"

#define MX	"/_matrix/client/v3"

/* Percent-encode s for one path segment or query value (RFC 3986). */
char *
matrix_escape(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			*out, *o;

	out = xmalloc(strlen(s) * 3 + 1);
	for (o = out, p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' ||
		    *p == '~') {
			*o++ = (char)*p;
			continue;
		}
		*o++ = '%';
		*o++ = hex[*p >> 4];
		*o++ = hex[*p & 15];
	}
	*o = '\0';
	return out;
}

/*
 * Format a path: each %s is a string escaped with matrix_escape(), each
 * %r a string copied raw (a literal path part), %d an int and %c a char.
 */
static char *
matrix_path(const char *fmt, ...)
{
	struct xbuf	 b = { NULL, 0, 0 };
	va_list		 ap;
	const char	*f;
	char		*part;

	va_start(ap, fmt);
	xbuf_add(&b, "", 0);
	for (f = fmt; *f != '\0'; f++) {
		if (*f != '%' || f[1] == '\0') {
			xbuf_add(&b, f, 1);
			continue;
		}
		switch (*++f) {
		case 's':
			part = matrix_escape(va_arg(ap, const char *));
			break;
		case 'r':
			part = xstrdup(va_arg(ap, const char *));
			break;
		case 'd':
			part = xasprintf("%d", va_arg(ap, int));
			break;
		case 'c':
			part = xasprintf("%c", (char)va_arg(ap, int));
			break;
		default:
			part = xasprintf("%%%c", *f);
			break;
		}
		xbuf_add(&b, part, strlen(part));
		free(part);
	}
	va_end(ap);
	return b.p;
}

/* A request owning copies of method, path and body. */
struct matrix_req *
matrix_req_new(const char *method, const char *path, const char *body)
{
	struct matrix_req	*r;

	r = xcalloc(1, sizeof *r);
	r->method = xstrdup(method);
	r->path = xstrdup(path);
	if (body != NULL)
		r->body = xstrdup(body);
	return r;
}

/* A request taking path (already built) as its own. */
static struct matrix_req *
matrix_req_take(const char *method, char *path, const char *body)
{
	struct matrix_req	*r;

	r = xcalloc(1, sizeof *r);
	r->method = xstrdup(method);
	r->path = path;
	if (body != NULL)
		r->body = xstrdup(body);
	return r;
}

struct matrix_req *
matrix_req_dup(const struct matrix_req *o)
{
	struct matrix_req	*r;

	r = xcalloc(1, sizeof *r);
	r->method = xstrdup(o->method);
	r->path = xstrdup(o->path);
	r->body_len = o->body_len;
	if (o->body != NULL && o->body_len > 0) {
		r->body = xmalloc(o->body_len + 1);
		memcpy(r->body, o->body, o->body_len);
		r->body[o->body_len] = '\0';
	} else if (o->body != NULL)
		r->body = xstrdup(o->body);
	if (o->content_type != NULL)
		r->content_type = xstrdup(o->content_type);
	r->no_token = o->no_token;
	return r;
}

/* Free r; a body that may hold a password is wiped first. */
void
matrix_req_free(struct matrix_req *r)
{
	if (r == NULL)
		return;
	if (r->body != NULL) {
		explicit_bzero(r->body, r->body_len > 0 ? r->body_len :
		    strlen(r->body));
		free(r->body);
	}
	free(r->method);
	free(r->path);
	free(r->content_type);
	free(r);
}

/* POST and a JSON body that json_xdumps_take() made. */
static struct matrix_req *
matrix_req_json(const char *method, char *path, json_t *body)
{
	struct matrix_req	*r;
	char			*text;

	text = json_xdumps_take(body);
	r = matrix_req_take(method, path, text);
	explicit_bzero(text, strlen(text));	/* a password, a key */
	free(text);
	return r;
}

/* POST /join/ID_OR_ALIAS[?server_name=VIA] */
struct matrix_req *
matrix_req_join(const char *id_or_alias, const char *via)
{
	if (via == NULL)
		return matrix_req_take("POST", matrix_path(MX "/join/%s",
		    id_or_alias), "{}");
	return matrix_req_take("POST", matrix_path(MX
	    "/join/%s?server_name=%s", id_or_alias, via), "{}");
}

struct matrix_req *
matrix_req_leave(const char *room_id)
{
	return matrix_req_take("POST", matrix_path(MX "/rooms/%s/leave",
	    room_id), "{}");
}

/* POST /rooms/ROOM/{invite,kick,ban,unban} {user_id[, reason]} */
struct matrix_req *
matrix_req_member(const char *room_id, const char *verb,
    const char *user_id, const char *reason)
{
	json_t	*b;

	b = json_pack("{s:s}", "user_id", user_id);
	if (reason != NULL && *reason != '\0')
		json_object_set_new(b, "reason", json_string(reason));
	return matrix_req_json("POST", matrix_path(MX "/rooms/%s/%s",
	    room_id, verb), b);
}

char *
matrix_state_path(const char *room_id, const char *type,
    const char *state_key)
{
	return matrix_path(MX "/rooms/%s/state/%s/%s", room_id, type,
	    state_key != NULL ? state_key : "");
}

struct matrix_req *
matrix_req_state_put(const char *room_id, const char *type,
    const char *state_key, const char *content)
{
	return matrix_req_take("PUT", matrix_state_path(room_id, type,
	    state_key), content);
}

/* GET one state event, or with type NULL the room's whole state. */
struct matrix_req *
matrix_req_state_get(const char *room_id, const char *type,
    const char *state_key)
{
	if (type == NULL)
		return matrix_req_take("GET", matrix_path(MX
		    "/rooms/%s/state", room_id), NULL);
	return matrix_req_take("GET", matrix_state_path(room_id, type,
	    state_key), NULL);
}

struct matrix_req *
matrix_req_create_room(const char *body)
{
	return matrix_req_new("POST", MX "/createRoom", body);
}

/* The m.room.encryption content haos turns on: Megolm, the defaults. */
static json_t *
matrix_encryption_content(void)
{
	return json_pack("{s:s}", "algorithm", "m.megolm.v1.aes-sha2");
}

/*
 * POST /createRoom of a DM with user: is_direct, trusted_private_chat,
 * the invite, and encrypted from the start (m.room.encryption in
 * initial_state), as Element and the HAOS web app make them.
 */
struct matrix_req *
matrix_req_create_dm(const char *user_id)
{
	return matrix_req_json("POST", xstrdup(MX "/createRoom"),
	    json_pack("{s:b, s:s, s:[s], s:[{s:s, s:s, s:o}]}", "is_direct",
	    1, "preset", "trusted_private_chat", "invite", user_id,
	    "initial_state", "type", "m.room.encryption", "state_key", "",
	    "content", matrix_encryption_content()));
}

/* PUT the room's m.room.encryption state: encryption on, for good. */
struct matrix_req *
matrix_req_encrypt(const char *room_id)
{
	return matrix_req_json("PUT", matrix_state_path(room_id,
	    "m.room.encryption", ""), matrix_encryption_content());
}

char *
matrix_messages_path(const char *room_id, const char *from, char dir,
    int limit)
{
	if (from == NULL)
		return matrix_path(MX "/rooms/%s/messages?dir=%c&limit=%d",
		    room_id, dir, limit);
	return matrix_path(MX "/rooms/%s/messages?dir=%c&limit=%d&from=%s",
	    room_id, dir, limit, from);
}

struct matrix_req *
matrix_req_messages(const char *room_id, const char *from, char dir,
    int limit)
{
	return matrix_req_take("GET", matrix_messages_path(room_id, from,
	    dir, limit), NULL);
}

/*
 * GET a room's members as of the sync position at (NULL: now), every
 * membership: a leave the cache missed in a gap must come back too.
 */
char *
matrix_members_path(const char *room_id, const char *at)
{
	if (at == NULL)
		return matrix_path(MX "/rooms/%s/members", room_id);
	return matrix_path(MX "/rooms/%s/members?at=%s", room_id, at);
}

int
matrix_mxc_parse(const char *mxc, char **server, char **media_id)
{
	const char	*p, *slash;
	size_t		 slen;

	if (mxc == NULL || strncmp(mxc, "mxc://", 6) != 0)
		return -1;
	p = mxc + 6;
	if ((slash = strchr(p, '/')) == NULL)
		return -1;
	slen = (size_t)(slash - p);
	if (slen == 0 || slen > 255 ||
	    strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]") != slen)
		return -1;
	slash++;
	if (*slash == '\0' || strlen(slash) > 255 ||
	    strspn(slash, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-") != strlen(slash))
		return -1;
	*server = xstrndup(p, slen);
	*media_id = xstrdup(slash);
	return 0;
}

/*
 * GET /_matrix/client/v1/media/download/SERVER/ID (authenticated), or
 * /_matrix/media/v3/download/SERVER/ID, for a server without it.
 */
char *
matrix_media_download_path(const char *server, const char *media_id,
    int authenticated)
{
	if (authenticated)
		return matrix_path("/_matrix/client/v1/media/download/%s/%s",
		    server, media_id);
	return matrix_path("/_matrix/media/v3/download/%s/%s", server,
	    media_id);
}

/* A thumbnail scaled to fit w x h (the server picks its nearest size). */
char *
matrix_media_thumbnail_path(const char *server, const char *media_id,
    int w, int h, int authenticated)
{
	if (authenticated)
		return matrix_path("/_matrix/client/v1/media/thumbnail/%s/%s"
		    "?width=%d&height=%d&method=scale", server, media_id, w, h);
	return matrix_path("/_matrix/media/v3/thumbnail/%s/%s"
	    "?width=%d&height=%d&method=scale", server, media_id, w, h);
}

char *
matrix_redact_path(const char *room_id, const char *event_id,
    const char *txn_id)
{
	return matrix_path(MX "/rooms/%s/redact/%s/%s", room_id, event_id,
	    txn_id);
}

/* PUT /rooms/ROOM/redact/EVENT/TXN {[reason]} */
struct matrix_req *
matrix_req_redact(const char *room_id, const char *event_id,
    const char *txn_id, const char *reason)
{
	json_t	*b;

	b = json_object();
	if (reason != NULL)
		json_object_set_new(b, "reason", json_string(reason));
	return matrix_req_json("PUT", matrix_redact_path(room_id, event_id,
	    txn_id), b);
}

/* PUT /rooms/ROOM/typing/ME {typing[, timeout]} */
struct matrix_req *
matrix_req_typing(const char *room_id, const char *user_id, int typing,
    int timeout_ms)
{
	json_t	*b;

	if (typing)
		b = json_pack("{s:b, s:i}", "typing", 1, "timeout",
		    timeout_ms);
	else
		b = json_pack("{s:b}", "typing", 0);
	return matrix_req_json("PUT", matrix_path(MX "/rooms/%s/typing/%s",
	    room_id, user_id), b);
}

/* PUT /presence/ME/status {presence}: online, unavailable or offline. */
struct matrix_req *
matrix_req_presence(const char *user_id, const char *state)
{
	return matrix_req_json("PUT", matrix_path(MX "/presence/%s/status",
	    user_id), json_pack("{s:s}", "presence", state));
}

/* GET /presence/USER/status: {presence, status_msg, ...}. */
struct matrix_req *
matrix_req_presence_get(const char *user_id)
{
	return matrix_req_take("GET", matrix_path(MX "/presence/%s/status",
	    user_id), NULL);
}

/* POST /rooms/ROOM/read_markers {m.fully_read, m.read} (either NULL). */
struct matrix_req *
matrix_req_read_markers(const char *room_id, const char *fully_read,
    const char *read)
{
	json_t	*b;

	b = json_object();
	if (fully_read != NULL)
		json_object_set_new(b, "m.fully_read",
		    json_string(fully_read));
	if (read != NULL)
		json_object_set_new(b, "m.read", json_string(read));
	return matrix_req_json("POST", matrix_path(MX
	    "/rooms/%s/read_markers", room_id), b);
}

struct matrix_req *
matrix_req_public_rooms(const char *body)
{
	return matrix_req_new("POST", MX "/publicRooms", body);
}

struct matrix_req *
matrix_req_alias_put(const char *alias, const char *room_id)
{
	return matrix_req_json("PUT", matrix_path(MX "/directory/room/%s",
	    alias), json_pack("{s:s}", "room_id", room_id));
}

struct matrix_req *
matrix_req_alias_delete(const char *alias)
{
	return matrix_req_take("DELETE", matrix_path(MX
	    "/directory/room/%s", alias), NULL);
}

/* PUT /directory/list/room/ROOM {visibility: public|private} */
struct matrix_req *
matrix_req_visibility(const char *room_id, int public)
{
	return matrix_req_json("PUT", matrix_path(MX
	    "/directory/list/room/%s", room_id), json_pack("{s:s}",
	    "visibility", public ? "public" : "private"));
}

struct matrix_req *
matrix_req_profile(const char *user_id)
{
	return matrix_req_take("GET", matrix_path(MX "/profile/%s", user_id),
	    NULL);
}

struct matrix_req *
matrix_req_displayname(const char *user_id, const char *name)
{
	return matrix_req_json("PUT", matrix_path(MX
	    "/profile/%s/displayname", user_id), json_pack("{s:s}",
	    "displayname", name));
}

struct matrix_req *
matrix_req_avatar_url(const char *user_id, const char *mxc)
{
	return matrix_req_json("PUT", matrix_path(MX
	    "/profile/%s/avatar_url", user_id), json_pack("{s:s}",
	    "avatar_url", mxc));
}

struct matrix_req *
matrix_req_account_data_get(const char *user_id, const char *type)
{
	return matrix_req_take("GET", matrix_path(MX
	    "/user/%s/account_data/%s", user_id, type), NULL);
}

struct matrix_req *
matrix_req_account_data_put(const char *user_id, const char *type,
    const char *content)
{
	return matrix_req_take("PUT", matrix_path(MX
	    "/user/%s/account_data/%s", user_id, type), content);
}

/*
 * GET /_matrix/client/v1/media/config (authenticated, spec v1.11), or
 * /_matrix/media/v3/config for a server without it: m.upload.size.
 */
char *
matrix_media_config_path(int authenticated)
{
	return xstrdup(authenticated ? "/_matrix/client/v1/media/config" :
	    "/_matrix/media/v3/config");
}

/* POST /_matrix/media/v3/upload?filename=NAME: a streamed upload's path. */
char *
matrix_media_upload_path(const char *filename)
{
	return matrix_path("/_matrix/media/v3/upload?filename=%s", filename);
}

/* POST /_matrix/media/v3/upload?filename=NAME with the bytes as they are. */
struct matrix_req *
matrix_req_upload(const char *filename, const void *data, size_t len,
    const char *content_type)
{
	struct matrix_req	*r;

	r = xcalloc(1, sizeof *r);
	r->method = xstrdup("POST");
	r->path = matrix_path("/_matrix/media/v3/upload?filename=%s",
	    filename);
	r->body = xmalloc(len + 1);
	if (len > 0)
		memcpy(r->body, data, len);
	r->body[len] = '\0';
	r->body_len = len;
	r->content_type = xstrdup(content_type != NULL ? content_type :
	    "application/octet-stream");
	return r;
}

/*
 * POST /login with a password.  device_id (soft logout) keeps the device
 * and its keys; NULL asks for a new device named device_name.
 */
struct matrix_req *
matrix_req_login(const char *user_id, const char *password,
    const char *device_id, const char *device_name)
{
	struct matrix_req	*r;
	json_t			*b;

	b = matrix_login_body(user_id, password, device_name);
	if (device_id != NULL)
		json_object_set_new(b, "device_id", json_string(device_id));
	r = matrix_req_json("POST", xstrdup(MX "/login"), b);
	/* Logging in again: the old token is revoked, it is not sent. */
	r->no_token = 1;
	return r;
}

struct matrix_req *
matrix_req_invite_service(const char *base_url, const char *code)
{
	size_t	 len = strlen(base_url);
	char	*base, *path;

	while (len > 0 && base_url[len - 1] == '/')
		len--;
	base = xstrndup(base_url, len);
	path = matrix_path("%r/invite/%s", base, code);
	free(base);
	return matrix_req_take("GET", path, NULL);
}

char *
matrix_filter_path(const char *user_id)
{
	return matrix_path(MX "/user/%s/filter", user_id);
}

char *
matrix_sync_path(const char *filter_id, const char *since, long timeout_ms,
    int full_state, const char *set_presence)
{
	char	*p, *q, *tmp;

	p = xasprintf(MX "/sync?timeout=%ld", timeout_ms);
	if (filter_id != NULL) {
		q = matrix_path("%r&filter=%s", p, filter_id);
		free(p);
		p = q;
	}
	if (since != NULL) {
		q = matrix_path("%r&since=%s", p, since);
		free(p);
		p = q;
	}
	if (full_state) {
		tmp = xasprintf("%s&full_state=true", p);
		free(p);
		p = tmp;
	}
	if (set_presence != NULL) {
		q = matrix_path("%r&set_presence=%s", p, set_presence);
		free(p);
		p = q;
	}
	return p;
}

char *
matrix_send_path(const char *room_id, const char *type, const char *txn_id)
{
	return matrix_path(MX "/rooms/%s/send/%s/%s", room_id, type, txn_id);
}

/*
 * POST /keys/upload: each part that is not NULL (and not empty) goes in,
 * the fallback keys under their stable name (Matrix 1.2).
 */
struct matrix_req *
matrix_req_keys_upload(json_t *device_keys, json_t *one_time_keys,
    json_t *fallback_keys)
{
	json_t	*b;

	b = json_object();
	if (device_keys != NULL)
		json_object_set_new(b, "device_keys", device_keys);
	if (one_time_keys != NULL && json_object_size(one_time_keys) > 0)
		json_object_set(b, "one_time_keys", one_time_keys);
	json_decref(one_time_keys);
	if (fallback_keys != NULL && json_object_size(fallback_keys) > 0)
		json_object_set(b, "fallback_keys", fallback_keys);
	json_decref(fallback_keys);
	return matrix_req_json("POST", xstrdup(MX "/keys/upload"), b);
}

/* POST /keys/claim: {user: {device: "signed_curve25519"}} (taken). */
struct matrix_req *
matrix_req_keys_claim(json_t *one_time_keys)
{
	return matrix_req_json("POST", xstrdup(MX "/keys/claim"),
	    json_pack("{s:o}", "one_time_keys", one_time_keys));
}

/* PUT /sendToDevice/TYPE/TXN with a {"messages": ...} body as stored. */
struct matrix_req *
matrix_req_send_to_device(const char *type, const char *txn_id,
    const char *body)
{
	return matrix_req_take("PUT", matrix_path(MX "/sendToDevice/%s/%s",
	    type, txn_id), body);
}

/*
 * POST /keys/query for every device of each of the n users: {"device_keys":
 * {user: [], ...}} (no timeout: the server's default).
 */
struct matrix_req *
matrix_req_keys_query(const char *const *users, size_t n)
{
	json_t	*dk;
	size_t	 i;

	dk = json_object();
	for (i = 0; i < n; i++)
		json_object_set_new(dk, users[i], json_array());
	return matrix_req_json("POST", xstrdup(MX "/keys/query"),
	    json_pack("{s:o}", "device_keys", dk));
}

/*
 * POST /keys/device_signing/upload: keys holds master_key,
 * self_signing_key and user_signing_key; with a password, the
 * user-interactive auth m.login.password (session: the one the server
 * gave in its 401, or NULL).  The body is wiped when freed.
 */
struct matrix_req *
matrix_req_device_signing_upload(const json_t *keys, const char *user_id,
    const char *password, const char *session)
{
	struct matrix_req	*r;
	json_t			*b, *auth;
	char			*text;

	b = json_deep_copy(keys);
	if (password != NULL) {
		auth = json_pack("{s:s, s:{s:s, s:s}, s:s}", "type",
		    "m.login.password", "identifier", "type", "m.id.user",
		    "user", user_id, "password", password);
		if (session != NULL)
			json_object_set_new(auth, "session",
			    json_string(session));
		json_object_set_new(b, "auth", auth);
	}
	text = json_xdumps(b);
	json_decref(b);
	r = matrix_req_take("POST", xstrdup(MX "/keys/device_signing/upload"),
	    text);
	explicit_bzero(text, strlen(text));	/* the password */
	free(text);
	return r;
}

/*
 * POST /keys/signatures/upload: signed is {user_id: {key_id: the signed
 * object}} (a device's keys by device id, a master key by its public
 * key).
 */
struct matrix_req *
matrix_req_signatures_upload(const json_t *signed_objs)
{
	return matrix_req_json("POST", xstrdup(MX "/keys/signatures/upload"),
	    json_deep_copy(signed_objs));
}

/* GET /keys/changes?from=FROM&to=TO: whose devices changed in between. */
struct matrix_req *
matrix_req_keys_changes(const char *from, const char *to)
{
	return matrix_req_take("GET", matrix_path(MX
	    "/keys/changes?from=%s&to=%s", from, to), NULL);
}

/* GET /room_keys/version: the backup version in use. */
struct matrix_req *
matrix_req_backup_version(void)
{
	return matrix_req_take("GET", xstrdup(MX "/room_keys/version"), NULL);
}

/* GET /room_keys/keys[/ROOM[/SESSION]]?version=V */
struct matrix_req *
matrix_req_backup_keys(const char *version, const char *room_id,
    const char *session_id)
{
	if (room_id == NULL)
		return matrix_req_take("GET", matrix_path(MX
		    "/room_keys/keys?version=%s", version), NULL);
	if (session_id == NULL)
		return matrix_req_take("GET", matrix_path(MX
		    "/room_keys/keys/%s?version=%s", room_id, version), NULL);
	return matrix_req_take("GET", matrix_path(MX
	    "/room_keys/keys/%s/%s?version=%s", room_id, session_id,
	    version), NULL);
}

/* PUT /room_keys/keys?version=V with {"rooms": ...} (taken). */
struct matrix_req *
matrix_req_backup_put(const char *version, json_t *body)
{
	return matrix_req_json("PUT", matrix_path(MX
	    "/room_keys/keys?version=%s", version), body);
}

/* The device_keys object of /keys/upload, before its signature. */
json_t *
matrix_device_keys(const char *user_id, const char *device_id,
    const char *curve25519, const char *ed25519)
{
	json_t	*keys;
	char	*id;

	keys = json_object();
	id = xasprintf("curve25519:%s", device_id);
	json_object_set_new(keys, id, json_string(curve25519));
	free(id);
	id = xasprintf("ed25519:%s", device_id);
	json_object_set_new(keys, id, json_string(ed25519));
	free(id);
	return json_pack("{s:[s,s],s:s,s:s,s:o}", "algorithms",
	    "m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2",
	    "device_id", device_id, "user_id", user_id, "keys", keys);
}

/*
 * A signed_curve25519 key before its signature: {"key": ...}, with
 * "fallback": true inside the signed object for a fallback key.
 */
json_t *
matrix_key_object(const char *key, int fallback)
{
	json_t	*o;

	o = json_pack("{s:s}", "key", key);
	if (fallback)
		json_object_set_new(o, "fallback", json_true());
	return o;
}
