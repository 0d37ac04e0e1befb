/* m.presence from /sync into the store, where the member list reads it. */
#include "check_haos.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

static char		*dir;
static struct store	*st;

static void
setup(void)
{
	struct haos_error	 err;
	char			*path;

	dir = test_tmpdir();
	path = xasprintf("%s/cache.db", dir);
	st = store_open(path, STORE_RW, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	free(path);
}

static void
teardown(void)
{
	store_close(st);
	test_rmtree(dir);
	free(dir);
}

static unsigned int
sync_text(const char *text)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*j;
	unsigned int		 bits;

	j = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_msg(ingest_sync(st, j, &res, &err) == 0, "%s", err.msg);
	bits = res.notify;
	ingest_result_free(&res);
	json_decref(j);
	return bits;
}

static char *
presence(const char *user)
{
	struct haos_error	 err;
	char			*key, *v = NULL;

	key = xasprintf("presence %s", user);
	ck_assert_int_ne(store_query_kv(st, key, &v, &err), -1);
	free(key);
	return v;
}

START_TEST(presence_events)
{
	char	*v;

	ck_assert(sync_text("{\"next_batch\":\"s1\",\"presence\":{\"events\":["
	    "{\"type\":\"m.presence\",\"sender\":\"@bob:haos.test\","
	    "\"content\":{\"presence\":\"online\"}},"
	    "{\"type\":\"m.presence\",\"sender\":\"@carol:haos.test\","
	    "\"content\":{\"presence\":\"unavailable\"}},"
	    "{\"type\":\"m.presence\",\"sender\":\"@eve:haos.test\","
	    "\"content\":{\"presence\":\"\\u001b[2Jweird\"}},"
	    "{\"type\":\"m.presence\",\"content\":{\"presence\":\"online\"}}"
	    "]}}") & NOTIFY_MEMBERS);
	v = presence("@bob:haos.test");
	ck_assert_str_eq(v, "online");
	free(v);
	v = presence("@carol:haos.test");
	ck_assert_str_eq(v, "unavailable");
	free(v);
	/* Unknown states are not stored. */
	ck_assert_ptr_null(presence("@eve:haos.test"));
	/* A later sync changes it. */
	sync_text("{\"next_batch\":\"s2\",\"presence\":{\"events\":["
	    "{\"type\":\"m.presence\",\"sender\":\"@bob:haos.test\","
	    "\"content\":{\"presence\":\"offline\"}}]}}");
	v = presence("@bob:haos.test");
	ck_assert_str_eq(v, "offline");
	free(v);
}
END_TEST

START_TEST(no_presence_no_members_bit)
{
	ck_assert_uint_eq(sync_text("{\"next_batch\":\"s1\"}") &
	    NOTIFY_MEMBERS, 0);
}
END_TEST

Suite *
suite_presence(void)
{
	Suite	*s = suite_create("presence");
	TCase	*tc = tcase_create("presence");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, presence_events);
	tcase_add_test(tc, no_presence_no_members_bit);
	suite_add_tcase(s, tc);
	return s;
}
