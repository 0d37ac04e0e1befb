/* Activity text: who is typing, and desktop notification escapes. */
#ifndef HAOS_ACTIVITY_H
#define HAOS_ACTIVITY_H

#include "haos/haos.h"

#include <stddef.h>
#include <stdint.h>

#define ACTIVITY_NAME_MAX	32	/* cells of a name in the typing line */
#define ACTIVITY_NOTIFY_MAX	160	/* bytes of a notification field */

/*
 * "alice is typing…", "alice and bob are typing…", "several people are
 * typing…" for n raw names (sanitised and shortened here); NULL when n
 * is 0.  ascii uses "..." for the ellipsis.
 */
char	*activity_typing_text(const char *const *names, size_t n, int ascii);

#define ACTIVITY_TYPING_MS	4000	/* renew "typing" at most this often */
#define ACTIVITY_TYPING_HOLD	30000	/* the timeout sent with it */

/* Typing notifications told to the server; zero it to start. */
struct activity_typing {
	char	*room;		/* "typing: true" was sent there, or NULL */
	int64_t	 at;		/* when, ms */
	char	*last;		/* the draft at the last step */
};

/* What activity_typing_step() asks the caller to send. */
enum activity_typing_act {
	ACTIVITY_TYPING_STOP = 1u << 0,		/* typing: false in *stop */
	ACTIVITY_TYPING_START = 1u << 1		/* typing: true in room_id */
};

/*
 * One step with the draft text in room_id (NULL: no room) at now ms.
 * A draft that is a message (not a /command), changed since the last
 * step, starts or renews typing at most every ACTIVITY_TYPING_MS; an
 * empty draft (cleared or sent), a /command or another room stops it.
 * Returns ACTIVITY_TYPING_* bits; with STOP, *stop is the room to tell
 * (the caller frees it).
 */
unsigned int	activity_typing_step(struct activity_typing *,
		    const char *room_id, const char *text, int64_t now,
		    char **stop);
void		activity_typing_clear(struct activity_typing *);

/* My presence as told to the server; zero it to start. */
struct activity_presence {
	const char	*told;		/* a static string, or NULL */
};

/*
 * One step at now ms, the last key at input ms: "online" first and when
 * keys come again, "unavailable" once idle_ms passed without one (0:
 * never); NULL when the server already knows.
 */
const char	*activity_presence_step(struct activity_presence *,
		    int64_t now, int64_t input, int64_t idle_ms);

/* Which escapes activity_notify_bytes() writes. */
enum activity_notify {
	ACTIVITY_BELL = 1u << 0,	/* BEL */
	ACTIVITY_OSC777 = 1u << 1,	/* ESC ] 777 ; notify ; T ; B BEL */
	ACTIVITY_OSC9 = 1u << 2,	/* ESC ] 9 ; B BEL */
	ACTIVITY_TMUX = 1u << 3		/* OSCs in tmux's DCS passthrough */
};

/*
 * Text safe inside an OSC field: no control characters (C0, DEL, C1,
 * ESC sequences), no ';' (it would start a new field: ',' instead),
 * newlines as spaces, at most max bytes of whole characters ("…" when
 * cut).
 */
char	*activity_notify_clean(const char *s, size_t max);

/*
 * The bytes to write to the terminal for a notification of title and
 * body (raw; cleaned here) with the escapes in flags; "" for none.
 * tmux (3.3a checked) swallows OSC 777 and OSC 9; with ACTIVITY_TMUX
 * each is wrapped as ESC P tmux ; (ESCs doubled) ESC \, which tmux
 * hands to the outer terminal when allow-passthrough is on.
 */
char	*activity_notify_bytes(unsigned int flags, const char *title,
	    const char *body);

#endif
