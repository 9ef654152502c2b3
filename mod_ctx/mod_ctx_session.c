/* mod_ctx_session: see mod_ctx_session.h. */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_strings.h"

#include "ctx_b64.h"
#include "ctx_codec.h"
#include "ctx_cookie.h"
#include "mod_ctx_config.h"
#include "mod_ctx_private.h"
#include "mod_ctx_session.h"

APLOG_USE_MODULE(ctx);

/* A session beyond this age skew into the future is refused. */
#define MAX_SKEW 60

typedef struct {
    ctx_session_t *session;
    ctx_session_conf_t conf;
    ctx_codec_t codec;
    request_rec *r;             /* the request whose settings apply */
    apr_pool_t *scratch;        /* for size checks, cleared after each */
    int had_cookie;             /* a cookie of our name came in */
    apr_status_t save_status;
} session_state_t;

/* ---- loading ----------------------------------------------------------- */

typedef struct {
    session_state_t *st;
    apr_pool_t *pool;
    json_t *data;
    apr_int64_t issued;
    int key_index;
    ctx_reason_t first_failure;
} load_baton_t;

static int try_cookie(void *baton, const char *val, apr_size_t len)
{
    load_baton_t *lb = baton;
    ctx_reason_t reason;

    lb->st->had_cookie = 1;
    reason = ctx_codec_decode(&lb->st->codec, lb->pool, val, len,
                              apr_time_sec(apr_time_now()), &lb->data,
                              &lb->issued, &lb->key_index);
    if (reason == CTX_REASON_OK) {
        return 0;               /* the first one that verifies wins */
    }
    if (lb->first_failure == CTX_REASON_OK) {
        lb->first_failure = reason;
    }
    return 1;
}

static int each_cookie_header(void *baton, const char *key, const char *val)
{
    load_baton_t *lb = baton;

    (void)key;
    return ctx_cookie_find(val, lb->st->codec.cookie_name, try_cookie, lb)
           && lb->data == NULL;
}

/* Would the session, serialized as `json`, still fit in a Set-Cookie of
 * conf.max_size bytes? Cheap when far below the limit; encodes exactly
 * (in a scratch pool) when close to it. */
static int session_fits(void *baton, const ctx_session_t *s, const char *json,
                        apr_size_t jlen)
{
    session_state_t *st = baton;
    apr_size_t overhead;
    const char *value, *header;
    int fits = 0;

    /* name, prefix, timestamp, MAC or nonce+tag, and every attribute */
    overhead = strlen(st->conf.attrs.name) + 200
               + (st->conf.attrs.domain ? strlen(st->conf.attrs.domain) : 0)
               + strlen(st->conf.attrs.path);
    if (ctx_b64url_len(jlen + 28) + overhead <= (apr_size_t)st->conf.max_size) {
        return 1;
    }
    /* One scratch pool per session, cleared per check: creating and
     * destroying a pool on every set showed in profiles. */
    if (!st->scratch
        && apr_pool_create(&st->scratch, st->r->pool) != APR_SUCCESS) {
        st->scratch = NULL;
        return 0;
    }
    if (ctx_codec_encode_json(&st->codec, st->scratch, json, jlen,
                              apr_time_sec(apr_time_now()), &value,
                              NULL) == APR_SUCCESS) {
        /* Expires/Max-Age only go out for a permanent session (as in
         * save()): do not count them for the others. */
        int permanent = json_is_true(json_object_get(ctx_session_data(s),
                                                     "_permanent"));

        header = ctx_cookie_build(st->scratch, &st->conf.attrs, value,
                                  permanent ? apr_time_sec(apr_time_now()) + 1
                                            : 0,
                                  st->conf.max_age);
        fits = strlen(header) <= (apr_size_t)st->conf.max_size;
    }
    apr_pool_clear(st->scratch);
    return fits;
}

ctx_session_t *ctx_glue_session(ctx_t *c, apr_status_t *rv)
{
    session_state_t *st;
    ctx_t *main;
    request_rec *r;
    ctx_server_conf_t *sconf;
    load_baton_t lb;

    *rv = APR_SUCCESS;
    if (!c) {
        *rv = APR_EINVAL;
        return NULL;
    }
    if ((st = ctx_context_session(c)) != NULL) {
        return st->session;
    }
    if (c->kind == CTX_KIND_TASK) {
        *rv = CTX_EDISABLED;    /* its request had no session */
        return NULL;
    }
    main = ctx_context_main(c);
    r = ctx_context_latest(c)->request;
    st = apr_pcalloc(main->pool, sizeof(*st));
    ctx_session_conf_get(ctx_dir_conf(r), &st->conf);
    sconf = ctx_server_conf(r->server);
    if (!st->conf.enabled || !sconf->keys) {
        *rv = CTX_EDISABLED;
        return NULL;
    }
    st->r = r;
    if (st->conf.secure_auto) {
        st->conf.attrs.secure = !strcmp(ap_http_scheme(r), "https");
    }
    st->codec.format = st->conf.format;
    st->codec.keys = sconf->keys;
    st->codec.cookie_name = st->conf.attrs.name;
    st->codec.max_age = st->conf.max_age;
    st->codec.max_skew = MAX_SKEW;
    st->session = ctx_session_create(main->pool, session_fits, st);
    /* Its log lines name the client request (the main one: it lives as
     * long as the session). */
    ctx_session_set_log_request(st->session, main->request);

    memset(&lb, 0, sizeof(lb));
    lb.st = st;
    lb.pool = main->pool;
    apr_table_do(each_cookie_header, &lb,
                 ((request_rec *)main->request)->headers_in, "Cookie", NULL);
    if (lb.first_failure != CTX_REASON_OK && !lb.data) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "mod_ctx: session "
                      "cookie '%s' not accepted (%s): starting a new session",
                      st->codec.cookie_name,
                      ctx_reason_name(lb.first_failure));
    }
    else if (lb.data && lb.key_index > 0) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "mod_ctx: session "
                      "cookie verified by fallback key #%d: it will be "
                      "re-issued under the current key", lb.key_index);
    }
    ctx_session_load(st->session, lb.data, lb.issued, lb.key_index);
    if (ctx_context_response_started(c)) {
        ctx_session_seal(st->session);
    }
    ctx_context_set_session(main, st);
    return st->session;
}

const json_t *ctx_glue_session_data(ctx_t *c)
{
    apr_status_t rv;
    ctx_session_t *s = ctx_glue_session(c, &rv);

    return s ? ctx_session_data(s) : NULL;
}

apr_status_t ctx_glue_session_attach_snapshot(ctx_t *task, json_t *data)
{
    session_state_t *st;

    if (!task || task->kind != CTX_KIND_TASK || !data) {
        return APR_EINVAL;
    }
    st = apr_pcalloc(task->pool, sizeof(*st));
    st->session = ctx_session_create(task->pool, NULL, NULL);
    ctx_session_load(st->session, json_incref(data), 0, 0);
    /* The response has gone: a change could never reach the client. The
     * caller is told (CTX_ETOOLATE); the log has a debug line only. */
    ctx_session_set_read_only(st->session);
    ctx_context_set_session(task, st);
    return APR_SUCCESS;
}

apr_status_t ctx_glue_session_save_status(ctx_t *c)
{
    session_state_t *st = ctx_context_session(c);

    return st ? st->save_status : APR_SUCCESS;
}

/* ---- saving ------------------------------------------------------------ */

static void save(session_state_t *st, request_rec *r)
{
    ctx_session_t *s = st->session;
    const json_t *data = ctx_session_data(s);
    int empty = json_object_size(data) == 0;
    int permanent = json_is_true(json_object_get(data, "_permanent"));
    apr_int64_t now = apr_time_sec(apr_time_now());
    const char *json, *value, *header;
    apr_size_t jlen;
    apr_status_t rv;

    if (ctx_session_accessed(s)) {
        apr_table_mergen(r->err_headers_out, "Vary", "Cookie");
    }
    if (!ctx_session_modified(s) && !ctx_session_needs_reissue(s)
        && !(permanent && st->conf.refresh && !empty)) {
        return;
    }
    if (empty) {
        if (st->had_cookie) {
            apr_table_addn(r->err_headers_out, "Set-Cookie",
                           ctx_cookie_build(r->pool, &st->conf.attrs, NULL,
                                            0, 0));
        }
        return;
    }
    json = ctx_session_json(s, &jlen);
    rv = json ? ctx_codec_encode_json(&st->codec, r->pool, json, jlen, now,
                                      &value, NULL)
              : APR_ENOMEM;
    if (rv != APR_SUCCESS) {
        st->save_status = rv;
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "mod_ctx: cannot encode "
                      "the session; the previous cookie stays");
        return;
    }
    header = ctx_cookie_build(r->pool, &st->conf.attrs, value,
                              permanent ? now + st->conf.max_age : 0,
                              st->conf.max_age);
    if (strlen(header) > (apr_size_t)st->conf.max_size) {
        st->save_status = CTX_ETOOLARGE;
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_ctx: the session "
                      "cookie would be %" APR_SIZE_T_FMT " bytes, over "
                      "CtxSessionMaxSize %d: not sent, the previous cookie "
                      "stays", strlen(header), st->conf.max_size);
        return;
    }
    apr_table_addn(r->err_headers_out, "Set-Cookie", header);
}

static apr_status_t session_save_filter(ap_filter_t *f,
                                        apr_bucket_brigade *bb)
{
    ctx_t *c = ctx_glue_of(f->r);

    if (c && !ctx_context_response_started(c)) {
        session_state_t *st = ctx_context_session(c);

        if (!st) {
            /* Untouched session: Flask still refreshes a permanent one. */
            ctx_session_conf_t conf;

            ctx_session_conf_get(ctx_dir_conf(f->r), &conf);
            if (conf.enabled && conf.refresh
                && apr_table_get(f->r->headers_in, "Cookie")) {
                apr_status_t rv;
                ctx_session_t *s = ctx_glue_session(c, &rv);

                if (s && ctx_session_is_permanent(s)) {
                    st = ctx_context_session(c);
                }
                else if (s) {
                    /* Loaded here, after the last chance to save it: a
                     * later change must be refused, not silently lost. */
                    ctx_session_seal(s);
                }
            }
        }
        ctx_context_set_response_started(c);
        if (st) {
            ctx_session_seal(st->session);
            save(st, f->r);
        }
    }
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

void ctx_glue_session_insert_filter(request_rec *r)
{
    /* Servers without a key cannot have sessions: no filter, no cost. */
    if (!r->main && ctx_server_conf(r->server)->keys) {
        ap_add_output_filter("CTX_SESSION_SAVE", NULL, r, r->connection);
    }
}

void ctx_glue_session_register(void)
{
    /* Before HTTP_HEADER (AP_FTYPE_PROTOCOL), after content filters. */
    ap_register_output_filter("CTX_SESSION_SAVE", session_save_filter, NULL,
                              AP_FTYPE_PROTOCOL - 1);
}
