/* ctx_session_store: see ctx_session_store.h. */
#include <string.h>

#include "ctx_json.h"
#include "ctx_log.h"
#include "ctx_flat.h"
#include "ctx_session_store.h"

static int usable(const ctx_session_store_t *ss)
{
    return ss && ss->store && ss->keys && ss->app_name && *ss->app_name
           && ss->cookie_name && *ss->cookie_name && ss->max_age > 0
           && ss->max_size > 0
           && (ss->format == CTX_FORMAT_SIGNED
               || ss->format == CTX_FORMAT_ENCRYPTED);
}

static ctx_sid_codec_t sid_codec(const ctx_session_store_t *ss)
{
    ctx_sid_codec_t c = { ss->keys, ss->app_name, ss->cookie_name };

    return c;
}

/* The codec of the values stored under `store_key`: bound to that key
 * where a cookie binds its name (borrowed: the key must outlive it). */
static ctx_codec_t value_codec(const ctx_session_store_t *ss,
                               const char *store_key)
{
    ctx_codec_t c;

    memset(&c, 0, sizeof(c));
    c.format = ss->format;
    c.keys = ss->keys;
    c.cookie_name = store_key;
    c.app_name = ss->app_name;
    c.max_age = ss->max_age;
    c.max_skew = ss->max_skew;
    c.max_lifetime = ss->max_lifetime;
    c.max_value = ss->max_size;
    return c;
}

/* The last value read and accepted in a pool, kept on the pool (userdata):
 * decoding is a function of the store, the entry's key, its bytes and the
 * time alone, so a read of the same bytes under the same key in the same
 * second takes a copy of that result instead of decoding again (the
 * save's read of the latest entry, when no other request saved since the
 * load: one HMAC and a parse fewer). Lives in, and points into, the pool
 * it was read in; never reaches another pool (a task's save decodes). */
#define SEEN_KEY "ctx_session_store:seen"

typedef struct {
    const ctx_session_store_t *ss;
    char store_key[CTX_SID_STORE_KEY_LEN + 1];
    const unsigned char *val;   /* the bytes read (in the pool) */
    apr_size_t len;
    apr_int64_t now;
    ctx_flat_t *data;           /* what they decoded to, unchanged */
    ctx_codec_meta_t meta;
} seen_t;

static seen_t *seen_in(apr_pool_t *p)
{
    void *seen = NULL;

    apr_pool_userdata_get(&seen, SEEN_KEY, p);
    return seen;
}

static int seen_matches(const seen_t *seen, const ctx_session_store_t *ss,
                        const char *store_key, const unsigned char *val,
                        apr_size_t len, apr_int64_t now)
{
    /* memcmp: the stored bytes against our own earlier read of them; both
     * came from the store, neither is a secret. */
    return seen && seen->ss == ss && seen->now == now && seen->len == len
           && strcmp(seen->store_key, store_key) == 0
           && memcmp(seen->val, val, len) == 0;
}

/* Remember what `val` decoded to (a copy of *data: the caller may change
 * its own). Without memory, nothing is remembered. */
static void remember(apr_pool_t *p, const ctx_session_store_t *ss,
                     const char *store_key, const unsigned char *val,
                     apr_size_t len, apr_int64_t now, const ctx_flat_t *data,
                     const ctx_codec_meta_t *meta)
{
    seen_t *seen = seen_in(p);

    if (!seen) {
        seen = apr_pcalloc(p, sizeof(*seen));
        apr_pool_userdata_setn(seen, SEEN_KEY, NULL, p);
    }
    seen->data = ctx_flat_copy(p, data);
    seen->ss = seen->data ? ss : NULL;
    memcpy(seen->store_key, store_key, CTX_SID_STORE_KEY_LEN + 1);
    seen->val = val;
    seen->len = len;
    seen->now = now;
    seen->meta = *meta;
}

/* The latest value under `sid`: APR_SUCCESS with *data (in `p`, the
 * caller's to change) and *meta when found and accepted, with *data NULL
 * when absent, too large or refused (*reason says why); CTX_ESTORE if the
 * store failed. */
static apr_status_t read_latest(const ctx_session_store_t *ss, apr_pool_t *p,
                                const ctx_sid_t *sid, apr_int64_t now,
                                ctx_flat_t **data, ctx_codec_meta_t *meta,
                                ctx_reason_t *reason)
{
    const unsigned char *val;
    apr_size_t vlen;
    ctx_codec_t codec = value_codec(ss, sid->store_key);
    seen_t *seen;
    apr_status_t rv;

    *data = NULL;
    *reason = CTX_REASON_MALFORMED;
    rv = ctx_store_get(ss->store, p, sid->store_key, ss->max_size, &val,
                       &vlen);
    if (rv == APR_NOTFOUND) {
        return APR_SUCCESS;
    }
    if (rv == APR_ENOSPC) {
        *reason = CTX_REASON_OVERSIZED;
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        return CTX_ESTORE;
    }
    seen = seen_in(p);
    if (seen_matches(seen, ss, sid->store_key, val, vlen, now)
        && (*data = ctx_flat_copy(p, seen->data)) != NULL) {
        *meta = seen->meta;
        *reason = CTX_REASON_OK;
        return APR_SUCCESS;
    }
    *reason = ctx_codec_decode_flat(&codec, p, (const char *)val, vlen, now,
                                    data, meta);
    if (*reason != CTX_REASON_OK) {
        *data = NULL;
    }
    else {
        remember(p, ss, sid->store_key, val, vlen, now, *data, meta);
    }
    if (*reason != CTX_REASON_OK && *reason != CTX_REASON_EXPIRED
        && *reason != CTX_REASON_LIFETIME) {
        /* Only the store's content can be wrong here: the id verified. */
        ctx_log(CTX_LOG_WARNING, "session store: the entry of a valid "
                "session id holds a value that is refused (%s); treated as "
                "no session", ctx_reason_name(*reason));
    }
    return APR_SUCCESS;
}

apr_status_t ctx_session_store_load(const ctx_session_store_t *ss,
                                    apr_pool_t *p, const char *cookie,
                                    apr_size_t len, apr_int64_t now,
                                    ctx_session_store_state_t *st,
                                    json_t **data)
{
    ctx_flat_t *f = NULL;
    apr_status_t rv = data ? ctx_session_store_load_flat(ss, p, cookie, len,
                                                         now, st, &f)
                           : APR_EINVAL;

    /* The jansson object of the flat form, for callers that want one. */
    if (data && !(*data = f ? ctx_flat_to_json(f) : NULL) && f) {
        rv = APR_ENOMEM;
    }
    return rv;
}

apr_status_t ctx_session_store_load_flat(const ctx_session_store_t *ss,
                                         apr_pool_t *p, const char *cookie,
                                         apr_size_t len, apr_int64_t now,
                                         ctx_session_store_state_t *st,
                                         ctx_flat_t **data)
{
    ctx_sid_codec_t ids;
    ctx_sid_t sid;
    ctx_reason_t reason;
    apr_status_t rv;

    if (data) {
        *data = NULL;
    }
    if (!usable(ss) || !p || !st || !data) {
        return APR_EINVAL;
    }
    if (!cookie) {
        return ctx_session_store_load_verified(ss, p, NULL, now, st, data);
    }
    ids = sid_codec(ss);
    /* No store call for an id that does not verify. */
    if ((reason = ctx_sid_verify(&ids, cookie, len, &sid)) != CTX_REASON_OK) {
        rv = ctx_session_store_load_verified(ss, p, NULL, now, st, data);
        st->id_reason = reason;
        return rv;
    }
    return ctx_session_store_load_verified(ss, p, &sid, now, st, data);
}

apr_status_t ctx_session_store_load_verified(const ctx_session_store_t *ss,
                                             apr_pool_t *p,
                                             const ctx_sid_t *sid,
                                             apr_int64_t now,
                                             ctx_session_store_state_t *st,
                                             ctx_flat_t **data)
{
    ctx_codec_meta_t meta;
    apr_status_t rv;

    if (data) {
        *data = NULL;
    }
    if (!usable(ss) || !p || !st || !data) {
        return APR_EINVAL;
    }
    memset(st, 0, sizeof(*st));
    st->id_reason = st->value_reason = CTX_REASON_MALFORMED;
    if (!sid) {
        return APR_SUCCESS;
    }
    st->sid = *sid;
    st->id_reason = CTX_REASON_OK;
    st->has_id = 1;
    rv = read_latest(ss, p, &st->sid, now, data, &meta, &st->value_reason);
    if (rv == APR_SUCCESS && *data) {
        st->found = 1;
        st->issued = meta.issued;
        st->created = meta.created;
    }
    return rv;
}

/* Encode `data` under `sid` (issued now, created `created`) and write it.
 * CTX_ETOOLARGE, CTX_ESTORE, APR_EINVAL/APR_EGENERAL from the codec. */
static apr_status_t write_entry(const ctx_session_store_t *ss, apr_pool_t *p,
                                const ctx_sid_t *sid, ctx_flat_t *data,
                                apr_int64_t now, apr_int64_t created)
{
    ctx_codec_t codec = value_codec(ss, sid->store_key);
    const char *val, *json;
    apr_size_t vlen, jlen;
    apr_status_t rv;

    /* The members' texts joined: what ctx_json_dump writes of them. */
    if (!(json = ctx_flat_write(data, p, &jlen))) {
        return APR_ENOMEM;
    }
    if ((rv = ctx_codec_encode_json(&codec, p, json, jlen, now, created,
                                    &val, &vlen)) != APR_SUCCESS) {
        return rv;
    }
    if (vlen > ss->max_size) {
        ctx_log(CTX_LOG_ERR, "session store: the session (%" APR_SIZE_T_FMT
                " bytes stored) exceeds CtxSessionMaxSize (%" APR_SIZE_T_FMT
                "): not saved", vlen, ss->max_size);
        return CTX_ETOOLARGE;
    }
    return ctx_store_set(ss->store, p, sid->store_key, val, vlen,
                         ctx_store_expiry(now, ss->max_age));
}

/* Nothing changed: a lifetime refresh when due, a re-signed cookie after
 * a fallback key; otherwise no store call. */
static apr_status_t save_unchanged(const ctx_session_store_t *ss,
                                   apr_pool_t *p,
                                   ctx_session_store_state_t *st,
                                   apr_int64_t now,
                                   ctx_sstore_cookie_t *cookie)
{
    ctx_sid_codec_t ids = sid_codec(ss);
    ctx_sid_t sid = st->sid;
    ctx_codec_meta_t meta;
    ctx_reason_t reason;
    ctx_flat_t *latest;
    apr_status_t rv;

    if (!st->has_id || !st->found) {
        return APR_SUCCESS;
    }
    if (sid.key_index > 0 && (rv = ctx_sid_sign(&ids, &sid)) != APR_SUCCESS) {
        return rv;
    }
    if (!ctx_store_refresh_due(st->issued, now, ss->max_age)) {
        if (sid.key_index != st->sid.key_index) {
            st->sid = sid;
            *cookie = CTX_SSTORE_COOKIE_SET;
        }
        return APR_SUCCESS;
    }
    /* Refresh what is stored now, not what this request read: another
     * request may have saved since. */
    if ((rv = read_latest(ss, p, &sid, now, &latest, &meta, &reason))
        != APR_SUCCESS) {
        return rv;
    }
    if (!latest) {
        st->found = 0;          /* invalidated or expired meanwhile */
        return APR_SUCCESS;
    }
    rv = write_entry(ss, p, &sid, latest, now, meta.created);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    st->sid = sid;
    st->issued = now;
    st->created = meta.created;
    *cookie = CTX_SSTORE_COOKIE_SET;
    return APR_SUCCESS;
}

apr_status_t ctx_session_store_save(const ctx_session_store_t *ss,
                                    apr_pool_t *p,
                                    ctx_session_store_state_t *st,
                                    const ctx_journal_t *j, apr_int64_t now,
                                    ctx_sstore_cookie_t *cookie)
{
    ctx_sid_codec_t ids;
    ctx_sid_t sid;
    ctx_codec_meta_t meta;
    ctx_reason_t reason;
    ctx_flat_t *merged = NULL;
    int marks, old_live, fresh = 1, new_id;
    apr_int64_t created;
    apr_status_t rv;

    if (cookie) {
        *cookie = CTX_SSTORE_COOKIE_KEEP;
    }
    if (!usable(ss) || !p || !st || !cookie) {
        return APR_EINVAL;
    }
    if (!j || ctx_journal_is_empty(j)) {
        return save_unchanged(ss, p, st, now, cookie);
    }
    memset(&meta, 0, sizeof(meta));
    ids = sid_codec(ss);
    marks = ctx_journal_marks(j);
    old_live = st->has_id;      /* an entry may exist under st->sid */
    if ((marks & CTX_JOURNAL_INVALIDATE) && old_live) {
        if ((rv = ctx_store_remove(ss->store, p, st->sid.store_key))
            != APR_SUCCESS) {
            return rv;
        }
        /* Deleted: from here on, *st must say so whatever follows. */
        st->found = 0;
        st->has_id = 0;
        old_live = 0;
        *cookie = CTX_SSTORE_COOKIE_DELETE;
    }
    if (old_live) {
        if ((rv = read_latest(ss, p, &st->sid, now, &merged, &meta,
                              &reason)) != APR_SUCCESS) {
            return rv;
        }
        fresh = merged == NULL;
    }
    /* The latest stored session, flat, with this request's changes. */
    if (!merged) {
        merged = ctx_flat_create(p);
    }
    if ((rv = ctx_journal_apply_flat(j, merged, p)) != APR_SUCCESS) {
        return rv;
    }
    if (ctx_flat_count(merged) == 0) {
        if (!fresh && (rv = ctx_store_remove(ss->store, p, st->sid.store_key))
                      != APR_SUCCESS) {
            return rv;
        }
        if (st->has_id) {
            *cookie = CTX_SSTORE_COOKIE_DELETE;
        }
        st->has_id = st->found = 0;
        return APR_SUCCESS;
    }
    /* A dead id is never written again; regenerate asks for a new one. */
    new_id = fresh || (marks & CTX_JOURNAL_REGENERATE);
    if (new_id && ss->no_new_id) {
        return APR_NOTFOUND;    /* nobody could be told the new id */
    }
    created = (fresh || new_id || ctx_journal_cleared(j)) ? now
                                                           : meta.created;
    sid = st->sid;
    rv = new_id ? ctx_sid_new(&ids, &sid)
                : sid.key_index > 0 ? ctx_sid_sign(&ids, &sid) : APR_SUCCESS;
    if (rv == APR_SUCCESS) {
        rv = write_entry(ss, p, &sid, merged, now, created);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (new_id && !fresh
        && ctx_store_remove(ss->store, p, st->sid.store_key) != APR_SUCCESS) {
        rv = APR_INCOMPLETE;
        ctx_log(CTX_LOG_ERR, "session store: the session moved to a new id, "
                "but its old entry could not be deleted: the old id stays "
                "valid until it expires");
    }
    st->sid = sid;
    st->has_id = st->found = 1;
    st->id_reason = st->value_reason = CTX_REASON_OK;
    st->issued = now;
    st->created = created;
    *cookie = CTX_SSTORE_COOKIE_SET;
    return rv;
}
