/* ctx_json_parse: see ctx_json.h (reading JSON text into jansson values).
 * Writing is ctx_json.c, double formatting ctx_json_double.c. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "ctx_json.h"

#define MAX_DEPTH CTX_JSON_MAX_DEPTH

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
