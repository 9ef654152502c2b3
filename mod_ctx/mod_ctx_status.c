/* mod_ctx_status: see mod_ctx_status.h.
 *
 * Why an anonymous segment in the process pool, not mod_slotmem_shm or a
 * segment in pconf: pconf is destroyed at every restart, graceful ones
 * included, while children of the old generation are still serving (event
 * and prefork both let them finish): a segment per generation would lose
 * their last counts and reset the totals on every restart. The process
 * pool lives as long as the parent, and an anonymous mapping made before
 * the fork is shared by every child of every generation without an attach
 * (nothing to re-attach after the DSO is reloaded either: the statics of
 * this file are found again at each post_config through the pool's user
 * data). mod_slotmem_shm would add a module to load and files under
 * DefaultRuntimeDir, and whether its segments survive a restart depends on
 * the httpd release and the slot type; mod_status's own counters use the
 * same approach as here (the scoreboard, created once in the parent). */
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_status.h"
#include "apr_optional_hooks.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include "mod_ctx_config.h"
#include "mod_ctx_status.h"
#include "mod_ctx_store.h"

APLOG_USE_MODULE(ctx);

#define SHM_KEY "mod_ctx_stats_shm"

apr_uint64_t *ctx_glue_stats_lane;

static ctx_stats_t *stats;          /* this generation's view of the block */
static apr_hash_t *rows_of_apps;    /* ctx_app_t * -> int row, in pconf */
static apr_hash_t *keys_of_names;   /* app name -> sorted array of keys */

/* ---- the segment -------------------------------------------------------- */

static ctx_stats_t *segment(server_rec *s)
{
    apr_pool_t *pp = s->process->pool;
    apr_shm_t *shm = NULL;
    apr_size_t size = ctx_stats_size(CTX_STATS_LANES, CTX_STATS_MAX_APPS);
    apr_status_t rv;
    void *data = NULL;

    apr_pool_userdata_get(&data, SHM_KEY, pp);
    if (data) {
        return data;
    }
    /* Anonymous: inherited by the children, removed with the parent. APR
     * keeps a header at the start: 64 bytes more to align the block. */
    rv = apr_shm_create(&shm, size + 64, NULL, pp);
    if (rv == APR_SUCCESS) {
        char *base = apr_shm_baseaddr_get(shm);

        data = ctx_stats_format(base + (64 - (apr_uintptr_t)base % 64) % 64,
                                size, CTX_STATS_LANES, CTX_STATS_MAX_APPS,
                                apr_time_sec(apr_time_now()));
    }
    if (!data) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "mod_ctx: cannot create "
                     "the shared memory of ctx-status (%" APR_SIZE_T_FMT
                     " bytes): server-wide counters are off", size);
        return NULL;
    }
    apr_pool_userdata_set(data, SHM_KEY, apr_pool_cleanup_null, pp);
    return data;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The union of `config`'s keys and those already in `keys` (sorted). */
static apr_array_header_t *merge_keys(apr_pool_t *p, apr_array_header_t *keys,
                                      apr_hash_t *config)
{
    apr_array_header_t *out = keys ? keys
                                   : apr_array_make(p, 4, sizeof(char *));
    apr_hash_index_t *hi;

    for (hi = config ? apr_hash_first(p, config) : NULL; hi;
         hi = apr_hash_next(hi)) {
        const char *k = apr_hash_this_key(hi);
        int seen = 0;

        for (int i = 0; i < out->nelts && !seen; ++i) {
            seen = !strcmp(APR_ARRAY_IDX(out, i, const char *), k);
        }
        if (!seen) {
            APR_ARRAY_PUSH(out, const char *) = k;
        }
    }
    qsort(out->elts, (size_t)out->nelts, sizeof(char *), cmp_str);
    return out;
}

static int status_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *main_s)
{
    (void)plog;
    (void)ptemp;
    stats = NULL;
    ctx_glue_stats_lane = NULL;
    /* The configuration test pass serves nothing: no segment. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || !(stats = segment(main_s))) {
        return OK;
    }
    rows_of_apps = apr_hash_make(pconf);
    keys_of_names = apr_hash_make(pconf);
    for (server_rec *s = main_s; s; s = s->next) {
        ctx_server_conf_t *conf = ctx_server_conf(s);
        const char *name = ctx_app_name(conf->app);
        int *row = apr_palloc(pconf, sizeof(*row));

        *row = conf->stats_app = ctx_stats_app(stats, name);
        apr_hash_set(rows_of_apps, &conf->app, sizeof(conf->app), row);
        apr_hash_set(keys_of_names, name, APR_HASH_KEY_STRING,
                     merge_keys(pconf, apr_hash_get(keys_of_names, name,
                                                    APR_HASH_KEY_STRING),
                                ctx_app_config(conf->app)));
        conf->stats_store = ctx_stats_store_wrap(
            pconf, ctx_glue_store_get(conf->store), &ctx_glue_stats_lane,
            conf->stats_app);
    }
    return OK;
}

static void status_child_init(apr_pool_t *pchild, server_rec *s)
{
    (void)pchild;
    (void)s;
    ctx_glue_stats_lane = ctx_stats_lane(stats, ctx_stats_claim_lane(stats));
}

/* ---- counting ----------------------------------------------------------- */

int ctx_glue_stats_app(const server_rec *s)
{
    return ctx_server_conf(s)->stats_app;
}

int ctx_glue_stats_app_of(const ctx_app_t *app)
{
    int *row = rows_of_apps && app
               ? apr_hash_get(rows_of_apps, &app, sizeof(app)) : NULL;

    return row ? *row : -1;
}

/* The quick handler runs once per client request (not for an internal
 * redirect; for a subrequest with lookup set), as the first step of
 * ap_process_request: a request is counted as it begins to be served, so
 * a response a client holds has always been counted. */
static int status_quick_handler(request_rec *r, int lookup)
{
    if (!lookup && !r->main) {
        ctx_glue_stats_add(ctx_server_conf(r->server)->stats_app,
                           CTX_STAT_REQUESTS, 1);
    }
    return DECLINED;
}

void ctx_glue_stats_cookie_loaded(const server_rec *s, const ctx_load_t *lb)
{
    int app = ctx_glue_stats_app(s);

    if (lb->data) {
        ctx_glue_stats_add(app, CTX_STAT_SESSIONS_LOADED, 1);
        return;
    }
    ctx_glue_stats_add(app, CTX_STAT_SESSIONS_NEW, 1);
    if (lb->conflict) {
        ctx_glue_stats_add(app, CTX_STAT_REFUSED_CONFLICT, 1);
    }
    else if (lb->first_failure != CTX_REASON_OK) {
        ctx_glue_stats_add(app, ctx_stats_refused(lb->first_failure), 1);
    }
}

void ctx_glue_stats_store_loaded(const server_rec *s,
                                 const ctx_session_store_state_t *sst,
                                 int had_cookie)
{
    int app = ctx_glue_stats_app(s);

    if (sst->found) {
        ctx_glue_stats_add(app, CTX_STAT_SESSIONS_LOADED, 1);
        return;
    }
    ctx_glue_stats_add(app, CTX_STAT_SESSIONS_NEW, 1);
    if (sst->has_id) {
        ctx_glue_stats_add(app, CTX_STAT_REFUSED_UNKNOWN_ID, 1);
    }
    else if (had_cookie && sst->id_reason != CTX_REASON_OK) {
        ctx_glue_stats_add(app, ctx_stats_refused(sst->id_reason), 1);
    }
}

void ctx_glue_stats_store_saved(int app, apr_status_t rv,
                                ctx_sstore_cookie_t ck, int modified)
{
    if (ck == CTX_SSTORE_COOKIE_DELETE) {
        ctx_glue_stats_add(app, CTX_STAT_SESSIONS_DELETED, 1);
    }
    else if (rv == APR_SUCCESS && modified) {
        ctx_glue_stats_add(app, CTX_STAT_SESSIONS_SAVED, 1);
    }
}

const ctx_store_t *ctx_glue_stats_store(const server_rec *s,
                                        const ctx_store_t *inner)
{
    const ctx_store_t *counted = ctx_server_conf(s)->stats_store;

    return inner && counted ? counted : inner;
}

void ctx_glue_stats_task_refused(int app, apr_status_t rv)
{
    ctx_glue_stats_add(app, CTX_STAT_TASKS_QUEUED, -1);
    if (rv == CTX_EQUEUEFULL || rv == CTX_ESHUTDOWN) {
        ctx_glue_stats_add(app, CTX_STAT_TASKS_REJECTED, 1);
    }
}

void ctx_glue_stats_task_started(int app)
{
    ctx_glue_stats_add(app, CTX_STAT_TASKS_QUEUED, -1);
    ctx_glue_stats_add(app, CTX_STAT_TASKS_RUNNING, 1);
}

void ctx_glue_stats_task_ended(int app, int ran, apr_status_t rv)
{
    if (!ran) {
        ctx_glue_stats_add(app, CTX_STAT_TASKS_QUEUED, -1);
        ctx_glue_stats_add(app, CTX_STAT_TASKS_DROPPED, 1);
        return;
    }
    ctx_glue_stats_add(app, CTX_STAT_TASKS_RUNNING, -1);
    ctx_glue_stats_add(app, CTX_STAT_TASKS_DONE, 1);
    if (rv != APR_SUCCESS) {
        ctx_glue_stats_add(app, CTX_STAT_TASKS_FAILED, 1);
    }
}

/* ---- reading ------------------------------------------------------------ */

static apr_array_header_t *snapshot(apr_pool_t *p)
{
    apr_array_header_t *rows = ctx_stats_snapshot(stats, p);

    for (int i = 0; i < rows->nelts; ++i) {
        ctx_stats_row_t *row = &APR_ARRAY_IDX(rows, i, ctx_stats_row_t);

        row->keys = keys_of_names ? apr_hash_get(keys_of_names, row->name,
                                                 APR_HASH_KEY_STRING)
                                  : NULL;
    }
    return rows;
}

apr_status_t ctx_glue_server_stats(const char *app, ctx_server_stats_t *out)
{
    apr_uint64_t v[CTX_STAT_COUNT];
    int row;

    if (!out) {
        return APR_EINVAL;
    }
    memset(out, 0, sizeof(*out));
    if (!stats) {
        return APR_ENOTIMPL;
    }
    if (app) {
        if ((row = ctx_stats_find(stats, app)) < 0) {
            return APR_NOTFOUND;
        }
        ctx_stats_sum(stats, row, v);
    }
    else {
        ctx_stats_sum_all(stats, v);
    }
    out->requests = v[CTX_STAT_REQUESTS];
    out->sessions_loaded = v[CTX_STAT_SESSIONS_LOADED];
    out->sessions_new = v[CTX_STAT_SESSIONS_NEW];
    out->sessions_saved = v[CTX_STAT_SESSIONS_SAVED];
    out->sessions_deleted = v[CTX_STAT_SESSIONS_DELETED];
    for (int c = CTX_STAT_REFUSED_FIRST; c < CTX_STAT_COUNT; ++c) {
        out->cookies_refused += v[c];
    }
    out->store_reads = v[CTX_STAT_STORE_READS];
    out->store_writes = v[CTX_STAT_STORE_WRITES];
    out->store_errors = v[CTX_STAT_STORE_ERRORS];
    out->tasks_queued = v[CTX_STAT_TASKS_QUEUED];
    out->tasks_running = v[CTX_STAT_TASKS_RUNNING];
    out->tasks_done = v[CTX_STAT_TASKS_DONE];
    out->tasks_failed = v[CTX_STAT_TASKS_FAILED];
    out->tasks_rejected = v[CTX_STAT_TASKS_REJECTED];
    out->tasks_dropped = v[CTX_STAT_TASKS_DROPPED];
    out->since = ctx_stats_created(stats);
    return APR_SUCCESS;
}

/* 1 if the query has `word` as one of its &-separated names. */
static int query_has(const char *args, const char *word)
{
    apr_size_t n = strlen(word);

    for (const char *a = args; a && *a;) {
        const char *end = strchr(a, '&');
        apr_size_t len = end ? (apr_size_t)(end - a) : strlen(a);

        if ((len == n || (len > n && a[n] == '=')) && !strncmp(a, word, n)) {
            return 1;
        }
        a = end ? end + 1 : NULL;
    }
    return 0;
}

static int status_handler(request_rec *r)
{
    apr_array_header_t *rows;

    if (!r->handler || strcmp(r->handler, "ctx-status")) {
        return DECLINED;
    }
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!stats) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    rows = snapshot(r->pool);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (query_has(r->args, "json")) {
        ap_set_content_type(r, "application/json");
        ap_rputs(ctx_stats_json(r->pool, rows, ctx_stats_created(stats)), r);
    }
    else if (query_has(r->args, "prometheus")) {
        ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
        ap_rputs(ctx_stats_prometheus(r->pool, rows,
                                      ctx_stats_created(stats)), r);
    }
    else {
        ap_set_content_type(r, "text/html; charset=utf-8");
        ap_rputs("<!DOCTYPE html>\n<html><head><title>mod_ctx status</title>"
                 "</head><body>\n<h1>mod_ctx status</h1>\n", r);
        ap_rprintf(r, "<p>All children summed since %s. Also as <a href=\""
                   "?json\">JSON</a> and <a href=\"?prometheus\">Prometheus"
                   "</a> text.</p>\n",
                   ap_ht_time(r->pool, apr_time_from_sec(
                                  ctx_stats_created(stats)),
                              "%Y-%m-%d %H:%M:%S %Z", 1));
        ap_rputs(ctx_stats_html(r->pool, rows), r);
        ap_rputs("</body></html>\n", r);
    }
    return OK;
}

/* A section of mod_status's server-status page (?auto: one line each). */
static int status_hook(request_rec *r, int flags)
{
    apr_array_header_t *rows;

    if (!stats) {
        return OK;
    }
    rows = snapshot(r->pool);
    if (flags & AP_STATUS_SHORT) {
        apr_uint64_t total[CTX_STAT_COUNT];

        ctx_stats_total(rows, total);
        for (int c = 0; c < CTX_STAT_COUNT; ++c) {
            char *name = apr_pstrcat(r->pool, "Ctx_",
                                     ctx_stats_name((ctx_stat_t)c), NULL);

            for (char *q = name; *q; ++q) {
                *q = *q == '.' ? '_' : *q;
            }
            ap_rprintf(r, "%s: %" APR_UINT64_T_FMT "\n", name, total[c]);
        }
        return OK;
    }
    ap_rputs("<hr />\n<h2>mod_ctx (ctx-status)</h2>\n", r);
    ap_rputs(ctx_stats_html(r->pool, rows), r);
    return OK;
}

void ctx_glue_status_register(void)
{
#ifdef CTX_STATS_OFF
    /* bench/callgrind-status: a build without counting, to measure what
     * counting costs. */
    return;
#endif
    /* After mod_ctx's own post_config: the apps and stores are built. */
    ap_hook_post_config(status_post_config, NULL, NULL, APR_HOOK_LAST);
    ap_hook_child_init(status_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_quick_handler(status_quick_handler, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(status_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
