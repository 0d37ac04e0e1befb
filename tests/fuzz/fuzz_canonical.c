/* Fuzz canonical JSON: what it writes parses back equal, and is stable. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"

/* Whether v holds a real anywhere (written as an integer, if at all). */
static int
fuzz_has_real(const json_t *v)
{
	const char	*k;
	json_t		*e;
	size_t		 i;

	if (json_is_real(v))
		return 1;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e)
			if (fuzz_has_real(e))
				return 1;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (fuzz_has_real(e))
				return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct haos_error	 err;
	json_t			*in, *back;
	char			*out, *again;
	size_t			 i;

	in = json_loadb((const char *)data, size, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, NULL);
	if (in == NULL)
		return 0;
	out = canonical_json(in, &err);
	if (out == NULL) {
		if (err.code != HAOS_ECRYPTO)
			fuzz_fail("refused without a crypto error: %s",
			    err.msg);
		json_decref(in);
		return 0;
	}
	/* Compact: no white space outside strings, no raw controls. */
	for (i = 0; out[i] != '\0'; i++) {
		if ((unsigned char)out[i] < 0x20)
			fuzz_fail("raw control 0x%02x at %zu", out[i], i);
	}
	back = json_loads(out, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (back == NULL)
		fuzz_fail("output does not parse: %s", out);
	if (!fuzz_has_real(in) && !json_equal(in, back))
		fuzz_fail("output parses to another value: %s", out);
	if (fuzz_has_real(back))
		fuzz_fail("output holds a real: %s", out);
	again = canonical_json(back, &err);
	if (again == NULL || strcmp(out, again) != 0)
		fuzz_fail("not stable: %s then %s", out,
		    again != NULL ? again : err.msg);
	free(again);
	json_decref(back);
	free(out);
	json_decref(in);
	return 0;
}
