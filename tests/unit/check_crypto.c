/* The crypto foundations: randomness, base64, canonical JSON, signatures,
 * the pickle key and the device identity (E2EE.md Steps 0 and 1). */
#include "check_haos.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <errno.h>

#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/matrix.h"
#include "haos/store.h"
#include "haos/xmalloc.h"
#include "../../src/store-int.h"

static char	*dir;

static void
setup(void)
{
	dir = test_tmpdir();
}

static void
teardown(void)
{
	test_rmtree(dir);
	free(dir);
}

static char *
tmp(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

START_TEST(test_random)
{
	unsigned char	 a[64], b[64], big[1000], zero[64];
	size_t		 i, nz = 0;

	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	memset(zero, 0, sizeof zero);
	memset(big, 0, sizeof big);
	crypto_random(a, sizeof a);
	crypto_random(b, sizeof b);
	crypto_random(big, sizeof big);
	ck_assert(memcmp(a, zero, sizeof a) != 0);
	ck_assert(memcmp(a, b, sizeof a) != 0);
	for (i = 0; i < sizeof big; i++)
		nz += big[i] != 0;
	ck_assert_uint_gt(nz, sizeof big / 2);
	crypto_random(a, 0);
}
END_TEST

/* The spec's appendix "Unpadded Base64" and RFC 4648 section 10. */
/*
 * With getrandom(2) failing (ENOSYS, from a seccomp filter on this test's
 * own process), crypto_random() aborts rather than hand out weaker
 * bytes: the test passes only by SIGABRT.
 */
START_TEST(test_random_failure_aborts)
{
	struct sock_filter	 filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
	};
	struct sock_fprog	 prog = { nitems(filter), filter };
	unsigned char		 buf[32];

	ck_assert_int_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	ck_assert_int_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0,
	    0), 0);
	crypto_random(buf, sizeof buf);
	ck_abort_msg("crypto_random returned without randomness");
}
END_TEST

START_TEST(test_base64)
{
	static const char	*in[] = { "", "f", "fo", "foo", "foob",
				    "fooba", "foobar" };
	static const char	*out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg",
				    "Zm9vYmE", "Zm9vYmFy" };
	static const char	*padded[] = { "", "Zg==", "Zm8=", "Zm9v",
				    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	static const char	*bad[] = { "Z", "Zg=", "Zg===", "Zh", "Zm9",
				    "Zm9v!", "Zm 9v", "Zm9v-_", "=", "Zg=x",
				    "Zm9vY", "Zg==Zg" };
	static const unsigned char bin[] = { 0xfb, 0xff, 0xbf, 0x00 };
	unsigned char		*dec, buf[64];
	size_t			 i, n, len;
	char			*enc;

	for (i = 0; i < nitems(in); i++) {
		enc = base64_encode(in[i], strlen(in[i]));
		ck_assert_str_eq(enc, out[i]);
		free(enc);
		ck_assert_int_eq(base64_decode(out[i], strlen(out[i]), &dec,
		    &len), 0);
		ck_assert_uint_eq(len, strlen(in[i]));
		ck_assert(memcmp(dec, in[i], len) == 0);
		free(dec);
		ck_assert_int_eq(base64_decode(padded[i], strlen(padded[i]),
		    &dec, &len), 0);
		ck_assert_uint_eq(len, strlen(in[i]));
		ck_assert(memcmp(dec, in[i], len) == 0);
		free(dec);
	}
	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(base64_decode(bad[i], strlen(bad[i]), &dec,
		    &len) == -1, "accepted %s", bad[i]);

	/* The two alphabets differ in 62 and 63 only. */
	enc = base64_encode(bin, sizeof bin);
	ck_assert_str_eq(enc, "+/+/AA");
	free(enc);
	enc = base64_url_encode(bin, sizeof bin);
	ck_assert_str_eq(enc, "-_-_AA");
	ck_assert_int_eq(base64_url_decode(enc, strlen(enc), &dec, &len), 0);
	ck_assert_uint_eq(len, sizeof bin);
	ck_assert(memcmp(dec, bin, len) == 0);
	free(dec);
	ck_assert_int_eq(base64_decode(enc, strlen(enc), &dec, &len), -1);
	free(enc);
	ck_assert_int_eq(base64_url_decode("+/+/AA", 6, &dec, &len), -1);
	ck_assert_int_eq(base64_url_decode("-_-_AA==", 8, &dec, &len), 0);
	free(dec);

	/* Every length round-trips, in both alphabets. */
	for (n = 0; n <= sizeof buf; n++) {
		crypto_random(buf, n);
		enc = base64_encode(buf, n);
		ck_assert(strchr(enc, '=') == NULL);
		ck_assert_int_eq(base64_decode(enc, strlen(enc), &dec, &len),
		    0);
		ck_assert_uint_eq(len, n);
		ck_assert(n == 0 || memcmp(dec, buf, n) == 0);
		free(dec);
		free(enc);
		enc = base64_url_encode(buf, n);
		ck_assert_int_eq(base64_url_decode(enc, strlen(enc), &dec,
		    &len), 0);
		ck_assert_uint_eq(len, n);
		ck_assert(n == 0 || memcmp(dec, buf, n) == 0);
		free(dec);
		free(enc);
	}
}
END_TEST

static void
canon_is(const char *in, const char *want)
{
	struct haos_error	 err;
	json_t			*v;
	char			*out;

	v = json_loads(in, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	ck_assert_msg(v != NULL, "cannot parse %s", in);
	out = canonical_json(v, &err);
	ck_assert_msg(out != NULL, "%s: %s", in, err.msg);
	ck_assert_str_eq(out, want);
	free(out);
	json_decref(v);
}

static void
canon_refused(json_t *v)
{
	struct haos_error	 err;
	char			*out;

	out = canonical_json(v, &err);
	ck_assert_msg(out == NULL, "accepted: %s", out);
	ck_assert_int_eq(err.code, HAOS_ECRYPTO);
	json_decref(v);
}

/* The examples of the spec's appendix "Canonical JSON", then the hard parts. */
START_TEST(test_canonical_spec)
{
	canon_is("{}", "{}");
	canon_is("{\n    \"one\": 1,\n    \"two\": \"Two\"\n}",
	    "{\"one\":1,\"two\":\"Two\"}");
	canon_is("{\n    \"b\": \"2\",\n    \"a\": \"1\"\n}",
	    "{\"a\":\"1\",\"b\":\"2\"}");
	canon_is("{\"b\":\"2\",\"a\":\"1\"}", "{\"a\":\"1\",\"b\":\"2\"}");
	canon_is("{\"auth\": {\"success\": true, \"mxid\": "
	    "\"@john.doe:example.com\", \"profile\": {\"display_name\": "
	    "\"John Doe\", \"three_pids\": [{\"medium\": \"email\", "
	    "\"address\": \"john.doe@example.org\"}, {\"medium\": "
	    "\"msisdn\", \"address\": \"123456789\"}]}}}",
	    "{\"auth\":{\"mxid\":\"@john.doe:example.com\",\"profile\":"
	    "{\"display_name\":\"John Doe\",\"three_pids\":[{\"address\":"
	    "\"john.doe@example.org\",\"medium\":\"email\"},{\"address\":"
	    "\"123456789\",\"medium\":\"msisdn\"}]},\"success\":true}}");
	canon_is("{\"a\": \"日本語\"}", "{\"a\":\"日本語\"}");
	canon_is("{\"本\": 2, \"日\": 1}", "{\"日\":1,\"本\":2}");
	canon_is("{\"a\": \"\\u65E5\"}", "{\"a\":\"日\"}");
	canon_is("{\"a\": null}", "{\"a\":null}");
}
END_TEST

START_TEST(test_canonical_strings)
{
	/* Controls: the short escapes, else lower-case \u00xx. */
	canon_is("\"\\u0000\\u0001\\u001f\\u001F\\b\\t\\n\\f\\r\\u000b\"",
	    "\"\\u0000\\u0001\\u001f\\u001f\\b\\t\\n\\f\\r\\u000b\"");
	/* '"' and '\\' escaped; '/', DEL, U+2028 and astral raw. */
	canon_is("\"\\\"\\\\\\/\\u007f\\u2028\\u2029\\ud83d\\ude00\"",
	    "\"\\\"\\\\/\x7f\xe2\x80\xa8\xe2\x80\xa9\xf0\x9f\x98\x80\"");
	/* Keys are escaped the same way, and sorted as bytes. */
	canon_is("{\"b\\n\": 1, \"a\\u0001\": 2, \"\\ud83d\\ude00\": 3, "
	    "\"\\uffff\": 4, \"B\": 5, \"\": 6}",
	    "{\"\":6,\"B\":5,\"a\\u0001\":2,\"b\\n\":1,\"\xef\xbf\xbf\":4,"
	    "\"\xf0\x9f\x98\x80\":3}");
	/* A key that is a prefix of another sorts first. */
	canon_is("{\"ab\": 1, \"a\": 2}", "{\"a\":2,\"ab\":1}");
	canon_is("[\"x\", [], {}, true, false, null]",
	    "[\"x\",[],{},true,false,null]");
}
END_TEST

START_TEST(test_canonical_numbers)
{
	canon_is("[0, -0, 1, -1, 9007199254740991, -9007199254740991]",
	    "[0,0,1,-1,9007199254740991,-9007199254740991]");
	/* Integral reals become integers; others are refused. */
	canon_is("{\"a\": -0.0, \"b\": 1e10, \"c\": 2.0}",
	    "{\"a\":0,\"b\":10000000000,\"c\":2}");
	canon_refused(json_integer(9007199254740992LL));
	canon_refused(json_integer(-9007199254740992LL));
	canon_refused(json_pack("{s:[f]}", "a", 1.5));
	canon_refused(json_real(9007199254740992.0));
	canon_refused(json_real(1e300));
	canon_refused(json_pack("[i,{s:f}]", 1, "x", 0.1));
}
END_TEST

/* Only the top level's "signatures" and "unsigned" are left out. */
START_TEST(test_canonical_signable)
{
	struct haos_error	 err;
	json_t			*v;
	char			*out;

	v = json_loads("{\"unsigned\": {\"age\": 1}, \"signatures\": {\"x\": "
	    "{}}, \"a\": {\"signatures\": 1, \"unsigned\": 2}}", 0, NULL);
	out = canonical_json_signable(v, &err);
	ck_assert_str_eq(out, "{\"a\":{\"signatures\":1,\"unsigned\":2}}");
	free(out);
	out = canonical_json(v, &err);
	ck_assert_str_eq(out, "{\"a\":{\"signatures\":1,\"unsigned\":2},"
	    "\"signatures\":{\"x\":{}},\"unsigned\":{\"age\":1}}");
	free(out);
	json_decref(v);
	v = json_array();
	ck_assert_ptr_null(canonical_json_signable(v, &err));
	json_decref(v);
}
END_TEST

START_TEST(test_sign_verify)
{
	struct haos_error	 err;
	struct crypto_account	*a, *b;
	json_t			*o, *c;
	const char		*ed;

	a = crypto_account_new(&err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	b = crypto_account_new(&err);
	ck_assert_msg(b != NULL, "%s", err.msg);
	ed = crypto_account_ed25519(a);
	ck_assert_uint_eq(strlen(ed), 43);	/* 32 bytes, unpadded */
	ck_assert_str_ne(ed, crypto_account_ed25519(b));
	ck_assert_str_ne(crypto_account_curve25519(a),
	    crypto_account_curve25519(b));

	o = json_loads("{\"key\": \"abc\", \"ctl\": \"\\u001f\\u2028\", "
	    "\"unsigned\": {\"x\": 1}, \"signatures\": {\"@o:h\": {\"ed25519:"
	    "O\": \"kept\"}}}", 0, NULL);
	ck_assert_int_eq(crypto_sign_json(a, o, "@a:h", "DEV", &err), 0);
	/* Our signature joins the others. */
	ck_assert_str_eq(json_string_value(json_path(o,
	    "signatures.@o:h.ed25519:O")), "kept");
	ck_assert_int_eq(crypto_sign_verify(o, "@a:h", "ed25519:DEV", ed,
	    &err), 0);
	/* unsigned may change; the signed part may not; the key must fit. */
	json_object_set_new(json_object_get(o, "unsigned"), "y",
	    json_integer(2));
	ck_assert_int_eq(crypto_sign_verify(o, "@a:h", "ed25519:DEV", ed,
	    &err), 0);
	ck_assert_int_eq(crypto_sign_verify(o, "@a:h", "ed25519:DEV",
	    crypto_account_ed25519(b), &err), -1);
	ck_assert_str_eq(err.errcode, "OLM_BAD_MESSAGE_MAC");
	c = json_deep_copy(o);
	json_object_set_new(c, "key", json_string("abd"));
	ck_assert_int_eq(crypto_sign_verify(c, "@a:h", "ed25519:DEV", ed,
	    &err), -1);
	json_decref(c);
	ck_assert_int_eq(crypto_sign_verify(o, "@a:h", "ed25519:OTHER", ed,
	    &err), -1);
	ck_assert_int_eq(crypto_sign_verify(o, "@b:h", "ed25519:DEV", ed,
	    &err), -1);
	json_decref(o);

	/* Nothing signable: refused, not signed. */
	o = json_pack("{s:f}", "x", 0.5);
	ck_assert_int_eq(crypto_sign_json(a, o, "@a:h", "DEV", &err), -1);
	ck_assert_ptr_null(json_object_get(o, "signatures"));
	json_decref(o);
	crypto_account_free(a);
	crypto_account_free(b);
}
END_TEST

/*
 * Differential tests against the libraries Synapse uses (Debian's
 * python3-canonicaljson and python3-signedjson, via json_oracle.py): the
 * oracle must be installed (make deps does it); a missing one fails.
 */
static const char *
oracle_python(void)
{
	const char	*p = getenv("HAOS_ORACLE_PYTHON");

	return p != NULL ? p : "/usr/bin/python3";
}

static int
oracle_run(const char *args)
{
	char	*script, *cmd;
	int	 rc;

	script = test_fixture("../unit/json_oracle.py");
	cmd = xasprintf("%s %s %s", oracle_python(), script, args);
	rc = system(cmd);
	free(cmd);
	free(script);
	return rc;
}

/* A small xorshift generator: the seed is printed when a case fails. */
static uint64_t	 gen_state;

static uint32_t
gen_next(uint32_t n)
{
	gen_state ^= gen_state << 13;
	gen_state ^= gen_state >> 7;
	gen_state ^= gen_state << 17;
	return (uint32_t)(gen_state % n);
}

/* A string of the characters canonical JSON gets wrong most often. */
static json_t *
gen_string(void)
{
	static const char *const	 bits[] = {
		"a", "Z", "0", " ", "\"", "\\", "/", "\x01", "\x08", "\t",
		"\n", "\x0c", "\r", "\x1f", "\x7f", "\xc3\xa9", "\xe6\x97\xa5",
		"\xe2\x80\xa8", "\xe2\x80\xa9", "\xf0\x9f\xa7\xaa",
		"\xef\xbf\xbf", "\xc2\x80", "ed25519:", "@", "!", "$"
	};
	char		 buf[256];	/* 7 bits of at most 8 bytes */
	size_t		 len = 0, l;
	uint32_t	 i, b, n = gen_next(8);

	for (i = 0; i < n; i++) {
		b = gen_next(nitems(bits));
		l = strlen(bits[b]);
		memcpy(buf + len, bits[b], l);
		len += l;
	}
	/* Now and then an embedded NUL, which jansson keeps. */
	if (gen_next(10) == 0)
		buf[len++] = '\0';
	return json_stringn(buf, len);
}

static json_t *
gen_value(int depth)
{
	static const json_int_t	 ints[] = {
		0, 1, -1, 9007199254740991LL, -9007199254740991LL, 1000,
		4294967296LL, -2147483648LL
	};
	json_t		*v, *k;
	uint32_t	 i, n;

	switch (gen_next(depth > 3 ? 5 : 7)) {
	case 0:
		return gen_string();
	case 1:
		return gen_next(2) ? json_integer(ints[gen_next(nitems(
		    ints))]) : json_integer((json_int_t)gen_next(1000000) -
		    500000);
	case 2:
		return json_boolean(gen_next(2));
	case 3:
		return json_null();
	case 4:
		return gen_string();
	case 5:
		v = json_array();
		n = gen_next(4);
		for (i = 0; i < n; i++)
			json_array_append_new(v, gen_value(depth + 1));
		return v;
	default:
		v = json_object();
		n = gen_next(5);
		for (i = 0; i < n; i++) {
			k = gen_string();
			/* Object keys are C strings in jansson. */
			json_object_set_new(v, strlen(json_string_value(k)) ==
			    json_string_length(k) ? json_string_value(k) :
			    "nul", gen_value(depth + 1));
			json_decref(k);
		}
		/* Nested signatures and unsigned are content like any. */
		if (depth > 0 && gen_next(3) == 0)
			json_object_set_new(v, "signatures", gen_value(3));
		return v;
	}
}

START_TEST(test_canonical_oracle)
{
	struct haos_error	 err;
	FILE			*in;
	char			*inpath, *outpath, *args, *want, *line, *got;
	char			*save = NULL;
	json_t			*vals[1500];
	size_t			 i, n = nitems(vals);
	uint64_t		 seed;

	crypto_random(&seed, sizeof seed);
	seed |= 1;
	gen_state = seed;
	inpath = tmp("canon-in.jsonl");
	outpath = tmp("canon-out.jsonl");
	in = fopen(inpath, "w");
	ck_assert_ptr_nonnull(in);
	for (i = 0; i < n; i++) {
		vals[i] = gen_value(0);
		/* The input in ASCII, jansson's own (non-canonical) way. */
		ck_assert_int_eq(json_dumpf(vals[i], in, JSON_COMPACT |
		    JSON_ENSURE_ASCII | JSON_ENCODE_ANY), 0);
		fputc('\n', in);
	}
	ck_assert_int_eq(fclose(in), 0);
	args = xasprintf("canonical %s %s", inpath, outpath);
	ck_assert_msg(oracle_run(args) == 0, "the canonical JSON oracle "
	    "failed (%s with python3-canonicaljson; make deps installs it)",
	    oracle_python());
	want = test_read_file(outpath);
	ck_assert_ptr_nonnull(want);
	line = strtok_r(want, "\n", &save);
	for (i = 0; i < n; i++) {
		ck_assert_msg(line != NULL, "oracle gave %zu lines of %zu", i,
		    n);
		got = canonical_json(vals[i], &err);
		ck_assert_msg(got != NULL, "seed %llu case %zu: %s",
		    (unsigned long long)seed, i, err.msg);
		ck_assert_msg(strcmp(got, line) == 0, "seed %llu case %zu:\n"
		    "haos:   %s\noracle: %s", (unsigned long long)seed, i, got,
		    line);
		free(got);
		json_decref(vals[i]);
		line = strtok_r(NULL, "\n", &save);
	}
	ck_assert_ptr_null(line);
	free(want);
	free(args);
	free(inpath);
	free(outpath);
}
END_TEST

/* One case for the signature oracle: obj as signed (or spoilt). */
static void
oracle_case(FILE *f, const json_t *obj, const char *key, int valid)
{
	json_t	*c;

	c = json_pack("{s:O, s:s, s:s, s:s, s:b}", "obj", obj, "user",
	    "@a:haos.test", "device", "DEV", "key", key, "valid", valid);
	ck_assert_int_eq(json_dumpf(c, f, JSON_COMPACT | JSON_ENSURE_ASCII),
	    0);
	fputc('\n', f);
	json_decref(c);
}

/*
 * Our signatures verify with signedjson, as Synapse and the other
 * clients check them: device keys, one-time keys, a fallback key whose
 * signed object holds "fallback": true, awkward strings; a changed
 * field, or the fallback flag dropped, does not.
 */
START_TEST(test_sign_oracle)
{
	struct haos_error	 err;
	struct crypto_account	*a;
	FILE			*f;
	json_t			*o, *c;
	char			*path, *args;
	const char		*ed;
	int			 i;

	a = crypto_account_new(&err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	ed = crypto_account_ed25519(a);
	path = tmp("sign.jsonl");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);

	o = json_pack("{s:[s,s], s:s, s:s, s:{s:s, s:s}, s:{s:s}}",
	    "algorithms", "m.olm.v1.curve25519-aes-sha2",
	    "m.megolm.v1.aes-sha2", "device_id", "DEV", "user_id",
	    "@a:haos.test", "keys", "curve25519:DEV",
	    crypto_account_curve25519(a), "ed25519:DEV", ed, "unsigned",
	    "device_display_name", "haos \xe2\x80\xa8 \x1f");
	ck_assert_int_eq(crypto_sign_json(a, o, "@a:haos.test", "DEV", &err),
	    0);
	oracle_case(f, o, ed, 1);
	c = json_deep_copy(o);
	json_object_set_new(c, "device_id", json_string("DEW"));
	oracle_case(f, c, ed, 0);
	json_decref(c);
	json_decref(o);

	o = json_pack("{s:s, s:b}", "key", "AAAAQUJDRA", "fallback", 1);
	ck_assert_int_eq(crypto_sign_json(a, o, "@a:haos.test", "DEV", &err),
	    0);
	oracle_case(f, o, ed, 1);
	c = json_deep_copy(o);
	json_object_del(c, "fallback");
	oracle_case(f, c, ed, 0);
	json_decref(c);
	json_decref(o);

	gen_state = 0x9e3779b97f4a7c15ull;
	for (i = 0; i < 200; i++) {
		o = json_object();
		json_object_set_new(o, "v", gen_value(0));
		json_object_set_new(o, "key", gen_string());
		ck_assert_int_eq(crypto_sign_json(a, o, "@a:haos.test", "DEV",
		    &err), 0);
		oracle_case(f, o, ed, 1);
		json_decref(o);
	}
	ck_assert_int_eq(fclose(f), 0);
	args = xasprintf("verify %s", path);
	ck_assert_msg(oracle_run(args) == 0, "signedjson disagrees (see "
	    "above), or the oracle is missing (%s with python3-signedjson; "
	    "make deps installs it)", oracle_python());
	free(args);
	free(path);
	crypto_account_free(a);
}
END_TEST

/* A pickle opens with its key only, and not once a byte is changed. */
START_TEST(test_pickle)
{
	struct haos_error	 err;
	struct crypto_account	*a, *b;
	unsigned char		 key[CRYPTO_PICKLE_KEY_LEN], other[sizeof key];
	char			*p, *q;
	json_t			*otks;

	crypto_random(key, sizeof key);
	memcpy(other, key, sizeof key);
	other[0] ^= 1;
	a = crypto_account_new(&err);
	ck_assert_int_eq(crypto_account_generate_otks(a, 3, &err), 0);
	p = crypto_account_pickle(a, key, &err);
	ck_assert_ptr_nonnull(p);
	/* No key in clear in it. */
	ck_assert_ptr_null(strstr(p, crypto_account_ed25519(a)));
	b = crypto_account_unpickle(p, key, &err);
	ck_assert_msg(b != NULL, "%s", err.msg);
	ck_assert_str_eq(crypto_account_ed25519(a), crypto_account_ed25519(b));
	ck_assert_str_eq(crypto_account_curve25519(a),
	    crypto_account_curve25519(b));
	otks = crypto_account_otks(b, &err);
	ck_assert_uint_eq(json_object_size(otks), 3);
	json_decref(otks);
	crypto_account_free(b);

	ck_assert_ptr_null(crypto_account_unpickle(p, other, &err));
	ck_assert_int_eq(err.code, HAOS_ECRYPTO);
	ck_assert_str_eq(err.errcode, "OLM_BAD_ACCOUNT_KEY");
	q = xstrdup(p);
	q[strlen(q) / 2] = q[strlen(q) / 2] == 'A' ? 'B' : 'A';
	ck_assert_ptr_null(crypto_account_unpickle(q, key, &err));
	ck_assert_str_eq(err.errcode, "OLM_BAD_ACCOUNT_KEY");
	free(q);
	free(p);
	crypto_account_free(a);
}
END_TEST

START_TEST(test_pickle_key_file)
{
	struct haos_error	 err;
	struct stat		 sb;
	unsigned char		 k1[CRYPTO_PICKLE_KEY_LEN], k2[sizeof k1];
	unsigned char		 k3[sizeof k1];
	char			*p1, *p2, *p3, *lnk;
	int			 fd;

	p1 = tmp("k1");
	p2 = tmp("k2");
	p3 = tmp("k3");
	lnk = tmp("link");
	/* Missing without create: refused, nothing made. */
	ck_assert_int_eq(pickle_key_load(p1, 0, k1, &err), -1);
	ck_assert_int_eq(stat(p1, &sb), -1);

	umask(022);
	ck_assert_int_eq(pickle_key_load(p1, 1, k1, &err), 0);
	ck_assert_int_eq(stat(p1, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(sb.st_size, CRYPTO_PICKLE_KEY_LEN);
	ck_assert_int_eq(pickle_key_load(p1, 1, k2, &err), 0);
	ck_assert(memcmp(k1, k2, sizeof k1) == 0);
	/* Two installs never share a key. */
	ck_assert_int_eq(pickle_key_load(p2, 1, k2, &err), 0);
	ck_assert(memcmp(k1, k2, sizeof k1) != 0);

	/* Open to others: refused, left as it is. */
	ck_assert_int_eq(chmod(p2, 0644), 0);
	ck_assert_int_eq(pickle_key_load(p2, 1, k3, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "mode 0644, not 0600"));
	ck_assert_int_eq(stat(p2, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0644);

	/* The wrong size: refused, not made again. */
	fd = open(p3, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(write(fd, "short", 5), 5);
	close(fd);
	ck_assert_int_eq(pickle_key_load(p3, 1, k3, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "5 bytes"));
	ck_assert_int_eq(stat(p3, &sb), 0);
	ck_assert_int_eq(sb.st_size, 5);

	/* A symbolic link is not followed, even to a good key. */
	ck_assert_int_eq(symlink(p1, lnk), 0);
	ck_assert_int_eq(pickle_key_load(lnk, 1, k3, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "symbolic link"));
	free(p1);
	free(p2);
	free(p3);
	free(lnk);
}
END_TEST

static struct store *
keys_store(const char *name)
{
	struct haos_error	 err;
	struct store		*s;
	char			*path;

	path = tmp(name);
	s = store_open(path, STORE_RW, &err);
	ck_assert_msg(s != NULL, "%s", err.msg);
	free(path);
	return s;
}

static void
keys_kv(struct store *s, const char *key, const char *value)
{
	struct haos_error	 err;

	ck_assert_int_eq(store_begin(s, &err), 0);
	ck_assert_int_eq(store_kv_set(s, key, value, &err), 0);
	ck_assert_int_eq(store_commit(s, &err), 0);
}

static json_t *
keys_body(struct matrix_req *r)
{
	json_t	*b;

	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->method, "POST");
	ck_assert_str_eq(r->path, "/_matrix/client/v3/keys/upload");
	b = json_loads(r->body, 0, NULL);
	ck_assert_ptr_nonnull(b);
	matrix_req_free(r);
	return b;
}

/*
 * The identity's life in a store: device keys first, then one-time keys
 * from a fresh count, the very same keys again after a crash before the
 * upload's answer, published keys not sent again, a fallback key when
 * the server lists none.
 */
/* Rows of a table of the store (store_stmt() caches by the text's
 * address: the queries are constants). */
static int64_t
keys_count(struct store *s, const char *table)
{
	static const char *const q[][2] = {
		{ "olm_sessions", "SELECT count(*) FROM olm_sessions" },
		{ "megolm_out", "SELECT count(*) FROM megolm_out" },
		{ "megolm_out_shared", "SELECT count(*) FROM megolm_out_shared" },
		{ "to_device_out", "SELECT count(*) FROM to_device_out" },
		{ "megolm_in", "SELECT count(*) FROM megolm_in" }
	};
	struct haos_error	 err;
	int64_t			 v = -1;
	size_t			 i;

	for (i = 0; i < nitems(q) && strcmp(q[i][0], table) != 0; i++)
		;
	ck_assert_uint_lt(i, nitems(q));
	ck_assert(store_get_int64(s, &err, "test", q[i][1], &v, "") != -1);
	return v;
}

START_TEST(test_keys_store)
{
	struct haos_error	 err;
	struct crypto_keys	*k;
	struct store		*s;
	json_t			*b, *b2, *dk, *v;
	const char		*id;
	char			*kp, *text, *pickle, *b2_text;
	size_t			 n;

	kp = tmp("pickle-key");
	s = keys_store("store.db");
	k = crypto_keys_open(s, kp, "@a:h", "DEV", &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	ck_assert_int_eq(store_olm_account_get(s, &pickle, &err), 0);
	ck_assert_ptr_nonnull(pickle);

	/* No count yet: the device keys alone, signed. */
	b = keys_body(crypto_keys_upload(k, s, 1, &err));
	dk = json_object_get(b, "device_keys");
	ck_assert_str_eq(json_get_str(dk, "user_id", ""), "@a:h");
	ck_assert_str_eq(json_get_str(dk, "device_id", ""), "DEV");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(dk,
	    "algorithms"), 0)), "m.olm.v1.curve25519-aes-sha2");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(dk,
	    "algorithms"), 1)), "m.megolm.v1.aes-sha2");
	ck_assert_str_eq(json_get_str(json_object_get(dk, "keys"),
	    "ed25519:DEV", ""), crypto_account_ed25519(crypto_keys_account(k)));
	ck_assert_str_eq(json_get_str(json_object_get(dk, "keys"),
	    "curve25519:DEV", ""),
	    crypto_account_curve25519(crypto_keys_account(k)));
	ck_assert_int_eq(crypto_sign_verify(dk, "@a:h", "ed25519:DEV",
	    crypto_account_ed25519(crypto_keys_account(k)), &err), 0);
	ck_assert_ptr_null(json_object_get(b, "one_time_keys"));
	json_decref(b);
	ck_assert_int_eq(crypto_keys_uploaded(k, s,
	    "{\"one_time_key_counts\":{\"signed_curve25519\":7}}", &err), 0);

	/* 7 on the server: 43 more, each signed; not sent until answered. */
	b = keys_body(crypto_keys_upload(k, s, 1, &err));
	ck_assert_ptr_null(json_object_get(b, "device_keys"));
	ck_assert_uint_eq(json_object_size(json_object_get(b,
	    "one_time_keys")), 43);
	json_object_foreach(json_object_get(b, "one_time_keys"), id, v) {
		ck_assert(strncmp(id, "signed_curve25519:", 18) == 0);
		ck_assert_uint_eq(json_object_size(v), 2);	/* key, sigs */
		ck_assert_int_eq(crypto_sign_verify(v, "@a:h", "ed25519:DEV",
		    crypto_account_ed25519(crypto_keys_account(k)), &err), 0);
	}
	/* The count is the same but is not fresh: no more keys. */
	b2 = keys_body(crypto_keys_upload(k, s, 0, &err));
	ck_assert(json_equal(b, b2));
	json_decref(b2);

	/* A crash before the answer: the same keys, byte for byte. */
	crypto_keys_free(k);
	k = crypto_keys_open(s, kp, "@a:h", "DEV", &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	b2 = keys_body(crypto_keys_upload(k, s, 1, &err));
	ck_assert(json_equal(b, b2));
	json_decref(b2);
	json_decref(b);
	ck_assert_int_eq(crypto_keys_uploaded(k, s,
	    "{\"one_time_key_counts\":{\"signed_curve25519\":50}}", &err), 0);
	ck_assert_ptr_null(crypto_keys_upload(k, s, 1, &err));
	ck_assert_int_eq(err.code, HAOS_OK);

	/* The server has no unused fallback key: one, with fallback signed. */
	keys_kv(s, "device_unused_fallback_key_types", "[]");
	b = keys_body(crypto_keys_upload(k, s, 1, &err));
	ck_assert_ptr_null(json_object_get(b, "one_time_keys"));
	v = json_object_get(b, "fallback_keys");
	ck_assert_uint_eq(json_object_size(v), 1);
	json_object_foreach(v, id, dk) {
		ck_assert(strncmp(id, "signed_curve25519:", 18) == 0);
		ck_assert(json_is_true(json_object_get(dk, "fallback")));
		ck_assert_int_eq(crypto_sign_verify(dk, "@a:h", "ed25519:DEV",
		    crypto_account_ed25519(crypto_keys_account(k)), &err), 0);
		json_object_del(dk, "fallback");
		ck_assert_int_eq(crypto_sign_verify(dk, "@a:h", "ed25519:DEV",
		    crypto_account_ed25519(crypto_keys_account(k)), &err), -1);
	}
	json_decref(b);
	ck_assert_int_eq(crypto_keys_uploaded(k, s, "{}", &err), 0);
	ck_assert_int_eq(store_query_kv(s, "device_unused_fallback_key_types",
	    &text, &err), 0);
	ck_assert_str_eq(text, "[\"signed_curve25519\"]");
	free(text);
	/* Used up again: a second one; the first is kept for an hour. */
	keys_kv(s, "device_unused_fallback_key_types", "[]");
	b = keys_body(crypto_keys_upload(k, s, 1, &err));
	ck_assert_uint_eq(json_object_size(json_object_get(b,
	    "fallback_keys")), 1);
	json_decref(b);
	ck_assert_int_eq(crypto_keys_uploaded(k, s, "{}", &err), 0);
	ck_assert_int_eq(store_query_kv(s, "olm_fallback_forget_at", &text,
	    &err), 0);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_gt(strtoll(text, NULL, 10), (long long)time(NULL) *
	    1000 + 59 * 60 * 1000);
	free(text);
	ck_assert_int_eq(store_olm_account_get(s, &text, &err), 0);
	ck_assert_ptr_null(crypto_keys_upload(k, s, 1, &err));
	ck_assert_int_eq(store_olm_account_get(s, &b2_text, &err), 0);
	ck_assert(strcmp(text, b2_text) == 0);	/* nothing due, nothing new */
	free(b2_text);
	/* The hour is over: forgotten, the account stored, the mark gone. */
	keys_kv(s, "olm_fallback_forget_at", "1");
	ck_assert_ptr_null(crypto_keys_upload(k, s, 1, &err));
	ck_assert_int_eq(err.code, HAOS_OK);
	ck_assert_int_eq(store_olm_account_get(s, &b2_text, &err), 0);
	ck_assert(strcmp(text, b2_text) != 0);
	free(b2_text);
	free(text);
	ck_assert_int_eq(store_query_kv(s, "olm_fallback_forget_at", &text,
	    &err), 0);
	ck_assert_ptr_null(text);

	/* Claimed keys: topped up to 50 again. */
	keys_kv(s, "device_one_time_keys_count",
	    "{\"signed_curve25519\":45}");
	b = keys_body(crypto_keys_upload(k, s, 1, &err));
	n = json_object_size(json_object_get(b, "one_time_keys"));
	ck_assert_uint_eq(n, 5);
	json_decref(b);

	/* Reopened, the identity is the same. */
	text = xstrdup(crypto_account_ed25519(crypto_keys_account(k)));
	crypto_keys_free(k);
	k = crypto_keys_open(s, kp, "@a:h", "DEV", &err);
	ck_assert_str_eq(crypto_account_ed25519(crypto_keys_account(k)),
	    text);
	crypto_keys_free(k);

	/*
	 * Another device logged in: an identity of its own.  The old one's
	 * sessions go (they were made with its keys); received room keys
	 * stay.
	 */
	ck_assert_int_eq(store_begin(s, &err), 0);
	ck_assert_int_eq(store_exec(s, "INSERT INTO olm_sessions (session_id, "
	    "peer_curve25519, pickle, created_ts) VALUES ('o', 'p', 'x', 1);"
	    "INSERT INTO megolm_out (room_id, session_id, pickle, created_ts) "
	    "VALUES ('!r', 'm', 'x', 1);"
	    "INSERT INTO megolm_out_shared VALUES ('m', '@b', 'B', 0, NULL);"
	    "INSERT INTO to_device_out (txn_id, type, body, created_ts) VALUES "
	    "('t', 'm.room.encrypted', '{}', 1);"
	    "INSERT INTO megolm_in (room_id, session_id, sender_user, "
	    "sender_curve25519, claimed_ed25519, pickle, first_known_index, "
	    "source, authenticated, created_ts) VALUES ('!r', 'in', '@b', 'c', "
	    "'e', 'x', 0, 'room_key', 1, 1);", &err), 0);
	ck_assert_int_eq(store_commit(s, &err), 0);
	ck_assert_int_eq(keys_count(s, "megolm_in"), 1);
	ck_assert_int_eq(keys_count(s, "to_device_out"), 1);
	k = crypto_keys_open(s, kp, "@a:h", "DEV2", &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	ck_assert_int_eq(keys_count(s, "olm_sessions"), 0);
	ck_assert_int_eq(keys_count(s, "megolm_out"), 0);
	ck_assert_int_eq(keys_count(s, "megolm_out_shared"), 0);
	ck_assert_int_eq(keys_count(s, "to_device_out"), 0);
	ck_assert_int_eq(keys_count(s, "megolm_in"), 1);
	ck_assert_str_ne(crypto_account_ed25519(crypto_keys_account(k)),
	    text);
	b = keys_body(crypto_keys_upload(k, s, 0, &err));
	ck_assert_ptr_nonnull(json_object_get(b, "device_keys"));
	json_decref(b);
	crypto_keys_free(k);
	free(text);
	free(pickle);
	store_close(s);
	free(kp);
}
END_TEST

/* A key that does not open the stored identity: refused, nothing changed. */
/* Hex of n bytes, for comparing with published vectors. */
static char *
hex(const unsigned char *b, size_t n)
{
	char	*out = xmalloc(2 * n + 1);
	size_t	 i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return out;
}

static void
unhex(const char *h, unsigned char *out)
{
	size_t	 i;
	unsigned int v;

	for (i = 0; h[2 * i] != '\0'; i++) {
		ck_assert(sscanf(h + 2 * i, "%2x", &v) == 1);
		out[i] = (unsigned char)v;
	}
}

#define CK_HEX(b, n, want) do {						\
	char *h_ = hex((b), (n));					\
	ck_assert_str_eq(h_, (want));					\
	free(h_);							\
} while (0)

/*
 * The OpenSSL primitives against published vectors: AES-256-CTR (NIST
 * SP 800-38A F.5.5), HMAC-SHA256 (RFC 4231 case 2), HKDF-SHA256 (RFC
 * 5869 case 1), PBKDF2-HMAC-SHA512 (RFC 6070's inputs), SHA-256 ("abc").
 */
START_TEST(test_primitives_vectors)
{
	struct haos_error	 err;
	unsigned char		 key[32], iv[16], in[16], out[64], ikm[22];
	unsigned char		 salt[13], info[10];

	unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914d"
	    "ff4", key);
	unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", iv);
	unhex("6bc1bee22e409f96e93d7e117393172a", in);
	ck_assert_int_eq(crypto_aes_ctr(key, iv, in, 16, out, &err), 0);
	CK_HEX(out, 16, "601ec313775789a5b7a7f504bbf3d228");

	ck_assert_int_eq(crypto_hmac_sha256((const unsigned char *)"Jefe", 4,
	    (const unsigned char *)"what do ya want for nothing?", 28, out,
	    &err), 0);
	CK_HEX(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec"
	    "58b964ec3843");

	memset(ikm, 0x0b, sizeof ikm);
	unhex("000102030405060708090a0b0c", salt);
	unhex("f0f1f2f3f4f5f6f7f8f9", info);
	ck_assert_int_eq(crypto_hkdf_sha256(ikm, sizeof ikm, salt,
	    sizeof salt, info, sizeof info, out, 42, &err), 0);
	CK_HEX(out, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db0"
	    "2d56ecc4c5bf34007208d5b887185865");

	ck_assert_int_eq(crypto_pbkdf2_sha512("password", 8,
	    (const unsigned char *)"salt", 4, 1, out, 64, &err), 0);
	CK_HEX(out, 64, "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513"
	    "554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63"
	    "f73b60a57fce");
	ck_assert_int_eq(crypto_pbkdf2_sha512("password", 8,
	    (const unsigned char *)"salt", 4, 0, out, 64, &err), -1);

	crypto_sha256("abc", 3, out);
	CK_HEX(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410"
	    "ff61f20015ad");

	ck_assert(crypto_equal("abcd", "abcd", 4));
	ck_assert(!crypto_equal("abcd", "abce", 4));
}
END_TEST

/*
 * AES-256-GCM seals and opens; a flipped byte of text or tag, other
 * associated data or another key is refused, and nothing is given out.
 */
START_TEST(test_aes_gcm)
{
	struct haos_error	 err;
	unsigned char		 key[32], nonce[12], sealed[64], opened[64];
	const char		*msg = "the backup key, 32 bytes or so";
	size_t			 n = strlen(msg);

	crypto_random(key, sizeof key);
	crypto_random(nonce, sizeof nonce);
	ck_assert_int_eq(crypto_aes_gcm_seal(key, nonce, "name", 4,
	    (const unsigned char *)msg, n, sealed, &err), 0);
	ck_assert(memcmp(sealed, msg, n) != 0);
	ck_assert_int_eq(crypto_aes_gcm_open(key, nonce, "name", 4, sealed, n,
	    opened, &err), 0);
	ck_assert(memcmp(opened, msg, n) == 0);
	ck_assert_int_eq(crypto_aes_gcm_open(key, nonce, "nama", 4, sealed, n,
	    opened, &err), -1);
	sealed[3] ^= 1;
	ck_assert_int_eq(crypto_aes_gcm_open(key, nonce, "name", 4, sealed, n,
	    opened, &err), -1);
	sealed[3] ^= 1;
	sealed[n + 15] ^= 0x80;
	ck_assert_int_eq(crypto_aes_gcm_open(key, nonce, "name", 4, sealed, n,
	    opened, &err), -1);
	sealed[n + 15] ^= 0x80;
	key[0] ^= 1;
	ck_assert_int_eq(crypto_aes_gcm_open(key, nonce, "name", 4, sealed, n,
	    opened, &err), -1);
}
END_TEST

/*
 * Sealed secrets in the store (E2EE.md §E.12): the value is not in the
 * database in clear, opens only under its own name and with this pickle
 * key, and one flipped character of the sealed text is refused.
 */
START_TEST(test_secrets_sealed)
{
	struct haos_error	 err;
	struct crypto_keys	*k, *k2;
	struct store		*s, *s2;
	unsigned char		*data;
	char			*kp, *kp2, *sealed, *other;
	size_t			 len;
	int			 verified;
	const char		*seed = "0123456789abcdef0123456789ABCDEF";

	kp = tmp("pickle-key");
	s = keys_store("store.db");
	k = crypto_keys_open(s, kp, "@a:h", "DEV", &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	ck_assert_int_eq(crypto_secret_get(k, s, "m.cross_signing.master",
	    &data, &len, &verified, &err), 0);
	ck_assert_int_eq(store_begin(s, &err), 0);
	ck_assert_int_eq(crypto_secret_put(k, s, "m.cross_signing.self_signing",
	    seed, 32, 1, &err), 0);
	ck_assert_int_eq(store_commit(s, &err), 0);
	ck_assert_int_eq(crypto_secret_get(k, s,
	    "m.cross_signing.self_signing", &data, &len, &verified, &err), 1);
	ck_assert_uint_eq(len, 32);
	ck_assert(memcmp(data, seed, 32) == 0);
	ck_assert_int_eq(verified, 1);
	free(data);

	ck_assert_int_eq(store_secret_get(s, "m.cross_signing.self_signing",
	    &sealed, &verified, &err), 1);
	ck_assert_ptr_null(strstr(sealed, seed));
	/* Moved under another name: refused. */
	ck_assert_int_eq(crypto_secret_open(k, "m.megolm_backup.v1", sealed,
	    &data, &len, &err), -1);
	/* One character changed: refused. */
	other = xstrdup(sealed);
	other[10] = other[10] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(crypto_secret_open(k, "m.cross_signing.self_signing",
	    other, &data, &len, &err), -1);
	ck_assert_ptr_null(data);
	free(other);
	/* Another install's pickle key: refused. */
	kp2 = tmp("pickle-key-2");
	s2 = keys_store("other.db");
	k2 = crypto_keys_open(s2, kp2, "@a:h", "DEV", &err);
	ck_assert_msg(k2 != NULL, "%s", err.msg);
	ck_assert_int_eq(crypto_secret_open(k2, "m.cross_signing.self_signing",
	    sealed, &data, &len, &err), -1);
	free(sealed);
	crypto_keys_free(k2);
	store_close(s2);
	crypto_keys_free(k);
	store_close(s);
	free(kp2);
	free(kp);
}
END_TEST

START_TEST(test_keys_wrong_key)
{
	struct haos_error	 err;
	struct crypto_keys	*k;
	struct store		*s;
	unsigned char		 key[CRYPTO_PICKLE_KEY_LEN];
	char			*kp, *before, *after;
	int			 fd;

	kp = tmp("pickle-key");
	s = keys_store("store.db");
	k = crypto_keys_open(s, kp, "@a:h", "DEV", &err);
	ck_assert_ptr_nonnull(k);
	crypto_keys_free(k);
	ck_assert_int_eq(store_olm_account_get(s, &before, &err), 0);

	/* The key file gone: not made again. */
	ck_assert_int_eq(unlink(kp), 0);
	ck_assert_ptr_null(crypto_keys_open(s, kp, "@a:h", "DEV", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "nothing changed"));
	ck_assert_int_eq(access(kp, F_OK), -1);

	/* Another key: refused, with the reason. */
	crypto_random(key, sizeof key);
	fd = open(kp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_eq(write(fd, key, sizeof key), (ssize_t)sizeof key);
	close(fd);
	ck_assert_ptr_null(crypto_keys_open(s, kp, "@a:h", "DEV", &err));
	ck_assert_int_eq(err.code, HAOS_ECRYPTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "OLM_BAD_ACCOUNT_KEY"));
	ck_assert_ptr_nonnull(strstr(err.msg, "nothing changed"));
	ck_assert_int_eq(store_olm_account_get(s, &after, &err), 0);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	store_close(s);
	free(kp);
}
END_TEST

Suite *
suite_crypto(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("crypto");
	tc = tcase_create("foundations");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_random);
	tcase_add_test_raise_signal(tc, test_random_failure_aborts, SIGABRT);
	tcase_add_test(tc, test_base64);
	tcase_add_test(tc, test_canonical_spec);
	tcase_add_test(tc, test_canonical_strings);
	tcase_add_test(tc, test_canonical_numbers);
	tcase_add_test(tc, test_canonical_signable);
	tcase_add_test(tc, test_sign_verify);
	tcase_add_test(tc, test_canonical_oracle);
	tcase_add_test(tc, test_primitives_vectors);
	tcase_add_test(tc, test_aes_gcm);
	tcase_add_test(tc, test_sign_oracle);
	tcase_add_test(tc, test_pickle);
	tcase_add_test(tc, test_pickle_key_file);
	suite_add_tcase(s, tc);
	tc = tcase_create("identity");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_keys_store);
	tcase_add_test(tc, test_keys_wrong_key);
	tcase_add_test(tc, test_secrets_sealed);
	suite_add_tcase(s, tc);
	return s;
}
