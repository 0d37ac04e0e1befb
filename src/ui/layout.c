/* Pane rectangles from the terminal size: pure arithmetic, no curses. */
#include "haos/layout.h"

#include <string.h>

/* Column widths of the side panes and the thresholds that fold them. */
#define LAYOUT_WIDE		120	/* rail, channels and members */
#define LAYOUT_MEDIUM		60	/* channels; rail/members by toggle */
#define LAYOUT_RAIL_W		6	/* 2-3 letter badges and a border */
#define LAYOUT_SIDE_W		20	/* channels and members, 60-159 cols */
#define LAYOUT_SIDE_WIDE_W	24	/* channels and members, >= 160 cols */
#define LAYOUT_MIN_MESSAGES	20	/* a toggle never squeezes below this */

/* Rows at which the optional lines appear. */
#define LAYOUT_STATUS_ROWS	3
#define LAYOUT_TOPIC_ROWS	5
#define LAYOUT_TYPING_ROWS	8

static void
layout_set(struct rect *r, int y, int x, int h, int w)
{
	if (h <= 0 || w <= 0) {
		memset(r, 0, sizeof *r);
		return;
	}
	r->y = y;
	r->x = x;
	r->h = h;
	r->w = w;
}

/* Whether a side pane shows: auto by the size rule, else the wish. */
static int
layout_want(int pref, int automatic)
{
	if (pref < 0)
		return automatic;
	return pref != 0;
}

/*
 * Rows, top to bottom: topic, the panes, status, typing, input.  Columns
 * of the pane row, left to right: rail, channels, messages, members.
 * Small terminals drop lines in the order typing, topic, status; the
 * input line and one message row are the last to go.
 */
void
layout_compute(int lines, int cols, const struct layout_prefs *prefs,
    struct layout *lo)
{
	int	 topic_h, status_h, typing_h, input_h, body_h, body_y;
	int	 rail_w = 0, chan_w = 0, memb_w = 0, side_w, msg_w, x;
	int	 want_lines, rail, members;

	memset(lo, 0, sizeof *lo);
	if (lines <= 0 || cols <= 0)
		return;

	want_lines = prefs != NULL ? prefs->input_lines : 1;
	if (want_lines < 1)
		want_lines = 1;
	input_h = lines / 3 > 1 ? lines / 3 : 1;
	if (want_lines < input_h)
		input_h = want_lines;
	if (input_h > lines)
		input_h = lines;
	status_h = lines >= LAYOUT_STATUS_ROWS ? 1 : 0;
	topic_h = lines >= LAYOUT_TOPIC_ROWS && cols >= LAYOUT_MEDIUM ? 1 : 0;
	typing_h = lines >= LAYOUT_TYPING_ROWS ? 1 : 0;
	body_h = lines - input_h - status_h - topic_h - typing_h;
	if (body_h < 0)
		body_h = 0;
	body_y = topic_h;

	layout_set(&lo->topic, 0, 0, topic_h, cols);
	layout_set(&lo->status, body_y + body_h, 0, status_h, cols);
	layout_set(&lo->typing, body_y + body_h + status_h, 0, typing_h, cols);
	layout_set(&lo->input, lines - input_h, 0, input_h, cols);

	side_w = cols >= 160 ? LAYOUT_SIDE_WIDE_W : LAYOUT_SIDE_W;
	rail = layout_want(prefs != NULL ? prefs->rail : -1,
	    cols >= LAYOUT_WIDE);
	members = layout_want(prefs != NULL ? prefs->members : -1,
	    cols >= LAYOUT_WIDE);
	if (cols >= LAYOUT_MEDIUM)
		chan_w = side_w;
	if (rail && cols - chan_w - LAYOUT_RAIL_W >= LAYOUT_MIN_MESSAGES)
		rail_w = LAYOUT_RAIL_W;
	if (members &&
	    cols - chan_w - rail_w - side_w >= LAYOUT_MIN_MESSAGES)
		memb_w = side_w;
	msg_w = cols - rail_w - chan_w - memb_w;

	if (body_h == 0)
		return;
	x = 0;
	layout_set(&lo->rail, body_y, x, body_h, rail_w);
	x += rail_w;
	layout_set(&lo->channels, body_y, x, body_h, chan_w);
	x += chan_w;
	layout_set(&lo->messages, body_y, x, body_h, msg_w);
	x += msg_w;
	layout_set(&lo->members, body_y, x, body_h, memb_w);
}
