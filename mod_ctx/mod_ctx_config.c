/* mod_ctx_config: see mod_ctx_config.h.
 *
 * Merge rules (checked by tests/check-config-merge):
 *   app_name   default NULL (ServerName)  not inherited: one app per vhost
 *   config     default empty              server -> vhost -> directory,
 *                                         the inner scope's keys win */
#include <string.h>

#include "apr_strings.h"
#include "apr_lib.h"

#include "mod_ctx_config.h"
#include "http_log.h"

extern module AP_MODULE_DECLARE_DATA ctx_module;

void *ctx_create_server_conf(apr_pool_t *p, server_rec *s)
{
    ctx_server_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    (void)s;
    conf->app_name = NULL;
    conf->config = apr_hash_make(p);
    conf->app = NULL;
    return conf;
}

void *ctx_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    ctx_server_conf_t *base = basev, *add = addv;
    ctx_server_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    conf->app_name = add->app_name;
    conf->config = apr_hash_overlay(p, add->config, base->config);
    conf->app = NULL;
    return conf;
}

void *ctx_create_dir_conf(apr_pool_t *p, char *dir)
{
    ctx_dir_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    (void)dir;
    conf->config = apr_hash_make(p);
    return conf;
}

void *ctx_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    ctx_dir_conf_t *base = basev, *add = addv;
    ctx_dir_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    conf->config = apr_hash_overlay(p, add->config, base->config);
    return conf;
}

ctx_server_conf_t *ctx_server_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &ctx_module);
}

ctx_dir_conf_t *ctx_dir_conf(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &ctx_module);
}

/* A name that is safe in log lines and headers: printable ASCII, no
 * spaces or quotes. */
static const char *check_token(cmd_parms *cmd, const char *what,
                               const char *v, const char *extra_ok)
{
    if (!*v) {
        return apr_psprintf(cmd->pool, "%s: the %s must not be empty",
                            cmd->cmd->name, what);
    }
    for (const char *c = v; *c; ++c) {
        if (!apr_isalnum(*c) && !strchr(extra_ok, *c)) {
            return apr_psprintf(cmd->pool, "%s: invalid character '%c' in "
                                "%s '%s' (allowed: letters, digits and "
                                "\"%s\")", cmd->cmd->name,
                                apr_isprint(*c) ? *c : '?', what, v,
                                extra_ok);
        }
    }
    return NULL;
}

static const char *set_app_name(cmd_parms *cmd, void *dconf, const char *v)
{
    ctx_server_conf_t *conf = ctx_server_conf(cmd->server);
    const char *err;

    (void)dconf;
    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT)) != NULL) {
        return err;
    }
    if ((err = check_token(cmd, "application name", v, "-_.:")) != NULL) {
        return err;
    }
    if (conf->app_name && strcmp(conf->app_name, v)) {
        return apr_psprintf(cmd->pool, "%s: already set to '%s' for this "
                            "server; one name per virtual host",
                            cmd->cmd->name, conf->app_name);
    }
    conf->app_name = v;
    return NULL;
}

static const char *set_config(cmd_parms *cmd, void *dconf, const char *key,
                              const char *val)
{
    apr_hash_t *h;
    const char *err;

    if ((err = check_token(cmd, "key", key, "_-.")) != NULL) {
        return err;
    }
    h = cmd->path ? ((ctx_dir_conf_t *)dconf)->config
                  : ctx_server_conf(cmd->server)->config;
    if (apr_hash_get(h, key, APR_HASH_KEY_STRING)) {
        return apr_psprintf(cmd->pool, "%s: key '%s' is set twice in the "
                            "same context", cmd->cmd->name, key);
    }
    apr_hash_set(h, key, APR_HASH_KEY_STRING, val);
    return NULL;
}

const command_rec ctx_cmds[] = {
    AP_INIT_TAKE1("CtxAppName", set_app_name, NULL, RSRC_CONF,
                  "Name of this virtual host's application (default: its "
                  "ServerName)"),
    AP_INIT_TAKE2("CtxConfig", set_config, NULL, RSRC_CONF | ACCESS_CONF,
                  "KEY VALUE: an application configuration value, readable "
                  "with ctx_config()"),
    { NULL }
};

apr_status_t ctx_config_build_apps(apr_pool_t *pconf, server_rec *s)
{
    for (; s; s = s->next) {
        ctx_server_conf_t *conf = ctx_server_conf(s);
        const char *name = conf->app_name;

        if (!name) {
            name = s->server_hostname ? s->server_hostname : "default";
        }
        conf->app = ctx_app_create(pconf, name, conf->config);
        if (!conf->app) {
            return APR_ENOMEM;
        }
    }
    return APR_SUCCESS;
}
