/* Upload a local file to the media repository for a command. */
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
