/* Levelled logging to a file, never to the terminal. */
#ifndef HAOS_LOG_H
#define HAOS_LOG_H

#include "haos/haos.h"

#include <stdarg.h>

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG
};

/*
 * The log is a process-wide file opened once by main(); log lines from
 * both threads are serialised by a mutex.  Nothing secret is ever passed
 * to these functions: access tokens, passwords, keys and decrypted text
 * stay out of the log (callers use log_redact_url() for URLs).
 */
int		 log_open(const char *path, enum log_level);
void		 log_close(void);
enum log_level	 log_get_level(void);
int		 log_level_parse(const char *, enum log_level *);
const char	*log_level_name(enum log_level);
void		 log_msg(enum log_level, const char *tag, const char *fmt, ...)
		     __attribute__((format(printf, 3, 4)));
void		 log_vmsg(enum log_level, const char *, const char *, va_list);
char		*log_redact_url(const char *url);

#define log_error(tag, ...)	log_msg(LOG_ERROR, tag, __VA_ARGS__)
#define log_warn(tag, ...)	log_msg(LOG_WARN, tag, __VA_ARGS__)
#define log_info(tag, ...)	log_msg(LOG_INFO, tag, __VA_ARGS__)
#define log_debug(tag, ...)	log_msg(LOG_DEBUG, tag, __VA_ARGS__)

#endif
