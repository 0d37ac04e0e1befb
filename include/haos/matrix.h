/* Client-server API request builders and response parsers. */
#ifndef HAOS_MATRIX_H
#define HAOS_MATRIX_H

#include "haos/haos.h"

#include "haos/json.h"

int	matrix_split_user_id(const char *, char **local, char **server);
int	matrix_valid_user_id(const char *);
char	*matrix_normalise_base_url(const char *);
int	matrix_url_is_loopback(const char *url);
int	matrix_url_downgrade(const char *from, const char *to);
int	matrix_login_user_matches(const char *asked, const char *got);
int	matrix_parse_well_known(const char *body, char **base_url,
	    struct haos_error *);
json_t	*matrix_login_body(const char *user, const char *password,
	    const char *device_name);
int	matrix_parse_login(const json_t *, const char *base_url,
	    struct session *, struct haos_error *);
int	matrix_parse_login_text(const char *body, const char *base_url,
	    struct session *, struct haos_error *);
/* Zero the access and refresh tokens inside a /login answer. */
void	matrix_wipe_login(json_t *);

/*
 * Every request haos makes of a homeserver is built here (matrix-req.c):
 * the path with each segment escaped by matrix_escape(), the method and
 * the body.  Nothing else in src/ spells a /_matrix path.  A request is
 * plain data; the client (client.c) turns it into a job for the net
 * thread, which owns it from then on.
 */
struct matrix_req {
	char	*method;	/* "GET", "PUT", "POST" */
	char	*path;		/* escaped, from /_matrix; or a full URL of
				   a non-Matrix service (no token sent) */
	char	*body;		/* NULL: none */
	size_t	 body_len;	/* 0: strlen(body) */
	char	*content_type;	/* NULL: JSON */
	int	 no_token;	/* sent without the access token (/login) */
};

char	*matrix_escape(const char *);
struct matrix_req *matrix_req_new(const char *method, const char *path,
	    const char *body);
void	 matrix_req_free(struct matrix_req *);
struct matrix_req *matrix_req_dup(const struct matrix_req *);

/* Rooms: membership, state, history. */
struct matrix_req *matrix_req_join(const char *id_or_alias, const char *via);
struct matrix_req *matrix_req_leave(const char *room_id);
struct matrix_req *matrix_req_member(const char *room_id, const char *verb,
	    const char *user_id, const char *reason);
struct matrix_req *matrix_req_state_put(const char *room_id,
	    const char *type, const char *state_key, const char *content);
struct matrix_req *matrix_req_state_get(const char *room_id,
	    const char *type, const char *state_key);
struct matrix_req *matrix_req_create_room(const char *body);
struct matrix_req *matrix_req_create_dm(const char *user_id);
struct matrix_req *matrix_req_encrypt(const char *room_id);
struct matrix_req *matrix_req_messages(const char *room_id,
	    const char *from, char dir, int limit);
struct matrix_req *matrix_req_redact(const char *room_id,
	    const char *event_id, const char *txn_id, const char *reason);
struct matrix_req *matrix_req_typing(const char *room_id,
	    const char *user_id, int typing, int timeout_ms);
struct matrix_req *matrix_req_presence(const char *user_id,
	    const char *state);
struct matrix_req *matrix_req_presence_get(const char *user_id);
struct matrix_req *matrix_req_read_markers(const char *room_id,
	    const char *fully_read, const char *read);

/* Directory. */
struct matrix_req *matrix_req_public_rooms(const char *body);
struct matrix_req *matrix_req_alias_put(const char *alias,
	    const char *room_id);
struct matrix_req *matrix_req_alias_delete(const char *alias);
struct matrix_req *matrix_req_visibility(const char *room_id,
	    int public);

/* Me: profile and account data. */
struct matrix_req *matrix_req_profile(const char *user_id);
struct matrix_req *matrix_req_displayname(const char *user_id,
	    const char *name);
struct matrix_req *matrix_req_avatar_url(const char *user_id,
	    const char *mxc);
struct matrix_req *matrix_req_account_data_get(const char *user_id,
	    const char *type);
struct matrix_req *matrix_req_account_data_put(const char *user_id,
	    const char *type, const char *content);

/* Media and login. */
struct matrix_req *matrix_req_upload(const char *filename, const void *data,
	    size_t len, const char *content_type);
struct matrix_req *matrix_req_login(const char *user_id,
	    const char *password, const char *device_id,
	    const char *device_name);
/* The HAOS invite service (not Matrix): GET BASE/invite/CODE. */
struct matrix_req *matrix_req_invite_service(const char *base_url,
	    const char *code);

/* Paths of the sync engine's own requests (the caller frees). */
json_t	*matrix_sync_filter(int timeline_limit);
/*
 * End-to-end encryption keys: POST /keys/upload of the device keys, the
 * one-time keys and the fallback keys (each NULL or an object, taken);
 * the unsigned device_keys object and the {"key"[, "fallback"]} object of
 * a one-time or fallback key, for the crypto layer to sign.
 */
struct matrix_req *matrix_req_keys_upload(json_t *device_keys,
	    json_t *one_time_keys, json_t *fallback_keys);
/*
 * Device lists: POST /keys/query for all devices of the n users, and
 * GET /keys/changes between two sync tokens.
 */
struct matrix_req *matrix_req_keys_query(const char *const *users, size_t n);
struct matrix_req *matrix_req_keys_changes(const char *from, const char *to);
/* Cross-signing: our keys (password: UIA m.login.password), signatures. */
struct matrix_req *matrix_req_device_signing_upload(const json_t *keys,
	    const char *user_id, const char *password, const char *session);
struct matrix_req *matrix_req_signatures_upload(const json_t *signed_objs);
/*
 * POST /keys/claim of one signed_curve25519 key per device (the object
 * {user: {device: "signed_curve25519"}}, taken), and PUT /sendToDevice
 * with a body the caller stored (the same on every retry).
 */
struct matrix_req *matrix_req_keys_claim(json_t *one_time_keys);
struct matrix_req *matrix_req_send_to_device(const char *type,
	    const char *txn_id, const char *body);
/*
 * Server-side key backup: GET /room_keys/version (the current version),
 * GET /room_keys/keys[/ROOM[/SESSION]]?version=V (room_id, session_id
 * NULL for all), PUT /room_keys/keys?version=V of a {"rooms": ...} body
 * (taken).
 */
struct matrix_req *matrix_req_backup_version(void);
struct matrix_req *matrix_req_backup_keys(const char *version,
	    const char *room_id, const char *session_id);
struct matrix_req *matrix_req_backup_put(const char *version, json_t *body);
json_t	*matrix_device_keys(const char *user_id, const char *device_id,
	    const char *curve25519, const char *ed25519);
json_t	*matrix_key_object(const char *key, int fallback);
char	*matrix_filter_path(const char *user_id);
char	*matrix_sync_path(const char *filter_id, const char *since,
	    long timeout_ms, int full_state, const char *set_presence);
char	*matrix_send_path(const char *room_id, const char *type,
	    const char *txn_id);
char	*matrix_state_path(const char *room_id, const char *type,
	    const char *state_key);
char	*matrix_redact_path(const char *room_id, const char *event_id,
	    const char *txn_id);
char	*matrix_messages_path(const char *room_id, const char *from,
	    char dir, int limit);
char	*matrix_members_path(const char *room_id, const char *at);
/*
 * Media: an mxc://SERVER/ID URI split (0; -1 when it is not one: the
 * server a host name, IPv4 or [IPv6] with an optional port, the id of
 * [A-Za-z0-9_-] only); the download path, authenticated (client v1,
 * spec v1.11, with the token) or the legacy media v3 one.
 */
int	 matrix_mxc_parse(const char *mxc, char **server, char **media_id);
char	*matrix_media_download_path(const char *server, const char *media_id,
	    int authenticated);
/* The upload limit's path (client v1, else media v3); an upload's. */
char	*matrix_media_config_path(int authenticated);
char	*matrix_media_upload_path(const char *filename);
/*
 * The thumbnail of SERVER/ID scaled to fit w x h (method=scale), the
 * same two ways.
 */
char	*matrix_media_thumbnail_path(const char *server, const char *media_id,
	     int w, int h, int authenticated);
char	*matrix_txn_id(void);

/* Network calls (blocking; used by the CLI before any thread starts). */
json_t	*matrix_call(const char *base_url, const char *token,
	    const char *method, const char *path, const json_t *body,
	    struct haos_error *);
int	matrix_discover(const char *server_name, char **base_url,
	    struct haos_error *);
int	matrix_check_versions(const char *base_url, struct haos_error *);
int	matrix_login(const char *base_url, const char *user,
	    const char *password, const char *device_name, struct session *,
	    struct haos_error *);
int	matrix_logout(const struct session *, struct haos_error *);

#endif
