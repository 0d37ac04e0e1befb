/* OSC 8 hyperlinks: whether the terminal has them, their bytes; no curses. */
#ifndef HAOS_HYPERLINK_H
#define HAOS_HYPERLINK_H

#include <stddef.h>

#define HYPERLINK_MAX_URL	2048	/* bytes of a URL sent, encoded */
#define HYPERLINK_CLOSE		"\033]8;;\033\\"

/*
 * What the environment says of the terminal (getenv() values, NULL when
 * unset) and, inside tmux, its client_termfeatures (NULL: not known).
 */
struct hyperlink_env {
	const char	*term;			/* TERM */
	const char	*term_program;		/* TERM_PROGRAM */
	const char	*term_program_version;	/* TERM_PROGRAM_VERSION */
	const char	*vte_version;		/* VTE_VERSION: 5000 = 0.50 */
	const char	*kitty_window_id;	/* KITTY_WINDOW_ID */
	const char	*wt_session;		/* WT_SESSION (Windows Terminal) */
	const char	*konsole_version;	/* KONSOLE_VERSION: 201200 */
	const char	*tmux;			/* TMUX */
	const char	*sty;			/* STY (GNU screen) */
	const char	*tmux_features;		/* #{client_termfeatures} */
};

/*
 * Whether to draw links as OSC 8 hyperlinks by setting ([ui] hyperlinks:
 * yes, no or auto): auto is yes only for a terminal known to show them
 * (inside tmux, only when tmux says its client has the hyperlinks
 * feature; never inside GNU screen).
 */
int	 hyperlink_detect(const char *setting, const struct hyperlink_env *);

/*
 * The URL as an OSC 8 may carry it, or NULL: http, https or mailto only,
 * refused with a C0 or C1 control, DEL, a space or invalid UTF-8 in it,
 * other non-ASCII bytes percent-encoded, refused past HYPERLINK_MAX_URL
 * bytes.  The caller frees.
 */
char	*hyperlink_clean(const char *url);

/*
 * The id= of link number link (1, 2, ...) of an event: the same for
 * every line the link is wrapped over; [0-9a-z-] only.  size >= 32.
 */
void	 hyperlink_id(const char *event_id, int link, char *buf, size_t size);

/*
 * ESC ] 8 ; id=ID ; URL ESC \ for url (cleaned by hyperlink_clean()) and
 * id (letters, digits, '-' and '_' only, or empty for none), or NULL
 * when either is refused.  HYPERLINK_CLOSE ends the link.  The caller
 * frees.
 */
char	*hyperlink_open(const char *url, const char *id);

#endif
