/* Kitty and sixel previews: the pure half (sequences, detection, diff). */

/*
 * No curses and no I/O here (graphics.c writes): the kitty graphics
 * protocol's APC commands (ESC _G keys ; payload ESC \), the cursor
 * moves around a sequence, which mode "auto" gives in a terminal, and
 * the rectangles' comparisons.  The payload is base64 of pixels the
 * decoder made, never the file's bytes: nothing a server sends reaches
 * the terminal raw.
 */
#include "haos/graphics-seq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/xmalloc.h"

/* The value of name in envp, or NULL. */
static const char *
graphics_seq_env(const char *const *envp, const char *name)
{
	size_t	 n = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++) {
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	}
	return NULL;
}

static int
graphics_seq_set(const char *const *envp, const char *name)
{
	const char	*v = graphics_seq_env(envp, name);

	return v != NULL && *v != '\0';
}

/* Whether the comma-separated list has the word w. */
static int
graphics_seq_word(const char *list, const char *w)
{
	size_t		 n = strlen(w), k;

	while (list != NULL && *list != '\0') {
		k = strcspn(list, ",\n ");
		if (k == n && strncmp(list, w, n) == 0)
			return 1;
		list += k;
		list += strspn(list, ",\n ");
	}
	return 0;
}

int
graphics_seq_in_tmux(const char *const *envp)
{
	return graphics_seq_set(envp, "TMUX");
}

enum preview_mode
graphics_seq_detect(const char *cfg, const char *const *envp,
    const char *tmux_features)
{
	const char	*term, *prog;

	if (cfg == NULL || strcmp(cfg, "off") == 0)
		return PREVIEW_OFF;
	if (strcmp(cfg, "symbols") == 0)
		return PREVIEW_SYMBOLS;
	if (strcmp(cfg, "sixel") == 0)
		return PREVIEW_SIXEL;
	if (strcmp(cfg, "kitty") == 0)
		return PREVIEW_KITTY;
	if (strcmp(cfg, "auto") != 0)
		return PREVIEW_OFF;
	term = graphics_seq_env(envp, "TERM");
	if (term == NULL)
		term = "";
	prog = graphics_seq_env(envp, "TERM_PROGRAM");
	if (prog == NULL)
		prog = "";
	/* tmux and screen pass no kitty graphics; tmux 3.4 may do sixel. */
	if (graphics_seq_in_tmux(envp))
		return graphics_seq_word(tmux_features, "sixel") ?
		    PREVIEW_SIXEL : PREVIEW_SYMBOLS;
	if (graphics_seq_set(envp, "STY") || strncmp(term, "screen", 6) == 0 ||
	    strncmp(term, "tmux", 4) == 0)
		return PREVIEW_SYMBOLS;
	if (graphics_seq_set(envp, "KITTY_WINDOW_ID") ||
	    strcmp(term, "xterm-kitty") == 0 || strcmp(prog, "WezTerm") == 0 ||
	    strcmp(prog, "ghostty") == 0)
		return PREVIEW_KITTY;
	if (strncmp(term, "foot", 4) == 0 || strncmp(term, "mlterm", 6) == 0 ||
	    graphics_seq_set(envp, "MLTERM"))
		return PREVIEW_SIXEL;
	return PREVIEW_SYMBOLS;
}

/* s (n bytes) in base64 at out; the length written. */
static size_t
graphics_seq_b64(const unsigned char *s, size_t n, char *out)
{
	static const char	 b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			 i, o = 0;
	unsigned int		 v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned int)s[i] << 16 | (unsigned int)s[i + 1] << 8 |
		    s[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned int)s[i] << 16;
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		v = (unsigned int)s[i] << 16 | (unsigned int)s[i + 1] << 8;
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = '=';
	}
	return o;
}

char *
graphics_seq_kitty_send(uint32_t id, const unsigned char *px, int w, int h,
    size_t *len)
{
	char	*b, *out, head[96];
	size_t	 n = (size_t)w * (size_t)h * 4, blen, off, k, o = 0, cap;
	int	 hl;

	b = xmalloc((n + 2) / 3 * 4 + 1);
	blen = graphics_seq_b64(px, n, b);
	/* Each chunk: its keys (at most the first's), payload, ESC \. */
	cap = blen + (blen / GRAPHICS_SEQ_CHUNK + 1) * (sizeof head + 4) + 1;
	out = xmalloc(cap);
	off = 0;
	do {
		k = blen - off;
		if (k > GRAPHICS_SEQ_CHUNK)
			k = GRAPHICS_SEQ_CHUNK;
		if (off == 0)
			hl = snprintf(head, sizeof head, "\033_Ga=t,f=32,s=%d,"
			    "v=%d,i=%u,q=2,m=%d;", w, h, (unsigned int)id,
			    off + k < blen);
		else
			hl = snprintf(head, sizeof head, "\033_Gm=%d;",
			    off + k < blen);
		memcpy(out + o, head, (size_t)hl);
		o += (size_t)hl;
		memcpy(out + o, b + off, k);
		o += k;
		memcpy(out + o, "\033\\", 2);
		o += 2;
		off += k;
	} while (off < blen);
	out[o] = '\0';
	free(b);
	*len = o;
	return out;
}

char *
graphics_seq_kitty_place(uint32_t id, uint32_t pid, int cols, int rows)
{
	return xasprintf("\033_Ga=p,i=%u,p=%u,c=%d,r=%d,C=1,q=2\033\\",
	    (unsigned int)id, (unsigned int)pid, cols, rows);
}

char *
graphics_seq_kitty_delete(uint32_t id, uint32_t pid)
{
	if (id == 0)
		return xstrdup("\033_Ga=d,d=A,q=2\033\\");
	return xasprintf("\033_Ga=d,d=i,i=%u,p=%u,q=2\033\\",
	    (unsigned int)id, (unsigned int)pid);
}

char *
graphics_seq_at(int y, int x, const char *seq, size_t len, size_t *outlen)
{
	char	 head[32], *out;
	int	 hl;

	hl = snprintf(head, sizeof head, "\0337\033[%d;%dH", y + 1, x + 1);
	out = xmalloc((size_t)hl + len + 3);
	memcpy(out, head, (size_t)hl);
	memcpy(out + hl, seq, len);
	memcpy(out + (size_t)hl + len, "\0338", 3);
	*outlen = (size_t)hl + len + 2;
	return out;
}

int
graphics_seq_same(const struct graphics_rect *a, const struct graphics_rect *b)
{
	return a->id == b->id && a->y == b->y && a->x == b->x &&
	    a->cols == b->cols && a->rows == b->rows && a->sel == b->sel;
}

int
graphics_seq_has(const struct graphics_rect *set, size_t n,
    const struct graphics_rect *r)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (graphics_seq_same(&set[i], r))
			return 1;
	}
	return 0;
}

int
graphics_seq_visible(int top, int rows, int h)
{
	return rows > 0 && top >= 0 && top + rows <= h;
}
