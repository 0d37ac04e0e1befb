/* Secret storage, the recovery key and key export files (#16 Steps 9, 13). */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/model.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "haos/client.h"
#include "haos/cmd.h"
#include "haos/net.h"
#include "haos/notify.h"

#include "../../src/net-int.h"
#include "../../src/store-int.h"

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#define ME	"@me:haos.test"
#define BOB	"@bob:haos.test"
#define ROOM	"!r:haos.test"
#define MEGOLM	"m.megolm.v1.aes-sha2"

static char			*dir, *keypath;
static struct store		*st;
static struct crypto_keys	*me;
static json_t			*fx;		/* ssss-js.json */
static int			 batch;

static json_t *
load_fixture(const char *rel)
{
	char	*path, *text;
	json_t	*j;

	path = test_fixture(rel);
	text = test_read_file(path);
	ck_assert_msg(text != NULL, "%s", path);
	j = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(j);
	free(text);
	free(path);
	return j;
}

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

static void
setup(void)
{
	struct haos_error	 err;
	char			*path;

	dir = test_tmpdir();
	keypath = xasprintf("%s/pickle-key", dir);
	path = xasprintf("%s/log", dir);
	ck_assert_int_eq(log_open(path, LOG_DEBUG), 0);
	free(path);
	path = xasprintf("%s/cache.db", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	free(path);
	me = crypto_keys_open(st, keypath, ME, "MYDEV", &err);
	ck_assert_msg(me != NULL, "%s", err.msg);
	store_set_crypto(st, me);
	fx = load_fixture("secrets/ssss-js.json");
	batch = 0;
}

static void
teardown(void)
{
	char	*path, *log;

	store_set_crypto(st, NULL);
	crypto_keys_free(me);
	store_close(st);
	json_decref(fx);
	/* Nothing secret in the log: no recovery key, no seed. */
	path = xasprintf("%s/log", dir);
	log = test_read_file(path);
	log_close();
	if (log != NULL) {
		ck_assert_ptr_null(strstr(log, "EsT1"));
		ck_assert_ptr_null(strstr(log, "ERERERERERER"));
		ck_assert_ptr_null(strstr(log, "correct horse"));
	}
	free(log);
	free(path);
	test_rmtree(dir);
	free(dir);
	free(keypath);
}

static void
b64_key(const char *b64, unsigned char key[32])
{
	unsigned char	*raw;
	size_t		 len;

	ck_assert_int_eq(base64_decode(b64, strlen(b64), &raw, &len), 0);
	ck_assert_uint_eq(len, 32);
	memcpy(key, raw, 32);
	free(raw);
}

/* The fixture's account data, as a /sync would have stored it. */
static void
account_data_in(void)
{
	struct haos_error	 err;
	const char		*type;
	json_t			*v;
	char			*text;

	ck_assert_int_eq(store_begin(st, &err), 0);
	json_object_foreach(json_object_get(fx, "account_data"), type, v) {
		text = json_dumps(v, JSON_COMPACT);
		ck_assert_int_eq(store_account_data_set(st, 0, type, text,
		    &err), 0);
		free(text);
	}
	ck_assert_int_eq(store_commit(st, &err), 0);
}

static const char *
fx_str(const char *dotted)
{
	const char	*s = json_path_str(fx, dotted, NULL);

	ck_assert_msg(s != NULL, "%s", dotted);
	return s;
}

/* js-sdk's encodeRecoveryKey() of the fixture's key, both ways. */
START_TEST(test_recovery_vector)
{
	struct haos_error	 err;
	unsigned char		 key[32], got[32];
	char			*text;

	b64_key(fx_str("key_b64"), key);
	text = crypto_recovery_encode(key);
	ck_assert_str_eq(text, fx_str("recovery_key"));
	free(text);
	ck_assert_int_eq(crypto_recovery_decode(fx_str("recovery_key"), got,
	    &err), 0);
	ck_assert_mem_eq(got, key, 32);
	/* Any white space, or none. */
	memset(got, 0, sizeof got);
	ck_assert_int_eq(crypto_recovery_decode("\tEsT1HT7u2D8eRJ5JXpm5QiQG\n"
	    "RLzxhTZJ  mA5YF4nNCHD44593 \r\n", got, &err), 0);
	ck_assert_mem_eq(got, key, 32);
}
END_TEST

/* Random keys round-trip, leading zero bytes of the key included. */
START_TEST(test_recovery_round_trip)
{
	struct haos_error	 err;
	unsigned char		 key[32], got[32];
	char			*text;
	int			 i;

	for (i = 0; i < 64; i++) {
		crypto_random(key, sizeof key);
		if (i < 4)
			memset(key, 0, (size_t)(i + 1) * 8);
		text = crypto_recovery_encode(key);
		ck_assert_ptr_nonnull(text);
		ck_assert_msg(crypto_recovery_decode(text, got, &err) == 0,
		    "%s", err.msg);
		ck_assert_mem_eq(got, key, 32);
		free(text);
	}
}
END_TEST

/* Each failure says what is wrong. */
START_TEST(test_recovery_bad)
{
	static const struct {
		const char	*text;
		const char	*why;
	} bad[] = {
		/* The last character changed by one: the parity. */
		{ "EsT1 HT7u 2D8e RJ5J Xpm5 QiQG RLzx hTZJ mA5Y F4nN CHD4 "
		    "4594", "parity" },
		{ "EsUK LECn 69aD fNr2 YwE1 Zdr9 wrLU ftJ3 US9k 46yc Y6XY "
		    "Fv9e", "prefix" },
		/* A byte short (31-byte key) */
		{ "49Fx M3Hy C9e5 QBDJ Zp56 XkN8 aA4c jFB3 DGej RV3a MEBt "
		    "Scf", "length" },
		{ "EsT1 HT7u 2D8e RJ5J Xpm5 QiQG RLzx hTZJ mA5Y F4nN CHD4 "
		    "459", "length" },
		{ "EsT1 HT7u 2D8e RJ5J Xpm5 QiQG RLzx hTZJ mA5Y F4nN CHD4 "
		    "45933", "length" },
		{ "EsT1 HT7u 2D8e RJ5J Xpm5 QiQG RLzx hTZJ mA5Y F4nN CHD4 "
		    "459O", "not base58" },
		{ "", "empty" },
	};
	struct haos_error	 err;
	unsigned char		 key[32];
	size_t			 i;

	for (i = 0; i < nitems(bad); i++) {
		memset(&err, 0, sizeof err);
		ck_assert_int_eq(crypto_recovery_decode(bad[i].text, key,
		    &err), -1);
		ck_assert_msg(strstr(err.msg, bad[i].why) != NULL,
		    "%s: %s", bad[i].text, err.msg);
	}
}
END_TEST

/* m.pbkdf2: js-sdk's deriveRecoveryKeyFromPassphrase() gives the same. */
START_TEST(test_passphrase)
{
	struct haos_error	 err;
	unsigned char		 key[32], want[32];
	const json_t		*desc;

	desc = json_object_get(json_object_get(fx, "account_data"),
	    "m.secret_storage.key.JSPASSKEY");
	ck_assert_ptr_nonnull(desc);
	b64_key(fx_str("passphrase_key_b64"), want);
	ck_assert_int_eq(crypto_recovery_passphrase("correct horse", desc, key,
	    &err), 0);
	ck_assert_mem_eq(key, want, 32);
	ck_assert_int_eq(crypto_ssss_check(desc, key, &err), 1);
	ck_assert_int_eq(crypto_recovery_passphrase("correct horsf", desc, key,
	    &err), 0);
	ck_assert_int_eq(crypto_ssss_check(desc, key, &err), 0);
	/* The default key has no passphrase: said so. */
	ck_assert_int_eq(crypto_recovery_passphrase("x",
	    json_object_get(json_object_get(fx, "account_data"),
	    "m.secret_storage.key.JSFIXTUREKEY"), key, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "no passphrase"));
}
END_TEST

static json_t *
ad(const char *type)
{
	json_t	*v;

	v = json_object_get(json_object_get(fx, "account_data"), type);
	ck_assert_msg(v != NULL, "%s", type);
	return v;
}

/* What js-sdk's secret storage wrote opens with its key, not another. */
START_TEST(test_ssss_js)
{
	static const char *const names[] = CRYPTO_SSSS_NAMES;
	struct haos_error	 err;
	unsigned char		 key[32], other[32], seed[32], *out;
	size_t			 i, len;
	const json_t		*desc, *enc;

	b64_key(fx_str("key_b64"), key);
	desc = ad("m.secret_storage.key.JSFIXTUREKEY");
	ck_assert_int_eq(crypto_ssss_check(desc, key, &err), 1);
	memcpy(other, key, 32);
	other[31] ^= 1;
	ck_assert_int_eq(crypto_ssss_check(desc, other, &err), 0);
	for (i = 0; i < nitems(names); i++) {
		enc = json_object_get(json_object_get(ad(names[i]),
		    "encrypted"), "JSFIXTUREKEY");
		ck_assert_ptr_nonnull(enc);
		ck_assert_msg(crypto_ssss_decrypt(enc, names[i], key, &out,
		    &len, &err) == 0, "%s: %s", names[i], err.msg);
		b64_key(json_string_value(json_object_get(json_object_get(fx,
		    "seeds_b64"), names[i])), seed);
		ck_assert_uint_eq(len, 32);
		ck_assert_mem_eq(out, seed, 32);
		free(out);
		/* Another key, or another name: the MAC says no. */
		ck_assert_int_eq(crypto_ssss_decrypt(enc, names[i], other,
		    &out, &len, &err), -1);
		ck_assert_ptr_nonnull(strstr(err.msg, "MAC"));
		ck_assert_ptr_null(out);
		ck_assert_int_eq(crypto_ssss_decrypt(enc, "m.other", key,
		    &out, &len, &err), -1);
	}
	/* No iv and mac: any key is taken (the spec). */
	desc = json_pack("{ss}", "algorithm",
	    "m.secret_storage.v1.aes-hmac-sha2");
	ck_assert_int_eq(crypto_ssss_check(desc, other, &err), 1);
	json_decref((json_t *)desc);
	desc = json_pack("{ss}", "algorithm", "m.secret_storage.v2");
	ck_assert_int_eq(crypto_ssss_check(desc, key, &err), -1);
	json_decref((json_t *)desc);
}
END_TEST

/* Ours round-trip, unpadded, with bit 63 of the iv cleared. */
START_TEST(test_ssss_round_trip)
{
	struct haos_error	 err;
	unsigned char		 key[32], data[32], *out, *iv;
	size_t			 len, ivlen;
	json_t			*enc, *desc;
	int			 i;

	for (i = 0; i < 16; i++) {
		crypto_random(key, sizeof key);
		crypto_random(data, sizeof data);
		enc = crypto_ssss_encrypt("m.cross_signing.master", key, data,
		    sizeof data, &err);
		ck_assert_ptr_nonnull(enc);
		ck_assert_ptr_null(strchr(json_get_str(enc, "ciphertext",
		    "="), '='));
		ck_assert_int_eq(base64_decode(json_get_str(enc, "iv", ""),
		    strlen(json_get_str(enc, "iv", "")), &iv, &ivlen), 0);
		ck_assert_uint_eq(ivlen, 16);
		ck_assert_int_eq(iv[8] & 0x80, 0);
		free(iv);
		ck_assert_int_eq(crypto_ssss_decrypt(enc,
		    "m.cross_signing.master", key, &out, &len, &err), 0);
		ck_assert_mem_eq(out, data, 32);
		free(out);
		json_decref(enc);
		desc = crypto_ssss_describe(key, &err);
		ck_assert_int_eq(crypto_ssss_check(desc, key, &err), 1);
		key[0] ^= 0x80;
		ck_assert_int_eq(crypto_ssss_check(desc, key, &err), 0);
		json_decref(desc);
	}
}
END_TEST

/* libolm's public key of a seed is ed25519's (python3-cryptography). */
START_TEST(test_signing_public)
{
	static const char *const names[] = { "m.cross_signing.master",
	    "m.cross_signing.self_signing", "m.cross_signing.user_signing" };
	struct haos_error	 err;
	unsigned char		 seed[32];
	json_t			*pubs;
	char			*pub;
	size_t			 i;

	pubs = load_fixture("secrets/xsign-py.json");
	for (i = 0; i < nitems(names); i++) {
		b64_key(json_string_value(json_object_get(json_object_get(fx,
		    "seeds_b64"), names[i])), seed);
		pub = crypto_ssss_signing_public(seed, 32, &err);
		ck_assert_ptr_nonnull(pub);
		ck_assert_str_eq(pub, json_get_str(pubs, names[i], ""));
		free(pub);
	}
	ck_assert_ptr_null(crypto_ssss_signing_public(seed, 31, &err));
	json_decref(pubs);
}
END_TEST

static void
xsign_row(const char *usage, const char *pub)
{
	char	*q;

	q = xasprintf("INSERT INTO cross_signing_keys (user_id, usage, "
	    "public_key, json) VALUES ('%s', '%s', '%s', '{}')", ME, usage,
	    pub);
	sql(q);
	free(q);
}

static int
secret(const char *name, unsigned char want[32], int *verified)
{
	struct haos_error	 err;
	unsigned char		*data = NULL;
	size_t			 len = 0;
	int			 rc;

	rc = crypto_secret_get(me, st, name, &data, &len, verified, &err);
	ck_assert_int_ne(rc, -1);
	if (rc == 1) {
		ck_assert_uint_eq(len, 32);
		memcpy(want, data, 32);
	}
	free(data);
	return rc;
}

/*
 * /recovery with js-sdk's secret storage: the seeds whose public keys
 * are published are stored verified, one that does not match the
 * published key is refused, the backup key stored unverified.
 */
START_TEST(test_unlock)
{
	struct haos_error	 err;
	unsigned char		 got[32], seed[32];
	json_t			*pubs;
	char			*report, *other;
	int			 verified;

	account_data_in();
	pubs = load_fixture("secrets/xsign-py.json");
	xsign_row("master", json_get_str(pubs, "m.cross_signing.master", ""));
	xsign_row("self_signing", json_get_str(pubs,
	    "m.cross_signing.self_signing", ""));
	/* Someone else's key: that seed must not be taken. */
	xsign_row("user_signing", json_get_str(pubs,
	    "m.cross_signing.master", ""));
	json_decref(pubs);

	/* A wrong key first: an error, nothing stored. */
	ck_assert_int_eq(crypto_ssss_unlock(me, st, "EsUK LECn 69aD fNr2 YwE1 "
	    "Zdr9 wrLU ftJ3 US9k 46yc Y6XY Fv9e", 0, &report, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "prefix"));
	crypto_random(got, 32);
	other = crypto_recovery_encode(got);
	ck_assert_int_eq(crypto_ssss_unlock(me, st, other, 0, &report, &err),
	    -1);
	free(other);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not open"));
	ck_assert_int_eq(num("SELECT count(*) FROM secrets WHERE ?1 = ?1",
	    ""), 0);

	ck_assert_msg(crypto_ssss_unlock(me, st, fx_str("recovery_key"), 0,
	    &report, &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(report, "master"));
	ck_assert_ptr_nonnull(strstr(report, "user_signing refused"));
	ck_assert_ptr_nonnull(strstr(report, "backup key"));
	ck_assert_ptr_null(strstr(report, "EsT1"));
	free(report);
	ck_assert_int_eq(secret("m.cross_signing.master", got, &verified), 1);
	b64_key(json_string_value(json_object_get(json_object_get(fx,
	    "seeds_b64"), "m.cross_signing.master")), seed);
	ck_assert_mem_eq(got, seed, 32);
	ck_assert_int_eq(verified, 1);
	ck_assert_int_eq(secret("m.cross_signing.self_signing", got,
	    &verified), 1);
	ck_assert_int_eq(verified, 1);
	ck_assert_int_eq(secret("m.cross_signing.user_signing", got,
	    &verified), 0);
	ck_assert_int_eq(secret("m.megolm_backup.v1", got, &verified), 1);
	ck_assert_int_eq(verified, 0);
	b64_key(json_string_value(json_object_get(json_object_get(fx,
	    "seeds_b64"), "m.megolm_backup.v1")), seed);
	ck_assert_mem_eq(got, seed, 32);
}
END_TEST

/* Nothing published for us yet: every seed stored, unverified. */
START_TEST(test_unlock_unpublished)
{
	struct haos_error	 err;
	unsigned char		 got[32], seed[32];
	char			*report;
	int			 verified = 1;

	account_data_in();
	ck_assert_msg(crypto_ssss_unlock(me, st, "correct horse", 1, &report,
	    &err) == -1, "the passphrase is another key's");
	ck_assert_ptr_nonnull(strstr(err.msg, "no passphrase"));
	ck_assert_int_eq(crypto_ssss_unlock(me, st, fx_str("recovery_key"), 0,
	    &report, &err), 0);
	free(report);
	ck_assert_int_eq(secret("m.cross_signing.user_signing", got,
	    &verified), 1);
	ck_assert_int_eq(verified, 0);
	b64_key(json_string_value(json_object_get(json_object_get(fx,
	    "seeds_b64"), "m.cross_signing.user_signing")), seed);
	ck_assert_mem_eq(got, seed, 32);
}
END_TEST

/* No secret storage: said so, nothing stored. */
START_TEST(test_unlock_none)
{
	struct haos_error	 err;
	char			*report;

	ck_assert_int_eq(crypto_ssss_unlock(me, st, fx_str("recovery_key"), 0,
	    &report, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "/recovery new"));
}
END_TEST

/* /recovery new: the key opens what it describes, secrets included. */
START_TEST(test_create)
{
	struct haos_error	 err;
	unsigned char		 seed[32], key[32], *out;
	const json_t		*p, *desc = NULL, *def = NULL, *enc = NULL;
	const char		*type, *kid = NULL;
	char			*rk, *text;
	json_t			*puts;
	size_t			 i, len;

	crypto_random(seed, sizeof seed);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_secret_put(me, st, "m.cross_signing.master",
	    seed, 32, 1, &err), 0);
	ck_assert_int_eq(store_commit(st, &err), 0);
	ck_assert_int_eq(crypto_ssss_create(me, st, &rk, &puts, &err), 0);
	ck_assert_uint_eq(json_array_size(puts), 3);
	json_array_foreach(puts, i, p) {
		type = json_get_str(p, "type", "");
		if (strncmp(type, "m.secret_storage.key.", 21) == 0) {
			ck_assert_uint_eq(i, 0);
			desc = json_object_get(p, "content");
			kid = type + 21;
		} else if (strcmp(type, "m.secret_storage.default_key") == 0) {
			/* Last: a failed upload leaves no default key. */
			ck_assert_uint_eq(i, 2);
			def = json_object_get(p, "content");
		} else {
			ck_assert_str_eq(type, "m.cross_signing.master");
			enc = json_object_get(p, "content");
		}
	}
	ck_assert_ptr_nonnull(desc);
	ck_assert_ptr_nonnull(def);
	ck_assert_ptr_nonnull(enc);
	ck_assert_str_eq(json_get_str(def, "key", ""), kid);
	ck_assert_int_eq(crypto_recovery_decode(rk, key, &err), 0);
	ck_assert_int_eq(crypto_ssss_check(desc, key, &err), 1);
	ck_assert_int_eq(crypto_ssss_decrypt(json_object_get(json_object_get(
	    enc, "encrypted"), kid), "m.cross_signing.master", key, &out,
	    &len, &err), 0);
	ck_assert_mem_eq(out, seed, 32);
	free(out);
	/* Once the account data is in, a second one is refused. */
	ck_assert_int_eq(store_begin(st, &err), 0);
	text = json_dumps(def, 0);
	ck_assert_int_eq(store_account_data_set(st, 0,
	    "m.secret_storage.default_key", text, &err), 0);
	free(text);
	ck_assert_int_eq(store_commit(st, &err), 0);
	json_decref(puts);
	free(rk);
	ck_assert_int_eq(crypto_ssss_create(me, st, &rk, &puts, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "already"));
}
END_TEST

/* A file written by another implementation (python3-cryptography). */
START_TEST(test_keyfile_py)
{
	struct haos_error	 err;
	char			*path, *text, *want, *json;
	size_t			 len;

	path = test_fixture("secrets/keyfile-py.txt");
	text = test_read_file(path);
	free(path);
	path = test_fixture("secrets/keyfile-py.json");
	want = test_read_file(path);
	free(path);
	ck_assert_msg(crypto_keyfile_open(text, strlen(text), "py passphrase",
	    &json, &len, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(len + 1, strlen(want));
	ck_assert(strncmp(json, want, len) == 0);
	free(json);
	ck_assert_int_eq(crypto_keyfile_open(text, strlen(text), "py "
	    "passphrasf", &json, &len, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "wrong passphrase"));
	ck_assert_ptr_null(json);
	free(text);
	free(want);
}
END_TEST

/* The raw bytes of a key file (the armour and new lines dropped). */
static unsigned char *
keyfile_raw(const char *file, size_t *len)
{
	unsigned char	*raw;
	char		*copy, *w;
	const char	*r;

	copy = xstrdup(file + 36);
	*strstr(copy, "\n-----END") = '\0';
	for (r = w = copy; *r != '\0'; r++)
		if (*r != '\n')
			*w++ = *r;
	*w = '\0';
	ck_assert_int_eq(strlen(copy) % 4, 0);
	ck_assert_int_eq(base64_decode(copy, strlen(copy), &raw, len), 0);
	free(copy);
	return raw;
}

/* Bit 63 of the iv is cleared in every file (random ivs: 32 tries). */
START_TEST(test_keyfile_iv)
{
	struct haos_error	 err;
	unsigned char		*raw;
	char			*file;
	size_t			 len;
	int			 i;

	for (i = 0; i < 32; i++) {
		file = crypto_keyfile_seal("[]", 2, "p", 1, &err);
		raw = keyfile_raw(file, &len);
		ck_assert_int_eq(raw[17 + 8] & 0x80, 0);
		free(raw);
		free(file);
	}
}
END_TEST

/* Ours: armour, lines of 96, padded; a changed byte fails the MAC. */
START_TEST(test_keyfile_round_trip)
{
	struct haos_error	 err;
	char			*file, *json, *line, *save, *copy;
	const char		*msg = "[{\"room_id\":\"!é:x\"}]";
	size_t			 len, n = 0;
	unsigned char		*raw;

	file = crypto_keyfile_seal(msg, strlen(msg), "pass", 1000, &err);
	ck_assert_ptr_nonnull(file);
	ck_assert(strncmp(file, "-----BEGIN MEGOLM SESSION DATA-----\n",
	    36) == 0);
	ck_assert_ptr_nonnull(strstr(file,
	    "\n-----END MEGOLM SESSION DATA-----\n"));
	copy = xstrdup(file);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		ck_assert_uint_le(strlen(line), 96);
		n++;
	}
	free(copy);
	ck_assert_uint_ge(n, 3);
	ck_assert_int_eq(crypto_keyfile_open(file, strlen(file), "pass", &json,
	    &len, &err), 0);
	ck_assert_str_eq(json, msg);
	free(json);
	/* The header as the spec has it: version, iv bit 63, rounds. */
	raw = keyfile_raw(file, &len);
	ck_assert_int_eq(raw[0], 1);
	ck_assert_int_eq(raw[17 + 8] & 0x80, 0);
	ck_assert_int_eq(raw[33] << 24 | raw[34] << 16 | raw[35] << 8 |
	    raw[36], 1000);
	ck_assert_uint_eq(len, 37 + strlen(msg) + 32);
	free(raw);
	/* One character of the body changed. */
	file[40] = file[40] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(crypto_keyfile_open(file, strlen(file), "pass", &json,
	    &len, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "changed"));
	ck_assert_int_eq(crypto_keyfile_open("hello", 5, "pass", &json,
	    &len, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a key export file"));
	free(file);
}
END_TEST

/* Bob's device, known to the store as /keys/query stores one. */
static struct crypto_account *
bob_device(void)
{
	struct haos_error	 err;
	struct crypto_account	*a;
	char			*q;

	a = crypto_account_new(&err);
	q = xasprintf("INSERT INTO devices (user_id, device_id, ed25519, "
	    "curve25519, keys_json) VALUES ('%s', 'BOBDEV', '%s', '%s', "
	    "'{}')", BOB, crypto_account_ed25519(a),
	    crypto_account_curve25519(a));
	sql(q);
	free(q);
	return a;
}

/* A Megolm event of Bob's session in ROOM, ingested: it waits. */
static void
waiting_event(struct crypto_account *bob, struct crypto_megolm_out *mg,
    const char *event_id, const char *body)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*pt, *j;
	char			*text, *ct, *nb;

	pt = json_pack("{ss s{ssss} ss}", "type", "m.room.message", "content",
	    "msgtype", "m.text", "body", body, "room_id", ROOM);
	text = json_dumps(pt, JSON_COMPACT);
	json_decref(pt);
	ct = crypto_megolm_out_encrypt(mg, text, strlen(text), &err);
	free(text);
	nb = xasprintf("s%d", ++batch);
	j = json_pack("{ss s{s{s{s{s[{ss ss ss sI s{ss ss ss ss ss}}]}}}}}",
	    "next_batch", nb, "rooms", "join", ROOM, "timeline", "events",
	    "type", "m.room.encrypted", "event_id", event_id, "sender", BOB,
	    "origin_server_ts", (json_int_t)1700000000000 + batch, "content",
	    "algorithm", MEGOLM, "sender_key", crypto_account_curve25519(bob),
	    "ciphertext", ct, "session_id", crypto_megolm_out_id(mg),
	    "device_id", "BOBDEV");
	free(nb);
	free(ct);
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	ingest_result_free(&res);
	json_decref(j);
}

/* An ExportedSessionData of mg from its index now. */
static json_t *
record(struct crypto_account *bob, struct crypto_megolm_out *mg)
{
	struct haos_error	 err;
	struct crypto_megolm_in	*in;
	char			*key, *exp;
	json_t			*r;

	key = crypto_megolm_out_key(mg, &err);
	in = crypto_megolm_in_new(key, &err);
	exp = crypto_megolm_in_export(in, crypto_megolm_in_first_index(in),
	    &err);
	r = json_pack("{ss ss ss ss ss s{ss} s[]}", "algorithm", MEGOLM,
	    "room_id", ROOM, "sender_key", crypto_account_curve25519(bob),
	    "session_id", crypto_megolm_out_id(mg), "session_key", exp,
	    "sender_claimed_keys", "ed25519", crypto_account_ed25519(bob),
	    "forwarding_curve25519_key_chain");
	free(key);
	free(exp);
	crypto_megolm_in_free(in);
	return r;
}

static void
import(json_t *arr, struct crypto_keyfile_counts *c)
{
	struct haos_error	 err;

	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_msg(crypto_keyfile_import(me, st, arr, NULL, c, &err) == 0,
	    "%s", err.msg);
	ck_assert_int_eq(store_commit(st, &err), 0);
}

static int64_t
e2e_of(const char *event_id)
{
	return num("SELECT e2e FROM events WHERE event_id = ?1", event_id);
}

/*
 * A file's key decrypts the event that waited for it, in place; the
 * session is unauthenticated, from 'export'.  Import never downgrades:
 * a later index over an earlier one is kept out, and so is anything
 * over an authenticated session; an earlier index replaces a later
 * unauthenticated one.
 */
START_TEST(test_import)
{
	struct haos_error	 err;
	struct crypto_keyfile_counts c;
	struct crypto_account	*bob;
	struct crypto_megolm_out *mg;
	json_t			*early, *late, *arr;
	char			*q;

	bob = bob_device();
	mg = crypto_megolm_out_new(&err);
	early = record(bob, mg);
	waiting_event(bob, mg, "$e1", "one");
	late = record(bob, mg);
	waiting_event(bob, mg, "$e2", "two");
	ck_assert_int_eq(e2e_of("$e1"), E2E_WAITING);

	/* The later key: $e2 decrypts, $e1 stays (unknown index). */
	arr = json_pack("[O]", late);
	import(arr, &c);
	json_decref(arr);
	ck_assert_uint_eq(c.imported, 1);
	ck_assert_int_eq(e2e_of("$e2"), E2E_DECRYPTED);
	ck_assert_int_ne(e2e_of("$e1"), E2E_DECRYPTED);
	ck_assert_int_eq(num("SELECT authenticated FROM megolm_in WHERE "
	    "room_id = ?1", ROOM), 0);
	ck_assert_int_eq(num("SELECT count(*) FROM megolm_in WHERE source = "
	    "'export' AND room_id = ?1", ROOM), 1);
	ck_assert_int_eq(num("SELECT first_known_index FROM megolm_in WHERE "
	    "room_id = ?1", ROOM), 1);

	/* The same again: kept. */
	arr = json_pack("[O]", late);
	import(arr, &c);
	json_decref(arr);
	ck_assert_uint_eq(c.kept, 1);
	ck_assert_uint_eq(c.imported, 0);

	/* The earlier key replaces it: $e1 decrypts. */
	arr = json_pack("[O]", early);
	import(arr, &c);
	json_decref(arr);
	ck_assert_uint_eq(c.imported, 1);
	ck_assert_int_eq(e2e_of("$e1"), E2E_DECRYPTED);
	ck_assert_int_eq(num("SELECT first_known_index FROM megolm_in WHERE "
	    "room_id = ?1", ROOM), 0);

	/* Now the later one is a downgrade: kept out. */
	arr = json_pack("[O]", late);
	import(arr, &c);
	json_decref(arr);
	ck_assert_uint_eq(c.kept, 1);
	ck_assert_int_eq(num("SELECT first_known_index FROM megolm_in WHERE "
	    "room_id = ?1", ROOM), 0);

	/* Authenticated (from m.room_key) at a later index: never over. */
	q = xasprintf("UPDATE megolm_in SET authenticated = 1, "
	    "first_known_index = 5, source = 'room_key'");
	sql(q);
	free(q);
	arr = json_pack("[O]", early);
	import(arr, &c);
	json_decref(arr);
	ck_assert_uint_eq(c.kept, 1);
	ck_assert_int_eq(num("SELECT count(*) FROM megolm_in WHERE source = "
	    "'room_key' AND room_id = ?1", ROOM), 1);

	json_decref(early);
	json_decref(late);
	crypto_megolm_out_free(mg);
	crypto_account_free(bob);
}
END_TEST

/* No device has the sender key, or a record is malformed: skipped. */
START_TEST(test_import_skips)
{
	struct haos_error	 err;
	struct crypto_keyfile_counts c;
	struct crypto_account	*bob;
	struct crypto_megolm_out *mg;
	json_t			*r, *bad, *arr;

	bob = crypto_account_new(&err);
	mg = crypto_megolm_out_new(&err);
	r = record(bob, mg);
	bad = json_pack("{ss ss}", "algorithm", MEGOLM, "room_id", ROOM);
	arr = json_pack("[oo]", r, bad);
	import(arr, &c);
	ck_assert_uint_eq(c.total, 2);
	ck_assert_uint_eq(c.skipped, 2);
	ck_assert_uint_eq(c.imported, 0);
	ck_assert_int_eq(num("SELECT count(*) FROM megolm_in WHERE room_id = "
	    "?1", ROOM), 0);
	json_decref(arr);
	ck_assert_int_eq(store_begin(st, &err), 0);
	ck_assert_int_eq(crypto_keyfile_import(me, st, NULL, NULL, &c, &err),
	    -1);
	store_rollback(st);
	crypto_megolm_out_free(mg);
	crypto_account_free(bob);
}
END_TEST

/* What we export imports elsewhere: same session, same first index. */
START_TEST(test_export)
{
	struct haos_error	 err;
	struct crypto_keyfile_counts c;
	struct crypto_account	*bob;
	struct crypto_megolm_out *mg;
	struct crypto_megolm_in	*in;
	json_t			*arr, *out;
	size_t			 n;
	char			*file, *text, *json;
	size_t			 len;

	bob = bob_device();
	mg = crypto_megolm_out_new(&err);
	waiting_event(bob, mg, "$x0", "zero");
	arr = json_pack("[o]", record(bob, mg));
	import(arr, &c);
	json_decref(arr);
	out = crypto_keyfile_export(me, st, &n, &err);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(n, 1);
	arr = json_array_get(out, 0);
	ck_assert_str_eq(json_get_str(arr, "algorithm", ""), MEGOLM);
	ck_assert_str_eq(json_get_str(arr, "room_id", ""), ROOM);
	ck_assert_str_eq(json_get_str(arr, "session_id", ""),
	    crypto_megolm_out_id(mg));
	ck_assert_str_eq(json_get_str(arr, "sender_key", ""),
	    crypto_account_curve25519(bob));
	ck_assert_str_eq(json_path_str(arr, "sender_claimed_keys.ed25519", ""),
	    crypto_account_ed25519(bob));
	ck_assert(json_is_array(json_object_get(arr,
	    "forwarding_curve25519_key_chain")));
	in = crypto_megolm_in_import(json_get_str(arr, "session_key", ""),
	    &err);
	ck_assert_ptr_nonnull(in);
	ck_assert_str_eq(crypto_megolm_in_id(in), crypto_megolm_out_id(mg));
	ck_assert_uint_eq(crypto_megolm_in_first_index(in), 1);
	crypto_megolm_in_free(in);
	/* Through a file and back. */
	text = json_dumps(out, JSON_COMPACT);
	file = crypto_keyfile_seal(text, strlen(text), "pw", 1000, &err);
	ck_assert_int_eq(crypto_keyfile_open(file, strlen(file), "pw", &json,
	    &len, &err), 0);
	ck_assert_str_eq(json, text);
	free(json);
	free(file);
	free(text);
	json_decref(out);
	crypto_megolm_out_free(mg);
	crypto_account_free(bob);
}
END_TEST


/* The net thread's side, on a net of its own (no thread, no server). */
static struct net *
fake_net(void)
{
	struct net	*n;

	n = xcalloc(1, sizeof *n);
	pthread_mutex_init(&n->lock, NULL);
	n->results_tail = &n->results;
	n->cfg.notify = notify_new();
	n->store = st;
	n->keys = me;
	return n;
}

static void
fake_net_free(struct net *n)
{
	struct net_result	*r, *next;

	for (r = net_results_take(n); r != NULL; r = next) {
		next = r->next;
		net_result_free(r);
	}
	notify_free(n->cfg.notify);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

/* Run one JOB_SECRETS; its answer (the caller frees it). */
static struct net_result *
net_run(struct net *n, const char *op, const char *secret, const char *path)
{
	struct net_result	*r;
	struct job		 j;

	memset(&j, 0, sizeof j);
	j.type = JOB_SECRETS;
	j.method = (char *)op;
	j.content = (char *)secret;
	j.path = (char *)path;
	j.tag = 7;
	net_secrets_run(n, &j);
	r = net_results_take(n);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_null(r->next);
	ck_assert_uint_eq(r->tag, 7);
	return r;
}

/*
 * /keys export then import through the net thread's job: a file of mode
 * 0600, never written over an existing one; a wrong passphrase refused;
 * the import decrypts the waiting event.
 */
START_TEST(test_net_keys)
{
	struct haos_error	 err;
	struct crypto_keyfile_counts c;
	struct crypto_account	*bob;
	struct crypto_megolm_out *mg;
	struct net		*n;
	struct net_result	*r;
	struct stat		 sb;
	json_t			*arr;
	char			*path;

	bob = bob_device();
	mg = crypto_megolm_out_new(&err);
	arr = json_pack("[o]", record(bob, mg));
	waiting_event(bob, mg, "$k0", "zero");
	import(arr, &c);
	ck_assert_int_eq(e2e_of("$k0"), E2E_DECRYPTED);
	n = fake_net();
	path = xasprintf("%s/keys.txt", dir);
	r = net_run(n, "keys-export", "pw", path);
	ck_assert_msg(r->ok, "%s", r->err != NULL ? r->err->msg : "");
	ck_assert_ptr_nonnull(strstr(r->body, "exported 1 room key"));
	net_result_free(r);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	/* Never over an existing file. */
	r = net_run(n, "keys-export", "pw", path);
	ck_assert(!r->ok);
	ck_assert_ptr_nonnull(strstr(r->err->msg, "already exists"));
	net_result_free(r);

	/* A new store: the message waits until the file comes in. */
	sql("DELETE FROM megolm_in");
	sql("DELETE FROM megolm_seen");
	waiting_event(bob, mg, "$k1", "one");
	ck_assert_int_eq(e2e_of("$k1"), E2E_WAITING);
	r = net_run(n, "keys-import", "wrong", path);
	ck_assert(!r->ok);
	ck_assert_ptr_nonnull(strstr(r->err->msg, "wrong passphrase"));
	net_result_free(r);
	ck_assert_int_eq(e2e_of("$k1"), E2E_WAITING);
	r = net_run(n, "keys-import", "pw", path);
	ck_assert_msg(r->ok, "%s", r->err != NULL ? r->err->msg : "");
	ck_assert_ptr_nonnull(strstr(r->body, "imported 1 of 1"));
	ck_assert_ptr_nonnull(strstr(r->body, "decrypted in 1 room"));
	net_result_free(r);
	ck_assert_int_eq(e2e_of("$k1"), E2E_DECRYPTED);
	ck_assert(notify_take(n->cfg.notify) & NOTIFY_TIMELINE);

	r = net_run(n, "keys-import", "pw", "/nonexistent/keys.txt");
	ck_assert(!r->ok);
	net_result_free(r);
	json_decref(arr);
	fake_net_free(n);
	free(path);
	crypto_megolm_out_free(mg);
	crypto_account_free(bob);
}
END_TEST

/* /recovery through the net thread's job, and recovery-new's answer. */
START_TEST(test_net_recovery)
{
	struct net		*n;
	struct net_result	*r;
	json_t			*o;

	n = fake_net();
	r = net_run(n, "recovery-new", NULL, NULL);
	ck_assert(r->ok);
	o = json_loads(r->body, 0, NULL);
	ck_assert_ptr_nonnull(json_get_str(o, "recovery_key", NULL));
	ck_assert_uint_eq(json_array_size(json_get_arr(o, "account_data")),
	    2);
	json_decref(o);
	net_result_free(r);
	account_data_in();
	r = net_run(n, "recovery", fx_str("recovery_key"), NULL);
	ck_assert_msg(r->ok, "%s", r->err != NULL ? r->err->msg : "");
	ck_assert_ptr_nonnull(strstr(r->body, "unlocked"));
	net_result_free(r);
	r = net_run(n, "recovery-passphrase", "correct horse", NULL);
	ck_assert(!r->ok);
	net_result_free(r);
	n->keys = NULL;
	r = net_run(n, "recovery", fx_str("recovery_key"), NULL);
	ck_assert(!r->ok);
	ck_assert_ptr_nonnull(strstr(r->err->msg, "no device identity"));
	net_result_free(r);
	fake_net_free(n);
}
END_TEST

/* The commands: what the user types, what they ask the net thread. */
static const char	*answers[4];
static int		 nanswers, asked;
static char		 shown[2048];

static void
test_secret(void *arg __unused, const char *q __unused, cmd_secret_cb cb,
    void *cb_arg)
{
	struct cmd_ctx	*ctx = arg;

	asked++;
	cb(ctx, nanswers > 0 ? answers[--nanswers] : NULL, cb_arg);
}

static void
test_show(void *arg __unused, const char *title __unused, char **lines,
    size_t n)
{
	size_t	 i;

	shown[0] = '\0';
	for (i = 0; i < n; i++) {
		strncat(shown, lines[i], sizeof shown - strlen(shown) - 2);
		strcat(shown, "\n");
	}
}

static const struct cmd_ui_ops test_ui = {
	.secret = test_secret,
	.show = test_show
};

static void
cmd_setup(struct cmd_ctx *ctx, struct test_capture *cap)
{
	test_capture_init(ctx, cap, ME);
	test_capture_store(cap, st);
	ctx->ui = &test_ui;
	ctx->ui_arg = ctx;
	nanswers = asked = 0;
	shown[0] = '\0';
}

static void
answer(struct cmd_ctx *ctx, struct job *j, int ok, const char *body)
{
	struct net_result	 r;
	struct haos_error	 e;

	memset(&r, 0, sizeof r);
	r.tag = j->tag;
	r.ok = ok;
	r.body = (char *)body;
	if (!ok) {
		haos_error_set(&e, HAOS_EMATRIX, "M_FORBIDDEN");
		r.err = &e;
	}
	ck_assert_int_eq(cmd_result(ctx, &r), 0);
}

START_TEST(test_cmd_recovery)
{
	struct test_capture	 cap;
	struct cmd_ctx		 ctx;

	cmd_setup(&ctx, &cap);
	answers[nanswers++] = "EsT1 HT7u";
	ck_assert_int_eq(cmd_run_line(&ctx, "/recovery"), CMD_RETURN_WAIT);
	ck_assert_int_eq(asked, 1);
	ck_assert_int_eq(cap.njobs, 1);
	ck_assert_int_eq(cap.jobs[0]->type, JOB_SECRETS);
	ck_assert_str_eq(cap.jobs[0]->method, "recovery");
	ck_assert_str_eq(cap.jobs[0]->content, "EsT1 HT7u");
	answer(&ctx, cap.jobs[0], 1, "unlocked master");
	ck_assert_ptr_nonnull(strstr(cap.out, "recovery: unlocked master"));
	test_capture_free(&cap);

	cmd_setup(&ctx, &cap);
	answers[nanswers++] = "correct horse";
	cmd_run_line(&ctx, "/recovery -p");
	ck_assert_int_eq(cap.njobs, 1);
	ck_assert_str_eq(cap.jobs[0]->method, "recovery-passphrase");
	test_capture_free(&cap);

	/* Left without an answer: nothing asked of the net thread. */
	cmd_setup(&ctx, &cap);
	cmd_run_line(&ctx, "/recovery");
	ck_assert_int_eq(asked, 1);
	ck_assert_int_eq(cap.njobs, 0);
	ck_assert_int_eq(cap.errors, 1);
	test_capture_free(&cap);
}
END_TEST

/* /recovery new: uploads in order, the key shown only after them. */
START_TEST(test_cmd_recovery_new)
{
	struct test_capture	 cap;
	struct cmd_ctx		 ctx;
	const char		*made = "{\"recovery_key\":\"EsXX KEY\","
	    "\"account_data\":[{\"type\":\"m.secret_storage.key.K\","
	    "\"content\":{\"algorithm\":\"a\"}},{\"type\":"
	    "\"m.secret_storage.default_key\",\"content\":{\"key\":\"K\"}}]}";

	cmd_setup(&ctx, &cap);
	ck_assert_int_eq(cmd_run_line(&ctx, "/recovery new"),
	    CMD_RETURN_WAIT);
	ck_assert_int_eq(asked, 0);
	ck_assert_int_eq(cap.njobs, 1);
	ck_assert_str_eq(cap.jobs[0]->method, "recovery-new");
	answer(&ctx, cap.jobs[0], 1, made);
	ck_assert_int_eq(cap.njobs, 2);
	ck_assert_int_eq(cap.jobs[1]->type, JOB_REQUEST);
	ck_assert_str_eq(cap.jobs[1]->method, "PUT");
	ck_assert_ptr_nonnull(strstr(cap.jobs[1]->path,
	    "/account_data/m.secret_storage.key.K"));
	ck_assert_ptr_null(strstr(cap.out, "EsXX"));
	answer(&ctx, cap.jobs[1], 1, "{}");
	ck_assert_int_eq(cap.njobs, 3);
	ck_assert_ptr_nonnull(strstr(cap.jobs[2]->path,
	    "/account_data/m.secret_storage.default_key"));
	ck_assert_ptr_null(strstr(cap.out, "EsXX"));
	ck_assert_str_eq(shown, "");
	answer(&ctx, cap.jobs[2], 1, "{}");
	ck_assert_ptr_nonnull(strstr(shown, "EsXX KEY"));
	ck_assert_ptr_nonnull(strstr(shown, "Write it down"));
	ck_assert_ptr_null(strstr(cap.out, "EsXX"));
	test_capture_free(&cap);

	/* A failed upload: the key is never shown. */
	cmd_setup(&ctx, &cap);
	cmd_run_line(&ctx, "/recovery new");
	answer(&ctx, cap.jobs[0], 1, made);
	answer(&ctx, cap.jobs[1], 0, NULL);
	ck_assert_int_eq(cap.njobs, 2);
	ck_assert_str_eq(shown, "");
	ck_assert_ptr_null(strstr(cap.out, "EsXX"));
	ck_assert_ptr_nonnull(strstr(cap.out, "upload failed"));
	test_capture_free(&cap);

	/* An account that has secret storage: refused before any job. */
	account_data_in();
	cmd_setup(&ctx, &cap);
	ck_assert_int_eq(cmd_run_line(&ctx, "/recovery new"),
	    CMD_RETURN_ERROR);
	ck_assert_int_eq(cap.njobs, 0);
	ck_assert_ptr_nonnull(strstr(cap.out, "already"));
	test_capture_free(&cap);
}
END_TEST

/* /keys export asks twice and both must agree; import once. */
START_TEST(test_cmd_keys)
{
	struct test_capture	 cap;
	struct cmd_ctx		 ctx;

	cmd_setup(&ctx, &cap);
	answers[nanswers++] = "pass";
	answers[nanswers++] = "pass";
	cmd_run_line(&ctx, "/keys export /tmp/k.txt");
	ck_assert_int_eq(asked, 2);
	ck_assert_int_eq(cap.njobs, 1);
	ck_assert_str_eq(cap.jobs[0]->method, "keys-export");
	ck_assert_str_eq(cap.jobs[0]->content, "pass");
	ck_assert_str_eq(cap.jobs[0]->path, "/tmp/k.txt");
	answer(&ctx, cap.jobs[0], 1, "exported 3 room keys to /tmp/k.txt");
	ck_assert_ptr_nonnull(strstr(cap.out, "keys: exported 3"));
	test_capture_free(&cap);

	cmd_setup(&ctx, &cap);
	answers[nanswers++] = "pass2";
	answers[nanswers++] = "pass";
	cmd_run_line(&ctx, "/keys export /tmp/k.txt");
	ck_assert_int_eq(cap.njobs, 0);
	ck_assert_ptr_nonnull(strstr(cap.out, "differ"));
	test_capture_free(&cap);

	cmd_setup(&ctx, &cap);
	answers[nanswers++] = "pass";
	cmd_run_line(&ctx, "/keys import /tmp/k.txt");
	ck_assert_int_eq(asked, 1);
	ck_assert_int_eq(cap.njobs, 1);
	ck_assert_str_eq(cap.jobs[0]->method, "keys-import");
	test_capture_free(&cap);

	cmd_setup(&ctx, &cap);
	ck_assert_int_eq(cmd_run_line(&ctx, "/keys send /tmp/k.txt"),
	    CMD_RETURN_ERROR);
	ck_assert_int_eq(cap.njobs, 0);
	test_capture_free(&cap);
}
END_TEST

Suite *
suite_secrets(void)
{
	Suite	*s = suite_create("secrets");
	TCase	*tc;

	tc = tcase_create("recovery");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_recovery_vector);
	tcase_add_test(tc, test_recovery_round_trip);
	tcase_add_test(tc, test_recovery_bad);
	tcase_add_test(tc, test_passphrase);
	suite_add_tcase(s, tc);

	tc = tcase_create("ssss");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ssss_js);
	tcase_add_test(tc, test_ssss_round_trip);
	tcase_add_test(tc, test_signing_public);
	tcase_add_test(tc, test_unlock);
	tcase_add_test(tc, test_unlock_unpublished);
	tcase_add_test(tc, test_unlock_none);
	tcase_add_test(tc, test_create);
	suite_add_tcase(s, tc);

	tc = tcase_create("keyfile");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_keyfile_py);
	tcase_add_test(tc, test_keyfile_round_trip);
	tcase_add_test(tc, test_keyfile_iv);
	tcase_add_test(tc, test_import);
	tcase_add_test(tc, test_import_skips);
	tcase_add_test(tc, test_export);
	tcase_add_test(tc, test_net_keys);
	suite_add_tcase(s, tc);

	tc = tcase_create("commands");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_net_recovery);
	tcase_add_test(tc, test_cmd_recovery);
	tcase_add_test(tc, test_cmd_recovery_new);
	tcase_add_test(tc, test_cmd_keys);
	suite_add_tcase(s, tc);
	return s;
}
