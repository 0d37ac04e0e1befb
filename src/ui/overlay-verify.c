/* The key verification dialog: accept a request, compare the emoji. */
#include "curses.h"
#include "ui-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/model.h"
#include "haos/xmalloc.h"

/*
 * One verification at a time is shown, the oldest first (net-verify.c
 * lists them in order); the user's answer goes back through the client
 * and the dialog follows what the net thread says next.  A dialog
 * another overlay replaced comes back with the next change; Esc
 * dismisses the verification (cancelled, m.user, if under way).  The
 * overlay sanitises every line (user and device ids are the server's).
 */
struct verify_ui {
	char			*txn;		/* the one shown */
	enum verify_state	 state;
};

#define VERIFY_TITLE	"Key verification"

static void
overlay_verify_add(char ***lines, size_t *n, char *line)
{
	*lines = xrealloc(*lines, (*n + 1) * sizeof **lines);
	(*lines)[(*n)++] = line;
}

/* Who the other side is, in words. */
static char *
overlay_verify_who(const struct verify_row *r, const char *me)
{
	if (me != NULL && strcmp(r->user_id, me) == 0)
		return r->device_id != NULL ? xasprintf("your device %s",
		    r->device_id) : xstrdup("your other devices");
	return xasprintf("%s%s%s", r->user_id, r->device_id != NULL ?
	    ", device " : "", r->device_id != NULL ? r->device_id : "");
}

/* The dialog's lines and key hint for r. */
static size_t
overlay_verify_lines(const struct verify_row *r, const char *me,
    char ***lines, const char **hint)
{
	const char	*name, *e;
	char		*who;
	size_t		 n = 0;
	int		 i;

	*lines = NULL;
	who = overlay_verify_who(r, me);
	*hint = "Esc cancels";
	switch (r->state) {
	case VERIFY_INCOMING:
		overlay_verify_add(lines, &n, xasprintf("%s asks to verify "
		    "this device by comparing emoji.", who));
		overlay_verify_add(lines, &n, xstrdup(""));
		overlay_verify_add(lines, &n, xstrdup("a: accept   d: decline"));
		*hint = "a accepts, d or Esc declines";
		break;
	case VERIFY_REQUESTED:
		overlay_verify_add(lines, &n, xasprintf("Waiting for %s to "
		    "accept the verification%s...", who, r->room_id != NULL ?
		    " (asked in your conversation)" : ""));
		break;
	case VERIFY_READY:
	case VERIFY_STARTED:
	case VERIFY_ACCEPTED:
	case VERIFY_KEY_SENT:
		overlay_verify_add(lines, &n, xasprintf("Exchanging keys with "
		    "%s...", who));
		break;
	case VERIFY_SHOW:
		overlay_verify_add(lines, &n, xasprintf("Do these match what "
		    "%s shows?", who));
		overlay_verify_add(lines, &n, xstrdup(""));
		for (i = 0; r->has_emoji && i < 7; i++) {
			e = client_verify_emoji(r->emoji[i], &name);
			overlay_verify_add(lines, &n, xasprintf("  %s  %s", e,
			    name));
		}
		if (r->has_emoji)
			overlay_verify_add(lines, &n, xstrdup(""));
		overlay_verify_add(lines, &n, xasprintf("%s%d %d %d",
		    r->has_emoji ? "Or the numbers: " : "The numbers: ",
		    r->decimal[0], r->decimal[1], r->decimal[2]));
		overlay_verify_add(lines, &n, xstrdup(""));
		overlay_verify_add(lines, &n, xstrdup("y: they match   "
		    "n: they don't"));
		*hint = "y they match, n they don't, Esc cancels";
		break;
	case VERIFY_CONFIRMED:
		overlay_verify_add(lines, &n, xasprintf("Waiting for %s to "
		    "confirm...", who));
		break;
	case VERIFY_DONE:
		overlay_verify_add(lines, &n, xasprintf("verified: %s%s", who,
		    r->msk_verified ? " (and their master key)" : ""));
		*hint = "Esc closes";
		break;
	case VERIFY_CANCELLED:
		overlay_verify_add(lines, &n, xasprintf("Verification with %s "
		    "cancelled %s: %s", who, r->cancelled_by_us ? "here" :
		    "by them", r->cancel_code != NULL ? r->cancel_code :
		    "no reason"));
		*hint = "Esc closes";
		break;
	}
	free(who);
	return n;
}

/*
 * The one to show: emoji to compare first (the one shown, if it is
 * such), then a request to answer, then the one shown, then the newest.
 */
static const struct verify_row *
overlay_verify_pick(const struct verify_row *rows, size_t n,
    const char *shown)
{
	const struct verify_row	*cur = NULL, *show = NULL, *in = NULL;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (shown != NULL && strcmp(rows[i].txn, shown) == 0)
			cur = &rows[i];
		if (rows[i].state == VERIFY_SHOW && show == NULL)
			show = &rows[i];
		if (rows[i].state == VERIFY_INCOMING && in == NULL)
			in = &rows[i];
	}
	if (cur != NULL && cur->state == VERIFY_SHOW)
		return cur;
	if (show != NULL)
		return show;
	if (in != NULL)
		return in;
	if (cur != NULL)
		return cur;
	return n > 0 ? &rows[n - 1] : NULL;
}

static void
overlay_verify_forget(struct ui *ui)
{
	if (ui->verify == NULL)
		return;
	free(ui->verify->txn);
	ui->verify->txn = NULL;
}

/* NOTIFY_VERIFY: show the verification that needs the user, if any. */
void
overlay_verify_update(struct ui *ui)
{
	struct verify_row	*rows;
	const struct verify_row	*r = NULL;
	const char		*hint;
	char			**lines;
	size_t			 nrows, n, i;

	if (ui->verify == NULL)
		ui->verify = xcalloc(1, sizeof *ui->verify);
	if (client_verify_rows(ui->ctx.client, &rows, &nrows) == -1)
		return;
	r = overlay_verify_pick(rows, nrows, ui->verify->txn);
	if (r == NULL) {
		if (overlay_owner(ui) == ui->verify)
			overlay_close(ui);
		overlay_verify_forget(ui);
		verify_rows_free(rows, nrows);
		return;
	}
	free(ui->verify->txn);
	ui->verify->txn = xstrdup(r->txn);
	ui->verify->state = r->state;
	n = overlay_verify_lines(r, ui->me, &lines, &hint);
	overlay_show(ui, VERIFY_TITLE, lines, n);
	overlay_set_owner(ui, ui->verify, hint);
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	verify_rows_free(rows, nrows);
}

/* A key while the dialog is shown: 1 if it was the dialog's. */
int
overlay_verify_key(struct ui *ui, int key)
{
	const char	*act = NULL;

	if (ui->verify == NULL || ui->verify->txn == NULL ||
	    overlay_owner(ui) != ui->verify)
		return 0;
	switch (ui->verify->state) {
	case VERIFY_INCOMING:
		if (key == 'a')
			act = "accept";
		else if (key == 'd')
			act = "dismiss";
		break;
	case VERIFY_SHOW:
		if (key == 'y')
			act = "match";
		else if (key == 'n')
			act = "mismatch";
		break;
	default:
		break;
	}
	if (key == 27)
		act = "dismiss";
	if (act == NULL)
		return 1;	/* the dialog takes every key */
	client_verify_answer(ui->ctx.client, ui->verify->txn, act);
	if (strcmp(act, "dismiss") == 0) {
		overlay_close(ui);
		overlay_verify_forget(ui);
	}
	return 1;
}

void
overlay_verify_free(struct ui *ui)
{
	overlay_verify_forget(ui);
	free(ui->verify);
	ui->verify = NULL;
}
