/* mod_ctx: module definition and request-lifecycle hooks.
 *
 * The thread binding of request contexts follows these rules (see docs/lifecycle.md):
 * - create_request makes the context of every request_rec and binds it;
 * - the first hook of every request phase re-binds the request it runs for,
 *   so a handler always sees its own request even after code that ran
 *   subrequests;
 * - a subrequest is released (its outer context becomes current again) when
 *   its lookup ends (fixups, last), when its output ends (EOS), and when its
 *   pool is destroyed;
 * - a main request is released on its thread when the EOR bucket passes the
 *   connection's output filters, i.e. before write completion can move the
 *   connection to another thread; its pool cleanup (which may run on another
 *   thread) releases only the binding the context itself made. */
#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_mpm.h"
#include "mpm_common.h"

#include "mod_ctx_private.h"
#include "mod_ctx_api.h"
#include "mod_ctx_bridge.h"
#include "mod_ctx_config.h"
#include "mod_ctx_env.h"
#include "mod_ctx_expr.h"
#include "mod_ctx_request.h"
#include "mod_ctx_session.h"
#include "mod_ctx_status.h"
#include "mod_ctx_login.h"
#include "mod_ctx_store.h"
#include "mod_ctx_task.h"
#include "ctx_log.h"

/* Our filters, as registered: added by handle, without httpd's lookup of
 * the name (about 390 instructions on every request). */
static ap_filter_rec_t *subreq_end_handle, *req_enter_handle,
                       *conn_end_handle;

APLOG_USE_MODULE(ctx);

static server_rec *log_server;

static const ctx_api_t *ctx_api_get(int version);

/* ---- core logging -> error log ------------------------------------------ */

static void log_to_httpd(void *baton, ctx_log_level_t level, const char *file,
                         int line, const char *msg)
{
    (void)baton;
    ap_log_error_(file, line, APLOG_MODULE_INDEX, (int)level, 0, log_server,
                  "mod_ctx: %s", msg);
}

/* Lines about a request carry its client and request line. */
static void log_request_to_httpd(void *baton, ctx_log_level_t level,
                                 const char *file, int line, void *request,
                                 const char *msg)
{
    (void)baton;
    ap_log_rerror_(file, line, APLOG_MODULE_INDEX, (int)level, 0, request,
                   "mod_ctx: %s", msg);
}

/* ---- contexts --------------------------------------------------------- */

static int create_request(request_rec *r)
{
    ctx_t *c, *parent;

    if (r->main && (parent = ctx_glue_of(r->main)) != NULL) {
        ctx_t *cur = ctx_context_current();
        ctx_t *outer = (cur && cur->shared == parent->shared) ? cur : parent;

        c = ctx_context_create_sub(r->pool, r, parent, outer);
    }
    else if (r->prev && (parent = ctx_glue_of(r->prev)) != NULL) {
        c = ctx_context_create_redirect(r->pool, r, parent);
    }
    else {
        c = ctx_context_create_main(r->pool, r, &ctx_glue_request_ops);
    }
    ctx_glue_attach(r, c);
    ctx_context_enter(c);
    return OK;
}

/* First hook of a phase: the request it runs for is current. */
static void enter(request_rec *r)
{
    ctx_t *c = ctx_glue_of(r);

    if (c && ctx_context_current() != c) {
        ctx_context_enter(c);
    }
}

static int enter_int(request_rec *r)
{
    enter(r);
    return DECLINED;
}

static int post_read_request(request_rec *r)
{
    enter(r);
    ctx_glue_session_insert_filter(r);
    return DECLINED;
}

static void insert_error_filter(request_rec *r)
{
    /* An error response drops the request's filters; the session is saved
     * in it (after a handler's error status, or an error bucket: see
     * session_save_filter). */
    ctx_glue_session_insert_filter(r);
}

static int check_config(apr_pool_t *pconf, apr_pool_t *plog,
                        apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    if (ctx_glue_bridge_check(s) != OK) {
        return !OK;
    }
    return ctx_config_check(pconf, ptemp, s);
}

static void enter_void(request_rec *r)
{
    enter(r);
    if (r->main) {
        ap_add_output_filter_handle(subreq_end_handle, NULL, r, r->connection);
    }
}

/* Output of a request whose connection switched protocol (see
 * protocol_switch) on a thread that has no current request: the request is
 * current again while its filters run. */
static apr_status_t req_enter_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    if (!ctx_context_current()) {
        enter(f->r);
    }
    return ap_pass_brigade(f->next, bb);
}

static int enter_quick(request_rec *r, int lookup)
{
    (void)lookup;
    enter(r);
    return DECLINED;
}

/* Last fixup of a subrequest: its lookup is over; the code that asked for
 * it is running again. */
static int sub_lookup_done(request_rec *r)
{
    if (r->main) {
        ctx_context_leave(ctx_glue_of(r));
    }
    return DECLINED;
}

static int check_cookie_conf(request_rec *r)
{
    /* Sections combined per request may give a cookie browsers refuse:
     * the session is off there (ctx_session_conf_get); say why. */
    ctx_config_log_cookie_problem(r);
    return DECLINED;
}

/* log_transaction runs when the EOR bucket is destroyed: on the request's
 * thread after its binding was released (CTX_CONN_END), during write
 * completion on another worker, or while the thread already serves the
 * next request of the connection (pipelining). So that other modules'
 * log_transaction hooks see their request (ctx_current_request(), g), the
 * first hook binds it and the last one puts back what the thread had bound
 * before (usually nothing): a thread never keeps a finished request.
 * Nesting is per thread; a last hook that never ran (a hook in between
 * returned an error) leaves an entry that the next one skips, and the
 * context's pool cleanup still releases the binding. */
#define LOG_NEST_MAX 4

/* initial-exec, as ctx_binding.c's slot: no __tls_get_addr per request */
static __thread struct {
    request_rec *r;
    ctx_t *saved;               /* current before log_transaction began */
} log_nest[LOG_NEST_MAX] __attribute__((tls_model("initial-exec")));
static __thread int log_depth __attribute__((tls_model("initial-exec")));

static int log_transaction_enter(request_rec *r)
{
    ctx_t *c = ctx_glue_of(r);

    if (c && log_depth < LOG_NEST_MAX) {
        log_nest[log_depth].r = r;
        log_nest[log_depth].saved = ctx_context_current();
        ++log_depth;
        if (log_nest[log_depth - 1].saved != c) {
            ctx_context_enter(c);
        }
    }
    return DECLINED;
}

static int log_transaction(request_rec *r)
{
    ctx_t *c = ctx_glue_of(r);
    ctx_t *saved = NULL;
    int found = 0;

    while (!found && log_depth > 0) {
        --log_depth;
        if (log_nest[log_depth].r == r) {
            saved = log_nest[log_depth].saved;
            found = 1;
        }
        log_nest[log_depth].r = NULL;
        log_nest[log_depth].saved = NULL;
    }
    if (found && saved != c) {
        /* We bound c on this thread: restore the thread's own binding, if
         * c is still what it serves. */
        if (c && ctx_context_current() == c) {
            if (saved) {
                ctx_context_enter(saved);
            }
            else {
                ctx_context_unbind_thread();
            }
        }
        return DECLINED;
    }
    /* c was current already (a request that failed while being read logs
     * on its own thread), or was not bound here: release only what this
     * request's context bound (this may be another thread). */
    ctx_context_leave(c);
    return DECLINED;
}

static apr_status_t subreq_end_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    if (!APR_BRIGADE_EMPTY(bb) && APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(bb))) {
        request_rec *r = f->r;
        ctx_t *cur = ctx_context_current();
        apr_status_t rv;

        if (cur && cur != ctx_glue_of(r)) {
            request_rec *cr = cur->request;

            for (cr = cr->main; cr && cr != r; cr = cr->main)
                ;
            if (cr == r) {
                /* The EOS of a nested subrequest whose output passes
                 * through our filters: not ours. */
                return ap_pass_brigade(f->next, bb);
            }
        }
        ap_remove_output_filter(f);
        rv = ap_pass_brigade(f->next, bb);
        ctx_context_leave(ctx_glue_of(r));
        return rv;
    }
    return ap_pass_brigade(f->next, bb);
}

static apr_status_t conn_end_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    apr_bucket *b;

    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        if (AP_BUCKET_IS_EOR(b)) {
            ctx_t *cur = ctx_context_current();

            /* The request is over on this thread; what follows (write
             * completion, the next connection) serves no request. */
            if (cur && ((request_rec *)cur->request)->connection == f->c) {
                ctx_context_unbind_thread();
            }
            break;
        }
    }
    return ap_pass_brigade(f->next, bb);
}

static int pre_connection(conn_rec *c, void *csd)
{
    (void)csd;
    ap_add_output_filter_handle(conn_end_handle, NULL, NULL, c);
    return OK;
}

/* Event MPM: the connection leaves this thread (keep-alive wait, write
 * completion, a suspended request). Runs on the thread that served it. */
static void suspend_connection(conn_rec *c, request_rec *r)
{
    ctx_t *cur = ctx_context_current();

    (void)r;
    if (cur && ((request_rec *)cur->request)->connection == c) {
        ctx_context_unbind_thread();
    }
}

/* Event MPM: a suspended request resumes on this thread. */
static void resume_connection(conn_rec *c, request_rec *r)
{
    (void)c;
    if (r) {
        enter(r);
    }
}

static int process_connection(conn_rec *c)
{
    (void)c;
    /* A thread that starts on a connection serves no request yet. */
    ctx_context_unbind_thread();
    return DECLINED;
}

/* A request switches its connection to another protocol (h2c Upgrade):
 * mod_http2 then runs the whole HTTP/2 session from inside this call, on
 * this thread; the request is not what this thread serves from now on. */
static int protocol_switch(conn_rec *c, request_rec *r, server_rec *s,
                           const char *protocol)
{
    ctx_t *cur = ctx_context_current();

    (void)s;
    (void)protocol;
    if (cur && ((request_rec *)cur->request)->connection == c) {
        ctx_context_unbind_thread();
    }
    /* Only such a request pays for this filter, not every request. */
    if (r) {
        ap_add_output_filter_handle(req_enter_handle, NULL, r, c);
    }
    return DECLINED;
}

/* ---- startup ------------------------------------------------------------ */

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    apr_status_t rv;

    (void)plog;
    (void)ptemp;
    log_server = s;
    ctx_log_set(log_to_httpd, NULL);
    ctx_log_set_request_fn(log_request_to_httpd);
    ctx_config_warn_keys(s);
    if ((rv = ctx_config_build_apps(pconf, s)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "mod_ctx: cannot create "
                     "the application contexts");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ctx_config_check_shared_keys(s);
    return ctx_glue_store_post_config(pconf, s);
}

static int pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    return ctx_glue_store_pre_config(pconf);
}

static void child_init(apr_pool_t *pchild, server_rec *s)
{
    ctx_glue_store_child_init(pchild, s);
    ctx_glue_task_child_init(pchild, s);
    if (ctx_config_child_init(pchild) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "mod_ctx: no memory "
                     "to keep merged configurations: merging per request");
    }
    for (; s; s = s->next) {
        ctx_server_conf_t *conf = ctx_server_conf(s);
        apr_status_t rv = ctx_app_child_init(conf->app, pchild);

        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "mod_ctx: app %s: "
                         "cannot prepare per-process resources",
                         ctx_app_name(conf->app));
        }
    }
}

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    APR_REGISTER_OPTIONAL_FN(ctx_api_get);

    ap_hook_pre_config(pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_pre_connection(pre_connection, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_process_connection(process_connection, NULL, NULL,
                               APR_HOOK_REALLY_FIRST);
    ap_hook_suspend_connection(suspend_connection, NULL, NULL,
                               APR_HOOK_MIDDLE);
    ap_hook_resume_connection(resume_connection, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_protocol_switch(protocol_switch, NULL, NULL, APR_HOOK_REALLY_FIRST);

    ap_hook_create_request(create_request, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_check_config(check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(post_read_request, NULL, NULL,
                              APR_HOOK_REALLY_FIRST);
    ap_hook_insert_error_filter(insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    ap_hook_quick_handler(enter_quick, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_translate_name(enter_int, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_map_to_storage(enter_int, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_header_parser(enter_int, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_fixups(enter_int, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_fixups(sub_lookup_done, NULL, NULL, APR_HOOK_REALLY_LAST);
    ap_hook_fixups(check_cookie_conf, NULL, NULL, APR_HOOK_LAST);
    ap_hook_insert_filter(enter_void, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_handler(enter_int, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_log_transaction(log_transaction_enter, NULL, NULL,
                            APR_HOOK_REALLY_FIRST);
    ap_hook_log_transaction(log_transaction, NULL, NULL,
                            APR_HOOK_REALLY_LAST);

    subreq_end_handle = ap_register_output_filter(
        "CTX_SUBREQ_END", subreq_end_filter, NULL, AP_FTYPE_CONTENT_SET - 1);
    req_enter_handle = ap_register_output_filter(
        "CTX_REQ_ENTER", req_enter_filter, NULL, AP_FTYPE_RESOURCE - 9);
    conn_end_handle = ap_register_output_filter(
        "CTX_CONN_END", conn_end_filter, NULL, AP_FTYPE_CONNECTION);
    ctx_glue_session_register();
    ctx_glue_expr_register();
    ctx_glue_env_register();
    ctx_glue_bridge_register();
    ctx_glue_status_register();
    ctx_glue_login_register(p);
}

/* The optional function is declared in mod_ctx.h; its body is here so that
 * APR_REGISTER_OPTIONAL_FN sees it. */
static const ctx_api_t *ctx_api_get(int version)
{
    return ctx_glue_api_get(version);
}

module AP_MODULE_DECLARE_DATA ctx_module = {
    STANDARD20_MODULE_STUFF,
    ctx_create_dir_conf,
    ctx_merge_dir_conf,
    ctx_create_server_conf,
    ctx_merge_server_conf,
    ctx_cmds,
    register_hooks,
    /* Every vhost gets its own merged server config, also one with no Ctx*
     * directive: each vhost is its own app (named after its ServerName). */
    AP_MODULE_FLAG_ALWAYS_MERGE
};
