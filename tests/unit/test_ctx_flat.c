/* Unit tests of ctx_flat: the flat session form (issue #13).
 *
 * Expected values come from jansson's own reader (json_loads) and from
 * texts written out by hand from Python's json.dumps(separators=(",", ":"),
 * sort_keys=True) (Flask's session serializer), never from the code under
 * test; the differential test compares the flat form with jansson's reader
 * plus ctx_json_dump (the path sessions took before) on random sessions. */
#include <math.h>

#include "unit.h"

#include "ctx_flat.h"
#include "ctx_json.h"

static ctx_flat_t *parse_ok(apr_pool_t *p, const char *text)
{
    ctx_flat_t *f = NULL;

    assert_int_equal(ctx_flat_parse(p, text, strlen(text), 0, NULL, &f),
                     APR_SUCCESS);
    assert_non_null(f);
    return f;
}

static const ctx_flat_member_t *member(ctx_flat_t *f, const char *key)
{
    const ctx_flat_member_t *m = ctx_flat_get(f, key);

    if (!m) {
        fail_msg("no member %s", key);
    }
    return m;
}

static void assert_writes(apr_pool_t *p, ctx_flat_t *f, const char *want)
{
    apr_size_t len = 0;
    char *got = ctx_flat_write(f, p, &len);

    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
    assert_int_equal(ctx_flat_text_len(f), strlen(want));
}

/* ---- typed getters ------------------------------------------------------- */

static void test_flat_typed_getters_read_every_json_type(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_flat_t *f = parse_ok(p, "{\"a\":[1,2],\"b\":true,\"c\":false,"
                                "\"d\":2.5,\"i\":-42,\"n\":null,"
                                "\"o\":{\"x\":1},\"s\":\"alice\"}");
    const ctx_flat_member_t *m;
    apr_int64_t i;
    double d;
    int b;
    const char *s;

    assert_int_equal(ctx_flat_count(f), 8);
    m = member(f, "i");
    assert_int_equal(ctx_flat_type(m->text, m->tlen), JSON_INTEGER);
    assert_int_equal(ctx_flat_int(m->text, m->tlen, &i), APR_SUCCESS);
    assert_true(i == -42);
    assert_int_equal(ctx_flat_double(m->text, m->tlen, &d), APR_SUCCESS);
    assert_true(d == -42.0);
    assert_int_equal(ctx_flat_string(p, m->text, m->tlen, &s, NULL),
                     APR_EINVAL);

    m = member(f, "d");
    assert_int_equal(ctx_flat_type(m->text, m->tlen), JSON_REAL);
    assert_int_equal(ctx_flat_double(m->text, m->tlen, &d), APR_SUCCESS);
    assert_true(d == 2.5);
    assert_int_equal(ctx_flat_int(m->text, m->tlen, &i), APR_EINVAL);

    m = member(f, "b");
    assert_int_equal(ctx_flat_bool(m->text, m->tlen, &b), APR_SUCCESS);
    assert_true(b == 1);
    m = member(f, "c");
    assert_int_equal(ctx_flat_bool(m->text, m->tlen, &b), APR_SUCCESS);
    assert_true(b == 0);
    assert_int_equal(ctx_flat_int(m->text, m->tlen, &i), APR_EINVAL);

    m = member(f, "n");
    assert_int_equal(ctx_flat_type(m->text, m->tlen), JSON_NULL);
    assert_int_equal(ctx_flat_bool(m->text, m->tlen, &b), APR_EINVAL);
    assert_int_equal(ctx_flat_double(m->text, m->tlen, &d), APR_EINVAL);

    m = member(f, "s");
    assert_int_equal(ctx_flat_string(p, m->text, m->tlen, &s, NULL),
                     APR_SUCCESS);
    assert_string_equal(s, "alice");
    assert_int_equal(ctx_flat_bool(m->text, m->tlen, &b), APR_EINVAL);

    m = member(f, "a");
    assert_int_equal(ctx_flat_type(m->text, m->tlen), JSON_ARRAY);
    assert_int_equal(m->tlen, 5);
    assert_int_equal(m->values, 3);
    m = member(f, "o");
    assert_int_equal(ctx_flat_type(m->text, m->tlen), JSON_OBJECT);
    assert_int_equal(ctx_flat_int(m->text, m->tlen, &i), APR_EINVAL);
    assert_null(ctx_flat_get(f, "missing"));
    assert_int_equal(ctx_flat_values(f), 1 + 3 + 1 + 1 + 1 + 1 + 1 + 2 + 1);
}

static void test_flat_string_getter_unescapes_like_jansson(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    /* \u escapes (BMP, DEL, a control), a surrogate pair, short escapes,
     * "\/" and uppercase hex (not canonical), raw UTF-8 (not canonical). */
    static const char *texts[] = {
        "\"caf\\u00e9 \\ud83d\\ude00 \\u007f \\u0001\"",
        "\"tab\\there \\\"q\\\" back\\\\slash \\/ \\u00E9\"",
        "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"",
        "\"\\n\\r\\b\\f\"",
    };

    for (size_t t = 0; t < sizeof(texts) / sizeof(*texts); ++t) {
        char *obj = apr_psprintf(p, "{\"k\": %s}", texts[t]);
        json_error_t err;
        json_t *want = json_loads(texts[t], JSON_DECODE_ANY, &err);
        ctx_flat_t *f = parse_ok(p, obj);
        const ctx_flat_member_t *m = member(f, "k");
        const char *s;
        apr_size_t len;

        assert_non_null(want);
        assert_int_equal(ctx_flat_string(p, m->text, m->tlen, &s, &len),
                         APR_SUCCESS);
        assert_int_equal(len, json_string_length(want));
        assert_memory_equal(s, json_string_value(want), len);
        json_decref(want);
    }
}

static void test_flat_int_getter_is_exact_at_the_int64_edges(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_flat_t *f = parse_ok(p, "{\"max\":9223372036854775807,"
                                "\"min\":-9223372036854775808,"
                                "\"m18\":999999999999999999,"
                                "\"zero\":0}");
    const ctx_flat_member_t *m;
    apr_int64_t i;
    double d;
    apr_size_t v;
    ctx_flat_t *g = NULL;
    const char *over = "{\"a\":9223372036854775808}";
    const char *under = "{\"a\":-9223372036854775809}";

    m = member(f, "max");
    assert_int_equal(ctx_flat_int(m->text, m->tlen, &i), APR_SUCCESS);
    assert_true(i == INT64_MAX);
    m = member(f, "min");
    assert_int_equal(ctx_flat_int(m->text, m->tlen, &i), APR_SUCCESS);
    assert_true(i == INT64_MIN);
    assert_int_equal(ctx_flat_double(m->text, m->tlen, &d), APR_SUCCESS);
    assert_true(d == (double)INT64_MIN);
    m = member(f, "m18");
    assert_int_equal(ctx_flat_int(m->text, m->tlen, &i), APR_SUCCESS);
    assert_true(i == 999999999999999999LL);
    m = member(f, "zero");
    assert_int_equal(ctx_flat_int(m->text, m->tlen, &i), APR_SUCCESS);
    assert_true(i == 0);
    /* One past either edge: no bignums (jansson refuses them too). */
    assert_int_equal(ctx_flat_parse(p, over, strlen(over), 0, &v, &g),
                     APR_EINVAL);
    assert_int_equal(ctx_flat_parse(p, under, strlen(under), 0, &v, &g),
                     APR_EINVAL);
    assert_int_equal(ctx_flat_int("9223372036854775808", 19, &i), APR_EINVAL);
    assert_int_equal(ctx_flat_int("-9223372036854775809", 20, &i),
                     APR_EINVAL);
}

/* ---- canonical text ------------------------------------------------------ */

static void test_flat_writes_members_in_sorted_order(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_flat_t *f = parse_ok(p, "{\"b\":1,\"a\":2,\"_permanent\":true,"
                                "\"B\":3,\"\\u00e9\":4}");

    /* Code-point order, as Python's sort_keys. */
    assert_writes(p, f, "{\"B\":3,\"_permanent\":true,\"a\":2,\"b\":1,"
                        "\"\\u00e9\":4}");
    assert_int_equal(ctx_flat_set(f, "aa", "[]", 2, 1), APR_SUCCESS);
    assert_int_equal(ctx_flat_set(f, "0", "\"x\"", 3, 1), APR_SUCCESS);
    assert_int_equal(ctx_flat_set(f, "b", "null", 4, 1), APR_SUCCESS);
    assert_true(ctx_flat_remove(f, "a"));
    assert_false(ctx_flat_remove(f, "a"));
    assert_writes(p, f, "{\"0\":\"x\",\"B\":3,\"_permanent\":true,"
                        "\"aa\":[],\"b\":null,\"\\u00e9\":4}");
    ctx_flat_clear(f);
    assert_writes(p, f, "{}");
}

static void test_flat_canonicalizes_what_flask_would_not_write(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_flat_t *f = parse_ok(p, " { \"z\" : [ 1 , 2 ] ,\n\"y\":{\"b\":1,"
                                "\"a\":2},\"x\":\"\\/\\u0041\",\"w\":-0,"
                                "\"v\":1.50,\"u\":1E5,\"t\":\"\xc3\xa9\"}  ");

    assert_writes(p, f, "{\"t\":\"\\u00e9\",\"u\":100000.0,\"v\":1.5,"
                        "\"w\":0,\"x\":\"/A\",\"y\":{\"a\":2,\"b\":1},"
                        "\"z\":[1,2]}");
}

static void test_flat_refuses_duplicate_keys_as_the_reader_does(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    static const char *texts[] = {
        "{\"a\":1,\"a\":2}",
        "{\"b\":1,\"a\":1,\"b\":2}",    /* out of order, then a duplicate */
        "{\"a\":1,\"\\u0061\":2}",      /* the same key, escaped */
        "{\"a\":{\"x\":1,\"x\":2}}",    /* nested */
        "{\"a\":[{\"x\":1,\"y\":0,\"x\":2}]}",
    };

    for (size_t t = 0; t < sizeof(texts) / sizeof(*texts); ++t) {
        ctx_flat_t *f = NULL;
        json_error_t err;
        json_t *j = json_loads(texts[t], JSON_REJECT_DUPLICATES, &err);

        assert_null(j);         /* jansson refuses it too */
        assert_int_equal(ctx_flat_parse(p, texts[t], strlen(texts[t]), 0,
                                        NULL, &f), APR_EINVAL);
    }
}

static void test_flat_refuses_what_the_reader_refuses(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    static const char *texts[] = {
        "", "[]", "1", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1}x",
        "{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud800\"}", "{\"a\":01}",
        "{\"a\":1e999}", "{\"a\":tru}", "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}",
        "{\"a\":[1,]}", "{\"a\":{\"b\"1}}", "{\"\xc0\x80\":1}",
    };

    for (size_t t = 0; t < sizeof(texts) / sizeof(*texts); ++t) {
        ctx_flat_t *f = NULL;
        json_t *ref = ctx_json_parse(texts[t], strlen(texts[t]));

        if (ref) {
            assert_false(json_is_object(ref));
            json_decref(ref);
        }
        assert_int_equal(ctx_flat_parse(p, texts[t], strlen(texts[t]), 0,
                                        NULL, &f), APR_EINVAL);
    }
}

/* The parse looks for blanks only where the byte it expects is not
 * there: blanks in every place a JSON text may hold them read as without
 * (the compact text is written out by hand), and each refused text below
 * is refused by jansson too. */
static void test_flat_blanks_anywhere_read_as_without(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    static const struct { const char *in, *out; } ok[] = {
        { " { \"b\" : 1 , \"a\" : [ 1 , 2 ] , \"c\" : \"x\" } ",
          "{\"a\":[1,2],\"b\":1,\"c\":\"x\"}" },
        { "{\n\"a\"\t:\r1\n}", "{\"a\":1}" },
        { "{ }", "{}" },
        { "{\"a\":1 }", "{\"a\":1}" },
        { "{\"a\" :1}", "{\"a\":1}" },
        { "{\"a\": 1}", "{\"a\":1}" },
        { "{\"a\":1 ,\"b\":2}", "{\"a\":1,\"b\":2}" },
        { "{\"a\":1, \"b\":2}", "{\"a\":1,\"b\":2}" },
        { "{ \"a\":true }", "{\"a\":true}" },
    };
    static const char *bad[] = {
        "{\"a\":1 ,}", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{ , }",
        "{\"a\":1 } }", "{\"a\":1 ", "{ \"a\" : ", " { \"a\":1} x", "{ \"a\"",
    };

    for (size_t t = 0; t < sizeof(ok) / sizeof(*ok); ++t) {
        assert_writes(p, parse_ok(p, ok[t].in), ok[t].out);
    }
    for (size_t t = 0; t < sizeof(bad) / sizeof(*bad); ++t) {
        ctx_flat_t *f = NULL;
        json_t *ref = json_loads(bad[t], 0, NULL);

        assert_null(ref);
        assert_int_equal(ctx_flat_parse(p, bad[t], strlen(bad[t]), 0, NULL,
                                        &f), APR_EINVAL);
    }
}

/* The look-up compares on the member's key length: keys that are
 * prefixes of one another, the empty key and UTF-8 keys (bytes past 0x7f
 * sort last, as strcmp sorts them) are each found, and absent keys get
 * the place strcmp's order gives them. */
static void test_flat_find_tells_prefix_keys_apart(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_flat_t *f = parse_ok(p, "{\"\":0,\"a\":1,\"ab\":2,\"abc\":3,"
                                "\"b\":4,\"\\u00e9\":5}");
    static const char *keys[] = { "", "a", "ab", "abc", "b", "\xc3\xa9" };
    static const struct { const char *key; int at; } absent[] = {
        { "aa", -3 }, { "abcd", -5 }, { "abd", -5 }, { "ac", -5 },
        { "z", -6 }, { "\xc3\xa9\xc3\xa9", -7 }, { "\xc3", -6 },
    };
    apr_size_t len, values;
    int at;

    for (int i = 0; i < 6; ++i) {
        const ctx_flat_member_t *m = ctx_flat_find(f, keys[i], &at);

        assert_non_null(m);
        assert_int_equal(at, i);
        assert_string_equal(m->key, keys[i]);
        assert_ptr_equal(ctx_flat_get(f, keys[i]), m);
        assert_int_equal(ctx_flat_index(f, keys[i]), i);
    }
    for (size_t i = 0; i < sizeof(absent) / sizeof(*absent); ++i) {
        assert_null(ctx_flat_find(f, absent[i].key, &at));
        assert_int_equal(at, absent[i].at);
        assert_null(ctx_flat_get(f, absent[i].key));
    }
    /* {"":0,"a":1,"ab":2,"abc":3,"b":4,"\u00e9":5}: 44 bytes, 7 values */
    ctx_flat_sizes(f, &len, &values);
    assert_int_equal(len, 44);
    assert_int_equal(values, 7);
    assert_writes(p, f, "{\"\":0,\"a\":1,\"ab\":2,\"abc\":3,\"b\":4,"
                        "\"\\u00e9\":5}");
}

/* Plain strings and the three literals are taken as they are; a string
 * with an escape or a byte that is not printable ASCII, and a literal
 * that is not one, go to the full reader (written again as Python's
 * json.dumps writes them, or refused, as jansson refuses them). */
static void test_flat_plain_values_and_their_neighbours(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    static const struct { const char *in, *out; } ok[] = {
        { "{\"a\":\"alice\",\"b\":true,\"c\":false,\"d\":null,\"e\":\"\"}",
          "{\"a\":\"alice\",\"b\":true,\"c\":false,\"d\":null,\"e\":\"\"}" },
        { "{\"a\":\"x\\/y\"}", "{\"a\":\"x/y\"}" },
        { "{\"a\":\"\\u0041\"}", "{\"a\":\"A\"}" },
        { "{\"a\":\"\x7f\"}", "{\"a\":\"\\u007f\"}" },
        { "{\"a\":\"caf\xc3\xa9\"}", "{\"a\":\"caf\\u00e9\"}" },
        { "{\"a\":\"q\\\"\"}", "{\"a\":\"q\\\"\"}" },
        { "{\"a\":null}", "{\"a\":null}" },
        { "{\"z\":false}", "{\"z\":false}" },
    };
    static const char *bad[] = {
        "{\"a\":truex}", "{\"a\":nul}", "{\"a\":t}", "{\"a\":fals}",
        "{\"a\":\"open}", "{\"a\":\"x\"\"}", "{\"a\":nulll}", "{\"a\":\"",
        "{\"a\":\"\x01\"}", "{\"a\":True}",
    };
    ctx_flat_t *f;
    const ctx_flat_member_t *m;
    const char *str;
    apr_size_t len, values;
    int b;

    for (size_t t = 0; t < sizeof(ok) / sizeof(*ok); ++t) {
        assert_writes(p, parse_ok(p, ok[t].in), ok[t].out);
    }
    for (size_t t = 0; t < sizeof(bad) / sizeof(*bad); ++t) {
        json_t *ref = json_loads(bad[t], 0, NULL);

        assert_null(ref);
        f = NULL;
        assert_int_equal(ctx_flat_parse(p, bad[t], strlen(bad[t]), 0, NULL,
                                        &f), APR_EINVAL);
    }
    f = parse_ok(p, "{\"_permanent\":true,\"count\":12,\"user\":\"alice\"}");
    m = member(f, "user");
    assert_int_equal(ctx_flat_type(m->text, m->tlen), JSON_STRING);
    assert_int_equal(ctx_flat_string(p, m->text, m->tlen, &str, &len),
                     APR_SUCCESS);
    assert_string_equal(str, "alice");
    assert_int_equal(len, 5);
    m = member(f, "_permanent");
    assert_int_equal(ctx_flat_bool(m->text, m->tlen, &b), APR_SUCCESS);
    assert_true(b == 1);
    ctx_flat_sizes(f, &len, &values);
    assert_int_equal(values, 4);
    assert_int_equal(len, strlen("{\"_permanent\":true,\"count\":12,"
                                 "\"user\":\"alice\"}"));
    /* the bound on values stops at a plain value as at any other */
    f = NULL;
    assert_int_equal(ctx_flat_parse(p, "{\"a\":\"x\",\"b\":true}", 18, 2,
                                    &values, &f), APR_EINVAL);
    assert_int_equal(values, 3);
}

static void test_flat_counts_values_as_the_bounded_reader(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const char *text = "{\"a\":[1,2,3],\"b\":{ \"c\" : [4] },\"d\":5}";
    apr_size_t len = strlen(text);

    for (apr_size_t max = 0; max <= 11; ++max) {
        apr_size_t want = 0, got = 0;
        json_t *ref = ctx_json_parse_bounded(text, len, max, &want);
        ctx_flat_t *f = NULL;
        apr_status_t rv = ctx_flat_parse(p, text, len, max, &got, &f);

        assert_int_equal(got, want);
        assert_int_equal(rv == APR_SUCCESS, ref != NULL);
        json_decref(ref);
    }
}

static void test_flat_depth_limit_is_the_readers(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    char deep[200], *o = deep;
    ctx_flat_t *f = NULL;

    /* {"a": + 63 arrays is 64 levels: accepted; 64 arrays: refused. */
    for (int extra = 0; extra < 2; ++extra) {
        o = deep;
        o += sprintf(o, "{\"a\":");
        for (int i = 0; i < 63 + extra; ++i) *o++ = '[';
        for (int i = 0; i < 63 + extra; ++i) *o++ = ']';
        *o++ = '}';
        *o = '\0';
        assert_int_equal(ctx_flat_parse(p, deep, strlen(deep), 0, NULL, &f),
                         extra ? APR_EINVAL : APR_SUCCESS);
    }
}

/* A session of many extreme doubles (hostile: a handler that stores client
 * JSON) is checked when it changes, not written again: fewer decimal
 * conversions than the writer's search, and the same text. */
static void test_flat_checks_floats_without_writing_them(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    json_t *list = json_array(), *obj = json_object();
    char *text, *out;
    apr_size_t len, olen;
    apr_uint32_t before, flat_tries, writer_tries;
    ctx_flat_t *f = NULL;

    for (int i = 0; i < 200; ++i) {
        json_array_append_new(list, json_real(
            nextafter(1.2345678901234567e300 * (i + 1), 0)));
    }
    json_object_set_new(obj, "l", list);
    before = ctx_json_double_tries();
    text = ctx_json_dump(p, obj, &len);
    writer_tries = ctx_json_double_tries() - before;
    assert_non_null(text);
    assert_int_equal(ctx_flat_parse(p, text, len, 0, NULL, &f), APR_SUCCESS);
    before = ctx_json_double_tries();
    assert_int_equal(ctx_flat_canonicalize(f), APR_SUCCESS);
    flat_tries = ctx_json_double_tries() - before;
    out = ctx_flat_write(f, p, &olen);
    assert_string_equal(out, text);
    if (flat_tries * 2 > writer_tries) {
        fail_msg("flat: %u tries, writer: %u", (unsigned)flat_tries,
                 (unsigned)writer_tries);
    }
    json_decref(obj);
}

/* ---- differential: random sessions against jansson ----------------------- */

static unsigned long rng;

static unsigned next_rand(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(rng >> 33);
}

static const char *ws(void)
{
    static const char *w[] = { "", "", "", " ", "\n", "\t " };

    return w[next_rand() % 6];
}

static void rand_string(char **o)
{
    static const char *parts[] = {
        "a", "Z", "0", " ", "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\u00e9",
        "\\u00E9", "\\u0041", "\\u007f", "\\u001f", "\\ud83d\\ude00",
        "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\\b", "~",
    };
    int n = (int)(next_rand() % 6);

    *(*o)++ = '"';
    for (int i = 0; i < n; ++i) {
        const char *s = parts[next_rand() % (sizeof(parts) / sizeof(*parts))];

        *o += sprintf(*o, "%s", s);
    }
    *(*o)++ = '"';
}

static void rand_value(char **o, int depth)
{
    static const char *nums[] = {
        "0", "-0", "7", "-42", "9223372036854775807", "-9223372036854775808",
        "123456789012345678", "1.5", "1.50", "-0.0", "1e5", "1E+20", "2.5e-7",
        "0.1", "100.0", "1.7976931348623157e308", "5e-324",
        "7.1202363472230444e-307", "12345678901234567890e-5",
    };
    unsigned kind = next_rand() % (depth > 3 ? 5 : 7);

    *o += sprintf(*o, "%s", ws());
    switch (kind) {
    case 0: *o += sprintf(*o, "%s", nums[next_rand() % 19]); break;
    case 1: rand_string(o); break;
    case 2: *o += sprintf(*o, "%s", next_rand() % 2 ? "true" : "false");
        break;
    case 3: *o += sprintf(*o, "null"); break;
    case 4: *o += sprintf(*o, "%d", (int)(next_rand() % 2000) - 1000); break;
    case 5: {
        int n = (int)(next_rand() % 4);

        *(*o)++ = '[';
        for (int i = 0; i < n; ++i) {
            if (i) *(*o)++ = ',';
            rand_value(o, depth + 1);
        }
        *(*o)++ = ']';
        break;
    }
    default: {
        int n = (int)(next_rand() % 4);

        *(*o)++ = '{';
        for (int i = 0; i < n; ++i) {
            if (i) *(*o)++ = ',';
            /* Distinct keys: k0.. in a random order. */
            *o += sprintf(*o, "%s\"k%d\"%s:", ws(), (i * 7 + 3) % n, ws());
            rand_value(o, depth + 1);
        }
        *(*o)++ = '}';
    }
    }
    *o += sprintf(*o, "%s", ws());
}

/* ctx_flat_get finds what jansson's object holds, with the same value,
 * and nothing else: every key of `want`, and probes that are absent or
 * present by chance (keys of the random sessions, Flask's internal keys,
 * a first byte that shares its low six bits with '_', the empty key). */
static void assert_gets_as_jansson(const ctx_flat_t *f, json_t *want)
{
    static const char *probes[] = {
        "_permanent", "_ctx_created", "_0", "_4", "a0", "a3", "b1", "x2",
        "x6", "", "\x9f", "\xdf", "a", "b00", "~", "\x1f",
    };
    const char *key;
    json_t *v;
    json_error_t err;

    json_object_foreach(want, key, v) {
        const ctx_flat_member_t *m = ctx_flat_get(f, key);
        json_t *got;

        assert_non_null(m);
        got = json_loadb(m->text, m->tlen, JSON_DECODE_ANY, &err);
        assert_non_null(got);
        assert_true(json_equal(got, v));
        json_decref(got);
    }
    for (size_t i = 0; i < sizeof(probes) / sizeof(*probes); ++i) {
        assert_int_equal(ctx_flat_get(f, probes[i]) != NULL,
                         json_object_get(want, probes[i]) != NULL);
    }
}

/* A set after the parse, as a request makes it (ctx_flat_index then
 * ctx_flat_set_at: a parsed member's text replaced, or a new key), twice
 * on the same key (the second replaces a set member); a copy taken before
 * still writes what was parsed. Checked against jansson setting the same
 * value in `want`. */
static void set_random_member(apr_pool_t *p, ctx_flat_t *f, json_t *want,
                              int round)
{
    static char vtext[8192];
    char key[16], *o = vtext;
    const char *k;
    char *before = ctx_json_dump(p, want, NULL), *got, *ref;
    ctx_flat_t *c = ctx_flat_copy(p, f);
    json_error_t err;

    assert_non_null(c);
    if (ctx_flat_count(f) && next_rand() % 3) {
        k = ctx_flat_at(f, (int)(next_rand() % (unsigned)ctx_flat_count(f)))
            ->key;
    }
    else {
        sprintf(key, "%c%d", "bax_"[next_rand() % 4], (int)(next_rand() % 7));
        k = key;
    }
    k = apr_pstrdup(p, k);
    for (int twice = 0; twice < 2; ++twice) {
        json_t *v;
        char *text;
        apr_size_t tlen, values;

        o = vtext;
        rand_value(&o, 1);
        *o = '\0';
        if (!(v = json_loads(vtext, JSON_DECODE_ANY, &err))) {
            continue;           /* a random duplicate key: not a value */
        }
        assert_int_equal(ctx_json_write_member(p, v, &text, &tlen, &values),
                         APR_SUCCESS);
        assert_int_equal(ctx_flat_set_at(f, ctx_flat_index(f, k), k,
                                         strlen(k), text, tlen, values),
                         APR_SUCCESS);
        assert_int_equal(json_object_set_new(want, k, v), 0);
    }
    got = ctx_flat_write(f, p, NULL);
    ref = ctx_json_dump(p, want, NULL);
    if (strcmp(got, ref) != 0) {
        fail_msg("round %d, set %s\nflat:    %s\njansson: %s", round, k, got,
                 ref);
    }
    /* The sizes kept through the sets are the text's. */
    assert_int_equal(ctx_flat_text_len(f), strlen(ref));
    assert_string_equal(ctx_flat_write(c, p, NULL), before);
    assert_gets_as_jansson(f, want);
    /* A copy finds what its original holds. */
    assert_gets_as_jansson(ctx_flat_copy(p, f), want);
    /* A removed key is gone; the others stay found. */
    if (ctx_flat_count(f)) {
        k = apr_pstrdup(p, ctx_flat_at(f, (int)(next_rand()
                        % (unsigned)ctx_flat_count(f)))->key);
        assert_int_equal(ctx_flat_remove(f, k), 1);
        assert_int_equal(json_object_del(want, k), 0);
        assert_gets_as_jansson(f, want);
    }
    ctx_flat_clear(f);
    json_object_clear(want);
    assert_gets_as_jansson(f, want);
}

static void test_flat_matches_jansson_on_random_sessions(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    static char text[65536];

    rng = 13;   /* seeded: the same sessions every run */
    for (int round = 0; round < 3000; ++round) {
        apr_pool_t *sub = unit_subpool(p);
        int n = (int)(next_rand() % 8);
        char *o = text;
        json_error_t err;
        json_t *want;
        ctx_flat_t *f = NULL;
        char *got, *ref;
        apr_size_t glen;

        o += sprintf(o, "%s{", ws());
        for (int i = 0; i < n; ++i) {
            if (i) *o++ = ',';
            o += sprintf(o, "%s", ws());
            if (next_rand() % 4 == 0) {
                rand_string(&o);
            }
            else {
                o += sprintf(o, "\"%c%d\"", "bax_"[next_rand() % 4],
                             (int)(next_rand() % 5));
            }
            o += sprintf(o, "%s:", ws());
            rand_value(&o, 1);
        }
        o += sprintf(o, "}%s", ws());
        *o = '\0';
        want = json_loads(text, JSON_REJECT_DUPLICATES, &err);
        if (want && json_object_size(want) == 0 && n > 0) {
            /* an empty key set only from n == 0 */
        }
        if (!want) {
            /* Duplicate keys (random) or the empty-string key twice:
             * refused by both. */
            assert_int_equal(ctx_flat_parse(sub, text, (apr_size_t)(o - text),
                                            0, NULL, &f), APR_EINVAL);
            apr_pool_destroy(sub);
            continue;
        }
        assert_int_equal(ctx_flat_parse(sub, text, (apr_size_t)(o - text), 0,
                                        NULL, &f), APR_SUCCESS);
        got = ctx_flat_write(f, sub, &glen);
        ref = ctx_json_dump(sub, want, NULL);
        assert_non_null(got);
        assert_non_null(ref);
        if (strcmp(got, ref) != 0) {
            fail_msg("round %d: %s\nflat:    %s\njansson: %s", round, text,
                     got, ref);
        }
        assert_int_equal(glen, strlen(ref));
        /* Every member's text reads back as jansson's value. */
        for (int i = 0; i < ctx_flat_count(f); ++i) {
            const ctx_flat_member_t *m = ctx_flat_at(f, i);
            json_t *v = json_loadb(m->text, m->tlen, JSON_DECODE_ANY, &err);

            assert_non_null(v);
            assert_true(json_equal(v, json_object_get(want, m->key)));
            json_decref(v);
        }
        {
            json_t *back = ctx_flat_to_json(f);

            assert_true(json_equal(back, want));
            json_decref(back);
        }
        assert_gets_as_jansson(f, want);
        set_random_member(sub, f, want, round);
        json_decref(want);
        apr_pool_destroy(sub);
    }
}

/* Sets after a parse take their texts from what the parse's block left
 * over while it lasts, then from the pool: each text stays its own, in
 * the block or past it, and a copy's sets do not write into its
 * original's room. */
static void test_flat_sets_after_a_parse_keep_their_own_texts(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_flat_t *f = parse_ok(p, "{\"count\":1}");
    ctx_flat_t *c;
    const char *want, *first;

    /* A text written in the object's pool stays as it was written. */
    first = ctx_flat_write(f, p, NULL);
    assert_string_equal(first, "{\"count\":1}");
    assert_int_equal(ctx_flat_set(f, "b", "22", 2, 1), APR_SUCCESS);
    assert_int_equal(ctx_flat_set(f, "c", "333", 3, 1), APR_SUCCESS);
    assert_int_equal(ctx_flat_set_at(f, ctx_flat_index(f, "count"), "count",
                                     5, "4444", 4, 1), APR_SUCCESS);
    /* Longer than the room left (5 bytes of the keys' room and the
     * spare, less the three sets): from the pool. */
    assert_int_equal(ctx_flat_set(f, "d", "\"0123456789abcdef0123456789\"",
                                  28, 1), APR_SUCCESS);
    assert_int_equal(ctx_flat_set(f, "e", "55555", 5, 1), APR_SUCCESS);
    want = "{\"b\":22,\"c\":333,\"count\":4444,"
           "\"d\":\"0123456789abcdef0123456789\",\"e\":55555}";
    assert_writes(p, f, want);
    /* Both change the same member, the original with room left. */
    c = ctx_flat_copy(p, f);
    assert_non_null(c);
    assert_int_equal(ctx_flat_set(c, "b", "6", 1, 1), APR_SUCCESS);
    assert_int_equal(ctx_flat_set(f, "b", "9", 1, 1), APR_SUCCESS);
    assert_int_equal(ctx_flat_set(c, "c", "8", 1, 1), APR_SUCCESS);
    assert_int_equal(ctx_flat_set(f, "f", "7", 1, 1), APR_SUCCESS);
    assert_string_equal(first, "{\"count\":1}");
    assert_writes(p, c, "{\"b\":6,\"c\":8,\"count\":4444,"
                  "\"d\":\"0123456789abcdef0123456789\",\"e\":55555}");
    assert_writes(p, f, "{\"b\":9,\"c\":333,\"count\":4444,"
                  "\"d\":\"0123456789abcdef0123456789\",\"e\":55555,"
                  "\"f\":7}");
}

/* Keys and values of every short length (the copies of up to 16 bytes
 * are made inline, in overlapping moves) come out byte for byte: parsed
 * and written, set and written. */
static void test_flat_copies_texts_of_every_short_length(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";

    for (int n = 0; n <= 34; ++n) {
        char key[40], num[40], text[128], want[128];
        ctx_flat_t *f;
        const char *got;

        memcpy(key, alpha, (size_t)n);
        key[n] = '\0';
        /* A value of n + 1 digits, none a leading zero. */
        for (int i = 0; i <= n; ++i) {
            num[i] = (char)('1' + (i * 7 + n) % 9);
        }
        num[n + 1] = '\0';
        sprintf(text, "{\"%s\":\"%s\"}", key, alpha + n % 3);
        f = parse_ok(p, text);
        assert_string_equal(ctx_flat_write(f, p, NULL), text);
        assert_int_equal(ctx_flat_set_at(f, ctx_flat_index(f, key), key,
                                         (apr_size_t)n, num,
                                         (apr_size_t)n + 1, 1),
                         APR_SUCCESS);
        got = ctx_flat_write(f, p, NULL);
        sprintf(want, "{\"%s\":%s}", key, num);
        assert_string_equal(got, want);
    }
}

/* A copy and its original change independently: members are replaced,
 * never edited in place, and a member the original keeps in a malloc'ed
 * block (a large set) is copied, so replacing it there frees nothing the
 * copy still reads. */
static void test_flat_copy_and_original_change_independently(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_flat_t *f = parse_ok(p, "{\"a\":1,\"b\":[2.5,\"x\"]}");
    ctx_flat_t *c;
    apr_size_t big_len = 6000;
    char *big = apr_palloc(p, big_len + 3);

    memset(big + 1, 'y', big_len);
    big[0] = big[big_len + 1] = '"';
    big[big_len + 2] = '\0';
    /* Over the pool's share: this value lives in a malloc'ed block. */
    assert_int_equal(ctx_flat_set(f, "c", big, big_len + 2, 1), APR_SUCCESS);
    c = ctx_flat_copy(p, f);
    assert_non_null(c);
    assert_int_equal(ctx_flat_set(f, "c", "3", 1, 1), APR_SUCCESS);
    assert_true(ctx_flat_remove(f, "a"));
    assert_int_equal(ctx_flat_set(f, "d", "4", 1, 1), APR_SUCCESS);
    assert_writes(p, f, "{\"b\":[2.5,\"x\"],\"c\":3,\"d\":4}");
    assert_int_equal(ctx_flat_count(c), 3);
    assert_int_equal(member(c, "c")->tlen, big_len + 2);
    assert_memory_equal(member(c, "c")->text, big, big_len + 2);
    assert_int_equal(ctx_flat_set(c, "a", "5", 1, 1), APR_SUCCESS);
    ctx_flat_clear(f);
    assert_int_equal(ctx_flat_remove(c, "c"), 1);
    assert_writes(p, c, "{\"a\":5,\"b\":[2.5,\"x\"]}");
    assert_int_equal(ctx_flat_count(f), 0);
    assert_int_equal(ctx_flat_count(ctx_flat_copy(p, f)), 0);
}

/* ctx_flat_index says where a key is or goes; ctx_flat_set_at with it
 * replaces or inserts in key order, as ctx_flat_set would. */
static void test_flat_set_at_inserts_and_replaces_where_index_says(
    void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_flat_t *f = parse_ok(p, "{\"b\":1,\"d\":2}");

    assert_int_equal(ctx_flat_index(f, "b"), 0);
    assert_int_equal(ctx_flat_index(f, "d"), 1);
    assert_int_equal(ctx_flat_index(f, "a"), -1);
    assert_int_equal(ctx_flat_index(f, "c"), -2);
    assert_int_equal(ctx_flat_index(f, "e"), -3);
    assert_int_equal(ctx_flat_set_at(f, ctx_flat_index(f, "c"), "c", 1,
                                     "[3]", 3, 2), APR_SUCCESS);
    assert_int_equal(ctx_flat_set_at(f, ctx_flat_index(f, "d"), "d", 1,
                                     "\"x\"", 3, 1), APR_SUCCESS);
    assert_int_equal(ctx_flat_set_at(f, ctx_flat_index(f, "a"), "a", 1,
                                     "0", 1, 1), APR_SUCCESS);
    assert_writes(p, f, "{\"a\":0,\"b\":1,\"c\":[3],\"d\":\"x\"}");
    assert_int_equal(ctx_flat_values(f), 6);
    assert_int_equal(ctx_flat_index(f, "d"), 3);
}

/* Replacing a parsed member's value keeps its key (escaped literal
 * included) and sizes right; the parsed text is not written to. */
static void test_flat_replacing_a_parsed_value_keeps_its_key(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const char *in = "{\"caf\\u00e9\":1,\"n\":22}";
    char *text = apr_pstrdup(p, in);
    ctx_flat_t *f = NULL;
    const ctx_flat_member_t *m;

    assert_int_equal(ctx_flat_parse(p, text, strlen(text), 0, NULL, &f),
                     APR_SUCCESS);
    assert_int_equal(ctx_flat_set(f, "n", "333", 3, 1), APR_SUCCESS);
    assert_int_equal(ctx_flat_set(f, "caf\xc3\xa9", "true", 4, 1),
                     APR_SUCCESS);
    m = member(f, "caf\xc3\xa9");
    assert_int_equal(m->klen, 5);
    assert_memory_equal(m->qkey, "\"caf\\u00e9\"", m->qklen);
    assert_writes(p, f, "{\"caf\\u00e9\":true,\"n\":333}");
    assert_int_equal(member(f, "n")->klen, 1);
    assert_string_equal(text, in);
    /* And again, over a set value. */
    assert_int_equal(ctx_flat_set(f, "n", "4", 1, 1), APR_SUCCESS);
    assert_writes(p, f, "{\"caf\\u00e9\":true,\"n\":4}");
}

/* A parse keeps every key, past the room it sets aside for keys and
 * members (longer keys are copied one by one, the member array grows). */
static void test_flat_parse_keeps_many_long_keys(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    char *text = apr_palloc(p, 65536), *o = text;
    json_error_t err;
    json_t *want;
    ctx_flat_t *f;

    *o++ = '{';
    for (int i = 0; i < 40; ++i) {
        o += sprintf(o, "%s\"k%02d_%0*d\":%d", i ? "," : "", i, 20 + i, 0,
                     i);
    }
    *o++ = '}';
    *o = '\0';
    f = parse_ok(p, text);
    assert_int_equal(ctx_flat_count(f), 40);
    want = json_loads(text, 0, &err);
    assert_non_null(want);
    assert_writes(p, f, ctx_json_dump(p, want, NULL));
    for (int i = 0; i < 40; ++i) {
        const ctx_flat_member_t *m = ctx_flat_at(f, i);

        assert_int_equal(m->klen, strlen(m->key));
        assert_int_equal(json_integer_value(json_object_get(want, m->key)),
                         i);
    }
    json_decref(want);
}

/* The integer getter reads digits only: no type pass before it, and no
 * text without a digit reads as 0. */
static void test_flat_int_getter_refuses_what_is_not_digits(void **state)
{
    static const char *bad[] = {
        "", "-", "1.5", "1e3", "\"1\"", "true", "null", "[1]", "{}", "1-",
        "--1",
    };
    apr_int64_t v = 77;

    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); ++i) {
        if (ctx_flat_int(bad[i], strlen(bad[i]), &v) != APR_EINVAL) {
            fail_msg("read %s as an integer", bad[i]);
        }
    }
    assert_int_equal(v, 77);
    assert_int_equal(ctx_flat_int("-0", 2, &v), APR_SUCCESS);
    assert_int_equal(v, 0);
    assert_int_equal(ctx_flat_int("-17", 3, &v), APR_SUCCESS);
    assert_int_equal(v, -17);
}

/* The shared empty object reads as an empty object everywhere a reader
 * takes one, and a copy of it is a new object that takes sets. */
static void test_flat_none_reads_as_an_empty_object(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    const ctx_flat_t *none = ctx_flat_none();
    ctx_flat_t *c;
    json_t *j;

    assert_non_null(none);
    assert_int_equal(ctx_flat_count(none), 0);
    assert_null(ctx_flat_at(none, 0));
    assert_null(ctx_flat_get(none, "a"));
    assert_null(ctx_flat_get(none, ""));
    assert_int_equal(ctx_flat_index(none, "a"), -1);
    assert_int_equal(ctx_flat_text_len(none), 2);
    assert_int_equal(ctx_flat_values(none), 1);
    j = ctx_flat_to_json(none);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 0);
    json_decref(j);
    c = ctx_flat_copy(p, none);
    assert_non_null(c);
    assert_int_equal(ctx_flat_set(c, "a", "1", 1, 1), APR_SUCCESS);
    assert_writes(p, c, "{\"a\":1}");
    assert_int_equal(ctx_flat_count(ctx_flat_none()), 0);
}

/* Integer members, the ones the parse reads without the full scan and
 * their neighbours (a zero, a sign, 18 and 19 digits, a fraction or an
 * exponent after the digits, the value bound), as jansson's reader and
 * the writer make them. */
static void test_flat_integer_members_read_as_the_reader_reads_them(
    void **state)
{
    static const char *nums[] = {
        "7", "-7", "0", "-0", "10", "123456789012345678",
        "-123456789012345678", "1234567890123456789", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808", "01", "-01", "-",
        "1.0", "1e2", "1E2", "12e", "5 ", "3x", "--1", "1-",
    };
    apr_pool_t *p = UNIT_POOL(state);

    for (size_t i = 0; i < sizeof(nums) / sizeof(*nums); ++i) {
        for (apr_size_t max = 0; max < 4; ++max) {
            char *text = apr_psprintf(p, "{\"a\":%s,\"b\":1}", nums[i]);
            json_error_t err;
            json_t *want = json_loads(text, JSON_REJECT_DUPLICATES, &err);
            apr_size_t fvals = 0, jvals = 0;
            ctx_flat_t *f = NULL;
            apr_status_t rv = ctx_flat_parse(p, text, strlen(text), max,
                                             &fvals, &f);
            json_t *bounded = ctx_json_parse_bounded(text, strlen(text), max,
                                                     &jvals);

            assert_int_equal(fvals, jvals);
            if (!bounded) {
                assert_int_equal(rv, APR_EINVAL);
            }
            else {
                assert_non_null(want);
                assert_int_equal(rv, APR_SUCCESS);
                assert_writes(p, f, ctx_json_dump(p, want, NULL));
            }
            json_decref(bounded);
            json_decref(want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_flat_typed_getters_read_every_json_type),
        UNIT_TEST(test_flat_string_getter_unescapes_like_jansson),
        UNIT_TEST(test_flat_int_getter_is_exact_at_the_int64_edges),
        UNIT_TEST(test_flat_writes_members_in_sorted_order),
        UNIT_TEST(test_flat_canonicalizes_what_flask_would_not_write),
        UNIT_TEST(test_flat_refuses_duplicate_keys_as_the_reader_does),
        UNIT_TEST(test_flat_refuses_what_the_reader_refuses),
        UNIT_TEST(test_flat_counts_values_as_the_bounded_reader),
        UNIT_TEST(test_flat_depth_limit_is_the_readers),
        UNIT_TEST(test_flat_checks_floats_without_writing_them),
        UNIT_TEST(test_flat_matches_jansson_on_random_sessions),
        UNIT_TEST(test_flat_sets_after_a_parse_keep_their_own_texts),
        UNIT_TEST(test_flat_copies_texts_of_every_short_length),
        UNIT_TEST(test_flat_copy_and_original_change_independently),
        UNIT_TEST(test_flat_set_at_inserts_and_replaces_where_index_says),
        UNIT_TEST(test_flat_replacing_a_parsed_value_keeps_its_key),
        UNIT_TEST(test_flat_parse_keeps_many_long_keys),
        UNIT_TEST(test_flat_int_getter_refuses_what_is_not_digits),
        UNIT_TEST(test_flat_none_reads_as_an_empty_object),
        UNIT_TEST(test_flat_integer_members_read_as_the_reader_reads_them),
        UNIT_TEST(test_flat_blanks_anywhere_read_as_without),
        UNIT_TEST(test_flat_find_tells_prefix_keys_apart),
        UNIT_TEST(test_flat_plain_values_and_their_neighbours),
    };

    return UNIT_RUN(tests);
}
