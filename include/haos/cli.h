/* Command-line parsing for the haos binary. */
#ifndef HAOS_CLI_H
#define HAOS_CLI_H

#include "haos/haos.h"

#include <stdio.h>

enum cli_command {
	CLI_RUN_UI = 0,
	CLI_LOGIN,
	CLI_LOGOUT,
	CLI_HELP,
	CLI_VERSION,
	CLI_DUMP_CONFIG,
	CLI_RUN			/* haos run [--server X] [--channel Y] CMD... */
};

struct cli_opts {
	enum cli_command	 command;
	const char		*config;	/* --config FILE */
	const char		*profile;	/* --profile NAME */
	int			 debug;		/* --debug */
	char * const		*args;		/* operands after the command */
	int			 nargs;
	const char		*run_server;	/* run --server NAME|ID */
	const char		*run_channel;	/* run --channel NAME|ID */
	int			 keep_cache;	/* logout --keep-cache */
};

/* One row per option: the single source for --help and the man page. */
struct cli_option {
	const char	*lng;
	char		 shrt;
	const char	*arg;		/* NULL: takes no argument */
	const char	*help;
};

extern const struct cli_option	cli_options[];
extern const unsigned int	cli_options_size;

int	cli_parse(int, char **, struct cli_opts *, struct haos_error *);
void	cli_usage(FILE *);

#endif
