/* ctx_session_change: the session's changes (see ctx_session.h): each
 * checked, measured against the cookie's limit and recorded for a
 * server-side store before it is kept. */
#include <string.h>

#include <apr_strings.h>

#include "ctx_log.h"
#include "ctx_session_private.h"

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
