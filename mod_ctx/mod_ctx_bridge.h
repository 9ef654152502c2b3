/* mod_ctx_bridge: CtxSessionBridge On, mod_ctx's session as the storage of
 * httpd's mod_session API (mod_auth_form, SessionEnv, SessionHeader). */
#ifndef MOD_CTX_BRIDGE_H
#define MOD_CTX_BRIDGE_H

#include "httpd.h"
#include "http_config.h"

/* The directive's handler (mod_ctx_config.c lists it). */
const char *ctx_bridge_set(cmd_parms *cmd, void *dconf, int on);

/* Register the pre_config hook that hooks into mod_session when it is
 * loaded (register_hooks). */
void ctx_glue_bridge_register(void);

/* check_config: CtxSessionBridge On somewhere while mod_session is not
 * loaded is an error naming the directive (logged; returns !OK). */
int ctx_glue_bridge_check(server_rec *s);

#endif
