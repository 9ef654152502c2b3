/* mod_ctx_task: background tasks (ctx_task_submit) on a per-child pool. */
#ifndef MOD_CTX_TASK_H
#define MOD_CTX_TASK_H

#include "httpd.h"

#include "ctx_context.h"
#include "ctx_snapshot.h"
#include "mod_ctx_private.h"

/* child_init: remember the child's pool and the main server's settings. */
void ctx_glue_task_child_init(apr_pool_t *pchild, server_rec *s);

/* ctx_task_submit() of the API (see include/mod_ctx.h). */
apr_status_t ctx_glue_task_submit(request_rec *r, ctx_task_fn *fn,
                                  void *baton, const char *const *headers);

/* ctx_task_submit_ex() of the API (see include/mod_ctx.h). */
apr_status_t ctx_glue_task_submit_ex(request_rec *r, ctx_task_fn *fn,
                                     void *baton, const char *const *headers,
                                     ctx_task_done_fn *on_done);

/* ctx_task_stats() of the API. */
void ctx_glue_task_stats(ctx_task_stats_t *st);

/* The live request of `c`, or NULL (NULL c, or a task's context). */
request_rec *ctx_glue_request(const ctx_t *c);

/* The copy a task's context carries, or NULL if c is not a task's. Lives
 * as long as the task. */
const ctx_snapshot_t *ctx_glue_task_snapshot(const ctx_t *c);

#endif
