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
/* json_xdumps() of j, then its reference dropped (builders' last step). */
char		*json_xdumps_take(json_t *);

/*
 * Parse JSON from the network: NUL (\u0000) in strings is allowed, and
 * text jansson refuses for its encoding alone (invalid UTF-8 bytes, lone
 * surrogate escapes) is repaired to U+FFFD and parsed again, so that one
 * such string never loses a whole answer.  *repaired (may be NULL) says
 * whether that happened.  NULL with jerr set if it is not JSON at all.
 */
json_t		*json_load_network(const char *, size_t, int *repaired,
		     json_error_t *);
/*
 * One value of any kind at the start of buf (after white space), parsed
 * as json_load_network() would; the text after it is not read.  *used
 * is how many bytes of buf it took (the raw bytes, repaired or not).
 * Text refused for its encoding is repaired a window at a time, so a
 * value is repaired without copying all the text after it.
 */
json_t		*json_load_next(const char *, size_t, size_t *used,
		     int *repaired, json_error_t *);
/* The repair alone: a copy of buf (len bytes) with *outlen; NUL-ended. */
char		*json_repair_text(const char *buf, size_t len, size_t *outlen);
/* json_load_network() of a NUL-terminated answer body (NULL: NULL). */
json_t		*json_load_answer(const char *);
/* Content stored by haos (jansson's own output, NUL escapes allowed). */
json_t		*json_load_stored(const char *);

#endif
