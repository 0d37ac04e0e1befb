/* /server: its subcommand table and the helpers its files share. */
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

extern const struct cmd_entry	cmd_server_create_entry;
extern const struct cmd_entry	cmd_server_delete_entry;
extern const struct cmd_entry	cmd_server_doctor_entry;
extern const struct cmd_entry	cmd_server_icon_entry;
extern const struct cmd_entry	cmd_server_invite_entry;
extern const struct cmd_entry	cmd_server_leave_entry;
extern const struct cmd_entry	cmd_server_publish_entry;
extern const struct cmd_entry	cmd_server_rename_entry;

/* this array MUST be alphasorted by name (check_cmd.c checks it) */
static const struct cmd_entry *const cmd_server_sub[] = {
	&cmd_server_create_entry,
	&cmd_server_delete_entry,
	&cmd_server_doctor_entry,
	&cmd_server_icon_entry,
	&cmd_server_invite_entry,
	&cmd_server_leave_entry,
	&cmd_server_publish_entry,
	&cmd_server_rename_entry,
};

/* Each subcommand's entry says its arguments, target and role. */
const struct cmd_entry cmd_server_entry = {
	.name = "server",
	.alias = NULL,
	.args = { 1, -1 },
	.usage = "create|delete|doctor|icon|invite|leave|publish|rename ...",
	.help = "Create, rename, share, publish, leave or delete a server",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = NULL,
	.sub = cmd_server_sub,
	.nsub = nitems(cmd_server_sub)
};

/*
 * The selected server for "what", or NULL with the missing context
 * reported the way cmd.c reports it.
 */
const char *
cmd_need_server(struct cmd_ctx *ctx, const char *what)
{
	if (ctx->server_id != NULL)
		return ctx->server_id;
	if (ctx->ui == NULL)
		cmd_error(ctx, "%s needs a server: give --server NAME|ID",
		    what);
	else
		cmd_error(ctx, "%s: no server selected", what);
	return NULL;
}

/* Check my power in room for what: 1 if allowed, else 0 (reported). */
int
cmd_need_power(struct cmd_ctx *ctx, const char *what, const char *room,
    int power)
{
	int64_t	 pl;

	pl = cmd_power_of(ctx, room, ctx->me);
	if (pl < 0)
		pl = 0;
	if (pl >= power)
		return 1;
	cmd_error(ctx, "%s needs %s (%d); you are %s (%lld)", what,
	    cmd_role_name(power), power, cmd_role_name(pl), (long long)pl);
	return 0;
}

/* A room's display name, sanitised, for messages (caller frees). */
char *
cmd_room_label(struct cmd_ctx *ctx, const char *room_id)
{
	struct haos_error	 err;
	struct room_row		 r;
	char			*out;

	if (ctx->store == NULL || store_query_room(ctx->store, room_id, &r,
	    &err) != 1)
		return sanitize_text(room_id, (size_t)-1, 0);
	out = sanitize_text(r.name != NULL ? r.name : room_id, (size_t)-1, 0);
	room_row_free(&r);
	return out;
}

/* Why a request failed, for messages. */
const char *
cmd_server_why(const struct client_result *res)
{
	return res->err != NULL ? res->err->msg : "request failed";
}

/* Words from argv[from] on, joined by spaces (NULL if none). */
char *
cmd_server_words(const struct cmd_args *a, int from)
{
	char	*s = NULL, *t;
	int	 i;

	for (i = from; i < a->argc; i++) {
		t = xasprintf("%s%s%s", s != NULL ? s : "", s != NULL ?
		    " " : "", a->argv[i]);
		free(s);
		s = t;
	}
	return s;
}

/* Report a one-request change: arg is the message said on success. */
void
cmd_server_simple_done(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	char	*msg = arg;

	if (res->ok)
		cmd_info(ctx, "%s", msg);
	else
		cmd_error(ctx, "%s: failed: %s", msg, cmd_server_why(res));
	free(msg);
}
