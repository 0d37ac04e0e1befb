/*
 * /backup [restore | key [RECOVERY-KEY]]: the server-side key backup.
 * Without the key on the line it is asked for without echo (the client's
 * hidden prompt, or standard input under haos run); typed on the line,
 * it never reaches the input history (CMD_SECRET_TAIL).
 */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_backup_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_backup_entry = {
	.name = "backup",
	.alias = NULL,
	.args = { 0, 1 },
	.usage = "[restore | key [RECOVERY-KEY]]",
	.help = "Key backup: its state, restore every key, or give its key",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = CMD_RAW | CMD_SECRET_TAIL,
	.exec = cmd_backup_exec
};

struct cmd_backup {
	struct cmd_ctx	*ctx;
	int		 restore;
};

static void
cmd_backup_done(void *p, const struct client_result *res)
{
	struct cmd_backup	*b = p;
	struct cmd_ctx		*ctx = b->ctx;
	json_t			*j;
	const char		*version;

	if (res->cancelled)
		return;
	if (!res->ok) {
		cmd_error(ctx, "backup: %s", res->err->msg);
		return;
	}
	j = json_load_network(res->body, res->body != NULL ?
	    strlen(res->body) : 0, NULL, NULL);
	version = json_get_str(j, "version", NULL);
	if (version == NULL)
		cmd_error(ctx, "backup: the account has no key backup");
	else if (!json_is_true(json_object_get(j, "trusted")))
		cmd_error(ctx, "backup: version %.40s is not trusted: its key "
		    "is not the backup key given here (/backup key) and no "
		    "signature of your identity or of a verified device of "
		    "yours vouches for it; nothing is backed up", version);
	else if (!json_is_true(json_object_get(j, "key")))
		cmd_info(ctx, "backup %.40s: trusted (signed by your "
		    "identity); new keys are backed up; restoring needs its "
		    "key (/backup key or /recovery)", version);
	else if (b->restore)
		cmd_info(ctx, "backup %.40s: %d keys restored, %d already "
		    "held, %d refused; %d rooms decrypted", version,
		    (int)json_get_int(j, "imported", 0),
		    (int)json_get_int(j, "kept", 0),
		    (int)json_get_int(j, "refused", 0),
		    (int)json_get_int(j, "rooms", 0));
	else
		cmd_info(ctx, "backup %.40s: trusted; new keys are backed up",
		    version);
	json_decref(j);
}

/* Ask the net thread: what is "status", "restore" or "key" (with b64). */
static void
cmd_backup_ask(struct cmd_ctx *ctx, const char *what, const char *b64)
{
	struct cmd_backup	*b;

	b = xcalloc(1, sizeof *b);
	b->ctx = ctx;
	b->restore = strcmp(what, "restore") == 0;
	client_backup(ctx->client, what, b64,
	    (struct client_done){ cmd_backup_done, b, free });
}

/* A recovery key as typed: 0 and the request on its way, or -1. */
static int
cmd_backup_key(struct cmd_ctx *ctx, const char *text)
{
	struct haos_error	 err;
	unsigned char		 key[32];
	char			*b64;

	if (crypto_recovery_decode(text, key, &err) == -1) {
		cmd_error(ctx, "backup key: %s", err.msg);
		return -1;
	}
	b64 = base64_encode(key, sizeof key);
	explicit_bzero(key, sizeof key);
	cmd_backup_ask(ctx, "key", b64);
	explicit_bzero(b64, strlen(b64));
	free(b64);
	return 0;
}

static void
cmd_backup_answer(struct cmd_ctx *ctx, const char *answer, void *arg)
{
	(void)arg;
	if (answer == NULL || answer[strspn(answer, " \t")] == '\0') {
		cmd_error(ctx, "backup key: cancelled, no key was given");
		return;
	}
	cmd_backup_key(ctx, answer);
}

static enum cmd_retval
cmd_backup_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char	*arg;

	arg = a->argc > 0 ? a->argv[0] : "";
	arg += strspn(arg, " \t");
	if (*arg == '\0') {
		cmd_backup_ask(ctx, "status", NULL);
		return CMD_RETURN_WAIT;
	}
	if (strcmp(arg, "restore") == 0) {
		cmd_backup_ask(ctx, "restore", NULL);
		return CMD_RETURN_WAIT;
	}
	if (strncmp(arg, "key", 3) != 0 || (arg[3] != ' ' && arg[3] != '\t' &&
	    arg[3] != '\0')) {
		cmd_error(ctx, "usage: backup %s", cmd_backup_entry.usage);
		return CMD_RETURN_ERROR;
	}
	arg += 3;
	arg += strspn(arg, " \t");
	if (*arg == '\0') {
		cmd_secret_ask(ctx, "Recovery key: ", cmd_backup_answer, NULL);
		return CMD_RETURN_WAIT;
	}
	return cmd_backup_key(ctx, arg) == -1 ? CMD_RETURN_ERROR :
	    CMD_RETURN_WAIT;
}
