/* The test kit: an app (mod_ctx configured and started as httpd would), its
 * requests (mod_ctx's request hooks, filters and pool cleanups around a
 * request_rec in a real pool), the captured response and a cookie jar.
 * See include/mod_ctx_test.h and docs/testing.md. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_date.h"
#include "apr_hooks.h"
#include "apr_optional.h"
#include "apr_strings.h"
#include "apr_uri.h"

#include "ctx_test_private.h"

extern module AP_MODULE_DECLARE_DATA ctx_module;
/* mod_ctx's API table (mod_ctx_api.c). */
const ctx_api_t *ctx_glue_api_get(int version);

#define KIT_MAX_MODULES 2       /* mod_ctx and the module under test */
/* Config vectors: core's slot (AP_CORE_MODULE_INDEX, 0), then the modules. */
#define KIT_CONFIG_SLOTS (KIT_MAX_MODULES + 1)
#define REQ_KEY "ctx_test_req"

ctx_test_app_t *ctx_test_current_app;
static apr_pool_t *kit_pool;    /* process lifetime: optional functions */
static char last_error[1024];

static const char *const level_names[] = {
    "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug",
    "trace1", "trace2", "trace3", "trace4", "trace5", "trace6", "trace7",
    "trace8"
};

/* ---- the log ------------------------------------------------------------ */

/* Task threads log too (a failed task, a session save): one writer at a
 * time, and no reader while the array grows. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void ctx_test_log_add(int level, const char *msg)
{
    ctx_test_app_t *app = ctx_test_current_app;
    const char *line;

    if (level < 0 || level > APLOG_TRACE8) {
        level = APLOG_TRACE8;
    }
    if (getenv("CTX_TEST_VERBOSE")) {
        fprintf(stderr, "[%s] %s\n", level_names[level], msg);
    }
    pthread_mutex_lock(&log_lock);
    if (app) {
        line = apr_psprintf(app->logpool, "[%s] %s", level_names[level], msg);
        APR_ARRAY_PUSH(app->log, const char *) = line;
    }
    pthread_mutex_unlock(&log_lock);
}

int ctx_test_log_count(ctx_test_app_t *app)
{
    int n;

    pthread_mutex_lock(&log_lock);
    n = app ? app->log->nelts : 0;
    pthread_mutex_unlock(&log_lock);
    return n;
}

const char *ctx_test_log_line(ctx_test_app_t *app, int i)
{
    const char *line;

    pthread_mutex_lock(&log_lock);
    line = app && i >= 0 && i < app->log->nelts
           ? APR_ARRAY_IDX(app->log, i, const char *) : NULL;
    pthread_mutex_unlock(&log_lock);
    return line;
}

const char *ctx_test_log_find(ctx_test_app_t *app, const char *text)
{
    const char *found = NULL;

    pthread_mutex_lock(&log_lock);
    for (int i = 0; app && text && !found && i < app->log->nelts; ++i) {
        const char *line = APR_ARRAY_IDX(app->log, i, const char *);

        if (strstr(line, text)) {
            found = line;
        }
    }
    pthread_mutex_unlock(&log_lock);
    return found;
}

void ctx_test_log_clear(ctx_test_app_t *app)
{
    pthread_mutex_lock(&log_lock);
    if (app) {
        apr_array_clear(app->log);
    }
    pthread_mutex_unlock(&log_lock);
}

/* ---- tasks: mod_ctx's table with a submit that can wait ------------------ */

static ctx_api_t kit_api;

static void wait_idle(void)
{
    ctx_test_tasks_wait(ctx_test_current_app, apr_time_from_sec(10));
}

static apr_status_t kit_task_submit(request_rec *r, ctx_task_fn *fn,
                                    void *baton, const char *const *headers)
{
    apr_status_t rv = ctx_glue_api_get(MOD_CTX_API_VERSION)
                          ->task_submit(r, fn, baton, headers);

    if (rv == APR_SUCCESS && ctx_test_current_app
        && ctx_test_current_app->tasks_inline) {
        wait_idle();
    }
    return rv;
}

static apr_status_t kit_task_submit_ex(request_rec *r, ctx_task_fn *fn,
                                       void *baton, const char *const *headers,
                                       ctx_task_done_fn *on_done)
{
    apr_status_t rv = ctx_glue_api_get(MOD_CTX_API_VERSION)
                          ->task_submit_ex(r, fn, baton, headers, on_done);

    if (rv == APR_SUCCESS && ctx_test_current_app
        && ctx_test_current_app->tasks_inline) {
        wait_idle();
    }
    return rv;
}

/* Registered under mod_ctx's name after mod_ctx registered its own. */
static const ctx_api_t *kit_api_get(int version)
{
    const ctx_api_t *real = ctx_glue_api_get(version);

    if (!real) {
        return NULL;
    }
    if (!kit_api.version) {
        kit_api = *real;
        kit_api.task_submit = kit_task_submit;
        kit_api.task_submit_ex = kit_task_submit_ex;
    }
    return &kit_api;
}

void ctx_test_tasks_inline(ctx_test_app_t *app, int on)
{
    if (app) {
        app->tasks_inline = on;
    }
}

apr_status_t ctx_test_tasks_wait(ctx_test_app_t *app,
                                 apr_interval_time_t timeout)
{
    apr_time_t deadline = apr_time_now() + timeout;
    ctx_task_stats_t st;

    (void)app;
    for (;;) {
        ctx_glue_api_get(MOD_CTX_API_VERSION)->task_stats(&st);
        if (st.queued == 0 && st.running == 0) {
            return APR_SUCCESS;
        }
        if (apr_time_now() > deadline) {
            return APR_TIMEUP;
        }
        apr_sleep(apr_time_from_msec(2));
    }
}

/* ---- configuration lines ------------------------------------------------ */

static const char *apply_command(ctx_test_app_t *app, module *m,
                                 const command_rec *cmd, const char *args)
{
    cmd_parms parms;
    ap_directive_t dir;
    void *mconfig = ap_get_module_config(app->s->lookup_defaults, m);
    const char *w[3] = { NULL, NULL, NULL }, *rest = args;
    int n = 0;

    memset(&parms, 0, sizeof(parms));
    memset(&dir, 0, sizeof(dir));
    dir.directive = cmd->name;
    dir.args = args;
    dir.filename = "ctx_test_app";
    parms.info = (void *)cmd->cmd_data;
    parms.override = RSRC_CONF | ACCESS_CONF | OR_ALL;
    parms.pool = app->pconf;
    parms.temp_pool = app->ptemp;
    parms.server = app->s;
    parms.cmd = cmd;
    parms.directive = &dir;
    if (!(cmd->req_override & RSRC_CONF)) {
        return "not allowed at server level (the kit has no sections)";
    }
    if (cmd->args_how == RAW_ARGS) {
        return cmd->AP_RAW_ARGS(&parms, mconfig, args);
    }
    while (*rest && n < 3) {
        w[n++] = ap_getword_conf(app->ptemp, &rest);
        while (*rest == ' ' || *rest == '\t') {
            ++rest;
        }
    }
    if (*rest) {
        return "too many arguments";
    }
    switch (cmd->args_how) {
    case NO_ARGS:
        return n == 0 ? cmd->AP_NO_ARGS(&parms, mconfig) : "takes no argument";
    case FLAG:
        if (n != 1 || (strcasecmp(w[0], "on") && strcasecmp(w[0], "off"))) {
            return "must be On or Off";
        }
        return cmd->AP_FLAG(&parms, mconfig, !strcasecmp(w[0], "on"));
    case TAKE1:
        return n == 1 ? cmd->AP_TAKE1(&parms, mconfig, w[0])
                      : "takes one argument";
    case TAKE2:
        return n == 2 ? cmd->AP_TAKE2(&parms, mconfig, w[0], w[1])
                      : "takes two arguments";
    case TAKE12:
        return n >= 1 && n <= 2 ? cmd->AP_TAKE2(&parms, mconfig, w[0], w[1])
                                : "takes one or two arguments";
    case TAKE3:
    case TAKE23:
    case TAKE13:
    case TAKE123:
        return n >= 1 ? cmd->AP_TAKE3(&parms, mconfig, w[0], w[1], w[2])
                      : "takes arguments";
    case ITERATE:
        for (int i = 0; i < n; ++i) {
            const char *err = cmd->AP_TAKE1(&parms, mconfig, w[i]);

            if (err) {
                return err;
            }
        }
        return NULL;
    default:
        return "this kind of directive is not supported by the test kit";
    }
}

static const char *apply_line(ctx_test_app_t *app, const char *line)
{
    const char *rest = line;
    char *name = ap_getword_conf(app->ptemp, &rest);
    module *mods[KIT_MAX_MODULES] = { &ctx_module, app->mod };

    while (*rest == ' ' || *rest == '\t') {
        ++rest;
    }
    if (!strcasecmp(name, "SetHandler")) {
        app->handler = apr_pstrdup(app->pconf, rest);
        return NULL;
    }
    for (int i = 0; i < KIT_MAX_MODULES; ++i) {
        for (const command_rec *c = mods[i] ? mods[i]->cmds : NULL;
             c && c->name; ++c) {
            if (!strcasecmp(c->name, name)) {
                const char *err = apply_command(app, mods[i], c, rest);

                return err ? apr_pstrcat(app->ptemp, c->name, ": ", err,
                                         NULL) : NULL;
            }
        }
    }
    return apr_pstrcat(app->ptemp, "Invalid command '", name,
                       "' (not a directive of mod_ctx or of the module "
                       "under test)", NULL);
}

/* ---- the app ------------------------------------------------------------ */

static void kit_init(void)
{
    if (!kit_pool) {
        apr_initialize();
        atexit(apr_terminate);
        apr_pool_create(&kit_pool, NULL);
        apr_hook_global_pool = kit_pool;
    }
}

static void set_error(const char *what)
{
    apr_snprintf(last_error, sizeof(last_error), "%s", what);
}

const char *ctx_test_error(void)
{
    return last_error;
}

/* The last error-level line of the log, for a failed hook. */
static const char *last_error_line(ctx_test_app_t *app)
{
    for (int i = app->log->nelts - 1; i >= 0; --i) {
        const char *l = APR_ARRAY_IDX(app->log, i, const char *);

        if (!strncmp(l, "[emerg]", 7) || !strncmp(l, "[alert]", 7)
            || !strncmp(l, "[crit]", 6) || !strncmp(l, "[error]", 7)) {
            return l;
        }
    }
    return "(nothing logged)";
}

typedef int config_hook_fn(apr_pool_t *, apr_pool_t *, apr_pool_t *,
                           server_rec *);
typedef int pre_config_fn(apr_pool_t *, apr_pool_t *, apr_pool_t *);
typedef void child_init_fn(apr_pool_t *, server_rec *);

static int run_config_hooks(ctx_test_app_t *app)
{
    kit_fn **fns;
    int n, rc;

    fns = ctx_test_hooks(KIT_PRE_CONFIG, &n);
    for (int i = 0; i < n; ++i) {
        if ((rc = ((pre_config_fn *)fns[i])(app->pconf, app->pconf,
                                            app->ptemp)) != OK
            && rc != DECLINED) {
            return rc;
        }
    }
    return OK;
}

static int run_start_hooks(ctx_test_app_t *app, kit_hook_t which)
{
    int n, rc;
    kit_fn **fns = ctx_test_hooks(which, &n);

    for (int i = 0; i < n; ++i) {
        rc = ((config_hook_fn *)fns[i])(app->pconf, app->pconf, app->ptemp,
                                        app->s);
        if (rc != OK && rc != DECLINED) {
            return rc;
        }
    }
    return OK;
}

static void make_configs(ctx_test_app_t *app, module *m, int index)
{
    m->module_index = index;
    if (m->create_server_config) {
        ((void **)app->s->module_config)[index] =
            m->create_server_config(app->pconf, app->s);
    }
    if (m->create_dir_config) {
        ((void **)app->s->lookup_defaults)[index] =
            m->create_dir_config(app->pconf, NULL);
    }
}

ctx_test_app_t *ctx_test_app_v(module *mod, const char *const *lines)
{
    ctx_test_app_t *app;
    apr_pool_t *pconf;
    server_rec *s;
    kit_fn **fns;
    const char *err;
    int n;

    kit_init();
    last_error[0] = '\0';
    if (ctx_test_current_app) {
        set_error("another test app exists: ctx_test_app_destroy() it first");
        return NULL;
    }
    apr_pool_create(&pconf, NULL);
    app = apr_pcalloc(pconf, sizeof(*app));
    app->pconf = pconf;
    app->mod = mod;
    /* The log's own pool: task threads add to it (under log_lock) while
     * the test's thread allocates from pconf. */
    apr_pool_create(&app->logpool, pconf);
    app->log = apr_array_make(app->logpool, 32, sizeof(const char *));
    apr_pool_create(&app->ptemp, pconf);
    ctx_test_current_app = app;

    /* A main server as httpd builds it. */
    s = app->s = apr_pcalloc(pconf, sizeof(*s));
    app->process.pool = app->process.pconf = pconf;
    app->process.short_name = "ctx_test";
    s->process = &app->process;
    s->server_hostname = "localhost";
    s->port = 80;
    s->defn_name = "ctx_test_app";
    s->log.level = APLOG_DEBUG;
    s->timeout = apr_time_from_sec(60);
    s->keep_alive_timeout = apr_time_from_sec(5);
    s->limit_req_line = DEFAULT_LIMIT_REQUEST_LINE;
    s->limit_req_fieldsize = DEFAULT_LIMIT_REQUEST_FIELDSIZE;
    s->limit_req_fields = DEFAULT_LIMIT_REQUEST_FIELDS;
    s->module_config = apr_pcalloc(pconf, KIT_CONFIG_SLOTS * sizeof(void *));
    s->lookup_defaults = apr_pcalloc(pconf, KIT_CONFIG_SLOTS * sizeof(void *));
    s->is_virtual = 0;
    ap_server_conf = s;

    /* Load: the modules' hooks and filters (mod_ctx registers ctx_api_get),
     * then the kit's view of the table under the same name. */
    ctx_test_hooks_reset();
    ctx_test_filters_reset();
    /* Index 0 is core's (AP_CORE_MODULE_INDEX): mod_ctx reads core's
     * server and directory records (its sections, at check_config), so
     * they exist, empty, as for a server without sections. */
    ((void **)s->module_config)[AP_CORE_MODULE_INDEX] =
        apr_pcalloc(pconf, sizeof(core_server_config));
    ((void **)s->lookup_defaults)[AP_CORE_MODULE_INDEX] =
        apr_pcalloc(pconf, sizeof(core_dir_config));
    make_configs(app, &ctx_module, 1);
    ctx_module.register_hooks(pconf);
    if (mod) {
        make_configs(app, mod, 2);
        if (mod->register_hooks) {
            mod->register_hooks(pconf);
        }
    }
    apr_dynamic_fn_register("ctx_api_get", (apr_opt_fn_t *)kit_api_get);

    if (run_config_hooks(app) != OK) {
        set_error(apr_pstrcat(pconf, "pre_config failed: ",
                              last_error_line(app), NULL));
        goto fail;
    }
    for (; lines && *lines; ++lines) {
        if ((err = apply_line(app, *lines)) != NULL) {
            set_error(err);
            goto fail;
        }
    }
    if (run_start_hooks(app, KIT_CHECK_CONFIG) != OK) {
        set_error(apr_pstrcat(pconf, "check_config failed: ",
                              last_error_line(app), NULL));
        goto fail;
    }
    if (run_start_hooks(app, KIT_POST_CONFIG) != OK) {
        set_error(apr_pstrcat(pconf, "post_config failed: ",
                              last_error_line(app), NULL));
        goto fail;
    }
    apr_pool_clear(app->ptemp);
    apr_pool_create(&app->pchild, pconf);
    fns = ctx_test_hooks(KIT_CHILD_INIT, &n);
    for (int i = 0; i < n; ++i) {
        ((child_init_fn *)fns[i])(app->pchild, s);
    }
    return app;

fail:
    /* last_error is static: it survives the pool. */
    ctx_test_current_app = NULL;
    ap_server_conf = NULL;
    apr_pool_destroy(pconf);
    return NULL;
}

ctx_test_app_t *ctx_test_app(module *mod, ...)
{
    const char *lines[64];
    const char *l;
    int n = 0;
    va_list va;

    va_start(va, mod);
    while ((l = va_arg(va, const char *)) != NULL) {
        if (n == 63) {
            va_end(va);
            set_error("ctx_test_app: more than 63 lines (use ctx_test_app_v)");
            return NULL;
        }
        lines[n++] = l;
    }
    va_end(va);
    lines[n] = NULL;
    return ctx_test_app_v(mod, lines);
}

void ctx_test_app_destroy(ctx_test_app_t *app)
{
    if (!app) {
        return;
    }
    ctx_test_tasks_wait(app, apr_time_from_sec(5));
    /* The child's pool first (drains the task threads), as httpd does. */
    apr_pool_destroy(app->pchild);
    if (ctx_test_current_app == app) {
        ctx_test_current_app = NULL;
    }
    ap_server_conf = NULL;
    kit_api.version = 0;
    apr_pool_destroy(app->pconf);
}

server_rec *ctx_test_server(ctx_test_app_t *app)
{
    return app ? app->s : NULL;
}

apr_pool_t *ctx_test_pool(ctx_test_app_t *app)
{
    return app ? app->pconf : NULL;
}

/* ---- requests ----------------------------------------------------------- */

ctx_test_req_t *ctx_test_req_of(const request_rec *r)
{
    void *t = NULL;

    if (r) {
        apr_pool_userdata_get(&t, REQ_KEY, r->pool);
    }
    return t;
}

typedef int request_hook_fn(request_rec *);
typedef void request_void_fn(request_rec *);
typedef int quick_fn(request_rec *, int);

/* Run a phase: RUN_ALL hooks stop at the first error; RUN_FIRST ones
 * (handler) at the first that does not decline. */
static int run_request_hooks(kit_hook_t which, request_rec *r, int first)
{
    int n, rc;
    kit_fn **fns = ctx_test_hooks(which, &n);

    for (int i = 0; i < n; ++i) {
        rc = ((request_hook_fn *)fns[i])(r);
        if (first ? rc != DECLINED : (rc != OK && rc != DECLINED)) {
            return rc;
        }
    }
    return first ? DECLINED : OK;
}

static void run_void_hooks(kit_hook_t which, request_rec *r)
{
    int n;
    kit_fn **fns = ctx_test_hooks(which, &n);

    for (int i = 0; i < n; ++i) {
        ((request_void_fn *)fns[i])(r);
    }
}

static const char *jar_header(ctx_test_jar_t *jar, apr_pool_t *p);

static ctx_test_req_t *open_request(ctx_test_app_t *app,
                                    ctx_test_jar_t *jar, const char *line,
                                    const char *const *headers)
{
    ctx_test_req_t *t;
    apr_pool_t *pool;
    conn_rec *c;
    request_rec *r;
    const char *sp, *cookie;
    apr_uri_t uri;
    int rc;

    if (!app || !line || !(sp = strchr(line, ' ')) || sp == line
        || sp[1] != '/') {
        return NULL;
    }
    apr_pool_create(&pool, app->pconf);
    t = apr_pcalloc(pool, sizeof(*t));
    t->app = app;
    t->jar = jar;
    t->pool = pool;
    t->body.iov_base = "";
    t->headers = apr_table_make(pool, 8);

    /* The connection, then the request in its own pool (r->pool). */
    apr_pool_create(&t->cpool, pool);
    c = apr_pcalloc(t->cpool, sizeof(*c));
    c->pool = t->cpool;
    c->base_server = app->s;
    c->id = ++app->next_conn_id;
    c->client_ip = c->local_ip = "127.0.0.1";
    c->local_host = "localhost";
    c->conn_config = apr_pcalloc(t->cpool, KIT_CONFIG_SLOTS * sizeof(void *));
    c->notes = apr_table_make(t->cpool, 1);
    c->bucket_alloc = apr_bucket_alloc_create(t->cpool);
    c->keepalive = AP_CONN_CLOSE;

    r = apr_pcalloc(t->cpool, sizeof(*r));
    apr_pool_create(&r->pool, t->cpool);
    apr_pool_userdata_setn(t, REQ_KEY, NULL, r->pool);
    t->r = r;
    r->connection = c;
    r->server = app->s;
    r->request_time = apr_time_now();
    r->method = apr_pstrmemdup(r->pool, line, (apr_size_t)(sp - line));
    r->method_number = ap_method_number_of(r->method);
    r->header_only = !strcmp(r->method, "HEAD");
    r->unparsed_uri = apr_pstrdup(r->pool, sp + 1);
    r->the_request = apr_pstrcat(r->pool, line, " HTTP/1.1", NULL);
    r->protocol = "HTTP/1.1";
    r->proto_num = HTTP_VERSION(1, 1);
    r->hostname = "localhost";
    r->status = HTTP_OK;
    r->useragent_ip = c->client_ip;
    r->useragent_addr = c->client_addr;
    r->headers_in = apr_table_make(r->pool, 8);
    r->headers_out = apr_table_make(r->pool, 8);
    r->err_headers_out = apr_table_make(r->pool, 4);
    r->trailers_in = apr_table_make(r->pool, 1);
    r->trailers_out = apr_table_make(r->pool, 1);
    r->subprocess_env = apr_table_make(r->pool, 4);
    r->notes = apr_table_make(r->pool, 4);
    r->request_config = apr_pcalloc(r->pool, KIT_CONFIG_SLOTS * sizeof(void *));
    r->per_dir_config = app->s->lookup_defaults;
    r->handler = app->handler;
    r->sent_bodyct = 0;
    r->read_body = REQUEST_NO_BODY;
    r->clength = 0;
    r->output_filters = r->proto_output_filters =
        apr_pcalloc(r->pool, sizeof(ap_filter_t));
    r->output_filters->frec = &ctx_test_capture_frec;
    r->output_filters->r = r;
    r->output_filters->c = c;
    r->input_filters = r->proto_input_filters =
        apr_pcalloc(r->pool, sizeof(ap_filter_t));
    r->input_filters->frec = &ctx_test_input_frec;
    r->input_filters->r = r;
    r->input_filters->c = c;
    t->out = apr_brigade_create(r->pool, c->bucket_alloc);

    if (apr_uri_parse(r->pool, r->unparsed_uri, &uri) != APR_SUCCESS
        || !uri.path) {
        apr_pool_destroy(pool);
        return NULL;
    }
    r->parsed_uri = uri;
    r->uri = uri.path;
    r->args = uri.query;
    r->filename = NULL;
    r->path_info = "";
    apr_table_setn(r->headers_in, "Host", "localhost");
    for (; headers && *headers; ++headers) {
        const char *colon = strchr(*headers, ':');

        if (colon) {
            const char *v = colon + 1;

            while (*v == ' ' || *v == '\t') {
                ++v;
            }
            apr_table_addn(r->headers_in,
                           apr_pstrmemdup(r->pool, *headers,
                                          (apr_size_t)(colon - *headers)),
                           apr_pstrdup(r->pool, v));
        }
    }
    if (jar && (cookie = jar_header(jar, r->pool)) != NULL) {
        apr_table_addn(r->headers_in, "Cookie", cookie);
    }

    /* What httpd runs from reading the request to the handler. */
    run_request_hooks(KIT_CREATE_REQUEST, r, 0);
    if ((rc = run_request_hooks(KIT_POST_READ_REQUEST, r, 0)) == OK
        && (rc = run_request_hooks(KIT_TRANSLATE_NAME, r, 1)) == DECLINED
        && (rc = run_request_hooks(KIT_MAP_TO_STORAGE, r, 1)) == DECLINED
        && (rc = run_request_hooks(KIT_HEADER_PARSER, r, 0)) == OK
        && (rc = run_request_hooks(KIT_FIXUPS, r, 0)) == OK) {
        run_void_hooks(KIT_INSERT_FILTER, r);
    }
    else if (rc != OK && rc != DECLINED) {
        r->status = rc;     /* the handler should not run; ctx_test_end */
    }
    return t;
}

ctx_test_req_t *ctx_test_request_v(ctx_test_app_t *app, const char *line,
                                   const char *const *headers)
{
    return open_request(app, NULL, line, headers);
}

#define COLLECT_VA(first, arr)                                       \
    do {                                                             \
        const char *h_;                                              \
        int n_ = 0;                                                  \
        va_list va_;                                                 \
        va_start(va_, first);                                        \
        while ((h_ = va_arg(va_, const char *)) != NULL && n_ < 63) { \
            arr[n_++] = h_;                                          \
        }                                                            \
        va_end(va_);                                                 \
        arr[n_] = NULL;                                              \
    } while (0)

ctx_test_req_t *ctx_test_request(ctx_test_app_t *app, const char *line, ...)
{
    const char *headers[64];

    COLLECT_VA(line, headers);
    return open_request(app, NULL, line, headers);
}

request_rec *ctx_test_r(ctx_test_req_t *t)
{
    return t ? t->r : NULL;
}

void ctx_test_set_body(ctx_test_req_t *t, const char *data, apr_size_t len)
{
    if (!t || t->ended) {
        return;
    }
    t->in = apr_pmemdup(t->pool, data, len);
    t->in_len = len;
    t->in_pos = 0;
    apr_table_setn(t->r->headers_in, "Content-Length",
                   apr_off_t_toa(t->r->pool, (apr_off_t)len));
}

int ctx_test_handle(ctx_test_req_t *t)
{
    if (!t || t->ended) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (t->r->status != HTTP_OK) {
        return t->r->status;    /* an earlier phase refused the request */
    }
    return run_request_hooks(KIT_HANDLER, t->r, 1);
}

static void jar_take(ctx_test_jar_t *jar, const char *set_cookie);

static int copy_header(void *baton, const char *k, const char *v)
{
    ctx_test_req_t *t = baton;

    apr_table_add(t->headers, k, v);
    return 1;
}

int ctx_test_end(ctx_test_req_t *t, int status)
{
    request_rec *r;
    int i;

    if (!t) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (t->ended) {
        return t->status;
    }
    r = t->r;
    if (status == DECLINED) {
        status = HTTP_NOT_FOUND;    /* no handler took it */
    }
    if (status != OK && status != DONE && status != r->status) {
        /* ap_die: the error replaces what the handler meant to send. */
        r->status = status;
        apr_table_clear(r->headers_out);
        apr_brigade_cleanup(t->out);
        r->content_type = NULL;
        run_void_hooks(KIT_INSERT_ERROR_FILTER, r);
    }
    /* The output passes the filters (CTX_SESSION_SAVE: Set-Cookie). */
    APR_BRIGADE_INSERT_TAIL(t->out, apr_bucket_eos_create(
                                        r->connection->bucket_alloc));
    ap_pass_brigade(r->output_filters, t->out);
    t->ended = 1;
    t->status = r->status;
    apr_table_do(copy_header, t, r->headers_out, NULL);
    apr_table_do(copy_header, t, r->err_headers_out, NULL);
    if (r->content_type) {
        apr_table_set(t->headers, "Content-Type", r->content_type);
    }
    /* EOR: log_transaction, then the request's pool goes (teardown). */
    run_request_hooks(KIT_LOG_TRANSACTION, r, 0);
    apr_pool_destroy(r->pool);
    t->r = NULL;
    apr_pool_destroy(t->cpool);
    t->cpool = NULL;
    if (t->jar) {
        const char *sc;

        for (i = 0; (sc = ctx_test_set_cookie(t, i)) != NULL; ++i) {
            jar_take(t->jar, sc);
        }
    }
    return t->status;
}

void ctx_test_free(ctx_test_req_t *t)
{
    if (t) {
        if (!t->ended) {
            ctx_test_end(t, OK);
        }
        apr_pool_destroy(t->pool);
    }
}

int ctx_test_status(const ctx_test_req_t *t)
{
    return t && t->ended ? t->status : 0;
}

const char *ctx_test_body(const ctx_test_req_t *t, apr_size_t *len)
{
    if (len) {
        *len = t ? t->body.iov_len : 0;
    }
    return t ? t->body.iov_base : NULL;
}

const char *ctx_test_header(const ctx_test_req_t *t, const char *name)
{
    return t && name ? apr_table_get(t->headers, name) : NULL;
}

typedef struct {
    int want, seen;
    const char *found;
} nth_t;

static int nth_value(void *baton, const char *k, const char *v)
{
    nth_t *n = baton;

    (void)k;
    if (n->seen++ == n->want) {
        n->found = v;
        return 0;
    }
    return 1;
}

const char *ctx_test_set_cookie(const ctx_test_req_t *t, int i)
{
    nth_t n = { i, 0, NULL };

    if (t && i >= 0) {
        apr_table_do(nth_value, &n, t->headers, "Set-Cookie", NULL);
    }
    return n.found;
}

/* ---- the cookie jar ----------------------------------------------------- */

struct ctx_test_jar_t {
    ctx_test_app_t *app;
    apr_table_t *cookies;       /* name -> value */
};

ctx_test_jar_t *ctx_test_jar(ctx_test_app_t *app)
{
    ctx_test_jar_t *jar;

    if (!app) {
        return NULL;
    }
    jar = apr_pcalloc(app->pconf, sizeof(*jar));
    jar->app = app;
    jar->cookies = apr_table_make(app->pconf, 4);
    return jar;
}

const char *ctx_test_jar_get(ctx_test_jar_t *jar, const char *name)
{
    return jar && name ? apr_table_get(jar->cookies, name) : NULL;
}

static int add_cookie(void *baton, const char *k, const char *v)
{
    const char **hdr = baton;
    apr_pool_t *p = (apr_pool_t *)hdr[1];

    hdr[0] = hdr[0] ? apr_pstrcat(p, hdr[0], "; ", k, "=", v, NULL)
                    : apr_pstrcat(p, k, "=", v, NULL);
    return 1;
}

static const char *jar_header(ctx_test_jar_t *jar, apr_pool_t *p)
{
    const char *hdr[2] = { NULL, (const char *)p };

    apr_table_do(add_cookie, hdr, jar->cookies, NULL);
    return hdr[0];
}

/* "name=value; Attr; Max-Age=0 ...": a Max-Age <= 0 or an Expires in the
 * past removes the cookie, as a browser would. */
static void jar_take(ctx_test_jar_t *jar, const char *set_cookie)
{
    apr_pool_t *p = jar->app->pconf;
    const char *semi = strchr(set_cookie, ';');
    const char *eq = strchr(set_cookie, '=');
    char *name, *value;
    int expired = 0;

    if (!eq || (semi && eq > semi)) {
        return;
    }
    name = apr_pstrmemdup(p, set_cookie, (apr_size_t)(eq - set_cookie));
    value = semi ? apr_pstrmemdup(p, eq + 1, (apr_size_t)(semi - eq - 1))
                 : apr_pstrdup(p, eq + 1);
    for (const char *a = semi; a; a = strchr(a + 1, ';')) {
        const char *attr = a + 1;

        while (*attr == ' ') {
            ++attr;
        }
        if (!strncasecmp(attr, "Max-Age=", 8) && atol(attr + 8) <= 0) {
            expired = 1;
        }
        else if (!strncasecmp(attr, "Expires=", 8)) {
            const char *end = strchr(attr, ';');
            char *date = end ? apr_pstrmemdup(p, attr + 8,
                                              (apr_size_t)(end - attr - 8))
                             : apr_pstrdup(p, attr + 8);
            apr_time_t when = apr_date_parse_rfc(date);

            if (when && when < apr_time_now()) {
                expired = 1;
            }
        }
    }
    if (expired) {
        apr_table_unset(jar->cookies, name);
    }
    else {
        apr_table_set(jar->cookies, name, value);
    }
}

ctx_test_req_t *ctx_test_jar_request(ctx_test_jar_t *jar, const char *line,
                                     ...)
{
    const char *headers[64];

    COLLECT_VA(line, headers);
    return jar ? open_request(jar->app, jar, line, headers) : NULL;
}

ctx_test_req_t *ctx_test_jar_fetch(ctx_test_jar_t *jar, const char *line, ...)
{
    const char *headers[64];
    ctx_test_req_t *t;

    COLLECT_VA(line, headers);
    if (!jar || !(t = open_request(jar->app, jar, line, headers))) {
        return NULL;
    }
    ctx_test_end(t, ctx_test_handle(t));
    return t;
}
