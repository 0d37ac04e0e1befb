/* Fuzz OSC 8 URLs: nothing hostile gets into the bytes sent to the tty. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/hyperlink.h"
#include "haos/xmalloc.h"

/* Whether b is a byte an OSC 8 URI may hold: printable ASCII, no space. */
static int
uri_byte(unsigned char b)
{
	return b > 0x20 && b < 0x7f;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*url, *clean, *again, *seq, id[48];
	const char	*uri;
	size_t		 i, len;

	url = xmalloc(size + 1);
	memcpy(url, data, size);
	url[size] = '\0';
	clean = hyperlink_clean(url);
	if (clean != NULL) {
		len = strlen(clean);
		if (len == 0 || len > HYPERLINK_MAX_URL)
			fuzz_fail("a URL of %zu bytes", len);
		for (i = 0; i < len; i++) {
			if (!uri_byte((unsigned char)clean[i]))
				fuzz_fail("byte %#x at %zu", clean[i], i);
		}
		/* Clean is a fixed point. */
		again = hyperlink_clean(clean);
		if (again == NULL || strcmp(again, clean) != 0)
			fuzz_fail("cleaning twice changes the URL");
		free(again);
	}
	hyperlink_id(url, (int)(size % 7), id, sizeof id);
	for (i = 0; id[i] != '\0'; i++) {
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' &&
		    id[i] <= '9') || id[i] == '-'))
			fuzz_fail("id byte %#x", id[i]);
	}
	seq = hyperlink_open(url, id);
	if ((seq == NULL) != (clean == NULL))
		fuzz_fail("open and clean disagree");
	if (seq != NULL) {
		/* ESC ] 8 ; id=ID ; URI ESC \, and no ESC or BEL inside. */
		if (strncmp(seq, "\x1b]8;id=", 7) != 0)
			fuzz_fail("sequence starts wrong");
		len = strlen(seq);
		if (len < 2 || seq[len - 2] != '\x1b' || seq[len - 1] != '\\')
			fuzz_fail("sequence ends wrong");
		uri = strchr(seq + 7, ';');
		if (uri == NULL || strncmp(seq + 7, id, strlen(id)) != 0 ||
		    uri != seq + 7 + strlen(id))
			fuzz_fail("id is not the parameters");
		if (strlen(uri + 1) - 2 != strlen(clean) ||
		    strncmp(uri + 1, clean, strlen(clean)) != 0)
			fuzz_fail("URI is not the clean URL");
		for (i = 2; i < len - 2; i++) {
			if (!uri_byte((unsigned char)seq[i]))
				fuzz_fail("byte %#x inside the sequence",
				    seq[i]);
		}
	}
	free(seq);
	free(clean);
	free(url);
	return 0;
}
