/* mod_ctx_api: the function table behind include/mod_ctx.h (the optional
 * function ctx_api_get that mod_ctx.c registers hands it out). */
#ifndef MOD_CTX_API_H
#define MOD_CTX_API_H

#include "mod_ctx_private.h"

/* The table for API `version`, or NULL for an unknown version. Static:
 * lives as long as the module is loaded. */
const ctx_api_t *ctx_glue_api_get(int version);

#endif
