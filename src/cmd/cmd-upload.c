/*
 * /upload PATH [caption]: send a local file as an attachment (through
 * the client's outbox, net-upload.c); and the whole-file upload of a
 * small file for commands such as /avatar.
 */
#include "haos/cmd.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/xmalloc.h"

#define CMD_UPLOAD_MAX	(50L * 1024 * 1024)	/* Synapse's default */

static enum cmd_retval	cmd_upload_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_upload_entry = {
	.name = "upload",
	.alias = NULL,
	.args = { 1, 1 },
	.usage = "path [caption]",
	.help = "Send a file (an image, video, audio or any file; "
	    "encrypted in an encrypted channel), with an optional caption",
	.target = CMD_TARGET_ROOM,
	.power = POWER_GUEST,
	.flags = CMD_RAW,
	.exec = cmd_upload_exec,
	.kinds = { CMD_ARG_FILE }
};

/*
 * Split "PATH [caption]": PATH a word ("quoted" or 'quoted', or with
 * backslash escapes, as the completion writes it), ~/ for $HOME; the
 * caption the rest of the line as typed.  -1 if PATH is empty.
 */
int
cmd_upload_split(const char *line, char **path, char **caption)
{
	const char	*s = line, *home;
	char		*out, *o, q = 0;

	*path = *caption = NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	o = out = xmalloc(strlen(s) + 1);
	if (*s == '"' || *s == '\'')
		q = *s++;
	for (; *s != '\0'; s++) {
		if (q != 0 && *s == q) {
			s++;
			break;
		}
		if (q == 0 && (*s == ' ' || *s == '\t'))
			break;
		if (*s == '\\' && q != '\'' && s[1] != '\0')
			s++;
		*o++ = *s;
	}
	*o = '\0';
	if (*out == '\0') {
		free(out);
		return -1;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '\0')
		*caption = xstrdup(s);
	if (strncmp(out, "~/", 2) == 0 && (home = getenv("HOME")) != NULL &&
	    *home != '\0') {
		*path = xasprintf("%s%s", home, out + 1);
		free(out);
	} else
		*path = out;
	return 0;
}

static void
cmd_upload_done(void *arg, const struct client_result *res)
{
	struct cmd_ctx	*ctx = arg;

	if (res->ok)
		return;	/* the message shows; the status line its progress */
	if (!res->cancelled)
		cmd_error(ctx, "upload: %s", res->err->msg);
}

static enum cmd_retval
cmd_upload_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct stat	 sb;
	const char	*why;
	char		*path, *caption;

	if (ctx->room_id == NULL) {
		cmd_error(ctx, "upload: select a channel first");
		return CMD_RETURN_ERROR;
	}
	if (cmd_upload_split(a->argv[0], &path, &caption) == -1) {
		cmd_error(ctx, "usage: /upload path [caption]");
		return CMD_RETURN_ERROR;
	}
	why = stat(path, &sb) == -1 ? strerror(errno) :
	    !S_ISREG(sb.st_mode) ? "not a regular file" : NULL;
	if (why != NULL) {
		cmd_error(ctx, "upload: %s: %s", path, why);
		free(path);
		free(caption);
		return CMD_RETURN_ERROR;
	}
	client_upload(ctx->client, ctx->room_id, path, caption,
	    (struct client_done){ cmd_upload_done, ctx, NULL });
	free(path);
	free(caption);
	return CMD_RETURN_NORMAL;
}

static const struct {
	const char	*ext;
	const char	*type;
} cmd_upload_types[] = {
	{ "gif", "image/gif" },
	{ "jpeg", "image/jpeg" },
	{ "jpg", "image/jpeg" },
	{ "png", "image/png" },
	{ "svg", "image/svg+xml" },
	{ "webp", "image/webp" },
};

/* A content type from the file name's extension. */
static const char *
cmd_upload_type(const char *path)
{
	const char	*dot;
	size_t		 i;

	dot = strrchr(path, '.');
	if (dot == NULL)
		return "application/octet-stream";
	for (i = 0; i < nitems(cmd_upload_types); i++) {
		if (strcasecmp(dot + 1, cmd_upload_types[i].ext) == 0)
			return cmd_upload_types[i].type;
	}
	return "application/octet-stream";
}

/*
 * Read file and upload it to the media repository; cb gets the answer
 * (its body holds content_uri, see cmd_upload_uri()).  -1 with the
 * problem reported if the file cannot be read.
 */
int
cmd_upload_file(struct cmd_ctx *ctx, const char *file, cmd_done_cb cb,
    void *arg)
{
	struct stat	 sb;
	const char	*base;
	char		*data = NULL;
	size_t		 got = 0;
	FILE		*f;

	f = fopen(file, "rb");
	if (f == NULL) {
		cmd_error(ctx, "%s: %s", file, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > CMD_UPLOAD_MAX || sb.st_size == 0) {
		cmd_error(ctx, "%s: not a regular file of 1 byte to 50 MB",
		    file);
		fclose(f);
		return -1;
	}
	data = xmalloc((size_t)sb.st_size);
	got = fread(data, 1, (size_t)sb.st_size, f);
	fclose(f);
	if (got != (size_t)sb.st_size) {
		cmd_error(ctx, "%s: short read", file);
		free(data);
		return -1;
	}
	base = strrchr(file, '/');
	base = base != NULL ? base + 1 : file;
	cmd_call(ctx, matrix_req_upload(base, data, got,
	    cmd_upload_type(file)), cb, arg);
	free(data);
	return 0;
}

/* The mxc:// URI of an upload's answer, or NULL (caller frees). */
char *
cmd_upload_uri(const struct client_result *res)
{
	json_t		*j;
	const char	*uri;
	char		*out = NULL;

	if (!res->ok || res->body == NULL)
		return NULL;
	j = json_load_answer(res->body);
	uri = json_get_str(j, "content_uri", NULL);
	if (uri != NULL && strncmp(uri, "mxc://", 6) == 0)
		out = xstrdup(uri);
	json_decref(j);
	return out;
}
