/* The engine's Olm and Megolm sessions behind crypto.h (E2EE.md 0.2). */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/xmalloc.h"

static const unsigned char	key1[CRYPTO_PICKLE_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const unsigned char	key2[CRYPTO_PICKLE_KEY_LEN] = "fedcba9876543210fedcba987654321";

/* One unpublished one-time key of a (its base64 key), kept by a. */
static char *
one_otk(struct crypto_account *a)
{
	struct haos_error	 err = { 0 };
	json_t			*otks, *v;
	const char		*k;
	char			*out = NULL;

	ck_assert_int_eq(crypto_account_generate_otks(a, 1, &err), 0);
	otks = crypto_account_otks(a, &err);
	ck_assert_ptr_nonnull(otks);
	ck_assert_int_eq(json_object_size(otks), 1);
	json_object_foreach(otks, k, v)
		out = xstrdup(json_string_value(v));
	json_decref(otks);
	crypto_account_mark_published(a);
	return out;
}

/* Flip one character of a base64 pickle in place (stays base64). */
static void
flip(char *p)
{
	size_t	 n = strlen(p) / 2;

	p[n] = p[n] == 'A' ? 'B' : 'A';
}

START_TEST(test_olm_round_trip)
{
	struct haos_error	 err = { 0 };
	struct crypto_account	*a, *b;
	struct crypto_olm	*out, *in, *again;
	enum crypto_fail	 why = CRYPTO_FAIL_OTHER;
	char			*otk, *body, *body2, *reply, *pt, *p;
	const char		*msg = "héllo ✓ 日本語 🧪";
	size_t			 len;
	int			 type;

	a = crypto_account_new(&err);
	b = crypto_account_new(&err);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	otk = one_otk(b);

	out = crypto_olm_outbound(a, crypto_account_curve25519(b), otk, &err);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(crypto_olm_has_received(out), 0);
	type = crypto_olm_encrypt(out, msg, strlen(msg), &body, &err);
	ck_assert_int_eq(type, 0);
	type = crypto_olm_encrypt(out, "second", 6, &body2, &err);
	ck_assert_int_eq(type, 0);

	in = crypto_olm_inbound(b, crypto_account_curve25519(a), body, &why,
	    &err);
	ck_assert_ptr_nonnull(in);
	ck_assert_str_eq(crypto_olm_id(in), crypto_olm_id(out));
	ck_assert_int_eq(crypto_olm_matches(in, crypto_account_curve25519(a),
	    body), 1);
	ck_assert_int_eq(crypto_olm_matches(in, crypto_account_curve25519(b),
	    body), 0);
	pt = crypto_olm_decrypt(in, 0, body, &len, &why, &err);
	ck_assert_ptr_nonnull(pt);
	ck_assert_str_eq(pt, msg);
	ck_assert_uint_eq(len, strlen(msg));
	free(pt);
	ck_assert_int_eq(crypto_account_remove_otks(b, in, &err), 0);

	/* The input was not altered: the same body still matches. */
	ck_assert_int_eq(crypto_olm_matches(in, crypto_account_curve25519(a),
	    body), 1);
	/* Its one-time key is gone: no second session from it. */
	again = crypto_olm_inbound(b, crypto_account_curve25519(a), body, &why,
	    &err);
	ck_assert_ptr_null(again);
	ck_assert_int_eq(why, CRYPTO_FAIL_BAD_KEY_ID);

	pt = crypto_olm_decrypt(in, 0, body2, NULL, &why, &err);
	ck_assert_str_eq(pt, "second");
	free(pt);

	/* B replies with a normal message (type 1). */
	type = crypto_olm_encrypt(in, "reply", 5, &reply, &err);
	ck_assert_int_eq(type, 1);
	pt = crypto_olm_decrypt(out, 1, reply, NULL, &why, &err);
	ck_assert_ptr_nonnull(pt);
	ck_assert_str_eq(pt, "reply");
	free(pt);
	ck_assert_int_eq(crypto_olm_has_received(out), 1);

	/* The same normal message again: refused as a bad MAC. */
	why = CRYPTO_FAIL_OTHER;
	pt = crypto_olm_decrypt(out, 1, reply, NULL, &why, &err);
	ck_assert_ptr_null(pt);
	ck_assert_int_eq(why, CRYPTO_FAIL_BAD_MAC);
	ck_assert_int_eq(err.code, HAOS_ECRYPTO);

	/* A pickle round-trips; a wrong key or a flipped byte does not. */
	p = crypto_olm_pickle(out, key1, &err);
	ck_assert_ptr_nonnull(p);
	again = crypto_olm_unpickle(p, key1, &why, &err);
	ck_assert_ptr_nonnull(again);
	ck_assert_str_eq(crypto_olm_id(again), crypto_olm_id(out));
	crypto_olm_free(again);
	why = CRYPTO_FAIL_OTHER;
	ck_assert_ptr_null(crypto_olm_unpickle(p, key2, &why, &err));
	ck_assert_int_eq(why, CRYPTO_FAIL_BAD_KEY);
	flip(p);
	why = CRYPTO_FAIL_OTHER;
	ck_assert_ptr_null(crypto_olm_unpickle(p, key1, &why, &err));
	ck_assert_int_eq(why, CRYPTO_FAIL_BAD_KEY);
	free(p);

	free(otk);
	free(body);
	free(body2);
	free(reply);
	crypto_olm_free(out);
	crypto_olm_free(in);
	crypto_account_free(a);
	crypto_account_free(b);
}
END_TEST

/* Garbage and wrong types are refused without touching the session. */
START_TEST(test_olm_bad_input)
{
	struct haos_error	 err = { 0 };
	struct crypto_account	*a, *b;
	struct crypto_olm	*out;
	enum crypto_fail	 why = CRYPTO_FAIL_OTHER;
	char			*otk;

	a = crypto_account_new(&err);
	b = crypto_account_new(&err);
	otk = one_otk(b);
	out = crypto_olm_outbound(a, crypto_account_curve25519(b), otk, &err);
	ck_assert_ptr_null(crypto_olm_decrypt(out, 7, "AAAA", NULL, &why,
	    &err));
	ck_assert_int_eq(why, CRYPTO_FAIL_BAD_MESSAGE);
	why = CRYPTO_FAIL_OTHER;
	ck_assert_ptr_null(crypto_olm_decrypt(out, 1, "not base64!", NULL,
	    &why, &err));
	ck_assert_int_eq(why, CRYPTO_FAIL_BAD_MESSAGE);
	ck_assert_ptr_null(crypto_olm_inbound(b, crypto_account_curve25519(a),
	    "AAAA", &why, &err));
	ck_assert_int_eq(crypto_olm_matches(out, crypto_account_curve25519(b),
	    "AAAA"), 0);
	ck_assert_ptr_null(crypto_olm_outbound(a, "short", otk, &err));
	free(otk);
	crypto_olm_free(out);
	crypto_account_free(a);
	crypto_account_free(b);
}
END_TEST

START_TEST(test_megolm_round_trip)
{
	struct haos_error		 err = { 0 };
	struct crypto_megolm_out	*out, *out2;
	struct crypto_megolm_in		*in, *late, *again;
	enum crypto_fail		 why = CRYPTO_FAIL_OTHER;
	char				*key, *c0, *c1, *c2, *pt, *exp, *p;
	uint32_t			 idx = 99;

	out = crypto_megolm_out_new(&err);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(crypto_megolm_out_index(out), 0);
	key = crypto_megolm_out_key(out, &err);
	ck_assert_ptr_nonnull(key);
	c0 = crypto_megolm_out_encrypt(out, "zero", 4, &err);
	c1 = crypto_megolm_out_encrypt(out, "one", 3, &err);
	ck_assert_uint_eq(crypto_megolm_out_index(out), 2);

	in = crypto_megolm_in_new(key, &err);
	ck_assert_ptr_nonnull(in);
	ck_assert_str_eq(crypto_megolm_in_id(in), crypto_megolm_out_id(out));
	ck_assert_uint_eq(crypto_megolm_in_first_index(in), 0);
	pt = crypto_megolm_in_decrypt(in, c1, NULL, &idx, &why, &err);
	ck_assert_str_eq(pt, "one");
	ck_assert_uint_eq(idx, 1);
	free(pt);
	pt = crypto_megolm_in_decrypt(in, c0, NULL, &idx, &why, &err);
	ck_assert_str_eq(pt, "zero");
	ck_assert_uint_eq(idx, 0);
	free(pt);
	/* libolm has no replay guard: the same ciphertext decrypts again. */
	pt = crypto_megolm_in_decrypt(in, c0, NULL, &idx, &why, &err);
	ck_assert_ptr_nonnull(pt);
	free(pt);

	/* An export at index 1 knows 1 on, not 0. */
	exp = crypto_megolm_in_export(in, 1, &err);
	ck_assert_ptr_nonnull(exp);
	late = crypto_megolm_in_import(exp, &err);
	ck_assert_ptr_nonnull(late);
	ck_assert_uint_eq(crypto_megolm_in_first_index(late), 1);
	ck_assert_str_eq(crypto_megolm_in_id(late), crypto_megolm_out_id(out));
	ck_assert_ptr_null(crypto_megolm_in_decrypt(late, c0, NULL, &idx,
	    &why, &err));
	ck_assert_int_eq(why, CRYPTO_FAIL_UNKNOWN_INDEX);
	pt = crypto_megolm_in_decrypt(late, c1, NULL, &idx, &why, &err);
	ck_assert_str_eq(pt, "one");
	free(pt);
	/* Formats are not mixed up: an export is no sharing key. */
	ck_assert_ptr_null(crypto_megolm_in_new(exp, &err));
	ck_assert_ptr_null(crypto_megolm_in_import(key, &err));

	/* A key taken later starts at the current index. */
	free(key);
	key = crypto_megolm_out_key(out, &err);
	c2 = crypto_megolm_out_encrypt(out, "two", 3, &err);
	again = crypto_megolm_in_new(key, &err);
	ck_assert_uint_eq(crypto_megolm_in_first_index(again), 2);
	pt = crypto_megolm_in_decrypt(again, c2, NULL, &idx, &why, &err);
	ck_assert_str_eq(pt, "two");
	ck_assert_uint_eq(idx, 2);
	free(pt);
	crypto_megolm_in_free(again);

	/* Another session's message is refused. */
	out2 = crypto_megolm_out_new(&err);
	ck_assert_str_ne(crypto_megolm_out_id(out2),
	    crypto_megolm_out_id(out));
	free(c0);
	c0 = crypto_megolm_out_encrypt(out2, "other", 5, &err);
	why = CRYPTO_FAIL_OTHER;
	ck_assert_ptr_null(crypto_megolm_in_decrypt(in, c0, NULL, &idx, &why,
	    &err));
	ck_assert_msg(why == CRYPTO_FAIL_BAD_MAC, "%d %s", why, err.msg);

	/* Pickles: inbound and outbound. */
	p = crypto_megolm_in_pickle(in, key1, &err);
	again = crypto_megolm_in_unpickle(p, key1, &why, &err);
	ck_assert_ptr_nonnull(again);
	ck_assert_str_eq(crypto_megolm_in_id(again), crypto_megolm_in_id(in));
	pt = crypto_megolm_in_decrypt(again, c1, NULL, &idx, &why, &err);
	ck_assert_str_eq(pt, "one");
	free(pt);
	crypto_megolm_in_free(again);
	why = CRYPTO_FAIL_OTHER;
	ck_assert_ptr_null(crypto_megolm_in_unpickle(p, key2, &why, &err));
	ck_assert_int_eq(why, CRYPTO_FAIL_BAD_KEY);
	flip(p);
	why = CRYPTO_FAIL_OTHER;
	ck_assert_ptr_null(crypto_megolm_in_unpickle(p, key1, &why, &err));
	ck_assert_int_eq(why, CRYPTO_FAIL_BAD_KEY);
	free(p);

	p = crypto_megolm_out_pickle(out, key1, &err);
	out2 = (crypto_megolm_out_free(out2), NULL);
	out2 = crypto_megolm_out_unpickle(p, key1, &why, &err);
	ck_assert_ptr_nonnull(out2);
	ck_assert_str_eq(crypto_megolm_out_id(out2),
	    crypto_megolm_out_id(out));
	ck_assert_uint_eq(crypto_megolm_out_index(out2), 3);
	why = CRYPTO_FAIL_OTHER;
	ck_assert_ptr_null(crypto_megolm_out_unpickle(p, key2, &why, &err));
	ck_assert_int_eq(why, CRYPTO_FAIL_BAD_KEY);
	flip(p);
	why = CRYPTO_FAIL_OTHER;
	ck_assert_ptr_null(crypto_megolm_out_unpickle(p, key1, &why, &err));
	ck_assert_int_eq(why, CRYPTO_FAIL_BAD_KEY);
	free(p);

	free(key);
	free(exp);
	free(c0);
	free(c1);
	free(c2);
	crypto_megolm_in_free(in);
	crypto_megolm_in_free(late);
	crypto_megolm_out_free(out);
	crypto_megolm_out_free(out2);
}
END_TEST

Suite *
suite_olm(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("olm");
	tc = tcase_create("sessions");
	tcase_add_test(tc, test_olm_round_trip);
	tcase_add_test(tc, test_olm_bad_input);
	tcase_add_test(tc, test_megolm_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
