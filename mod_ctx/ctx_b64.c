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

/* ---- big-endian integers (the codec's timestamps) ------------------------ */

/* 8 bytes take 11 characters, 66 bits: through the bytes (apart, so that
 * the common path needs no stack buffer). */
static __attribute__((noinline)) apr_size_t encode_be8(char *out,
                                                        apr_uint64_t v)
{
    unsigned char be[8];

    for (int i = 0; i < 8; ++i) {
        be[i] = (unsigned char)(v >> (56 - 8 * i));
    }
    return ctx_b64url_encode(out, be, 8);
}

static __attribute__((noinline)) long decode_be8(const char *in,
                                                 apr_size_t len,
                                                 apr_uint64_t *v)
{
    unsigned char buf[12];
    apr_uint64_t acc = 0;
    long n;

    if (len > 11 || (n = ctx_b64url_decode(buf, in, len)) < 0) {
        return -1;
    }
    for (long i = 0; i < n; ++i) {
        acc = (acc << 8) | buf[i];
    }
    *v = acc;
    return n;
}

apr_size_t ctx_b64url_encode_be(char *out, apr_uint64_t v)
{
    apr_size_t n = v ? (apr_size_t)(64 - __builtin_clzll(v) + 7) / 8 : 1;
    apr_size_t chars, i;
    apr_uint64_t x;

    if (n == 8) {
        return encode_be8(out, v);
    }
    /* The n bytes, left-aligned on a whole number of characters (the
     * padding bits are zero), then written from the right, two characters
     * per table load. */
    chars = ctx_b64url_len(n);
    x = v << (6 * chars - 8 * n);
    out[chars] = '\0';
    for (i = chars; i >= 2; i -= 2, x >>= 12) {
        memcpy(out + i - 2, pairs[x & 0xfff], 2);
    }
    if (i) {
        out[0] = alphabet[x & 63];
    }
    return chars;
}

long ctx_b64url_decode_be(const char *in, apr_size_t len, apr_uint64_t *v)
{
    const unsigned char *s = (const unsigned char *)in;
    apr_uint64_t acc = 0;
    unsigned bad = 0, pad;
    apr_size_t i;
    long n;

    if (len > 10) {
        return decode_be8(in, len, v);
    }
    if (len % 4 == 1) {
        return -1;
    }
    for (i = 0; i < len; ++i) {
        unsigned c = values[s[i]];

        bad |= c;
        acc = (acc << 6) | (c & 63);
    }
    n = (long)(len * 6 / 8);
    pad = (unsigned)(len * 6 - (apr_size_t)n * 8);
    /* any 0xff sets a bit no valid value has; the padding bits must be 0 */
    if ((bad & 0xc0) || (acc & ((1u << pad) - 1))) {
        return -1;
    }
    *v = acc >> pad;
    return n;
}
