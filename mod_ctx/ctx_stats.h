/* ctx_stats: server-wide counters of mod_ctx (SetHandler ctx-status) and
 * their text forms: JSON, Prometheus text exposition, an HTML table.
 *
 * Layout: one block of memory (the glue makes it an anonymous shared
 * segment that every child inherits) holding a header, the names of up to
 * `max_apps` apps and `lanes` x (max_apps + 1) rows of counters. Row
 * `max_apps` is the overflow row "(other)": apps registered once every
 * named row is taken count there. Each process adds into one lane
 * (ctx_stats_claim_lane: round robin, so children rarely share a lane's
 * cache lines); a reader sums the lanes. Adds are relaxed atomic adds of
 * 64-bit cells: no lock, exact sums. The two gauges (tasks queued and
 * running) are added to and subtracted from in the same lane; a sum is
 * read as signed and shown as 0 when a reader catches it below zero.
 *
 * Rows are found by app name (ctx_stats_app), so an app keeps its row and
 * its totals while the block lives, whatever the order of the vhosts.
 * Registering is not thread safe: the glue does it in the parent at
 * post_config, before any child adds. Names are kept up to
 * CTX_STATS_NAME_MAX - 1 bytes (two names equal on those bytes share a
 * row). */
#ifndef CTX_STATS_H
#define CTX_STATS_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "ctx_codec.h"
#include "ctx_store.h"

#define CTX_STATS_LANES 32
#define CTX_STATS_MAX_APPS 64
#define CTX_STATS_NAME_MAX 128
#define CTX_STATS_OTHER_NAME "(other)"

typedef enum {
    CTX_STAT_REQUESTS = 0,      /* main requests (not subrequests or
                                 * internal redirects) */
    CTX_STAT_SESSIONS_LOADED,   /* a session came in and was accepted */
    CTX_STAT_SESSIONS_NEW,      /* a request used the session and had none */
    CTX_STAT_SESSIONS_SAVED,    /* a new session value went out or was
                                 * written to the store */
    CTX_STAT_SESSIONS_DELETED,  /* the session cookie or entry was deleted */
    CTX_STAT_STORE_READS,       /* store get calls */
    CTX_STAT_STORE_WRITES,      /* store set and remove calls */
    CTX_STAT_STORE_ERRORS,      /* store calls that failed (down included) */
    CTX_STAT_TASKS_QUEUED,      /* gauge: accepted, not started */
    CTX_STAT_TASKS_RUNNING,     /* gauge: running */
    CTX_STAT_TASKS_DONE,        /* finished, failed ones included */
    CTX_STAT_TASKS_FAILED,      /* among done: returned an error */
    CTX_STAT_TASKS_REJECTED,    /* submits refused (queue full, shutdown) */
    CTX_STAT_TASKS_DROPPED,     /* accepted, dropped by a drain */
    /* Session cookies refused: one counter per ctx_reason_t past
     * CTX_REASON_OK (ctx_stats_refused(reason)), then two of the loader's
     * own. */
    CTX_STAT_REFUSED_FIRST,
    CTX_STAT_REFUSED_CONFLICT = CTX_STAT_REFUSED_FIRST + CTX_REASON_COUNT - 1,
    CTX_STAT_REFUSED_UNKNOWN_ID,    /* a valid id with no stored session */
    CTX_STAT_COUNT
} ctx_stat_t;

/* Counters per row; a row is 256 bytes (four cache lines). */
#define CTX_STATS_STRIDE 32

typedef struct ctx_stats_t ctx_stats_t;

/* The counter of a cookie refused for `reason`; CTX_STAT_COUNT for
 * CTX_REASON_OK or an unknown reason. */
ctx_stat_t ctx_stats_refused(ctx_reason_t reason);

/* Bytes needed for `lanes` lanes and `max_apps` named apps (both >= 1). */
apr_size_t ctx_stats_size(int lanes, int max_apps);

/* Lay out a fresh block at `mem` (`size` bytes, at least ctx_stats_size,
 * 64-byte aligned), zeroed, created at `now` (seconds). NULL for bad
 * arguments. The block is the caller's memory: nothing else is allocated. */
ctx_stats_t *ctx_stats_format(void *mem, apr_size_t size, int lanes,
                              int max_apps, apr_int64_t now);

/* The row of app `name` (NULL or empty: the overflow row), registering it
 * in the first free row. The overflow row when all are taken. */
int ctx_stats_app(ctx_stats_t *st, const char *name);

/* The row of app `name` if registered, else -1 (never registers: safe in
 * a child). */
int ctx_stats_find(const ctx_stats_t *st, const char *name);

/* Every row (named and overflow) summed over the lanes into `out`. */
void ctx_stats_sum_all(const ctx_stats_t *st,
                       apr_uint64_t out[CTX_STAT_COUNT]);

/* A lane for a new process (round robin over the lanes; thread safe). */
int ctx_stats_claim_lane(ctx_stats_t *st);

/* The counters of lane `lane` (the block's memory); add with
 * ctx_stats_add. NULL for a bad lane. */
apr_uint64_t *ctx_stats_lane(ctx_stats_t *st, int lane);

/* Add `n` (may be negative for the gauges) to counter `c` of row `app` in
 * a lane. Lock free; a NULL lane or a negative row does nothing. */
static inline void ctx_stats_add(apr_uint64_t *lane, int app, ctx_stat_t c,
                                 apr_int64_t n)
{
#ifdef CTX_STATS_OFF
    /* A build that measures what counting costs (bench/callgrind-status). */
    lane = NULL;
#endif
    if (lane && app >= 0 && c < CTX_STAT_COUNT) {
        __atomic_fetch_add(&lane[(apr_size_t)app * CTX_STATS_STRIDE + c],
                           (apr_uint64_t)n, __ATOMIC_RELAXED);
    }
}

/* When the block was formatted (seconds), its lanes and named rows. */
apr_int64_t ctx_stats_created(const ctx_stats_t *st);
int ctx_stats_lanes(const ctx_stats_t *st);
int ctx_stats_max_apps(const ctx_stats_t *st);

/* One app's sums. */
typedef struct {
    const char *name;           /* a copy */
    apr_array_header_t *keys;   /* const char *: its CtxConfig keys, sorted
                                 * (the caller fills them; NULL: none) */
    apr_uint64_t v[CTX_STAT_COUNT];
} ctx_stats_row_t;

/* The sums over all lanes of every registered app, in row order, then the
 * overflow row if anything was counted there: an array of ctx_stats_row_t
 * in `p`. */
apr_array_header_t *ctx_stats_snapshot(const ctx_stats_t *st, apr_pool_t *p);

/* Row `app` summed over the lanes into `out`. */
void ctx_stats_sum(const ctx_stats_t *st, int app,
                   apr_uint64_t out[CTX_STAT_COUNT]);

/* The sum of `rows` (ctx_stats_row_t) into `out`. */
void ctx_stats_total(const apr_array_header_t *rows,
                     apr_uint64_t out[CTX_STAT_COUNT]);

/* A counter's name, as JSON and HTML show it: "requests",
 * "sessions.loaded", "cookies_refused.bad_signature", "tasks.queued". */
const char *ctx_stats_name(ctx_stat_t c);

/* The texts, in `p`. Only names, keys and numbers appear: a row holds no
 * value that could be a secret. `since` is ctx_stats_created. */
const char *ctx_stats_json(apr_pool_t *p, const apr_array_header_t *rows,
                           apr_int64_t since);
const char *ctx_stats_prometheus(apr_pool_t *p,
                                 const apr_array_header_t *rows,
                                 apr_int64_t since);
/* A <table> (counters down, apps across, and a total column) and a list of
 * each app's config keys: a fragment for a page. */
const char *ctx_stats_html(apr_pool_t *p, const apr_array_header_t *rows);

/* A store that counts each call of `inner` in row `app` of the lane that
 * *lane points to when the call is made (reads: get; writes: set and
 * remove; errors: a call that failed, also while the store is marked
 * down: every status but APR_SUCCESS, APR_NOTFOUND for get and remove,
 * and APR_ENOSPC for get). `inner` and `lane` are borrowed and must
 * outlive the wrapper; it lives in `p`. NULL for a NULL `inner`. */
const ctx_store_t *ctx_stats_store_wrap(apr_pool_t *p,
                                        const ctx_store_t *inner,
                                        apr_uint64_t *const *lane, int app);

/* `s` escaped as a Prometheus label value (\\, \" and \n), in `p`. */
const char *ctx_stats_prom_escape(apr_pool_t *p, const char *s);
/* `s` escaped for HTML text and attributes, in `p`. */
const char *ctx_stats_html_escape(apr_pool_t *p, const char *s);

#endif
