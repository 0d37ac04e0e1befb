/*
 * Server-side key backup (E2EE.md Step 10): the pk encryption round
 * trip, recovery keys, a session backed up by matrix-sdk-crypto (the
 * fixture tests/fixtures/backup/session.json, made by
 * tests/interop/make-backup-fixture.mjs) restored and its waiting event
 * decrypted in place, the trust of a backup version, the upload bodies
 * and never a downgrade of a session we hold.
 */
#include "check_haos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/client.h"
#include "haos/cmd.h"
#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/model.h"
#include "haos/net.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "../../src/store-int.h"

#define ME	"@alice:haos.test"

static char			*dir, *keypath;
static struct store		*st;
static struct crypto_keys	*me;
static json_t			*fx;	/* the fixture */
static int			 batch;

static void
sql(const char *q)
{
	struct haos_error	 err;

	ck_assert_msg(store_exec(st, q, &err) == 0, "%s: %s", q, err.msg);
}

static int64_t
num(const char *q, const char *arg)
{
	struct haos_error	 err;
	int64_t			 v = -1;

	ck_assert(store_get_int64(st, &err, "test", q, &v, "t", arg) != -1);
	return v;
}

static const char *
fxs(const char *key)
{
	const char	*v;

	v = json_get_str(fx, key, NULL);
	ck_assert_msg(v != NULL, "fixture: no %s", key);
	return v;
}

static void
setup(void)
{
	struct haos_error	 err;
	char			*path;

	dir = test_tmpdir();
	keypath = xasprintf("%s/pickle-key", dir);
	path = xasprintf("%s/cache.db", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	free(path);
	me = crypto_keys_open(st, keypath, ME, "NEWDEV", &err);
	ck_assert_msg(me != NULL, "%s", err.msg);
	store_set_crypto(st, me);
	path = test_fixture("backup/session.json");
	fx = json_load_file(path, 0, NULL);
	ck_assert_ptr_nonnull(fx);
	free(path);
	batch = 0;
}

static void
teardown(void)
{
	store_set_crypto(st, NULL);
	crypto_keys_free(me);
	store_close(st);
	json_decref(fx);
	test_rmtree(dir);
	free(dir);
	free(keypath);
}

/* The fixture's backup key, sealed as our secret. */
static void
put_key(void)
{
	struct haos_error	 err;
	unsigned char		*raw;
	size_t			 len;

	ck_assert_int_eq(base64_decode(fxs("backup_key"),
	    strlen(fxs("backup_key")), &raw, &len), 0);
	ck_assert_uint_eq(len, 32);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_backup_key_set(me, st, raw, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	free(raw);
}

/* The device that sent the fixture's session, as /keys/query stores it. */
static void
sender_device(void)
{
	char	*q;

	q = xasprintf("INSERT INTO devices (user_id, device_id, ed25519, "
	    "curve25519, keys_json) VALUES ('%s', 'ALICEDEV', '%s', '%s', "
	    "'{}')", fxs("sender"), fxs("sender_ed25519"), fxs("sender_key"));
	sql(q);
	free(q);
}

/* The fixture's encrypted event through a /sync: it waits for its key. */
static void
event_in(void)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*j;

	j = json_pack("{s:s,s:{s:{s:{s:{s:[O]}}}}}", "next_batch", "s1",
	    "rooms", "join", fxs("room_id"), "timeline", "events",
	    json_object_get(fx, "event"));
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	json_decref(j);
	ingest_result_free(&res);
}

static int
event_e2e(const char *body)
{
	struct haos_error	 err;
	json_t			*c;
	char			*type, *content;

	ck_assert_int_eq(store_event_lookup(st, "$backup1", NULL, &type,
	    &content, NULL, &err), 1);
	c = json_loads(content, 0, NULL);
	if (body != NULL) {
		ck_assert_str_eq(type, "m.room.message");
		ck_assert_str_eq(json_get_str(c, "body", ""), body);
	}
	json_decref(c);
	free(type);
	free(content);
	return (int)num("SELECT e2e FROM events WHERE event_id = ?1",
	    "$backup1");
}

static int
restore(const json_t *rooms, struct crypto_backup_counts *c)
{
	struct haos_error	 err;
	int			 rc;

	ck_assert_int_eq(store_begin(st, &err), 0);
	rc = crypto_backup_restore(me, st, "1", rooms, NULL, c, &err);
	ck_assert_msg(rc != -1, "%s", err.msg);
	ck_assert_int_eq(store_commit(st, &err), 0);
	return rc;
}

/* Encrypt to a public key, decrypt with its private key; tampering fails. */
START_TEST(test_pk_round_trip)
{
	struct haos_error	 err;
	struct crypto_pk_msg	 m;
	unsigned char		 priv[32], other[32];
	const char		*text = "{\"session_key\":\"s3cr3t ✓\"}";
	char			*pub, *out, *pub2;
	size_t			 len;

	crypto_random(priv, sizeof priv);
	crypto_random(other, sizeof other);
	pub = crypto_pk_public(priv, sizeof priv, &err);
	ck_assert_ptr_nonnull(pub);
	ck_assert_uint_eq(strlen(pub), 43);
	pub2 = crypto_pk_public(priv, sizeof priv, &err);
	ck_assert_str_eq(pub, pub2);	/* derived, not random */
	free(pub2);
	ck_assert_ptr_null(crypto_pk_public(priv, 31, &err));
	ck_assert_int_eq(crypto_pk_encrypt(pub, text, strlen(text), &m,
	    &err), 0);
	ck_assert_ptr_null(strstr(m.ciphertext, "s3cr3t"));
	out = crypto_pk_decrypt(priv, sizeof priv, &m, &len, &err);
	ck_assert_msg(out != NULL, "%s", err.msg);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert_str_eq(out, text);
	/* The ciphertext is left as it was (libolm writes into its input). */
	free(out);
	out = crypto_pk_decrypt(priv, sizeof priv, &m, &len, &err);
	ck_assert_ptr_nonnull(out);
	free(out);
	ck_assert_ptr_null(crypto_pk_decrypt(other, sizeof other, &m, &len,
	    &err));
	m.mac[0] = m.mac[0] == 'A' ? 'B' : 'A';
	ck_assert_ptr_null(crypto_pk_decrypt(priv, sizeof priv, &m, &len,
	    &err));
	crypto_pk_msg_free(&m);
	ck_assert_int_eq(crypto_pk_encrypt("not a key", text, strlen(text),
	    &m, &err), -1);
	free(pub);
}
END_TEST

/* Element's recovery key text gives the key; a changed letter does not. */
START_TEST(test_recovery_key)
{
	struct haos_error	 err;
	unsigned char	 key[32], *raw;
	size_t		 len;
	char		*bad;

	ck_assert_int_eq(crypto_recovery_decode(fxs("recovery_key"), key,
	    &err), 0);
	ck_assert_int_eq(base64_decode(fxs("backup_key"),
	    strlen(fxs("backup_key")), &raw, &len), 0);
	ck_assert_mem_eq(key, raw, 32);
	free(raw);
	bad = xstrdup(fxs("recovery_key"));
	bad[6] = bad[6] == 'x' ? 'y' : 'x';
	ck_assert_int_eq(crypto_recovery_decode(bad, key, &err), -1);
	free(bad);
	ck_assert_int_eq(crypto_recovery_decode("", key, &err), -1);
	ck_assert_int_eq(crypto_recovery_decode("EsTK 0OIl", key, &err), -1);
}
END_TEST

/*
 * matrix-sdk-crypto's backup of a session: restored as unauthenticated,
 * source backup, held by version 1; the event waiting for it decrypted
 * in place.
 */
START_TEST(test_restore_fixture)
{
	struct crypto_backup_counts	 c;
	const json_t			*rooms;

	rooms = json_object_get(fx, "rooms");
	sender_device();
	event_in();
	ck_assert_int_eq(event_e2e(NULL), E2E_WAITING);
	/* No key: nothing restored. */
	ck_assert_int_eq(restore(rooms, &c), 0);
	ck_assert_int_eq(c.imported, 0);
	put_key();
	ck_assert_int_eq(restore(rooms, &c), 1);
	ck_assert_int_eq(c.imported, 1);
	ck_assert_int_eq(c.bad, 0);
	ck_assert_int_eq(c.rooms_changed, 1);
	ck_assert_int_eq(event_e2e(json_get_str(json_get_obj(fx, "plaintext"),
	    "body", "")), E2E_DECRYPTED);
	ck_assert_int_eq(num("SELECT count(*) FROM megolm_in WHERE "
	    "session_id = ?1 AND source = 'backup' AND authenticated = 0 AND "
	    "backed_up_version = '1' AND sender_user = '" ME "'",
	    fxs("session_id")), 1);
	ck_assert_int_eq(num("SELECT count(*) FROM undecryptable WHERE "
	    "event_id != ?1", ""), 0);
	/* Again: ours is as good, kept. */
	ck_assert_int_eq(restore(rooms, &c), 1);
	ck_assert_int_eq(c.imported, 0);
	ck_assert_int_eq(c.kept, 1);
}
END_TEST

/* A backed-up session of a device nobody lists, or garbled: refused. */
START_TEST(test_restore_refused)
{
	struct crypto_backup_counts	 c;
	json_t				*rooms, *sd;

	put_key();
	rooms = json_deep_copy(json_object_get(fx, "rooms"));
	ck_assert_int_eq(restore(rooms, &c), 1);
	ck_assert_int_eq(c.bad, 1);	/* no device has the sender key */
	ck_assert_int_eq(c.imported, 0);
	sender_device();
	sd = json_object_get(json_object_get(json_object_get(json_object_get(
	    rooms, fxs("room_id")), "sessions"), fxs("session_id")),
	    "session_data");
	json_object_set_new(sd, "mac", json_string("AAAAAAAAAAA"));
	ck_assert_int_eq(restore(rooms, &c), 1);
	ck_assert_int_eq(c.bad, 1);
	ck_assert_int_eq(num("SELECT count(*) FROM megolm_in WHERE "
	    "session_id != ?1", ""), 0);
	json_decref(rooms);
}
END_TEST

/*
 * Never a downgrade (E2EE.md §E.8): a session received as an m.room_key
 * (authenticated) is not replaced by the backup's copy, even from a
 * lower index; an unauthenticated one from a higher index is.
 */
START_TEST(test_never_downgrade)
{
	struct crypto_backup_counts	 c;
	const json_t			*rooms;
	char				*q;

	rooms = json_object_get(fx, "rooms");
	put_key();
	sender_device();
	q = xasprintf("INSERT INTO megolm_in (room_id, session_id, "
	    "sender_user, sender_curve25519, claimed_ed25519, pickle, "
	    "first_known_index, source, authenticated, created_ts) VALUES "
	    "('%s', '%s', '%s', '%s', '%s', 'mine', 5, 'room_key', 1, 0)",
	    fxs("room_id"), fxs("session_id"), fxs("sender"),
	    fxs("sender_key"), fxs("sender_ed25519"));
	sql(q);
	ck_assert_int_eq(restore(rooms, &c), 1);
	ck_assert_int_eq(c.kept, 1);
	ck_assert_int_eq(c.imported, 0);
	ck_assert_int_eq(num("SELECT count(*) FROM megolm_in WHERE pickle = "
	    "'mine' AND session_id = ?1", fxs("session_id")), 1);
	sql("UPDATE megolm_in SET authenticated = 0, source = 'forwarded'");
	ck_assert_int_eq(restore(rooms, &c), 1);
	ck_assert_int_eq(c.imported, 1);
	ck_assert_int_eq(num("SELECT first_known_index FROM megolm_in WHERE "
	    "session_id = ?1", fxs("session_id")), 0);
	free(q);
}
END_TEST

/* A backup version is trusted only if its public key is our key's. */
START_TEST(test_trust)
{
	struct haos_error	 err;
	json_t			*ad;
	unsigned char		 other[32];
	char			*pub;

	ad = json_pack("{s:s}", "public_key", fxs("public_key"));
	ck_assert_int_eq(crypto_backup_trusted(me, st,
	    CRYPTO_BACKUP_ALGORITHM, ad, &err), 0);	/* no key yet */
	put_key();
	ck_assert_int_eq(crypto_backup_trusted(me, st,
	    CRYPTO_BACKUP_ALGORITHM, ad, &err), 1);
	ck_assert_int_eq(crypto_backup_trusted(me, st,
	    "m.megolm_backup.v2", ad, &err), 0);
	/* A replaced auth_data: another public key. */
	crypto_random(other, sizeof other);
	pub = crypto_pk_public(other, sizeof other, &err);
	json_object_set_new(ad, "public_key", json_string(pub));
	ck_assert_int_eq(crypto_backup_trusted(me, st,
	    CRYPTO_BACKUP_ALGORITHM, ad, &err), 0);
	json_object_del(ad, "public_key");
	ck_assert_int_eq(crypto_backup_trusted(me, st,
	    CRYPTO_BACKUP_ALGORITHM, ad, &err), 0);
	free(pub);
	json_decref(ad);
}
END_TEST

/*
 * Sign obj as user_id with key `which` of o, the signature filed under
 * key id ed25519:<as> (a device id, or the key itself when as is NULL).
 */
static void
sign_as(json_t *obj, struct crypto_xsign_own *o, int which,
    const char *user_id, const char *as)
{
	struct haos_error	 err;
	json_t			*mine, *sig;
	char			*from, *to;

	ck_assert_int_eq(crypto_xsign_own_sign(o, which, obj, user_id, &err),
	    0);
	if (as == NULL)
		return;
	mine = json_object_get(json_object_get(obj, "signatures"), user_id);
	from = xasprintf("ed25519:%s", crypto_xsign_own_public(o, which));
	to = xasprintf("ed25519:%s", as);
	sig = json_incref(json_object_get(mine, from));
	ck_assert_ptr_nonnull(sig);
	json_object_del(mine, from);
	json_object_set_new(mine, to, sig);
	free(from);
	free(to);
}

static int
trusted(const json_t *ad)
{
	struct haos_error	 err;
	int			 rc;

	rc = crypto_backup_trusted(me, st, CRYPTO_BACKUP_ALGORITHM, ad, &err);
	ck_assert_msg(rc != -1, "%s", err.msg);
	return rc;
}

/* An auth_data with a public key we hold no private key for. */
static json_t *
auth_data(void)
{
	struct haos_error	 err;
	unsigned char		 other[32];
	json_t			*ad;
	char			*pub;

	crypto_random(other, sizeof other);
	pub = crypto_pk_public(other, sizeof other, &err);
	ad = json_pack("{s:s}", "public_key", pub);
	free(pub);
	return ad;
}

/*
 * The spec's other rule: auth_data signed by our trusted master key or a
 * verified device of ours is trusted (uploads only: we cannot restore);
 * by an unverified device, a deleted one, another user's key, or over a
 * public key replaced since, it is not.
 */
START_TEST(test_trust_signed)
{
	struct haos_error	 err;
	struct crypto_xsign_own	*ours, *dev, *bob;
	json_t			*ad, *ad2;
	char			*q;

	ours = crypto_xsign_own_new(&err);
	dev = crypto_xsign_own_new(&err);
	bob = crypto_xsign_own_new(&err);
	ck_assert(ours != NULL && dev != NULL && bob != NULL);
	q = xasprintf("INSERT INTO tracked_users (user_id, outdated) VALUES "
	    "('%s', 0); INSERT INTO cross_signing_keys (user_id, usage, "
	    "public_key, json) VALUES ('%s', 'master', '%s', '{}'); INSERT "
	    "INTO devices (user_id, device_id, ed25519, curve25519, "
	    "keys_json) VALUES ('%s', 'OTHERDEV', '%s', 'c', '{}')", ME, ME,
	    crypto_xsign_own_public(ours, CRYPTO_XSIGN_MSK), ME,
	    crypto_xsign_own_public(dev, CRYPTO_XSIGN_MSK));
	sql(q);
	free(q);

	/* Our master key: trusted once verified (this device signed). */
	ad = auth_data();
	sign_as(ad, ours, CRYPTO_XSIGN_MSK, ME, NULL);
	ck_assert_int_eq(trusted(ad), 0);	/* not verified yet */
	q = xasprintf("INSERT INTO msk_pins (user_id, msk, verified) VALUES "
	    "('%s', '%s', 1)", ME, crypto_xsign_own_public(ours,
	    CRYPTO_XSIGN_MSK));
	sql(q);
	free(q);
	ck_assert_int_eq(trusted(ad), 1);
	ck_assert_int_eq(crypto_backup_holds(me, st, CRYPTO_BACKUP_ALGORITHM,
	    ad, &err), 0);
	sql("UPDATE msk_pins SET changed = 1");
	ck_assert_int_eq(trusted(ad), 0);
	/* ... or when we hold its seed. */
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_secret_put(me, st, "m.cross_signing.master",
	    crypto_xsign_own_seed(ours, CRYPTO_XSIGN_MSK),
	    CRYPTO_XSIGN_SEED_LEN, 1, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_int_eq(trusted(ad), 1);
	sql("DELETE FROM secrets");
	ck_assert_int_eq(trusted(ad), 0);
	sql("UPDATE msk_pins SET changed = 0");
	ck_assert_int_eq(trusted(ad), 1);

	/* A public key swapped after the signature. */
	ad2 = auth_data();
	json_object_set_new(ad2, "signatures", json_deep_copy(
	    json_object_get(ad, "signatures")));
	ck_assert_int_eq(trusted(ad2), 0);
	json_decref(ad2);
	json_decref(ad);

	/* Another user's master key, under their name or ours. */
	ad = auth_data();
	sign_as(ad, bob, CRYPTO_XSIGN_MSK, "@bob:haos.test", NULL);
	ck_assert_int_eq(trusted(ad), 0);
	sign_as(ad, bob, CRYPTO_XSIGN_MSK, ME, NULL);
	ck_assert_int_eq(trusted(ad), 0);
	json_decref(ad);

	/* Our other device: trusted only when verified. */
	ad = auth_data();
	sign_as(ad, dev, CRYPTO_XSIGN_MSK, ME, "OTHERDEV");
	ck_assert_int_eq(trusted(ad), 0);	/* unverified */
	sql("UPDATE devices SET local_trust = 1");
	ck_assert_int_eq(trusted(ad), 1);	/* we verified it */
	sql("UPDATE devices SET local_trust = 0, cross_signed = 1");
	ck_assert_int_eq(trusted(ad), 1);	/* our trusted MSK's SSK */
	sql("UPDATE msk_pins SET verified = 0");
	ck_assert_int_eq(trusted(ad), 0);	/* ... but that MSK not */
	sql("UPDATE msk_pins SET verified = 1");
	sql("UPDATE devices SET deleted = 1");
	ck_assert_int_eq(trusted(ad), 0);	/* gone */
	json_decref(ad);

	/* This device's own signature. */
	ad = auth_data();
	ck_assert_int_eq(crypto_sign_json(crypto_keys_account_rw(me), ad, ME,
	    "NEWDEV", &err), 0);
	ck_assert_int_eq(trusted(ad), 1);
	json_decref(ad);

	crypto_xsign_own_free(ours);
	crypto_xsign_own_free(dev);
	crypto_xsign_own_free(bob);
}
END_TEST

/*
 * Upload: the body holds each session not yet in this version, which
 * the backup key opens to the session's export; after the 2xx they are
 * marked and the next body is empty; another version uploads them again.
 */
START_TEST(test_upload_body)
{
	struct crypto_backup_counts	 c;
	struct haos_error		 err;
	struct store_megolm_in		 m2;
	struct crypto_megolm_out	*out;
	struct crypto_megolm_in		*in;
	struct crypto_pk_msg		 m;
	unsigned char			*raw;
	json_t				*body, *data, *pt;
	char				*key, *pickle, *q, *text;
	size_t				 n, len, rawlen;

	put_key();
	out = crypto_megolm_out_new(&err);
	key = crypto_megolm_out_key(out, &err);
	in = crypto_megolm_in_new(key, &err);
	pickle = crypto_megolm_in_pickle(in, crypto_keys_pickle_key(me), &err);
	q = xasprintf("INSERT INTO megolm_in (room_id, session_id, "
	    "sender_user, sender_curve25519, claimed_ed25519, pickle, "
	    "first_known_index, source, authenticated, created_ts) VALUES "
	    "('!r:haos.test', '%s', '@bob:haos.test', 'BOBCURVE', 'BOBED', "
	    "'%s', 0, 'room_key', 1, 0)", crypto_megolm_in_id(in), pickle);
	sql(q);
	free(q);
	body = crypto_backup_upload(me, st, "7", fxs("public_key"), 50, &n,
	    &err);
	ck_assert_ptr_nonnull(body);
	ck_assert_uint_eq(n, 1);
	data = json_object_get(json_object_get(json_object_get(
	    json_object_get(body, "rooms"), "!r:haos.test"), "sessions"),
	    crypto_megolm_in_id(in));
	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(json_get_int(data, "first_message_index", -1), 0);
	ck_assert(json_is_true(json_object_get(data, "is_verified")));
	m.ciphertext = (char *)json_get_str(json_get_obj(data,
	    "session_data"), "ciphertext", "");
	m.mac = (char *)json_get_str(json_get_obj(data, "session_data"),
	    "mac", "");
	m.ephemeral = (char *)json_get_str(json_get_obj(data,
	    "session_data"), "ephemeral", "");
	ck_assert_int_eq(base64_decode(fxs("backup_key"),
	    strlen(fxs("backup_key")), &raw, &rawlen), 0);
	text = crypto_pk_decrypt(raw, rawlen, &m, &len, &err);
	ck_assert_msg(text != NULL, "%s", err.msg);
	pt = json_loads(text, 0, NULL);
	ck_assert_str_eq(json_get_str(pt, "sender_key", ""), "BOBCURVE");
	ck_assert_str_eq(json_get_str(json_get_obj(pt,
	    "sender_claimed_keys"), "ed25519", ""), "BOBED");
	ck_assert_str_eq(json_get_str(pt, "algorithm", ""),
	    "m.megolm.v1.aes-sha2");
	crypto_megolm_in_free(in);
	in = crypto_megolm_in_import(json_get_str(pt, "session_key", ""),
	    &err);
	ck_assert_ptr_nonnull(in);
	ck_assert_str_eq(crypto_megolm_in_id(in), crypto_megolm_out_id(out));
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_backup_uploaded(st, "7", body, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	json_decref(body);
	ck_assert_ptr_null(crypto_backup_upload(me, st, "7",
	    fxs("public_key"), 50, &n, &err));
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(err.code, HAOS_OK);
	body = crypto_backup_upload(me, st, "8", fxs("public_key"), 50, &n,
	    &err);
	ck_assert_uint_eq(n, 1);
	json_decref(body);
	/* A restored session is already in its version: not uploaded. */
	sender_device();
	restore(json_object_get(fx, "rooms"), &c);
	body = crypto_backup_upload(me, st, "1", fxs("public_key"), 50, &n,
	    &err);
	ck_assert_uint_eq(n, 1);	/* bob's only */
	ck_assert_ptr_nonnull(json_object_get(json_object_get(body, "rooms"),
	    "!r:haos.test"));
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_backup_uploaded(st, "1", body, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	json_decref(body);
	ck_assert_ptr_null(crypto_backup_upload(me, st, "1",
	    fxs("public_key"), 50, &n, &err));
	/* A session stored again (a better copy) must go up again. */
	ck_assert_int_eq(store_crypto_in_megolm_get(st, "!r:haos.test",
	    crypto_megolm_in_id(in), &m2, &err), 1);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_msg(store_crypto_in_megolm_put(st, "!r:haos.test",
	    crypto_megolm_in_id(in), &m2, "room_key", &err) == 0, "%s",
	    err.msg);
	ck_assert_int_eq(store_commit(st, &err), 0);
	store_crypto_in_megolm_free(&m2);
	body = crypto_backup_upload(me, st, "1", fxs("public_key"), 50, &n,
	    &err);
	ck_assert_uint_eq(n, 1);
	json_decref(body);
	json_decref(pt);
	free(text);
	free(raw);
	free(key);
	free(pickle);
	crypto_megolm_in_free(in);
	crypto_megolm_out_free(out);
}
END_TEST

/*
 * /backup: the recovery key decoded in the command, only its bytes
 * (base64) in the job; a bad key makes no job; restore's answer counted.
 */
START_TEST(test_command)
{
	struct test_capture	 c;
	struct cmd_ctx		 ctx;
	struct net_result	 r;
	char			*line;

	test_capture_init(&ctx, &c, ME);
	line = xasprintf("/backup key %s", fxs("recovery_key"));
	ck_assert_int_eq(cmd_run_line(&ctx, line), CMD_RETURN_WAIT);
	free(line);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_int_eq(c.jobs[0]->type, JOB_BACKUP);
	ck_assert_str_eq(c.jobs[0]->event_type, "key");
	ck_assert_str_eq(c.jobs[0]->content, fxs("backup_key"));
	ck_assert_int_eq(cmd_run_line(&ctx, "/backup key EsTK j5dN Bdrn"),
	    CMD_RETURN_ERROR);
	ck_assert_int_eq(cmd_run_line(&ctx, "/backup frobnicate"),
	    CMD_RETURN_ERROR);
	ck_assert_int_eq(cmd_run_line(&ctx, "/backup keyboard"),
	    CMD_RETURN_ERROR);
	ck_assert_int_eq(c.njobs, 1);
	ck_assert_int_eq(cmd_run_line(&ctx, "/backup restore"),
	    CMD_RETURN_WAIT);
	ck_assert_int_eq(c.njobs, 2);
	ck_assert_str_eq(c.jobs[1]->event_type, "restore");
	ck_assert_ptr_null(c.jobs[1]->content);
	memset(&r, 0, sizeof r);
	r.tag = c.jobs[1]->tag;
	r.ok = 1;
	r.body = xstrdup("{\"version\":\"3\",\"trusted\":true,\"key\":true,"
	    "\"imported\":4,\"kept\":1,\"refused\":0,\"rooms\":2}");
	c.out[0] = '\0';
	ck_assert_int_eq(client_deliver(c.client, &r), 0);
	ck_assert_msg(strstr(c.out, "backup 3: 4 keys restored, 1 already "
	    "held, 0 refused; 2 rooms decrypted") != NULL, "%s", c.out);
	free(r.body);
	ck_assert_int_eq(cmd_run_line(&ctx, "/backup"), CMD_RETURN_WAIT);
	r.tag = c.jobs[2]->tag;
	r.body = xstrdup("{\"version\":\"4\",\"trusted\":false}");
	c.out[0] = '\0';
	ck_assert_int_eq(client_deliver(c.client, &r), 0);
	ck_assert_msg(strstr(c.out, "version 4 is not trusted") != NULL,
	    "%s", c.out);
	free(r.body);
	/* Trusted by its signature, without the key: no restore. */
	ck_assert_int_eq(cmd_run_line(&ctx, "/backup"), CMD_RETURN_WAIT);
	r.tag = c.jobs[3]->tag;
	r.body = xstrdup("{\"version\":\"5\",\"trusted\":true,"
	    "\"key\":false}");
	c.out[0] = '\0';
	ck_assert_int_eq(client_deliver(c.client, &r), 0);
	ck_assert_msg(strstr(c.out, "backup 5: trusted (signed by your "
	    "identity); new keys are backed up; restoring needs its key") !=
	    NULL, "%s", c.out);
	free(r.body);
	/* The input history keeps "/backup key", never the key. */
	line = cmd_history_line("/backup key EsTK j5dN Bdrn");
	ck_assert_str_eq(line, "/backup key");
	free(line);
	line = cmd_history_line("/backup restore");
	ck_assert_str_eq(line, "/backup restore");
	free(line);
	line = cmd_history_line("/send key EsTK");
	ck_assert_str_eq(line, "/send key EsTK");
	free(line);
	line = cmd_history_line("hello /backup key x");
	ck_assert_str_eq(line, "hello /backup key x");
	free(line);
	test_capture_free(&c);
	cmd_ctx_clear(&ctx);
}
END_TEST

Suite *
suite_backup(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("backup");
	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pk_round_trip);
	tcase_add_test(tc, test_recovery_key);
	tcase_add_test(tc, test_restore_fixture);
	tcase_add_test(tc, test_restore_refused);
	tcase_add_test(tc, test_never_downgrade);
	tcase_add_test(tc, test_trust);
	tcase_add_test(tc, test_trust_signed);
	tcase_add_test(tc, test_upload_body);
	tcase_add_test(tc, test_command);
	suite_add_tcase(s, tc);
	return s;
}
