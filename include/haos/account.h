/* haos login / haos logout: credentials in, session file out. */
#ifndef HAOS_ACCOUNT_H
#define HAOS_ACCOUNT_H

#include "haos/haos.h"

int	account_login(const struct config *, const struct account *,
	    const struct paths *, struct haos_error *);
int	account_logout(const struct paths *, int keep_cache,
	    struct haos_error *);
int	account_password_command(const char *cmd, char **password,
	    struct haos_error *);
char	*account_device_name(const struct account *);

#endif
