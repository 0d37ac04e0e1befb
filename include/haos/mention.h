/* Mentions: finding them in messages, m.mentions and matrix.to pills. */
#ifndef HAOS_MENTION_H
#define HAOS_MENTION_H

#include "haos/haos.h"
#include "haos/json.h"

#include <stddef.h>

struct store;

/* A member who may be mentioned; strings are borrowed. */
struct mention_member {
	const char	*user_id;
	const char	*name;		/* display name, or NULL */
};

/*
 * Whether a message content mentions me: my user id in m.mentions, or
 * my user id or display name in the body as a whole word (display names
 * case-insensitively).  my_name may be NULL.
 */
int	mention_of_me(const json_t *content, const char *me,
	    const char *my_name);

/*
 * Whether needle occurs in text as a whole word (no letter, digit or
 * '_' on either side), ignoring case.
 */
int	mention_find_word(const char *text, const char *needle);

/*
 * Bytes of a whole-word, case-insensitive match of needle at s[i] (s is
 * len bytes long), or 0.
 */
size_t	mention_match_word(const char *s, size_t len, size_t i,
	    const char *needle);

/* mention_build() flags: /plain sends the body as typed, no HTML. */
#define MENTION_PLAIN	0x1

/*
 * The content of a typed message: "@Display Name" and "@user:server" of
 * members become mentions (m.mentions.user_ids; body shows the display
 * names), and the text's Markdown with those mentions as matrix.to pills
 * becomes format org.matrix.custom.html and formatted_body
 * (markdown_html(); none when the text is plain and mentions no one).
 * Inside Markdown code (markdown_code()) nothing is rewritten and no one
 * is mentioned, as Element does.
 * With MENTION_PLAIN only m.mentions is set: body stays as typed and no
 * HTML is made.  Returns the number of distinct users mentioned.
 */
size_t	mention_build(json_t *content, const char *text,
	    const struct mention_member *, size_t, int flags);

/*
 * mention_build() against the joined members of room_id, read from
 * the store (the caller's connection; with none, Markdown only).
 */
size_t	mention_room(struct store *, const char *room_id, json_t *content,
	    const char *text, int flags);

/*
 * A copy of text in which each "@user:server" that name_of() knows by a
 * different name reads "@Name" (unsanitised, like text).
 */
char	*mention_names(const char *text,
	    const char *(*name_of)(void *, const char *), void *arg);

/* The text with & < > " ' escaped and newlines as <br>. */
char	*mention_html_escape(const char *text, size_t len);

#endif
