/* Device lists on the test homeserver: E2EE.md Step 4 end to end. */
#include <check.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/net.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "net_fixture.h"

static json_t *
dl_call(const struct hs_user *u, const char *method, const char *path,
    json_t *body)
{
	json_t	*r;
	int	 st;

	r = hs_call(&hs, u != NULL ? u->token : NULL, method, path, body, &st);
	ck_assert_msg(st == 200, "%s %s: %d", method, path, st);
	json_decref(body);
	return r;
}

/* Another login of u: a new device (no keys yet). */
static void
dl_login(const struct hs_user *u, struct hs_user *out)
{
	json_t	*r;

	r = dl_call(NULL, "POST", "/_matrix/client/v3/login", json_pack(
	    "{s:s, s:{s:s, s:s}, s:s}", "type", "m.login.password",
	    "identifier", "type", "m.id.user", "user", u->user_id,
	    "password", "pw-integration"));
	out->user_id = xstrdup(u->user_id);
	out->token = xstrdup(json_get_str(r, "access_token", ""));
	out->device_id = xstrdup(json_get_str(r, "device_id", ""));
	json_decref(r);
}

/* Upload u's device keys made of a, as another client would. */
static void
dl_upload(const struct hs_user *u, struct crypto_account *a)
{
	struct haos_error	 err;
	json_t			*dk;

	dk = matrix_device_keys(u->user_id, u->device_id,
	    crypto_account_curve25519(a), crypto_account_ed25519(a));
	ck_assert_int_eq(crypto_sign_json(a, dk, u->user_id, u->device_id,
	    &err), 0);
	json_decref(dl_call(u, "POST", "/_matrix/client/v3/keys/upload",
	    json_pack("{s:o}", "device_keys", dk)));
}

/* A new device of u with keys of its own; the account in *a. */
static void
dl_new_device(const struct hs_user *u, struct hs_user *out,
    struct crypto_account **a)
{
	struct haos_error	 err;

	dl_login(u, out);
	*a = crypto_account_new(&err);
	ck_assert_ptr_nonnull(*a);
	dl_upload(out, *a);
}

/* The ed25519 key of u's device as the server has it, or NULL. */
static char *
dl_server_ed25519(const struct hs_user *asker, const struct hs_user *u)
{
	json_t	*r, *dev;
	char	*kid, *ed = NULL;

	r = dl_call(asker, "POST", "/_matrix/client/v3/keys/query",
	    json_pack("{s:{s:[]}}", "device_keys", u->user_id));
	dev = json_object_get(json_object_get(json_object_get(r,
	    "device_keys"), u->user_id), u->device_id);
	kid = xasprintf("ed25519:%s", u->device_id);
	if (json_get_str(json_get_obj(dev, "keys"), kid, NULL) != NULL)
		ed = xstrdup(json_get_str(json_get_obj(dev, "keys"), kid, ""));
	free(kid);
	json_decref(r);
	return ed;
}

/* The device of user as store_path has it: 1 and *row, or 0. */
static int
dl_device(const char *store_path, const char *user, const char *device,
    struct device_row *row)
{
	struct haos_error	 err;
	struct store		*ro;
	int			 rc;

	ro = store_open(store_path, STORE_RO, &err);
	ck_assert_msg(ro != NULL, "%s", err.msg);
	rc = store_device_get(ro, user, device, row, &err);
	ck_assert_int_ne(rc, -1);
	store_close(ro);
	return rc;
}

/*
 * Wait until store_path has u's device with ed25519 (and deleted as
 * given), or fail after seconds.
 */
static void
dl_wait_device(const char *store_path, const struct hs_user *u,
    const char *ed25519, int deleted, double seconds)
{
	struct device_row	 r;
	double			 end = now_s() + seconds;
	int			 ok = 0;

	while (!ok && now_s() < end) {
		if (dl_device(store_path, u->user_id, u->device_id, &r) == 1) {
			ok = strcmp(r.ed25519, ed25519) == 0 &&
			    r.deleted == deleted;
			device_row_free(&r);
		}
		if (!ok)
			usleep(100 * 1000);
	}
	ck_assert_msg(ok, "%s: device %s of %s never %s", store_path,
	    u->device_id, u->user_id, deleted ? "deleted" : "stored");
}

/* The request log's position now. */
static json_int_t
dl_log_next(void)
{
	json_t		*r;
	json_int_t	 next;

	r = dl_call(NULL, "GET", "/_test/requests", NULL);
	next = json_integer_value(json_object_get(r, "next"));
	json_decref(r);
	return next;
}

/*
 * The requests user made since log position since whose path holds
 * what (and, if who is not NULL, whose body asks for who's devices).
 */
static int
dl_requests(json_int_t since, const char *user, const char *what,
    const char *who, json_t **last)
{
	json_t		*r, *q;
	char		*path;
	size_t		 i;
	int		 n = 0;

	path = xasprintf("/_test/requests?since=%lld", (long long)since);
	r = dl_call(NULL, "GET", path, NULL);
	free(path);
	json_array_foreach(json_object_get(r, "requests"), i, q) {
		if (strcmp(json_get_str(q, "user", ""), user) != 0 ||
		    strstr(json_get_str(q, "path", ""), what) == NULL)
			continue;
		if (who != NULL && json_object_get(json_path(q,
		    "body.device_keys"), who) == NULL)
			continue;
		n++;
		if (last != NULL) {
			json_decref(*last);
			*last = json_incref(q);
		}
	}
	json_decref(r);
	return n;
}

/*
 * Whether, within seconds, user made a /sync since log position since
 * whose query holds what (the first such), and that one holds want.
 */
static int
dl_sync_with(json_int_t since, const char *user, const char *what,
    const char *want, double seconds)
{
	json_t		*r, *q;
	char		*path, *text;
	double		 end = now_s() + seconds;
	size_t		 i;
	int		 found = -1;

	do {
		path = xasprintf("/_test/requests?since=%lld",
		    (long long)since);
		r = dl_call(NULL, "GET", path, NULL);
		free(path);
		json_array_foreach(json_object_get(r, "requests"), i, q) {
			if (strcmp(json_get_str(q, "user", ""), user) != 0 ||
			    strstr(json_get_str(q, "path", ""), "/sync") ==
			    NULL)
				continue;
			text = xasprintf("%s&", json_get_str(q, "query", ""));
			if (strstr(text, what) != NULL)
				found = strstr(text, want) != NULL;
			free(text);
			if (found != -1)
				break;
		}
		json_decref(r);
		if (found == -1)
			usleep(200 * 1000);
	} while (found == -1 && now_s() < end);
	return found == 1;
}

static void
dl_free_user(struct hs_user *u)
{
	hs_user_free(u);
}

/*
 * Alice and Bob in an encrypted room, each with haos: each store gets
 * the other's device with the keys the server has.  A new login of Bob
 * comes through device_lists.changed, its logout marks it deleted.  A
 * change while a /keys/query is out is not lost to that answer: Bob is
 * asked for again.  A restart asks /keys/changes from the last token.
 */
START_TEST(test_device_lists)
{
	struct hs_user		 a, b, b2, b3, b4, b5;
	struct crypto_account	*a2, *a3, *a4, *a5;
	struct notify		*nta, *ntb;
	struct net		*na, *nb;
	json_t			*r, *last = NULL;
	json_int_t		 mark;
	char			*la, *lb, *room, *sa, *sb, *ka, *kb, *d;
	char			*eda = NULL, *edb = NULL, *path, *esc, *tok;
	char			*want;
	const char		*q;
	double			 end;

	if (hs.external) {
		fprintf(stderr, "test_device_lists: needs /_test/, skipped "
		    "against HAOS_TEST_HS_URL\n");
		return;
	}
	la = hs_unique("alice");
	lb = hs_unique("bob");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	ck_assert_int_eq(hs_register(&hs, lb, &b), 0);
	r = dl_call(&a, "POST", "/_matrix/client/v3/createRoom", json_pack(
	    "{s:s, s:[s], s:[{s:s, s:s, s:{s:s}}]}", "preset",
	    "private_chat", "invite", b.user_id, "initial_state", "type",
	    "m.room.encryption", "state_key", "", "content", "algorithm",
	    "m.megolm.v1.aes-sha2"));
	room = xstrdup(json_get_str(r, "room_id", ""));
	json_decref(r);
	esc = matrix_escape(room);
	path = xasprintf("/_matrix/client/v3/rooms/%s/join", esc);
	json_decref(dl_call(&b, "POST", path, json_object()));
	free(path);
	/* Alice speaks last: Bob's lazy-loaded sync knows her. */
	path = xasprintf("/_matrix/client/v3/rooms/%s/send/m.room.message/t1",
	    esc);
	json_decref(dl_call(&a, "PUT", path, json_pack("{s:s, s:s}",
	    "msgtype", "m.text", "body", "hi")));
	free(path);
	free(esc);

	sa = tmp_store();
	sb = tmp_store();
	d = xstrdup(sa);
	*strrchr(d, '/') = '\0';
	ka = xasprintf("%s/pickle-key", d);
	free(d);
	d = xstrdup(sb);
	*strrchr(d, '/') = '\0';
	kb = xasprintf("%s/pickle-key", d);
	free(d);
	nta = notify_new();
	ntb = notify_new();
	na = start_net_keys(&a, sa, ka, nta, 10);
	nb = start_net_keys(&b, sb, kb, ntb, 10);

	/* Each device's keys reach the server, then the other's store. */
	end = now_s() + 20;
	while ((eda == NULL || edb == NULL) && now_s() < end) {
		if (eda == NULL)
			eda = dl_server_ed25519(&b, &a);
		if (edb == NULL)
			edb = dl_server_ed25519(&a, &b);
		usleep(100 * 1000);
	}
	ck_assert_ptr_nonnull(eda);
	ck_assert_ptr_nonnull(edb);
	dl_wait_device(sa, &b, edb, 0, 20);
	dl_wait_device(sb, &a, eda, 0, 20);
	/* Each has its own device too (we track ourselves). */
	dl_wait_device(sa, &a, eda, 0, 20);

	/* Bob logs in again: device_lists.changed brings the new device. */
	dl_new_device(&b, &b2, &a2);
	dl_wait_device(sa, &b2, crypto_account_ed25519(a2), 0, 20);
	dl_wait_device(sb, &b2, crypto_account_ed25519(a2), 0, 20);
	/* Its logout: deleted, the row kept with its keys. */
	json_decref(dl_call(&b2, "POST", "/_matrix/client/v3/logout",
	    json_object()));
	dl_wait_device(sa, &b2, crypto_account_ed25519(a2), 1, 20);
	dl_wait_device(sa, &b, edb, 0, 1);

	/*
	 * The race: Alice's /keys/query for Bob is held 4 s; Bob's device
	 * list changes again meanwhile.  The answer (made after the delay)
	 * would show everything, but Alice must not take it as current for
	 * a change she heard of after asking: she asks again.
	 */
	net_stop(nb);
	nb = NULL;
	mark = dl_log_next();
	json_decref(dl_call(NULL, "POST", "/_test/faults", json_pack(
	    "{s:[{s:s, s:s, s:i, s:i}]}", "faults", "action", "delay",
	    "path", "keys/query", "ms", 4000, "count", 1)));
	dl_new_device(&b, &b3, &a3);
	end = now_s() + 10;
	while (dl_requests(mark, a.user_id, "/keys/query", NULL, NULL) == 0 &&
	    now_s() < end) {
		/* The request is logged once answered: look at the faults. */
		r = dl_call(NULL, "GET", "/_test/faults", NULL);
		if (json_array_size(json_object_get(r, "faults")) == 0) {
			json_decref(r);
			break;
		}
		json_decref(r);
		usleep(50 * 1000);
	}
	usleep(500 * 1000);
	dl_new_device(&b, &b4, &a4);
	dl_wait_device(sa, &b4, crypto_account_ed25519(a4), 0, 20);
	dl_wait_device(sa, &b3, crypto_account_ed25519(a3), 0, 1);
	ck_assert_msg(dl_requests(mark, a.user_id, "/keys/query", b.user_id,
	    NULL) >= 2, "the answer to a query overtaken by a change was "
	    "taken as current");

	/* A restart after a gap: /keys/changes from the last token. */
	net_stop(na);
	mark = dl_log_next();
	dl_new_device(&b, &b5, &a5);
	na = start_net_keys(&a, sa, ka, nta, 10);
	dl_wait_device(sa, &b5, crypto_account_ed25519(a5), 0, 20);
	end = now_s() + 10;
	while (dl_requests(mark, a.user_id, "/keys/changes", NULL, &last) ==
	    0 && now_s() < end)
		usleep(100 * 1000);
	ck_assert_msg(last != NULL, "no /keys/changes after the restart");
	/*
	 * from: where the last run left the lists, the since of this run's
	 * first /sync (timeout=0: a run's first does not long-poll); to:
	 * that sync's next_batch, the since of a later one.
	 */
	q = json_get_str(last, "query", "");
	ck_assert_msg(strncmp(q, "from=", 5) == 0 && strstr(q, "&to=") !=
	    NULL, "%s", q);
	tok = xstrndup(q + 5, (size_t)(strstr(q, "&to=") - q - 5));
	want = xasprintf("since=%s&", tok);
	ck_assert_msg(dl_sync_with(mark, a.user_id, "timeout=0&", want, 1),
	    "/keys/changes %s: not from the first /sync's since", q);
	free(want);
	free(tok);
	want = xasprintf("since=%s&", strstr(q, "&to=") + 4);
	ck_assert_msg(dl_sync_with(mark, a.user_id, want, want, 15),
	    "/keys/changes %s: no /sync from its to", q);
	free(want);
	json_decref(last);
	net_stop(na);

	notify_free(nta);
	notify_free(ntb);
	crypto_account_free(a2);
	crypto_account_free(a3);
	crypto_account_free(a4);
	crypto_account_free(a5);
	dl_free_user(&a);
	dl_free_user(&b);
	dl_free_user(&b2);
	dl_free_user(&b3);
	dl_free_user(&b4);
	dl_free_user(&b5);
	free(eda);
	free(edb);
	free(room);
	free(sa);
	free(sb);
	free(ka);
	free(kb);
	free(la);
	free(lb);
}
END_TEST

/* One of u's one-time keys, claimed by asker (its key), or NULL. */
static char *
dl_claim(const struct hs_user *asker, const struct hs_user *u)
{
	json_t		*r, *keys, *v;
	const char	*k;
	char		*out = NULL;

	r = dl_call(asker, "POST", "/_matrix/client/v3/keys/claim", json_pack(
	    "{s:{s:{s:s}}}", "one_time_keys", u->user_id, u->device_id,
	    "signed_curve25519"));
	keys = json_object_get(json_object_get(json_object_get(r,
	    "one_time_keys"), u->user_id), u->device_id);
	json_object_foreach(keys, k, v) {
		if (out == NULL)
			out = xstrdup(json_get_str(v, "key", ""));
	}
	json_decref(r);
	return out;
}

/* Whether store_path has the Megolm session of room: 1 or 0. */
static int
dl_has_session(const char *store_path, const char *room,
    const char *session_id)
{
	struct haos_error	 err;
	struct store		*ro;
	struct store_megolm_in	 m;
	int			 rc;

	ro = store_open(store_path, STORE_RO, &err);
	ck_assert_msg(ro != NULL, "%s", err.msg);
	rc = store_crypto_in_megolm_get(ro, room, session_id, &m, &err);
	ck_assert_int_ne(rc, -1);
	if (rc == 1)
		store_crypto_in_megolm_free(&m);
	store_close(ro);
	return rc;
}

/*
 * A room key over Olm from a device Alice does not know yet waits; once
 * Bob's device keys are up, the /keys/query that brings them retries it
 * (crypto_in_retry) and the session is stored.
 */
START_TEST(test_retry_after_query)
{
	struct haos_error	 err;
	struct hs_user		 a, b;
	struct crypto_account	*ab;
	struct crypto_olm	*olm;
	struct crypto_megolm_out *mo;
	struct notify		*nt;
	struct net		*n;
	struct store		*ro;
	json_t			*pt, *msg;
	char			*la, *lb, *room, *store, *kp, *d, *eda, *otk;
	char			*curvea, *kid, *sk, *text, *body, *path, *sid;
	int64_t			 kept = 0;
	double			 end;
	int			 type;

	la = hs_unique("alice");
	lb = hs_unique("bob");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	ck_assert_int_eq(hs_register(&hs, lb, &b), 0);
	pt = dl_call(&a, "POST", "/_matrix/client/v3/createRoom", json_pack(
	    "{s:s, s:[s], s:[{s:s, s:s, s:{s:s}}]}", "preset",
	    "private_chat", "invite", b.user_id, "initial_state", "type",
	    "m.room.encryption", "state_key", "", "content", "algorithm",
	    "m.megolm.v1.aes-sha2"));
	room = xstrdup(json_get_str(pt, "room_id", ""));
	json_decref(pt);
	store = tmp_store();
	d = xstrdup(store);
	*strrchr(d, '/') = '\0';
	kp = xasprintf("%s/pickle-key", d);
	free(d);
	nt = notify_new();
	n = start_net_keys(&a, store, kp, nt, 10);
	end = now_s() + 20;
	otk = NULL;
	while ((otk = dl_claim(&b, &a)) == NULL && now_s() < end)
		usleep(100 * 1000);
	ck_assert_msg(otk != NULL, "no one-time key of Alice's");
	eda = dl_server_ed25519(&b, &a);
	ck_assert_ptr_nonnull(eda);
	pt = dl_call(&b, "POST", "/_matrix/client/v3/keys/query", json_pack(
	    "{s:{s:[]}}", "device_keys", a.user_id));
	kid = xasprintf("curve25519:%s", a.device_id);
	curvea = xstrdup(json_get_str(json_path(json_object_get(json_object_get(
	    json_object_get(pt, "device_keys"), a.user_id), a.device_id),
	    "keys"), kid, ""));
	free(kid);
	json_decref(pt);

	/* Bob, with no device keys on the server, sends a room key. */
	ab = crypto_account_new(&err);
	ck_assert_ptr_nonnull(ab);
	olm = crypto_olm_outbound(ab, curvea, otk, &err);
	ck_assert_msg(olm != NULL, "%s", err.msg);
	mo = crypto_megolm_out_new(&err);
	ck_assert_ptr_nonnull(mo);
	sk = crypto_megolm_out_key(mo, &err);
	ck_assert_ptr_nonnull(sk);
	sid = xstrdup(crypto_megolm_out_id(mo));
	pt = json_pack("{s:s, s:{s:s, s:s, s:s, s:s}, s:s, s:s, s:{s:s}, "
	    "s:{s:s}}", "type", "m.room_key", "content", "algorithm",
	    "m.megolm.v1.aes-sha2", "room_id", room, "session_id", sid,
	    "session_key", sk, "sender", b.user_id, "recipient", a.user_id,
	    "recipient_keys", "ed25519", eda, "keys", "ed25519",
	    crypto_account_ed25519(ab));
	text = json_dumps(pt, JSON_COMPACT);
	type = crypto_olm_encrypt(olm, text, strlen(text), &body, &err);
	ck_assert_int_ne(type, -1);
	msg = json_pack("{s:{s:{s:{s:s, s:s, s:{s:{s:i, s:s}}}}}}",
	    "messages", a.user_id, a.device_id, "algorithm",
	    "m.olm.v1.curve25519-aes-sha2", "sender_key",
	    crypto_account_curve25519(ab), "ciphertext", curvea, "type", type,
	    "body", body);
	d = matrix_escape(sid);
	path = xasprintf("/_matrix/client/v3/sendToDevice/m.room.encrypted/"
	    "t%s", d);
	free(d);
	json_decref(dl_call(&b, "PUT", path, msg));
	free(path);

	/* Alice keeps it: its sender's device is unknown. */
	end = now_s() + 20;
	while (kept == 0 && now_s() < end) {
		ro = store_open(store, STORE_RO, &err);
		ck_assert_ptr_nonnull(ro);
		ck_assert_int_eq(store_query_count(ro, "to_device", &kept,
		    &err), 0);
		store_close(ro);
		if (kept == 0)
			usleep(100 * 1000);
	}
	ck_assert_msg(kept == 1, "the room key was not kept (%lld)",
	    (long long)kept);
	usleep(1000 * 1000);
	ck_assert_int_eq(dl_has_session(store, room, sid), 0);

	/* Bob's device keys: device_lists.changed, /keys/query, retry. */
	dl_upload(&b, ab);
	end = now_s() + 20;
	while (dl_has_session(store, room, sid) == 0 && now_s() < end)
		usleep(100 * 1000);
	ck_assert_msg(dl_has_session(store, room, sid) == 1, "the kept room "
	    "key was not taken up after /keys/query");
	net_stop(n);

	notify_free(nt);
	json_decref(pt);
	explicit_bzero(text, strlen(text));
	free(text);
	free(body);
	explicit_bzero(sk, strlen(sk));
	free(sk);
	free(sid);
	crypto_megolm_out_free(mo);
	crypto_olm_free(olm);
	crypto_account_free(ab);
	free(otk);
	free(eda);
	free(curvea);
	free(room);
	free(store);
	free(kp);
	hs_user_free(&a);
	hs_user_free(&b);
	free(la);
	free(lb);
}
END_TEST

Suite *
suite_device_lists(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("device_lists");
	tc = tcase_create("two users");
	tcase_add_checked_fixture(tc, net_fixture_setup,
	    net_fixture_teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_device_lists);
	tcase_add_test(tc, test_retry_after_query);
	suite_add_tcase(s, tc);
	return s;
}
