/* ctx_session: see ctx_session.h. */
#include <string.h>

#include <apr_strings.h>

#include <apr_hash.h>

#include "ctx_flat.h"
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
    ctx_flat_t *flat;           /* the data: members' texts by key; NULL
                                 * (empty) until loaded with some or set:
                                 * most requests load their data, so an
                                 * empty object made first would be thrown
                                 * away (read it through `data`) */
    json_t *data;               /* ctx_session_data's object, made on
                                 * demand, dropped at each change */
    apr_hash_t *got;            /* key -> json_t of ctx_session_get */
    ctx_session_fits_fn *fits;
    void *baton;
    apr_pool_t *pool;
    apr_pool_t *scratch;        /* holds `json` from the second text on */
    apr_pool_t *measure;        /* one change's texts, cleared after it */
    const char *json;           /* data serialized, NULL when stale */
    apr_size_t jlen;
    apr_status_t json_status;   /* why the last serialization failed */
    apr_int64_t issued, created;
    void *log_request;          /* the glue's request, for log lines */
    /* flags as bytes: a session is made on every request, and a smaller
     * one is zeroed in fewer stores */
    unsigned char loaded, accessed, modified, reissue, sealed;
    unsigned char read_only;    /* a background task's copy */
    unsigned char serialized;   /* a text was made in `pool` already */
    unsigned char holds_json;   /* `release` is registered */
    ctx_session_changed_fn *changed;
    void *changed_baton;
    ctx_journal_t *journal;     /* records changes (server-side store) */
    apr_size_t sure_fit, never_fit, max_values, checked;
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

/* The jansson values handed out for `key` (NULL: all) die with a change. */
static void drop_json_now(ctx_session_t *s, const char *key)
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

/* The usual request hands none out: no call then. */
#define drop_json(s, key) \
    do { \
        if ((s)->data || (s)->got) { \
            drop_json_now((s), (key)); \
        } \
    } while (0)

static apr_status_t release(void *arg)
{
    drop_json_now(arg, NULL);
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

/* The data, to read: the shared empty object while there is none. */
static const ctx_flat_t *data(const ctx_session_t *s)
{
    return s->flat ? s->flat : ctx_flat_none();
}

/* The data, to change: made on first need. NULL without memory. */
static ctx_flat_t *data_rw(ctx_session_t *s)
{
    if (!s->flat) {
        s->flat = ctx_flat_create(s->pool);
    }
    return s->flat;
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

/* Serialize the data: once per change, shared by the size check and the
 * save. Most requests change a session once: the first text goes into the
 * session's pool; from the second on, texts go into a scratch pool cleared
 * for each, so a request that changes the session many times holds one
 * old text at most, not all of them. */
static inline __attribute__((always_inline)) const char *
serialize(ctx_session_t *s)
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
    s->json = data_rw(s) ? ctx_flat_write(s->flat, p, &s->jlen) : NULL;
    s->json_status = s->json ? APR_SUCCESS : APR_ENOMEM;
    return s->json;
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

static apr_status_t writable(ctx_session_t *s, const char *what,
                             const char *key)
{
    if (s->read_only) {
        /* Documented, and the caller gets the status: not an error. */
        ctx_log_r(CTX_LOG_DEBUG, s->log_request, "session %s%s%s%s refused: "
                  "a background task's session is a read-only copy", what,
                  key ? " '" : "", key ? key : "", key ? "'" : "");
        return CTX_ETOOLATE;
    }
    if (s->sealed) {
        /* A change in request code that can never reach the client: a
         * bug in the caller, whatever it does with the status. */
        ctx_log_r(CTX_LOG_ERR, s->log_request, "session %s%s%s%s after the "
                  "response headers were sent: the change cannot be saved "
                  "and is refused", what, key ? " '" : "", key ? key : "",
                  key ? "'" : "");
        return CTX_ETOOLATE;
    }
    return APR_SUCCESS;
}

/* The measuring pool of one change (cleared when the change is done). */
static apr_pool_t *measure_pool(ctx_session_t *s)
{
    if (!s->measure && apr_pool_create(&s->measure, s->pool) != APR_SUCCESS) {
        s->measure = NULL;
    }
    return s->measure;
}

/* check_size near the limit: the text made, and `fits` asked. */
static __attribute__((noinline)) apr_status_t check_exactly(
    ctx_session_t *s, apr_size_t jlen)
{
    if (jlen > s->never_fit || s->checked + jlen > CHECK_BUDGET) {
        return CTX_ETOOLARGE;
    }
    if (!serialize(s)) {
        return s->json_status;
    }
    s->checked += s->jlen;
    if (!s->fits(s->baton, s, s->json, s->jlen)) {
        return CTX_ETOOLARGE;
    }
    return APR_SUCCESS;
}

/* After the member `key` changed: does the session still fit? The sums
 * of the members' sizes are kept by the flat form, so the check costs the
 * member, not the session, except near the limit (see
 * ctx_session_set_limits). APR_SUCCESS, CTX_ETOOLARGE or APR_ENOMEM. */
static inline __attribute__((always_inline)) apr_status_t
check_size(ctx_session_t *s)
{
    apr_size_t jlen, values;

    s->json = NULL;
    if (!s->fits) {
        return APR_SUCCESS;
    }
    ctx_flat_sizes(data(s), &jlen, &values);
    if (values > s->max_values) {
        return CTX_ETOOLARGE;
    }
    return jlen > s->sure_fit ? check_exactly(s, jlen) : APR_SUCCESS;
}

static apr_status_t refused(ctx_session_t *s, apr_status_t rv,
                            const char *what, const char *key)
{
    s->json = NULL;             /* the text of the refused data */
    if (rv == CTX_ETOOLARGE) {
        /* The caller gets the status and the session is unchanged: worth
         * knowing for the operator (limits too small?), not an error. */
        ctx_log_r(CTX_LOG_INFO, s->log_request, "session: %s '%s' refused: "
                  "the session would exceed the cookie size limit", what,
                  key);
    }
    return rv;
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

/* A key a change may use: valid UTF-8, not the creation time's (the
 * flask format's creation time is mod_ctx's to write: a value set through
 * the API would be trusted as one, CtxSessionMaxLifetime). *klen set.
 * One pass over the usual ASCII key gives its length and its validity. */
static int key_allowed(const char *key, apr_size_t *klen)
{
    apr_size_t n = 0;
    unsigned char high = 0;

    while (key[n]) {
        high |= (unsigned char)key[n++];
    }
    *klen = n;
    if (n == sizeof(CTX_SESSION_CREATED_KEY) - 1
        && !memcmp(key, CTX_SESSION_CREATED_KEY, n)) {
        return 0;
    }
    return high < 0x80 || ctx_json_utf8_valid(key, n);
}

/* Where a change's key is: found by begin, used by put_text (the object
 * does not change in between: one look-up for both). */
typedef struct {
    const ctx_flat_member_t *m; /* the member, or NULL */
    int at;                     /* ctx_flat_index's answer */
    apr_size_t klen;
} change_t;

/* The checks every change starts with: APR_SUCCESS (c set), or the
 * refusal. A key the object holds was checked when it came in (the
 * reader's UTF-8, or an earlier change): only the reserved name is left
 * to test, and its length is the member's. */
static inline __attribute__((always_inline)) apr_status_t
begin(ctx_session_t *s, int args_ok, const char *what, const char *key,
      change_t *c)
{
    apr_status_t rv = APR_SUCCESS;

    if (!args_ok) {
        return APR_EINVAL;
    }
    if ((c->m = ctx_flat_find(data(s), key, &c->at)) != NULL) {
        c->klen = c->m->klen;
        if (c->klen == sizeof(CTX_SESSION_CREATED_KEY) - 1
            && !memcmp(key, CTX_SESSION_CREATED_KEY, c->klen)) {
            return APR_EINVAL;
        }
    }
    else if (!key_allowed(key, &c->klen)) {
        return APR_EINVAL;
    }
    s->accessed = 1;
    if (s->read_only || s->sealed) {
        rv = writable(s, what, key);
    }
    if (rv == APR_SUCCESS && s->fits && s->flat) {
        /* Sizes are exact only once every float is checked (texts
         * change, places do not: c stays valid). */
        rv = ctx_flat_canonicalize(s->flat);
    }
    return rv;
}

/* key = `tlen` bytes of canonical text holding `values` values, kept
 * only if the session still fits; `what` names the change in the log. A
 * server-side store merges what changed: the whole new value of the key
 * (append and set_field included), the text just written. */
static inline __attribute__((always_inline)) apr_status_t
put_text(ctx_session_t *s, const change_t *c, const char *key,
         const char *text, apr_size_t tlen, apr_size_t values,
         const char *what)
{
    const ctx_flat_member_t *m = c->m;
    const char *old = NULL;
    char small[64];
    apr_size_t old_len = 0, old_values = 0;
    apr_status_t rv;

    if (m) {
        /* (at stays valid: canonicalizing changes texts, not places) */
        if (m->unchecked && ctx_flat_canonicalize(s->flat) != APR_SUCCESS) {
            return APR_ENOMEM;
        }
        /* Kept for the rollback. A text that is not in a malloc'ed block
         * (parsed, or set in the pool) outlives its replacement; a block
         * goes with the set (a small text is copied to the stack). */
        if (!m->block) {
            old = m->text;
        }
        else if (m->tlen <= sizeof(small)) {
            old = memcpy(small, m->text, m->tlen);
        }
        else if (!measure_pool(s)
                 || !(old = apr_pstrmemdup(s->measure, m->text, m->tlen))) {
            return APR_ENOMEM;
        }
        old_len = m->tlen;
        old_values = m->values;
    }
    if (!data_rw(s)) {
        return APR_ENOMEM;
    }
    if ((rv = ctx_flat_set_at(s->flat, c->at, key, c->klen, text, tlen,
                              values))
        != APR_SUCCESS) {
        return rv;
    }
    json_decref(s->data);       /* the whole object's copy is stale now */
    s->data = NULL;
    if ((rv = check_size(s)) == APR_SUCCESS && s->journal) {
        rv = ctx_journal_set(s->journal, key, text, tlen);
    }
    if (rv != APR_SUCCESS) {
        if (old) {
            ctx_flat_set(s->flat, key, old, old_len, old_values);
        }
        else {
            ctx_flat_remove(s->flat, key);
        }
        json_decref(s->data);   /* the fits callback may have made one */
        s->data = NULL;
    }
    else {
        drop_json(s, key);
        mark_modified(s);
    }
    if (s->measure) {
        apr_pool_clear(s->measure);
    }
    return rv == APR_SUCCESS ? rv : refused(s, rv, what, key);
}

/* key = val (a jansson value, released), written as a member. */
static apr_status_t put_json(ctx_session_t *s, const change_t *c,
                             const char *key, json_t *val, const char *what)
{
    char *text;
    apr_size_t tlen, values;
    apr_status_t rv;

    if (!measure_pool(s)) {
        json_decref(val);
        return APR_ENOMEM;
    }
    /* A value the writer refuses (NaN, too deep) is refused here, not at
     * the save. */
    rv = ctx_json_write_member(s->measure, val, &text, &tlen, &values);
    json_decref(val);
    if (rv != APR_SUCCESS) {
        apr_pool_clear(s->measure);
        return rv;
    }
    return put_text(s, c, key, text, tlen, values, what);
}

apr_status_t ctx_session_set(ctx_session_t *s, const char *key, json_t *val)
{
    change_t c;
    apr_status_t rv = begin(s, key && val, "set", key, &c);

    if (rv != APR_SUCCESS) {
        json_decref(val);
        return rv;
    }
    return put_json(s, &c, key, val, "setting");
}

apr_status_t ctx_session_set_int(ctx_session_t *s, const char *key,
                                 apr_int64_t val)
{
    char num[CTX_JSON_INT_MAX];
    const char *text;
    apr_size_t tlen;
    change_t c;
    apr_status_t rv = begin(s, key != NULL, "set", key, &c);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    text = ctx_json_format_int_in(num, val, &tlen);
    return put_text(s, &c, key, text, tlen, 1, "setting");
}

apr_status_t ctx_session_set_bool(ctx_session_t *s, const char *key,
                                  int val)
{
    change_t c;
    apr_status_t rv = begin(s, key != NULL, "set", key, &c);

    return rv == APR_SUCCESS
           ? put_text(s, &c, key, val ? "true" : "false", val ? 4 : 5, 1,
                      "setting")
           : rv;
}

/* The member under key as a jansson value (a new reference; *val NULL when
 * absent). APR_EINVAL when it is not of `type`. */
static apr_status_t member_json(const change_t *c, json_type type,
                                json_t **val)
{
    const ctx_flat_member_t *m = c->m;

    *val = NULL;
    if (!m) {
        return APR_SUCCESS;
    }
    if (ctx_flat_type(m->text, m->tlen) != type) {
        return APR_EINVAL;
    }
    *val = ctx_json_parse(m->text, m->tlen);
    return *val ? APR_SUCCESS : APR_ENOMEM;
}

apr_status_t ctx_session_append(ctx_session_t *s, const char *key,
                                json_t *val)
{
    json_t *list;
    change_t c;
    apr_status_t rv;

    if ((rv = begin(s, key && val, "append to", key, &c)) != APR_SUCCESS
        || (rv = member_json(&c, JSON_ARRAY, &list)) != APR_SUCCESS) {
        json_decref(val);
        return rv;
    }
    /* [val] as a new key; json_array_append_new releases val on failure
     * (also with a NULL list). */
    if (!list && !(list = json_array())) {
        json_decref(val);
        return APR_ENOMEM;
    }
    if (json_array_append_new(list, val) != 0) {
        json_decref(list);
        return APR_ENOMEM;
    }
    return put_json(s, &c, key, list, "appending to");
}

apr_status_t ctx_session_set_field(ctx_session_t *s, const char *key,
                                   const char *field, json_t *val)
{
    json_t *obj;
    change_t c;
    apr_status_t rv;

    if ((rv = begin(s, key && field && val, "set a field of", key, &c))
        != APR_SUCCESS
        || (rv = member_json(&c, JSON_OBJECT, &obj)) != APR_SUCCESS) {
        json_decref(val);
        return rv;
    }
    /* {field: val} as a new key */
    if (!obj && !(obj = json_object())) {
        json_decref(val);
        return APR_ENOMEM;
    }
    if (json_object_set_new(obj, field, val) != 0) {
        json_decref(obj);
        return APR_EINVAL;      /* field is not valid UTF-8 */
    }
    return put_json(s, &c, key, obj, "setting a field of");
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
    if (!ctx_flat_get(data(s), key)) {
        return APR_NOTFOUND;    /* (found: s->flat is there) */
    }
    if (s->journal && (rv = ctx_journal_remove(s->journal, key))
                      != APR_SUCCESS) {
        return rv;
    }
    drop_json(s, key);
    ctx_flat_remove(s->flat, key);
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
    if (ctx_flat_count(data(s))) {
        if (s->journal && (rv = ctx_journal_clear(s->journal))
                          != APR_SUCCESS) {
            return rv;
        }
        drop_json(s, NULL);
        ctx_flat_clear(s->flat);
        s->json = NULL;
        mark_modified(s);
    }
    return APR_SUCCESS;
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

apr_status_t ctx_session_set_permanent(ctx_session_t *s, int on)
{
    if (on) {
        return ctx_session_set_bool(s, PERMANENT_KEY, 1);
    }
    if (!ctx_flat_get(data(s), PERMANENT_KEY)) {
        s->accessed = 1;
        return APR_SUCCESS;
    }
    return ctx_session_remove(s, PERMANENT_KEY);
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
    drop_json(s, NULL);
    if (s->flat) {
        ctx_flat_clear(s->flat);
    }
    s->json = NULL;
    mark_modified(s);
    s->created = 0;
    return APR_SUCCESS;
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
