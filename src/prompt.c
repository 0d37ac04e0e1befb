/* Prompts on the terminal (or lines from a piped standard input). */
#include "haos/prompt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "haos/haos.h"
#include "haos/error.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"

static volatile sig_atomic_t	prompt_interrupted;

static void
prompt_on_signal(int sig __unused)
{
	prompt_interrupted = 1;
}

/* Read one line from fd without stdio buffering; NULL on EOF or signal. */
static char *
prompt_read_line(int fd, struct haos_error *err)
{
	char	*buf, *nbuf;
	size_t	 len = 0, cap = 128;
	ssize_t	 n;
	char	 c;

	buf = xmalloc(cap);
	for (;;) {
		n = read(fd, &c, 1);
		if (n == -1 && errno == EINTR && !prompt_interrupted)
			continue;
		if (n == -1 || prompt_interrupted) {
			haos_error_set(err, HAOS_ECANCEL, "interrupted");
			goto fail;
		}
		if (n == 0) {
			if (len > 0)
				break;
			haos_error_set(err, HAOS_ECANCEL, "no input");
			goto fail;
		}
		if (c == '\n')
			break;
		if (len + 1 >= cap) {
			/* Grow by hand: realloc would free an unwiped copy. */
			nbuf = xmalloc(cap * 2);
			memcpy(nbuf, buf, len);
			explicit_bzero(buf, cap);
			free(buf);
			buf = nbuf;
			cap *= 2;
		}
		buf[len++] = c;
		if (len > 4096) {
			haos_error_set(err, HAOS_EUSAGE, "input line too long");
			goto fail;
		}
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return buf;
fail:
	explicit_bzero(buf, cap);
	free(buf);
	return NULL;
}

/* Ask question and read the answer, echo off if secret. */
static char *
prompt_ask(const char *question, int secret, struct haos_error *err)
{
	struct sigaction	 sa, old_int, old_term;
	struct termios		 t, saved;
	char			*line, *clean;
	int			 fd, own = 0, noecho = 0;

	if (!isatty(STDIN_FILENO)) {
		/* Scripts may pipe the answers in. */
		return prompt_read_line(STDIN_FILENO, err);
	}
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd == -1)
		fd = STDIN_FILENO;
	else
		own = 1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = prompt_on_signal;
	sigemptyset(&sa.sa_mask);
	prompt_interrupted = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	/* The question may name what a config file or a server said. */
	clean = sanitize_text(question, (size_t)-1, 0);
	(void)!write(own ? fd : STDERR_FILENO, clean, strlen(clean));
	free(clean);
	if (secret && tcgetattr(fd, &saved) == 0) {
		t = saved;
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		t.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &t) == 0)
			noecho = 1;
	}
	line = prompt_read_line(fd, err);
	if (noecho) {
		tcsetattr(fd, TCSAFLUSH, &saved);
		(void)!write(own ? fd : STDERR_FILENO, "\n", 1);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (own)
		close(fd);
	return line;
}

char *
prompt_line(const char *question, struct haos_error *err)
{
	return prompt_ask(question, 0, err);
}

char *
prompt_secret(const char *question, struct haos_error *err)
{
	return prompt_ask(question, 1, err);
}
