/* Shared between the glue files of mod_ctx (not installed). */
#ifndef MOD_CTX_PRIVATE_H
#define MOD_CTX_PRIVATE_H

#include "httpd.h"
#include "http_config.h"

/* The glue implements the API: it needs its types, not its helpers. */
#define MOD_CTX_NO_INLINE_HELPERS
#include "mod_ctx.h"
#include "ctx_context.h"

extern module AP_MODULE_DECLARE_DATA ctx_module;

/* The context mod_ctx created for `r`, or NULL. */
ctx_t *ctx_glue_of(const request_rec *r);

/* The exported function table (mod_ctx_api.c). */
const ctx_api_t *ctx_glue_api_get(int version);

#endif
