/* haos entry point: options, configuration, logging, then the command. */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/haos.h"
#include "haos/account.h"
#include "haos/cli.h"
#include "haos/config.h"
#include "haos/error.h"
#include "haos/http.h"
#include "haos/lock.h"
#include "haos/log.h"
#include "haos/client.h"
#include "haos/net.h"
#include "haos/notify.h"
#include "haos/paths.h"
#include "haos/run.h"
#include "haos/sanitize.h"
#include "haos/session.h"
#include "haos/store.h"
#include "haos/ui.h"

/* Print "haos: message" and return the exit status for err. */
static int
main_fail(const struct haos_error *err)
{
	sanitize_fprintf(stderr, "haos: %s\n", err->msg);
	return haos_error_exit_code(err);
}

/* Open the log under $XDG_STATE_HOME/haos; failure is reported, not fatal. */
static void
main_open_log(const struct paths *paths, const struct config *cfg, int debug)
{
	struct haos_error	 err;
	enum log_level		 level = LOG_INFO;

	if (log_level_parse(cfg->log_level, &level) == -1)
		level = LOG_INFO;
	if (debug)
		level = LOG_DEBUG;
	if (paths_make_dir(paths->state_dir, &err) == -1 ||
	    log_open(paths->log_file, level) == -1) {
		sanitize_fprintf(stderr, "haos: cannot open log %s: %s\n",
		    paths->log_file, strerror(errno));
		return;
	}
	log_info("main", "haos %s starting (log level %s)", HAOS_VERSION,
	    log_level_name(level));
}

static int64_t	main_start_ms;	/* the clock of the first-frame benchmark */

#define MAIN_STORE_WAIT_MS	15000	/* for the net thread's first open */

/*
 * Open the UI thread's read-only store once the net thread has created
 * or migrated it (the RO connection cannot create the schema).
 */
static struct store *
main_open_store(const char *path, struct notify *nf, struct haos_error *err)
{
	struct timespec	 pause = { 0, 20 * 1000 * 1000 };
	struct store	*st;
	unsigned int	 bits = 0;
	int64_t		 deadline;
	int		 v;

	deadline = net_now_ms() + MAIN_STORE_WAIT_MS;
	for (;;) {
		st = store_open(path, STORE_RO, err);
		if (st != NULL && store_schema_version(st, &v, err) == 0 &&
		    v == STORE_SCHEMA_VERSION)
			break;
		if (st != NULL)
			store_close(st);
		st = NULL;
		bits |= notify_take(nf);
		if ((bits & NOTIFY_FATAL) || net_now_ms() > deadline) {
			haos_error_set(err, HAOS_ESTORE, "cannot open the "
			    "cache %s (see the log)", path);
			break;
		}
		nanosleep(&pause, NULL);
	}
	/* Whatever arrived meanwhile is the UI's to see. */
	if (bits != 0)
		notify_post(nf, bits);
	return st;
}

/*
 * Start the interactive client for the profile's session, and stop it in
 * the order of STYLE.md's threading rules: the net thread is stopped and
 * joined (it closes the RW store), then the RO store is closed, then the
 * terminal is given back.
 */
static int
main_run_ui(const struct config *cfg, const struct paths *paths,
    const struct http_opts *hopts, struct haos_error *err)
{
	struct session		 s;
	struct net_config	 nc;
	struct ui_deps		 d;
	struct notify		*nf = NULL;
	struct net		*net = NULL;
	struct client		*client = NULL;
	struct store		*st = NULL;
	struct ui		*ui = NULL;
	int			 ret = -1;

	if (session_load(&s, paths->session_file, err) == -1)
		return -1;
	if (paths_make_dir(paths->data_dir, err) == -1)
		goto out;
	nf = notify_new();
	if (nf == NULL) {
		haos_error_set(err, HAOS_EIO, "pipe: %s", strerror(errno));
		goto out;
	}
	memset(&nc, 0, sizeof nc);
	nc.homeserver = s.homeserver;
	nc.access_token = s.access_token;
	nc.user_id = s.user_id;
	nc.device_id = s.device_id;
	nc.store_path = paths->store_file;
	nc.pickle_key_path = paths->pickle_key_file;
	nc.sync_timeout_ms = cfg->sync_timeout * 1000L;
	nc.request_timeout_ms = cfg->request_timeout * 1000L;
	nc.timeline_limit = 50;
	nc.share_keys = net_share_keys(cfg->crypto_share_keys);
	nc.background = 1;
	nc.http = *hopts;
	nc.notify = nf;
	net = net_start(&nc, err);
	if (net == NULL)
		goto out;
	st = main_open_store(paths->store_file, nf, err);
	if (st == NULL)
		goto out;
	memset(&d, 0, sizeof d);
	d.cfg = cfg;
	d.store = st;
	client = client_new(net, st, s.user_id);
	d.client = client;
	d.notify = nf;
	d.user_id = s.user_id;
	d.homeserver = s.homeserver;
	d.start_ms = main_start_ms;
	d.device_id = s.device_id;
	d.session_file = paths->session_file;
	d.last_room_file = paths->last_room_file;
	d.preview_dir = paths->preview_dir;
	ui = ui_init(&d, err);
	if (ui == NULL)
		goto out;
	ret = ui_run(ui, err);
out:
	/* Every pending completion runs (cancelled) while the UI is alive. */
	if (client != NULL)
		client_cancel_all(client);
	net_stop(net);
	if (st != NULL)
		store_close(st);
	ui_done(ui);
	client_free(client);
	notify_free(nf);
	session_free(&s);
	return ret;
}

int
main(int argc, char **argv)
{
	struct cli_opts		 o;
	struct haos_error	 err;
	struct config		 cfg;
	struct paths		 paths;
	struct http_opts	 hopts;
	struct account		*acct;
	struct run_opts		 ro;
	int			 rc = HAOS_EXIT_OK, ret = 0, lock = -1;

	main_start_ms = net_now_ms();
	setlocale(LC_ALL, "");
	haos_error_clear(&err);
	if (cli_parse(argc, argv, &o, &err) == -1) {
		sanitize_fprintf(stderr, "haos: %s\n", err.msg);
		sanitize_fprintf(stderr,
		    "usage: haos [--config FILE] [--profile NAME] "
		    "[--debug] [login | logout | run ...]\n");
		return HAOS_EXIT_USAGE;
	}
	switch (o.command) {
	case CLI_HELP:
		cli_usage(stdout);
		return HAOS_EXIT_OK;
	case CLI_VERSION:
		sanitize_fprintf(stdout, "haos %s\n", HAOS_VERSION);
		return HAOS_EXIT_OK;
	case CLI_DUMP_CONFIG:
		config_dump(stdout);
		return HAOS_EXIT_OK;
	default:
		break;
	}

	config_init(&cfg);
	if (paths_resolve(&paths, o.profile, o.config, &err) == -1) {
		config_free(&cfg);
		return main_fail(&err);
	}
	if (config_load(&cfg, paths.config_file, o.config != NULL,
	    &err) == -1) {
		rc = main_fail(&err);
		goto out;
	}
	acct = config_account(&cfg, o.profile, &err);
	if (o.profile != NULL && acct == NULL && cfg.naccounts > 0 &&
	    o.command == CLI_RUN_UI) {
		sanitize_fprintf(stderr,
		    "haos: note: %s has no [account %s] section\n",
		    paths.config_file, o.profile);
	}
	main_open_log(&paths, &cfg, o.debug);
	if (http_global_init(&err) == -1) {
		rc = main_fail(&err);
		goto out;
	}
	memset(&hopts, 0, sizeof hopts);
	hopts.ca_file = cfg.ca_file;
	hopts.connect_timeout_ms = cfg.connect_timeout * 1000L;
	hopts.timeout_ms = cfg.request_timeout * 1000L;
	http_set_opts(&hopts);

	/* One haos per profile: the store has one writer. */
	if (o.command != CLI_LOGIN) {
		lock = lock_profile(paths.data_dir, &err);
		if (lock == -1) {
			rc = main_fail(&err);
			http_global_cleanup();
			log_close();
			goto out;
		}
	}
	switch (o.command) {
	case CLI_LOGIN:
		ret = account_login(&cfg, acct, &paths, &err);
		break;
	case CLI_LOGOUT:
		ret = account_logout(&paths, o.keep_cache, &err);
		break;
	case CLI_RUN:
		memset(&ro, 0, sizeof ro);
		ro.server = o.run_server;
		ro.channel = o.run_channel;
		ro.cmds = o.args;
		ro.ncmds = o.nargs;
		rc = run_commands(&cfg, &paths, &hopts, &ro);
		break;
	default:
		ret = main_run_ui(&cfg, &paths, &hopts, &err);
		break;
	}
	if (ret == -1) {
		log_error("main", "%s", err.msg);
		rc = main_fail(&err);
	}
	http_global_cleanup();
	log_info("main", "exit %d", rc);
	log_close();
	lock_release(lock);
out:
	paths_free(&paths);
	config_free(&cfg);
	return rc;
}
