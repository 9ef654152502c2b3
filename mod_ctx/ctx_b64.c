/* ctx_b64: see ctx_b64.h. */
#include <string.h>

#include "ctx_b64.h"

/* SSSE3 (every x86-64 CPU since 2006, and valgrind's): 12 bytes <-> 16
 * characters per step with byte shuffles, about a third of the table
 * loops' instructions (a cookie's MAC and payload, each way, per request).
 * Chosen once at load; the table loops are the reference, and the rest of
 * every text. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define B64_SIMD 1
#include <tmmintrin.h>

static int use_simd;

static __attribute__((constructor)) void simd_probe(void)
{
    __builtin_cpu_init();
    use_simd = __builtin_cpu_supports("ssse3") ? 1 : 0;
}

void ctx_b64_force_scalar(int on)
{
    if (on) {
        use_simd = 0;
    }
    else {
        simd_probe();
    }
}

int ctx_b64_simd(void)
{
    return use_simd;
}
#else
void ctx_b64_force_scalar(int on)
{
    (void)on;
}

int ctx_b64_simd(void)
{
    return 0;
}
#endif

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

#ifdef B64_SIMD
/* Whole 12-byte groups of `in` (n bytes) as 16 characters each into out;
 * returns the bytes consumed (a multiple of 12). Reads exactly those bytes
 * (no load past in + n). W. Mula's shuffle-and-multiply split into 6-bit
 * indices, then one table shuffle from index range to ASCII offset. */
static __attribute__((target("ssse3"))) apr_size_t
encode_ssse3(char *out, const unsigned char *in, apr_size_t n)
{
    const __m128i split = _mm_set_epi8(10, 11, 9, 10, 7, 8, 6, 7,
                                       4, 5, 3, 4, 1, 2, 0, 1);
    /* index 0..25 -> 13, 26..51 -> 0, 52..61 -> 1..10, 62 -> 11, 63 -> 12 */
    const __m128i offsets = _mm_setr_epi8(
        'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
        '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '-' - 62,
        '_' - 63, 'A', 0, 0);
    apr_size_t i = 0;

    for (; i + 12 <= n; i += 12, out += 16) {
        apr_uint64_t lo;
        apr_uint32_t hi;
        __m128i v, a, b, r;

        memcpy(&lo, in + i, 8);
        memcpy(&hi, in + i + 8, 4);
        v = _mm_unpacklo_epi64(_mm_cvtsi64_si128((long long)lo),
                               _mm_cvtsi32_si128((int)hi));
        v = _mm_shuffle_epi8(v, split);
        a = _mm_mulhi_epu16(_mm_and_si128(v, _mm_set1_epi32(0x0fc0fc00)),
                            _mm_set1_epi32(0x04000040));
        b = _mm_mullo_epi16(_mm_and_si128(v, _mm_set1_epi32(0x003f03f0)),
                            _mm_set1_epi32(0x01000010));
        v = _mm_or_si128(a, b);                 /* 16 indices, in order */
        r = _mm_subs_epu8(v, _mm_set1_epi8(51));
        r = _mm_or_si128(r, _mm_and_si128(_mm_cmpgt_epi8(_mm_set1_epi8(26), v),
                                          _mm_set1_epi8(13)));
        r = _mm_add_epi8(_mm_shuffle_epi8(offsets, r), v);
        _mm_storeu_si128((__m128i *)out, r);
    }
    return i;
}
#endif

apr_size_t ctx_b64url_encode(char *out, const unsigned char *in, apr_size_t n)
{
    char *o = out;
    apr_size_t i = 0;

#ifdef B64_SIMD
    if (n >= 12 && use_simd) {
        i = encode_ssse3(out, in, n);
        o += i / 3 * 4;
    }
#endif
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
    /* the last one or two bytes: their first 12 bits as a pair too */
    if (n - i == 1) {
        memcpy(o, pairs[(unsigned)in[i] << 4], 2);
        o += 2;
    }
    else if (n - i == 2) {
        unsigned v = ((unsigned)in[i] << 8) | in[i + 1];

        memcpy(o, pairs[v >> 4], 2);
        o[2] = alphabet[(v << 2) & 63];
        o += 3;
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

#ifdef B64_SIMD
/* Whole 16-character groups of `s` (len characters) as 12 bytes each into
 * out (exactly 12 written); returns the characters consumed, or -1 when one
 * is outside the alphabet. Validity from the two nibbles: lo_bad[low] has a
 * bit for each high nibble under which that low nibble is not a character
 * of the alphabet (bit 5: no high nibble allows it), hi_bit[high] that
 * nibble's bit; a character is valid when the two share none. */
static __attribute__((target("ssse3"))) long
decode_ssse3(unsigned char *out, const unsigned char *s, apr_size_t len)
{
#define LO_BAD(l) (0x20 | ((l) != 13 ? 0x01 : 0) | ((l) > 9 ? 0x02 : 0)      \
                   | ((l) == 0 ? 0x04 : 0)                                   \
                   | ((l) > 10 && (l) != 15 ? 0x08 : 0) | ((l) > 10 ? 0x10 : 0))
    /* high nibble 2: '-'; 3: digits; 4 and 6: letters from A/a (low 1-15);
     * 5: P-Z (0-10) and '_' (15); 7: p-z (0-10) */
    const __m128i lo_bad = _mm_setr_epi8(
        LO_BAD(0), LO_BAD(1), LO_BAD(2), LO_BAD(3), LO_BAD(4), LO_BAD(5),
        LO_BAD(6), LO_BAD(7), LO_BAD(8), LO_BAD(9), LO_BAD(10), LO_BAD(11),
        LO_BAD(12), LO_BAD(13), LO_BAD(14), LO_BAD(15));
#undef LO_BAD
    const __m128i hi_bit = _mm_setr_epi8(0x20, 0x20, 0x01, 0x02, 0x04, 0x08,
                                         0x04, 0x10, 0x20, 0x20, 0x20, 0x20,
                                         0x20, 0x20, 0x20, 0x20);
    /* what to add to a character of each high nibble for its value; '_'
     * (high 5) is looked up at 13 */
    const __m128i add = _mm_setr_epi8(0, 0, 62 - '-',
                                      52 - '0', -'A', -'A', 26 - 'a',
                                      26 - 'a', 0, 0, 0, 0, 0, 63 - '_', 0,
                                      0);
    const __m128i nib = _mm_set1_epi8(0x0f);
    const __m128i pack = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13,
                                       12, -1, -1, -1, -1);
    apr_size_t i = 0;

    for (; i + 16 <= len; i += 16, out += 12) {
        __m128i c = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i hi = _mm_and_si128(_mm_srli_epi32(c, 4), nib);
        __m128i lo = _mm_and_si128(c, nib);
        __m128i bad = _mm_and_si128(_mm_shuffle_epi8(lo_bad, lo),
                                    _mm_shuffle_epi8(hi_bit, hi));
        __m128i v;

        if (_mm_movemask_epi8(_mm_cmpeq_epi8(bad, _mm_setzero_si128()))
            != 0xffff) {
            return -1;
        }
        /* '_' (0x5f) reads the offset at 5 | 8 */
        hi = _mm_or_si128(hi, _mm_and_si128(
                                  _mm_cmpeq_epi8(c, _mm_set1_epi8('_')),
                                  _mm_set1_epi8(8)));
        v = _mm_add_epi8(c, _mm_shuffle_epi8(add, hi));     /* 6-bit values */
        v = _mm_maddubs_epi16(v, _mm_set1_epi32(0x01400140));
        v = _mm_madd_epi16(v, _mm_set1_epi32(0x00011000));  /* 24 bits each */
        v = _mm_shuffle_epi8(v, pack);
        _mm_storel_epi64((__m128i *)out, v);
        {
            apr_uint32_t w = (apr_uint32_t)_mm_cvtsi128_si32(
                _mm_srli_si128(v, 8));

            memcpy(out + 8, &w, 4);
        }
    }
    return (long)i;
}
#endif

long ctx_b64url_decode(unsigned char *out, const char *in, apr_size_t len)
{
    const unsigned char *s = (const unsigned char *)in;
    unsigned char *o = out;
    apr_size_t i = 0, full = len & ~(apr_size_t)3;

    if (len % 4 == 1) {
        return -1;
    }
#ifdef B64_SIMD
    if (len >= 16 && use_simd) {
        long done = decode_ssse3(o, s, len);

        if (done < 0) {
            return -1;
        }
        i = (apr_size_t)done;
        o += i / 4 * 3;
    }
#endif
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
