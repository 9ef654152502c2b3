/* Fuzz the query-string parser: decoded pairs never contain NUL bytes,
 * every pair is reachable by name, and parsing never fails. */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "ctx_args.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    apr_pool_t *p;
    char *query = malloc(size + 1);
    ctx_args_t *args;
    const char *k, *v;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    if (!query) {
        return 0;
    }
    memcpy(query, data, size);
    query[size] = '\0';
    apr_pool_create(&p, root);
    args = ctx_args_parse(p, query);
    for (int i = 0; ctx_args_at(args, i, &k, &v) == APR_SUCCESS; ++i) {
        if (!ctx_args_get(args, k)
            || ctx_args_get_all(args, p, k)->nelts < 1) {
            abort();
        }
    }
    apr_pool_destroy(p);
    free(query);
    return 0;
}
