/* Key table: key -> command string + note; names, [keys] rebinding, input. */
#include "curses.h"
#include "ui-int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "haos/config.h"
#include "haos/xmalloc.h"

/*
 * Codes define_key() gives sequences terminfo may not know; well above
 * KEY_MAX, where ncurses numbers the extended capabilities it loads.
 */
#define KEYSEQ_BASE		(KEY_MAX + 0x400)
#define KEYSEQ_PASTE_START	(KEYSEQ_BASE + 1)
#define KEYSEQ_PASTE_END	(KEYSEQ_BASE + 2)
#define KEYSEQ_M_UP		(KEYSEQ_BASE + 3)
#define KEYSEQ_M_DOWN		(KEYSEQ_BASE + 4)
#define KEYSEQ_C_UP		(KEYSEQ_BASE + 5)
#define KEYSEQ_C_DOWN		(KEYSEQ_BASE + 6)
#define KEYSEQ_C_END		(KEYSEQ_BASE + 7)
#define KEYSEQ_M_ENTER		(KEYSEQ_BASE + 8)
#define KEYSEQ_M_LEFT		(KEYSEQ_BASE + 9)
#define KEYSEQ_M_RIGHT		(KEYSEQ_BASE + 10)

#define KEYC_PASTE		(KEYC_FKEY | (KEYSEQ_BASE + 100))
#define KEY_MAX_PASTE		(1024 * 1024)

#define F(k)	(KEYC_FKEY | (k))
#define M(k)	(KEYC_META | (k))
#define CTRL(c)	((c) & 0x1f)

struct key_binding {
	enum ui_key_mode	 mode;
	int			 key;
	const char		*cmd;	/* NULL: unbound by [keys] */
	const char		*note;
};

/*
 * Every default key, with the note /help and F1 show beside it (tmux
 * key-bindings.c).  Keys not here insert their character when typing.
 */
static const struct key_binding key_table[] = {
	{ KEYMODE_ROOT, M(F(KEY_UP)), "select-channel prev",
	  "Previous channel" },
	{ KEYMODE_ROOT, M(F(KEY_DOWN)), "select-channel next",
	  "Next channel" },
	{ KEYMODE_ROOT, CTRL('p'), "select-channel prev", "Previous channel" },
	{ KEYMODE_ROOT, CTRL('n'), "select-channel next", "Next channel" },
	{ KEYMODE_ROOT, M('1'), "select-server 1", "Direct Messages" },
	{ KEYMODE_ROOT, M('2'), "select-server 2", "Server 2" },
	{ KEYMODE_ROOT, M('3'), "select-server 3", "Server 3" },
	{ KEYMODE_ROOT, M('4'), "select-server 4", "Server 4" },
	{ KEYMODE_ROOT, M('5'), "select-server 5", "Server 5" },
	{ KEYMODE_ROOT, M('6'), "select-server 6", "Server 6" },
	{ KEYMODE_ROOT, M('7'), "select-server 7", "Server 7" },
	{ KEYMODE_ROOT, M('8'), "select-server 8", "Server 8" },
	{ KEYMODE_ROOT, M('9'), "select-server 9", "Server 9" },
	{ KEYMODE_ROOT, M(F(KEY_LEFT)), "select-server prev",
	  "Previous server" },
	{ KEYMODE_ROOT, M(F(KEY_RIGHT)), "select-server next", "Next server" },
	{ KEYMODE_ROOT, CTRL('k'), "input kill-end-or-switcher",
	  "Kill to end of line; at the end: quick switcher" },
	{ KEYMODE_ROOT, CTRL('g'), "switcher", "Quick switcher" },
	{ KEYMODE_ROOT, F(KEY_PPAGE), "scroll up", "Scroll up (loads older)" },
	{ KEYMODE_ROOT, F(KEY_NPAGE), "scroll down", "Scroll down" },
	{ KEYMODE_ROOT, KEYC_CTRL | F(KEY_END), "scroll bottom",
	  "Jump to the newest message" },
	{ KEYMODE_ROOT, 27, "mark-read",
	  "Cancel an edit/reply, leave a thread, else mark read" },
	{ KEYMODE_ROOT, CTRL('l'), "redraw", "Redraw the screen" },
	{ KEYMODE_ROOT, F(KEY_F(1)), "help", "List keys and commands" },
	{ KEYMODE_ROOT, F(KEY_F(2)), "toggle rail", "Show/hide the servers" },
	{ KEYMODE_ROOT, F(KEY_F(3)), "toggle members",
	  "Show/hide the members" },
	{ KEYMODE_ROOT, M('s'), "select-message", "Select a message" },
	{ KEYMODE_ROOT, M('m'), "members focus",
	  "Select a member in the member list" },
	{ KEYMODE_ROOT, M('a'), "accept", "Accept the selected invite" },
	{ KEYMODE_ROOT, M('d'), "decline", "Decline the selected invite" },
	{ KEYMODE_ROOT, CTRL('a'), "input home", "Start of line" },
	{ KEYMODE_ROOT, F(KEY_HOME), "input home", "Start of line" },
	{ KEYMODE_ROOT, CTRL('e'), "input end", "End of line" },
	{ KEYMODE_ROOT, F(KEY_END), "input end",
	  "End of line and the newest message" },
	{ KEYMODE_ROOT, CTRL('b'), "input left", "Back a character" },
	{ KEYMODE_ROOT, F(KEY_LEFT), "input left", "Back a character" },
	{ KEYMODE_ROOT, CTRL('f'), "input right", "Forward a character" },
	{ KEYMODE_ROOT, F(KEY_RIGHT), "input right", "Forward a character" },
	{ KEYMODE_ROOT, M('b'), "input word-left", "Back a word" },
	{ KEYMODE_ROOT, M('f'), "input word-right", "Forward a word" },
	{ KEYMODE_ROOT, F(KEY_BACKSPACE), "input backspace",
	  "Delete backwards" },
	{ KEYMODE_ROOT, F(KEY_DC), "input delete", "Delete forwards" },
	{ KEYMODE_ROOT, CTRL('d'), "input delete", "Delete forwards" },
	{ KEYMODE_ROOT, CTRL('w'), "input kill-word", "Kill the word before" },
	{ KEYMODE_ROOT, CTRL('u'), "input kill-start", "Kill to start" },
	{ KEYMODE_ROOT, CTRL('y'), "input yank", "Yank the last kill" },
	{ KEYMODE_ROOT, M(13), "input newline", "New line in the message" },
	{ KEYMODE_ROOT, 9, "input complete",
	  "Complete /command, @member, #channel, :emoji:" },
	{ KEYMODE_ROOT, F(KEY_UP), "input history-prev",
	  "Edit my last message (empty line), else older history" },
	{ KEYMODE_ROOT, F(KEY_DOWN), "input history-next",
	  "Newer line from history" },
	{ KEYMODE_ROOT, 13, "input enter", "Send the message or command" },
	{ KEYMODE_ROOT, KEYC_CX | CTRL('e'), "input editor",
	  "Edit the draft in $VISUAL, $EDITOR or vi" },

	{ KEYMODE_SELECT, F(KEY_UP), "select-message up", "Older message" },
	{ KEYMODE_SELECT, 'k', "select-message up", "Older message" },
	{ KEYMODE_SELECT, F(KEY_DOWN), "select-message down",
	  "Newer message" },
	{ KEYMODE_SELECT, 'j', "select-message down", "Newer message" },
	{ KEYMODE_SELECT, 27, "select-message exit", "Leave selection" },
	{ KEYMODE_SELECT, 'q', "select-message exit", "Leave selection" },
	{ KEYMODE_SELECT, 'e', "message edit", "Edit" },
	{ KEYMODE_SELECT, 'd', "message delete", "Delete" },
	{ KEYMODE_SELECT, 'r', "message reply", "Reply" },
	{ KEYMODE_SELECT, 't', "message thread", "Open the thread" },
	{ KEYMODE_SELECT, '+', "message react", "React" },
	{ KEYMODE_SELECT, 'y', "message copy",
	  "Copy the text (OSC 52 clipboard)" },
	{ KEYMODE_SELECT, 'o', "message open",
	  "Download and open an attachment, or copy the first link" },
	{ KEYMODE_SELECT, 13, "message details", "Details" },
	{ KEYMODE_SELECT, 'l', "locks",
	  "Show/hide the lock before encrypted messages" },
	{ KEYMODE_SELECT, F(KEY_PPAGE), "scroll up", "Scroll up" },
	{ KEYMODE_SELECT, F(KEY_NPAGE), "scroll down", "Scroll down" },

	{ KEYMODE_MEMBERS, F(KEY_UP), "members up", "Previous member" },
	{ KEYMODE_MEMBERS, F(KEY_DOWN), "members down", "Next member" },
	{ KEYMODE_MEMBERS, 'j', "members down", "Next member" },
	{ KEYMODE_MEMBERS, F(KEY_HOME), "members first", "First member" },
	{ KEYMODE_MEMBERS, F(KEY_END), "members last", "Last member" },
	{ KEYMODE_MEMBERS, 27, "members exit", "Back to typing" },
	{ KEYMODE_MEMBERS, 'q', "members exit", "Back to typing" },
	{ KEYMODE_MEMBERS, 'k', "members kick",
	  "Kick: /kick @user in the input, add a reason, Enter" },
	{ KEYMODE_MEMBERS, 'b', "members ban",
	  "Ban: /ban @user in the input, add a reason, Enter" },
	{ KEYMODE_MEMBERS, 'r', "members role",
	  "Change role: type admin, moderator or guest, Enter" },
	{ KEYMODE_MEMBERS, 'm', "members dm", "Direct message the member" },
	{ KEYMODE_MEMBERS, 13, "members profile", "Show the member's profile" },
};

/* The live table: defaults, then [keys] lines applied in order. */
struct ui_keys {
	struct key_binding	*b;
	size_t			 n;
	char			**owned;	/* strings from the config */
	size_t			 nowned;
};

static const struct {
	const char	*name;
	int		 key;
} key_names[] = {
	{ "Up", F(KEY_UP) }, { "Down", F(KEY_DOWN) },
	{ "Left", F(KEY_LEFT) }, { "Right", F(KEY_RIGHT) },
	{ "Home", F(KEY_HOME) }, { "End", F(KEY_END) },
	{ "PgUp", F(KEY_PPAGE) }, { "PgDn", F(KEY_NPAGE) },
	{ "PPage", F(KEY_PPAGE) }, { "NPage", F(KEY_NPAGE) },
	{ "IC", F(KEY_IC) }, { "DC", F(KEY_DC) }, { "Del", F(KEY_DC) },
	{ "BSpace", F(KEY_BACKSPACE) }, { "BTab", F(KEY_BTAB) },
	{ "Enter", 13 }, { "Tab", 9 }, { "Esc", 27 }, { "Space", ' ' },
};

/*
 * Parse "C-k", "M-Up", "select/j", "members/k", "F5", a character, or
 * one of those after the Ctrl+X prefix ("C-x C-e").
 */
int
keys_parse(const char *s, int *key, enum ui_key_mode *mode)
{
	unsigned int	 mods = 0, i;
	wchar_t		 wc;
	mbstate_t	 ps;
	size_t		 n;
	int		 k;

	*mode = KEYMODE_ROOT;
	if (strncmp(s, "select/", 7) == 0) {
		*mode = KEYMODE_SELECT;
		s += 7;
	} else if (strncmp(s, "members/", 8) == 0) {
		*mode = KEYMODE_MEMBERS;
		s += 8;
	}
	if (strncasecmp(s, "C-x ", 4) == 0 && s[4] != '\0') {
		mods |= KEYC_CX;
		s += 4;
	}
	for (;;) {
		if (strncmp(s, "M-", 2) == 0 && s[2] != '\0') {
			mods |= KEYC_META;
			s += 2;
		} else if (strncmp(s, "C-", 2) == 0 && s[2] != '\0') {
			mods |= KEYC_CTRL;
			s += 2;
		} else
			break;
	}
	for (i = 0; i < nitems(key_names); i++) {
		if (strcasecmp(s, key_names[i].name) == 0) {
			k = key_names[i].key;
			goto found;
		}
	}
	if ((s[0] == 'F' || s[0] == 'f') && s[1] >= '1' && s[1] <= '9') {
		k = (int)strtol(s + 1, NULL, 10);
		if (k < 1 || k > 12)
			return -1;
		k = F(KEY_F(k));
		goto found;
	}
	memset(&ps, 0, sizeof ps);
	n = mbrtowc(&wc, s, strlen(s), &ps);
	if (n == 0 || n == (size_t)-1 || n == (size_t)-2 || s[n] != '\0')
		return -1;
	k = (int)wc;
found:
	if (mods & KEYC_CTRL) {
		mods &= ~KEYC_CTRL;
		if (k >= 'a' && k <= 'z')
			k = CTRL(k);
		else if (k >= '@' && k <= '_')
			k = CTRL(k);
		else if (k & KEYC_FKEY)
			mods |= KEYC_CTRL;
		else
			return -1;
	}
	*key = k | (int)mods;
	return 0;
}

/* The name of a key ("M-Up"); the caller frees. */
char *
keys_name(int key)
{
	char		 base[32], mb[MB_LEN_MAX + 1];
	const char	*pre;
	unsigned int	 i;
	int		 k = key & ~(KEYC_META | KEYC_CTRL | KEYC_CX), n;

	base[0] = '\0';
	for (i = 0; i < nitems(key_names); i++) {
		if (key_names[i].key == k) {
			snprintf(base, sizeof base, "%s", key_names[i].name);
			break;
		}
	}
	if (base[0] == '\0') {
		if (k >= F(KEY_F(1)) && k <= F(KEY_F(12)))
			snprintf(base, sizeof base, "F%d",
			    k - F(KEY_F(0)));
		else if (k >= 1 && k < 32)
			snprintf(base, sizeof base, "C-%c", k + 'a' - 1);
		else if (!(k & KEYC_FKEY)) {
			n = wctomb(mb, (wchar_t)k);
			if (n <= 0)
				n = 0;
			mb[n] = '\0';
			snprintf(base, sizeof base, "%s", mb);
		} else
			snprintf(base, sizeof base, "key%d", k & 0xffff);
	}
	pre = (key & KEYC_META) && (key & KEYC_CTRL) ? "M-C-" :
	    (key & KEYC_META) ? "M-" : (key & KEYC_CTRL) ? "C-" : "";
	return xasprintf("%s%s%s", (key & KEYC_CX) ? "C-x " : "", pre, base);
}

/*
 * Check a bound client-only command with the same parse it meets when
 * the key is pressed; the error, or NULL when the words are good.
 */
static char *
keys_check_action(const struct cmd_entry *ce, const char *cmd)
{
	struct cmd_args	 a;
	char		*cause = NULL;

	if (cmd_split(cmd, &a, &cause) == -1)
		return cause;
	if (cmd_ui_parse(ce->name, a.argc > 1 ? a.argv[1] : NULL) ==
	    UI_ACT_NONE)
		cause = xasprintf("%s: unknown action %s", ce->name,
		    a.argc > 1 ? a.argv[1] : "(none)");
	cmd_args_free(&a);
	return cause;
}

/* Load the defaults, then [keys]; errors are collected for the status. */
int
keys_init(struct ui *ui, char **errors)
{
	const struct config	*cfg = ui->cfg;
	struct ui_keys		*k;
	struct key_binding	*b;
	enum ui_key_mode	 mode;
	const struct cmd_entry	*ce;
	const char		*cmd;
	char			*name, *cause, *tmp;
	size_t			 i, len;
	int			 key, j, bad = 0;

	*errors = NULL;
	k = xcalloc(1, sizeof *k);
	k->n = nitems(key_table);
	k->b = xcalloc(k->n, sizeof *k->b);
	memcpy(k->b, key_table, sizeof key_table);
	for (j = 0; j < cfg->nbindings; j++) {
		cmd = cfg->bindings[j].command;
		if (keys_parse(cfg->bindings[j].key, &key, &mode) == -1) {
			tmp = xasprintf("%s%s[keys] line %d: unknown key %s",
			    *errors != NULL ? *errors : "",
			    *errors != NULL ? "; " : "",
			    cfg->bindings[j].line, cfg->bindings[j].key);
			free(*errors);
			*errors = tmp;
			bad = 1;
			continue;
		}
		if (*cmd != '\0') {
			len = strcspn(cmd, " ");
			name = xstrndup(cmd, len);
			cause = NULL;
			ce = cmd_find(name, &cause);
			if (ce != NULL && ce->exec == cmd_ui_exec)
				cause = keys_check_action(ce, cmd);
			if (ce == NULL || cause != NULL) {
				tmp = xasprintf("%s%s[keys] %s: %s",
				    *errors != NULL ? *errors : "",
				    *errors != NULL ? "; " : "",
				    cfg->bindings[j].key, cause);
				free(*errors);
				*errors = tmp;
				free(cause);
				free(name);
				bad = 1;
				continue;
			}
			free(name);
		}
		for (i = 0, b = NULL; i < k->n; i++) {
			if (k->b[i].mode == mode && k->b[i].key == key)
				b = &k->b[i];
		}
		if (b == NULL) {
			k->b = xrealloc(k->b, (k->n + 1) * sizeof *k->b);
			b = &k->b[k->n++];
			b->mode = mode;
			b->key = key;
			b->note = "(from the configuration)";
		}
		k->owned = xrealloc(k->owned, (k->nowned + 1) *
		    sizeof *k->owned);
		k->owned[k->nowned++] = xstrdup(cmd);
		b->cmd = *cmd != '\0' ? k->owned[k->nowned - 1] : NULL;
	}
	ui->keys = k;
	return bad ? -1 : 0;
}

void
keys_free(struct ui *ui)
{
	size_t	 i;

	if (ui->keys == NULL)
		return;
	for (i = 0; i < ui->keys->nowned; i++)
		free(ui->keys->owned[i]);
	free(ui->keys->owned);
	free(ui->keys->b);
	free(ui->keys);
	ui->keys = NULL;
}

/* The command bound to key in mode, or NULL. */
const char *
keys_lookup(struct ui *ui, enum ui_key_mode mode, int key)
{
	size_t	 i;

	for (i = 0; i < ui->keys->n; i++) {
		if (ui->keys->b[i].mode == mode && ui->keys->b[i].key == key)
			return ui->keys->b[i].cmd;
	}
	return NULL;
}

/* Help lines: every bound key with its command and note. */
size_t
keys_help(struct ui *ui, char ***out)
{
	char		**l = NULL, *name;
	size_t		 n = 0, i;
	int		 mode;

	for (mode = KEYMODE_ROOT; mode <= KEYMODE_MEMBERS; mode++) {
		l = xrealloc(l, (n + 1) * sizeof *l);
		l[n++] = xstrdup(mode == KEYMODE_ROOT ? "Keys:" :
		    mode == KEYMODE_SELECT ?
		    "Keys while a message is selected (Alt+s):" :
		    "Keys while a member is selected (Alt+m):");
		for (i = 0; i < ui->keys->n; i++) {
			if ((int)ui->keys->b[i].mode != mode ||
			    ui->keys->b[i].cmd == NULL)
				continue;
			name = keys_name(ui->keys->b[i].key);
			l = xrealloc(l, (n + 1) * sizeof *l);
			l[n++] = xasprintf("  %-10s %-28s %s", name,
			    ui->keys->b[i].cmd, ui->keys->b[i].note);
			free(name);
		}
		l = xrealloc(l, (n + 1) * sizeof *l);
		l[n++] = xstrdup("");
	}
	*out = l;
	return n;
}

/* Teach ncurses the sequences terminfo may lack; bracketed paste on. */
void
keys_terminal_setup(int mouse)
{
	define_key("\033[200~", KEYSEQ_PASTE_START);
	define_key("\033[201~", KEYSEQ_PASTE_END);
	define_key("\033[1;3A", KEYSEQ_M_UP);
	define_key("\033[1;3B", KEYSEQ_M_DOWN);
	define_key("\033[1;5A", KEYSEQ_C_UP);
	define_key("\033[1;5B", KEYSEQ_C_DOWN);
	define_key("\033[1;5F", KEYSEQ_C_END);
	define_key("\033[4;5~", KEYSEQ_C_END);
	define_key("\033\r", KEYSEQ_M_ENTER);
	define_key("\033[1;3D", KEYSEQ_M_LEFT);
	define_key("\033[1;3C", KEYSEQ_M_RIGHT);
	/* Home and End as common terminals send them, whatever TERM says. */
	define_key("\033[H", KEY_HOME);
	define_key("\033[1~", KEY_HOME);
	define_key("\033OH", KEY_HOME);
	define_key("\033[F", KEY_END);
	define_key("\033[4~", KEY_END);
	define_key("\033OF", KEY_END);
	if (mouse) {
		/*
		 * Releases too: ncurses reads on for an event outside the
		 * mask, blocking the loop (and the screen) until a key.
		 */
		mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED |
		    BUTTON1_RELEASED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
		mouseinterval(0);
	}
	fputs("\033[?2004h", stdout);
	fflush(stdout);
}

/* Map one wget_wch() result to a key code. */
static int
keys_code(int rc, wint_t wc)
{
	if (rc == KEY_CODE_YES) {
		switch ((int)wc) {
		case KEYSEQ_M_UP:
			return M(F(KEY_UP));
		case KEYSEQ_M_DOWN:
			return M(F(KEY_DOWN));
		case KEYSEQ_C_UP:
			return KEYC_CTRL | F(KEY_UP);
		case KEYSEQ_C_DOWN:
			return KEYC_CTRL | F(KEY_DOWN);
		case KEYSEQ_C_END:
			return KEYC_CTRL | F(KEY_END);
		case KEYSEQ_M_ENTER:
			return M(13);
		case KEYSEQ_M_LEFT:
			return M(F(KEY_LEFT));
		case KEYSEQ_M_RIGHT:
			return M(F(KEY_RIGHT));
		case KEY_ENTER:
			return 13;
		}
		return F((int)wc);
	}
	if (wc == 127 || wc == 8)
		return F(KEY_BACKSPACE);
	if (wc == '\n')
		return 13;
	return (int)wc;
}

/* Append one code point to a growing UTF-8 buffer. */
static void
keys_append(char **buf, size_t *len, wint_t wc)
{
	char		 mb[MB_LEN_MAX];
	mbstate_t	 ps;
	size_t		 n;

	if (*len > KEY_MAX_PASTE)
		return;
	memset(&ps, 0, sizeof ps);
	n = wcrtomb(mb, wc == '\r' ? L'\n' : (wchar_t)wc, &ps);
	if (n == (size_t)-1)
		return;
	*buf = xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, mb, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/*
 * Read one key (non-blocking: 0 when none).  ESC followed quickly by a
 * key is Alt+key; Ctrl+X is a prefix (as in bash): the key typed within
 * two seconds after it comes back with KEYC_CX; a bracketed paste comes
 * back whole as KEYC_PASTE with its text in *paste (raw: the caller
 * sanitises it).
 */
int
keys_read(struct ui *ui __unused, WINDOW *w, int *key, char **paste)
{
	wint_t	 wc;
	int	 rc, k;
	char	*buf = NULL;
	size_t	 len = 0;

	*paste = NULL;
	rc = wget_wch(w, &wc);
	if (rc == ERR)
		return 0;
	k = keys_code(rc, wc);
	if (k == F(KEYSEQ_PASTE_START)) {
		/* Read until the end marker, however long it takes. */
		wtimeout(w, 2000);
		for (;;) {
			rc = wget_wch(w, &wc);
			if (rc == ERR)
				break;
			if (rc == KEY_CODE_YES && wc == KEYSEQ_PASTE_END)
				break;
			if (rc == KEY_CODE_YES) {
				if (wc == KEY_ENTER)
					keys_append(&buf, &len, '\n');
				continue;
			}
			keys_append(&buf, &len, wc);
		}
		nodelay(w, TRUE);
		*paste = buf != NULL ? buf : xstrdup("");
		*key = KEYC_PASTE;
		return 1;
	}
	if (k == CTRL('x')) {
		wtimeout(w, 2000);
		rc = wget_wch(w, &wc);
		nodelay(w, TRUE);
		if (rc != ERR)
			k = keys_code(rc, wc) | KEYC_CX;
	}
	if (k == 27) {
		wtimeout(w, 25);
		rc = wget_wch(w, &wc);
		nodelay(w, TRUE);
		if (rc != ERR) {
			k = keys_code(rc, wc);
			if (k != 27)
				k |= KEYC_META;
		}
	}
	*key = k;
	return 1;
}
