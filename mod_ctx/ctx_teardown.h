/* ctx_teardown: callbacks that run once when a request ends (Flask's
 * teardown_request), in reverse order of registration, each with the final
 * status. A failing callback is logged and the others still run. */
#ifndef CTX_TEARDOWN_H
#define CTX_TEARDOWN_H

#include <apr_pools.h>

typedef struct ctx_t ctx_t;
typedef struct ctx_teardown_t ctx_teardown_t;

/* A teardown callback: `c` is the context that ends, `status` the final HTTP
 * status. A non-APR_SUCCESS return is logged, nothing more. */
typedef apr_status_t ctx_teardown_fn(ctx_t *c, int status, void *baton);

/* An empty list allocated in `p`. Running it is the owner's job. */
ctx_teardown_t *ctx_teardown_create(apr_pool_t *p);

/* Register a callback. APR_EINVAL if fn is NULL; APR_EINCOMPLETE if the list
 * already ran (the callback would never run: the caller must know). */
apr_status_t ctx_teardown_add(ctx_teardown_t *t, ctx_teardown_fn *fn,
                              void *baton);

/* Run every callback once, newest first. A second call does nothing.
 * Returns the number of callbacks that failed. `what` names the request in
 * log lines (e.g. "GET /home"); it may be NULL. */
int ctx_teardown_run(ctx_teardown_t *t, ctx_t *c, int status,
                     const char *what);

/* Number of registered callbacks not yet run. */
int ctx_teardown_pending(const ctx_teardown_t *t);

#endif
