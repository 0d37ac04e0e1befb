/* The interactive client: the only UI symbols main.c sees. */
#ifndef HAOS_UI_H
#define HAOS_UI_H

#include "haos/haos.h"

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
};

/*
 * ui_init() takes the terminal (curses) and ui_done() gives it back;
 * ui_run() draws and reads keys until /quit (0) or a fatal error of the
 * net thread (-1, message in err).  All three run on the main thread.
 */
struct ui	*ui_init(const struct ui_deps *, struct haos_error *);
int		 ui_run(struct ui *, struct haos_error *);
void		 ui_done(struct ui *);

#endif
