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
#include "haos/sanitize.h"
#include "haos/xmalloc.h"
#include "config-int.h"

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
	unsigned char	 seen[65][CONFIG_MAX_KEYS];	/* seen[1 + account][key]: duplicates */
};

static void
config_fail(struct config_parse *cp, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
config_fail(struct config_parse *cp, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*raw, *shown;

	if (cp->error_line != 0)
		return;
	cp->error_line = line;
	va_start(ap, fmt);
	raw = xvasprintf(fmt, ap);
	va_end(ap);
	/*
	 * Keys and section names from the file are in it: show their
	 * controls as escapes (our own words have none).
	 */
	shown = sanitize_escape(raw);
	snprintf(cp->error, sizeof cp->error, "%s", shown);
	free(shown);
	free(raw);
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
	for (i = 0; i < config_table_size; i++) {
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
	for (i = 0; i < config_table_size; i++) {
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
		    ((len = strlen(buf)) == 0 || buf[len - 1] != '\n'))
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
	for (i = 0; i < config_table_size; i++) {
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
			for (j = 0; j < config_table_size; j++) {
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
		for (i = 0; i < config_table_size; i++) {
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
	for (i = 0; i < config_table_size; i++) {
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
