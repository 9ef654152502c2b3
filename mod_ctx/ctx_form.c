/* ctx_form: see ctx_form.h. */
#include <string.h>

#include <apr_strings.h>

#include "ctx_args.h"
#include "ctx_form.h"

typedef struct {
    const char *name;
    const char *val;
} form_field_t;

struct ctx_form_t {
    apr_array_header_t *fields;     /* form_field_t */
    apr_array_header_t *files;      /* ctx_multipart_part_t */
    int dropped;
};

ctx_form_t *ctx_form_empty(apr_pool_t *p)
{
    ctx_form_t *f = apr_pcalloc(p, sizeof(*f));

    f->fields = apr_array_make(p, 4, sizeof(form_field_t));
    f->files = apr_array_make(p, 1, sizeof(ctx_multipart_part_t));
    return f;
}

static void add_field(ctx_form_t *f, const char *name, const char *val)
{
    if (name && val) {
        form_field_t *fld = apr_array_push(f->fields);

        fld->name = name;
        fld->val = val;
    }
    else {
        ++f->dropped;
    }
}

apr_status_t ctx_form_parse_urlencoded(apr_pool_t *p, const char *body,
                                       apr_size_t len, int max_fields,
                                       ctx_form_t **form)
{
    ctx_form_t *f;
    apr_size_t i = 0;
    int pairs = 0;

    if (!p || (!body && len) || !form) {
        return APR_EINVAL;
    }
    f = ctx_form_empty(p);
    while (i < len) {
        /* One segment per round; i always moves forward. */
        const char *s = body + i, *amp = memchr(s, '&', len - i);
        apr_size_t slen = amp ? (apr_size_t)(amp - s) : len - i;
        const char *eq = memchr(s, '=', slen);

        if (slen > 0) {
            apr_size_t klen = eq ? (apr_size_t)(eq - s) : slen;

            if (++pairs > max_fields) {
                return APR_ENOSPC;
            }
            add_field(f, ctx_url_decode(p, s, klen),
                      eq ? ctx_url_decode(p, eq + 1, slen - klen - 1) : "");
        }
        i += slen + 1;
    }
    *form = f;
    return APR_SUCCESS;
}

ctx_form_t *ctx_form_from_parts(apr_pool_t *p, const apr_array_header_t *parts)
{
    ctx_form_t *f = ctx_form_empty(p);

    for (int i = 0; parts && i < parts->nelts; ++i) {
        const ctx_multipart_part_t *part =
            &APR_ARRAY_IDX(parts, i, ctx_multipart_part_t);

        if (part->filename) {
            APR_ARRAY_PUSH(f->files, ctx_multipart_part_t) = *part;
        }
        else {
            add_field(f, part->name,
                      memchr(part->data, '\0', part->len)
                          ? NULL
                          : apr_pstrmemdup(p, part->data, part->len));
        }
    }
    return f;
}

const char *ctx_form_get(const ctx_form_t *f, const char *name)
{
    for (int i = 0; f && name && i < f->fields->nelts; ++i) {
        const form_field_t *fld = &APR_ARRAY_IDX(f->fields, i, form_field_t);

        if (!strcmp(fld->name, name)) {
            return fld->val;
        }
    }
    return NULL;
}

apr_array_header_t *ctx_form_get_all(const ctx_form_t *f, apr_pool_t *p,
                                     const char *name)
{
    apr_array_header_t *vals = apr_array_make(p, 2, sizeof(const char *));

    for (int i = 0; f && name && i < f->fields->nelts; ++i) {
        const form_field_t *fld = &APR_ARRAY_IDX(f->fields, i, form_field_t);

        if (!strcmp(fld->name, name)) {
            APR_ARRAY_PUSH(vals, const char *) = fld->val;
        }
    }
    return vals;
}

apr_array_header_t *ctx_form_names(const ctx_form_t *f, apr_pool_t *p)
{
    apr_array_header_t *names = apr_array_make(p, 4, sizeof(const char *));

    /* Quadratic in the number of distinct names, which is bounded by
     * CTX_FORM_MAX_FIELDS. */
    for (int i = 0; f && i < f->fields->nelts; ++i) {
        const char *name = APR_ARRAY_IDX(f->fields, i, form_field_t).name;
        int seen = 0;

        for (int j = 0; j < names->nelts && !seen; ++j) {
            seen = !strcmp(APR_ARRAY_IDX(names, j, const char *), name);
        }
        if (!seen) {
            APR_ARRAY_PUSH(names, const char *) = name;
        }
    }
    return names;
}

const ctx_multipart_part_t *ctx_form_file(const ctx_form_t *f,
                                          const char *name)
{
    for (int i = 0; f && name && i < f->files->nelts; ++i) {
        const ctx_multipart_part_t *part =
            &APR_ARRAY_IDX(f->files, i, ctx_multipart_part_t);

        if (!strcmp(part->name, name)) {
            return part;
        }
    }
    return NULL;
}

apr_array_header_t *ctx_form_files(const ctx_form_t *f, apr_pool_t *p,
                                   const char *name)
{
    apr_array_header_t *out = apr_array_make(p, 1, sizeof(void *));

    for (int i = 0; f && i < f->files->nelts; ++i) {
        const ctx_multipart_part_t *part =
            &APR_ARRAY_IDX(f->files, i, ctx_multipart_part_t);

        if (!name || !strcmp(part->name, name)) {
            APR_ARRAY_PUSH(out, const ctx_multipart_part_t *) = part;
        }
    }
    return out;
}

int ctx_form_count(const ctx_form_t *f)
{
    return f ? f->fields->nelts : 0;
}

int ctx_form_file_count(const ctx_form_t *f)
{
    return f ? f->files->nelts : 0;
}

int ctx_form_dropped(const ctx_form_t *f)
{
    return f ? f->dropped : 0;
}
