/* Helpers shared by the libFuzzer targets in tests/fuzz/. */
#ifndef HAOS_FUZZ_H
#define HAOS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct render_line;
struct store;

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* This process's scratch directory (removed at exit). */
const char	*fuzz_dir(void);
/* Write n bytes to dir/name (mode 0600, replaced); return the path. */
char		*fuzz_write(const char *name, const uint8_t *, size_t);
/* Stop the run: an invariant of the code under test does not hold. */
void		 fuzz_fail(const char *, ...)
		     __attribute__((format(printf, 1, 2), noreturn));

/* Whether s is valid UTF-8 without C0 (but '\n' if nl), DEL, C1, bidi. */
int		 fuzz_clean_text(const char *, size_t, int nl);
/*
 * Check what the timeline draws: valid UTF-8 without controls, DEL, C1
 * or bidi overrides, no wider than width, spans tiling each line.
 */
void		 fuzz_check_lines(const struct render_line *, size_t, int width);
/* Read room_id back as the UI does and render it at a few widths. */
void		 fuzz_view_room(struct store *, const char *room_id);

#endif
