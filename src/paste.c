/* What a bracketed paste is: a file's path to offer to upload. */
#include "haos/paste.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include "haos/xmalloc.h"

#define PASTE_PATH_MAX	4096

static int
paste_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A file:// URL's path, %XX decoded, or NULL. */
static char *
paste_url_path(const char *s)
{
	char	*out, *o;
	int	 hi, lo;

	s += strlen("file://");
	if (strncmp(s, "localhost/", 10) == 0)
		s += 9;
	if (*s != '/')
		return NULL;
	o = out = xmalloc(strlen(s) + 1);
	for (; *s != '\0'; s++) {
		if (*s == '%') {
			if ((hi = paste_hex(s[1])) == -1 ||
			    (lo = paste_hex(s[2])) == -1 ||
			    (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hi * 16 + lo);
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* A word: 'quoted', "quoted" or with backslash escapes; NULL if bad. */
static char *
paste_word(const char *s, size_t len)
{
	char	*out, *o;
	size_t	 i;

	if (len >= 2 && (s[0] == '\'' || s[0] == '"') && s[len - 1] == s[0])
		return xstrndup(s + 1, len - 2);
	o = out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		*o++ = s[i];
	}
	*o = '\0';
	return out;
}

char *
paste_file_path(const char *text)
{
	struct stat	 sb;
	const char	*s, *e, *home;
	char		*line, *path = NULL, *full;
	size_t		 len;

	if (text == NULL)
		return NULL;
	len = strlen(text);
	/* One line: a final newline at most. */
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len > 0 && text[len - 1] == '\r')
		len--;
	if (len == 0 || len > PASTE_PATH_MAX ||
	    memchr(text, '\n', len) != NULL || memchr(text, '\r', len) != NULL)
		return NULL;
	for (s = text; s < text + len && (*s == ' ' || *s == '\t'); s++)
		;
	for (e = text + len; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	if (s == e)
		return NULL;
	line = xstrndup(s, (size_t)(e - s));
	if (strncmp(line, "file://", 7) == 0)
		path = paste_url_path(line);
	else
		path = paste_word(line, strlen(line));
	free(line);
	if (path == NULL)
		return NULL;
	if (strncmp(path, "~/", 2) == 0 && (home = getenv("HOME")) != NULL &&
	    *home != '\0') {
		full = xasprintf("%s%s", home, path + 1);
		free(path);
		path = full;
	}
	/* Only a whole path: a pasted word is text, even if a file. */
	if (path[0] != '/' || stat(path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		free(path);
		return NULL;
	}
	return path;
}

/* path as /upload's first word: backslashes before what would split it. */
char *
paste_cmd_arg(const char *path)
{
	char	*out, *o;

	o = out = xmalloc(strlen(path) * 2 + 1);
	for (; *path != '\0'; path++) {
		if (strchr(" \t\\\"'", *path) != NULL)
			*o++ = '\\';
		*o++ = *path;
	}
	*o = '\0';
	return out;
}
