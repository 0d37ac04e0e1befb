/* /nick NAME: my global display name. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/error.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_nick_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_nick_entry = {
	.name = "nick",
	.alias = NULL,
	.args = { 1, 1 },
	.usage = "name",
	.help = "Set your display name (everywhere)",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = CMD_RAW,
	.exec = cmd_nick_exec
};

static void
cmd_nick_done(struct cmd_ctx *ctx, const struct client_result *res, void *arg)
{
	char	*name = arg;

	if (res->ok)
		cmd_info(ctx, "nick: you are now %s", name);
	else
		cmd_error(ctx, "nick: %s", res->err != NULL ? res->err->msg :
		    "failed");
	free(name);
}

static enum cmd_retval
cmd_nick_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	if (strlen(a->argv[0]) > 256) {
		cmd_error(ctx, "nick: a display name has at most 256 bytes");
		return CMD_RETURN_ERROR;
	}
	cmd_call(ctx, matrix_req_displayname(ctx->me != NULL ? ctx->me : "",
	    a->argv[0]), cmd_nick_done, xstrdup(a->argv[0]));
	return CMD_RETURN_WAIT;
}
