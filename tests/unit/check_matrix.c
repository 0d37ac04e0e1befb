/* Ids, discovery parsing and login bodies against real Synapse JSON. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/matrix.h"
#include "haos/session.h"

START_TEST(test_user_ids)
{
	char	*local, *server;

	ck_assert(matrix_valid_user_id("@alice:example.org"));
	ck_assert(matrix_valid_user_id("@dave-mwuxo8yy:haos.test"));
	ck_assert(matrix_valid_user_id("@a:127.0.0.1:8448"));
	ck_assert(matrix_valid_user_id("@a:[::1]:8448"));
	ck_assert(!matrix_valid_user_id("alice:example.org"));
	ck_assert(!matrix_valid_user_id("@alice"));
	ck_assert(!matrix_valid_user_id("@:example.org"));
	ck_assert(!matrix_valid_user_id("@alice:"));
	ck_assert(!matrix_valid_user_id("@al ice:example.org"));
	ck_assert(!matrix_valid_user_id("@alice:exa/mple.org"));
	ck_assert_int_eq(matrix_split_user_id("@alice:example.org:8448",
	    &local, &server), 0);
	ck_assert_str_eq(local, "alice");
	ck_assert_str_eq(server, "example.org:8448");
	free(local);
	free(server);
	ck_assert_int_eq(matrix_split_user_id("alice", &local, &server), -1);
}
END_TEST

START_TEST(test_base_url)
{
	char	*u;

	u = matrix_normalise_base_url("https://matrix.example.org///");
	ck_assert_str_eq(u, "https://matrix.example.org");
	free(u);
	ck_assert_ptr_null(matrix_normalise_base_url("ftp://x.org"));
	ck_assert_ptr_null(matrix_normalise_base_url("https://"));
	ck_assert_ptr_null(matrix_normalise_base_url("matrix.example.org"));
}
END_TEST

START_TEST(test_well_known)
{
	struct haos_error	 err;
	char			*path, *body, *url;

	path = test_fixture("matrix/well-known.json");
	body = test_read_file(path);
	ck_assert_ptr_nonnull(body);
	ck_assert_int_eq(matrix_parse_well_known(body, &url, &err), 0);
	ck_assert_str_eq(url, "https://matrix.example.org");
	free(url);
	ck_assert_int_eq(matrix_parse_well_known("{}", &url, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "m.homeserver.base_url"));
	ck_assert_int_eq(matrix_parse_well_known("[1]", &url, &err), -1);
	ck_assert_int_eq(matrix_parse_well_known(
	    "{\"m.homeserver\":{\"base_url\":\"gopher://x\"}}", &url, &err),
	    -1);
	free(body);
	free(path);
}
END_TEST

START_TEST(test_login_body)
{
	json_t	*b;

	b = matrix_login_body("alice", "pw", "haos on box");
	ck_assert_str_eq(json_get_str(b, "type", ""), "m.login.password");
	ck_assert_str_eq(json_path_str(b, "identifier.type", ""), "m.id.user");
	ck_assert_str_eq(json_path_str(b, "identifier.user", ""), "alice");
	ck_assert_str_eq(json_get_str(b, "password", ""), "pw");
	ck_assert_str_eq(json_get_str(b, "initial_device_display_name", ""),
	    "haos on box");
	json_decref(b);
}
END_TEST

START_TEST(test_parse_login)
{
	struct session		 s;
	struct haos_error	 err;
	json_t			*resp, *bad;
	json_error_t		 jerr;
	char			*path;

	path = test_fixture("matrix/login-response.json");
	resp = json_load_file(path, 0, &jerr);
	ck_assert_ptr_nonnull(resp);
	ck_assert_int_eq(matrix_parse_login(resp, "http://127.0.0.1:1", &s,
	    &err), 0);
	ck_assert_str_eq(s.user_id, "@dave-mwuxo8yy:haos.test");
	ck_assert_str_eq(s.device_id, "PVKFCKHZDD");
	ck_assert_str_eq(s.access_token, "<redacted>");
	ck_assert_str_eq(s.homeserver, "http://127.0.0.1:1");
	session_free(&s);

	/* well_known in the login response overrides the URL used. */
	json_object_set_new(resp, "well_known", json_pack("{s:{s:s}}",
	    "m.homeserver", "base_url", "https://hs.example.org/"));
	ck_assert_int_eq(matrix_parse_login(resp, "http://127.0.0.1:1", &s,
	    &err), 0);
	ck_assert_str_eq(s.homeserver, "https://hs.example.org");
	session_free(&s);
	json_decref(resp);
	free(path);

	path = test_fixture("matrix/login-forbidden.json");
	bad = json_load_file(path, 0, &jerr);
	ck_assert_int_eq(matrix_parse_login(bad, "http://x", &s, &err), -1);
	ck_assert_int_eq(err.code, HAOS_EPROTO);
	json_decref(bad);
	free(path);
}
END_TEST

/* A TLS answer never moves the session to plain http on another host. */
START_TEST(test_no_downgrade)
{
	struct session		 s;
	struct haos_error	 err;
	json_t			*resp;

	ck_assert(matrix_url_is_loopback("http://127.0.0.1:8008"));
	ck_assert(matrix_url_is_loopback("http://127.1.2.3"));
	ck_assert(matrix_url_is_loopback("http://localhost:8008/x"));
	ck_assert(matrix_url_is_loopback("http://LocalHost"));
	ck_assert(matrix_url_is_loopback("http://[::1]:8008"));
	ck_assert(matrix_url_is_loopback("http://user@127.0.0.1"));
	ck_assert(!matrix_url_is_loopback("http://127.0.0.1.evil.org"));
	ck_assert(!matrix_url_is_loopback("http://localhost.evil.org"));
	ck_assert(!matrix_url_is_loopback("http://127.0.0.1@evil.org"));
	ck_assert(!matrix_url_is_loopback("http://[::1].evil.org"));
	ck_assert(!matrix_url_is_loopback("http://evil.org/127.0.0.1"));
	ck_assert(!matrix_url_is_loopback("http://10.0.0.1"));

	ck_assert(matrix_url_downgrade("https://a.org", "http://b.org"));
	ck_assert(matrix_url_downgrade("https://a.org", "http://a.org:80"));
	ck_assert(!matrix_url_downgrade("https://a.org", "https://b.org"));
	ck_assert(!matrix_url_downgrade("https://a.org", "http://[::1]:1"));
	ck_assert(!matrix_url_downgrade("https://a.org",
	    "http://127.0.0.1:8008"));
	/* The user chose http: nothing to give up. */
	ck_assert(!matrix_url_downgrade("http://a.org", "http://b.org"));

	resp = json_pack("{s:s, s:s, s:s, s:{s:{s:s}}}",
	    "user_id", "@dave:example.org", "access_token", "t",
	    "device_id", "D", "well_known", "m.homeserver", "base_url",
	    "http://evil.example.net/");
	ck_assert_int_eq(matrix_parse_login(resp, "https://example.org", &s,
	    &err), 0);
	ck_assert_str_eq(s.homeserver, "https://example.org");
	session_free(&s);
	/* Configured http: the server may move it (it could anyway). */
	ck_assert_int_eq(matrix_parse_login(resp, "http://example.org", &s,
	    &err), 0);
	ck_assert_str_eq(s.homeserver, "http://evil.example.net");
	session_free(&s);
	json_decref(resp);
}
END_TEST

/* A login answer must be for the user who logged in. */
START_TEST(test_login_user_matches)
{
	ck_assert(matrix_login_user_matches("@alice:example.org",
	    "@alice:example.org"));
	ck_assert(matrix_login_user_matches("@Alice:Example.org",
	    "@alice:example.org"));
	ck_assert(matrix_login_user_matches("alice", "@alice:example.org"));
	ck_assert(matrix_login_user_matches("alice", "@alice:other.org"));
	ck_assert(!matrix_login_user_matches("@alice:example.org",
	    "@mallory:example.org"));
	ck_assert(!matrix_login_user_matches("@alice:example.org",
	    "@alice:evil.org"));
	ck_assert(!matrix_login_user_matches("alice", "@mallory:example.org"));
	ck_assert(!matrix_login_user_matches("alice", "@alicex:example.org"));
	ck_assert(!matrix_login_user_matches("alice", "not-an-id"));
	ck_assert(!matrix_login_user_matches(NULL, "@alice:example.org"));
}
END_TEST

START_TEST(test_json_helpers)
{
	json_t	*o;

	o = json_pack("{s:{s:{s:s, s:i, s:b}}}", "a", "b", "c", "x", "n", 7,
	    "t", 1);
	ck_assert_str_eq(json_path_str(o, "a.b.c", "?"), "x");
	ck_assert_str_eq(json_path_str(o, "a.b.n", "?"), "?");
	ck_assert_int_eq(json_get_int(json_path(o, "a.b"), "n", 0), 7);
	ck_assert_int_eq(json_get_int(json_path(o, "a.b"), "c", -1), -1);
	ck_assert_int_eq(json_get_bool(json_path(o, "a.b"), "t", 0), 1);
	ck_assert_ptr_null(json_path(o, "a.z.c"));
	ck_assert_ptr_null(json_get_obj(o, "zz"));
	json_decref(o);
}
END_TEST

START_TEST(test_paths)
{
	char	*p, *a, *b;
	json_t	*f;

	p = matrix_sync_path("7", "s72594_4483_1934", 30000, 0, NULL);
	ck_assert_str_eq(p, "/_matrix/client/v3/sync?timeout=30000&filter=7"
	    "&since=s72594_4483_1934");
	free(p);
	p = matrix_sync_path(NULL, NULL, 0, 1, "unavailable");
	ck_assert_str_eq(p, "/_matrix/client/v3/sync?timeout=0"
	    "&full_state=true&set_presence=unavailable");
	free(p);
	p = matrix_send_path("!abc:haos.test", "m.room.message", "t 1/2");
	ck_assert_str_eq(p, "/_matrix/client/v3/rooms/%21abc%3Ahaos.test/send/"
	    "m.room.message/t%201%2F2");
	free(p);
	p = matrix_redact_path("!r:h", "$ev/x", "t1");
	ck_assert_str_eq(p, "/_matrix/client/v3/rooms/%21r%3Ah/redact/"
	    "%24ev%2Fx/t1");
	free(p);
	p = matrix_messages_path("!r:h", "t47-11_0", 'b', 50);
	ck_assert_str_eq(p, "/_matrix/client/v3/rooms/%21r%3Ah/messages?"
	    "dir=b&limit=50&from=t47-11_0");
	free(p);
	p = matrix_filter_path("@alice:haos.test");
	ck_assert_str_eq(p, "/_matrix/client/v3/user/%40alice%3Ahaos.test/"
	    "filter");
	free(p);
	f = matrix_sync_filter(40);
	ck_assert_int_eq(json_integer_value(json_path(f,
	    "room.timeline.limit")), 40);
	ck_assert(json_is_true(json_path(f, "room.state.lazy_load_members")));
	ck_assert_ptr_null(json_path(f, "room.state.types"));
	json_decref(f);
	a = matrix_txn_id();
	b = matrix_txn_id();
	ck_assert_str_ne(a, b);
	free(a);
	free(b);
}
END_TEST

/* The device-list requests: every user's devices, tokens escaped. */
START_TEST(test_keys_requests)
{
	static const char *const users[] = { "@a:h", "@b:h" };
	struct matrix_req	*r;
	json_t			*b;

	r = matrix_req_keys_query(users, 2);
	ck_assert_str_eq(r->method, "POST");
	ck_assert_str_eq(r->path, "/_matrix/client/v3/keys/query");
	b = json_loads(r->body, 0, NULL);
	ck_assert_uint_eq(json_object_size(json_object_get(b,
	    "device_keys")), 2);
	ck_assert(json_is_array(json_path(b, "device_keys.@a:h")));
	ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(b,
	    "device_keys"), "@b:h")), 0);
	json_decref(b);
	matrix_req_free(r);
	r = matrix_req_keys_changes("s1_2", "s 3&x");
	ck_assert_str_eq(r->method, "GET");
	ck_assert_str_eq(r->path, "/_matrix/client/v3/keys/changes?"
	    "from=s1_2&to=s%203%26x");
	ck_assert_ptr_null(r->body);
	matrix_req_free(r);
}
END_TEST

/* The key backup requests: ids escaped, the version in the query. */
START_TEST(test_backup_requests)
{
	struct matrix_req	*r;

	r = matrix_req_backup_version();
	ck_assert_str_eq(r->method, "GET");
	ck_assert_str_eq(r->path, "/_matrix/client/v3/room_keys/version");
	matrix_req_free(r);
	r = matrix_req_backup_keys("3", NULL, NULL);
	ck_assert_str_eq(r->path,
	    "/_matrix/client/v3/room_keys/keys?version=3");
	matrix_req_free(r);
	r = matrix_req_backup_keys("3", "!r:h", "a+b/c");
	ck_assert_str_eq(r->method, "GET");
	ck_assert_str_eq(r->path, "/_matrix/client/v3/room_keys/keys/"
	    "%21r%3Ah/a%2Bb%2Fc?version=3");
	matrix_req_free(r);
	r = matrix_req_backup_put("4&x", json_pack("{s:{}}", "rooms"));
	ck_assert_str_eq(r->method, "PUT");
	ck_assert_str_eq(r->path,
	    "/_matrix/client/v3/room_keys/keys?version=4%26x");
	ck_assert_str_eq(r->body, "{\"rooms\":{}}");
	matrix_req_free(r);
}
END_TEST

Suite *
suite_matrix(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("matrix");
	tc = tcase_create("parse");
	tcase_add_test(tc, test_user_ids);
	tcase_add_test(tc, test_base_url);
	tcase_add_test(tc, test_well_known);
	tcase_add_test(tc, test_login_body);
	tcase_add_test(tc, test_parse_login);
	tcase_add_test(tc, test_no_downgrade);
	tcase_add_test(tc, test_login_user_matches);
	tcase_add_test(tc, test_json_helpers);
	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_keys_requests);
	tcase_add_test(tc, test_backup_requests);
	suite_add_tcase(s, tc);
	return s;
}
