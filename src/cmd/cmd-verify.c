/* /verify @user [device]: compare emoji with a device (m.sas.v1). */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_verify_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_verify_entry = {
	.name = "verify",
	.alias = NULL,
	.args = { 1, 2 },
	.usage = "@user [device]",
	.help = "Verify a device by comparing emoji: the device named, all "
	    "your other devices, or the user's in your DM with them",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_verify_exec,
	.kinds = { CMD_ARG_USER, CMD_ARG_TEXT }
};

/* The joined DM with user, or NULL. */
static char *
cmd_verify_dm(struct cmd_ctx *ctx, const char *user)
{
	struct haos_error	 err;
	struct room_row		*r = NULL;
	size_t			 n = 0, i;
	char			*found = NULL;

	if (ctx->store == NULL || store_query_rooms(ctx->store,
	    STORE_ROOMS_DIRECT, NULL, &r, &n, &err) == -1)
		return NULL;
	for (i = 0; i < n && found == NULL; i++) {
		if (r[i].join == ROOM_JOIN && r[i].direct_user != NULL &&
		    strcmp(r[i].direct_user, user) == 0)
			found = xstrdup(r[i].room_id);
	}
	room_rows_free(r, n);
	return found;
}

static enum cmd_retval
cmd_verify_exec(struct cmd_ctx *ctx, const struct cmd_args *args)
{
	const char	*user = args->argv[0];
	const char	*device = args->argc > 1 ? args->argv[1] : NULL;
	char		*room = NULL, *cu, *cd;

	/* The emoji are compared on screen, and answered with a key. */
	if (ctx->ui == NULL) {
		cmd_error(ctx, "verify: comparing emoji needs the interactive "
		    "client; haos run cannot verify");
		return CMD_RETURN_ERROR;
	}
	if (!matrix_valid_user_id(user)) {
		cmd_error(ctx, "verify: not a user id: %s", user);
		return CMD_RETURN_ERROR;
	}
	if (device == NULL && ctx->me != NULL && strcmp(user, ctx->me) != 0) {
		room = cmd_verify_dm(ctx, user);
		if (room == NULL) {
			cmd_error(ctx, "verify: no direct conversation with %s: "
			    "open one with /dm, or name a device", user);
			return CMD_RETURN_ERROR;
		}
	}
	client_verify_request(ctx->client, user, device, room);
	cu = sanitize_text(user, (size_t)-1, 0);
	cd = device != NULL ? sanitize_text(device, (size_t)-1, 0) : NULL;
	cmd_info(ctx, "verify: asked %s%s%s to verify; waiting for an answer",
	    cu, cd != NULL ? " " : room != NULL ? " in your DM" :
	    " (all your other devices)", cd != NULL ? cd : "");
	free(cu);
	free(cd);
	free(room);
	return CMD_RETURN_NORMAL;
}
