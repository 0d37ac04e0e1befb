/* The status line, the topic bar and the typing line. */
#include "curses.h"
#include "ui-int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/activity.h"
#include "haos/call.h"
#include "haos/error.h"
#include "haos/files.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/client.h"
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/store-xsign.h"
#include "haos/xmalloc.h"

#define STATUSBAR_MESSAGE_MS	8000	/* how long a status message stays */
#define STATUSBAR_JOIN_MS	2000	/* errors this close are shown together */
#define STATUSBAR_JOIN_MAX	400	/* bytes of joined errors at most */
#define STATUSBAR_CALL_NAMES	5	/* names shown of those in a call */

/* The status and typing lines' own data, opaque outside this file. */
struct status_state {
	char		*msg;		/* status message, sanitised */
	int		 msg_error;
	int64_t		 msg_at;	/* when it was shown */
	unsigned long	 notice_seq;	/* the client's last notice shown */
	char		*typing_text;	/* "alice is typing...", sanitised */
};

/* The state, made on first use. */
static struct status_state *
statusbar_state(struct ui *ui)
{
	if (ui->status_st == NULL)
		ui->status_st = xcalloc(1, sizeof *ui->status_st);
	return ui->status_st;
}

/* Free the status and typing lines' state. */
void
statusbar_free(struct ui *ui)
{
	if (ui->status_st == NULL)
		return;
	free(ui->status_st->msg);
	free(ui->status_st->typing_text);
	free(ui->status_st);
	ui->status_st = NULL;
}

/* Show a message in the status line (commands, errors, progress). */
void
ui_message(struct ui *ui, int is_error, const char *fmt, ...)
{
	struct status_state	*ss = statusbar_state(ui);
	va_list			 ap;
	char			*buf, *clean, *both;
	int64_t			 now = client_now_ms();

	va_start(ap, fmt);
	buf = xvasprintf(fmt, ap);
	va_end(ap);
	clean = sanitize_text(buf, (size_t)-1, 0);
	/*
	 * Two things going wrong at once (kicked, and a line discarded
	 * with it) both stay on screen: an error shown a moment ago is
	 * kept after the next one instead of replaced (the newest first,
	 * where a narrow line does not cut it).
	 */
	if (is_error && ss->msg != NULL && ss->msg_error &&
	    now - ss->msg_at < STATUSBAR_JOIN_MS &&
	    strlen(ss->msg) + strlen(clean) < STATUSBAR_JOIN_MAX) {
		both = xasprintf("%s; %s", clean, ss->msg);
		free(clean);
		clean = both;
	}
	free(ss->msg);
	ss->msg = clean;
	ss->msg_error = is_error;
	ss->msg_at = now;
	ui->status.dirty = 1;
	if (is_error)
		log_info("ui", "%s", buf);
	free(buf);
}

/* Drop a message shown long enough; whether one is still shown. */
int
statusbar_message_live(struct ui *ui)
{
	struct status_state	*ss = statusbar_state(ui);

	if (ss->msg != NULL &&
	    client_now_ms() - ss->msg_at > STATUSBAR_MESSAGE_MS) {
		xfree(ss->msg);
		ui->status.dirty = 1;
	}
	return ss->msg != NULL;
}

/*
 * The warning of the selected room while a member's identity (master
 * key) changed and is not accepted: its messages wait.  NULL if none.
 */
static char *
statusbar_identity(struct ui *ui)
{
	struct haos_error	 err;
	char			**users, *who, *text = NULL;
	size_t			 n;

	if (ui->room_id == NULL || store_xsign_changed_in_room(ui->store,
	    ui->room_id, &users, &n, &err) == -1)
		return NULL;
	if (n > 0) {
		who = sanitize_text(users[0], (size_t)-1, 0);
		text = xasprintf("%s's identity changed: messages here wait "
		    "- /trust %s", who, who);
		free(who);
	}
	store_xsign_users_free(users, n);
	return text;
}

/*
 * The transfer under way, a download first, else an upload:
 * "downloading 1.2 MB of 5.0 MB [###-------] 24% - Esc cancels"
 * ("uploading ..."), or NULL.
 */
static char *
statusbar_download(struct ui *ui)
{
	struct client_progress	 dl;
	const char		*verb = "downloading";
	char			 bar[11], *done, *total, *s, *txn;
	int			 pct, i;

	if (!client_download_progress(ui->ctx.client, &dl)) {
		if (!client_upload_progress(ui->ctx.client, &dl, &txn))
			return NULL;
		free(txn);
		verb = "uploading";
	}
	done = files_human_size(dl.done);
	if (dl.total <= 0) {
		s = xasprintf("%s %s - Esc cancels", verb, done);
		free(done);
		return s;
	}
	pct = (int)(dl.done >= dl.total ? 100 : dl.done * 100 / dl.total);
	for (i = 0; i < 10; i++)
		bar[i] = i < pct / 10 ? '#' : '-';
	bar[10] = '\0';
	total = files_human_size(dl.total);
	s = xasprintf("%s %s of %s [%s] %d%% - Esc cancels", verb, done,
	    total, bar, pct);
	free(done);
	free(total);
	return s;
}

/* Connection state, account, pending outbox count, last message. */
static void
statusbar_draw(struct pane *p)
{
	struct ui		*ui = p->ui;
	const struct theme	*t = &ui->theme;
	struct status_state	*ss;
	struct client_status	 ns;
	struct haos_error	 err;
	struct outbox_row	*o;
	size_t			 no, pending = 0, failed = 0;
	char			 left[256], right[256], *warn, *bar_text;
	int			 rw, x, secs;
	attr_t			 bar = t->role[TH_STATUS];

	client_get_status(ui->ctx.client, &ns);
	ss = statusbar_state(ui);
	if (ns.notice_seq != ss->notice_seq) {
		/* A notice from the net thread, shown like a message. */
		ss->notice_seq = ns.notice_seq;
		free(ss->msg);
		ss->msg = sanitize_text(ns.notice, (size_t)-1, 0);
		ss->msg_error = 0;
		ss->msg_at = client_now_ms();
	}
	if (ui->auth_failed)
		ns.state = CLIENT_AUTH_FAILED;
	switch (ns.state) {
	case CLIENT_STARTING:
		snprintf(left, sizeof left, " connecting ");
		break;
	case CLIENT_SYNCING:
		snprintf(left, sizeof left, " syncing... ");
		break;
	case CLIENT_CONNECTED:
		snprintf(left, sizeof left, " connected ");
		break;
	case CLIENT_OFFLINE:
		/* reason is sanitised by the net thread; drawn clean too. */
		secs = (int)((ns.retry_at_ms - client_now_ms() + 999) / 1000);
		if (secs > 0)
			snprintf(left, sizeof left, " %s - retrying in %d s%s%s ",
			    ns.rate_limited ? "rate limited" : "offline", secs,
			    ns.reason[0] != '\0' ? ": " : "", ns.reason);
		else
			snprintf(left, sizeof left, " %s - retrying now%s%s ",
			    ns.rate_limited ? "rate limited" : "offline",
			    ns.reason[0] != '\0' ? ": " : "", ns.reason);
		break;
	case CLIENT_AUTH_FAILED:
		snprintf(left, sizeof left, " logged out - /login ");
		break;
	}
	for (int st = OUTBOX_PENDING; st <= OUTBOX_FAILED; st++) {
		if (st == OUTBOX_SENT)
			continue;
		if (store_query_outbox(ui->store, (enum outbox_state)st, &o,
		    &no, &err) == -1)
			continue;
		if (st == OUTBOX_FAILED)
			failed += no;
		else
			pending += no;
		outbox_rows_free(o, no);
	}
	/* A download's bar takes the place of the selection's hint. */
	bar_text = statusbar_download(ui);
	x = snprintf(right, sizeof right, "%s%s",
	    bar_text == NULL && pane_messages_selected_id(ui) != NULL ?
	    "SELECT: e d r t + y o Enter, Esc leaves  " : "", ui->me);
	if (pending > 0)
		x += snprintf(right + x, sizeof right - (size_t)x,
		    "  %zu pending", pending);
	if (failed > 0)
		snprintf(right + x, sizeof right - (size_t)x, "  %zu failed",
		    failed);
	werase(p->win);
	wbkgdset(p->win, ' ' | bar);
	wattrset(p->win, (int)bar);
	mvwhline(p->win, 0, 0, ' ', p->r.w);
	x = ui_put_clean(p->win, 0, 0, p->r.w, left, ns.state ==
	    CLIENT_CONNECTED ? bar : (bar | t->role[TH_ERROR]) & ~A_BOLD);
	rw = ui_width(right);
	warn = ss->msg == NULL ? statusbar_identity(ui) : NULL;
	if (bar_text != NULL)
		ui_put_clean(p->win, 0, x + 1, p->r.w - x - rw - 3, bar_text,
		    bar | A_BOLD);
	else if (ss->msg != NULL)
		ui_put_clean(p->win, 0, x + 1, p->r.w - x - rw - 3, ss->msg,
		    ss->msg_error ? bar | A_BOLD : bar);
	else if (warn != NULL)
		ui_put_clean(p->win, 0, x + 1, p->r.w - x - rw - 3, warn,
		    (bar | t->role[TH_ERROR]) & ~A_BOLD);
	free(warn);
	free(bar_text);
	if (rw + 1 < p->r.w - x)
		ui_put_clean(p->win, 0, p->r.w - rw - 1, rw, right, bar);
	wbkgdset(p->win, ' ');
}

static void
statusbar_refresh(struct pane *p __unused)
{
}

const struct pane_ops statusbar_ops = {
	.draw = statusbar_draw,
	.key = NULL,
	.refresh = statusbar_refresh
};

/*
 * What a voice or video channel is, until haos joins calls itself, and
 * who is in its call (MatrixRTC memberships in the room state): "voice
 * channel: calls are joined from the web app · in the call: bob, carol".
 * Raw text: the caller sanitises.
 */
static char *
statusbar_call_text(struct ui *ui, const struct ui_chan *c)
{
	struct haos_error	 err;
	struct timespec		 ts;
	char			**ids = NULL, *s, *t;
	size_t			 n = 0, i;

	s = xasprintf("%s channel: calls are joined from the web app",
	    c->type == CHANNEL_VIDEO ? "video" : "voice");
	clock_gettime(CLOCK_REALTIME, &ts);
	if (call_room_members(ui->store, c->id, (int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000, &ids, &n, &err) == -1)
		log_warn("ui", "call members: %s", err.msg);
	for (i = 0; i < n && i < STATUSBAR_CALL_NAMES; i++) {
		t = xasprintf("%s%s%s", s, i == 0 ? (ui->theme.ascii ?
		    " - in the call: " : " \xc2\xb7 in the call: ") : ", ",
		    ui_name_of(ui, ids[i]));
		free(s);
		s = t;
	}
	if (n > STATUSBAR_CALL_NAMES) {
		t = xasprintf("%s and %zu more", s, n - STATUSBAR_CALL_NAMES);
		free(s);
		s = t;
	}
	call_members_free(ids, n);
	return s;
}

/*
 * "Acme > # general 🔒  topic" ("[E2E]" on an ASCII terminal for the lock
 * of an encrypted room); a voice channel says what it is first.
 */
static void
statusbar_topic_draw(struct pane *p)
{
	struct ui		*ui = p->ui;
	struct haos_error	 err;
	struct room_row		 r;
	const struct ui_chan	*c;
	char			*call;
	int			 x = 1, si, have;

	have = ui->room_id != NULL && store_query_room(ui->store,
	    ui->room_id, &r, &err) == 1;
	werase(p->win);
	si = pane_rail_index(ui);
	if (si >= 0)
		x += ui_put_clean(p->win, 0, x, p->r.w - x,
		    pane_rail_name(ui, (size_t)si), ui->theme.role[TH_ACCENT]);
	c = pane_channels_find(ui, ui->room_id);
	if (c != NULL) {
		x += ui_put_clean(p->win, 0, x, p->r.w - x, " > ",
		    ui->theme.role[TH_DIM]);
		if (!c->dm)
			x += ui_put_clean(p->win, 0, x, p->r.w - x, "# ",
			    ui->theme.role[TH_DIM]);
		x += ui_put_clean(p->win, 0, x, p->r.w - x, c->name, A_BOLD);
		if (have && r.encrypted)
			x += ui_put_clean(p->win, 0, x, p->r.w - x,
			    ui->theme.ascii ? " [E2E]" : " \xf0\x9f\x94\x92",
			    ui->theme.role[TH_ACCENT]);
		if (c->kind == UI_CHAN_ROOM && (c->type == CHANNEL_AUDIO ||
		    c->type == CHANNEL_VIDEO)) {
			call = statusbar_call_text(ui, c);
			x += ui_put_clean(p->win, 0, x, p->r.w - x, "  ",
			    A_NORMAL);
			x += ui_put(p->win, 0, x, p->r.w - x, call,
			    ui->theme.role[TH_ACCENT]);
			free(call);
		}
	}
	if (have) {
		if (r.topic != NULL && *r.topic != '\0') {
			x += ui_put_clean(p->win, 0, x, p->r.w - x, "  ",
			    A_NORMAL);
			ui_put(p->win, 0, x, p->r.w - x, r.topic,
			    ui->theme.role[TH_DIM]);
		}
		room_row_free(&r);
	}
	mvwhline(p->win, 0, 0, ' ', 1);
}

const struct pane_ops statusbar_topic_ops = {
	.draw = statusbar_topic_draw,
	.key = NULL,
	.refresh = statusbar_refresh
};

/* Who is typing in the selected room. */
static void
statusbar_typing_refresh(struct pane *p)
{
	struct ui		*ui = p->ui;
	struct status_state	*ss = statusbar_state(ui);
	struct haos_error	 err;
	json_t			*arr, *v;
	char			*ids = NULL;
	const char		**names;
	size_t			 i, n = 0;

	xfree(ss->typing_text);
	if (ui->room_id == NULL || store_query_typing(ui->store, ui->room_id,
	    &ids, &err) == -1 || ids == NULL)
		return;
	arr = json_loads(ids, 0, NULL);
	names = xcalloc(json_array_size(arr) + 1, sizeof *names);
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) ||
		    strcmp(json_string_value(v), ui->me) == 0)
			continue;
		names[n++] = ui_name_of(ui, json_string_value(v));
	}
	/* "alice is typing…", sanitised (activity.c). */
	ss->typing_text = activity_typing_text(names, n, ui->theme.ascii);
	free(names);
	json_decref(arr);
	free(ids);
}

static void
statusbar_typing_draw(struct pane *p)
{
	werase(p->win);
	/* Replying, editing or a thread: what Enter will do comes first. */
	if (conv_banner(p->ui) != NULL)
		ui_put(p->win, 0, 1, p->r.w - 1, conv_banner(p->ui),
		    p->ui->theme.role[TH_ACCENT]);
	else if (statusbar_state(p->ui)->typing_text != NULL)
		ui_put(p->win, 0, 1, p->r.w - 1,
		    statusbar_state(p->ui)->typing_text,
		    p->ui->theme.role[TH_DIM]);
}

const struct pane_ops statusbar_typing_ops = {
	.draw = statusbar_typing_draw,
	.key = NULL,
	.refresh = statusbar_typing_refresh
};
