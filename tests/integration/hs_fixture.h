/* The test homeserver for C integration tests: spawn, restart, call. */
#ifndef HAOS_HS_FIXTURE_H
#define HAOS_HS_FIXTURE_H

#include <sys/types.h>

#include "haos/json.h"

struct hs {
	pid_t	 pid;		/* 0 when external (HAOS_TEST_HS_URL) */
	int	 port;
	char	*url;
	char	*data_dir;	/* --data, removed at hs_stop() */
	int	 external;
};

struct hs_user {
	char	*user_id;
	char	*token;
	char	*device_id;
};

char	*hs_tmpdir(const char *prefix);
char	*hs_tmp_run(void);
void	 hs_tmp_run_end(char *);
int	 hs_start(struct hs *);
void	 hs_stop(struct hs *);
int	 hs_kill(struct hs *);		/* stop the process, keep data */
int	 hs_restart(struct hs *);	/* same port, same data */
int	 hs_register(struct hs *, const char *localpart, struct hs_user *);
void	 hs_user_free(struct hs_user *);
json_t	*hs_call(struct hs *, const char *token, const char *method,
	     const char *path, const json_t *body, int *status);
int	 hs_faults(struct hs *, const char *json);
int	 hs_external(void);
char	*hs_unique(const char *prefix);

#endif
