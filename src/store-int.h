/* Private to src/store*.c: struct store and the statement cache. */
#ifndef HAOS_STORE_INT_H
#define HAOS_STORE_INT_H

#include <pthread.h>
#include <stdint.h>

#include <sqlite3.h>

#include "haos/haos.h"

#define STORE_NSTMT	256	/* statement cache slots; a power of two */

/* One cached statement, keyed by the address of its static SQL text. */
struct store_stmt {
	const char	*sql;
	sqlite3_stmt	*stmt;
};

/*
 * A store belongs to the thread that opened it.  The net thread holds
 * the only STORE_RW store; the UI thread holds a STORE_RO one.  Never
 * hand a struct store, or a row pointer into it, to another thread.
 */
struct store {
	sqlite3		*db;
	pthread_t	 owner;		/* asserted on every call */
	int		 mode;		/* STORE_RO or STORE_RW */
	int		 in_txn;	/* between store_begin and commit */
	char		*path;
	int		 wal_frames;	/* in the WAL since the last checkpoint */
	struct store_stmt stmts[STORE_NSTMT]; /* prepared once, reused */
};

void		 store_check(const struct store *);
sqlite3_stmt	*store_stmt(struct store *, const char *sql,
		     struct haos_error *);
int		 store_fail(struct store *, struct haos_error *, const char *);
int		 store_exec(struct store *, const char *sql,
		     struct haos_error *);
char		*store_col_str(sqlite3_stmt *, int);

/* store-schema.c */
int		 store_schema_migrate(struct store *, struct haos_error *);
int		 store_schema_check(struct store *, struct haos_error *);

#endif
