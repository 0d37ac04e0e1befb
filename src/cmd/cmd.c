/* Command table, lookup (alias, name, unique prefix), checks and dispatch. */
#include "haos/cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/model.h"
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
