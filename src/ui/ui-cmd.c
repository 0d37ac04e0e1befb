/* The client side of the command layer: actions, overlays, print sink. */
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include "curses.h"
#include "ui-int.h"

#include "haos/client.h"
#include "haos/editor.h"
#include "haos/files.h"
#include "haos/paste.h"
#include "haos/xmalloc.h"


void
ui_print(void *arg, int is_error, const char *msg)
{
	ui_message(arg, is_error, "%s", msg);
}

/* select-server N|next|prev: N counts from Direct Messages as 1. */
static int
ui_cmd_server(struct ui *ui, enum ui_action act, const char *arg)
{
	int	 i, n = (int)pane_rail_count(ui);

	if (n == 0)
		return -1;
	if (act != UI_ACT_SELECT_SERVER) {
		i = pane_rail_index(ui);
		i = ((i + (act == UI_ACT_SELECT_SERVER_NEXT ? 1 : -1)) % n +
		    n) % n;
		ui_select_server(ui, pane_rail_id(ui, (size_t)i));
		return 0;
	}
	if (arg == NULL)
		arg = "";
	i = pane_rail_nth(ui, (int)strtol(arg, NULL, 10));
	if (i < 0) {
		ui_message(ui, 1, "no server %s", arg);
		return -1;
	}
	ui_select_server(ui, pane_rail_id(ui, (size_t)i));
	return 0;
}

static void
ui_help(struct ui *ui)
{
	char	**k, **c, **all;
	size_t	 nk, nc, i, n = 0;

	nk = keys_help(ui, &k);
	nc = cmd_help_lines(NULL, &c);
	all = xcalloc(nk + nc + 2, sizeof *all);
	for (i = 0; i < nk; i++)
		all[n++] = k[i];
	all[n++] = xstrdup("Commands (type / then Tab to complete):");
	for (i = 0; i < nc; i++)
		all[n++] = xasprintf("  %s", c[i]);
	overlay_show(ui, "haos help", all, n);
	for (i = 0; i < n; i++)
		free(all[i]);
	for (i = 0; i < nc; i++)
		free(c[i]);
	free(all);
	free(k);
	free(c);
}

/* toggle rail|members: flip the pane; back to automatic when that fits. */
static int
ui_toggle(struct ui *ui, enum ui_action act)
{
	struct layout_prefs	 autop;
	struct layout		 autol;
	int			*pref, rail = act == UI_ACT_TOGGLE_RAIL;

	pref = rail ? &ui->prefs.rail : &ui->prefs.members;
	*pref = rail ? ui->lay.rail.w == 0 : ui->lay.members.w == 0;
	/* Back to what the size rule gives: automatic again. */
	autop = ui->prefs;
	autop.rail = autop.members = -1;
	layout_compute(LINES, COLS, &autop, &autol);
	if (*pref == (rail ? autol.rail.w > 0 : autol.members.w > 0))
		*pref = -1;
	ui->full_redraw |= UI_RELAYOUT;
	return 0;
}

/* What commands ask of the client (struct cmd_ui_ops): one action. */
static int
ui_action(void *arg, enum ui_action act, const char *param)
{
	struct ui	*ui = arg;

	switch (act) {
	case UI_ACT_GOTO:
		ui_select_room(ui, param);
		return 0;
	case UI_ACT_FOLLOW:
		ui_select_follow(ui, param);
		return 0;
	case UI_ACT_HELP:
		ui_help(ui);
		return 0;
	case UI_ACT_RELOGIN:
		if (!ui->auth_failed) {
			cmd_error(&ui->ctx, "already logged in as %s",
			    ui->user_id);
			return -1;
		}
		relogin_begin(ui);
		return 0;
	case UI_ACT_CROSSSIGN:
		relogin_crosssign(ui);
		return 0;
	case UI_ACT_INPUT_KILL_END_OR_SWITCHER:
		if (editor_cursor(ui->ed) < strlen(editor_text(ui->ed)))
			return pane_input_action(ui, UI_ACT_INPUT_KILL_END);
		switcher_open(ui);
		return 0;
	case UI_ACT_INPUT_END:
		pane_messages_scroll(ui, UI_ACT_SCROLL_BOTTOM);
		return pane_input_action(ui, act);
	case UI_ACT_INPUT_HOME:
	case UI_ACT_INPUT_LEFT:
	case UI_ACT_INPUT_RIGHT:
	case UI_ACT_INPUT_WORD_LEFT:
	case UI_ACT_INPUT_WORD_RIGHT:
	case UI_ACT_INPUT_BACKSPACE:
	case UI_ACT_INPUT_DELETE:
	case UI_ACT_INPUT_KILL_WORD:
	case UI_ACT_INPUT_KILL_START:
	case UI_ACT_INPUT_KILL_END:
	case UI_ACT_INPUT_YANK:
	case UI_ACT_INPUT_NEWLINE:
	case UI_ACT_INPUT_COMPLETE:
	case UI_ACT_INPUT_HISTORY_PREV:
	case UI_ACT_INPUT_HISTORY_NEXT:
	case UI_ACT_INPUT_ENTER:
	case UI_ACT_INPUT_EDITOR:
		return pane_input_action(ui, act);
	case UI_ACT_MARK_READ:
		if (ui->room_id != NULL)
			ui_mark_read_newest(ui, ui->room_id);
		return 0;
	case UI_ACT_MESSAGE_COPY:
	case UI_ACT_MESSAGE_OPEN:
	case UI_ACT_MESSAGE_DETAILS:
	case UI_ACT_MESSAGE_EDIT:
	case UI_ACT_MESSAGE_DELETE:
	case UI_ACT_MESSAGE_REPLY:
	case UI_ACT_MESSAGE_THREAD:
	case UI_ACT_MESSAGE_REACT:
		return pane_messages_action(ui, act);
	case UI_ACT_MEMBERS_FOCUS:
		/* Selecting a member shows the member list. */
		if (ui->lay.members.w == 0) {
			ui->prefs.members = 1;
			ui->full_redraw |= UI_RELAYOUT;
		}
		return pane_members_action(ui, act);
	case UI_ACT_MEMBERS_UP:
	case UI_ACT_MEMBERS_DOWN:
	case UI_ACT_MEMBERS_FIRST:
	case UI_ACT_MEMBERS_LAST:
	case UI_ACT_MEMBERS_EXIT:
	case UI_ACT_MEMBERS_KICK:
	case UI_ACT_MEMBERS_BAN:
	case UI_ACT_MEMBERS_ROLE:
	case UI_ACT_MEMBERS_DM:
	case UI_ACT_MEMBERS_PROFILE:
		return pane_members_action(ui, act);
	case UI_ACT_REDRAW:
		ui->full_redraw |= UI_REPAINT;
		return 0;
	case UI_ACT_SCROLL_UP:
	case UI_ACT_SCROLL_DOWN:
	case UI_ACT_SCROLL_TOP:
	case UI_ACT_SCROLL_BOTTOM:
		return pane_messages_scroll(ui, act);
	case UI_ACT_SELECT_CHANNEL_NEXT:
	case UI_ACT_SELECT_CHANNEL_PREV:
		pane_channels_move(ui, act == UI_ACT_SELECT_CHANNEL_PREV ?
		    -1 : 1);
		return 0;
	case UI_ACT_SELECT_MESSAGE:
	case UI_ACT_SELECT_MESSAGE_UP:
	case UI_ACT_SELECT_MESSAGE_DOWN:
	case UI_ACT_SELECT_MESSAGE_EXIT:
		return pane_messages_select(ui, act);
	case UI_ACT_SELECT_SERVER:
	case UI_ACT_SELECT_SERVER_NEXT:
	case UI_ACT_SELECT_SERVER_PREV:
		return ui_cmd_server(ui, act, param);
	case UI_ACT_SWITCHER:
		switcher_open(ui);
		return 0;
	case UI_ACT_TOGGLE_RAIL:
	case UI_ACT_TOGGLE_MEMBERS:
		return ui_toggle(ui, act);
	case UI_ACT_LOCKS:
		ui->locks = param == NULL ? !ui->locks :
		    strcmp(param, "on") == 0;
		ui->messages.stale = 1;
		ui->messages.dirty = 1;
		ui_message(ui, 0, "message locks %s", ui->locks ? "on" :
		    "off");
		return 0;
	case UI_ACT_NONE:
		break;
	}
	ui_message(ui, 1, "not available here");
	return -1;
}

static void
ui_show(void *arg, const char *title, char **lines, size_t n)
{
	overlay_show(arg, title, lines, n);
}

/* Show lines to choose from; Enter on line i runs cmds[i]. */
static void
ui_pick(void *arg, const char *title, char **lines, char **cmds, size_t n)
{
	overlay_pick(arg, title, lines, cmds, n);
}

/* Put a yes/no question on the status line; the next key answers it. */
static void
ui_ask(void *arg, const char *question, const char *yes)
{
	struct ui	*ui = arg;

	free(ui->ask_yes);
	ui->ask_yes = xstrdup(yes);
	ui_message(ui, 0, "%s", question);
}

/*
 * A paste that is one existing file's path: "upload NAME (SIZE)? y/n",
 * whose y runs /upload PATH; any other answer inserts the text as it
 * was pasted.  0 if the paste is no such path.
 */
int
ui_cmd_ask_paste(struct ui *ui, const char *paste)
{
	struct stat	 sb;
	const char	*base;
	char		*path, *arg, *yes, *size, *q;

	if ((path = paste_file_path(paste)) == NULL)
		return 0;
	if (stat(path, &sb) == -1) {
		free(path);
		return 0;
	}
	base = strrchr(path, '/') + 1;
	arg = paste_cmd_arg(path);
	yes = xasprintf("upload %s", arg);
	size = files_human_size((int64_t)sb.st_size);
	q = xasprintf("upload %s (%s)? y/n", base, size);
	ui_ask(ui, q, yes);
	free(ui->ask_paste);
	ui->ask_paste = xstrdup(paste);
	free(q);
	free(size);
	free(yes);
	free(arg);
	free(path);
	return 1;
}

/*
 * The answer to an open question: y or Y runs its command in the room
 * selected now, any other key drops it (a pasted path's question puts
 * the paste into the draft instead).  A question no longer on the
 * status line (shown long enough) is dropped unanswered, so a key typed
 * without seeing it is never a yes.  Esc while a transfer is under way
 * cancels it instead.  Returns 1 if the key was used.
 */
int
ui_cmd_answer(struct ui *ui, int key, const char *paste)
{
	struct client_progress	 dl;
	char			*yes = ui->ask_yes, *txn, *pasted;
	enum cmd_retval		 rv;

	/*
	 * Esc while a download's bar is shown stops it; else an upload's
	 * (its message fails "cancelled": /retry or discard it).
	 */
	if (key == 27 && paste == NULL &&
	    client_download_progress(ui->ctx.client, &dl)) {
		client_download_cancel(ui->ctx.client, dl.tag);
		return 1;
	}
	if (key == 27 && paste == NULL &&
	    client_upload_progress(ui->ctx.client, &dl, &txn)) {
		client_upload_cancel(ui->ctx.client, txn);
		free(txn);
		return 1;
	}
	if (yes == NULL)
		return 0;
	ui->ask_yes = NULL;
	pasted = ui->ask_paste;
	ui->ask_paste = NULL;
	if (paste != NULL || !statusbar_message_live(ui)) {
		/* A pasted path not answered: the text, as pasted. */
		if (pasted != NULL)
			ui_paste_insert(ui, pasted);
		free(pasted);
		free(yes);
		return 0;
	}
	if (pasted != NULL && key != 'y' && key != 'Y') {
		ui_paste_insert(ui, pasted);
		ui_message(ui, 0, "pasted as text");
		free(pasted);
		free(yes);
		return 1;
	}
	free(pasted);
	if (key == 'y' || key == 'Y') {
		ui->ctx.server_id = ui->server_id;
		ui->ctx.room_id = ui->room_id;
		rv = cmd_run_string(&ui->ctx, yes);
		if (rv == CMD_RETURN_QUIT)
			ui->quit = 1;
	} else
		ui_message(ui, 0, "cancelled: nothing was done");
	free(yes);
	return 1;
}

/* What commands may ask of the client. */
const struct cmd_ui_ops ui_cmd_ops = {
	.action = ui_action,
	.show = ui_show,
	.pick = ui_pick,
	.ask = ui_ask,
	.secret = askpass_begin
};
