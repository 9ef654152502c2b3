/* Fuzz the server-side session id cookie's verifier (client input): never
 * crashes; an accepted value is exactly the cookie it reports, re-signs to
 * itself under the same (only) key and has a store key of the documented
 * length; a refused one leaves nothing behind. */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "ctx_session_id.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    static ctx_keyring_t *keys;
    static const char secret[] =
        "correct horse battery staple, a 32+ byte secret!";
    ctx_sid_codec_t c;
    ctx_sid_t sid, again;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
        keys = ctx_keyring_create(root);
        ctx_keyring_add(keys, secret, sizeof(secret) - 1);
    }
    c.keys = keys;
    c.app_name = "shop";
    c.cookie_name = "session";
    if (ctx_sid_verify(&c, (const char *)data, size, &sid) == CTX_REASON_OK) {
        again = sid;
        if (size != CTX_SID_COOKIE_LEN || memcmp(sid.cookie, data, size) != 0
            || strlen(sid.store_key) != CTX_SID_STORE_KEY_LEN
            || sid.key_index != 0 || ctx_sid_sign(&c, &again) != APR_SUCCESS
            || strcmp(again.cookie, sid.cookie) != 0
            || strcmp(again.store_key, sid.store_key) != 0) {
            abort();
        }
    }
    else if (sid.cookie[0] || sid.store_key[0]) {
        abort();
    }
    return 0;
}
