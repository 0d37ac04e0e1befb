/* HAOS servers and channels: the state events haos writes, and lookups. */
#ifndef HAOS_SPACE_H
#define HAOS_SPACE_H

#include "haos/haos.h"
#include "haos/json.h"
#include "haos/model.h"

#include <stddef.h>
#include <stdint.h>

struct store;

/* Roles are power levels (haos-backend-mapping.md 4.2). */
#define SPACE_ADMIN		100
#define SPACE_MODERATOR		50
#define SPACE_GUEST		0

#define SPACE_ALIAS_PREFIX	"haos-"		/* #haos-CODE:SERVER_NAME */
#define SPACE_ORDER_MAX		50		/* m.space.child order length */
#define SPACE_CHANNEL_VERSION	"10"		/* restricted join rules */

/*
 * State event contents, exactly as the mapping writes them.  Each returns
 * a new reference the caller decrefs.
 */
json_t	*space_server_content(const char *invite_code, const char *owner_id);
json_t	*space_channel_content(enum channel_type, const char *creator_id);
json_t	*space_child_content(const char *via, const char *order);
json_t	*space_parent_content(const char *via, int canonical);
json_t	*space_deleted_content(const char *by, long long ts_ms);
json_t	*space_restricted_rule(const char *space_id);
json_t	*space_power_levels(const json_t *users);
/* The level of user under power levels pl: users, else users_default. */
int64_t	 space_power_of(const json_t *pl, const char *user_id);

/*
 * createRoom bodies.  The server: an m.space, public join rule but not in
 * the directory, io.haos.server, the 4.2 power levels with the creator at
 * 100, and m.room.avatar when avatar_mxc is set.  A channel: m.space.parent
 * (canonical), io.haos.channel, restricted to members of the space, and
 * power levels whose users map is the space's (users; NULL: me at 100).
 */
json_t	*space_create_body(const char *name, const char *me,
	    const char *invite_code, const char *avatar_mxc);
json_t	*space_channel_create_body(const char *name, const char *space_id,
	    enum channel_type, const char *me, const char *via,
	    const json_t *users);

/* Names of channel types: TEXT, AUDIO, VIDEO (parse is case-blind). */
const char	*space_channel_type_name(enum channel_type);
int		 space_channel_type_parse(const char *, enum channel_type *);

/* Invite codes: a new random code and the alias that publishes one. */
char	*space_invite_code(void);
char	*space_invite_alias(const char *code, const char *server_name);
int	 space_valid_code(const char *);

/* A room id as a server may send it: "!x:hs", printable, no spaces. */
int	 space_valid_room_id(const char *);

/* The server name of a user id ("@a:hs.org" -> "hs.org"), or NULL. */
char	*space_server_name(const char *user_id);

/*
 * m.space.child order strings (printable ASCII, at most 50 characters,
 * compared bytewise).  space_order_after() returns a string that sorts
 * after max (NULL: the first order); NULL if max cannot be followed.
 * space_order_sequence() gives n increasing orders for a renumbering.
 */
char	*space_order_after(const char *max);
char	**space_order_sequence(size_t n);
int	 space_order_valid(const char *);

/*
 * What /join was given: an invite code, a #alias, a !room id (with
 * via servers), all also inside https://matrix.to/#/ links.
 */
enum space_join_kind {
	SPACE_JOIN_CODE = 1,
	SPACE_JOIN_ALIAS,
	SPACE_JOIN_ROOM
};
struct space_join_target {
	enum space_join_kind	 kind;
	char			*id;		/* code, alias or room id */
	char			*via;		/* ?via= of a link, or NULL */
};
int	space_parse_join(const char *, struct space_join_target *,
	    struct haos_error *);
void	space_join_target_free(struct space_join_target *);

/*
 * Lookups in the store (either connection).  space_channels() lists the
 * channels of a space we have not left, in display order;
 * space_users() returns the users map of its m.room.power_levels (a new
 * object, empty if unknown); space_server_info() reads io.haos.server.
 */
int	 space_channels(struct store *, const char *space_id,
	    struct room_row **, size_t *, struct haos_error *);
json_t	*space_users(struct store *, const char *room_id);
int	 space_server_info(struct store *, const char *space_id,
	    char **invite_code, char **owner_id, struct haos_error *);

#endif
