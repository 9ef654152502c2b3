/* ctx_cookie: reading a cookie from Cookie headers and writing Set-Cookie.
 *
 * Reading follows RFC 6265 section 5.4 leniently: pairs separated by ";"
 * (and nothing else), optional whitespace, the name compared exactly; every
 * pair with the name is reported in order (a browser sends the most
 * specific path first). Values are reported raw, up to the first ',':
 * session values are base64url text and never need unquoting nor hold a
 * comma.
 *
 * Several Cookie header lines: mod_http2 joins HTTP/2's cookie crumbs with
 * "; ", which is read as one header. httpd joins repeated HTTP/1.1 Cookie
 * lines with ", ", which cannot be told apart from ", " inside a cookie
 * value (browsers accept "a=x, session=y" as the value of a): splitting
 * there would let a page that can set `a` plant a session in a client that
 * has none. So a pair that begins after a comma is never read. Browsers
 * send one line (RFC 6265 5.4 requires it of user agents). */
#ifndef CTX_COOKIE_H
#define CTX_COOKIE_H

#include <apr_pools.h>

/* Called for each value of the cookie, `len` bytes at `val` (inside the
 * header: not NUL-terminated). Return 0 to stop. */
typedef int ctx_cookie_value_fn(void *baton, const char *val, apr_size_t len);

/* Report each value of cookie `name` in `header` (pairs separated by ';'
 * only; a value ends at ';' or ','). Returns 0 if fn stopped, 1
 * otherwise. */
int ctx_cookie_find(const char *header, const char *name,
                    ctx_cookie_value_fn *fn, void *baton);

typedef enum {
    CTX_SAMESITE_UNSET = 0,     /* no attribute */
    CTX_SAMESITE_LAX,
    CTX_SAMESITE_STRICT,
    CTX_SAMESITE_NONE
} ctx_samesite_t;

typedef struct {
    const char *name;
    const char *path;           /* NULL: no Path attribute */
    const char *domain;         /* NULL: host-only */
    int secure, httponly, partitioned;
    ctx_samesite_t samesite;
    /* Set by ctx_cookie_attrs_prepare (NULL otherwise): the attributes
     * after the value and Expires, for secure 0 and 1, and the name's
     * length, so that a header is three copies. */
    const char *tail[2];
    apr_size_t tail_len[2], name_len;
} ctx_cookie_attrs_t;

/* Fill a's tail[] and name_len from its other fields, in `p` (the
 * configuration's pool: they live as long as `a`). Call again after changing
 * a field other than secure. */
void ctx_cookie_attrs_prepare(apr_pool_t *p, ctx_cookie_attrs_t *a);

/* 1 if `name` is a valid cookie name (an RFC 7230 token). */
int ctx_cookie_name_ok(const char *name);

/* 1 if `v` may be a Path or Domain attribute value (printable ASCII without
 * ";" and ","). */
int ctx_cookie_attr_ok(const char *v);

/* A Set-Cookie header value, allocated in `p`:
 *   value != NULL, expires <= 0   name=value; attributes   (browser session)
 *   value != NULL, expires > 0    ...; Expires=<date>; Max-Age=<max_age>
 *   value == NULL                 deletion: name=; Expires=Thu, 01 Jan 1970
 *                                 00:00:00 GMT; Max-Age=0; attributes
 * `expires` is in seconds since the epoch. */
char *ctx_cookie_build(apr_pool_t *p, const ctx_cookie_attrs_t *a,
                       const char *value, apr_int64_t expires,
                       apr_int64_t max_age);

/* The same with the value's length given (`vlen` bytes of `value`, which
 * need not be NUL-terminated; ignored for a deletion), and the header's
 * length in *len (when not NULL): the save already knows the one and
 * needs the other. */
char *ctx_cookie_build_len(apr_pool_t *p, const ctx_cookie_attrs_t *a,
                           const char *value, apr_size_t vlen,
                           apr_int64_t expires, apr_int64_t max_age,
                           apr_size_t *len);

#endif
