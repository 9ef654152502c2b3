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

    /* Six bytes per step while eight can be loaded: one load for four
     * table loads (a MAC is 32 bytes, a session's payload tens). */
    for (; i + 8 <= n; i += 6, o += 8) {
        apr_uint64_t v;

        memcpy(&v, in + i, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        v = __builtin_bswap64(v);
#endif
        memcpy(o, pairs[(v >> 52) & 0xfff], 2);
        memcpy(o + 2, pairs[(v >> 40) & 0xfff], 2);
        memcpy(o + 4, pairs[(v >> 28) & 0xfff], 2);
        memcpy(o + 6, pairs[(v >> 16) & 0xfff], 2);
    }
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


/* The value of each character already in its place in a quad's 24 bits
 * (quad[k]: the k-th character's, shifted left by 18 - 6k), or bit 31 for
 * a byte outside the alphabet: a quad is the OR of four loads, checked
 * once. Built by the preprocessor, as `pairs`. */
#define V(c) ((c) >= 'A' && (c) <= 'Z' ? (c) - 'A'                           \
              : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26                    \
              : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52                    \
              : (c) == '-' ? 62 : (c) == '_' ? 63 : -1)
#define S(c, sh) (V(c) < 0 ? 0x80000000u : (apr_uint32_t)V(c) << (sh))
#define E4(i, sh) S(i, sh), S((i) + 1, sh), S((i) + 2, sh), S((i) + 3, sh)
#define E16(i, sh) E4(i, sh), E4((i) + 4, sh), E4((i) + 8, sh),              \
                   E4((i) + 12, sh)
#define E64(i, sh) E16(i, sh), E16((i) + 16, sh), E16((i) + 32, sh),         \
                   E16((i) + 48, sh)
#define E256(sh) { E64(0, sh), E64(64, sh), E64(128, sh), E64(192, sh) }
static const apr_uint32_t quad[4][256] = {
    E256(18), E256(12), E256(6), E256(0)
};
#undef E256
#undef E64
#undef E16
#undef E4
#undef S
#undef V

long ctx_b64url_decode(unsigned char *out, const char *in, apr_size_t len)
{
    const unsigned char *s = (const unsigned char *)in;
    unsigned char *o = out;
    apr_size_t i = 0, full = len & ~(apr_size_t)3;

    if (len % 4 == 1) {
        return -1;
    }
    /* Two quads per step, their six bytes in one 8-byte store, while a
     * quad follows to overwrite the two bytes too many (a MAC is 43
     * characters, a session's payload tens). */
    for (; i + 8 < full; i += 8, o += 6) {
        apr_uint32_t a = quad[0][s[i]] | quad[1][s[i + 1]]
                         | quad[2][s[i + 2]] | quad[3][s[i + 3]];
        apr_uint32_t b = quad[0][s[i + 4]] | quad[1][s[i + 5]]
                         | quad[2][s[i + 6]] | quad[3][s[i + 7]];
        apr_uint64_t v;

        if ((a | b) & 0x80000000u) {
            return -1;
        }
        v = ((apr_uint64_t)a << 24 | b) << 16;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        v = __builtin_bswap64(v);
#endif
        memcpy(o, &v, 8);
    }
    for (; i < full; i += 4, o += 3) {
        apr_uint32_t w = quad[0][s[i]] | quad[1][s[i + 1]]
                         | quad[2][s[i + 2]] | quad[3][s[i + 3]];

        if (w & 0x80000000u) {
            return -1;
        }
        o[0] = (unsigned char)(w >> 16);
        o[1] = (unsigned char)(w >> 8);
        o[2] = (unsigned char)w;
    }
    if (len - i == 2) {
        apr_uint32_t w = quad[0][s[i]] | quad[1][s[i + 1]];

        /* one byte: the second character's low 4 bits are stray */
        if (w & (0x80000000u | 0xf000)) {
            return -1;
        }
        *o++ = (unsigned char)(w >> 16);
    }
    else if (len - i == 3) {
        apr_uint32_t w = quad[0][s[i]] | quad[1][s[i + 1]]
                         | quad[2][s[i + 2]];

        /* two bytes: the third character's low 2 bits are stray */
        if (w & (0x80000000u | 0xc0)) {
            return -1;
        }
        *o++ = (unsigned char)(w >> 16);
        *o++ = (unsigned char)(w >> 8);
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
    apr_uint32_t bad = 0;
    unsigned pad;
    apr_size_t i;
    long n;

    if (len == 6) {
        /* 4 bytes, every time from 1970 + 194 days to 2106: one quad and
         * two characters, whose 4 low bits are stray, without a loop */
        apr_uint32_t w = quad[0][s[0]] | quad[1][s[1]] | quad[2][s[2]]
                         | quad[3][s[3]];
        apr_uint32_t x = quad[0][s[4]] | quad[1][s[5]];

        if (((w | x) & 0x80000000u) || (x & 0xf000)) {
            return -1;
        }
        *v = (apr_uint64_t)(w & 0xffffff) << 8 | (x >> 16 & 0xff);
        return 4;
    }
    if (len > 10) {
        return decode_be8(in, len, v);
    }
    if (len % 4 == 1) {
        return -1;
    }
    /* whole quads as in ctx_b64url_decode (24 bits each), then the rest
     * a character at a time (a time of 4 or 5 bytes: 6 or 7 characters) */
    for (i = 0; i + 4 <= len; i += 4) {
        apr_uint32_t w = quad[0][s[i]] | quad[1][s[i + 1]]
                         | quad[2][s[i + 2]] | quad[3][s[i + 3]];

        bad |= w;
        acc = (acc << 24) | (w & 0xffffff);
    }
    for (; i < len; ++i) {
        apr_uint32_t c = quad[3][s[i]];

        bad |= c;
        acc = (acc << 6) | (c & 63);
    }
    n = (long)(len * 6 / 8);
    pad = (unsigned)(len * 6 - (apr_size_t)n * 8);
    /* a byte outside the alphabet sets bit 31; the padding bits must be 0 */
    if ((bad & 0x80000000u) || (acc & ((1u << pad) - 1))) {
        return -1;
    }
    *v = acc >> pad;
    return n;
}
