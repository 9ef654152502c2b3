/* mod_ctx_store: see mod_ctx_store.h. */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_provider.h"
#include "ap_socache.h"
#include "util_mutex.h"
#include "apr_global_mutex.h"
#include "apr_strings.h"

#include "ctx_session_id.h"
#include "ctx_store_deadline.h"
#include "ctx_store_health.h"
#include "mod_ctx_config.h"
#include "mod_ctx_store.h"

APLOG_USE_MODULE(ctx);

struct ctx_glue_store_t {
    const char *spec;           /* the directive's argument */
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    server_rec *s;              /* for the provider's log lines */
    apr_global_mutex_t *mutex;  /* NOTMPSAFE providers only */
    int id;                     /* set at post_config: >0 once initialised */
    ctx_store_t inner;
    ctx_store_ops_t ops;
    ctx_store_health_t *health;
    ctx_store_deadline_t *deadline; /* network providers only */
    int relative_ttl_cap;       /* memcache: longest lifetime it takes */
};

/* memcached reads a lifetime over 30 days as a Unix date (long past), and
 * mod_socache_memcache hands it the lifetime as is: longer ones are cut to
 * this (an active session is refreshed long before). */
#define MEMCACHE_MAX_TTL (30 * 24 * 3600)

/* The store whose mutex this thread holds for a whole save (see
 * ctx_glue_store_lock): its operations must not take it again. */
static __thread ctx_glue_store_t *held;

/* The modules that provide each of httpd's socache providers, for the
 * message when one is not loaded. */
static const char *provider_module(const char *name)
{
    if (!strcmp(name, "shmcb")) return "socache_shmcb_module (mod_socache_shmcb.so)";
    if (!strcmp(name, "redis")) return "socache_redis_module (mod_socache_redis.so)";
    if (!strcmp(name, "memcache")) return "socache_memcache_module (mod_socache_memcache.so)";
    if (!strcmp(name, "dbm")) return "socache_dbm_module (mod_socache_dbm.so)";
    if (!strcmp(name, "dc")) return "socache_dc_module (mod_socache_dc.so)";
    return NULL;
}

/* ---- the ctx_store_t operations over the provider ----------------------- */

static apr_status_t lock(ctx_glue_store_t *gs)
{
    return gs->mutex && held != gs ? apr_global_mutex_lock(gs->mutex)
                                   : APR_SUCCESS;
}

static void unlock(ctx_glue_store_t *gs)
{
    if (gs->mutex && held != gs) {
        apr_global_mutex_unlock(gs->mutex);
    }
}

int ctx_glue_store_lock(ctx_glue_store_t *gs)
{
    if (!gs || !gs->mutex || held == gs
        || apr_global_mutex_lock(gs->mutex) != APR_SUCCESS) {
        return 0;
    }
    held = gs;
    return 1;
}

void ctx_glue_store_unlock(ctx_glue_store_t *gs, int locked)
{
    if (locked && held == gs) {
        held = NULL;
        apr_global_mutex_unlock(gs->mutex);
    }
}

static apr_status_t op_get(void *baton, const char *key, apr_size_t klen,
                           unsigned char *buf, apr_size_t *len, apr_pool_t *p)
{
    ctx_glue_store_t *gs = baton;
    unsigned int n = *len > UINT_MAX ? UINT_MAX : (unsigned int)*len;
    apr_status_t rv;

    if ((rv = lock(gs)) != APR_SUCCESS) {
        return rv;
    }
    rv = gs->provider->retrieve(gs->instance, gs->s,
                                (const unsigned char *)key,
                                (unsigned int)klen, buf, &n, p);
    unlock(gs);
    if (rv == APR_SUCCESS) {
        *len = n;
    }
    /* Providers say "your buffer is too small" with APR_ENOSPC or, for
     * some, APR_ENOMEM: the contract's APR_ENOSPC either way. */
    return rv == APR_ENOMEM ? APR_ENOSPC : rv;
}

static apr_status_t op_set(void *baton, const char *key, apr_size_t klen,
                           const unsigned char *val, apr_size_t vlen,
                           apr_time_t expiry, apr_pool_t *p)
{
    ctx_glue_store_t *gs = baton;
    apr_status_t rv;

    if (vlen > UINT_MAX) {
        return APR_ENOSPC;
    }
    if (gs->relative_ttl_cap
        && expiry > apr_time_now() + apr_time_from_sec(gs->relative_ttl_cap)) {
        expiry = apr_time_now() + apr_time_from_sec(gs->relative_ttl_cap);
    }
    if ((rv = lock(gs)) != APR_SUCCESS) {
        return rv;
    }
    /* The provider's prototype is not const; none of them writes to it. */
    rv = gs->provider->store(gs->instance, gs->s, (const unsigned char *)key,
                             (unsigned int)klen, expiry,
                             (unsigned char *)val, (unsigned int)vlen, p);
    unlock(gs);
    return rv;
}

static apr_status_t op_remove(void *baton, const char *key, apr_size_t klen,
                              apr_pool_t *p)
{
    ctx_glue_store_t *gs = baton;
    apr_status_t rv;

    if ((rv = lock(gs)) != APR_SUCCESS) {
        return rv;
    }
    rv = gs->provider->remove(gs->instance, gs->s, (const unsigned char *)key,
                              (unsigned int)klen, p);
    unlock(gs);
    return rv;
}

/* ---- configuration ------------------------------------------------------ */

const char *ctx_glue_store_set_timeout(cmd_parms *cmd, void *dconf,
                                       const char *v)
{
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    apr_interval_time_t t;

    (void)dconf;
    if (err) {
        return err;
    }
    if (!strcasecmp(v, "off")) {
        /* Calls in the request thread, bounded by the provider alone. */
        ctx_server_conf(cmd->server)->store_timeout = -1;
        return NULL;
    }
    if (ap_timeout_parameter_parse(v, &t, "s") != APR_SUCCESS
        || t < CTX_STORE_TIMEOUT_MIN || t > CTX_STORE_TIMEOUT_MAX) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a duration from "
                            "10ms to 300s (e.g. 2, 2s, 500ms) nor 'off'",
                            cmd->cmd->name, v);
    }
    ctx_server_conf(cmd->server)->store_timeout = t;
    return NULL;
}

const char *ctx_glue_store_parse(cmd_parms *cmd, const char *arg,
                                 ctx_glue_store_t **out)
{
    ctx_glue_store_t *gs;
    const char *name, *args, *colon, *err;

    *out = NULL;
    if (!strcasecmp(arg, "cookie")) {
        return NULL;
    }
    if (strncasecmp(arg, "socache:", 8) || !arg[8] || arg[8] == ':') {
        return apr_psprintf(cmd->pool, "%s: '%s' is neither 'cookie' nor "
                            "'socache:PROVIDER[:ARGS]' (e.g. socache:shmcb, "
                            "socache:redis:127.0.0.1:6379)", cmd->cmd->name,
                            arg);
    }
    name = arg + 8;
    colon = strchr(name, ':');
    args = colon ? colon + 1 : NULL;
    name = colon ? apr_pstrmemdup(cmd->pool, name, (apr_size_t)(colon - name))
                 : name;
    gs = apr_pcalloc(cmd->pool, sizeof(*gs));
    gs->spec = apr_pstrdup(cmd->pool, arg);
    gs->provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                      AP_SOCACHE_PROVIDER_VERSION);
    if (!gs->provider) {
        const char *mod = provider_module(name);

        return apr_psprintf(cmd->pool, "%s %s: the socache provider '%s' is "
                            "not loaded%s%s%s", cmd->cmd->name, arg, name,
                            mod ? ": load " : " (no module registered it)",
                            mod ? mod : "",
                            mod ? " with LoadModule before this line" : "");
    }
    err = gs->provider->create(&gs->instance, args && *args ? args : NULL,
                               cmd->temp_pool, cmd->pool);
    if (err) {
        return apr_psprintf(cmd->pool, "%s %s: the socache provider '%s' "
                            "refused its arguments: %s", cmd->cmd->name, arg,
                            name, err);
    }
    gs->s = cmd->server;
    gs->relative_ttl_cap = !strcmp(name, "memcache") ? MEMCACHE_MAX_TTL : 0;
    gs->ops.name = gs->provider->name;
    gs->ops.get = op_get;
    gs->ops.set = op_set;
    gs->ops.remove = op_remove;
    gs->inner.ops = &gs->ops;
    gs->inner.baton = gs;
    *out = gs;
    return NULL;
}

const ctx_store_t *ctx_glue_store_get(ctx_glue_store_t *gs)
{
    return gs && gs->health ? ctx_store_health_store(gs->health) : NULL;
}

const char *ctx_glue_store_name(const ctx_glue_store_t *gs)
{
    return gs ? gs->spec : "cookie";
}

int ctx_glue_store_pre_config(apr_pool_t *pconf)
{
    apr_status_t rv = ap_mutex_register(pconf, CTX_STORE_MUTEX_TYPE, NULL,
                                        APR_LOCK_DEFAULT, 0);

    return rv == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

/* How long a child's exit waits for a hanging store call to return
 * before it leaves the provider's connections alone. */
#define CTX_STORE_DRAIN_WAIT apr_time_from_sec(1)

static apr_status_t destroy_store(void *baton)
{
    ctx_glue_store_t *gs = baton;

    /* A call still inside the provider uses its connections: destroying
     * them under it would be a use-after-free in that thread. */
    if (gs->deadline
        && ctx_store_deadline_drain(gs->deadline, CTX_STORE_DRAIN_WAIT) > 0) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, gs->s, "mod_ctx: "
                     "CtxSessionStore %s: a call still hangs in the "
                     "provider; its connections are left to the exit",
                     gs->spec);
        gs->id = 0;
    }
    if (gs->instance && gs->id > 0) {
        gs->provider->destroy(gs->instance, gs->s);
    }
    gs->id = 0;
    gs->health = NULL;
    gs->deadline = NULL;
    gs->mutex = NULL;
    return APR_SUCCESS;
}

static int init_store(apr_pool_t *pconf, server_rec *s, ctx_glue_store_t *gs,
                      int id)
{
    /* Hints for the provider's layout (shmcb sizes its subcaches by them):
     * a store key, a stored session of a few hundred bytes. */
    static const struct ap_socache_hints hints = {
        CTX_SID_STORE_KEY_LEN, 1024, apr_time_from_sec(30)
    };
    const char *cname = apr_psprintf(pconf, "mod_ctx-%d", id);
    apr_status_t rv;

    if (gs->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&gs->mutex, NULL, CTX_STORE_MUTEX_TYPE,
                                    apr_psprintf(pconf, "%d", id), s, pconf,
                                    0);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "mod_ctx: "
                         "CtxSessionStore %s: cannot create its mutex",
                         gs->spec);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    rv = gs->provider->init(gs->instance, cname, &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "mod_ctx: "
                     "CtxSessionStore %s: the provider failed to initialise",
                     gs->spec);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    gs->id = id;
    gs->s = s;
    /* Network providers may hang (their own timeouts do not hold, see
     * ctx_store_deadline.h): their calls run under a deadline. The
     * NOTMPSAFE ones (shmcb, dbm) are local and run under the global mutex
     * in the request thread, which must never give up holding it. */
    if (!(gs->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE)
        && ctx_server_conf(s)->store_timeout >= 0) {
        apr_interval_time_t t = ctx_server_conf(s)->store_timeout;

        gs->deadline = ctx_store_deadline_create(
            pconf, &gs->inner, t ? t : CTX_STORE_TIMEOUT_DEFAULT,
            CTX_STORE_DEADLINE_THREADS);
    }
    /* After the deadline's own cleanup, so that it runs before it (pool
     * cleanups run last registered first) and can drain it. */
    apr_pool_cleanup_register(pconf, gs, destroy_store,
                              apr_pool_cleanup_null);
    gs->health = ctx_store_health_create(
        pconf, gs->deadline ? ctx_store_deadline_store(gs->deadline)
                            : &gs->inner, gs->spec);
    if (!gs->health
        || (!gs->mutex && !gs->deadline
            && ctx_server_conf(s)->store_timeout >= 0)) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, APR_ENOMEM, s, "mod_ctx: "
                     "CtxSessionStore %s: out of memory", gs->spec);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

int ctx_glue_store_post_config(apr_pool_t *pconf, server_rec *main_s)
{
    int id = 0;

    for (server_rec *s = main_s; s; s = s->next) {
        ctx_glue_store_t *gs = ctx_server_conf(s)->store;
        int rc;

        /* Vhosts that inherit the directive share the main's instance. */
        if (gs && gs->id == 0 && (rc = init_store(pconf, s, gs, ++id)) != OK) {
            return rc;
        }
    }
    return OK;
}

void ctx_glue_store_child_init(apr_pool_t *pchild, server_rec *main_s)
{
    for (server_rec *s = main_s; s; s = s->next) {
        ctx_glue_store_t *gs = ctx_server_conf(s)->store;

        if (gs && gs->mutex && s == gs->s) {
            apr_status_t rv = apr_global_mutex_child_init(
                &gs->mutex, apr_global_mutex_lockfile(gs->mutex), pchild);

            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "mod_ctx: "
                             "CtxSessionStore %s: cannot open its mutex in "
                             "this child", gs->spec);
            }
        }
    }
}
