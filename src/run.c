/* haos run: sync once, then commands from argv with the UI's table. */
#include "haos/run.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/cmd.h"
#include "haos/config.h"
#include "haos/error.h"
#include "haos/http.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/model.h"
#include "haos/net.h"
#include "haos/notify.h"
#include "haos/paths.h"
#include "haos/sanitize.h"
#include "haos/session.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define RUN_SYNC_HOLD_MS	500	/* long-poll hold: short, we leave soon */
#define RUN_KEYS_WAIT_MS	10000	/* at most, for our keys to go up */

/* Everything one run owns; the commands run on this (the main) thread. */
struct run {
	struct notify	*nf;
	struct net	*net;		/* started and stopped here only */
	struct client	*client;
	struct store	*st;
	struct cmd_ctx	 ctx;
	long		 timeout_ms;	/* for one answer */
	int		 errors;	/* cmd_error() calls */
	char		*server_id;
	char		*room_id;
	char		**txns;		/* JOB_SEND transaction ids to see sent */
	size_t		 ntxns;
};

static void	run_print(void *, int, const char *);

/* Note the transaction ids of the messages the commands queued. */
static void
run_note_sends(struct run *r)
{
	char	**ids;
	size_t	  n, i;

	n = client_take_sent(r->client, &ids);
	for (i = 0; i < n; i++) {
		r->txns = xrealloc(r->txns, (r->ntxns + 1) * sizeof *r->txns);
		r->txns[r->ntxns++] = ids[i];
	}
	free(ids);
}

/* Count our sends in outbox state st; report them as errors if asked. */
static size_t
run_sends_in(struct run *r, enum outbox_state st, int report)
{
	struct haos_error	 err;
	struct outbox_row	*o;
	size_t			 n = 0, i, k, found = 0;

	if (store_query_outbox(r->st, st, &o, &n, &err) == -1)
		return 0;
	for (i = 0; i < n; i++) {
		for (k = 0; k < r->ntxns; k++) {
			if (strcmp(o[i].txn_id, r->txns[k]) != 0)
				continue;
			found++;
			if (report)
				run_print(r, 1, o[i].error != NULL ? o[i].error :
				    "a message could not be sent");
		}
	}
	outbox_rows_free(o, n);
	return found;
}

static void
run_print(void *arg, int is_error, const char *msg)
{
	struct run	*r = arg;

	if (is_error) {
		r->errors++;
		sanitize_fprintf(stderr, "haos: %s\n", msg);
	} else
		sanitize_fprintf(stdout, "%s\n", msg);
	fflush(NULL);
}

/* Wait up to ms for news from the net thread; route command answers. */
static int
run_pump(struct run *r, int ms)
{
	struct client_status	 st;
	struct pollfd		 pfd;
	unsigned int		 bits;

	pfd.fd = notify_fd(r->nf);
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
		return -1;
	bits = notify_take(r->nf);
	if (bits & NOTIFY_FATAL) {
		client_get_status(r->client, &st);
		sanitize_fprintf(stderr, "haos: the network thread stopped: "
		    "%s\n", st.reason[0] != '\0' ? st.reason : "see the log");
		return -1;
	}
	if (bits & NOTIFY_AUTH) {
		sanitize_fprintf(stderr,
		    "haos: session invalid - run haos login\n");
		return -1;
	}
	client_dispatch(r->client);
	run_note_sends(r);
	return 0;
}

/* Wait until the net thread has completed want syncs in all. */
static int
run_wait_syncs(struct run *r, unsigned long want, long timeout_ms)
{
	struct client_status	 ns;
	int64_t			 deadline = client_now_ms() + timeout_ms;

	for (;;) {
		client_get_status(r->client, &ns);
		if (ns.syncs >= want)
			return 0;
		if (ns.state == CLIENT_AUTH_FAILED) {
			sanitize_fprintf(stderr,
			    "haos: session invalid - run haos "
			    "login\n");
			return -1;
		}
		if (client_now_ms() > deadline) {
			sanitize_fprintf(stderr,
			    "haos: no answer from the homeserver "
			    "(sync)\n");
			return -1;
		}
		if (run_pump(r, 100) == -1)
			return -1;
	}
}

/*
 * Before leaving, let the net thread finish putting this device's keys
 * on the server: its one-time keys go up only once a /sync reported the
 * count, and a device that others cannot claim a key of makes them use
 * its fallback key.  Bounded: a slow server costs at most
 * RUN_KEYS_WAIT_MS, then haos notes it in the log and exits as it
 * would have.
 */
static void
run_wait_keys(struct run *r)
{
	struct client_status	 ns;
	int64_t			 deadline = client_now_ms() + RUN_KEYS_WAIT_MS;

	for (;;) {
		client_get_status(r->client, &ns);
		if (ns.keys_settled || ns.state == CLIENT_AUTH_FAILED)
			return;
		if (client_now_ms() > deadline) {
			log_warn("run", "leaving before the one-time keys "
			    "were uploaded");
			return;
		}
		if (run_pump(r, 100) == -1)
			return;
	}
}

/*
 * Wait for every answer the commands asked for, and for each message
 * they queued to be sent (or to fail, which is reported).
 */
static int
run_wait_done(struct run *r)
{
	int64_t	 deadline = client_now_ms() + r->timeout_ms;

	for (;;) {
		/* An /upload's row is queued once its answer came. */
		run_note_sends(r);
		if (client_pending(r->client) == 0 && run_sends_in(r, OUTBOX_SENT, 0) +
		    run_sends_in(r, OUTBOX_FAILED, 0) >= r->ntxns)
			break;
		if (client_now_ms() > deadline) {
			sanitize_fprintf(stderr,
			    "haos: timed out waiting for the "
			    "homeserver\n");
			return -1;
		}
		if (run_pump(r, 100) == -1)
			return -1;
	}
	run_sends_in(r, OUTBOX_FAILED, 1);
	cmd_strings_free(r->txns, r->ntxns);
	r->txns = NULL;
	r->ntxns = 0;
	return 0;
}

/* "Acme (!id:hs)" for a candidate list. */
static char *
run_candidates(struct room_row *rows, size_t *which, size_t nw)
{
	char	*list = NULL, *tmp, *name, *id;
	size_t	 i;

	for (i = 0; i < nw; i++) {
		name = sanitize_text(rows[which[i]].name != NULL ?
		    rows[which[i]].name : rows[which[i]].direct_user != NULL ?
		    rows[which[i]].direct_user : "", (size_t)-1, 0);
		id = sanitize_text(rows[which[i]].room_id, (size_t)-1, 0);
		tmp = xasprintf("%s%s%s (%s)", list != NULL ? list : "",
		    list != NULL ? ", " : "", name, id);
		free(id);
		free(name);
		free(list);
		list = tmp;
	}
	return list;
}

/*
 * Find what the user named among rows (cmd_match_rooms(), as commands
 * do).  Prints the error (none, or the candidates when ambiguous) and
 * returns NULL.
 */
static char *
run_pick(struct room_row *rows, size_t n, int spaces, const char *what,
    const char *want)
{
	size_t		*hit, nhit, i;
	char		*id = NULL, *list;

	nhit = cmd_match_rooms(rows, n, want, spaces, 1, &hit);
	if (nhit == 1) {
		id = xstrdup(rows[hit[0]].room_id);
		goto out;
	}
	if (nhit == 0) {
		for (i = 0; i < n && nhit < 20; i++) {
			if (cmd_room_eligible(&rows[i], spaces))
				hit[nhit++] = i;
		}
		list = run_candidates(rows, hit, nhit);
		sanitize_fprintf(stderr, "haos: no %s called %s%s%s\n", what,
		    want, list != NULL ? "; known: " : "",
		    list != NULL ? list : "");
	} else {
		list = run_candidates(rows, hit, nhit);
		sanitize_fprintf(stderr,
		    "haos: %s name %s is ambiguous; candidates: "
		    "%s\n", what, want, list);
	}
	free(list);
out:
	free(hit);
	return id;
}

/* Resolve --server and --channel to room ids in r. */
static int
run_context(struct run *r, const struct run_opts *o)
{
	struct haos_error	 err;
	struct room_row		*rows = NULL, one;
	size_t			 n = 0;

	if (o->server != NULL) {
		if (store_query_rooms(r->st, STORE_ROOMS_SPACES, NULL, &rows,
		    &n, &err) == -1) {
			sanitize_fprintf(stderr, "haos: %s\n", err.msg);
			return -1;
		}
		r->server_id = run_pick(rows, n, 1, "server", o->server);
		room_rows_free(rows, n);
		if (r->server_id == NULL)
			return -1;
	}
	if (o->channel != NULL) {
		if (store_query_rooms(r->st, r->server_id != NULL ?
		    STORE_ROOMS_CHANNELS : STORE_ROOMS_ALL, r->server_id, &rows,
		    &n, &err) == -1) {
			sanitize_fprintf(stderr, "haos: %s\n", err.msg);
			return -1;
		}
		r->room_id = run_pick(rows, n, 0, r->server_id != NULL ?
		    "channel of the server" : "channel or room", o->channel);
		room_rows_free(rows, n);
		if (r->room_id == NULL)
			return -1;
		/* A channel names its server when --server was not given. */
		if (r->server_id == NULL && store_query_room(r->st, r->room_id,
		    &one, &err) == 1) {
			if (one.parent_id != NULL)
				r->server_id = xstrdup(one.parent_id);
			room_row_free(&one);
		}
	}
	r->ctx.server_id = r->server_id;
	r->ctx.room_id = r->room_id;
	return 0;
}

/*
 * Log which command a line runs, never its words: a message, an emote
 * or a topic is the user's text and the log keeps none.  Only the
 * command name's letters are written (at most RUN_LOG_NAME of them).
 */
#define RUN_LOG_NAME	24

static void
run_log_command(const char *line)
{
	char	 name[RUN_LOG_NAME + 1];
	size_t	 n = 0;

	if (line[0] != '/') {
		log_info("run", "command: (message)");
		return;
	}
	for (line++; *line != '\0' && n < RUN_LOG_NAME; line++) {
		if ((*line < 'a' || *line > 'z') && (*line < 'A' ||
		    *line > 'Z') && (*line < '0' || *line > '9') &&
		    *line != '-' && *line != '_')
			break;
		name[n++] = *line;
	}
	name[n] = '\0';
	log_info("run", "command: /%s", name);
}

/* Run one command line; 0 when it and all its requests succeeded. */
static int
run_one(struct run *r, const char *line, int more)
{
	struct client_status	 ns;
	enum cmd_retval		 rv;
	int			 before = r->errors;

	run_log_command(line);
	if (line[0] == '/')
		rv = cmd_run_line(&r->ctx, line);
	else
		rv = cmd_run_string(&r->ctx, line);
	if (rv == CMD_RETURN_ERROR && r->errors == before)
		run_print(r, 1, "command failed");
	if (rv == CMD_RETURN_ERROR)
		return -1;
	if (run_wait_done(r) == -1)
		return -1;
	if (r->errors != before)
		return -1;
	/* The next command reads the cache: let it see our changes. */
	if (more && rv == CMD_RETURN_WAIT) {
		client_get_status(r->client, &ns);
		if (run_wait_syncs(r, ns.syncs + 2, r->timeout_ms) == -1)
			return -1;
	}
	return 0;
}

int
run_commands(const struct config *cfg, const struct paths *paths,
    const struct http_opts *hopts, const struct run_opts *o)
{
	struct haos_error	 err;
	struct session		 s;
	struct net_config	 nc;
	struct run		 r;
	int			 i, v, rc = HAOS_EXIT_RUNTIME;

	memset(&r, 0, sizeof r);
	memset(&s, 0, sizeof s);
	if (session_load(&s, paths->session_file, &err) == -1) {
		sanitize_fprintf(stderr, "haos: %s\n", err.msg);
		return HAOS_EXIT_RUNTIME;
	}
	if (paths_make_dir(paths->data_dir, &err) == -1) {
		sanitize_fprintf(stderr, "haos: %s\n", err.msg);
		goto out;
	}
	r.nf = notify_new();
	if (r.nf == NULL) {
		sanitize_fprintf(stderr, "haos: pipe: %s\n", strerror(errno));
		goto out;
	}
	r.timeout_ms = cfg->request_timeout * 1000L + 5000;
	memset(&nc, 0, sizeof nc);
	nc.homeserver = s.homeserver;
	nc.access_token = s.access_token;
	nc.user_id = s.user_id;
	nc.device_id = s.device_id;
	nc.store_path = paths->store_file;
	nc.pickle_key_path = paths->pickle_key_file;
	nc.sync_timeout_ms = RUN_SYNC_HOLD_MS;
	nc.request_timeout_ms = cfg->request_timeout * 1000L;
	nc.timeline_limit = 50;
	nc.share_keys = net_share_keys(cfg->crypto_share_keys);
	nc.http = *hopts;
	nc.notify = r.nf;
	r.net = net_start(&nc, &err);
	if (r.net == NULL) {
		sanitize_fprintf(stderr, "haos: %s\n", err.msg);
		goto out;
	}
	r.client = client_new(r.net, NULL, s.user_id);
	/*
	 * Two syncs, so that the cache is fresh and names resolve: the
	 * first answer to an old token may be a server's cached one (Synapse
	 * repeats an identical /sync's answer for two minutes).
	 */
	if (run_wait_syncs(&r, 2, r.timeout_ms + cfg->request_timeout *
	    1000L) == -1)
		goto out;
	r.st = store_open(paths->store_file, STORE_RO, &err);
	if (r.st == NULL || store_schema_version(r.st, &v, &err) == -1 ||
	    v != STORE_SCHEMA_VERSION) {
		sanitize_fprintf(stderr, "haos: cannot read the cache %s\n",
		    paths->store_file);
		goto out;
	}
	client_free(r.client);
	r.client = client_new(r.net, r.st, s.user_id);
	client_track_sent(r.client, 1);
	r.ctx.store = r.st;
	r.ctx.client = r.client;
	r.ctx.me = s.user_id;
	r.ctx.cfg = cfg;
	r.ctx.print = run_print;
	r.ctx.print_arg = &r;
	if (run_context(&r, o) == -1)
		goto out;
	for (i = 0; i < o->ncmds; i++) {
		if (run_one(&r, o->cmds[i], i + 1 < o->ncmds) == -1)
			goto out;
	}
	run_wait_keys(&r);
	rc = HAOS_EXIT_OK;
out:
	client_cancel_all(r.client);
	net_stop(r.net);
	client_free(r.client);
	if (r.st != NULL)
		store_close(r.st);
	notify_free(r.nf);
	cmd_strings_free(r.txns, r.ntxns);
	free(r.server_id);
	free(r.room_id);
	session_free(&s);
	return rc;
}
