/* Encrypted attachments: AES-256-CTR both ways, the hash, the JWK. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/crypto-attachment.h"
#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/xmalloc.h"

/*
 * A fixed vector made with python3-cryptography:
 *   key = bytes(range(32)); iv = bytes(0xa0 + i for i in range(8)) + 8 * 0
 *   pt = b"".join(b"line %02d of the attachment\n" % i for i in range(5))
 *   ct = Cipher(AES(key), CTR(iv)).encryptor().update(pt)
 *   sha256 = b64(hashlib.sha256(ct).digest()), unpadded
 */
#define ATT_K	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
#define ATT_IV	"oKGio6SlpqcAAAAAAAAAAA"
#define ATT_SHA	"kK5JppBMA6Nr4w3ZOrH0sdCveARPU9O3WAPfkxReYhM"
static const char att_ct_hex[] =
    "b2151520bdc4765fe1be06daafdc2d215dbf1fd92e8c9dbff6b81dead6cce22c"
    "cf7981ce71461a40f71eaeeded155dc7c3fb1af6d7e633fbedb47e48a72bf424"
    "848d57f90b071e74796b0d45885924ef100894f67e1db95af2f4329536c5e4b6"
    "a86e6673a23af149f17547f010ba7d016233747b23a77a090c997c712a08368d"
    "1b8e";

static size_t
att_plain(char *buf)
{
	int	 i;

	buf[0] = '\0';
	for (i = 0; i < 5; i++)
		sprintf(buf + strlen(buf), "line %02d of the attachment\n", i);
	return strlen(buf);
}

static size_t
att_ct(unsigned char *out)
{
	size_t	 i, n = strlen(att_ct_hex) / 2;

	for (i = 0; i < n; i++)
		sscanf(att_ct_hex + 2 * i, "%2hhx", &out[i]);
	return n;
}

static json_t *
att_file(const char *k, const char *iv, const char *sha)
{
	return json_pack("{s:s, s:{s:s, s:[s,s], s:s, s:s, s:b}, s:s, "
	    "s:{s:s}, s:s}", "url", "mxc://hs/abc",
	    "key", "kty", "oct", "key_ops", "encrypt", "decrypt",
	    "alg", "A256CTR", "k", k, "ext", 1, "iv", iv,
	    "hashes", "sha256", sha, "v", "v2");
}

/* The vector decrypts, in chunks of odd sizes, and its hash holds. */
START_TEST(test_decrypt_vector)
{
	struct crypto_attachment	*a;
	struct haos_error		 err;
	unsigned char			 ct[256], out[256];
	char				 pt[256];
	size_t				 n, off, step;
	json_t				*f;

	n = att_ct(ct);
	ck_assert_uint_eq(n, att_plain(pt));
	f = att_file(ATT_K, ATT_IV, ATT_SHA);
	a = crypto_attachment_open(f, &err);
	ck_assert_ptr_nonnull(a);
	for (off = 0, step = 1; off < n; off += step, step += 6) {
		if (off + step > n)
			step = n - off;
		ck_assert_int_eq(crypto_attachment_update(a, ct + off, step,
		    out + off, &err), 0);
	}
	ck_assert_int_eq(memcmp(out, pt, n), 0);
	ck_assert_int_eq(crypto_attachment_verify(a, &err), 0);
	/* Again from the start (a retried download). */
	crypto_attachment_restart(a);
	ck_assert_int_eq(crypto_attachment_update(a, ct, n, out, &err), 0);
	ck_assert_int_eq(memcmp(out, pt, n), 0);
	ck_assert_int_eq(crypto_attachment_verify(a, &err), 0);
	crypto_attachment_free(a);
	json_decref(f);
}
END_TEST

/* One changed byte of ciphertext, or another hash: refused. */
START_TEST(test_decrypt_tampered)
{
	struct crypto_attachment	*a;
	struct haos_error		 err;
	unsigned char			 ct[256], out[256];
	size_t				 n;
	json_t				*f;

	n = att_ct(ct);
	ct[40] ^= 1;
	f = att_file(ATT_K, ATT_IV, ATT_SHA);
	a = crypto_attachment_open(f, &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(crypto_attachment_update(a, ct, n, out, &err), 0);
	ck_assert_int_eq(crypto_attachment_verify(a, &err), -1);
	ck_assert_str_eq(err.msg, "the file's hash does not match: refused");
	crypto_attachment_free(a);
	json_decref(f);

	ct[40] ^= 1;
	f = att_file(ATT_K, ATT_IV,
	    "AAAAppBMA6Nr4w3ZOrH0sdCveARPU9O3WAPfkxReYhM");
	a = crypto_attachment_open(f, &err);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(crypto_attachment_update(a, ct, n, out, &err), 0);
	ck_assert_int_eq(crypto_attachment_verify(a, &err), -1);
	crypto_attachment_free(a);
	json_decref(f);
}
END_TEST

/* Every way a file object can be wrong is refused before any byte. */
START_TEST(test_bad_jwk)
{
	static const struct {
		const char	*path;	/* member changed */
		const char	*json;	/* its new value; NULL: removed */
	} bad[] = {
		{ "v", "\"v1\"" },
		{ "v", NULL },
		{ "url", NULL },
		{ "iv", "\"oKGio6SlpqcAAAAAAAAA\"" },	/* 14 bytes */
		{ "iv", "\"not base64!\"" },
		{ "iv", NULL },
		{ "hashes", "{}" },
		{ "hashes", "{\"sha256\": \"AAAA\"}" },
		{ "key.kty", "\"RSA\"" },
		{ "key.alg", "\"A128CTR\"" },
		{ "key.alg", NULL },
		{ "key.ext", "false" },
		{ "key.ext", NULL },
		{ "key.key_ops", "[\"encrypt\"]" },
		{ "key.k", "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg\"" },
		{ "key.k", "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+\"" },
		{ "key.k", "42" },
		{ "key", "\"oct\"" },
	};
	struct crypto_attachment	*a;
	struct haos_error		 err;
	json_t				*f, *obj, *v;
	const char			*name;
	size_t				 i;

	for (i = 0; i < nitems(bad); i++) {
		f = att_file(ATT_K, ATT_IV, ATT_SHA);
		obj = f;
		name = bad[i].path;
		if (strncmp(name, "key.", 4) == 0) {
			obj = json_object_get(f, "key");
			name += 4;
		}
		if (bad[i].json == NULL)
			json_object_del(obj, name);
		else {
			v = json_loads(bad[i].json, JSON_DECODE_ANY, NULL);
			ck_assert_ptr_nonnull(v);
			json_object_set_new(obj, name, v);
		}
		a = crypto_attachment_open(f, &err);
		if (a != NULL)
			ck_abort_msg("accepted bad file object %zu (%s)", i,
			    bad[i].path);
		json_decref(f);
	}
	ck_assert_ptr_null(crypto_attachment_open(NULL, &err));
}
END_TEST

/* Encrypt with the fixed key: the vector; the file object opens it. */
START_TEST(test_encrypt_vector)
{
	struct crypto_attachment	*a, *d;
	struct haos_error		 err;
	unsigned char			 key[32], iv[16], ct[256], out[256];
	unsigned char			 back[256];
	char				 pt[256];
	size_t				 n, i;
	json_t				*f;

	for (i = 0; i < 32; i++)
		key[i] = (unsigned char)i;
	for (i = 0; i < 16; i++)
		iv[i] = i < 8 ? (unsigned char)(0xa0 + i) : 0;
	n = att_plain(pt);
	ck_assert_uint_eq(att_ct(ct), n);
	a = crypto_attachment_seal_from(key, iv);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(crypto_attachment_update(a, pt, 7, out, &err), 0);
	ck_assert_int_eq(crypto_attachment_update(a, pt + 7, n - 7, out + 7,
	    &err), 0);
	ck_assert_int_eq(memcmp(out, ct, n), 0);
	f = crypto_attachment_file(a, "mxc://hs/up");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(json_path_str(f, "key.k", ""), ATT_K);
	ck_assert_str_eq(json_get_str(f, "iv", ""), ATT_IV);
	ck_assert_str_eq(json_path_str(f, "hashes.sha256", ""), ATT_SHA);
	ck_assert_str_eq(json_get_str(f, "url", ""), "mxc://hs/up");
	d = crypto_attachment_open(f, &err);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(crypto_attachment_update(d, out, n, back, &err), 0);
	ck_assert_int_eq(crypto_attachment_verify(d, &err), 0);
	ck_assert_int_eq(memcmp(back, pt, n), 0);
	crypto_attachment_free(d);
	crypto_attachment_free(a);
	json_decref(f);
}
END_TEST

/* A fresh key each time, the IV's counter half zero; round trip. */
START_TEST(test_encrypt_fresh)
{
	struct crypto_attachment	*a, *b, *d;
	struct haos_error		 err;
	unsigned char			*iv = NULL, *buf, *ct, *back;
	size_t				 ivlen = 0, n = 100000, i;
	json_t				*fa, *fb;

	buf = xmalloc(n);
	ct = xmalloc(n);
	back = xmalloc(n);
	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 7);
	a = crypto_attachment_seal();
	b = crypto_attachment_seal();
	ck_assert_int_eq(crypto_attachment_update(a, buf, n, ct, &err), 0);
	ck_assert_int_eq(crypto_attachment_update(b, buf, 10, back, &err), 0);
	fa = crypto_attachment_file(a, "mxc://hs/a");
	fb = crypto_attachment_file(b, "mxc://hs/b");
	ck_assert_str_ne(json_path_str(fa, "key.k", ""),
	    json_path_str(fb, "key.k", ""));
	ck_assert_int_eq(base64_decode(json_get_str(fa, "iv", ""),
	    strlen(json_get_str(fa, "iv", "")), &iv, &ivlen), 0);
	ck_assert_uint_eq(ivlen, 16);
	for (i = 8; i < 16; i++)
		ck_assert_uint_eq(iv[i], 0);
	ck_assert_int_ne(memcmp(ct, buf, 64), 0);
	d = crypto_attachment_open(fa, &err);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(crypto_attachment_update(d, ct, n, back, &err), 0);
	ck_assert_int_eq(crypto_attachment_verify(d, &err), 0);
	ck_assert_int_eq(memcmp(back, buf, n), 0);
	crypto_attachment_free(a);
	crypto_attachment_free(b);
	crypto_attachment_free(d);
	json_decref(fa);
	json_decref(fb);
	free(iv);
	free(buf);
	free(ct);
	free(back);
}
END_TEST

Suite *
suite_attachment(void)
{
	Suite	*s = suite_create("attachment");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_decrypt_vector);
	tcase_add_test(tc, test_decrypt_tampered);
	tcase_add_test(tc, test_bad_jwk);
	tcase_add_test(tc, test_encrypt_vector);
	tcase_add_test(tc, test_encrypt_fresh);
	suite_add_tcase(s, tc);
	return s;
}
