/* jansson helpers: typed getters with defaults and dotted-path lookup. */
#include "haos/json.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "haos/xmalloc.h"

/*
 * Everything jansson frees is wiped first: its trees hold what /login
 * sends (the password), decrypted message plaintexts, room keys on their
 * way into libolm and secrets shared by our devices, and a freed block
 * must not keep them for the next reader of the heap or a core file.
 * Set once for the whole process, before any JSON exists (a library
 * constructor, so haos, its tests and benchmarks all run with it).
 */
static void
json_wiping_free(void *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

__attribute__((constructor)) static void
json_wiping_init(void)
{
	json_set_alloc_funcs(malloc, json_wiping_free);
}

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
 * Repair the unit of text at buf[*i] (a byte, a UTF-8 sequence, an
 * escape) into out + *o, which has room for 12 bytes, and step over it:
 * a byte that does not start a valid UTF-8 sequence becomes U+FFFD, a
 * \uXXXX escape of a surrogate that is not half of a pair \uFFFD, and a
 * raw control byte inside a string its \u00XX escape.  Everything else
 * is kept byte for byte.  *instr says whether *i is inside a string.
 */
static void
json_repair_step(const char *buf, size_t len, size_t *i, char *out,
    size_t *o, int *instr)
{
	const unsigned char	*p = (const unsigned char *)buf;
	size_t			 n, at = *i;
	utf8proc_int32_t	 cp;
	unsigned int		 hi, lo;

	if (p[at] == '"') {
		*instr = !*instr;
		out[(*o)++] = (char)p[at];
		*i = at + 1;
		return;
	}
	if (*instr && p[at] < 0x20) {
		*o += (size_t)snprintf(out + *o, 7, "\\u%04X", p[at]);
		*i = at + 1;
		return;
	}
	if (p[at] == '\\' && at + 1 < len && p[at + 1] == 'u' &&
	    json_hex4(buf + at + 2, len - at - 2, &hi) &&
	    hi >= 0xd800 && hi <= 0xdfff) {
		if (hi <= 0xdbff && at + 12 <= len &&
		    p[at + 6] == '\\' && p[at + 7] == 'u' &&
		    json_hex4(buf + at + 8, len - at - 8, &lo) &&
		    lo >= 0xdc00 && lo <= 0xdfff) {
			memcpy(out + *o, buf + at, 12);
			*o += 12;
			*i = at + 12;
			return;
		}
		memcpy(out + *o, "\\uFFFD", 6);
		*o += 6;
		*i = at + 6;
		return;
	}
	if (p[at] == '\\' && at + 1 < len) {
		/* Any other escape, "\\\\" included, as it is. */
		out[(*o)++] = (char)p[at];
		out[(*o)++] = (char)p[at + 1];
		*i = at + 2;
		return;
	}
	if (p[at] < 0x80) {
		out[(*o)++] = (char)p[at];
		*i = at + 1;
		return;
	}
	n = (size_t)utf8proc_iterate(p + at, (utf8proc_ssize_t)(len - at),
	    &cp);
	if ((utf8proc_ssize_t)n > 0 && cp >= 0) {
		memcpy(out + *o, buf + at, n);
		*o += n;
		*i = at + n;
		return;
	}
	memcpy(out + *o, "\xef\xbf\xbd", 3);
	*o += 3;
	*i = at + 1;
}

/* Copy buf with json_repair_step() applied from start to end. */
char *
json_repair_text(const char *buf, size_t len, size_t *outlen)
{
	char	*out;
	size_t	 i = 0, o = 0, cap;
	int	 instr = 0;

	/* A unit never grows more than sixfold (a control byte). */
	cap = len + len / 4 + 16;
	out = xmalloc(cap);
	while (i < len) {
		if (cap - o < 13) {
			cap = cap * 2;
			out = xrealloc(out, cap);
		}
		json_repair_step(buf, len, &i, out, &o, &instr);
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* The bytes of buf whose repair (json_repair_text()) is used bytes long. */
static size_t
json_repair_raw(const char *buf, size_t len, size_t used)
{
	char	 scratch[16];
	size_t	 i = 0, o = 0, n;
	int	 instr = 0;

	while (i < len && o < used) {
		n = 0;
		json_repair_step(buf, len, &i, scratch, &n, &instr);
		o += n;
	}
	return i;
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

/* The flags of json_load_next(): one value of any kind, then stop. */
#define JSON_NEXT_FLAGS	(JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | \
	JSON_ALLOW_NUL)
/* The first window json_load_next() repairs, before it doubles. */
#define JSON_NEXT_WINDOW	4096

/*
 * json_load_next() of text jansson refused: repair a window of it that
 * starts at the value and doubles until the value parses, the error lies
 * inside the window (not at its end, where the value was cut) or the
 * window holds the whole text.
 */
static json_t *
json_load_next_repaired(const char *buf, size_t len, size_t *used,
    json_error_t *jerr)
{
	json_error_t	 e;
	json_t		*j = NULL;
	char		*fixed;
	size_t		 w, n, at;

	at = jerr->position > 0 ? (size_t)jerr->position : 0;
	for (w = JSON_NEXT_WINDOW; w < 2 * at + 16; w *= 2)
		;
	for (;;) {
		if (w > len)
			w = len;
		fixed = json_repair_text(buf, w, &n);
		if (n != w || memcmp(fixed, buf, w) != 0) {
			j = json_loadb(fixed, n, JSON_NEXT_FLAGS, &e);
			if (j != NULL)
				*used = json_repair_raw(buf, w,
				    (size_t)e.position);
		} else
			e = *jerr;
		free(fixed);
		if (j != NULL || w == len || (size_t)e.position + 16 < n)
			break;
		w *= 2;
	}
	return j;
}

/*
 * One JSON value of any kind at the start of buf (white space before it
 * skipped), parsed as json_load_network() would; *used is how many bytes
 * of buf it took.  Text after the value is not looked at.
 */
json_t *
json_load_next(const char *buf, size_t len, size_t *used, int *repaired,
    json_error_t *jerr)
{
	json_error_t	 e;
	json_t		*j;

	if (jerr == NULL)
		jerr = &e;
	if (repaired != NULL)
		*repaired = 0;
	*used = 0;
	j = json_loadb(buf, len, JSON_NEXT_FLAGS, jerr);
	if (j != NULL) {
		*used = (size_t)jerr->position;
		return j;
	}
	j = json_load_next_repaired(buf, len, used, jerr);
	if (j != NULL && repaired != NULL)
		*repaired = 1;
	return j;
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
