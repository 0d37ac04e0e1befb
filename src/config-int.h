/* Private to src/config*.c: where the value of each table key is stored. */
#ifndef HAOS_CONFIG_INT_H
#define HAOS_CONFIG_INT_H

#include <stddef.h>

/* Width of the parser's duplicate-key map; asserted against the table. */
#define CONFIG_MAX_KEYS	48

/* A key's slot: an offset into struct account or struct config. */
struct config_slot {
	int	 in_account;
	size_t	 off;
};

/* One per config_table[] row, in the same order. */
extern const struct config_slot	config_slots[];

#endif
