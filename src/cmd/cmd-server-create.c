/* /server create: a space, its invite alias and #general. */
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


/* The room id of a createRoom answer (caller frees), or NULL. */
static char *
cmd_server_room_id(const struct client_result *res)
{
	json_t		*j;
	const char	*id;
	char		*out = NULL;

	if (!res->ok || res->body == NULL)
		return NULL;
	j = json_load_answer(res->body);
	id = json_get_str(j, "room_id", NULL);
	if (space_valid_room_id(id))
		out = xstrdup(id);
	json_decref(j);
	return out;
}

/*
 * /server create: (upload the icon,) create the space, publish the invite
 * alias, create #general restricted to the space and link it both ways.
 */
struct cmd_server_create {
	char	*name;
	char	*code;
	char	*mxc;
	char	*via;		/* our server name */
	char	*space_id;
	char	*general_id;
};

static void
cmd_server_create_free(struct cmd_server_create *c)
{
	free(c->name);
	free(c->code);
	free(c->mxc);
	free(c->via);
	free(c->space_id);
	free(c->general_id);
	free(c);
}

static void
cmd_server_create_done(struct cmd_ctx *ctx, struct cmd_seq *q, void *arg)
{
	struct cmd_server_create	*c = arg;
	char				*name;

	name = sanitize_text(c->name, (size_t)-1, 0);
	if (cmd_seq_failed(q) > 0)
		cmd_error(ctx, "server create: %s created (%s), but: %s", name,
		    c->space_id, cmd_seq_error(q));
	else
		cmd_info(ctx, "created server %s (%s) with #general; invite "
		    "code %s", name, c->space_id, c->code);
	cmd_goto_follow(ctx, c->space_id);
	free(name);
	cmd_server_create_free(c);
}

static void
cmd_server_create_general(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	struct cmd_server_create	*c = arg;
	struct cmd_seq			*q;
	json_t				*child;
	char				*alias, *body;

	c->general_id = cmd_server_room_id(res);
	if (c->general_id == NULL) {
		cmd_error(ctx, "server create: the server was made (%s) but "
		    "not #general: %s", c->space_id, cmd_server_why(res));
		cmd_server_create_free(c);
		return;
	}
	q = cmd_seq_new(cmd_server_create_done, c);
	child = space_child_content(c->via, "0100");
	body = json_xdumps(child);
	cmd_seq_add(q, matrix_req_state_put(c->space_id, "m.space.child",
	    c->general_id, body), 0);
	free(body);
	json_decref(child);
	alias = space_invite_alias(c->code, c->via);
	cmd_seq_add(q, matrix_req_alias_put(alias, c->space_id), 0);
	free(alias);
	cmd_seq_run(ctx, q);
}

static void
cmd_server_create_space(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	struct cmd_server_create	*c = arg;
	json_t				*users, *body;
	char				*text;

	c->space_id = cmd_server_room_id(res);
	if (c->space_id == NULL) {
		cmd_error(ctx, "server create: %s", cmd_server_why(res));
		cmd_server_create_free(c);
		return;
	}
	users = json_pack("{s:i}", ctx->me, SPACE_ADMIN);
	body = space_channel_create_body("general", c->space_id,
	    CHANNEL_TEXT, ctx->me, c->via, users);
	text = json_xdumps(body);
	cmd_call(ctx, matrix_req_create_room(text), cmd_server_create_general,
	    c);
	free(text);
	json_decref(body);
	json_decref(users);
}

static void
cmd_server_create_start(struct cmd_ctx *ctx, struct cmd_server_create *c)
{
	json_t	*body;
	char	*text;

	body = space_create_body(c->name, ctx->me, c->code, c->mxc);
	text = json_xdumps(body);
	cmd_call(ctx, matrix_req_create_room(text), cmd_server_create_space,
	    c);
	free(text);
	json_decref(body);
}

static void
cmd_server_create_icon(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	struct cmd_server_create	*c = arg;

	c->mxc = cmd_upload_uri(res);
	if (c->mxc == NULL) {
		cmd_error(ctx, "server create: icon upload failed: %s",
		    cmd_server_why(res));
		cmd_server_create_free(c);
		return;
	}
	cmd_server_create_start(ctx, c);
}

static enum cmd_retval
cmd_server_create_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct cmd_server_create	*c;
	const char			*icon = cmd_args_get(a, 'i');

	c = xcalloc(1, sizeof *c);
	c->name = cmd_server_words(a, 0);
	c->via = space_server_name(ctx->me);
	if (c->via == NULL) {
		cmd_error(ctx, "server create: not logged in");
		cmd_server_create_free(c);
		return CMD_RETURN_ERROR;
	}
	c->code = space_invite_code();
	if (icon != NULL) {
		if (cmd_upload_file(ctx, icon, cmd_server_create_icon,
		    c) == -1) {
			cmd_server_create_free(c);
			return CMD_RETURN_ERROR;
		}
		return CMD_RETURN_WAIT;
	}
	cmd_server_create_start(ctx, c);
	return CMD_RETURN_WAIT;
}

static const struct cmd_flag cmd_server_create_flags[] = {
	{ 'i', "icon", "PATH", CMD_ARG_FILE, "upload PATH as the server's "
	  "icon" },
	{ 0, NULL, NULL, CMD_ARG_TEXT, NULL }
};

const struct cmd_entry cmd_server_create_entry = {
	.name = "create",
	.alias = NULL,
	.args = { 1, -1 },
	.usage = "NAME [--icon PATH]",
	.help = "Create a server (a space) with a #general channel",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_server_create_exec,
	.template = "i:",
	.flagv = cmd_server_create_flags
};
