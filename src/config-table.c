/* The configuration key table: every key, its type, default and help. */
#include "haos/config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "haos/haos.h"
#include "config-int.h"

/*
 * Every key haos reads, in the order config.example.ini documents them.
 * config.example.ini is `haos --dump-config`; `make check` diffs the two,
 * so adding a key here and forgetting the example fails the build.
 */
const struct config_key config_table[] = {
	{ "account", "user", CONFIG_USER_ID, NULL, 0, 0, NULL,
	  "@alice:example.org", 1,
	  "Matrix user id to log in as. Required in every account section." },
	{ "account", "homeserver", CONFIG_URL, NULL, 0, 0, NULL, NULL, 0,
	  "Homeserver base URL. Unset: discovered through\n"
	  "https://SERVER/.well-known/matrix/client of the user id's server." },
	{ "account", "password_command", CONFIG_STRING, NULL, 0, 0, NULL, NULL,
	  0,
	  "Shell command whose first output line is the password, e.g.\n"
	  "\"pass show matrix/alice\". With user set, `haos login` asks nothing." },
	{ "account", "password", CONFIG_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "Plaintext password. Prefer password_command; haos refuses a file\n"
	  "holding a password that group or others can read (chmod 600)." },
	{ "account", "device_name", CONFIG_STRING, NULL, 0, 0, NULL, NULL, 0,
	  "Device display name shown to other users. Unset: \"haos on HOSTNAME\"." },
	{ "network", "ca_file", CONFIG_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "PEM file of CA certificates to trust instead of the system store.\n"
	  "TLS certificates are always verified." },
	{ "network", "connect_timeout", CONFIG_INT, "10", 1, 300, NULL, NULL, 0,
	  "Seconds to wait for a connection to the homeserver." },
	{ "network", "request_timeout", CONFIG_INT, "60", 5, 3600, NULL, NULL, 0,
	  "Seconds a request (other than the /sync long-poll) may take." },
	{ "network", "sync_timeout", CONFIG_INT, "30", 1, 300, NULL, NULL, 0,
	  "Seconds the server may hold a /sync long-poll open." },
	{ "network", "invite_service", CONFIG_URL, NULL, 0, 0, NULL, NULL, 0,
	  "Base URL of a HAOS invite lookup service. /join CODE asks\n"
	  "GET URL/invite/CODE for {\"roomId\": ...} first (no access token\n"
	  "is sent); unset or failing, the alias #haos-CODE:SERVER is used." },
	{ "log", "level", CONFIG_CHOICE, "info", 0, 0, "error|warn|info|debug",
	  NULL, 0,
	  "Least severe level written to the log file; --debug sets debug." },
	{ "ui", "ascii", CONFIG_CHOICE, "auto", 0, 0, "auto|yes|no", NULL, 0,
	  "Draw channel markers and separators in plain ASCII. auto: when the\n"
	  "locale is not UTF-8." },
	{ "ui", "color", CONFIG_CHOICE, "auto", 0, 0,
	  "auto|truecolor|256|16|none", NULL, 0,
	  "Colours to use. auto: what the terminal offers; the NO_COLOR\n"
	  "environment variable or none draws in monochrome." },
	{ "ui", "mouse", CONFIG_CHOICE, "no", 0, 0, "yes|no", NULL, 0,
	  "Click a server or channel to select it; the wheel scrolls." },
	{ "ui", "seconds", CONFIG_CHOICE, "no", 0, 0, "yes|no", NULL, 0,
	  "Show seconds in message timestamps." },
	{ "ui", "members", CONFIG_CHOICE, "auto", 0, 0, "auto|yes|no", NULL, 0,
	  "Show the member list at start. auto: when the terminal has at\n"
	  "least 120 columns." },
	{ "ui", "message_locks", CONFIG_CHOICE, "no", 0, 0, "yes|no", NULL, 0,
	  "Draw a lock before each encrypted message, coloured by how far\n"
	  "its sender's device is trusted (/locks turns it on or off)." },
	{ "ui", "hyperlinks", CONFIG_CHOICE, "auto", 0, 0, "auto|yes|no", NULL,
	  0,
	  "Make links clickable with OSC 8 hyperlinks; the URL is then not\n"
	  "drawn in brackets after a link's text (but with ascii). auto: in a\n"
	  "terminal known to have them, by its environment: kitty, WezTerm,\n"
	  "iTerm2 3.1+, VS Code 1.72+, ghostty, Windows Terminal, VTE 0.50+\n"
	  "(GNOME Terminal, Tilix), Konsole 20.12+, foot, alacritty; inside\n"
	  "tmux only when tmux (3.4+) reports the hyperlinks feature; never\n"
	  "in GNU screen. Over SSH only TERM tells, so often no." },
	{ "ui", "idle", CONFIG_INT, "5", 0, 1440, NULL, NULL, 0,
	  "Minutes without a key before others see you as away\n"
	  "(unavailable); 0: never. haos is online while in use and\n"
	  "offline after it quits." },
	{ "ui", "image_preview", CONFIG_CHOICE, "auto", 0, 0,
	  "auto|symbols|sixel|kitty|off", NULL, 0,
	  "Previews of images, stickers and videos under their message,\n"
	  "drawn from the server's thumbnail. symbols: Unicode symbols\n"
	  "(libchafa; works inside tmux and over SSH; ASCII ones when ascii\n"
	  "is on, without colour on a monochrome terminal). kitty: the kitty\n"
	  "graphics protocol. sixel: sixel graphics. auto: kitty in kitty,\n"
	  "WezTerm and ghostty, sixel in foot and mlterm (inside tmux only\n"
	  "when its client_termfeatures list sixel), else symbols." },
	{ "ui", "image_preview_lines", CONFIG_INT, "8", 2, 40, NULL, NULL, 0,
	  "Lines an image preview is high at most." },
	{ "theme", "accent", CONFIG_COLOR, "cyan", 0, 0, NULL, NULL, 0,
	  "Selection, headings and the active server. A colour is a name\n"
	  "(black, red, green, yellow, blue, magenta, cyan, white, or bright-\n"
	  "before one of those), a 256-colour index 0-255, #rrggbb (exact on\n"
	  "true-colour terminals, nearest match elsewhere) or default." },
	{ "theme", "dim", CONFIG_COLOR, "bright-black", 0, 0, NULL, NULL, 0,
	  "Timestamps, day separators and hints." },
	{ "theme", "mention", CONFIG_COLOR, "yellow", 0, 0, NULL, NULL, 0,
	  "Mentions of you and mention counts." },
	{ "theme", "link", CONFIG_COLOR, "blue", 0, 0, NULL, NULL, 0,
	  "Links." },
	{ "theme", "error", CONFIG_COLOR, "red", 0, 0, NULL, NULL, 0,
	  "Errors and failed messages." },
	{ "theme", "senders", CONFIG_STRING,
	  "red,green,yellow,blue,magenta,cyan,bright-red,bright-green,"
	  "bright-blue,bright-magenta", 0, 0, NULL, NULL, 0,
	  "Comma-separated colours for sender names; each user keeps one\n"
	  "(a stable hash of the user id)." },
	{ "notify", "bell", CONFIG_CHOICE, "yes", 0, 0, "yes|no", NULL, 0,
	  "Ring the terminal bell for a mention of you or a direct message\n"
	  "in a channel that is not on screen." },
	{ "notify", "osc777", CONFIG_CHOICE, "yes", 0, 0, "yes|no", NULL, 0,
	  "Ask the terminal for a desktop notification with OSC 777\n"
	  "(ESC ] 777 ; notify ; title ; body BEL: urxvt, foot, VTE, WezTerm).\n"
	  "Escapes travel over SSH. Inside tmux (TMUX set) haos wraps them in\n"
	  "tmux's passthrough, which needs: set -g allow-passthrough on." },
	{ "notify", "osc9", CONFIG_CHOICE, "no", 0, 0, "yes|no", NULL, 0,
	  "Ask for a desktop notification with OSC 9 (ESC ] 9 ; text BEL:\n"
	  "iTerm2, kitty, WezTerm, Windows Terminal)." },
	{ "notify", "dm", CONFIG_CHOICE, "yes", 0, 0, "yes|no", NULL, 0,
	  "Notify for every message in a direct conversation." },
	{ "notify", "mentions", CONFIG_CHOICE, "yes", 0, 0, "yes|no", NULL, 0,
	  "Notify for messages that mention your user id or display name." },
	{ "crypto", "share_keys_with", CONFIG_CHOICE, "all", 0, 0,
	  "all|cross_signed", NULL, 0,
	  "Which devices get the keys to what you send in encrypted rooms.\n"
	  "all: every device of the room's members. cross_signed: only\n"
	  "devices their owner cross-signed (as Element's \"exclude insecure\n"
	  "devices\", matrix-js-sdk's OnlySignedDevicesIsolationMode); the\n"
	  "others, your own included, and every device of a user without\n"
	  "cross-signing are told the key is withheld (m.unverified) and\n"
	  "cannot read your messages until their owner signs them." },
	{ "files", "download_dir", CONFIG_PATH, NULL, 0, 0, NULL, NULL, 0,
	  "Directory attachments are saved in (o on a message, /download).\n"
	  "Unset: $XDG_DOWNLOAD_DIR, else the XDG_DOWNLOAD_DIR=\"$HOME/...\"\n"
	  "line of ~/.config/user-dirs.dirs, else ~/Downloads. A file there is\n"
	  "never overwritten: name (1).ext, name (2).ext, ..." },
	{ "files", "open_command", CONFIG_STRING, "xdg-open", 0, 0, NULL, NULL,
	  0,
	  "Program that opens a downloaded file (o on a message), given the\n"
	  "file's path as its one argument (no shell). Used only when a\n"
	  "display is there (DISPLAY or WAYLAND_DISPLAY set); otherwise the\n"
	  "status line says where the file was saved. Empty: never open." },
	{ "keys", "KEY", CONFIG_BINDING, NULL, 0, 0, NULL, NULL, 0,
	  "KEY = command binds a key to a command (as typed after /); an\n"
	  "empty command unbinds it. KEY is a character, C-x (Ctrl), M-x\n"
	  "(Alt), or Up, Down, Left, Right, Home, End, PgUp, PgDn, Enter,\n"
	  "Tab, Esc, BSpace, DC, F1-F12, with C- or M- before any of them.\n"
	  "Keys used while a message is selected take a \"select/\" prefix.\n"
	  "Examples:\n"
	  "C-g = switcher\n"
	  "M-m = toggle members\n"
	  "select/c = message copy" },
};
const unsigned int config_table_size = nitems(config_table);

/* Where each key is stored, in config_table[] order. */
const struct config_slot config_slots[] = {
	{ 1, offsetof(struct account, user) },
	{ 1, offsetof(struct account, homeserver) },
	{ 1, offsetof(struct account, password_command) },
	{ 1, offsetof(struct account, password) },
	{ 1, offsetof(struct account, device_name) },
	{ 0, offsetof(struct config, ca_file) },
	{ 0, offsetof(struct config, connect_timeout) },
	{ 0, offsetof(struct config, request_timeout) },
	{ 0, offsetof(struct config, sync_timeout) },
	{ 0, offsetof(struct config, invite_service) },
	{ 0, offsetof(struct config, log_level) },
	{ 0, offsetof(struct config, ui_ascii) },
	{ 0, offsetof(struct config, ui_color) },
	{ 0, offsetof(struct config, ui_mouse) },
	{ 0, offsetof(struct config, ui_seconds) },
	{ 0, offsetof(struct config, ui_members) },
	{ 0, offsetof(struct config, ui_message_locks) },
	{ 0, offsetof(struct config, ui_hyperlinks) },
	{ 0, offsetof(struct config, ui_idle) },
	{ 0, offsetof(struct config, ui_image_preview) },
	{ 0, offsetof(struct config, ui_image_preview_lines) },
	{ 0, offsetof(struct config, theme_accent) },
	{ 0, offsetof(struct config, theme_dim) },
	{ 0, offsetof(struct config, theme_mention) },
	{ 0, offsetof(struct config, theme_link) },
	{ 0, offsetof(struct config, theme_error) },
	{ 0, offsetof(struct config, theme_senders) },
	{ 0, offsetof(struct config, notify_bell) },
	{ 0, offsetof(struct config, notify_osc777) },
	{ 0, offsetof(struct config, notify_osc9) },
	{ 0, offsetof(struct config, notify_dm) },
	{ 0, offsetof(struct config, notify_mentions) },
	{ 0, offsetof(struct config, crypto_share_keys) },
	{ 0, offsetof(struct config, files_download_dir) },
	{ 0, offsetof(struct config, files_open_command) },
	{ 0, offsetof(struct config, bindings) },	/* CONFIG_BINDING */
};

_Static_assert(nitems(config_slots) == nitems(config_table),
    "config_slots[] must match config_table[]");
_Static_assert(nitems(config_table) <= CONFIG_MAX_KEYS, "grow config_parse.seen");


/* Print a documented example file: every key, its help and its default. */
void
config_dump(FILE *f)
{
	const struct config_key	*k;
	const char		*sec = "", *p, *nl;
	unsigned int		 i;

	fputs("# haos configuration: $XDG_CONFIG_HOME/haos/config.ini\n"
	    "# (default ~/.config/haos/config.ini), or haos --config FILE.\n"
	    "#\n"
	    "# Generated by `haos --dump-config`; every key with its default.\n"
	    "# Lines starting with # are comments; a commented key shows the\n"
	    "# value used when the key is absent.\n"
	    "#\n"
	    "# [account] is the profile \"default\"; add [account NAME] sections\n"
	    "# for more accounts and pick one with `haos --profile NAME`.\n", f);
	for (i = 0; i < nitems(config_table); i++) {
		k = &config_table[i];
		if (strcmp(sec, k->section) != 0) {
			fprintf(f, "\n[%s]\n", k->section);
			sec = k->section;
		} else
			fputc('\n', f);
		for (p = k->help; *p != '\0'; p = nl + (*nl != '\0')) {
			nl = strchr(p, '\n');
			if (nl == NULL)
				nl = p + strlen(p);
			fprintf(f, "# %.*s\n", (int)(nl - p), p);
		}
		if (k->type == CONFIG_CHOICE)
			fprintf(f, "# One of: %s.\n", k->choices);
		if (k->type == CONFIG_INT)
			fprintf(f, "# Range: %d to %d.\n", k->min, k->max);
		if (k->example != NULL)
			fprintf(f, "%s = %s\n", k->name, k->example);
		else
			fprintf(f, "#%s = %s\n", k->name,
			    k->def != NULL ? k->def : "");
	}
}
