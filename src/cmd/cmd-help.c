/* /help [command [subcommand]]: usage, roles and flags from cmd_table. */
#include "haos/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/xmalloc.h"

/* Append a line to l[0..*n). */
static char **
cmd_help_add(char **l, size_t *n, char *line)
{
	l = xrealloc(l, (*n + 1) * sizeof *l);
	l[(*n)++] = line;
	return l;
}

/* "/parent name usage (/alias)  help (ROLE)" for one entry. */
static char *
cmd_help_line(const struct cmd_entry *parent, const struct cmd_entry *ce)
{
	char	 role[64] = "";

	if (ce->power > POWER_GUEST)
		snprintf(role, sizeof role, " (%s)", cmd_role_name(ce->power));
	return xasprintf("/%s%s%s%s%s%s%s%s  %s%s", parent != NULL ?
	    parent->name : "", parent != NULL ? " " : "", ce->name,
	    *ce->usage != '\0' ? " " : "", ce->usage,
	    ce->alias != NULL ? " (/" : "", ce->alias != NULL ? ce->alias : "",
	    ce->alias != NULL ? ")" : "", ce->help, role);
}

/* One line per flag of ce: "  -i PATH, --icon PATH  help". */
static char **
cmd_help_flags(const struct cmd_entry *ce, char **l, size_t *n)
{
	const struct cmd_flag	*f;
	const char		*v;

	for (f = ce->flagv; f != NULL && f->letter != 0; f++) {
		v = f->value != NULL ? f->value : "";
		l = cmd_help_add(l, n, xasprintf("  -%c%s%s%s%s%s%s  %s",
		    f->letter, *v != '\0' ? " " : "", v,
		    f->name != NULL ? ", --" : "",
		    f->name != NULL ? f->name : "",
		    f->name != NULL && *v != '\0' ? " " : "",
		    f->name != NULL ? v : "", f->help));
	}
	return l;
}

/*
 * Help lines: every command when name is NULL; for "server" the line of
 * each subcommand; for "quit" or "server create" its line and its flags.
 * Returns the count (0: no such command).  The caller frees each line
 * and the array.
 */
size_t
cmd_help_lines(const char *name, char ***out)
{
	const struct cmd_entry	*ce, *parent = NULL;
	char			**l = NULL, *first, *cause;
	const char		*rest;
	size_t			 n = 0, i, len;

	*out = NULL;
	if (name == NULL) {
		for (i = 0; i < cmd_table_size; i++)
			l = cmd_help_add(l, &n, cmd_help_line(NULL,
			    cmd_table[i]));
		*out = l;
		return n;
	}
	while (*name == ' ' || *name == '/')
		name++;
	len = strcspn(name, " ");
	rest = name + len + strspn(name + len, " ");
	first = xstrndup(name, len);
	ce = cmd_find(first, &cause);
	free(first);
	free(cause);
	if (ce != NULL && *rest != '\0') {
		parent = ce;
		ce = cmd_find_sub(parent, rest, &cause);
		free(cause);
	}
	if (ce == NULL)
		return 0;
	if (ce->nsub > 0) {
		for (i = 0; i < ce->nsub; i++)
			l = cmd_help_add(l, &n, cmd_help_line(ce, ce->sub[i]));
	} else {
		l = cmd_help_add(l, &n, cmd_help_line(parent, ce));
		l = cmd_help_flags(ce, l, &n);
	}
	*out = l;
	return n;
}

/*
 * Every command and subcommand, and each long flag after its command
 * ("/server create --icon"), one per line: what the man page documents.
 */
size_t
cmd_doc_lines(char ***out)
{
	const struct cmd_entry	*ce, *sub;
	const struct cmd_flag	*f;
	char			**l = NULL;
	size_t			 n = 0, i, j, k, nk;

	for (i = 0; i < cmd_table_size; i++) {
		ce = cmd_table[i];
		nk = ce->nsub > 0 ? ce->nsub : 1;
		for (k = 0; k < nk; k++) {
			sub = ce->nsub > 0 ? ce->sub[k] : ce;
			if (sub == ce)
				l = cmd_help_add(l, &n, xasprintf("/%s",
				    ce->name));
			else
				l = cmd_help_add(l, &n, xasprintf("/%s %s",
				    ce->name, sub->name));
			j = n - 1;
			for (f = sub->flagv; f != NULL && f->letter != 0; f++) {
				if (f->name == NULL)
					continue;
				l = cmd_help_add(l, &n, xasprintf("%s --%s",
				    l[j], f->name));
			}
		}
	}
	*out = l;
	return n;
}

static enum cmd_retval
cmd_help_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const struct cmd_entry	*ce = NULL, *sub = NULL;
	char			**lines, *cause = NULL, *name = NULL;
	size_t			 n, i;

	if (a->argc >= 1) {
		ce = cmd_find(a->argv[0][0] == '/' ? a->argv[0] + 1 :
		    a->argv[0], &cause);
		if (ce != NULL && a->argc == 2)
			sub = cmd_find_sub(ce, a->argv[1], &cause);
		if (ce == NULL || (a->argc == 2 && sub == NULL)) {
			cmd_error(ctx, "help: %s", cause);
			free(cause);
			return CMD_RETURN_ERROR;
		}
		name = xasprintf("%s%s%s", ce->name, sub != NULL ? " " : "",
		    sub != NULL ? sub->name : "");
	}
	/* The client's help also lists every key; it builds that itself. */
	if (ce == NULL && ctx->ui != NULL) {
		if (ctx->ui->action(ctx->ui_arg, UI_ACT_HELP, NULL) == -1)
			return CMD_RETURN_ERROR;
		return CMD_RETURN_NORMAL;
	}
	n = cmd_help_lines(name, &lines);
	if (ctx->ui != NULL && ctx->ui->show != NULL)
		ctx->ui->show(ctx->ui_arg, "Help", lines, n);
	else {
		for (i = 0; i < n; i++)
			cmd_info(ctx, "%s", lines[i]);
	}
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	free(name);
	return CMD_RETURN_NORMAL;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.alias = "?",
	.args = { 0, 2 },
	.usage = "[command [subcommand]]",
	.help = "List every key and command, or explain one command",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_help_exec,
	.kinds = { CMD_ARG_COMMAND, CMD_ARG_COMMAND }
};
