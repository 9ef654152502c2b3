/* mod_ctx_request: the link between a request_rec and the context mod_ctx
 * made for it (kept in r->request_config), and what the core may ask about
 * a request. A leaf of the glue: the hooks (mod_ctx.c) attach the context,
 * every glue file finds it here. */
#ifndef MOD_CTX_REQUEST_H
#define MOD_CTX_REQUEST_H

#include "httpd.h"

#include "ctx_context.h"

/* The context mod_ctx created for `r`, or NULL (NULL r, or a request_rec
 * mod_ctx has not seen). Lives in r->pool. */
ctx_t *ctx_glue_of(const request_rec *r);

/* Keep `c` as the context of `r` (create_request); `c` must live in
 * r->pool. */
void ctx_glue_attach(request_rec *r, ctx_t *c);

/* The request_rec accessors a main request's context hands the core
 * (status, request line, query string). Static: never freed. */
extern const ctx_request_ops_t ctx_glue_request_ops;

#endif
