/* Rendering: wrapping, widths, grouping, markers, hostile bodies. */
#include "check_haos.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "haos/model.h"
#include "haos/render.h"
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

/* 2026-11-23 10:00:00 UTC, a Monday. */
#define T0	((int64_t)1795428000 * 1000)
#define MIN	((int64_t)60 * 1000)
#define DAY	((int64_t)24 * 60 * MIN)

#define ME	"@me:haos.test"

static void
setup(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

/* A message row; strings are copied, so event_row_free() works. */
static void
msg(struct event_row *e, const char *id, const char *sender, int64_t ts,
    const char *content)
{
	memset(e, 0, sizeof *e);
	e->room_id = xstrdup("!r:haos.test");
	e->event_id = id != NULL ? xstrdup(id) : NULL;
	e->sender = xstrdup(sender);
	e->type = xstrdup("m.room.message");
	e->ts = ts;
	e->content = xstrdup(content);
}

static void
free_rows(struct event_row *evs, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		event_row_free(&evs[i]);
}

static const char *
names(void *arg, const char *user_id)
{
	(void)arg;
	if (strcmp(user_id, "@alice:haos.test") == 0)
		return "Alice";
	if (strcmp(user_id, "@bob:haos.test") == 0)
		return "Bob";
	if (strcmp(user_id, "@evil:haos.test") == 0)
		return "Ev\x1b[2Jil\xe2\x80\xae";
	return NULL;
}

static void
opts(struct render_opts *ro, int width)
{
	memset(ro, 0, sizeof *ro);
	ro->width = width;
	ro->me = ME;
	ro->my_name = "Me Myself";
	ro->now_ms = T0 + 60 * MIN;
	ro->palette = 8;
	ro->name_of = names;
}

/*
 * Check the invariants of every line: no control bytes, no ESC, no bidi
 * override, width as measured and within the limit, spans tiling the
 * text.  Return all lines joined with '\n'.
 */
static char *
check_lines(const struct render_line *l, size_t n, int width)
{
	char		*all, *t;
	size_t		 i, j, off;
	const unsigned char *p;

	all = xstrdup("");
	for (i = 0; i < n; i++) {
		for (p = (const unsigned char *)l[i].text; *p != '\0'; p++)
			ck_assert_msg(*p >= 0x20 && *p != 0x7f,
			    "control byte %#x in \"%s\"", *p, l[i].text);
		ck_assert_ptr_null(strstr(l[i].text, "\xe2\x80\xae"));
		ck_assert_int_eq(sanitize_width(l[i].text), l[i].width);
		ck_assert_msg(l[i].width <= width, "line \"%s\" is %d wide, "
		    "limit %d", l[i].text, l[i].width, width);
		off = 0;
		for (j = 0; j < l[i].nspans; j++) {
			ck_assert_uint_eq(l[i].spans[j].off, off);
			ck_assert_uint_gt(l[i].spans[j].len, 0);
			off += l[i].spans[j].len;
		}
		ck_assert_uint_eq(off, strlen(l[i].text));
		t = xasprintf("%s%s%s", all, i > 0 ? "\n" : "", l[i].text);
		free(all);
		all = t;
	}
	return all;
}

/* Render rows with ro; return the joined text and keep the lines. */
static char *
run(struct event_row *evs, size_t n, const struct render_opts *ro,
    struct render_line **lines, size_t *nlines)
{
	ck_assert_int_eq(render_timeline(evs, n, ro, lines, nlines), 0);
	return check_lines(*lines, *nlines, ro->width);
}

/* Whether some line containing needle has a span of attr over it. */
static int
has_attr(const struct render_line *l, size_t n, const char *needle,
    enum render_attr attr)
{
	const char	*at;
	size_t		 i, j, off;

	for (i = 0; i < n; i++) {
		at = strstr(l[i].text, needle);
		if (at == NULL)
			continue;
		off = (size_t)(at - l[i].text);
		for (j = 0; j < l[i].nspans; j++) {
			if (l[i].spans[j].attr == attr &&
			    l[i].spans[j].off <= off &&
			    l[i].spans[j].off + l[i].spans[j].len >=
			    off + strlen(needle))
				return 1;
		}
	}
	return 0;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t	 n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

START_TEST(test_wrap_words)
{
	char	**l;
	size_t	 n, i;

	n = render_wrap("the quick brown fox jumps", 10, &l);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(l[0], "the quick");
	ck_assert_str_eq(l[1], "brown fox");
	ck_assert_str_eq(l[2], "jumps");
	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);

	n = render_wrap("a\n\nb", 10, &l);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(l[1], "");
	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);

	/* Indentation is kept; spaces at a break are dropped. */
	n = render_wrap("  code here\n  x", 8, &l);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(l[0], "  code");
	ck_assert_str_eq(l[1], "here");
	ck_assert_str_eq(l[2], "  x");
	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);

	/* Indentation that leaves no room for the word goes. */
	n = render_wrap("   abcdefgh", 8, &l);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(l[0], "abcdefgh");
	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);
}
END_TEST

START_TEST(test_wrap_long)
{
	const char	*url = "https://example.org/a/very/long/path?q=1";
	char		**l, *join, *t;
	size_t		 n, i;

	n = render_wrap(url, 12, &l);
	join = xstrdup("");
	for (i = 0; i < n; i++) {
		ck_assert_int_le(sanitize_width(l[i]), 12);
		if (i + 1 < n)
			ck_assert_int_eq(sanitize_width(l[i]), 12);
		t = xasprintf("%s%s", join, l[i]);
		free(join);
		join = t;
		free(l[i]);
	}
	free(l);
	ck_assert_str_eq(join, url);		/* nothing lost */
	ck_assert_uint_eq(n, (strlen(url) + 11) / 12);
	free(join);

	/* A long word after a short one starts on its own line. */
	n = render_wrap("see aaaaaaaaaaaaaaa", 10, &l);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(l[0], "see");
	ck_assert_str_eq(l[1], "aaaaaaaaaa");
	ck_assert_str_eq(l[2], "aaaaa");
	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);
}
END_TEST

START_TEST(test_wrap_wide)
{
	char	**l;
	size_t	 n, i;

	/* CJK: 2 cells each, never split a character. */
	n = render_wrap("日本語日本語", 5, &l);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(l[0], "日本");
	ck_assert_str_eq(l[1], "語日");
	ck_assert_str_eq(l[2], "本語");
	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);

	/* Emoji clusters stay whole. */
	n = render_wrap("👍🏽👨‍👩‍👧👍🏽", 8, &l);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(l[0], "👍🏽👨‍👩‍👧");
	ck_assert_str_eq(l[1], "👍🏽");
	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);

	/* Combining marks stay with their base. */
	n = render_wrap("e\xcc\x81" "e\xcc\x81" "e\xcc\x81", 2, &l);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(l[0], "e\xcc\x81" "e\xcc\x81");
	ck_assert_str_eq(l[1], "e\xcc\x81");
	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);

	/* A 2-cell character in a 1-cell line is replaced, not overflowed. */
	n = render_wrap("日", 1, &l);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_le(sanitize_width(l[0]), 1);
	free(l[0]);
	free(l);
}
END_TEST

START_TEST(test_grouping)
{
	struct event_row	 ev[5];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;

	opts(&ro, 40);
	ro.name_of = names;
	msg(&ev[0], "$1", "@alice:haos.test", T0, "{\"body\":\"one\"}");
	msg(&ev[1], "$2", "@alice:haos.test", T0 + MIN, "{\"body\":\"two\"}");
	msg(&ev[2], "$3", "@bob:haos.test", T0 + 2 * MIN,
	    "{\"body\":\"three\"}");
	msg(&ev[3], "$4", "@bob:haos.test", T0 + 9 * MIN,
	    "{\"body\":\"four\"}");
	msg(&ev[4], "$5", "@bob:haos.test", T0 + 10 * MIN,
	    "{\"body\":\"five\"}");
	all = run(ev, 5, &ro, &l, &n);
	ck_assert_str_eq(all,
	    "──────────────── Today ─────────────────\n"
	    "Alice 10:00\n"
	    "  one\n"
	    "  two\n"
	    "Bob 10:02\n"
	    "  three\n"
	    "Bob 10:09\n"
	    "  four\n"
	    "  five");
	ck_assert(has_attr(l, n, "Alice", RA_SENDER));
	ck_assert(has_attr(l, n, "10:00", RA_DIM));
	ck_assert(has_attr(l, n, "Today", RA_DAYSEP));
	ck_assert_ptr_null(l[0].event_id);
	ck_assert_str_eq(l[1].event_id, "$1");
	ck_assert_int_eq(l[1].first, 1);
	ck_assert_int_eq(l[2].first, 0);
	ck_assert_int_eq(l[3].first, 1);
	ck_assert_str_eq(l[3].event_id, "$2");
	ck_assert_int_eq(l[1].spans[0].color,
	    render_sender_color("@alice:haos.test", 8));
	free(all);
	render_lines_free(l, n);

	/* Seconds. */
	ro.seconds = 1;
	all = run(ev, 1, &ro, &l, &n);
	ck_assert_ptr_nonnull(strstr(all, "Alice 10:00:00"));
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 5);
}
END_TEST

START_TEST(test_days)
{
	struct event_row	 ev[4];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;

	opts(&ro, 30);
	ro.ascii = 1;
	msg(&ev[0], "$1", "@alice:haos.test", T0 - 7 * DAY, "{\"body\":\"a\"}");
	msg(&ev[1], "$2", "@alice:haos.test", T0 - DAY, "{\"body\":\"b\"}");
	msg(&ev[2], "$3", "@alice:haos.test", T0 - DAY + MIN,
	    "{\"body\":\"c\"}");
	msg(&ev[3], "$4", "@alice:haos.test", T0, "{\"body\":\"d\"}");
	all = run(ev, 4, &ro, &l, &n);
	ck_assert_str_eq(all,
	    "------ Mon 16 Nov 2026 -------\n"
	    "Alice 10:00\n"
	    "  a\n"
	    "--------- Yesterday ----------\n"
	    "Alice 10:00\n"
	    "  b\n"
	    "  c\n"
	    "----------- Today ------------\n"
	    "Alice 10:00\n"
	    "  d");
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 4);
}
END_TEST

/* Hostile origin_server_ts values: no overflow, clamped days. */
static const char *
names_full(void *arg, const char *user_id)
{
	(void)arg;
	if (strcmp(user_id, ME) == 0)
		return "Alice Anders";
	return names(arg, user_id);
}

START_TEST(test_mention_full_name)
{
	struct event_row	 ev[1];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;

	/* My user id shown as my name of two words: all of it, '@' too. */
	opts(&ro, 80);
	ro.my_name = "Alice Anders";
	ro.name_of = names_full;
	msg(&ev[0], "$1", "@bob:haos.test", T0,
	    "{\"body\":\"ping @me:haos.test now\"}");
	all = run(ev, 1, &ro, &l, &n);
	ck_assert_str_eq(l[n - 1].text, "  ping @Alice Anders now");
	ck_assert(has_attr(l, n, "@Alice Anders", RA_MENTION));
	ck_assert(!has_attr(l, n, " now", RA_MENTION));
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 1);
}
END_TEST

START_TEST(test_url_end)
{
	struct event_row	 ev[1];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;
	const char		*u;

	u = "https://haos.test/a.";
	ck_assert_uint_eq(render_url_len(u, strlen(u)), strlen(u) - 1);
	u = "https://haos.test/a),";
	ck_assert_uint_eq(render_url_len(u, strlen(u)), strlen(u) - 2);
	u = "https://en.wikipedia.org/wiki/Foo_(bar)";
	ck_assert_uint_eq(render_url_len(u, strlen(u)), strlen(u));
	u = "https://en.wikipedia.org/wiki/Foo_(bar)).";
	ck_assert_uint_eq(render_url_len(u, strlen(u)), strlen(u) - 2);
	u = "https://haos.test/x?q=1 and more";
	ck_assert_uint_eq(render_url_len(u, strlen(u)), 23);

	opts(&ro, 80);
	msg(&ev[0], "$1", "@bob:haos.test", T0,
	    "{\"body\":\"(see https://haos.test/doc). "
	    "Or https://haos.test.\"}");
	all = run(ev, 1, &ro, &l, &n);
	ck_assert(has_attr(l, n, "https://haos.test/doc", RA_LINK));
	ck_assert(!has_attr(l, n, "https://haos.test/doc)", RA_LINK));
	ck_assert(has_attr(l, n, "https://haos.test", RA_LINK));
	ck_assert(!has_attr(l, n, "https://haos.test.", RA_LINK));
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 1);
}
END_TEST

START_TEST(test_seen_by)
{
	struct event_row	 ev[3];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all, *t;
	const char		*seen[4];
	const char		*users[] = { "@bob:haos.test", ME,
	    "@carol:haos.test", "@alice:haos.test" };
	const char		*events[] = { "$3", "$3", "$2", "$3" };
	const char		*four[] = { "@a:x", "@b:x", "@c:x", "@d:x" };

	opts(&ro, 80);
	ro.rcpt_users = users;
	ro.rcpt_events = events;
	ro.nrcpt = 4;
	msg(&ev[0], "$1", "@alice:haos.test", T0, "{\"body\":\"one\"}");
	msg(&ev[1], "$2", "@alice:haos.test", T0 + 1, "{\"body\":\"two\"}");
	msg(&ev[2], "$3", "@alice:haos.test", T0 + 2,
	    "{\"body\":\"three\"}");
	/* Not me, not the sender; a later receipt has seen it too. */
	ck_assert_uint_eq(render_seen_by(ev, 3, 2, &ro, seen), 1);
	ck_assert_str_eq(seen[0], "@bob:haos.test");
	ck_assert_uint_eq(render_seen_by(ev, 3, 1, &ro, seen), 2);
	ck_assert_str_eq(seen[1], "@carol:haos.test");
	t = render_seen_text(&ro, four, 4);
	ck_assert_str_eq(t, "seen by @a:x, @b:x and 2 others");
	free(t);
	t = render_seen_text(&ro, four, 3);
	ck_assert_str_eq(t, "seen by @a:x, @b:x and @c:x");
	free(t);
	/* One dim line under the newest message. */
	all = run(ev, 3, &ro, &l, &n);
	ck_assert_str_eq(l[n - 1].text, "  seen by Bob");
	ck_assert(has_attr(l, n, "seen by Bob", RA_DIM));
	ck_assert_str_eq(l[n - 1].event_id, "$3");
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 3);
}
END_TEST

START_TEST(test_date)
{
	char	 buf[64];

	/* Message details show a date, not milliseconds. */
	render_date(INT64_C(1796421927533), buf, sizeof buf);
	ck_assert_str_eq(buf, "Fri 4 Dec 2026 22:05:27");
	render_date(INT64_MAX, buf, sizeof buf);
	ck_assert_str_eq(buf, "Fri 31 Dec 9999 23:59:59");
	render_date(-5, buf, sizeof buf);
	ck_assert_str_eq(buf, "Thu 1 Jan 1970 00:00:00");
}
END_TEST

START_TEST(test_days_hostile_ts)
{
	struct event_row	 ev[5];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;

	opts(&ro, 30);
	ro.ascii = 1;
	msg(&ev[0], "$1", "@alice:haos.test", INT64_MIN, "{\"body\":\"a\"}");
	msg(&ev[1], "$2", "@alice:haos.test", -1, "{\"body\":\"b\"}");
	msg(&ev[2], "$3", "@alice:haos.test", INT64_MAX, "{\"body\":\"c\"}");
	msg(&ev[3], "$4", "@alice:haos.test", INT64_MAX - 1,
	    "{\"body\":\"d\"}");
	msg(&ev[4], "$5", "@alice:haos.test", INT64_MIN + 1,
	    "{\"body\":\"e\"}");
	all = run(ev, 5, &ro, &l, &n);
	ck_assert_str_eq(all,
	    "------- Thu 1 Jan 1970 -------\n"
	    "Alice 00:00\n"
	    "  a\n"
	    "  b\n"
	    "------ Fri 31 Dec 9999 -------\n"
	    "Alice 23:59\n"
	    "  c\n"
	    "  d\n"
	    "------- Thu 1 Jan 1970 -------\n"
	    "Alice 00:00\n"
	    "  e");
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 5);
}
END_TEST

START_TEST(test_unread)
{
	struct event_row	 ev[3];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;

	opts(&ro, 30);
	ro.ascii = 1;
	ro.unread_after = "$2";
	msg(&ev[0], "$1", "@alice:haos.test", T0, "{\"body\":\"a\"}");
	msg(&ev[1], "$2", "@alice:haos.test", T0 + MIN, "{\"body\":\"b\"}");
	msg(&ev[2], "$3", "@alice:haos.test", T0 + 2 * MIN,
	    "{\"body\":\"c\"}");
	all = run(ev, 3, &ro, &l, &n);
	ck_assert_str_eq(all,
	    "----------- Today ------------\n"
	    "Alice 10:00\n"
	    "  a\n"
	    "  b\n"
	    "-------- new messages --------\n"
	    "Alice 10:02\n"
	    "  c");
	ck_assert(has_attr(l, n, "new messages", RA_UNREAD));
	free(all);
	render_lines_free(l, n);

	/* The marker after the last event shows nothing. */
	ro.unread_after = "$3";
	all = run(ev, 3, &ro, &l, &n);
	ck_assert_ptr_null(strstr(all, "new messages"));
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 3);
}
END_TEST

START_TEST(test_body_wrap_indent)
{
	struct event_row	 ev[1];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;

	opts(&ro, 20);
	msg(&ev[0], "$1", "@alice:haos.test", T0,
	    "{\"body\":\"see https://example.org/some/long/url ok\\n"
	    "日本語日本語日本語日本語\"}");
	all = run(ev, 1, &ro, &l, &n);
	ck_assert_str_eq(all,
	    "────── Today ───────\n"
	    "Alice 10:00\n"
	    "  see\n"
	    "  https://example.or\n"
	    "  g/some/long/url ok\n"
	    "  日本語日本語日本語\n"
	    "  日本語");
	ck_assert(has_attr(l, n, "https://example.or", RA_LINK));
	ck_assert(has_attr(l, n, "g/some/long/url", RA_LINK));
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 1);
}
END_TEST

START_TEST(test_widths_in_timeline)
{
	struct event_row	 ev[1];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n, i;
	char			*all;
	int			 w;

	/* Every width from 1 to 30 keeps every line within bounds. */
	msg(&ev[0], "$1", "@alice:haos.test", T0,
	    "{\"body\":\"日本語 👍🏽 👨‍👩‍👧 e\xcc\x81t\xc3\xa9 "
	    "https://x.test/aaaaaaaaaaaaaaaaaaaaaaaaa\"}");
	ev[0].nreactions = 1;
	ev[0].reactions = xcalloc(1, sizeof *ev[0].reactions);
	ev[0].reactions[0].key = xstrdup("👍");
	ev[0].reactions[0].count = 3;
	for (w = 1; w <= 30; w++) {
		opts(&ro, w);
		all = run(ev, 1, &ro, &l, &n);
		for (i = 0; i < n; i++)
			ck_assert_int_le(l[i].width, w);
		free(all);
		render_lines_free(l, n);
	}
	free_rows(ev, 1);
}
END_TEST

START_TEST(test_markers)
{
	struct event_row	 ev[5];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;

	opts(&ro, 60);
	ro.ascii = 1;
	msg(&ev[0], "$1", "@alice:haos.test", T0, "{\"body\":\"fixed\"}");
	ev[0].edited_by = xstrdup("$e");
	msg(&ev[1], "$2", "@alice:haos.test", T0 + MIN, "{}");
	ev[1].redacted = 1;
	msg(&ev[2], "$3", "@alice:haos.test", T0 + 2 * MIN, "{}");
	ev[2].redacted = 1;
	ev[2].redacted_by = xstrdup("$red");
	msg(&ev[3], NULL, ME, T0 + 3 * MIN, "{\"body\":\"on its way\"}");
	ev[3].echo = OUTBOX_PENDING;
	ev[3].txn_id = xstrdup("t1");
	msg(&ev[4], NULL, ME, T0 + 4 * MIN, "{\"body\":\"lost\"}");
	ev[4].echo = OUTBOX_FAILED;
	ev[4].txn_id = xstrdup("t2");
	all = run(ev, 5, &ro, &l, &n);
	ck_assert_ptr_nonnull(strstr(all, "  fixed (edited)"));
	ck_assert(has_attr(l, n, "(edited)", RA_DIM));
	ck_assert_uint_eq(count(all, "message deleted"), 2);
	ck_assert(has_attr(l, n, "message deleted", RA_DELETED));
	ck_assert_ptr_nonnull(strstr(all, "  on its way (sending...)"));
	ck_assert(has_attr(l, n, "(sending...)", RA_PENDING));
	ck_assert(has_attr(l, n, "on its way", RA_PENDING));
	ck_assert_ptr_nonnull(strstr(all, "  lost ! failed to send"));
	ck_assert(has_attr(l, n, "failed to send", RA_FAILED));
	ck_assert_str_eq(l[n - 1].txn_id, "t2");
	ck_assert_ptr_null(l[n - 1].event_id);
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 5);
}
END_TEST

/*
 * An m.room.encrypted event shows what decryption made of it (dim,
 * italic), never its content; an echo waiting for its key share says
 * "encrypting", in ASCII and in Unicode.
 */
START_TEST(test_e2e)
{
	static const struct {
		enum e2e_state	 e2e;
		const char	*text;
	} want[] = {
		{ E2E_NONE, "waiting for the key to this message" },
		{ E2E_WAITING, "waiting for the key to this message" },
		{ E2E_UNKNOWN_INDEX, "the key to this message starts after "
		    "it: waiting for an older key" },
		{ E2E_REPLAY, "refused: possible replay (this key index came "
		    "with another message)" },
		{ E2E_BAD_SENDER, "refused: the key does not belong to this "
		    "sender or room" },
		{ E2E_BAD, "unable to decrypt this message" },
		{ E2E_WITHHELD, "the sender withheld the key to this message" }
	};
	struct event_row	 ev[4];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n, i;
	char			*all;

	opts(&ro, 200);
	ro.ascii = 1;
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		ck_assert_str_eq(render_e2e_text(want[i].e2e), want[i].text);
		msg(&ev[0], "$1", "@alice:haos.test", T0,
		    "{\"algorithm\":\"m.megolm.v1.aes-sha2\","
		    "\"ciphertext\":\"AwgAEnB\",\"body\":\"raw secret\","
		    "\"msgtype\":\"m.emote\",\"m.relates_to\":{"
		    "\"m.in_reply_to\":{\"event_id\":\"$0\"}}}");
		free(ev[0].type);
		ev[0].type = xstrdup("m.room.encrypted");
		ev[0].e2e = want[i].e2e;
		all = run(ev, 1, &ro, &l, &n);
		ck_assert_msg(strstr(all, want[i].text) != NULL,
		    "e2e %d: \"%s\"", want[i].e2e, all);
		ck_assert(has_attr(l, n, want[i].text, RA_E2E));
		ck_assert_ptr_null(strstr(all, "raw secret"));
		ck_assert_ptr_null(strstr(all, "AwgAEnB"));
		ck_assert_ptr_null(strstr(all, "* Alice"));
		free(all);
		render_lines_free(l, n);
		event_row_free(&ev[0]);
	}

	/* A reply to an encrypted message quotes its state, not its body. */
	msg(&ev[0], "$1", "@alice:haos.test", T0, "{\"body\":\"sealed\"}");
	free(ev[0].type);
	ev[0].type = xstrdup("m.room.encrypted");
	ev[0].e2e = E2E_WITHHELD;
	msg(&ev[1], "$2", "@bob:haos.test", T0 + MIN,
	    "{\"body\":\"> sealed\\n\\nanswer\",\"m.relates_to\":{"
	    "\"m.in_reply_to\":{\"event_id\":\"$1\"}}}");
	/* Echoes: waiting to be encrypted, then encrypted and on its way. */
	msg(&ev[2], NULL, ME, T0 + 2 * MIN, "{\"body\":\"hush\"}");
	ev[2].echo = OUTBOX_PENDING;
	ev[2].encrypting = 1;
	ev[2].txn_id = xstrdup("t1");
	msg(&ev[3], NULL, ME, T0 + 3 * MIN, "{\"body\":\"quiet\"}");
	ev[3].echo = OUTBOX_SENDING;
	ev[3].txn_id = xstrdup("t2");
	all = run(ev, 4, &ro, &l, &n);
	ck_assert_ptr_nonnull(strstr(all, "> Alice: the sender withheld"));
	ck_assert_ptr_null(strstr(all, "sealed"));
	ck_assert_ptr_nonnull(strstr(all, "  hush (encrypting...)"));
	ck_assert(has_attr(l, n, "(encrypting...)", RA_PENDING));
	ck_assert_ptr_nonnull(strstr(all, "  quiet (sending...)"));
	ck_assert_uint_eq(count(all, "encrypting"), 1);
	free(all);
	render_lines_free(l, n);

	/* A failed echo says so, whatever it was waiting for. */
	ev[2].echo = OUTBOX_FAILED;
	ro.ascii = 0;
	all = run(ev, 4, &ro, &l, &n);
	ck_assert_ptr_null(strstr(all, "encrypting"));
	ck_assert_ptr_nonnull(strstr(all, "hush \xe2\x9c\x97 failed to send"));
	free(all);
	render_lines_free(l, n);
	ev[2].echo = OUTBOX_PENDING;
	all = run(ev, 4, &ro, &l, &n);
	ck_assert_ptr_nonnull(strstr(all, "hush (encrypting\xe2\x80\xa6)"));
	free(all);
	render_lines_free(l, n);

	/* A pending edit that waits for its key share says so too. */
	free_rows(ev, 4);
	msg(&ev[0], "$1", ME, T0, "{\"body\":\"tpyo\"}");
	msg(&ev[1], NULL, ME, T0 + MIN,
	    "{\"body\":\"* typo\",\"m.new_content\":{\"body\":\"typo\"},"
	    "\"m.relates_to\":{\"rel_type\":\"m.replace\","
	    "\"event_id\":\"$1\"}}");
	ev[1].echo = OUTBOX_PENDING;
	ev[1].encrypting = 1;
	ev[1].relates_to = xstrdup("$1");
	ro.ascii = 1;
	all = run(ev, 2, &ro, &l, &n);
	ck_assert_ptr_nonnull(strstr(all, "  typo (edited) (encrypting...)"));
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 2);
}
END_TEST

/*
 * The per-message lock (ro.locks): before each message that came
 * encrypted, by its state; verified and unverified alike but for the
 * colour, the warnings and the grey lock each their own; none before a
 * message in clear, none with locks off.
 */
START_TEST(test_locks)
{
	static const struct {
		enum e2e_trust	 t;
		const char	*utf8, *ascii;
		enum render_attr attr;
	} want[] = {
		{ E2E_TRUST_VERIFIED, "\xf0\x9f\x94\x92 hello", "[E2E] hello",
		    RA_LOCK },
		{ E2E_TRUST_UNVERIFIED, "\xf0\x9f\x94\x92 hello",
		    "[E2E] hello", RA_LOCK_PLAIN },
		{ E2E_TRUST_UNSIGNED, "\xe2\x9a\xa0 hello", "[E2E!] hello",
		    RA_LOCK_WARN },
		{ E2E_TRUST_UNKNOWN, "\xe2\x9a\xa0 hello", "[E2E!] hello",
		    RA_LOCK_WARN },
		{ E2E_TRUST_UNAUTHENTICATED, "\xf0\x9f\x94\x92 hello",
		    "[E2E?] hello", RA_LOCK_GREY },
		{ E2E_TRUST_CHANGED, "\xe2\x9a\xa0 hello", "[E2E!] hello",
		    RA_LOCK_WARN },
		{ E2E_TRUST_NONE, "\xf0\x9f\x94\x92 hello", "[E2E] hello",
		    RA_LOCK_PLAIN }
	};
	struct event_row	 ev[2];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n, i;
	char			*all, *glyph;
	int			 ascii;

	for (i = 0; i < nitems(want); i++) {
		for (ascii = 0; ascii <= 1; ascii++) {
			opts(&ro, 80);
			ro.ascii = ascii;
			ro.locks = 1;
			msg(&ev[0], "$1", "@alice:haos.test", T0,
			    "{\"msgtype\":\"m.text\",\"body\":\"hello\"}");
			ev[0].e2e = E2E_DECRYPTED;
			ev[0].trust = want[i].t;
			msg(&ev[1], "$2", "@alice:haos.test", T0 + 1,
			    "{\"msgtype\":\"m.text\",\"body\":\"clear\"}");
			all = run(ev, 2, &ro, &l, &n);
			ck_assert_msg(strstr(all, ascii ? want[i].ascii :
			    want[i].utf8) != NULL, "trust %d: \"%s\"",
			    want[i].t, all);
			glyph = xstrndup(ascii ? want[i].ascii :
			    want[i].utf8, strcspn(ascii ? want[i].ascii :
			    want[i].utf8, " "));
			ck_assert(has_attr(l, n, glyph, want[i].attr));
			ck_assert_uint_eq(count(all, glyph), 1);
			ck_assert_ptr_nonnull(strstr(all, "\n  clear"));
			free(glyph);
			free(all);
			render_lines_free(l, n);
			/* Off: no lock. */
			ro.locks = 0;
			all = run(ev, 2, &ro, &l, &n);
			ck_assert_ptr_nonnull(strstr(all, "\n  hello"));
			ck_assert_ptr_null(strstr(all, "E2E"));
			ck_assert_ptr_null(strstr(all, "\xf0\x9f\x94\x92"));
			free(all);
			render_lines_free(l, n);
			event_row_free(&ev[0]);
			event_row_free(&ev[1]);
		}
		ck_assert_ptr_nonnull(render_lock_text(want[i].t));
	}
	ck_assert_str_eq(render_lock_text(E2E_TRUST_UNSIGNED), "unverified "
	    "device: encrypted by a device not verified by its owner");
	ck_assert_str_eq(render_lock_text(E2E_TRUST_UNKNOWN), "unknown "
	    "device: encrypted by an unknown or deleted device");
	ck_assert_str_eq(render_lock_text((enum e2e_trust)99),
	    render_lock_text(E2E_TRUST_NONE));
}
END_TEST

START_TEST(test_pending_edit)
{
	struct event_row	 ev[3];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;

	opts(&ro, 60);
	ro.ascii = 1;
	msg(&ev[0], "$1", ME, T0, "{\"body\":\"tpyo\"}");
	msg(&ev[1], "$2", ME, T0 + MIN, "{\"body\":\"next\"}");
	/* The unsent edit is an echo at the end of the page. */
	msg(&ev[2], NULL, ME, T0 + 2 * MIN,
	    "{\"body\":\"* typo\",\"m.new_content\":{\"body\":\"typo\"},"
	    "\"m.relates_to\":{\"rel_type\":\"m.replace\","
	    "\"event_id\":\"$1\"}}");
	ev[2].echo = OUTBOX_SENDING;
	ev[2].relates_to = xstrdup("$1");
	all = run(ev, 3, &ro, &l, &n);
	ck_assert_ptr_nonnull(strstr(all, "  typo (edited) (sending...)\n"
	    "  next"));
	ck_assert_ptr_null(strstr(all, "tpyo"));
	ck_assert_ptr_null(strstr(all, "* typo"));	/* not shown twice */
	free(all);
	render_lines_free(l, n);

	ev[2].echo = OUTBOX_FAILED;
	all = run(ev, 3, &ro, &l, &n);
	ck_assert_ptr_nonnull(strstr(all, "  typo (edited) ! failed to send"));
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 3);
}
END_TEST

/* Events outside the page, for event_of. */
static int
lookup(void *arg, const char *event_id, struct event_row *out)
{
	(void)arg;
	if (strcmp(event_id, "$red") == 0) {
		msg(out, "$red", "@bob:haos.test", T0, "{}");
		free(out->type);
		out->type = xstrdup("m.room.redaction");
		return 1;
	}
	if (strcmp(event_id, "$old") == 0) {
		msg(out, "$old", "@bob:haos.test", T0 - 3 * DAY,
		    "{\"body\":\"an older\\nmessage\"}");
		return 1;
	}
	return 0;
}

START_TEST(test_deleted_by)
{
	struct event_row	 ev[2];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;

	opts(&ro, 60);
	ro.event_of = lookup;
	msg(&ev[0], "$1", "@alice:haos.test", T0, "{}");
	ev[0].redacted = 1;
	ev[0].redacted_by = xstrdup("$red");
	msg(&ev[1], "$2", "@bob:haos.test", T0 + MIN, "{}");
	ev[1].redacted = 1;
	ev[1].redacted_by = xstrdup("$red");
	all = run(ev, 2, &ro, &l, &n);
	ck_assert_ptr_nonnull(strstr(all, "  message deleted by Bob\n"));
	/* Bob deleting his own message is just "deleted". */
	ck_assert_uint_eq(count(all, "deleted by"), 1);
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 2);
}
END_TEST

START_TEST(test_reactions_threads)
{
	struct event_row	 ev[1];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;

	opts(&ro, 60);
	msg(&ev[0], "$1", "@alice:haos.test", T0, "{\"body\":\"hi\"}");
	ev[0].nreactions = 2;
	ev[0].reactions = xcalloc(2, sizeof *ev[0].reactions);
	ev[0].reactions[0].key = xstrdup("👍");
	ev[0].reactions[0].count = 2;
	ev[0].reactions[0].mine = 1;
	ev[0].reactions[1].key = xstrdup("😂");
	ev[0].reactions[1].count = 1;
	ev[0].thread_count = 3;
	all = run(ev, 1, &ro, &l, &n);
	ck_assert_ptr_nonnull(strstr(all, "  👍\xc2\xa0" "2  😂\xc2\xa0" "1\n"));
	ck_assert(has_attr(l, n, "👍\xc2\xa0" "2", RA_REACTION_MINE));
	ck_assert(has_attr(l, n, "😂\xc2\xa0" "1", RA_REACTION));
	ck_assert(!has_attr(l, n, "😂", RA_REACTION_MINE));
	ck_assert_ptr_nonnull(strstr(all, "3 replies"));
	ck_assert(has_attr(l, n, "3 replies", RA_THREAD));
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 1);
}
END_TEST

START_TEST(test_reply)
{
	struct event_row	 ev[3];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;

	opts(&ro, 60);
	ro.ascii = 1;
	ro.event_of = lookup;
	msg(&ev[0], "$1", "@bob:haos.test", T0,
	    "{\"body\":\"original words\"}");
	msg(&ev[1], "$2", "@alice:haos.test", T0 + MIN,
	    "{\"body\":\"> <@bob:haos.test> original words\\n\\nmy answer\","
	    "\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$1\"}}}");
	msg(&ev[2], "$3", "@alice:haos.test", T0 + 2 * MIN,
	    "{\"body\":\"> <@bob:haos.test> an older\\n> message\\n\\nback\","
	    "\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$old\"}}}");
	all = run(ev, 3, &ro, &l, &n);
	ck_assert_ptr_null(strstr(all, "<@bob:haos.test>"));
	ck_assert_ptr_nonnull(strstr(all, "  > Bob: original words\n"
	    "  my answer"));
	ck_assert(has_attr(l, n, "> Bob: original words", RA_QUOTE));
	/* From the event_of callback, newlines flattened. */
	ck_assert_ptr_nonnull(strstr(all, "  > Bob: an older message\n"
	    "  back"));
	free(all);
	render_lines_free(l, n);

	/* Not loaded and no callback: the fallback's first line. */
	ro.event_of = NULL;
	all = run(ev + 2, 1, &ro, &l, &n);
	ck_assert_ptr_nonnull(strstr(all, "  > <@bob:haos.test> an older\n"
	    "  back"));
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 3);
}
END_TEST

START_TEST(test_msgtypes)
{
	struct event_row	 ev[5];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;

	opts(&ro, 60);
	msg(&ev[0], "$1", "@alice:haos.test", T0,
	    "{\"msgtype\":\"m.image\",\"body\":\"cat.png\"}");
	msg(&ev[1], "$2", "@alice:haos.test", T0,
	    "{\"msgtype\":\"m.file\",\"body\":\"see this\","
	    "\"filename\":\"a.pdf\"}");
	msg(&ev[2], "$3", "@alice:haos.test", T0,
	    "{\"msgtype\":\"m.emote\",\"body\":\"waves\"}");
	msg(&ev[3], "$4", "@alice:haos.test", T0,
	    "{\"msgtype\":\"m.notice\",\"body\":\"bot says\"}");
	msg(&ev[4], "$5", "@alice:haos.test", T0,
	    "{\"msgtype\":\"m.text\",\"formatted_body\":"
	    "\"<b>bold</b> &amp; <i>it</i>\"}");
	all = run(ev, 5, &ro, &l, &n);
	ck_assert_ptr_nonnull(strstr(all, "  [image: cat.png]\n"));
	ck_assert_ptr_nonnull(strstr(all, "  [file: a.pdf] see this\n"));
	ck_assert_ptr_nonnull(strstr(all, "  * Alice waves\n"));
	ck_assert(has_attr(l, n, "* Alice waves", RA_EMOTE));
	ck_assert(has_attr(l, n, "bot says", RA_NOTICE));
	ck_assert_ptr_nonnull(strstr(all, "  bold & it"));
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 5);
}
END_TEST

START_TEST(test_state_events)
{
	struct event_row	 ev[5];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;

	opts(&ro, 60);
	ro.ascii = 1;
	msg(&ev[0], "$1", "@alice:haos.test", T0,
	    "{\"membership\":\"join\"}");
	msg(&ev[1], "$2", "@bob:haos.test", T0 + MIN,
	    "{\"topic\":\"new \\u001b[31mtopic\"}");
	msg(&ev[2], "$3", "@bob:haos.test", T0 + 2 * MIN,
	    "{\"membership\":\"leave\"}");
	msg(&ev[3], "$4", "@alice:haos.test", T0 + 3 * MIN,
	    "{\"membership\":\"ban\",\"reason\":\"spam\"}");
	msg(&ev[4], "$5", "@alice:haos.test", T0 + 4 * MIN,
	    "{\"body\":\"after\"}");
	free(ev[0].type);
	ev[0].type = xstrdup("m.room.member");
	ev[0].state_key = xstrdup("@alice:haos.test");
	free(ev[1].type);
	ev[1].type = xstrdup("m.room.topic");
	ev[1].state_key = xstrdup("");
	free(ev[2].type);
	ev[2].type = xstrdup("m.room.member");
	ev[2].state_key = xstrdup("@bob:haos.test");
	free(ev[3].type);
	ev[3].type = xstrdup("m.room.member");
	ev[3].state_key = xstrdup("@carol:haos.test");
	all = run(ev, 5, &ro, &l, &n);
	ck_assert_str_eq(all,
	    "-------------------------- Today ---------------------------\n"
	    "10:00 Alice joined\n"
	    "10:01 Bob changed the topic to \"new topic\"\n"
	    "10:02 Bob left\n"
	    "10:03 Alice banned @carol:haos.test: spam\n"
	    "Alice 10:04\n"
	    "  after");
	ck_assert(has_attr(l, n, "Alice joined", RA_NOTICE));
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 5);

	/* A place ingest kept for an event it could not read. */
	msg(&ev[0], "~unreadable:!r:1", "", T0,
	    "{\"reason\":\"no sender \\u001b]2;x\\u0007\"}");
	free(ev[0].type);
	ev[0].type = xstrdup("io.haos.unreadable");
	all = run(ev, 1, &ro, &l, &n);
	ck_assert_str_eq(all,
	    "-------------------------- Today ---------------------------\n"
	    "10:00 an event here could not be read (no sender )");
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 1);
}
END_TEST

/* A member who stays joined: renames and pictures, not "joined" again. */
START_TEST(test_member_changes)
{
	static const char *const content[] = {
	    "{\"membership\":\"join\",\"displayname\":\"Ali\\u001b[2Jce\","
	    "\"io.haos.prev\":{\"membership\":\"join\","
	    "\"displayname\":\"Al\"}}",
	    "{\"membership\":\"join\",\"displayname\":\"Alice\","
	    "\"avatar_url\":\"mxc://h/new\",\"io.haos.prev\":"
	    "{\"membership\":\"join\",\"displayname\":\"Alice\"}}",
	    "{\"membership\":\"join\",\"displayname\":\"Alice\","
	    "\"io.haos.prev\":{\"membership\":\"join\","
	    "\"displayname\":\"Alice\"}}",
	    "{\"membership\":\"join\",\"io.haos.prev\":"
	    "{\"membership\":\"invite\"}}",
	    "{\"membership\":\"leave\",\"io.haos.prev\":"
	    "{\"membership\":\"ban\"}}",
	    "{\"membership\":\"leave\",\"io.haos.prev\":"
	    "{\"membership\":\"invite\"}}"
	};
	static const char *const sender[] = { "@alice:haos.test",
	    "@alice:haos.test", "@alice:haos.test", "@carol:haos.test",
	    "@alice:haos.test", "@dave:haos.test" };
	static const char *const target[] = { "@alice:haos.test",
	    "@alice:haos.test", "@alice:haos.test", "@carol:haos.test",
	    "@carol:haos.test", "@dave:haos.test" };
	struct event_row	 ev[6];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n, i;
	char			*all;

	opts(&ro, 60);
	ro.ascii = 1;
	for (i = 0; i < 6; i++) {
		msg(&ev[i], "$m", sender[i], T0 + (int64_t)i * MIN,
		    content[i]);
		free(ev[i].type);
		ev[i].type = xstrdup("m.room.member");
		ev[i].state_key = xstrdup(target[i]);
	}
	all = run(ev, 6, &ro, &l, &n);
	ck_assert_str_eq(all,
	    "-------------------------- Today ---------------------------\n"
	    "10:00 Al changed their name to Alice\n"
	    "10:01 Alice changed their picture\n"
	    "10:03 @carol:haos.test joined\n"
	    "10:04 Alice unbanned @carol:haos.test\n"
	    "10:05 @dave:haos.test declined the invite");
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 6);
}
END_TEST

START_TEST(test_mentions)
{
	struct event_row	 ev[1];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;

	opts(&ro, 80);
	msg(&ev[0], "$1", "@alice:haos.test", T0,
	    "{\"body\":\"hey me myself, and @me:haos.test; not "
	    "Me Myselfish\"}");
	all = run(ev, 1, &ro, &l, &n);
	ck_assert(has_attr(l, n, "me myself", RA_MENTION));
	ck_assert(has_attr(l, n, "@me:haos.test", RA_MENTION));
	ck_assert(!has_attr(l, n, "Me Myself", RA_MENTION));
	ck_assert(!has_attr(l, n, "hey", RA_MENTION));
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 1);
}
END_TEST

START_TEST(test_hostile)
{
	struct event_row	 ev[2];
	struct render_opts	 ro;
	struct render_line	*l;
	size_t			 n;
	char			*all;
	int			 w;

	msg(&ev[0], "$1", "@evil:haos.test", T0,
	    "{\"body\":\"\\u001b[2Jclear \\u001b]52;c;ZXZpbA==\\u0007"
	    "clip \\u202egnp.exe \\u0000\\u0007\\u0008\\u009b2J x\\ty\"}");
	/* Invalid UTF-8 can reach the store through a raw byte path. */
	msg(&ev[1], "$2", "@evil:haos.test", T0 + MIN, "{}");
	free(ev[1].content);
	ev[1].content = xstrdup("{\"body\":\"bad \xff\xfe bytes\"}");
	for (w = 10; w <= 80; w += 35) {
		opts(&ro, w);
		all = run(ev, 2, &ro, &l, &n);
		ck_assert_ptr_null(strchr(all, '\x1b'));
		ck_assert_ptr_null(strstr(all, "\xe2\x80\xae"));
		ck_assert_ptr_null(strstr(all, "ZXZpbA=="));
		ck_assert_ptr_null(strstr(all, "[2J"));
		ck_assert_ptr_nonnull(strstr(all, "Evil"));
		if (w == 80) {
			ck_assert_ptr_nonnull(strstr(all,
			    "  clear clip gnp.exe  x   y"));
		}
		free(all);
		render_lines_free(l, n);
	}

	/* Bytes that are not UTF-8 become U+FFFD. */
	opts(&ro, 80);
	all = run(ev + 1, 1, &ro, &l, &n);
	ck_assert_ptr_nonnull(strstr(all,
	    "  bad \xef\xbf\xbd\xef\xbf\xbd bytes"));
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 2);
}
END_TEST

START_TEST(test_hostile_fields)
{
	struct render_line	*l;
	struct render_opts	 ro;
	struct event_row	 ev[2];
	size_t			 n;
	char			*all;

	/* Reaction keys and names are network text too. */
	opts(&ro, 40);
	msg(&ev[0], "$1", "@evil:haos.test", T0,
	    "{\"body\":\"x \\u2066y\\u2069 \\u200fz\"}");
	ev[0].nreactions = 1;
	ev[0].reactions = xcalloc(1, sizeof *ev[0].reactions);
	ev[0].reactions[0].key = xstrdup("\x1b]52;c;AAAA\x07\xc3\x28!");
	ev[0].reactions[0].count = 1;
	/* Content jansson cannot read at all. */
	msg(&ev[1], "$2", "@alice:haos.test", T0 + MIN,
	    "{\"body\":\"\\ud800\"}");
	all = run(ev, 2, &ro, &l, &n);
	ck_assert_ptr_null(strstr(all, "\xe2\x81\xa6"));	/* U+2066 */
	ck_assert_ptr_null(strstr(all, "\xe2\x80\x8f"));	/* U+200F */
	ck_assert_ptr_null(strstr(all, "AAAA"));
	ck_assert_ptr_nonnull(strstr(all, "  x y z\n"));
	ck_assert_ptr_nonnull(strstr(all, "\xef\xbf\xbd(!\xc2\xa0" "1"));
	ck_assert_ptr_nonnull(strstr(all, "Evil 10:00"));
	ck_assert_ptr_nonnull(strstr(all, "  unreadable message"));
	free(all);
	render_lines_free(l, n);
	free_rows(ev, 2);
}
END_TEST

START_TEST(test_sender_color)
{
	int	 a, b;

	a = render_sender_color("@alice:haos.test", 8);
	b = render_sender_color("@alice:haos.test", 8);
	ck_assert_int_eq(a, b);
	ck_assert_int_ge(a, 0);
	ck_assert_int_lt(a, 8);
	ck_assert_int_eq(render_sender_color("@x:y", 0), 0);
	ck_assert_int_eq(render_sender_color("@x:y", 1), 0);
	/* FNV-1a of "a" is 0xe40c292c. */
	ck_assert_int_eq(render_sender_color("a", 1000),
	    (int)(0xe40c292cu % 1000));
}
END_TEST

/*
 * A badge never overflows its buffer: a name of one letter and 1,000
 * combining marks (one grapheme of 2,001 bytes) keeps its base letter.
 */
START_TEST(test_badge_bounds)
{
	char	 badge[16], *storm;
	size_t	 i;

	memset(badge, 'X', sizeof badge);
	render_badge("Acme Corp", badge, sizeof badge);
	ck_assert_str_eq(badge, "AC");
	render_badge("zeta", badge, sizeof badge);
	ck_assert_str_eq(badge, "Ze");
	storm = xmalloc(1 + 1000 * 2 + 1);
	storm[0] = 'a';
	for (i = 0; i < 1000; i++)
		memcpy(storm + 1 + i * 2, "\xcc\x81", 2);	/* U+0301 */
	storm[1 + 2000] = '\0';
	render_badge(storm, badge, sizeof badge);
	ck_assert_str_eq(badge, "A");
	/* Two such words: two base letters. */
	storm = xrealloc(storm, 2 * 2001 + 2);
	storm[2001] = ' ';
	memcpy(storm + 2002, storm, 2001);
	storm[4003] = '\0';
	render_badge(storm, badge, sizeof badge);
	ck_assert_str_eq(badge, "Aa");
	render_badge("", badge, sizeof badge);
	ck_assert_str_eq(badge, "?");
	free(storm);
}
END_TEST

/* A device warning row pointing at constant strings. */
static struct device_warning
warn(const char *user, const char *device, const char *reason, int64_t ts)
{
	struct device_warning	 w;

	w.user_id = (char *)(uintptr_t)user;
	w.device_id = (char *)(uintptr_t)device;
	w.reason = (char *)(uintptr_t)reason;
	w.ts = ts;
	return w;
}

/* A refused device: what the status line and a profile say of it. */
START_TEST(test_warn_text)
{
	struct device_warning	 w;
	char			*s, *clean;

	w = warn("@bob:haos.test", "ABCDEF", "keys_changed", T0);
	s = render_warn_status(&w, 0);
	ck_assert_str_eq(s, "\xe2\x9a\xa0 @bob:haos.test's device ABCDEF "
	    "came back with other keys: refused (it may be an attack; its "
	    "messages stay unverified)");
	free(s);
	s = render_warn_status(&w, 1);
	ck_assert_str_eq(s, "! @bob:haos.test's device ABCDEF came back with "
	    "other keys: refused (it may be an attack; its messages stay "
	    "unverified)");
	free(s);
	s = render_warn_detail(&w);
	ck_assert_str_eq(s, "ABCDEF: came back with other keys, refused (it "
	    "may be an attack; its messages stay unverified)");
	free(s);
	w = warn("@bob:haos.test", "XYZ", "key_reused", T0);
	s = render_warn_status(&w, 0);
	ck_assert_str_eq(s, "\xe2\x9a\xa0 @bob:haos.test's device XYZ "
	    "claims another device's key: refused");
	free(s);
	s = render_warn_detail(&w);
	ck_assert_str_eq(s, "XYZ: claims another device's key, refused");
	free(s);
	/* A reason this build does not know is still shown, as it is. */
	w = warn("@bob:haos.test", "XYZ", "later_reason", T0);
	s = render_warn_status(&w, 1);
	ck_assert_str_eq(s, "! @bob:haos.test's device XYZ was refused "
	    "(later_reason)");
	free(s);
	/* A hostile device id: the text is raw, the sanitiser cleans it. */
	w = warn("@bob:haos.test", "EVIL\x1b[2J\n", "keys_changed", T0);
	s = render_warn_status(&w, 1);
	clean = sanitize_text(s, (size_t)-1, 0);
	ck_assert_ptr_null(strchr(clean, '\x1b'));
	ck_assert_ptr_null(strchr(clean, '\n'));
	ck_assert_ptr_nonnull(strstr(clean, "device EVIL"));
	free(clean);
	free(s);
}
END_TEST

/* New warnings: not seen before; the same refusal again is not news. */
START_TEST(test_warn_fresh)
{
	struct device_warning	 seen[2], now[4];
	size_t			 idx[4], n;

	now[0] = warn("@carol:hs", "C1", "key_reused", T0 + 3);
	now[1] = warn("@bob:hs", "B1", "keys_changed", T0 + 2);
	now[2] = warn("@bob:hs", "B2", "keys_changed", T0 + 1);
	now[3] = warn("@bob:hs", "B1", "key_reused", T0);
	/* The first read of a run: all of them, newest first. */
	n = render_warn_fresh(NULL, 0, now, 4, idx);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(idx[0], 0);
	ck_assert_uint_eq(idx[3], 3);
	/* Read again unchanged: nothing new. */
	n = render_warn_fresh(now, 4, now, 4, idx);
	ck_assert_uint_eq(n, 0);
	/*
	 * Seen before: B1 keys_changed (refused again since: its ts moved,
	 * told already) and B2; C1 and B1 key_reused are new (the same
	 * device for another reason is another warning).
	 */
	seen[0] = warn("@bob:hs", "B2", "keys_changed", T0 + 1);
	seen[1] = warn("@bob:hs", "B1", "keys_changed", T0 - 5);
	n = render_warn_fresh(seen, 2, now, 4, idx);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(idx[0], 0);
	ck_assert_uint_eq(idx[1], 3);
	/* Same device id, another user: new. */
	seen[0] = warn("@eve:hs", "C1", "key_reused", T0 + 3);
	n = render_warn_fresh(seen, 1, now, 1, idx);
	ck_assert_uint_eq(n, 1);
}
END_TEST

Suite *
suite_render(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("render");
	tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_badge_bounds);
	tcase_add_test(tc, test_wrap_words);
	tcase_add_test(tc, test_wrap_long);
	tcase_add_test(tc, test_wrap_wide);
	tcase_add_test(tc, test_grouping);
	tcase_add_test(tc, test_days);
	tcase_add_test(tc, test_unread);
	tcase_add_test(tc, test_body_wrap_indent);
	tcase_add_test(tc, test_widths_in_timeline);
	tcase_add_test(tc, test_markers);
	tcase_add_test(tc, test_pending_edit);
	tcase_add_test(tc, test_deleted_by);
	tcase_add_test(tc, test_reactions_threads);
	tcase_add_test(tc, test_reply);
	tcase_add_test(tc, test_msgtypes);
	tcase_add_test(tc, test_state_events);
	tcase_add_test(tc, test_member_changes);
	tcase_add_test(tc, test_mentions);
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_hostile_fields);
	tcase_add_test(tc, test_sender_color);
	tcase_add_test(tc, test_days_hostile_ts);
	tcase_add_test(tc, test_date);
	tcase_add_test(tc, test_mention_full_name);
	tcase_add_test(tc, test_url_end);
	tcase_add_test(tc, test_seen_by);
	tcase_add_test(tc, test_e2e);
	tcase_add_test(tc, test_locks);
	tcase_add_test(tc, test_warn_text);
	tcase_add_test(tc, test_warn_fresh);
	suite_add_tcase(s, tc);
	return s;
}
