/* Private to src/ui/render*.c: rich text, the line sink, shared steps. */
#ifndef HAOS_RENDER_INT_H
#define HAOS_RENDER_INT_H

#include <stddef.h>

#include "haos/json.h"
#include "haos/model.h"
#include "haos/render.h"

/* A style is an attribute and a palette colour packed in one int. */
#define STY(a, c)		((int)(a) | ((c) << 8))
#define STY_ATTR(s)		((enum render_attr)((s) & 0xff))
#define STY_COLOR(s)		((s) >> 8)

/* Rich text being built: bytes and one style per byte. */
struct render_rich {
	char	*text;
	int	*sty;
	size_t	 len, cap;
};

/* The lines produced so far and the event they belong to. */
struct render_out {
	struct render_line	*lines;
	size_t			 n, cap;
	int			 width;
	const char		*event_id;
	const char		*txn_id;
	int			 first;	/* next line starts its event */
};

/* render-wrap.c: rich text and wrapping into the sink. */
void	 render_rich_add(struct render_rich *, const char *, size_t, int);
void	 render_rich_str(struct render_rich *, const char *, int);
void	 render_rich_free(struct render_rich *);
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

/* render-state.c: names and state-event sentences. */
char	*render_name(const struct render_opts *, const char *, const char *);
char	*render_state_text(const struct render_opts *,
	    const struct event_row *, const json_t *);

#endif
