/* Fuzz what the encryption module reads from the server. */

/*
 * The first byte picks the input's kind, the rest is the server's text:
 *   0  a /sync answer, ingested with the device identity attached, so
 *      its to-device events go through Olm decryption and the payload
 *      checks, and its m.room.encrypted timeline events through Megolm
 *      (a real session is stored for FUZZ_ROOM; the peer's device is
 *      known);
 *   1  a /keys/query answer: every user's devices checked and stored;
 *   2  a /keys/claim answer: every claimed key checked against the
 *      peer's device before an Olm session is made on it.
 * Nothing may crash or leak, a /sync that is JSON must be accepted
 * (one bad event never fails a sync), and the encrypted room's events
 * are then read back and drawn as the UI does.
 */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/crypto.h"
#include "haos/crypto-out.h"
#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/store.h"

#define FUZZ_ME		"@me:haos.test"
#define FUZZ_PEER	"@bob:haos.test"
#define FUZZ_ROOM	"!enc:haos.test"
#define FUZZ_STORE_RUNS	300	/* inputs per store */

static struct store		*st;
static struct crypto_keys	*me;
static struct crypto_account	*peer;
static unsigned int		 runs;

/* The peer's m.room_key for session mg, over Olm to one of our keys. */
static json_t *
fuzz_e2ee_room_key(struct crypto_megolm_out *mg, const char *key)
{
	struct haos_error	 err;
	struct crypto_account	*a = crypto_keys_account_rw(me);
	struct crypto_olm	*o;
	json_t			*otks, *pl, *ev;
	char			*text, *body;
	int			 type;

	if (crypto_account_generate_otks(a, 1, &err) == -1 ||
	    (otks = crypto_account_otks(a, &err)) == NULL)
		fuzz_fail("one-time key: %s", err.msg);
	crypto_account_mark_published(a);
	o = crypto_olm_outbound(peer, crypto_account_curve25519(a),
	    json_string_value(json_object_iter_value(json_object_iter(otks))),
	    &err);
	if (o == NULL)
		fuzz_fail("olm: %s", err.msg);
	pl = json_pack("{s:s, s:{s:s, s:s, s:s, s:s}, s:s, s:s, s:{s:s}, "
	    "s:{s:s}}", "type", "m.room_key", "content", "algorithm",
	    "m.megolm.v1.aes-sha2", "room_id", FUZZ_ROOM, "session_id",
	    crypto_megolm_out_id(mg), "session_key", key, "sender", FUZZ_PEER,
	    "recipient", FUZZ_ME, "recipient_keys", "ed25519",
	    crypto_account_ed25519(a), "keys", "ed25519",
	    crypto_account_ed25519(peer));
	text = json_dumps(pl, JSON_COMPACT);
	if ((type = crypto_olm_encrypt(o, text, strlen(text), &body,
	    &err)) == -1)
		fuzz_fail("olm encrypt: %s", err.msg);
	ev = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:{s:i, s:s}}}}", "type",
	    "m.room.encrypted", "sender", FUZZ_PEER, "content", "algorithm",
	    "m.olm.v1.curve25519-aes-sha2", "sender_key",
	    crypto_account_curve25519(peer), "ciphertext",
	    crypto_account_curve25519(a), "type", type, "body", body);
	free(body);
	free(text);
	json_decref(pl);
	json_decref(otks);
	crypto_olm_free(o);
	return ev;
}

/* A new store and identity, the peer's device and a Megolm session. */
static void
fuzz_e2ee_open(void)
{
	struct haos_error		 err;
	struct crypto_megolm_out	*mg;
	json_t				*sync;
	char				*path, *kp, *key, *text;

	if (me != NULL) {
		store_set_crypto(st, NULL);
		crypto_keys_free(me);
		store_close(st);
	}
	path = fuzz_write("e2ee.db", (const uint8_t *)"", 0);
	unlink(path);
	kp = fuzz_write("pickle-key", (const uint8_t *)"", 0);
	unlink(kp);
	if ((st = store_open(path, STORE_RW, &err)) == NULL ||
	    (me = crypto_keys_open(st, kp, FUZZ_ME, "MEDEV", &err)) == NULL)
		fuzz_fail("open: %s", err.msg);
	store_set_crypto(st, me);
	if (peer == NULL && (peer = crypto_account_new(&err)) == NULL)
		fuzz_fail("peer: %s", err.msg);
	if (store_begin(st, &err) == -1 ||
	    store_device_put(st, FUZZ_PEER, "BOBDEV",
	    crypto_account_ed25519(peer), crypto_account_curve25519(peer),
	    "{}", NULL, &err) == -1 ||
	    store_commit(st, &err) == -1)
		fuzz_fail("device: %s", err.msg);
	/* The room, encrypted, with a key stored as an m.room_key would. */
	if ((mg = crypto_megolm_out_new(&err)) == NULL ||
	    (key = crypto_megolm_out_key(mg, &err)) == NULL)
		fuzz_fail("megolm: %s", err.msg);
	sync = json_pack("{s:s, s:{s:[o]}, s:{s:{s:{s:{s:[{s:s, s:s, s:s, "
	    "s:s, s:I, s:{s:s}}]}}}}}", "next_batch", "s0", "to_device",
	    "events", fuzz_e2ee_room_key(mg, key), "rooms", "join", FUZZ_ROOM,
	    "state", "events", "type", "m.room.encryption", "state_key", "",
	    "event_id", "$enc:haos.test", "sender", FUZZ_PEER,
	    "origin_server_ts", (json_int_t)1, "content", "algorithm",
	    "m.megolm.v1.aes-sha2");
	text = json_dumps(sync, JSON_COMPACT);
	{
		struct ingest_result	 res;

		if (ingest_sync_text(st, text, strlen(text), &res, &err) == -1)
			fuzz_fail("room: %s", err.msg);
		ingest_result_free(&res);
	}
	free(text);
	json_decref(sync);
	free(key);
	crypto_megolm_out_free(mg);
	free(kp);
	free(path);
}

static void
fuzz_e2ee_sync(const uint8_t *data, size_t size)
{
	struct haos_error	 err;
	struct ingest_result	 res;
	json_t			*j;

	j = json_load_network((const char *)data, size, NULL, NULL);
	if (ingest_sync_text(st, (const char *)data, size, &res, &err) == -1) {
		/*
		 * An answer with a next_batch is never refused for what an
		 * event (encrypted or not) holds: one bad event is skipped.
		 */
		if (json_is_string(json_object_get(j, "next_batch")) &&
		    err.code != HAOS_EPROTO)
			fuzz_fail("a /sync was refused: %s", err.msg);
	} else
		ingest_result_free(&res);
	json_decref(j);
	fuzz_view_room(st, FUZZ_ROOM);
}

static void
fuzz_e2ee_query(const uint8_t *data, size_t size)
{
	struct haos_error	 err;
	json_t			*j, *devs;
	const char		*user;

	j = json_load_network((const char *)data, size, NULL, NULL);
	if (store_begin(st, &err) == -1)
		fuzz_fail("begin: %s", err.msg);
	json_object_foreach(json_object_get(j, "device_keys"), user, devs) {
		if (json_is_object(devs) &&
		    crypto_devices_store(st, user, devs, &err) == -1)
			fuzz_fail("devices: %s", err.msg);
	}
	if (store_commit(st, &err) == -1)
		fuzz_fail("commit: %s", err.msg);
	json_decref(j);
}

static void
fuzz_e2ee_claim(const uint8_t *data, size_t size)
{
	struct haos_error	 err;
	struct crypto_device	 d;
	struct crypto_olm	*o;
	json_t			*j, *keys;
	const char		*dev;

	memset(&d, 0, sizeof d);
	d.user_id = FUZZ_PEER;
	d.ed25519 = crypto_account_ed25519(peer);
	d.curve25519 = crypto_account_curve25519(peer);
	j = json_load_network((const char *)data, size, NULL, NULL);
	json_object_foreach(json_object_get(json_object_get(j,
	    "one_time_keys"), FUZZ_PEER), dev, keys) {
		d.device_id = dev;
		o = crypto_out_claimed(crypto_keys_account_rw(me), &d, keys,
		    &err);
		/* No key of the fuzzer's is signed by the peer. */
		if (o != NULL)
			fuzz_fail("a session on a key the device did not sign");
	}
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (me == NULL || ++runs >= FUZZ_STORE_RUNS) {
		runs = 0;
		fuzz_e2ee_open();
	}
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_e2ee_sync(data + 1, size - 1);
		break;
	case 1:
		fuzz_e2ee_query(data + 1, size - 1);
		break;
	default:
		fuzz_e2ee_claim(data + 1, size - 1);
		break;
	}
	return 0;
}
