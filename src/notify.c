/* Self-pipe plus an atomic dirty bitmask: net thread posts, UI takes. */
#include "haos/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "haos/xmalloc.h"

struct notify {
	atomic_uint	 bits;		/* ORed by notify_post() */
	int		 pipe[2];	/* [0] polled by the UI, non-blocking */
};

struct notify *
notify_new(void)
{
	struct notify	*n;
	int		 i;

	n = xcalloc(1, sizeof *n);
	atomic_init(&n->bits, 0);
	if (pipe(n->pipe) == -1) {
		free(n);
		return NULL;
	}
	for (i = 0; i < 2; i++) {
		fcntl(n->pipe[i], F_SETFL, fcntl(n->pipe[i], F_GETFL) |
		    O_NONBLOCK);
		fcntl(n->pipe[i], F_SETFD, FD_CLOEXEC);
	}
	return n;
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	close(n->pipe[0]);
	close(n->pipe[1]);
	free(n);
}

/* OR bits in and wake the reader; one byte per wakeup is enough. */
void
notify_post(struct notify *n, unsigned int bits)
{
	unsigned int	 old;
	char		 c = 1;

	old = atomic_fetch_or(&n->bits, bits);
	if (old == 0) {
		/* A full pipe already holds a wakeup: EAGAIN is fine. */
		while (write(n->pipe[1], &c, 1) == -1 && errno == EINTR)
			;
	}
}

int
notify_fd(const struct notify *n)
{
	return n->pipe[0];
}

/* Drain the pipe and return (and clear) the bits posted since last time. */
unsigned int
notify_take(struct notify *n)
{
	char	 buf[64];

	while (read(n->pipe[0], buf, sizeof buf) > 0)
		;
	return atomic_exchange(&n->bits, 0);
}
