/* Names typed by the user to room ids: one matcher for commands and run. */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "haos/error.h"
#include "haos/model.h"
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

size_t
cmd_match_rooms(const struct room_row *rows, size_t n, const char *want,
    int spaces, int prefix, size_t **hits)
{
	const char	*w = want, *label;
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
			if (!cmd_room_eligible(&rows[i], spaces))
				continue;
			label = rows[i].name != NULL ? rows[i].name :
			    rows[i].direct_user;
			if (pass == 0 ? cmd_same(label, w) ||
			    cmd_same(rows[i].canonical_alias, want) ||
			    cmd_same(rows[i].direct_user, want) :
			    label != NULL && *w != '\0' &&
			    strncasecmp(label, w, strlen(w)) == 0)
				(*hits)[nhit++] = i;
		}
	}
	return nhit;
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
	char	*found = NULL;

	nhit = cmd_match_rooms(r, n, name, -1, required, &hits);
	if (nhit == 1)
		found = xstrdup(r[hits[0]].room_id);
	else if (nhit == 0 && required)
		cmd_error(ctx, "no channel, server or conversation called %s",
		    name);
	else if (nhit > 1 && required)
		cmd_error(ctx, "%s matches %zu rooms; be more specific", name,
		    nhit);
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
	found = cmd_resolve_one(ctx, r, n, want, 1);
	room_rows_free(r, n);
	free(want);
	return found;
}
