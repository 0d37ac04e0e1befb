/* The input line: the editor's text, placeholder, cursor and actions. */
#include "curses.h"
#include "ui-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/editor.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"

#define INPUT_PROMPT	"> "

/* Lines of the draft (1 + newlines), for the layout. */
size_t
pane_input_lines(struct ui *ui)
{
	const char	*p;
	size_t		 n = 1;

	for (p = editor_text(ui->ed); *p != '\0'; p++)
		n += *p == '\n';
	return n;
}

/* Cells of s[0..len) (clean UTF-8). */
static int
pane_input_width(const char *s, size_t len)
{
	size_t	 off = 0, g;
	int	 w = 0, gw;

	while (off < len) {
		g = sanitize_grapheme(s + off, len - off, &gw);
		if (g == 0)
			break;
		w += gw;
		off += g;
	}
	return w;
}

/* Draw line s[0..len) from cell skip on, in at most maxw cells. */
static void
pane_input_put(WINDOW *w, int y, int x, const char *s, size_t len, int skip,
    int maxw)
{
	size_t	 off = 0, g, start;
	int	 cells = 0, gw;

	while (off < len && cells < skip) {
		g = sanitize_grapheme(s + off, len - off, &gw);
		if (g == 0)
			break;
		cells += gw;
		off += g;
	}
	start = off;
	cells = 0;
	while (off < len) {
		g = sanitize_grapheme(s + off, len - off, &gw);
		if (g == 0 || cells + gw > maxw)
			break;
		cells += gw;
		off += g;
	}
	wmove(w, y, x);
	ui_addtext(w, s + start, off - start);
}

/* Where the cursor is: line index and cell column within its line. */
static void
pane_input_where(struct ui *ui, int *line, int *col)
{
	const char	*t = editor_text(ui->ed), *ls = t;
	size_t		 cur = editor_cursor(ui->ed), i;

	*line = 0;
	for (i = 0; i < cur; i++) {
		if (t[i] == '\n') {
			(*line)++;
			ls = t + i + 1;
		}
	}
	*col = pane_input_width(ls, (size_t)(t + cur - ls));
}

static void
pane_input_draw(struct pane *p)
{
	struct ui		*ui = p->ui;
	const char		*t = editor_text(ui->ed), *ls, *nl;
	const struct ui_chan	*c;
	char			*ph;
	int			 cl, cc, first, y, line, pw, avail, skip;

	werase(p->win);
	if (relogin_draw(ui, p->win, p->r.w) ||
	    askpass_draw(ui, p->win, p->r.w))
		return;
	pw = (int)strlen(INPUT_PROMPT);
	ui_put_clean(p->win, 0, 0, pw, INPUT_PROMPT,
	    ui->theme.role[TH_ACCENT]);
	avail = p->r.w - pw - 1;
	if (*t == '\0') {
		c = pane_channels_find(ui, ui->room_id);
		ph = c == NULL ? xstrdup("Type /help for keys and commands") :
		    xasprintf("Message %s%s", c->dm ? "@" : "#", c->name);
		ui_put_clean(p->win, 0, pw, avail, ph, ui->theme.role[TH_DIM]);
		free(ph);
		return;
	}
	pane_input_where(ui, &cl, &cc);
	first = cl - p->r.h + 1;
	if (first < 0)
		first = 0;
	for (line = 0, y = 0, ls = t; ls != NULL && y < p->r.h; line++) {
		nl = strchr(ls, '\n');
		if (line >= first) {
			skip = 0;
			if (line == cl && cc >= avail)
				skip = cc - avail + 1;
			pane_input_put(p->win, y, pw, ls, nl != NULL ?
			    (size_t)(nl - ls) : strlen(ls), skip, avail);
			y++;
		}
		ls = nl != NULL ? nl + 1 : NULL;
	}
}

/* Put the terminal cursor where the editor's cursor is. */
void
pane_input_cursor(struct ui *ui)
{
	struct pane	*p = &ui->input;
	int		 cl, cc, first, avail, pw = (int)strlen(INPUT_PROMPT);

	if (p->win == NULL)
		return;
	avail = p->r.w - pw - 1;
	pane_input_where(ui, &cl, &cc);
	first = cl - p->r.h + 1;
	if (first < 0)
		first = 0;
	if (cc >= avail)
		cc = avail - 1;
	leaveok(p->win, FALSE);
	wmove(p->win, cl - first, pw + cc);
	wnoutrefresh(p->win);
}

/* Tab: candidates from the command layer (cmd_complete), then the editor. */
static void
pane_input_complete(struct ui *ui)
{
	char	**c = NULL;
	size_t	 n, i, start;

	ui->ctx.server_id = ui->server_id;
	ui->ctx.room_id = ui->room_id;
	n = cmd_complete(&ui->ctx, editor_text(ui->ed), editor_cursor(ui->ed),
	    &c, &start);
	if (!editor_complete(ui->ed, (const char *const *)c, n))
		beep();
	for (i = 0; i < n; i++)
		free(c[i]);
	free(c);
}

/* Send the draft: a command or a message; keep it in the history. */
static void
pane_input_enter(struct ui *ui)
{
	char		*line;
	enum cmd_retval	 rv;
	char		*kept;

	line = xstrdup(editor_text(ui->ed));
	if (line[strspn(line, " \n")] == '\0') {
		free(line);
		return;
	}
	kept = cmd_history_line(line);
	editor_history_add(ui->ed, ui->room_id != NULL ? ui->room_id : "",
	    kept);
	free(kept);
	editor_clear(ui->ed);
	ui->ctx.server_id = ui->server_id;
	ui->ctx.room_id = ui->room_id;
	/* An edit, reply or thread reply under way takes the line. */
	if (conv_enter(ui, line))
		rv = CMD_RETURN_NORMAL;
	else {
		ui->ctx.event_id = conv_target(ui);
		rv = cmd_run_line(&ui->ctx, line);
		ui->ctx.event_id = NULL;
	}
	if (rv == CMD_RETURN_QUIT)
		ui->quit = 1;
	if (line[0] != '/' || line[1] == '/') {
		pane_messages_follow(ui);	/* show what I sent */
	}
	free(line);
}

/* input ACTION: the editing keys' commands. */
int
pane_input_action(struct ui *ui, enum ui_action a)
{
	struct editor	*e = ui->ed;
	const char	*room = ui->room_id != NULL ? ui->room_id : "";
	size_t		 before = pane_input_lines(ui);

	switch (a) {
	case UI_ACT_INPUT_HOME:
		editor_home(e);
		break;
	case UI_ACT_INPUT_END:
		editor_end(e);
		break;
	case UI_ACT_INPUT_LEFT:
		editor_left(e);
		break;
	case UI_ACT_INPUT_RIGHT:
		editor_right(e);
		break;
	case UI_ACT_INPUT_WORD_LEFT:
		editor_word_left(e);
		break;
	case UI_ACT_INPUT_WORD_RIGHT:
		editor_word_right(e);
		break;
	case UI_ACT_INPUT_BACKSPACE:
		editor_backspace(e);
		break;
	case UI_ACT_INPUT_DELETE:
		editor_delete(e);
		break;
	case UI_ACT_INPUT_KILL_WORD:
		editor_kill_word_back(e);
		break;
	case UI_ACT_INPUT_KILL_START:
		editor_kill_to_start(e);
		break;
	case UI_ACT_INPUT_KILL_END:
		editor_kill_to_end(e);
		break;
	case UI_ACT_INPUT_YANK:
		editor_yank(e);
		break;
	case UI_ACT_INPUT_NEWLINE:
		editor_insert(e, "\n");
		break;
	case UI_ACT_INPUT_COMPLETE:
		pane_input_complete(ui);
		break;
	case UI_ACT_INPUT_HISTORY_PREV:
		/* Up on an empty line edits my last message (Discord). */
		if (!conv_edit_last(ui))
			editor_history_prev(e, room);
		break;
	case UI_ACT_INPUT_HISTORY_NEXT:
		editor_history_next(e, room);
		break;
	case UI_ACT_INPUT_ENTER:
		pane_input_enter(ui);
		break;
	case UI_ACT_INPUT_EDITOR:
		compose_edit(ui);
		break;
	default:
		ui_message(ui, 1, "input: not an editing action");
		return -1;
	}
	if (pane_input_lines(ui) != before)
		ui->full_redraw |= 2;	/* the layout changes */
	ui->input.dirty = 1;
	return 0;
}

static void
pane_input_refresh(struct pane *p __unused)
{
}

const struct pane_ops pane_input_ops = {
	.draw = pane_input_draw,
	.key = NULL,
	.refresh = pane_input_refresh
};
