/* Unit tests of ctx_b64: strict URL-safe base64 without padding. */
#include "unit.h"

#include "ctx_b64.h"

static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Decode a NUL-terminated text; -1 when refused. */
static long decode_str(unsigned char *out, const char *in)
{
    return ctx_b64url_decode(out, in, strlen(in));
}

static void assert_decodes_to(const char *text, const void *bytes, long n)
{
    unsigned char out[256];

    memset(out, 0xAA, sizeof(out));
    assert_int_equal(decode_str(out, text), n);
    if (n > 0) {
        assert_memory_equal(out, bytes, (size_t)n);
    }
}

static void assert_refused(const char *text)
{
    unsigned char out[256];

    if (decode_str(out, text) != -1) {
        fail_msg("\"%s\" was accepted", text);
    }
}

static void assert_encodes_to(const void *bytes, apr_size_t n,
                              const char *text)
{
    char out[256];

    memset(out, 'X', sizeof(out));
    assert_int_equal(ctx_b64url_encode(out, bytes, n), strlen(text));
    assert_string_equal(out, text);
    assert_int_equal(ctx_b64url_len(n), strlen(text));
}

/* ---- encoding ------------------------------------------------------------ */

static void test_b64_len_has_no_padding(void **state)
{
    (void)state;
    assert_int_equal(ctx_b64url_len(0), 0);
    assert_int_equal(ctx_b64url_len(1), 2);
    assert_int_equal(ctx_b64url_len(2), 3);
    assert_int_equal(ctx_b64url_len(3), 4);
    assert_int_equal(ctx_b64url_len(4), 6);
    assert_int_equal(ctx_b64url_len(5), 7);
    assert_int_equal(ctx_b64url_len(6), 8);
    assert_int_equal(ctx_b64url_len(20), 27);   /* HMAC-SHA1 */
    assert_int_equal(ctx_b64url_len(32), 43);   /* HMAC-SHA256 */
}

static void test_b64_room_holds_the_encoding(void **state)
{
    (void)state;
    for (apr_size_t n = 0; n < 1000; ++n) {
        assert_true(CTX_B64URL_ROOM(n) >= ctx_b64url_len(n));
        assert_true(CTX_B64URL_ROOM(n) <= ctx_b64url_len(n) + 2);
    }
}

/* RFC 4648 section 10, with the padding stripped. */
static void test_b64_encodes_rfc4648_vectors_without_padding(void **state)
{
    (void)state;
    assert_encodes_to("", 0, "");
    assert_encodes_to("f", 1, "Zg");
    assert_encodes_to("fo", 2, "Zm8");
    assert_encodes_to("foo", 3, "Zm9v");
    assert_encodes_to("foob", 4, "Zm9vYg");
    assert_encodes_to("fooba", 5, "Zm9vYmE");
    assert_encodes_to("foobar", 6, "Zm9vYmFy");
}

static void test_b64_encodes_with_url_safe_characters(void **state)
{
    static const unsigned char minus[] = { 0xfb, 0xef, 0xbe };  /* 62 x4 */
    static const unsigned char under[] = { 0xff, 0xff, 0xff };  /* 63 x4 */
    static const unsigned char mixed[] = { 0xfb, 0xff };        /* "+/8=" */

    (void)state;
    assert_encodes_to(minus, 3, "----");
    assert_encodes_to(under, 3, "____");
    assert_encodes_to(mixed, 2, "-_8");
}

static void test_b64_encodes_the_flask_timestamp(void **state)
{
    /* The worked example of the Flask format: 1700000000 = 0x6553F100. */
    static const unsigned char ts[] = { 0x65, 0x53, 0xf1, 0x00 };

    (void)state;
    assert_encodes_to(ts, 4, "ZVPxAA");
    assert_encodes_to("{\"a\":1}", 7, "eyJhIjoxfQ");
}

/* ---- decoding: accepted -------------------------------------------------- */

static void test_b64_decodes_rfc4648_vectors(void **state)
{
    (void)state;
    assert_decodes_to("", "", 0);
    assert_decodes_to("Zg", "f", 1);
    assert_decodes_to("Zm8", "fo", 2);
    assert_decodes_to("Zm9v", "foo", 3);
    assert_decodes_to("Zm9vYg", "foob", 4);
    assert_decodes_to("Zm9vYmE", "fooba", 5);
    assert_decodes_to("Zm9vYmFy", "foobar", 6);
    assert_decodes_to("-_8", "\xfb\xff", 2);
    assert_decodes_to("____", "\xff\xff\xff", 3);
}

static void test_b64_round_trips_every_length_up_to_300(void **state)
{
    unsigned char in[300], out[300];
    char text[402];

    (void)state;
    for (size_t i = 0; i < sizeof(in); ++i) {
        in[i] = (unsigned char)(i * 167 + 13);
    }
    for (apr_size_t n = 0; n <= sizeof(in); ++n) {
        apr_size_t tl = ctx_b64url_encode(text, in, n);

        assert_int_equal(tl, ctx_b64url_len(n));
        assert_int_equal(strlen(text), tl);
        assert_int_equal(strspn(text, url_alphabet), tl);
        memset(out, 0, sizeof(out));
        assert_int_equal(ctx_b64url_decode(out, text, tl), (long)n);
        if (n) {
            assert_memory_equal(out, in, n);
        }
    }
}

/* The four characters of three bytes, from the 6-bit groups one by one. */
static void assert_encodes_triple(unsigned v)
{
    unsigned char in[3] = { (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                            (unsigned char)v };
    char text[5], want[5];

    for (int j = 0; j < 4; ++j) {
        want[j] = url_alphabet[(v >> (18 - 6 * j)) & 63];
    }
    want[4] = '\0';
    assert_int_equal(ctx_b64url_encode(text, in, 3), 4);
    assert_string_equal(text, want);
}

static void test_b64_encodes_every_12_bit_group_in_both_halves(void **state)
{
    (void)state;
    for (unsigned g = 0; g < 4096; ++g) {
        unsigned other = (g * 2654435761u >> 7) & 0xfff;

        assert_encodes_triple(g << 12 | other);
        assert_encodes_triple(other << 12 | g);
    }
}

static void test_b64_round_trips_every_one_and_two_byte_string(void **state)
{
    unsigned char in[2], out[4];
    char text[8];

    (void)state;
    for (unsigned a = 0; a < 256; ++a) {
        in[0] = (unsigned char)a;
        assert_int_equal(ctx_b64url_encode(text, in, 1), 2);
        assert_int_equal(ctx_b64url_decode(out, text, 2), 1);
        assert_int_equal(out[0], a);
        for (unsigned b = 0; b < 256; ++b) {
            in[1] = (unsigned char)b;
            assert_int_equal(ctx_b64url_encode(text, in, 2), 3);
            assert_int_equal(ctx_b64url_decode(out, text, 3), 2);
            assert_int_equal(out[0], a);
            assert_int_equal(out[1], b);
        }
    }
}

static void test_b64_decode_reads_only_len_characters(void **state)
{
    unsigned char out[16];

    (void)state;
    memset(out, 0, sizeof(out));
    /* The text goes on (even with a refused '='), only 4 are read. */
    assert_int_equal(ctx_b64url_decode(out, "Zm9vYmFy", 4), 3);
    assert_memory_equal(out, "foo", 3);
    assert_int_equal(ctx_b64url_decode(out, "Zm8=", 3), 2);
    assert_memory_equal(out, "fo", 2);
    assert_int_equal(ctx_b64url_decode(out, "Zg.ZZZ", 2), 1);
    assert_int_equal(out[0], 'f');
    assert_int_equal(ctx_b64url_decode(out, "!!", 0), 0);
}

/* ---- decoding: refused ----------------------------------------------------- */

/* Canonical means: the only text that encodes those bytes. Over every
 * 2- and 3-character text, exactly those that re-encode identically are
 * accepted (the last character's unused low bits must be zero). */
static void test_b64_accepts_exactly_the_canonical_short_texts(void **state)
{
    char text[4], again[8];
    unsigned char out[4];
    long accepted2 = 0, accepted3 = 0;

    (void)state;
    for (int i = 0; i < 64; ++i) {
        text[0] = url_alphabet[i];
        for (int j = 0; j < 64; ++j) {
            long n;

            text[1] = url_alphabet[j];
            n = ctx_b64url_decode(out, text, 2);
            /* the second character carries 2 bits of data, 4 unused */
            if ((j & 0x0f) == 0) {
                assert_int_equal(n, 1);
                ctx_b64url_encode(again, out, 1);
                assert_memory_equal(again, text, 2);
                ++accepted2;
            }
            else {
                assert_int_equal(n, -1);
            }
            for (int k = 0; k < 64; ++k) {
                text[2] = url_alphabet[k];
                n = ctx_b64url_decode(out, text, 3);
                if ((k & 0x03) == 0) {
                    assert_int_equal(n, 2);
                    ctx_b64url_encode(again, out, 2);
                    assert_memory_equal(again, text, 3);
                    ++accepted3;
                }
                else {
                    assert_int_equal(n, -1);
                }
            }
        }
    }
    assert_int_equal(accepted2, 256);
    assert_int_equal(accepted3, 65536);
}

static void test_b64_refuses_stray_bits_in_last_character(void **state)
{
    (void)state;
    assert_refused("Zh");           /* "f" is Zg */
    assert_refused("Zm9");          /* "fo" is Zm8 */
    assert_refused("Zm9vYh");
    assert_refused("Zm9vYmF");      /* "fooba" is Zm9vYmE */
    assert_refused("ZVPxAB");       /* the timestamp ZVPxAA, one bit more */
    assert_refused("-_9");
}

static void test_b64_refuses_padding(void **state)
{
    (void)state;
    assert_refused("Zg==");
    assert_refused("Zm8=");
    assert_refused("Zg=");
    assert_refused("=");
    assert_refused("====");
    assert_refused("Zm9v====");
    assert_refused("Zm=v");
}

static void test_b64_refuses_standard_alphabet_characters(void **state)
{
    (void)state;
    assert_refused("++++");
    assert_refused("////");
    assert_refused("+_8");
    assert_refused("-/8");
    assert_refused("Zm9+");
    assert_refused("Zm9/");
}

static void test_b64_refuses_whitespace_anywhere(void **state)
{
    (void)state;
    assert_refused(" Zm9v");
    assert_refused("Zm9v ");
    assert_refused("Zm 9v");
    assert_refused("Zm9v\n");
    assert_refused("Zm\r\n9v");
    assert_refused("\tZm9v");
    assert_refused("Zm9vYmFy\n");
}

static void test_b64_refuses_impossible_lengths(void **state)
{
    (void)state;
    assert_refused("A");
    assert_refused("Z");
    assert_refused("Zm9vY");        /* 5 = 1 mod 4 */
    assert_refused("Zm9vYmFyZ");    /* 9 = 1 mod 4 */
}

/* Every byte value at every position of a 4-character group is accepted
 * exactly when it is in the URL-safe alphabet. */
static void test_b64_refuses_every_byte_outside_the_alphabet(void **state)
{
    unsigned char out[8];
    int accepted = 0;

    (void)state;
    for (int pos = 0; pos < 4; ++pos) {
        for (int c = 0; c < 256; ++c) {
            char text[4] = { 'Z', 'm', '9', 'v' };
            long n;

            text[pos] = (char)c;
            n = ctx_b64url_decode(out, text, 4);
            if (c != 0 && strchr(url_alphabet, c)) {
                assert_int_equal(n, 3);
                ++accepted;
            }
            else if (n != -1) {
                fail_msg("byte 0x%02x at %d accepted", c, pos);
            }
        }
    }
    assert_int_equal(accepted, 4 * 64);
}

/* Decoding writes its bytes and not one more, whatever the length (the
 * bytes after them keep their value), and a byte outside the alphabet is
 * refused at any position of a long text. */
static void test_b64_decode_writes_only_its_bytes_and_checks_every_one(
    void **state)
{
    unsigned char in[120], out[120 + 16];
    char text[161];
    static const char bad[] = { '.', '=', '+', '/', ' ', '\0', (char)0x80 };

    (void)state;
    for (size_t i = 0; i < sizeof(in); ++i) {
        in[i] = (unsigned char)(i * 29 + 101);
    }
    for (apr_size_t n = 0; n <= sizeof(in); ++n) {
        apr_size_t tl = ctx_b64url_encode(text, in, n);

        memset(out, 0xAA, sizeof(out));
        assert_int_equal(ctx_b64url_decode(out, text, tl), (long)n);
        if (n) {
            assert_memory_equal(out, in, n);
        }
        for (apr_size_t j = n; j < sizeof(out); ++j) {
            if (out[j] != 0xAA) {
                fail_msg("%zu bytes: byte %zu after them written", n, j);
            }
        }
        for (apr_size_t pos = 0; pos < tl; ++pos) {
            for (size_t b = 0; b < sizeof(bad); ++b) {
                char keep = text[pos];

                text[pos] = bad[b];
                if (ctx_b64url_decode(out, text, tl) != -1) {
                    fail_msg("%zu characters: 0x%02x at %zu accepted", tl,
                             (unsigned char)bad[b], pos);
                }
                text[pos] = keep;
            }
        }
    }
}

static void test_b64_refuses_nul_inside_length(void **state)
{
    unsigned char out[8];

    (void)state;
    assert_int_equal(ctx_b64url_decode(out, "Zm\0v", 4), -1);
    assert_int_equal(ctx_b64url_decode(out, "Z\0", 2), -1);
}

/* ---- big-endian integers ------------------------------------------------- */

/* A small deterministic generator: the same values on every run. */
static apr_uint64_t next_random(apr_uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return *seed ^ (*seed >> 29);
}

/* The integer's text through the byte encoder: its shortest big-endian
 * bytes (one byte for 0). */
static void assert_be_encodes_like_its_bytes(apr_uint64_t v)
{
    unsigned char be[8];
    char want[16], got[16];
    int skip = 0;

    for (int i = 0; i < 8; ++i) {
        be[i] = (unsigned char)(v >> (56 - 8 * i));
    }
    while (skip < 7 && be[skip] == 0) {
        ++skip;
    }
    ctx_b64url_encode(want, be + skip, (apr_size_t)(8 - skip));
    memset(got, 'X', sizeof(got));
    assert_int_equal(ctx_b64url_encode_be(got, v), strlen(want));
    assert_string_equal(got, want);
}

static void test_b64_be_encodes_integers_as_their_shortest_bytes(void **state)
{
    apr_uint64_t seed = 1;

    (void)state;
    for (int k = 0; k < 64; ++k) {
        apr_uint64_t p = (apr_uint64_t)1 << k;

        assert_be_encodes_like_its_bytes(p - 1);
        assert_be_encodes_like_its_bytes(p);
        assert_be_encodes_like_its_bytes(p + 1);
        assert_be_encodes_like_its_bytes(~(p - 1));
    }
    assert_be_encodes_like_its_bytes(UINT64_MAX);
    /* times around now, second by second across a byte boundary */
    for (apr_uint64_t t = 0xffffff00ULL; t < 0x100000100ULL; ++t) {
        assert_be_encodes_like_its_bytes(t);
    }
    for (int i = 0; i < 100000; ++i) {
        apr_uint64_t v = next_random(&seed);

        assert_be_encodes_like_its_bytes(v >> (v % 64));
    }
}

/* Whatever the text, the integer decoder accepts what the byte decoder
 * accepts (up to 11 characters), with the same bytes. */
static void assert_be_decodes_like_bytes(const char *text, apr_size_t len)
{
    unsigned char buf[16];
    long want = len <= 11 ? ctx_b64url_decode(buf, text, len) : -1;
    apr_uint64_t v = 0x5a5a, expect = 0;
    long got = ctx_b64url_decode_be(text, len, &v);

    if (got != want) {
        fail_msg("\"%.*s\": %ld bytes, the byte decoder %ld", (int)len,
                 text, got, want);
    }
    if (want < 0) {
        assert_true(v == 0x5a5a);   /* left alone */
        return;
    }
    for (long i = 0; i < want; ++i) {
        expect = (expect << 8) | buf[i];
    }
    assert_true(v == expect);
}

static void test_b64_be_decodes_exactly_what_the_byte_decoder_does(void **state)
{
    /* the alphabet and a few bytes outside it */
    static const char chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        "=+/. \x80\xff";
    apr_uint64_t seed = 7;
    char text[16];

    (void)state;
    for (int i = 0; i < 200000; ++i) {
        apr_size_t len = (apr_size_t)(next_random(&seed) % 14);
        /* mostly valid characters, so that most texts get far */
        int valid = next_random(&seed) % 4 != 0;

        for (apr_size_t j = 0; j < len; ++j) {
            apr_uint64_t r = next_random(&seed);

            text[j] = chars[valid ? r % 64 : r % (sizeof(chars) - 1)];
        }
        assert_be_decodes_like_bytes(text, len);
    }
    /* every last character of each length: the stray bits */
    for (apr_size_t len = 1; len <= 11; ++len) {
        for (int c = 0; c < 256; ++c) {
            memset(text, 'Q', len);
            text[len - 1] = (char)c;
            assert_be_decodes_like_bytes(text, len);
        }
    }
}

static void test_b64_be_round_trips_integers(void **state)
{
    apr_uint64_t seed = 3;
    char text[16];

    (void)state;
    for (int i = 0; i < 100000; ++i) {
        apr_uint64_t v = next_random(&seed), back = 0;
        apr_size_t len;

        v >>= v % 64;
        len = ctx_b64url_encode_be(text, v);
        assert_true(ctx_b64url_decode_be(text, len, &back) > 0);
        assert_true(back == v);
    }
}

/* ---- the SSSE3 steps against the table loops ----------------------------- */

/* The SSSE3 steps are what this machine runs (the table loops would hide
 * a broken shuffle otherwise). */
static void test_b64_simd_is_on_where_the_cpu_has_ssse3(void **state)
{
    (void)state;
#if defined(__x86_64__)
    assert_int_equal(ctx_b64_simd(), __builtin_cpu_supports("ssse3") ? 1 : 0);
    ctx_b64_force_scalar(1);
    assert_int_equal(ctx_b64_simd(), 0);
    ctx_b64_force_scalar(0);
    assert_int_equal(ctx_b64_simd(), __builtin_cpu_supports("ssse3") ? 1 : 0);
#endif
}

/* decode `len` characters both ways into buffers of exactly len * 3 / 4
 * bytes (ASan: no write past them); the same result and bytes */
static void assert_decoders_agree(const char *text, apr_size_t len)
{
    apr_size_t room = len * 3 / 4;
    unsigned char *a = malloc(room + 1), *b = malloc(room + 1);
    char *in = malloc(len + 1);
    long ra, rb;

    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(in);
    memcpy(in, text, len);      /* exactly len readable (ASan: no over-read) */
    ctx_b64_force_scalar(1);
    rb = ctx_b64url_decode(b, in, len);
    ctx_b64_force_scalar(0);
    ra = ctx_b64url_decode(a, in, len);
    if (ra != rb || (ra > 0 && memcmp(a, b, (size_t)ra) != 0)) {
        fail_msg("length %zu: %ld with SSSE3, %ld without", (size_t)len, ra,
                 rb);
    }
    assert_true(ra <= (long)room);
    free(a);
    free(b);
    free(in);
}

/* Every length to 100, canonical texts, then each position of each set to
 * every byte: the same bytes or the same refusal both ways (the SSSE3
 * check of every one of the 16 characters of a step, '-' and '_' and the
 * bytes around the alphabet's ranges). */
static void test_b64_simd_decodes_exactly_as_the_tables(void **state)
{
    apr_uint64_t seed = 11;
    unsigned char bytes[80];
    char text[128];

    (void)state;
    for (apr_size_t n = 0; n <= 75; ++n) {
        apr_size_t len;

        for (apr_size_t j = 0; j < n; ++j) {
            bytes[j] = (unsigned char)next_random(&seed);
        }
        len = ctx_b64url_encode(text, bytes, n);
        assert_decoders_agree(text, len);
        for (apr_size_t pos = 0; pos < len; ++pos) {
            char keep = text[pos];

            for (int c = 0; c < 256; ++c) {
                text[pos] = (char)c;
                assert_decoders_agree(text, len);
            }
            text[pos] = keep;
        }
    }
    /* every character of the alphabet in every lane of a step */
    for (int k = 0; k < 64; ++k) {
        for (int lane = 0; lane < 16; ++lane) {
            memset(text, 'A', 32);
            text[lane] = url_alphabet[k];
            text[16 + (lane + k) % 16] = url_alphabet[63 - k];
            assert_decoders_agree(text, 32);
        }
    }
}

/* encode n bytes both ways into buffers of exactly ctx_b64url_len(n) + 1
 * bytes, from an input of exactly n bytes (ASan: no access past either) */
static void assert_encoders_agree(const unsigned char *bytes, apr_size_t n)
{
    apr_size_t room = ctx_b64url_len(n) + 1;
    char *a = malloc(room), *b = malloc(room);
    unsigned char *in = malloc(n ? n : 1);
    apr_size_t la, lb;

    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(in);
    memcpy(in, bytes, n);
    ctx_b64_force_scalar(1);
    lb = ctx_b64url_encode(b, in, n);
    ctx_b64_force_scalar(0);
    la = ctx_b64url_encode(a, in, n);
    assert_int_equal(la, lb);
    assert_int_equal(la, room - 1);
    assert_string_equal(a, b);
    free(a);
    free(b);
    free(in);
}

static void test_b64_simd_encodes_exactly_as_the_tables(void **state)
{
    apr_uint64_t seed = 5;
    unsigned char bytes[400];

    (void)state;
    for (int round = 0; round < 20; ++round) {
        for (apr_size_t n = 0; n <= 300; ++n) {
            for (apr_size_t j = 0; j < n; ++j) {
                bytes[j] = (unsigned char)next_random(&seed);
            }
            assert_encoders_agree(bytes, n);
        }
    }
    /* every 6-bit index in every lane: byte values 0..255 everywhere */
    for (int v = 0; v < 256; ++v) {
        for (apr_size_t j = 0; j < 36; ++j) {
            bytes[j] = (unsigned char)(v + 37 * j);
        }
        assert_encoders_agree(bytes, 36);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_b64_len_has_no_padding),
        UNIT_TEST(test_b64_room_holds_the_encoding),
        UNIT_TEST(test_b64_encodes_rfc4648_vectors_without_padding),
        UNIT_TEST(test_b64_encodes_with_url_safe_characters),
        UNIT_TEST(test_b64_encodes_the_flask_timestamp),
        UNIT_TEST(test_b64_decodes_rfc4648_vectors),
        UNIT_TEST(test_b64_round_trips_every_length_up_to_300),
        UNIT_TEST(test_b64_encodes_every_12_bit_group_in_both_halves),
        UNIT_TEST(test_b64_round_trips_every_one_and_two_byte_string),
        UNIT_TEST(test_b64_decode_reads_only_len_characters),
        UNIT_TEST(test_b64_accepts_exactly_the_canonical_short_texts),
        UNIT_TEST(test_b64_refuses_stray_bits_in_last_character),
        UNIT_TEST(test_b64_refuses_padding),
        UNIT_TEST(test_b64_refuses_standard_alphabet_characters),
        UNIT_TEST(test_b64_refuses_whitespace_anywhere),
        UNIT_TEST(test_b64_refuses_impossible_lengths),
        UNIT_TEST(test_b64_refuses_every_byte_outside_the_alphabet),
        UNIT_TEST(test_b64_decode_writes_only_its_bytes_and_checks_every_one),
        UNIT_TEST(test_b64_refuses_nul_inside_length),
        UNIT_TEST(test_b64_be_encodes_integers_as_their_shortest_bytes),
        UNIT_TEST(test_b64_be_decodes_exactly_what_the_byte_decoder_does),
        UNIT_TEST(test_b64_be_round_trips_integers),
        UNIT_TEST(test_b64_simd_is_on_where_the_cpu_has_ssse3),
        UNIT_TEST(test_b64_simd_decodes_exactly_as_the_tables),
        UNIT_TEST(test_b64_simd_encodes_exactly_as_the_tables),
    };

    return UNIT_RUN(tests);
}
