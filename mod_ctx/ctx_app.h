/* ctx_app: the application context (Flask's current_app): a name, a
 * configuration table, and per-process resources, plus a per-thread stack so
 * that threads without a request can enter an app.
 *
 * In httpd there is one app per virtual host; the glue creates them at
 * post_config from the merged server configuration. */
#ifndef CTX_APP_H
#define CTX_APP_H

#include <apr_hash.h>
#include <apr_pools.h>

#include "ctx_status.h"

typedef struct ctx_app_t ctx_app_t;

/* Constructor of a per-process resource: store it in *res. `p` is the
 * resource's own pool (a subpool of the app's resource pool, with its own
 * allocator): allocate the resource there or register what it needs; it
 * lives until the resource is destroyed at process exit. The constructor
 * runs without any lock held: it may take long (a database connect) and may
 * ask for other resources of any app. A non-success return is handed to the
 * caller (and to the callers that waited for this attempt), `p` is
 * destroyed (running what was registered there) and nothing is stored, so
 * the next call tries again. */
typedef apr_status_t ctx_resource_ctor(void **res, ctx_app_t *app,
                                       apr_pool_t *p, void *baton);
/* Destructor: runs once at process exit, in reverse order of completion
 * (a resource whose constructor used another one goes first), before its
 * pool `p` is destroyed. */
typedef void ctx_resource_dtor(void *res, void *baton);

/* Maximum depth of the per-thread app stack. */
#define CTX_APP_STACK_MAX 8

/* A new app in `p` with its own copy of `config` (key -> value strings; may
 * be NULL). `name` is copied. */
ctx_app_t *ctx_app_create(apr_pool_t *p, const char *name,
                          apr_hash_t *config);

/* The app's name; lives as long as the app. */
const char *ctx_app_name(const ctx_app_t *app);

/* A configuration value, or NULL. Lives as long as the app. */
const char *ctx_app_config_get(const ctx_app_t *app, const char *key);

/* The whole configuration (read only). */
apr_hash_t *ctx_app_config(const ctx_app_t *app);

/* Prepare per-process state: resources live in a sub-pool of `pchild` and
 * are destroyed with it. Must be called once per process before
 * ctx_app_resource(). */
apr_status_t ctx_app_child_init(ctx_app_t *app, apr_pool_t *pchild);

/* Get the resource `name`, creating it with ctor on first use, once per
 * process. The app's lock is not held while ctor runs: lookups of resources
 * that exist, and constructions of others, go on meanwhile; callers that
 * want the same resource wait for that construction and get the same
 * object (or, if it fails, the same error). *res is owned by the app and
 * valid until the process exits. dtor and baton are those of the call whose
 * construction succeeded.
 * Errors: APR_EINVAL on NULL arguments, APR_EINIT before
 * ctx_app_child_init(), the constructor's error, or CTX_ECYCLE when a
 * constructor asks for the resource it is building (on its own thread, or
 * through a constructor on another thread that waits for it): waiting
 * would never end; that construction then fails too unless its constructor
 * recovers. */
apr_status_t ctx_app_resource(ctx_app_t *app, const char *name,
                              ctx_resource_ctor *ctor, ctx_resource_dtor *dtor,
                              void *baton, void **res);

/* Enter `app` on the calling thread (it becomes ctx_app_top()). APR_EINVAL
 * for NULL, APR_ENOSPC when CTX_APP_STACK_MAX apps are already pushed. */
apr_status_t ctx_app_push(ctx_app_t *app);

/* Leave the app entered last. APR_EINVAL if `expected` is not NULL and is
 * not the app on top (nothing is popped then), APR_EOF if the stack is
 * empty. */
apr_status_t ctx_app_pop(ctx_app_t *expected);

/* The app on top of the calling thread's stack, or NULL. */
ctx_app_t *ctx_app_top(void);

#endif
