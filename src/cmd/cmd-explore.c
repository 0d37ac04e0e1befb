/* /explore [--join] [TERM]: public servers from the room directory. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/sanitize.h"
#include "haos/space.h"
#include "haos/xmalloc.h"

#define CMD_EXPLORE_LIMIT	50
#define CMD_EXPLORE_TOPIC	60	/* columns of topic shown */

struct cmd_explore {
	int	 join;		/* --join: join the one match */
};

/* One directory entry as a line: "Name - topic (N members) /join X". */
static char *
cmd_explore_line(const json_t *e)
{
	const char	*name, *topic, *alias, *id;
	char		*n, *t, *line;
	json_int_t	 members;

	id = json_get_str(e, "room_id", "");
	name = json_get_str(e, "name", NULL);
	topic = json_get_str(e, "topic", NULL);
	alias = json_get_str(e, "canonical_alias", NULL);
	members = json_get_int(e, "num_joined_members", 0);
	n = sanitize_text(name != NULL ? name : id, (size_t)-1, 0);
	t = topic != NULL ? sanitize_text(topic, (size_t)-1, 0) : NULL;
	if (t != NULL && strlen(t) > CMD_EXPLORE_TOPIC) {
		t[CMD_EXPLORE_TOPIC - 3] = '\0';
		line = t;
		t = xasprintf("%s...", line);
		free(line);
	}
	line = xasprintf("%s%s%s (%lld member%s)  /join %s", n,
	    t != NULL ? " - " : "", t != NULL ? t : "", (long long)members,
	    members == 1 ? "" : "s", alias != NULL && alias[0] == '#' ?
	    alias : id);
	free(n);
	free(t);
	return line;
}

static void
cmd_explore_done(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	struct cmd_explore	*x = arg;
	json_t			*body, *chunk, *e, *only = NULL;
	char			**lines = NULL, **cmds = NULL;
	size_t			 i, n = 0;

	if (!res->ok) {
		cmd_error(ctx, "explore: %s", res->err != NULL ?
		    res->err->msg : "request failed");
		free(x);
		return;
	}
	body = res->body != NULL ? json_load_answer(res->body) : NULL;
	chunk = json_get_arr(body, "chunk");
	json_array_foreach(chunk, i, e) {
		/* The filter asked for spaces; a server may ignore it. */
		if (strcmp(json_get_str(e, "room_type", ""), "m.space") != 0 ||
		    !space_valid_room_id(json_get_str(e, "room_id", NULL)))
			continue;
		lines = xrealloc(lines, (n + 1) * sizeof *lines);
		cmds = xrealloc(cmds, (n + 1) * sizeof *cmds);
		lines[n] = cmd_explore_line(e);
		cmds[n++] = xasprintf("join %s", json_get_str(e, "room_id",
		    ""));
		only = e;
	}
	if (x->join && n == 1) {
		cmd_join_start(ctx, json_get_str(only, "room_id", ""));
	} else if (n == 0) {
		cmd_info(ctx, "explore: no public servers found");
	} else if (x->join) {
		cmd_error(ctx, "explore --join: %zu servers match; be more "
		    "specific", n);
	} else if (ctx->ui != NULL && ctx->ui->pick != NULL) {
		ctx->ui->pick(ctx->ui_arg, "Public servers: Enter joins",
		    lines, cmds, n);
	} else if (ctx->ui != NULL && ctx->ui->show != NULL) {
		ctx->ui->show(ctx->ui_arg, "Public servers (/join to enter)",
		    lines, n);
	} else {
		for (i = 0; i < n; i++)
			cmd_info(ctx, "%s", lines[i]);
	}
	for (i = 0; i < n; i++) {
		free(lines[i]);
		free(cmds[i]);
	}
	free(lines);
	free(cmds);
	json_decref(body);
	free(x);
}

static enum cmd_retval
cmd_explore_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct cmd_explore	*x;
	json_t			*body, *filter;
	char			*term = NULL, *t, *text;
	int			 i;

	x = xcalloc(1, sizeof *x);
	for (i = 0; i < a->argc; i++) {
		if (strcmp(a->argv[i], "--join") == 0) {
			x->join = 1;
			continue;
		}
		t = xasprintf("%s%s%s", term != NULL ? term : "",
		    term != NULL ? " " : "", a->argv[i]);
		free(term);
		term = t;
	}
	filter = json_pack("{s:[s]}", "room_types", "m.space");
	if (term != NULL)
		json_object_set_new(filter, "generic_search_term",
		    json_string(term));
	body = json_pack("{s:i, s:o}", "limit", CMD_EXPLORE_LIMIT, "filter",
	    filter);
	text = json_xdumps(body);
	cmd_call(ctx, matrix_req_public_rooms(text), cmd_explore_done, x);
	free(text);
	json_decref(body);
	free(term);
	return CMD_RETURN_WAIT;
}

const struct cmd_entry cmd_explore_entry = {
	.name = "explore",
	.alias = NULL,
	.args = { 0, -1 },
	.usage = "[--join] [TERM]",
	.help = "List public servers (name, topic, members); --join joins "
	    "the one match",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_explore_exec
};
