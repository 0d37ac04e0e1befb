/* The sending side: key-share plan, rotation, claimed keys, payloads. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/crypto-out.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/store.h"
#include "haos/store-crypto-out.h"
#include "haos/xmalloc.h"

static const struct crypto_member members[] = {
	{ "@me:hs", "join" },
	{ "@bob:hs", "join" },
	{ "@carol:hs", "invite" },
	{ "@dave:hs", "leave" },
	{ "@erin:hs", "ban" }
};

static struct crypto_device devices[] = {
	{ "@me:hs", "THIS", "e0", "c0", 0, 0 },
	{ "@me:hs", "OTHER", "e1", "c1", 0, 0 },
	{ "@bob:hs", "B1", "e2", "c2", 0, 0 },
	{ "@bob:hs", "B2", "e3", "c3", 1, 0 },	/* deleted */
	{ "@carol:hs", "C1", "e4", "c4", 0, 0 },
	{ "@dave:hs", "D1", "e5", "c5", 0, 0 },
	{ "@erin:hs", "E1", "e6", "c6", 0, 0 },
	{ "@mallory:hs", "M1", "e7", "c7", 0, 0 }	/* not in the room */
};
#define NDEV	(sizeof devices / sizeof devices[0])
#define NMEM	(sizeof members / sizeof members[0])

/* "user/device" of each recipient, comma-separated. */
static char *
plan(const char *visibility)
{
	struct haos_error	 err = { 0 };
	struct crypto_policy	 p;
	size_t			 out[NDEV], n, i;
	char			*s = xstrdup(""), *t;

	ck_assert_int_eq(crypto_out_policy(NULL, visibility, &p, &err), 0);
	n = crypto_out_recipients(members, NMEM, devices, NDEV, "@me:hs",
	    "THIS", &p, out);
	for (i = 0; i < n; i++) {
		t = xasprintf("%s%s%s/%s", s, i > 0 ? "," : "",
		    devices[out[i]].user_id, devices[out[i]].device_id);
		free(s);
		s = t;
	}
	return s;
}

START_TEST(test_plan_recipients)
{
	char	*s;

	/* Joined members' devices, our other device, invited when shared. */
	s = plan("shared");
	ck_assert_str_eq(s, "@me:hs/OTHER,@bob:hs/B1,@carol:hs/C1");
	free(s);
	s = plan("invited");
	ck_assert_str_eq(s, "@me:hs/OTHER,@bob:hs/B1,@carol:hs/C1");
	free(s);
	/* "joined": invited members wait until they join. */
	s = plan("joined");
	ck_assert_str_eq(s, "@me:hs/OTHER,@bob:hs/B1");
	free(s);
}
END_TEST

START_TEST(test_policy)
{
	struct haos_error	 err = { 0 };
	struct crypto_policy	 p;

	ck_assert_int_eq(crypto_out_policy("{\"algorithm\":"
	    "\"m.megolm.v1.aes-sha2\"}", NULL, &p, &err), 0);
	ck_assert_int_eq(p.rotation_msgs, 100);
	ck_assert_int_eq(p.rotation_ms, 604800000LL);
	ck_assert_int_eq(p.shared_history, 1);
	ck_assert_int_eq(crypto_out_policy("{\"algorithm\":"
	    "\"m.megolm.v1.aes-sha2\",\"rotation_period_msgs\":5,"
	    "\"rotation_period_ms\":1000}", "joined", &p, &err), 0);
	ck_assert_int_eq(p.rotation_msgs, 5);
	ck_assert_int_eq(p.rotation_ms, 1000);
	ck_assert_int_eq(p.shared_history, 0);
	ck_assert_int_eq(p.invited_ok, 0);
	/* An algorithm we do not know: never plaintext, an error. */
	ck_assert_int_eq(crypto_out_policy("{\"algorithm\":\"m.future\"}",
	    NULL, &p, &err), -1);
	ck_assert_int_eq(err.code, HAOS_ECRYPTO);
	ck_assert_int_eq(crypto_out_policy("{}", NULL, &p, &err), -1);
}
END_TEST

/* Rotation due for this state, shared set, members and devices? */
static int
due(const struct crypto_out_state *o, const char *enc, const char *vis,
    const struct crypto_member *m, size_t nm, const struct crypto_device *d,
    size_t nd, int64_t now, const char **why)
{
	static const struct crypto_shared shared[] = {
		{ "@me:hs", "OTHER", NULL }, { "@bob:hs", "B1", NULL },
		{ "@carol:hs", "C1", NULL }
	};
	struct haos_error	 err = { 0 };
	struct crypto_policy	 p;

	ck_assert_int_eq(crypto_out_policy(enc, vis, &p, &err), 0);
	return crypto_out_rotation_due(o, &p, shared, 3, m, nm, d, nd, now,
	    why);
}

START_TEST(test_rotation)
{
	struct crypto_out_state	 o = { 1000, 0, 1 };
	struct crypto_member	 m[NMEM];
	struct crypto_device	 d[NDEV];
	const char		*why, *enc;

	memcpy(m, members, sizeof m);
	memcpy(d, devices, sizeof d);
	ck_assert_int_eq(due(&o, NULL, "shared", m, NMEM, d, NDEV, 2000, &why),
	    0);
	/* N messages: the default, then the room's. */
	o.msg_count = 99;
	ck_assert_int_eq(due(&o, NULL, NULL, m, NMEM, d, NDEV, 2000, &why), 0);
	o.msg_count = 100;
	ck_assert_int_eq(due(&o, NULL, NULL, m, NMEM, d, NDEV, 2000, &why), 1);
	ck_assert_str_eq(why, "message count");
	enc = "{\"algorithm\":\"m.megolm.v1.aes-sha2\","
	    "\"rotation_period_msgs\":3,\"rotation_period_ms\":60000}";
	o.msg_count = 3;
	ck_assert_int_eq(due(&o, enc, NULL, m, NMEM, d, NDEV, 2000, &why), 1);
	o.msg_count = 2;
	ck_assert_int_eq(due(&o, enc, NULL, m, NMEM, d, NDEV, 2000, &why), 0);
	/* T elapsed. */
	ck_assert_int_eq(due(&o, enc, NULL, m, NMEM, d, NDEV, 61000, &why), 1);
	ck_assert_str_eq(why, "age");
	ck_assert_int_eq(due(&o, NULL, NULL, m, NMEM, d, NDEV,
	    1000 + 604800000LL, &why), 1);
	o.msg_count = 0;
	/* History visibility moved from shared to not. */
	ck_assert_int_eq(due(&o, NULL, "joined", m, NMEM, d, NDEV, 2000,
	    &why), 1);
	ck_assert_str_eq(why, "history visibility");
	/* Between two shared ones: no. */
	ck_assert_int_eq(due(&o, NULL, "world_readable", m, NMEM, d, NDEV,
	    2000, &why), 0);
	/* Bob leaves (or is kicked, banned: any non-join). */
	m[1].membership = "leave";
	ck_assert_int_eq(due(&o, NULL, NULL, m, NMEM, d, NDEV, 2000, &why), 1);
	ck_assert_str_eq(why, "a member left");
	m[1].membership = "ban";
	ck_assert_int_eq(due(&o, NULL, NULL, m, NMEM, d, NDEV, 2000, &why), 1);
	m[1].membership = "join";
	/* Gone from the member list altogether. */
	ck_assert_int_eq(due(&o, NULL, NULL, m + 2, NMEM - 2, d, NDEV, 2000,
	    &why), 1);
	/* Bob's device B1 deleted; then gone from the list. */
	d[2].deleted = 1;
	ck_assert_int_eq(due(&o, NULL, NULL, m, NMEM, d, NDEV, 2000, &why), 1);
	ck_assert_str_eq(why, "a device was removed");
	ck_assert_int_eq(due(&o, NULL, NULL, m, NMEM, d + 3, NDEV - 3, 2000,
	    &why), 1);
	d[2].deleted = 0;
	/* A newcomer (Dave joins, a new device) needs no new session. */
	m[3].membership = "join";
	ck_assert_int_eq(due(&o, NULL, NULL, m, NMEM, d, NDEV, 2000, &why), 0);
	/* The invited member Carol got it; invited members no longer may. */
	ck_assert_int_eq(due(&o, NULL, "invited", m, NMEM, d, NDEV, 2000,
	    &why), 1);	/* shared -> not: visibility */
	o.shared_history = 0;
	ck_assert_int_eq(due(&o, NULL, "invited", m, NMEM, d, NDEV, 2000,
	    &why), 0);
	ck_assert_int_eq(due(&o, NULL, "joined", m, NMEM, d, NDEV, 2000,
	    &why), 1);
	ck_assert_str_eq(why, "a member left");
}
END_TEST

/* b's one-time key as /keys/claim answers it, signed by signer. */
static json_t *
claimed_key(struct crypto_account *b, struct crypto_account *signer)
{
	struct haos_error	 err = { 0 };
	json_t			*otks, *v, *obj = NULL;
	const char		*k;

	ck_assert_int_eq(crypto_account_generate_otks(b, 1, &err), 0);
	otks = crypto_account_otks(b, &err);
	json_object_foreach(otks, k, v)
		obj = matrix_key_object(json_string_value(v), 0);
	json_decref(otks);
	crypto_account_mark_published(b);
	ck_assert_int_eq(crypto_sign_json(signer, obj, "@bob:hs", "B1", &err),
	    0);
	return json_pack("{s:o}", "signed_curve25519:AAAAAQ", obj);
}

START_TEST(test_claimed_signature)
{
	struct haos_error	 err = { 0 };
	struct crypto_account	*a, *b, *other;
	struct crypto_device	 d = { "@bob:hs", "B1", NULL, NULL, 0, 0 };
	struct crypto_olm	*o;
	json_t			*c, *empty;

	a = crypto_account_new(&err);
	b = crypto_account_new(&err);
	other = crypto_account_new(&err);
	d.ed25519 = crypto_account_ed25519(b);
	d.curve25519 = crypto_account_curve25519(b);

	c = claimed_key(b, b);
	o = crypto_out_claimed(a, &d, c, &err);
	ck_assert_ptr_nonnull(o);
	crypto_olm_free(o);
	json_decref(c);

	/* Signed by someone else's key: no session. */
	c = claimed_key(b, other);
	o = crypto_out_claimed(a, &d, c, &err);
	ck_assert_ptr_null(o);
	ck_assert_int_eq(err.code, HAOS_ECRYPTO);
	json_decref(c);

	/* The key swapped after signing: no session. */
	c = claimed_key(b, b);
	json_object_set_new(json_get_obj(c, "signed_curve25519:AAAAAQ"),
	    "key", json_string(crypto_account_curve25519(other)));
	o = crypto_out_claimed(a, &d, c, &err);
	ck_assert_ptr_null(o);
	json_decref(c);

	/* Unsigned, or nothing claimed. */
	c = json_pack("{s:{s:s}}", "signed_curve25519:AAAAAQ", "key",
	    crypto_account_curve25519(other));
	ck_assert_ptr_null(crypto_out_claimed(a, &d, c, &err));
	json_decref(c);
	empty = json_object();
	ck_assert_ptr_null(crypto_out_claimed(a, &d, empty, &err));
	json_decref(empty);

	crypto_account_free(a);
	crypto_account_free(b);
	crypto_account_free(other);
}
END_TEST

START_TEST(test_olm_payload)
{
	struct haos_error	 err = { 0 };
	struct crypto_account	*a, *b;
	struct crypto_device	 d = { "@bob:hs", "B1", NULL, NULL, 0, 0 };
	struct crypto_olm	*o, *in;
	json_t			*c, *content, *dk, *msg, *pl;
	char			*pt;
	size_t			 len;

	a = crypto_account_new(&err);
	b = crypto_account_new(&err);
	d.ed25519 = crypto_account_ed25519(b);
	d.curve25519 = crypto_account_curve25519(b);
	c = claimed_key(b, b);
	o = crypto_out_claimed(a, &d, c, &err);
	ck_assert_ptr_nonnull(o);
	json_decref(c);

	content = json_pack("{s:s}", "session_id", "S");
	dk = json_pack("{s:s}", "device_id", "A1");
	c = crypto_out_olm(o, a, "@alice:hs", dk, &d, "m.room_key", content,
	    &err);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(json_get_str(c, "algorithm", ""),
	    "m.olm.v1.curve25519-aes-sha2");
	ck_assert_str_eq(json_get_str(c, "sender_key", ""),
	    crypto_account_curve25519(a));
	msg = json_get_obj(json_get_obj(c, "ciphertext"), d.curve25519);
	ck_assert_ptr_nonnull(msg);
	ck_assert_int_eq(json_get_int(msg, "type", -1), 0);

	in = crypto_olm_inbound(b, crypto_account_curve25519(a),
	    json_get_str(msg, "body", ""), NULL, &err);
	ck_assert_ptr_nonnull(in);
	pt = crypto_olm_decrypt(in, 0, json_get_str(msg, "body", ""), &len,
	    NULL, &err);
	ck_assert_ptr_nonnull(pt);
	pl = json_loads(pt, 0, NULL);
	ck_assert_str_eq(json_get_str(pl, "type", ""), "m.room_key");
	ck_assert_str_eq(json_get_str(pl, "sender", ""), "@alice:hs");
	ck_assert_str_eq(json_get_str(pl, "recipient", ""), "@bob:hs");
	ck_assert_str_eq(json_get_str(json_get_obj(pl, "recipient_keys"),
	    "ed25519", ""), crypto_account_ed25519(b));
	ck_assert_str_eq(json_get_str(json_get_obj(pl, "keys"), "ed25519", ""),
	    crypto_account_ed25519(a));
	ck_assert_str_eq(json_get_str(json_get_obj(pl, "content"),
	    "session_id", ""), "S");
	ck_assert_str_eq(json_get_str(json_get_obj(pl, "sender_device_keys"),
	    "device_id", ""), "A1");
	json_decref(pl);
	free(pt);
	json_decref(c);
	json_decref(content);
	json_decref(dk);
	crypto_olm_free(in);
	crypto_olm_free(o);
	crypto_account_free(a);
	crypto_account_free(b);
}
END_TEST

START_TEST(test_megolm_content)
{
	struct haos_error	 err = { 0 };
	struct crypto_megolm_out *m;
	struct crypto_megolm_in	*in;
	json_t			*c, *pl, *rk;
	char			*key, *wire, *pt;
	size_t			 len;
	uint32_t		 idx;

	m = crypto_megolm_out_new(&err);
	ck_assert_ptr_nonnull(m);
	key = crypto_megolm_out_key(m, &err);
	in = crypto_megolm_in_new(key, &err);
	ck_assert_ptr_nonnull(in);

	rk = crypto_out_room_key(m, "!r:hs", 1, &err);
	ck_assert_str_eq(json_get_str(rk, "algorithm", ""),
	    "m.megolm.v1.aes-sha2");
	ck_assert_str_eq(json_get_str(rk, "room_id", ""), "!r:hs");
	ck_assert_str_eq(json_get_str(rk, "session_id", ""),
	    crypto_megolm_out_id(m));
	ck_assert_str_eq(json_get_str(rk, "session_key", ""), key);
	ck_assert_int_eq(json_get_bool(rk, "shared_history", 0), 1);
	json_decref(rk);

	wire = crypto_out_megolm(m, "!r:hs", "m.reaction", "{\"m.relates_to\":"
	    "{\"rel_type\":\"m.annotation\",\"event_id\":\"$e\",\"key\":"
	    "\"+\"}}", "CURVE", "DEV", &err);
	ck_assert_ptr_nonnull(wire);
	ck_assert_uint_eq(crypto_megolm_out_index(m), 1);
	c = json_loads(wire, 0, NULL);
	ck_assert_str_eq(json_get_str(c, "algorithm", ""),
	    "m.megolm.v1.aes-sha2");
	ck_assert_str_eq(json_get_str(c, "sender_key", ""), "CURVE");
	ck_assert_str_eq(json_get_str(c, "device_id", ""), "DEV");
	ck_assert_str_eq(json_get_str(c, "session_id", ""),
	    crypto_megolm_out_id(m));
	/* The relation in the clear, beside the ciphertext. */
	ck_assert_str_eq(json_get_str(json_get_obj(c, "m.relates_to"),
	    "event_id", ""), "$e");
	ck_assert_ptr_null(strstr(wire, "m.reaction"));
	pt = crypto_megolm_in_decrypt(in, json_get_str(c, "ciphertext", ""),
	    &len, &idx, NULL, &err);
	ck_assert_ptr_nonnull(pt);
	ck_assert_uint_eq(idx, 0);
	pl = json_loads(pt, 0, NULL);
	ck_assert_str_eq(json_get_str(pl, "type", ""), "m.reaction");
	ck_assert_str_eq(json_get_str(pl, "room_id", ""), "!r:hs");
	ck_assert_str_eq(json_get_str(json_get_obj(json_get_obj(pl, "content"),
	    "m.relates_to"), "key", ""), "+");
	json_decref(pl);
	json_decref(c);
	free(pt);
	free(wire);
	/* Not an object: refused, nothing encrypted. */
	ck_assert_ptr_null(crypto_out_megolm(m, "!r:hs", "m.room.message",
	    "[1]", "CURVE", "DEV", &err));
	ck_assert_uint_eq(crypto_megolm_out_index(m), 1);
	free(key);
	crypto_megolm_in_free(in);
	crypto_megolm_out_free(m);
}
END_TEST

START_TEST(test_withheld)
{
	json_t	*w;

	w = crypto_out_withheld("!r:hs", "S", "CURVE", "m.no_olm");
	ck_assert_str_eq(json_get_str(w, "code", ""), "m.no_olm");
	ck_assert_str_eq(json_get_str(w, "session_id", ""), "S");
	ck_assert_str_eq(json_get_str(w, "sender_key", ""), "CURVE");
	ck_assert_str_eq(json_get_str(w, "room_id", ""), "!r:hs");
	ck_assert_str_eq(json_get_str(w, "algorithm", ""),
	    "m.megolm.v1.aes-sha2");
	json_decref(w);
	w = crypto_out_withheld("!r:hs", "S", "CURVE", "m.unverified");
	ck_assert_str_eq(json_get_str(w, "code", ""), "m.unverified");
	ck_assert_str_eq(json_get_str(w, "reason", ""), "The sender has "
	    "disabled encrypting to unverified devices.");
	json_decref(w);
}
END_TEST

/* The pickle store_crypto_out_olm() picks for peer "P". */
static char *
picked(struct store *st)
{
	struct haos_error	 err = { 0 };
	char			*p = NULL;

	ck_assert_int_eq(store_crypto_out_olm(st, "P", &p, &err), 1);
	return p;
}

/* Send with the session that most recently received, else the newest. */
START_TEST(test_olm_choice)
{
	struct haos_error	 err = { 0 };
	struct store		*st;
	char			*dir, *path, *p;

	dir = test_tmpdir();
	path = xasprintf("%s/cache.db", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	ck_assert_int_eq(store_crypto_out_olm(st, "P", &p, &err), 0);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_crypto_out_olm_put(st, "S1", "P", "p1", &err),
	    0);
	ck_assert_int_eq(store_crypto_out_olm_put(st, "X", "Q", "q", &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	usleep(5000);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_crypto_out_olm_put(st, "S2", "P", "p2", &err),
	    0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	p = picked(st);
	ck_assert_str_eq(p, "p2");	/* none received: the newest */
	free(p);
	usleep(5000);
	/* A message arrives on S1 (the receiving side's write). */
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_crypto_in_olm_put(st, "S1", "P", "p1b", NULL,
	    &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	usleep(5000);
	/* Sending on S2, or a newer session of ours, does not outrank it. */
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_crypto_out_olm_put(st, "S2", "P", "p2b", &err),
	    0);
	ck_assert_int_eq(store_crypto_out_olm_put(st, "S3", "P", "p3", &err),
	    0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	p = picked(st);
	ck_assert_str_eq(p, "p1b");
	free(p);
	store_close(st);
	test_rmtree(dir);
	free(dir);
	free(path);
}
END_TEST

/* The action for devices[i] (a copy, cross-signed or not) in a mode. */
static enum crypto_out_action
act(size_t i, int cross_signed, enum crypto_out_share mode,
    const struct crypto_shared *s, size_t ns)
{
	struct haos_error	 err = { 0 };
	struct crypto_policy	 p;
	struct crypto_device	 d = devices[i];

	ck_assert_int_eq(crypto_out_policy(NULL, NULL, &p, &err), 0);
	ck_assert_int_eq(p.share, CRYPTO_OUT_SHARE_ALL);	/* default */
	p.share = mode;
	d.cross_signed = cross_signed;
	return crypto_out_share_action(&d, &p, s, ns);
}

/*
 * Who gets the key and who is told it is withheld (m.unverified), in
 * each mode: only cross-signed keeps it from every unsigned device, our
 * own other device included, once per session; a device signed since
 * gets the current session; a device told m.no_olm waits as before.
 */
START_TEST(test_plan_share_modes)
{
	static const struct crypto_shared withheld[] = {
		{ "@me:hs", "OTHER", "m.unverified" },
		{ "@bob:hs", "B1", "m.unverified" },
		{ "@carol:hs", "C1", "m.no_olm" },
		{ "@dave:hs", "D1", NULL }
	};
	const enum crypto_out_share all = CRYPTO_OUT_SHARE_ALL;
	const enum crypto_out_share xs = CRYPTO_OUT_SHARE_CROSS_SIGNED;

	/* Nothing recorded yet. */
	ck_assert_int_eq(act(1, 0, all, NULL, 0), CRYPTO_OUT_KEY);
	ck_assert_int_eq(act(2, 0, all, NULL, 0), CRYPTO_OUT_KEY);
	ck_assert_int_eq(act(2, 1, all, NULL, 0), CRYPTO_OUT_KEY);
	ck_assert_int_eq(act(1, 0, xs, NULL, 0), CRYPTO_OUT_WITHHOLD);
	ck_assert_int_eq(act(1, 1, xs, NULL, 0), CRYPTO_OUT_KEY);
	ck_assert_int_eq(act(2, 0, xs, NULL, 0), CRYPTO_OUT_WITHHOLD);
	ck_assert_int_eq(act(2, 1, xs, NULL, 0), CRYPTO_OUT_KEY);
	/* Told once: still unsigned, nothing more. */
	ck_assert_int_eq(act(1, 0, xs, withheld, 4), CRYPTO_OUT_SKIP);
	ck_assert_int_eq(act(2, 0, xs, withheld, 4), CRYPTO_OUT_SKIP);
	/* Signed since (or the mode is all now): the key. */
	ck_assert_int_eq(act(1, 1, xs, withheld, 4), CRYPTO_OUT_KEY);
	ck_assert_int_eq(act(2, 1, xs, withheld, 4), CRYPTO_OUT_KEY);
	ck_assert_int_eq(act(2, 0, all, withheld, 4), CRYPTO_OUT_KEY);
	/* m.no_olm: the next session tries again, in either mode. */
	ck_assert_int_eq(act(4, 1, xs, withheld, 4), CRYPTO_OUT_SKIP);
	ck_assert_int_eq(act(4, 0, all, withheld, 4), CRYPTO_OUT_SKIP);
	/* Has the key: nothing, even if no longer signed (rotation's). */
	ck_assert_int_eq(act(5, 1, xs, withheld, 4), CRYPTO_OUT_SKIP);
	ck_assert_int_eq(act(5, 0, xs, withheld, 4), CRYPTO_OUT_SKIP);
	ck_assert_int_eq(act(5, 0, all, withheld, 4), CRYPTO_OUT_SKIP);
}
END_TEST

/* A key holder no longer cross-signed rotates in only-signed mode. */
START_TEST(test_rotation_unsigned)
{
	static const struct crypto_shared s[] = {
		{ "@bob:hs", "B1", NULL },
		{ "@carol:hs", "C1", "m.unverified" },
		{ "@dave:hs", "D1", "m.unverified" }	/* left since */
	};
	struct haos_error	 err = { 0 };
	struct crypto_out_state	 o = { 1000, 0, 1 };
	struct crypto_policy	 p;
	struct crypto_device	 d[NDEV];
	const char		*why;

	memcpy(d, devices, sizeof d);
	d[2].cross_signed = 1;		/* B1 */
	ck_assert_int_eq(crypto_out_policy(NULL, NULL, &p, &err), 0);
	p.share = CRYPTO_OUT_SHARE_CROSS_SIGNED;
	/* Withheld rows are not holders: Dave leaving rotates nothing. */
	ck_assert_int_eq(crypto_out_rotation_due(&o, &p, s, 3, members, NMEM,
	    d, NDEV, 2000, &why), 0);
	d[2].cross_signed = 0;
	ck_assert_int_eq(crypto_out_rotation_due(&o, &p, s, 3, members, NMEM,
	    d, NDEV, 2000, &why), 1);
	ck_assert_str_eq(why, "a device is not cross-signed");
	p.share = CRYPTO_OUT_SHARE_ALL;
	ck_assert_int_eq(crypto_out_rotation_due(&o, &p, s, 3, members, NMEM,
	    d, NDEV, 2000, &why), 0);
}
END_TEST

/* The code of (user, device) in session S's rows, "key" or "none". */
static char *
share_row(struct store *st, const char *user, const char *dev)
{
	struct haos_error	 err = { 0 };
	struct crypto_shared	*s;
	size_t			 n, i;
	char			*r = xstrdup("none");

	ck_assert_int_eq(store_crypto_out_shared(st, "S", 1, &s, &n, &err),
	    0);
	for (i = 0; i < n; i++) {
		if (strcmp(s[i].user_id, user) != 0 ||
		    strcmp(s[i].device_id, dev) != 0)
			continue;
		free(r);
		r = xstrdup(s[i].withheld_code != NULL ? s[i].withheld_code :
		    "key");
	}
	store_crypto_out_shared_free(s, n);
	return r;
}

/* m.unverified gives way to the key (or m.no_olm); nothing else does. */
START_TEST(test_share_rows)
{
	struct haos_error	 err = { 0 };
	struct store		*st;
	char			*dir, *path, *r;

	dir = test_tmpdir();
	path = xasprintf("%s/cache.db", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_ne(store_crypto_out_share_add(st, "S", "@b:hs", "B1", 0,
	    "m.unverified", &err), -1);
	ck_assert_int_ne(store_crypto_out_share_add(st, "S", "@b:hs", "B2", 0,
	    "m.unverified", &err), -1);
	ck_assert_int_ne(store_crypto_out_share_add(st, "S", "@c:hs", "C1", 0,
	    NULL, &err), -1);
	ck_assert_int_ne(store_crypto_out_share_add(st, "S", "@d:hs", "D1", 0,
	    "m.no_olm", &err), -1);
	ck_assert_int_eq(store_commit(st, &err), 0);
	r = share_row(st, "@b:hs", "B1");
	ck_assert_str_eq(r, "m.unverified");
	free(r);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_ne(store_crypto_out_share_add(st, "S", "@b:hs", "B1", 7,
	    NULL, &err), -1);		/* signed since: the key */
	ck_assert_int_ne(store_crypto_out_share_add(st, "S", "@b:hs", "B2", 7,
	    "m.no_olm", &err), -1);	/* signed, but no Olm session */
	ck_assert_int_ne(store_crypto_out_share_add(st, "S", "@c:hs", "C1", 7,
	    "m.unverified", &err), -1);	/* a key stays a key */
	ck_assert_int_ne(store_crypto_out_share_add(st, "S", "@d:hs", "D1", 7,
	    NULL, &err), -1);		/* m.no_olm stays */
	ck_assert_int_eq(store_commit(st, &err), 0);
	r = share_row(st, "@b:hs", "B1");
	ck_assert_str_eq(r, "key");
	free(r);
	r = share_row(st, "@b:hs", "B2");
	ck_assert_str_eq(r, "m.no_olm");
	free(r);
	r = share_row(st, "@c:hs", "C1");
	ck_assert_str_eq(r, "key");
	free(r);
	r = share_row(st, "@d:hs", "D1");
	ck_assert_str_eq(r, "m.no_olm");
	free(r);
	store_close(st);
	test_rmtree(dir);
	free(dir);
	free(path);
}
END_TEST

Suite *
suite_crypto_out(void)
{
	Suite	*s = suite_create("crypto_out");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_plan_recipients);
	tcase_add_test(tc, test_policy);
	tcase_add_test(tc, test_rotation);
	tcase_add_test(tc, test_claimed_signature);
	tcase_add_test(tc, test_olm_payload);
	tcase_add_test(tc, test_megolm_content);
	tcase_add_test(tc, test_withheld);
	tcase_add_test(tc, test_olm_choice);
	tcase_add_test(tc, test_plan_share_modes);
	tcase_add_test(tc, test_rotation_unsigned);
	tcase_add_test(tc, test_share_rows);
	suite_add_tcase(s, tc);
	return s;
}
