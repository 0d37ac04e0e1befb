/* Row structs of model.h: free functions and outbox state names. */
#include "haos/model.h"

#include <stdlib.h>
#include <string.h>

#include "haos/haos.h"

/* Indexed by enum outbox_state. */
static const char *outbox_state_names[] = {
	"", "pending", "sending", "sent", "failed"
};

_Static_assert(nitems(outbox_state_names) == OUTBOX_FAILED + 1,
    "outbox_state_names[] must match enum outbox_state");

const char *
outbox_state_name(enum outbox_state s)
{
	if ((unsigned int)s >= nitems(outbox_state_names))
		return "";
	return outbox_state_names[s];
}

enum outbox_state
outbox_state_parse(const char *s)
{
	unsigned int	 i;

	if (s == NULL)
		return OUTBOX_NONE;
	for (i = 1; i < nitems(outbox_state_names); i++) {
		if (strcmp(s, outbox_state_names[i]) == 0)
			return (enum outbox_state)i;
	}
	return OUTBOX_NONE;
}

void
room_row_free(struct room_row *r)
{
	if (r == NULL)
		return;
	free(r->room_id);
	free(r->name);
	free(r->topic);
	free(r->avatar_url);
	free(r->canonical_alias);
	free(r->room_type);
	free(r->direct_user);
	free(r->parent_id);
	free(r->order);
	memset(r, 0, sizeof *r);
}

void
member_row_free(struct member_row *m)
{
	if (m == NULL)
		return;
	free(m->user_id);
	free(m->displayname);
	free(m->avatar_url);
	free(m->membership);
	memset(m, 0, sizeof *m);
}

void
event_row_free(struct event_row *e)
{
	size_t	 i;

	if (e == NULL)
		return;
	free(e->room_id);
	free(e->event_id);
	free(e->sender);
	free(e->type);
	free(e->state_key);
	free(e->content);
	free(e->rel_type);
	free(e->relates_to);
	free(e->redacted_by);
	free(e->txn_id);
	free(e->held);
	free(e->e2e_device);
	free(e->edited_by);
	free(e->thread_last);
	for (i = 0; i < e->nreactions; i++)
		free(e->reactions[i].key);
	free(e->reactions);
	memset(e, 0, sizeof *e);
}

void
gap_row_free(struct gap_row *g)
{
	if (g == NULL)
		return;
	free(g->prev_batch);
	memset(g, 0, sizeof *g);
}

void
outbox_row_free(struct outbox_row *o)
{
	if (o == NULL)
		return;
	free(o->room_id);
	free(o->txn_id);
	free(o->type);
	free(o->state_key);
	free(o->content);
	free(o->rel_target);
	free(o->error);
	free(o->event_id);
	free(o->upload);
	free(o->upload_path);
	free(o->upload_type);
	free(o->upload_name);
	free(o->upload_file);
	memset(o, 0, sizeof *o);
}

void
state_row_free(struct state_row *r)
{
	if (r == NULL)
		return;
	free(r->room_id);
	free(r->type);
	free(r->state_key);
	free(r->sender);
	free(r->content);
	memset(r, 0, sizeof *r);
}

void
room_rows_free(struct room_row *rows, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		room_row_free(&rows[i]);
	free(rows);
}

void
member_rows_free(struct member_row *rows, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		member_row_free(&rows[i]);
	free(rows);
}

void
event_rows_free(struct event_row *rows, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		event_row_free(&rows[i]);
	free(rows);
}

void
gap_rows_free(struct gap_row *rows, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		gap_row_free(&rows[i]);
	free(rows);
}

void
outbox_rows_free(struct outbox_row *rows, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		outbox_row_free(&rows[i]);
	free(rows);
}

void
state_rows_free(struct state_row *rows, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		state_row_free(&rows[i]);
	free(rows);
}

void
verify_rows_free(struct verify_row *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(v[i].txn);
		free(v[i].user_id);
		free(v[i].device_id);
		free(v[i].room_id);
		free(v[i].cancel_code);
	}
	free(v);
}
