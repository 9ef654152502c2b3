/* ctx_json: see ctx_json.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
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

static apr_uint32_t double_tries;

apr_uint32_t ctx_json_double_tries(void)
{
    return apr_atomic_read32(&double_tries);
}

/* "%.*e" text `t` (no sign) made the next decimal of as many digits up:
 * its last digit bumped, with the carry (9.99e+05 -> 1.00e+06). */
static void next_decimal_up(char *t)
{
    char *e = strchr(t, 'e');

    for (char *c = e - 1; c >= t; --c) {
        if (*c == '.') {
            continue;
        }
        if (*c != '9') {
            ++*c;
            return;
        }
        *c = '0';
    }
    t[0] = '1';
    sprintf(e, "e%+03d", atoi(e + 1) + 1);
}

/* A normal power of two above the smallest: the doubles around it are
 * twice as far apart above as below, so what reads back as it reaches
 * twice as far up as down. */
static int wide_above(double a)
{
    int exp2;

    return frexp(a, &exp2) == 0.5 && exp2 > -1021;
}

/* Does a decimal of prec + 1 significant digits read back as `a`? If so,
 * `digits` holds it: the nearest one, or for a power of two (`pow2`) the
 * next one up when the nearest lies below, out of its narrow lower half
 * (Python's repr picks it too). */
static int reads_back(char *digits, apr_size_t size, double a, int prec,
                      int pow2)
{
    double back;

    apr_atomic_inc32(&double_tries);
    snprintf(digits, size, "%.*e", prec, a);
    if ((back = strtod(digits, NULL)) == a) {
        return 1;
    }
    if (pow2 && back < a) {
        next_decimal_up(digits);
        return strtod(digits, NULL) == a;
    }
    return 0;
}

/* Python's repr layout of a double: sign, `ndig` significant digits
 * `mant` (no trailing zeros but for a single digit), decimal exponent
 * `exp10` of the first digit. Returns the length written into buf. */
static apr_size_t layout(char *buf, int neg, const char *mant, int ndig,
                         int exp10)
{
    char *o = buf;
    int decpt = exp10 + 1;      /* position of the decimal point */

    if (neg) {
        *o++ = '-';
    }
    if (decpt <= -4 || decpt > 16) {
        /* Python: 1e+20, 1.5e-07 */
        *o++ = mant[0];
        if (ndig > 1) {
            *o++ = '.';
            memcpy(o, mant + 1, (size_t)ndig - 1);
            o += ndig - 1;
        }
        o += sprintf(o, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
    }
    else if (decpt <= 0) {
        /* 0.00123 */
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -decpt; ++i) *o++ = '0';
        memcpy(o, mant, (size_t)ndig);
        o += ndig;
    }
    else {
        /* 123.45, 100.0 */
        for (int i = 0; i < decpt; ++i) *o++ = i < ndig ? mant[i] : '0';
        *o++ = '.';
        if (ndig > decpt) {
            memcpy(o, mant + decpt, (size_t)(ndig - decpt));
            o += ndig - decpt;
        }
        else {
            *o++ = '0';
        }
    }
    *o = '\0';
    return (apr_size_t)(o - buf);
}

apr_size_t ctx_json_format_double(char *buf, double d)
{
    char digits[40], found[40], *e;
    int lo = 0, hi = 16, found_prec = -1, exp10, ndig;
    char mant[24];
    double a = fabs(d);

    if (isnan(d) || isinf(d)) {
        return 0;
    }
    /* The fewest digits that read back, found by halving (each try is a
     * printf and a strtod, costly for large exponents): some decimal of
     * prec digits reads back, then some of prec + 1 does (every decimal of
     * prec digits is one of prec + 1), and reads_back finds one whenever
     * one exists (the nearest, else for a power of two the next up). 17
     * digits always do. */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;

        if (reads_back(digits, sizeof(digits), a, mid, wide_above(a))) {
            hi = mid;
            found_prec = mid;
            memcpy(found, digits, sizeof(found));
        }
        else {
            lo = mid + 1;
        }
    }
    if (found_prec == lo) {
        memcpy(digits, found, sizeof(digits));
    }
    else {
        snprintf(digits, sizeof(digits), "%.16e", a);
    }
    /* digits: [-]D[.DDD]e[+-]XX -> sign, significant digits, exponent */
    e = strchr(digits, 'e');
    exp10 = atoi(e + 1);
    ndig = 0;
    for (char *c = digits; c < e; ++c) {
        if (*c >= '0' && *c <= '9') {
            mant[ndig++] = *c;
        }
    }
    mant[ndig] = '\0';
    return layout(buf, d < 0 || (d == 0 && signbit(d)), mant, ndig, exp10);
}

/* `lead` (digits) as a decimal "D.DDDe+X" of exponent `exp10`, bumped by
 * one unit in its last digit when `up`, read back. */
static double read_decimal(const char *lead, int n, int exp10, int up)
{
    char txt[48], dig[24];
    int i;

    memcpy(dig, lead, (size_t)n);
    if (up) {
        for (i = n - 1; i >= 0 && dig[i] == '9'; --i) {
            dig[i] = '0';
        }
        if (i < 0) {
            dig[0] = '1';       /* 99 + 1 = 1.0e+1 more */
            ++exp10;
        }
        else {
            ++dig[i];
        }
    }
    snprintf(txt, sizeof(txt), "%c.%.*se%d", dig[0], n - 1, dig + 1, exp10);
    return strtod(txt, NULL);
}

int ctx_json_double_canonical(const char *t, apr_size_t n, double d)
{
    char mant[24], buf[40], digits[40];
    int neg, ndig = 0, exp10 = 0, ip = 0, seen_point = 0, first = -1;
    int idx = 0, exp2;
    apr_size_t i = 0;
    double a = fabs(d);

    if (n == 0 || n >= sizeof(buf) || isnan(d) || isinf(d)) {
        return 0;
    }
    neg = t[0] == '-';
    i = (apr_size_t)neg;
    /* The significant digits and the exponent of the first one. */
    for (; i < n && t[i] != 'e' && t[i] != 'E'; ++i) {
        if (t[i] == '.') {
            seen_point = 1;
            continue;
        }
        if (t[i] < '0' || t[i] > '9') {
            return 0;
        }
        if (!seen_point) {
            ++ip;
        }
        if (first < 0 && t[i] != '0') {
            first = idx;
        }
        if (first >= 0) {
            if (ndig >= 17) {
                return 0;       /* more digits than any shortest text */
            }
            mant[ndig++] = t[i];
        }
        ++idx;
    }
    if (first < 0 || a == 0) {
        /* zero: the writer's own text decides */
        return ctx_json_format_double(buf, d) == n && !memcmp(buf, t, n);
    }
    while (ndig > 1 && mant[ndig - 1] == '0') {
        --ndig;
    }
    mant[ndig] = '\0';
    exp10 = ip - 1 - first + (i < n ? atoi(t + i + 1) : 0);
    /* The writer's layout of those digits must be the text itself... */
    if (layout(buf, neg, mant, ndig, exp10) != n || memcmp(buf, t, n)) {
        return 0;
    }
    /* ...a power of two has its own rule (see reads_back): the writer
     * decides, as for zero... */
    if (frexp(a, &exp2) == 0.5) {
        return ctx_json_format_double(buf, d) == n && !memcmp(buf, t, n);
    }
    /* ...the digits the nearest decimal of as many digits (one printf)... */
    apr_atomic_inc32(&double_tries);
    snprintf(digits, sizeof(digits), "%.*e", ndig - 1, a);
    {
        char *e = strchr(digits, 'e'), got[24];
        int k = 0;

        for (char *c = digits; c < e; ++c) {
            if (*c >= '0' && *c <= '9') got[k++] = *c;
        }
        if (k != ndig || memcmp(got, mant, (size_t)k) || atoi(e + 1) != exp10) {
            return 0;
        }
    }
    /* ...and no decimal of one digit fewer reads back: if one did, the
     * one just below the text or the one just above would (the doubles
     * that read back as `a` form an interval around the text). */
    if (ndig < 2) {
        return 1;
    }
    /* (the two reads count as one try: a try is a printf and a strtod) */
    apr_atomic_inc32(&double_tries);
    if ((read_decimal(mant, ndig - 1, exp10, 0) == a
                     || read_decimal(mant, ndig - 1, exp10, 1) == a)) {
        return 0;
    }
    return 1;
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

/* ---- parsing ------------------------------------------------------------
 * A strict RFC 8259 reader that builds jansson values. jansson's own reader
 * goes through a character stream; sessions are parsed on every request, and
 * scanning strings a run at a time makes a 1 KiB session several times
 * cheaper. tests/fuzz/fuzz_json checks it against jansson's reader. */

typedef struct {
    const char *p, *end;
    int depth;
    apr_size_t values, max_values;  /* made so far; 0: no limit */
} reader_t;

/* Count a value about to be made: 0 once over the limit. */
static int count_value(reader_t *rd)
{
    return ++rd->values <= rd->max_values || rd->max_values == 0;
}

static void skip_ws(reader_t *rd)
{
    while (rd->p < rd->end && (*rd->p == ' ' || *rd->p == '\t'
                               || *rd->p == '\n' || *rd->p == '\r')) {
        ++rd->p;
    }
}

int ctx_json_hex4(const char *s, int upper_ok, unsigned *out)
{
    unsigned v = 0;

    for (int i = 0; i < 4; ++i) {
        char c = s[i];

        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (upper_ok && c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static int utf8_valid(const unsigned char *s, apr_size_t n)
{
    unsigned c = s[0];

    if (c < 0xc2 || c > 0xf4) return 0;
    if (c < 0xe0) {
        return (n >= 2 && (s[1] & 0xc0) == 0x80) ? 2 : 0;
    }
    if (c < 0xf0) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80) return 0;
        if (c == 0xe0 && s[1] < 0xa0) return 0;          /* overlong */
        if (c == 0xed && s[1] > 0x9f) return 0;          /* surrogate */
        return 3;
    }
    if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80
        || (s[3] & 0xc0) != 0x80) return 0;
    if (c == 0xf0 && s[1] < 0x90) return 0;              /* overlong */
    if (c == 0xf4 && s[1] > 0x8f) return 0;              /* > U+10FFFF */
    return 4;
}

int ctx_json_utf8_valid(const char *str, apr_size_t n)
{
    const unsigned char *s = (const unsigned char *)str, *end = s + n;

    while (s < end) {
        int k;

        if (*s < 0x80) {
            ++s;
            continue;
        }
        if (!(k = utf8_valid(s, (apr_size_t)(end - s)))) {
            return 0;
        }
        s += k;
    }
    return 1;
}

static char *put_utf8(char *o, unsigned long cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    }
    else if (cp < 0x800) {
        *o++ = (char)(0xc0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    else {
        *o++ = (char)(0xf0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

/* A string at rd->p (after the opening quote), NUL-terminated, *len bytes:
 * in `small` (`cap` bytes) when it fits, else in a new malloc'ed buffer
 * (free it when it is not `small`); NULL if invalid. NUL characters
 * (\u0000) and lone surrogates are refused, as jansson does without
 * JSON_ALLOW_NUL. */
static char *read_string(reader_t *rd, apr_size_t *len, char *small,
                         apr_size_t cap)
{
    const char *s = rd->p, *run;
    char *buf, *o;

    /* Escapes only shrink text: the raw length bounds the result. */
    run = s;
    while (run < rd->end && *run != '"') {
        run += (*run == '\\' && run + 1 < rd->end) ? 2 : 1;
    }
    if (run >= rd->end) return NULL;
    if ((apr_size_t)(run - s) < cap) {
        buf = small;
    }
    else if (!(buf = malloc((apr_size_t)(run - s) + 1))) {
        return NULL;
    }
    o = buf;
    while (s < rd->end) {
        unsigned char c = (unsigned char)*s;

        if (c == '"') {
            *o = '\0';
            *len = (apr_size_t)(o - buf);
            rd->p = s + 1;
            return buf;
        }
        if (c < 0x20) break;
        if (c < 0x80 && c != '\\') {
            *o++ = (char)c;
            ++s;
            continue;
        }
        if (c >= 0x80) {
            int n = utf8_valid((const unsigned char *)s,
                               (apr_size_t)(rd->end - s));
            if (!n) break;
            memcpy(o, s, (size_t)n);
            o += n;
            s += n;
            continue;
        }
        /* escape */
        if (s + 1 >= rd->end) break;
        switch (s[1]) {
        case '"':  *o++ = '"';  s += 2; continue;
        case '\\': *o++ = '\\'; s += 2; continue;
        case '/':  *o++ = '/';  s += 2; continue;
        case 'b':  *o++ = '\b'; s += 2; continue;
        case 'f':  *o++ = '\f'; s += 2; continue;
        case 'n':  *o++ = '\n'; s += 2; continue;
        case 'r':  *o++ = '\r'; s += 2; continue;
        case 't':  *o++ = '\t'; s += 2; continue;
        case 'u': {
            unsigned hi, lo;
            unsigned long cp;

            if (rd->end - s < 6 || !ctx_json_hex4(s + 2, 1, &hi)) goto fail;
            s += 6;
            if (hi >= 0xdc00 && hi <= 0xdfff) goto fail;
            if (hi >= 0xd800 && hi <= 0xdbff) {
                if (rd->end - s < 6 || s[0] != '\\' || s[1] != 'u'
                    || !ctx_json_hex4(s + 2, 1, &lo) || lo < 0xdc00 || lo > 0xdfff) {
                    goto fail;
                }
                s += 6;
                cp = 0x10000 + (((unsigned long)hi - 0xd800) << 10)
                     + (lo - 0xdc00);
            }
            else {
                cp = hi;
            }
            if (cp == 0) goto fail;
            o = put_utf8(o, cp);
            continue;
        }
        default:
            goto fail;
        }
    }
fail:
    if (buf != small) {
        free(buf);
    }
    return NULL;
}

static void release_string(char *str, const char *small)
{
    if (str != small) {
        free(str);
    }
}

char *ctx_json_read_string(apr_pool_t *p, const char **pos, const char *end,
                           apr_size_t *len)
{
    reader_t rd;
    char small[128], *str, *res;

    rd.p = *pos;
    rd.end = end;
    if (!(str = read_string(&rd, len, small, sizeof(small)))) {
        return NULL;
    }
    res = apr_pstrmemdup(p, str, *len);
    release_string(str, small);
    *pos = rd.p;
    return res;
}

static json_t *read_value(reader_t *rd);

static json_t *read_number(reader_t *rd)
{
    const char *s = rd->p, *start = s;
    int is_real = 0;
    char tmp[512];
    apr_size_t n;

    if (s < rd->end && *s == '-') ++s;
    if (s >= rd->end) return NULL;
    if (*s == '0') {
        ++s;
    }
    else if (*s >= '1' && *s <= '9') {
        while (s < rd->end && *s >= '0' && *s <= '9') ++s;
    }
    else {
        return NULL;
    }
    if (s < rd->end && *s == '.') {
        is_real = 1;
        ++s;
        if (s >= rd->end || *s < '0' || *s > '9') return NULL;
        while (s < rd->end && *s >= '0' && *s <= '9') ++s;
    }
    if (s < rd->end && (*s == 'e' || *s == 'E')) {
        is_real = 1;
        ++s;
        if (s < rd->end && (*s == '+' || *s == '-')) ++s;
        if (s >= rd->end || *s < '0' || *s > '9') return NULL;
        while (s < rd->end && *s >= '0' && *s <= '9') ++s;
    }
    n = (apr_size_t)(s - start);
    if (!is_real && n <= 18) {
        /* At most 18 digits cannot overflow: no copy, no strtoll. */
        const char *d = start + (*start == '-');
        json_int_t v = 0;

        while (d < s) {
            v = v * 10 + (*d++ - '0');
        }
        rd->p = s;
        return json_integer(*start == '-' ? -v : v);
    }
    if (n >= sizeof(tmp)) return NULL;      /* absurd precision: refused */
    memcpy(tmp, start, n);
    tmp[n] = '\0';
    rd->p = s;
    errno = 0;
    if (!is_real) {
        long long v = strtoll(tmp, NULL, 10);

        if (errno == ERANGE) return NULL;   /* no bignums, as jansson */
        return json_integer((json_int_t)v);
    }
    else {
        double d = strtod(tmp, NULL);

        if (errno == ERANGE && (d > 1 || d < -1)) return NULL;  /* overflow */
        return json_real(d);
    }
}

static json_t *read_container(reader_t *rd, int object)
{
    json_t *c = object ? json_object() : json_array();
    char close = object ? '}' : ']';

    if (!c || ++rd->depth > MAX_DEPTH) goto fail;
    ++rd->p;
    skip_ws(rd);
    if (rd->p < rd->end && *rd->p == close) {
        ++rd->p;
        --rd->depth;
        return c;
    }
    for (;;) {
        json_t *v;

        skip_ws(rd);
        if (object) {
            apr_size_t klen;
            char small[128], *key;

            if (rd->p >= rd->end || *rd->p != '"') goto fail;
            ++rd->p;
            if (!(key = read_string(rd, &klen, small, sizeof(small)))) {
                goto fail;
            }
            skip_ws(rd);
            if (rd->p >= rd->end || *rd->p != ':' || json_object_get(c, key)) {
                release_string(key, small);     /* duplicates are refused */
                goto fail;
            }
            ++rd->p;
            if (!(v = read_value(rd))
                || json_object_set_new_nocheck(c, key, v) != 0) {
                release_string(key, small);
                goto fail;
            }
            release_string(key, small);
        }
        else if (!(v = read_value(rd)) || json_array_append_new(c, v) != 0) {
            goto fail;
        }
        skip_ws(rd);
        if (rd->p >= rd->end) goto fail;
        if (*rd->p == ',') {
            ++rd->p;
            continue;
        }
        if (*rd->p == close) {
            ++rd->p;
            --rd->depth;
            return c;
        }
        goto fail;
    }
fail:
    json_decref(c);
    return NULL;
}

static int literal(reader_t *rd, const char *word, apr_size_t n)
{
    if ((apr_size_t)(rd->end - rd->p) < n || memcmp(rd->p, word, n)) {
        return 0;
    }
    rd->p += n;
    return 1;
}

static json_t *read_value(reader_t *rd)
{
    skip_ws(rd);
    if (rd->p >= rd->end || !count_value(rd)) return NULL;
    switch (*rd->p) {
    case '{': return read_container(rd, 1);
    case '[': return read_container(rd, 0);
    case '"': {
        apr_size_t len;
        char small[128], *str;
        json_t *v;

        ++rd->p;
        if (!(str = read_string(rd, &len, small, sizeof(small)))) {
            return NULL;
        }
        v = json_stringn_nocheck(str, len);
        release_string(str, small);
        return v;
    }
    case 't': return literal(rd, "true", 4) ? json_true() : NULL;
    case 'f': return literal(rd, "false", 5) ? json_false() : NULL;
    case 'n': return literal(rd, "null", 4) ? json_null() : NULL;
    default:  return read_number(rd);
    }
}

json_t *ctx_json_parse_bounded(const char *text, apr_size_t len,
                               apr_size_t max_values, apr_size_t *values)
{
    reader_t rd;
    json_t *v = NULL;

    rd.p = text;
    rd.end = text + len;
    rd.depth = 0;
    rd.values = 0;
    rd.max_values = max_values;
    if (text && (v = read_value(&rd)) != NULL) {
        skip_ws(&rd);
        if (rd.p != rd.end) {   /* trailing garbage */
            json_decref(v);
            v = NULL;
        }
    }
    if (values) {
        *values = rd.values;
    }
    return v;
}

json_t *ctx_json_parse_member(const char *text, apr_size_t len, int depth,
                              apr_size_t max_values, apr_size_t *values,
                              const char **end)
{
    reader_t rd;
    json_t *v;

    rd.p = text;
    rd.end = text + len;
    rd.depth = depth;
    rd.values = 0;
    rd.max_values = max_values;
    v = read_value(&rd);
    *values = rd.values;
    *end = rd.p;
    return v;
}

json_t *ctx_json_parse(const char *text, apr_size_t len)
{
    return ctx_json_parse_bounded(text, len, 0, NULL);
}
