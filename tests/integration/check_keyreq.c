/*
 * Room key requests between two haos devices of one user on the test
 * homeserver (E2EE.md Step 11): the first device sends a message before
 * the second exists; the second, with no key backup on the account, asks
 * its verified sibling for the key (m.room_key_request in clear), the
 * first answers over Olm (m.forwarded_room_key, a session opened for
 * it), and the second decrypts the message in place and cancels its
 * request.  Both devices trust each other as a verification leaves them
 * (devices.local_trust).  Refused, the second device is told so
 * (m.room_key.withheld).
 */
#include <check.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/net.h"
#include "haos/notify.h"
#include "haos/xmalloc.h"

#include "net_fixture.h"

/* Mark device of user trusted in db, once the device list has it. */
static void
kr_trust(sqlite3 *db, const char *user, const char *device)
{
	sqlite3_stmt	*st;
	char		*q;

	q = xasprintf("SELECT count(*) FROM devices WHERE user_id = '%s' AND "
	    "device_id = ?1", user);
	it_wait(db, q, device, "1", 30);
	free(q);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE devices SET "
	    "local_trust = 1 WHERE user_id = ?1 AND device_id = ?2", -1, &st,
	    NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, user, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, device, -1, SQLITE_TRANSIENT);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* The reverse: device of user no longer trusted in db. */
static void
kr_untrust(sqlite3 *db, const char *user, const char *device)
{
	sqlite3_stmt	*st;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE devices SET "
	    "local_trust = 0 WHERE user_id = ?1 AND device_id = ?2", -1, &st,
	    NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, user, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, device, -1, SQLITE_TRANSIENT);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/* The first m.room_key.withheld u's device has on the server (/sync). */
static json_t *
kr_withheld(struct hs_user *u, double seconds)
{
	double	 end = now_s() + seconds;
	json_t	*r, *ev, *out = NULL;
	char	*path;
	size_t	 i;
	int	 st, try = 0;

	while (out == NULL) {
		ck_assert_msg(now_s() < end, "no m.room_key.withheld for %s",
		    u->device_id);
		/* Each a new timeout: Synapse caches a repeated /sync. */
		path = xasprintf("/_matrix/client/v3/sync?timeout=%d", try++);
		r = hs_call(&hs, u->token, "GET", path, NULL, &st);
		free(path);
		ck_assert_int_eq(st, 200);
		json_array_foreach(json_get_arr(json_get_obj(r, "to_device"),
		    "events"), i,
		    ev) {
			if (out == NULL && strcmp(json_get_str(ev, "type", ""),
			    "m.room_key.withheld") == 0)
				out = json_incref(ev);
		}
		json_decref(r);
		if (out == NULL)
			usleep(500 * 1000);
	}
	return out;
}

START_TEST(test_keyreq_round_trip)
{
	struct hs_user		 a, a2;
	struct notify		*nt, *nt2;
	struct net		*n, *n2;
	sqlite3			*db, *db2;
	json_t			*r, *body, *c;
	char			*store, *kp, *store2, *kp2, *room, *text, *name;
	char			*q;
	int			 st;

	name = hs_unique("kira");
	ck_assert_int_eq(hs_register(&hs, name, &a), 0);
	free(name);
	body = json_pack("{s:s,s:[{s:s,s:s,s:{s:s}}]}", "preset",
	    "private_chat", "initial_state", "type", "m.room.encryption",
	    "state_key", "", "content", "algorithm", "m.megolm.v1.aes-sha2");
	r = hs_call(&hs, a.token, "POST", "/_matrix/client/v3/createRoom",
	    body, &st);
	ck_assert_int_eq(st, 200);
	room = xstrdup(json_get_str(r, "room_id", ""));
	json_decref(r);
	json_decref(body);

	/* The first device sends before the second exists. */
	store = tmp_store_key(&kp);
	nt = notify_new();
	n = start_net_keys(&a, store, kp, nt, 10);
	db = it_open(store);
	c = json_pack("{s:s,s:s}", "msgtype", "m.text", "body",
	    "asked for later");
	text = json_xdumps_take(c);
	net_submit(n, net_job_send(room, "m.room.message", text));
	free(text);
	it_wait(db, "SELECT count(*) FROM outbox WHERE state = 'sent'", NULL,
	    "1", 30);

	/* The second device: a new login, a new cache, no backup. */
	text = xasprintf("{\"type\": \"m.login.password\", \"identifier\": "
	    "{\"type\": \"m.id.user\", \"user\": \"%s\"}, \"password\": "
	    "\"pw-integration\"}", a.user_id);
	body = json_loads(text, 0, NULL);
	free(text);
	r = hs_call(&hs, NULL, "POST", "/_matrix/client/v3/login", body, &st);
	ck_assert_int_eq(st, 200);
	a2.user_id = xstrdup(a.user_id);
	a2.token = xstrdup(json_get_str(r, "access_token", ""));
	a2.device_id = xstrdup(json_get_str(r, "device_id", ""));
	json_decref(r);
	json_decref(body);
	store2 = tmp_store_key(&kp2);
	nt2 = notify_new();
	n2 = start_net_keys(&a2, store2, kp2, nt2, 10);
	db2 = it_open(store2);
	it_wait(db2, "SELECT count(*) FROM events WHERE room = (SELECT id "
	    "FROM rooms WHERE room_id = ?1) AND e2e = 2", room, "1", 30);
	/* Unverified, the first device is not asked. */
	sleep(6);
	it_wait(db2, "SELECT count(*) FROM key_requests", NULL, "0", 1);

	/* Verified both ways, as a verification leaves them. */
	kr_trust(db, a.user_id, a2.device_id);
	kr_trust(db2, a.user_id, a.device_id);
	q = xstrdup("SELECT devices || ' ' || state FROM key_requests "
	    "WHERE room_id = ?1");
	text = xasprintf("[\"%s\"] sent", a.device_id);
	it_wait(db2, q, room, text, 30);
	free(text);
	/* The first device forwards; the message decrypts in place. */
	it_wait(db2, "SELECT group_concat(json_extract(content, '$.body'), "
	    "'|') FROM events WHERE room = (SELECT id FROM rooms WHERE "
	    "room_id = ?1) AND e2e = 1 AND type = 'm.room.message'", room,
	    "asked for later", 90);
	it_wait(db2, "SELECT source || ' ' || authenticated FROM megolm_in "
	    "WHERE room_id = ?1", room, "forwarded 0", 5);
	/* The request is cancelled, and the first device keeps none. */
	text = xasprintf("[\"%s\"] done", a.device_id);
	it_wait(db2, q, room, text, 30);
	free(text);
	free(q);
	it_wait(db, "SELECT count(*) FROM key_requests_in", NULL, "0", 30);

	/*
	 * A refused request of our own device is answered: the second
	 * device, no longer trusted by the first, asks again (stopped, so
	 * its to-device messages stay on the server to read here); the
	 * first sends it alone m.room_key.withheld m.unverified, in clear.
	 */
	net_stop(n2);
	notify_free(nt2);
	sqlite3_close(db2);
	kr_untrust(db, a.user_id, a2.device_id);
	text = it_text(db, "SELECT session_id || ' ' || sender_curve25519 "
	    "FROM megolm_in WHERE room_id = ?1", room);
	ck_assert_ptr_nonnull(text);
	*strchr(text, ' ') = '\0';
	body = json_pack("{s:{s:{s:{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s}}}}}",
	    "messages", a.user_id, a.device_id, "action", "request",
	    "requesting_device_id", a2.device_id, "request_id", "again",
	    "body", "algorithm", "m.megolm.v1.aes-sha2", "room_id", room,
	    "session_id", text, "sender_key", text + strlen(text) + 1);
	r = hs_call(&hs, a2.token, "PUT", "/_matrix/client/v3/sendToDevice/"
	    "m.room_key_request/again", body, &st);
	ck_assert_int_eq(st, 200);
	json_decref(r);
	json_decref(body);
	c = kr_withheld(&a2, 30);
	ck_assert_str_eq(json_path_str(c, "content.code", ""), "m.unverified");
	ck_assert_str_eq(json_path_str(c, "content.room_id", ""), room);
	ck_assert_str_eq(json_path_str(c, "content.session_id", ""), text);
	ck_assert_str_eq(json_get_str(c, "sender", ""), a.user_id);
	json_decref(c);
	free(text);
	net_stop(n);
	notify_free(nt);
	sqlite3_close(db);
	free(room);
	free(store);
	free(kp);
	free(store2);
	free(kp2);
	hs_user_free(&a);
	hs_user_free(&a2);
}
END_TEST

Suite *
suite_keyreq(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("keyreq");
	tc = tcase_create("keyreq");
	tcase_add_checked_fixture(tc, net_fixture_setup,
	    net_fixture_teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_keyreq_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
