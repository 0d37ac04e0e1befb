/* /download [-o] [event|last]: save a message's attachment to a file. */
#include "haos/cmd.h"

#include <sys/wait.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/client.h"
#include "haos/config.h"
#include "haos/error.h"
#include "haos/files.h"
#include "haos/json.h"
#include "haos/model.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define DOWNLOAD_SCAN	200	/* events searched for the newest file */

static enum cmd_retval	cmd_download_exec(struct cmd_ctx *,
			    const struct cmd_args *);

static const struct cmd_flag cmd_download_flags[] = {
	{ 'o', "open", NULL, CMD_ARG_TEXT,
	  "Open it with open_command when a display is there" },
	{ 0, NULL, NULL, CMD_ARG_TEXT, NULL }
};

const struct cmd_entry cmd_download_entry = {
	.name = "download",
	.alias = NULL,
	.args = { 0, 1 },
	.usage = "[--open] [$event|last]",
	.help = "Save the attachment of the selected message (or of event, "
	    "or the newest one here) in the download directory",
	.target = CMD_TARGET_ROOM,
	.power = POWER_GUEST,
	.exec = cmd_download_exec,
	.template = "o",
	.flagv = cmd_download_flags
};

struct cmd_download {
	struct cmd_ctx	*ctx;
	int		 open;
};

/* Whether content is an attachment haos can fetch. */
int
cmd_download_is_file(const char *content)
{
	static const char *const types[] = {
		"m.file", "m.image", "m.video", "m.audio"
	};
	const char	*msgtype, *url;
	json_t		*c;
	size_t		 i;
	int		 yes = 0;

	c = content != NULL ? json_load_stored(content) : NULL;
	msgtype = json_get_str(c, "msgtype", "");
	url = json_get_str(c, "url", NULL);
	if (url == NULL)
		url = json_path_str(c, "file.url", NULL);
	for (i = 0; url != NULL && i < nitems(types); i++) {
		if (strcmp(msgtype, types[i]) == 0)
			yes = 1;
	}
	json_decref(c);
	return yes;
}

/* The newest message with an attachment in the room. */
static int
cmd_download_newest(struct cmd_ctx *ctx, struct event_row *ev)
{
	struct haos_error	 err;
	struct event_row	*rows = NULL, *r;
	size_t			 n = 0, i;

	memset(ev, 0, sizeof *ev);
	if (store_query_timeline(ctx->store, ctx->room_id, STORE_LATEST,
	    DOWNLOAD_SCAN, 0, ctx->me, &rows, &n, &err) == -1) {
		cmd_error(ctx, "download: %s", err.msg);
		return -1;
	}
	for (i = n; i > 0; i--) {
		r = &rows[i - 1];
		if (r->redacted || r->type == NULL ||
		    strcmp(r->type, "m.room.message") != 0 ||
		    !cmd_download_is_file(r->content))
			continue;
		*ev = *r;
		memset(r, 0, sizeof *r);
		break;
	}
	event_rows_free(rows, n);
	if (ev->content == NULL) {
		cmd_error(ctx, "download: no attachment among the newest "
		    "messages here");
		return -1;
	}
	return 0;
}

/*
 * Run open_command with path as its one argument, detached (its own
 * session, no terminal), not waited for: a double fork.
 */
static int
cmd_download_spawn(const char *prog, const char *path)
{
	pid_t	 pid;
	int	 st, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		fd = open("/dev/null", O_RDWR);
		if (fd != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		execlp(prog, prog, path, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		return -1;
	return 0;
}

static void
cmd_download_done(void *arg, const struct client_result *res)
{
	struct cmd_download	*d = arg;
	struct cmd_ctx		*ctx = d->ctx;
	const char		*prog;

	if (!res->ok) {
		if (res->err->code == HAOS_ECANCEL && !res->cancelled)
			cmd_info(ctx, "download cancelled");
		else if (!res->cancelled)
			cmd_error(ctx, "download: %s", res->err->msg);
		return;
	}
	prog = ctx->cfg != NULL && ctx->cfg->files_open_command != NULL ?
	    ctx->cfg->files_open_command : "xdg-open";
	if (d->open && *prog != '\0' && files_have_display()) {
		if (cmd_download_spawn(prog, res->body) == 0) {
			cmd_info(ctx, "opened %s", res->body);
			return;
		}
		cmd_error(ctx, "saved to %s (%s failed)", res->body, prog);
		return;
	}
	cmd_info(ctx, "saved to %s", res->body);
}

/* Download ev's attachment; open it after if asked (and possible). */
int
cmd_download(struct cmd_ctx *ctx, const struct event_row *ev, int open)
{
	struct cmd_download	*d;
	char			*dir;

	if (ev->redacted || !cmd_download_is_file(ev->content)) {
		cmd_error(ctx, "download: %s", ev->redacted ?
		    "that message is deleted" :
		    "that message has no attachment");
		return -1;
	}
	dir = files_download_dir(ctx->cfg != NULL ?
	    ctx->cfg->files_download_dir : NULL);
	d = xcalloc(1, sizeof *d);
	d->ctx = ctx;
	d->open = open;
	client_download(ctx->client, ev->content, dir,
	    (struct client_done){ cmd_download_done, d, free });
	free(dir);
	return 0;
}

static enum cmd_retval
cmd_download_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct event_row	 ev;
	const char		*arg = a->argc > 0 ? a->argv[0] : NULL;
	int			 rc;

	if (ctx->store == NULL || ctx->room_id == NULL) {
		cmd_error(ctx, "download: select a channel first");
		return CMD_RETURN_ERROR;
	}
	if ((arg != NULL && strcmp(arg, "last") == 0) ||
	    (arg == NULL && ctx->event_id == NULL))
		rc = cmd_download_newest(ctx, &ev);
	else
		rc = cmd_relate_target(ctx, arg, &ev);
	if (rc == -1)
		return CMD_RETURN_ERROR;
	rc = cmd_download(ctx, &ev, cmd_args_has(a, 'o'));
	event_row_free(&ev);
	return rc == -1 ? CMD_RETURN_ERROR : CMD_RETURN_NORMAL;
}
