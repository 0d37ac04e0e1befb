/* Benchmark: parse and ingest a large initial /sync; warm-start queries. */
#include <sys/resource.h>

#include <stdint.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/ingest.h"
#include "haos/json.h"
#include "haos/model.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define NROOMS		1000
#define NEVENTS		100	/* timeline events per room */
#define NMEMBERS	12	/* members per room */
#define NRUNS		5	/* end-to-end runs */

static const char *words[] = {
	"the", "release", "is", "tomorrow", "can", "you", "review", "my",
	"pull", "request", "before", "lunch", "I", "think", "we", "should",
	"move", "the", "meeting", "to", "Thursday", "because", "half", "of",
	"the", "team", "is", "out", "deploy", "failed", "again", "on",
	"staging", "looks", "like", "a", "flaky", "test", "in", "the",
	"sync", "code", "thanks", "sounds", "good", "👍", "café", "naïve",
	"https://example.org/issues/4", "lol", "ok", "will", "do", "later"
};

static uint64_t	rng = 0x9e3779b97f4a7c15ull;

static uint64_t
bench_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
bench_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A Synapse-looking event id: "$" and 43 URL-safe base64 characters. */
static json_t *
bench_event_id(char *buf)
{
	static const char	 b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	int			 i;

	buf[0] = '$';
	for (i = 1; i <= 43; i++)
		buf[i] = b64[bench_rand() % 64];
	buf[44] = '\0';
	return json_string(buf);
}

static char *
bench_sentence(void)
{
	char	 buf[1024];
	size_t	 n = 0, len;
	int	 i, words_n;

	words_n = 3 + (int)(bench_rand() % 40);
	for (i = 0; i < words_n; i++) {
		const char *w = words[bench_rand() % nitems(words)];

		len = strlen(w);
		if (n + len + 2 >= sizeof buf)
			break;
		if (n > 0)
			buf[n++] = ' ';
		memcpy(buf + n, w, len);
		n += len;
	}
	buf[n] = '\0';
	return xstrdup(buf);
}

static json_t *
bench_state(const char *type, const char *key, const char *sender,
    json_t *content, int64_t ts)
{
	char	 id[64];

	return json_pack("{s:s, s:s, s:s, s:o, s:I, s:o, s:{s:I}}",
	    "type", type, "state_key", key, "sender", sender,
	    "content", content, "origin_server_ts", (json_int_t)ts,
	    "event_id", bench_event_id(id), "unsigned", "age",
	    (json_int_t)(bench_rand() % 100000));
}

/* One joined room: state (members, power levels, name) and a timeline. */
static json_t *
bench_room(int r, char users[][64])
{
	json_t	*state, *timeline, *plusers, *content, *ev, *rel;
	char	 name[64], id[64], *body, *fmt;
	char	 prev[NEVENTS][64];
	int64_t	 ts = 1795539000000 + (int64_t)r * 1000000;
	int	 i, u;

	state = json_array();
	json_array_append_new(state, bench_state("m.room.create", "",
	    users[0], json_pack("{s:s, s:s}", "room_version", "10",
	    "creator", users[0]), ts++));
	plusers = json_object();
	json_object_set_new(plusers, users[0], json_integer(100));
	json_object_set_new(plusers, users[1], json_integer(50));
	json_array_append_new(state, bench_state("m.room.power_levels", "",
	    users[0], json_pack("{s:o, s:i, s:{s:i, s:i, s:i}, s:i, s:i, "
	    "s:i, s:i, s:i}", "users", plusers, "users_default", 0, "events",
	    "m.room.name", 50, "m.room.power_levels", 100,
	    "m.room.history_visibility", 100, "events_default", 0,
	    "state_default", 50, "ban", 50, "kick", 50, "redact", 50),
	    ts++));
	for (u = 0; u < NMEMBERS; u++) {
		json_array_append_new(state, bench_state("m.room.member",
		    users[u], users[u], json_pack("{s:s, s:s, s:s}",
		    "membership", "join", "displayname", users[u] + 1,
		    "avatar_url", "mxc://haos.test/AvatarOfSomeUser"), ts++));
	}
	json_array_append_new(state, bench_state("m.room.join_rules", "",
	    users[0], json_pack("{s:s}", "join_rule", "invite"), ts++));
	json_array_append_new(state, bench_state("m.room.history_visibility",
	    "", users[0], json_pack("{s:s}", "history_visibility", "shared"),
	    ts++));
	snprintf(name, sizeof name, "room %d", r);
	json_array_append_new(state, bench_state("m.room.name", "", users[0],
	    json_pack("{s:s}", "name", name), ts++));
	body = bench_sentence();
	json_array_append_new(state, bench_state("m.room.topic", "", users[0],
	    json_pack("{s:s}", "topic", body), ts++));
	free(body);

	timeline = json_array();
	for (i = 0; i < NEVENTS; i++) {
		u = (int)(bench_rand() % NMEMBERS);
		body = bench_sentence();
		content = json_pack("{s:s, s:s}", "msgtype", "m.text", "body",
		    body);
		if (bench_rand() % 4 == 0) {
			fmt = xasprintf("<p>%s <b>%s</b></p>", body, name);
			json_object_set_new(content, "format",
			    json_string("org.matrix.custom.html"));
			json_object_set_new(content, "formatted_body",
			    json_string(fmt));
			free(fmt);
		}
		if (i > 0 && bench_rand() % 10 == 0) {
			rel = json_pack("{s:{s:s}}", "m.in_reply_to",
			    "event_id", prev[bench_rand() % (unsigned)i]);
			json_object_set_new(content, "m.relates_to", rel);
		}
		if (i > 0 && bench_rand() % 12 == 0) {
			/* A reaction instead of a message. */
			json_decref(content);
			content = json_pack("{s:{s:s, s:s, s:s}}",
			    "m.relates_to", "rel_type", "m.annotation",
			    "event_id", prev[bench_rand() % (unsigned)i],
			    "key", "👍");
			ev = json_pack("{s:s, s:s, s:o, s:I, s:o, s:{s:I}}",
			    "type", "m.reaction", "sender", users[u],
			    "content", content, "origin_server_ts",
			    (json_int_t)ts, "event_id", bench_event_id(id),
			    "unsigned", "age", (json_int_t)(bench_rand() %
			    100000));
		} else {
			ev = json_pack("{s:s, s:s, s:o, s:I, s:o, s:{s:I}}",
			    "type", "m.room.message", "sender", users[u],
			    "content", content, "origin_server_ts",
			    (json_int_t)ts, "event_id", bench_event_id(id),
			    "unsigned", "age", (json_int_t)(bench_rand() %
			    100000));
		}
		memcpy(prev[i], id, sizeof id);
		ts += 1 + (int64_t)(bench_rand() % 60000);
		json_array_append_new(timeline, ev);
		free(body);
	}
	return json_pack("{s:{s:o}, s:{s:o, s:b, s:s}, s:{s:[]}, s:{s:[]}, "
	    "s:{s:i, s:i}, s:{}}", "state", "events", state, "timeline",
	    "events", timeline, "limited", 1, "prev_batch",
	    "t42-137039_131_4_5_16_1_19_238_0", "ephemeral", "events",
	    "account_data", "events", "unread_notifications",
	    "notification_count", (int)(bench_rand() % 10),
	    "highlight_count", 0, "summary");
}

static char *
bench_generate(void)
{
	json_t	*join, *sync;
	char	 users[NMEMBERS * 4][64], room_id[64], *text;
	int	 r, u, i;

	for (u = 0; u < NMEMBERS * 4; u++)
		snprintf(users[u], sizeof users[u], "@user%02d-bench:haos.test",
		    u);
	join = json_object();
	for (r = 0; r < NROOMS; r++) {
		char	 ru[NMEMBERS][64];

		for (i = 0; i < NMEMBERS; i++)
			memcpy(ru[i], users[(r + i) % (NMEMBERS * 4)], 64);
		snprintf(room_id, sizeof room_id, "!bench%06dRoomXyZ:haos.test",
		    r);
		json_object_set_new(join, room_id, bench_room(r, ru));
	}
	sync = json_pack("{s:s, s:{s:o}, s:{s:[]}, s:{s:i}}", "next_batch",
	    "s137049_131_4_5_16_1_19_238_0", "rooms", "join", join,
	    "account_data", "events", "device_one_time_keys_count",
	    "signed_curve25519", 50);
	text = json_dumps(sync, JSON_COMPACT);
	json_decref(sync);
	return text;
}

static int
bench_cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct haos_error	 err;
	struct ingest_result	 res;
	struct store		*s;
	struct room_row		*rooms;
	struct event_row	*ev;
	struct rusage		 ru;
	json_error_t		 jerr;
	json_t			*j;
	char			 dir[] = "/tmp/haos-bench-XXXXXX", *path, *text;
	char			*cmd;
	size_t			 len, n, nev;
	double			 p0, p1, pbest, e0, e1, e2, t0, t1, mb;
	double			 ing[NRUNS], all[NRUNS];
	char			*wal;
	int			 i, k;
	int64_t			 events, state;

	text = bench_generate();
	len = strlen(text);
	mb = (double)len / 1e6;
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	path = xasprintf("%s/cache.db", dir);

	/* Parse only, for comparison: the better of two (warm heap). */
	pbest = 1e9;
	for (i = 0; i < 2; i++) {
		p0 = bench_now();
		j = json_loads(text, 0, &jerr);
		p1 = bench_now();
		if (j == NULL) {
			fprintf(stderr, "parse: %s\n", jerr.text);
			return 1;
		}
		json_decref(j);
		if (p1 - p0 < pbest)
			pbest = p1 - p0;
	}

	/*
	 * End to end: parse + ingest into a fresh file, one transaction;
	 * NRUNS runs, each on a new file, reported as best and median (the
	 * disk and the heap of a shared machine vary from run to run).  The
	 * trees freed by earlier runs are trimmed first, so that no run pays
	 * glibc's consolidation of another run's garbage.
	 */
	for (i = 0; i < NRUNS; i++) {
		if (i > 0 && unlink(path) == -1)
			perror(path);
		for (k = 0; k < 2; k++) {
			wal = xasprintf("%s%s", path, k == 0 ? "-wal" : "-shm");
			unlink(wal);
			free(wal);
		}
		s = store_open(path, STORE_RW, &err);
		if (s == NULL) {
			fprintf(stderr, "store: %s\n", err.msg);
			return 1;
		}
		malloc_trim(0);
		e0 = bench_now();
		j = json_loads(text, 0, &jerr);
		e1 = bench_now();
		if (ingest_sync(s, j, &res, &err) == -1) {
			fprintf(stderr, "ingest: %s\n", err.msg);
			return 1;
		}
		e2 = bench_now();
		ing[i] = e2 - e1;
		all[i] = e2 - e0;
		nev = res.events;
		ingest_result_free(&res);
		json_decref(j);
		if (i < NRUNS - 1)
			store_close(s);
	}
	store_query_count(s, "events", &events, &err);
	store_query_count(s, "state", &state, &err);
	store_close(s);
	qsort(ing, NRUNS, sizeof ing[0], bench_cmp);
	qsort(all, NRUNS, sizeof all[0], bench_cmp);

	printf("input: %d rooms x %d events, %.1f MB of JSON, %lld events "
	    "and %lld state rows stored\n", NROOMS, NEVENTS, mb,
	    (long long)events, (long long)state);
	printf("parse only (json_loads): %.3f s, %.1f MB/s\n", pbest,
	    mb / pbest);
	printf("ingest only (ingest_sync, one transaction): best %.3f s, "
	    "%.0f events/s; median %.3f s\n", ing[0], (double)nev / ing[0],
	    ing[NRUNS / 2]);
	printf("end to end (json_loads + ingest_sync): best %.3f s, "
	    "%.1f MB/s, %.0f events/s; median %.3f s, %.1f MB/s "
	    "(%d runs)\n", all[0], mb / all[0], (double)nev / all[0],
	    all[NRUNS / 2], mb / all[NRUNS / 2], NRUNS);

	/* Warm start: a reader opens the file and loads the first screen. */
	t0 = bench_now();
	s = store_open(path, STORE_RO, &err);
	if (s == NULL) {
		fprintf(stderr, "store ro: %s\n", err.msg);
		return 1;
	}
	if (store_query_rooms(s, STORE_ROOMS_ALL, NULL, &rooms, &n, &err) ==
	    -1 || n == 0) {
		fprintf(stderr, "rooms: %s\n", err.msg);
		return 1;
	}
	if (store_query_timeline(s, rooms[n / 2].room_id, STORE_LATEST, 50, 0,
	    "@user00-bench:haos.test", &ev, &nev, &err) == -1) {
		fprintf(stderr, "timeline: %s\n", err.msg);
		return 1;
	}
	t1 = bench_now();
	printf("warm start (open RO + %zu rooms + %zu-event page): %.1f ms\n",
	    n, nev, (t1 - t0) * 1e3);
	event_rows_free(ev, nev);
	room_rows_free(rooms, n);
	store_close(s);

	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS: %.1f MB\n", (double)ru.ru_maxrss / 1024.0);

	/* With an argument, keep the store there for the startup bench. */
	if (argc > 1 && rename(path, argv[1]) == -1) {
		perror(argv[1]);
		return 1;
	}
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
	free(path);
	free(text);
	return 0;
}
