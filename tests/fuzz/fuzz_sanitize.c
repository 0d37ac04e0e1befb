/* Fuzz the sanitiser: output is clean UTF-8, graphemes tile it. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/sanitize.h"
#include "haos/xmalloc.h"

/* Walk s by grapheme: each step moves forward, widths 0-2; the total. */
static int
walk(const char *s, size_t len)
{
	size_t	 off = 0, n;
	int	 w, total = 0;

	while (off < len) {
		w = -1;
		n = sanitize_grapheme(s + off, len - off, &w);
		if (n == 0) {
			if (s[off] != '\0')
				fuzz_fail("grapheme of 0 bytes at %zu/%zu",
				    off, len);
			break;
		}
		if (n > len - off)
			fuzz_fail("grapheme of %zu bytes at %zu/%zu", n, off,
			    len);
		/* Each shown code point is 0, 1 or 2 cells. */
		if (w < 0 || w > 2 * (int)n)
			fuzz_fail("grapheme width %d of %zu bytes at %zu", w, n,
			    off);
		total += w;
		off += n;
	}
	return total;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s;
	char		*out, *again, *z;
	unsigned int	 flags;
	size_t		 len, olen;
	int		 w;

	if (size < 1)
		return 0;
	flags = data[0] & 1 ? SANITIZE_NEWLINES : 0;
	s = (const char *)data + 1;
	len = size - 1;

	out = sanitize_text(s, len, flags);
	olen = strlen(out);
	if (!fuzz_clean_text(out, olen, flags & SANITIZE_NEWLINES))
		fuzz_fail("sanitize_text output is not clean");
	w = sanitize_width(out);
	if (w < 0 || (size_t)w > 2 * olen)
		fuzz_fail("width %d of %zu bytes", w, olen);
	if (memchr(out, '\n', olen) == NULL && walk(out, olen) != w)
		fuzz_fail("graphemes sum to %d, width %d", walk(out, olen), w);
	again = sanitize_text(out, olen, flags);
	if (strcmp(again, out) != 0)
		fuzz_fail("sanitize_text is not idempotent");
	free(again);
	free(out);

	/* The NUL-terminated form stops at the first NUL. */
	z = xmalloc(len + 1);
	memcpy(z, s, len);
	z[len] = '\0';
	out = sanitize_text(z, (size_t)-1, flags);
	if (!fuzz_clean_text(out, strlen(out), flags & SANITIZE_NEWLINES))
		fuzz_fail("sanitize_text (NUL-terminated) is not clean");
	free(out);

	/* Raw network bytes go through the grapheme walk unharmed. */
	walk(z, len);
	free(z);
	return 0;
}
