/* XDG base directories and the per-profile files haos reads and writes. */
#ifndef HAOS_PATHS_H
#define HAOS_PATHS_H

#include "haos/haos.h"

struct paths {
	char	*config_file;	/* $XDG_CONFIG_HOME/haos/config.ini */
	char	*data_dir;	/* $XDG_DATA_HOME/haos/PROFILE (0700) */
	char	*state_dir;	/* $XDG_STATE_HOME/haos */
	char	*session_file;	/* data_dir/session.json (0600) */
	char	*store_file;	/* data_dir/store.sqlite3 (0600) */
	char	*pickle_key_file; /* data_dir/pickle-key (0600): encrypts the
				   device identity in the store */
	char	*log_file;	/* state_dir/PROFILE.log */
	char	*last_room_file; /* data_dir/last-room: opened at next start */
	char	*preview_dir;	/* $XDG_CACHE_HOME/haos/PROFILE/previews:
				   image previews' files (made 0700 when
				   one is fetched) */
};

int	paths_resolve(struct paths *, const char *profile,
	    const char *config_override, struct haos_error *);
int	paths_make_dir(const char *, struct haos_error *);
char	*paths_xdg_dir(const char *var, const char *fallback);
void	paths_free(struct paths *);

#endif
