/* mod_ctx_config_check: what is checked and prepared once the whole
 * configuration is read (check_config, post_config): secrets strong and
 * key files well owned, no session cookie with attributes browsers refuse
 * in any section, the sections' session settings resolved once, one app
 * per virtual host with its keys and prepared bindings, apps that share a
 * key. A problem fails the start and `apachectl -t`, naming the directive
 * and where it is. mod_ctx_config.c holds the structures and directives. */
#include <string.h>
#include <unistd.h>             /* geteuid */

#include "apr_strings.h"
#include "apr_atomic.h"
#include "apr_user.h"

#include "mod_ctx_config.h"
#include "mod_ctx_login.h"
#include "http_log.h"
#include "unixd.h"

APLOG_USE_MODULE(ctx);

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

const char *ctx_config_user_label(apr_pool_t *p, apr_uid_t uid)
{
    char *name = NULL;

    if (apr_uid_name_get(&name, uid, p) != APR_SUCCESS) {
        name = "no such user";
    }
    return apr_psprintf(p, "uid %ld (%s)", (long)uid, name);
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
                 ctx_config_user_label(p, owner),
                 user ? user : ctx_config_user_label(p, geteuid()));
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

int ctx_config_sets_session(const ctx_dir_conf_t *d)
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

void ctx_config_keep_merges(apr_pool_t *pconf, ctx_dir_conf_t *d)
{
    if (d && !d->cache) {
        d->cache = apr_pcalloc(pconf, sizeof(*d->cache));
    }
}

/* Secure means On: Auto sends no Secure over http, where these cookies
 * are then dropped, and On works wherever Auto would. */
const char *ctx_config_cookie_rule(const ctx_session_conf_t *c, int *fields)
{
    int secure = c->attrs.secure;       /* On; Auto leaves it 0 */
    int host = !strncasecmp(c->attrs.name, "__Host-", 7);

    *fields = CTX_COOKIE_NAME | CTX_COOKIE_SECURE;
    if ((host || !strncasecmp(c->attrs.name, "__Secure-", 9)) && !secure) {
        return host ? "a __Host- cookie name needs CtxSessionCookieSecure On"
                    : "a __Secure- cookie name needs CtxSessionCookieSecure "
                      "On";
    }
    if (host && c->attrs.domain) {
        *fields = CTX_COOKIE_NAME | CTX_COOKIE_DOMAIN;
        return "a __Host- cookie name allows no CtxSessionCookieDomain";
    }
    if (host && strcmp(c->attrs.path, "/")) {
        *fields = CTX_COOKIE_NAME | CTX_COOKIE_PATH;
        return "a __Host- cookie name needs CtxSessionCookiePath /";
    }
    *fields = CTX_COOKIE_SAMESITE | CTX_COOKIE_SECURE;
    if (c->attrs.samesite == CTX_SAMESITE_NONE && !secure) {
        return "CtxSessionCookieSameSite None needs CtxSessionCookieSecure On";
    }
    *fields = CTX_COOKIE_PARTITIONED | CTX_COOKIE_SECURE;
    if (c->attrs.partitioned && !secure) {
        return "CtxSessionCookiePartitioned On needs CtxSessionCookieSecure "
               "On";
    }
    *fields = 0;
    return NULL;
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

/* The `fields` that `d` sets itself. */
static int fields_set(const ctx_dir_conf_t *d, int fields)
{
    return ((fields & CTX_COOKIE_NAME) && d->cookie_name)
           || ((fields & CTX_COOKIE_SECURE) && d->cookie_secure != CTX_UNSET)
           || ((fields & CTX_COOKIE_DOMAIN) && d->cookie_domain)
           || ((fields & CTX_COOKIE_PATH) && d->cookie_path)
           || ((fields & CTX_COOKIE_SAMESITE)
               && d->cookie_samesite != CTX_UNSET)
           || ((fields & CTX_COOKIE_PARTITIONED)
               && d->cookie_partitioned != CTX_UNSET);
}

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
            if (d->session != 1 || !(problem = ctx_config_cookie_rule(&conf, &fields))
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
 * shared): a request merging it over them then resolves nothing. Every
 * section, as the server's defaults, lasts: its merges are kept. */
static void memo_sections(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                          ctx_dir_conf_t *base)
{
    apr_array_header_t *all = sections_of(ptemp, s);

    for (int i = 0; i < all->nelts; ++i) {
        ctx_dir_conf_t *d = (ctx_dir_conf_t *)APR_ARRAY_IDX(all, i,
                                                            section_t).d;

        ctx_config_keep_merges(pconf, d);
        if (d && !d->memo && ctx_config_sets_session(d)) {
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
            dconf->resolved = ctx_config_resolve_session(pconf, dconf);
        }
        if (dconf) {
            prepare_cookie(pconf, dconf->resolved);
        }
        if (dconf) {
            ctx_config_keep_merges(pconf, dconf);
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
