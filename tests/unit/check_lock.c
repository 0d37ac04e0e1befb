/*
 * The per-message lock (issue #16): what the timeline row of a decrypted
 * event says about its sender (enum e2e_trust), from its Megolm session,
 * the device owning the session's key and the owner's identity, read
 * with the page (store_query_timeline(), store_query_event()).
 */
#include "check_haos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/model.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#include "../../src/store-int.h"

#define ROOM	"!lock:haos.test"
#define BOB	"@bob:haos.test"

static char		*dir;
static struct store	*st;

static void
sql(const char *q)
{
	struct haos_error	 err;

	ck_assert_msg(store_exec(st, q, &err) == 0, "%s: %s", q, err.msg);
}

/*
 * One encrypted event of bob per case, decrypted (e2e 1) under session
 * S<n>, sent by bob's device D<n> (curve C<n>, ed25519 E<n>); the rows
 * of each case change below.
 */
static void
setup(void)
{
	struct haos_error	 err;
	char			*path, *q;
	int			 i;

	dir = test_tmpdir();
	path = xasprintf("%s/cache.db", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	free(path);
	sql("INSERT INTO rooms (id, room_id, encrypted) VALUES (1, '" ROOM
	    "', 1)");
	sql("INSERT INTO events (room, ordinal, event_id, sender, type, "
	    "content, e2e) VALUES (1, 1, '$clear', '" BOB "', "
	    "'m.room.message', '{\"body\":\"hi\"}', 0)");
	for (i = 2; i <= 9; i++) {
		q = xasprintf("INSERT INTO events (room, ordinal, event_id, "
		    "sender, type, content, e2e, e2e_session) VALUES (1, %d, "
		    "'$e%d', '" BOB "', 'm.room.message', '{\"body\":\"x\"}', "
		    "1, 'S%d'); INSERT INTO megolm_in (room_id, session_id, "
		    "sender_user, sender_curve25519, claimed_ed25519, pickle, "
		    "first_known_index, source, authenticated, created_ts) "
		    "VALUES ('" ROOM "', 'S%d', '" BOB "', 'C%d', 'E%d', 'p', "
		    "0, 'to_device', 1, 0); INSERT INTO devices (user_id, "
		    "device_id, ed25519, curve25519, keys_json) VALUES "
		    "('" BOB "', 'D%d', 'E%d', 'C%d', '{}')", i, i, i, i, i,
		    i, i, i, i);
		sql(q);
		free(q);
	}
	/* Bob's identity, published and verified by us. */
	sql("INSERT INTO cross_signing_keys (user_id, usage, public_key, "
	    "json) VALUES ('" BOB "', 'master', 'M', '{}'); INSERT INTO "
	    "msk_pins (user_id, msk, verified) VALUES ('" BOB "', 'M', 1)");
	sql("UPDATE devices SET cross_signed = 1");
	/* $e2: verified (cross-signed, identity verified). */
	/* $e3: the device is not signed by its owner. */
	sql("UPDATE devices SET cross_signed = 0 WHERE device_id = 'D3'");
	/* $e4: the session came from a backup. */
	sql("UPDATE megolm_in SET authenticated = 0, source = 'backup' "
	    "WHERE session_id = 'S4'");
	/* $e5: the sender key is no longer a device of bob's. */
	sql("UPDATE devices SET deleted = 1 WHERE device_id = 'D5'");
	/* $e6: a device with another ed25519 than the session claims. */
	sql("UPDATE devices SET ed25519 = 'other' WHERE device_id = 'D6'");
	/* $e7: not signed by its owner, but we verified it ourselves. */
	sql("UPDATE devices SET cross_signed = 0, local_trust = 1 WHERE "
	    "device_id = 'D7'");
	/* $e8: no device at all with the session's key. */
	sql("DELETE FROM devices WHERE device_id = 'D8'");
	/* $e9: a decrypted event whose session we no longer know. */
	sql("DELETE FROM megolm_in WHERE session_id = 'S9'");
}

static void
teardown(void)
{
	store_close(st);
	test_rmtree(dir);
	free(dir);
}

/* The page's rows, by event id. */
static struct event_row *
page(size_t *n)
{
	struct haos_error	 err;
	struct event_row	*rows;

	ck_assert_msg(store_query_timeline(st, ROOM, STORE_LATEST, 50, 0,
	    BOB, &rows, n, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(*n, 9);
	return rows;
}

static enum e2e_trust
trust_of(const struct event_row *rows, size_t n, const char *id)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (rows[i].event_id != NULL &&
		    strcmp(rows[i].event_id, id) == 0)
			return rows[i].trust;
	}
	ck_abort_msg("no %s", id);
	return E2E_TRUST_NONE;
}

START_TEST(test_states)
{
	struct event_row	*rows;
	size_t			 n;

	rows = page(&n);
	ck_assert_int_eq(trust_of(rows, n, "$clear"), E2E_TRUST_NONE);
	ck_assert_int_eq(trust_of(rows, n, "$e2"), E2E_TRUST_VERIFIED);
	ck_assert_str_eq(rows[1].e2e_device, "D2");
	ck_assert_int_eq(trust_of(rows, n, "$e3"), E2E_TRUST_UNSIGNED);
	ck_assert_int_eq(trust_of(rows, n, "$e4"),
	    E2E_TRUST_UNAUTHENTICATED);
	ck_assert_int_eq(trust_of(rows, n, "$e5"), E2E_TRUST_UNKNOWN);
	ck_assert_int_eq(trust_of(rows, n, "$e6"), E2E_TRUST_UNKNOWN);
	ck_assert_int_eq(trust_of(rows, n, "$e7"), E2E_TRUST_VERIFIED);
	ck_assert_int_eq(trust_of(rows, n, "$e8"), E2E_TRUST_UNKNOWN);
	ck_assert_int_eq(trust_of(rows, n, "$e9"), E2E_TRUST_NONE);
	event_rows_free(rows, n);
}
END_TEST

/* The identity: not verified, changed, or no cross-signing at all. */
START_TEST(test_identity)
{
	struct event_row	*rows;
	size_t			 n;

	sql("UPDATE msk_pins SET verified = 0");
	rows = page(&n);
	ck_assert_int_eq(trust_of(rows, n, "$e2"), E2E_TRUST_UNVERIFIED);
	ck_assert_int_eq(trust_of(rows, n, "$e3"), E2E_TRUST_UNSIGNED);
	ck_assert_int_eq(trust_of(rows, n, "$e7"), E2E_TRUST_VERIFIED);
	event_rows_free(rows, n);

	sql("UPDATE msk_pins SET changed = 1");
	rows = page(&n);
	ck_assert_int_eq(trust_of(rows, n, "$e2"), E2E_TRUST_CHANGED);
	ck_assert_int_eq(trust_of(rows, n, "$e3"), E2E_TRUST_CHANGED);
	ck_assert_int_eq(trust_of(rows, n, "$e4"),
	    E2E_TRUST_UNAUTHENTICATED);
	event_rows_free(rows, n);

	sql("DELETE FROM msk_pins; DELETE FROM cross_signing_keys");
	rows = page(&n);
	ck_assert_int_eq(trust_of(rows, n, "$e2"), E2E_TRUST_UNVERIFIED);
	ck_assert_int_eq(trust_of(rows, n, "$e3"), E2E_TRUST_UNVERIFIED);
	event_rows_free(rows, n);
}
END_TEST

/* One event read alone (Message details) carries its lock too. */
START_TEST(test_event)
{
	struct haos_error	 err;
	struct event_row	 e;

	ck_assert_int_eq(store_query_event(st, "$e3", &e, &err), 1);
	ck_assert_int_eq(e.trust, E2E_TRUST_UNSIGNED);
	ck_assert_str_eq(e.e2e_device, "D3");
	ck_assert_str_eq(e.room_id, ROOM);
	event_row_free(&e);
	ck_assert_int_eq(store_query_event(st, "$clear", &e, &err), 1);
	ck_assert_int_eq(e.trust, E2E_TRUST_NONE);
	ck_assert_ptr_null(e.e2e_device);
	event_row_free(&e);
}
END_TEST

Suite *
suite_lock(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("lock");
	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_states);
	tcase_add_test(tc, test_identity);
	tcase_add_test(tc, test_event);
	suite_add_tcase(s, tc);
	return s;
}
