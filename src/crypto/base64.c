/* Base64 as Matrix uses it: unpadded out, padded or unpadded in. */
#include "haos/crypto.h"

#include <string.h>

#include "haos/xmalloc.h"

static const char base64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char base64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *
base64_enc(const char *alpha, const void *data, size_t len)
{
	const unsigned char	*p = data;
	char			*out, *o;
	size_t			 i;
	unsigned long		 v;

	out = xmalloc(len / 3 * 4 + 4 + 1);
	o = out;
	for (i = 0; i + 3 <= len; i += 3) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 |
		    p[i + 2];
		*o++ = alpha[v >> 18 & 63];
		*o++ = alpha[v >> 12 & 63];
		*o++ = alpha[v >> 6 & 63];
		*o++ = alpha[v & 63];
	}
	if (len - i == 1) {
		v = (unsigned long)p[i] << 16;
		*o++ = alpha[v >> 18 & 63];
		*o++ = alpha[v >> 12 & 63];
	} else if (len - i == 2) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8;
		*o++ = alpha[v >> 18 & 63];
		*o++ = alpha[v >> 12 & 63];
		*o++ = alpha[v >> 6 & 63];
	}
	*o = '\0';
	return out;
}

char *
base64_encode(const void *data, size_t len)
{
	return base64_enc(base64_std, data, len);
}

char *
base64_url_encode(const void *data, size_t len)
{
	return base64_enc(base64_url, data, len);
}

static int
base64_value(const char *alpha, char c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(alpha, c)) == NULL)
		return -1;
	return (int)(p - alpha);
}

/*
 * Padding, if any, must complete the last group to four characters;
 * one character alone in a group, or bits set past the last byte, are
 * not the encoding of anything and are refused.
 */
static int
base64_dec(const char *alpha, const char *s, size_t len, unsigned char **out,
    size_t *outlen)
{
	unsigned char	*buf;
	unsigned long	 v = 0;
	size_t		 i, n = 0, bits = 0, pad = 0;
	int		 c;

	*out = NULL;
	*outlen = 0;
	while (pad < 2 && len > 0 && s[len - 1] == '=') {
		len--;
		pad++;
	}
	if (pad > 0 && (len + pad) % 4 != 0)
		return -1;
	if (len % 4 == 1)
		return -1;
	buf = xmalloc(len / 4 * 3 + 3 + 1);
	for (i = 0; i < len; i++) {
		if ((c = base64_value(alpha, s[i])) == -1) {
			free(buf);
			return -1;
		}
		v = (v << 6 | (unsigned long)c) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(v >> bits & 0xff);
		}
	}
	if ((v & ((1UL << bits) - 1)) != 0) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}

int
base64_decode(const char *s, size_t len, unsigned char **out, size_t *outlen)
{
	return base64_dec(base64_std, s, len, out, outlen);
}

int
base64_url_decode(const char *s, size_t len, unsigned char **out,
    size_t *outlen)
{
	return base64_dec(base64_url, s, len, out, outlen);
}
