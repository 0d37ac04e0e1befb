/* Server badges for the rail: 2-3 letters of a name from the network. */
#include "haos/render.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "haos/sanitize.h"

/*
 * Bytes of the grapheme at p that fit in left bytes: all of it, or (a
 * combining storm, say) only its base character; 0 if not even that.
 */
static size_t
render_badge_fit(const char *p, size_t g, size_t left)
{
	unsigned char	 c = (unsigned char)*p;
	size_t		 base;

	if (g < left)
		return g;
	base = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
	return base < left && base <= g ? base : 0;
}

/*
 * 2-3 letters: initials of a multi-word name, else its first letters.
 * The name is the network's: a grapheme never writes past outsz.
 */
void
render_badge(const char *clean, char *out, size_t outsz)
{
	const char	*p;
	size_t		 o = 0, g, n;
	int		 words = 0, w, take;

	for (p = clean; *p != '\0'; p++) {
		if ((p == clean || p[-1] == ' ') && *p != ' ')
			words++;
	}
	take = words > 1 ? 0 : 2;
	for (p = clean; *p != '\0' && o + 5 < outsz;) {
		/* Initials: only a word's first grapheme counts. */
		if (*p == ' ' || (words > 1 && p != clean && p[-1] != ' ')) {
			p++;
			continue;
		}
		g = sanitize_grapheme(p, strlen(p), &w);
		if (g == 0 || (words > 1 ? take == 3 : take <= 0))
			break;
		n = render_badge_fit(p, g, outsz - o);
		if (n == 0)
			break;
		memcpy(out + o, p, n);
		o += n;
		take += words > 1 ? 1 : -w;
		p += g;
	}
	out[o] = '\0';
	if (o > 0 && islower((unsigned char)out[0]))
		out[0] = (char)toupper((unsigned char)out[0]);
	if (o == 0)
		snprintf(out, outsz, "?");
}
