/* ctx_json: see ctx_json.h (writing jansson values as Flask's json.dumps
 * text). Reading is ctx_json_parse.c, double formatting ctx_json_double.c. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "ctx_json.h"

#define MAX_DEPTH CTX_JSON_MAX_DEPTH

/* The writer starts in a buffer on the caller's stack and only moves to
 * the heap for a large session: a small one costs no malloc at all. */
#define OUT_INLINE 1024

typedef struct {
    char *buf;
    apr_size_t len, cap;
    apr_size_t values;          /* JSON values written */
    int failed;                 /* out of memory, or: */
    int invalid;                /* not expressible (NaN, too deep) */
    int count_only;             /* measure: add up lengths, write nothing */
    char inline_buf[OUT_INLINE];
} out_t;

static void out_init(out_t *o)
{
    o->buf = o->inline_buf;
    o->len = 0;
    o->cap = OUT_INLINE;
    o->values = 0;
    o->failed = 0;
    o->invalid = 0;
    o->count_only = 0;
}

static void out_free(out_t *o)
{
    if (o->buf != o->inline_buf) {
        free(o->buf);
    }
}

static int grow(out_t *o, apr_size_t n)
{
    apr_size_t cap = o->cap;
    char *nb;

    while (o->len + n + 1 > cap) {
        cap *= 2;
    }
    if (o->buf == o->inline_buf) {
        if ((nb = malloc(cap)) != NULL) {
            memcpy(nb, o->buf, o->len);
        }
    }
    else {
        nb = realloc(o->buf, cap);
    }
    if (!nb) {
        o->failed = 1;
        return 0;
    }
    o->buf = nb;
    o->cap = cap;
    return 1;
}

static void put(out_t *o, const char *s, apr_size_t n)
{
    if (o->count_only) {
        o->len += n;
        return;
    }
    if (o->failed || (o->len + n + 1 > o->cap && !grow(o, n))) {
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

/* Decimal text of an integer, as Python's int repr (no snprintf: the
 * counter of every request goes through here), written so that it ends
 * at `e`; returns where it starts. */
static char *format_int_end(char *e, json_int_t v)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233"
        "34353637383940414243444546474849505152535455565758596061626364656667"
        "6869707172737475767778798081828384858687888990919293949596979899";
    char *o = e;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
                                 : (unsigned long long)v;

    /* Two digits per division, written from the end (a session counter is
     * formatted on every request). */
    while (u >= 100) {
        unsigned r = (unsigned)(u % 100);

        u /= 100;
        o -= 2;
        o[0] = pairs[2 * r];
        o[1] = pairs[2 * r + 1];
    }
    if (u >= 10) {
        o -= 2;
        o[0] = pairs[2 * u];
        o[1] = pairs[2 * u + 1];
    }
    else {
        *--o = (char)('0' + u);
    }
    if (v < 0) {
        *--o = '-';
    }
    return o;
}

static apr_size_t format_int(char *buf, json_int_t v)
{
    char tmp[24], *e = tmp + sizeof(tmp), *o = format_int_end(e, v);

    memcpy(buf, o, (apr_size_t)(e - o));
    return (apr_size_t)(e - o);
}

#define PUTS(o, lit) put((o), (lit), sizeof(lit) - 1)

/* Decode one UTF-8 sequence (already validated by jansson). */
static unsigned long utf8_next(const unsigned char **sp)
{
    const unsigned char *s = *sp;
    unsigned long cp;

    if (s[0] < 0x80) {
        cp = s[0];
        *sp = s + 1;
    }
    else if ((s[0] & 0xe0) == 0xc0) {
        cp = ((unsigned long)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
        *sp = s + 2;
    }
    else if ((s[0] & 0xf0) == 0xe0) {
        cp = ((unsigned long)(s[0] & 0x0f) << 12)
             | ((unsigned long)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
        *sp = s + 3;
    }
    else {
        cp = ((unsigned long)(s[0] & 0x07) << 18)
             | ((unsigned long)(s[1] & 0x3f) << 12)
             | ((unsigned long)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
        *sp = s + 4;
    }
    return cp;
}

/* "\\u" and four lowercase hex digits of `cp` (< 0x10000) into out[6]. */
static void put_u_escape(char *out, unsigned long cp)
{
    static const char hex[] = "0123456789abcdef";

    out[0] = '\\';
    out[1] = 'u';
    out[2] = hex[(cp >> 12) & 0xf];
    out[3] = hex[(cp >> 8) & 0xf];
    out[4] = hex[(cp >> 4) & 0xf];
    out[5] = hex[cp & 0xf];
}

static void put_string(out_t *o, const char *str, apr_size_t n)
{
    const unsigned char *s = (const unsigned char *)str, *end = s + n;
    char esc[16];

    PUTS(o, "\"");
    while (s < end) {
        const unsigned char *run = s;

        /* Copy the longest run that needs no escaping in one go. */
        while (s < end && *s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\') {
            ++s;
        }
        put(o, (const char *)run, (apr_size_t)(s - run));
        if (s >= end) {
            break;
        }
        switch (*s) {
        case '"':  PUTS(o, "\\\""); ++s; continue;
        case '\\': PUTS(o, "\\\\"); ++s; continue;
        case '\b': PUTS(o, "\\b"); ++s; continue;
        case '\f': PUTS(o, "\\f"); ++s; continue;
        case '\n': PUTS(o, "\\n"); ++s; continue;
        case '\r': PUTS(o, "\\r"); ++s; continue;
        case '\t': PUTS(o, "\\t"); ++s; continue;
        default: {
            unsigned long cp = utf8_next(&s);

            /* By hand, not snprintf: a session of non-ASCII text has one
             * escape per character. */
            if (cp >= 0x10000) {
                cp -= 0x10000;
                put_u_escape(esc, 0xd800 + (cp >> 10));
                put_u_escape(esc + 6, 0xdc00 + (cp & 0x3ff));
                put(o, esc, 12);
            }
            else {
                put_u_escape(esc, cp);
                put(o, esc, 6);
            }
        }
        }
    }
    PUTS(o, "\"");
}

typedef struct {
    const char *key;
    const json_t *val;
} member_t;

static int cmp_members(const void *a, const void *b)
{
    return strcmp(((const member_t *)a)->key, ((const member_t *)b)->key);
}

/* `depth`: the arrays and objects around `v`. A container is one level
 * more, and may not go past MAX_DEPTH: the reader's limit, so that what is
 * written can be read back. */
static void put_value(out_t *o, const json_t *v, int depth)
{
    char num[40];

    if (o->failed || o->invalid) {
        return;
    }
    ++o->values;
    if ((json_is_array(v) || json_is_object(v)) && depth + 1 > MAX_DEPTH) {
        o->invalid = 1;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_NULL:  PUTS(o, "null"); break;
    case JSON_TRUE:  PUTS(o, "true"); break;
    case JSON_FALSE: PUTS(o, "false"); break;
    case JSON_INTEGER:
        put(o, num, format_int(num, json_integer_value(v)));
        break;
    case JSON_REAL: {
        apr_size_t n = ctx_json_format_double(num, json_real_value(v));

        if (!n) {
            o->invalid = 1;
        }
        put(o, num, n);
        break;
    }
    case JSON_STRING:
        put_string(o, json_string_value(v), json_string_length(v));
        break;
    case JSON_ARRAY: {
        size_t i, n = json_array_size(v);

        PUTS(o, "[");
        for (i = 0; i < n; ++i) {
            if (i) PUTS(o, ",");
            put_value(o, json_array_get(v, i), depth + 1);
        }
        PUTS(o, "]");
        break;
    }
    case JSON_OBJECT: {
        size_t i = 0, n = json_object_size(v);
        member_t small[16];
        member_t *m = n <= 16 ? small : malloc(n * sizeof(*m));
        const char *key;
        json_t *val;

        if (!m) {
            o->failed = 1;
            return;
        }
        json_object_foreach((json_t *)v, key, val) {
            m[i].key = key;
            m[i++].val = val;
        }
        if (n > 1 && !o->count_only) {     /* a length needs no order */
            qsort(m, n, sizeof(*m), cmp_members);
        }
        PUTS(o, "{");
        for (i = 0; i < n; ++i) {
            if (i) PUTS(o, ",");
            put_string(o, m[i].key, strlen(m[i].key));
            PUTS(o, ":");
            put_value(o, m[i].val, depth + 1);
        }
        PUTS(o, "}");
        if (m != small) {
            free(m);
        }
        break;
    }
    }
}

/* Write `v` as put_value does at `depth` into a copy in `p`. */
static apr_status_t write_at(apr_pool_t *p, const json_t *v, int depth,
                             char **out, apr_size_t *len, apr_size_t *values)
{
    out_t o;
    apr_status_t rv = APR_SUCCESS;

    if (!v || !out) {
        return APR_EINVAL;
    }
    out_init(&o);
    put_value(&o, v, depth);
    if (o.invalid) {
        rv = APR_EINVAL;
    }
    else if (o.failed || !(*out = apr_pstrmemdup(p, o.buf, o.len))) {
        rv = APR_ENOMEM;
    }
    else {
        if (len) *len = o.len;
        if (values) *values = o.values;
    }
    out_free(&o);
    return rv;
}

apr_status_t ctx_json_write(apr_pool_t *p, const json_t *v, char **out,
                            apr_size_t *len, apr_size_t *values)
{
    return write_at(p, v, 0, out, len, values);
}

apr_status_t ctx_json_measure_entry(const char *key, const json_t *val,
                                    apr_size_t *len, apr_size_t *values)
{
    out_t o;

    if (!key || !val) {
        return APR_EINVAL;
    }
    /* The writer itself, counting instead of copying: the same bytes. */
    o.len = o.values = 0;
    o.failed = o.invalid = 0;
    o.count_only = 1;
    put_string(&o, key, strlen(key));
    PUTS(&o, ":");
    put_value(&o, val, 1);
    if (o.failed) {
        return APR_ENOMEM;
    }
    if (o.invalid) {
        return APR_EINVAL;
    }
    *len = o.len;
    *values = o.values;
    return APR_SUCCESS;
}

char *ctx_json_dump(apr_pool_t *p, const json_t *v, apr_size_t *len)
{
    char *res;

    return ctx_json_write(p, v, &res, len, NULL) == APR_SUCCESS ? res : NULL;
}


apr_status_t ctx_json_write_member(apr_pool_t *p, const json_t *v,
                                   char **out, apr_size_t *len,
                                   apr_size_t *values)
{
    return write_at(p, v, 1, out, len, values);  /* inside the session */
}

char *ctx_json_write_string(apr_pool_t *p, const char *str, apr_size_t n,
                            apr_size_t *len)
{
    out_t o;
    char *res = NULL;

    out_init(&o);
    put_string(&o, str, n);
    if (!o.failed && (res = apr_pstrmemdup(p, o.buf, o.len)) && len) {
        *len = o.len;
    }
    out_free(&o);
    return res;
}

apr_size_t ctx_json_format_int(char *buf, apr_int64_t v)
{
    return format_int(buf, (json_int_t)v);
}

const char *ctx_json_format_int_in(char *buf, apr_int64_t v,
                                   apr_size_t *len)
{
    const char *o = format_int_end(buf + CTX_JSON_INT_MAX, (json_int_t)v);

    *len = (apr_size_t)(buf + CTX_JSON_INT_MAX - o);
    return o;
}
