/* Emoji verification (crypto-sas*.c): two haos in one process. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/crypto-sas.h"
#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/xmalloc.h"

#include "../../src/crypto/crypto-int.h"

#define NOW	1700000000000LL

/* The device keys and master keys every side's store would hold. */
struct key_row {
	const char	*user, *device, *key;
};
static struct key_row	 dev_keys[8];
static struct key_row	 msk_keys[4];

static int
env_device_key(void *arg, const char *user, const char *device, char **out)
{
	size_t	 i;

	(void)arg;
	for (i = 0; i < nitems(dev_keys) && dev_keys[i].user != NULL; i++) {
		if (strcmp(dev_keys[i].user, user) == 0 &&
		    strcmp(dev_keys[i].device, device) == 0) {
			*out = xstrdup(dev_keys[i].key);
			return 1;
		}
	}
	return 0;
}

static int
env_master_key(void *arg, const char *user, char **out)
{
	size_t	 i;

	(void)arg;
	for (i = 0; i < nitems(msk_keys) && msk_keys[i].user != NULL; i++) {
		if (strcmp(msk_keys[i].user, user) == 0) {
			*out = xstrdup(msk_keys[i].key);
			return 1;
		}
	}
	return 0;
}

/* Our own devices: those of dev_keys whose user is arg. */
static int
env_own_devices(void *arg, char ***out)
{
	char	**ids;
	size_t	  i, n = 0;

	ids = xcalloc(nitems(dev_keys) + 1, sizeof *ids);
	for (i = 0; i < nitems(dev_keys) && dev_keys[i].user != NULL; i++)
		if (strcmp(dev_keys[i].user, arg) == 0)
			ids[n++] = xstrdup(dev_keys[i].device);
	*out = ids;
	return 1;
}

/* The users whose keys a side asked for (want_keys), space-separated. */
static char	 wanted[256];

static void
env_want_keys(void *arg, const char *user)
{
	(void)arg;
	snprintf(wanted + strlen(wanted), sizeof wanted - strlen(wanted),
	    "%s ", user);
}

struct side {
	struct crypto_sas_self	 self;
	struct crypto_sas_list	*l;
	char			 cancels[256];	/* codes it received */
	int			 nmsgs;		/* messages it sent */
};

static void
side_init(struct side *s, const char *user, const char *device,
    const char *ed25519, const char *msk)
{
	struct crypto_sas_env	 env;

	memset(s, 0, sizeof *s);
	s->self.user_id = user;
	s->self.device_id = device;
	s->self.ed25519 = ed25519;
	s->self.msk = msk;
	env.device_key = env_device_key;
	env.master_key = env_master_key;
	env.own_devices = env_own_devices;
	env.want_keys = env_want_keys;
	env.arg = (void *)user;
	s->l = crypto_sas_list_new(&s->self, &env);
}

static void
keys_default(void)
{
	memset(dev_keys, 0, sizeof dev_keys);
	memset(msk_keys, 0, sizeof msk_keys);
	dev_keys[0] = (struct key_row){ "@alice:hs", "ALICEDEV", "EDALICE" };
	dev_keys[1] = (struct key_row){ "@bob:hs", "BOBDEV", "EDBOB" };
	dev_keys[2] = (struct key_row){ "@alice:hs", "ALICE2", "EDALICE2" };
	dev_keys[3] = (struct key_row){ "@alice:hs", "ALICE3", "EDALICE3" };
	msk_keys[0] = (struct key_row){ "@alice:hs", NULL, "MSKALICE" };
	msk_keys[1] = (struct key_row){ "@bob:hs", NULL, "MSKBOB" };
}

/* A change to a message in transit; NULL: none. */
typedef void (*tamper_fn)(struct crypto_sas_msg *);

static int	 event_seq;

/*
 * Deliver from's queued messages to to (those addressed to its user
 * and device, or all its devices); 1 if any went.  An in-room request
 * gets its event id, told to the sender as the send path would.
 */
static int
deliver(struct side *from, struct side *to, const char *room, tamper_fn f)
{
	struct crypto_sas_msg	*m;
	const char		*code;
	char			 evid[32];
	int			 any = 0;

	while ((m = crypto_sas_next(from->l)) != NULL) {
		any = 1;
		from->nmsgs++;
		if (f != NULL)
			f(m);
		if (m->room_id != NULL) {
			snprintf(evid, sizeof evid, "$ev%d", ++event_seq);
			if (m->local_id != NULL)
				crypto_sas_request_sent(from->l, m->local_id,
				    evid);
			ck_assert_str_eq(m->room_id, room);
			/* Its echo comes back to the sender too. */
			crypto_sas_receive(from->l, from->self.user_id, room,
			    evid, m->type, m->content, NOW);
			crypto_sas_receive(to->l, from->self.user_id, room,
			    evid, m->type, m->content, NOW);
		} else if (strcmp(m->user_id, to->self.user_id) == 0 &&
		    (strcmp(m->device_id, "*") == 0 ||
		    strcmp(m->device_id, to->self.device_id) == 0))
			crypto_sas_receive(to->l, from->self.user_id, NULL,
			    NULL, m->type, m->content, NOW);
		if (strcmp(m->type, "m.key.verification.cancel") == 0 &&
		    (m->device_id == NULL || strcmp(m->device_id, "*") == 0 ||
		    strcmp(m->device_id, to->self.device_id) == 0)) {
			code = json_get_str(m->content, "code", "?");
			snprintf(to->cancels + strlen(to->cancels),
			    sizeof to->cancels - strlen(to->cancels), "%s ",
			    code);
		}
		crypto_sas_msg_free(m);
	}
	return any;
}

static void
pump(struct side *a, struct side *b, const char *room, tamper_fn fa,
    tamper_fn fb)
{
	int	 any, rounds = 0;

	do {
		any = deliver(a, b, room, fa);
		any |= deliver(b, a, room, fb);
		ck_assert_int_lt(++rounds, 50);
	} while (any);
}

static struct crypto_sas_view
view_of(struct side *s, size_t i)
{
	struct crypto_sas_view	 v;

	ck_assert_int_eq(crypto_sas_view(s->l, i, &v), 0);
	return v;
}

static void
side_free(struct side *s)
{
	crypto_sas_list_free(s->l);
}

/* Alice and Bob, the request to-device from Alice to Bob's device. */
static const char *
start_pair(struct side *a, struct side *b, tamper_fn fa, tamper_fn fb)
{
	const char	*txn, *why;

	keys_default();
	event_seq = 0;
	side_init(a, "@alice:hs", "ALICEDEV", "EDALICE", "MSKALICE");
	side_init(b, "@bob:hs", "BOBDEV", "EDBOB", "MSKBOB");
	txn = crypto_sas_request(a->l, "@bob:hs", "BOBDEV", NULL, NOW, &why);
	ck_assert_ptr_nonnull(txn);
	pump(a, b, NULL, fa, fb);
	ck_assert_uint_eq(crypto_sas_count(b->l), 1);
	ck_assert_int_eq(view_of(b, 0).state, VERIFY_INCOMING);
	ck_assert_int_eq(crypto_sas_accept(b->l, txn), 1);
	pump(a, b, NULL, fa, fb);
	return txn;
}

START_TEST(test_emoji_table_is_the_spec)
{
	char			*path, *text;
	json_t			*arr, *e;
	const struct crypto_sas_emoji *m;
	size_t			 i;

	path = test_fixture("sas/sas-emoji.json");
	text = test_read_file(path);
	arr = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(arr);
	ck_assert_uint_eq(json_array_size(arr), CRYPTO_SAS_EMOJI_TABLE);
	json_array_foreach(arr, i, e) {
		ck_assert_int_eq(json_get_int(e, "number", -1), (int)i);
		m = crypto_sas_emoji((unsigned int)i);
		ck_assert_ptr_nonnull(m);
		ck_assert_str_eq(m->emoji, json_get_str(e, "emoji", ""));
		ck_assert_str_eq(m->name, json_get_str(e, "description", ""));
	}
	ck_assert_ptr_null(crypto_sas_emoji(CRYPTO_SAS_EMOJI_TABLE));
	json_decref(arr);
	free(text);
	free(path);
}
END_TEST

/*
 * A fixed vector from tests/unit/sas_oracle.py, the spec's algorithm
 * done with python3-cryptography: fixed private keys, the SAS info of
 * a start by Alice, its emoji, decimal numbers and a v2 MAC.
 */
START_TEST(test_engine_fixed_vector)
{
	struct haos_error		 err = { 0 };
	struct crypto_sas_engine	*a, *b;
	unsigned char			 ra[32], rb[32], sa[6], sb[6];
	int				 emoji[7], dec[3], i;
	const int			 want[7] = { 2, 40, 20, 33, 10, 40, 10 };
	char				*info, *mac;

	for (i = 0; i < 32; i++) {
		ra[i] = (unsigned char)(i + 1);
		rb[i] = (unsigned char)(i + 101);
	}
	a = crypto_sas_engine_from(ra, sizeof ra, &err);
	b = crypto_sas_engine_from(rb, sizeof rb, &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(crypto_sas_engine_pubkey(a),
	    "B6N8vBQgk8i3VdwbEOhstCY3StFqqFPtC9/AsrhtHHw");
	ck_assert_str_eq(crypto_sas_engine_pubkey(b),
	    "VxR2nRFr92Q2rnS8eT0sMK0ZA8WaxSc4BcfiaYtBDDY");
	ck_assert_int_eq(crypto_sas_engine_set_their_key(a,
	    crypto_sas_engine_pubkey(b), &err), 0);
	ck_assert_int_eq(crypto_sas_engine_set_their_key(b,
	    crypto_sas_engine_pubkey(a), &err), 0);
	info = xasprintf("MATRIX_KEY_VERIFICATION_SAS|@alice:hs|ALICEDEV|%s|"
	    "@bob:hs|BOBDEV|%s|txn1", crypto_sas_engine_pubkey(a),
	    crypto_sas_engine_pubkey(b));
	ck_assert_int_eq(crypto_sas_engine_bytes(a, info, sa, 6, &err), 0);
	ck_assert_int_eq(crypto_sas_engine_bytes(b, info, sb, 6, &err), 0);
	ck_assert_mem_eq(sa, sb, 6);
	ck_assert_mem_eq(sa, "\x0a\x85\x21\x2a\x82\xbf", 6);
	crypto_sas_emoji_indices(sa, emoji);
	ck_assert_mem_eq(emoji, want, sizeof want);
	crypto_sas_emoji_decimal(sa, dec);
	ck_assert_int_eq(dec[0], 1336);
	ck_assert_int_eq(dec[1], 6252);
	ck_assert_int_eq(dec[2], 6441);
	mac = crypto_sas_engine_mac(a, "ALICEKEY",
	    "MATRIX_KEY_VERIFICATION_MAC@alice:hsALICEDEV@bob:hsBOBDEVtxn1"
	    "ed25519:ALICEDEV", 1, &err);
	ck_assert_str_eq(mac, "l79UU/rV4x5fry+beVgVmahhXMwopuNBlaeA/mmhM68");
	free(mac);
	free(info);
	crypto_sas_engine_free(a);
	crypto_sas_engine_free(b);
}
END_TEST

/* E2EE.md 0.1: no two runs share an ephemeral key. */
START_TEST(test_engine_keys_differ)
{
	struct haos_error		 err = { 0 };
	struct crypto_sas_engine	*a, *b;

	a = crypto_sas_engine_new(&err);
	b = crypto_sas_engine_new(&err);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(strlen(crypto_sas_engine_pubkey(a)), 43);
	ck_assert_str_ne(crypto_sas_engine_pubkey(a),
	    crypto_sas_engine_pubkey(b));
	crypto_sas_engine_free(a);
	crypto_sas_engine_free(b);
}
END_TEST

/* The whole to-device flow, haos to haos: same emoji, both verified. */
START_TEST(test_flow_to_device)
{
	struct side		 a, b;
	struct crypto_sas_view	 va, vb;
	const char		*txn;

	txn = start_pair(&a, &b, NULL, NULL);
	va = view_of(&a, 0);
	vb = view_of(&b, 0);
	ck_assert_int_eq(va.state, VERIFY_SHOW);
	ck_assert_int_eq(vb.state, VERIFY_SHOW);
	ck_assert_int_eq(va.has_emoji, 1);
	ck_assert_mem_eq(va.emoji, vb.emoji, sizeof va.emoji);
	ck_assert_mem_eq(va.decimal, vb.decimal, sizeof va.decimal);
	ck_assert_int_eq(crypto_sas_confirm(a.l, txn, 1), 1);
	pump(&a, &b, NULL, NULL, NULL);
	ck_assert_int_eq(view_of(&a, 0).state, VERIFY_CONFIRMED);
	ck_assert_int_eq(crypto_sas_confirm(b.l, txn, 1), 1);
	pump(&a, &b, NULL, NULL, NULL);
	va = view_of(&a, 0);
	vb = view_of(&b, 0);
	ck_assert_int_eq(va.state, VERIFY_DONE);
	ck_assert_int_eq(vb.state, VERIFY_DONE);
	ck_assert_int_eq(va.device_verified, 1);
	ck_assert_int_eq(va.msk_verified, 1);
	ck_assert_int_eq(vb.device_verified, 1);
	ck_assert_int_eq(vb.msk_verified, 1);
	ck_assert_str_eq(a.cancels, "");
	ck_assert_str_eq(b.cancels, "");
	side_free(&a);
	side_free(&b);
}
END_TEST

/* Their MAC before our confirmation is kept, checked after it. */
START_TEST(test_flow_mac_first)
{
	struct side	 a, b;
	const char	*txn;

	txn = start_pair(&a, &b, NULL, NULL);
	ck_assert_int_eq(crypto_sas_confirm(b.l, txn, 1), 1);
	pump(&a, &b, NULL, NULL, NULL);
	ck_assert_int_eq(view_of(&a, 0).state, VERIFY_SHOW);
	ck_assert_int_eq(crypto_sas_confirm(a.l, txn, 1), 1);
	pump(&a, &b, NULL, NULL, NULL);
	ck_assert_int_eq(view_of(&a, 0).state, VERIFY_DONE);
	ck_assert_int_eq(view_of(&b, 0).state, VERIFY_DONE);
	side_free(&a);
	side_free(&b);
}
END_TEST

/* In a DM: the request's event id is the transaction, echoes ignored. */
START_TEST(test_flow_in_room)
{
	struct side		 a, b;
	struct crypto_sas_view	 va, vb;
	const char		*id, *why;

	keys_default();
	event_seq = 0;
	side_init(&a, "@alice:hs", "ALICEDEV", "EDALICE", NULL);
	side_init(&b, "@bob:hs", "BOBDEV", "EDBOB", "MSKBOB");
	msk_keys[0].user = "@nobody:hs";	/* Alice has no master key */
	ck_assert_ptr_null(crypto_sas_request(a.l, "@bob:hs", NULL, NULL,
	    NOW, &why));
	id = crypto_sas_request(a.l, "@bob:hs", NULL, "!dm:hs", NOW, &why);
	ck_assert_ptr_nonnull(id);
	pump(&a, &b, "!dm:hs", NULL, NULL);
	vb = view_of(&b, 0);
	ck_assert_int_eq(vb.state, VERIFY_INCOMING);
	ck_assert_str_eq(vb.txn, "$ev1");
	ck_assert_str_eq(vb.room_id, "!dm:hs");
	ck_assert_str_eq(view_of(&a, 0).txn, "$ev1");
	ck_assert_uint_eq(crypto_sas_count(a.l), 1);	/* echo ignored */
	crypto_sas_accept(b.l, "$ev1");
	pump(&a, &b, "!dm:hs", NULL, NULL);
	va = view_of(&a, 0);
	vb = view_of(&b, 0);
	ck_assert_int_eq(va.state, VERIFY_SHOW);
	ck_assert_mem_eq(va.emoji, vb.emoji, sizeof va.emoji);
	crypto_sas_confirm(a.l, "$ev1", 1);
	crypto_sas_confirm(b.l, "$ev1", 1);
	pump(&a, &b, "!dm:hs", NULL, NULL);
	va = view_of(&a, 0);
	vb = view_of(&b, 0);
	ck_assert_int_eq(va.state, VERIFY_DONE);
	ck_assert_int_eq(vb.state, VERIFY_DONE);
	ck_assert_int_eq(va.msk_verified, 1);	/* Bob's */
	ck_assert_int_eq(vb.msk_verified, 0);	/* Alice has none */
	ck_assert_int_eq(vb.device_verified, 1);
	side_free(&a);
	side_free(&b);
}
END_TEST

/* Our own devices: to all of them; the others hear m.accepted. */
START_TEST(test_flow_own_devices)
{
	struct side		 a, a2;
	struct crypto_sas_msg	*m;
	const char		*txn, *why;
	int			 accepted = 0;

	keys_default();
	side_init(&a, "@alice:hs", "ALICEDEV", "EDALICE", "MSKALICE");
	side_init(&a2, "@alice:hs", "ALICE2", "EDALICE2", "MSKALICE");
	txn = crypto_sas_request(a.l, "@alice:hs", NULL, NULL, NOW, &why);
	ck_assert_ptr_nonnull(txn);
	pump(&a, &a2, NULL, NULL, NULL);
	crypto_sas_accept(a2.l, txn);
	ck_assert(deliver(&a2, &a, NULL, NULL));
	/* Alice's answer to the ready: start to ALICE2, accepted to 3. */
	while ((m = crypto_sas_next(a.l)) != NULL) {
		if (strcmp(m->type, "m.key.verification.cancel") == 0) {
			ck_assert_str_eq(m->device_id, "ALICE3");
			ck_assert_str_eq(json_get_str(m->content, "code", ""),
			    "m.accepted");
			accepted++;
		} else
			crypto_sas_receive(a2.l, "@alice:hs", NULL, NULL,
			    m->type, m->content, NOW);
		crypto_sas_msg_free(m);
	}
	ck_assert_int_eq(accepted, 1);
	pump(&a, &a2, NULL, NULL, NULL);
	crypto_sas_confirm(a.l, txn, 1);
	crypto_sas_confirm(a2.l, txn, 1);
	pump(&a, &a2, NULL, NULL, NULL);
	ck_assert_int_eq(view_of(&a, 0).state, VERIFY_DONE);
	ck_assert_int_eq(view_of(&a2, 0).state, VERIFY_DONE);
	ck_assert_int_eq(view_of(&a, 0).device_verified, 1);
	side_free(&a);
	side_free(&a2);
}
END_TEST

static void
tamper_commitment(struct crypto_sas_msg *m)
{
	if (strcmp(m->type, "m.key.verification.key") == 0)
		json_object_set_new(m->content, "key", json_string(
		    "VxR2nRFr92Q2rnS8eT0sMK0ZA8WaxSc4BcfiaYtBDDY"));
}

/* E.10: the key Bob sends is not the one his accept committed to. */
START_TEST(test_cancel_mismatched_commitment)
{
	struct side	 a, b;

	start_pair(&a, &b, NULL, tamper_commitment);
	ck_assert_int_eq(view_of(&a, 0).state, VERIFY_CANCELLED);
	ck_assert_str_eq(view_of(&a, 0).cancel_code,
	    "m.mismatched_commitment");
	ck_assert_str_eq(b.cancels, "m.mismatched_commitment ");
	ck_assert_int_eq(view_of(&b, 0).state, VERIFY_CANCELLED);
	side_free(&a);
	side_free(&b);
}
END_TEST

static void
tamper_mac(struct crypto_sas_msg *m)
{
	json_t	*mac;

	if (strcmp(m->type, "m.key.verification.mac") != 0)
		return;
	mac = json_get_obj(m->content, "mac");
	json_object_set_new(mac, "ed25519:BOBDEV", json_string(
	    "l79UU/rV4x5fry+beVgVmahhXMwopuNBlaeA/mmhM68"));
}

/* E.10: a MAC that does not match: m.key_mismatch, nothing verified. */
START_TEST(test_cancel_mac_mismatch)
{
	struct side	 a, b;
	const char	*txn;

	txn = start_pair(&a, &b, NULL, tamper_mac);
	crypto_sas_confirm(a.l, txn, 1);
	crypto_sas_confirm(b.l, txn, 1);
	pump(&a, &b, NULL, NULL, tamper_mac);
	ck_assert_int_eq(view_of(&a, 0).state, VERIFY_CANCELLED);
	ck_assert_str_eq(view_of(&a, 0).cancel_code, "m.key_mismatch");
	ck_assert_int_eq(view_of(&a, 0).device_verified, 0);
	ck_assert_str_eq(b.cancels, "m.key_mismatch ");
	side_free(&a);
	side_free(&b);
}
END_TEST

/* The device key Alice's store has for Bob is not the one he MACs. */
START_TEST(test_cancel_wrong_device_key)
{
	struct side	 a, b;
	const char	*txn;

	txn = start_pair(&a, &b, NULL, NULL);
	/* Too late to matter: the keys were fixed at the ready. */
	dev_keys[1].key = "EDMALLORY";
	crypto_sas_confirm(a.l, txn, 1);
	crypto_sas_confirm(b.l, txn, 1);
	pump(&a, &b, NULL, NULL, NULL);
	ck_assert_int_eq(view_of(&a, 0).state, VERIFY_DONE);
	side_free(&a);
	side_free(&b);

	keys_default();
	side_init(&a, "@alice:hs", "ALICEDEV", "EDALICE", NULL);
	side_init(&b, "@bob:hs", "BOBDEV", "EDBOB", NULL);
	msk_keys[0].user = msk_keys[1].user = "@nobody:hs";
	dev_keys[1].key = "EDMALLORY";
	txn = crypto_sas_request(a.l, "@bob:hs", "BOBDEV", NULL, NOW,
	    &(const char *){ NULL });
	pump(&a, &b, NULL, NULL, NULL);
	crypto_sas_accept(b.l, txn);
	pump(&a, &b, NULL, NULL, NULL);
	crypto_sas_confirm(a.l, txn, 1);
	crypto_sas_confirm(b.l, txn, 1);
	pump(&a, &b, NULL, NULL, NULL);
	ck_assert_str_eq(view_of(&a, 0).cancel_code, "m.key_mismatch");
	ck_assert_int_eq(view_of(&a, 0).device_verified, 0);
	side_free(&a);
	side_free(&b);
}
END_TEST

/* E.10, CVE-2022-39250: a device whose id is a master key. */
START_TEST(test_cancel_key_id_swap)
{
	struct side	 a, b;
	const char	*txn, *why;

	keys_default();
	side_init(&a, "@alice:hs", "ALICEDEV", "EDALICE", "MSKALICE");
	side_init(&b, "@bob:hs", "MSKBOB", "EDBOB", "MSKBOB");
	dev_keys[1].device = "MSKBOB";
	/* Asked for by us: refused at once. */
	ck_assert_ptr_null(crypto_sas_request(a.l, "@bob:hs", "MSKBOB", NULL,
	    NOW, &why));
	ck_assert_uint_eq(crypto_sas_count(a.l), 0);
	ck_assert_ptr_null(crypto_sas_next(a.l));
	/* Asking us: cancelled. */
	txn = crypto_sas_request(b.l, "@alice:hs", "ALICEDEV", NULL, NOW,
	    &why);
	ck_assert_ptr_nonnull(txn);
	pump(&b, &a, NULL, NULL, NULL);
	ck_assert_int_eq(view_of(&a, 0).state, VERIFY_CANCELLED);
	ck_assert_str_eq(view_of(&a, 0).cancel_code, "m.key_mismatch");
	ck_assert_str_eq(b.cancels, "m.key_mismatch ");
	side_free(&a);
	side_free(&b);
}
END_TEST

/* A start as another client would send it, from Alice's device. */
static json_t *
alice_start(const char *txn)
{
	return json_pack("{s:s, s:s, s:[s], s:[s], s:[s], s:[s,s], s:s}",
	    "from_device", "ALICEDEV", "method", "m.sas.v1",
	    "key_agreement_protocols", "curve25519-hkdf-sha256", "hashes",
	    "sha256", "message_authentication_codes", "hkdf-hmac-sha256.v2",
	    "short_authentication_string", "emoji", "decimal",
	    "transaction_id", txn);
}

/* E.10: both send a start; the smaller user id's stands. */
START_TEST(test_two_starts)
{
	struct side		 a, b;
	struct crypto_sas_msg	*m;
	json_t			*st;
	const char		*txn, *why;

	/* Alice asked; Bob's start crosses hers: hers stands. */
	keys_default();
	side_init(&a, "@alice:hs", "ALICEDEV", "EDALICE", "MSKALICE");
	side_init(&b, "@bob:hs", "BOBDEV", "EDBOB", "MSKBOB");
	txn = crypto_sas_request(a.l, "@bob:hs", "BOBDEV", NULL, NOW, &why);
	pump(&a, &b, NULL, NULL, NULL);
	crypto_sas_accept(b.l, txn);
	ck_assert(deliver(&b, &a, NULL, NULL));
	ck_assert_int_eq(view_of(&a, 0).state, VERIFY_STARTED);
	st = json_pack("{s:s, s:s, s:[s], s:[s], s:[s], s:[s], s:s}",
	    "from_device", "BOBDEV", "method", "m.sas.v1",
	    "key_agreement_protocols", "curve25519-hkdf-sha256", "hashes",
	    "sha256", "message_authentication_codes", "hkdf-hmac-sha256.v2",
	    "short_authentication_string", "decimal", "transaction_id", txn);
	ck_assert_int_eq(crypto_sas_receive(a.l, "@bob:hs", NULL, NULL,
	    "m.key.verification.start", st, NOW), 0);
	json_decref(st);
	ck_assert_int_eq(view_of(&a, 0).state, VERIFY_STARTED);
	pump(&a, &b, NULL, NULL, NULL);
	ck_assert_int_eq(view_of(&a, 0).state, VERIFY_SHOW);
	ck_assert_int_eq(view_of(&b, 0).state, VERIFY_SHOW);
	side_free(&a);
	side_free(&b);

	/* Bob asked; Alice's start crosses his: his gives way. */
	side_init(&a, "@alice:hs", "ALICEDEV", "EDALICE", "MSKALICE");
	side_init(&b, "@bob:hs", "BOBDEV", "EDBOB", "MSKBOB");
	txn = crypto_sas_request(b.l, "@alice:hs", "ALICEDEV", NULL, NOW,
	    &why);
	pump(&b, &a, NULL, NULL, NULL);
	crypto_sas_accept(a.l, txn);
	ck_assert(deliver(&a, &b, NULL, NULL));
	ck_assert_int_eq(view_of(&b, 0).state, VERIFY_STARTED);
	m = crypto_sas_next(b.l);		/* his start, lost */
	ck_assert_str_eq(m->type, "m.key.verification.start");
	crypto_sas_msg_free(m);
	st = alice_start(txn);
	ck_assert_int_eq(crypto_sas_receive(b.l, "@alice:hs", NULL, NULL,
	    "m.key.verification.start", st, NOW), 1);
	json_decref(st);
	ck_assert_int_eq(view_of(&b, 0).state, VERIFY_ACCEPTED);
	m = crypto_sas_next(b.l);
	ck_assert_str_eq(m->type, "m.key.verification.accept");
	ck_assert_ptr_nonnull(json_get_str(m->content, "commitment", NULL));
	crypto_sas_msg_free(m);
	side_free(&a);
	side_free(&b);
}
END_TEST

/* E.10: an event of a transaction nobody began. */
START_TEST(test_cancel_unknown_transaction)
{
	struct side		 a;
	struct crypto_sas_msg	*m;
	json_t			*c;

	keys_default();
	side_init(&a, "@alice:hs", "ALICEDEV", "EDALICE", NULL);
	c = json_pack("{s:s, s:s}", "key", "abc", "transaction_id", "nope");
	ck_assert_int_eq(crypto_sas_receive(a.l, "@bob:hs", NULL, NULL,
	    "m.key.verification.key", c, NOW), 0);
	json_decref(c);
	m = crypto_sas_next(a.l);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->type, "m.key.verification.cancel");
	ck_assert_str_eq(m->user_id, "@bob:hs");
	ck_assert_str_eq(json_get_str(m->content, "code", ""),
	    "m.unknown_transaction");
	ck_assert_str_eq(json_get_str(m->content, "transaction_id", ""),
	    "nope");
	crypto_sas_msg_free(m);
	ck_assert_uint_eq(crypto_sas_count(a.l), 0);	/* nothing to show */
	/* A start or a cancel of no known request is not answered. */
	c = alice_start("other");
	ck_assert_int_eq(crypto_sas_receive(a.l, "@bob:hs", NULL, NULL,
	    "m.key.verification.start", c, NOW), 0);
	json_decref(c);
	c = json_pack("{s:s, s:s}", "code", "m.user", "transaction_id", "x");
	crypto_sas_receive(a.l, "@bob:hs", NULL, NULL,
	    "m.key.verification.cancel", c, NOW);
	json_decref(c);
	ck_assert_ptr_null(crypto_sas_next(a.l));
	side_free(&a);
}
END_TEST

/* E.10: ten minutes without an end: m.timeout. */
START_TEST(test_cancel_timeout)
{
	struct side	 a, b;

	start_pair(&a, &b, NULL, NULL);
	ck_assert_int_eq(crypto_sas_tick(a.l, NOW + CRYPTO_SAS_TIMEOUT_MS), 0);
	ck_assert_int_eq(crypto_sas_tick(a.l, NOW + CRYPTO_SAS_TIMEOUT_MS +
	    1), 1);
	pump(&a, &b, NULL, NULL, NULL);
	ck_assert_str_eq(view_of(&a, 0).cancel_code, "m.timeout");
	ck_assert_str_eq(view_of(&b, 0).cancel_code, "m.timeout");
	ck_assert_int_eq(view_of(&b, 0).cancelled_by_us, 0);
	ck_assert_str_eq(b.cancels, "m.timeout ");
	/* Ended and not dismissed: forgotten after twice as long. */
	ck_assert_uint_eq(crypto_sas_count(a.l), 1);
	ck_assert_int_eq(crypto_sas_tick(a.l, NOW + 2 *
	    CRYPTO_SAS_TIMEOUT_MS + 1), 1);
	ck_assert_uint_eq(crypto_sas_count(a.l), 0);
	side_free(&a);
	side_free(&b);
}
END_TEST

/*
 * E2EE.md Step 8: a device the store does not know yet (its list not
 * queried) is asked for, and the machine holds its key event, showing
 * no emoji; once the device is known it goes on and completes, both
 * the device and the master key verified.  Unknown for longer than
 * CRYPTO_SAS_KEYS_WAIT_MS after the key came: m.timeout, not
 * m.key_mismatch.
 */
START_TEST(test_unknown_device_waits)
{
	struct side	 a, b;
	const char	*txn, *why;
	int		 pass;

	for (pass = 0; pass < 2; pass++) {
		keys_default();
		event_seq = 0;
		wanted[0] = '\0';
		/* Alice's store does not have Bob's new device, nor his
		   master key (both come with the /keys/query). */
		dev_keys[1].device = "BOBNEW";
		msk_keys[1].user = "@nobody:hs";
		side_init(&a, "@alice:hs", "ALICEDEV", "EDALICE", "MSKALICE");
		side_init(&b, "@bob:hs", "BOBDEV", "EDBOB", "MSKBOB");
		txn = crypto_sas_request(a.l, "@bob:hs", "BOBDEV", NULL, NOW,
		    &why);
		ck_assert_ptr_nonnull(txn);
		ck_assert_str_eq(wanted, "@bob:hs ");
		pump(&a, &b, NULL, NULL, NULL);
		crypto_sas_accept(b.l, txn);
		pump(&a, &b, NULL, NULL, NULL);
		/* Held: Bob shows emoji, Alice does not (yet). */
		ck_assert_int_eq(view_of(&b, 0).state, VERIFY_SHOW);
		ck_assert_int_eq(view_of(&a, 0).state, VERIFY_KEY_SENT);
		ck_assert_str_eq(wanted, "@bob:hs ");	/* asked once */
		ck_assert_int_eq(crypto_sas_tick(a.l, NOW + 1000), 0);
		ck_assert_int_eq(view_of(&a, 0).state, VERIFY_KEY_SENT);
		if (pass == 1) {
			/* The keys never come. */
			ck_assert_int_eq(crypto_sas_tick(a.l, NOW +
			    CRYPTO_SAS_KEYS_WAIT_MS), 0);
			ck_assert_int_eq(crypto_sas_tick(a.l, NOW +
			    CRYPTO_SAS_KEYS_WAIT_MS + 1), 1);
			pump(&a, &b, NULL, NULL, NULL);
			ck_assert_str_eq(view_of(&a, 0).cancel_code,
			    "m.timeout");
			ck_assert_str_eq(b.cancels, "m.timeout ");
			side_free(&a);
			side_free(&b);
			continue;
		}
		/* Bob confirms first: his MAC waits with the held key. */
		crypto_sas_confirm(b.l, txn, 1);
		pump(&a, &b, NULL, NULL, NULL);
		ck_assert_int_eq(view_of(&a, 0).state, VERIFY_KEY_SENT);
		/* The /keys/query answer is stored. */
		dev_keys[1].device = "BOBDEV";
		msk_keys[1].user = "@bob:hs";
		ck_assert_int_eq(crypto_sas_tick(a.l, NOW + 2000), 1);
		ck_assert_int_eq(view_of(&a, 0).state, VERIFY_SHOW);
		pump(&a, &b, NULL, NULL, NULL);
		ck_assert_mem_eq(view_of(&a, 0).emoji, view_of(&b, 0).emoji,
		    sizeof view_of(&a, 0).emoji);
		crypto_sas_confirm(a.l, txn, 1);
		pump(&a, &b, NULL, NULL, NULL);
		ck_assert_int_eq(view_of(&a, 0).state, VERIFY_DONE);
		ck_assert_int_eq(view_of(&b, 0).state, VERIFY_DONE);
		ck_assert_int_eq(view_of(&a, 0).device_verified, 1);
		ck_assert_int_eq(view_of(&a, 0).msk_verified, 1);
		ck_assert_str_eq(a.cancels, "");
		ck_assert_str_eq(b.cancels, "");
		side_free(&a);
		side_free(&b);
	}
}
END_TEST

/* Their request from a device we lack: asked for, and it completes. */
START_TEST(test_unknown_device_request_in)
{
	struct side	 a, a2;
	const char	*txn, *why;

	keys_default();
	event_seq = 0;
	wanted[0] = '\0';
	/* Alice's new device ALICE9 asks ALICEDEV, which lacks it. */
	side_init(&a, "@alice:hs", "ALICEDEV", "EDALICE", "MSKALICE");
	side_init(&a2, "@alice:hs", "ALICE9", "EDALICE9", "MSKALICE");
	txn = crypto_sas_request(a2.l, "@alice:hs", "ALICEDEV", NULL, NOW,
	    &why);
	ck_assert_ptr_nonnull(txn);
	pump(&a2, &a, NULL, NULL, NULL);
	ck_assert_str_eq(wanted, "@alice:hs ");
	crypto_sas_accept(a.l, txn);
	pump(&a2, &a, NULL, NULL, NULL);
	/* ALICEDEV holds the key: it sends none and shows nothing. */
	ck_assert_int_eq(view_of(&a, 0).state, VERIFY_ACCEPTED);
	ck_assert_int_eq(view_of(&a2, 0).state, VERIFY_KEY_SENT);
	dev_keys[4] = (struct key_row){ "@alice:hs", "ALICE9", "EDALICE9" };
	ck_assert_int_eq(crypto_sas_tick(a.l, NOW + 3000), 1);
	pump(&a2, &a, NULL, NULL, NULL);
	ck_assert_int_eq(view_of(&a, 0).state, VERIFY_SHOW);
	ck_assert_int_eq(view_of(&a2, 0).state, VERIFY_SHOW);
	crypto_sas_confirm(a.l, txn, 1);
	crypto_sas_confirm(a2.l, txn, 1);
	pump(&a2, &a, NULL, NULL, NULL);
	ck_assert_int_eq(view_of(&a, 0).state, VERIFY_DONE);
	ck_assert_int_eq(view_of(&a, 0).device_verified, 1);
	ck_assert_int_eq(view_of(&a2, 0).state, VERIFY_DONE);
	side_free(&a);
	side_free(&a2);
}
END_TEST

/* A flood of requests keeps a bounded number; old or huge ones none. */
START_TEST(test_request_limits)
{
	struct side	 a;
	json_t		*c;
	char		 txn[32], big[300];
	int		 i;

	keys_default();
	side_init(&a, "@alice:hs", "ALICEDEV", "EDALICE", NULL);
	for (i = 0; i < 40; i++) {
		snprintf(txn, sizeof txn, "t%d", i);
		c = json_pack("{s:s, s:[s], s:I, s:s}", "from_device", "BOBDEV",
		    "methods", "m.sas.v1", "timestamp", (json_int_t)NOW,
		    "transaction_id", txn);
		crypto_sas_receive(a.l, "@bob:hs", NULL, NULL,
		    "m.key.verification.request", c, NOW);
		json_decref(c);
	}
	ck_assert_uint_eq(crypto_sas_count(a.l), 16);
	side_free(&a);

	side_init(&a, "@alice:hs", "ALICEDEV", "EDALICE", NULL);
	c = json_pack("{s:s, s:[s], s:I, s:s}", "from_device", "BOBDEV",
	    "methods", "m.sas.v1", "timestamp",
	    (json_int_t)(NOW - CRYPTO_SAS_TIMEOUT_MS - 1), "transaction_id",
	    "old");
	ck_assert_int_eq(crypto_sas_receive(a.l, "@bob:hs", NULL, NULL,
	    "m.key.verification.request", c, NOW), 0);
	json_decref(c);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	c = json_pack("{s:s, s:[s], s:I, s:s}", "from_device", "BOBDEV",
	    "methods", "m.sas.v1", "timestamp", (json_int_t)NOW,
	    "transaction_id", big);
	ck_assert_int_eq(crypto_sas_receive(a.l, "@bob:hs", NULL, NULL,
	    "m.key.verification.request", c, NOW), 0);
	json_decref(c);
	ck_assert_uint_eq(crypto_sas_count(a.l), 0);
	side_free(&a);
}
END_TEST

/* "n" to the emoji, and Esc. */
START_TEST(test_cancel_by_user)
{
	struct side	 a, b;
	const char	*txn;

	txn = start_pair(&a, &b, NULL, NULL);
	ck_assert_int_eq(crypto_sas_confirm(a.l, txn, 0), 1);
	pump(&a, &b, NULL, NULL, NULL);
	ck_assert_str_eq(b.cancels, "m.mismatched_sas ");
	ck_assert_int_eq(view_of(&b, 0).state, VERIFY_CANCELLED);
	ck_assert_int_eq(crypto_sas_confirm(b.l, txn, 1), 0);
	side_free(&a);
	side_free(&b);

	txn = start_pair(&a, &b, NULL, NULL);
	ck_assert_int_eq(crypto_sas_cancel(b.l, txn, "m.user"), 1);
	pump(&a, &b, NULL, NULL, NULL);
	ck_assert_str_eq(a.cancels, "m.user ");
	ck_assert_str_eq(view_of(&a, 0).cancel_code, "m.user");
	side_free(&a);
	side_free(&b);
}
END_TEST

static void
tamper_methods(struct crypto_sas_msg *m)
{
	if (strcmp(m->type, "m.key.verification.request") == 0)
		json_object_set_new(m->content, "methods",
		    json_pack("[s]", "m.qr_code.show.v1"));
}

static void
tamper_accept_early(struct crypto_sas_msg *m)
{
	if (strcmp(m->type, "m.key.verification.ready") == 0) {
		free(m->type);
		m->type = xstrdup("m.key.verification.key");
		json_object_set_new(m->content, "key", json_string("abc"));
	}
}

static void
tamper_mac_keys(struct crypto_sas_msg *m)
{
	if (strcmp(m->type, "m.key.verification.mac") == 0)
		json_object_del(m->content, "keys");
}

/* The other codes: no method in common, out of turn, bad content. */
START_TEST(test_cancel_codes)
{
	struct side	 a, b;
	const char	*txn;
	json_t		*c;

	keys_default();
	side_init(&a, "@alice:hs", "ALICEDEV", "EDALICE", NULL);
	side_init(&b, "@bob:hs", "BOBDEV", "EDBOB", NULL);
	crypto_sas_request(a.l, "@bob:hs", "BOBDEV", NULL, NOW,
	    &(const char *){ NULL });
	pump(&a, &b, NULL, tamper_methods, NULL);
	ck_assert_str_eq(a.cancels, "m.unknown_method ");
	ck_assert_int_eq(view_of(&b, 0).state, VERIFY_CANCELLED);
	side_free(&a);
	side_free(&b);

	side_init(&a, "@alice:hs", "ALICEDEV", "EDALICE", NULL);
	side_init(&b, "@bob:hs", "BOBDEV", "EDBOB", NULL);
	txn = crypto_sas_request(a.l, "@bob:hs", "BOBDEV", NULL, NOW,
	    &(const char *){ NULL });
	pump(&a, &b, NULL, NULL, NULL);
	crypto_sas_accept(b.l, txn);
	pump(&a, &b, NULL, NULL, tamper_accept_early);
	ck_assert_str_eq(b.cancels, "m.unexpected_message ");
	side_free(&a);
	side_free(&b);

	txn = start_pair(&a, &b, NULL, NULL);
	c = json_pack("{s:s, s:s}", "key", "abc", "transaction_id", txn);
	ck_assert_int_eq(crypto_sas_receive(a.l, "@mallory:hs", NULL, NULL,
	    "m.key.verification.key", c, NOW), 1);
	json_decref(c);
	ck_assert_str_eq(view_of(&a, 0).cancel_code, "m.user_mismatch");
	side_free(&a);
	side_free(&b);

	txn = start_pair(&a, &b, NULL, NULL);
	crypto_sas_confirm(a.l, txn, 1);
	crypto_sas_confirm(b.l, txn, 1);
	pump(&a, &b, NULL, NULL, tamper_mac_keys);
	ck_assert_str_eq(view_of(&a, 0).cancel_code, "m.invalid_message");
	side_free(&a);
	side_free(&b);
}
END_TEST

/* A peer without hkdf-hmac-sha256.v2 gets the legacy MAC. */
START_TEST(test_flow_legacy_mac)
{
	struct side		 a, b;
	struct crypto_sas_msg	*m;
	const char		*txn;
	json_t			*st;

	keys_default();
	side_init(&a, "@alice:hs", "ALICEDEV", "EDALICE", "MSKALICE");
	side_init(&b, "@bob:hs", "BOBDEV", "EDBOB", "MSKBOB");
	txn = crypto_sas_request(b.l, "@alice:hs", "ALICEDEV", NULL, NOW,
	    &(const char *){ NULL });
	pump(&b, &a, NULL, NULL, NULL);
	crypto_sas_accept(a.l, txn);
	ck_assert(deliver(&a, &b, NULL, NULL));
	crypto_sas_msg_free(crypto_sas_next(b.l));	/* Bob's start */
	st = alice_start(txn);
	json_object_set_new(st, "message_authentication_codes",
	    json_pack("[s]", "hkdf-hmac-sha256"));
	crypto_sas_receive(b.l, "@alice:hs", NULL, NULL,
	    "m.key.verification.start", st, NOW);
	json_decref(st);
	m = crypto_sas_next(b.l);
	ck_assert_str_eq(m->type, "m.key.verification.accept");
	ck_assert_str_eq(json_get_str(m->content,
	    "message_authentication_code", ""), "hkdf-hmac-sha256");
	crypto_sas_msg_free(m);
	side_free(&a);
	side_free(&b);
}
END_TEST

/* The legacy MAC is another MAC than v2 of the same input. */
START_TEST(test_engine_legacy_mac)
{
	struct haos_error		 err = { 0 };
	struct crypto_sas_engine	*a, *b;
	char				*m1, *m2;

	a = crypto_sas_engine_new(&err);
	b = crypto_sas_engine_new(&err);
	crypto_sas_engine_set_their_key(a, crypto_sas_engine_pubkey(b), &err);
	m1 = crypto_sas_engine_mac(a, "in", "info", 1, &err);
	m2 = crypto_sas_engine_mac(a, "in", "info", 0, &err);
	ck_assert_ptr_nonnull(m1);
	ck_assert_ptr_nonnull(m2);
	ck_assert_str_ne(m1, m2);
	free(m1);
	free(m2);
	crypto_sas_engine_free(a);
	crypto_sas_engine_free(b);
}
END_TEST

Suite *
suite_sas(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("sas");
	tc = tcase_create("engine");
	tcase_add_test(tc, test_emoji_table_is_the_spec);
	tcase_add_test(tc, test_engine_fixed_vector);
	tcase_add_test(tc, test_engine_keys_differ);
	tcase_add_test(tc, test_engine_legacy_mac);
	suite_add_tcase(s, tc);
	tc = tcase_create("flow");
	tcase_add_test(tc, test_flow_to_device);
	tcase_add_test(tc, test_flow_mac_first);
	tcase_add_test(tc, test_flow_in_room);
	tcase_add_test(tc, test_flow_own_devices);
	tcase_add_test(tc, test_flow_legacy_mac);
	suite_add_tcase(s, tc);
	tc = tcase_create("cancel");
	tcase_add_test(tc, test_cancel_mismatched_commitment);
	tcase_add_test(tc, test_cancel_mac_mismatch);
	tcase_add_test(tc, test_cancel_wrong_device_key);
	tcase_add_test(tc, test_cancel_key_id_swap);
	tcase_add_test(tc, test_two_starts);
	tcase_add_test(tc, test_cancel_unknown_transaction);
	tcase_add_test(tc, test_cancel_timeout);
	tcase_add_test(tc, test_unknown_device_waits);
	tcase_add_test(tc, test_unknown_device_request_in);
	tcase_add_test(tc, test_request_limits);
	tcase_add_test(tc, test_cancel_by_user);
	tcase_add_test(tc, test_cancel_codes);
	suite_add_tcase(s, tc);
	return s;
}
