/* Unit tests of ctx_codec's flask format against Flask itself:
 * tests/data/flask-session-vectors.jsonl, made by real Flask (found through
 * $CTX_TEST_DATA, set by make check), and more cookies written by Flask
 * 3.1.3 / itsdangerous 2.2.0 for this file. */
#include "codec_test.h"

/* ---- Flask's vectors ------------------------------------------------------ */

/* A reader of the Python repr of a session dict (the vectors' data_repr):
 * dict, list, tuple (tagged {" t": [...]} as Flask does), str, int, float,
 * True, False, None. */
typedef struct {
    const char *s;
    int failed;
} repr_t;

static json_t *repr_value(repr_t *r);

static void repr_ws(repr_t *r)
{
    while (*r->s == ' ') {
        ++r->s;
    }
}

static int repr_eat(repr_t *r, char c)
{
    repr_ws(r);
    if (*r->s == c) {
        ++r->s;
        return 1;
    }
    return 0;
}

static void repr_utf8(char **o, unsigned long cp)
{
    unsigned char *u = (unsigned char *)*o;

    if (cp < 0x80) {
        *u++ = (unsigned char)cp;
    }
    else if (cp < 0x800) {
        *u++ = (unsigned char)(0xc0 | (cp >> 6));
        *u++ = (unsigned char)(0x80 | (cp & 0x3f));
    }
    else if (cp < 0x10000) {
        *u++ = (unsigned char)(0xe0 | (cp >> 12));
        *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *u++ = (unsigned char)(0x80 | (cp & 0x3f));
    }
    else {
        *u++ = (unsigned char)(0xf0 | (cp >> 18));
        *u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *u++ = (unsigned char)(0x80 | (cp & 0x3f));
    }
    *o = (char *)u;
}

static json_t *repr_string(repr_t *r)
{
    char quote = *r->s++;
    char *buf = malloc(strlen(r->s) * 4 + 1), *o = buf;
    json_t *v;

    while (*r->s && *r->s != quote) {
        if (*r->s != '\\') {
            *o++ = *r->s++;
            continue;
        }
        ++r->s;
        switch (*r->s) {
        case 'n': *o++ = '\n'; ++r->s; break;
        case 'r': *o++ = '\r'; ++r->s; break;
        case 't': *o++ = '\t'; ++r->s; break;
        case '\\': case '\'': case '"': *o++ = *r->s++; break;
        case 'x': case 'u': case 'U': {
            int digits = *r->s == 'x' ? 2 : *r->s == 'u' ? 4 : 8;
            char hexd[9];

            memcpy(hexd, r->s + 1, (size_t)digits);
            hexd[digits] = '\0';
            repr_utf8(&o, strtoul(hexd, NULL, 16));
            r->s += 1 + digits;
            break;
        }
        default:
            r->failed = 1;
            free(buf);
            return NULL;
        }
    }
    if (*r->s != quote) {
        r->failed = 1;
        free(buf);
        return NULL;
    }
    ++r->s;
    v = json_stringn(buf, (size_t)(o - buf));
    free(buf);
    return v;
}

static json_t *repr_number(repr_t *r)
{
    const char *start = r->s;
    int real = 0;

    if (*r->s == '-') ++r->s;
    while ((*r->s >= '0' && *r->s <= '9') || *r->s == '.' || *r->s == 'e'
           || *r->s == 'E' || *r->s == '+' || *r->s == '-') {
        real |= *r->s == '.' || *r->s == 'e' || *r->s == 'E';
        ++r->s;
    }
    if (r->s == start) {
        r->failed = 1;
        return NULL;
    }
    return real ? json_real(strtod(start, NULL))
                : json_integer(strtoll(start, NULL, 10));
}

static json_t *repr_seq(repr_t *r, char close)
{
    json_t *a = json_array();

    if (repr_eat(r, close)) {
        return a;
    }
    for (;;) {
        json_t *v = repr_value(r);

        if (!v) {
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, v);
        if (repr_eat(r, ',')) {
            if (repr_eat(r, close)) {       /* (1,) */
                return a;
            }
            continue;
        }
        if (repr_eat(r, close)) {
            return a;
        }
        r->failed = 1;
        json_decref(a);
        return NULL;
    }
}

static json_t *repr_value(repr_t *r)
{
    repr_ws(r);
    switch (*r->s) {
    case '{': {
        json_t *o = json_object();

        ++r->s;
        if (repr_eat(r, '}')) {
            return o;
        }
        for (;;) {
            json_t *k, *v;

            repr_ws(r);
            if (*r->s != '\'' && *r->s != '"') break;
            k = repr_string(r);
            if (!k || !repr_eat(r, ':') || !(v = repr_value(r))) {
                json_decref(k);
                break;
            }
            json_object_set_new(o, json_string_value(k), v);
            json_decref(k);
            if (repr_eat(r, ',')) continue;
            if (repr_eat(r, '}')) return o;
            break;
        }
        r->failed = 1;
        json_decref(o);
        return NULL;
    }
    case '[':
        ++r->s;
        return repr_seq(r, ']');
    case '(': {
        json_t *a;

        ++r->s;
        a = repr_seq(r, ')');
        return a ? json_pack("{s:o}", " t", a) : NULL;
    }
    case '\'':
    case '"':
        return repr_string(r);
    default:
        if (!strncmp(r->s, "True", 4)) { r->s += 4; return json_true(); }
        if (!strncmp(r->s, "False", 5)) { r->s += 5; return json_false(); }
        if (!strncmp(r->s, "None", 4)) { r->s += 4; return json_null(); }
        return repr_number(r);
    }
}

static json_t *from_repr(const char *text)
{
    repr_t r = { text, 0 };
    json_t *v = repr_value(&r);

    repr_ws(&r);
    if (!v || r.failed || *r.s) {
        json_decref(v);
        fail_msg("cannot read the repr %s", text);
    }
    return v;
}

typedef struct {
    char secret[128];
    apr_int64_t timestamp;
    char cookie[8192];
    json_t *data;
} vector_t;

/* Read every vector; returns how many (at most `max`). */
static int read_vectors(apr_pool_t *p, vector_t *vs, int max)
{
    const char *dir = getenv("CTX_TEST_DATA");
    char *path, line[16384];
    FILE *f;
    int n = 0;

    if (!dir || !*dir) {
        /* not under make check: beside this source file */
        char *src = apr_pstrdup(p, __FILE__), *slash = strrchr(src, '/');

        if (slash) {
            *slash = '\0';
        }
        dir = apr_pstrcat(p, slash ? src : ".", "/../data", NULL);
    }
    path = apr_pstrcat(p, dir, "/flask-session-vectors.jsonl", NULL);
    f = fopen(path, "r");
    if (!f) {
        fail_msg("cannot open %s", path);
    }
    while (n < max && fgets(line, sizeof(line), f)) {
        json_error_t err;
        json_t *o;
        const char *secret, *cookie, *repr;
        json_int_t ts;

        if (line[strspn(line, " \t\r\n")] == '\0') {
            continue;
        }
        o = json_loads(line, 0, &err);
        if (!o || json_unpack(o, "{s:s, s:I, s:s, s:s}", "secret", &secret,
                              "timestamp", &ts, "cookie", &cookie,
                              "data_repr", &repr) != 0) {
            fclose(f);
            fail_msg("bad vector line %d: %s", n + 1, line);
        }
        snprintf(vs[n].secret, sizeof(vs[n].secret), "%s", secret);
        snprintf(vs[n].cookie, sizeof(vs[n].cookie), "%s", cookie);
        vs[n].timestamp = ts;
        vs[n].data = from_repr(repr);
        json_decref(o);
        ++n;
    }
    fclose(f);
    return n;
}

static void free_vectors(vector_t *vs, int n)
{
    for (int i = 0; i < n; ++i) {
        json_decref(vs[i].data);
    }
}


static void test_codec_flask_vectors_decode_to_their_data(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    vector_t *vs = apr_pcalloc(p, 32 * sizeof(*vs));
    int n = read_vectors(p, vs, 32);

    assert_true(n >= 6);
    for (int i = 0; i < n; ++i) {
        ctx_codec_t c = codec_of(CTX_FORMAT_FLASK,
                                 keyring(p, vs[i].secret, NULL));
        json_t *data = NULL;
        apr_int64_t issued = 0;
        int k = -1;

        c.max_age = 31 * 24 * 3600;
        assert_reason(dec(&c, p, vs[i].cookie, strlen(vs[i].cookie),
                          vs[i].timestamp, &data, &issued, &k),
                      CTX_REASON_OK);
        assert_json_equal(data, vs[i].data);
        assert_int_equal(issued, vs[i].timestamp);
        assert_int_equal(k, 0);
        json_decref(data);
    }
    free_vectors(vs, n);
    counts_check();
}

static void test_codec_flask_vectors_reencode_byte_identical(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    vector_t *vs = apr_pcalloc(p, 32 * sizeof(*vs));
    int n = read_vectors(p, vs, 32);

    assert_true(n >= 6);
    for (int i = 0; i < n; ++i) {
        ctx_codec_t c = codec_of(CTX_FORMAT_FLASK,
                                 keyring(p, vs[i].secret, NULL));
        json_t *data = NULL;
        const char *again;

        c.max_age = 31 * 24 * 3600;
        /* from the data Flask had */
        assert_string_equal(enc(&c, p, vs[i].data, vs[i].timestamp),
                            vs[i].cookie);
        /* and from what the decoder made of the cookie */
        assert_reason(dec(&c, p, vs[i].cookie, strlen(vs[i].cookie),
                          vs[i].timestamp, &data, NULL, NULL), CTX_REASON_OK);
        again = enc(&c, p, data, vs[i].timestamp);
        assert_string_equal(again, vs[i].cookie);
        json_decref(data);
    }
    free_vectors(vs, n);
}

static void test_codec_flask_vectors_expire_after_max_age(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    vector_t *vs = apr_pcalloc(p, 32 * sizeof(*vs));
    int n = read_vectors(p, vs, 32);

    for (int i = 0; i < n; ++i) {
        ctx_codec_t c = codec_of(CTX_FORMAT_FLASK,
                                 keyring(p, vs[i].secret, NULL));

        c.max_age = 31 * 24 * 3600;
        assert_reason(dec_str(&c, p, vs[i].cookie,
                              vs[i].timestamp + c.max_age), CTX_REASON_OK);
        assert_reason(dec_str(&c, p, vs[i].cookie,
                              vs[i].timestamp + c.max_age + 1),
                      CTX_REASON_EXPIRED);
    }
    free_vectors(vs, n);
    counts_check();
}

static void test_codec_flask_vectors_verify_only_with_their_secret(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    vector_t *vs = apr_pcalloc(p, 32 * sizeof(*vs));
    int n = read_vectors(p, vs, 32);

    for (int i = 0; i < n; ++i) {
        ctx_codec_t wrong = codec_of(CTX_FORMAT_FLASK,
                                     keyring(p, "not-the-secret", NULL));
        ctx_codec_t rotated = codec_of(CTX_FORMAT_FLASK,
                                       keyring(p, "new-secret", vs[i].secret,
                                               NULL));
        int k = -1;

        wrong.max_age = rotated.max_age = 31 * 24 * 3600;
        assert_reason(dec_str(&wrong, p, vs[i].cookie, vs[i].timestamp),
                      CTX_REASON_BAD_SIGNATURE);
        assert_reason(dec(&rotated, p, vs[i].cookie, strlen(vs[i].cookie),
                          vs[i].timestamp, NULL, NULL, &k), CTX_REASON_OK);
        assert_int_equal(k, 1);
    }
    free_vectors(vs, n);
    counts_check();
}

static void test_codec_flask_reference_worked_example(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK, keyring(p, "dev", NULL));
    json_t *data = json_pack("{s:i}", "a", 1);

    assert_string_equal(enc(&c, p, data, T0),
                        "eyJhIjoxfQ.ZVPxAA.D3QXMI0ZQYNZDxORB__kVZyT7hk");
    assert_string_equal(make_flask(p, "dev", "eyJhIjoxfQ", "ZVPxAA"),
                        "eyJhIjoxfQ.ZVPxAA.D3QXMI0ZQYNZDxORB__kVZyT7hk");
    json_decref(data);
}

/* Cookies Flask 3.1.3 wrote (secret "s3cr3t-key-for-vectors", time
 * 1750000000) and the session JSON it serialized. */
static const struct {
    const char *json, *cookie;
} flask_more[] = {
    { "{\"B\":true,\"_\":null,\"esc\":\"quote\\\" back\\\\ slash/ nl\\n cr\\r "
      "tab\\t bs\\b ff\\f ctl\\u0001\\u001f del\\u007f\",\"uni\":\"\\u00e9 "
      "\\u2603 \\ud83d\\ude00 \\uffff \\udbff\\udfff \\u2028\"}",
      ".eJwljEsKAjEQRK_S9DpgTwZ0zNJzNEg-HRRDxEl6Jd7dRGvxileLeuMFXd9VDF7RVS3FoLSI"
      "Dl_67MIIwccHM7Ti2-0AtXCFuPMO3QfuEBoHyJkzxF5YiWiZXDIk-fkpo0Gt9_E4Vc7Aao-0"
      "jkrbmgaFaEgemVsYZ5r-Yslu-PkCvYsz5w.aE7hgA.DhTn9MZmrkNOHBAWvj7jnKMNR-I" },
    { "{\"f\":[1.0,2.5,1e+20,1e-07,0.1,-0.0,1e+16,1000000000000000.0,"
      "123456789.125,0.30000000000000004,5e-324,1.7976931348623157e+308,"
      "0.3333333333333333],\"n\":[0,-1,9223372036854775807,"
      "-9223372036854775808]}",
      ".eJxlTrkNwzAM3EWtSIKPKFJeJXCplF7AyO6RyjhXHHAfcHd5l-MlxKDkILMqL0YOYBJApi2r"
      "dBD-xQ7UmvfIQaK--vaoNPCJpg2EYkQfJtayq4nHrMa5Jw-cUK71hwEFhqpZKFtPbxGe6xT-"
      "m3l-vqbVKMg.aE7hgA.abOM96MjDOb4UxBeuzZA5cq_WBc" },
    { "{\"a\":[[{\"x\":[true,false,null],\"y\":1}]],\"z\":{\"a\":{\"c\":{},"
      "\"d\":[]},\"b\":1}}",
      ".eJyrVkpUsoqOrlaqAFIlRaWpOmmJOcWpOnmlOTmxOkqVSlaGtbFARpWSVTVIabVSMpCo1VFK"
      "AaqPBdJJIBW1AC1uFe8.aE7hgA.J3_IR2z5aDz3IlMSbK5PMeAJKfw" },
    { "{\"\":7,\" t\":9,\"Z\":3,\"a\":6,\"a b\":8,\"z\":2,\"\\u00e9\":1,"
      "\"\\uffff\":5,\"\\ud83d\\ude00\":4}",
      ".eJwVxrkNgDAQBdFWrIk3WG77l4JIQDYVQAKid-wJnuYFLUa4UDJWNBg7mqvhQNF4UG9st3tJ"
      "qGt71tDUNschV4s7Gr8fyQsThg.aE7hgA.PWjw3tLScXGm-aKVEb8aaImrUmA" },
    { "{\"_permanent\":true,\"items\":[\"item0\",\"item1\",\"item2\",\"item3\","
      "\"item4\",\"item5\",\"item6\",\"item7\",\"item8\",\"item9\",\"item10\","
      "\"item11\",\"item12\",\"item13\",\"item14\",\"item15\",\"item16\","
      "\"item17\",\"item18\",\"item19\",\"item20\",\"item21\",\"item22\","
      "\"item23\",\"item24\",\"item25\",\"item26\",\"item27\",\"item28\","
      "\"item29\",\"item30\",\"item31\",\"item32\",\"item33\",\"item34\","
      "\"item35\",\"item36\",\"item37\",\"item38\",\"item39\",\"item40\","
      "\"item41\",\"item42\",\"item43\",\"item44\",\"item45\",\"item46\","
      "\"item47\",\"item48\",\"item49\",\"item50\",\"item51\",\"item52\","
      "\"item53\",\"item54\",\"item55\",\"item56\",\"item57\",\"item58\","
      "\"item59\"]}",
      ".eJw90T0KAkEMQOG7pLYwf-ruVUTEYgqLXWQdK_HuguZN9YYUH0PyluujbcttbWuXuW-vtpN7"
      "b8tT5vPvsZf_QKtW9WpUs3qoHqun6oQzQESFVEwFVVSFVVwFVmRDtvFXZEM2ZEM2ZEM2ZEN2"
      "ZEf2sQZkR3ZkR3ZkR3bkQA7kQI6xYeRADuRADuRATuRETuREznE85ERO5ETOSS6fL-8RoEA."
      "aE7hgA.Q9NuzfE_kJRMtkU1rhKfSHzKlbM" },
    /* zlib saves exactly one byte: Flask keeps the JSON uncompressed */
    { "{\"k\":\"bccgbdbbaaadbdcbafhecaabefcjbhcachhgfccflaegd\"}",
      "eyJrIjoiYmNjZ2JkYmJhYWFkYmRjYmFmaGVjYWFiZWZjamJoY2FjaGhnZmNjZmxhZWdkIn0."
      "aE7hgA.atOTnNB1jObZv0i5LJa0nODMOjM" },
    /* zlib saves two bytes: compressed */
    { "{\"k\":\"ccfhhadafkefbcbacbgbdibiffdabfajcadfjcjbggbgab\"}",
      ".eJwFwQERACAIA8AuxLDNNhyKETy7-3_jxAjJayHhM00RYjE3t52g0UK61axigfE-HQIUNw."
      "aE7hgA.s6z030JmNUYdmh5AaCaUkhxQh50" },
};

static void test_codec_more_flask_cookies_round_trip_exactly(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK,
                             keyring(p, "s3cr3t-key-for-vectors", NULL));

    for (size_t i = 0; i < sizeof(flask_more) / sizeof(flask_more[0]); ++i) {
        json_t *want = json_loads(flask_more[i].json, 0, NULL), *got = NULL;

        assert_non_null(want);
        assert_reason(dec(&c, p, flask_more[i].cookie,
                          strlen(flask_more[i].cookie), 1750000000, &got, NULL,
                          NULL), CTX_REASON_OK);
        assert_json_equal(got, want);
        assert_string_equal(enc(&c, p, want, 1750000000), flask_more[i].cookie);
        assert_string_equal(enc(&c, p, got, 1750000000), flask_more[i].cookie);
        json_decref(want);
        json_decref(got);
    }
    counts_check();
}

static void test_codec_flask_session_with_nul_string_is_bad_json(void **state)
{
    /* Flask 3.1.3 wrote this for {"s": "a\x00b"}; ctx_json refuses NUL in
     * strings (documented), so mod_ctx treats it as no session. */
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK,
                             keyring(p, "s3cr3t-key-for-vectors", NULL));

    assert_reason(dec_str(&c, p, "eyJzIjoiYVx1MDAwMGIifQ.aE7hgA."
                          "WkE-2ZaGm0NjfoyOjnqwaeAzzQ4", 1750000000),
                  CTX_REASON_BAD_JSON);
    counts_check();
}

static void test_codec_flask_accepts_any_key_order_whitespace_and_zlib(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK, keyring(p, "dev", NULL));
    static const char json[] = "{ \"z\" : 1 ,\n \"a\" : [ true ] }";
    const char *ts = ts_text(p, T0);
    const char *payloads[] = {
        b64(p, json, sizeof(json) - 1),
        zpayload(p, json, sizeof(json) - 1, 0, 15),     /* stored blocks */
        zpayload(p, json, sizeof(json) - 1, 9, 15),
        zpayload(p, json, sizeof(json) - 1, 1, 9),      /* small window */
    };
    json_t *want = json_pack("{s:i, s:[b]}", "z", 1, "a", 1);

    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); ++i) {
        json_t *got = NULL;
        const char *v = make_flask(p, "dev", payloads[i], ts);

        assert_reason(dec(&c, p, v, strlen(v), T0, &got, NULL, NULL),
                      CTX_REASON_OK);
        assert_json_equal(got, want);
        /* re-encoded the way Flask writes it: sorted, compact */
        assert_string_equal(enc(&c, p, got, T0),
                            make_flask(p, "dev",
                                       flask_payload(p, "{\"a\":[true],\"z\":1}",
                                                     18), ts));
        json_decref(got);
    }
    json_decref(want);
    counts_check();
}

static void test_codec_flask_ignores_the_cookie_name(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_keyring_t *kr = keyring(p, "dev", NULL);
    ctx_codec_t a = codec_of(CTX_FORMAT_FLASK, kr), b = a;
    json_t *data = json_pack("{s:s}", "k", "v");
    const char *va, *vb;

    b.cookie_name = "other";
    va = enc(&a, p, data, T0);
    vb = enc(&b, p, data, T0);
    assert_string_equal(va, vb);
    assert_reason(dec_str(&b, p, va, T0), CTX_REASON_OK);
    json_decref(data);
}

static void test_codec_flask_unknown_tags_are_carried_through(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK, keyring(p, "dev", NULL));
    static const char json[] = "{\"d\":{\" d\":\"Tue, 02 Jan 2024 03:04:05 GMT\"},"
                               "\"m\":{\" m\":\"<b>x</b>\"},\"u\":{\" u\":"
                               "\"0123456789abcdef0123456789abcdef\"},"
                               "\"w\":{\" zz\":[1,{\" t\":[]}]}}";
    const char *v = make_flask(p, "dev", b64(p, json, sizeof(json) - 1),
                               ts_text(p, T0));
    json_t *got = NULL;

    assert_reason(dec(&c, p, v, strlen(v), T0, &got, NULL, NULL),
                  CTX_REASON_OK);
    assert_string_equal(enc(&c, p, got, T0),
                        make_flask(p, "dev",
                                   flask_payload(p, json, sizeof(json) - 1),
                                   ts_text(p, T0)));
    json_decref(got);
}

/* The flask format has no room for a creation time but the session: with
 * max_lifetime it is the integer "_ctx_created", visible to Flask, which
 * keeps it; without, nothing is added (Flask's bytes stay Flask's). */
static void test_codec_flask_keeps_creation_in_ctx_created(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_codec_t c = codec_of(CTX_FORMAT_FLASK, keyring(p, "dev", NULL));
    json_t *data = json_pack("{s:i}", "a", 1);
    const char *v = NULL, *json;
    ctx_codec_meta_t m;
    json_t *back = NULL;

    /* no lifetime: exactly Flask's cookie, creation = issue time */
    assert_int_equal(ctx_codec_encode(&c, p, data, T0, T0 - 50, &v, NULL),
                     APR_SUCCESS);
    assert_string_equal(v, "eyJhIjoxfQ.ZVPxAA.D3QXMI0ZQYNZDxORB__kVZyT7hk");
    assert_reason(dec_meta(&c, p, v, strlen(v), T0, NULL, &m), CTX_REASON_OK);
    assert_int_equal(m.created, T0);

    c.max_lifetime = 100;
    assert_int_equal(ctx_codec_encode(&c, p, data, T0, T0 - 50, &v, NULL),
                     APR_SUCCESS);
    json = apr_psprintf(p, "{\"_ctx_created\":%d,\"a\":1}", T0 - 50);
    assert_string_equal(v, make_flask(p, "dev", flask_payload(p, json,
                                                              strlen(json)),
                                      ts_text(p, T0)));
    assert_reason(dec_meta(&c, p, v, strlen(v), T0 + 50, &back, &m),
                  CTX_REASON_OK);
    assert_int_equal(m.created, T0 - 50);
    assert_int_equal(json_integer_value(json_object_get(back, "_ctx_created")),
                     T0 - 50);
    json_decref(back);
    assert_reason(dec_str(&c, p, v, T0 + 51), CTX_REASON_LIFETIME);

    /* a cookie Flask made, without the key: created when issued */
    v = make_flask(p, "dev", "eyJhIjoxfQ", ts_text(p, T0));
    assert_reason(dec_meta(&c, p, v, strlen(v), T0 + 100, NULL, &m),
                  CTX_REASON_OK);
    assert_int_equal(m.created, T0);
    /* a value that cannot be a creation time counts as none */
    json = apr_psprintf(p, "{\"_ctx_created\":%d,\"a\":1}", T0 + 5);
    v = make_flask(p, "dev", b64(p, json, strlen(json)), ts_text(p, T0));
    assert_reason(dec_meta(&c, p, v, strlen(v), T0, NULL, &m), CTX_REASON_OK);
    assert_int_equal(m.created, T0);
    json_decref(data);
    counts_check();
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        CODEC_TEST(test_codec_flask_vectors_decode_to_their_data),
        CODEC_TEST(test_codec_flask_vectors_reencode_byte_identical),
        CODEC_TEST(test_codec_flask_vectors_expire_after_max_age),
        CODEC_TEST(test_codec_flask_vectors_verify_only_with_their_secret),
        CODEC_TEST(test_codec_flask_reference_worked_example),
        CODEC_TEST(test_codec_more_flask_cookies_round_trip_exactly),
        CODEC_TEST(test_codec_flask_session_with_nul_string_is_bad_json),
        CODEC_TEST(test_codec_flask_accepts_any_key_order_whitespace_and_zlib),
        CODEC_TEST(test_codec_flask_ignores_the_cookie_name),
        CODEC_TEST(test_codec_flask_unknown_tags_are_carried_through),
        CODEC_TEST(test_codec_flask_keeps_creation_in_ctx_created),
    };

    return UNIT_RUN(tests);
}
