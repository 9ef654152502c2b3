/* ctx_json: see ctx_json.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "ctx_json.h"

#define MAX_DEPTH 64

typedef struct {
    char *buf;
    apr_size_t len, cap;
    int failed;
} out_t;

static void put(out_t *o, const char *s, apr_size_t n)
{
    if (o->failed) {
        return;
    }
    if (o->len + n + 1 > o->cap) {
        apr_size_t cap = o->cap ? o->cap : 256;
        char *nb;

        while (o->len + n + 1 > cap) {
            cap *= 2;
        }
        if (!(nb = realloc(o->buf, cap))) {
            o->failed = 1;
            return;
        }
        o->buf = nb;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
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

            if (cp >= 0x10000) {
                cp -= 0x10000;
                snprintf(esc, sizeof(esc), "\\u%04lx\\u%04lx",
                         0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
            }
            else {
                snprintf(esc, sizeof(esc), "\\u%04lx", cp);
            }
            put(o, esc, strlen(esc));
        }
        }
    }
    PUTS(o, "\"");
}

apr_size_t ctx_json_format_double(char *buf, double d)
{
    char digits[40], *e;
    int prec, exp10, ndig;
    char mant[24];

    if (isnan(d) || isinf(d)) {
        return 0;
    }
    /* Shortest %.{prec}e that reads back exactly. */
    for (prec = 0; prec < 17; ++prec) {
        snprintf(digits, sizeof(digits), "%.*e", prec, d);
        if (strtod(digits, NULL) == d) {
            break;
        }
    }
    snprintf(digits, sizeof(digits), "%.*e", prec, d);
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
    {
        char *o = buf;
        int decpt = exp10 + 1;  /* position of the decimal point */

        if (d < 0 || (d == 0 && signbit(d))) {
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
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void put_value(out_t *o, const json_t *v, int depth)
{
    char num[40];

    if (depth > MAX_DEPTH) {
        o->failed = 1;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_NULL:  PUTS(o, "null"); break;
    case JSON_TRUE:  PUTS(o, "true"); break;
    case JSON_FALSE: PUTS(o, "false"); break;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        put(o, num, strlen(num));
        break;
    case JSON_REAL: {
        apr_size_t n = ctx_json_format_double(num, json_real_value(v));

        if (!n) {
            o->failed = 1;
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
        const char **keys = n ? malloc(n * sizeof(*keys)) : NULL;
        const char *key;
        json_t *val;

        if (n && !keys) {
            o->failed = 1;
            return;
        }
        json_object_foreach((json_t *)v, key, val) {
            keys[i++] = key;
        }
        qsort(keys, n, sizeof(*keys), cmp_keys);
        PUTS(o, "{");
        for (i = 0; i < n; ++i) {
            if (i) PUTS(o, ",");
            put_string(o, keys[i], strlen(keys[i]));
            PUTS(o, ":");
            put_value(o, json_object_get(v, keys[i]), depth + 1);
        }
        PUTS(o, "}");
        free(keys);
        break;
    }
    }
}

char *ctx_json_dump(apr_pool_t *p, const json_t *v, apr_size_t *len)
{
    out_t o = { NULL, 0, 0, 0 };
    char *res = NULL;

    if (!v) {
        return NULL;
    }
    put_value(&o, v, 0);
    if (!o.failed && o.buf) {
        res = apr_pstrmemdup(p, o.buf, o.len);
        if (len) {
            *len = o.len;
        }
    }
    free(o.buf);
    return res;
}

static int depth_ok(const json_t *v, int depth)
{
    if (depth > MAX_DEPTH) {
        return 0;
    }
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); ++i) {
            if (!depth_ok(json_array_get(v, i), depth + 1)) return 0;
        }
    }
    else if (json_is_object(v)) {
        const char *k;
        json_t *val;

        json_object_foreach((json_t *)v, k, val) {
            if (!depth_ok(val, depth + 1)) return 0;
        }
    }
    return 1;
}

json_t *ctx_json_parse(const char *text, apr_size_t len)
{
    json_error_t err;
    json_t *v;

    if (!text) {
        return NULL;
    }
    v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
    if (v && !depth_ok(v, 0)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}
