/* ctx_task: a bounded per-process pool of threads that run background tasks
 * (Flask's copy_current_request_context + a thread).
 *
 * A request handler creates a task (which has its OWN pool, independent of
 * any request pool), copies what the work needs into that pool, and submits
 * it. A worker thread later runs it exactly once, between the enter/leave
 * hooks (where the glue binds the copied context on the worker), then
 * destroys the task's pool on that worker. Submitting never blocks beyond a
 * short mutex: when `queue_max` tasks are already waiting the task is refused
 * (CTX_EQUEUEFULL) and stays the caller's.
 *
 * Shutdown (ctx_taskpool_drain, or the pool's own cleanup) stops accepting,
 * lets queued tasks run until a timeout, drops (destroys without running)
 * those still not started, waits for the running ones and joins the threads.
 *
 * Wake-ups (what a submit costs the request thread): a worker that finds
 * the queue empty right after a task, while tasks arrive more often than
 * four per poll interval, does not go to sleep: it polls, waiting at most
 * one poll interval (CTX_TASK_POLL_DEFAULT, 4 ms) and then taking whatever
 * was queued meanwhile. While a worker polls, a submit wakes nobody: no
 * futex call and no context switch per task, one wake-up per interval for a
 * whole batch. At most two workers poll; a poll that finds nothing sends its
 * worker back to an untimed sleep (an idle pool does not tick), and at lower
 * rates no worker polls at all. When no worker polls, a submit wakes one
 * sleeping worker at once, and a worker that takes a task while more are
 * queued and none polls wakes another one: a long task holds back the tasks
 * queued behind it for one interval at most (while a worker is free).
 * Latency bound: while a worker is free, an accepted task waits at most one
 * poll interval plus scheduling delay before a worker takes it or the tasks
 * queued ahead of it (no added wait when no worker polls: it is woken at
 * once); running the tasks ahead of it, and waiting while every worker is
 * busy, come on top as before.
 *
 * Anything a task holds that must be released whether it runs or is dropped
 * belongs in a cleanup on the task's pool: that pool is destroyed in both
 * cases (enter/leave are only called for tasks that run). To learn which of
 * the two happened, set an end callback (ctx_task_set_end).
 *
 * Create the task pool after any fork (httpd: child_init, on pchild): its
 * threads do not survive fork(). */
#ifndef CTX_TASK_H
#define CTX_TASK_H

#include <apr_pools.h>
#include <apr_time.h>

#include "ctx_status.h"

/* Refused: the queue already holds queue_max tasks. The caller still owns
 * the task. */
#ifndef CTX_EQUEUEFULL
#define CTX_EQUEUEFULL  (CTX_STATUS_BASE + 4)
#endif
/* Refused: the task pool is draining or drained. The caller still owns the
 * task. */
#ifndef CTX_ESHUTDOWN
#define CTX_ESHUTDOWN   (CTX_STATUS_BASE + 5)
#endif

/* How long a worker polls for more work before sleeping (see above). 4 ms:
 * with 2 ms, /background reached 0.83..0.89 of /home in bench/run, with
 * 4 ms 0.90..0.95 (2 cores); a background task can wait that long. */
#ifndef CTX_TASK_POLL_DEFAULT
#define CTX_TASK_POLL_DEFAULT apr_time_from_msec(4)
#endif

/* ctx_taskpool_drain(): no time limit, every queued task runs. */
#define CTX_TASK_WAIT_FOREVER ((apr_interval_time_t)-1)
/* Drain timeout used by the cleanup on the task pool's parent pool (until
 * changed with ctx_taskpool_set_cleanup_timeout). */
#define CTX_TASK_DRAIN_DEFAULT apr_time_from_sec(5)

typedef struct ctx_taskpool_t ctx_taskpool_t;
typedef struct ctx_task_t ctx_task_t;

/* The work of a task, run once on a worker thread. `task` (and its pool) is
 * valid during the call; `baton` is what was given to ctx_taskpool_submit.
 * A non-APR_SUCCESS return counts the task as failed and is logged at error
 * level with the task's description; nothing else happens. */
typedef apr_status_t ctx_task_work_fn(ctx_task_t *task, void *baton);

/* How a task ended, for its end callback (ctx_task_set_end). */
typedef enum {
    CTX_TASK_END_RAN = 0,       /* fn ran (rv: what it returned) */
    CTX_TASK_END_DROPPED        /* never ran: dropped by a drain (rv:
                                 * CTX_ESHUTDOWN) */
} ctx_task_end_t;

/* A task's end callback: see ctx_task_set_end. `t` and its pool are valid
 * during the call. */
typedef void ctx_task_end_fn(ctx_task_t *t, ctx_task_end_t how,
                             apr_status_t rv, void *baton);

/* Called on the worker thread right before and right after each task's fn
 * (same thread, same task; `rv` is what fn returned). The task's pool is
 * still alive in leave(); it is destroyed right after. Either may be NULL.
 * Never called for a task that is dropped without running. */
typedef struct {
    void (*enter)(ctx_task_t *t, void *hook_baton);
    void (*leave)(ctx_task_t *t, apr_status_t rv, void *hook_baton);
    void *hook_baton;
} ctx_task_hooks_t;

/* A snapshot taken under the task pool's lock (all fields consistent with
 * each other). Accepted tasks = queued + running + done + dropped. */
typedef struct {
    apr_uint64_t queued;    /* accepted, not started yet (now) */
    apr_uint64_t running;   /* fn/hooks running or pool being destroyed (now) */
    apr_uint64_t done;      /* finished (fn returned, pool destroyed); failed
                             * ones included */
    apr_uint64_t failed;    /* among done: fn returned non-APR_SUCCESS */
    apr_uint64_t rejected;  /* submits refused: CTX_EQUEUEFULL or
                             * CTX_ESHUTDOWN */
    apr_uint64_t dropped;   /* queued but destroyed unrun by a drain */

    /* How the workers were woken (for tests and benchmarks). */
    apr_uint64_t signals;   /* wake-ups sent to a sleeping worker */
    apr_uint64_t handoffs;  /* among signals: sent by a worker that left
                             * tasks queued behind the one it took */
    apr_uint64_t polls;     /* timed waits (polls) begun */
    apr_uint64_t poll_hits; /* polls that ended with work queued */
    apr_uint64_t sleeps;    /* untimed waits begun */
    apr_uint64_t polling;   /* workers polling (now) */
    apr_uint64_t sleeping;  /* workers in an untimed wait (now) */
    apr_uint64_t waking;    /* 1: a wake-up is on its way to a sleeper that
                             * is not back yet (now) */
} ctx_taskpool_stats_t;

/* Create a task pool in `p` and start its `threads` worker threads now.
 * `hooks` is copied (may be NULL; hook_baton must outlive the task pool).
 * The task pool lives in `p`: when `p` is cleared or destroyed it is drained
 * first (a pre-cleanup, so while p's subpools still exist) with the cleanup
 * timeout (CTX_TASK_DRAIN_DEFAULT unless changed), then its mutex and
 * condition variables are destroyed; do not use *tp after that.
 * APR_EINVAL if tp or p is NULL, threads < 1 or queue_max < 1; the error of
 * thread creation otherwise (then no thread is left running). */
apr_status_t ctx_taskpool_create(ctx_taskpool_t **tp, apr_pool_t *p,
                                 int threads, int queue_max,
                                 const ctx_task_hooks_t *hooks);

/* The drain timeout of the cleanup on the parent pool
 * (CTX_TASK_WAIT_FOREVER: no limit). */
void ctx_taskpool_set_cleanup_timeout(ctx_taskpool_t *tp,
                                      apr_interval_time_t timeout);

/* How long a worker polls for more work before it sleeps (default
 * CTX_TASK_POLL_DEFAULT); 0: never poll, every submit to a pool with a
 * sleeping worker wakes one. Takes effect at the workers' next wait. */
void ctx_taskpool_set_poll_interval(ctx_taskpool_t *tp,
                                    apr_interval_time_t interval);

/* Hand `t` to the task pool, to run fn(t, baton) once on a worker thread.
 * Never blocks beyond a short mutex; allocates nothing; wakes a worker
 * only when none polls (see the top of this file).
 * - APR_SUCCESS: the task pool owns t now; the caller must not touch t (or
 *   its pool) again: it may already be running or gone. After fn and the
 *   leave hook, t's pool is destroyed on the worker thread.
 * - CTX_EQUEUEFULL: queue_max tasks are waiting; CTX_ESHUTDOWN: the task
 *   pool is draining or drained. Both count as rejected; the caller still
 *   owns t (submit it again later, or ctx_task_destroy it).
 * - APR_EINVAL: tp, t or fn is NULL, or t was created for another task pool
 *   (the caller still owns t).
 * Thread-safe. */
apr_status_t ctx_taskpool_submit(ctx_taskpool_t *tp, ctx_task_t *t,
                                 ctx_task_work_fn *fn, void *baton);

/* Shut down: stop accepting (submit returns CTX_ESHUTDOWN from now on); let
 * the running tasks finish and the queued ones start until `timeout` has
 * passed (CTX_TASK_WAIT_FOREVER: until the queue is empty; 0: drop at once);
 * then destroy (on the calling thread, without running fn or the hooks) the
 * queued tasks still not started, counting them in *dropped (may be NULL)
 * and logging them at warning level; then wait for the running tasks to
 * finish (they cannot be cancelled: this may wait longer than `timeout`) and
 * join every worker thread.
 * Returns APR_SUCCESS, or APR_TIMEUP when tasks were dropped. Idempotent: a
 * later call (or a concurrent one, which waits for the first to finish)
 * returns APR_SUCCESS with *dropped = 0. APR_EINVAL if tp is NULL or if
 * called from one of tp's own worker threads (a task cannot wait for
 * itself; nothing changes then). The task pool stays usable for
 * ctx_taskpool_stats until its parent pool goes. */
apr_status_t ctx_taskpool_drain(ctx_taskpool_t *tp,
                                apr_interval_time_t timeout,
                                apr_size_t *dropped);

/* Fill *st with a consistent snapshot of tp's counters (all zero if tp is
 * NULL). Thread-safe. */
void ctx_taskpool_stats(ctx_taskpool_t *tp, ctx_taskpool_stats_t *st);

/* A new task for `tp`, with its own pool: an unmanaged pool (no parent: it
 * does not depend on any request pool) on an allocator of its own, which tp
 * recycles from task to task (a small cache, so that creating a task costs
 * no malloc/mmap in the steady state). Thread-safe. The caller owns *t
 * until a successful ctx_taskpool_submit; to give up, ctx_task_destroy it,
 * before tp's parent pool goes (the allocator goes back to tp).
 * APR_EINVAL if t or tp is NULL; APR_ENOMEM if the pool cannot be created.
 * Creating a task does not check whether tp still accepts (submit does). */
apr_status_t ctx_task_create(ctx_task_t **t, ctx_taskpool_t *tp);

/* The task's own pool: lives until the task has run (destroyed on the
 * worker after the leave hook), was dropped by a drain, or was
 * ctx_task_destroy'ed. Like any pool, used by one thread at a time: the
 * creator until submit, then the worker. */
apr_pool_t *ctx_task_pool(const ctx_task_t *t);

/* One pointer for the glue (e.g. the copied context), NULL at creation. The
 * task does not own it: allocate it in the task's pool. */
void *ctx_task_data(const ctx_task_t *t);
void ctx_task_set_data(ctx_task_t *t, void *data);

/* A description used in log lines, e.g. "GET /background?email=x": copied
 * into the task's pool (NULL: none). ctx_task_description returns that copy
 * (or NULL), valid as long as the task's pool. */
void ctx_task_set_description(ctx_task_t *t, const char *desc);
const char *ctx_task_description(const ctx_task_t *t);

/* Have `end` called exactly once for `t` if a submit accepts it: on the
 * worker after fn and the leave hook (CTX_TASK_END_RAN, fn's status), or,
 * for a task a drain drops unrun, on the draining thread
 * (CTX_TASK_END_DROPPED, CTX_ESHUTDOWN); in both cases right before t's
 * pool is destroyed. Never for a task that is refused and then
 * ctx_task_destroy'ed. Set it before the submit (end may be NULL: none). */
void ctx_task_set_end(ctx_task_t *t, ctx_task_end_fn *end, void *baton);

/* Destroy a task the caller still owns (never submitted, or refused): its
 * pool (and the task) are destroyed, running the pool's cleanups on the
 * calling thread. NULL does nothing. Never call it on a task after a
 * successful submit. */
void ctx_task_destroy(ctx_task_t *t);

#endif
