/* Commands: one table, lookup by name, alias or prefix, and dispatch. */
#ifndef HAOS_CMD_H
#define HAOS_CMD_H

#include "haos/haos.h"

#include <stddef.h>
#include <stdint.h>

struct store;
struct client;
struct client_result;
struct matrix_req;
struct net_result;
struct cmd_ctx;

enum cmd_retval {
	CMD_RETURN_ERROR = -1,	/* reported through cmd_error() */
	CMD_RETURN_NORMAL = 0,
	CMD_RETURN_WAIT,	/* finishes when a net_result arrives */
	CMD_RETURN_QUIT		/* leave the client */
};

/* What a command acts on; resolved and checked before exec. */
enum cmd_target {
	CMD_TARGET_NONE = 0,
	CMD_TARGET_ROOM,	/* the selected channel, DM or room */
	CMD_TARGET_SERVER,	/* the selected server (space) */
	CMD_TARGET_CHANNEL	/* a channel of the server, not the space */
};

/* Roles are power levels; the level is the authority. */
enum cmd_power {
	POWER_GUEST = 0,
	POWER_MODERATOR = 50,
	POWER_ADMIN = 100
};

enum cmd_flags {
	CMD_RAW = 1u << 0,	/* one argument: the rest of the line */
	CMD_UI = 1u << 1,	/* needs the interactive client */
	CMD_POWER_SERVER = 1u << 2,	/* power is checked in the server */
	CMD_TEXT = 1u << 3,	/* the argument is a message: @ + Tab
				   offers names (sent as pills) */
	CMD_SECRET_TAIL = 1u << 4	/* after its first word, the line
					   may hold a key: never kept in
					   the input history */
};

/* What an argument (or a flag's value) is: checks and completion. */
enum cmd_arg_kind {
	CMD_ARG_TEXT = 0,	/* free text: nothing to complete */
	CMD_ARG_USER,		/* @user:server, a member of room or server */
	CMD_ARG_CHANNEL,	/* a channel of the selected server */
	CMD_ARG_SERVER,		/* a server (space) by name */
	CMD_ARG_FILE,		/* a local file */
	CMD_ARG_EMOJI,		/* :shortcode: */
	CMD_ARG_COMMAND,	/* a command, then its subcommand (/help) */
	CMD_ARG_CHOICE		/* one of the entry's choices, checked */
};

#define CMD_MAXKINDS	4	/* kinds of the first arguments; then TEXT */
#define CMD_MAXFLAGS	8	/* flags given on one command line */

/*
 * A flag of an entry's template: "-i PATH" or "--icon PATH".  Whether it
 * takes a value is the template's word (a ':' after the letter); value
 * only names it for usage and help.
 */
struct cmd_flag {
	char			 letter;
	const char		*name;		/* long form, without "--" */
	const char		*value;		/* "PATH"; NULL: boolean */
	enum cmd_arg_kind	 kind;		/* of the value */
	const char		*help;
};

/*
 * A command's arguments: the positional ones, and the flags the entry's
 * template allowed, parsed before exec (read with cmd_args_has/get).
 */
struct cmd_args {
	int		 argc;
	char		**argv;		/* argv[0] is the first argument */
	int		 nflags;
	struct {
		char	 letter;
		char	*value;		/* NULL: a boolean flag */
	}		 flagv[CMD_MAXFLAGS];
};

struct cmd_entry {
	const char	*name;
	const char	*alias;		/* NULL: none */
	struct {
		int	 min;
		int	 max;		/* -1: no limit */
	} args;
	const char	*usage;
	const char	*help;
	enum cmd_target	 target;
	int		 power;		/* minimum power level in the target */
	unsigned int	 flags;		/* CMD_* */
	enum cmd_retval	 (*exec)(struct cmd_ctx *, const struct cmd_args *);

	/* Flags as a getopt template ("i:r"), described by flagv. */
	const char		*template;	/* NULL: no flags */
	const struct cmd_flag	*flagv;		/* ends with letter 0 */
	/* The first arguments' kinds; choices for CMD_ARG_CHOICE. */
	enum cmd_arg_kind	 kinds[CMD_MAXKINDS];
	const char		*choices;	/* "on|off" */
	/* Subcommands: this array MUST be alphasorted by name. */
	const struct cmd_entry	*const *sub;
	size_t			 nsub;
};

/* this array MUST be alphasorted by name (check_cmd.c checks it) */
extern const struct cmd_entry	*const cmd_table[];
extern const size_t		 cmd_table_size;

/*
 * What a client-only command asks of the interactive client: one value
 * per command and argument word.  cmd-ui.c turns the words into these
 * once (keys bind to the same command strings); the UI switches on them.
 */
enum ui_action {
	UI_ACT_NONE = 0,
	/* input ACTION: the line editor */
	UI_ACT_INPUT_HOME,
	UI_ACT_INPUT_END,		/* also scrolls to the newest */
	UI_ACT_INPUT_LEFT,
	UI_ACT_INPUT_RIGHT,
	UI_ACT_INPUT_WORD_LEFT,
	UI_ACT_INPUT_WORD_RIGHT,
	UI_ACT_INPUT_BACKSPACE,
	UI_ACT_INPUT_DELETE,
	UI_ACT_INPUT_KILL_WORD,
	UI_ACT_INPUT_KILL_START,
	UI_ACT_INPUT_KILL_END,
	UI_ACT_INPUT_KILL_END_OR_SWITCHER, /* C-k: at the end, the switcher */
	UI_ACT_INPUT_YANK,
	UI_ACT_INPUT_NEWLINE,
	UI_ACT_INPUT_COMPLETE,
	UI_ACT_INPUT_HISTORY_PREV,
	UI_ACT_INPUT_HISTORY_NEXT,
	UI_ACT_INPUT_ENTER,
	UI_ACT_INPUT_EDITOR,		/* the draft in $VISUAL/$EDITOR */
	/* mark-read */
	UI_ACT_MARK_READ,
	/* message ACTION: the selected message */
	UI_ACT_MESSAGE_COPY,
	UI_ACT_MESSAGE_OPEN,
	UI_ACT_MESSAGE_DETAILS,
	UI_ACT_MESSAGE_EDIT,
	UI_ACT_MESSAGE_DELETE,
	UI_ACT_MESSAGE_REPLY,
	UI_ACT_MESSAGE_THREAD,
	UI_ACT_MESSAGE_REACT,
	/* members ACTION: the member list */
	UI_ACT_MEMBERS_FOCUS,
	UI_ACT_MEMBERS_UP,
	UI_ACT_MEMBERS_DOWN,
	UI_ACT_MEMBERS_FIRST,
	UI_ACT_MEMBERS_LAST,
	UI_ACT_MEMBERS_EXIT,
	UI_ACT_MEMBERS_KICK,
	UI_ACT_MEMBERS_BAN,
	UI_ACT_MEMBERS_ROLE,
	UI_ACT_MEMBERS_DM,
	UI_ACT_MEMBERS_PROFILE,
	/* redraw */
	UI_ACT_REDRAW,
	/* scroll up|down|top|bottom */
	UI_ACT_SCROLL_UP,
	UI_ACT_SCROLL_DOWN,
	UI_ACT_SCROLL_TOP,
	UI_ACT_SCROLL_BOTTOM,
	/* select-channel next|prev */
	UI_ACT_SELECT_CHANNEL_NEXT,
	UI_ACT_SELECT_CHANNEL_PREV,
	/* select-message [up|down|exit] */
	UI_ACT_SELECT_MESSAGE,		/* start on the newest */
	UI_ACT_SELECT_MESSAGE_UP,
	UI_ACT_SELECT_MESSAGE_DOWN,
	UI_ACT_SELECT_MESSAGE_EXIT,
	/* select-server N|next|prev */
	UI_ACT_SELECT_SERVER,		/* param: N, 1 is Direct Messages */
	UI_ACT_SELECT_SERVER_NEXT,
	UI_ACT_SELECT_SERVER_PREV,
	/* switcher */
	UI_ACT_SWITCHER,
	/* toggle rail|members */
	UI_ACT_TOGGLE_RAIL,
	UI_ACT_TOGGLE_MEMBERS,
	/* locks [on|off] */
	UI_ACT_LOCKS,			/* param: "on", "off" or NULL: flip */
	/* asked by other commands */
	UI_ACT_GOTO,			/* param: room or space id */
	UI_ACT_FOLLOW,			/* param: a room just made, joined or
					   found, selected once the cache has it */
	UI_ACT_HELP,			/* the help overlay with the keys */
	UI_ACT_RELOGIN,			/* the password prompt again */
	UI_ACT_CROSSSIGN		/* the password prompt of /crosssign */
};

/*
 * The answer to a question asked without echo (cmd_secret_ask()): NULL
 * when none was given.  It is wiped once the callback returns, which
 * owns arg.
 */
typedef void	(*cmd_secret_cb)(struct cmd_ctx *, const char *answer,
		    void *arg);

/*
 * What commands may ask of the interactive client.  The UI fills these
 * in; outside it (haos run) ctx->ui is NULL and CMD_UI commands refuse.
 * action says what, param is its argument (UI_ACT_GOTO, _SELECT_SERVER)
 * or NULL; the return is 0 or -1 with the error reported.
 */
struct cmd_ui_ops {
	int	(*action)(void *arg, enum ui_action, const char *param);
	void	(*show)(void *arg, const char *title, char **lines,
		    size_t nlines);
	/* A list to choose from: Enter runs cmds[i] for line i. */
	void	(*pick)(void *arg, const char *title, char **lines,
		    char **cmds, size_t nlines);
	/*
	 * A yes/no question on the status line: y runs yes (a command
	 * line without its '/'), any other key drops it.  NULL: no client.
	 */
	void	(*ask)(void *arg, const char *question, const char *yes);
	/*
	 * A question answered without echo, in a prompt of its own (not
	 * the editor): cb runs once, with NULL if the user left it.
	 */
	void	(*secret)(void *arg, const char *question, cmd_secret_cb cb,
		    void *cb_arg);
};

/*
 * Called with the answer of a request a command made: exactly once, also
 * when the client shuts down first (res->cancelled).  It owns arg.
 */
typedef void	(*cmd_done_cb)(struct cmd_ctx *, const struct client_result *,
		    void *);

/*
 * The context a command runs in.  All fields belong to the thread that
 * runs commands (the UI thread): store is its STORE_RO connection.
 */
struct cmd_ctx {
	struct store		*store;		/* read-only */
	struct client		*client;	/* NULL: requests cancelled */
	const char		*me;		/* my user id */
	const char		*server_id;	/* selected space, or NULL */
	const char		*room_id;	/* selected room, or NULL */
	const char		*event_id;	/* selected message, or NULL */
	const struct config	*cfg;		/* NULL: defaults */
	const struct cmd_ui_ops	*ui;		/* NULL outside the client */
	void			*ui_arg;
	/* Where messages go: the status bar, stderr or a test buffer. */
	void			(*print)(void *, int is_error, const char *);
	void			*print_arg;
	const struct cmd_entry	*current;	/* the command running */
};

const struct cmd_entry	*cmd_find(const char *name, char **cause);
const struct cmd_entry	*cmd_find_sub(const struct cmd_entry *,
			     const char *name, char **cause);
enum cmd_retval		 cmd_run_entry(struct cmd_ctx *,
			     const struct cmd_entry *parent,
			     const struct cmd_entry *,
			     const struct cmd_args *);
int			 cmd_args_has(const struct cmd_args *, char);
const char		*cmd_args_get(const struct cmd_args *, char);
const struct cmd_flag	*cmd_flag_find(const struct cmd_entry *, char);
size_t			 cmd_complete(struct cmd_ctx *, const char *line,
			     size_t cursor, char ***cands,
			     size_t *word_start);
enum cmd_retval		 cmd_run_line(struct cmd_ctx *, const char *line);
enum cmd_retval		 cmd_run_string(struct cmd_ctx *, const char *cmd);
void			 cmd_error(struct cmd_ctx *, const char *, ...)
			     __attribute__((format(printf, 2, 3)));
void			 cmd_info(struct cmd_ctx *, const char *, ...)
			     __attribute__((format(printf, 2, 3)));
int			 cmd_split(const char *, struct cmd_args *, char **);
void			 cmd_args_free(struct cmd_args *);

/*
 * Requests (cmd-request.c): req (from matrix.h) goes to the client, and
 * cb(ctx, result, arg) runs exactly once.  cmd_result() routes an answer
 * (tests); cmd_ctx_clear() cancels what is still pending.
 */
typedef void		(*cmd_fill_cb)(struct cmd_ctx *, size_t failed,
			     void *);
int			 cmd_fill(struct cmd_ctx *, char *const *room_ids,
			     size_t, cmd_fill_cb, void *);
uint64_t		 cmd_call(struct cmd_ctx *, struct matrix_req *,
			     cmd_done_cb, void *arg);
int			 cmd_result(struct cmd_ctx *,
			     const struct net_result *);
void			 cmd_ctx_clear(struct cmd_ctx *);

/* Helpers shared by command files. */
int64_t			 cmd_power_of(struct cmd_ctx *, const char *room_id,
			     const char *user_id);
char			*cmd_resolve_room(struct cmd_ctx *, const char *name);

/*
 * The rows a name typed by the user means (cmd-resolve.c), shared by
 * the commands and haos run: a room id exactly; else a name (a leading
 * '#' or '@' ignored), a canonical alias or a DM peer's user id, case
 * aside; else (with prefix set) a prefix of a name.  spaces: 1 spaces
 * only, 0 no spaces, -1 either; rooms we left never match.  Returns the
 * number of hits, their indices in *hits (the caller frees).
 */
struct room_row;
char			*cmd_room_name(struct store *, const struct room_row *);
int			 cmd_room_eligible(const struct room_row *,
			     int spaces);
size_t			 cmd_match_rooms(const struct room_row *, size_t n,
			     const char *want, int spaces, int prefix,
			     size_t **hits);
char			*cmd_accept_target(struct cmd_ctx *,
			     const struct cmd_args *, char **label);
size_t			 cmd_invite_channels(struct cmd_ctx *,
			     const char *space, char ***ids, char ***labels);
void			 cmd_invite_next(struct cmd_ctx *, const char *done);
void			 cmd_dm_record(struct cmd_ctx *, const char *user,
			     const char *room_id);
const char		*cmd_role_name(int64_t power);

/*
 * Moderation (cmd-batch.c): one request per room of a server, answers
 * collected, failures retried, then one report.  Rooms are the space
 * and the channels we joined; labels are sanitised for the report.
 */
struct cmd_batch;
#define CMD_BATCH_OPTIONAL	0x1	/* a failure is logged, not reported */
#define CMD_BATCH_NOT_MEMBER	0x2	/* "not in the room": skipped */
size_t			 cmd_server_rooms(struct cmd_ctx *, const char *space,
			     char ***ids, char ***labels);
void			 cmd_strings_free(char **, size_t);
char			*cmd_user_id(struct cmd_ctx *, const char *arg);
struct cmd_batch	*cmd_batch_new(struct cmd_ctx *, const char *what,
			     const char *done, const char *hint, int retries);
void			 cmd_batch_add(struct cmd_batch *, const char *label,
			     struct matrix_req *, unsigned int flags);
void			 cmd_batch_fail(struct cmd_batch *, const char *label,
			     const char *why);
void			 cmd_batch_unit(struct cmd_batch *, const char *one,
			     const char *many);
void			 cmd_batch_start(struct cmd_batch *);

/*
 * Client-only commands (cmd-ui.c): the command's words to a ui_action,
 * then ctx->ui->action.  Shared by every CMD_UI entry that only asks the
 * client to do something (input, members, scroll, toggle, ...).
 */
enum cmd_retval		 cmd_ui_exec(struct cmd_ctx *,
			     const struct cmd_args *);
enum ui_action		 cmd_ui_parse(const char *cmd, const char *word);

/* A recovery key or passphrase, asked without echo (cmd-secret.c). */
void			 cmd_secret_ask(struct cmd_ctx *, const char *question,
			     cmd_secret_cb, void *arg);
/*
 * What of a typed line the input history may keep: the line, or for a
 * CMD_SECRET_TAIL command only its name and first word ("/backup key").
 * Allocated.
 */
char			*cmd_history_line(const char *line);
/* /server doctor (cmd-doctor.c), with the checks of its entry. */
enum cmd_retval		 cmd_doctor_exec(struct cmd_ctx *,
			     const struct cmd_args *);

/*
 * Sequences (cmd-seq.c): requests sent one after another (the next when
 * the answer to the previous arrives), then done(ctx, seq, arg); done
 * owns arg, the sequence is freed after it.  Failures are counted and the
 * first one's message kept; CMD_SEQ_STOP ends the sequence there.
 */
struct cmd_seq;
typedef void	(*cmd_seq_cb)(struct cmd_ctx *, struct cmd_seq *, void *);
#define CMD_SEQ_OPTIONAL	0x1	/* a failure is not counted */
#define CMD_SEQ_STOP		0x2	/* a failure ends the sequence */
struct cmd_seq		*cmd_seq_new(cmd_seq_cb, void *arg);
void			 cmd_seq_add(struct cmd_seq *, struct matrix_req *,
			     unsigned int flags);
void			 cmd_seq_run(struct cmd_ctx *, struct cmd_seq *);
size_t			 cmd_seq_failed(const struct cmd_seq *);
const char		*cmd_seq_error(const struct cmd_seq *);

/* Servers and channels (cmd-server.c): context, power, reports. */
const char		*cmd_need_server(struct cmd_ctx *, const char *what);
int			 cmd_need_power(struct cmd_ctx *, const char *what,
			     const char *room, int power);
char			*cmd_room_label(struct cmd_ctx *, const char *room);
const char		*cmd_server_why(const struct client_result *);
char			*cmd_server_words(const struct cmd_args *, int from);
void			 cmd_server_simple_done(struct cmd_ctx *,
			     const struct client_result *, void *msg);
/* A destructive command's question: how to confirm first (cmd-confirm.c). */
void			 cmd_confirm(struct cmd_ctx *, const char *what,
			     const char *confirm, const char *effect);
/* An irreversible command's yes/no question (cmd-confirm.c). */
enum cmd_retval		 cmd_confirm_ask(struct cmd_ctx *, const char *what,
			     const char *question, const char *yes,
			     const char *effect);
/* The channel commands' report of a sequence (cmd-channel.c). */
void			 cmd_channel_seq_done(struct cmd_ctx *,
			     struct cmd_seq *, void *msg);

/* Switch to what a command made or joined, once it arrives (cmd-goto.c). */
void			 cmd_goto_follow(struct cmd_ctx *, const char *room_id);

/* /join's work (cmd-join.c), also used by /explore --join. */
enum cmd_retval		 cmd_join_start(struct cmd_ctx *, const char *);
enum cmd_retval		 cmd_join_start_with(struct cmd_ctx *, const char *,
			     char **, size_t, int follow);

/*
 * Media upload of a local file (cmd-upload.c): the whole file for a
 * command's own use (/avatar); /upload's "PATH [caption]" split.
 */
int			 cmd_upload_split(const char *line, char **path,
			     char **caption);
int			 cmd_upload_file(struct cmd_ctx *, const char *file,
			     cmd_done_cb, void *arg);
char			*cmd_upload_uri(const struct client_result *);

/* :shortcode: emoji, sorted by name (completion and sending share it). */
struct cmd_emoji {
	const char	*name;		/* ":thumbsup:" */
	const char	*utf8;
};
extern const struct cmd_emoji	cmd_emoji_table[];
extern const size_t		cmd_emoji_table_size;
char			*cmd_emoji_expand(const char *);

/*
 * The message /react, /reply and /delete act on (cmd-relate.c): arg (an
 * event id, or the transaction id of a local echo), else the selected
 * message, else the newest message of the room.  Fills *ev (free with
 * event_row_free()); 0 or -1 with the error reported.
 */
struct event_row;
int			 cmd_relate_target(struct cmd_ctx *, const char *arg,
			     struct event_row *ev);
/*
 * Attachments (cmd-download.c): whether an event's content has one
 * (m.file, m.image, m.video, m.audio with url or file.url); download
 * ev's into the download directory, then, with open, hand it to
 * open_command when a display is there.  0, or -1 with the error said.
 */
int			 cmd_download_is_file(const char *content);
int			 cmd_download(struct cmd_ctx *,
			     const struct event_row *, int open);
/* Whether I may delete the event (cmd-delete.c); says why not. */
int			 cmd_delete_allowed(struct cmd_ctx *,
			     const struct event_row *);

/*
 * Help text (cmd-help.c): one line per command, or for name ("server",
 * "server create") its subcommands or its flags and role.
 */
size_t			 cmd_help_lines(const char *name, char ***);
/* Every command and subcommand with its long flags, one per line. */
size_t			 cmd_doc_lines(char ***);

#endif
