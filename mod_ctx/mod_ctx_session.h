/* mod_ctx_session: the cookie session of a client request: loading it from
 * the Cookie header on first use, saving it into Set-Cookie from an output
 * filter before the response headers leave. */
#ifndef MOD_CTX_SESSION_H
#define MOD_CTX_SESSION_H

#include "httpd.h"
#include "util_filter.h"

#include "ctx_context.h"
#include "ctx_session.h"

/* The session of c's client request, loaded on first use. NULL with *rv
 * set: CTX_EDISABLED when sessions are off for the request, APR_EINVAL
 * without a context. */
ctx_session_t *ctx_glue_session(ctx_t *c, apr_status_t *rv);

/* The JSON text of c's session (loading it; *len set), or NULL when c has
 * none. Owned by the session, valid until its next change: copy it. */
const char *ctx_glue_session_text(ctx_t *c, apr_size_t *len);

/* Give a background task's context a read-only session holding the JSON
 * text `json` (`len` bytes, borrowed: it must live as long as the task),
 * parsed on the task's first use of its session. Its setters return
 * CTX_ETOOLATE. */
apr_status_t ctx_glue_session_attach_snapshot(ctx_t *task, const char *json,
                                              apr_size_t len);

/* After ctx_glue_session_attach_snapshot: if the session of `from` (the
 * submitting request) is server-side with a stored entry, the task's
 * session becomes writable, its changes merged into that entry by
 * ctx_glue_session_task_save. Settings are copied (nothing of the
 * request's pool is kept). */
apr_status_t ctx_glue_session_attach_store(ctx_t *task, ctx_t *from);

/* When the task's fn has returned: merge its session changes into the
 * store (no cookie; a dead entry is not revived: APR_NOTFOUND, changes
 * dropped). Returns the save's status (APR_SUCCESS without changes or
 * for a read-only session), logged once here. */
apr_status_t ctx_glue_session_task_save(ctx_t *task);

/* The status of the last save of c's session (APR_SUCCESS before one). */
apr_status_t ctx_glue_session_save_status(ctx_t *c);

/* post_read_request: put the save filter on a main request or redirect. */
void ctx_glue_session_insert_filter(request_rec *r);

/* Register the CTX_SESSION_SAVE output filter. */
void ctx_glue_session_register(void);

#endif
