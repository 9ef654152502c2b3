/* Fuzz the multipart/form-data parser and the form built from it. The
 * first line of the input is the Content-Type (its boundary), the rest the
 * body. Checks: every part lies inside the body, its name is a C string,
 * every field is reachable by name, and a failure leaves *parts unset. */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "ctx_form.h"
#include "ctx_multipart.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static apr_pool_t *root;
    static const ctx_multipart_limits_t limits = { 64, 512 };
    const char *nl = memchr(data, '\n', size);
    apr_pool_t *p;
    char *ct, *body;
    apr_size_t blen;
    const char *boundary;
    apr_array_header_t *parts = NULL;
    apr_status_t rv;

    if (!root) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    if (!nl) {
        return 0;
    }
    apr_pool_create(&p, root);
    ct = apr_pstrmemdup(p, (const char *)data,
                        (apr_size_t)(nl - (const char *)data));
    blen = size - (apr_size_t)(nl + 1 - (const char *)data);
    /* An exact-size heap copy: ASan sees any read past the body. */
    body = malloc(blen ? blen : 1);
    if (!body) {
        apr_pool_destroy(p);
        return 0;
    }
    memcpy(body, nl + 1, blen);
    if (ctx_multipart_boundary(p, ct, &boundary) == APR_SUCCESS) {
        rv = ctx_multipart_parse(p, body, blen, boundary, &limits, &parts);
        if (rv != APR_SUCCESS) {
            if (parts || (rv != APR_EINVAL && rv != APR_ENOSPC)) {
                abort();
            }
        }
        else {
            ctx_form_t *f;

            if (parts->nelts > limits.max_parts) {
                abort();
            }
            for (int i = 0; i < parts->nelts; ++i) {
                const ctx_multipart_part_t *pt =
                    &APR_ARRAY_IDX(parts, i, ctx_multipart_part_t);

                if (!pt->name || pt->data < body
                    || pt->data + pt->len > body + blen) {
                    abort();
                }
                (void)strlen(pt->name);
            }
            f = ctx_form_from_parts(p, parts);
            if (ctx_form_count(f) + ctx_form_file_count(f)
                + ctx_form_dropped(f) != parts->nelts) {
                abort();
            }
            for (int i = 0; i < parts->nelts; ++i) {
                const ctx_multipart_part_t *pt =
                    &APR_ARRAY_IDX(parts, i, ctx_multipart_part_t);

                if (pt->filename && !ctx_form_file(f, pt->name)) {
                    abort();
                }
            }
        }
    }
    free(body);
    apr_pool_destroy(p);
    return 0;
}
