/* One haos per profile: a lock on a file in the profile's data dir. */
#ifndef HAOS_LOCK_H
#define HAOS_LOCK_H

#include "haos/haos.h"

int	lock_profile(const char *data_dir, struct haos_error *);
void	lock_release(int fd);

#endif
