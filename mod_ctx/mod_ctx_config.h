/* mod_ctx_config: directives, per-server and per-directory configuration,
 * and their merge rules. */
#ifndef MOD_CTX_CONFIG_H
#define MOD_CTX_CONFIG_H

#include "httpd.h"
#include "http_config.h"

#include "ctx_app.h"

typedef struct {
    const char *app_name;   /* CtxAppName; NULL: the vhost's ServerName */
    apr_hash_t *config;     /* CtxConfig at server/vhost level */
    ctx_app_t *app;         /* built at post_config */
} ctx_server_conf_t;

typedef struct {
    apr_hash_t *config;     /* CtxConfig in <Directory>/<Location>/... */
} ctx_dir_conf_t;

extern const command_rec ctx_cmds[];

void *ctx_create_server_conf(apr_pool_t *p, server_rec *s);
void *ctx_merge_server_conf(apr_pool_t *p, void *base, void *add);
void *ctx_create_dir_conf(apr_pool_t *p, char *dir);
void *ctx_merge_dir_conf(apr_pool_t *p, void *base, void *add);

/* The configuration of a server / of a request's directory. */
ctx_server_conf_t *ctx_server_conf(const server_rec *s);
ctx_dir_conf_t *ctx_dir_conf(const request_rec *r);

/* Build one app per virtual host (at post_config, in pconf). */
apr_status_t ctx_config_build_apps(apr_pool_t *pconf, server_rec *s);

#endif
