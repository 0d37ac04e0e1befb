/* The question a destructive command asks before it acts. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/xmalloc.h"

#define CONFIRM_WRAP	44	/* columns of a dialog line (80x24 fits) */

/* Append text to lines[*n] wrapped at spaces to CONFIRM_WRAP columns. */
static void
cmd_confirm_wrap(char **lines, size_t *n, const char *text)
{
	const char	*p = text, *cut, *sp;
	int		 w;

	while (*p != '\0') {
		cut = p;
		sp = NULL;
		w = 0;
		while (*cut != '\0' && w < CONFIRM_WRAP) {
			if (*cut == ' ')
				sp = cut;
			/* Continuation bytes take no column. */
			if (((unsigned char)*cut & 0xc0) != 0x80)
				w++;
			cut++;
		}
		if (*cut != '\0' && sp != NULL && sp > p)
			cut = sp;
		lines[(*n)++] = xasprintf("%.*s", (int)(cut - p), p);
		p = cut;
		while (*p == ' ')
			p++;
	}
}

/*
 * Say how to confirm what (a command name, "channel delete") before
 * anything else, so that a status line that cuts the message still shows
 * it: "channel delete: to confirm, type /channel delete NAME", then what
 * it would do.  In the client the whole text is also shown in a dialog.
 * confirm is the command to type and effect what it does, raw (both are
 * sanitised where they are shown).
 */
void
cmd_confirm(struct cmd_ctx *ctx, const char *what, const char *confirm,
    const char *effect)
{
	char	**lines, *title, *text;
	size_t	 n = 0, i;

	cmd_error(ctx, "%s: to confirm, type %s (this %s)", what, confirm,
	    effect);
	if (ctx->ui == NULL || ctx->ui->show == NULL)
		return;
	text = xasprintf("This %s.", effect);
	lines = xcalloc(strlen(text) + 6, sizeof *lines);
	lines[n++] = xstrdup("To confirm, type:");
	lines[n++] = xasprintf("  %s", confirm);
	lines[n++] = xstrdup("");
	cmd_confirm_wrap(lines, &n, text);
	lines[n++] = xstrdup("");
	lines[n++] = xstrdup("Nothing is done until you do.");
	title = xasprintf("Confirm %s", what);
	ctx->ui->show(ctx->ui_arg, title, lines, n);
	free(title);
	free(text);
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/*
 * Ask before an act that cannot be undone.  In the client: question
 * (ending in "(y/n)") on the status line, and y runs yes, the command
 * line (without its '/') that does it.  Elsewhere (haos run) there is
 * nobody to answer: say how to confirm by typing /yes, as cmd_confirm(),
 * and fail, as nothing was done.  question, yes and effect are raw
 * (sanitised where they are shown).  Returns what the command returns.
 */
enum cmd_retval
cmd_confirm_ask(struct cmd_ctx *ctx, const char *what, const char *question,
    const char *yes, const char *effect)
{
	char	*confirm;

	if (ctx->ui != NULL && ctx->ui->ask != NULL) {
		ctx->ui->ask(ctx->ui_arg, question, yes);
		return CMD_RETURN_NORMAL;
	}
	confirm = xasprintf("/%s", yes);
	cmd_confirm(ctx, what, confirm, effect);
	free(confirm);
	return CMD_RETURN_ERROR;
}
