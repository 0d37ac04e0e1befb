/* Acting on messages: edit, reply, delete, react (picker), threads. */
#include "curses.h"
#include "ui-int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/editor.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"

#define CONV_PICK_ROWS	6	/* picker entries shown at once */
#define CONV_PICK_MAX	64	/* bytes of the picker's search */
#define CONV_QUOTE_MAX	200	/* bytes of a quoted message kept */

enum conv_mode {
	CONV_NONE = 0,
	CONV_EDIT,		/* the input is the new text of target */
	CONV_REPLY		/* the input answers target */
};

/*
 * What the client is doing with a message, UI thread only.  Compose and
 * thread state belong to one room; switching rooms drops them.
 */
struct conv {
	enum conv_mode	 mode;
	char		*room_id;	/* where mode/target apply */
	char		*target;	/* event edited or replied to */
	char		*msgtype;	/* the edited message's */
	char		*draft;		/* input to restore on Esc */
	char		*banner;	/* sanitised line above the input */

	char		*thread;	/* open thread's root, or NULL */
	char		*thread_room;

	char		*confirm;	/* asked to delete this */

	char		*pick;		/* picker for this event */
	char		 query[CONV_PICK_MAX];
	int		 pick_sel;
};

/* Favourites the picker offers before anything is typed. */
static const char *const conv_favourites[] = {
	":thumbsup:", ":heart:", ":joy:", ":tada:", ":eyes:", ":fire:",
	":thinking:", ":cry:", ":clap:", ":rocket:"
};

/* The client's conversation state, made on first use. */
static struct conv *
conv_get(struct ui *ui)
{
	if (ui->conv == NULL)
		ui->conv = xcalloc(1, sizeof *ui->conv);
	return ui->conv;
}

/* Free the conversation state (ui_done). */
void
conv_free(struct ui *ui)
{
	struct conv	*c = ui->conv;

	if (c == NULL)
		return;
	free(c->room_id);
	free(c->target);
	free(c->msgtype);
	free(c->draft);
	free(c->banner);
	free(c->thread);
	free(c->thread_room);
	free(c->confirm);
	free(c->pick);
	free(c);
	ui->conv = NULL;
}

/* A one-line, sanitised, shortened quote of an event's text. */
static char *
conv_quote(const struct event_row *e)
{
	char	*text, *clean, *nl;

	if (e->redacted)
		return xstrdup("message deleted");
	if (e->type != NULL && strcmp(e->type, "m.room.encrypted") == 0)
		return xstrdup(render_e2e_text(e->e2e));
	text = render_body(e->content);
	if (text == NULL)
		return xstrdup("");
	if (strlen(text) > CONV_QUOTE_MAX)
		text[CONV_QUOTE_MAX] = '\0';
	clean = sanitize_text(text, (size_t)-1, SANITIZE_NEWLINES);
	free(text);
	for (nl = clean; (nl = strchr(nl, '\n')) != NULL;)
		*nl = ' ';
	return clean;
}

/* Everything conv draws into: the banner, input, status and picker. */
static void
conv_redraw(struct ui *ui)
{
	ui->typing.dirty = 1;
	ui->input.dirty = 1;
	ui->status.dirty = 1;
	ui->messages.dirty = 1;
}

/* Leave edit or reply mode; restore the draft when cancelled. */
static void
conv_compose_end(struct ui *ui, int restore)
{
	struct conv	*c = conv_get(ui);

	if (restore && c->mode != CONV_NONE) {
		editor_set(ui->ed, c->draft != NULL ? c->draft : "");
		ui->full_redraw |= 2;	/* input height may change */
	}
	c->mode = CONV_NONE;
	xfree(c->room_id);
	xfree(c->target);
	xfree(c->msgtype);
	xfree(c->draft);
	xfree(c->banner);
	conv_redraw(ui);
}

/* Enter edit or reply mode on e. */
static void
conv_compose_begin(struct ui *ui, enum conv_mode mode,
    const struct event_row *e)
{
	struct conv	*c = conv_get(ui);
	json_t		*content;
	char		*quote, *text, *name, *clean;

	if (c->mode != CONV_NONE)
		conv_compose_end(ui, 1);
	c->mode = mode;
	c->room_id = xstrdup(ui->room_id);
	c->target = xstrdup(e->event_id);
	c->draft = xstrdup(editor_text(ui->ed));
	if (mode == CONV_EDIT) {
		content = json_loads(e->content != NULL ? e->content : "{}",
		    0, NULL);
		c->msgtype = xstrdup(json_get_str(content, "msgtype",
		    "m.text"));
		json_decref(content);
		/* The text came from the network: clean it like a paste. */
		text = render_body(e->content);
		clean = sanitize_text(text != NULL ? text : "", (size_t)-1,
		    SANITIZE_NEWLINES);
		editor_set(ui->ed, clean);
		free(clean);
		free(text);
		c->banner = xstrdup("editing your message - Enter saves, "
		    "Esc cancels");
	} else {
		quote = conv_quote(e);
		name = sanitize_text(ui_name_of(ui, e->sender != NULL ?
		    e->sender : ""), (size_t)-1, 0);
		c->banner = xasprintf("replying to %s: %s", name, quote);
		free(name);
		free(quote);
	}
	pane_messages_select(ui, UI_ACT_SELECT_MESSAGE_EXIT);
	ui->full_redraw |= 2;
	conv_redraw(ui);
}

/* The newest event of the page that is on the server, or NULL. */
static const struct event_row *
conv_newest(struct ui *ui, int mine, int messages)
{
	const struct event_row	*ev, *e;
	size_t			 i, n;

	ev = pane_messages_events(ui, &n);
	for (i = n; i > 0; i--) {
		e = &ev[i - 1];
		if (e->event_id == NULL || e->redacted || e->type == NULL)
			continue;
		if (messages && strcmp(e->type, "m.room.message") != 0)
			continue;
		if (mine && (e->sender == NULL ||
		    strcmp(e->sender, ui->me) != 0))
			continue;
		return e;
	}
	return NULL;
}

/* Whether e can be edited by me; says why not. */
static int
conv_editable(struct ui *ui, const struct event_row *e)
{
	json_t		*content;
	const char	*mt;
	int		 ok;

	if (e->event_id == NULL) {
		ui_message(ui, 1, "edit: the message is not sent yet");
		return 0;
	}
	if (e->redacted || e->type == NULL ||
	    strcmp(e->type, "m.room.message") != 0) {
		ui_message(ui, 1, "edit: only messages can be edited");
		return 0;
	}
	if (e->sender == NULL || strcmp(e->sender, ui->me) != 0) {
		ui_message(ui, 1, "edit: you can only edit your own messages");
		return 0;
	}
	content = json_loads(e->content != NULL ? e->content : "{}", 0, NULL);
	mt = json_get_str(content, "msgtype", "m.text");
	ok = strcmp(mt, "m.text") == 0 || strcmp(mt, "m.emote") == 0 ||
	    strcmp(mt, "m.notice") == 0;
	json_decref(content);
	if (!ok)
		ui_message(ui, 1, "edit: only text messages can be edited");
	return ok;
}

/* Up on an empty input: edit my newest message. 1 if editing now. */
int
conv_edit_last(struct ui *ui)
{
	const struct event_row	*e;

	if (ui->room_id == NULL || *editor_text(ui->ed) != '\0' ||
	    (ui->conv != NULL && ui->conv->mode != CONV_NONE))
		return 0;
	e = conv_newest(ui, 1, 1);
	if (e == NULL || !conv_editable(ui, e))
		return 0;
	conv_compose_begin(ui, CONV_EDIT, e);
	return 1;
}

/* The open thread's root in the selected room, or NULL. */
const char *
conv_thread(struct ui *ui)
{
	struct conv	*c = ui->conv;

	if (c == NULL || c->thread == NULL || ui->room_id == NULL ||
	    strcmp(c->thread_room, ui->room_id) != 0)
		return NULL;
	return c->thread;
}

/* Back to the channel from a thread. */
static void
conv_thread_close(struct ui *ui)
{
	struct conv	*c = conv_get(ui);

	xfree(c->thread);
	xfree(c->thread_room);
	pane_messages_reset(ui);
	ui->messages.stale = 1;
	conv_redraw(ui);
}

/* Show e's thread (e is its root or one of its replies). */
static void
conv_thread_open(struct ui *ui, const struct event_row *e)
{
	struct conv	*c = conv_get(ui);
	const char	*root;

	if (e->event_id == NULL) {
		ui_message(ui, 1, "thread: the message is not sent yet");
		return;
	}
	root = e->rel_type != NULL && strcmp(e->rel_type, "m.thread") == 0 &&
	    e->relates_to != NULL ? e->relates_to : e->event_id;
	free(c->thread);
	free(c->thread_room);
	c->thread = xstrdup(root);
	c->thread_room = xstrdup(ui->room_id);
	if (c->mode != CONV_NONE)
		conv_compose_end(ui, 1);
	pane_messages_reset(ui);
	ui->messages.stale = 1;
	conv_redraw(ui);
}

/* The line shown above the input while composing or in a thread. */
const char *
conv_banner(struct ui *ui)
{
	struct conv	*c = ui->conv;

	if (c == NULL)
		return NULL;
	if (c->confirm != NULL)
		return "delete this message? y deletes, any other key keeps it";
	if (c->mode != CONV_NONE && c->room_id != NULL &&
	    ui->room_id != NULL && strcmp(c->room_id, ui->room_id) == 0)
		return c->banner;
	if (conv_thread(ui) != NULL)
		return "thread - Enter replies in the thread, Esc returns to "
		    "the channel";
	return NULL;
}

/* The message commands act on by default: selected, or a thread's. */
const char *
conv_target(struct ui *ui)
{
	const struct event_row	*e;

	if (pane_messages_selected_id(ui) != NULL)
		return pane_messages_selected_id(ui);
	if (conv_thread(ui) != NULL) {
		e = conv_newest(ui, 0, 1);
		return e != NULL ? e->event_id : conv_thread(ui);
	}
	return NULL;
}

/*
 * Enter with a draft: send it as an edit, a reply or a thread reply when
 * one is under way.  Returns 1 if the line was taken, 0 to send it as
 * usual (commands always go their usual way).
 */
int
conv_enter(struct ui *ui, const char *line)
{
	struct conv		*c = ui->conv;
	struct haos_error	 err;
	struct client_msg	 msg;
	const struct event_row	*e;
	const char		*root;
	char			*text;
	size_t			 len;

	if (c == NULL || ui->room_id == NULL ||
	    (line[0] == '/' && line[1] != '/'))
		return 0;
	if (c->mode != CONV_NONE && (c->room_id == NULL ||
	    strcmp(c->room_id, ui->room_id) != 0))
		conv_compose_end(ui, 0);
	root = conv_thread(ui);
	if (c->mode == CONV_NONE && root == NULL)
		return 0;
	text = cmd_emoji_expand(line[0] == '/' ? line + 1 : line);
	len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	memset(&msg, 0, sizeof msg);
	msg.body = text;
	if (c->mode == CONV_EDIT) {
		msg.rel = CLIENT_REL_EDIT;
		msg.msgtype = c->msgtype;
		msg.target = c->target;
	} else if (root != NULL) {
		/* In a thread, m.in_reply_to is its newest event. */
		e = conv_newest(ui, 0, 0);
		msg.rel = CLIENT_REL_THREAD;
		msg.target = root;
		msg.latest = e != NULL ? e->event_id : NULL;
		msg.reply_to = c->mode == CONV_REPLY ? c->target : NULL;
	} else {
		msg.rel = CLIENT_REL_REPLY;
		msg.target = c->target;
	}
	if (client_send(ui->ctx.client, ui->room_id, &msg, &err) == -1) {
		/* Nothing is lost: the line goes back into the input. */
		ui_message(ui, 1, "%s", err.msg);
		editor_set(ui->ed, line);
		free(text);
		return 1;
	}
	free(text);
	/* Sent: what was being typed before the edit or reply comes back. */
	if (c->mode != CONV_NONE)
		conv_compose_end(ui, 1);
	return 1;
}

/* message edit|delete|reply|thread|react on the selected event e. */
int
conv_action(struct ui *ui, enum ui_action action, const struct event_row *e)
{
	struct conv	*c = conv_get(ui);

	if (action == UI_ACT_MESSAGE_EDIT) {
		if (!conv_editable(ui, e))
			return -1;
		conv_compose_begin(ui, CONV_EDIT, e);
	} else if (action == UI_ACT_MESSAGE_REPLY) {
		if (e->event_id == NULL) {
			ui_message(ui, 1, "reply: the message is not sent yet");
			return -1;
		}
		conv_compose_begin(ui, CONV_REPLY, e);
	} else if (action == UI_ACT_MESSAGE_DELETE) {
		if (e->redacted) {
			ui_message(ui, 1, "delete: already deleted");
			return -1;
		}
		/* Refuse before asking, not after. */
		ui->ctx.room_id = ui->room_id;
		if (e->event_id != NULL &&
		    !cmd_delete_allowed(&ui->ctx, e))
			return -1;
		free(c->confirm);
		c->confirm = xstrdup(e->event_id != NULL ? e->event_id :
		    e->txn_id);
		ui_message(ui, 0, "delete this message? (y/n)");
		conv_redraw(ui);
	} else if (action == UI_ACT_MESSAGE_THREAD)
		conv_thread_open(ui, e);
	else if (action == UI_ACT_MESSAGE_REACT) {
		if (e->event_id == NULL || e->redacted) {
			ui_message(ui, 1, "react: not on this message");
			return -1;
		}
		free(c->pick);
		c->pick = xstrdup(e->event_id);
		c->query[0] = '\0';
		c->pick_sel = 0;
		conv_redraw(ui);
	} else {
		ui_message(ui, 1, "message: not an action on a message");
		return -1;
	}
	return 0;
}

/*
 * The picker's matches for its search: shortcode names containing it,
 * or the favourites when empty; a typed emoji is its own first match.
 * Fills up to max entries of (name, emoji) pairs; returns the count.
 */
static size_t
conv_pick_matches(const char *query, const char **names, const char **utf8,
    size_t max)
{
	const char	*q = query;
	size_t		 n = 0, i, j;
	int		 ascii = 1;

	for (i = 0; query[i] != '\0'; i++)
		ascii &= (unsigned char)query[i] < 0x80;
	if (*q == ':')
		q++;
	if (!ascii && n < max) {
		names[n] = "";
		utf8[n++] = query;
	}
	if (*q == '\0') {
		for (i = 0; i < nitems(conv_favourites) && n < max; i++) {
			for (j = 0; j < cmd_emoji_table_size; j++) {
				if (strcmp(cmd_emoji_table[j].name,
				    conv_favourites[i]) == 0)
					break;
			}
			if (j == cmd_emoji_table_size)
				continue;
			names[n] = cmd_emoji_table[j].name;
			utf8[n++] = cmd_emoji_table[j].utf8;
		}
		return n;
	}
	for (i = 0; i < cmd_emoji_table_size && n < max && ascii; i++) {
		if (strstr(cmd_emoji_table[i].name, q) != NULL) {
			names[n] = cmd_emoji_table[i].name;
			utf8[n++] = cmd_emoji_table[i].utf8;
		}
	}
	return n;
}

/* Run "cmd ARG $event" as if typed, with the room of the client. */
static void
conv_run(struct ui *ui, const char *verb, const char *arg, const char *id)
{
	char	*line;

	line = arg != NULL ? xasprintf("%s %s %s", verb, arg, id) :
	    xasprintf("%s %s", verb, id);
	ui->ctx.server_id = ui->server_id;
	ui->ctx.room_id = ui->room_id;
	ui->ctx.event_id = NULL;
	cmd_run_string(&ui->ctx, line);
	free(line);
}

/* Close the picker and leave the selection it was opened from. */
static void
conv_pick_close(struct ui *ui)
{
	struct conv	*c = conv_get(ui);

	xfree(c->pick);
	pane_messages_select(ui, UI_ACT_SELECT_MESSAGE_EXIT);
	conv_redraw(ui);
}

/* A key while the picker is open. */
static void
conv_pick_key(struct ui *ui, int key, const char *paste)
{
	struct conv	*c = ui->conv;
	const char	*names[64], *utf8[64];
	char		 mb[MB_LEN_MAX + 1], *id;
	size_t		 n, len = strlen(c->query);
	int		 k;

	n = conv_pick_matches(c->query, names, utf8, nitems(names));
	if (paste != NULL) {
		id = sanitize_text(paste, (size_t)-1, 0);
		if (len + strlen(id) < sizeof c->query)
			memcpy(c->query + len, id, strlen(id) + 1);
		free(id);
		c->pick_sel = 0;
	} else if (key == 27)
		conv_pick_close(ui);
	else if (key == 13) {
		if (n == 0) {
			beep();
			return;
		}
		id = xstrdup(c->pick);
		k = c->pick_sel < (int)n ? c->pick_sel : 0;
		conv_run(ui, "react", utf8[k], id);
		free(id);
		conv_pick_close(ui);
	} else if (key == (KEYC_FKEY | KEY_UP) || key == (KEYC_FKEY |
	    KEY_LEFT) || key == (KEYC_FKEY | KEY_BTAB)) {
		if (c->pick_sel > 0)
			c->pick_sel--;
	} else if (key == (KEYC_FKEY | KEY_DOWN) || key == (KEYC_FKEY |
	    KEY_RIGHT) || key == 9) {
		if (c->pick_sel + 1 < (int)n)
			c->pick_sel++;
	} else if (key == (KEYC_FKEY | KEY_BACKSPACE) || key == 127 ||
	    key == 8) {
		/* Drop the last character (a whole UTF-8 sequence). */
		while (len > 0 && ((unsigned char)c->query[len - 1] & 0xc0) ==
		    0x80)
			len--;
		if (len > 0)
			len--;
		c->query[len] = '\0';
		c->pick_sel = 0;
	} else if (key >= 0x20 && key < 0x110000 && key != 0x7f &&
	    !(key & (KEYC_FKEY | KEYC_META | KEYC_CTRL))) {
		k = wctomb(mb, (wchar_t)key);
		if (k > 0 && len + (size_t)k < sizeof c->query) {
			memcpy(c->query + len, mb, (size_t)k);
			c->query[len + (size_t)k] = '\0';
		}
		c->pick_sel = 0;
	}
	ui->messages.dirty = 1;
}

/*
 * Keys the conversation features take before the key table: the
 * picker's, y/n of a delete, Esc leaving a reply, edit or thread.
 * Returns 1 if the key was used.
 */
int
conv_key(struct ui *ui, int key, const char *paste)
{
	struct conv	*c = ui->conv;
	char		*id;

	if (c == NULL)
		return 0;
	if (c->pick != NULL) {
		conv_pick_key(ui, key, paste);
		return 1;
	}
	if (c->confirm != NULL && paste == NULL) {
		id = c->confirm;
		c->confirm = NULL;
		if (key == 'y' || key == 'Y') {
			/* The question goes; an error replaces this. */
			ui_message(ui, 0, "message deleted");
			conv_run(ui, "delete", NULL, id);
		} else
			ui_message(ui, 0, "not deleted");
		free(id);
		pane_messages_select(ui, UI_ACT_SELECT_MESSAGE_EXIT);
		conv_redraw(ui);
		return 1;
	}
	if (key != 27 || paste != NULL ||
	    pane_messages_selected_id(ui) != NULL)
		return 0;
	if (c->mode != CONV_NONE) {
		conv_compose_end(ui, 1);
		return 1;
	}
	if (conv_thread(ui) != NULL) {
		conv_thread_close(ui);
		return 1;
	}
	return 0;
}

/* Draw the reaction picker over the bottom of the message pane. */
void
conv_draw(struct ui *ui, WINDOW *w, int h, int width)
{
	struct conv	*c = ui->conv;
	const char	*names[64], *utf8[64];
	char		*line, *q;
	size_t		 n, i, first = 0;
	int		 rows, y;
	attr_t		 a;

	if (c == NULL || c->pick == NULL || h < 3)
		return;
	n = conv_pick_matches(c->query, names, utf8, nitems(names));
	rows = (int)(n < CONV_PICK_ROWS ? n : CONV_PICK_ROWS);
	if (rows + 2 > h)
		rows = h - 2;
	if (c->pick_sel >= rows)
		first = (size_t)(c->pick_sel - rows + 1);
	y = h - rows - 1;
	q = ui_clean(c->query);
	line = xasprintf("React: %s_   (type to search, Enter picks, Esc "
	    "closes)", q);
	free(q);
	wmove(w, y - 1, 0);
	wclrtoeol(w);
	ui_put_clean(w, y - 1, 1, width - 1, line,
	    ui->theme.role[TH_HEADING]);
	free(line);
	for (i = first; i < n && (int)(i - first) < rows; i++, y++) {
		wmove(w, y, 0);
		wclrtoeol(w);
		q = ui_clean(utf8[i]);
		line = xasprintf(" %s  %s", q, names[i]);
		free(q);
		a = (int)i == c->pick_sel ? A_REVERSE :
		    ui->theme.role[TH_TEXT];
		ui_put_clean(w, y, 1, width - 1, line, a);
		free(line);
	}
	wmove(w, y, 0);
	wclrtoeol(w);
	if (n == 0)
		ui_put_clean(w, y, 1, width - 1, "no emoji match",
		    ui->theme.role[TH_DIM]);
}
