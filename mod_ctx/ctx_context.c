/* ctx_context: see ctx_context.h. */
#include "ctx_context.h"
#include "ctx_log.h"

struct ctx_shared_t {
    ctx_gtable_t *g;
    ctx_teardown_t *teardown;
    ctx_t *main;                /* the first context of the chain */
    ctx_t *latest;              /* the last internal redirect, or main */
    void *session;              /* the glue's session state, or NULL */
    int response_started;       /* the response headers are on their way */
};

/* Runs when a context's pool is destroyed, possibly on another thread than
 * the one that served it: release only the binding this context made. */
static apr_status_t context_cleanup(void *data)
{
    ctx_t *c = data;

    ctx_binding_release(c->slot, c, c->outer);
    return APR_SUCCESS;
}

/* Runs when the main request's pool is destroyed, after every subrequest
 * pool and after the redirect contexts' own cleanups. */
static apr_status_t shared_cleanup(void *data)
{
    ctx_shared_t *s = data;
    ctx_t *last = s->latest;
    int status = last->ops->status(last->request);

    ctx_teardown_run(s->teardown, last, status,
                     last->ops->describe(last->request));
    ctx_gtable_clear(s->g);
    return APR_SUCCESS;
}

static ctx_t *context_new(apr_pool_t *p, void *request, ctx_kind_t kind,
                          const ctx_request_ops_t *ops)
{
    ctx_t *c = apr_pcalloc(p, sizeof(*c));

    c->request = request;
    c->kind = kind;
    c->pool = p;
    c->ops = ops;
    return c;
}

ctx_t *ctx_context_create_main(apr_pool_t *p, void *request,
                               const ctx_request_ops_t *ops)
{
    ctx_t *c = context_new(p, request, CTX_KIND_MAIN, ops);
    ctx_shared_t *s = apr_pcalloc(p, sizeof(*s));

    s->g = ctx_gtable_create(p);
    s->teardown = ctx_teardown_create(p);
    s->main = s->latest = c;
    c->shared = s;
    /* Registered after g's own cleanup, so it runs before it (LIFO). */
    apr_pool_cleanup_register(p, s, shared_cleanup, apr_pool_cleanup_null);
    apr_pool_cleanup_register(p, c, context_cleanup, apr_pool_cleanup_null);
    return c;
}

ctx_t *ctx_context_create_task(apr_pool_t *p, void *request,
                               const ctx_request_ops_t *ops)
{
    ctx_t *c = ctx_context_create_main(p, request, ops);

    c->kind = CTX_KIND_TASK;
    return c;
}

ctx_t *ctx_context_create_sub(apr_pool_t *p, void *request, ctx_t *parent,
                              ctx_t *outer)
{
    ctx_t *c = context_new(p, request, CTX_KIND_SUB, parent->ops);

    c->shared = parent->shared;
    c->outer = outer;
    apr_pool_cleanup_register(p, c, context_cleanup, apr_pool_cleanup_null);
    return c;
}

ctx_t *ctx_context_create_redirect(apr_pool_t *p, void *request,
                                   ctx_t *prev)
{
    ctx_t *c = context_new(p, request, CTX_KIND_REDIRECT, prev->ops);

    c->shared = prev->shared;
    c->outer = prev->outer;
    c->shared->latest = c;
    apr_pool_cleanup_register(p, c, context_cleanup, apr_pool_cleanup_null);
    return c;
}

void ctx_context_enter(ctx_t *c)
{
    ctx_slot_t *slot = ctx_binding_set(c);

    if (c) {
        c->slot = slot;
    }
}

void ctx_context_leave(ctx_t *c)
{
    if (c) {
        ctx_binding_release(c->slot, c, c->outer);
    }
}

ctx_t *ctx_context_current(void)
{
    return ctx_binding_get();
}

void ctx_context_unbind_thread(void)
{
    if (ctx_binding_get()) {
        ctx_binding_set(NULL);
    }
}

ctx_gtable_t *ctx_context_g(const ctx_t *c)
{
    return c ? c->shared->g : NULL;
}

ctx_teardown_t *ctx_context_teardown(const ctx_t *c)
{
    return c ? c->shared->teardown : NULL;
}

const ctx_args_t *ctx_context_args(ctx_t *c)
{
    const char *query;

    if (!c) {
        return NULL;
    }
    query = c->ops->query(c->request);
    /* Re-parse if the query changed (ap_internal_fast_redirect copies a
     * subrequest's args into the request). */
    if (!c->args || query != c->args_query) {
        c->args_query = query;
        c->args = ctx_args_parse(c->pool, query);
        if (ctx_args_dropped(c->args)) {
            ctx_log_r(CTX_LOG_DEBUG,
                      c->kind == CTX_KIND_TASK ? NULL : c->request,
                      "%s: dropped %d query argument(s) that "
                      "decode to a NUL byte", c->ops->describe(c->request),
                      ctx_args_dropped(c->args));
        }
    }
    return c->args;
}

ctx_t *ctx_context_main(const ctx_t *c)
{
    return c ? c->shared->main : NULL;
}

ctx_t *ctx_context_latest(const ctx_t *c)
{
    return c ? c->shared->latest : NULL;
}

void *ctx_context_session(const ctx_t *c)
{
    return c ? c->shared->session : NULL;
}

void ctx_context_set_session(ctx_t *c, void *session)
{
    c->shared->session = session;
}

int ctx_context_response_started(const ctx_t *c)
{
    return c ? c->shared->response_started : 0;
}

void ctx_context_set_response_started(ctx_t *c)
{
    c->shared->response_started = 1;
}
