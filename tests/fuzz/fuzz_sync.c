/* Fuzz a /sync body: network JSON loader, ingest, then the timeline view. */
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

static struct store	*st;
static unsigned int	 runs;

/* Open (again) a fresh scratch store. */
static void
fuzz_store(void)
{
	struct haos_error	 err;
	char			*path;

	if (st != NULL && ++runs < FUZZ_STORE_RUNS)
		return;
	if (st != NULL)
		store_close(st);
	runs = 0;
	path = fuzz_write("sync.db", (const uint8_t *)"", 0);
	unlink(path);
	st = store_open(path, STORE_RW, &err);
	if (st == NULL)
		fuzz_fail("store_open: %s", err.msg);
	free(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_result	 res;
	struct haos_error	 err;
	json_t			*j;
	size_t			 i;

	j = json_load_network((const char *)data, size, NULL, NULL);
	if (j == NULL)
		return 0;
	fuzz_store();
	memset(&err, 0, sizeof err);
	if (ingest_sync(st, j, &res, &err) == 0) {
		for (i = 0; i < res.nrooms; i++)
			fuzz_view_room(st, res.rooms[i]);
		ingest_result_free(&res);
	}
	json_decref(j);
	return 0;
}
