/* Shared internals of the curses client: panes, model, theme, keys. */
#ifndef HAOS_UI_INT_H
#define HAOS_UI_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "curses.h"

#include "haos/cmd.h"
#include "haos/layout.h"
#include "haos/model.h"
#include "haos/preview.h"
#include "haos/render.h"
#include "haos/ui.h"

struct ui;
struct pane;
struct editor;
struct readstate;
struct switcher;
struct relogin;
struct askpass;
struct conv;
struct members_state;
struct rail_state;
struct chanlist_state;
struct msgs_state;
struct status_state;
struct devwarn_state;
struct overlay;

/* Redraw requests in ui->full_redraw. */
#define UI_REPAINT	1	/* clear the terminal and draw everything */
#define UI_RELAYOUT	2	/* pane sizes may have changed */
#define UI_TOUCH	4	/* draw every pane again (an overlay closed) */

/* What a pane's key handler did with a key. */
enum pane_key_result {
	PANE_IGNORED = 0,
	PANE_HANDLED = 1u << 0,
	PANE_REDRAW = 1u << 1
};

/*
 * A pane draws from data its refresh() read from the store; nothing draws
 * outside ui_draw(), which calls draw() for dirty panes only and then
 * doupdate() once (tmux's redraw flags, htop's PanelClass).
 */
struct pane_ops {
	void	(*draw)(struct pane *);		/* blit only */
	int	(*key)(struct pane *, int);	/* PANE_* */
	void	(*refresh)(struct pane *);	/* re-query the RO store */
};

struct pane {
	const char		*name;
	const struct pane_ops	*ops;
	struct ui		*ui;
	WINDOW			*win;		/* NULL while hidden */
	struct rect		 r;
	int			 dirty;		/* draw() before doupdate() */
	int			 stale;		/* refresh() first */
};

/* Colour roles of the theme. */
enum theme_role {
	TH_TEXT = 0,
	TH_DIM,
	TH_ACCENT,
	TH_MENTION,
	TH_LINK,
	TH_ERROR,
	TH_HEADING,
	TH_SELECTED,
	TH_BORDER,
	TH_STATUS,
	TH_UNREAD,
	TH_CODE,		/* code and pre of a formatted_body */
	TH__COUNT
};

#define THEME_MAX_SENDERS	16
#define THEME_MAX_RGB		64	/* formatted_body colours kept */
#define THEME_IMG_SLOTS		4096	/* image preview pairs: hash size */
#define THEME_IMG_MAX		2048	/* pairs at most */

struct theme {
	attr_t	 role[TH__COUNT];
	attr_t	 sender[THEME_MAX_SENDERS];
	int	 nsenders;
	int	 colors;	/* 0 mono, 16, 256, or 1 << 24 */
	int	 ascii;		/* no box drawing or emoji markers */
	attr_t	 italic;	/* A_ITALIC, or A_UNDERLINE without sitm */
	int	 npair;		/* next colour pair to allocate */
	/* data-mx-color colours: terminal colour -> its pair, as met. */
	int	 rgb_color[THEME_MAX_RGB];
	attr_t	 rgb_attr[THEME_MAX_RGB];
	int	 nrgb;
	/* Image previews: (fg, bg) -> pair number (0: a free slot). */
	int64_t	 img_key[THEME_IMG_SLOTS];
	int	 img_pair[THEME_IMG_SLOTS];
	int	 nimg;
};

enum ui_chan_kind {
	UI_CHAN_HEADING = 0,
	UI_CHAN_ROOM,
	UI_CHAN_INVITE
};

/* A channel-list row: a heading, a room, or an invite. */
struct ui_chan {
	enum ui_chan_kind	 kind;
	char			*id;
	char			*name;		/* sanitised */
	enum channel_type	 type;
	int			 dm;
	int			 unread;
	int64_t			 mentions;
	char			*inviter;	/* sanitised */
	char			*with;		/* a server invite's channels */
};

/* A local read mark (read receipts arrive with a later issue). */
struct ui_read {
	char		*room_id;
	int64_t		 ts;
};

struct ui {
	const struct config	*cfg;
	struct store		*store;
	struct notify		*notify;
	char			*me;
	char			*me_name;	/* my display name */
	struct cmd_ctx		 ctx;
	struct theme		 theme;
	struct layout		 lay;
	struct layout_prefs	 prefs;
	int			 quit;
	int			 full_redraw;	/* clear and repaint all */
	int			 mouse;
	int			 locks;		/* a lock before encrypted
						   messages (/locks) */
	int			 hyperlinks;	/* links as OSC 8 (osc8.c) */
	struct osc8		*osc8;		/* osc8.c: links on screen */

	struct pane		 topic, rail, channels, messages, members,
				 typing, status, input;
	struct pane		*panes[8];

	/*
	 * Each pane's data is its own, opaque here: other files use the
	 * functions its file exports below.
	 */
	struct rail_state	*rail_st;	/* pane-rail.c */
	struct chanlist_state	*chanlist_st;	/* pane-channels.c */
	struct msgs_state	*msgs_st;	/* pane-messages.c */
	struct overlay		*overlay;	/* overlay.c: help text */
	struct verify_ui	*verify;	/* overlay-verify.c */
	struct members_state	*members_st;	/* pane-members.c */
	struct status_state	*status_st;	/* statusbar.c */
	struct devwarn_state	*devwarn_st;	/* devwarn.c */
	struct thumbs		*thumbs;	/* thumbs.c: image previews */
	struct graphics		*gfx;		/* graphics.c: kitty, sixel */
	const char		*preview_dir;	/* their files (main()'s) */

	/* Selection (ui-select.c): the core every pane reads. */
	char			*server_id;	/* selected; NULL: DMs */
	char			*room_id;	/* selected room */
	struct ui_read		*reads;
	size_t			 nreads;
	char			**last_room;	/* pairs: server, room */
	size_t			 nlast;
	char			*follow;	/* select once it arrives */
	size_t			 room_at;	/* last place in the lists, */
	size_t			 server_at;	/* for a neighbour */
	struct refresh		 refresh;	/* store changes seen */

	/* Input (pane-input.c, the editor module) and the session. */
	struct editor		*ed;
	int			 auth_failed;
	int64_t			 start_ms;	/* main()'s clock */
	int64_t			 input_at;	/* the last key, same clock */
	int			 framed;	/* first frame drawn */
	struct relogin		*relogin;	/* password prompt open */
	struct askpass		*askpass;	/* a command's hidden question */
	const char		*homeserver;	/* main()'s */
	const char		*user_id;
	const char		*device_id;
	const char		*session_file;
	const char		*last_room_file; /* NULL: not kept */
	struct conv		*conv;		/* edit/reply/thread/picker */
	char			*ask_yes;	/* ui-cmd.c: what y runs */
	char			*ask_paste;	/* a pasted path's text: what
						   any other answer inserts */

	struct switcher		*sw;
	struct readstate	*rs;		/* readstate.c */
	struct ui_keys		*keys;
	WINDOW			*kwin;		/* keys are read here */
	pthread_t		 owner;		/* asserted by ui_* */
};

/*
 * overlay-verify.c: the key verification dialog, over the message pane:
 * a request to accept or decline, the emoji to compare, the outcome.
 */
struct verify_ui;
void		 overlay_verify_update(struct ui *);
int		 overlay_verify_key(struct ui *, int key);
/*
 * thumbs.c: image previews of the timeline (render_opts.preview_of),
 * their files asked for those drawn (thumbs_seen() between
 * thumbs_frame() and thumbs_pump()), decoded when they arrive.
 */
struct thumbs;
int		 thumbs_of(void *, const struct event_row *, int,
		     const struct preview **, const char **);
void		 thumbs_frame(struct ui *);
void		 thumbs_seen(struct ui *, const char *event_id);
void		 thumbs_pump(struct ui *);
void		 thumbs_free(struct ui *);
struct preview	*thumbs_preview(struct ui *, const char *event_id);

/*
 * graphics.c: kitty and sixel previews written after doupdate().  The
 * message pane's draw names the previews wholly on screen (between
 * graphics_frame() and its end, graphics_add()); graphics_flush(ui,
 * repaint) then places the new ones and takes the gone ones away.
 */
struct graphics;
enum preview_mode graphics_mode(struct ui *);
void		 graphics_cell(struct ui *, int *w, int *h);
void		 graphics_frame(struct ui *);
void		 graphics_add(struct ui *, struct preview *, int y, int x,
		     int rows, int sel);
void		 graphics_flush(struct ui *, int repaint);
void		 graphics_end(struct ui *);
void		 overlay_verify_free(struct ui *);

/* ui.c: the loop */
const char	*ui_name_of(void *, const char *user_id);
void		 ui_stale(struct ui *, unsigned int notify_bits);

/* ui-select.c: the selected server and room */
void		 ui_select_room(struct ui *, const char *room_id);
void		 ui_select_server(struct ui *, const char *server_id);
void		 ui_initial_selection(struct ui *);
void		 ui_select_follow(struct ui *, const char *room_id);
void		 ui_select_check(struct ui *);
void		 ui_mark_read(struct ui *, const char *room_id, int64_t ts);
void		 ui_mark_read_newest(struct ui *, const char *room_id);
int64_t		 ui_read_ts(struct ui *, const char *room_id);

/* ui-cmd.c: what commands ask of the client, the print sink */
extern const struct cmd_ui_ops	ui_cmd_ops;
void		 ui_print(void *, int is_error, const char *);
int		 ui_cmd_answer(struct ui *, int key, const char *paste);
int		 ui_cmd_ask_paste(struct ui *, const char *paste);
void		 ui_paste_insert(struct ui *, const char *paste);

/* overlay.c: text over the message pane (help, details, pick lists) */
int		 overlay_open(struct ui *);
/* Who opened the overlay shown (NULL: a command), and its key hint. */
void		 overlay_set_owner(struct ui *, const void *owner,
		     const char *hint);
const void	*overlay_owner(struct ui *);
void		 overlay_show(struct ui *, const char *title, char **lines,
		     size_t n);
void		 overlay_pick(struct ui *, const char *title, char **lines,
		     char **cmds, size_t n);
void		 overlay_close(struct ui *);
void		 overlay_scroll(struct ui *, enum ui_action);
void		 overlay_key(struct ui *, int key);
void		 overlay_draw(struct ui *, WINDOW *, int h, int w);

/* askpass.c (askpass_begin is cmd_ui_ops.secret) */
void		 askpass_begin(void *ui, const char *question,
		     cmd_secret_cb, void *);
void		 askpass_end(struct ui *);
int		 askpass_key(struct ui *, int, char *paste);
int		 askpass_draw(struct ui *, WINDOW *, int width);
void		 askpass_cursor(struct ui *);

/* relogin.c */
void		 relogin_begin(struct ui *);
void		 relogin_crosssign(struct ui *);
void		 relogin_end(struct ui *);
int		 relogin_key(struct ui *, int);
int		 relogin_draw(struct ui *, WINDOW *, int width);
void		 relogin_cursor(struct ui *);

/* pane.c */
void		 pane_init(struct pane *, struct ui *, const char *,
		     const struct pane_ops *);
void		 pane_place(struct pane *, const struct rect *);
void		 pane_free(struct pane *);
int		 ui_put(WINDOW *, int y, int x, int maxw, const char *raw,
		     attr_t);
int		 ui_put_clean(WINDOW *, int y, int x, int maxw,
		     const char *clean, attr_t);
char		*ui_clean(const char *raw);
int		 ui_width(const char *clean);
void		 ui_addtext(WINDOW *, const char *clean, size_t len);
void		 ui_border_right(struct pane *);
void		 ui_border_left(struct pane *);

extern const struct pane_ops	pane_rail_ops;
extern const struct pane_ops	pane_channels_ops;
extern const struct pane_ops	pane_messages_ops;
extern const struct pane_ops	pane_members_ops;
extern const struct pane_ops	pane_input_ops;
extern const struct pane_ops	statusbar_ops;
extern const struct pane_ops	statusbar_topic_ops;
extern const struct pane_ops	statusbar_typing_ops;

/* pane-rail.c: entries are indexes, Direct Messages has id NULL */
void		 pane_rail_load(struct ui *);
void		 pane_rail_update(struct ui *, const char *id);
const char	**pane_rail_servers(struct ui *, size_t *n);
void		 pane_rail_free(struct ui *);
int		 pane_rail_click(struct ui *, int y);
size_t		 pane_rail_count(struct ui *);
const char	*pane_rail_id(struct ui *, size_t);
const char	*pane_rail_name(struct ui *, size_t);
int		 pane_rail_index(struct ui *);
int		 pane_rail_nth(struct ui *, int n);
int		 pane_rail_first_server(struct ui *);

/* pane-channels.c: rows are read-only outside */
void		 pane_channels_load(struct ui *);
void		 pane_channels_free(struct ui *);
int		 pane_channels_click(struct ui *, int y);
int		 pane_channels_move(struct ui *, int delta);
const struct ui_chan *pane_channels_find(struct ui *, const char *id);
const char	*pane_channels_first(struct ui *);
const char	**pane_channels_rooms(struct ui *, size_t *n);

/* conv.c: acting on messages */
int		 conv_action(struct ui *, enum ui_action,
		     const struct event_row *);
int		 conv_key(struct ui *, int key, const char *paste);
int		 conv_enter(struct ui *, const char *line);
int		 conv_edit_last(struct ui *);
const char	*conv_banner(struct ui *);
const char	*conv_thread(struct ui *);
const char	*conv_target(struct ui *);
void		 conv_draw(struct ui *, WINDOW *, int h, int w);
void		 conv_free(struct ui *);

/* osc8.c: the message pane's links as hyperlinks, after doupdate() */
struct osc8;
void		 osc8_init(struct ui *);
void		 osc8_begin(struct ui *);
void		 osc8_add(struct ui *, WINDOW *, int y, int x, const char *clean,
		     size_t len, const char *url, const char *event_id,
		     int link);
void		 osc8_flush(struct ui *);
void		 osc8_free(struct ui *);

/* pane-messages.c: the page and the selection are read-only outside */
const struct event_row *pane_messages_events(struct ui *, size_t *n);
const struct event_row *pane_messages_selected_event(struct ui *);
const char	*pane_messages_selected_id(struct ui *);
int		 pane_messages_loading(struct ui *);
void		 pane_messages_follow(struct ui *);
void		 pane_messages_rewrap(struct ui *);
void		 pane_messages_reset(struct ui *);
int		 pane_messages_scroll(struct ui *, enum ui_action);
int		 pane_messages_select(struct ui *, enum ui_action);
int		 pane_messages_action(struct ui *, enum ui_action);
void		 pane_messages_free(struct ui *);

/* pane-members.c */
void		 pane_members_free(struct ui *);
const struct member_row *pane_members_list(struct ui *, size_t *n);
int		 pane_members_focused(struct ui *);
int		 pane_members_action(struct ui *, enum ui_action);

/* readstate.c: typing, read markers, unread counts, alerts, presence */
void		 readstate_tick(struct ui *);
void		 readstate_quit(struct ui *);
void		 readstate_read(struct ui *, const char *room_id);
const char	*readstate_marker(struct ui *);
int		 readstate_counts(struct ui *, const struct room_row *,
		     int64_t *mentions);
void		 readstate_presence_load(struct ui *);
const char	*readstate_presence(struct ui *, const char *user_id);
int		 readstate_presence_known(struct ui *);
const char	*readstate_status(struct ui *, const char *user_id);
void		 readstate_free(struct ui *);

/* statusbar.c: the status message (ui_message) and the typing line */
void		 ui_message(struct ui *, int is_error, const char *, ...)
		     __attribute__((format(printf, 3, 4)));
int		 statusbar_message_live(struct ui *);
void		 statusbar_free(struct ui *);

/* devwarn.c: devices refused (their keys changed), told and marked */
void		 devwarn_refresh(struct ui *, unsigned int notify_bits);
int		 devwarn_marked(struct ui *, const char *user_id);
void		 devwarn_free(struct ui *);

/* pane-input.c */
int		 pane_input_action(struct ui *, enum ui_action);
/* compose.c: the draft in $VISUAL/$EDITOR (curses suspended meanwhile) */
int		 compose_edit(struct ui *);
void		 pane_input_cursor(struct ui *);
size_t		 pane_input_lines(struct ui *);

/* theme.c */
int		 theme_init(struct theme *, const struct config *,
		     struct haos_error *);
attr_t		 theme_sender(const struct theme *, int);
attr_t		 theme_rgb(struct theme *, int);
int		 theme_image(struct theme *, int fg, int bg);

/* keys.c: key codes above the Unicode range. */
#define KEYC_FKEY	0x01000000	/* | curses KEY_* code */
#define KEYC_META	0x02000000	/* Alt / ESC prefix */
#define KEYC_CTRL	0x04000000	/* Ctrl with a special key */
#define KEYC_CX		0x08000000	/* after the Ctrl+X prefix */
#define KEYC_NONE	(-1)

enum ui_key_mode {
	KEYMODE_ROOT = 0,	/* typing in the input line */
	KEYMODE_SELECT,		/* a message is selected */
	KEYMODE_MEMBERS		/* a member is selected (pane-members.c) */
};

int		 keys_init(struct ui *, char **errors);
void		 keys_free(struct ui *);
const char	*keys_lookup(struct ui *, enum ui_key_mode, int key);
int		 keys_read(struct ui *, WINDOW *, int *key, char **paste);
size_t		 keys_help(struct ui *, char ***lines);
char		*keys_name(int key);
int		 keys_parse(const char *, int *key, enum ui_key_mode *);
void		 keys_terminal_setup(int mouse);

/* switcher.c */
void		 switcher_open(struct ui *);
void		 switcher_close(struct ui *);
int		 switcher_key(struct ui *, int key, const char *paste);
void		 switcher_draw(struct ui *);
int		 switcher_score(const char *pattern, const char *text);

#endif
