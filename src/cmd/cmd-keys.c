/* /keys export|import PATH: room keys in the standard encrypted file. */

/*
 * The file Element reads and writes (crypto-keyfile.c): /keys export
 * asks for a passphrase twice (without echo) and writes every room key
 * haos holds to a new file, mode 0600; /keys import asks for the
 * file's passphrase and imports its keys as unauthenticated, never
 * over a better key, decrypting the messages that waited for them.
 * Both run on the net thread, which holds the keys.
 */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_keys_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_keys_entry = {
	.name = "keys",
	.alias = NULL,
	.args = { 2, 2 },
	.usage = "export|import PATH",
	.help = "Export the room keys to a new file under a passphrase, or "
	    "import such a file (Element's format)",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_keys_exec,
	.kinds = { CMD_ARG_CHOICE, CMD_ARG_FILE },
	.choices = "export|import"
};

/* What the command carries from question to question. */
struct cmd_keys {
	char	*op;		/* "keys-export" or "keys-import" */
	char	*path;
	char	*first;		/* export: the passphrase, to confirm */
};

static void
cmd_keys_free(struct cmd_keys *k)
{
	if (k->first != NULL)
		explicit_bzero(k->first, strlen(k->first));
	free(k->first);
	free(k->op);
	free(k->path);
	free(k);
}

static void
cmd_keys_done(void *p, const struct client_result *res)
{
	struct cmd_ctx	*ctx = p;

	if (res->ok)
		cmd_info(ctx, "keys: %s", res->body != NULL ? res->body :
		    "done");
	else if (!res->cancelled)
		cmd_error(ctx, "keys: %s", res->err->msg);
}

static void
cmd_keys_go(struct cmd_ctx *ctx, struct cmd_keys *k, const char *pass)
{
	client_secrets(ctx->client, k->op, pass, k->path,
	    (struct client_done){ cmd_keys_done, ctx, NULL });
	cmd_info(ctx, "keys: %s...", strcmp(k->op, "keys-export") == 0 ?
	    "exporting" : "importing");
}

static void
cmd_keys_again(struct cmd_ctx *ctx, const char *answer, void *arg)
{
	struct cmd_keys	*k = arg;

	if (answer == NULL)
		cmd_error(ctx, "keys: cancelled");
	else if (strcmp(answer, k->first) != 0)
		cmd_error(ctx, "keys: the passphrases differ: nothing was "
		    "exported");
	else
		cmd_keys_go(ctx, k, answer);
	cmd_keys_free(k);
}

static void
cmd_keys_answer(struct cmd_ctx *ctx, const char *answer, void *arg)
{
	struct cmd_keys	*k = arg;

	if (answer == NULL || *answer == '\0') {
		cmd_error(ctx, "keys: cancelled (no passphrase)");
		cmd_keys_free(k);
		return;
	}
	if (strcmp(k->op, "keys-import") == 0) {
		cmd_keys_go(ctx, k, answer);
		cmd_keys_free(k);
		return;
	}
	k->first = xstrdup(answer);
	cmd_secret_ask(ctx, "The passphrase again: ", cmd_keys_again, k);
}

static enum cmd_retval
cmd_keys_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct cmd_keys	*k;
	int		 export = strcmp(a->argv[0], "export") == 0;

	k = xcalloc(1, sizeof *k);
	k->op = xstrdup(export ? "keys-export" : "keys-import");
	k->path = xstrdup(a->argv[1]);
	cmd_secret_ask(ctx, export ? "Passphrase for the export file: " :
	    "The file's passphrase: ", cmd_keys_answer, k);
	return CMD_RETURN_WAIT;
}
