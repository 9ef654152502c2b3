/* mod_ctx_session_state: what the session glue keeps per client request,
 * shared by the cookie session (mod_ctx_session.c) and the stored one
 * (mod_ctx_session_stored.c). Private to those two files. */
#ifndef MOD_CTX_SESSION_STATE_H
#define MOD_CTX_SESSION_STATE_H

#include <string.h>
#include <strings.h>

#include "httpd.h"
#include "apr_tables.h"

#include "ctx_codec.h"
#include "ctx_journal.h"
#include "ctx_session.h"
#include "ctx_session_store.h"
#include "mod_ctx_config.h"
#include "mod_ctx_store.h"

/* A session beyond this age skew into the future is refused. */
#define MAX_SKEW 60

/* A stored session's configuration and view of its entry. */
struct store_view {
    ctx_session_store_t cfg;
    ctx_session_store_state_t sst;
};

typedef struct {
    ctx_session_t *session;
    /* The settings and codec: shared, read-only (a kept setup's, or one
     * made in the request's pool; a task's own copies) */
    const ctx_session_conf_t *conf;
    const ctx_codec_t *codec;
    request_rec *r;             /* the request whose settings apply */
    request_rec *answering;     /* the request whose response goes out */
    apr_pool_t *scratch;        /* for size checks, cleared after each */
    int had_cookie;             /* a cookie of our name came in */
    apr_status_t save_status;
    const char *snapshot;       /* a task's: the text of its session */
    apr_size_t snapshot_len;
    /* CtxSessionStore socache:... (store NULL: a cookie session) */
    const ctx_store_t *store;
    ctx_glue_store_t *gstore;   /* its lock */
    struct store_view *sv;      /* a stored session's: its own allocation,
                                 * so that a cookie session's state stays
                                 * small to clear */
    ctx_journal_t *journal;     /* this request's changes, for the save */
    apr_status_t load_status;   /* CTX_ESTORE: the store failed at load;
                                 * every session call returns it */
    request_rec *varied;        /* the last request told it depends on it */
    const apr_table_t *varied_headers;  /* the headers_out Vary went into */
    int varied_entry;           /* ...and its entry (ctx_glue_vary_on_cookie) */
} session_state_t;

/* apr_table_do(fn, baton, headers, "Cookie", NULL) without its varargs
 * and set-up, which cost more than the few headers a request has: fn on
 * each Cookie header, in order, until it returns 0. */
static APR_INLINE void ctx_glue_each_cookie_header(
    const apr_table_t *headers, int (*fn)(void *, const char *, const char *),
    void *baton)
{
    const apr_array_header_t *h = apr_table_elts(headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;

    for (int i = 0; i < h->nelts; ++i) {
        if (e[i].key && (e[i].key[0] | 0x20) == 'c'
            && !strcasecmp(e[i].key, "Cookie")
            && !fn(baton, e[i].key, e[i].val)) {
            break;
        }
    }
}

/* The longest JSON text whose cookie value, with `room` bytes for it, still
 * fits: the base64url of the JSON plus 28 bytes (the largest of the formats'
 * fixed parts: a nonce and tag, or a MAC's share). */
static APR_INLINE apr_size_t ctx_glue_session_longest_json(apr_size_t room)
{
    apr_size_t n = room / 4 * 3 + (room % 4 ? room % 4 - 1 : 0);

    return n > 28 ? n - 28 : 0;
}

/* The session's scratch pool (for size checks, cleared after each), made
 * on first use: creating and destroying a pool on every set showed in
 * profiles. NULL without memory. */
static APR_INLINE apr_pool_t *ctx_glue_session_scratch(session_state_t *st)
{
    if (!st->scratch
        && apr_pool_create(&st->scratch, st->r->pool) != APR_SUCCESS) {
        st->scratch = NULL;
    }
    return st->scratch;
}

/* Encode `json` (the session `s`'s text) as a save would, in st's scratch
 * pool, which the caller clears: 1 with *value and *vlen, 0 when the text
 * is over the bounds decoding applies (so the next request would refuse
 * it) or cannot be encoded. For the size checks. */
static APR_INLINE int ctx_glue_session_trial_encode(
    session_state_t *st, const ctx_session_t *s, const char *json,
    apr_size_t jlen, const char **value, apr_size_t *vlen)
{
    return ctx_codec_json_fits(st->codec, jlen, ctx_session_json_values(s))
           && ctx_glue_session_scratch(st)
           && ctx_codec_encode_json(st->codec, st->scratch, json, jlen,
                                    apr_time_sec(apr_time_now()), 0, value,
                                    vlen) == APR_SUCCESS;
}

/* ---- the stored session (mod_ctx_session_stored.c) ---------------------- */

/* A ctx_session_fits_fn for a stored session (baton: its state): the
 * limit is the stored value's length. */
int ctx_glue_stored_fits(void *baton, const ctx_session_t *s,
                         const char *json, apr_size_t jlen);

/* The length limits of a stored value (no cookie around it) into `t`. */
void ctx_glue_stored_limits(const session_state_t *st,
                            ctx_session_template_t *t);

/* Load the stored session of the request's id cookie into st->session
 * and record its changes from now on. CTX_ESTORE: the store failed (no
 * session: never an empty one); the client keeps its cookie. */
apr_status_t ctx_glue_stored_load(session_state_t *st, ctx_t *main,
                                  request_rec *r);

/* Save it at the end of the request: merge the journal, set or delete
 * the id cookie. */
void ctx_glue_stored_save(session_state_t *st, request_rec *r);

#endif
