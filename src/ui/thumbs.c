/* Image previews of the timeline: which to fetch, and their symbols. */

/*
 * The UI side of previews.  Rendering asks thumbs_of() for each image
 * message of the page (render_opts.preview_of): the first time it is
 * only noted; drawing marks the messages on screen (thumbs_seen()); then
 * thumbs_pump() asks the net thread (client_thumbnail()) for the files
 * of those on screen, newest first, THUMBS_INFLIGHT at a time, so a long
 * page never fetches what nobody looks at.  When a file arrives it is
 * decoded at once (preview.c: bounded, a few ms for a thumbnail) into
 * symbols (or, for kitty and sixel, the image graphics.c writes) kept
 * here, and the page is rendered again; a failure keeps
 * its reason for the placeholder line.  A new width decodes the file
 * again.  At most THUMBS_MAX entries: the least recently drawn go.
 */
#include "curses.h"
#include "ui-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/config.h"
#include "haos/error.h"
#include "haos/log.h"
#include "haos/preview.h"
#include "haos/xmalloc.h"

#define THUMBS_INFLIGHT	3
#define THUMBS_MAX	64
#define THUMBS_PX_W	8	/* pixels a cell asks the server for */
#define THUMBS_PX_H	16

enum thumb_state {
	THUMB_WANT = 0,		/* not asked for yet */
	THUMB_FETCHING,
	THUMB_READY,		/* the file is there, pv drawn */
	THUMB_FAILED		/* why says why */
};

struct thumb {
	char			*event_id;
	char			*content;
	enum thumb_state	 state;
	char			*path;
	struct preview		*pv;
	int			 cols;		/* pv made for this width */
	char			*why;
	unsigned long		 seen;		/* drawn in this frame */
	unsigned long		 order;		/* rendered in this order */
};

struct thumbs {
	struct thumb		*t;
	size_t			 n;
	int			 inflight;
	unsigned long		 frame, order;
};

struct thumbs_done {
	struct ui	*ui;
	char		*event_id;
};

static struct thumbs *
thumbs_get(struct ui *ui)
{
	if (ui->thumbs == NULL)
		ui->thumbs = xcalloc(1, sizeof *ui->thumbs);
	return ui->thumbs;
}

static struct thumb *
thumbs_find(struct thumbs *ts, const char *event_id)
{
	size_t	 i;

	for (i = 0; i < ts->n; i++) {
		if (strcmp(ts->t[i].event_id, event_id) == 0)
			return &ts->t[i];
	}
	return NULL;
}

static void
thumbs_clear(struct thumb *t)
{
	free(t->event_id);
	free(t->content);
	free(t->path);
	free(t->why);
	preview_free(t->pv);
}

/* Room for one more: the least recently drawn that is not out goes. */
static void
thumbs_room(struct thumbs *ts)
{
	size_t	 i, old = ts->n;

	if (ts->n < THUMBS_MAX)
		return;
	for (i = 0; i < ts->n; i++) {
		if (ts->t[i].state == THUMB_FETCHING)
			continue;
		if (old == ts->n || ts->t[i].seen < ts->t[old].seen)
			old = i;
	}
	if (old == ts->n)
		return;
	thumbs_clear(&ts->t[old]);
	ts->t[old] = ts->t[--ts->n];
}

static void
thumbs_fail(struct thumb *t, const char *why)
{
	t->state = THUMB_FAILED;
	free(t->why);
	t->why = xstrdup(why);
	preview_free(t->pv);
	t->pv = NULL;
}

/* Symbols of t's file at cols x the configured lines. */
static void
thumbs_decode(struct ui *ui, struct thumb *t, int cols)
{
	struct haos_error	 err;

	enum preview_mode	 mode = graphics_mode(ui);
	int			 cw, ch;

	preview_free(t->pv);
	t->cols = cols;
	if (mode == PREVIEW_SIXEL || mode == PREVIEW_KITTY) {
		graphics_cell(ui, &cw, &ch);
		t->pv = preview_pixels(t->path, cols,
		    ui->cfg->ui_image_preview_lines, mode, cw, ch, &err);
	} else
		t->pv = preview_file(t->path, cols,
		    ui->cfg->ui_image_preview_lines, ui->theme.colors,
		    ui->theme.ascii, &err);
	if (t->pv == NULL && err.code == HAOS_EIO) {
		/* The file left the cache (evicted): fetched again. */
		t->state = THUMB_WANT;
	} else if (t->pv == NULL) {
		log_info("ui", "preview unavailable: %s", err.msg);
		thumbs_fail(t, err.msg);
	}
}

/* render_opts.preview_of (render.h). */
int
thumbs_of(void *arg, const struct event_row *ev, int cols,
    const struct preview **pv, const char **why)
{
	struct ui	*ui = arg;
	struct thumbs	*ts;
	struct thumb	*t;

	if (!preview_enabled(ui->cfg->ui_image_preview) || ev->event_id ==
	    NULL || ev->content == NULL || cols < 1 ||
	    ev->echo != OUTBOX_NONE)
		return 0;
	ts = thumbs_get(ui);
	if ((t = thumbs_find(ts, ev->event_id)) == NULL) {
		thumbs_room(ts);
		if (ts->n == THUMBS_MAX)
			return 0;
		ts->t = xrealloc(ts->t, (ts->n + 1) * sizeof *ts->t);
		t = &ts->t[ts->n++];
		memset(t, 0, sizeof *t);
		t->event_id = xstrdup(ev->event_id);
		t->content = xstrdup(ev->content);
	}
	t->order = ++ts->order;
	if (t->state == THUMB_READY && t->cols != cols)
		thumbs_decode(ui, t, cols);
	switch (t->state) {
	case THUMB_READY:
		*pv = t->pv;
		return 1;
	case THUMB_FAILED:
		*why = t->why;
		return 2;
	default:
		return 0;
	}
}

/* The preview drawn for event_id, or NULL (graphics.c places it). */
struct preview *
thumbs_preview(struct ui *ui, const char *event_id)
{
	struct thumb	*t;

	if (ui->thumbs == NULL || event_id == NULL ||
	    (t = thumbs_find(ui->thumbs, event_id)) == NULL ||
	    t->state != THUMB_READY)
		return NULL;
	return t->pv;
}

/* Drawing shows event_id's lines (pane-messages.c). */
void
thumbs_seen(struct ui *ui, const char *event_id)
{
	struct thumb	*t;

	if (ui->thumbs == NULL || event_id == NULL)
		return;
	if ((t = thumbs_find(ui->thumbs, event_id)) != NULL)
		t->seen = ui->thumbs->frame;
}

static void
thumbs_done(void *arg, const struct client_result *res)
{
	struct thumbs_done	*d = arg;
	struct ui		*ui = d->ui;
	struct thumb		*t;

	if (ui->thumbs == NULL)
		return;
	ui->thumbs->inflight--;
	if ((t = thumbs_find(ui->thumbs, d->event_id)) == NULL)
		return;
	if (res->cancelled) {
		t->state = THUMB_WANT;
		return;
	}
	if (!res->ok || res->body == NULL) {
		/* The server's words go through the sanitiser when drawn. */
		thumbs_fail(t, res->err != NULL && res->err->http_status != 0 ?
		    "the server has no thumbnail" : res->err != NULL ?
		    res->err->msg : "no file");
	} else {
		free(t->path);
		t->path = xstrdup(res->body);
		t->state = THUMB_READY;
		t->cols = -1;	/* the render decodes it at its width */
	}
	pane_messages_rewrap(ui);
	thumbs_pump(ui);
}

static void
thumbs_done_free(void *arg)
{
	struct thumbs_done	*d = arg;

	free(d->event_id);
	free(d);
}

/* After a frame: ask for the files of what it showed, newest first. */
void
thumbs_pump(struct ui *ui)
{
	struct thumbs		*ts = ui->thumbs;
	struct thumbs_done	*d;
	struct thumb		*t, *best;
	size_t			 i;
	int			 w, h;

	if (ts == NULL || ui->cfg->ui_image_preview_lines < 1)
		return;
	while (ts->inflight < THUMBS_INFLIGHT) {
		best = NULL;
		for (i = 0; i < ts->n; i++) {
			t = &ts->t[i];
			if (t->state == THUMB_WANT && t->seen == ts->frame &&
			    (best == NULL || t->order > best->order))
				best = t;
		}
		if (best == NULL)
			break;
		/* Synapse's scaled sizes: 320x240, 640x480, 800x600. */
		w = ui->messages.r.w * THUMBS_PX_W;
		h = ui->cfg->ui_image_preview_lines * THUMBS_PX_H;
		if (w <= 320 && h <= 240)
			w = 320, h = 240;
		else if (w <= 640 && h <= 480)
			w = 640, h = 480;
		else
			w = 800, h = 600;
		best->state = THUMB_FETCHING;
		ts->inflight++;
		d = xcalloc(1, sizeof *d);
		d->ui = ui;
		d->event_id = xstrdup(best->event_id);
		client_thumbnail(ui->ctx.client, best->content,
		    ui->preview_dir, w, h, (struct client_done){ thumbs_done,
		    d, thumbs_done_free });
	}
}

/* A frame begins: what it draws is marked anew. */
void
thumbs_frame(struct ui *ui)
{
	if (ui->thumbs != NULL)
		ui->thumbs->frame++;
}

void
thumbs_free(struct ui *ui)
{
	size_t	 i;

	if (ui->thumbs == NULL)
		return;
	for (i = 0; i < ui->thumbs->n; i++)
		thumbs_clear(&ui->thumbs->t[i]);
	free(ui->thumbs->t);
	free(ui->thumbs);
	ui->thumbs = NULL;
}
