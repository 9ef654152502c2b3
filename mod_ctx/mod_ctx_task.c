/* mod_ctx_task: background tasks for content modules (see ctx_task_submit in
 * include/mod_ctx.h). The core runs the tasks (ctx_task.c) and copies the
 * request (ctx_snapshot.c); this file knows request_rec: it fills the
 * snapshot, gives each task a context of its own and binds it on the pool
 * thread while the task runs. One task pool per child, created on the first
 * submit, drained when the child's pool goes (exit, graceful restart). */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include "ctx_snapshot.h"
#include "ctx_task.h"
#include "mod_ctx_config.h"
#include "mod_ctx_private.h"
#include "mod_ctx_request.h"
#include "mod_ctx_session.h"
#include "mod_ctx_status.h"
#include "mod_ctx_task.h"

APLOG_USE_MODULE(ctx);

/* What a task carries besides the core's snapshot. */
typedef struct {
    ctx_snapshot_t *snap;
    ctx_t *ctx;
    ctx_task_fn *fn;            /* the module's function */
    void *baton;
    apr_status_t result;        /* fn's return, teardown's status */
    const char *describe;       /* "GET /uri" */
    ctx_task_done_fn *on_done;  /* the module's, or NULL */
    int accepted;               /* the submit succeeded: on_done is due */
    ctx_task_outcome_t outcome;
    int stats_app;              /* ctx-status row of its app */
} task_glue_t;

static apr_pool_t *child_pool;         /* the task pool's parent */
static apr_thread_mutex_t *pool_lock;
static ctx_taskpool_t *taskpool;        /* created on the first submit */
static int task_threads = CTX_TASK_DEFAULT_THREADS;
static int task_queue = CTX_TASK_DEFAULT_QUEUE;
static apr_interval_time_t task_drain;

/* ---- the task's view of its request (ctx_request_ops_t) ----------------- */

static int task_status(void *request)
{
    return (int)((task_glue_t *)request)->result;
}

static const char *task_describe(void *request)
{
    return ((task_glue_t *)request)->describe;
}

static const char *task_query(void *request)
{
    return ((task_glue_t *)request)->snap->query;
}

static const ctx_request_ops_t task_ops = {
    task_status, task_describe, task_query
};

/* ---- running (on a pool thread) ----------------------------------------- */

static void task_enter(ctx_task_t *t, void *baton)
{
    task_glue_t *tg = ctx_task_data(t);

    (void)baton;
    ctx_context_enter(tg->ctx);
}

static void task_leave(ctx_task_t *t, apr_status_t rv, void *baton)
{
    task_glue_t *tg = ctx_task_data(t);

    (void)baton;
    tg->result = rv;
    /* The teardown callbacks run when the task's pool is destroyed, right
     * after this, on this thread; the context is no longer current then. */
    ctx_context_unbind_thread();
}

static apr_status_t task_run(ctx_task_t *t, void *baton)
{
    task_glue_t *tg = baton;
    apr_status_t rv;

    ctx_glue_stats_task_started(tg->stats_app);
    rv = tg->fn(tg->ctx, tg->baton);
    /* A stored session's changes go to the store now, still on the task's
     * thread; a failed save is the task's status (on_done) if fn's was
     * success. */
    apr_status_t srv = ctx_glue_session_task_save(tg->ctx);

    return rv != APR_SUCCESS ? rv : srv;
}

static const ctx_task_hooks_t task_hooks = { task_enter, task_leave, NULL };

/* The core's end callback: right before the task's pool goes, whether fn
 * ran or the task was dropped; on_done itself comes later (done_teardown). */
static void task_end(ctx_task_t *t, ctx_task_end_t how, apr_status_t rv,
                     void *baton)
{
    task_glue_t *tg = baton;

    (void)t;
    ctx_glue_stats_task_ended(tg->stats_app, how == CTX_TASK_END_RAN, rv);
    tg->outcome = how == CTX_TASK_END_RAN ? CTX_TASK_RAN : CTX_TASK_DROPPED;
    tg->result = rv;
}

/* The task's first teardown callback, so the last to run: the module's
 * on_done sees the task's own teardown callbacks done and `g` still there.
 * Not for a submit that failed: its caller got the status instead. */
static apr_status_t done_teardown(ctx_t *c, int status, void *baton)
{
    task_glue_t *tg = baton;

    (void)status;
    if (tg->accepted && tg->on_done) {
        tg->on_done(c, tg->outcome, tg->result, tg->baton);
    }
    return APR_SUCCESS;
}

/* ---- the per-child pool ------------------------------------------------- */

/* Drain before anything of the child goes: pre-cleanups of pchild run
 * before its subpools (app resources, other modules' pools) are destroyed,
 * and by then the MPM has joined its workers: nobody submits any more. */
static apr_status_t drain_at_child_exit(void *data)
{
    ctx_taskpool_t *tp = __atomic_load_n(&taskpool, __ATOMIC_ACQUIRE);
    apr_size_t dropped = 0;

    (void)data;
    if (tp) {
        ctx_taskpool_drain(tp, task_drain, &dropped);
    }
    return APR_SUCCESS;
}

void ctx_glue_task_child_init(apr_pool_t *pchild, server_rec *s)
{
    ctx_server_conf_t *conf = ctx_server_conf(s);
    apr_allocator_t *allocator;

    taskpool = NULL;
    pool_lock = NULL;
    task_threads = conf->task_threads;
    task_queue = conf->task_queue;
    task_drain = conf->task_drain;
    /* The task pool is created lazily on a request thread: give it a pool
     * (and allocator) of its own, so that creating it touches nothing that
     * other threads of the child use. */
    if (apr_allocator_create(&allocator) != APR_SUCCESS) {
        return;
    }
    if (apr_pool_create_ex(&child_pool, pchild, NULL, allocator)
        != APR_SUCCESS) {
        apr_allocator_destroy(allocator);
        return;
    }
    apr_allocator_owner_set(allocator, child_pool);
    if (apr_thread_mutex_create(&pool_lock, APR_THREAD_MUTEX_DEFAULT,
                                pchild) != APR_SUCCESS) {
        pool_lock = NULL;
        return;
    }
    apr_pool_pre_cleanup_register(pchild, NULL, drain_at_child_exit);
}

/* This child's task pool, created on first use; NULL with *rv on failure. */
static ctx_taskpool_t *get_taskpool(apr_status_t *rv)
{
    ctx_taskpool_t *tp = __atomic_load_n(&taskpool, __ATOMIC_ACQUIRE);

    *rv = APR_SUCCESS;
    if (tp) {
        return tp;
    }
    if (!pool_lock) {
        *rv = CTX_ESHUTDOWN;    /* not in a child process */
        return NULL;
    }
    apr_thread_mutex_lock(pool_lock);
    if (!(tp = taskpool)) {
        *rv = ctx_taskpool_create(&tp, child_pool, task_threads, task_queue,
                                  &task_hooks);
        if (*rv == APR_SUCCESS) {
            ctx_taskpool_set_cleanup_timeout(tp, task_drain);
            __atomic_store_n(&taskpool, tp, __ATOMIC_RELEASE);
        }
        else {
            ap_log_error(APLOG_MARK, APLOG_ERR, *rv, ap_server_conf,
                         "mod_ctx: cannot start %d background task threads",
                         task_threads);
            tp = NULL;
        }
    }
    apr_thread_mutex_unlock(pool_lock);
    return tp;
}

void ctx_glue_task_stats(ctx_task_stats_t *st)
{
    ctx_taskpool_stats_t s;

    if (!st) {
        return;
    }
    ctx_taskpool_stats(__atomic_load_n(&taskpool, __ATOMIC_ACQUIRE), &s);
    st->queued = s.queued;
    st->running = s.running;
    st->done = s.done;
    st->failed = s.failed;
    st->rejected = s.rejected;
    st->dropped = s.dropped;
}

/* ---- submitting (on the request's thread) ------------------------------- */

static void fill_from_request(ctx_snapshot_t *src, request_rec *r,
                              const char *const *headers)
{
    src->method = r->method;
    src->uri = r->uri;
    src->unparsed_uri = r->unparsed_uri;
    src->query = r->args;
    src->remote_addr = r->useragent_ip;
    src->user = r->user;
    src->headers = apr_table_make(r->pool, 4);
    for (; headers && *headers; ++headers) {
        const char *v = apr_table_get(r->headers_in, *headers);

        if (v) {
            apr_table_setn(src->headers, *headers, v);
        }
    }
    /* directory keys over server keys, merged by the copy */
    src->config = ctx_dir_conf(r)->config;
    src->config_base = ctx_server_conf(r->server)->config;
    src->app = ctx_server_conf(r->server)->app;
}

apr_status_t ctx_glue_task_submit(request_rec *r, ctx_task_fn *fn,
                                  void *baton, const char *const *headers)
{
    return ctx_glue_task_submit_ex(r, fn, baton, headers, NULL);
}

apr_status_t ctx_glue_task_submit_ex(request_rec *r, ctx_task_fn *fn,
                                     void *baton, const char *const *headers,
                                     ctx_task_done_fn *on_done)
{
    ctx_snapshot_t src;
    ctx_taskpool_t *tp;
    ctx_task_t *t = NULL;
    task_glue_t *tg;
    ctx_t *from = NULL;
    apr_pool_t *p;
    apr_status_t rv;
    int stats_app;

    if (!fn) {
        return APR_EINVAL;
    }
    if (!r) {
        from = ctx_context_current();
        r = ctx_glue_request(from);
        if (from && !r) {       /* a task submitting a task: from its copy */
            return APR_ENOTIMPL;
        }
    }
    else {
        from = ctx_glue_of(r);
    }
    memset(&src, 0, sizeof(src));
    if (r) {
        fill_from_request(&src, r, headers);
        src.session = ctx_glue_session_text(from, &src.session_len);
    }
    else if (!(src.app = ctx_app_top())) {
        return APR_EINVAL;      /* no request and no app pushed */
    }
    else {
        src.config = ctx_app_config(src.app);
    }
    if (!(tp = get_taskpool(&rv))) {
        return rv;
    }
    if ((rv = ctx_task_create(&t, tp)) != APR_SUCCESS) {
        return rv;
    }
    p = ctx_task_pool(t);
    tg = apr_pcalloc(p, sizeof(*tg));
    tg->fn = fn;
    tg->baton = baton;
    tg->result = CTX_ESHUTDOWN;         /* until it runs: dropped */
    tg->snap = ctx_snapshot_copy(p, &src);
    tg->describe = r ? apr_pstrcat(p, r->method, " ", r->unparsed_uri, NULL)
                     : apr_pstrcat(p, "task of app ",
                                   ctx_app_name(src.app), NULL);
    tg->on_done = on_done;
    tg->outcome = CTX_TASK_DROPPED;
    tg->stats_app = ctx_glue_stats_app_of(src.app);
    tg->ctx = ctx_context_create_task(p, tg, &task_ops);
    if (on_done
        && (rv = ctx_teardown_add(ctx_context_teardown(tg->ctx),
                                  done_teardown, tg)) != APR_SUCCESS) {
        goto leave;
    }
    if (from && (rv = ctx_gtable_copy_into(ctx_context_g(tg->ctx),
                                           ctx_context_g(from)))
                != APR_SUCCESS) {
        goto leave;
    }
    if (tg->snap->session
        && (rv = ctx_glue_session_attach_snapshot(tg->ctx, tg->snap->session,
                                                  tg->snap->session_len))
           != APR_SUCCESS) {
        goto leave;
    }
    if (tg->snap->session && from
        && (rv = ctx_glue_session_attach_store(tg->ctx, from))
           != APR_SUCCESS) {
        goto leave;
    }
    ctx_task_set_data(t, tg);
    ctx_task_set_description(t, tg->describe);
    ctx_task_set_end(t, task_end, tg);
    /* Set before: once accepted, the task is no longer ours to touch. */
    tg->accepted = 1;
    stats_app = tg->stats_app;  /* tg is not ours once accepted */
    ctx_glue_stats_add(stats_app, CTX_STAT_TASKS_QUEUED, 1);
    if ((rv = ctx_taskpool_submit(tp, t, task_run, tg)) != APR_SUCCESS) {
        ctx_glue_stats_task_refused(stats_app, rv);
    }
leave:
    if (rv != APR_SUCCESS) {
        tg->accepted = 0;
        tg->result = rv;
        ctx_task_destroy(t);    /* runs the task's teardown: status = rv */
    }
    return rv;
}

/* ---- what tasks see through the API ------------------------------------- */

request_rec *ctx_glue_request(const ctx_t *c)
{
    return (c && c->kind != CTX_KIND_TASK) ? c->request : NULL;
}

const ctx_snapshot_t *ctx_glue_task_snapshot(const ctx_t *c)
{
    return (c && c->kind == CTX_KIND_TASK)
           ? ((task_glue_t *)c->request)->snap : NULL;
}
