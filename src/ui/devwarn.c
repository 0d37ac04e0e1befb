/* Refused devices: told in the status line once, marked in the members. */
#include "curses.h"
#include "ui-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/log.h"
#include "haos/notify.h"
#include "haos/render.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define DEVWARN_SHOWN	3	/* new warnings told one by one, at most */

/*
 * The device warnings as last read from the store (newest first), so
 * that only new ones are told; opaque outside this file.  The first read
 * of a run tells those from before the start, once.
 */
struct devwarn_state {
	struct device_warning	*w;
	size_t			 n;
};

/* Free the warnings read. */
void
devwarn_free(struct ui *ui)
{
	if (ui->devwarn_st == NULL)
		return;
	device_warnings_free(ui->devwarn_st->w, ui->devwarn_st->n);
	free(ui->devwarn_st);
	ui->devwarn_st = NULL;
}

/* Tell the new warnings: the newest first, as errors are joined. */
static void
devwarn_tell(struct ui *ui, const struct device_warning *w,
    const size_t *idx, size_t n)
{
	size_t	 i, shown = n < DEVWARN_SHOWN ? n : DEVWARN_SHOWN;
	char	*text;

	/* Each message goes before the last: the oldest told first. */
	if (n > shown)
		ui_message(ui, 1, "%s %zu more devices refused: their owners "
		    "are marked in the member list", ui->theme.ascii ? "!" :
		    "\xe2\x9a\xa0", n - shown);
	for (i = shown; i > 0; i--) {
		text = render_warn_status(&w[idx[i - 1]], ui->theme.ascii);
		ui_message(ui, 1, "%s", text);	/* sanitised there */
		free(text);
	}
}

/*
 * Read the warnings again when the device lists may have changed
 * (NOTIFY_MEMBERS) and on the first call; tell the new ones, and draw
 * the member list again with its marks.
 */
void
devwarn_refresh(struct ui *ui, unsigned int bits)
{
	struct devwarn_state	*ds = ui->devwarn_st;
	struct device_warning	*w;
	struct haos_error	 err;
	size_t			*idx, n, fresh;

	if (ds != NULL && !(bits & NOTIFY_MEMBERS))
		return;
	if (store_device_warnings(ui->store, NULL, &w, &n, &err) == -1) {
		log_warn("ui", "device warnings: %s", err.msg);
		return;
	}
	if (ds == NULL)
		ds = ui->devwarn_st = xcalloc(1, sizeof *ds);
	idx = xcalloc(n + 1, sizeof *idx);
	fresh = render_warn_fresh(ds->w, ds->n, w, n, idx);
	if (fresh > 0) {
		devwarn_tell(ui, w, idx, fresh);
		ui->members.dirty = 1;
	}
	free(idx);
	device_warnings_free(ds->w, ds->n);
	ds->w = w;
	ds->n = n;
}

/* Whether a device of user_id was refused (the member list's mark). */
int
devwarn_marked(struct ui *ui, const char *user_id)
{
	const struct devwarn_state	*ds = ui->devwarn_st;
	size_t				 i;

	for (i = 0; ds != NULL && i < ds->n; i++) {
		if (strcmp(ds->w[i].user_id, user_id) == 0)
			return 1;
	}
	return 0;
}
