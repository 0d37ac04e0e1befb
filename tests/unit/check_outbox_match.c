/* Which history event is an outbox row: plaintext, wire copy, redaction. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/json.h"
#include "haos/outbox-match.h"
#include "haos/xmalloc.h"

#define ME	"@alice:hs"
#define WIRE	"{\"algorithm\":\"m.megolm.v1.aes-sha2\",\"sender_key\":" \
		"\"CURVE\",\"device_id\":\"OLDDEV\",\"session_id\":\"S1\"," \
		"\"ciphertext\":\"AwgAEpAB\"}"
#define PLAIN	"{\"msgtype\":\"m.text\",\"body\":\"hello\"}"

/* Whether the event text ev matches w. */
static int
matches(const struct outbox_want *w, const char *ev)
{
	json_t	*e;
	int	 m;

	e = json_loads(ev, 0, NULL);
	ck_assert_ptr_nonnull(e);
	m = outbox_match(w, e);
	json_decref(e);
	return m;
}

/* An event of type with content, from sender at ts. */
static char *
event(const char *sender, const char *type, const char *content,
    long long ts)
{
	return xasprintf("{\"event_id\":\"$e\",\"sender\":\"%s\","
	    "\"type\":\"%s\",\"origin_server_ts\":%lld,\"content\":%s}",
	    sender, type, ts, content);
}

static void
check(const struct outbox_want *w, const char *sender, const char *type,
    const char *content, long long ts, int want)
{
	char	*ev;

	ev = event(sender, type, content, ts);
	ck_assert_msg(matches(w, ev) == want, "%s: %d", ev, !want);
	free(ev);
}

/*
 * A row of an encrypted room went out as its wire copy: the server's
 * m.room.encrypted event is found by its ciphertext and session, and
 * its plaintext alone finds nothing (the duplicate this fixes).
 */
START_TEST(test_wire_copy)
{
	struct outbox_want	 w;
	json_t			*plain, *wire;

	plain = json_loads(PLAIN, 0, NULL);
	wire = json_loads(WIRE, 0, NULL);
	memset(&w, 0, sizeof w);
	w.user_id = ME;
	w.since_ts = 1000;
	w.type = "m.room.message";
	w.content = plain;
	w.wire_type = "m.room.encrypted";
	w.wire = wire;
	check(&w, ME, "m.room.encrypted", WIRE, 2000, 1);
	/* What the server could add beside does not matter. */
	check(&w, ME, "m.room.encrypted", "{\"algorithm\":"
	    "\"m.megolm.v1.aes-sha2\",\"session_id\":\"S1\",\"ciphertext\":"
	    "\"AwgAEpAB\",\"m.relates_to\":{\"rel_type\":\"m.thread\","
	    "\"event_id\":\"$t\"}}", 2000, 1);
	/* Another ciphertext, session, algorithm, type, sender or time. */
	check(&w, ME, "m.room.encrypted", "{\"algorithm\":"
	    "\"m.megolm.v1.aes-sha2\",\"session_id\":\"S1\",\"ciphertext\":"
	    "\"AwgBEpAB\"}", 2000, 0);
	check(&w, ME, "m.room.encrypted", "{\"algorithm\":"
	    "\"m.megolm.v1.aes-sha2\",\"session_id\":\"S2\",\"ciphertext\":"
	    "\"AwgAEpAB\"}", 2000, 0);
	check(&w, ME, "m.room.encrypted", "{\"algorithm\":"
	    "\"m.olm.v1.curve25519-aes-sha2\",\"session_id\":\"S1\","
	    "\"ciphertext\":\"AwgAEpAB\"}", 2000, 0);
	check(&w, ME, "m.room.encrypted", "{\"session_id\":\"S1\","
	    "\"ciphertext\":\"AwgAEpAB\"}", 2000, 0);
	check(&w, ME, "m.room.message", WIRE, 2000, 0);
	check(&w, "@mallory:hs", "m.room.encrypted", WIRE, 2000, 0);
	check(&w, ME, "m.room.encrypted", WIRE, 999, 0);
	/* A state event is never a sent message. */
	ck_assert_int_eq(matches(&w, "{\"event_id\":\"$s\",\"sender\":\"" ME
	    "\",\"type\":\"m.room.encrypted\",\"state_key\":\"\","
	    "\"origin_server_ts\":2000,\"content\":" WIRE "}"), 0);
	/* Put in the clear before the room was encrypted: found too. */
	check(&w, ME, "m.room.message", PLAIN, 2000, 1);
	json_decref(wire);

	/* A wire copy without its ciphertext matches no ciphertext. */
	wire = json_loads("{\"algorithm\":\"m.megolm.v1.aes-sha2\","
	    "\"session_id\":\"S1\"}", 0, NULL);
	w.wire = wire;
	check(&w, ME, "m.room.encrypted", "{\"algorithm\":"
	    "\"m.megolm.v1.aes-sha2\",\"session_id\":\"S1\"}", 2000, 0);
	json_decref(wire);

	/* Without a wire copy the ciphertext is nothing of the row's. */
	w.wire_type = NULL;
	w.wire = NULL;
	check(&w, ME, "m.room.encrypted", WIRE, 2000, 0);
	check(&w, ME, "m.room.message", PLAIN, 2000, 1);
	check(&w, ME, "m.room.message", "{\"msgtype\":\"m.text\",\"body\":"
	    "\"hello!\"}", 2000, 0);
	json_decref(plain);
}
END_TEST

/* Redactions go in the clear: their target in the event or content. */
START_TEST(test_redaction)
{
	struct outbox_want	 w;
	json_t			*c;

	c = json_loads("{\"reason\":\"spam\"}", 0, NULL);
	memset(&w, 0, sizeof w);
	w.user_id = ME;
	w.type = "m.room.redaction";
	w.content = c;
	w.rel_target = "$t";
	ck_assert_int_eq(matches(&w, "{\"event_id\":\"$r\",\"sender\":\"" ME
	    "\",\"type\":\"m.room.redaction\",\"redacts\":\"$t\","
	    "\"origin_server_ts\":5,\"content\":{\"reason\":\"spam\"}}"), 1);
	ck_assert_int_eq(matches(&w, "{\"event_id\":\"$r\",\"sender\":\"" ME
	    "\",\"type\":\"m.room.redaction\",\"origin_server_ts\":5,"
	    "\"content\":{\"reason\":\"spam\",\"redacts\":\"$t\"}}"), 1);
	ck_assert_int_eq(matches(&w, "{\"event_id\":\"$r\",\"sender\":\"" ME
	    "\",\"type\":\"m.room.redaction\",\"redacts\":\"$u\","
	    "\"origin_server_ts\":5,\"content\":{\"reason\":\"spam\"}}"), 0);
	json_decref(c);
}
END_TEST

Suite *
suite_outbox_match(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("outbox_match");
	tc = tcase_create("outbox_match");
	tcase_add_test(tc, test_wire_copy);
	tcase_add_test(tc, test_redaction);
	suite_add_tcase(s, tc);
	return s;
}
