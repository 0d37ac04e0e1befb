/* Scratch directory, temp files and invariant failures for the fuzzers. */
#include "fuzz.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "haos/error.h"
#include "haos/hyperlink.h"
#include "haos/model.h"
#include "haos/render.h"
#include "haos/sanitize.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

static char	*fuzz_tmp;

static int
fuzz_rm_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
fuzz_cleanup(void)
{
	if (fuzz_tmp != NULL)
		nftw(fuzz_tmp, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Create the scratch directory under $TMPDIR on first use. */
const char *
fuzz_dir(void)
{
	const char	*t;

	if (fuzz_tmp != NULL)
		return fuzz_tmp;
	t = getenv("TMPDIR");
	fuzz_tmp = xasprintf("%s/haos-fuzz-XXXXXX", t != NULL && *t != '\0' ?
	    t : "/tmp");
	if (mkdtemp(fuzz_tmp) == NULL) {
		perror(fuzz_tmp);
		abort();
	}
	atexit(fuzz_cleanup);
	return fuzz_tmp;
}

char *
fuzz_write(const char *name, const uint8_t *data, size_t size)
{
	char	*path;
	int	 fd;
	ssize_t	 w;

	path = xasprintf("%s/%s", fuzz_dir(), name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1) {
		perror(path);
		abort();
	}
	while (size > 0) {
		w = write(fd, data, size);
		if (w <= 0) {
			perror(path);
			abort();
		}
		data += w;
		size -= (size_t)w;
	}
	close(fd);
	return path;
}

void
fuzz_fail(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fputs("fuzz invariant: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/* Whether s is valid UTF-8 without C0 (but '\n' if nl), DEL or C1. */
int
fuzz_clean_text(const char *s, size_t len, int nl)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, n;
	uint32_t		 cp;

	for (i = 0; i < len; i += n) {
		if (p[i] < 0x80) {
			if ((p[i] < 0x20 && !(nl && p[i] == '\n')) ||
			    p[i] == 0x7f)
				return 0;
			n = 1;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			n = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			n = 3;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			n = 4;
		else
			return 0;
		if (i + n > len)
			return 0;
		cp = p[i] & (0x7f >> n);
		for (size_t k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 ||
		    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		if (cp >= 0x80 && cp <= 0x9f)
			return 0;
		if ((cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			return 0;
	}
	return 1;
}

/* A span's link: none, or an RA_LINK whose URL an OSC 8 may carry. */
static void
fuzz_check_link(const struct render_span *sp, size_t line)
{
	char	*again;

	if (sp->url == NULL) {
		if (sp->link != 0)
			fuzz_fail("line %zu: link %d without a URL", line,
			    sp->link);
		return;
	}
	if (sp->attr != RA_LINK || sp->link < 1)
		fuzz_fail("line %zu: URL on attr %d, link %d", line, sp->attr,
		    sp->link);
	again = hyperlink_clean(sp->url);
	if (again == NULL || strcmp(again, sp->url) != 0)
		fuzz_fail("line %zu: a span's URL is not clean", line);
	free(again);
}

void
fuzz_check_lines(const struct render_line *l, size_t n, int width)
{
	size_t	 i, j, off, len;

	for (i = 0; i < n; i++) {
		len = strlen(l[i].text);
		if (!fuzz_clean_text(l[i].text, len, 0))
			fuzz_fail("line %zu is not clean text", i);
		if (sanitize_width(l[i].text) != l[i].width)
			fuzz_fail("line %zu: width %d, measured %d", i,
			    l[i].width, sanitize_width(l[i].text));
		if (l[i].width > width)
			fuzz_fail("line %zu is %d wide, limit %d", i,
			    l[i].width, width);
		off = 0;
		for (j = 0; j < l[i].nspans; j++) {
			if (l[i].spans[j].off != off || l[i].spans[j].len == 0)
				fuzz_fail("line %zu: span %zu at %zu+%zu, "
				    "want %zu", i, j, l[i].spans[j].off,
				    l[i].spans[j].len, off);
			off += l[i].spans[j].len;
		}
		if (off != len)
			fuzz_fail("line %zu: spans cover %zu of %zu bytes", i,
			    off, len);
		for (j = 0; j < l[i].nspans; j++)
			fuzz_check_link(&l[i].spans[j], i);
	}
}

/* The store as name_of() and event_of() see it in the UI. */
struct fuzz_view {
	struct store		*s;
	struct member_row	*m;
	size_t			 nm;
};

static const char *
fuzz_name_of(void *arg, const char *user_id)
{
	struct fuzz_view	*v = arg;
	size_t			 i;

	for (i = 0; i < v->nm; i++) {
		if (strcmp(v->m[i].user_id, user_id) == 0)
			return v->m[i].displayname;
	}
	return NULL;
}

static int
fuzz_event_of(void *arg, const char *event_id, struct event_row *out)
{
	struct fuzz_view	*v = arg;
	struct haos_error	 err;

	return store_query_event(v->s, event_id, out, &err) == 1;
}

void
fuzz_view_room(struct store *s, const char *room_id)
{
	static const int	 widths[] = { 1, 7, 40, 120 };
	struct fuzz_view	 v;
	struct haos_error	 err;
	struct event_row	*ev;
	struct render_line	*lines;
	struct render_opts	 ro;
	struct room_row		 r;
	size_t			 nev, nlines, i;
	char			*clean;

	memset(&v, 0, sizeof v);
	v.s = s;
	if (store_query_room(s, room_id, &r, &err) == 1) {
		if (r.name != NULL) {
			clean = sanitize_text(r.name, (size_t)-1, 0);
			sanitize_width(clean);
			free(clean);
		}
		room_row_free(&r);
	}
	if (store_query_members(s, room_id, &v.m, &v.nm, &err) == -1)
		return;
	if (store_query_timeline(s, room_id, STORE_LATEST, 100, 0,
	    "@me:haos.test", &ev, &nev, &err) == 0) {
		for (i = 0; i < nitems(widths); i++) {
			memset(&ro, 0, sizeof ro);
			ro.width = widths[i];
			ro.me = "@me:haos.test";
			ro.my_name = "Me";
			ro.palette = 8;
			ro.seconds = (int)i & 1;
			ro.ascii = i == 1;
			ro.now_ms = (int64_t)1795428000 * 1000;
			ro.name_of = fuzz_name_of;
			ro.name_arg = &v;
			ro.event_of = fuzz_event_of;
			ro.event_arg = &v;
			if (nev > 0)
				ro.unread_after = ev[nev / 2].event_id;
			if (render_timeline(ev, nev, &ro, &lines,
			    &nlines) == -1)
				fuzz_fail("render_timeline failed");
			fuzz_check_lines(lines, nlines, ro.width);
			render_lines_free(lines, nlines);
		}
		event_rows_free(ev, nev);
	}
	member_rows_free(v.m, v.nm);
}
