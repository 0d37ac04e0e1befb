/* Fuzz a /sync body: tree and streamed ingest agree; the timeline view. */

/*
 * The streamed ingest reads a room (section, "rooms") given twice in text
 * order, where the tree keeps the last value: such an input is only
 * checked not to crash and to be accepted both ways, and the stores,
 * which differ from then on, are replaced.
 */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/store.h"

/*
 * One store per process, replaced every FUZZ_STORE_RUNS inputs so that
 * it stays small and every run is fast.
 */
#define FUZZ_STORE_RUNS	500

static struct store	*st;	/* fed by ingest_sync() */
static struct store	*st2;	/* fed the same by ingest_sync_text() */
static unsigned int	 runs;

static struct store *
fuzz_store_open(struct store *s, const char *name)
{
	struct haos_error	 err;
	char			*path;

	if (s != NULL)
		store_close(s);
	path = fuzz_write(name, (const uint8_t *)"", 0);
	unlink(path);
	s = store_open(path, STORE_RW, &err);
	if (s == NULL)
		fuzz_fail("store_open: %s", err.msg);
	free(path);
	return s;
}

/* Open (again) fresh scratch stores. */
static void
fuzz_store(void)
{
	if (st != NULL && ++runs < FUZZ_STORE_RUNS)
		return;
	runs = 0;
	st = fuzz_store_open(st, "sync.db");
	st2 = fuzz_store_open(st2, "sync-text.db");
}

/* The two stores hold the same rows. */
static void
fuzz_same_stores(void)
{
	struct haos_error	 err;
	char			*a, *b;

	if (store_query_dump(st, &a, &err) == -1 ||
	    store_query_dump(st2, &b, &err) == -1)
		fuzz_fail("store_query_dump: %s", err.msg);
	if (strcmp(a, b) != 0)
		fuzz_fail("tree and streamed ingest differ");
	free(a);
	free(b);
}

/*
 * json_load_next() of the whole input: where json_load_network() takes it
 * (repaired or not), the same value, and all of it but white space.
 */
static void
fuzz_next(const uint8_t *data, size_t size, const json_t *whole)
{
	json_t	*j;
	size_t	 used;

	j = json_load_next((const char *)data, size, &used, NULL, NULL);
	if (whole == NULL) {
		json_decref(j);
		return;
	}
	if (j == NULL || !json_equal(j, whole))
		fuzz_fail("json_load_next and json_load_network differ");
	while (used < size && (data[used] == ' ' || data[used] == '\t' ||
	    data[used] == '\n' || data[used] == '\r'))
		used++;
	if (used != size)
		fuzz_fail("json_load_next stopped at %zu of %zu", used, size);
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_result	 res, res2;
	struct haos_error	 err, err2;
	json_t			*j;
	size_t			 i;
	int			 rc, rc2;

	fuzz_store();
	memset(&err, 0, sizeof err);
	memset(&res, 0, sizeof res);
	j = json_load_network((const char *)data, size, NULL, NULL);
	fuzz_next(data, size, j);
	rc = j == NULL ? -1 : ingest_sync(st, j, &res, &err);
	json_decref(j);
	rc2 = ingest_sync_text(st2, (const char *)data, size, &res2, &err2);
	if (rc != rc2)
		fuzz_fail("tree %d, streamed %d (%s)", rc, rc2, rc2 == -1 ?
		    err2.msg : "");
	if (rc == 0 && res2.duplicates)
		runs = FUZZ_STORE_RUNS;
	else if (rc == 0) {
		if (res.notify != res2.notify || res.events != res2.events ||
		    res.nrooms != res2.nrooms)
			fuzz_fail("tree and streamed results differ");
		if (runs % 16 == 0)
			fuzz_same_stores();
		for (i = 0; i < res.nrooms; i++)
			fuzz_view_room(st, res.rooms[i]);
	}
	ingest_result_free(&res);
	ingest_result_free(&res2);
	return 0;
}
