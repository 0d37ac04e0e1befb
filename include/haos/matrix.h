/* Client-server API request builders and response parsers. */
#ifndef HAOS_MATRIX_H
#define HAOS_MATRIX_H

#include "haos/haos.h"

#include "haos/json.h"

int	matrix_split_user_id(const char *, char **local, char **server);
int	matrix_valid_user_id(const char *);
char	*matrix_normalise_base_url(const char *);
int	matrix_parse_well_known(const char *body, char **base_url,
	    struct haos_error *);
json_t	*matrix_login_body(const char *user, const char *password,
	    const char *device_name);
int	matrix_parse_login(const json_t *, const char *base_url,
	    struct session *, struct haos_error *);

/* Paths and bodies of the sync engine's requests (the caller frees). */
json_t	*matrix_sync_filter(int timeline_limit);
char	*matrix_filter_path(const char *user_id);
char	*matrix_sync_path(const char *filter_id, const char *since,
	    long timeout_ms, int full_state);
char	*matrix_send_path(const char *room_id, const char *type,
	    const char *txn_id);
char	*matrix_redact_path(const char *room_id, const char *event_id,
	    const char *txn_id);
char	*matrix_messages_path(const char *room_id, const char *from,
	    char dir, int limit);
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
