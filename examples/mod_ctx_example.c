/* mod_ctx_example: what a content module looks like on top of mod_ctx.
 *
 *   <Location />
 *       SetHandler ctx-example
 *   </Location>
 *
 *   GET /home?page=2   the page argument, read by a helper that is given no
 *                      request_rec (Flask: request.args.get("page"))
 *   GET /g             what a fixups hook put in `g` earlier in the request
 *   GET /config        the app's name, CtxConfig values, a per-process app
 *                      resource
 *   GET /counter       increments the session's integer `count`: count=N
 *                      (a non-integer or INT64_MAX count starts again)
 *   GET /session       the whole session as a JSON object
 *   GET /session/set?k=v&...        sets string values, answers the session
 *   GET /session/setjson?k=<json>   sets JSON values, answers the session
 *   GET /session/clear              empties the session (deletes the cookie
 *                                   and, with CtxSessionStore, the entry)
 *   GET /session/regenerate         moves the session to a new id (a new
 *                                   cookie; with a store, the old entry is
 *                                   deleted)
 *   GET /session/permanent?on=1|0   makes the session permanent or not
 * (the session needs CtxSession On and a CtxSecretKey; with CtxSessionStore
 * socache:..., a store that is down answers 503 "session store
 * unavailable": CTX_ESTORE)
 *   GET /background?email=x   queues a task that, after BACKGROUND_DELAY_MS
 *                      (CtxConfig, default 100), appends a line with the
 *                      URI, a `g` value and the session's user to the file
 *                      CtxConfig BACKGROUND_LOG names (opened once per
 *                      child, an app resource); answers 202 at once
 *                      (503 when the queue is full). ?fail=1: the task fails
 *   GET /background/status    the task counters of the whole server (all
 *                      children, ctx_server_stats; this child's with an
 *                      older mod_ctx)
 *   POST /greet        name=x as a form (urlencoded or multipart): hello x
 *                      (Flask: request.form["name"]; a missing field is 400,
 *                      a body over CtxMaxBodySize 413)
 *   GET /login         a login form (fields username, password, remember,
 *                      next); POST /login checks them against CtxConfig
 *                      LOGIN_USERS "alice:wonderland bob:builder" (a demo
 *                      table of name:password), logs in (ctx_login_user) and
 *                      redirects (303) to next (a local path only) or /me;
 *                      a wrong password answers 401 with the form
 *   GET|POST /logout   ctx_logout_user, then 303 to /login
 *   GET /me            "user=NAME fresh=0|1", or "anonymous" (the user
 *                      loader knows the users of LOGIN_USERS)
 *
 * It builds against include/mod_ctx.h only (no link to mod_ctx) and still
 * loads when mod_ctx is absent: it logs one error at startup and answers 503.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "mod_ctx.h"

module AP_MODULE_DECLARE_DATA ctx_example_module;
APLOG_USE_MODULE(ctx_example);

#define HANDLER "ctx-example"

/* ---- code that is handed no request_rec ---------------------------------- */

/* Like a Flask view reading request.args: the request is found through the
 * thread's request context. */
static const char *current_page(void)
{
    const char *page = ctx_arg(NULL, "page");

    return page ? page : "1";
}

/* ---- a per-process app resource: a stand-in for a connection pool -------- */

typedef struct {
    apr_thread_mutex_t *lock;
    const char *dsn;
    pid_t pid;
    apr_uint64_t uses;
} demo_pool_t;

static apr_status_t demo_pool_create(void **res, ctx_app_t *app,
                                     apr_pool_t *p, void *baton)
{
    demo_pool_t *dp = apr_pcalloc(p, sizeof(*dp));
    const char *dsn = ctx_app_config(app, "DATABASE_URL");

    (void)baton;
    dp->dsn = apr_pstrdup(p, dsn ? dsn : "(no DATABASE_URL)");
    dp->pid = getpid();
    *res = dp;
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                  "ctx_example: demo-pool of app %s created in pid %" APR_PID_T_FMT,
                  ctx_app_name(app), dp->pid);
    return apr_thread_mutex_create(&dp->lock, APR_THREAD_MUTEX_DEFAULT, p);
}

static void demo_pool_destroy(void *res, void *baton)
{
    demo_pool_t *dp = res;

    (void)baton;    /* a real pool would close its connections here */
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, ap_server_conf,
                  "ctx_example: demo-pool destroyed in pid %" APR_PID_T_FMT
                  " after %" APR_UINT64_T_FMT " uses", dp->pid, dp->uses);
}

/* ---- g, filled before the handler runs ----------------------------------- */

static apr_status_t count_teardown(ctx_t *c, int status, void *baton)
{
    request_rec *r = ctx_request(c);

    (void)baton;
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                  "ctx_example: teardown of %s, status %d", r->uri, status);
    return APR_SUCCESS;
}

/* `v` in decimal, written backwards so that it ends just before `end` (at
 * most 20 characters); returns where it starts. For the fixups hook and
 * /counter (the session benchmark's endpoint), where apr_psprintf()'s
 * formatter costs more than the rest of their work. */
static char *int64_text(char *end, apr_int64_t v)
{
    char *p = end;
    apr_uint64_t u = v < 0 ? 0 - (apr_uint64_t)v : (apr_uint64_t)v;

    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) {
        *--p = '-';
    }
    return p;
}

/* The pages that show g, carry it into a task, or stand for a page's usual
 * work (/home, measured by bench/run as such); the session pages need none
 * of it, and bench/run's /counter should measure the session alone. */
static int uses_g(const char *uri)
{
    return !strcmp(uri, "/home") || !strcmp(uri, "/g")
           || !strncmp(uri, "/background", 11);
}

static int example_fixups(request_rec *r)
{
    char started[21];

    if (!r->handler || strcmp(r->handler, HANDLER) || r->main
        || !uses_g(r->uri)) {
        return DECLINED;
    }
    /* Data for the handler (or any later module), without a shared struct
     * (g copies strings: a stack buffer will do). */
    ctx_g_set(NULL, "set_by", "ctx_example fixups hook");
    started[20] = '\0';
    ctx_g_set(NULL, "request_started", int64_text(started + 20, r->request_time));
    ctx_on_teardown(NULL, count_teardown, NULL);
    return DECLINED;
}

/* ---- the handler ----------------------------------------------------------- */

static int print_g_entry(void *baton, const char *key, const char *sval,
                         void *pval)
{
    request_rec *r = baton;

    if (sval) {
        ap_rprintf(r, "g.%s=%s\n", key, sval);
    }
    else {
        ap_rprintf(r, "g.%s=<pointer %pp>\n", key, pval);
    }
    return 1;
}

static int answer_home(request_rec *r)
{
    ap_rprintf(r, "home page=%s\n", current_page());
    return OK;
}

static int answer_g(request_rec *r)
{
    ctx_g_do(NULL, print_g_entry, r);
    return OK;
}

static int answer_config(request_rec *r)
{
    ctx_app_t *app = ctx_current_app();
    apr_array_header_t *keys = ctx_arg_all(NULL, "key");
    demo_pool_t *dp = NULL;
    apr_status_t rv;

    ap_rprintf(r, "app=%s\n", ctx_app_name(app));
    if (!keys || keys->nelts == 0) {
        keys = apr_array_make(r->pool, 1, sizeof(const char *));
        APR_ARRAY_PUSH(keys, const char *) = "DATABASE_URL";
    }
    for (int i = 0; i < keys->nelts; ++i) {
        const char *k = APR_ARRAY_IDX(keys, i, const char *);
        const char *v = ctx_config(NULL, k);

        ap_rprintf(r, "config.%s=%s\n", k, v ? v : "(unset)");
    }
    rv = ctx_app_resource(app, "demo-pool", demo_pool_create,
                          demo_pool_destroy, NULL, (void **)&dp);
    if (rv == APR_SUCCESS) {
        apr_uint64_t uses;

        apr_thread_mutex_lock(dp->lock);
        uses = ++dp->uses;
        apr_thread_mutex_unlock(dp->lock);
        ap_rprintf(r, "resource.dsn=%s\nresource.pid=%" APR_PID_T_FMT
                   "\nresource.uses=%" APR_UINT64_T_FMT "\n",
                   dp->dsn, dp->pid, uses);
    }
    else {
        ap_rprintf(r, "resource.error=%d\n", rv);
    }
    return OK;
}

/* ---- sessions ------------------------------------------------------------- */

/* Map a session status to an answer: the API never fails silently. */
static int session_failed(request_rec *r, apr_status_t rv, const char *what)
{
    int status = HTTP_INTERNAL_SERVER_ERROR;

    if (rv == CTX_ESTORE) {
        /* The store is down: say so, and keep the client's cookie (mod_ctx
         * sends none). Not an empty session. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "ctx_example: %s: session store unavailable", what);
        r->status = HTTP_SERVICE_UNAVAILABLE;
        apr_table_setn(r->headers_out, "Retry-After", "1");
        ap_set_content_type(r, "text/plain");
        ap_rputs("session store unavailable, try again shortly\n", r);
        return OK;
    }
    if (rv == CTX_EDISABLED) status = HTTP_NOT_FOUND;
    else if (rv == APR_EINVAL) status = HTTP_BAD_REQUEST;
    else if (rv == CTX_ETOOLARGE) status = HTTP_REQUEST_ENTITY_TOO_LARGE;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "ctx_example: %s failed (%d)", what, rv);
    return status;
}

static int answer_session_json(request_rec *r)
{
    const char *json;
    apr_status_t rv = ctx_session_to_json(NULL, &json);

    if (rv != APR_SUCCESS) {
        return session_failed(r, rv, "reading the session");
    }
    ap_set_content_type(r, "application/json");
    ap_rprintf(r, "%s\n", json);
    return OK;
}

static int answer_counter(request_rec *r)
{
    apr_int64_t count = 0;
    apr_status_t rv = ctx_session_get_int(NULL, "count", &count);

    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        /* a non-integer count (or no session): start again from 0 */
        if (rv != APR_EINVAL) {
            return session_failed(r, rv, "reading count");
        }
        count = 0;
    }
    if (count == APR_INT64_MAX) {
        count = 0;              /* e.g. set by a Flask app: no overflow */
    }
    if ((rv = ctx_session_set_int(NULL, "count", count + 1)) != APR_SUCCESS) {
        return session_failed(r, rv, "setting count");
    }
    {
        char line[32], *end = line + sizeof(line) - 1;
        char *start = int64_text(end, count + 1) - 6;

        *end = '\n';
        memcpy(start, "count=", 6);
        ap_rwrite(start, (int)(end + 1 - start), r);
    }
    return OK;
}

/* /session/set and /session/setjson: every argument is a key. */
static int answer_session_set(request_rec *r, int as_json)
{
    apr_array_header_t *names = ctx_arg_names(NULL);

    for (int i = 0; names && i < names->nelts; ++i) {
        const char *k = APR_ARRAY_IDX(names, i, const char *);
        const char *v = ctx_arg(NULL, k);
        apr_status_t rv = as_json ? ctx_session_set_json(NULL, k, v)
                                  : ctx_session_set_string(NULL, k, v);

        if (rv != APR_SUCCESS) {
            return session_failed(r, rv, apr_pstrcat(r->pool, "setting ", k,
                                                     NULL));
        }
    }
    return answer_session_json(r);
}

/* ---- background tasks ------------------------------------------------------ */

/* The task log, opened once per child (an app resource): opening and
 * closing a file per task costs more than the task. */
typedef struct {
    int fd;
} task_log_t;

static apr_status_t task_log_create(void **res, ctx_app_t *app,
                                    apr_pool_t *p, void *baton)
{
    task_log_t *tl = apr_pcalloc(p, sizeof(*tl));

    (void)app;
    /* O_APPEND: each task's single write() lands whole at the end. */
    tl->fd = open((const char *)baton, O_WRONLY | O_APPEND | O_CREAT
                  | O_CLOEXEC, 0644);
    if (tl->fd < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    *res = tl;
    return APR_SUCCESS;
}

static void task_log_destroy(void *res, void *baton)
{
    (void)baton;
    close(((task_log_t *)res)->fd);
}

/* Runs later on a task thread, after the response has gone. It uses the
 * same calls as request code: they see the task's copy of the request. */
static apr_status_t background_work(ctx_t *c, void *baton)
{
    const char *path = ctx_config(NULL, "BACKGROUND_LOG");
    const char *delay = ctx_config(NULL, "BACKGROUND_DELAY_MS");
    const char *email = ctx_arg(NULL, "email");
    const char *started = ctx_g_get(c, "request_started");
    const char *user = NULL;
    task_log_t *tl;
    apr_status_t rv;
    char line[1024], name[4200];
    int n, ms = delay ? atoi(delay) : 100;

    (void)baton;
    if (ms > 0) {
        apr_sleep(apr_time_from_msec(ms));      /* "a slow API" */
    }
    if (ctx_arg(NULL, "fail")) {
        return APR_EGENERAL;    /* counted, and logged with method and URI */
    }
    if (!path) {
        return APR_ENOENT;
    }
    ctx_session_get_string(c, "user", &user);
    n = snprintf(line, sizeof(line), "uri=%s email=%s g.request_started=%s "
                 "user=%s request=%s\n", ctx_info(c, CTX_INFO_UNPARSED_URI),
                 email ? email : "-", started ? started : "-",
                 user ? user : "-", ctx_current_request() ? "live" : "none");
    if (n < 0) {
        return APR_EGENERAL;
    }
    if ((size_t)n >= sizeof(line)) {    /* a long URI: cut, keep the newline */
        n = (int)sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    /* One resource per log path (CtxConfig may differ per location). The
     * path (in this task's pool) is read by the constructor only, during
     * this call; the destructor does not use it. */
    if ((size_t)snprintf(name, sizeof(name), "ctx_example.task_log:%s", path)
        >= sizeof(name)) {
        return APR_ENAMETOOLONG;
    }
    rv = ctx_app_resource(NULL, name, task_log_create, task_log_destroy,
                          (void *)path, (void **)&tl);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* One write of a short line with O_APPEND: lines never interleave. */
    return write(tl->fd, line, (size_t)n) == n ? APR_SUCCESS
                                               : APR_FROM_OS_ERROR(errno);
}

static int answer_background(request_rec *r)
{
    ctx_task_stats_t st;
    apr_status_t rv;

    if (!strcmp(r->uri, "/background/status")) {
        ctx_server_stats_t ss;

        /* The whole server's tasks (every child, every app); this child's
         * own pool if the server-wide counters are not there. */
        if (ctx_server_stats(NULL, &ss) == APR_SUCCESS) {
            st.queued = ss.tasks_queued;
            st.running = ss.tasks_running;
            st.done = ss.tasks_done;
            st.failed = ss.tasks_failed;
            st.rejected = ss.tasks_rejected;
            st.dropped = ss.tasks_dropped;
        }
        else {
            ctx_task_stats(&st);
        }
        ap_rprintf(r, "queued=%" APR_UINT64_T_FMT "\nrunning=%" APR_UINT64_T_FMT
                   "\ndone=%" APR_UINT64_T_FMT "\nfailed=%" APR_UINT64_T_FMT
                   "\nrejected=%" APR_UINT64_T_FMT "\ndropped=%"
                   APR_UINT64_T_FMT "\npid=%" APR_PID_T_FMT "\n",
                   st.queued, st.running, st.done, st.failed, st.rejected,
                   st.dropped, getpid());
        return OK;
    }
    rv = ctx_task_submit(r, background_work, NULL, NULL);
    if (rv == CTX_EQUEUEFULL || rv == CTX_ESHUTDOWN) {
        /* The caller decides: here, ask the client to come back. */
        apr_table_setn(r->err_headers_out, "Retry-After", "1");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "ctx_example: cannot "
                      "queue the background task");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    r->status = HTTP_ACCEPTED;
    ap_rputs("queued\n", r);
    return OK;
}

static int answer_session(request_rec *r)
{
    apr_status_t rv;

    if (!strcmp(r->uri, "/session")) {
        return answer_session_json(r);
    }
    if (!strcmp(r->uri, "/session/set")) {
        return answer_session_set(r, 0);
    }
    if (!strcmp(r->uri, "/session/setjson")) {
        return answer_session_set(r, 1);
    }
    if (!strcmp(r->uri, "/session/clear")) {
        if ((rv = ctx_session_clear(NULL)) != APR_SUCCESS) {
            return session_failed(r, rv, "clearing the session");
        }
        return answer_session_json(r);
    }
    if (!strcmp(r->uri, "/session/regenerate")) {
        if ((rv = ctx_session_regenerate(NULL)) != APR_SUCCESS) {
            return session_failed(r, rv, "regenerating the session");
        }
        return answer_session_json(r);
    }
    if (!strcmp(r->uri, "/session/permanent")) {
        const char *on = ctx_arg(NULL, "on");

        rv = ctx_session_set_permanent(NULL, on && strcmp(on, "0"));
        if (rv != APR_SUCCESS) {
            return session_failed(r, rv, "setting permanent");
        }
        return answer_session_json(r);
    }
    return HTTP_NOT_FOUND;
}

/* request.form["name"]: the body is read here, on first use. */
static int answer_greet(request_rec *r)
{
    const char *name;
    apr_status_t rv;

    if (r->method_number != M_POST) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if ((rv = ctx_form(NULL, "name", &name)) != APR_SUCCESS) {
        return ctx_body_http_status(rv);
    }
    ap_rprintf(r, "hello %s\n", name);
    return OK;
}


/* ---- login (Flask-Login's model) ------------------------------------------ */

/* 1 if name:password is in the LOGIN_USERS table ("alice:wonderland
 * bob:builder"); with password NULL, 1 if the user exists. A demo: real
 * modules keep password hashes, not passwords. */
static int known_user(const char *table, const char *name,
                      const char *password)
{
    apr_size_t nlen = strlen(name);

    while (table && *table) {
        const char *end = table + strcspn(table, " "), *colon;

        colon = memchr(table, ':', (apr_size_t)(end - table));
        if (colon && (apr_size_t)(colon - table) == nlen
            && !memcmp(table, name, nlen)) {
            const char *pw = colon + 1;
            apr_size_t plen = (apr_size_t)(end - pw), given;
            unsigned diff;

            if (!password) {
                return 1;
            }
            /* no early exit on the first differing byte */
            given = strlen(password);
            diff = given != plen;
            for (apr_size_t i = 0; i < given; ++i) {
                diff |= (unsigned)(password[i] ^ pw[i < plen ? i : 0]);
            }
            return diff == 0;
        }
        table = *end ? end + 1 : end;
    }
    return 0;
}

/* The user loader: the user object is its name, in the request's pool. */
static void *load_user(ctx_t *c, const char *id, void *baton)
{
    request_rec *r = ctx_request(c);

    (void)baton;
    if (!r || !known_user(ctx_config(r, "LOGIN_USERS"), id, NULL)) {
        return NULL;
    }
    return apr_pstrdup(r->pool, id);
}

static int login_form(request_rec *r, const char *next, int status)
{
    ap_set_content_type(r, "text/html; charset=utf-8");
    r->status = status;
    ap_rputs("<!doctype html><title>Log in</title>\n"
             "<form method=\"post\" action=\"/login\">\n"
             "<input name=\"username\" placeholder=\"username\">\n"
             "<input name=\"password\" type=\"password\" "
             "placeholder=\"password\">\n"
             "<label><input name=\"remember\" type=\"checkbox\" value=\"1\">"
             " remember me</label>\n", r);
    if (next && ctx_login_next_is_safe(next)) {
        ap_rprintf(r, "<input name=\"next\" type=\"hidden\" value=\"%s\">\n",
                   ap_escape_html(r->pool, next));
    }
    ap_rputs("<button>Log in</button>\n</form>\n", r);
    return OK;
}

static int see_other(request_rec *r, const char *where)
{
    r->status = HTTP_SEE_OTHER;
    apr_table_setn(r->headers_out, "Location", where);
    ap_rprintf(r, "see %s\n", where);
    return OK;
}

static int answer_login(request_rec *r)
{
    const char *user = NULL, *password = NULL, *remember = NULL, *next = NULL;
    apr_status_t rv;

    if (r->method_number == M_GET) {
        return login_form(r, ctx_arg(r, "next"), HTTP_OK);
    }
    if (r->method_number != M_POST) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if ((rv = ctx_form(r, "username", &user)) != APR_SUCCESS
        || (rv = ctx_form(r, "password", &password)) != APR_SUCCESS) {
        if (rv != APR_NOTFOUND) {
            return ctx_body_http_status(rv);
        }
    }
    ctx_form(r, "remember", &remember);
    ctx_form(r, "next", &next);
    if (!user || !password
        || !known_user(ctx_config(r, "LOGIN_USERS"), user, password)) {
        return login_form(r, next, HTTP_UNAUTHORIZED);
    }
    rv = ctx_login_user(NULL, user, remember && !strcmp(remember, "1")
                                        ? CTX_LOGIN_REMEMBER : 0);
    if (rv != APR_SUCCESS) {
        return session_failed(r, rv, "log in");
    }
    return see_other(r, next && ctx_login_next_is_safe(next) ? next : "/me");
}

static int answer_logout(request_rec *r)
{
    apr_status_t rv;

    if (r->method_number != M_GET && r->method_number != M_POST) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if ((rv = ctx_logout_user(NULL)) != APR_SUCCESS) {
        return session_failed(r, rv, "log out");
    }
    return see_other(r, "/login");
}

static int answer_me(request_rec *r)
{
    const char *user = ctx_current_user(NULL);

    if (!user) {
        ap_rputs("anonymous\n", r);
    }
    else {
        ap_rprintf(r, "user=%s fresh=%d\n", user, ctx_login_fresh(NULL));
    }
    return OK;
}

static int example_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, HANDLER)) {
        return DECLINED;
    }
    if (r->method_number != M_GET && strcmp(r->uri, "/greet")
        && strcmp(r->uri, "/login") && strcmp(r->uri, "/logout")) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!ctx_api()) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    ap_set_content_type(r, "text/plain; charset=utf-8");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (!strcmp(r->uri, "/greet")) {
        return answer_greet(r);
    }
    if (!strcmp(r->uri, "/home")) {
        return answer_home(r);
    }
    if (!strcmp(r->uri, "/g")) {
        return answer_g(r);
    }
    if (!strcmp(r->uri, "/config")) {
        return answer_config(r);
    }
    if (!strcmp(r->uri, "/counter")) {
        return answer_counter(r);
    }
    if (!strncmp(r->uri, "/session", 8)) {
        return answer_session(r);
    }
    if (!strcmp(r->uri, "/background")
        || !strcmp(r->uri, "/background/status")) {
        return answer_background(r);
    }
    if (!strcmp(r->uri, "/login")) {
        return answer_login(r);
    }
    if (!strcmp(r->uri, "/logout")) {
        return answer_logout(r);
    }
    if (!strcmp(r->uri, "/me")) {
        return answer_me(r);
    }
    return HTTP_NOT_FOUND;
}

static int example_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    ctx_api_require(s, "mod_ctx_example");
    return OK;
}

/* Every virtual host's app gets the user loader (in each child, before it
 * serves requests). */
static void example_child_init(apr_pool_t *pchild, server_rec *s)
{
    (void)pchild;
    for (; s; s = s->next) {
        ctx_user_loader(ctx_app_of(s), load_user, NULL);
    }
}

static void example_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_child_init(example_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(example_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_fixups(example_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(example_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA ctx_example_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, NULL, NULL, NULL,
    example_register_hooks
};
