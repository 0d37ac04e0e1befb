/* The net thread on the test homeserver: what the C integration suites share. */
#ifndef HAOS_NET_FIXTURE_H
#define HAOS_NET_FIXTURE_H

#include <check.h>

#include <stdint.h>

#include "hs_fixture.h"

struct net;
struct notify;

extern struct hs	 hs;	/* started by net_fixture_setup() */

void		 net_fixture_setup(void);
void		 net_fixture_teardown(void);
char		*tmp_store(void);
char		*tmp_store_key(char **kp);
/* The store read and waited on from the test (sqlite3, read-write). */
struct sqlite3;
char		*it_text(struct sqlite3 *, const char *sql, const char *arg);
struct sqlite3	*it_open(const char *path);
void		 it_wait(struct sqlite3 *, const char *sql, const char *arg,
		    const char *want, double seconds);
struct net	*start_net(const struct hs_user *, const char *store,
		     struct notify *, int limit);
struct net	*start_net_keys(const struct hs_user *, const char *store,
		     const char *key_path, struct notify *, int limit);
double		 now_s(void);
unsigned int	 wait_bits(struct notify *, unsigned int want,
		     double seconds);
int64_t		 fill_left(const char *store);
void		 wait_filled(const char *store, double seconds);
void		 backfill_whole(struct net *, struct notify *,
		     const char *store, const char *room, double seconds);

Suite		*suite_first_start(void);	/* check_first_start.c */
Suite		*suite_members(void);		/* check_members.c */
Suite		*suite_keys(void);		/* check_keys.c */
Suite		*suite_send(void);		/* check_send.c */
Suite		*suite_device_lists(void);	/* check_devices.c */
Suite		*suite_backup(void);		/* check_backup.c */
Suite		*suite_keyreq(void);		/* check_keyreq.c */
Suite		*suite_media(void);		/* check_media.c */
Suite		*suite_upload(void);		/* check_upload.c */

#endif
