/* Fuzz JSON parsing and Flask-style writing:
 * - differential: whatever ctx_json_parse accepts, jansson's own reader
 *   accepts too, with an equal value; and on short inputs (which cannot hit
 *   our depth or number-length limits) jansson accepts nothing we refuse,
 *   except raw NUL bytes, which jansson's reader skips;
 * - whatever parses is written (the writer's depth limit is the reader's),
 *   the text parses back to an equal value and is written again
 *   identically (the serialization is canonical);
 * - the flat session form (ctx_flat) accepts exactly the objects the reader
 *   accepts, counts the same values, and writes the same text. */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "ctx_flat.h"
#include "ctx_json.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    apr_pool_t *p;
    json_t *v, *ref, *back;
    json_error_t err;
    char *text, *again;
    apr_size_t len;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    {
        apr_size_t fvals = 0, jvals = 0, flen;
        ctx_flat_t *f = NULL;
        json_t *j;
        char *ftext, *jtext;

        apr_pool_create(&p, root);
        j = ctx_json_parse_bounded((const char *)data, size, 0, &jvals);
        if ((ctx_flat_parse(p, (const char *)data, size, 0, &fvals, &f)
             == APR_SUCCESS) != (j && json_is_object(j))) {
            abort();
        }
        if (f) {
            if (fvals != jvals || !(ftext = ctx_flat_write(f, p, &flen))
                || !(jtext = ctx_json_dump(p, j, NULL))
                || strcmp(ftext, jtext) || flen != strlen(jtext)) {
                abort();
            }
        }
        json_decref(j);
        apr_pool_destroy(p);
    }
    v = ctx_json_parse((const char *)data, size);
    ref = json_loadb((const char *)data, size,
                     JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
    if (v && (!ref || !json_equal(v, ref))) {
        abort();
    }
    /* (jansson's reader skips a raw NUL byte; we refuse it) */
    if (!v && ref && size < 60 && !memchr(data, 0, size)) {
        abort();
    }
    json_decref(ref);
    if (!v) {
        return 0;
    }
    apr_pool_create(&p, root);
    /* the writer's limits are the reader's: what parses is written */
    if (!(text = ctx_json_dump(p, v, &len))) {
        abort();
    }
    if (!(back = ctx_json_parse(text, len)) || !json_equal(v, back)
        || !(again = ctx_json_dump(p, back, NULL)) || strcmp(text, again)) {
        abort();
    }
    json_decref(back);
    json_decref(v);
    apr_pool_destroy(p);
    return 0;
}
