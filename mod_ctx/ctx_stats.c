/* ctx_stats: see ctx_stats.h. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "ctx_stats.h"

_Static_assert(CTX_STAT_COUNT <= CTX_STATS_STRIDE, "a row holds every counter");
_Static_assert(CTX_STAT_COUNT == 26, "full_names lists every counter");

#define MAGIC 0x63747873u       /* "ctxs" */
#define ALIGN 64

struct ctx_stats_t {
    apr_uint32_t magic;
    apr_uint32_t lanes;
    apr_uint32_t max_apps;
    apr_uint32_t napps;         /* named rows taken */
    apr_uint32_t next_lane;     /* round robin of ctx_stats_claim_lane */
    apr_uint32_t pad;
    apr_int64_t created;
    /* then: names[max_apps][CTX_STATS_NAME_MAX], then, 64-byte aligned,
     * counters[lanes][max_apps + 1][CTX_STATS_STRIDE] */
};

static apr_size_t round_up(apr_size_t n)
{
    return (n + ALIGN - 1) / ALIGN * ALIGN;
}

static apr_size_t names_offset(void)
{
    return round_up(sizeof(ctx_stats_t));
}

static apr_size_t counters_offset(apr_size_t max_apps)
{
    return names_offset() + round_up(max_apps * CTX_STATS_NAME_MAX);
}

static apr_size_t lane_cells(apr_size_t max_apps)
{
    return (max_apps + 1) * CTX_STATS_STRIDE;
}

static char *name_at(const ctx_stats_t *st, apr_uint32_t row)
{
    return (char *)st + names_offset() + (apr_size_t)row * CTX_STATS_NAME_MAX;
}

static apr_uint64_t *cells(const ctx_stats_t *st)
{
    return (apr_uint64_t *)((char *)st + counters_offset(st->max_apps));
}

ctx_stat_t ctx_stats_refused(ctx_reason_t reason)
{
    return (reason > CTX_REASON_OK && reason < CTX_REASON_COUNT)
           ? (ctx_stat_t)(CTX_STAT_REFUSED_FIRST + reason - 1) : CTX_STAT_COUNT;
}

apr_size_t ctx_stats_size(int lanes, int max_apps)
{
    if (lanes < 1 || max_apps < 1) {
        return 0;
    }
    return counters_offset((apr_size_t)max_apps)
           + (apr_size_t)lanes * lane_cells((apr_size_t)max_apps)
             * sizeof(apr_uint64_t);
}

ctx_stats_t *ctx_stats_format(void *mem, apr_size_t size, int lanes,
                              int max_apps, apr_int64_t now)
{
    ctx_stats_t *st = mem;

    if (!mem || ((apr_uintptr_t)mem % ALIGN) || lanes < 1 || max_apps < 1
        || size < ctx_stats_size(lanes, max_apps)) {
        return NULL;
    }
    memset(mem, 0, ctx_stats_size(lanes, max_apps));
    st->magic = MAGIC;
    st->lanes = (apr_uint32_t)lanes;
    st->max_apps = (apr_uint32_t)max_apps;
    st->created = now;
    return st;
}

int ctx_stats_app(ctx_stats_t *st, const char *name)
{
    apr_uint32_t i;
    char *slot;

    if (!st || !name || !*name) {
        return st ? (int)st->max_apps : -1;
    }
    for (i = 0; i < st->napps; ++i) {
        if (!strncmp(name_at(st, i), name, CTX_STATS_NAME_MAX - 1)) {
            return (int)i;
        }
    }
    if (st->napps >= st->max_apps) {
        return (int)st->max_apps;
    }
    slot = name_at(st, st->napps);
    apr_cpystrn(slot, name, CTX_STATS_NAME_MAX);
    /* Published after the name: a reader in a child sees a whole name. */
    __atomic_store_n(&st->napps, st->napps + 1, __ATOMIC_RELEASE);
    return (int)(st->napps - 1);
}

int ctx_stats_find(const ctx_stats_t *st, const char *name)
{
    apr_uint32_t n = st ? __atomic_load_n(&st->napps, __ATOMIC_ACQUIRE) : 0;

    for (apr_uint32_t i = 0; name && i < n; ++i) {
        if (!strncmp(name_at(st, i), name, CTX_STATS_NAME_MAX - 1)) {
            return (int)i;
        }
    }
    return -1;
}

int ctx_stats_claim_lane(ctx_stats_t *st)
{
    return st ? (int)(__atomic_fetch_add(&st->next_lane, 1, __ATOMIC_RELAXED)
                      % st->lanes)
              : -1;
}

apr_uint64_t *ctx_stats_lane(ctx_stats_t *st, int lane)
{
    if (!st || lane < 0 || (apr_uint32_t)lane >= st->lanes) {
        return NULL;
    }
    return cells(st) + (apr_size_t)lane * lane_cells(st->max_apps);
}

apr_int64_t ctx_stats_created(const ctx_stats_t *st)
{
    return st ? st->created : 0;
}

int ctx_stats_lanes(const ctx_stats_t *st)
{
    return st ? (int)st->lanes : 0;
}

int ctx_stats_max_apps(const ctx_stats_t *st)
{
    return st ? (int)st->max_apps : 0;
}

static int is_gauge(ctx_stat_t c)
{
    return c == CTX_STAT_TASKS_QUEUED || c == CTX_STAT_TASKS_RUNNING;
}

void ctx_stats_sum(const ctx_stats_t *st, int app,
                   apr_uint64_t out[CTX_STAT_COUNT])
{
    int c;

    memset(out, 0, sizeof(apr_uint64_t) * CTX_STAT_COUNT);
    if (!st || app < 0 || (apr_uint32_t)app > st->max_apps) {
        return;
    }
    for (apr_uint32_t l = 0; l < st->lanes; ++l) {
        const apr_uint64_t *row = cells(st) + l * lane_cells(st->max_apps)
                                  + (apr_size_t)app * CTX_STATS_STRIDE;

        for (c = 0; c < CTX_STAT_COUNT; ++c) {
            out[c] += __atomic_load_n(&row[c], __ATOMIC_RELAXED);
        }
    }
    /* Lanes of a gauge add up modulo 2^64; a reader between a task's two
     * updates may see one below zero. */
    for (c = 0; c < CTX_STAT_COUNT; ++c) {
        if (is_gauge((ctx_stat_t)c) && (apr_int64_t)out[c] < 0) {
            out[c] = 0;
        }
    }
}

void ctx_stats_sum_all(const ctx_stats_t *st,
                       apr_uint64_t out[CTX_STAT_COUNT])
{
    apr_uint64_t v[CTX_STAT_COUNT];

    memset(out, 0, sizeof(apr_uint64_t) * CTX_STAT_COUNT);
    for (apr_uint32_t i = 0; st && i <= st->max_apps; ++i) {
        ctx_stats_sum(st, (int)i, v);
        for (int c = 0; c < CTX_STAT_COUNT; ++c) {
            out[c] += v[c];
        }
    }
}

static int any(const apr_uint64_t v[CTX_STAT_COUNT])
{
    for (int c = 0; c < CTX_STAT_COUNT; ++c) {
        if (v[c]) {
            return 1;
        }
    }
    return 0;
}

apr_array_header_t *ctx_stats_snapshot(const ctx_stats_t *st, apr_pool_t *p)
{
    apr_array_header_t *rows = apr_array_make(p, 8, sizeof(ctx_stats_row_t));
    apr_uint32_t n, i;
    ctx_stats_row_t *row;

    if (!st) {
        return rows;
    }
    n = __atomic_load_n(&st->napps, __ATOMIC_ACQUIRE);
    for (i = 0; i <= n && i <= st->max_apps; ++i) {
        apr_uint64_t v[CTX_STAT_COUNT];

        if (i == n && i < st->max_apps) {
            i = st->max_apps;   /* the overflow row */
        }
        ctx_stats_sum(st, (int)i, v);
        if (i == st->max_apps && !any(v)) {
            break;
        }
        row = apr_array_push(rows);
        row->name = i == st->max_apps
                    ? CTX_STATS_OTHER_NAME
                    : apr_pstrndup(p, name_at(st, i), CTX_STATS_NAME_MAX - 1);
        row->keys = NULL;
        memcpy(row->v, v, sizeof(v));
    }
    return rows;
}

void ctx_stats_total(const apr_array_header_t *rows,
                     apr_uint64_t out[CTX_STAT_COUNT])
{
    memset(out, 0, sizeof(apr_uint64_t) * CTX_STAT_COUNT);
    for (int i = 0; rows && i < rows->nelts; ++i) {
        const ctx_stats_row_t *row = &APR_ARRAY_IDX(rows, i, ctx_stats_row_t);

        for (int c = 0; c < CTX_STAT_COUNT; ++c) {
            out[c] += row->v[c];
        }
    }
}

/* ---- a counting store ---------------------------------------------------- */

typedef struct {
    ctx_store_t store;
    ctx_store_ops_t ops;
    const ctx_store_t *inner;
    apr_uint64_t *const *lane;
    int app;
} counted_store_t;

static apr_status_t counted_get(void *baton, const char *key,
                                apr_size_t klen, unsigned char *buf,
                                apr_size_t *len, apr_pool_t *p)
{
    counted_store_t *cs = baton;
    apr_status_t rv = cs->inner->ops->get(cs->inner->baton, key, klen, buf,
                                          len, p);

    ctx_stats_add(*cs->lane, cs->app, CTX_STAT_STORE_READS, 1);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND && rv != APR_ENOSPC) {
        ctx_stats_add(*cs->lane, cs->app, CTX_STAT_STORE_ERRORS, 1);
    }
    return rv;
}

static apr_status_t counted_set(void *baton, const char *key,
                                apr_size_t klen, const unsigned char *val,
                                apr_size_t vlen, apr_time_t expiry,
                                apr_pool_t *p)
{
    counted_store_t *cs = baton;
    apr_status_t rv = cs->inner->ops->set(cs->inner->baton, key, klen, val,
                                          vlen, expiry, p);

    ctx_stats_add(*cs->lane, cs->app, CTX_STAT_STORE_WRITES, 1);
    if (rv != APR_SUCCESS) {
        ctx_stats_add(*cs->lane, cs->app, CTX_STAT_STORE_ERRORS, 1);
    }
    return rv;
}

static apr_status_t counted_remove(void *baton, const char *key,
                                   apr_size_t klen, apr_pool_t *p)
{
    counted_store_t *cs = baton;
    apr_status_t rv = cs->inner->ops->remove(cs->inner->baton, key, klen, p);

    ctx_stats_add(*cs->lane, cs->app, CTX_STAT_STORE_WRITES, 1);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        ctx_stats_add(*cs->lane, cs->app, CTX_STAT_STORE_ERRORS, 1);
    }
    return rv;
}

const ctx_store_t *ctx_stats_store_wrap(apr_pool_t *p,
                                        const ctx_store_t *inner,
                                        apr_uint64_t *const *lane, int app)
{
    counted_store_t *cs;

    if (!inner || !inner->ops || !lane) {
        return inner;
    }
    cs = apr_pcalloc(p, sizeof(*cs));
    cs->ops.name = inner->ops->name;
    cs->ops.get = counted_get;
    cs->ops.set = counted_set;
    cs->ops.remove = counted_remove;
    cs->store.ops = &cs->ops;
    cs->store.baton = cs;
    cs->inner = inner;
    cs->lane = lane;
    cs->app = app;
    return &cs->store;
}

/* ---- names -------------------------------------------------------------- */

/* What each counter is called: a group (NULL: top level) and a key in
 * JSON and HTML; a Prometheus family, its type and help. The refused
 * counters share one family, with their reason as a label. */
typedef struct {
    const char *group, *key;
    const char *family, *type, *help;
} meta_t;

static const meta_t metas[CTX_STAT_REFUSED_FIRST] = {
    { NULL, "requests", "ctx_requests_total", "counter",
      "Main requests served with a mod_ctx context." },
    { "sessions", "loaded", "ctx_sessions_loaded_total", "counter",
      "Sessions that came in and were accepted." },
    { "sessions", "new", "ctx_sessions_new_total", "counter",
      "Requests that used the session and had none (a new, empty one)." },
    { "sessions", "saved", "ctx_sessions_saved_total", "counter",
      "Session values sent as a cookie or written to the store." },
    { "sessions", "deleted", "ctx_sessions_deleted_total", "counter",
      "Session cookies or stored sessions deleted." },
    { "store", "reads", "ctx_store_reads_total", "counter",
      "Session store reads (get calls)." },
    { "store", "writes", "ctx_store_writes_total", "counter",
      "Session store writes (set and remove calls)." },
    { "store", "errors", "ctx_store_errors_total", "counter",
      "Session store calls that failed, also while the store was down." },
    { "tasks", "queued", "ctx_tasks_queued", "gauge",
      "Background tasks accepted and not started yet." },
    { "tasks", "running", "ctx_tasks_running", "gauge",
      "Background tasks running now." },
    { "tasks", "done", "ctx_tasks_done_total", "counter",
      "Background tasks finished, failed ones included." },
    { "tasks", "failed", "ctx_tasks_failed_total", "counter",
      "Background tasks whose function returned an error." },
    { "tasks", "rejected", "ctx_tasks_rejected_total", "counter",
      "Background task submits refused (queue full or shutting down)." },
    { "tasks", "dropped", "ctx_tasks_dropped_total", "counter",
      "Background tasks accepted and then dropped unrun by a drain." },
};

#define REFUSED_FAMILY "ctx_cookies_refused_total"
#define REFUSED_HELP "Session cookies refused (no session), by reason."

static const char *refused_reason(ctx_stat_t c)
{
    if (c == CTX_STAT_REFUSED_CONFLICT) {
        return "conflict";
    }
    if (c == CTX_STAT_REFUSED_UNKNOWN_ID) {
        return "unknown_id";
    }
    return ctx_reason_name((ctx_reason_t)(c - CTX_STAT_REFUSED_FIRST + 1));
}

static const char *const full_names[CTX_STAT_COUNT] = {
    "requests", "sessions.loaded", "sessions.new", "sessions.saved",
    "sessions.deleted", "store.reads", "store.writes", "store.errors",
    "tasks.queued", "tasks.running", "tasks.done", "tasks.failed",
    "tasks.rejected", "tasks.dropped",
    "cookies_refused.malformed", "cookies_refused.bad_encoding",
    "cookies_refused.bad_signature", "cookies_refused.expired",
    "cookies_refused.future", "cookies_refused.oversized",
    "cookies_refused.bad_compression", "cookies_refused.bad_json",
    "cookies_refused.legacy", "cookies_refused.lifetime",
    "cookies_refused.conflict", "cookies_refused.unknown_id"
};

const char *ctx_stats_name(ctx_stat_t c)
{
    return (c >= 0 && c < CTX_STAT_COUNT) ? full_names[c] : "unknown";
}

/* ---- JSON ---------------------------------------------------------------- */

/* A JSON string of `s`; bytes that are not UTF-8 become '?'. */
static json_t *jstr(const char *s)
{
    json_t *j = json_string(s);
    char *copy;

    if (j || !s) {
        return j;
    }
    copy = strdup(s);
    if (!copy) {
        return NULL;
    }
    for (char *q = copy; *q; ++q) {
        if ((unsigned char)*q >= 0x80) {
            *q = '?';
        }
    }
    j = json_string(copy);
    free(copy);
    return j;
}

static json_t *json_counts(const apr_uint64_t v[CTX_STAT_COUNT])
{
    json_t *o = json_object(), *refused = json_object();

    for (int c = 0; c < CTX_STAT_REFUSED_FIRST; ++c) {
        json_t *parent = o;

        if (metas[c].group) {
            if (!(parent = json_object_get(o, metas[c].group))) {
                parent = json_object();
                json_object_set_new(o, metas[c].group, parent);
            }
        }
        json_object_set_new(parent, metas[c].key,
                            json_integer((json_int_t)v[c]));
    }
    for (int c = CTX_STAT_REFUSED_FIRST; c < CTX_STAT_COUNT; ++c) {
        json_object_set_new(refused, refused_reason((ctx_stat_t)c),
                            json_integer((json_int_t)v[c]));
    }
    json_object_set_new(o, "cookies_refused", refused);
    return o;
}

const char *ctx_stats_json(apr_pool_t *p, const apr_array_header_t *rows,
                           apr_int64_t since)
{
    json_t *root = json_object(), *apps = json_array();
    apr_uint64_t total[CTX_STAT_COUNT];
    const char *out = NULL;
    char *text;

    json_object_set_new(root, "since", json_integer(since));
    for (int i = 0; rows && i < rows->nelts; ++i) {
        const ctx_stats_row_t *row = &APR_ARRAY_IDX(rows, i, ctx_stats_row_t);
        json_t *app = json_counts(row->v), *keys = json_array();

        json_object_set_new(app, "name", jstr(row->name));
        for (int k = 0; row->keys && k < row->keys->nelts; ++k) {
            json_array_append_new(keys,
                                  jstr(APR_ARRAY_IDX(row->keys, k,
                                                     const char *)));
        }
        json_object_set_new(app, "config_keys", keys);
        json_array_append_new(apps, app);
    }
    json_object_set_new(root, "apps", apps);
    ctx_stats_total(rows, total);
    json_object_set_new(root, "total", json_counts(total));
    if ((text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER))) {
        out = apr_pstrcat(p, text, "\n", NULL);
        free(text);
    }
    json_decref(root);
    return out;
}

/* ---- Prometheus text format ---------------------------------------------- */

const char *ctx_stats_prom_escape(apr_pool_t *p, const char *s)
{
    apr_size_t n = 0;
    char *out, *q;

    for (const char *c = s; *c; ++c) {
        n += (*c == '\\' || *c == '"' || *c == '\n') ? 2 : 1;
    }
    q = out = apr_palloc(p, n + 1);
    for (const char *c = s; *c; ++c) {
        if (*c == '\\' || *c == '"') {
            *q++ = '\\';
            *q++ = *c;
        }
        else if (*c == '\n') {
            *q++ = '\\';
            *q++ = 'n';
        }
        else {
            *q++ = *c;
        }
    }
    *q = '\0';
    return out;
}

static void add(apr_array_header_t *parts, const char *s)
{
    APR_ARRAY_PUSH(parts, const char *) = s;
}

static void prom_family(apr_array_header_t *parts, const char *family,
                        const char *type, const char *help)
{
    add(parts, apr_pstrcat(parts->pool, "# HELP ", family, " ", help,
                           "\n# TYPE ", family, " ", type, "\n", NULL));
}

const char *ctx_stats_prometheus(apr_pool_t *p,
                                 const apr_array_header_t *rows,
                                 apr_int64_t since)
{
    apr_array_header_t *parts = apr_array_make(p, 256, sizeof(const char *));
    const char **names = apr_pcalloc(p, sizeof(*names)
                                        * (rows ? rows->nelts + 1 : 1));
    int i, c;

    for (i = 0; rows && i < rows->nelts; ++i) {
        names[i] = ctx_stats_prom_escape(
            p, APR_ARRAY_IDX(rows, i, ctx_stats_row_t).name);
    }
    prom_family(parts, "ctx_status_start_time_seconds", "gauge",
                "When the counters started (Unix time); they survive "
                "graceful and plain restarts.");
    add(parts, apr_psprintf(p, "ctx_status_start_time_seconds %"
                            APR_INT64_T_FMT "\n", since));
    for (c = 0; c < CTX_STAT_REFUSED_FIRST; ++c) {
        prom_family(parts, metas[c].family, metas[c].type, metas[c].help);
        for (i = 0; rows && i < rows->nelts; ++i) {
            add(parts, apr_psprintf(p, "%s{app=\"%s\"} %" APR_UINT64_T_FMT
                                    "\n", metas[c].family, names[i],
                                    APR_ARRAY_IDX(rows, i,
                                                  ctx_stats_row_t).v[c]));
        }
    }
    prom_family(parts, REFUSED_FAMILY, "counter", REFUSED_HELP);
    for (i = 0; rows && i < rows->nelts; ++i) {
        for (c = CTX_STAT_REFUSED_FIRST; c < CTX_STAT_COUNT; ++c) {
            add(parts, apr_psprintf(p, REFUSED_FAMILY "{app=\"%s\",reason="
                                    "\"%s\"} %" APR_UINT64_T_FMT "\n",
                                    names[i], refused_reason((ctx_stat_t)c),
                                    APR_ARRAY_IDX(rows, i,
                                                  ctx_stats_row_t).v[c]));
        }
    }
    prom_family(parts, "ctx_app_config_key", "gauge",
                "CtxConfig keys of each app, always 1 (values are never "
                "shown).");
    for (i = 0; rows && i < rows->nelts; ++i) {
        const apr_array_header_t *keys =
            APR_ARRAY_IDX(rows, i, ctx_stats_row_t).keys;

        for (int k = 0; keys && k < keys->nelts; ++k) {
            add(parts, apr_psprintf(p, "ctx_app_config_key{app=\"%s\","
                                    "key=\"%s\"} 1\n", names[i],
                                    ctx_stats_prom_escape(
                                        p, APR_ARRAY_IDX(keys, k,
                                                         const char *))));
        }
    }
    return apr_array_pstrcat(p, parts, '\0');
}

/* ---- HTML ---------------------------------------------------------------- */

const char *ctx_stats_html_escape(apr_pool_t *p, const char *s)
{
    apr_array_header_t *parts = apr_array_make(p, 8, sizeof(const char *));
    const char *run = s;

    for (const char *c = s;; ++c) {
        const char *ent = NULL;

        switch (*c) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: break;
        }
        if (ent || !*c) {
            add(parts, apr_pstrmemdup(p, run, (apr_size_t)(c - run)));
            if (!*c) {
                break;
            }
            add(parts, ent);
            run = c + 1;
        }
    }
    return apr_array_pstrcat(p, parts, '\0');
}

const char *ctx_stats_html(apr_pool_t *p, const apr_array_header_t *rows)
{
    apr_array_header_t *parts = apr_array_make(p, 256, sizeof(const char *));
    apr_uint64_t total[CTX_STAT_COUNT];
    int i, c, n = rows ? rows->nelts : 0;

    ctx_stats_total(rows, total);
    add(parts, "<table class=\"ctx-status\">\n<tr><th>counter</th>");
    for (i = 0; i < n; ++i) {
        add(parts, apr_pstrcat(p, "<th>", ctx_stats_html_escape(
                                   p, APR_ARRAY_IDX(rows, i,
                                                    ctx_stats_row_t).name),
                               "</th>", NULL));
    }
    add(parts, "<th>total</th></tr>\n");
    for (c = 0; c < CTX_STAT_COUNT; ++c) {
        add(parts, apr_pstrcat(p, "<tr><td>", full_names[c], "</td>", NULL));
        for (i = 0; i < n; ++i) {
            add(parts, apr_psprintf(p, "<td>%" APR_UINT64_T_FMT "</td>",
                                    APR_ARRAY_IDX(rows, i,
                                                  ctx_stats_row_t).v[c]));
        }
        add(parts, apr_psprintf(p, "<td>%" APR_UINT64_T_FMT "</td></tr>\n",
                                total[c]));
    }
    add(parts, "</table>\n<dl class=\"ctx-config-keys\">\n");
    for (i = 0; i < n; ++i) {
        const ctx_stats_row_t *row = &APR_ARRAY_IDX(rows, i, ctx_stats_row_t);

        add(parts, apr_pstrcat(p, "<dt>", ctx_stats_html_escape(p, row->name),
                               " CtxConfig keys</dt><dd>", NULL));
        for (int k = 0; row->keys && k < row->keys->nelts; ++k) {
            add(parts, apr_pstrcat(p, k ? ", " : "", ctx_stats_html_escape(
                                       p, APR_ARRAY_IDX(row->keys, k,
                                                        const char *)),
                                   NULL));
        }
        add(parts, "</dd>\n");
    }
    add(parts, "</dl>\n");
    return apr_array_pstrcat(p, parts, '\0');
}
