/* Net thread: the server-side key backup (E2EE.md Step 10). */

/*
 * One request at a time, retried with the usual backoff:
 *
 * - GET /room_keys/version once a run (and again when the user asks,
 *   or a PUT meets M_WRONG_ROOM_KEYS_VERSION): the version, algorithm
 *   and auth_data go into table key_backup with whether we trust it
 *   (crypto_backup_trusted(): its public key derives from the backup
 *   key we hold, or our master key or a trusted device of ours signed
 *   its auth_data).  No backup (404): the row goes.
 * - With a trusted version whose key we hold (crypto_backup_holds():
 *   one trusted by its signature alone only takes uploads, which need
 *   its public key only): the sessions that events wait for (table
 *   undecryptable), each asked once a run with GET
 *   /room_keys/keys/ROOM/SESSION once our own device list is current
 *   (a restored session must name a known sender device), and stored
 *   with the events decrypted in place in one transaction
 *   (crypto_backup_restore()).
 * - With a trusted version: sessions the version lacks go up in PUT
 *   /room_keys/keys batches of NET_BACKUP_BATCH, marked backed up
 *   after the 2xx.  M_WRONG_ROOM_KEYS_VERSION (or the version gone)
 *   takes the trust away and reads the version again: nothing goes up
 *   until it is trusted again.
 * - /backup restore (JOB_BACKUP): the version read, then every key of
 *   it (GET /room_keys/keys) restored the same way; its answer is the
 *   counts.  /backup key stores a recovery key first; /backup alone
 *   answers what the version read found.
 *
 * Nothing secret is logged: versions, room and session ids, counts.
 */
#include "net-int.h"

#include <stdlib.h>
#include <string.h>

#include "haos/crypto.h"
#include "haos/error.h"
#include "haos/json.h"
#include "haos/log.h"
#include "haos/matrix.h"
#include "haos/notify.h"
#include "haos/store.h"
#include "haos/xmalloc.h"

#define NET_BACKUP_BATCH	100	/* sessions per PUT */
#define NET_BACKUP_TRIED_MAX	1000	/* waiting sessions asked, a run */
#define NET_BACKUP_VERSION	0	/* net_req.page */
#define NET_BACKUP_ONE		1
#define NET_BACKUP_ALL		2
#define NET_BACKUP_PUT		3

void
net_backup_start(struct net *n)
{
	n->backup_due = 1;
	n->backup_wake = 1;
}

void
net_backup_synced(struct net *n)
{
	n->backup_wake = 1;
}

/* The answer owed to each waiting /backup command (restore or all). */
static void
net_backup_answer(struct net *n, int restores, const struct haos_error *err,
    const json_t *body)
{
	size_t	 i, keep = 0;

	for (i = 0; i < n->backup_ntags; i++) {
		if (restores || !n->backup_tags[i].restore)
			net_post_result(n, n->backup_tags[i].tag, err,
			    body != NULL ? json_xdumps(body) : NULL);
		else
			n->backup_tags[keep++] = n->backup_tags[i];
	}
	n->backup_ntags = keep;
}

/* 1 if we hold the key of the stored version (we can restore), 0, -1. */
static int
net_backup_holds(struct net *n, const struct store_backup *b)
{
	struct haos_error	 e;
	json_t			*ad;
	int			 rc;

	ad = json_load_stored(b->auth_data);
	rc = crypto_backup_holds(n->keys, n->store, b->algorithm, ad, &e);
	json_decref(ad);
	if (rc == -1)
		log_error("net", "key backup: %s", e.msg);
	return rc;
}

/* What the stored row says, for an answer. */
static json_t *
net_backup_status(struct net *n)
{
	struct store_backup	 b;
	struct haos_error	 e;
	json_t			*j;

	if (store_backup_get(n->store, &b, &e) != 1)
		return json_pack("{s:n}", "version");
	j = json_pack("{s:s,s:b,s:b}", "version", b.version, "trusted",
	    b.trusted, "key", net_backup_holds(n, &b) == 1);
	store_backup_free(&b);
	return j;
}

static int
net_backup_request(struct net *n, int page, struct matrix_req *req)
{
	struct net_req	*r;

	r = xcalloc(1, sizeof *r);
	r->kind = NET_REQ_BACKUP;
	r->page = page;
	r->txn_id = xstrdup(n->backup_version_out != NULL ?
	    n->backup_version_out : "");
	if (net_request(n, r, req->method, req->path, req->body,
	    n->cfg.request_timeout_ms) == -1) {
		net_req_free(r);
		matrix_req_free(req);
		n->backup_next_at = net_now_ms() + 1000;
		return -1;
	}
	matrix_req_free(req);
	n->backup_in_flight = 1;
	return 0;
}

/* Whether our own device list is current (restored keys name devices). */
static int
net_backup_devices_current(struct net *n)
{
	struct haos_error	 e;
	int			 outdated = 1;

	if (store_tracked_get(n->store, n->cfg.user_id, &outdated, &e) != 1)
		return 0;
	return !outdated;
}

static int
net_backup_tried(struct net *n, const char *key)
{
	size_t	 i;

	for (i = 0; i < n->backup_ntried; i++) {
		if (strcmp(n->backup_tried[i], key) == 0)
			return 1;
	}
	return 0;
}

/* The next waiting session not asked for this run, or 0. */
static int
net_backup_next_waiting(struct net *n, char **room_id, char **session_id)
{
	struct store_backup_pair	*p;
	struct haos_error		 e;
	size_t				 np, i;
	char				*key;
	int				 found = 0;

	if (n->backup_ntried >= NET_BACKUP_TRIED_MAX ||
	    !net_backup_devices_current(n))
		return 0;
	if (store_backup_waiting(n->store, NET_BACKUP_TRIED_MAX, &p, &np,
	    &e) == -1) {
		log_error("net", "key backup: %s", e.msg);
		return 0;
	}
	for (i = 0; i < np && !found; i++) {
		key = xasprintf("%s\n%s", p[i].room_id, p[i].session_id);
		if (!net_backup_tried(n, key)) {
			n->backup_tried = xrealloc(n->backup_tried,
			    (n->backup_ntried + 1) * sizeof *n->backup_tried);
			n->backup_tried[n->backup_ntried++] = key;
			*room_id = xstrdup(p[i].room_id);
			*session_id = xstrdup(p[i].session_id);
			found = 1;
		} else
			free(key);
	}
	store_backup_pairs_free(p, np);
	return found;
}

void
net_backup_pump(struct net *n, int64_t now)
{
	struct store_backup	 b;
	struct haos_error	 e;
	json_t			*ad, *body;
	char			*room_id, *session_id;
	size_t			 count;
	int			 rc, holds;

	if (n->keys == NULL || n->backup_in_flight || n->auth_failed ||
	    now < n->backup_next_at || (!n->backup_due && !n->backup_wake &&
	    !n->backup_all))
		return;
	if (n->backup_due) {
		xfree(n->backup_version_out);
		net_backup_request(n, NET_BACKUP_VERSION,
		    matrix_req_backup_version());
		return;
	}
	rc = store_backup_get(n->store, &b, &e);
	if (rc == -1) {
		log_error("net", "key backup: %s", e.msg);
		return;
	}
	if (rc == 0 || !b.trusted) {
		n->backup_wake = 0;
		if (n->backup_all) {
			n->backup_all = 0;
			body = net_backup_status(n);
			net_backup_answer(n, 1, NULL, body);
			json_decref(body);
		}
		store_backup_free(&b);
		return;
	}
	xfree(n->backup_version_out);
	n->backup_version_out = xstrdup(b.version);
	/* Restore only with the key: a version trusted by its signature
	 * alone takes uploads (they need its public key only). */
	holds = net_backup_holds(n, &b) == 1;
	if (n->backup_all && !holds) {
		n->backup_all = 0;
		body = net_backup_status(n);
		net_backup_answer(n, 1, NULL, body);
		json_decref(body);
	} else if (n->backup_all) {
		net_backup_request(n, NET_BACKUP_ALL,
		    matrix_req_backup_keys(b.version, NULL, NULL));
		goto out;
	}
	if (holds && net_backup_next_waiting(n, &room_id, &session_id)) {
		log_info("net", "key backup %s: asking for session %s of %s",
		    b.version, session_id, room_id);
		xfree(n->backup_room);
		n->backup_room = room_id;
		xfree(n->backup_session);
		n->backup_session = session_id;
		net_backup_request(n, NET_BACKUP_ONE, matrix_req_backup_keys(
		    b.version, room_id, session_id));
		goto out;
	}
	ad = json_load_stored(b.auth_data);
	body = crypto_backup_upload(n->keys, n->store, b.version,
	    json_get_str(ad, "public_key", ""), NET_BACKUP_BATCH, &count, &e);
	json_decref(ad);
	if (body == NULL) {
		if (e.code != HAOS_OK)
			log_error("net", "key backup: %s", e.msg);
		n->backup_wake = 0;
		goto out;
	}
	log_info("net", "key backup %s: uploading %zu sessions", b.version,
	    count);
	json_decref(n->backup_put);
	n->backup_put = json_incref(body);
	net_backup_request(n, NET_BACKUP_PUT, matrix_req_backup_put(b.version,
	    body));
out:
	store_backup_free(&b);
}

/* The version read: stored with its trust, in a transaction. */
static void
net_backup_version_done(struct net *n, const struct http_resp *resp,
    const struct haos_error *err)
{
	struct haos_error	 e;
	json_t			*root = NULL, *body;
	const json_t		*ad;
	const char		*version, *alg;
	char			*adtext = NULL;
	int			 trusted = 0, rc;

	if (store_begin(n->store, &e) == -1)
		goto fail;
	if (err != NULL) {
		/* 404: the account has no backup. */
		log_info("net", "key backup: none on the server");
		if (store_backup_clear(n->store, &e) == -1)
			goto fail;
	} else {
		root = json_load_network(resp->body, resp->body_len, NULL,
		    NULL);
		version = json_get_str(root, "version", NULL);
		alg = json_get_str(root, "algorithm", "");
		ad = json_get_obj(root, "auth_data");
		if (version == NULL || ad == NULL) {
			log_warn("net", "key backup: the version answer is "
			    "not one");
			if (store_backup_clear(n->store, &e) == -1)
				goto fail;
		} else {
			trusted = crypto_backup_trusted(n->keys, n->store, alg,
			    ad, &e);
			if (trusted == -1)
				goto fail;
			adtext = json_xdumps(ad);
			if (store_backup_put(n->store, version, alg, adtext,
			    trusted, &e) == -1)
				goto fail;
			log_info("net", "key backup: version %s, %s", version,
			    trusted ? "trusted" : "not trusted (its key is "
			    "not the backup key we hold and no signature by "
			    "our identity or a trusted device of ours vouches "
			    "for it): nothing is uploaded");
		}
	}
	if (store_commit(n->store, &e) == -1)
		goto fail;
	n->backup_due = 0;
	n->backup_wake = 1;
	n->backup_attempt = 0;
	body = net_backup_status(n);
	net_backup_answer(n, 0, NULL, body);
	json_decref(body);
	json_decref(root);
	free(adtext);
	return;
fail:
	log_error("net", "key backup: %s", e.msg);
	if (store_in_txn(n->store))
		store_rollback(n->store);
	json_decref(root);
	free(adtext);
	rc = ++n->backup_attempt;
	n->backup_next_at = net_now_ms() + http_backoff_ms(rc, &n->seed);
}

/* Keys of the backup: restored in one transaction. */
static void
net_backup_keys_done(struct net *n, struct net_req *r,
    const struct http_resp *resp)
{
	struct crypto_backup_counts	 c;
	struct haos_error		 e;
	json_t				*root, *rooms = NULL, *body;
	int				 rc = -1;

	memset(&c, 0, sizeof c);
	root = json_load_network(resp->body, resp->body_len, NULL, NULL);
	if (r->page == NET_BACKUP_ALL)
		rooms = json_incref(json_get_obj(root, "rooms"));
	else if (json_is_object(root) && n->backup_room != NULL)
		rooms = json_pack("{s:{s:{s:O}}}", n->backup_room, "sessions",
		    n->backup_session, root);
	if (rooms != NULL && store_begin(n->store, &e) == 0) {
		rc = crypto_backup_restore(n->keys, n->store, r->txn_id, rooms,
		    NULL, &c, &e);
		if (rc == -1 || store_commit(n->store, &e) == -1) {
			rc = -1;
			if (store_in_txn(n->store))
				store_rollback(n->store);
		}
	} else if (rooms != NULL)
		rc = -1;
	if (rc == -1) {
		log_error("net", "key backup restore: %s", e.msg);
		memset(&c, 0, sizeof c);
	}
	if (c.rooms_changed > 0)
		notify_post(n->cfg.notify, NOTIFY_TIMELINE);
	if (r->page == NET_BACKUP_ALL) {
		n->backup_all = 0;
		body = json_pack("{s:s,s:b,s:b,s:i,s:i,s:i,s:i}", "version",
		    r->txn_id, "trusted", 1, "key", 1, "imported", c.imported,
		    "kept", c.kept, "refused", c.bad, "rooms",
		    c.rooms_changed);
		if (rc == -1)
			net_backup_answer(n, 1, &e, NULL);
		else
			net_backup_answer(n, 1, NULL, body);
		json_decref(body);
	}
	json_decref(rooms);
	json_decref(root);
}

static void
net_backup_put_done(struct net *n, struct net_req *r)
{
	struct haos_error	 e;

	if (n->backup_put == NULL)
		return;
	if (store_begin(n->store, &e) == -1 || crypto_backup_uploaded(
	    n->store, r->txn_id, n->backup_put, &e) == -1 ||
	    store_commit(n->store, &e) == -1) {
		log_error("net", "key backup: %s", e.msg);
		if (store_in_txn(n->store))
			store_rollback(n->store);
	}
	json_decref(n->backup_put);
	n->backup_put = NULL;
}

/* The version changed under us: trust goes until it is read again. */
static void
net_backup_wrong_version(struct net *n, const char *version)
{
	struct store_backup	 b;
	struct haos_error	 e;

	log_warn("net", "key backup %s: no longer the server's version: "
	    "uploads stop until the new one is checked", version);
	if (store_backup_get(n->store, &b, &e) == 1) {
		if (store_backup_put(n->store, b.version, b.algorithm,
		    b.auth_data, 0, &e) == -1)
			log_error("net", "key backup: %s", e.msg);
		store_backup_free(&b);
	}
	n->backup_due = 1;
}

void
net_backup_done(struct net *n, struct net_req *r, const struct http_resp *resp,
    const struct haos_error *err)
{
	int	 missing;

	n->backup_in_flight = 0;
	missing = err != NULL && err->code == HAOS_EMATRIX &&
	    err->http_status == 404;
	if (err == NULL || (missing && r->page != NET_BACKUP_PUT)) {
		n->backup_attempt = 0;
		switch (r->page) {
		case NET_BACKUP_VERSION:
			net_backup_version_done(n, resp, err);
			break;
		case NET_BACKUP_ONE:
		case NET_BACKUP_ALL:
			if (err == NULL)
				net_backup_keys_done(n, r, resp);
			else if (r->page == NET_BACKUP_ALL) {
				/* The version went away: read it again. */
				n->backup_due = 1;
			}
			break;
		case NET_BACKUP_PUT:
			net_backup_put_done(n, r);
			break;
		}
		return;
	}
	json_decref(n->backup_put);
	n->backup_put = NULL;
	if (net_check_auth(n, err))
		return;
	if (r->page == NET_BACKUP_PUT && (missing || strcmp(err->errcode,
	    "M_WRONG_ROOM_KEYS_VERSION") == 0)) {
		net_backup_wrong_version(n, r->txn_id);
		return;
	}
	if (r->page == NET_BACKUP_VERSION || r->page == NET_BACKUP_ALL)
		net_backup_answer(n, 1, err, NULL);
	if (r->page == NET_BACKUP_ALL)
		n->backup_all = 0;
	n->backup_attempt++;
	n->backup_next_at = net_now_ms() + http_retry_delay_ms(err,
	    n->backup_attempt, &n->seed);
	log_warn("net", "key backup request failed (attempt %d): %s",
	    n->backup_attempt, err->msg);
}

/* A /backup command: key (base64 in content), status or restore. */
void
net_backup_job(struct net *n, struct job *j)
{
	struct haos_error	 e;
	unsigned char		*raw = NULL;
	size_t			 len = 0;
	const char		*what;

	what = j->event_type != NULL ? j->event_type : "";
	if (n->keys == NULL) {
		haos_error_set(&e, HAOS_ECRYPTO, "no device identity: "
		    "encryption is off");
		net_post_result(n, j->tag, &e, NULL);
		return;
	}
	if (strcmp(what, "key") == 0) {
		if (j->content == NULL || base64_decode(j->content,
		    strlen(j->content), &raw, &len) == -1 || len != 32) {
			haos_error_set(&e, HAOS_EUSAGE, "not a backup key");
			net_post_result(n, j->tag, &e, NULL);
			goto out;
		}
		if (store_begin(n->store, &e) == -1 || crypto_backup_key_set(
		    n->keys, n->store, raw, &e) == -1 || store_commit(n->store,
		    &e) == -1) {
			if (store_in_txn(n->store))
				store_rollback(n->store);
			net_post_result(n, j->tag, &e, NULL);
			goto out;
		}
		log_info("net", "key backup: a backup key was given");
		/* New trust may come with it: the tried sessions again. */
		while (n->backup_ntried > 0)
			free(n->backup_tried[--n->backup_ntried]);
	}
	n->backup_tags = xrealloc(n->backup_tags,
	    (n->backup_ntags + 1) * sizeof *n->backup_tags);
	n->backup_tags[n->backup_ntags].tag = j->tag;
	n->backup_tags[n->backup_ntags++].restore = strcmp(what,
	    "restore") == 0;
	if (strcmp(what, "restore") == 0)
		n->backup_all = 1;
	n->backup_due = 1;
	n->backup_next_at = 0;
out:
	if (raw != NULL) {
		explicit_bzero(raw, len);
		free(raw);
	}
}

void
net_backup_free(struct net *n)
{
	struct haos_error	 e;

	haos_error_set(&e, HAOS_ECANCEL, "cancelled: haos is quitting");
	net_backup_answer(n, 1, &e, NULL);
	xfree(n->backup_tags);
	while (n->backup_ntried > 0)
		free(n->backup_tried[--n->backup_ntried]);
	xfree(n->backup_tried);
	xfree(n->backup_room);
	xfree(n->backup_session);
	xfree(n->backup_version_out);
	json_decref(n->backup_put);
	n->backup_put = NULL;
}
