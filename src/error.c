/* Error values: kinds, the Matrix errcode table and exit statuses. */
#include "haos/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "haos/haos.h"

/* Indexed by enum mx_errcode: keep in the same order. */
static const char *errcode_names[] = {
	"",
	"M_UNKNOWN",
	"M_FORBIDDEN",
	"M_UNKNOWN_TOKEN",
	"M_MISSING_TOKEN",
	"M_BAD_JSON",
	"M_NOT_JSON",
	"M_NOT_FOUND",
	"M_LIMIT_EXCEEDED",
	"M_UNRECOGNIZED",
	"M_USER_IN_USE",
	"M_INVALID_USERNAME",
	"M_MISSING_PARAM",
	"M_INVALID_PARAM",
	"M_TOO_LARGE",
	"M_USER_DEACTIVATED",
	""
};

_Static_assert(nitems(errcode_names) == MX_OTHER + 1,
    "errcode_names[] must match enum mx_errcode");

static const char *kind_names[] = {
	"ok", "usage error", "configuration error", "I/O error",
	"network error", "HTTP error", "Matrix error", "protocol error",
	"store error", "authentication error", "crypto error", "cancelled"
};

_Static_assert(nitems(kind_names) == HAOS_ECANCEL + 1,
    "kind_names[] must match enum haos_err");

void
haos_error_clear(struct haos_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof *err);
}

/* Set the kind and message of err; HTTP and Matrix fields are cleared. */
void
haos_error_set(struct haos_error *err, enum haos_err code, const char *fmt,
    ...)
{
	va_list	 ap;

	if (err == NULL)
		return;
	haos_error_clear(err);
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
}

/*
 * Set a Matrix error from an HTTP status, errcode and the server's text.
 * The message reads "M_FORBIDDEN: You are not allowed ..." and contains
 * no control characters, since it may be shown on the terminal.
 */
void
haos_error_matrix(struct haos_error *err, int status, const char *errcode,
    const char *text)
{
	char	*p;

	if (err == NULL)
		return;
	haos_error_clear(err);
	err->code = HAOS_EMATRIX;
	err->http_status = status;
	err->mx = mx_errcode_parse(errcode);
	snprintf(err->errcode, sizeof err->errcode, "%s", errcode);
	if (text != NULL && *text != '\0')
		snprintf(err->msg, sizeof err->msg, "%s: %s", errcode, text);
	else
		snprintf(err->msg, sizeof err->msg, "%s (HTTP %d)", errcode,
		    status);
	for (p = err->msg; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	for (p = err->errcode; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
}

const char *
haos_error_kind(enum haos_err code)
{
	if ((unsigned int)code >= nitems(kind_names))
		return "error";
	return kind_names[code];
}

enum mx_errcode
mx_errcode_parse(const char *s)
{
	unsigned int	 i;

	if (s == NULL || *s == '\0')
		return MX_NONE;
	for (i = 1; i < MX_OTHER; i++) {
		if (strcmp(s, errcode_names[i]) == 0)
			return (enum mx_errcode)i;
	}
	return MX_OTHER;
}

const char *
mx_errcode_name(enum mx_errcode e)
{
	if ((unsigned int)e >= nitems(errcode_names))
		return "";
	return errcode_names[e];
}

/* Map an error to the binary's exit status: usage and config errors are 2. */
int
haos_error_exit_code(const struct haos_error *err)
{
	if (err->code == HAOS_EUSAGE || err->code == HAOS_ECONFIG)
		return HAOS_EXIT_USAGE;
	return HAOS_EXIT_RUNTIME;
}
