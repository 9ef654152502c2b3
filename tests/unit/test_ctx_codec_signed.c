/* Unit tests of ctx_codec's signed format ("s2.", "s1." read only):
 * cookies built independently from the documented format (codec_test.h),
 * compression, and shape errors. */
#include "codec_test.h"

/* ---- the documented format, built independently ------------------------ */

static void test_codec_signed_small_session_matches_documented_mac(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, kr);
    json_t *data = session_of_size(100, 0);
    apr_size_t jlen;
    char *json = ctx_json_dump(p, data, &jlen);
    const char *v = enc(&c, p, data, T0);
    const char *last = strrchr(v, '.');
    const char *payload;
    apr_size_t plen;

    assert_true(jlen >= 90 && jlen <= 110);
    assert_memory_equal(v, "s2.", 3);
    assert_non_null(last);
    /* the payload is b64url(json) or "." b64url(zlib(json)) */
    payload = v + 3;
    /* ".ZVPxAA.ZVPxAA" (issued, created) before the MAC */
    plen = (apr_size_t)(last - 14 - payload);
    assert_memory_equal(payload + plen, ".ZVPxAA.ZVPxAA.", 15);
    if (payload[0] == '.') {
        uLongf n;
        char *j = unzpayload(p, payload, plen, &n);

        assert_int_equal(n, jlen);
        assert_memory_equal(j, json, jlen);
    }
    else {
        apr_size_t n;
        unsigned char *j = unb64(p, payload, plen, &n);

        assert_int_equal(n, jlen);
        assert_memory_equal(j, json, jlen);
    }
    /* the MAC binds the domain, the app and the cookie name */
    assert_string_equal(v, make_signed(p, kr, "session",
                                       apr_pstrndup(p, payload, plen),
                                       "ZVPxAA"));
    json_decref(data);
}

/* zlib is tried from 200 bytes of JSON on (smaller ones rarely shrink):
 * JSON of one repeated letter is written plain at 199 bytes and
 * compressed ("s2..") at 200, each value the documented one. */
static void test_codec_signed_compresses_from_200_bytes(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, kr);

    for (apr_size_t jlen = 198; jlen <= 201; ++jlen) {
        char *json = apr_palloc(p, jlen + 1);
        const char *v = NULL, *ts;
        apr_size_t vlen = 0;

        memcpy(json, "{\"a\":\"", 6);
        memset(json + 6, 'x', jlen - 8);
        memcpy(json + jlen - 2, "\"}", 3);
        assert_int_equal(ctx_codec_encode_json(&c, p, json, jlen, T0, 0, &v,
                                               &vlen),
                         APR_SUCCESS);
        ts = strstr(v, ".ZVPxAA.ZVPxAA.");
        assert_non_null(ts);
        if (jlen < 200) {
            assert_string_equal(apr_pstrndup(p, v + 3,
                                             (apr_size_t)(ts - v - 3)),
                                b64(p, json, jlen));
        }
        else {
            uLongf n;
            char *j;

            assert_memory_equal(v, "s2..", 4);
            j = unzpayload(p, v + 3, (apr_size_t)(ts - v - 3), &n);
            assert_int_equal(n, jlen);
            assert_memory_equal(j, json, jlen);
        }
        assert_string_equal(v, make_signed(p, kr, "session",
                                           apr_pstrndup(p, v + 3,
                                                        (apr_size_t)(ts - v
                                                                     - 3)),
                                           "ZVPxAA"));
    }
}

static void test_codec_signed_large_session_is_compressed(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, kr);
    json_t *data = session_of_size(1024, 1), *back = NULL;
    apr_size_t jlen;
    char *json = ctx_json_dump(p, data, &jlen);
    const char *v = enc(&c, p, data, T0);
    const char *ts = strstr(v, ".ZVPxAA.");
    uLongf n;
    char *j;

    assert_true(jlen >= 1000 && jlen <= 1050);
    assert_memory_equal(v, "s2..", 4);
    assert_non_null(ts);
    assert_true(strlen(v) < jlen / 2);
    j = unzpayload(p, v + 3, (apr_size_t)(ts - v - 3), &n);
    assert_int_equal(n, jlen);
    assert_memory_equal(j, json, jlen);
    assert_string_equal(v, make_signed(p, kr, "session",
                                       apr_pstrndup(p, v + 3,
                                                    (apr_size_t)(ts - v - 3)),
                                       "ZVPxAA"));
    assert_reason(dec(&c, p, v, strlen(v), T0, &back, NULL, NULL),
                  CTX_REASON_OK);
    assert_json_equal(back, data);
    json_decref(back);
    json_decref(data);
}

static void test_codec_signed_decodes_independently_built_cookies(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, kr);

    for (int size = 0; size < 2; ++size) {
        json_t *data = session_of_size(size ? 1024 : 100, size), *got;
        apr_size_t jlen;
        char *json = ctx_json_dump(p, data, &jlen);
        const char *payloads[] = {
            b64(p, json, jlen),                 /* not compressed, any size */
            zpayload(p, json, jlen, 6, 15),
            zpayload(p, json, jlen, 0, 15),
        };

        for (int i = 0; i < 3; ++i) {
            const char *v = make_signed(p, kr, "session", payloads[i],
                                        ts_text(p, T0));

            got = NULL;
            assert_reason(dec(&c, p, v, strlen(v), T0, &got, NULL, NULL),
                          CTX_REASON_OK);
            assert_json_equal(got, data);
            json_decref(got);
        }
        json_decref(data);
    }
    counts_check();
}

static void signed_shape_errors(apr_pool_t *p, const ctx_codec_t *c,
                                const char *prefix, const char *times)
{
    const char *base = apr_pstrcat(p, prefix, "e30.", times, ".", NULL);

    assert_reason(dec_str(c, p, base, T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(c, p, apr_pstrcat(p, base, "A", NULL), T0),
                  CTX_REASON_BAD_ENCODING);
    assert_reason(dec_str(c, p, apr_pstrcat(p, base, "AB", NULL), T0),
                  CTX_REASON_BAD_ENCODING);
    assert_reason(dec_str(c, p, apr_pstrcat(p, base, "AAAA=", NULL), T0),
                  CTX_REASON_BAD_ENCODING);
    /* a MAC far too long for any digest */
    assert_reason(dec_str(c, p, apr_pstrcat(p, base,
                                            b64(p, apr_pcalloc(p, 200), 200),
                                            NULL), T0),
                  CTX_REASON_MALFORMED);
}

static void test_codec_signed_shape_errors(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, keyring(p, "k", NULL));

    assert_reason(dec_str(&c, p, "", T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "s2", T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "s2.", T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "s3.e30.ZVPxAA.ZVPxAA.AAAA", T0),
                  CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "S2.e30.ZVPxAA.ZVPxAA.AAAA", T0),
                  CTX_REASON_MALFORMED);
    /* version 2 has two times: one is the wrong shape */
    assert_reason(dec_str(&c, p, "s2.ZVPxAA.ZVPxAA.AAAA", T0),
                  CTX_REASON_MALFORMED);
    signed_shape_errors(p, &c, "s2.", "ZVPxAA.ZVPxAA");
    /* version 1: refused as such unless legacy, then the same shape rules */
    assert_reason(dec_str(&c, p, "s1.e30.ZVPxAA.AAAA", T0),
                  CTX_REASON_LEGACY);
    c.legacy = 1;
    assert_reason(dec_str(&c, p, "s1", T0), CTX_REASON_MALFORMED);
    assert_reason(dec_str(&c, p, "s1.", T0), CTX_REASON_MALFORMED);
    signed_shape_errors(p, &c, "s1.", "ZVPxAA");
    counts_check();
}

static void test_codec_signed_verified_bad_timestamp_is_bad_encoding(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, kr);
    static const char *const stamps[] = {
        "",                             /* empty */
        "ZVPxAB",                       /* stray bits */
        "ZVPx=A",
        "AQAAAAAAAAAA",                 /* 9 bytes */
    };

    for (size_t i = 0; i < sizeof(stamps) / sizeof(stamps[0]); ++i) {
        assert_reason(dec_str(&c, p, make_signed(p, kr, "session", "e30",
                                                 stamps[i]), T0),
                      CTX_REASON_BAD_ENCODING);
    }
    counts_check();
}

/* ---- core bugs (kept last: they crash the program before the fix) ---------- */

/* A signed value with no payload after the version prefix ("s2." TS "." CT
 * "." MAC, or "s1." TS "." MAC) and a valid MAC is the wrong shape. The
 * decoder must call it malformed, not compute a negative payload length. */
static void test_codec_signed_without_payload_part_is_malformed(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, kr);
    apr_size_t klen;
    const unsigned char *key = key_of(kr, 0, CTX_KEY_SIGN, &klen);
    static const char text[] = "s1.ZVPxAA", text2[] = "s2.ZVPxAA.ZVPxAA";
    unsigned char msg[64], mac[32];
    unsigned int maclen = 0;
    apr_size_t ml = 0;

    /* the documented MAC over "s1.ZVPxAA" (make_signed adds a payload) */
    memcpy(msg, "mod_ctx signed 1", 17);
    ml = 17;
    memcpy(msg + ml, "session", 8);
    ml += 8;
    memcpy(msg + ml, text, sizeof(text) - 1);
    ml += sizeof(text) - 1;
    HMAC(EVP_sha256(), key, (int)klen, msg, ml, mac, &maclen);
    c.legacy = 1;
    assert_reason(dec_str(&c, p, apr_pstrcat(p, text, ".", b64(p, mac, maclen),
                                             NULL), T0),
                  CTX_REASON_MALFORMED);
    /* and over "s2.ZVPxAA.ZVPxAA" */
    ml = 0;
    memcpy(msg, "mod_ctx signed 2\0" APP "\0session", 17 + 4 + 8);
    ml = 17 + 4 + 8;
    memcpy(msg + ml, text2, sizeof(text2) - 1);
    ml += sizeof(text2) - 1;
    HMAC(EVP_sha256(), key, (int)klen, msg, ml, mac, &maclen);
    assert_reason(dec_str(&c, p, apr_pstrcat(p, text2, ".",
                                             b64(p, mac, maclen), NULL), T0),
                  CTX_REASON_MALFORMED);
    counts_check();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        CODEC_TEST(test_codec_signed_small_session_matches_documented_mac),
        CODEC_TEST(test_codec_signed_large_session_is_compressed),
        CODEC_TEST(test_codec_signed_compresses_from_200_bytes),
        CODEC_TEST(test_codec_signed_decodes_independently_built_cookies),
        CODEC_TEST(test_codec_signed_shape_errors),
        CODEC_TEST(test_codec_signed_verified_bad_timestamp_is_bad_encoding),
        CODEC_TEST(test_codec_signed_without_payload_part_is_malformed),
    };

    return UNIT_RUN(tests);
}
