/* Unit tests of the HMAC side of ctx_codec (ctx_codec_hmac.c): the
 * constant-time MAC comparison, the MAC input (binding and value in one
 * buffer) checked against OpenSSL's HMAC() of the documented bytes, the
 * binding prepared once per configuration (ctx_codec_bind), and the per-thread keyed slots
 * (ctx_codec_thread.c). The MAC bytes themselves are checked against
 * OpenSSL directly in test_ctx_codec_signed.c. */
#include "codec_test.h"
#include "ctx_codec_private.h"

/* Equal bytes compare equal at every length, and any single flipped bit,
 * wherever it is, does not: libsodium's 32-byte compare and OpenSSL's for
 * the other lengths. */
static void test_codec_mac_equal_sees_every_flipped_bit(void **state)
{
    unsigned char a[72], b[72];

    (void)state;
    for (apr_size_t i = 0; i < sizeof(a); ++i) {
        a[i] = (unsigned char)(i * 37 + 11);
    }
    for (apr_size_t n = 0; n <= 64; ++n) {
        /* at an odd offset too: unaligned input */
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

/* ---- the MAC input: binding and value together -------------------------- */

/* A JSON object of exactly `jlen` bytes ({"pad":"..."}), letters that
 * compress a little. */
static char *json_of_len(apr_pool_t *p, apr_size_t jlen)
{
    char *j = apr_palloc(p, jlen + 1);
    apr_uint32_t x = 2463534242u;

    memcpy(j, "{\"pad\":\"", 8);
    for (apr_size_t i = 8; i < jlen - 2; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        j[i] = "abcdefghijklmnopqrstuvwxyz"[x % 26];
    }
    memcpy(j + jlen - 2, "\"}", 3);
    return j;
}

/* One signed value of `jlen` bytes of JSON from codec `c` (keys `kr`,
 * cookie `name`): the one built with OpenSSL's HMAC() from the documented
 * binding, and it reads back. */
static void assert_signed_value(apr_pool_t *p, const ctx_codec_t *c,
                                ctx_keyring_t *kr, const char *name,
                                apr_size_t jlen)
{
    const char *v = NULL, *ts;
    apr_size_t vlen = 0;

    assert_int_equal(ctx_codec_encode_json(c, p, json_of_len(p, jlen), jlen,
                                           T0, 0, &v, &vlen),
                     APR_SUCCESS);
    assert_non_null(ts = strstr(v, ".ZVPxAA.ZVPxAA."));
    assert_string_equal(v, make_signed(p, kr, name,
                                       apr_pstrndup(p, v + 3,
                                                    (apr_size_t)(ts - v - 3)),
                                       "ZVPxAA"));
    assert_reason(dec(c, p, v, vlen, T0, NULL, NULL, NULL), CTX_REASON_OK);
}

/* Encode and decode under `name` for JSON of every length from `from` to
 * `to`: each value is the one built with OpenSSL's HMAC() from the
 * documented binding, and reads back. */
static void assert_signed_documented(apr_pool_t *p, const char *name,
                                     apr_size_t from, apr_size_t to)
{
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, kr);

    c.cookie_name = name;
    for (apr_size_t jlen = from; jlen <= to; ++jlen) {
        assert_signed_value(p, &c, kr, name, jlen);
    }
}

/* Values whose binding and text fill the decoder's stack buffer, and pass
 * it (JSON of 700..1300 bytes: values from ~750 to ~1350 characters). */
static void test_codec_signed_mac_across_the_input_buffer_size(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    assert_signed_documented(p, "session", 20, 40);
    assert_signed_documented(p, "session", 700, 1300);
    counts_check();
}

/* Names too long for the binding's prefix buffer (256 bytes). */
static void test_codec_signed_mac_with_a_binding_over_its_buffer(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    char name[301];

    memset(name, 'n', 300);
    name[300] = '\0';
    assert_signed_documented(p, name, 20, 40);
    assert_signed_documented(p, name, 900, 1000);
    counts_check();
}

/* ---- the binding prepared once (ctx_codec_bind) ------------------------ */

/* The prepared bytes are the ones built from the names, with any tail. */
static void test_codec_bind_prepares_the_bytes_built_from_the_names(
    void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    static const ctx_format_t formats[2] = { CTX_FORMAT_SIGNED,
                                             CTX_FORMAT_ENCRYPTED };
    static const char *const domains[2] = { "mod_ctx signed 2",
                                            "mod_ctx encrypted 2" };

    for (int f = 0; f < 2; ++f) {
        const char *app = "an-app", *name = "cookie_1";
        ctx_codec_binding_t b = { domains[f], app, name, NULL };
        unsigned char built[CTX_CODEC_PREFIX_MAX], ready[CTX_CODEC_PREFIX_MAX];
        apr_size_t blen = ctx_codec_bound_prefix(built, &b, "ZVPxAA.ZVPx", 11);

        b.ready = ctx_codec_bind(p, formats[f], app, name);
        assert_non_null(b.ready);
        assert_int_equal(ctx_codec_bound_prefix(ready, &b, "ZVPxAA.ZVPx", 11),
                         blen);
        assert_memory_equal(ready, built, blen);
        /* the documented bytes themselves */
        assert_int_equal(blen, strlen(domains[f]) + 1 + 7 + 9 + 11);
        assert_memory_equal(built + strlen(domains[f]) + 1,
                            "an-app\0cookie_1\0ZVPxAA.ZVPx", 7 + 9 + 11);
    }
    assert_null(ctx_codec_bind(p, CTX_FORMAT_FLASK, "a", "n"));
    assert_null(ctx_codec_bind(p, CTX_FORMAT_SIGNED, NULL, "n"));
    assert_null(ctx_codec_bind(p, CTX_FORMAT_ENCRYPTED, "a", NULL));
}

/* Prepared or built, the binding and its tail are written when they fit
 * CTX_CODEC_PREFIX_MAX bytes, to the last byte, and not at all (0) when
 * they are one byte longer: past it the callers feed the pieces. */
static void test_codec_bound_prefix_fills_its_buffer_and_no_more(
    void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    static const char tail[] = "ZVPxAA.ZVPx";
    /* "mod_ctx signed 2" NUL "app" NUL name NUL tail */
    const apr_size_t fixed = 17 + 4 + 1 + 11;

    for (apr_size_t total = CTX_CODEC_PREFIX_MAX - 3;
         total <= CTX_CODEC_PREFIX_MAX + 3; ++total) {
        char *name = apr_palloc(p, total - fixed + 1);
        ctx_codec_binding_t b = { "mod_ctx signed 2", "app", name, NULL };
        unsigned char built[CTX_CODEC_PREFIX_MAX + 64];
        unsigned char ready[CTX_CODEC_PREFIX_MAX + 64];
        apr_size_t want = total <= CTX_CODEC_PREFIX_MAX ? total : 0;

        memset(name, 'n', total - fixed);
        name[total - fixed] = '\0';
        assert_int_equal(ctx_codec_bound_prefix(built, &b, tail, 11), want);
        b.ready = ctx_codec_bind(p, CTX_FORMAT_SIGNED, "app", name);
        assert_non_null(b.ready);
        assert_int_equal(ctx_codec_bound_prefix(ready, &b, tail, 11), want);
        if (want) {
            assert_memory_equal(ready, built, want);
            assert_memory_equal(ready + want - 12 - (total - fixed) - 4,
                                "app", 4);
            assert_memory_equal(ready + want - 11, tail, 11);
        }
    }
}

/* Signed values of a codec with its binding prepared: the documented MAC,
 * whatever the length of the names; one prepared for other names (other
 * pointers, even with the same bytes) or another format is not used. */
static void assert_bound_signed(apr_pool_t *p, const char *name,
                                const ctx_codec_bound_t *bound)
{
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_SIGNED, kr);
    apr_size_t lens[3] = { 20, 900, 1100 };

    c.cookie_name = name;
    c.bound = bound;
    for (int i = 0; i < 3; ++i) {
        assert_signed_value(p, &c, kr, name, lens[i]);
    }
}

static void test_codec_signed_with_a_prepared_binding_is_documented(
    void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    char *longname = apr_palloc(p, 301), *copy = apr_pstrdup(p, "session");

    memset(longname, 'n', 300);
    longname[300] = '\0';
    assert_bound_signed(p, "session",
                        ctx_codec_bind(p, CTX_FORMAT_SIGNED, APP, "session"));
    assert_bound_signed(p, longname,
                        ctx_codec_bind(p, CTX_FORMAT_SIGNED, APP, longname));
    /* made for other names, or for the same bytes elsewhere */
    assert_bound_signed(p, "session",
                        ctx_codec_bind(p, CTX_FORMAT_SIGNED, APP, "other"));
    assert_bound_signed(p, "session",
                        ctx_codec_bind(p, CTX_FORMAT_SIGNED, APP, copy));
    assert_bound_signed(p, "session",
                        ctx_codec_bind(p, CTX_FORMAT_SIGNED, "other",
                                       "session"));
    /* made for the encrypted format */
    assert_bound_signed(p, "session",
                        ctx_codec_bind(p, CTX_FORMAT_ENCRYPTED, APP,
                                       "session"));
    counts_check();
}

/* Prepared bindings of every length around the fixed 64-byte copy of
 * ctx_codec_bound_prefix (names of 1 to 70 characters: bindings of 23 to
 * 95 bytes for signed, 26 to 98 for encrypted): the documented MAC, and
 * the documented associated data. */
static void test_codec_prepared_bindings_around_the_fixed_copy(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    const char *json = "{\"a\":1}";

    for (apr_size_t nlen = 1; nlen <= 70; ++nlen) {
        char *name = apr_palloc(p, nlen + 1);
        ctx_codec_t e = codec_of(CTX_FORMAT_ENCRYPTED, kr);
        const char *v = NULL;
        apr_size_t vlen = 0, n;

        memset(name, 'a' + (int)(nlen % 26), nlen);
        name[nlen] = '\0';
        assert_bound_signed(p, name,
                            ctx_codec_bind(p, CTX_FORMAT_SIGNED, APP, name));
        e.cookie_name = name;
        e.bound = ctx_codec_bind(p, CTX_FORMAT_ENCRYPTED, APP, name);
        assert_int_equal(ctx_codec_encode_json(&e, p, json, strlen(json), T0,
                                               0, &v, &vlen), APR_SUCCESS);
        assert_non_null(open_encrypted(p, kr, name, v, &n));
        assert_int_equal(n, strlen(json));
        assert_reason(dec(&e, p, v, vlen, T0, NULL, NULL, NULL),
                      CTX_REASON_OK);
    }
    counts_check();
}

/* Encrypted: what a prepared codec seals opens with the documented
 * associated data, and the other way round. */
static void test_codec_encrypted_with_a_prepared_binding_is_documented(
    void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t plain = codec_of(CTX_FORMAT_ENCRYPTED, kr), c = plain;
    const ctx_codec_bound_t *other = ctx_codec_bind(
        p, CTX_FORMAT_ENCRYPTED, APP, "other");
    const char *json = "{\"a\":1}";

    c.bound = ctx_codec_bind(p, CTX_FORMAT_ENCRYPTED, APP, "session");
    for (int round = 0; round < 2; ++round) {
        const char *v = NULL;
        apr_size_t vlen = 0, n;

        assert_int_equal(ctx_codec_encode_json(&c, p, json, strlen(json), T0,
                                               0, &v, &vlen),
                         APR_SUCCESS);
        assert_non_null(open_encrypted(p, kr, "session", v, &n));
        assert_int_equal(n, strlen(json));
        assert_reason(dec(&plain, p, v, vlen, T0, NULL, NULL, NULL),
                      CTX_REASON_OK);
        assert_int_equal(ctx_codec_encode_json(&plain, p, json, strlen(json),
                                               T0, 0, &v, &vlen),
                         APR_SUCCESS);
        assert_reason(dec(&c, p, v, vlen, T0, NULL, NULL, NULL),
                      CTX_REASON_OK);
        c.bound = other;        /* not for these names: not used */
    }
    counts_check();
}

/* ---- timestamps: the thread's last two texts kept -------------------------- */

typedef struct {
    int wrong;
    apr_int64_t first_wrong;
} ts_seen_t;

/* The time's text as the codec writes it against the uncached encoder and
 * the independent ts_text() of codec_test.h. */
static void check_ts(apr_pool_t *p, apr_int64_t t, ts_seen_t *seen)
{
    char got[16], want[16];
    apr_size_t n;

    memset(got, 'X', sizeof(got));
    n = ctx_codec_encode_ts(got, t);
    ctx_b64url_encode_be(want, (apr_uint64_t)t);
    if (n != strlen(want) || strcmp(got, want) != 0
        || (t >= 0 && strcmp(got, ts_text(p, t)) != 0)) {
        if (!seen->wrong++) {
            seen->first_wrong = t;
        }
    }
}

/* On a fresh thread (empty cache): 0 first, then the patterns of requests:
 * now second by second across byte boundaries with one or two creation
 * times, values that differ in their high bytes only, and random ones. */
static void *ts_sequences(void *arg)
{
    ts_seen_t *seen = arg;
    apr_pool_t *p;
    apr_uint64_t x = 88172645463325252ULL;

    apr_pool_create(&p, NULL);
    check_ts(p, 0, seen);
    check_ts(p, 0, seen);
    check_ts(p, 1, seen);
    for (apr_int64_t now = 0xfffff0; now < 0x1000010; ++now) {
        for (int twice = 0; twice < 2; ++twice) {
            check_ts(p, now, seen);
            check_ts(p, 0xfffff0, seen);
        }
        check_ts(p, now, seen);
        check_ts(p, now + 1, seen);     /* the next second at once */
        check_ts(p, now - 7, seen);     /* another session's creation */
        check_ts(p, T0, seen);
    }
    for (int k = 8; k < 63; ++k) {
        check_ts(p, (apr_int64_t)1 << k, seen);
        check_ts(p, ((apr_int64_t)1 << k) + 1, seen);
        check_ts(p, (apr_int64_t)1 << k, seen);
    }
    check_ts(p, APR_INT64_MAX, seen);
    check_ts(p, -1, seen);
    check_ts(p, APR_INT64_MAX, seen);
    for (int i = 0; i < 100000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        check_ts(p, (apr_int64_t)(x >> (1 + x % 40)), seen);
        check_ts(p, T0 + i / 100, seen);
    }
    apr_pool_destroy(p);
    return NULL;
}

static void test_codec_timestamp_texts_kept_are_the_encoders(void **state)
{
    ts_seen_t seen = { 0, 0 };

    (void)state;
    unit_run_thread(ts_sequences, &seen);
    if (seen.wrong) {
        fail_msg("%d wrong texts, the first of %" APR_INT64_T_FMT, seen.wrong,
                 seen.first_wrong);
    }
}

/* ---- keyed slots ----------------------------------------------------------- */

typedef struct {
    int with_ids;       /* 1: keys looked up by id (then 100 + i), else bytes */
    int wrong;          /* lookups that gave another kind's or key's slot */
    int lost;           /* lookups that did not find a slot filled before */
} keyed_seen_t;

/* Marks slots (no OpenSSL context in them) on a thread of its own, whose
 * slots are freed when it exits: kinds and keys in turn, in the orders a
 * request (the last slot again) and a key rotation (another one) use. */
static void *keyed_lookups(void *arg)
{
    keyed_seen_t *seen = arg;
    static const unsigned char keys[3][32] = { { 1 }, { 2 }, { 1, 1 } };
    static const int kinds[2] = { CTX_CODEC_KEYED_HMAC_SHA256,
                                  CTX_CODEC_KEYED_HMAC_SHA1 };
    ctx_codec_keyed_t *slot[2][3];

    for (int k = 0; k < 2; ++k) {
        for (int i = 0; i < 3; ++i) {
            apr_uint64_t id = seen->with_ids ? 100 + (apr_uint64_t)i : 0;
            ctx_codec_keyed_t *s = ctx_codec_keyed_find(kinds[k], keys[i],
                                                        32, id);

            if (s->used) {
                ++seen->wrong;      /* nothing was filled for these yet */
            }
            ctx_codec_keyed_fill(s, kinds[k], keys[i], 32, id);
            slot[k][i] = s;
        }
    }
    for (int round = 0; round < 4; ++round) {
        for (int n = 0; n < 6; ++n) {
            int k = (n + round) % 2, i = (n * (round + 1)) % 3;
            /* twice in a row (a request), then the next one */
            for (int twice = 0; twice < 2; ++twice) {
                ctx_codec_keyed_t *s = ctx_codec_keyed_find(
                    kinds[k], keys[i], 32,
                    seen->with_ids ? 100 + (apr_uint64_t)i : 0);

                if (!s->used) {
                    ++seen->lost;
                }
                else if (s != slot[k][i] || s->kind != kinds[k]
                         || memcmp(s->key, keys[i], 32) != 0) {
                    ++seen->wrong;
                }
            }
        }
    }
    /* a key one byte shorter is another key; so is another id */
    if (ctx_codec_keyed_find(kinds[0], keys[0], 31, 0)->used
        || (seen->with_ids
            && ctx_codec_keyed_find(kinds[0], keys[0], 32, 99)->used)) {
        ++seen->wrong;
    }
    return NULL;
}

static void test_codec_keyed_find_gives_the_slot_of_its_kind_and_key(
    void **state)
{
    for (int with_ids = 0; with_ids < 2; ++with_ids) {
        keyed_seen_t seen = { with_ids, 0, 0 };

        unit_run_thread(keyed_lookups, &seen);
        assert_int_equal(seen.wrong, 0);
        assert_int_equal(seen.lost, 0);
    }
}

/* ---- the MAC's dot found without a scan ---------------------------------- */

/* The value of a base64url character (the alphabet of RFC 4648 §5). */
static int b64_value(char c)
{
    const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                    "0123456789-_";
    const char *at = strchr(a, c);

    assert_non_null(at);
    return (int)(at - a);
}

/* A dot in place of any character of the MAC text (43 characters for
 * signed, 27 for flask) makes it the last dot, as a scan from the right
 * finds it: the MAC is then the shorter text after it. That text decides
 * the reason, as RFC 4648 does: empty: malformed; 4k+1 characters, or
 * stray bits set in its last character: not base64url; else too short a
 * MAC: bad signature. Never OK. */
static void test_codec_a_dot_inside_the_mac_is_the_last_dot(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    static const ctx_format_t formats[2] = { CTX_FORMAT_SIGNED,
                                             CTX_FORMAT_FLASK };
    static const apr_size_t mac_chars[2] = { 43, 27 };
    json_t *obj = json_pack("{s:i}", "count", 3);

    for (int f = 0; f < 2; ++f) {
        ctx_codec_t c = codec_of(formats[f], kr);
        const char *v = enc(&c, p, obj, T0);
        apr_size_t len = strlen(v), m = mac_chars[f];

        assert_true(len > m);
        assert_int_equal(v[len - m - 1], '.');
        assert_null(memchr(v + len - m, '.', m));
        assert_reason(dec_str(&c, p, v, T0), CTX_REASON_OK);
        for (apr_size_t k = 0; k < m; ++k) {
            char *t = apr_pstrdup(p, v);
            apr_size_t rest = m - k - 1;    /* the MAC text after the dot */
            ctx_reason_t want;

            t[len - m + k] = '.';
            if (rest == 0) {
                want = CTX_REASON_MALFORMED;
            }
            else if (rest % 4 == 1
                     || (rest % 4 == 2 && (b64_value(t[len - 1]) & 0xf))
                     || (rest % 4 == 3 && (b64_value(t[len - 1]) & 0x3))) {
                want = CTX_REASON_BAD_ENCODING;
            }
            else {
                want = CTX_REASON_BAD_SIGNATURE;
            }
            if (dec_str(&c, p, t, T0) != want) {
                fail_msg("format %d, dot at MAC character %zu: %s, want %s",
                         f, k, ctx_reason_name(dec_str(&c, p, t, T0)),
                         ctx_reason_name(want));
            }
        }
    }
    json_decref(obj);
    counts_check();
}

/* Times of 6 characters (every time from 1970 + 194 days to 2106) are read
 * with the dots before the MAC: under a valid MAC, a TS or CT that is not
 * canonical base64url (a character outside the alphabet, stray bits in the
 * last one) is a bad encoding, a CT after TS is malformed, and well-formed
 * ones are the times written (T0 is "ZVPxAA", T0 + 1 "ZVPxAQ"). */
static void test_codec_six_character_times_are_checked_as_any(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const char *secret = "0123456789abcdef0123456789abcdef";
    ctx_keyring_t *kr = keyring(p, secret, NULL);
    ctx_codec_t sc = codec_of(CTX_FORMAT_SIGNED, kr);
    ctx_codec_t fc = codec_of(CTX_FORMAT_FLASK, kr);
    const char *payload = b64(p, "{\"a\":1}", 7);
    static const struct {
        const char *ts, *ct;
        ctx_reason_t want;
    } cases[] = {
        { "ZVPxAA", "ZVPxAA", CTX_REASON_OK },
        { "ZVPxAQ", "ZVPxAA", CTX_REASON_OK },
        { "ZVPxAB", "ZVPxAA", CTX_REASON_BAD_ENCODING },    /* stray bits */
        { "ZVPxAA", "ZVPxAB", CTX_REASON_BAD_ENCODING },
        { "ZVP*AA", "ZVPxAA", CTX_REASON_BAD_ENCODING },    /* not base64url */
        { "ZVPxAA", "Z=PxAA", CTX_REASON_BAD_ENCODING },
        { "ZVPxAA", "ZVPxAQ", CTX_REASON_MALFORMED },       /* CT after TS */
    };
    apr_int64_t issued = 0;
    ctx_codec_meta_t m;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        const char *v = make_signed_v(p, kr, 2, APP, "session", payload,
                                      apr_pstrcat(p, cases[i].ts, ".",
                                                  cases[i].ct, NULL));
        ctx_reason_t got = dec_meta(&sc, p, v, strlen(v), T0 + 1, NULL, &m);

        if (got != cases[i].want) {
            fail_msg("signed %s.%s: %s, want %s", cases[i].ts, cases[i].ct,
                     ctx_reason_name(got), ctx_reason_name(cases[i].want));
        }
        if (got == CTX_REASON_OK) {
            assert_int_equal(m.issued, i == 0 ? T0 : T0 + 1);
            assert_int_equal(m.created, T0);
        }
        if (strcmp(cases[i].ct, "ZVPxAA") == 0) {
            /* flask has TS only */
            ctx_reason_t fwant = cases[i].want;

            v = make_flask(p, secret, payload, cases[i].ts);
            got = dec(&fc, p, v, strlen(v), T0 + 1, NULL, &issued, NULL);
            if (got != fwant) {
                fail_msg("flask %s: %s, want %s", cases[i].ts,
                         ctx_reason_name(got), ctx_reason_name(fwant));
            }
            if (got == CTX_REASON_OK) {
                assert_int_equal(issued, i == 0 ? T0 : T0 + 1);
            }
        }
    }
    counts_check();
}

/* The same for encrypted (TS and CT read with the dots after them), under
 * a valid tag, with OpenSSL's AEAD and libsodium's. */
static void test_codec_six_character_times_encrypted(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t c = codec_of(CTX_FORMAT_ENCRYPTED, kr);
    static const unsigned char nonce[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    static const struct {
        const char *times;
        ctx_reason_t want;
    } cases[] = {
        { "ZVPxAA.ZVPxAA", CTX_REASON_OK },
        { "ZVPxAQ.ZVPxAA", CTX_REASON_OK },
        { "ZVPxAB.ZVPxAA", CTX_REASON_BAD_ENCODING },    /* stray bits */
        { "ZVPxAA.ZVPxAB", CTX_REASON_BAD_ENCODING },
        { "ZVP*AA.ZVPxAA", CTX_REASON_BAD_ENCODING },    /* not base64url */
        { "ZVPxAA.Z=PxAA", CTX_REASON_BAD_ENCODING },
        { "ZVPxAA.ZVPxAQ", CTX_REASON_MALFORMED },       /* CT after TS */
    };
    ctx_codec_meta_t m;

    for (int sodium = 0; sodium < 2; ++sodium) {
        ctx_codec_gcm_force_openssl(!sodium);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
            const char *v = make_encrypted_v(p, kr, 2, APP, "session",
                                             cases[i].times, nonce,
                                             "{\"a\":1}", 7);
            ctx_reason_t got = dec_meta(&c, p, v, strlen(v), T0 + 1, NULL,
                                        &m);

            if (got != cases[i].want) {
                fail_msg("%s: %s, want %s", cases[i].times,
                         ctx_reason_name(got), ctx_reason_name(cases[i].want));
            }
            if (got == CTX_REASON_OK) {
                assert_int_equal(m.issued, i == 0 ? T0 : T0 + 1);
                assert_int_equal(m.created, T0);
            }
        }
    }
    ctx_codec_gcm_force_openssl(0);
    counts_check();
}

/* ---- a new configuration's key, where the old one lay ------------------- */

/* The signed, flask and encrypted values written and read under a second
 * keyring made where the first one lay (its pool destroyed and a new one
 * made: the same addresses, as after a graceful restart) are the second
 * key's: the thread's contexts keyed with the first key, found by the
 * key's id and not its bytes, are never used for it. */
static void test_codec_new_key_at_an_old_keys_address_gets_new_contexts(
    void **state)
{
    static const char *s1 = "first secret, 32 bytes at least!";
    static const char *s2 = "second secret: 32 bytes or more.";
    static const ctx_format_t formats[3] = {
        CTX_FORMAT_SIGNED, CTX_FORMAT_FLASK, CTX_FORMAT_ENCRYPTED
    };
    static const ctx_key_purpose_t purposes[3] = {
        CTX_KEY_SIGN, CTX_KEY_FLASK, CTX_KEY_ENCRYPT
    };
    apr_pool_t *p = UNIT_POOL(state), *old, *cur;
    json_t *obj = json_pack("{s:i}", "count", 7);

    for (int sodium = 0; sodium < 2; ++sodium) {
        ctx_codec_gcm_force_openssl(!sodium);
        for (int f = 0; f < 3; ++f) {
            ctx_keyring_t *kr;
            ctx_codec_t c;
            const unsigned char *where;
            const char *v1, *v2, *dot;
            apr_size_t n;

            assert_int_equal(apr_pool_create(&old, p), APR_SUCCESS);
            kr = keyring(old, s1, NULL);
            c = codec_of(formats[f], kr);
            v1 = apr_pstrdup(p, enc(&c, old, obj, T0));    /* keys contexts */
            assert_reason(dec_str(&c, old, v1, T0), CTX_REASON_OK);
            where = ctx_keyring_key(kr, 0, purposes[f], NULL);
            apr_pool_destroy(old);

            assert_int_equal(apr_pool_create(&cur, p), APR_SUCCESS);
            kr = keyring(cur, s2, NULL);
            /* the case at stake: the new key where the old one was */
            assert_ptr_equal(ctx_keyring_key(kr, 0, purposes[f], NULL),
                             where);
            c = codec_of(formats[f], kr);
            assert_reason(dec_str(&c, cur, v1, T0),
                          CTX_REASON_BAD_SIGNATURE);
            v2 = enc(&c, cur, obj, T0);
            assert_string_not_equal(v2, v1);
            switch (formats[f]) {
            case CTX_FORMAT_SIGNED:
                dot = strstr(v2, ".ZVPxAA.ZVPxAA.");
                assert_non_null(dot);
                assert_string_equal(
                    v2, make_signed(cur, kr, "session",
                                    apr_pstrndup(cur, v2 + 3,
                                                 (apr_size_t)(dot - v2 - 3)),
                                    "ZVPxAA"));
                break;
            case CTX_FORMAT_FLASK:
                dot = strstr(v2, ".ZVPxAA.");
                assert_non_null(dot);
                assert_string_equal(
                    v2, make_flask(cur, s2,
                                   apr_pstrndup(cur, v2,
                                                (apr_size_t)(dot - v2)),
                                   "ZVPxAA"));
                break;
            default:
                assert_string_equal(open_encrypted(cur, kr, "session", v2, &n),
                                    "{\"count\":7}");
                break;
            }
            assert_reason(dec_str(&c, cur, v2, T0), CTX_REASON_OK);
            apr_pool_destroy(cur);
        }
    }
    ctx_codec_gcm_force_openssl(0);
    json_decref(obj);
    counts_check();
}

/* ---- OpenSSL's HMAC_CTX and EVP_MAC: the same MACs ----------------------- */

/* The HMAC_CTX path is the one this build runs (else the tests below
 * would check EVP_MAC twice). */
static void test_codec_hmac_ctx_is_on_in_this_build(void **state)
{
    (void)state;
#ifndef OPENSSL_NO_DEPRECATED_3_0
    assert_int_equal(ctx_codec_hmac_legacy(), 1);
    ctx_codec_hmac_force_evp(1);
    assert_int_equal(ctx_codec_hmac_legacy(), 0);
    ctx_codec_hmac_force_evp(0);
    assert_int_equal(ctx_codec_hmac_legacy(), 1);
#endif
}

/* Value v of codec c is read by both MAC paths (HMAC_CTX and EVP_MAC), and
 * with one character of its MAC changed is refused by both as a bad
 * signature. */
static void read_by_both_paths(const ctx_codec_t *c, apr_pool_t *p,
                               const char *v, apr_size_t vlen)
{
    for (int r = 0; r < 2; ++r) {
        char *bad = apr_pstrmemdup(p, v, vlen);

        ctx_codec_hmac_force_evp(r);
        assert_reason(dec(c, p, v, vlen, T0, NULL, NULL, NULL), CTX_REASON_OK);
        bad[vlen - 2] = bad[vlen - 2] == 'A' ? 'B' : 'A';
        assert_reason(dec(c, p, bad, vlen, T0, NULL, NULL, NULL),
                      CTX_REASON_BAD_SIGNATURE);
    }
}

/* Signed and flask values written through either path are the ones
 * OpenSSL's one-shot HMAC() gives for the documented bytes, and each
 * path reads what the other wrote; a value changed in its MAC is refused
 * by both with the same reason. */
static void test_codec_hmac_ctx_and_evp_mac_write_and_read_alike(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    static const char *secret = "0123456789abcdef0123456789abcdef";
    ctx_keyring_t *kr = keyring(p, secret, NULL);
    ctx_codec_t sc = codec_of(CTX_FORMAT_SIGNED, kr);
    ctx_codec_t fc = codec_of(CTX_FORMAT_FLASK, kr);
    static const apr_size_t lens[] = { 12, 20, 40, 300, 900 };

    for (int w = 0; w < 2; ++w) {
        for (apr_size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); ++li) {
            apr_size_t jlen = lens[li];
            const char *json = json_of_len(p, jlen), *v = NULL, *dot;
            apr_size_t vlen = 0;

            ctx_codec_hmac_force_evp(w);
            /* signed: the documented value */
            assert_int_equal(ctx_codec_encode_json(&sc, p, json, jlen, T0, 0,
                                                   &v, &vlen), APR_SUCCESS);
            assert_non_null(dot = strstr(v, ".ZVPxAA.ZVPxAA."));
            assert_string_equal(v, make_signed(p, kr, "session",
                                               apr_pstrndup(
                                                   p, v + 3,
                                                   (apr_size_t)(dot - v - 3)),
                                               "ZVPxAA"));
            read_by_both_paths(&sc, p, v, vlen);
            /* flask: itsdangerous' value (payload may be compressed) */
            ctx_codec_hmac_force_evp(w);
            assert_int_equal(ctx_codec_encode_json(&fc, p, json, jlen, T0, 0,
                                                   &v, &vlen), APR_SUCCESS);
            assert_non_null(dot = strstr(v, ".ZVPxAA."));
            assert_string_equal(v, make_flask(p, secret,
                                              apr_pstrndup(
                                                  p, v,
                                                  (apr_size_t)(dot - v)),
                                              "ZVPxAA"));
            read_by_both_paths(&fc, p, v, vlen);
        }
    }
    ctx_codec_hmac_force_evp(0);
    counts_check();
}

/* The same key bytes serve a cookie's HMAC_CTX and ctx_codec_hmac_ctx's
 * EVP_MAC_CTX (the session id's MAC) on one thread, in turn: each gets a
 * context of its own kind, and each MAC is HMAC()'s. */
static void test_codec_hmac_ctx_and_evp_slots_apart_for_one_key(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    ctx_codec_t sc = codec_of(CTX_FORMAT_SIGNED, kr);
    apr_size_t klen = 0;
    const unsigned char *key = ctx_keyring_key(kr, 0, CTX_KEY_SIGN, &klen);
    json_t *obj = json_pack("{s:i}", "count", 3);

    for (int round = 0; round < 3; ++round) {
        unsigned char want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
        unsigned int wlen = 0;
        size_t glen = 0;
        EVP_MAC_CTX *m;
        const char *v = enc(&sc, p, obj, T0);

        assert_reason(dec_str(&sc, p, v, T0), CTX_REASON_OK);
        assert_non_null(m = ctx_codec_hmac_ctx("SHA256", key, klen));
        assert_int_equal(EVP_MAC_update(m, (const unsigned char *)"id", 2), 1);
        assert_int_equal(EVP_MAC_final(m, got, &glen, sizeof(got)), 1);
        assert_non_null(HMAC(EVP_sha256(), key, (int)klen,
                             (const unsigned char *)"id", 2, want, &wlen));
        assert_int_equal(glen, wlen);
        assert_memory_equal(got, want, wlen);
    }
    json_decref(obj);
    counts_check();
}

/* ctx_codec_keyed_get on a thread of its own: the last slot again without
 * a search while its id, kind and use match; a slot evicted (released) or
 * refilled for another id is never handed out as filled for the old one. */
typedef struct {
    int wrong;
} keyed_get_seen_t;

static void *keyed_get_lookups(void *arg)
{
    keyed_get_seen_t *seen = arg;
    static const unsigned char key[32] = { 7 };
    const int kind = CTX_CODEC_KEYED_HMAC_CTX_SHA256;
    ctx_codec_keyed_t *a = ctx_codec_keyed_get(kind, key, 32, 1), *s;

    if (!a || a->used) {
        ++seen->wrong;
        return NULL;
    }
    ctx_codec_keyed_fill(a, kind, key, 32, 1);
    if (ctx_codec_keyed_get(kind, key, 32, 1) != a
        || ctx_codec_keyed_get(CTX_CODEC_KEYED_HMAC_CTX_SHA1, key, 32, 1)
               == a
        || ctx_codec_keyed_get(kind, key, 32, 2) == a) {
        ++seen->wrong;
    }
    /* other ids until every slot was taken and id 1's evicted */
    for (apr_uint64_t id = 10; id < 30; ++id) {
        s = ctx_codec_keyed_get(kind, key, 32, id);
        if (!s->used) {
            ctx_codec_keyed_fill(s, kind, key, 32, id);
        }
        if (s->id != id) {
            ++seen->wrong;
        }
    }
    s = ctx_codec_keyed_get(kind, key, 32, 1);
    if (s->used && s->id != 1) {
        ++seen->wrong;          /* another key's context as id 1's */
    }
    if (s->used) {
        ++seen->wrong;          /* id 1 was evicted: must be refilled */
    }
    return NULL;
}

static void test_codec_keyed_get_never_gives_a_stale_slot(void **state)
{
    keyed_get_seen_t seen = { 0 };

    (void)state;
    unit_run_thread(keyed_get_lookups, &seen);
    assert_int_equal(seen.wrong, 0);
}

/* ---- every path, the same reasons ----------------------------------------- */

/* Decode `v` (len bytes, copied to a buffer of exactly that size) with
 * the fast paths (SSSE3 base64url, HMAC_CTX) and with the general ones
 * (table loops, EVP_MAC): the same reason; returned. */
static ctx_reason_t same_reason_both_ways(apr_pool_t *p, const ctx_codec_t *c,
                                          const char *v, apr_size_t len)
{
    char *copy = malloc(len ? len : 1);
    ctx_reason_t fast, general;

    assert_non_null(copy);
    memcpy(copy, v, len);
    fast = dec(c, p, copy, len, T0, NULL, NULL, NULL);
    ctx_b64_force_scalar(1);
    ctx_codec_hmac_force_evp(1);
    general = dec(c, p, copy, len, T0, NULL, NULL, NULL);
    ctx_b64_force_scalar(0);
    ctx_codec_hmac_force_evp(0);
    free(copy);
    if (fast != general) {
        fail_msg("\"%.*s\": %s with the fast paths, %s without", (int)len, v,
                 ctx_reason_name(fast), ctx_reason_name(general));
    }
    return fast;
}

/* Every truncation of a signed, encrypted and flask value, and every
 * character of it replaced by each of a set of bytes (the alphabet's
 * edges, a dot, padding, the standard alphabet, a high byte): the same
 * reason with and without the fast paths, and never OK but for the value
 * itself (or a replacement by the same byte). */
static void test_codec_every_cut_and_tamper_same_reason_both_ways(
    void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    static const ctx_format_t formats[3] = {
        CTX_FORMAT_SIGNED, CTX_FORMAT_ENCRYPTED, CTX_FORMAT_FLASK
    };
    static const char bytes[] = { 'A', 'Q', '_', '-', '.', '=', '+', '/',
                                  'z', '9', (char)0x80 };
    ctx_keyring_t *kr = keyring(p, "0123456789abcdef0123456789abcdef", NULL);
    json_t *obj = json_pack("{s:i, s:s}", "count", 42, "user",
                            "alice and bob");

    for (int f = 0; f < 3; ++f) {
        ctx_codec_t c = codec_of(formats[f], kr);
        const char *v = enc(&c, p, obj, T0);
        apr_size_t len = strlen(v);
        char *t = apr_pstrdup(p, v);

        assert_reason(same_reason_both_ways(p, &c, v, len), CTX_REASON_OK);
        for (apr_size_t k = 0; k < len; ++k) {
            assert_true(same_reason_both_ways(p, &c, v, k) != CTX_REASON_OK);
        }
        for (apr_size_t i = 0; i < len; ++i) {
            for (apr_size_t b = 0; b < sizeof(bytes); ++b) {
                ctx_reason_t r;

                t[i] = bytes[b];
                r = same_reason_both_ways(p, &c, t, len);
                if (bytes[b] != v[i] && r == CTX_REASON_OK) {
                    fail_msg("%s accepted with byte %zu changed", v, i);
                }
            }
            t[i] = v[i];
        }
    }
    json_decref(obj);
    counts_check();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        CODEC_TEST(test_codec_mac_equal_sees_every_flipped_bit),
        CODEC_TEST(test_codec_mac_equal_reads_only_n_bytes),
        CODEC_TEST(test_codec_signed_mac_across_the_input_buffer_size),
        CODEC_TEST(test_codec_signed_mac_with_a_binding_over_its_buffer),
        CODEC_TEST(test_codec_bind_prepares_the_bytes_built_from_the_names),
        CODEC_TEST(test_codec_bound_prefix_fills_its_buffer_and_no_more),
        CODEC_TEST(test_codec_signed_with_a_prepared_binding_is_documented),
        CODEC_TEST(test_codec_encrypted_with_a_prepared_binding_is_documented),
        CODEC_TEST(test_codec_timestamp_texts_kept_are_the_encoders),
        CODEC_TEST(test_codec_keyed_find_gives_the_slot_of_its_kind_and_key),
        CODEC_TEST(test_codec_new_key_at_an_old_keys_address_gets_new_contexts),
        CODEC_TEST(test_codec_a_dot_inside_the_mac_is_the_last_dot),
        CODEC_TEST(test_codec_six_character_times_are_checked_as_any),
        CODEC_TEST(test_codec_six_character_times_encrypted),
        CODEC_TEST(test_codec_prepared_bindings_around_the_fixed_copy),
        CODEC_TEST(test_codec_hmac_ctx_is_on_in_this_build),
        CODEC_TEST(test_codec_hmac_ctx_and_evp_mac_write_and_read_alike),
        CODEC_TEST(test_codec_hmac_ctx_and_evp_slots_apart_for_one_key),
        CODEC_TEST(test_codec_keyed_get_never_gives_a_stale_slot),
        CODEC_TEST(test_codec_every_cut_and_tamper_same_reason_both_ways),
    };

    return UNIT_RUN(tests);
}
