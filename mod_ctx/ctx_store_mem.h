/* ctx_store_mem: an in-memory ctx_store_t for tests and benchmarks, with
 * call counters, a settable clock and injected failures.
 *
 * It behaves as the contract in ctx_store.h asks (expired entries are
 * misses; a value larger than the reader's buffer is a failure) and as the
 * socache providers do where that matters: a set replaces, a remove of a
 * missing key is APR_NOTFOUND, an item larger than the item limit is
 * refused (memcached's 1 MB by default). Thread-safe (one mutex). */
#ifndef CTX_STORE_MEM_H
#define CTX_STORE_MEM_H

#include <apr_pools.h>
#include <apr_time.h>

#include "ctx_store.h"

typedef struct ctx_store_mem_t ctx_store_mem_t;

/* Every call made, failed ones included. */
typedef struct {
    unsigned gets, sets, removes;
    unsigned hits, misses;      /* of gets that were not failed */
    unsigned failures;          /* calls answered by an injected failure */
} ctx_store_mem_counts_t;

#define CTX_STORE_MEM_GET    0x1
#define CTX_STORE_MEM_SET    0x2
#define CTX_STORE_MEM_REMOVE 0x4
#define CTX_STORE_MEM_ALL    0x7

/* An empty store in `p`; its entries are freed when `p` is destroyed.
 * NULL without memory. */
ctx_store_mem_t *ctx_store_mem_create(apr_pool_t *p);

/* The ctx_store_t to hand to the core: owned by `m`. */
const ctx_store_t *ctx_store_mem_store(ctx_store_mem_t *m);

/* Counters since creation or the last reset. */
ctx_store_mem_counts_t ctx_store_mem_counts(ctx_store_mem_t *m);
void ctx_store_mem_reset_counts(ctx_store_mem_t *m);

/* The clock expiry is checked against; 0: the real clock (default). */
void ctx_store_mem_set_now(ctx_store_mem_t *m, apr_time_t now);

/* From now on, every call of the operations in `ops` (CTX_STORE_MEM_*)
 * returns `status` without touching the data (a store that is down:
 * CTX_ESTORE, APR_TIMEUP; apr_redis's dead server: APR_NOTFOUND on get);
 * ops 0 heals it. */
void ctx_store_mem_fail(ctx_store_mem_t *m, int ops, apr_status_t status);

/* Refuse items over `bytes` (default 1 MiB) with APR_ENOSPC. */
void ctx_store_mem_set_item_limit(ctx_store_mem_t *m, apr_size_t bytes);

/* Look at an entry without counting a call: its value (a copy in `p`,
 * NUL-terminated) and expiry. APR_NOTFOUND if absent or expired. */
apr_status_t ctx_store_mem_peek(ctx_store_mem_t *m, apr_pool_t *p,
                                const char *key, const char **val,
                                apr_size_t *len, apr_time_t *expiry);

/* Write an entry without counting a call (a test planting data, another
 * server's write). */
apr_status_t ctx_store_mem_poke(ctx_store_mem_t *m, const char *key,
                                const void *val, apr_size_t len,
                                apr_time_t expiry);

/* Live (unexpired) entries. */
int ctx_store_mem_entries(ctx_store_mem_t *m);

#endif
