/* mod_ctx_login: the login API on the session, and AuthType ctx.
 *
 * Per client request one state (in the main request's pool, so shared by
 * its subrequests and internal redirects): whether the login was resolved
 * (session protection, remember cookie), the id and the loaded user. */
#include <string.h>
#include <strings.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_auth.h"
#include "apr_strings.h"
#include "apr_date.h"

#include "mod_ctx_private.h"
#include "mod_ctx_config.h"
#include "mod_ctx_login.h"
#include "mod_ctx_body.h"
#include "mod_ctx_request.h"
#include "mod_ctx_session.h"
#include "mod_ctx_task.h"
#include "ctx_login.h"
#include "ctx_snapshot.h"

APLOG_USE_MODULE(ctx);

#define STATE_KEY "mod_ctx login"
#define MAX_LOADERS 64

/* Written in child_init (or before), read by requests. */
static struct {
    ctx_app_t *app;
    ctx_user_loader_fn *fn;
    void *baton;
} loaders[MAX_LOADERS];
static int nloaders;

typedef struct {
    int resolved;
    const char *ident;          /* Flask-Login's identifier, made once */
    ctx_login_cache_t cache;
} login_state_t;

/* ---- directives ------------------------------------------------------------ */

const char *ctx_login_set_url(cmd_parms *cmd, void *dconf, const char *v)
{
    ctx_dir_conf_t *d = dconf;

    if (!ctx_login_next_is_safe(v) || strchr(v, '#')) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a local path such "
                            "as /login", cmd->cmd->name, v);
    }
    if (cmd->info) {
        d->refresh_url = v;
    }
    else {
        d->login_url = v;
    }
    return NULL;
}

const char *ctx_login_set_protection(cmd_parms *cmd, void *dconf,
                                     const char *v)
{
    ctx_dir_conf_t *d = dconf;

    if (!strcasecmp(v, "off")) {
        d->login_protection = CTX_LOGIN_PROTECT_OFF;
    }
    else if (!strcasecmp(v, "basic")) {
        d->login_protection = CTX_LOGIN_PROTECT_BASIC;
    }
    else if (!strcasecmp(v, "strong")) {
        d->login_protection = CTX_LOGIN_PROTECT_STRONG;
    }
    else {
        return apr_psprintf(cmd->pool, "CtxLoginProtection: '%s' is not "
                            "off, basic or strong", v);
    }
    return NULL;
}

/* ---- per-request state ------------------------------------------------------ */

static ctx_t *resolve_ctx(ctx_t *c)
{
    return c ? c : ctx_context_current();
}

static login_state_t *state_of(ctx_t *c)
{
    apr_pool_t *p = ctx_context_main(c)->pool;
    void *v = NULL;

    apr_pool_userdata_get(&v, STATE_KEY, p);
    if (!v) {
        v = apr_pcalloc(p, sizeof(login_state_t));
        apr_pool_userdata_setn(v, STATE_KEY, NULL, p);
    }
    return v;
}

/* The client request (the first of its redirect chain: its headers and
 * address are the client's). NULL in a task. */
static request_rec *client_request(ctx_t *c)
{
    return ctx_glue_request(ctx_context_main(c));
}

/* The request whose response carries cookies (the last of the chain). */
static request_rec *answering_request(ctx_t *c)
{
    return ctx_glue_request(ctx_context_latest(ctx_context_main(c)));
}

/* The last identifier of a connection: its requests (keep-alive) mostly
 * send the same headers, and a SHA-512 per request is a tenth of a static
 * file's cost. Fixed size: a connection cannot make it grow. */
#define IDENT_CACHE_INPUT 512
typedef struct {
    apr_size_t len;                     /* of input; 0: empty */
    char input[IDENT_CACHE_INPUT];      /* addr NUL xff NUL agent NUL */
    char ident[129];
} ident_cache_t;

static const char *identifier(login_state_t *st, request_rec *r)
{
    const char *addr = r->useragent_ip, *parts[3];
    char input[IDENT_CACHE_INPUT];
    apr_size_t len = 0;
    ident_cache_t *ic = NULL;
    int cacheable = 1;

    if (st->ident) {
        return st->ident;
    }
    parts[0] = addr ? addr : "";
    parts[1] = apr_table_get(r->headers_in, "X-Forwarded-For");
    parts[2] = apr_table_get(r->headers_in, "User-Agent");
    for (int i = 0; i < 3 && cacheable; ++i) {
        /* absent and empty differ: a leading 1 or 0 says which */
        apr_size_t n = parts[i] ? strlen(parts[i]) : 0;

        if (len + n + 2 > sizeof(input)) {
            cacheable = 0;
            break;
        }
        input[len++] = parts[i] ? '1' : '0';
        memcpy(input + len, parts[i] ? parts[i] : "", n);
        len += n;
        input[len++] = '\0';
    }
    if (cacheable) {
        void *v = NULL;

        apr_pool_userdata_get(&v, STATE_KEY " ident", r->connection->pool);
        if ((ic = v) != NULL && ic->len == len
            && !memcmp(ic->input, input, len)) {
            return st->ident = apr_pstrdup(r->pool, ic->ident);
        }
    }
    st->ident = ctx_login_identifier(r->pool, addr, parts[1], parts[2]);
    if (cacheable && st->ident) {
        if (!ic) {
            ic = apr_palloc(r->connection->pool, sizeof(*ic));
            apr_pool_userdata_setn(ic, STATE_KEY " ident", NULL,
                                   r->connection->pool);
        }
        memcpy(ic->input, input, len);
        ic->len = len;
        memcpy(ic->ident, st->ident, sizeof(ic->ident));
    }
    return st->ident;
}

/* The remember cookie's keys for r: Flask-Login's (the secret itself) in
 * the flask format, else bound to the app. Current key first. */
static int remember_keys(request_rec *r, ctx_login_key_t **keys)
{
    ctx_server_conf_t *sc = ctx_server_conf(r->server);
    ctx_session_conf_t buf;
    const ctx_session_conf_t *conf;
    int n = 0, max = 1 + (sc->fallbacks ? sc->fallbacks->nelts : 0);

    if (!sc->secret) {
        return 0;
    }
    conf = ctx_session_conf_of(ctx_dir_conf(r), &buf);
    *keys = apr_palloc(r->pool, max * sizeof(**keys));
    for (int i = 0; i < max; ++i) {
        const ctx_secret_t *sec = i == 0 ? sc->secret
            : &APR_ARRAY_IDX(sc->fallbacks, i - 1, ctx_secret_t);
        apr_status_t rv = conf->format == CTX_FORMAT_FLASK
            ? ctx_login_key_flask(&(*keys)[n], sec->bytes, sec->len)
            : ctx_login_key_app(&(*keys)[n], sec->bytes, sec->len,
                                ctx_app_name(sc->app));

        if (rv == APR_SUCCESS) {
            ++n;
        }
    }
    return n;
}

static void remember_cookie_header(request_rec *r, const char *value)
{
    request_rec *out = r;
    const char *secure = !strcmp(ap_http_scheme(r), "https") ? "; Secure"
                                                            : "";
    char date[APR_RFC822_DATE_LEN];

    if (value) {
        apr_rfc822_date(date, apr_time_now()
                              + apr_time_from_sec(CTX_LOGIN_REMEMBER_SECONDS));
        apr_table_addn(out->err_headers_out, "Set-Cookie",
                       apr_psprintf(r->pool, "%s=%s; Expires=%s; Max-Age=%d; "
                                    "Path=/; HttpOnly; SameSite=Lax%s",
                                    CTX_LOGIN_REMEMBER_COOKIE, value, date,
                                    CTX_LOGIN_REMEMBER_SECONDS, secure));
    }
    else {
        apr_table_addn(out->err_headers_out, "Set-Cookie",
                       apr_psprintf(r->pool, "%s=; Expires=Thu, 01 Jan 1970 "
                                    "00:00:00 GMT; Max-Age=0; Path=/; "
                                    "HttpOnly; SameSite=Lax%s",
                                    CTX_LOGIN_REMEMBER_COOKIE, secure));
    }
    apr_table_mergen(out->err_headers_out, "Cache-Control",
                     "no-cache=\"set-cookie\"");
}

static const char *remember_cookie(request_rec *r)
{
    return ctx_glue_cookie(r, CTX_LOGIN_REMEMBER_COOKIE);
}

/* Flask-Login's _load_user without the loader: session protection, then
 * the session's id, else the remember cookie. Once per client request. */
static const char *resolve_login(ctx_t *c, login_state_t *st)
{
    ctx_session_t *s;
    request_rec *r, *out;
    ctx_dir_conf_t *d;
    apr_status_t rv;
    const char *id, *cookie;
    json_t *flag;
    int mode;

    if (st->resolved) {
        return st->cache.id;
    }
    /* No session here (off for a subrequest's location, store down):
     * anonymous for this call, and not decided for the request. */
    if (!(s = ctx_glue_session(c, &rv))) {
        return NULL;
    }
    st->resolved = 1;
    ctx_login_cache_set(&st->cache, NULL);
    if (!(r = client_request(c))) {      /* a task: the copy's login */
        ctx_login_cache_set(&st->cache, ctx_login_session_user(
                                            ctx_context_main(c)->pool, s));
        return st->cache.id;
    }
    out = answering_request(c);
    d = ctx_dir_conf(out);
    mode = d->login_protection == CTX_UNSET ? CTX_LOGIN_PROTECT_BASIC
                                            : d->login_protection;
    if (ctx_login_protect(s, mode, identifier(st, r))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "mod_ctx: session "
                      "protection (strong): the client's address or "
                      "User-Agent changed, logged out");
        if (remember_cookie(r)) {
            remember_cookie_header(out, NULL);
        }
        return NULL;
    }
    id = ctx_login_session_user(r->pool, s);
    flag = ctx_session_get(s, CTX_LOGIN_KEY_REMEMBER);
    if (!id && (cookie = remember_cookie(r)) != NULL
        && !(json_is_string(flag)
             && !strcmp(json_string_value(flag), "clear"))) {
        ctx_login_key_t *keys = NULL;
        int n = remember_keys(r, &keys);
        const char *rid;

        if (ctx_login_remember_decode(r->pool, keys, n, cookie, &rid)
                != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "mod_ctx: remember "
                          "cookie not accepted (malformed or not signed by "
                          "this site's key)");
        }
        /* A new session id for the restored login: a session planted by
         * someone else never becomes this user's (fixation). */
        else if (ctx_session_regenerate(s) == APR_SUCCESS
                 && ctx_login_store(s, rid, 0, identifier(st, r))
                        == APR_SUCCESS) {
            id = rid;
        }
    }
    ctx_login_cache_set(&st->cache, id);
    return id;
}

/* ---- user loaders -------------------------------------------------------------- */

static ctx_app_t *app_of(ctx_t *c)
{
    const ctx_snapshot_t *snap = ctx_glue_task_snapshot(c);
    request_rec *r;

    if (snap) {
        return snap->app;
    }
    r = client_request(c);
    return r ? ctx_server_conf(r->server)->app : NULL;
}

static int find_loader(ctx_app_t *app)
{
    for (int i = 0; i < nloaders; ++i) {
        if (loaders[i].app == app) {
            return i;
        }
    }
    return -1;
}

apr_status_t ctx_glue_user_loader(ctx_app_t *app, ctx_user_loader_fn *fn,
                                  void *baton)
{
    int i;

    if (!app) {
        ctx_t *c = ctx_context_current();

        app = c ? app_of(c) : ctx_app_top();
    }
    if (!app || !fn) {
        return APR_EINVAL;
    }
    if ((i = find_loader(app)) < 0) {
        if (nloaders == MAX_LOADERS) {
            return APR_ENOSPC;
        }
        i = nloaders++;
    }
    loaders[i].app = app;
    loaders[i].fn = fn;
    loaders[i].baton = baton;
    return APR_SUCCESS;
}

typedef struct {
    ctx_t *c;
    int loader;
} load_call_t;

static void *call_loader(void *baton, const char *id)
{
    load_call_t *lc = baton;

    return loaders[lc->loader].fn(lc->c, id, loaders[lc->loader].baton);
}

void *ctx_glue_current_user(ctx_t *c)
{
    login_state_t *st;
    load_call_t lc;

    if (!(c = resolve_ctx(c))) {
        return NULL;
    }
    st = state_of(c);
    if (!resolve_login(c, st) || (lc.loader = find_loader(app_of(c))) < 0) {
        return NULL;
    }
    /* The client request's context: what the loader allocates in its
     * request's pool must outlive subrequests, as the cache does. */
    lc.c = ctx_context_main(c);
    return ctx_login_cache_user(&st->cache, call_loader, &lc);
}

const char *ctx_glue_current_user_id(ctx_t *c)
{
    if (!(c = resolve_ctx(c))) {
        return NULL;
    }
    return resolve_login(c, state_of(c));
}

/* ---- login, logout --------------------------------------------------------- */

apr_status_t ctx_glue_login_user(ctx_t *c, const char *id, int flags)
{
    ctx_session_t *s;
    login_state_t *st;
    request_rec *r;
    apr_status_t rv;
    const char *copy, *ident;

    if (!(c = resolve_ctx(c)) || !(r = client_request(c))
        || !ctx_login_id_valid(id, flags & CTX_LOGIN_REMEMBER)) {
        return APR_EINVAL;
    }
    if (!(s = ctx_glue_session(c, &rv))) {
        return rv;
    }
    st = state_of(c);
    ident = identifier(st, r);
    if ((rv = ctx_session_regenerate(s)) != APR_SUCCESS
        || (rv = ctx_login_store(s, id, !(flags & CTX_LOGIN_NOT_FRESH),
                                 ident)) != APR_SUCCESS) {
        return rv;
    }
    copy = apr_pstrdup(ctx_context_main(c)->pool, id);
    if (flags & CTX_LOGIN_REMEMBER) {
        ctx_login_key_t *keys = NULL;
        request_rec *out = answering_request(c);
        const char *value;

        if (remember_keys(out, &keys) > 0
            && (value = ctx_login_remember_encode(r->pool, &keys[0], copy))) {
            remember_cookie_header(out, value);
        }
    }
    st->resolved = 1;
    ctx_login_cache_set(&st->cache, copy);
    return APR_SUCCESS;
}

apr_status_t ctx_glue_logout_user(ctx_t *c)
{
    ctx_session_t *s;
    login_state_t *st;
    request_rec *r;
    apr_status_t rv;

    if (!(c = resolve_ctx(c)) || !(r = client_request(c))) {
        return APR_EINVAL;
    }
    if (!(s = ctx_glue_session(c, &rv))) {
        return rv;
    }
    if ((rv = ctx_login_forget(s)) != APR_SUCCESS
        || (rv = ctx_session_regenerate(s)) != APR_SUCCESS) {
        return rv;
    }
    if (remember_cookie(r)) {
        remember_cookie_header(answering_request(c), NULL);
    }
    st = state_of(c);
    st->resolved = 1;
    ctx_login_cache_set(&st->cache, NULL);
    return APR_SUCCESS;
}

int ctx_glue_login_fresh(ctx_t *c)
{
    apr_status_t rv;
    ctx_session_t *s;

    if (!(c = resolve_ctx(c)) || !resolve_login(c, state_of(c))) {
        return 0;
    }
    s = ctx_glue_session(c, &rv);
    return s && ctx_login_session_fresh(s);
}

apr_status_t ctx_glue_confirm_login(ctx_t *c)
{
    ctx_session_t *s;
    login_state_t *st;
    request_rec *r;
    apr_status_t rv;

    if (!(c = resolve_ctx(c)) || !(r = client_request(c))) {
        return APR_EINVAL;
    }
    st = state_of(c);
    if (!resolve_login(c, st)) {
        return APR_NOTFOUND;
    }
    if (!(s = ctx_glue_session(c, &rv))) {
        return rv;
    }
    return ctx_login_store(s, st->cache.id, 1, identifier(st, r));
}

int ctx_glue_login_next_is_safe(const char *next)
{
    return ctx_login_next_is_safe(next);
}

/* ---- AuthType ctx ----------------------------------------------------------- */

/* Redirect to `url` with next= the client's original path and query (only
 * if that is a safe local path), or 401 without a url. */
static int send_to(request_rec *r, const char *url)
{
    request_rec *first = r;
    const char *next;

    if (!url) {
        return HTTP_UNAUTHORIZED;
    }
    while (first->main) {
        first = first->main;
    }
    while (first->prev) {
        first = first->prev;
    }
    next = first->parsed_uri.path;
    if (next && first->parsed_uri.query) {
        next = apr_pstrcat(r->pool, next, "?", first->parsed_uri.query, NULL);
    }
    if (ctx_login_next_is_safe(next)) {
        url = apr_pstrcat(r->pool, url, strchr(url, '?') ? "&" : "?",
                          "next=", ctx_login_quote(r->pool, next), NULL);
    }
    apr_table_setn(r->headers_out, "Location", url);
    return HTTP_MOVED_TEMPORARILY;
}

static int login_check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r), *id;
    ctx_dir_conf_t *d;
    ctx_t *c;

    if (!type || strcasecmp(type, "ctx")) {
        return DECLINED;
    }
    d = ctx_dir_conf(r);
    c = ctx_glue_of(r);
    id = c ? ctx_glue_current_user_id(c) : NULL;
    /* With a loader, an id it does not know (a deleted or disabled user)
     * is no login. */
    if (id && find_loader(app_of(c)) >= 0 && !ctx_glue_current_user(c)) {
        id = NULL;
    }
    if (!id) {
        return send_to(r, d->login_url);
    }
    r->user = apr_pstrdup(r->pool, id);
    r->ap_auth_type = (char *)type;     /* AUTH_TYPE for CGI */
    if (d->login_fresh_required == 1 && d->refresh_url
        && !ctx_glue_login_fresh(c)) {
        return send_to(r, d->refresh_url);
    }
    return OK;
}

/* Require ctx-fresh */
static authz_status fresh_check(request_rec *r, const char *line,
                                const void *parsed)
{
    ctx_t *c;

    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    c = ctx_glue_of(r);
    return c && ctx_glue_login_fresh(c) ? AUTHZ_GRANTED : AUTHZ_DENIED;
}

static const char *fresh_parse(cmd_parms *cmd, const char *line,
                               const void **parsed)
{
    ctx_dir_conf_t *d;

    if (line && *line) {
        return "Require ctx-fresh takes no argument";
    }
    /* Mark the section: AuthType ctx sends its stale logins to
     * CtxRefreshURL instead of answering 401. */
    d = ap_set_config_vectors(cmd->server, cmd->context, cmd->path,
                              &ctx_module, cmd->pool);
    if (d) {
        d->login_fresh_required = 1;
    }
    return NULL;
}

static const authz_provider fresh_provider = {
    fresh_check,
    fresh_parse,
};

static int login_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp)
{
    /* The apps of the last generation are gone: their loaders too. */
    nloaders = 0;
    return OK;
}

void ctx_glue_login_register(apr_pool_t *p)
{
    ap_hook_pre_config(login_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_authn(login_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "ctx-fresh",
                              AUTHZ_PROVIDER_VERSION, &fresh_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}
