/* MatrixRTC call memberships: who counts as in a call, expiry, leaving. */
#include "check_haos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "haos/call.h"
#include "haos/model.h"

#define NOW	1700000000000LL		/* ms */
#define HOUR	(60LL * 60 * 1000)

/* A state row on the stack (strings are not freed). */
static struct state_row
row(const char *type, const char *key, const char *sender,
    const char *content, int64_t ts)
{
	struct state_row	 r;

	memset(&r, 0, sizeof r);
	r.type = (char *)type;
	r.state_key = (char *)key;
	r.sender = (char *)sender;
	r.content = (char *)content;
	r.ts = ts;
	return r;
}

/* Set a row's content (the literal is not freed). */
static void
setc(struct state_row *r, const char *content)
{
	r->content = (char *)content;
}

/* The ids of call_members() joined with spaces ("" for nobody). */
static char *
members(const struct state_row *rows, size_t n)
{
	char	**ids, out[256];
	size_t	 nids, i, len = 0;

	out[0] = '\0';
	ids = call_members(rows, n, NOW, &nids);
	for (i = 0; i < nids && len < sizeof out; i++)
		len += (size_t)snprintf(out + len, sizeof out - len, "%s%s",
		    i > 0 ? " " : "", ids[i]);
	call_members_free(ids, nids);
	return strdup(out);
}

static void
expect(const struct state_row *rows, size_t n, const char *want)
{
	char	*got = members(rows, n);

	ck_assert_str_eq(got, want);
	free(got);
}

/* MSC4143: one event per device; {} left; expires from created_ts/ts. */
START_TEST(test_session)
{
	struct state_row	 r[4];

	r[0] = row(CALL_MEMBER_TYPE_MSC, "_@bob:hs_D1", "@bob:hs",
	    "{\"application\":\"m.call\",\"call_id\":\"\",\"scope\":\"m.room\","
	    "\"device_id\":\"D1\",\"expires\":14400000}", NOW - HOUR);
	expect(r, 1, "@bob:hs");
	/* Left: empty content. */
	setc(&r[0], "{}");
	expect(r, 1, "");
	/* Expired: sent five hours ago, default four hours. */
	r[0] = row(CALL_MEMBER_TYPE, "@bob:hs_D1", "@bob:hs",
	    "{\"application\":\"m.call\",\"call_id\":\"\"}", NOW - 5 * HOUR);
	expect(r, 1, "");
	/* created_ts wins over the event's time. */
	setc(&r[0], "{\"application\":\"m.call\",\"call_id\":\"\","
	    "\"created_ts\":1699999000000,\"expires\":14400000}");
	expect(r, 1, "@bob:hs");
	/* When it began is unknown: cannot be shown expired. */
	r[0] = row(CALL_MEMBER_TYPE, "_@bob:hs_D1", "@bob:hs",
	    "{\"application\":\"m.call\",\"call_id\":\"\"}", 0);
	expect(r, 1, "@bob:hs");
	/* Another application is not a call. */
	setc(&r[0], "{\"application\":\"io.example.game\"}");
	expect(r, 1, "");
	/* Two devices of bob and one of carol: bob once, in row order. */
	r[0] = row(CALL_MEMBER_TYPE, "_@bob:hs_D1", "@bob:hs",
	    "{\"application\":\"m.call\"}", NOW - 1000);
	r[1] = row(CALL_MEMBER_TYPE, "_@carol:hs_C", "@carol:hs",
	    "{\"application\":\"m.call\"}", NOW - 1000);
	r[2] = row(CALL_MEMBER_TYPE, "_@bob:hs_D2", "@bob:hs",
	    "{\"application\":\"m.call\"}", NOW - 1000);
	r[3] = row(CALL_MEMBER_TYPE, "_@dave:hs_X", "@dave:hs",
	    "not json", NOW - 1000);
	expect(r, 4, "@bob:hs @carol:hs");
}
END_TEST

/* MSC3401: a "memberships" list; expires_ts, or a start plus expires. */
START_TEST(test_legacy)
{
	struct state_row	 r[1];

	r[0] = row(CALL_MEMBER_TYPE, "@bob:hs", "@bob:hs",
	    "{\"memberships\":[{\"application\":\"m.call\",\"call_id\":\"\","
	    "\"device_id\":\"D\",\"expires_ts\":1700000060000}]}", 0);
	expect(r, 1, "@bob:hs");
	setc(&r[0], "{\"memberships\":[{\"application\":\"m.call\","
	    "\"device_id\":\"D\",\"expires_ts\":1000}]}");
	expect(r, 1, "");
	/* One live device among expired ones is enough. */
	setc(&r[0], "{\"memberships\":[{\"application\":\"m.call\","
	    "\"expires_ts\":1000},{\"application\":\"m.call\","
	    "\"expires\":3600000,\"created_ts\":1699999999000}]}");
	expect(r, 1, "@bob:hs");
	setc(&r[0], "{\"memberships\":[{\"application\":\"m.call\","
	    "\"expires\":3600000}]}");
	r[0].ts = NOW - 2 * HOUR;
	expect(r, 1, "");
	/* Neither expires nor expires_ts, or no list entries: not in. */
	setc(&r[0], "{\"memberships\":[{\"application\":\"m.call\"}]}");
	expect(r, 1, "");
	setc(&r[0], "{\"memberships\":[]}");
	expect(r, 1, "");
	setc(&r[0], "{\"memberships\":\"bad\"}");
	expect(r, 1, "");
}
END_TEST

Suite *
suite_call(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("call");
	tc = tcase_create("call");
	tcase_add_test(tc, test_session);
	tcase_add_test(tc, test_legacy);
	suite_add_tcase(s, tc);
	return s;
}
