/* jansson helpers: typed getters with defaults and dotted-path lookup. */
#include "haos/json.h"

#include <string.h>

#include "haos/xmalloc.h"

const char *
json_get_str(const json_t *o, const char *key, const char *def)
{
	json_t	*v;

	v = json_object_get(o, key);
	if (!json_is_string(v))
		return def;
	return json_string_value(v);
}

json_int_t
json_get_int(const json_t *o, const char *key, json_int_t def)
{
	json_t	*v;

	v = json_object_get(o, key);
	if (!json_is_integer(v))
		return def;
	return json_integer_value(v);
}

int
json_get_bool(const json_t *o, const char *key, int def)
{
	json_t	*v;

	v = json_object_get(o, key);
	if (!json_is_boolean(v))
		return def;
	return json_is_true(v);
}

json_t *
json_get_obj(const json_t *o, const char *key)
{
	json_t	*v;

	v = json_object_get(o, key);
	return json_is_object(v) ? v : NULL;
}

json_t *
json_get_arr(const json_t *o, const char *key)
{
	json_t	*v;

	v = json_object_get(o, key);
	return json_is_array(v) ? v : NULL;
}

/* Look up "a.b.c" through nested objects; keys cannot contain dots. */
json_t *
json_path(const json_t *o, const char *dotted)
{
	char		 key[256];
	const char	*p, *dot;
	size_t		 n;
	json_t		*cur = (json_t *)o;

	p = dotted;
	while (cur != NULL && *p != '\0') {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof key)
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		cur = json_object_get(cur, key);
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

const char *
json_path_str(const json_t *o, const char *dotted, const char *def)
{
	json_t	*v;

	v = json_path(o, dotted);
	if (!json_is_string(v))
		return def;
	return json_string_value(v);
}

/* Serialise compactly; the caller frees the result. */
char *
json_xdumps(const json_t *o)
{
	char	*s;

	s = json_dumps(o, JSON_COMPACT);
	if (s == NULL)
		s = xstrdup("null");
	return s;
}
