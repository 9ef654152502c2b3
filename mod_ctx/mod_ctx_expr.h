/* mod_ctx_expr: ap_expr functions and variables (<If>, Require expr,
 * Header/RequestHeader expr=, SetEnvIfExpr, RewriteCond expr, ...). */
#ifndef MOD_CTX_EXPR_H
#define MOD_CTX_EXPR_H

#include "httpd.h"

/* The current user's id of `r` as a string in `p`, or NULL when nobody is
 * logged in. Until the login API exists: the session key "_user_id", as
 * Flask-Login stores it (read lazily, never changed). The one place to
 * point at the login API. */
const char *ctx_glue_user_id(request_rec *r, apr_pool_t *p);

/* Register the expr_lookup hook (register_hooks). */
void ctx_glue_expr_register(void);

#endif
