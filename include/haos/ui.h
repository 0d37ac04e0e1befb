/* The interactive client: the only UI symbols main.c sees. */
#ifndef HAOS_UI_H
#define HAOS_UI_H

#include "haos/haos.h"

#include <stddef.h>
#include <stdint.h>

struct client;
struct notify;
struct store;
struct ui;

/* What the client needs from main(); everything stays main's. */
struct ui_deps {
	const struct config	*cfg;
	struct store		*store;		/* STORE_RO, this thread's */
	struct client		*client;	/* requests go here */
	struct notify		*notify;
	const char		*user_id;
	const char		*homeserver;
	int64_t			 start_ms;	/* net_now_ms() at main() */
	const char		*device_id;
	const char		*session_file;	/* rewritten by a new login */
	const char		*last_room_file; /* the room open at the end */
	const char		*preview_dir;	/* image previews' files */
};

/*
 * ui_init() takes the terminal (curses) and ui_done() gives it back;
 * ui_run() draws and reads keys until /quit (0) or a fatal error of the
 * net thread (-1, message in err).  All three run on the main thread.
 */
struct ui	*ui_init(const struct ui_deps *, struct haos_error *);
int		 ui_run(struct ui *, struct haos_error *);
void		 ui_done(struct ui *);

/*
 * Refreshing only what changed (src/ui/refresh.c, no curses; unit-tested).
 * After a notify the UI asks the store which rooms changed since the seq
 * it last saw, describes each (its server, whether a space or a DM), and
 * refresh_plan() decides from them and from what is on screen which panes
 * read the store again.  The first frame and a new selection load all.
 */
#define REFRESH_RAIL		(1u << 0)	/* every rail entry */
#define REFRESH_CHANNELS	(1u << 1)	/* the channel list */
#define REFRESH_TIMELINE	(1u << 2)	/* the open room's page */
#define REFRESH_MEMBERS		(1u << 3)	/* the open room's members */
#define REFRESH_TOPIC		(1u << 4)	/* the topic bar */
#define REFRESH_ALL		0x1fu

/* What the UI shows; every string is borrowed. */
struct refresh_view {
	const char		*server_id;	/* selected; NULL: DMs */
	const char		*room_id;	/* open room, or NULL */
	const char *const	*channels;	/* rooms of the channel list */
	size_t			 nchannels;
	const char *const	*servers;	/* servers of the rail */
	size_t			 nservers;
};

/* A changed room as the store has it now. */
struct refresh_room {
	char		*room_id;	/* "": a global change */
	char		*parent_id;	/* its server, or NULL */
	int		 known;		/* the store has a row for it */
	int		 is_space;
	int		 is_direct;
};

/* The decision: panes to read again, and single rail entries. */
struct refresh_plan {
	unsigned int	 panes;		/* REFRESH_* */
	char		**servers;	/* rail entries to re-read */
	size_t		 nservers;
	int		 dm;		/* the Direct Messages entry too */
};

/*
 * Rooms changed but not yet acted on, and the store's change seq seen:
 * changes read while no data bit was posted wait here for their bits.
 */
struct refresh {
	int64_t			 seq;
	struct refresh_room	*pending;
	size_t			 npending;
};

void	refresh_plan(const struct refresh_view *,
	    const struct refresh_room *, size_t, struct refresh_plan *);
void	refresh_plan_free(struct refresh_plan *);
int	refresh_start(struct refresh *, struct store *, struct haos_error *);
int	refresh_collect(struct refresh *, struct store *, unsigned int bits,
	    const struct refresh_view *, struct refresh_plan *,
	    struct haos_error *);
void	refresh_free(struct refresh *);

#endif
