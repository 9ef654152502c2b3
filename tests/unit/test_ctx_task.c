/* Unit tests of ctx_task: the bounded pool of background task threads.
 *
 * No test sleeps to make something happen: workers are held with a gate
 * (fx.gate) and the tests wait on counters (tasks started, task pools
 * destroyed) to know where the workers are. The test teardown opens the gate
 * before the test's pool (and so the task pool) is destroyed, so that a
 * failing test cannot leave workers blocked forever.
 *
 * Every wait gives up after WAIT_LIMIT seconds (far more than any correct
 * run needs: the whole program takes well under a second) and the test then
 * fails instead of hanging; alarm() ends the program if a bug blocks a
 * thread where no test can time it out (e.g. in pthread_join). */
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

#include "ctx_task.h"

/* ---- shared fixture ---------------------------------------------------- */

/* A counter other threads bump and the main thread waits on. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int n;
} counter_t;

#define WAIT_LIMIT 10           /* seconds */

/* WAIT_LIMIT seconds from now, for pthread_cond_timedwait on a condition
 * variable with the default (realtime) clock. */
static struct timespec wait_limit(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += WAIT_LIMIT;
    return ts;
}

static void counter_add(counter_t *c)
{
    pthread_mutex_lock(&c->lock);
    ++c->n;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

/* 1 once the counter reaches n; 0 if it did not within WAIT_LIMIT. */
static int counter_wait(counter_t *c, int n)
{
    struct timespec limit = wait_limit();
    int ok;

    pthread_mutex_lock(&c->lock);
    while (c->n < n) {
        if (pthread_cond_timedwait(&c->cond, &c->lock, &limit) != 0) {
            break;
        }
    }
    ok = c->n >= n;
    pthread_mutex_unlock(&c->lock);
    return ok;
}

static int counter_get(counter_t *c)
{
    int n;

    pthread_mutex_lock(&c->lock);
    n = c->n;
    pthread_mutex_unlock(&c->lock);
    return n;
}

static void counter_reset(counter_t *c)
{
    pthread_mutex_lock(&c->lock);
    c->n = 0;
    pthread_mutex_unlock(&c->lock);
}

/* Process-wide (not on a test's stack) so that the teardown of a failed test
 * can still open the gate for workers that use them. */
static struct {
    unit_event_t gate;      /* blocking tasks wait for it */
    counter_t started;      /* recorded tasks whose fn started */
    counter_t cleaned;      /* recorded tasks whose pool was destroyed */
    int timeouts;           /* waits that gave up (atomic): test failed */
} fx = {
    .started = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 },
    .cleaned = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 },
};

static int task_group_setup(void **state)
{
    unit_event_init(&fx.gate);
    return unit_group_setup(state);
}

/* Wait (on a worker) for the gate to open. */
static void gate_wait(void)
{
    struct timespec limit = wait_limit();

    pthread_mutex_lock(&fx.gate.lock);
    while (!fx.gate.set) {
        if (pthread_cond_timedwait(&fx.gate.cond, &fx.gate.lock, &limit)
            != 0) {
            __atomic_add_fetch(&fx.timeouts, 1, __ATOMIC_RELAXED);
            break;
        }
    }
    pthread_mutex_unlock(&fx.gate.lock);
}

static int task_setup(void **state)
{
    pthread_mutex_lock(&fx.gate.lock);
    fx.gate.set = 0;
    pthread_mutex_unlock(&fx.gate.lock);
    counter_reset(&fx.started);
    counter_reset(&fx.cleaned);
    __atomic_store_n(&fx.timeouts, 0, __ATOMIC_RELAXED);
    return unit_setup(state);
}

static int task_teardown(void **state)
{
    unit_event_signal(&fx.gate);
    unit_teardown(state);           /* drains task pools created in it */
    /* A wait on another thread gave up: fail the test. */
    return __atomic_load_n(&fx.timeouts, __ATOMIC_RELAXED) ? -1 : 0;
}

#define WAIT(c, n) assert_true(counter_wait((c), (n)))

#define TASK_TEST(f) cmocka_unit_test_setup_teardown(f, task_setup, task_teardown)

/* ---- a recorded task ----------------------------------------------------- */

/* What happened to one task. Each field is written by the one thread that
 * handles the task at that point; the main thread reads them after a drain
 * (threads joined) or a counter wait. */
typedef struct {
    int blocks;                 /* fn waits for fx.gate */
    apr_status_t rv;            /* what fn returns */

    int runs;                   /* fn calls (atomic) */
    int step;                   /* events so far */
    int at_enter, at_fn, at_leave, at_cleanup;  /* step of each, 0: never */
    pthread_t th_enter, th_fn, th_leave, th_cleanup;
    ctx_task_t *t_enter, *t_fn, *t_leave;
    void *hb_enter, *hb_leave;
    void *baton_seen;
    apr_status_t leave_rv;
    int pool_alive_in_leave;
    int ends;                   /* end callback calls (atomic) */
    int at_end;
    pthread_t th_end;
    ctx_task_end_t end_how;
    apr_status_t end_rv;
} rec_t;

static int hook_token;

static void rec_enter(ctx_task_t *t, void *hook_baton)
{
    rec_t *r = ctx_task_data(t);

    r->at_enter = ++r->step;
    r->th_enter = pthread_self();
    r->t_enter = t;
    r->hb_enter = hook_baton;
}

static void rec_leave(ctx_task_t *t, apr_status_t rv, void *hook_baton)
{
    rec_t *r = ctx_task_data(t);

    r->at_leave = ++r->step;
    r->th_leave = pthread_self();
    r->t_leave = t;
    r->hb_leave = hook_baton;
    r->leave_rv = rv;
    r->pool_alive_in_leave = r->at_cleanup == 0;
}

static const ctx_task_hooks_t rec_hooks = { rec_enter, rec_leave, &hook_token };

static apr_status_t rec_fn(ctx_task_t *t, void *baton)
{
    rec_t *r = baton;

    __atomic_add_fetch(&r->runs, 1, __ATOMIC_RELAXED);
    r->at_fn = ++r->step;
    r->th_fn = pthread_self();
    r->t_fn = t;
    r->baton_seen = baton;
    counter_add(&fx.started);
    if (r->blocks) {
        gate_wait();
    }
    return r->rv;
}

static apr_status_t rec_cleanup(void *data)
{
    rec_t *r = data;

    r->at_cleanup = ++r->step;
    r->th_cleanup = pthread_self();
    counter_add(&fx.cleaned);
    return APR_SUCCESS;
}

/* A task recording into `r` (its data and baton), with a cleanup on its
 * pool. */
static ctx_task_t *rec_task(ctx_taskpool_t *tp, rec_t *r, const char *desc)
{
    ctx_task_t *t = NULL;

    assert_int_equal(ctx_task_create(&t, tp), APR_SUCCESS);
    assert_non_null(t);
    ctx_task_set_data(t, r);
    ctx_task_set_description(t, desc);
    apr_pool_cleanup_register(ctx_task_pool(t), r, rec_cleanup,
                              apr_pool_cleanup_null);
    return t;
}

/* An end callback recording into the task's rec_t. */
static void rec_end(ctx_task_t *t, ctx_task_end_t how, apr_status_t rv,
                    void *baton)
{
    rec_t *r = baton;

    __atomic_add_fetch(&r->ends, 1, __ATOMIC_RELAXED);
    r->at_end = ++r->step;
    r->th_end = pthread_self();
    r->end_how = how;
    r->end_rv = rv;
    (void)t;
}

/* Submit a recorded task that must be accepted. */
static void rec_submit(ctx_taskpool_t *tp, rec_t *r, const char *desc)
{
    ctx_task_t *t = rec_task(tp, r, desc);

    assert_int_equal(ctx_taskpool_submit(tp, t, rec_fn, r), APR_SUCCESS);
}

static ctx_taskpool_t *make_pool(apr_pool_t *p, int threads, int queue_max,
                                 const ctx_task_hooks_t *hooks)
{
    ctx_taskpool_t *tp = NULL;

    assert_int_equal(ctx_taskpool_create(&tp, p, threads, queue_max, hooks),
                     APR_SUCCESS);
    assert_non_null(tp);
    return tp;
}

static void assert_accounted(ctx_taskpool_t *tp, apr_uint64_t accepted)
{
    ctx_taskpool_stats_t st;

    ctx_taskpool_stats(tp, &st);
    assert_int_equal(st.queued + st.running + st.done + st.dropped, accepted);
}

/* ---- helper threads -------------------------------------------------------- */

/* Opens the gate once `n` recorded task pools were destroyed. */
typedef struct {
    int n;
} opener_t;

static void *open_after_cleaned(void *arg)
{
    opener_t *o = arg;

    if (!counter_wait(&fx.cleaned, o->n)) {
        __atomic_add_fetch(&fx.timeouts, 1, __ATOMIC_RELAXED);
    }
    unit_event_signal(&fx.gate);
    return NULL;
}

/* Opens the gate once the task pool refuses tasks with CTX_ESHUTDOWN (a
 * drain has started). While the queue is full, probes are refused with
 * CTX_EQUEUEFULL; any other answer is recorded as unexpected. */
typedef struct {
    ctx_taskpool_t *tp;
    int probe_runs;             /* must stay 0 */
    int unexpected;             /* submit answers other than the two above */
    apr_status_t last;
} prober_t;

static apr_status_t probe_fn(ctx_task_t *t, void *baton)
{
    prober_t *pr = baton;

    __atomic_add_fetch(&pr->probe_runs, 1, __ATOMIC_RELAXED);
    return APR_SUCCESS;
}

static void *open_on_shutdown(void *arg)
{
    prober_t *pr = arg;
    apr_time_t limit = apr_time_now() + apr_time_from_sec(WAIT_LIMIT);

    for (;;) {
        ctx_task_t *t = NULL;
        apr_status_t rv = ctx_task_create(&t, pr->tp);

        if (rv == APR_SUCCESS) {
            rv = ctx_taskpool_submit(pr->tp, t, probe_fn, pr);
        }
        pr->last = rv;
        if (rv == CTX_EQUEUEFULL && apr_time_now() < limit) {
            ctx_task_destroy(t);
            sched_yield();
            continue;
        }
        if (rv == CTX_ESHUTDOWN || rv == CTX_EQUEUEFULL) {
            ctx_task_destroy(t);
        }
        if (rv == CTX_EQUEUEFULL) {
            __atomic_add_fetch(&fx.timeouts, 1, __ATOMIC_RELAXED);
        }
        else if (rv != CTX_ESHUTDOWN) {
            ++pr->unexpected;   /* the task, if accepted, is the pool's */
        }
        break;
    }
    unit_event_signal(&fx.gate);
    return NULL;
}

/* ---- a counting task ------------------------------------------------------ */

static apr_status_t count_fn(ctx_task_t *t, void *baton)
{
    __atomic_add_fetch((int *)baton, 1, __ATOMIC_RELAXED);
    return APR_SUCCESS;
}

#define MANY 10000
static int counts[MANY];

/* ---- tests ------------------------------------------------------------------ */

static void test_task_every_submitted_task_runs_exactly_once(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 4, MANY, NULL);
    ctx_taskpool_stats_t st;
    apr_size_t dropped = 99;

    memset(counts, 0, sizeof(counts));
    for (int i = 0; i < MANY; ++i) {
        ctx_task_t *t = NULL;

        assert_int_equal(ctx_task_create(&t, tp), APR_SUCCESS);
        assert_int_equal(ctx_taskpool_submit(tp, t, count_fn, &counts[i]),
                         APR_SUCCESS);
    }
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, &dropped),
                     APR_SUCCESS);
    assert_int_equal(dropped, 0);
    for (int i = 0; i < MANY; ++i) {
        if (counts[i] != 1) {
            fail_msg("task %d ran %d times", i, counts[i]);
        }
    }
    ctx_taskpool_stats(tp, &st);
    assert_int_equal(st.done, MANY);
    assert_int_equal(st.failed, 0);
    assert_int_equal(st.queued, 0);
    assert_int_equal(st.running, 0);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(st.dropped, 0);
}

typedef struct {
    ctx_taskpool_t *tp;
    int from, to;
    int refused;                /* submits or creates that failed */
} submitter_t;

static void *submit_range(void *arg)
{
    submitter_t *s = arg;

    for (int i = s->from; i < s->to; ++i) {
        ctx_task_t *t = NULL;

        if (ctx_task_create(&t, s->tp) != APR_SUCCESS) {
            ++s->refused;
        }
        else if (ctx_taskpool_submit(s->tp, t, count_fn, &counts[i])
                 != APR_SUCCESS) {
            ++s->refused;
            ctx_task_destroy(t);
        }
    }
    return NULL;
}

static void test_task_concurrent_submitters_each_task_runs_exactly_once(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 3, MANY, NULL);
    submitter_t subs[4];
    pthread_t th[4];
    ctx_taskpool_stats_t st;

    memset(counts, 0, sizeof(counts));
    for (int i = 0; i < 4; ++i) {
        subs[i] = (submitter_t){ tp, i * (MANY / 4), (i + 1) * (MANY / 4), 0 };
        assert_int_equal(pthread_create(&th[i], NULL, submit_range, &subs[i]),
                         0);
    }
    for (int i = 0; i < 4; ++i) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(subs[i].refused, 0);
    }
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    for (int i = 0; i < MANY; ++i) {
        if (counts[i] != 1) {
            fail_msg("task %d ran %d times", i, counts[i]);
        }
    }
    ctx_taskpool_stats(tp, &st);
    assert_int_equal(st.done, MANY);
}

static void test_task_fn_runs_on_a_worker_thread_between_hooks(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 2, 64, &rec_hooks);
    pthread_t me = pthread_self();
    rec_t recs[20];

    memset(recs, 0, sizeof(recs));
    recs[3].rv = APR_EGENERAL;
    for (int i = 0; i < 20; ++i) {
        rec_submit(tp, &recs[i], "GET /hooks");
    }
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    for (int i = 0; i < 20; ++i) {
        rec_t *r = &recs[i];

        assert_int_equal(r->runs, 1);
        assert_false(pthread_equal(r->th_fn, me));
        assert_true(pthread_equal(r->th_enter, r->th_fn));
        assert_true(pthread_equal(r->th_leave, r->th_fn));
        assert_int_equal(r->at_enter, 1);
        assert_int_equal(r->at_fn, 2);
        assert_int_equal(r->at_leave, 3);
        /* The hooks and fn see the same task, fn its own baton. */
        assert_non_null(r->t_fn);
        assert_ptr_equal(r->t_enter, r->t_fn);
        assert_ptr_equal(r->t_leave, r->t_fn);
        assert_ptr_equal(r->baton_seen, r);
        assert_ptr_equal(r->hb_enter, &hook_token);
        assert_ptr_equal(r->hb_leave, &hook_token);
        assert_int_equal(r->leave_rv, r->rv);
    }
}

static void test_task_pool_destroyed_on_worker_after_leave(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 2, 8, &rec_hooks);
    pthread_t me = pthread_self();
    rec_t recs[4];

    memset(recs, 0, sizeof(recs));
    for (int i = 0; i < 4; ++i) {
        rec_submit(tp, &recs[i], "GET /cleanup");
    }
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    for (int i = 0; i < 4; ++i) {
        rec_t *r = &recs[i];

        assert_int_equal(r->at_cleanup, 4);     /* after enter, fn, leave */
        assert_true(r->pool_alive_in_leave);
        assert_true(pthread_equal(r->th_cleanup, r->th_fn));
        assert_false(pthread_equal(r->th_cleanup, me));
    }
    assert_int_equal(counter_get(&fx.cleaned), 4);
}

static void test_task_submit_to_full_queue_returns_equeuefull_and_counts_rejected(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 2, 3, &rec_hooks);
    rec_t recs[5], refused;
    ctx_taskpool_stats_t st;
    ctx_task_t *t;

    memset(recs, 0, sizeof(recs));
    memset(&refused, 0, sizeof(refused));
    /* Both workers held in their task: the queue only fills. */
    recs[0].blocks = recs[1].blocks = 1;
    rec_submit(tp, &recs[0], "GET /a");
    rec_submit(tp, &recs[1], "GET /b");
    WAIT(&fx.started, 2);
    for (int i = 2; i < 5; ++i) {
        rec_submit(tp, &recs[i], "GET /queued");
    }
    t = rec_task(tp, &refused, "GET /refused");
    assert_int_equal(ctx_taskpool_submit(tp, t, rec_fn, &refused),
                     CTX_EQUEUEFULL);
    assert_int_equal(ctx_taskpool_submit(tp, t, rec_fn, &refused),
                     CTX_EQUEUEFULL);
    ctx_taskpool_stats(tp, &st);
    assert_int_equal(st.queued, 3);
    assert_int_equal(st.running, 2);
    assert_int_equal(st.done, 0);
    assert_int_equal(st.rejected, 2);
    assert_accounted(tp, 5);
    /* The refused task is still ours: usable, then destroyed here. */
    assert_ptr_equal(ctx_task_data(t), &refused);
    assert_string_equal(ctx_task_description(t), "GET /refused");
    ctx_task_destroy(t);
    assert_int_equal(refused.at_cleanup, 1);
    assert_true(pthread_equal(refused.th_cleanup, pthread_self()));

    unit_event_signal(&fx.gate);
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    for (int i = 0; i < 5; ++i) {
        assert_int_equal(recs[i].runs, 1);
    }
    assert_int_equal(refused.runs, 0);
    assert_int_equal(refused.at_enter, 0);
    ctx_taskpool_stats(tp, &st);
    assert_int_equal(st.done, 5);
    assert_int_equal(st.rejected, 2);
    assert_accounted(tp, 5);
}

static void test_task_refused_task_can_be_submitted_again(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 1, 1, &rec_hooks);
    rec_t blocker = { .blocks = 1 }, queued = {0}, again = {0};
    ctx_task_t *t;

    rec_submit(tp, &blocker, "GET /blocker");
    WAIT(&fx.started, 1);
    rec_submit(tp, &queued, "GET /queued");
    t = rec_task(tp, &again, "GET /again");
    assert_int_equal(ctx_taskpool_submit(tp, t, rec_fn, &again),
                     CTX_EQUEUEFULL);
    unit_event_signal(&fx.gate);
    WAIT(&fx.started, 2);       /* `queued` left the queue */
    assert_int_equal(ctx_taskpool_submit(tp, t, rec_fn, &again), APR_SUCCESS);
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    assert_int_equal(again.runs, 1);
    assert_int_equal(again.at_cleanup, 4);
    assert_int_equal(queued.runs, 1);
}

static void test_task_submit_after_drain_returns_eshutdown(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 2, 8, &rec_hooks);
    rec_t late = {0};
    ctx_taskpool_stats_t st;
    ctx_task_t *t;

    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    t = rec_task(tp, &late, "GET /late");
    assert_int_equal(ctx_taskpool_submit(tp, t, rec_fn, &late), CTX_ESHUTDOWN);
    ctx_taskpool_stats(tp, &st);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(st.queued, 0);
    assert_int_equal(st.done, 0);
    /* Still ours. */
    ctx_task_destroy(t);
    assert_int_equal(late.runs, 0);
    assert_int_equal(late.at_cleanup, 1);
}

static void test_task_drain_without_timeout_runs_every_queued_task(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 1, 5, &rec_hooks);
    rec_t recs[6];
    prober_t pr = { tp, 0, 0, 0 };
    apr_size_t dropped = 99;
    ctx_taskpool_stats_t st;
    pthread_t th;

    memset(recs, 0, sizeof(recs));
    recs[0].blocks = 1;
    rec_submit(tp, &recs[0], "GET /blocker");
    WAIT(&fx.started, 1);
    for (int i = 1; i < 6; ++i) {
        rec_submit(tp, &recs[i], "GET /queued");
    }
    /* The worker is held until the drain has started: the 5 tasks are
     * still queued when it does. */
    assert_int_equal(pthread_create(&th, NULL, open_on_shutdown, &pr), 0);
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, &dropped),
                     APR_SUCCESS);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(pr.unexpected, 0);
    assert_int_equal(pr.last, CTX_ESHUTDOWN);
    assert_int_equal(pr.probe_runs, 0);
    assert_int_equal(dropped, 0);
    for (int i = 0; i < 6; ++i) {
        assert_int_equal(recs[i].runs, 1);
        assert_int_equal(recs[i].at_cleanup, 4);
    }
    ctx_taskpool_stats(tp, &st);
    assert_int_equal(st.done, 6);
    assert_int_equal(st.dropped, 0);
    assert_true(st.rejected >= 1);
    assert_int_equal(unit_log_count_at(CTX_LOG_WARNING), 0);
}

static void test_task_drain_timeout_drops_queued_tasks_and_waits_for_running(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 2, 4, &rec_hooks);
    rec_t running[2], queued[4];
    opener_t op = { 4 };
    apr_size_t dropped = 0;
    ctx_taskpool_stats_t st;
    pthread_t th;

    memset(running, 0, sizeof(running));
    memset(queued, 0, sizeof(queued));
    running[0].blocks = running[1].blocks = 1;
    rec_submit(tp, &running[0], "GET /running");
    rec_submit(tp, &running[1], "GET /running");
    WAIT(&fx.started, 2);
    for (int i = 0; i < 4; ++i) {
        rec_submit(tp, &queued[i], "GET /queued");
    }
    /* The workers stay held until the 4 queued tasks were dropped (their
     * pools destroyed): the timeout necessarily expires first. */
    assert_int_equal(pthread_create(&th, NULL, open_after_cleaned, &op), 0);
    assert_int_equal(ctx_taskpool_drain(tp, apr_time_from_msec(10), &dropped),
                     APR_TIMEUP);
    /* The drain returned after the running tasks finished. */
    for (int i = 0; i < 2; ++i) {
        assert_int_equal(running[i].runs, 1);
        assert_int_equal(running[i].at_leave, 3);
        assert_int_equal(running[i].at_cleanup, 4);
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(dropped, 4);
    for (int i = 0; i < 4; ++i) {
        rec_t *r = &queued[i];

        assert_int_equal(r->runs, 0);
        assert_int_equal(r->at_enter, 0);
        assert_int_equal(r->at_leave, 0);
        assert_int_equal(r->at_cleanup, 1);     /* pool destroyed, unrun */
        assert_true(pthread_equal(r->th_cleanup, pthread_self()));
    }
    ctx_taskpool_stats(tp, &st);
    assert_int_equal(st.dropped, 4);
    assert_int_equal(st.done, 2);
    assert_int_equal(st.queued, 0);
    assert_int_equal(st.running, 0);
    assert_accounted(tp, 6);
    assert_int_equal(unit_log_count_at(CTX_LOG_WARNING), 1);
    assert_int_equal(unit_log_count_matching(CTX_LOG_WARNING, "dropped 4 ",
                                             NULL), 1);
    /* Again: nothing left to do. */
    dropped = 99;
    assert_int_equal(ctx_taskpool_drain(tp, 0, &dropped), APR_SUCCESS);
    assert_int_equal(dropped, 0);
    ctx_taskpool_stats(tp, &st);
    assert_int_equal(st.dropped, 4);
    assert_int_equal(unit_log_count_at(CTX_LOG_WARNING), 1);
}

static void test_task_end_callback_runs_once_whether_the_task_ran_or_was_dropped(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 1, 2, &rec_hooks);
    rec_t running = {0}, queued[2], refused = {0};
    opener_t op = { 2 };
    ctx_task_t *t;
    apr_size_t dropped = 0;
    pthread_t th;

    memset(queued, 0, sizeof(queued));
    running.blocks = 1;
    running.rv = APR_EOF;       /* a failure, passed on as is */
    t = rec_task(tp, &running, "GET /running");
    ctx_task_set_end(t, rec_end, &running);
    assert_int_equal(ctx_taskpool_submit(tp, t, rec_fn, &running),
                     APR_SUCCESS);
    WAIT(&fx.started, 1);
    for (int i = 0; i < 2; ++i) {
        t = rec_task(tp, &queued[i], "GET /queued");
        ctx_task_set_end(t, rec_end, &queued[i]);
        assert_int_equal(ctx_taskpool_submit(tp, t, rec_fn, &queued[i]),
                         APR_SUCCESS);
    }
    /* Refused (queue full), then destroyed by its owner: no end. */
    t = rec_task(tp, &refused, "GET /refused");
    ctx_task_set_end(t, rec_end, &refused);
    assert_int_equal(ctx_taskpool_submit(tp, t, rec_fn, &refused),
                     CTX_EQUEUEFULL);
    ctx_task_destroy(t);
    assert_int_equal(refused.ends, 0);
    assert_int_equal(refused.at_cleanup, 1);

    /* The worker is held until both queued tasks were dropped. */
    assert_int_equal(pthread_create(&th, NULL, open_after_cleaned, &op), 0);
    assert_int_equal(ctx_taskpool_drain(tp, apr_time_from_msec(10), &dropped),
                     APR_TIMEUP);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(dropped, 2);

    assert_int_equal(running.ends, 1);
    assert_int_equal(running.end_how, CTX_TASK_END_RAN);
    assert_int_equal(running.end_rv, APR_EOF);
    assert_true(running.at_end > running.at_leave);     /* after the hooks */
    assert_true(running.at_end < running.at_cleanup);   /* pool still there */
    assert_true(pthread_equal(running.th_end, running.th_fn));
    for (int i = 0; i < 2; ++i) {
        rec_t *r = &queued[i];

        assert_int_equal(r->runs, 0);
        assert_int_equal(r->ends, 1);
        assert_int_equal(r->end_how, CTX_TASK_END_DROPPED);
        assert_int_equal(r->end_rv, CTX_ESHUTDOWN);
        assert_int_equal(r->at_end, 1);                 /* before the pool */
        assert_int_equal(r->at_cleanup, 2);
        assert_true(pthread_equal(r->th_end, pthread_self()));  /* drainer */
    }
    assert_int_equal(refused.ends, 0);
}

static void test_task_drain_twice_is_harmless(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 2, 8, &rec_hooks);
    rec_t r = {0};
    apr_size_t dropped = 99;

    rec_submit(tp, &r, "GET /once");
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, &dropped),
                     APR_SUCCESS);
    assert_int_equal(dropped, 0);
    dropped = 99;
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, &dropped),
                     APR_SUCCESS);
    assert_int_equal(dropped, 0);
    assert_int_equal(ctx_taskpool_drain(tp, 0, NULL), APR_SUCCESS);
    assert_int_equal(r.runs, 1);
}

static void test_task_failing_task_is_counted_failed_and_logged_with_description(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 1, 8, &rec_hooks);
    rec_t bad = { .rv = APR_EGENERAL }, good = {0};
    ctx_taskpool_stats_t st;
    char err[120];

    rec_submit(tp, &bad, "GET /background?email=x");
    rec_submit(tp, &good, "GET /fine");
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    ctx_taskpool_stats(tp, &st);
    assert_int_equal(st.done, 2);
    assert_int_equal(st.failed, 1);
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 1);
    apr_strerror(APR_EGENERAL, err, sizeof(err));
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR,
                                             "GET /background?email=x", err,
                                             NULL), 1);
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR, "GET /fine", NULL),
                     0);
}

static void test_task_failure_without_description_is_logged(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 1, 8, &rec_hooks);
    rec_t bad = { .rv = APR_ENOMEM };
    ctx_taskpool_stats_t st;

    rec_submit(tp, &bad, NULL);
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    ctx_taskpool_stats(tp, &st);
    assert_int_equal(st.failed, 1);
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 1);
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR, "(null)", NULL), 0);
}

static void test_task_successful_tasks_log_no_error_or_warning(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 2, 8, &rec_hooks);
    rec_t recs[4];

    memset(recs, 0, sizeof(recs));
    for (int i = 0; i < 4; ++i) {
        rec_submit(tp, &recs[i], "GET /ok");
    }
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    assert_int_equal(unit_log_count_at(CTX_LOG_ERR), 0);
    assert_int_equal(unit_log_count_at(CTX_LOG_WARNING), 0);
}

static void test_task_description_is_copied(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 1, 8, &rec_hooks);
    rec_t bad = { .rv = APR_EGENERAL };
    char desc[] = "GET /copied";
    ctx_task_t *t = rec_task(tp, &bad, desc);

    assert_ptr_not_equal(ctx_task_description(t), desc);
    assert_string_equal(ctx_task_description(t), "GET /copied");
    memcpy(desc, "XXXXXXXXXXX", sizeof(desc) - 1);
    assert_int_equal(ctx_taskpool_submit(tp, t, rec_fn, &bad), APR_SUCCESS);
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    assert_int_equal(unit_log_count_matching(CTX_LOG_ERR, "GET /copied",
                                             NULL), 1);
}

/* The glue's pattern: copy what the work needs from the request's pool into
 * the task's pool; the request may be long gone when the task runs. */
typedef struct {
    rec_t rec;                  /* first: rec_fn's baton */
    char seen[64];              /* the task's data, as the task saw it */
} copy_t;

static apr_status_t copy_fn(ctx_task_t *t, void *baton)
{
    copy_t *c = baton;
    const char *email = ctx_task_data(t);

    apr_cpystrn(c->seen, email ? email : "(none)", sizeof(c->seen));
    return rec_fn(t, &c->rec);
}

static void test_task_data_lives_in_its_own_pool_not_the_submitters(void **state)
{
    /* No hooks: here the task's data is the copied string, not a rec_t. */
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 1, 8, NULL);
    rec_t blocker = { .blocks = 1 };
    copy_t c;
    apr_pool_t *req = NULL;
    ctx_task_t *t;
    const char *email;

    memset(&c, 0, sizeof(c));
    c.rec.rv = APR_EGENERAL;    /* so that its description gets logged */
    rec_submit(tp, &blocker, "GET /blocker");
    WAIT(&fx.started, 1);

    /* The "request": a pool with its own allocator, so that destroying it
     * returns its memory to malloc (ASan sees any later use). */
    assert_int_equal(apr_pool_create_unmanaged_ex(&req, NULL, NULL),
                     APR_SUCCESS);
    email = apr_pstrdup(req, "x@example.com");
    t = rec_task(tp, &c.rec,
                 apr_psprintf(req, "GET /background?email=%s", email));
    ctx_task_set_data(t, apr_pstrdup(ctx_task_pool(t), email));
    assert_null(apr_pool_parent_get(ctx_task_pool(t)));
    assert_false(apr_pool_is_ancestor(req, ctx_task_pool(t)));
    assert_false(apr_pool_is_ancestor(UNIT_POOL(state), ctx_task_pool(t)));
    assert_int_equal(ctx_taskpool_submit(tp, t, copy_fn, &c), APR_SUCCESS);
    apr_pool_destroy(req);      /* the request ends before the task runs */

    unit_event_signal(&fx.gate);
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    assert_int_equal(c.rec.runs, 1);
    assert_string_equal(c.seen, "x@example.com");
    assert_int_equal(unit_log_count_matching(
                         CTX_LOG_ERR, "GET /background?email=x@example.com",
                         NULL), 1);
}

static void test_task_create_from_another_thread_than_the_pools(void **state)
{
    /* Tasks created and destroyed on other threads while the main thread
     * uses pools: creating a task touches no shared pool. */
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 2, MANY, NULL);
    submitter_t s = { tp, 0, 1000, 0 };
    pthread_t th;

    memset(counts, 0, sizeof(counts));
    assert_int_equal(pthread_create(&th, NULL, submit_range, &s), 0);
    for (int i = 0; i < 1000; ++i) {
        apr_pool_t *sp = unit_subpool(UNIT_POOL(state));

        apr_palloc(sp, 100);
        apr_pool_destroy(sp);
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(s.refused, 0);
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    for (int i = 0; i < 1000; ++i) {
        assert_int_equal(counts[i], 1);
    }
}

/* A task that fills large blocks of its pool with its own mark, lets the
 * other workers run, then checks the marks: two tasks sharing memory (an
 * allocator handed out twice, or reused while still in use) would see each
 * other's marks. */
#define BIG_TASKS 200
#define BIG_BLOCK (20 * 1024)

typedef struct {
    int id;
    int bad;                    /* marks found overwritten */
} big_t;

static apr_status_t big_fn(ctx_task_t *t, void *baton)
{
    big_t *b = baton;
    unsigned char *blocks[3];

    for (int i = 0; i < 3; ++i) {
        blocks[i] = apr_palloc(ctx_task_pool(t), BIG_BLOCK);
        memset(blocks[i], b->id & 0xff, BIG_BLOCK);
    }
    sched_yield();
    for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < BIG_BLOCK; ++j) {
            if (blocks[i][j] != (b->id & 0xff)) {
                ++b->bad;
                break;
            }
        }
    }
    return APR_SUCCESS;
}

static void test_task_pools_do_not_share_memory_when_recycled(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 4, BIG_TASKS, NULL);
    big_t *bigs = apr_pcalloc(UNIT_POOL(state), sizeof(*bigs) * BIG_TASKS);
    ctx_taskpool_stats_t st;

    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < BIG_TASKS / 3; ++i) {
            int k = round * (BIG_TASKS / 3) + i;
            ctx_task_t *t = NULL;

            bigs[k].id = k;
            assert_int_equal(ctx_task_create(&t, tp), APR_SUCCESS);
            assert_int_equal(ctx_taskpool_submit(tp, t, big_fn, &bigs[k]),
                             APR_SUCCESS);
        }
    }
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    for (int k = 0; k < (BIG_TASKS / 3) * 3; ++k) {
        assert_int_equal(bigs[k].bad, 0);
    }
    ctx_taskpool_stats(tp, &st);
    assert_int_equal(st.done, (BIG_TASKS / 3) * 3);
}

/* A task that submits another task to its own task pool. */
typedef struct {
    rec_t rec;
    ctx_taskpool_t *tp;
    rec_t *inner;
    apr_status_t submit_rv;
    apr_status_t drain_rv;
    int try_drain;
} nested_t;

static apr_status_t nested_fn(ctx_task_t *t, void *baton)
{
    nested_t *n = baton;

    if (n->inner) {
        ctx_task_t *it = NULL;

        n->submit_rv = ctx_task_create(&it, n->tp);
        if (n->submit_rv == APR_SUCCESS) {
            ctx_task_set_data(it, n->inner);
            n->submit_rv = ctx_taskpool_submit(n->tp, it, rec_fn, n->inner);
            if (n->submit_rv != APR_SUCCESS) {
                ctx_task_destroy(it);
            }
        }
    }
    if (n->try_drain) {
        n->drain_rv = ctx_taskpool_drain(n->tp, 0, NULL);
    }
    return rec_fn(t, &n->rec);
}

static void test_task_can_submit_another_task_from_a_task(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 1, 8, &rec_hooks);
    rec_t inner = {0};
    nested_t outer;
    ctx_task_t *t;

    memset(&outer, 0, sizeof(outer));
    outer.tp = tp;
    outer.inner = &inner;
    outer.submit_rv = APR_EGENERAL;
    t = rec_task(tp, &outer.rec, "GET /outer");
    assert_int_equal(ctx_taskpool_submit(tp, t, nested_fn, &outer),
                     APR_SUCCESS);
    WAIT(&fx.started, 2);       /* outer, then inner */
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    assert_int_equal(outer.submit_rv, APR_SUCCESS);
    assert_int_equal(outer.rec.runs, 1);
    assert_int_equal(inner.runs, 1);
    assert_false(pthread_equal(inner.th_fn, pthread_self()));
}

static void test_task_drain_from_inside_a_task_is_einval_and_changes_nothing(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 1, 8, &rec_hooks);
    rec_t after = {0};
    nested_t n;
    ctx_task_t *t;

    memset(&n, 0, sizeof(n));
    n.tp = tp;
    n.try_drain = 1;
    n.drain_rv = APR_SUCCESS;
    t = rec_task(tp, &n.rec, "GET /self-drain");
    assert_int_equal(ctx_taskpool_submit(tp, t, nested_fn, &n), APR_SUCCESS);
    WAIT(&fx.cleaned, 1);
    assert_int_equal(n.drain_rv, APR_EINVAL);
    /* Still accepting. */
    rec_submit(tp, &after, "GET /after");
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    assert_int_equal(after.runs, 1);
}

static void test_task_invalid_arguments_are_einval(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_taskpool_t *tp = (ctx_taskpool_t *)&hook_token, *other;
    ctx_taskpool_stats_t st;
    ctx_task_t *t = (ctx_task_t *)&hook_token, *foreign;
    rec_t r = {0};

    assert_int_equal(ctx_taskpool_create(NULL, p, 1, 1, NULL), APR_EINVAL);
    assert_int_equal(ctx_taskpool_create(&tp, NULL, 1, 1, NULL), APR_EINVAL);
    assert_null(tp);
    tp = (ctx_taskpool_t *)&hook_token;
    assert_int_equal(ctx_taskpool_create(&tp, p, 0, 1, NULL), APR_EINVAL);
    assert_null(tp);
    assert_int_equal(ctx_taskpool_create(&tp, p, -1, 1, NULL), APR_EINVAL);
    assert_int_equal(ctx_taskpool_create(&tp, p, 1, 0, NULL), APR_EINVAL);
    assert_int_equal(ctx_taskpool_create(&tp, p, 1, -5, NULL), APR_EINVAL);

    tp = make_pool(p, 1, 4, &rec_hooks);
    other = make_pool(p, 1, 4, &rec_hooks);
    assert_int_equal(ctx_task_create(NULL, tp), APR_EINVAL);
    assert_int_equal(ctx_task_create(&t, NULL), APR_EINVAL);
    assert_null(t);

    t = rec_task(tp, &r, "GET /invalid");
    foreign = rec_task(other, &r, "GET /foreign");
    assert_int_equal(ctx_taskpool_submit(NULL, t, rec_fn, &r), APR_EINVAL);
    assert_int_equal(ctx_taskpool_submit(tp, NULL, rec_fn, &r), APR_EINVAL);
    assert_int_equal(ctx_taskpool_submit(tp, t, NULL, &r), APR_EINVAL);
    assert_int_equal(ctx_taskpool_submit(tp, foreign, rec_fn, &r), APR_EINVAL);
    ctx_taskpool_stats(tp, &st);
    assert_int_equal(st.rejected, 0);   /* invalid calls are not refusals */
    assert_int_equal(st.queued, 0);
    ctx_task_destroy(t);
    ctx_task_destroy(foreign);
    assert_int_equal(r.runs, 0);
    assert_int_equal(r.step, 2);        /* both pools destroyed, here */

    assert_int_equal(ctx_taskpool_drain(NULL, 0, NULL), APR_EINVAL);
    memset(&st, 0xff, sizeof(st));
    ctx_taskpool_stats(NULL, &st);
    assert_int_equal(st.done, 0);
    assert_int_equal(st.rejected, 0);
    ctx_taskpool_stats(tp, NULL);
    assert_null(ctx_task_pool(NULL));
    assert_null(ctx_task_data(NULL));
    assert_null(ctx_task_description(NULL));
    ctx_task_set_data(NULL, &r);
    ctx_task_set_description(NULL, "x");
    ctx_task_destroy(NULL);
    ctx_taskpool_set_cleanup_timeout(NULL, 0);
}

static void test_task_new_task_has_no_data_or_description(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 1, 4, NULL);
    ctx_task_t *t = NULL;
    int x;

    assert_int_equal(ctx_task_create(&t, tp), APR_SUCCESS);
    assert_non_null(ctx_task_pool(t));
    assert_null(ctx_task_data(t));
    assert_null(ctx_task_description(t));
    ctx_task_set_data(t, &x);
    assert_ptr_equal(ctx_task_data(t), &x);
    ctx_task_set_description(t, "GET /x");
    ctx_task_set_description(t, NULL);
    assert_null(ctx_task_description(t));
    ctx_task_destroy(t);
}

/* A pre-cleanup registered after the task pool's runs before its drain. */
static apr_status_t open_gate_cleanup(void *data)
{
    unit_event_signal(&fx.gate);
    return APR_SUCCESS;
}

static void test_task_destroying_the_parent_pool_drains_and_runs_queued_tasks(void **state)
{
    apr_pool_t *sp = unit_subpool(UNIT_POOL(state));
    ctx_taskpool_t *tp = make_pool(sp, 1, 8, &rec_hooks);
    rec_t recs[6];

    memset(recs, 0, sizeof(recs));
    recs[0].blocks = 1;
    rec_submit(tp, &recs[0], "GET /blocker");
    WAIT(&fx.started, 1);
    for (int i = 1; i < 6; ++i) {
        rec_submit(tp, &recs[i], "GET /queued");
    }
    apr_pool_pre_cleanup_register(sp, NULL, open_gate_cleanup);
    apr_pool_destroy(sp);
    /* Every task ran and its pool is gone: the threads were joined. */
    for (int i = 0; i < 6; ++i) {
        assert_int_equal(recs[i].runs, 1);
        assert_int_equal(recs[i].at_cleanup, 4);
        assert_false(pthread_equal(recs[i].th_cleanup, pthread_self()));
    }
    assert_int_equal(counter_get(&fx.cleaned), 6);
    assert_int_equal(unit_log_count_at(CTX_LOG_WARNING), 0);
}

static void test_task_parent_pool_cleanup_drains_with_the_cleanup_timeout(void **state)
{
    apr_pool_t *sp = unit_subpool(UNIT_POOL(state));
    ctx_taskpool_t *tp = make_pool(sp, 1, 8, &rec_hooks);
    rec_t blocker = { .blocks = 1 }, queued[3];
    opener_t op = { 3 };
    pthread_t th;

    memset(queued, 0, sizeof(queued));
    ctx_taskpool_set_cleanup_timeout(tp, 0);
    rec_submit(tp, &blocker, "GET /blocker");
    WAIT(&fx.started, 1);
    for (int i = 0; i < 3; ++i) {
        rec_submit(tp, &queued[i], "GET /queued");
    }
    assert_int_equal(pthread_create(&th, NULL, open_after_cleaned, &op), 0);
    apr_pool_destroy(sp);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(blocker.runs, 1);
    assert_int_equal(blocker.at_cleanup, 4);
    for (int i = 0; i < 3; ++i) {
        assert_int_equal(queued[i].runs, 0);
        assert_int_equal(queued[i].at_cleanup, 1);
    }
    assert_int_equal(unit_log_count_matching(CTX_LOG_WARNING, "dropped 3 ",
                                             NULL), 1);
}

static void test_task_clearing_an_idle_parent_pool_joins_its_threads(void **state)
{
    apr_pool_t *sp = unit_subpool(UNIT_POOL(state));

    /* Many idle threads, never used: the cleanup must wake and join them. */
    make_pool(sp, 16, 1, NULL);
    apr_pool_clear(sp);
    apr_pool_destroy(sp);
}

/* ---- wake-ups: polling, handing on, sleeping --------------------------------
 * These tests follow the workers through the task pool's own wake-up
 * counters (ctx_taskpool_stats), never through how long something took. */

static ctx_taskpool_stats_t stats_of(ctx_taskpool_t *tp)
{
    ctx_taskpool_stats_t st;

    ctx_taskpool_stats(tp, &st);
    return st;
}

typedef int stats_pred_fn(const ctx_taskpool_stats_t *st, apr_uint64_t arg);

/* 1 once pred(stats, arg) holds; 0 if it did not within WAIT_LIMIT. */
static int stats_wait(ctx_taskpool_t *tp, stats_pred_fn *pred,
                      apr_uint64_t arg)
{
    apr_time_t limit = apr_time_now() + apr_time_from_sec(WAIT_LIMIT);

    for (;;) {
        ctx_taskpool_stats_t st = stats_of(tp);

        if (pred(&st, arg)) {
            return 1;
        }
        if (apr_time_now() > limit) {
            return 0;
        }
        apr_sleep(200);
    }
}

static int done_at_least(const ctx_taskpool_stats_t *st, apr_uint64_t n)
{
    return st->done >= n;
}

/* Every one of the `threads` workers waits, at least one of them polling,
 * and no wake-up is under way: the next task can only be taken by a poll
 * or by a sleeper that the submit wakes. */
static int someone_polls(const ctx_taskpool_stats_t *st, apr_uint64_t threads)
{
    return st->polling >= 1 && st->polling + st->sleeping == threads
           && st->waking == 0;
}

static int all_asleep(const ctx_taskpool_stats_t *st, apr_uint64_t threads)
{
    return st->polling == 0 && st->sleeping == threads;
}

#define WAIT_STATS(tp, pred, arg) assert_true(stats_wait((tp), (pred), (arg)))

static int quick_runs;

static void submit_count(ctx_taskpool_t *tp, int *counter)
{
    ctx_task_t *t = NULL;

    assert_int_equal(ctx_task_create(&t, tp), APR_SUCCESS);
    assert_int_equal(ctx_taskpool_submit(tp, t, count_fn, counter),
                     APR_SUCCESS);
}

/* Run two trivial tasks back to back (faster than four per poll interval),
 * so that a worker polls afterwards; returns once one does and the other
 * workers of the `threads` wait too (0 if that did not happen: the poll
 * ended first). */
static int make_poller(ctx_taskpool_t *tp, int threads)
{
    apr_uint64_t done = stats_of(tp).done;

    submit_count(tp, &quick_runs);
    submit_count(tp, &quick_runs);
    WAIT_STATS(tp, done_at_least, done + 2);
    return stats_wait(tp, someone_polls, (apr_uint64_t)threads);
}

/* Tries at submitting before a poll ends. The interval the tests set is long
 * enough that the first try all but always does; a miss just tries again. */
#define POLL_TRIES 20

static void test_task_submit_while_a_worker_polls_wakes_nobody_and_the_poll_runs_it(void **state)
{
    /* Three workers: at most two poll, so at least one sleeps and could be
     * woken. */
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 3, 64, NULL);
    int hit = 0, tries = 0, submitted = 0, ran = 0;

    ctx_taskpool_set_poll_interval(tp, apr_time_from_msec(200));
    while (!hit && tries < POLL_TRIES) {
        ctx_taskpool_stats_t before, after;

        ++tries;
        if (!make_poller(tp, 3)) {
            continue;
        }
        before = stats_of(tp);
        submit_count(tp, &ran);
        ++submitted;
        after = stats_of(tp);
        WAIT_STATS(tp, done_at_least, before.done + 1);
        if (after.signals != before.signals) {
            continue;   /* the poll had just ended: a sleeper was woken */
        }
        after = stats_of(tp);
        /* Nobody was woken for it: the poll took it when it ended (within
         * its interval). */
        assert_int_equal(after.signals, before.signals);
        assert_true(after.poll_hits > before.poll_hits);
        hit = 1;
    }
    assert_true(hit);
    assert_int_equal(__atomic_load_n(&ran, __ATOMIC_RELAXED), submitted);
}

static void test_task_submit_with_nobody_polling_wakes_a_sleeper_at_once(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 2, 64, NULL);
    /* Static: a failed test leaves them to the teardown's drain. */
    static rec_t a, b;
    ctx_taskpool_stats_t st;

    a.blocks = 1;

    /* a holds one worker; the other sleeps, nobody polls (no task ran
     * before: no rate to poll for). */
    rec_submit(tp, &a, "a");
    WAIT(&fx.started, 1);
    WAIT_STATS(tp, all_asleep, 1);
    rec_submit(tp, &b, "b");
    st = stats_of(tp);
    assert_true(st.signals >= 1);
    /* b ran to its end while a still blocks: the long task held back
     * nothing. */
    WAIT(&fx.cleaned, 1);
    assert_int_equal(b.runs, 1);
    assert_true(b.at_cleanup > 0);
    assert_int_equal(a.at_cleanup, 0);
    unit_event_signal(&fx.gate);
    WAIT(&fx.cleaned, 2);
}

static void test_task_long_task_taken_by_a_poll_does_not_hold_the_next_one(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 2, 64, NULL);
    static rec_t a[POLL_TRIES], b[POLL_TRIES];
    int hit = 0, tries = 0, n = 0;

    ctx_taskpool_set_poll_interval(tp, apr_time_from_msec(200));
    while (!hit && tries < POLL_TRIES) {
        ctx_taskpool_stats_t before, after;
        int i = n;

        ++tries;
        if (!make_poller(tp, 2)) {
            continue;
        }
        ++n;
        before = stats_of(tp);
        a[i].blocks = 1;
        rec_submit(tp, &a[i], "long");
        rec_submit(tp, &b[i], "short");
        after = stats_of(tp);
        /* Both left to the one poll (the other worker sleeps): the poll
         * takes the long one and must hand the short one on. */
        hit = after.signals == before.signals && before.polling == 1;
        /* Either way, the short one runs to its end while the long one
         * still blocks: queued behind it, it got the other worker. */
        WAIT(&fx.cleaned, 2 * i + 1);
        assert_int_equal(b[i].runs, 1);
        assert_true(b[i].at_cleanup > 0);
        assert_int_equal(a[i].at_cleanup, 0);
        unit_event_signal(&fx.gate);
        WAIT(&fx.cleaned, 2 * i + 2);
        pthread_mutex_lock(&fx.gate.lock);
        fx.gate.set = 0;
        pthread_mutex_unlock(&fx.gate.lock);
    }
    assert_true(hit);
}

static void test_task_idle_pool_goes_back_to_untimed_sleep(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 2, 64, NULL);
    ctx_taskpool_stats_t before, after;

    ctx_taskpool_set_poll_interval(tp, apr_time_from_msec(10));
    submit_count(tp, &quick_runs);      /* two tasks back to back: poll */
    submit_count(tp, &quick_runs);
    WAIT_STATS(tp, done_at_least, 2);
    /* One poll that finds nothing, then sleep. */
    WAIT_STATS(tp, all_asleep, 2);
    before = stats_of(tp);
    assert_true(before.polls >= 1);
    /* Ten intervals later nobody has polled or woken again: no tick. */
    apr_sleep(apr_time_from_msec(100));
    after = stats_of(tp);
    assert_int_equal(after.polls, before.polls);
    assert_int_equal(after.sleeps, before.sleeps);
    assert_int_equal(after.sleeping, 2);
}

static void test_task_tasks_fewer_than_four_per_interval_never_poll(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 1, 64, NULL);
    ctx_taskpool_stats_t st;
    int ran = 0;

    ctx_taskpool_set_poll_interval(tp, apr_time_from_msec(40));
    for (int i = 0; i < 5; ++i) {
        WAIT_STATS(tp, all_asleep, 1);
        submit_count(tp, &ran);
        WAIT_STATS(tp, done_at_least, (apr_uint64_t)i + 1);
        /* At least 12 ms apart: more than a quarter interval, less than
         * half (a poll would often catch the next task, for no wake-up
         * saved). */
        apr_sleep(apr_time_from_msec(12));
    }
    st = stats_of(tp);
    /* Each task woke the sleeping worker, as without polling; nothing
     * polled in between. */
    assert_int_equal(st.polls, 0);
    assert_int_equal(st.signals, 5);
    assert_int_equal(ran, 5);
}

static void test_task_poll_interval_zero_never_polls(void **state)
{
    ctx_taskpool_t *tp = make_pool(UNIT_POOL(state), 2, MANY, NULL);

    ctx_taskpool_set_poll_interval(NULL, 0);            /* harmless */
    ctx_taskpool_set_poll_interval(tp, -5);             /* means 0 */
    memset(counts, 0, sizeof(counts));
    for (int i = 0; i < 1000; ++i) {
        submit_count(tp, &counts[i]);
    }
    assert_int_equal(ctx_taskpool_drain(tp, CTX_TASK_WAIT_FOREVER, NULL),
                     APR_SUCCESS);
    for (int i = 0; i < 1000; ++i) {
        assert_int_equal(counts[i], 1);
    }
    assert_int_equal(stats_of(tp).polls, 0);
}

static void test_task_drain_does_not_wait_for_a_poll_to_end(void **state)
{
    int hit = 0, tries = 0;

    while (!hit && tries < POLL_TRIES) {
        apr_pool_t *sp = unit_subpool(UNIT_POOL(state));
        ctx_taskpool_t *tp = make_pool(sp, 2, 64, NULL);
        ctx_taskpool_stats_t before;
        apr_size_t dropped = 99;
        int ran = 0;

        ++tries;
        /* A poll that would last a minute. */
        ctx_taskpool_set_poll_interval(tp, apr_time_from_sec(60));
        assert_true(make_poller(tp, 2));
        before = stats_of(tp);
        submit_count(tp, &ran);
        hit = stats_of(tp).signals == before.signals;
        /* The drain wakes the poller: the task runs, nothing is dropped,
         * long before the drain timeout (or the poll) would end. */
        assert_int_equal(ctx_taskpool_drain(tp, apr_time_from_sec(WAIT_LIMIT),
                                            &dropped), APR_SUCCESS);
        assert_int_equal(dropped, 0);
        assert_int_equal(ran, 1);
        apr_pool_destroy(sp);
    }
    assert_true(hit);
}

static void test_task_destroying_a_polling_pool_wakes_and_joins_its_threads(void **state)
{
    apr_pool_t *sp = unit_subpool(UNIT_POOL(state));
    ctx_taskpool_t *tp = make_pool(sp, 4, 64, NULL);

    ctx_taskpool_set_poll_interval(tp, apr_time_from_sec(60));
    assert_true(make_poller(tp, 4));
    /* alarm() ends the program if the join waits for the minute-long poll. */
    apr_pool_destroy(sp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TASK_TEST(test_task_every_submitted_task_runs_exactly_once),
        TASK_TEST(test_task_concurrent_submitters_each_task_runs_exactly_once),
        TASK_TEST(test_task_fn_runs_on_a_worker_thread_between_hooks),
        TASK_TEST(test_task_pool_destroyed_on_worker_after_leave),
        TASK_TEST(test_task_submit_to_full_queue_returns_equeuefull_and_counts_rejected),
        TASK_TEST(test_task_refused_task_can_be_submitted_again),
        TASK_TEST(test_task_submit_after_drain_returns_eshutdown),
        TASK_TEST(test_task_drain_without_timeout_runs_every_queued_task),
        TASK_TEST(test_task_drain_timeout_drops_queued_tasks_and_waits_for_running),
        TASK_TEST(test_task_end_callback_runs_once_whether_the_task_ran_or_was_dropped),
        TASK_TEST(test_task_drain_twice_is_harmless),
        TASK_TEST(test_task_failing_task_is_counted_failed_and_logged_with_description),
        TASK_TEST(test_task_failure_without_description_is_logged),
        TASK_TEST(test_task_successful_tasks_log_no_error_or_warning),
        TASK_TEST(test_task_description_is_copied),
        TASK_TEST(test_task_data_lives_in_its_own_pool_not_the_submitters),
        TASK_TEST(test_task_create_from_another_thread_than_the_pools),
        TASK_TEST(test_task_pools_do_not_share_memory_when_recycled),
        TASK_TEST(test_task_can_submit_another_task_from_a_task),
        TASK_TEST(test_task_drain_from_inside_a_task_is_einval_and_changes_nothing),
        TASK_TEST(test_task_invalid_arguments_are_einval),
        TASK_TEST(test_task_new_task_has_no_data_or_description),
        TASK_TEST(test_task_destroying_the_parent_pool_drains_and_runs_queued_tasks),
        TASK_TEST(test_task_parent_pool_cleanup_drains_with_the_cleanup_timeout),
        TASK_TEST(test_task_clearing_an_idle_parent_pool_joins_its_threads),
        TASK_TEST(test_task_submit_while_a_worker_polls_wakes_nobody_and_the_poll_runs_it),
        TASK_TEST(test_task_submit_with_nobody_polling_wakes_a_sleeper_at_once),
        TASK_TEST(test_task_long_task_taken_by_a_poll_does_not_hold_the_next_one),
        TASK_TEST(test_task_idle_pool_goes_back_to_untimed_sleep),
        TASK_TEST(test_task_tasks_fewer_than_four_per_interval_never_poll),
        TASK_TEST(test_task_poll_interval_zero_never_polls),
        TASK_TEST(test_task_drain_does_not_wait_for_a_poll_to_end),
        TASK_TEST(test_task_destroying_a_polling_pool_wakes_and_joins_its_threads),
    };

    /* Last resort against a bug that blocks where no wait can give up. */
    alarm(6 * WAIT_LIMIT);
    return cmocka_run_group_tests(tests, task_group_setup, unit_group_teardown);
}
