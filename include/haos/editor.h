/* A UTF-8 line editor with Emacs keys, kill ring and history; no curses. */
#ifndef HAOS_EDITOR_H
#define HAOS_EDITOR_H

#include "haos/haos.h"

#include <stddef.h>

struct editor;

struct editor	*editor_new(void);
void		 editor_free(struct editor *);
const char	*editor_text(const struct editor *);	/* NUL-terminated */
size_t		 editor_cursor(const struct editor *);	/* byte offset */
int		 editor_cursor_col(const struct editor *); /* display cells */
void		 editor_set(struct editor *, const char *text);
void		 editor_clear(struct editor *);

/* Editing; positions move by grapheme cluster, words by spaces/punct. */
void	editor_insert(struct editor *, const char *utf8);
void	editor_left(struct editor *);		/* C-b */
void	editor_right(struct editor *);		/* C-f */
void	editor_word_left(struct editor *);	/* M-b */
void	editor_word_right(struct editor *);	/* M-f */
void	editor_home(struct editor *);		/* C-a, Home */
void	editor_end(struct editor *);		/* C-e, End */
void	editor_backspace(struct editor *);
void	editor_delete(struct editor *);		/* Del, C-d */
void	editor_kill_word_back(struct editor *);	/* C-w */
void	editor_kill_to_start(struct editor *);	/* C-u */
void	editor_kill_to_end(struct editor *);	/* C-k */
void	editor_yank(struct editor *);		/* C-y */

/*
 * Per-room history: editor_history_add() after sending; prev/next walk
 * it (Up/Down) and keep the draft being typed as the newest entry.
 */
void	editor_history_add(struct editor *, const char *room_id,
	    const char *text);
int	editor_history_prev(struct editor *, const char *room_id);
int	editor_history_next(struct editor *, const char *room_id);

/*
 * Tab completion of the word before the cursor against candidates
 * (e.g. "/kick", "@alice:haos.test", "#general", ":smile:"); repeated
 * calls cycle.  Returns 1 if the text changed.
 */
int	editor_complete(struct editor *, const char *const *candidates,
	    size_t ncandidates);

#endif
