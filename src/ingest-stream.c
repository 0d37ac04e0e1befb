/* The text of a /sync answer or /messages page, one value at a time. */

/*
 * A /sync answer grows with the account: one tree of it all would too.
 * ingest_sync_text() reads the text in one pass, inside the transaction
 * of ingest_sync_run(): by hand, only the outer structure (white space,
 * '{', ':', ',' and '}' of the top-level object, of "rooms" and of its
 * join, invite and leave sections); every key and every value is parsed
 * by jansson (json_load_next(), which says how many bytes it used).  A
 * room's value is parsed, ingested and freed as soon as it is read, so
 * the largest tree alive is one room; the other parts are small and kept
 * for the driver, which ingests them in their turn (see ingest.c).
 *
 * Everything is ingested in text order.  A room given twice (or a
 * section, or "rooms") is ingested twice, in that order, where jansson's
 * tree would keep the last value only; the result says so (duplicates),
 * and the last value is what the store keeps for whatever it replaces.
 * Text that is not JSON fails the batch inside the transaction, so
 * nothing of it is written, even after rooms were ingested.
 *
 * ingest_sync_file() reads the same from a file (the body spooled by
 * http.c), mapped read-only; the pages already read are given back after
 * each room, so the resident set does not grow with the file.
 *
 * A /messages page (ingest_messages_text()) is read the same way: its
 * top level and its chunk array by hand, each event by jansson.  Its
 * events are needed after "end" and their count, which may follow them,
 * so a first pass notes where each event lies (parsing it, and dropping
 * it), and ingest_messages_run() parses each again in its turn.
 */
#include "haos/ingest.h"

#include <sys/mman.h>
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/model.h"
#include "haos/xmalloc.h"
#include "ingest-int.h"

/* What the keys seen are keys of, for spotting one given twice. */
enum {
	STREAM_TOP,		/* the answer's parts */
	STREAM_ROOMS,		/* the sections of "rooms" */
	STREAM_SECTION		/* + the room_join: the rooms of a section */
};

/* One answer being read. */
struct stream {
	const char		*buf;
	size_t			 len;
	size_t			 i;	/* the walk's place */
	size_t			 released; /* pages given back: buf[0..) */
	int			 mapped; /* buf is a file's mapping */
	const char		*why;	/* what the walk refused */
	size_t			 at;	/* and where */
	json_error_t		 jerr;
	int			 repaired;
	int			 duplicates;
	uint64_t		*seen;	/* hashes of the keys (open addressing) */
	size_t			 nseen;
	size_t			 seencap; /* a power of two */
	struct haos_error	*err;
	const char		*what;	/* "/sync answer", "/messages page" */
};

static int
stream_fail(struct stream *st, const char *why, size_t at)
{
	if (st->why == NULL) {
		st->why = why;
		st->at = at;
	}
	return -1;
}

/* The next byte that is not white space, or -1 at the end. */
static int
stream_peek(struct stream *st)
{
	while (st->i < st->len && (st->buf[st->i] == ' ' ||
	    st->buf[st->i] == '\t' || st->buf[st->i] == '\n' ||
	    st->buf[st->i] == '\r'))
		st->i++;
	return st->i < st->len ? (unsigned char)st->buf[st->i] : -1;
}

static int
stream_expect(struct stream *st, int c, const char *why)
{
	if (stream_peek(st) != c)
		return stream_fail(st, why, st->i);
	st->i++;
	return 0;
}

/* The value at the walk's place, parsed by jansson (NULL: not JSON). */
static json_t *
stream_value(struct stream *st)
{
	json_t	*v;
	size_t	 used;
	int	 repaired;

	v = json_load_next(st->buf + st->i, st->len - st->i, &used,
	    &repaired, &st->jerr);
	if (v == NULL) {
		stream_fail(st, st->jerr.text, st->i +
		    (size_t)st->jerr.position);
		return NULL;
	}
	st->repaired |= repaired;
	st->i += used;
	return v;
}

/* An object's key and its ':'; NULL if there is none. */
static json_t *
stream_key(struct stream *st)
{
	json_t	*k;

	if (stream_peek(st) != '"') {
		stream_fail(st, "key expected", st->i);
		return NULL;
	}
	if ((k = stream_value(st)) == NULL)
		return NULL;
	/* As in jansson's objects: a value may hold NUL, a key may not. */
	if (memchr(json_string_value(k), '\0', json_string_length(k)) !=
	    NULL) {
		json_decref(k);
		stream_fail(st, "NUL byte in object key not supported", st->i);
		return NULL;
	}
	if (stream_expect(st, ':', "':' expected") == -1) {
		json_decref(k);
		return NULL;
	}
	return k;
}

/* After a member: 1 if another follows, 0 at the close, -1 on an error. */
static int
stream_next(struct stream *st, int close)
{
	int	 c;

	c = stream_peek(st);
	if (c != -1)
		st->i++;
	if (c == ',')
		return 1;
	if (c == close)
		return 0;
	return stream_fail(st, close == '}' ? "',' or '}' expected" :
	    "',' or ']' expected", st->i);
}

/* Open an object or array: 1 if it has members, 0 if empty, or -1. */
static int
stream_open(struct stream *st, int open)
{
	if (stream_expect(st, open, open == '{' ? "'{' expected" :
	    "'[' expected") == -1)
		return -1;
	if (stream_peek(st) == (open == '{' ? '}' : ']')) {
		st->i++;
		return 0;
	}
	return 1;
}

static int
stream_key_is(const json_t *k, const char *name)
{
	return json_string_length(k) == strlen(name) &&
	    memcmp(json_string_value(k), name, strlen(name)) == 0;
}

/*
 * Note key k of what (STREAM_*), and whether it was seen before.  Only
 * hashes are kept (16 bytes a room at most); a collision would only call
 * two keys duplicates, which changes nothing that is ingested.
 */
static void
stream_seen(struct stream *st, int what, const json_t *k)
{
	const unsigned char	*p;
	uint64_t		 h = 0xcbf29ce484222325ull, *old;
	size_t			 n, i, oldcap;

	p = (const unsigned char *)json_string_value(k);
	h = (h ^ (uint64_t)what) * 0x100000001b3ull;
	for (n = json_string_length(k); n > 0; n--, p++)
		h = (h ^ *p) * 0x100000001b3ull;
	if (h == 0)
		h = 1;
	if (2 * (st->nseen + 1) > st->seencap) {
		old = st->seen;
		oldcap = st->seencap;
		st->seencap = oldcap == 0 ? 64 : oldcap * 2;
		st->seen = xcalloc(st->seencap, sizeof *st->seen);
		st->nseen = 0;
		for (i = 0; i < oldcap; i++) {
			if (old[i] == 0)
				continue;
			n = (size_t)old[i] & (st->seencap - 1);
			while (st->seen[n] != 0)
				n = (n + 1) & (st->seencap - 1);
			st->seen[n] = old[i];
			st->nseen++;
		}
		free(old);
	}
	for (i = (size_t)h & (st->seencap - 1); st->seen[i] != 0;
	    i = (i + 1) & (st->seencap - 1)) {
		if (st->seen[i] == h) {
			st->duplicates = 1;
			return;
		}
	}
	st->seen[i] = h;
	st->nseen++;
}

/* Give back the pages of a mapped file that the walk has gone past. */
static void
stream_release(struct stream *st)
{
	static size_t	 pagesz;
	size_t		 upto;

	if (!st->mapped)
		return;
	if (pagesz == 0)
		pagesz = (size_t)sysconf(_SC_PAGESIZE);
	upto = st->i & ~(pagesz - 1);
	if (upto <= st->released)
		return;
	/* Advice only: a failure keeps the pages, nothing else. */
	madvise((char *)(uintptr_t)st->buf + st->released, upto -
	    st->released, MADV_DONTNEED);
	st->released = upto;
}

/* The rooms of one section, each ingested as soon as it is read. */
static int
stream_section(struct stream *st, struct ingest_sync *b, int join)
{
	json_t	*k, *v;
	int	 more, rc;

	more = stream_open(st, '{');
	while (more == 1) {
		if ((k = stream_key(st)) == NULL)
			return -1;
		stream_seen(st, STREAM_SECTION + join, k);
		if ((v = stream_value(st)) == NULL) {
			json_decref(k);
			return -1;
		}
		rc = ingest_sync_room(b, (enum room_join)join,
		    json_string_value(k), v);
		json_decref(v);
		json_decref(k);
		if (rc == -1)
			return -1;
		stream_release(st);
		more = stream_next(st, '}');
	}
	return more;
}

/* "rooms": the sections haos reads, room by room; any other parsed. */
static int
stream_rooms(struct stream *st, struct ingest_sync *b)
{
	json_t	*k, *v;
	int	 more, join;

	more = stream_open(st, '{');
	while (more == 1) {
		if ((k = stream_key(st)) == NULL)
			return -1;
		stream_seen(st, STREAM_ROOMS, k);
		join = ingest_sync_section(json_string_value(k),
		    json_string_length(k));
		json_decref(k);
		if (join != -1 && stream_peek(st) == '{') {
			if (stream_section(st, b, join) == -1)
				return -1;
		} else {
			if ((v = stream_value(st)) == NULL)
				return -1;
			json_decref(v);
		}
		stream_release(st);
		more = stream_next(st, '}');
	}
	return more;
}

/* The answer's top level: its parts to the driver, "rooms" walked. */
static int
stream_sync(struct stream *st, struct ingest_sync *b)
{
	json_t	*k, *v;
	int	 more;

	more = stream_open(st, '{');
	while (more == 1) {
		if ((k = stream_key(st)) == NULL)
			return -1;
		stream_seen(st, STREAM_TOP, k);
		if (stream_key_is(k, "rooms") && stream_peek(st) == '{') {
			if (stream_rooms(st, b) == -1) {
				json_decref(k);
				return -1;
			}
		} else if ((v = stream_value(st)) == NULL) {
			json_decref(k);
			return -1;
		} else if (stream_key_is(k, "rooms"))
			json_decref(v);		/* not an object: no rooms */
		else
			ingest_sync_part(b, json_string_value(k),
			    json_string_length(k), v);
		json_decref(k);
		stream_release(st);
		more = stream_next(st, '}');
	}
	if (more == -1)
		return -1;
	if (stream_peek(st) != -1)
		return stream_fail(st, "text after the answer", st->i);
	return 0;
}

/* Set err from what the walk refused, if it refused anything. */
static void
stream_error(struct stream *st)
{
	if (st->why != NULL)
		haos_error_set(st->err, HAOS_EPROTO, "%s is not JSON: %s "
		    "(byte %zu)", st->what, st->why, st->at);
}

/* The walk of ingest_sync_run(), inside its transaction. */
static int
stream_walk(struct ingest_sync *b, void *arg)
{
	struct stream	*st = arg;

	if (stream_sync(st, b) == -1) {
		stream_error(st);
		return -1;
	}
	return 0;
}

static void
stream_init(struct stream *st, const char *buf, size_t len, int mapped,
    const char *what, struct haos_error *err)
{
	memset(st, 0, sizeof *st);
	st->buf = buf;
	st->len = len;
	st->mapped = mapped;
	st->what = what;
	st->err = err;
}

static void
stream_done(struct stream *st)
{
	if (st->repaired)
		log_warn("ingest", "%s had text that is not valid UTF-8 or "
		    "has lone surrogates: repaired", st->what);
	free(st->seen);
}

/* ingest_sync_text() of buf, which is a file's mapping if mapped. */
static int
stream_sync_run(struct store *s, const char *buf, size_t len, int mapped,
    struct ingest_result *res, struct haos_error *err)
{
	struct stream	 st;
	int		 ret;

	stream_init(&st, buf, len, mapped, "/sync answer", err);
	ret = ingest_sync_run(s, stream_walk, &st, res, err);
	if (ret == 0)
		res->duplicates = st.duplicates;
	stream_done(&st);
	return ret;
}

int
ingest_sync_text(struct store *s, const char *buf, size_t len,
    struct ingest_result *res, struct haos_error *err)
{
	return stream_sync_run(s, buf, len, 0, res, err);
}

/* Map len bytes of fd read-only; NULL with err set on failure. */
static const char *
stream_map(int fd, size_t len, struct haos_error *err)
{
	void	*p;

	p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		haos_error_set(err, HAOS_EIO, "cannot map the answer (%zu "
		    "bytes): %s", len, strerror(errno));
		return NULL;
	}
	/* Read once, front to back. */
	madvise(p, len, MADV_SEQUENTIAL);
	return p;
}

int
ingest_sync_file(struct store *s, int fd, size_t len,
    struct ingest_result *res, struct haos_error *err)
{
	const char	*buf;
	int		 ret;

	memset(res, 0, sizeof *res);
	if (len == 0)
		return stream_sync_run(s, "", 0, 0, res, err);
	if ((buf = stream_map(fd, len, err)) == NULL)
		return -1;
	ret = stream_sync_run(s, buf, len, 1, res, err);
	munmap((void *)(uintptr_t)buf, len);
	return ret;
}

/* A /messages page being read: where its events lie, and its end. */
struct stream_page {
	struct stream	 st;
	size_t		*at;		/* where chunk[i] starts */
	size_t		 n;
	size_t		 cap;
	int		 chunk;		/* a chunk array was given */
	char		*end;		/* NULL: none (or not a string) */
};

/* The chunk array: where each event starts, each parsed once. */
static int
stream_page_chunk(struct stream_page *pg)
{
	struct stream	*st = &pg->st;
	json_t		*v;
	int		 more;

	pg->n = 0;
	pg->chunk = 1;
	more = stream_open(st, '[');
	while (more == 1) {
		if (pg->n == pg->cap) {
			pg->cap = pg->cap == 0 ? 64 : pg->cap * 2;
			pg->at = xrealloc(pg->at, pg->cap * sizeof *pg->at);
		}
		pg->at[pg->n++] = st->i;
		if ((v = stream_value(st)) == NULL)
			return -1;
		json_decref(v);
		more = stream_next(st, ']');
	}
	return more;
}

/*
 * The first pass over a page: its top level, the last of a key given
 * twice winning, as in jansson's tree.
 */
static int
stream_page(struct stream_page *pg)
{
	struct stream	*st = &pg->st;
	json_t		*k, *v;
	int		 more;

	more = stream_open(st, '{');
	while (more == 1) {
		if ((k = stream_key(st)) == NULL)
			return -1;
		if (stream_key_is(k, "chunk") && stream_peek(st) == '[') {
			if (stream_page_chunk(pg) == -1) {
				json_decref(k);
				return -1;
			}
		} else if ((v = stream_value(st)) == NULL) {
			json_decref(k);
			return -1;
		} else {
			if (stream_key_is(k, "chunk"))
				pg->chunk = 0;
			if (stream_key_is(k, "end")) {
				free(pg->end);
				pg->end = json_is_string(v) ?
				    xstrdup(json_string_value(v)) : NULL;
			}
			json_decref(v);
		}
		json_decref(k);
		more = stream_next(st, '}');
	}
	if (more == -1)
		return -1;
	if (stream_peek(st) != -1)
		return stream_fail(st, "text after the answer", st->i);
	return 0;
}

/* Event i of the page, parsed again in its turn. */
static json_t *
stream_page_event(void *arg, size_t i, struct haos_error *err)
{
	struct stream_page	*pg = arg;
	struct stream		*st = &pg->st;
	json_t			*v;

	st->i = pg->at[i];
	if ((v = stream_value(st)) == NULL) {
		haos_error_set(err, HAOS_EPROTO, "%s is not JSON: %s (byte "
		    "%zu)", st->what, st->why, st->at);
		return NULL;
	}
	stream_release(st);
	return v;
}

/* ingest_messages_text() of buf, which is a file's mapping if mapped. */
static int
stream_page_run(struct store *s, const char *room_id, const char *buf,
    size_t len, int mapped, int64_t gap_id, struct ingest_result *res,
    struct haos_error *err)
{
	struct stream_page	 pg;
	int			 ret = -1;

	memset(res, 0, sizeof *res);
	memset(&pg, 0, sizeof pg);
	stream_init(&pg.st, buf, len, mapped, "/messages page", err);
	if (stream_page(&pg) == -1)
		stream_error(&pg.st);
	else if (!pg.chunk)
		haos_error_set(err, HAOS_EPROTO, "/messages without chunk");
	else {
		pg.st.released = 0;
		if (mapped)
			madvise((void *)(uintptr_t)buf, len, MADV_DONTNEED);
		ret = ingest_messages_run(s, room_id, gap_id, pg.n, pg.end,
		    stream_page_event, &pg, res, err);
	}
	stream_done(&pg.st);
	free(pg.at);
	free(pg.end);
	return ret;
}

int
ingest_messages_text(struct store *s, const char *room_id, const char *buf,
    size_t len, int64_t gap_id, struct ingest_result *res,
    struct haos_error *err)
{
	return stream_page_run(s, room_id, buf, len, 0, gap_id, res, err);
}

int
ingest_messages_file(struct store *s, const char *room_id, int fd,
    size_t len, int64_t gap_id, struct ingest_result *res,
    struct haos_error *err)
{
	const char	*buf;
	int		 ret;

	memset(res, 0, sizeof *res);
	if (len == 0)
		return stream_page_run(s, room_id, "", 0, 0, gap_id, res, err);
	if ((buf = stream_map(fd, len, err)) == NULL)
		return -1;
	ret = stream_page_run(s, room_id, buf, len, 1, gap_id, res, err);
	munmap((void *)(uintptr_t)buf, len);
	return ret;
}
