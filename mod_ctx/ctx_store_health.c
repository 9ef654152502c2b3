/* ctx_store_health: see ctx_store_health.h. */
#include <pthread.h>
#include <string.h>

#include <apr_strings.h>

#include "ctx_log.h"
#include "ctx_store_health.h"

struct ctx_store_health_t {
    ctx_store_t store;          /* the wrapper handed out */
    const ctx_store_t *inner;
    const char *name;
    pthread_mutex_t lock;
    int down;
    int probing;                /* a thread is probing now */
    apr_time_t down_since, last_probe;
    ctx_store_health_counts_t counts;
    apr_time_t (*now)(void *baton);
    void *now_baton;
};

static apr_time_t clock_now(ctx_store_health_t *h)
{
    return h->now ? h->now(h->now_baton) : apr_time_now();
}

static void mark_failed(ctx_store_health_t *h, apr_status_t rv)
{
    char err[120];

    pthread_mutex_lock(&h->lock);
    ++h->counts.failures;
    if (!h->down) {
        h->down = 1;
        h->down_since = h->last_probe = clock_now(h);
        ++h->counts.outages;
        pthread_mutex_unlock(&h->lock);
        ctx_log(CTX_LOG_ERR, "session store %s is unavailable (%s): "
                "sessions fail with CTX_ESTORE until it is back (probed "
                "every second)", h->name,
                apr_strerror(rv, err, sizeof(err)));
        return;
    }
    pthread_mutex_unlock(&h->lock);
}

/* APR_SUCCESS if the call may go to the store; CTX_ESTORE if it must fail
 * at once. While down, one caller per interval probes first. */
static apr_status_t admit(ctx_store_health_t *h, apr_pool_t *p)
{
    static const char canary[] = "1";
    apr_time_t now, since;
    apr_status_t rv;

    pthread_mutex_lock(&h->lock);
    if (!h->down) {
        pthread_mutex_unlock(&h->lock);
        return APR_SUCCESS;
    }
    now = clock_now(h);
    if (h->probing || now - h->last_probe < CTX_STORE_HEALTH_PROBE) {
        ++h->counts.refused;
        pthread_mutex_unlock(&h->lock);
        return CTX_ESTORE;
    }
    h->probing = 1;
    h->last_probe = now;
    ++h->counts.probes;
    pthread_mutex_unlock(&h->lock);

    rv = h->inner->ops->set(h->inner->baton, CTX_STORE_HEALTH_CANARY,
                            sizeof(CTX_STORE_HEALTH_CANARY) - 1,
                            (const unsigned char *)canary,
                            sizeof(canary) - 1,
                            now + apr_time_from_sec(60), p);

    pthread_mutex_lock(&h->lock);
    h->probing = 0;
    if (rv != APR_SUCCESS) {
        ++h->counts.failures;
        ++h->counts.refused;
        pthread_mutex_unlock(&h->lock);
        return CTX_ESTORE;
    }
    since = h->down_since;
    h->down = 0;
    pthread_mutex_unlock(&h->lock);
    ctx_log(CTX_LOG_NOTICE, "session store %s is back after %" APR_TIME_T_FMT
            " s", h->name, apr_time_sec(now - since));
    return APR_SUCCESS;
}

static apr_status_t health_get(void *baton, const char *key,
                               apr_size_t klen, unsigned char *buf,
                               apr_size_t *len, apr_pool_t *p)
{
    ctx_store_health_t *h = baton;
    apr_status_t rv;

    if ((rv = admit(h, p)) != APR_SUCCESS) {
        return rv;
    }
    rv = h->inner->ops->get(h->inner->baton, key, klen, buf, len, p);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND && rv != APR_ENOSPC) {
        mark_failed(h, rv);
        return CTX_ESTORE;
    }
    return rv;
}

static apr_status_t health_set(void *baton, const char *key,
                               apr_size_t klen, const unsigned char *val,
                               apr_size_t vlen, apr_time_t expiry,
                               apr_pool_t *p)
{
    ctx_store_health_t *h = baton;
    apr_status_t rv;

    if ((rv = admit(h, p)) != APR_SUCCESS) {
        return rv;
    }
    rv = h->inner->ops->set(h->inner->baton, key, klen, val, vlen, expiry,
                            p);
    if (rv != APR_SUCCESS && rv != APR_ENOSPC) {
        mark_failed(h, rv);
        return CTX_ESTORE;
    }
    return rv;
}

static apr_status_t health_remove(void *baton, const char *key,
                                  apr_size_t klen, apr_pool_t *p)
{
    ctx_store_health_t *h = baton;
    apr_status_t rv;

    if ((rv = admit(h, p)) != APR_SUCCESS) {
        return rv;
    }
    rv = h->inner->ops->remove(h->inner->baton, key, klen, p);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        mark_failed(h, rv);
        return CTX_ESTORE;
    }
    return rv;
}

static const ctx_store_ops_t health_ops = { "health", health_get,
                                            health_set, health_remove };

static apr_status_t cleanup(void *data)
{
    ctx_store_health_t *h = data;

    pthread_mutex_destroy(&h->lock);
    return APR_SUCCESS;
}

ctx_store_health_t *ctx_store_health_create(apr_pool_t *p,
                                            const ctx_store_t *inner,
                                            const char *name)
{
    ctx_store_health_t *h;

    if (!p || !inner || !inner->ops || !inner->ops->get || !inner->ops->set
        || !inner->ops->remove) {
        return NULL;
    }
    h = apr_pcalloc(p, sizeof(*h));
    if (pthread_mutex_init(&h->lock, NULL) != 0) {
        return NULL;
    }
    apr_pool_cleanup_register(p, h, cleanup, apr_pool_cleanup_null);
    h->inner = inner;
    h->name = apr_pstrdup(p, name ? name : inner->ops->name);
    h->store.ops = &health_ops;
    h->store.baton = h;
    return h;
}

const ctx_store_t *ctx_store_health_store(ctx_store_health_t *h)
{
    return &h->store;
}

int ctx_store_health_down(ctx_store_health_t *h)
{
    int down;

    pthread_mutex_lock(&h->lock);
    down = h->down;
    pthread_mutex_unlock(&h->lock);
    return down;
}

ctx_store_health_counts_t ctx_store_health_counts(ctx_store_health_t *h)
{
    ctx_store_health_counts_t c;

    pthread_mutex_lock(&h->lock);
    c = h->counts;
    pthread_mutex_unlock(&h->lock);
    return c;
}

void ctx_store_health_set_clock(ctx_store_health_t *h,
                                apr_time_t (*now)(void *baton), void *baton)
{
    pthread_mutex_lock(&h->lock);
    h->now = now;
    h->now_baton = baton;
    pthread_mutex_unlock(&h->lock);
}
