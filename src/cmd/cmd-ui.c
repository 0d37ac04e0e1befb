/* Client-only commands that keys bind to: navigation, panes, editing. */
#include "haos/cmd.h"

#include <string.h>

/* Pass the command to the client as verb (its name) and one argument. */
static enum cmd_retval
cmd_ui_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	if (ctx->ui->ui(ctx->ui_arg, ctx->current->name,
	    a->argc > 0 ? a->argv[0] : NULL) == -1)
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
	.help = "Mark the selected channel read (on this device for now)",
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
