/* ctx_log: see ctx_log.h. */
#include <stdarg.h>
#include <apr_strings.h>

#include "ctx_log.h"

static ctx_log_fn *log_fn;
static ctx_log_request_fn *log_request_fn;
static void *log_baton;
static ctx_log_level_t log_level = CTX_LOG_DEBUG;

void ctx_log_set(ctx_log_fn *fn, void *baton)
{
    log_fn = fn;
    log_baton = baton;
}

void ctx_log_set_request_fn(ctx_log_request_fn *fn)
{
    log_request_fn = fn;
}

void ctx_log_set_level(ctx_log_level_t level)
{
    log_level = level;
}

int ctx_log_enabled(ctx_log_level_t level)
{
    return log_fn != NULL && level <= log_level;
}

static void deliver(const char *file, int line, ctx_log_level_t level,
                    void *request, const char *fmt, va_list ap)
{
    char buf[1024];

    apr_vsnprintf(buf, sizeof(buf), fmt, ap);
    if (request && log_request_fn) {
        log_request_fn(log_baton, level, file, line, request, buf);
    }
    else {
        log_fn(log_baton, level, file, line, buf);
    }
}

void ctx_log_(const char *file, int line, ctx_log_level_t level,
              const char *fmt, ...)
{
    va_list ap;

    if (!ctx_log_enabled(level)) {
        return;
    }
    va_start(ap, fmt);
    deliver(file, line, level, NULL, fmt, ap);
    va_end(ap);
}

void ctx_log_r_(const char *file, int line, ctx_log_level_t level,
                void *request, const char *fmt, ...)
{
    va_list ap;

    if (!ctx_log_enabled(level)) {
        return;
    }
    va_start(ap, fmt);
    deliver(file, line, level, request, fmt, ap);
    va_end(ap);
}
