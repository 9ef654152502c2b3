/* ctx_app: see ctx_app.h. */
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "ctx_app.h"
#include "ctx_log.h"

struct ctx_app_t {
    const char *name;
    apr_hash_t *config;
    apr_pool_t *res_pool;           /* per process; NULL before child init */
    apr_thread_mutex_t *res_lock;
    apr_hash_t *resources;          /* name -> resource_t */
};

typedef struct {
    void *res;
    ctx_resource_dtor *dtor;
    void *baton;
    const char *name;
} resource_t;

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
    apr_status_t rv;

    if (!app || !pchild) {
        return APR_EINVAL;
    }
    if ((rv = apr_pool_create(&app->res_pool, pchild)) != APR_SUCCESS) {
        return rv;
    }
    apr_pool_tag(app->res_pool, "ctx_app_resources");
    app->resources = apr_hash_make(app->res_pool);
    rv = apr_thread_mutex_create(&app->res_lock, APR_THREAD_MUTEX_DEFAULT,
                                 app->res_pool);
    if (rv != APR_SUCCESS) {
        app->res_pool = NULL;
    }
    return rv;
}

static apr_status_t resource_cleanup(void *data)
{
    resource_t *r = data;

    if (r->dtor) {
        r->dtor(r->res, r->baton);
    }
    return APR_SUCCESS;
}

apr_status_t ctx_app_resource(ctx_app_t *app, const char *name,
                              ctx_resource_ctor *ctor, ctx_resource_dtor *dtor,
                              void *baton, void **res)
{
    resource_t *r;
    apr_status_t rv = APR_SUCCESS;

    if (!app || !name || !ctor || !res) {
        return APR_EINVAL;
    }
    if (!app->res_pool) {
        return APR_EINIT;
    }
    apr_thread_mutex_lock(app->res_lock);
    r = apr_hash_get(app->resources, name, APR_HASH_KEY_STRING);
    if (!r) {
        void *obj = NULL;

        rv = ctor(&obj, app, app->res_pool, baton);
        if (rv == APR_SUCCESS) {
            r = apr_pcalloc(app->res_pool, sizeof(*r));
            r->res = obj;
            r->dtor = dtor;
            r->baton = baton;
            r->name = apr_pstrdup(app->res_pool, name);
            apr_hash_set(app->resources, r->name, APR_HASH_KEY_STRING, r);
            apr_pool_cleanup_register(app->res_pool, r, resource_cleanup,
                                      apr_pool_cleanup_null);
            ctx_log(CTX_LOG_DEBUG, "app %s: created resource %s", app->name,
                    name);
        }
    }
    if (r) {
        *res = r->res;
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
