/* Randomness for every key: getrandom(2), or nothing at all. */
#include "haos/crypto.h"

#include <sys/random.h>

#include <errno.h>
#include <stdlib.h>

#include "haos/log.h"

/*
 * A short read (possible past 256 bytes, or on a signal) is resumed and
 * EINTR retried; any other failure (ENOSYS, EFAULT, ...) aborts: a key
 * made of weaker bytes would be worse than no key.
 */
void
crypto_random(void *buf, size_t n)
{
	unsigned char	*p = buf;
	ssize_t		 got;

	while (n > 0) {
		got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			log_error("crypto", "getrandom: errno %d", errno);
			abort();
		}
		p += got;
		n -= (size_t)got;
	}
}
