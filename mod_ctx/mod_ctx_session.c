/* mod_ctx_session: see mod_ctx_session.h. */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "apr_strings.h"

#include "ctx_b64.h"
#include "ctx_codec.h"
#include "ctx_cookie.h"
#include "ctx_json.h"
#include "ctx_load.h"
#include "ctx_session_store.h"
#include "mod_ctx_caching.h"
#include "mod_ctx_config.h"
#include "mod_ctx_private.h"
#include "mod_ctx_request.h"
#include "mod_ctx_session.h"
#include "mod_ctx_session_state.h"
#include "mod_ctx_status.h"
#include "mod_ctx_store.h"
#include "mod_ctx_task.h"

APLOG_USE_MODULE(ctx);

/* ---- loading ----------------------------------------------------------- */

static int each_cookie_header(void *baton, const char *key, const char *val)
{
    (void)key;
    return ctx_load_header(baton, val);
}

/* Everything of Set-Cookie besides the value, at most: the name, the
 * prefix, timestamp and separators, and every attribute. */
static apr_size_t cookie_overhead(const ctx_session_conf_t *conf)
{
    return strlen(conf->attrs.name) + 200
           + (conf->attrs.domain ? strlen(conf->attrs.domain) : 0)
           + strlen(conf->attrs.path);
}

/* Which texts surely fit in the cookie and which never can, so that most
 * changes are judged by length alone (no serialization, no encode). */
static void session_limits(const session_state_t *st,
                           ctx_session_template_t *t)
{
    apr_size_t max = (apr_size_t)st->conf->max_size;
    apr_size_t overhead = cookie_overhead(st->conf);
    apr_size_t name = strlen(st->conf->attrs.name) + 1;
    /* Only the encrypted format is never compressed: its value grows with
     * the JSON, so a text past this never fits; the others may compress. */
    apr_size_t never = st->conf->format == CTX_FORMAT_ENCRYPTED
                       ? (name < max ? ctx_glue_session_longest_json(max - name) : 0)
                       : st->codec->max_json;

    t->sure_fit = overhead < max ? ctx_glue_session_longest_json(max - overhead) : 0;
    t->never_fit = never < st->codec->max_json ? never : st->codec->max_json;
    t->max_values = st->codec->max_values;
}

/* Would the session, serialized as `json`, still fit in a Set-Cookie of
 * conf.max_size bytes, and within the JSON bounds decoding applies (so the
 * next request accepts what is issued)? Asked only for texts between the
 * limits above: encodes exactly (in a scratch pool). */
static int session_fits(void *baton, const ctx_session_t *s, const char *json,
                        apr_size_t jlen)
{
    session_state_t *st = baton;
    const char *value;
    apr_size_t vlen = 0, hlen = 0;
    int fits = 0;

    if (ctx_glue_session_trial_encode(st, s, json, jlen, &value, &vlen)) {
        /* Expires/Max-Age only go out for a permanent session (as in
         * save()): do not count them for the others. */
        int permanent = ctx_session_permanent_flag(s);

        ctx_cookie_build_len(st->scratch, &st->conf->attrs, value, vlen,
                             permanent ? apr_time_sec(apr_time_now()) + 1 : 0,
                             st->conf->max_age, &hlen);
        fits = hlen <= (apr_size_t)st->conf->max_size;
    }
    if (st->scratch) {
        apr_pool_clear(st->scratch);
    }
    return fits;
}

/* ---- caches (mod_ctx_caching.h) ----------------------------------------- */

/* A use of the session by `r` (the request itself, an internal redirect or
 * an include): its response depends on the session. While the headers are
 * still to come, Vary: Cookie says so, in every request that uses it: an
 * internal redirect starts a new headers_out, and mod_cache stores the
 * redirect's answer. Once they are on their way (an SSI include runs after
 * the page's headers passed mod_cache), it is too late to say it, so no
 * cache may keep the response. */
static void session_used(session_state_t *st, ctx_t *c, request_rec *r)
{
    request_rec *top = r;

    if (st->varied == r) {
        return;
    }
    st->varied = r;
    while (top->main) {
        top = top->main;
    }
    st->varied_entry = ctx_glue_vary_on_cookie(r);
    st->varied_headers = r->headers_out;
    if (!ctx_context_response_started(c)) {
        if (top != r) {
            ctx_glue_vary_on_cookie(top);
        }
        return;
    }
    ctx_glue_not_for_shared_caches(r);
    ctx_glue_not_for_shared_caches(top);
    ctx_glue_drop_cache_store(top);
    if (top != r) {
        ctx_glue_drop_cache_store(r);
    }
}

static void session_changed(void *baton, ctx_session_t *s)
{
    session_state_t *st = baton;

    (void)s;
    ctx_glue_not_for_shared_caches(st->answering);
}

/* What a request's session state starts from: everything that depends on
 * the configuration alone (its directory's and its server's). */
typedef struct {
    const ctx_server_conf_t *sconf;     /* the server it was made for */
    const ctx_store_t *store;           /* its store when it was made */
    ctx_session_conf_t conf[2];         /* [1]: Secure (Auto over https) */
    ctx_codec_t codec;
    ctx_session_template_t t;
} session_proto_t;

static void proto_fill(session_proto_t *pr, const ctx_dir_conf_t *d,
                       const ctx_server_conf_t *sconf,
                       const ctx_store_t *store)
{
    ctx_session_conf_t *conf = &pr->conf[0], buf;
    ctx_codec_t *codec = &pr->codec;
    session_state_t st;

    memset(pr, 0, sizeof(*pr));
    pr->sconf = sconf;
    pr->store = store;
    *conf = *ctx_session_conf_of(d, &buf);
    codec->format = conf->format;
    codec->keys = sconf->keys;
    codec->cookie_name = conf->attrs.name;
    codec->max_age = conf->max_age;
    codec->max_skew = MAX_SKEW;
    codec->app_name = ctx_app_name(sconf->app);
    if (conf->format == CTX_FORMAT_SIGNED
        || conf->format == CTX_FORMAT_ENCRYPTED) {
        codec->bound = sconf->bound[conf->format];
    }
    codec->legacy = sconf->legacy_ok;
    codec->max_lifetime = conf->max_lifetime;
    if (store && d->max_size == CTX_UNSET) {
        conf->max_size = CTX_SESSION_STORE_DEFAULT_SIZE;
    }
    ctx_codec_set_max_size(codec, (apr_size_t)conf->max_size);
    pr->conf[1] = *conf;
    if (conf->secure_auto) {
        pr->conf[1].attrs.secure = 1;
    }
    /* The limits read the settings and codec through a state. */
    st.conf = conf;
    st.codec = codec;
    ctx_session_template_init(&pr->t, store ? ctx_glue_stored_fits
                                            : session_fits,
                              session_changed);
    if (store) {
        ctx_glue_stored_limits(&st, &pr->t);
    }
    else {
        session_limits(&st, &pr->t);
    }
}

/* The setup of `d` for server `sconf` with `store`: kept with d where d
 * lasts (one server's: the first to ask), else made in `p`. */
static const session_proto_t *session_proto(const ctx_dir_conf_t *d,
                                            const ctx_server_conf_t *sconf,
                                            const ctx_store_t *store,
                                            apr_pool_t *p)
{
    const void **slot = (const void **)&d->session_proto;
    const session_proto_t *pr;
    session_proto_t *made;
    apr_pool_t *kp;

    if (d->cache) {
        pr = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
        if (pr && pr->sconf == sconf && pr->store == store) {
            return pr;
        }
        if (!pr && (kp = ctx_config_kept_lock()) != NULL) {
            if (!(pr = __atomic_load_n(slot, __ATOMIC_RELAXED))) {
                made = apr_palloc(kp, sizeof(*made));
                proto_fill(made, d, sconf, store);
                __atomic_store_n(slot, made, __ATOMIC_RELEASE);
                pr = made;
            }
            ctx_config_kept_unlock();
            if (pr->sconf == sconf && pr->store == store) {
                return pr;
            }
        }
    }
    made = apr_palloc(p, sizeof(*made));
    proto_fill(made, d, sconf, store);
    return made;
}

static int session_allowed(request_rec *r)
{
    ctx_session_conf_t buf;

    return ctx_session_conf_of(ctx_dir_conf(r), &buf)->enabled;
}

/* A task's session from the text it carries, on its first use. The text
 * was the session of a request, so it parses; if not, the task sees an
 * empty session. */
static ctx_session_t *task_session(ctx_t *task, session_state_t *st)
{
    if (st->store) {
        /* A stored session: changes are journaled and merged into the
         * store when the task ends (ctx_glue_session_task_save), with the
         * request's size limits. */
        if (apr_pool_create(&st->scratch, task->pool) != APR_SUCCESS
            || !(st->journal = ctx_journal_create(task->pool))) {
            st->store = NULL;   /* no memory: read-only, as a cookie's */
        }
        else {
            ctx_session_template_t t;

            ctx_session_template_init(&t, ctx_glue_stored_fits, NULL);
            ctx_glue_stored_limits(st, &t);
            st->session = ctx_session_create_from(task->pool, &t, st, NULL);
            ctx_session_load_text(st->session, st->snapshot,
                                  st->snapshot_len, st->sv->sst.issued, 0);
            ctx_session_set_created(st->session, st->sv->sst.created);
            ctx_session_set_journal(st->session, st->journal);
            return st->session;
        }
    }
    st->session = ctx_session_create(task->pool, NULL, NULL);
    ctx_session_load_text(st->session, st->snapshot, st->snapshot_len, 0,
                          0);
    /* The response has gone: a change could never reach the client. The
     * caller is told (CTX_ETOOLATE); the log has a debug line only. */
    ctx_session_set_read_only(st->session);
    return st->session;
}

/* The session of c's client request, loaded on first use. `use`: the
 * caller's response depends on it (Vary: Cookie); 0 for the save filter's
 * look at an untouched session. */
static ctx_session_t *session_of(ctx_t *c, int use, apr_status_t *rv)
{
    session_state_t *st;
    ctx_t *main;
    request_rec *r;
    ctx_server_conf_t *sconf;
    ctx_load_t lb;
    const session_proto_t *pr;

    *rv = APR_SUCCESS;
    if (!c) {
        *rv = APR_EINVAL;
        return NULL;
    }
    /* A subrequest (an SSI include) may use the session where its own
     * location allows it, whatever the page's says; the cookie's settings
     * are always those of the page, whose response carries it. */
    if (c->kind == CTX_KIND_SUB && !session_allowed(c->request)) {
        *rv = CTX_EDISABLED;
        return NULL;
    }
    if ((st = ctx_context_session(c)) != NULL) {
        if (c->kind == CTX_KIND_TASK) {
            return st->session ? st->session : task_session(c, st);
        }
        if (c->kind != CTX_KIND_SUB && !st->conf->enabled) {
            *rv = CTX_EDISABLED;    /* loaded by an include, off here */
            return NULL;
        }
        if (st->load_status != APR_SUCCESS) {
            *rv = st->load_status;  /* the store was down: no session */
            return NULL;
        }
        if (use) {
            session_used(st, c, c->kind == CTX_KIND_SUB
                                ? c->request : ctx_context_latest(c)->request);
        }
        return st->session;
    }
    if (c->kind == CTX_KIND_TASK) {
        *rv = CTX_EDISABLED;    /* its request had no session */
        return NULL;
    }
    main = ctx_context_main(c);
    r = ctx_context_latest(c)->request;
    sconf = ctx_server_conf(r->server);
    pr = session_proto(ctx_dir_conf(r), sconf,
                       sconf->store ? ctx_glue_stats_store(
                           r->server, ctx_glue_store_get(sconf->store))
                                    : NULL, main->pool);
    if ((!pr->conf[0].enabled && c->kind != CTX_KIND_SUB) || !sconf->keys) {
        *rv = CTX_EDISABLED;
        return NULL;
    }
    st = apr_pcalloc(main->pool, sizeof(*st));
    st->conf = &pr->conf[0];
    st->codec = &pr->codec;
    st->store = pr->store;
    st->gstore = sconf->store;
    st->r = r;
    st->answering = r;
    if (use) {
        session_used(st, c, c->kind == CTX_KIND_SUB ? c->request : r);
    }
    if (st->conf->secure_auto && !strcmp(ap_http_scheme(r), "https")) {
        st->conf = &pr->conf[1];
    }
    /* Its log lines name the client request (the main one: it lives as
     * long as the session). */
    st->session = ctx_session_create_from(main->pool, &pr->t, st,
                                          main->request);
    if (st->store) {
        *rv = ctx_glue_stored_load(st, main, r);
        if (*rv == APR_SUCCESS && ctx_context_response_started(c)) {
            ctx_session_seal(st->session);
        }
        ctx_context_set_session(main, st);
        return *rv == APR_SUCCESS ? st->session : NULL;
    }

    ctx_load_init(&lb, st->codec, main->pool, apr_time_sec(apr_time_now()));
    ctx_glue_each_cookie_header(((request_rec *)main->request)->headers_in,
                                each_cookie_header, &lb);
    st->had_cookie = lb.seen > 0;
    if (lb.conflict) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "mod_ctx: two different "
                      "valid session cookies '%s'%s (conflict): trusting "
                      "neither, starting a new session",
                      st->codec->cookie_name,
                      lb.more ? ", or one and more than are tried" : "");
    }
    else if (lb.first_failure != CTX_REASON_OK && !lb.data) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "mod_ctx: session "
                      "cookie '%s' not accepted (%s%s): starting a new "
                      "session", st->codec->cookie_name,
                      ctx_reason_name(lb.first_failure),
                      lb.more ? "; more candidates than are tried" : "");
    }
    else if (lb.data && (lb.meta.key_index > 0 || lb.meta.legacy)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "mod_ctx: session "
                      "cookie verified by %s key #%d in format %d: it will "
                      "be re-issued in format 2 under the current key",
                      lb.meta.key_index ? "fallback" : "current",
                      lb.meta.key_index, lb.meta.legacy ? 1 : 2);
    }
    ctx_glue_stats_cookie_loaded(r->server, &lb);
    ctx_session_load_flat(st->session, lb.data, lb.meta.issued,
                          lb.meta.key_index);
    if (lb.data) {
        ctx_session_set_created(st->session, lb.meta.created);
        if (lb.meta.legacy) {
            ctx_session_ask_reissue(st->session);
        }
    }
    if (ctx_session_needs_reissue(st->session)
        || (st->conf->refresh && ctx_session_is_permanent(st->session))) {
        ctx_glue_not_for_shared_caches(r);  /* a Set-Cookie will go out */
    }
    if (ctx_context_response_started(c)) {
        ctx_session_seal(st->session);
    }
    ctx_context_set_session(main, st);
    return st->session;
}

ctx_session_t *ctx_glue_session(ctx_t *c, apr_status_t *rv)
{
    return session_of(c, 1, rv);
}

const char *ctx_glue_session_text(ctx_t *c, apr_size_t *len)
{
    apr_status_t rv;
    ctx_session_t *s = ctx_glue_session(c, &rv);

    return s ? ctx_session_json(s, len) : NULL;
}

apr_status_t ctx_glue_session_attach_snapshot(ctx_t *task, const char *json,
                                              apr_size_t len)
{
    session_state_t *st;

    if (!task || task->kind != CTX_KIND_TASK || !json) {
        return APR_EINVAL;
    }
    st = apr_pcalloc(task->pool, sizeof(*st));
    st->snapshot = json;
    st->snapshot_len = len;
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
    int empty = ctx_session_count(s) == 0;
    int permanent = ctx_session_permanent_flag(s);
    apr_int64_t now = apr_time_sec(apr_time_now()), issued, created;
    const char *json, *value, *header;
    apr_size_t jlen, vlen = 0, hlen = 0;
    apr_status_t rv;

    if (st->store) {
        ctx_glue_stored_save(st, r);
        return;
    }
    if (ctx_session_accessed(s)) {
        ctx_glue_vary_at_save(r, st->varied_headers, st->varied_entry);
    }
    if (!ctx_session_modified(s) && !ctx_session_needs_reissue(s)
        && !(permanent && st->conf->refresh && !empty)) {
        return;
    }
    if (empty) {
        if (st->had_cookie) {
            ctx_glue_stats_add(ctx_glue_stats_app(r->server),
                               CTX_STAT_SESSIONS_DELETED, 1);
            ctx_glue_mark_private(r);
            apr_table_addn(r->err_headers_out, "Set-Cookie",
                           ctx_cookie_build(r->pool, &st->conf->attrs, NULL,
                                            0, 0));
        }
        return;
    }
    /* A change or a refresh renews the issue time; a re-issue for a key or
     * format change alone keeps it, so that retiring a key still ends its
     * cookies. The creation time stays until a new lifetime starts. */
    issued = (ctx_session_modified(s) || (permanent && st->conf->refresh)
              || ctx_session_issued(s) <= 0) ? now : ctx_session_issued(s);
    created = ctx_session_created(s);
    if (created <= 0 || created > issued) {
        created = issued;
    }
    json = ctx_session_json(s, &jlen);
    rv = json ? ctx_codec_encode_json(st->codec, r->pool, json, jlen, issued,
                                      created, &value, &vlen)
              : APR_ENOMEM;
    if (rv != APR_SUCCESS) {
        st->save_status = rv;
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "mod_ctx: cannot encode "
                      "the session; the previous cookie stays");
        return;
    }
    header = ctx_cookie_build_len(r->pool, &st->conf->attrs, value, vlen,
                                  permanent ? issued + st->conf->max_age : 0,
                                  st->conf->max_age, &hlen);
    if (hlen > (apr_size_t)st->conf->max_size) {
        st->save_status = CTX_ETOOLARGE;
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_ctx: the session "
                      "cookie would be %" APR_SIZE_T_FMT " bytes, over "
                      "CtxSessionMaxSize %d: not sent, the previous cookie "
                      "stays", hlen, st->conf->max_size);
        return;
    }
    ctx_glue_stats_add(ctx_glue_stats_app(r->server),
                       CTX_STAT_SESSIONS_SAVED, 1);
    ctx_glue_mark_private(r);
    apr_table_addn(r->err_headers_out, "Set-Cookie", header);
}

/* Does the brigade carry an error bucket (ap_bucket_error_create, as
 * mod_proxy's failed backend)? Before the headers, httpd's header filter
 * answers it with ap_die. */
static int carries_error(apr_bucket_brigade *bb)
{
    apr_bucket *e;

    for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb);
         e = APR_BUCKET_NEXT(e)) {
        if (AP_BUCKET_IS_ERROR(e)) {
            return 1;
        }
    }
    return 0;
}

static apr_status_t session_save_filter(ap_filter_t *f,
                                        apr_bucket_brigade *bb)
{
    ctx_t *c = ctx_glue_of(f->r);

    if (c && !ctx_context_response_started(c) && carries_error(bb)) {
        /* The error response that replaces this one starts its headers
         * over: ap_send_error_response keeps only err_headers_out, and
         * httpd 2.4.71's header filter has merged that into headers_out
         * (and emptied it) before its ap_die for the bucket. Headers
         * written now would be lost, so the save waits for that response
         * (insert_error_filter adds this filter again) or an
         * ErrorDocument's, which may change the session too: one encode,
         * as for a handler's error status. ap_die drops this instance
         * (the output filters go back to the protocol's), so the save runs
         * once; it stays in case no ap_die comes. */
        return ap_pass_brigade(f->next, bb);
    }
    if (c && !ctx_context_response_started(c)) {
        session_state_t *st = ctx_context_session(c);

        if (!st) {
            /* Untouched session: Flask still refreshes a permanent one. */
            ctx_session_conf_t buf;
            const ctx_session_conf_t *conf
                = ctx_session_conf_of(ctx_dir_conf(f->r), &buf);

            /* A stored session is not read for this (a store round trip
             * per request): its entry's lifetime runs from its last use. */
            if (conf->enabled && conf->refresh
                && !ctx_server_conf(f->r->server)->store
                && apr_table_get(f->r->headers_in, "Cookie")) {
                apr_status_t rv;
                ctx_session_t *s = session_of(c, 0, &rv);

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

/* The save filter as registered: added by handle, without httpd's lookup
 * of its name on every request. */
static ap_filter_rec_t *save_filter;

void ctx_glue_session_insert_filter(request_rec *r)
{
    /* Servers without a key cannot have sessions: no filter, no cost. */
    if (!r->main && ctx_server_conf(r->server)->keys) {
        ap_add_output_filter_handle(save_filter, NULL, r, r->connection);
    }
}

void ctx_glue_session_register(void)
{
    /* Before HTTP_HEADER (AP_FTYPE_PROTOCOL), after content filters. */
    save_filter = ap_register_output_filter("CTX_SESSION_SAVE",
                                            session_save_filter, NULL,
                                            AP_FTYPE_PROTOCOL - 1);
}
