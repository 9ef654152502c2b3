/* ctx_multipart: see ctx_multipart.h. */
#include <string.h>

#include <apr_strings.h>
#include <apr_lib.h>

#include "ctx_multipart.h"

/* memmem() is not standard C: where `needle` (nlen bytes) first occurs in `hay`. */
static const char *find_bytes(const char *hay, apr_size_t len,
                              const char *needle, apr_size_t nlen)
{
    const char *end = hay + len;

    while (nlen && (apr_size_t)(end - hay) >= nlen) {
        const char *c = memchr(hay, needle[0],
                               (apr_size_t)(end - hay) - nlen + 1);

        if (!c) {
            return NULL;
        }
        if (!memcmp(c, needle, nlen)) {
            return c;
        }
        hay = c + 1;
    }
    return NULL;
}

static const char *skip_ows(const char *s)
{
    while (*s == ' ' || *s == '\t') {
        ++s;
    }
    return s;
}

static int is_token_end(char c)
{
    return !c || c == '=' || c == ';' || c == ' ' || c == '\t' || c == '"';
}

/* The next parameter at *sp ("; name=value"). Returns 1 with the name (at
 * *name, *nlen bytes, not terminated) and *val (new string in p), 0 at the
 * end, -1 when malformed. */
static int next_param(apr_pool_t *p, const char **sp, const char **name,
                      apr_size_t *nlen, char **val)
{
    const char *s = skip_ows(*sp);

    if (!*s) {
        return 0;
    }
    if (*s != ';') {
        return -1;
    }
    s = skip_ows(s + 1);
    if (!*s) {
        return 0;               /* a trailing ';' */
    }
    *name = s;
    while (!is_token_end(*s)) {
        ++s;
    }
    *nlen = (apr_size_t)(s - *name);
    s = skip_ows(s);
    if (*nlen == 0 || *s != '=') {
        return -1;
    }
    s = skip_ows(s + 1);
    if (*s == '"') {
        /* A quoted string: the result is never longer than the input. */
        char *out = apr_palloc(p, strlen(s)), *o = out;

        for (++s; *s != '"'; ++s) {
            if (!*s) {
                return -1;      /* unterminated */
            }
            if (*s == '\\' && s[1]) {
                ++s;
            }
            *o++ = *s;
        }
        *o = '\0';
        *val = out;
        ++s;
    }
    else {
        const char *v = s;

        while (!is_token_end(*s)) {
            ++s;
        }
        if (s == v) {
            return -1;
        }
        *val = apr_pstrmemdup(p, v, (apr_size_t)(s - v));
    }
    *sp = s;
    return 1;
}

const char *ctx_multipart_param(apr_pool_t *p, const char *s,
                                const char *name)
{
    const char *n;
    apr_size_t nlen, want = name ? strlen(name) : 0;
    char *val;
    int rc;

    if (!s || !name) {
        return NULL;
    }
    /* Each round consumes input: bounded by strlen(s). */
    while ((rc = next_param(p, &s, &n, &nlen, &val)) == 1) {
        if (nlen == want && !strncasecmp(n, name, nlen)) {
            return val;
        }
    }
    return NULL;
}

/* `s` starts with `type` (case-insensitive), followed by the end, OWS or
 * ';'. Returns what follows the type, or NULL. */
static const char *after_type(const char *s, const char *type)
{
    apr_size_t n = strlen(type);

    s = skip_ows(s);
    if (strncasecmp(s, type, n)) {
        return NULL;
    }
    s += n;
    return (!*s || *s == ';' || *s == ' ' || *s == '\t') ? s : NULL;
}

apr_status_t ctx_multipart_boundary(apr_pool_t *p, const char *content_type,
                                    const char **boundary)
{
    const char *rest, *b;
    apr_size_t n;

    if (!content_type || !boundary
        || !(rest = after_type(content_type, "multipart/form-data"))) {
        return APR_NOTFOUND;
    }
    b = ctx_multipart_param(p, rest, "boundary");
    if (!b || !(n = strlen(b)) || n > CTX_MULTIPART_MAX_BOUNDARY) {
        return APR_EINVAL;
    }
    for (const char *c = b; *c; ++c) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            return APR_EINVAL;
        }
    }
    *boundary = b;
    return APR_SUCCESS;
}

typedef struct {
    const char *body;
    apr_size_t len;
    const char *delim;          /* "\r\n--" boundary */
    apr_size_t dlen;
} scan_t;

/* Is there a delimiter whose boundary text ends at `q`? Returns 1 (another
 * part follows; *next is its first byte), 2 (the close delimiter), 0 (not a
 * delimiter: the bytes are data). */
static int delimiter_end(const scan_t *sc, apr_size_t q, apr_size_t *next)
{
    if (q + 2 <= sc->len && sc->body[q] == '-' && sc->body[q + 1] == '-') {
        return 2;
    }
    while (q < sc->len && (sc->body[q] == ' ' || sc->body[q] == '\t')) {
        ++q;
    }
    if (q + 2 <= sc->len && sc->body[q] == '\r' && sc->body[q + 1] == '\n') {
        *next = q + 2;
        return 1;
    }
    return 0;
}

/* The first delimiter at or after `from`: *at is where its CRLF starts,
 * *next as for delimiter_end. Returns 1, 2, or 0 when there is none. */
static int find_delimiter(const scan_t *sc, apr_size_t from, apr_size_t *at,
                          apr_size_t *next)
{
    while (from < sc->len) {
        const char *hit = find_bytes(sc->body + from, sc->len - from,
                                     sc->delim, sc->dlen);
        int kind;

        if (!hit) {
            return 0;
        }
        *at = (apr_size_t)(hit - sc->body);
        if ((kind = delimiter_end(sc, *at + sc->dlen, next)) != 0) {
            return kind;
        }
        from = *at + 1;
    }
    return 0;
}

/* Parse the Content-Disposition value `v` into the part. */
static apr_status_t disposition(apr_pool_t *p, const char *v,
                                ctx_multipart_part_t *part)
{
    const char *s = after_type(v, "form-data"), *n;
    apr_size_t nlen;
    char *val;
    int rc;

    if (!s) {
        return APR_EINVAL;
    }
    while ((rc = next_param(p, &s, &n, &nlen, &val)) == 1) {
        if (nlen == 4 && !strncasecmp(n, "name", 4) && !part->name) {
            part->name = val;
        }
        else if (nlen == 8 && !strncasecmp(n, "filename", 8)
                 && !part->filename) {
            part->filename = val;
        }
    }
    return (rc == 0 && part->name) ? APR_SUCCESS : APR_EINVAL;
}

/* The header lines of a part: bytes [b, e) end with the CRLF of the last
 * line (the empty line is not included). */
static apr_status_t part_headers(apr_pool_t *p, const char *b, const char *e,
                                 ctx_multipart_part_t *part)
{
    int seen_disposition = 0;

    while (b < e) {
        const char *eol = find_bytes(b, (apr_size_t)(e - b), "\r\n", 2);
        const char *colon;
        char *name, *val;

        /* eol is never NULL: the block ends with CRLF. */
        if (memchr(b, '\0', (apr_size_t)(eol - b))
            || memchr(b, '\r', (apr_size_t)(eol - b))
            || memchr(b, '\n', (apr_size_t)(eol - b))
            || !(colon = memchr(b, ':', (apr_size_t)(eol - b)))
            || colon == b) {
            return APR_EINVAL;
        }
        name = apr_pstrmemdup(p, b, (apr_size_t)(colon - b));
        val = apr_pstrmemdup(p, colon + 1, (apr_size_t)(eol - colon - 1));
        val = (char *)skip_ows(val);
        for (char *t = val + strlen(val); t > val
             && (t[-1] == ' ' || t[-1] == '\t'); --t) {
            t[-1] = '\0';
        }
        if (!strcasecmp(name, "Content-Disposition")) {
            if (seen_disposition++ || disposition(p, val, part)) {
                return APR_EINVAL;
            }
        }
        else if (!strcasecmp(name, "Content-Type") && !part->content_type) {
            part->content_type = val;
        }
        b = eol + 2;
    }
    return seen_disposition ? APR_SUCCESS : APR_EINVAL;
}

apr_status_t ctx_multipart_parse(apr_pool_t *p, const char *body,
                                 apr_size_t len, const char *boundary,
                                 const ctx_multipart_limits_t *limits,
                                 apr_array_header_t **parts)
{
    apr_array_header_t *out;
    scan_t sc;
    apr_size_t blen, at, next = 0;
    int kind;

    if (!p || (!body && len) || !boundary || !limits || !parts
        || !(blen = strlen(boundary)) || blen > CTX_MULTIPART_MAX_BOUNDARY) {
        return APR_EINVAL;
    }
    sc.body = body;
    sc.len = len;
    sc.delim = apr_pstrcat(p, "\r\n--", boundary, NULL);
    sc.dlen = blen + 4;
    /* The first delimiter may open the body (without its CRLF). */
    kind = 0;
    if (len >= sc.dlen - 2 && !memcmp(body, sc.delim + 2, sc.dlen - 2)) {
        kind = delimiter_end(&sc, sc.dlen - 2, &next);
    }
    if (!kind) {
        kind = find_delimiter(&sc, 0, &at, &next);
    }
    if (!kind) {
        return APR_EINVAL;
    }
    out = apr_array_make(p, 4, sizeof(ctx_multipart_part_t));
    while (kind == 1) {
        /* One part per round; every round moves `next` forward. */
        apr_size_t start = next, window = len - start, hend;
        const char *h;
        ctx_multipart_part_t part = { 0 };
        apr_status_t rv;

        if (out->nelts >= limits->max_parts) {
            return APR_ENOSPC;
        }
        if (window > limits->max_header_bytes) {
            window = limits->max_header_bytes;
        }
        if (window >= 2 && body[start] == '\r' && body[start + 1] == '\n') {
            return APR_EINVAL;  /* a part without headers */
        }
        if (!(h = find_bytes(body + start, window, "\r\n\r\n", 4))) {
            /* No end of the headers within the limit, or none at all. */
            return len - start > limits->max_header_bytes ? APR_ENOSPC
                                                          : APR_EINVAL;
        }
        hend = (apr_size_t)(h - body);
        if ((rv = part_headers(p, body + start, h + 2, &part)) != APR_SUCCESS) {
            return rv;
        }
        /* The content starts after the empty line; its delimiter's CRLF
         * is its own (an empty part is "\r\n\r\n" "\r\n--b"), as
         * other readers (Werkzeug, Go) count it. */
        kind = find_delimiter(&sc, hend + 4, &at, &next);
        if (!kind) {
            return APR_EINVAL;  /* no (close) delimiter after the part */
        }
        part.data = body + hend + 4;
        part.len = at - (hend + 4);
        APR_ARRAY_PUSH(out, ctx_multipart_part_t) = part;
    }
    *parts = out;
    return APR_SUCCESS;
}
