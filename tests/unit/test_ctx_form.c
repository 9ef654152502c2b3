/* Unit tests of ctx_form: the fields and files of a form body (Flask's
 * request.form and request.files). */
#include "unit.h"

#include "ctx_form.h"

static ctx_form_t *urlencoded(apr_pool_t *p, const char *body)
{
    ctx_form_t *f = NULL;

    assert_int_equal(ctx_form_parse_urlencoded(p, body, strlen(body),
                                               CTX_FORM_MAX_FIELDS, &f),
                     APR_SUCCESS);
    assert_non_null(f);
    return f;
}

static void test_form_urlencoded_decodes_like_a_browser_sends(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_form_t *f = urlencoded(p, "name=J%C3%B6rg+M%C3%BCller&tag=a&tag=b"
                                  "&empty=&flag&e%3Dq=1%262");
    apr_array_header_t *tags = ctx_form_get_all(f, p, "tag");

    assert_int_equal(ctx_form_count(f), 6);
    assert_string_equal(ctx_form_get(f, "name"), "J\xc3\xb6rg M\xc3\xbcller");
    assert_int_equal(tags->nelts, 2);
    assert_string_equal(APR_ARRAY_IDX(tags, 0, const char *), "a");
    assert_string_equal(APR_ARRAY_IDX(tags, 1, const char *), "b");
    assert_string_equal(ctx_form_get(f, "empty"), "");
    assert_string_equal(ctx_form_get(f, "flag"), "");
    assert_string_equal(ctx_form_get(f, "e=q"), "1&2");
    assert_null(ctx_form_get(f, "missing"));
    assert_int_equal(ctx_form_file_count(f), 0);
}

static void test_form_semicolon_is_not_a_separator(void **state)
{
    ctx_form_t *f = urlencoded(UNIT_POOL(state), "a=1;b=2");

    assert_int_equal(ctx_form_count(f), 1);
    assert_string_equal(ctx_form_get(f, "a"), "1;b=2");
    assert_null(ctx_form_get(f, "b"));
}

static void test_form_empty_segments_and_body(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);

    assert_int_equal(ctx_form_count(urlencoded(p, "")), 0);
    assert_int_equal(ctx_form_count(urlencoded(p, "&&&")), 0);
    assert_int_equal(ctx_form_count(urlencoded(p, "&a=1&&b=2&")), 2);
}

static void test_form_reads_only_len_bytes(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_form_t *f = NULL;

    /* The body is not NUL-terminated: "a=12" cut after 3 bytes. */
    assert_int_equal(ctx_form_parse_urlencoded(p, "a=12&b=3", 3, 10, &f),
                     APR_SUCCESS);
    assert_int_equal(ctx_form_count(f), 1);
    assert_string_equal(ctx_form_get(f, "a"), "1");
    /* An escape cut by the end stays as written. */
    assert_int_equal(ctx_form_parse_urlencoded(p, "a=%41%4", 7, 10, &f),
                     APR_SUCCESS);
    assert_string_equal(ctx_form_get(f, "a"), "A%4");
}

static void test_form_nul_bytes_drop_the_pair(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    static const char body[] = "a=1&b=x\0y&c=%00&d=4";
    ctx_form_t *f = NULL;

    assert_int_equal(ctx_form_parse_urlencoded(p, body, sizeof(body) - 1, 10,
                                               &f), APR_SUCCESS);
    assert_int_equal(ctx_form_count(f), 2);
    assert_int_equal(ctx_form_dropped(f), 2);
    assert_string_equal(ctx_form_get(f, "a"), "1");
    assert_string_equal(ctx_form_get(f, "d"), "4");
    assert_null(ctx_form_get(f, "b"));
    assert_null(ctx_form_get(f, "c"));
}

static void test_form_more_pairs_than_the_limit_is_enospc(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_form_t *f = NULL;

    assert_int_equal(ctx_form_parse_urlencoded(p, "a&b&c", 5, 3, &f),
                     APR_SUCCESS);
    assert_int_equal(ctx_form_count(f), 3);
    f = NULL;
    assert_int_equal(ctx_form_parse_urlencoded(p, "a&b&c&d", 7, 3, &f),
                     APR_ENOSPC);
    assert_null(f);
    /* Empty segments are not pairs. */
    assert_int_equal(ctx_form_parse_urlencoded(p, "a&&&&b&c&", 9, 3, &f),
                     APR_SUCCESS);
}

static void test_form_names_distinct_in_first_order(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_array_header_t *names = ctx_form_names(urlencoded(p, "b=1&a=2&b=3&C=4"),
                                               p);

    assert_int_equal(names->nelts, 3);
    assert_string_equal(APR_ARRAY_IDX(names, 0, const char *), "b");
    assert_string_equal(APR_ARRAY_IDX(names, 1, const char *), "a");
    assert_string_equal(APR_ARRAY_IDX(names, 2, const char *), "C");
}

static void test_form_from_parts_splits_fields_and_files(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    apr_array_header_t *parts = apr_array_make(p, 4,
                                               sizeof(ctx_multipart_part_t));
    static const char bin[] = { 'x', 0, 'y' };
    ctx_multipart_part_t a = { "a", NULL, NULL, "12345", 2 };
    ctx_multipart_part_t f1 = { "up", "1.bin", "application/octet-stream",
                                bin, 3 };
    ctx_multipart_part_t nul = { "n", NULL, NULL, bin, 3 };
    ctx_multipart_part_t f2 = { "up", "", NULL, "", 0 };
    ctx_multipart_part_t a2 = { "a", NULL, "text/plain", "z", 1 };
    const ctx_multipart_part_t *file;
    apr_array_header_t *ups, *all, *as;
    ctx_form_t *f;

    APR_ARRAY_PUSH(parts, ctx_multipart_part_t) = a;
    APR_ARRAY_PUSH(parts, ctx_multipart_part_t) = f1;
    APR_ARRAY_PUSH(parts, ctx_multipart_part_t) = nul;
    APR_ARRAY_PUSH(parts, ctx_multipart_part_t) = f2;
    APR_ARRAY_PUSH(parts, ctx_multipart_part_t) = a2;
    f = ctx_form_from_parts(p, parts);
    assert_int_equal(ctx_form_count(f), 2);
    assert_int_equal(ctx_form_file_count(f), 2);
    assert_int_equal(ctx_form_dropped(f), 1);
    /* A field's value is a terminated copy of its len bytes. */
    assert_string_equal(ctx_form_get(f, "a"), "12");
    as = ctx_form_get_all(f, p, "a");
    assert_int_equal(as->nelts, 2);
    assert_string_equal(APR_ARRAY_IDX(as, 1, const char *), "z");
    /* Files are not fields. */
    assert_null(ctx_form_get(f, "up"));
    file = ctx_form_file(f, "up");
    assert_non_null(file);
    assert_string_equal(file->filename, "1.bin");
    assert_string_equal(file->content_type, "application/octet-stream");
    assert_int_equal(file->len, 3);
    assert_memory_equal(file->data, bin, 3);
    ups = ctx_form_files(f, p, "up");
    assert_int_equal(ups->nelts, 2);
    assert_string_equal(APR_ARRAY_IDX(ups, 1, const ctx_multipart_part_t *)
                            ->filename, "");
    all = ctx_form_files(f, p, NULL);
    assert_int_equal(all->nelts, 2);
    assert_int_equal(ctx_form_files(f, p, "a")->nelts, 0);
    assert_null(ctx_form_file(f, "a"));
}

static void test_form_null_arguments(void **state)
{
    apr_pool_t *p = UNIT_POOL(state);
    ctx_form_t *f = NULL;

    assert_int_equal(ctx_form_parse_urlencoded(p, NULL, 1, 10, &f),
                     APR_EINVAL);
    assert_int_equal(ctx_form_parse_urlencoded(p, "a", 1, 10, NULL),
                     APR_EINVAL);
    assert_int_equal(ctx_form_parse_urlencoded(p, NULL, 0, 10, &f),
                     APR_SUCCESS);
    assert_null(ctx_form_get(NULL, "a"));
    assert_null(ctx_form_get(f, NULL));
    assert_int_equal(ctx_form_get_all(NULL, p, "a")->nelts, 0);
    assert_int_equal(ctx_form_names(NULL, p)->nelts, 0);
    assert_null(ctx_form_file(NULL, "a"));
    assert_int_equal(ctx_form_files(NULL, p, NULL)->nelts, 0);
    assert_int_equal(ctx_form_count(NULL), 0);
    assert_int_equal(ctx_form_count(ctx_form_empty(p)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        UNIT_TEST(test_form_urlencoded_decodes_like_a_browser_sends),
        UNIT_TEST(test_form_semicolon_is_not_a_separator),
        UNIT_TEST(test_form_empty_segments_and_body),
        UNIT_TEST(test_form_reads_only_len_bytes),
        UNIT_TEST(test_form_nul_bytes_drop_the_pair),
        UNIT_TEST(test_form_more_pairs_than_the_limit_is_enospc),
        UNIT_TEST(test_form_names_distinct_in_first_order),
        UNIT_TEST(test_form_from_parts_splits_fields_and_files),
        UNIT_TEST(test_form_null_arguments),
    };

    return UNIT_RUN(tests);
}
