/* jansson helpers: typed getters with defaults and dotted-path lookup. */
#include "haos/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

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

/* Whether s[0..3] are four hex digits; their value in *v. */
static int
json_hex4(const char *s, size_t left, unsigned int *v)
{
	size_t		 i;
	unsigned int	 d;

	if (left < 4)
		return 0;
	*v = 0;
	for (i = 0; i < 4; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = (unsigned int)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = (unsigned int)(s[i] - 'a' + 10);
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = (unsigned int)(s[i] - 'A' + 10);
		else
			return 0;
		*v = *v << 4 | d;
	}
	return 1;
}

/*
 * Copy buf, replacing each byte that does not start a valid UTF-8
 * sequence with U+FFFD, each \uXXXX escape of a surrogate that is not
 * half of a pair with \uFFFD, and each raw control byte inside a string
 * with its \u00XX escape.  Everything else is kept byte for byte.
 */
char *
json_repair_text(const char *buf, size_t len, size_t *outlen)
{
	const unsigned char	*p = (const unsigned char *)buf;
	char			*out;
	size_t			 i = 0, o = 0, n;
	utf8proc_int32_t	 cp;
	unsigned int		 hi, lo;
	int			 instr = 0;

	out = xmalloc(len * 6 + 1);
	while (i < len) {
		if (p[i] == '"') {
			instr = !instr;
			out[o++] = (char)p[i++];
			continue;
		}
		if (instr && p[i] < 0x20) {
			o += (size_t)snprintf(out + o, 7, "\\u%04X", p[i]);
			i++;
			continue;
		}
		if (p[i] == '\\' && i + 1 < len && p[i + 1] == 'u' &&
		    json_hex4(buf + i + 2, len - i - 2, &hi) &&
		    hi >= 0xd800 && hi <= 0xdfff) {
			if (hi <= 0xdbff && i + 12 <= len &&
			    p[i + 6] == '\\' && p[i + 7] == 'u' &&
			    json_hex4(buf + i + 8, len - i - 8, &lo) &&
			    lo >= 0xdc00 && lo <= 0xdfff) {
				memcpy(out + o, buf + i, 12);
				o += 12;
				i += 12;
				continue;
			}
			memcpy(out + o, "\\uFFFD", 6);
			o += 6;
			i += 6;
			continue;
		}
		if (p[i] == '\\' && i + 1 < len) {
			/* Any other escape, "\\\\" included, as it is. */
			out[o++] = (char)p[i++];
			out[o++] = (char)p[i++];
			continue;
		}
		if (p[i] < 0x80) {
			out[o++] = (char)p[i++];
			continue;
		}
		n = (size_t)utf8proc_iterate(p + i, (utf8proc_ssize_t)(len -
		    i), &cp);
		if ((utf8proc_ssize_t)n > 0 && cp >= 0) {
			memcpy(out + o, buf + i, n);
			o += n;
			i += n;
			continue;
		}
		memcpy(out + o, "\xef\xbf\xbd", 3);
		o += 3;
		i++;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* json_load_network() with jansson's flags (JSON_ALLOW_NUL added). */
static json_t *
json_load_flags(const char *buf, size_t len, size_t flags, int *repaired,
    json_error_t *jerr)
{
	json_t	*j;
	char	*fixed;
	size_t	 n;

	if (repaired != NULL)
		*repaired = 0;
	flags |= JSON_ALLOW_NUL;
	j = json_loadb(buf, len, flags, jerr);
	if (j != NULL)
		return j;
	fixed = json_repair_text(buf, len, &n);
	if (n != len || memcmp(fixed, buf, len) != 0) {
		j = json_loadb(fixed, n, flags, jerr);
		if (j != NULL && repaired != NULL)
			*repaired = 1;
	}
	free(fixed);
	return j;
}

json_t *
json_load_network(const char *buf, size_t len, int *repaired,
    json_error_t *jerr)
{
	return json_load_flags(buf, len, 0, repaired, jerr);
}

json_t *
json_load_part(const char *buf, size_t len, int *repaired,
    json_error_t *jerr)
{
	return json_load_flags(buf, len, JSON_DECODE_ANY, repaired, jerr);
}

char *
json_xdumps_take(json_t *j)
{
	char	*s;

	s = json_xdumps(j);
	json_decref(j);
	return s;
}

json_t *
json_load_answer(const char *body)
{
	if (body == NULL)
		return NULL;
	return json_load_network(body, strlen(body), NULL, NULL);
}

json_t *
json_load_stored(const char *text)
{
	if (text == NULL)
		return NULL;
	return json_loads(text, JSON_ALLOW_NUL, NULL);
}
