/* mod_ctx_test: checks mod_ctx's context invariants from inside httpd, for
 * the integration tests (tests/integration). Never installed.
 *
 * Every check that fails logs an error line starting "CTX-INVARIANT"; the
 * tests fail on any unexpected error line, so a broken invariant anywhere in
 * a run fails the test that caused it. What is checked:
 *   - ctx_current_request() is NULL or a live request (its pool not yet
 *     destroyed: a registry of live requests, filled in create_request before
 *     mod_ctx and emptied by a pool cleanup that runs after mod_ctx's);
 *   - it belongs to the connection whose filter or hook is running (a
 *     connection output filter on every connection, HTTP/2 secondary ones
 *     included);
 *   - in request hooks and the request filter it is the request (or one of
 *     its subrequests, whose output passes through the main's filters);
 *   - after a request's pool is destroyed it is not current on the thread
 *     that destroyed it, and a NOTICE says when that thread was not the one
 *     that created the request (asynchronous write completion);
 *   - a thread started in child_init sees no request and no app until it
 *     pushes one; with CtxConfig TEST_APP_TASK it then submits a background
 *     task from that app context, which logs what it sees.
 *
 *   <Location /t> SetHandler ctx-test </Location>
 *   GET /t/whoami       what the context says about this request
 *   GET /t/big?size=N   N bytes of body (for write completion)
 *   GET /t/teardown?tag=T&n=N&fail=I&code=C  N teardown callbacks that log
 *                       their order and the final status; the I-th fails;
 *                       the answer has status C
 *   GET /t/slow?tag=T&chunks=N  N flushed chunks 100 ms apart (abort test)
 *   GET /t/g?tag=T      exercises g; a pointer's destructor logs at the end
 *   GET /t/thread       what a thread started by the handler sees
 *   GET /t/session-late?early=1  a session change after the headers left
 *   GET /t/session-lifetimes  strings from the session API outlive changes
 *   GET /t/session-op?get=K&set=K&value=V  session calls, their statuses;
 *                       with redirect=U, reads K, then internally redirects
 *                       to U (which answers)
 *   GET /t/session-errbucket?set=K&value=V|get=K  sets or reads K, then
 *                       ends the response with an error bucket (status=C,
 *                       default 502) and EOS, as mod_proxy and other
 *                       modules do when a backend fails; data=1: a body
 *                       bucket before it in the same brigade; flush=1: a
 *                       body and a flush first (the headers go out), then
 *                       late=L sets L and the body says "late_rv=RV"
 *   GET /t/session-json?op=OP&k=KEY&f=FIELD&v=VALUE  one JSON call of the
 *                       session API (set-double get-double set-json get-json
 *                       append field do task task-ex strerror; task with k and v
 *                       sets k first; task-ex with ms: a task that sets k,
 *                       sleeps ms and logs its on_done status); answers
 *                       rv=, err= (ctx_strerror) and value= or item= lines
 *   GET /t/sub?uri=U    runs a subrequest for U (its output first), then
 *                       says which request was current after its lookup,
 *                       run and destroy
 *   GET /t/task-done?tag=T&n=N&ms=M  submits N background tasks with
 *                       ctx_task_submit_ex; each logs when it starts, sleeps
 *                       M ms; the completion callback logs how each ended
 *   POST /t/form?get=N  the form: "field NAME=VALUE" per value, "file NAME
 *                       filename=F type=T len=L hex=H" per file, and with
 *                       get=N the first value of N ("get=V" or "get_status=S")
 *   POST /t/json        the body's JSON text as ctx_json_body gives it
 *   POST /t/body        the raw body as ctx_body gives it
 *   POST /t/bodysub     a subrequest for /t/body (echoes the body), then
 *                       "\nmain_len=N" as the main request sees it
 *   GET /t/cookie?name=N  "cookie=VALUE" or "cookie=(none)"
 *   GET /t/user?sub=U|redirect=U  the login after a subrequest for U, or
 *                       after an internal redirect to U, with the calls of
 *                       the loader (CtxConfig TEST_LOADER apps)
 *   GET /t/confirm      ctx_confirm_login, then "confirm=... fresh=N"
 *   Body errors answer ctx_body_http_status(status).
 * The handler dispatches on the last path segment, so the endpoints also
 * answer under other paths handled by ctx-test (e.g. a DirectoryIndex file).
 * With `CtxConfig TEST_LOG_CURRENT on`, the log_transaction hook logs (at
 * notice) what ctx_current_request(), g and ctx_arg(NULL, ...) say there.
 * With `CtxConfig TEST_G_FROM_ARG on` (server level), post_read_request
 * sets g "from_arg" to the query's "g" (for ap_expr's ctx_g()).
 * With `CtxConfig TEST_G_TRAIL on`, every request's fixups hook appends its
 * uri to g "trail" (shown by whoami): what a subrequest or an internal
 * redirect sees of its main request's g.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "http_main.h"
#include "util_filter.h"
#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "apr_thread_proc.h"

#include "mod_ctx.h"

module AP_MODULE_DECLARE_DATA ctx_test_module;
APLOG_USE_MODULE(ctx_test);

#define HANDLER "ctx-test"
#define CONN_FILTER "CTX_TEST_CONN"
#define REQ_FILTER "CTX_TEST_REQ"

/* ---- the registry of live requests --------------------------------------- */

typedef struct {
    request_rec *r;
    apr_os_thread_t creator;
} live_t;

static apr_thread_mutex_t *live_lock;
static apr_hash_t *live;        /* request_rec* -> live_t* */

static int is_live(request_rec *r)
{
    int found;

    if (!live) {
        return 1;               /* not initialised: nothing to say */
    }
    apr_thread_mutex_lock(live_lock);
    found = apr_hash_get(live, &r, sizeof(r)) != NULL;
    apr_thread_mutex_unlock(live_lock);
    return found;
}

/* The current request is NULL or live, and belongs to connection `c` (when
 * given). Returns the current request. */
static request_rec *check_current(const char *where, conn_rec *c)
{
    request_rec *cur = ctx_current_request();

    if (!cur) {
        return NULL;
    }
    if (!is_live(cur)) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf,
                     "CTX-INVARIANT %s: current request %pp is not live",
                     where, (void *)cur);
        return NULL;
    }
    if (c && cur->connection != c) {
        ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c,
                      "CTX-INVARIANT %s: current request %s belongs to "
                      "another connection", where, cur->uri);
    }
    return cur;
}

/* `cur` is `r` or one of its subrequests. */
static int is_r_or_sub(request_rec *cur, request_rec *r)
{
    for (; cur; cur = cur->main) {
        if (cur == r) {
            return 1;
        }
    }
    return 0;
}

static void check_request_hook(const char *where, request_rec *r)
{
    request_rec *cur = check_current(where, r->connection);

    if (cur != r) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "CTX-INVARIANT %s: current request is %s, not %s",
                      where, cur ? cur->uri : "NULL", r->uri);
    }
}

static apr_status_t live_remove(void *data)
{
    live_t *l = data;
    request_rec *r = l->r;

    apr_thread_mutex_lock(live_lock);
    apr_hash_set(live, &l->r, sizeof(l->r), NULL);
    apr_thread_mutex_unlock(live_lock);
    /* mod_ctx's own cleanup ran before this one (registered later). */
    if (ctx_current_request() == r) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf,
                     "CTX-INVARIANT cleanup: destroyed request %pp is still "
                     "current", (void *)r);
    }
    check_current("cleanup", NULL);
    if (!apr_os_thread_equal(l->creator, apr_os_thread_current())) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                     "ctx_test: request pool destroyed on another thread");
    }
    return APR_SUCCESS;
}

/* Runs before mod_ctx's create_request (REALLY_FIRST): our cleanup is
 * registered first, so it runs after mod_ctx's. */
static int test_create_request(request_rec *r)
{
    live_t *l = apr_palloc(r->pool, sizeof(*l));

    l->r = r;
    l->creator = apr_os_thread_current();
    apr_thread_mutex_lock(live_lock);
    apr_hash_set(live, &l->r, sizeof(l->r), l);
    apr_thread_mutex_unlock(live_lock);
    apr_pool_cleanup_register(r->pool, l, live_remove, apr_pool_cleanup_null);
    return DECLINED;
}

/* ---- hooks and filters that check ---------------------------------------- */

static int test_post_read_request(request_rec *r)
{
    const char *g;

    check_request_hook("post_read_request", r);
    if (ctx_config(r, "TEST_G_FROM_ARG") && (g = ctx_arg(r, "g")) != NULL) {
        ctx_g_set(ctx_of(r), "from_arg", g);
    }
    return DECLINED;
}

static int test_translate_name(request_rec *r)
{
    check_request_hook("translate_name", r);
    return DECLINED;
}

static int test_fixups(request_rec *r)
{
    ctx_t *c = ctx_of(r);
    const char *trail;

    check_request_hook("fixups", r);
    if (c && ctx_config(r, "TEST_G_TRAIL")) {
        trail = ctx_g_get(c, "trail");
        ctx_g_set(c, "trail", trail ? apr_pstrcat(r->pool, trail, ">", r->uri,
                                                  NULL)
                                    : r->uri);
    }
    /* Parse the arguments now: a later ap_internal_fast_redirect (mod_dir)
     * changes r->args, and ctx_arg must follow. */
    (void)ctx_arg(r, "tag");
    return DECLINED;
}

/* With `CtxConfig TEST_LOG_CURRENT on`: what a Flask-style helper (no
 * request_rec argument) sees in log_transaction, logged at notice. */
static int test_log_transaction(request_rec *r)
{
    request_rec *cur = check_current("log_transaction", r->connection);

    if (ctx_config(r, "TEST_LOG_CURRENT")) {
        const char *tag = ctx_g_get(NULL, "whoami_tag");
        const char *arg = ctx_arg(NULL, "tag");
        ctx_app_t *app = ctx_current_app();

        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                     "ctx_test log_transaction uri=%s current_is_r=%d "
                     "g_whoami_tag=%s arg_tag=%s app=%s", r->uri, cur == r,
                     tag ? tag : "-", arg ? arg : "-",
                     app ? ctx_app_name(app) : "-");
    }
    return DECLINED;
}

static apr_status_t conn_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    check_current("connection filter", f->c);
    return ap_pass_brigade(f->next, bb);
}

/* A request's filter runs for that request: the current request is it or,
 * when a subrequest's output passes through its parent's filters, that
 * subrequest. This holds for every brigade, a subrequest's last one (the
 * one with its EOS) included. */
static apr_status_t req_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *cur = check_current("request filter", f->c);

    if (!is_r_or_sub(cur, f->r)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, f->r,
                      "CTX-INVARIANT request filter: current request is %s, "
                      "not %s or its subrequest", cur ? cur->uri : "NULL",
                      f->r->uri);
    }
    return ap_pass_brigade(f->next, bb);
}

static int test_pre_connection(conn_rec *c, void *csd)
{
    /* mod_proxy's connection to a backend is made and used on the thread
     * of the client request it serves: that request is rightly current. */
    if (c->outgoing) {
        return OK;
    }
    check_current("pre_connection", c);
    ap_add_output_filter(CONN_FILTER, NULL, NULL, c);
    return OK;
}

static void test_insert_filter(request_rec *r)
{
    check_request_hook("insert_filter", r);
    ap_add_output_filter(REQ_FILTER, NULL, r, r->connection);
}

/* ---- the handler ---------------------------------------------------------- */

static const char *arg_or(request_rec *r, const char *name, const char *dflt)
{
    const char *v = ctx_arg(r, name);

    return v ? v : dflt;
}

static int answer_whoami(request_rec *r)
{
    ctx_t *c = ctx_of(r);
    ctx_app_t *app = ctx_current_app();

    ap_rprintf(r, "uri=%s\n", r->uri);
    ap_rprintf(r, "current_is_r=%d\n", ctx_current_request() == r);
    ap_rprintf(r, "ctx_request_is_r=%d\n", c && ctx_request(c) == r);
    ap_rprintf(r, "is_subrequest=%d\n", r->main != NULL);
    ap_rprintf(r, "is_redirect=%d\n", r->prev != NULL);
    ap_rprintf(r, "main_uri=%s\n", r->main ? r->main->uri : "-");
    ap_rprintf(r, "prev_uri=%s\n", r->prev ? r->prev->uri : "-");
    ap_rprintf(r, "arg_tag=%s\n", arg_or(NULL, "tag", "-"));
    ap_rprintf(r, "g_mark=%s\n", c && ctx_g_get(c, "mark") ? ctx_g_get(c, "mark") : "-");
    ap_rprintf(r, "app=%s\n", app ? ctx_app_name(app) : "-");
    ap_rprintf(r, "config_TEST_KEY=%s\n",
               ctx_config(r, "TEST_KEY") ? ctx_config(r, "TEST_KEY") : "-");
    ap_rprintf(r, "g_trail=%s\n",
               c && ctx_g_get(c, "trail") ? ctx_g_get(c, "trail") : "-");
    ap_rprintf(r, "protocol=%s\n", r->protocol);
    /* HTTP/2: the connection of the stream and the client's connection. */
    ap_rprintf(r, "conn=%pp\n", (void *)r->connection);
    ap_rprintf(r, "master_conn=%pp\n", r->connection->master
                                       ? (void *)r->connection->master
                                       : (void *)r->connection);
    ap_rprintf(r, "pid=%ld\n", (long)getpid());
    if (c) {
        ctx_g_set(c, "whoami_tag", arg_or(r, "tag", "-"));
    }
    /* Leave a mark for a later subrequest or redirect of this request. */
    if (c && !ctx_g_has(c, "mark")) {
        ctx_g_set(c, "mark", r->uri);
    }
    return OK;
}

static int answer_big(request_rec *r)
{
    apr_off_t size = apr_atoi64(arg_or(r, "size", "1048576"));
    char *chunk = apr_palloc(r->pool, 65536);

    memset(chunk, 'x', 65536);
    ap_set_content_length(r, size);
    while (size > 0) {
        apr_size_t n = size > 65536 ? 65536 : (apr_size_t)size;

        if (ap_rwrite(chunk, (int)n, r) < 0) {
            break;
        }
        size -= n;
    }
    return OK;
}

typedef struct {
    const char *tag;
    int i;
    int fail;
} teardown_baton_t;

static apr_status_t logging_teardown(ctx_t *c, int status, void *baton)
{
    teardown_baton_t *b = baton;
    request_rec *r = ctx_request(c);

    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                 "ctx_test teardown tag=%s i=%d status=%d aborted=%d uri=%s",
                 b->tag, b->i, status,
                 r && r->connection ? (int)r->connection->aborted : -1,
                 r ? r->uri : "-");
    return b->i == b->fail ? APR_EGENERAL : APR_SUCCESS;
}

static void register_teardowns(request_rec *r, const char *tag, int n,
                               int fail)
{
    int i;

    for (i = 1; i <= n; i++) {
        teardown_baton_t *b = apr_palloc(r->pool, sizeof(*b));

        b->tag = tag;
        b->i = i;
        b->fail = fail;
        if (ctx_on_teardown(ctx_of(r), logging_teardown, b) != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "CTX-INVARIANT: ctx_on_teardown failed");
        }
    }
}

static int answer_teardown(request_rec *r)
{
    int code = atoi(arg_or(r, "code", "200"));
    const char *mark = ctx_arg(r, "mark");

    if (mark) {
        ctx_g_set(ctx_of(r), "mark", mark);
    }
    register_teardowns(r, arg_or(r, "tag", "-"), atoi(arg_or(r, "n", "1")),
                       atoi(arg_or(r, "fail", "0")));
    if (code != 200) {
        return code;
    }
    ap_rputs("teardowns registered\n", r);
    return OK;
}

static int answer_slow(request_rec *r)
{
    int chunks = atoi(arg_or(r, "chunks", "50"));
    int i;

    register_teardowns(r, arg_or(r, "tag", "-"), 1, 0);
    for (i = 0; i < chunks && !r->connection->aborted; i++) {
        ap_rprintf(r, "chunk %d\n", i);
        if (ap_rflush(r) < 0) {
            break;
        }
        apr_sleep(apr_time_from_msec(100));
    }
    return OK;
}

typedef struct {
    const char *tag;
} g_obj_t;

static void g_obj_free(void *ptr)
{
    g_obj_t *o = ptr;

    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                 "ctx_test g dtor tag=%s current=%s", o->tag,
                 ctx_current_request() ? "request" : "none");
    free(o);
}

static int print_entry(void *baton, const char *key, const char *sval,
                       void *ptr)
{
    request_rec *r = baton;

    ap_rprintf(r, "entry %s=%s\n", key, sval ? sval : "<ptr>");
    return 1;
}

static int answer_g(request_rec *r)
{
    ctx_t *c = ctx_of(r);
    g_obj_t *o = malloc(sizeof(*o));
    const char *v = NULL;
    int popped;

    o->tag = apr_pstrdup(r->server->process->pool, arg_or(r, "tag", "-"));
    ap_rprintf(r, "set=%d\n", ctx_g_set(c, "user", "alice") == APR_SUCCESS);
    ap_rprintf(r, "set_ptr=%d\n", ctx_g_set_ptr(c, "obj", o, g_obj_free) == APR_SUCCESS);
    ap_rprintf(r, "get=%s\n", ctx_g_get(c, "user"));
    ap_rprintf(r, "get_ptr_same=%d\n", ctx_g_get_ptr(c, "obj") == o);
    ap_rprintf(r, "has_user=%d has_nope=%d\n", ctx_g_has(c, "user"),
               ctx_g_has(c, "nope"));
    ctx_g_setdefault(c, "lang", "en", &v);
    ap_rprintf(r, "setdefault_new=%s\n", v);
    ctx_g_setdefault(c, "lang", "fr", &v);
    ap_rprintf(r, "setdefault_old=%s\n", v);
    ctx_g_set(c, "tmp", "1");
    v = NULL;
    /* Not in the ap_rprintf arguments: their order of evaluation is
     * unspecified, and v would be read before the pop. */
    popped = ctx_g_pop(c, "tmp", &v) == APR_SUCCESS;
    ap_rprintf(r, "pop=%d:%s\n", popped, v ? v : "(null)");
    ap_rprintf(r, "has_tmp=%d\n", ctx_g_has(c, "tmp"));
    ap_rprintf(r, "remove_missing=%d\n", ctx_g_remove(c, "tmp") == APR_NOTFOUND);
    ap_rprintf(r, "null_key=%d\n", ctx_g_set(c, NULL, "x") == APR_EINVAL);
    ctx_g_do(c, print_entry, r);
    return OK;
}

typedef struct {
    int request_null;
    int ctx_null;
    int app_null;
} thread_view_t;

static void *APR_THREAD_FUNC look_around(apr_thread_t *t, void *data)
{
    thread_view_t *v = data;

    v->request_null = ctx_current_request() == NULL;
    v->ctx_null = ctx_current() == NULL;
    v->app_null = ctx_current_app() == NULL;
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static apr_status_t run_thread(apr_pool_t *p, thread_view_t *v)
{
    apr_thread_t *t;
    apr_status_t rv, trv;

    rv = apr_thread_create(&t, NULL, look_around, v, p);
    if (rv == APR_SUCCESS) {
        rv = apr_thread_join(&trv, t);
    }
    return rv;
}

static int answer_thread(request_rec *r)
{
    thread_view_t v = { 0, 0, 0 };

    if (run_thread(r->pool, &v) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_rprintf(r, "thread_request_null=%d\nthread_ctx_null=%d\n"
               "thread_app_null=%d\nhandler_current_is_r=%d\n",
               v.request_null, v.ctx_null, v.app_null,
               ctx_current_request() == r);
    return OK;
}

static const char *current_name(request_rec *r, request_rec *rr)
{
    request_rec *cur = ctx_current_request();

    return cur == r ? "caller" : cur == NULL ? "none"
                  : cur == rr ? "sub" : "other";
}

/* The subrequest's output goes through this request's filters, as with
 * mod_include. Not for nesting /t/sub in /t/sub: a nested subrequest reuses
 * its parent's SUBREQ_CORE filter, passing its EOS to a filter of the parent
 * sets the parent's eos_sent (ap_pass_brigade), and the parent's own
 * buffered ap_rprintf output is then never flushed (plain httpd). */
static int answer_sub(request_rec *r)
{
    const char *uri = ctx_arg(r, "uri");
    int before_is_r = ctx_current_request() == r;
    const char *after_lookup, *after_run = "-", *after_destroy;
    const char *whoami_tag;
    request_rec *rr;
    int lookup_status, status, ran = 0;

    if (!uri) {
        return HTTP_BAD_REQUEST;
    }
    /* What the main request leaves in g for the subrequest. */
    ctx_g_set(ctx_of(r), "mark", "set-by-main");
    rr = ap_sub_req_lookup_uri(uri, r, r->output_filters);
    after_lookup = current_name(r, rr);
    status = lookup_status = rr->status;
    if (status == HTTP_OK) {
        ran = 1;
        status = ap_run_sub_req(rr);
        after_run = current_name(r, rr);
    }
    ap_destroy_sub_req(rr);
    after_destroy = current_name(r, NULL);
    whoami_tag = ctx_g_get(ctx_of(r), "whoami_tag");
    ap_rprintf(r, "caller_before_is_r=%d\n", before_is_r);
    ap_rprintf(r, "caller_lookup_status=%d\n", lookup_status);
    ap_rprintf(r, "caller_ran=%d\n", ran);
    ap_rprintf(r, "caller_run_status=%d\n", status);
    ap_rprintf(r, "caller_after_lookup=%s\n", after_lookup);
    ap_rprintf(r, "caller_after_run=%s\n", after_run);
    ap_rprintf(r, "caller_after_destroy=%s\n", after_destroy);
    ap_rprintf(r, "caller_arg_uri=%s\n", arg_or(NULL, "uri", "-"));
    ap_rprintf(r, "caller_g_whoami_tag=%s\n", whoami_tag ? whoami_tag : "-");
    return OK;
}

/* GET /t/session-late?early=1: a session change after the response headers
 * were sent (CTX_ETOOLATE). */
static int answer_session_late(request_rec *r)
{
    apr_status_t rv;

    if (ctx_arg(r, "early")) {
        rv = ctx_session_set_string(NULL, "early", "yes");
        ap_rprintf(r, "early=%d\n", rv);
    }
    ap_rputs("flushed=1\n", r);
    if (ap_rflush(r) < 0) {
        return OK;
    }
    rv = ctx_session_set_string(NULL, "late", "yes");
    ap_rprintf(r, "late=%d\netoolate=%d\nsave_status=%d\n", rv,
               CTX_ETOOLATE, ctx_session_save_status(NULL));
    return OK;
}

/* GET /t/session-lifetimes: every string the session API hands out must
 * outlive the change that follows it (read, then clear/set/remove, then
 * use), as the header promises: request-pool lifetime. Under ASan a lent
 * pointer into the session's data is a heap-use-after-free here. */
static int answer_session_lifetimes(request_rec *r)
{
    const char *user = NULL, *csrf = NULL, *json = NULL, *all = NULL;
    apr_array_header_t *keys = NULL;
    char big[64];
    int i;

    if (ctx_session_set_string(NULL, "user", "alice-the-first-user") != APR_SUCCESS
        || ctx_session_set_string(NULL, "csrf", "token-one-0123456789") != APR_SUCCESS
        || ctx_session_set_json(NULL, "cart", "[1,2,3]") != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ctx_session_get_string(NULL, "user", &user);
    ctx_session_get_string(NULL, "csrf", &csrf);
    ctx_session_get_json(NULL, "cart", &json);
    ctx_session_keys(NULL, &keys);
    ctx_session_to_json(NULL, &all);
    /* logout, new token, churn the allocator */
    ctx_session_clear(NULL);
    ctx_session_set_string(NULL, "csrf", "token-two-9876543210");
    ctx_session_remove(NULL, "csrf");
    for (i = 0; i < 32; ++i) {
        apr_snprintf(big, sizeof(big), "churn-%02d-xxxxxxxxxxxxxxxx", i);
        ctx_session_set_string(NULL, big, big);
    }
    ctx_session_clear(NULL);
    ap_rprintf(r, "user=%s\ncsrf=%s\ncart=%s\n", user ? user : "-",
               csrf ? csrf : "-", json ? json : "-");
    ap_rputs("keys=", r);
    for (i = 0; keys && i < keys->nelts; ++i) {
        ap_rprintf(r, "%s%s", i ? "," : "", APR_ARRAY_IDX(keys, i, const char *));
    }
    ap_rprintf(r, "\nall=%s\n", all ? all : "-");
    return OK;
}

/* GET /t/session-op?get=K&set=K&value=V: what the session API says to
 * this request (an SSI include, for instance): the get's and the set's
 * status and the value read. */
static int answer_session_op(request_rec *r)
{
    const char *get = ctx_arg(r, "get"), *set = ctx_arg(r, "set");
    const char *val = NULL;

    if (set) {
        ap_rprintf(r, "set_status=%d\n",
                   ctx_session_set_string(ctx_of(r), set,
                                          arg_or(r, "value", "")));
    }
    if (get && arg_or(r, "redirect", NULL)) {
        /* A page that looks at the session and hands over to another one
         * (not logged in: show the login page), which reads it too. */
        ctx_session_get_string(ctx_of(r), get, &val);
        ap_internal_redirect(ctx_arg(r, "redirect"), r);
        return OK;
    }
    if (get) {
        ap_rprintf(r, "get_status=%d\n",
                   ctx_session_get_string(ctx_of(r), get, &val));
        ap_rprintf(r, "value=%s\n", val ? val : "-");
    }
    return OK;
}

/* GET /t/session-errbucket?set=K&value=V|get=K&status=C: a session
 * change (or read), then the response ends with an error bucket and EOS
 * instead of a body: httpd's header filter turns it into ap_die(C). */
static int answer_session_errbucket(request_rec *r)
{
    const char *get = ctx_arg(r, "get"), *set = ctx_arg(r, "set");
    const char *val = NULL;
    int status = atoi(arg_or(r, "status", "502"));
    apr_bucket_brigade *bb;
    apr_status_t rv;

    if (set) {
        ctx_session_set_string(ctx_of(r), set, arg_or(r, "value", ""));
    }
    if (get) {
        ctx_session_get_string(ctx_of(r), get, &val);
    }
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    if (ctx_arg(r, "flush")) {
        const char *late = ctx_arg(r, "late");

        ap_rputs("partial\n", r);
        ap_rflush(r);
        if (late) {
            ap_rprintf(r, "late_rv=%d\n",
                       ctx_session_set_string(ctx_of(r), late, "x"));
        }
    }
    else if (ctx_arg(r, "data")) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(
                                        "partial\n", 8,
                                        r->connection->bucket_alloc));
    }
    APR_BRIGADE_INSERT_TAIL(bb, ap_bucket_error_create(status, NULL, r->pool,
                                                       r->connection
                                                       ->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(r->connection
                                                      ->bucket_alloc));
    rv = ap_pass_brigade(r->output_filters, bb);
    /* As mod_proxy: the error response has gone out; nothing more to say. */
    return rv == AP_FILTER_ERROR ? AP_FILTER_ERROR : OK;
}

/* ---- background tasks with a completion callback ------------------------ */

typedef struct {
    int i;
    apr_interval_time_t sleep;
} done_baton_t;

static apr_status_t sleepy_task(ctx_t *c, void *baton)
{
    done_baton_t *b = baton;
    const char *tag = ctx_g_get(c, "task_tag");

    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                 "ctx_test task start tag=%s i=%d", tag ? tag : "-", b->i);
    apr_sleep(b->sleep);
    return APR_SUCCESS;
}

/* Frees the baton: it is the submitter's again, whether the task ran. */
static void task_done(ctx_t *c, ctx_task_outcome_t outcome,
                      apr_status_t status, void *baton)
{
    done_baton_t *b = baton;
    const char *tag = ctx_g_get(c, "task_tag");
    const char *uri = ctx_info(c, CTX_INFO_URI);

    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                 "ctx_test task done tag=%s i=%d outcome=%s status_ok=%d "
                 "eshutdown=%d current_is_c=%d uri=%s", tag ? tag : "-", b->i,
                 outcome == CTX_TASK_RAN ? "ran"
                 : outcome == CTX_TASK_DROPPED ? "dropped" : "?",
                 status == APR_SUCCESS, status == CTX_ESHUTDOWN,
                 ctx_current() == c, uri ? uri : "-");
    free(b);
}

static int answer_task_done(request_rec *r)
{
    int n = atoi(arg_or(r, "n", "1"));
    apr_interval_time_t ms = apr_atoi64(arg_or(r, "ms", "0"));
    int i, accepted = 0;

    ctx_g_set(ctx_of(r), "task_tag", arg_or(r, "tag", "-"));
    for (i = 1; i <= n && i <= 64; i++) {
        done_baton_t *b = malloc(sizeof(*b));
        apr_status_t rv;

        if (!b) {
            break;
        }
        b->i = i;
        b->sleep = apr_time_from_msec(ms);
        rv = ctx_task_submit_ex(r, sleepy_task, b, NULL, task_done);
        if (rv == APR_SUCCESS) {
            accepted++;
        }
        else {
            free(b);            /* refused: still ours, on_done never runs */
        }
    }
    ap_rprintf(r, "accepted=%d\n", accepted);
    return OK;
}

/* ---- GET /t/session-json: the JSON calls of the session API -------------- */

typedef struct {
    request_rec *r;
    int stop_after, seen, remove;
} walk_t;

static int print_item(void *baton, const char *key, const char *json)
{
    walk_t *w = baton;

    /* Removing the visited key must not free what we were handed. */
    if (w->remove) {
        ctx_session_remove(NULL, key);
    }
    ap_rprintf(w->r, "item=%s %s\n", key, json);
    return !(w->stop_after && ++w->seen >= w->stop_after);
}

/* A background task: its session is a read-only copy of a cookie
 * session; of a stored one, its changes are merged when it ends. */
static apr_status_t session_task(ctx_t *c, void *baton)
{
    const char *k = NULL;
    apr_status_t get = ctx_session_get_json(c, "k", &k);
    apr_status_t set = ctx_session_set_string(c, "k", "task");
    apr_status_t append = ctx_session_append_json(c, "l", "1");

    (void)baton;
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                 "ctx_test session task: get=%d k=%s set=%d append=%d",
                 get, k ? k : "-", set, append);
    return APR_SUCCESS;
}

/* A background task that changes a stored session at once, then sleeps
 * `sleep` before returning APR_SUCCESS: a test stops the store meanwhile, so
 * that only the merge after fn can fail. */
typedef struct {
    apr_interval_time_t sleep;
} slow_baton_t;

static apr_status_t slow_session_task(ctx_t *c, void *baton)
{
    slow_baton_t *b = baton;
    apr_status_t set = ctx_session_set_string(c, "k", "task");

    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                 "ctx_test slow session task: set=%d", set);
    apr_sleep(b->sleep);
    return APR_SUCCESS;
}

/* on_done of slow_session_task: the status the task ended with (fn's, or
 * its session save's failure); frees the baton, the submitter's again. */
static void slow_session_done(ctx_t *c, ctx_task_outcome_t outcome,
                              apr_status_t status, void *baton)
{
    (void)c;
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                 "ctx_test slow session task done: outcome=%s status=%d",
                 outcome == CTX_TASK_RAN ? "ran" : "dropped", status);
    free(baton);
}

static int answer_session_json(request_rec *r)
{
    const char *op = arg_or(r, "op", "");
    const char *k = ctx_arg(r, "k"), *f = ctx_arg(r, "f"), *v = ctx_arg(r, "v");
    const char *json = NULL;
    char err[256];
    apr_status_t rv;

    if (!strcmp(op, "set-double")) {
        rv = ctx_session_set_double(NULL, k, v ? strtod(v, NULL) : 0);
    }
    else if (!strcmp(op, "get-double")) {
        double d = 0;

        if ((rv = ctx_session_get_double(NULL, k, &d)) == APR_SUCCESS) {
            char num[40];

            /* libc's, not APR's formatter: that one rounds off digits. */
            snprintf(num, sizeof(num), "%.17g", d);
            ap_rprintf(r, "value=%s\n", num);
        }
    }
    else if (!strcmp(op, "set-json")) {
        rv = ctx_session_set_json(NULL, k, v);
    }
    else if (!strcmp(op, "get-json")) {
        if ((rv = ctx_session_get_json(NULL, k, &json)) == APR_SUCCESS) {
            ap_rprintf(r, "value=%s\n", json);
        }
    }
    else if (!strcmp(op, "append")) {
        rv = ctx_session_append_json(NULL, k, v);
    }
    else if (!strcmp(op, "field")) {
        rv = ctx_session_set_field_json(NULL, k, f, v);
    }
    else if (!strcmp(op, "do")) {
        walk_t w = { r, atoi(arg_or(r, "stop", "0")), 0,
                     ctx_arg(r, "remove") != NULL };

        rv = ctx_session_do(NULL, print_item, &w);
    }
    else if (!strcmp(op, "task")) {
        /* With k and v: the request sets k itself first (the task's and
         * the request's changes are merged in a stored session). */
        rv = k && v ? ctx_session_set_json(NULL, k, v) : APR_SUCCESS;
        if (rv == APR_SUCCESS) {
            rv = ctx_task_submit(r, session_task, NULL, NULL);
        }
    }
    else if (!strcmp(op, "task-ex")) {
        /* slow_session_task with on_done; ms: how long it sleeps. */
        slow_baton_t *b = malloc(sizeof(*b));

        rv = APR_ENOMEM;
        if (b) {
            b->sleep = apr_time_from_msec(apr_atoi64(arg_or(r, "ms", "0")));
            rv = ctx_task_submit_ex(r, slow_session_task, b, NULL,
                                    slow_session_done);
            if (rv != APR_SUCCESS) {
                free(b);        /* refused: still ours */
            }
        }
    }
    else if (!strcmp(op, "strerror")) {
        rv = (apr_status_t)atoi(arg_or(r, "status", "0"));
    }
    else {
        return HTTP_NOT_FOUND;
    }
    ap_rprintf(r, "rv=%d\nerr=%s\n", rv, ctx_strerror(rv, err, sizeof(err)));
    return OK;
}

/* ---- request body and cookies --------------------------------------------- */

static int answer_form(request_rec *r)
{
    apr_array_header_t *names, *files;
    const char *get = ctx_arg(r, "get"), *v = NULL;
    apr_status_t rv;

    if ((rv = ctx_form_names(r, &names)) != APR_SUCCESS) {
        return ctx_body_http_status(rv);
    }
    for (int i = 0; i < names->nelts; ++i) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        apr_array_header_t *vals;

        if ((rv = ctx_form_all(r, name, &vals)) != APR_SUCCESS) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        for (int j = 0; j < vals->nelts; ++j) {
            ap_rprintf(r, "field %s=%s\n", name,
                       APR_ARRAY_IDX(vals, j, const char *));
        }
    }
    if ((rv = ctx_form_files(r, NULL, &files)) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (int i = 0; i < files->nelts; ++i) {
        const ctx_form_file_t *f = APR_ARRAY_IDX(files, i,
                                                 const ctx_form_file_t *);
        const ctx_form_file_t *first = NULL;

        ap_rprintf(r, "file %s filename=%s type=%s len=%" APR_SIZE_T_FMT
                   " hex=", f->name, f->filename,
                   f->content_type ? f->content_type : "(none)", f->len);
        for (apr_size_t k = 0; k < f->len; ++k) {
            ap_rprintf(r, "%02x", (unsigned char)f->data[k]);
        }
        ap_rputs("\n", r);
        if (ctx_form_file(r, f->name, &first) != APR_SUCCESS || !first) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    if (get) {
        rv = ctx_form(r, get, &v);
        if (rv == APR_SUCCESS) {
            ap_rprintf(r, "get=%s\n", v);
        }
        else {
            ap_rprintf(r, "get_status=%d\n", ctx_body_http_status(rv));
        }
    }
    return OK;
}

static int answer_json(request_rec *r)
{
    const char *json = NULL;
    apr_status_t rv = ctx_json_body(r, &json);

    if (rv != APR_SUCCESS) {
        return ctx_body_http_status(rv);
    }
    ap_set_content_type(r, "application/json");
    ap_rputs(json, r);
    return OK;
}

static int answer_body(request_rec *r)
{
    const char *data = NULL;
    apr_size_t len = 0;
    apr_status_t rv = ctx_body(r, &data, &len);

    if (rv != APR_SUCCESS) {
        return ctx_body_http_status(rv);
    }
    ap_set_content_type(r, "application/octet-stream");
    ap_rwrite(data, (int)len, r);
    return OK;
}

static int answer_bodysub(request_rec *r)
{
    request_rec *sub = ap_sub_req_lookup_uri("/t/body", r, r->output_filters);
    const char *data = NULL;
    apr_size_t len = 0;
    apr_status_t rv;
    int st = sub ? ap_run_sub_req(sub) : HTTP_INTERNAL_SERVER_ERROR;

    if (sub) {
        ap_destroy_sub_req(sub);
    }
    if (st != OK) {
        return st;
    }
    if ((rv = ctx_body(r, &data, &len)) != APR_SUCCESS) {
        return ctx_body_http_status(rv);
    }
    ap_rprintf(r, "\nmain_len=%" APR_SIZE_T_FMT, len);
    return OK;
}

static int answer_cookie(request_rec *r)
{
    const char *v = ctx_cookie(r, arg_or(r, "name", ""));

    ap_rprintf(r, "cookie=%s\n", v ? v : "(none)");
    /* Out now: httpd discards an unread body after the handler, and would
     * send "100 Continue" for that if nothing had been sent yet. */
    ap_rflush(r);
    return OK;
}

/* ---- login: a loader that counts its calls per client request --------- */

#define LOADS_NOTE "ctx_test loader calls"
#define FREED_NOTE "ctx_test user freed"

/* The client request: the first of the redirect chain of the main request
 * (its notes outlive subrequests and internal redirects). */
static request_rec *client_of(request_rec *r)
{
    for (;;) {
        if (r->main) {
            r = r->main;
        }
        else if (r->prev) {
            r = r->prev;
        }
        else {
            return r;
        }
    }
}

static apr_status_t user_freed(void *data)
{
    apr_table_setn(((request_rec *)data)->notes, FREED_NOTE, "1");
    return APR_SUCCESS;
}

/* For apps with CtxConfig TEST_LOADER: the user is the id, allocated in
 * the pool of the request the loader is given; the client request's notes
 * count the calls and say whether that pool went before the request. */
static void *counting_loader(ctx_t *c, const char *id, void *baton)
{
    request_rec *r = ctx_request(c), *client;
    const char *n;
    char *user;

    (void)baton;
    if (!r) {
        return NULL;
    }
    client = client_of(r);
    n = apr_table_get(client->notes, LOADS_NOTE);
    apr_table_setn(client->notes, LOADS_NOTE,
                   apr_itoa(client->pool, (n ? atoi(n) : 0) + 1));
    /* set now: the cleanup only replaces it (no allocation then) */
    apr_table_setn(client->notes, FREED_NOTE, "0");
    user = apr_pstrdup(r->pool, id);
    apr_pool_cleanup_register(r->pool, client, user_freed,
                              apr_pool_cleanup_null);
    return user;
}

/* GET /t/user[?sub=URI|redirect=URI]: first a subrequest (whose handler
 * is the first to ask for the user) or, after asking, an internal
 * redirect; then the login as this request sees it. */
static int answer_user(request_rec *r)
{
    request_rec *client = client_of(r);
    const char *sub = r->main || r->prev ? NULL : ctx_arg(r, "sub");
    const char *redirect = r->main || r->prev ? NULL
                                              : ctx_arg(r, "redirect");
    const char *user, *loads, *freed;

    if (sub) {
        request_rec *rr = ap_sub_req_lookup_uri(sub, r, r->output_filters);

        if (rr->status == HTTP_OK) {
            ap_run_sub_req(rr);
        }
        ap_destroy_sub_req(rr);
    }
    user = ctx_current_user(NULL);
    if (redirect) {
        ap_internal_redirect(redirect, r);
        return OK;
    }
    loads = apr_table_get(client->notes, LOADS_NOTE);
    freed = apr_table_get(client->notes, FREED_NOTE);
    ap_rprintf(r, "%s user=%s loads=%s freed=%s\n",
               r->main ? "sub" : r->prev ? "redirect" : "main",
               user ? user : "-", loads ? loads : "0", freed ? freed : "-");
    return OK;
}

/* GET /t/confirm: ctx_confirm_login (after re-entering a password). */
static int answer_confirm(request_rec *r)
{
    apr_status_t rv = ctx_confirm_login(NULL);

    ap_rprintf(r, "confirm=%s fresh=%d\n",
               rv == APR_SUCCESS ? "ok"
               : rv == APR_NOTFOUND ? "nobody" : "error",
               ctx_login_fresh(NULL));
    return rv == APR_SUCCESS || rv == APR_NOTFOUND
           ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

/* After the example's child_init (which gives every app its loader). */
static void loader_child_init(apr_pool_t *p, server_rec *s)
{
    (void)p;
    for (; s && ctx_api(); s = s->next) {
        ctx_app_t *app = ctx_app_of(s);

        if (app && ctx_app_config(app, "TEST_LOADER")) {
            ctx_user_loader(app, counting_loader, NULL);
        }
    }
}

static int test_handler(request_rec *r)
{
    const char *name;

    if (!r->handler || strcmp(r->handler, HANDLER)) {
        return DECLINED;
    }
    check_request_hook("handler", r);
    ap_set_content_type(r, "text/plain");
    name = strrchr(r->uri, '/');
    name = name ? name + 1 : r->uri;
    if (!strcmp(name, "whoami")) {
        return answer_whoami(r);
    }
    if (!strcmp(name, "big")) {
        return answer_big(r);
    }
    if (!strcmp(name, "teardown")) {
        return answer_teardown(r);
    }
    if (!strcmp(name, "slow")) {
        return answer_slow(r);
    }
    if (!strcmp(name, "g")) {
        return answer_g(r);
    }
    if (!strcmp(name, "thread")) {
        return answer_thread(r);
    }
    if (!strcmp(name, "sub")) {
        return answer_sub(r);
    }
    if (!strcmp(name, "session-op")) {
        return answer_session_op(r);
    }
    if (!strcmp(name, "session-errbucket")) {
        return answer_session_errbucket(r);
    }
    if (!strcmp(name, "session-lifetimes")) {
        return answer_session_lifetimes(r);
    }
    if (!strcmp(name, "task-done")) {
        return answer_task_done(r);
    }
    if (!strcmp(name, "session-late")) {
        return answer_session_late(r);
    }
    if (!strcmp(name, "session-json")) {
        return answer_session_json(r);
    }
    if (!strcmp(name, "form")) {
        return answer_form(r);
    }
    if (!strcmp(name, "json")) {
        return answer_json(r);
    }
    if (!strcmp(name, "body")) {
        return answer_body(r);
    }
    if (!strcmp(name, "bodysub")) {
        return answer_bodysub(r);
    }
    if (!strcmp(name, "cookie")) {
        return answer_cookie(r);
    }
    if (!strcmp(name, "user")) {
        return answer_user(r);
    }
    if (!strcmp(name, "confirm")) {
        return answer_confirm(r);
    }
    return HTTP_NOT_FOUND;
}

/* ---- a module's own thread in a child ------------------------------------ */

typedef struct {
    server_rec *s;
    const char *result;
} child_thread_t;

/* A task submitted by a module's own thread from an app context. */
static apr_status_t app_task(ctx_t *c, void *baton)
{
    ctx_app_t *app = ctx_current_app();
    const char *key = ctx_config(NULL, "TEST_KEY");

    (void)baton;
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                 "ctx_test app task: app=%s TEST_KEY=%s request=%s is_task=%d "
                 "current_is_c=%d", app ? ctx_app_name(app) : "-",
                 key ? key : "-", ctx_current_request() ? "live" : "none",
                 ctx_is_task(NULL), ctx_current() == c);
    return APR_SUCCESS;
}

static void *APR_THREAD_FUNC child_thread(apr_thread_t *t, void *data)
{
    child_thread_t *ct = data;
    ctx_app_t *app = ctx_app_of(ct->s);
    const char *key;

    if (ctx_current_request() || ctx_current() || ctx_current_app()) {
        ct->result = "context before push";
    }
    /* ctx_task_submit with nothing to copy (no request, no app pushed). */
    else if (ctx_task_submit(NULL, app_task, NULL, NULL) != APR_EINVAL) {
        ct->result = "task submit without a context not refused";
    }
    else if (!app || ctx_app_push(app) != APR_SUCCESS) {
        ct->result = "push failed";
    }
    else {
        key = ctx_app_config(ctx_current_app(), "TEST_KEY");
        ct->result = apr_psprintf(ct->s->process->pool,
                                  "ok app=%s TEST_KEY=%s",
                                  ctx_app_name(ctx_current_app()),
                                  key ? key : "-");
        if (ctx_task_submit(NULL, NULL, NULL, NULL) != APR_EINVAL) {
            ct->result = "task submit without a function not refused";
        }
        else if (ctx_app_config(app, "TEST_APP_TASK")
            && ctx_task_submit(NULL, app_task, NULL, NULL) != APR_SUCCESS) {
            ct->result = "task submit failed";
        }
        if (ctx_app_pop(app) != APR_SUCCESS || ctx_current_app()) {
            ct->result = "pop failed";
        }
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static void test_child_init(apr_pool_t *p, server_rec *s)
{
    child_thread_t ct = { s, "not run" };
    apr_thread_t *t;
    apr_status_t rv, trv;

    apr_thread_mutex_create(&live_lock, APR_THREAD_MUTEX_DEFAULT, p);
    live = apr_hash_make(p);
    if (!ctx_api()) {
        return;
    }
    rv = apr_thread_create(&t, NULL, child_thread, &ct, p);
    if (rv == APR_SUCCESS) {
        rv = apr_thread_join(&trv, t);
    }
    if (rv != APR_SUCCESS || strncmp(ct.result, "ok ", 3)) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "CTX-INVARIANT child thread: %s", ct.result);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "ctx_test child thread: %s", ct.result);
    }
}

static void test_register_hooks(apr_pool_t *p)
{
    (void)p;
    /* Before mod_ctx's REALLY_FIRST create_request: see test_create_request */
    ap_hook_create_request(test_create_request, NULL, NULL,
                           APR_HOOK_REALLY_FIRST - 10);
    ap_hook_child_init(test_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(loader_child_init, NULL, NULL, APR_HOOK_REALLY_LAST);
    ap_hook_pre_connection(test_pre_connection, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(test_post_read_request, NULL, NULL,
                              APR_HOOK_MIDDLE);
    ap_hook_translate_name(test_translate_name, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_fixups(test_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_filter(test_insert_filter, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(test_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(test_log_transaction, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_output_filter(CONN_FILTER, conn_filter, NULL,
                              AP_FTYPE_CONNECTION);
    ap_register_output_filter(REQ_FILTER, req_filter, NULL,
                              AP_FTYPE_CONTENT_SET);
}

module AP_MODULE_DECLARE_DATA ctx_test_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    test_register_hooks
};
