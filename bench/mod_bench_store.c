/* mod_bench_store: the store floor of bench/run, a bare C handler that makes
 * exactly the socache calls of a server-side session's /counter in mod_ctx
 * and nothing else (no cookie, no id MAC, no JSON, no encoding).
 *
 *   <VirtualHost ...>
 *       BenchStoreFloor shmcb            (or redis:127.0.0.1:6379, memcache:...)
 *       <Location /store-floor>
 *           SetHandler bench-store-floor
 *       </Location>
 *   </VirtualHost>
 *
 * Per request, as mod_ctx does for /counter with CtxSessionStore
 * socache:PROVIDER: the load (lock, retrieve, unlock), then the save (lock,
 * retrieve the latest, store, unlock), on one 48-byte key and a 128-byte
 * value; the lock is a global mutex taken only for providers flagged
 * AP_SOCACHE_FLAG_NOTMPSAFE (shmcb), as mod_ctx's. It answers "count=1\n"
 * (the body length of /counter's first answers). The difference between this
 * and the bare handler is what the provider (and its mutex) costs; between
 * a store endpoint and this, what mod_ctx's session adds.
 *
 * Built by bench/run with apxs -c; not part of the project's build. */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_core.h"
#include "ap_provider.h"
#include "ap_socache.h"
#include "util_mutex.h"

#include "apr_global_mutex.h"
#include "apr_strings.h"

module AP_MODULE_DECLARE_DATA bench_store_module;
APLOG_USE_MODULE(bench_store);

#define HANDLER "bench-store-floor"
#define MUTEX_TYPE "bench-store-floor"
#define KEY_LEN 48
#define VALUE_LEN 128

typedef struct {
    const char *spec;
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    apr_global_mutex_t *mutex;
    int ready;
} store_conf_t;

static void *create_server(apr_pool_t *p, server_rec *s)
{
    (void)s;
    return apr_pcalloc(p, sizeof(store_conf_t));
}

static const char *set_floor(cmd_parms *cmd, void *dummy, const char *arg)
{
    store_conf_t *sc = ap_get_module_config(cmd->server->module_config,
                                            &bench_store_module);
    const char *colon = strchr(arg, ':');
    const char *name = colon ? apr_pstrmemdup(cmd->pool, arg, colon - arg) : arg;
    const char *err;

    (void)dummy;
    sc->spec = arg;
    sc->provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                      AP_SOCACHE_PROVIDER_VERSION);
    if (!sc->provider) {
        return apr_psprintf(cmd->pool, "BenchStoreFloor: socache provider "
                            "'%s' is not loaded", name);
    }
    err = sc->provider->create(&sc->instance, colon ? colon + 1 : NULL,
                               cmd->temp_pool, cmd->pool);
    return err ? apr_pstrcat(cmd->pool, "BenchStoreFloor: ", err, NULL) : NULL;
}

static int pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    (void)plog; (void)ptemp;
    return ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0)
           == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

static apr_status_t destroy(void *baton)
{
    store_conf_t *sc = baton;

    sc->provider->destroy(sc->instance, NULL);
    sc->ready = 0;
    return APR_SUCCESS;
}

/* The same hints as mod_ctx gives (a store key, a value of a few hundred
 * bytes), so that shmcb lays out its subcaches alike. */
static int post_config(apr_pool_t *pconf, apr_pool_t *plog,
                       apr_pool_t *ptemp, server_rec *main_s)
{
    static const struct ap_socache_hints hints = {
        KEY_LEN, 1024, apr_time_from_sec(30)
    };
    int id = 0;

    (void)plog; (void)ptemp;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    for (server_rec *s = main_s; s; s = s->next) {
        store_conf_t *sc = ap_get_module_config(s->module_config,
                                                &bench_store_module);
        apr_status_t rv;

        if (!sc->provider || sc->ready) {
            continue;
        }
        ++id;
        if (sc->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
            rv = ap_global_mutex_create(&sc->mutex, NULL, MUTEX_TYPE,
                                        apr_psprintf(pconf, "%d", id), s,
                                        pconf, 0);
            if (rv != APR_SUCCESS) {
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
        rv = sc->provider->init(sc->instance,
                                apr_psprintf(pconf, "benchfloor-%d", id),
                                &hints, s, pconf);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                         "BenchStoreFloor %s: cannot initialise", sc->spec);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        sc->ready = 1;
        apr_pool_cleanup_register(pconf, sc, destroy, apr_pool_cleanup_null);
    }
    return OK;
}

static void child_init(apr_pool_t *pchild, server_rec *main_s)
{
    for (server_rec *s = main_s; s; s = s->next) {
        store_conf_t *sc = ap_get_module_config(s->module_config,
                                                &bench_store_module);

        if (sc->ready && sc->mutex) {
            apr_global_mutex_child_init(&sc->mutex,
                                        apr_global_mutex_lockfile(sc->mutex),
                                        pchild);
        }
    }
}

static int floor_handler(request_rec *r)
{
    store_conf_t *sc;
    unsigned char key[KEY_LEN], value[VALUE_LEN], buf[1024];
    unsigned int len;
    server_rec *s = r->server;

    if (!r->handler || strcmp(r->handler, HANDLER)) {
        return DECLINED;
    }
    sc = ap_get_module_config(s->module_config, &bench_store_module);
    if (!sc->ready) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    memset(key, 'k', sizeof(key));
    memset(value, 'v', sizeof(value));
    /* the load */
    if (sc->mutex) apr_global_mutex_lock(sc->mutex);
    len = sizeof(buf);
    sc->provider->retrieve(sc->instance, s, key, sizeof(key), buf, &len,
                           r->pool);
    if (sc->mutex) apr_global_mutex_unlock(sc->mutex);
    /* the save: the latest, then the write */
    if (sc->mutex) apr_global_mutex_lock(sc->mutex);
    len = sizeof(buf);
    sc->provider->retrieve(sc->instance, s, key, sizeof(key), buf, &len,
                           r->pool);
    if (sc->provider->store(sc->instance, s, key, sizeof(key),
                            apr_time_now() + apr_time_from_sec(3600), value,
                            sizeof(value), r->pool) != APR_SUCCESS) {
        if (sc->mutex) apr_global_mutex_unlock(sc->mutex);
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (sc->mutex) apr_global_mutex_unlock(sc->mutex);
    ap_set_content_type(r, "text/plain; charset=utf-8");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_rwrite("count=1\n", 8, r);
    return OK;
}

static const command_rec cmds[] = {
    AP_INIT_TAKE1("BenchStoreFloor", set_floor, NULL, RSRC_CONF,
                  "socache PROVIDER[:ARGS] of this server's store floor"),
    { NULL }
};

static void hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(floor_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA bench_store_module = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, create_server, NULL, cmds, hooks
};
