/*
 * Server-side key backup on the test homeserver (E2EE.md Step 10):
 * haos, given the backup's key (/backup key, as JOB_BACKUP), uploads the
 * sessions of what it sends to the account's backup; a fresh login of
 * the same user (a new device, a new cache) given the key restores them
 * and decrypts the history it syncs.  Then the server replaces the
 * backup with one whose key is not ours: the new device stops uploading
 * (M_WRONG_ROOM_KEYS_VERSION, then a version it does not trust).
 *
 * Trust by signature: a backup whose auth_data this device signed (as
 * a verified own device would) gets haos's sessions though haos does
 * not hold its key; once the owner (or a hostile server) replaces the
 * auth_data with another public key under the old signature, the next
 * run does not trust it and uploads nothing.
 */
#include <check.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/net.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "net_fixture.h"

#define BK_ALG	"m.megolm_backup.v1.curve25519-aes-sha2"

/* The sessions the server's backup version holds for room. */
static size_t
bk_server_sessions(const struct hs_user *u, const char *version,
    const char *room, json_t **sessions)
{
	json_t	*r;
	char	*path;
	size_t	 n;
	int	 st;

	path = xasprintf("/_matrix/client/v3/room_keys/keys?version=%s",
	    version);
	r = hs_call(&hs, u->token, "GET", path, NULL, &st);
	free(path);
	ck_assert_int_eq(st, 200);
	n = json_object_size(json_get_obj(json_get_obj(json_get_obj(r,
	    "rooms"), room), "sessions"));
	if (sessions != NULL)
		*sessions = r;
	else
		json_decref(r);
	return n;
}

/* A new backup version of u with the public key of key. */
static char *
bk_version(const struct hs_user *u, const unsigned char key[32])
{
	struct haos_error	 err;
	json_t			*r, *body;
	char			*pub, *v;
	int			 st;

	pub = crypto_pk_public(key, 32, &err);
	ck_assert_ptr_nonnull(pub);
	body = json_pack("{s:s,s:{s:s}}", "algorithm", BK_ALG, "auth_data",
	    "public_key", pub);
	r = hs_call(&hs, u->token, "POST", "/_matrix/client/v3/room_keys/"
	    "version", body, &st);
	ck_assert_int_eq(st, 200);
	v = xstrdup(json_get_str(r, "version", ""));
	json_decref(r);
	json_decref(body);
	free(pub);
	return v;
}

static void
bk_send(struct net *n, const char *room, const char *text)
{
	json_t	*c;
	char	*body;

	c = json_pack("{s:s,s:s}", "msgtype", "m.text", "body", text);
	body = json_xdumps_take(c);
	net_submit(n, net_job_send(room, "m.room.message", body));
	free(body);
}

START_TEST(test_backup_round_trip)
{
	struct hs_user		 a, a2;
	struct notify		*nt, *nt2;
	struct net		*n, *n2;
	sqlite3			*db, *db2;
	unsigned char		 key[32], other[32];
	json_t			*r, *body, *keys;
	char			*store, *kp, *store2, *kp2, *room, *v1, *v2;
	char			*b64, *text, *dump, *q, *name;
	int			 st;

	name = hs_unique("hana");
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
	crypto_random(key, sizeof key);
	v1 = bk_version(&a, key);
	b64 = base64_encode(key, sizeof key);

	/* The first device: the key given, two messages sent. */
	store = tmp_store_key(&kp);
	nt = notify_new();
	n = start_net_keys(&a, store, kp, nt, 10);
	net_submit(n, net_job_backup("key", b64));
	db = it_open(store);
	it_wait(db, "SELECT version || ' ' || trusted FROM key_backup",
	    NULL, "1 1", 20);
	bk_send(n, room, "backed up one");
	bk_send(n, room, "backed up two");
	it_wait(db, "SELECT count(*) FROM outbox WHERE state = 'sent'", NULL,
	    "2", 30);
	it_wait(db, "SELECT count(*) FROM megolm_in WHERE room_id = ?1 AND "
	    "backed_up_version = '1'", room, "1", 30);
	ck_assert_uint_eq(bk_server_sessions(&a, v1, room, &keys), 1);
	/* The server holds ciphertext only. */
	dump = json_dumps(keys, 0);
	ck_assert_ptr_null(strstr(dump, "session_key"));
	ck_assert_ptr_null(strstr(dump, "backed up"));
	free(dump);
	json_decref(keys);
	net_stop(n);
	notify_free(nt);
	sqlite3_close(db);

	/* A new device of hana, a new cache: the key restores history. */
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
	/* Without the key the history waits for one. */
	it_wait(db2, "SELECT count(*) FROM events WHERE room = (SELECT id "
	    "FROM rooms WHERE room_id = ?1) AND e2e = 2", room, "2", 30);
	net_submit(n2, net_job_backup("key", b64));
	q = xasprintf("SELECT group_concat(json_extract(content, '$.body'), "
	    "'|') FROM (SELECT content FROM events WHERE room = (SELECT id "
	    "FROM rooms WHERE room_id = ?1) AND e2e = 1 AND type = "
	    "'m.room.message' ORDER BY ordinal)");
	it_wait(db2, q, room, "backed up one|backed up two", 30);
	free(q);
	it_wait(db2, "SELECT source || ' ' || authenticated FROM megolm_in "
	    "WHERE room_id = ?1", room, "backup 0", 5);
	it_wait(db2, "SELECT count(*) FROM undecryptable WHERE room_id = ?1",
	    room, "0", 5);

	/*
	 * The server replaces the backup by one whose key is not ours: a new
	 * session of the new device is not uploaded anywhere.
	 */
	crypto_random(other, sizeof other);
	v2 = bk_version(&a, other);
	bk_send(n2, room, "after the swap");
	it_wait(db2, "SELECT count(*) FROM outbox WHERE state = 'sent'", NULL,
	    "1", 30);
	it_wait(db2, "SELECT version || ' ' || trusted FROM key_backup", NULL,
	    "2 0", 30);
	sleep(2);
	ck_assert_uint_eq(bk_server_sessions(&a, v2, room, NULL), 0);
	ck_assert_uint_eq(bk_server_sessions(&a, v1, room, NULL), 1);
	it_wait(db2, "SELECT count(*) FROM megolm_in WHERE room_id = ?1 AND "
	    "backed_up_version IS NULL", room, "1", 5);
	net_stop(n2);
	notify_free(nt2);
	sqlite3_close(db2);
	explicit_bzero(b64, strlen(b64));
	free(b64);
	free(v1);
	free(v2);
	free(room);
	free(store);
	free(kp);
	free(store2);
	free(kp2);
	hs_user_free(&a);
	hs_user_free(&a2);
}
END_TEST

/* The device identity of u in store (made now), and its signature on ad. */
static void
bk_sign_as_device(const struct hs_user *u, const char *store, const char *kp,
    json_t *ad)
{
	struct haos_error	 err;
	struct store		*s;
	struct crypto_keys	*k;

	s = store_open(store, STORE_RW, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	k = crypto_keys_open(s, kp, u->user_id, u->device_id, &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	ck_assert_int_eq(crypto_sign_json(crypto_keys_account_rw(k), ad,
	    u->user_id, u->device_id, &err), 0);
	crypto_keys_free(k);
	store_close(s);
}

START_TEST(test_backup_signed)
{
	struct haos_error	 err;
	struct crypto_pk_msg	 m;
	struct hs_user		 a;
	struct notify		*nt;
	struct net		*n;
	sqlite3			*db;
	unsigned char		 key[32], other[32];
	json_t			*r, *body, *ad, *keys, *sd;
	const char		*sid;
	char			*store, *kp, *room, *v, *pub, *plain, *path;
	size_t			 len;
	int			 st;

	v = hs_unique("sina");
	ck_assert_int_eq(hs_register(&hs, v, &a), 0);
	free(v);
	body = json_pack("{s:s,s:[{s:s,s:s,s:{s:s}}]}", "preset",
	    "private_chat", "initial_state", "type", "m.room.encryption",
	    "state_key", "", "content", "algorithm", "m.megolm.v1.aes-sha2");
	r = hs_call(&hs, a.token, "POST", "/_matrix/client/v3/createRoom",
	    body, &st);
	ck_assert_int_eq(st, 200);
	room = xstrdup(json_get_str(r, "room_id", ""));
	json_decref(r);
	json_decref(body);

	/* A backup signed by this device; haos is not given its key. */
	store = tmp_store_key(&kp);
	crypto_random(key, sizeof key);
	pub = crypto_pk_public(key, sizeof key, &err);
	ad = json_pack("{s:s}", "public_key", pub);
	free(pub);
	bk_sign_as_device(&a, store, kp, ad);
	body = json_pack("{s:s,s:O}", "algorithm", BK_ALG, "auth_data", ad);
	r = hs_call(&hs, a.token, "POST", "/_matrix/client/v3/room_keys/"
	    "version", body, &st);
	ck_assert_int_eq(st, 200);
	v = xstrdup(json_get_str(r, "version", ""));
	json_decref(r);
	json_decref(body);

	nt = notify_new();
	n = start_net_keys(&a, store, kp, nt, 10);
	db = it_open(store);
	path = xasprintf("%s 1", v);
	it_wait(db, "SELECT version || ' ' || trusted FROM key_backup",
	    NULL, path, 20);
	free(path);
	bk_send(n, room, "signed backup");
	it_wait(db, "SELECT count(*) FROM outbox WHERE state = 'sent'", NULL,
	    "1", 30);
	it_wait(db, "SELECT count(*) FROM megolm_in WHERE room_id = ?1 AND "
	    "backed_up_version IS NOT NULL", room, "1", 30);
	/* What went up opens with the backup's key. */
	ck_assert_uint_eq(bk_server_sessions(&a, v, room, &keys), 1);
	json_object_foreach(json_get_obj(json_get_obj(json_get_obj(keys,
	    "rooms"), room), "sessions"), sid, sd) {
		sd = json_get_obj(sd, "session_data");
		m.ciphertext = (char *)json_get_str(sd, "ciphertext", "");
		m.mac = (char *)json_get_str(sd, "mac", "");
		m.ephemeral = (char *)json_get_str(sd, "ephemeral", "");
		plain = crypto_pk_decrypt(key, sizeof key, &m, &len, &err);
		ck_assert_msg(plain != NULL, "%s", err.msg);
		ck_assert_ptr_nonnull(strstr(plain, "session_key"));
		explicit_bzero(plain, len);
		free(plain);
	}
	json_decref(keys);
	net_stop(n);
	notify_free(nt);

	/*
	 * The auth_data replaced: another public key under the old
	 * signature.  The backup emptied and our marks cleared, the next run
	 * must not upload anything to it.
	 */
	crypto_random(other, sizeof other);
	pub = crypto_pk_public(other, sizeof other, &err);
	json_object_set_new(ad, "public_key", json_string(pub));
	free(pub);
	body = json_pack("{s:s,s:s,s:O}", "algorithm", BK_ALG, "version", v,
	    "auth_data", ad);
	path = xasprintf("/_matrix/client/v3/room_keys/version/%s", v);
	r = hs_call(&hs, a.token, "PUT", path, body, &st);
	ck_assert_int_eq(st, 200);
	free(path);
	json_decref(r);
	json_decref(body);
	path = xasprintf("/_matrix/client/v3/room_keys/keys?version=%s", v);
	r = hs_call(&hs, a.token, "DELETE", path, NULL, &st);
	ck_assert_int_eq(st, 200);
	free(path);
	json_decref(r);
	ck_assert_int_eq(sqlite3_exec(db, "UPDATE megolm_in SET "
	    "backed_up_version = NULL", NULL, NULL, NULL), SQLITE_OK);
	nt = notify_new();
	n = start_net_keys(&a, store, kp, nt, 10);
	path = xasprintf("%s 0", v);
	it_wait(db, "SELECT version || ' ' || trusted FROM key_backup",
	    NULL, path, 20);
	free(path);
	bk_send(n, room, "after the swap");
	it_wait(db, "SELECT count(*) FROM outbox WHERE state = 'sent'", NULL,
	    "2", 30);
	sleep(2);
	ck_assert_uint_eq(bk_server_sessions(&a, v, room, NULL), 0);
	it_wait(db, "SELECT count(*) FROM megolm_in WHERE room_id = ?1 AND "
	    "backed_up_version IS NOT NULL", room, "0", 5);
	net_stop(n);
	notify_free(nt);
	sqlite3_close(db);
	json_decref(ad);
	free(v);
	free(room);
	free(store);
	free(kp);
	hs_user_free(&a);
}
END_TEST

Suite *
suite_backup(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("backup");
	tc = tcase_create("backup");
	tcase_add_checked_fixture(tc, net_fixture_setup,
	    net_fixture_teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_backup_round_trip);
	tcase_add_test(tc, test_backup_signed);
	suite_add_tcase(s, tc);
	return s;
}
