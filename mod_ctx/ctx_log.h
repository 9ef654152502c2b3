/* ctx_log: logging for the core, injected by whoever links it.
 *
 * The core never includes httpd headers, so it cannot call ap_log_*. The glue
 * (mod_ctx.c) installs a callback that forwards to ap_log_error with mod_ctx's
 * module index; unit tests install one that records lines. With no callback
 * installed, log calls are dropped. */
#ifndef CTX_LOG_H
#define CTX_LOG_H

#include <apr.h>

/* Levels use syslog's numbering, the same as httpd's APLOG_* values. */
typedef enum {
    CTX_LOG_ERR = 3,
    CTX_LOG_WARNING = 4,
    CTX_LOG_NOTICE = 5,
    CTX_LOG_INFO = 6,
    CTX_LOG_DEBUG = 7
} ctx_log_level_t;

/* `msg` is only valid during the call. */
typedef void ctx_log_fn(void *baton, ctx_log_level_t level, const char *file,
                        int line, const char *msg);

/* Install (or with fn == NULL remove) the process-wide log callback. Not
 * thread-safe: call it at startup, before any thread uses the core. */
void ctx_log_set(ctx_log_fn *fn, void *baton);

/* True when a message at `level` would be delivered (lets callers skip
 * formatting work). */
int ctx_log_enabled(ctx_log_level_t level);

/* Format and deliver a message; every line carries the "mod_ctx: " tag prefix
 * that the callback may add. */
void ctx_log_(const char *file, int line, ctx_log_level_t level,
              const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define ctx_log(level, ...) ctx_log_(__FILE__, __LINE__, (level), __VA_ARGS__)

/* Lines about one request: `request` is the glue's request (opaque here,
 * borrowed for the call), so that the line carries the client and the
 * request line. Without a request, or without a request callback, the line
 * goes to the plain callback. */
typedef void ctx_log_request_fn(void *baton, ctx_log_level_t level,
                                const char *file, int line, void *request,
                                const char *msg);

/* Install (or with fn == NULL remove) the callback for request lines; it
 * shares the baton of ctx_log_set. Same rules as ctx_log_set. */
void ctx_log_set_request_fn(ctx_log_request_fn *fn);

void ctx_log_r_(const char *file, int line, ctx_log_level_t level,
                void *request, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define ctx_log_r(level, request, ...) \
    ctx_log_r_(__FILE__, __LINE__, (level), (request), __VA_ARGS__)

/* Set the maximum level delivered (default CTX_LOG_DEBUG: the callback's
 * receiver filters further). */
void ctx_log_set_level(ctx_log_level_t level);

#endif
