/* mod_hello_ctx: a module outside mod_ctx's tree, built only with
 * `pkg-config --cflags mod_ctx` against an installed mod_ctx (tests/downstream/run).
 *
 *   <Location /hello>
 *       SetHandler hello-ctx
 *   </Location>
 *
 *   GET /hello?name=x   "hello x from APP (visit N)": the name argument, the
 *                       app's name and a per-client visit count (the session)
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"

#include "mod_ctx.h"

module AP_MODULE_DECLARE_DATA hello_ctx_module;
APLOG_USE_MODULE(hello_ctx);

static int hello_handler(request_rec *r)
{
    const char *name;
    apr_int64_t visits = 0;

    if (!r->handler || strcmp(r->handler, "hello-ctx")) {
        return DECLINED;
    }
    if (!ctx_api()) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    name = ctx_arg(NULL, "name");
    if (!name || !*name) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "hello_ctx: no name");
        return HTTP_BAD_REQUEST;
    }
    /* Without a session (CtxSession Off) every visit is the first. */
    ctx_session_get_int(NULL, "visits", &visits);
    ctx_session_set_int(NULL, "visits", visits + 1);
    ap_set_content_type(r, "text/plain");
    ap_rvputs(r, "hello ", name, " from ", ctx_app_name(ctx_current_app()),
              NULL);
    ap_rprintf(r, " (visit %" APR_INT64_T_FMT ")\n", visits + 1);
    return OK;
}

static int hello_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    ctx_api_require(s, "mod_hello_ctx");
    return OK;
}

static void hello_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(hello_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(hello_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA hello_ctx_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    hello_register_hooks
};
