/* Private to src/ui/render*.c: rich text, the line sink, shared steps. */
#ifndef HAOS_RENDER_INT_H
#define HAOS_RENDER_INT_H

#include <stddef.h>

#include "haos/json.h"
#include "haos/model.h"
#include "haos/render.h"

/*
 * A style is an attribute, render_flag bits and a colour packed in one
 * int: bits 0-7 the attribute, 8-15 the flags, 16-30 the colour (a
 * palette index, or RGB555 with RF_COLOR).  An RA_LINK has no colour:
 * there bits 16-30 are its link, an index into render_rich.urls from 1
 * (0: none), which render_emit() turns into render_span.url.
 */
#define STY(a, c)		((int)(a) | ((c) << 16))
#define STY_F(a, f, c)		((int)(a) | ((int)(f) << 8) | ((c) << 16))
#define STY_ATTR(s)		((enum render_attr)((s) & 0xff))
#define STY_FLAGS(s)		((unsigned int)((s) >> 8) & 0xff)
#define STY_COLOR(s)		((s) >> 16)

/*
 * A paragraph of rich text (a line of it up to its '\n') that starts
 * with a hanging prefix (a quote bar, a bullet): its first hang bytes
 * are the prefix, and each line wrapping makes starts with cont instead
 * (as wide as the prefix), so the bar or the indentation goes on.
 */
struct render_para {
	size_t	 off;		/* where the paragraph starts in text */
	size_t	 hang;		/* bytes of its prefix */
	char	*cont;		/* continuation prefix and its styles */
	int	*cont_sty;
	size_t	 cont_len;
};

#define RENDER_MAX_LINKS	1024	/* URLs a rich text carries */

/* Rich text being built: bytes and one style per byte. */
struct render_rich {
	char			*text;
	int			*sty;
	size_t			 len, cap;
	struct render_para	*para;	/* in order of off; may be NULL */
	size_t			 npara, cpara;
	char			**urls;	/* of its links (hyperlink_clean) */
	size_t			 nurls;
};

/* The lines produced so far and the event they belong to. */
struct render_out {
	struct render_line	*lines;
	size_t			 n, cap;
	int			 width;
	const char		*event_id;
	const char		*txn_id;
	int			 first;	/* next line starts its event */
	char *const		*urls;	/* the rich text's, while wrapped */
	size_t			 nurls;
};

/* render-wrap.c: rich text and wrapping into the sink. */
void	 render_rich_add(struct render_rich *, const char *, size_t, int);
void	 render_rich_str(struct render_rich *, const char *, int);
void	 render_rich_free(struct render_rich *);
int	 render_rich_link(struct render_rich *, const char *, size_t);
void	 render_rich_cut(struct render_rich *, size_t);
void	 render_rich_para(struct render_rich *, size_t, size_t,
	    const char *, const int *, size_t);
void	 render_emit(struct render_out *, const char *, const int *, size_t,
	    int, int);
int	 render_indent(int, int);
void	 render_wrap_rich(struct render_out *, const struct render_rich *,
	    int, int);
char	*render_truncate(const char *, int, const char *);

/* render-body.c: message content to text. */
void	 render_rich_body(struct render_rich *, const struct render_opts *,
	    const char *, int);
const char *render_reply_to(const struct event_row *, const json_t *);
json_t	*render_load(const char *);
char	*render_body_text(const json_t *, int);

/* render-html.c: formatted_body to rich text. */
int	 render_html(struct render_rich *, const struct render_opts *,
	    const char *, int, int);
char	*render_html_text(const char *);
char	*render_formatted(const json_t *);

/* render-image.c: an image preview's lines. */
void	 render_image(struct render_out *, const struct render_opts *,
	    const struct event_row *, const json_t *, int);

/* render-state.c: names and state-event sentences. */
char	*render_name(const struct render_opts *, const char *, const char *);
char	*render_state_text(const struct render_opts *,
	    const struct event_row *, const json_t *);

#endif
