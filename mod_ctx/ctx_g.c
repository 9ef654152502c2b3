/* ctx_g: see ctx_g.h. */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "ctx_g.h"

typedef struct g_entry_t g_entry_t;
struct g_entry_t {
    g_entry_t *prev, *next;     /* insertion order */
    const char *key;
    const char *sval;           /* set for a string entry */
    void *pval;                 /* set for a pointer entry */
    ctx_g_dtor_fn *dtor;
    ctx_g_copy_fn *copy;        /* how a background task gets its own */
};

/* A request sets a handful of entries: up to INDEX_AFTER a scan of the list
 * is cheaper than a hash (no bucket array to make, no hashing of each key,
 * nothing to unhook at the end); past it an index keeps lookups flat. */
#define INDEX_AFTER 8

struct ctx_gtable_t {
    apr_pool_t *pool;
    apr_hash_t *index;          /* key -> g_entry_t; NULL while small */
    g_entry_t *first, *last;
    g_entry_t *spare;           /* removed entries, reused */
    unsigned int count;
};

static apr_status_t g_cleanup(void *data)
{
    ctx_gtable_clear(data);
    return APR_SUCCESS;
}

ctx_gtable_t *ctx_gtable_create(apr_pool_t *p)
{
    ctx_gtable_t *g = apr_pcalloc(p, sizeof(*g));

    g->pool = p;
    apr_pool_cleanup_register(p, g, g_cleanup, apr_pool_cleanup_null);
    return g;
}

static g_entry_t *find(const ctx_gtable_t *g, const char *key)
{
    g_entry_t *e;

    if (g->index) {
        return apr_hash_get(g->index, key, APR_HASH_KEY_STRING);
    }
    for (e = g->first; e; e = e->next) {
        if (strcmp(e->key, key) == 0) {
            return e;
        }
    }
    return NULL;
}

/* Drop the value an entry holds, running a pointer's destructor. */
static void release_value(g_entry_t *e)
{
    void *ptr = e->pval;
    ctx_g_dtor_fn *dtor = e->dtor;

    e->sval = NULL;
    e->pval = NULL;
    e->dtor = NULL;
    e->copy = NULL;
    if (ptr && dtor) {
        dtor(ptr);
    }
}

static g_entry_t *find_or_add(ctx_gtable_t *g, const char *key)
{
    g_entry_t *e = find(g, key);

    if (e) {
        return e;
    }
    if (g->spare) {
        e = g->spare;
        g->spare = e->next;
        memset(e, 0, sizeof(*e));
    }
    else {
        e = apr_pcalloc(g->pool, sizeof(*e));
    }
    e->key = apr_pstrdup(g->pool, key);
    e->prev = g->last;
    if (g->last) {
        g->last->next = e;
    }
    else {
        g->first = e;
    }
    g->last = e;
    if (g->index) {
        apr_hash_set(g->index, e->key, APR_HASH_KEY_STRING, e);
    }
    else if (g->count + 1 > INDEX_AFTER) {
        g_entry_t *i;

        g->index = apr_hash_make(g->pool);
        for (i = g->first; i; i = i->next) {
            apr_hash_set(g->index, i->key, APR_HASH_KEY_STRING, i);
        }
    }
    ++g->count;
    return e;
}

static void unlink_entry(ctx_gtable_t *g, g_entry_t *e)
{
    if (g->index) {
        apr_hash_set(g->index, e->key, APR_HASH_KEY_STRING, NULL);
    }
    --g->count;
    if (e->prev) {
        e->prev->next = e->next;
    }
    else {
        g->first = e->next;
    }
    if (e->next) {
        e->next->prev = e->prev;
    }
    else {
        g->last = e->prev;
    }
    e->prev = NULL;
    e->next = g->spare;
    g->spare = e;
}

apr_status_t ctx_gtable_set(ctx_gtable_t *g, const char *key, const char *val)
{
    g_entry_t *e;
    const char *copy;

    if (!g || !key || !val) {
        return APR_EINVAL;
    }
    copy = apr_pstrdup(g->pool, val);
    e = find_or_add(g, key);
    release_value(e);
    e->sval = copy;
    return APR_SUCCESS;
}

apr_status_t ctx_gtable_set_ptr(ctx_gtable_t *g, const char *key, void *ptr,
                           ctx_g_dtor_fn *dtor)
{
    return ctx_gtable_set_ptr_copyable(g, key, ptr, dtor, NULL);
}

apr_status_t ctx_gtable_set_ptr_copyable(ctx_gtable_t *g, const char *key,
                                         void *ptr, ctx_g_dtor_fn *dtor,
                                         ctx_g_copy_fn *copy)
{
    g_entry_t *e;

    if (!g || !key || !ptr) {
        return APR_EINVAL;
    }
    e = find_or_add(g, key);
    if (e->pval == ptr) {
        e->dtor = dtor;         /* same object set again: do not destroy it */
        e->copy = copy;
        return APR_SUCCESS;
    }
    release_value(e);
    e->pval = ptr;
    e->dtor = dtor;
    e->copy = copy;
    return APR_SUCCESS;
}

apr_status_t ctx_gtable_copy_into(ctx_gtable_t *dst, const ctx_gtable_t *src)
{
    const g_entry_t *e;
    apr_status_t rv;

    if (!dst || !src) {
        return APR_EINVAL;
    }
    for (e = src->first; e; e = e->next) {
        if (e->sval) {
            rv = ctx_gtable_set(dst, e->key, e->sval);
        }
        else if (e->copy) {
            void *copy = e->copy(e->pval, dst->pool);

            if (!copy) {
                return APR_ENOMEM;
            }
            rv = ctx_gtable_set_ptr_copyable(dst, e->key, copy, e->dtor,
                                             e->copy);
        }
        else {
            continue;           /* its owner did not say how to copy it */
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

const char *ctx_gtable_get(const ctx_gtable_t *g, const char *key)
{
    g_entry_t *e;

    if (!g || !key || !(e = find(g, key))) {
        return NULL;
    }
    return e->sval;
}

void *ctx_gtable_get_ptr(const ctx_gtable_t *g, const char *key)
{
    g_entry_t *e;

    if (!g || !key || !(e = find(g, key))) {
        return NULL;
    }
    return e->pval;
}

int ctx_gtable_has(const ctx_gtable_t *g, const char *key)
{
    return g && key && find(g, key) != NULL;
}

apr_status_t ctx_gtable_remove(ctx_gtable_t *g, const char *key)
{
    g_entry_t *e;

    if (!g || !key) {
        return APR_EINVAL;
    }
    if (!(e = find(g, key))) {
        return APR_NOTFOUND;
    }
    unlink_entry(g, e);
    release_value(e);
    return APR_SUCCESS;
}

apr_status_t ctx_gtable_pop(ctx_gtable_t *g, const char *key, const char **val)
{
    g_entry_t *e;

    if (!g || !key || !val) {
        return APR_EINVAL;
    }
    if (!(e = find(g, key))) {
        return APR_NOTFOUND;
    }
    if (!e->sval) {
        return APR_EINVAL;
    }
    *val = e->sval;
    unlink_entry(g, e);
    e->sval = NULL;
    return APR_SUCCESS;
}

apr_status_t ctx_gtable_pop_ptr(ctx_gtable_t *g, const char *key, void **ptr)
{
    g_entry_t *e;

    if (!g || !key || !ptr) {
        return APR_EINVAL;
    }
    if (!(e = find(g, key))) {
        return APR_NOTFOUND;
    }
    if (!e->pval) {
        return APR_EINVAL;
    }
    *ptr = e->pval;
    unlink_entry(g, e);
    e->pval = NULL;
    e->dtor = NULL;
    return APR_SUCCESS;
}

apr_status_t ctx_gtable_setdefault(ctx_gtable_t *g, const char *key, const char *dflt,
                              const char **val)
{
    g_entry_t *e;

    if (!g || !key || !dflt || !val) {
        return APR_EINVAL;
    }
    if ((e = find(g, key)) != NULL) {
        if (!e->sval) {
            return APR_EINVAL;
        }
        *val = e->sval;
        return APR_SUCCESS;
    }
    e = find_or_add(g, key);
    e->sval = apr_pstrdup(g->pool, dflt);
    *val = e->sval;
    return APR_SUCCESS;
}

int ctx_gtable_do(const ctx_gtable_t *g, ctx_g_visit_fn *fn, void *baton)
{
    const g_entry_t *e;

    if (!g || !fn) {
        return 1;
    }
    for (e = g->first; e; e = e->next) {
        if (!fn(baton, e->key, e->sval, e->pval)) {
            return 0;
        }
    }
    return 1;
}

unsigned int ctx_gtable_count(const ctx_gtable_t *g)
{
    return g ? g->count : 0;
}

void ctx_gtable_clear(ctx_gtable_t *g)
{
    /* Destructors may touch g (e.g. read another entry): detach each entry
     * before its destructor runs. */
    while (g->last) {
        g_entry_t *e = g->last;

        unlink_entry(g, e);
        release_value(e);
    }
}
