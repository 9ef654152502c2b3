/* ctx_status: mod_ctx's own apr_status_t values. include/mod_ctx.h defines
 * the same numbers for module authors (the glue checks they agree). */
#ifndef CTX_STATUS_H
#define CTX_STATUS_H

#include <apr_errno.h>

#define CTX_STATUS_BASE (APR_OS_START_USERERR + 4300)
/* Sessions are not enabled (CtxSession Off) where the call was made. */
#define CTX_EDISABLED   (CTX_STATUS_BASE + 1)
/* The response headers are gone: a session change can no longer be saved. */
#define CTX_ETOOLATE    (CTX_STATUS_BASE + 2)
/* The session would not fit in a cookie of CtxSessionMaxSize bytes. */
#define CTX_ETOOLARGE   (CTX_STATUS_BASE + 3)
/* The task queue is full: the task was not accepted. */
#define CTX_EQUEUEFULL  (CTX_STATUS_BASE + 4)
/* The task pool is draining or drained: the task was not accepted. */
#define CTX_ESHUTDOWN   (CTX_STATUS_BASE + 5)
/* An app resource's constructor asked, directly or through other
 * resources' constructors, for the resource it is building. */
#define CTX_ECYCLE      (CTX_STATUS_BASE + 6)
/* The session store (CtxSessionStore socache:...) failed or is marked down:
 * the session could not be read or written; nothing was half-written. */
#define CTX_ESTORE      (CTX_STATUS_BASE + 7)

#endif
