/* mod_ctx_config: directives, per-server and per-directory configuration,
 * and their merge rules. */
#ifndef MOD_CTX_CONFIG_H
#define MOD_CTX_CONFIG_H

#include "httpd.h"
#include "http_config.h"

#include "ctx_app.h"
#include "ctx_codec.h"
#include "ctx_cookie.h"
#include "ctx_keys.h"

/* A secret as configured; the derived keys are built at check_config. */
typedef struct {
    const char *bytes;
    apr_size_t len;
    const char *origin;     /* for messages: "CtxSecretKey", "CtxSecretKeyFile
                             * PATH", "CtxSecretKeyFallback #N" */
    const char *path;       /* the key file; NULL: written in the config */
    ctx_key_file_info_t file;   /* its owners (if path) */
} ctx_secret_t;

typedef struct {
    const char *app_name;   /* CtxAppName; NULL: the vhost's ServerName */
    apr_hash_t *config;     /* CtxConfig at server/vhost level */
    ctx_app_t *app;         /* built at post_config */
    ctx_secret_t *secret;   /* CtxSecretKey / CtxSecretKeyFile; NULL unset */
    apr_array_header_t *fallbacks;  /* ctx_secret_t, CtxSecretKeyFallback */
    int session_used;       /* CtxSession On appears in this server */
    int allow_weak;         /* CtxSecretKeyAllowWeak (main server only) */
    ctx_keyring_t *keys;    /* built at check_config; NULL without secret */
    int task_threads;       /* CtxTaskThreads (main server only) */
    int task_queue;         /* CtxTaskQueue */
    apr_interval_time_t task_drain;  /* CtxTaskDrainTimeout */
    int legacy_cookies;     /* CtxSessionLegacyCookies: CTX_UNSET (Auto),
                             * 0 Off, 1 On, CTX_LEGACY_AUTO */
    int legacy_ok;          /* resolved at post_config: read s1/e1 */
    struct ctx_glue_store_t *store; /* CtxSessionStore; NULL: cookie */
    int store_set;          /* CtxSessionStore appears in this server */
    apr_interval_time_t store_timeout;  /* CtxSessionStoreTimeout; 0 unset,
                                         * -1 off */
    int stats_app;          /* ctx-status: the app's counter row (post_config) */
    const void *stats_store;    /* ctx-status: store counting for the app */
    /* The signed and encrypted formats' bindings of the app and the
     * server's cookie name (ctx_codec_bind, post_config; indexed by
     * ctx_format_t), for the codec's `bound`. */
    const ctx_codec_bound_t *bound[2];
} ctx_server_conf_t;

#define CTX_LEGACY_AUTO 2   /* read s1/e1 unless another app shares a key */

#define CTX_TASK_DEFAULT_THREADS 4
#define CTX_TASK_DEFAULT_QUEUE 1024
#define CTX_TASK_DEFAULT_DRAIN 5
#define CTX_TASK_MAX_THREADS 256
#define CTX_TASK_MAX_QUEUE 1000000

#define CTX_UNSET (-1)
#define CTX_SECURE_AUTO 2   /* Secure when the request came over https */

typedef struct {
    apr_hash_t *config;     /* CtxConfig in <Directory>/<Location>/... */
    /* sessions; CTX_UNSET / NULL: inherit, then the default */
    int session;            /* CtxSession: 0 Off (default), 1 On */
    int format;             /* ctx_format_t; default signed */
    const char *cookie_name;    /* default "session" */
    const char *cookie_path;    /* default "/" */
    const char *cookie_domain;  /* default none ("" = none, explicitly) */
    int cookie_secure;      /* 0, 1, CTX_SECURE_AUTO (default) */
    int cookie_httponly;    /* default 1 */
    int cookie_samesite;    /* ctx_samesite_t; default Lax */
    int cookie_partitioned; /* default 0 */
    apr_int64_t max_age;    /* seconds; default 31 days */
    int refresh;            /* default 1 */
    int max_size;           /* bytes of Set-Cookie; default 4093 */
    apr_int64_t max_lifetime;   /* seconds since creation; default 0: none */
    apr_int64_t max_body;   /* CtxMaxBodySize; CTX_UNSET: 1 MiB */
    /* exports (mod_ctx_env.c, mod_ctx_bridge.c) */
    apr_array_header_t *session_env;   /* CtxSessionEnv: ctx_env_export_t,
                                        * NULL: none */
    int bridge;             /* CtxSessionBridge: default 0 */
    /* login (mod_ctx_login.c); NULL / CTX_UNSET: inherit */
    const char *login_url;      /* CtxLoginURL; none: 401 */
    const char *refresh_url;    /* CtxRefreshURL; none: 401 */
    int login_protection;       /* CtxLoginProtection; default basic */
    int login_fresh_required;   /* a Require ctx-fresh in this section */
    /* The session settings resolved (ctx_session_conf_of), shared with
     * the base when a merge adds no session directive; NULL: resolve on
     * each call. Read-only once set. */
    const struct ctx_session_conf_s *resolved;
    /* A section's: the resolved settings of it merged over memo_base (a
     * server's, set at check_config), so that its per-request merge over
     * them resolves nothing. */
    const struct ctx_session_conf_s *memo_base, *memo;
    /* Set on what lives as long as the configuration and is never written
     * again (a server's defaults, a section: at check_config; a kept
     * merge): the merges over it are kept there (ctx_merge_dir_conf).
     * NULL: a request's own merge, or an .htaccess's. */
    struct ctx_merge_cache_s *cache;
    /* The session glue's setup for this configuration and one server, made
     * once where it lasts (mod_ctx_session.c; __atomic, release). */
    const void *session_proto;
} ctx_dir_conf_t;

/* The merges kept per section: a section shared by this many bases (the
 * main server's <Location> in every virtual host) is merged per request
 * beyond them. */
#define CTX_MERGE_SLOTS 8

typedef struct ctx_merge_cache_s {
    const ctx_dir_conf_t *from_base;    /* a kept merge's base; else NULL */
    /* Merges over this one, each published once (__atomic, release) */
    ctx_dir_conf_t *slots[CTX_MERGE_SLOTS];
} ctx_merge_cache_t;

/* Mark `d` (in pconf, at check_config) as lasting: merges of it over or
 * under another lasting configuration are kept from then on. */
void ctx_config_keep_merges(apr_pool_t *pconf, ctx_dir_conf_t *d);

/* Make, in a child process, the pool and lock of the kept merges (they
 * live as long as pchild); before it, every merge is a new one. */
apr_status_t ctx_config_child_init(apr_pool_t *pchild);

/* The pool of the kept merges, locked, for what is kept with a lasting
 * configuration (it lives as long as the child); NULL (nothing locked)
 * before child_init. ctx_config_kept_unlock() after. */
apr_pool_t *ctx_config_kept_lock(void);
void ctx_config_kept_unlock(void);

/* CtxMaxBodySize: the default, and the largest value accepted. */
#define CTX_BODY_DEFAULT_MAX (1024 * 1024)
#define CTX_BODY_MAX_LIMIT (1024 * 1024 * 1024)

/* The body limit in bytes that applies to a directory configuration. */
apr_int64_t ctx_body_limit(const ctx_dir_conf_t *d);

/* Effective session settings of a directory configuration. */
typedef struct ctx_session_conf_s {
    int enabled;
    ctx_format_t format;
    ctx_cookie_attrs_t attrs;   /* secure resolved per request */
    int secure_auto;
    apr_int64_t max_age;
    int refresh;
    int max_size;
    apr_int64_t max_lifetime;
    /* Why browsers would drop this cookie (ctx_session_conf_get then turns
     * the session off); NULL when the attributes go together. */
    const char *cookie_problem;
} ctx_session_conf_t;

#define CTX_SESSION_DEFAULT_MAX_AGE (31 * 24 * 3600)
#define CTX_SESSION_MAX_COOKIE 4093
/* CtxSessionMaxSize with CtxSessionStore socache:...: the default and the
 * largest value (memcached's default item limit). */
#define CTX_SESSION_STORE_DEFAULT_SIZE 16384
#define CTX_SESSION_STORE_MAX_SIZE (1024 * 1024)

/* The effective settings of `d`. A cookie that browsers would refuse
 * (ctx_session_conf_t.cookie_problem) disables the session: refused at
 * check_config where certain, else found here per request. */
void ctx_session_conf_get(const ctx_dir_conf_t *d, ctx_session_conf_t *out);

/* The same, without resolving again per call: d's resolved settings (they
 * live as long as d), else `buf` filled by ctx_session_conf_get. */
const ctx_session_conf_t *ctx_session_conf_of(const ctx_dir_conf_t *d,
                                              ctx_session_conf_t *buf);

/* Log, at error level and once per process, that the session of `r` is off
 * because of its cookie attributes (a combination of several sections that
 * check_config could not see). */
void ctx_config_log_cookie_problem(request_rec *r);

extern const command_rec ctx_cmds[];

void *ctx_create_server_conf(apr_pool_t *p, server_rec *s);
void *ctx_merge_server_conf(apr_pool_t *p, void *base, void *add);
void *ctx_create_dir_conf(apr_pool_t *p, char *dir);
void *ctx_merge_dir_conf(apr_pool_t *p, void *base, void *add);

extern module AP_MODULE_DECLARE_DATA ctx_module;

/* The configuration of a server / of a request's directory (inline: the
 * glue asks several times per request). */
static APR_INLINE ctx_server_conf_t *ctx_server_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &ctx_module);
}

static APR_INLINE ctx_dir_conf_t *ctx_dir_conf(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &ctx_module);
}

/* ---- shared by mod_ctx_config.c and mod_ctx_config_check.c ------------- */

/* The directives a cookie rule depends on (bits of
 * ctx_config_cookie_rule's *fields). */
enum {
    CTX_COOKIE_NAME = 1, CTX_COOKIE_SECURE = 2, CTX_COOKIE_DOMAIN = 4,
    CTX_COOKIE_PATH = 8, CTX_COOKIE_SAMESITE = 16, CTX_COOKIE_PARTITIONED = 32
};

/* Why browsers (RFC 6265bis, CHIPS) would drop a cookie with these
 * attributes (a static string), or NULL; *fields says which directives
 * decide it. */
const char *ctx_config_cookie_rule(const ctx_session_conf_t *c, int *fields);

/* Does `d` itself set a directive that ctx_session_conf_get reads? */
int ctx_config_sets_session(const ctx_dir_conf_t *d);

/* ctx_session_conf_get of `d` into a new structure in `p`. */
const ctx_session_conf_t *ctx_config_resolve_session(apr_pool_t *p,
                                                    const ctx_dir_conf_t *d);

/* "uid N (name)" for messages, in `p`. */
const char *ctx_config_user_label(apr_pool_t *p, apr_uid_t uid);

/* ---- mod_ctx_config_check.c ---------------------------------------------- */

/* Build keyrings and check that every server using sessions has a key, that
 * secrets are strong and key files well owned, and that no session cookie
 * has attributes browsers refuse (check_config: a problem fails the start
 * and `apachectl -t`). */
int ctx_config_check(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);

/* Warn about weak secrets accepted with CtxSecretKeyAllowWeak On
 * (post_config of a real start or restart, when the error log is open;
 * apachectl -t warns from ctx_config_check). */
void ctx_config_warn_keys(server_rec *main_s);

/* Build one app per virtual host (at post_config, in pconf). */
apr_status_t ctx_config_build_apps(apr_pool_t *pconf, server_rec *s);

/* After the apps are built: find apps sharing a secret, resolve
 * CtxSessionLegacyCookies Auto from it and warn about flask-format apps
 * that share a key and a cookie name (post_config). */
void ctx_config_check_shared_keys(server_rec *main_s);

#endif
