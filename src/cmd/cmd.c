/* Command table, lookup (alias, name, unique prefix), checks and dispatch. */
#include "haos/cmd.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "haos/error.h"
#include "haos/model.h"
#include "haos/net.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

extern const struct cmd_entry	cmd_accept_entry;
extern const struct cmd_entry	cmd_audit_entry;
extern const struct cmd_entry	cmd_avatar_entry;
extern const struct cmd_entry	cmd_ban_entry;
extern const struct cmd_entry	cmd_channel_entry;
extern const struct cmd_entry	cmd_decline_entry;
extern const struct cmd_entry	cmd_delete_entry;
extern const struct cmd_entry	cmd_dm_entry;
extern const struct cmd_entry	cmd_explore_entry;
extern const struct cmd_entry	cmd_goto_entry;
extern const struct cmd_entry	cmd_help_entry;
extern const struct cmd_entry	cmd_input_entry;
extern const struct cmd_entry	cmd_invite_entry;
extern const struct cmd_entry	cmd_join_entry;
extern const struct cmd_entry	cmd_kick_entry;
extern const struct cmd_entry	cmd_leave_entry;
extern const struct cmd_entry	cmd_login_entry;
extern const struct cmd_entry	cmd_mark_read_entry;
extern const struct cmd_entry	cmd_me_entry;
extern const struct cmd_entry	cmd_members_entry;
extern const struct cmd_entry	cmd_message_entry;
extern const struct cmd_entry	cmd_nick_entry;
extern const struct cmd_entry	cmd_profile_entry;
extern const struct cmd_entry	cmd_purge_entry;
extern const struct cmd_entry	cmd_quit_entry;
extern const struct cmd_entry	cmd_react_entry;
extern const struct cmd_entry	cmd_redraw_entry;
extern const struct cmd_entry	cmd_reply_entry;
extern const struct cmd_entry	cmd_retry_entry;
extern const struct cmd_entry	cmd_role_entry;
extern const struct cmd_entry	cmd_scroll_entry;
extern const struct cmd_entry	cmd_select_channel_entry;
extern const struct cmd_entry	cmd_select_message_entry;
extern const struct cmd_entry	cmd_select_server_entry;
extern const struct cmd_entry	cmd_send_entry;
extern const struct cmd_entry	cmd_server_entry;
extern const struct cmd_entry	cmd_switcher_entry;
extern const struct cmd_entry	cmd_toggle_entry;
extern const struct cmd_entry	cmd_topic_entry;
extern const struct cmd_entry	cmd_unban_entry;

/* this array MUST be alphasorted by name (check_cmd.c checks it) */
const struct cmd_entry *const cmd_table[] = {
	&cmd_accept_entry,
	&cmd_audit_entry,
	&cmd_avatar_entry,
	&cmd_ban_entry,
	&cmd_channel_entry,
	&cmd_decline_entry,
	&cmd_delete_entry,
	&cmd_dm_entry,
	&cmd_explore_entry,
	&cmd_goto_entry,
	&cmd_help_entry,
	&cmd_input_entry,
	&cmd_invite_entry,
	&cmd_join_entry,
	&cmd_kick_entry,
	&cmd_leave_entry,
	&cmd_login_entry,
	&cmd_mark_read_entry,
	&cmd_me_entry,
	&cmd_members_entry,
	&cmd_message_entry,
	&cmd_nick_entry,
	&cmd_profile_entry,
	&cmd_purge_entry,
	&cmd_quit_entry,
	&cmd_react_entry,
	&cmd_redraw_entry,
	&cmd_reply_entry,
	&cmd_retry_entry,
	&cmd_role_entry,
	&cmd_scroll_entry,
	&cmd_select_channel_entry,
	&cmd_select_message_entry,
	&cmd_select_server_entry,
	&cmd_send_entry,
	&cmd_server_entry,
	&cmd_switcher_entry,
	&cmd_toggle_entry,
	&cmd_topic_entry,
	&cmd_unban_entry,
};
const size_t cmd_table_size = nitems(cmd_table);

/* A request submitted by a command, waiting for its net_result. */
struct cmd_pending {
	uint64_t		 tag;
	cmd_done_cb		 cb;
	void			*arg;
	struct cmd_pending	*next;
};

/*
 * Find a command: an alias or an exact name first, then a unique prefix.
 * On failure *cause is a message the caller frees.
 */
const struct cmd_entry *
cmd_find(const char *name, char **cause)
{
	const struct cmd_entry	*found = NULL;
	size_t			 i, len, nfound = 0, off = 0;
	char			 list[512];

	*cause = NULL;
	len = strlen(name);
	if (len == 0) {
		*cause = xstrdup("empty command");
		return NULL;
	}
	for (i = 0; i < cmd_table_size; i++) {
		if (cmd_table[i]->alias != NULL &&
		    strcmp(cmd_table[i]->alias, name) == 0)
			return cmd_table[i];
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
	}
	list[0] = '\0';
	for (i = 0; i < cmd_table_size; i++) {
		if (strncmp(cmd_table[i]->name, name, len) != 0)
			continue;
		found = cmd_table[i];
		if (off < sizeof list)
			off += (size_t)snprintf(list + off, sizeof list - off,
			    "%s%s", nfound > 0 ? ", " : "", found->name);
		nfound++;
	}
	if (nfound == 1)
		return found;
	if (nfound == 0)
		*cause = xasprintf("unknown command: %s", name);
	else
		*cause = xasprintf("ambiguous command: %s, could be: %s",
		    name, list);
	return NULL;
}

static void
cmd_vprint(struct cmd_ctx *ctx, int is_error, const char *fmt, va_list ap)
{
	char	 buf[1024];

	vsnprintf(buf, sizeof buf, fmt, ap);
	if (ctx->print != NULL)
		ctx->print(ctx->print_arg, is_error, buf);
	else
		fprintf(stderr, "%s\n", buf);
}

/* Report a command failure to the context's sink. */
void
cmd_error(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cmd_vprint(ctx, 1, fmt, ap);
	va_end(ap);
}

/* Report progress or a result to the context's sink. */
void
cmd_info(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cmd_vprint(ctx, 0, fmt, ap);
	va_end(ap);
}

void
cmd_args_free(struct cmd_args *a)
{
	int	 i;

	for (i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	a->argv = NULL;
	a->argc = 0;
}

/*
 * Split s into words at spaces; "double" and 'single' quotes group, and a
 * backslash escapes the next character.  Returns -1 with *cause set on an
 * unterminated quote.
 */
int
cmd_split(const char *s, struct cmd_args *a, char **cause)
{
	char	*w;
	size_t	 n;
	char	 q;

	*cause = NULL;
	a->argc = 0;
	a->argv = NULL;
	w = xmalloc(strlen(s) + 1);
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		n = 0;
		q = 0;
		for (; *s != '\0'; s++) {
			if (q == 0 && (*s == ' ' || *s == '\t'))
				break;
			if (q == 0 && (*s == '"' || *s == '\'')) {
				q = *s;
				continue;
			}
			if (q != 0 && *s == q) {
				q = 0;
				continue;
			}
			if (*s == '\\' && s[1] != '\0' && q != '\'')
				s++;
			w[n++] = *s;
		}
		if (q != 0) {
			*cause = xstrdup("unterminated quote");
			free(w);
			cmd_args_free(a);
			return -1;
		}
		w[n] = '\0';
		a->argv = xrealloc(a->argv, (size_t)(a->argc + 1) *
		    sizeof *a->argv);
		a->argv[a->argc++] = xstrdup(w);
	}
	free(w);
	return 0;
}

/* Percent-encode a path segment (RFC 3986 unreserved kept). */
char *
cmd_escape(const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			*out, *o;

	out = xmalloc(strlen(s) * 3 + 1);
	for (o = out, p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' ||
		    *p == '~') {
			*o++ = (char)*p;
			continue;
		}
		*o++ = '%';
		*o++ = hex[*p >> 4];
		*o++ = hex[*p & 15];
	}
	*o = '\0';
	return out;
}

/* My (or user's) power level in room_id; -1 if unknown. */
int64_t
cmd_power_of(struct cmd_ctx *ctx, const char *room_id, const char *user_id)
{
	struct haos_error	 err;
	struct member_row	*m = NULL;
	size_t			 n = 0, i;
	int64_t			 pl = -1;

	if (ctx->store == NULL || room_id == NULL || user_id == NULL)
		return -1;
	if (store_query_members(ctx->store, room_id, &m, &n, &err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(m[i].user_id, user_id) == 0)
			pl = m[i].power_level;
	}
	member_rows_free(m, n);
	return pl;
}

/* The role a power level means: power levels are the authority. */
const char *
cmd_role_name(int64_t power)
{
	if (power >= POWER_ADMIN)
		return "ADMIN";
	if (power >= POWER_MODERATOR)
		return "MODERATOR";
	return "GUEST";
}

static int
cmd_name_matches(const char *have, const char *want)
{
	if (have == NULL)
		return 0;
	return strcasecmp(have, want) == 0;
}

/*
 * Resolve what the user typed to a room id: "!id", "#channel" of the
 * selected server, then any room, server or DM peer by name (exact, then
 * unique prefix).  NULL with an error reported if none or ambiguous.
 */
char *
cmd_resolve_room(struct cmd_ctx *ctx, const char *name)
{
	struct haos_error	 err;
	struct room_row		*r = NULL;
	size_t			 n = 0, i, nmatch = 0;
	const char		*want, *label;
	char			*found = NULL, *unq = NULL;
	int			 pass;
	size_t			 len;

	while (*name == ' ')
		name++;
	len = strlen(name);
	if (len > 0 && name[len - 1] == ' ') {
		while (len > 0 && name[len - 1] == ' ')
			len--;
		unq = xstrndup(name, len);
		found = cmd_resolve_room(ctx, unq);
		free(unq);
		return found;
	}
	/* A quoted name ("Beta Corp") is the name. */
	if (len >= 2 && (name[0] == '"' || name[0] == '\'') &&
	    name[len - 1] == name[0]) {
		unq = xstrndup(name + 1, len - 2);
		found = cmd_resolve_room(ctx, unq);
		free(unq);
		return found;
	}
	want = name;
	if (name[0] == '!')
		return xstrdup(name);
	if (want[0] == '#' || want[0] == '@')
		want++;
	if (ctx->store == NULL) {
		cmd_error(ctx, "no store");
		return NULL;
	}
	if (ctx->server_id != NULL && store_query_rooms(ctx->store,
	    STORE_ROOMS_CHANNELS, ctx->server_id, &r, &n, &err) == 0) {
		for (i = 0; i < n && found == NULL; i++) {
			if (cmd_name_matches(r[i].name, want))
				found = xstrdup(r[i].room_id);
		}
		room_rows_free(r, n);
		if (found != NULL)
			return found;
	}
	if (store_query_rooms(ctx->store, STORE_ROOMS_ALL, NULL, &r, &n,
	    &err) == -1) {
		cmd_error(ctx, "%s", err.msg);
		return NULL;
	}
	for (pass = 0; pass < 2 && nmatch == 0; pass++) {
		for (i = 0; i < n; i++) {
			label = r[i].name;
			if (label == NULL)
				label = r[i].direct_user;
			if (label == NULL)
				continue;
			if (pass == 0 ? !cmd_name_matches(label, want) &&
			    !cmd_name_matches(r[i].canonical_alias, name) &&
			    !cmd_name_matches(r[i].direct_user, name) :
			    strncasecmp(label, want, strlen(want)) != 0)
				continue;
			if (nmatch++ == 0)
				found = xstrdup(r[i].room_id);
		}
	}
	room_rows_free(r, n);
	if (nmatch == 1)
		return found;
	free(found);
	if (nmatch == 0)
		cmd_error(ctx, "no channel, server or conversation called %s",
		    name);
	else
		cmd_error(ctx, "%s matches %zu rooms; be more specific", name,
		    nmatch);
	return NULL;
}

/* Hand a job to the net thread (or the test hook). */
void
cmd_submit(struct cmd_ctx *ctx, struct job *j)
{
	if (ctx->submit != NULL)
		ctx->submit(ctx->submit_arg, j);
	else if (ctx->net != NULL)
		net_submit(ctx->net, j);
	else
		net_job_free(j);
}

/* Submit a generic request; cb runs when cmd_result() gets the answer. */
uint64_t
cmd_request(struct cmd_ctx *ctx, const char *method, const char *path,
    const char *body, cmd_done_cb cb, void *arg)
{
	return cmd_request_job(ctx, net_job_request(method, path, body, 0),
	    cb, arg);
}

/* Submit a JOB_REQUEST made elsewhere (an upload); its tag is set here. */
uint64_t
cmd_request_job(struct cmd_ctx *ctx, struct job *j, cmd_done_cb cb,
    void *arg)
{
	struct cmd_pending	*p;

	p = xcalloc(1, sizeof *p);
	p->tag = ++ctx->next_tag;
	p->cb = cb;
	p->arg = arg;
	p->next = ctx->pending;
	ctx->pending = p;
	j->tag = p->tag;
	cmd_submit(ctx, j);
	return p->tag;
}

/* Route one answer to the command that asked; 0 if it was ours. */
int
cmd_result(struct cmd_ctx *ctx, const struct net_result *res)
{
	struct cmd_pending	**pp, *p;

	for (pp = &ctx->pending; (p = *pp) != NULL; pp = &p->next) {
		if (p->tag != res->tag)
			continue;
		*pp = p->next;
		if (p->cb != NULL)
			p->cb(ctx, res, p->arg);
		else if (!res->ok)
			cmd_error(ctx, "%s", res->err != NULL ?
			    res->err->msg : "request failed");
		free(p);
		return 0;
	}
	return -1;
}

/* Forget waiting requests (their callbacks' args are freed here). */
void
cmd_ctx_clear(struct cmd_ctx *ctx)
{
	struct cmd_pending	*p;

	while ((p = ctx->pending) != NULL) {
		ctx->pending = p->next;
		free(p->arg);
		free(p);
	}
}

/* Check the target and the power level, then run the command. */
static enum cmd_retval
cmd_dispatch(struct cmd_ctx *ctx, const struct cmd_entry *ce,
    const struct cmd_args *a)
{
	const char	*target = NULL;
	int64_t		 pl;

	if (a->argc < ce->args.min ||
	    (ce->args.max != -1 && a->argc > ce->args.max)) {
		cmd_error(ctx, "usage: /%s %s", ce->name, ce->usage);
		return CMD_RETURN_ERROR;
	}
	if ((ce->flags & CMD_UI) && ctx->ui == NULL) {
		cmd_error(ctx, "%s: only in the interactive client", ce->name);
		return CMD_RETURN_ERROR;
	}
	switch (ce->target) {
	case CMD_TARGET_ROOM:
		target = ctx->room_id;
		if (target == NULL && ctx->ui == NULL) {
			cmd_error(ctx, "%s needs a channel: give --channel "
			    "NAME|ID", ce->name);
			return CMD_RETURN_ERROR;
		}
		if (target == NULL) {
			cmd_error(ctx, "%s: no channel selected", ce->name);
			return CMD_RETURN_ERROR;
		}
		break;
	case CMD_TARGET_SERVER:
		target = ctx->server_id;
		if (target == NULL && ctx->ui == NULL) {
			cmd_error(ctx, "%s needs a server: give --server "
			    "NAME|ID", ce->name);
			return CMD_RETURN_ERROR;
		}
		if (target == NULL) {
			cmd_error(ctx, "%s: no server selected", ce->name);
			return CMD_RETURN_ERROR;
		}
		break;
	case CMD_TARGET_NONE:
		break;
	}
	if (target != NULL && ce->power > 0) {
		pl = cmd_power_of(ctx, target, ctx->me);
		if (pl < 0)
			pl = 0;
		if (pl < ce->power) {
			cmd_error(ctx, "%s needs %s (%d); you are %s (%lld)",
			    ce->name, cmd_role_name(ce->power), ce->power,
			    cmd_role_name(pl), (long long)pl);
			return CMD_RETURN_ERROR;
		}
	}
	ctx->current = ce;
	return ce->exec(ctx, a);
}

/* Run "name args..." (a key binding or a line without its '/'). */
enum cmd_retval
cmd_run_string(struct cmd_ctx *ctx, const char *cmd)
{
	const struct cmd_entry	*ce;
	struct cmd_args		 a;
	enum cmd_retval		 rv;
	const char		*rest;
	char			*name, *cause;
	size_t			 len;

	while (*cmd == ' ')
		cmd++;
	len = strcspn(cmd, " \t");
	name = xstrndup(cmd, len);
	ce = cmd_find(name, &cause);
	free(name);
	if (ce == NULL) {
		cmd_error(ctx, "%s", cause);
		free(cause);
		return CMD_RETURN_ERROR;
	}
	rest = cmd + len;
	if (ce->flags & CMD_RAW) {
		if (*rest != '\0')
			rest++;		/* the one separating space */
		a.argc = *rest != '\0';
		a.argv = xcalloc(1, sizeof *a.argv);
		if (a.argc)
			a.argv[0] = xstrdup(rest);
	} else if (cmd_split(rest, &a, &cause) == -1) {
		cmd_error(ctx, "%s: %s", ce->name, cause);
		free(cause);
		return CMD_RETURN_ERROR;
	}
	rv = cmd_dispatch(ctx, ce, &a);
	if (a.argc == 0)
		free(a.argv);
	else
		cmd_args_free(&a);
	return rv;
}

/*
 * Run a line typed in the input: "/cmd args" runs a command, "//text"
 * sends "/text", anything else is sent as a message.
 */
enum cmd_retval
cmd_run_line(struct cmd_ctx *ctx, const char *line)
{
	const struct cmd_entry	*send = &cmd_send_entry;
	struct cmd_args		 a;
	char			*argv[1];
	enum cmd_retval		 rv;

	if (line[0] == '/' && line[1] != '/')
		return cmd_run_string(ctx, line + 1);
	if (line[0] == '/')
		line++;
	if (line[strspn(line, " \t\n")] == '\0')
		return CMD_RETURN_NORMAL;
	argv[0] = (char *)line;
	a.argc = 1;
	a.argv = argv;
	rv = cmd_dispatch(ctx, send, &a);
	return rv;
}
