/* A question answered without echo: a recovery key or a passphrase. */
#include <stdlib.h>
#include <string.h>

#include "curses.h"
#include "ui-int.h"

#include "haos/cmd.h"
#include "haos/xmalloc.h"

#define ASKPASS_MAX	1024	/* bytes of answer */

/*
 * The answer lives only here, never in the editor (which keeps history)
 * or the status line: it is wiped as soon as the command has it or the
 * prompt closes.  A paste (a recovery key usually is one) is taken, its
 * buffer wiped, line breaks dropped.
 */
struct askpass {
	char		 buf[ASKPASS_MAX];
	size_t		 len;
	char		*question;
	cmd_secret_cb	 cb;
	void		*arg;
	int		 cursor_x;	/* after the stars, by askpass_draw() */
};

/* Open the prompt (one at a time: an open one is cancelled first). */
void
askpass_begin(void *arg, const char *question, cmd_secret_cb cb,
    void *cb_arg)
{
	struct ui	*ui = arg;

	askpass_end(ui);
	ui->askpass = xcalloc(1, sizeof *ui->askpass);
	ui->askpass->question = xstrdup(question);
	ui->askpass->cb = cb;
	ui->askpass->arg = cb_arg;
	ui->input.dirty = 1;
	ui_message(ui, 0, "Enter: done, Esc: cancel (nothing typed here is "
	    "shown or kept)");
}

/* Close the prompt; its command hears answer (NULL: cancelled). */
static void
askpass_close(struct ui *ui, const char *answer)
{
	struct askpass	*a = ui->askpass;

	if (a == NULL)
		return;
	ui->askpass = NULL;
	ui->input.dirty = 1;
	a->cb(&ui->ctx, answer, a->arg);
	explicit_bzero(a->buf, sizeof a->buf);
	free(a->question);
	free(a);
}

void
askpass_end(struct ui *ui)
{
	askpass_close(ui, NULL);
}

static void
askpass_add(struct askpass *a, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n' || s[i] == '\r')
			continue;
		if (a->len + 1 < sizeof a->buf)
			a->buf[a->len++] = s[i];
	}
	a->buf[a->len] = '\0';
}

/* Keys (and pastes) while the prompt is open: all of them are its. */
int
askpass_key(struct ui *ui, int key, char *paste)
{
	struct askpass	*a = ui->askpass;
	char		 mb[8];
	int		 n;

	if (a == NULL)
		return 0;
	ui->input.dirty = 1;
	if (paste != NULL) {
		askpass_add(a, paste, strlen(paste));
		explicit_bzero(paste, strlen(paste));
		return 1;
	}
	switch (key) {
	case 27:			/* Esc */
		askpass_end(ui);
		return 1;
	case 13:
	case 10:
	case KEYC_FKEY | KEY_ENTER:
		a->buf[a->len] = '\0';
		askpass_close(ui, a->buf);
		return 1;
	case 21:			/* C-u */
		explicit_bzero(a->buf, sizeof a->buf);
		a->len = 0;
		return 1;
	case 8:
	case 127:
	case KEYC_FKEY | KEY_BACKSPACE:
		while (a->len > 0 && (a->buf[--a->len] & 0xc0) == 0x80)
			;
		a->buf[a->len] = '\0';
		return 1;
	}
	if (key < 32 || (key & KEYC_FKEY))
		return 1;
	n = wctomb(mb, (wchar_t)key);
	if (n > 0)
		askpass_add(a, mb, (size_t)n);
	explicit_bzero(mb, sizeof mb);
	return 1;
}

/* Draw the question on the input line and a '*' per character. */
int
askpass_draw(struct ui *ui, WINDOW *w, int width)
{
	struct askpass	*a = ui->askpass;
	size_t		 i, chars = 0;
	int		 x;

	if (a == NULL)
		return 0;
	x = ui_put_clean(w, 0, 0, width, a->question,
	    ui->theme.role[TH_ACCENT]);
	for (i = 0; i < a->len; i++)
		if ((a->buf[i] & 0xc0) != 0x80)
			chars++;
	for (i = 0; i < chars && x < width - 1; i++, x++)
		mvwaddch(w, 0, x, '*');
	a->cursor_x = x;
	return 1;
}

void
askpass_cursor(struct ui *ui)
{
	if (ui->askpass == NULL || ui->input.win == NULL)
		return;
	leaveok(ui->input.win, FALSE);
	wmove(ui->input.win, 0, ui->askpass->cursor_x);
	wnoutrefresh(ui->input.win);
}
