/* Unit tests of ctx_codec_zbound: the proof that zlib cannot shorten a small
 * payload, checked against real zlib (deflateInit2 level 6, wbits 15,
 * memLevel 8: what Python's zlib.compress, hence itsdangerous, runs) on many
 * random and structured inputs. */
#include <math.h>
#include <zlib.h>

#include "unit.h"

#include "ctx_codec_zbound.h"

/* ---- the reference: real zlib --------------------------------------------- */

static z_stream ref;
static int ref_ok;

/* Length of zlib.compress(s): 2-byte header + deflate stream + Adler-32. */
static apr_size_t zlib_len(const unsigned char *s, apr_size_t n)
{
    unsigned char out[1024];

    if (!ref_ok) {
        assert_int_equal(deflateInit2(&ref, 6, Z_DEFLATED, 15, 8,
                                      Z_DEFAULT_STRATEGY), Z_OK);
        ref_ok = 1;
    }
    assert_int_equal(deflateReset(&ref), Z_OK);
    assert_true(deflateBound(&ref, (uLong)n) <= sizeof(out));
    ref.next_in = (Bytef *)s;
    ref.avail_in = (uInt)n;
    ref.next_out = out;
    ref.avail_out = sizeof(out);
    assert_int_equal(deflate(&ref, Z_FINISH), Z_STREAM_END);
    return ref.total_out;
}

/* ---- inputs ---------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t below)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32) % below;
}

static const char *const alphabets[] = {
    "a", "ab", "abc", "0123", "01234567", "0123456789abcdef",
    "abcdefghijklmnopqrstuvwxyz", "{}\":,_ 0123456789abcdefghijklmnopqrstuvwxyz",
    NULL,                       /* all 256 bytes */
};

typedef struct {
    unsigned checked;           /* inputs the bound gave bits for */
    unsigned skipped;           /* inputs it said zlib cannot shrink */
} tally_t;

static void fail_with(const char *what, const unsigned char *s, apr_size_t n,
                      double bits, apr_size_t zlen)
{
    char hex[2 * 256 + 1];

    for (apr_size_t i = 0; i < n && i < 256; ++i) {
        snprintf(hex + 2 * i, 3, "%02x", s[i]);
    }
    hex[2 * (n < 256 ? n : 256)] = '\0';
    fail_msg("%s: n=%lu bound=%.3f bits zlib=%lu bytes input=%s", what,
             (unsigned long)n, bits, (unsigned long)zlen, hex);
}

/* The two claims for one input: the bound never exceeds the deflate stream
 * zlib really writes, and "cannot shrink" means itsdangerous keeps the plain
 * form (compressed length >= n - 1). */
static void check(tally_t *t, const unsigned char *s, apr_size_t n)
{
    double bits = ctx_codec_zbound_bits(s, n);
    int skip = ctx_codec_zlib_cannot_shrink(s, n);
    apr_size_t zlen;

    if (bits < 0 && !skip) {
        return;
    }
    zlen = zlib_len(s, n);
    if (bits >= 0) {
        ++t->checked;
        if (8.0 * (double)(zlen - 6) < bits) {
            fail_with("bound above zlib's stream", s, n, bits, zlen);
        }
    }
    if (skip) {
        ++t->skipped;
        if (zlen + 1 < n) {
            fail_with("said cannot shrink, zlib did", s, n, bits, zlen);
        }
    }
}

static void check_str(tally_t *t, const char *s)
{
    check(t, (const unsigned char *)s, strlen(s));
}

/* Every prefix of s: walks the lengths where the decision flips. */
static void check_prefixes(tally_t *t, const char *s)
{
    for (apr_size_t n = 0; n <= strlen(s); ++n) {
        check(t, (const unsigned char *)s, n);
    }
}

static void random_bytes(unsigned char *s, apr_size_t n, const char *alphabet)
{
    apr_size_t k = alphabet ? strlen(alphabet) : 256;

    for (apr_size_t i = 0; i < n; ++i) {
        s[i] = alphabet ? (unsigned char)alphabet[rnd((uint32_t)k)]
                        : (unsigned char)rnd(256);
    }
}

/* ---- tests ------------------------------------------------------------------- */

static void test_zbound_holds_for_random_inputs(void **state)
{
    unsigned char s[200];
    tally_t t = { 0, 0 };

    (void)state;
    for (const char *const *a = alphabets; a < alphabets + 9; ++a) {
        for (apr_size_t n = 0; n <= 200; ++n) {
            for (int rep = 0; rep < (n <= 70 ? 40 : 3); ++rep) {
                random_bytes(s, n, *a);
                check(&t, s, n);
            }
        }
    }
    /* Not vacuous: the bound was given and taken for many of them. */
    assert_true(t.checked > 2000);
    assert_true(t.skipped > 2000);
}

/* Distinct bytes with one earlier stretch copied in: the inputs on which a
 * bound that missed a repeat would claim more than zlib writes. */
static void test_zbound_holds_for_inputs_with_one_repeat(void **state)
{
    unsigned char s[CTX_ZBOUND_MAX + 16];
    tally_t t = { 0, 0 };

    (void)state;
    for (int rep = 0; rep < 20000; ++rep) {
        apr_size_t n = 4 + rnd(CTX_ZBOUND_MAX - 3);
        apr_size_t len = 3 + rnd((uint32_t)(n - 3 < 40 ? n - 3 : 40));
        apr_size_t to = rnd((uint32_t)(n - len + 1));
        apr_size_t from = rnd((uint32_t)(n - len + 1));
        const char *a = alphabets[5 + rnd(4)];

        random_bytes(s, n, a);
        memmove(s + to, s + from, len);
        check(&t, s, n);
        /* made periodic from a random point on, period 1..8 */
        for (apr_size_t period = 1 + rnd(8), i = period + rnd((uint32_t)n);
             i < n; ++i) {
            s[i] = s[i - period];
        }
        check(&t, s, n);
    }
    for (apr_size_t period = 1; period <= 12; ++period) {
        for (apr_size_t n = 0; n <= sizeof(s); ++n) {
            for (apr_size_t i = 0; i < n; ++i) {
                s[i] = (unsigned char)('A' + i % period);
            }
            check(&t, s, n);
        }
    }
    assert_true(t.checked > 1000);
}

static void test_zbound_holds_for_flask_like_sessions(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    static const char hexd[] = "0123456789abcdef";
    static const char *const keys[] = {
        "a", "count", "user_id", "_fresh", "csrf_token", "_flashes", "lang",
        "cart", "x", "visits", "theme", "_permanent",
    };
    static const char *const values[] = {
        "1", "true", "false", "null", "\"en\"", "[]", "{}", "\"dark\"",
        "[[\"message\",\"hi\"]]", "-5", "3.25", "\"\"",
    };
    tally_t t = { 0, 0 };

    for (long c = -1100; c <= 100000; c += (c < 1000 ? 1 : 97)) {
        check_str(&t, apr_psprintf(p, "{\"count\":%ld}", c));
        check_str(&t, apr_psprintf(p, "{\"_permanent\":true,\"count\":%ld}", c));
    }
    for (int hlen = 0; hlen <= 128; ++hlen) {
        char id[129];

        for (int r = 0; r < 8; ++r) {
            for (int i = 0; i < hlen; ++i) {
                id[i] = hexd[rnd(16)];
            }
            id[hlen] = '\0';
            check_prefixes(&t, apr_psprintf(p,
                "{\"_fresh\":true,\"_id\":\"%s\",\"_user_id\":\"%d\"}",
                id, (int)rnd(100000)));
        }
    }
    for (int rep = 0; rep < 4000; ++rep) {
        const char *s = "{";
        int fields = 1 + (int)rnd(3);

        for (int f = 0; f < fields; ++f) {
            s = apr_psprintf(p, "%s%s\"%s\":%s", s, f ? "," : "",
                             keys[rnd(12)], values[rnd(12)]);
        }
        check_prefixes(&t, apr_pstrcat(p, s, "}", NULL));
    }
    assert_true(t.skipped > 1000);
}

/* The optimisation is really taken for the sessions it is for; zlib agrees
 * that they do not shrink. */
static void test_zbound_skips_zlib_for_small_sessions(void **state)
{
    static const char *const small[] = {
        "", "{}", "{\"a\":1}", "{\"count\":2}", "{\"count\":123456}",
        "{\"user_id\":42}", "{\"_fresh\":false}", "{\"lang\":\"en\"}",
    };
    tally_t t = { 0, 0 };

    (void)state;
    for (size_t i = 0; i < sizeof(small) / sizeof(*small); ++i) {
        const unsigned char *s = (const unsigned char *)small[i];
        apr_size_t n = strlen(small[i]);

        if (!ctx_codec_zlib_cannot_shrink(s, n)) {
            fail_msg("zlib not skipped for %s", small[i]);
        }
        assert_true(zlib_len(s, n) + 1 >= n);
        check(&t, s, n);
    }
}

/* Input zlib does shorten is never claimed unshrinkable. */
static void test_zbound_runs_zlib_when_it_would_shrink(void **state)
{
    static const char *const shrinks[] = {
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "abcabcabcabcabcabcabcabcabcabc",
        "{\"a\":\"xxxxxxxxxxxxxxxxxxxx\"}",
        "{\"m\":\"hello\",\"n\":\"hello\",\"o\":\"hello\"}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(shrinks) / sizeof(*shrinks); ++i) {
        const unsigned char *s = (const unsigned char *)shrinks[i];
        apr_size_t n = strlen(shrinks[i]);

        assert_true(zlib_len(s, n) + 1 < n);    /* zlib does shorten it */
        assert_false(ctx_codec_zlib_cannot_shrink(s, n));
    }
}

static void test_zbound_gives_no_bound_past_its_limit(void **state)
{
    unsigned char s[CTX_ZBOUND_MAX + 1];

    (void)state;
    for (apr_size_t i = 0; i < sizeof(s); ++i) {
        s[i] = (unsigned char)(i * 7 + 1);      /* no repeats */
    }
    assert_true(ctx_codec_zbound_bits(s, CTX_ZBOUND_MAX) >= 0);
    assert_true(ctx_codec_zbound_bits(s, CTX_ZBOUND_MAX + 1) < 0);
    assert_false(ctx_codec_zlib_cannot_shrink(s, CTX_ZBOUND_MAX + 1));
}

/* The bound written out from its definition, slowly: -1 when some 3-byte
 * string occurs at two positions (every pair compared), else the least of
 * the three block types, with the dynamic one's N log2 N - sum c log2 c
 * from counts taken afresh. */
static double reference_bits(const unsigned char *s, apr_size_t n)
{
    unsigned cnt[256] = { 0 };
    double sum = 0, dynamic, fixed, stored, least;

    if (n > CTX_ZBOUND_MAX) {
        return -1;
    }
    for (apr_size_t i = 0; i + 2 < n; ++i) {
        for (apr_size_t j = i + 1; j + 2 < n; ++j) {
            if (memcmp(s + i, s + j, 3) == 0) {
                return -1;
            }
        }
    }
    for (apr_size_t i = 0; i < n; ++i) {
        ++cnt[s[i]];
    }
    for (int b = 0; b < 256; ++b) {
        if (cnt[b]) {
            sum += cnt[b] * log2((double)cnt[b]);
        }
    }
    dynamic = (3 + 5 + 5 + 4 + 4 * 3) + (n + 1) * log2((double)(n + 1)) - sum;
    fixed = 3 + 8.0 * n + 7;
    stored = 3 + 32 + 8.0 * n;
    least = dynamic < fixed ? dynamic : fixed;
    return least < stored ? least : stored;
}

/* The bound is its definition: a repeat found exactly when there is one
 * (overlapping ones too: "aaaa"), and the same bits otherwise, to far
 * below the one bit of margin the proof keeps. Every alphabet, every
 * length to the limit. */
static void test_zbound_is_its_definition(void **state)
{
    unsigned char s[CTX_ZBOUND_MAX + 1];
    unsigned repeats = 0, bounds = 0;

    (void)state;
    for (const char *const *a = alphabets; a < alphabets + 9; ++a) {
        for (apr_size_t n = 0; n <= CTX_ZBOUND_MAX; ++n) {
            for (int rep = 0; rep < 60; ++rep) {
                double got, want;

                random_bytes(s, n, *a);
                got = ctx_codec_zbound_bits(s, n);
                want = reference_bits(s, n);
                if ((got < 0) != (want < 0)
                    || (want >= 0 && fabs(got - want) > 1e-6)) {
                    fail_msg("n %zu: %f, by definition %f", (size_t)n, got,
                             want);
                }
                if (want < 0) {
                    ++repeats;
                }
                else {
                    ++bounds;
                }
            }
        }
    }
    assert_true(repeats > 1000);
    assert_true(bounds > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_zbound_holds_for_random_inputs),
        UNIT_TEST(test_zbound_holds_for_inputs_with_one_repeat),
        UNIT_TEST(test_zbound_holds_for_flask_like_sessions),
        UNIT_TEST(test_zbound_skips_zlib_for_small_sessions),
        UNIT_TEST(test_zbound_runs_zlib_when_it_would_shrink),
        UNIT_TEST(test_zbound_gives_no_bound_past_its_limit),
        UNIT_TEST(test_zbound_is_its_definition),
    };
    int rc = UNIT_RUN(tests);

    if (ref_ok) {
        deflateEnd(&ref);
    }
    return rc;
}
