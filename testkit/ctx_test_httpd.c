/* The httpd functions the test kit provides: hook and filter registration
 * (recorded, run by ctx_test.c), response output and logging (captured),
 * and the few configuration helpers mod_ctx's glue calls. Every other ap_*
 * function of httpd is a stub that stops the program (ctx_test_unsupported.c,
 * generated). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "http_connection.h"
#include "mpm_common.h"
#include "ap_provider.h"
#include "ap_mpm.h"
#include "util_mutex.h"
#include "unixd.h"
#include "apr_strings.h"

#include "ctx_test_private.h"

/* ---- data httpd defines ------------------------------------------------- */

server_rec *ap_server_conf;
unixd_config_rec ap_unixd_config;
const apr_bucket_type_t ap_bucket_type_eor = {
    "EOR", 5, APR_BUCKET_METADATA, NULL, NULL, NULL, NULL, NULL
};
const apr_bucket_type_t ap_bucket_type_error = {
    "ERROR", 5, APR_BUCKET_METADATA, NULL, NULL, NULL, NULL, NULL
};

/* ---- hooks -------------------------------------------------------------- */

#define KIT_MAX_HOOKS 32

static struct {
    kit_fn *fn[KIT_MAX_HOOKS];
    int order[KIT_MAX_HOOKS];
    int n;
} hooks[KIT_HOOK_COUNT];

void ctx_test_hook_add(kit_hook_t which, kit_fn *fn, int order)
{
    int i;

    if (hooks[which].n == KIT_MAX_HOOKS) {
        fprintf(stderr, "libctx_test: too many hooks\n");
        abort();
    }
    /* Stable by order, as httpd sorts them. */
    for (i = hooks[which].n; i > 0 && hooks[which].order[i - 1] > order; --i) {
        hooks[which].fn[i] = hooks[which].fn[i - 1];
        hooks[which].order[i] = hooks[which].order[i - 1];
    }
    hooks[which].fn[i] = fn;
    hooks[which].order[i] = order;
    ++hooks[which].n;
}

kit_fn **ctx_test_hooks(kit_hook_t which, int *n)
{
    *n = hooks[which].n;
    return hooks[which].fn;
}

void ctx_test_hooks_reset(void)
{
    memset(hooks, 0, sizeof(hooks));
}

#define KIT_HOOK(name, which)                                              \
    void ap_hook_##name(ap_HOOK_##name##_t *pf, const char *const *pre,    \
                        const char *const *succ, int order)                \
    {                                                                      \
        (void)pre; (void)succ;                                             \
        ctx_test_hook_add(which, (kit_fn *)pf, order);                     \
    }

KIT_HOOK(pre_config, KIT_PRE_CONFIG)
KIT_HOOK(check_config, KIT_CHECK_CONFIG)
KIT_HOOK(post_config, KIT_POST_CONFIG)
KIT_HOOK(child_init, KIT_CHILD_INIT)
KIT_HOOK(create_request, KIT_CREATE_REQUEST)
KIT_HOOK(post_read_request, KIT_POST_READ_REQUEST)
KIT_HOOK(quick_handler, KIT_QUICK_HANDLER)
KIT_HOOK(translate_name, KIT_TRANSLATE_NAME)
KIT_HOOK(map_to_storage, KIT_MAP_TO_STORAGE)
KIT_HOOK(header_parser, KIT_HEADER_PARSER)
KIT_HOOK(fixups, KIT_FIXUPS)
KIT_HOOK(insert_filter, KIT_INSERT_FILTER)
KIT_HOOK(handler, KIT_HANDLER)
KIT_HOOK(insert_error_filter, KIT_INSERT_ERROR_FILTER)
KIT_HOOK(log_transaction, KIT_LOG_TRANSACTION)

/* Connection-level hooks: there is no connection processing to run them. */
#define KIT_HOOK_IGNORED(name)                                             \
    void ap_hook_##name(ap_HOOK_##name##_t *pf, const char *const *pre,    \
                        const char *const *succ, int order)                \
    {                                                                      \
        (void)pf; (void)pre; (void)succ; (void)order;                      \
    }

KIT_HOOK_IGNORED(pre_connection)
KIT_HOOK_IGNORED(process_connection)
KIT_HOOK_IGNORED(suspend_connection)
KIT_HOOK_IGNORED(resume_connection)
KIT_HOOK_IGNORED(protocol_switch)

/* ---- output filters ----------------------------------------------------- */

#define KIT_MAX_FILTERS 32
static ap_filter_rec_t *filters[KIT_MAX_FILTERS];
static int nfilters;

/* Filters are registered while an app loads its modules: they live as long
 * as the app (its configuration pool), as in httpd. */
static ap_filter_rec_t *kit_frec(void)
{
    if (!ctx_test_current_app) {
        fprintf(stderr, "libctx_test: a filter registered outside "
                "ctx_test_app()\n");
        abort();
    }
    return apr_pcalloc(ctx_test_current_app->pconf, sizeof(ap_filter_rec_t));
}

void ctx_test_filters_reset(void)
{
    nfilters = 0;
}

ap_filter_rec_t *ap_register_output_filter(const char *name,
                                           ap_out_filter_func filter_func,
                                           ap_init_filter_func filter_init,
                                           ap_filter_type ftype)
{
    ap_filter_rec_t *f = kit_frec();

    if (nfilters == KIT_MAX_FILTERS) {
        fprintf(stderr, "libctx_test: cannot register filter %s\n", name);
        abort();
    }
    f->name = name;
    f->filter_func.out_func = filter_func;
    f->filter_init_func = filter_init;
    f->ftype = ftype;
    filters[nfilters++] = f;
    return f;
}

ap_filter_t *ap_add_output_filter_handle(ap_filter_rec_t *frec, void *ctx,
                                         request_rec *r, conn_rec *c)
{
    ap_filter_t *f, **at;

    if (!r || !frec) {
        return NULL;    /* connection filters: no connection output here */
    }
    f = apr_pcalloc(r->pool, sizeof(*f));
    f->frec = frec;
    f->ctx = ctx;
    f->r = r;
    f->c = c;
    /* Ordered by type, after the filters of the same type. */
    for (at = &r->output_filters;
         *at && (*at)->frec->ftype <= f->frec->ftype; at = &(*at)->next)
        ;
    f->next = *at;
    *at = f;
    return f;
}

ap_filter_t *ap_add_output_filter(const char *name, void *ctx,
                                  request_rec *r, conn_rec *c)
{
    int i;

    for (i = 0; i < nfilters && strcasecmp(filters[i]->name, name); ++i)
        ;
    return ap_add_output_filter_handle(i < nfilters ? filters[i] : NULL, ctx,
                                       r, c);
}

void ap_remove_output_filter(ap_filter_t *f)
{
    ap_filter_t **at;

    for (at = &f->r->output_filters; *at; at = &(*at)->next) {
        if (*at == f) {
            *at = f->next;
            return;
        }
    }
}

apr_status_t ap_pass_brigade(ap_filter_t *f, apr_bucket_brigade *bb)
{
    return f ? f->frec->filter_func.out_func(f, bb) : APR_SUCCESS;
}

/* The last filter: keeps the body in the test's pool. */
static apr_status_t capture_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    ctx_test_req_t *t = ctx_test_req_of(f->r);
    char *data;
    apr_size_t len;
    apr_status_t rv;

    if ((rv = apr_brigade_pflatten(bb, &data, &len, t->pool)) != APR_SUCCESS) {
        return rv;
    }
    if (len) {
        char *all = apr_palloc(t->pool, t->body.iov_len + len + 1);

        memcpy(all, t->body.iov_base, t->body.iov_len);
        memcpy(all + t->body.iov_len, data, len);
        all[t->body.iov_len + len] = '\0';
        t->body.iov_base = all;
        t->body.iov_len += len;
    }
    apr_brigade_cleanup(bb);
    return APR_SUCCESS;
}

ap_filter_rec_t ctx_test_capture_frec = {
    .name = "CTX_TEST_CAPTURE",
    .filter_func = { .out_func = capture_filter },
    .ftype = AP_FTYPE_NETWORK
};

/* Registered at load time by many modules: accepted, never run (the kit
 * has no input filter chain and no provider lookups). */
ap_filter_rec_t *ap_register_input_filter(const char *name,
                                          ap_in_filter_func filter_func,
                                          ap_init_filter_func filter_init,
                                          ap_filter_type ftype)
{
    ap_filter_rec_t *f = kit_frec();

    f->name = name;
    f->filter_func.in_func = filter_func;
    f->filter_init_func = filter_init;
    f->ftype = ftype;
    return f;
}

apr_status_t ap_register_provider(apr_pool_t *pool, const char *group,
                                  const char *name, const char *version,
                                  const void *provider)
{
    (void)pool; (void)group; (void)name; (void)version; (void)provider;
    return APR_SUCCESS;
}

/* Authentication and authorization providers (mod_ctx's Require ctx-fresh):
 * accepted, never run; the kit has no authn/authz phase. */
apr_status_t ap_register_auth_provider(apr_pool_t *pool,
                                       const char *provider_group,
                                       const char *provider_name,
                                       const char *provider_version,
                                       const void *provider, int type)
{
    (void)pool; (void)provider_group; (void)provider_name;
    (void)provider_version; (void)provider; (void)type;
    return APR_SUCCESS;
}

/* ---- input: the test's request body ------------------------------------- */

ap_filter_rec_t ctx_test_input_frec = { .name = "CTX_TEST_INPUT" };

apr_status_t ap_get_brigade(ap_filter_t *f, apr_bucket_brigade *bb,
                            ap_input_mode_t mode, apr_read_type_e block,
                            apr_off_t readbytes)
{
    ctx_test_req_t *t = f ? ctx_test_req_of(f->r) : NULL;
    apr_size_t n;

    (void)block;
    if (!t || mode != AP_MODE_READBYTES) {
        return APR_ENOTIMPL;
    }
    n = t->in_len - t->in_pos;
    if (readbytes > 0 && (apr_off_t)n > readbytes) {
        n = (apr_size_t)readbytes;
    }
    if (n) {
        apr_brigade_write(bb, NULL, NULL, t->in + t->in_pos, n);
        t->in_pos += n;
    }
    if (t->in_pos == t->in_len) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
    }
    return APR_SUCCESS;
}

/* ---- response output ---------------------------------------------------- */

static ctx_test_req_t *output_of(request_rec *r)
{
    ctx_test_req_t *t = ctx_test_req_of(r);

    if (!t || t->ended) {
        fprintf(stderr, "libctx_test: output for a request that the kit did "
                "not make or that has ended\n");
        abort();
    }
    return t;
}

int ap_rwrite(const void *buf, int nbyte, request_rec *r)
{
    ctx_test_req_t *t = output_of(r);

    if (nbyte < 0) {
        return -1;
    }
    apr_brigade_write(t->out, NULL, NULL, buf, (apr_size_t)nbyte);
    return nbyte;
}

int ap_rputc(int c, request_rec *r)
{
    char ch = (char)c;

    return ap_rwrite(&ch, 1, r) == 1 ? c : -1;
}

int ap_vrprintf(request_rec *r, const char *fmt, va_list va)
{
    const char *s = apr_pvsprintf(r->pool, fmt, va);

    return ap_rwrite(s, (int)strlen(s), r);
}

int ap_rprintf(request_rec *r, const char *fmt, ...)
{
    va_list va;
    int n;

    va_start(va, fmt);
    n = ap_vrprintf(r, fmt, va);
    va_end(va);
    return n;
}

int ap_rvputs(request_rec *r, ...)
{
    va_list va;
    const char *s;
    int n = 0;

    va_start(va, r);
    while ((s = va_arg(va, const char *)) != NULL) {
        n += ap_rwrite(s, (int)strlen(s), r);
    }
    va_end(va);
    return n;
}

int ap_rflush(request_rec *r)
{
    ctx_test_req_t *t = output_of(r);

    APR_BRIGADE_INSERT_TAIL(t->out, apr_bucket_flush_create(
                                        r->connection->bucket_alloc));
    return ap_pass_brigade(r->output_filters, t->out) == APR_SUCCESS ? 0 : -1;
}

void ap_set_content_type(request_rec *r, const char *ct)
{
    r->content_type = ct;
}

void ap_set_content_length(request_rec *r, apr_off_t length)
{
    r->clength = length;
    apr_table_setn(r->headers_out, "Content-Length",
                   apr_off_t_toa(r->pool, length));
}

/* ---- logging ------------------------------------------------------------ */

static void log_line(int level, apr_status_t status, const char *fmt,
                     va_list va)
{
    char msg[8192];
    int n = apr_vsnprintf(msg, sizeof(msg), fmt, va);

    if (status != APR_SUCCESS && n >= 0 && (size_t)n < sizeof(msg)) {
        char err[256];

        apr_snprintf(msg + n, sizeof(msg) - n, " (%d)%s", status,
                     apr_strerror(status, err, sizeof(err)));
    }
    ctx_test_log_add(level & APLOG_LEVELMASK, msg);
}

void ap_log_error_(const char *file, int line, int module_index, int level,
                   apr_status_t status, const server_rec *s,
                   const char *fmt, ...)
{
    va_list va;

    (void)file; (void)line; (void)module_index; (void)s;
    va_start(va, fmt);
    log_line(level, status, fmt, va);
    va_end(va);
}

void ap_log_rerror_(const char *file, int line, int module_index, int level,
                    apr_status_t status, const request_rec *r,
                    const char *fmt, ...)
{
    va_list va;

    (void)file; (void)line; (void)module_index; (void)r;
    va_start(va, fmt);
    log_line(level, status, fmt, va);
    va_end(va);
}

void ap_log_cerror_(const char *file, int line, int module_index, int level,
                    apr_status_t status, const conn_rec *c,
                    const char *fmt, ...)
{
    va_list va;

    (void)file; (void)line; (void)module_index; (void)c;
    va_start(va, fmt);
    log_line(level, status, fmt, va);
    va_end(va);
}

void ap_log_perror_(const char *file, int line, int module_index, int level,
                    apr_status_t status, apr_pool_t *p, const char *fmt, ...)
{
    va_list va;

    (void)file; (void)line; (void)module_index; (void)p;
    va_start(va, fmt);
    log_line(level, status, fmt, va);
    va_end(va);
}

/* ---- what mod_ctx's configuration and glue ask httpd -------------------- */

/* A word of a configuration line: quotes group, a backslash escapes the
 * quote inside them (as httpd's). */
char *ap_getword_conf(apr_pool_t *p, const char **line)
{
    const char *s = *line, *start;
    char *word, *w;
    char quote;

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
        ++s;
    }
    if (*s != '"' && *s != '\'') {
        start = s;
        while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
            ++s;
        }
        word = apr_pstrmemdup(p, start, (apr_size_t)(s - start));
    }
    else {
        quote = *s++;
        w = word = apr_palloc(p, strlen(s) + 1);
        while (*s && *s != quote) {
            if (*s == '\\' && s[1] == quote) {
                ++s;
            }
            *w++ = *s++;
        }
        *w = '\0';
        if (*s) {
            ++s;
        }
    }
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
        ++s;
    }
    *line = s;
    return word;
}

const char *ap_check_cmd_context(cmd_parms *cmd, unsigned forbidden)
{
    (void)cmd; (void)forbidden;
    return NULL;    /* the kit's lines are at server level */
}

char *ap_server_root_relative(apr_pool_t *p, const char *fname)
{
    char *cwd = NULL, *path = NULL;

    if (!fname || fname[0] == '/') {
        return apr_pstrdup(p, fname);
    }
    if (apr_filepath_get(&cwd, 0, p) != APR_SUCCESS
        || apr_filepath_merge(&path, cwd, fname, APR_FILEPATH_TRUENAME, p)
           != APR_SUCCESS) {
        return NULL;
    }
    return path;
}

int ap_state_query(int query)
{
    switch (query) {
    case AP_SQ_MAIN_STATE:  return AP_SQ_MS_RUN_MPM;
    case AP_SQ_RUN_MODE:    return AP_SQ_RM_NORMAL;
    case AP_SQ_CONFIG_GEN:  return 1;
    }
    return AP_SQ_NOT_SUPPORTED;
}

module *ap_find_linked_module(const char *name)
{
    (void)name;
    return NULL;
}

char *ap_escape_logitem(apr_pool_t *p, const char *str)
{
    char *out, *o;

    if (!str) {
        return NULL;
    }
    out = o = apr_palloc(p, 4 * strlen(str) + 1);
    for (; *str; ++str) {
        unsigned char ch = (unsigned char)*str;

        if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
            o += sprintf(o, "\\x%02x", ch);
        }
        else {
            *o++ = (char)ch;
        }
    }
    *o = '\0';
    return out;
}

/* httpd's: <, >, & and " as entities; with toasc, bytes above 127 as
 * numeric references. Handlers print user input into HTML with it. */
char *ap_escape_html2(apr_pool_t *p, const char *s, int toasc)
{
    char *out, *o;

    out = o = apr_palloc(p, 6 * strlen(s) + 1);
    for (; *s; ++s) {
        unsigned char ch = (unsigned char)*s;

        if (ch == '<') {
            o = stpcpy(o, "&lt;");
        }
        else if (ch == '>') {
            o = stpcpy(o, "&gt;");
        }
        else if (ch == '&') {
            o = stpcpy(o, "&amp;");
        }
        else if (ch == '"') {
            o = stpcpy(o, "&quot;");
        }
        else if (toasc && ch > 127) {
            o += sprintf(o, "&#%3.3d;", ch);
        }
        else {
            *o++ = (char)ch;
        }
    }
    *o = '\0';
    return out;
}

char *ap_strcasestr(const char *s1, const char *s2)
{
    return strcasestr(s1, s2);
}

const char *ap_run_http_scheme(const request_rec *r)
{
    (void)r;
    return "http";
}

int ap_map_http_request_error(apr_status_t rv, int status)
{
    switch (rv) {
    case AP_FILTER_ERROR:   return AP_FILTER_ERROR;
    case APR_ENOSPC:        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    case APR_ENOTIMPL:      return HTTP_NOT_IMPLEMENTED;
    case APR_TIMEUP:
    case APR_ETIMEDOUT:     return HTTP_REQUEST_TIME_OUT;
    default:                return status;
    }
}

void *ap_lookup_provider(const char *group, const char *name,
                         const char *version)
{
    (void)group; (void)name; (void)version;
    return NULL;    /* no socache provider: CtxSessionStore is refused */
}

apr_status_t ap_mutex_register(apr_pool_t *pconf, const char *type,
                               const char *default_dir,
                               apr_lockmech_e default_mech, apr_int32_t options)
{
    (void)pconf; (void)type; (void)default_dir; (void)default_mech;
    (void)options;
    return APR_SUCCESS;
}

int ap_method_number_of(const char *method)
{
    static const struct { const char *name; int num; } methods[] = {
        { "GET", M_GET }, { "HEAD", M_GET }, { "POST", M_POST },
        { "PUT", M_PUT }, { "DELETE", M_DELETE }, { "OPTIONS", M_OPTIONS },
        { "PATCH", M_PATCH }, { "CONNECT", M_CONNECT }, { "TRACE", M_TRACE },
    };

    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); ++i) {
        if (!strcmp(method, methods[i].name)) {
            return methods[i].num;
        }
    }
    return M_INVALID;
}
