/* Kitty and sixel previews: the pure half (sequences, detection, diff). */
#ifndef HAOS_GRAPHICS_SEQ_H
#define HAOS_GRAPHICS_SEQ_H

#include "haos/haos.h"
#include "haos/preview.h"

#include <stddef.h>
#include <stdint.h>

#define GRAPHICS_SEQ_CHUNK	4096	/* base64 bytes in a kitty chunk */

/*
 * The mode [ui] image_preview = cfg gives in the terminal the
 * environment envp ("NAME=value" strings, NULL-terminated) describes;
 * tmux_features is tmux's #{client_termfeatures} (NULL outside tmux or
 * unknown).  "off", "symbols", "sixel" and "kitty" are taken as said;
 * "auto": kitty for KITTY_WINDOW_ID, TERM=xterm-kitty or TERM_PROGRAM
 * WezTerm or ghostty, sixel for TERM foot* or mlterm* or MLTERM, each
 * outside tmux and screen; inside tmux sixel if its features list
 * "sixel"; otherwise symbols.
 */
enum preview_mode graphics_seq_detect(const char *cfg, const char *const *envp,
		     const char *tmux_features);
/* Whether envp is inside tmux (TMUX set): ask it for its features. */
int		 graphics_seq_in_tmux(const char *const *envp);

/*
 * Kitty: transmit RGBA pixels (w x h) as image id, base64 in chunks of
 * GRAPHICS_SEQ_CHUNK (a=t,f=32,q=2, m=1 on all but the last); place id
 * (placement pid) in cols x rows cells without moving the cursor (C=1);
 * delete a placement, keeping the image (d=i), or with id 0 every image
 * (d=A).  Each is a new string, its length in *len.
 */
char		*graphics_seq_kitty_send(uint32_t id, const unsigned char *,
		     int w, int h, size_t *len);
char		*graphics_seq_kitty_place(uint32_t id, uint32_t pid,
		     int cols, int rows);
char		*graphics_seq_kitty_delete(uint32_t id, uint32_t pid);

/*
 * seq (len bytes) written at screen cell (y, x), 0-based: the cursor
 * saved (ESC 7), moved, seq, the cursor restored (ESC 8).
 */
char		*graphics_seq_at(int y, int x, const char *seq, size_t len,
		     size_t *outlen);

/* A preview shown: its image, the screen rectangle, selected or not. */
struct graphics_rect {
	uint32_t	 id;
	int		 y, x, cols, rows;
	int		 sel;
};

/* Whether a and b are the same image at the same place, drawn alike. */
int		 graphics_seq_same(const struct graphics_rect *,
		     const struct graphics_rect *);
/* Whether r is among the n rectangles of set. */
int		 graphics_seq_has(const struct graphics_rect *set, size_t n,
		     const struct graphics_rect *r);
/*
 * Whether a preview rows lines high whose top is at pane line top (0 is
 * the pane's first line, negative above it) is wholly in a pane h lines
 * high.
 */
int		 graphics_seq_visible(int top, int rows, int h);

#endif
