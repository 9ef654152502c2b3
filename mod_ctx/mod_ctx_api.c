/* mod_ctx_api: the function table behind include/mod_ctx.h. Each entry
 * resolves "NULL means current", checks its arguments and calls the core. */
#include "httpd.h"
#include "http_config.h"

#include "mod_ctx_private.h"
#include "mod_ctx_config.h"

static ctx_t *resolve(ctx_t *c)
{
    return c ? c : ctx_context_current();
}

static request_rec *resolve_request(request_rec *r)
{
    ctx_t *c;

    if (r) {
        return r;
    }
    c = ctx_context_current();
    return c ? c->request : NULL;
}

static ctx_t *api_current(void)
{
    return ctx_context_current();
}

static request_rec *api_current_request(void)
{
    ctx_t *c = ctx_context_current();

    return c ? c->request : NULL;
}

static ctx_t *api_of(request_rec *r)
{
    return r ? ctx_glue_of(r) : ctx_context_current();
}

static request_rec *api_request(const ctx_t *c)
{
    return c ? c->request : NULL;
}

static ctx_app_t *api_app_of(server_rec *s)
{
    return s ? ctx_server_conf(s)->app : NULL;
}

static ctx_app_t *api_current_app(void)
{
    ctx_t *c = ctx_context_current();

    if (c) {
        return api_app_of(((request_rec *)c->request)->server);
    }
    return ctx_app_top();
}

static const char *api_app_name(const ctx_app_t *app)
{
    return ctx_app_name(app);
}

static const char *api_app_config(const ctx_app_t *app, const char *key)
{
    return ctx_app_config_get(app ? app : api_current_app(), key);
}

static const char *api_config(request_rec *r, const char *key)
{
    const char *v;

    if (!key) {
        return NULL;
    }
    if (!(r = resolve_request(r))) {
        return ctx_app_config_get(ctx_app_top(), key);
    }
    v = apr_hash_get(ctx_dir_conf(r)->config, key, APR_HASH_KEY_STRING);
    if (!v) {
        v = apr_hash_get(ctx_server_conf(r->server)->config, key,
                         APR_HASH_KEY_STRING);
    }
    return v;
}

static apr_status_t api_app_push(ctx_app_t *app)
{
    return ctx_app_push(app);
}

static apr_status_t api_app_pop(ctx_app_t *app)
{
    return ctx_app_pop(app);
}

static apr_status_t api_app_resource(ctx_app_t *app, const char *name,
                                     ctx_resource_ctor *ctor,
                                     ctx_resource_dtor *dtor, void *baton,
                                     void **res)
{
    return ctx_app_resource(app ? app : api_current_app(), name, ctor, dtor,
                            baton, res);
}

/* g: a missing context is APR_EINVAL (there is no request to attach to). */
#define G_OF(c) ctx_context_g(resolve(c))

static apr_status_t api_g_set(ctx_t *c, const char *key, const char *val)
{
    return ctx_gtable_set(G_OF(c), key, val);
}

static const char *api_g_get(ctx_t *c, const char *key)
{
    return ctx_gtable_get(G_OF(c), key);
}

static apr_status_t api_g_set_ptr(ctx_t *c, const char *key, void *ptr,
                                  ctx_g_dtor_fn *dtor)
{
    return ctx_gtable_set_ptr(G_OF(c), key, ptr, dtor);
}

static void *api_g_get_ptr(ctx_t *c, const char *key)
{
    return ctx_gtable_get_ptr(G_OF(c), key);
}

static int api_g_has(ctx_t *c, const char *key)
{
    return ctx_gtable_has(G_OF(c), key);
}

static apr_status_t api_g_remove(ctx_t *c, const char *key)
{
    return ctx_gtable_remove(G_OF(c), key);
}

static apr_status_t api_g_pop(ctx_t *c, const char *key, const char **val)
{
    return ctx_gtable_pop(G_OF(c), key, val);
}

static apr_status_t api_g_pop_ptr(ctx_t *c, const char *key, void **ptr)
{
    return ctx_gtable_pop_ptr(G_OF(c), key, ptr);
}

static apr_status_t api_g_setdefault(ctx_t *c, const char *key,
                                     const char *dflt, const char **val)
{
    return ctx_gtable_setdefault(G_OF(c), key, dflt, val);
}

static int api_g_do(ctx_t *c, ctx_g_visit_fn *fn, void *baton)
{
    ctx_gtable_t *g = G_OF(c);

    return g ? ctx_gtable_do(g, fn, baton) : -1;
}

static apr_status_t api_on_teardown(ctx_t *c, ctx_teardown_fn *fn,
                                    void *baton)
{
    return ctx_teardown_add(ctx_context_teardown(resolve(c)), fn, baton);
}

static const char *api_arg(request_rec *r, const char *name)
{
    ctx_t *c = api_of(r);

    return c ? ctx_args_get(ctx_context_args(c), name) : NULL;
}

static apr_array_header_t *api_arg_all(request_rec *r, const char *name)
{
    ctx_t *c = api_of(r);

    return c ? ctx_args_get_all(ctx_context_args(c), c->pool, name) : NULL;
}

static const ctx_api_t api = {
    MOD_CTX_API_VERSION,
    api_current,
    api_current_request,
    api_of,
    api_request,
    api_current_app,
    api_app_of,
    api_app_name,
    api_app_config,
    api_config,
    api_app_push,
    api_app_pop,
    api_app_resource,
    api_g_set,
    api_g_get,
    api_g_set_ptr,
    api_g_get_ptr,
    api_g_has,
    api_g_remove,
    api_g_pop,
    api_g_pop_ptr,
    api_g_setdefault,
    api_g_do,
    api_on_teardown,
    api_arg,
    api_arg_all,
};

const ctx_api_t *ctx_glue_api_get(int version)
{
    return (version >= 1 && version <= MOD_CTX_API_VERSION) ? &api : NULL;
}
