/* mod_ctx_expr: see mod_ctx_expr.h.
 *
 * Functions (one string argument, a string result, "" when absent):
 *   ctx_session('key')  the session's value (strings as they are, other
 *                       values as JSON text: ctx_export_value)
 *   ctx_g('key')        g's string entry
 *   ctx_config('KEY')   CtxConfig of the request's directory, else server
 *   ctx_arg('name')     the first query-string value of `name`
 * Variable: %{CTX_USER_ID}, the logged-in user's id.
 * A read of the session loads it (Vary: Cookie, as any read) and changes
 * nothing: no save, no Set-Cookie of its own. */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "ap_expr.h"
#include "apr_strings.h"

#include "ctx_args.h"
#include "ctx_export.h"
#include "ctx_g.h"
#include "ctx_session.h"
#include "mod_ctx_config.h"
#include "mod_ctx_expr.h"
#include "mod_ctx_login.h"
#include "mod_ctx_private.h"
#include "mod_ctx_request.h"
#include "mod_ctx_session.h"

/* The session's value of `key` as a string in `p`, or NULL (no context, no
 * session here, no such key). */
static const char *session_value(request_rec *r, apr_pool_t *p,
                                 const char *key)
{
    ctx_t *c = ctx_glue_of(r);
    ctx_session_t *s;
    apr_status_t rv;

    if (!c || !key || !(s = ctx_glue_session(c, &rv))) {
        return NULL;
    }
    return ctx_export_value(p, ctx_session_get(s, key));
}

const char *ctx_glue_user_id(request_rec *r, apr_pool_t *p)
{
    ctx_t *c = ctx_glue_of(r);
    const char *id;

    /* The login as ctx_current_user_id() resolves it (session protection,
     * remember cookie), not the raw "_user_id" key: a login that "strong"
     * protection refuses must not pass `Require expr`. */
    id = c ? ctx_glue_current_user_id(c) : NULL;
    return id ? apr_pstrdup(p, id) : NULL;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static const char *fn_session(ap_expr_eval_ctx_t *ctx, const void *data,
                              const char *arg)
{
    (void)data;
    return ctx->r ? or_empty(session_value(ctx->r, ctx->p, arg)) : "";
}

static const char *fn_g(ap_expr_eval_ctx_t *ctx, const void *data,
                        const char *arg)
{
    ctx_t *c = ctx->r ? ctx_glue_of(ctx->r) : NULL;

    (void)data;
    return c && arg ? or_empty(ctx_gtable_get(ctx_context_g(c), arg)) : "";
}

static const char *fn_config(ap_expr_eval_ctx_t *ctx, const void *data,
                             const char *arg)
{
    const char *v = NULL;

    (void)data;
    if (!arg) {
        return "";
    }
    if (ctx->r) {
        v = apr_hash_get(ctx_dir_conf(ctx->r)->config, arg,
                         APR_HASH_KEY_STRING);
    }
    if (!v && ctx->s) {
        v = apr_hash_get(ctx_server_conf(ctx->s)->config, arg,
                         APR_HASH_KEY_STRING);
    }
    return or_empty(v);
}

static const char *fn_arg(ap_expr_eval_ctx_t *ctx, const void *data,
                          const char *arg)
{
    ctx_t *c = ctx->r ? ctx_glue_of(ctx->r) : NULL;

    (void)data;
    return c && arg ? or_empty(ctx_args_get(ctx_context_args(c), arg)) : "";
}

static const char *var_user_id(ap_expr_eval_ctx_t *ctx, const void *data)
{
    (void)data;
    return ctx->r ? or_empty(ctx_glue_user_id(ctx->r, ctx->p)) : "";
}

static const struct {
    const char *name;
    ap_expr_string_func_t *fn;
} functions[] = {
    { "ctx_session", fn_session },
    { "ctx_g", fn_g },
    { "ctx_config", fn_config },
    { "ctx_arg", fn_arg },
};

static int expr_lookup(ap_expr_lookup_parms *parms)
{
    apr_size_t i;

    if (parms->type == AP_EXPR_FUNC_VAR
        && !strcasecmp(parms->name, "CTX_USER_ID")) {
        *parms->func = (const void *)var_user_id;
        *parms->data = NULL;
        return OK;
    }
    if (parms->type != AP_EXPR_FUNC_STRING) {
        return DECLINED;
    }
    for (i = 0; i < sizeof(functions) / sizeof(functions[0]); i++) {
        if (!strcasecmp(parms->name, functions[i].name)) {
            /* A literal argument is known now: an empty one is a typo the
             * config test should name. */
            if (parms->arg && !*parms->arg) {
                *parms->err = apr_psprintf(parms->ptemp, "mod_ctx: %s() "
                                           "needs a non-empty name",
                                           functions[i].name);
                return !OK;
            }
            *parms->func = (const void *)functions[i].fn;
            *parms->data = NULL;
            return OK;
        }
    }
    return DECLINED;
}

void ctx_glue_expr_register(void)
{
    ap_hook_expr_lookup(expr_lookup, NULL, NULL, APR_HOOK_MIDDLE);
}
