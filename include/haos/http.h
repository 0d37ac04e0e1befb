/* HTTP requests: the only interface to libcurl; no curl types here. */
#ifndef HAOS_HTTP_H
#define HAOS_HTTP_H

#include "haos/haos.h"

#include <stddef.h>

struct http_opts {
	const char	*ca_file;		/* NULL: system store */
	long		 connect_timeout_ms;
	long		 timeout_ms;		/* total, 0: none */
};

struct http_req {
	const char	*method;	/* "GET", "POST", "PUT", "DELETE" */
	const char	*url;		/* full URL, no access_token in it */
	const char	*token;		/* sent as Authorization: Bearer */
	const char	*content_type;	/* NULL: application/json if body */
	const void	*body;
	size_t		 body_len;
};

struct http_resp {
	long	 status;
	char	*body;		/* NUL-terminated, may contain NULs */
	size_t	 body_len;
	char	*content_type;
};

int	http_global_init(struct haos_error *);
void	http_global_cleanup(void);
void	http_set_opts(const struct http_opts *);
int	http_perform(const struct http_req *, struct http_resp *,
	    struct haos_error *);
int	http_error_from_response(const struct http_resp *, struct haos_error *);
void	http_resp_free(struct http_resp *);
char	*http_escape(const char *);

#endif
