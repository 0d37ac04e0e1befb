/* Version, small macros and forward declarations shared by every module. */
#ifndef HAOS_HAOS_H
#define HAOS_HAOS_H

#define HAOS_VERSION	"0.1.0"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif

/* Exit statuses of the haos binary (man page, EXIT STATUS). */
#define HAOS_EXIT_OK		0
#define HAOS_EXIT_RUNTIME	1
#define HAOS_EXIT_USAGE		2

struct config;
struct account;
struct paths;
struct preview;
struct session;
struct haos_error;

#endif
