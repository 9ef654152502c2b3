/* mod_ctx_request: see mod_ctx_request.h. */
#include "httpd.h"
#include "http_config.h"

#include "mod_ctx_private.h"
#include "mod_ctx_request.h"

/* ---- what the core needs to know about a request_rec -------------------- */

static int req_status(void *request)
{
    return ((request_rec *)request)->status;
}

static const char *req_describe(void *request)
{
    request_rec *r = request;

    return r->the_request ? r->the_request : (r->uri ? r->uri : "-");
}

static const char *req_query(void *request)
{
    return ((request_rec *)request)->args;
}

const ctx_request_ops_t ctx_glue_request_ops = {
    req_status, req_describe, req_query
};

/* ---- the request's context --------------------------------------------- */

ctx_t *ctx_glue_of(const request_rec *r)
{
    return r ? ap_get_module_config(r->request_config, &ctx_module) : NULL;
}

void ctx_glue_attach(request_rec *r, ctx_t *c)
{
    ap_set_module_config(r->request_config, &ctx_module, c);
}
