/* Pane geometry from the terminal size: pure arithmetic, no curses. */
#ifndef HAOS_LAYOUT_H
#define HAOS_LAYOUT_H

#include "haos/haos.h"

struct rect {
	int	 y, x, h, w;	/* h == 0 or w == 0: hidden */
};

struct layout {
	struct rect	 topic;		/* one line at the top */
	struct rect	 rail;		/* servers: badges, DMs first */
	struct rect	 channels;	/* channel list of the server */
	struct rect	 messages;
	struct rect	 members;
	struct rect	 typing;	/* "alice is typing..." above input */
	struct rect	 status;	/* status line */
	struct rect	 input;		/* input line(s) */
};

/* Wishes that can override the size rules (toggle keys). */
struct layout_prefs {
	int	 rail;		/* -1 auto, 0 hide, 1 show */
	int	 members;	/* -1 auto, 0 hide, 1 show */
	int	 input_lines;	/* 1 + extra lines of a multi-line draft */
};

/*
 * >= 120 columns: rail, channels, messages and members; 60-119: rail and
 * members fold away (shown by the toggles); < 60: only messages, typing,
 * status and input.  Rectangles never overlap and tile the screen.
 */
void	layout_compute(int lines, int cols, const struct layout_prefs *,
	    struct layout *);

#endif
