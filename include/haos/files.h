/* Where downloads go and what they are called. */
#ifndef HAOS_FILES_H
#define HAOS_FILES_H

#include "haos/haos.h"

#include <stdint.h>

#define FILES_NAME_MAX	200	/* bytes of a file name we make */

/*
 * A safe base name for a name from an event (hostile): valid UTF-8 with
 * no controls or invisibles (sanitize_text()), the part after the last
 * '/' or '\', no leading '.', '-' or space, no trailing dot or space, at
 * most FILES_NAME_MAX bytes (the extension kept), "download" if nothing
 * is left.  Never NULL.
 */
char	*files_safe_name(const char *name);

/*
 * The directory downloads go to: configured (a leading "~/" is $HOME)
 * when set, else $XDG_DOWNLOAD_DIR (absolute), else the
 * XDG_DOWNLOAD_DIR="$HOME/..." line of $XDG_CONFIG_HOME/user-dirs.dirs
 * (as xdg-user-dir DOWNLOAD reads it; other forms are ignored), else
 * ~/Downloads.  Never NULL.
 */
char	*files_download_dir(const char *configured);

/*
 * Create dir/name, never over a file: "name.ext", then "name (1).ext",
 * "name (2).ext"... each with O_CREAT | O_EXCL.  The open descriptor
 * (write-only), *path its path; -1 with err.
 */
int	 files_create(const char *dir, const char *name, char **path,
	     struct haos_error *);

/* "512 B", "120 KB", "1.5 MB", "3.2 GB" (powers of 1024). */
char	*files_human_size(int64_t bytes);

/* Whether a graphical display is there to open a file on. */
int	 files_have_display(void);

#endif
