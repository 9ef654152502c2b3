/* mod_ctx_bridge: see mod_ctx_bridge.h.
 *
 * Mapping (docs/httpd-integration.md): mod_session's entries are mod_ctx's
 * session keys, one to one. At load the bridge hands mod_session a
 * session_rec whose entries are the session's keys as strings
 * (ctx_export_value: non-strings as their JSON text) and no encoded text,
 * so mod_session's decode has nothing to do. At save it ignores the encoded
 * text and applies only the differences to what it handed out: an entry
 * that is new or changed is set (as a JSON string), an entry that is gone
 * is removed; keys mod_session did not touch keep their JSON type. The key
 * "expiry" is mod_session's own (SessionMaxAge) and never bridged.
 * mod_ctx's save filter (after mod_session's) then writes the cookie or
 * the store, in whatever format the directory uses.
 *
 * mod_session is an optional module: its hook functions are looked up when
 * the configuration is read (pre_config, every generation) instead of
 * being linked, so that mod_ctx loads without it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* RTLD_DEFAULT */
#endif
#include <dlfcn.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"
#include "mod_session.h"

#include "ctx_export.h"
#include "ctx_session.h"
#include "mod_ctx_bridge.h"
#include "mod_ctx_config.h"
#include "mod_ctx_private.h"
#include "mod_ctx_request.h"
#include "mod_ctx_session.h"

APLOG_USE_MODULE(ctx);

#define STATE_KEY "mod_ctx_bridge"
#define EXPIRY_KEY "expiry"     /* mod_session's SESSION_EXPIRY */

typedef void hook_load_reg(ap_HOOK_session_load_t *pf,
                           const char *const *pre, const char *const *succ,
                           int order);
typedef void hook_save_reg(ap_HOOK_session_save_t *pf,
                           const char *const *pre, const char *const *succ,
                           int order);

/* Per client request (in the pool of its first request): the session_rec
 * handed to mod_session and the entries as handed out. */
typedef struct {
    session_rec *z;
    apr_table_t *loaded;
} bridge_t;

static int hooked;              /* this generation found mod_session */
static int used;                /* CtxSessionBridge On appears */

const char *ctx_bridge_set(cmd_parms *cmd, void *dconf, int on)
{
    (void)cmd;
    ((ctx_dir_conf_t *)dconf)->bridge = on;
    used |= on;
    return NULL;
}

static int bridge_on(request_rec *r)
{
    return ctx_dir_conf(r)->bridge == 1;
}

static request_rec *first_request(request_rec *r)
{
    while (r->prev) {
        r = r->prev;
    }
    while (r->main) {
        r = r->main;
    }
    return r;
}

static int add_entry(void *baton, const char *key, const char *json,
                     apr_size_t len)
{
    session_rec *z = baton;
    const char *v;

    if (strcmp(key, EXPIRY_KEY)
        && (v = ctx_export_text(z->pool, json, len)) != NULL) {
        apr_table_set(z->entries, key, v);
    }
    return 1;
}

static apr_status_t bridge_load(request_rec *r, session_rec **z)
{
    request_rec *m;
    bridge_t *b = NULL;
    ctx_session_t *s;
    ctx_t *c;
    apr_status_t rv;

    if (!bridge_on(r)) {
        return DECLINED;
    }
    m = first_request(r);
    apr_pool_userdata_get((void **)&b, STATE_KEY, m->pool);
    if (b) {
        *z = b->z;
        return OK;
    }
    if (!(c = ctx_glue_of(r)) || !(s = ctx_glue_session(c, &rv))) {
        if (c && rv != CTX_EDISABLED) {
            return rv;          /* a store that is down: not an empty one */
        }
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "mod_ctx: "
                      "CtxSessionBridge On where mod_ctx has no session "
                      "(CtxSession Off or no key)");
        return DECLINED;
    }
    b = apr_pcalloc(m->pool, sizeof(*b));
    b->z = apr_pcalloc(m->pool, sizeof(*b->z));
    b->z->pool = m->pool;
    b->z->entries = apr_table_make(m->pool, 8);
    ctx_session_do(s, add_entry, b->z);
    b->loaded = apr_table_copy(m->pool, b->z->entries);
    apr_pool_userdata_setn(b, STATE_KEY, NULL, m->pool);
    *z = b->z;
    return OK;
}

typedef struct {
    request_rec *r;
    ctx_session_t *s;
    apr_table_t *now;           /* entries to compare with */
    apr_status_t rv;
} diff_t;

static int remove_gone(void *baton, const char *key, const char *val)
{
    diff_t *d = baton;
    apr_status_t rv;

    (void)val;
    if (!apr_table_get(d->now, key)) {
        rv = ctx_session_remove(d->s, key);
        if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
            d->rv = rv;
        }
    }
    return 1;
}

static int set_changed(void *baton, const char *key, const char *val)
{
    diff_t *d = baton;
    const char *old = apr_table_get(d->now, key);
    json_t *j;
    apr_status_t rv;

    if (!strcmp(key, EXPIRY_KEY) || (old && !strcmp(old, val))) {
        return 1;
    }
    /* json_string refuses text that is not UTF-8. */
    rv = (j = json_string(val)) != NULL ? ctx_session_set(d->s, key, j)
                                        : APR_EINVAL;
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, d->r, "mod_ctx: "
                      "CtxSessionBridge: cannot set session key '%s' from "
                      "mod_session%s", key, rv == APR_EINVAL
                      ? " (not UTF-8 text, or a reserved key)" : "");
        d->rv = rv;
    }
    return 1;
}

static apr_status_t bridge_save(request_rec *r, session_rec *z)
{
    bridge_t *b = NULL;
    diff_t d;
    ctx_t *c;

    if (!bridge_on(r)) {
        return DECLINED;
    }
    apr_pool_userdata_get((void **)&b, STATE_KEY, first_request(r)->pool);
    if (!b || b->z != z) {
        return DECLINED;        /* not a session the bridge handed out */
    }
    memset(&d, 0, sizeof(d));
    d.r = r;
    if (!(c = ctx_glue_of(r)) || !(d.s = ctx_glue_session(c, &d.rv))) {
        return d.rv != APR_SUCCESS ? d.rv : APR_EGENERAL;
    }
    d.now = z->entries;
    apr_table_do(remove_gone, &d, b->loaded, NULL);
    d.now = b->loaded;
    apr_table_do(set_changed, &d, z->entries, NULL);
    if (d.rv == APR_SUCCESS) {
        b->loaded = apr_table_copy(b->z->pool, z->entries);
        return OK;
    }
    return d.rv;
}

static int bridge_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    hook_load_reg *load_reg;
    hook_save_reg *save_reg;

    (void)pconf;
    (void)plog;
    (void)ptemp;
    used = 0;                   /* the directives are read after this */
    /* LoadModule has run: mod_session's symbols are there if it is
     * loaded (APR loads modules RTLD_GLOBAL). Hooks registered now are
     * sorted with the others after the configuration is processed. */
    *(void **)&load_reg = dlsym(RTLD_DEFAULT, "ap_hook_session_load");
    *(void **)&save_reg = dlsym(RTLD_DEFAULT, "ap_hook_session_save");
    hooked = load_reg && save_reg;
    if (hooked) {
        /* Before mod_session_cookie/dbd: where the bridge is on, it is
         * the storage. */
        load_reg(bridge_load, NULL, NULL, APR_HOOK_FIRST);
        save_reg(bridge_save, NULL, NULL, APR_HOOK_FIRST);
    }
    return OK;
}

void ctx_glue_bridge_register(void)
{
    ap_hook_pre_config(bridge_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
}

int ctx_glue_bridge_check(server_rec *s)
{
    if (!hooked && used) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "mod_ctx: "
                     "CtxSessionBridge On needs mod_session: load "
                     "mod_session.so (LoadModule session_module) before "
                     "starting");
        return !OK;
    }
    return OK;
}
