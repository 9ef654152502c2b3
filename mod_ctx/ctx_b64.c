/* ctx_b64: see ctx_b64.h. */
#include <string.h>

#include "ctx_b64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

apr_size_t ctx_b64url_len(apr_size_t n)
{
    return (n / 3) * 4 + ((n % 3) ? (n % 3) + 1 : 0);
}

/* The two characters of each 12-bit value: one table load per two
 * characters (a cookie's MAC and payload are encoded on every change).
 * Built by the preprocessor from the alphabet's ranges. */
#define C(i) ((char)((i) < 26 ? 'A' + (i) : (i) < 52 ? 'a' + (i) - 26      \
                     : (i) < 62 ? '0' + (i) - 52 : (i) == 62 ? '-' : '_'))
#define P(h, l) { C(h), C(l) }
#define L8(h, l) P(h, l), P(h, l + 1), P(h, l + 2), P(h, l + 3),            \
                 P(h, l + 4), P(h, l + 5), P(h, l + 6), P(h, l + 7)
#define L64(h) L8(h, 0), L8(h, 8), L8(h, 16), L8(h, 24), L8(h, 32),         \
               L8(h, 40), L8(h, 48), L8(h, 56)
#define H8(h) L64(h), L64(h + 1), L64(h + 2), L64(h + 3), L64(h + 4),        \
              L64(h + 5), L64(h + 6), L64(h + 7)
static const char pairs[4096][2] = {
    H8(0), H8(8), H8(16), H8(24), H8(32), H8(40), H8(48), H8(56)
};
#undef H8
#undef L64
#undef L8
#undef P
#undef C

apr_size_t ctx_b64url_encode(char *out, const unsigned char *in, apr_size_t n)
{
    char *o = out;
    apr_size_t i = 0;

    for (; i + 3 <= n; i += 3) {
        unsigned v = ((unsigned)in[i] << 16) | ((unsigned)in[i + 1] << 8)
                     | in[i + 2];

        memcpy(o, pairs[v >> 12], 2);
        memcpy(o + 2, pairs[v & 0xfff], 2);
        o += 4;
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        *o++ = alphabet[(v >> 18) & 63];
        *o++ = alphabet[(v >> 12) & 63];
    }
    else if (n - i == 2) {
        unsigned v = ((unsigned)in[i] << 16) | ((unsigned)in[i + 1] << 8);
        *o++ = alphabet[(v >> 18) & 63];
        *o++ = alphabet[(v >> 12) & 63];
        *o++ = alphabet[(v >> 6) & 63];
    }
    *o = '\0';
    return (apr_size_t)(o - out);
}

/* 6-bit value of each base64url character, 0xff for any other byte. */
static const unsigned char values[256] = {
#define X 0xff
#define X16 X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X
    X16, X16,
    X, X, X, X, X, X, X, X, X, X, X, X, X, 62, X, X,               /* '-' */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,      /* 0-9 */
    X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,           /* A-O */
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, 63,    /* P-Z _ */
    X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, /* a-o */
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,     /* p-z */
    X16, X16, X16, X16, X16, X16, X16, X16
#undef X16
#undef X
};

long ctx_b64url_decode(unsigned char *out, const char *in, apr_size_t len)
{
    const unsigned char *s = (const unsigned char *)in;
    unsigned char *o = out;
    apr_size_t i = 0, full = len & ~(apr_size_t)3;
    unsigned a, b, c, d;

    if (len % 4 == 1) {
        return -1;
    }
    /* Whole quads: one check of the four values together (any 0xff sets a
     * bit no valid 6-bit value has). */
    for (; i < full; i += 4) {
        a = values[s[i]];
        b = values[s[i + 1]];
        c = values[s[i + 2]];
        d = values[s[i + 3]];
        if ((a | b | c | d) & 0xc0) {
            return -1;
        }
        *o++ = (unsigned char)((a << 2) | (b >> 4));
        *o++ = (unsigned char)((b << 4) | (c >> 2));
        *o++ = (unsigned char)((c << 6) | d);
    }
    if (len - i == 2) {
        a = values[s[i]];
        b = values[s[i + 1]];
        if (((a | b) & 0xc0) || (b & 0x0f)) {       /* stray bits */
            return -1;
        }
        *o++ = (unsigned char)((a << 2) | (b >> 4));
    }
    else if (len - i == 3) {
        a = values[s[i]];
        b = values[s[i + 1]];
        c = values[s[i + 2]];
        if (((a | b | c) & 0xc0) || (c & 0x03)) {   /* stray bits */
            return -1;
        }
        *o++ = (unsigned char)((a << 2) | (b >> 4));
        *o++ = (unsigned char)((b << 4) | (c >> 2));
    }
    return (long)(o - out);
}
