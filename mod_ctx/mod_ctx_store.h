/* mod_ctx_store: CtxSessionStore, the session store of a server as httpd's
 * shared-object cache (ap_socache_provider_t: shmcb, redis, memcache, dbm),
 * seen by the core as a ctx_store_t (ctx_store.h) wrapped by
 * ctx_store_health (mod_ctx's own view of the store's health).
 *
 * Life of a store: the directive looks the provider up and creates the
 * instance (a provider that is not loaded, or arguments it refuses, fail
 * `apachectl -t`); post_config initialises each distinct instance once
 * (vhosts that inherit the directive share it), creates the global mutex
 * "ctx-session-store" for providers that are not MP-safe (shmcb: the
 * `Mutex` directive configures it) and the health wrapper; child_init
 * re-opens the mutex in each child; the instance is destroyed with pconf. */
#ifndef MOD_CTX_STORE_H
#define MOD_CTX_STORE_H

#include "httpd.h"
#include "http_config.h"

#include "ctx_store.h"

typedef struct ctx_glue_store_t ctx_glue_store_t;

/* The mutex type, as the `Mutex` directive names it. */
#define CTX_STORE_MUTEX_TYPE "ctx-session-store"

/* Parse the argument of CtxSessionStore: *out NULL for "cookie", else a
 * store created in cmd->pool. Returns NULL or the error message. */
const char *ctx_glue_store_parse(cmd_parms *cmd, const char *arg,
                                 ctx_glue_store_t **out);

/* The store as the core uses it (health-wrapped), or NULL when `gs` is
 * NULL or not initialised. Lives as long as the configuration. */
const ctx_store_t *ctx_glue_store_get(ctx_glue_store_t *gs);

/* What the directive said, for messages ("socache:shmcb"). */
const char *ctx_glue_store_name(const ctx_glue_store_t *gs);

/* Hold the store's global mutex (NOTMPSAFE providers: shmcb) for a whole
 * session save, so that its read-merge-write cannot interleave with
 * another process's: on such a store concurrent saves lose nothing.
 * Returns 1 if it locked (pass it to ctx_glue_store_unlock), 0 for a store
 * without a mutex (redis, memcache: the window stays, see docs/sessions.md). */
int ctx_glue_store_lock(ctx_glue_store_t *gs);
void ctx_glue_store_unlock(ctx_glue_store_t *gs, int locked);

/* CtxSessionStoreTimeout DURATION (server config, virtual host): the
 * longest a request waits for one call to a network store (providers not
 * flagged NOTMPSAFE: redis, memcache), "2", "2s" or "500ms", from
 * CTX_STORE_TIMEOUT_MIN to CTX_STORE_TIMEOUT_MAX; default
 * CTX_STORE_TIMEOUT_DEFAULT; "off": calls run in the request thread (no
 * hand-off, bounded by the provider's own timeouts only). The store instance takes the value of the
 * server that initialises it (where CtxSessionStore is set; the main
 * server for vhosts that inherit it). */
const char *ctx_glue_store_set_timeout(cmd_parms *cmd, void *dconf,
                                       const char *v);

#define CTX_STORE_TIMEOUT_DEFAULT apr_time_from_sec(2)
#define CTX_STORE_TIMEOUT_MIN apr_time_from_msec(10)
#define CTX_STORE_TIMEOUT_MAX apr_time_from_sec(300)

/* pre_config: register the mutex type. */
int ctx_glue_store_pre_config(apr_pool_t *pconf);

/* post_config: initialise every server's store (once each). */
int ctx_glue_store_post_config(apr_pool_t *pconf, server_rec *main_s);

/* child_init: re-open the mutexes in the child. */
void ctx_glue_store_child_init(apr_pool_t *pchild, server_rec *main_s);

#endif
