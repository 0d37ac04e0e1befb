/* Fuzz the session file loader with a file of fuzzed bytes. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/session.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session		 s, t;
	struct haos_error	 err;
	char			*path, *again;

	path = fuzz_write("session.json", data, size);
	memset(&err, 0, sizeof err);
	if (session_load(&s, path, &err) == 0) {
		if (s.user_id == NULL || s.homeserver == NULL ||
		    s.access_token == NULL || s.device_id == NULL)
			fuzz_fail("session loaded with a NULL field");
		/* What was loaded saves and loads back unchanged. */
		again = fuzz_write("session2.json", (const uint8_t *)"", 0);
		if (session_save(&s, again, &err) == -1)
			fuzz_fail("session_save: %s", err.msg);
		if (session_load(&t, again, &err) == -1)
			fuzz_fail("session_load of a saved session: %s",
			    err.msg);
		if (strcmp(s.user_id, t.user_id) != 0 ||
		    strcmp(s.homeserver, t.homeserver) != 0 ||
		    strcmp(s.access_token, t.access_token) != 0 ||
		    strcmp(s.device_id, t.device_id) != 0)
			fuzz_fail("session changed in a save and load");
		session_free(&t);
		session_free(&s);
		free(again);
	}
	free(path);
	return 0;
}
