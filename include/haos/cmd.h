/* Commands: one table, lookup by name, alias or prefix, and dispatch. */
#ifndef HAOS_CMD_H
#define HAOS_CMD_H

#include "haos/haos.h"

#include <stddef.h>
#include <stdint.h>

struct store;
struct net;
struct net_result;
struct job;
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
	CMD_TARGET_SERVER	/* the selected server (space) */
};

/* Roles are power levels; the level is the authority. */
enum cmd_power {
	POWER_GUEST = 0,
	POWER_MODERATOR = 50,
	POWER_ADMIN = 100
};

enum cmd_flags {
	CMD_RAW = 1u << 0,	/* one argument: the rest of the line */
	CMD_UI = 1u << 1	/* needs the interactive client */
};

struct cmd_args {
	int		 argc;
	char		**argv;		/* argv[0] is the first argument */
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
};

/* this array MUST be alphasorted by name (check_cmd.c checks it) */
extern const struct cmd_entry	*const cmd_table[];
extern const size_t		 cmd_table_size;

/*
 * What commands may ask of the interactive client.  The UI fills these
 * in; outside it (haos run) ctx->ui is NULL and CMD_UI commands refuse.
 * verb is a short word ("channel", "server", "scroll", "toggle", ...),
 * arg its argument or NULL; the return is 0 or -1 with ctx's error set.
 */
struct cmd_ui_ops {
	int	(*ui)(void *arg, const char *verb, const char *param);
	void	(*show)(void *arg, const char *title, char **lines,
		    size_t nlines);
};

/* Called with the answer of a request a command submitted. */
typedef void	(*cmd_done_cb)(struct cmd_ctx *, const struct net_result *,
		    void *);

struct cmd_pending;

/*
 * The context a command runs in.  All fields belong to the thread that
 * runs commands (the UI thread): store is its STORE_RO connection.
 */
struct cmd_ctx {
	struct store		*store;		/* read-only */
	struct net		*net;		/* NULL: no net (tests) */
	const char		*me;		/* my user id */
	const char		*server_id;	/* selected space, or NULL */
	const char		*room_id;	/* selected room, or NULL */
	const struct cmd_ui_ops	*ui;		/* NULL outside the client */
	void			*ui_arg;
	/* Where messages go: the status bar, stderr or a test buffer. */
	void			(*print)(void *, int is_error, const char *);
	void			*print_arg;
	/* Instead of net_submit() (tests): takes the job. */
	void			(*submit)(void *, struct job *);
	void			*submit_arg;
	const struct cmd_entry	*current;	/* the command running */
	struct cmd_pending	*pending;	/* requests awaiting answers */
	uint64_t		 next_tag;
};

const struct cmd_entry	*cmd_find(const char *name, char **cause);
enum cmd_retval		 cmd_run_line(struct cmd_ctx *, const char *line);
enum cmd_retval		 cmd_run_string(struct cmd_ctx *, const char *cmd);
void			 cmd_error(struct cmd_ctx *, const char *, ...)
			     __attribute__((format(printf, 2, 3)));
void			 cmd_info(struct cmd_ctx *, const char *, ...)
			     __attribute__((format(printf, 2, 3)));
int			 cmd_split(const char *, struct cmd_args *, char **);
void			 cmd_args_free(struct cmd_args *);

/* Requests: submit with a callback; cmd_result() routes the answer. */
void			 cmd_submit(struct cmd_ctx *, struct job *);
uint64_t		 cmd_request(struct cmd_ctx *, const char *method,
			     const char *path, const char *body, cmd_done_cb,
			     void *arg);
int			 cmd_result(struct cmd_ctx *,
			     const struct net_result *);
void			 cmd_ctx_clear(struct cmd_ctx *);

/* Helpers shared by command files. */
int64_t			 cmd_power_of(struct cmd_ctx *, const char *room_id,
			     const char *user_id);
char			*cmd_resolve_room(struct cmd_ctx *, const char *name);
char			*cmd_escape(const char *);
char			*cmd_accept_target(struct cmd_ctx *,
			     const struct cmd_args *, char **label);

/* :shortcode: emoji, sorted by name (completion and sending share it). */
struct cmd_emoji {
	const char	*name;		/* ":thumbsup:" */
	const char	*utf8;
};
extern const struct cmd_emoji	cmd_emoji_table[];
extern const size_t		cmd_emoji_table_size;
char			*cmd_emoji_expand(const char *);

/* Help text, one line per command (cmd-help.c). */
size_t			 cmd_help_lines(const char *name, char ***);

#endif
