/* Command-line parsing, and the real binary's exit statuses. */
#include "check_haos.h"

#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>

#include "haos/cli.h"
#include "haos/error.h"
#include "haos/xmalloc.h"

static int
parse(struct cli_opts *o, struct haos_error *err, int argc, ...)
{
	static char	*argv[16];	/* o->args points into it */
	va_list		 ap;
	int		 i;

	va_start(ap, argc);
	for (i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	argv[argc] = NULL;
	va_end(ap);
	return cli_parse(argc, argv, o, err);
}

START_TEST(test_parse)
{
	struct cli_opts		 o;
	struct haos_error	 err;

	ck_assert_int_eq(parse(&o, &err, 1, "haos"), 0);
	ck_assert_int_eq(o.command, CLI_RUN_UI);
	ck_assert_int_eq(parse(&o, &err, 6, "haos", "--config", "/c.ini",
	    "-p", "work", "login"), 0);
	ck_assert_int_eq(o.command, CLI_LOGIN);
	ck_assert_str_eq(o.config, "/c.ini");
	ck_assert_str_eq(o.profile, "work");
	ck_assert_int_eq(parse(&o, &err, 3, "haos", "--debug", "logout"), 0);
	ck_assert_int_eq(o.command, CLI_LOGOUT);
	ck_assert_int_eq(o.debug, 1);
	ck_assert_int_eq(parse(&o, &err, 2, "haos", "-V"), 0);
	ck_assert_int_eq(o.command, CLI_VERSION);
	ck_assert_int_eq(parse(&o, &err, 3, "haos", "--version", "--help"),
	    0);
	ck_assert_int_eq(o.command, CLI_VERSION);
	ck_assert_int_eq(parse(&o, &err, 2, "haos", "--dump-config"), 0);
	ck_assert_int_eq(o.command, CLI_DUMP_CONFIG);
}
END_TEST

START_TEST(test_parse_run)
{
	struct cli_opts		 o;
	struct haos_error	 err;

	ck_assert_int_eq(parse(&o, &err, 7, "haos", "-p", "bot", "run",
	    "--server", "Acme", "/kick @x:hs spam"), 0);
	ck_assert_int_eq(o.command, CLI_RUN);
	ck_assert_str_eq(o.profile, "bot");
	ck_assert_str_eq(o.run_server, "Acme");
	ck_assert_ptr_null(o.run_channel);
	ck_assert_int_eq(o.nargs, 1);
	ck_assert_str_eq(o.args[0], "/kick @x:hs spam");
	ck_assert_int_eq(parse(&o, &err, 5, "haos", "run", "--channel=gen",
	    "/me waves", "/topic hi"), 0);
	ck_assert_str_eq(o.run_channel, "gen");
	ck_assert_int_eq(o.nargs, 2);
	ck_assert_str_eq(o.args[1], "/topic hi");
	ck_assert_int_eq(parse(&o, &err, 3, "haos", "run", "--server"), -1);
	ck_assert_str_eq(err.msg, "run: option --server needs an argument");
	ck_assert_int_eq(parse(&o, &err, 4, "haos", "run", "--bogus", "x"),
	    -1);
	ck_assert_str_eq(err.msg, "run: unknown option --bogus");
	ck_assert_int_eq(parse(&o, &err, 4, "haos", "run", "--server", "A"),
	    -1);
	ck_assert_int_eq(err.code, HAOS_EUSAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "run: no command given"));
}
END_TEST

START_TEST(test_usage_errors)
{
	struct cli_opts		 o;
	struct haos_error	 err;

	ck_assert_int_eq(parse(&o, &err, 2, "haos", "--bogus"), -1);
	ck_assert_int_eq(err.code, HAOS_EUSAGE);
	ck_assert_str_eq(err.msg, "unknown option --bogus");
	ck_assert_int_eq(parse(&o, &err, 2, "haos", "-x"), -1);
	ck_assert_str_eq(err.msg, "unknown option -x");
	ck_assert_int_eq(parse(&o, &err, 2, "haos", "--config"), -1);
	ck_assert_str_eq(err.msg, "option --config needs an argument");
	ck_assert_int_eq(parse(&o, &err, 2, "haos", "frobnicate"), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown command \"frobnicate\""));
	ck_assert_int_eq(parse(&o, &err, 3, "haos", "login", "extra"), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "login takes no arguments"));
}
END_TEST

/* Run the binary with a private XDG tree; return its exit status. */
static int
run(const char *args, char **out, char **errtext)
{
	const char	*bin;
	char		*dir, *cmd, *po, *pe;
	int		 st;

	bin = getenv("HAOS_BIN");
	ck_assert_msg(bin != NULL, "HAOS_BIN is not set");
	dir = test_tmpdir();
	po = xasprintf("%s/out", dir);
	pe = xasprintf("%s/err", dir);
	cmd = xasprintf("cd %s && HOME=%s XDG_CONFIG_HOME=%s/c "
	    "XDG_DATA_HOME=%s/d XDG_STATE_HOME=%s/s %s %s </dev/null "
	    ">%s 2>%s", dir, dir, dir, dir, dir, bin, args, po, pe);
	st = system(cmd);
	ck_assert(WIFEXITED(st));
	*out = test_read_file(po);
	*errtext = test_read_file(pe);
	test_rmtree(dir);
	free(cmd);
	free(po);
	free(pe);
	free(dir);
	return WEXITSTATUS(st);
}

/* Exactly one line on stderr. */
static void
assert_one_line(const char *s)
{
	const char	*nl;

	nl = strchr(s, '\n');
	ck_assert_msg(nl != NULL && (nl[1] == '\0' || strncmp(nl + 1,
	    "usage:", 6) == 0), "stderr is not one message line: %s", s);
}

START_TEST(test_exit_codes)
{
	char	*out, *err, *cfg, *cmd;

	ck_assert_int_eq(run("--version", &out, &err), 0);
	ck_assert_str_eq(out, "haos 0.1.0\n");
	ck_assert_str_eq(err, "");
	free(out);
	free(err);

	ck_assert_int_eq(run("--help", &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "--profile NAME"));
	free(out);
	free(err);

	ck_assert_int_eq(run("--bogus", &out, &err), 2);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(strncmp(err, "haos: unknown option --bogus\n", 29),
	    0);
	assert_one_line(err);
	free(out);
	free(err);

	ck_assert_int_eq(run("nonsense", &out, &err), 2);
	free(out);
	free(err);

	ck_assert_int_eq(run("--config /nonexistent.ini", &out, &err), 2);
	ck_assert_str_eq(err, "haos: /nonexistent.ini: No such file or "
	    "directory\n");
	free(out);
	free(err);

	cfg = test_fixture("config/unknown-key.ini");
	cmd = xasprintf("--config %s", cfg);
	ck_assert_int_eq(run(cmd, &out, &err), 2);
	ck_assert_ptr_nonnull(strstr(err, "unknown-key.ini:3: unknown key"));
	assert_one_line(err);
	free(out);
	free(err);
	free(cmd);
	free(cfg);

	/* Runtime errors are 1: not logged in. */
	ck_assert_int_eq(run("logout", &out, &err), 1);
	ck_assert_ptr_nonnull(strstr(err, "not logged in"));
	assert_one_line(err);
	free(out);
	free(err);
	ck_assert_int_eq(run("", &out, &err), 1);
	ck_assert_ptr_nonnull(strstr(err, "not logged in"));
	free(out);
	free(err);

	/* login with nothing to read from: stdin is /dev/null. */
	ck_assert_int_eq(run("login", &out, &err), 1);
	ck_assert_ptr_nonnull(strstr(err, "haos: no input"));
	free(out);
	free(err);
}
END_TEST

Suite *
suite_cli(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("cli");
	tc = tcase_create("cli");
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_parse_run);
	tcase_add_test(tc, test_usage_errors);
	tcase_add_test(tc, test_exit_codes);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}
