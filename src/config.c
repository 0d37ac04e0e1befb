/* INI configuration parsed with libinih against config_table[]. */
#include "haos/config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "haos/haos.h"
#include "haos/error.h"
#include "haos/matrix.h"
#include "haos/xmalloc.h"

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

/* Where each key is stored: struct account or struct config, by offset. */
static const struct {
	int	 in_account;
	size_t	 off;
} config_slots[] = {
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
	{ 0, offsetof(struct config, bindings) },	/* CONFIG_BINDING */
};

_Static_assert(nitems(config_slots) == nitems(config_table),
    "config_slots[] must match config_table[]");
_Static_assert(nitems(config_table) <= 32, "grow config_parse.seen");

#define CONFIG_MAX_LINE	1024

/* Parser state shared by the line reader and the inih handler. */
struct config_parse {
	struct config	*cfg;
	FILE		*f;
	const char	*name;		/* file name for messages */
	int		 line;		/* line being parsed */
	int		 error_line;	/* first error, 0 if none */
	char		 error[400];
	struct account	*acct;		/* current [account ...] or NULL */
	char		 section[128];	/* current section name */
	unsigned char	 seen[65][32];	/* seen[1 + account][key]: duplicates */
};

static void
config_fail(struct config_parse *cp, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
config_fail(struct config_parse *cp, int line, const char *fmt, ...)
{
	va_list	 ap;

	if (cp->error_line != 0)
		return;
	cp->error_line = line;
	va_start(ap, fmt);
	vsnprintf(cp->error, sizeof cp->error, fmt, ap);
	va_end(ap);
}

int
config_valid_profile(const char *s)
{
	const char	*p;

	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (p = s; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			return 0;
	}
	return *s != '.';
}

void
config_init(struct config *cfg)
{
	unsigned int	 i;
	char		**sp;
	int		*ip;

	memset(cfg, 0, sizeof *cfg);
	for (i = 0; i < nitems(config_table); i++) {
		if (config_slots[i].in_account || config_table[i].def == NULL ||
		    config_table[i].type == CONFIG_BINDING)
			continue;
		if (config_table[i].type == CONFIG_INT) {
			ip = (int *)((char *)cfg + config_slots[i].off);
			*ip = (int)strtol(config_table[i].def, NULL, 10);
		} else {
			sp = (char **)((char *)cfg + config_slots[i].off);
			*sp = xstrdup(config_table[i].def);
		}
	}
}

/* Start a section: "account", "account NAME", or another known section. */
static void
config_section(struct config_parse *cp, const char *raw)
{
	struct config	*cfg = cp->cfg;
	struct account	*a;
	char		 name[128];
	const char	*profile;
	unsigned int	 i;
	int		 known = 0, n;

	n = snprintf(name, sizeof name, "%s", raw);
	if (n < 0 || (size_t)n >= sizeof name) {
		config_fail(cp, cp->line, "section name too long");
		return;
	}
	snprintf(cp->section, sizeof cp->section, "%s", name);
	cp->acct = NULL;
	if (strncmp(name, "account", 7) == 0 &&
	    (name[7] == '\0' || name[7] == ' ')) {
		profile = name[7] == '\0' ? CONFIG_DEFAULT_PROFILE : name + 8;
		while (*profile == ' ')
			profile++;
		if (!config_valid_profile(profile)) {
			config_fail(cp, cp->line, "bad profile name \"%s\" "
			    "(letters, digits, '-', '_' and '.' only)", profile);
			return;
		}
		for (i = 0; i < (unsigned int)cfg->naccounts; i++) {
			if (strcmp(cfg->accounts[i].profile, profile) == 0) {
				config_fail(cp, cp->line, "duplicate section "
				    "[%s]", name);
				return;
			}
		}
		if (cfg->naccounts >= 64) {
			config_fail(cp, cp->line, "too many account sections");
			return;
		}
		cfg->accounts = xrealloc(cfg->accounts,
		    (size_t)(cfg->naccounts + 1) * sizeof *cfg->accounts);
		a = &cfg->accounts[cfg->naccounts++];
		memset(a, 0, sizeof *a);
		a->profile = xstrdup(profile);
		a->line = cp->line;
		cp->acct = a;
		return;
	}
	for (i = 0; i < nitems(config_table); i++) {
		if (strcmp(config_table[i].section, name) == 0)
			known = 1;
	}
	if (!known)
		config_fail(cp, cp->line, "unknown section [%s]", name);
}

/* Read one line for inih, counting lines and spotting section headers. */
static char *
config_reader(char *str, int num, void *user)
{
	struct config_parse	*cp = user;
	char			 buf[CONFIG_MAX_LINE + 2], *p, *end;
	size_t			 len;

	if (fgets(buf, sizeof buf, cp->f) == NULL)
		return NULL;
	cp->line++;
	len = strlen(buf);
	if (len > 0 && buf[len - 1] != '\n' && !feof(cp->f)) {
		config_fail(cp, cp->line, "line longer than %d characters",
		    CONFIG_MAX_LINE);
		while (fgets(buf, sizeof buf, cp->f) != NULL &&
		    buf[strlen(buf) - 1] != '\n')
			;
		buf[0] = '\0';
		len = 0;
	}
	if (len + 1 > (size_t)num) {
		config_fail(cp, cp->line, "line longer than %d characters",
		    num - 2);
		buf[0] = '\0';
	}
	for (p = buf; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '[') {
		end = strchr(p, ']');
		if (end != NULL) {
			*end = '\0';
			config_section(cp, p + 1);
			*end = ']';
		}
	}
	snprintf(str, (size_t)num, "%s", buf);
	return str;
}

static int
config_find_key(const char *section, const char *name)
{
	unsigned int	 i;
	int		 acct;

	acct = strncmp(section, "account", 7) == 0 &&
	    (section[7] == '\0' || section[7] == ' ');
	for (i = 0; i < nitems(config_table); i++) {
		/* A section of bindings takes any key name. */
		if (config_table[i].type == CONFIG_BINDING &&
		    strcmp(config_table[i].section, section) == 0)
			return (int)i;
		if (strcmp(config_table[i].name, name) != 0)
			continue;
		if (acct && strcmp(config_table[i].section, "account") == 0)
			return (int)i;
		if (!acct && strcmp(config_table[i].section, section) == 0)
			return (int)i;
	}
	return -1;
}

/* Check value against the key's type; return a message or NULL if good. */
static const char *
config_check_value(const struct config_key *k, const char *v, int *ival)
{
	static char	 msg[200];
	const char	*c;
	char		*end;
	long		 l;
	size_t		 n;

	if (k->type == CONFIG_BINDING)
		return NULL;
	if (*v == '\0')
		return "empty value";
	switch (k->type) {
	case CONFIG_COLOR:
		if (!config_valid_color(v))
			return "not a colour (a name such as red or "
			    "bright-blue, 0-255, #rrggbb or default)";
		break;
	case CONFIG_BINDING:
		break;
	case CONFIG_USER_ID:
		if (!matrix_valid_user_id(v))
			return "not a Matrix user id (expected @name:server)";
		break;
	case CONFIG_URL:
		if (strncmp(v, "https://", 8) != 0 &&
		    strncmp(v, "http://", 7) != 0)
			return "not an http:// or https:// URL";
		if (strchr(v, ' ') != NULL)
			return "URL contains a space";
		break;
	case CONFIG_INT:
		errno = 0;
		l = strtol(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0') {
			return "not a whole number";
		}
		if (l < k->min || l > k->max) {
			snprintf(msg, sizeof msg, "%ld is out of range "
			    "(%d to %d)", l, k->min, k->max);
			return msg;
		}
		*ival = (int)l;
		break;
	case CONFIG_CHOICE:
		n = strlen(v);
		for (c = k->choices; c != NULL; c = strchr(c, '|')) {
			if (*c == '|')
				c++;
			if (strncmp(c, v, n) == 0 &&
			    (c[n] == '|' || c[n] == '\0'))
				return NULL;
		}
		snprintf(msg, sizeof msg, "must be one of %s", k->choices);
		return msg;
	case CONFIG_STRING:
	case CONFIG_PATH:
		break;
	}
	return NULL;
}

/* Colour names of the 16-colour palette, in index order. */
static const char *const config_colors[] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"
};

/* Check a theme colour: name, bright-name, 0-255, #rrggbb or default. */
int
config_valid_color(const char *v)
{
	const char	*p;
	char		*end;
	unsigned int	 i;
	long		 l;

	if (strcmp(v, "default") == 0)
		return 1;
	if (v[0] == '#') {
		for (p = v + 1; isxdigit((unsigned char)*p); p++)
			;
		return *p == '\0' && p - v == 7;
	}
	if (isdigit((unsigned char)v[0])) {
		l = strtol(v, &end, 10);
		return *end == '\0' && l >= 0 && l <= 255;
	}
	if (strncmp(v, "bright-", 7) == 0)
		v += 7;
	for (i = 0; i < nitems(config_colors); i++) {
		if (strcmp(v, config_colors[i]) == 0)
			return 1;
	}
	return 0;
}

/* Record a [keys] line; a repeated key replaces the earlier line. */
static void
config_bind(struct config_parse *cp, const char *key, const char *value)
{
	struct config		*cfg = cp->cfg;
	struct config_binding	*b;
	int			 i;

	for (i = 0; i < cfg->nbindings; i++) {
		if (strcmp(cfg->bindings[i].key, key) == 0) {
			config_fail(cp, cp->line, "duplicate key \"%s\" in "
			    "[%s]", key, cp->section);
			return;
		}
	}
	cfg->bindings = xrealloc(cfg->bindings,
	    (size_t)(cfg->nbindings + 1) * sizeof *cfg->bindings);
	b = &cfg->bindings[cfg->nbindings++];
	b->key = xstrdup(key);
	b->command = xstrdup(value);
	b->line = cp->line;
}

/* Expand a leading "~/" to $HOME. */
static char *
config_expand_path(const char *v)
{
	const char	*home;

	if (strncmp(v, "~/", 2) == 0 && (home = getenv("HOME")) != NULL)
		return xasprintf("%s/%s", home, v + 2);
	return xstrdup(v);
}

static int
config_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct config_parse	*cp = user;
	const struct config_key	*k;
	const char		*msg;
	void			*base;
	char			**sp;
	int			 idx, ival = 0, slot;

	if (cp->error_line != 0)
		return 1;
	if (*section == '\0') {
		config_fail(cp, cp->line, "key \"%s\" outside any section",
		    name);
		return 1;
	}
	idx = config_find_key(section, name);
	if (idx == -1) {
		config_fail(cp, cp->line, "unknown key \"%s\" in [%s]", name,
		    section);
		return 1;
	}
	k = &config_table[idx];
	if (k->type == CONFIG_BINDING) {
		config_bind(cp, name, value);
		return 1;
	}
	slot = cp->acct != NULL ? (int)(cp->acct - cp->cfg->accounts) + 1 : 0;
	if (cp->seen[slot][idx]) {
		config_fail(cp, cp->line, "duplicate key \"%s\" in [%s]", name,
		    section);
		return 1;
	}
	cp->seen[slot][idx] = 1;
	msg = config_check_value(k, value, &ival);
	if (msg != NULL) {
		config_fail(cp, cp->line, "%s: %s", name, msg);
		return 1;
	}
	base = config_slots[idx].in_account ? (void *)cp->acct :
	    (void *)cp->cfg;
	if (base == NULL)
		return 1;
	if (k->type == CONFIG_INT) {
		*(int *)((char *)base + config_slots[idx].off) = ival;
		return 1;
	}
	sp = (char **)((char *)base + config_slots[idx].off);
	free(*sp);
	if (k->type == CONFIG_PATH)
		*sp = config_expand_path(value);
	else
		*sp = xstrdup(value);
	return 1;
}

/* Parse an open stream; name is used in messages ("config.ini:LINE: ..."). */
int
config_load_stream(struct config *cfg, FILE *f, const char *name,
    struct haos_error *err)
{
	struct config_parse	*cp;
	unsigned int		 i, j;
	int			 rc, ret = -1;

	cp = xcalloc(1, sizeof *cp);
	cp->cfg = cfg;
	cp->f = f;
	cp->name = name;
	rc = ini_parse_stream(config_reader, cp, config_handler, cp);
	if (rc > 0 && cp->error_line == 0) {
		config_fail(cp, rc, "syntax error: expected \"key = value\" "
		    "or \"[section]\"");
	} else if (rc < 0 && cp->error_line == 0)
		config_fail(cp, 0, "cannot read: %s", strerror(errno));
	if (cp->error_line == 0) {
		for (i = 0; i < (unsigned int)cfg->naccounts; i++) {
			for (j = 0; j < nitems(config_table); j++) {
				if (!config_table[j].required ||
				    !config_slots[j].in_account ||
				    cp->seen[i + 1][j])
					continue;
				config_fail(cp, cfg->accounts[i].line,
				    "[%s] is missing the required key \"%s\"",
				    strcmp(cfg->accounts[i].profile,
				    CONFIG_DEFAULT_PROFILE) == 0 ? "account" :
				    cfg->accounts[i].profile,
				    config_table[j].name);
				break;
			}
		}
	}
	if (cp->error_line != 0) {
		haos_error_set(err, HAOS_ECONFIG, "%s:%d: %s", name,
		    cp->error_line, cp->error);
		goto out;
	}
	ret = 0;
out:
	free(cp);
	return ret;
}

/*
 * Refuse a file that holds a plaintext password if group or others can
 * read it: the password would be as good as published.
 */
int
config_check_permissions(const struct config *cfg, int fd,
    struct haos_error *err)
{
	struct stat	 st;
	int		 i;

	for (i = 0; i < cfg->naccounts; i++) {
		if (cfg->accounts[i].password == NULL)
			continue;
		if (fstat(fd, &st) == -1) {
			haos_error_set(err, HAOS_ECONFIG, "%s: %s",
			    cfg->path, strerror(errno));
			return -1;
		}
		if ((st.st_mode & 077) == 0)
			return 0;
		haos_error_set(err, HAOS_ECONFIG, "%s: refusing a plaintext "
		    "password in a file that group or others can read "
		    "(mode %04o); run \"chmod 600 %s\" or use password_command",
		    cfg->path, (unsigned int)(st.st_mode & 07777), cfg->path);
		return -1;
	}
	return 0;
}

/*
 * Load path into cfg (which config_init() prepared).  A missing file is
 * an error only if must_exist (the user named it with --config).
 */
int
config_load(struct config *cfg, const char *path, int must_exist,
    struct haos_error *err)
{
	FILE	*f;
	int	 ret;

	f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		haos_error_set(err, HAOS_ECONFIG, "%s: %s", path,
		    strerror(errno));
		return -1;
	}
	free(cfg->path);
	cfg->path = xstrdup(path);
	ret = config_load_stream(cfg, f, path, err);
	if (ret == 0)
		ret = config_check_permissions(cfg, fileno(f), err);
	fclose(f);
	return ret;
}

/* Return the account section for profile (NULL: default), or NULL. */
struct account *
config_account(const struct config *cfg, const char *profile,
    struct haos_error *err __unused)
{
	int	 i;

	if (profile == NULL)
		profile = CONFIG_DEFAULT_PROFILE;
	for (i = 0; i < cfg->naccounts; i++) {
		if (strcmp(cfg->accounts[i].profile, profile) == 0)
			return &cfg->accounts[i];
	}
	return NULL;
}

void
config_free(struct config *cfg)
{
	unsigned int	 i;
	int		 a;
	char		**sp;

	for (a = 0; a < cfg->naccounts; a++) {
		free(cfg->accounts[a].profile);
		for (i = 0; i < nitems(config_table); i++) {
			if (!config_slots[i].in_account)
				continue;
			sp = (char **)((char *)&cfg->accounts[a] +
			    config_slots[i].off);
			free(*sp);
		}
	}
	free(cfg->accounts);
	for (a = 0; a < cfg->nbindings; a++) {
		free(cfg->bindings[a].key);
		free(cfg->bindings[a].command);
	}
	free(cfg->bindings);
	for (i = 0; i < nitems(config_table); i++) {
		if (config_slots[i].in_account ||
		    config_table[i].type == CONFIG_INT ||
		    config_table[i].type == CONFIG_BINDING)
			continue;
		sp = (char **)((char *)cfg + config_slots[i].off);
		free(*sp);
	}
	free(cfg->path);
	memset(cfg, 0, sizeof *cfg);
}

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
