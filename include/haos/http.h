/* HTTP requests: the only interface to libcurl; no curl types here. */
#ifndef HAOS_HTTP_H
#define HAOS_HTTP_H

#include "haos/haos.h"

#include <stddef.h>
#include <stdint.h>

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
	/*
	 * Opt-in: an answer that grows past HTTP_SPOOL_AT bytes moves to an
	 * anonymous file in the directory of this path (the store's), and
	 * may then reach HTTP_MAX_SPOOLED.  NULL: kept in memory, at most
	 * HTTP_MAX_BODY.
	 */
	const char	*spool_beside;
	/*
	 * Opt-in streaming (downloads): a 2xx answer's body goes to
	 * chunk(chunk_arg, data, len, total) as it arrives (total: the
	 * Content-Length, -1 if unknown) and is never kept; chunk returns
	 * -1 to abort the transfer (it then ends with HAOS_ENET).  Another
	 * status's body is kept in memory, at most HTTP_ERROR_PEEK bytes,
	 * for its errcode.  The total timeout is off; a transfer that
	 * moves less than a byte a second for HTTP_STALL_S fails.
	 */
	int		(*chunk)(void *, const void *, size_t, int64_t);
	void		*chunk_arg;
	/*
	 * Opt-in streaming upload (upload set, body NULL): the body is
	 * upload_len bytes of the open file upload_fd from its first, read
	 * with pread() as libcurl sends them (never whole in memory; the fd
	 * must stay open until the transfer ends), with content_type.  If
	 * sent is set it hears sent(chunk_arg, bytes read so far,
	 * upload_len).  As for a download, no total timeout, a stall limit.
	 */
	int		 upload;
	int		 upload_fd;
	int64_t		 upload_len;
	void		(*sent)(void *, int64_t, int64_t);
};

#define HTTP_ERROR_PEEK		(64 * 1024)
#define HTTP_STALL_S		60L

#define HTTP_MAX_BODY		((size_t)64 * 1024 * 1024)
#define HTTP_SPOOL_AT		((size_t)256 * 1024)
#define HTTP_MAX_SPOOLED	((size_t)1024 * 1024 * 1024)

/*
 * An answer: its body in memory, or (spooled, http_resp_spooled()) in
 * the file fd, read-only for the callback, body NULL and body_len its
 * size.  http_resp_free() frees the one and closes the other.
 */
struct http_resp {
	long	 status;
	char	*body;		/* NUL-terminated, may contain NULs */
	size_t	 body_len;
	char	*content_type;
	int	 fd;		/* the spooled body's file, else -1 */
};

/*
 * Asynchronous transfers on one multi handle (keep-alive, HTTP/2 where
 * offered).  A struct http_client and its transfers belong to the thread
 * that created it (the net thread); only http_client_wakeup() may be
 * called from another thread.
 */
struct http_client;
struct http_xfer;

typedef void	(*http_done_cb)(struct http_xfer *, const struct http_resp *,
		    const struct haos_error *, void *arg);

struct http_client	*http_client_new(const struct http_opts *);
void			 http_client_free(struct http_client *);
struct http_xfer	*http_client_start(struct http_client *,
			    const struct http_req *, long timeout_ms,
			    http_done_cb, void *arg);
void			 http_client_cancel(struct http_client *,
			    struct http_xfer *);
int			 http_client_poll(struct http_client *, int timeout_ms);
void			 http_client_wakeup(struct http_client *);
int			 http_client_active(const struct http_client *);

/* Retry policy shared by every caller. */
#define HTTP_BACKOFF_MAX_MS	30000L
#define HTTP_RETRY_AFTER_MAX_MS	60000L	/* a 429's retry_after_ms, capped */
long	http_backoff_ms(int attempt, unsigned int *seed);
int	http_retryable(const struct haos_error *);
long	http_retry_delay_ms(const struct haos_error *, int attempt,
	    unsigned int *seed);

int	http_global_init(struct haos_error *);
void	http_global_cleanup(void);
void	http_set_opts(const struct http_opts *);
int	http_perform(const struct http_req *, struct http_resp *,
	    struct haos_error *);
int	http_error_from_response(const struct http_resp *, struct haos_error *);
void	http_resp_free(struct http_resp *);
int	http_resp_spooled(const struct http_resp *);

#endif
