/* Net thread to UI thread wakeups: dirty bits through a self-pipe. */
#ifndef HAOS_NOTIFY_H
#define HAOS_NOTIFY_H

#include "haos/haos.h"

/* What changed; the UI re-reads the affected panes from the store. */
enum notify_bits {
	NOTIFY_SERVERS	= 1u << 0,	/* server rail: spaces, DMs, unread */
	NOTIFY_CHANNELS	= 1u << 1,	/* channel list of a server */
	NOTIFY_TIMELINE	= 1u << 2,	/* messages of a room */
	NOTIFY_MEMBERS	= 1u << 3,	/* member list, power levels */
	NOTIFY_TYPING	= 1u << 4,	/* typing notifications */
	NOTIFY_OUTBOX	= 1u << 5,	/* local echo state changed */
	NOTIFY_STATUS	= 1u << 6,	/* connection state, errors */
	NOTIFY_AUTH	= 1u << 7,	/* session invalid: log in again */
	NOTIFY_RESULT	= 1u << 8,	/* a command result is queued */
	NOTIFY_FATAL	= 1u << 9,	/* the net thread cannot go on */
	NOTIFY_VERIFY	= 1u << 10	/* a key verification changed */
};

/*
 * A struct notify is shared by exactly two threads: the net thread posts,
 * the UI thread takes.  The dirty bits are an atomic word and the pipe
 * only wakes poll(); nothing else is shared.
 */
struct notify;

struct notify	*notify_new(void);
void		 notify_free(struct notify *);
void		 notify_post(struct notify *, unsigned int bits);
int		 notify_fd(const struct notify *);
unsigned int	 notify_take(struct notify *);

#endif
