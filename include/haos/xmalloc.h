/* Allocation wrappers: out-of-memory is fatal, so these never return NULL. */
#ifndef HAOS_XMALLOC_H
#define HAOS_XMALLOC_H

#include "haos/haos.h"

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char	*xvasprintf(const char *, va_list)
	    __attribute__((format(printf, 1, 0)));

/* A growing NUL-terminated string; start from { NULL, 0, 0 }. */
struct xbuf {
	char	*p;
	size_t	 len, cap;
};
void	 xbuf_add(struct xbuf *, const void *, size_t);

/* Free a pointer and set it to NULL. */
#define xfree(p) do { free(p); (p) = NULL; } while (0)

#endif
