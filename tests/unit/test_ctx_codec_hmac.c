/* Unit tests of the HMAC side of ctx_codec (ctx_codec_hmac.c): the
 * constant-time MAC comparison. The MAC bytes themselves are checked
 * against OpenSSL directly in test_ctx_codec_signed.c. */
#include "codec_test.h"
#include "ctx_codec_private.h"

/* Equal bytes compare equal at every length, and any single flipped bit,
 * wherever it is (the 8-byte steps and the bytes after them), does not. */
static void test_codec_mac_equal_sees_every_flipped_bit(void **state)
{
    unsigned char a[72], b[72];

    (void)state;
    for (apr_size_t i = 0; i < sizeof(a); ++i) {
        a[i] = (unsigned char)(i * 37 + 11);
    }
    for (apr_size_t n = 0; n <= 64; ++n) {
        /* at an odd offset too: the words are read unaligned */
        for (apr_size_t off = 0; off < 2; ++off) {
            memcpy(b, a, sizeof(a));
            assert_int_equal(ctx_codec_mac_equal(a + off, b + off, n), 1);
            for (apr_size_t i = 0; i < n; ++i) {
                for (int bit = 0; bit < 8; ++bit) {
                    b[off + i] ^= (unsigned char)(1u << bit);
                    if (ctx_codec_mac_equal(a + off, b + off, n) != 0) {
                        fail_msg("n %zu: bit %d of byte %zu not seen", n, bit,
                                 i);
                    }
                    b[off + i] ^= (unsigned char)(1u << bit);
                }
            }
        }
    }
}

/* Only the n bytes count: what follows them differs freely. */
static void test_codec_mac_equal_reads_only_n_bytes(void **state)
{
    unsigned char a[40], b[40];

    (void)state;
    memset(a, 0x5a, sizeof(a));
    memset(b, 0x5a, sizeof(b));
    b[32] = 0;
    assert_int_equal(ctx_codec_mac_equal(a, b, 32), 1);
    assert_int_equal(ctx_codec_mac_equal(a, b, 33), 0);
    b[20] = 0;
    assert_int_equal(ctx_codec_mac_equal(a, b, 20), 1);     /* SHA-1 */
    assert_int_equal(ctx_codec_mac_equal(a, b, 21), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        CODEC_TEST(test_codec_mac_equal_sees_every_flipped_bit),
        CODEC_TEST(test_codec_mac_equal_reads_only_n_bytes),
    };

    return UNIT_RUN(tests);
}
