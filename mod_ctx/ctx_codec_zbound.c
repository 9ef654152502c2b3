/* ctx_codec_zbound: a lower bound on zlib's output for small input without
 * repeats (ctx_codec_zbound.h).
 *
 * Why it holds (RFC 1951; zlib's deflate.c and trees.c):
 * 1. A deflate match has length >= 3 (length codes 3..258) and copies bytes
 *    that really occur earlier (the stream must inflate to the input; there
 *    is no preset dictionary). So if no 3-byte string of the input occurs at
 *    two positions, every block holds only literals and an end-of-block.
 * 2. zlib flushes a block only when its symbol buffer (lit_bufsize - 1 >= 127
 *    symbols) is full or at Z_FINISH: input of <= CTX_ZBOUND_MAX bytes given
 *    in one deflate(Z_FINISH) call is one final block, of one of three types:
 *    stored: 3 header bits, LEN and NLEN (32 bits), the n bytes;
 *    fixed Huffman: 3 header bits, 8 or 9 bits per literal, 7 for the EOB;
 *    dynamic: 3 + 5 (HLIT) + 5 (HDIST) + 4 (HCLEN) bits, then 3 bits for each
 *    of HCLEN + 4 >= 4 code length codes (29 bits), the code lengths (>= 0
 *    bits), then the symbols. Their code is a prefix code (Kraft), so by
 *    Shannon's bound the N = n + 1 symbols (n literals, one EOB) cost at least
 *    N * H = N log2 N - sum over distinct symbols of c log2 c bits, c being a
 *    symbol's count (zlib's 15-bit length limit only makes it longer).
 * zlib.compress adds a 2-byte header and a 4-byte Adler-32, so its length is
 * 6 + ceil(D / 8) for a D-bit deflate stream, and D >= 3: at least 7 bytes.
 * itsdangerous keeps the zlib form only if it is shorter than n - 1 bytes;
 * D >= 8 (n - 7) proves it is not. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

#include "ctx_codec_zbound.h"

#define DYNAMIC_HEADER_BITS (3 + 5 + 5 + 4 + 4 * 3)
#define NONE 0xff               /* no earlier occurrence (positions < 64) */
_Static_assert(CTX_ZBOUND_MAX < NONE, "positions fit a byte below NONE");

/* c * log2(c) for c = 0 .. CTX_ZBOUND_MAX + 1, filled once. */
static double clogc[CTX_ZBOUND_MAX + 2];
static int clogc_ready;         /* clogc is filled (no pthread_once call
                                 * per cookie once it is) */
static pthread_once_t clogc_once = PTHREAD_ONCE_INIT;

static void clogc_fill(void)
{
    for (int c = 1; c < CTX_ZBOUND_MAX + 2; ++c) {
        clogc[c] = c * log2((double)c);
    }
    __atomic_store_n(&clogc_ready, 1, __ATOMIC_RELEASE);
}

static inline void clogc_need(void)
{
    if (!__atomic_load_n(&clogc_ready, __ATOMIC_ACQUIRE)) {
        pthread_once(&clogc_once, clogc_fill);
    }
}

/* Whether `bits` of deflate stream prove zlib.compress >= n - 1 bytes
 * (n > 7), with one bit of margin for rounding in the doubles. */
static int proves_no_shrink(double bits, apr_size_t n)
{
    return bits - 1 >= 8.0 * ((double)n - 7);
}

double ctx_codec_zbound_bits(const unsigned char *s, apr_size_t n)
{
    /* count[b]: occurrences of byte b so far; last[b]: where it occurred
     * last, read only once count[b] > 0 (so never zeroed); prev[i]: the
     * occurrence before i of the byte at i. A repeated 3-byte string
     * starts with a repeated byte: only that byte's earlier positions are
     * compared, exactly (no table to clear, no hashing). */
    unsigned char count[256], last[256], prev[CTX_ZBOUND_MAX];
    unsigned char distinct[CTX_ZBOUND_MAX];
    apr_size_t d = 0;
    double sum_clogc = 0, dynamic, fixed, stored, least;

    if (n > CTX_ZBOUND_MAX) {
        return -1;
    }
    clogc_need();
    memset(count, 0, sizeof(count));
    for (apr_size_t i = 0; i < n; ++i) {
        unsigned char b = s[i];

        if (count[b]++ == 0) {
            distinct[d++] = b;
            prev[i] = NONE;
        }
        else {
            prev[i] = last[b];
            /* every earlier occurrence, nearest first: positions fall,
             * so at most i steps */
            for (unsigned j = prev[i]; i + 2 < n && j != NONE; j = prev[j]) {
                if (s[j + 1] == s[i + 1] && s[j + 2] == s[i + 2]) {
                    return -1;
                }
            }
        }
        last[b] = (unsigned char)i;
    }
    /* N * H = N log2 N - sum of c log2 c over the distinct symbols; the
     * EOB adds a symbol of count 1 (1 log2 1 = 0). */
    for (apr_size_t k = 0; k < d; ++k) {
        sum_clogc += clogc[count[distinct[k]]];
    }
    dynamic = DYNAMIC_HEADER_BITS + clogc[n + 1] - sum_clogc;
    fixed = 3 + 8.0 * n + 7;
    stored = 3 + 32 + 8.0 * n;
    least = dynamic < fixed ? dynamic : fixed;
    return least < stored ? least : stored;
}

int ctx_codec_zlib_cannot_shrink(const unsigned char *s, apr_size_t n)
{
    double bits;

    if (n <= 8) {
        return 1;               /* zlib.compress writes >= 7 bytes */
    }
    if (n > CTX_ZBOUND_MAX) {
        return 0;
    }
    /* N * H is at most N log2 N (all symbols distinct): when even that
     * cannot prove it, as from about 30 bytes on, do not look at s. */
    clogc_need();
    if (!proves_no_shrink(DYNAMIC_HEADER_BITS + clogc[n + 1], n)) {
        return 0;
    }
    bits = ctx_codec_zbound_bits(s, n);
    return bits >= 0 && proves_no_shrink(bits, n);
}
