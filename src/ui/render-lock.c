/* The per-message lock: its glyph, colour and meaning (no curses). */

/*
 * As Element's shields (issue #16): a message that came encrypted gets
 * a lock; its state (enum e2e_trust, read with the page by
 * store-query-timeline.c) picks the glyph and attribute, so that only
 * verified and unverified look alike but for colour, the warnings
 * (a device its owner did not sign, an unknown or deleted device, a
 * changed identity) draw a red sign and a key from a backup, a file or
 * a forward a grey lock.  ASCII terminals get "[E2E]"-like words.
 */
#include "haos/render.h"

#include <stddef.h>

static const struct {
	const char	*utf8;
	const char	*ascii;
	enum render_attr attr;
	const char	*text;
} render_lock_table[] = {
	[E2E_TRUST_NONE] = { "\xf0\x9f\x94\x92", "[E2E]", RA_LOCK_PLAIN,
	    "encrypted; who sent it is not known here (its session was "
	    "not kept)" },
	[E2E_TRUST_VERIFIED] = { "\xf0\x9f\x94\x92", "[E2E]", RA_LOCK,
	    "verified: sent by a device of a verified identity" },
	[E2E_TRUST_UNVERIFIED] = { "\xf0\x9f\x94\x92", "[E2E]",
	    RA_LOCK_PLAIN, "unverified: encrypted by a device of an "
	    "identity you have not verified" },
	[E2E_TRUST_UNSIGNED] = { "\xe2\x9a\xa0", "[E2E!]", RA_LOCK_WARN,
	    "unverified device: encrypted by a device not verified by its "
	    "owner" },
	[E2E_TRUST_UNKNOWN] = { "\xe2\x9a\xa0", "[E2E!]", RA_LOCK_WARN,
	    "unknown device: encrypted by an unknown or deleted device" },
	[E2E_TRUST_UNAUTHENTICATED] = { "\xf0\x9f\x94\x92", "[E2E?]",
	    RA_LOCK_GREY, "authenticity not guaranteed: its key came from "
	    "a backup, a key file or another device, not from the sender" },
	[E2E_TRUST_CHANGED] = { "\xe2\x9a\xa0", "[E2E!]", RA_LOCK_WARN,
	    "identity changed: the sender's identity changed since it was "
	    "first seen (/trust to accept it)" }
};

static enum e2e_trust
render_lock_state(enum e2e_trust t)
{
	return (size_t)t < sizeof render_lock_table /
	    sizeof render_lock_table[0] ? t : E2E_TRUST_NONE;
}

const char *
render_lock_glyph(const struct event_row *ev, int ascii,
    enum render_attr *attr)
{
	enum e2e_trust	 t;

	if (ev->e2e != E2E_DECRYPTED)
		return NULL;
	t = render_lock_state(ev->trust);
	*attr = render_lock_table[t].attr;
	return ascii ? render_lock_table[t].ascii : render_lock_table[t].utf8;
}

const char *
render_lock_text(enum e2e_trust t)
{
	return render_lock_table[render_lock_state(t)].text;
}
