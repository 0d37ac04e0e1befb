/* Fuzz the INI configuration loader with a file of fuzzed bytes. */
#include "fuzz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/config.h"
#include "haos/error.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config		 cfg;
	struct haos_error	 err;
	struct account		*a;
	char			*path;
	int			 i;

	path = fuzz_write("config.ini", data, size);
	config_init(&cfg);
	memset(&err, 0, sizeof err);
	if (config_load(&cfg, path, 1, &err) == 0) {
		a = config_account(&cfg, NULL, &err);
		for (i = 0; i < cfg.naccounts; i++) {
			a = config_account(&cfg, cfg.accounts[i].profile,
			    &err);
			if (a == NULL || a->user == NULL)
				fuzz_fail("profile %d not found",  i);
			config_valid_profile(a->profile);
		}
		for (i = 0; i < cfg.nbindings; i++) {
			if (cfg.bindings[i].key == NULL ||
			    cfg.bindings[i].command == NULL)
				fuzz_fail("binding %d without key", i);
		}
		(void)a;
	} else if (strlen(err.msg) == 0)
		fuzz_fail("config_load failed without a message");
	config_free(&cfg);
	free(path);
	return 0;
}
