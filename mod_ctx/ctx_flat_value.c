/* ctx_flat_value: typed reads of one member's raw JSON text (ctx_flat.h):
 * its type from the first byte, integers, doubles, booleans and strings
 * read from the text itself, without a jansson value; and the whole
 * object to and from jansson values, for the callers that want them. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "ctx_flat.h"
#include "ctx_json.h"

json_type ctx_flat_type(const char *text, apr_size_t tlen)
{
    if (!tlen) {
        return JSON_NULL;
    }
    switch (text[0]) {
    case '{': return JSON_OBJECT;
    case '[': return JSON_ARRAY;
    case '"': return JSON_STRING;
    case 't': case 'f': return JSON_TRUE;
    case 'n': return JSON_NULL;
    default:
        for (apr_size_t i = 0; i < tlen; ++i) {
            if (text[i] == '.' || text[i] == 'e' || text[i] == 'E') {
                return JSON_REAL;
            }
        }
        return JSON_INTEGER;
    }
}

apr_status_t ctx_flat_int(const char *text, apr_size_t tlen,
                          apr_int64_t *val)
{
    apr_uint64_t u = 0, limit;
    apr_size_t i = 0;
    int neg;

    /* Digits only (a float's '.' or 'e' and every other type fail the
     * loop): no separate pass for the type. */
    neg = tlen && text[0] == '-';
    i = (apr_size_t)neg;
    if (i >= tlen) {
        return APR_EINVAL;
    }
    if (tlen - i <= 18) {
        /* Up to 18 digits cannot overflow: no range check per digit. */
        for (; i < tlen; ++i) {
            unsigned d = (unsigned)(text[i] - '0');

            if (d > 9) {
                return APR_EINVAL;
            }
            u = u * 10 + d;
        }
        *val = neg ? -(apr_int64_t)u : (apr_int64_t)u;
        return APR_SUCCESS;
    }
    /* Accumulated unsigned, so that -9223372036854775808 is exact. */
    limit = neg ? (apr_uint64_t)1 << 63 : ((apr_uint64_t)1 << 63) - 1;
    for (; i < tlen; ++i) {
        unsigned d = (unsigned)(text[i] - '0');

        if (d > 9 || u > (limit - d) / 10) {
            return APR_EINVAL;
        }
        u = u * 10 + d;
    }
    *val = neg ? (apr_int64_t)(0 - u) : (apr_int64_t)u;
    return APR_SUCCESS;
}

apr_status_t ctx_flat_double(const char *text, apr_size_t tlen, double *val)
{
    char tmp[512];
    apr_int64_t i;

    switch (ctx_flat_type(text, tlen)) {
    case JSON_INTEGER:
        if (ctx_flat_int(text, tlen, &i) != APR_SUCCESS) {
            return APR_EINVAL;
        }
        *val = (double)i;
        return APR_SUCCESS;
    case JSON_REAL:
        /* As the reader converts it. */
        if (tlen >= sizeof(tmp)) {
            return APR_EINVAL;
        }
        memcpy(tmp, text, tlen);
        tmp[tlen] = '\0';
        *val = strtod(tmp, NULL);
        return APR_SUCCESS;
    default:
        return APR_EINVAL;
    }
}

apr_status_t ctx_flat_bool(const char *text, apr_size_t tlen, int *val)
{
    if (ctx_flat_type(text, tlen) != JSON_TRUE) {
        return APR_EINVAL;
    }
    *val = text[0] == 't';
    return APR_SUCCESS;
}

apr_status_t ctx_flat_string(apr_pool_t *p, const char *text,
                             apr_size_t tlen, const char **val,
                             apr_size_t *len)
{
    const char *pos = text + 1;
    apr_size_t n;
    const char *s;

    if (ctx_flat_type(text, tlen) != JSON_STRING) {
        return APR_EINVAL;
    }
    /* Plain text needs no unescaping: one copy. */
    if (!memchr(text + 1, '\\', tlen - 2)) {
        n = tlen - 2;
        s = apr_pstrmemdup(p, text + 1, n);
    }
    else {
        s = ctx_json_read_string(p, &pos, text + tlen, &n);
    }
    if (!s) {
        return APR_ENOMEM;
    }
    *val = s;
    if (len) *len = n;
    return APR_SUCCESS;
}

/* ---- jansson values ------------------------------------------------------ */

json_t *ctx_flat_to_json(const ctx_flat_t *f)
{
    json_t *obj = json_object();

    for (int i = 0; obj && i < ctx_flat_count(f); ++i) {
        const ctx_flat_member_t *m = ctx_flat_at(f, i);
        json_t *v = ctx_json_parse(m->text, m->tlen);

        if (!v || json_object_set_new_nocheck(obj, m->key, v) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

ctx_flat_t *ctx_flat_from_json(apr_pool_t *p, const json_t *obj)
{
    ctx_flat_t *f = ctx_flat_create(p);
    const char *key;
    json_t *val;

    if (!obj) {
        return f;
    }
    if (!json_is_object(obj)) {
        return NULL;
    }
    json_object_foreach((json_t *)obj, key, val) {
        char *text;
        apr_size_t tlen, values;

        if (ctx_json_write_member(p, val, &text, &tlen, &values)
            != APR_SUCCESS
            || ctx_flat_set(f, key, text, tlen, values) != APR_SUCCESS) {
            return NULL;
        }
    }
    return f;
}
