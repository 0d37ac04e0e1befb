/* /profile [@user]: display name, avatar, and my io.haos.profile. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/render.h"
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_profile_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_profile_entry = {
	.name = "profile",
	.alias = NULL,
	.args = { 0, 3 },
	.usage = "[@user | set FIELD VALUE]",
	.help = "Show a user's profile (yours: with io.haos.profile, e.g. "
	    "email), or set a field of yours (set email VALUE)",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_profile_exec,
	.kinds = { CMD_ARG_USER }
};

/* Lines of a profile being assembled. */
struct cmd_profile {
	char	*user;
	char	**lines;
	size_t	 n;
};

static void
cmd_profile_add(struct cmd_profile *p, const char *key, const char *raw)
{
	char	*clean;

	clean = sanitize_text(raw, (size_t)-1, 0);
	p->lines = xrealloc(p->lines, (p->n + 1) * sizeof *p->lines);
	p->lines[p->n++] = xasprintf("%-14s %s", key, clean);
	free(clean);
}

/* Show the lines: a scrollable list in the client, printed otherwise. */
static void
cmd_profile_show(struct cmd_ctx *ctx, struct cmd_profile *p)
{
	char	*title;
	size_t	 i;

	if (ctx->ui != NULL && ctx->ui->show != NULL) {
		title = xasprintf("Profile of %s", p->user);
		ctx->ui->show(ctx->ui_arg, title, p->lines, p->n);
		free(title);
	} else {
		for (i = 0; i < p->n; i++)
			cmd_info(ctx, "%s", p->lines[i]);
	}
	cmd_strings_free(p->lines, p->n);
	free(p->user);
	free(p);
}

/* io.haos.profile: every string (or number) field, e.g. email. */
static void
cmd_profile_extended(struct cmd_ctx *ctx, struct cmd_profile *p,
    const char *text)
{
	const char	*key;
	json_t		*root, *v;
	char		*label, *num;

	(void)ctx;
	root = text != NULL ? json_load_stored(text) : NULL;
	if (!json_is_object(root) || json_object_size(root) == 0) {
		cmd_profile_add(p, "io.haos.profile", "(not set)");
		json_decref(root);
		return;
	}
	json_object_foreach(root, key, v) {
		label = xasprintf("%s:", key);
		if (json_is_string(v))
			cmd_profile_add(p, label, json_string_value(v));
		else {
			num = json_xdumps(v);
			cmd_profile_add(p, label, num);
			free(num);
		}
		free(label);
	}
	json_decref(root);
}

/*
 * The role in the selected server: power levels decide; the member's
 * io.haos.member_role label is shown only when it agrees with them.
 */
static void
cmd_profile_role(struct cmd_ctx *ctx, struct cmd_profile *p)
{
	struct haos_error	 err;
	const char		*room, *role, *label = NULL;
	char			*text = NULL, *line;
	json_t			*c = NULL;
	int64_t			 power;

	room = ctx->server_id != NULL ? ctx->server_id : ctx->room_id;
	if (room == NULL || ctx->store == NULL)
		return;
	power = cmd_power_of(ctx, room, p->user);
	if (power < 0)
		return;			/* not a member there */
	role = cmd_role_name(power);
	if (store_query_state(ctx->store, room, "io.haos.member_role",
	    p->user, &text, &err) == 0 && text != NULL) {
		c = json_load_stored(text);
		label = json_get_str(c, "role", NULL);
	}
	if (label == NULL)
		line = xasprintf("%s (power level %lld)", role,
		    (long long)power);
	else if (strcasecmp(label, role) == 0)
		line = xasprintf("%s (power level %lld; io.haos.member_role "
		    "agrees)", role, (long long)power);
	else
		line = xasprintf("%s (power level %lld; io.haos.member_role "
		    "says %s: ignored, power levels decide)", role,
		    (long long)power, label);
	cmd_profile_add(p, "Role:", line);
	free(line);
	json_decref(c);
	free(text);
}

/*
 * The user's devices that were refused (the server gave a known device
 * with other keys, or a device with another's key), one line each.
 */
static void
cmd_profile_devices(struct cmd_ctx *ctx, struct cmd_profile *p)
{
	struct device_warning	*w;
	struct haos_error	 err;
	size_t			 n, i;
	char			*line;

	if (ctx->store == NULL || store_device_warnings(ctx->store, p->user,
	    &w, &n, &err) == -1)
		return;
	for (i = 0; i < n; i++) {
		line = render_warn_detail(&w[i]);
		cmd_profile_add(p, "Refused device:", line);
		free(line);
	}
	device_warnings_free(w, n);
}

static void
cmd_profile_got_extended(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	struct cmd_profile	*p = arg;

	cmd_profile_extended(ctx, p, res->ok ? res->body : NULL);
	cmd_profile_show(ctx, p);
}

/*
 * Someone else's presence and status message, when the server shares
 * them (a refusal, or presence turned off, leaves them out).
 */
static void
cmd_profile_got_presence(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	struct cmd_profile	*p = arg;
	json_t			*root;
	const char		*state, *msg;

	root = res->ok && res->body != NULL ? json_load_answer(res->body) :
	    NULL;
	state = json_get_str(root, "presence", NULL);
	msg = json_get_str(root, "status_msg", NULL);
	if (state != NULL)
		cmd_profile_add(p, "Presence:", strcmp(state, "unavailable") ==
		    0 ? "away" : state);
	if (msg != NULL && *msg != '\0')
		cmd_profile_add(p, "Status:", msg);
	json_decref(root);
	cmd_profile_show(ctx, p);
}

static void
cmd_profile_got(struct cmd_ctx *ctx, const struct client_result *res, void *arg)
{
	struct cmd_profile	*p = arg;
	json_t			*root;

	if (!res->ok) {
		cmd_error(ctx, "profile: %s: %s", p->user, res->err != NULL ?
		    res->err->msg : "failed");
		cmd_strings_free(p->lines, p->n);
		free(p->user);
		free(p);
		return;
	}
	root = res->body != NULL ? json_load_answer(res->body) : NULL;
	cmd_profile_add(p, "User:", p->user);
	cmd_profile_add(p, "Display name:", json_get_str(root, "displayname",
	    "(none)"));
	cmd_profile_add(p, "Avatar:", json_get_str(root, "avatar_url",
	    "(none)"));
	json_decref(root);
	cmd_profile_role(ctx, p);
	cmd_profile_devices(ctx, p);
	if (ctx->me == NULL || strcmp(p->user, ctx->me) != 0) {
		cmd_call(ctx, matrix_req_presence_get(p->user),
		    cmd_profile_got_presence, p);
		return;
	}
	/* Mine: the extended fields are account data (mapping, Profile). */
	cmd_call(ctx, matrix_req_account_data_get(ctx->me, "io.haos.profile"),
	    cmd_profile_got_extended, p);
}

/* One /profile set: the field and its new value. */
struct cmd_profile_set {
	char	*field;
	char	*value;
};

static void
cmd_profile_set_free(struct cmd_profile_set *ps)
{
	free(ps->field);
	free(ps->value);
	free(ps);
}

static void
cmd_profile_set_done(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	struct cmd_profile_set	*ps = arg;

	if (res->ok)
		cmd_info(ctx, "profile: %s set", ps->field);
	else
		cmd_error(ctx, "profile: cannot set %s: %s", ps->field,
		    res->err != NULL ? res->err->msg : "failed");
	cmd_profile_set_free(ps);
}

/* io.haos.profile as the server has it: change the field, write it. */
static void
cmd_profile_set_got(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg)
{
	struct cmd_profile_set	*ps = arg;
	json_t			*root;
	char			*body;

	if (!res->ok && (res->err == NULL || res->err->mx != MX_NOT_FOUND)) {
		cmd_error(ctx, "profile: cannot read io.haos.profile: %s",
		    res->err != NULL ? res->err->msg : "failed");
		cmd_profile_set_free(ps);
		return;
	}
	root = res->ok && res->body != NULL ? json_load_answer(res->body) :
	    NULL;
	if (!json_is_object(root)) {
		json_decref(root);
		root = json_object();
	}
	json_object_set_new(root, ps->field, json_string(ps->value));
	body = json_xdumps(root);
	json_decref(root);
	cmd_call(ctx, matrix_req_account_data_put(ctx->me, "io.haos.profile",
	    body), cmd_profile_set_done, ps);
	free(body);
}

/*
 * /profile set FIELD VALUE: one field of io.haos.profile (account data,
 * as the web app writes it), the others kept.
 */
static enum cmd_retval
cmd_profile_set(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct cmd_profile_set	*ps;
	const char		*f;

	if (a->argc != 3) {
		cmd_error(ctx, "usage: /profile set FIELD VALUE");
		return CMD_RETURN_ERROR;
	}
	for (f = a->argv[1]; *f != '\0'; f++) {
		if (!((*f >= 'a' && *f <= 'z') || (*f >= 'A' && *f <= 'Z') ||
		    (*f >= '0' && *f <= '9') || *f == '_'))
			break;
	}
	if (*f != '\0' || a->argv[1][0] == '\0') {
		cmd_error(ctx, "profile: not a field name: %s", a->argv[1]);
		return CMD_RETURN_ERROR;
	}
	if (ctx->me == NULL) {
		cmd_error(ctx, "profile: not logged in");
		return CMD_RETURN_ERROR;
	}
	ps = xcalloc(1, sizeof *ps);
	ps->field = xstrdup(a->argv[1]);
	ps->value = xstrdup(a->argv[2]);
	cmd_call(ctx, matrix_req_account_data_get(ctx->me, "io.haos.profile"),
	    cmd_profile_set_got, ps);
	return CMD_RETURN_WAIT;
}

static enum cmd_retval
cmd_profile_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct cmd_profile	*p;
	char			*user;

	if (a->argc >= 1 && strcmp(a->argv[0], "set") == 0)
		return cmd_profile_set(ctx, a);
	if (a->argc > 1) {
		cmd_error(ctx, "usage: /profile [@user | set FIELD VALUE]");
		return CMD_RETURN_ERROR;
	}
	if (a->argc == 1)
		user = cmd_user_id(ctx, a->argv[0]);
	else
		user = xstrdup(ctx->me != NULL ? ctx->me : "");
	if (user == NULL)
		return CMD_RETURN_ERROR;
	p = xcalloc(1, sizeof *p);
	p->user = user;
	cmd_call(ctx, matrix_req_profile(user), cmd_profile_got, p);
	return CMD_RETURN_WAIT;
}
