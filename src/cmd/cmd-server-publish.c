/* /server publish on|off: the space in the public room directory. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/sanitize.h"
#include "haos/space.h"
#include "haos/store.h"
#include "haos/xmalloc.h"


static enum cmd_retval
cmd_server_publish_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char	*space;
	int		 on;

	space = ctx->server_id;
	on = strcmp(a->argv[0], "on") == 0;
	cmd_call(ctx, matrix_req_visibility(space, on), cmd_server_simple_done,
	    xstrdup(on ? "server listed in the public directory "
	    "(/explore)" : "server removed from the public directory"));
	return CMD_RETURN_WAIT;
}

const struct cmd_entry cmd_server_publish_entry = {
	.name = "publish",
	.alias = NULL,
	.args = { 1, 1 },
	.usage = "on|off",
	.help = "List the server in the public directory (/explore), or not",
	.target = CMD_TARGET_SERVER,
	.power = POWER_MODERATOR,
	.flags = 0,
	.exec = cmd_server_publish_exec,
	.kinds = { CMD_ARG_CHOICE },
	.choices = "on|off"
};
