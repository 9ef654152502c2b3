/* mod_ctx_status: the server-wide counters of ctx_stats.h in shared memory,
 * SetHandler ctx-status, the section in mod_status's page, and the calls
 * the rest of the glue makes to count (each one line where it happens).
 *
 * Memory: one anonymous shared segment, created by the parent at its first
 * real post_config and kept in the process pool: it outlives every
 * generation (graceful or plain restart), and every child of every
 * generation inherits it at fork, so old children finishing their requests
 * after a graceful restart still count into it. No file, no extra module,
 * no attach in child_init. Counters start at zero when httpd starts and
 * are never reset while the parent lives. */
#ifndef MOD_CTX_STATUS_H
#define MOD_CTX_STATUS_H

#include "httpd.h"

#include "ctx_app.h"
#include "ctx_load.h"
#include "ctx_session_store.h"
#include "ctx_stats.h"
#include "ctx_store.h"
#include "mod_ctx_private.h"

/* Hooks: post_config (after the apps are built), child_init, the handler
 * and mod_status's status_hook. */
void ctx_glue_status_register(void);

/* This process's lane; NULL in the parent and before child_init. */
extern apr_uint64_t *ctx_glue_stats_lane;

/* The counter row of a server's app / of an app (-1: none). */
int ctx_glue_stats_app(const server_rec *s);
int ctx_glue_stats_app_of(const ctx_app_t *app);

/* Add `n` to counter `c` of row `app` in this process's lane. */
static APR_INLINE void ctx_glue_stats_add(int app, ctx_stat_t c,
                                          apr_int64_t n)
{
    ctx_stats_add(ctx_glue_stats_lane, app, c, n);
}

/* A main request (post_read_request). */
void ctx_glue_stats_request(request_rec *r);

/* A cookie session was loaded by `lb` / a stored one by its state. */
void ctx_glue_stats_cookie_loaded(const server_rec *s, const ctx_load_t *lb);
void ctx_glue_stats_store_loaded(const server_rec *s,
                                 const ctx_session_store_state_t *sst,
                                 int had_cookie);

/* A server-side session's save (the request's or a task's, row `app`):
 * its status, what it did with the cookie, whether anything changed. */
void ctx_glue_stats_store_saved(int app, apr_status_t rv,
                                ctx_sstore_cookie_t ck, int modified);

/* The session store of server `s` (its ctx_glue_store_get), counting its
 * calls for the server's app. `inner` itself when there is none. */
const ctx_store_t *ctx_glue_stats_store(const server_rec *s,
                                        const ctx_store_t *inner);

/* Tasks of row `app`: before a submit (queued), after a refused submit
 * (`rv`), when fn starts, when it ends (ran or dropped). */
void ctx_glue_stats_task_refused(int app, apr_status_t rv);
void ctx_glue_stats_task_started(int app);
void ctx_glue_stats_task_ended(int app, int ran, apr_status_t rv);

/* ctx_server_stats() of the API. */
apr_status_t ctx_glue_server_stats(const char *app, ctx_server_stats_t *out);

#endif
