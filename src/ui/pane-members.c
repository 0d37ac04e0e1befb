/* The member list of the selected room, grouped by role (power level). */
#include "curses.h"
#include "ui-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/editor.h"
#include "haos/matrix.h"
#include "haos/log.h"
#include "haos/render.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/*
 * The member list's own data: the members of the selected room as the
 * store gave them, and the member selection.  Opaque outside this file.
 */
struct members_state {
	struct member_row	*mem;
	size_t			 nmem;
	int			 focus;		/* keys act on a member */
	size_t			 sel;		/* in display order */
};

static int	pane_members_group(const struct member_row *);

/* The pane's state, made on first use. */
static struct members_state *
pane_members_state(struct ui *ui)
{
	if (ui->members_st == NULL)
		ui->members_st = xcalloc(1, sizeof *ui->members_st);
	return ui->members_st;
}

static void
pane_members_clear(struct members_state *ms)
{
	member_rows_free(ms->mem, ms->nmem);
	ms->mem = NULL;
	ms->nmem = 0;
}

/* Free the pane's state. */
void
pane_members_free(struct ui *ui)
{
	if (ui->members_st == NULL)
		return;
	pane_members_clear(ui->members_st);
	free(ui->members_st);
	ui->members_st = NULL;
}

/* The members of the selected room (display names for everyone). */
const struct member_row *
pane_members_list(struct ui *ui, size_t *n)
{
	struct members_state	*ms = pane_members_state(ui);

	*n = ms->nmem;
	return ms->mem;
}

/* Whether keys act on the selected member (KEYMODE_MEMBERS). */
int
pane_members_focused(struct ui *ui)
{
	return ui->members_st != NULL && ui->members_st->focus;
}

static void
pane_members_refresh(struct pane *p)
{
	struct ui		*ui = p->ui;
	struct members_state	*ms = pane_members_state(ui);
	struct haos_error	 err;

	pane_members_clear(ms);
	if (ui->room_id == NULL)
		return;
	if (store_query_members(ui->store, ui->room_id, &ms->mem, &ms->nmem,
	    &err) == -1)
		log_warn("ui", "members: %s", err.msg);
	readstate_presence_load(ui);
}

/* A presence dot before a name: online, away (unavailable), offline. */
static void
pane_members_presence(struct ui *ui, WINDOW *w, int y, int x,
    const char *user_id)
{
	const struct theme	*t = &ui->theme;
	const char		*p = readstate_presence(ui, user_id);

	if (p == NULL)
		return;
	if (strcmp(p, "online") == 0)
		ui_put_clean(w, y, x, 1, t->ascii ? "*" : "\xe2\x97\x8f",
		    t->role[TH_ACCENT]);
	else if (strcmp(p, "unavailable") == 0)
		ui_put_clean(w, y, x, 1, t->ascii ? "~" : "\xe2\x97\x90",
		    t->role[TH_MENTION]);
	else
		ui_put_clean(w, y, x, 1, t->ascii ? "-" : "\xe2\x97\x8b",
		    t->role[TH_DIM]);
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

/*
 * The members in display order (ADMIN, MODERATOR, GUEST, INVITED, as
 * drawn); *n of them.  The caller frees the array of indexes.
 */
static size_t *
pane_members_order(struct ui *ui, size_t *n)
{
	struct members_state	*ms = pane_members_state(ui);
	size_t			*idx, i;
	int			 g;

	idx = xcalloc(ms->nmem + 1, sizeof *idx);
	*n = 0;
	for (g = 0; g < 4; g++) {
		for (i = 0; i < ms->nmem; i++) {
			if (pane_members_group(&ms->mem[i]) == g)
				idx[(*n)++] = i;
		}
	}
	return idx;
}

/* The selected member, or NULL when the member list has no focus. */
static const struct member_row *
pane_members_current(struct ui *ui)
{
	struct members_state	*ms = pane_members_state(ui);
	const struct member_row	*m = NULL;
	size_t			*idx, n;

	if (!ms->focus)
		return NULL;
	idx = pane_members_order(ui, &n);
	if (n > 0) {
		if (ms->sel >= n)
			ms->sel = n - 1;
		m = &ms->mem[idx[ms->sel]];
	}
	free(idx);
	return m;
}

static int
pane_members_selected(struct ui *ui, const struct member_row *m)
{
	return m != NULL && m == pane_members_current(ui);
}

/* The command word of each members action (messages, /kick lines). */
static const struct {
	enum ui_action	 action;
	const char	*word;
} pane_members_words[] = {
	{ UI_ACT_MEMBERS_FOCUS, "focus" },
	{ UI_ACT_MEMBERS_UP, "up" },
	{ UI_ACT_MEMBERS_DOWN, "down" },
	{ UI_ACT_MEMBERS_FIRST, "first" },
	{ UI_ACT_MEMBERS_LAST, "last" },
	{ UI_ACT_MEMBERS_EXIT, "exit" },
	{ UI_ACT_MEMBERS_KICK, "kick" },
	{ UI_ACT_MEMBERS_BAN, "ban" },
	{ UI_ACT_MEMBERS_ROLE, "role" },
	{ UI_ACT_MEMBERS_DM, "dm" },
	{ UI_ACT_MEMBERS_PROFILE, "profile" }
};

/*
 * Act on the member list: focus, move, exit, or act on the selected
 * member.  Kick, ban and role put the command in the input line so that
 * a reason (or the role) is typed and Enter confirms; dm and profile
 * run at once.
 */
int
pane_members_action(struct ui *ui, enum ui_action action)
{
	struct members_state	*ms = pane_members_state(ui);
	const struct member_row	*m;
	const char		*word;
	size_t			*idx, n, i;
	char			*line;

	idx = pane_members_order(ui, &n);
	free(idx);
	for (i = 0, word = NULL; i < nitems(pane_members_words); i++) {
		if (pane_members_words[i].action == action)
			word = pane_members_words[i].word;
	}
	if (action == UI_ACT_MEMBERS_FOCUS) {
		if (n == 0) {
			ui_message(ui, 1, "no members to select here");
			return -1;
		}
		ms->focus = 1;
		if (ms->sel >= n)
			ms->sel = 0;
		ui_message(ui, 0, "member: Up/Down (j) select, k kick, b ban, "
		    "r role, m DM, Enter profile, Esc back");
	} else if (action == UI_ACT_MEMBERS_EXIT)
		ms->focus = 0;
	else if (!ms->focus || n == 0) {
		ui_message(ui, 1, "members %s: select a member first (Alt+m)",
		    word != NULL ? word : "");
		return -1;
	} else if (action == UI_ACT_MEMBERS_UP) {
		if (ms->sel > 0)
			ms->sel--;
	} else if (action == UI_ACT_MEMBERS_DOWN) {
		if (ms->sel + 1 < n)
			ms->sel++;
	} else if (action == UI_ACT_MEMBERS_FIRST)
		ms->sel = 0;
	else if (action == UI_ACT_MEMBERS_LAST)
		ms->sel = n - 1;
	else if (action < UI_ACT_MEMBERS_KICK ||
	    action > UI_ACT_MEMBERS_PROFILE) {
		ui_message(ui, 1, "members: not an action on a member");
		return -1;
	} else {
		m = pane_members_current(ui);
		if (m == NULL || !matrix_valid_user_id(m->user_id)) {
			ui_message(ui, 1, "members: no valid member selected");
			return -1;
		}
		line = xasprintf("/%s %s ", word, m->user_id);
		if (action == UI_ACT_MEMBERS_DM ||
		    action == UI_ACT_MEMBERS_PROFILE) {
			ms->focus = 0;
			cmd_run_string(&ui->ctx, line + 1);
			free(line);
		} else {
			editor_set(ui->ed, line);
			free(line);
			ms->focus = 0;
			ui->input.dirty = 1;
			if (action == UI_ACT_MEMBERS_ROLE)
				ui_message(ui, 0, "role: type admin, moderator "
				    "or guest, then Enter");
			else
				ui_message(ui, 0, "%s: add a reason "
				    "(optional), then Enter", word);
		}
	}
	ui->members.dirty = 1;
	ui->status.dirty = 1;
	return 0;
}

static void
pane_members_draw(struct pane *p)
{
	static const char *const heads[] = { "ADMIN", "MODERATOR", "GUEST",
	    "INVITED" };
	struct ui		*ui = p->ui;
	struct members_state	*ms = pane_members_state(ui);
	const struct theme	*t = &ui->theme;
	const struct member_row	*m;
	const char		*st;
	size_t			 i, count;
	int			 g, y = 0, x;
	char			 head[64];

	werase(p->win);
	ui_border_left(p);
	for (g = 0; g < 4 && y < p->r.h; g++) {
		for (count = 0, i = 0; i < ms->nmem; i++)
			count += pane_members_group(&ms->mem[i]) == g;
		if (count == 0)
			continue;
		if (y > 0)
			y++;
		snprintf(head, sizeof head, "%s - %zu", heads[g], count);
		ui_put_clean(p->win, y++, 2, p->r.w - 2, head,
		    t->role[TH_HEADING]);
		for (i = 0; i < ms->nmem && y < p->r.h; i++) {
			m = &ms->mem[i];
			if (pane_members_group(m) != g)
				continue;
			x = 2;
			/* "● Bob" when the server tells presence. */
			if (readstate_presence_known(ui)) {
				pane_members_presence(ui, p->win, y, x,
				    m->user_id);
				x += 2;
			}
			x += ui_put(p->win, y, x, p->r.w - x,
			    m->displayname != NULL ? m->displayname :
			    m->user_id, pane_members_selected(ui, m) ?
			    t->role[TH_SELECTED] : g == 3 ? t->role[TH_DIM] :
			    theme_sender(t, render_sender_color(m->user_id,
			    t->nsenders)));
			/* "Bob ✓": verified; "Bob !": identity changed. */
			if (m->trust == MEMBER_TRUST_VERIFIED && x + 2 <
			    p->r.w)
				x += 1 + ui_put_clean(p->win, y, x + 1, 1,
				    t->ascii ? "v" : "\xe2\x9c\x93",
				    t->role[TH_ACCENT]);
			else if (m->trust == MEMBER_TRUST_CHANGED && x + 2 <
			    p->r.w)
				x += 1 + ui_put_clean(p->win, y, x + 1, 1, "!",
				    t->role[TH_MENTION]);
			/* "● Bob  in a meeting": the status message, dim. */
			st = readstate_status(ui, m->user_id);
			if (st != NULL && x + 4 < p->r.w)
				ui_put(p->win, y, x + 2, p->r.w - x - 2, st,
				    t->role[TH_DIM]);
			y++;
		}
	}
}

const struct pane_ops pane_members_ops = {
	.draw = pane_members_draw,
	.key = NULL,
	.refresh = pane_members_refresh
};
