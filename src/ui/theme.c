/* Colours from the [theme] section: 16, 256 or true colour, or none. */
#include "curses.h"
#include "ui-int.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "haos/config.h"
#include "haos/error.h"
#include "haos/xmalloc.h"

static const char *const theme_names[] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"
};

/* The xterm 256-colour cube index nearest to r, g, b. */
static int
theme_nearest_256(int r, int g, int b)
{
	static const int	 steps[] = { 0, 95, 135, 175, 215, 255 };
	int			 i, best, d, bd, ci[3], v[3], k, gray, gi;

	v[0] = r;
	v[1] = g;
	v[2] = b;
	for (k = 0; k < 3; k++) {
		best = 0;
		bd = 1 << 30;
		for (i = 0; i < 6; i++) {
			d = abs(v[k] - steps[i]);
			if (d < bd) {
				bd = d;
				best = i;
			}
		}
		ci[k] = best;
	}
	/* A grey ramp entry may be closer for unsaturated colours. */
	gray = (r + g + b) / 3;
	gi = gray < 8 ? 0 : gray > 238 ? 23 : (gray - 8) / 10;
	d = abs(r - (8 + gi * 10)) + abs(g - (8 + gi * 10)) +
	    abs(b - (8 + gi * 10));
	bd = abs(r - steps[ci[0]]) + abs(g - steps[ci[1]]) +
	    abs(b - steps[ci[2]]);
	if (d < bd)
		return 232 + gi;
	return 16 + 36 * ci[0] + 6 * ci[1] + ci[2];
}

/*
 * A colour spec to a terminal colour number: -1 for default, else an
 * index (16/256-colour terminals) or 0xRRGGBB (direct colour).
 */
static int
theme_color(const struct theme *t, const char *v)
{
	unsigned long	 rgb;
	unsigned int	 i;
	int		 bright = 0, n;

	if (v == NULL || strcmp(v, "default") == 0)
		return -1;
	if (v[0] == '#') {
		rgb = strtoul(v + 1, NULL, 16);
		if (t->colors > 256)
			return (int)rgb;
		n = theme_nearest_256((int)(rgb >> 16) & 255,
		    (int)(rgb >> 8) & 255, (int)rgb & 255);
		return t->colors >= 256 ? n : 7;
	}
	if (v[0] >= '0' && v[0] <= '9') {
		n = (int)strtol(v, NULL, 10);
		return n < t->colors || t->colors > 256 ? n : n % 8;
	}
	if (strncmp(v, "bright-", 7) == 0) {
		bright = 8;
		v += 7;
	}
	for (i = 0; i < nitems(theme_names); i++) {
		if (strcmp(v, theme_names[i]) == 0) {
			n = (int)i + (t->colors >= 16 ? bright : 0);
			if (t->colors > 256)	/* direct: xterm defaults */
				return n == 8 ? 0x808080 : (int)(
				    ((i & 1) ? 0xcd0000 : 0) |
				    ((i & 2) ? 0x00cd00 : 0) |
				    ((i & 4) ? 0x0000ee : 0)) |
				    (bright ? 0x333333 : 0);
			return n;
		}
	}
	return -1;
}

/* Allocate pair n with foreground fg; return its attribute. */
static attr_t
theme_pair(struct theme *t, int *n, int fg, int bg)
{
	if (t->colors == 0 || fg == -1)
		return A_NORMAL;
	if (init_extended_pair(*n, fg, bg) == ERR)
		return A_NORMAL;
	return (attr_t)COLOR_PAIR((*n)++);
}

/* Set up colours and attributes; monochrome under NO_COLOR or "none". */
int
theme_init(struct theme *t, const struct config *cfg,
    struct haos_error *err __unused)
{
	const char	*want = cfg->ui_color, *nc, *cs;
	char		*list, *tok, *rest;
	int		 pair = 1, c;

	memset(t, 0, sizeof *t);
	nc = getenv("NO_COLOR");
	if ((nc != NULL && *nc != '\0') || strcmp(want, "none") == 0 ||
	    !has_colors())
		t->colors = 0;
	else {
		start_color();
		use_default_colors();
		t->colors = COLORS >= 0x1000000 ? 0x1000000 :
		    COLORS >= 256 ? 256 : COLORS >= 16 ? 16 : 8;
		if (strcmp(want, "16") == 0 && t->colors > 16)
			t->colors = 16;
		if (strcmp(want, "256") == 0 && t->colors > 256)
			t->colors = 256;
	}
	if (strcmp(cfg->ui_ascii, "yes") == 0)
		t->ascii = 1;
	else if (strcmp(cfg->ui_ascii, "auto") == 0) {
		cs = nl_langinfo(CODESET);
		t->ascii = cs == NULL || (strcasecmp(cs, "UTF-8") != 0 &&
		    strcasecmp(cs, "utf8") != 0);
	}

	t->role[TH_TEXT] = A_NORMAL;
	t->role[TH_DIM] = theme_pair(t, &pair, theme_color(t, cfg->theme_dim),
	    -1);
	if (t->role[TH_DIM] == A_NORMAL)
		t->role[TH_DIM] = A_DIM;
	t->role[TH_ACCENT] = theme_pair(t, &pair,
	    theme_color(t, cfg->theme_accent), -1) | A_BOLD;
	t->role[TH_MENTION] = theme_pair(t, &pair,
	    theme_color(t, cfg->theme_mention), -1) | A_BOLD;
	t->role[TH_LINK] = theme_pair(t, &pair,
	    theme_color(t, cfg->theme_link), -1) | A_UNDERLINE;
	t->role[TH_ERROR] = theme_pair(t, &pair,
	    theme_color(t, cfg->theme_error), -1) | A_BOLD;
	t->role[TH_HEADING] = t->role[TH_DIM] | A_BOLD;
	t->role[TH_SELECTED] = A_REVERSE;
	t->role[TH_BORDER] = t->role[TH_DIM];
	t->role[TH_STATUS] = A_REVERSE;
	t->role[TH_UNREAD] = A_BOLD;
	/* Code in the accent colour, reversed on a monochrome screen. */
	t->role[TH_CODE] = theme_pair(t, &pair,
	    theme_color(t, cfg->theme_accent), -1);
	if (t->role[TH_CODE] == A_NORMAL)
		t->role[TH_CODE] = A_REVERSE;
	/* Italic where the terminal has it (sitm), else underlined. */
	cs = tigetstr("sitm");
	t->italic = cs != NULL && cs != (char *)-1 && *cs != '\0' ?
	    A_ITALIC : A_UNDERLINE;

	list = xstrdup(cfg->theme_senders);
	rest = list;
	while ((tok = strsep(&rest, ",")) != NULL &&
	    t->nsenders < THEME_MAX_SENDERS) {
		while (*tok == ' ')
			tok++;
		if (!config_valid_color(tok))
			continue;
		c = theme_color(t, tok);
		t->sender[t->nsenders++] = theme_pair(t, &pair, c, -1) |
		    A_BOLD;
	}
	free(list);
	if (t->nsenders == 0)
		t->sender[t->nsenders++] = A_BOLD;
	t->npair = pair;
	return 0;
}

/* The terminal colour nearest to 8-bit r, g, b: index or 0xRRGGBB. */
static int
theme_nearest(const struct theme *t, int r, int g, int b)
{
	int	 hi, n;

	if (t->colors > 256)
		return (r << 16) | (g << 8) | b;
	if (t->colors >= 256)
		return theme_nearest_256(r, g, b);
	/* The eight ANSI colours, bright ones on 16-colour terminals. */
	n = (r >= 96 ? 1 : 0) | (g >= 96 ? 2 : 0) | (b >= 96 ? 4 : 0);
	hi = r > 200 || g > 200 || b > 200;
	return n + (t->colors >= 16 && hi && n != 0 ? 8 : 0);
}

/*
 * The attribute of a formatted_body colour (RGB555): a pair with the
 * nearest terminal colour, made once; nothing without colours or once
 * THEME_MAX_RGB colours are in use.
 */
attr_t
theme_rgb(struct theme *t, int rgb555)
{
	int	 c, i, pair;

	if (t->colors == 0 || rgb555 < 0)
		return A_NORMAL;
	c = theme_nearest(t, ((rgb555 >> 10) & 31) * 255 / 31,
	    ((rgb555 >> 5) & 31) * 255 / 31, (rgb555 & 31) * 255 / 31);
	for (i = 0; i < t->nrgb; i++) {
		if (t->rgb_color[i] == c)
			return t->rgb_attr[i];
	}
	if (t->nrgb == THEME_MAX_RGB || t->npair >= COLOR_PAIRS)
		return A_NORMAL;
	pair = t->npair;
	t->rgb_color[t->nrgb] = c;
	t->rgb_attr[t->nrgb] = theme_pair(t, &pair, c, -1);
	t->npair = pair;
	return t->rgb_attr[t->nrgb++];
}

/*
 * The colour pair of an image preview's cell (preview.h: terminal
 * colours, -1 the default), made once per couple; 0 (the default
 * colours) without colours or once THEME_IMG_MAX pairs or the
 * terminal's are in use (allocated from COLOR_PAIRS down, above room
 * for the theme's and theme_rgb()'s).  Pair numbers past 255 do not fit
 * in an attr_t: the caller sets them with wattr_set()'s opts.
 */
int
theme_image(struct theme *t, int fg, int bg)
{
	int64_t	 key;
	size_t	 i;
	int	 pair;

	if (t->colors == 0 || (fg == -1 && bg == -1))
		return 0;
	key = ((int64_t)(fg + 1) << 32) | (uint32_t)(bg + 1);
	i = (size_t)((uint64_t)key * 0x9e3779b97f4a7c15ULL >> 52) %
	    THEME_IMG_SLOTS;
	for (; t->img_pair[i] != 0; i = (i + 1) % THEME_IMG_SLOTS) {
		if (t->img_key[i] == key)
			return t->img_pair[i];
	}
	/* From the top down: the theme's own pairs stay below 256. */
	pair = COLOR_PAIRS - 1 - t->nimg;
	if (t->nimg == THEME_IMG_MAX || pair <= t->npair + THEME_MAX_RGB)
		return 0;
	if (init_extended_pair(pair, fg, bg) == ERR)
		return 0;
	t->nimg++;
	t->img_key[i] = key;
	t->img_pair[i] = pair;
	return pair;
}

/* The attribute of sender colour i (render_sender_color's index). */
attr_t
theme_sender(const struct theme *t, int i)
{
	if (t->nsenders == 0)
		return A_BOLD;
	if (i < 0)
		i = -i;
	return t->sender[i % t->nsenders];
}
