/* mod_ctx_session_stored: a server-side session (CtxSessionStore
 * socache:...): its id cookie picked and verified, its entry loaded and
 * its changes journaled, merged into the store at the end of the request
 * or of a background task. The cookie session's glue (mod_ctx_session.c)
 * calls in here when a store is configured. */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"
#include "apr_strings.h"

#include "ctx_cookie.h"
#include "ctx_session_id.h"
#include "mod_ctx_caching.h"
#include "mod_ctx_private.h"
#include "mod_ctx_session.h"
#include "mod_ctx_session_state.h"
#include "mod_ctx_status.h"
#include "mod_ctx_task.h"

APLOG_USE_MODULE(ctx);

/* ---- limits --------------------------------------------------------------- */

/* A stored session: the limit is the stored value's length (the codec's
 * output; the name it binds does not change the length). */
int ctx_glue_stored_fits(void *baton, const ctx_session_t *s,
                         const char *json, apr_size_t jlen)
{
    session_state_t *st = baton;
    const char *value;
    apr_size_t vlen = 0;
    int fits = 0;

    if (ctx_glue_session_trial_encode(st, s, json, jlen, &value, &vlen)) {
        fits = vlen <= (apr_size_t)st->conf->max_size;
    }
    if (st->scratch) {
        apr_pool_clear(st->scratch);
    }
    return fits;
}

/* The same for a stored value (no cookie around it). */
void ctx_glue_stored_limits(const session_state_t *st,
                            ctx_session_template_t *t)
{
    apr_size_t max = (apr_size_t)st->conf->max_size;
    apr_size_t never = st->conf->format == CTX_FORMAT_ENCRYPTED
                       ? ctx_glue_session_longest_json(max) : st->codec->max_json;

    t->sure_fit = ctx_glue_session_longest_json(max);
    t->never_fit = never < st->codec->max_json ? never : st->codec->max_json;
    t->max_values = st->codec->max_values;
}

/* ---- loading ------------------------------------------------------------ */

/* At most this many id cookies of our name are verified (no store call):
 * the first valid one is the session's. */
#define MAX_ID_CANDIDATES 8

typedef struct {
    ctx_sid_codec_t codec;
    const char *val;            /* the first id that verifies */
    apr_size_t len;
    ctx_sid_t sid;              /* ... verified: the store load takes it
                                 * as is (one verify per request) */
    int seen, tried;
} id_pick_t;

static int pick_id(void *baton, const char *val, apr_size_t len)
{
    id_pick_t *pk = baton;

    ++pk->seen;
    if (pk->tried++ >= MAX_ID_CANDIDATES) {
        return 0;
    }
    if (ctx_sid_verify(&pk->codec, val, len, &pk->sid) == CTX_REASON_OK) {
        pk->val = val;
        pk->len = len;
        return 0;
    }
    return 1;
}

static int each_id_header(void *baton, const char *key, const char *val)
{
    id_pick_t *pk = baton;

    (void)key;
    return pk->val || pk->tried >= MAX_ID_CANDIDATES
           ? 0 : ctx_cookie_find(val, pk->codec.cookie_name, pick_id, pk);
}

apr_status_t ctx_glue_stored_load(session_state_t *st, ctx_t *main,
                                  request_rec *r)
{
    ctx_server_conf_t *sconf = ctx_server_conf(r->server);
    id_pick_t pk;
    struct ctx_flat_t *data = NULL;
    apr_status_t rv;

    st->sv = apr_pcalloc(main->pool, sizeof(*st->sv));
    st->sv->cfg.store = st->store;
    st->sv->cfg.keys = sconf->keys;
    st->sv->cfg.app_name = st->codec->app_name;
    st->sv->cfg.cookie_name = st->conf->attrs.name;
    st->sv->cfg.format = st->conf->format;
    st->sv->cfg.max_age = st->conf->max_age;
    st->sv->cfg.max_skew = MAX_SKEW;
    st->sv->cfg.max_lifetime = st->conf->max_lifetime;
    st->sv->cfg.max_size = (apr_size_t)st->conf->max_size;

    memset(&pk, 0, sizeof(pk));
    pk.codec.keys = sconf->keys;
    pk.codec.app_name = st->codec->app_name;
    pk.codec.cookie_name = st->conf->attrs.name;
    ctx_glue_each_cookie_header(((request_rec *)main->request)->headers_in,
                                each_id_header, &pk);
    st->had_cookie = pk.seen > 0;
    rv = ctx_session_store_load_verified(&st->sv->cfg, main->pool,
                                         pk.val ? &pk.sid : NULL,
                                         apr_time_sec(apr_time_now()),
                                         &st->sv->sst, &data);
    if (rv != APR_SUCCESS) {
        st->load_status = rv;
        if (rv != CTX_ESTORE) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "mod_ctx: cannot "
                          "load the session from CtxSessionStore %s",
                          ctx_glue_store_name(sconf->store));
        }
        return rv;
    }
    if (st->had_cookie && !st->sv->sst.found) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "mod_ctx: session id "
                      "cookie '%s' %s: starting a new session",
                      st->conf->attrs.name,
                      st->sv->sst.has_id ? "has no stored session"
                                     : ctx_reason_name(st->sv->sst.id_reason));
    }
    ctx_session_load_flat(st->session, data, st->sv->sst.issued,
                          st->sv->sst.has_id ? st->sv->sst.sid.key_index : 0);
    if (st->sv->sst.found) {
        ctx_session_set_created(st->session, st->sv->sst.created);
    }
    if (!(st->journal = ctx_journal_create(main->pool))) {
        st->load_status = APR_ENOMEM;
        return APR_ENOMEM;
    }
    ctx_session_set_journal(st->session, st->journal);
    if (st->sv->sst.has_id && st->sv->sst.sid.key_index > 0) {
        /* re-signed: a Set-Cookie goes out */
        ctx_glue_not_for_shared_caches(r);
    }
    ctx_glue_stats_store_loaded(r->server, &st->sv->sst, st->had_cookie);
    return APR_SUCCESS;
}

/* ---- saving ------------------------------------------------------------- */

/* Save a server-side session: the core merges this request's journal
 * onto the latest stored value and says what the id cookie needs. A store
 * that failed (at load or now) writes nothing and sends no cookie: the
 * client keeps its own. */
void ctx_glue_stored_save(session_state_t *st, request_rec *r)
{
    ctx_session_t *s = st->session;
    apr_int64_t now = apr_time_sec(apr_time_now());
    ctx_sstore_cookie_t ck = CTX_SSTORE_COOKIE_KEEP;
    apr_status_t rv;
    int locked;

    if (st->load_status != APR_SUCCESS) {
        st->save_status = st->load_status;
        return;
    }
    if (ctx_session_accessed(s)) {
        ctx_glue_vary_at_save(r, st->varied_headers, st->varied_entry);
    }
    locked = ctx_glue_store_lock(ctx_server_conf(r->server)->store);
    rv = ctx_session_store_save(&st->sv->cfg, r->pool, &st->sv->sst,
                                st->journal, now, &ck);
    ctx_glue_store_unlock(ctx_server_conf(r->server)->store, locked);
    ctx_glue_stats_store_saved(ctx_glue_stats_app(r->server), rv, ck,
                               ctx_session_modified(s));
    st->save_status = rv;
    if (rv == CTX_ETOOLARGE) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_ctx: the stored "
                      "session would be over CtxSessionMaxSize %d bytes: "
                      "not saved, the stored one stays", st->conf->max_size);
    }
    else if (rv == APR_INCOMPLETE) {
        /* The store's failure is logged once per outage by its health
         * view; the old id stays valid until its entry expires. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "mod_ctx: regenerated "
                      "session: the old entry could not be deleted");
    }
    else if (rv != APR_SUCCESS && rv != CTX_ESTORE) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "mod_ctx: cannot save "
                      "the session to CtxSessionStore %s",
                      ctx_glue_store_name(
                          ctx_server_conf(r->server)->store));
    }
    if (ck == CTX_SSTORE_COOKIE_SET) {
        /* As a cookie session: a permanent session's cookie lives as long
         * as its entry, another one as long as the browser session. */
        int permanent = ctx_session_permanent_flag(s);

        ctx_glue_mark_private(r);
        apr_table_addn(r->err_headers_out, "Set-Cookie",
                       ctx_cookie_build(r->pool, &st->conf->attrs,
                                        st->sv->sst.sid.cookie,
                                        permanent ? now + st->conf->max_age
                                                  : 0,
                                        st->conf->max_age));
    }
    else if (ck == CTX_SSTORE_COOKIE_DELETE && st->had_cookie) {
        ctx_glue_mark_private(r);
        apr_table_addn(r->err_headers_out, "Set-Cookie",
                       ctx_cookie_build(r->pool, &st->conf->attrs, NULL, 0,
                                        0));
    }
}

/* ---- background tasks ---------------------------------------------------- */

apr_status_t ctx_glue_session_attach_store(ctx_t *task, ctx_t *from)
{
    session_state_t *st, *rst;

    if (!task || task->kind != CTX_KIND_TASK || !from) {
        return APR_EINVAL;
    }
    st = ctx_context_session(task);
    rst = ctx_context_session(ctx_context_main(from));
    /* Only an entry that exists now can take the task's changes: a new
     * id could reach no client (the task's session stays read-only). */
    if (!st || !rst || !rst->store || rst->load_status != APR_SUCCESS
        || !rst->sv->sst.has_id || !rst->sv->sst.found) {
        return APR_SUCCESS;
    }
    /* Copies: the request's pool (which may hold them) may be gone when
     * the task runs; what they point to is the server config's. */
    st->conf = apr_pmemdup(task->pool, rst->conf, sizeof(*st->conf));
    st->codec = apr_pmemdup(task->pool, rst->codec, sizeof(*st->codec));
    st->store = rst->store;
    st->gstore = rst->gstore;
    st->sv = apr_pmemdup(task->pool, rst->sv, sizeof(*st->sv));
    st->sv->cfg.no_new_id = 1;
    return APR_SUCCESS;
}

apr_status_t ctx_glue_session_task_save(ctx_t *task)
{
    session_state_t *st = ctx_context_session(task);
    ctx_sstore_cookie_t ck = CTX_SSTORE_COOKIE_KEEP;
    apr_status_t rv;
    int locked;

    if (!st || !st->store || !st->session || !st->journal) {
        return APR_SUCCESS;     /* unused, or read-only */
    }
    /* Later changes (teardown callbacks) could not be saved: refused as
     * in a read-only task session. */
    ctx_session_set_read_only(st->session);
    locked = ctx_glue_store_lock(st->gstore);
    rv = ctx_session_store_save(&st->sv->cfg, task->pool, &st->sv->sst,
                                st->journal, apr_time_sec(apr_time_now()),
                                &ck);
    ctx_glue_store_unlock(st->gstore, locked);
    ctx_glue_stats_store_saved(ctx_glue_stats_app_of(
        ctx_glue_task_snapshot(task)->app), rv, ck,
        ctx_session_modified(st->session));
    st->save_status = rv;
    if (rv == APR_NOTFOUND) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, ap_server_conf, "mod_ctx: "
                     "the session of background task '%s' is gone "
                     "(invalidated, regenerated or expired) or was "
                     "regenerated by it: its changes are dropped",
                     task->ops->describe(task->request));
    }
    else if (rv == CTX_ETOOLARGE) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, ap_server_conf, "mod_ctx: "
                     "the stored session would be over CtxSessionMaxSize %d "
                     "bytes after background task '%s': not saved",
                     st->conf->max_size, task->ops->describe(task->request));
    }
    else if (rv != APR_SUCCESS && rv != CTX_ESTORE) {
        /* CTX_ESTORE: logged once per outage by the store's health view */
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, ap_server_conf, "mod_ctx: "
                     "cannot save the session of background task '%s' to "
                     "CtxSessionStore %s", task->ops->describe(task->request),
                     ctx_glue_store_name(st->gstore));
    }
    return rv;
}
