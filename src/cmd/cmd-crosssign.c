/* /crosssign: set up cross-signing for an account that has none. */

/*
 * Makes our master, self-signing and user-signing keys, publishes them
 * (the account password is the server's user-interactive auth) and signs
 * this device with them (net-xsign.c), so that other users' clients see
 * it as verified by its owner.  The password: in the client, asked on
 * the input line like /login's (never in the editor or its history); in
 * haos run, from the account's password_command or password, else asked
 * on the terminal, as haos login does.  An account that already has
 * cross-signing is never reset: the answer says to verify this device
 * from another one (/verify) or to unlock the keys (/recovery).
 */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/account.h"
#include "haos/client.h"
#include "haos/config.h"
#include "haos/error.h"
#include "haos/prompt.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_crosssign_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_crosssign_entry = {
	.name = "crosssign",
	.alias = NULL,
	.args = { 0, 0 },
	.usage = "",
	.help = "Set up cross-signing (your identity) and sign this device",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_crosssign_exec
};

static void
cmd_crosssign_done(void *arg, const struct client_result *res)
{
	struct cmd_ctx	*ctx = arg;
	char		*key;

	if (res->cancelled)
		return;
	if (!res->ok) {
		cmd_error(ctx, "crosssign: %s", res->err->msg);
		return;
	}
	key = sanitize_text(res->body != NULL ? res->body : "", (size_t)-1,
	    0);
	cmd_info(ctx, "cross-signing set up (master key %s): this device is "
	    "signed", key);
	free(key);
}

/* The account of this session in the configuration, or NULL. */
static const struct account *
cmd_crosssign_account(struct cmd_ctx *ctx)
{
	int	 i;

	if (ctx->cfg == NULL)
		return NULL;
	for (i = 0; i < ctx->cfg->naccounts; i++) {
		if (ctx->me != NULL && ctx->cfg->accounts[i].user != NULL &&
		    strcmp(ctx->cfg->accounts[i].user, ctx->me) == 0)
			return &ctx->cfg->accounts[i];
	}
	return ctx->cfg->naccounts == 1 ? &ctx->cfg->accounts[0] : NULL;
}

/* haos run: the password as haos login finds it. */
static char *
cmd_crosssign_password(struct cmd_ctx *ctx, struct haos_error *err)
{
	const struct account	*a = cmd_crosssign_account(ctx);
	char			*pw = NULL;

	if (a != NULL && a->password_command != NULL) {
		if (account_password_command(a->password_command, &pw,
		    err) == -1)
			return NULL;
		return pw;
	}
	if (a != NULL && a->password != NULL)
		return xstrdup(a->password);
	return prompt_secret("Password (cross-signing): ", err);
}

static enum cmd_retval
cmd_crosssign_exec(struct cmd_ctx *ctx, const struct cmd_args *a __unused)
{
	struct haos_error	 err;
	char			*pw;

	if (ctx->ui != NULL) {
		if (ctx->ui->action(ctx->ui_arg, UI_ACT_CROSSSIGN, NULL) == -1)
			return CMD_RETURN_ERROR;
		return CMD_RETURN_NORMAL;
	}
	pw = cmd_crosssign_password(ctx, &err);
	if (pw == NULL) {
		cmd_error(ctx, "crosssign: %s", err.msg);
		return CMD_RETURN_ERROR;
	}
	client_crosssign(ctx->client, pw, (struct client_done){
	    cmd_crosssign_done, ctx, NULL });
	explicit_bzero(pw, strlen(pw));
	free(pw);
	return CMD_RETURN_WAIT;
}
