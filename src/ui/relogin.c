/*
 * The client's password prompt: log in again when the server drops the
 * token, or give /crosssign the password its upload needs.
 */
#include <stdlib.h>
#include <string.h>

#include "curses.h"
#include "ui-int.h"

#include "haos/account.h"
#include "haos/client.h"
#include "haos/error.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/session.h"
#include "haos/xmalloc.h"

#define RELOGIN_MAX	1024	/* bytes of password */

/*
 * The password lives only here, never in the editor (which keeps
 * history): it is wiped as soon as the request is made or the prompt
 * closes.
 */
struct relogin {
	char	 pw[RELOGIN_MAX];
	size_t	 len;
	int	 busy;		/* a /login is in flight */
	int	 soft;		/* soft_logout: keep the device */
	int	 crosssign;	/* for /crosssign, not a login */
	int	 cursor_x;	/* after the stars, set by relogin_draw() */
};

static void
relogin_wipe(struct relogin *r)
{
	explicit_bzero(r->pw, sizeof r->pw);
	r->len = 0;
}

/*
 * M_UNKNOWN_TOKEN arrived (or /login): open the password prompt.  The
 * net thread keeps soft_logout until a new token is handed over.
 */
void
relogin_begin(struct ui *ui)
{
	struct client_status	 ns;
	int			 soft_logout;

	client_get_status(ui->ctx.client, &ns);
	soft_logout = ns.soft_logout;
	if (ui->relogin == NULL)
		ui->relogin = xcalloc(1, sizeof *ui->relogin);
	ui->relogin->soft = soft_logout;
	ui->relogin->crosssign = 0;
	ui->input.dirty = 1;
	ui_message(ui, 1, "%s: enter your password to log in again "
	    "(Esc: later, /login: back here)", soft_logout ?
	    "session expired" : "signed out by the server");
}

/* /crosssign: the account password, for its user-interactive auth. */
void
relogin_crosssign(struct ui *ui)
{
	if (ui->auth_failed) {
		ui_message(ui, 1, "crosssign: log in again first (/login)");
		return;
	}
	if (ui->relogin == NULL)
		ui->relogin = xcalloc(1, sizeof *ui->relogin);
	ui->relogin->crosssign = 1;
	ui->input.dirty = 1;
	ui_message(ui, 0, "cross-signing: enter your account password to "
	    "publish your new keys (Esc: cancel)");
}

/* The answer of /crosssign: the new master key, or why not. */
static void
relogin_crosssign_done(void *arg, const struct client_result *res)
{
	struct ui	*ui = arg;

	if (res->cancelled)
		return;
	if (!res->ok)
		ui_message(ui, 1, "cross-signing not set up: %s",
		    res->err->msg);
	else
		ui_message(ui, 0, "cross-signing set up (master key %s): "
		    "this device is signed", res->body != NULL ? res->body :
		    "?");
	ui->status.dirty = 1;
}

void
relogin_end(struct ui *ui)
{
	if (ui->relogin == NULL)
		return;
	relogin_wipe(ui->relogin);
	free(ui->relogin);
	ui->relogin = NULL;
	ui->input.dirty = 1;
}

/* The answer of POST /login: save the session, hand the token over. */
static void
relogin_done(void *arg, const struct client_result *res)
{
	struct ui		*ui = arg;
	struct session		 s;
	struct haos_error	 err;

	if (ui->relogin != NULL)
		ui->relogin->busy = 0;
	if (res->cancelled)
		return;
	if (!res->ok) {
		ui_message(ui, 1, "login failed: %s", res->err != NULL ?
		    res->err->msg : "no answer");
		ui->input.dirty = 1;
		return;
	}
	if (matrix_parse_login_text(res->body, ui->homeserver, &s,
	    &err) == -1) {
		ui_message(ui, 1, "login failed: %s", err.msg);
		return;
	}
	if (strcmp(s.user_id, ui->user_id) != 0) {
		ui_message(ui, 1, "login failed: the server logged in %s, "
		    "not %s", s.user_id, ui->user_id);
		session_free(&s);
		return;
	}
	/* The server may hand out another base URL; keep ours (the cache). */
	free(s.homeserver);
	s.homeserver = xstrdup(ui->homeserver);
	if (ui->session_file != NULL &&
	    session_save(&s, ui->session_file, &err) == -1) {
		log_error("ui", "%s", err.msg);
		ui_message(ui, 1, "logged in, but %s", err.msg);
	} else
		ui_message(ui, 0, "logged in again as %s (device %s)",
		    s.user_id, s.device_id);
	log_info("ui", "logged in again, device %s", s.device_id);
	client_set_token(ui->ctx.client, s.access_token, s.device_id);
	session_free(&s);
	ui->auth_failed = 0;
	relogin_end(ui);
	ui->status.dirty = 1;
}

static void
relogin_submit(struct ui *ui)
{
	struct relogin	*r = ui->relogin;
	char		*dev;

	if (r->len == 0 || r->busy)
		return;
	r->pw[r->len] = '\0';
	if (r->crosssign) {
		client_crosssign(ui->ctx.client, r->pw, (struct client_done){
		    relogin_crosssign_done, ui, NULL });
		relogin_end(ui);	/* wipes the password */
		ui_message(ui, 0, "setting up cross-signing...");
		return;
	}
	dev = account_device_name(NULL);
	r->busy = 1;
	/*
	 * soft_logout: the device and its keys stay ours (spec 5.7).  The
	 * completion borrows ui: it runs before ui is freed (ui_done()
	 * cancels what is pending first) and frees nothing.
	 */
	client_login(ui->ctx.client, ui->user_id, r->pw, r->soft ?
	    ui->device_id : NULL, dev, (struct client_done){ relogin_done,
	    ui, NULL });
	relogin_wipe(r);
	free(dev);
	ui_message(ui, 0, "logging in...");
	ui->input.dirty = 1;
}

/* Keys while the prompt is open; every key is the prompt's. */
int
relogin_key(struct ui *ui, int key)
{
	struct relogin	*r = ui->relogin;
	char		 mb[8];
	int		 n;

	if (r == NULL)
		return 0;
	ui->input.dirty = 1;
	switch (key) {
	case 27:			/* Esc: later */
		if (r->crosssign) {
			relogin_end(ui);
			ui_message(ui, 1, "cross-signing not set up");
			return 1;
		}
		relogin_end(ui);
		ui_message(ui, 1, "not logged in: type /login when ready");
		return 1;
	case 13:
	case 10:
	case KEYC_FKEY | KEY_ENTER:
		relogin_submit(ui);
		return 1;
	case 21:			/* C-u */
		relogin_wipe(r);
		return 1;
	case 8:
	case 127:
	case KEYC_FKEY | KEY_BACKSPACE:
		/* Drop one UTF-8 character. */
		while (r->len > 0 && (r->pw[--r->len] & 0xc0) == 0x80)
			;
		r->pw[r->len] = '\0';
		return 1;
	}
	if (key < 32 || (key & KEYC_FKEY) || r->busy)
		return 1;
	n = wctomb(mb, (wchar_t)key);
	if (n > 0 && r->len + (size_t)n < sizeof r->pw) {
		memcpy(r->pw + r->len, mb, (size_t)n);
		r->len += (size_t)n;
	}
	return 1;
}

/* Draw the prompt on the input line: one '*' per character typed. */
int
relogin_draw(struct ui *ui, WINDOW *w, int width)
{
	struct relogin	*r = ui->relogin;
	char		*prompt;
	size_t		 i, chars = 0;
	int		 x;

	if (r == NULL)
		return 0;
	prompt = xasprintf("%s for %s%s: ", r->busy ? "Logging in" :
	    "Password", ui->user_id, r->crosssign ? " (cross-signing)" : "");
	x = ui_put_clean(w, 0, 0, width, prompt, ui->theme.role[TH_ACCENT]);
	free(prompt);
	for (i = 0; i < r->len; i++)
		if ((r->pw[i] & 0xc0) != 0x80)
			chars++;
	for (i = 0; i < chars && x < width - 1; i++, x++)
		mvwaddch(w, 0, x, '*');
	r->cursor_x = x;
	return 1;
}

/* Put the terminal cursor after the stars. */
void
relogin_cursor(struct ui *ui)
{
	if (ui->relogin == NULL || ui->input.win == NULL)
		return;
	leaveok(ui->input.win, FALSE);
	wmove(ui->input.win, 0, ui->relogin->cursor_x);
	wnoutrefresh(ui->input.win);
}
