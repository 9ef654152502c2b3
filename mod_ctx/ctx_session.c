/* ctx_session: see ctx_session.h. */
#include <apr_hash.h>
#include <apr_strings.h>

#include "ctx_journal.h"
#include "ctx_json.h"
#include "ctx_log.h"
#include "ctx_session.h"

#define PERMANENT_KEY "_permanent"

/* Texts made for exact size checks in one session, at most: past it a
 * change that needs one is refused (CTX_ETOOLARGE). A handler sets a few
 * keys; only a request setting thousands near the limit gets here. */
#define CHECK_BUDGET (64 * 1024)

struct ctx_session_t {
    json_t *data;
    ctx_session_fits_fn *fits;
    void *baton;
    apr_pool_t *pool;
    apr_pool_t *scratch;        /* holds `json` from the second text on */
    const char *json;           /* data serialized, NULL when stale */
    apr_size_t jlen;
    apr_int64_t issued, created;
    int loaded, accessed, modified, reissue, sealed;
    int serialized;             /* a text was made in `pool` already */
    ctx_session_changed_fn *changed;
    void *changed_baton;
    ctx_journal_t *journal;     /* records changes (server-side store) */
    /* The exact length of the data's text, kept per key (key -> the length
     * of `"key":value`), so that a change costs what changed, not the
     * whole session: set when first needed, then kept up to date. */
    apr_hash_t *lens;
    apr_pool_t *measure;        /* cleared after each measurement */
    apr_size_t entries_len;     /* sum of the lengths in `lens` */
    apr_size_t sure_fit, never_fit, checked;
    unsigned serializations;
};

/* Every change goes through here: the owner hears of the first one while
 * the response can still be marked uncacheable. */
static void mark_modified(ctx_session_t *s)
{
    if (!s->modified && s->changed) {
        s->changed(s->changed_baton, s);
    }
    s->modified = 1;
}

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

static apr_status_t release(void *arg)
{
    ctx_session_t *s = arg;

    json_decref(s->data);
    s->data = NULL;
    return APR_SUCCESS;
}

ctx_session_t *ctx_session_create(apr_pool_t *p, ctx_session_fits_fn *fits,
                                  void *baton)
{
    ctx_session_t *s = apr_pcalloc(p, sizeof(*s));

    s->fits = fits;
    s->baton = baton;
    s->pool = p;
    s->never_fit = APR_SIZE_MAX;
    apr_pool_cleanup_register(p, s, release, apr_pool_cleanup_null);
    return s;
}

void ctx_session_load(ctx_session_t *s, json_t *data, apr_int64_t issued,
                      int key_index)
{
    json_decref(s->data);
    s->data = (data && json_is_object(data)) ? data : json_object();
    if (data && s->data != data) {
        json_decref(data);
    }
    s->json = NULL;
    s->lens = NULL;
    s->issued = data ? issued : 0;
    s->created = s->issued;
    s->reissue = key_index > 0;
    s->loaded = 1;
}

/* Serialize the data: once per change, shared by the size check and the
 * save (each used to serialize on its own). Most requests change a session
 * once: the first text goes into the session's pool; from the second on,
 * texts go into a scratch pool cleared for each, so a request that changes
 * the session many times holds one old text at most, not all of them. */
static const char *serialize(ctx_session_t *s)
{
    apr_pool_t *p = s->pool;

    if (s->serialized) {
        if (!s->scratch) {
            if (apr_pool_create(&s->scratch, s->pool) != APR_SUCCESS) {
                s->scratch = NULL;
                return NULL;
            }
        }
        else {
            apr_pool_clear(s->scratch);
        }
        p = s->scratch;
    }
    s->serialized = 1;
    ++s->serializations;
    s->json = ctx_json_dump(p, s->data, &s->jlen);
    return s->json;
}

void ctx_session_set_limits(ctx_session_t *s, apr_size_t sure_fit,
                            apr_size_t never_fit)
{
    s->sure_fit = sure_fit;
    s->never_fit = never_fit;
}

unsigned ctx_session_serializations(const ctx_session_t *s)
{
    return s->serializations;
}

/* The length of `"key":value` as ctx_json_dump writes it inside an object;
 * 0 if `val` cannot be written (NaN, too deep) or without memory. */
static apr_size_t entry_len(ctx_session_t *s, const char *key,
                            const json_t *val)
{
    json_t *k;
    apr_size_t klen = 0, vlen = 0;

    if (!s->measure && apr_pool_create(&s->measure, s->pool) != APR_SUCCESS) {
        s->measure = NULL;
        return 0;
    }
    if ((k = json_string(key)) != NULL) {
        if (!ctx_json_dump(s->measure, k, &klen)
            || !ctx_json_dump(s->measure, val, &vlen)) {
            klen = vlen = 0;
        }
        json_decref(k);
    }
    apr_pool_clear(s->measure);
    return (klen && vlen) ? klen + 1 + vlen : 0;
}

/* Record a set in the journal: the value's text, made in the measuring
 * pool and copied by the journal. */
static apr_status_t record_set(ctx_session_t *s, const char *key,
                               const json_t *val)
{
    apr_size_t len = 0;
    const char *text;
    apr_status_t rv;

    if (!s->journal) {
        return APR_SUCCESS;
    }
    if (!s->measure && apr_pool_create(&s->measure, s->pool) != APR_SUCCESS) {
        s->measure = NULL;
        return APR_ENOMEM;
    }
    text = ctx_json_dump(s->measure, val, &len);
    /* No text: a value the writer refuses (NaN, too deep). */
    rv = text ? ctx_journal_set(s->journal, key, text, len) : APR_EINVAL;
    apr_pool_clear(s->measure);
    return rv;
}

static apr_status_t lens_forget(ctx_session_t *s, const char *key)
{
    apr_size_t *len;

    if (s->lens && (len = apr_hash_get(s->lens, key, APR_HASH_KEY_STRING))) {
        s->entries_len -= *len;
        apr_hash_set(s->lens, key, APR_HASH_KEY_STRING, NULL);
    }
    return APR_SUCCESS;
}

static apr_status_t lens_put(ctx_session_t *s, const char *key,
                             apr_size_t len)
{
    apr_size_t *slot = apr_hash_get(s->lens, key, APR_HASH_KEY_STRING);

    if (slot) {
        s->entries_len -= *slot;
    }
    else {
        slot = apr_palloc(s->pool, sizeof(*slot));
        apr_hash_set(s->lens, apr_pstrdup(s->pool, key), APR_HASH_KEY_STRING,
                     slot);
    }
    *slot = len;
    s->entries_len += len;
    return APR_SUCCESS;
}

/* Measure every entry once: the first checked change of a request. */
static apr_status_t lens_init(ctx_session_t *s)
{
    const char *key;
    json_t *val;

    s->lens = apr_hash_make(s->pool);
    s->entries_len = 0;
    json_object_foreach(s->data, key, val) {
        apr_size_t len = entry_len(s, key, val);

        if (!len) {
            s->lens = NULL;
            return APR_ENOMEM;
        }
        lens_put(s, key, len);
    }
    return APR_SUCCESS;
}

/* The text's length with `n` entries whose lengths add up to `sum`. */
static apr_size_t object_len(apr_size_t n, apr_size_t sum)
{
    return 2 + sum + (n ? n - 1 : 0);
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

static apr_status_t writable(ctx_session_t *s, const char *what,
                             const char *key)
{
    if (s->sealed) {
        ctx_log(CTX_LOG_ERR, "session %s%s%s%s after the response headers "
                "were sent: the change cannot be saved and is refused", what,
                key ? " '" : "", key ? key : "", key ? "'" : "");
        return CTX_ETOOLATE;
    }
    return APR_SUCCESS;
}

json_t *ctx_session_get(ctx_session_t *s, const char *key)
{
    s->accessed = 1;
    return key ? json_object_get(s->data, key) : NULL;
}

int ctx_session_has(ctx_session_t *s, const char *key)
{
    return ctx_session_get(s, key) != NULL;
}

apr_status_t ctx_session_set(ctx_session_t *s, const char *key, json_t *val)
{
    json_t *old;
    apr_status_t rv;
    apr_size_t new_len = 0, old_len = 0, jlen;

    if (!key || !val) {
        json_decref(val);
        return APR_EINVAL;
    }
    s->accessed = 1;
    if ((rv = writable(s, "set", key)) != APR_SUCCESS) {
        json_decref(val);
        return rv;
    }
    if (s->fits) {
        if (!s->lens && (rv = lens_init(s)) != APR_SUCCESS) {
            json_decref(val);
            return rv;
        }
        if (!(new_len = entry_len(s, key, val))) {
            /* NaN, infinity or nesting the writer refuses: the session
             * could never be saved with it. */
            json_decref(val);
            return APR_EINVAL;
        }
        old_len = json_object_get(s->data, key)
                  ? *(apr_size_t *)apr_hash_get(s->lens, key,
                                                APR_HASH_KEY_STRING)
                  : 0;
    }
    old = json_incref(json_object_get(s->data, key));
    if (json_object_set_new(s->data, key, val) != 0) {
        json_decref(old);
        return APR_EINVAL;      /* key is not valid UTF-8 */
    }
    s->json = NULL;
    if (s->fits) {
        jlen = object_len(json_object_size(s->data),
                          s->entries_len - old_len + new_len);
        if (jlen <= s->sure_fit) {
            rv = APR_SUCCESS;
        }
        else if (jlen > s->never_fit || s->checked + jlen > CHECK_BUDGET) {
            rv = CTX_ETOOLARGE;
        }
        else if (!serialize(s)) {
            rv = APR_ENOMEM;
        }
        else {
            s->checked += s->jlen;
            rv = s->fits(s->baton, s, s->json, s->jlen) ? APR_SUCCESS
                                                        : CTX_ETOOLARGE;
        }
    }
    else {
        rv = APR_SUCCESS;
    }
    if (rv == APR_SUCCESS) {
        rv = record_set(s, key, val);
    }
    if (rv != APR_SUCCESS) {
        if (old) {
            json_object_set_new(s->data, key, old);
        }
        else {
            json_object_del(s->data, key);
        }
        s->json = NULL;         /* the text of the refused data */
        if (rv == CTX_ETOOLARGE) {
            ctx_log(CTX_LOG_ERR, "session: setting '%s' refused: the session "
                    "would exceed the cookie size limit", key);
        }
        return rv;
    }
    if (s->lens) {
        lens_put(s, key, new_len);
    }
    json_decref(old);
    mark_modified(s);
    return APR_SUCCESS;
}

apr_status_t ctx_session_remove(ctx_session_t *s, const char *key)
{
    apr_status_t rv;

    if (!key) {
        return APR_EINVAL;
    }
    s->accessed = 1;
    if ((rv = writable(s, "remove", key)) != APR_SUCCESS) {
        return rv;
    }
    if (!json_object_get(s->data, key)) {
        return APR_NOTFOUND;
    }
    if (s->journal && (rv = ctx_journal_remove(s->journal, key))
                      != APR_SUCCESS) {
        return rv;
    }
    json_object_del(s->data, key);
    lens_forget(s, key);
    s->json = NULL;
    mark_modified(s);
    return APR_SUCCESS;
}

apr_status_t ctx_session_clear(ctx_session_t *s)
{
    apr_status_t rv;

    s->accessed = 1;
    if ((rv = writable(s, "clear", NULL)) != APR_SUCCESS) {
        return rv;
    }
    s->created = 0;             /* what comes next is a new session */
    if (json_object_size(s->data)) {
        if (s->journal && (rv = ctx_journal_clear(s->journal))
                          != APR_SUCCESS) {
            return rv;
        }
        json_object_clear(s->data);
        s->lens = NULL;
        s->json = NULL;
        mark_modified(s);
    }
    return APR_SUCCESS;
}

int ctx_session_do(ctx_session_t *s, ctx_session_visit_fn *fn, void *baton)
{
    const char *key;
    json_t *val;

    s->accessed = 1;
    json_object_foreach(s->data, key, val) {
        if (!fn(baton, key, val)) {
            return 0;
        }
    }
    return 1;
}

apr_status_t ctx_session_set_permanent(ctx_session_t *s, int on)
{
    if (on) {
        return ctx_session_set(s, PERMANENT_KEY, json_true());
    }
    if (!json_object_get(s->data, PERMANENT_KEY)) {
        s->accessed = 1;
        return APR_SUCCESS;
    }
    return ctx_session_remove(s, PERMANENT_KEY);
}

int ctx_session_is_permanent(ctx_session_t *s)
{
    return json_is_true(ctx_session_get(s, PERMANENT_KEY));
}

apr_status_t ctx_session_regenerate(ctx_session_t *s)
{
    apr_status_t rv;

    s->accessed = 1;
    if ((rv = writable(s, "regenerate", NULL)) != APR_SUCCESS) {
        return rv;
    }
    if (s->journal) {
        ctx_journal_mark(s->journal, CTX_JOURNAL_REGENERATE);
    }
    mark_modified(s);
    s->reissue = 1;
    s->created = 0;
    return APR_SUCCESS;
}

apr_status_t ctx_session_invalidate(ctx_session_t *s)
{
    apr_status_t rv;

    s->accessed = 1;
    if ((rv = writable(s, "invalidate", NULL)) != APR_SUCCESS) {
        return rv;
    }
    if (s->journal) {
        ctx_journal_mark(s->journal, CTX_JOURNAL_INVALIDATE);
    }
    json_object_clear(s->data);
    s->lens = NULL;
    s->json = NULL;
    mark_modified(s);
    s->created = 0;
    return APR_SUCCESS;
}

const json_t *ctx_session_data(const ctx_session_t *s)
{
    return s->data;
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

int ctx_session_sealed(const ctx_session_t *s)
{
    return s->sealed;
}
