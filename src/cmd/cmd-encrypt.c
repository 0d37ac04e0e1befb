/* /encrypt [NAME]: turn on end-to-end encryption in the selected room. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_encrypt_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_encrypt_entry = {
	.name = "encrypt",
	.alias = NULL,
	.args = { 0, 1 },
	.usage = "[NAME]",
	.help = "Turn on end-to-end encryption in the channel, for good "
	    "(asks first; NAME confirms)",
	.target = CMD_TARGET_ROOM,
	.power = POWER_MODERATOR,
	.flags = CMD_RAW,
	.exec = cmd_encrypt_exec
};

static void
cmd_encrypt_done(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	char	*label = arg;

	if (res->ok)
		cmd_info(ctx, "encryption turned on in %s", label);
	else if (!res->cancelled)
		cmd_error(ctx, "encrypt: %s", res->err != NULL ?
		    res->err->msg : "failed");
	free(label);
}

/*
 * The level m.room.encryption needs in the room: its entry in the power
 * levels' events, else state_default (50 when the room has none).
 */
static int64_t
cmd_encrypt_level(struct cmd_ctx *ctx)
{
	struct haos_error	 err;
	json_t			*pl, *v;
	char			*text = NULL;
	int64_t			 level = POWER_MODERATOR;

	if (store_query_state(ctx->store, ctx->room_id, "m.room.power_levels",
	    "", &text, &err) == -1 || text == NULL)
		return level;
	pl = json_load_stored(text);
	free(text);
	v = json_object_get(json_object_get(pl, "events"),
	    "m.room.encryption");
	level = json_is_integer(v) ? json_integer_value(v) :
	    json_get_int(pl, "state_default", POWER_MODERATOR);
	json_decref(pl);
	return level;
}

/* Whether word names the room: its id or its name as the lists show it. */
static int
cmd_encrypt_names(const char *word, const char *room_id, const char *name)
{
	return strcmp(word, room_id) == 0 || (name != NULL &&
	    strcmp(word, name) == 0);
}

/*
 * Encryption cannot be turned off again, so the room's name (or id, a
 * leading '#' aside) confirms; without it the client asks y/n,
 * and y runs "encrypt ROOM_ID".  An encrypted room is left alone.
 */
static enum cmd_retval
cmd_encrypt_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct room_row		 r;
	const char		*word = a->argc > 0 ? a->argv[0] : NULL;
	char			*name = NULL, *label, *clean, *question;
	char			*yes, *effect;
	enum cmd_retval		 rv;
	int64_t			 need;
	int			 encrypted = 0, ok;

	if (ctx->store != NULL && store_query_room(ctx->store, ctx->room_id,
	    &r, &err) == 1) {
		encrypted = r.encrypted;
		name = cmd_room_name(ctx->store, &r);
		room_row_free(&r);
	}
	clean = sanitize_text(name != NULL ? name : ctx->room_id, (size_t)-1,
	    0);
	label = xasprintf("%s%s", strchr("#@!", *clean) != NULL ? "" : "#",
	    clean);
	free(clean);
	if (encrypted) {
		cmd_info(ctx, "%s is already encrypted", label);
		free(label);
		free(name);
		return CMD_RETURN_NORMAL;
	}
	need = cmd_encrypt_level(ctx);
	if (!cmd_need_power(ctx, "encrypt", ctx->room_id, (int)need)) {
		free(label);
		free(name);
		return CMD_RETURN_ERROR;
	}
	ok = word != NULL && (cmd_encrypt_names(word, ctx->room_id, name) ||
	    (*word == '#' && cmd_encrypt_names(word + 1, ctx->room_id,
	    name)));
	free(name);
	if (!ok) {
		question = xasprintf("Encryption cannot be turned off again. "
		    "Encrypt %s? (y/n)", label);
		yes = xasprintf("encrypt %s", ctx->room_id);
		effect = xasprintf("turns on end-to-end encryption in %s; it "
		    "cannot be turned off again", label);
		rv = cmd_confirm_ask(ctx, "encrypt", question, yes, effect);
		free(effect);
		free(yes);
		free(question);
		free(label);
		return rv;
	}
	cmd_info(ctx, "turning on encryption in %s", label);
	cmd_call(ctx, matrix_req_encrypt(ctx->room_id), cmd_encrypt_done,
	    label);
	return CMD_RETURN_WAIT;
}
