/* ctx_session: see ctx_session.h. */
#include <string.h>

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

/* What one entry `"key":value` adds to the session's text. */
typedef struct {
    apr_size_t len;             /* bytes, without the comma */
    apr_size_t values;          /* JSON values (as ctx_json_write counts) */
} entry_size_t;

struct ctx_session_t {
    json_t *data;
    ctx_session_fits_fn *fits;
    void *baton;
    apr_pool_t *pool;
    apr_pool_t *scratch;        /* holds `json` from the second text on */
    const char *json;           /* data serialized, NULL when stale */
    apr_size_t jlen;
    apr_size_t values;          /* JSON values in `json` */
    apr_status_t json_status;   /* why the last serialization failed */
    apr_int64_t issued, created;
    void *log_request;          /* the glue's request, for log lines */
    int loaded, accessed, modified, reissue, sealed;
    int read_only;              /* a background task's copy */
    int serialized;             /* a text was made in `pool` already */
    ctx_session_changed_fn *changed;
    void *changed_baton;
    ctx_journal_t *journal;     /* records changes (server-side store) */
    /* The exact length of the data's text and its number of values, kept
     * per key (key -> entry_size_t of `"key":value`), so that a change
     * costs what changed, not the whole session: set when first needed,
     * then kept up to date. */
    int sized;                  /* entries_len/_values are known */
    entry_size_t before;        /* the changing entry, before the change */
    apr_pool_t *measure;        /* cleared after each measurement */
    apr_size_t entries_len;     /* sums over every `"key":value` */
    apr_size_t entries_values;
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
    s->never_fit = s->max_values = APR_SIZE_MAX;
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
    s->sized = 0;
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
    s->json_status = ctx_json_write(p, s->data, (char **)&s->json, &s->jlen,
                                    &s->values);
    if (s->json_status != APR_SUCCESS) {
        s->json = NULL;
    }
    return s->json;
}

apr_size_t ctx_session_json_values(const ctx_session_t *s)
{
    return s->json ? s->values : 0;
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


/* What the entry `key` adds now (zero when absent). */
static apr_status_t entry_size(const ctx_session_t *s, const char *key,
                               entry_size_t *size)
{
    json_t *val = json_object_get(s->data, key);

    size->len = size->values = 0;
    return val ? ctx_json_measure_entry(key, val, &size->len, &size->values)
               : APR_SUCCESS;
}

/* Measure every entry once, at the first checked change of a request; from
 * then on each change adjusts the sums by what it changed. */
static apr_status_t size_all(ctx_session_t *s)
{
    const char *key;
    json_t *val;
    entry_size_t size;
    apr_status_t rv;

    s->entries_len = s->entries_values = 0;
    json_object_foreach(s->data, key, val) {
        if ((rv = ctx_json_measure_entry(key, val, &size.len, &size.values))
            != APR_SUCCESS) {
            return rv;
        }
        s->entries_len += size.len;
        s->entries_values += size.values;
    }
    s->sized = 1;
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

/* After a change to the entry `key` of the data: is it still writable,
 * and does the session still fit? The entry is measured (its length and
 * values), so the check costs the entry, not the session, except near the
 * limit (see ctx_session_set_limits). APR_SUCCESS, APR_EINVAL (a value the
 * writer refuses: NaN, infinity, too deep), CTX_ETOOLARGE or APR_ENOMEM;
 * on failure the caller undoes its change and calls refused(). */
static apr_status_t check_size(ctx_session_t *s, const char *key)
{
    entry_size_t new_size, old_size = s->before;
    apr_size_t jlen, values;
    apr_status_t rv;

    s->json = NULL;
    /* Measured even without a size limit: a value the writer refuses is
     * refused here, not at the save. */
    if ((rv = ctx_json_measure_entry(key, json_object_get(s->data, key),
                                     &new_size.len, &new_size.values))
        != APR_SUCCESS) {
        return rv;
    }
    if (!s->fits) {
        return record_set(s, key, json_object_get(s->data, key));
    }
    jlen = object_len(json_object_size(s->data),
                      s->entries_len - old_size.len + new_size.len);
    values = 1 + s->entries_values - old_size.values + new_size.values;
    if (values > s->max_values) {
        return CTX_ETOOLARGE;
    }
    if (jlen > s->sure_fit) {
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
    }
    /* A server-side store merges what changed: the whole new value of the
     * key (append and set_field included). */
    if ((rv = record_set(s, key, json_object_get(s->data, key)))
        != APR_SUCCESS) {
        return rv;
    }
    s->entries_len += new_size.len - old_size.len;
    s->entries_values += new_size.values - old_size.values;
    return APR_SUCCESS;
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

json_t *ctx_session_get(ctx_session_t *s, const char *key)
{
    s->accessed = 1;
    return key ? json_object_get(s->data, key) : NULL;
}

int ctx_session_has(ctx_session_t *s, const char *key)
{
    return ctx_session_get(s, key) != NULL;
}

/* The checks every change starts with: APR_SUCCESS, or the refusal (then
 * `val`, which may be NULL, is released). */
static apr_status_t begin(ctx_session_t *s, int args_ok, const char *what,
                          const char *key, json_t *val)
{
    apr_status_t rv = APR_EINVAL;

    /* The flask format's creation time is mod_ctx's to write: a value set
     * through the API would be trusted as one (CtxSessionMaxLifetime). */
    if (args_ok && strcmp(key, CTX_SESSION_CREATED_KEY) != 0) {
        s->accessed = 1;
        /* Sized before the change, so that its check knows the size of
         * what it replaces. */
        if ((rv = writable(s, what, key)) == APR_SUCCESS
            && (!s->fits
                || ((s->sized || (rv = size_all(s)) == APR_SUCCESS)
                    && (rv = entry_size(s, key, &s->before))
                       == APR_SUCCESS))) {
            return APR_SUCCESS;
        }
    }
    json_decref(val);
    return rv;
}

/* obj[name] = val (stolen), kept only if the session still fits; `what`
 * and `key` name the change in the log. */
static apr_status_t put(ctx_session_t *s, json_t *obj, const char *name,
                        json_t *val, const char *what, const char *key)
{
    json_t *old = json_incref(json_object_get(obj, name));
    apr_status_t rv;

    if (json_object_set_new(obj, name, val) != 0) {
        json_decref(old);
        return APR_EINVAL;      /* name is not valid UTF-8 */
    }
    if ((rv = check_size(s, key)) != APR_SUCCESS) {
        if (old) {
            json_object_set_new(obj, name, old);
        }
        else {
            json_object_del(obj, name);
        }
        return refused(s, rv, what, key);
    }
    json_decref(old);
    mark_modified(s);
    return APR_SUCCESS;
}

apr_status_t ctx_session_set(ctx_session_t *s, const char *key, json_t *val)
{
    apr_status_t rv = begin(s, key && val, "set", key, val);

    return rv == APR_SUCCESS ? put(s, s->data, key, val, "setting", key) : rv;
}

apr_status_t ctx_session_append(ctx_session_t *s, const char *key,
                                json_t *val)
{
    json_t *list;
    apr_status_t rv;

    if ((rv = begin(s, key && val, "append to", key, val)) != APR_SUCCESS) {
        return rv;
    }
    if (!(list = json_object_get(s->data, key))) {
        /* [val] as a new key: json_array_append_new releases val on
         * failure (also with a NULL list). */
        if (json_array_append_new(list = json_array(), val) != 0) {
            json_decref(list);
            return APR_ENOMEM;
        }
        return put(s, s->data, key, list, "appending to", key);
    }
    if (!json_is_array(list)) {
        json_decref(val);
        return APR_EINVAL;
    }
    if (json_array_append_new(list, val) != 0) {
        return APR_ENOMEM;
    }
    if ((rv = check_size(s, key)) != APR_SUCCESS) {
        json_array_remove(list, json_array_size(list) - 1);
        return refused(s, rv, "appending to", key);
    }
    mark_modified(s);
    return APR_SUCCESS;
}

apr_status_t ctx_session_set_field(ctx_session_t *s, const char *key,
                                   const char *field, json_t *val)
{
    json_t *obj;
    apr_status_t rv;

    if ((rv = begin(s, key && field && val, "set a field of", key, val))
        != APR_SUCCESS) {
        return rv;
    }
    if (!(obj = json_object_get(s->data, key))) {
        /* {field: val} as a new key */
        if (!(obj = json_object())) {
            json_decref(val);
            return APR_ENOMEM;
        }
        if (json_object_set_new(obj, field, val) != 0) {
            json_decref(obj);
            return APR_EINVAL;  /* field is not valid UTF-8 */
        }
        return put(s, s->data, key, obj, "setting a field of", key);
    }
    if (!json_is_object(obj)) {
        json_decref(val);
        return APR_EINVAL;
    }
    return put(s, obj, field, val, "setting a field of", key);
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
    if (s->sized) {
        entry_size_t gone;

        if (entry_size(s, key, &gone) == APR_SUCCESS) {
            s->entries_len -= gone.len;
            s->entries_values -= gone.values;
        }
        else {
            s->sized = 0;       /* measured again at the next change */
        }
    }
    json_object_del(s->data, key);
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
        s->sized = 0;
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
    s->sized = 0;
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

void ctx_session_set_read_only(ctx_session_t *s)
{
    s->sealed = 1;
    s->read_only = 1;
}

int ctx_session_sealed(const ctx_session_t *s)
{
    return s->sealed;
}
