/* Store of secret sharing: the requests we sent, and device trust. */

/*
 * Table secret_requests holds each m.secret.request this device sent
 * (net-gossip.c), so that an m.secret.send is taken only as the answer
 * to one of them, from the device it asked, even after a restart.  Rows
 * go when answered (crypto-gossip.c) or expired (their cancellation
 * sent).  Nothing secret is kept here: names and ids only.
 */
#include "haos/store-gossip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/store.h"
#include "store-int.h"

int
store_gossip_add(struct store *s, const char *request_id, const char *name,
    const char *device_id, int64_t created_ts, struct haos_error *err)
{
	static const char	*sql = "INSERT OR REPLACE INTO secret_requests "
	    "(request_id, name, device_id, created_ts) VALUES (?1, ?2, ?3, "
	    "?4)";

	return store_run(s, err, "secret request", sql, "ttti", request_id,
	    name, device_id, created_ts);
}

static void
store_gossip_fill(sqlite3_stmt *st, void *row)
{
	struct gossip_request	*r = row;

	r->request_id = store_col_str(st, 0);
	r->name = store_col_str(st, 1);
	r->device_id = store_col_str(st, 2);
	r->created_ts = sqlite3_column_int64(st, 3);
}

static void
store_gossip_drop(void *arr, size_t n)
{
	gossip_requests_free(arr, n);
}

int
store_gossip_get(struct store *s, const char *request_id,
    struct gossip_request *r, struct haos_error *err)
{
	static const char	*sql = "SELECT request_id, name, device_id, "
	    "created_ts FROM secret_requests WHERE request_id = ?1";
	struct gossip_request	*rows;
	size_t			 n;

	memset(r, 0, sizeof *r);
	if (store_rows(s, err, "secret request", sql, sizeof *rows,
	    store_gossip_fill, store_gossip_drop, (void **)&rows, &n, "t",
	    request_id) == -1)
		return -1;
	if (n == 0)
		return 0;
	*r = rows[0];
	free(rows);
	return 1;
}

int
store_gossip_delete(struct store *s, const char *request_id,
    struct haos_error *err)
{
	static const char	*sql = "DELETE FROM secret_requests WHERE "
	    "request_id = ?1";

	return store_run(s, err, "secret request", sql, "t", request_id);
}

int
store_gossip_asked(struct store *s, const char *name, const char *device_id,
    int64_t since_ts, struct haos_error *err)
{
	static const char	*sql = "SELECT count(*) FROM secret_requests "
	    "WHERE name = ?1 AND device_id = ?2 AND created_ts >= ?3";
	int64_t			 v = 0;

	if (store_get_int64(s, err, "secret requests", sql, &v, "tti", name,
	    device_id, since_ts) == -1)
		return -1;
	return v > 0;
}

int
store_gossip_expired(struct store *s, int64_t before_ts,
    struct gossip_request **out, size_t *n, struct haos_error *err)
{
	static const char	*sql = "SELECT request_id, name, device_id, "
	    "created_ts FROM secret_requests WHERE created_ts < ?1 ORDER BY "
	    "created_ts, request_id";

	return store_rows(s, err, "secret requests", sql, sizeof **out,
	    store_gossip_fill, store_gossip_drop, (void **)out, n, "i",
	    before_ts);
}

void
gossip_request_free(struct gossip_request *r)
{
	free(r->request_id);
	free(r->name);
	free(r->device_id);
	memset(r, 0, sizeof *r);
}

void
gossip_requests_free(struct gossip_request *arr, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		gossip_request_free(&arr[i]);
	free(arr);
}

int
store_gossip_device_verified(struct store *s, const char *user_id,
    const char *device_id, struct haos_error *err)
{
	static const char	*sql = "SELECT count(*) FROM devices WHERE "
	    "user_id = ?1 AND device_id = ?2 AND deleted = 0 AND "
	    "(cross_signed != 0 OR local_trust != 0)";
	int64_t			 v = 0;

	if (store_get_int64(s, err, "devices", sql, &v, "tt", user_id,
	    device_id) == -1)
		return -1;
	return v > 0;
}
