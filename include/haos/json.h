/* The one header that includes <jansson.h>: typed getters with defaults. */
#ifndef HAOS_JSON_H
#define HAOS_JSON_H

#include "haos/haos.h"

#include <jansson.h>

const char	*json_get_str(const json_t *, const char *key, const char *def);
json_int_t	 json_get_int(const json_t *, const char *key, json_int_t def);
int		 json_get_bool(const json_t *, const char *key, int def);
json_t		*json_get_obj(const json_t *, const char *key);
json_t		*json_get_arr(const json_t *, const char *key);
json_t		*json_path(const json_t *, const char *dotted);
const char	*json_path_str(const json_t *, const char *dotted,
		     const char *def);
char		*json_xdumps(const json_t *);

#endif
