/* Command-line options and commands of the haos binary. */
#include "haos/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "haos/haos.h"
#include "haos/error.h"

/* The options, in --help and man page order (the check target compares). */
const struct cli_option cli_options[] = {
	{ "config", 'c', "FILE", "read FILE instead of "
	  "$XDG_CONFIG_HOME/haos/config.ini" },
	{ "profile", 'p', "NAME", "use the [account NAME] section and its "
	  "data (default: default)" },
	{ "debug", 'd', NULL, "write debug messages to the log file" },
	{ "dump-config", 0, NULL, "print every configuration key with its "
	  "default and exit" },
	{ "help", 'h', NULL, "print this help and exit" },
	{ "version", 'V', NULL, "print the version and exit" },
};
const unsigned int cli_options_size = nitems(cli_options);

static const struct {
	const char		*name;
	enum cli_command	 cmd;
	const char		*help;
} cli_commands[] = {
	{ "login", CLI_LOGIN, "log in and store the session" },
	{ "logout", CLI_LOGOUT, "log out on the server, forget the session "
	  "and delete the message cache (--keep-cache keeps it)" },
	{ "run", CLI_RUN, "run client commands without the UI: [--server "
	  "NAME|ID] [--channel NAME|ID] '/cmd args'..." },
};

/* Print the usage text, generated from cli_options[] and cli_commands[]. */
void
cli_usage(FILE *f)
{
	unsigned int	 i;
	char		 left[64];

	fprintf(f, "usage: haos [options] [command]\n\n"
	    "A terminal client for HAOS servers on Matrix.\n\nOptions:\n");
	for (i = 0; i < nitems(cli_options); i++) {
		if (cli_options[i].shrt != 0)
			snprintf(left, sizeof left, "-%c, --%s%s%s",
			    cli_options[i].shrt, cli_options[i].lng,
			    cli_options[i].arg ? " " : "",
			    cli_options[i].arg ? cli_options[i].arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s",
			    cli_options[i].lng,
			    cli_options[i].arg ? " " : "",
			    cli_options[i].arg ? cli_options[i].arg : "");
		fprintf(f, "  %-24s %s\n", left, cli_options[i].help);
	}
	fprintf(f, "\nCommands:\n  %-24s %s\n", "(none)",
	    "start the interactive client");
	for (i = 0; i < nitems(cli_commands); i++)
		fprintf(f, "  %-24s %s\n", cli_commands[i].name,
		    cli_commands[i].help);
	fprintf(f, "\nExit status: 0 success, 1 runtime error, 2 usage or "
	    "configuration error.\nSee haos(1).\n");
}

/*
 * The operands of "run": --server/--channel (also --opt=value), then at
 * least one command.
 */
static int
cli_parse_run(struct cli_opts *o, struct haos_error *err)
{
	const char	*a, **dst;
	size_t		 len;

	while (o->nargs > 0 && strncmp(o->args[0], "--", 2) == 0) {
		a = o->args[0];
		if (strcmp(a, "--") == 0) {
			o->args++;
			o->nargs--;
			break;
		}
		if (strncmp(a, "--server", 8) == 0) {
			dst = &o->run_server;
			len = 8;
		} else if (strncmp(a, "--channel", 9) == 0) {
			dst = &o->run_channel;
			len = 9;
		} else {
			haos_error_set(err, HAOS_EUSAGE, "run: unknown option "
			    "%s", a);
			return -1;
		}
		if (a[len] == '=') {
			*dst = a + len + 1;
			o->args++;
			o->nargs--;
		} else if (a[len] == '\0' && o->nargs >= 2) {
			*dst = o->args[1];
			o->args += 2;
			o->nargs -= 2;
		} else {
			haos_error_set(err, HAOS_EUSAGE, "run: option %s needs "
			    "an argument", a);
			return -1;
		}
	}
	if (o->nargs == 0) {
		haos_error_set(err, HAOS_EUSAGE, "run: no command given "
		    "(e.g. haos run --server Acme '/kick @x:hs spam')");
		return -1;
	}
	return 0;
}

/*
 * Parse argv into o.  Returns 0, or -1 with a usage error in err (the
 * caller exits 2).  getopt's own messages are silenced so that every
 * error reaches the user as one line through err.
 */
int
cli_parse(int argc, char **argv, struct cli_opts *o, struct haos_error *err)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "profile", required_argument, NULL, 'p' },
		{ "debug", no_argument, NULL, 'd' },
		{ "dump-config", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned int	 i;
	int		 c, want = -1;

	memset(o, 0, sizeof *o);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:c:p:dhV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'p':
			o->profile = optarg;
			break;
		case 'd':
			o->debug = 1;
			break;
		case 'D':
			want = CLI_DUMP_CONFIG;
			break;
		case 'h':
			if (want == -1)
				want = CLI_HELP;
			break;
		case 'V':
			if (want == -1)
				want = CLI_VERSION;
			break;
		case ':':
			haos_error_set(err, HAOS_EUSAGE, "option %s needs an "
			    "argument", argv[optind - 1]);
			return -1;
		default:
			if (optopt != 0)
				haos_error_set(err, HAOS_EUSAGE, "unknown option "
				    "-%c", optopt);
			else
				haos_error_set(err, HAOS_EUSAGE, "unknown option "
				    "%s", argv[optind - 1]);
			return -1;
		}
	}
	if (want != -1) {
		o->command = (enum cli_command)want;
		return 0;
	}
	if (optind >= argc) {
		o->command = CLI_RUN_UI;
		return 0;
	}
	for (i = 0; i < nitems(cli_commands); i++) {
		if (strcmp(argv[optind], cli_commands[i].name) == 0)
			break;
	}
	if (i == nitems(cli_commands)) {
		haos_error_set(err, HAOS_EUSAGE, "unknown command \"%s\" "
		    "(try haos --help)", argv[optind]);
		return -1;
	}
	o->command = cli_commands[i].cmd;
	o->args = argv + optind + 1;
	o->nargs = argc - optind - 1;
	if (o->command == CLI_RUN)
		return cli_parse_run(o, err);
	if (o->command == CLI_LOGOUT && o->nargs > 0 &&
	    strcmp(o->args[0], "--keep-cache") == 0) {
		o->keep_cache = 1;
		o->args++;
		o->nargs--;
	}
	if (o->nargs > 0) {
		haos_error_set(err, HAOS_EUSAGE, "%s takes no arguments "
		    "(got \"%s\")", cli_commands[i].name, o->args[0]);
		return -1;
	}
	return 0;
}
