/* mod_ctx_config: see mod_ctx_config.h.
 *
 * Defaults and merge rules of every field:
 *   server  app_name    NULL (ServerName)   not inherited: one app per vhost
 *           config      empty               server -> vhost, vhost keys win
 *           secret,     NULL, empty         together: a vhost that sets its
 *           fallbacks                       key or a fallback has only its own
 *                                           key and fallbacks; else inherited
 *           session_used 0                  either
 *           allow_weak  0                   main server only (GLOBAL_ONLY)
 *           task_threads 4, task_queue 1024, task_drain 5 s: main server
 *                       only (GLOBAL_ONLY), copied into every vhost
 *           legacy_cookies Auto             vhost's own, else inherited
 *   dir     config      empty               outer -> inner, inner keys win
 *           every session field  CTX_UNSET/NULL  inner if set, else outer;
 *                       defaults applied by ctx_session_conf_get()
 *           max_body    CTX_UNSET           inner if set, else outer; 1 MiB
 *           session_env none                outer's, then inner's (the
 *                                           inner one wins for a variable)
 *           bridge      CTX_UNSET (Off)     inner if set, else outer */
#include <string.h>

#include <errno.h>
#include <unistd.h>

#include "apr_strings.h"
#include "apr_lib.h"
#include "apr_user.h"
#include "apr_atomic.h"

#include "mod_ctx_config.h"
#include "mod_ctx_bridge.h"
#include "mod_ctx_env.h"
#include "mod_ctx_login.h"
#include "mod_ctx_store.h"
#include "http_core.h"
#include "http_log.h"
#include "unixd.h"

extern module AP_MODULE_DECLARE_DATA ctx_module;
APLOG_USE_MODULE(ctx);

/* CtxConfig of an inner section over an outer one. httpd merges the
 * <Location>/<Directory> sections of every request anew: when one side is
 * empty (most sections set no CtxConfig), share the other instead of
 * building a new hash per request. Merged tables are only read. */
static apr_hash_t *overlay(apr_pool_t *p, apr_hash_t *add, apr_hash_t *base)
{
    if (apr_hash_count(add) == 0) {
        return base;
    }
    if (apr_hash_count(base) == 0) {
        return add;
    }
    return apr_hash_overlay(p, add, base);
}

void *ctx_create_server_conf(apr_pool_t *p, server_rec *s)
{
    ctx_server_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    (void)s;
    conf->app_name = NULL;
    conf->config = apr_hash_make(p);
    conf->app = NULL;
    conf->fallbacks = apr_array_make(p, 2, sizeof(ctx_secret_t));
    conf->task_threads = CTX_TASK_DEFAULT_THREADS;
    conf->task_queue = CTX_TASK_DEFAULT_QUEUE;
    conf->task_drain = apr_time_from_sec(CTX_TASK_DEFAULT_DRAIN);
    conf->legacy_cookies = CTX_UNSET;
    return conf;
}

void *ctx_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    ctx_server_conf_t *base = basev, *add = addv;
    ctx_server_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    conf->app_name = add->app_name;
    conf->config = overlay(p, add->config, base->config);
    conf->app = NULL;
    /* The key and its fallbacks go together: a vhost with its own key has
     * exactly its own fallbacks (none of the main site's old keys), one with
     * neither inherits both. Fallbacks without an own key: ctx_config_check
     * refuses them. */
    if (add->secret || add->fallbacks->nelts) {
        conf->secret = add->secret;
        conf->fallbacks = add->fallbacks;
    }
    else {
        conf->secret = base->secret;
        conf->fallbacks = base->fallbacks;
    }
    conf->session_used = add->session_used || base->session_used;
    conf->allow_weak = base->allow_weak;
    conf->keys = NULL;
    /* Only the main server's task settings count (GLOBAL_ONLY). */
    conf->task_threads = base->task_threads;
    conf->task_queue = base->task_queue;
    conf->task_drain = base->task_drain;
    conf->legacy_cookies = add->legacy_cookies != CTX_UNSET
                               ? add->legacy_cookies : base->legacy_cookies;
    /* A vhost without CtxSessionStore shares the main server's store (one
     * instance); "cookie" there turns it off. */
    conf->store_set = add->store_set || base->store_set;
    conf->store = add->store_set ? add->store : base->store;
    conf->store_timeout = add->store_timeout ? add->store_timeout
                                             : base->store_timeout;
    return conf;
}

void *ctx_create_dir_conf(apr_pool_t *p, char *dir)
{
    ctx_dir_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    (void)dir;
    conf->config = apr_hash_make(p);
    conf->session = conf->format = CTX_UNSET;
    conf->cookie_secure = conf->cookie_httponly = CTX_UNSET;
    conf->cookie_samesite = conf->cookie_partitioned = CTX_UNSET;
    conf->max_age = CTX_UNSET;
    conf->refresh = conf->max_size = CTX_UNSET;
    conf->max_lifetime = CTX_UNSET;
    conf->max_body = CTX_UNSET;
    conf->bridge = CTX_UNSET;
    conf->login_protection = conf->login_fresh_required = CTX_UNSET;
    return conf;
}

/* Does `d` itself set a directive that ctx_session_conf_get reads? */
static int sets_session(const ctx_dir_conf_t *d)
{
    return d->session != CTX_UNSET || d->format != CTX_UNSET
           || d->cookie_name || d->cookie_path || d->cookie_domain
           || d->cookie_secure != CTX_UNSET
           || d->cookie_httponly != CTX_UNSET
           || d->cookie_samesite != CTX_UNSET
           || d->cookie_partitioned != CTX_UNSET || d->max_age != CTX_UNSET
           || d->refresh != CTX_UNSET || d->max_size != CTX_UNSET
           || d->max_lifetime != CTX_UNSET;
}

static const ctx_session_conf_t *resolve_session(apr_pool_t *p,
                                                 const ctx_dir_conf_t *d)
{
    ctx_session_conf_t *out = apr_palloc(p, sizeof(*out));

    ctx_session_conf_get(d, out);
    return out;
}

void *ctx_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    ctx_dir_conf_t *base = basev, *add = addv;
    ctx_dir_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    conf->config = overlay(p, add->config, base->config);
#define MERGE_INT(f) conf->f = (add->f != CTX_UNSET) ? add->f : base->f
#define MERGE_PTR(f) conf->f = add->f ? add->f : base->f
    MERGE_INT(session);
    MERGE_INT(format);
    MERGE_PTR(cookie_name);
    MERGE_PTR(cookie_path);
    MERGE_PTR(cookie_domain);
    MERGE_INT(cookie_secure);
    MERGE_INT(cookie_httponly);
    MERGE_INT(cookie_samesite);
    MERGE_INT(cookie_partitioned);
    MERGE_INT(max_age);
    MERGE_INT(refresh);
    MERGE_INT(max_size);
    MERGE_INT(max_lifetime);
    MERGE_INT(max_body);
    MERGE_INT(bridge);
    conf->session_env = ctx_env_merge(p, base->session_env, add->session_env);
    MERGE_PTR(login_url);
    MERGE_PTR(refresh_url);
    MERGE_INT(login_protection);
    MERGE_INT(login_fresh_required);
#undef MERGE_INT
#undef MERGE_PTR
    /* Merged per request for every section: resolve the session settings
     * only where this section sets one of them, and not even there when
     * check_config did it for the same base. A resolved pointer only ever
     * goes with the session fields it was resolved from. */
    if (!sets_session(add) && base->resolved) {
        conf->resolved = base->resolved;
    }
    else if (add->memo && base->resolved && add->memo_base == base->resolved) {
        conf->resolved = add->memo;
    }
    else {
        conf->resolved = resolve_session(p, conf);
    }
    return conf;
}

#define OR_DEFAULT(v, d) (((v) != CTX_UNSET) ? (v) : (d))

/* The directives a cookie rule depends on (bits of cookie_rule()'s
 * *fields). */
enum {
    F_NAME = 1, F_SECURE = 2, F_DOMAIN = 4, F_PATH = 8,
    F_SAMESITE = 16, F_PARTITIONED = 32
};

/* Why browsers (RFC 6265bis, CHIPS) would drop a cookie with these
 * attributes, or NULL; *fields says which directives decide it. Secure
 * means On: Auto sends no Secure over http, where these cookies are then
 * dropped, and On works wherever Auto would. */
static const char *cookie_rule(const ctx_session_conf_t *c, int *fields)
{
    int secure = c->attrs.secure;       /* On; Auto leaves it 0 */
    int host = !strncasecmp(c->attrs.name, "__Host-", 7);

    *fields = F_NAME | F_SECURE;
    if ((host || !strncasecmp(c->attrs.name, "__Secure-", 9)) && !secure) {
        return host ? "a __Host- cookie name needs CtxSessionCookieSecure On"
                    : "a __Secure- cookie name needs CtxSessionCookieSecure "
                      "On";
    }
    if (host && c->attrs.domain) {
        *fields = F_NAME | F_DOMAIN;
        return "a __Host- cookie name allows no CtxSessionCookieDomain";
    }
    if (host && strcmp(c->attrs.path, "/")) {
        *fields = F_NAME | F_PATH;
        return "a __Host- cookie name needs CtxSessionCookiePath /";
    }
    *fields = F_SAMESITE | F_SECURE;
    if (c->attrs.samesite == CTX_SAMESITE_NONE && !secure) {
        return "CtxSessionCookieSameSite None needs CtxSessionCookieSecure On";
    }
    *fields = F_PARTITIONED | F_SECURE;
    if (c->attrs.partitioned && !secure) {
        return "CtxSessionCookiePartitioned On needs CtxSessionCookieSecure "
               "On";
    }
    *fields = 0;
    return NULL;
}

/* The `fields` that `d` sets itself. */
static int fields_set(const ctx_dir_conf_t *d, int fields)
{
    return ((fields & F_NAME) && d->cookie_name)
           || ((fields & F_SECURE) && d->cookie_secure != CTX_UNSET)
           || ((fields & F_DOMAIN) && d->cookie_domain)
           || ((fields & F_PATH) && d->cookie_path)
           || ((fields & F_SAMESITE) && d->cookie_samesite != CTX_UNSET)
           || ((fields & F_PARTITIONED) && d->cookie_partitioned != CTX_UNSET);
}

void ctx_session_conf_get(const ctx_dir_conf_t *d, ctx_session_conf_t *out)
{
    int secure = OR_DEFAULT(d->cookie_secure, CTX_SECURE_AUTO);
    int fields;

    out->enabled = OR_DEFAULT(d->session, 0);
    out->format = (ctx_format_t)OR_DEFAULT(d->format, CTX_FORMAT_SIGNED);
    out->attrs.name = d->cookie_name ? d->cookie_name : "session";
    out->attrs.path = d->cookie_path ? d->cookie_path : "/";
    out->attrs.domain = (d->cookie_domain && *d->cookie_domain)
                            ? d->cookie_domain : NULL;
    out->secure_auto = secure == CTX_SECURE_AUTO;
    out->attrs.secure = secure == 1;
    out->attrs.httponly = OR_DEFAULT(d->cookie_httponly, 1);
    out->attrs.samesite = (ctx_samesite_t)OR_DEFAULT(d->cookie_samesite,
                                                     CTX_SAMESITE_LAX);
    out->attrs.partitioned = OR_DEFAULT(d->cookie_partitioned, 0);
    out->attrs.tail[0] = out->attrs.tail[1] = NULL;   /* not prepared */
    out->max_age = d->max_age != CTX_UNSET ? d->max_age
                                           : CTX_SESSION_DEFAULT_MAX_AGE;
    out->refresh = OR_DEFAULT(d->refresh, 1);
    out->max_size = OR_DEFAULT(d->max_size, CTX_SESSION_MAX_COOKIE);
    out->max_lifetime = OR_DEFAULT(d->max_lifetime, 0);
    out->cookie_problem = cookie_rule(out, &fields);
    if (out->cookie_problem) {
        out->enabled = 0;
    }
}

const ctx_session_conf_t *ctx_session_conf_of(const ctx_dir_conf_t *d,
                                              ctx_session_conf_t *buf)
{
    if (d->resolved) {
        return d->resolved;
    }
    ctx_session_conf_get(d, buf);
    return buf;
}

void ctx_config_log_cookie_problem(request_rec *r)
{
    static apr_uint32_t logged;
    ctx_session_conf_t buf;
    const ctx_session_conf_t *conf;
    ctx_dir_conf_t *d = ctx_dir_conf(r);

    if (r->main || !d || d->session != 1) {
        return;
    }
    conf = ctx_session_conf_of(d, &buf);
    if (conf->cookie_problem && apr_atomic_cas32(&logged, 1, 0) == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_ctx: no session for "
                      "%s: %s (cookie %s; the settings of several sections "
                      "combined; logged once per process)", r->uri,
                      conf->cookie_problem, conf->attrs.name);
    }
}

ctx_server_conf_t *ctx_server_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &ctx_module);
}

ctx_dir_conf_t *ctx_dir_conf(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &ctx_module);
}

/* A name that is safe in log lines and headers: printable ASCII, no
 * spaces or quotes. */
static const char *check_token(cmd_parms *cmd, const char *what,
                               const char *v, const char *extra_ok)
{
    if (!*v) {
        return apr_psprintf(cmd->pool, "%s: the %s must not be empty",
                            cmd->cmd->name, what);
    }
    for (const char *c = v; *c; ++c) {
        if (!apr_isalnum(*c) && !strchr(extra_ok, *c)) {
            return apr_psprintf(cmd->pool, "%s: invalid character '%c' in "
                                "%s '%s' (allowed: letters, digits and "
                                "\"%s\")", cmd->cmd->name,
                                apr_isprint(*c) ? *c : '?', what, v,
                                extra_ok);
        }
    }
    return NULL;
}

static const char *set_app_name(cmd_parms *cmd, void *dconf, const char *v)
{
    ctx_server_conf_t *conf = ctx_server_conf(cmd->server);
    const char *err;

    (void)dconf;
    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT)) != NULL) {
        return err;
    }
    if ((err = check_token(cmd, "application name", v, "-_.:")) != NULL) {
        return err;
    }
    if (conf->app_name && strcmp(conf->app_name, v)) {
        return apr_psprintf(cmd->pool, "%s: already set to '%s' for this "
                            "server; one name per virtual host",
                            cmd->cmd->name, conf->app_name);
    }
    conf->app_name = v;
    return NULL;
}

static const char *set_config(cmd_parms *cmd, void *dconf, const char *key,
                              const char *val)
{
    apr_hash_t *h;
    const char *err;

    if ((err = check_token(cmd, "key", key, "_-.")) != NULL) {
        return err;
    }
    h = cmd->path ? ((ctx_dir_conf_t *)dconf)->config
                  : ctx_server_conf(cmd->server)->config;
    if (apr_hash_get(h, key, APR_HASH_KEY_STRING)) {
        return apr_psprintf(cmd->pool, "%s: key '%s' is set twice in the "
                            "same context", cmd->cmd->name, key);
    }
    apr_hash_set(h, key, APR_HASH_KEY_STRING, val);
    return NULL;
}

/* ---- sessions -------------------------------------------------------- */

/* "uid N (name)" for messages, in `p`. */
static const char *user_label(apr_pool_t *p, apr_uid_t uid)
{
    char *name = NULL;

    if (apr_uid_name_get(&name, uid, p) != APR_SUCCESS) {
        name = "no such user";
    }
    return apr_psprintf(p, "uid %ld (%s)", (long)uid, name);
}

static ctx_dir_conf_t *dir_of(cmd_parms *cmd, void *dconf)
{
    (void)cmd;
    return dconf;
}

/* Fill `sec` from an inline secret, or with cmd->info "file" from the key
 * file at `v` (read now, as root; its owner is checked at check_config,
 * when the User is known). `origin` names it in messages. */
static const char *read_secret(cmd_parms *cmd, const char *v,
                               const char *origin, ctx_secret_t *sec)
{
    const char *path, *err;
    apr_status_t rv;

    if (!cmd->info) {
        if (!*v) {
            return apr_psprintf(cmd->pool, "%s: the key must not be empty",
                                cmd->cmd->name);
        }
        sec->bytes = v;
        sec->len = strlen(v);
        sec->origin = origin;
        return NULL;
    }
    if (!(path = ap_server_root_relative(cmd->pool, v))) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, v);
    }
    rv = ctx_keyring_read_file_info(cmd->pool, path, &sec->bytes, &sec->len,
                                    &sec->file, &err);
    if (rv != APR_SUCCESS) {
        char buf[120];

        return apr_psprintf(cmd->pool, "%s: %s %s (%s)", cmd->cmd->name,
                            path, err, apr_strerror(rv, buf, sizeof(buf)));
    }
    /* A link that someone else may replace would pick the key: only root
     * (or the unprivileged user that starts httpd) may own it. */
    if (sec->file.is_link && sec->file.link_owner != 0
        && sec->file.link_owner != geteuid()) {
        return apr_psprintf(cmd->pool, "%s: %s is a symbolic link owned by "
                            "%s; a link to a key file must be owned by root",
                            cmd->cmd->name, path,
                            user_label(cmd->pool, sec->file.link_owner));
    }
    sec->path = path;
    sec->origin = apr_pstrcat(cmd->pool, cmd->cmd->name, " ", path, NULL);
    return NULL;
}

/* CtxSecretKey, CtxSecretKeyFile */
static const char *set_secret(cmd_parms *cmd, void *dconf, const char *v)
{
    ctx_server_conf_t *conf = ctx_server_conf(cmd->server);
    ctx_secret_t *sec;
    const char *err;

    (void)dconf;
    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT)) != NULL) {
        return err;
    }
    if (conf->secret) {
        return apr_psprintf(cmd->pool, "%s: a secret key is already set for "
                            "this server (by %s); use CtxSecretKeyFallback for "
                            "older keys", cmd->cmd->name, conf->secret->origin);
    }
    sec = apr_pcalloc(cmd->pool, sizeof(*sec));
    if ((err = read_secret(cmd, v, cmd->cmd->name, sec)) == NULL) {
        conf->secret = sec;
    }
    return err;
}

/* CtxSecretKeyFallback, CtxSecretKeyFallbackFile */
static const char *add_fallback(cmd_parms *cmd, void *dconf, const char *v)
{
    ctx_server_conf_t *conf = ctx_server_conf(cmd->server);
    ctx_secret_t *sec;
    const char *err;

    (void)dconf;
    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT)) != NULL) {
        return err;
    }
    sec = apr_pcalloc(cmd->pool, sizeof(*sec));
    err = read_secret(cmd, v, apr_psprintf(cmd->pool, "%s #%d",
                                           cmd->cmd->name,
                                           conf->fallbacks->nelts + 1), sec);
    if (!err) {
        *(ctx_secret_t *)apr_array_push(conf->fallbacks) = *sec;
    }
    return err;
}

/* CtxSecretKeyAllowWeak: read at check_config, so that it also covers the
 * secrets set before it. One setting for the whole server. */
static const char *set_allow_weak(cmd_parms *cmd, void *dconf, int on)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)dconf;
    if (!err) {
        ctx_server_conf(cmd->server)->allow_weak = on;
    }
    return err;
}

/* CtxSessionStore cookie | socache:PROVIDER[:ARGS] (mod_ctx_store.c). */
static const char *set_store(cmd_parms *cmd, void *dconf, const char *v)
{
    ctx_server_conf_t *conf = ctx_server_conf(cmd->server);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);

    (void)dconf;
    if (!err && !(err = ctx_glue_store_parse(cmd, v, &conf->store))) {
        conf->store_set = 1;
    }
    return err;
}

static const char *set_session(cmd_parms *cmd, void *dconf, int on)
{
    dir_of(cmd, dconf)->session = on;
    if (on) {
        ctx_server_conf(cmd->server)->session_used = 1;
    }
    return NULL;
}

static const char *set_format(cmd_parms *cmd, void *dconf, const char *v)
{
    static const char *const names[] = { "signed", "encrypted", "flask" };

    for (int i = 0; i < 3; ++i) {
        if (!strcasecmp(v, names[i])) {
            dir_of(cmd, dconf)->format = i;
            return NULL;
        }
    }
    return apr_psprintf(cmd->pool, "%s: unknown format '%s' (use signed, "
                        "encrypted or flask)", cmd->cmd->name, v);
}

static const char *set_cookie_str(cmd_parms *cmd, void *dconf, const char *v)
{
    ctx_dir_conf_t *d = dir_of(cmd, dconf);
    const char *which = cmd->info;

    if (!strcmp(which, "name")) {
        if (!ctx_cookie_name_ok(v)) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid cookie "
                                "name (a token: no spaces, quotes or "
                                "separators)", cmd->cmd->name, v);
        }
        d->cookie_name = v;
    }
    else if (!strcmp(which, "path")) {
        if (!ctx_cookie_attr_ok(v) || v[0] != '/') {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid cookie "
                                "path (must start with '/', no ';', ',' or "
                                "spaces)", cmd->cmd->name, v);
        }
        d->cookie_path = v;
    }
    else {
        if (strcasecmp(v, "none") && !ctx_cookie_attr_ok(v)) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid cookie "
                                "domain", cmd->cmd->name, v);
        }
        d->cookie_domain = strcasecmp(v, "none") ? v : "";
    }
    return NULL;
}

static const char *set_cookie_flag(cmd_parms *cmd, void *dconf, int on)
{
    ctx_dir_conf_t *d = dir_of(cmd, dconf);

    if (!strcmp(cmd->info, "httponly")) {
        d->cookie_httponly = on;
    }
    else if (!strcmp(cmd->info, "partitioned")) {
        d->cookie_partitioned = on;
    }
    else {
        d->refresh = on;
    }
    return NULL;
}

static const char *set_cookie_secure(cmd_parms *cmd, void *dconf,
                                     const char *v)
{
    ctx_dir_conf_t *d = dir_of(cmd, dconf);

    if (!strcasecmp(v, "on")) d->cookie_secure = 1;
    else if (!strcasecmp(v, "off")) d->cookie_secure = 0;
    else if (!strcasecmp(v, "auto")) d->cookie_secure = CTX_SECURE_AUTO;
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' must be On, Off or Auto",
                            cmd->cmd->name, v);
    }
    return NULL;
}

static const char *set_samesite(cmd_parms *cmd, void *dconf, const char *v)
{
    ctx_dir_conf_t *d = dir_of(cmd, dconf);

    if (!strcasecmp(v, "lax")) d->cookie_samesite = CTX_SAMESITE_LAX;
    else if (!strcasecmp(v, "strict")) d->cookie_samesite = CTX_SAMESITE_STRICT;
    else if (!strcasecmp(v, "none")) d->cookie_samesite = CTX_SAMESITE_NONE;
    else if (!strcasecmp(v, "off")) d->cookie_samesite = CTX_SAMESITE_UNSET;
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' must be Lax, Strict, None "
                            "or Off (no attribute)", cmd->cmd->name, v);
    }
    return NULL;
}

static const char *parse_number(cmd_parms *cmd, const char *v,
                                apr_int64_t min, apr_int64_t max,
                                apr_int64_t *out)
{
    char *end;
    apr_int64_t n;

    errno = 0;
    n = apr_strtoi64(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be a whole number "
                            "from %" APR_INT64_T_FMT " to %" APR_INT64_T_FMT,
                            cmd->cmd->name, v, min, max);
    }
    *out = n;
    return NULL;
}

static const char *set_max_age(cmd_parms *cmd, void *dconf, const char *v)
{
    apr_int64_t n;
    const char *err = parse_number(cmd, v, 1, 10LL * 366 * 24 * 3600, &n);

    if (!err) {
        dir_of(cmd, dconf)->max_age = n;
    }
    return err;
}

static const char *set_max_lifetime(cmd_parms *cmd, void *dconf,
                                    const char *v)
{
    apr_int64_t n;
    const char *err = parse_number(cmd, v, 0, 100LL * 366 * 24 * 3600, &n);

    if (!err) {
        dir_of(cmd, dconf)->max_lifetime = n;
    }
    return err;
}

static const char *set_legacy(cmd_parms *cmd, void *dconf, const char *v)
{
    ctx_server_conf_t *conf = ctx_server_conf(cmd->server);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);

    (void)dconf;
    if (err) {
        return err;
    }
    if (!strcasecmp(v, "on")) conf->legacy_cookies = 1;
    else if (!strcasecmp(v, "off")) conf->legacy_cookies = 0;
    else if (!strcasecmp(v, "auto")) conf->legacy_cookies = CTX_LEGACY_AUTO;
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' must be On, Off or Auto",
                            cmd->cmd->name, v);
    }
    return NULL;
}

static const char *set_max_size(cmd_parms *cmd, void *dconf, const char *v)
{
    apr_int64_t n;
    /* Over CTX_SESSION_MAX_COOKIE only with a store: ctx_config_check
     * refuses it for a cookie session (the store may be set later). */
    const char *err = parse_number(cmd, v, 256, CTX_SESSION_STORE_MAX_SIZE,
                                   &n);

    if (err) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be a whole number "
                            "from 256 to %d (to %d with CtxSessionStore "
                            "socache:...)", cmd->cmd->name, v,
                            CTX_SESSION_MAX_COOKIE,
                            CTX_SESSION_STORE_MAX_SIZE);
    }
    dir_of(cmd, dconf)->max_size = (int)n;
    return NULL;
}

/* CtxMaxBodySize: 0 refuses every body. */
static const char *set_max_body(cmd_parms *cmd, void *dconf, const char *v)
{
    apr_int64_t n;
    const char *err = parse_number(cmd, v, 0, CTX_BODY_MAX_LIMIT, &n);

    if (!err) {
        dir_of(cmd, dconf)->max_body = n;
    }
    return err;
}

apr_int64_t ctx_body_limit(const ctx_dir_conf_t *d)
{
    return d->max_body != CTX_UNSET ? d->max_body : CTX_BODY_DEFAULT_MAX;
}

/* CtxTaskThreads / CtxTaskQueue / CtxTaskDrainTimeout: one task pool per
 * child process, so these belong to the main server only. */
static const char *set_task_number(cmd_parms *cmd, void *dconf, const char *v)
{
    ctx_server_conf_t *conf = ctx_server_conf(cmd->server);
    const char *which = cmd->info;
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    apr_int64_t n;

    (void)dconf;
    if (err) {
        return err;
    }
    if (!strcmp(which, "threads")) {
        if (!(err = parse_number(cmd, v, 1, CTX_TASK_MAX_THREADS, &n))) {
            conf->task_threads = (int)n;
        }
    }
    else if (!strcmp(which, "queue")) {
        if (!(err = parse_number(cmd, v, 1, CTX_TASK_MAX_QUEUE, &n))) {
            conf->task_queue = (int)n;
        }
    }
    else if (!(err = parse_number(cmd, v, 0, 3600, &n))) {
        conf->task_drain = apr_time_from_sec(n);
    }
    return err;
}

#define DIR_OR_SERVER (RSRC_CONF | ACCESS_CONF)

const command_rec ctx_cmds[] = {
    AP_INIT_TAKE1("CtxSecretKey", set_secret, NULL, RSRC_CONF,
                  "The secret that signs and encrypts session cookies"),
    AP_INIT_TAKE1("CtxSecretKeyFile", set_secret, "file", RSRC_CONF,
                  "A file (mode 0600 or 0400) holding the secret key"),
    AP_INIT_TAKE1("CtxSecretKeyFallback", add_fallback, NULL, RSRC_CONF,
                  "An older secret still accepted for reading (repeatable)"),
    AP_INIT_TAKE1("CtxSecretKeyFallbackFile", add_fallback, "file", RSRC_CONF,
                  "A file (mode 0600 or 0400) holding an older secret still "
                  "accepted for reading (repeatable)"),
    AP_INIT_FLAG("CtxSecretKeyAllowWeak", set_allow_weak, NULL, RSRC_CONF,
                 "On: accept secrets shorter than 32 bytes or of fewer than "
                 "8 different bytes, with a warning (default: Off, refused)"),
    AP_INIT_FLAG("CtxSession", set_session, NULL, DIR_OR_SERVER,
                 "On: requests here have a cookie session"),
    AP_INIT_TAKE1("CtxSessionFormat", set_format, NULL, DIR_OR_SERVER,
                  "signed (default), encrypted or flask"),
    AP_INIT_TAKE1("CtxSessionCookieName", set_cookie_str, "name",
                  DIR_OR_SERVER, "Session cookie name (default: session)"),
    AP_INIT_TAKE1("CtxSessionCookiePath", set_cookie_str, "path",
                  DIR_OR_SERVER, "Path attribute (default: /)"),
    AP_INIT_TAKE1("CtxSessionCookieDomain", set_cookie_str, "domain",
                  DIR_OR_SERVER, "Domain attribute (default: none)"),
    AP_INIT_TAKE1("CtxSessionCookieSecure", set_cookie_secure, NULL,
                  DIR_OR_SERVER, "On, Off or Auto (default: on https)"),
    AP_INIT_FLAG("CtxSessionCookieHttpOnly", set_cookie_flag, "httponly",
                 DIR_OR_SERVER, "HttpOnly attribute (default: On)"),
    AP_INIT_TAKE1("CtxSessionCookieSameSite", set_samesite, NULL,
                  DIR_OR_SERVER, "Lax (default), Strict, None or Off"),
    AP_INIT_FLAG("CtxSessionCookiePartitioned", set_cookie_flag,
                 "partitioned", DIR_OR_SERVER,
                 "Partitioned attribute (default: Off)"),
    AP_INIT_TAKE1("CtxSessionMaxAge", set_max_age, NULL, DIR_OR_SERVER,
                  "Session lifetime in seconds (default: 31 days)"),
    AP_INIT_FLAG("CtxSessionRefresh", set_cookie_flag, "refresh",
                 DIR_OR_SERVER, "Re-issue permanent sessions on every "
                 "request (default: On)"),
    AP_INIT_TAKE1("CtxSessionMaxSize", set_max_size, NULL, DIR_OR_SERVER,
                  "Largest Set-Cookie value in bytes (256-4093, default "
                  "4093); with CtxSessionStore socache:..., largest stored "
                  "value (256-1048576, default 16384)"),
    AP_INIT_TAKE1("CtxSessionStore", set_store, NULL, RSRC_CONF,
                  "Where sessions are kept: cookie (default) or "
                  "socache:PROVIDER[:ARGS] (shmcb, redis, memcache, dbm)"),
    AP_INIT_TAKE1("CtxSessionStoreTimeout", ctx_glue_store_set_timeout, NULL,
                  RSRC_CONF, "Longest wait for a network session store "
                  "(redis, memcache) per call, e.g. 2 or 500ms, or off (default 2s)"),
    AP_INIT_TAKE1("CtxSessionMaxLifetime", set_max_lifetime, NULL,
                  DIR_OR_SERVER, "Seconds a session lives after its "
                  "creation however often it is refreshed (default 0: no "
                  "limit)"),
    AP_INIT_TAKE1("CtxSessionLegacyCookies", set_legacy, NULL, RSRC_CONF,
                  "On, Off or Auto (default): still read s1/e1 cookies of "
                  "mod_ctx before cookie format 2"),
    AP_INIT_TAKE1("CtxMaxBodySize", set_max_body, NULL, DIR_OR_SERVER,
                  "Largest request body mod_ctx reads, in bytes (0-1073741824, "
                  "default 1048576)"),
    AP_INIT_TAKE1("CtxAppName", set_app_name, NULL, RSRC_CONF,
                  "Name of this virtual host's application (default: its "
                  "ServerName)"),
    AP_INIT_TAKE1("CtxTaskThreads", set_task_number, "threads", RSRC_CONF,
                  "Background task threads per child process (default 4)"),
    AP_INIT_TAKE1("CtxTaskQueue", set_task_number, "queue", RSRC_CONF,
                  "Background tasks waiting per child before submits are "
                  "refused (default 1024)"),
    AP_INIT_TAKE1("CtxTaskDrainTimeout", set_task_number, "drain", RSRC_CONF,
                  "Seconds a stopping child lets queued tasks run (default "
                  "5)"),
    AP_INIT_TAKE2("CtxConfig", set_config, NULL, RSRC_CONF | ACCESS_CONF,
                  "KEY VALUE: an application configuration value, readable "
                  "with ctx_config()"),
    AP_INIT_TAKE12("CtxSessionEnv", ctx_env_set_export, NULL, DIR_OR_SERVER,
                   "KEY [VARNAME]: put the session's KEY into the subprocess "
                   "environment as VARNAME (default CTX_SESSION_KEY; never "
                   "HTTP_*) (repeatable)"),
    AP_INIT_FLAG("CtxSessionBridge", ctx_bridge_set, NULL, DIR_OR_SERVER,
                 "On: mod_ctx's session is the storage of mod_session "
                 "(Session On, mod_auth_form) here (default: Off)"),
    CTX_LOGIN_DIRECTIVES
    { NULL }
};

static const char *server_label(server_rec *s)
{
    return s->defn_name ? apr_psprintf(s->process->pconf, "%s:%d (%s)",
                                       s->defn_name, s->defn_line_number,
                                       s->server_hostname ? s->server_hostname
                                                          : "-")
                        : "the main server";
}

/* Why `sec` fails the strength rule (ctx_keys.h), in `p`; NULL if it
 * passes. */
static const char *weakness(apr_pool_t *p, const ctx_secret_t *sec)
{
    int distinct = 0;

    switch (ctx_secret_strength(sec->bytes, sec->len, &distinct)) {
    case CTX_SECRET_TOO_SHORT:
        return apr_psprintf(p, "is only %" APR_SIZE_T_FMT " byte%s long (at "
                            "least %d are required)", sec->len,
                            sec->len == 1 ? "" : "s", CTX_KEY_MIN_LEN);
    case CTX_SECRET_TOO_UNIFORM:
        return apr_psprintf(p, "has only %d different byte values (at least "
                            "%d are required)", distinct,
                            CTX_KEY_MIN_DISTINCT);
    default:
        return NULL;
    }
}

/* Apply the strength rule to `sec` of server `s`: 0 (logged) if it is weak
 * and CtxSecretKeyAllowWeak is Off; with it On, a warning when `warn`. */
static int check_strength(const ctx_secret_t *sec, server_rec *s,
                          int allow_weak, int warn)
{
    const char *why = weakness(s->process->pconf, sec);

    if (!why) {
        return 1;
    }
    if (!allow_weak) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "mod_ctx: the secret of "
                     "%s for %s %s: use random bytes (e.g. `openssl rand "
                     "-base64 48`), or set CtxSecretKeyAllowWeak On to accept "
                     "it with a warning", sec->origin, server_label(s), why);
        return 0;
    }
    if (warn) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "mod_ctx: the secret of "
                     "%s for %s %s; accepted because of CtxSecretKeyAllowWeak "
                     "On", sec->origin, server_label(s), why);
    }
    return 1;
}

/* A key file must belong to root or to the user httpd runs as: anyone
 * else could change the key (or, with a mode check alone, read it first).
 * 0 (logged) if not. At check_config, when User has been read. */
static int check_owner(const ctx_secret_t *sec, server_rec *s)
{
    apr_uid_t owner = sec->file.owner;
    apr_pool_t *p = s->process->pconf;
    const char *user;

    if (!sec->path || owner == 0 || owner == ap_unixd_config.user_id
        || owner == geteuid()) {
        return 1;
    }
    /* Not root: httpd does not switch users and runs as whoever started
     * it (the User directive has no effect). */
    user = geteuid() == 0 ? ap_unixd_config.user_name : NULL;
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "mod_ctx: %s for %s is owned "
                 "by %s: a key file must be owned by root or by the user "
                 "httpd runs as (%s)", sec->origin, server_label(s),
                 user_label(p, owner),
                 user ? user : user_label(p, geteuid()));
    return 0;
}

/* Call fn on each secret of `s` that is its own, the key first, then the
 * fallbacks: a vhost that inherits the main server's key and fallbacks has
 * none (they are the main server's, seen once). 0 as soon as fn returns 0. */
typedef int secret_fn(const ctx_secret_t *sec, server_rec *s, void *baton);

static int each_own_secret(server_rec *main_s, server_rec *s, secret_fn *fn,
                           void *baton)
{
    ctx_server_conf_t *conf = ctx_server_conf(s);

    if (s != main_s && conf->secret == ctx_server_conf(main_s)->secret) {
        return 1;
    }
    if (conf->secret && !fn(conf->secret, s, baton)) {
        return 0;
    }
    for (int i = 0; i < conf->fallbacks->nelts; ++i) {
        if (!fn(&APR_ARRAY_IDX(conf->fallbacks, i, ctx_secret_t), s, baton)) {
            return 0;
        }
    }
    return 1;
}

typedef struct {
    int owners;         /* check key file owners */
    int allow_weak;     /* CtxSecretKeyAllowWeak */
    int warn;           /* log the warning about an allowed weak secret */
} secret_check_t;

static int check_secret(const ctx_secret_t *sec, server_rec *s, void *baton)
{
    const secret_check_t *how = baton;

    return (!how->owners || check_owner(sec, s))
           && check_strength(sec, s, how->allow_weak, how->warn);
}

/* Check every secret of every server: key file owners when `owners` (at
 * check_config), and the strength rule. 0 if one is refused. */
static int check_secrets(server_rec *main_s, int owners, int warn)
{
    secret_check_t how;

    how.owners = owners;
    how.allow_weak = ctx_server_conf(main_s)->allow_weak;
    how.warn = warn;
    for (server_rec *s = main_s; s; s = s->next) {
        if (!each_own_secret(main_s, s, check_secret, &how)) {
            return 0;
        }
    }
    return 1;
}

static int add_secret(ctx_keyring_t *kr, const ctx_secret_t *sec,
                      server_rec *s)
{
    if (ctx_keyring_add(kr, sec->bytes, sec->len) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "mod_ctx: cannot derive "
                     "keys from %s for %s", sec->origin, server_label(s));
        return 0;
    }
    return 1;
}

/* ---- cookie attributes at check_config --------------------------------- */

typedef struct {
    const ctx_dir_conf_t *d;    /* NULL: the section sets no Ctx* directive */
    const char *label;          /* "<Location /app>" */
} section_t;

static void add_nested(apr_array_header_t *out, apr_pool_t *p,
                       ap_conf_vector_t *v, int depth);

/* Add each section of `a` (<`kind` ...>) and the sections nested in it. */
static void add_sections(apr_array_header_t *out, apr_pool_t *p,
                         const apr_array_header_t *a, const char *kind,
                         int depth)
{
    for (int i = 0; a && i < a->nelts; ++i) {
        ap_conf_vector_t *sv = APR_ARRAY_IDX(a, i, ap_conf_vector_t *);
        core_dir_config *sc = ap_get_core_module_config(sv);
        section_t *sec = apr_array_push(out);

        sec->d = ap_get_module_config(sv, &ctx_module);
        /* <If> records "*If" as its path: name the kind alone then. */
        sec->label = sc && sc->d && *sc->d != '*'
                         ? apr_psprintf(p, "<%s %s>", kind, sc->d)
                         : apr_psprintf(p, "<%s>", kind);
        add_nested(out, p, sv, depth + 1);
    }
}

/* Add the <Files> and <If> sections nested in `v` (a section or a server's
 * defaults), recursively. */
static void add_nested(apr_array_header_t *out, apr_pool_t *p,
                       ap_conf_vector_t *v, int depth)
{
    core_dir_config *core = ap_get_core_module_config(v);

    if (core && depth < 8) {
        add_sections(out, p, core->sec_file, "Files", depth);
        add_sections(out, p, core->sec_if, "If", depth);
    }
}

/* Every section that a request of server `s` may merge (a vhost's lists
 * hold the main server's sections too). */
static apr_array_header_t *sections_of(apr_pool_t *p, server_rec *s)
{
    core_server_config *core = ap_get_core_module_config(s->module_config);
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(section_t));

    add_nested(out, p, s->lookup_defaults, 0);
    add_sections(out, p, core->sec_dir, "Directory", 0);
    add_sections(out, p, core->sec_url, "Location", 0);
    return out;
}

/* 1 if a section of `all` other than `self` sets one of `fields`: then a
 * request may merge them into something else than `self` over the server's
 * defaults, and only the request can tell (ctx_session_conf_get). */
static int set_elsewhere(const apr_array_header_t *all, const section_t *self,
                         int fields)
{
    for (int i = 0; i < all->nelts; ++i) {
        const section_t *o = &APR_ARRAY_IDX(all, i, section_t);

        if (o != self && o->d && fields_set(o->d, fields)) {
            return 1;
        }
    }
    return 0;
}

/* What CtxSessionStore forbids in the settings `d` of server `s`, or NULL:
 * a cookie over 4093 bytes (browsers drop it), a stored Flask cookie (a
 * Flask app cannot read the store; the store keeps signed or encrypted). */
static const char *store_rule(apr_pool_t *p, server_rec *s,
                              const ctx_dir_conf_t *d)
{
    int stored = ctx_server_conf(s)->store != NULL;

    if (!stored && d->max_size > CTX_SESSION_MAX_COOKIE) {
        return apr_psprintf(p, "CtxSessionMaxSize: '%d' must be a whole "
                            "number from 256 to %d without CtxSessionStore "
                            "socache:... (browsers drop larger cookies)",
                            d->max_size, CTX_SESSION_MAX_COOKIE);
    }
    if (stored && d->session == 1 && d->format == CTX_FORMAT_FLASK) {
        return "CtxSessionFormat flask cannot be kept in CtxSessionStore "
               "socache:... (use signed or encrypted)";
    }
    return NULL;
}

/* Refuse a session cookie that browsers would drop, where that is certain:
 * in a server's own settings, and in each section over them when no other
 * section sets a directive the problem depends on. */
static int check_cookies(apr_pool_t *ptemp, server_rec *main_s)
{
    for (server_rec *s = main_s; s; s = s->next) {
        ctx_dir_conf_t *base = ap_get_module_config(s->lookup_defaults,
                                                    &ctx_module);
        apr_array_header_t *all = sections_of(ptemp, s);

        for (int i = -1; base && i < all->nelts; ++i) {
            const section_t *sec = i < 0 ? NULL
                                         : &APR_ARRAY_IDX(all, i, section_t);
            const ctx_dir_conf_t *d;
            ctx_session_conf_t conf;
            const char *problem;
            int fields;

            if (sec && !sec->d) {
                continue;           /* the server's settings, seen at -1 */
            }
            d = sec ? ctx_merge_dir_conf(ptemp, base, (void *)sec->d) : base;
            ctx_session_conf_get(d, &conf);
            if ((problem = store_rule(ptemp, s, d))) {
                ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "mod_ctx: %s%s "
                             "for %s", problem,
                             sec ? apr_pstrcat(ptemp, " in ", sec->label, NULL)
                                 : "", server_label(s));
                return 0;
            }
            /* Where the session is off no cookie is sent; if another
             * section turns it on, the request checks. */
            if (d->session != 1 || !(problem = cookie_rule(&conf, &fields))
                || set_elsewhere(all, sec, fields)) {
                continue;
            }
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "mod_ctx: %s%s for "
                         "%s: browsers drop such a cookie (session cookie "
                         "'%s')", problem,
                         sec ? apr_pstrcat(ptemp, " in ", sec->label, NULL)
                             : "", server_label(s), conf.attrs.name);
            return 0;
        }
    }
    return 1;
}

/* The Set-Cookie attributes of a configuration-time resolution, written
 * once (ctx_cookie_build then copies them whole). Never for a request's
 * merge: most requests of a section send no cookie. */
static void prepare_cookie(apr_pool_t *pconf, const ctx_session_conf_t *c)
{
    ctx_session_conf_t *own = (ctx_session_conf_t *)c;  /* ours, in pconf */

    if (own && !own->attrs.tail[0]) {
        ctx_cookie_attrs_prepare(pconf, &own->attrs);
    }
}

/* Resolve once, over the server's own settings, each section of `s` that
 * sets a session directive (the first server's where a section is
 * shared): a request merging it over them then resolves nothing. */
static void memo_sections(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                          ctx_dir_conf_t *base)
{
    apr_array_header_t *all = sections_of(ptemp, s);

    for (int i = 0; i < all->nelts; ++i) {
        ctx_dir_conf_t *d = (ctx_dir_conf_t *)APR_ARRAY_IDX(all, i,
                                                            section_t).d;

        if (d && !d->memo && sets_session(d)) {
            const ctx_dir_conf_t *m = ctx_merge_dir_conf(pconf, base, d);

            d->memo_base = base->resolved;
            d->memo = m->resolved;
            prepare_cookie(pconf, d->memo);
        }
    }
}

int ctx_config_check(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *main_s)
{
    int used_anywhere = ctx_server_conf(main_s)->session_used;

    if (!check_cookies(ptemp, main_s)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    /* apache2 -t warns now (its only pass); a start or restart from
     * post_config, when the error log is open (ctx_config_warn_keys). */
    if (!check_secrets(main_s, 1, ap_state_query(AP_SQ_RUN_MODE)
                                  == AP_SQ_RM_CONFIG_TEST)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    for (server_rec *s = main_s; s; s = s->next) {
        ctx_server_conf_t *conf = ctx_server_conf(s);
        ctx_dir_conf_t *dconf = ap_get_module_config(s->lookup_defaults,
                                                     &ctx_module);

        /* The main server's are never merged (a virtual host's are). */
        if (dconf && !dconf->resolved) {
            dconf->resolved = resolve_session(pconf, dconf);
        }
        if (dconf) {
            prepare_cookie(pconf, dconf->resolved);
        }
        if (dconf) {
            memo_sections(pconf, ptemp, s, dconf);
        }
        conf->keys = NULL;
        if (conf->secret) {
            conf->keys = ctx_keyring_create(pconf);
            if (!add_secret(conf->keys, conf->secret, s)) {
                return HTTP_INTERNAL_SERVER_ERROR;
            }
            for (int i = 0; i < conf->fallbacks->nelts; ++i) {
                if (!add_secret(conf->keys, &APR_ARRAY_IDX(conf->fallbacks, i,
                                                           ctx_secret_t), s)) {
                    return HTTP_INTERNAL_SERVER_ERROR;
                }
            }
        }
        else if (conf->fallbacks->nelts) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "mod_ctx: "
                         "CtxSecretKeyFallback without CtxSecretKey or "
                         "CtxSecretKeyFile in %s%s", server_label(s),
                         s == main_s ? "" : " (a virtual host that lists "
                         "fallbacks needs its own key)");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if ((conf->session_used || used_anywhere) && !conf->keys) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "mod_ctx: CtxSession "
                         "On is used but %s has no secret key: set "
                         "CtxSecretKey or CtxSecretKeyFile (there is no "
                         "default key)", server_label(s));
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

/* The MAC and tag bindings of the server's app and its own session cookie
 * name, made once (ctx_codec_bind): a section that names another cookie
 * falls back to binding the names per MAC. */
static void prepare_bindings(apr_pool_t *pconf, server_rec *s,
                             ctx_server_conf_t *conf)
{
    ctx_dir_conf_t *d = ap_get_module_config(s->lookup_defaults, &ctx_module);
    const char *cookie = d && d->resolved ? d->resolved->attrs.name : NULL;

    for (int f = CTX_FORMAT_SIGNED; f <= CTX_FORMAT_ENCRYPTED; ++f) {
        conf->bound[f] = cookie ? ctx_codec_bind(pconf, (ctx_format_t)f,
                                                 ctx_app_name(conf->app),
                                                 cookie)
                                : NULL;
    }
}

apr_status_t ctx_config_build_apps(apr_pool_t *pconf, server_rec *s)
{
    for (; s; s = s->next) {
        ctx_server_conf_t *conf = ctx_server_conf(s);
        const char *name = conf->app_name;

        if (!name) {
            name = s->server_hostname ? s->server_hostname : "default";
        }
        conf->app = ctx_app_create(pconf, name, conf->config);
        if (!conf->app) {
            return APR_ENOMEM;
        }
        prepare_bindings(pconf, s, conf);
    }
    return APR_SUCCESS;
}

/* mod_info's /server-info?config prints every directive's arguments, so
 * secrets written in the configuration are one URL away: say so at startup
 * (a notice, logged whatever the LogLevel) when mod_info is loaded. */
static int notice_inline(const ctx_secret_t *sec, server_rec *s, void *baton)
{
    (void)baton;
    if (!sec->path) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "mod_ctx: the secret of "
                     "%s for %s is written in the configuration, which "
                     "mod_info shows at /server-info?config; keep secrets in "
                     "CtxSecretKeyFile / CtxSecretKeyFallbackFile",
                     sec->origin, server_label(s));
    }
    return 1;
}

void ctx_config_warn_keys(server_rec *main_s)
{
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return;
    }
    check_secrets(main_s, 0, 1);
    if (ap_find_linked_module("mod_info.c")) {
        for (server_rec *s = main_s; s; s = s->next) {
            each_own_secret(main_s, s, notice_inline, NULL);
        }
    }
}

/* 1 if the two keyrings hold a common secret (equal derived keys). */
static int keys_shared(const ctx_keyring_t *a, const ctx_keyring_t *b)
{
    for (int i = 0; i < ctx_keyring_count(a); ++i) {
        apr_size_t la, lb;
        const unsigned char *ka = ctx_keyring_key(a, i, CTX_KEY_SIGN, &la);

        for (int j = 0; j < ctx_keyring_count(b); ++j) {
            const unsigned char *kb = ctx_keyring_key(b, j, CTX_KEY_SIGN,
                                                      &lb);

            if (la == lb && memcmp(ka, kb, la) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

static void server_session_conf(server_rec *s, ctx_session_conf_t *out)
{
    ctx_session_conf_get(ap_get_module_config(s->lookup_defaults,
                                              &ctx_module), out);
}

void ctx_config_check_shared_keys(server_rec *main_s)
{
    int warn = ap_state_query(AP_SQ_MAIN_STATE)
               != AP_SQ_MS_CREATE_PRE_CONFIG;

    for (server_rec *s = main_s; s; s = s->next) {
        ctx_server_conf_t *conf = ctx_server_conf(s);
        const char *name = ctx_app_name(conf->app), *shared = NULL;
        ctx_session_conf_t sc;
        int flask, before = 1, warned = 0;

        conf->legacy_ok = 0;
        if (!conf->keys) {
            continue;
        }
        server_session_conf(s, &sc);
        flask = conf->session_used && sc.format == CTX_FORMAT_FLASK;
        for (server_rec *t = main_s; t; t = t->next) {
            ctx_server_conf_t *tc = ctx_server_conf(t);
            ctx_session_conf_t tsc;

            if (t == s) {
                before = 0;
                continue;
            }
            if (!tc->keys || !strcmp(ctx_app_name(tc->app), name)
                || !keys_shared(conf->keys, tc->keys)) {
                continue;
            }
            if (!shared) {
                shared = ctx_app_name(tc->app);
            }
            /* Flask binds neither app nor cookie name. One line per app,
             * naming the first app before it that it collides with. */
            server_session_conf(t, &tsc);
            if (warn && flask && before && !warned && tc->session_used
                && tsc.format == CTX_FORMAT_FLASK
                && !strcmp(tsc.attrs.name, sc.attrs.name)) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "mod_ctx: "
                             "apps '%s' and '%s' share a secret key and the "
                             "flask-format session cookie '%s': a cookie of "
                             "one is a session of the other (Flask binds "
                             "neither app nor cookie name); give each its "
                             "own CtxSecretKey", ctx_app_name(tc->app), name,
                             sc.attrs.name);
                warned = 1;
            }
        }
        /* Version 1 bound no app: read only where no other app can have
         * made it, unless told otherwise. */
        conf->legacy_ok = conf->legacy_cookies == 1
                          || (conf->legacy_cookies != 0 && !shared);
        if (warn && shared && conf->legacy_cookies != 1
            && conf->legacy_cookies != 0 && conf->session_used) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, "mod_ctx: app '%s' "
                         "shares its secret key with app '%s': cookies of "
                         "format 1 (s1, e1) are not read here "
                         "(CtxSessionLegacyCookies Auto)", name, shared);
        }
    }
}
