/* mod_ctx_env: CtxSessionEnv KEY [VARNAME], session values in the
 * subprocess environment (CGI, PHP, SSI, %{ENV:...}, %{...}e). */
#ifndef MOD_CTX_ENV_H
#define MOD_CTX_ENV_H

#include "httpd.h"
#include "http_config.h"

/* One export: session key -> environment variable. */
typedef struct {
    const char *key;
    const char *var;
} ctx_env_export_t;

/* The directive's handler (mod_ctx_config.c lists it). */
const char *ctx_env_set_export(cmd_parms *cmd, void *dconf, const char *key,
                               const char *var);

/* Merge rule: the outer section's exports, then the inner's (for the same
 * variable the inner one is applied last, so it wins). Either may be NULL;
 * the result is shared when one side is empty. */
apr_array_header_t *ctx_env_merge(apr_pool_t *p, apr_array_header_t *base,
                                  apr_array_header_t *add);

/* Register the fixups hook that exports (register_hooks). */
void ctx_glue_env_register(void);

#endif
