/* Log file with levels and per-module tags; thread-safe line writes. */
#include "haos/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "haos/sanitize.h"
#include "haos/xmalloc.h"

/* Guarded by log_lock; log_file is NULL until log_open() succeeds. */
static pthread_mutex_t	 log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE		*log_file;
static enum log_level	 log_level = LOG_INFO;

static const char *log_names[] = { "error", "warn", "info", "debug" };

/*
 * Open (append) the log file with mode 0600 and set the level.  It is
 * never opened through a symlink (O_NOFOLLOW), and an existing log must
 * be a regular file of ours with one link; a wider mode is narrowed.
 */
int
log_open(const char *path, enum log_level level)
{
	struct stat	 st;
	int		 fd;
	FILE		*f;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || st.st_nlink != 1 ||
	    ((st.st_mode & 077) != 0 && fchmod(fd, 0600) == -1)) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	f = fdopen(fd, "a");
	if (f == NULL) {
		close(fd);
		return -1;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	pthread_mutex_lock(&log_lock);
	if (log_file != NULL)
		fclose(log_file);
	log_file = f;
	log_level = level;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void
log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_file != NULL)
		fclose(log_file);
	log_file = NULL;
	pthread_mutex_unlock(&log_lock);
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	unsigned int	 i;

	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcasecmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	return log_names[level];
}

/* Write one line, sanitised so that the log stays inert in a terminal. */
void
log_vmsg(enum log_level level, const char *tag, const char *fmt, va_list ap)
{
	char		 buf[2048], stamp[32];
	struct timespec	 ts;
	struct tm	 tm;
	char		*clean;

	if (level > log_level || log_file == NULL)
		return;
	vsnprintf(buf, sizeof buf, fmt, ap);
	/* Server text may be in it: C0, C1, escapes and bidi go. */
	clean = sanitize_text(buf, (size_t)-1, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

	pthread_mutex_lock(&log_lock);
	if (log_file != NULL) {
		fprintf(log_file, "%s.%03ldZ %-5s %s: %s\n", stamp,
		    ts.tv_nsec / 1000000, log_names[level], tag, clean);
	}
	pthread_mutex_unlock(&log_lock);
	free(clean);
}

void
log_msg(enum log_level level, const char *tag, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(level, tag, fmt, ap);
	va_end(ap);
}

/* Return a copy of url with the value of any access_token parameter hidden. */
char *
log_redact_url(const char *url)
{
	const char	*key = "access_token=", *p, *hit;
	char		*out;
	size_t		 len, n;

	len = strlen(url);
	out = xmalloc(len + 16 * (len / strlen(key) + 1) + 1);
	n = 0;
	p = url;
	while ((hit = strstr(p, key)) != NULL) {
		hit += strlen(key);
		memcpy(out + n, p, (size_t)(hit - p));
		n += (size_t)(hit - p);
		memcpy(out + n, "<redacted>", 10);
		n += 10;
		p = hit + strcspn(hit, "&#");
	}
	memcpy(out + n, p, strlen(p) + 1);
	return out;
}
