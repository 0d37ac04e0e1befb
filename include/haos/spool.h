/* The spool of attachments waiting in the outbox (spool.c). */
#ifndef HAOS_SPOOL_H
#define HAOS_SPOOL_H

#include "haos/haos.h"

#include <stddef.h>
#include <stdint.h>

struct crypto_attachment;

/*
 * spool_copy() streams the open file in_fd (from its start) into a new
 * 0600 file DIR/upload-XXXXXX (DIR made 0700 if missing), through seal
 * (crypto_attachment_seal(): AES-CTR, the ciphertext hashed) when not
 * NULL; it refuses a file that grows past limit bytes (0: no limit).
 * 0 with *path (caller frees) and *size, or -1 with err and nothing
 * left behind.  spool_sweep() removes DIR's spool files that are not
 * in keep (those of rows no longer waiting).
 */
int	spool_copy(int in_fd, const char *dir, int64_t limit,
	    struct crypto_attachment *seal, char **path, int64_t *size,
	    struct haos_error *);
void	spool_sweep(const char *dir, char *const *keep, size_t nkeep);
char	*spool_dir(const char *store_path);

#endif
