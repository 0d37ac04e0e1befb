/* members ACTION: member-list navigation and actions (keys bind to it). */
#include "haos/cmd.h"

const struct cmd_entry cmd_members_entry = {
	.name = "members",
	.alias = NULL,
	.args = { 1, 1 },
	.usage = "focus|up|down|first|last|exit|kick|ban|role|dm|profile",
	.help = "Select a member in the member list and act on them",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = CMD_UI,
	.exec = cmd_ui_exec
};
