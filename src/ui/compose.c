/* Compose in $VISUAL/$EDITOR: the draft out to a file and back (C-x C-e). */
#include "curses.h"
#include "ui-int.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/editor.h"
#include "haos/log.h"
#include "haos/markdown.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"

/* The most a draft from the editor may hold (a Matrix event is 64 KiB). */
#define COMPOSE_MAX	MARKDOWN_MAX

/* $VISUAL, else $EDITOR, else vi (as bash's edit-and-execute-command). */
static const char *
compose_editor(void)
{
	const char	*e;

	e = getenv("VISUAL");
	if (e == NULL || *e == '\0')
		e = getenv("EDITOR");
	if (e == NULL || *e == '\0')
		e = "vi";
	return e;
}

/* Write all of s to fd; -1 on error. */
static int
compose_write(int fd, const char *s, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, s, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read path whole into *out (NUL-terminated, its length in *len): 0,
 * -1 on error, 1 when it holds more than COMPOSE_MAX bytes.
 */
static int
compose_read(const char *path, char **out, size_t *len)
{
	char	*buf;
	size_t	 have = 0;
	ssize_t	 n;
	int	 fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	buf = xmalloc(COMPOSE_MAX + 2);
	for (;;) {
		n = read(fd, buf + have, COMPOSE_MAX + 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		if (have > COMPOSE_MAX)
			break;
	}
	close(fd);
	if (n == -1) {
		free(buf);
		return -1;
	}
	if (have > COMPOSE_MAX) {
		free(buf);
		return 1;
	}
	buf[have] = '\0';
	*out = buf;
	*len = have;
	return 0;
}

/*
 * Run the editor on path through sh (so "code --wait" works, as git
 * does), with curses suspended; SIGINT and SIGQUIT belong to the editor
 * meanwhile, and it inherits no descriptor but the terminal's.  The
 * wait status, or -1 when no process could start.
 */
static int
compose_run(const char *editor, const char *path)
{
	struct sigaction	 ign, old_int, old_quit;
	pid_t			 pid, w;
	char			*cmd;
	int			 status = -1;

	/* As git runs it: the variable is shell words, the file "$@". */
	cmd = xasprintf("%s \"$@\"", editor);

	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		/* Nothing of ours (store, sockets, notify pipe) for it. */
		closefrom(STDERR_FILENO + 1);
		execl("/bin/sh", "sh", "-c", cmd, editor, path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0) {
		do
			w = waitpid(pid, &status, 0);
		while (w == -1 && errno == EINTR);
		if (w == -1)
			status = -1;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	free(cmd);
	return pid > 0 ? status : -1;
}

/*
 * Edit the draft in the user's editor: written to a private file
 * (mkstemp, 0600, removed after), curses suspended while the editor
 * runs (the net thread goes on), and on a clean exit the file's text,
 * sanitised and without its trailing newlines, replaces the draft (not
 * sent).  Otherwise the draft stays and the status line says why.
 */
int
compose_edit(struct ui *ui)
{
	const char	*editor = compose_editor(), *dir;
	char		*path, *text = NULL, *clean;
	size_t		 len = 0;
	int		 fd, status, rc;

	dir = getenv("TMPDIR");
	if (dir == NULL || *dir != '/')
		dir = "/tmp";
	path = xasprintf("%s/haos-draft-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd == -1) {
		ui_message(ui, 1, "editor: cannot make a file in %s: %s", dir,
		    strerror(errno));
		free(path);
		return -1;
	}
	rc = compose_write(fd, editor_text(ui->ed),
	    strlen(editor_text(ui->ed)));
	if (close(fd) == -1)
		rc = -1;
	if (rc == -1) {
		ui_message(ui, 1, "editor: cannot write %s: %s", path,
		    strerror(errno));
		unlink(path);
		free(path);
		return -1;
	}

	def_prog_mode();
	fputs("\033[?2004l", stdout);	/* no bracketed paste meanwhile */
	fflush(stdout);
	endwin();
	status = compose_run(editor, path);
	reset_prog_mode();
	fputs("\033[?2004h", stdout);
	fflush(stdout);
	refresh();
	ui->full_redraw |= UI_REPAINT | UI_RELAYOUT;
	ui->input.dirty = 1;

	if (status == -1)
		ui_message(ui, 1, "editor: cannot start %s: %s; draft kept",
		    editor, strerror(errno));
	else if (WIFSIGNALED(status))
		ui_message(ui, 1, "editor %s killed by signal %d; draft kept",
		    editor, WTERMSIG(status));
	else if (WEXITSTATUS(status) == 127)
		ui_message(ui, 1, "editor %s not found (set $VISUAL or "
		    "$EDITOR); draft kept", editor);
	else if (WEXITSTATUS(status) != 0)
		ui_message(ui, 1, "editor %s exited with status %d; draft "
		    "kept", editor, WEXITSTATUS(status));
	else if ((rc = compose_read(path, &text, &len)) == -1)
		ui_message(ui, 1, "editor: cannot read %s: %s; draft kept",
		    path, strerror(errno));
	else if (rc == 1)
		ui_message(ui, 1, "editor: the text is over %d KiB; draft "
		    "kept", COMPOSE_MAX / 1024);
	else {
		clean = sanitize_text(text, len, SANITIZE_NEWLINES);
		len = strlen(clean);
		while (len > 0 && clean[len - 1] == '\n')
			clean[--len] = '\0';
		editor_set(ui->ed, clean);
		free(clean);
		ui_message(ui, 0, "draft from %s: Enter sends it", editor);
	}
	free(text);
	if (unlink(path) == -1)
		log_warn("ui", "editor: unlink %s: %s", path, strerror(errno));
	free(path);
	return 0;
}
