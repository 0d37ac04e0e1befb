/* /help [command]: usage and help rendered from cmd_table. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/xmalloc.h"

/*
 * Help lines for one command, or for all when name is NULL; returns the
 * count (0: no such command).  The caller frees each line and the array.
 */
size_t
cmd_help_lines(const char *name, char ***out)
{
	const struct cmd_entry	*ce;
	char			**l = NULL;
	size_t			 n = 0, i;

	for (i = 0; i < cmd_table_size; i++) {
		ce = cmd_table[i];
		if (name != NULL && strcmp(ce->name, name) != 0 &&
		    (ce->alias == NULL || strcmp(ce->alias, name) != 0))
			continue;
		l = xrealloc(l, (n + 1) * sizeof *l);
		l[n++] = xasprintf("/%s%s%s%s%s%s  %s", ce->name,
		    *ce->usage != '\0' ? " " : "", ce->usage,
		    ce->alias != NULL ? " (/" : "",
		    ce->alias != NULL ? ce->alias : "",
		    ce->alias != NULL ? ")" : "", ce->help);
	}
	*out = l;
	return n;
}

static enum cmd_retval
cmd_help_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const struct cmd_entry	*ce = NULL;
	char			**lines, *cause = NULL;
	size_t			 n, i;

	if (a->argc == 1) {
		ce = cmd_find(a->argv[0][0] == '/' ? a->argv[0] + 1 :
		    a->argv[0], &cause);
		if (ce == NULL) {
			cmd_error(ctx, "help: %s", cause);
			free(cause);
			return CMD_RETURN_ERROR;
		}
	}
	/* The client's help also lists every key; it builds that itself. */
	if (ce == NULL && ctx->ui != NULL) {
		if (ctx->ui->action(ctx->ui_arg, UI_ACT_HELP, NULL) == -1)
			return CMD_RETURN_ERROR;
		return CMD_RETURN_NORMAL;
	}
	n = cmd_help_lines(ce != NULL ? ce->name : NULL, &lines);
	if (ctx->ui != NULL && ctx->ui->show != NULL)
		ctx->ui->show(ctx->ui_arg, "Help", lines, n);
	else {
		for (i = 0; i < n; i++)
			cmd_info(ctx, "%s", lines[i]);
	}
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return CMD_RETURN_NORMAL;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.alias = "?",
	.args = { 0, 1 },
	.usage = "[command]",
	.help = "List every key and command, or explain one command",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_help_exec
};
