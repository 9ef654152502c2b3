/* mod_ctx_api: the function table behind include/mod_ctx.h. Each entry
 * resolves "NULL means current", checks its arguments and calls the core. */
#include <math.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"

#include "mod_ctx_private.h"
#include "mod_ctx_api.h"
#include "mod_ctx_config.h"
#include "mod_ctx_request.h"
#include "mod_ctx_session.h"
#include "mod_ctx_status.h"
#include "mod_ctx_task.h"
#include "mod_ctx_body.h"
#include "mod_ctx_login.h"
#include "ctx_flat.h"
#include "ctx_json.h"

APLOG_USE_MODULE(ctx);

/* The public header repeats the core's status numbers: keep them equal. */
#if CTX_EDISABLED != CTX_STATUS_BASE + 1 || CTX_ETOOLATE != CTX_STATUS_BASE + 2 \
    || CTX_ETOOLARGE != CTX_STATUS_BASE + 3 \
    || CTX_EQUEUEFULL != CTX_STATUS_BASE + 4 || CTX_ESHUTDOWN != CTX_STATUS_BASE + 5 \
    || CTX_ECYCLE != CTX_STATUS_BASE + 6 || CTX_ESTORE != CTX_STATUS_BASE + 7
#error "status codes of include/mod_ctx.h and mod_ctx/ctx_status.h differ"
#endif

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
    return ctx_glue_request(c);
}

static ctx_t *api_current(void)
{
    return ctx_context_current();
}

static request_rec *api_current_request(void)
{
    return ctx_glue_request(ctx_context_current());
}

static ctx_t *api_of(request_rec *r)
{
    return r ? ctx_glue_of(r) : ctx_context_current();
}

static request_rec *api_request(const ctx_t *c)
{
    return ctx_glue_request(c);
}

static ctx_app_t *api_app_of(server_rec *s)
{
    return s ? ctx_server_conf(s)->app : NULL;
}

static ctx_app_t *api_current_app(void)
{
    ctx_t *c = ctx_context_current();
    const ctx_snapshot_t *snap;

    if ((snap = ctx_glue_task_snapshot(c)) != NULL) {
        return snap->app;
    }
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

    const ctx_snapshot_t *snap;

    if (!key) {
        return NULL;
    }
    if (!r && (snap = ctx_glue_task_snapshot(ctx_context_current()))) {
        return apr_hash_get(snap->config, key, APR_HASH_KEY_STRING);
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

static apr_status_t api_g_set_ptr_copyable(ctx_t *c, const char *key,
                                           void *ptr, ctx_g_dtor_fn *dtor,
                                           ctx_g_copy_fn *copy)
{
    return ctx_gtable_set_ptr_copyable(G_OF(c), key, ptr, dtor, copy);
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

static apr_array_header_t *api_arg_names(request_rec *r)
{
    ctx_t *c = api_of(r);

    return c ? ctx_args_names(ctx_context_args(c), c->pool) : NULL;
}

/* ---- sessions ---------------------------------------------------------- */

#define SESSION_OR_RETURN(c, s)                                   \
    apr_status_t rv_;                                            \
    ctx_session_t *s = ctx_glue_session(resolve(c), &rv_);       \
    if (!s) return rv_

/* The value under key as its JSON text, if it is of `type` (JSON_TRUE:
 * either boolean): read from the session's flat form, no jansson value. */
static apr_status_t typed_get(ctx_t *c, const char *key, const void *out,
                              json_type type, const char **text,
                              apr_size_t *len)
{
    apr_status_t rv;

    *text = NULL;
    *len = 0;
    {
    SESSION_OR_RETURN(c, s);
    if (!key || !out) {
        return APR_EINVAL;
    }
    if ((rv = ctx_session_get_text(s, key, text, len)) != APR_SUCCESS) {
        return rv;
    }
    return ctx_flat_type(*text, *len) == type ? APR_SUCCESS : APR_EINVAL;
    }
}

static apr_status_t set_value(ctx_t *c, const char *key, json_t *val)
{
    apr_status_t rv_;
    ctx_session_t *s = ctx_glue_session(resolve(c), &rv_);

    if (!s) {
        json_decref(val);
        return rv_;
    }
    if (!val) {
        return APR_EINVAL;
    }
    return ctx_session_set(s, key, val);
}

static apr_status_t api_session_get_string(ctx_t *c, const char *key,
                                           const char **val)
{
    const char *text;
    apr_size_t len;
    apr_status_t rv;

    if ((rv = typed_get(c, key, val, JSON_STRING, &text, &len))
        != APR_SUCCESS) {
        return rv;
    }
    /* Unescaped into the request's pool: the value in the session dies
     * with the next change, the caller's lives as the header says. */
    return ctx_flat_string(ctx_context_main(resolve(c))->pool, text, len,
                           val, NULL);
}

static apr_status_t api_session_set_string(ctx_t *c, const char *key,
                                           const char *val)
{
    /* json_string() refuses invalid UTF-8: APR_EINVAL. */
    return set_value(c, key, val ? json_string(val) : NULL);
}

/* The counter's read: one core call, no type pass of its own. */
static apr_status_t api_session_get_int(ctx_t *c, const char *key,
                                        apr_int64_t *val)
{
    SESSION_OR_RETURN(c, s);
    if (!key || !val) {
        return APR_EINVAL;
    }
    return ctx_session_get_int(s, key, val);
}

static apr_status_t api_session_set_int(ctx_t *c, const char *key,
                                        apr_int64_t val)
{
    SESSION_OR_RETURN(c, s);
    return ctx_session_set_int(s, key, val);
}

static apr_status_t api_session_get_bool(ctx_t *c, const char *key, int *val)
{
    const char *text;
    apr_size_t len;
    apr_status_t rv;

    rv = typed_get(c, key, val, JSON_TRUE, &text, &len);
    return rv == APR_SUCCESS ? ctx_flat_bool(text, len, val) : rv;
}

static apr_status_t api_session_set_bool(ctx_t *c, const char *key, int val)
{
    SESSION_OR_RETURN(c, s);
    return ctx_session_set_bool(s, key, val);
}

static apr_status_t api_session_get_json(ctx_t *c, const char *key,
                                         const char **json)
{
    const char *text;
    apr_size_t len;
    apr_status_t rv;

    SESSION_OR_RETURN(c, s);
    if (!key || !json) {
        return APR_EINVAL;
    }
    if ((rv = ctx_session_get_text(s, key, &text, &len)) != APR_SUCCESS) {
        return rv;
    }
    /* The member's own text, canonical: a copy in the request's pool. */
    *json = apr_pstrmemdup(ctx_context_main(resolve(c))->pool, text, len);
    return *json ? APR_SUCCESS : APR_ENOMEM;
}

/* Parse `json` for a setter. A session that is unavailable reports that
 * first (as every setter does), then NULL or bad JSON is APR_EINVAL. */
static apr_status_t parse_for_set(ctx_t *c, const char *json, json_t **v)
{
    apr_status_t rv;

    if (!ctx_glue_session(resolve(c), &rv)) {
        return rv;
    }
    *v = json ? ctx_json_parse(json, strlen(json)) : NULL;
    return *v ? APR_SUCCESS : APR_EINVAL;
}

static apr_status_t api_session_set_json(ctx_t *c, const char *key,
                                         const char *json)
{
    json_t *v;
    apr_status_t rv = parse_for_set(c, json, &v);

    return rv == APR_SUCCESS ? set_value(c, key, v) : rv;
}

static apr_status_t api_session_get_double(ctx_t *c, const char *key,
                                           double *val)
{
    const char *text;
    apr_size_t len;
    apr_status_t rv;

    rv = typed_get(c, key, val, JSON_REAL, &text, &len);
    /* JSON has one number type: 3 read as a double is 3.0. */
    if (rv == APR_EINVAL && text
        && ctx_flat_type(text, len) == JSON_INTEGER) {
        rv = APR_SUCCESS;
    }
    return rv == APR_SUCCESS ? ctx_flat_double(text, len, val) : rv;
}

static apr_status_t api_session_set_double(ctx_t *c, const char *key,
                                           double val)
{
    /* JSON has no NaN or infinity; set_value makes NULL APR_EINVAL. */
    return set_value(c, key, isfinite(val) ? json_real(val) : NULL);
}

static apr_status_t api_session_append_json(ctx_t *c, const char *key,
                                            const char *json)
{
    json_t *v;
    apr_status_t rv = parse_for_set(c, json, &v);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    return ctx_session_append(ctx_glue_session(resolve(c), &rv), key, v);
}

static apr_status_t api_session_set_field_json(ctx_t *c, const char *key,
                                               const char *field,
                                               const char *json)
{
    json_t *v;
    apr_status_t rv = parse_for_set(c, json, &v);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    return ctx_session_set_field(ctx_glue_session(resolve(c), &rv), key,
                                 field, v);
}

typedef struct {
    apr_pool_t *pool;
    apr_array_header_t *pairs;  /* key, json, key, json ... */
    apr_status_t rv;
} do_copy_t;

static int copy_pair(void *baton, const char *key, const char *text,
                     apr_size_t len)
{
    do_copy_t *dc = baton;
    const char *json = apr_pstrmemdup(dc->pool, text, len);

    if (!json) {
        dc->rv = APR_ENOMEM;
        return 0;
    }
    APR_ARRAY_PUSH(dc->pairs, const char *) = apr_pstrdup(dc->pool, key);
    APR_ARRAY_PUSH(dc->pairs, const char *) = json;
    return 1;
}

static apr_status_t api_session_do(ctx_t *c, ctx_session_do_fn *fn,
                                   void *baton)
{
    do_copy_t dc;

    SESSION_OR_RETURN(c, s);
    if (!fn) {
        return APR_EINVAL;
    }
    /* Copies first: the visitor gets strings that outlive the call and may
     * change the session while the walk goes on. */
    dc.pool = ctx_context_main(resolve(c))->pool;
    dc.pairs = apr_array_make(dc.pool, 16, sizeof(const char *));
    dc.rv = APR_SUCCESS;
    ctx_session_do(s, copy_pair, &dc);
    if (dc.rv != APR_SUCCESS) {
        return dc.rv;
    }
    for (int i = 0; i + 1 < dc.pairs->nelts; i += 2) {
        if (!fn(baton, APR_ARRAY_IDX(dc.pairs, i, const char *),
                APR_ARRAY_IDX(dc.pairs, i + 1, const char *))) {
            return APR_EINCOMPLETE;
        }
    }
    return APR_SUCCESS;
}

static int api_session_has(ctx_t *c, const char *key)
{
    apr_status_t rv;
    ctx_session_t *s = ctx_glue_session(resolve(c), &rv);

    return s && key && ctx_session_has(s, key);
}

static apr_status_t api_session_remove(ctx_t *c, const char *key)
{
    SESSION_OR_RETURN(c, s);
    return ctx_session_remove(s, key);
}

static apr_status_t api_session_clear(ctx_t *c)
{
    SESSION_OR_RETURN(c, s);
    return ctx_session_clear(s);
}

static int collect_key(void *baton, const char *key, const char *text,
                       apr_size_t len)
{
    apr_array_header_t *keys = baton;

    (void)text;
    (void)len;
    /* Copied, as values are: a key dies with its entry (remove, clear). */
    APR_ARRAY_PUSH(keys, const char *) = apr_pstrdup(keys->pool, key);
    return 1;
}

static apr_status_t api_session_keys(ctx_t *c, apr_array_header_t **keys)
{
    SESSION_OR_RETURN(c, s);
    if (!keys) {
        return APR_EINVAL;
    }
    *keys = apr_array_make(ctx_context_main(resolve(c))->pool, 8,
                           sizeof(const char *));
    ctx_session_do(s, collect_key, *keys);
    return APR_SUCCESS;
}

static apr_status_t api_session_set_permanent(ctx_t *c, int on)
{
    SESSION_OR_RETURN(c, s);
    return ctx_session_set_permanent(s, on);
}

static int api_session_is_permanent(ctx_t *c)
{
    apr_status_t rv;
    ctx_session_t *s = ctx_glue_session(resolve(c), &rv);

    return s && ctx_session_is_permanent(s);
}

static apr_status_t api_session_regenerate(ctx_t *c)
{
    SESSION_OR_RETURN(c, s);
    return ctx_session_regenerate(s);
}

static apr_status_t api_session_invalidate(ctx_t *c)
{
    SESSION_OR_RETURN(c, s);
    return ctx_session_invalidate(s);
}

static apr_status_t api_session_to_json(ctx_t *c, const char **json)
{
    const char *text;
    apr_size_t len;

    SESSION_OR_RETURN(c, s);
    if (!json) {
        return APR_EINVAL;
    }
    ctx_session_has(s, "");     /* counts as an access (Vary: Cookie) */
    /* The session's own text (made once per change, and usually already
     * made by the size check), copied: it lives only until the next change,
     * the caller's until the request ends. */
    text = ctx_session_json(s, &len);
    *json = text ? apr_pstrmemdup(ctx_context_main(resolve(c))->pool, text,
                                  len)
                 : NULL;
    return *json ? APR_SUCCESS : APR_ENOMEM;
}

static apr_status_t api_session_save_status(ctx_t *c)
{
    ctx_t *cc = resolve(c);

    return cc ? ctx_glue_session_save_status(cc) : APR_EINVAL;
}

/* ---- request data, also in tasks --------------------------------------- */

static const char *api_header(ctx_t *c, const char *name)
{
    const ctx_snapshot_t *snap;
    request_rec *r;

    c = resolve(c);
    if (!name || !c) {
        return NULL;
    }
    if ((snap = ctx_glue_task_snapshot(c)) != NULL) {
        return apr_table_get(snap->headers, name);
    }
    r = ctx_glue_request(c);
    return r ? apr_table_get(r->headers_in, name) : NULL;
}

static const char *api_info(ctx_t *c, ctx_info_t what)
{
    ctx_snapshot_t from_r;
    const ctx_snapshot_t *snap;
    request_rec *r;

    c = resolve(c);
    if (!(snap = ctx_glue_task_snapshot(c))) {
        if (!(r = ctx_glue_request(c))) {
            return NULL;
        }
        from_r.method = r->method;
        from_r.uri = r->uri;
        from_r.unparsed_uri = r->unparsed_uri;
        from_r.query = r->args;
        from_r.remote_addr = r->useragent_ip;
        from_r.user = r->user;
        snap = &from_r;
    }
    switch (what) {
    case CTX_INFO_METHOD:       return snap->method;
    case CTX_INFO_URI:          return snap->uri;
    case CTX_INFO_UNPARSED_URI: return snap->unparsed_uri;
    case CTX_INFO_QUERY:        return snap->query;
    case CTX_INFO_REMOTE_ADDR:  return snap->remote_addr;
    case CTX_INFO_USER:         return snap->user;
    }
    return NULL;
}

static int api_is_task(const ctx_t *c)
{
    return ctx_glue_task_snapshot(c ? c : ctx_context_current()) != NULL;
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
    api_session_get_string,
    api_session_set_string,
    api_session_get_int,
    api_session_set_int,
    api_session_get_bool,
    api_session_set_bool,
    api_session_get_json,
    api_session_set_json,
    api_session_has,
    api_session_remove,
    api_session_clear,
    api_session_keys,
    api_session_set_permanent,
    api_session_is_permanent,
    api_session_regenerate,
    api_session_invalidate,
    api_session_to_json,
    api_session_save_status,
    api_arg_names,
    api_g_set_ptr_copyable,
    api_header,
    api_info,
    api_is_task,
    ctx_glue_task_submit,
    ctx_glue_task_stats,
    /* version 4 */
    ctx_glue_task_submit_ex,
    api_session_get_double,
    api_session_set_double,
    api_session_append_json,
    api_session_set_field_json,
    api_session_do,
    ctx_glue_body,
    ctx_glue_form,
    ctx_glue_form_all,
    ctx_glue_form_names,
    ctx_glue_form_file,
    ctx_glue_form_files,
    ctx_glue_json_body,
    ctx_glue_cookie,
    /* version 5 */
    ctx_glue_server_stats,
    ctx_glue_user_loader,
    ctx_glue_current_user,
    ctx_glue_current_user_id,
    ctx_glue_login_user,
    ctx_glue_logout_user,
    ctx_glue_login_fresh,
    ctx_glue_confirm_login,
    ctx_glue_login_next_is_safe,
};

const ctx_api_t *ctx_glue_api_get(int version)
{
    return (version >= 1 && version <= MOD_CTX_API_VERSION) ? &api : NULL;
}
