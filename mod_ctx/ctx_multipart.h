/* ctx_multipart: multipart/form-data bodies (RFC 7578 over RFC 2046), as
 * Flask's request.form and request.files read them.
 *
 * The whole body is in memory (read and bounded by the glue). Strict where
 * the framing is concerned, so that no two readers disagree on where a part
 * ends: every delimiter is "--boundary" at the start of the body or after
 * CRLF, followed by optional spaces/tabs and CRLF, or by "--" (the close
 * delimiter); header lines end in CRLF. "\r\n--boundary" followed by
 * anything else is data. A body without the close delimiter, a part without
 * `Content-Disposition: form-data; name=...`, a header line without ':' and
 * anything but CRLF line ends in the headers are malformed. */
#ifndef CTX_MULTIPART_H
#define CTX_MULTIPART_H

#include <apr_pools.h>
#include <apr_tables.h>

/* RFC 2046: a boundary has 1 to 70 characters. */
#define CTX_MULTIPART_MAX_BOUNDARY 70

/* One part. Strings are NUL-terminated copies in the parse pool; `data`
 * points into the body given to ctx_multipart_parse (so it lives as long as
 * the body) and is `len` bytes, not NUL-terminated. */
typedef struct {
    const char *name;           /* the name parameter (quotes removed) */
    const char *filename;       /* the filename parameter, or NULL: a field */
    const char *content_type;   /* the part's Content-Type, or NULL */
    const char *data;
    apr_size_t len;
} ctx_multipart_part_t;

typedef struct {
    int max_parts;              /* more parts: APR_ENOSPC */
    apr_size_t max_header_bytes;    /* one part's header block, CRLFs included */
} ctx_multipart_limits_t;

/* The boundary parameter of a multipart/form-data Content-Type value (type
 * and parameter names case-insensitive; the value a token or a quoted
 * string). Returns APR_SUCCESS with *boundary a new string in `p`;
 * APR_NOTFOUND if `content_type` is not multipart/form-data; APR_EINVAL if it
 * is but has no usable boundary (missing, empty, longer than 70 bytes, or
 * with a control character). */
apr_status_t ctx_multipart_boundary(apr_pool_t *p, const char *content_type,
                                    const char **boundary);

/* Split `len` bytes of `body` into parts: *parts is a new array of
 * ctx_multipart_part_t in `p` (in body order). The body must outlive the
 * parts. Returns APR_SUCCESS, APR_EINVAL (malformed, see above; also a NULL
 * argument) or APR_ENOSPC (a limit was exceeded). *parts is set only on
 * success. */
apr_status_t ctx_multipart_parse(apr_pool_t *p, const char *body,
                                 apr_size_t len, const char *boundary,
                                 const ctx_multipart_limits_t *limits,
                                 apr_array_header_t **parts);

/* Parse a header parameter list "; a=b; c="d e"" starting at `s` (after the
 * main value) and return the value of parameter `name` (case-insensitive) as
 * a new string in `p`, or NULL when absent or malformed. A quoted value has
 * its quotes removed and backslash escapes undone. Shared by Content-Type
 * and Content-Disposition. */
const char *ctx_multipart_param(apr_pool_t *p, const char *s,
                                const char *name);

#endif
