/* What a command asks without echo: a recovery key or a passphrase. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/prompt.h"

/*
 * Ask question and call cb(ctx, answer, arg) once, answer NULL when the
 * user gave none (Esc, end of input).  In the client the prompt shows a
 * '*' per character and keeps nothing in the editor or its history;
 * outside it (haos run) the controlling terminal is asked with echo off,
 * or, when standard input is not a terminal, one line is read from it.
 * The answer is wiped after cb returns; cb owns arg.
 */
void
cmd_secret_ask(struct cmd_ctx *ctx, const char *question, cmd_secret_cb cb,
    void *arg)
{
	struct haos_error	 err;
	char			*answer;

	if (ctx->ui != NULL && ctx->ui->secret != NULL) {
		ctx->ui->secret(ctx->ui_arg, question, cb, arg);
		return;
	}
	answer = prompt_secret(question, &err);
	if (answer == NULL)
		cmd_error(ctx, "%s", err.msg);
	cb(ctx, answer, arg);
	if (answer != NULL) {
		explicit_bzero(answer, strlen(answer));
		free(answer);
	}
}
