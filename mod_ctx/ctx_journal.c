/* ctx_journal: see ctx_journal.h. */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "ctx_flat.h"
#include "ctx_journal.h"
#include "ctx_json.h"

/* Compact by itself once this many entries are recorded (then at twice
 * what compaction left, so that recording stays amortized O(1)). */
#define AUTO_COMPACT 64

struct ctx_journal_t {
    apr_pool_t *pool;           /* the owner's */
    apr_pool_t *data;           /* entries, keys and values; replaced by
                                 * each compaction */
    apr_array_header_t *entries;        /* ctx_journal_entry_t */
    int threshold;
    int marks;
    int cleared;
};

static apr_status_t new_data(ctx_journal_t *j, apr_pool_t **data,
                             apr_array_header_t **entries, int n)
{
    if (apr_pool_create(data, j->pool) != APR_SUCCESS) {
        return APR_ENOMEM;
    }
    *entries = apr_array_make(*data, n > 8 ? n : 8,
                              sizeof(ctx_journal_entry_t));
    return APR_SUCCESS;
}

ctx_journal_t *ctx_journal_create(apr_pool_t *p)
{
    ctx_journal_t *j = apr_pcalloc(p, sizeof(*j));

    j->pool = p;
    j->threshold = AUTO_COMPACT;
    return new_data(j, &j->data, &j->entries, 8) == APR_SUCCESS ? j : NULL;
}

static apr_status_t record(ctx_journal_t *j, ctx_journal_op_t op,
                           const char *key, const char *value,
                           apr_size_t vlen)
{
    ctx_journal_entry_t *e;

    if (j->entries->nelts >= j->threshold) {
        /* Best effort: without memory the record just grows. */
        ctx_journal_compact(j);
        j->threshold = j->entries->nelts * 2 > AUTO_COMPACT
                           ? j->entries->nelts * 2 : AUTO_COMPACT;
    }
    e = apr_array_push(j->entries);
    e->op = op;
    e->key = key ? apr_pstrdup(j->data, key) : NULL;
    e->value = value ? apr_pstrmemdup(j->data, value, vlen) : NULL;
    e->vlen = value ? vlen : 0;
    return APR_SUCCESS;
}

apr_status_t ctx_journal_set(ctx_journal_t *j, const char *key,
                             const char *value, apr_size_t vlen)
{
    if (!j || !key || !value || !vlen) {
        return APR_EINVAL;
    }
    return record(j, CTX_JOURNAL_SET, key, value, vlen);
}

apr_status_t ctx_journal_remove(ctx_journal_t *j, const char *key)
{
    if (!j || !key) {
        return APR_EINVAL;
    }
    return record(j, CTX_JOURNAL_REMOVE, key, NULL, 0);
}

apr_status_t ctx_journal_clear(ctx_journal_t *j)
{
    if (!j) {
        return APR_EINVAL;
    }
    /* Nothing before a clear matters: drop it now. */
    apr_array_clear(j->entries);
    j->cleared = 1;
    return record(j, CTX_JOURNAL_CLEAR, NULL, NULL, 0);
}

void ctx_journal_mark(ctx_journal_t *j, int marks)
{
    j->marks |= marks & (CTX_JOURNAL_REGENERATE | CTX_JOURNAL_INVALIDATE);
    if (marks & CTX_JOURNAL_INVALIDATE) {
        ctx_journal_clear(j);
    }
}

int ctx_journal_marks(const ctx_journal_t *j)
{
    return j->marks;
}

int ctx_journal_is_empty(const ctx_journal_t *j)
{
    return !j->marks && !j->cleared && j->entries->nelts == 0;
}

int ctx_journal_cleared(const ctx_journal_t *j)
{
    return j->cleared;
}

int ctx_journal_count(const ctx_journal_t *j)
{
    return j->entries->nelts;
}

const ctx_journal_entry_t *ctx_journal_entry(const ctx_journal_t *j, int i)
{
    if (i < 0 || i >= j->entries->nelts) {
        return NULL;
    }
    return &APR_ARRAY_IDX(j->entries, i, ctx_journal_entry_t);
}

apr_status_t ctx_journal_compact(ctx_journal_t *j)
{
    apr_pool_t *data;
    apr_array_header_t *entries;
    apr_hash_t *seen;
    const ctx_journal_entry_t **keep;
    int n = j->entries->nelts, kept = 0;

    if (new_data(j, &data, &entries, n) != APR_SUCCESS) {
        return APR_ENOMEM;
    }
    seen = apr_hash_make(data);
    keep = apr_palloc(data, sizeof(*keep) * (n ? n : 1));
    /* From the end: each key's last change, back to the last clear. */
    for (int i = n - 1; i >= 0; --i) {
        const ctx_journal_entry_t *e = ctx_journal_entry(j, i);

        if (e->op == CTX_JOURNAL_CLEAR) {
            keep[kept++] = e;
            break;
        }
        if (!apr_hash_get(seen, e->key, APR_HASH_KEY_STRING)) {
            apr_hash_set(seen, e->key, APR_HASH_KEY_STRING, e);
            keep[kept++] = e;
        }
    }
    while (kept > 0) {
        const ctx_journal_entry_t *e = keep[--kept];
        ctx_journal_entry_t *c = apr_array_push(entries);

        c->op = e->op;
        c->key = e->key ? apr_pstrdup(data, e->key) : NULL;
        c->value = e->value ? apr_pstrmemdup(data, e->value, e->vlen) : NULL;
        c->vlen = e->vlen;
    }
    apr_pool_destroy(j->data);
    j->data = data;
    j->entries = entries;
    return APR_SUCCESS;
}

apr_status_t ctx_journal_apply_flat(const ctx_journal_t *j, ctx_flat_t *f,
                                   apr_pool_t *p)
{
    if (!j || !f || !p) {
        return APR_EINVAL;
    }
    if (j->cleared) {
        ctx_flat_clear(f);
    }
    for (int i = 0; i < j->entries->nelts; ++i) {
        const ctx_journal_entry_t *e = ctx_journal_entry(j, i);
        json_t *v;
        char *text;
        apr_size_t tlen, values;
        apr_status_t rv;

        switch (e->op) {
        case CTX_JOURNAL_CLEAR:
            ctx_flat_clear(f);
            break;
        case CTX_JOURNAL_REMOVE:
            ctx_flat_remove(f, e->key);
            break;
        case CTX_JOURNAL_SET:
            /* The recorded text is read and written again: one JSON value
             * in the writer's form, whatever the recorder gave. */
            if (!ctx_json_utf8_valid(e->key, strlen(e->key))
                || !(v = ctx_json_parse(e->value, e->vlen))) {
                return APR_EINVAL;
            }
            rv = ctx_json_write_member(p, v, &text, &tlen, &values);
            json_decref(v);
            if (rv != APR_SUCCESS
                || (rv = ctx_flat_set(f, e->key, text, tlen, values))
                   != APR_SUCCESS) {
                return rv;
            }
            break;
        }
    }
    return APR_SUCCESS;
}

apr_status_t ctx_journal_apply(const ctx_journal_t *j, const json_t *base,
                               json_t **out)
{
    apr_pool_t *p;
    ctx_flat_t *f;
    apr_status_t rv;

    *out = NULL;
    if (!j || (base && !json_is_object(base))) {
        return APR_EINVAL;
    }
    /* The flat form's merge, on a copy: `base` is not changed. */
    if (apr_pool_create(&p, j->pool) != APR_SUCCESS) {
        return APR_ENOMEM;
    }
    if (!(f = ctx_flat_from_json(p, j->cleared ? NULL : base))) {
        rv = APR_EINVAL;        /* a base the writer refuses */
    }
    else if ((rv = ctx_journal_apply_flat(j, f, p)) == APR_SUCCESS
             && !(*out = ctx_flat_to_json(f))) {
        rv = APR_ENOMEM;
    }
    apr_pool_destroy(p);
    return rv;
}
