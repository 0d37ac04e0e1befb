/* Device lists: checks, pinning, tracked users (E2EE.md Step 4). */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/matrix.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define ROOM	"!enc:h"
#define PLAIN	"!plain:h"
#define ME	"@me:h"
#define ALICE	"@alice:h"
#define BOB	"@bob:h"

static char			*dir;
static struct store		*st;
static struct crypto_account	*acct, *acct2;

static void
setup(void)
{
	struct haos_error	 err;
	char			*path;

	dir = test_tmpdir();
	path = xasprintf("%s/cache.db", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	free(path);
	acct = crypto_account_new(&err);
	ck_assert_ptr_nonnull(acct);
	acct2 = crypto_account_new(&err);
	ck_assert_ptr_nonnull(acct2);
}

static void
teardown(void)
{
	crypto_account_free(acct);
	crypto_account_free(acct2);
	store_close(st);
	test_rmtree(dir);
	free(dir);
}

/* The device keys of a (as user/device), signed by a, with a name. */
static json_t *
device(struct crypto_account *a, const char *user, const char *dev,
    const char *name)
{
	struct haos_error	 err;
	json_t			*o;

	o = matrix_device_keys(user, dev, crypto_account_curve25519(a),
	    crypto_account_ed25519(a));
	ck_assert_int_eq(crypto_sign_json(a, o, user, dev, &err), 0);
	if (name != NULL)
		json_object_set_new(o, "unsigned", json_pack("{s:s}",
		    "device_display_name", name));
	return o;
}

/* Store a user's device map, as a /keys/query answer; refused count. */
static int
store_answer(const char *user, json_t *devices)
{
	struct haos_error	 err;
	int			 rc;

	ck_assert_int_eq(store_begin(st, &err), 0);
	rc = crypto_devices_store(st, user, devices, &err);
	ck_assert_msg(rc >= 0, "%s", err.msg);
	ck_assert_int_eq(store_commit(st, &err), 0);
	json_decref(devices);
	return rc;
}

static int
check(const char *user, const char *dev, json_t *o)
{
	const char	*ed, *curve, *why;
	int		 rc;

	rc = crypto_device_check(user, dev, o, &ed, &curve, &why);
	ck_assert(rc != -1 || why != NULL);
	json_decref(o);
	return rc;
}

START_TEST(test_check_good)
{
	const char	*ed, *curve, *why;
	json_t		*o;

	o = device(acct, ALICE, "DEV", "phone");
	ck_assert_int_eq(crypto_device_check(ALICE, "DEV", o, &ed, &curve,
	    &why), 1);
	ck_assert_str_eq(ed, crypto_account_ed25519(acct));
	ck_assert_str_eq(curve, crypto_account_curve25519(acct));
	json_decref(o);
}
END_TEST

/* Listed under another user or device id than its own: refused. */
START_TEST(test_check_forged_ids)
{
	struct haos_error	 err;
	json_t			*o;

	ck_assert_int_eq(check(BOB, "DEV", device(acct, ALICE, "DEV",
	    NULL)), -1);
	ck_assert_int_eq(check(ALICE, "OTHER", device(acct, ALICE, "DEV",
	    NULL)), -1);
	/* Signed as what it claims, and still listed elsewhere. */
	ck_assert_int_eq(check(ALICE, "DEV", device(acct, BOB, "DEV",
	    NULL)), -1);
	/*
	 * Keys and signature made for the map's ids (Bob's OTHER), while
	 * the object says it is Alice's DEV: only the ids give it away.
	 */
	o = matrix_device_keys(ALICE, "OTHER", crypto_account_curve25519(acct),
	    crypto_account_ed25519(acct));
	json_object_set_new(o, "device_id", json_string("DEV"));
	ck_assert_int_eq(crypto_sign_json(acct, o, BOB, "OTHER", &err), 0);
	ck_assert_int_eq(check(BOB, "OTHER", json_incref(o)), -1);
	json_object_set_new(o, "user_id", json_string(BOB));
	json_object_set_new(o, "device_id", json_string("OTHER"));
	json_object_del(o, "signatures");
	ck_assert_int_eq(crypto_sign_json(acct, o, BOB, "OTHER", &err), 0);
	ck_assert_int_eq(check(BOB, "OTHER", o), 1);
}
END_TEST

START_TEST(test_check_bad_signature)
{
	struct haos_error	 err;
	json_t			*o;

	/* Changed after signing. */
	o = device(acct, ALICE, "DEV", NULL);
	json_object_set_new(o, "algorithms", json_pack("[s]",
	    "m.olm.v1.curve25519-aes-sha2"));
	ck_assert_int_eq(check(ALICE, "DEV", o), -1);
	/* Signed by another account than the one whose keys it lists. */
	o = matrix_device_keys(ALICE, "DEV", crypto_account_curve25519(acct),
	    crypto_account_ed25519(acct));
	ck_assert_int_eq(crypto_sign_json(acct2, o, ALICE, "DEV", &err), 0);
	ck_assert_int_eq(check(ALICE, "DEV", o), -1);
	/* No signature at all. */
	o = matrix_device_keys(ALICE, "DEV", crypto_account_curve25519(acct),
	    crypto_account_ed25519(acct));
	ck_assert_int_eq(check(ALICE, "DEV", o), -1);
	/* A key that is not 32 bytes, signed anyway. */
	o = matrix_device_keys(ALICE, "DEV", "AAAA",
	    crypto_account_ed25519(acct));
	ck_assert_int_eq(crypto_sign_json(acct, o, ALICE, "DEV", &err), 0);
	ck_assert_int_eq(check(ALICE, "DEV", o), -1);
	/* The unsigned part is not signed: a name changes nothing. */
	o = device(acct, ALICE, "DEV", "x");
	ck_assert_int_eq(check(ALICE, "DEV", o), 1);
}
END_TEST

START_TEST(test_check_missing_key)
{
	struct haos_error	 err;
	json_t			*o;

	o = matrix_device_keys(ALICE, "DEV", crypto_account_curve25519(acct),
	    crypto_account_ed25519(acct));
	json_object_del(json_object_get(o, "keys"), "curve25519:DEV");
	ck_assert_int_eq(crypto_sign_json(acct, o, ALICE, "DEV", &err), 0);
	ck_assert_int_eq(check(ALICE, "DEV", o), -1);
	/* Keys under another device's id do not count either. */
	o = matrix_device_keys(ALICE, "DEV2", crypto_account_curve25519(acct),
	    crypto_account_ed25519(acct));
	json_object_set_new(o, "device_id", json_string("DEV"));
	ck_assert_int_eq(crypto_sign_json(acct, o, ALICE, "DEV", &err), 0);
	ck_assert_int_eq(check(ALICE, "DEV", o), -1);
	/* No keys at all: not a cryptographic device, said silently. */
	ck_assert_int_eq(check(ALICE, "DEV", json_pack("{s:s,s:s}",
	    "user_id", ALICE, "device_id", "DEV")), 0);
	ck_assert_int_eq(check(ALICE, "DEV", json_pack("{s:s,s:s,s:{}}",
	    "user_id", ALICE, "device_id", "DEV", "keys")), 0);
	ck_assert_int_eq(check(ALICE, "DEV", json_string("x")), -1);
}
END_TEST

static int64_t
warnings(const char *user, const char *reason)
{
	struct haos_error	 err;
	struct device_warning	*w;
	size_t			 i, n;
	int64_t			 k = 0;

	ck_assert_int_eq(store_device_warnings(st, user, &w, &n, &err), 0);
	for (i = 0; i < n; i++)
		k += strcmp(w[i].reason, reason) == 0;
	device_warnings_free(w, n);
	return k;
}

/* A good device is stored, with its raw display name; bad ones are not. */
START_TEST(test_store_good_and_bad)
{
	struct haos_error	 err;
	struct device_row	 r;
	json_t			*m;

	m = json_object();
	json_object_set_new(m, "DEV", device(acct, ALICE, "DEV",
	    "\x1b[31mred"));
	json_object_set_new(m, "FORGED", device(acct2, BOB, "FORGED", NULL));
	json_object_set_new(m, "NOKEYS", json_pack("{s:s,s:s}", "user_id",
	    ALICE, "device_id", "NOKEYS"));
	ck_assert_int_eq(store_answer(ALICE, m), 1);
	ck_assert_int_eq(store_device_get(st, ALICE, "DEV", &r, &err), 1);
	ck_assert_str_eq(r.ed25519, crypto_account_ed25519(acct));
	ck_assert_str_eq(r.curve25519, crypto_account_curve25519(acct));
	ck_assert_str_eq(r.display_name, "\x1b[31mred");
	ck_assert_int_eq(r.deleted, 0);
	device_row_free(&r);
	ck_assert_int_eq(store_device_get(st, ALICE, "FORGED", &r, &err), 0);
	ck_assert_int_eq(store_device_get(st, BOB, "FORGED", &r, &err), 0);
	ck_assert_int_eq(store_device_get(st, ALICE, "NOKEYS", &r, &err), 0);
}
END_TEST

/* A known device id with another key: refused, the old one kept, warned. */
START_TEST(test_pin_changed_key)
{
	struct haos_error	 err;
	struct device_row	 r;
	json_t			*m;

	m = json_object();
	json_object_set_new(m, "DEV", device(acct, ALICE, "DEV", "old"));
	ck_assert_int_eq(store_answer(ALICE, m), 0);
	ck_assert_int_eq(warnings(ALICE, "keys_changed"), 0);
	m = json_object();
	json_object_set_new(m, "DEV", device(acct2, ALICE, "DEV", "new"));
	ck_assert_int_eq(store_answer(ALICE, m), 1);
	ck_assert_int_eq(store_device_get(st, ALICE, "DEV", &r, &err), 1);
	ck_assert_str_eq(r.ed25519, crypto_account_ed25519(acct));
	ck_assert_str_eq(r.curve25519, crypto_account_curve25519(acct));
	ck_assert_str_eq(r.display_name, "old");
	ck_assert_int_eq(r.deleted, 0);
	device_row_free(&r);
	ck_assert_int_eq(warnings(ALICE, "keys_changed"), 1);
	ck_assert_int_eq(warnings(BOB, "keys_changed"), 0);
	/* The same keys again: accepted, its name updated. */
	m = json_object();
	json_object_set_new(m, "DEV", device(acct, ALICE, "DEV", "again"));
	ck_assert_int_eq(store_answer(ALICE, m), 0);
	ck_assert_int_eq(store_device_get(st, ALICE, "DEV", &r, &err), 1);
	ck_assert_str_eq(r.display_name, "again");
	device_row_free(&r);
}
END_TEST

/* A new device id with the keys of a device we know: refused. */
START_TEST(test_pin_key_reused)
{
	struct haos_error	 err;
	struct device_row	 r;
	json_t			*m;

	m = json_object();
	json_object_set_new(m, "DEV", device(acct, ALICE, "DEV", NULL));
	ck_assert_int_eq(store_answer(ALICE, m), 0);
	m = json_object();
	json_object_set_new(m, "DEV", device(acct, ALICE, "DEV", NULL));
	json_object_set_new(m, "COPY", device(acct, ALICE, "COPY", NULL));
	ck_assert_int_eq(store_answer(ALICE, m), 1);
	ck_assert_int_eq(store_device_get(st, ALICE, "COPY", &r, &err), 0);
	ck_assert_int_eq(warnings(ALICE, "key_reused"), 1);
	/* Under another user too. */
	m = json_object();
	json_object_set_new(m, "DEV", device(acct, BOB, "DEV", NULL));
	ck_assert_int_eq(store_answer(BOB, m), 1);
	ck_assert_int_eq(store_device_get(st, BOB, "DEV", &r, &err), 0);
}
END_TEST

/* A device no longer listed: deleted = 1, never removed; back if listed. */
START_TEST(test_vanished)
{
	struct haos_error	 err;
	struct device_row	 r;
	json_t			*m;

	m = json_object();
	json_object_set_new(m, "ONE", device(acct, ALICE, "ONE", NULL));
	json_object_set_new(m, "TWO", device(acct2, ALICE, "TWO", NULL));
	ck_assert_int_eq(store_answer(ALICE, m), 0);
	m = json_object();
	json_object_set_new(m, "ONE", device(acct, ALICE, "ONE", NULL));
	ck_assert_int_eq(store_answer(ALICE, m), 0);
	ck_assert_int_eq(store_device_get(st, ALICE, "TWO", &r, &err), 1);
	ck_assert_int_eq(r.deleted, 1);
	ck_assert_str_eq(r.ed25519, crypto_account_ed25519(acct2));
	device_row_free(&r);
	ck_assert_int_eq(store_device_get(st, ALICE, "ONE", &r, &err), 1);
	ck_assert_int_eq(r.deleted, 0);
	device_row_free(&r);
	/* Every device gone. */
	ck_assert_int_eq(store_answer(ALICE, json_object()), 0);
	ck_assert_int_eq(store_device_get(st, ALICE, "ONE", &r, &err), 1);
	ck_assert_int_eq(r.deleted, 1);
	device_row_free(&r);
	m = json_object();
	json_object_set_new(m, "TWO", device(acct2, ALICE, "TWO", NULL));
	ck_assert_int_eq(store_answer(ALICE, m), 0);
	ck_assert_int_eq(store_device_get(st, ALICE, "TWO", &r, &err), 1);
	ck_assert_int_eq(r.deleted, 0);
	device_row_free(&r);
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

#define MEMBER(who, m) \
	"{\"type\":\"m.room.member\",\"state_key\":\"" who "\"," \
	"\"sender\":\"" who "\",\"event_id\":\"$m" m who "\"," \
	"\"content\":{\"membership\":\"" m "\"}}"
#define STATE(type, content) \
	"{\"type\":\"" type "\",\"state_key\":\"\",\"sender\":\"" ME "\"," \
	"\"event_id\":\"$" type "\",\"content\":" content "}"
#define ENCRYPTION \
	STATE("m.room.encryption", "{\"algorithm\":\"m.megolm.v1.aes-sha2\"}")
#define ROOM_STATE(id, events) \
	"\"" id "\":{\"state\":{\"events\":[" events "]}," \
	"\"timeline\":{\"events\":[]}}"

/* 1 outdated, 0 current, -1 untracked. */
static int
tracked(const char *user)
{
	struct haos_error	 err;
	int			 rc, outdated;

	rc = store_tracked_get(st, user, &outdated, &err);
	ck_assert_int_ne(rc, -1);
	return rc == 0 ? -1 : outdated;
}

static void
set_current(const char *user)
{
	struct haos_error	 err;

	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_tracked_current(st, user, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
}

static void
track_self(void)
{
	struct haos_error	 err;

	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_tracked_self(st, ME, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
}

/*
 * Members of encrypted rooms are tracked (invited ones as the history
 * visibility allows), members of other rooms are not; a leave untracks.
 */
START_TEST(test_tracked_members)
{
	track_self();
	ck_assert_int_eq(tracked(ME), 1);
	sync_text("{\"next_batch\":\"s1\",\"rooms\":{\"join\":{"
	    ROOM_STATE(ROOM, ENCRYPTION "," MEMBER(ME, "join") ","
	    MEMBER(ALICE, "join") "," MEMBER("@inv:h", "invite") ","
	    MEMBER("@gone:h", "leave")) ","
	    ROOM_STATE(PLAIN, MEMBER(ME, "join") "," MEMBER(BOB, "join") ","
	    MEMBER("@carol:h", "join")) "}}}");
	ck_assert_int_eq(tracked(ALICE), 1);
	ck_assert_int_eq(tracked("@inv:h"), 1);	/* shared by default */
	ck_assert_int_eq(tracked("@gone:h"), -1);
	ck_assert_int_eq(tracked(BOB), -1);
	ck_assert_int_eq(tracked("@carol:h"), -1);

	/* Visibility "joined": the invited member is no longer tracked. */
	sync_text("{\"next_batch\":\"s2\",\"rooms\":{\"join\":{"
	    ROOM_STATE(ROOM, STATE("m.room.history_visibility",
	    "{\"history_visibility\":\"joined\"}")) "}}}");
	ck_assert_int_eq(tracked("@inv:h"), -1);
	ck_assert_int_eq(tracked(ALICE), 1);

	/* The other room turns encryption on: its members are tracked. */
	set_current(ALICE);
	sync_text("{\"next_batch\":\"s3\",\"rooms\":{\"join\":{"
	    ROOM_STATE(PLAIN, ENCRYPTION) "}}}");
	ck_assert_int_eq(tracked(BOB), 1);
	ck_assert_int_eq(tracked("@carol:h"), 1);
	ck_assert_int_eq(tracked(ALICE), 0);	/* untouched */

	/* Bob leaves the room: untracked; Alice joins it: still current. */
	sync_text("{\"next_batch\":\"s4\",\"rooms\":{\"join\":{"
	    ROOM_STATE(PLAIN, MEMBER(BOB, "leave") "," MEMBER(ALICE, "join"))
	    "}}}");
	ck_assert_int_eq(tracked(BOB), -1);
	ck_assert_int_eq(tracked(ALICE), 0);

	/* We leave the first room: Alice stays (in the other), ME stays. */
	sync_text("{\"next_batch\":\"s5\",\"rooms\":{\"leave\":{"
	    ROOM_STATE(ROOM, MEMBER(ME, "leave")) "}}}");
	ck_assert_int_eq(tracked(ALICE), 0);
	ck_assert_int_eq(tracked(ME), 1);
	sync_text("{\"next_batch\":\"s6\",\"rooms\":{\"leave\":{"
	    ROOM_STATE(PLAIN, MEMBER(ME, "leave")) "}}}");
	ck_assert_int_eq(tracked(ALICE), -1);
	ck_assert_int_eq(tracked("@carol:h"), -1);
	ck_assert_int_eq(tracked(ME), 1);
}
END_TEST

/*
 * device_lists in the sync transaction: changed marks a tracked user
 * outdated with a new changed_seq (an answer asked before does not
 * count); left untracks unless still in an encrypted room; the token.
 */
START_TEST(test_device_lists)
{
	struct haos_error	 err;
	char			**users, *t;
	int64_t			*seqs, seq;
	size_t			 n;

	track_self();
	sync_text("{\"next_batch\":\"s1\",\"rooms\":{\"join\":{"
	    ROOM_STATE(ROOM, ENCRYPTION "," MEMBER(ME, "join") ","
	    MEMBER(ALICE, "join")) "}}}");
	ck_assert_int_eq(store_tracked_outdated(st, 0, &users, &seqs, &n,
	    &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(users[0], ALICE);
	ck_assert_str_eq(users[1], ME);
	seq = seqs[0];
	store_tracked_free(users, seqs, n);
	set_current(ALICE);
	set_current(ME);
	ck_assert_int_eq(store_query_kv(st, "device_lists.token", &t, &err),
	    0);
	ck_assert_str_eq(t, "s1");
	free(t);

	/* A query for Alice is out (seq); a sync says she changed. */
	sync_text("{\"next_batch\":\"s2\",\"device_lists\":{\"changed\":["
	    "\"" ALICE "\",\"@stranger:h\",5]}}");
	ck_assert_int_eq(tracked(ALICE), 1);
	ck_assert_int_eq(tracked(ME), 0);
	ck_assert_int_eq(tracked("@stranger:h"), -1);
	ck_assert_int_eq(store_tracked_check(st, ALICE, seq, &err), 0);
	ck_assert_int_eq(store_tracked_check(st, "@stranger:h", seq, &err),
	    0);
	ck_assert_int_eq(store_tracked_outdated(st, 0, &users, &seqs, &n,
	    &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_gt(seqs[0], seq);
	ck_assert_int_eq(store_tracked_check(st, ALICE, seqs[0], &err), 1);
	store_tracked_free(users, seqs, n);
	ck_assert_int_eq(store_query_kv(st, "device_lists.token", &t, &err),
	    0);
	ck_assert_str_eq(t, "s2");
	free(t);

	/* left: Alice is still a member here, so she stays; ME always. */
	sync_text("{\"next_batch\":\"s3\",\"device_lists\":{\"left\":["
	    "\"" ALICE "\",\"" ME "\"]}}");
	ck_assert_int_eq(tracked(ALICE), 1);
	ck_assert_int_eq(tracked(ME), 0);
	/* Her leave and the server's word in one answer: untracked. */
	sync_text("{\"next_batch\":\"s4\",\"device_lists\":{\"left\":["
	    "\"" ALICE "\"]},\"rooms\":{\"join\":{"
	    ROOM_STATE(ROOM, MEMBER(ALICE, "leave")) "}}}");
	ck_assert_int_eq(tracked(ALICE), -1);
	/* Tracked again later: a new changed_seq, never the old one. */
	sync_text("{\"next_batch\":\"s5\",\"rooms\":{\"join\":{"
	    ROOM_STATE(ROOM, MEMBER(ALICE, "join")) "}}}");
	ck_assert_int_eq(tracked(ALICE), 1);
	ck_assert_int_eq(store_tracked_check(st, ALICE, seq, &err), 0);

	/* A device wanted (an unknown Olm sender): tracked, a new seq. */
	ck_assert_int_eq(store_tracked_outdated(st, 0, &users, &seqs, &n,
	    &err), 0);
	ck_assert_uint_eq(n, 1);
	seq = seqs[0];			/* Alice's, tracked again */
	store_tracked_free(users, seqs, n);
	set_current(ALICE);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_tracked_want(st, ALICE, &err), 0);
	ck_assert_int_eq(store_tracked_want(st, "@olm:h", &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_int_eq(tracked(ALICE), 1);
	ck_assert_int_eq(tracked("@olm:h"), 1);
	ck_assert_int_eq(store_tracked_check(st, ALICE, seq, &err), 0);
	ck_assert_int_eq(store_tracked_outdated(st, 0, &users, &seqs, &n,
	    &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(users[0], ALICE);
	ck_assert_int_gt(seqs[0], seq);
	store_tracked_free(users, seqs, n);

	/* A sync without since: everyone outdated. */
	set_current(ALICE);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(store_tracked_all_outdated(st, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_int_eq(tracked(ALICE), 1);
	ck_assert_int_eq(tracked(ME), 1);
}
END_TEST

/* What the sender asks: are the lists current, and which devices. */
START_TEST(test_room_devices)
{
	struct haos_error	 err;
	struct device_row	*rows;
	json_t			*m;
	size_t			 n;
	int			 cur;

	track_self();
	sync_text("{\"next_batch\":\"s1\",\"rooms\":{\"join\":{"
	    ROOM_STATE(ROOM, ENCRYPTION "," MEMBER(ME, "join") ","
	    MEMBER(ALICE, "join") "," MEMBER(BOB, "leave")) "}}}");
	ck_assert_int_eq(store_devices_current(st, ROOM, &cur, &err), 0);
	ck_assert_int_eq(cur, 0);
	m = json_object();
	json_object_set_new(m, "A1", device(acct, ALICE, "A1", NULL));
	ck_assert_int_eq(store_answer(ALICE, m), 0);
	m = json_object();
	json_object_set_new(m, "B1", device(acct2, BOB, "B1", NULL));
	ck_assert_int_eq(store_answer(BOB, m), 0);
	set_current(ALICE);
	ck_assert_int_eq(store_devices_current(st, ROOM, &cur, &err), 0);
	ck_assert_int_eq(cur, 0);		/* ME still outdated */
	set_current(ME);
	ck_assert_int_eq(store_devices_current(st, ROOM, &cur, &err), 0);
	ck_assert_int_eq(cur, 1);
	ck_assert_int_eq(store_devices_room(st, ROOM, &rows, &n, &err), 0);
	ck_assert_uint_eq(n, 1);		/* Bob left */
	ck_assert_str_eq(rows[0].user_id, ALICE);
	ck_assert_str_eq(rows[0].device_id, "A1");
	ck_assert_str_eq(rows[0].curve25519, crypto_account_curve25519(acct));
	device_rows_free(rows, n);
	/* A device gone is not listed any more. */
	ck_assert_int_eq(store_answer(ALICE, json_object()), 0);
	ck_assert_int_eq(store_devices_room(st, ROOM, &rows, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	device_rows_free(rows, n);
	/* A device list change: not current until asked again. */
	sync_text("{\"next_batch\":\"s2\",\"device_lists\":{\"changed\":["
	    "\"" ALICE "\"]}}");
	ck_assert_int_eq(store_devices_current(st, ROOM, &cur, &err), 0);
	ck_assert_int_eq(cur, 0);
	ck_assert_int_eq(store_devices_current(st, "!unknown:h", &cur, &err),
	    0);
	ck_assert_int_eq(cur, 1);
}
END_TEST

Suite *
suite_devices(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("devices");
	tc = tcase_create("check");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_check_good);
	tcase_add_test(tc, test_check_forged_ids);
	tcase_add_test(tc, test_check_bad_signature);
	tcase_add_test(tc, test_check_missing_key);
	suite_add_tcase(s, tc);
	tc = tcase_create("pin");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_store_good_and_bad);
	tcase_add_test(tc, test_pin_changed_key);
	tcase_add_test(tc, test_pin_key_reused);
	tcase_add_test(tc, test_vanished);
	suite_add_tcase(s, tc);
	tc = tcase_create("tracked");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_tracked_members);
	tcase_add_test(tc, test_device_lists);
	tcase_add_test(tc, test_room_devices);
	suite_add_tcase(s, tc);
	return s;
}
