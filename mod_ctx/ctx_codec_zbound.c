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
#define TRIGRAM_SLOTS 128       /* > 2 * (CTX_ZBOUND_MAX - 2): probes stay short */

/* c * log2(c) for c = 0 .. CTX_ZBOUND_MAX + 1, filled once. */
static double clogc[CTX_ZBOUND_MAX + 2];
static pthread_once_t clogc_once = PTHREAD_ONCE_INIT;

static void clogc_fill(void)
{
    for (int c = 1; c < CTX_ZBOUND_MAX + 2; ++c) {
        clogc[c] = c * log2((double)c);
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
    /* Trigrams seen, as 1 + 24 bits (0 is an empty slot), open addressing:
     * exact, so a repeat is always found and nothing else is taken for one. */
    uint32_t seen[TRIGRAM_SLOTS];
    unsigned char count[256];
    double sum_clogc = 0, dynamic, fixed, stored, least;

    if (n > CTX_ZBOUND_MAX) {
        return -1;
    }
    pthread_once(&clogc_once, clogc_fill);
    memset(seen, 0, sizeof(seen));
    memset(count, 0, sizeof(count));
    for (apr_size_t i = 0; i < n; ++i) {
        unsigned c = count[s[i]]++;

        sum_clogc += clogc[c + 1] - clogc[c];
        if (i + 2 < n) {
            uint32_t t = 1 + ((uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8
                              | s[i + 2]);
            uint32_t h = (t * 2654435761u) >> 25;

            while (seen[h]) {
                if (seen[h] == t) {
                    return -1;
                }
                h = (h + 1) % TRIGRAM_SLOTS;
            }
            seen[h] = t;
        }
    }
    /* The EOB adds a symbol of count 1 (1 log2 1 = 0). */
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
    pthread_once(&clogc_once, clogc_fill);
    if (!proves_no_shrink(DYNAMIC_HEADER_BITS + clogc[n + 1], n)) {
        return 0;
    }
    bits = ctx_codec_zbound_bits(s, n);
    return bits >= 0 && proves_no_shrink(bits, n);
}
