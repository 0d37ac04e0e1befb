/* Names typed by the user to room ids: one matcher for commands and run. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "haos/error.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

static int
cmd_same(const char *have, const char *want)
{
	return have != NULL && strcasecmp(have, want) == 0;
}

/* Whether row may be chosen: not left, and a space only if asked. */
int
cmd_room_eligible(const struct room_row *row, int spaces)
{
	if (row->join == ROOM_LEAVE)
		return 0;
	return spaces == -1 || (row->is_space != 0) == (spaces != 0);
}

/* The server (space) of row among rows, or NULL. */
static const struct room_row *
cmd_server_of(const struct room_row *rows, size_t n,
    const struct room_row *row)
{
	size_t	 i;

	if (row->parent_id == NULL || row->is_direct)
		return NULL;
	for (i = 0; i < n; i++) {
		if (rows[i].is_space &&
		    strcmp(rows[i].room_id, row->parent_id) == 0)
			return &rows[i];
	}
	return NULL;
}

/* Does row match w by name (exactly, or as a prefix on pass 1)? */
static int
cmd_match_one(const struct room_row *row, const char *w, const char *want,
    int pass)
{
	const char	*label;

	label = row->name != NULL ? row->name : row->direct_user;
	if (pass == 0)
		return cmd_same(label, w) ||
		    cmd_same(row->canonical_alias, want) ||
		    cmd_same(row->direct_user, want);
	return label != NULL && *w != '\0' &&
	    strncasecmp(label, w, strlen(w)) == 0;
}

/*
 * "server channel" or "channel server", as the switcher and the channel
 * list show them: every split of w at a space, the channel matched as
 * cmd_match_one() does and the server by its name (a prefix on pass 1).
 */
static size_t
cmd_match_qualified(const struct room_row *rows, size_t n, const char *w,
    int spaces, int pass, size_t *hits)
{
	const struct room_row	*srv;
	const char		*sp;
	char			*left, *right;
	size_t			 i, nhit = 0, k;
	int			 order, dup;

	if (spaces == 1)
		return 0;
	for (sp = strchr(w, ' '); sp != NULL && nhit == 0;
	    sp = strchr(sp + 1, ' ')) {
		left = xstrndup(w, (size_t)(sp - w));
		right = xstrdup(sp + 1);
		for (order = 0; order < 2; order++) {
			const char *sname = order == 0 ? left : right;
			const char *cname = order == 0 ? right : left;

			if (*cname == '#')
				cname++;
			for (i = 0; i < n; i++) {
				if (!cmd_room_eligible(&rows[i], 0))
					continue;
				srv = cmd_server_of(rows, n, &rows[i]);
				if (srv == NULL || !cmd_match_one(srv, sname,
				    sname, pass) || !cmd_match_one(&rows[i],
				    cname, cname, pass))
					continue;
				for (k = 0, dup = 0; k < nhit; k++)
					dup |= hits[k] == i;
				if (!dup)
					hits[nhit++] = i;
			}
		}
		free(left);
		free(right);
	}
	return nhit;
}

size_t
cmd_match_rooms(const struct room_row *rows, size_t n, const char *want,
    int spaces, int prefix, size_t **hits)
{
	const char	*w = want;
	size_t		 i, nhit = 0;
	int		 pass;

	*hits = xcalloc(n + 1, sizeof **hits);
	for (i = 0; i < n; i++) {
		if (cmd_room_eligible(&rows[i], spaces) &&
		    strcmp(rows[i].room_id, want) == 0) {
			(*hits)[0] = i;
			return 1;
		}
	}
	if (w[0] == '#' || w[0] == '@')
		w++;
	for (pass = 0; pass < (prefix ? 2 : 1) && nhit == 0; pass++) {
		for (i = 0; i < n; i++) {
			if (cmd_room_eligible(&rows[i], spaces) &&
			    cmd_match_one(&rows[i], w, want, pass))
				(*hits)[nhit++] = i;
		}
		if (nhit == 0)
			nhit = cmd_match_qualified(rows, n, w, spaces, pass,
			    *hits);
	}
	return nhit;
}

/*
 * A room's name as the lists show it (not sanitised): its name; for a
 * DM without one the peer's display name in the room, else the peer's
 * user id; else its alias or id.  The caller frees.
 */
char *
cmd_room_name(struct store *s, const struct room_row *r)
{
	struct haos_error	 err;
	struct member_row	*m = NULL;
	size_t			 n = 0, i;
	char			*name = NULL;

	if (r->name != NULL)
		return xstrdup(r->name);
	if (r->direct_user != NULL && s != NULL && store_query_members(s,
	    r->room_id, &m, &n, &err) == 0) {
		for (i = 0; i < n && name == NULL; i++) {
			if (strcmp(m[i].user_id, r->direct_user) == 0 &&
			    m[i].displayname != NULL)
				name = xstrdup(m[i].displayname);
		}
		member_rows_free(m, n);
	}
	if (name == NULL)
		name = xstrdup(r->direct_user != NULL ? r->direct_user :
		    r->canonical_alias != NULL ? r->canonical_alias :
		    r->room_id);
	return name;
}

/* Name the unnamed DMs of rows after their peer, as the lists do. */
static void
cmd_name_dms(struct cmd_ctx *ctx, struct room_row *r, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (r[i].name == NULL && r[i].direct_user != NULL)
			r[i].name = cmd_room_name(ctx->store, &r[i]);
	}
}

/* One candidate as the switcher shows it: "#general (Acme)". */
static char *
cmd_candidate(const struct room_row *r, size_t n, const struct room_row *c)
{
	const struct room_row	*srv;
	char			*name, *sname, *s;

	name = sanitize_text(c->name != NULL ? c->name : c->room_id,
	    (size_t)-1, 0);
	srv = cmd_server_of(r, n, c);
	if (c->is_space)
		s = xasprintf("%s (server)", name);
	else if (c->is_direct)
		s = xasprintf("@%s (direct message)", name);
	else if (srv != NULL) {
		sname = sanitize_text(srv->name != NULL ? srv->name :
		    srv->room_id, (size_t)-1, 0);
		s = xasprintf("#%s (%s)", name, sname);
		free(sname);
	} else
		s = xasprintf("#%s", name);
	free(name);
	return s;
}

/* The candidates of an ambiguous name, comma separated and sanitised. */
static char *
cmd_candidates(const struct room_row *r, size_t n, const size_t *hits,
    size_t nhit)
{
	char	*list = NULL, *tmp, *one;
	size_t	 i;

	for (i = 0; i < nhit; i++) {
		one = cmd_candidate(r, n, &r[hits[i]]);
		tmp = xasprintf("%s%s%s", list != NULL ? list : "",
		    list != NULL ? ", " : "", one);
		free(one);
		free(list);
		list = tmp;
	}
	return list;
}

/*
 * The one room of r that name means, or NULL.  Not required: an exact
 * match only, and silence otherwise; required: a prefix too, and the
 * problem is reported.
 */
static char *
cmd_resolve_one(struct cmd_ctx *ctx, const struct room_row *r, size_t n,
    const char *name, int required)
{
	size_t	*hits, nhit;
	char	*found = NULL, *list;

	nhit = cmd_match_rooms(r, n, name, -1, required, &hits);
	if (nhit == 1)
		found = xstrdup(r[hits[0]].room_id);
	else if (nhit == 0 && required)
		cmd_error(ctx, "no channel, server or conversation called %s",
		    name);
	else if (nhit > 1 && required) {
		list = cmd_candidates(r, n, hits, nhit);
		cmd_error(ctx, "%s matches %zu rooms: %s", name, nhit, list);
		free(list);
	}
	free(hits);
	return found;
}

/*
 * Resolve what the user typed to a room id: "!id" as it is, a channel of
 * the selected server first, then any room, server or DM peer (see
 * cmd_match_rooms()).  Quotes and padding around the name are dropped.
 * NULL with an error reported if none or ambiguous.
 */
char *
cmd_resolve_room(struct cmd_ctx *ctx, const char *name)
{
	struct haos_error	 err;
	struct room_row		*r = NULL;
	size_t			 n = 0, len;
	char			*want, *found = NULL;

	while (*name == ' ')
		name++;
	len = strlen(name);
	while (len > 0 && name[len - 1] == ' ')
		len--;
	/* A quoted name ("Beta Corp") is the name. */
	if (len >= 2 && (name[0] == '"' || name[0] == '\'') &&
	    name[len - 1] == name[0])
		want = xstrndup(name + 1, len - 2);
	else
		want = xstrndup(name, len);
	if (want[0] == '!')
		return want;
	if (ctx->store == NULL) {
		cmd_error(ctx, "no store");
		free(want);
		return NULL;
	}
	if (ctx->server_id != NULL && store_query_rooms(ctx->store,
	    STORE_ROOMS_CHANNELS, ctx->server_id, &r, &n, &err) == 0) {
		cmd_name_dms(ctx, r, n);
		found = cmd_resolve_one(ctx, r, n, want, 0);
		room_rows_free(r, n);
		if (found != NULL) {
			free(want);
			return found;
		}
	}
	if (store_query_rooms(ctx->store, STORE_ROOMS_ALL, NULL, &r, &n,
	    &err) == -1) {
		cmd_error(ctx, "%s", err.msg);
		free(want);
		return NULL;
	}
	cmd_name_dms(ctx, r, n);
	found = cmd_resolve_one(ctx, r, n, want, 1);
	room_rows_free(r, n);
	free(want);
	return found;
}

/*
 * The user id an argument means: "@bob:hs" as it is; else the one
 * person of our rooms with that display name or localpart ("@Bob", what
 * completing a mention shows); else "bob" on my homeserver.  NULL with
 * an error reported if it cannot be one or means several people.
 */
char *
cmd_user_id(struct cmd_ctx *ctx, const char *arg)
{
	struct haos_error	 err;
	struct member_row	*m = NULL;
	size_t			 n = 0, i;
	const char		*colon, *name;
	char			*uid = NULL, *list = NULL, *tmp, *one;

	name = arg[0] == '@' ? arg + 1 : arg;
	if (strchr(arg, ':') == NULL && *name != '\0' && ctx->store != NULL &&
	    store_query_users_named(ctx->store, name, &m, &n, &err) == 0) {
		if (n == 1)
			uid = xstrdup(m[0].user_id);
		for (i = 0; i < n && n > 1; i++) {
			one = sanitize_text(m[i].user_id, (size_t)-1, 0);
			tmp = xasprintf("%s%s%s", list != NULL ? list : "",
			    list != NULL ? ", " : "", one);
			free(one);
			free(list);
			list = tmp;
		}
		member_rows_free(m, n);
		if (list != NULL) {
			cmd_error(ctx, "%s: %s could be %s",
			    ctx->current != NULL ? ctx->current->name :
			    "command", arg, list);
			free(list);
			return NULL;
		}
		if (uid != NULL)
			return uid;
	}
	colon = ctx->me != NULL ? strchr(ctx->me, ':') : NULL;
	if (strchr(arg, ':') != NULL || colon == NULL)
		uid = xasprintf("%s%s", arg[0] == '@' ? "" : "@", arg);
	else
		uid = xasprintf("%s%s%s", arg[0] == '@' ? "" : "@", arg, colon);
	if (!matrix_valid_user_id(uid)) {
		cmd_error(ctx, "%s: not a user id: %s (@name:server)",
		    ctx->current != NULL ? ctx->current->name : "command", arg);
		free(uid);
		return NULL;
	}
	return uid;
}
