/* Fuzz JSON parsing and Flask-style writing: whatever parses is written,
 * and the written text parses back to an equal value and is written again
 * identically (the serialization is canonical). */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "ctx_json.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    apr_pool_t *p;
    json_t *v, *back;
    char *text, *again;
    apr_size_t len;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    if (!(v = ctx_json_parse((const char *)data, size))) {
        return 0;
    }
    apr_pool_create(&p, root);
    text = ctx_json_dump(p, v, &len);
    if (text) {
        if (!(back = ctx_json_parse(text, len)) || !json_equal(v, back)
            || !(again = ctx_json_dump(p, back, NULL)) || strcmp(text, again)) {
            abort();
        }
        json_decref(back);
    }
    json_decref(v);
    apr_pool_destroy(p);
    return 0;
}
