/* Canonical JSON, as Matrix signs it (spec appendix "Canonical JSON"). */

/*
 * jansson's own output is not canonical: it writes controls as upper-case
 * \u001F, reals as 1e10 or 10000000000.0, and integers of any size; so
 * the value is walked here.  Object keys are sorted bytewise (code point
 * order for UTF-8), strings are written as raw UTF-8 with only '"', '\\'
 * and the controls below U+0020 escaped, in the short form where JSON has
 * one and as lower-case \u00xx otherwise.  U+2028, U+2029, '/' and DEL
 * go out raw, as Synapse and python's canonicaljson write them.
 */
#include "haos/crypto.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/xmalloc.h"

#define CANONICAL_INT_MAX	9007199254740991LL	/* 2^53 - 1 */

struct canonical_key {
	const char	*key;
	size_t		 len;
	json_t		*value;
};

static int	canonical_value(struct xbuf *, const json_t *, int top,
		    struct haos_error *);

static void
canonical_string(struct xbuf *b, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 esc[6];
	size_t			 i, run = 0;
	unsigned char		 c;

	xbuf_add(b, "\"", 1);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		xbuf_add(b, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			xbuf_add(b, esc, 6);
			continue;
		}
		xbuf_add(b, esc, 2);
	}
	xbuf_add(b, s + run, len - run);
	xbuf_add(b, "\"", 1);
}

static int
canonical_key_cmp(const void *a, const void *b)
{
	const struct canonical_key	*x = a, *y = b;
	size_t				 n;
	int				 c;

	n = x->len < y->len ? x->len : y->len;
	if ((c = memcmp(x->key, y->key, n)) != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static int
canonical_object(struct xbuf *b, const json_t *obj, int top,
    struct haos_error *err)
{
	struct canonical_key	*keys;
	void			*it;
	size_t			 i, n = 0;
	int			 ret = 0;

	keys = xcalloc(json_object_size(obj) + 1, sizeof *keys);
	for (it = json_object_iter((json_t *)obj); it != NULL;
	    it = json_object_iter_next((json_t *)obj, it)) {
		keys[n].key = json_object_iter_key(it);
		keys[n].len = json_object_iter_key_len(it);
		keys[n].value = json_object_iter_value(it);
		if (top && ((keys[n].len == 10 &&
		    memcmp(keys[n].key, "signatures", 10) == 0) ||
		    (keys[n].len == 8 && memcmp(keys[n].key, "unsigned",
		    8) == 0)))
			continue;
		n++;
	}
	qsort(keys, n, sizeof *keys, canonical_key_cmp);
	xbuf_add(b, "{", 1);
	for (i = 0; i < n && ret == 0; i++) {
		if (i > 0)
			xbuf_add(b, ",", 1);
		canonical_string(b, keys[i].key, keys[i].len);
		xbuf_add(b, ":", 1);
		ret = canonical_value(b, keys[i].value, 0, err);
	}
	xbuf_add(b, "}", 1);
	free(keys);
	return ret;
}

static int
canonical_integer(struct xbuf *b, long long v, struct haos_error *err)
{
	char	 num[32];
	int	 len;

	if (v > CANONICAL_INT_MAX || v < -CANONICAL_INT_MAX) {
		haos_error_set(err, HAOS_ECRYPTO, "canonical JSON: integer "
		    "%lld is out of range", v);
		return -1;
	}
	len = snprintf(num, sizeof num, "%lld", v);
	xbuf_add(b, num, (size_t)len);
	return 0;
}

static int
canonical_value(struct xbuf *b, const json_t *v, int top,
    struct haos_error *err)
{
	size_t	 i;
	double	 d;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return canonical_object(b, v, top, err);
	case JSON_ARRAY:
		xbuf_add(b, "[", 1);
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				xbuf_add(b, ",", 1);
			if (canonical_value(b, json_array_get(v, i), 0,
			    err) == -1)
				return -1;
		}
		xbuf_add(b, "]", 1);
		return 0;
	case JSON_STRING:
		canonical_string(b, json_string_value(v),
		    json_string_length(v));
		return 0;
	case JSON_INTEGER:
		return canonical_integer(b, (long long)json_integer_value(v),
		    err);
	case JSON_REAL:
		d = json_real_value(v);
		if (!isfinite(d) || d != floor(d) ||
		    fabs(d) > (double)CANONICAL_INT_MAX) {
			haos_error_set(err, HAOS_ECRYPTO, "canonical JSON: "
			    "%g is not an integer", d);
			return -1;
		}
		return canonical_integer(b, d == 0 ? 0 : (long long)d, err);
	case JSON_TRUE:
		xbuf_add(b, "true", 4);
		return 0;
	case JSON_FALSE:
		xbuf_add(b, "false", 5);
		return 0;
	case JSON_NULL:
		xbuf_add(b, "null", 4);
		return 0;
	}
	haos_error_set(err, HAOS_ECRYPTO, "canonical JSON: unknown type");
	return -1;
}

static char *
canonical_dump(const json_t *v, int top, struct haos_error *err)
{
	struct xbuf	 b = { NULL, 0, 0 };

	if (v == NULL) {
		haos_error_set(err, HAOS_ECRYPTO, "canonical JSON: no value");
		return NULL;
	}
	xbuf_add(&b, "", 0);
	if (canonical_value(&b, v, top, err) == -1) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

char *
canonical_json(const json_t *v, struct haos_error *err)
{
	return canonical_dump(v, 0, err);
}

char *
canonical_json_signable(const json_t *v, struct haos_error *err)
{
	if (!json_is_object(v)) {
		haos_error_set(err, HAOS_ECRYPTO, "canonical JSON: only an "
		    "object can be signed");
		return NULL;
	}
	return canonical_dump(v, 1, err);
}
