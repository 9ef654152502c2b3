/* ctx_app: see ctx_app.h. */
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_portable.h>

#include "ctx_app.h"
#include "ctx_log.h"
#include "ctx_status.h"

/* One named resource. The entry is made on first request and stays (a
 * failed attempt leaves it RES_EMPTY for the next caller to retry), so that
 * failures do not allocate from the shared pool again and again. Every field
 * is guarded by the app's res_lock. */
typedef enum {
    RES_EMPTY = 0,              /* never built, or the last attempt failed */
    RES_BUILDING,               /* a constructor runs now, on `builder` */
    RES_READY
} res_state_t;

typedef struct {
    const char *name;           /* in res_pool */
    res_state_t state;
    apr_uint64_t attempts;      /* construction attempts begun */
    apr_uint64_t failed_attempt;    /* the number of the last failed one */
    apr_status_t failed_rv;     /* and what it returned */
    apr_os_thread_t builder;    /* valid while RES_BUILDING */
    apr_pool_t *pool;           /* the resource's own pool (see below) */
    void *res;
    ctx_resource_dtor *dtor;
    void *baton;
} resource_t;

/* A thread blocked in ctx_app_resource() for a resource another thread
 * builds: on the app's list while it waits, so that a cycle between
 * constructors on different threads is seen instead of waited for. */
typedef struct waiter_t {
    struct waiter_t *next;
    apr_os_thread_t thread;
    resource_t *waits_for;
} waiter_t;

struct ctx_app_t {
    const char *name;
    apr_hash_t *config;
    apr_pool_t *res_pool;           /* per process; NULL before child init */
    apr_thread_mutex_t *res_lock;   /* never held while a constructor runs */
    apr_thread_cond_t *res_built;   /* an attempt ended (broadcast) */
    apr_hash_t *resources;          /* name -> resource_t */
    waiter_t *waiters;
};

static __thread ctx_app_t *app_stack[CTX_APP_STACK_MAX];
static __thread int app_depth;

ctx_app_t *ctx_app_create(apr_pool_t *p, const char *name,
                          apr_hash_t *config)
{
    ctx_app_t *app = apr_pcalloc(p, sizeof(*app));
    apr_hash_index_t *hi;

    app->name = apr_pstrdup(p, name ? name : "");
    app->config = apr_hash_make(p);
    /* A deep copy: the app outlives the configuration pass that built
     * `config`, and callers may reuse their strings. */
    for (hi = config ? apr_hash_first(p, config) : NULL; hi;
         hi = apr_hash_next(hi)) {
        const char *k, *v;
        apr_ssize_t klen;

        apr_hash_this(hi, (const void **)&k, &klen, (void **)&v);
        apr_hash_set(app->config, apr_pstrmemdup(p, k, klen), klen,
                     v ? apr_pstrdup(p, v) : NULL);
    }
    return app;
}

const char *ctx_app_name(const ctx_app_t *app)
{
    return app ? app->name : NULL;
}

const char *ctx_app_config_get(const ctx_app_t *app, const char *key)
{
    if (!app || !key) {
        return NULL;
    }
    return apr_hash_get(app->config, key, APR_HASH_KEY_STRING);
}

apr_hash_t *ctx_app_config(const ctx_app_t *app)
{
    return app ? app->config : NULL;
}

apr_status_t ctx_app_child_init(ctx_app_t *app, apr_pool_t *pchild)
{
    apr_pool_t *pool;
    apr_status_t rv;

    if (!app || !pchild) {
        return APR_EINVAL;
    }
    if ((rv = apr_pool_create(&pool, pchild)) != APR_SUCCESS) {
        return rv;
    }
    apr_pool_tag(pool, "ctx_app_resources");
    rv = apr_thread_mutex_create(&app->res_lock, APR_THREAD_MUTEX_DEFAULT,
                                 pool);
    if (rv == APR_SUCCESS) {
        rv = apr_thread_cond_create(&app->res_built, pool);
    }
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(pool);
        return rv;
    }
    app->resources = apr_hash_make(pool);
    app->waiters = NULL;
    app->res_pool = pool;
    return APR_SUCCESS;
}

/* Pre-cleanup of res_pool, registered when the resource is made: runs
 * before res_pool's subpools go, in reverse order of completion (a
 * resource whose constructor used another one is destroyed first). */
static apr_status_t resource_cleanup(void *data)
{
    resource_t *r = data;

    if (r->dtor) {
        r->dtor(r->res, r->baton);
    }
    apr_pool_destroy(r->pool);
    return APR_SUCCESS;
}

/* Under the lock: waiting for `r` would never end, because the calling
 * thread builds it, or a thread that builds it waits (through a chain of
 * waiting builders) for what the calling thread builds. Bounded by the
 * number of waiting threads. */
static int would_deadlock(const ctx_app_t *app, const resource_t *r)
{
    apr_os_thread_t self = apr_os_thread_current();
    const waiter_t *w;
    int hops = 1;

    for (w = app->waiters; w; w = w->next) {
        ++hops;
    }
    while (r && r->state == RES_BUILDING && hops-- > 0) {
        if (apr_os_thread_equal(r->builder, self)) {
            return 1;
        }
        for (w = app->waiters; w; w = w->next) {
            if (apr_os_thread_equal(w->thread, r->builder)) {
                break;
            }
        }
        r = w ? w->waits_for : NULL;
    }
    return 0;
}

/* Under the lock, r RES_EMPTY: run the constructor as r's builder, without
 * the lock, in a new pool of r's own. It has its own allocator: pools are
 * not thread-safe, and other constructors run at the same time. */
static apr_status_t build(ctx_app_t *app, resource_t *r,
                          ctx_resource_ctor *ctor, ctx_resource_dtor *dtor,
                          void *baton)
{
    apr_allocator_t *alloc = NULL;
    apr_pool_t *pool = NULL;
    void *obj = NULL;
    apr_status_t rv;

    if ((rv = apr_allocator_create(&alloc)) != APR_SUCCESS) {
        return rv;
    }
    /* A subpool of res_pool: creating one links it there (under the lock) */
    if ((rv = apr_pool_create_ex(&pool, app->res_pool, NULL, alloc))
        != APR_SUCCESS) {
        apr_allocator_destroy(alloc);
        return rv;
    }
    apr_allocator_owner_set(alloc, pool);
    apr_pool_tag(pool, "ctx_app_resource");
    r->state = RES_BUILDING;
    r->builder = apr_os_thread_current();
    ++r->attempts;
    apr_thread_mutex_unlock(app->res_lock);

    rv = ctor(&obj, app, pool, baton);

    apr_thread_mutex_lock(app->res_lock);
    if (rv == APR_SUCCESS) {
        r->res = obj;
        r->dtor = dtor;
        r->baton = baton;
        r->pool = pool;
        r->state = RES_READY;
        apr_pool_pre_cleanup_register(app->res_pool, r, resource_cleanup);
        ctx_log(CTX_LOG_DEBUG, "app %s: created resource %s", app->name,
                r->name);
    }
    else {
        /* Nothing is kept: the next caller tries again. Destroyed under
         * the lock: it unlinks itself from res_pool. */
        apr_pool_destroy(pool);
        r->state = RES_EMPTY;
        r->failed_attempt = r->attempts;
        r->failed_rv = rv;
    }
    apr_thread_cond_broadcast(app->res_built);
    return rv;
}

apr_status_t ctx_app_resource(ctx_app_t *app, const char *name,
                              ctx_resource_ctor *ctor, ctx_resource_dtor *dtor,
                              void *baton, void **res)
{
    resource_t *r;
    apr_status_t rv;

    if (!app || !name || !ctor || !res) {
        return APR_EINVAL;
    }
    if (!app->res_pool) {
        return APR_EINIT;
    }
    apr_thread_mutex_lock(app->res_lock);
    r = apr_hash_get(app->resources, name, APR_HASH_KEY_STRING);
    if (!r) {
        r = apr_pcalloc(app->res_pool, sizeof(*r));
        r->name = apr_pstrdup(app->res_pool, name);
        apr_hash_set(app->resources, r->name, APR_HASH_KEY_STRING, r);
    }
    for (;;) {
        waiter_t me;
        apr_uint64_t attempt;

        if (r->state == RES_READY) {
            *res = r->res;
            rv = APR_SUCCESS;
            break;
        }
        if (r->state == RES_EMPTY) {
            if ((rv = build(app, r, ctor, dtor, baton)) == APR_SUCCESS) {
                *res = r->res;
            }
            break;
        }
        /* Being built by another constructor. */
        if (would_deadlock(app, r)) {
            ctx_log(CTX_LOG_ERR, "app %s: resource %s is requested by its own "
                    "constructor (directly or through other resources)",
                    app->name, r->name);
            rv = CTX_ECYCLE;
            break;
        }
        attempt = r->attempts;
        me.thread = apr_os_thread_current();
        me.waits_for = r;
        me.next = app->waiters;
        app->waiters = &me;
        while (r->state == RES_BUILDING && r->attempts == attempt) {
            apr_thread_cond_wait(app->res_built, app->res_lock);
        }
        {
            waiter_t **pw = &app->waiters;

            while (*pw != &me) {
                pw = &(*pw)->next;
            }
            *pw = me.next;
        }
        if (r->state != RES_READY && r->failed_attempt >= attempt) {
            /* The attempt we waited for (or a later one) failed: share its
             * result rather than have each waiter try again, one after the
             * other (the next call retries). */
            rv = r->failed_rv;
            break;
        }
    }
    apr_thread_mutex_unlock(app->res_lock);
    return rv;
}

apr_status_t ctx_app_push(ctx_app_t *app)
{
    if (!app) {
        return APR_EINVAL;
    }
    if (app_depth >= CTX_APP_STACK_MAX) {
        return APR_ENOSPC;
    }
    app_stack[app_depth++] = app;
    return APR_SUCCESS;
}

apr_status_t ctx_app_pop(ctx_app_t *expected)
{
    if (app_depth == 0) {
        return APR_EOF;
    }
    if (expected && app_stack[app_depth - 1] != expected) {
        return APR_EINVAL;
    }
    app_stack[--app_depth] = NULL;
    return APR_SUCCESS;
}

ctx_app_t *ctx_app_top(void)
{
    return app_depth ? app_stack[app_depth - 1] : NULL;
}
