/* Fuzz the formatted_body renderer (libxml2's HTML parser, render-html.c). */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "haos/json.h"
#include "haos/model.h"
#include "haos/render.h"
#include "haos/xmalloc.h"

static const char *
name_of(void *arg, const char *user_id)
{
	(void)arg;
	if (strcmp(user_id, "@bob:haos.test") == 0)
		return "Bob \x1b[31m\xe2\x80\xae";
	return NULL;
}

/*
 * Input: a width byte, an option byte (ascii, msgtype, body), then the
 * formatted_body.  The event is drawn by the timeline and by
 * render_body(); the lines must be clean, in width and tiled by spans.
 * The links o may open (render_html_links()) must be http, https or
 * mailto, without a control byte, at most 2048 bytes, 64 of them.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const	 types[] = {
		"m.text", "m.notice", "m.emote", "m.image"
	};
	struct event_row	 ev;
	struct render_opts	 ro;
	struct render_line	*lines;
	json_t			*c;
	size_t			 nlines, nlinks, i;
	char			*body, *html, **links;
	const char		*p;

	if (size < 2)
		return 0;
	html = xstrndup((const char *)data + 2, size - 2);
	nlinks = render_html_links(html, &links);
	if (nlinks > 64)
		fuzz_fail("%zu links", nlinks);
	for (i = 0; i < nlinks; i++) {
		if (strncasecmp(links[i], "http://", 7) != 0 &&
		    strncasecmp(links[i], "https://", 8) != 0 &&
		    strncasecmp(links[i], "mailto:", 7) != 0)
			fuzz_fail("link of another scheme: %.20s", links[i]);
		if (strlen(links[i]) > 2048)
			fuzz_fail("a link of %zu bytes", strlen(links[i]));
		for (p = links[i]; *p != '\0'; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				fuzz_fail("control byte in a link");
		}
		free(links[i]);
	}
	free(links);
	free(html);
	c = json_object();
	json_object_set_new(c, "msgtype", json_string(types[data[1] & 3]));
	json_object_set_new(c, "body", json_string(data[1] & 4 ? "" :
	    "plain"));
	json_object_set_new(c, "format",
	    json_string("org.matrix.custom.html"));
	json_object_set_new(c, "formatted_body",
	    json_stringn_nocheck((const char *)data + 2, size - 2));
	memset(&ev, 0, sizeof ev);
	ev.room_id = xstrdup("!r:haos.test");
	ev.event_id = xstrdup("$1");
	ev.sender = xstrdup("@alice:haos.test");
	ev.type = xstrdup("m.room.message");
	ev.ts = (int64_t)1795428000 * 1000;
	ev.content = json_dumps(c, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(c);
	if (ev.content == NULL) {
		event_row_free(&ev);
		return 0;
	}
	memset(&ro, 0, sizeof ro);
	ro.width = 1 + data[0] % 120;
	ro.ascii = (data[1] >> 3) & 1;
	ro.hyperlinks = (data[1] >> 4) & 1;
	ro.me = "@me:haos.test";
	ro.my_name = "Me";
	ro.now_ms = ev.ts;
	ro.palette = 8;
	ro.name_of = name_of;
	if (render_timeline(&ev, 1, &ro, &lines, &nlines) == 0) {
		fuzz_check_lines(lines, nlines, ro.width);
		render_lines_free(lines, nlines);
	}
	body = render_body(ev.content);
	free(body);
	event_row_free(&ev);
	return 0;
}
