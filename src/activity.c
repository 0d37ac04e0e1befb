/* Activity text: the typing line and notification escapes; no curses. */
#include "haos/activity.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "haos/sanitize.h"
#include "haos/xmalloc.h"

#define ACTIVITY_ELLIPSIS	"\xe2\x80\xa6"

/* Sanitised s cut to max cells (ellipsis included when cut). */
static char *
activity_name(const char *s, int max, const char *ellipsis)
{
	char	*clean, *out;
	size_t	 len, p = 0, g, keep = 0;
	int	 w = 0, cw, ew = sanitize_width(ellipsis);

	clean = sanitize_text(s != NULL ? s : "", (size_t)-1, 0);
	if (sanitize_width(clean) <= max)
		return clean;
	len = strlen(clean);
	while (p < len) {
		g = sanitize_grapheme(clean + p, len - p, &cw);
		if (g == 0 || w + cw > max - ew)
			break;
		w += cw;
		p += g;
		keep = p;
	}
	out = xasprintf("%.*s%s", (int)keep, clean, ellipsis);
	free(clean);
	return out;
}

/*
 * Whether shown name a goes after b: letters without case first, then
 * bytes, so that the line does not flip with the server's order (a set
 * in Synapse).
 */
static int
activity_name_after(const char *a, const char *b)
{
	int	 c = strcasecmp(a, b);

	return c > 0 || (c == 0 && strcmp(a, b) > 0);
}

char *
activity_typing_text(const char *const *names, size_t n, int ascii)
{
	const char	*ell = ascii ? "..." : ACTIVITY_ELLIPSIS;
	char		*a, *b, *t, *out;

	if (n == 0)
		return NULL;
	if (n > 2)
		return xasprintf("several people are typing%s", ell);
	a = activity_name(names[0], ACTIVITY_NAME_MAX, ell);
	if (n == 1) {
		out = xasprintf("%s is typing%s", a, ell);
		free(a);
		return out;
	}
	b = activity_name(names[1], ACTIVITY_NAME_MAX, ell);
	if (activity_name_after(a, b)) {
		t = a;
		a = b;
		b = t;
	}
	out = xasprintf("%s and %s are typing%s", a, b, ell);
	free(a);
	free(b);
	return out;
}

unsigned int
activity_typing_step(struct activity_typing *t, const char *room_id,
    const char *text, int64_t now, char **stop)
{
	unsigned int	 act = 0;
	int		 composing, changed;

	*stop = NULL;
	if (text == NULL)
		text = "";
	composing = room_id != NULL && text[0] != '\0' &&
	    !(text[0] == '/' && text[1] != '/');
	if (t->room != NULL && (!composing ||
	    strcmp(t->room, room_id) != 0)) {
		*stop = t->room;
		t->room = NULL;
		act |= ACTIVITY_TYPING_STOP;
	}
	changed = t->last == NULL || strcmp(t->last, text) != 0;
	if (composing && changed && (t->room == NULL ||
	    now - t->at >= ACTIVITY_TYPING_MS)) {
		free(t->room);
		t->room = xstrdup(room_id);
		t->at = now;
		act |= ACTIVITY_TYPING_START;
	}
	if (changed) {
		free(t->last);
		t->last = xstrdup(text);
	}
	return act;
}

void
activity_typing_clear(struct activity_typing *t)
{
	free(t->room);
	free(t->last);
	t->room = t->last = NULL;
}

const char *
activity_presence_step(struct activity_presence *p, int64_t now,
    int64_t input, int64_t idle_ms)
{
	const char	*want;

	want = idle_ms > 0 && now - input >= idle_ms ? "unavailable" :
	    "online";
	if (p->told != NULL && strcmp(p->told, want) == 0)
		return NULL;
	p->told = want;
	return want;
}

char *
activity_notify_clean(const char *s, size_t max)
{
	char	*clean, *p;
	size_t	 len, off = 0, g, keep = 0, ell = strlen(ACTIVITY_ELLIPSIS);
	int	 cw;

	clean = sanitize_text(s != NULL ? s : "", (size_t)-1, 0);
	for (p = clean; *p != '\0'; p++) {
		if (*p == ';')
			*p = ',';
		else if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	}
	len = strlen(clean);
	if (len <= max)
		return clean;
	if (max < ell) {
		clean[0] = '\0';
		return clean;
	}
	/* Whole grapheme clusters only, so no UTF-8 sequence is cut. */
	while (off < len) {
		g = sanitize_grapheme(clean + off, len - off, &cw);
		if (g == 0 || off + g > max - ell)
			break;
		off += g;
		keep = off;
	}
	memcpy(clean + keep, ACTIVITY_ELLIPSIS, ell);
	clean[keep + ell] = '\0';
	return clean;
}

/* Append osc to out, wrapped for tmux's passthrough when asked. */
static char *
activity_add_osc(char *out, char *osc, int tmux)
{
	char	*tmp, *w, *p;

	if (tmux) {
		w = tmp = xmalloc(strlen(osc) * 2 + 1);
		for (p = osc; *p != '\0'; p++) {
			if (*p == '\033')
				*w++ = '\033';
			*w++ = *p;
		}
		*w = '\0';
		free(osc);
		osc = xasprintf("\033Ptmux;%s\033\\", tmp);
		free(tmp);
	}
	tmp = xasprintf("%s%s", out, osc);
	free(out);
	free(osc);
	return tmp;
}

char *
activity_notify_bytes(unsigned int flags, const char *title,
    const char *body)
{
	char	*t, *b, *out;
	int	 tmux = (flags & ACTIVITY_TMUX) != 0;

	t = activity_notify_clean(title, ACTIVITY_NOTIFY_MAX);
	b = activity_notify_clean(body, ACTIVITY_NOTIFY_MAX);
	out = xstrdup((flags & ACTIVITY_BELL) ? "\a" : "");
	if (flags & ACTIVITY_OSC777)
		out = activity_add_osc(out, xasprintf("\033]777;notify;%s;%s\a",
		    t, b), tmux);
	if (flags & ACTIVITY_OSC9)
		out = activity_add_osc(out, xasprintf("\033]9;%s%s%s\a", t,
		    *t != '\0' && *b != '\0' ? ": " : "", b), tmux);
	free(t);
	free(b);
	return out;
}
