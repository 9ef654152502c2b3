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
#include <errno.h>
#include <string.h>
#include <unistd.h>             /* geteuid */

#include "apr_strings.h"
#include "apr_lib.h"
#include "apr_user.h"
#include "apr_thread_mutex.h"

#include "mod_ctx_config.h"
#include "mod_ctx_bridge.h"
#include "mod_ctx_env.h"
#include "mod_ctx_login.h"
#include "mod_ctx_store.h"
#include "http_log.h"

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

const ctx_session_conf_t *ctx_config_resolve_session(apr_pool_t *p,
                                                    const ctx_dir_conf_t *d)
{
    ctx_session_conf_t *out = apr_palloc(p, sizeof(*out));

    ctx_session_conf_get(d, out);
    return out;
}

static ctx_dir_conf_t *merge(apr_pool_t *p, const ctx_dir_conf_t *base,
                             const ctx_dir_conf_t *add)
{
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
    if (!ctx_config_sets_session(add) && base->resolved) {
        conf->resolved = base->resolved;
    }
    else if (add->memo && base->resolved && add->memo_base == base->resolved) {
        conf->resolved = add->memo;
    }
    else {
        conf->resolved = ctx_config_resolve_session(p, conf);
    }
    return conf;
}

/* The kept merges' pool and its lock (worker threads merge at once): a
 * child's, NULL before child_init and in the parent. */
static apr_pool_t *kept_pool;
static apr_thread_mutex_t *kept_lock;

static apr_status_t kept_gone(void *unused)
{
    (void)unused;
    kept_pool = NULL;
    kept_lock = NULL;
    return APR_SUCCESS;
}

apr_status_t ctx_config_child_init(apr_pool_t *pchild)
{
    apr_pool_t *p;
    apr_status_t rv = apr_pool_create(&p, pchild);

    if (rv == APR_SUCCESS
        && (rv = apr_thread_mutex_create(&kept_lock, APR_THREAD_MUTEX_DEFAULT,
                                         p)) == APR_SUCCESS) {
        apr_pool_cleanup_register(p, NULL, kept_gone, apr_pool_cleanup_null);
        kept_pool = p;
    }
    return rv;
}

apr_pool_t *ctx_config_kept_lock(void)
{
    return kept_lock && apr_thread_mutex_lock(kept_lock) == APR_SUCCESS
               ? kept_pool : NULL;
}

void ctx_config_kept_unlock(void)
{
    apr_thread_mutex_unlock(kept_lock);
}

/* The merge of `add` over `base`, both lasting, made once: NULL when
 * add's slots are full (or before child_init). Not inlined: the lookup
 * before it then saves no registers. */
__attribute__((noinline))
static ctx_dir_conf_t *merge_kept(const ctx_dir_conf_t *base,
                                  const ctx_dir_conf_t *add, int i)
{
    ctx_dir_conf_t *m = NULL;

    if (!ctx_config_kept_lock()) {
        return NULL;
    }
    /* Another thread may have kept it since the caller looked. */
    for (; i < CTX_MERGE_SLOTS
           && (m = __atomic_load_n(&add->cache->slots[i], __ATOMIC_RELAXED));
         ++i) {
        if (m->cache->from_base == base) {
            break;
        }
    }
    if (i < CTX_MERGE_SLOTS && !m) {
        m = merge(kept_pool, base, add);
        m->cache = apr_pcalloc(kept_pool, sizeof(*m->cache));
        m->cache->from_base = base;
        __atomic_store_n(&add->cache->slots[i], m, __ATOMIC_RELEASE);
    }
    else if (i == CTX_MERGE_SLOTS) {
        m = NULL;
    }
    ctx_config_kept_unlock();
    return m;
}

/* httpd merges a request's sections anew for every request (ap_location_
 * walk): a merge of two lasting configurations is made once per child and
 * shared, read-only, by every request after it. */
void *ctx_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const ctx_dir_conf_t *base = basev, *add = addv;
    ctx_dir_conf_t *m;
    int i;

    if (add->cache && base->cache) {
        for (i = 0; i < CTX_MERGE_SLOTS; ++i) {
            m = __atomic_load_n(&add->cache->slots[i], __ATOMIC_ACQUIRE);
            if (!m) {
                break;
            }
            if (m->cache->from_base == base) {
                return m;
            }
        }
        if (i < CTX_MERGE_SLOTS && (m = merge_kept(base, add, i)) != NULL) {
            return m;
        }
    }
    return merge(p, base, add);
}

#define OR_DEFAULT(v, d) (((v) != CTX_UNSET) ? (v) : (d))

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
    out->cookie_problem = ctx_config_cookie_rule(out, &fields);
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
                            ctx_config_user_label(cmd->pool, sec->file.link_owner));
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
