/* Unit tests of ctx_codec: what holds for every format (signed, encrypted,
 * flask) and the entry points: round trips, the tamper matrix, names,
 * keys, times, limits, versions, arguments and bounds. Each format's own
 * tests are in test_ctx_codec_<format>.c; the independent cookie builders
 * all use are in codec_test.h. */
#include "codec_test.h"

static const char *const format_names[] = { "signed", "encrypted", "flask" };

/* ---- the documented formats ---------------------------------------------- */

/* The domain and the cookie name go into the MAC and the associated data
 * in one piece when they fit a stack buffer, piece by piece when a name is
 * long: every length on both sides of that boundary binds the same bytes
 * as the independent construction, in both directions. */
static void test_codec_long_cookie_names_bind_the_same_bytes(void **state)
{
    static const apr_size_t lengths[] = { 1, 200, 225, 226, 227, 228, 229,
                                          230, 236, 237, 238, 239, 240, 300,
                                          1000 };
    static const unsigned char nonce[12] = "nonce-bytes";
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    const char *payload = "eyJhIjoxfQ";         /* {"a":1} */
    json_t *data = json_pack("{s:i}", "a", 1);

    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); ++i) {
        char *name = apr_palloc(p, lengths[i] + 1);
        ctx_codec_t sc = codec_of(CTX_FORMAT_SIGNED, kr);
        ctx_codec_t ec = codec_of(CTX_FORMAT_ENCRYPTED, kr);
        const char *v;
        char *plain;
        apr_size_t n;

        memset(name, 'n', lengths[i]);
        name[lengths[i]] = '\0';
        sc.cookie_name = ec.cookie_name = name;
        v = enc(&sc, p, data, T0);
        assert_string_equal(v, make_signed(p, kr, name, payload, "ZVPxAA"));
        assert_reason(dec_str(&sc, p, make_signed(p, kr, name, payload,
                                                  "ZVPxAA"), T0),
                      CTX_REASON_OK);
        v = enc(&ec, p, data, T0);
        plain = open_encrypted(p, kr, name, v, &n);
        assert_non_null(plain);
        assert_memory_equal(plain, "{\"a\":1}", n);
        assert_reason(dec_str(&ec, p, make_encrypted(p, kr, name, "ZVPxAA",
                                                     nonce, "{\"a\":1}", 7),
                              T0),
                      CTX_REASON_OK);
    }
    json_decref(data);
}

static void test_codec_timestamp_is_minimal_big_endian(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, keyring(p, "k", NULL));
    json_t *data = json_object();
    static const struct {
        apr_int64_t t;
        const char *ts;
    } cases[] = {
        { 1, "AQ" },                    /* 01 */
        { 255, "_w" },                  /* ff */
        { 256, "AQA" },                 /* 01 00 */
        { 1700000000, "ZVPxAA" },       /* 65 53 f1 00 */
        { 4294967296LL, "AQAAAAA" },    /* 01 00 00 00 00 */
    };

    c.max_age = APR_INT64_MAX / 2;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        const char *v = enc(&c, p, data, cases[i].t);
        const char *want = apr_pstrcat(p, "s2.e30.", cases[i].ts, ".",
                                       cases[i].ts, ".", NULL);
        apr_int64_t issued = 0;

        assert_string_equal(ts_text(p, cases[i].t), cases[i].ts);
        assert_memory_equal(v, want, strlen(want));
        assert_reason(dec(&c, p, v, strlen(v), cases[i].t, NULL, &issued,
                          NULL), CTX_REASON_OK);
        assert_int_equal(issued, cases[i].t);
    }
    json_decref(data);
}

/* ---- round trips ------------------------------------------------------------- */

static void round_trip(apr_pool_t *p, ctx_format_t f, size_t size,
                       int compressible)
{
    ctx_codec_t c = codec_of(f, keyring(p, "round-trip secret", NULL));
    json_t *data = session_of_size(size, compressible), *back = NULL;
    const char *v = enc(&c, p, data, T0);
    apr_int64_t issued = 0;
    int k = -1;

    assert_true(strlen(v) < 4096);
    assert_reason(dec(&c, p, v, strlen(v), T0 + 10, &back, &issued, &k),
                  CTX_REASON_OK);
    assert_json_equal(back, data);
    assert_int_equal(issued, T0);
    assert_int_equal(k, 0);
    json_decref(back);
    json_decref(data);
}

static void test_codec_signed_round_trips(void **state)
{
    round_trip(UNIT_POOL(state), CTX_FORMAT_SIGNED, 100, 0);
    round_trip(UNIT_POOL(state), CTX_FORMAT_SIGNED, 100, 1);
    round_trip(UNIT_POOL(state), CTX_FORMAT_SIGNED, 1024, 0);
    round_trip(UNIT_POOL(state), CTX_FORMAT_SIGNED, 1024, 1);
    counts_check();
}

static void test_codec_encrypted_round_trips(void **state)
{
    round_trip(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED, 100, 0);
    round_trip(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED, 100, 1);
    round_trip(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED, 1024, 0);
    round_trip(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED, 1024, 1);
    counts_check();
}

static void test_codec_flask_round_trips(void **state)
{
    round_trip(UNIT_POOL(state), CTX_FORMAT_FLASK, 100, 0);
    round_trip(UNIT_POOL(state), CTX_FORMAT_FLASK, 100, 1);
    round_trip(UNIT_POOL(state), CTX_FORMAT_FLASK, 1024, 0);
    round_trip(UNIT_POOL(state), CTX_FORMAT_FLASK, 1024, 1);
    counts_check();
}

static void test_codec_empty_session_round_trips(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    for (int f = 0; f < 3; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, keyring(p, "k", NULL));
        json_t *empty = json_object(), *back = NULL;
        const char *v = enc(&c, p, empty, T0);

        assert_reason(dec(&c, p, v, strlen(v), T0, &back, NULL, NULL),
                      CTX_REASON_OK);
        assert_int_equal(json_object_size(back), 0);
        json_decref(back);
        json_decref(empty);
    }
}

static void test_codec_encode_json_equals_encode_of_the_object(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, keyring(p, "k", NULL));
    json_t *data = session_of_size(300, 1);
    apr_size_t jlen, vlen = 0;
    char *json = ctx_json_dump(p, data, &jlen);
    const char *v = NULL;

    assert_int_equal(ctx_codec_encode_json(&c, p, json, jlen, T0, 0, &v, &vlen),
                     APR_SUCCESS);
    assert_string_equal(v, enc(&c, p, data, T0));
    assert_int_equal(vlen, strlen(v));
    json_decref(data);
}

/* ---- the tamper matrix -------------------------------------------------------- */

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

/* Would `c` be a canonical last character of a base64url text of `len`? */
static int last_char_ok(int c, apr_size_t len)
{
    int v = b64val(c);

    if (v < 0) return 0;
    if (len % 4 == 2) return (v & 0x0f) == 0;
    if (len % 4 == 3) return (v & 0x03) == 0;
    return 1;
}

typedef struct {
    ctx_format_t format;
    apr_size_t len;
    apr_size_t d1;              /* signed/flask: dot before TS; enc: after TS */
    apr_size_t d2;              /* signed/flask: dot before the MAC; enc:
                                 * dot before the blob */
    apr_size_t dct;             /* signed: dot before CT; 0 in flask */
} shape_t;

static shape_t shape_of(ctx_format_t f, const char *v)
{
    shape_t s;

    s.format = f;
    s.len = strlen(v);
    s.dct = 0;
    s.d2 = (apr_size_t)(strrchr(v, '.') - v);
    if (f == CTX_FORMAT_ENCRYPTED) {
        s.d1 = (apr_size_t)(strchr(v + 3, '.') - v);
        assert_true(s.d1 < s.d2);
    }
    else {
        s.d1 = s.d2 - 1;
        while (v[s.d1] != '.') {
            --s.d1;
        }
        if (f == CTX_FORMAT_SIGNED) {
            s.dct = s.d1--;
            while (v[s.d1] != '.') {
                --s.d1;
            }
        }
    }
    return s;
}

/* The reasons a cookie with character `pos` replaced by `c` may get. */
static unsigned expected_change(const shape_t *s, apr_size_t pos, int c)
{
    if (s->format != CTX_FORMAT_FLASK && pos < 3) {
        /* version prefix: unknown, or the version 1 not read here */
        return R(CTX_REASON_MALFORMED) | R(CTX_REASON_LEGACY);
    }
    if (s->format == CTX_FORMAT_ENCRYPTED) {
        if (pos == s->d1 || pos == s->d2) {
            return R(CTX_REASON_MALFORMED);             /* the shape changes */
        }
        if (pos < s->d2) {                      /* TS.CT: associated data */
            return c == '.' ? R(CTX_REASON_MALFORMED)
                            : R(CTX_REASON_BAD_SIGNATURE);
        }
        if (c == '.') {
            return R(CTX_REASON_MALFORMED);
        }
        if (b64val(c) < 0
            || (pos == s->len - 1 && !last_char_ok(c, s->len - s->d2 - 1))) {
            return R(CTX_REASON_BAD_ENCODING);
        }
        return R(CTX_REASON_BAD_SIGNATURE);             /* nonce, ct or tag */
    }
    if (pos < s->d2) {                                  /* the signed text */
        return (pos == s->d1 || (s->dct && pos == s->dct))
                   ? R(CTX_REASON_MALFORMED) | R(CTX_REASON_BAD_SIGNATURE)
                   : R(CTX_REASON_BAD_SIGNATURE);
    }
    if (pos == s->d2 || c == '.') {
        return REJECTED;                                /* the shape changes */
    }
    if (b64val(c) < 0
        || (pos == s->len - 1 && !last_char_ok(c, s->len - s->d2 - 1))) {
        return R(CTX_REASON_BAD_ENCODING);
    }
    return R(CTX_REASON_BAD_SIGNATURE);                 /* the MAC */
}

typedef struct {
    const ctx_codec_t *codec;
    apr_pool_t *scratch;
    unsigned char *buf;         /* malloc'ed, exactly the length decoded */
    long decodes;
} tamper_t;

static ctx_reason_t tamper_dec(tamper_t *t, const char *v, apr_size_t len)
{
    ctx_reason_t r;

    /* An exact-size heap copy: reading past `len` is caught by ASan. */
    t->buf = realloc(t->buf, len ? len : 1);
    memcpy(t->buf, v, len);
    r = dec(t->codec, t->scratch, (const char *)t->buf, len, T0, NULL, NULL,
            NULL);
    apr_pool_clear(t->scratch);
    ++t->decodes;
    return r;
}

static void check_reason(ctx_reason_t r, unsigned allowed, const char *what,
                         apr_size_t pos, int c)
{
    if (!(R(r) & allowed)) {
        fail_msg("%s at %zu (0x%02x): %s", what, (size_t)pos, c & 0xff,
                 ctx_reason_name(r));
    }
}

static void tamper_matrix(apr_pool_t *p, ctx_format_t f, size_t size,
                          int compressible, int every_byte)
{
    ctx_codec_t c = codec_of(f, keyring(p, "tamper secret", NULL));
    json_t *data = session_of_size(size, compressible);
    const char *v = enc(&c, p, data, T0);
    shape_t s = shape_of(f, v);
    tamper_t t = { &c, unit_subpool(p), NULL, 0 };
    char *m = apr_pstrdup(p, v);

    json_decref(data);
    /* the genuine cookie verifies */
    assert_reason(tamper_dec(&t, v, s.len), CTX_REASON_OK);

    /* every character replaced: by every byte, or by its 8 bit flips */
    for (apr_size_t pos = 0; pos < s.len; ++pos) {
        for (int k = 0; k < (every_byte ? 256 : 8); ++k) {
            int ch = every_byte ? k : (unsigned char)v[pos] ^ (1 << k);

            if (ch == (unsigned char)v[pos]) {
                continue;
            }
            m[pos] = (char)ch;
            check_reason(tamper_dec(&t, m, s.len), expected_change(&s, pos, ch),
                         "change", pos, ch);
        }
        m[pos] = v[pos];
    }
    /* every truncation */
    for (apr_size_t len = 0; len < s.len; ++len) {
        check_reason(tamper_dec(&t, v, len), REJECTED, "truncation", len, 0);
    }
    /* extensions: each byte appended or prepended, and longer tails */
    {
        char *pre = apr_palloc(p, s.len + 1), *app = apr_palloc(p, s.len + 1);
        static const char *const tails[] = { "=", "==", ".", "..", ".AAAA",
                                             "AAAA", "AA", " ", "\n", ";" };

        memcpy(pre + 1, v, s.len);
        memcpy(app, v, s.len);
        for (int ch = 0; ch < 256; ++ch) {
            pre[0] = (char)ch;
            check_reason(tamper_dec(&t, pre, s.len + 1), REJECTED, "prepend",
                         0, ch);
            app[s.len] = (char)ch;
            check_reason(tamper_dec(&t, app, s.len + 1), REJECTED, "append",
                         s.len, ch);
        }
        for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); ++i) {
            char *x = apr_pstrcat(p, v, tails[i], NULL);

            check_reason(tamper_dec(&t, x, strlen(x)), REJECTED, "tail", i, 0);
        }
    }
    free(t.buf);
    apr_pool_destroy(t.scratch);
}

static void test_codec_tamper_signed_every_byte_small(void **state)
{
    tamper_matrix(UNIT_POOL(state), CTX_FORMAT_SIGNED, 100, 0, 1);
    counts_check();
}

static void test_codec_tamper_encrypted_every_byte_small(void **state)
{
    tamper_matrix(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED, 100, 0, 1);
    counts_check();
}

static void test_codec_tamper_flask_every_byte_small(void **state)
{
    tamper_matrix(UNIT_POOL(state), CTX_FORMAT_FLASK, 100, 0, 1);
    counts_check();
}

static void test_codec_tamper_signed_bit_flips_large_compressed(void **state)
{
    tamper_matrix(UNIT_POOL(state), CTX_FORMAT_SIGNED, 1024, 1, 0);
    counts_check();
}

static void test_codec_tamper_encrypted_bit_flips_large(void **state)
{
    tamper_matrix(UNIT_POOL(state), CTX_FORMAT_ENCRYPTED, 1024, 1, 0);
    counts_check();
}

static void test_codec_tamper_flask_bit_flips_large_compressed(void **state)
{
    tamper_matrix(UNIT_POOL(state), CTX_FORMAT_FLASK, 1024, 1, 0);
    counts_check();
}

/* Every reordering of the dot-separated parts is refused. */
static void swap_parts(apr_pool_t *p, ctx_format_t f, size_t size,
                       int compressible)
{
    ctx_codec_t c = codec_of(f, keyring(p, "swap secret", NULL));
    json_t *data = session_of_size(size, compressible);
    const char *value = NULL;
    char *v, *parts[6], *last;
    int n = 0, perms = 0, all = 1;

    /* created before issued: no two parts are equal */
    assert_int_equal(ctx_codec_encode(&c, p, data, T0, T0 - 1000, &value,
                                      NULL), APR_SUCCESS);
    v = apr_pstrdup(p, value);
    json_decref(data);
    for (char *tok = apr_strtok(apr_pstrdup(p, v), ".", &last); tok;
         tok = apr_strtok(NULL, ".", &last)) {
        assert_true(n < 6);
        parts[n++] = tok;
    }
    assert_true(n >= 3 && n <= 5);
    for (int i = 2; i <= n; ++i) {
        all *= i;
    }
    /* every permutation of the n parts but the identity */
    {
        int idx[5] = { 0, 1, 2, 3, 4 }, cnt[5] = { 0 };
        int i = 1;

        while (i < n) {
            if (cnt[i] < i) {
                int j = (i % 2) ? cnt[i] : 0, tmp = idx[j];
                char *x;

                idx[j] = idx[i];
                idx[i] = tmp;
                x = parts[idx[0]];
                for (int k = 1; k < n; ++k) {
                    x = apr_pstrcat(p, x, ".", parts[idx[k]], NULL);
                }
                if (strcmp(x, v) != 0) {
                    check_reason(dec_str(&c, p, x, T0), REJECTED, "swap", 0, 0);
                    ++perms;
                }
                ++cnt[i];
                i = 1;
            }
            else {
                cnt[i++] = 0;
            }
        }
    }
    assert_int_equal(perms, all - 1);
    /* and a compressed payload's leading "." moved to the end */
    if (v[0] == '.' || !strncmp(v, "s2..", 4)) {
        char *moved = apr_pstrcat(p, v + (v[0] == '.' ? 1 : 0), ".", NULL);

        check_reason(dec_str(&c, p, moved, T0), REJECTED, "moved dot", 0, 0);
    }
}

static void test_codec_swapped_parts_are_refused(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    for (int f = 0; f < 3; ++f) {
        swap_parts(p, (ctx_format_t)f, 100, 0);
        swap_parts(p, (ctx_format_t)f, 1024, 1);
    }
    counts_check();
}

static void test_codec_cookie_of_one_format_is_refused_by_another(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "shared secret", NULL);
    json_t *data = json_pack("{s:s}", "user", "alice");

    for (int f = 0; f < 3; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, kr);
        const char *v = enc(&c, p, data, T0);

        for (int g = 0; g < 3; ++g) {
            ctx_codec_t other = codec_of((ctx_format_t)g, kr);

            if (g == f) {
                continue;
            }
            if (!(R(dec_str(&other, p, v, T0)) & REJECTED)) {
                fail_msg("a %s cookie passed as %s", format_names[f],
                         format_names[g]);
            }
        }
    }
    json_decref(data);
    counts_check();
}

/* ---- cookie name, keys, time ---------------------------------------------------- */

static void test_codec_signed_and_encrypted_bind_the_cookie_name(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    json_t *data = json_pack("{s:s}", "user", "alice");

    for (int f = 0; f < 2; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, kr), other = c;
        const char *v = enc(&c, p, data, T0);

        other.cookie_name = "session2";
        assert_reason(dec_str(&other, p, v, T0), CTX_REASON_BAD_SIGNATURE);
        other.cookie_name = "Session";
        assert_reason(dec_str(&other, p, v, T0), CTX_REASON_BAD_SIGNATURE);
        other.cookie_name = "sessio";
        assert_reason(dec_str(&other, p, v, T0), CTX_REASON_BAD_SIGNATURE);
        assert_reason(dec_str(&c, p, v, T0), CTX_REASON_OK);
    }
    json_decref(data);
    counts_check();
}

static void rotation(apr_pool_t *p, ctx_format_t f)
{
    ctx_codec_t old = codec_of(f, keyring(p, "key-1", NULL));
    ctx_codec_t rotated = codec_of(f, keyring(p, "key-2", "key-1", NULL));
    ctx_codec_t twice = codec_of(f, keyring(p, "key-3", "key-2", "key-1", NULL));
    ctx_codec_t newest = codec_of(f, keyring(p, "key-2", NULL));
    ctx_codec_t unrelated = codec_of(f, keyring(p, "key-9", "key-8", NULL));
    ctx_codec_t reversed = codec_of(f, keyring(p, "key-1", "key-2", NULL));
    json_t *data = json_pack("{s:i}", "n", 1);
    const char *v1 = enc(&old, p, data, T0), *v2 = enc(&rotated, p, data, T0);
    int k = -1;

    /* a cookie under the old key verifies while it is a fallback */
    assert_reason(dec(&rotated, p, v1, strlen(v1), T0, NULL, NULL, &k),
                  CTX_REASON_OK);
    assert_int_equal(k, 1);
    assert_reason(dec(&twice, p, v1, strlen(v1), T0, NULL, NULL, &k),
                  CTX_REASON_OK);
    assert_int_equal(k, 2);
    assert_reason(dec(&reversed, p, v1, strlen(v1), T0, NULL, NULL, &k),
                  CTX_REASON_OK);
    assert_int_equal(k, 0);
    /* ... not once it is dropped, nor under unrelated keys */
    assert_reason(dec_str(&newest, p, v1, T0), CTX_REASON_BAD_SIGNATURE);
    assert_reason(dec_str(&unrelated, p, v1, T0), CTX_REASON_BAD_SIGNATURE);
    /* new cookies are made with the current key */
    assert_reason(dec(&newest, p, v2, strlen(v2), T0, NULL, NULL, &k),
                  CTX_REASON_OK);
    assert_int_equal(k, 0);
    assert_reason(dec_str(&old, p, v2, T0), CTX_REASON_BAD_SIGNATURE);
    assert_reason(dec(&reversed, p, v2, strlen(v2), T0, NULL, NULL, &k),
                  CTX_REASON_OK);
    assert_int_equal(k, 1);
    json_decref(data);
}

static void test_codec_key_rotation(void **state)
{
    for (int f = 0; f < 3; ++f) {
        rotation(UNIT_POOL(state), (ctx_format_t)f);
    }
    counts_check();
}

static void test_codec_age_limits(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    for (int f = 0; f < 3; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, keyring(p, "k", NULL));
        json_t *data = json_pack("{s:i}", "n", 1);
        const char *v = enc(&c, p, data, T0);
        apr_uint32_t expired = ctx_codec_reason_count(CTX_REASON_EXPIRED);
        apr_uint32_t future = ctx_codec_reason_count(CTX_REASON_FUTURE);

        assert_reason(dec_str(&c, p, v, T0), CTX_REASON_OK);
        assert_reason(dec_str(&c, p, v, T0 + MAX_AGE), CTX_REASON_OK);
        assert_reason(dec_str(&c, p, v, T0 + MAX_AGE + 1), CTX_REASON_EXPIRED);
        assert_reason(dec_str(&c, p, v, T0 + 400LL * 24 * 3600),
                      CTX_REASON_EXPIRED);
        assert_reason(dec_str(&c, p, v, T0 - SKEW), CTX_REASON_OK);
        assert_reason(dec_str(&c, p, v, T0 - SKEW - 1), CTX_REASON_FUTURE);
        assert_reason(dec_str(&c, p, v, 0), CTX_REASON_FUTURE);
        assert_int_equal(ctx_codec_reason_count(CTX_REASON_EXPIRED) - expired, 2);
        assert_int_equal(ctx_codec_reason_count(CTX_REASON_FUTURE) - future, 2);
        json_decref(data);
    }
    counts_check();
}

static void test_codec_zero_skew_refuses_any_future_time(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK, keyring(p, "dev", NULL));

    c.max_skew = 0;
    assert_reason(dec_str(&c, p, "eyJhIjoxfQ.ZVPxAA.D3QXMI0ZQYNZDxORB__kVZyT7hk",
                          T0), CTX_REASON_OK);
    assert_reason(dec_str(&c, p, "eyJhIjoxfQ.ZVPxAA.D3QXMI0ZQYNZDxORB__kVZyT7hk",
                          T0 - 1), CTX_REASON_FUTURE);
    counts_check();
}

/* The time is only believed once the MAC or tag verified. */
static void test_codec_expired_cookie_under_unknown_key_is_bad_signature(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    for (int f = 0; f < 3; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, keyring(p, "k", NULL));
        ctx_codec_t other = codec_of((ctx_format_t)f, keyring(p, "x", NULL));
        json_t *data = json_pack("{s:i}", "n", 1);
        const char *v = enc(&c, p, data, T0);

        assert_reason(dec_str(&other, p, v, T0 + MAX_AGE + 1000),
                      CTX_REASON_BAD_SIGNATURE);
        assert_reason(dec_str(&other, p, v, T0 - SKEW - 1000),
                      CTX_REASON_BAD_SIGNATURE);
        json_decref(data);
    }
    counts_check();
}

/* ---- payload limits and contents ----------------------------------------------- */

static void test_codec_value_longer_than_max_is_oversized(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    char *big = apr_palloc(p, CTX_CODEC_MAX_VALUE + 2);

    memset(big, 'A', CTX_CODEC_MAX_VALUE + 1);
    big[CTX_CODEC_MAX_VALUE + 1] = '\0';
    for (int f = 0; f < 3; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, keyring(p, "k", NULL));

        assert_reason(dec(&c, p, big, CTX_CODEC_MAX_VALUE + 1, T0, NULL, NULL,
                          NULL), CTX_REASON_OVERSIZED);
        /* exactly the maximum is looked at (and refused for its shape) */
        assert_true(R(dec(&c, p, big, CTX_CODEC_MAX_VALUE, T0, NULL, NULL,
                          NULL)) & REJECTED);
    }
    counts_check();
}

/* A server-side session's stored value may be longer than a cookie. */
static void test_codec_max_value_raises_the_length_limit(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    json_t *data = json_object();
    char *text = apr_palloc(p, 3 * CTX_CODEC_MAX_VALUE);
    unsigned seed = 7;

    /* Random letters: neither compression nor encryption makes it fit. */
    for (int i = 0; i < 3 * CTX_CODEC_MAX_VALUE - 1; ++i) {
        text[i] = (char)('a' + rand_r(&seed) % 26);
    }
    text[3 * CTX_CODEC_MAX_VALUE - 1] = '\0';
    json_object_set_new(data, "big", json_string(text));
    for (int f = 0; f < 2; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, keyring(p, "k", NULL));
        const char *v = enc(&c, p, data, T0);
        json_t *back = NULL;

        assert_true(strlen(v) > CTX_CODEC_MAX_VALUE);
        assert_reason(dec(&c, p, v, strlen(v), T0, NULL, NULL, NULL),
                      CTX_REASON_OVERSIZED);
        c.max_value = strlen(v);
        assert_reason(dec(&c, p, v, strlen(v), T0, &back, NULL, NULL),
                      CTX_REASON_OK);
        assert_true(json_equal(back, data));
        json_decref(back);
        c.max_value = strlen(v) - 1;
        assert_reason(dec(&c, p, v, strlen(v), T0, NULL, NULL, NULL),
                      CTX_REASON_OVERSIZED);
    }
    json_decref(data);
    counts_check();
}

/* A JSON object of exactly n bytes: {"a":"xxx..."}. */
static char *json_of_len(apr_pool_t *p, apr_size_t n)
{
    char *j = apr_palloc(p, n + 1);

    memcpy(j, "{\"a\":\"", 6);
    memset(j + 6, 'x', n - 8);
    memcpy(j + n - 2, "\"}", 3);
    return j;
}

static void test_codec_inflated_payload_limit(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "dev", NULL);
    ctx_codec_t flask = codec_of(CTX_FORMAT_FLASK, kr);
    ctx_codec_t sign = codec_of(CTX_FORMAT_SIGNED, kr);
    const char *ts = ts_text(p, T0);
    apr_size_t sizes[] = { CTX_CODEC_MAX_JSON - 1, CTX_CODEC_MAX_JSON,
                           CTX_CODEC_MAX_JSON + 1, 4 * CTX_CODEC_MAX_JSON,
                           1024 * 1024 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i) {
        char *json = json_of_len(p, sizes[i]);
        const char *payload = zpayload(p, json, sizes[i], 9, 15);
        const char *vf = make_flask(p, "dev", payload, ts);
        const char *vs = make_signed(p, kr, "session", payload, ts);
        ctx_reason_t want = sizes[i] <= CTX_CODEC_MAX_JSON
                                ? CTX_REASON_OK : CTX_REASON_OVERSIZED;

        assert_true(strlen(vf) <= CTX_CODEC_MAX_VALUE);
        assert_reason(dec_str(&flask, p, vf, T0), want);
        assert_reason(dec_str(&sign, p, vs, T0), want);
    }
    counts_check();
}

static void test_codec_broken_zlib_is_bad_compression(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "dev", NULL);
    ctx_codec_t flask = codec_of(CTX_FORMAT_FLASK, kr);
    ctx_codec_t sign = codec_of(CTX_FORMAT_SIGNED, kr);
    const char *ts = ts_text(p, T0);
    static const char json[] = "{\"user\":\"alice\",\"user2\":\"alice\"}";
    const char *good = zpayload(p, json, sizeof(json) - 1, 9, 15);
    apr_size_t n;
    unsigned char *raw = unb64(p, good + 1, strlen(good + 1), &n);
    unsigned char *longer = apr_palloc(p, n + 3);
    unsigned char gz[64];
    z_stream z;
    const char *bad[5];

    memcpy(longer, raw, n);
    memcpy(longer + n, "xyz", 3);
    /* a gzip stream of the same JSON (not zlib) */
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY),
                     Z_OK);
    z.next_in = (Bytef *)json;
    z.avail_in = sizeof(json) - 1;
    z.next_out = gz;
    z.avail_out = sizeof(gz);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    deflateEnd(&z);

    bad[0] = apr_pstrcat(p, ".", b64(p, raw, n - 4), NULL);      /* truncated */
    bad[1] = apr_pstrcat(p, ".", b64(p, longer, n + 3), NULL);   /* trailing */
    bad[2] = apr_pstrcat(p, ".", b64(p, "not zlib at all", 15), NULL);
    bad[3] = apr_pstrcat(p, ".", b64(p, gz, z.total_out), NULL);
    raw[n - 1] ^= 1;                                              /* adler32 */
    bad[4] = apr_pstrcat(p, ".", b64(p, raw, n), NULL);
    for (int i = 0; i < 5; ++i) {
        assert_reason(dec_str(&flask, p, make_flask(p, "dev", bad[i], ts), T0),
                      CTX_REASON_BAD_COMPRESSION);
        assert_reason(dec_str(&sign, p, make_signed(p, kr, "session", bad[i],
                                                    ts), T0),
                      CTX_REASON_BAD_COMPRESSION);
    }
    /* an empty compressed payload: "." alone */
    assert_reason(dec_str(&flask, p, make_flask(p, "dev", ".", ts), T0),
                  CTX_REASON_BAD_COMPRESSION);
    counts_check();
}

static void test_codec_verified_non_object_is_bad_json(void **state)
{
    static const char *const texts[] = {
        "[]", "\"s\"", "1", "null", "not json", "{\"a\":1,\"a\":2}", "{}x",
        "{\"a\":\"\xff\"}", "", "{\"a\":\"\\ud800\"}",
    };
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "dev", NULL);
    ctx_codec_t flask = codec_of(CTX_FORMAT_FLASK, kr);
    ctx_codec_t sign = codec_of(CTX_FORMAT_SIGNED, kr);
    ctx_codec_t crypt = codec_of(CTX_FORMAT_ENCRYPTED, kr);
    const char *ts = ts_text(p, T0);
    static const unsigned char nonce[12] = { 0 };

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); ++i) {
        const char *payload = b64(p, texts[i], strlen(texts[i]));

        assert_reason(dec_str(&flask, p, make_flask(p, "dev", payload, ts), T0),
                      CTX_REASON_BAD_JSON);
        assert_reason(dec_str(&sign, p, make_signed(p, kr, "session", payload,
                                                    ts), T0),
                      CTX_REASON_BAD_JSON);
        assert_reason(dec_str(&crypt, p, make_encrypted(p, kr, "session", ts,
                                                        nonce, texts[i],
                                                        strlen(texts[i])), T0),
                      CTX_REASON_BAD_JSON);
    }
    {
        /* nesting deeper than the parser allows */
        char deep[200];
        int d = 0;

        d += sprintf(deep, "{\"a\":");
        for (int i = 0; i < 65; ++i) deep[d++] = '[';
        for (int i = 0; i < 65; ++i) deep[d++] = ']';
        deep[d++] = '}';
        deep[d] = '\0';
        assert_reason(dec_str(&flask, p, make_flask(p, "dev",
                                                    b64(p, deep, strlen(deep)),
                                                    ts), T0),
                      CTX_REASON_BAD_JSON);
    }
    counts_check();
}

/* ---- format 2: app binding, creation time; format 1 migration -------------- */

/* Issue #10 (5): vhosts share the main server's key, so a cookie of app
 * "shop" must not be a session of app "admin": the app's name is in the MAC
 * and the associated data. Flask binds no app, nor does the flask format. */
static void test_codec_signed_and_encrypted_bind_the_app_name(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "one key for every vhost", NULL);
    json_t *data = json_pack("{s:s}", "user", "alice");

    for (int f = 0; f < 3; ++f) {
        ctx_codec_t shop = codec_of((ctx_format_t)f, kr), admin = shop;
        const char *v;

        shop.app_name = "shop";
        admin.app_name = "admin";
        v = enc(&shop, p, data, T0);
        assert_reason(dec_str(&shop, p, v, T0), CTX_REASON_OK);
        if (f == CTX_FORMAT_FLASK) {
            assert_reason(dec_str(&admin, p, v, T0), CTX_REASON_OK);
            continue;
        }
        assert_reason(dec_str(&admin, p, v, T0), CTX_REASON_BAD_SIGNATURE);
        /* a prefix of a name is another name */
        admin.app_name = "sho";
        assert_reason(dec_str(&admin, p, v, T0), CTX_REASON_BAD_SIGNATURE);
        admin.app_name = "";
        assert_reason(dec_str(&admin, p, v, T0), CTX_REASON_BAD_SIGNATURE);
        /* and no app name at all is refused, not read unbound */
        admin.app_name = NULL;
        assert_reason(dec_str(&admin, p, v, T0), CTX_REASON_MALFORMED);
    }
    json_decref(data);
    counts_check();
}

/* Issue #10 (7): the creation time travels next to the issue time, covered
 * by the MAC / tag, byte-exact as ctx_codec.h documents it. */
static void test_codec_version_2_carries_issue_and_creation_time(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t sc = codec_of(CTX_FORMAT_SIGNED, kr);
    ctx_codec_t ec = codec_of(CTX_FORMAT_ENCRYPTED, kr);
    json_t *data = json_pack("{s:i}", "a", 1), *back = NULL;
    const char *times = apr_pstrcat(p, ts_text(p, T0 + 100), ".",
                                    ts_text(p, T0), NULL);
    const char *v = NULL;
    static const unsigned char nonce[12] = "twelve bytes";
    ctx_codec_meta_t m;
    char *plain;
    apr_size_t n;

    assert_int_equal(ctx_codec_encode(&sc, p, data, T0 + 100, T0, &v, NULL),
                     APR_SUCCESS);
    assert_string_equal(v, make_signed_v(p, kr, 2, APP, "session",
                                         "eyJhIjoxfQ", times));
    assert_reason(dec_meta(&sc, p, v, strlen(v), T0 + 150, &back, &m),
                  CTX_REASON_OK);
    assert_json_equal(back, data);
    json_decref(back);
    assert_int_equal(m.issued, T0 + 100);
    assert_int_equal(m.created, T0);
    assert_int_equal(m.legacy, 0);

    assert_int_equal(ctx_codec_encode(&ec, p, data, T0 + 100, T0, &v, NULL),
                     APR_SUCCESS);
    assert_memory_equal(v, apr_pstrcat(p, "e2.", times, ".", NULL),
                        3 + strlen(times) + 1);
    plain = open_encrypted(p, kr, "session", v, &n);
    assert_non_null(plain);
    assert_memory_equal(plain, "{\"a\":1}", n);
    v = make_encrypted_v(p, kr, 2, APP, "session", times, nonce, "{\"a\":1}",
                         7);
    assert_reason(dec_meta(&ec, p, v, strlen(v), T0 + 150, NULL, &m),
                  CTX_REASON_OK);
    assert_int_equal(m.issued, T0 + 100);
    assert_int_equal(m.created, T0);

    /* a creation time after the issue time is never written */
    times = apr_pstrcat(p, ts_text(p, T0), ".", ts_text(p, T0 + 1), NULL);
    assert_reason(dec_str(&sc, p, make_signed_v(p, kr, 2, APP, "session",
                                                "eyJhIjoxfQ", times), T0),
                  CTX_REASON_MALFORMED);
    assert_reason(dec_str(&ec, p, make_encrypted_v(p, kr, 2, APP, "session",
                                                   times, nonce,
                                                   "{\"a\":1}", 7), T0),
                  CTX_REASON_MALFORMED);
    json_decref(data);
    counts_check();
}

/* Cookies of mod_ctx before format 2 (s1, e1, built here as the old code
 * documented them) are read only with `legacy`, bind no app, and say so,
 * so that the glue re-issues them as format 2. */
static void test_codec_reads_version_1_cookies_only_when_legacy(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    static const unsigned char nonce[12] = "old cookie!";
    const char *old[2];
    json_t *want = json_pack("{s:i}", "a", 1);

    old[0] = make_signed_v(p, kr, 1, NULL, "session", "eyJhIjoxfQ",
                           ts_text(p, T0));
    old[1] = make_encrypted_v(p, kr, 1, NULL, "session", ts_text(p, T0),
                              nonce, "{\"a\":1}", 7);
    for (int f = 0; f < 2; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, kr);
        ctx_codec_meta_t m;
        json_t *got = NULL;
        const char *again;

        assert_reason(dec_str(&c, p, old[f], T0), CTX_REASON_LEGACY);
        c.legacy = 1;
        c.app_name = "any-app";     /* format 1 bound none */
        assert_reason(dec_meta(&c, p, old[f], strlen(old[f]), T0 + 5, &got,
                               &m), CTX_REASON_OK);
        assert_json_equal(got, want);
        json_decref(got);
        assert_int_equal(m.legacy, 1);
        assert_int_equal(m.issued, T0);
        assert_int_equal(m.created, T0);
        assert_int_equal(m.key_index, 0);
        /* still bound to the cookie name, still expiring */
        c.cookie_name = "other";
        assert_reason(dec_str(&c, p, old[f], T0), CTX_REASON_BAD_SIGNATURE);
        c.cookie_name = "session";
        assert_reason(dec_str(&c, p, old[f], T0 + MAX_AGE + 1),
                      CTX_REASON_EXPIRED);
        /* what the codec writes is format 2, even with legacy on */
        again = enc(&c, p, want, T0);
        assert_memory_equal(again, f ? "e2." : "s2.", 3);
        assert_reason(dec_meta(&c, p, again, strlen(again), T0, NULL, &m),
                      CTX_REASON_OK);
        assert_int_equal(m.legacy, 0);
    }
    json_decref(want);
    counts_check();
}

/* CtxSessionMaxLifetime: a session ends max_lifetime after its creation,
 * however recently it was issued. */
static void test_codec_max_lifetime_counts_from_creation(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    static const unsigned char nonce[12] = "lifetime...";
    const char *times = apr_pstrcat(p, ts_text(p, T0), ".",
                                    ts_text(p, T0 - 1000), NULL);
    const char *v[2];

    v[0] = make_signed_v(p, kr, 2, APP, "session", "eyJhIjoxfQ", times);
    v[1] = make_encrypted_v(p, kr, 2, APP, "session", times, nonce,
                            "{\"a\":1}", 7);
    for (int f = 0; f < 2; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, kr);

        assert_reason(dec_str(&c, p, v[f], T0), CTX_REASON_OK);
        c.max_lifetime = 1000;
        assert_reason(dec_str(&c, p, v[f], T0), CTX_REASON_OK);
        assert_reason(dec_str(&c, p, v[f], T0 + 1), CTX_REASON_LIFETIME);
        c.max_lifetime = 999;
        assert_reason(dec_str(&c, p, v[f], T0), CTX_REASON_LIFETIME);
    }
    counts_check();
}

/* ---- arguments and names -------------------------------------------------------- */

static void test_codec_decode_refuses_missing_arguments(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK, keyring(p, "dev", NULL));
    ctx_codec_t nokeys = codec_of(CTX_FORMAT_FLASK, ctx_keyring_create(p));
    static const char v[] = "eyJhIjoxfQ.ZVPxAA.D3QXMI0ZQYNZDxORB__kVZyT7hk";
    json_t *out = NULL;
    apr_uint32_t before = ctx_codec_reason_count(CTX_REASON_MALFORMED);

    assert_reason(ctx_codec_decode(&nokeys, p, v, strlen(v), T0, &out, NULL),
                  CTX_REASON_MALFORMED);
    assert_reason(ctx_codec_decode(&c, p, NULL, 0, T0, &out, NULL),
                  CTX_REASON_MALFORMED);
    assert_reason(ctx_codec_decode(NULL, p, v, strlen(v), T0, &out, NULL),
                  CTX_REASON_MALFORMED);
    assert_null(out);
    /* refusals are counted too */
    assert_int_equal(ctx_codec_reason_count(CTX_REASON_MALFORMED) - before, 3);
    /* meta is optional */
    assert_reason(ctx_codec_decode(&c, p, v, strlen(v), T0, &out, NULL),
                  CTX_REASON_OK);
    json_decref(out);
}

static void test_codec_encode_refuses_bad_arguments(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    json_t *obj = json_object(), *arr = json_array();
    const char *v = NULL;

    for (int f = 0; f < 3; ++f) {
        ctx_codec_t nokeys = codec_of((ctx_format_t)f, ctx_keyring_create(p));
        ctx_codec_t c = codec_of((ctx_format_t)f, keyring(p, "k", NULL));
        ctx_codec_t noname = c, noapp = c;

        noname.cookie_name = NULL;
        noapp.app_name = NULL;
        assert_int_equal(ctx_codec_encode(&nokeys, p, obj, T0, 0, &v, NULL),
                         APR_EINVAL);
        assert_int_equal(ctx_codec_encode(&noname, p, obj, T0, 0, &v, NULL),
                         APR_EINVAL);
        assert_int_equal(ctx_codec_encode(&c, p, arr, T0, 0, &v, NULL),
                         APR_EINVAL);
        assert_int_equal(ctx_codec_encode(&c, p, NULL, T0, 0, &v, NULL),
                         APR_EINVAL);
        assert_int_equal(ctx_codec_encode_json(&c, p, NULL, 0, T0, 0, &v,
                                               NULL), APR_EINVAL);
        /* a session cannot be created after it was issued */
        assert_int_equal(ctx_codec_encode(&c, p, obj, T0, T0 + 1, &v, NULL),
                         APR_EINVAL);
        /* signed and encrypted bind the app: they need its name */
        if (f != CTX_FORMAT_FLASK) {
            assert_int_equal(ctx_codec_encode(&noapp, p, obj, T0, 0, &v,
                                              NULL), APR_EINVAL);
        }
        assert_null(v);
    }
    json_decref(obj);
    json_decref(arr);
}

static void test_codec_reason_names(void **state)
{
    (void)state;
    assert_string_equal(ctx_reason_name(CTX_REASON_BAD_SIGNATURE),
                        "bad_signature");
    for (int r = 0; r < CTX_REASON_COUNT; ++r) {
        const char *name = ctx_reason_name((ctx_reason_t)r);

        assert_non_null(name);
        assert_true(*name);
        for (const char *c = name; *c; ++c) {
            assert_true((*c >= 'a' && *c <= 'z') || *c == '_');
        }
        for (int q = 0; q < r; ++q) {
            assert_string_not_equal(name, ctx_reason_name((ctx_reason_t)q));
        }
    }
    assert_non_null(ctx_reason_name(CTX_REASON_COUNT));
    assert_int_equal(ctx_codec_reason_count(CTX_REASON_COUNT), 0);
}

/* ctx_codec_encode_json refuses a codec without a cookie name (APR_EINVAL);
 * decoding with one must refuse too, not dereference the NULL name. */
static void test_codec_decode_without_cookie_name_is_refused(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    json_t *data = json_pack("{s:i}", "n", 1);

    for (int f = 0; f < 2; ++f) {
        ctx_codec_t c = codec_of((ctx_format_t)f, kr), noname = c;
        const char *v = enc(&c, p, data, T0);

        noname.cookie_name = NULL;
        assert_true(R(dec_str(&noname, p, v, T0)) & REJECTED);
    }
    json_decref(data);
}

/* ---- bounds: what a cookie may cost ---------------------------------------- */

/* JSON of exactly n bytes holding exactly v values (v >= 3, n >= 2 * v + 4):
 * {"a":[0,0,...],"b":"xxx"} (the object, the array and the string are three
 * of them). */
static char *json_of(apr_pool_t *p, apr_size_t n, apr_size_t v)
{
    char *j = apr_palloc(p, n + 1), *o = j;
    apr_size_t zeros = v - 3;

    assert_true(v >= 3 && n >= 2 * zeros + 16);
    o += sprintf(o, "{\"a\":[");
    for (apr_size_t i = 0; i < zeros; ++i) {
        *o++ = '0';
        if (i + 1 < zeros) *o++ = ',';
    }
    o += sprintf(o, "],\"b\":\"");
    memset(o, 'x', n - (apr_size_t)(o - j) - 2);
    memcpy(j + n - 2, "\"}", 3);
    return j;
}

static ctx_reason_t dec_json(const ctx_codec_t *c, const ctx_keyring_t *kr,
                             apr_pool_t *p, const char *json, apr_size_t jlen)
{
    const char *ts = ts_text(p, T0);
    const char *payload = zpayload(p, json, jlen, 9, 15);
    const char *v = c->format == CTX_FORMAT_FLASK
                        ? make_flask(p, "k", payload, ts)
                        : make_signed(p, kr, "session", payload, ts);

    return dec_str(c, p, v, T0);
}


/* The bounds follow CtxSessionMaxSize: JSON bytes and values, inflated or
 * not, and the encoder refuses what the decoder would. */
static void test_codec_bounds_follow_the_cookie_size_limit(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    apr_size_t sizes[] = { 256, 1000, 4093 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i) {
        for (int f = 0; f < 3; f += 2) {        /* signed, flask */
            ctx_codec_t c = codec_of((ctx_format_t)f, kr);
            apr_size_t mj, mv;
            const char *value;

            ctx_codec_set_max_size(&c, sizes[i]);
            mj = c.max_json;
            mv = c.max_values;
            /* what fits uncompressed is always within the bounds */
            assert_true(mj >= sizes[i] && mv >= sizes[i] * 3 / 8 + 1);
            assert_reason(dec_json(&c, kr, p, json_of(p, mj, 3), mj),
                          CTX_REASON_OK);
            assert_reason(dec_json(&c, kr, p, json_of(p, mj + 1, 3), mj + 1),
                          CTX_REASON_OVERSIZED);
            assert_reason(dec_json(&c, kr, p, json_of(p, mj, mv), mj),
                          CTX_REASON_OK);
            assert_reason(dec_json(&c, kr, p, json_of(p, mj, mv + 1), mj),
                          CTX_REASON_OVERSIZED);
            assert_true(ctx_codec_json_fits(&c, mj, mv));
            assert_false(ctx_codec_json_fits(&c, mj + 1, mv));
            assert_false(ctx_codec_json_fits(&c, mj, mv + 1));
            /* the write side: the same number */
            assert_int_equal(ctx_codec_encode_json(&c, p, json_of(p, mj, 3),
                                                   mj, T0, 0, &value, NULL),
                             APR_SUCCESS);
            assert_reason(dec_str(&c, p, value, T0), CTX_REASON_OK);
            assert_int_equal(ctx_codec_encode_json(&c, p,
                                                   json_of(p, mj + 1, 3),
                                                   mj + 1, T0, 0, &value, NULL),
                             CTX_ETOOLARGE);
        }
    }
    counts_check();
}

/* jansson's allocations, counted while a decode runs. */
static struct {
    int on;
    apr_size_t live, peak, calls;
} jmem;

static void *counting_malloc(size_t n)
{
    size_t *b = malloc(n + sizeof(size_t) * 2);

    if (!b) return NULL;
    b[0] = n;
    if (jmem.on) {
        jmem.live += n;
        ++jmem.calls;
        if (jmem.live > jmem.peak) jmem.peak = jmem.live;
    }
    return b + 2;
}

static void counting_free(void *ptr)
{
    size_t *b = ptr;

    if (!b) return;
    b -= 2;
    if (jmem.on && jmem.live >= b[0]) jmem.live -= b[0];
    free(b);
}

/* The worst cookies that fit in CTX_CODEC_MAX_VALUE: small values or one
 * string behind zlib, as large as the default bound, as large as the old
 * 128 KiB bound and 1 MiB, and a plain payload as large as fits. Each
 * is refused or accepted with jansson memory and allocations bounded by
 * what the largest session the default bounds admit may need. */
static void test_codec_worst_cookies_cost_bounded_memory(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    const char *ts = ts_text(p, T0);
    apr_size_t sizes[] = { 5000, CTX_CODEC_MAX_JSON, 128 * 1024,
                           1024 * 1024 }, n;
    static const char *const units[] = { "[],", "0,", "{},", "\"\",", "x" };
    /* Each value costs jansson at most a few small blocks: allow 4 calls
     * and 256 bytes per admitted value. */
    apr_size_t max_calls = 4 * CTX_CODEC_MAX_VALUES + 64;
    apr_size_t max_bytes = 256 * CTX_CODEC_MAX_VALUES + CTX_CODEC_MAX_JSON;

    json_set_alloc_funcs(counting_malloc, counting_free);
    for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); ++u) {
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i) {
            int plain = i == 0;
            apr_size_t ulen = strlen(units[u]);
            char *json = apr_palloc(p, sizes[i] + 16), *o = json;
            const char *payload, *vs, *vf;
            ctx_codec_t sign = codec_of(CTX_FORMAT_SIGNED, kr);
            ctx_codec_t flask = codec_of(CTX_FORMAT_FLASK, kr);

            n = sizes[i];
            o += sprintf(o, "{\"a\":%s", u == 4 ? "\"" : "[");
            while ((apr_size_t)(o - json) + ulen + 2 < n) {
                memcpy(o, units[u], ulen);
                o += ulen;
            }
            if (u != 4) --o;                    /* the last comma */
            o += sprintf(o, "%s}", u == 4 ? "\"" : "]");
            n = (apr_size_t)(o - json);
            payload = plain ? b64(p, json, n) : zpayload(p, json, n, 9, 15);
            vs = make_signed(p, kr, "session", payload, ts);
            vf = make_flask(p, "k", payload, ts);
            assert_true(strlen(vs) <= CTX_CODEC_MAX_VALUE);
            for (int f = 0; f < 2; ++f) {
                ctx_reason_t r;

                memset(&jmem, 0, sizeof(jmem));
                jmem.on = 1;
                r = dec_str(f ? &flask : &sign, p, f ? vf : vs, T0);
                jmem.on = 0;
                assert_true(r == CTX_REASON_OK || r == CTX_REASON_OVERSIZED);
                if (jmem.calls > max_calls || jmem.peak > max_bytes) {
                    fail_msg("unit \"%s\" %zu bytes: %s, %zu jansson "
                             "allocations, "
                             "peak %zu bytes", units[u], (size_t)n,
                             ctx_reason_name(r),
                             (size_t)jmem.calls, (size_t)jmem.peak);
                }
            }
        }
    }
    json_set_alloc_funcs(malloc, free);
    counts_check();
}

/* The flask format with max_lifetime adds "_ctx_created" to the session
 * when it encodes: what it then issues must still be within the bounds the
 * next request's decode applies (bytes and values), else the server would
 * issue a cookie it refuses and the session silently resets. */
static void test_codec_flask_with_lifetime_issues_only_what_it_accepts(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "k", NULL);
    apr_size_t sizes[] = { 256, 1000, 4093 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i) {
        ctx_codec_t c = codec_of(CTX_FORMAT_FLASK, kr);
        const char *texts[2], *value;

        c.max_lifetime = 1000;
        ctx_codec_set_max_size(&c, sizes[i]);
        texts[0] = json_of(p, c.max_json, 3);           /* at the byte bound */
        texts[1] = json_of(p, 2 * c.max_values + 16, c.max_values);
        for (int t = 0; t < 2; ++t) {
            apr_status_t rv = ctx_codec_encode_json(&c, p, texts[t],
                                                    strlen(texts[t]), T0, 0,
                                                    &value, NULL);

            assert_true(rv == APR_SUCCESS || rv == CTX_ETOOLARGE);
            if (rv == APR_SUCCESS) {
                assert_reason(dec_str(&c, p, value, T0), CTX_REASON_OK);
            }
        }
    }
    counts_check();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        CODEC_TEST(test_codec_long_cookie_names_bind_the_same_bytes),
        CODEC_TEST(test_codec_timestamp_is_minimal_big_endian),
        CODEC_TEST(test_codec_signed_round_trips),
        CODEC_TEST(test_codec_encrypted_round_trips),
        CODEC_TEST(test_codec_flask_round_trips),
        CODEC_TEST(test_codec_empty_session_round_trips),
        CODEC_TEST(test_codec_encode_json_equals_encode_of_the_object),
        CODEC_TEST(test_codec_tamper_signed_every_byte_small),
        CODEC_TEST(test_codec_tamper_encrypted_every_byte_small),
        CODEC_TEST(test_codec_tamper_flask_every_byte_small),
        CODEC_TEST(test_codec_tamper_signed_bit_flips_large_compressed),
        CODEC_TEST(test_codec_tamper_encrypted_bit_flips_large),
        CODEC_TEST(test_codec_tamper_flask_bit_flips_large_compressed),
        CODEC_TEST(test_codec_swapped_parts_are_refused),
        CODEC_TEST(test_codec_cookie_of_one_format_is_refused_by_another),
        CODEC_TEST(test_codec_signed_and_encrypted_bind_the_cookie_name),
        CODEC_TEST(test_codec_key_rotation),
        CODEC_TEST(test_codec_age_limits),
        CODEC_TEST(test_codec_zero_skew_refuses_any_future_time),
        CODEC_TEST(test_codec_expired_cookie_under_unknown_key_is_bad_signature),
        CODEC_TEST(test_codec_value_longer_than_max_is_oversized),
        CODEC_TEST(test_codec_max_value_raises_the_length_limit),
        CODEC_TEST(test_codec_inflated_payload_limit),
        CODEC_TEST(test_codec_broken_zlib_is_bad_compression),
        CODEC_TEST(test_codec_verified_non_object_is_bad_json),
        CODEC_TEST(test_codec_decode_refuses_missing_arguments),
        CODEC_TEST(test_codec_encode_refuses_bad_arguments),
        CODEC_TEST(test_codec_reason_names),
        CODEC_TEST(test_codec_decode_without_cookie_name_is_refused),
        CODEC_TEST(test_codec_signed_and_encrypted_bind_the_app_name),
        CODEC_TEST(test_codec_version_2_carries_issue_and_creation_time),
        CODEC_TEST(test_codec_reads_version_1_cookies_only_when_legacy),
        CODEC_TEST(test_codec_max_lifetime_counts_from_creation),
        CODEC_TEST(test_codec_bounds_follow_the_cookie_size_limit),
        CODEC_TEST(test_codec_worst_cookies_cost_bounded_memory),
        CODEC_TEST(test_codec_flask_with_lifetime_issues_only_what_it_accepts),
    };

    return UNIT_RUN(tests);
}
