/* /server doctor: find and repair power-level drift inside a server. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/space.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/* A room's power levels from the cache, or NULL. */
static json_t *
cmd_doctor_levels(struct cmd_ctx *ctx, const char *room_id)
{
	struct haos_error	 err;
	json_t			*pl;
	char			*text = NULL;

	if (store_query_state(ctx->store, room_id, "m.room.power_levels", "",
	    &text, &err) == -1 || text == NULL) {
		free(text);
		return NULL;
	}
	pl = json_load_stored(text);
	free(text);
	if (!json_is_object(pl)) {
		json_decref(pl);
		return NULL;
	}
	return pl;
}


/*
 * Make chan's users agree with space's; returns the changes as text
 * ("@bob:hs 0 -> 50, ...") or NULL if there was no drift.
 */
static char *
cmd_doctor_fix(const json_t *space, json_t *chan)
{
	const char	*user;
	json_t		*v, *users, *all;
	json_int_t	 want, have;
	char		*list = NULL, *tmp;

	all = json_object();
	json_object_foreach(json_object_get(space, "users"), user, v)
		json_object_set(all, user, json_true());
	json_object_foreach(json_object_get(chan, "users"), user, v)
		json_object_set(all, user, json_true());
	users = json_object_get(chan, "users");
	if (!json_is_object(users)) {
		users = json_object();
		json_object_set_new(chan, "users", users);
	}
	json_object_foreach(all, user, v) {
		want = space_power_of(space, user);
		have = space_power_of(chan, user);
		if (want == have)
			continue;
		json_object_set_new(users, user, json_integer(want));
		tmp = xasprintf("%s%s%s %lld -> %lld", list != NULL ? list : "",
		    list != NULL ? ", " : "", user, (long long)have,
		    (long long)want);
		free(list);
		list = tmp;
	}
	json_decref(all);
	return list;
}

/*
 * Compare every channel's users power levels with the space's (the
 * reference a /role cascade writes first) and rewrite the channels that
 * drifted, saying what changed.  The table has checked the server and
 * ADMIN.
 */
static enum cmd_retval
cmd_server_doctor_exec(struct cmd_ctx *ctx, const struct cmd_args *a __unused)
{
	struct cmd_batch	*b;
	json_t			*space, *chan;
	char			**ids, **labels, *changes, *body;
	size_t			 n, i, drift = 0;

	space = cmd_doctor_levels(ctx, ctx->server_id);
	if (space == NULL) {
		cmd_error(ctx, "server doctor: the server's power levels are "
		    "not cached yet");
		return CMD_RETURN_ERROR;
	}
	b = cmd_batch_new(ctx, "server doctor", "repaired the power levels",
	    "run /server doctor again", 1);
	n = cmd_server_rooms(ctx, ctx->server_id, &ids, &labels);
	for (i = 1; i < n; i++) {
		chan = cmd_doctor_levels(ctx, ids[i]);
		if (chan == NULL) {
			cmd_batch_fail(b, labels[i], "no power levels cached");
			drift++;
			continue;
		}
		changes = cmd_doctor_fix(space, chan);
		if (changes == NULL) {
			json_decref(chan);
			continue;
		}
		drift++;
		cmd_info(ctx, "server doctor: %s: %s", labels[i], changes);
		body = json_xdumps(chan);
		cmd_batch_add(b, labels[i], matrix_req_state_put(ids[i],
		    "m.room.power_levels", "", body), 0);
		free(body);
		free(changes);
		json_decref(chan);
	}
	json_decref(space);
	if (drift == 0) {
		cmd_info(ctx, "server doctor: no drift: %zu channel%s agree "
		    "with the server's power levels", n - 1, n == 2 ? "" : "s");
		cmd_strings_free(ids, n);
		cmd_strings_free(labels, n);
		cmd_batch_start(b);	/* empty: frees it quietly */
		return CMD_RETURN_NORMAL;
	}
	cmd_strings_free(ids, n);
	cmd_strings_free(labels, n);
	cmd_batch_start(b);
	return CMD_RETURN_WAIT;
}

extern const struct cmd_entry	cmd_server_entry;

const struct cmd_entry cmd_server_doctor_entry = {
	.name = "doctor",
	.alias = NULL,
	.args = { 0, 0 },
	.usage = "",
	.help = "Find and repair channels whose power levels differ from the "
	    "server's",
	.target = CMD_TARGET_SERVER,
	.power = POWER_ADMIN,
	.flags = 0,
	.exec = cmd_server_doctor_exec
};

/* Run /server doctor as its entry says (arguments, server, ADMIN). */
enum cmd_retval
cmd_doctor_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	return cmd_run_entry(ctx, &cmd_server_entry, &cmd_server_doctor_entry,
	    a);
}
