/* Net thread: what the user asks of cross-signing (/trust). */

/*
 * /trust @user acknowledges a master key that changed (crypto-xsign.c
 * flagged it and the sender holds that user's rooms): the new key is
 * pinned in a transaction of its own, and the held rows go on at the
 * next outbox pump.  The answer to the client says whether there was a
 * change to acknowledge: body "1" or "0".
 */
#include "net-int.h"

#include <stdlib.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/log.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

void
net_xsign_trust(struct net *n, const char *user_id, uint64_t tag)
{
	struct haos_error	 err;
	int			 rc = -1;

	if (store_begin(n->store, &err) == 0) {
		rc = crypto_xsign_trust(n->store, user_id, &err);
		if (rc == -1 || store_commit(n->store, &err) == -1) {
			if (store_in_txn(n->store))
				store_rollback(n->store);
			rc = -1;
		}
	}
	if (rc == -1) {
		log_error("net", "trust %s: %s", user_id, err.msg);
		net_post_result(n, tag, &err, NULL);
		return;
	}
	notify_post(n->cfg.notify, NOTIFY_OUTBOX | NOTIFY_TIMELINE |
	    NOTIFY_MEMBERS);
	net_post_result(n, tag, NULL, xstrdup(rc == 1 ? "1" : "0"));
}
