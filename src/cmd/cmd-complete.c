/* Tab completion from the command table: names, flags and arguments. */
#include "haos/cmd.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "haos/error.h"
#include "haos/model.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/* Candidates that start with word (ignoring case), without repeats. */
struct cmd_cands {
	char		**v;
	size_t		 n;
	const char	*word;
	size_t		 wlen;
};

static void
cmd_complete_add(struct cmd_cands *c, const char *s)
{
	size_t	 i;

	if (s == NULL || strncasecmp(s, c->word, c->wlen) != 0)
		return;
	for (i = 0; i < c->n; i++) {
		if (strcmp(c->v[i], s) == 0)
			return;
	}
	c->v = xrealloc(c->v, (c->n + 1) * sizeof *c->v);
	c->v[c->n++] = xstrdup(s);
}

/* Add pfx + s. */
static void
cmd_complete_add2(struct cmd_cands *c, const char *pfx, const char *s)
{
	char	*t;

	if (s == NULL)
		return;
	t = xasprintf("%s%s", pfx, s);
	cmd_complete_add(c, t);
	free(t);
}

/* Members of the selected room, then of the server; "@Name" too if names. */
static void
cmd_complete_users(struct cmd_ctx *ctx, struct cmd_cands *c, int names)
{
	struct haos_error	 err;
	struct member_row	*m;
	const char		*rooms[2];
	size_t			 nm, i, r;

	if (ctx->store == NULL)
		return;
	rooms[0] = ctx->room_id;
	rooms[1] = ctx->server_id;
	for (r = 0; r < nitems(rooms); r++) {
		if (rooms[r] == NULL || store_query_members(ctx->store,
		    rooms[r], &m, &nm, &err) == -1)
			continue;
		for (i = 0; i < nm; i++) {
			if (names && m[i].displayname != NULL)
				cmd_complete_add2(c, "@", m[i].displayname);
			cmd_complete_add(c, m[i].user_id);
		}
		member_rows_free(m, nm);
	}
}

/* Rooms of one kind by name, with pfx ("#" for channels) if typed. */
static void
cmd_complete_rooms(struct cmd_ctx *ctx, struct cmd_cands *c,
    enum store_rooms kind, const char *space)
{
	struct haos_error	 err;
	struct room_row		*r;
	const char		*pfx = "";
	size_t			 n, i;

	if (ctx->store == NULL || store_query_rooms(ctx->store, kind, space,
	    &r, &n, &err) == -1)
		return;
	if (kind == STORE_ROOMS_CHANNELS && c->word[0] == '#')
		pfx = "#";
	for (i = 0; i < n; i++)
		cmd_complete_add2(c, pfx, r[i].name);
	room_rows_free(r, n);
}

/* Files in the word's directory ("~/" is $HOME); directories end in '/'. */
static void
cmd_complete_files(struct cmd_cands *c)
{
	struct dirent	*d;
	struct stat	 sb;
	DIR		*dir;
	const char	*slash, *home, *base;
	char		*typed, *open_at, *path, *cand;

	slash = strrchr(c->word, '/');
	typed = slash != NULL ? xstrndup(c->word, (size_t)(slash - c->word) +
	    1) : xstrdup("");
	base = slash != NULL ? slash + 1 : c->word;
	home = getenv("HOME");
	if (strncmp(typed, "~/", 2) == 0 && home != NULL)
		open_at = xasprintf("%s/%s", home, typed + 2);
	else
		open_at = xstrdup(*typed != '\0' ? typed : "./");
	dir = opendir(open_at);
	if (dir == NULL)
		goto out;
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 ||
		    strcmp(d->d_name, "..") == 0)
			continue;
		if (d->d_name[0] == '.' && base[0] != '.')
			continue;
		path = xasprintf("%s%s", open_at, d->d_name);
		cand = xasprintf("%s%s%s", typed, d->d_name, stat(path,
		    &sb) == 0 && S_ISDIR(sb.st_mode) ? "/" : "");
		cmd_complete_add(c, cand);
		free(cand);
		free(path);
	}
	closedir(dir);
out:
	free(open_at);
	free(typed);
}

/* The '|'-separated choices. */
static void
cmd_complete_choices(struct cmd_cands *c, const char *choices)
{
	const char	*p = choices;
	size_t		 len;
	char		*w;

	while (p != NULL && *p != '\0') {
		len = strcspn(p, "|");
		w = xstrndup(p, len);
		cmd_complete_add(c, w);
		free(w);
		p += len + (p[len] == '|');
	}
}

/*
 * A word of a message, or of a command without kinds: by its sigil.  A
 * message (also the text of /send, /me, /reply: CMD_TEXT) offers "@Name",
 * sent as a pill; another command takes user ids.
 */
static void
cmd_complete_sigil(struct cmd_ctx *ctx, struct cmd_cands *c, int message)
{
	size_t	 i;

	switch (c->word[0]) {
	case '@':
		cmd_complete_users(ctx, c, message);
		break;
	case '#':
		if (ctx->server_id != NULL)
			cmd_complete_rooms(ctx, c, STORE_ROOMS_CHANNELS,
			    ctx->server_id);
		break;
	case ':':
		for (i = 0; i < cmd_emoji_table_size; i++)
			cmd_complete_add(c, cmd_emoji_table[i].name);
		break;
	}
}

/* An argument of kind; cmd is the command named by /help, or NULL. */
static void
cmd_complete_kind(struct cmd_ctx *ctx, struct cmd_cands *c,
    const struct cmd_entry *ce, enum cmd_arg_kind kind,
    const struct cmd_entry *cmd)
{
	size_t	 i;

	switch (kind) {
	case CMD_ARG_TEXT:
		break;
	case CMD_ARG_USER:
		cmd_complete_users(ctx, c, 0);
		break;
	case CMD_ARG_CHANNEL:
		if (ctx->server_id != NULL)
			cmd_complete_rooms(ctx, c, STORE_ROOMS_CHANNELS,
			    ctx->server_id);
		break;
	case CMD_ARG_SERVER:
		cmd_complete_rooms(ctx, c, STORE_ROOMS_SPACES, NULL);
		break;
	case CMD_ARG_FILE:
		cmd_complete_files(c);
		break;
	case CMD_ARG_EMOJI:
		for (i = 0; i < cmd_emoji_table_size; i++)
			cmd_complete_add(c, cmd_emoji_table[i].name);
		break;
	case CMD_ARG_COMMAND:
		if (cmd == NULL) {
			for (i = 0; i < cmd_table_size; i++)
				cmd_complete_add(c, cmd_table[i]->name);
		} else {
			for (i = 0; i < cmd->nsub; i++)
				cmd_complete_add(c, cmd->sub[i]->name);
		}
		break;
	case CMD_ARG_CHOICE:
		cmd_complete_choices(c, ce->choices);
		break;
	}
}

/* Does ce say what any of its arguments is? */
static int
cmd_complete_has_kinds(const struct cmd_entry *ce)
{
	size_t	 i;

	for (i = 0; i < CMD_MAXKINDS; i++) {
		if (ce->kinds[i] != CMD_ARG_TEXT)
			return 1;
	}
	return 0;
}

/*
 * The flag word w names in ce's template ("--icon" or "-i"), or NULL; a
 * word of the template's letter without a description is not completed
 * further.
 */
static const struct cmd_flag *
cmd_complete_flag(const struct cmd_entry *ce, const char *w)
{
	const struct cmd_flag	*f;

	if (ce->template == NULL || w[0] != '-')
		return NULL;
	for (f = ce->flagv; f != NULL && f->letter != 0; f++) {
		if (w[1] == '-' && f->name != NULL &&
		    strcmp(w + 2, f->name) == 0)
			return f;
		if (w[1] == f->letter && w[2] == '\0')
			return f;
	}
	return NULL;
}

/* After the command words: flags, a flag's value or an argument. */
static void
cmd_complete_args(struct cmd_ctx *ctx, struct cmd_cands *c,
    const struct cmd_entry *ce, const struct cmd_args *a, int from)
{
	const struct cmd_flag	*f, *want = NULL;
	const struct cmd_entry	*cmd = NULL;
	char			*cause;
	int			 i, pos = 0, done = 0;

	for (i = from; i < a->argc; i++) {
		if (want != NULL) {
			want = NULL;
			continue;
		}
		if (!done && strcmp(a->argv[i], "--") == 0) {
			done = 1;
			continue;
		}
		f = done ? NULL : cmd_complete_flag(ce, a->argv[i]);
		if (f != NULL) {
			if (f->value != NULL)
				want = f;
			continue;
		}
		if (pos == 0 && ce->kinds[0] == CMD_ARG_COMMAND) {
			cmd = cmd_find(a->argv[i][0] == '/' ? a->argv[i] + 1 :
			    a->argv[i], &cause);
			free(cause);
		}
		pos++;
	}
	if (want != NULL) {
		cmd_complete_kind(ctx, c, ce, want->kind, NULL);
		return;
	}
	if (!done && ce->template != NULL && c->word[0] == '-') {
		for (f = ce->flagv; f != NULL && f->letter != 0; f++) {
			if (f->name != NULL)
				cmd_complete_add2(c, "--", f->name);
			else {
				cause = xasprintf("-%c", f->letter);
				cmd_complete_add(c, cause);
				free(cause);
			}
		}
		return;
	}
	if (!cmd_complete_has_kinds(ce)) {
		cmd_complete_sigil(ctx, c, (ce->flags & CMD_TEXT) != 0);
		return;
	}
	if (pos < CMD_MAXKINDS) {
		if (ce->kinds[pos] == CMD_ARG_COMMAND && pos > 0 && cmd == NULL)
			return;
		cmd_complete_kind(ctx, c, ce, ce->kinds[pos], cmd);
	}
}

/*
 * Complete the word of line that ends at cursor: a command name after
 * '/', then its subcommand, its flags (from the template) and arguments
 * by their kinds; in a message (or a command that declares no kinds) a
 * word by its sigil: @member, #channel, :emoji:.  Returns the number of
 * candidates in *cands (each and the array freed by the caller) and sets
 * *word_start to where the word begins.
 */
size_t
cmd_complete(struct cmd_ctx *ctx, const char *line, size_t cursor,
    char ***cands, size_t *word_start)
{
	const struct cmd_entry	*ce, *sub;
	struct cmd_cands	 c;
	struct cmd_args		 a;
	size_t			 ws, i;
	char			*word, *head, *cause;

	memset(&c, 0, sizeof c);
	memset(&a, 0, sizeof a);
	ws = cursor;
	while (ws > 0 && line[ws - 1] != ' ' && line[ws - 1] != '\n')
		ws--;
	*word_start = ws;
	word = xstrndup(line + ws, cursor - ws);
	c.word = word;
	c.wlen = strlen(word);
	head = NULL;
	if (line[0] != '/' || line[1] == '/') {
		if (c.wlen > 0)
			cmd_complete_sigil(ctx, &c, 1);
		goto out;
	}
	if (ws == 0) {
		for (i = 0; i < cmd_table_size; i++)
			cmd_complete_add2(&c, "/", cmd_table[i]->name);
		goto out;
	}
	head = xstrndup(line + 1, ws - 1);
	if (cmd_split(head, &a, &cause) == -1) {
		free(cause);
		goto out;
	}
	if (a.argc == 0)
		goto out;
	ce = cmd_find(a.argv[0], &cause);
	free(cause);
	if (ce == NULL)
		goto out;
	if (ce->nsub == 0) {
		cmd_complete_args(ctx, &c, ce, &a, 1);
		goto out;
	}
	if (a.argc == 1) {
		for (i = 0; i < ce->nsub; i++)
			cmd_complete_add(&c, ce->sub[i]->name);
		goto out;
	}
	sub = cmd_find_sub(ce, a.argv[1], &cause);
	free(cause);
	if (sub != NULL)
		cmd_complete_args(ctx, &c, sub, &a, 2);
out:
	cmd_args_free(&a);
	free(head);
	free(word);
	*cands = c.v;
	return c.n;
}
