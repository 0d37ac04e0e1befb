/* /devices [@user]: a user's devices and whether we trust them. */

/*
 * From the read-only store (table devices, filled by /keys/query, and
 * the cross-signing state of crypto-xsign.c): each device's id, display
 * name and ed25519 fingerprint in groups of four, and "verified" (its
 * owner's self-signing key signed it and we verified the owner's master
 * key, or we verified the device ourselves), "unverified" (with "signed
 * by its owner" when only the owner's keys vouch for it) or "deleted".
 * Everything the server gave is sanitised before it is shown.
 */
#include "haos/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/sanitize.h"
#include "haos/store-xsign.h"
#include "haos/xmalloc.h"

static enum cmd_retval	cmd_devices_exec(struct cmd_ctx *,
			    const struct cmd_args *);

const struct cmd_entry cmd_devices_entry = {
	.name = "devices",
	.alias = NULL,
	.args = { 0, 1 },
	.usage = "[@user]",
	.help = "List a user's devices (yours by default) and whether they "
	    "are verified",
	.target = CMD_TARGET_NONE,
	.power = POWER_GUEST,
	.flags = 0,
	.exec = cmd_devices_exec,
	.kinds = { CMD_ARG_USER }
};

/* "ABCD EFGH ..." of an unpadded base64 key (sanitised). */
static char *
cmd_devices_fingerprint(const char *key)
{
	char	*clean, *out;
	size_t	 i, j, n;

	clean = sanitize_text(key != NULL ? key : "", (size_t)-1, 0);
	n = strlen(clean);
	out = xmalloc(n + n / 4 + 1);
	for (i = j = 0; i < n; i++) {
		if (i > 0 && i % 4 == 0)
			out[j++] = ' ';
		out[j++] = clean[i];
	}
	out[j] = '\0';
	free(clean);
	return out;
}

/* The trust word of one device of a user whose state is u. */
static const char *
cmd_devices_trust(const struct xsign_user *u, const struct xsign_device *d)
{
	if (d->deleted)
		return "deleted";
	if (d->local_trust || (d->cross_signed && u->verified && !u->changed))
		return "verified";
	if (d->cross_signed && !u->changed)
		return "unverified (signed by its owner)";
	return "unverified";
}

/* The line about the user's identity (master key). */
static char *
cmd_devices_identity(const char *who, const struct xsign_user *u)
{
	if (u->changed)
		return xasprintf("%s: identity CHANGED: check it with them, "
		    "then /trust %s", who, who);
	if (u->msk == NULL)
		return xasprintf("%s: no cross-signing identity", who);
	return xasprintf("%s: identity %s", who, u->verified ? "verified" :
	    "not verified");
}

static enum cmd_retval
cmd_devices_exec(struct cmd_ctx *ctx, const struct cmd_args *a)
{
	struct haos_error	 err;
	struct xsign_user	 u;
	struct xsign_device	*d = NULL;
	char			*user, *who, *name, *id, *fp, **lines;
	size_t			 i, n = 0, nl = 0;
	int			 rc;

	if (ctx->store == NULL) {
		cmd_error(ctx, "devices: no cache");
		return CMD_RETURN_ERROR;
	}
	user = a->argc > 0 ? cmd_user_id(ctx, a->argv[0]) :
	    xstrdup(ctx->me != NULL ? ctx->me : "");
	if (user == NULL)
		return CMD_RETURN_ERROR;
	rc = store_xsign_user(ctx->store, user, &u, &err);
	if (rc != -1 && store_xsign_devices(ctx->store, user, &d, &n,
	    &err) == -1) {
		xsign_user_free(&u);
		rc = -1;
	}
	if (rc == -1) {
		cmd_error(ctx, "devices: %s", err.msg);
		free(user);
		return CMD_RETURN_ERROR;
	}
	who = sanitize_text(user, (size_t)-1, 0);
	free(user);
	lines = xcalloc(n + 2, sizeof *lines);
	lines[nl++] = rc == 0 && n == 0 ? xasprintf("%s: no devices known "
	    "(we share no encrypted room)", who) :
	    cmd_devices_identity(who, &u);
	for (i = 0; i < n; i++) {
		id = sanitize_text(d[i].device_id, (size_t)-1, 0);
		name = sanitize_text(d[i].display_name != NULL ?
		    d[i].display_name : "", (size_t)-1, 0);
		fp = cmd_devices_fingerprint(d[i].ed25519);
		lines[nl++] = xasprintf("  %s%s%s%s  %s  %s", id,
		    *name != '\0' ? " \"" : "", name, *name != '\0' ? "\"" :
		    "", fp, cmd_devices_trust(&u, &d[i]));
		free(id);
		free(name);
		free(fp);
	}
	if (ctx->ui != NULL && ctx->ui->show != NULL)
		ctx->ui->show(ctx->ui_arg, "Devices", lines, nl);
	else {
		for (i = 0; i < nl; i++)
			cmd_info(ctx, "%s", lines[i]);
	}
	for (i = 0; i < nl; i++)
		free(lines[i]);
	free(lines);
	free(who);
	xsign_devices_free(d, n);
	xsign_user_free(&u);
	return CMD_RETURN_NORMAL;
}
