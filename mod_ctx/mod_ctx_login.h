/* mod_ctx_login: Flask-Login's model for modules (the ctx_*user* API) and
 * AuthType ctx (check_authn hook, authz provider "ctx-fresh"). The wire
 * formats are the core's (ctx_login.h). */
#ifndef MOD_CTX_LOGIN_H
#define MOD_CTX_LOGIN_H

#include "httpd.h"
#include "http_config.h"

#include "mod_ctx_private.h"

const char *ctx_login_set_url(cmd_parms *cmd, void *dconf, const char *v);
const char *ctx_login_set_protection(cmd_parms *cmd, void *dconf,
                                     const char *v);

/* Appended to ctx_cmds (mod_ctx_config.c). */
#define CTX_LOGIN_DIRECTIVES \
    AP_INIT_TAKE1("CtxLoginURL", ctx_login_set_url, (void *)0, \
                  RSRC_CONF | ACCESS_CONF, "A local path (/login) where " \
                  "AuthType ctx sends anonymous requests with next=; none: " \
                  "401"), \
    AP_INIT_TAKE1("CtxRefreshURL", ctx_login_set_url, (void *)1, \
                  RSRC_CONF | ACCESS_CONF, "A local path where Require " \
                  "ctx-fresh sends a login that is not fresh; none: 401"), \
    AP_INIT_TAKE1("CtxLoginProtection", ctx_login_set_protection, NULL, \
                  RSRC_CONF | ACCESS_CONF, "off, basic (default) or strong: " \
                  "Flask-Login's session protection"),

/* The API (mod_ctx.h documents them). */
apr_status_t ctx_glue_user_loader(ctx_app_t *app, ctx_user_loader_fn *fn,
                                  void *baton);
void *ctx_glue_current_user(ctx_t *c);
const char *ctx_glue_current_user_id(ctx_t *c);
apr_status_t ctx_glue_login_user(ctx_t *c, const char *id, int flags);
apr_status_t ctx_glue_logout_user(ctx_t *c);
int ctx_glue_login_fresh(ctx_t *c);
apr_status_t ctx_glue_confirm_login(ctx_t *c);
int ctx_glue_login_next_is_safe(const char *next);

/* Hooks (check_authn, pre_config) and the authz provider. */
void ctx_glue_login_register(apr_pool_t *p);

#endif
