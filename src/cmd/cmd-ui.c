/* Client-only commands that keys bind to: navigation, panes, editing. */
#include "haos/cmd.h"

#include <stddef.h>
#include <string.h>

/*
 * The one parse of a client-only command's words.  word NULL: the
 * command without an argument; "*": any other word, passed on as the
 * action's parameter.  Rows of one command are together.
 */
static const struct {
	const char	*cmd;
	const char	*word;
	enum ui_action	 action;
} cmd_ui_table[] = {
	{ "input", "home", UI_ACT_INPUT_HOME },
	{ "input", "end", UI_ACT_INPUT_END },
	{ "input", "left", UI_ACT_INPUT_LEFT },
	{ "input", "right", UI_ACT_INPUT_RIGHT },
	{ "input", "word-left", UI_ACT_INPUT_WORD_LEFT },
	{ "input", "word-right", UI_ACT_INPUT_WORD_RIGHT },
	{ "input", "backspace", UI_ACT_INPUT_BACKSPACE },
	{ "input", "delete", UI_ACT_INPUT_DELETE },
	{ "input", "kill-word", UI_ACT_INPUT_KILL_WORD },
	{ "input", "kill-start", UI_ACT_INPUT_KILL_START },
	{ "input", "kill-end", UI_ACT_INPUT_KILL_END },
	{ "input", "kill-end-or-switcher", UI_ACT_INPUT_KILL_END_OR_SWITCHER },
	{ "input", "yank", UI_ACT_INPUT_YANK },
	{ "input", "newline", UI_ACT_INPUT_NEWLINE },
	{ "input", "complete", UI_ACT_INPUT_COMPLETE },
	{ "input", "history-prev", UI_ACT_INPUT_HISTORY_PREV },
	{ "input", "history-next", UI_ACT_INPUT_HISTORY_NEXT },
	{ "input", "enter", UI_ACT_INPUT_ENTER },
	{ "input", "editor", UI_ACT_INPUT_EDITOR },
	{ "mark-read", NULL, UI_ACT_MARK_READ },
	{ "members", "focus", UI_ACT_MEMBERS_FOCUS },
	{ "members", "up", UI_ACT_MEMBERS_UP },
	{ "members", "down", UI_ACT_MEMBERS_DOWN },
	{ "members", "first", UI_ACT_MEMBERS_FIRST },
	{ "members", "last", UI_ACT_MEMBERS_LAST },
	{ "members", "exit", UI_ACT_MEMBERS_EXIT },
	{ "members", "kick", UI_ACT_MEMBERS_KICK },
	{ "members", "ban", UI_ACT_MEMBERS_BAN },
	{ "members", "role", UI_ACT_MEMBERS_ROLE },
	{ "members", "dm", UI_ACT_MEMBERS_DM },
	{ "members", "profile", UI_ACT_MEMBERS_PROFILE },
	{ "message", "copy", UI_ACT_MESSAGE_COPY },
	{ "message", "open", UI_ACT_MESSAGE_OPEN },
	{ "message", "details", UI_ACT_MESSAGE_DETAILS },
	{ "message", "edit", UI_ACT_MESSAGE_EDIT },
	{ "message", "delete", UI_ACT_MESSAGE_DELETE },
	{ "message", "reply", UI_ACT_MESSAGE_REPLY },
	{ "message", "thread", UI_ACT_MESSAGE_THREAD },
	{ "message", "react", UI_ACT_MESSAGE_REACT },
	{ "redraw", NULL, UI_ACT_REDRAW },
	{ "scroll", "up", UI_ACT_SCROLL_UP },
	{ "scroll", "down", UI_ACT_SCROLL_DOWN },
	{ "scroll", "top", UI_ACT_SCROLL_TOP },
	{ "scroll", "bottom", UI_ACT_SCROLL_BOTTOM },
	{ "select-channel", "next", UI_ACT_SELECT_CHANNEL_NEXT },
	{ "select-channel", "prev", UI_ACT_SELECT_CHANNEL_PREV },
	{ "select-message", NULL, UI_ACT_SELECT_MESSAGE },
	{ "select-message", "up", UI_ACT_SELECT_MESSAGE_UP },
	{ "select-message", "down", UI_ACT_SELECT_MESSAGE_DOWN },
	{ "select-message", "exit", UI_ACT_SELECT_MESSAGE_EXIT },
	{ "select-server", "next", UI_ACT_SELECT_SERVER_NEXT },
	{ "select-server", "prev", UI_ACT_SELECT_SERVER_PREV },
	{ "select-server", "*", UI_ACT_SELECT_SERVER },
	{ "switcher", NULL, UI_ACT_SWITCHER },
	{ "toggle", "rail", UI_ACT_TOGGLE_RAIL },
	{ "toggle", "members", UI_ACT_TOGGLE_MEMBERS }
};

/* The action of command cmd with argument word (or NULL); UI_ACT_NONE. */
enum ui_action
cmd_ui_parse(const char *cmd, const char *word)
{
	size_t		 i;
	const char	*w;

	for (i = 0; i < nitems(cmd_ui_table); i++) {
		if (strcmp(cmd_ui_table[i].cmd, cmd) != 0)
			continue;
		w = cmd_ui_table[i].word;
		if (w == NULL ? word == NULL : word != NULL &&
		    (strcmp(w, word) == 0 || strcmp(w, "*") == 0))
			return cmd_ui_table[i].action;
	}
	return UI_ACT_NONE;
}

/* Turn the command's words into its action and pass that to the client. */
enum cmd_retval
cmd_ui_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char	*word = a->argc > 0 ? a->argv[0] : NULL;
	enum ui_action	 act;

	act = cmd_ui_parse(ctx->current->name, word);
	if (act == UI_ACT_NONE) {
		cmd_error(ctx, "%s: unknown action %s (%s)", ctx->current->name,
		    word != NULL ? word : "", ctx->current->usage);
		return CMD_RETURN_ERROR;
	}
	if (ctx->ui->action(ctx->ui_arg, act, word) == -1)
		return CMD_RETURN_ERROR;
	return CMD_RETURN_NORMAL;
}

const struct cmd_entry cmd_input_entry = {
	.name = "input",
	.args = { 1, 1 },
	.usage = "home|end|left|right|word-left|word-right|backspace|delete|"
	    "kill-word|kill-start|kill-end|yank|newline|complete|"
	    "history-prev|history-next|enter",
	.help = "Edit the input line (what the editing keys do)",
	.flags = CMD_UI,
	.exec = cmd_ui_exec
};

const struct cmd_entry cmd_mark_read_entry = {
	.name = "mark-read",
	.args = { 0, 0 },
	.usage = "",
	.help = "Mark the selected channel read up to its newest message",
	.flags = CMD_UI,
	.exec = cmd_ui_exec
};

const struct cmd_entry cmd_message_entry = {
	.name = "message",
	.args = { 1, 1 },
	.usage = "copy|open|details|edit|delete|reply|thread|react",
	.help = "Act on the selected message",
	.flags = CMD_UI,
	.exec = cmd_ui_exec
};

const struct cmd_entry cmd_redraw_entry = {
	.name = "redraw",
	.args = { 0, 0 },
	.usage = "",
	.help = "Repaint the whole screen",
	.flags = CMD_UI,
	.exec = cmd_ui_exec
};

const struct cmd_entry cmd_scroll_entry = {
	.name = "scroll",
	.args = { 1, 1 },
	.usage = "up|down|top|bottom",
	.help = "Scroll the messages a page (older messages load at the top)",
	.flags = CMD_UI,
	.exec = cmd_ui_exec
};

const struct cmd_entry cmd_select_channel_entry = {
	.name = "select-channel",
	.args = { 1, 1 },
	.usage = "next|prev",
	.help = "Select the next or previous channel of the server",
	.flags = CMD_UI,
	.exec = cmd_ui_exec
};

const struct cmd_entry cmd_select_message_entry = {
	.name = "select-message",
	.args = { 0, 1 },
	.usage = "[up|down|exit]",
	.help = "Select a message to act on (starts at the newest)",
	.flags = CMD_UI,
	.exec = cmd_ui_exec
};

const struct cmd_entry cmd_select_server_entry = {
	.name = "select-server",
	.args = { 1, 1 },
	.usage = "N|next|prev",
	.help = "Select server N of the rail (1 is Direct Messages)",
	.flags = CMD_UI,
	.exec = cmd_ui_exec
};

const struct cmd_entry cmd_switcher_entry = {
	.name = "switcher",
	.args = { 0, 0 },
	.usage = "",
	.help = "Quick switcher: fuzzy search servers, channels and DMs",
	.flags = CMD_UI,
	.exec = cmd_ui_exec
};

const struct cmd_entry cmd_toggle_entry = {
	.name = "toggle",
	.args = { 1, 1 },
	.usage = "rail|members",
	.help = "Show or hide the server rail or the member list",
	.flags = CMD_UI,
	.exec = cmd_ui_exec
};
