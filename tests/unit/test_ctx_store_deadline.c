/* Unit tests of ctx_store_deadline: no call waits on the session store
 * longer than the deadline (issue #12, item 7), a hanging call touches
 * nothing the caller owns, and the hanging calls are bounded. */
#include <time.h>

#include "unit.h"

#include "ctx_session_store.h"
#include "ctx_store_deadline.h"
#include "ctx_store_health.h"
#include "ctx_store_mem.h"

#define KEY "ctx1.Smo0pdO335IMAsIW_XeqYZGIqjrzttyjMJRMhyeycgY"
#define TIMEOUT apr_time_from_msec(100)

/* A store whose calls hang until the test opens its gate; a released get
 * then writes "late" into the buffer it was given. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int open;
    unsigned entered, left;
    ctx_store_t store;
} gate_t;

static apr_status_t gate_wait(gate_t *g)
{
    pthread_mutex_lock(&g->lock);
    ++g->entered;
    pthread_cond_broadcast(&g->cond);
    while (!g->open) {
        pthread_cond_wait(&g->cond, &g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return APR_SUCCESS;
}

static void gate_leave(gate_t *g)
{
    pthread_mutex_lock(&g->lock);
    ++g->left;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

static apr_status_t gate_get(void *baton, const char *key, apr_size_t klen,
                             unsigned char *buf, apr_size_t *len,
                             apr_pool_t *p)
{
    (void)key, (void)klen;
    gate_wait(baton);
    /* The pool and buffer must still be usable now (they are the call's). */
    memcpy(buf, apr_pstrdup(p, "late"), 4);
    *len = 4;
    gate_leave(baton);
    return APR_SUCCESS;
}

static apr_status_t gate_set(void *baton, const char *key, apr_size_t klen,
                             const unsigned char *val, apr_size_t vlen,
                             apr_time_t expiry, apr_pool_t *p)
{
    (void)key, (void)klen, (void)val, (void)vlen, (void)expiry, (void)p;
    gate_wait(baton);
    gate_leave(baton);
    return APR_SUCCESS;
}

static apr_status_t gate_remove(void *baton, const char *key,
                                apr_size_t klen, apr_pool_t *p)
{
    (void)key, (void)klen, (void)p;
    gate_wait(baton);
    gate_leave(baton);
    return APR_SUCCESS;
}

static const ctx_store_ops_t gate_ops = { "gate", gate_get, gate_set,
                                          gate_remove };

static apr_status_t gate_cleanup(void *data)
{
    gate_t *g = data;

    /* Let every hanging call return before the test's pool goes. */
    pthread_mutex_lock(&g->lock);
    g->open = 1;
    pthread_cond_broadcast(&g->cond);
    while (g->left < g->entered) {
        pthread_cond_wait(&g->cond, &g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return APR_SUCCESS;
}

static gate_t *gate_new(apr_pool_t *p)
{
    gate_t *g = apr_pcalloc(p, sizeof(*g));

    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    g->store.ops = &gate_ops;
    g->store.baton = g;
    apr_pool_cleanup_register(p, g, gate_cleanup, apr_pool_cleanup_null);
    return g;
}

static void gate_open(gate_t *g)
{
    pthread_mutex_lock(&g->lock);
    g->open = 1;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

static unsigned gate_entered(gate_t *g)
{
    unsigned n;

    pthread_mutex_lock(&g->lock);
    n = g->entered;
    pthread_mutex_unlock(&g->lock);
    return n;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec)
           + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Poll (bounded) until no timed-out call is left in the store. */
static unsigned stuck_after_wait(ctx_store_deadline_t *d)
{
    for (int i = 0; i < 500 && ctx_store_deadline_counts(d).stuck; ++i) {
        apr_sleep(apr_time_from_msec(10));
    }
    return ctx_store_deadline_counts(d).stuck;
}

static void test_deadline_passes_calls_and_values_through(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_store_mem_t *mem = ctx_store_mem_create(p);
    ctx_store_deadline_t *d = ctx_store_deadline_create(
        p, ctx_store_mem_store(mem), TIMEOUT, 2);
    const ctx_store_t *st = ctx_store_deadline_store(d);
    const unsigned char *v;
    apr_size_t len;

    ctx_store_mem_set_now(mem, apr_time_from_sec(1700000000));
    assert_int_equal(ctx_store_get(st, p, KEY, 64, &v, &len), APR_NOTFOUND);
    assert_int_equal(ctx_store_set(st, p, KEY, "value", 5,
                                   apr_time_from_sec(1700000060)),
                     APR_SUCCESS);
    assert_int_equal(ctx_store_get(st, p, KEY, 64, &v, &len), APR_SUCCESS);
    assert_int_equal(len, 5);
    assert_memory_equal(v, "value", 5);
    /* A reader's buffer too small is the contract's APR_ENOSPC. */
    assert_int_equal(ctx_store_get(st, p, KEY, 3, &v, &len), APR_ENOSPC);
    assert_int_equal(ctx_store_remove(st, p, KEY), APR_SUCCESS);
    assert_int_equal(ctx_store_get(st, p, KEY, 64, &v, &len), APR_NOTFOUND);
    assert_int_equal(ctx_store_mem_counts(mem).gets, 4);
    assert_int_equal(ctx_store_deadline_counts(d).timeouts, 0);
}

static void test_deadline_hanging_get_returns_timeup_in_time(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    gate_t *g = gate_new(p);
    ctx_store_deadline_t *d = ctx_store_deadline_create(p, &g->store,
                                                        TIMEOUT, 2);
    unsigned char buf[16] = "untouched";
    apr_size_t len = sizeof(buf);
    struct timespec t0;
    apr_status_t rv;
    double took;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    rv = ctx_store_deadline_store(d)->ops->get(d, KEY, strlen(KEY), buf,
                                               &len, p);
    took = seconds_since(&t0);
    assert_int_equal(rv, APR_TIMEUP);
    assert_true(took >= 0.09 && took < 1.0);
    assert_int_equal(ctx_store_deadline_counts(d).stuck, 1);
    /* The call returns later: it writes only into its own buffer. */
    gate_open(g);
    assert_int_equal(stuck_after_wait(d), 0);
    assert_memory_equal(buf, "untouched", 9);
    assert_int_equal(len, sizeof(buf));
    assert_int_equal(ctx_store_deadline_counts(d).timeouts, 1);
}

static void test_deadline_hanging_set_and_remove_return_timeup(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    gate_t *g = gate_new(p);
    ctx_store_deadline_t *d = ctx_store_deadline_create(p, &g->store,
                                                        TIMEOUT, 4);
    const ctx_store_t *st = ctx_store_deadline_store(d);
    char *val = apr_pstrdup(p, "value");

    assert_int_equal(st->ops->set(st->baton, KEY, strlen(KEY),
                                  (const unsigned char *)val, 5, 0, p),
                     APR_TIMEUP);
    memset(val, 'X', 5);        /* the caller's copy is its own again */
    assert_int_equal(st->ops->remove(st->baton, KEY, strlen(KEY), p),
                     APR_TIMEUP);
    assert_int_equal(ctx_store_deadline_counts(d).stuck, 2);
    gate_open(g);
    assert_int_equal(stuck_after_wait(d), 0);
}

/* With every call thread stuck, a further call waits in the queue until
 * its deadline and is taken back: it never reaches the store, and no
 * thread beyond the bound is made. */
static void test_deadline_bounds_the_hanging_calls(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    gate_t *g = gate_new(p);
    ctx_store_deadline_t *d = ctx_store_deadline_create(p, &g->store,
                                                        TIMEOUT, 2);
    const ctx_store_t *st = ctx_store_deadline_store(d);

    for (int i = 0; i < 5; ++i) {
        assert_int_equal(st->ops->remove(st->baton, KEY, strlen(KEY), p),
                         APR_TIMEUP);
    }
    assert_int_equal(gate_entered(g), 2);
    assert_int_equal(ctx_store_deadline_counts(d).threads, 2);
    assert_int_equal(ctx_store_deadline_counts(d).stuck, 2);
    assert_int_equal(ctx_store_deadline_counts(d).timeouts, 5);
    /* Once the store answers again, the threads serve new calls. */
    gate_open(g);
    assert_int_equal(stuck_after_wait(d), 0);
    assert_int_equal(st->ops->remove(st->baton, KEY, strlen(KEY), p),
                     APR_SUCCESS);
    assert_int_equal(gate_entered(g), 3);
}

/* Under the health view, as the glue stacks them: the first timeout marks
 * the store down (one log line) and the next call fails at once without
 * reaching the hanging store. */
static void test_deadline_timeout_marks_the_store_down_once(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    gate_t *g = gate_new(p);
    ctx_store_deadline_t *d = ctx_store_deadline_create(p, &g->store,
                                                        TIMEOUT, 2);
    ctx_store_health_t *h = ctx_store_health_create(
        p, ctx_store_deadline_store(d), "socache:redis:127.0.0.1:1");
    const unsigned char *v;
    apr_size_t len;
    struct timespec t0;

    assert_int_equal(ctx_store_get(ctx_store_health_store(h), p, KEY, 64,
                                   &v, &len), CTX_ESTORE);
    assert_true(ctx_store_health_down(h));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(ctx_store_get(ctx_store_health_store(h), p, KEY, 64,
                                   &v, &len), CTX_ESTORE);
    assert_true(seconds_since(&t0) < 0.05);
    assert_int_equal(gate_entered(g), 1);
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 1);
}

/* A provider that answers at once with its own APR_TIMEUP (a socket
 * timeout of apr_redis): a plain failure, not the deadline's; the job must
 * still be freed (the ASan run's leak check sees it otherwise). */
static apr_status_t timeup_get(void *baton, const char *key, apr_size_t klen,
                               unsigned char *buf, apr_size_t *len,
                               apr_pool_t *p)
{
    (void)baton, (void)key, (void)klen, (void)buf, (void)len, (void)p;
    return APR_TIMEUP;
}

static apr_status_t timeup_set(void *baton, const char *key, apr_size_t klen,
                               const unsigned char *val, apr_size_t vlen,
                               apr_time_t expiry, apr_pool_t *p)
{
    (void)baton, (void)key, (void)klen, (void)val, (void)vlen;
    (void)expiry, (void)p;
    return APR_TIMEUP;
}

static apr_status_t timeup_remove(void *baton, const char *key,
                                  apr_size_t klen, apr_pool_t *p)
{
    (void)baton, (void)key, (void)klen, (void)p;
    return APR_TIMEUP;
}

static void test_deadline_frees_a_job_the_provider_itself_timed_out(void **state)
{
    static const ctx_store_ops_t ops = { "timeup", timeup_get, timeup_set,
                                         timeup_remove };
    apr_pool_t *p = UNIT_POOL(state);
    ctx_store_t inner = { &ops, NULL };
    ctx_store_deadline_t *d = ctx_store_deadline_create(p, &inner,
                                                        apr_time_from_sec(5),
                                                        2);
    const ctx_store_ops_t *w = ctx_store_deadline_store(d)->ops;
    unsigned char buf[4096];
    apr_size_t len;

    for (int i = 0; i < 3; ++i) {
        len = sizeof(buf);
        assert_int_equal(w->get(d, KEY, strlen(KEY), buf, &len, p),
                         APR_TIMEUP);
        assert_int_equal(w->set(d, KEY, strlen(KEY),
                                (const unsigned char *)"v", 1, 0, p),
                         APR_TIMEUP);
        assert_int_equal(w->remove(d, KEY, strlen(KEY), p), APR_TIMEUP);
    }
    /* The provider's answers, not the deadline's. */
    assert_int_equal(ctx_store_deadline_counts(d).timeouts, 0);
    assert_int_equal(ctx_store_deadline_counts(d).stuck, 0);
}

/* A child's exit: the store is destroyed only when no call is inside it. */
static void test_deadline_drain_reports_a_call_still_in_the_provider(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    gate_t *g = gate_new(p);
    ctx_store_deadline_t *d = ctx_store_deadline_create(p, &g->store,
                                                        TIMEOUT, 2);
    unsigned char buf[16];
    apr_size_t len = sizeof(buf);

    assert_int_equal(ctx_store_deadline_store(d)->ops->get(
                         d, KEY, strlen(KEY), buf, &len, p), APR_TIMEUP);
    assert_int_equal(ctx_store_deadline_drain(d, apr_time_from_msec(50)), 1);
    gate_open(g);
    assert_int_equal(ctx_store_deadline_drain(d, apr_time_from_sec(5)), 0);
    assert_int_equal(stuck_after_wait(d), 0);
}

static void test_deadline_refuses_bad_arguments(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_store_mem_t *mem = ctx_store_mem_create(p);
    ctx_store_t empty = { NULL, NULL };

    assert_null(ctx_store_deadline_create(p, NULL, TIMEOUT, 1));
    assert_null(ctx_store_deadline_create(p, &empty, TIMEOUT, 1));
    assert_null(ctx_store_deadline_create(p, ctx_store_mem_store(mem), 0,
                                          1));
    assert_null(ctx_store_deadline_create(p, ctx_store_mem_store(mem),
                                          TIMEOUT, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_deadline_passes_calls_and_values_through),
        UNIT_TEST(test_deadline_hanging_get_returns_timeup_in_time),
        UNIT_TEST(test_deadline_hanging_set_and_remove_return_timeup),
        UNIT_TEST(test_deadline_bounds_the_hanging_calls),
        UNIT_TEST(test_deadline_timeout_marks_the_store_down_once),
        UNIT_TEST(test_deadline_frees_a_job_the_provider_itself_timed_out),
        UNIT_TEST(test_deadline_drain_reports_a_call_still_in_the_provider),
        UNIT_TEST(test_deadline_refuses_bad_arguments),
    };

    return UNIT_RUN(tests);
}
