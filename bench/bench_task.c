/* bench_task: the cost of handing work to a background task, measured on
 * the core that mod_ctx's ctx_task_submit() runs on the request thread:
 * copy a typical request (10 headers, 5 `g` strings, a 200-byte session)
 * into a new task's own pool, give it a context, and queue it; then the
 * throughput of trivial tasks through one pool; then a paced stream (what a
 * child sees under steady load), with a wake-up per task (poll interval 0)
 * and with the default polling: context switches and wake-ups per task,
 * and how long a task waited to start (CPU time is left out: getrusage is
 * too coarse here for a few microseconds a task). Prints figures; never fails
 * on time.
 *   bench/bench_task [submits]      (default 200000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <apr_general.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>

#include "ctx_context.h"
#include "ctx_g.h"
#include "ctx_snapshot.h"
#include "ctx_task.h"

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static int task_status(void *req) { (void)req; return 0; }
static const char *task_describe(void *req) { (void)req; return "GET /bench"; }
static const char *task_query(void *req) { return ((ctx_snapshot_t *)req)->query; }
static const ctx_request_ops_t ops = { task_status, task_describe, task_query };

static apr_status_t trivial(ctx_task_t *t, void *baton)
{
    (void)t;
    (void)baton;
    return APR_SUCCESS;
}

/* ---- a paced stream ---------------------------------------------------- */

#define PACED_MAX 20000
static double paced_wait[PACED_MAX];     /* submit to start, ns */
static int paced_n;

static apr_status_t stamp(ctx_task_t *t, void *baton)
{
    int i = __atomic_fetch_add(&paced_n, 1, __ATOMIC_RELAXED);

    (void)t;
    if (i < PACED_MAX) {
        paced_wait[i] = now_ns() - *(double *)baton;
    }
    return APR_SUCCESS;
}

static long switches(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_nvcsw + ru.ru_nivcsw;
}

/* Sleep until the next tick of a `rate` per second clock. */
static void tick(struct timespec *next, int rate)
{
    next->tv_nsec += 1000000000L / rate;
    if (next->tv_nsec >= 1000000000L) {
        next->tv_sec += 1;
        next->tv_nsec -= 1000000000L;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL);
}

/* Context switches of `n` ticks at `rate` doing nothing: what the pacing
 * itself costs, taken off the figures below. */
static long pacing_cost(int rate, int n)
{
    struct timespec next;
    long s0 = switches();

    clock_gettime(CLOCK_MONOTONIC, &next);
    for (int i = 0; i < n; ++i) {
        tick(&next, rate);
    }
    return switches() - s0;
}

/* `rate` trivial tasks per second for one second into a pool of 4 threads
 * with the given poll interval; one line of figures. */
static void paced(apr_pool_t *root, int rate, apr_interval_time_t poll)
{
    apr_pool_t *p;
    ctx_taskpool_t *tp;
    ctx_taskpool_stats_t st;
    struct timespec next;
    long s0, s1, pace_csw;
    int n = rate < PACED_MAX ? rate : PACED_MAX;

    pace_csw = pacing_cost(rate, n);
    apr_pool_create(&p, root);
    ctx_taskpool_create(&tp, p, 4, 1 << 16, NULL);
    ctx_taskpool_set_poll_interval(tp, poll);
    paced_n = 0;
    s0 = switches();
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (int i = 0; i < n; ++i) {
        ctx_task_t *t;
        double *at;

        tick(&next, rate);
        ctx_task_create(&t, tp);
        at = apr_palloc(ctx_task_pool(t), sizeof(*at));
        *at = now_ns();
        if (ctx_taskpool_submit(tp, t, stamp, at) != APR_SUCCESS) {
            ctx_task_destroy(t);
        }
    }
    ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL);
    s1 = switches();
    ctx_taskpool_stats(tp, &st);
    n = paced_n < PACED_MAX ? paced_n : PACED_MAX;
    qsort(paced_wait, (size_t)n, sizeof(double), cmp_double);
    printf("paced %5d tasks/s, poll %3.1f ms: %4.2f context switches/task "
           "(beyond the pacing), %5.3f wake-ups/task (%llu signals, %llu "
           "polls); start wait median %.0f us, p99 %.0f us, max %.0f us\n",
           rate, poll / 1000.0, (double)(s1 - s0 - pace_csw) / n,
           (double)(st.signals + st.polls) / n,
           (unsigned long long)st.signals, (unsigned long long)st.polls,
           paced_wait[n / 2] / 1e3, paced_wait[n * 99 / 100] / 1e3,
           paced_wait[n - 1] / 1e3);
    apr_pool_destroy(p);
}

/* What the glue does per submit, minus reading request_rec fields. */
static apr_status_t submit_one(ctx_taskpool_t *tp, const ctx_snapshot_t *src,
                               ctx_gtable_t *g)
{
    ctx_task_t *t;
    ctx_snapshot_t *snap;
    ctx_t *c;
    apr_status_t rv;

    if ((rv = ctx_task_create(&t, tp)) != APR_SUCCESS) {
        return rv;
    }
    snap = ctx_snapshot_copy(ctx_task_pool(t), src);
    c = ctx_context_create_task(ctx_task_pool(t), snap, &ops);
    ctx_gtable_copy_into(ctx_context_g(c), g);
    ctx_task_set_description(t, "GET /background?email=a%40b.test");
    if ((rv = ctx_taskpool_submit(tp, t, trivial, NULL)) != APR_SUCCESS) {
        ctx_task_destroy(t);
    }
    return rv;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    apr_pool_t *root, *req;
    ctx_taskpool_t *tp;
    ctx_snapshot_t src;
    ctx_gtable_t *g;
    ctx_taskpool_stats_t st;
    double *lat, t0, t1;
    long accepted = 0;
    char pad[160];

    apr_initialize();
    apr_pool_create(&root, NULL);
    apr_pool_create(&req, root);
    memset(&src, 0, sizeof(src));
    src.method = "GET";
    src.uri = "/background";
    src.unparsed_uri = "/background?email=a%40b.test";
    src.query = "email=a%40b.test";
    src.remote_addr = "127.0.0.1";
    src.headers = apr_table_make(req, 10);
    for (int i = 0; i < 10; ++i) {
        apr_table_add(src.headers, apr_psprintf(req, "X-Header-%d", i),
                      "a typical header value of some length");
    }
    src.config = apr_hash_make(req);
    apr_hash_set(src.config, "DATABASE_URL", APR_HASH_KEY_STRING,
                 "postgresql://127.0.0.1/app");
    memset(pad, 'x', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    /* ~200 bytes of JSON, as the glue hands a session's text over */
    src.session = apr_psprintf(req, "{\"count\":42,\"pad\":\"%s\","
                               "\"user\":\"alice\"}", pad);
    src.session_len = strlen(src.session);
    g = ctx_gtable_create(req);
    for (int i = 0; i < 5; ++i) {
        ctx_gtable_set(g, apr_psprintf(req, "key%d", i), "a g string value");
    }

    /* Submit cost: one at a time, the pool keeping up (queue never full). */
    ctx_taskpool_create(&tp, root, 4, 1 << 20, NULL);
    lat = malloc(sizeof(double) * (size_t)n);
    for (long i = 0; i < n; ++i) {
        t0 = now_ns();
        if (submit_one(tp, &src, g) == APR_SUCCESS) {
            ++accepted;
        }
        lat[i] = now_ns() - t0;
    }
    ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL);
    qsort(lat, (size_t)n, sizeof(double), cmp_double);
    printf("submit (copy + context + enqueue): median %.2f us, p90 %.2f us, "
           "p99 %.2f us over %ld submits (%ld accepted)\n",
           lat[n / 2] / 1e3, lat[n * 9 / 10] / 1e3, lat[n * 99 / 100] / 1e3,
           n, accepted);

    /* Throughput: trivial tasks through a fresh pool of 4 threads. */
    ctx_taskpool_create(&tp, root, 4, 1 << 20, NULL);
    t0 = now_ns();
    for (long i = 0; i < n; ++i) {
        ctx_task_t *t;

        ctx_task_create(&t, tp);
        if (ctx_taskpool_submit(tp, t, trivial, NULL) != APR_SUCCESS) {
            ctx_task_destroy(t);
        }
    }
    ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL);
    t1 = now_ns();
    ctx_taskpool_stats(tp, &st);
    printf("throughput: %.0f trivial tasks/s through one pool of 4 threads "
           "(%llu done)\n", (double)st.done / ((t1 - t0) / 1e9),
           (unsigned long long)st.done);

    /* A child under steady load sees 10,000 tasks/s or so; 500/s: light. */
    paced(root, 10000, 0);
    paced(root, 10000, CTX_TASK_POLL_DEFAULT);
    paced(root, 500, 0);
    paced(root, 500, CTX_TASK_POLL_DEFAULT);
    free(lat);
    apr_pool_destroy(root);
    apr_terminate();
    return 0;
}
