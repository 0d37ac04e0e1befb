/* Jobs (UI to net) and results (net to UI): the messages between threads. */
#include "haos/net.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/xmalloc.h"

void
net_job_free(struct job *j)
{
	if (j == NULL)
		return;
	/* A token, or a password in a login body: wiped, whatever it is. */
	if (j->content != NULL)
		explicit_bzero(j->content, j->content_len > 0 ?
		    j->content_len : strlen(j->content));
	free(j->room_id);
	free(j->event_type);
	free(j->state_key);
	free(j->content);
	free(j->rel_target);
	free(j->txn_id);
	free(j->method);
	free(j->path);
	free(j->content_type);
	free(j->user_id);
	free(j->device_id);
	free(j);
}

/* Make a JOB_RETRY, JOB_DISCARD (txn_id) or JOB_BACKFILL (txn_id NULL). */
struct job *
net_job_room(enum job_type type, const char *room_id, const char *txn_id)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = type;
	j->room_id = xstrdup(room_id);
	if (txn_id != NULL)
		j->txn_id = xstrdup(txn_id);
	return j;
}

/* Make a JOB_TOKEN: the access token of a new login (wiped when freed). */
struct job *
net_job_token(const char *token, const char *device_id)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_TOKEN;
	j->content = xstrdup(token);
	j->state_key = xstrdup(device_id);
	return j;
}

/* A JOB_BACKUP: what is key (key_b64, wiped when freed), status, restore. */
struct job *
net_job_backup(const char *what, const char *key_b64)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_BACKUP;
	j->event_type = xstrdup(what);
	if (key_b64 != NULL)
		j->content = xstrdup(key_b64);
	return j;
}

/* Make a JOB_SEND of a message-like event. */
struct job *
net_job_send(const char *room_id, const char *type, const char *content)
{
	struct job	*j;

	j = xcalloc(1, sizeof *j);
	j->type = JOB_SEND;
	j->room_id = xstrdup(room_id);
	j->event_type = xstrdup(type);
	j->content = xstrdup(content);
	return j;
}

void
net_result_free(struct net_result *r)
{
	if (r == NULL)
		return;
	free(r->err);
	/* A login's answer holds the new token: wiped before it is freed. */
	if (r->body != NULL)
		explicit_bzero(r->body, strlen(r->body));
	free(r->body);
	free(r);
}
