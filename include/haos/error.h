/* One error value for every failure: kind, HTTP status, Matrix errcode, text. */
#ifndef HAOS_ERROR_H
#define HAOS_ERROR_H

#include "haos/haos.h"

enum haos_err {
	HAOS_OK = 0,
	HAOS_EUSAGE,		/* bad command line or command arguments */
	HAOS_ECONFIG,		/* bad configuration file */
	HAOS_EIO,		/* file system */
	HAOS_ENET,		/* could not reach the server */
	HAOS_EHTTP,		/* HTTP error without a Matrix body */
	HAOS_EMATRIX,		/* Matrix error: errcode is set */
	HAOS_EPROTO,		/* the server answered something malformed */
	HAOS_ESTORE,		/* SQLite */
	HAOS_EAUTH,		/* not logged in / session invalid */
	HAOS_ECRYPTO,
	HAOS_ECANCEL		/* aborted by the user or by shutdown */
};

/* Matrix errcodes haos reacts to; index == enum (errcode_names[] in error.c). */
enum mx_errcode {
	MX_NONE = 0,
	MX_UNKNOWN,
	MX_FORBIDDEN,
	MX_UNKNOWN_TOKEN,
	MX_MISSING_TOKEN,
	MX_BAD_JSON,
	MX_NOT_JSON,
	MX_NOT_FOUND,
	MX_LIMIT_EXCEEDED,
	MX_UNRECOGNIZED,
	MX_USER_IN_USE,
	MX_INVALID_USERNAME,
	MX_MISSING_PARAM,
	MX_INVALID_PARAM,
	MX_TOO_LARGE,
	MX_USER_DEACTIVATED,
	MX_OTHER		/* any errcode not listed above */
};

struct haos_error {
	enum haos_err	 code;
	enum mx_errcode	 mx;
	int		 http_status;	/* 0 when no HTTP response */
	long		 retry_after_ms;/* from M_LIMIT_EXCEEDED, else 0 */
	int		 soft_logout;	/* from M_UNKNOWN_TOKEN */
	char		 errcode[64];	/* "M_FORBIDDEN", or "" */
	char		 msg[512];	/* human-readable, sanitised */
};

void		 haos_error_clear(struct haos_error *);
void		 haos_error_set(struct haos_error *, enum haos_err,
		     const char *, ...) __attribute__((format(printf, 3, 4)));
void		 haos_error_matrix(struct haos_error *, int, const char *,
		     const char *);
const char	*haos_error_kind(enum haos_err);
enum mx_errcode	 mx_errcode_parse(const char *);
const char	*mx_errcode_name(enum mx_errcode);
int		 haos_error_exit_code(const struct haos_error *);

#endif
