/* Private to src/store*.c: struct store and the statement cache. */
#ifndef HAOS_STORE_INT_H
#define HAOS_STORE_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "haos/haos.h"

#define STORE_NSTMT	256	/* statement cache slots; a power of two */

/*
 * Whether the outbox row o is waiting to be encrypted: unsent and not
 * failed, in an encrypted room, with no ciphertext stored yet (the
 * sender waits for device lists or the key share).  An SQL expression.
 */
#define STORE_OUTBOX_ENCRYPTING						\
	"(o.state IN ('pending', 'sending') AND "			\
	"o.wire_content IS NULL AND coalesce((SELECT r.encrypted "	\
	"FROM rooms r WHERE r.room_id = o.room_id), 0) != 0)"

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
	int64_t		 change_seq;	/* this txn's room_changes seq, or 0 */
	unsigned long	 queries;	/* for store_query_calls() */
	struct crypto_keys *crypto;	/* the identity, RW only; not owned */
	struct store_stmt stmts[STORE_NSTMT]; /* prepared once, reused */
};

void		 store_check(const struct store *);
sqlite3_stmt	*store_stmt(struct store *, const char *sql,
		     struct haos_error *);
int		 store_fail(struct store *, struct haos_error *, const char *);
int		 store_exec(struct store *, const char *sql,
		     struct haos_error *);
char		*store_col_str(sqlite3_stmt *, int);
void		 store_bind_text(sqlite3_stmt *, int, const char *);
int		 store_step_done(struct store *, sqlite3_stmt *,
		     struct haos_error *, const char *);
int		 store_writable(struct store *, struct haos_error *);
int		 store_writer(struct store *, struct haos_error *);
sqlite3_stmt	*store_write_stmt(struct store *, const char *,
		     struct haos_error *);
int64_t		 store_now_ms(void);
void		 store_read(struct store *);

/*
 * One statement, its parameters bound from ?1 on by a type string: one
 * character per parameter, i an int64_t (cast int arguments), t a const
 * char * (NULL binds NULL), b a const char * then its size_t length (0:
 * up to the NUL).  The text must outlive the call (SQLITE_STATIC).
 */
void		 store_bind(sqlite3_stmt *, const char *types, ...);
void		 store_bindv(sqlite3_stmt *, const char *types, va_list);
int		 store_run(struct store *, struct haos_error *,
		     const char *what, const char *sql, const char *types,
		     ...);
int		 store_run_auto(struct store *, struct haos_error *,
		     const char *what, int (*)(struct store *, const char *,
		     struct haos_error *), const char *, const char *sql,
		     const char *types, ...);
int		 store_rows(struct store *, struct haos_error *,
		     const char *what, const char *sql, size_t size,
		     void (*fill)(sqlite3_stmt *, void *),
		     void (*drop)(void *, size_t), void **, size_t *,
		     const char *types, ...);
void		 store_fill_text(sqlite3_stmt *, void *);
void		 store_drop_texts(void *, size_t);
sqlite3_stmt	*store_row(struct store *, struct haos_error *,
		     const char *what, const char *sql, int *,
		     const char *types, ...);
int		 store_get_int64(struct store *, struct haos_error *,
		     const char *what, const char *sql, int64_t *,
		     const char *types, ...);
int		 store_get_text(struct store *, struct haos_error *,
		     const char *what, const char *sql, char **,
		     const char *types, ...);

/* store-change.c: mark the room of an outbox row changed (in a txn). */
int		 store_change_outbox(struct store *, const char *txn_id,
		     struct haos_error *);

/* store-query.c: helpers shared by the read queries. */
void		*store_query_grow(void *, size_t *, size_t *, size_t);
int		 store_query_room_key(struct store *, const char *, int64_t *,
		     struct haos_error *);

/* store-schema.c */
int		 store_schema_migrate(struct store *, struct haos_error *);
int		 store_schema_check(struct store *, struct haos_error *);

#endif
