/* The UI loop: poll stdin and the net pipe, keys to commands, draw once. */
#include "haos/ui.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "curses.h"
#include "ui-int.h"

#include "haos/config.h"
#include "haos/editor.h"
#include "haos/error.h"
#include "haos/log.h"
#include "haos/client.h"
#include "haos/notify.h"
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define UI_QUIT_WAIT_MS	1500	/* for typing stop and offline at quit */

/* ui_init()'s thread owns curses; every entry point checks it. */
static int
ui_on_thread(const struct ui *ui)
{
	return pthread_equal(ui->owner, pthread_self());
}

/* Mark stale the panes that show a room the store says changed. */
static void
ui_refresh_rooms(struct ui *ui, unsigned int bits)
{
	struct refresh_view	 v;
	struct refresh_plan	 p;
	struct haos_error	 err;
	const char		**chans, **servers;
	size_t			 i;

	memset(&v, 0, sizeof v);
	v.server_id = ui->server_id;
	v.room_id = ui->room_id;
	chans = pane_channels_rooms(ui, &v.nchannels);
	servers = pane_rail_servers(ui, &v.nservers);
	v.channels = chans;
	v.servers = servers;
	if (refresh_collect(&ui->refresh, ui->store, bits, &v, &p,
	    &err) == -1)
		log_warn("ui", "changed rooms: %s", err.msg);
	free(chans);
	free(servers);
	if (p.panes & REFRESH_RAIL)
		ui->rail.stale = 1;
	for (i = 0; i < p.nservers && !ui->rail.stale; i++)
		pane_rail_update(ui, p.servers[i]);
	if (p.dm && !ui->rail.stale)
		pane_rail_update(ui, NULL);
	if (p.panes & REFRESH_CHANNELS)
		ui->channels.stale = 1;
	if (p.panes & REFRESH_TIMELINE)
		ui->messages.stale = 1;
	if (p.panes & REFRESH_MEMBERS)
		ui->members.stale = 1;
	if (p.panes & REFRESH_TOPIC)
		ui->topic.dirty = 1;
	refresh_plan_free(&p);
}

/*
 * Act on the net thread's bits: the rooms the store says changed decide
 * what is read again; typing and status as the bits say.
 */
void
ui_stale(struct ui *ui, unsigned int bits)
{
	ui_refresh_rooms(ui, bits);
	devwarn_refresh(ui, bits);	/* the first call reads them all */
	if (ui->follow != NULL && bits != 0)
		ui_select_check(ui);
	if (bits & NOTIFY_TYPING)
		ui->typing.stale = 1;
	if (bits & (NOTIFY_STATUS | NOTIFY_OUTBOX | NOTIFY_AUTH))
		ui->status.dirty = 1;
	/* An empty account says something else once the sync is done. */
	if ((bits & NOTIFY_STATUS) && ui->room_id == NULL)
		ui->messages.dirty = 1;
}

/* The display name of a member of the selected room, or NULL. */
const char *
ui_name_of(void *arg, const char *user_id)
{
	const struct member_row	*m;
	size_t			 i, n;

	m = pane_members_list(arg, &n);
	for (i = 0; i < n; i++) {
		if (strcmp(m[i].user_id, user_id) == 0)
			return m[i].displayname != NULL ?
			    m[i].displayname : user_id;
	}
	return user_id;
}

/* Place every pane for the terminal size and the draft's lines. */
static void
ui_layout(struct ui *ui)
{
	struct layout	 old = ui->lay;

	ui->prefs.input_lines = (int)pane_input_lines(ui);
	layout_compute(LINES, COLS, &ui->prefs, &ui->lay);
	pane_place(&ui->topic, &ui->lay.topic);
	pane_place(&ui->rail, &ui->lay.rail);
	pane_place(&ui->channels, &ui->lay.channels);
	pane_place(&ui->messages, &ui->lay.messages);
	pane_place(&ui->members, &ui->lay.members);
	pane_place(&ui->typing, &ui->lay.typing);
	pane_place(&ui->status, &ui->lay.status);
	pane_place(&ui->input, &ui->lay.input);
	if (old.messages.w != ui->lay.messages.w)
		pane_messages_rewrap(ui);	/* wrap again */
}

/* Re-query stale panes, then draw dirty ones and update once. */
/*
 * make bench: with HAOS_BENCH_FIRST_FRAME=FILE, write the time from main()
 * to the first complete frame (every pane refreshed from the store and
 * drawn) and the peak RSS so far.
 */
static void
ui_bench_first_frame(struct ui *ui)
{
	struct rusage	 ru;
	const char	*path;
	FILE		*f;

	path = getenv("HAOS_BENCH_FIRST_FRAME");
	if (path == NULL || *path == '\0')
		return;
	if (getrusage(RUSAGE_SELF, &ru) == -1)
		ru.ru_maxrss = 0;
	f = fopen(path, "w");
	if (f == NULL) {
		log_warn("ui", "%s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "first frame %lld ms, peak RSS %.1f MB\n",
	    (long long)(client_now_ms() - ui->start_ms),
	    (double)ru.ru_maxrss / 1024.0);
	fclose(f);
}

static void
ui_draw(struct ui *ui)
{
	struct pane	*p;
	size_t		 i;
	int		 all = 0, lists = 0;

	readstate_tick(ui);	/* typing notifications */
	if (ui->full_redraw & UI_RELAYOUT)
		ui_layout(ui);
	if (ui->full_redraw & (UI_REPAINT | UI_TOUCH))
		all = 1;
	if (ui->full_redraw & UI_REPAINT)
		clearok(curscr, TRUE);
	ui->full_redraw = 0;
	/* The rail and channel list first: the others depend on them. */
	for (i = 0; i < nitems(ui->panes); i++) {
		p = ui->panes[i];
		if (!p->stale)
			continue;
		p->stale = 0;
		(p->ops->refresh)(p);
		p->dirty = 1;
		if (p == &ui->channels)
			ui_initial_selection(ui);
		if (p == &ui->channels || p == &ui->rail)
			lists = 1;
	}
	/* A room left or taken from us gives way; may mark panes stale. */
	if (lists) {
		ui_select_check(ui);
		for (i = 0; i < nitems(ui->panes); i++) {
			p = ui->panes[i];
			if (!p->stale)
				continue;
			p->stale = 0;
			(p->ops->refresh)(p);
			p->dirty = 1;
		}
	}
	statusbar_message_live(ui);
	for (i = 0; i < nitems(ui->panes); i++) {
		p = ui->panes[i];
		if (p->win == NULL || (!p->dirty && !all))
			continue;
		p->ops->draw(p);
		if (all)
			touchwin(p->win);
		wnoutrefresh(p->win);
		p->dirty = 0;
	}
	if (ui->sw != NULL) {
		curs_set(1);
		switcher_draw(ui);
	} else if (ui->relogin != NULL && ui->input.win != NULL) {
		curs_set(1);
		relogin_cursor(ui);
	} else if (ui->askpass != NULL && ui->input.win != NULL) {
		curs_set(1);
		askpass_cursor(ui);
	} else if (ui->input.win != NULL &&
	    pane_messages_selected_id(ui) == NULL && !overlay_open(ui)) {
		curs_set(1);
		pane_input_cursor(ui);
	} else
		curs_set(0);
	doupdate();
	graphics_flush(ui, all);	/* first: sixel may repaint lines */
	osc8_flush(ui);		/* links over what doupdate() drew */
	if (!ui->framed) {
		ui->framed = 1;
		ui_bench_first_frame(ui);
	}
}

/* Printable and harmless: what typing may insert. */
static int
ui_insertable(int key)
{
	if (key < 0x20 || key == 0x7f || key >= 0x110000 ||
	    (key & (KEYC_FKEY | KEYC_META | KEYC_CTRL)))
		return 0;
	if (key >= 0x80 && key < 0xa0)
		return 0;
	if ((key >= 0x202a && key <= 0x202e) ||
	    (key >= 0x2066 && key <= 0x2069) || key == 0x200e ||
	    key == 0x200f || key == 0x061c)
		return 0;
	return 1;
}

static void
ui_mouse(struct ui *ui)
{
	MEVENT		 ev;
	struct rect	*r;

	if (getmouse(&ev) != OK)
		return;
	r = &ui->lay.messages;
	if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
		if (ev.x >= r->x && ev.x < r->x + r->w)
			pane_messages_scroll(ui, (ev.bstate &
			    BUTTON4_PRESSED) ? UI_ACT_SCROLL_UP :
			    UI_ACT_SCROLL_DOWN);
		return;
	}
	if (!(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
		return;		/* a release */
	r = &ui->lay.rail;
	if (ev.x >= r->x && ev.x < r->x + r->w && ev.y >= r->y &&
	    ev.y < r->y + r->h) {
		pane_rail_click(ui, ev.y - r->y);
		return;
	}
	r = &ui->lay.channels;
	if (ev.x >= r->x && ev.x < r->x + r->w && ev.y >= r->y &&
	    ev.y < r->y + r->h)
		pane_channels_click(ui, ev.y - r->y);
}

/* A paste into the draft. */
void
ui_paste_insert(struct ui *ui, const char *paste)
{
	char	*clean;

	/* One pasted block is one draft, never many messages. */
	clean = sanitize_text(paste, (size_t)-1, SANITIZE_NEWLINES);
	editor_insert(ui->ed, clean);
	free(clean);
	ui->input.dirty = 1;
	ui->full_redraw |= UI_RELAYOUT;
}

/* One key (or paste) from the terminal. */
static void
ui_key(struct ui *ui, int key, char *paste)
{
	const char		*cmd;
	enum ui_key_mode	 mode;
	enum cmd_retval		 rv;
	char			 mb[MB_LEN_MAX + 1];
	int			 n;

	ui->input_at = client_now_ms();
	if (key == (KEYC_FKEY | KEY_RESIZE)) {
		ui->full_redraw |= UI_RELAYOUT | UI_REPAINT;
		return;
	}
	if (key == (KEYC_FKEY | KEY_MOUSE)) {
		ui_mouse(ui);
		return;
	}
	if (ui->relogin != NULL && paste == NULL) {
		relogin_key(ui, key);
		return;
	}
	if (askpass_key(ui, key, paste))
		return;
	if (ui->sw != NULL) {
		switcher_key(ui, key, paste);
		return;
	}
	if (overlay_open(ui) && paste == NULL) {
		if (!overlay_verify_key(ui, key))
			overlay_key(ui, key);
		return;
	}
	if (ui_cmd_answer(ui, key, paste) || conv_key(ui, key, paste))
		return;
	mode = pane_members_focused(ui) ? KEYMODE_MEMBERS :
	    pane_messages_selected_id(ui) != NULL ? KEYMODE_SELECT :
	    KEYMODE_ROOT;
	if (paste != NULL) {
		if (mode != KEYMODE_ROOT)
			return;
		/* A file's path: offered to upload (ui-cmd.c). */
		if (ui->room_id != NULL && ui_cmd_ask_paste(ui, paste))
			return;
		ui_paste_insert(ui, paste);
		return;
	}
	cmd = keys_lookup(ui, mode, key);
	/* Navigation keys keep working while a message is selected. */
	if (cmd == NULL && mode != KEYMODE_ROOT && !ui_insertable(key))
		cmd = keys_lookup(ui, KEYMODE_ROOT, key);
	if (cmd != NULL) {
		ui->ctx.server_id = ui->server_id;
		ui->ctx.room_id = ui->room_id;
		ui->ctx.event_id = conv_target(ui);
		rv = cmd_run_string(&ui->ctx, cmd);
		ui->ctx.event_id = NULL;
		if (rv == CMD_RETURN_QUIT)
			ui->quit = 1;
		return;
	}
	if (mode == KEYMODE_ROOT && ui_insertable(key)) {
		n = wctomb(mb, (wchar_t)key);
		if (n <= 0)
			return;
		mb[n] = '\0';
		editor_insert(ui->ed, mb);
		ui->input.dirty = 1;
	}
}

/* Drain the net thread's news: dirty bits and command results. */
static int
ui_notified(struct ui *ui, struct haos_error *err)
{
	unsigned int		 bits;
	struct client_status	 st;

	bits = notify_take(ui->notify);
	if (bits & NOTIFY_FATAL) {
		client_get_status(ui->ctx.client, &st);
		haos_error_set(err, HAOS_EIO, "the network thread stopped: "
		    "%s", st.reason[0] != '\0' ? st.reason : "see the log");
		return -1;
	}
	if ((bits & NOTIFY_AUTH) && !ui->auth_failed) {
		ui->auth_failed = 1;
		client_get_status(ui->ctx.client, &st);
		if (st.online)
			relogin_begin(ui);
	}
	ui_stale(ui, bits);
	if (bits & NOTIFY_VERIFY)
		overlay_verify_update(ui);
	if (bits & NOTIFY_RESULT)
		client_dispatch(ui->ctx.client);
	return 0;
}

struct ui *
ui_init(const struct ui_deps *d, struct haos_error *err)
{
	struct ui	*ui;
	char		*kerr = NULL;
	size_t		 i;

	ui = xcalloc(1, sizeof *ui);
	ui->owner = pthread_self();
	ui->cfg = d->cfg;
	ui->store = d->store;
	ui->start_ms = d->start_ms;
	ui->input_at = client_now_ms();
	ui->homeserver = d->homeserver;
	ui->user_id = d->user_id;
	ui->device_id = d->device_id;
	ui->session_file = d->session_file;
	ui->last_room_file = d->last_room_file;
	ui->preview_dir = d->preview_dir;
	ui->notify = d->notify;
	ui->me = xstrdup(d->user_id);
	ui->ed = editor_new();
	ui->prefs.rail = -1;
	ui->locks = strcmp(d->cfg->ui_message_locks, "yes") == 0;
	ui->prefs.members = strcmp(d->cfg->ui_members, "yes") == 0 ? 1 :
	    strcmp(d->cfg->ui_members, "no") == 0 ? 0 : -1;
	ui->prefs.input_lines = 1;
	ui->mouse = strcmp(d->cfg->ui_mouse, "yes") == 0;
	/* Changes from here on; the first frame reads everything. */
	if (refresh_start(&ui->refresh, d->store, err) == -1)
		log_warn("ui", "change seq: %s", err->msg);

	ui->ctx.store = d->store;
	ui->ctx.client = d->client;
	ui->ctx.me = ui->me;
	ui->ctx.cfg = d->cfg;
	ui->ctx.ui = &ui_cmd_ops;
	ui->ctx.ui_arg = ui;
	ui->ctx.print = ui_print;
	ui->ctx.print_arg = ui;

	pane_init(&ui->topic, ui, "topic", &statusbar_topic_ops);
	pane_init(&ui->rail, ui, "rail", &pane_rail_ops);
	pane_init(&ui->channels, ui, "channels", &pane_channels_ops);
	pane_init(&ui->members, ui, "members", &pane_members_ops);
	pane_init(&ui->messages, ui, "messages", &pane_messages_ops);
	pane_init(&ui->typing, ui, "typing", &statusbar_typing_ops);
	pane_init(&ui->status, ui, "status", &statusbar_ops);
	pane_init(&ui->input, ui, "input", &pane_input_ops);
	/* Refresh order: members before messages (names), rail first. */
	i = 0;
	ui->panes[i++] = &ui->rail;
	ui->panes[i++] = &ui->channels;
	ui->panes[i++] = &ui->members;
	ui->panes[i++] = &ui->messages;
	ui->panes[i++] = &ui->topic;
	ui->panes[i++] = &ui->typing;
	ui->panes[i++] = &ui->status;
	ui->panes[i++] = &ui->input;

	if (keys_init(ui, &kerr) == -1) {
		ui_message(ui, 1, "%s", kerr);
		log_warn("ui", "%s", kerr);
	}
	free(kerr);

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		haos_error_set(err, HAOS_EUSAGE, "the interactive client "
		    "needs a terminal");
		goto fail;
	}
	set_escdelay(25);
	if (initscr() == NULL) {
		haos_error_set(err, HAOS_EIO, "cannot initialise the "
		    "terminal (TERM=%s)", getenv("TERM") != NULL ?
		    getenv("TERM") : "");
		goto fail;
	}
	raw();
	noecho();
	nonl();
	theme_init(&ui->theme, d->cfg, err);
	osc8_init(ui);
	keys_terminal_setup(ui->mouse);
	/* Keys come from a 1x1 window that is never drawn into. */
	ui->kwin = newwin(1, 1, 0, 0);
	keypad(ui->kwin, TRUE);
	nodelay(ui->kwin, TRUE);
	wnoutrefresh(ui->kwin);
	ui->full_redraw = UI_RELAYOUT | UI_REPAINT;
	log_info("ui", "started on a %dx%d terminal, %d colours", COLS,
	    LINES, ui->theme.colors);
	return ui;
fail:
	keys_free(ui);
	editor_free(ui->ed);
	statusbar_free(ui);
	free(ui->me);
	free(ui);
	return NULL;
}

/*
 * Quitting: the typing notice stopped and presence offline, with up to
 * UI_QUIT_WAIT_MS for what is pending to be answered.
 */
static void
ui_quit(struct ui *ui)
{
	struct pollfd	 pfd;
	int64_t		 end;
	unsigned int	 bits;

	readstate_quit(ui);
	end = client_now_ms() + UI_QUIT_WAIT_MS;
	pfd.fd = notify_fd(ui->notify);
	pfd.events = POLLIN;
	while (client_pending(ui->ctx.client) > 0 && client_now_ms() < end) {
		if (poll(&pfd, 1, 50) == -1 && errno != EINTR)
			break;
		bits = notify_take(ui->notify);
		if (bits & NOTIFY_FATAL)
			break;
		if (bits & NOTIFY_RESULT)
			client_dispatch(ui->ctx.client);
	}
}

/* Run until /quit (0) or a fatal error (-1). */
int
ui_run(struct ui *ui, struct haos_error *err)
{
	struct pollfd		 pfd[2];
	struct client_status	 ns;
	char			*paste;
	int			 key, timeout, n;

	assert(ui_on_thread(ui));
	pfd[0].fd = STDIN_FILENO;
	pfd[0].events = POLLIN;
	pfd[1].fd = notify_fd(ui->notify);
	pfd[1].events = POLLIN;
	while (!ui->quit) {
		if (ui_notified(ui, err) == -1)
			return -1;
		ui_draw(ui);
		/*
		 * Tick each second for "retrying in N s", a status message
		 * or a backfill, else each minute (clock, "Today").
		 */
		client_get_status(ui->ctx.client, &ns);
		timeout = ns.state == CLIENT_OFFLINE ||
		    statusbar_message_live(ui) ||
		    pane_messages_loading(ui) ? 1000 : 60000;
		n = poll(pfd, 2, timeout);
		if (n == -1 && errno != EINTR) {
			haos_error_set(err, HAOS_EIO, "poll: %s",
			    strerror(errno));
			return -1;
		}
		if (n == 0) {
			ui->status.dirty = 1;
			ui->topic.dirty = 1;	/* call memberships expire */
			pane_messages_rewrap(ui);  /* "Today", "loading" */
		}
		/* Also after EINTR: SIGWINCH arrives as KEY_RESIZE. */
		while (!ui->quit && keys_read(ui, ui->kwin, &key,
		    &paste) == 1) {
			ui_key(ui, key, paste);
			free(paste);
		}
	}
	ui_quit(ui);
	return 0;
}

/* Give the terminal back and free the client. */
void
ui_done(struct ui *ui)
{
	size_t	 i;

	if (ui == NULL)
		return;
	assert(ui_on_thread(ui));
	switcher_close(ui);
	for (i = 0; i < nitems(ui->panes); i++)
		pane_free(ui->panes[i]);
	if (ui->kwin != NULL)
		delwin(ui->kwin);
	graphics_end(ui);
	fputs("\033[?2004l", stdout);
	fflush(stdout);
	endwin();
	askpass_end(ui);
	cmd_ctx_clear(&ui->ctx);
	relogin_end(ui);
	pane_rail_free(ui);
	pane_channels_free(ui);
	pane_messages_free(ui);
	thumbs_free(ui);
	osc8_free(ui);
	pane_members_free(ui);
	readstate_free(ui);
	overlay_close(ui);
	overlay_verify_free(ui);
	for (i = 0; i < ui->nreads; i++)
		free(ui->reads[i].room_id);
	free(ui->reads);
	for (i = 0; i < ui->nlast; i++)
		free(ui->last_room[i]);
	free(ui->last_room);
	keys_free(ui);
	editor_free(ui->ed);
	free(ui->server_id);
	free(ui->room_id);
	free(ui->follow);
	statusbar_free(ui);
	devwarn_free(ui);
	conv_free(ui);
	free(ui->ask_yes);
	free(ui->ask_paste);
	refresh_free(&ui->refresh);
	free(ui->me);
	free(ui->me_name);
	free(ui);
}
