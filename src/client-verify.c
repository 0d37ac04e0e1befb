/* Key verification through the client: jobs for net-verify.c, its rows. */
#include "haos/client.h"

#include <stdlib.h>

#include "haos/crypto-sas.h"
#include "haos/model.h"
#include "haos/net.h"
#include "haos/xmalloc.h"

#include "client-int.h"

static struct job *
client_verify_job(const char *action)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_VERIFY;
	j->method = xstrdup(action);
	return j;
}

void
client_verify_request(struct client *c, const char *user_id,
    const char *device_id, const char *room_id)
{
	struct job	*j;

	j = client_verify_job("request");
	j->user_id = xstrdup(user_id);
	j->device_id = device_id != NULL ? xstrdup(device_id) : NULL;
	j->room_id = room_id != NULL ? xstrdup(room_id) : NULL;
	client_queue_job(c, j);
}

void
client_verify_answer(struct client *c, const char *txn, const char *action)
{
	struct job	*j;

	j = client_verify_job(action);
	j->txn_id = xstrdup(txn);
	client_queue_job(c, j);
}

int
client_verify_rows(struct client *c, struct verify_row **rows, size_t *n)
{
	if (client_net(c) == NULL) {
		*rows = NULL;
		*n = 0;
		return 0;
	}
	return net_verify_rows(client_net(c), rows, n);
}

const char *
client_verify_emoji(int index, const char **name)
{
	const struct crypto_sas_emoji	*e;

	e = index >= 0 ? crypto_sas_emoji((unsigned int)index) : NULL;
	if (name != NULL)
		*name = e != NULL ? e->name : "?";
	return e != NULL ? e->emoji : "?";
}
