/* Fuzz the timeline renderer with event rows built from the input. */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/model.h"
#include "haos/render.h"
#include "haos/sanitize.h"
#include "haos/xmalloc.h"

/*
 * Input: width, option bits, then records split by 0x1e.  The first
 * record is bob's display name; each other record is four header bytes
 * (type, flags, relation, sender and time step) and the content JSON.
 */
#define FUZZ_RS		0x1e
#define FUZZ_MAXROWS	64

static const char *const types[] = {
	"m.room.message", "m.room.member", "m.reaction", "m.room.redaction",
	"m.room.name", "m.room.topic", "m.room.create", "m.room.encrypted",
	"m.sticker", "m.room.power_levels", "m.room.join_rules",
	"m.room.history_visibility", "m.room.encryption", "m.room.avatar",
	"io.haos.channel", "m.room.message"
};
static const char *const senders[] = {
	"@me:haos.test", "@bob:haos.test", "@alice:haos.test", "@x:y"
};
static const char *const rels[] = {
	NULL, "m.replace", "m.annotation", "m.thread", "m.reference"
};

struct fuzz_page {
	struct event_row	*ev;
	size_t			 n;
	char			*bob;
};

static char *
dupn(const uint8_t *p, size_t n)
{
	char	*s;

	s = xmalloc(n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static char *
maybe(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static const char *
name_of(void *arg, const char *user_id)
{
	struct fuzz_page	*pg = arg;

	if (strcmp(user_id, "@bob:haos.test") == 0)
		return pg->bob;
	if (strcmp(user_id, "@alice:haos.test") == 0)
		return "Alice \x1b[31m\xe2\x80\xae";
	return NULL;
}

/* A copy of a row of the page, as store_query_event() would give it. */
static int
event_of(void *arg, const char *event_id, struct event_row *out)
{
	struct fuzz_page	*pg = arg;
	const struct event_row	*e;
	size_t			 i, k;

	for (i = 0; i < pg->n; i++) {
		e = &pg->ev[i];
		if (e->event_id == NULL || strcmp(e->event_id, event_id) != 0)
			continue;
		memset(out, 0, sizeof *out);
		out->room_id = maybe(e->room_id);
		out->event_id = maybe(e->event_id);
		out->ordinal = e->ordinal;
		out->sender = maybe(e->sender);
		out->type = maybe(e->type);
		out->state_key = maybe(e->state_key);
		out->ts = e->ts;
		out->content = maybe(e->content);
		out->rel_type = maybe(e->rel_type);
		out->relates_to = maybe(e->relates_to);
		out->redacted = e->redacted;
		out->redacted_by = maybe(e->redacted_by);
		out->edited_by = maybe(e->edited_by);
		out->thread_count = e->thread_count;
		out->thread_last = maybe(e->thread_last);
		if (e->nreactions > 0) {
			out->reactions = xcalloc(e->nreactions,
			    sizeof *out->reactions);
			out->nreactions = e->nreactions;
			for (k = 0; k < e->nreactions; k++) {
				out->reactions[k] = e->reactions[k];
				out->reactions[k].key =
				    xstrdup(e->reactions[k].key);
			}
		}
		return 1;
	}
	return 0;
}

/* Fill row i from a record: h[0..3] and the content text. */
static void
row(struct fuzz_page *pg, size_t i, const uint8_t *h, char *content,
    int64_t *ts)
{
	struct event_row	*e = &pg->ev[i];
	size_t			 target;

	memset(e, 0, sizeof *e);
	e->room_id = xstrdup("!r:haos.test");
	e->ordinal = (int64_t)i;
	e->type = xstrdup(types[h[0] % nitems(types)]);
	e->sender = xstrdup(senders[h[3] & 3]);
	*ts += (int64_t)(h[3] >> 2) * 37 * 1000;
	e->ts = h[3] == 0xff ? -1 : *ts;
	e->content = content;
	e->echo = (enum outbox_state)((h[1] >> 1) & 3);
	if (e->echo == OUTBOX_NONE || (h[1] & 0x80))
		e->event_id = xasprintf("$e%zu", i);
	if (e->echo != OUTBOX_NONE)
		e->txn_id = xasprintf("t%zu", i);
	if (h[0] & 0x10)
		e->state_key = xstrdup(h[0] & 0x20 ? "" :
		    senders[(h[0] >> 6) & 3]);
	target = i > 0 ? (h[2] >> 3) % i : 0;
	if (h[2] % nitems(rels) != 0) {
		e->rel_type = xstrdup(rels[h[2] % nitems(rels)]);
		e->relates_to = xasprintf("$e%zu", target);
	}
	if (h[1] & 1) {
		e->redacted = 1;
		e->redacted_by = xasprintf("$e%zu", target);
	}
	if (h[1] & 0x08)
		e->edited_by = xasprintf("$e%zu", i + 1);
	if (h[1] & 0x10) {
		e->thread_count = h[2];
		e->thread_last = xstrdup(senders[h[2] & 3]);
	}
	if (h[1] & 0x20) {
		e->nreactions = 1 + (h[0] & 3);
		e->reactions = xcalloc(e->nreactions, sizeof *e->reactions);
		for (target = 0; target < e->nreactions; target++) {
			e->reactions[target].key = xstrdup(target == 0 ?
			    content : "\xf0\x9f\x91\x8d");
			e->reactions[target].count = h[2] - 1;
			e->reactions[target].mine = (h[1] & 0x40) != 0;
		}
	}
}

/* Wrap text and check the lines: clean, NULL-terminated, in width. */
static void
wrap(const char *text, int width)
{
	char	**lines;
	size_t	  n, i;
	int	  w;

	n = render_wrap(text, width, &lines);
	for (i = 0; i < n; i++) {
		w = sanitize_width(lines[i]);
		if (w > width && w > 2)
			fuzz_fail("wrapped line %zu is %d wide, limit %d", i,
			    w, width);
		free(lines[i]);
	}
	if (lines[n] != NULL)
		fuzz_fail("wrap: lines not NULL-terminated");
	free(lines);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_page	 pg;
	struct render_opts	 ro;
	struct render_line	*lines;
	const uint8_t		*p, *end, *rs;
	size_t			 nlines, len, i;
	char			*body, *clean, badge[40];
	int64_t			 ts = (int64_t)1795428000 * 1000;
	int			 c;

	if (size < 2)
		return 0;
	memset(&pg, 0, sizeof pg);
	memset(&ro, 0, sizeof ro);
	ro.width = 1 + data[0] % 160;
	ro.ascii = data[1] & 1;
	ro.seconds = (data[1] >> 1) & 1;
	ro.me = "@me:haos.test";
	ro.my_name = data[1] & 0x40 ? "" : "Me Myself";
	ro.now_ms = ts + (int64_t)(data[1] >> 4) * 3600 * 1000;
	ro.palette = 1 + (data[1] >> 5);
	ro.name_of = name_of;
	ro.name_arg = &pg;
	if (data[1] & 4) {
		ro.event_of = event_of;
		ro.event_arg = &pg;
	}

	pg.ev = xcalloc(FUZZ_MAXROWS, sizeof *pg.ev);
	p = data + 2;
	end = data + size;
	for (i = 0; p <= end && pg.n < FUZZ_MAXROWS; i++) {
		rs = memchr(p, FUZZ_RS, (size_t)(end - p));
		len = (size_t)((rs != NULL ? rs : end) - p);
		if (i == 0)
			pg.bob = dupn(p, len);
		else if (len >= 4) {
			row(&pg, pg.n, p, dupn(p + 4, len - 4), &ts);
			pg.n++;
		}
		if (rs == NULL)
			break;
		p = rs + 1;
	}
	if (pg.n > 0 && (data[1] & 8))
		ro.thread = pg.ev[0].event_id;
	if (pg.n > 1 && (data[1] & 0x10))
		ro.unread_after = pg.ev[pg.n / 2].event_id;

	if (render_timeline(pg.ev, pg.n, &ro, &lines, &nlines) == 0) {
		fuzz_check_lines(lines, nlines, ro.width);
		render_lines_free(lines, nlines);
	}

	for (i = 0; i < pg.n; i++) {
		body = render_body(pg.ev[i].content);
		if (body == NULL)
			continue;
		clean = sanitize_text(body, (size_t)-1, SANITIZE_NEWLINES);
		wrap(clean, ro.width);
		free(clean);
		free(body);
	}
	if (pg.bob != NULL) {
		clean = sanitize_text(pg.bob, (size_t)-1, 0);
		len = 8 + data[0] % 32;
		memset(badge, 0x55, sizeof badge);
		render_badge(clean, badge, len);
		if (memchr(badge, '\0', len) == NULL)
			fuzz_fail("badge not NUL-terminated in %zu bytes", len);
		for (i = len; i < sizeof badge; i++)
			if (badge[i] != 0x55)
				fuzz_fail("badge wrote past %zu bytes", len);
		if (!fuzz_clean_text(badge, strlen(badge), 0))
			fuzz_fail("badge is not clean text");
		c = render_sender_color(pg.bob, ro.palette);
		if (c < 0 || c >= ro.palette)
			fuzz_fail("colour %d of %d", c, ro.palette);
		free(clean);
	}
	for (i = 0; i < pg.n; i++)
		event_row_free(&pg.ev[i]);
	free(pg.ev);
	free(pg.bob);
	return 0;
}
