/* What the user is told of a device the server gave that was refused. */
#include "haos/render.h"

#include <string.h>

#include "haos/store.h"
#include "haos/xmalloc.h"

/*
 * What happened, by the reason crypto-devices.c stored: a device id we
 * know came back with another key (as an attacker holding the server
 * would show it), or a new device claims a key another device has.
 */
static const char *
render_warn_what(const char *reason)
{
	if (strcmp(reason, "keys_changed") == 0)
		return "came back with other keys";
	if (strcmp(reason, "key_reused") == 0)
		return "claims another device's key";
	if (strcmp(reason, "device_id_is_cross_signing_key") == 0)
		return "has the id of a cross-signing key";
	return NULL;
}

/* What the refusal means for the user, after the reason. */
static const char *
render_warn_means(const char *reason)
{
	if (strcmp(reason, "keys_changed") == 0 ||
	    strcmp(reason, "device_id_is_cross_signing_key") == 0)
		return " (it may be an attack; its messages stay unverified)";
	return "";
}

/* The status line's text of warning w: raw, the caller sanitises. */
char *
render_warn_status(const struct device_warning *w, int ascii)
{
	const char	*sign = ascii ? "!" : "\xe2\x9a\xa0", *what;

	/* crypto-xsign.c: the device id column holds the new master key. */
	if (strcmp(w->reason, "master_key_changed") == 0)
		return xasprintf("%s %s's identity changed (new master key "
		    "%s): messages to their rooms wait - check it with them, "
		    "then /trust %s", sign, w->user_id, w->device_id,
		    w->user_id);
	what = render_warn_what(w->reason);
	if (what == NULL)
		return xasprintf("%s %s's device %s was refused (%s)", sign,
		    w->user_id, w->device_id, w->reason);
	return xasprintf("%s %s's device %s %s: refused%s", sign, w->user_id,
	    w->device_id, what, render_warn_means(w->reason));
}

/* A profile's line of warning w: raw, the caller sanitises. */
char *
render_warn_detail(const struct device_warning *w)
{
	const char	*what;

	if (strcmp(w->reason, "master_key_changed") == 0)
		return xasprintf("identity changed: new master key %s, not "
		    "accepted yet (/trust)", w->device_id);
	what = render_warn_what(w->reason);
	if (what == NULL)
		return xasprintf("%s: refused (%s)", w->device_id, w->reason);
	return xasprintf("%s: %s, refused%s", w->device_id, what,
	    render_warn_means(w->reason));
}

/* Whether a and b are about the same refusal (user, device, reason). */
static int
render_warn_same(const struct device_warning *a,
    const struct device_warning *b)
{
	return strcmp(a->user_id, b->user_id) == 0 &&
	    strcmp(a->device_id, b->device_id) == 0 &&
	    strcmp(a->reason, b->reason) == 0;
}

/* Index in now of the rows that seen did not have. */
size_t
render_warn_fresh(const struct device_warning *seen, size_t nseen,
    const struct device_warning *now, size_t nnow, size_t *idx)
{
	size_t	 i, j, n = 0;

	for (i = 0; i < nnow; i++) {
		for (j = 0; j < nseen; j++) {
			if (render_warn_same(&now[i], &seen[j]))
				break;
		}
		if (j == nseen)
			idx[n++] = i;
	}
	return n;
}
