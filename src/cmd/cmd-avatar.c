/* /avatar PATH: upload an image and make it my avatar. */
#include "haos/cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "haos/client.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"

#define CMD_AVATAR_MAX	(8 * 1024 * 1024)	/* bytes */

static enum cmd_retval	cmd_avatar_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_avatar_entry = {
	.name = "avatar",
	.alias = NULL,
	.args = { 1, 1 },
	.usage = "path",
	.help = "Upload an image (PNG, JPEG, GIF, WebP) as your avatar",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = CMD_RAW,
	.exec = cmd_avatar_exec,
	.kinds = { CMD_ARG_FILE }
};

/* The image type from the file's first bytes, or NULL. */
static const char *
cmd_avatar_type(const unsigned char *p, size_t n)
{
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return "image/jpeg";
	if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 ||
	    memcmp(p, "GIF89a", 6) == 0))
		return "image/gif";
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 &&
	    memcmp(p + 8, "WEBP", 4) == 0)
		return "image/webp";
	return NULL;
}

static void
cmd_avatar_set(struct cmd_ctx *ctx, const struct client_result *res, void *arg)
{
	char	*mxc = arg, *clean;

	clean = sanitize_text(mxc, (size_t)-1, 0);
	if (res->ok)
		cmd_info(ctx, "avatar: set to %s", clean);
	else
		cmd_error(ctx, "avatar: uploaded as %s but not set: %s", clean,
		    res->err != NULL ? res->err->msg : "failed");
	free(clean);
	free(mxc);
}

static void
cmd_avatar_uploaded(struct cmd_ctx *ctx, const struct client_result *res,
    void *arg __unused)
{
	json_t		*root;
	const char	*mxc;

	if (!res->ok) {
		cmd_error(ctx, "avatar: upload failed: %s", res->err != NULL ?
		    res->err->msg : "failed");
		return;
	}
	root = res->body != NULL ? json_load_answer(res->body) : NULL;
	mxc = json_get_str(root, "content_uri", NULL);
	if (mxc == NULL || strncmp(mxc, "mxc://", 6) != 0) {
		cmd_error(ctx, "avatar: the upload answer has no mxc:// URI");
		json_decref(root);
		return;
	}
	cmd_call(ctx, matrix_req_avatar_url(ctx->me != NULL ? ctx->me : "",
	    mxc), cmd_avatar_set, xstrdup(mxc));
	json_decref(root);
}

/* Read the image (the UI thread may read a local file), then upload it. */
static enum cmd_retval
cmd_avatar_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	const char	*file = a->argv[0], *type, *base;
	unsigned char	*data;
	FILE		*f;
	size_t		 n;

	f = fopen(file, "rb");
	if (f == NULL) {
		cmd_error(ctx, "avatar: %s: %s", file, strerror(errno));
		return CMD_RETURN_ERROR;
	}
	data = xmalloc(CMD_AVATAR_MAX + 1);
	n = fread(data, 1, CMD_AVATAR_MAX + 1, f);
	fclose(f);
	if (n > CMD_AVATAR_MAX || n == 0) {
		cmd_error(ctx, "avatar: %s: %s", file, n == 0 ? "empty" :
		    "larger than 8 MB");
		free(data);
		return CMD_RETURN_ERROR;
	}
	type = cmd_avatar_type(data, n);
	if (type == NULL) {
		cmd_error(ctx, "avatar: %s is not a PNG, JPEG, GIF or WebP "
		    "image", file);
		free(data);
		return CMD_RETURN_ERROR;
	}
	base = strrchr(file, '/');
	base = base != NULL ? base + 1 : file;
	cmd_call(ctx, matrix_req_upload(base, data, n, type),
	    cmd_avatar_uploaded, NULL);
	free(data);
	return CMD_RETURN_WAIT;
}
