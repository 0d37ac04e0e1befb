/* OSC 8 hyperlinks: terminal detection and the bytes sent; pure. */
#include "haos/hyperlink.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "haos/xmalloc.h"

/* Whether s is set to something. */
static int
hyperlink_set(const char *s)
{
	return s != NULL && *s != '\0';
}

/* Compare a dotted version ("3.4.19") with major.minor; <0, 0 or >0. */
static int
hyperlink_version_cmp(const char *v, long major, long minor)
{
	char	*end;
	long	 a, b = 0;

	if (v == NULL)
		return -1;
	a = strtol(v, &end, 10);
	if (end == v)
		return -1;
	if (*end == '.')
		b = strtol(end + 1, NULL, 10);
	if (a != major)
		return a < major ? -1 : 1;
	return b < minor ? -1 : b > minor ? 1 : 0;
}

/* Whether the number in s is at least min. */
static int
hyperlink_at_least(const char *s, long min)
{
	char	*end;
	long	 v;

	if (!hyperlink_set(s))
		return 0;
	v = strtol(s, &end, 10);
	return end != s && v >= min;
}

/* Whether the comma-separated list has word in it. */
static int
hyperlink_has_word(const char *list, const char *word)
{
	const char	*p = list, *e;
	size_t		 n = strlen(word);

	if (list == NULL)
		return 0;
	for (;;) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		while (p < e && (*p == ' ' || *p == '\n'))
			p++;
		if ((size_t)(e - p) >= n && strncmp(p, word, n) == 0 &&
		    (p + n == e || p[n] == ' ' || p[n] == '\n'))
			return 1;
		if (*e == '\0')
			return 0;
		p = e + 1;
	}
}

/* Whether TERM is name or name-something. */
static int
hyperlink_term_is(const char *term, const char *name)
{
	size_t	 n = strlen(name);

	return term != NULL && strncmp(term, name, n) == 0 &&
	    (term[n] == '\0' || term[n] == '-');
}

int
hyperlink_detect(const char *setting, const struct hyperlink_env *e)
{
	const char	*tp = e->term_program, *tv = e->term_program_version;

	if (setting != NULL && strcmp(setting, "yes") == 0)
		return 1;
	if (setting != NULL && strcmp(setting, "no") == 0)
		return 0;
	/* A multiplexer: what it passes on, not the terminal's variables. */
	if (hyperlink_set(e->tmux))
		return hyperlink_has_word(e->tmux_features, "hyperlinks");
	if (hyperlink_set(e->sty) || hyperlink_term_is(e->term, "screen"))
		return 0;
	if (hyperlink_set(e->kitty_window_id) ||
	    hyperlink_term_is(e->term, "xterm-kitty"))
		return 1;
	if (hyperlink_set(tp)) {
		if (strcmp(tp, "WezTerm") == 0 || strcmp(tp, "ghostty") == 0)
			return 1;
		if (strcmp(tp, "iTerm.app") == 0)
			return hyperlink_version_cmp(tv, 3, 1) >= 0;
		if (strcmp(tp, "vscode") == 0)
			return hyperlink_version_cmp(tv, 1, 72) >= 0;
	}
	if (hyperlink_set(e->wt_session))
		return 1;
	if (hyperlink_at_least(e->vte_version, 5000))
		return 1;
	if (hyperlink_at_least(e->konsole_version, 201200))
		return 1;
	return hyperlink_term_is(e->term, "foot") ||
	    hyperlink_term_is(e->term, "alacritty") ||
	    hyperlink_term_is(e->term, "wezterm") ||
	    hyperlink_term_is(e->term, "xterm-ghostty");
}

/*
 * The length of the UTF-8 sequence at s (n bytes left) and its code
 * point in *cp, or 0 when it is not valid (overlong, surrogate, cut).
 */
static size_t
hyperlink_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t		 len, i;
	uint32_t	 c, min;

	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

char *
hyperlink_clean(const char *url)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*s = (const unsigned char *)url;
	char			*out;
	size_t			 len, i, o = 0, n, k;
	uint32_t		 cp;

	if (url == NULL || (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0 &&
	    strncasecmp(url, "mailto:", 7) != 0))
		return NULL;
	len = strlen(url);
	if (len > HYPERLINK_MAX_URL)
		return NULL;
	out = xmalloc(HYPERLINK_MAX_URL + 1);
	for (i = 0; i < len; i += n) {
		n = 1;
		if (s[i] <= 0x20 || s[i] == 0x7f)
			goto refuse;
		if (s[i] < 0x80) {
			if (o + 1 > HYPERLINK_MAX_URL)
				goto refuse;
			out[o++] = (char)s[i];
			continue;
		}
		n = hyperlink_utf8(s + i, len - i, &cp);
		if (n == 0 || (cp >= 0x80 && cp <= 0x9f))
			goto refuse;
		if (o + 3 * n > HYPERLINK_MAX_URL)
			goto refuse;
		for (k = 0; k < n; k++) {
			out[o++] = '%';
			out[o++] = hex[s[i + k] >> 4];
			out[o++] = hex[s[i + k] & 0xf];
		}
	}
	out[o] = '\0';
	return out;
refuse:
	free(out);
	return NULL;
}

void
hyperlink_id(const char *event_id, int link, char *buf, size_t size)
{
	uint32_t	 h = 2166136261u;
	const char	*p;

	/* FNV-1a of the event id: the same link, the same id. */
	for (p = event_id != NULL ? event_id : ""; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 16777619u;
	}
	snprintf(buf, size, "haos-%08x-%d", (unsigned int)h, link);
}

char *
hyperlink_open(const char *url, const char *id)
{
	char		*clean, *seq;
	const char	*p;

	for (p = id != NULL ? id : ""; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return NULL;
	}
	if ((clean = hyperlink_clean(url)) == NULL)
		return NULL;
	if (id != NULL && *id != '\0')
		seq = xasprintf("\033]8;id=%s;%s\033\\", id, clean);
	else
		seq = xasprintf("\033]8;;%s\033\\", clean);
	free(clean);
	return seq;
}
