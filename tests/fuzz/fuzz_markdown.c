/* Fuzz outgoing Markdown: valid UTF-8 out, no raw HTML ever through. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "haos/markdown.h"
#include "haos/xmalloc.h"

/* The tags cmark makes of Markdown; anything else was typed. */
static const char *const tags[] = {
	"a ", "a>", "/a>", "blockquote>", "/blockquote>", "br />", "code>",
	"del>", "/del>",
	"code ", "/code>", "em>", "/em>", "h1>", "h2>", "h3>", "h4>", "h5>",
	"h6>", "/h1>", "/h2>", "/h3>", "/h4>", "/h5>", "/h6>", "hr />",
	"img ", "li>", "/li>", "ol>", "ol ", "/ol>", "p>", "/p>", "pre>",
	"/pre>", "strong>", "/strong>", "ul>", "/ul>"
};

/* "@p" is a pill with a hostile name. */
static size_t
pill(void *arg, const char *text, size_t len, size_t i,
    const char **user_id, const char **show)
{
	(void)arg;
	if (len - i < 2 || strncmp(text + i, "@p", 2) != 0)
		return 0;
	*user_id = "@p\"<x>:hs";
	*show = "<script>&\"";
	return 2;
}

static void
check_tags(const char *html)
{
	const char	*p;
	size_t		 k;

	for (p = strchr(html, '<'); p != NULL; p = strchr(p + 1, '<')) {
		for (k = 0; k < sizeof tags / sizeof tags[0]; k++) {
			if (strncmp(p + 1, tags[k], strlen(tags[k])) == 0)
				break;
		}
		if (k == sizeof tags / sizeof tags[0])
			fuzz_fail("raw tag in the HTML: %.20s", p);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*text, *html;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	size_t		 off, len, nr, k;
	struct markdown_range *r;

	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	/* Code ranges: in the text, never empty. */
	nr = markdown_code(text, &r);
	for (k = 0; k < nr; k++) {
		if (r[k].start >= r[k].end || r[k].end > strlen(text))
			fuzz_fail("code range %zu: [%zu, %zu) of %zu", k,
			    r[k].start, r[k].end, strlen(text));
	}
	free(r);
	html = markdown_html(text, pill, NULL);
	if (html != NULL) {
		len = strlen(html);
		for (off = 0; off < len; off += (size_t)n) {
			n = utf8proc_iterate((const utf8proc_uint8_t *)html +
			    off, (utf8proc_ssize_t)(len - off), &cp);
			if (n <= 0)
				fuzz_fail("bad UTF-8 at %zu", off);
		}
		check_tags(html);
		if (strstr(html, "<script") != NULL)
			fuzz_fail("a script tag");
	}
	free(html);
	free(text);
	return 0;
}
