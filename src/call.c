/* MatrixRTC call memberships: who is in a voice or video channel's call. */
#include "haos/call.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/*
 * Two shapes of the call membership state event are in use (MatrixRTC,
 * MSC3401 and MSC4143), under m.call.member or its unstable name:
 *
 * - the legacy one: state key the user id, content {"memberships": [...]}
 *   with one object per device, each ending at "expires_ts" (absolute)
 *   or at its start plus "expires"; no object left means not in a call;
 * - the session one: one event per device, state key "_@user:hs_DEVICE"
 *   (or without the "_"), content {"application", "call_id",
 *   "device_id", "focus_active", ...} ending at its start plus "expires"
 *   (four hours when absent); an empty content means the device left.
 *
 * A membership's start is its "created_ts", else the event's
 * origin_server_ts.  The store knows that time only for events its
 * timeline holds (row ts 0 otherwise): such a membership cannot be shown
 * to have expired, and counts.  The user is always the event's sender,
 * which the auth rules tie to the state key.
 */

/* Whether a membership object m of an event sent at ts is live at now. */
static int
call_live(const json_t *m, int64_t ts, int64_t now, int legacy)
{
	json_t		*v;
	int64_t		 start, expires;
	const char	*app;

	app = json_get_str(m, "application", NULL);
	if (app != NULL && strcmp(app, "m.call") != 0)
		return 0;
	if (!legacy && app == NULL)
		return 0;		/* {}: left */
	v = json_object_get(m, "expires_ts");
	if (legacy && json_is_integer(v))
		return json_integer_value(v) > now;
	v = json_object_get(m, "expires");
	if (json_is_integer(v))
		expires = json_integer_value(v);
	else if (!legacy)
		expires = CALL_DEFAULT_EXPIRE_MS;
	else
		return 0;		/* neither: not a membership */
	v = json_object_get(m, "created_ts");
	start = json_is_integer(v) ? json_integer_value(v) : ts;
	if (start <= 0)
		return 1;		/* when it began is not known */
	return start + expires > now;
}

/* Whether the content of a call membership event says its sender is in. */
static int
call_row_live(const struct state_row *r, int64_t now)
{
	json_t	*c, *arr, *m;
	size_t	 i;
	int	 live = 0;

	c = json_load_stored(r->content);
	if (!json_is_object(c))
		goto out;
	arr = json_object_get(c, "memberships");
	if (arr != NULL) {
		json_array_foreach(arr, i, m) {
			if (json_is_object(m) && call_live(m, r->ts, now, 1)) {
				live = 1;
				break;
			}
		}
	} else
		live = call_live(c, r->ts, now, 0);
out:
	json_decref(c);
	return live;
}

char **
call_members(const struct state_row *rows, size_t nrows, int64_t now_ms,
    size_t *n)
{
	char	**ids = NULL;
	size_t	 i, j;

	*n = 0;
	for (i = 0; i < nrows; i++) {
		if (rows[i].sender == NULL || !call_row_live(&rows[i], now_ms))
			continue;
		for (j = 0; j < *n; j++) {
			if (strcmp(ids[j], rows[i].sender) == 0)
				break;
		}
		if (j < *n)
			continue;	/* another device of the same user */
		ids = xrealloc(ids, (*n + 1) * sizeof *ids);
		ids[(*n)++] = xstrdup(rows[i].sender);
	}
	return ids;
}

int
call_room_members(struct store *s, const char *room_id, int64_t now_ms,
    char ***ids, size_t *n, struct haos_error *err)
{
	static const char	*types[] = { CALL_MEMBER_TYPE,
				    CALL_MEMBER_TYPE_MSC };
	struct state_row	*all = NULL, *rows;
	size_t			 nall = 0, nrows, i;

	*ids = NULL;
	*n = 0;
	for (i = 0; i < nitems(types); i++) {
		if (store_query_state_all(s, room_id, types[i], &rows, &nrows,
		    err) == -1) {
			state_rows_free(all, nall);
			return -1;
		}
		all = xrealloc(all, (nall + nrows + 1) * sizeof *all);
		if (nrows > 0)
			memcpy(all + nall, rows, nrows * sizeof *rows);
		nall += nrows;
		free(rows);
	}
	*ids = call_members(all, nall, now_ms, n);
	state_rows_free(all, nall);
	return 0;
}

void
call_members_free(char **ids, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}
