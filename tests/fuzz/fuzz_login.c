/* Fuzz the login parsers of client input: the remember cookie (never
 * accepted without the key's digest, an accepted id is a valid cookie id)
 * and the next= check (an accepted target starts with one '/', is never
 * protocol-relative, and holds no control character, space or backslash);
 * and the identifier of any header bytes (128 hex digits). */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "ctx_login.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    static ctx_login_key_t key;
    apr_pool_t *p;
    char *text = malloc(size + 1);
    const char *id = NULL, *ident;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
        ctx_login_key_flask(&key, "fuzz-secret", 11);
    }
    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    apr_pool_create(&p, root);
    if (ctx_login_remember_decode(p, &key, 1, text, &id) == APR_SUCCESS) {
        const char *again = ctx_login_remember_encode(p, &key, id);

        /* only a cookie the key made verifies */
        if (!ctx_login_id_valid(id, 1) || !again || strcmp(again, text)) {
            abort();
        }
    }
    if (ctx_login_next_is_safe(text)) {
        if (text[0] != '/' || text[1] == '/' || text[1] == '\\'
            || strpbrk(text, " \\\r\n\t")) {
            abort();
        }
        for (const unsigned char *s = (const unsigned char *)text; *s; ++s) {
            if (*s < 0x20 || *s >= 0x7f) {
                abort();
            }
        }
        if (strlen(ctx_login_quote(p, text)) < strlen(text)) {
            abort();
        }
    }
    ident = ctx_login_identifier(p, text, size % 2 ? text : NULL, text);
    if (!ident || strlen(ident) != 128) {
        abort();
    }
    apr_pool_destroy(p);
    free(text);
    return 0;
}
