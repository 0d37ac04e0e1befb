/* Signed JSON: ed25519 over canonical JSON (spec appendix "Signing JSON"). */
#include "haos/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <olm/olm.h>

#include "haos/error.h"
#include "haos/xmalloc.h"

int
crypto_sign_json(struct crypto_account *a, json_t *obj, const char *user_id,
    const char *device_id, struct haos_error *err)
{
	json_t	*sigs, *mine;
	char	*text, *sig, *key_id;

	if ((text = canonical_json_signable(obj, err)) == NULL)
		return -1;
	sig = crypto_account_sign(a, text, strlen(text), err);
	free(text);
	if (sig == NULL)
		return -1;
	sigs = json_get_obj(obj, "signatures");
	if (sigs == NULL) {
		sigs = json_object();
		json_object_set_new(obj, "signatures", sigs);
	}
	mine = json_get_obj(sigs, user_id);
	if (mine == NULL) {
		mine = json_object();
		json_object_set_new(sigs, user_id, mine);
	}
	key_id = xasprintf("ed25519:%s", device_id);
	json_object_set_new(mine, key_id, json_string(sig));
	free(key_id);
	free(sig);
	return 0;
}

/*
 * The signature is checked by libolm's utility, which overwrites the
 * signature buffer: it gets a copy.  The key goes in as its unpadded
 * base64 text, the form libolm expects.
 */
int
crypto_sign_verify(const json_t *obj, const char *user_id, const char *key_id,
    const char *ed25519, struct haos_error *err)
{
	OlmUtility	*u;
	void		*mem;
	const char	*sig;
	char		*text, *copy;
	size_t		 rc;

	sig = json_get_str(json_get_obj(json_get_obj(obj, "signatures"),
	    user_id), key_id, NULL);
	if (sig == NULL) {
		haos_error_set(err, HAOS_ECRYPTO, "no signature by %s %s",
		    user_id, key_id);
		return -1;
	}
	if ((text = canonical_json_signable(obj, err)) == NULL)
		return -1;
	mem = xmalloc(olm_utility_size());
	u = olm_utility(mem);
	copy = xstrdup(sig);
	rc = olm_ed25519_verify(u, ed25519, strlen(ed25519), text,
	    strlen(text), copy, strlen(copy));
	if (rc == olm_error()) {
		haos_error_set(err, HAOS_ECRYPTO, "bad signature by %s %s: %s",
		    user_id, key_id, olm_utility_last_error(u));
		snprintf(err->errcode, sizeof err->errcode, "OLM_%s",
		    olm_utility_last_error(u));
	}
	olm_clear_utility(u);
	free(mem);
	free(copy);
	free(text);
	return rc == olm_error() ? -1 : 0;
}
