/* The member list of the selected room, grouped by role (power level). */
#include "curses.h"
#include "ui-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/log.h"
#include "haos/render.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

void
pane_members_free(struct ui *ui)
{
	member_rows_free(ui->mem, ui->nmem);
	ui->mem = NULL;
	ui->nmem = 0;
}

static void
pane_members_refresh(struct pane *p)
{
	struct ui		*ui = p->ui;
	struct haos_error	 err;

	pane_members_free(ui);
	if (ui->room_id == NULL)
		return;
	if (store_query_members(ui->store, ui->room_id, &ui->mem, &ui->nmem,
	    &err) == -1)
		log_warn("ui", "members: %s", err.msg);
}

/* The group of a member: power levels are the authority. */
static int
pane_members_group(const struct member_row *m)
{
	if (m->membership != NULL && strcmp(m->membership, "invite") == 0)
		return 3;
	if (m->membership == NULL || strcmp(m->membership, "join") != 0)
		return -1;
	if (m->power_level >= POWER_ADMIN)
		return 0;
	if (m->power_level >= POWER_MODERATOR)
		return 1;
	return 2;
}

static void
pane_members_draw(struct pane *p)
{
	static const char *const heads[] = { "ADMIN", "MODERATOR", "GUEST",
	    "INVITED" };
	struct ui		*ui = p->ui;
	const struct theme	*t = &ui->theme;
	const struct member_row	*m;
	size_t			 i, count;
	int			 g, y = 0, x;
	char			 head[64];

	werase(p->win);
	ui_border_left(p);
	for (g = 0; g < 4 && y < p->r.h; g++) {
		for (count = 0, i = 0; i < ui->nmem; i++)
			count += pane_members_group(&ui->mem[i]) == g;
		if (count == 0)
			continue;
		if (y > 0)
			y++;
		snprintf(head, sizeof head, "%s - %zu", heads[g], count);
		ui_put_clean(p->win, y++, 2, p->r.w - 2, head,
		    t->role[TH_HEADING]);
		for (i = 0; i < ui->nmem && y < p->r.h; i++) {
			m = &ui->mem[i];
			if (pane_members_group(m) != g)
				continue;
			x = 2;
			x += ui_put(p->win, y, x, p->r.w - x,
			    m->displayname != NULL ? m->displayname :
			    m->user_id, g == 3 ? t->role[TH_DIM] :
			    theme_sender(t, render_sender_color(m->user_id,
			    t->nsenders)));
			y++;
		}
	}
}

const struct pane_ops pane_members_ops = {
	.draw = pane_members_draw,
	.key = NULL,
	.refresh = pane_members_refresh
};
