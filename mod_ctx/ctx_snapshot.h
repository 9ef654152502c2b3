/* ctx_snapshot: what a background task keeps of the request that started it
 * (Flask's copy_current_request_context): plain copies in the task's own
 * pool, so nothing in it depends on the request's pool, which may be gone
 * long before the task runs. */
#ifndef CTX_SNAPSHOT_H
#define CTX_SNAPSHOT_H

#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "ctx_app.h"

typedef struct {
    const char *method;         /* "GET" */
    const char *uri;            /* path part, decoded as httpd has it */
    const char *unparsed_uri;   /* as the client sent it, with the query */
    const char *query;          /* raw query string, or NULL */
    const char *remote_addr;    /* the client's address, or NULL */
    const char *user;           /* the authenticated user, or NULL */
    apr_table_t *headers;       /* the request headers chosen to travel */
    apr_hash_t *config;         /* CtxConfig of the request's location:
                                 * key -> value strings */
    apr_hash_t *config_base;    /* in a source only: the outer CtxConfig
                                 * (the server's), for keys `config` lacks;
                                 * the copy has them merged in `config` */
    ctx_app_t *app;             /* lives for the process: not copied */
    const char *session;        /* the session's JSON text (read-only in
                                 * the task, parsed on its first use), or
                                 * NULL: a task holds the cookie-sized
                                 * text, not the parsed tree, which can be
                                 * many times larger */
    apr_size_t session_len;
} ctx_snapshot_t;

/* A deep copy of `src` in `p`: every string, the header table, the config
 * table (config over config_base, merged while copying: the request thread
 * builds no merged table of its own) and the session's text. `src` may be destroyed right after. NULL
 * fields stay NULL. Returns NULL if `p` or `src` is NULL. */
ctx_snapshot_t *ctx_snapshot_copy(apr_pool_t *p, const ctx_snapshot_t *src);

#endif
