/* The login session file: access token and device id, mode 0600. */
#ifndef HAOS_SESSION_H
#define HAOS_SESSION_H

#include "haos/haos.h"

struct session {
	char	*user_id;
	char	*homeserver;	/* base URL, no trailing slash */
	char	*access_token;
	char	*device_id;
};

int	session_load(struct session *, const char *path, struct haos_error *);
int	session_save(const struct session *, const char *path,
	    struct haos_error *);
int	session_delete(const char *path, struct haos_error *);
void	session_free(struct session *);

#endif
