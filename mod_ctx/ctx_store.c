/* ctx_store: see ctx_store.h. */
#include <string.h>

#include "ctx_store.h"

static int usable(const ctx_store_t *st, apr_pool_t *p, const char *key)
{
    return st && st->ops && p && key && *key;
}

apr_status_t ctx_store_get(const ctx_store_t *st, apr_pool_t *p,
                           const char *key, apr_size_t cap,
                           const unsigned char **val, apr_size_t *len)
{
    unsigned char *buf;
    apr_size_t n = cap;
    apr_status_t rv;

    if (!usable(st, p, key) || !st->ops->get || !val || !len || !cap) {
        return APR_EINVAL;
    }
    *val = NULL;
    *len = 0;
    buf = apr_palloc(p, cap);
    rv = st->ops->get(st->baton, key, strlen(key), buf, &n, p);
    if (rv == APR_NOTFOUND || rv == APR_ENOSPC) {
        return rv;
    }
    if (rv != APR_SUCCESS || n > cap) {
        return CTX_ESTORE;
    }
    *val = buf;
    *len = n;
    return APR_SUCCESS;
}

apr_status_t ctx_store_set(const ctx_store_t *st, apr_pool_t *p,
                           const char *key, const void *val,
                           apr_size_t vlen, apr_time_t expiry)
{
    if (!usable(st, p, key) || !st->ops->set || !val || !vlen) {
        return APR_EINVAL;
    }
    return st->ops->set(st->baton, key, strlen(key), val, vlen, expiry, p)
               == APR_SUCCESS ? APR_SUCCESS : CTX_ESTORE;
}

apr_status_t ctx_store_remove(const ctx_store_t *st, apr_pool_t *p,
                              const char *key)
{
    apr_status_t rv;

    if (!usable(st, p, key) || !st->ops->remove) {
        return APR_EINVAL;
    }
    rv = st->ops->remove(st->baton, key, strlen(key), p);
    return (rv == APR_SUCCESS || rv == APR_NOTFOUND) ? APR_SUCCESS
                                                     : CTX_ESTORE;
}

apr_time_t ctx_store_expiry(apr_int64_t now, apr_int64_t max_age)
{
    return apr_time_from_sec(now + (max_age > 0 ? max_age : 0));
}

apr_int64_t ctx_store_refresh_interval(apr_int64_t max_age)
{
    apr_int64_t i;

    if (max_age <= 0) {
        return 0;
    }
    i = max_age / 4;
    if (i > CTX_STORE_REFRESH_MAX) {
        i = CTX_STORE_REFRESH_MAX;
    }
    return i < 1 ? 1 : i;
}

int ctx_store_refresh_due(apr_int64_t written, apr_int64_t now,
                          apr_int64_t max_age)
{
    apr_int64_t interval = ctx_store_refresh_interval(max_age);

    /* A write in the future (a clock ahead) is negative age: not due. */
    return interval > 0 && now - written >= interval;
}
