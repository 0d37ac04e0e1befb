/* The text of a /sync answer into the store, one room's tree at a time. */

/*
 * A /sync answer grows with the account: one tree of it all would too.
 * ingest_sync_text() reads the text in two passes, and jansson parses
 * every value; the scanner here only knows the outer objects' keys,
 * ':' and ',', and steps over a value by its strings and brackets.
 *
 * 1. Before the transaction: the top-level object is walked.  Each part
 *    but "rooms" (to_device, account_data, presence, next_batch...) is
 *    small and parsed whole into one object, as ingest_sync() sees it.
 *    In "rooms", each of join, invite and leave is walked, and of each
 *    room only its id and where its value lies are kept (the index);
 *    any other section is parsed, for its syntax alone, and dropped.
 * 2. ingest_sync_run() with the small parts; when the rooms' turn comes,
 *    each room's value is parsed (its bytes exactly: a value that does
 *    not fill them is an error), ingested and freed.
 *
 * What jansson makes of duplicate keys is kept: the last value wins, in
 * the place of the first.  A value dropped that way is still parsed, so
 * text the tree would refuse is refused here too; a room that is not
 * JSON fails the batch inside the transaction, so nothing is written.
 * Text jansson refuses for its encoding alone is repaired value by value
 * (json_load_part()), as json_load_network() repairs the whole answer.
 */
#include "haos/ingest.h"

#include <stdlib.h>
#include <string.h>

#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/model.h"
#include "haos/xmalloc.h"
#include "ingest-int.h"

static const struct {
	const char	*name;
	enum room_join	 join;
} stream_sections[] = {
	{ "join", ROOM_JOIN },
	{ "invite", ROOM_INVITE },
	{ "leave", ROOM_LEAVE }
};

/* Where one room's value lies in the text. */
struct stream_room {
	char	*id;		/* the key, decoded (NUL-ended) */
	size_t	 idlen;
	size_t	 start;		/* the value is buf[start..end) */
	size_t	 end;
	size_t	 pos;		/* order in the text */
	int	 sec;		/* index in stream_sections */
	int	 dropped;	/* a later same key won: parse only */
};

/* One answer being read. */
struct stream {
	const char		*buf;
	size_t			 len;
	size_t			 i;	/* the scanner's place */
	json_t			*top;	/* every part but rooms */
	struct stream_room	*rooms;
	size_t			 nrooms;
	size_t			 roomscap;
	const char		*why;	/* what the scan refused */
	json_error_t		 jerr;
	int			 repaired;
};

static int
stream_fail(struct stream *st, const char *why)
{
	if (st->why == NULL)
		st->why = why;
	return -1;
}

/* Whether c ends a number or a literal. */
static int
stream_delim(int c)
{
	return c == ',' || c == ':' || c == '}' || c == ']' || c == ' ' ||
	    c == '\t' || c == '\n' || c == '\r' || c == '{' || c == '[' ||
	    c == '"';
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
		return stream_fail(st, why);
	st->i++;
	return 0;
}

/* Step over the string that starts at st->i. */
static int
stream_skip_string(struct stream *st)
{
	for (st->i++; st->i < st->len; st->i++) {
		if (st->buf[st->i] == '\\')
			st->i++;
		else if (st->buf[st->i] == '"') {
			st->i++;
			return 0;
		}
	}
	return stream_fail(st, "unterminated string");
}

/* Step over one value without parsing it; it lies in [*start, *end). */
static int
stream_skip(struct stream *st, size_t *start, size_t *end)
{
	int	 c, depth = 0;

	c = stream_peek(st);
	*start = st->i;
	if (c == -1 || (stream_delim(c) && c != '"' && c != '{' &&
	    c != '['))
		return stream_fail(st, "value expected");
	if (c == '"') {
		if (stream_skip_string(st) == -1)
			return -1;
	} else if (c == '{' || c == '[') {
		while (st->i < st->len) {
			c = st->buf[st->i];
			if (c == '"') {
				if (stream_skip_string(st) == -1)
					return -1;
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if (c == '}' || c == ']')
				depth--;
			st->i++;
			if (depth == 0)
				break;
		}
		if (depth != 0)
			return stream_fail(st, "unterminated value");
	} else {
		while (st->i < st->len && !stream_delim((unsigned char)
		    st->buf[st->i]))
			st->i++;
	}
	*end = st->i;
	return 0;
}

/* Parse buf[start..end) with jansson, repairing its text if need be. */
static json_t *
stream_load(struct stream *st, size_t start, size_t end)
{
	json_t	*v;
	int	 repaired;

	v = json_load_part(st->buf + start, end - start, &repaired,
	    &st->jerr);
	st->repaired |= repaired;
	return v;
}

/* Step over one value, parse it and return it (NULL: not JSON). */
static json_t *
stream_value(struct stream *st)
{
	size_t	 start, end;
	json_t	*v;

	if (stream_skip(st, &start, &end) == -1)
		return NULL;
	v = stream_load(st, start, end);
	if (v == NULL)
		stream_fail(st, st->jerr.text);
	return v;
}

/* An object's key and its ':'; NULL if there is none. */
static json_t *
stream_key(struct stream *st)
{
	json_t	*k;

	if (stream_peek(st) != '"') {
		stream_fail(st, "key expected");
		return NULL;
	}
	k = stream_value(st);
	if (k == NULL)
		return NULL;
	/* As in jansson's objects: a value may hold NUL, a key may not. */
	if (memchr(json_string_value(k), '\0', json_string_length(k)) !=
	    NULL) {
		json_decref(k);
		stream_fail(st, "NUL byte in object key not supported");
		return NULL;
	}
	if (stream_expect(st, ':', "':' expected") == -1) {
		json_decref(k);
		return NULL;
	}
	return k;
}

/* After a member: 1 if another follows, 0 at the '}', -1 on an error. */
static int
stream_next(struct stream *st)
{
	int	 c;

	c = stream_peek(st);
	if (c != -1)
		st->i++;
	if (c == ',')
		return 1;
	if (c == '}')
		return 0;
	return stream_fail(st, "',' or '}' expected");
}

/* Open an object: 1 if it has members, 0 if it is empty, or -1. */
static int
stream_open(struct stream *st)
{
	if (stream_expect(st, '{', "'{' expected") == -1)
		return -1;
	if (stream_peek(st) == '}') {
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

/* A later section (sec) or "rooms" (-1) replaces the rooms seen so far. */
static void
stream_drop(struct stream *st, int sec)
{
	size_t	 i;

	for (i = 0; i < st->nrooms; i++) {
		if (sec == -1 || st->rooms[i].sec == sec)
			st->rooms[i].dropped = 1;
	}
}

/* The rooms of one section: their ids and where they lie. */
static int
stream_index_section(struct stream *st, int sec)
{
	struct stream_room	*r;
	json_t			*k;
	int			 more;

	more = stream_open(st);
	while (more == 1) {
		if ((k = stream_key(st)) == NULL)
			return -1;
		if (st->nrooms == st->roomscap) {
			st->roomscap = st->roomscap == 0 ? 64 :
			    st->roomscap * 2;
			st->rooms = xrealloc(st->rooms, st->roomscap *
			    sizeof *st->rooms);
		}
		r = &st->rooms[st->nrooms];
		memset(r, 0, sizeof *r);
		r->idlen = json_string_length(k);
		r->id = xmalloc(r->idlen + 1);
		memcpy(r->id, json_string_value(k), r->idlen + 1);
		json_decref(k);
		r->pos = st->nrooms++;
		r->sec = sec;
		if (stream_skip(st, &r->start, &r->end) == -1)
			return -1;
		more = stream_next(st);
	}
	return more;
}

/* "rooms": the sections haos reads indexed, any other checked. */
static int
stream_index_rooms(struct stream *st)
{
	json_t		*k, *v;
	unsigned int	 i;
	int		 more, sec;

	more = stream_open(st);
	while (more == 1) {
		if ((k = stream_key(st)) == NULL)
			return -1;
		sec = -1;
		for (i = 0; i < nitems(stream_sections); i++) {
			if (stream_key_is(k, stream_sections[i].name))
				sec = (int)i;
		}
		json_decref(k);
		if (sec != -1)
			stream_drop(st, sec);
		if (sec != -1 && stream_peek(st) == '{') {
			if (stream_index_section(st, sec) == -1)
				return -1;
		} else {
			if ((v = stream_value(st)) == NULL)
				return -1;
			json_decref(v);
		}
		more = stream_next(st);
	}
	return more;
}

static int
stream_cmp(const void *a, const void *b)
{
	const struct stream_room	*x = *(struct stream_room *const *)a;
	const struct stream_room	*y = *(struct stream_room *const *)b;
	size_t				 n;
	int				 c;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	n = x->idlen < y->idlen ? x->idlen : y->idlen;
	if ((c = memcmp(x->id, y->id, n)) != 0)
		return c;
	if (x->idlen != y->idlen)
		return x->idlen < y->idlen ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * A room given twice in a section keeps its first place and its last
 * value, as in jansson's tree; the values it loses are parsed only.
 */
static void
stream_dedup(struct stream *st)
{
	struct stream_room	**v, *first, *last;
	size_t			  i, j, n = 0, start, end;

	v = xrealloc(NULL, (st->nrooms + 1) * sizeof *v);
	for (i = 0; i < st->nrooms; i++) {
		if (!st->rooms[i].dropped)
			v[n++] = &st->rooms[i];
	}
	qsort(v, n, sizeof *v, stream_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j]->sec == v[i]->sec &&
		    v[j]->idlen == v[i]->idlen && memcmp(v[j]->id, v[i]->id,
		    v[i]->idlen) == 0; j++)
			v[j]->dropped = 1;
		if (j - i < 2)
			continue;
		first = v[i];
		last = v[j - 1];
		start = first->start;
		end = first->end;
		first->start = last->start;
		first->end = last->end;
		last->start = start;
		last->end = end;
	}
	free(v);
}

/* Pass 1 (see the top of this file); nothing is written yet. */
static int
stream_index(struct stream *st)
{
	json_t	*k, *v;
	int	 more;

	more = stream_open(st);
	while (more == 1) {
		if ((k = stream_key(st)) == NULL)
			return -1;
		if (stream_key_is(k, "rooms"))
			stream_drop(st, -1);
		if (stream_key_is(k, "rooms") && stream_peek(st) == '{') {
			json_object_del(st->top, "rooms");
			if (stream_index_rooms(st) == -1) {
				json_decref(k);
				return -1;
			}
		} else {
			if ((v = stream_value(st)) == NULL) {
				json_decref(k);
				return -1;
			}
			json_object_setn_new(st->top, json_string_value(k),
			    json_string_length(k), v);
		}
		json_decref(k);
		more = stream_next(st);
	}
	if (more == -1)
		return -1;
	if (stream_peek(st) != -1)
		return stream_fail(st, "text after the answer");
	stream_dedup(st);
	return 0;
}

/* Pass 2: the rooms, each parsed, ingested and freed in its turn. */
static int
stream_rooms(struct ingest *in, void *arg)
{
	struct stream		*st = arg;
	struct stream_room	*r;
	json_t			*v;
	size_t			 i;
	unsigned int		 sec;
	int			 rc;

	for (i = 0; i < st->nrooms; i++) {
		r = &st->rooms[i];
		if (!r->dropped)
			continue;
		if ((v = stream_load(st, r->start, r->end)) == NULL)
			goto bad;
		json_decref(v);
	}
	for (sec = 0; sec < nitems(stream_sections); sec++) {
		for (i = 0; i < st->nrooms; i++) {
			r = &st->rooms[i];
			if (r->dropped || r->sec != (int)sec)
				continue;
			if ((v = stream_load(st, r->start, r->end)) == NULL)
				goto bad;
			rc = ingest_room(in, r->id, v,
			    stream_sections[sec].join);
			json_decref(v);
			if (rc == -1)
				return -1;
		}
	}
	return 0;
bad:
	haos_error_set(in->err, HAOS_EPROTO, "/sync answer is not JSON: %s "
	    "(byte %zu)", st->jerr.text, r->start +
	    (size_t)st->jerr.position);
	return -1;
}

int
ingest_sync_text(struct store *s, const char *buf, size_t len,
    struct ingest_result *res, struct haos_error *err)
{
	struct stream	 st;
	size_t		 i;
	int		 ret;

	memset(res, 0, sizeof *res);
	memset(&st, 0, sizeof st);
	st.buf = buf;
	st.len = len;
	st.top = json_object();
	if (stream_index(&st) == -1) {
		haos_error_set(err, HAOS_EPROTO, "/sync answer is not JSON: "
		    "%s (byte %zu)", st.why, st.i);
		ret = -1;
	} else
		ret = ingest_sync_run(s, st.top, stream_rooms, &st, res, err);
	if (st.repaired)
		log_warn("ingest", "/sync answer had text that is not valid "
		    "UTF-8 or has lone surrogates: repaired");
	for (i = 0; i < st.nrooms; i++)
		free(st.rooms[i].id);
	free(st.rooms);
	json_decref(st.top);
	return ret;
}
