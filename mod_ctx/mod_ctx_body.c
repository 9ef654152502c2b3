/* mod_ctx_body: see mod_ctx_body.h.
 *
 * One state per client request, kept as user data of the main request's
 * pool: an internal redirect shares that pool and so the body; a
 * subrequest finds its main request and reads (once) from the main
 * request's input filters. The body is read with ap_get_brigade() on the
 * input filters, so HTTP_IN decodes chunked bodies and sends 100 Continue
 * when it is first asked for data. */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "util_filter.h"
#include "apr_strings.h"

#include "mod_ctx_body.h"
#include "mod_ctx_config.h"
#include "mod_ctx_task.h"
#include "ctx_cookie.h"
#include "ctx_form.h"
#include "ctx_json.h"
#include "ctx_multipart.h"

APLOG_USE_MODULE(ctx);

#define BODY_KEY "mod_ctx_body"
/* Bytes asked of the input filters per read, and reads in a row that may
 * bring no data before the client is taken to be broken. */
#define BODY_READ_CHUNK 65536
#define BODY_MAX_EMPTY_READS 64
/* A multipart part's header block (Werkzeug allows 8 KiB as well). */
#define BODY_MAX_PART_HEADERS 8192

typedef struct {
    int read;                   /* the body was read (or refused) */
    apr_status_t status;        /* ... with this status */
    const char *data;           /* len bytes + '\0', in the main pool */
    apr_size_t len;
    int form_done;
    apr_status_t form_status;
    ctx_form_t *form;           /* empty for other content types */
    int json_done;
    apr_status_t json_status;
} body_state_t;

/* r (NULL: the current request); NULL in a task or without a request. */
static request_rec *resolve(request_rec *r)
{
    return r ? r : ctx_glue_request(ctx_context_current());
}

static request_rec *main_of(request_rec *r)
{
    while (r->main) {
        r = r->main;
    }
    return r;
}

static body_state_t *state_of(request_rec *m)
{
    void *st = NULL;

    apr_pool_userdata_get(&st, BODY_KEY, m->pool);
    if (!st) {
        st = apr_pcalloc(m->pool, sizeof(body_state_t));
        apr_pool_userdata_setn(st, BODY_KEY, NULL, m->pool);
    }
    return st;
}

/* An error from the input filters, as an API status. */
static apr_status_t read_error(request_rec *m, apr_status_t rv)
{
    int http = ap_map_http_request_error(rv, HTTP_BAD_REQUEST);

    /* What is left of the body will not be read: never parse it as the
     * next request. */
    m->connection->keepalive = AP_CONN_CLOSE;
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, m, "mod_ctx: reading the "
                  "request body failed (HTTP %d)", http);
    switch (http) {
    case HTTP_REQUEST_ENTITY_TOO_LARGE: return CTX_EBODYTOOLARGE;
    case HTTP_REQUEST_TIME_OUT:         return APR_TIMEUP;
    case AP_FILTER_ERROR:               return CTX_EBODYREAD;
    default:                            return CTX_EBADBODY;
    }
}

static apr_status_t too_large(request_rec *m, const char *why)
{
    m->connection->keepalive = AP_CONN_CLOSE;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, m, "mod_ctx: request body "
                  "refused: %s", why);
    return CTX_EBODYTOOLARGE;
}

static const char *over_limit(request_rec *m, const char *what,
                              apr_int64_t limit)
{
    return apr_psprintf(m->pool, "%s is over CtxMaxBodySize (%"
                        APR_INT64_T_FMT " bytes)", what, limit);
}

/* Append n bytes to the buffer (capacity *cap, growing by doubling up to
 * limit + 1 bytes, in the main pool). */
static void append(request_rec *m, char **buf, apr_size_t *len,
                   apr_size_t *cap, apr_size_t limit, const char *d,
                   apr_size_t n)
{
    if (*len + n + 1 > *cap) {
        apr_size_t ncap = *cap * 2;
        char *nbuf;

        while (ncap < *len + n + 1) {
            ncap *= 2;
        }
        if (ncap > limit + 1) {
            ncap = limit + 1;
        }
        nbuf = apr_palloc(m->pool, ncap);
        memcpy(nbuf, *buf, *len);
        *buf = nbuf;
        *cap = ncap;
    }
    memcpy(*buf + *len, d, n);
    *len += n;
}

static apr_status_t read_body(request_rec *m, apr_int64_t limit,
                              body_state_t *st)
{
    const char *cl = apr_table_get(m->headers_in, "Content-Length");
    apr_bucket_brigade *bb;
    apr_size_t len = 0, cap = 16384, lim = (apr_size_t)limit;
    char *buf;
    int empty = 0, eos = 0;

    if (cl) {
        apr_off_t n;
        char *end;

        /* httpd checked the header already (ap_read_request). */
        if (apr_strtoff(&n, cl, &end, 10) != APR_SUCCESS || *end || n < 0) {
            return CTX_EBADBODY;
        }
        if (n > limit) {
            return too_large(m, over_limit(m, "its Content-Length", limit));
        }
        cap = (apr_size_t)n + 1;
    }
    else if (cap > lim + 1) {
        cap = lim + 1;
    }
    buf = apr_palloc(m->pool, cap);
    bb = apr_brigade_create(m->pool, m->connection->bucket_alloc);
    /* Ends at EOS, an error, the limit, or after BODY_MAX_EMPTY_READS reads
     * in a row that bring no data. */
    while (!eos) {
        apr_status_t rv = ap_get_brigade(m->input_filters, bb,
                                         AP_MODE_READBYTES, APR_BLOCK_READ,
                                         BODY_READ_CHUNK);
        apr_size_t before = len;

        if (rv != APR_SUCCESS) {
            apr_brigade_destroy(bb);
            return read_error(m, rv);
        }
        for (apr_bucket *b = APR_BRIGADE_FIRST(bb);
             b != APR_BRIGADE_SENTINEL(bb) && !eos; b = APR_BUCKET_NEXT(b)) {
            const char *d;
            apr_size_t n;

            if (APR_BUCKET_IS_EOS(b)) {
                eos = 1;
                continue;
            }
            if (AP_BUCKET_IS_ERROR(b)) {
                int http = ((ap_bucket_error *)b->data)->status;

                apr_brigade_destroy(bb);
                return http == HTTP_REQUEST_ENTITY_TOO_LARGE
                           ? too_large(m, "over httpd's LimitRequestBody")
                           : read_error(m, APR_EGENERAL);
            }
            if (APR_BUCKET_IS_METADATA(b)) {
                continue;
            }
            if ((rv = apr_bucket_read(b, &d, &n, APR_BLOCK_READ))
                != APR_SUCCESS) {
                apr_brigade_destroy(bb);
                return read_error(m, rv);
            }
            if (n > lim - len) {
                apr_brigade_destroy(bb);
                return too_large(m, over_limit(m, "its size", limit));
            }
            append(m, &buf, &len, &cap, lim, d, n);
        }
        apr_brigade_cleanup(bb);
        if (!eos && len == before && ++empty > BODY_MAX_EMPTY_READS) {
            apr_brigade_destroy(bb);
            return read_error(m, APR_EGENERAL);
        }
        if (len != before) {
            empty = 0;
        }
    }
    apr_brigade_destroy(bb);
    buf[len] = '\0';
    st->data = buf;
    st->len = len;
    return APR_SUCCESS;
}

/* The state of r's client request with the body read (once). NULL with
 * *rv = APR_EINVAL without a request. */
static body_state_t *body_of(request_rec *r, apr_status_t *rv)
{
    request_rec *m;
    body_state_t *st;

    if (!(r = resolve(r))) {
        *rv = APR_EINVAL;
        return NULL;
    }
    m = main_of(r);
    st = state_of(m);
    if (!st->read) {
        st->read = 1;
        st->status = read_body(m, ctx_body_limit(ctx_dir_conf(r)), st);
    }
    *rv = st->status;
    return st;
}

apr_status_t ctx_glue_body(request_rec *r, const char **data, apr_size_t *len)
{
    apr_status_t rv;
    body_state_t *st;

    if (!data || !len) {
        return APR_EINVAL;
    }
    if (!(st = body_of(r, &rv)) || rv != APR_SUCCESS) {
        return rv;
    }
    *data = st->data;
    *len = st->len;
    return APR_SUCCESS;
}

/* The media type of a Content-Type value: before ';', spaces trimmed. */
static int media_type_is(const char *ct, const char *type)
{
    apr_size_t n = strlen(type);

    while (ct && (*ct == ' ' || *ct == '\t')) {
        ++ct;
    }
    if (!ct || strncasecmp(ct, type, n)) {
        return 0;
    }
    ct += n;
    while (*ct == ' ' || *ct == '\t') {
        ++ct;
    }
    return !*ct || *ct == ';';
}

static apr_status_t parse_form(request_rec *r, body_state_t **stp)
{
    request_rec *m, *rr = resolve(r);
    body_state_t *st;
    const char *ct, *boundary = NULL;
    apr_status_t rv;
    int multipart;

    if (!rr) {
        return APR_EINVAL;
    }
    m = main_of(rr);
    st = *stp = state_of(m);
    if (st->form_done) {
        return st->form_status;
    }
    ct = apr_table_get(m->headers_in, "Content-Type");
    multipart = ctx_multipart_boundary(m->pool, ct, &boundary);
    if (multipart == APR_NOTFOUND
        && !media_type_is(ct, "application/x-www-form-urlencoded")) {
        /* Not a form: an empty one, and the body stays unread. */
        st->form = ctx_form_empty(m->pool);
        st->form_done = 1;
        return st->form_status = APR_SUCCESS;
    }
    if (!body_of(rr, &rv) || rv != APR_SUCCESS) {
        st->form_done = 1;
        return st->form_status = rv;
    }
    if (multipart == APR_EINVAL) {
        rv = CTX_EBADBODY;
    }
    else if (multipart == APR_SUCCESS) {
        ctx_multipart_limits_t lim = { CTX_FORM_MAX_FIELDS,
                                       BODY_MAX_PART_HEADERS };
        apr_array_header_t *parts;

        rv = ctx_multipart_parse(m->pool, st->data, st->len, boundary, &lim,
                                 &parts);
        if (rv == APR_SUCCESS) {
            st->form = ctx_form_from_parts(m->pool, parts);
        }
    }
    else {
        rv = ctx_form_parse_urlencoded(m->pool, st->data, st->len,
                                       CTX_FORM_MAX_FIELDS, &st->form);
    }
    if (rv == APR_ENOSPC) {
        rv = too_large(m, apr_psprintf(m->pool, "a form over %d fields or "
                                       "%d bytes of part headers",
                                       CTX_FORM_MAX_FIELDS,
                                       BODY_MAX_PART_HEADERS));
    }
    else if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, m, "mod_ctx: malformed "
                      "form body (Content-Type: %s)",
                      ap_escape_logitem(m->pool, ct));
        rv = CTX_EBADBODY;
    }
    if (rv == APR_SUCCESS && ctx_form_dropped(st->form)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, m, "mod_ctx: %d form "
                      "fields with NUL bytes dropped",
                      ctx_form_dropped(st->form));
    }
    st->form_done = 1;
    return st->form_status = rv;
}

apr_status_t ctx_glue_form(request_rec *r, const char *name, const char **val)
{
    body_state_t *st;
    apr_status_t rv;

    if (!name || !val) {
        return APR_EINVAL;
    }
    if ((rv = parse_form(r, &st)) != APR_SUCCESS) {
        return rv;
    }
    *val = ctx_form_get(st->form, name);
    return *val ? APR_SUCCESS : APR_NOTFOUND;
}

apr_status_t ctx_glue_form_all(request_rec *r, const char *name,
                               apr_array_header_t **vals)
{
    body_state_t *st;
    apr_status_t rv;

    if (!name || !vals) {
        return APR_EINVAL;
    }
    if ((rv = parse_form(r, &st)) == APR_SUCCESS) {
        *vals = ctx_form_get_all(st->form, main_of(resolve(r))->pool, name);
    }
    return rv;
}

apr_status_t ctx_glue_form_names(request_rec *r, apr_array_header_t **names)
{
    body_state_t *st;
    apr_status_t rv;

    if (!names) {
        return APR_EINVAL;
    }
    if ((rv = parse_form(r, &st)) == APR_SUCCESS) {
        *names = ctx_form_names(st->form, main_of(resolve(r))->pool);
    }
    return rv;
}

/* A copy of a part as the public type, in `p`. */
static const ctx_form_file_t *file_copy(apr_pool_t *p,
                                        const ctx_multipart_part_t *part)
{
    ctx_form_file_t *f = apr_palloc(p, sizeof(*f));

    f->name = part->name;
    f->filename = part->filename;
    f->content_type = part->content_type;
    f->data = part->data;
    f->len = part->len;
    return f;
}

apr_status_t ctx_glue_form_file(request_rec *r, const char *name,
                                const ctx_form_file_t **file)
{
    body_state_t *st;
    const ctx_multipart_part_t *part;
    apr_status_t rv;

    if (!name || !file) {
        return APR_EINVAL;
    }
    if ((rv = parse_form(r, &st)) != APR_SUCCESS) {
        return rv;
    }
    if (!(part = ctx_form_file(st->form, name))) {
        return APR_NOTFOUND;
    }
    *file = file_copy(main_of(resolve(r))->pool, part);
    return APR_SUCCESS;
}

apr_status_t ctx_glue_form_files(request_rec *r, const char *name,
                                 apr_array_header_t **files)
{
    body_state_t *st;
    apr_array_header_t *parts;
    apr_pool_t *p;
    apr_status_t rv;

    if (!files) {
        return APR_EINVAL;
    }
    if ((rv = parse_form(r, &st)) != APR_SUCCESS) {
        return rv;
    }
    p = main_of(resolve(r))->pool;
    parts = ctx_form_files(st->form, p, name);
    *files = apr_array_make(p, parts->nelts ? parts->nelts : 1,
                            sizeof(const ctx_form_file_t *));
    for (int i = 0; i < parts->nelts; ++i) {
        APR_ARRAY_PUSH(*files, const ctx_form_file_t *) =
            file_copy(p, APR_ARRAY_IDX(parts, i, const ctx_multipart_part_t *));
    }
    return APR_SUCCESS;
}

/* Werkzeug's Request.is_json: application/json or application/...+json. */
static int is_json_type(const char *ct)
{
    const char *semi, *end;

    if (!ct) {
        return 0;
    }
    if (media_type_is(ct, "application/json")) {
        return 1;
    }
    while (*ct == ' ' || *ct == '\t') {
        ++ct;
    }
    if (strncasecmp(ct, "application/", 12)) {
        return 0;
    }
    semi = strchr(ct, ';');
    end = semi ? semi : ct + strlen(ct);
    while (end > ct && (end[-1] == ' ' || end[-1] == '\t')) {
        --end;
    }
    return end - ct > 12 + 5 && !strncasecmp(end - 5, "+json", 5);
}

apr_status_t ctx_glue_json_body(request_rec *r, const char **json)
{
    request_rec *rr = resolve(r), *m;
    body_state_t *st;
    apr_status_t rv;

    if (!json || !rr) {
        return APR_EINVAL;
    }
    m = main_of(rr);
    st = state_of(m);
    if (!st->json_done) {
        if (!is_json_type(apr_table_get(m->headers_in, "Content-Type"))) {
            rv = CTX_EMEDIATYPE;
        }
        else if (body_of(rr, &rv) && rv == APR_SUCCESS) {
            json_t *v = st->len ? ctx_json_parse(st->data, st->len) : NULL;

            if (v) {
                json_decref(v);
            }
            else {
                ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, m, "mod_ctx: the "
                              "request body is not valid JSON");
                rv = CTX_EBADBODY;
            }
        }
        st->json_done = 1;
        st->json_status = rv;
    }
    if (st->json_status == APR_SUCCESS) {
        *json = st->data;
    }
    return st->json_status;
}

typedef struct {
    const char *name;
    const char *val;
    apr_size_t len;
} cookie_find_t;

static int first_cookie(void *baton, const char *val, apr_size_t len)
{
    cookie_find_t *cf = baton;

    cf->val = val;
    cf->len = len;
    return 0;
}

static int each_cookie_header(void *baton, const char *key, const char *val)
{
    (void)key;
    return ctx_cookie_find(val, ((cookie_find_t *)baton)->name, first_cookie,
                           baton);
}

const char *ctx_glue_cookie(request_rec *r, const char *name)
{
    cookie_find_t cf = { name, NULL, 0 };

    if (!name || !*name || !(r = resolve(r))) {
        return NULL;
    }
    apr_table_do(each_cookie_header, &cf, r->headers_in, "Cookie", NULL);
    if (!cf.val) {
        return NULL;
    }
    /* RFC 6265: cookie-value may be wrapped in DQUOTEs. */
    if (cf.len >= 2 && cf.val[0] == '"' && cf.val[cf.len - 1] == '"') {
        ++cf.val;
        cf.len -= 2;
    }
    return apr_pstrmemdup(main_of(r)->pool, cf.val, cf.len);
}
