/* mod_ctx_env: see mod_ctx_env.h.
 *
 * The fixups hook runs before mod_rewrite's and mod_headers' (so per-dir
 * RewriteCond %{ENV:...} and RequestHeader ... expr=%{ENV:...} see the
 * values) and, like every fixup, before the handler that builds a CGI's
 * environment. A variable whose key is absent from the session (or with no
 * session here) is removed: its name only ever carries the session's value,
 * never what another module or a client put there. Names starting with
 * HTTP_ are refused at config time (CGI gives request headers those). */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_request.h"
#include "apr_strings.h"

#include "ctx_export.h"
#include "ctx_session.h"
#include "mod_ctx_config.h"
#include "mod_ctx_env.h"
#include "mod_ctx_private.h"
#include "mod_ctx_request.h"
#include "mod_ctx_session.h"

const char *ctx_env_set_export(cmd_parms *cmd, void *dconf, const char *key,
                               const char *var)
{
    ctx_dir_conf_t *d = dconf;
    ctx_env_export_t *e;
    const char *problem;

    if (!*key) {
        return apr_psprintf(cmd->pool, "%s: the session key is empty",
                            cmd->cmd->name);
    }
    if (!var) {
        var = ctx_export_default_env_name(cmd->pool, key);
    }
    if ((problem = ctx_export_env_name_problem(var)) != NULL) {
        return apr_psprintf(cmd->pool, "%s %s: the variable name '%s' %s",
                            cmd->cmd->name, key, var, problem);
    }
    if (!d->session_env) {
        d->session_env = apr_array_make(cmd->pool, 2, sizeof(*e));
    }
    e = apr_array_push(d->session_env);
    e->key = key;
    e->var = var;
    return NULL;
}

apr_array_header_t *ctx_env_merge(apr_pool_t *p, apr_array_header_t *base,
                                  apr_array_header_t *add)
{
    if (!add || !add->nelts) {
        return base;
    }
    if (!base || !base->nelts) {
        return add;
    }
    return apr_array_append(p, base, add);
}

static int export_env(request_rec *r)
{
    const apr_array_header_t *exports = ctx_dir_conf(r)->session_env;
    const ctx_env_export_t *e;
    ctx_t *c;
    ctx_session_t *s = NULL;
    apr_status_t rv;
    int i;

    if (!exports || !exports->nelts) {
        return DECLINED;
    }
    if ((c = ctx_glue_of(r)) != NULL) {
        s = ctx_glue_session(c, &rv);
    }
    e = (const ctx_env_export_t *)exports->elts;
    for (i = 0; i < exports->nelts; i++) {
        const char *val = s ? ctx_export_value(r->pool,
                                               ctx_session_get(s, e[i].key))
                            : NULL;

        if (val) {
            apr_table_setn(r->subprocess_env, e[i].var, val);
        }
        else {
            apr_table_unset(r->subprocess_env, e[i].var);
        }
    }
    return DECLINED;
}

void ctx_glue_env_register(void)
{
    static const char *const before[] = { "mod_rewrite.c", "mod_headers.c",
                                          NULL };

    ap_hook_fixups(export_env, NULL, before, APR_HOOK_FIRST);
}
