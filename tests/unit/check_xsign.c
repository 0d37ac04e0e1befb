/* Cross-signing: the chain checks, TOFU of master keys (E2EE.md Step 7). */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/cmd.h"
#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/net.h"
#include "haos/render.h"
#include "haos/matrix.h"
#include "haos/store.h"
#include "haos/store-xsign.h"
#include "haos/xmalloc.h"

#define ME	"@me:h"
#define MYDEV	"MYDEV"
#define BOB	"@bob:h"
#define ROOM	"!enc:h"

/*
 * Real keys made for each test: an account's ed25519 key stands for a
 * cross-signing key (the same curve and signature), signing under the
 * key id "ed25519:<public key>" as cross-signing keys do.
 */
enum { MSK, SSK, USK, MSK2, SSK2, DEV, DEV2, OTHER, NKEYS };

static char			*dir;
static struct store		*st;
static struct crypto_account	*k[NKEYS];

static void
setup(void)
{
	struct haos_error	 err;
	char			*path;
	size_t			 i;

	dir = test_tmpdir();
	path = xasprintf("%s/cache.db", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	free(path);
	for (i = 0; i < NKEYS; i++) {
		k[i] = crypto_account_new(&err);
		ck_assert_ptr_nonnull(k[i]);
	}
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_tracked_self(st, ME, &err), 0);
	ck_assert_int_eq(store_tracked_want(st, BOB, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
}

static void
teardown(void)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		crypto_account_free(k[i]);
	store_close(st);
	test_rmtree(dir);
	free(dir);
}

static const char *
pub(int i)
{
	return crypto_account_ed25519(k[i]);
}

/* Sign obj as user's cross-signing key i. */
static void
xsign(json_t *obj, int i, const char *user)
{
	struct haos_error	 err;

	ck_assert_int_eq(crypto_sign_json(k[i], obj, user, pub(i), &err), 0);
}

/* A cross-signing key object of user: key i, this usage. */
static json_t *
xkey(const char *user, const char *usage, int i)
{
	json_t	*o;
	char	*id;

	id = xasprintf("ed25519:%s", pub(i));
	o = json_pack("{s:s, s:[s], s:{s:s}}", "user_id", user, "usage",
	    usage, "keys", id, pub(i));
	free(id);
	return o;
}

/* The device keys of device dev of user, key i, self-signed. */
static json_t *
device(const char *user, const char *dev, int i)
{
	struct haos_error	 err;
	json_t			*o;

	o = matrix_device_keys(user, dev, crypto_account_curve25519(k[i]),
	    crypto_account_ed25519(k[i]));
	ck_assert_int_eq(crypto_sign_json(k[i], o, user, dev, &err), 0);
	return o;
}

/*
 * A /keys/query answer for user: device dev (key dk) signed by ssk
 * when sign_dev, the MSK msk, the SSK ssk signed by ssk_signer.
 */
static json_t *
answer(const char *user, const char *dev, int dk, int sign_dev, int msk,
    int ssk, int ssk_signer)
{
	json_t	*d, *m, *s;

	d = device(user, dev, dk);
	if (sign_dev)
		xsign(d, ssk, user);
	m = xkey(user, "master", msk);
	s = xkey(user, "self_signing", ssk);
	xsign(s, ssk_signer, user);
	return json_pack("{s:{s:{s:o}}, s:{s:o}, s:{s:o}}", "device_keys",
	    user, dev, d, "master_keys", user, m, "self_signing_keys", user,
	    s);
}

/* Store user's part of a (taken), as net-devices.c does; refused count. */
static int
apply(const char *user, json_t *a)
{
	struct haos_error	 err;
	int			 rc;

	ck_assert_int_eq(store_begin(st, &err), 0);
	rc = crypto_xsign_devices_store(st, user, a, &err);
	ck_assert_msg(rc >= 0, "%s", err.msg);
	ck_assert_msg(crypto_xsign_store(st, ME, MYDEV, user, a, &err) == 0,
	    "%s", err.msg);
	ck_assert_int_eq(store_commit(st, &err), 0);
	json_decref(a);
	return rc;
}

/* Whether user's device dev is stored, and its cross_signed mark. */
static int
signed_mark(const char *user, const char *dev)
{
	struct haos_error	 err;
	struct xsign_device	*rows;
	size_t			 i, n;
	int			 v = -1;

	ck_assert_int_eq(store_xsign_devices(st, user, &rows, &n, &err), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].device_id, dev) == 0)
			v = rows[i].cross_signed;
	}
	xsign_devices_free(rows, n);
	return v;
}

static char *
stored_key(const char *user, const char *usage)
{
	struct haos_error	 err;
	char			*p;

	ck_assert_int_ne(store_xsign_key_get(st, user, usage, &p, NULL, &err),
	    -1);
	return p;
}

static int
warned(const char *user, const char *dev, const char *reason)
{
	struct haos_error	 err;
	struct device_warning	*w;
	size_t			 i, n;
	int			 found = 0;

	ck_assert_int_eq(store_device_warnings(st, user, &w, &n, &err), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(w[i].reason, reason) == 0 && (dev == NULL ||
		    strcmp(w[i].device_id, dev) == 0))
			found = 1;
	}
	device_warnings_free(w, n);
	return found;
}

static struct xsign_user
user(const char *u)
{
	struct haos_error	 err;
	struct xsign_user	 x;

	ck_assert_int_eq(store_xsign_user(st, u, &x, &err), 1);
	return x;
}

START_TEST(test_key_check)
{
	const char	*p, *why;
	json_t		*o;
	char		*id;

	o = xkey(BOB, "master", MSK);
	ck_assert_int_eq(crypto_xsign_key_check(BOB, "master", o, &p, &why),
	    0);
	ck_assert_str_eq(p, pub(MSK));
	/* Listed as another usage, or under another user. */
	ck_assert_int_eq(crypto_xsign_key_check(BOB, "self_signing", o, &p,
	    &why), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(crypto_xsign_key_check(ME, "master", o, &p, &why),
	    -1);
	/* Two keys in "keys". */
	id = xasprintf("ed25519:%s", pub(SSK));
	json_object_set_new(json_object_get(o, "keys"), id,
	    json_string(pub(SSK)));
	free(id);
	ck_assert_int_eq(crypto_xsign_key_check(BOB, "master", o, &p, &why),
	    -1);
	json_decref(o);
	/* The key id and the key disagree. */
	o = xkey(BOB, "master", MSK);
	id = xasprintf("ed25519:%s", pub(MSK));
	json_object_set_new(json_object_get(o, "keys"), id,
	    json_string(pub(SSK)));
	free(id);
	ck_assert_int_eq(crypto_xsign_key_check(BOB, "master", o, &p, &why),
	    -1);
	json_decref(o);
	/* Not ed25519. */
	o = json_pack("{s:s, s:[s], s:{s:s}}", "user_id", BOB, "usage",
	    "master", "keys", "curve25519:x", "x");
	ck_assert_int_eq(crypto_xsign_key_check(BOB, "master", o, &p, &why),
	    -1);
	json_decref(o);
}
END_TEST

/* MSK -> SSK -> device: stored, the device cross-signed, MSK pinned. */
START_TEST(test_good_chain)
{
	struct xsign_user	 u;
	json_t			*a;
	char			*p;

	a = answer(BOB, "BOBDEV", DEV, 1, MSK, SSK, MSK);
	json_object_set_new(json_object_get(json_object_get(a, "device_keys"),
	    BOB), "UNSIGNED", device(BOB, "UNSIGNED", DEV2));
	ck_assert_int_eq(apply(BOB, a), 0);
	ck_assert_int_eq(signed_mark(BOB, "BOBDEV"), 1);
	ck_assert_int_eq(signed_mark(BOB, "UNSIGNED"), 0);
	p = stored_key(BOB, XSIGN_MASTER);
	ck_assert_str_eq(p, pub(MSK));
	free(p);
	p = stored_key(BOB, XSIGN_SELF_SIGNING);
	ck_assert_str_eq(p, pub(SSK));
	free(p);
	u = user(BOB);
	ck_assert_str_eq(u.pinned, pub(MSK));
	ck_assert_int_eq(u.changed, 0);
	ck_assert_int_eq(u.verified, 0);	/* we signed nothing */
	xsign_user_free(&u);
}
END_TEST

/* An SSK not signed by the MSK: not stored, its devices not signed. */
START_TEST(test_bad_ssk_signature)
{
	char	*p;

	ck_assert_int_eq(apply(BOB, answer(BOB, "BOBDEV", DEV, 1, MSK, SSK,
	    OTHER)), 0);
	ck_assert_int_eq(signed_mark(BOB, "BOBDEV"), 0);
	ck_assert_ptr_null(stored_key(BOB, XSIGN_SELF_SIGNING));
	p = stored_key(BOB, XSIGN_MASTER);
	ck_assert_str_eq(p, pub(MSK));
	free(p);
}
END_TEST

/* An SSK listed with the master usage is no SSK. */
START_TEST(test_wrong_usage)
{
	json_t	*a, *s;

	a = answer(BOB, "BOBDEV", DEV, 1, MSK, SSK, MSK);
	s = xkey(BOB, "master", SSK);
	xsign(s, MSK, BOB);
	json_object_set_new(json_object_get(a, "self_signing_keys"), BOB, s);
	ck_assert_int_eq(apply(BOB, a), 0);
	ck_assert_int_eq(signed_mark(BOB, "BOBDEV"), 0);
	ck_assert_ptr_null(stored_key(BOB, XSIGN_SELF_SIGNING));
}
END_TEST

/* A master key with two keys in "keys" is refused, and all below it. */
START_TEST(test_two_keys)
{
	struct xsign_user	 u;
	json_t			*a, *m;
	char			*id;

	a = answer(BOB, "BOBDEV", DEV, 1, MSK, SSK, MSK);
	m = json_object_get(json_object_get(a, "master_keys"), BOB);
	id = xasprintf("ed25519:%s", pub(OTHER));
	json_object_set_new(json_object_get(m, "keys"), id,
	    json_string(pub(OTHER)));
	free(id);
	ck_assert_int_eq(apply(BOB, a), 0);
	ck_assert_ptr_null(stored_key(BOB, XSIGN_MASTER));
	ck_assert_ptr_null(stored_key(BOB, XSIGN_SELF_SIGNING));
	ck_assert_int_eq(signed_mark(BOB, "BOBDEV"), 0);
	u = user(BOB);
	ck_assert_ptr_null(u.pinned);
	xsign_user_free(&u);
}
END_TEST

/* A device whose id is a cross-signing key: refused, with a warning. */
START_TEST(test_device_id_is_key)
{
	json_t	*a, *devs;

	a = answer(BOB, "BOBDEV", DEV, 1, MSK, SSK, MSK);
	devs = json_object_get(json_object_get(a, "device_keys"), BOB);
	json_object_set_new(devs, pub(MSK), device(BOB, pub(MSK), DEV2));
	ck_assert_int_eq(apply(BOB, a), 1);
	ck_assert_int_eq(signed_mark(BOB, pub(MSK)), -1);	/* not stored */
	ck_assert_int_eq(signed_mark(BOB, "BOBDEV"), 1);
	ck_assert(warned(BOB, pub(MSK), "device_id_is_cross_signing_key"));
	/* Another user's key, known from before, counts too. */
	a = answer(ME, "SNEAKY", DEV2, 0, MSK2, SSK2, MSK2);
	devs = json_object_get(json_object_get(a, "device_keys"), ME);
	json_object_set_new(devs, pub(SSK), device(ME, pub(SSK), OTHER));
	ck_assert_int_eq(apply(ME, a), 1);
	ck_assert_int_eq(signed_mark(ME, pub(SSK)), -1);
}
END_TEST

/* A new master key: flagged, warned, held until acknowledged. */
START_TEST(test_msk_change_and_trust)
{
	struct haos_error	 err;
	struct xsign_user	 u;

	ck_assert_int_eq(apply(BOB, answer(BOB, "BOBDEV", DEV, 1, MSK, SSK,
	    MSK)), 0);
	ck_assert_int_eq(apply(BOB, answer(BOB, "BOBDEV", DEV, 0, MSK2,
	    SSK2, MSK2)), 0);
	u = user(BOB);
	ck_assert_str_eq(u.pinned, pub(MSK));
	ck_assert_str_eq(u.msk, pub(MSK2));
	ck_assert_int_eq(u.changed, 1);
	xsign_user_free(&u);
	ck_assert(warned(BOB, pub(MSK2), "master_key_changed"));
	/* Asked again, it stays flagged. */
	ck_assert_int_eq(apply(BOB, answer(BOB, "BOBDEV", DEV, 0, MSK2,
	    SSK2, MSK2)), 0);
	u = user(BOB);
	ck_assert_int_eq(u.changed, 1);
	xsign_user_free(&u);
	/* Acknowledged: the new key pinned, the flag and warning gone. */
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_xsign_trust(st, BOB, &err), 1);
	ck_assert_int_eq(crypto_xsign_trust(st, BOB, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	u = user(BOB);
	ck_assert_str_eq(u.pinned, pub(MSK2));
	ck_assert_int_eq(u.changed, 0);
	xsign_user_free(&u);
	ck_assert(!warned(BOB, NULL, "master_key_changed"));
	/* The same key again is no change. */
	ck_assert_int_eq(apply(BOB, answer(BOB, "BOBDEV", DEV, 0, MSK2,
	    SSK2, MSK2)), 0);
	u = user(BOB);
	ck_assert_int_eq(u.changed, 0);
	xsign_user_free(&u);
}
END_TEST

/*
 * The pin outlives tracking: Bob leaves our encrypted rooms (untracked)
 * and comes back with another master key: that is still a change.
 */
START_TEST(test_pin_survives_untrack)
{
	struct haos_error	 err;
	struct xsign_user	 u;

	ck_assert_int_eq(apply(BOB, answer(BOB, "BOBDEV", DEV, 1, MSK, SSK,
	    MSK)), 0);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_ne(store_tracked_left(st, BOB, &err), -1);
	ck_assert_int_eq(store_xsign_user(st, BOB, &u, &err), 0);
	ck_assert_int_ne(store_tracked_want(st, BOB, &err), -1);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_int_eq(apply(BOB, answer(BOB, "BOBDEV", DEV, 0, MSK2,
	    SSK2, MSK2)), 0);
	u = user(BOB);
	ck_assert_str_eq(u.pinned, pub(MSK));
	ck_assert_int_eq(u.changed, 1);
	xsign_user_free(&u);
	ck_assert(warned(BOB, pub(MSK2), "master_key_changed"));
}
END_TEST

/*
 * Our identity: this device signed by our SSK makes our MSK verified;
 * Bob's MSK signed by our USK makes his verified, unsigned it is not.
 */
START_TEST(test_own_and_usk)
{
	struct xsign_user	 u;
	json_t			*a, *usk, *bm;
	char			*key;

	a = answer(ME, MYDEV, DEV, 1, MSK, SSK, MSK);
	usk = xkey(ME, "user_signing", USK);
	xsign(usk, MSK, ME);
	json_object_set_new(a, "user_signing_keys", json_pack("{s:o}", ME,
	    usk));
	ck_assert_int_eq(apply(ME, a), 0);
	ck_assert_int_eq(signed_mark(ME, MYDEV), 1);
	u = user(ME);
	ck_assert_int_eq(u.verified, 1);
	xsign_user_free(&u);
	key = stored_key(ME, XSIGN_USER_SIGNING);
	ck_assert_ptr_nonnull(key);
	free(key);

	a = answer(BOB, "BOBDEV", DEV2, 1, MSK2, SSK2, MSK2);
	ck_assert_int_eq(apply(BOB, a), 0);
	u = user(BOB);
	ck_assert_int_eq(u.verified, 0);
	xsign_user_free(&u);
	a = answer(BOB, "BOBDEV", DEV2, 1, MSK2, SSK2, MSK2);
	bm = json_object_get(json_object_get(a, "master_keys"), BOB);
	xsign(bm, USK, ME);
	ck_assert_int_eq(apply(BOB, a), 0);
	u = user(BOB);
	ck_assert_int_eq(u.verified, 1);
	xsign_user_free(&u);
	/* A USK not signed by our MSK vouches for nobody. */
	a = answer(ME, MYDEV, DEV, 1, MSK, SSK, MSK);
	usk = xkey(ME, "user_signing", USK);
	xsign(usk, OTHER, ME);
	json_object_set_new(a, "user_signing_keys", json_pack("{s:o}", ME,
	    usk));
	ck_assert_int_eq(apply(ME, a), 0);
	ck_assert_ptr_null(stored_key(ME, XSIGN_USER_SIGNING));
	a = answer(BOB, "BOBDEV", DEV2, 1, MSK2, SSK2, MSK2);
	bm = json_object_get(json_object_get(a, "master_keys"), BOB);
	xsign(bm, USK, ME);
	ck_assert_int_eq(apply(BOB, a), 0);
	u = user(BOB);
	ck_assert_int_eq(u.verified, 0);
	xsign_user_free(&u);
	/* Nor does a good USK while this device is not cross-signed. */
	a = answer(ME, MYDEV, DEV, 0, MSK, SSK, MSK);
	usk = xkey(ME, "user_signing", USK);
	xsign(usk, MSK, ME);
	json_object_set_new(a, "user_signing_keys", json_pack("{s:o}", ME,
	    usk));
	ck_assert_int_eq(apply(ME, a), 0);
	u = user(ME);
	ck_assert_int_eq(u.verified, 0);
	xsign_user_free(&u);
	a = answer(BOB, "BOBDEV", DEV2, 1, MSK2, SSK2, MSK2);
	bm = json_object_get(json_object_get(a, "master_keys"), BOB);
	xsign(bm, USK, ME);
	ck_assert_int_eq(apply(BOB, a), 0);
	u = user(BOB);
	ck_assert_int_eq(u.verified, 0);
	xsign_user_free(&u);
}
END_TEST

/* Ingest one /sync answer given as JSON text. */
static void
sync_text(const char *text)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_error_t		 jerr;
	json_t			*j;

	j = json_loads(text, 0, &jerr);
	ck_assert_msg(j != NULL, "%s", jerr.text);
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	ingest_result_free(&res);
	json_decref(j);
}

#define MEMBER(who) \
	"{\"type\":\"m.room.member\",\"state_key\":\"" who "\"," \
	"\"sender\":\"" who "\",\"event_id\":\"$m" who "\"," \
	"\"content\":{\"membership\":\"join\"}}"

/* An encrypted room with Bob in it. */
static void
room_with_bob(void)
{
	sync_text("{\"next_batch\":\"s1\",\"rooms\":{\"join\":{\"" ROOM
	    "\":{\"state\":{\"events\":[{\"type\":\"m.room.encryption\","
	    "\"state_key\":\"\",\"sender\":\"" ME "\",\"event_id\":\"$e\","
	    "\"content\":{\"algorithm\":\"m.megolm.v1.aes-sha2\"}},"
	    MEMBER(ME) "," MEMBER(BOB) "]},\"timeline\":{\"events\":[]}}}}}");
}

static size_t
changed_in_room(void)
{
	struct haos_error	 err;
	char			**u;
	size_t			 n;

	ck_assert_int_eq(store_xsign_changed_in_room(st, ROOM, &u, &n, &err),
	    0);
	if (n > 0)
		ck_assert_str_eq(u[0], BOB);
	store_xsign_users_free(u, n);
	return n;
}

/* The held note of the room's only echo, or NULL (the caller frees). */
static char *
echo_held(void)
{
	struct haos_error	 err;
	struct event_row	*rows;
	char			*h = NULL;
	size_t			 i, n;

	ck_assert_int_eq(store_query_timeline(st, ROOM, STORE_LATEST, 50, 0,
	    ME, &rows, &n, &err), 0);
	for (i = 0; i < n; i++) {
		if (rows[i].echo != OUTBOX_NONE && rows[i].held != NULL)
			h = xstrdup(rows[i].held);
	}
	event_rows_free(rows, n);
	return h;
}

/*
 * The change log after seq (-1: its end): the new seq, which moved only
 * if ROOM is among the rooms changed.
 */
static int64_t
room_seq(int64_t seq)
{
	struct haos_error	 err;
	char			**ids;
	size_t			 n, i;
	int64_t			 now;
	int			 found = 0;

	ck_assert_int_eq(store_changed_rooms(st, seq < 0 ? 0 : seq, &ids, &n,
	    &now, &err), 0);
	for (i = 0; i < n; i++)
		found |= strcmp(ids[i], ROOM) == 0;
	store_changed_rooms_free(ids, n);
	return seq < 0 || found ? now : seq;
}

/* The member pane's trust mark of Bob in the room. */
static int
bob_mark(void)
{
	struct haos_error	 err;
	struct member_row	*m;
	size_t			 i, n;
	int			 t = -1;

	ck_assert_int_eq(store_query_members(st, ROOM, &m, &n, &err), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(m[i].user_id, BOB) == 0)
			t = m[i].trust;
	}
	member_rows_free(m, n);
	return t;
}

/*
 * A member whose master key changed holds the room (what net-e2ee.c
 * asks), the echo says why; acknowledged, the room goes on.
 */
START_TEST(test_hold_room)
{
	struct haos_error	 err;
	int64_t			 seq;
	char			*h;

	room_with_bob();
	ck_assert_int_eq(apply(BOB, answer(BOB, "BOBDEV", DEV, 1, MSK, SSK,
	    MSK)), 0);
	ck_assert_uint_eq(changed_in_room(), 0);
	seq = room_seq(-1);
	ck_assert_int_eq(apply(BOB, answer(BOB, "BOBDEV", DEV, 1, MSK2,
	    SSK2, MSK2)), 0);
	ck_assert_uint_eq(changed_in_room(), 1);
	/* Bob's mark changes: his room is drawn again. */
	ck_assert_int_ne(room_seq(seq), seq);
	ck_assert_int_eq(bob_mark(), MEMBER_TRUST_CHANGED);
	ck_assert(store_outbox_add(st, ROOM, "t1", "m.room.message", NULL,
	    "{\"body\":\"hi\",\"msgtype\":\"m.text\"}", NULL, &err) > 0);
	ck_assert_int_eq(store_xsign_outbox_hold(st, "t1", "waiting: " BOB
	    "'s identity changed - /trust " BOB " to continue", &err), 0);
	h = echo_held();
	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(h, "waiting: " BOB "'s identity changed - /trust "
	    BOB " to continue");
	free(h);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_xsign_trust(st, BOB, &err), 1);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_uint_eq(changed_in_room(), 0);
	ck_assert_int_eq(bob_mark(), MEMBER_TRUST_NONE);
	ck_assert_int_eq(store_xsign_outbox_hold(st, "t1", NULL, &err), 0);
	ck_assert_ptr_null(echo_held());
}
END_TEST

/* /trust: nothing to accept, or a JOB_TRUST for the user. */
START_TEST(test_cmd_trust)
{
	struct test_capture	 cap;
	struct cmd_ctx		 ctx;

	test_capture_init(&ctx, &cap, ME);
	test_capture_store(&cap, st);
	ck_assert_int_eq(apply(BOB, answer(BOB, "BOBDEV", DEV, 1, MSK, SSK,
	    MSK)), 0);
	ck_assert_int_eq(cmd_run_line(&ctx, "/trust " BOB),
	    CMD_RETURN_NORMAL);
	ck_assert_int_eq(cap.njobs, 0);
	ck_assert_ptr_nonnull(strstr(cap.out, "has not changed"));
	ck_assert_int_eq(apply(BOB, answer(BOB, "BOBDEV", DEV, 1, MSK2,
	    SSK2, MSK2)), 0);
	ck_assert_int_eq(cmd_run_line(&ctx, "/trust " BOB), CMD_RETURN_WAIT);
	ck_assert_int_eq(cap.njobs, 1);
	ck_assert_int_eq(cap.jobs[0]->type, JOB_TRUST);
	ck_assert_str_eq(cap.jobs[0]->state_key, BOB);
	test_capture_free(&cap);
}
END_TEST

/*
 * /devices: each device with its fingerprint in groups and its trust;
 * the server's display name sanitised.
 */
START_TEST(test_cmd_devices)
{
	struct test_capture	 cap;
	struct cmd_ctx		 ctx;
	json_t			*a, *usk, *bm, *d;
	char			*fp, *want, *line, *end;

	a = answer(ME, MYDEV, DEV, 1, MSK, SSK, MSK);
	usk = xkey(ME, "user_signing", USK);
	xsign(usk, MSK, ME);
	json_object_set_new(a, "user_signing_keys", json_pack("{s:o}", ME,
	    usk));
	ck_assert_int_eq(apply(ME, a), 0);
	a = answer(BOB, "BOBDEV", DEV2, 1, MSK2, SSK2, MSK2);
	bm = json_object_get(json_object_get(a, "master_keys"), BOB);
	xsign(bm, USK, ME);
	d = device(BOB, "LAPTOP", OTHER);	/* not cross-signed */
	json_object_set_new(d, "unsigned", json_pack("{s:s}",
	    "device_display_name", "evil\x1b[2Jname"));
	json_object_set_new(json_object_get(json_object_get(a,
	    "device_keys"), BOB), "LAPTOP", d);
	ck_assert_int_eq(apply(BOB, a), 0);

	test_capture_init(&ctx, &cap, ME);
	test_capture_store(&cap, st);
	ck_assert_int_eq(cmd_run_line(&ctx, "/devices " BOB),
	    CMD_RETURN_NORMAL);
	ck_assert_ptr_nonnull(strstr(cap.out, "identity verified"));
	ck_assert_ptr_null(strchr(cap.out, '\x1b'));
	fp = xasprintf("%.4s %.4s", pub(DEV2), pub(DEV2) + 4);
	want = xasprintf("BOBDEV  %s", fp);
	ck_assert_msg(strstr(cap.out, want) != NULL, "%s", cap.out);
	free(want);
	free(fp);
	/* One line each: BOBDEV verified, LAPTOP unverified. */
	line = strstr(cap.out, "  BOBDEV");
	ck_assert_ptr_nonnull(line);
	end = strchr(line, '\n');
	ck_assert_ptr_nonnull(end);
	ck_assert(end - line > 9 && strncmp(end - 9, " verified", 9) == 0);
	line = strstr(cap.out, "  LAPTOP \"evilname\"  ");
	ck_assert_ptr_nonnull(line);
	end = strchr(line, '\n');
	if (end == NULL)
		end = line + strlen(line);
	ck_assert_msg(end - line > 11 && strncmp(end - 11, " unverified", 11) ==
	    0, "%s", cap.out);
	test_capture_free(&cap);

	/* A changed identity: no device counts as verified any more. */
	ck_assert_int_eq(apply(BOB, answer(BOB, "BOBDEV", DEV2, 1, MSK,
	    SSK, MSK)), 0);
	test_capture_init(&ctx, &cap, ME);
	test_capture_store(&cap, st);
	ck_assert_int_eq(cmd_run_line(&ctx, "/devices " BOB),
	    CMD_RETURN_NORMAL);
	ck_assert_ptr_nonnull(strstr(cap.out, "identity CHANGED"));
	ck_assert_ptr_null(strstr(cap.out, " verified"));
	test_capture_free(&cap);
}
END_TEST

/*
 * Our own keys: what crypto_xsign_own_upload() makes passes every check
 * of the chain, our SSK's signature cross-signs this device and our
 * USK's verifies Bob; seeds give back the same keys, new ones differ.
 */
START_TEST(test_own_keys)
{
	struct haos_error	 err;
	struct crypto_xsign_own	*o, *o2, *o3;
	struct xsign_user	 u;
	unsigned char	 seeds[CRYPTO_XSIGN_NKEYS][CRYPTO_XSIGN_SEED_LEN];
	json_t			*up, *a, *d, *bm;
	int			 i;

	o = crypto_xsign_own_new(&err);
	ck_assert_msg(o != NULL, "%s", err.msg);
	o2 = crypto_xsign_own_new(&err);
	ck_assert_ptr_nonnull(o2);
	for (i = 0; i < CRYPTO_XSIGN_NKEYS; i++) {
		ck_assert_str_ne(crypto_xsign_own_public(o, i),
		    crypto_xsign_own_public(o2, i));
		memcpy(seeds[i], crypto_xsign_own_seed(o, i),
		    CRYPTO_XSIGN_SEED_LEN);
	}
	crypto_xsign_own_free(o2);
	o3 = crypto_xsign_own_from_seeds((const unsigned char (*)
	    [CRYPTO_XSIGN_SEED_LEN])seeds, &err);
	ck_assert_ptr_nonnull(o3);
	for (i = 0; i < CRYPTO_XSIGN_NKEYS; i++)
		ck_assert_str_eq(crypto_xsign_own_public(o, i),
		    crypto_xsign_own_public(o3, i));
	crypto_xsign_own_free(o3);

	up = crypto_xsign_own_upload(o, ME, k[DEV], MYDEV, &err);
	ck_assert_msg(up != NULL, "%s", err.msg);
	d = device(ME, MYDEV, DEV);
	ck_assert_int_eq(crypto_xsign_sign_own_device(o, d, ME, &err), 0);
	a = json_pack("{s:{s:{s:o}}, s:{s:O}, s:{s:O}, s:{s:O}}",
	    "device_keys", ME, MYDEV, d,
	    "master_keys", ME, json_object_get(up, "master_key"),
	    "self_signing_keys", ME, json_object_get(up, "self_signing_key"),
	    "user_signing_keys", ME, json_object_get(up, "user_signing_key"));
	json_decref(up);
	ck_assert_int_eq(apply(ME, a), 0);
	ck_assert_int_eq(signed_mark(ME, MYDEV), 1);
	u = user(ME);
	ck_assert_int_eq(u.verified, 1);
	ck_assert_str_eq(u.msk, crypto_xsign_own_public(o, CRYPTO_XSIGN_MSK));
	xsign_user_free(&u);

	a = answer(BOB, "BOBDEV", DEV2, 1, MSK2, SSK2, MSK2);
	bm = json_object_get(json_object_get(a, "master_keys"), BOB);
	ck_assert_int_eq(crypto_xsign_sign_user(o, bm, ME, &err), 0);
	ck_assert_int_eq(apply(BOB, a), 0);
	u = user(BOB);
	ck_assert_int_eq(u.verified, 1);
	xsign_user_free(&u);
	crypto_xsign_own_free(o);
}
END_TEST

/* The status line's words for a changed identity and a key-named device. */
START_TEST(test_warn_words)
{
	struct device_warning	 w;
	char			*t;

	w.user_id = (char *)BOB;
	w.device_id = (char *)"NEWMASTERKEY";
	w.reason = (char *)"master_key_changed";
	w.ts = 0;
	t = render_warn_status(&w, 1);
	ck_assert_str_eq(t, "! " BOB "'s identity changed (new master key "
	    "NEWMASTERKEY): messages to their rooms wait - check it with "
	    "them, then /trust " BOB);
	free(t);
	t = render_warn_detail(&w);
	ck_assert_ptr_nonnull(strstr(t, "identity changed"));
	free(t);
	w.device_id = (char *)"KEYLIKE";
	w.reason = (char *)"device_id_is_cross_signing_key";
	t = render_warn_status(&w, 1);
	ck_assert_str_eq(t, "! " BOB "'s device KEYLIKE has the id of a "
	    "cross-signing key: refused (it may be an attack; its messages "
	    "stay unverified)");
	free(t);
}
END_TEST

Suite *
suite_xsign(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("xsign");
	tc = tcase_create("chain");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_key_check);
	tcase_add_test(tc, test_pin_survives_untrack);
	tcase_add_test(tc, test_good_chain);
	tcase_add_test(tc, test_bad_ssk_signature);
	tcase_add_test(tc, test_wrong_usage);
	tcase_add_test(tc, test_two_keys);
	tcase_add_test(tc, test_device_id_is_key);
	tcase_add_test(tc, test_msk_change_and_trust);
	tcase_add_test(tc, test_own_and_usk);
	tcase_add_test(tc, test_own_keys);
	suite_add_tcase(s, tc);
	tc = tcase_create("use");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_hold_room);
	tcase_add_test(tc, test_cmd_trust);
	tcase_add_test(tc, test_cmd_devices);
	tcase_add_test(tc, test_warn_words);
	suite_add_tcase(s, tc);
	return s;
}
