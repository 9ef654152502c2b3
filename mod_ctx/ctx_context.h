/* ctx_context: the request context (Flask's request context), one per
 * request_rec, and the state it shares with related requests.
 *
 * - A main request gets a fresh context with its own shared state: the `g`
 *   table and the teardown list, both living in the main request's pool.
 * - A subrequest gets its own context (its own request pointer and query
 *   arguments) that shares the main request's `g` and teardown list; when the
 *   subrequest ends, the context that was current before it (its `outer`) is
 *   current again.
 * - An internal redirect gets a new context for the new request_rec that
 *   shares the same state as the request it replaces (same pool, same `g`,
 *   teardown runs once for the whole chain with the status of the last
 *   request).
 *
 * The core sees requests as opaque pointers; the glue supplies the few facts
 * it needs about them through ctx_request_ops_t. */
#ifndef CTX_CONTEXT_H
#define CTX_CONTEXT_H

#include <apr_pools.h>

#include "ctx_app.h"
#include "ctx_args.h"
#include "ctx_binding.h"
#include "ctx_g.h"
#include "ctx_teardown.h"

typedef enum {
    CTX_KIND_MAIN = 0,
    CTX_KIND_SUB,
    CTX_KIND_REDIRECT,
    CTX_KIND_TASK               /* a background task: `request` is the glue's
                                 * copy of the request, not a request */
} ctx_kind_t;

/* What the core needs to know of a request it does not understand. */
typedef struct {
    int (*status)(void *request);            /* final status, for teardown */
    const char *(*describe)(void *request);  /* "GET /uri" for log lines */
    const char *(*query)(void *request);     /* raw query string or NULL */
} ctx_request_ops_t;

typedef struct ctx_shared_t ctx_shared_t;

struct ctx_t {
    void *request;              /* the request_rec, opaque here */
    ctx_kind_t kind;
    ctx_t *outer;               /* current again when this context ends */
    ctx_shared_t *shared;       /* g, teardown; shared by related contexts */
    ctx_slot_t *slot;           /* thread slot this context was bound on */
    apr_pool_t *pool;           /* the request's pool */
    const ctx_request_ops_t *ops;
    ctx_args_t *args;           /* parsed on first use */
    const char *args_query;     /* the query string `args` was parsed from */
    void *glue;                 /* free for the glue's own per-request data */
};

/* Create the context of a main request in `p` (the request's pool). When `p`
 * is destroyed the teardown callbacks run (newest first, with the status of
 * the last request of the redirect chain), then `g`'s destructors, and the
 * context is released from whatever thread slot still binds it. */
ctx_t *ctx_context_create_main(apr_pool_t *p, void *request,
                               const ctx_request_ops_t *ops);

/* Create the context of a subrequest in `p` (the subrequest's own pool),
 * sharing `parent`'s state. `outer` becomes current again when it ends
 * (usually the context current at creation; NULL allowed). */
ctx_t *ctx_context_create_sub(apr_pool_t *p, void *request, ctx_t *parent,
                              ctx_t *outer);

/* Create the context of an internal redirect from `prev` (same pool). */
ctx_t *ctx_context_create_redirect(apr_pool_t *p, void *request,
                                   ctx_t *prev);

/* Create the context of a background task in `p` (the task's own pool):
 * like a main context (own `g`, teardown run when `p` is destroyed), with
 * `request` pointing at the glue's copy of the request that started it. */
ctx_t *ctx_context_create_task(apr_pool_t *p, void *request,
                               const ctx_request_ops_t *ops);

/* Make `c` the calling thread's current context. */
void ctx_context_enter(ctx_t *c);

/* End `c` on the thread slot it was bound on: if that slot still holds `c`,
 * its outer context becomes current there. Safe from any thread (it never
 * touches the calling thread's binding unless that is c's slot). */
void ctx_context_leave(ctx_t *c);

/* The calling thread's current context, or NULL. */
ctx_t *ctx_context_current(void);

/* Forget whatever the calling thread has bound (a thread that starts to
 * serve something that is not a request). */
void ctx_context_unbind_thread(void);

/* The shared `g` table and teardown list of `c`. */
ctx_gtable_t *ctx_context_g(const ctx_t *c);
ctx_teardown_t *ctx_context_teardown(const ctx_t *c);

/* The query arguments of c's request, parsed on first use (and again if
 * the request's query string was replaced) and kept in c's pool. */
const ctx_args_t *ctx_context_args(ctx_t *c);

/* The main context of the chain `c` belongs to (itself for a main request). */
ctx_t *ctx_context_main(const ctx_t *c);

/* The last context of c's redirect chain (the one that answers). */
ctx_t *ctx_context_latest(const ctx_t *c);

/* The session state of c's client request, owned by the glue (NULL until
 * set). Shared by the whole chain like `g`. */
void *ctx_context_session(const ctx_t *c);
void ctx_context_set_session(ctx_t *c, void *session);

/* Whether the response of c's client request has started (its headers are
 * being sent): state that must go into headers can no longer change. */
int ctx_context_response_started(const ctx_t *c);
void ctx_context_set_response_started(ctx_t *c);

#endif
