/* ctx_store_deadline: a bound on how long a request waits for the session
 * store, as a ctx_store_t wrapped around the real one (issue #12, item 7).
 *
 * Why: the providers' own timeouts cannot be trusted for it. Debian 12's
 * mod_socache_redis hands apr_redis RedisTimeout in microseconds and
 * apr-util 1.6.3 multiplies it by 10^6 again; apr_memcache reads with no
 * timeout at all. A store that accepts connections and never answers
 * would hold the request (and its worker thread) for good.
 *
 * How: each call is copied into a job that owns its key and value (malloc,
 * never request-pool memory) and is run by one of at most `threads` call
 * threads of this process (created on demand, then kept); the caller waits
 * on the job until `timeout` has passed. On time, the caller copies the
 * result out. Late, the caller gets APR_TIMEUP (the health wrapper above
 * marks the store down and maps it to CTX_ESTORE) and leaves the job to
 * its thread, which frees it when (if ever) the provider returns: the
 * stuck call touches only memory of its own. A job still queued at the
 * deadline is taken back and never runs. At most `threads` calls run or
 * hang at once; further calls wait in the queue under the same deadline.
 *
 * Only for stores safe to call from any thread without a lock held by the
 * caller (the glue uses it for providers not flagged NOTMPSAFE: redis,
 * memcache; shmcb and dbm are local memory/files under the global mutex
 * and are called in the request thread as before).
 *
 * The wrapper lives in a pool; the call threads hold it (reference
 * counted), so that a pool cleared while a call hangs frees it only when
 * the last thread is done. The inner store must outlive every call made
 * through the wrapper (in httpd: pconf; a child exits with it). */
#ifndef CTX_STORE_DEADLINE_H
#define CTX_STORE_DEADLINE_H

#include <apr_pools.h>
#include <apr_time.h>

#include "ctx_store.h"

/* Call threads per process by default: enough for every worker thread of
 * a default event child (25) to wait on the store at once. */
#define CTX_STORE_DEADLINE_THREADS 32

typedef struct ctx_store_deadline_t ctx_store_deadline_t;

typedef struct {
    unsigned calls;             /* calls made through the wrapper */
    unsigned timeouts;          /* calls that hit the deadline */
    unsigned stuck;             /* timed-out calls still in the provider */
    unsigned threads;           /* call threads alive */
} ctx_store_deadline_counts_t;

/* Wrap `inner` (borrowed: see above) so that no call waits longer than
 * `timeout` (> 0), with at most `threads` (>= 1) call threads. Lives in
 * `p`. NULL for bad arguments or without memory. */
ctx_store_deadline_t *ctx_store_deadline_create(apr_pool_t *p,
                                                const ctx_store_t *inner,
                                                apr_interval_time_t timeout,
                                                unsigned threads);

/* Before the inner store is destroyed (a child exiting, a restart): stop
 * taking jobs and wait up to `wait` for calls inside the provider to
 * return. Returns how many are still inside it; the inner store must then
 * not be destroyed (its connections are still in use by a stuck call). */
unsigned ctx_store_deadline_drain(ctx_store_deadline_t *d,
                                  apr_interval_time_t wait);

/* The wrapped store: owned by `d`. */
const ctx_store_t *ctx_store_deadline_store(ctx_store_deadline_t *d);

ctx_store_deadline_counts_t ctx_store_deadline_counts(
    ctx_store_deadline_t *d);

#endif
