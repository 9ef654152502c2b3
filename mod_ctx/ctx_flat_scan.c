/* ctx_flat_scan: see ctx_flat_scan.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctx_flat_scan.h"
#include "ctx_json.h"

#include <apr_hash.h>
#include <apr_strings.h>

/* The bytes a string literal holds as they are: not '"', not '\\', no
 * control character, no DEL (see ctx_flat_scan.h). */
#define P16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
const unsigned char ctx_flat_plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /* '"' */
    P16, P16,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,     /* '\\' */
    P16,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,     /* DEL */
};
#undef P16

/* A canonical string literal at sc->p (its opening quote); *escaped set
 * when it holds an escape. */
int ctx_flat_scan_string(ctx_flat_scan_t *sc, int *escaped)
{
    const char *s = sc->p + 1, *e = sc->end;

    *escaped = 0;
    while (s < e) {
        unsigned char c;
        unsigned cp, lo;

        /* A run of plain bytes, one table look-up each. */
        while (ctx_flat_plain[(unsigned char)*s] && ++s < e) {
        }
        if (s >= e) {
            break;
        }
        c = (unsigned char)*s;
        if (c == '"') {
            sc->p = s + 1;
            return 1;
        }
        if (c != '\\' || s + 1 >= e) {
            return 0;
        }
        *escaped = 1;
        switch (s[1]) {
        case '"': case '\\': case 'b': case 'f': case 'n': case 'r': case 't':
            s += 2;
            continue;
        case 'u':
            if (e - s < 6 || !ctx_json_hex4(s + 2, 0, &cp)) return 0;
            s += 6;
            /* The writer's short escapes, raw printable ASCII, NUL (the
             * reader refuses it) and a lone low surrogate are not. */
            if (cp == 0 || cp == '\b' || cp == '\t' || cp == '\n'
                || cp == '\f' || cp == '\r' || (cp >= 0x20 && cp < 0x7f)
                || (cp >= 0xdc00 && cp <= 0xdfff)) {
                return 0;
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (e - s < 6 || s[0] != '\\' || s[1] != 'u'
                    || !ctx_json_hex4(s + 2, 0, &lo) || lo < 0xdc00 || lo > 0xdfff) {
                    return 0;
                }
                s += 6;
            }
            continue;
        default:
            return 0;
        }
    }
    return 0;
}

static int digit(const char *s, const char *e)
{
    return s < e && *s >= '0' && *s <= '9';
}

static int scan_number(ctx_flat_scan_t *sc)
{
    const char *s = sc->p, *e = sc->end, *start = s;
    int neg = 0, real = 0;

    if (s < e && *s == '-') {
        neg = 1;
        ++s;
    }
    if (!digit(s, e)) return 0;
    if (*s == '0') {
        ++s;
    }
    else {
        while (digit(s, e)) ++s;
    }
    if (s < e && *s == '.') {
        real = 1;
        ++s;
        if (!digit(s, e)) return 0;
        while (digit(s, e)) ++s;
    }
    if (s < e && (*s == 'e' || *s == 'E')) {
        real = 1;
        ++s;
        if (s < e && (*s == '+' || *s == '-')) ++s;
        if (!digit(s, e)) return 0;
        while (digit(s, e)) ++s;
    }
    if (real) {
        /* As the reader: absurd precision and overflow are refused. */
        char tmp[512];
        apr_size_t n = (apr_size_t)(s - start);
        double d;

        if (n >= sizeof(tmp)) return 0;
        memcpy(tmp, start, n);
        tmp[n] = '\0';
        errno = 0;
        d = strtod(tmp, NULL);
        if (errno == ERANGE && (d > 1 || d < -1)) return 0;
        sc->real = 1;
    }
    else if ((neg && s - start == 2 && start[1] == '0')   /* -0 is 0 */
             || s - start - neg > 18) {     /* the reader checks range */
        return 0;
    }
    sc->p = s;
    return 1;
}

static int literal(ctx_flat_scan_t *sc, const char *word, apr_size_t n)
{
    if ((apr_size_t)(sc->end - sc->p) < n || memcmp(sc->p, word, n)) {
        return 0;
    }
    sc->p += n;
    return 1;
}

static int scan_container(ctx_flat_scan_t *sc, int object)
{
    char close = object ? '}' : ']';
    const char *prev = NULL;
    apr_size_t prev_len = 0;

    if (++sc->depth > CTX_JSON_MAX_DEPTH) return 0;
    ++sc->p;
    if (sc->p < sc->end && *sc->p == close) {
        ++sc->p;
        --sc->depth;
        return 1;
    }
    for (;;) {
        if (object) {
            const char *k = sc->p + 1;
            apr_size_t klen;
            int escaped, c;

            if (sc->p >= sc->end || *sc->p != '"' || !ctx_flat_scan_string(sc, &escaped)
                || escaped) {
                return 0;
            }
            /* Plain ASCII keys compare as their bytes: strictly rising
             * keys are sorted and have no duplicate. */
            klen = (apr_size_t)(sc->p - 1 - k);
            if (prev) {
                c = memcmp(prev, k, prev_len < klen ? prev_len : klen);
                if (c > 0 || (c == 0 && prev_len >= klen)) return 0;
            }
            prev = k;
            prev_len = klen;
            if (sc->p >= sc->end || *sc->p != ':') return 0;
            ++sc->p;
        }
        if (!ctx_flat_scan_value(sc) || sc->p >= sc->end) return 0;
        if (*sc->p == ',') {
            ++sc->p;
            continue;
        }
        if (*sc->p == close) {
            ++sc->p;
            --sc->depth;
            return 1;
        }
        return 0;
    }
}

int ctx_flat_scan_value(ctx_flat_scan_t *sc)
{
    int escaped;

    if (sc->p >= sc->end) return 0;
    if (++sc->values > sc->max_values && sc->max_values) return 0;
    switch (*sc->p) {
    case '{': return scan_container(sc, 1);
    case '[': return scan_container(sc, 0);
    case '"': return ctx_flat_scan_string(sc, &escaped);
    case 't': return literal(sc, "true", 4);
    case 'f': return literal(sc, "false", 5);
    case 'n': return literal(sc, "null", 4);
    default:  return scan_number(sc);
    }
}

/* Every float of a member's text (canonical but for its floats) as the
 * writer writes it? Strings are skipped; each number with a fraction or an
 * exponent is checked, without writing it (ctx_json_double_canonical). */
int ctx_flat_floats_canonical(const char *t, apr_size_t n)
{
    apr_size_t i = 0;

    while (i < n) {
        char c = t[i];

        if (c == '"') {
            for (++i; i < n && t[i] != '"'; ++i) {
                if (t[i] == '\\') ++i;
            }
            ++i;
        }
        else if (c == '-' || (c >= '0' && c <= '9')) {
            apr_size_t start = i;
            int real = 0;
            char tmp[512];

            while (i < n && (t[i] == '-' || t[i] == '+' || t[i] == '.'
                             || t[i] == 'e' || t[i] == 'E'
                             || (t[i] >= '0' && t[i] <= '9'))) {
                real |= t[i] == '.' || t[i] == 'e' || t[i] == 'E';
                ++i;
            }
            if (real) {
                if (i - start >= sizeof(tmp)) return 0;
                memcpy(tmp, t + start, i - start);
                tmp[i - start] = '\0';
                if (!ctx_json_double_canonical(tmp, i - start,
                                               strtod(tmp, NULL))) {
                    return 0;
                }
            }
        }
        else {
            ++i;
        }
    }
    return 1;
}

/* ---- the parse's slow paths (ctx_flat.c reads the usual members) ---- */

/* See ctx_flat_scan.h. */
int ctx_flat_read_value(apr_pool_t *p, ctx_flat_member_t *m,
                        const char **pos, const char *end,
                        apr_size_t *values, apr_size_t max_values)
{
    ctx_flat_scan_t sc;
    json_t *v;
    apr_size_t made;
    char *text;

    sc.p = *pos;
    sc.end = end;
    sc.depth = 1;
    sc.values = *values;
    sc.max_values = max_values;
    sc.real = 0;
    if (ctx_flat_scan_value(&sc)) {
        m->text = *pos;
        m->tlen = (apr_size_t)(sc.p - *pos);
        m->values = sc.values - *values;
        m->unchecked = sc.real;
        *values = sc.values;
        *pos = sc.p;
        return 1;
    }
    if (max_values && *values >= max_values) {
        if (*pos < end) {
            ++*values;          /* the reader stops at this value */
        }
        return 0;
    }
    v = ctx_json_parse_member(*pos, (apr_size_t)(end - *pos), 1,
                              max_values ? max_values - *values : 0, &made,
                              pos);
    *values += made;
    if (!v) {
        return 0;
    }
    if (ctx_json_write_member(p, v, &text, &m->tlen, &m->values)
        != APR_SUCCESS) {
        json_decref(v);
        return 0;
    }
    json_decref(v);
    m->text = text;
    m->unchecked = 0;
    return 1;
}

/* See ctx_flat_scan.h. */
const char *ctx_flat_read_key(apr_pool_t *p, ctx_flat_member_t *m,
                              const char *kstart, const char *end)
{
    const char *pos = kstart + 1;
    ctx_flat_scan_t sc;
    apr_size_t klen;
    int escaped;

    if (!(m->key = ctx_json_read_string(p, &pos, end, &klen))) {
        return NULL;
    }
    m->klen = klen;
    sc.p = kstart;
    sc.end = pos;
    if (ctx_flat_scan_string(&sc, &escaped)) {
        m->qkey = kstart;
        m->qklen = (apr_size_t)(pos - kstart);
    }
    else if (!(m->qkey = ctx_json_write_string(p, m->key, klen, &m->qklen))) {
        return NULL;
    }
    return pos;
}

/* See ctx_flat_scan.h. */
int ctx_flat_note_key(apr_pool_t *p, const ctx_flat_member_t *ms, int n,
                      apr_hash_t **seen, const char *key)
{
    if (!*seen) {
        *seen = apr_hash_make(p);
        for (int i = 0; i < n; ++i) {
            apr_hash_set(*seen, ms[i].key, APR_HASH_KEY_STRING, "");
        }
    }
    if (apr_hash_get(*seen, key, APR_HASH_KEY_STRING)) {
        return 0;
    }
    apr_hash_set(*seen, key, APR_HASH_KEY_STRING, "");
    return 1;
}
