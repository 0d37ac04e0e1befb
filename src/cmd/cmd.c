/* Command table, lookup (alias, name, unique prefix), checks and dispatch. */
#include "haos/cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/model.h"
#include "haos/sanitize.h"
#include "haos/space.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

extern const struct cmd_entry	cmd_accept_entry;
extern const struct cmd_entry	cmd_audit_entry;
extern const struct cmd_entry	cmd_avatar_entry;
extern const struct cmd_entry	cmd_backup_entry;
extern const struct cmd_entry	cmd_locks_entry;
extern const struct cmd_entry	cmd_ban_entry;
extern const struct cmd_entry	cmd_channel_entry;
extern const struct cmd_entry	cmd_crosssign_entry;
extern const struct cmd_entry	cmd_decline_entry;
extern const struct cmd_entry	cmd_delete_entry;
extern const struct cmd_entry	cmd_devices_entry;
extern const struct cmd_entry	cmd_dm_entry;
extern const struct cmd_entry	cmd_download_entry;
extern const struct cmd_entry	cmd_upload_entry;
extern const struct cmd_entry	cmd_encrypt_entry;
extern const struct cmd_entry	cmd_explore_entry;
extern const struct cmd_entry	cmd_goto_entry;
extern const struct cmd_entry	cmd_help_entry;
extern const struct cmd_entry	cmd_input_entry;
extern const struct cmd_entry	cmd_invite_entry;
extern const struct cmd_entry	cmd_join_entry;
extern const struct cmd_entry	cmd_keys_entry;
extern const struct cmd_entry	cmd_kick_entry;
extern const struct cmd_entry	cmd_leave_entry;
extern const struct cmd_entry	cmd_login_entry;
extern const struct cmd_entry	cmd_mark_read_entry;
extern const struct cmd_entry	cmd_me_entry;
extern const struct cmd_entry	cmd_members_entry;
extern const struct cmd_entry	cmd_message_entry;
extern const struct cmd_entry	cmd_nick_entry;
extern const struct cmd_entry	cmd_plain_entry;
extern const struct cmd_entry	cmd_profile_entry;
extern const struct cmd_entry	cmd_purge_entry;
extern const struct cmd_entry	cmd_quit_entry;
extern const struct cmd_entry	cmd_react_entry;
extern const struct cmd_entry	cmd_recovery_entry;
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
extern const struct cmd_entry	cmd_trust_entry;
extern const struct cmd_entry	cmd_unban_entry;
extern const struct cmd_entry	cmd_verify_entry;

/* this array MUST be alphasorted by name (check_cmd.c checks it) */
const struct cmd_entry *const cmd_table[] = {
	&cmd_accept_entry,
	&cmd_audit_entry,
	&cmd_avatar_entry,
	&cmd_backup_entry,
	&cmd_ban_entry,
	&cmd_channel_entry,
	&cmd_crosssign_entry,
	&cmd_decline_entry,
	&cmd_delete_entry,
	&cmd_devices_entry,
	&cmd_dm_entry,
	&cmd_download_entry,
	&cmd_encrypt_entry,
	&cmd_explore_entry,
	&cmd_goto_entry,
	&cmd_help_entry,
	&cmd_input_entry,
	&cmd_invite_entry,
	&cmd_join_entry,
	&cmd_keys_entry,
	&cmd_kick_entry,
	&cmd_leave_entry,
	&cmd_locks_entry,
	&cmd_login_entry,
	&cmd_mark_read_entry,
	&cmd_me_entry,
	&cmd_members_entry,
	&cmd_message_entry,
	&cmd_nick_entry,
	&cmd_plain_entry,
	&cmd_profile_entry,
	&cmd_purge_entry,
	&cmd_quit_entry,
	&cmd_react_entry,
	&cmd_recovery_entry,
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
	&cmd_trust_entry,
	&cmd_unban_entry,
	&cmd_upload_entry,
	&cmd_verify_entry,
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
 * Find name in the alphasorted table tab[0..n): an alias or an exact name
 * first, then a unique prefix.  On failure *cause is a message (naming
 * the command as "parent name" for a subcommand) the caller frees.
 */
static const struct cmd_entry *
cmd_find_in(const struct cmd_entry *const *tab, size_t n,
    const char *parent, const char *name, char **cause)
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
	for (i = 0; i < n; i++) {
		if (tab[i]->alias != NULL && strcmp(tab[i]->alias, name) == 0)
			return tab[i];
		if (strcmp(tab[i]->name, name) == 0)
			return tab[i];
	}
	list[0] = '\0';
	for (i = 0; i < n; i++) {
		if (strncmp(tab[i]->name, name, len) != 0)
			continue;
		found = tab[i];
		if (off < sizeof list)
			off += (size_t)snprintf(list + off, sizeof list - off,
			    "%s%s", nfound > 0 ? ", " : "", found->name);
		nfound++;
	}
	if (nfound == 1)
		return found;
	if (nfound == 0)
		*cause = xasprintf("unknown command: %s%s%s", parent != NULL ?
		    parent : "", parent != NULL ? " " : "", name);
	else
		*cause = xasprintf("ambiguous command: %s%s%s, could be: %s",
		    parent != NULL ? parent : "", parent != NULL ? " " : "",
		    name, list);
	return NULL;
}

/* Find a command of cmd_table[]; see cmd_find_in(). */
const struct cmd_entry *
cmd_find(const char *name, char **cause)
{
	return cmd_find_in(cmd_table, cmd_table_size, NULL, name, cause);
}

char *
cmd_history_line(const char *line)
{
	const struct cmd_entry	*ce;
	const char		*p;
	char			*name, *cause;
	size_t			 len;

	if (line[0] != '/' || line[1] == '/')
		return xstrdup(line);
	len = strcspn(line + 1, " \t\n");
	name = xstrndup(line + 1, len);
	ce = cmd_find(name, &cause);
	free(name);
	free(cause);
	if (ce == NULL || !(ce->flags & CMD_SECRET_TAIL))
		return xstrdup(line);
	p = line + 1 + len;
	p += strspn(p, " \t");
	p += strcspn(p, " \t\n");		/* its first word stays */
	return xstrndup(line, (size_t)(p - line));
}

/* Find a subcommand of ce by alias, name or unique prefix. */
const struct cmd_entry *
cmd_find_sub(const struct cmd_entry *ce, const char *name, char **cause)
{
	if (ce->nsub == 0) {
		*cause = xasprintf("%s has no subcommands", ce->name);
		return NULL;
	}
	return cmd_find_in(ce->sub, ce->nsub, ce->name, name, cause);
}

/* The description of flag letter in ce, or NULL. */
const struct cmd_flag *
cmd_flag_find(const struct cmd_entry *ce, char letter)
{
	const struct cmd_flag	*f;

	for (f = ce->flagv; f != NULL && f->letter != 0; f++) {
		if (f->letter == letter)
			return f;
	}
	return NULL;
}

/* Was flag letter given? */
int
cmd_args_has(const struct cmd_args *a, char letter)
{
	int	 i;

	for (i = 0; i < a->nflags; i++) {
		if (a->flagv[i].letter == letter)
			return 1;
	}
	return 0;
}

/* The value given to flag letter, or NULL. */
const char *
cmd_args_get(const struct cmd_args *a, char letter)
{
	int	 i;

	for (i = 0; i < a->nflags; i++) {
		if (a->flagv[i].letter == letter)
			return a->flagv[i].value;
	}
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
		sanitize_fprintf(stderr, "%s\n", buf);
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
	a->nflags = 0;
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
	memset(a, 0, sizeof *a);
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

/*
 * My (or user's) power level in room_id; -1 if unknown.  The room's
 * m.room.power_levels decides: with lazy-loaded members the cache may
 * not list the user (a first start has one event per room); without
 * power levels, the member list's.
 */
int64_t
cmd_power_of(struct cmd_ctx *ctx, const char *room_id, const char *user_id)
{
	struct haos_error	 err;
	struct member_row	*m = NULL;
	size_t			 n = 0, i;
	int64_t			 pl = -1;
	char			*text = NULL;
	json_t			*levels;

	if (ctx->store == NULL || room_id == NULL || user_id == NULL)
		return -1;
	if (store_query_state(ctx->store, room_id, "m.room.power_levels", "",
	    &text, &err) != -1 && text != NULL) {
		levels = json_load_stored(text);
		free(text);
		if (json_is_object(levels)) {
			pl = space_power_of(levels, user_id);
			json_decref(levels);
			return pl;
		}
		json_decref(levels);
	}
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

/*
 * Split a's words into positional arguments and the flags of ce's
 * template into out (whose words point into a's; free out->argv only).
 * "--" ends the flags; a word like "-x" whose letter is not in the
 * template is an argument.  -1 with *cause set for an unknown long flag
 * or a missing value.
 */
static int
cmd_parse_flags(const struct cmd_entry *ce, const struct cmd_args *a,
    struct cmd_args *out, char **cause)
{
	const struct cmd_flag	*f;
	const char		*w, *t;
	char			 letter;
	int			 i, k, done = 0;

	*cause = NULL;
	memset(out, 0, sizeof *out);
	out->argv = xcalloc((size_t)a->argc + 1, sizeof *out->argv);
	for (i = 0; i < a->argc; i++) {
		w = a->argv[i];
		letter = 0;
		if (!done && strcmp(w, "--") == 0) {
			done = 1;
			continue;
		}
		if (!done && strncmp(w, "--", 2) == 0) {
			for (f = ce->flagv; f != NULL && f->letter != 0; f++) {
				if (f->name != NULL &&
				    strcmp(f->name, w + 2) == 0)
					break;
			}
			if (f == NULL || f->letter == 0) {
				*cause = xasprintf("unknown flag %s", w);
				goto fail;
			}
			letter = f->letter;
		} else if (!done && w[0] == '-' && w[1] != '\0' &&
		    w[1] != ':' && w[2] == '\0' &&
		    strchr(ce->template, w[1]) != NULL)
			letter = w[1];
		if (letter == 0) {
			out->argv[out->argc++] = a->argv[i];
			continue;
		}
		t = strchr(ce->template, letter);
		for (k = 0; k < out->nflags; k++) {
			if (out->flagv[k].letter == letter)
				break;
		}
		if (k == CMD_MAXFLAGS) {
			*cause = xstrdup("too many flags");
			goto fail;
		}
		out->flagv[k].letter = letter;
		out->flagv[k].value = NULL;
		if (t[1] == ':') {
			if (i + 1 >= a->argc) {
				*cause = xasprintf("%s needs a value", w);
				goto fail;
			}
			out->flagv[k].value = a->argv[++i];
		}
		if (k == out->nflags)
			out->nflags++;
	}
	return 0;
fail:
	free(out->argv);
	out->argv = NULL;
	out->argc = 0;
	return -1;
}

/* Is arg one of the '|'-separated choices? */
static int
cmd_is_choice(const char *choices, const char *arg)
{
	const char	*p = choices;
	size_t		 len;

	while (p != NULL && *p != '\0') {
		len = strcspn(p, "|");
		if (strlen(arg) == len && strncmp(p, arg, len) == 0)
			return 1;
		p += len;
		if (*p == '|')
			p++;
	}
	return 0;
}

/* Report the usage of ce (a subcommand of parent, or NULL). */
static void
cmd_usage_error(struct cmd_ctx *ctx, const struct cmd_entry *parent,
    const struct cmd_entry *ce)
{
	char	*u = NULL, *t;
	size_t	 i;

	if (ce->nsub > 0) {
		for (i = 0; i < ce->nsub; i++) {
			t = xasprintf("%s%s%s%s%s", u != NULL ? u : "",
			    u != NULL ? " | " : "", ce->sub[i]->name,
			    *ce->sub[i]->usage != '\0' ? " " : "",
			    ce->sub[i]->usage);
			free(u);
			u = t;
		}
	} else
		u = xstrdup(ce->usage);
	cmd_error(ctx, "usage: /%s%s%s %s", parent != NULL ? parent->name : "",
	    parent != NULL ? " " : "", ce->name, u);
	free(u);
}

/* A target of ce is missing: say which, as "what". */
static enum cmd_retval
cmd_no_target(struct cmd_ctx *ctx, const char *what, const char *kind)
{
	if (ctx->ui == NULL)
		cmd_error(ctx, "%s needs a %s: give --%s NAME|ID", what, kind,
		    kind);
	else
		cmd_error(ctx, "%s: no %s selected", what, kind);
	return CMD_RETURN_ERROR;
}

/*
 * Run ce (a subcommand of parent, or a command when parent is NULL): find
 * its subcommand, parse its flags, check the arguments, the target and
 * the power level, then exec.
 */
enum cmd_retval
cmd_run_entry(struct cmd_ctx *ctx, const struct cmd_entry *parent,
    const struct cmd_entry *ce, const struct cmd_args *a)
{
	const struct cmd_entry	*sub;
	struct cmd_args		 p, shifted;
	const char		*target = NULL, *where;
	char			 what[128], *cause;
	enum cmd_retval		 rv = CMD_RETURN_ERROR;
	int64_t			 pl;
	int			 i;

	snprintf(what, sizeof what, "%s%s%s", parent != NULL ? parent->name :
	    "", parent != NULL ? " " : "", ce->name);
	if (ce->nsub > 0) {
		if (a->argc == 0) {
			cmd_usage_error(ctx, parent, ce);
			return CMD_RETURN_ERROR;
		}
		sub = cmd_find_sub(ce, a->argv[0], &cause);
		if (sub == NULL) {
			cmd_error(ctx, "%s", cause);
			free(cause);
			return CMD_RETURN_ERROR;
		}
		memset(&shifted, 0, sizeof shifted);
		shifted.argc = a->argc - 1;
		shifted.argv = a->argv + 1;
		return cmd_run_entry(ctx, ce, sub, &shifted);
	}
	memset(&p, 0, sizeof p);
	if (ce->template != NULL) {
		if (cmd_parse_flags(ce, a, &p, &cause) == -1) {
			cmd_error(ctx, "%s: %s; usage: /%s %s", what, cause,
			    what, ce->usage);
			free(cause);
			return CMD_RETURN_ERROR;
		}
	} else {
		p.argc = a->argc;
		p.argv = a->argv;
	}
	if (p.argc < ce->args.min ||
	    (ce->args.max != -1 && p.argc > ce->args.max)) {
		cmd_error(ctx, "usage: /%s %s", what, ce->usage);
		goto out;
	}
	for (i = 0; i < p.argc && i < CMD_MAXKINDS; i++) {
		if (ce->kinds[i] == CMD_ARG_CHOICE &&
		    !cmd_is_choice(ce->choices, p.argv[i])) {
			cmd_error(ctx, "usage: /%s %s", what, ce->usage);
			goto out;
		}
	}
	if ((ce->flags & CMD_UI) && ctx->ui == NULL) {
		cmd_error(ctx, "%s: only in the interactive client", what);
		goto out;
	}
	if ((ce->flags & CMD_POWER_SERVER) && ctx->server_id == NULL) {
		rv = cmd_no_target(ctx, what, "server");
		goto out;
	}
	switch (ce->target) {
	case CMD_TARGET_ROOM:
		target = ctx->room_id;
		if (target == NULL) {
			rv = cmd_no_target(ctx, what, "channel");
			goto out;
		}
		break;
	case CMD_TARGET_CHANNEL:
		target = ctx->room_id;
		if (target == NULL || (ctx->server_id != NULL &&
		    strcmp(target, ctx->server_id) == 0)) {
			rv = cmd_no_target(ctx, what, "channel");
			goto out;
		}
		break;
	case CMD_TARGET_SERVER:
		target = ctx->server_id;
		if (target == NULL) {
			rv = cmd_no_target(ctx, what, "server");
			goto out;
		}
		break;
	case CMD_TARGET_NONE:
		break;
	}
	where = (ce->flags & CMD_POWER_SERVER) ? ctx->server_id : target;
	if (where != NULL && ce->power > 0) {
		pl = cmd_power_of(ctx, where, ctx->me);
		if (pl < 0)
			pl = 0;
		if (pl < ce->power) {
			cmd_error(ctx, "%s needs %s (%d); you are %s (%lld)",
			    what, cmd_role_name(ce->power), ce->power,
			    cmd_role_name(pl), (long long)pl);
			goto out;
		}
	}
	ctx->current = ce;
	rv = ce->exec(ctx, &p);
out:
	if (ce->template != NULL)
		free(p.argv);
	return rv;
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
		memset(&a, 0, sizeof a);
		a.argc = *rest != '\0';
		a.argv = xcalloc(1, sizeof *a.argv);
		if (a.argc)
			a.argv[0] = xstrdup(rest);
	} else if (cmd_split(rest, &a, &cause) == -1) {
		cmd_error(ctx, "%s: %s", ce->name, cause);
		free(cause);
		return CMD_RETURN_ERROR;
	}
	rv = cmd_run_entry(ctx, NULL, ce, &a);
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
	memset(&a, 0, sizeof a);
	argv[0] = (char *)line;
	a.argc = 1;
	a.argv = argv;
	rv = cmd_run_entry(ctx, NULL, send, &a);
	return rv;
}
