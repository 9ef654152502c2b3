/* ctx_store_mem: see ctx_store_mem.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "ctx_store_mem.h"

typedef struct {
    unsigned char *val;         /* malloc'd: overwrites do not grow a pool */
    apr_size_t len;
    apr_time_t expiry;
} entry_t;

struct ctx_store_mem_t {
    ctx_store_t store;
    pthread_mutex_t lock;
    apr_pool_t *pool;
    apr_hash_t *entries;        /* key (in pool) -> entry_t (in pool) */
    ctx_store_mem_counts_t counts;
    apr_time_t now;
    int fail_ops;
    apr_status_t fail_status;
    apr_size_t item_limit;
};

static apr_time_t clock_now(const ctx_store_mem_t *m)
{
    return m->now ? m->now : apr_time_now();
}

/* The live entry under key, or NULL (an expired one is dropped). */
static entry_t *find(ctx_store_mem_t *m, const char *key, apr_size_t klen)
{
    entry_t *e = apr_hash_get(m->entries, key, (apr_ssize_t)klen);

    if (e && e->val && e->expiry <= clock_now(m)) {
        free(e->val);
        e->val = NULL;
    }
    return (e && e->val) ? e : NULL;
}

static apr_status_t put(ctx_store_mem_t *m, const char *key,
                        apr_size_t klen, const void *val, apr_size_t len,
                        apr_time_t expiry)
{
    entry_t *e = apr_hash_get(m->entries, key, (apr_ssize_t)klen);
    unsigned char *copy;

    if (len > m->item_limit) {
        return APR_ENOSPC;
    }
    if (!(copy = malloc(len ? len : 1))) {
        return APR_ENOMEM;
    }
    memcpy(copy, val, len);
    if (!e) {
        /* A key's slot stays once made: a test's key set is small. */
        e = apr_pcalloc(m->pool, sizeof(*e));
        apr_hash_set(m->entries, apr_pstrmemdup(m->pool, key, klen),
                     (apr_ssize_t)klen, e);
    }
    free(e->val);
    e->val = copy;
    e->len = len;
    e->expiry = expiry;
    return APR_SUCCESS;
}

/* An injected failure for `op`, counted; APR_SUCCESS when none. */
static apr_status_t injected(ctx_store_mem_t *m, int op)
{
    if (m->fail_ops & op) {
        ++m->counts.failures;
        return m->fail_status;
    }
    return APR_SUCCESS;
}

static apr_status_t mem_get(void *baton, const char *key, apr_size_t klen,
                            unsigned char *buf, apr_size_t *len,
                            apr_pool_t *p)
{
    ctx_store_mem_t *m = baton;
    entry_t *e;
    apr_status_t rv;

    pthread_mutex_lock(&m->lock);
    ++m->counts.gets;
    if ((rv = injected(m, CTX_STORE_MEM_GET)) == APR_SUCCESS) {
        if (!(e = find(m, key, klen))) {
            ++m->counts.misses;
            rv = APR_NOTFOUND;
        }
        else if (e->len > *len) {
            ++m->counts.hits;
            rv = APR_ENOSPC;
        }
        else {
            ++m->counts.hits;
            memcpy(buf, e->val, e->len);
            *len = e->len;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return rv;
}

static apr_status_t mem_set(void *baton, const char *key, apr_size_t klen,
                            const unsigned char *val, apr_size_t vlen,
                            apr_time_t expiry, apr_pool_t *p)
{
    ctx_store_mem_t *m = baton;
    apr_status_t rv;

    pthread_mutex_lock(&m->lock);
    ++m->counts.sets;
    if ((rv = injected(m, CTX_STORE_MEM_SET)) == APR_SUCCESS) {
        rv = put(m, key, klen, val, vlen, expiry);
    }
    pthread_mutex_unlock(&m->lock);
    return rv;
}

static apr_status_t mem_remove(void *baton, const char *key,
                               apr_size_t klen, apr_pool_t *p)
{
    ctx_store_mem_t *m = baton;
    entry_t *e;
    apr_status_t rv;

    pthread_mutex_lock(&m->lock);
    ++m->counts.removes;
    if ((rv = injected(m, CTX_STORE_MEM_REMOVE)) == APR_SUCCESS) {
        if ((e = find(m, key, klen)) != NULL) {
            free(e->val);
            e->val = NULL;
        }
        else {
            rv = APR_NOTFOUND;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return rv;
}

static const ctx_store_ops_t mem_ops = { "mem", mem_get, mem_set,
                                         mem_remove };

static apr_status_t cleanup(void *data)
{
    ctx_store_mem_t *m = data;

    for (apr_hash_index_t *hi = apr_hash_first(NULL, m->entries); hi;
         hi = apr_hash_next(hi)) {
        entry_t *e = apr_hash_this_val(hi);

        free(e->val);
        e->val = NULL;
    }
    pthread_mutex_destroy(&m->lock);
    return APR_SUCCESS;
}

ctx_store_mem_t *ctx_store_mem_create(apr_pool_t *p)
{
    ctx_store_mem_t *m = apr_pcalloc(p, sizeof(*m));

    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        return NULL;
    }
    m->pool = p;
    m->entries = apr_hash_make(p);
    m->item_limit = 1024 * 1024;
    m->store.ops = &mem_ops;
    m->store.baton = m;
    apr_pool_cleanup_register(p, m, cleanup, apr_pool_cleanup_null);
    return m;
}

const ctx_store_t *ctx_store_mem_store(ctx_store_mem_t *m)
{
    return &m->store;
}

ctx_store_mem_counts_t ctx_store_mem_counts(ctx_store_mem_t *m)
{
    ctx_store_mem_counts_t c;

    pthread_mutex_lock(&m->lock);
    c = m->counts;
    pthread_mutex_unlock(&m->lock);
    return c;
}

void ctx_store_mem_reset_counts(ctx_store_mem_t *m)
{
    pthread_mutex_lock(&m->lock);
    memset(&m->counts, 0, sizeof(m->counts));
    pthread_mutex_unlock(&m->lock);
}

void ctx_store_mem_set_now(ctx_store_mem_t *m, apr_time_t now)
{
    pthread_mutex_lock(&m->lock);
    m->now = now;
    pthread_mutex_unlock(&m->lock);
}

void ctx_store_mem_fail(ctx_store_mem_t *m, int ops, apr_status_t status)
{
    pthread_mutex_lock(&m->lock);
    m->fail_ops = ops;
    m->fail_status = status;
    pthread_mutex_unlock(&m->lock);
}

void ctx_store_mem_set_item_limit(ctx_store_mem_t *m, apr_size_t bytes)
{
    pthread_mutex_lock(&m->lock);
    m->item_limit = bytes;
    pthread_mutex_unlock(&m->lock);
}

apr_status_t ctx_store_mem_peek(ctx_store_mem_t *m, apr_pool_t *p,
                                const char *key, const char **val,
                                apr_size_t *len, apr_time_t *expiry)
{
    entry_t *e;
    apr_status_t rv = APR_NOTFOUND;

    pthread_mutex_lock(&m->lock);
    if ((e = find(m, key, strlen(key))) != NULL) {
        if (val) {
            *val = apr_pstrmemdup(p, (const char *)e->val, e->len);
        }
        if (len) {
            *len = e->len;
        }
        if (expiry) {
            *expiry = e->expiry;
        }
        rv = APR_SUCCESS;
    }
    pthread_mutex_unlock(&m->lock);
    return rv;
}

apr_status_t ctx_store_mem_poke(ctx_store_mem_t *m, const char *key,
                                const void *val, apr_size_t len,
                                apr_time_t expiry)
{
    apr_status_t rv;

    pthread_mutex_lock(&m->lock);
    rv = put(m, key, strlen(key), val, len, expiry);
    pthread_mutex_unlock(&m->lock);
    return rv;
}

int ctx_store_mem_entries(ctx_store_mem_t *m)
{
    int n = 0;

    pthread_mutex_lock(&m->lock);
    for (apr_hash_index_t *hi = apr_hash_first(NULL, m->entries); hi;
         hi = apr_hash_next(hi)) {
        const void *k;
        apr_ssize_t klen;

        apr_hash_this(hi, &k, &klen, NULL);
        n += find(m, k, (apr_size_t)klen) != NULL;
    }
    pthread_mutex_unlock(&m->lock);
    return n;
}
