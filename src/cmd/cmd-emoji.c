/* :shortcode: emoji for completion and for expanding sent text. */
#include "haos/cmd.h"

#include <string.h>

#include "haos/xmalloc.h"

/* this array MUST be alphasorted by name (check_cmd.c checks it) */
const struct cmd_emoji cmd_emoji_table[] = {
	{ ":+1:", "\xf0\x9f\x91\x8d" },
	{ ":-1:", "\xf0\x9f\x91\x8e" },
	{ ":check:", "\xe2\x9c\x85" },
	{ ":clap:", "\xf0\x9f\x91\x8f" },
	{ ":coffee:", "\xe2\x98\x95" },
	{ ":cry:", "\xf0\x9f\x98\xa2" },
	{ ":eyes:", "\xf0\x9f\x91\x80" },
	{ ":fire:", "\xf0\x9f\x94\xa5" },
	{ ":grin:", "\xf0\x9f\x98\x81" },
	{ ":heart:", "\xe2\x9d\xa4\xef\xb8\x8f" },
	{ ":joy:", "\xf0\x9f\x98\x82" },
	{ ":ok_hand:", "\xf0\x9f\x91\x8c" },
	{ ":party:", "\xf0\x9f\x8e\x89" },
	{ ":pray:", "\xf0\x9f\x99\x8f" },
	{ ":rocket:", "\xf0\x9f\x9a\x80" },
	{ ":seedling:", "\xf0\x9f\x8c\xb1" },
	{ ":smile:", "\xf0\x9f\x98\x84" },
	{ ":sob:", "\xf0\x9f\x98\xad" },
	{ ":tada:", "\xf0\x9f\x8e\x89" },
	{ ":thinking:", "\xf0\x9f\xa4\x94" },
	{ ":thumbsdown:", "\xf0\x9f\x91\x8e" },
	{ ":thumbsup:", "\xf0\x9f\x91\x8d" },
	{ ":wave:", "\xf0\x9f\x91\x8b" },
	{ ":wink:", "\xf0\x9f\x98\x89" },
	{ ":x:", "\xe2\x9d\x8c" },
};
const size_t cmd_emoji_table_size = nitems(cmd_emoji_table);

/* Return s with every known :shortcode: replaced by its emoji. */
char *
cmd_emoji_expand(const char *s)
{
	const char	*p, *end;
	char		*out;
	size_t		 o = 0, i, len;

	out = xmalloc(strlen(s) * 2 + 1);
	for (p = s; *p != '\0';) {
		if (*p == ':' && (end = strchr(p + 1, ':')) != NULL) {
			len = (size_t)(end - p) + 1;
			for (i = 0; i < cmd_emoji_table_size; i++) {
				if (strlen(cmd_emoji_table[i].name) == len &&
				    strncmp(cmd_emoji_table[i].name, p,
				    len) == 0)
					break;
			}
			if (i < cmd_emoji_table_size &&
			    strlen(cmd_emoji_table[i].utf8) <= len * 2) {
				memcpy(out + o, cmd_emoji_table[i].utf8,
				    strlen(cmd_emoji_table[i].utf8));
				o += strlen(cmd_emoji_table[i].utf8);
				p += len;
				continue;
			}
		}
		out[o++] = *p++;
	}
	out[o] = '\0';
	return out;
}
