/* Spawn tests/homeserver/server.py on 127.0.0.1 and talk to it. */
#include "hs_fixture.h"

#include <sys/wait.h>

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/http.h"
#include "haos/matrix.h"
#include "haos/xmalloc.h"

/* A real homeserver given in HAOS_TEST_HS_URL replaces the test one. */
int
hs_external(void)
{
	const char	*u = getenv("HAOS_TEST_HS_URL");

	return u != NULL && *u != '\0';
}

static int
hs_spawn(struct hs *hs)
{
	const char	*root;
	char		*server, port[16], line[256];
	int		 pfd[2];
	FILE		*f;
	pid_t		 pid;

	root = getenv("HAOS_ROOT");
	if (root == NULL)
		root = ".";
	server = xasprintf("%s/tests/homeserver/server.py", root);
	snprintf(port, sizeof port, "%d", hs->port);
	if (pipe(pfd) == -1)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execlp("python3", "python3", server, "--port", port,
		    "--server-name", "haos.test", "--data", hs->data_dir,
		    (char *)NULL);
		_exit(127);
	}
	free(server);
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	if (f == NULL || fgets(line, sizeof line, f) == NULL ||
	    strncmp(line, "listening on http://127.0.0.1:", 30) != 0) {
		if (f != NULL)
			fclose(f);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	/* Leave the pipe's read end to a child-less drain: close it; the
	 * server writes nothing else to stdout that matters. */
	fclose(f);
	hs->pid = pid;
	hs->port = atoi(line + 30);
	free(hs->url);
	hs->url = xasprintf("http://127.0.0.1:%d", hs->port);
	return 0;
}

static int
hs_rm(const char *p, const struct stat *st, int fl, struct FTW *ftw)
{
	(void)st;
	(void)fl;
	(void)ftw;
	return remove(p);
}

/*
 * A new private directory named prefix-XXXXXX, inside the run's
 * directory (hs_tmp_run()) when there is one, else in /tmp.  Allocated,
 * or NULL.
 */
char *
hs_tmpdir(const char *prefix)
{
	const char	*run = getenv("HAOS_TEST_RUN_DIR");
	char		*d;

	d = xasprintf("%s/%s-XXXXXX", run != NULL ? run : "/tmp", prefix);
	if (mkdtemp(d) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

/*
 * The directory of this test run: every hs_tmpdir() of the suites (run
 * in forked children, whose teardown a failing test skips) goes in it,
 * and hs_tmp_run_end() removes it whatever happened.
 */
char *
hs_tmp_run(void)
{
	char	*d;

	d = hs_tmpdir("haos-integration");
	if (d != NULL)
		setenv("HAOS_TEST_RUN_DIR", d, 1);
	return d;
}

void
hs_tmp_run_end(char *dir)
{
	if (dir != NULL)
		nftw(dir, hs_rm, 16, FTW_DEPTH | FTW_PHYS);
	unsetenv("HAOS_TEST_RUN_DIR");
	free(dir);
}

int
hs_start(struct hs *hs)
{
	memset(hs, 0, sizeof *hs);
	if (hs_external()) {
		hs->external = 1;
		hs->url = xstrdup(getenv("HAOS_TEST_HS_URL"));
		return 0;
	}
	hs->data_dir = hs_tmpdir("haos-hs");
	if (hs->data_dir == NULL)
		return -1;
	return hs_spawn(hs);
}

/* SIGTERM: the server flushes --data and exits. */
int
hs_kill(struct hs *hs)
{
	int	 st;

	if (hs->pid <= 0)
		return 0;
	kill(hs->pid, SIGTERM);
	waitpid(hs->pid, &st, 0);
	hs->pid = 0;
	return 0;
}

/* Start again on the same port with the same data; retry while busy. */
int
hs_restart(struct hs *hs)
{
	struct timespec	 ts = { 0, 100 * 1000 * 1000 };
	int		 i;

	hs_kill(hs);
	for (i = 0; i < 50; i++) {
		if (hs_spawn(hs) == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}


void
hs_stop(struct hs *hs)
{
	hs_kill(hs);
	if (hs->data_dir != NULL)
		nftw(hs->data_dir, hs_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(hs->data_dir);
	free(hs->url);
	memset(hs, 0, sizeof *hs);
}

/* A blocking call; returns the JSON body (or NULL) and the status. */
json_t *
hs_call(struct hs *hs, const char *token, const char *method,
    const char *path, const json_t *body, int *status)
{
	struct http_req	 req;
	struct http_resp resp;
	struct haos_error err;
	json_t		*root;
	char		*url, *text = NULL;

	memset(&req, 0, sizeof req);
	url = xasprintf("%s%s", hs->url, path);
	req.method = method;
	req.url = url;
	req.token = token;
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		req.body = text;
		req.body_len = strlen(text);
	}
	http_perform(&req, &resp, &err);
	if (status != NULL)
		*status = (int)resp.status;
	root = resp.body != NULL ? json_loadb(resp.body, resp.body_len, 0,
	    NULL) : NULL;
	http_resp_free(&resp);
	free(url);
	free(text);
	return root;
}

/* Register through the m.login.dummy user-interactive flow. */
int
hs_register(struct hs *hs, const char *localpart, struct hs_user *u)
{
	json_t		*body, *r;
	const char	*session;
	int		 st;

	memset(u, 0, sizeof *u);
	body = json_pack("{s:s, s:s}", "username", localpart, "password",
	    "pw-integration");
	r = hs_call(hs, NULL, "POST", "/_matrix/client/v3/register", body,
	    &st);
	session = json_get_str(r, "session", NULL);
	if (st == 401 && session != NULL) {
		json_object_set_new(body, "auth", json_pack("{s:s, s:s}",
		    "type", "m.login.dummy", "session", session));
		json_decref(r);
		r = hs_call(hs, NULL, "POST", "/_matrix/client/v3/register",
		    body, &st);
	}
	json_decref(body);
	if (st != 200 || json_get_str(r, "access_token", NULL) == NULL) {
		json_decref(r);
		return -1;
	}
	u->user_id = xstrdup(json_get_str(r, "user_id", ""));
	u->token = xstrdup(json_get_str(r, "access_token", ""));
	u->device_id = xstrdup(json_get_str(r, "device_id", ""));
	json_decref(r);
	return 0;
}

void
hs_user_free(struct hs_user *u)
{
	free(u->user_id);
	free(u->token);
	free(u->device_id);
	memset(u, 0, sizeof *u);
}

int
hs_faults(struct hs *hs, const char *json)
{
	json_t	*body, *r;
	int	 st;

	body = json_loads(json, 0, NULL);
	if (body == NULL)
		return -1;
	r = hs_call(hs, NULL, "POST", "/_test/faults", body, &st);
	json_decref(body);
	json_decref(r);
	return st == 200 ? 0 : -1;
}

/* A name unique across runs, for a real server that keeps old users. */
char *
hs_unique(const char *prefix)
{
	static int	 n;
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return xasprintf("%s-%ld%03ld-%d-%d", prefix, (long)ts.tv_sec,
	    ts.tv_nsec / 1000000, (int)getpid(), ++n);
}
