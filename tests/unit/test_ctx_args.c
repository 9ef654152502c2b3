/* Unit tests of ctx_args: query-string parsing (Flask's request.args). */
#include "unit.h"

#include "ctx_args.h"

/* The i-th pair must be (key, val). */
static void assert_pair(const ctx_args_t *args, int i, const char *key,
                        const char *val)
{
    const char *k = NULL, *v = NULL;

    assert_int_equal(ctx_args_at(args, i, &k, &v), APR_SUCCESS);
    assert_non_null(k);
    assert_non_null(v);
    assert_string_equal(k, key);
    assert_string_equal(v, val);
}

static void test_args_null_query_has_no_arguments(void **state)
{
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state), NULL);

    assert_non_null(args);
    assert_int_equal(ctx_args_count(args), 0);
    assert_int_equal(ctx_args_dropped(args), 0);
    assert_null(ctx_args_get(args, "a"));
}

static void test_args_empty_query_has_no_arguments(void **state)
{
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state), "");

    assert_non_null(args);
    assert_int_equal(ctx_args_count(args), 0);
    assert_int_equal(ctx_args_dropped(args), 0);
}

static void test_args_header_example(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_args_t *args = ctx_args_parse(p, "a=1&b=x+y&a=2");
    apr_array_header_t *a = ctx_args_get_all(args, p, "a");
    apr_array_header_t *b = ctx_args_get_all(args, p, "b");

    assert_int_equal(ctx_args_count(args), 3);
    assert_int_equal(a->nelts, 2);
    assert_string_equal(APR_ARRAY_IDX(a, 0, const char *), "1");
    assert_string_equal(APR_ARRAY_IDX(a, 1, const char *), "2");
    assert_int_equal(b->nelts, 1);
    assert_string_equal(APR_ARRAY_IDX(b, 0, const char *), "x y");
}

static void test_args_get_returns_first_value(void **state)
{
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state), "k=first&x=0&k=second");

    assert_string_equal(ctx_args_get(args, "k"), "first");
    assert_string_equal(ctx_args_get(args, "x"), "0");
}

static void test_args_get_missing_is_null(void **state)
{
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state), "a=1");

    assert_null(ctx_args_get(args, "b"));
    assert_null(ctx_args_get(args, "a "));
    assert_null(ctx_args_get(args, ""));
}

static void test_args_repeated_keys_keep_order(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_args_t *args = ctx_args_parse(p, "t=3&u=x&t=1&t=2&u=y");
    apr_array_header_t *t = ctx_args_get_all(args, p, "t");

    assert_int_equal(t->nelts, 3);
    assert_string_equal(APR_ARRAY_IDX(t, 0, const char *), "3");
    assert_string_equal(APR_ARRAY_IDX(t, 1, const char *), "1");
    assert_string_equal(APR_ARRAY_IDX(t, 2, const char *), "2");
    /* ...and the pairs keep their order across keys too. */
    assert_pair(args, 0, "t", "3");
    assert_pair(args, 1, "u", "x");
    assert_pair(args, 2, "t", "1");
    assert_pair(args, 3, "t", "2");
    assert_pair(args, 4, "u", "y");
}

static void test_args_get_all_missing_is_empty_array(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_args_t *args = ctx_args_parse(p, "a=1");
    apr_array_header_t *none = ctx_args_get_all(args, p, "b");

    assert_non_null(none);
    assert_int_equal(none->nelts, 0);
    assert_int_equal(none->elt_size, sizeof(const char *));
}

static void test_args_keys_are_case_sensitive(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_args_t *args = ctx_args_parse(p, "Name=upper&name=lower");

    assert_string_equal(ctx_args_get(args, "Name"), "upper");
    assert_string_equal(ctx_args_get(args, "name"), "lower");
    assert_null(ctx_args_get(args, "NAME"));
    assert_int_equal(ctx_args_get_all(args, p, "name")->nelts, 1);
}

static void test_args_plus_decodes_to_space(void **state)
{
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state), "q=a+b++c+&x+y=1");

    assert_string_equal(ctx_args_get(args, "q"), "a b  c ");
    assert_string_equal(ctx_args_get(args, "x y"), "1");
}

static void test_args_encoded_plus_stays_plus(void **state)
{
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state), "q=1%2B1%2b2");

    assert_string_equal(ctx_args_get(args, "q"), "1+1+2");
}

static void test_args_percent_escapes_decode_in_keys_and_values(void **state)
{
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state),
                                      "a%20b=c%26d%3De&%41=%7e&u=%C3%A9");

    assert_string_equal(ctx_args_get(args, "a b"), "c&d=e");
    assert_string_equal(ctx_args_get(args, "A"), "~");
    assert_string_equal(ctx_args_get(args, "u"), "\xC3\xA9");
    assert_int_equal(ctx_args_count(args), 3);
}

static void test_args_invalid_escape_kept_literally(void **state)
{
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state),
                                      "a=%zz&b=%4&c=%&d=%4g&e=100%&f=%%41&g=%G1");

    assert_string_equal(ctx_args_get(args, "a"), "%zz");
    assert_string_equal(ctx_args_get(args, "b"), "%4");
    assert_string_equal(ctx_args_get(args, "c"), "%");
    assert_string_equal(ctx_args_get(args, "d"), "%4g");
    assert_string_equal(ctx_args_get(args, "e"), "100%");
    /* The first '%' is malformed, the "%41" after it is not. */
    assert_string_equal(ctx_args_get(args, "f"), "%A");
    assert_string_equal(ctx_args_get(args, "g"), "%G1");
    assert_int_equal(ctx_args_dropped(args), 0);
}

static void test_args_escape_at_end_of_pair_does_not_read_next_pair(void **state)
{
    /* "%4" is cut by '&': the escape must not borrow the next pair's bytes. */
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state), "a=%4&1=x");

    assert_string_equal(ctx_args_get(args, "a"), "%4");
    assert_string_equal(ctx_args_get(args, "1"), "x");
    assert_int_equal(ctx_args_count(args), 2);
}

static void test_args_pair_without_equals_has_empty_value(void **state)
{
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state), "flag&x=1&other");

    assert_int_equal(ctx_args_count(args), 3);
    assert_string_equal(ctx_args_get(args, "flag"), "");
    assert_string_equal(ctx_args_get(args, "other"), "");
    assert_pair(args, 0, "flag", "");
}

static void test_args_empty_value_after_equals(void **state)
{
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state), "a=&b=2");

    assert_string_equal(ctx_args_get(args, "a"), "");
    assert_string_equal(ctx_args_get(args, "b"), "2");
}

static void test_args_value_may_contain_equals(void **state)
{
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state), "expr=a=b=c");

    assert_int_equal(ctx_args_count(args), 1);
    assert_string_equal(ctx_args_get(args, "expr"), "a=b=c");
}

static void test_args_empty_segments_are_not_pairs(void **state)
{
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state), "&a=1&&b=2&");

    assert_int_equal(ctx_args_count(args), 2);
    assert_int_equal(ctx_args_dropped(args), 0);
    assert_pair(args, 0, "a", "1");
    assert_pair(args, 1, "b", "2");
}

static void test_args_nul_byte_pair_dropped(void **state)
{
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state),
                                      "a=%00&b=2&%00=x&c=x%00y&d%00&e=5");

    /* Four pairs decode to a NUL byte (value, key, value, key w/o '='). */
    assert_int_equal(ctx_args_dropped(args), 4);
    assert_int_equal(ctx_args_count(args), 2);
    assert_pair(args, 0, "b", "2");
    assert_pair(args, 1, "e", "5");
    assert_null(ctx_args_get(args, "a"));
    assert_null(ctx_args_get(args, "c"));
    assert_null(ctx_args_get(args, ""));
}

static void test_args_at_out_of_range_is_einval(void **state)
{
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state), "a=1&b=2");
    const char *k = "untouched", *v = "untouched";

    assert_int_equal(ctx_args_at(args, 2, &k, &v), APR_EINVAL);
    assert_int_equal(ctx_args_at(args, -1, &k, &v), APR_EINVAL);
    assert_int_equal(ctx_args_at(args, 1000, &k, &v), APR_EINVAL);
    assert_string_equal(k, "untouched");
    assert_string_equal(v, "untouched");
    assert_pair(args, 1, "b", "2");
}

static void test_args_at_on_empty_args_is_einval(void **state)
{
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state), NULL);
    const char *k, *v;

    assert_int_equal(ctx_args_at(args, 0, &k, &v), APR_EINVAL);
}

static void test_args_null_arguments(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_args_t *args = ctx_args_parse(p, "a=1");
    const char *k, *v;
    apr_array_header_t *arr;

    assert_int_equal(ctx_args_at(NULL, 0, &k, &v), APR_EINVAL);
    assert_null(ctx_args_get(NULL, "a"));
    assert_null(ctx_args_get(args, NULL));
    assert_int_equal(ctx_args_count(NULL), 0);
    assert_int_equal(ctx_args_dropped(NULL), 0);
    arr = ctx_args_get_all(NULL, p, "a");
    assert_non_null(arr);
    assert_int_equal(arr->nelts, 0);
    arr = ctx_args_get_all(args, p, NULL);
    assert_non_null(arr);
    assert_int_equal(arr->nelts, 0);
}

static void test_args_parse_does_not_modify_or_keep_query(void **state)
{
    char query[] = "a=x+y&b=%41";
    ctx_args_t *args = ctx_args_parse(UNIT_POOL(state), query);

    assert_string_equal(query, "a=x+y&b=%41");
    memset(query, 'Z', sizeof(query) - 1);
    assert_string_equal(ctx_args_get(args, "a"), "x y");
    assert_string_equal(ctx_args_get(args, "b"), "A");
}

static void test_url_decode_decodes_len_bytes_only(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    char *s = ctx_url_decode(p, "a+b%41tail", 6);

    assert_non_null(s);
    assert_string_equal(s, "a bA");
    /* An escape cut by len is malformed: kept as written. */
    assert_string_equal(ctx_url_decode(p, "%414", 2), "%4");
    assert_string_equal(ctx_url_decode(p, "", 0), "");
}

static void test_url_decode_nul_byte_is_null(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    assert_null(ctx_url_decode(p, "%00", 3));
    assert_null(ctx_url_decode(p, "ab%00cd", 7));
    /* A raw NUL byte inside the `len` bytes: same. */
    assert_null(ctx_url_decode(p, "a\0b", 3));
    /* "%0" + "0" is not "%00" when len stops at 2: no NUL byte results. */
    assert_string_equal(ctx_url_decode(p, "%00", 2), "%0");
}

static void test_url_decode_hex_is_case_insensitive(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    assert_string_equal(ctx_url_decode(p, "%4a%4A%fF", 9), "JJ\xff");
}

static void test_args_names_each_once_in_first_order(void **state)
{
    apr_pool_t *p = *state;
    ctx_args_t *a = ctx_args_parse(p, "b=1&a=2&b=3&c&a=4&%62=5");
    apr_array_header_t *names = ctx_args_names(a, p);

    assert_int_equal(names->nelts, 3);
    assert_string_equal(APR_ARRAY_IDX(names, 0, const char *), "b");
    assert_string_equal(APR_ARRAY_IDX(names, 1, const char *), "a");
    assert_string_equal(APR_ARRAY_IDX(names, 2, const char *), "c");
    assert_int_equal(ctx_args_names(NULL, p)->nelts, 0);
    assert_int_equal(ctx_args_names(ctx_args_parse(p, NULL), p)->nelts, 0);
}

/* Security #10.6: thousands of distinct names (an 8 KB query holds ~1,150)
 * are each listed once; with repeats interleaved, still once each. */
static void test_args_names_of_many_distinct_and_repeated_names(void **state)
{
    apr_pool_t *p = *state;
    enum { N = 20000 };
    char *q = apr_palloc(p, N * 24), *w = q;
    apr_array_header_t *names;

    for (int i = 0; i < N; ++i) {
        w += sprintf(w, "%sk%d=v&k%d=w", i ? "&" : "", i, i / 2);
    }
    names = ctx_args_names(ctx_args_parse(p, q), p);
    assert_int_equal(names->nelts, N);
    for (int i = 0; i < N; ++i) {
        char want[16];

        sprintf(want, "k%d", i);
        assert_string_equal(APR_ARRAY_IDX(names, i, const char *), want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_args_null_query_has_no_arguments),
        UNIT_TEST(test_args_empty_query_has_no_arguments),
        UNIT_TEST(test_args_header_example),
        UNIT_TEST(test_args_get_returns_first_value),
        UNIT_TEST(test_args_get_missing_is_null),
        UNIT_TEST(test_args_repeated_keys_keep_order),
        UNIT_TEST(test_args_get_all_missing_is_empty_array),
        UNIT_TEST(test_args_keys_are_case_sensitive),
        UNIT_TEST(test_args_plus_decodes_to_space),
        UNIT_TEST(test_args_encoded_plus_stays_plus),
        UNIT_TEST(test_args_percent_escapes_decode_in_keys_and_values),
        UNIT_TEST(test_args_invalid_escape_kept_literally),
        UNIT_TEST(test_args_escape_at_end_of_pair_does_not_read_next_pair),
        UNIT_TEST(test_args_pair_without_equals_has_empty_value),
        UNIT_TEST(test_args_empty_value_after_equals),
        UNIT_TEST(test_args_value_may_contain_equals),
        UNIT_TEST(test_args_empty_segments_are_not_pairs),
        UNIT_TEST(test_args_nul_byte_pair_dropped),
        UNIT_TEST(test_args_at_out_of_range_is_einval),
        UNIT_TEST(test_args_at_on_empty_args_is_einval),
        UNIT_TEST(test_args_null_arguments),
        UNIT_TEST(test_args_parse_does_not_modify_or_keep_query),
        UNIT_TEST(test_url_decode_decodes_len_bytes_only),
        UNIT_TEST(test_url_decode_nul_byte_is_null),
        UNIT_TEST(test_url_decode_hex_is_case_insensitive),
        UNIT_TEST(test_args_names_each_once_in_first_order),
        UNIT_TEST(test_args_names_of_many_distinct_and_repeated_names),
    };

    return UNIT_RUN(tests);
}
