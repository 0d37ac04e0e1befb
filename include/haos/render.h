/* Messages to display lines: wrapping, widths, markers; no curses. */
#ifndef HAOS_RENDER_H
#define HAOS_RENDER_H

#include "haos/haos.h"
#include "haos/json.h"
#include "haos/model.h"

#include <stddef.h>
#include <stdint.h>

/* How a span is drawn; the UI maps these to colours from the theme. */
enum render_attr {
	RA_TEXT = 0,
	RA_DIM,			/* timestamps, "(edited)" */
	RA_SENDER,		/* colour in render_span.color */
	RA_MENTION,		/* a mention of me */
	RA_LINK,
	RA_PENDING,		/* local echo not yet sent */
	RA_FAILED,		/* local echo that failed */
	RA_DELETED,		/* "message deleted" */
	RA_E2E,			/* "waiting for the key to this message" */
	RA_DAYSEP,		/* day separator line */
	RA_NOTICE,		/* m.notice, membership changes */
	RA_EMOTE,		/* m.emote */
	RA_QUOTE,		/* reply preview */
	RA_REACTION,
	RA_REACTION_MINE,
	RA_THREAD,		/* "3 replies · last by bob" */
	RA_UNREAD,		/* the "new messages" line */
	RA_LOCK,		/* the lock of a verified sender */
	RA_LOCK_PLAIN,		/* unverified, or unknown */
	RA_LOCK_WARN,		/* device unsigned or unknown, identity
				   changed */
	RA_LOCK_GREY		/* authenticity not guaranteed */
};

/*
 * Text attributes on top of a render_attr, from a formatted_body
 * (render-html.c).  RF_STRIKE has no curses attribute: it is drawn dim.
 */
enum render_flag {
	RF_BOLD = 1u << 0,	/* b, strong, h1-h6 */
	RF_ITALIC = 1u << 1,	/* i, em (underlined without sitm) */
	RF_UNDERLINE = 1u << 2,	/* u, h1, h2 */
	RF_STRIKE = 1u << 3,	/* s, del, strike */
	RF_CODE = 1u << 4,	/* code, pre */
	RF_COLOR = 1u << 5,	/* data-mx-color: color is RGB555 */
	RF_IMAGE = 1u << 6	/* an image preview's cells: color and bg
				   are terminal colours (preview.h) */
};

struct render_span {
	size_t		 off, len;	/* bytes into render_line.text */
	enum render_attr attr;
	int		 color;		/* RA_SENDER: 0..N-1 palette index;
					   RF_COLOR: 0bRRRRRGGGGGBBBBB;
					   RF_IMAGE: the foreground */
	unsigned int	 flags;		/* render_flag bits */
	int		 bg;		/* RF_IMAGE: the background */
	char		*url;		/* RA_LINK: what it opens, as an OSC 8
					   carries it (hyperlink_clean()), or
					   NULL */
	int		 link;		/* with url: its number in the event
					   (1, 2, ...), the same on each line
					   a link is wrapped over */
};

/*
 * One screen line; text is sanitised UTF-8 no wider than the width.  The
 * spans cover the text in order, without gaps.  Day separators and the
 * unread line have no event_id.
 */
struct render_line {
	char			*text;
	struct render_span	*spans;
	size_t			 nspans;
	int			 width;		/* display cells used */
	char			*event_id;	/* the event this line shows */
	int			 first;		/* first line of its event */
	char			*txn_id;	/* a local echo's transaction */
};

struct render_opts {
	int		 width;		/* cells available */
	const char	*me;		/* my user id (mentions, "mine") */
	const char	*my_name;	/* my display name (mentions) */
	int		 ascii;		/* no box/emoji decorations */
	int		 hyperlinks;	/* links are OSC 8 hyperlinks: a link's
					   URL is not drawn after its text
					   (unless ascii) */
	int		 seconds;	/* timestamps with seconds */
	int		 locks;		/* a lock before encrypted messages */
	int64_t		 now_ms;	/* for "Today" day separators */
	const char	*unread_after;	/* event id of the read marker */
	/* Others' m.read receipts: users[i] read up to events[i]. */
	const char *const *rcpt_users;
	const char *const *rcpt_events;
	size_t		 nrcpt;
	/*
	 * The thread root when rendering a thread; NULL in a channel,
	 * where m.thread replies fold into their root's summary.
	 */
	const char	*thread;
	int		 palette;	/* number of sender colours */
	/* Display names: user id -> name (NULL: use the id). */
	const char	*(*name_of)(void *arg, const char *user_id);
	void		*name_arg;
	/*
	 * Events outside the page (reply targets, redactions): fill *out
	 * and return 1, else 0; render frees *out with event_row_free().
	 * store_query_event() fits.  NULL: use the page only.
	 */
	int		 (*event_of)(void *arg, const char *event_id,
			     struct event_row *out);
	void		*event_arg;
	/*
	 * Image previews under an m.image, m.sticker or m.video's label
	 * (render-image.c), at most cols cells wide: return 1 with *pv
	 * (borrowed while rendering) to draw, 2 with *why (borrowed) for
	 * a placeholder line, 0 for nothing (off, or not there yet).
	 * NULL: none.
	 */
	int		 (*preview_of)(void *arg, const struct event_row *,
			     int cols, const struct preview **pv,
			     const char **why);
	void		*preview_arg;
};

/*
 * Render events oldest first into lines: day separators, a sender line
 * with time for the first of consecutive messages by one sender (within
 * a few minutes), wrapped bodies (long words and URLs broken at the
 * width, wide characters and emoji measured by grapheme), "(edited)",
 * "message deleted", pending/failed marks, reactions, thread summaries.
 */
int	render_timeline(const struct event_row *, size_t,
	    const struct render_opts *, struct render_line **, size_t *);
void	render_lines_free(struct render_line *, size_t);

/*
 * Whether lines[i] (of n) is the top row of an image preview: then its
 * column in *x and how many lines it spans in *rows (graphics.c places
 * the image on that rectangle).
 */
int	render_image_top(const struct render_line *, size_t n, size_t i,
	    int *x, int *rows);

/*
 * The length of the http(s) URL at s: up to a space or quote, without
 * the sentence's punctuation after it (a trailing "." or ",", or a ")"
 * the URL did not open).
 */
size_t	render_url_len(const char *s, size_t len);

/*
 * The links selection o may open in a formatted_body (html), in document
 * order: the href of each <a> shown (not inside mx-reply or dropped
 * content) and the http(s) URLs written out in text outside links,
 * each http, https or mailto, not a matrix.to pill, sanitised, at most
 * 2048 bytes, at most 64 of them.  render_links()
 * does it for a message's content when its formatted_body is drawn.
 * Returns how many, in *out (the caller frees each and the array).
 */
size_t	render_html_links(const char *html, char ***out);
size_t	render_links(const json_t *content, char ***out);

/*
 * Who has seen evs[at] by ro's receipts: users whose receipt is on it or
 * on a later event of the page, not me and not its sender.  Fills out
 * (room for ro->nrcpt) with borrowed user ids; returns how many.
 */
size_t	render_seen_by(const struct event_row *evs, size_t n, size_t at,
	    const struct render_opts *ro, const char **out);

/*
 * "seen by Bob", "seen by Bob and Carol", "seen by Bob, Carol and 2
 * others": the names sanitised.  The caller frees.
 */
char	*render_seen_text(const struct render_opts *ro,
	    const char *const *users, size_t n);

/* A time in ms as "Sat 5 Dec 2026 03:01:26", local (message details). */
void	render_date(int64_t ms, char *buf, size_t size);

/*
 * Wrap sanitised text to width cells: returns the line count; the caller
 * frees each line and the array (NULL-terminated) with free().
 */
size_t	render_wrap(const char *text, int width, char ***lines);

/*
 * The text of a message content as the timeline shows it, unsanitised:
 * the body without a reply's "> " fallback lines (or the text of a
 * formatted_body without its <mx-reply> when there is no body).  NULL
 * when content is not JSON.  The caller frees.
 */
char	*render_body(const char *content);

/*
 * What the timeline says in place of an m.room.encrypted event, by what
 * decryption made of it: "waiting for the key to this message", ...
 * E2E_NONE (not looked at yet: no key so far) reads as E2E_WAITING.
 */
const char *render_e2e_text(enum e2e_state);

/*
 * The per-message lock (render-lock.c): its glyph ("[E2E]"-like in
 * ASCII) and attribute before a message that came encrypted (NULL for
 * one that did not), and the Message details line: the state, the
 * sending device and what it means ("verified: ...").
 */
const char *render_lock_glyph(const struct event_row *, int ascii,
	    enum render_attr *);
const char *render_lock_text(enum e2e_trust);

/* Stable colour index of a user id in a palette of n colours. */
int	render_sender_color(const char *user_id, int n);

/*
 * The rail badge of a sanitised server name: initials of a multi-word
 * name, else its first letters (2-3 cells) in out (outsz bytes, at least
 * 8), never past outsz whatever the name holds; "?" when nothing fits.
 */
void	 render_badge(const char *clean, char *out, size_t outsz);

/*
 * Refused devices (store_device_warnings(), render-warn.c).  The status
 * line's text of a warning: "⚠ @bob:hs's device ABC came back with other
 * keys: refused (...)" ("!" for the sign when ascii); the profile's line
 * of it: "ABC: came back with other keys (...)".  Raw: the ids come from
 * the server, the caller sanitises.  The caller frees.
 */
struct device_warning;
char	*render_warn_status(const struct device_warning *, int ascii);
char	*render_warn_detail(const struct device_warning *);

/*
 * Which rows of now (newest first, as the store lists them) are new
 * beside seen (the rows read before): no row of seen for that user,
 * device and reason.  The same refusal again (each /keys/query that
 * lists the device moves its ts) is not news: it was told.  Fills idx
 * (room for nnow) with their indexes in now, in now's order; returns how
 * many.
 */
size_t	 render_warn_fresh(const struct device_warning *seen, size_t nseen,
	    const struct device_warning *now, size_t nnow, size_t *idx);

#endif
