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

#endif
