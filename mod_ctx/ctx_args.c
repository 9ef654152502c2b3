/* ctx_args: see ctx_args.h. */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "ctx_args.h"

typedef struct {
    const char *key;
    const char *val;
} arg_pair_t;

struct ctx_args_t {
    apr_array_header_t *pairs;  /* arg_pair_t */
    int dropped;
};

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *ctx_url_decode(apr_pool_t *p, const char *s, apr_size_t len)
{
    char *out = apr_palloc(p, len + 1), *o = out;

    for (apr_size_t i = 0; i < len; ++i) {
        char c = s[i];

        if (c == '+') {
            c = ' ';
        }
        else if (c == '%' && i + 2 < len
                 && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
            if (c == '\0') {
                return NULL;
            }
        }
        else if (c == '\0') {
            return NULL;
        }
        *o++ = c;
    }
    *o = '\0';
    return out;
}

ctx_args_t *ctx_args_parse(apr_pool_t *p, const char *query)
{
    ctx_args_t *args = apr_pcalloc(p, sizeof(*args));
    const char *s = query;

    args->pairs = apr_array_make(p, 4, sizeof(arg_pair_t));
    while (s && *s) {
        const char *end = strchr(s, '&');
        apr_size_t plen = end ? (apr_size_t)(end - s) : strlen(s);
        const char *eq = memchr(s, '=', plen);

        if (plen > 0) {
            apr_size_t klen = eq ? (apr_size_t)(eq - s) : plen;
            char *key = ctx_url_decode(p, s, klen);
            char *val = eq ? ctx_url_decode(p, eq + 1, plen - klen - 1)
                           : apr_pstrdup(p, "");

            if (key && val) {
                arg_pair_t *pair = apr_array_push(args->pairs);

                pair->key = key;
                pair->val = val;
            }
            else {
                ++args->dropped;
            }
        }
        s = end ? end + 1 : NULL;
    }
    return args;
}

const char *ctx_args_get(const ctx_args_t *args, const char *name)
{
    if (!args || !name) {
        return NULL;
    }
    for (int i = 0; i < args->pairs->nelts; ++i) {
        const arg_pair_t *pair = &APR_ARRAY_IDX(args->pairs, i, arg_pair_t);

        if (!strcmp(pair->key, name)) {
            return pair->val;
        }
    }
    return NULL;
}

apr_array_header_t *ctx_args_get_all(const ctx_args_t *args, apr_pool_t *p,
                                     const char *name)
{
    apr_array_header_t *vals = apr_array_make(p, 2, sizeof(const char *));

    if (!args || !name) {
        return vals;
    }
    for (int i = 0; i < args->pairs->nelts; ++i) {
        const arg_pair_t *pair = &APR_ARRAY_IDX(args->pairs, i, arg_pair_t);

        if (!strcmp(pair->key, name)) {
            APR_ARRAY_PUSH(vals, const char *) = pair->val;
        }
    }
    return vals;
}

apr_array_header_t *ctx_args_names(const ctx_args_t *args, apr_pool_t *p)
{
    int n = args ? args->pairs->nelts : 0;
    apr_array_header_t *names = apr_array_make(p, n ? n : 1,
                                               sizeof(const char *));
    apr_hash_t *seen;

    if (!n) {
        return names;
    }
    /* A hash, not a scan of the names so far: a query of thousands of
     * distinct names must cost linear time. */
    seen = apr_hash_make(p);
    for (int i = 0; i < n; ++i) {
        const char *key = APR_ARRAY_IDX(args->pairs, i, arg_pair_t).key;

        if (!apr_hash_get(seen, key, APR_HASH_KEY_STRING)) {
            apr_hash_set(seen, key, APR_HASH_KEY_STRING, key);
            APR_ARRAY_PUSH(names, const char *) = key;
        }
    }
    return names;
}

int ctx_args_count(const ctx_args_t *args)
{
    return args ? args->pairs->nelts : 0;
}

int ctx_args_dropped(const ctx_args_t *args)
{
    return args ? args->dropped : 0;
}

apr_status_t ctx_args_at(const ctx_args_t *args, int i, const char **key,
                         const char **val)
{
    const arg_pair_t *pair;

    if (!args || i < 0 || i >= args->pairs->nelts) {
        return APR_EINVAL;
    }
    pair = &APR_ARRAY_IDX(args->pairs, i, arg_pair_t);
    if (key) *key = pair->key;
    if (val) *val = pair->val;
    return APR_SUCCESS;
}
