/*
 * Fuzz what a download reads from an event: the content as JSON (the
 * `file` object's JWK, iv and hash; `url`), the mxc:// URI and the file
 * name.  Invariants: a file object opened decrypts any bytes without
 * failing and refuses a hash it was not given; a parsed mxc:// URI has
 * only its allowed characters; a safe name is a clean, short basename.
 */
#include "fuzz.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haos/crypto-attachment.h"
#include "haos/error.h"
#include "haos/files.h"
#include "haos/json.h"
#include "haos/matrix.h"

static void
fuzz_media_name(const char *name)
{
	char	*safe = files_safe_name(name);
	size_t	 len = strlen(safe);

	if (len == 0 || len > FILES_NAME_MAX || strchr(safe, '/') != NULL ||
	    strchr(safe, '\\') != NULL || safe[0] == '.' || safe[0] == '-' ||
	    !fuzz_clean_text(safe, len, 0))
		fuzz_fail("unsafe name \"%s\"", safe);
	free(safe);
}

static void
fuzz_media_mxc(const char *url)
{
	char	*server, *id;

	if (matrix_mxc_parse(url, &server, &id) == -1)
		return;
	if (*server == '\0' || *id == '\0' || strchr(id, '/') != NULL ||
	    strchr(server, '/') != NULL || strstr(id, "..") != NULL)
		fuzz_fail("bad mxc parse of %s", url);
	free(server);
	free(id);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crypto_attachment	*a;
	struct haos_error		 err;
	unsigned char			 out[256];
	char				*text;
	json_t				*c;

	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_media_name(text);
	fuzz_media_mxc(text);
	c = json_load_network((const char *)data, size, NULL, NULL);
	if (c != NULL) {
		fuzz_media_mxc(json_get_str(c, "url", NULL));
		fuzz_media_name(json_get_str(c, "body", NULL));
		a = crypto_attachment_open(json_get_obj(c, "file"), &err);
		if (a != NULL) {
			if (crypto_attachment_update(a, data,
			    size < sizeof out ? size : sizeof out, out,
			    &err) == -1)
				fuzz_fail("update failed: %s", err.msg);
			(void)crypto_attachment_verify(a, &err);
			crypto_attachment_free(a);
		}
		json_decref(c);
	}
	free(text);
	return 0;
}
