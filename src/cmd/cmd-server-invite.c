/* /server invite [--regenerate]: show or replace the invite code. */
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


/* /server invite --regenerate: a new code, its alias, the old one gone. */
struct cmd_server_regen {
	char	*code;
};

static void
cmd_server_regen_done(struct cmd_ctx *ctx, struct cmd_seq *q, void *arg)
{
	struct cmd_server_regen	*r = arg;

	if (cmd_seq_failed(q) > 0)
		cmd_error(ctx, "server invite: %s", cmd_seq_error(q));
	else
		cmd_info(ctx, "new invite code: %s (the old one no longer "
		    "works; join with /join %s)", r->code, r->code);
	free(r->code);
	free(r);
}

static enum cmd_retval
cmd_server_invite_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct cmd_server_regen	*r;
	struct cmd_seq		*q;
	const char		*space;
	json_t			*c;
	char			*code = NULL, *owner = NULL, *via, *alias;
	char			*body, *label;
	int			 rc;

	space = ctx->server_id;
	rc = ctx->store != NULL ? space_server_info(ctx->store, space, &code,
	    &owner, &err) : 0;
	if (rc != 1) {
		cmd_error(ctx, "server invite: not a HAOS server (no "
		    "io.haos.server state)");
		return CMD_RETURN_ERROR;
	}
	if (!cmd_args_has(a, 'r')) {
		if (code == NULL)
			cmd_error(ctx, "server invite: the server has no "
			    "invite code; /server invite --regenerate");
		else {
			label = sanitize_text(code, (size_t)-1, 0);
			cmd_info(ctx, "invite code: %s (join with /join %s)",
			    label, label);
			free(label);
		}
		free(code);
		free(owner);
		return code == NULL ? CMD_RETURN_ERROR : CMD_RETURN_NORMAL;
	}
	/* Anyone may see the code; replacing it needs MODERATOR. */
	if (!cmd_need_power(ctx, "server invite --regenerate", space,
	    SPACE_MODERATOR)) {
		free(code);
		free(owner);
		return CMD_RETURN_ERROR;
	}
	via = space_server_name(ctx->me);
	r = xcalloc(1, sizeof *r);
	r->code = space_invite_code();
	q = cmd_seq_new(cmd_server_regen_done, r);
	/* The new code first: once it is written the old one is expired. */
	c = space_server_content(r->code, owner != NULL ? owner : ctx->me);
	body = json_xdumps(c);
	cmd_seq_add(q, matrix_req_state_put(space, "io.haos.server", "",
	    body), CMD_SEQ_STOP);
	free(body);
	json_decref(c);
	alias = space_invite_alias(r->code, via);
	cmd_seq_add(q, matrix_req_alias_put(alias, space), 0);
	free(alias);
	if (code != NULL && space_valid_code(code)) {
		alias = space_invite_alias(code, via);
		cmd_seq_add(q, matrix_req_alias_delete(alias),
		    CMD_SEQ_OPTIONAL);
		free(alias);
	}
	cmd_seq_run(ctx, q);
	free(via);
	free(code);
	free(owner);
	return CMD_RETURN_WAIT;
}

static const struct cmd_flag cmd_server_invite_flags[] = {
	{ 'r', "regenerate", NULL, CMD_ARG_TEXT, "replace the invite code "
	  "(MODERATOR); the old code stops working" },
	{ 0, NULL, NULL, CMD_ARG_TEXT, NULL }
};

const struct cmd_entry cmd_server_invite_entry = {
	.name = "invite",
	.alias = NULL,
	.args = { 0, 0 },
	.usage = "[--regenerate]",
	.help = "Show the server's invite code, or replace it",
	.target = CMD_TARGET_SERVER,
	.power = POWER_GUEST,		/* --regenerate checks MODERATOR */
	.flags = 0,
	.exec = cmd_server_invite_exec,
	.template = "r",
	.flagv = cmd_server_invite_flags
};
