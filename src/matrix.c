/* Client-server API: ids, discovery, login and logout. */
#include "haos/matrix.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "haos/haos.h"
#include "haos/error.h"
#include "haos/http.h"
#include "haos/log.h"
#include "haos/session.h"
#include "haos/xmalloc.h"

/*
 * Split "@local:server" into its parts.  The server part may carry a
 * port ("example.org:8448") or be an IPv6 literal ("[::1]:8448").
 */
int
matrix_split_user_id(const char *uid, char **local, char **server)
{
	const char	*colon;

	if (uid == NULL || uid[0] != '@')
		return -1;
	colon = strchr(uid, ':');
	if (colon == NULL || colon == uid + 1 || colon[1] == '\0')
		return -1;
	if (local != NULL)
		*local = xstrndup(uid + 1, (size_t)(colon - uid - 1));
	if (server != NULL)
		*server = xstrdup(colon + 1);
	return 0;
}

/* Accept user ids as the spec's historical grammar does, 255 bytes max. */
int
matrix_valid_user_id(const char *uid)
{
	const unsigned char	*p;
	const char		*colon;

	if (uid == NULL || uid[0] != '@' || strlen(uid) > 255)
		return 0;
	colon = strchr(uid, ':');
	if (colon == NULL || colon == uid + 1 || colon[1] == '\0')
		return 0;
	for (p = (const unsigned char *)uid + 1; p < (const unsigned char *)colon;
	    p++) {
		if (*p < 0x21 || *p > 0x7e)
			return 0;
	}
	for (p = (const unsigned char *)colon + 1; *p != '\0'; p++) {
		if (!isalnum(*p) && *p != '.' && *p != '-' && *p != ':' &&
		    *p != '[' && *p != ']')
			return 0;
	}
	return 1;
}

/* Return url without trailing slashes; NULL if it is not http(s). */
char *
matrix_normalise_base_url(const char *url)
{
	char	*out;
	size_t	 n;

	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
		return NULL;
	out = xstrdup(url);
	n = strlen(out);
	while (n > 0 && out[n - 1] == '/')
		out[--n] = '\0';
	if (strchr(out, ' ') != NULL || strlen(out) <= 8) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * Whether url's host is this machine: localhost, 127.0.0.0/8 or [::1].
 * Traffic to it never leaves the host, so plain http:// is no risk.
 */
int
matrix_url_is_loopback(const char *url)
{
	const char	*h, *end, *at;
	size_t		 len, i;

	if (strncmp(url, "http://", 7) == 0)
		h = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		h = url + 8;
	else
		return 0;
	end = h + strcspn(h, "/?#");
	/* Skip any userinfo before the host. */
	for (at = h; at < end; at++) {
		if (*at == '@')
			h = at + 1;
	}
	if (*h == '[')
		return end - h >= 5 && strncmp(h, "[::1]", 5) == 0 &&
		    (h + 5 == end || h[5] == ':');
	len = strcspn(h, ":/?#");
	if (h + len > end)
		len = (size_t)(end - h);
	if (len == 9 && strncasecmp(h, "localhost", 9) == 0)
		return 1;
	if (len < 4 || strncmp(h, "127.", 4) != 0)
		return 0;
	for (i = 4; i < len; i++) {
		if (!isdigit((unsigned char)h[i]) && h[i] != '.')
			return 0;
	}
	return 1;
}

/*
 * Whether moving from base URL from to base URL to would give up TLS:
 * from is https:// and to is plain http:// on another machine.  Only a
 * URL the user configured may be http://.
 */
int
matrix_url_downgrade(const char *from, const char *to)
{
	if (from == NULL || to == NULL || strncmp(from, "https://", 8) != 0)
		return 0;
	return strncmp(to, "http://", 7) == 0 && !matrix_url_is_loopback(to);
}

/*
 * Whether the user id a login answered, got, is the user that was asked
 * for: the whole id when asked is "@local:server", else the localpart.
 * Localparts compare case-insensitively (servers such as Synapse fold
 * them); the server part as a host name does.
 */
int
matrix_login_user_matches(const char *asked, const char *got)
{
	char	*al = NULL, *as = NULL, *gl = NULL, *gs = NULL;
	int	 ok = 0;

	if (asked == NULL || got == NULL ||
	    matrix_split_user_id(got, &gl, &gs) == -1)
		goto out;
	if (asked[0] == '@') {
		if (matrix_split_user_id(asked, &al, &as) == -1)
			goto out;
		ok = strcasecmp(al, gl) == 0 && strcasecmp(as, gs) == 0;
	} else
		ok = strcasecmp(asked, gl) == 0;
out:
	free(al);
	free(as);
	free(gl);
	free(gs);
	return ok;
}

/* Parse a /.well-known/matrix/client body into the homeserver base URL. */
int
matrix_parse_well_known(const char *body, char **base_url,
    struct haos_error *err)
{
	json_t		*root;
	json_error_t	 jerr;
	const char	*url;
	int		 ret = -1;

	root = json_load_network(body, strlen(body), NULL, &jerr);
	if (!json_is_object(root)) {
		haos_error_set(err, HAOS_EPROTO, ".well-known/matrix/client "
		    "is not a JSON object");
		goto out;
	}
	/* Not json_path(): the key "m.homeserver" itself contains a dot. */
	url = json_get_str(json_get_obj(root, "m.homeserver"), "base_url",
	    NULL);
	if (url == NULL) {
		haos_error_set(err, HAOS_EPROTO, ".well-known/matrix/client "
		    "has no m.homeserver.base_url");
		goto out;
	}
	*base_url = matrix_normalise_base_url(url);
	if (*base_url == NULL) {
		haos_error_set(err, HAOS_EPROTO, ".well-known/matrix/client: "
		    "base_url is not an http(s) URL");
		goto out;
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}

json_t *
matrix_login_body(const char *user, const char *password,
    const char *device_name)
{
	json_t	*body;

	body = json_pack("{s:s, s:{s:s, s:s}, s:s}",
	    "type", "m.login.password",
	    "identifier", "type", "m.id.user", "user", user,
	    "password", password);
	if (device_name != NULL)
		json_object_set_new(body, "initial_device_display_name",
		    json_string(device_name));
	return body;
}

/* Wipe the string at key in obj, if any: jansson frees without wiping. */
static void
matrix_wipe_member(json_t *obj, const char *key)
{
	json_t	*v;

	v = json_object_get(obj, key);
	if (json_is_string(v))
		explicit_bzero((char *)json_string_value(v),
		    json_string_length(v));
}

/* Wipe the secrets a /login answer holds before it is freed. */
void
matrix_wipe_login(json_t *resp)
{
	matrix_wipe_member(resp, "access_token");
	matrix_wipe_member(resp, "refresh_token");
}

/* Fill s from a /login response; base_url is used unless well_known says. */
int
matrix_parse_login(const json_t *resp, const char *base_url,
    struct session *s, struct haos_error *err)
{
	const char	*uid, *tok, *dev, *wk;
	char		*hs = NULL;

	uid = json_get_str(resp, "user_id", NULL);
	tok = json_get_str(resp, "access_token", NULL);
	dev = json_get_str(resp, "device_id", NULL);
	if (uid == NULL || tok == NULL || dev == NULL ||
	    !matrix_valid_user_id(uid)) {
		haos_error_set(err, HAOS_EPROTO, "login response lacks "
		    "user_id, access_token or device_id");
		return -1;
	}
	wk = json_get_str(json_get_obj(json_get_obj(resp, "well_known"),
	    "m.homeserver"), "base_url", NULL);
	if (wk != NULL)
		hs = matrix_normalise_base_url(wk);
	/* The answer came over TLS: it may not move us off TLS. */
	if (hs != NULL && matrix_url_downgrade(base_url, hs)) {
		log_warn("matrix", "login answer's well_known names %s, plain "
		    "http: ignored, staying on %s", hs, base_url);
		xfree(hs);
	}
	if (hs == NULL)
		hs = xstrdup(base_url);
	memset(s, 0, sizeof *s);
	s->user_id = xstrdup(uid);
	s->access_token = xstrdup(tok);
	s->device_id = xstrdup(dev);
	s->homeserver = hs;
	return 0;
}

/* matrix_parse_login() of a /login answer's text. */
int
matrix_parse_login_text(const char *body, const char *base_url,
    struct session *s, struct haos_error *err)
{
	json_t	*root;
	int	 rc;

	root = json_load_answer(body);
	if (!json_is_object(root)) {
		json_decref(root);
		haos_error_set(err, HAOS_EPROTO, "login answer is not JSON");
		return -1;
	}
	rc = matrix_parse_login(root, base_url, s, err);
	matrix_wipe_login(root);
	json_decref(root);
	return rc;
}

/* Make a blocking JSON call; returns the parsed body or NULL with err set. */
json_t *
matrix_call(const char *base_url, const char *token, const char *method,
    const char *path, const json_t *body, struct haos_error *err)
{
	struct http_req	 req;
	struct http_resp resp;
	json_t		*root = NULL;
	json_error_t	 jerr;
	char		*url, *text = NULL;

	memset(&req, 0, sizeof req);
	url = xasprintf("%s%s", base_url, path);
	req.method = method;
	req.url = url;
	req.token = token;
	if (body != NULL) {
		text = json_xdumps(body);
		req.body = text;
		req.body_len = strlen(text);
	}
	if (http_perform(&req, &resp, err) == -1)
		goto out;
	root = json_load_network(resp.body != NULL ? resp.body : "",
	    resp.body_len, NULL, &jerr);
	if (root == NULL) {
		haos_error_set(err, HAOS_EPROTO, "%s %s: the server's answer "
		    "is not JSON (%s)", method, path, jerr.text);
	}
out:
	if (text != NULL) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	/* http_resp_free() wipes the answer (a login's holds a token). */
	http_resp_free(&resp);
	free(url);
	return root;
}

/* Check that base_url speaks the client-server API. */
int
matrix_check_versions(const char *base_url, struct haos_error *err)
{
	json_t	*v;

	v = matrix_call(base_url, NULL, "GET", "/_matrix/client/versions",
	    NULL, err);
	if (v == NULL)
		return -1;
	if (!json_is_array(json_object_get(v, "versions"))) {
		haos_error_set(err, HAOS_EPROTO, "%s does not look like a "
		    "Matrix homeserver (no versions in /_matrix/client/"
		    "versions)", base_url);
		json_decref(v);
		return -1;
	}
	json_decref(v);
	return 0;
}

/*
 * Find the homeserver of server_name as the spec's client discovery says:
 * https://SERVER/.well-known/matrix/client, then check /versions there.
 * A 404 means "no delegation": the server name itself is the homeserver.
 */
int
matrix_discover(const char *server_name, char **base_url,
    struct haos_error *err)
{
	struct http_req	 req;
	struct http_resp resp;
	struct haos_error e2;
	char		*url;
	int		 ret = -1;

	memset(&req, 0, sizeof req);
	url = xasprintf("https://%s/.well-known/matrix/client", server_name);
	req.method = "GET";
	req.url = url;
	*base_url = NULL;
	if (http_perform(&req, &resp, &e2) == 0) {
		if (matrix_parse_well_known(resp.body != NULL ? resp.body : "",
		    base_url, err) == -1) {
			goto out;
		}
		if (matrix_url_downgrade(url, *base_url)) {
			haos_error_set(err, HAOS_EPROTO, "%s's .well-known/"
			    "matrix/client (fetched over https) names the "
			    "homeserver %s, which is plain http: refusing to "
			    "send a password there unencrypted; set "
			    "homeserver in [account] if you really mean it",
			    server_name, *base_url);
			xfree(*base_url);
			goto out;
		}
	} else if (resp.status == 404) {
		*base_url = xasprintf("https://%s", server_name);
	} else {
		haos_error_set(err, e2.code, "cannot discover the homeserver "
		    "of %s: %s", server_name, e2.msg);
		goto out;
	}
	log_info("matrix", "discovered homeserver %s for %s", *base_url,
	    server_name);
	if (matrix_check_versions(*base_url, err) == -1) {
		free(*base_url);
		*base_url = NULL;
		goto out;
	}
	ret = 0;
out:
	http_resp_free(&resp);
	free(url);
	return ret;
}

/* Log in with a password; fills s on success. */
int
matrix_login(const char *base_url, const char *user, const char *password,
    const char *device_name, struct session *s, struct haos_error *err)
{
	struct haos_error	 e2;
	json_t			*body, *resp;
	int			 ret;

	body = matrix_login_body(user, password, device_name);
	resp = matrix_call(base_url, NULL, "POST", "/_matrix/client/v3/login",
	    body, err);
	matrix_wipe_member(body, "password");
	json_decref(body);
	if (resp == NULL)
		return -1;
	ret = matrix_parse_login(resp, base_url, s, err);
	matrix_wipe_login(resp);
	json_decref(resp);
	if (ret == 0 && !matrix_login_user_matches(user, s->user_id)) {
		haos_error_set(err, HAOS_EAUTH, "the homeserver logged in %s, "
		    "not the %s asked for: refusing the session", s->user_id,
		    user);
		/* Not ours to keep: log it out where it came from. */
		free(s->homeserver);
		s->homeserver = xstrdup(base_url);
		if (matrix_logout(s, &e2) == -1)
			log_warn("matrix", "could not log out the stray "
			    "session of %s", s->user_id);
		session_free(s);
		ret = -1;
	}
	if (ret == 0)
		log_info("matrix", "logged in as %s, device %s", s->user_id,
		    s->device_id);
	return ret;
}

/* Invalidate the session's access token on the server. */
int
matrix_logout(const struct session *s, struct haos_error *err)
{
	json_t	*body, *resp;

	body = json_object();
	resp = matrix_call(s->homeserver, s->access_token, "POST",
	    "/_matrix/client/v3/logout", body, err);
	json_decref(body);
	if (resp == NULL)
		return -1;
	json_decref(resp);
	log_info("matrix", "logged out device %s", s->device_id);
	return 0;
}

/*
 * The sync filter: lazy-loaded members and a bounded timeline.  No type
 * lists, so every state type (m.space.*, io.haos.*) and every event type
 * reaches the cache.
 */
json_t *
matrix_sync_filter(int timeline_limit)
{
	return json_pack("{s:{s:{s:b}, s:{s:i, s:b}}}",
	    "room",
	    "state", "lazy_load_members", 1,
	    "timeline", "limit", timeline_limit, "lazy_load_members", 1);
}

/*
 * A transaction id unique for this device across restarts: the wall
 * clock in microseconds, the process id and a counter.
 */
char *
matrix_txn_id(void)
{
	static unsigned long	 counter;
	struct timespec		 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return xasprintf("haos%lld%06ld.%ld.%lu", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000, (long)getpid(),
	    __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
}
