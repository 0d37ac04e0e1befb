/* Fuzz /messages and /members pages: ingest into a gap, then the view. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/model.h"
#include "haos/store.h"

#define FUZZ_ROOM	"!GAPeyBQaLYaHKTVAXY:haos.test"
#define FUZZ_STORE_RUNS	500

/* A joined room whose limited timeline leaves a gap to fill. */
static const char	 fuzz_setup[] =
	"{\"next_batch\":\"s1\",\"rooms\":{\"join\":{\"" FUZZ_ROOM "\":{"
	"\"state\":{\"events\":[{\"type\":\"m.room.member\","
	"\"state_key\":\"@me:haos.test\",\"sender\":\"@me:haos.test\","
	"\"event_id\":\"$m1\",\"origin_server_ts\":1,"
	"\"content\":{\"membership\":\"join\",\"displayname\":\"Me\"}}]},"
	"\"timeline\":{\"limited\":true,\"prev_batch\":\"t1\",\"events\":["
	"{\"type\":\"m.room.message\",\"sender\":\"@me:haos.test\","
	"\"event_id\":\"$live\",\"origin_server_ts\":1795428000000,"
	"\"content\":{\"msgtype\":\"m.text\",\"body\":\"live\"}}]}}}}}";

static struct store	*st;
static unsigned int	 runs;

/* A fresh scratch store holding fuzz_setup. */
static void
fuzz_reset(void)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*j;
	char			*path;

	if (st != NULL)
		store_close(st);
	runs = 0;
	path = fuzz_write("messages.db", (const uint8_t *)"", 0);
	unlink(path);
	st = store_open(path, STORE_RW, &err);
	if (st == NULL)
		fuzz_fail("store_open: %s", err.msg);
	free(path);
	j = json_loads(fuzz_setup, 0, NULL);
	if (j == NULL || ingest_sync(st, j, &res, &err) == -1)
		fuzz_fail("setup sync: %s", j == NULL ? "bad JSON" : err.msg);
	ingest_result_free(&res);
	json_decref(j);
}

/* The newest gap of the room, making a new store when none is left. */
static int64_t
fuzz_gap(void)
{
	struct haos_error	 err;
	struct gap_row		*g;
	size_t			 n;
	int64_t			 id;

	if (st == NULL || ++runs >= FUZZ_STORE_RUNS)
		fuzz_reset();
	if (store_query_gaps(st, FUZZ_ROOM, &g, &n, &err) == -1)
		fuzz_fail("store_query_gaps: %s", err.msg);
	if (n == 0) {
		fuzz_reset();
		if (store_query_gaps(st, FUZZ_ROOM, &g, &n, &err) == -1 ||
		    n == 0)
			fuzz_fail("no gap after setup");
	}
	id = g[0].id;
	gap_rows_free(g, n);
	return id;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*j;
	int64_t			 gap;

	j = json_load_network((const char *)data, size, NULL, NULL);
	gap = fuzz_gap();
	memset(&err, 0, sizeof err);
	/* As net-sync.c does: the page's text, one event tree at a time. */
	if (ingest_messages_text(st, FUZZ_ROOM, (const char *)data, size, gap,
	    &res, &err) == 0) {
		if (j == NULL)
			fuzz_fail("not JSON, but ingested");
		ingest_result_free(&res);
	}
	/* The same text as a /members answer (a chunk of member events). */
	if (j != NULL && ingest_members(st, FUZZ_ROOM, j, (int)(size & 1),
	    &res, &err) == 0)
		ingest_result_free(&res);
	fuzz_view_room(st, FUZZ_ROOM);
	json_decref(j);
	return 0;
}
