/* /server rename and /server icon: the space's name and avatar. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/sanitize.h"
#include "haos/space.h"
#include "haos/store.h"
#include "haos/xmalloc.h"


/* PUT one state event into room; say msg when it is done. */
static void
cmd_server_put_state(struct cmd_ctx *ctx, const char *room, const char *type,
    const char *key, json_t *content, char *msg)
{
	char	*body;

	body = json_xdumps(content);
	cmd_call(ctx, matrix_req_state_put(room, type, key, body),
	    cmd_server_simple_done, msg);
	free(body);
	json_decref(content);
}

static enum cmd_retval
cmd_server_rename_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char	*space;
	char		*name, *clean;

	space = ctx->server_id;
	name = cmd_server_words(a, 0);
	clean = sanitize_text(name, (size_t)-1, 0);
	cmd_server_put_state(ctx, space, "m.room.name", "",
	    json_pack("{s:s}", "name", name),
	    xasprintf("server renamed to %s", clean));
	free(clean);
	free(name);
	return CMD_RETURN_WAIT;
}

static void
cmd_server_icon_done(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	char	*space = arg, *mxc;

	mxc = cmd_upload_uri(res);
	if (mxc == NULL)
		cmd_error(ctx, "server icon: upload failed: %s",
		    cmd_server_why(res));
	else
		cmd_server_put_state(ctx, space, "m.room.avatar", "",
		    json_pack("{s:s}", "url", mxc),
		    xasprintf("server icon set (%s)", mxc));
	free(mxc);
	free(space);
}

static enum cmd_retval
cmd_server_icon_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char	*space;
	char		*arg;

	space = ctx->server_id;
	arg = xstrdup(space);
	if (cmd_upload_file(ctx, a->argv[0], cmd_server_icon_done,
	    arg) == -1) {
		free(arg);
		return CMD_RETURN_ERROR;
	}
	return CMD_RETURN_WAIT;
}

const struct cmd_entry cmd_server_rename_entry = {
	.name = "rename",
	.alias = NULL,
	.args = { 1, -1 },
	.usage = "NAME",
	.help = "Rename the server",
	.target = CMD_TARGET_SERVER,
	.power = POWER_MODERATOR,
	.flags = 0,
	.exec = cmd_server_rename_exec
};

const struct cmd_entry cmd_server_icon_entry = {
	.name = "icon",
	.alias = NULL,
	.args = { 1, 1 },
	.usage = "PATH",
	.help = "Upload an image as the server's icon",
	.target = CMD_TARGET_SERVER,
	.power = POWER_MODERATOR,
	.flags = 0,
	.exec = cmd_server_icon_exec,
	.kinds = { CMD_ARG_FILE }
};
