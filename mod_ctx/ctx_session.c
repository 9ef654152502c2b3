/* ctx_session: see ctx_session.h. The reads and the session's life here;
 * the changes in ctx_session_change.c. */
#include <string.h>

#include <apr_strings.h>

#include "ctx_log.h"
#include "ctx_session_private.h"

void ctx_session_set_journal(ctx_session_t *s, ctx_journal_t *j)
{
    s->journal = j;
}

void ctx_session_on_change(ctx_session_t *s, ctx_session_changed_fn *fn,
                           void *baton)
{
    s->changed = fn;
    s->changed_baton = baton;
}

/* ctx_session_private.h */
void ctx_session_drop_json_now(ctx_session_t *s, const char *key)
{
    json_decref(s->data);
    s->data = NULL;
    if (!s->got) {
        return;
    }
    if (key) {
        json_t *v = apr_hash_get(s->got, key, APR_HASH_KEY_STRING);

        if (v) {
            apr_hash_set(s->got, key, APR_HASH_KEY_STRING, NULL);
            json_decref(v);
        }
        return;
    }
    for (apr_hash_index_t *hi = apr_hash_first(NULL, s->got); hi;
         hi = apr_hash_next(hi)) {
        void *v;

        apr_hash_this(hi, NULL, NULL, &v);
        json_decref(v);
    }
    apr_hash_clear(s->got);
}

static apr_status_t release(void *arg)
{
    ctx_session_drop_json_now(arg, NULL);
    return APR_SUCCESS;
}

ctx_session_t *ctx_session_create(apr_pool_t *p, ctx_session_fits_fn *fits,
                                  void *baton)
{
    ctx_session_t *s = apr_pcalloc(p, sizeof(*s));

    s->fits = fits;
    s->baton = baton;
    s->pool = p;
    s->never_fit = s->max_values = APR_SIZE_MAX;
    return s;
}

void ctx_session_template_init(ctx_session_template_t *t,
                               ctx_session_fits_fn *fits,
                               ctx_session_changed_fn *changed)
{
    t->fits = fits;
    t->changed = changed;
    t->sure_fit = 0;
    t->never_fit = t->max_values = APR_SIZE_MAX;
}

/* 16-byte stores that may alias anything, 8-byte aligned (as the pool). */
typedef apr_uint64_t zero16_t __attribute__((vector_size(16), aligned(8),
                                             may_alias));

/* A session made on every request: zeroed in a few wide stores, unrolled,
 * where the compiler's memset is a `rep stos` of one word per step. */
static inline void zero_session(ctx_session_t *s)
{
    zero16_t *z = (zero16_t *)(void *)s;

    _Static_assert(sizeof(*s) % 8 == 0, "a whole number of words");
#pragma GCC unroll 16
    for (size_t i = 0; i < sizeof(*s) / sizeof(*z); ++i) {
        z[i] = (zero16_t){ 0, 0 };
    }
    if (sizeof(*s) % sizeof(*z)) {
        memset((char *)s + sizeof(*s) - 8, 0, 8);
    }
}

ctx_session_t *ctx_session_create_from(apr_pool_t *p,
                                       const ctx_session_template_t *t,
                                       void *baton, void *log_request)
{
    ctx_session_t *s = apr_palloc(p, sizeof(*s));

    zero_session(s);
    s->pool = p;
    s->fits = t->fits;
    s->baton = baton;
    s->changed = t->changed;
    s->changed_baton = baton;
    s->sure_fit = t->sure_fit;
    s->never_fit = t->never_fit;
    s->max_values = t->max_values;
    s->log_request = log_request;
    return s;
}

/* jansson values are handed out: they are released with the pool. */
static void hold_json(ctx_session_t *s)
{
    if (!s->holds_json) {
        apr_pool_cleanup_register(s->pool, s, release, apr_pool_cleanup_null);
        s->holds_json = 1;
    }
}

void ctx_session_load_flat(ctx_session_t *s, ctx_flat_t *flat,
                           apr_int64_t issued, int key_index)
{
    s->flat = flat;
    s->json = NULL;
    s->issued = flat ? issued : 0;
    s->created = s->issued;
    s->reissue = key_index > 0;
    s->loaded = 1;
    drop_json(s, NULL);         /* last: a tail call, when there is one */
}

void ctx_session_load(ctx_session_t *s, json_t *data, apr_int64_t issued,
                      int key_index)
{
    ctx_flat_t *flat = (data && json_is_object(data))
                       ? ctx_flat_from_json(s->pool, data) : NULL;

    ctx_session_load_flat(s, flat, issued, key_index);
    if (data && !flat) {
        s->issued = s->created = issued;    /* data, even if not usable */
    }
    json_decref(data);
}

void ctx_session_load_text(ctx_session_t *s, const char *json,
                           apr_size_t len, apr_int64_t issued,
                           int key_index)
{
    ctx_flat_t *flat = NULL;

    if (json && ctx_flat_parse(s->pool, json, len, 0, NULL, &flat)
                != APR_SUCCESS) {
        flat = NULL;
    }
    ctx_session_load_flat(s, flat, issued, key_index);
}

apr_size_t ctx_session_json_values(const ctx_session_t *s)
{
    /* the data has not changed since the text was made (a change drops
     * it): its count is the text's */
    return s->json ? ctx_flat_values(data(s)) : 0;
}

void ctx_session_set_limits(ctx_session_t *s, apr_size_t sure_fit,
                            apr_size_t never_fit, apr_size_t max_values)
{
    s->sure_fit = sure_fit;
    s->never_fit = never_fit;
    s->max_values = max_values;
}

unsigned ctx_session_serializations(const ctx_session_t *s)
{
    return s->serializations;
}

const char *ctx_session_json(ctx_session_t *s, apr_size_t *len)
{
    if (!s->json && !serialize(s)) {
        return NULL;
    }
    if (len) {
        *len = s->jlen;
    }
    return s->json;
}

int ctx_session_is_loaded(const ctx_session_t *s)
{
    return s->loaded;
}

void ctx_session_set_log_request(ctx_session_t *s, void *request)
{
    s->log_request = request;
}

apr_status_t ctx_session_get_text(ctx_session_t *s, const char *key,
                                  const char **text, apr_size_t *len)
{
    const ctx_flat_member_t *m;

    s->accessed = 1;
    if (!key || !(m = ctx_flat_get(data(s), key))) {
        return APR_NOTFOUND;
    }
    /* A float read from the cookie: its text is made canonical first. */
    if (m->unchecked && ctx_flat_canonicalize(s->flat) != APR_SUCCESS) {
        return APR_ENOMEM;
    }
    *text = m->text;
    *len = m->tlen;
    return APR_SUCCESS;
}

apr_status_t ctx_session_get_int(ctx_session_t *s, const char *key,
                                 apr_int64_t *val)
{
    const ctx_flat_member_t *m;

    s->accessed = 1;
    if (!key || !(m = ctx_flat_get(data(s), key))) {
        return APR_NOTFOUND;
    }
    /* Digits only, or APR_EINVAL: a float (checked or not: it is no
     * integer either way), a string, a literal, a container. */
    return ctx_flat_int(m->text, m->tlen, val);
}

json_t *ctx_session_get(ctx_session_t *s, const char *key)
{
    const char *text;
    apr_size_t len;
    json_t *v;

    if (ctx_session_get_text(s, key, &text, &len) != APR_SUCCESS) {
        return NULL;
    }
    if (!s->got) {
        s->got = apr_hash_make(s->pool);
        hold_json(s);
    }
    if (!(v = apr_hash_get(s->got, key, APR_HASH_KEY_STRING))
        && (v = ctx_json_parse(text, len)) != NULL) {
        apr_hash_set(s->got, apr_pstrdup(s->pool, key), APR_HASH_KEY_STRING,
                     v);
    }
    return v;
}

int ctx_session_has(ctx_session_t *s, const char *key)
{
    s->accessed = 1;
    return key && ctx_flat_get(data(s), key) != NULL;
}

int ctx_session_count(const ctx_session_t *s)
{
    return ctx_flat_count(data(s));
}

int ctx_session_do(ctx_session_t *s, ctx_session_visit_fn *fn, void *baton)
{
    s->accessed = 1;
    if (s->flat && ctx_flat_canonicalize(s->flat) != APR_SUCCESS) {
        return 0;
    }
    for (int i = 0; i < ctx_flat_count(data(s)); ++i) {
        const ctx_flat_member_t *m = ctx_flat_at(data(s), i);

        if (!fn(baton, m->key, m->text, m->tlen)) {
            return 0;
        }
    }
    return 1;
}

int ctx_session_permanent_flag(const ctx_session_t *s)
{
    const ctx_flat_member_t *m = ctx_flat_get(data(s), PERMANENT_KEY);

    return m && m->tlen == 4 && !memcmp(m->text, "true", 4);
}

int ctx_session_is_permanent(ctx_session_t *s)
{
    s->accessed = 1;
    return ctx_session_permanent_flag(s);
}

const json_t *ctx_session_data(const ctx_session_t *s)
{
    ctx_session_t *w = (ctx_session_t *)s;  /* a cache, not a change */

    if (!w->data) {
        hold_json(w);
        w->data = ctx_flat_to_json(data(s));
    }
    return w->data;
}

int ctx_session_accessed(const ctx_session_t *s)
{
    return s->accessed;
}

int ctx_session_modified(const ctx_session_t *s)
{
    return s->modified;
}

int ctx_session_needs_reissue(const ctx_session_t *s)
{
    return s->reissue;
}

apr_int64_t ctx_session_issued(const ctx_session_t *s)
{
    return s->issued;
}

apr_int64_t ctx_session_created(const ctx_session_t *s)
{
    return s->created;
}

void ctx_session_set_created(ctx_session_t *s, apr_int64_t created)
{
    s->created = created;
}

void ctx_session_ask_reissue(ctx_session_t *s)
{
    s->reissue = 1;
}

void ctx_session_seal(ctx_session_t *s)
{
    s->sealed = 1;
}

void ctx_session_set_read_only(ctx_session_t *s)
{
    s->sealed = 1;
    s->read_only = 1;
}

int ctx_session_sealed(const ctx_session_t *s)
{
    return s->sealed;
}
