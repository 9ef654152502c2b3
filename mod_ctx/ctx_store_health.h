/* ctx_store_health: mod_ctx's own view of whether the session store is up,
 * as a ctx_store_t wrapped around the real one (issue #12, item 7).
 *
 * Why: a store that is down must not look like an empty session, and the
 * provider's own view cannot be trusted for that: apr_redis (under
 * mod_socache_redis) reports a server it has marked dead as a plain miss
 * and retries it only every few seconds.
 *
 * States and rules:
 *   up    calls go through. A failure (any status but APR_SUCCESS,
 *         APR_NOTFOUND and, for get, APR_ENOSPC; a set's APR_ENOSPC is
 *         an item too large, not an outage) marks the store down: one
 *         error-log line for the outage, the outage counter counts it.
 *   down  no call reaches the store except one probe per probe interval
 *         (CTX_STORE_HEALTH_PROBE, 1 s): the probe writes a canary entry
 *         (a set is never answered by a dead-server "miss"); if it
 *         succeeds, the store is up again (one notice line with the
 *         outage's length) and the call goes through; otherwise, and for
 *         every call between probes, the call fails at once with
 *         CTX_ESTORE: during an outage no request waits for the store
 *         more than one probe per interval (each bounded by
 *         CtxSessionStoreTimeout, ctx_store_deadline.h), and a miss is
 *         never mistaken for "no session".
 * The view is per process (each httpd child logs an outage once). Thread
 * safe. */
#ifndef CTX_STORE_HEALTH_H
#define CTX_STORE_HEALTH_H

#include <apr_pools.h>
#include <apr_time.h>

#include "ctx_store.h"

#define CTX_STORE_HEALTH_PROBE apr_time_from_sec(1)
/* The canary's key (never a session's: those start "ctx1."). */
#define CTX_STORE_HEALTH_CANARY "ctx-health-probe"

typedef struct ctx_store_health_t ctx_store_health_t;

typedef struct {
    unsigned outages;           /* up -> down transitions */
    unsigned failures;          /* calls the store failed */
    unsigned refused;           /* calls failed at once while down */
    unsigned probes;            /* probes made (failed or not) */
} ctx_store_health_counts_t;

/* Wrap `inner` (borrowed, must outlive the wrapper); `name` (copied) names
 * the store in log lines, e.g. "socache:redis:127.0.0.1:6379". Lives in
 * `p`. NULL for bad arguments or without memory. */
ctx_store_health_t *ctx_store_health_create(apr_pool_t *p,
                                            const ctx_store_t *inner,
                                            const char *name);

/* The wrapped store, to hand to ctx_session_store: owned by `h`. */
const ctx_store_t *ctx_store_health_store(ctx_store_health_t *h);

/* 1 while the store is marked down. */
int ctx_store_health_down(ctx_store_health_t *h);

ctx_store_health_counts_t ctx_store_health_counts(ctx_store_health_t *h);

/* The clock (tests); NULL: apr_time_now. */
void ctx_store_health_set_clock(ctx_store_health_t *h,
                                apr_time_t (*now)(void *baton),
                                void *baton);

#endif
