/* /recovery [new]: open secret storage with the recovery key, or make one. */

/*
 * /recovery asks for the recovery key (or, with -p, the passphrase)
 * without echo and has the net thread unlock what secret storage holds
 * for haos: the cross-signing keys and the key backup's key, sealed in
 * the store.  /recovery new makes secret storage for an account that
 * has none: the key description, the secrets haos holds and the default
 * key are uploaded as account data, in that order, and only then is the
 * recovery key shown, once.  The key typed or shown is never logged,
 * never kept in the editor's history, and wiped after use.
 */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_recovery_exec(struct cmd_ctx *,
			    const struct cmd_args *);

static const struct cmd_flag cmd_recovery_flags[] = {
	{ 'p', "passphrase", NULL, CMD_ARG_TEXT,
	    "Ask for the passphrase instead of the recovery key" },
	{ 0, NULL, NULL, 0, NULL }
};

const struct cmd_entry cmd_recovery_entry = {
	.name = "recovery",
	.alias = NULL,
	.args = { 0, 1 },
	.usage = "[-p] [new]",
	.help = "Unlock the cross-signing and backup keys with the recovery "
	    "key (asked, not echoed); new: make one for an account without",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_recovery_exec,
	.template = "p",
	.flagv = cmd_recovery_flags,
	.kinds = { CMD_ARG_CHOICE },
	.choices = "new"
};

/* The answer to an unlock: what it unlocked, or why not. */
static void
cmd_recovery_done(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg __unused)
{
	if (res->ok)
		cmd_info(ctx, "recovery: %s", res->body != NULL ? res->body :
		    "done");
	else if (!res->cancelled)
		cmd_error(ctx, "recovery: %s", res->err->msg);
}

static void
cmd_recovery_call_done(void *p, const struct client_result *res)
{
	struct cmd_ctx	*ctx = p;

	cmd_recovery_done(ctx, res, NULL);
}

static void
cmd_recovery_answer(struct cmd_ctx *ctx, const char *answer, void *arg)
{
	const char	*op = arg;

	if (answer == NULL || *answer == '\0') {
		cmd_error(ctx, "recovery: cancelled, nothing was unlocked");
		return;
	}
	client_secrets(ctx->client, op, answer, NULL,
	    (struct client_done){ cmd_recovery_call_done, ctx, NULL });
}

/* The new key once every upload is done: shown once, then wiped. */
static void
cmd_recovery_uploaded(struct cmd_ctx *ctx, struct cmd_seq *q, void *arg)
{
	char	*key = arg, *lines[6];

	if (cmd_seq_failed(q) > 0) {
		cmd_error(ctx, "recovery new: upload failed (%s): no secret "
		    "storage was set up, try again", cmd_seq_error(q) != NULL ?
		    cmd_seq_error(q) : "no answer");
	} else if (ctx->ui != NULL && ctx->ui->show != NULL) {
		lines[0] = (char *)"Your recovery key (shown this once):";
		lines[1] = (char *)"";
		lines[2] = key;
		lines[3] = (char *)"";
		lines[4] = (char *)"Write it down and keep it safe: it unlocks "
		    "your encryption keys on a new device.";
		lines[5] = (char *)"haos does not keep it.";
		ctx->ui->show(ctx->ui_arg, "Recovery key", lines, 6);
		cmd_info(ctx, "recovery: secret storage set up");
	} else {
		cmd_info(ctx, "recovery key (shown this once; write it down, "
		    "haos does not keep it): %s", key);
	}
	explicit_bzero(key, strlen(key));
	free(key);
}

/* The net thread's new key: upload its account data, in order. */
static void
cmd_recovery_made(void *p, const struct client_result *res)
{
	struct cmd_ctx	*ctx = p;
	struct cmd_seq	*q;
	const json_t	*puts, *v;
	json_t		*o;
	size_t		 i;
	char		*content;

	if (!res->ok) {
		if (!res->cancelled)
			cmd_error(ctx, "recovery new: %s", res->err->msg);
		return;
	}
	o = json_load_answer(res->body != NULL ? res->body : "");
	puts = json_get_arr(o, "account_data");
	if (json_get_str(o, "recovery_key", NULL) == NULL || puts == NULL) {
		cmd_error(ctx, "recovery new: no key made");
		json_decref(o);
		return;
	}
	q = cmd_seq_new(cmd_recovery_uploaded,
	    xstrdup(json_get_str(o, "recovery_key", "")));
	json_array_foreach(puts, i, v) {
		content = json_dumps(json_object_get(v, "content"),
		    JSON_COMPACT);
		cmd_seq_add(q, matrix_req_account_data_put(ctx->me,
		    json_get_str(v, "type", ""), content), CMD_SEQ_STOP);
		free(content);
	}
	/* The answer held the key: wipe the parsed copy. */
	v = json_object_get(o, "recovery_key");
	explicit_bzero((char *)json_string_value(v),
	    json_string_length(v));
	json_decref(o);
	cmd_info(ctx, "recovery new: uploading secret storage...");
	cmd_seq_run(ctx, q);
}

static enum cmd_retval
cmd_recovery_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	char			*def = NULL;
	int			 pass = cmd_args_has(a, 'p');

	if (a->argc == 1) {
		if (pass) {
			cmd_error(ctx, "recovery new makes a recovery key; "
			    "-p is for opening one");
			return CMD_RETURN_ERROR;
		}
		if (store_query_account_data(ctx->store, NULL,
		    "m.secret_storage.default_key", &def, &err) == 0 &&
		    def != NULL) {
			free(def);
			cmd_error(ctx, "recovery new: this account has secret "
			    "storage already: /recovery opens it");
			return CMD_RETURN_ERROR;
		}
		client_secrets(ctx->client, "recovery-new", NULL, NULL,
		    (struct client_done){ cmd_recovery_made, ctx, NULL });
		return CMD_RETURN_WAIT;
	}
	cmd_secret_ask(ctx, pass ? "Secret storage passphrase: " :
	    "Recovery key: ", cmd_recovery_answer, (void *)(pass ?
	    "recovery-passphrase" : "recovery"));
	return CMD_RETURN_WAIT;
}
