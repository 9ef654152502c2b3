/* ctx_teardown: see ctx_teardown.h. */
#include <apr_tables.h>

#include "ctx_log.h"
#include "ctx_teardown.h"

typedef struct {
    ctx_teardown_fn *fn;
    void *baton;
} teardown_cb_t;

struct ctx_teardown_t {
    apr_array_header_t *cbs;
    int done;
};

ctx_teardown_t *ctx_teardown_create(apr_pool_t *p)
{
    ctx_teardown_t *t = apr_pcalloc(p, sizeof(*t));

    t->cbs = apr_array_make(p, 4, sizeof(teardown_cb_t));
    return t;
}

apr_status_t ctx_teardown_add(ctx_teardown_t *t, ctx_teardown_fn *fn,
                              void *baton)
{
    teardown_cb_t *cb;

    if (!t || !fn) {
        return APR_EINVAL;
    }
    if (t->done) {
        return APR_EINCOMPLETE;
    }
    cb = apr_array_push(t->cbs);
    cb->fn = fn;
    cb->baton = baton;
    return APR_SUCCESS;
}

int ctx_teardown_run(ctx_teardown_t *t, ctx_t *c, int status,
                     const char *what)
{
    int failed = 0;

    if (!t || t->done) {
        return 0;
    }
    t->done = 1;
    /* Callbacks registered by a running callback are refused (done is set),
     * so the array is stable while we walk it. */
    for (int i = t->cbs->nelts - 1; i >= 0; --i) {
        teardown_cb_t *cb = &APR_ARRAY_IDX(t->cbs, i, teardown_cb_t);
        apr_status_t rv = cb->fn(c, status, cb->baton);

        if (rv != APR_SUCCESS) {
            char err[120];

            ++failed;
            ctx_log(CTX_LOG_ERR, "teardown callback #%d of %s failed: %s "
                    "(the remaining callbacks still run)", i,
                    what ? what : "a request",
                    apr_strerror(rv, err, sizeof(err)));
        }
    }
    return failed;
}

int ctx_teardown_pending(const ctx_teardown_t *t)
{
    return (t && !t->done) ? t->cbs->nelts : 0;
}
