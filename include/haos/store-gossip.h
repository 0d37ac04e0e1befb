/* The store of secret sharing (store-gossip.c, issue #16). */
#ifndef HAOS_STORE_GOSSIP_H
#define HAOS_STORE_GOSSIP_H

/*
 * secret_requests (schema v8): the m.secret.request messages we sent,
 * one row each (request_id, the secret's name, the device of ours asked,
 * when), until answered or expired.  Requests other devices send us are
 * not kept here (net-gossip.c holds them in memory).  Writes run on the
 * net thread's RW store in the caller's transaction.
 */
#include <stddef.h>
#include <stdint.h>

struct haos_error;
struct store;

struct gossip_request {
	char		*request_id;
	char		*name;
	char		*device_id;
	int64_t		 created_ts;
};

int	store_gossip_add(struct store *, const char *request_id,
	    const char *name, const char *device_id, int64_t created_ts,
	    struct haos_error *);
/* 1 with *r (free it with gossip_request_free()), 0 if none, -1. */
int	store_gossip_get(struct store *, const char *request_id,
	    struct gossip_request *, struct haos_error *);
int	store_gossip_delete(struct store *, const char *request_id,
	    struct haos_error *);
/* 1 if name was asked of device_id at since_ts or later, 0, -1. */
int	store_gossip_asked(struct store *, const char *name,
	    const char *device_id, int64_t since_ts, struct haos_error *);
/* The requests made before before_ts, oldest first. */
int	store_gossip_expired(struct store *, int64_t before_ts,
	    struct gossip_request **, size_t *, struct haos_error *);
void	gossip_request_free(struct gossip_request *);
void	gossip_requests_free(struct gossip_request *, size_t);
/*
 * 1 if user_id's device_id is verified: not deleted, and cross-signed
 * by its owner's self-signing key (devices.cross_signed) or verified by
 * us (devices.local_trust); 0 if not or unknown, -1.
 */
int	store_gossip_device_verified(struct store *, const char *user_id,
	    const char *device_id, struct haos_error *);

#endif
