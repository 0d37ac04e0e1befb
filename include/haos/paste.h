/* What a bracketed paste is (paste.c, pure but for a stat()). */
#ifndef HAOS_PASTE_H
#define HAOS_PASTE_H

#include "haos/haos.h"

/*
 * The path of an existing regular file when text is exactly one line
 * naming it as a file manager or terminal pastes it: /abs/path or
 * ~/path, 'quoted' or "quoted", with backslash escapes, or a file://
 * URL (host empty or localhost, %XX decoded).  NULL otherwise (caller
 * frees).  paste_cmd_arg() escapes a path for /upload's argument.
 */
char	*paste_file_path(const char *text);
char	*paste_cmd_arg(const char *path);

#endif
