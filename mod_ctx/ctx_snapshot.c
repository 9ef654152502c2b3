/* ctx_snapshot: see ctx_snapshot.h. */
#include <apr_strings.h>

#include "ctx_snapshot.h"

static const char *dup_or_null(apr_pool_t *p, const char *s)
{
    return s ? apr_pstrdup(p, s) : NULL;
}

static int copy_header(void *baton, const char *key, const char *val)
{
    apr_table_add(baton, key, val);     /* apr_table_add copies both */
    return 1;
}

/* Copy every entry of `from` that `unless` does not have into `to`. */
static void copy_config(apr_pool_t *p, apr_hash_t *to, apr_hash_t *from,
                        apr_hash_t *unless)
{
    apr_hash_index_t *hi;

    for (hi = from ? apr_hash_first(p, from) : NULL; hi;
         hi = apr_hash_next(hi)) {
        const char *k, *v;
        apr_ssize_t klen;

        apr_hash_this(hi, (const void **)&k, &klen, (void **)&v);
        if (!unless || !apr_hash_get(unless, k, klen)) {
            apr_hash_set(to, apr_pstrmemdup(p, k, klen), klen,
                         dup_or_null(p, v));
        }
    }
}

ctx_snapshot_t *ctx_snapshot_copy(apr_pool_t *p, const ctx_snapshot_t *src)
{
    ctx_snapshot_t *s;

    if (!p || !src) {
        return NULL;
    }
    s = apr_pcalloc(p, sizeof(*s));
    s->method = dup_or_null(p, src->method);
    s->uri = dup_or_null(p, src->uri);
    s->unparsed_uri = dup_or_null(p, src->unparsed_uri);
    s->query = dup_or_null(p, src->query);
    s->remote_addr = dup_or_null(p, src->remote_addr);
    s->user = dup_or_null(p, src->user);
    s->headers = apr_table_make(p, src->headers
                                ? apr_table_elts(src->headers)->nelts : 1);
    if (src->headers) {
        apr_table_do(copy_header, s->headers, src->headers, NULL);
    }
    s->config = apr_hash_make(p);
    copy_config(p, s->config, src->config, NULL);
    copy_config(p, s->config, src->config_base, src->config);
    s->app = src->app;
    if (src->session) {
        s->session = apr_pstrmemdup(p, src->session, src->session_len);
        s->session_len = src->session_len;
    }
    return s;
}
