/* ctx_store: where server-side sessions are kept, as the core sees it.
 *
 * A small key-value interface with expiry. The glue implements it on
 * httpd's ap_socache_provider_t (shmcb, redis, memcache, dbm: retrieve,
 * store, remove; under the global mutex for AP_SOCACHE_FLAG_NOTMPSAFE
 * providers); ctx_store_mem.h implements it in memory for tests. The core
 * never includes an httpd header, so it only ever calls through here.
 *
 * Contract for implementations (`ops`):
 *   get     key (klen bytes) -> up to *len bytes into buf; *len is the
 *           capacity on entry and the value's length on APR_SUCCESS.
 *           APR_SUCCESS: found. APR_NOTFOUND: no such entry (or expired).
 *           APR_ENOSPC: the value is larger than *len (the glue maps each
 *           provider's own code for that, e.g. APR_ENOMEM, to it).
 *           Anything else (CTX_ESTORE preferred): the store failed, timed
 *           out, or is known to be down.
 *   set     store `vlen` bytes under key until `expiry` (absolute,
 *           apr_time_t, as socache). APR_SUCCESS or a failure status.
 *   remove  APR_SUCCESS or APR_NOTFOUND (nothing to remove: both mean the
 *           entry is gone); anything else is a failure.
 * Keys are printable ASCII (ctx_session_id.h's store keys). `p` is a pool
 * for the call's temporary allocations.
 *
 * The wrappers below check arguments and map every failure to CTX_ESTORE,
 * so that a caller of get sees exactly four outcomes: found (APR_SUCCESS),
 * not found (APR_NOTFOUND), too large for the reader (APR_ENOSPC: a value
 * written under a larger CtxSessionMaxSize; the store works), store
 * unavailable (CTX_ESTORE). A store that is down must never look like an
 * empty session: callers keep CTX_ESTORE distinct from APR_NOTFOUND all
 * the way up.
 *
 * Lifetime refresh: an entry lives CtxSessionMaxAge seconds from its last
 * write. A request that changes nothing rewrites it (same data, new issue
 * time) only when the stored value is at least ctx_store_refresh_interval
 * old: max_age / 4, at most CTX_STORE_REFRESH_MAX seconds, at least 1. So
 * an unchanged session costs one read per request and one write per
 * interval at most, and an idle session expires between max_age -
 * interval and max_age after its last request. */
#ifndef CTX_STORE_H
#define CTX_STORE_H

#include <apr_pools.h>
#include <apr_time.h>

#include "ctx_status.h"

typedef struct {
    const char *name;           /* for messages: "shmcb", "redis", "mem" */
    apr_status_t (*get)(void *baton, const char *key, apr_size_t klen,
                        unsigned char *buf, apr_size_t *len, apr_pool_t *p);
    apr_status_t (*set)(void *baton, const char *key, apr_size_t klen,
                        const unsigned char *val, apr_size_t vlen,
                        apr_time_t expiry, apr_pool_t *p);
    apr_status_t (*remove)(void *baton, const char *key, apr_size_t klen,
                           apr_pool_t *p);
} ctx_store_ops_t;

/* A store: its operations and their baton, both borrowed by the core
 * (the glue keeps them for the server's lifetime). */
typedef struct {
    const ctx_store_ops_t *ops;
    void *baton;
} ctx_store_t;

/* Longest refresh interval, in seconds. */
#define CTX_STORE_REFRESH_MAX 3600

/* Read `key` into a buffer of `cap` bytes allocated in `p`: *val and *len
 * set on APR_SUCCESS (*val owned by `p`). APR_NOTFOUND, APR_ENOSPC (a
 * value over `cap` bytes), CTX_ESTORE (any failure), APR_EINVAL for bad
 * arguments (no call made). */
apr_status_t ctx_store_get(const ctx_store_t *st, apr_pool_t *p,
                           const char *key, apr_size_t cap,
                           const unsigned char **val, apr_size_t *len);

/* Write `vlen` bytes under `key` to expire at `expiry`. APR_SUCCESS,
 * CTX_ESTORE, APR_EINVAL (no call made). */
apr_status_t ctx_store_set(const ctx_store_t *st, apr_pool_t *p,
                           const char *key, const void *val,
                           apr_size_t vlen, apr_time_t expiry);

/* Delete `key`. APR_SUCCESS (gone, whether or not it was there),
 * CTX_ESTORE, APR_EINVAL (no call made). */
apr_status_t ctx_store_remove(const ctx_store_t *st, apr_pool_t *p,
                              const char *key);

/* The expiry of an entry written at `now` (seconds) for `max_age`
 * seconds, as apr_time_t. */
apr_time_t ctx_store_expiry(apr_int64_t now, apr_int64_t max_age);

/* The refresh interval for `max_age` seconds (see above); 0 for
 * max_age <= 0 (no lifetime: nothing to refresh). */
apr_int64_t ctx_store_refresh_interval(apr_int64_t max_age);

/* 1 if an unchanged entry written at `written` (seconds, the stored
 * value's issue time) should be rewritten at `now`: at least one
 * interval old. 0 for a time in the future (another server's clock ahead)
 * or max_age <= 0. */
int ctx_store_refresh_due(apr_int64_t written, apr_int64_t now,
                          apr_int64_t max_age);

#endif
