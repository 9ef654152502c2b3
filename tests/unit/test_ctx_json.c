/* Unit tests of ctx_json: Flask-exact serialization and strict parsing.
 *
 * Expected texts come from Python 3 (json.dumps(v, separators=(",", ":"),
 * sort_keys=True, ensure_ascii=True), as Flask's session serializer calls
 * it, and repr(float)); values are built with jansson's own API or parsed
 * with jansson's own reader, independently of the code under test. */
#include <math.h>

#include "unit.h"

#include "ctx_json.h"

/* ---- helpers --------------------------------------------------------------- */

/* A value from jansson's reader (not ctx_json_parse). */
static json_t *jload(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

    if (!v) {
        fail_msg("jansson refused %s: %s", text, err.text);
    }
    return v;
}

/* ctx_json_dump(v) must be exactly `want`; v is released. */
static void assert_dumps(apr_pool_t *p, json_t *v, const char *want)
{
    apr_size_t len = 12345;
    char *got;

    assert_non_null(v);
    got = ctx_json_dump(p, v, &len);
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
    json_decref(v);
}

static json_t *parse_str(const char *text)
{
    return ctx_json_parse(text, strlen(text));
}

static void assert_parse_refused_n(const char *text, apr_size_t len)
{
    json_t *v = ctx_json_parse(text, len);

    if (v) {
        char *s = json_dumps(v, JSON_ENCODE_ANY);

        json_decref(v);
        fail_msg("accepted \"%.*s\" as %s", (int)len, text, s ? s : "?");
    }
}

static void assert_parse_refused(const char *text)
{
    assert_parse_refused_n(text, strlen(text));
}

/* ctx_json_parse(text) must equal jansson's reading of `same`. */
static void assert_parses_as(const char *text, const char *same)
{
    json_t *got = parse_str(text), *want = jload(same);

    if (!got) {
        json_decref(want);
        fail_msg("refused %s", text);
    }
    if (!json_equal(got, want)) {
        json_decref(got);
        json_decref(want);
        fail_msg("%s parsed differently from %s", text, same);
    }
    json_decref(got);
    json_decref(want);
}

static void assert_parsed_string(const char *text, const char *bytes,
                                 apr_size_t n)
{
    json_t *v = parse_str(text);

    if (!v) {
        fail_msg("refused %s", text);
    }
    assert_true(json_is_string(v));
    assert_int_equal(json_string_length(v), n);
    assert_memory_equal(json_string_value(v), bytes, n);
    json_decref(v);
}

/* n nested arrays (or objects {"k": ...}) around 0. */
static char *nested(apr_pool_t *p, int n, int objects)
{
    char *s = apr_palloc(p, (apr_size_t)n * 6 + 2), *o = s;

    for (int i = 0; i < n; ++i) {
        if (objects) {
            memcpy(o, "{\"k\":", 5);
            o += 5;
        }
        else {
            *o++ = '[';
        }
    }
    *o++ = '0';
    for (int i = 0; i < n; ++i) {
        *o++ = objects ? '}' : ']';
    }
    *o = '\0';
    return s;
}

/* ---- dump: layout ---------------------------------------------------------- */

static void test_json_dump_is_compact_with_sorted_keys(void **state)
{
    json_t *v = json_pack("{s:i, s:s, s:[i,i], s:{s:b, s:n}}", "zeta", 1,
                          "alpha", "x", "mid", 1, 2, "obj", "b", 1, "a");

    assert_dumps(UNIT_POOL(state), v,
                 "{\"alpha\":\"x\",\"mid\":[1,2],\"obj\":{\"a\":null,\"b\":true},"
                 "\"zeta\":1}");
}

static void test_json_dump_sorts_keys_by_code_point(void **state)
{
    /* Flask 3.1.3 wrote this for {"é":1, "z":2, "Z":3, "😀":4, "\uffff":5,
     * "a":6, "":7, "a b":8, " t":9}: "\uffff" sorts before U+1F600 (code
     * points, not UTF-16 units), "a" before "a b". */
    json_t *v = json_object();

    json_object_set_new(v, "\xc3\xa9", json_integer(1));
    json_object_set_new(v, "z", json_integer(2));
    json_object_set_new(v, "Z", json_integer(3));
    json_object_set_new(v, "\xf0\x9f\x98\x80", json_integer(4));
    json_object_set_new(v, "\xef\xbf\xbf", json_integer(5));
    json_object_set_new(v, "a", json_integer(6));
    json_object_set_new(v, "", json_integer(7));
    json_object_set_new(v, "a b", json_integer(8));
    json_object_set_new(v, " t", json_integer(9));
    assert_dumps(UNIT_POOL(state), v,
                 "{\"\":7,\" t\":9,\"Z\":3,\"a\":6,\"a b\":8,\"z\":2,"
                 "\"\\u00e9\":1,\"\\uffff\":5,\"\\ud83d\\ude00\":4}");
}

static void test_json_dump_sorts_nested_objects(void **state)
{
    /* Flask: {"z": {"b": 1, "a": {"d": [], "c": {}}},
     *         "a": [[{"y": 1, "x": [True, False, None]}]]} */
    json_t *v = jload("{\"z\":{\"b\":1,\"a\":{\"d\":[],\"c\":{}}},"
                      "\"a\":[[{\"y\":1,\"x\":[true,false,null]}]]}");

    assert_dumps(UNIT_POOL(state), v,
                 "{\"a\":[[{\"x\":[true,false,null],\"y\":1}]],"
                 "\"z\":{\"a\":{\"c\":{},\"d\":[]},\"b\":1}}");
}

static void test_json_dump_empty_and_scalar_values(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    assert_dumps(p, json_object(), "{}");
    assert_dumps(p, json_array(), "[]");
    assert_dumps(p, json_string(""), "\"\"");
    assert_dumps(p, json_string("x"), "\"x\"");
    assert_dumps(p, json_integer(5), "5");
    assert_dumps(p, json_true(), "true");
    assert_dumps(p, json_false(), "false");
    assert_dumps(p, json_null(), "null");
    assert_dumps(p, json_pack("[[],{},[[]]]"), "[[],{},[[]]]");
}

static void test_json_dump_integers_like_python(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    assert_dumps(p, json_pack("[I,I,I,I]", (json_int_t)0, (json_int_t)-1,
                              (json_int_t)INT64_MAX, (json_int_t)INT64_MIN),
                 "[0,-1,9223372036854775807,-9223372036854775808]");
}

/* ---- dump: strings ----------------------------------------------------------- */

static void test_json_dump_escapes_like_python_ensure_ascii(void **state)
{
    /* Flask 3.1.3's text for this value, byte for byte. */
    json_t *v = json_object();

    json_object_set_new(v, "esc", json_string(
        "quote\" back\\ slash/ nl\n cr\r tab\t bs\b ff\f ctl\x01\x1f del\x7f"));
    json_object_set_new(v, "uni", json_string(
        "\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf "
        "\xe2\x80\xa8"));
    json_object_set_new(v, "B", json_true());
    json_object_set_new(v, "_", json_null());
    assert_dumps(UNIT_POOL(state), v,
                 "{\"B\":true,\"_\":null,\"esc\":\"quote\\\" back\\\\ slash/ "
                 "nl\\n cr\\r tab\\t bs\\b ff\\f ctl\\u0001\\u001f del\\u007f\","
                 "\"uni\":\"\\u00e9 \\u2603 \\ud83d\\ude00 \\uffff "
                 "\\udbff\\udfff \\u2028\"}");
}

static void test_json_dump_escapes_every_control_character(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    for (int c = 1; c < 0x20; ++c) {
        char in[2] = { (char)c, 0 }, want[16];

        switch (c) {
        case '\b': strcpy(want, "\"\\b\""); break;
        case '\t': strcpy(want, "\"\\t\""); break;
        case '\n': strcpy(want, "\"\\n\""); break;
        case '\f': strcpy(want, "\"\\f\""); break;
        case '\r': strcpy(want, "\"\\r\""); break;
        default: snprintf(want, sizeof(want), "\"\\u%04x\"", c);
        }
        assert_dumps(p, json_string(in), want);
    }
}

static void test_json_dump_utf8_boundaries_as_lowercase_escapes(void **state)
{
    /* Python: json.dumps("\x00a\U00010000\U0010ffff\x80\u07ff\u0800\x7f
     * </script>") */
    static const char in[] = "\0a\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\xc2\x80"
                             "\xdf\xbf\xe0\xa0\x80\x7f</script>";

    assert_dumps(UNIT_POOL(state), json_stringn(in, sizeof(in) - 1),
                 "\"\\u0000a\\ud800\\udc00\\udbff\\udfff\\u0080\\u07ff"
                 "\\u0800\\u007f</script>\"");
}

static void test_json_dump_escapes_keys_too(void **state)
{
    json_t *v = json_object();

    json_object_set_new(v, "k\"\\\n\xc3\xa9", json_integer(1));
    assert_dumps(UNIT_POOL(state), v, "{\"k\\\"\\\\\\n\\u00e9\":1}");
}

/* More keys than the writer sorts on its stack, and text that outgrows its
 * stack buffer in the middle of a value: the same bytes as jansson's own
 * sorted compact dump (the keys are ASCII, so the two orders agree). */
static void test_json_dump_many_keys_past_the_inline_buffer(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    json_t *o = json_object();
    char key[16], val[64];
    char *got, *want;
    apr_size_t len = 0;

    for (int i = 99; i >= 0; --i) {          /* inserted in reverse order */
        snprintf(key, sizeof(key), "k%02d", i);
        snprintf(val, sizeof(val), "value number %d of a long session", i);
        json_object_set_new(o, key, i % 3 ? json_string(val)
                                          : json_integer(-1000000007LL * i));
    }
    got = ctx_json_dump(p, o, &len);
    want = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(got);
    assert_non_null(want);
    assert_true(strlen(want) > 2048);
    assert_int_equal(len, strlen(want));
    assert_string_equal(got, want);
    free(want);
    json_decref(o);
}

static void test_json_dump_long_string_unchanged(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_size_t n = 20000;
    char *s = apr_palloc(p, n + 1), *want = apr_palloc(p, n + 3);

    for (apr_size_t i = 0; i < n; ++i) {
        s[i] = (char)('#' + i % 90);        /* printable, after '"' */
        if (s[i] == '\\') {
            s[i] = 'x';
        }
    }
    s[n] = '\0';
    want[0] = '"';
    memcpy(want + 1, s, n);
    want[n + 1] = '"';
    want[n + 2] = '\0';
    assert_dumps(p, json_string(s), want);
}

/* ---- dump: floats ---------------------------------------------------------- */

typedef struct {
    const char *repr;
    double d;
} float_case_t;

/* repr(d) in Python 3. */
static const float_case_t float_cases[] = {
    { "1.0", 1.0 },
    { "2.5", 2.5 },
    { "1e+20", 1e20 },
    { "1e-07", 1e-07 },
    { "0.1", 0.1 },
    { "-0.0", -0.0 },
    { "0.0", 0.0 },
    { "1e+16", 1e16 },
    { "1000000000000000.0", 1e15 },
    { "123456789.125", 123456789.125 },
    { "0.30000000000000004", 0x1.3333333333334p-2 },
    { "5e-324", 0x0.0000000000001p-1022 },
    { "-5e-324", -0x0.0000000000001p-1022 },
    { "1.5e-323", 0x0.0000000000003p-1022 },
    { "1.7976931348623157e+308", 0x1.fffffffffffffp+1023 },
    { "2.2250738585072014e-308", 0x1.0000000000000p-1022 },
    { "0.3333333333333333", 0x1.5555555555555p-2 },
    { "0.14285714285714285", 0x1.2492492492492p-3 },
    { "1e-05", 0x1.4f8b588e368f1p-17 },
    { "0.0001", 0x1.a36e2eb1c432dp-14 },
    { "0.001", 0x1.0624dd2f1a9fcp-10 },
    { "1.5e-07", 0x1.421f5f40d8376p-23 },
    { "9.5367431640625e-07", 0x1.0000000000000p-20 },
    { "1.2345678901234567e+19", 0x1.56a95319d63e1p+63 },
    { "9.223372036854776e+18", 0x1.0000000000000p+63 },
    { "100.0", 100.0 },
    { "0.5", 0.5 },
    { "-1.5", -1.5 },
    { "4.35", 0x1.1666666666666p+2 },
    { "1e+22", 0x1.0f0cf064dd592p+73 },
    { "1e+23", 0x1.52d02c7e14af6p+76 },
    { "9007199254740992.0", 0x1.0000000000000p+53 },
    { "9999999999999998.0", 0x1.1c37937e07fffp+53 },
    { "0.7999999999999999", 0x1.9999999999999p-1 },
    /* powers of two whose nearest 16-digit decimal lies below, outside
     * their (narrower) lower half-interval, while the next one above reads
     * back: Python 3 repr */
    { "7.120236347223045e-307", 0x1p-1017 },
    { "7.291122019556398e-304", 0x1p-1007 },
    { "8.209073602596753e-289", 0x1p-957 },
};

static void test_json_format_double_like_python_repr(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(float_cases) / sizeof(float_cases[0]); ++i) {
        char buf[32];
        apr_size_t n;

        memset(buf, 'X', sizeof(buf));
        n = ctx_json_format_double(buf, float_cases[i].d);
        if (n != strlen(float_cases[i].repr)
            || strcmp(buf, float_cases[i].repr) != 0) {
            fail_msg("%a: got \"%s\" (%zu), want \"%s\"", float_cases[i].d,
                     buf, (size_t)n, float_cases[i].repr);
        }
    }
}

/* Fails unless the formatter's text for `d` reads back as `d` and is the
 * shortest that does: with n significant digits, no decimal of n - 1
 * digits near it reads back (checked with integer mantissas, not with the
 * formatter). */
static void assert_shortest(double d)
{
    char buf[64], near[64], *x;
    int n = 0, exp10;
    unsigned long long m;

    assert_true(ctx_json_format_double(buf, d) > 0);
    assert_true(strtod(buf, NULL) == d);
    /* significant digits of buf: "7.12e-307", "1024.0", "0.0625" */
    for (x = buf; *x && *x != 'e'; ++x) {
        if (*x >= '1' && *x <= '9') break;
    }
    for (char *y = x; *y && *y != 'e'; ++y) {
        if (*y >= '0' && *y <= '9') ++n;
    }
    if (!strchr(buf, 'e')) {
        /* "1024.0" counts its trailing zeros: drop them */
        char *end = buf + strlen(buf) - 1;

        while (end > x && (*end == '0' || *end == '.')) {
            if (*end == '0') --n;
            --end;
        }
    }
    if (n <= 1) {
        return;
    }
    snprintf(near, sizeof(near), "%.*e", n - 2, fabs(d));
    exp10 = atoi(strchr(near, 'e') + 1) - (n - 2);
    m = 0;
    for (x = near; *x != 'e'; ++x) {
        if (*x >= '0' && *x <= '9') m = m * 10 + (unsigned)(*x - '0');
    }
    for (int k = -1; k <= 1; ++k) {
        char alt[64];

        snprintf(alt, sizeof(alt), "%s%llue%d", d < 0 ? "-" : "",
                 m + (unsigned long long)k, exp10);
        if (strtod(alt, NULL) == d) {
            fail_msg("%a: \"%s\" has %d digits, but \"%s\" reads back",
                     d, buf, n, alt);
        }
    }
}

/* Every power of two (their interval is twice as wide above as below) gets
 * the shortest text that reads back. */
static void test_json_format_double_shortest_for_powers_of_two(void **state)
{
    (void)state;
    for (int e = -1074; e <= 1023; ++e) {
        assert_shortest(ldexp(1.0, e));
        assert_shortest(-ldexp(1.0, e));
    }
}

/* A double needs at most 17 digits; finding how many may not cost a text
 * per digit count (a session of such numbers, re-serialized on every
 * change, cost ~100 times a plain request): a few, found by halving. */
static void test_json_format_double_tries_few_digit_counts(void **state)
{
    static const double hard[] = { 0x1.3333333333334p-2, 0x1p-1017,
                                   0x1.7fffffffffffp-997, 1.2345678901234567e-300,
                                   0x1.fffffffffffffp+1023, 0.1 };

    (void)state;
    for (size_t i = 0; i < sizeof(hard) / sizeof(hard[0]); ++i) {
        apr_uint32_t before = ctx_json_double_tries();

        assert_shortest(hard[i]);
        /* assert_shortest formats once */
        if (ctx_json_double_tries() - before > 6) {
            fail_msg("%a: %u texts tried", hard[i],
                     (unsigned)(ctx_json_double_tries() - before));
        }
    }
}

static void test_json_dump_floats_in_a_value(void **state)
{
    /* The "numbers" session Flask 3.1.3 wrote. */
    json_t *v = json_pack("{s:[f,f,f,f,f,f,f,f,f,f,f,f,f],s:[I,I,I,I]}",
                          "f", 1.0, 2.5, 1e20, 1e-07, 0.1, -0.0, 1e16, 1e15,
                          123456789.125, 0x1.3333333333334p-2,
                          0x0.0000000000001p-1022, 0x1.fffffffffffffp+1023,
                          0x1.5555555555555p-2, "n", (json_int_t)0,
                          (json_int_t)-1, (json_int_t)INT64_MAX,
                          (json_int_t)INT64_MIN);

    assert_dumps(UNIT_POOL(state), v,
                 "{\"f\":[1.0,2.5,1e+20,1e-07,0.1,-0.0,1e+16,"
                 "1000000000000000.0,123456789.125,0.30000000000000004,5e-324,"
                 "1.7976931348623157e+308,0.3333333333333333],"
                 "\"n\":[0,-1,9223372036854775807,-9223372036854775808]}");
}

static void test_json_format_double_refuses_nan_and_infinity(void **state)
{
    char buf[32];

    (void)state;
    assert_int_equal(ctx_json_format_double(buf, NAN), 0);
    assert_int_equal(ctx_json_format_double(buf, INFINITY), 0);
    assert_int_equal(ctx_json_format_double(buf, -INFINITY), 0);
}

/* For many doubles: the text reads back exactly, fits the documented 32
 * bytes, and always looks like a float (Python never writes "1" for 1.0). */
static void test_json_format_double_round_trips(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL;

    (void)state;
    for (int i = 0; i < 20000; ++i) {
        double d;
        char buf[64];
        apr_size_t n;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(&d, &x, sizeof(d));
        if (isnan(d) || isinf(d)) {
            continue;
        }
        n = ctx_json_format_double(buf, d);
        assert_true(n > 0 && n < 32);
        assert_int_equal(strlen(buf), n);
        if (strtod(buf, NULL) != d) {
            fail_msg("%a written as %s", d, buf);
        }
        assert_true(strpbrk(buf, ".e") != NULL);
        assert_null(strchr(buf, 'E'));
        if (i < 2000) {
            assert_shortest(d);
        }
    }
}

static void test_json_dump_null_is_null(void **state)
{
    apr_size_t len = 7;

    assert_null(ctx_json_dump(UNIT_POOL(state), NULL, &len));
}

static void test_json_dump_without_len_pointer(void **state)
{
    json_t *v = json_pack("{s:i}", "a", 1);
    char *s = ctx_json_dump(UNIT_POOL(state), v, NULL);

    assert_non_null(s);
    assert_string_equal(s, "{\"a\":1}");
    json_decref(v);
}

/* ---- parse: accepted ----------------------------------------------------- */

static void test_json_parse_accepts_any_key_order_and_whitespace(void **state)
{
    (void)state;
    assert_parses_as(" \t\r\n{ \"b\" : [ 1 , 2 ] ,\n\"a\" :{ } }\r\n ",
                     "{\"a\":{},\"b\":[1,2]}");
    assert_parses_as("{\"z\":1,\"a\":2}", "{\"a\":2,\"z\":1}");
}

static void test_json_parse_any_top_level_type(void **state)
{
    json_t *v;

    (void)state;
    assert_parses_as("[]", "[]");
    assert_parses_as("\"s\"", "\"s\"");
    assert_parses_as(" 7 ", "7");
    v = parse_str("true");
    assert_true(json_is_true(v));
    json_decref(v);
    v = parse_str("false");
    assert_true(json_is_false(v));
    json_decref(v);
    v = parse_str("null");
    assert_true(json_is_null(v));
    json_decref(v);
}

static void test_json_parse_number_types(void **state)
{
    json_t *v;

    (void)state;
    v = parse_str("1");
    assert_true(json_is_integer(v));
    assert_int_equal(json_integer_value(v), 1);
    json_decref(v);

    v = parse_str("1.0");
    assert_true(json_is_real(v));
    assert_true(json_real_value(v) == 1.0);
    json_decref(v);

    v = parse_str("1E2");
    assert_true(json_is_real(v));
    assert_true(json_real_value(v) == 100.0);
    json_decref(v);

    v = parse_str("-2.5e-3");
    assert_true(json_is_real(v));
    assert_true(json_real_value(v) == -0.0025);
    json_decref(v);

    v = parse_str("-0.0");
    assert_true(json_is_real(v));
    assert_true(json_real_value(v) == 0.0 && signbit(json_real_value(v)));
    json_decref(v);

    v = parse_str("-0");
    assert_true(json_is_integer(v));
    assert_int_equal(json_integer_value(v), 0);
    json_decref(v);

    v = parse_str("9223372036854775807");
    assert_true(json_is_integer(v));
    assert_true(json_integer_value(v) == INT64_MAX);
    json_decref(v);

    v = parse_str("-9223372036854775808");
    assert_true(json_is_integer(v));
    assert_true(json_integer_value(v) == INT64_MIN);
    json_decref(v);

    /* Underflow reads as 0.0, as Python's float("1e-400"). */
    v = parse_str("1e-400");
    assert_true(json_is_real(v));
    assert_true(json_real_value(v) == 0.0);
    json_decref(v);
}

static void test_json_parse_decodes_escapes(void **state)
{
    (void)state;
    assert_parsed_string("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
                         "\"\\/\b\f\n\r\t", 8);
    assert_parsed_string("\"\\u00e9\\u00E9\"", "\xc3\xa9\xc3\xa9", 4);
    assert_parsed_string("\"\\u0041\\u007f\\u0080\\u07ff\\u0800\\uffff\"",
                         "A\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 12);
    assert_parsed_string("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4);
    assert_parsed_string("\"\\ud800\\udc00\\udbff\\udfff\"",
                         "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 8);
    assert_parsed_string("\"\"", "", 0);
}

static void test_json_parse_accepts_valid_raw_utf8(void **state)
{
    (void)state;
    assert_parsed_string("\"\xc3\xa9\"", "\xc3\xa9", 2);
    assert_parsed_string("\"\xe2\x98\x83\"", "\xe2\x98\x83", 3);
    assert_parsed_string("\"\xef\xbf\xbf\"", "\xef\xbf\xbf", 3);
    assert_parsed_string("\"\xf0\x9f\x98\x80\"", "\xf0\x9f\x98\x80", 4);
    assert_parsed_string("\"\xf4\x8f\xbf\xbf\"", "\xf4\x8f\xbf\xbf", 4);
    assert_parsed_string("\"\xed\x9f\xbf\"", "\xed\x9f\xbf", 3);     /* U+D7FF */
    assert_parsed_string("\"\xee\x80\x80\"", "\xee\x80\x80", 3);     /* U+E000 */
    assert_parsed_string("\"\x7f\"", "\x7f", 1);    /* DEL is not a control */
}

static void test_json_parse_reads_only_len_bytes(void **state)
{
    json_t *v;

    (void)state;
    v = ctx_json_parse("[1]garbage", 3);
    assert_non_null(v);
    assert_int_equal(json_array_size(v), 1);
    json_decref(v);
    v = ctx_json_parse("{\"a\":\"bc\"}", 10);
    assert_non_null(v);
    json_decref(v);
    assert_parse_refused_n("{\"a\":\"bc\"}", 9);
    assert_parse_refused_n("\"abc\"", 4);
}

static void test_json_parse_depth_64_is_accepted(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    json_t *v;

    v = parse_str(nested(p, 64, 0));
    assert_non_null(v);
    json_decref(v);
    v = parse_str(nested(p, 64, 1));
    assert_non_null(v);
    json_decref(v);
}

static void test_json_parse_refuses_depth_over_64(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    assert_parse_refused(nested(p, 65, 0));
    assert_parse_refused(nested(p, 65, 1));
    assert_parse_refused(nested(p, 1000, 0));
    assert_parse_refused(nested(p, 100000, 0));
}

/* ---- parse: refused ------------------------------------------------------ */

static void test_json_parse_refuses_duplicate_keys(void **state)
{
    (void)state;
    assert_parse_refused("{\"a\":1,\"a\":2}");
    assert_parse_refused("{\"a\":1,\"b\":2,\"a\":1}");
    assert_parse_refused("{\"x\":{\"a\":1,\"a\":2}}");
    assert_parse_refused("[{\"k\":null,\"k\":null}]");
    /* the same key after unescaping */
    assert_parse_refused("{\"a\":1,\"\\u0061\":2}");
    assert_parse_refused("{\"\\u00e9\":1,\"\xc3\xa9\":2}");
}

static void test_json_parse_refuses_trailing_garbage(void **state)
{
    (void)state;
    assert_parse_refused("{}x");
    assert_parse_refused("{} {}");
    assert_parse_refused("[1]]");
    assert_parse_refused("1 2");
    assert_parse_refused("truex");
    assert_parse_refused("{},");
    assert_parse_refused_n("{}\0", 3);
    assert_parse_refused_n("{} \0", 4);
    assert_parses_as("{} \n\t\r ", "{}");
}

static void test_json_parse_refuses_invalid_utf8(void **state)
{
    static const char *const bad[] = {
        "\"\x80\"",                 /* lone continuation */
        "\"\xbf\"",
        "\"\xc3\"",                 /* truncated */
        "\"\xc3(\"",
        "\"\xe2\x98\"",
        "\"\xf0\x9f\x98\"",
        "\"\xc0\x80\"",             /* overlong NUL */
        "\"\xc1\xbf\"",             /* overlong */
        "\"\xe0\x80\x80\"",
        "\"\xe0\x9f\xbf\"",
        "\"\xf0\x80\x80\x80\"",
        "\"\xf0\x8f\xbf\xbf\"",
        "\"\xed\xa0\x80\"",         /* encoded surrogates */
        "\"\xed\xbf\xbf\"",
        "\"\xed\xa0\xbd\xed\xb8\x80\"",   /* CESU-8 pair */
        "\"\xf4\x90\x80\x80\"",     /* > U+10FFFF */
        "\"\xf5\x80\x80\x80\"",
        "\"\xf8\x88\x80\x80\x80\"",
        "\"\xfe\"",
        "\"\xff\"",
        "{\"\xff\":1}",             /* in a key */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_parse_refused(bad[i]);
    }
}

static void test_json_parse_refuses_lone_surrogates(void **state)
{
    (void)state;
    assert_parse_refused("\"\\ud800\"");
    assert_parse_refused("\"\\udbff\"");
    assert_parse_refused("\"\\udc00\"");
    assert_parse_refused("\"\\udfff\"");
    assert_parse_refused("\"\\udc00\\ud800\"");     /* reversed pair */
    assert_parse_refused("\"\\ud800\\u0041\"");     /* high + non-low */
    assert_parse_refused("\"\\ud800\\ud800\"");
    assert_parse_refused("\"\\ud800x\"");
    assert_parse_refused("\"\\ud800\\\"");
    assert_parse_refused("\"\\ud800\"\\udc00");     /* low outside string */
    assert_parse_refused("{\"\\udc00\":1}");
}

static void test_json_parse_refuses_nul_in_strings(void **state)
{
    (void)state;
    assert_parse_refused("\"\\u0000\"");
    assert_parse_refused("\"a\\u0000b\"");
    assert_parse_refused("{\"\\u0000\":1}");
    assert_parse_refused_n("\"a\0b\"", 5);
}

static void test_json_parse_refuses_raw_control_characters(void **state)
{
    (void)state;
    for (int c = 1; c < 0x20; ++c) {
        char text[] = "\"a?b\"";

        text[2] = (char)c;
        assert_parse_refused(text);
    }
}

static void test_json_parse_refuses_bad_escapes(void **state)
{
    (void)state;
    assert_parse_refused("\"\\a\"");
    assert_parse_refused("\"\\x41\"");
    assert_parse_refused("\"\\'\"");
    assert_parse_refused("\"\\U00000041\"");
    assert_parse_refused("\"\\u12\"");
    assert_parse_refused("\"\\u12G4\"");
    assert_parse_refused("\"\\u\"");
    assert_parse_refused("\"\\");
    assert_parse_refused("\"\\\"");
    assert_parse_refused("\"\\0\"");
}

static void test_json_parse_refuses_bad_numbers(void **state)
{
    static const char *const bad[] = {
        "01", "-01", "00", "1.", ".5", "-", "+1", "1e", "1e+", "1E-", "0x10",
        "1.e3", "-.5", "Infinity", "-Infinity", "NaN", "nan", "1e400",
        "-1e400", "9223372036854775808", "-9223372036854775809",
        "99999999999999999999", "1_000", "- 1", "1 .5",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_parse_refused(bad[i]);
    }
}

static void test_json_parse_refuses_bad_literals(void **state)
{
    static const char *const bad[] = {
        "tru", "nul", "fals", "True", "FALSE", "NULL", "undefined", "t", "n",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_parse_refused(bad[i]);
    }
}

static void test_json_parse_refuses_bad_structure(void **state)
{
    static const char *const bad[] = {
        "", " ", "[", "{", "]", "}", "[1,]", "[,1]", "[,]", "[1 2]",
        "{\"a\":1,}", "{,}", "{\"a\" 1}", "{\"a\":}", "{\"a\"}", "{1:2}",
        "{'a':1}", "{a:1}", "\"abc", "[\"a\"", "{\"a\":1", "[1}", "{\"a\":1]",
        "{\"a\"::1}", "{\"a\":1 \"b\":2}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_parse_refused(bad[i]);
    }
    assert_null(ctx_json_parse(NULL, 0));
}

/* ---- round trips ----------------------------------------------------------- */

/* Texts Flask wrote: parsing then dumping gives them back byte for byte. */
static void test_json_flask_texts_round_trip_byte_identical(void **state)
{
    static const char *const texts[] = {
        "{}",
        "{\"a\":1}",
        "{\"_permanent\":true,\"count\":3,\"user\":\"alice\"}",
        "{\"list\":[1,2.5,null,true],\"name\":\"Zo\\u00eb \\u2603\"}",
        "{\"t\":{\" t\":[1,\"two\"]}}",
        "{\"B\":true,\"_\":null,\"esc\":\"quote\\\" back\\\\ slash/ nl\\n cr\\r "
        "tab\\t bs\\b ff\\f ctl\\u0001\\u001f del\\u007f\",\"uni\":\"\\u00e9 "
        "\\u2603 \\ud83d\\ude00 \\uffff \\udbff\\udfff \\u2028\"}",
        "{\"f\":[1.0,2.5,1e+20,1e-07,0.1,-0.0,1e+16,1000000000000000.0,"
        "123456789.125,0.30000000000000004,5e-324,1.7976931348623157e+308,"
        "0.3333333333333333],\"n\":[0,-1,9223372036854775807,"
        "-9223372036854775808]}",
        "{\"a\":[[{\"x\":[true,false,null],\"y\":1}]],\"z\":{\"a\":{\"c\":{},"
        "\"d\":[]},\"b\":1}}",
        "{\"\":7,\" t\":9,\"Z\":3,\"a\":6,\"a b\":8,\"z\":2,\"\\u00e9\":1,"
        "\"\\uffff\":5,\"\\ud83d\\ude00\":4}",
    };
    apr_pool_t *p = UNIT_POOL(state);

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); ++i) {
        json_t *v = parse_str(texts[i]), *same = jload(texts[i]);
        char *again;

        if (!v) {
            json_decref(same);
            fail_msg("refused %s", texts[i]);
        }
        assert_true(json_equal(v, same));
        again = ctx_json_dump(p, v, NULL);
        assert_non_null(again);
        assert_string_equal(again, texts[i]);
        json_decref(v);
        json_decref(same);
    }
}

static void test_json_dump_then_parse_gives_equal_value(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    json_t *v = json_pack("{s:s, s:[i,f,b,n,s], s:{s:{s:[]}}, s:s}",
                          "user", "\xc3\xa9l\xc3\xa8ve \xf0\x9f\x98\x80",
                          "mix", 42, 0.1, 0, "x\"\\\n",
                          "deep", "a", "b",
                          "ctl", "\x01\x1f\x7f");
    char *text = ctx_json_dump(p, v, NULL);
    json_t *back;

    assert_non_null(text);
    back = parse_str(text);
    assert_non_null(back);
    assert_true(json_equal(v, back));
    json_decref(v);
    json_decref(back);
}

static void test_json_deepest_parsable_value_dumps(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const char *text = nested(p, 64, 0);
    json_t *v = parse_str(text);
    char *again;

    assert_non_null(v);
    again = ctx_json_dump(p, v, NULL);
    assert_non_null(again);
    assert_string_equal(again, text);
    json_decref(v);
}

/* n arrays nested in one another, built with jansson (innermost empty). */
static json_t *nested_arrays(int n)
{
    json_t *v = json_array();

    for (int i = 1; i < n; ++i) {
        json_t *outer = json_array();

        json_array_append_new(outer, v);
        v = outer;
    }
    return v;
}

/* The writer and the reader agree on depth: whatever nesting one refuses,
 * the other refuses, so the writer never produces text that is not read
 * back, and everything read can be written. */
static void test_json_writer_and_reader_agree_on_depth(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    for (int n = 1; n <= CTX_JSON_MAX_DEPTH + 3; ++n) {
        json_t *v = nested_arrays(n), *back;
        char *text = NULL;
        apr_size_t len = 0;
        apr_status_t rv = ctx_json_write(p, v, &text, &len, NULL);

        if (n <= CTX_JSON_MAX_DEPTH) {
            assert_int_equal(rv, APR_SUCCESS);
            back = ctx_json_parse(text, len);
            assert_non_null(back);
            assert_true(json_equal(v, back));
            json_decref(back);
        }
        else {
            if (rv != APR_EINVAL) {
                fail_msg("%d levels: written (%d), the reader refuses it", n,
                         rv);
            }
            assert_null(ctx_json_dump(p, v, NULL));
            /* the same text, made by hand, is refused by the reader */
            text = apr_palloc(p, 2 * (apr_size_t)n + 1);
            memset(text, '[', (size_t)n);
            memset(text + n, ']', (size_t)n);
            text[2 * n] = '\0';
            assert_parse_refused(text);
        }
        json_decref(v);
    }
}

/* Values counted the same way on both sides: every scalar, array and
 * object, never an object key. */
static void test_json_reader_and_writer_count_the_same_values(void **state)
{
    static const struct { const char *text; apr_size_t values; } cases[] = {
        { "0", 1 }, { "[]", 1 }, { "{}", 1 }, { "[0,1]", 3 },
        { "{\"a\":1,\"b\":[true,null]}", 5 }, { "[[],{},\"\"]", 4 },
        { "{\"k\":{\"k\":{\"k\":0}}}", 4 },
    };
    apr_pool_t *p = UNIT_POOL(state);

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        apr_size_t got = 0, wrote = 0, len;
        json_t *v = ctx_json_parse_bounded(cases[i].text,
                                           strlen(cases[i].text), 0, &got);
        char *text;

        assert_non_null(v);
        assert_int_equal(got, cases[i].values);
        assert_int_equal(ctx_json_write(p, v, &text, &len, &wrote),
                         APR_SUCCESS);
        assert_int_equal(wrote, cases[i].values);
        json_decref(v);
    }
}

/* The reader makes at most max_values values and stops at the next one:
 * a text over the limit costs no more than one at it. */
static void test_json_parse_bounded_stops_at_the_value_limit(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_size_t n = 10000, made;
    char *text = apr_palloc(p, 2 * n + 2), *o = text;
    json_t *v;

    *o++ = '[';
    for (apr_size_t i = 0; i < n; ++i) {
        *o++ = '0';
        *o++ = i + 1 < n ? ',' : ']';
    }
    *o = '\0';
    /* n zeros and the array */
    v = ctx_json_parse_bounded(text, strlen(text), n + 1, &made);
    assert_non_null(v);
    assert_int_equal(made, n + 1);
    json_decref(v);
    v = ctx_json_parse_bounded(text, strlen(text), n, &made);
    assert_null(v);
    assert_int_equal(made, n + 1);
    v = ctx_json_parse_bounded(text, strlen(text), 100, &made);
    assert_null(v);
    assert_int_equal(made, 101);
    /* nested containers count as they open */
    v = ctx_json_parse_bounded("[[[[0]]]]", 9, 4, &made);
    assert_null(v);
    assert_int_equal(made, 5);
}

/* The measure must be the writer's own bytes: for every value, what
 * `"key":val` adds is the length of {"key":val} less the braces, and its
 * values those of the object less one. */
static void test_json_measure_entry_agrees_with_the_writer(void **state)
{
    apr_pool_t *p = *state;
    const char *texts[] = {
        "1", "-9223372036854775807", "0.1", "1e+20", "-1.5e-07", "true",
        "null", "\"\"", "\"caf\u00e9 \\\" \\n \\u0001 \\ud83d\\ude00 \x7f\"",
        "[]", "{}", "[1,[2,[3,{\"b\":2,\"a\":[1.25,\"x\"]}]]]",
        "{\"z\":1,\"a\":{\"k\\n\":[true,false,null]}}",
    };
    const char *keys[] = { "k", "caf\xc3\xa9", "q\"\\\n", "" };

    for (unsigned i = 0; i < sizeof(texts) / sizeof(texts[0]); ++i) {
        for (unsigned k = 0; k < sizeof(keys) / sizeof(keys[0]); ++k) {
            json_t *val = json_loads(texts[i], JSON_DECODE_ANY, NULL);
            json_t *obj = json_object();
            char *text;
            apr_size_t len, values, mlen, mvalues;

            assert_non_null(val);
            assert_int_equal(json_object_set(obj, keys[k], val), 0);
            assert_int_equal(ctx_json_write(p, obj, &text, &len, &values),
                             APR_SUCCESS);
            assert_int_equal(ctx_json_measure_entry(keys[k], val, &mlen,
                                                    &mvalues), APR_SUCCESS);
            if (mlen != len - 2 || mvalues != values - 1) {
                fail_msg("%s under %s: measured %lu/%lu, written %s",
                         texts[i], keys[k], (unsigned long)mlen,
                         (unsigned long)mvalues, text);
            }
            json_decref(obj);
            json_decref(val);
        }
    }
}

/* Depth is judged as inside an object: the deepest value an object can
 * hold measures, one level more is refused, as the writer refuses it. */
static void test_json_measure_entry_refuses_what_the_writer_refuses(void **state)
{
    json_t *v = json_integer(1);
    apr_size_t len, values;

    (void)state;
    for (int i = 0; i < CTX_JSON_MAX_DEPTH - 1; ++i) {
        json_t *a = json_array();

        json_array_append_new(a, v);
        v = a;
    }
    assert_int_equal(ctx_json_measure_entry("k", v, &len, &values), APR_SUCCESS);
    {
        json_t *a = json_array();

        json_array_append_new(a, v);
        v = a;
    }
    assert_int_equal(ctx_json_measure_entry("k", v, &len, &values), APR_EINVAL);
    json_decref(v);
}

/* ---- the canonical check of a double's text ------------------------------ */

/* Python's repr layout of the decimal "%.*e" gives for `prec` (written here
 * from Python's rules, not the writer's: exponent form when the decimal
 * point is more than 16 digits right or 4 left). */
static void repr_layout(char *out, double d, int prec)
{
    char e[48], mant[24], *x, *o = out;
    int n = 0, exp10, decpt;

    snprintf(e, sizeof(e), "%.*e", prec, fabs(d));
    x = strchr(e, 'e');
    exp10 = atoi(x + 1);
    for (char *c = e; c < x; ++c) {
        if (*c >= '0' && *c <= '9') mant[n++] = *c;
    }
    while (n > 1 && mant[n - 1] == '0') --n;
    decpt = exp10 + 1;
    if (signbit(d)) *o++ = '-';
    if (decpt <= -4 || decpt > 16) {
        *o++ = mant[0];
        if (n > 1) {
            *o++ = '.';
            memcpy(o, mant + 1, (size_t)n - 1);
            o += n - 1;
        }
        o += sprintf(o, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
    }
    else if (decpt <= 0) {
        o += sprintf(o, "0.");
        for (int i = 0; i < -decpt; ++i) *o++ = '0';
        memcpy(o, mant, (size_t)n);
        o += n;
    }
    else {
        for (int i = 0; i < decpt; ++i) *o++ = i < n ? mant[i] : '0';
        *o++ = '.';
        if (n > decpt) {
            memcpy(o, mant + decpt, (size_t)(n - decpt));
            o += n - decpt;
        }
        else {
            *o++ = '0';
        }
    }
    *o = '\0';
}

static unsigned long long check_rng = 88172645463325252ULL;

static double random_double(void)
{
    double d;

    do {
        check_rng ^= check_rng << 13;
        check_rng ^= check_rng >> 7;
        check_rng ^= check_rng << 17;
        memcpy(&d, &check_rng, sizeof(d));
    } while (isnan(d) || isinf(d));
    return d;
}

/* Every text of every digit count that reads back as d: the check says
 * canonical exactly for the writer's text. */
static void assert_check_agrees(double d)
{
    char want[40], text[48];

    ctx_json_format_double(want, d);
    assert_true(ctx_json_double_canonical(want, strlen(want), d));
    for (int prec = 0; prec <= 17; ++prec) {
        repr_layout(text, d, prec);
        if (strtod(text, NULL) != d) {
            continue;
        }
        if (ctx_json_double_canonical(text, strlen(text), d)
            != (strcmp(text, want) == 0)) {
            fail_msg("%.17g: text %s, writer %s", d, text, want);
        }
    }
    /* Not the writer's layout: never canonical. */
    snprintf(text, sizeof(text), "%.17g", d);
    if (strcmp(text, want) != 0) {
        assert_false(ctx_json_double_canonical(text, strlen(text), d));
    }
}

static void test_json_double_check_agrees_with_the_writer(void **state)
{
    (void)state;
    for (int i = 0; i < 20000; ++i) {
        assert_check_agrees(random_double());
    }
    for (int e = -1074; e <= 1023; ++e) {
        assert_check_agrees(ldexp(1.0, e));
        assert_check_agrees(-ldexp(1.0, e));
        assert_check_agrees(ldexp(1.0, e) * 1.5);
    }
    assert_check_agrees(0.0);
    assert_check_agrees(-0.0);
    assert_check_agrees(0.1);
    assert_check_agrees(1e23);
    assert_check_agrees(5e-324);
    assert_check_agrees(1.7976931348623157e308);
}

/* A session of extreme 17-digit doubles is checked at each change: the
 * check costs fewer decimal conversions than writing them. */
static void test_json_double_check_is_cheaper_than_writing(void **state)
{
    char text[64][40];
    apr_size_t len[64];
    apr_uint32_t before, write_tries, check_tries;

    (void)state;
    before = ctx_json_double_tries();
    for (int i = 0; i < 64; ++i) {
        double d = nextafter(1.2345678901234567e300 * (i + 1), 0);

        len[i] = ctx_json_format_double(text[i], d);
    }
    write_tries = ctx_json_double_tries() - before;
    before = ctx_json_double_tries();
    for (int i = 0; i < 64; ++i) {
        assert_true(ctx_json_double_canonical(text[i], len[i],
                                              strtod(text[i], NULL)));
    }
    check_tries = ctx_json_double_tries() - before;
    /* two tries per double (one printf, two strtod), against the
     * writer's search over digit counts */
    assert_true(check_tries <= 2 * 64);
    if (check_tries * 2 > write_tries) {
        fail_msg("check: %u tries, writing: %u", (unsigned)check_tries,
                 (unsigned)write_tries);
    }
}

/* Integers are written as printf writes them, at every digit count (odd
 * and even: the writer makes two digits at a time) and at the edges, by
 * both formatters. */
static void test_json_format_int_writes_what_printf_writes(void **state)
{
    unsigned long long x = 1;
    apr_int64_t vals[200];
    int n = 0;

    (void)state;
    vals[n++] = 0;
    vals[n++] = INT64_MAX;
    vals[n++] = INT64_MIN;
    vals[n++] = INT64_MIN + 1;
    for (int d = 1; d <= 18; ++d) {
        x *= 10;                        /* 10^d */
        vals[n++] = (apr_int64_t)x;
        vals[n++] = (apr_int64_t)x - 1;
        vals[n++] = (apr_int64_t)x + 7;
        vals[n++] = -(apr_int64_t)x;
        vals[n++] = 1 - (apr_int64_t)x;
        vals[n++] = (apr_int64_t)(x / 7);
    }
    for (int i = 0; i < n; ++i) {
        char got[24], want[32], in[CTX_JSON_INT_MAX];
        apr_size_t len = ctx_json_format_int(got, vals[i]), inlen;
        const char *at;

        snprintf(want, sizeof(want), "%lld", (long long)vals[i]);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(got, want, len);
        /* the in-place variant: the same text, inside its buffer */
        at = ctx_json_format_int_in(in, vals[i], &inlen);
        assert_true(at >= in && at + inlen <= in + sizeof(in));
        assert_int_equal(inlen, strlen(want));
        assert_memory_equal(at, want, inlen);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_json_dump_is_compact_with_sorted_keys),
        UNIT_TEST(test_json_dump_sorts_keys_by_code_point),
        UNIT_TEST(test_json_dump_sorts_nested_objects),
        UNIT_TEST(test_json_dump_empty_and_scalar_values),
        UNIT_TEST(test_json_dump_integers_like_python),
        UNIT_TEST(test_json_dump_escapes_like_python_ensure_ascii),
        UNIT_TEST(test_json_dump_escapes_every_control_character),
        UNIT_TEST(test_json_dump_utf8_boundaries_as_lowercase_escapes),
        UNIT_TEST(test_json_dump_escapes_keys_too),
        UNIT_TEST(test_json_dump_long_string_unchanged),
        UNIT_TEST(test_json_dump_many_keys_past_the_inline_buffer),
        UNIT_TEST(test_json_format_double_like_python_repr),
        UNIT_TEST(test_json_format_double_shortest_for_powers_of_two),
        UNIT_TEST(test_json_format_double_tries_few_digit_counts),
        UNIT_TEST(test_json_dump_floats_in_a_value),
        UNIT_TEST(test_json_format_double_refuses_nan_and_infinity),
        UNIT_TEST(test_json_format_double_round_trips),
        UNIT_TEST(test_json_dump_null_is_null),
        UNIT_TEST(test_json_dump_without_len_pointer),
        UNIT_TEST(test_json_parse_accepts_any_key_order_and_whitespace),
        UNIT_TEST(test_json_parse_any_top_level_type),
        UNIT_TEST(test_json_parse_number_types),
        UNIT_TEST(test_json_parse_decodes_escapes),
        UNIT_TEST(test_json_parse_accepts_valid_raw_utf8),
        UNIT_TEST(test_json_parse_reads_only_len_bytes),
        UNIT_TEST(test_json_parse_depth_64_is_accepted),
        UNIT_TEST(test_json_parse_refuses_depth_over_64),
        UNIT_TEST(test_json_parse_refuses_duplicate_keys),
        UNIT_TEST(test_json_parse_refuses_trailing_garbage),
        UNIT_TEST(test_json_parse_refuses_invalid_utf8),
        UNIT_TEST(test_json_parse_refuses_lone_surrogates),
        UNIT_TEST(test_json_parse_refuses_nul_in_strings),
        UNIT_TEST(test_json_parse_refuses_raw_control_characters),
        UNIT_TEST(test_json_parse_refuses_bad_escapes),
        UNIT_TEST(test_json_parse_refuses_bad_numbers),
        UNIT_TEST(test_json_parse_refuses_bad_literals),
        UNIT_TEST(test_json_parse_refuses_bad_structure),
        UNIT_TEST(test_json_flask_texts_round_trip_byte_identical),
        UNIT_TEST(test_json_dump_then_parse_gives_equal_value),
        UNIT_TEST(test_json_deepest_parsable_value_dumps),
        UNIT_TEST(test_json_writer_and_reader_agree_on_depth),
        UNIT_TEST(test_json_reader_and_writer_count_the_same_values),
        UNIT_TEST(test_json_parse_bounded_stops_at_the_value_limit),
        UNIT_TEST(test_json_measure_entry_agrees_with_the_writer),
        UNIT_TEST(test_json_measure_entry_refuses_what_the_writer_refuses),
        UNIT_TEST(test_json_double_check_agrees_with_the_writer),
        UNIT_TEST(test_json_double_check_is_cheaper_than_writing),
        UNIT_TEST(test_json_format_int_writes_what_printf_writes),
    };

    return UNIT_RUN(tests);
}
