/* ctx_args: the decoded query arguments of a request (Flask's request.args).
 *
 * `a=1&b=x+y&a=2` gives a -> ["1", "2"], b -> ["x y"]. Keys are
 * case-sensitive; repeated keys keep their order; `%XX` is decoded and `+`
 * is a space; a malformed escape stays as written; a pair without `=` has the
 * value "". A pair whose key or value decodes to a NUL byte cannot be a C
 * string and is dropped (counted in ctx_args_dropped). */
#ifndef CTX_ARGS_H
#define CTX_ARGS_H

#include <apr_pools.h>
#include <apr_tables.h>

typedef struct ctx_args_t ctx_args_t;

/* Parse `query` (may be NULL: no arguments). Everything is allocated in `p`
 * and lives as long as `p`. Never fails. */
ctx_args_t *ctx_args_parse(apr_pool_t *p, const char *query);

/* First value of `name`, or NULL. Lives as long as the parse pool. */
const char *ctx_args_get(const ctx_args_t *args, const char *name);

/* All values of `name` in order, as a new array of `const char *` allocated
 * in `p` (empty if none). The strings live as long as the parse pool. */
apr_array_header_t *ctx_args_get_all(const ctx_args_t *args, apr_pool_t *p,
                                     const char *name);

/* Each name once, in the order of first appearance, as a new array of
 * `const char *` allocated in `p` (empty if none); linear time. The strings
 * live as long as the parse pool. */
apr_array_header_t *ctx_args_names(const ctx_args_t *args, apr_pool_t *p);

/* Number of (key, value) pairs, and of dropped pairs. */
int ctx_args_count(const ctx_args_t *args);
int ctx_args_dropped(const ctx_args_t *args);

/* The i-th pair (0-based) in order; APR_EINVAL when out of range. */
apr_status_t ctx_args_at(const ctx_args_t *args, int i, const char **key,
                         const char **val);

/* Decode a form-urlencoded component of `len` bytes into a new string in `p`.
 * Returns NULL if the result would contain a NUL byte. */
char *ctx_url_decode(apr_pool_t *p, const char *s, apr_size_t len);

#endif
