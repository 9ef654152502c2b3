/* ctx_session_private.h: the session's state, shared by its reads and
 * life (ctx_session.c) and its changes (ctx_session_change.c). Not part
 * of any API. */
#ifndef CTX_SESSION_PRIVATE_H
#define CTX_SESSION_PRIVATE_H

#include <apr_hash.h>
#include <apr_pools.h>

#include "ctx_flat.h"
#include "ctx_journal.h"
#include "ctx_json.h"
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
static inline void mark_modified(ctx_session_t *s)
{
    if (!s->modified && s->changed) {
        s->changed(s->changed_baton, s);
    }
    s->modified = 1;
}

/* The jansson values handed out for `key` (NULL: all) die with a change
 * (ctx_session.c). */
void ctx_session_drop_json_now(ctx_session_t *s, const char *key);

/* The usual request hands none out: no call then. */
#define drop_json(s, key) \
    do { \
        if ((s)->data || (s)->got) { \
            ctx_session_drop_json_now((s), (key)); \
        } \
    } while (0)
/* The data, to read: the shared empty object while there is none. */
static inline const ctx_flat_t *data(const ctx_session_t *s)
{
    return s->flat ? s->flat : ctx_flat_none();
}

/* The data, to change: made on first need. NULL without memory. */
static inline ctx_flat_t *data_rw(ctx_session_t *s)
{
    if (!s->flat) {
        s->flat = ctx_flat_create(s->pool);
    }
    return s->flat;
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

#endif
