/* ctx_task: see ctx_task.h.
 *
 * One mutex guards the queue (an intrusive singly linked FIFO through the
 * tasks themselves: submitting allocates nothing), the state and the
 * counters. Sleeping workers wait on `work`, polling ones on `poll` (timed;
 * only a shutdown signals it), so that a signal of `work` always reaches a
 * sleeper. A signal is sent (after unlocking) only when no worker polls and
 * none is already being woken (`waking`): the woken worker hands on to the
 * next sleeper itself if it leaves tasks queued. The drainer waits on
 * `empty` (timed, monotonic clock) for the queue to empty, and concurrent
 * drainers wait on `joined` for the first one to finish.
 *
 * Why polling: with a wake-up per task, /background cost 41 us of server CPU
 * per request against 27 us for /home on 2 cores, a fifth of it in futex
 * calls and context switches (perf), far more than the copy; one timed
 * wake-up per interval serves a whole batch instead. A poll started before
 * a task was queued ends within an interval of it, and a worker that takes
 * a task while others wait and nobody polls wakes a sleeper: hence the
 * bound in ctx_task.h.
 *
 * Each task's pool is an unmanaged pool on an allocator of its own. Creating
 * an allocator and its first block costs a malloc and (APR is usually built
 * with APR_ALLOCATOR_USES_MMAP) an mmap/munmap pair per task, several
 * microseconds with threads around; so the task pool keeps a small stack of
 * idle allocators (under its own mutex) that tasks take and give back. An
 * allocator is only ever used by the one task that holds it, so it needs no
 * mutex; its free list is capped (ALLOC_MAX_FREE) so that a task that
 * allocated a lot does not pin that memory. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include <apr_strings.h>

#include "ctx_log.h"
#include "ctx_task.h"

/* Free memory an idle allocator keeps (bytes; its first block is 8 KB). */
#define ALLOC_MAX_FREE  (32 * 1024)
/* At most this many idle allocators are kept per task pool (fewer if
 * threads + queue_max is smaller). */
#define ALLOC_CACHE_MAX 128
/* Workers that may poll at once: two, so that while one runs what its poll
 * found (maybe a long task) the other usually still comes by within the
 * interval, without a hand-on wake-up. */
#define POLLERS_MAX     2
/* The longest poll interval accepted (a longer one is cut to this). */
#define POLL_MAX        apr_time_from_sec(60)

typedef enum {
    TP_OPEN = 0,        /* accepting */
    TP_DRAINING,        /* refusing; queued tasks still start */
    TP_STOPPING         /* workers exit when the queue is empty */
} tp_state_t;

struct ctx_task_t {
    ctx_task_t *next;           /* queue link, under tp->lock */
    apr_pool_t *pool;           /* our own; the task lives in it */
    apr_allocator_t *allocator; /* pool's; back to tp's cache after it */
    ctx_taskpool_t *tp;         /* the task pool it was created for */
    ctx_task_work_fn *fn;
    void *baton;
    ctx_task_end_fn *end;       /* or NULL */
    void *end_baton;
    void *data;                 /* the glue's */
    const char *desc;           /* in `pool`, or NULL */
};

struct ctx_taskpool_t {
    pthread_mutex_t lock;
    pthread_cond_t work;        /* sleepers: queue not empty, or stopping */
    pthread_cond_t poll;        /* pollers: stopping */
    pthread_cond_t empty;       /* queue became empty while draining */
    pthread_cond_t joined_cond; /* the drainer has joined the threads */

    ctx_task_t *head, *tail;    /* the queue */
    apr_uint64_t queued, running, done, failed, rejected, dropped;
    int queue_max;
    int sleeping;               /* workers waiting on `work` */
    int polling;                /* workers waiting on `poll` */
    int waking;                 /* `work` signalled, no sleeper back yet */
    apr_interval_time_t poll_interval;  /* 0: never poll */
    apr_time_t last_submit;     /* when a task was last accepted (us,
                                 * monotonic) */
    int fast;                   /* it came less than a quarter interval
                                 * after the one before: worth polling for */
    apr_uint64_t signals, handoffs, polls, poll_hits, sleeps;
    tp_state_t state;
    int draining;               /* a drainer owns the shutdown */
    int joined;                 /* every thread joined */

    ctx_task_hooks_t hooks;
    apr_interval_time_t cleanup_timeout;
    int nthreads;               /* started */
    pthread_t *threads;

    pthread_mutex_t cache_lock; /* guards the idle allocators */
    apr_allocator_t **cache;
    int ncache, cache_max;
};

/* The task pool whose worker the calling thread is (NULL elsewhere). */
static __thread ctx_taskpool_t *worker_of;

/* ---- tasks ---------------------------------------------------------------- */

/* An idle allocator of tp's, or a new one (NULL: out of memory). */
static apr_allocator_t *allocator_get(ctx_taskpool_t *tp)
{
    apr_allocator_t *a = NULL;

    pthread_mutex_lock(&tp->cache_lock);
    if (tp->ncache > 0) {
        a = tp->cache[--tp->ncache];
    }
    pthread_mutex_unlock(&tp->cache_lock);
    if (!a && apr_allocator_create(&a) == APR_SUCCESS) {
        apr_allocator_max_free_set(a, ALLOC_MAX_FREE);
    }
    return a;
}

/* Give back an allocator no pool uses any more (destroyed if the cache is
 * full). */
static void allocator_put(ctx_taskpool_t *tp, apr_allocator_t *a)
{
    pthread_mutex_lock(&tp->cache_lock);
    if (tp->ncache < tp->cache_max) {
        tp->cache[tp->ncache++] = a;
        a = NULL;
    }
    pthread_mutex_unlock(&tp->cache_lock);
    if (a) {
        apr_allocator_destroy(a);
    }
}

/* Destroy t's pool (running its cleanups, on the calling thread) and
 * recycle its allocator. */
static void task_free(ctx_task_t *t)
{
    ctx_taskpool_t *tp = t->tp;
    apr_allocator_t *a = t->allocator;

    apr_pool_destroy(t->pool);      /* t is gone */
    allocator_put(tp, a);
}

apr_status_t ctx_task_create(ctx_task_t **t, ctx_taskpool_t *tp)
{
    apr_allocator_t *a;
    apr_pool_t *pool = NULL;
    ctx_task_t *task;
    apr_status_t rv;

    if (t) {
        *t = NULL;
    }
    if (!t || !tp) {
        return APR_EINVAL;
    }
    if ((a = allocator_get(tp)) == NULL) {
        return APR_ENOMEM;
    }
    /* No parent: independent of every other pool (destroying it touches no
     * other pool either), and no shared pool state is touched. */
    rv = apr_pool_create_unmanaged_ex(&pool, NULL, a);
    if (rv == APR_SUCCESS && !pool) {
        rv = APR_ENOMEM;
    }
    if (rv != APR_SUCCESS) {
        allocator_put(tp, a);
        return rv;
    }
    apr_pool_tag(pool, "ctx_task");
    task = apr_pcalloc(pool, sizeof(*task));
    task->pool = pool;
    task->allocator = a;
    task->tp = tp;
    *t = task;
    return APR_SUCCESS;
}

apr_pool_t *ctx_task_pool(const ctx_task_t *t)
{
    return t ? t->pool : NULL;
}

void *ctx_task_data(const ctx_task_t *t)
{
    return t ? t->data : NULL;
}

void ctx_task_set_data(ctx_task_t *t, void *data)
{
    if (t) {
        t->data = data;
    }
}

void ctx_task_set_description(ctx_task_t *t, const char *desc)
{
    if (t) {
        t->desc = desc ? apr_pstrdup(t->pool, desc) : NULL;
    }
}

const char *ctx_task_description(const ctx_task_t *t)
{
    return t ? t->desc : NULL;
}

void ctx_task_set_end(ctx_task_t *t, ctx_task_end_fn *end, void *baton)
{
    if (t) {
        t->end = end;
        t->end_baton = baton;
    }
}

void ctx_task_destroy(ctx_task_t *t)
{
    if (t) {
        task_free(t);
    }
}

/* ---- workers ---------------------------------------------------------------- */

/* Run `t` on the calling worker, then destroy it. Returns fn's status. */
static apr_status_t task_run(ctx_taskpool_t *tp, ctx_task_t *t)
{
    const ctx_task_hooks_t *h = &tp->hooks;
    apr_status_t rv;

    if (h->enter) {
        h->enter(t, h->hook_baton);
    }
    rv = t->fn(t, t->baton);
    if (h->leave) {
        h->leave(t, rv, h->hook_baton);
    }
    if (t->end) {
        t->end(t, CTX_TASK_END_RAN, rv, t->end_baton);
    }
    if (rv != APR_SUCCESS) {
        char err[120];

        ctx_log(CTX_LOG_ERR, "background task %s failed: %s (status %d)",
                t->desc ? t->desc : "(no description)",
                apr_strerror(rv, err, sizeof(err)), rv);
    }
    task_free(t);
    return rv;
}

static apr_time_t monotonic_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (apr_time_t)ts.tv_sec * APR_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static int deadline_after(struct timespec *ts, apr_interval_time_t timeout);

/* Under the lock: whether a sleeper must be woken for the queued tasks.
 * Not when a poller will come by within its interval, nor when a signal is
 * already on its way; then the woken worker hands on if need be. */
static int need_wake(ctx_taskpool_t *tp)
{
    if (tp->polling == 0 && tp->waking == 0 && tp->sleeping > 0) {
        tp->waking = 1;
        ++tp->signals;
        return 1;
    }
    return 0;
}

/* Under the lock, the queue empty: wait at most one poll interval for work
 * (a submit does not signal us meanwhile). 1 if work is queued now. */
static int poll_wait(ctx_taskpool_t *tp)
{
    struct timespec until;

    deadline_after(&until, tp->poll_interval);
    ++tp->polling;
    ++tp->polls;
    pthread_cond_timedwait(&tp->poll, &tp->lock, &until);
    --tp->polling;
    if (tp->head) {
        ++tp->poll_hits;
        return 1;
    }
    return 0;
}

static void *worker_main(void *arg)
{
    ctx_taskpool_t *tp = arg;
    /* Just ran a task, or the last poll found work: if tasks come fast,
     * poll rather than sleep when the queue is empty. */
    int busy = 0;

    worker_of = tp;
    pthread_mutex_lock(&tp->lock);
    for (;;) {
        ctx_task_t *t;
        apr_status_t rv;
        int wake = 0;

        while (!tp->head && tp->state != TP_STOPPING) {
            if (busy && tp->fast && tp->state == TP_OPEN
                && tp->poll_interval > 0 && tp->polling < POLLERS_MAX) {
                busy = poll_wait(tp);
                continue;
            }
            /* Nothing came during a whole poll (or no polling): sleep, so
             * that an idle pool does not tick. */
            busy = 0;
            ++tp->sleeping;
            ++tp->sleeps;
            pthread_cond_wait(&tp->work, &tp->lock);
            --tp->sleeping;
            tp->waking = 0;     /* a sleeper is back and looks at the queue */
        }
        if ((t = tp->head) == NULL) {
            break;              /* stopping, nothing left */
        }
        if ((tp->head = t->next) == NULL) {
            tp->tail = NULL;
            if (tp->state != TP_OPEN) {
                pthread_cond_broadcast(&tp->empty);
            }
        }
        else if ((wake = need_wake(tp)) != 0) {
            ++tp->handoffs;     /* t may be long: others must not wait */
        }
        busy = 1;
        t->next = NULL;
        --tp->queued;
        ++tp->running;
        pthread_mutex_unlock(&tp->lock);
        if (wake) {
            pthread_cond_signal(&tp->work);
        }

        rv = task_run(tp, t);

        pthread_mutex_lock(&tp->lock);
        --tp->running;
        ++tp->done;
        if (rv != APR_SUCCESS) {
            ++tp->failed;
        }
    }
    pthread_mutex_unlock(&tp->lock);
    worker_of = NULL;
    return NULL;
}

/* Tell every worker to exit once the queue is empty and join them. Must be
 * called by the one thread that owns the shutdown, without the lock. */
static void stop_and_join(ctx_taskpool_t *tp)
{
    pthread_mutex_lock(&tp->lock);
    tp->state = TP_STOPPING;
    pthread_cond_broadcast(&tp->work);
    pthread_cond_broadcast(&tp->poll);
    pthread_mutex_unlock(&tp->lock);
    for (int i = 0; i < tp->nthreads; ++i) {
        pthread_join(tp->threads[i], NULL);
    }
}

/* ---- the task pool ---------------------------------------------------------- */

/* Absolute CLOCK_MONOTONIC time `timeout` from now in *ts. Returns 0 when
 * the timeout is too large to be one (then: no limit). */
static int deadline_after(struct timespec *ts, apr_interval_time_t timeout)
{
    /* Ten years: beyond that, no limit (and no overflow). */
    if (timeout > apr_time_from_sec((apr_time_t)3600 * 24 * 365 * 10)) {
        return 0;
    }
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(timeout / APR_USEC_PER_SEC);
    ts->tv_nsec += (long)(timeout % APR_USEC_PER_SEC) * 1000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec += 1;
        ts->tv_nsec -= 1000000000L;
    }
    return 1;
}

apr_status_t ctx_taskpool_drain(ctx_taskpool_t *tp,
                                apr_interval_time_t timeout,
                                apr_size_t *dropped)
{
    ctx_task_t *drop = NULL, *t;
    apr_size_t ndrop = 0;
    apr_uint64_t running;

    if (dropped) {
        *dropped = 0;
    }
    if (!tp || worker_of == tp) {
        return APR_EINVAL;
    }
    pthread_mutex_lock(&tp->lock);
    if (tp->state == TP_OPEN) {
        tp->state = TP_DRAINING;
        /* Queued tasks must not wait for a poll to end: wake the pollers
         * (they sleep untimed from now on). */
        pthread_cond_broadcast(&tp->poll);
    }
    if (tp->draining) {
        /* Someone else owns the shutdown (or it is over): wait for it. */
        while (!tp->joined) {
            pthread_cond_wait(&tp->joined_cond, &tp->lock);
        }
        pthread_mutex_unlock(&tp->lock);
        return APR_SUCCESS;
    }
    tp->draining = 1;

    if (timeout >= 0) {
        struct timespec deadline;

        if (deadline_after(&deadline, timeout)) {
            while (tp->head) {
                if (pthread_cond_timedwait(&tp->empty, &tp->lock,
                                           &deadline) == ETIMEDOUT) {
                    break;
                }
            }
            /* Whatever did not start in time is dropped. */
            drop = tp->head;
            tp->head = tp->tail = NULL;
            ndrop = (apr_size_t)tp->queued;
            tp->dropped += tp->queued;
            tp->queued = 0;
        }
    }
    /* else: the workers run the whole queue before they exit. */
    running = tp->running;
    pthread_mutex_unlock(&tp->lock);

    if (ndrop) {
        while ((t = drop) != NULL) {
            drop = t->next;
            ctx_log(CTX_LOG_INFO, "dropped background task %s: it had not "
                    "started when its task pool shut down",
                    t->desc ? t->desc : "(no description)");
            if (t->end) {
                t->end(t, CTX_TASK_END_DROPPED, CTX_ESHUTDOWN, t->end_baton);
            }
            task_free(t);
        }
        ctx_log(CTX_LOG_WARNING, "background task pool shut down: dropped %"
                APR_SIZE_T_FMT " queued task(s) that had not started within "
                "the drain timeout of %" APR_TIME_T_FMT " ms; waiting for %"
                APR_UINT64_T_FMT " running task(s)", ndrop,
                (apr_time_t)apr_time_as_msec(timeout), running);
    }

    stop_and_join(tp);

    pthread_mutex_lock(&tp->lock);
    tp->joined = 1;
    pthread_cond_broadcast(&tp->joined_cond);
    ctx_log(CTX_LOG_DEBUG, "background task pool drained: %" APR_UINT64_T_FMT
            " done (%" APR_UINT64_T_FMT " failed), %" APR_UINT64_T_FMT
            " rejected, %" APR_UINT64_T_FMT " dropped; wake-ups: %"
            APR_UINT64_T_FMT " signals (%" APR_UINT64_T_FMT " handed on), %"
            APR_UINT64_T_FMT " polls (%" APR_UINT64_T_FMT " found work), %"
            APR_UINT64_T_FMT " sleeps", tp->done, tp->failed, tp->rejected,
            tp->dropped, tp->signals, tp->handoffs, tp->polls, tp->poll_hits,
            tp->sleeps);
    pthread_mutex_unlock(&tp->lock);
    if (dropped) {
        *dropped = ndrop;
    }
    return ndrop ? APR_TIMEUP : APR_SUCCESS;
}

/* Pre-cleanup of the parent pool: drain while its subpools still exist. */
static apr_status_t taskpool_drain_cleanup(void *data)
{
    ctx_taskpool_t *tp = data;

    if (ctx_taskpool_drain(tp, tp->cleanup_timeout, NULL) == APR_EINVAL) {
        ctx_log(CTX_LOG_ERR, "background task pool destroyed from one of its "
                "own tasks: its threads cannot be joined");
    }
    return APR_SUCCESS;
}

/* Cleanup of the parent pool, after the drain. */
static apr_status_t taskpool_free_cleanup(void *data)
{
    ctx_taskpool_t *tp = data;

    pthread_cond_destroy(&tp->joined_cond);
    pthread_cond_destroy(&tp->empty);
    pthread_cond_destroy(&tp->poll);
    pthread_cond_destroy(&tp->work);
    pthread_mutex_destroy(&tp->lock);
    while (tp->ncache > 0) {
        apr_allocator_destroy(tp->cache[--tp->ncache]);
    }
    pthread_mutex_destroy(&tp->cache_lock);
    return APR_SUCCESS;
}

apr_status_t ctx_taskpool_create(ctx_taskpool_t **tpp, apr_pool_t *p,
                                 int threads, int queue_max,
                                 const ctx_task_hooks_t *hooks)
{
    ctx_taskpool_t *tp;
    pthread_condattr_t cattr;
    sigset_t all, saved;
    int rc = 0, inited = 0;

    if (tpp) {
        *tpp = NULL;
    }
    if (!tpp || !p || threads < 1 || queue_max < 1) {
        return APR_EINVAL;
    }
    tp = apr_pcalloc(p, sizeof(*tp));
    tp->queue_max = queue_max;
    tp->cleanup_timeout = CTX_TASK_DRAIN_DEFAULT;
    tp->poll_interval = CTX_TASK_POLL_DEFAULT;
    if (hooks) {
        tp->hooks = *hooks;
    }
    tp->threads = apr_pcalloc(p, sizeof(*tp->threads) * (apr_size_t)threads);
    tp->cache_max = queue_max < ALLOC_CACHE_MAX - threads
                    ? queue_max + threads : ALLOC_CACHE_MAX;
    tp->cache = apr_pcalloc(p, sizeof(*tp->cache) * (apr_size_t)tp->cache_max);

    if ((rc = pthread_mutex_init(&tp->cache_lock, NULL)) != 0) {
        return APR_FROM_OS_ERROR(rc);
    }
    if ((rc = pthread_mutex_init(&tp->lock, NULL)) != 0) {
        goto leave;
    }
    ++inited;
    if ((rc = pthread_condattr_init(&cattr)) != 0) {
        goto leave;
    }
    rc = pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
    if (rc == 0 && (rc = pthread_cond_init(&tp->work, &cattr)) == 0) {
        ++inited;
        if ((rc = pthread_cond_init(&tp->empty, &cattr)) == 0) {
            ++inited;
            if ((rc = pthread_cond_init(&tp->joined_cond, &cattr)) == 0) {
                ++inited;
                if ((rc = pthread_cond_init(&tp->poll, &cattr)) == 0) {
                    ++inited;
                }
            }
        }
    }
    pthread_condattr_destroy(&cattr);
    if (rc != 0) {
        goto leave;
    }

    /* The workers block every asynchronous signal (they inherit the mask):
     * process-directed signals go to the server's own threads. */
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    for (int i = 0; i < threads; ++i) {
        if ((rc = pthread_create(&tp->threads[i], NULL, worker_main, tp))
            != 0) {
            break;
        }
        ++tp->nthreads;
    }
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (rc != 0) {
        ctx_log(CTX_LOG_ERR, "background task pool: could only start %d of "
                "%d threads", tp->nthreads, threads);
        stop_and_join(tp);
        goto leave;
    }

    apr_pool_pre_cleanup_register(p, tp, taskpool_drain_cleanup);
    apr_pool_cleanup_register(p, tp, taskpool_free_cleanup,
                              apr_pool_cleanup_null);
    *tpp = tp;
    return APR_SUCCESS;

leave:
    /* inited: 1 lock, 2 +work, 3 +empty, 4 +joined_cond, 5 +poll */
    if (inited >= 5) {
        pthread_cond_destroy(&tp->poll);
    }
    if (inited >= 4) {
        pthread_cond_destroy(&tp->joined_cond);
    }
    if (inited >= 3) {
        pthread_cond_destroy(&tp->empty);
    }
    if (inited >= 2) {
        pthread_cond_destroy(&tp->work);
    }
    if (inited >= 1) {
        pthread_mutex_destroy(&tp->lock);
    }
    pthread_mutex_destroy(&tp->cache_lock);
    return APR_FROM_OS_ERROR(rc);
}

void ctx_taskpool_set_cleanup_timeout(ctx_taskpool_t *tp,
                                      apr_interval_time_t timeout)
{
    if (tp) {
        pthread_mutex_lock(&tp->lock);
        tp->cleanup_timeout = timeout;
        pthread_mutex_unlock(&tp->lock);
    }
}

void ctx_taskpool_set_poll_interval(ctx_taskpool_t *tp,
                                    apr_interval_time_t interval)
{
    if (tp) {
        pthread_mutex_lock(&tp->lock);
        tp->poll_interval = interval < 0 ? 0
                            : interval > POLL_MAX ? POLL_MAX : interval;
        pthread_mutex_unlock(&tp->lock);
    }
}

apr_status_t ctx_taskpool_submit(ctx_taskpool_t *tp, ctx_task_t *t,
                                 ctx_task_work_fn *fn, void *baton)
{
    apr_time_t now;
    int wake;

    if (!tp || !t || !fn || t->tp != tp) {
        return APR_EINVAL;
    }
    /* Still the caller's: harmless if refused. */
    t->fn = fn;
    t->baton = baton;
    t->next = NULL;
    now = monotonic_now();

    pthread_mutex_lock(&tp->lock);
    if (tp->state != TP_OPEN) {
        ++tp->rejected;
        pthread_mutex_unlock(&tp->lock);
        return CTX_ESHUTDOWN;
    }
    if (tp->queued >= (apr_uint64_t)tp->queue_max) {
        ++tp->rejected;
        pthread_mutex_unlock(&tp->lock);
        return CTX_EQUEUEFULL;
    }
    if (tp->tail) {
        tp->tail->next = t;
    }
    else {
        tp->head = t;
    }
    tp->tail = t;
    ++tp->queued;
    /* Four tasks or more per interval: polling saves most wake-ups. At one
     * or two, a poll saves none and only delays the task. */
    tp->fast = now - tp->last_submit < tp->poll_interval / 4;
    tp->last_submit = now;
    wake = need_wake(tp);
    pthread_mutex_unlock(&tp->lock);
    /* A worker that goes to sleep after our unlock finds the task in the
     * queue before it waits: no wake-up is lost. */
    if (wake) {
        pthread_cond_signal(&tp->work);
    }
    return APR_SUCCESS;
}

void ctx_taskpool_stats(ctx_taskpool_t *tp, ctx_taskpool_stats_t *st)
{
    if (!st) {
        return;
    }
    if (!tp) {
        memset(st, 0, sizeof(*st));
        return;
    }
    pthread_mutex_lock(&tp->lock);
    st->queued = tp->queued;
    st->running = tp->running;
    st->done = tp->done;
    st->failed = tp->failed;
    st->rejected = tp->rejected;
    st->dropped = tp->dropped;
    st->signals = tp->signals;
    st->handoffs = tp->handoffs;
    st->polls = tp->polls;
    st->poll_hits = tp->poll_hits;
    st->sleeps = tp->sleeps;
    st->polling = (apr_uint64_t)tp->polling;
    st->sleeping = (apr_uint64_t)tp->sleeping;
    st->waking = (apr_uint64_t)tp->waking;
    pthread_mutex_unlock(&tp->lock);
}
