/* The device identity on the test homeserver: E2EE.md Step 1 end to end. */
#include <check.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/net.h"
#include "haos/notify.h"
#include "haos/xmalloc.h"

#include "net_fixture.h"

#define KEYS_TARGET	50	/* half of libolm's 100 */

/* Our device's keys as /keys/query gives them to anyone, or NULL. */
static json_t *
device_keys(const struct hs_user *asker, const struct hs_user *u)
{
	json_t	*body, *r, *dk;
	int	 st;

	body = json_pack("{s:{s:[]}}", "device_keys", u->user_id);
	r = hs_call(&hs, asker->token, "POST", "/_matrix/client/v3/keys/query",
	    body, &st);
	json_decref(body);
	ck_assert_int_eq(st, 200);
	dk = json_object_get(json_object_get(json_object_get(r,
	    "device_keys"), u->user_id), u->device_id);
	json_incref(dk);
	json_decref(r);
	return dk;
}

/* The server's signed_curve25519 count for u's device. */
static json_int_t
otk_count(const struct hs_user *u)
{
	json_t		*body, *r;
	json_int_t	 n;
	int		 st;

	body = json_object();
	r = hs_call(&hs, u->token, "POST", "/_matrix/client/v3/keys/upload",
	    body, &st);
	json_decref(body);
	ck_assert_int_eq(st, 200);
	n = json_integer_value(json_path(r,
	    "one_time_key_counts.signed_curve25519"));
	json_decref(r);
	return n;
}

static void
wait_count(const struct hs_user *u, json_int_t want, double seconds)
{
	double		 end = now_s() + seconds;
	json_int_t	 n = -1;

	while (now_s() < end && (n = otk_count(u)) != want)
		usleep(100 * 1000);
	ck_assert_msg(n == want, "%lld one-time keys on the server, not %lld",
	    (long long)n, (long long)want);
}

/*
 * Claim one of u's keys as asker: its id in *id, the signed key object
 * returned (NULL if none).
 */
static json_t *
claim(const struct hs_user *asker, const struct hs_user *u, char **id)
{
	json_t		*body, *r, *keys, *v, *out = NULL;
	const char	*k;
	int		 st;

	body = json_pack("{s:{s:{s:s}}}", "one_time_keys", u->user_id,
	    u->device_id, "signed_curve25519");
	r = hs_call(&hs, asker->token, "POST", "/_matrix/client/v3/keys/claim",
	    body, &st);
	json_decref(body);
	ck_assert_int_eq(st, 200);
	keys = json_object_get(json_object_get(json_object_get(r,
	    "one_time_keys"), u->user_id), u->device_id);
	*id = NULL;
	json_object_foreach(keys, k, v) {
		*id = xstrdup(k);
		out = json_incref(v);
	}
	json_decref(r);
	return out;
}

/* A claimed key: signed by the device's ed25519 key over what it holds. */
static void
check_claimed(const json_t *key, const char *id, const struct hs_user *u,
    const char *ed25519, int fallback)
{
	struct haos_error	 err;
	char			*kid;

	ck_assert_ptr_nonnull(key);
	ck_assert_msg(strncmp(id, "signed_curve25519:", 18) == 0, "%s", id);
	ck_assert_ptr_nonnull(json_get_str(key, "key", NULL));
	ck_assert_int_eq(json_is_true(json_object_get(key, "fallback")),
	    fallback);
	kid = xasprintf("ed25519:%s", u->device_id);
	ck_assert_msg(crypto_sign_verify(key, u->user_id, kid, ed25519,
	    &err) == 0, "%s: %s", id, err.msg);
	free(kid);
}

/*
 * A fresh login uploads signed device keys and tops the one-time keys up
 * to 50; keys claimed are made again once /sync reports the count; with
 * every one-time key claimed the fallback key answers, signed with its
 * fallback flag, and a new one replaces it.  A restart keeps the
 * identity; a wrong pickle key stops the net thread and changes nothing.
 */
START_TEST(test_device_identity)
{
	struct haos_error	 err;
	struct hs_user		 a, b;
	struct notify		*nt;
	struct net		*n;
	struct net_status	 ns;
	json_t			*dk, *dk2, *key;
	char			*store, *kp, *la, *lb, *kid, *ed, *curve, *id;
	char			*fb1, *dir;
	unsigned char		 junk[CRYPTO_PICKLE_KEY_LEN];
	double			 end;
	int			 i;
	FILE			*f;

	la = hs_unique("alice");
	lb = hs_unique("bob");
	ck_assert_int_eq(hs_register(&hs, la, &a), 0);
	ck_assert_int_eq(hs_register(&hs, lb, &b), 0);
	store = tmp_store();
	dir = xstrdup(store);
	*strrchr(dir, '/') = '\0';
	kp = xasprintf("%s/pickle-key", dir);

	nt = notify_new();
	n = start_net_keys(&a, store, kp, nt, 10);
	end = now_s() + 15;
	while ((dk = device_keys(&b, &a)) == NULL && now_s() < end)
		usleep(100 * 1000);
	ck_assert_msg(dk != NULL, "no device keys on the server");
	ck_assert_int_eq(access(kp, R_OK), 0);

	/* The device keys, as bob sees them, with a good self-signature. */
	ck_assert_str_eq(json_get_str(dk, "user_id", ""), a.user_id);
	ck_assert_str_eq(json_get_str(dk, "device_id", ""), a.device_id);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(dk,
	    "algorithms"), 0)), "m.olm.v1.curve25519-aes-sha2");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(dk,
	    "algorithms"), 1)), "m.megolm.v1.aes-sha2");
	kid = xasprintf("ed25519:%s", a.device_id);
	ed = xstrdup(json_get_str(json_object_get(dk, "keys"), kid, ""));
	ck_assert_uint_eq(strlen(ed), 43);
	free(kid);
	kid = xasprintf("curve25519:%s", a.device_id);
	curve = xstrdup(json_get_str(json_object_get(dk, "keys"), kid, ""));
	ck_assert_uint_eq(strlen(curve), 43);
	free(kid);
	kid = xasprintf("ed25519:%s", a.device_id);
	ck_assert_msg(crypto_sign_verify(dk, a.user_id, kid, ed, &err) == 0,
	    "%s", err.msg);
	free(kid);
	json_decref(dk);

	/* One-time keys topped up to half of what the account holds. */
	wait_count(&a, KEYS_TARGET, 15);

	/* Bob claims 45, each signed: haos makes 45 more after a /sync. */
	for (i = 0; i < 45; i++) {
		key = claim(&b, &a, &id);
		check_claimed(key, id, &a, ed, 0);
		json_decref(key);
		free(id);
	}
	ck_assert_int_eq(otk_count(&a), 5);
	wait_count(&a, KEYS_TARGET, 20);

	/*
	 * Every one-time key gone (claimed faster than a /sync): the
	 * fallback key answers, signed over {"fallback":true,"key":...}.
	 */
	for (i = 0; i < KEYS_TARGET; i++) {
		key = claim(&b, &a, &id);
		check_claimed(key, id, &a, ed, 0);
		json_decref(key);
		free(id);
	}
	key = claim(&b, &a, &fb1);
	ck_assert_msg(key != NULL, "no fallback key on the server");
	check_claimed(key, fb1, &a, ed, 1);
	json_decref(key);
	/* The fallback key is used now: a new one comes with new OTKs. */
	wait_count(&a, KEYS_TARGET, 20);
	for (i = 0; i < KEYS_TARGET; i++) {
		key = claim(&b, &a, &id);
		check_claimed(key, id, &a, ed, 0);
		json_decref(key);
		free(id);
	}
	end = now_s() + 20;
	for (;;) {
		key = claim(&b, &a, &id);
		ck_assert_ptr_nonnull(key);
		if (strcmp(id, fb1) != 0)
			break;
		json_decref(key);
		free(id);
		ck_assert_msg(now_s() < end, "the used fallback key was not "
		    "replaced");
		usleep(200 * 1000);
	}
	check_claimed(key, id, &a, ed, 1);
	json_decref(key);
	free(id);
	net_stop(n);

	/* A restart: the same identity, nothing uploaded for the device. */
	n = start_net_keys(&a, store, kp, nt, 10);
	ck_assert(wait_bits(nt, NOTIFY_STATUS | NOTIFY_SERVERS, 10) != 0);
	wait_count(&a, KEYS_TARGET, 20);
	dk2 = device_keys(&b, &a);
	kid = xasprintf("ed25519:%s", a.device_id);
	ck_assert_str_eq(json_get_str(json_object_get(dk2, "keys"), kid, ""),
	    ed);
	free(kid);
	kid = xasprintf("curve25519:%s", a.device_id);
	ck_assert_str_eq(json_get_str(json_object_get(dk2, "keys"), kid, ""),
	    curve);
	free(kid);
	json_decref(dk2);
	net_stop(n);

	/* Another pickle key: the net thread stops and says why. */
	ck_assert_int_eq(unlink(kp), 0);
	crypto_random(junk, sizeof junk);
	f = fopen(kp, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(chmod(kp, 0600), 0);
	ck_assert_uint_eq(fwrite(junk, 1, sizeof junk, f), sizeof junk);
	fclose(f);
	n = start_net_keys(&a, store, kp, nt, 10);
	ck_assert(wait_bits(nt, NOTIFY_FATAL, 10) & NOTIFY_FATAL);
	net_get_status(n, &ns);
	ck_assert_msg(strstr(ns.error, "OLM_BAD_ACCOUNT_KEY") != NULL &&
	    strstr(ns.error, "nothing changed") != NULL, "%s", ns.error);
	net_stop(n);
	/* The server still has the identity of before. */
	dk2 = device_keys(&b, &a);
	kid = xasprintf("ed25519:%s", a.device_id);
	ck_assert_str_eq(json_get_str(json_object_get(dk2, "keys"), kid, ""),
	    ed);
	free(kid);
	json_decref(dk2);

	notify_free(nt);
	hs_user_free(&a);
	hs_user_free(&b);
	free(ed);
	free(curve);
	free(fb1);
	free(kp);
	free(dir);
	free(store);
	free(la);
	free(lb);
}
END_TEST

Suite *
suite_keys(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("keys");
	tc = tcase_create("identity");
	tcase_add_checked_fixture(tc, net_fixture_setup,
	    net_fixture_teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_device_identity);
	suite_add_tcase(s, tc);
	return s;
}
