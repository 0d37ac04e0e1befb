/* haos run: commands of the command table without the interactive UI. */
#ifndef HAOS_RUN_H
#define HAOS_RUN_H

#include "haos/haos.h"

struct config;
struct paths;
struct http_opts;

struct run_opts {
	const char	*server;	/* --server NAME|ID, or NULL */
	const char	*channel;	/* --channel NAME|ID, or NULL */
	char * const	*cmds;		/* "/kick @x:hs spam", ... */
	int		 ncmds;
};

/*
 * Sync once, resolve the context, run each command with the same table
 * as the client and wait for every answer.  Returns the exit status: 0,
 * or 1 after the error was printed on stderr.
 */
int	run_commands(const struct config *, const struct paths *,
	    const struct http_opts *, const struct run_opts *);

#endif
